"""Annotated frames to a video file (``edge-run --output``): :class:`VideoSink`.

Closing finishes the file, also after Ctrl-C or SIGTERM. What survives a SIGKILL or a
power cut depends on the container (the encoders are in :mod:`edge.sinks.video_writer`):

- ``.mp4`` / ``.mov`` / ``.m4v`` are written with PyAV (the ``av`` package) as a
  *fragmented* mp4, H.264, a keyframe and a fragment every second: a recording cut off
  anywhere plays up to about its last second (demo scene, 640x480 at 30 FPS, SIGKILL
  after 300 frames: 270 or more read back; 0 from OpenCV's mp4, whose index is written
  only on close, "moov atom not found"). Without PyAV they fall back to OpenCV's writer
  with one warning: such an mp4 plays only after a clean stop.
- ``.mkv`` (Matroska) and ``.avi`` are written by OpenCV (codec ``mp4v``) front to back
  with no index needed to read them: they too play up to about their last second.
- *Segments* (``segment_s``), with either writer: ``run-0000.mp4``, ``run-0001.mp4`` ...,
  each finished (and synced to disk) when the next starts.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from edge.sinks.base import LiveFrame, SinkBase
from edge.sinks.video_writer import WRITERS, FrameWriter, open_writer, sync_to_disk

log = logging.getLogger(__name__)

#: FPS written into a video when neither the source nor the timestamps tell it.
DEFAULT_FPS = 30.0


class VideoSink(SinkBase):
    """Write uint8 (H, W, 3) BGR frames to a video file (fragmented mp4 or OpenCV's writer).

    The frame size comes from the first frame (later frames of another size are
    resized to it). With ``fps=None`` the rate is estimated from the timestamps of
    the first ``probe_frames`` frames (they are held back until then), so a
    recording of a live camera plays at the speed it was seen.

    Args:
        path: output file; its folder is created. ``.mp4``/``.mov``/``.m4v``: a fragmented
            mp4 (H.264) when PyAV is installed; other suffixes: OpenCV's writer.
        fps: frames per second to record at, or ``None`` to estimate.
        fourcc: four-character codec code of the files OpenCV writes.
        probe_frames: frames used to estimate the FPS when ``fps`` is None.
        segment_s: start a new file every this many seconds of video (at the recorded
            FPS): ``path``'s name with ``-0000``, ``-0001`` ... before the suffix. ``None``:
            one file, ``path``.
        writer: ``"auto"`` (as above), ``"pyav"`` (fragmented mp4 whatever the suffix) or
            ``"opencv"`` (``cv2.VideoWriter`` whatever the suffix).

    Attributes:
        paths: the files written so far, in order.
        frames_written: frames written to all of them.
        codec: the encoder of the last file opened (``libx264`` ... for a fragmented mp4,
            ``fourcc`` for OpenCV's writer); ``None`` before the first.

    Raises:
        ValueError: ``fps`` or ``segment_s`` is not positive, ``fourcc`` is not 4 characters,
            or ``writer`` is unknown.
        OSError: the folder cannot be created.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float | None = None,
        fourcc: str = "mp4v",
        probe_frames: int = 15,
        *,
        segment_s: float | None = None,
        writer: str = "auto",
    ) -> None:
        if fps is not None and not fps > 0:
            raise ValueError(f"video fps must be > 0, got {fps}")
        if segment_s is not None and not segment_s > 0:
            raise ValueError(f"video segment length must be > 0 s, got {segment_s}")
        if len(fourcc) != 4:
            raise ValueError(f"fourcc must be 4 characters (e.g. 'mp4v'), got {fourcc!r}")
        if writer not in WRITERS:
            raise ValueError(f"video writer must be one of {', '.join(WRITERS)}, got {writer!r}")
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OSError(f"cannot create the folder for the video {self.path}: {e.strerror}") from e
        self.fps = float(fps) if fps else None
        self.fourcc = fourcc
        self.writer_kind = writer
        self.probe_frames = max(2, int(probe_frames))
        self.segment_s = segment_s
        self.paths: list[Path] = []
        self.frames_written = 0
        self.codec: str | None = None
        self._segment_frames = 0  # frames in the current file
        self.size: tuple[int, int] | None = None
        self._writer: FrameWriter | None = None
        self._pending: list[tuple[np.ndarray, float | None]] = []
        self._closed = False

    def segment_path(self, number: int) -> Path:
        """The file of segment ``number`` (0, 1, ...): ``run.mp4`` -> ``run-0003.mp4``."""
        return self.path.with_name(f"{self.path.stem}-{number:04d}{self.path.suffix}")

    def _open(self, fps: float) -> None:
        assert self.size is not None
        path = self.segment_path(len(self.paths)) if self.segment_s else self.path
        writer = open_writer(path, fps, self.size, fourcc=self.fourcc, writer=self.writer_kind)
        self.fps = fps
        self._writer = writer
        self.codec = getattr(writer, "codec", self.fourcc)
        self._segment_frames = 0
        self.paths.append(path)
        log.info("recording %s at %.1f FPS, %dx%d, %s", path, fps, *self.size, self.codec)

    def _finish_file(self) -> None:
        """Close the writer (the file gets its last fragment or its index) and push the file
        to the disk: a finished segment must survive a power cut, not only a kill."""
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        writer.close()
        sync_to_disk(writer.path)

    def _estimate_fps(self) -> float:
        ts = [t for _, t in self._pending if t is not None]
        if len(ts) >= 2 and ts[-1] > ts[0]:
            return float(min(120.0, max(1.0, (len(ts) - 1) / (ts[-1] - ts[0]))))
        return DEFAULT_FPS

    def _put(self, image: np.ndarray) -> None:
        assert self._writer is not None and self.size is not None and self.fps is not None
        if self.segment_s and self._segment_frames >= max(1, round(self.fps * self.segment_s)):
            self._finish_file()
            self._open(self.fps)
        assert self._writer is not None
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        self._writer.write(image)
        self.frames_written += 1
        self._segment_frames += 1

    def _flush_pending(self) -> None:
        if self._pending:
            if self._writer is None:
                self._open(self.fps or self._estimate_fps())
            for img, _ in self._pending:
                self._put(img)
            self._pending.clear()

    def write(self, frame: LiveFrame) -> None:
        """Append the frame's overlay (:meth:`LiveFrame.overlay`) at its time :attr:`LiveFrame.t`."""
        self.write_image(frame.overlay(), frame.t if frame.t is not None else frame.result.frame.timestamp)

    def write_image(self, image: np.ndarray, timestamp: float | None = None) -> None:
        """Append one frame.

        Args:
            image: uint8 (H, W, 3) BGR.
            timestamp: its time in seconds (used only to estimate the FPS).

        Raises:
            ValueError: ``image`` is not uint8 (H, W, 3), or the sink is closed.
            RuntimeError: the writer cannot be opened or fails (disk full ...).
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
                self._finish_file()
                log.info("wrote %d frames to %s", self.frames_written, ", ".join(map(str, self.paths)))
