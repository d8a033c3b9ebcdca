"""OpenCV cameras (webcam index or device path) and network streams (rtsp://, http://).

A live camera produces frames at its own pace whether or not anyone reads them,
and OpenCV's capture buffers several of them. Reading ``cap.read()`` in the
processing loop therefore returns ever older frames when processing is slower
than the camera: the lag grows. :class:`LatestFrameReader` avoids that: a thread
reads the capture continuously and keeps only the newest frame; ``read()`` waits
for a frame newer than the one it returned last and silently drops the ones in
between (counted in :attr:`CameraSource.frames_dropped`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from edge.sources.base import DEMO_HINT, FrameSource, SourceLost, to_bgr
from edge.sources.cv_log import quiet_opencv_log
from edge.types import Frame

log = logging.getLogger(__name__)

#: URL schemes opened as network streams.
STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt")

Grab = Callable[[], tuple[bool, "np.ndarray | None"]]


class LatestFrameReader:
    """A daemon thread that reads frames continuously and keeps only the newest.

    Args:
        grab: called repeatedly in the thread; returns ``(ok, image)`` like
            ``cv2.VideoCapture.read``. It must return a new array each call (the
            reader hands the array out without copying).
        name: thread name, for logs.
        max_failures: consecutive ``ok == False`` results after which the stream
            counts as ended.
        on_exit: called in the thread when it finishes (e.g. to release the
            capture if :meth:`stop` gave up waiting for a blocked ``grab``).
    """

    def __init__(
        self,
        grab: Grab,
        *,
        name: str = "frame-reader",
        max_failures: int = 5,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self._grab = grab
        self._max_failures = max_failures
        self._on_exit = on_exit
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._seq = -1  # sequence number of the newest frame, -1 before the first
        self._image: np.ndarray | None = None
        self._time = 0.0
        self._ended = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> LatestFrameReader:
        """Start the thread; returns ``self``."""
        self._thread.start()
        return self

    @property
    def frames_captured(self) -> int:
        """Frames read from the device so far."""
        return self._seq + 1

    @property
    def ended(self) -> bool:
        """Whether the thread has stopped (end of stream, failure or :meth:`stop`)."""
        return self._ended

    @property
    def error(self) -> BaseException | None:
        """The exception ``grab`` raised, if that is what ended the thread."""
        return self._error

    def _run(self) -> None:
        failures = 0
        try:
            while not self._stop.is_set():
                try:
                    ok, image = self._grab()
                except Exception as e:  # a backend error ends the stream; read() re-raises it
                    log.error("%s: reading a frame failed: %s", self._thread.name, e)
                    with self._cond:
                        self._error = e
                    break
                if not ok or image is None:
                    failures += 1
                    if failures >= self._max_failures:
                        log.info("%s: no frame after %d attempts, stream ended", self._thread.name, failures)
                        break
                    time.sleep(0.01)
                    continue
                failures = 0
                now = time.monotonic()
                with self._cond:
                    self._seq += 1
                    self._image, self._time = image, now
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()
            if self._on_exit is not None:
                self._on_exit()

    def latest(self, after: int, timeout_s: float) -> tuple[int, float, np.ndarray] | None:
        """Wait for a frame newer than sequence number ``after``.

        Args:
            after: the sequence number of the last frame the caller took (-1 at first).
            timeout_s: seconds to wait.

        Returns:
            ``(seq, monotonic_time_s, image)`` of the newest frame, or ``None`` if the
            thread ended with no newer frame.

        Raises:
            TimeoutError: no newer frame arrived within ``timeout_s``.
        """
        with self._cond:
            fresh = self._cond.wait_for(lambda: self._seq > after or self._ended, timeout=timeout_s)
            if not fresh:
                raise TimeoutError(f"no new frame within {timeout_s:g} s")
            if self._seq > after:
                assert self._image is not None
                return self._seq, self._time, self._image
            return None

    def stop(self, timeout_s: float = 2.0) -> bool:
        """Ask the thread to stop and wait up to ``timeout_s`` for it.

        Returns:
            Whether the thread has finished (``False`` if ``grab`` is still blocked).
        """
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        return not self._thread.is_alive()


class CameraSource(FrameSource):
    """A webcam or network stream read through ``cv2.VideoCapture``.

    Frames come from a :class:`LatestFrameReader`: :meth:`read` returns the newest
    frame captured since the previous call and drops older ones, so a slow consumer
    sees fresh frames at a lower rate instead of a growing delay.

    Args:
        device: camera index (``0`` is the first webcam), a device path such as
            ``"/dev/video0"``, or a stream URL (``rtsp://``, ``http://`` ...).
        width: requested frame width in px, or ``None`` for the camera's default.
        height: requested frame height in px, or ``None``.
        fps: requested frame rate in frames per second, or ``None``.
        fourcc: requested pixel format, e.g. ``"MJPG"`` (many USB webcams need it
            for 30 fps above 640x480), or ``None``.
        api_preference: an OpenCV ``cv2.CAP_*`` backend; ``cv2.CAP_ANY`` lets
            OpenCV choose (V4L2 first on Linux).
        timeout_s: seconds :meth:`read` waits for a new frame before raising.

    Attributes:
        frames_dropped: frames captured but never returned because a newer one
            arrived first.

    Raises:
        RuntimeError: the camera or stream cannot be opened; the message says what
            to check and how to run without a camera.
    """

    live = True

    def __init__(
        self,
        device: int | str = 0,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        fourcc: str | None = None,
        api_preference: int = cv2.CAP_ANY,
        timeout_s: float = 5.0,
    ) -> None:
        self.device = device
        self.is_stream = isinstance(device, str) and "://" in device
        if isinstance(device, int):
            self.name = f"webcam:{device}"
        elif self.is_stream:
            self.name = f"stream:{_redact(device)}"
        else:
            self.name = f"webcam:{device}"
        self.timeout_s = timeout_s
        self.frames_dropped = 0
        self._index = 0
        self._last_seq = -1
        self._closed = False
        self._released = threading.Lock()

        params: list[int] = []
        if self.is_stream:  # do not hang for ever on an unreachable host
            ms = int(timeout_s * 1000)
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
        try:
            with quiet_opencv_log():  # the backends' probing noise; -v shows it
                cap = (
                    cv2.VideoCapture(device, api_preference, params)
                    if params
                    else cv2.VideoCapture(device, api_preference)
                )
        except cv2.error as e:
            raise RuntimeError(self._open_failure_message()) from e
        if not cap.isOpened():
            cap.release()
            raise RuntimeError(self._open_failure_message())
        self._cap: Any = cap
        self._configure(width, height, fps, fourcc)
        reported = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = reported if 0.0 < reported < 1000.0 else fps
        log.info(
            "opened %s (%s backend), %dx%d at %s fps",
            self.name,
            _backend_name(cap),
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            self.fps,
        )
        self._reader = LatestFrameReader(
            cap.read,
            name=f"{self.name}-reader",
            max_failures=20 if not self.is_stream else 3,
            on_exit=self._release_if_closed,
        ).start()

    def _open_failure_message(self) -> str:
        if self.is_stream:
            return (
                f"cannot open stream {_redact(str(self.device))}: check the URL, that the server "
                f"is reachable and that OpenCV was built with FFmpeg or GStreamer; {DEMO_HINT}"
            )
        return (
            f"cannot open camera {self.device!r}: check that a camera is connected and not in use "
            f"by another program (on Linux `ls /dev/video*`; try another index such as 1); "
            f"{DEMO_HINT}"
        )

    def _configure(
        self, width: int | None, height: int | None, fps: float | None, fourcc: str | None
    ) -> None:
        cap = self._cap
        if fourcc is not None:
            if len(fourcc) != 4:
                raise ValueError(f"fourcc must be 4 characters such as 'MJPG', got {fourcc!r}")
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*fourcc))
        if width is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, float(width))
        if height is not None:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, float(height))
        if fps is not None:
            cap.set(cv2.CAP_PROP_FPS, float(fps))
        if not self.is_stream:
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1.0)  # fewer stale frames where the backend supports it
        got_w, got_h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if (width is not None and got_w != width) or (height is not None and got_h != height):
            log.warning("%s: asked for %sx%s, camera gives %dx%d", self.name, width, height, got_w, got_h)

    def read(self) -> Frame | None:
        """The newest frame captured since the previous call.

        Returns:
            A :class:`~edge.types.Frame` (uint8 (H, W, 3) BGR; ``timestamp`` is
            ``time.monotonic()`` seconds when the frame was captured; ``index`` counts
            returned frames), or ``None`` when a stream that announces its length (a
            file served over HTTP) has delivered all of it.

        Raises:
            SourceLost: after the first frame: no new frame within ``timeout_s`` (a
                stalled stream, a camera that stopped), the stream ended or dropped,
                the camera stopped delivering frames (unplugged?) or the backend
                raised.
            RuntimeError: no first frame within ``timeout_s``, the backend failed before
                any frame, or the source is closed.
        """
        if self._closed:
            raise RuntimeError(f"{self.name} is closed")
        what = "stream" if self.is_stream else "camera"
        try:
            got = self._reader.latest(self._last_seq, self.timeout_s)
        except TimeoutError as e:
            if self._index == 0:
                raise RuntimeError(self._no_first_frame_message()) from e
            if self.is_stream:
                raise SourceLost(
                    f"{self.name}: no frame for {self.timeout_s:g} s: the stream stalled (the server "
                    f"stopped sending or the network is down)"
                ) from e
            raise SourceLost(
                f"{self.name}: no frame for {self.timeout_s:g} s: the camera stopped delivering frames "
                f"(unplugged, or its driver hung)"
            ) from e
        if got is None:
            error = self._reader.error
            if error is not None:
                cls = SourceLost if self._index else RuntimeError
                raise cls(f"{self.name}: reading frames from the {what} failed: {error}") from error
            if self.is_stream:
                if self._finished_announced_length():
                    log.info("%s: end of stream", self.name)
                    return None
                if self._index == 0:
                    raise RuntimeError(f"{self.name}: the stream ended before its first frame")
                raise SourceLost(
                    f"{self.name}: the stream ended after {self._index} frame(s): the server closed it "
                    f"or the network dropped"
                )
            cls = SourceLost if self._index else RuntimeError
            raise cls(f"{self.name}: the camera stopped delivering frames (unplugged?); {DEMO_HINT}")
        seq, t, image = got
        self.frames_dropped += seq - self._last_seq - 1
        self._last_seq = seq
        frame = Frame(image=to_bgr(image), timestamp=t, index=self._index)
        self._index += 1
        return frame

    def _no_first_frame_message(self) -> str:
        if self.is_stream:
            return (
                f"{self.name}: connected, but no frame within {self.timeout_s:g} s: check the URL's path "
                f"and that the server is sending video"
            )
        return (
            f"{self.name}: no frame within {self.timeout_s:g} s; the camera may be in use by another "
            f"program or too slow at this resolution; {DEMO_HINT}"
        )

    def _finished_announced_length(self) -> bool:
        """Whether a stream that says how many frames it has (HTTP file) sent nearly all."""
        try:
            total = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        except (cv2.error, ValueError, OverflowError):
            return False
        return total > 0 and self._reader.frames_captured >= total - max(2, total // 50)

    def _release_if_closed(self) -> None:
        if self._closed:
            self._release()

    def _release(self) -> None:
        if self._released.acquire(blocking=False):
            self._cap.release()
            log.debug("%s released", self.name)

    def close(self) -> None:
        """Stop the reader thread and release the capture. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._reader.stop(timeout_s=max(2.0, self.timeout_s)):
            self._release()
        else:  # grab is blocked in the driver: the thread releases the capture when it returns
            log.warning("%s: reader thread still blocked; the capture is released when it returns", self.name)
        if self.frames_dropped:
            log.info(
                "%s: %d of %d captured frames dropped (consumer slower than the camera)",
                self.name,
                self.frames_dropped,
                self._reader.frames_captured,
            )


def _backend_name(cap: Any) -> str:
    try:
        return str(cap.getBackendName())
    except (cv2.error, AttributeError):
        return "unknown"


def _redact(url: str) -> str:
    """The URL without a ``user:password@`` part, for logs and messages."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
