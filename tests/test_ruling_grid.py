"""A ruling's lines that no segment was found for (edge.segment.ruling_grid, issue 13).

Squared paper in a shadow: the threshold breaks its faint lines into dashes, the Hough search finds
a few of its lines, and the dashes of the others were each a "1" (40 boxes for one digit in a frame of
the realistic set). The lines of each direction follow one another at one spacing that perspective
changes smoothly: the lines not found are drawn from the period and phase of the ones found.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digit_pieces import COLS, X0, X1, Y0, Y1
from edge.segment.digit_ruling import PageRuling, ruling_band
from edge.segment.line_ridges import RIDGE_MIN
from edge.segment.ruling_grid import (
    BETWEEN,
    PIECE_RIDGE,
    _contrast,
    _on_ridge,
    _split,
    add_grid,
    dash_segments,
    grid_lines,
)

H, W = 240, 320


def grid_lines_of(k: np.ndarray, horizontal: bool) -> np.ndarray:
    """float (K, 4) the true lines k of a squared page seen in perspective: spacing growing
    from 13 to about 17 px down (across) the image, the lines fanning out by a few degrees."""
    off = 8.0 + 13.0 * k + 0.1 * k**2
    tilt = 0.03 + 0.004 * (k - 8)
    if horizontal:  # y = off + tilt * x
        return np.column_stack([np.zeros_like(off), off, np.full_like(off, W), off + tilt * W])
    return np.column_stack(
        [off - tilt * H, np.zeros_like(off), off, np.full_like(off, H)]
    )  # x = off - tilt * (H - y)


def page(desk_from: int = W) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """uint8 (240, 320) darkness of a squared page (lines 2 px wide, darkness 40 on 5, noise 3),
    a plain desk from x = ``desk_from`` on; and the true lines (horizontal, vertical) float (K, 4)."""
    rng = np.random.default_rng(0)
    img = np.full((H, W), 5.0, np.float32)
    rows, cols = grid_lines_of(np.arange(0, 17.0), True), grid_lines_of(np.arange(0, 21.0), False)
    for x0, y0, x1, y1 in np.vstack([rows, cols]):
        cv2.line(img, (round(x0), round(y0)), (round(x1), round(y1)), 40.0, 2)
    img[:, desk_from:] = 12.0
    img += rng.normal(0, 3, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), rows, cols


def found_part(lines: np.ndarray, every: int, start: float, end: float) -> np.ndarray:
    """float (K, 4) pieces of every ``every``-th line, from ``start`` to ``end`` (0..1) of its length
    (what a Hough search finds of a faint grid)."""
    picked = lines[::every]
    a, b = picked[:, :2], picked[:, 2:]
    return np.hstack([a + start * (b - a), a + end * (b - a)])


def share_on(band: np.ndarray, lines: np.ndarray, x_max: float = W) -> float:
    """The share of the points of ``lines`` (inside the image, x < ``x_max``) that ``band`` covers."""
    hits = total = 0
    for x0, y0, x1, y1 in lines:
        for f in np.linspace(0, 1, 200):
            x, y = round(x0 + f * (x1 - x0)), round(y0 + f * (y1 - y0))
            if 0 <= x < min(W, x_max) and 0 <= y < H:
                total += 1
                hits += band[y, x] > 0
    return hits / max(total, 1)


def test_the_lines_not_found_are_drawn_where_the_page_has_them() -> None:
    dark, rows, cols = page()
    segs = np.vstack([found_part(rows, 3, 0.3, 0.6), found_part(cols, 4, 0.4, 0.7)])
    band = add_grid(np.zeros((H, W), np.uint8), segs, dark, 4, 3)
    assert share_on(band, rows) > 0.9
    assert share_on(band, cols) > 0.9
    # the middles of the cells stay off the band (the lines are placed, not smeared)
    mids = np.vstack([found_part(rows[:-1] + 0.5 * (rows[1:] - rows[:-1]), 1, 0.0, 1.0)])
    assert share_on(band, mids) < 0.4  # (where they cross the other family's lines: about 0.3)


def test_no_line_is_drawn_on_the_desk_beside_the_page() -> None:
    dark, rows, cols = page(desk_from=200)
    segs = np.vstack([found_part(rows, 3, 0.1, 0.5), found_part(cols[:12], 3, 0.3, 0.7)])
    lines = grid_lines(segs, dark, 3)
    assert lines is not None
    assert np.minimum(lines[:, 0], lines[:, 2]).max() < 200  # (a piece may end a little past the edge)
    band = add_grid(np.zeros((H, W), np.uint8), segs, dark, 4, 3)
    assert cv2.countNonZero(band[:, 230:]) == 0
    assert share_on(band, rows, x_max=195) > 0.8


def test_segments_in_one_direction_draw_nothing() -> None:
    """Strokes at random places, all one way (as a lined page's lines): no family is modelled, so
    nothing is drawn (and a lined page costs nothing). Strokes both ways on plain paper can still
    give a spacing: the periodogram's :data:`~edge.segment.ruling_period.SHARED` does not tell
    random offsets from a lattice."""
    rng = np.random.default_rng(1)
    dark = np.clip(rng.normal(8, 3, (H, W)), 0, 255).astype(np.uint8)  # plain paper
    x, y = rng.uniform(0, W, 12), rng.uniform(0, H, 12)
    segs = np.column_stack([x, y, x + 40, y + rng.uniform(-3, 3, 12)])  # strokes at random places
    band = np.zeros((H, W), np.uint8)
    assert add_grid(band, segs, dark, 4, 3) is band


@pytest.mark.parametrize("angle", [80.0, 95.0, 10.0])
def test_dashes_follow_their_inks_axis(angle: float) -> None:
    mask = np.zeros((H, W), np.uint8)
    rad = np.radians(angle)
    u = np.array([np.cos(rad), np.sin(rad)])
    pieces = []
    for s in range(-60, 60, 18):  # a line broken into 12-px dashes
        a, b = np.array([160.0, 120.0]) + s * u, np.array([160.0, 120.0]) + (s + 12) * u
        cv2.line(mask, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), 255, 1)
        p = np.zeros(COLS)
        p[X0], p[Y0] = min(a[0], b[0]) - 0.5, min(a[1], b[1]) - 0.5
        p[X1], p[Y1] = max(a[0], b[0]) + 1.5, max(a[1], b[1]) + 1.5
        pieces.append(p)
    segs = dash_segments(np.array(pieces), mask, (0, 0))
    assert len(segs) == len(pieces)
    d = segs[:, 2:] - segs[:, :2]
    got = np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 180.0
    assert np.all(np.abs((got - angle + 90.0) % 180.0 - 90.0) < 6.0)
    # every dash's middle lies on the line
    mid = 0.5 * (segs[:, :2] + segs[:, 2:]) - np.array([160.0, 120.0])
    assert np.all(np.abs(mid @ np.array([-u[1], u[0]])) < 1.5)


def dashed_mask(lines: np.ndarray, dash: int = 8, gap: int = 6) -> np.ndarray:
    """uint8 (240, 320) ink mask of ``lines`` broken into ``dash``-px dashes ``gap`` px apart (a faint
    line under a threshold), 2 px wide."""
    mask = np.zeros((H, W), np.uint8)
    for x0, y0, x1, y1 in lines:
        n = np.hypot(x1 - x0, y1 - y0)
        u = np.array([x1 - x0, y1 - y0]) / n
        for s in np.arange(0, n, dash + gap):
            a, b = np.array([x0, y0]) + s * u, np.array([x0, y0]) + min(n, s + dash) * u
            cv2.line(mask, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), 255, 2)
    return mask


def test_a_pass_drops_the_dashes_of_the_lines_no_segment_was_found_for() -> None:
    # the Hough search found some horizontal lines; the vertical ones are dashes only (a shadow)
    dark, rows, cols = page()
    mask = dashed_mask(cols)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    pieces = np.zeros((n - 1, COLS))
    pieces[:, X0], pieces[:, Y0] = stats[1:, 0], stats[1:, 1]
    pieces[:, X1], pieces[:, Y1] = stats[1:, 0] + stats[1:, 2], stats[1:, 1] + stats[1:, 3]
    pieces[:, 4] = stats[1:, 4]

    def kept(draw_dashes: bool) -> int:
        ruling = PageRuling()
        ruling.segs = found_part(rows, 2, 0.2, 0.7).astype(np.float32)
        ruling.width = ruling.base = W
        ruling.band = ruling_band(ruling.segs, 1.0, (H, W), 4)
        ruling.dark, ruling.level, ruling.offset = dark, 35.0, 3
        ruling.drawn = 4 if draw_dashes else 0
        return len(ruling.off(pieces, (mask, (0, 0))))

    assert len(pieces) > 100
    assert kept(False) > 0.5 * len(pieces)  # (the band of the horizontal lines found takes few of them)
    assert kept(True) < 0.1 * len(pieces), kept(True)


def test_dash_segments_are_each_dashs_own_moments_axis() -> None:
    # the dashes' segments computed at once are each the one of its own box's moments (cv2.moments)
    dark, rows, cols = page()
    mask = dashed_mask(np.vstack([rows[::3], cols[::4]]))
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    pieces = np.zeros((n - 1, COLS))
    pieces[:, X0], pieces[:, Y0] = stats[1:, 0] + 3, stats[1:, 1] + 2  # (in a mask at (3, 2))
    pieces[:, X1], pieces[:, Y1] = pieces[:, X0] + stats[1:, 2], pieces[:, Y0] + stats[1:, 3]
    segs = dash_segments(pieces, mask, (3, 2))
    want = []
    for x0, y0, x1, y1 in pieces[:, :4].astype(np.int64).tolist():
        m = cv2.moments(mask[y0 - 2 : y1 - 2, x0 - 3 : x1 - 3], binaryImage=True)
        if (x1 - x0 >= 2.5 * (y1 - y0) or y1 - y0 >= 2.5 * (x1 - x0)) and max(x1 - x0, y1 - y0) >= 4:
            theta = 0.5 * np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])
            cx, cy = x0 + m["m10"] / m["m00"], y0 + m["m01"] / m["m00"]
            half = 0.5 * np.hypot(x1 - x0, y1 - y0)
            dx, dy = half * np.cos(theta), half * np.sin(theta)
            want.append((cx - dx, cy - dy, cx + dx, cy + dy))
    assert len(want) > 50
    assert segs.dtype == np.float64 and np.array_equal(segs, np.array(want))
    assert dash_segments(pieces[:0], mask, (3, 2)).shape == (0, 4)


def test_a_pieces_verdict_is_its_own() -> None:
    # pieces read together, each with its own half spacing, are judged as when read alone; the ridge
    # beside them is read only where it can matter
    dark, rows, cols = page(desk_from=250)
    pieces = np.vstack([found_part(rows, 1, f, f + 0.1) for f in np.arange(0.0, 1.0, 0.1)])
    pieces = np.vstack([pieces, pieces + [0, 6, 0, 6]])  # (and between the lines)
    across = np.where(np.arange(len(pieces))[:, None] % 3 == 0, [0.0, 6.5], [0.0, 3.25])
    got = _on_ridge(dark, pieces, across, 3)
    on, share = _contrast(dark, pieces, 3)
    beside = _contrast(dark, pieces + np.hstack([across, across]), 3)[0]
    assert np.array_equal(got, (share >= PIECE_RIDGE) & (on >= BETWEEN * np.maximum(beside, RIDGE_MIN)))
    alone = [_on_ridge(dark, p[None], a, 3)[0] for p, a in zip(pieces, across, strict=True)]
    assert np.array_equal(got, alone)
    assert 0.2 * len(got) < np.count_nonzero(got) < 0.8 * len(got)


def test_no_split_when_no_middle_piece_is_on_a_ridge() -> None:
    """With none of the middle lines' pieces on a ridge (a family modelled off the page), every
    between-lines test would pass at ``least`` 0: the family must not be split four ways."""
    dark = np.zeros((H, W), np.uint8)  # no ridge anywhere

    def pieces_of(ks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = 20.0 + 20.0 * ks
        return np.column_stack([np.full_like(y, 10.0), y, np.full_like(y, 60.0), y]), np.ones(len(ks), int)

    ks = np.arange(6, dtype=float)
    assert _split(dark, pieces_of, ks, ks, np.array([0.0, 10.0]), 3, 0.0, {}) is None
