"""Merging the ink pieces of one digit (:class:`edge.segment.digits.DigitSegmenter`).

A digit drawn with a pen is often more than one connected piece: a 5 whose bar is
detached, a stroke broken across the digit, a 0 or an 8 drawn as two arcs.
:func:`merge_pairs` decides which pairs of pieces belong together (the rules are in
its docstring) and :func:`merge_boxes` unions them. The tables are those of
:mod:`edge.segment.digit_pieces`: float64 (N, 7) x0, y0, x1, y1, ink area, border
contact, sum of the ink's x.

A camera frame has a handful of pieces, a page thousands: up to
:data:`edge.segment.digit_pieces.FEW` pieces the rules run in plain Python over the
pairs, with early exits (numpy's cost per call outweighs the arithmetic there), beyond
that as numpy arrays over all pairs or over a sweep's candidate pairs. Both give the
same pairs (``tests/test_segment_speed.py``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_pieces import AREA, CONTACT, FEW, MX, X0, X1, Y0, Y1, kept_rows
from edge.segment.joined_digits import CutLog, split_joined
from edge.segment.ridge_ink import reopened

#: Up to :data:`edge.segment.digit_pieces.FEW` pieces, :func:`merge_pairs` tests the
#: pairs in plain Python; up to this many as numpy arrays over all pairs; beyond, over a
#: sweep's candidate pairs.
ALL_PAIRS = 48

#: A piece at least this many times as wide as tall is flat (:func:`_same_pen`) ...
FLAT = 3.0
#: ... and a flat piece's mean ink thickness is at least this share of the stroke width of the
#: piece it stacks onto.
THIN = 0.4

#: Up to :data:`ALL_PAIRS` pieces, when at most this many pairs are near enough to merge
#: (a frame's digits are a few apart), the rules run on those in plain Python.
NEAR_FEW = 32


@functools.lru_cache(maxsize=ALL_PAIRS + 1)
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs i < j of ``n`` items (int (n (n - 1) / 2,) each; read only)."""
    ii, jj = np.triu_indices(n, 1)
    ii.flags.writeable = False
    jj.flags.writeable = False
    return ii, jj


def merge_pairs(
    boxes: np.ndarray, cfg: DigitSegmenterConfig, new: list[bool] | None = None
) -> list[tuple[int, int]]:
    """Which pairs of pieces belong to one digit: (i, j) with i < j.

    Stacked pieces (a 5's bar, a stroke broken across the digit): they overlap
    horizontally by at least half the narrower one, are at most ``merge_gap`` x the
    taller one's height apart vertically, and the union is at most
    ``merge_max_growth`` x as tall as the taller one (digits in stacked rows stay
    apart), or 2.2 x when they nearly touch (``merge_touch_gap``); pieces without
    vertical overlap must be of comparable width (``merge_min_width``).

    Side-by-side arcs (a 0 or an 8 drawn in two strokes): of similar height, mostly
    overlapping vertically, at most ``arc_gap`` x their height apart, the left one's
    ink leaning left and the right one's leaning right (they face each other, as
    ``(`` and ``)``), and together not wider than ``arc_max_aspect`` x their height.
    Neighbouring digits of a number fail at least one of these: a straight "1" does
    not lean, and two full digits are too wide together.

    Stacked pieces must also be strokes of one pen (:func:`_same_pen`): a flat piece stacks
    only onto a piece that is not flat, with ink not much thinner than its strokes; two flat
    pieces never stack. The dashes of neighbouring ruled lines (tilted: they fill 0.11-0.27 of
    their own box in ``benchmarks/realistic_digits.py`` frames, seeds 21 and 22) stay apart,
    and so, for now, do the two halves of a wide 0 broken across its height (arcs filling 0.30
    of their boxes: a veto on line-like fill alone would let the dashes stack too).

    Neither merges a speck with less than ``merge_min_ink`` of the other's ink.

    Args:
        boxes: float (N, 7) pieces (:mod:`edge.segment.digit_pieces` columns).
        cfg: the rules' settings.
        new: N bools: test only the pairs with at least one of these pieces (the
            others were tested before, unchanged: :func:`merge_boxes`); ``None``: all.
    """
    n = len(boxes)
    if n <= FEW:
        partners = (
            None if new is None else [[j for j in range(i + 1, n) if new[i] or new[j]] for i in range(n)]
        )
        return _few_pairs(boxes.tolist(), cfg, partners)
    if n <= ALL_PAIRS:  # the pairs near enough to merge, as arrays; few: the rules in plain Python
        ii, jj = _near_pairs(boxes, cfg, new)
        if len(ii) <= NEAR_FEW:
            partners = [[] for _ in range(n)]
            for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
                partners[i].append(j)
            return _few_pairs(boxes.tolist(), cfg, partners)
    ii, jj = _many_pairs(boxes, cfg, new)
    return list(zip(ii.tolist(), jj.tolist(), strict=True))


