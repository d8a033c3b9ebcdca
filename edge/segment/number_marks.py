"""Decimal points and minus signs beside the digits of a line (:func:`find_marks`).

The digit finder drops such marks (too small or too flat for a digit), so they are looked
for again, line by line, in a band of the frame around the line's digits (extended by one
digit height to the left, where a minus sign may stand; shrunk so the digits are at most
:data:`MARK_SCALE_PX` tall): the band is thresholded at Otsu's level (N. Otsu, 1979) in the
ink's polarity (as the caller knows it from the digits, else decided from the band by
:func:`edge.segment.ink_polarity.ink_is_light`), and its connected components that touch no
digit's box are measured, relative to the line's digit height ``h``, top and baseline (given the digit
segmenter's analysis of the frame, a line whose wanted marks would fall where the segmenter
saw no ink at all is skipped first, see :func:`find_marks`); a mark must also be the
writer's own ink, not ruled paper (:func:`edge.segment.mark_ink.is_own_mark`):

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

from edge.segment.ink import shrink, to_grey
from edge.segment.ink_analysis import InkAnalysis
from edge.segment.ink_components import component_area
from edge.segment.ink_polarity import ink_is_light
from edge.segment.mark_ink import is_own_mark
from edge.types import ROI

#: Lines are looked at with their digits at most this tall (px): a decimal point is
#: then still 3-4 px across.
MARK_SCALE_PX = 48
#: With the segmenter's analysis, only lines whose digits are at least this tall at its
#: scale (px) may be skipped for showing no ink there (:func:`find_marks` ``analysis``).
MIN_ANALYSIS_PX = 10.0


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


#: Per line, the marks a caller needs: ``(gaps, digits)``, decimal points in those gaps
#: (gap ``k``: between digits ``k`` and ``k + 1``) and minus signs before those digits.
Wanted = tuple[Sequence[int], Sequence[int]]


def find_marks(
    image: np.ndarray,
    rows: Sequence[Sequence[ROI]],
    light: Sequence[bool | None] | None = None,
    wanted: Sequence[Wanted | None] | None = None,
    analysis: InkAnalysis | None = None,
) -> Marks:
    """Decimal points and minus signs beside the digits of each line (see the module doc).

    The band of each line is shrunk and thresholded; a line with no ink beside its digits
    (most lines) ends there, before any component is measured. With ``wanted``, so does a
    line with no ink where any of its wanted marks would have some (:func:`_wanted_boxes`).

    Args:
        image: uint8 (H, W, 3) BGR or (H, W) grey frame.
        rows: the digit ROIs of each line, left to right (frame px).
        light: optional, per line: whether its ink is light on a dark ground (as the
            digits were normalised, :class:`edge.preprocess.MnistPreprocessor`), or
            ``None`` (and for every line when not given): decided from the line's band (ink_is_light).
        wanted: optional, per line: the marks that matter to the caller (:data:`Wanted`),
            or ``None`` (and for every line when not given) for all. A line is then
            searched in full (every mark of it is reported) or, when none of its wanted
            marks can be there, not at all; what it reports of the wanted marks is what
            a full search reports.
        analysis: optional (used with ``wanted``), the digit segmenter's
            :class:`edge.segment.ink_analysis.InkAnalysis` of ``image``: a line is skipped
            before its band is shrunk and thresholded when the segmenter's own, lenient
            ink threshold shows no ink where any of its wanted marks would have some
            (:func:`_analysis_clear`; digits at least :data:`MIN_ANALYSIS_PX` tall at the
            analysis scale). Not exact: a mark too faint or small to pass the segmenter's
            threshold at its scale, but found in the frame's band, is lost (the page
            benchmarks read the same numbers).

    Returns:
        The :class:`Marks` found.

    Raises:
        ValueError: ``image`` is not a uint8 grey or BGR image.
    """
    marks = Marks()
    if not any(rows):
        return marks
    grey = image.ndim == 2
    if not (image.ndim == 3 or grey and image.dtype == np.uint8):
        to_grey(image)  # raises the ValueError
    H, W = image.shape[:2]
    scale = analysis.scale if analysis is not None and wanted is not None else None
    for li, row in enumerate(rows):
        if not row:
            continue
        if len(row) == 1:
            r = row[0]
            x0, y0, x1, y1 = r.x, r.y, r.x + r.w, r.y + r.h
            boxes = [(x0, y0, x1, y1)]
            h, top, base, y_min, y_max, x_max = float(y1 - y0), float(y0), float(y1), y0, y1, x1
        else:
            boxes = [(r.x, r.y, r.x + r.w, r.y + r.h) for r in row]
            ys = sorted([b[1] for b in boxes])
            bottoms = sorted([b[3] for b in boxes])
            h = float(sorted([r.h for r in row])[len(row) // 2])
            top, base = float(ys[len(ys) // 2]), float(bottoms[len(bottoms) // 2])
            y_min, y_max, x_max = ys[0], bottoms[-1], max([b[2] for b in boxes])
        # the band (max(0, .) and min(W or H, .) written out: once a line)
        bx0, by0 = int(boxes[0][0] - 1.1 * h), int(y_min - 0.1 * h)
        bx0, by0 = bx0 if bx0 > 0 else 0, by0 if by0 > 0 else 0
        bx1, by1 = x_max + 1, int(y_max + 0.25 * h) + 1
        bx1, by1 = bx1 if bx1 < W else W, by1 if by1 < H else H
        if (bx1 - bx0) * (by1 - by0) < 16 or h < 6:
            continue
        want = wanted[li] if wanted is not None else None
        if want is not None and scale is not None and analysis is not None:
            if _analysis_clear(analysis, scale, row, boxes, want, h, top, base, bx0, by0, bx1, by1):
                continue  # no ink at all where a wanted mark would have some: nothing to find
        f = min(1.0, MARK_SCALE_PX / h)
        ink, dark = _band_ink(image, grey, bx0, by0, bx1, by1, f, light[li] if light is not None else None)
        full = ink.copy()  # the band's ink before the digits' boxes are cleared
        cleared: list[tuple[int, int, int, int]] = []
        for x0, y0, x1, y1 in boxes:  # the digits themselves are no marks
            r0, r1 = max(0, int((y0 - by0) * f)), max(0, math.ceil((y1 - by0) * f))
            c0, c1 = max(0, int((x0 - bx0) * f)), max(0, math.ceil((x1 - bx0) * f))
            ink[r0:r1, c0:c1] = 0
            cleared.append((r0, r1, c0, c1))
        if not cv2.countNonZero(ink):  # no ink beside the digits (most lines): no marks
            continue
        if want is not None and not any(
            cv2.countNonZero(ink[r0:r1, c0:c1])
            for r0, r1, c0, c1 in _wanted_boxes(row, want, h, top, base, bx0, by0, f, ink.shape)
        ):
            continue
        for rect, start in _mark_blobs(ink, f, h):
            # frame px again
            x, y, w, hh = rect[0] / f, rect[1] / f, rect[2] / f, rect[3] / f
            bx, by, bw, bh = int(x) + bx0, int(y) + by0, int(round(w)), int(round(hh))
            cx, cy = bx + bw / 2.0, by + bh / 2.0
            point = _point(li, row, h, top, base, bx, by, bw, bh, cx, cy, ink, rect, start, f)
            minus = _minus(li, row, h, top, bx, by, bw, bh, cy)
            if (point is not None or minus is not None) and is_own_mark(full, dark, rect, start, cleared):
                marks.points.update([point] if point is not None else [])
                marks.minus.update([minus] if minus is not None else [])
    return marks


def _band_ink(
    image: np.ndarray,
    grey: bool,
    bx0: int,
    by0: int,
    bx1: int,
    by1: int,
    f: float,
    is_light: bool | None,
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 ink mask (255 = ink) of the frame's band ``[by0:by1, bx0:bx1]`` shrunk by
    ``f``: Otsu's threshold in the ink's polarity (decided from the band when ``None``);
    and the band's uint8 darkness (ink bright), same px."""
    band = image[by0:by1, bx0:bx1]
    if not grey:
        band = to_grey(band)  # grey only where marks may be
    # digits taller than MARK_SCALE_PX are shrunk to it (at full resolution, 49-96 px
    # digits of the demo scene showed false marks on 4 of 300 frames)
    if f < 1.0:
        size = (max(1, round(band.shape[1] * f)), max(1, round(band.shape[0] * f)))
        band = shrink(band, size)
    if is_light is None:
        is_light = ink_is_light(band)
    # dark ink: inverted, so the ink is the bright side (Otsu's upper class)
    mode = cv2.THRESH_BINARY if is_light else cv2.THRESH_BINARY_INV
    return cv2.threshold(band, 0, 255, mode | cv2.THRESH_OTSU)[1], band if is_light else 255 - band


