"""Which way round the ink is, per ROI, and whether an image already is an MNIST model input.

MNIST stores white ink on black; photos mostly show dark ink on light paper, but chalk,
white marker on dark card, inverted scans, USPS zip-code scans and OpenCV's
``digits.png`` are light on dark. Both decisions here look only at the crop itself:

- :func:`ink_is_light_in`: the ground is estimated by a large median filter (pen
  strokes of either polarity do not move it, shadows and paper edges do), and the ink
  is the side of the strongest deviations from it; in a loose crop also the side whose
  edges pair up as the two sides of strokes (:func:`stroke_pairs`: a shadow's or a paper
  edge's boundary is one edge, a pen stroke two). Light only when the light side
  outweighs the dark one by :data:`LIGHT_BIAS`. Measured on the loose crops of
  ``benchmarks/realistic_digits.py generate --crops 1000`` (dark ink, shadows, paper
  edges, table corners) with seeds 21 and 22: 3 and 4 of the 1,000 called light, and 15
  and 12 of the same crops inverted (``cv2.bitwise_not``) called dark; the deviations
  alone called 9 and 5 light, and 32 and 27 inverted dark (a lit corner beyond a shadow
  outweighs faint ink). All 5,000 cells of OpenCV's ``digits.png`` light.
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
#: Light ink only when the light deviations outweigh the dark ones by this factor (in a
#: loose crop: the geometric mean of that ratio and the stroke pairs' ratio): dark ink on
#: paper is the common case, and a shadow or a table edge in a loose crop adds light
#: deviations (the deviations alone at 1.2: 9 of 1,000 camera-like dark crops of seed 21
#: called light instead of 12 at 1.0; with the stroke pairs 3 instead of 7; all of
#: OpenCV's light digits still light).
LIGHT_BIAS = 1.2
#: Side (px, longer side) a loose crop is resized to for its stroke pairs (:func:`stroke_pairs`).
STROKE_SIZE = 64
#: Share of the resized crop's pixels, those of the strongest gradients, taken as edges.
STROKE_EDGE_SHARE = 0.25
#: Widest stroke, as a fraction of the resized crop's longer side (a digit at most fills its
#: crop, and its strokes are at most about a sixth of its height).
STROKE_MAX_WIDTH = 0.15
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
    """``np.sort(border_ring(grey))``: the same pixels gathered by one index of the flattened crop (the
    ring's flat indices kept per crop size, :func:`ring_index`) instead of four slices and a
    concatenation, then radix-sorted. (A view is flattened by one contiguous copy; with it the gather
    is about 1.5x as fast as a boolean mask's on the view.)

    Args:
        grey: uint8 (H, W), H, W >= 1 (a view is fine).

    Returns:
        uint8 (n,) the ring's grey levels in ascending order.
    """
    return np.sort(grey.ravel()[ring_index(*grey.shape)], kind="stable")  # a radix sort of uint8


@functools.lru_cache(maxsize=256)
def ring_index(h: int, w: int) -> np.ndarray:
    """intp (n,): the flat (row-major) indices in an (h, w) image of the pixels :func:`border_ring`
    takes from it, ascending (h, w >= 1; 8 bytes a ring pixel: a digit crop of 30 / 64 / 120 px holds
    1.8 / 9.4 / 35 KB; kept for the last 256 sizes). Read only."""
    flat = np.zeros(h * w, bool)
    flat[border_ring(np.arange(h * w).reshape(h, w))] = True  # the ring's flat indices
    index = np.flatnonzero(flat)
    index.flags.writeable = False
    return index


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
    A loose crop (``robust``, larger than :data:`SCAN_SIZE`) is judged by its strokes as
    well: the ratio of those deviations times the ratio of the light to the dark
    :func:`stroke_pairs` must exceed ``LIGHT_BIAS ** 2`` (their geometric mean
    ``LIGHT_BIAS``). A shadow over most of the crop, a lit corner or a dark table beyond
    the paper's edge deviates from the median ground more than faint ink, but its
    boundary is a single edge; the strokes' two edges a stroke width apart tell which
    side the ink is on.

    Args:
        grey: uint8 (H, W) crop around one digit (or a loose crop of one digit), any size.
        robust: how a crop larger than :data:`SCAN_SIZE` is judged (smaller ones are
            scans: their ground is their border ring's median, no stroke pairs).
            ``True``: a median filter half the crop wide as the ground, which pen
            strokes of either polarity do not move and which follows shadow edges, and
            the stroke pairs (about 0.3 instead of 0.05 ms a crop here, the median
            alone; ``edge-eval --crop``'s whole model input about 1.2 instead of 1.0
            ms; timeit over 1,000 realistic crops). ``False``: the ground a 4x4 area
            average interpolated back, no stroke pairs (about 25 us; ROI crops from
            the segmenter, framed by their ground; it takes a crop whose ground is cut
            by a shadow or a table edge for light ink about 1.5x as often as the
            median alone).

    Returns:
        ``True`` for light ink on a darker ground.
    """
    small = _sample(grey)
    if min(small.shape) < 3:
        return False
    pairs = None  # a loose crop's stroke pairs (light, dark)
    if max(grey.shape) <= SCAN_SIZE:  # a scan: its digit may fill it, its border is ground
        ground = np.full_like(small, median_level(border_ring(small)))
    elif robust:
        pairs = stroke_pairs(grey)
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
    if pairs is not None:
        # a loose crop: the deviations' ratio times the stroke pairs' ratio (their geometric
        # mean against LIGHT_BIAS), so that a shadow or a table corner, which deviates from
        # the ground but has no second edge, does not outweigh faint strokes
        return bool(above_ * pairs[0] > LIGHT_BIAS**2 * below * pairs[1])
    return bool(above_ > LIGHT_BIAS * below)


def stroke_pairs(grey: np.ndarray) -> tuple[float, float]:
    """How much of a crop's edges pair up as the two sides of a light stroke, and of a dark one.

    A pen stroke has two parallel edges with opposite gradients, a stroke width apart; the
    edge of a shadow, of the paper or of a table has none (the stroke width transform's
    pairing, B. Epshtein, E. Ofek, Y. Wexler, CVPR 2010, which decides text polarity the
    same way). The crop is resized to :data:`STROKE_SIZE` px (longer side) and blurred
    (sigma 1 px); its edges are the :data:`STROKE_EDGE_SHARE` of pixels with the strongest
    Sobel gradients. From each edge pixel a ray runs along its gradient (towards the
    lighter side: into a light stroke) or against it (into a dark stroke) for at most
    :data:`STROKE_MAX_WIDTH` of the side; the pixel pairs when the ray meets an edge pixel
    whose gradient points back (more than 120 degrees from its own).

    Args:
        grey: uint8 (H, W), H, W >= 1.

    Returns:
        (light, dark): the summed gradient magnitudes (grey levels per px, Sobel-scaled) of the
        edge pixels that pair across a light stroke, and across a dark one; both 0.0 for a
        flat crop.
    """
    h, w = grey.shape
    f = STROKE_SIZE / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    small = cv2.GaussianBlur(small.astype(np.float32), (0, 0), 1.0)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    mag = cv2.magnitude(gx, gy)
    n = mag.size
    k = max(1, int(STROKE_EDGE_SHARE * n))
    edge = mag >= max(float(np.partition(mag.ravel(), n - k)[n - k]), 1e-3)
    reach = max(2, round(STROKE_MAX_WIDTH * max(small.shape)))
    # unit gradients on the edge pixels, zero elsewhere and on a margin wider than a ray
    # (a ray that leaves the crop meets only zeros: no pair), flat; all rays gathered at once
    # by flat offsets (a ray against the gradient has the negated offsets: rint is odd)
    W = small.shape[1] + 2 * reach
    ux = np.zeros((small.shape[0] + 2 * reach) * W, np.float32)
    uy = np.zeros_like(ux)
    ys, xs = np.nonzero(edge)
    m = mag[ys, xs]
    ex, ey = gx[ys, xs] / m, gy[ys, xs] / m
    at = (ys + reach) * W + xs + reach
    ux[at], uy[at] = ex, ey
    steps = np.arange(2, reach + 1, dtype=np.float32)[:, None]
    off = np.rint(steps * ex).astype(np.intp) + W * np.rint(steps * ey).astype(np.intp)
    sums = []
    for q in (at + off, at - off):  # along the gradient (into a light stroke), against it (a dark one)
        back = np.take(ux, q) * ex + np.take(uy, q) * ey < -0.5  # an edge whose gradient points back
        sums.append(float(m[back.any(axis=0)].sum()))
    return sums[0], sums[1]


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
