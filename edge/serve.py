"""Watch the live loop from a browser: ``edge-run --serve [HOST:]PORT`` and ``edge-serve``.

A Raspberry Pi on a shelf has no monitor; its owner reaches it over SSH and opens
this page on a laptop or phone. :class:`LiveServer` is an ``aiohttp`` web server in
a background thread with these routes:

=====================  ==============================================================
route                  what it returns
=====================  ==============================================================
``/``                  the page: the annotated stream, the current reading (number or
                       label, confidence), FPS and per-stage milliseconds, updated live
``/stream.mjpg``       the annotated frames as MJPEG (``multipart/x-mixed-replace``),
                       at most ``stream_fps`` frames per second
``/events``            server-sent events: one JSON status per streamed frame (the
                       frame's JSON Lines record plus ``reading``, ``confidence``,
                       ``fps``, ``timings_ms``, ``viewers``, ``model``, ``source``)
``/predictions``       the frames' JSON Lines records (exactly what ``--jsonl`` writes),
                       one per line, as they come (``application/x-ndjson``)
``/snapshot.jpg``      the newest annotated frame as one JPEG
``/healthz``           JSON: ``status`` (200 ``ok`` while frames arrive, 503 before
                       the first frame or when none came for 5 s), frame and client counts
=====================  ==============================================================

The pipeline never waits for a viewer. Its thread calls :meth:`LiveServer.publish`,
which only stores references in a "latest frame" slot and appends the record to a
bounded ring (256 records), under a lock held for microseconds. An encoder thread
draws the overlay (when the loop has not drawn it already) and JPEG-encodes the
newest frame once for all viewers, at most ``stream_fps`` times a second and only
while somebody watches the stream (OpenCV releases the GIL while encoding). Each
viewer's coroutine sends the newest encoded frame when its previous write has
drained, so a slow viewer skips frames instead of queueing them; a viewer whose
write does not drain within ``write_timeout_s`` is dropped, and one that goes away
is noticed at its next write (or at once: handlers are cancelled on disconnect),
which frees its coroutine and buffers. ``/predictions`` viewers that fall more
than 256 records behind skip to the oldest record still held (the ``frame``
numbers show the gap).

Safe by default: the server binds to 127.0.0.1 unless a host is given (reach it
through an SSH tunnel). With a token set, every route asks for it (``?token=``,
``Authorization: Bearer``, ``X-Edge-Token``; compared with
:func:`hmac.compare_digest`): 401 when missing, 403 when wrong. Without a token, a
loopback server answers only requests whose ``Host`` is a loopback name, so a web
page elsewhere cannot reach it through DNS rebinding. No route reads or writes a
file the client names: the page's three files are read from the package once, at
start. The access log (logger ``edge.serve``, debug level) leaves out query strings,
so tokens are not logged.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import concurrent.futures
import errno
import hmac
import importlib.resources
import ipaddress
import itertools
import json
import logging
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

if TYPE_CHECKING:  # aiohttp is imported when a server starts, so edge-run starts fast without one
    from aiohttp import web

    from edge.pipeline import FrameResult

log = logging.getLogger(__name__)

#: Port of ``edge-serve`` when none is given, and of ``--serve PORT`` examples.
DEFAULT_PORT = 8080
#: Host a bare ``--serve PORT`` binds to: this machine only.
DEFAULT_HOST = "127.0.0.1"
#: Upper bound of the MJPEG stream rate (frames/s) unless ``--stream-fps`` says otherwise.
DEFAULT_STREAM_FPS = 15.0
#: Environment variable read for the token when ``--token`` is not given.
TOKEN_ENV = "EDGE_TOKEN"
#: Records kept for ``/predictions`` viewers that are briefly behind.
RECORD_RING = 256
#: Seconds without a published frame after which ``/healthz`` says ``stale``.
STALE_AFTER_S = 5.0
#: Seconds between server-sent-event keep-alive comments while no frame comes.
KEEPALIVE_S = 10.0
_BOUNDARY = "frame"
_WEB_FILES = {"/": ("index.html", "text/html"), "/app.js": ("app.js", "text/javascript"),
              "/style.css": ("style.css", "text/css")}
_CSP = ("default-src 'none'; img-src 'self' data:; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


# -- addresses ------------------------------------------------------------------------
def parse_hostport(text: str, default_host: str = DEFAULT_HOST) -> tuple[str, int]:
    """Split ``[HOST:]PORT`` into a host and a port.

    ``"8080"`` is ``(default_host, 8080)``; ``"0.0.0.0:8080"``, ``"localhost:8080"``,
    ``"[::1]:8080"`` and ``"[::]:8080"`` give their host (IPv6 without brackets). Port
    0 asks the system for a free port.

    Raises:
        ValueError: no port, a port outside 0..65535, an empty host (``":8080"``:
            write ``127.0.0.1:8080`` or ``0.0.0.0:8080``), or an IPv6 address
            without brackets. The message says what to write.
    """
    s = str(text).strip()
    example = (f"give PORT (this machine only, e.g. {DEFAULT_PORT}) or HOST:PORT "
               f"(e.g. 127.0.0.1:{DEFAULT_PORT}, or 0.0.0.0:{DEFAULT_PORT} for every interface)")
    if not s:
        raise ValueError(f"empty address; {example}")
    if s.isdigit():
        host, port_text = default_host, s
    elif s.startswith("["):
        end = s.find("]")
        if end < 0 or s[end + 1:end + 2] != ":":
            raise ValueError(f"bad address {s!r}: write an IPv6 host as [ADDRESS]:PORT, "
                             f"e.g. [::1]:{DEFAULT_PORT}")
        host, port_text = s[1:end], s[end + 2:]
    else:
        host, sep, port_text = s.rpartition(":")
        if not sep:
            raise ValueError(f"bad address {s!r}: no port; {example}")
        if ":" in host:
            raise ValueError(f"bad address {s!r}: write an IPv6 host in brackets, e.g. [::1]:{DEFAULT_PORT}")
    if not host:
        port_hint = port_text or DEFAULT_PORT
        raise ValueError(f"bad address {s!r}: no host before ':'; write 127.0.0.1:{port_hint} "
                         f"(this machine only) or 0.0.0.0:{port_hint} (every interface)")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"bad port {port_text!r} in {s!r}: a port is a number from 1 to 65535 "
                         f"(0 picks a free one); {example}")
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is this machine only: 127.0.0.0/8, ::1 or localhost."""
    h = host.strip().strip("[]").lower().rstrip(".")
    if h in _LOOPBACK_NAMES or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def _bind_error(e: BaseException, host: str, port: int) -> OSError:
    """An OSError whose message says what to do about a failed bind."""
    where = f"{host}:{port}"
    code = getattr(e, "errno", None)
    if isinstance(e, socket.gaierror):
        msg = (f"cannot serve on {where}: unknown host name {host!r} ({e.strerror}); use an address of this "
               f"machine, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)")
    elif code == errno.EADDRINUSE:
        msg = (f"cannot serve on {where}: the port is in use (another edge-serve?); choose another, e.g. "
               f"--serve {host}:{port + 1 if port < 65535 else 8080}, or stop the program using it "
               f"(`ss -ltnp | grep :{port}` shows it)")
    elif code == errno.EADDRNOTAVAIL:
        msg = (f"cannot serve on {where}: {host} is not an address of this machine; use 127.0.0.1 (this "
               f"machine only, reach it through an SSH tunnel) or 0.0.0.0 (every interface)")
    elif code == errno.EACCES:
        msg = f"cannot serve on {where}: ports below 1024 need root; use a port such as {DEFAULT_PORT}"
    else:
        msg = f"cannot serve on {where}: {e}"
    err = OSError(msg)
    err.errno = code
    return err


