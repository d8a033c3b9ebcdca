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
little enough ink, up to :data:`TRIES` of them traced on those bits (a path that meets one traced
before goes its way) and tested in turn (a few integer operations a row, no NumPy call); a proposed
cut: the whole's read by the model too. CPU per frame, timed on recorded inputs before that search
(a NumPy row loop, each path traced and tested alone; 2 cores at a load of 14): frames of two
touching MNIST pairs 0.34 ms median (0.48 with a proposal, 0.16 without), of three widened MNIST
digits 0.38 ms, the camera-like dev frames of ``benchmarks/realistic_digits.py`` 0.005 ms (mean
0.09); the finder itself took 1.5-2.2 ms there. The search as it is gives the same paths (checked
call by call on 3,570 recorded frames with a candidate: the live demo, seeds 0-4, and 500 frames of
five MNIST digits on grey paper) at 1.4-1.6x less CPU: per such frame 0.24 -> 0.13 ms median on the
grey-paper frames, 0.31-0.50 -> 0.19-0.32 ms on the demo's (load 5-7).
Tracing and testing the paths on the search's bits instead of NumPy tables (session 31): path_cut
on recorded calls that reach the last row 0.18-0.23 -> 0.12 ms (five MNIST digits on grey paper),
0.26-0.38 -> 0.19 ms (the demo, seed 0); the same paths (the reference-rule test).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator

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
    n = hi - lo
    most = int(limit)  # (ink px are whole: a path within the limit crosses at most this many)
    reached = _reached(_row_bits(own[:, lo:hi]), n, most)
    if reached is None:  # (a 0 or a blot: every path crosses too much)
        return None
    rows = _row_bits(own)
    # the paths ending at the least inked columns (all within the limit: the last row's sets), among
    # equals the one nearest the middle first; the first that passes stands
    for path in _traced(reached, _ends(reached[-1], n), n):
        xs = [x + lo for x in path]
        if _thin_and_tall(rows, xs, limit) and _wide(rows, xs, part_width):
            return np.array(xs, np.int64)
    return None


def _row_bits(mask: np.ndarray) -> list[int]:
    """Each row of ``mask`` (bool or uint8 0 / 1, (h, w)) as the bits of a Python int (bit c: column c)."""
    w = mask.shape[1]
    if w <= 64:
        return (mask.view(np.uint8) @ _BITS[:w]).tolist()
    return [int.from_bytes(row.tobytes(), "little") for row in np.packbits(mask, axis=1, bitorder="little")]


def _reached(rows: list[int], n: int, most: int) -> list[list[int]] | None:
    """Row by row, the columns that paths from the top row of the ink ``rows`` (each row's ink px
    as the bits of an int, bit c: column c < ``n``), moving at most one column a row, reach
    crossing at most k ink px, for each k <= ``most`` (``most`` >= 0): each set the bits of a Python
    int, the sets nested; None when no path reaches the last row crossing at most ``most`` (then
    none crosses little enough ink).

    :func:`path_cut`'s dynamic programming, in an exact bit-parallel form: a row's set k is the
    columns next to the row above's set k where this row is paper, and those next to its set
    k - 1 where it is ink (a few integer operations a row instead of NumPy calls on rows of a few
    dozen px); the least ink a path crosses from the top row to a px is the first k whose set holds
    it. Its cost grows with ``most``: a few integer operations per row and per ink count up to
    ``most`` (at most 11 on the recorded camera frames; a thick 240 x 400 piece, ``most`` 72: 8x main's
    NumPy loop). Stops at the first row no path reaches.
    """
    full = (1 << n) - 1
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


def _ends(last: list[int], n: int) -> list[int]:
    """The first :data:`TRIES` columns (0 .. ``n`` - 1) reached in the last row crossing at most
    the most ink looked for (``last``: that row's nested sets of :func:`_reached`), by the least ink
    crossed (the first set holding the column), then nearest the middle, then leftmost."""
    ends: list[int] = []
    seen = 0
    for cols in last:
        new, seen = cols & ~seen, cols  # the columns reached crossing exactly k ink px
        ends += [c for c in _middle_out(n) if new >> c & 1]
        if len(ends) >= TRIES:
            break
    return ends[:TRIES]


