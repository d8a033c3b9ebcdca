"""Tables of ink pieces and digit candidates of the digit finder, and the operations on them.

A table is float64 (N, :data:`COLS`), one row per piece or candidate, analysis px:
columns :data:`X0`, :data:`Y0`, :data:`X1`, :data:`Y1` (box, x1/y1 exclusive),
:data:`AREA` (ink px), :data:`CONTACT` (ink px on the frame border), :data:`MX` (sum
of the ink's x, for its centre of mass). Measuring components, merging the pieces of
one digit, and the paper-ring and paper-edge tests work on these tables.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import cv2
import numpy as np

from edge.segment.block_sums import BlockSums
from edge.segment.digit_config import DigitSegmenterConfig

#: Columns of a piece / candidate table (float (N, 7), analysis px).
X0, Y0, X1, Y1, AREA, CONTACT, MX = range(7)
#: Number of columns.
COLS = 7


@functools.lru_cache(maxsize=16)
def rect_kernel(k: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))


def _root(parent: list[int], a: int) -> int:
    """Union-find root of ``a`` (with path halving)."""
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


#: Up to this many pieces, :func:`_merge_pairs` starts from all pairs instead of a sweep.
_ALL_PAIRS = 48


@functools.lru_cache(maxsize=_ALL_PAIRS + 1)
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs i < j of ``n`` items (int (n (n - 1) / 2,) each; read only)."""
    ii, jj = np.triu_indices(n, 1)
    ii.flags.writeable = False
    jj.flags.writeable = False
    return ii, jj


def _merge_pairs(boxes: np.ndarray, cfg: DigitSegmenterConfig) -> tuple[np.ndarray, np.ndarray]:
    """Which pairs of pieces belong to one digit: (int (K,) i, int (K,) j), i < j.

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

    Neither merges a speck with less than ``merge_min_ink`` of the other's ink.
    """
    x0, y0, x1, y1, area, mx = (boxes[:, k] for k in (X0, Y0, X1, Y1, AREA, MX))
    h = y1 - y0
    # candidate pairs first: sorted by x0, each piece's partners start at most
    # arc_gap x the tallest piece's height after it ends (a sweep, so a page of
    # thousands of pieces needs no N x N table); then the rules on those pairs only
    n = len(boxes)
    if n <= _ALL_PAIRS:  # a frame's few pieces: all pairs (the rules below include the sweep's)
        ii, jj = _pairs(n)
    else:
        order = np.argsort(x0, kind="stable")
        reach = np.searchsorted(x0[order], x1[order] + cfg.arc_gap * float(h.max()), side="right")
        cnt = np.maximum(reach - np.arange(1, n + 1), 0)
        si = np.repeat(np.arange(n), cnt)
        sj = si + 1 + np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        ii, jj = np.minimum(order[si], order[sj]), np.maximum(order[si], order[sj])
    ox = np.minimum(x1[ii], x1[jj]) - np.maximum(x0[ii], x0[jj])
    oy = np.minimum(y1[ii], y1[jj]) - np.maximum(y0[ii], y0[jj])
    hmax = np.maximum(h[ii], h[jj])
    near = (oy >= -cfg.merge_gap * hmax) & (ox >= -cfg.arc_gap * hmax)
    ii, jj, ox, oy, hmax = ii[near], jj[near], ox[near], oy[near], hmax[near]
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


def merge_boxes(boxes: np.ndarray, cfg: DigitSegmenterConfig) -> np.ndarray:
    """Union the pieces of one digit (see :func:`_merge_pairs`), repeated until
    nothing changes.

    Args:
        boxes: float (N, 7) x0, y0, x1, y1, ink area, border contact, sum of ink x.

    Returns:
        float (M, 7), M <= N, the same columns (areas, contacts and sums added).
    """
    for _ in range(4):
        n = len(boxes)
        if n < 2:
            break
        ii, jj = _merge_pairs(boxes, cfg)
        if not len(ii):
            break
        parent = list(range(n))  # union-find over the merge pairs
        for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
            ra, rb = _root(parent, i), _root(parent, j)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        group = np.array([_root(parent, a) for a in range(n)])
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


