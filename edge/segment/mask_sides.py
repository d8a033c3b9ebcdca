"""Which edges of a frame a mask reaches, and a cheap bound on what its closing reaches.

The board test of :func:`edge.segment.ink_polarity.frame_ink_is_light` asks whether the darker
Otsu class of a frame, closed by a square, reaches at least two of the frame's edges
(:func:`sides`). A closing lies inside the dilation by the same square (the erosion after it only
removes), and the dilation by a ``k`` px square (OpenCV's default border: nothing outside the frame
counts) reaches an edge only where the mask has a pixel within ``k // 2`` px of it; so
:func:`sides` of the mask's strips ``k // 2 + 1`` px wide bounds :func:`sides` of its closing from
above (:func:`closing_sides_bound`), without the closing: on ``edge-bench classic``'s grey paper
the class reaches fewer than two edges in most frames, and the test ends there.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["closing_sides_bound", "sides"]


def sides(mask: np.ndarray, width: int = 1) -> int:
    """How many of the four edges of uint8 (h, w) ``mask`` it reaches (0..4): has a nonzero pixel
    within ``width`` (>= 1) px of that edge (its first or last ``width`` rows or columns)."""
    w = width
    return sum(bool(cv2.countNonZero(e)) for e in (mask[:w], mask[-w:], mask[:, :w], mask[:, -w:]))


def closing_sides_bound(mask: np.ndarray, k: int) -> int:
    """An upper bound (0..4) on :func:`sides` of ``cv2.morphologyEx(mask, cv2.MORPH_CLOSE, square)``
    for a ``k`` x ``k`` all-ones square (``k`` >= 1, its anchor the centre), without the closing.

    The closing is within the dilation by the square, which reaches an edge only where ``mask``
    (uint8 (h, w)) has a nonzero pixel within ``k // 2`` px of it: :func:`sides` of ``mask`` with
    ``width`` ``k // 2 + 1``.
    """
    return sides(mask, k // 2 + 1)
