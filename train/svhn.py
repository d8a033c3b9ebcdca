"""SVHN in MNIST's loader format: ``{"train": (x, y), "test": (x, y)}``, x uint8 (N, 28, 28) white on black.

The Street View House Numbers *cropped digits* (Netzer et al., "Reading
Digits in Natural Images with Unsupervised Feature Learning", NIPS workshop 2011),
``train_32x32.mat`` / ``test_32x32.mat`` from http://ufldl.stanford.edu/housenumbers/
(MATLAB files: ``X`` uint8 (32, 32, 3, N) RGB, ``y`` (N, 1) in 1..10 where 10 is
the digit 0), read with ``scipy.io.loadmat``. House numbers come in both
polarities, so each crop is turned into white ink on a black background
(:func:`svhn_to_mnist`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from edge.datasets import DatasetError
from train.pixels import light_on_dark, stretch, to_uint8

log = logging.getLogger(__name__)


#: SVHN cropped-digit files per split.
SVHN_FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}


SVHN_URL = "http://ufldl.stanford.edu/housenumbers/"


SVHN_HOW_TO = (
    f"Download the cropped digits (format 2) train_32x32.mat and test_32x32.mat from {SVHN_URL} "
    "into one folder and pass it with --svhn-dir DIR (or put them in $EDGE_DATA_DIR/svhn)"
)


#: How SVHN crops are framed at 28×28 (see :func:`svhn_to_mnist`).
SVHN_FRAMINGS = ("box", "normalise")


def _svhn_dir(svhn_dir: str | Path | None) -> Path:
    import os

    if svhn_dir is not None:
        return Path(svhn_dir).expanduser()
    env = os.environ.get("EDGE_DATA_DIR")
    if env and (Path(env) / "svhn").is_dir():
        return Path(env) / "svhn"
    raise DatasetError("SVHN location not given. " + SVHN_HOW_TO)


def read_svhn_mat(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one SVHN cropped-digits ``.mat`` file.

    Args:
        path: ``train_32x32.mat`` or ``test_32x32.mat`` (MATLAB v5 format, as published).

    Returns:
        (uint8 (N, 32, 32, 3) **RGB** crops, uint8 (N,) digits 0..9: SVHN's label 10
        is the digit 0).

    Raises:
        DatasetError: missing or unreadable file, no ``X``/``y``, wrong shapes or
            labels outside 1..10 (the message says where to download the files).
    """
    from scipy.io import loadmat

    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"SVHN file {p} not found. " + SVHN_HOW_TO)
    try:
        mat = loadmat(p)
    except (OSError, ValueError, NotImplementedError) as e:
        raise DatasetError(
            f"cannot read {p} as a MATLAB file ({e}); download it again. " + SVHN_HOW_TO
        ) from e
    if "X" not in mat or "y" not in mat:
        raise DatasetError(
            f"{p} lacks the X and y arrays of SVHN's cropped digits (format 2); "
            "the full-number format 1 files are not supported. " + SVHN_HOW_TO
        )
    x, y = np.asarray(mat["X"]), np.asarray(mat["y"]).reshape(-1)
    if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or x.shape[3] != len(y):
        raise DatasetError(
            f"{p}: X has shape {x.shape} and y {mat['y'].shape}; SVHN cropped digits "
            "have X (32, 32, 3, N) and y (N, 1)"
        )
    if y.size and (y.min() < 1 or y.max() > 10):
        raise DatasetError(f"{p}: labels span {y.min()}..{y.max()}; SVHN labels are 1..10 (10 = digit 0)")
    if x.dtype != np.uint8:
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DatasetError(f"{p}: X holds values {x.min()}..{x.max()}; SVHN pixels are uint8 0..255")
        x = to_uint8(x)
    x = np.ascontiguousarray(np.moveaxis(x, 3, 0))  # (N, 32, 32, 3)
    return x, (y % 10).astype(np.uint8)


