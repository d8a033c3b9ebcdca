"""How well two classes of a grey view's pixels are apart: Otsu's separability, over the whole view
and in windows (the sheet test of :func:`edge.segment.ink_surfaces.sheet_ink`).

Otsu's separability of a split of the grey levels is the between-class variance over the total
variance (N. Otsu, "A threshold selection method from gray-level histograms", IEEE Trans. SMC 9(1),
62-66, 1979: his criterion eta). A sheet on a dark desk splits the view into two well-apart modes;
a shaded dark ground does not (a smooth ramp split at its middle: 0.75). A lamp's lit wedge across
the sheet or a shadow on the desk spreads each mode over the whole view, but not within a window a
few strokes wide: :func:`local_separability` measures the split there, from box sums as local
adaptive thresholding does (J. Sauvola and M. Pietikainen, "Adaptive document image binarization",
Pattern Recognition 33(2), 225-236, 2000; the sums by box filters or integral images: F. Shafait,
D. Keysers and T. M. Breuel, "Efficient implementation of local adaptive thresholding techniques
using integral images", Proc. SPIE 6815, Document Recognition and Retrieval XV, 2008).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["local_separability", "separability"]


def separability(small: np.ndarray, upper: np.ndarray) -> float:
    """Otsu's separability of uint8 ``small``'s grey levels split into the pixels where uint8 ``upper``
    is 255 and the others: the between-class variance over the total variance, in [0, 1] (0 for a
    flat image or an empty class)."""
    w1 = cv2.countNonZero(upper) / small.size
    mean, std = (float(a[0, 0]) for a in cv2.meanStdDev(small))
    if not 0.0 < w1 < 1.0 or std <= 0.0:
        return 0.0
    m1 = cv2.mean(small, upper)[0]
    m0 = (mean - w1 * m1) / (1.0 - w1)
    return w1 * (1.0 - w1) * (m1 - m0) ** 2 / (std * std)


def local_separability(small: np.ndarray, upper: np.ndarray, k: int, mixed: float = 0.1) -> float:
    """Otsu's separability of the split of uint8 (h, w) ``small`` by uint8 (h, w) ``upper`` (0 / 255)
    within ``k`` x ``k`` px windows (``k`` >= 1; at most the view's shorter side) inside the view,
    every ``k // 4`` px (at least 1) along each axis: the sum of the windows' between-class variances
    over the sum of their total variances, over the windows where each class fills at least ``mixed``
    (in (0, 0.5]) of the window (where the split is: a window within one class has no between-class
    variance to weigh). The windows' sums come from integral images. In [0, 1]; 0 when no window is
    mixed or the mixed ones are flat.

    A smooth gradient of light across a class (a lit wedge across a sheet, a shadow over the desk)
    changes little within a window, and the step between the classes stays whole; a smooth ramp
    split at its middle is no more separable there than over the whole view (0.75; 0.6 in 15-px
    windows, those the split crosses off their centre weighing in lower)."""
    h, w = small.shape[:2]
    k = max(1, min(k, h, w))
    step = max(1, k // 4)
    ys, xs = np.arange(0, h - k + 1, step)[:, None], np.arange(0, w - k + 1, step)

    def windows(sums: np.ndarray) -> np.ndarray:
        """float64: the windows' means from an integral image (h + 1, w + 1)."""
        a, b, c, d = (sums[y, x].astype(np.float64) for y in (ys, ys + k) for x in (xs, xs + k))
        return (d - c - b + a) / (k * k)

    total, squares = cv2.integral2(small, sdepth=cv2.CV_64F)
    m, w1 = windows(total), windows(cv2.integral(cv2.threshold(upper, 0, 1, cv2.THRESH_BINARY)[1]))
    m1 = windows(cv2.integral(cv2.bitwise_and(small, upper), sdepth=cv2.CV_64F))  # w1 x the upper mean
    where = (w1 >= mixed) & (w1 <= 1.0 - mixed)
    if not where.any():
        return 0.0
    m, w1, m1 = m[where], w1[where], m1[where]
    var = float(np.maximum(windows(squares)[where] - m * m, 0.0).sum())
    # between = w1 w0 (mean1 - mean0)^2 = (m1 - w1 m)^2 / (w1 w0), mean1 = m1 / w1, mean0 = (m - m1) / w0
    between = float(((m1 - w1 * m) ** 2 / (w1 * (1.0 - w1))).sum())
    return 0.0 if var <= 0.0 else min(1.0, between / var)