def _analysis_clear(
    analysis: InkAnalysis,
    scale: tuple[float, float],
    row: Sequence[ROI],
    boxes: Sequence[tuple[int, int, int, int]],
    want: Wanted,
    h: float,
    top: float,
    base: float,
    bx0: int,
    by0: int,
    bx1: int,
    by1: int,
) -> bool:
    """Whether the segmenter's ink (``dark > level``, its own lenient threshold) shows
    nothing where a wanted mark of the line would have ink: then its search (which
    thresholds the frame's band far higher, at Otsu's level) cannot find one either.

    ``scale``: the analysis's :attr:`~edge.segment.ink_analysis.InkAnalysis.scale`. Looked
    at only where digits are at least :data:`MIN_ANALYSIS_PX` tall at the analysis scale
    (else ``False``); the digits' boxes are cleared (rounded outwards, as in the band) and the
    wanted boxes (:func:`_wanted_boxes`) grown by one analysis px for the coarser rounding.
    """
    sx, sy = scale
    if h / sy < MIN_ANALYSIS_PX:
        return False
    ah, aw = analysis.dark.shape
    ax0, ay0 = int(bx0 / sx), int(by0 / sy)
    ax1, ay1 = math.ceil(bx1 / sx) + 1, math.ceil(by1 / sy) + 1
    ax1, ay1 = ax1 if ax1 < aw else aw, ay1 if ay1 < ah else ah  # (min, written out: once a line)
    if ax1 - ax0 < 2 or ay1 - ay0 < 2:
        return False
    ink = np.greater(analysis.dark[ay0:ay1, ax0:ax1], analysis.level[ay0:ay1, ax0:ax1])  # not cv2.compare: 2x
    for x0, y0, x1, y1 in boxes:  # the digits (their boxes rounded outwards, as the band's)
        r0, r1 = int(y0 / sy) - ay0, math.ceil(y1 / sy) - ay0
        c0, c1 = int(x0 / sx) - ax0, math.ceil(x1 / sx) - ax0
        if r1 > 0 and c1 > 0:  # else nothing of it in the window (max(0, .) slices, empty)
            ink[r0 if r0 > 0 else 0 : r1, c0 if c0 > 0 else 0 : c1] = 0
    if not cv2.countNonZero(ink):  # no ink beside the digits at all (most lines)
        return True
    # the wanted boxes at x / sx - ax0 (frame px x), one px more on each side for the
    # two axes' scales (taken as one, their mean)
    f, ox, oy = 2.0 / (sx + sy), ax0 * sx, ay0 * sy
    shape = ink.shape
    for r0, r1, c0, c1 in _wanted_boxes(row, want, h, top, base, ox, oy, f, shape):
        if cv2.countNonZero(ink[max(0, r0 - 1) : r1 + 1, max(0, c0 - 1) : c1 + 1]):
            return False
    return True


