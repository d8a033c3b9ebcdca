"""The digit finder's ink mask at one level (:meth:`edge.segment.digits.DigitSegmenter._pieces`).

Moved out of :mod:`edge.segment.digits` (at the project's 400-line limit), unchanged: pixels
darker than the ink level, inside a region, where allowed, cropped to the box around them (where
the contours are looked for).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["ink_mask"]


def ink_mask(
    dark: np.ndarray,
    level: np.ndarray,
    region: tuple[int, int, int, int],
    floor: int = 0,
    within: np.ndarray | None = None,
) -> tuple[np.ndarray | None, tuple[int, int]]:
    """The ink inside ``region``: ``dark`` above ``level`` (raised to at least ``floor``), only
    where ``within`` is non-zero, cropped to the box around it.

    Args:
        dark: uint8 (h, w) darkness (0 paper .. 255 black).
        level: uint8 (h, w) ink level.
        region: the box (x0, y0, x1, y1) looked at, px (0 <= x0 < x1 <= w, 0 <= y0 < y1 <= h).
        floor: the level is at least this (0..255; 0: the level as it is).
        within: uint8 (h, w): ink only where non-zero, or ``None`` (everywhere).

    Returns:
        (uint8 (mh, mw) 0 or 255 the ink in its box, or ``None`` when there is no ink; the box's
        (x, y) origin in ``dark``'s pixels, or ``region``'s when there is no ink).
    """
    x0, y0, x1, y1 = region
    lev = level[y0:y1, x0:x1]
    if floor:
        lev = np.maximum(lev, np.uint8(floor))
    mask = cv2.compare(dark[y0:y1, x0:x1], lev, cv2.CMP_GT)
    if within is not None:
        mask = cv2.bitwise_and(mask, within[y0:y1, x0:x1])
    bx, by, bw, bh = cv2.boundingRect(mask)
    if bw == 0:
        return None, (x0, y0)
    return mask[by : by + bh, bx : bx + bw], (x0 + bx, y0 + by)
