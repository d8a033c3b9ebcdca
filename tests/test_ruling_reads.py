"""The reads of a squared page's ruling made cheaper without changing what they find (issue 13, the
p99 tail of squared sheets analysed in full): :func:`edge.segment.ruling_grid.grid_lines` reads the
lines of all its families in one call and models no family of fewer segments than lines to fit;
:func:`edge.segment.ruling_dashes.dashed_lines` works out each dash's direction once, not once per pair.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytest

import edge.segment.ruling_dashes as ruling_dashes
import edge.segment.ruling_grid as ruling_grid
from edge.segment.digit_pieces import measure_components
from edge.segment.line_ridges import SPREAD_DEG, median_counts, medians
from edge.segment.ruling_grid import FAMILY_LINES, grid_lines
from edge.segment.ruling_lines import APART_DEG, MIN_LINES, WINDOW_DEG, angle_between, angles, directions

H, W = 240, 320


def squared_page() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """uint8 (240, 320) darkness of a squared page in perspective (lines 2 px wide, darkness 40 on 5,
    noise 3), and its lines (horizontal, vertical) float (K, 4) x0, y0, x1, y1."""
    k_rows, k_cols = np.arange(0, 17.0), np.arange(0, 21.0)
    off_r, off_c = 8.0 + 13.0 * k_rows + 0.1 * k_rows**2, 8.0 + 13.0 * k_cols + 0.1 * k_cols**2
    tilt_r, tilt_c = 0.03 + 0.004 * (k_rows - 8), 0.03 + 0.004 * (k_cols - 8)
    rows = np.column_stack([np.zeros_like(off_r), off_r, np.full_like(off_r, W), off_r + tilt_r * W])
    cols = np.column_stack([off_c - tilt_c * H, np.zeros_like(off_c), off_c, np.full_like(off_c, H)])
    img = np.full((H, W), 5.0, np.float32)
    for x0, y0, x1, y1 in np.vstack([rows, cols]):
        cv2.line(img, (round(x0), round(y0)), (round(x1), round(y1)), 40.0, 2)
    img += np.random.default_rng(0).normal(0, 3, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), rows, cols


def middle_part(lines: np.ndarray) -> np.ndarray:
    """float (K, 4) the middle third of each line (what a Hough search finds of a faint grid)."""
    a, b = lines[:, :2], lines[:, 2:]
    return np.hstack([a + 0.35 * (b - a), a + 0.65 * (b - a)])


def counted(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count the calls of ``ruling_grid.<name>`` (the list's length)."""
    calls: list[int] = []
    original: Callable[..., Any] = getattr(ruling_grid, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(ruling_grid, name, counting)
    return calls


def test_both_families_lines_are_read_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    dark, rows, cols = squared_page()
    segs = np.vstack([middle_part(rows[::1]), middle_part(cols[::1])])  # (every line: no split)
    reads = counted(monkeypatch, "_on_ridge")
    pieces = grid_lines(segs, dark, 3)
    assert len(reads) == 1  # (was one per family)
    assert pieces is not None
    d = pieces[:, 2:] - pieces[:, :2]
    lying = np.abs(d[:, 0]) > np.abs(d[:, 1])
    assert lying.sum() > 50 and (~lying).sum() > 50  # both families' pieces drawn


def test_reading_the_families_together_finds_what_reading_each_alone_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a piece's verdict is its own: the one read of all families gives each piece the verdict that a
    # read of its family alone gives; here every third line was found: each family is split three ways)
    dark, rows, cols = squared_page()
    segs = np.vstack([middle_part(rows[::3]), middle_part(cols[::3])])
    together = grid_lines(segs, dark, 3)
    read = ruling_grid._read

    def family_by_family(dark: np.ndarray, lines: list[Any], offset: int) -> list[Any]:
        return [part for f in range(0, len(lines), 3) for part in read(dark, lines[f : f + 3], offset)]

    monkeypatch.setattr(ruling_grid, "_read", family_by_family)
    alone = grid_lines(segs, dark, 3)
    assert together is not None and alone is not None
    np.testing.assert_array_equal(together, alone)
    assert len(together) > 100


def test_a_family_of_fewer_segments_than_lines_is_not_modelled(monkeypatch: pytest.MonkeyPatch) -> None:
    dark, rows, cols = squared_page()
    segs = np.vstack([middle_part(rows[::1]), middle_part(cols[5 : 5 + FAMILY_LINES - 1])])
    modelled = counted(monkeypatch, "_family")
    pieces = grid_lines(segs, dark, 3)
    assert len(modelled) == 1  # the rows only (was two: the columns' fit needs FAMILY_LINES lines)
    assert pieces is not None
    d = pieces[:, 2:] - pieces[:, :2]
    assert (np.abs(d[:, 0]) > np.abs(d[:, 1])).all()


def test_median_counts_are_the_medians_and_the_points_read() -> None:
    r = np.array([[1.0, np.nan, 3.0, 2.0], [np.nan] * 4, [5.0, 4.0, np.nan, np.nan]], np.float32)
    med, read = median_counts(r, -1.0)
    np.testing.assert_array_equal(med, medians(r, -1.0))
    np.testing.assert_array_equal(med, [2.0, -1.0, 4.5])
    assert read.tolist() == [3, 0, 2]


def test_dashed_lines_work_out_each_direction_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # a ruled page broken into dashes: the pairs of its n dashes are read for their joins' directions
    # once (n * n), the dashes' own once (n), not each dash's once per pair and end (4 n * n in all)
    mask = np.zeros((H, W), np.uint8)
    slope = math.tan(math.radians(3.0))
    for y0 in range(20, H, 40):
        for x in range(W):
            if 0 <= (y := round(y0 + slope * x)) < H and (x // 12) % 2 == 0:
                mask[y, x] = 255
    pieces = measure_components(mask, 4, 500, (0, 0), (W, H))[0]
    assert pieces is not None
    rows: list[int] = []
    angles = ruling_dashes.angles

    def counting(segs: np.ndarray) -> np.ndarray:
        rows.append(len(segs))
        return angles(segs)

    monkeypatch.setattr(ruling_dashes, "angles", counting)
    found = ruling_dashes.dashed_lines(pieces, mask, (0, 0), (80, 120))
    assert found is not None
    n = min(len(pieces), ruling_dashes.MOST)
    assert n * n + n <= sum(rows) <= n * n + 2 * n  # (the last: directions' own read)


def first_directions(segs: np.ndarray) -> tuple[int, ...]:
    """ruling_lines.directions as it was written first (the window and the directions apart made for
    each call), the reference for the one that looks them up."""
    d = segs[:, 2:] - segs[:, :2]
    length = np.hypot(d[:, 0], d[:, 1])
    angle = angles(segs)
    hist = np.bincount(np.round(angle).astype(np.int64) % 180, weights=length, minlength=180)
    n = WINDOW_DEG
    wide = np.convolve(np.concatenate([hist[-n:], hist, hist[:n]]), np.ones(2 * n + 1), "valid")
    first = int(np.argmax(wide))
    apart = np.abs((np.arange(180) - first + 90) % 180 - 90) >= APART_DEG
    second = int(np.argmax(np.where(apart, wide, -1.0)))
    along = np.count_nonzero(angle_between(angle, second) <= SPREAD_DEG)
    return (first, second) if wide[second] > 0 and along >= MIN_LINES else (first,)


def test_directions_are_those_of_the_first_form() -> None:
    rng = np.random.default_rng(11)
    sets = [
        rng.uniform(0, 320, (n, 4)).astype(dt) for n in (1, 2, 3, 4, 7, 60) for dt in (np.float32, np.float64)
    ]
    sets += [np.zeros((3, 4)), np.array([[0, 0, 10, 0], [0, 5, 10, 5], [0, 0, 0, 10], [5, 0, 5, 10.0]])]
    for a in (0.0, 44.5, 45.0, 89.6, 135.0, 179.6):  # (windows at the histogram's wrap, directions 45 apart)
        r = np.radians([a, a + 45.0, a + 90.0, a + 90.4, a + 91.0])
        sets.append(np.column_stack([0 * r + 100, 0 * r + 100, 100 + 50 * np.cos(r), 100 + 50 * np.sin(r)]))
    for s in sets:
        assert directions(s) == first_directions(s)