def _point(
    li: int,
    row: Sequence[ROI],
    h: float,
    top: float,
    base: float,
    x: int,
    y: int,
    w: int,
    hh: int,
    cx: float,
    cy: float,
    ink: np.ndarray,
    rect: tuple[int, int, int, int],
    start: tuple[int, int],
    f: float,
) -> tuple[int, int] | None:
    """``(line, gap)`` of a decimal point, or ``None``."""
    if not (0.04 * h <= min(w, hh) and max(w, hh) <= 0.3 * h and 0.4 * hh <= w <= 2.5 * hh):
        return None
    if cy < top + 0.6 * h or y + hh > base + 0.2 * h:
        return None
    if component_area(ink, rect, start) / (f * f) < 0.3 * w * hh:  # a round blob, not a ring
        return None
    for k in range(len(row) - 1):
        p, r = row[k], row[k + 1]
        if p.x + p.w <= cx <= r.x:
            return (li, k)
    return None


def _minus(
    li: int,
    row: Sequence[ROI],
    h: float,
    top: float,
    x: int,
    y: int,
    w: int,
    hh: int,
    cy: float,
) -> tuple[tuple[int, int], ROI] | None:
    """``((line, digit), box)`` of a minus sign, or ``None``."""
    if not (0.2 * h <= w <= 1.0 * h and hh <= 0.5 * w and hh <= 0.25 * h):
        return None
    if not top + 0.25 * h <= cy <= top + 0.8 * h:
        return None
    for k, r in enumerate(row):
        prev_end = row[k - 1].x + row[k - 1].w if k else -(10**9)
        if prev_end <= x and x + w <= r.x and r.x - (x + w) <= 0.8 * h:
            return (li, k), ROI(x, y, w, hh)
    return None


