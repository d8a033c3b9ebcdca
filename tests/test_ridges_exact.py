"""edge.segment.line_ridges.ridges and runs_on, rewritten for speed (np.minimum/np.maximum for
np.clip, runs_on's three ridge reads in one call), read the same values as the first form."""

from __future__ import annotations

import tracemalloc

import cv2
import numpy as np

from edge.segment.digit_pieces import X0, X1, Y0, Y1
from edge.segment.line_ridges import (
    DARKER,
    GOES_ON,
    MIN_SLIVER_PX,
    SAME_DARKNESS,
    SAMPLES,
    SEEN_SHARE,
    SLIVER,
    SPREAD_DEG,
    median_counts,
    medians,
    ridges,
    runs_on,
)


def clipped_ridges(dark: np.ndarray, c: np.ndarray, u: np.ndarray, t: np.ndarray, offset: int) -> np.ndarray:
    """line_ridges.ridges as it was written first (np.clip), the reference for the faster one."""
    h, w = dark.shape
    xs, ys = c[:, :1] + t * u[:, :1], c[:, 1:] + t * u[:, 1:]
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    ux, uy = u[:, :1], u[:, 1:]

    def at(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        x = np.clip(np.rint(xs + dx).astype(np.int64), 0, w - 1)
        y = np.clip(np.rint(ys + dy).astype(np.int64), 0, h - 1)
        return dark[y, x].astype(np.float32)

    on = np.maximum(np.maximum(at(-uy, ux), at(0 * ux, 0 * uy)), at(uy, -ux))
    side = 0.5 * (at(-uy * offset, ux * offset) + at(uy * offset, -ux * offset))
    return np.where(inside, on - side, np.nan)


def first_runs_on(
    pieces: np.ndarray,
    mask: np.ndarray,
    origin: tuple[int, int],
    dark: np.ndarray,
    dirs: tuple[int, ...],
    offset: int,
    level: float,
) -> np.ndarray:
    """line_ridges.runs_on as it was written first (b2db323: three ridge reads, each end read by
    itself), the reference for the faster one."""
    out = np.zeros(len(pieces), bool)
    bw, bh = pieces[:, X1] - pieces[:, X0], pieces[:, Y1] - pieces[:, Y0]
    long, short = np.maximum(bw, bh), np.minimum(bw, bh)
    ox, oy = origin
    mh, mw = mask.shape
    rows = []
    for i in np.flatnonzero((long >= SLIVER * short) & (long >= MIN_SLIVER_PX)).tolist():
        x0, y0, x1, y1 = (int(v) for v in pieces[i, :4])
        mx0, my0 = min(max(x0 - ox, 0), mw), min(max(y0 - oy, 0), mh)
        m = cv2.moments(mask[my0 : max(my0, y1 - oy), mx0 : max(mx0, x1 - ox)], binaryImage=True)
        if m["m00"] == 0:
            continue
        theta = 0.5 * np.degrees(np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])) % 180.0
        if min(abs((theta - a + 90.0) % 180.0 - 90.0) for a in dirs) <= SPREAD_DEG:
            rad = np.radians(theta)
            cx, cy = ox + mx0 + m["m10"] / m["m00"], oy + my0 + m["m01"] / m["m00"]
            rows.append((i, cx, cy, np.cos(rad), np.sin(rad), 0.5 * float(np.hypot(x1 - x0, y1 - y0))))
    if not rows:
        return out
    v = np.array(rows)
    c, u, half = v[:, 1:3], v[:, 3:5], v[:, 5:6]
    f = np.linspace(0.0, 1.0, SAMPLES)[None, :]
    own = medians(clipped_ridges(dark, c, u, (2 * f - 1) * (half - 1), offset), 0)
    past = half + 1 + f * GOES_ON * 2 * half
    same, seen = np.ones(len(v), bool), np.zeros(len(v), bool)
    for sign in (-1.0, 1.0):
        r = clipped_ridges(dark, c, u, sign * past, offset)
        inside = np.count_nonzero(~np.isnan(r), axis=1) >= SEEN_SHARE * SAMPLES
        same &= ~inside | (medians(r, 0) >= SAME_DARKNESS * own)
        seen |= inside
    out[v[:, 0].astype(np.int64)] = seen & same & (own > 0) & (own <= DARKER * level)
    return out


