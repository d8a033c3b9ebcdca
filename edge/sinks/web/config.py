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
    "DEFAULT_MAX_VIEWERS",
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