# -- configuration and small values ----------------------------------------------------
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
        max_clients: streaming connections (stream, events, predictions) served at
            once; more get 503.
        write_timeout_s: a viewer whose write does not drain in this many seconds
            is dropped.
        encode_in_thread: JPEG-encode on the encoder thread (default); ``False``
            encodes inside :meth:`LiveServer.publish`, on the pipeline's thread (kept
            to measure the difference, see ``benchmarks/serve_load.py``).
        quiet_labels: labels drawn muted by the overlay (a hands model's ``none``).

    Raises:
        ValueError: a value out of range (the message names it).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    stream_fps: float = DEFAULT_STREAM_FPS
    jpeg_quality: int = 80
    max_clients: int = 32
    write_timeout_s: float = 15.0
    encode_in_thread: bool = True
    quiet_labels: tuple[str, ...] = ("none",)

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
        if int(self.max_clients) < 1:
            raise ValueError(f"max_clients must be >= 1, got {self.max_clients}")
        if not self.write_timeout_s > 0:
            raise ValueError(f"write_timeout_s must be > 0, got {self.write_timeout_s}")

    @property
    def public(self) -> bool:
        """Whether the server is reachable from other machines (not a loopback host)."""
        return not is_loopback(self.host)


@dataclass(frozen=True)
class _Latest:
    """One published frame: references only (nothing is copied or encoded on publish)."""

    seq: int
    image: np.ndarray
    annotated: np.ndarray | None
    detections: Sequence[Any]
    numbers: Sequence[Any]
    fps: float | None
    timings_ms: dict[str, float]
    record: dict[str, Any]
    published: float  # time.monotonic()


@dataclass(frozen=True)
class EncodedFrame:
    """One annotated frame encoded for every viewer.

    Attributes:
        seq: the published frame's sequence number (1 for the first).
        jpeg: the JPEG file's bytes.
        part: the MJPEG part (boundary, headers, JPEG, CRLF) written to each viewer.
        size: (width, height) in px.
    """

    seq: int
    jpeg: bytes
    part: bytes
    size: tuple[int, int]


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
        text = " ".join(str(n) for n in record["numbers"])
    else:
        text = " ".join(str(d.get("label", "")) for d in dets)
    scores = [float(d["score"]) for d in dets if "score" in d]
    return text, (min(scores) if scores and text else None)


class _Signal:
    """Wakes every coroutine waiting on it (loop thread only); a new event each time.

    :attr:`waiters` (read from other threads) lets a publisher skip waking the loop
    when nobody waits.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.waiters = 0

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """Wait for the next :meth:`fire`; ``False`` after ``timeout`` seconds."""
        self.waiters += 1
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
            return True
        except asyncio.TimeoutError:  # noqa: UP041 (the builtin TimeoutError only from Python 3.11)
            return False
        finally:
            self.waiters -= 1


def _access_log_class() -> type:
    """A debug-level aiohttp access logger that leaves out query strings (they may hold the token)."""
    from aiohttp.abc import AbstractAccessLogger

    class AccessLog(AbstractAccessLogger):
        def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
            self.logger.debug("%s %s %s %d %.1f ms", request.remote, request.method, request.path,
                              response.status, 1000.0 * time)

    return AccessLog


def _web_file(name: str) -> bytes:
    return importlib.resources.files("edge").joinpath("web", name).read_bytes()


# -- the server ------------------------------------------------------------------------
@dataclass
class ServeCounters:
    """What the server has done so far (shown by ``/healthz``).

    Attributes:
        published: frames given to :meth:`LiveServer.publish`.
        encoded: JPEG encodings (at most one per published frame).
        frames_sent: MJPEG parts written to viewers.
        bytes_sent: bytes written by the streaming routes.
        dropped_slow: viewers dropped because a write did not drain in time.
        refused_busy: connections refused with 503 (``max_clients`` reached).
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


class LiveServer:
    """The web view of a running pipeline (see the module docstring for the routes).

    Usage::

        with LiveServer(ServeConfig(port=0)).start() as server:
            print(server.url)
            for frame in source:
                result = pipeline.process(frame)
                server.publish(result, fps=fps, timings_ms=result.timings_ms)

    Args:
        config: address, token, stream rate and limits.
        model: model name shown on the page.
        source: source name shown on the page.

    Raises:
        ValueError: ``config`` is not a :class:`ServeConfig`.
    """

    def __init__(self, config: ServeConfig | None = None, *, model: str = "", source: str = "") -> None:
        config = ServeConfig() if config is None else config
        if not isinstance(config, ServeConfig):
            raise ValueError(f"config must be a ServeConfig, got {type(config).__name__}")
        self.config = config
        self.info = {"model": model, "source": source}
        self.counters = ServeCounters()
        self.port: int | None = None
        #: ``(address, port)`` of each listening socket once started.
        self.bound: list[tuple[str, int]] = []
        self._files = {route: (_web_file(name), ctype) for route, (name, ctype) in _WEB_FILES.items()}
        self._token = config.token.encode("utf-8") if config.token else None
        self._lock = threading.Lock()  # guards _latest, _seq, _ring (held for microseconds)
        self._encode_lock = threading.Lock()  # one encoding at a time (encoder thread, snapshots)
        self._latest: _Latest | None = None
        self._seq = 0
        self._ring: collections.deque[list[Any]] = collections.deque(maxlen=RECORD_RING)
        self._jpeg: EncodedFrame | None = None
        self._next_encode = 0.0
        self._clients = {"stream": 0, "events": 0, "predictions": 0}
        self._closing = False
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._new_frame = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._encoder: threading.Thread | None = None
        self._frame_signal: _Signal | None = None
        self._record_signal: _Signal | None = None
        self._status_cache: tuple[int, int, bytes] = (-1, -1, b"")

    # ---- lifecycle -------------------------------------------------------------------
    def start(self, timeout_s: float = 30.0) -> LiveServer:
        """Bind and serve in a background thread; returns ``self`` once listening.

        Raises:
            OSError: the address cannot be bound (port in use, not an address of
                this machine, a privileged port); the message says what to do.
            RuntimeError: aiohttp is not installed, the server is already started, or
                it did not start in ``timeout_s``.
        """
        if self._thread is not None:
            raise RuntimeError("the server is already started")
        try:
            import aiohttp  # noqa: F401  (imported here so that edge-run starts fast without --serve)
        except ImportError as e:
            raise RuntimeError(f"the web view needs the aiohttp web server ({e}); install it with "
                               "pip install 'aiohttp>=3.9' (it is part of the base install)") from e
        ready: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._serve_thread, args=(ready,), name="edge-serve-http",
                                        daemon=True)
        self._thread.start()
        try:
            self.port = ready.result(timeout=timeout_s)
        except concurrent.futures.TimeoutError as e:
            self.close()
            raise RuntimeError(f"the web server did not start within {timeout_s:.0f} s") from e
        except BaseException:
            self._thread.join(timeout=5.0)
            self._thread = None
            raise
        if self.config.encode_in_thread:
            self._encoder = threading.Thread(target=self._encoder_thread, name="edge-serve-jpeg", daemon=True)
            self._encoder.start()
        return self

    def close(self, timeout_s: float = 5.0) -> None:
        """Disconnect every viewer and stop the server's threads (idempotent)."""
        self._closing = True
        self._stop.set()
        self._new_frame.set()
        if self._encoder is not None:
            self._encoder.join(timeout=timeout_s)
            self._encoder = None
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            try:
                loop.call_soon_threadsafe(self._shutdown)
            except RuntimeError:  # the loop has already closed
                pass
            thread.join(timeout=timeout_s)
            if thread.is_alive():
                log.warning("the web server thread did not stop within %.0f s", timeout_s)
        self._thread = None

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """``http://HOST:PORT/`` of the page (a hostname for ``0.0.0.0``/``::``); no token."""
        host = self.config.host
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port if self.port is not None else self.config.port}/"

    @property
    def viewer_url(self) -> str:
        """:attr:`url` with ``?token=...`` when a token is set: the address to open."""
        tok = self.config.token
        return self.url + (f"?token={urllib.parse.quote(tok, safe='')}" if tok else "")

    def describe(self, *, model: str | None = None, source: str | None = None) -> None:
        """Set the model and source names the page shows."""
        if model is not None:
            self.info["model"] = model
        if source is not None:
            self.info["source"] = source

    @property
    def clients(self) -> dict[str, int]:
        """Connected streaming viewers by route: ``stream``, ``events``, ``predictions``."""
        return dict(self._clients)

    # ---- the pipeline's side -----------------------------------------------------------
    def publish(self, result: FrameResult, *, record: dict[str, Any] | None = None, fps: float | None = None,
                timings_ms: Mapping[str, float] | None = None, annotated: np.ndarray | None = None,
                t: float | None = None) -> None:
        """Offer the pipeline's newest frame to the viewers; returns at once.

        Called from the pipeline's thread for every frame. Keeps references only:
        the caller must not modify ``result.frame.image`` or ``annotated`` afterwards
        (the pipeline and :func:`edge.overlay.draw_overlay` never do). With
        ``encode_in_thread=False`` a due frame is encoded here instead.

        Args:
            result: the frame's :class:`~edge.pipeline.FrameResult` (image uint8
                (H, W, 3) BGR, smoothed detections, numbers).
            record: its JSON Lines record (default ``result.as_json(t)``); pass the one
                written to ``--jsonl`` so ``/predictions`` streams the same JSON.
            fps: the loop's current frames per second, for the overlay and the page.
            timings_ms: per-stage milliseconds to show (e.g. a running average).
            annotated: the frame with the overlay already drawn, uint8 (H, W, 3) BGR;
                ``None``: drawn by the encoder when a viewer needs it.
            t: the record's time in seconds when ``record`` is not given.
        """
        t0 = time.perf_counter()
        if record is None:
            record = result.as_json(t)
        now = time.monotonic()
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._latest = _Latest(seq, result.frame.image, annotated, result.detections, result.numbers,
                                   fps, dict(timings_ms or {}), record, now)
            self._ring.append([seq, record, None])
        signal_ = self._record_signal
        if signal_ is not None and signal_.waiters:  # wake the loop only when somebody waits
            self._call_soon(signal_.fire)
        if self._clients["stream"]:
            if self.config.encode_in_thread:
                self._new_frame.set()
            elif now >= self._next_encode:  # the same grid of due times as _encoder_thread
                interval = 1.0 / self.config.stream_fps
                self._next_encode = max(self._next_encode + interval, now - interval / 2)
                self._encode_and_notify()
        c = self.counters
        c.published += 1
        ms = (time.perf_counter() - t0) * 1e3
        c.publish_ms_total += ms
        c.publish_ms_max = max(c.publish_ms_max, ms)

    # ---- encoding (encoder thread, snapshots) ---------------------------------------
    def encode_latest(self) -> EncodedFrame | None:
        """The newest published frame, annotated and JPEG-encoded (cached: a frame is
        encoded at most once); ``None`` before the first frame. Thread-safe.

        Raises:
            RuntimeError: OpenCV could not encode the frame.
        """
        with self._encode_lock:
            with self._lock:
                latest = self._latest
            if latest is None:
                return None
            cached = self._jpeg
            if cached is not None and cached.seq == latest.seq:
                return cached
            image = latest.annotated
            if image is None:
                from edge.overlay import draw_overlay

                image = draw_overlay(latest.image, latest.detections, latest.numbers, fps=latest.fps,
                                     timings_ms=latest.timings_ms or None,
                                     quiet_labels=self.config.quiet_labels)
            ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(self.config.jpeg_quality)])
            if not ok:
                raise RuntimeError(f"OpenCV could not JPEG-encode a {image.dtype} {image.shape} frame")
            jpeg = buf.tobytes()
            head = (f"--{_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                    .encode("ascii"))
            size = (int(image.shape[1]), int(image.shape[0]))
            enc = EncodedFrame(latest.seq, jpeg, head + jpeg + b"\r\n", size)
            self._jpeg = enc
            self.counters.encoded += 1
            return enc

    def _encode_and_notify(self) -> None:
        try:
            enc = self.encode_latest()
        except (RuntimeError, cv2.error, ValueError):
            log.exception("cannot encode the frame for the web view")
            return
        if enc is not None and self._frame_signal is not None:
            self._call_soon(self._frame_signal.fire)

    def _encoder_thread(self) -> None:
        """Encode the newest frame at most ``stream_fps`` times a second while anybody watches."""
        interval = 1.0 / self.config.stream_fps
        due = 0.0
        while not self._stop.is_set():
            self._new_frame.wait(timeout=1.0)
            self._new_frame.clear()
            if self._stop.is_set():
                return
            if not self._clients["stream"]:
                continue
            now = time.monotonic()
            if due > now and self._stop.wait(due - now):
                return
            # A fixed grid of due times (not "now + interval"), so a 30 fps source streams at
            # 15 fps rather than every third frame; after an idle spell the grid restarts.
            due = max(due + interval, time.monotonic() - interval / 2)
            self._encode_and_notify()

    def _call_soon(self, fn: Any) -> None:
        loop = self._loop
        if loop is None or self._closing:
            return
        try:
            loop.call_soon_threadsafe(fn)
        except RuntimeError:  # the loop closed meanwhile
            pass

    # ---- the event loop's thread -------------------------------------------------------
    def _serve_thread(self, ready: concurrent.futures.Future[int]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            port = loop.run_until_complete(self._start_site())
        except BaseException as e:  # report every failure to start() in the caller's thread
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            loop.close()
            ready.set_exception(_bind_error(e, self.config.host, self.config.port) if isinstance(e, OSError)
                                else e)
            return
        self._loop = loop
        ready.set_result(port)
        try:
            loop.run_forever()
        finally:
            try:
                if self._runner is not None:
                    loop.run_until_complete(self._runner.cleanup())
            finally:
                self._loop = None
                loop.close()

    async def _start_site(self) -> int:
        from aiohttp import web

        self._frame_signal = _Signal()
        self._record_signal = _Signal()

        @web.middleware
        async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
            return await self._guard(request, handler)

        app = web.Application(middlewares=[guard])
        app.on_response_prepare.append(self._security_headers)
        for route in self._files:
            app.router.add_get(route, self._static)
        app.router.add_get("/stream.mjpg", self._stream)
        app.router.add_get("/events", self._events)
        app.router.add_get("/predictions", self._predictions)
        app.router.add_get("/snapshot.jpg", self._snapshot)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, handle_signals=False, access_log_class=_access_log_class(),
                                     access_log=log, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.bound = [(str(a[0]), int(a[1])) for a in self._runner.addresses]
        return self.bound[0][1] if self.bound else int(self.config.port)

    def _shutdown(self) -> None:
        for s in (self._frame_signal, self._record_signal):
            if s is not None:
                s.fire()
        assert self._loop is not None
        self._loop.stop()

    # ---- middleware ---------------------------------------------------------------------
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Every request: the token when one is set, else (loopback) a loopback ``Host``."""
        from aiohttp import web

        if self._token is not None:
            given = _token_of(request)
            if given is None:
                return web.Response(status=401, headers={"WWW-Authenticate": 'Bearer realm="edge"'},
                                    text="this edge-serve needs its token: open the page as /?token=TOKEN, "
                                    "or send 'Authorization: Bearer TOKEN' or 'X-Edge-Token: TOKEN'\n")
            if not hmac.compare_digest(given.encode("utf-8"), self._token):
                return web.Response(status=403, text="wrong token\n")
        elif not self.config.public:
            host = _host_name(request.headers.get("Host"))
            if host is not None and not is_loopback(host) and host != self.config.host.lower():
                return web.Response(status=403, text=f"this edge-serve answers only to this machine's own "
                                    f"names (Host {host!r} refused); open http://127.0.0.1:{self.port}/, or "
                                    "set a token to serve other names\n")
        return await handler(request)

    async def _security_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        h = response.headers
        h.setdefault("Cache-Control", "no-store")
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["X-Frame-Options"] = "DENY"
        h["Content-Security-Policy"] = _CSP

    # ---- routes -------------------------------------------------------------------------
    async def _static(self, request: web.Request) -> web.Response:
        from aiohttp import web

        body, ctype = self._files[request.path]
        if request.path == "/" and self.config.token and "token" in request.query:
            # The page was opened as /?token=...: its script and style sheet need the token too
            # (the script passes it on to the stream and the events itself).
            q = b"?token=" + urllib.parse.quote(self.config.token, safe="").encode("ascii")
            for name in (b"app.js", b"style.css"):
                body = body.replace(b'"' + name + b'"', b'"' + name + q + b'"')
        return web.Response(body=body, content_type=ctype, charset="utf-8")

    async def _snapshot(self, request: web.Request) -> web.Response:
        from aiohttp import web

        loop = asyncio.get_running_loop()
        enc = await loop.run_in_executor(None, self.encode_latest)
        if enc is None:
            return web.Response(status=503, text="no frame yet; try again in a moment\n",
                                headers={"Retry-After": "1"})
        return web.Response(body=enc.jpeg, content_type="image/jpeg")

    async def _healthz(self, request: web.Request) -> web.Response:
        from aiohttp import web

        with self._lock:
            latest = self._latest
        age = None if latest is None else time.monotonic() - latest.published
        status = "waiting for the first frame" if age is None else "stale" if age > STALE_AFTER_S else "ok"
        body = {"status": status, "frames": self.counters.published,
                "last_frame_age_s": None if age is None else round(age, 3),
                "uptime_s": round(time.monotonic() - self._started, 1), "clients": self.clients,
                "stream_fps": self.config.stream_fps, "counters": vars(self.counters), **self.info}
        return web.json_response(body, status=200 if status == "ok" else 503)

    def _admit(self, kind: str) -> web.Response | None:
        from aiohttp import web

        if self._closing:
            return web.Response(status=503, text="the server is stopping\n")
        if sum(self._clients.values()) >= self.config.max_clients:
            self.counters.refused_busy += 1
            return web.Response(status=503, text=f"too many viewers ({self.config.max_clients}); try again "
                                "later, or start the server with a higher --max-viewers\n",
                                headers={"Retry-After": "5"})
        self._clients[kind] += 1
        return None

    async def _write(self, request: web.Request, resp: web.StreamResponse, data: bytes) -> None:
        """Write ``data``; drop the viewer when the write does not drain in ``write_timeout_s``."""
        transport = request.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the viewer went away")
        timer = asyncio.get_running_loop().call_later(self.config.write_timeout_s, self._drop_slow, transport)
        try:
            await resp.write(data)
        finally:
            timer.cancel()
        self.counters.bytes_sent += len(data)

    def _drop_slow(self, transport: asyncio.BaseTransport) -> None:
        self.counters.dropped_slow += 1
        log.info("dropping a viewer whose connection did not drain in %.0f s", self.config.write_timeout_s)
        if isinstance(transport, asyncio.WriteTransport):
            transport.abort()
        else:
            transport.close()

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        refused = self._admit("stream")
        if refused is not None:
            return refused
        resp = web.StreamResponse(headers={
            "Content-Type": f"multipart/x-mixed-replace; boundary={_BOUNDARY}", "Pragma": "no-cache"})
        try:
            await resp.prepare(request)
            self._new_frame.set()  # a first frame for this viewer even if the pipeline has paused
            sent = 0
            assert self._frame_signal is not None
            while not self._closing:
                enc = self._jpeg
                if enc is None or enc.seq <= sent:
                    await self._frame_signal.wait(KEEPALIVE_S)
                    continue
                await self._write(request, resp, enc.part)
                sent = enc.seq
                self.counters.frames_sent += 1
        except ConnectionError:
            log.debug("stream viewer %s went away", request.remote)
        finally:
            self._clients["stream"] -= 1
        return resp

    async def _sse_response(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
        await resp.prepare(request)
        return resp

    def _status_bytes(self, latest: _Latest) -> bytes:
        """The server-sent event of ``latest`` (built once per frame and viewer count)."""
        viewers = self._clients["stream"]
        seq, n, cached = self._status_cache
        if seq == latest.seq and n == viewers:
            return cached
        text, conf = reading_of(latest.record)
        status = {**latest.record, "reading": text, "confidence": conf,
                  "fps": None if latest.fps is None else round(latest.fps, 2),
                  "timings_ms": {k: round(v, 3) for k, v in latest.timings_ms.items()},
                  "viewers": viewers, "stream_fps": self.config.stream_fps, **self.info}
        data = b"data: " + json.dumps(status, separators=(",", ":")).encode("utf-8") + b"\n\n"
        self._status_cache = (latest.seq, viewers, data)
        return data

    async def _events(self, request: web.Request) -> web.StreamResponse:
        refused = self._admit("events")
        if refused is not None:
            return refused
        interval = 1.0 / self.config.stream_fps
        loop = asyncio.get_running_loop()
        try:
            resp = await self._sse_response(request)
            await self._write(request, resp, b"retry: 2000\n\n")
            sent, due = 0, 0.0
            assert self._record_signal is not None
            while not self._closing:
                latest = self._latest
                if latest is None or latest.seq <= sent:
                    if not await self._record_signal.wait(KEEPALIVE_S):
                        await self._write(request, resp, b": keep-alive\n\n")
                    continue
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                    latest = self._latest or latest
                await self._write(request, resp, self._status_bytes(latest))
                sent, due = latest.seq, loop.time() + interval
        except ConnectionError:
            log.debug("events viewer %s went away", request.remote)
        finally:
            self._clients["events"] -= 1
        return resp

    def _records_after(self, seq: int) -> list[list[Any]]:
        """Ring entries ``[seq, record, line]`` newer than ``seq`` (all held when ``seq`` is too old)."""
        with self._lock:
            if not self._ring:
                return []
            newest = self._ring[-1][0]
            n = min(len(self._ring), max(0, newest - seq))
            return list(itertools.islice(self._ring, len(self._ring) - n, None))

    async def _predictions(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        refused = self._admit("predictions")
        if refused is not None:
            return refused
        sent = self._seq  # from the next record on, counted before the client can see the headers
        try:
            resp = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
            await resp.prepare(request)
            assert self._record_signal is not None
            while not self._closing:
                entries = self._records_after(sent)
                if not entries:
                    await self._record_signal.wait(KEEPALIVE_S)
                    continue
                for e in entries:  # each record is serialised once, for all viewers
                    if e[2] is None:
                        e[2] = json.dumps(e[1], separators=(",", ":")).encode("utf-8") + b"\n"
                await self._write(request, resp, b"".join(e[2] for e in entries))
                sent = entries[-1][0]
        except ConnectionError:
            log.debug("predictions viewer %s went away", request.remote)
        finally:
            self._clients["predictions"] -= 1
        return resp


def _token_of(request: web.Request) -> str | None:
    """The token a request carries: ``Authorization: Bearer``, ``X-Edge-Token`` or ``?token=``."""
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    header = request.headers.get("X-Edge-Token")
    if header is not None:
        return header.strip()
    return request.query.get("token")


def _host_name(host_header: str | None) -> str | None:
    """The host name of a ``Host`` header without the port (``None`` when absent)."""
    if not host_header:
        return None
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


# -- command line -----------------------------------------------------------------------
def hostport_arg(text: str) -> tuple[str, int]:
    """argparse ``type`` for ``--serve``: :func:`parse_hostport` with its message kept."""
    try:
        return parse_hostport(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``edge-serve``: ``edge-run`` with the web view on and no window.

    ``edge-serve`` takes every ``edge-run`` option; ``--serve`` defaults to
    ``127.0.0.1:8080`` and the run is headless unless ``--display`` is given.
    Returns the exit status (0, 2 on error, 130 on Ctrl-C).
    """
    from edge import cli_run

    return cli_run.main(argv, prog="edge-serve", serve_default=f"{DEFAULT_HOST}:{DEFAULT_PORT}")


if __name__ == "__main__":
    sys.exit(main())