def _pieces(mask: np.ndarray) -> np.ndarray:
    n, _, st, _ = cv2.connectedComponentsWithStats(mask)
    pieces = np.zeros((n - 1, 7))
    pieces[:, :4] = np.column_stack([st[1:, 0], st[1:, 1], st[1:, 0] + st[1:, 2], st[1:, 1] + st[1:, 3]])
    pieces[:, 4] = st[1:, 4]
    return pieces


def test_ridges_read_the_same_values_as_before() -> None:
    rng = np.random.default_rng(5)
    dark = rng.integers(0, 256, (60, 80)).astype(np.uint8)
    c = rng.uniform(-20, 100, (40, 2))
    a = rng.uniform(0, 2 * np.pi, 40)
    u = np.column_stack([np.cos(a), np.sin(a)])
    t = rng.uniform(-30, 120, (40, 32))
    np.testing.assert_array_equal(ridges(dark, c, u, t, 3), clipped_ridges(dark, c, u, t, 3))


def test_runs_on_reads_both_ends_of_many_slivers() -> None:
    # (the three ridge reads of each sliver are one call now): a dashed faint line's dashes go on,
    # a short stroke darker than the ruling does not
    dark = np.zeros((240, 320), np.uint8)
    cv2.line(dark, (0, 100), (319, 100), 35, 1)
    cv2.line(dark, (150, 60), (150, 80), 120, 2)
    mask = cv2.compare(dark, 20, cv2.CMP_GT)
    pieces = np.zeros((4, 7))
    pieces[:, :4] = [(40, 99, 60, 102), (120, 99, 140, 102), (200, 99, 230, 102), (149, 60, 152, 81)]
    assert runs_on(pieces, mask, (0, 0), dark, (0, 90), 3, 35.0).tolist() == [True, True, True, False]


def test_ridges_read_the_same_values_as_before_in_float32_and_at_each_offset() -> None:
    # (find_ruling's segments are float32: the five reads of each point are one now, in the same dtype)
    rng = np.random.default_rng(6)
    dark = rng.integers(0, 256, (120, 160)).astype(np.uint8)
    segs = rng.uniform(-10, 170, (30, 4)).astype(np.float32)
    d = segs[:, 2:] - segs[:, :2]
    n = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6)
    t = n[:, None] * np.linspace(0.0, 1.0, 32)[None, :]
    u = d / n[:, None]
    for offset in (1, 2, 3, 4):
        got = ridges(dark, segs[:, :2], u, t, offset)
        np.testing.assert_array_equal(got, clipped_ridges(dark, segs[:, :2], u, t, offset))
        assert got.dtype == clipped_ridges(dark, segs[:, :2], u, t, offset).dtype


def test_runs_on_reads_as_before_on_dashed_grids() -> None:
    rng = np.random.default_rng(2)
    kept = total = 0
    for _ in range(60):
        dark = np.zeros((160, 200), np.uint8)
        for y in range(int(rng.integers(-10, 10)), 160, int(rng.integers(15, 30))):  # dashed ruling
            x = int(rng.integers(-30, 0))
            while x < 200:
                n = int(rng.integers(8, 40))
                grey = int(rng.integers(25, 45))
                cv2.line(dark, (x, y), (x + n, y + int(rng.integers(-1, 2))), grey, 1)
                x += n + int(rng.integers(2, 8))
        for _ in range(3):  # strokes across it
            px, py = (int(v) for v in rng.integers(0, 200, 2))
            cv2.line(dark, (px, py), (px + int(rng.integers(-3, 4)), py + 25), 150, 2)
        dark = cv2.add(dark, rng.integers(0, 10, dark.shape).astype(np.uint8))
        mask = cv2.compare(dark, 20, cv2.CMP_GT)
        pieces = _pieces(mask)
        got = runs_on(pieces, mask, (0, 0), dark, (0, 90), 3, 35.0)
        np.testing.assert_array_equal(got, first_runs_on(pieces, mask, (0, 0), dark, (0, 90), 3, 35.0))
        kept, total = kept + int(got.sum()), total + len(got)
    assert 0.1 * total < kept < 0.9 * total  # (both answers are common)


