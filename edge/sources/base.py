"""The frame-source interface every backend implements, and colour conversion.

A source hands out :class:`edge.types.Frame` objects one at a time: ``read()``
returns the next frame or ``None`` at the end of the stream. Sources are context
managers and iterables, so the usual loop is::

    with open_source("demo") as source:
        for frame in source:
            ...

Layout in the manner of picamera2's ``outputs/`` and ``previews/``: this base in
its own module and one implementation per module beside it.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Iterator
from types import TracebackType

import numpy as np

from edge.types import Frame

log = logging.getLogger(__name__)

DEMO_HINT = (
    "to run without a camera use `--source demo` (a built-in synthetic scene) "
    "or give a video file or image folder path"
)


class SourceLost(RuntimeError):
    """A source that delivered frames stopped before its normal end.

    A camera unplugged or no longer delivering, a network stream that dropped, ended
    or stalled, a video file that ends before the frames its header announces
    (truncated). ``edge-run`` exits with status 3 on it (a service manager restarts the
    run), where the normal end of a file or folder is 0 and other errors are 2; with
    ``--reconnect N`` cameras and streams are opened again first
    (:class:`edge.sources.reconnect.ReconnectingSource`).
    """


class FrameSource(abc.ABC):
    """A camera, file, folder, stream or synthetic scene that yields frames.

    Every frame a source returns holds a C-contiguous uint8 (H, W, 3) image in BGR
    order (OpenCV's order), a ``timestamp`` in seconds and an ``index`` counting the
    frames this source has returned from 0.

    Subclasses implement :meth:`read` and :meth:`close` and set :attr:`name`,
    :attr:`live` and :attr:`fps`.

    Attributes:
        name: a short human-readable description (e.g. ``"webcam:0"``,
            ``"video:clip.mp4"``), for logs and window titles.
        live: ``True`` for cameras and streams, which drop frames that the consumer
            is too slow to take (only the newest frame is kept, so there is no
            growing lag); ``False`` for files, folders and the demo scene, which
            return every frame in order.
        fps: the nominal frame rate in frames per second, or ``None`` if unknown.
        still: ``True`` for still images (an image file or a folder of photos): each
            frame stands alone, so the live loop shows no FPS and carries no temporal
            vote from one to the next.
    """

    name: str = "source"
    live: bool = False
    fps: float | None = None
    still: bool = False

    @abc.abstractmethod
    def read(self) -> Frame | None:
        """The next frame, or ``None`` at the end of the stream.

        Returns:
            A :class:`~edge.types.Frame` with a uint8 (H, W, 3) BGR image, or
            ``None`` when a file, folder or finite scene is exhausted.

        Raises:
            SourceLost: the device or stream stopped delivering frames, or the file
                ended before its announced length.
            RuntimeError: the device failed.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Release the device or file. Safe to call more than once."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        """Yield frames until :meth:`read` returns ``None``."""
        while True:
            frame = self.read()
            if frame is None:
                return
            yield frame

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, live={self.live}, fps={self.fps})"


def to_bgr(image: np.ndarray, *, background: int = 255) -> np.ndarray:
    """Convert any 8- or 16-bit grey, BGR or BGRA image to contiguous uint8 BGR.

    Args:
        image: uint8 or uint16 array of shape (H, W), (H, W, 1), (H, W, 3) in BGR
            order or (H, W, 4) in BGRA order. uint16 values are scaled to 0..255.
        background: grey level 0..255 that transparent pixels of a BGRA image are
            composited onto (white by default: digits drawn on a transparent
            background keep their contrast).

    Returns:
        uint8 (H, W, 3) C-contiguous array in BGR order. It is ``image`` itself
        when that is already contiguous uint8 BGR.

    Raises:
        ValueError: a dtype or shape that is not an image.
    """
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 or uint16 image, got dtype {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got {image.shape}")
    if image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) * (1.0 / 255.0)
        if np.all(alpha == 1.0):
            return np.ascontiguousarray(image[:, :, :3])
        rgb = image[:, :, :3].astype(np.float32)
        out = rgb * alpha + float(background) * (1.0 - alpha)
        return np.ascontiguousarray(np.clip(out + 0.5, 0, 255).astype(np.uint8))
    return np.ascontiguousarray(image)
