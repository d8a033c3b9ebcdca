"""Gesture photos as arrays: read, square-pad and resize the samples of :mod:`train.hand_data`.

:func:`load_images` frames every photo as the device does (:func:`edge.preprocess.square_pad`)
and returns uint8 RGB squares; :func:`load_tfds` reads TFDS ``rock_paper_scissors``
for users who have ``tensorflow_datasets``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import cv2
import numpy as np

from edge.datasets import DatasetError
from edge.preprocess import square_pad  # the device's own framing of --crop photos
from train.hand_data import HAND_LABELS, HandSample

log = logging.getLogger(__name__)


def load_images(
    samples: Sequence[HandSample],
    size: int,
    labels: Sequence[str] = HAND_LABELS,
) -> tuple[np.ndarray, np.ndarray]:
    """Read, square-pad and resize every photo.

    Args:
        samples: photos to read.
        size: side of the output squares in px.
        labels: class order for the returned indices.

    Returns:
        (images uint8 (N, size, size, 3) **RGB** in [0, 255], labels int64 (N,)).

    Raises:
        DatasetError: a photo cannot be read (names the file; delete or replace it).
    """
    x = np.zeros((len(samples), size, size, 3), np.uint8)
    y = np.zeros(len(samples), np.int64)
    index = {c: i for i, c in enumerate(labels)}
    for i, s in enumerate(samples):
        img = cv2.imread(str(s.path), cv2.IMREAD_COLOR)
        if img is None:
            raise DatasetError(f"cannot read image {s.path}: delete or replace the file")
        img = square_pad(img)  # as edge.preprocess.crop_input does on the device
        interp = cv2.INTER_AREA if img.shape[0] > size else cv2.INTER_LINEAR
        x[i] = cv2.cvtColor(cv2.resize(img, (size, size), interpolation=interp), cv2.COLOR_BGR2RGB)
        y[i] = index[s.label]
    return x, y


def load_tfds(split: str = "train", size: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """TFDS ``rock_paper_scissors`` (Moroney 2019, CGI hands on white) for users who have it.

    Args:
        split: ``"train"`` (2,520 images) or ``"test"`` (372).
        size: output side in px.

    Returns:
        (uint8 (N, size, size, 3) RGB, int64 (N,)) in :data:`HAND_LABELS` order (TFDS
        orders rock, paper, scissors as 0, 1, 2, the same).

    Raises:
        DatasetError: ``tensorflow_datasets`` is not installed or the data is not
            downloaded (TFDS downloads it on first use when online).
    """
    try:
        import tensorflow_datasets as tfds  # optional
    except ImportError as e:
        raise DatasetError(
            "TFDS is not installed: `pip install tensorflow-datasets`, or unpack "
            "rps.zip / rps-test-set.zip and pass the folder with --data"
        ) from e
    try:
        ds = tfds.load("rock_paper_scissors", split=split, as_supervised=True)
    except Exception as e:  # noqa: BLE001 - TFDS raises many types for a missing download
        raise DatasetError(
            f"TFDS rock_paper_scissors unavailable ({e}); run once online or "
            "pass the unpacked folder with --data"
        ) from e
    xs, ys = [], []
    for img, lab in tfds.as_numpy(ds):
        xs.append(cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA))
        ys.append(int(lab))
    return np.stack(xs).astype(np.uint8), np.asarray(ys, np.int64)
