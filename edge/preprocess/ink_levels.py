"""The kept ink of a digit as uint8 grey levels with MNIST's stroke width (step 4 of
:mod:`edge.preprocess.mnist`, shared by the full path :func:`edge.preprocess.digit_ink.digit_ramp`
and the fast paths of :mod:`edge.preprocess.analysis_ink` and :mod:`edge.preprocess.grey_ink`).

The stroke width is 2 x ink area / contour length (:func:`stroke_width`); it is brought into
MNIST's range by dilating or eroding whole px, and the grey levels come from the darkness
itself (0.5 x the threshold at the threshold, the threshold from 1.5 x it), read through a
256-entry table per threshold (:func:`ink_levels`).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from edge.preprocess.mnist_format import MNIST_BOX, MNIST_STROKE_RANGE


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width (px) of a binary mask: 2 * ink area / contour length.

    For a stroke of width w and length L the area is w * L and the contours
    (outer and holes) run about 2 * L.
    """
    area = float(cv2.countNonZero(mask))
    if area == 0:
        return 0.0
    cs, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    perim = sum(cv2.arcLength(c, True) for c in cs)
    return 2.0 * area / max(perim, 1.0)


def ink_ramp(
    dark: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], t: int
) -> tuple[np.ndarray, int]:
    """The kept ink as uint8 grey levels with MNIST's stroke width (the end of
    :func:`~edge.preprocess.digit_ink.digit_ramp`).

    The stroke width (:func:`stroke_width`, in px at the 20-px box of the ink's box) is
    brought into :data:`~edge.preprocess.mnist_format.MNIST_STROKE_RANGE` by dilating or
    eroding (an octagon of whole px: never below 30 % of the width); the grey levels come
    from the darkness itself: 0.5 x ``t`` at the threshold, ``t`` from 1.5 x it.

    Args:
        dark: uint8 (h, w) darkness (0 paper .. 255 black).
        mask: uint8 (h, w), 255 on the digit's kept ink (:func:`~edge.preprocess.digit_ink.select_ink`).
        box: the kept ink's box x0, y0, x1, y1 in ``dark`` px.
        t: the ink threshold, 0..255.

    Returns:
        (uint8 ink levels 0..``t`` of the box with a border of ``max(r, 0) + 1`` px, zero
        outside the ink; ``t`` made at least 1).
    """
    return ink_levels(dark, mask, box, t)


