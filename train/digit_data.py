"""More digit data behind MNIST's loader interface: SVHN, recoloured and camera MNIST.

Every loader returns what :func:`edge.datasets.load_mnist` returns:
``{"train": (x, y), "test": (x, y)}`` with x uint8 (N, 28, 28) white ink on black,
0..255, and y uint8 (N,) digits 0..9, so the training code treats them alike.
:func:`load_digit_datasets` reads a spec such as ``"mnist+svhn"`` (``edge-train
lenet --dataset``).

- ``mnist``: :func:`edge.datasets.load_mnist` (IDX files, ``mnist.npz``, Kaggle CSV).
- ``svhn``: the Street View House Numbers cropped digits (:mod:`train.svhn`).
- ``recoloured``: MNIST digits rendered as camera photos of coloured ink on paper and
  normalised by the device's preprocessing (:mod:`train.recoloured`).
- ``camera``: MNIST training digits drawn by the camera-like benchmark's renderer and read
  by the device's crop preprocessing, rendered once to a ``.npz`` (:mod:`train.camera_digits`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from edge.datasets import load_mnist
from train.camera_digits import load_camera_set
from train.recoloured import load_recoloured_mnist
from train.svhn import load_svhn

log = logging.getLogger(__name__)

#: Dataset names accepted in a ``--dataset`` spec (joined with ``+``).
DIGIT_DATASETS = ("mnist", "svhn", "recoloured", "camera")


def parse_dataset_spec(spec: str) -> tuple[str, ...]:
    """``"mnist+svhn"`` → ``("mnist", "svhn")``.

    Raises:
        ValueError: an empty spec, an unknown or repeated name (the message lists the names).
    """
    names = tuple(n.strip().lower() for n in spec.split("+") if n.strip())
    if not names:
        raise ValueError(f"empty dataset spec {spec!r}; use e.g. mnist, svhn, mnist+svhn, mnist+recoloured")
    bad = [n for n in names if n not in DIGIT_DATASETS]
    if bad:
        raise ValueError(
            f"unknown digit dataset(s) {bad} in {spec!r}; choose from {DIGIT_DATASETS} "
            "joined with '+', e.g. mnist+svhn"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"dataset spec {spec!r} names a dataset twice")
    return names


def load_digit_datasets(
    spec: str,
    data_dir: str | Path | None = None,
    download: bool = False,
    svhn_dir: str | Path | None = None,
    svhn_framing: str = "box",
    recoloured_n: int = 20000,
    seed: int = 0,
    camera_data: str | Path | None = None,
) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The digit datasets of a ``--dataset`` spec, each in MNIST's loader format.

    Args:
        spec: names from :data:`DIGIT_DATASETS` joined with ``+`` (``"mnist+svhn"``).
        data_dir, download: where MNIST is (see :func:`edge.datasets.load_mnist`).
        svhn_dir: SVHN folder (see :func:`train.svhn.load_svhn`).
        svhn_framing: see :func:`train.svhn.svhn_to_mnist`.
        recoloured_n: recoloured training digits (the test part renders 1/10 of
            that, at most 10,000).
        seed: rendering seed of the recoloured set.
        camera_data: the ``.npz`` of the ``camera`` dataset
            (:func:`train.camera_digits.save_camera_set`).

    Returns:
        ``{name: {"train": (x, y), "test": (x, y)}}`` in spec order; x uint8
        (N, 28, 28) white ink on black, y uint8 (N,) 0..9.

    Raises:
        ValueError: a bad spec, or ``camera`` in it without ``camera_data``.
        DatasetError: a dataset cannot be found, or the ``camera_data`` file is missing,
            corrupt or not a camera MNIST set (the message says how to get or render it).
    """
    names = parse_dataset_spec(spec)
    if recoloured_n < 1 and "recoloured" in names:
        raise ValueError(f"recoloured_n must be >= 1 with the recoloured dataset, got {recoloured_n}")
    if "camera" in names and camera_data is None:
        raise ValueError(
            "the camera dataset is read from a file: render it with python -m train.camera_digits "
            "--out FILE.npz and pass --camera-data FILE.npz"
        )
    # the camera set first: a missing or corrupt file is reported before MNIST is read
    camera = load_camera_set(camera_data) if camera_data is not None and "camera" in names else None
    out: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    mnist = None
    if "mnist" in names or "recoloured" in names:
        mnist = load_mnist(data_dir, download=download)
    for name in names:
        if name == "mnist":
            assert mnist is not None
            out[name] = mnist
        elif name == "svhn":
            out[name] = load_svhn(svhn_dir, svhn_framing)
        elif name == "camera":
            assert camera is not None
            out[name] = camera
        else:
            assert mnist is not None
            n_test = min(10000, max(1, recoloured_n // 10))
            # Rendering costs about 2 ms a digit: keep it for the next run in this process (sweeps).
            key = (str(data_dir), recoloured_n, n_test, seed, len(mnist["train"][0]))
            if key not in _RECOLOURED_CACHE:
                log.info("rendering %d + %d recoloured MNIST digits", recoloured_n, n_test)
                _RECOLOURED_CACHE.clear()
                _RECOLOURED_CACHE[key] = load_recoloured_mnist(mnist, recoloured_n, n_test, seed)
            out[name] = _RECOLOURED_CACHE[key]
    return out


_RECOLOURED_CACHE: dict[tuple, dict[str, tuple[np.ndarray, np.ndarray]]] = {}


__all__ = ["DIGIT_DATASETS", "load_digit_datasets", "parse_dataset_spec"]
