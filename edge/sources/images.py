"""One image file, or a folder of images read in natural sort order."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import cv2
import numpy as np

from edge.sources.base import DEMO_HINT, FrameSource, to_bgr
from edge.sources.image_header import check_pixels
from edge.types import Frame

log = logging.getLogger(__name__)

#: File extensions (lower case) read as images.
IMAGE_EXTENSIONS = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".png",
        ".bmp",
        ".webp",
        ".tif",
        ".tiff",
        ".pgm",
        ".ppm",
        ".pbm",
        ".pnm",
    }
)


def _natural_key(path: Path) -> list[int | str]:
    """Sort key that puts ``img2.png`` before ``img10.png``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly inside ``folder`` (not recursive), in natural sort order.

    Hidden files (names starting with ``.``) are left out.
    """
    folder = Path(folder)
    files = [
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")
    ]
    return sorted(files, key=_natural_key)


def read_image(path: str | Path, *, max_pixels: int | None = None) -> np.ndarray:
    """Read an image file as uint8 (H, W, 3) BGR: the one image reader of ``edge-run``,
    ``edge-eval`` and the image datasets, so every tool sees the same pixels.

    JPEGs are rotated upright by their EXIF orientation (phone photos); grey images
    are repeated to three channels; 16-bit images are scaled to 8 bits; PNG/WebP/TIFF
    with an alpha channel are composited onto white. An image whose header says it
    has more than ``max_pixels`` pixels is refused before it is decoded
    (:func:`edge.sources.image_header.check_pixels`).

    Args:
        path: the image file.
        max_pixels: most pixels (width x height) accepted; ``None``: ``$EDGE_MAX_IMAGE_PIXELS``
            or :data:`edge.sources.image_header.DEFAULT_MAX_PIXELS` (50 MP).

    Returns:
        uint8 (H, W, 3) C-contiguous array in BGR order.

    Raises:
        ValueError: the file is missing, unreadable (permissions, a symbolic link loop),
            empty, corrupt, not an image format OpenCV can decode, or over the pixel
            limit; the message names the file.
    """
    path = Path(path)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        flags = cv2.IMREAD_COLOR  # applies the EXIF orientation; JPEG has no alpha
    else:
        flags = cv2.IMREAD_UNCHANGED  # keep alpha and 16 bits, converted by to_bgr
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as e:
        raise ValueError(f"cannot read image file {str(path)!r}: {e.strerror or e}") from e
    check_pixels(data, repr(str(path)), max_pixels)
    image = cv2.imdecode(data, flags) if data.size else None
    if image is None:
        raise ValueError(f"cannot decode image file {str(path)!r}: it is empty, corrupt or not an image")
    try:
        return to_bgr(image)
    except ValueError as e:
        raise ValueError(f"unsupported image {str(path)!r}: {e}") from e


class ImageSource(FrameSource):
    """Frames from one image file or from every image in a folder.

    Each image is returned once (or endlessly with ``loop``). Images in a folder may
    differ in size. Images carry no time, so ``timestamp`` is ``index / fps``.

    Args:
        path: an image file or a folder of images (``.jpg``, ``.jpeg``, ``.png``,
            ``.bmp``, ``.webp``, ``.tif``, ``.tiff``, ``.pgm``, ``.ppm``, ``.pbm``,
            ``.pnm``), read in natural sort order (``2.png`` before ``10.png``).
        loop: start again from the first image after the last.
        fps: the nominal rate used for timestamps, in frames per second (default
            1.0: the timestamp is the index in seconds).
        skip_unreadable: in a folder, skip a file that cannot be read or decoded (one
            logged warning each, listed in :attr:`skipped`) instead of raising. A single
            image file always raises.
        max_pixels: most pixels per image (:func:`read_image`); ``None``: the default limit.

    Attributes:
        files: the image paths, in the order they are returned.
        current_path: the file of the frame last returned (``None`` before the first).
        skipped: the files skipped as unreadable (each once, also when looping).

    Raises:
        ValueError: ``path`` does not exist, is a folder with no images, or has an
            extension that is not an image.
    """

    live = False
    still = True

    def __init__(
        self,
        path: str | Path,
        *,
        loop: bool = False,
        fps: float | None = None,
        skip_unreadable: bool = False,
        max_pixels: int | None = None,
    ) -> None:
        path = Path(path).expanduser()
        if path.is_dir():
            self.files = list_images(path)
            if not self.files:
                exts = " ".join(sorted(IMAGE_EXTENSIONS))
                raise ValueError(f"no images in folder {str(path)!r} (looked for {exts})")
            self.name = f"images:{path.name or str(path)}"
        elif path.is_file():
            if path.suffix.lower() not in IMAGE_EXTENSIONS:
                raise ValueError(f"{str(path)!r} is not an image file; accepted: {sorted(IMAGE_EXTENSIONS)}")
            self.files = [path]
            self.name = f"image:{path.name}"
        else:
            raise ValueError(f"no such image file or folder: {str(path)!r}; {DEMO_HINT}")
        if fps is not None and fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.path = path
        self.loop = loop
        self.fps = fps
        self.skip_unreadable = skip_unreadable and path.is_dir()
        self.max_pixels = max_pixels
        self.current_path: Path | None = None
        self.skipped: list[Path] = []
        self._next = 0  # position in self.files
        self._index = 0
        self._closed = False
        log.info("opened %s: %d image(s)", self.name, len(self.files))

    def __len__(self) -> int:
        """Number of image files (one pass)."""
        return len(self.files)

    def read(self) -> Frame | None:
        """The next image.

        Returns:
            A :class:`~edge.types.Frame` with a uint8 (H, W, 3) BGR image and
            ``timestamp = index / fps`` seconds, or ``None`` after the last image
            (unless ``loop``).

        Raises:
            ValueError: an image cannot be decoded (and ``skip_unreadable`` is off);
                the message names the file.
            RuntimeError: the source is closed.
        """
        if self._closed:
            raise RuntimeError(f"{self.name} is closed")
        while True:
            if self._next >= len(self.files):
                if self._index == 0:  # a whole pass without one decodable image
                    raise ValueError(
                        f"none of the {len(self.files)} images in {str(self.path)!r} can be decoded"
                    )
                if not self.loop:
                    return None
                self._next = 0
            path = self.files[self._next]
            self._next += 1
            try:
                image = read_image(path, max_pixels=self.max_pixels)
            except ValueError as e:
                if not self.skip_unreadable:
                    raise
                if path not in self.skipped:
                    self.skipped.append(path)
                    log.warning("skipping unreadable image: %s", e)
                continue
            break
        self.current_path = path
        frame = Frame(image=image, timestamp=self._index / (self.fps or 1.0), index=self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        """Nothing is held open; further reads raise. Idempotent."""
        self._closed = True
