"""Decimal points and minus signs beside the digits of a line (:func:`find_marks`).

The digit finder drops such marks (too small or too flat for a digit), so they are
looked for again, line by line, in a band of the frame around the line's digits
(extended by one digit height to the left, where a minus sign may stand; shrunk so the
digits are at most :data:`MARK_SCALE_PX` tall): the band is
thresholded at Otsu's level (N. Otsu, 1979) with the ink's polarity decided from the
band (:func:`edge.segment.ink.ink_is_light`), and its connected components that touch no
digit are measured, relative to the line's digit height ``h``, top and baseline:

- a decimal point: at most 0.3 h and at least 0.04 h across, 0.4 to 2.5 times as wide
  as tall, filling at least 30 % of its box, in the lower part of the line (centre
  below top + 0.6 h, bottom above baseline + 0.2 h), between two neighbouring digits;
- a minus sign: 0.2 to 1 h long, at most half as thick as long and 0.25 h thick,
  centred 0.25 to 0.8 h below the top, ending at most 0.8 h before a digit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from edge.segment.ink import ink_is_light, shrink, to_grey
from edge.types import ROI

#: Lines are looked at with their digits at most this tall (px): a decimal point is
#: then still 3-4 px across.
MARK_SCALE_PX = 48


@dataclass
class Marks:
    """Marks found beside the digits of each line.

    Attributes:
        points: ``(line, gap)``: a decimal point between digits ``gap`` and ``gap + 1``
            of line ``line`` (indices into :func:`find_marks`'s ``rows``).
        minus: ``(line, digit) -> ROI`` of a minus sign just before that digit
            (frame px).
    """

    points: set[tuple[int, int]] = field(default_factory=set)
    minus: dict[tuple[int, int], ROI] = field(default_factory=dict)

    def has_point(self, line: int, gap: int) -> bool:
        """Whether a decimal point stands in gap ``gap`` of line ``line``."""
        return (line, gap) in self.points


def find_marks(image: np.ndarray, rows: Sequence[Sequence[ROI]]) -> Marks:
    """Decimal points and minus signs beside the digits of each line (see the module doc).

    Args:
        image: uint8 (H, W, 3) BGR or (H, W) grey frame.
        rows: the digit ROIs of each line, left to right (frame px).

    Returns:
        The :class:`Marks` found.

    Raises:
        ValueError: ``image`` is not a uint8 grey or BGR image.
    """
    marks = Marks()
    if not any(rows):
        return marks
    if image.ndim not in (2, 3):
        to_grey(image)  # raises the ValueError
    H, W = image.shape[:2]
    for li, row in enumerate(rows):
        if not row:
            continue
        ys = sorted(r.y for r in row)
        bottoms = sorted(r.y + r.h for r in row)
        h = float(sorted(r.h for r in row)[len(row) // 2])
        top, base = float(ys[len(ys) // 2]), float(bottoms[len(bottoms) // 2])
        bx0 = max(0, int(row[0].x - 1.1 * h))
        bx1 = min(W, max(r.x + r.w for r in row) + 1)
        by0 = max(0, int(ys[0] - 0.1 * h))
        by1 = min(H, int(bottoms[-1] + 0.25 * h) + 1)
        if (bx1 - bx0) * (by1 - by0) < 16 or h < 6:
            continue
        band = to_grey(image[by0:by1, bx0:bx1])  # grey only where marks may be
        f = min(1.0, MARK_SCALE_PX / h)  # digits MARK_SCALE_PX tall are plenty for a dot
        if f < 1.0:
            size = (max(1, round(band.shape[1] * f)), max(1, round(band.shape[0] * f)))
            band = shrink(band, size)
        if not ink_is_light(band):
            band = cv2.bitwise_not(band)
        _, ink = cv2.threshold(band, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        for r in row:  # the digits themselves are no marks
            ink[
                max(0, int((r.y - by0) * f)) : max(0, math.ceil((r.y + r.h - by0) * f)),
                max(0, int((r.x - bx0) * f)) : max(0, math.ceil((r.x + r.w - bx0) * f)),
            ] = 0
        rects, starts = _blobs(ink)
        for k in _mark_sized(rects, f, h):
            # frame px again
            x, y, w, hh = (float(v) / f for v in rects[k])
            bx, by, bw, bh = int(x) + bx0, int(y) + by0, int(round(w)), int(round(hh))
            cx, cy = bx + bw / 2.0, by + bh / 2.0
            area = _blob_area(ink, rects[k], starts[k]) / (f * f)
            _point(marks, li, row, h, top, base, bx, by, bw, bh, int(area), cx, cy)
            _minus(marks, li, row, h, top, bx, by, bw, bh, cy)
    return marks


def _point(
    marks: Marks,
    li: int,
    row: Sequence[ROI],
    h: float,
    top: float,
    base: float,
    x: int,
    y: int,
    w: int,
    hh: int,
    area: int,
    cx: float,
    cy: float,
) -> None:
    if not (0.04 * h <= min(w, hh) and max(w, hh) <= 0.3 * h and 0.4 * hh <= w <= 2.5 * hh):
        return
    if area < 0.3 * w * hh or cy < top + 0.6 * h or y + hh > base + 0.2 * h:
        return
    for k in range(len(row) - 1):
        p, r = row[k], row[k + 1]
        if p.x + p.w <= cx <= r.x:
            marks.points.add((li, k))
            return


def _minus(
    marks: Marks,
    li: int,
    row: Sequence[ROI],
    h: float,
    top: float,
    x: int,
    y: int,
    w: int,
    hh: int,
    cy: float,
) -> None:
    if not (0.2 * h <= w <= 1.0 * h and hh <= 0.5 * w and hh <= 0.25 * h):
        return
    if not top + 0.25 * h <= cy <= top + 0.8 * h:
        return
    for k, r in enumerate(row):
        prev_end = row[k - 1].x + row[k - 1].w if k else -(10**9)
        if prev_end <= x and x + w <= r.x and r.x - (x + w) <= 0.8 * h:
            marks.minus[(li, k)] = ROI(x, y, w, hh)
            return


def _mark_sized(rects: np.ndarray, f: float, h: float) -> list[int]:
    """Indices of the blobs (int (N, 4) x, y, w, h at scale ``f``) of a decimal point's or
    a minus sign's size for digits ``h`` frame px tall; only these go on to the
    (per-blob) position rules."""
    if not len(rects):
        return []
    w, hh = rects[:, 2] / f, rects[:, 3] / f
    small = (np.maximum(w, hh) <= 0.3 * h) & (np.minimum(w, hh) >= max(1.0 / f, 0.04 * h))
    dash = (w >= 0.2 * h) & (w <= h) & (hh <= 0.5 * w) & (hh <= 0.25 * h)
    return np.flatnonzero(small | dash).tolist()


def _blobs(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounding boxes of the 8-connected components of the uint8 mask ``ink``.

    The outer borders of the components (``cv2.findContours``) give their boxes
    exactly, at a fraction of the cost of ``cv2.connectedComponentsWithStats`` (whose
    statistics cost about 9x its labelling here); components nested in another's hole
    have outer borders of their own.

    Returns:
        (int (N, 4) boxes x, y, w, h; int (N, 2) each component's first pixel x, y in
        raster order), ordered as that first pixel (the order of component labels).
    """
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return np.zeros((0, 4), np.int64), np.zeros((0, 2), np.int64)
    outer = [c for c, hier in zip(contours, hierarchy[0], strict=True) if hier[3] < 0]
    rects = np.array([cv2.boundingRect(c) for c in outer], np.int64).reshape(-1, 4)
    starts = np.array([c[0, 0] for c in outer], np.int64).reshape(-1, 2)
    order = np.lexsort((starts[:, 0], starts[:, 1]))
    return rects[order], starts[order]


def _blob_area(ink: np.ndarray, rect: np.ndarray, start: np.ndarray) -> int:
    """Pixels of the component of ``ink`` whose box is ``rect`` (x, y, w, h) and which holds
    pixel ``start`` (x, y): it is labelled inside its own box (which holds all of it)."""
    x, y, w, h = (int(v) for v in rect)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink[y : y + h, x : x + w], connectivity=8)
    return int(stats[labels[int(start[1]) - y, int(start[0]) - x], cv2.CC_STAT_AREA])


__all__ = ["Marks", "find_marks"]
