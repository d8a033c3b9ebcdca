"""Touching digits proposed cut along a path through the least ink, not a column.

Two digits written touching often overlap: the 2's base runs under the 3, a 7's bar over the
next digit's top. No column between them is free of either digit's ink, so the vertical-projection
cut of :func:`edge.segment.joined_digits.split_joined` finds no column thin enough, and a touching
pair of narrow digits is often not even wider than its
:data:`~edge.segment.joined_digits.SPLIT_ASPECT` x its height: the pair was one digit, read as its
surer half. :func:`path_cut` looks for the top-to-bottom path that crosses the least ink, moving at
most one column a row (a minimum-cost cut path found by dynamic programming, of the cut-path methods
surveyed by R. G. Casey and E. Lecolinet, IEEE PAMI 18(7), 1996, section 3.1; the greedy "drop-fall"
path of G. Congedo, G. Dimauro, S. Impedovo and G. Pirlo, "Segmentation of numeric strings", Proc.
ICDAR 1995, is its one-path cousin), and cuts there when the path crosses little ink (at most
:data:`PATH_INK` of the piece's median inked column, in at most :data:`MAX_RUNS` strokes) and leaves a
full digit on each side (at least :data:`PATH_PART_HEIGHT` of the piece's height tall and
:data:`~edge.segment.joined_digits.PART_WIDTH` of it wide).

:func:`path_parts` is the live digit finder's last step (:class:`edge.segment.digits.DigitSegmenter`;
not a still's, ``keep_whole``: on squared pages it lost a number, on OpenCV's ``digits.png`` it added 6
detections):
each digit it found, judged by all its rules as one, that is wider than :data:`PATH_ASPECT` x its
height and one piece of ink is proposed as its two parts. Each part's ROI carries the digit as its
:attr:`~edge.types.ROI.whole` and its side of the path (:attr:`~edge.types.ROI.side`; the path's
own px go with neither): the preprocessor reads a part from the ink on its side
(:mod:`edge.preprocess.cut_ink`), and the model keeps the parts only when it reads each surer than
the whole (:mod:`edge.roi_reading`), else the digit stands as before. (Cut before the rules, as the
column cut is, the parts, whose boxes overlap, were dropped by the rules that judge a box by its
surroundings: a 0 of the demo was lost.)

Measured (the live pipeline without smoothing, camera-like frames of MNIST test digits 70 px
tall): of 2,000 pairs
written touching (1-6 px of overlap), read right 912 -> 1,223, as one digit 966 -> 613, wrong 61 ->
109, as nothing 58 -> 51, split into three 3 -> 4 (one "11" read "111"); cuts judged by the model
442 -> 883 (with each part read from its side only: 1,197 / 647 / 100 / 52 when a part was read from
its box first, which also split a wide blurred 6 into "16"). Digits widened 1.2x and 1.5x (10,000
each, three a frame), before that mend: 1.5x read right 9,713 and split into two or more 17 times, as
before; 1.2x read right 9,895 -> 9,894, split 16 -> 17 (a 6). Offline, on the segmenter's candidates: a
looser rule (path ink 0.5 of the median column, sides half the height) proposed 995 of the pairs
but 283 and 286 of 3,000 widened single digits (728 and 61 / 64 with these constants).

Cost: a digit wider than :data:`PATH_ASPECT` x its height and one piece: a connected-component pass
over its box and a few integer operations per analysis row and ink count within the limit (the
search in bit-parallel form, stopped once every path crosses too much ink); when some path crosses
little enough ink, a few vector operations to trace and test up to :data:`TRIES` of them; a proposed
cut: the whole's read by the model too. CPU per frame, timed on recorded inputs before that search
(a NumPy row loop, each path traced and tested alone; 2 cores at a load of 14): frames of two
touching MNIST pairs 0.34 ms median (0.48 with a proposal, 0.16 without), of three widened MNIST
digits 0.38 ms, the camera-like dev frames of ``benchmarks/realistic_digits.py`` 0.005 ms (mean
0.09); the finder itself took 1.5-2.2 ms there. The search as it is gives the same paths (checked
call by call on 3,570 recorded frames with a candidate: the live demo, seeds 0-4, and 500 frames of
five MNIST digits on grey paper) at 1.4-1.6x less CPU: per such frame 0.24 -> 0.13 ms median on the
grey-paper frames, 0.31-0.50 -> 0.19-0.32 ms on the demo's (load 5-7).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from edge.segment.ink_analysis import InkAnalysis
from edge.segment.joined_digits import MAX_JOINED, PART_WIDTH
from edge.types import ROI

__all__ = [
    "MAX_RUNS",
    "MIN_ROWS",
    "PATH_ASPECT",
    "PATH_INK",
    "PATH_OWN",
    "PATH_PART_HEIGHT",
    "path_cut",
    "path_parts",
]

#: A digit at least this many analysis px tall is looked at.
MIN_ROWS = 12
#: ... when its largest piece of ink holds at least this share of the ink in its box.
PATH_OWN = 0.95

#: A piece wider than this x its height is looked at for a cut path.
PATH_ASPECT = 0.8
#: The path crosses at most this share of the piece's median inked column ...
PATH_INK = 0.3
#: ... in at most this many strokes (a 0's path crosses its top and its bottom, and thick ink).
MAX_RUNS = 2
#: Each side of the path is at least this share of the piece's height tall.
PATH_PART_HEIGHT = 0.6
#: Paths tried: those ending at this many of the least inked end columns.
TRIES = 8


_SHIFTS = np.arange(64, dtype=np.uint64)
_BITS = np.left_shift(np.uint64(1), _SHIFTS)  # 1, 2, 4, .. 2 ** 63: a row of <= 64 px as an int


def path_cut(own: np.ndarray, part_width: float) -> np.ndarray | None:
    """The cut path of one piece of ink, when it is digits touching (module doc).

    Args:
        own: bool (h, w) the piece's own ink, cropped to its box (h >= 1).
        part_width: least width of each side, as a share of ``h`` (also the margin the path
            keeps from the box's left and right edges).

    Returns:
        int64 (h,) the path's column in each row (the left part's ink lies left of it, the
        right part's right of it; the path's own pixels in neither), or ``None`` (not cut).
    """
    h, w = own.shape
    margin = max(1, int(part_width * h))
    lo, hi = margin, w - margin
    if hi - lo < 1:
        return None
    inked = sorted(c for c in own.sum(axis=0).tolist() if c)  # ink px per column (a few dozen: plain Python)
    if not inked:  # (no ink)
        return None
    median = (inked[(len(inked) - 1) // 2] + inked[len(inked) // 2]) / 2
    limit = PATH_INK * median
    ink = own[:, lo:hi].view(np.uint8)
    most = int(limit)  # (ink px are whole: a path within the limit crosses at most this many)
    reached = _reached(ink, most)
    if reached is None:  # (a 0 or a blot: every path crosses too much)
        return None
    n = hi - lo
    # the least ink on a path from the top row to each px, capped at most + 1 (exact for every use
    # below: the ends kept and their order, and each step up a kept path, where the least of the
    # three px above is within the limit), between two columns no path takes (most + 2)
    cost = np.full((h, n + 2), most + 2, np.int64)
    cost[:, 1:-1] = _least(reached, n)
    # the paths ending at the least inked columns, among equals the one nearest the middle first;
    # the first that passes stands
    order = np.lexsort((np.abs(np.arange(n) - (n - 1) / 2), cost[-1, 1:-1]))
    last = cost[-1, 1:-1].tolist()
    ends = [c for c in order[:TRIES].tolist() if last[c] <= limit]
    moves = _moves(cost).tolist()
    paths = np.array([_traced(moves, c) for c in ends], np.int64) + lo
    for i in np.flatnonzero(_thin_and_tall(own, paths, limit)).tolist():
        if _wide(own, paths[i], part_width):
            return paths[i].copy()
    return None


def _reached(ink: np.ndarray, most: int) -> list[list[int]] | None:
    """Row by row, the columns that paths from the top row of ``ink`` (uint8 (h, n) 0 / 1),
    moving at most one column a row, reach crossing at most k ink px, for each k <= ``most``
    (``most`` >= 0): each set the bits of a Python int (bit c: column c); None when no path
    reaches the last row crossing at most ``most`` (then none crosses little enough ink).

    :func:`path_cut`'s dynamic programming, in an exact bit-parallel form: a row's set k is the
    columns next to the row above's set k where this row is paper, and those next to its set
    k - 1 where it is ink (a few integer operations a row instead of NumPy calls on rows of a few
    dozen px). Its cost grows with ``most``: a few integer operations per row and per ink count up to
    ``most`` (at most 11 on the recorded camera frames; a thick 240 x 400 piece, ``most`` 72: 8x main's
    NumPy loop). Stops at the first row no path reaches.
    """
    h, n = ink.shape
    full = (1 << n) - 1
    if n <= 64:  # each row's ink as the bits of an int
        rows = (ink @ _BITS[:n]).tolist()
    else:
        rows = [
            int.from_bytes(row.tobytes(), "little") for row in np.packbits(ink, axis=1, bitorder="little")
        ]
    reached = [[full & ~rows[0]] + [full] * most]  # crossing at most 0, 1, .. most ink px
    if not reached[0][-1]:  # (one row of ink and no ink allowed)
        return None
    for bits in rows[1:]:
        paper = full & ~bits
        below = 0  # the columns next to the row above's set k - 1
        sets = []
        for cols in reached[-1]:
            near = (cols | cols << 1 | cols >> 1) & full
            sets.append((near & paper) | (below & bits))
            below = near
        if not sets[-1]:
            return None
        reached.append(sets)
    return reached


def _least(reached: list[list[int]], n: int) -> np.ndarray:
    """int64 (h, n) the least ink px a path crosses from the top row to each px, capped at
    ``len(reached[0])`` (the cap meaning "more than the last set allows"), from the sets of
    :func:`_reached`: the number of sets (nested: crossing at most 0, 1, ..) that do not hold the px."""
    if n <= 64:
        sets = np.array(reached, np.uint64)[:, :, None]
        held = ((sets >> _SHIFTS[:n]) & np.uint64(1)).sum(axis=1, dtype=np.int64)
    else:
        size = (n + 7) // 8
        data = b"".join(cols.to_bytes(size, "little") for sets in reached for cols in sets)
        bits = np.frombuffer(data, np.uint8).reshape(len(reached), len(reached[0]), size)
        held = np.unpackbits(bits, axis=2, count=n, bitorder="little").sum(axis=1, dtype=np.int64)
    return len(reached[0]) - held


def _moves(cost: np.ndarray) -> np.ndarray:
    """int64 (h - 1, n) the step (-1, 0 or 1) from each px of row r + 1 of the paths' least costs
    (int (h, n + 2), the least ink from the top to each px, between two columns no path takes) to
    the least of the three above it in row r, straight first among equals, then left."""
    above = cost[:-1]
    best = np.argmin(np.stack([above[:, 1:-1], above[:, :-2], above[:, 2:]]), axis=0)
    return np.array([0, -1, 1])[best]


def _traced(moves: list[list[int]], c: int) -> list[int]:
    """The path's column (from 0 at the search's first column) in each row, from its end column
    ``c`` in the last row up, each row's step from ``moves`` (:func:`_moves`)."""
    xs = [c]
    for row in reversed(moves):
        c += row[c]
        xs.append(c)
    return xs[::-1]


