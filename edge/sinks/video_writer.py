"""The encoders behind :class:`edge.sinks.VideoSink`: one video file, frame by frame.

- :class:`FragmentedMp4Writer` (PyAV, the ``av`` package, imported only here and only
  when a writer is opened): ``.mp4`` / ``.mov`` / ``.m4v`` as a *fragmented* mp4
  (``movflags=frag_keyframe+empty_moov+default_base_moof``): the index goes at the start
  and every keyframe (one a second, :data:`KEYFRAME_S`) closes a fragment that plays on
  its own and is written out at once (``flush_packets``), then synced to the disk by a
  background thread (:class:`BackgroundSync`), so a recording cut off by SIGKILL or a
  power cut plays up to about its last second. H.264 (``libx264``, preset ``ultrafast``,
  tune ``zerolatency``: no frames held in the encoder), or MPEG-4 part 2 where the FFmpeg
  that PyAV carries has no H.264 encoder; yuv420p, odd sizes padded by one pixel.
- :class:`OpenCVWriter` (``cv2.VideoWriter``, codec ``mp4v``): ``.mkv`` / ``.avi`` (which
  survive a kill anyway) and ``.mp4`` when PyAV is missing (with one warning: such an
  ``.mp4`` plays only after a clean stop).

:func:`open_writer` picks one. Both take uint8 (H, W, 3) BGR frames of the size given.
PyAV is imported after OpenCV (this module imports ``cv2`` first): the other way round,
OpenCV's Qt window hangs in ``cv2.imshow`` (PyAV issues #978, #1050: the two wheels carry
different libxcb copies); checked with ``edge-run --output x.mp4`` and a window under Xvfb.
"""

from __future__ import annotations

import logging
import os
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

log = logging.getLogger(__name__)

#: Suffixes written as fragmented mp4 when PyAV is installed (lower case).
MP4_SUFFIXES = (".mp4", ".mov", ".m4v")
#: Seconds between keyframes, i.e. fragments: what a kill loses at most (plus the
#: frames of the fragment being written).
KEYFRAME_S = 1.0
#: H.264 encoders tried in order, then MPEG-4 part 2 (every FFmpeg build has it).
CODECS = ("libx264", "h264", "mpeg4")
#: Muxer options of a fragmented mp4 whose fragments each play without the rest.
MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"
#: Writer choices of :func:`open_writer`.
WRITERS = ("auto", "pyav", "opencv")

_warned_no_pyav = False


class FrameWriter(Protocol):
    """One open video file: ``write`` uint8 (H, W, 3) BGR frames, then ``close``."""

    path: Path

    def write(self, image: np.ndarray) -> None:
        """Append one frame of the writer's size."""

    def close(self) -> None:
        """Finish the file (its last fragment or its index)."""


def import_pyav() -> Any:
    """The ``av`` module, or ``None`` when PyAV is not installed (or cannot load)."""
    try:
        import av
    except ImportError:
        return None
    return av


def open_writer(
    path: Path, fps: float, size: tuple[int, int], *, fourcc: str = "mp4v", writer: str = "auto"
) -> FrameWriter:
    """Open a video file for frames of ``size``.

    Args:
        path: the file; ``.mp4``/``.mov``/``.m4v`` are written as fragmented mp4 with PyAV
            when ``writer`` is ``"auto"`` and PyAV is installed, everything else with OpenCV.
        fps: frames per second (> 0).
        size: (width, height) in px.
        fourcc: OpenCV's codec, for the files OpenCV writes.
        writer: ``"auto"``, ``"pyav"`` (fragmented mp4 whatever the suffix; an error without
            PyAV) or ``"opencv"``.

    Raises:
        ValueError: ``writer`` is none of :data:`WRITERS`, or ``"pyav"`` without PyAV.
        RuntimeError: the file cannot be opened (folder not writable, no such codec ...).
    """
    if writer not in WRITERS:
        raise ValueError(f"video writer must be one of {', '.join(WRITERS)}, got {writer!r}")
    if writer == "opencv" or (writer == "auto" and path.suffix.lower() not in MP4_SUFFIXES):
        return OpenCVWriter(path, fps, size, fourcc)
    av = import_pyav()
    if av is not None:
        return FragmentedMp4Writer(path, fps, size, av=av)
    if writer == "pyav":
        raise ValueError("the fragmented mp4 writer needs PyAV: pip install av")
    global _warned_no_pyav
    if not _warned_no_pyav:
        _warned_no_pyav = True
        log.warning(
            "PyAV is not installed: %s is written by OpenCV and will not play if the run is killed "
            "(SIGKILL, power cut) before it is closed; pip install av, or record to .mkv, or use "
            "--segment-seconds",
            path,
        )
    return OpenCVWriter(path, fps, size, fourcc)


