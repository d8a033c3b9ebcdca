"""Settings of the web view: its defaults (defined here once), :class:`ServeConfig`,
:class:`ServeCounters` and :func:`reading_of`, the reading the page shows.

Imports only the standard library and :mod:`edge.sinks.web.address`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edge.sinks.web.address import DEFAULT_HOST, DEFAULT_PORT, is_loopback

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_VIEWERS",
    "DEFAULT_REQUEST_TIMEOUT_S",
    "DEFAULT_STREAM_FPS",
    "KEEPALIVE_S",
    "RECORD_RING",
    "STALE_AFTER_S",
    "TOKEN_ENV",
    "ServeConfig",
    "ServeCounters",
    "reading_of",
]

#: Upper bound of the MJPEG stream rate (frames/s) unless ``--stream-fps`` says otherwise.
DEFAULT_STREAM_FPS = 15.0
#: Streaming connections (stream, events, predictions) served at once unless ``--max-viewers`` says otherwise.
DEFAULT_MAX_VIEWERS = 32
#: Connections (of any kind, idle ones too) held at once at least, unless ``--max-connections`` says
#: otherwise; the default is this or 4 per viewer, whichever is more.
DEFAULT_MAX_CONNECTIONS = 256
#: Seconds a connection gets to send a whole request head (from connecting, or from its previous
#: response on a kept-alive connection) before it is closed.
DEFAULT_REQUEST_TIMEOUT_S = 5.0
#: Environment variable read for the token when ``--token`` is not given.
TOKEN_ENV = "EDGE_TOKEN"
#: Records kept for ``/predictions`` viewers that are briefly behind.
RECORD_RING = 256
#: Seconds without a published frame after which ``/healthz`` says ``stale``.
STALE_AFTER_S = 5.0
#: Seconds between server-sent-event keep-alive comments while no frame comes.
KEEPALIVE_S = 10.0


@dataclass(frozen=True)
class ServeConfig:
    """How :class:`LiveServer` serves.

    Attributes:
        host: address to bind (``127.0.0.1``: this machine only; ``0.0.0.0``: every
            IPv4 interface).
        port: TCP port; 0 picks a free one (see :attr:`LiveServer.port`).
        token: when set, every route asks for it; ``None``: no token.
        stream_fps: upper bound of the MJPEG stream and event rates (frames/s).
        jpeg_quality: JPEG quality 1..100 of the stream and snapshots.
        max_viewers: streaming connections (stream, events, predictions) served at
            once (a page uses two); more get 503.
        write_timeout_s: a viewer whose write does not drain in this many seconds
            is dropped.
        max_connections: TCP connections held at once, idle ones included; ``None``:
            :data:`DEFAULT_MAX_CONNECTIONS` or 4 per viewer, whichever is more (see
            :attr:`connection_cap`). When all are taken, a new connection replaces the
            one idle longest (connected but in no request); when none is idle, it gets
            a 503 and is closed. Lowered to what the open-file limit allows.
        request_timeout_s: seconds a connection gets to send a whole request head,
            from connecting or from its previous response; then it is closed.
        encode_in_thread: JPEG-encode on the encoder thread (default); ``False``
            encodes inside :meth:`LiveServer.publish`, on the pipeline's thread (kept
            to measure the difference, see ``benchmarks/serve_load.py``).

    Raises:
        ValueError: a value out of range (the message names it).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    stream_fps: float = DEFAULT_STREAM_FPS
    jpeg_quality: int = 80
    max_viewers: int = DEFAULT_MAX_VIEWERS
    write_timeout_s: float = 15.0
    encode_in_thread: bool = True
    max_connections: int | None = None
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S

    def __post_init__(self) -> None:
        if not 0 <= int(self.port) <= 65535:
            raise ValueError(f"port must be in 0..65535, got {self.port}")
        if not self.host:
            raise ValueError("host must not be empty; use 127.0.0.1 or 0.0.0.0")
        if self.token is not None and not self.token:
            raise ValueError("the token must not be empty; give a long random string or no token")
        if not self.stream_fps > 0:
            raise ValueError(f"stream_fps must be > 0, got {self.stream_fps}")
        if not 1 <= int(self.jpeg_quality) <= 100:
            raise ValueError(f"jpeg_quality must be in 1..100, got {self.jpeg_quality}")
        if int(self.max_viewers) < 1:
            raise ValueError(f"max_viewers must be >= 1, got {self.max_viewers}")
        if not self.write_timeout_s > 0:
            raise ValueError(f"write_timeout_s must be > 0, got {self.write_timeout_s}")
        if self.max_connections is not None and int(self.max_connections) <= int(self.max_viewers):
            raise ValueError(
                f"max_connections ({self.max_connections}) must be more than max_viewers "
                f"({self.max_viewers}): every viewer's stream holds a connection and the page needs "
                "more; raise --max-connections or lower --max-viewers"
            )
        if not self.request_timeout_s > 0:
            raise ValueError(f"request_timeout_s must be > 0, got {self.request_timeout_s}")

    @property
    def connection_cap(self) -> int:
        """Connections held at once: :attr:`max_connections`, or its default (before the
        open-file limit is applied, see :func:`edge.sinks.web.connections.fd_budget`)."""
        if self.max_connections is not None:
            return int(self.max_connections)
        return max(DEFAULT_MAX_CONNECTIONS, 4 * int(self.max_viewers))

    @property
    def public(self) -> bool:
        """Whether the server is reachable from other machines (not a loopback host)."""
        return not is_loopback(self.host)