def _near_pairs(
    boxes: np.ndarray, cfg: DigitSegmenterConfig, new: list[bool] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs i < j of :func:`_pairs` that pass :func:`_many_pairs`' nearness test,
    in the same order (int (K,) each)."""
    ii, jj, _, _, _ = _near(boxes, *_pairs(len(boxes)), cfg, new)
    return ii, jj


def _near(
    boxes: np.ndarray, ii: np.ndarray, jj: np.ndarray, cfg: DigitSegmenterConfig, new: list[bool] | None
) -> tuple[np.ndarray, ...]:
    """The candidate pairs (int (K,) ``ii``, ``jj``) with at least one piece in ``new`` (all
    when ``None``) that are near enough to merge: gaps of at most ``merge_gap`` (rows) and
    ``arc_gap`` (columns) x the taller one's height. Returns (ii, jj, x overlap, y overlap,
    taller height) of those, float px (negative overlap: a gap)."""
    x0, y0, x1, y1 = (boxes[:, k] for k in (X0, Y0, X1, Y1))
    if new is not None:
        fresh = np.array(new, bool)
        some = fresh[ii] | fresh[jj]
        ii, jj = ii[some], jj[some]
    ox = np.minimum(x1[ii], x1[jj]) - np.maximum(x0[ii], x0[jj])
    oy = np.minimum(y1[ii], y1[jj]) - np.maximum(y0[ii], y0[jj])
    h = y1 - y0
    hmax = np.maximum(h[ii], h[jj])
    near = (oy >= -cfg.merge_gap * hmax) & (ox >= -cfg.arc_gap * hmax)
    return ii[near], jj[near], ox[near], oy[near], hmax[near]


def _same_pen(wi: Any, hi: Any, ai: Any, wj: Any, hj: Any, aj: Any) -> Any:
    """Whether two stacked pieces may be strokes of one pen (floats or float arrays, px).

    A flat piece (at least :data:`FLAT` x as wide as tall: a 5's or a 7's bar, or a dash of
    a ruled line that a shadow or the second ink level broke) stacks onto a piece that is
    not flat, and its ink is not much thinner than that piece's strokes: its mean thickness
    (ink area / width) is at least :data:`THIN` x the other's (ink area / (width + height),
    about a stroke's width for a digit's body). Two flat pieces (the dashes of neighbouring
    ruled lines, one above the other) are not one digit, nor is a hairline under a digit.
    """
    wi, hi, wj, hj = (np.maximum(v, 1.0) for v in (wi, hi, wj, hj))
    flat_i, flat_j = wi >= FLAT * hi, wj >= FLAT * hj
    thick_i, thick_j = ai / wi >= THIN * aj / (wj + hj), aj / wj >= THIN * ai / (wi + hi)
    return ~(flat_i & flat_j) & (~flat_i | thick_i) & (~flat_j | thick_j)


def _same_pen_few(wi: float, hi: float, ai: float, wj: float, hj: float, aj: float) -> bool:
    """:func:`_same_pen` of one pair in plain Python (the same arithmetic)."""
    wi, hi, wj, hj = max(wi, 1.0), max(hi, 1.0), max(wj, 1.0), max(hj, 1.0)
    flat_i, flat_j = wi >= FLAT * hi, wj >= FLAT * hj
    if flat_i and flat_j:
        return False
    if flat_i:
        return ai / wi >= THIN * aj / (wj + hj)
    return not flat_j or aj / wj >= THIN * ai / (wi + hi)


def _few_pairs(
    rows: list[list[float]], cfg: DigitSegmenterConfig, partners: list[list[int]] | None = None
) -> list[tuple[int, int]]:
    """:func:`merge_pairs` in plain Python over the rows of a small table (the same
    arithmetic as :func:`_many_pairs`, in the same order, so the same results); only
    the pairs (i, j) with j in ``partners[i]`` (ascending, > i) when given."""
    out = []
    n = len(rows)
    for i, (x0i, y0i, x1i, y1i, ai, _, mi) in enumerate(rows):
        js = range(i + 1, n) if partners is None else partners[i]
        if not js:
            continue
        hi, wi = y1i - y0i, x1i - x0i
        for j in js:
            x0j, y0j, x1j, y1j, aj, _, mj = rows[j]
            hj, wj = y1j - y0j, x1j - x0j
            # (max(a, b) and min(a, b) written out, the same values: most pairs end at this test)
            hmax = hj if hj > hi else hi
            oy = (y1j if y1j < y1i else y1i) - (y0j if y0j > y0i else y0i)
            ox = (x1j if x1j < x1i else x1i) - (x0j if x0j > x0i else x0i)
            if oy < -cfg.merge_gap * hmax or ox < -cfg.arc_gap * hmax:  # not near
                continue
            if min(ai, aj) < cfg.merge_min_ink * max(ai, aj):  # a speck
                continue
            wmin, wmax, hmin = min(wi, wj), max(wi, wj), min(hi, hj)
            merged_h = max(y1i, y1j) - min(y0i, y0j)
            touch = -oy <= cfg.merge_touch_gap * hmax
            if (
                ox >= 0.5 * wmin
                and merged_h <= (2.2 if touch else cfg.merge_max_growth) * hmax
                and (oy > 0 or wmin >= cfg.merge_min_width * wmax)
                and _same_pen_few(wi, hi, ai, wj, hj, aj)
            ):  # stacked
                out.append((i, j))
                continue
            li = (mi / max(ai, 1.0) - x0i) / max(wi, 1.0)
            lj = (mj / max(aj, 1.0) - x0j) / max(wj, 1.0)
            facing = (li < 0.42 and lj > 0.58) if x0i < x0j else (lj < 0.42 and li > 0.58)
            merged_w = max(x1i, x1j) - min(x0i, x0j)
            if (
                facing
                and hmin >= 0.6 * hmax
                and oy >= 0.6 * hmin
                and merged_w <= cfg.arc_max_aspect * merged_h
                and wmin >= 0.15 * hmin
            ):  # arcs
                out.append((i, j))
    return out


def _many_pairs(
    boxes: np.ndarray, cfg: DigitSegmenterConfig, new: list[bool] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`merge_pairs` as numpy arrays: (int (K,) i, int (K,) j), i < j."""
    x0, y0, x1, y1, area, mx = (boxes[:, k] for k in (X0, Y0, X1, Y1, AREA, MX))
    h = y1 - y0
    # candidate pairs first: sorted by x0, each piece's partners start at most
    # arc_gap x the tallest piece's height after it ends (a sweep, so a page of
    # thousands of pieces needs no N x N table); then the rules on those pairs only
    n = len(boxes)
    if n <= ALL_PAIRS:  # a frame's few pieces: all pairs (the rules below include the sweep's)
        ii, jj = _pairs(n)
    else:
        order = np.argsort(x0, kind="stable")
        reach = np.searchsorted(x0[order], x1[order] + cfg.arc_gap * float(h.max()), side="right")
        cnt = np.maximum(reach - np.arange(1, n + 1), 0)
        si = np.repeat(np.arange(n), cnt)
        sj = si + 1 + np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        ii, jj = np.minimum(order[si], order[sj]), np.maximum(order[si], order[sj])
    ii, jj, ox, oy, hmax = _near(boxes, ii, jj, cfg, new)
    if not len(ii):
        return ii, jj
    w = x1 - x0
    wi, wj, hi, hj = w[ii], w[jj], h[ii], h[jj]
    wmin, wmax, hmin = np.minimum(wi, wj), np.maximum(wi, wj), np.minimum(hi, hj)
    merged_h = np.maximum(y1[ii], y1[jj]) - np.minimum(y0[ii], y0[jj])
    touch = -oy <= cfg.merge_touch_gap * hmax  # nearly touching: a digit broken in two
    stacked = (
        (ox >= 0.5 * wmin)
        & (merged_h <= np.where(touch, 2.2, cfg.merge_max_growth) * hmax)
        & ((oy > 0) | (wmin >= cfg.merge_min_width * wmax))
        & _same_pen(wi, hi, area[ii], wj, hj, area[jj])
    )
    # horizontal position of the ink's centre of mass in its box: 0 left .. 1 right
    lean = (mx / np.maximum(area, 1.0) - x0) / np.maximum(w, 1.0)
    li, lj = lean[ii], lean[jj]
    facing = np.where(x0[ii] < x0[jj], (li < 0.42) & (lj > 0.58), (lj < 0.42) & (li > 0.58))
    merged_w = np.maximum(x1[ii], x1[jj]) - np.minimum(x0[ii], x0[jj])
    arcs = (
        facing
        & (hmin >= 0.6 * hmax)
        & (oy >= 0.6 * hmin)
        & (merged_w <= cfg.arc_max_aspect * merged_h)
        & (wmin >= 0.15 * hmin)
    )
    ai, aj = area[ii], area[jj]
    ok = (stacked | arcs) & (np.minimum(ai, aj) >= cfg.merge_min_ink * np.maximum(ai, aj))
    return ii[ok], jj[ok]


