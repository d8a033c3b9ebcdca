"""Touching digits that no column separates are proposed cut along a path (edge.segment.cut_path).

Two slanted strokes side by side, joined by a bridge: every column between them crosses both, so
the vertical cut finds no thin column (and the piece is less than 1.25 x as wide as tall, which the
column cut never looks at); the path through the least ink runs down the slanted gap. Each part's
ink is the ink on its side of the path, read that way by the preprocessing (edge.preprocess.cut_ink).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.preprocess.cut_ink import beyond_cut_cleared
from edge.segment.cut_path import (
    MAX_RUNS,
    PATH_INK,
    PATH_PART_HEIGHT,
    TRIES,
    _ends,
    _reached,
    _row_bits,
    _traced,
    path_cut,
    path_parts,
    uncut,
)
from edge.segment.ink_analysis import InkAnalysis
from edge.types import ROI


def _slanted(bridge: bool = True) -> tuple[np.ndarray, list[np.ndarray]]:
    """uint8 (60, 70) mask: two strokes 5 px wide slanting 20 px over 40 rows, 14 px apart, joined by
    a 3-px bridge at mid-height (``bridge``); and each stroke's own mask."""
    strokes = []
    for dx in (0, 14):
        m = np.zeros((60, 70), np.uint8)
        pts = np.array([(5 + dx, 55), (10 + dx, 55), (30 + dx, 15), (25 + dx, 15)], np.int32)
        cv2.fillPoly(m, [pts], 255)
        strokes.append(m)
    mask = strokes[0] | strokes[1]
    if bridge:
        mask[33:36, 10:40] = 255
    return mask, strokes


def test_no_column_separates_the_slanted_pair() -> None:
    mask, (a, b) = _slanted()
    assert cv2.connectedComponents(mask)[0] == 2  # one piece
    counts = np.count_nonzero(mask, axis=0)
    xs = np.flatnonzero(counts)
    assert xs[-1] + 1 - xs[0] < 1.25 * 41  # not wide enough for the column cut
    ax = np.flatnonzero(a.any(axis=0))
    bx = np.flatnonzero(b.any(axis=0))
    assert bx[0] < ax[-1] - 10  # the strokes' columns overlap


def _analysis(mask: np.ndarray) -> tuple[InkAnalysis, ROI]:
    """The segmenter's analysis of a frame twice the size of ``mask`` (its ink: 255), and the frame
    ROI of all the ink."""
    h, w = mask.shape
    analysis = InkAnalysis(mask, np.zeros_like(mask), (2 * h, 2 * w), False, 15)
    ys, xs = np.nonzero(mask)
    return analysis, ROI(
        2 * int(xs.min()), 2 * int(ys.min()), 2 * int(np.ptp(xs) + 1), 2 * int(np.ptp(ys) + 1)
    )


def test_a_slanted_pair_is_cut_along_the_gap_between_them() -> None:
    mask, strokes = _slanted()
    analysis, roi = _analysis(mask)
    other = ROI(0, 0, 10, 10)
    parts = path_parts([other, roi], analysis)
    assert len(parts) == 3 and parts[0] is other
    assert all(p.whole is roi and p.side is not None and p.side.shape == (2, roi.h) for p in parts[1:])
    for p, s in zip(parts[1:], strokes, strict=True):
        ys, xs = np.nonzero(s)
        assert abs(p.x - 2 * xs.min()) <= 2 and abs(p.x + p.w - 2 * (xs.max() + 1)) <= 2, p
        assert p.h >= 2 * 40
    assert parts[2].x < parts[1].x + parts[1].w - 10  # the parts' boxes overlap
    back = uncut(parts)
    assert len(back) == 2 and back[0] is other and back[1] is roi  # the finder's digits, without proposals
    # the path runs between the strokes, not across one: each side holds its stroke whole
    for p, s in zip(parts[1:], strokes, strict=True):
        ys, xs = np.nonzero(s)
        side = p.side
        assert side is not None
        lo, hi = side[0, 2 * ys - roi.y], side[1, 2 * ys - roi.y]
        assert np.count_nonzero((2 * xs < lo) | (2 * xs + 1 >= hi)) <= 3, (
            p
        )  # (<= 3: the path's px on the bridge)


