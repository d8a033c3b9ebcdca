"""Camera MNIST: MNIST *training* digits through the camera-like benchmark renderer and the crop step.

Each digit is drawn by :func:`benchmarks.realistic_render.make_crop`, the renderer of the
camera-like benchmark set (``realistic_digits.py generate``: pens from fat marker to thin
pencil, plain / lined / squared paper, perspective, uneven light and shadows, paper edges,
blur, noise, JPEG; itself built on :mod:`edge.sources.render`), then brought back to a
28x28 model input the way the device reads it:

- ``crop``: the whole photo as one ROI, the digit found inside it, as ``edge-eval --crop``
  does (:func:`camera_crop_input`: :func:`edge.preprocess.mnist_crop_input`, the function
  :func:`edge.preprocess.crop_input` runs for an ``mnist-normalise`` bundle, ``polarity="auto"``);
- ``box``: :class:`edge.preprocess.MnistPreprocessor` on the digit's ink box with its
  sides moved by up to :data:`ROI_JITTER` of the box (a segmenter's box in a frame).

Only MNIST's training split is rendered: the benchmark's sets are made of MNIST *test*
digits and OpenCV's ``digits.png`` cells, which must stay unseen. Every digit has its own
random generator (``default_rng([seed, index])``), so a set is the same whatever the
number of workers and any part of it can be rendered alone (:func:`render_camera_mnist`).
About 18 ms a digit on one core: render once to ``.npz`` (:func:`save_camera_set`,
``python -m train.camera_digits``; written to a temporary file and renamed, and holding its
``n``, ``seed``, the kept digits' indices and a format version, which :func:`load_camera_set`
checks; ``--reuse`` keeps a file that matches) and pass it to ``edge-train lenet --dataset
mnist+camera --camera-data FILE``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from edge.datasets import DatasetError
from train.pixels import to_uint8

log = logging.getLogger(__name__)

#: Version of the ``.npz`` layout :func:`save_camera_set` writes (2: ``n``, ``seed``, kept indices).
FORMAT = 2

#: Share of the rendered digits read as whole crops (the rest through a jittered ink box).
CROP_SHARE = 0.5
#: Fraction of the ink box's size each side of the ``box`` ROI may move.
ROI_JITTER = 0.1
#: Digits per work item of :func:`render_camera_mnist` with several workers.
CHUNK = 500


def camera_crop_input(photo: np.ndarray) -> np.ndarray:
    """A loose digit photo as ``edge-eval --crop`` reads it with an ``mnist-normalise`` bundle.

    The same function :func:`edge.preprocess.crop_input` runs for such a bundle
    (:func:`edge.preprocess.mnist_crop_input`, ``polarity="auto"``, no deskew, input range [0, 1]).

    Args:
        photo: uint8 (H, W, 3) BGR or (H, W) grey photo holding one digit.

    Returns:
        float32 (28, 28) in [0, 1], white ink on black (all zeros: no ink found).
    """
    from edge.preprocess import mnist_crop_input

    return mnist_crop_input(photo, "auto")


def render_one(digit: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """One MNIST digit as a camera crop, normalised to a model input.

    Args:
        digit: uint8 (28, 28) white ink on black.
        rng: this digit's generator.

    Returns:
        (float32 (28, 28) in [0, 1] white on black, ``"crop"`` or ``"box"``: how it was read).
    """
    from benchmarks.realistic_render import make_crop
    from edge.preprocess import MnistPreprocessor
    from train.recoloured import jittered_roi

    info: dict = {}
    photo = make_crop(digit, rng, info)
    if rng.random() < CROP_SHARE:
        return camera_crop_input(photo), "crop"
    roi = jittered_roi(info["box"], photo.shape, ROI_JITTER, rng)
    return MnistPreprocessor()(photo, [roi])[0, :, :, 0], "box"


def _render_range(args: tuple[np.ndarray, int, int]) -> np.ndarray:
    digits, seed, start = args
    out = np.zeros(digits.shape, np.uint8)
    for k, d in enumerate(digits):
        m, _ = render_one(d, np.random.default_rng([seed, start + k]))
        out[k] = to_uint8(m * 255.0)
    return out


def render_jobs(x: np.ndarray, seed: int, start: int) -> list[tuple[np.ndarray, int, int]]:
    """The work items of :func:`render_camera_mnist`: ``(digits, seed, start)`` per :data:`CHUNK` digits.

    Args:
        x: uint8 (N, 28, 28) digits.
        seed: rendering seed.
        start: index of ``x[0]`` in the set.

    Returns:
        ``(x[i : i + CHUNK], seed, start + i)`` for i = 0, CHUNK, ...: digit ``k`` of an item
        is drawn with ``default_rng([seed, its start + k])`` whichever worker renders it.
    """
    return [(x[i : i + CHUNK], seed, start + i) for i in range(0, len(x), CHUNK)]


def render_camera_kept(
    x: np.ndarray, seed: int = 0, start: int = 0, workers: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`render_camera_mnist` without the labels: the kept renderings and their indices.

    Args:
        x: uint8 (N, 28, 28) MNIST digits, white ink on black.
        seed, start, workers: see :func:`render_camera_mnist`.

    Returns:
        (uint8 (M, 28, 28) white ink on black, int64 (M,) indices into ``x`` of the kept digits).

    Raises:
        ValueError: ``x`` is not uint8 (N, 28, 28), or ``workers`` < 1.
    """
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        raise ValueError(f"expected uint8 (N, 28, 28) MNIST digits, got {x.dtype} {x.shape}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    jobs = render_jobs(x, seed, start)
    if workers == 1 or len(jobs) == 1:
        parts = [_render_range(j) for j in jobs]
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_render_range, jobs))
    out = np.concatenate(parts) if parts else np.zeros((0, 28, 28), np.uint8)
    keep = np.flatnonzero(out.reshape(len(out), 28 * 28).max(axis=1) > 0)
    if len(keep) < len(out):
        log.info(
            "camera MNIST: no ink found in %d of %d renderings (dropped)", len(out) - len(keep), len(out)
        )
    return out[keep], keep.astype(np.int64)


