"""Which way round the ink is, per ROI, and whether an image already is an MNIST model input.

MNIST stores white ink on black; photos mostly show dark ink on light paper, but chalk,
white marker on dark card, inverted scans, USPS zip-code scans and OpenCV's
``digits.png`` are light on dark. Both decisions here look only at the crop itself:

- :func:`ink_is_light_in`: the ground is estimated by a large median filter (pen
  strokes of either polarity do not move it, shadows and paper edges do), and the ink
  is the side of the strongest deviations from it (light only when it outweighs the
  dark side by :data:`LIGHT_BIAS`). Measured on 1,000 camera-like loose crops of
  ``benchmarks/realistic_digits.py`` (dark ink, shadows, paper edges) it called 3
  light, and 27 of the same crops inverted dark (their shadows turn into light
  patches); all 5,000 cells of OpenCV's ``digits.png`` light.
- :func:`looks_like_model_input`: light ink centred on a black field with an empty
  border, as MNIST (and ``edge-capture``) store digits, at any size. Such an image is
  put into MNIST's geometry directly (:func:`ready_model_input`), not run through the
  photo normalisation, whose flat-fielding assumes paper.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from edge.preprocess.mnist_format import MNIST_SIZE, crop_to_ink, place_mnist
from edge.segment.ink import odd

#: Side (px) the crop is subsampled to (by striding) before its statistics are taken.
STATS_SIZE = 24
#: Crops up to this size (px, longer side) are scans (USPS: 16x16) whose digit may fill
#: them: their ground is their border's median grey.
SCAN_SIZE = 24
#: Share of a crop's pixels taken as its strongest (ink) response.
INK_SHARE = 0.05
#: Light ink only when the light deviations outweigh the dark ones by this factor: dark ink
#: on paper is the common case, and a shadow or a table edge in a loose crop adds light
#: deviations (1.2: 3 of 1,000 camera-like dark crops called light instead of 10 at 1.0;
#: all of OpenCV's light digits still light).
LIGHT_BIAS = 1.2
#: Width of the border ring as a fraction of the shorter side (at least 1 px).
RING = 0.08
#: A model input's border: this share of ring pixels at most may exceed a quarter of the peak.
READY_BORDER_INK = 0.05
#: A model input's ink peak must reach this grey level (0..255).
READY_MIN_PEAK = 100
#: A model input's centre of mass lies within this fraction of its side from the centre.
READY_CENTRE = 0.2


def _sample(grey: np.ndarray) -> np.ndarray:
    """``grey`` subsampled by striding to at most about :data:`STATS_SIZE` px a side."""
    h, w = grey.shape
    return grey[:: max(1, h // STATS_SIZE), :: max(1, w // STATS_SIZE)]


def border_ring(grey: np.ndarray) -> np.ndarray:
    """The pixels of ``grey``'s outer ring (width :data:`RING` of the shorter side), 1-D, ``grey``'s dtype
    (uint8 for an image)."""
    h, w = grey.shape
    r = max(1, int(round(RING * min(h, w))))
    if 2 * r >= min(h, w):
        return grey.ravel()
    return np.concatenate(
        [grey[:r].ravel(), grey[-r:].ravel(), grey[r:-r, :r].ravel(), grey[r:-r, -r:].ravel()]
    )


def sorted_ring(grey: np.ndarray) -> np.ndarray:
    """``np.sort(border_ring(grey))``: the same pixels gathered by one boolean index (a mask kept per
    crop size, :func:`ring_mask`) instead of four slices and a concatenation, then radix-sorted.

    Args:
        grey: uint8 (H, W), H, W >= 1 (a view is fine).

    Returns:
        uint8 (n,) the ring's grey levels in ascending order.
    """
    return np.sort(grey[ring_mask(*grey.shape)], kind="stable")  # a radix sort of uint8


@functools.lru_cache(maxsize=256)
def ring_mask(h: int, w: int) -> np.ndarray:
    """bool (h, w): True on the pixels :func:`border_ring` takes from an (h, w) image (h, w >= 1;
    a digit crop of 30-120 px: 1-15 KB, kept for the last 256 sizes). Read only."""
    flat = np.zeros(h * w, bool)
    flat[border_ring(np.arange(h * w).reshape(h, w))] = True  # the ring's flat indices
    mask = flat.reshape(h, w)
    mask.flags.writeable = False
    return mask


def median_level(values: np.ndarray) -> int:
    """``int(np.median(values))`` of uint8 ``values`` (1-D, non-empty), by a radix sort: several
    times faster on the few hundred pixels of a border ring.

    Returns:
        The median grey level 0..255 (the mean of the two middle ones, rounded down, for an
        even count).
    """
    s = np.sort(values, kind="stable")  # a radix sort of uint8
    m = len(s) // 2
    return int(s[m]) if len(s) % 2 else (int(s[m - 1]) + int(s[m])) // 2


def ink_is_light_in(grey: np.ndarray, robust: bool = True) -> bool:
    """Whether the crop ``grey`` shows light ink on a darker ground.

    The ground (paper, board, card, with its shadows and highlights) is estimated on
    the crop subsampled to about :data:`STATS_SIZE` px; the ink is the side (darker or
    lighter than that ground) of the strongest deviations: the :data:`INK_SHARE` of
    pixels furthest above it must outweigh those furthest below it by :data:`LIGHT_BIAS`.

    Args:
        grey: uint8 (H, W) crop around one digit (or a loose crop of one digit), any size.
        robust: how the ground of a crop larger than :data:`SCAN_SIZE` is estimated
            (smaller ones are scans: their border ring's median). ``True``: a median
            filter half the crop wide, which pen strokes of either polarity do not move
            and which follows shadow edges (about 60 us a crop here; loose crops,
            ``edge-eval --crop``). ``False``: a 4x4 area average interpolated back
            (about 25 us; ROI crops from the segmenter, framed by their ground; it takes
            a crop whose ground is cut by a shadow or a table edge for light ink about
            1.5x as often).

    Returns:
        ``True`` for light ink on a darker ground.
    """
    small = _sample(grey)
    if min(small.shape) < 3:
        return False
    if max(grey.shape) <= SCAN_SIZE:  # a scan: its digit may fill it, its border is ground
        ground = np.full_like(small, median_level(border_ring(small)))
    elif robust:
        ground = cv2.medianBlur(small, min(odd(0.5 * max(small.shape)), 2 * (min(small.shape) // 2) + 1))
    else:
        coarse = cv2.resize(small, (4, 4), interpolation=cv2.INTER_AREA)
        ground = cv2.resize(coarse, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_LINEAR)
    n = small.size
    k = max(1, int(INK_SHARE * n))
    # the k largest deviations above and below the ground from the sorted signed
    # deviations (its k smallest and k largest); only their positive parts count, as with
    # the saturated uint8 differences ground - grey and grey - ground (a sort of these few
    # hundred int16 is several times faster than partitioning them: they repeat a lot)
    d = np.sort(cv2.subtract(small, ground, dtype=cv2.CV_16S).ravel())
    below = -int(np.minimum(d[:k], 0).sum(dtype=np.int32))
    above_ = int(np.maximum(d[n - k :], 0).sum(dtype=np.int32))
    return bool(above_ > LIGHT_BIAS * below)


def looks_like_model_input(grey: np.ndarray) -> bool:
    """Whether ``grey`` already looks like an MNIST model input: light ink centred on black.

    The border ring is black (its median at most a 16th of the peak, at most
    :data:`READY_BORDER_INK` of it above a quarter), the ink is bright (peak >=
    :data:`READY_MIN_PEAK`) and its centre of mass
    is within :data:`READY_CENTRE` of the side from the centre. Any size.

    Args:
        grey: uint8 (H, W).
    """
    h, w = grey.shape
    if min(h, w) < 8 or grey.size == 0:
        return False
    peak = int(grey.max())
    if peak < READY_MIN_PEAK:
        return False
    ring = border_ring(grey)
    if np.count_nonzero(ring > peak // 4) > READY_BORDER_INK * ring.size or np.median(ring) > peak / 16:
        return False
    m = cv2.moments(grey)
    if m["m00"] <= 0:
        return False
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    return abs(cx - (w - 1) / 2) <= READY_CENTRE * w and abs(cy - (h - 1) / 2) <= READY_CENTRE * h


def ready_model_input(grey: np.ndarray) -> np.ndarray:
    """An image that :func:`looks_like_model_input` in MNIST's geometry.

    28x28 images are taken as they are; other sizes are cropped to their ink and
    placed as MNIST places digits (20-px box, centre of mass at (14, 14),
    :func:`edge.preprocess.mnist_format.place_mnist`).

    Args:
        grey: uint8 (H, W), white ink on black.

    Returns:
        float32 (28, 28) in [0, 1], white ink on black.
    """
    ink = grey.astype(np.float32) * np.float32(1.0 / 255.0)
    if grey.shape == (MNIST_SIZE, MNIST_SIZE):
        return ink
    return place_mnist(crop_to_ink(ink, level=0.1))
