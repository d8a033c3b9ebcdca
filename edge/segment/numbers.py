"""Reading order of ROIs, and classified digits grouped into numbers as people write them.

Digits are grouped line by line (:func:`reading_rows`). Whether two neighbours on a
line belong to one number is decided from that line's own spacing: the gaps within a
number are small compared with the gaps between numbers, so a line's gaps (in units of
the digits' height) are split into two clusters where they fall apart
(:func:`split_gaps`); a line with too few gaps, or gaps that do not fall apart, uses
the split of all the frame's gaps, and failing that the fixed rule ``max_gap``. On a
page written as a table, where the gaps between numbers may be no wider than those
within them, a digit at the start of a column (numbers of several lines split by their
own spacing start at one x: :func:`edge.segment.number_lines.column_starts`) starts a
number. With the frame's image, decimal points (a small round blob at the baseline
between two digits) and minus signs (a short horizontal dash at mid-height just before
a number) are read as well (:mod:`edge.segment.number_marks`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from edge.segment.ink_analysis import InkAnalysis
from edge.segment.number_lines import COLUMN_LINES, Box, box_rows, column_starts
from edge.segment.number_marks import Marks, Wanted, find_marks
from edge.types import ROI, Detection

#: Two gap clusters are distinct when the smallest between-number gap is at least this
#: many times the largest within-number gap ...
SPLIT_RATIO = 1.8
#: ... and at least this far (fraction of the digit height) from it.
SPLIT_MARGIN = 0.15
#: A gap of this fraction of the digit height or less is never between two numbers,
#: and one of more than ``max_gap`` never within one.
MIN_SPLIT = 0.25


def reading_rows(rois: Sequence[ROI]) -> list[list[int]]:
    """Indices of ``rois`` in lines, top to bottom, each left to right.

    Boxes are taken by their vertical centre; a box joins a line when it overlaps the
    line's first box vertically by at least half the shorter of the two. Measured on the
    boxes as plain tuples (:func:`edge.segment.number_lines.box_rows`, the same rule).
    """
    return box_rows([(r.x, r.y, r.w, r.h) for r in rois])


def reading_order(rois: Sequence[ROI]) -> list[int]:
    """Indices of ``rois`` in reading order: rows top to bottom, left to right in a row
    (see :func:`reading_rows`)."""
    return [i for row in reading_rows(rois) for i in row]


def split_gaps(gaps: Sequence[float], max_gap: float = 0.8) -> float | None:
    """The threshold between within-number and between-number gaps of one line.

    The sorted gaps are cut where the between-class variance of their logarithms is
    largest (Otsu's criterion in one dimension, N. Otsu, 1979); the cut is accepted
    when the two sides are distinct (the upper side's smallest gap at least
    :data:`SPLIT_RATIO` x and :data:`SPLIT_MARGIN` more than the lower side's largest,
    and above :data:`MIN_SPLIT`) and the lower side looks like gaps within numbers (at
    most ``max_gap``).

    Args:
        gaps: gaps between neighbouring digits, fractions of the digit height (may be
            negative for overlapping boxes).
        max_gap: largest gap within a number.

    Returns:
        A threshold (gaps above it separate numbers), or ``None`` when the gaps do not
        fall into two distinct clusters.
    """
    g = sorted([float(x) for x in gaps])
    if len(g) < 2:
        return None
    cut = _best_cut(g)
    lo, hi = g[cut - 1], g[cut]
    if hi < MIN_SPLIT or lo > max_gap:
        return None
    if hi < SPLIT_RATIO * max(lo, 0.02) or hi - lo < SPLIT_MARGIN:
        return None
    return float(max(MIN_SPLIT, 0.5 * (lo + hi)))


def _best_cut(g: list[float]) -> int:
    """The cut of the sorted gaps ``g`` (``g[:cut]`` below it) with the largest
    between-class variance of their logarithms, the first of equals.

    Measured in plain Python (a line has a few gaps); when another cut comes within
    rounding of the best, the choice is left to numpy's arithmetic (the means of
    ``np.log`` values), which defines the tie.
    """
    n = len(g)
    if n == 2:
        return 1
    lg = [math.log(max(x, 0.02) + 0.05) for x in g]
    total = sum(lg)
    head = 0.0
    vs = []
    for i in range(1, n):
        head += lg[i - 1]
        vs.append(i * (n - i) * (head / i - (total - head) / (n - i)) ** 2)
    best = max(vs)
    if sum(v >= best - 1e-9 * (1.0 + best) for v in vs) == 1:
        return vs.index(best) + 1
    a = np.log(np.maximum(np.asarray(g, np.float64), 0.02) + 0.05)
    top, cut = -1.0, -1
    for i in range(1, n):
        v = i * (n - i) * (a[:i].mean() - a[i:].mean()) ** 2
        if v > top:
            top, cut = v, i
    return cut


def _gap_if_compatible(p: Box, r: Box, min_height_ratio: float) -> float | None:
    """The gap from ``p`` to its right neighbour ``r`` (fraction of the taller one's
    height), or ``None`` unless they may be digits of one number: similar heights, on one
    line, ``r`` not left of ``p``."""
    px, py, pw, ph = p
    rx, ry, _, rh = r
    hmax, hmin = (ph, rh) if ph >= rh else (rh, ph)
    pb, rb = py + ph, ry + rh
    overlap = (pb if pb < rb else rb) - (py if py > ry else ry)
    if hmin >= min_height_ratio * hmax and overlap >= 0.5 * hmin and rx >= px:
        return (rx - (px + pw)) / max(1, hmax)
    return None


def group_numbers(
    detections: Sequence[Detection],
    image: np.ndarray | None = None,
    max_gap: float = 0.8,
    min_height_ratio: float = 0.5,
    light: Sequence[bool | None] | None = None,
    analysis: InkAnalysis | None = None,
) -> list[tuple[str, ROI]]:
    """Group classified digits on the same text line into numbers, in reading order.

    See the module doc: each line's gaps are split into within- and between-number
    clusters (:func:`split_gaps`), else the split of all the frame's gaps applies, else
    ``max_gap``; a digit at the start of a table's column starts a number; neighbours of
    very different heights (less than ``min_height_ratio``) or not on one line never
    join. With ``image``, a decimal point between two digits joins them (``"3.14"``)
    unless the gap is wider than twice the digit height, and a minus sign before a
    number is its sign (``"-7"``); the number's box grows to include them. A lone digit
    is a one-character number. Marks are looked for only where they can change a number
    (:func:`edge.segment.number_marks.find_marks` ``wanted``): points between neighbours
    that may join, signs before digits that may start a number.

    Args:
        detections: classified digit ROIs (any order), labels ``"0"``..``"9"``.
        image: optional uint8 (H, W, 3) BGR or (H, W) grey frame the digits were
            found in, for decimal points and minus signs.
        max_gap: largest gap within a number when a line's spacing says nothing,
            fraction of the digit height.
        min_height_ratio: smallest height ratio of neighbouring digits of one number.
        light: optional, per detection: whether its ink is light on a dark ground (as
            the preprocessor normalised it), or ``None``; a line whose digits agree is
            searched for marks in that ink, others are decided from the image.
        analysis: optional, the digit segmenter's ink analysis of ``image``
            (``last_analysis``): marks are looked for in its ink where its scale allows
            (:func:`edge.segment.number_marks.find_marks` ``analysis``).

    Returns:
        ``(number text, ROI enclosing its digits and marks)`` in reading order.
    """
    if not detections:
        return []
    rois = [d.roi for d in detections]
    boxes = [(r.x, r.y, r.w, r.h) for r in rois]
    rows = box_rows(boxes)
    lone = len(rows) == len(boxes)  # a digit a line (no gaps: nothing to split)
    # per line, each neighbour pair's gap, None where they cannot be one number
    links = (
        [[]] * len(rows)
        if lone
        else [
            [
                _gap_if_compatible(boxes[a], boxes[b], min_height_ratio)
                for a, b in zip(row, row[1:], strict=False)
            ]
            if len(row) > 1
            else []
            for row in rows
        ]
    )
    limits, sure = ([max_gap] * len(rows), []) if lone else _limits(links, max_gap)
    # a table: digits at the start of a column start a number, whatever the gap before them
    cuts = _column_cuts(boxes, rows, links, limits, sure) if len(rows) >= COLUMN_LINES and any(sure) else None
    marks = None
    if image is not None:
        line_light = None
        if light is not None and len(light) == len(rois):
            line_light = [
                light[row[0]] if len(row) == 1 else _agreed([light[i] for i in row]) for row in rows
            ]
        if lone:
            lines, wanted = [[rois[row[0]]] for row in rows], [_LONE] * len(rows)
        else:
            lines, wanted = [], []
            for r_i, (row, ln, limit) in enumerate(zip(rows, links, limits, strict=True)):
                if len(row) == 1:
                    lines.append([rois[row[0]]])
                    wanted.append(_LONE)
                else:
                    lines.append([rois[i] for i in row])
                    wanted.append(_wanted(ln, limit, cuts[r_i] if cuts else None))
        marks = find_marks(image, lines, line_light, wanted, analysis)
    minus = marks.minus if marks is not None else None
    numbers: list[tuple[str, ROI]] = []
    for r_i, (row, ln, limit) in enumerate(zip(rows, links, limits, strict=True)):
        if len(row) == 1:  # a lone digit: its number, with a sign if one stands before it
            i = row[0]
            r = rois[i]
            if (not minus or (r_i, 0) not in minus) and _plain(r):
                numbers.append((detections[i].prediction.label, r))  # the digit's own box
            else:
                numbers.append(_number(detections[i].prediction.label, row, rois, boxes, marks, r_i, 0))
            continue
        start = 0
        text = detections[row[0]].prediction.label
        cut = cuts[r_i] if cuts else ()
        for k in range(1, len(row)):
            g = ln[k - 1]
            dot = marks is not None and (r_i, k - 1) in marks.points
            if g is not None and k not in cut and (g <= limit or (dot and g <= 2.0)):
                if dot:
                    text += "."
            else:
                numbers.append(_number(text, row[start:k], rois, boxes, marks, r_i, start))
                start, text = k, ""
            text += detections[row[k]].prediction.label
        numbers.append(_number(text, row[start:], rois, boxes, marks, r_i, start))
    return numbers


def _limits(links: Sequence[Sequence[float | None]], max_gap: float) -> tuple[list[float], list[bool]]:
    """Each line's largest gap within a number: the split of its own gaps (two or more,
    :func:`split_gaps`), else the split of all the frame's gaps, else ``max_gap``; and
    per line whether the split is its own. The frame's split is worked out only when a
    line with a gap needs it (a line without gaps gets ``max_gap``: nothing reads it)."""
    row_gaps = [[g for g in ln if g is not None] for ln in links]
    limits: list[float | None] = [split_gaps(gaps, max_gap) if len(gaps) >= 2 else None for gaps in row_gaps]
    sure = [lim is not None for lim in limits]
    if all(lim is not None or not gaps for lim, gaps in zip(limits, row_gaps, strict=True)):
        return [max_gap if lim is None else lim for lim in limits], sure
    page_split = split_gaps([g for gs in row_gaps for g in gs], max_gap)
    fallback = max_gap if page_split is None else page_split
    return [fallback if lim is None else lim for lim in limits], sure


def _column_cuts(
    boxes: Sequence[Box],
    rows: Sequence[Sequence[int]],
    links: Sequence[Sequence[float | None]],
    limits: Sequence[float],
    sure: Sequence[bool],
) -> list[set[int]] | None:
    """Per line, the digits (positions in the row) that start a number at a table's column
    (:func:`edge.segment.number_lines.column_starts`, from the lines split by their own
    spacing), or ``None`` when there is none."""
    starts = [
        [0, *[k + 1 for k, g in enumerate(ln) if g is None or g > lim]]
        for ln, lim in zip(links, limits, strict=True)
    ]
    cuts = column_starts(boxes, rows, starts, sure)
    return cuts if any(cuts) else None


#: :func:`_wanted` of a line of one digit: the minus sign before it.
_LONE: Wanted = ((), (0,))


def _wanted(links: Sequence[float | None], limit: float, cut: set[int] | None = None) -> Wanted:
    """The marks of a line that can change its numbers: a point in a gap whose neighbours
    may join (compatible, gap within ``limit`` or 2 digit heights, not before a digit in
    ``cut``, which starts a number at a table's column); a minus sign before its first
    digit and before every digit that may start a number (not surely joined to the one
    before)."""
    reach = max(limit, 2.0)
    cut = cut or set()
    gaps = [k for k, g in enumerate(links) if g is not None and g <= reach and k + 1 not in cut]
    starts = [0, *[k + 1 for k, g in enumerate(links) if g is None or g > limit or k + 1 in cut]]
    return gaps, starts


def _agreed(values: Sequence[bool | None]) -> bool | None:
    """The one value all of ``values`` share, or ``None`` when they differ or one is ``None``."""
    first = values[0]
    return first if first is not None and all(v is first for v in values) else None


def _number(
    text: str,
    cur: list[int],
    rois: Sequence[ROI],
    boxes: Sequence[Box],
    marks: Marks | None,
    r_i: int,
    start: int,
) -> tuple[str, ROI]:
    """One number's text (with its sign) and box (with its marks); ``cur``: its digits,
    from digit ``start`` of line ``r_i``."""
    minus = marks.minus.get((r_i, start)) if marks is not None else None
    if len(cur) == 1 and minus is None and _plain(rois[cur[0]]):
        return text, rois[cur[0]]  # the digit's own box, nothing else on it
    bs = [boxes[k] for k in cur]
    x0, y0 = min([b[0] for b in bs]), min([b[1] for b in bs])
    x1, y1 = max([b[0] + b[2] for b in bs]), max([b[1] + b[3] for b in bs])
    if minus is not None:
        text = "-" + text
        x0, y0 = min(x0, minus.x), min(y0, minus.y)
    return text, ROI(x0, y0, x1 - x0, y1 - y0)


def _plain(r: ROI) -> bool:
    """Whether ``r`` carries nothing but its box (then a lone digit's number box is ``r`` itself)."""
    return r.mask is None and r.landmarks is None and r.handedness is None and r.score is None and not r.angle


class NumberGrouper:
    """:func:`group_numbers` as a pipeline grouper: :meth:`group` also reads decimal
    points and minus signs from the frame; calling it groups the digits alone.

    Args:
        max_gap: see :func:`group_numbers`.
        min_height_ratio: see :func:`group_numbers`.
        marks: look for decimal points and minus signs in the frame (about 0.06 ms of
            a 640 x 480 demo frame with five digits on the development machine, median,
            given the segmenter's analysis, which spares most lines the shrinking and
            thresholding of their band; about 0.1 ms without it).
    """

    #: :meth:`group` reads only grey: a pipeline may pass the grey frame its segmenter made.
    accepts_grey = True
    #: :meth:`group` takes each digit's ink polarity (``light=``), so the mark search need
    #: not decide it again.
    accepts_light = True
    #: :meth:`group` takes the digit segmenter's ``last_analysis`` (``analysis=``), so the
    #: mark search can read its ink.
    accepts_analysis = True

    def __init__(self, max_gap: float = 0.8, min_height_ratio: float = 0.5, marks: bool = True) -> None:
        self.max_gap = max_gap
        self.min_height_ratio = min_height_ratio
        self.marks = marks

    def group(
        self,
        detections: Sequence[Detection],
        image: np.ndarray | None,
        light: Sequence[bool | None] | None = None,
        analysis: InkAnalysis | None = None,
    ) -> list[tuple[str, ROI]]:
        """Numbers of ``detections`` found in ``image`` (uint8 BGR or grey, or ``None``);
        ``light``, ``analysis``: see :func:`group_numbers`."""
        return group_numbers(
            detections, image if self.marks else None, self.max_gap, self.min_height_ratio, light, analysis
        )

    def __call__(self, detections: Sequence[Detection]) -> list[tuple[str, ROI]]:
        return group_numbers(detections, None, self.max_gap, self.min_height_ratio)


__all__ = ["NumberGrouper", "group_numbers", "reading_order", "reading_rows", "split_gaps"]