class OpenCVWriter:
    """``cv2.VideoWriter`` with codec ``fourcc``; an ``.mp4`` gets its index on :meth:`close`.

    Raises:
        RuntimeError: OpenCV cannot open the file.
    """

    def __init__(self, path: Path, fps: float, size: tuple[int, int], fourcc: str = "mp4v") -> None:
        self.path = path
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
        if not self._writer.isOpened():
            raise RuntimeError(
                f"cannot open a video writer for {path} (codec {fourcc}, {fps:.1f} FPS, "
                f"{size[0]}x{size[1]}): check the folder is writable and use a .mp4 or .mkv "
                "file name (OpenCV needs its FFmpeg backend)"
            )

    def write(self, image: np.ndarray) -> None:
        """Append a uint8 (H, W, 3) BGR frame of the writer's size."""
        self._writer.write(image)

    def close(self) -> None:
        """Release the writer (idempotent)."""
        self._writer.release()


class FragmentedMp4Writer:
    """A fragmented mp4 written with PyAV: every keyframe starts a fragment that plays
    without the rest of the file.

    Args:
        path: the file (``.mp4``, ``.mov``, ``.m4v``).
        fps: frames per second (> 0); keyframes every ``keyframe_s`` seconds of them.
        size: (width, height) in px; odd sizes are padded by one black row/column.
        keyframe_s: seconds between keyframes (fragments): what a kill loses at most.
        av: the ``av`` module (:func:`import_pyav`).

    Attributes:
        codec: the encoder used (``libx264``, ``h264`` or ``mpeg4``).

    Raises:
        RuntimeError: the file cannot be created, or no encoder of :data:`CODECS` opens.
    """

    def __init__(
        self, path: Path, fps: float, size: tuple[int, int], *, keyframe_s: float = KEYFRAME_S, av: Any
    ) -> None:
        self.path = path
        self._av = av
        self._size = size
        self._even = (size[0] + size[0] % 2, size[1] + size[1] % 2)
        self._pts = 0
        self._container: Any = None
        self._stream: Any = None
        self._sync: BackgroundSync | None = None
        self.codec = ""
        rate = Fraction(fps).limit_denominator(1001)
        gop = max(1, round(fps * keyframe_s))
        failed = []
        for name in (c for c in CODECS if c in av.codecs_available):
            try:
                self._open(name, rate, gop)
                return
            except av.error.FFmpegError as e:  # an encoder listed that cannot open: try the next
                failed.append(f"{name}: {e}")
        raise RuntimeError(
            f"cannot write {path}: no video encoder of {', '.join(CODECS)} opens in PyAV's FFmpeg "
            f"({'; '.join(failed) or 'none is built in'}); record to .mkv or reinstall av"
        )

    def _open(self, name: str, rate: Fraction, gop: int) -> None:
        av = self._av
        muxer = "mov" if self.path.suffix.lower() == ".mov" else "mp4"
        # flush_packets: each fragment goes to the file when it is complete, not when
        # FFmpeg's output buffer happens to fill (the header too).
        container = av.open(
            str(self.path), "w", format=muxer, options={"movflags": MOVFLAGS, "flush_packets": "1"}
        )
        try:
            stream = container.add_stream(name, rate=rate)
            stream.width, stream.height = self._even
            stream.pix_fmt = "yuv420p"
            ctx = stream.codec_context
            ctx.gop_size = gop
            if name == "mpeg4":  # FFmpeg's default 200 kbit/s smears the overlay's text
                ctx.bit_rate = max(1_000_000, int(self._even[0] * self._even[1] * float(rate) * 0.15))
            else:  # fast, and every frame leaves the encoder at once (nothing held back)
                ctx.options = {"preset": "ultrafast", "tune": "zerolatency"}
            ctx.open()
            try:  # creates the file and writes the header
                container.start_encoding()
            except (av.error.FFmpegError, OSError) as e:
                raise RuntimeError(
                    f"cannot create the video {self.path}: {getattr(e, 'strerror', None) or e}; "
                    "check the folder exists and is writable"
                ) from e
        except BaseException:
            container.close()
            raise
        self._container, self._stream, self.codec = container, stream, name
        self._sync = BackgroundSync(self.path)

    def write(self, image: np.ndarray) -> None:
        """Encode a uint8 (H, W, 3) BGR frame of the writer's size and mux what comes out.

        Raises:
            RuntimeError: the encoder or the file failed (disk full ...).
        """
        if self._even != self._size:
            pad_h, pad_w = self._even[1] - self._size[1], self._even[0] - self._size[0]
            image = cv2.copyMakeBorder(image, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420)  # (H * 3/2, W) planar, as yuv420p
        frame = self._av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = self._pts
        self._pts += 1
        try:
            packets = self._stream.encode(frame)
            self._container.mux(packets)
        except (self._av.error.FFmpegError, OSError) as e:
            raise RuntimeError(f"cannot write the video {self.path}: {e}") from e
        if self._sync is not None and any(p.is_keyframe for p in packets):
            self._sync.request()  # a keyframe closed the previous fragment: push it to the disk

    def close(self) -> None:
        """Flush the encoder, write the last fragment and the index of fragments (idempotent).

        Raises:
            RuntimeError: the last fragment cannot be written (disk full ...).
        """
        if self._container is None:
            return
        container, self._container = self._container, None
        error: Exception | None = None
        try:
            container.mux(self._stream.encode(None))
        except (self._av.error.FFmpegError, OSError) as e:
            error = e
        try:
            container.close()
        except (self._av.error.FFmpegError, OSError) as e:
            error = error or e
        if self._sync is not None:
            self._sync.close()
        if error is not None:
            raise RuntimeError(f"cannot finish the video {self.path}: {error}") from error


class BackgroundSync:
    """``fsync`` a file that is being written, on a thread of its own, whenever asked.

    A fragment written to the file sits in the page cache until the kernel writes it back
    (tens of seconds): it survives a kill but not a power cut. Syncing on the loop's thread
    would stall it (an SD card takes tens of ms), so a daemon thread does it; requests that
    come while it syncs are merged into the next one.

    Args:
        path: the file, already created.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except OSError:
            log.debug("cannot open %s to sync it", path, exc_info=True)
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"sync {path.name}", daemon=True)
        if self._fd is not None:
            self._thread.start()

    def request(self) -> None:
        """Ask for a sync (returns at once)."""
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                os.fsync(self._fd)  # type: ignore[arg-type]
            except OSError:
                log.debug("cannot sync %s", self.path, exc_info=True)

    def close(self) -> None:
        """Stop the thread and close the file descriptor (idempotent; the caller syncs at the end)."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def sync_to_disk(path: Path) -> None:
    """``fsync`` a finished file so it survives a power cut, not only a kill (errors: debug log)."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        log.debug("cannot sync %s", path, exc_info=True)
