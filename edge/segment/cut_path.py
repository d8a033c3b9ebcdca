"""Touching digits cut along a path through the least ink, not a column (:mod:`edge.segment.joined_digits`).

Two digits written touching often overlap: the 2's base runs under the 3, a 7's bar over the
next digit's top. No column between them is free of either digit's ink, so the vertical-projection
cut of :func:`~edge.segment.joined_digits.split_joined` either finds no column thin enough or
slices one digit's stroke off; and a touching pair of narrow digits is often not even wider than
:data:`~edge.segment.joined_digits.SPLIT_ASPECT` x its height. :func:`path_cut` looks for the
top-to-bottom path that crosses the least ink, moving at most one column a row (the minimum-cost
cut path of touching numerals, found by dynamic programming: the "drop-fall" family of
G. Congedo, G. Dimauro, S. Impedovo and G. Pirlo, "Segmentation of numeric strings", Proc. ICDAR
1995, and the shortest-path cuts surveyed by R. G. Casey and E. Lecolinet, IEEE PAMI 18(7), 1996,
section 3.1), and proposes a cut there when the path crosses little ink (at most
:data:`PATH_INK` of the piece's median inked column, and in at most :data:`MAX_RUNS` strokes)
and leaves a full digit on each side (at least :data:`PATH_PART_HEIGHT` of the piece's height
tall and :data:`~edge.segment.joined_digits.PART_WIDTH` of it wide). Each part's ink is the ink
on its side of the path (the path's own pixels go with neither): the finder carries the path with
the parts (:attr:`edge.types.ROI.cut`) and the preprocessor reads each part from its side
(:mod:`edge.preprocess.cut_ink`). As every cut, it is only proposed: the model keeps it only when
it reads each part surer than the whole (:mod:`edge.roi_reading`).

Measured on the segmenter's own candidates (analysis px, about 35 px tall) of camera-like frames
of MNIST test digits 70 px tall: of 2,000 pairs written touching (1-6 px of overlap), 1,370 are one
piece, 982 of them wider than 1.25 x their height, 441 cut by the column; the path (pieces wider
than :data:`PATH_ASPECT`) proposes 728 of them, 391 that the column did not cut. Of 3,000 single
digits widened 1.5x and 1.2x it proposes 61 and 64 (51 and 61 that the column did not): mostly 4s
and 6s, which the model then reads surer whole. A looser rule (path ink 0.5 of the median column,
sides half the height) proposed 995 pairs but 283 and 286 singles.

Cost: one pass of a few vector operations per row of a candidate wider than :data:`PATH_ASPECT`
x its height that the column did not cut (about 35 rows: tens of microseconds).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_RUNS", "PATH_ASPECT", "PATH_INK", "PATH_PART_HEIGHT", "path_cut"]

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
#: A step sideways costs this much more than a step down (among equal paths, the straightest).
_STEP = 0.01
#: Moves from the row above: straight down, from the column on the left, from the one on the right.
_MOVES = np.array([0, -1, 1], np.int64)


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
    if hi - lo < 1 or not own.any():
        return None
    counts = np.count_nonzero(own, axis=0)
    inked = np.sort(counts[counts > 0])
    median = (inked[(len(inked) - 1) // 2] + inked[len(inked) // 2]) / 2
    ink = own[:, lo:hi].astype(np.float64)
    back = np.zeros((h, hi - lo), np.int64)
    cost = ink[0].copy()
    for r in range(1, h):
        options = np.stack([cost, np.r_[np.inf, cost[:-1]] + _STEP, np.r_[cost[1:], np.inf] + _STEP])
        back[r] = np.argmin(options, axis=0)
        cost = ink[r] + options[back[r], np.arange(hi - lo)]
    # the paths ending at the least inked columns, the one nearest the middle first among equals
    # ink counts; the first that passes stands
    order = np.lexsort((np.abs(np.arange(hi - lo) - (hi - lo - 1) / 2), np.round(cost)))
    limit = PATH_INK * median
    for c in order[:TRIES].tolist():
        if cost[c] > limit + 0.5:
            break
        xs = _traced(back, c)
        if _passes(own, xs + lo, limit, part_width):
            return xs + lo
    return None


def _traced(back: np.ndarray, c: int) -> np.ndarray:
    """int64 (h,) the path's column (from 0 at the search's first column) in each row, from its
    end column ``c`` in the last row and ``back`` (int64 (h, n) each row's move index)."""
    h = len(back)
    xs = np.empty(h, np.int64)
    xs[-1] = c
    for r in range(h - 1, 0, -1):
        c += int(_MOVES[back[r, c]])
        xs[r - 1] = c
    return xs


def _passes(own: np.ndarray, xs: np.ndarray, limit: float, part_width: float) -> bool:
    """Whether the path ``xs`` (int64 (h,) columns of bool (h, w) ``own``) is a cut: at most ``limit``
    ink px on it in at most :data:`MAX_RUNS` strokes, each side a full digit."""
    h, w = own.shape
    crossed = own[np.arange(h), xs]
    runs = np.count_nonzero(np.diff(crossed.astype(np.int8)) == 1) + int(crossed[0])  # strokes crossed
    if crossed.sum() > limit or runs > MAX_RUNS:
        return False
    cols = np.arange(w)
    for side in (own & (cols[None, :] < xs[:, None]), own & (cols[None, :] > xs[:, None])):
        rows, used = np.flatnonzero(side.any(axis=1)), np.flatnonzero(side.any(axis=0))
        if not len(rows) or rows[-1] - rows[0] + 1 < PATH_PART_HEIGHT * h:
            return False
        if used[-1] - used[0] + 1 < part_width * h:
            return False
    return True
