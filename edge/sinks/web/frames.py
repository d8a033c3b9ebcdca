"""The web view's frame side: the pipeline's thread hands frames over, an encoder thread
JPEG-encodes the newest one for every viewer.

:meth:`FrameHub.write` (the :class:`~edge.sinks.base.Sink` method) only stores a
reference in a "latest frame" slot and appends the record to a bounded ring, under a
lock held for microseconds. The encoder thread JPEG-encodes the newest frame's overlay
(:meth:`edge.sinks.base.LiveFrame.overlay`, drawn once per frame for every sink) at most
``stream_fps`` times a second and only while somebody watches the stream (OpenCV
releases the GIL while encoding).

Imports :mod:`edge.sinks.base` and :mod:`edge.sinks.web.config`.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2

from edge.sinks.base import LiveFrame
from edge.sinks.web.config import RECORD_RING, ServeConfig, ServeCounters

if TYPE_CHECKING:
    from edge.pipeline import FrameResult

log = logging.getLogger("edge.sinks.web")

#: The MJPEG part boundary.
BOUNDARY = "frame"


@dataclass(frozen=True)
class LatestFrame:
    """One published frame: a reference only (nothing is copied or encoded on publish).

    Attributes:
        seq: its sequence number (1 for the first).
        frame: the frame as the loop handed it over.
        published: ``time.monotonic()`` when it came.
    """

    seq: int
    frame: LiveFrame
    published: float


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


class Signal:
    """Wakes every coroutine waiting on it (event-loop thread only); a new event each time.

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


class FrameHub:
    """The frames of the web view: what the pipeline's thread publishes, what viewers get.

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
        self._lock = threading.Lock()  # guards _latest, _seq, _ring (held for microseconds)
        self._encode_lock = threading.Lock()  # one encoding at a time (encoder thread, snapshots)
        self._latest: LatestFrame | None = None
        self._seq = 0
        self._ring: collections.deque[list[Any]] = collections.deque(maxlen=RECORD_RING)
        self._jpeg: EncodedFrame | None = None
        self._next_encode = 0.0
        self._clients = {"stream": 0, "events": 0, "predictions": 0}
        self._closing = False
        self._stop = threading.Event()
        self._new_frame = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._frame_signal: Signal | None = None
        self._record_signal: Signal | None = None

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
    def write(self, frame: LiveFrame) -> None:
        """Offer the pipeline's newest frame to the viewers; returns at once.

        Called from the pipeline's thread for every frame. Keeps a reference only: the
        caller must not modify ``frame.result.frame.image`` afterwards (the pipeline
        never does). With ``encode_in_thread=False`` a due frame is encoded here instead.
        ``/predictions`` streams :attr:`LiveFrame.record`, the same JSON ``--jsonl`` writes.
        """
        t0 = time.perf_counter()
        record = frame.record
        now = time.monotonic()
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._latest = LatestFrame(seq, frame, now)
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

    def publish(
        self,
        result: FrameResult,
        *,
        fps: float | None = None,
        timings_ms: Mapping[str, float] | None = None,
        t: float | None = None,
    ) -> None:
        """:meth:`write` for a bare :class:`~edge.pipeline.FrameResult` (outside :func:`edge.live.run`).

        Args:
            result: the frame's result (image uint8 (H, W, 3) BGR, smoothed detections, numbers).
            fps: frames per second shown on the overlay and the page.
            timings_ms: per-stage milliseconds to show.
            t: the record's time in seconds (default: the frame's timestamp).
        """
        self.write(LiveFrame(result, t=t, fps=fps, timings_ms=timings_ms))

    # ---- encoding (encoder thread, snapshots) ---------------------------------------
    def encode_latest(self) -> EncodedFrame | None:
        """The newest published frame's overlay, JPEG-encoded (cached: a frame is encoded
        at most once); ``None`` before the first frame. Thread-safe.

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
            image = latest.frame.overlay()
            ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(self.config.jpeg_quality)])
            if not ok:
                raise RuntimeError(f"OpenCV could not JPEG-encode a {image.dtype} {image.shape} frame")
            jpeg = buf.tobytes()
            head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode(
                "ascii"
            )
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

    def _call_soon(self, fn: Callable[[], Any]) -> None:
        loop = self._loop
        if loop is None or self._closing:
            return
        try:
            loop.call_soon_threadsafe(fn)
        except RuntimeError:  # the loop closed meanwhile
            pass
