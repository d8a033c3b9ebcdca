"""More digit data behind MNIST's loader interface: SVHN and recoloured MNIST.

Every loader returns what :func:`edge.datasets.load_mnist` returns:
``{"train": (x, y), "test": (x, y)}`` with x uint8 (N, 28, 28) white ink on black,
0..255, and y uint8 (N,) digits 0..9, so the training code treats them alike.
:func:`load_digit_datasets` reads a spec such as ``"mnist+svhn"`` (``edge-train
lenet --dataset``).

- ``mnist``: :func:`edge.datasets.load_mnist` (IDX files, ``mnist.npz``, Kaggle CSV).
- ``svhn``: the Street View House Numbers *cropped digits* (Netzer et al., "Reading
  Digits in Natural Images with Unsupervised Feature Learning", NIPS workshop 2011),
  ``train_32x32.mat`` / ``test_32x32.mat`` from http://ufldl.stanford.edu/housenumbers/
  (MATLAB files: ``X`` uint8 (32, 32, 3, N) RGB, ``y`` (N, 1) in 1..10 where 10 is
  the digit 0), read with ``scipy.io.loadmat``. House numbers come in both
  polarities, so each crop is turned into white ink on a black background
  (:func:`svhn_to_mnist`).
- ``recoloured``: MNIST digits printed as camera photos of coloured ink on coloured,
  textured, unevenly lit paper (:func:`render_photo`), then brought back to a 28×28
  model input by the device's own preprocessing (:class:`edge.preprocess.MnistPreprocessor`
  on the digit's box, as ``edge-run`` does with a segmenter ROI), so training sees
  what inference feeds the model.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from edge.datasets import DatasetError, load_mnist
from train.pixels import to_uint8

log = logging.getLogger(__name__)

#: Dataset names accepted in a ``--dataset`` spec (joined with ``+``).
DIGIT_DATASETS = ("mnist", "svhn", "recoloured")
#: SVHN cropped-digit files per split.
SVHN_FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}
SVHN_URL = "http://ufldl.stanford.edu/housenumbers/"
SVHN_HOW_TO = (f"Download the cropped digits (format 2) train_32x32.mat and test_32x32.mat from {SVHN_URL} "
               "into one folder and pass it with --svhn-dir DIR (or put them in $EDGE_DATA_DIR/svhn)")
#: How SVHN crops are framed at 28×28 (see :func:`svhn_to_mnist`).
SVHN_FRAMINGS = ("box", "normalise")


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
        raise ValueError(f"unknown digit dataset(s) {bad} in {spec!r}; choose from {DIGIT_DATASETS} "
                         "joined with '+', e.g. mnist+svhn")
    if len(set(names)) != len(names):
        raise ValueError(f"dataset spec {spec!r} names a dataset twice")
    return names


# -- SVHN ------------------------------------------------------------------------

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
        raise DatasetError(f"cannot read {p} as a MATLAB file ({e}); download it again. "
                           + SVHN_HOW_TO) from e
    if "X" not in mat or "y" not in mat:
        raise DatasetError(f"{p} lacks the X and y arrays of SVHN's cropped digits (format 2); "
                           "the full-number format 1 files are not supported. " + SVHN_HOW_TO)
    x, y = np.asarray(mat["X"]), np.asarray(mat["y"]).reshape(-1)
    if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or x.shape[3] != len(y):
        raise DatasetError(f"{p}: X has shape {x.shape} and y {mat['y'].shape}; SVHN cropped digits "
                           "have X (32, 32, 3, N) and y (N, 1)")
    if y.size and (y.min() < 1 or y.max() > 10):
        raise DatasetError(f"{p}: labels span {y.min()}..{y.max()}; SVHN labels are 1..10 (10 = digit 0)")
    if x.dtype != np.uint8:
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DatasetError(f"{p}: X holds values {x.min()}..{x.max()}; SVHN pixels are uint8 0..255")
        x = to_uint8(x)
    x = np.ascontiguousarray(np.moveaxis(x, 3, 0))  # (N, 32, 32, 3)
    return x, (y % 10).astype(np.uint8)


def light_on_dark(grey: np.ndarray, border: int = 2) -> np.ndarray:
    """Make each image's background dark: invert images whose border is brighter than their centre.

    Args:
        grey: uint8 (N, H, W) grey images, ink of either polarity.
        border: width of the frame taken as background, px.

    Returns:
        uint8 (N, H, W): light ink on a dark ground (the polarity of MNIST).
    """
    g = grey.astype(np.float32)
    h, w = grey.shape[1:]
    ring = np.ones((h, w), bool)
    ring[border:h - border, border:w - border] = False
    centre = np.zeros((h, w), bool)
    centre[h // 4:h - h // 4, w // 4:w - w // 4] = True
    flip = g[:, ring].mean(1) > g[:, centre].mean(1)
    out = grey.copy()
    out[flip] = 255 - grey[flip]  # uint8 255 - v never wraps
    return out


def stretch(grey: np.ndarray, border: int = 2) -> np.ndarray:
    """Per image: background (median of the border) to 0, 99th percentile to 255, clipped.

    Args:
        grey: uint8 (N, H, W), light ink on a dark ground.

    Returns:
        uint8 (N, H, W) in 0..255 (computed in float32, clipped before the cast).
    """
    g = grey.astype(np.float32)
    h, w = grey.shape[1:]
    ring = np.ones((h, w), bool)
    ring[border:h - border, border:w - border] = False
    lo = np.median(g[:, ring], axis=1)[:, None, None]
    hi = np.percentile(g.reshape(len(g), -1), 99, axis=1)[:, None, None]
    return to_uint8((g - lo) * 255.0 / np.maximum(hi - lo, 16.0))


def svhn_to_mnist(x_rgb: np.ndarray, framing: str = "box") -> tuple[np.ndarray, np.ndarray]:
    """SVHN crops → MNIST-like 28×28 grey inputs, white ink on black.

    Grey is ITU-R 601 luma (``cv2.COLOR_RGB2GRAY``); crops whose border is brighter
    than their centre are inverted (:func:`light_on_dark`) and each is stretched so
    its background is 0 and its ink 255 (:func:`stretch`).

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
    return out[:len(keep)], np.asarray(keep, np.int64)


