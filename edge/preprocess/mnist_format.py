"""The MNIST format: 28x28 px, the ink's box 20 px on its longer side, centre of mass centred.

MNIST was made (Y. LeCun, C. Cortes, C. Burges, http://yann.lecun.com/exdb/mnist/) by
scaling each binary NIST digit's bounding box to fit a 20x20 box, preserving the
aspect ratio, with anti-aliasing (which gives the grey levels), then placing it in a
28x28 field so that its centre of mass is at the centre. :func:`place_mnist` repeats
those last steps on extracted ink; :func:`deskew_ink` is OpenCV's moment deskew.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from edge.segment.ink import above

#: Side of an MNIST image (px).
MNIST_SIZE = 28
#: Longer side of the digit's bounding box inside the 28x28 image (px).
MNIST_BOX = 20
#: Where MNIST puts the centre of mass, (x, y) in pixel-index coordinates.
MNIST_CENTRE = (14.0, 14.0)
#: MNIST's median stroke width at 28x28 (px), measured as 2 * ink area / contour length.
MNIST_STROKE = 2.3
#: Stroke widths (px at 28x28) left as they are; thinner pencil is dilated and
#: fatter marker eroded into this range (MNIST's 5th..95th percentiles: 1.5..3.5).
MNIST_STROKE_RANGE = (1.7, 3.2)


def image_moments(image: np.ndarray) -> dict[str, float]:
    """``cv2.moments`` of a 2-D image (spatial moments ``m00``, ``m10``, ``m01`` ..., central
    ``mu..`` and normalised ``nu..``; px), also when it is 2 px wide: OpenCV reads a float32 or
    int32 (n, 2) array as n points (a polygon's moments: a thin "1"'s box centred by the polygon's
    centroid, or left blank when that polygon's area is ~0), so that one is measured as float64,
    which OpenCV reads as an image with the same sums. Every other image is passed as it is (the
    same moments as before, to the bit)."""
    if image.ndim == 2 and image.shape[1] == 2 and image.dtype != np.float64:
        image = image.astype(np.float64)
    return cv2.moments(image)


def deskew_ink(ink: np.ndarray) -> np.ndarray:
    """Shear ``ink`` so its principal axis is vertical (OpenCV samples/python/digits.py).

    ``skew = mu11 / mu02`` from the image moments; the shear is about the centre
    of mass and the canvas widens so nothing is cut off.
    """
    m = image_moments(ink)
    if abs(m["mu02"]) < 1e-2 or m["m00"] <= 0:
        return ink
    skew = float(np.clip(m["mu11"] / m["mu02"], -1.0, 1.0))
    h, w = ink.shape
    cy = m["m01"] / m["m00"]
    extra = int(np.ceil(abs(skew) * h))
    # dst(x, y) = src(x + skew * (y - cy) - extra / 2, y)
    mat = np.array([[1.0, skew, -skew * cy - extra / 2.0], [0.0, 1.0, 0.0]], np.float32)
    return cv2.warpAffine(
        ink,
        mat,
        (w + extra, h),
        flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def place_mnist(ink: np.ndarray, out: np.ndarray | None = None, cleared: bool = False) -> np.ndarray:
    """LeCun's last two steps on a tight ink image: 20-px box, centre of mass at (14, 14).

    Args:
        ink: float32 (h, w) in [0, 1], white ink on black, cropped to the ink's
            bounding box (any size; area-resized when shrinking); or uint8 (h, w) ink
            levels (0 = no ink), which give the same result as the float ink they are a
            multiple of (the box is scaled to its peak).
        out: optional float32 (28, 28) array (e.g. a view into a batch) to write into.
        cleared: ``out`` is all zeros already (a fresh batch): it is not cleared again.

    Returns:
        float32 (28, 28) in [0, 1]: ``out`` when given.
    """
    if out is None:
        out = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    elif not cleared:
        out[...] = 0.0
    h, w = ink.shape
    if h == 0 or w == 0:
        return out
    plan = _plan(h, w)
    nw, nh, rows, cols_t, interp = plan
    # area and linear interpolation of values in [0, 1] stay in [0, 1]
    if rows is not None and cols_t is not None:
        # OpenCV's INTER_AREA as two small products with cached weights (the same to 1e-6,
        # without the resize's per-call set-up; the ink of a frame's digit is 64-90 px);
        # np.dot: the same BLAS products as ``@`` with less set-up per call
        box = np.dot(np.dot(rows, ink.astype(np.float32, copy=False)), cols_t)
    else:
        src = ink if ink.dtype == np.float32 else ink.astype(np.float32)
        box = np.asarray(cv2.resize(src, (nw, nh), interpolation=interp), np.float32).reshape(nh, nw)
    peak = cv2.minMaxLoc(box)[1]
    if peak <= 0:
        return out
    # a thin stroke averaged below 1 by the area resize: restore its core
    box *= np.float32(1.0 / peak)
    m = cv2.moments(box) if nw != 2 else image_moments(box)  # (a 2-px wide box: see image_moments)
    m00 = m["m00"]
    if m00 <= 1e-6:
        return out
    # integer shift (no resampling blur) of the centre of mass to MNIST's, clipped so the
    # box stays inside 28x28
    ox = round(MNIST_CENTRE[0] - m["m10"] / m00)
    oy = round(MNIST_CENTRE[1] - m["m01"] / m00)
    ox = 0 if ox < 0 else (MNIST_SIZE - nw if ox > MNIST_SIZE - nw else ox)
    oy = 0 if oy < 0 else (MNIST_SIZE - nh if oy > MNIST_SIZE - nh else oy)
    out[oy : oy + nh, ox : ox + nw] = box
    return out


@functools.lru_cache(maxsize=4096)
def _plan(h: int, w: int) -> tuple[int, int, np.ndarray | None, np.ndarray | None, int]:
    """:func:`place_mnist`'s plan for an ink of ``h`` x ``w`` px (h, w >= 1): the 20-px box's
    (width, height), and either the area weights of its rows and (transposed) columns or the
    resize interpolation (kept per shape: small tuples sharing :data:`_WEIGHTS`' arrays)."""
    s = MNIST_BOX / (h if h > w else w)
    nw, nh = int(round(w * s)) or 1, int(round(h * s)) or 1
    if s < 1 and h <= 128 and w <= 128:
        rows, cols = _WEIGHTS.get((h, nh)), _WEIGHTS.get((w, nw))
        if rows is None:
            rows = _area_weights(h, nh)
        if cols is None:
            cols = _area_weights(w, nw)
        return nw, nh, rows, cols.T, cv2.INTER_AREA
    return nw, nh, None, None, cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR


#: :func:`_area_weights` by (n_src, n_dst): a long run fills it over tens of thousands of
#: frames (up to 128 x 20 size pairs of at most 10 KB, 2.6 KB on average), then it stays.
_WEIGHTS: dict[tuple[int, int], np.ndarray] = {}


def _area_weights(n_src: int, n_dst: int) -> np.ndarray:
    """float32 (n_dst, n_src): row i averages source pixels over [i, i + 1) * n_src / n_dst,
    each weighted by its overlap (OpenCV's ``INTER_AREA`` when shrinking, one axis).

    Kept in :data:`_WEIGHTS`. Every pair (i, j) at once: ``(min(b, j + 1) - max(a, j)) / s`` over
    ``[a, b)`` (float64, the arithmetic of one pair at a time), positive where source pixel j meets
    the span and at most 0 elsewhere (0 there)."""
    s = n_src / n_dst
    i = np.arange(n_dst, dtype=np.float64)[:, None]
    j = np.arange(n_src, dtype=np.float64)[None, :]
    w = (np.minimum((i + 1.0) * s, j + 1.0) - np.maximum(i * s, j)) / s
    weights = _WEIGHTS[(n_src, n_dst)] = np.where(w > 0.0, w, 0.0).astype(np.float32)
    return weights


def crop_to_ink(ink: np.ndarray, level: float = 0.05) -> np.ndarray:
    """``ink`` cropped to the bounding box of its pixels above ``level``."""
    x, y, w, h = cv2.boundingRect(above(ink, level).astype(np.uint8))
    return ink[y : y + h, x : x + w]
