"""Camera MNIST: MNIST *training* digits through the camera-like benchmark renderer and the crop step.

Each digit is drawn by :func:`benchmarks.realistic_render.make_crop`, the renderer of the
camera-like benchmark set (``realistic_digits.py generate``: pens from fat marker to thin
pencil, plain / lined / squared paper, perspective, uneven light and shadows, paper edges,
blur, noise, JPEG; itself built on :mod:`edge.sources.render`), then brought back to a
28x28 model input the way the device reads it:

- ``crop``: the whole photo as one ROI, the digit found inside it, as ``edge-eval --crop``
  does (:func:`camera_crop_input`, the ``mnist-normalise`` branch of
  :func:`edge.preprocess.crop_input` with ``polarity="auto"``);
- ``box``: :class:`edge.preprocess.MnistPreprocessor` on the digit's ink box with its
  sides moved by up to :data:`ROI_JITTER` of the box (a segmenter's box in a frame).

Only MNIST's training split is rendered: the benchmark's sets are made of MNIST *test*
digits and OpenCV's ``digits.png`` cells, which must stay unseen. Every digit has its own
random generator (``default_rng([seed, index])``), so a set is the same whatever the
number of workers and any part of it can be rendered alone (:func:`render_camera_mnist`).
About 18 ms a digit on one core: render once to ``.npz`` (:func:`save_camera_set`,
``python -m train.camera_digits``) and pass it to ``edge-train lenet --dataset
mnist+camera --camera-data FILE``.
"""

from __future__ import annotations

import argparse
import logging
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Share of the rendered digits read as whole crops (the rest through a jittered ink box).
CROP_SHARE = 0.5
#: Fraction of the ink box's size each side of the ``box`` ROI may move.
ROI_JITTER = 0.1
#: Digits per work item of :func:`render_camera_mnist` with several workers.
CHUNK = 500


def camera_crop_input(photo: np.ndarray) -> np.ndarray:
    """A loose digit photo as ``edge-eval --crop`` reads it with an ``mnist-normalise`` bundle.

    Args:
        photo: uint8 (H, W, 3) BGR or (H, W) grey photo holding one digit.

    Returns:
        float32 (28, 28) in [0, 1], white ink on black (all zeros: no ink found).
    """
    from edge.preprocess import to_grey
    from edge.preprocess.mnist import mnist_normalise
    from edge.preprocess.polarity import looks_like_model_input, ready_model_input

    grey = to_grey(photo)
    if looks_like_model_input(grey):
        return np.asarray(ready_model_input(grey), np.float32)
    return mnist_normalise(grey, None, polarity="auto")


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
    from edge.types import ROI

    info: dict = {}
    photo = make_crop(digit, rng, info)
    if rng.random() < CROP_SHARE:
        return camera_crop_input(photo), "crop"
    bx, by, bw, bh = (int(v) for v in info["box"])
    H, W = photo.shape[:2]
    j = rng.uniform(-ROI_JITTER, ROI_JITTER, 4) * np.array([bw, bh, bw, bh])
    x0 = int(np.clip(bx + j[0], 0, W - 2))
    y0 = int(np.clip(by + j[1], 0, H - 2))
    x1 = int(np.clip(bx + bw + j[2], x0 + 2, W))
    y1 = int(np.clip(by + bh + j[3], y0 + 2, H))
    return MnistPreprocessor()(photo, [ROI(x0, y0, x1 - x0, y1 - y0)])[0, :, :, 0], "box"


def _render_range(args: tuple[np.ndarray, int, int]) -> np.ndarray:
    digits, seed, start = args
    out = np.zeros(digits.shape, np.uint8)
    for k, d in enumerate(digits):
        m, _ = render_one(d, np.random.default_rng([seed, start + k]))
        out[k] = np.clip(np.rint(m * 255.0), 0, 255).astype(np.uint8)
    return out


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
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        raise ValueError(f"expected uint8 (N, 28, 28) MNIST digits, got {x.dtype} {x.shape}")
    if len(y) != len(x):
        raise ValueError(f"{len(x)} digits but {len(y)} labels: pass one label per digit")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    jobs = [(x[i : i + CHUNK], seed, start + i) for i in range(0, len(x), CHUNK)]
    if workers == 1 or len(jobs) == 1:
        parts = [_render_range(j) for j in jobs]
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_render_range, jobs))
    out = np.concatenate(parts) if parts else np.zeros((0, 28, 28), np.uint8)
    keep = out.reshape(len(out), -1).max(axis=1) > 0
    if not keep.all():
        log.info("camera MNIST: no ink found in %d of %d renderings (dropped)", int((~keep).sum()), len(out))
    return out[keep], np.asarray(y, np.uint8)[keep]