@functools.lru_cache(maxsize=4)
def _load_svhn_cached(folder: str, framing: str, splits: tuple[str, ...]
                      ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for split in splits:
        x, y = read_svhn_mat(Path(folder) / SVHN_FILES[split])
        log.info("SVHN %s: %d crops, converting (%s framing)", split, len(x), framing)
        g, keep = svhn_to_mnist(x, framing)
        out[split] = (g, y[keep])
    return out


def load_svhn(svhn_dir: str | Path | None = None, framing: str = "box",
              splits: Sequence[str] = ("train", "test")) -> dict[str, tuple[np.ndarray, np.ndarray]]:
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


# -- recoloured MNIST --------------------------------------------------------------

def _luma(bgr: np.ndarray) -> float:
    return float(0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2])


def _paper_colour(rng: np.random.Generator) -> np.ndarray:
    """A BGR paper colour: white, cream, grey, or a light tint (luma >= 120)."""
    kind = rng.random()
    if kind < 0.4:  # white to grey paper
        c = np.full(3, rng.uniform(150, 250)) + rng.normal(0, 6, 3)
    elif kind < 0.7:  # cream / yellowish / recycled
        c = np.array([rng.uniform(120, 210), rng.uniform(170, 240), rng.uniform(190, 250)])
    else:  # coloured paper, sticky notes
        c = rng.uniform(110, 255, 3)
    c = np.clip(c, 0, 255)
    return c if _luma(c) >= 120 else c * (120.0 / max(_luma(c), 1.0))