def candidates(
    boxes: np.ndarray, cfg: DigitSegmenterConfig, sh: int, min_h: float, max_height: float
) -> np.ndarray:
    """Digit candidates: the pieces merged (:func:`merge_boxes`), filtered by size
    (``min_h`` px, ``max_height``: fraction of the frame's height ``sh``), aspect and
    ink fill (float (M, 7), the table's columns)."""
    if not len(boxes):
        return boxes
    boxes = merge_boxes(boxes, cfg)
    bw, bh, ink = boxes[:, X1] - boxes[:, X0], boxes[:, Y1] - boxes[:, Y0], boxes[:, AREA]
    fill = ink / np.maximum(bw * bh, 1.0)
    aspect = bw / np.maximum(bh, 1.0)
    ok = (
        (bh >= min_h)
        & (bh <= max_height * sh)
        & (aspect >= cfg.min_aspect)
        & (aspect <= cfg.max_aspect)
        & (fill >= cfg.min_fill)
        & ~((fill > cfg.max_fill) & (aspect > cfg.blob_aspect))
    )
    return boxes[ok]


def select_digits(boxes: np.ndarray, cfg: DigitSegmenterConfig, sw: int, sh: int) -> np.ndarray:
    """The digits among the candidates (float (M, 7)) of a ``sw`` x ``sh`` analysis
    image: border and relative-size rules."""
    if not len(boxes):
        return boxes
    bh = boxes[:, Y1] - boxes[:, Y0]
    if cfg.reject_border:
        # digits cut by the frame border are dropped, unless they are the only
        # (or much the largest) candidates: a tightly cropped photo
        touch = (boxes[:, X0] <= 0) | (boxes[:, Y0] <= 0) | (boxes[:, X1] >= sw) | (boxes[:, Y1] >= sh)
        if (~touch).any() and bh[~touch].max() >= 0.5 * bh.max():
            boxes, bh = boxes[~touch], bh[~touch]
    return boxes[bh >= cfg.min_relative_height * bh.max()]


def measure_components(
    mask: np.ndarray,
    min_area: int,
    max_count: int,
    origin: tuple[int, int] = (0, 0),
    frame: tuple[int, int] | None = None,
    stop_at: int = 0,
) -> tuple[np.ndarray | None, list[np.ndarray], int, Callable[[], np.ndarray]]:
    """Outer connected components of an ink mask, measured.

    ``cv2.findContours`` (``RETR_EXTERNAL``: the loops of 0, 6, 8, 9 and specks
    inside them belong to the digit around them) gives the outlines; all their
    boxes come from one vectorised min/max over the concatenated outline points, so
    specks (box smaller than ``min_area``) are dropped before any per-component work.
    Of the rest, the ``max_count`` largest boxes are measured inside their box: ink
    area and centre of mass (``cv2.moments``; ink of other components reaching into
    the box counts too) and ink pixels on the frame's border.

    Args:
        mask: uint8 (h, w), 255 = ink.
        min_area: smallest box area (px²).
        max_count: most components measured.
        origin: (x, y) of the mask's top-left corner in the frame (a crop of it).
        frame: (width, height) of the frame; default the mask's own size. Border
            contact counts only on the frame's border.
        stop_at: if > 0 and at least this many components are not specks (clutter),
            they are not measured (``None`` is returned; ``measure`` does it later).

    Returns:
        (float (N, 7) x0, y0, x1, y1, ink area, border contact (px), sum of the ink's
        x, in frame px, or ``None`` (``stop_at``); the N outlines, int32 (K, 1, 2) in
        mask px; the number of components that were not specks, before keeping
        ``max_count``; ``measure()``, which returns the table in any case).
    """
    h, w = mask.shape
    ox, oy = origin
    fw, fh = frame if frame is not None else (w, h)
    cs, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    n = len(cs)
    ids = np.zeros(0, np.intp)
    lo = hi = np.zeros((0, 2), np.intp)

    def measure() -> np.ndarray:
        rows = []
        for x0, y0, x1, y1 in np.hstack([lo[ids], hi[ids]]).tolist():
            m = cv2.moments(mask[y0:y1, x0:x1], binaryImage=True)
            contact = 0
            if x0 == 0 and ox == 0:
                contact += cv2.countNonZero(mask[y0:y1, 0])
            if x1 == w and ox + w == fw:
                contact += cv2.countNonZero(mask[y0:y1, w - 1])
            if y0 == 0 and oy == 0:
                contact += cv2.countNonZero(mask[0, x0:x1])
            if y1 == h and oy + h == fh:
                contact += cv2.countNonZero(mask[h - 1, x0:x1])
            rows.append(
                (x0 + ox, y0 + oy, x1 + ox, y1 + oy, m["m00"], contact, m["m10"] + (x0 + ox) * m["m00"])
            )
        return np.array(rows, np.float64).reshape(-1, COLS)

    if not n:
        return measure(), [], 0, measure
    starts = np.zeros(n, np.intp)
    np.cumsum(np.fromiter(map(len, cs), np.intp, n)[:-1], out=starts[1:])
    pts = np.concatenate(cs).reshape(-1, 2)
    lo = np.minimum.reduceat(pts, starts)
    hi = np.maximum.reduceat(pts, starts) + 1
    box_area = (hi[:, 0] - lo[:, 0]) * (hi[:, 1] - lo[:, 1])
    ids = np.flatnonzero(box_area >= min_area)
    count = len(ids)
    if count > max_count:  # clutter: the largest only
        ids = np.sort(ids[np.argpartition(-box_area[ids], max_count)[:max_count]])
    outlines = [cs[i] for i in ids.tolist()]
    if 0 < stop_at <= count:
        return None, outlines, count, measure
    return measure(), outlines, count, measure


