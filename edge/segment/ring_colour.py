"""The colours around a candidate's box, in a ring :data:`RING` of its longer side wide (for desk_bars).

Imports NumPy and :mod:`edge.types`.
"""

from __future__ import annotations

import numpy as np

from edge.types import ROI

__all__ = ["MIN_RING", "RING", "median_colour", "pixel_medians", "ring_median", "ring_pixels"]

#: The ring around a box: this share of the box's longer side (at least :data:`MIN_RING` px) wide.
RING = 0.15
MIN_RING = 4


def _padded(image: np.ndarray, roi: ROI) -> tuple[int, int, int, int]:
    """``roi`` grown by the ring's width, clipped to ``image``: X0, Y0, X1, Y1 (px)."""
    H, W = image.shape[:2]
    p = max(MIN_RING, int(RING * max(roi.w, roi.h)))
    return max(0, roi.x - p), max(0, roi.y - p), min(W, roi.x + roi.w + p), min(H, roi.y + roi.h + p)


def _ring_raw(image: np.ndarray, roi: ROI) -> np.ndarray:
    """uint8 (N, C) colours of ``image`` in a ring around ``roi`` (every other px each way), N >= 0, in
    raster order."""
    X0, Y0, X1, Y1 = _padded(image, roi)
    keep = np.ones((Y1 - Y0, X1 - X0), bool)
    keep[max(0, roi.y - Y0) : roi.y + roi.h - Y0, max(0, roi.x - X0) : roi.x + roi.w - X0] = False
    v = image[Y0:Y1:2, X0:X1:2][keep[::2, ::2]]  # (every other px each way: a quarter of the work)
    return v.reshape(len(v), -1)


def _ring_bands(image: np.ndarray, roi: ROI) -> np.ndarray:
    """:func:`_ring_raw`'s pixels in another order (for any ROI that overlaps the frame): the grid's rows
    above ``roi``, those below, then the parts of the rows beside it left and right of it (views of the
    frame, copied once together; a boolean mask of the padded box costs twice as much)."""
    X0, Y0, X1, Y1 = _padded(image, roi)
    v = image[Y0:Y1:2, X0:X1:2]
    # (roi covers the padded box's rows a..b and columns c..d; the grid's rows i0..i1 and columns j0..j1)
    a, c = max(0, roi.y - Y0), max(0, roi.x - X0)
    b, d = max(a, min(Y1 - Y0, roi.y + roi.h - Y0)), max(c, min(X1 - X0, roi.x + roi.w - X0))
    i0, i1, j0, j1 = (a + 1) // 2, (b + 1) // 2, (c + 1) // 2, (d + 1) // 2
    n = 1 if image.ndim == 2 else image.shape[2]
    return np.concatenate([s.reshape(-1, n) for s in (v[:i0], v[i1:], v[i0:i1, :j0], v[i0:i1, j1:])])


def ring_pixels(image: np.ndarray, roi: ROI) -> np.ndarray:
    """float32 (N, C) colours of ``image`` in a ring around ``roi`` (every other px each way), N >= 0."""
    return _ring_raw(image, roi).astype(np.float32)


def ring_median(image: np.ndarray, roi: ROI) -> np.ndarray | None:
    """float32 (C,) median colour of ``image`` in a ring around ``roi`` (``None``: no ring in the frame)
    (:func:`pixel_medians`; a median does not depend on the order of the pixels: :func:`_ring_bands`)."""
    v = _ring_bands(image, roi)
    return pixel_medians(v).astype(np.float32) if len(v) else None


def pixel_medians(pixels: np.ndarray) -> np.ndarray:
    """float64 (C,) the median of each channel of uint8 (n, C) ``pixels``: ``np.median`` per channel
    (the mean of the two middle values for an even count: a whole or half level, exact in float32 too),
    read off each channel's values sorted (NumPy's stable sort of uint8 is a radix sort, linear in the
    pixels: a third to a half of the time of three histograms and their cumulative sums, and about as
    fast as a partition of a few hundred values).

    Raises:
        ValueError: no pixel (n = 0).
    """
    n = len(pixels)
    if not n:
        raise ValueError("no pixel to take the median of")
    values = pixels.T.copy()  # (C, n)
    values.sort(axis=1, kind="stable")
    # the values of the middle two of the n pixels (ranks (n - 1) // 2 and n // 2, from 0), their mean in
    # plain Python (whole numbers up to 510 over 2: the float64 NumPy gives; a few channels)
    low, high = values[:, (n - 1) // 2].tolist(), values[:, n // 2].tolist()
    return np.array([(a + b) / 2.0 for a, b in zip(low, high, strict=True)])


def median_colour(colours: list[np.ndarray]) -> np.ndarray:
    """float32 (C,): ``np.median(np.array(colours), axis=0)`` of a few float32 (C,) colours (one or more),
    from a sort (NumPy's median: the middle one, or the mean of the middle two, (a + b) / 2 in float32)."""
    s = np.sort(np.array(colours), axis=0)
    k = len(s) // 2
    return s[k] if len(s) % 2 else (s[k - 1] + s[k]) / 2
