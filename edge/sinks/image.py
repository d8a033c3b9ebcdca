"""Annotated frames as image files (``edge-run photo.jpg --output out.png``): :class:`ImageSink`.

One image per frame. The first frame goes to the path given; when a run has more
frames (a folder of photos, a video) each frame after the first goes beside it with
its name: ``out.png`` for the first, then ``out-<name>.png`` where ``<name>`` is the
input image's file stem when the source tells it (``names``), else the frame index
(``out-000001.png``). So ``edge-run photos/ --output annotated/out.png`` writes
``annotated/out.png`` (the first photo) and ``annotated/out-<stem>.png`` for the others.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from edge.sinks.base import LiveFrame, SinkBase

log = logging.getLogger(__name__)

#: Output suffixes written as images (lower case); others are videos (:class:`VideoSink`).
IMAGE_OUTPUT_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})


def is_image_path(path: str | Path) -> bool:
    """Whether ``--output`` names an image file (by its suffix, :data:`IMAGE_OUTPUT_EXTENSIONS`)."""
    return Path(path).suffix.lower() in IMAGE_OUTPUT_EXTENSIONS


class ImageSink(SinkBase):
    """Write each frame's overlay (uint8 (H, W, 3) BGR) as an image file.

    Args:
        path: the first frame's file; its suffix picks the format (``.png``, ``.jpg`` ...)
            and its folder is created.
        names: optional callable giving the current input's name (e.g. the photo's
            file stem) for the files after the first; ``None`` or a callable returning
            ``None``: the frame index.

    Attributes:
        written: the files written, in order.

    Raises:
        ValueError: ``path`` does not end in an image suffix.
        OSError: the folder cannot be created.
    """

    def __init__(self, path: str | Path, names: Callable[[], str | None] | None = None) -> None:
        self.path = Path(path)
        if not is_image_path(self.path):
            raise ValueError(
                f"{self.path} is not an image file name; end it in one of "
                f"{', '.join(sorted(IMAGE_OUTPUT_EXTENSIONS))} (or use .mp4 for a video)"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OSError(f"cannot create the folder for {self.path}: {e.strerror}") from e
        self.names = names
        self.written: list[Path] = []
        self._closed = False

    @property
    def frames_written(self) -> int:
        """Images written so far."""
        return len(self.written)

    def path_for(self, index: int) -> Path:
        """The file of the ``index``-th frame written (0: :attr:`path` itself)."""
        if index == 0:
            return self.path
        name = self.names() if self.names is not None else None
        tag = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") if name else ""
        stem = f"{self.path.stem}-{tag or f'{index:06d}'}"
        out = self.path.with_name(stem + self.path.suffix)
        return (
            out if out not in self.written else self.path.with_name(f"{stem}-{index:06d}{self.path.suffix}")
        )

    def write(self, frame: LiveFrame) -> None:
        """Write the frame's overlay (:meth:`LiveFrame.overlay`) to the next file."""
        self.write_image(frame.overlay())

    def write_image(self, image: np.ndarray) -> Path:
        """Write one uint8 (H, W, 3) BGR image; returns its path.

        Raises:
            ValueError: the sink is closed or ``image`` is not uint8 (H, W, 3).
            RuntimeError: OpenCV cannot encode or write the file.
        """
        if self._closed:
            raise ValueError(f"image sink {self.path} is closed")
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"images must be uint8 (H, W, 3) BGR, got {image.dtype} {image.shape}")
        out = self.path_for(len(self.written))
        ok, data = cv2.imencode(out.suffix, image)
        if not ok:
            raise RuntimeError(f"OpenCV cannot encode {out.suffix} images for {out}")
        try:
            data.tofile(str(out))
        except OSError as e:
            raise RuntimeError(f"cannot write {out}: {e}") from e
        self.written.append(out)
        log.info("wrote %s", out)
        return out

    def close(self) -> None:
        """Nothing is held open; further writes raise. Idempotent."""
        self._closed = True