def test_a_path_crossing_two_strokes_or_thick_ink_is_no_cut() -> None:
    ring = np.zeros((60, 70), np.uint8)
    cv2.ellipse(ring, (35, 30), (25, 22), 0, 0, 360, 255, 3)  # a 0: every path crosses it twice
    assert path_cut(ring > 0, 0.15) is None
    mask, _ = _slanted(bridge=False)
    mask[25:45, 10:40] = 255  # a blot joining them: too much ink on any path
    assert path_cut(mask > 0, 0.15) is None
    for m in (ring, mask):
        analysis, roi = _analysis(m)
        rois = [roi]
        assert path_parts(rois, analysis) is rois
    pair, _ = _slanted()
    analysis, roi = _analysis(pair)
    assert (
        path_parts([ROI(roi.x, roi.y, roi.w, roi.h, whole=roi)], analysis)[0].side is None
    )  # already a part
    assert len(path_parts([roi], None)) == 1


def test_each_part_is_read_from_its_side_of_the_path() -> None:
    mask, strokes = _slanted()
    analysis, roi = _analysis(mask)
    rois = path_parts([roi], analysis)
    big = cv2.resize(mask, (140, 120), interpolation=cv2.INTER_NEAREST)
    big_strokes = [cv2.resize(s, (140, 120), interpolation=cv2.INTER_NEAREST) > 0 for s in strokes]
    for k, part in enumerate(rois):
        core = (float(part.x), float(part.y), float(part.x + part.w), float(part.y + part.h))
        kept = beyond_cut_cleared(big, core, part) > 0
        own, other = big_strokes[k], big_strokes[1 - k]
        assert np.count_nonzero(kept & other & ~own) == 0  # none of the other stroke
        assert np.count_nonzero(own & ~kept) <= 4 * 3  # its stroke kept, but for the path px on it (<= 3)
    first = rois[0]
    plain = ROI(first.x, first.y, first.w, first.h, whole=roi)  # a column cut: cleared beyond its box
    core = (float(plain.x), float(plain.y), float(plain.x + plain.w), float(plain.y + plain.h))
    kept = beyond_cut_cleared(big, core, plain)
    assert np.count_nonzero(kept[:, : plain.x + plain.w]) == np.count_nonzero(big[:, : plain.x + plain.w])
    assert not kept[:, plain.x + plain.w :].any()


@pytest.mark.parametrize("scale", [0.5, 1.0, 1.5])
def test_the_side_is_found_at_any_working_scale(scale: float) -> None:
    """The preprocessing reads a crop at its own scale: the side (frame px) maps onto it."""
    side = np.stack([np.full(10, -np.inf), np.arange(10, 20, dtype=np.float64)]).astype(np.float32)
    whole = ROI(0, 0, 30, 10)
    roi = ROI(0, 0, 20, 10, whole=whole, side=side)
    n = round(30 * scale)
    dark = np.full((round(10 * scale), n), 200, np.uint8)
    out = beyond_cut_cleared(dark, (0.0, 0.0, 20 * scale, 10 * scale), roi)
    for y in range(dark.shape[0]):
        ink = np.flatnonzero(out[y])
        edge = (10 + int(y / scale)) * scale
        assert abs((ink[-1] + 1 if len(ink) else 0) - edge) <= 1.0, (y, ink, edge)


def _least_ink(ink: np.ndarray) -> list[list[int]]:
    """Plain-Python reference: the least ink px a path from the top row crosses to each px of
    ``ink`` (0 / 1), moving at most one column a row."""
    h, n = ink.shape
    rows = ink.tolist()
    cost = [rows[0][:]]
    for r in range(1, h):
        above = cost[-1]
        cost.append([min(above[max(0, c - 1) : c + 2]) + rows[r][c] for c in range(n)])
    return cost


def _sets_least(reached: list[list[int]], n: int) -> np.ndarray:
    """int (h, n) from the nested sets of _reached: per px the number of sets not holding it (the
    least ink crossed to it, capped at the number of sets)."""
    return np.array([[sum(1 for cols in sets if not cols >> c & 1) for c in range(n)] for sets in reached])