def _thin_and_tall(own: np.ndarray, paths: np.ndarray, limit: float) -> np.ndarray:
    """bool (k,) which of the ``paths`` (int64 (k, h) columns of bool (h, w) ``own``) cross at most
    ``limit`` ink px in at most :data:`MAX_RUNS` strokes, with ink on each side in rows spanning at
    least :data:`PATH_PART_HEIGHT` of the height (a cut's tests except :func:`_wide`)."""
    h, w = own.shape
    crossed = own[np.arange(h), paths]
    strokes = crossed[:, 0] + (crossed[:, 1:] > crossed[:, :-1]).sum(axis=1)  # (ink runs: a start, or 0 -> 1)
    ok = (crossed.sum(axis=1) <= limit) & (strokes <= MAX_RUNS)
    inked = own.any(axis=1)
    first = np.where(inked, own.argmax(axis=1), w)  # each row's first and last inked column
    last = np.where(inked, w - 1 - own[:, ::-1].argmax(axis=1), -1)
    for side in (first < paths, last > paths):  # the rows with ink left / right of each path
        top, bottom = side.argmax(axis=1), h - 1 - side[:, ::-1].argmax(axis=1)
        ok &= side.any(axis=1) & (bottom - top + 1 >= PATH_PART_HEIGHT * h)
    return ok