def ink_levels(
    dark: np.ndarray,
    mask: np.ndarray,
    box: tuple[int, int, int, int],
    t: int,
    outline: list[np.ndarray] | None = None,
    area: int = 0,
    plain: bool = False,
    tight: bool = False,
) -> tuple[np.ndarray, int]:
    """:func:`ink_ramp`, optionally with what
    :func:`~edge.preprocess.digit_ink.select_ink_outline` found, and cropped to the ink.

    Args:
        dark, mask, box, t: as :func:`ink_ramp`.
        outline: every contour of ``mask`` (all inside ``box``) and ``area`` its ink (px):
            the stroke width is taken from them (no second contour search).
        area: see ``outline``.
        plain: ``mask`` is the plain threshold mask ``dark > t`` with all its ink inside
            ``box``: the levels are one table look-up of ``dark``.
        tight: return the levels cropped to their non-zero box (no border).

    Returns:
        (uint8 ink levels 0..``t``, ``t`` made at least 1): as :func:`ink_ramp`, or cropped
        to the ink's box when ``tight``.
    """
    bx0, by0, bx1, by1 = box
    # stroke width towards MNIST's
    scale = MNIST_BOX / max(bx1 - bx0, by1 - by0, 1)
    if outline is None:
        width = stroke_width(mask[by0:by1, bx0:bx1]) * scale
    elif area:  # stroke_width on the box's mask: the same contours, the same area
        width = 2.0 * float(area) / max(sum([cv2.arcLength(c, True) for c in outline]), 1.0) * scale
    else:
        width = 0.0
    r = 0
    if width > 0:
        target = min(max(width, MNIST_STROKE_RANGE[0]), MNIST_STROKE_RANGE[1])
        rf = (target - width) / (2.0 * scale)  # radius change in work px
        if rf <= 0:  # never erode a stroke away: keep at least 30 % of its width
            rf = max(rf, -0.35 * width / scale)
        r = math.ceil(rf - 0.25) if rf > 0 else math.floor(rf + 0.25)  # into the band
    # grey levels from the photo itself: 0.5 at the threshold, 1 at 1.5x it (in uint8:
    # (darkness - t / 2) clipped to 0..t, inside the ink mask; / t gives 0..1), one table
    # look-up; with the plain threshold mask the table zeroes what is not above t itself
    t0 = int(t)
    t = max(t0, 1)
    m = max(r, 0) + 1
    dark_box = dark[by0:by1, bx0:bx1]
    if plain:
        lut = _MASKED_LEVELS[t0]
        if tight and r == 0 and t0 > 0:  # every edge row and column of the box holds ink > 0
            return cv2.LUT(dark_box, lut), t
        h, w = dark.shape
        if bx0 >= m and by0 >= m and bx1 + m <= w and by1 + m <= h:  # no ink outside the box
            ramp = cv2.LUT(dark[by0 - m : by1 + m, bx0 - m : bx1 + m], lut)
        else:
            ramp = cv2.copyMakeBorder(cv2.LUT(dark_box, lut), m, m, m, m, cv2.BORDER_CONSTANT)
    else:
        if dark_box.size > 16:
            ramp = cv2.bitwise_and(cv2.LUT(dark_box, _LEVELS[t0]), mask[by0:by1, bx0:bx1])
        else:  # OpenCV's bindings would take an array of <= 4 values for a scalar
            ramp = _LEVELS[t0][0, dark_box]
            ramp[mask[by0:by1, bx0:bx1] == 0] = 0
        if tight and r == 0 and t0 > 0 and outline is not None:  # (kept ink: above t0)
            return ramp, t
        ramp = cv2.copyMakeBorder(ramp, m, m, m, m, cv2.BORDER_CONSTANT, value=0)
    if r:
        ramp = _grow(ramp, r)
        if tight and r > 0 and t0 > 0 and outline is not None:
            # every edge row and column of the box held ink > 0 and each step's kernel holds the
            # 4-neighbours: the ink's box grew by exactly r px into the zero border of r + 1
            return ramp[1:-1, 1:-1], t
    if tight:
        x, y, w, h = cv2.boundingRect(ramp)
        ramp = ramp[y : y + h, x : x + w]
    return ramp, t


def _level_tables() -> tuple[np.ndarray, np.ndarray]:
    """uint8 (256, 1, 256) tables, row ``t0`` (a threshold 0..255, ``t = max(t0, 1)``): the ink
    level ``clip(v - (t + 1) // 2, 0, t)`` of each darkness ``v``; and the same, zero where
    ``v <= t0`` (not in the threshold mask)."""
    v = np.arange(256)[None, :]
    t0 = np.arange(256)[:, None]
    t = np.maximum(t0, 1)
    levels = np.clip(v - (t + 1) // 2, 0, t)
    masked = np.where(v > t0, levels, 0)
    return levels.astype(np.uint8)[:, None, :], masked.astype(np.uint8)[:, None, :]


_LEVELS, _MASKED_LEVELS = _level_tables()


_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
_SQUARE = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))


def _grow(img: np.ndarray, r: int) -> np.ndarray:
    """Dilate (``r > 0``) or erode (``r < 0``) by ``|r|`` px with a near-disc (octagon).

    Alternating 3x3 cross and square steps: as round as an ellipse kernel of radius
    ``|r|`` but linear, not quadratic, in ``r``.
    """
    op = cv2.dilate if r > 0 else cv2.erode
    for i in range(abs(r)):
        img = op(img, _CROSS if i % 2 == 0 else _SQUARE)
    return img