@dataclass
class ServeCounters:
    """What the server has done so far (shown by ``/healthz``).

    Attributes:
        published: frames given to :meth:`LiveServer.publish`.
        encoded: JPEG encodings (at most one per published frame).
        frames_sent: MJPEG parts written to viewers.
        bytes_sent: bytes written by the streaming routes.
        dropped_slow: viewers dropped because a write did not drain in time.
        refused_busy: connections refused with 503 (``max_viewers`` reached).
        refused_full: connections refused with 503 because every connection slot
            (``max_connections``) was in a request.
        evicted_idle: idle connections closed to make room for a new one.
        timed_out: connections closed because no whole request head came in
            ``request_timeout_s``.
        malformed: requests answered 400 because they were not valid HTTP.
        accept_failed: times ``accept()`` failed for want of open files.
        publish_ms_total: milliseconds the pipeline's thread spent in
            :meth:`LiveServer.publish`, all calls together.
        publish_ms_max: the longest single call (ms).
    """

    published: int = 0
    publish_ms_total: float = 0.0
    publish_ms_max: float = 0.0
    encoded: int = 0
    frames_sent: int = 0
    bytes_sent: int = 0
    dropped_slow: int = 0
    refused_busy: int = 0
    refused_full: int = 0
    evicted_idle: int = 0
    timed_out: int = 0
    malformed: int = 0
    accept_failed: int = 0


def reading_of(record: Mapping[str, Any]) -> tuple[str, float | None]:
    """What the page shows as the reading of a JSON Lines record.

    Args:
        record: a record as :meth:`edge.pipeline.FrameResult.as_json` makes it.

    Returns:
        ``(text, confidence)``: the number (``"42"``), the numbers joined by spaces,
        or the detections' labels joined by spaces (``"rock"``); ``""`` when nothing
        was read. ``confidence`` is the lowest detection score in [0, 1] (the
        weakest digit of a number), ``None`` when nothing was read.
    """
    dets = record.get("detections") or []
    if "number" in record:
        text = str(record["number"])
    elif record.get("numbers"):
        text = " ".join(str(n["text"] if isinstance(n, dict) else n) for n in record["numbers"])
    else:
        text = " ".join(str(d.get("label", "")) for d in dets)
    scores = [float(d["score"]) for d in dets if "score" in d]
    return text, (min(scores) if scores and text else None)