def _ink_colour(paper: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A BGR ink colour clearly darker than ``paper`` (black, blue, red, green, pencil)."""
    kind = rng.random()
    if kind < 0.35:
        c = np.full(3, rng.uniform(0, 60)) + rng.normal(0, 5, 3)  # black / dark pen
    elif kind < 0.6:
        c = np.array([rng.uniform(90, 200), rng.uniform(0, 70), rng.uniform(0, 50)])  # blue
    elif kind < 0.7:
        c = np.array([rng.uniform(0, 60), rng.uniform(0, 60), rng.uniform(120, 210)])  # red
    elif kind < 0.8:
        c = np.array([rng.uniform(0, 70), rng.uniform(70, 150), rng.uniform(0, 60)])  # green
    else:
        c = np.full(3, rng.uniform(60, 120)) + rng.normal(0, 4, 3)  # pencil grey
    c = np.clip(c, 0, 255)
    # keep at least 45 grey levels of contrast: the device's threshold needs some
    gap = _luma(paper) - _luma(c)
    if gap < 45:
        c = np.clip(c * max(0.0, (_luma(paper) - 45) / max(_luma(c), 1.0)), 0, 255)
    return c


def render_photo(digit: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """An MNIST digit as a photo of coloured ink on coloured, textured, unevenly lit paper.

    Steps (all in float32, clipped once before the single cast to uint8): the digit
    is upscaled 2.5–4× as ink coverage (alpha), composited with an ink colour onto a
    paper colour with a paper-grain texture (blurred noise), sometimes ruled or
    squared lines; ink pressure varies along the strokes; light falls off in a
    linear gradient and sometimes a soft shadow edge crosses the sheet; then blur,
    sensor noise and sometimes JPEG compression.

    Args:
        digit: uint8 (28, 28) MNIST digit, white ink on black.
        rng: random generator.

    Returns:
        (uint8 (S, S, 3) **BGR** photo, dark ink on light paper; the digit's ink box
        ``(x, y, w, h)`` in photo px, as a segmenter would report it).
    """
    scale = rng.uniform(2.5, 4.0)
    side = int(round(28 * scale))
    alpha = cv2.resize(digit.astype(np.float32) / 255.0, (side, side), interpolation=cv2.INTER_LINEAR)
    canvas = int(round(side * rng.uniform(1.15, 1.6)))
    ox, oy = (int(v) for v in rng.integers(0, canvas - side + 1, 2))
    a = np.zeros((canvas, canvas), np.float32)
    a[oy:oy + side, ox:ox + side] = alpha
    # ink pressure: low-frequency variation of the stroke's density
    if rng.random() < 0.5:
        k = max(2, canvas // 12)
        press = cv2.resize(rng.uniform(0.6, 1.0, (k, k)).astype(np.float32), (canvas, canvas),
                           interpolation=cv2.INTER_CUBIC)
        a *= np.clip(press, 0.5, 1.0)
    a = np.clip(a, 0.0, 1.0)[..., None]

    paper = _paper_colour(rng).astype(np.float32)
    ink = _ink_colour(paper, rng).astype(np.float32)
    img = np.empty((canvas, canvas, 3), np.float32)
    img[:] = paper
    if rng.random() < 0.7:  # paper grain
        g = int(rng.integers(1, 6))
        coarse = rng.normal(0, 1, (canvas // g + 1, canvas // g + 1)).astype(np.float32)
        grain = cv2.resize(coarse, (canvas, canvas), interpolation=cv2.INTER_LINEAR)
        img += (grain * rng.uniform(2, 12))[..., None]
    r = rng.random()
    if r < 0.25:  # ruled or squared paper
        step = int(rng.integers(max(8, side // 4), max(9, side // 2)))
        line = paper * rng.uniform(0.7, 0.9) * np.array([1.0, 0.95, 0.85], np.float32)
        off = int(rng.integers(0, step))
        for y in range(off, canvas, step):
            cv2.line(img, (0, y), (canvas - 1, y), line.tolist(), 1)
        if r < 0.1:
            for x in range(off, canvas, step):
                cv2.line(img, (x, 0), (x, canvas - 1), line.tolist(), 1)
    img = img * (1.0 - a) + ink * a

    # light: a linear gradient and sometimes a soft shadow edge
    yy, xx = np.mgrid[0:canvas, 0:canvas].astype(np.float32) / canvas
    ang = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(ang) * (xx - 0.5) + np.sin(ang) * (yy - 0.5)
    light = 1.0 + ramp * rng.uniform(0.0, 0.5)
    if rng.random() < 0.25:
        ang2 = rng.uniform(0, 2 * np.pi)
        d = np.cos(ang2) * (xx - 0.5) + np.sin(ang2) * (yy - 0.5) - rng.uniform(-0.4, 0.4)
        light *= 1.0 - rng.uniform(0.15, 0.4) / (1.0 + np.exp(-d * rng.uniform(15, 60)))
    img *= light[..., None] * rng.uniform(0.8, 1.15)

    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.2))
    if rng.random() < 0.6:
        img += rng.normal(0, rng.uniform(1, 6), img.shape).astype(np.float32)
    out = to_uint8(img)
    if rng.random() < 0.3:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 95))])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            out = decoded
    ys, xs = np.nonzero(a[..., 0] > 0.2)
    if len(xs) == 0:
        return out, (0, 0, canvas, canvas)
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    return out, (int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def recolour_mnist(x: np.ndarray, seed: int = 0, roi_jitter: float = 0.1
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Recoloured MNIST: each digit rendered as a photo and normalised as on the device.

    Each digit goes through :func:`render_photo`, then
    :class:`edge.preprocess.MnistPreprocessor` (polarity ``dark``, the ``edge-run``
    default) with the digit's ink box, its sides moved by up to ``roi_jitter`` of
    the box size (a segmenter's box is never exact), as the ROI.

    Args:
        x: uint8 (N, 28, 28) MNIST digits, white ink on black.
        seed: seeds the rendering (same seed, same images).
        roi_jitter: fraction of the box size each ROI side may move.

    Returns:
        (uint8 (M, 28, 28) white ink on black in 0..255, int64 (M,) indices into
        ``x`` of the kept digits); a digit whose ink the preprocessing does not find
        (rare: very faint renderings) is dropped.

    Raises:
        ValueError: ``x`` is not uint8 (N, 28, 28).
    """
    from edge.preprocess import MnistPreprocessor
    from edge.types import ROI

    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        raise ValueError(f"expected uint8 (N, 28, 28) MNIST digits, got {x.dtype} {x.shape}")
    pre = MnistPreprocessor()
    rng = np.random.default_rng(seed)
    out = np.zeros(x.shape, np.uint8)
    keep: list[int] = []
    for i, digit in enumerate(x):
        photo, (bx, by, bw, bh) = render_photo(digit, rng)
        j = rng.uniform(-roi_jitter, roi_jitter, 4) * np.array([bw, bh, bw, bh])
        x0 = int(np.clip(bx + j[0], 0, photo.shape[1] - 2))
        y0 = int(np.clip(by + j[1], 0, photo.shape[0] - 2))
        x1 = int(np.clip(bx + bw + j[2], x0 + 2, photo.shape[1]))
        y1 = int(np.clip(by + bh + j[3], y0 + 2, photo.shape[0]))
        m = pre(photo, [ROI(x0, y0, x1 - x0, y1 - y0)])[0, :, :, 0]
        if m.max() > 0:
            out[len(keep)] = to_uint8(m * 255.0)
            keep.append(i)
    if len(keep) < len(x):
        log.info("recoloured MNIST: preprocessing found no ink in %d of %d renderings (dropped)",
                 len(x) - len(keep), len(x))
    return out[:len(keep)], np.asarray(keep, np.int64)


def load_recoloured_mnist(mnist: dict[str, tuple[np.ndarray, np.ndarray]], n_train: int = 20000,
                          n_test: int = 2000, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Recoloured versions of the first ``n_train`` / ``n_test`` MNIST train/test digits.

    Args:
        mnist: :func:`edge.datasets.load_mnist`'s output.
        n_train: training digits rendered (0: none).
        n_test: test digits rendered (a separate ``recoloured`` test score).
        seed: rendering seed (the test split uses ``seed + 1``).

    Returns:
        ``{"train": (x, y), "test": (x, y)}``: x uint8 (N, 28, 28) white on black, y uint8 (N,).
    """
    out = {}
    for split, n, s in (("train", n_train, seed), ("test", n_test, seed + 1)):
        x, y = mnist[split]
        g, keep = recolour_mnist(x[:n], seed=s)
        out[split] = (g, y[:n][keep])
    return out


def load_digit_datasets(spec: str, data_dir: str | Path | None = None, download: bool = False,
                        svhn_dir: str | Path | None = None, svhn_framing: str = "box",
                        recoloured_n: int = 20000, seed: int = 0,
                        ) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The digit datasets of a ``--dataset`` spec, each in MNIST's loader format.

    Args:
        spec: names from :data:`DIGIT_DATASETS` joined with ``+`` (``"mnist+svhn"``).
        data_dir, download: where MNIST is (see :func:`edge.datasets.load_mnist`).
        svhn_dir: SVHN folder (see :func:`load_svhn`).
        svhn_framing: see :func:`svhn_to_mnist`.
        recoloured_n: recoloured training digits (the test part renders 1/10 of
            that, at most 10,000).
        seed: rendering seed of the recoloured set.

    Returns:
        ``{name: {"train": (x, y), "test": (x, y)}}`` in spec order; x uint8
        (N, 28, 28) white ink on black, y uint8 (N,) 0..9.

    Raises:
        ValueError: a bad spec.
        DatasetError: a dataset cannot be found (the message says how to get it).
    """
    names = parse_dataset_spec(spec)
    if recoloured_n < 1 and "recoloured" in names:
        raise ValueError(f"recoloured_n must be >= 1 with the recoloured dataset, got {recoloured_n}")
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


__all__ = ["DIGIT_DATASETS", "SVHN_URL", "load_digit_datasets", "load_recoloured_mnist", "load_svhn",
           "parse_dataset_spec", "read_svhn_mat", "recolour_mnist", "render_photo", "svhn_to_mnist"]
