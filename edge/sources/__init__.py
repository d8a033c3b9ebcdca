"""Frame sources chosen by one spec string: cameras, files, folders, streams, the demos.

=====================================  ================================================
spec                                   source
=====================================  ================================================
``0``, ``"0"``, ``"webcam"``,          OpenCV camera by index (:class:`CameraSource`,
``"webcam:1"``, ``"/dev/video0"``      newest-frame thread)
``"picamera"``, ``"picamera:1"``       Raspberry Pi camera via picamera2
                                       (:class:`~edge.sources.picamera.PiCameraSource`)
``"rtsp://..."``, ``"http://..."``     network stream (:class:`CameraSource`, live)
(also rtsps, rtmp, https, udp, tcp,
srt)
``"clip.mp4"`` (.avi .mov .mkv ...)    video file, every frame (:class:`VideoFileSource`)
``"digit.png"`` (.jpg .bmp .webp ...)  one image (:class:`ImageSource`)
``"photos/"``                          every image in a folder, natural order
``"demo"``, ``"demo:7"``               built-in synthetic scene of handwritten digits
                                       with ground truth, seed 7
                                       (:class:`~edge.sources.demo.DemoSource`)
``"demo-hands"``, ``"demo-hands:7"``   built-in synthetic scene of rock/paper/scissors
                                       hands in rooms, with ground truth and stretches
                                       with no hand (:class:`~edge.sources.demo_hands.
                                       HandsDemoSource`)
=====================================  ================================================

The demo scenes are built from :mod:`~edge.sources.procedural` (the deterministic
segment/frame machinery and image building blocks), :mod:`~edge.sources.handwriting` (digits
traced from the skeletons of :mod:`~edge.sources.glyphs`), :mod:`~edge.sources.render` (the
paper-and-ink renderer, also used by the training data and the benchmark set),
:mod:`~edge.sources.demo_sheet`, :mod:`~edge.sources.hand_shapes`,
:mod:`~edge.sources.rooms` and :mod:`~edge.sources.demo_hands_scene`.

May import: numpy, OpenCV, the camera libraries (only inside the branch that opens
them) and :mod:`edge.types`. Never a later stage, a sink or a CLI.

Like timm's ``reader_factory``, :func:`open_source` picks the backend from the spec
and imports it only in its branch (picamera2 is imported only by the picamera
source, when it opens). Unknown specs raise ``ValueError``; a device that fails
raises ``RuntimeError`` from the cause; nothing falls back to another source.
"""

from __future__ import annotations

import errno
import logging
import os
import re
from pathlib import Path

from edge.sources.base import DEMO_HINT, FrameSource, SourceLost, to_bgr
from edge.sources.camera import STREAM_SCHEMES, CameraSource, LatestFrameReader
from edge.sources.images import IMAGE_EXTENSIONS, ImageSource, read_image
from edge.sources.reconnect import ReconnectingSource
from edge.sources.video import VIDEO_EXTENSIONS, VideoFileSource

log = logging.getLogger(__name__)

__all__ = [
    "CameraSource",
    "FrameSource",
    "ImageSource",
    "LatestFrameReader",
    "ReconnectingSource",
    "SourceLost",
    "VideoFileSource",
    "DEMO_BY_TASK",
    "IMAGE_EXTENSIONS",
    "SPEC_HELP",
    "STREAM_SCHEMES",
    "VIDEO_EXTENSIONS",
    "open_source",
    "read_image",
    "to_bgr",
]

#: The built-in camera-free scene for each model task (``model.json`` ``task``).
DEMO_BY_TASK = {"digits": "demo", "hands": "demo-hands"}

#: The accepted forms, for ``--help`` texts and error messages.
SPEC_HELP = (
    "a webcam index (0, webcam:1, /dev/video0), picamera or picamera:N, a video file "
    "(.mp4 .avi .mov .mkv ...), an image file (.jpg .png ...), a folder of images, a stream "
    "URL (rtsp://, http://, https://, udp://), demo / demo:SEED (built-in synthetic digits scene) "
    "or demo-hands / demo-hands:SEED (built-in synthetic rock/paper/scissors scene)"
)

_INDEXED = re.compile(r"^(webcam|picamera|demo-hands|demo)(?::(-?\d+))?$")


