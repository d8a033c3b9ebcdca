"""Frames for ``edge-bench classic``: MNIST digits on grey paper, and the demo scene.

Issue 13 sets the speed bar on "the same 640x480 frame with five MNIST digits on grey
paper": :func:`grey_paper_frames` renders exactly that from MNIST *test* digits (dark ink,
24..56 px tall, inside the classic recipe's 16..64 px range) on a plain grey sheet under a
gentle light gradient with a little blur and sensor noise. :func:`load_frame_set` also
gives the ``demo`` scene (procedural handwriting on white, cream and coloured paper):
``demo5`` only its frames with five digits, ``demo`` every frame.

Frames made from MNIST are derived from third-party data: never commit them.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from benchmarks.bench_frames import preload_frames
from edge.types import ROI, Frame

#: The frame sets ``edge-bench classic --sets`` knows.
FRAME_SETS = ("mnist-grey", "demo5", "demo")
#: Digit ink heights of the grey-paper frames (px).
HEIGHT_RANGE = (24, 56)


def shared_data_root() -> Path:
    """``$EDGE_DATA_DIR``, else the checkout's ``../shared/data`` (may not exist)."""
    env = os.environ.get("EDGE_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _boxes(rng: np.random.Generator, sizes: list[tuple[int, int]], w: int, h: int) -> list[tuple[int, int]]:
    """Top-left corners for boxes of ``sizes`` (w, h) that do not overlap (with a margin)."""
    placed: list[tuple[int, int, int, int]] = []
    out = []
    for bw, bh in sizes:
        for _ in range(200):
            x, y = int(rng.integers(12, w - bw - 12)), int(rng.integers(12, h - bh - 12))
            if all(x + bw + 16 < px or px + pw + 16 < x or y + bh + 16 < py or py + ph + 16 < y
                   for px, py, pw, ph in placed):  # fmt: skip
                break
        placed.append((x, y, bw, bh))
        out.append((x, y))
    return out


def grey_paper_frame(
    rng: np.random.Generator,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    index: int = 0,
    digits: int = 5,
    width: int = 640,
    height: int = 480,
) -> Frame:
    """One frame of ``digits`` MNIST digits in dark ink on grey paper.

    Args:
        rng: the frame's random generator.
        images: uint8 (N, 28, 28) MNIST digits, white on black.
        labels: uint8 (N,) their classes 0..9.
        index: the frame's number (``timestamp = index / 30``).
        digits: digits on the frame.
        width, height: frame size (px).

    Returns:
        A :class:`~edge.types.Frame`: uint8 (height, width, 3) BGR image, ``truth`` one
        ``(label, ROI)`` per digit, the ROI the tight box of its ink (alpha > 0.25) in
        frame px, left to right.
    """
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    grey = rng.uniform(120, 190)
    light = 1 + rng.uniform(-0.12, 0.12) * (xx / width - 0.5) + rng.uniform(-0.12, 0.12) * (yy / height - 0.5)
    tint = rng.uniform(-6, 6, 3)
    alpha_full = np.zeros((height, width), np.float32)
    picks = rng.choice(len(images), digits, replace=False)
    scales = rng.uniform(*HEIGHT_RANGE, digits) / 20.0  # an MNIST digit's ink is ~20 of 28 px tall
    sizes = [(max(8, round(28 * s)), max(8, round(28 * s))) for s in scales]
    truth = []
    for k, (x, y), (bw, bh) in zip(picks, _boxes(rng, sizes, width, height), sizes, strict=True):
        a = cv2.resize(images[k], (bw, bh), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
        region = alpha_full[y : y + bh, x : x + bw]
        np.maximum(region, a, out=region)
        ys, xs = np.nonzero(a > 0.25)
        x0, y0 = int(xs.min()), int(ys.min())
        box = ROI(x + x0, y + y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1)
        truth.append((str(int(labels[k])), box))
    ink = rng.uniform(20, 70)
    paper = grey * light
    img = paper * (1 - alpha_full) + ink * light * alpha_full
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 0.9))
    bgr = img[..., None] + tint[None, None, :] + rng.normal(0, rng.uniform(1.5, 4.0), (height, width, 3))
    image = np.clip(bgr, 0, 255).astype(np.uint8)
    truth.sort(key=lambda t: t[1].x)
    return Frame(image=image, timestamp=index / 30.0, index=index, truth=tuple(truth))


def grey_paper_frames(
    count: int, *, seed: int = 0, digits: int = 5, mnist_dir: str | Path | None = None
) -> list[Frame]:
    """``count`` 640x480 frames of :func:`grey_paper_frame` (frame ``i`` from ``(seed, i)``).

    Args:
        count: frames, >= 1.
        seed: the set's seed.
        digits: digits per frame.
        mnist_dir: MNIST as ``edge-eval --data-dir`` takes it; ``None``:
            ``<shared data>/mnist`` (:func:`shared_data_root`) when present, else
            ``$EDGE_DATA_DIR`` or the Keras cache.

    Raises:
        ValueError: ``count < 1``; :class:`edge.datasets.DatasetError` (a ValueError):
            MNIST not found (the message says how to provide it).
    """
    from edge.datasets import load_mnist

    if count < 1:
        raise ValueError(f"need at least 1 frame, got {count}")
    if mnist_dir is None and (shared_data_root() / "mnist").is_dir():
        mnist_dir = shared_data_root() / "mnist"
    images, labels = load_mnist(mnist_dir)["test"]
    return [
        grey_paper_frame(np.random.default_rng([seed, i]), images, labels, index=i, digits=digits)
        for i in range(count)
    ]


def load_frame_set(
    name: str, count: int, *, seed: int = 0, mnist_dir: str | Path | None = None
) -> list[Frame]:
    """The frames of one set of :data:`FRAME_SETS`, in memory, with ground truth.

    ``mnist-grey``: :func:`grey_paper_frames`; ``demo5``: the ``demo`` scene's frames with
    five digits (:func:`benchmarks.bench_frames.preload_frames` with ``digits=(5, 5)``);
    ``demo``: every demo frame (1 to 5 digits).

    Raises:
        ValueError: an unknown set name (with the known ones), or no frames.
    """
    if name == "mnist-grey":
        return grey_paper_frames(count, seed=seed, mnist_dir=mnist_dir)
    if name == "demo5":
        return preload_frames("demo", count, seed=seed, digits=(5, 5))
    if name == "demo":
        return preload_frames("demo", count, seed=seed)
    raise ValueError(f"unknown frame set {name!r}; choose from {', '.join(FRAME_SETS)}")