def render_camera_mnist(
    x: np.ndarray, y: np.ndarray, seed: int = 0, start: int = 0, workers: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Camera MNIST versions of digits ``x`` (digit ``k`` drawn with ``default_rng([seed, start + k])``).

    Args:
        x: uint8 (N, 28, 28) MNIST digits, white ink on black (training split only).
        y: (N,) labels 0..9.
        seed: rendering seed.
        start: index of ``x[0]`` in the set (to render a part of it alone).
        workers: processes rendering in parallel (the result does not depend on it).

    Returns:
        (uint8 (M, 28, 28) white ink on black, uint8 (M,) labels); a rendering whose ink
        the preprocessing does not find (rare: a very faint pencil) is dropped.

    Raises:
        ValueError: ``x`` is not uint8 (N, 28, 28), ``y`` does not match it, or ``workers`` < 1.
    """
    if len(y) != len(x):
        raise ValueError(f"{len(x)} digits but {len(y)} labels: pass one label per digit")
    out, keep = render_camera_kept(x, seed, start, workers)
    return out, np.asarray(y, np.uint8)[keep]


def pick_training_digits(n_train: int, n_mnist: int, seed: int) -> np.ndarray:
    """The MNIST training digits to render: a seeded permutation, so small sets are spread over all writers.

    Args:
        n_train: digits to pick.
        n_mnist: digits in MNIST's training split (60,000).
        seed: seeds the permutation.

    Returns:
        int64 (n_train,) distinct indices into MNIST's training split, 0..``n_mnist`` - 1.

    Raises:
        ValueError: ``n_train`` is not in 1..``n_mnist``.
    """
    if not 1 <= n_train <= n_mnist:
        raise ValueError(f"camera digits must be 1..{n_mnist} (MNIST's training split), got {n_train}")
    return np.random.default_rng(seed).permutation(n_mnist)[:n_train].astype(np.int64)


def save_camera_set(
    path: str | Path,
    mnist_train: tuple[np.ndarray, np.ndarray],
    n_train: int,
    seed: int = 0,
    workers: int = 1,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Render ``n_train`` camera digits and a small test part, and write them to ``path`` (``.npz``).

    The test part has min(2000, ``n_train`` // 10 (at least 1), the training digits left)
    digits, none when ``n_train`` uses every training digit. It renders *other* MNIST
    training digits (never MNIST test digits: those are the benchmark's) with the seed
    ``seed + 1``; their clean MNIST images are in the ``mnist`` part of a ``mnist+camera``
    training, so its score is on unseen renderings of seen digits.

    The file is written to a temporary name in the same folder and renamed, so an
    interrupted run leaves no partial set behind. It holds ``x_train``, ``y_train``,
    ``x_test``, ``y_test``, ``n`` (= ``n_train``), ``seed``, ``n_mnist``, ``train_index`` and
    ``test_index`` (int64 indices into MNIST's training split of the digits *kept*) and
    ``format`` (:data:`FORMAT`).

    Args:
        path: the ``.npz`` written.
        mnist_train: MNIST's ``(x, y)`` training split (uint8 (N, 28, 28), (N,) labels).
        n_train: digits rendered for training (1..N).
        seed: rendering seed.
        workers: processes.

    Returns:
        ``{"train": (x, y), "test": (x, y)}`` as written.

    Raises:
        ValueError: ``n_train`` is not in 1..N, malformed digits or labels, ``workers`` < 1.
        OSError: the file cannot be written.
    """
    x, y = mnist_train
    if len(y) != len(x):
        raise ValueError(f"{len(x)} digits but {len(y)} labels: pass MNIST's (x, y) training split")
    n_test = min(2000, max(1, n_train // 10), len(x) - n_train) if n_train < len(x) else 0
    idx = pick_training_digits(n_train + n_test, len(x), seed)
    xt, kept_tr = render_camera_kept(x[idx[:n_train]], seed, 0, workers)
    xv, kept_te = render_camera_kept(x[idx[n_train:]], seed + 1, 0, workers)
    kept_tr, kept_te = idx[:n_train][kept_tr], idx[n_train:][kept_te]
    yt, yv = np.asarray(y, np.uint8)[kept_tr], np.asarray(y, np.uint8)[kept_te]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(
                f,
                x_train=xt,
                y_train=yt,
                x_test=xv,
                y_test=yv,
                n=n_train,
                seed=seed,
                n_mnist=len(x),
                train_index=kept_tr,
                test_index=kept_te,
                format=FORMAT,
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"train": (xt, yt), "test": (xv, yv)}


def _hint(p: Path, n: int | None = None, seed: int | None = None) -> str:
    extra = f" --seed {seed}" if seed else ""
    return f"render it with: python -m train.camera_digits --out {p} --n {n or 24000}{extra}"


def load_camera_set(
    path: str | Path, n: int | None = None, seed: int | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read a set written by :func:`save_camera_set`, checking its format (and ``n``, ``seed`` if given).

    Args:
        path: the ``.npz``.
        n: the training digits the set must have been rendered for (``None``: any).
        seed: the rendering seed it must have (``None``: any).

    Returns:
        ``{"train": (x, y), "test": (x, y)}``: x uint8 (N, 28, 28) white on black, y uint8 (N,).

    Raises:
        edge.datasets.DatasetError: the file is missing, truncated or corrupt (an interrupted
            write), not a camera MNIST set, of an older format, or rendered with another
            ``n`` / ``seed`` (the message gives the command that renders it again).
    """
    p = Path(path)
    hint = _hint(p, n, seed)
    if not p.is_file():
        raise DatasetError(f"no camera MNIST set at {p}; {hint}")
    try:
        with np.load(p) as z:
            files = set(z.files)
            if not {"x_train", "y_train", "x_test", "y_test"} <= files:
                raise DatasetError(f"{p} is not a camera MNIST set (keys {sorted(files)}); {hint}")
            fmt = int(z["format"]) if "format" in files else 1
            if fmt != FORMAT:
                raise DatasetError(f"{p} is a camera MNIST set of format {fmt}, not {FORMAT}; {hint}")
            meta = {k: int(z[k]) for k in ("n", "seed")}
            index = {"train": z["train_index"], "test": z["test_index"]}
            out = {"train": (z["x_train"], z["y_train"]), "test": (z["x_test"], z["y_test"])}
    except DatasetError:
        raise
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError) as e:
        raise DatasetError(
            f"{p} is not a readable camera MNIST set (truncated or corrupt: {e}); {hint}"
        ) from e
    for key, want in (("n", n), ("seed", seed)):
        if want is not None and meta[key] != want:
            raise DatasetError(f"{p} was rendered with {key}={meta[key]}, not {want}; {hint}")
    for split, (xs, ys) in out.items():
        if xs.dtype != np.uint8 or xs.shape[1:] != (28, 28) or not len(xs) == len(ys) == len(index[split]):
            raise DatasetError(
                f"{p}: {split} is {xs.dtype} {xs.shape} with {len(ys)} labels and "
                f"{len(index[split])} indices; {hint}"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m train.camera_digits --out FILE.npz [--n N] [--seed S] [--workers W] [--reuse] ...``."""
    from edge.datasets import load_mnist

    ap = argparse.ArgumentParser(prog="python -m train.camera_digits", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="the .npz to write")
    ap.add_argument("--n", type=int, default=24000, help="MNIST training digits to render (default 24000)")
    ap.add_argument("--seed", type=int, default=0, help="rendering seed (default 0)")
    ap.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    ap.add_argument(
        "--data-dir", default=None, help="MNIST folder (default: $EDGE_DATA_DIR or the Keras cache)"
    )
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="keep --out when it is a readable set of this format, --n and --seed (else render it again)",
    )
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if a.reuse and Path(a.out).is_file():
        try:
            sets = load_camera_set(a.out, a.n, a.seed)
        except DatasetError as e:
            print(f"rendering again: {e}")
        else:
            print(f"reusing {a.out}: {len(sets['train'][0])} + {len(sets['test'][0])} camera MNIST digits")
            return 0
    try:
        sets = save_camera_set(a.out, load_mnist(a.data_dir)["train"], a.n, a.seed, a.workers)
    except (DatasetError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {len(sets['train'][0])} + {len(sets['test'][0])} camera MNIST digits to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "CHUNK",
    "CROP_SHARE",
    "FORMAT",
    "ROI_JITTER",
    "camera_crop_input",
    "load_camera_set",
    "pick_training_digits",
    "render_camera_kept",
    "render_camera_mnist",
    "render_jobs",
    "render_one",
    "save_camera_set",
]