def _root(parent: list[int], a: int) -> int:
    """Union-find root of ``a`` (with path halving)."""
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def merge_boxes(boxes: np.ndarray, cfg: DigitSegmenterConfig) -> np.ndarray:
    """Union the pieces of one digit (see :func:`merge_pairs`), repeated until
    nothing changes.

    Args:
        boxes: float (N, 7) x0, y0, x1, y1, ink area, border contact, sum of ink x.
        cfg: the merge rules' settings.

    Returns:
        float (M, 7), M <= N, the same columns (areas, contacts and sums added); the
        groups in the order of their first piece.
    """
    new = None  # after a round, only pairs with a merged box can merge (the others failed)
    for _ in range(4):
        n = len(boxes)
        if n < 2:
            break
        pairs = merge_pairs(boxes, cfg, new)
        if not pairs:
            break
        parent = list(range(n))  # union-find over the merge pairs: a group's root is its first piece
        for i, j in pairs:
            ra, rb = _root(parent, i), _root(parent, j)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        roots = [_root(parent, a) for a in range(n)]
        size = [0] * n
        for r in roots:
            size[r] += 1
        new = [size[r] > 1 for r in sorted(set(roots))]  # per merged box, in the order below
        if n <= FEW:
            boxes = _union_rows(boxes.tolist(), roots)
            continue
        group = np.array(roots)
        order = np.argsort(group, kind="stable")
        grp, rows = group[order], boxes[order]
        starts = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]])
        boxes = np.column_stack(
            [
                np.minimum.reduceat(rows[:, X0], starts),
                np.minimum.reduceat(rows[:, Y0], starts),
                np.maximum.reduceat(rows[:, X1], starts),
                np.maximum.reduceat(rows[:, Y1], starts),
                np.add.reduceat(rows[:, AREA:], starts, axis=0),
            ]
        )
    return boxes


