"""Recoloured MNIST: MNIST digits as camera photos, brought back to 28x28 by the device's preprocessing.

MNIST digits printed as camera photos of coloured ink on coloured,
textured, unevenly lit paper (:func:`render_photo`, drawn with the project's one paper-and-ink
renderer, :mod:`edge.sources.render`), then brought back to a 28×28
model input by the device's own preprocessing (:class:`edge.preprocess.MnistPreprocessor`
on the digit's box, as ``edge-run`` does with a segmenter ROI), so training sees
what inference feeds the model.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from edge.sources.render import (
    camera_photo,
    composite_ink,
    contrasting_ink_colour,
    light_field,
    plain_paper,
    random_paper_colour,
    rule_lines,
)
from edge.types import ROI
from train.pixels import to_uint8

log = logging.getLogger(__name__)


def render_photo(digit: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """An MNIST digit as a photo of coloured ink on coloured, textured, unevenly lit paper.

    The digit is upscaled 2.5-4x as ink coverage (alpha), its density sometimes varied
    at low frequency (ink pressure); the rest is :mod:`edge.sources.render`, the renderer
    of the ``demo`` scene and the benchmark set: any paper colour
    (:func:`~edge.sources.render.random_paper_colour`) with a paper grain, sometimes ruled
    or squared lines, an ink colour that keeps some contrast
    (:func:`~edge.sources.render.contrasting_ink_colour`) composited onto it, a light
    gradient and sometimes a soft shadow edge, then blur, sensor noise and sometimes JPEG
    compression (all in float32, one rounding cast to uint8).

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
    a[oy : oy + side, ox : ox + side] = alpha
    # ink pressure: low-frequency variation of the stroke's density
    if rng.random() < 0.5:
        k = max(2, canvas // 12)
        press = cv2.resize(
            rng.uniform(0.6, 1.0, (k, k)).astype(np.float32), (canvas, canvas), interpolation=cv2.INTER_CUBIC
        )
        a *= np.clip(press, 0.5, 1.0)
    a = np.clip(a, 0.0, 1.0)

    paper = random_paper_colour(rng).astype(np.float32)
    ink = contrasting_ink_colour(rng, paper).astype(np.float32)
    grain = [(rng.uniform(2, 12), int(rng.integers(1, 6)))] if rng.random() < 0.7 else []
    img = plain_paper(rng, (canvas, canvas), paper, grain)
    r = rng.random()
    if r < 0.25:  # ruled or squared paper
        step = int(rng.integers(max(8, side // 4), max(9, side // 2)))
        line = paper * rng.uniform(0.7, 0.9) * np.array([1.0, 0.95, 0.85], np.float32)
        lines = range(int(rng.integers(0, step)), canvas, step)
        rule_lines(img, line.tolist(), rows=lines, cols=lines if r < 0.1 else ())
    composite_ink(img, a, 0, 0, ink)
    img *= light_field(
        rng,
        (canvas, canvas),
        level=(0.8, 1.15),
        shadow=0.25,
        shadow_depth=(0.15, 0.4),
        shadow_softness=(1 / 60, 1 / 15),
    )[..., None]
    blur = rng.uniform(0.3, 1.2) if rng.random() < 0.5 else 0.0
    noise = rng.uniform(1, 6) if rng.random() < 0.6 else 0.0
    jpeg = int(rng.integers(40, 95)) if rng.random() < 0.3 else None
    out = camera_photo(img, rng, blur_px=blur, noise_sd=noise, jpeg_quality=jpeg)
    ys, xs = np.nonzero(a > 0.2)
    if len(xs) == 0:
        return out, (0, 0, canvas, canvas)
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    return out, (int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def jittered_roi(
    box: tuple[int, int, int, int], shape: tuple[int, ...], jitter: float, rng: np.random.Generator
) -> ROI:
    """A digit's ink box with each side moved by up to ``jitter`` of the box (a segmenter's box).

    Args:
        box: the ink box (x, y, w, h) in px of the photo.
        shape: the photo's (H, W) (or its full shape).
        jitter: fraction of the box's width (left, right) or height (top, bottom) a side may move.
        rng: draws the four moves (one ``rng.uniform(-jitter, jitter, 4)`` call).

    Returns:
        The ROI, clipped to the photo and at least 2x2 px.
    """
    bx, by, bw, bh = (int(v) for v in box)
    H, W = shape[:2]
    j = rng.uniform(-jitter, jitter, 4) * np.array([bw, bh, bw, bh])
    x0 = int(np.clip(bx + j[0], 0, W - 2))
    y0 = int(np.clip(by + j[1], 0, H - 2))
    x1 = int(np.clip(bx + bw + j[2], x0 + 2, W))
    y1 = int(np.clip(by + bh + j[3], y0 + 2, H))
    return ROI(x0, y0, x1 - x0, y1 - y0)


def recolour_mnist(x: np.ndarray, seed: int = 0, roi_jitter: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
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

    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        raise ValueError(f"expected uint8 (N, 28, 28) MNIST digits, got {x.dtype} {x.shape}")
    pre = MnistPreprocessor()
    rng = np.random.default_rng(seed)
    out = np.zeros(x.shape, np.uint8)
    keep: list[int] = []
    for i, digit in enumerate(x):
        photo, box = render_photo(digit, rng)
        m = pre(photo, [jittered_roi(box, photo.shape[:2], roi_jitter, rng)])[0, :, :, 0]
        if m.max() > 0:
            out[len(keep)] = to_uint8(m * 255.0)
            keep.append(i)
    if len(keep) < len(x):
        log.info(
            "recoloured MNIST: preprocessing found no ink in %d of %d renderings (dropped)",
            len(x) - len(keep),
            len(x),
        )
    return out[: len(keep)], np.asarray(keep, np.int64)


def load_recoloured_mnist(
    mnist: dict[str, tuple[np.ndarray, np.ndarray]], n_train: int = 20000, n_test: int = 2000, seed: int = 0
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
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


__all__ = ["jittered_roi", "load_recoloured_mnist", "recolour_mnist", "render_photo"]