def svhn_to_mnist(x_rgb: np.ndarray, framing: str = "box") -> tuple[np.ndarray, np.ndarray]:
    """SVHN crops → MNIST-like 28×28 grey inputs, white ink on black.

    Grey is ITU-R 601 luma (``cv2.COLOR_RGB2GRAY``); crops whose border is brighter
    than their centre are inverted (:func:`train.pixels.light_on_dark`) and each is stretched so
    its background is 0 and its ink 255 (:func:`train.pixels.stretch`).

    Args:
        x_rgb: uint8 (N, 32, 32, 3) RGB crops (:func:`read_svhn_mat`).
        framing: ``"box"``: the square crop (the digit's box, extended to a square
            by SVHN) is area-resized to MNIST's 20×20 box and pasted in the middle of
            28×28, neighbours' strokes included; ``"normalise"``: the device's
            :func:`edge.preprocess.mnist_normalise` finds the digit in the crop (as
            ``edge-eval --crop`` does), crops with no ink found are dropped.

    Returns:
        (uint8 (M, 28, 28) in 0..255, int64 (M,) indices of the kept input crops);
        M = N for ``"box"``.

    Raises:
        ValueError: wrong shape/dtype or unknown framing.
    """
    if x_rgb.ndim != 4 or x_rgb.shape[1:] != (32, 32, 3) or x_rgb.dtype != np.uint8:
        raise ValueError(f"expected uint8 (N, 32, 32, 3) RGB SVHN crops, got {x_rgb.dtype} {x_rgb.shape}")
    if framing not in SVHN_FRAMINGS:
        raise ValueError(f"unknown SVHN framing {framing!r}; choose one of {SVHN_FRAMINGS}")
    n = len(x_rgb)
    grey = np.empty((n, 32, 32), np.uint8)
    for i in range(n):
        grey[i] = cv2.cvtColor(x_rgb[i], cv2.COLOR_RGB2GRAY)
    ink = stretch(light_on_dark(grey))
    out = np.zeros((n, 28, 28), np.uint8)
    if framing == "box":
        for i in range(n):
            out[i, 4:24, 4:24] = cv2.resize(ink[i], (20, 20), interpolation=cv2.INTER_AREA)
        return out, np.arange(n)
    from edge.preprocess import mnist_normalise

    keep: list[int] = []
    for i in range(n):
        m = mnist_normalise(255 - ink[i])  # the device reads dark ink on light paper
        if m.max() > 0:
            out[len(keep)] = to_uint8(m * 255.0)
            keep.append(i)
    if len(keep) < n:
        log.info("SVHN normalise framing: no digit found in %d of %d crops (dropped)", n - len(keep), n)
    return out[: len(keep)], np.asarray(keep, np.int64)


@functools.lru_cache(maxsize=4)
def _load_svhn_cached(
    folder: str, framing: str, splits: tuple[str, ...]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for split in splits:
        x, y = read_svhn_mat(Path(folder) / SVHN_FILES[split])
        log.info("SVHN %s: %d crops, converting (%s framing)", split, len(x), framing)
        g, keep = svhn_to_mnist(x, framing)
        out[split] = (g, y[keep])
    return out


def load_svhn(
    svhn_dir: str | Path | None = None, framing: str = "box", splits: Sequence[str] = ("train", "test")
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """SVHN cropped digits as MNIST-like arrays (cached per process).

    Args:
        svhn_dir: folder with ``train_32x32.mat`` and ``test_32x32.mat``; ``None``:
            ``$EDGE_DATA_DIR/svhn``.
        framing: see :func:`svhn_to_mnist`.
        splits: which splits to read.

    Returns:
        ``{split: (uint8 (N, 28, 28) white ink on black, uint8 (N,) digits 0..9)}``.

    Raises:
        DatasetError: folder or files missing or malformed; the message gives the
            download address (http://ufldl.stanford.edu/housenumbers/).
        ValueError: unknown framing or split.
    """
    folder = _svhn_dir(svhn_dir)
    if not folder.is_dir():
        raise DatasetError(f"SVHN folder {folder} does not exist. " + SVHN_HOW_TO)
    bad = [s for s in splits if s not in SVHN_FILES]
    if bad:
        raise ValueError(f"unknown SVHN split(s) {bad}; use {tuple(SVHN_FILES)}")
    if framing not in SVHN_FRAMINGS:
        raise ValueError(f"unknown SVHN framing {framing!r}; choose one of {SVHN_FRAMINGS}")
    missing = [SVHN_FILES[s] for s in splits if not (folder / SVHN_FILES[s]).is_file()]
    if missing:
        raise DatasetError(f"{folder} lacks {', '.join(missing)}. " + SVHN_HOW_TO)
    return dict(_load_svhn_cached(str(folder.resolve()), framing, tuple(splits)))


__all__ = [
    "SVHN_FILES",
    "SVHN_FRAMINGS",
    "SVHN_HOW_TO",
    "SVHN_URL",
    "load_svhn",
    "read_svhn_mat",
    "svhn_to_mnist",
]