def _wide(own: np.ndarray, xs: np.ndarray, part_width: float) -> bool:
    """Whether the ink on each side of the path ``xs`` (int64 (h,) columns of bool (h, w) ``own``)
    spans at least ``part_width`` x ``h`` columns (each side must hold ink: call it after
    :func:`_thin_and_tall`; IndexError otherwise)."""
    h, w = own.shape
    cols = np.arange(w)
    for side in (own & (cols[None, :] < xs[:, None]), own & (cols[None, :] > xs[:, None])):
        used = np.flatnonzero(side.any(axis=0))
        if used[-1] - used[0] + 1 < part_width * h:
            return False
    return True


def path_parts(rois: list[ROI], analysis: InkAnalysis | None) -> list[ROI]:
    """``rois`` with each digit that is digits touching (:func:`path_cut` of its ink) proposed as
    its two parts.

    The segmenter's digits, each judged by all its rules, are looked at here: a digit not already
    a part of a cut, wider than :data:`PATH_ASPECT` x its height (at most
    :data:`~edge.segment.joined_digits.MAX_JOINED` x), at least :data:`MIN_ROWS` analysis px tall,
    whose ink (``dark > level`` in its box) is one piece holding at least :data:`PATH_OWN` of it
    and spans its box.

    Args:
        rois: the segmenter's digit ROIs, frame px.
        analysis: its :class:`~edge.segment.ink_analysis.InkAnalysis` of the frame (None: nothing
            is cut).

    Returns:
        ``rois`` itself when nothing is cut; else a new list, each cut ROI replaced by its left
        and right part: frame ROIs of the ink on each side of the path, :attr:`~edge.types.ROI.whole`
        the cut ROI (the same object) and :attr:`~edge.types.ROI.side` their side of the path.
    """
    if analysis is None or not rois:
        return rois
    out: list[ROI] | None = None
    for i, (roi, box) in enumerate(zip(rois, analysis.boxes(rois), strict=True)):
        parts = None
        x0, y0, x1, y1 = box
        if (
            roi.whole is None
            and y1 - y0 >= MIN_ROWS
            and PATH_ASPECT * (y1 - y0) < x1 - x0 <= MAX_JOINED * (y1 - y0)
        ):
            parts = _parts(roi, analysis, box)
        if parts is not None and out is None:
            out = list(rois[:i])
        if out is not None:
            out.extend([roi] if parts is None else parts)
    return rois if out is None else out