def paper_around(boxes: np.ndarray, around: BlockSums) -> np.ndarray:
    """Fraction of paper in the ring around each box (the box grown by a quarter of
    its longer side, minus the box), float (N,).

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1 (analysis px).
        around: box sums of the paper mask (1 = paper) at the analysis size
            (:class:`edge.segment.block_sums.BlockSums`).
    """
    sw, sh = around.size
    x0, y0, x1, y1 = boxes[:, :4].astype(int).T
    e = (0.25 * np.maximum(x1 - x0, y1 - y0)).astype(int) + 1
    # the grown box's and the box's corners, clipped to the image: (8, N) x and y
    xs = np.minimum(np.maximum(np.stack([x0 - e, x1 + e, x0, x1]), 0), sw)
    ys = np.minimum(np.maximum(np.stack([y0 - e, y1 + e, y0, y1]), 0), sh)
    n = len(boxes)
    cx = np.concatenate([xs[1], xs[1], xs[0], xs[0], xs[3], xs[3], xs[2], xs[2]])
    cy = np.concatenate([ys[1], ys[0], ys[1], ys[0], ys[3], ys[2], ys[3], ys[2]])
    p = around.prefix(cx, cy).reshape(8, n)
    paper = (p[0] - p[1] - p[2] + p[3]) - (p[4] - p[5] - p[6] + p[7])
    ring = (xs[1] - xs[0]) * (ys[1] - ys[0]) - (xs[3] - xs[2]) * (ys[3] - ys[2])
    return np.where(ring > 0, paper / np.maximum(ring, 1), 1.0)


def edge_slivers(
    boxes: np.ndarray, bg: np.ndarray, max_aspect: float = 0.1, min_ratio: float = 0.75
) -> np.ndarray:
    """Hair-thin boxes ("1"-like) that are really the paper's edge: the background
    estimate beside the box on one side is much darker (below ``min_ratio`` x) than
    on the other (bool (N,)).

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1 in analysis px.
        bg: uint8 (h, w) background estimate.
    """
    sh, sw = bg.shape
    out = np.zeros(len(boxes), bool)
    x0, y0, x1, y1 = (boxes[:, k].astype(int) for k in range(4))
    for i in np.nonzero((x1 - x0) < max_aspect * (y1 - y0))[0]:
        gap = max(2, int(0.2 * (y1[i] - y0[i])))
        xl, xr = x0[i] - gap, x1[i] + gap
        if xl < 0 or xr >= sw:
            continue
        left = float(bg[y0[i] : y1[i], xl].mean())
        right = float(bg[y0[i] : y1[i], xr].mean())
        out[i] = min(left, right) < min_ratio * max(left, right, 1.0)
    return out


def add_new_boxes(boxes: np.ndarray, extra: np.ndarray, sw: int, sh: int) -> np.ndarray:
    """Combine the candidates of two thresholds.

    A box of ``extra`` (the higher threshold) is added when it overlaps no box of
    ``boxes``, or replaces the boxes it overlaps when those touch the frame border
    (a digit that the lower threshold joined to a shadow wedge or the paper's edge).
    """
    if not len(extra) or not len(boxes):
        return extra if not len(boxes) else boxes
    ix = np.minimum(extra[:, None, 2], boxes[None, :, 2]) - np.maximum(extra[:, None, 0], boxes[None, :, 0])
    iy = np.minimum(extra[:, None, 3], boxes[None, :, 3]) - np.maximum(extra[:, None, 1], boxes[None, :, 1])
    hit = (ix > 0) & (iy > 0)  # (n_extra, n_boxes)
    touch = (boxes[:, 0] <= 0) | (boxes[:, 1] <= 0) | (boxes[:, 2] >= sw) | (boxes[:, 3] >= sh)
    replaced = (hit & touch[None, :]).any(axis=0)
    take = ~hit.any(axis=1) | (hit & touch[None, :]).any(axis=1)
    return np.concatenate([boxes[~replaced], extra[take]])