@pytest.mark.parametrize("n", [3, 17, 64, 65, 130])
def test_the_bit_parallel_search_is_the_least_ink_dynamic_programming(n: int) -> None:
    """The sets of columns reached crossing at most k ink px hold the least costs exactly (up to
    the most looked for), on rows of up to 64 px (one int64 a row) and wider ones."""
    rng = np.random.default_rng(n)
    for trial in range(40):
        h = int(rng.integers(1, 30))
        ink = (rng.random((h, n)) < rng.uniform(0.05, 0.6)).astype(np.uint8)
        most = int(rng.integers(0, 5))
        cost = np.array(_least_ink(ink))
        rows = _row_bits(ink)
        assert rows == [sum(1 << c for c in range(n) if ink[r, c]) for r in range(h)]
        reached = _reached(rows, n, most)
        if cost[-1].min() > most:
            assert reached is None, (trial, h, most)
            continue
        assert reached is not None and len(reached) == h, (trial, h, most)
        assert np.array_equal(_sets_least(reached, n), np.minimum(cost, most + 1)), (trial, h, most)
        # the ends: the least inked first, then nearest the middle, then leftmost, as a stable sort
        last = _sets_least(reached, n)[-1].tolist()
        want = sorted(range(n), key=lambda c: (last[c], abs(c - (n - 1) / 2)))[:TRIES]
        assert _ends(reached[-1], n) == [c for c in want if last[c] <= most], (trial, h, most)


def _as_sets(cost: list[list[int]], most: int) -> list[list[int]]:
    """The nested sets of _reached that hold the least costs ``cost`` (per row, per column; capped
    at ``most`` + 1): set k, the columns costing at most k."""
    return [[sum(1 << c for c, v in enumerate(row) if v <= k) for k in range(most + 1)] for row in cost]


def test_a_step_up_goes_to_the_least_cost_straight_then_left_first() -> None:
    def steps(above: list[int]) -> list[int]:
        reached = _as_sets([above, [0] * len(above)], 5)
        return [next(_traced(reached, [c], len(above)))[0] - c for c in range(len(above))]

    # from column 0: straight 2 or right 1 -> right; 1: left 2, straight 1, right 1 -> straight;
    # 2: left 1, straight 1, right 3 -> straight; 3: left 1, straight 3 -> left
    assert steps([2, 1, 1, 3]) == [1, 0, 0, -1]
    # 0: straight 1 = right 1 -> straight; 1: right 0 -> right; 3: straight 0 = left 0
    assert steps([1, 1, 0, 0]) == [0, 1, 0, 0]
    assert steps([1, 2, 1, 5]) == [0, -1, 0, -1]  # 1: left 1 = right 1 below straight 2 -> left
    assert steps([6, 6, 6]) == [0, 0, 0]  # none within the sets: straight (all cost more)
    assert steps([6, 6, 0]) == [0, 1, 0]
    # a path over three rows: each step from the row below's column
    reached = _as_sets([[0, 3, 3, 3], [3, 0, 3, 3], [1, 1, 1, 1]], 3)
    assert list(_traced(reached, [2, 3], 4)) == [[0, 1, 2], [3, 3, 3]]  # (3: equal costs above: straight)
    # a path meeting one traced before goes its way up: the same as traced alone
    together = list(_traced(reached, [3, 1, 2, 0], 4))
    assert together == [[3, 3, 3], [0, 1, 1], [0, 1, 2], [0, 1, 0]]
    assert together == [next(_traced(reached, [c], 4)) for c in (3, 1, 2, 0)]


