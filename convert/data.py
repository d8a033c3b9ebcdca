"""Representative (calibration) and verification data for the converter.

Every source ends as :class:`Samples`: float32 (N, H, W, C) in the model's input
value range, with optional integer labels. Accepted sources:

- MNIST through :func:`edge.datasets.load_mnist` (``--dataset mnist``): the train
  split for calibration, the test split for verification; uint8 white ink on black
  scaled as ``lo + pixel / 255 * (hi - lo)`` (i.e. pixel / 255 for [0, 1]).
- A ``.npy`` array (N, H, W, C), or (N, H, W) for one channel: uint8 0..255 is scaled
  to the value range like MNIST; a float array must already be in the value range.
- A ``.npz`` with arrays ``x`` (as above) and ``y`` (N,) integer class indices: labelled.
- A folder of images (png, jpg, bmp, ...), searched recursively; or a folder of class
  folders (``DIR/<label>/*.png``), which is labelled by folder name. Images are read
  with OpenCV, converted to the model's colour order, resized to (W, H) with
  ``INTER_AREA`` and scaled like uint8 arrays. ``edge-convert`` passes ``prepare``:
  the device's own preprocessing (:func:`convert.input_spec.device_preprocess`, i.e.
  :func:`edge.preprocess.crop_input`), so photos are verified exactly as ``edge-eval
  --images`` and ``edge-run`` feed them to the model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm")


@dataclass(frozen=True)
class Samples:
    """Model-ready samples.

    Attributes:
        x: float32 (N, H, W, C) in the model's input value range.
        y: int64 (N,) label indices into ``labels``, or ``None`` when unlabelled.
        name: short name of the source, used as the metrics key (``"mnist-test"``).
        labels: class names when the source defines them (class folders), else ``None``.
    """

    x: np.ndarray
    y: np.ndarray | None
    name: str
    labels: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return len(self.x)

    def take(self, idx: np.ndarray) -> Samples:
        """The samples at ``idx`` (int array), same name and labels."""
        return Samples(self.x[idx], None if self.y is None else self.y[idx], self.name, self.labels)


def split(samples: Samples, n: int, seed: int = 0) -> tuple[Samples, Samples]:
    """Draw ``n`` samples at random (fixed seed); return (drawn, the rest).

    Both parts keep the original order. ``n >= len(samples)`` draws everything.
    """
    rng = np.random.default_rng(seed)
    if n >= len(samples):
        return samples, samples.take(np.arange(0))
    perm = rng.permutation(len(samples))
    return samples.take(np.sort(perm[:n])), samples.take(np.sort(perm[n:]))


def to_value_range(x: np.ndarray, value_range: tuple[float, float], source: str) -> np.ndarray:
    """Raw array → float32 in ``value_range``.

    Args:
        x: uint8 (scaled as ``lo + x / 255 * (hi - lo)``) or float (kept, but checked).
        value_range: (lo, hi) of the model's real input values.
        source: where ``x`` came from, for messages.

    Returns:
        float32 array of the same shape.

    Raises:
        ValueError: a float array outside the range (by more than 1% of it), or
            another dtype.
    """
    lo, hi = value_range
    if x.dtype == np.uint8:
        return (lo + x.astype(np.float32) * ((hi - lo) / 255.0)).astype(np.float32)
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(
            f"{source} has dtype {x.dtype}; save uint8 pixels (0..255) or float32 "
            f"values already in the model's input range [{lo}, {hi}]"
        )
    x = x.astype(np.float32, copy=False)
    if x.size:
        tol = 0.01 * (hi - lo)
        xmin, xmax = float(x.min()), float(x.max())
        if xmin < lo - tol or xmax > hi + tol:
            raise ValueError(
                f"{source} holds values in [{xmin:g}, {xmax:g}] but the model's input range is "
                f"[{lo:g}, {hi:g}]: rescale the array, save uint8 pixels, or pass "
                "--value-range LO HI if the model really takes that range"
            )
    return x


def _check_shape(x: np.ndarray, hwc: tuple[int, int, int], source: str) -> np.ndarray:
    h, w, c = hwc
    if x.ndim == 3 and c == 1:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != (h, w, c):
        raise ValueError(
            f"{source} has shape {x.shape} but the model takes (N, {h}, {w}, {c}); "
            f"save it as (N, {h}, {w}, {c})" + (f" or (N, {h}, {w})" if c == 1 else "")
        )
    if len(x) == 0:
        raise ValueError(f"{source} holds no samples")
    return x


def _read_image(path: Path, hwc: tuple[int, int, int], colour_order: str) -> np.ndarray:
    import cv2

    h, w, c = hwc
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if c == 1 else cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"OpenCV cannot read image {path}; remove it or convert it to PNG")
    if c == 3 and colour_order == "RGB":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    if img.shape[:2] != (h, w):
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    return img.reshape(h, w, c)


def _read_images(
    files: list[Path],
    hwc: tuple[int, int, int],
    colour_order: str,
    value_range: tuple[float, float],
    prepare: Callable[[np.ndarray], np.ndarray] | None,
    source: str,
) -> np.ndarray:
    """float32 (N, H, W, C) in ``value_range``: ``prepare`` on each BGR image, else resized."""
    if prepare is None:
        x = np.stack([_read_image(f, hwc, colour_order) for f in files])
        return to_value_range(x, value_range, source)
    import cv2

    out = np.zeros((len(files), *hwc), np.float32)
    for i, f in enumerate(files):
        img = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f"OpenCV cannot read image {f}; remove it or convert it to PNG")
        out[i] = np.asarray(prepare(img), np.float32).reshape(hwc)
    return out


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def load_samples(
    path: str | Path,
    hwc: tuple[int, int, int],
    colour_order: str,
    value_range: tuple[float, float],
    labels: tuple[str, ...] | None = None,
    labelled: bool = True,
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Samples:
    """Read a ``.npy``/``.npz`` array or an image folder as model-ready samples.

    Args:
        path: ``.npy``, ``.npz`` (``x``, ``y``), a folder of images, or a folder of
            class folders (labelled by folder name).
        hwc: the model's (H, W, C).
        colour_order: ``"grey"``, ``"RGB"`` or ``"BGR"``: how images are converted.
        value_range: (lo, hi) of the model's real input values.
        labels: the model's labels, to map class-folder names to indices; ``None``
            takes the sorted folder names as labels.
        labelled: ``False`` reads class folders as plain image folders (calibration
            needs no labels, so folder names need not match).
        prepare: images only: ``f(uint8 (h, w, 3) BGR image) -> float32 (H, W, C)`` in the
            value range (the device's preprocessing); ``None``: convert the colour order,
            resize with ``INTER_AREA`` and scale. Arrays are taken as model inputs.

    Returns:
        Samples named after the file or folder stem; labelled for ``.npz`` and class
        folders.

    Raises:
        ValueError: the path is missing or of an unknown kind, shapes differ from the
            model's, an image cannot be read, a class folder is not among ``labels``,
            or the folder holds no images.
    """
    p = Path(path).expanduser()
    name = p.stem if p.is_file() else p.name
    if p.is_file() and p.suffix == ".npy":
        try:
            x = np.load(p, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ValueError(f"cannot read {p} as a .npy array: {e}") from e
        x = _check_shape(x, hwc, str(p))
        return Samples(to_value_range(x, value_range, str(p)), None, name)
    if p.is_file() and p.suffix == ".npz":
        try:
            with np.load(p, allow_pickle=False) as f:
                x, y = f["x"], f["y"]
        except (OSError, ValueError, KeyError) as e:
            raise ValueError(
                f"cannot read {p} as a .npz with arrays 'x' (N, H, W, C) and 'y' (N,) class indices: {e}"
            ) from e
        x = _check_shape(x, hwc, str(p))
        y = np.asarray(y).reshape(-1)
        if len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(
                f"{p}: 'y' must be (N,) = ({len(x)},) integer class indices, got {y.shape} {y.dtype}"
            )
        return Samples(to_value_range(x, value_range, str(p)), y.astype(np.int64), name)
    if not p.is_dir():
        raise ValueError(f"data {p} does not exist or is not a .npy, .npz or image folder")
    subdirs = sorted(d for d in p.iterdir() if d.is_dir() and _images_in(d))
    top = [f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
    if subdirs and not top and labelled:
        folder_labels = tuple(d.name for d in subdirs)
        use = labels if labels is not None else folder_labels
        unknown = [n for n in folder_labels if n not in use]
        if unknown:
            raise ValueError(
                f"{p}: class folders {unknown} are not among the model's labels "
                f"{list(use)}; rename the folders or fix --labels"
            )
        paths: list[Path] = []
        ys = []
        for d in subdirs:
            files = _images_in(d)
            paths += files
            ys += [use.index(d.name)] * len(files)
        x = _read_images(paths, hwc, colour_order, value_range, prepare, str(p))
        log.info("%s: %d images in %d class folders", p, len(x), len(subdirs))
        return Samples(
            x,
            np.asarray(ys, np.int64),
            name,
            folder_labels if labels is None else None,
        )
    files = _images_in(p)
    if not files:
        raise ValueError(f"{p} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    x = _read_images(files, hwc, colour_order, value_range, prepare, str(p))
    log.info("%s: %d images", p, len(x))
    return Samples(x, None, name)


def mnist_samples(
    split_name: str,
    hwc: tuple[int, int, int],
    value_range: tuple[float, float],
    data_dir: str | Path | None = None,
    n: int | None = None,
    seed: int = 0,
) -> Samples:
    """An MNIST split as model-ready samples (see :func:`edge.datasets.load_mnist`).

    Args:
        split_name: ``"train"`` or ``"test"``.
        hwc: the model's (H, W, C); must be (28, 28, 1).
        value_range: (lo, hi) the pixel values 0..255 are mapped onto.
        data_dir: ``--data-dir``; ``None``: ``EDGE_DATA_DIR``, then the Keras cache.
        n: draw this many images at random (seeded, original order kept) before
            scaling; ``None``: the whole split.
        seed: seed of the draw.

    Returns:
        Samples named ``mnist-<split>``, x float32 (N, 28, 28, 1) white ink on black,
        y int64 (N,) digits 0..9.

    Raises:
        ValueError: the model does not take 28×28×1 input.
        edge.datasets.DatasetError: MNIST cannot be found (a ``ValueError``).
    """
    from edge.datasets import load_mnist

    if tuple(hwc) != (28, 28, 1):
        raise ValueError(
            f"--dataset mnist gives 28x28 grey images but the model takes "
            f"(H, W, C) = {hwc}; pass --rep-data/--verify-data with images of that size"
        )
    x, y = load_mnist(data_dir)[split_name]
    if n is not None and n < len(x):
        idx = np.sort(np.random.default_rng(seed).permutation(len(x))[:n])
        x, y = x[idx], y[idx]
    return Samples(
        to_value_range(x[..., None], value_range, f"MNIST {split_name}"),
        y.astype(np.int64),
        f"mnist-{split_name}",
    )