def open_source(
    spec: str | int | Path,
    *,
    width: int | None = None,
    height: int | None = None,
    fps: float | None = None,
    loop: bool = False,
    seed: int = 0,
    realtime: bool = False,
    num_frames: int | None = None,
    skip_unreadable: bool = False,
    max_pixels: int | None = None,
) -> FrameSource:
    """Open the frame source that ``spec`` names (see the module docstring).

    Args:
        spec: the source, e.g. ``0``, ``"webcam:1"``, ``"picamera"``, ``"clip.mp4"``,
            ``"digits/"``, ``"rtsp://host/stream"``, ``"demo"``, ``"demo:7"``,
            ``"demo-hands"``, ``"demo-hands:7"``.
        width: frame width in px: requested from cameras, the demos' frame size
            (default 640); files keep their own size (a warning is logged).
        height: frame height in px, likewise (demo default 480).
        fps: frames per second: requested from cameras; the demos' rate (default
            30) and the timestamp rate of image folders (default 1); videos keep
            their own.
        loop: start files and folders again at the end.
        seed: the demos' seed when the spec gives none (``"demo:7"`` wins).
        realtime: demos only: pace frames to ``fps`` like a camera (skipping frames
            when the consumer is slow) instead of as fast as they are read.
        num_frames: demos only: stop after this many frames (default endless).
        skip_unreadable: folders only: skip images that cannot be read, one warning each
            (:class:`ImageSource`).
        max_pixels: image files and folders: most pixels per image
            (:func:`edge.sources.images.read_image`); ``None``: the default limit.

    Returns:
        An open :class:`FrameSource`; close it (or use ``with``) when done.

    Raises:
        ValueError: an unknown spec, a path that does not exist or cannot be reached (a
            symbolic link loop, no permission), a file type that is neither video nor
            image, an empty folder.
        RuntimeError: a camera, stream or video that cannot be opened (with the cause
            chained and a hint such as ``--source demo``).
    """
    if isinstance(spec, bool) or not isinstance(spec, (str, int, Path)):
        raise ValueError(f"source spec must be a string or a camera index, got {spec!r}; use {SPEC_HELP}")
    if isinstance(spec, int):
        return _camera(spec, width, height, fps)
    text = str(spec).strip()
    if not text:
        raise ValueError(f"empty source spec; use {SPEC_HELP}")
    if text.isdigit():
        return _camera(int(text), width, height, fps)

    m = _INDEXED.match(text.lower())
    if m:
        kind, num = m.group(1), m.group(2)
        if kind == "demo-hands":
            from edge.sources.demo_hands import HandsDemoSource

            return HandsDemoSource(
                int(num) if num is not None else seed,
                width=width or 640,
                height=height or 480,
                fps=fps or 30.0,
                num_frames=num_frames,
                realtime=realtime,
            )
        if kind == "demo":
            from edge.sources.demo import DemoSource

            return DemoSource(
                int(num) if num is not None else seed,
                width=width or 640,
                height=height or 480,
                fps=fps or 30.0,
                num_frames=num_frames,
                realtime=realtime,
            )
        n = int(num) if num is not None else 0
        if n < 0:
            raise ValueError(f"camera number must be >= 0 in {text!r}")
        if kind == "picamera":
            from edge.sources.picamera import PiCameraSource

            return PiCameraSource(n, width=width, height=height, fps=fps)
        return _camera(n, width, height, fps)
    if text.lower().split(":", 1)[0] in ("webcam", "picamera", "demo", "demo-hands") and ":" in text:
        raise ValueError(
            f"bad source spec {text!r}: the part after ':' must be an integer "
            f"(webcam:1, picamera:0, demo:7, demo-hands:7)"
        )

    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme in STREAM_SCHEMES:
            return CameraSource(text, width=width, height=height, fps=fps)
        if scheme == "file":
            text = text[len("file://") :]
        else:
            raise ValueError(
                f"unsupported URL scheme {scheme!r} in {text!r}; "
                f"streams may be {', '.join(s + '://' for s in STREAM_SCHEMES)}"
            )

    if text.startswith("/dev/video"):
        return _camera(text, width, height, fps)

    path = Path(text).expanduser()
    try:
        os.stat(path)
    except OSError as e:
        if e.errno not in (errno.ENOENT, errno.ENOTDIR):
            what = "a symbolic link loop" if e.errno == errno.ELOOP else (e.strerror or str(e))
            raise ValueError(f"cannot open {text!r}: {what}; check the path and its links") from e
    if not path.exists():
        raise ValueError(
            f"no such file or folder: {text!r}; {DEMO_HINT} (or a webcam index such as 0). "
            f"Accepted sources: {SPEC_HELP}"
        )
    if width is not None or height is not None:
        log.warning("width/height are ignored for %s: files keep their own frame size", text)
    if path.is_dir():
        return ImageSource(path, loop=loop, fps=fps, skip_unreadable=skip_unreadable, max_pixels=max_pixels)
    suffix = path.suffix.lower()
    if suffix in VIDEO_EXTENSIONS:
        if fps is not None:
            log.warning("fps is ignored for video %s: the file's own rate is used", text)
        return VideoFileSource(path, loop=loop)
    if suffix in IMAGE_EXTENSIONS:
        return ImageSource(path, loop=loop, fps=fps, max_pixels=max_pixels)
    raise ValueError(
        f"{text!r} is neither a video ({' '.join(sorted(VIDEO_EXTENSIONS))}) nor an image "
        f"({' '.join(sorted(IMAGE_EXTENSIONS))}); accepted sources: {SPEC_HELP}"
    )


def _camera(device: int | str, width: int | None, height: int | None, fps: float | None) -> CameraSource:
    if isinstance(device, int) and device < 0:
        raise ValueError(f"camera index must be >= 0, got {device}")
    return CameraSource(device, width=width, height=height, fps=fps)
