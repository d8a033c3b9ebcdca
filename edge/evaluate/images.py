"""Image-folder datasets: one sub-folder per class, named as in the bundle's ``labels.txt``
(``DIR/3/*.png``, ``DIR/rock/*.jpg``); :func:`list_image_folder` lists them,
:func:`read_image` reads one as uint8 (H, W, 3) BGR.

Imports :mod:`edge.datasets` (for :class:`~edge.datasets.DatasetError`) and
:mod:`edge.sources.images` (the one image reader).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.datasets import DatasetError
from edge.sources.images import read_image as read_source_image

log = logging.getLogger(__name__)


#: File suffixes read as images in class folders (others are ignored).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm")


@dataclass(frozen=True)
class LabelledImage:
    """One photo of an image folder: its path and class index."""

    path: Path
    label_index: int


def list_image_folder(
    root: str | Path, labels: Sequence[str], limit: int | None = None
) -> list[LabelledImage]:
    """The images of a folder of class folders, checked against the bundle's labels.

    Args:
        root: folder with one sub-folder per class (names as in ``labels.txt``);
            files with suffixes in :data:`IMAGE_SUFFIXES` are taken, others ignored.
        labels: the bundle's labels.
        limit: at most this many images, taken round-robin over the classes
            (in sorted file order) so every class stays represented.

    Returns:
        Images sorted by class then file name (interleaved when ``limit`` cuts).

    Raises:
        DatasetError: ``root`` missing, no class folders or images, or a class
            folder whose name is not one of ``labels``.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetError(
            f"image folder {root} does not exist: pass a folder of class folders "
            "(e.g. DIR/0/*.png ... DIR/9/*.png)"
        )
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DatasetError(
            f"{root} has no class folders: put the images of each class in a "
            f"sub-folder named after it, one of {list(labels)}"
        )
    unknown = [p.name for p in folders if p.name not in labels]
    if unknown:
        raise DatasetError(
            f"class folder(s) {unknown} in {root} are not labels of this model "
            f"{list(labels)}: rename them or use the matching bundle"
        )
    per_class: list[list[LabelledImage]] = []
    for p in folders:
        idx = list(labels).index(p.name)
        files = sorted(
            f
            for f in p.rglob("*")
            if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES and not f.name.startswith(".")
        )
        per_class.append([LabelledImage(f, idx) for f in files])
    total = sum(len(c) for c in per_class)
    if total == 0:
        raise DatasetError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in the class folders of {root}")
    if limit is None or limit >= total:
        return [it for c in per_class for it in c]
    picked: list[LabelledImage] = []
    i = 0
    while len(picked) < limit:
        for c in per_class:
            if i < len(c) and len(picked) < limit:
                picked.append(c[i])
        i += 1
    return sorted(picked, key=lambda it: (it.label_index, it.path))


def read_image(path: str | Path, *, max_pixels: int | None = None) -> np.ndarray:
    """Read a photo as uint8 (H, W, 3) BGR, exactly as ``edge-run`` reads it
    (:func:`edge.sources.images.read_image`: EXIF orientation, alpha composited on white,
    16 bits scaled to 8, the pixel limit).

    Args:
        path: the image file.
        max_pixels: most pixels accepted; ``None``: the default limit.

    Raises:
        DatasetError: the file cannot be read or decoded, or is over the pixel limit
            (the message names it).
    """
    try:
        return read_source_image(path, max_pixels=max_pixels)
    except ValueError as e:
        raise DatasetError(f"{e}; remove it or pass --skip-unreadable") from e


# -- evaluation runs ------------------------------------------------------------------


def load_images(
    items: Sequence[LabelledImage], skip_unreadable: bool, *, max_pixels: int | None = None
) -> tuple[list[tuple[LabelledImage, np.ndarray]], list[str]]:
    """Read every listed image.

    Args:
        items: from :func:`list_image_folder`.
        skip_unreadable: log and skip images that cannot be read instead of raising.
        max_pixels: most pixels per image (:func:`read_image`); ``None``: the default limit.

    Returns:
        ``([(item, uint8 (H, W, 3) BGR image), ...], [paths skipped])``.

    Raises:
        DatasetError: an image cannot be read (unless ``skip_unreadable``).
    """
    ok: list[tuple[LabelledImage, np.ndarray]] = []
    skipped: list[str] = []
    for it in items:
        try:
            ok.append((it, read_image(it.path, max_pixels=max_pixels)))
        except DatasetError as e:
            if not skip_unreadable:
                raise
            log.warning("skipping %s", e)
            skipped.append(str(it.path))
    return ok, skipped