def _union_rows(rows: list[list[float]], roots: list[int]) -> np.ndarray:
    """:func:`merge_boxes`' union of a few pieces in plain Python: per group (``roots``: each
    piece's group's first piece), in the order of that first piece, the box around the
    pieces and their ink, contact and x sums added (pixel counts and sums of pixel x: whole
    numbers, exact in any order, so the same values as the numpy branch's reduceat)."""
    groups: dict[int, list[float]] = {}
    for i, r in enumerate(roots):
        g = groups.get(r)
        if g is None:  # i == r: a group's first piece comes first
            groups[r] = rows[i]
            continue
        x0, y0, x1, y1, ink, contact, mx = rows[i]
        g[X0], g[Y0], g[X1], g[Y1] = min(g[X0], x0), min(g[Y0], y0), max(g[X1], x1), max(g[Y1], y1)
        g[AREA], g[CONTACT], g[MX] = g[AREA] + ink, g[CONTACT] + contact, g[MX] + mx
    return np.array(list(groups.values()), np.float64)


def candidates(
    boxes: np.ndarray,
    cfg: DigitSegmenterConfig,
    sh: int,
    min_h: float,
    max_height: float,
    ink: tuple[np.ndarray, np.ndarray] | None = None,
    mask: tuple[np.ndarray, tuple[int, int]] | None = None,
    cuts: CutLog | None = None,
) -> np.ndarray:
    """Digit candidates: the pieces merged (:func:`merge_boxes`), filtered by size
    (``min_h`` px, ``max_height``: fraction of the frame's height ``sh``), aspect and
    ink fill (float (M, 7), the table's columns); with ``mask`` (the uint8 ink mask the pieces
    were measured in, its origin), a candidate that is digits joined into one piece is cut into
    them (:func:`~edge.segment.joined_digits.split_joined`; each cut logged in ``cuts``).

    With ``ink`` (uint8 (h, w) darkness and ink level of the analysis image), a box clear of
    the frame's border that passes every rule but looks solid (fill above ``cfg.max_fill``)
    is read again at half its own peak darkness (:func:`edge.segment.ridge_ink.half_peak_fill`:
    a blurred digit's loops open, a blot stays solid) and kept when that ink fills at most
    :data:`~edge.segment.ridge_ink.OPEN_FILL` of its own box, with that ink area. (A finger
    entering the frame, flat-fielded, is darker along its rim than inside and would open up too.)
    """
    if not len(boxes):
        return boxes
    kept = _filtered(merge_boxes(boxes, cfg), cfg, sh, min_h, max_height, ink)
    return split_joined(kept, mask, min_h, cuts)