def pick_training_digits(n_train: int, n_mnist: int, seed: int) -> np.ndarray:
    """Indices into MNIST's training split of the ``n_train`` digits to render (a seeded
    permutation, so small sets are spread over all writers).

    Raises:
        ValueError: ``n_train`` is not in 1..``n_mnist``.
    """
    if not 1 <= n_train <= n_mnist:
        raise ValueError(f"camera digits must be 1..{n_mnist} (MNIST's training split), got {n_train}")
    return np.random.default_rng(seed).permutation(n_mnist)[:n_train]


def save_camera_set(
    path: str | Path,
    mnist_train: tuple[np.ndarray, np.ndarray],
    n_train: int,
    seed: int = 0,
    workers: int = 1,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Render ``n_train`` camera digits (and a 10% test part) and write them to ``path`` (``.npz``).

    The test part renders *other* MNIST training digits (never MNIST test digits: those are
    the benchmark's), with the seed ``seed + 1``: a score on unseen renderings of seen writers.

    Args:
        path: the ``.npz`` written (``x_train``, ``y_train``, ``x_test``, ``y_test``, ``seed``, ``index``).
        mnist_train: MNIST's ``(x, y)`` training split.
        n_train: digits rendered for training.
        seed: rendering seed.
        workers: processes.

    Returns:
        ``{"train": (x, y), "test": (x, y)}`` as written.
    """
    x, y = mnist_train
    n_test = min(2000, max(1, n_train // 10), len(x) - n_train) if n_train < len(x) else 0
    idx = (
        pick_training_digits(n_train + n_test, len(x), seed)
        if n_test
        else pick_training_digits(n_train, len(x), seed)
    )
    tr, te = idx[:n_train], idx[n_train:]
    xt, yt = render_camera_mnist(x[tr], y[tr], seed, 0, workers)
    xv, yv = render_camera_mnist(x[te], y[te], seed + 1, 0, workers)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, x_train=xt, y_train=yt, x_test=xv, y_test=yv, seed=seed, index=idx)
    return {"train": (xt, yt), "test": (xv, yv)}


def load_camera_set(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read a set written by :func:`save_camera_set`.

    Returns:
        ``{"train": (x, y), "test": (x, y)}``: x uint8 (N, 28, 28) white on black, y uint8 (N,).

    Raises:
        ValueError: the file is missing or not a camera MNIST set (the message says how to make one).
    """
    p = Path(path)
    hint = f"render one with: python -m train.camera_digits --out {p} --n 24000"
    if not p.is_file():
        raise ValueError(f"no camera MNIST set at {p}; {hint}")
    with np.load(p) as z:
        if not {"x_train", "y_train", "x_test", "y_test"} <= set(z.files):
            raise ValueError(f"{p} is not a camera MNIST set (keys {sorted(z.files)}); {hint}")
        out = {"train": (z["x_train"], z["y_train"]), "test": (z["x_test"], z["y_test"])}
    for split, (xs, ys) in out.items():
        if xs.dtype != np.uint8 or xs.shape[1:] != (28, 28) or len(xs) != len(ys):
            raise ValueError(f"{p}: {split} is {xs.dtype} {xs.shape} with {len(ys)} labels; {hint}")
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m train.camera_digits --out FILE.npz --n N [--seed S] [--workers W] [--data-dir DIR]``."""
    from edge.datasets import load_mnist

    ap = argparse.ArgumentParser(prog="python -m train.camera_digits", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="the .npz to write")
    ap.add_argument("--n", type=int, default=24000, help="MNIST training digits to render (default 24000)")
    ap.add_argument("--seed", type=int, default=0, help="rendering seed (default 0)")
    ap.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    ap.add_argument(
        "--data-dir", default=None, help="MNIST folder (default: $EDGE_DATA_DIR or the Keras cache)"
    )
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sets = save_camera_set(a.out, load_mnist(a.data_dir)["train"], a.n, a.seed, a.workers)
    print(f"wrote {len(sets['train'][0])} + {len(sets['test'][0])} camera MNIST digits to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "CROP_SHARE",
    "ROI_JITTER",
    "camera_crop_input",
    "load_camera_set",
    "pick_training_digits",
    "render_camera_mnist",
    "render_one",
    "save_camera_set",
]
