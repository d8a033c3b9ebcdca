"""MNIST without TensorFlow: the Keras ``mnist.npz``, the four IDX files, or Kaggle CSV.

Used by ``edge-eval --dataset mnist`` on the device and by ``train`` for training.
Where to look, in order:

1. ``data_dir`` (``--data-dir``), else the ``EDGE_DATA_DIR`` environment variable:
   a folder holding the four IDX files (``train-images-idx3-ubyte[.gz]`` ...), or
   ``mnist.npz``, or Kaggle's ``mnist_train.csv``/``mnist_test.csv`` (or
   ``train.csv``/``test.csv``) with the label first and 784 pixels after it; a path
   to an ``.npz`` file is accepted too. With ``EDGE_DATA_DIR`` a ``mnist/`` subfolder
   is also tried.
2. The Keras cache ``~/.keras/datasets/mnist.npz`` (what ``keras.datasets.mnist``
   downloads).
3. With ``download=True``: the same file Keras downloads, from the same URL, into
   the same cache.

IDX format: Y. LeCun et al., http://yann.lecun.com/exdb/mnist/ (big-endian header:
magic ``0x00000803`` for images with 3 dims, ``0x00000801`` for labels).
"""

from __future__ import annotations

import gzip
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_CACHE = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"
IDX_NAMES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
HOW_TO = (
    "Provide MNIST one of these ways: (1) --data-dir DIR or EDGE_DATA_DIR=DIR pointing at "
    "a folder with the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), or at mnist.npz, or at Kaggle's "
    "mnist_train.csv/mnist_test.csv; (2) with internet, run with --download (or once "
    "python -c 'import keras; keras.datasets.mnist.load_data()') to fill the Keras cache "
    f"{KERAS_CACHE}"
)


class DatasetError(ValueError):
    """A dataset is missing or malformed; the message says how to provide it."""


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed) into a uint8 array.

    Returns:
        uint8 (N, 28, 28) for image files, uint8 (N,) for label files.

    Raises:
        DatasetError: the file is missing, truncated, or has a bad header.
    """
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DatasetError(
            f"cannot read IDX file {p}: {e}. The file is missing or corrupt; download it again. " + HOW_TO
        ) from e
    if len(data) < 8 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetError(f"{p} is not an unsigned-byte IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{p} is truncated inside its header")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    n = int(np.prod(dims))
    if len(data) - header != n:
        raise DatasetError(
            f"{p} is truncated or padded: header says {dims} = {n} bytes, file "
            f"holds {len(data) - header}; download it again"
        )
    return np.frombuffer(data, np.uint8, count=n, offset=header).reshape(dims)


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _load_idx_dir(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for split in ("train", "test"):
        pi, pl = _find(folder, IDX_NAMES[split, "images"]), _find(folder, IDX_NAMES[split, "labels"])
        if pi is None or pl is None:
            raise DatasetError(f"{folder} lacks the {split} IDX files. " + HOW_TO)
        x, y = read_idx(pi), read_idx(pl)
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DatasetError(f"{pi} and {pl} disagree: images {x.shape}, labels {y.shape}")
        out[split] = (x, y)
    return out


def _load_npz(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    try:
        with np.load(path) as f:
            return {"train": (f["x_train"], f["y_train"]), "test": (f["x_test"], f["y_test"])}
    except (OSError, KeyError, ValueError) as e:
        raise DatasetError(
            f"{path} is not a Keras mnist.npz (x_train, y_train, x_test, y_test): {e}. " + HOW_TO
        ) from e


def _load_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        arr = np.loadtxt(
            path, delimiter=",", dtype=np.int64, skiprows=1 if not path.read_text()[:1].isdigit() else 0
        )
    except (OSError, ValueError) as e:
        raise DatasetError(f"cannot parse {path} as Kaggle MNIST CSV (label, 784 pixels): {e}") from e
    if arr.ndim != 2 or arr.shape[1] != 785:
        raise DatasetError(
            f"{path} has {arr.shape[-1]} columns; Kaggle MNIST CSV has 785 (label, then 784 pixels)"
        )
    return arr[:, 1:].reshape(-1, 28, 28).astype(np.uint8), arr[:, 0].astype(np.uint8)


def _load_csv_dir(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    for tr, te in (("mnist_train.csv", "mnist_test.csv"), ("train.csv", "test.csv")):
        if (folder / tr).is_file() and (folder / te).is_file():
            return {"train": _load_csv(folder / tr), "test": _load_csv(folder / te)}
    return None


def _load_from(p: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    if p.is_file() and p.suffix == ".npz":
        return _load_npz(p)
    if not p.is_dir():
        raise DatasetError(f"MNIST data folder {p} does not exist. " + HOW_TO)
    if _find(p, IDX_NAMES["train", "images"]) or _find(p, IDX_NAMES["test", "images"]):
        return _load_idx_dir(p)
    if (p / "mnist.npz").is_file():
        return _load_npz(p / "mnist.npz")
    csv = _load_csv_dir(p)
    if csv is not None:
        return csv
    if (p / "mnist").is_dir():
        return _load_from(p / "mnist")
    raise DatasetError(f"no MNIST files in {p}. " + HOW_TO)


def load_mnist(
    data_dir: str | Path | None = None, download: bool = False
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Load MNIST as uint8 arrays.

    Args:
        data_dir: folder or ``.npz`` file; ``None`` uses ``EDGE_DATA_DIR`` then the Keras cache.
        download: if nothing local is found, download ``mnist.npz`` from Keras' URL
            into the Keras cache.

    Returns:
        ``{"train": (x, y), "test": (x, y)}`` with x uint8 (N, 28, 28) white ink on
        black, 0..255, and y uint8 (N,) in 0..9.

    Raises:
        DatasetError: nothing found, or the files are malformed; the message lists
            the ways to provide MNIST.
    """
    if data_dir is None and os.environ.get("EDGE_DATA_DIR"):
        data_dir = os.environ["EDGE_DATA_DIR"]
    if data_dir is not None:
        data = _load_from(Path(data_dir).expanduser())
    elif KERAS_CACHE.is_file():
        data = _load_npz(KERAS_CACHE)
    elif download:
        KERAS_CACHE.parent.mkdir(parents=True, exist_ok=True)
        log.info("downloading %s to %s", KERAS_URL, KERAS_CACHE)
        tmp = KERAS_CACHE.with_suffix(".part")
        try:
            urllib.request.urlretrieve(KERAS_URL, tmp)  # noqa: S310 (fixed https URL)
        except (urllib.error.URLError, OSError) as e:
            raise DatasetError(f"cannot download {KERAS_URL}: {e}. " + HOW_TO) from e
        tmp.replace(KERAS_CACHE)
        data = _load_npz(KERAS_CACHE)
    else:
        raise DatasetError("MNIST not found. " + HOW_TO)
    for split, (x, y) in data.items():
        if x.shape[1:] != (28, 28) or len(x) != len(y):
            raise DatasetError(
                f"MNIST {split} split has images {x.shape} and labels {y.shape}; "
                "expected (N, 28, 28) and (N,)"
            )
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DatasetError(f"MNIST {split} labels fall outside 0..9")
    return data
