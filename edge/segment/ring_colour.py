"""The colours around a candidate's box, in a ring :data:`RING` of its longer side wide (for desk_bars).

Imports NumPy and :mod:`edge.types`.
"""

from __future__ import annotations

import numpy as np

from edge.types import ROI

__all__ = ["MIN_RING", "RING", "ring_median", "ring_pixels"]

#: The ring around a box: this share of the box's longer side (at least :data:`MIN_RING` px) wide.
RING = 0.15
MIN_RING = 4


def _ring_raw(image: np.ndarray, roi: ROI) -> np.ndarray:
    """uint8 (N, C) colours of ``image`` in a ring around ``roi`` (every other px each way), N >= 0."""
    H, W = image.shape[:2]
    p = max(MIN_RING, int(RING * max(roi.w, roi.h)))
    X0, Y0 = max(0, roi.x - p), max(0, roi.y - p)
    X1, Y1 = min(W, roi.x + roi.w + p), min(H, roi.y + roi.h + p)
    keep = np.ones((Y1 - Y0, X1 - X0), bool)
    keep[max(0, roi.y - Y0) : roi.y + roi.h - Y0, max(0, roi.x - X0) : roi.x + roi.w - X0] = False
    v = image[Y0:Y1:2, X0:X1:2][keep[::2, ::2]]  # (every other px each way: a quarter of the work)
    return v.reshape(len(v), -1)


def ring_pixels(image: np.ndarray, roi: ROI) -> np.ndarray:
    """float32 (N, C) colours of ``image`` in a ring around ``roi`` (every other px each way), N >= 0."""
    return _ring_raw(image, roi).astype(np.float32)


def ring_median(image: np.ndarray, roi: ROI) -> np.ndarray | None:
    """float32 (C,) median colour of ``image`` in a ring around ``roi`` (``None``: no ring in the frame);
    NumPy's median, from a partition of the uint8 channels (half the cost)."""
    v = np.ascontiguousarray(_ring_raw(image, roi).T)
    n = v.shape[1]
    if not n:
        return None
    k = n // 2
    if n % 2:
        return np.partition(v, k, axis=1)[:, k].astype(np.float32)
    low = np.partition(v, [k - 1, k], axis=1)
    return (low[:, k - 1].astype(np.float32) + low[:, k]) / 2.0