def test_a_large_slanted_pair_is_cut_between_its_strokes() -> None:
    """A pair more than 64 px wide between the path's margins (the search's other branch)."""
    mask, strokes = _slanted()
    ys, xs = np.nonzero(mask)
    box = np.s_[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    own, left, right = (
        cv2.resize(m[box], None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST) > 0 for m in (mask, *strokes)
    )
    h, w = own.shape
    assert w - 2 * int(0.15 * h) > 64
    path = path_cut(own, 0.15)
    assert path is not None and path.shape == (h,) and path.dtype == np.int64
    cols = np.arange(w)[None, :]
    # each stroke on its side, but for a corner the path cuts (the bridge's rows: <= 1%)
    assert np.count_nonzero(left & (cols > path[:, None])) <= 0.01 * np.count_nonzero(left)
    assert np.count_nonzero(right & (cols < path[:, None])) <= 0.01 * np.count_nonzero(right)
    assert np.count_nonzero(left & (cols < path[:, None])) > 0.95 * np.count_nonzero(left)


def _reference_cut(own: np.ndarray, part_width: float) -> list[int] | None:
    """path_cut as the module doc states it, in plain Python (slow, no early exits): the least-ink
    paths to the :data:`TRIES` least inked ends (ties: nearest the middle, then leftmost), each traced
    up (straight, then left, then right among equals), the first that crosses at most the limit in at
    most MAX_RUNS strokes with each side's ink tall and wide enough."""
    h, w = own.shape
    margin = max(1, int(part_width * h))
    lo, hi = margin, w - margin
    if hi - lo < 1 or not own.any():
        return None
    counts = sorted(c for c in own.sum(axis=0).tolist() if c)
    limit = PATH_INK * (counts[(len(counts) - 1) // 2] + counts[len(counts) // 2]) / 2
    n, ink = hi - lo, own[:, lo:hi].astype(int).tolist()
    cost = [ink[0]]
    for r in range(1, h):
        above = cost[-1]
        cost.append([min(above[max(0, c - 1) : c + 2]) + ink[r][c] for c in range(n)])
    for c in sorted(range(n), key=lambda c: (cost[-1][c], abs(c - (n - 1) / 2)))[:TRIES]:
        if cost[-1][c] > limit:
            break
        xs = [c]
        for r in range(h - 2, -1, -1):
            row, best = cost[r], c
            if c > 0 and row[c - 1] < row[best]:
                best = c - 1
            if c + 1 < n and row[c + 1] < row[best]:
                best = c + 1
            c = best
            xs.append(c)
        xs = [x + lo for x in reversed(xs)]
        crossed = [bool(own[r, x]) for r, x in enumerate(xs)]
        strokes = sum(1 for r in range(h) if crossed[r] and (r == 0 or not crossed[r - 1]))
        if sum(crossed) > limit or strokes > MAX_RUNS:
            continue
        fits = True
        for left in (True, False):
            px = [
                (r, x)
                for r, x0 in enumerate(xs)
                for x in range(w)
                if own[r, x] and (x < x0 if left else x > x0)
            ]
            rows, cols = [r for r, _ in px], [x for _, x in px]
            if (
                not px
                or max(rows) - min(rows) + 1 < PATH_PART_HEIGHT * h
                or max(cols) - min(cols) + 1 < part_width * h
            ):
                fits = False
        if fits:
            return xs
    return None


def test_path_cut_is_the_plain_least_ink_path_rule() -> None:
    """path_cut (bit-parallel search, capped costs, paths tested together) gives the reference's path
    on random pieces: strokes, bars across or loops side by side, touching or not, with specks; heights 1-40,
    search widths up to about 90 (both of the search's branches); some cut, most not."""
    rng = np.random.default_rng(28)
    cut = 0
    for trial in range(600):
        h, w = int(rng.integers(1, 41)), int(rng.integers(3, 100))
        img = np.zeros((h, w), np.uint8)
        for _ in range(int(rng.integers(1, 4))):
            x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
            kind = rng.random()
            if kind < 0.4:
                cv2.line(img, (x0, 0), (x1, h - 1), 255, int(rng.integers(1, 4)))
            elif kind < 0.6:  # bars across (an E, a 3: a path may cross three strokes)
                for y in rng.integers(0, h, 3).tolist():
                    cv2.line(img, (x0, y), (x1, y), 255, 1)
                img[:, x0 : x0 + int(rng.integers(1, 6))] = 255
            else:
                centre, axes = ((x0 + x1) // 2, h // 2), (max(1, (x1 - x0) // 2), max(1, h // 2))
                cv2.ellipse(img, centre, axes, 0, 0, 360, 255, int(rng.integers(1, 3)))
        img[rng.random((h, w)) < 0.02] = 255
        own = img > 0
        for part_width in (0.05, 0.15, 0.3):
            got, want = path_cut(own, part_width), _reference_cut(own, part_width)
            assert (got is None and want is None) or (got is not None and got.tolist() == want), (trial, h, w)
            cut += got is not None
    assert cut >= 50  # (the cut branch is exercised, not only the rejections)
    for one_row in ([[1, 1, 1]], [[0, 1, 1, 0]]):  # (one row of ink: no path, no error)
        assert path_cut(np.array(one_row, bool), 0.15) is None