@functools.lru_cache(maxsize=64)
def _middle_out(n: int) -> tuple[int, ...]:
    """Columns 0 .. ``n`` - 1 nearest the middle first, then leftmost."""
    return tuple(sorted(range(n), key=lambda c: abs(2 * c - (n - 1))))


def _traced(reached: list[list[int]], ends: list[int], n: int) -> Iterator[list[int]]:
    """The least-ink path to each of the columns ``ends`` (< ``n``) of the last row, in turn (its
    column in each row, from 0 at the search's first column), traced up the sets of
    :func:`_reached`: each step to the least inked of the three px above (the first set holding any
    of them), straight first among equals, then left (straight when none is held: the least ink is
    then more than the sets count, as it is for the path's px). A path that meets one traced before
    goes that one's way up from there."""
    h = len(reached)
    through: dict[int, list[int]] = {}  # px (row r, column c) as r * n + c: a path traced through it
    for c in ends:
        up = []  # the path's columns from the last row up, until it meets one traced before
        met = None
        for r in range(h - 1, -1, -1):
            met = through.get(r * n + c)
            if met is not None:
                break
            up.append(c)
            if r:
                for cols in reached[r - 1]:
                    near = (cols << 1) >> c & 7  # bits 0, 1, 2: columns c - 1, c, c + 1 of the row above
                    if near:
                        if not near & 2:
                            c += -1 if near & 1 else 1
                        break
        xs = up[::-1] if met is None else met[: r + 1] + up[::-1]
        for i, x in enumerate(up):
            through[(h - 1 - i) * n + x] = xs
        yield xs


def _thin_and_tall(rows: list[int], xs: list[int], limit: float) -> bool:
    """Whether the path ``xs`` (its column in each row of the ink ``rows``, each row's px as the
    bits of an int) has ink on each side in rows spanning at least :data:`PATH_PART_HEIGHT` of the
    height and crosses at most ``limit`` ink px in at most :data:`MAX_RUNS` strokes (a cut's tests
    except :func:`_wide`)."""
    h = len(rows)
    tall = math.ceil(PATH_PART_HEIGHT * h)  # (rows spanned are whole)
    # the first row with ink left of the path, then a row with ink left of it tall enough below that
    top = next((r for r in range(h - tall + 1) if rows[r] & ((1 << xs[r]) - 1)), -1)
    if top < 0 or not any(rows[r] & ((1 << xs[r]) - 1) for r in range(top + tall - 1, h)):
        return False
    top = next((r for r in range(h - tall + 1) if rows[r] >> xs[r] >> 1), -1)  # (right of it)
    if top < 0 or not any(rows[r] >> xs[r] >> 1 for r in range(top + tall - 1, h)):
        return False
    crossed = [b >> x & 1 for b, x in zip(rows, xs, strict=True)]
    strokes = crossed[0] + sum(1 for a, b in zip(crossed, crossed[1:], strict=False) if b > a)  # (ink runs)
    return sum(crossed) <= limit and strokes <= MAX_RUNS


def _wide(rows: list[int], xs: list[int], part_width: float) -> bool:
    """Whether the ink on each side of the path ``xs`` (its column in each row of the ink ``rows``,
    each row's px as the bits of an int) spans at least ``part_width`` x the height in columns
    (each side must hold ink: call it after :func:`_thin_and_tall`)."""
    left = right = 0  # the columns holding ink on each side
    for b, x in zip(rows, xs, strict=True):
        left |= b & ((1 << x) - 1)
        right |= b >> x >> 1 << x << 1
    wide = part_width * len(rows)
    return all(cols.bit_length() - (cols & -cols).bit_length() + 1 >= wide for cols in (left, right))


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