def test_a_sliver_whose_line_stops_past_one_end_does_not_run_on() -> None:
    dark = np.zeros((120, 240), np.uint8)
    cv2.line(dark, (0, 40), (130, 40), 35, 1)  # stops past the right end of the sliver at 110..130
    cv2.line(dark, (110, 80), (239, 80), 35, 1)  # stops past the left end of the sliver at 110..130
    mask = np.zeros_like(dark)
    mask[40, 110:131] = mask[80, 110:131] = 255  # (the two slivers; the rest of the lines is not ink)
    mask[40, 40:61] = 255  # a sliver the line goes on past on both sides
    pieces = np.zeros((3, 7))
    pieces[:, :4] = [(110, 39, 131, 42), (110, 79, 131, 82), (40, 39, 61, 42)]
    args = (pieces, mask, (0, 0), dark, (0, 90), 3, 35.0)
    assert runs_on(*args).tolist() == first_runs_on(*args).tolist() == [False, False, True]


def test_ridges_read_a_view_in_place() -> None:
    """A strided view of a large image (a crop, every other column) is read where it lies, as
    its copy would be: the same values, and no copy of the image (traced numpy allocations stay
    far below its 1.4 MB)."""
    rng = np.random.default_rng(5)
    big = rng.integers(0, 256, (1000, 4000), np.uint8)
    view = big[100:900, 200:3800:2]
    assert not view.flags.c_contiguous
    c = rng.uniform(0, 700, (40, 2))
    a = rng.uniform(0, np.pi, 40)
    u = np.column_stack([np.cos(a), np.sin(a)])
    t = np.linspace(-30.0, 30.0, 25)[None, :].repeat(40, 0)
    want = clipped_ridges(np.ascontiguousarray(view), c, u, t, 3)
    tracemalloc.start()
    try:
        got = ridges(view, c, u, t, 3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(got, want)
    assert peak < 0.25 * view.size, peak


def test_ridges_step_across_in_the_directions_dtype() -> None:
    # (the five reads' steps are one product now: offset x a float32 direction rounds to float32, as
    # the first form's did; in float64 the point exactly halfway between two columns would round the
    # other way)
    dark = np.zeros((20, 30), np.uint8)
    dark[:, 11::2] = 200
    uy = np.float32(0.1)
    u = np.array([[np.sqrt(np.float32(1) - uy * uy), uy]] * 2, np.float32)
    side = float(np.float32(uy * np.float32(3)))  # (float32's product, not the exact 3 x uy)
    c = np.array([[10.5 + 3 * float(uy), 10.0], [10.5 + side, 10.0]])
    t = np.zeros((2, 4))
    for offset in (1, 2, 3):
        np.testing.assert_array_equal(ridges(dark, c, u, t, offset), clipped_ridges(dark, c, u, t, offset))


def test_medians_count_and_skip_the_nans() -> None:
    rng = np.random.default_rng(9)
    for n, k in [(0, 4), (1, 1), (3, 2), (6, 5), (8, 32)]:
        r = rng.normal(size=(n, k)).astype(np.float32)
        r[rng.random((n, k)) < 0.4] = np.nan
        r[:1] = np.nan  # (a row of NaNs: the empty value)
        if n > 2:
            r[2] = 1.5  # (ties)
        want = [float(np.nanmedian(row)) if np.any(~np.isnan(row)) else -1.0 for row in r]
        got, count = median_counts(r, -1.0)
        np.testing.assert_allclose(got, want, rtol=0, atol=0)
        assert count.tolist() == np.count_nonzero(~np.isnan(r), axis=1).tolist()