def _wanted_boxes(
    row: Sequence[ROI],
    want: Wanted,
    h: float,
    top: float,
    base: float,
    bx0: float,
    by0: float,
    f: float,
    shape: tuple[int, ...],
) -> list[tuple[int, int, int, int]]:
    """``(row0, row1, col0, col1)`` slices of the ink mask (band px at scale ``f``; the band
    starts at frame px ``bx0``, ``by0``): any component that :func:`_point` would place in
    a wanted gap or :func:`_minus` before a wanted digit has ink in one of them.

    From their rules on the frame box ``(bx, by, bw, bh)`` that :func:`find_marks` makes
    of a component's ink box ``(X, Y, Wd, Hd)`` (``bx = floor(X / f) + bx0``, ``bw =
    round(Wd / f)``: ``X / f`` is within 1 px of ``bx - bx0`` and ``(X + Wd) / f`` within
    1.5 px of ``bx + bw - bx0``, alike in y) and the component's being connected (it has
    ink in every column and row of its box):

    - a point is at most 0.3 h across, centred at least 0.6 h below the top and ending
      above baseline + 0.2 h, so its rows lie in ``[top + 0.45 h, base + 0.2 h]``; its
      centre is in the gap, so it has ink in a column of ``[gap start - 1.5, gap end]``
      (frame px, the 1.5 px for the rounding above);
    - a minus sign is at most 0.25 h thick, centred 0.25 to 0.8 h below the top: its rows
      lie in ``[top + 0.125 h, top + 0.925 h]``; it ends 0 to 0.8 h before the digit and
      after the digit before it, so its last column is in ``[max(previous end, x - 0.8
      h) - 1.5, x]``.

    Every slice has one more ink px on each side for rounding.
    """
    rows_n, cols_n = shape[0], shape[1]
    out: list[tuple[int, int, int, int]] = []
    gaps, digits = want
    # each kind's rows once, then each box's columns (a page's lines hold dozens of boxes)
    for is_gap, ks, y0, y1 in (
        (True, gaps, top + 0.45 * h, base + 0.2 * h),
        (False, digits, top + 0.125 * h, top + 0.925 * h),
    ):
        r0, r1 = math.floor((y0 - by0) * f) - 1, math.ceil((y1 - by0 + 1.5) * f) + 2
        r0, r1 = r0 if r0 > 0 else 0, r1 if r1 < rows_n else rows_n
        for k in ks if r0 < r1 else ():
            r = row[k]
            if not is_gap:  # a sign's end after digit k - 1's end and at most 0.8 h before digit k
                x0, x1 = r.x - 0.8 * h, r.x
                if k:
                    end = row[k - 1].x + row[k - 1].w
                    x0 = end if end > x0 else x0
            else:  # a point's centre between digit k's end and digit k + 1
                x0, x1 = r.x + r.w, row[k + 1].x
                if x0 > x1:  # no centre can be in the gap
                    continue
            c0, c1 = math.floor((x0 - 1.5 - bx0) * f) - 1, math.ceil((x1 - bx0 + 1.5) * f) + 2
            c0, c1 = c0 if c0 > 0 else 0, c1 if c1 < cols_n else cols_n
            if c0 < c1:
                out.append((r0, r1, c0, c1))
    return out


def _mark_blobs(
    ink: np.ndarray, f: float, h: float
) -> list[tuple[tuple[int, int, int, int], tuple[int, int]]]:
    """The 8-connected components of the uint8 mask ``ink`` (at scale ``f`` of the frame)
    of a decimal point's or a minus sign's size for digits ``h`` frame px tall; only these
    go on to the (per-blob) position rules.

    Their boxes come from their outer borders (``cv2.findContours``), exactly, at a
    fraction of the cost of ``cv2.connectedComponentsWithStats`` (whose statistics cost
    about 9x its labelling here); components nested in another's hole have outer borders
    of their own.

    Returns:
        ``((x, y, w, h) box, (x, y) first pixel in raster order)`` of each, in the order
        of that first pixel (the order of component labels), ``ink`` px.
    """
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return []
    lo = max(1.0 / f, 0.04 * h) * f  # in ink px
    small_max, dash_min, dash_max, thick_max = 0.3 * h * f, 0.2 * h * f, h * f, 0.25 * h * f
    found = []
    # a one-point outline is a single pixel (1 x 1 box): never a dash (1 > 0.5 * 1), and not
    # a point when ``lo`` > 1; speckled bands hold dozens of them
    specks = lo <= 1.0
    for c, parent in zip(contours, hierarchy[0, :, 3].tolist(), strict=True):
        if parent >= 0 or (len(c) == 1 and not specks):  # a hole's border, or a lone pixel
            continue
        x, y, w, hh = cv2.boundingRect(c)
        small = (w if w > hh else hh) <= small_max and (hh if w > hh else w) >= lo
        dash = dash_min <= w <= dash_max and hh <= 0.5 * w and hh <= thick_max
        if small or dash:
            found.append(((x, y, w, hh), (int(c[0, 0, 0]), int(c[0, 0, 1]))))
    found.sort(key=lambda b: (b[1][1], b[1][0]))
    return found


__all__ = ["Marks", "Wanted", "find_marks"]