def _filtered(
    boxes: np.ndarray, cfg: DigitSegmenterConfig, sh: int, min_h: float, max_height: float, ink: Any
) -> np.ndarray:
    """The merged ``boxes`` that pass :func:`candidates`' rules."""
    solid: list[int] = []  # boxes dropped only as solid blobs
    if len(boxes) <= FEW:  # the same tests in plain Python
        keep = []
        for i, (x0, y0, x1, y1, area, contact, _) in enumerate(boxes.tolist()):
            bw, bh = x1 - x0, y1 - y0
            fill, aspect = area / max(bw * bh, 1.0), bw / max(bh, 1.0)
            if (
                min_h <= bh <= max_height * sh
                and cfg.min_aspect <= aspect <= cfg.max_aspect
                and fill >= cfg.min_fill
            ):
                if not (fill > cfg.max_fill and aspect > cfg.blob_aspect):
                    keep.append(i)
                elif ink is not None and not contact:
                    solid.append(i)
        return reopened(boxes, keep, solid, cfg, ink) if solid and ink is not None else kept_rows(boxes, keep)
    bw, bh, area = boxes[:, X1] - boxes[:, X0], boxes[:, Y1] - boxes[:, Y0], boxes[:, AREA]
    fill = area / np.maximum(bw * bh, 1.0)
    aspect = bw / np.maximum(bh, 1.0)
    ok = (
        (bh >= min_h)
        & (bh <= max_height * sh)
        & (aspect >= cfg.min_aspect)
        & (aspect <= cfg.max_aspect)
        & (fill >= cfg.min_fill)
    )
    blob = (fill > cfg.max_fill) & (aspect > cfg.blob_aspect)
    if ink is not None and (ok & blob & (boxes[:, CONTACT] == 0)).any():
        solid = np.flatnonzero(ok & blob & (boxes[:, CONTACT] == 0)).tolist()
        return reopened(boxes, np.flatnonzero(ok & ~blob).tolist(), solid, cfg, ink)
    return boxes[ok & ~blob]
