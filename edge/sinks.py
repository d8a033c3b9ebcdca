"""Where annotated frames and predictions go: a video file, JSON Lines, a window.

Every sink has ``close()`` and is a context manager, so a ``with`` block (or a
``finally``) finalises it even on Ctrl-C: the video writer is released (the mp4 gets
its index and plays), the JSON Lines file is flushed line by line as it is written.
:class:`NullDisplay` stands in for the window in headless runs, like picamera2's
null preview.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

#: FPS written into a video when neither the source nor the timestamps tell it.
DEFAULT_FPS = 30.0


class _Sink:
    def close(self) -> None:  # pragma: no cover - overridden
        pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class VideoSink(_Sink):
    """Write uint8 (H, W, 3) BGR frames to a video file with ``cv2.VideoWriter``.

    The frame size comes from the first frame (later frames of another size are
    resized to it). With ``fps=None`` the rate is estimated from the timestamps of
    the first ``probe_frames`` frames (they are held back until then), so a
    recording of a live camera plays at the speed it was seen.

    Args:
        path: output file; its folder is created. ``.mp4`` with the ``mp4v`` codec
            plays everywhere OpenCV's FFmpeg backend does.
        fps: frames per second to record at, or ``None`` to estimate.
        fourcc: four-character codec code.
        probe_frames: frames used to estimate the FPS when ``fps`` is None.

    Raises:
        ValueError: ``fps`` is not positive or ``fourcc`` is not 4 characters.
        OSError: the folder cannot be created.
    """

    def __init__(self, path: str | Path, fps: float | None = None, fourcc: str = "mp4v",
                 probe_frames: int = 15) -> None:
        if fps is not None and not fps > 0:
            raise ValueError(f"video fps must be > 0, got {fps}")
        if len(fourcc) != 4:
            raise ValueError(f"fourcc must be 4 characters (e.g. 'mp4v'), got {fourcc!r}")
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OSError(f"cannot create the folder for the video {self.path}: {e.strerror}") from e
        self.fps = float(fps) if fps else None
        self.fourcc = fourcc
        self.probe_frames = max(2, int(probe_frames))
        self.frames_written = 0
        self.size: tuple[int, int] | None = None
        self._writer: cv2.VideoWriter | None = None
        self._pending: list[tuple[np.ndarray, float | None]] = []
        self._closed = False

    def _open(self, fps: float) -> None:
        assert self.size is not None
        writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter.fourcc(*self.fourcc), fps, self.size)
        if not writer.isOpened():
            raise RuntimeError(
                f"cannot open a video writer for {self.path} (codec {self.fourcc}, {fps:.1f} FPS, "
                f"{self.size[0]}x{self.size[1]}): check the folder is writable and use a .mp4 "
                "file name (OpenCV needs its FFmpeg backend)")
        self.fps = fps
        self._writer = writer
        log.info("recording %s at %.1f FPS, %dx%d", self.path, fps, *self.size)

    def _estimate_fps(self) -> float:
        ts = [t for _, t in self._pending if t is not None]
        if len(ts) >= 2 and ts[-1] > ts[0]:
            return float(min(120.0, max(1.0, (len(ts) - 1) / (ts[-1] - ts[0]))))
        return DEFAULT_FPS

    def _put(self, image: np.ndarray) -> None:
        assert self._writer is not None and self.size is not None
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        self._writer.write(image)
        self.frames_written += 1

    def _flush_pending(self) -> None:
        if self._pending:
            if self._writer is None:
                self._open(self.fps or self._estimate_fps())
            for img, _ in self._pending:
                self._put(img)
            self._pending.clear()

    def write(self, image: np.ndarray, timestamp: float | None = None) -> None:
        """Append one frame.

        Args:
            image: uint8 (H, W, 3) BGR.
            timestamp: its time in seconds (used only to estimate the FPS).

        Raises:
            ValueError: ``image`` is not uint8 (H, W, 3), or the sink is closed.
            RuntimeError: the writer cannot be opened.
        """
        if self._closed:
            raise ValueError(f"video sink {self.path} is closed")
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"video frames must be uint8 (H, W, 3) BGR, got {image.dtype} {image.shape}")
        if self.size is None:
            self.size = (int(image.shape[1]), int(image.shape[0]))
        if self._writer is not None:
            self._put(image)
        elif self.fps is not None:
            self._open(self.fps)
            self._put(image)
        else:
            self._pending.append((image.copy(), timestamp))
            if len(self._pending) >= self.probe_frames:
                self._flush_pending()

    def close(self) -> None:
        """Write held-back frames and release the writer (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._flush_pending()
        finally:
            if self._writer is not None:
                self._writer.release()
                self._writer = None
                log.info("wrote %d frames to %s", self.frames_written, self.path)


class JsonlSink(_Sink):
    """Write one JSON object per line, flushed after every line.

    Args:
        path: output file (its folder is created), or ``"-"`` for standard output.

    Raises:
        OSError: the file cannot be created.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.lines_written = 0
        if self.path == "-":
            self._f = sys.stdout
            self._own = False
        else:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self._f = open(self.path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
            except OSError as e:
                raise OSError(f"cannot write JSON Lines to {self.path}: {e.strerror}") from e
            self._own = True

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line of JSON and flush it."""
        self._f.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._f.flush()
        self.lines_written += 1

    def close(self) -> None:
        """Flush and close the file (standard output is only flushed)."""
        if self._own and not self._f.closed:
            self._f.close()
        elif not self._own:
            self._f.flush()


def gui_backend() -> str:
    """OpenCV's HighGUI backend from ``cv2.getBuildInformation()``: e.g. ``"QT5"``, ``"GTK3"``,
    ``"WIN32UI"``, ``"COCOA"``, or ``"NONE"`` (opencv-python-headless)."""
    for line in cv2.getBuildInformation().splitlines():
        s = line.strip()
        if s.startswith("GUI:"):
            return s.split(":", 1)[1].strip() or "NONE"
    return "NONE"


def display_available() -> tuple[bool, str]:
    """Whether a window can be opened here, and why not.

    A window needs an OpenCV build with a GUI backend (opencv-python, not
    opencv-python-headless) and, on Linux, a display server: ``DISPLAY`` (X11), or
    ``WAYLAND_DISPLAY`` for GTK builds (OpenCV's Qt wheels use X11 unless
    ``QT_QPA_PLATFORM`` says otherwise). Checked without touching the GUI, since Qt
    aborts the whole process when it cannot connect to a display.

    Returns:
        ``(True, "")`` or ``(False, reason)``.
    """
    gui = gui_backend()
    if gui.upper() in ("NONE", "NO", ""):
        return False, ("this OpenCV has no GUI support (opencv-python-headless?); "
                       "install opencv-python for a window")
    if sys.platform.startswith("linux"):
        x11 = bool(os.environ.get("DISPLAY"))
        wayland = bool(os.environ.get("WAYLAND_DISPLAY"))
        if gui.upper().startswith("QT") and not x11 and not os.environ.get("QT_QPA_PLATFORM"):
            return False, ("no X11 display (DISPLAY is not set); OpenCV's Qt window needs one"
                           + (" (under Wayland, enable XWayland)" if wayland else ""))
        if not (x11 or wayland):
            return False, "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    return True, ""


class NullDisplay(_Sink):
    """Headless stand-in for :class:`DisplaySink`: shows nothing, no key is ever pressed."""

    closed = False

    def show(self, image: np.ndarray, wait_ms: int = 1) -> int:
        """Ignore ``image``; return -1 (no key)."""
        return -1

    def close(self) -> None:
        pass


class DisplaySink(_Sink):
    """An OpenCV window (``cv2.imshow``) that returns the key pressed.

    Args:
        title: window title.

    Raises:
        RuntimeError: no display is available (see :func:`display_available`).
    """

    def __init__(self, title: str = "edge") -> None:
        ok, why = display_available()
        if not ok:
            raise RuntimeError(f"cannot open a window: {why}; run with --headless")
        self.title = title
        self.closed = False
        self._created = False

    def show(self, image: np.ndarray, wait_ms: int = 1) -> int:
        """Show a uint8 (H, W, 3) BGR image and wait up to ``wait_ms`` ms for a key.

        Returns:
            The key code (``& 0xFF``), or -1 if none. Sets :attr:`closed` when the
            user closed the window.
        """
        try:
            if not self._created:
                cv2.namedWindow(self.title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)
                cv2.resizeWindow(self.title, int(image.shape[1]), int(image.shape[0]))
                self._created = True
            cv2.imshow(self.title, image)
            key = cv2.waitKey(max(1, int(wait_ms)))
            if cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
                self.closed = True
        except cv2.error as e:
            raise RuntimeError(f"cannot show the window: {e}; run with --headless") from e
        return -1 if key < 0 else key & 0xFF

    def close(self) -> None:
        if self._created:
            try:
                cv2.destroyWindow(self.title)
                cv2.waitKey(1)
            except cv2.error:
                log.debug("destroyWindow failed", exc_info=True)
            self._created = False