def _parts(roi: ROI, analysis: InkAnalysis, box: tuple[int, int, int, int]) -> list[ROI] | None:
    """The two parts of ``roi`` (its analysis ``box``) cut along a path, or None (see :func:`path_parts`)."""
    x0, y0, x1, y1 = box
    ink = cv2.compare(analysis.dark[y0:y1, x0:x1], analysis.level[y0:y1, x0:x1], cv2.CMP_GT)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n < 2:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA].tolist()
    k = 1 + areas.index(max(areas))
    bx, by, bw, bh, area = stats[k].tolist()
    if area < PATH_OWN * sum(areas) or (bx, by, bw, bh) != (0, 0, x1 - x0, y1 - y0):
        return None
    own = labels == k
    path = path_cut(own, PART_WIDTH)
    if path is None:
        return None
    cols = np.arange(own.shape[1])[None, :]
    (sx, sy), (H, W) = analysis.scale, analysis.frame_shape
    # the part's side per frame row of the ROI: analysis column c covers frame [c sx, (c + 1) sx)
    rows = np.clip(((np.arange(roi.h) + roi.y + 0.5) / sy).astype(np.int64) - y0, 0, len(path) - 1)
    at = (x0 + path[rows]).astype(np.float32)
    inf = np.full(roi.h, np.inf, np.float32)
    sides = [np.stack([-inf, at * sx]), np.stack([(at + 1) * sx, inf])]
    parts = []
    for keep, side in zip((own & (cols < path[:, None]), own & (cols > path[:, None])), sides, strict=True):
        ys, xs = np.nonzero(keep)
        left, top = math.floor((x0 + xs.min()) * sx), math.floor((y0 + ys.min()) * sy)
        right, bottom = (
            min(math.ceil((x0 + xs.max() + 1) * sx), W),
            min(math.ceil((y0 + ys.max() + 1) * sy), H),
        )
        parts.append(ROI(left, top, right - left, bottom - top, whole=roi, side=side))
    return parts


def uncut(rois: list[ROI]) -> list[ROI]:
    """``rois`` with the two parts of each cut along a path (:func:`path_parts`) replaced by the digit
    they were cut from, in the first part's place: the digits the finder found, without its
    proposals (a list equal to ``rois`` when nothing was cut along a path)."""
    out: list[ROI] = []
    for r in rois:
        if r.side is None or r.whole is None:
            out.append(r)
        elif not out or out[-1] is not r.whole:
            out.append(r.whole)
    return out
