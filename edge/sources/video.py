"""Video files, read frame by frame (no thread, no dropped frames)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2

from edge.sources.base import DEMO_HINT, FrameSource, SourceLost, to_bgr
from edge.types import Frame

log = logging.getLogger(__name__)

#: File extensions (lower case) opened as videos.
VIDEO_EXTENSIONS = frozenset(
    {
        ".mp4",
        ".m4v",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".flv",
        ".mjpeg",
        ".mjpg",
        ".h264",
        ".264",
        ".ts",
        ".3gp",
        ".ogv",
        ".gif",
    }
)


class VideoFileSource(FrameSource):
    """Every frame of a video file, in order.

    Args:
        path: the video file.
        loop: start again from the first frame at the end instead of returning
            ``None`` (timestamps and indices keep increasing).

    Attributes:
        frame_count: the number of frames the container reports (may be 0 or
            approximate for some formats).

    Raises:
        ValueError: ``path`` does not exist or is not a file.
        RuntimeError: OpenCV cannot open or decode the file (corrupt, or a codec
            this OpenCV build lacks).
    """

    live = False

    def __init__(self, path: str | Path, *, loop: bool = False) -> None:
        self.path = Path(path).expanduser()
        self.name = f"video:{self.path.name}"
        self.loop = loop
        if not self.path.is_file():
            raise ValueError(f"no such video file: {str(self.path)!r}; {DEMO_HINT}")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise RuntimeError(
                f"cannot open video {str(self.path)!r}: the file is corrupt or its codec is not supported "
                f"by this OpenCV build (try converting it: `ffmpeg -i in.mov -c:v libx264 out.mp4`)"
            )
        self._cap: Any = cap
        reported = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = reported if 0.0 < reported < 1000.0 else None
        self.frame_count = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
        self._index = 0  # frames returned overall
        self._pass_index = 0  # frames returned in the current pass through the file
        self._offset_s = 0.0  # time added on each loop
        self._last_t = -1.0
        self._closed = False
        log.info("opened %s: %d frames at %s fps", self.name, self.frame_count, self.fps)

    def _timestamp(self) -> float:
        """Seconds of the frame just read, from the container or from index / fps."""
        ms = float(self._cap.get(cv2.CAP_PROP_POS_MSEC))
        t = ms / 1000.0 if ms > 0 or self._pass_index == 0 else -1.0
        if t < 0 or t + self._offset_s <= self._last_t:  # missing or not increasing: use the nominal rate
            t = self._pass_index / (self.fps or 30.0)
        return t + self._offset_s

    def read(self) -> Frame | None:
        """The next frame of the file.

        Returns:
            A :class:`~edge.types.Frame` (uint8 (H, W, 3) BGR; ``timestamp`` in
            seconds from the start of the file, from the container's presentation
            time or ``index / fps``), or ``None`` at the end of the file.

        Raises:
            SourceLost: the file ends (or cannot be decoded further) well before the
                number of frames its header announces: it is truncated or damaged.
            RuntimeError: the source is closed, or no frame at all can be decoded.
        """
        if self._closed:
            raise RuntimeError(f"{self.name} is closed")
        ok, image = self._cap.read()
        if not ok and self.loop and self._pass_index > 0:
            self._check_complete()
            self._offset_s = self._last_t + 1.0 / (self.fps or 30.0)
            self._pass_index = 0
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._cap.read()
        if not ok or image is None:
            if self._index == 0:
                raise RuntimeError(
                    f"cannot decode any frame of {str(self.path)!r}: the file is corrupt, empty or uses a "
                    f"codec this OpenCV build lacks"
                )
            self._check_complete()
            return None
        t = self._timestamp()
        self._last_t = t
        frame = Frame(image=to_bgr(image), timestamp=t, index=self._index)
        self._index += 1
        self._pass_index += 1
        return frame

    def _check_complete(self) -> None:
        """Raise :class:`SourceLost` if the pass ended well short of :attr:`frame_count`.

        Containers whose count is an estimate (duration x rate) may be off by a frame
        or two, so up to ``max(2, 2 %)`` missing frames count as a normal end.
        """
        expected = self.frame_count
        if expected > 0 and self._pass_index < expected - max(2, expected // 50):
            raise SourceLost(
                f"{self.name}: the video ended after {self._pass_index} of the {expected} frames its "
                f"header announces: the file is truncated or damaged (a recording cut off by a crash "
                f"or an unfinished copy)"
            )

    def close(self) -> None:
        """Release the file. Idempotent."""
        if not self._closed:
            self._closed = True
            self._cap.release()
