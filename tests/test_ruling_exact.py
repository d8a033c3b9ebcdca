"""Cheaper steps of the ruling's piece tests that give what the older formulas gave (session 31, the
p99 tail of the bench's squared sheet): :func:`edge.segment.ruling_pieces.mask_boxes` clips the pieces'
boxes to their mask in one pass, as ``np.clip`` did column by column;
:func:`edge.segment.ruling_grid.dash_segments` measures no dash when fewer than the caller wants are
among the pieces (:meth:`~edge.segment.digit_ruling.PageRuling.off`: most passes have a few).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digit_pieces import COLS, X0, X1, Y0, Y1, measure_components
from edge.segment.ruling_grid import dash_segments
from edge.segment.ruling_pieces import mask_boxes


def clipped_by_column(pieces: np.ndarray, origin: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """The boxes as :func:`~edge.segment.ruling_pieces.off_ruling` clipped them before (per column)."""
    (ox, oy), (mh, mw) = origin, shape
    return np.column_stack(
        [
            np.clip(pieces[:, X0].astype(np.int64) - ox, 0, mw),
            np.clip(pieces[:, Y0].astype(np.int64) - oy, 0, mh),
            np.clip(pieces[:, X1].astype(np.int64) - ox, 0, mw),
            np.clip(pieces[:, Y1].astype(np.int64) - oy, 0, mh),
        ]
    )


def pieces_of(boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
    """float (N, COLS) pieces with these boxes (the other columns 1)."""
    out = np.ones((len(boxes), COLS))
    if boxes:
        out[:, :4] = boxes
    return out


@pytest.mark.parametrize(
    "boxes",
    [
        [],
        [(3.0, 4.0, 9.0, 12.0)],
        [(0.0, 0.0, 50.0, 40.0), (-5.0, -2.0, 3.0, 1.0), (45.0, 38.0, 70.0, 90.0)],  # over every edge
        [(10.0, 10.0, 10.0, 10.0), (10.0, 10.0, 10.0, 10.0)],  # empty boxes, twice
        [(7.9, 3.2, 20.7, 19.99)],  # (not whole: truncated, as astype did)
    ],
)
@pytest.mark.parametrize("origin", [(0, 0), (6, 2), (40, 35)])
def test_mask_boxes_are_the_column_by_column_clip(
    boxes: list[tuple[float, float, float, float]], origin: tuple[int, int]
) -> None:
    pieces, shape = pieces_of(boxes), (38, 47)
    got, want = mask_boxes(pieces, origin, shape), clipped_by_column(pieces, origin, shape)
    assert got.dtype == want.dtype == np.int64 and got.shape == want.shape == (len(boxes), 4)
    assert np.array_equal(got, want)


def test_mask_boxes_of_many_random_pieces() -> None:
    rng = np.random.default_rng(31)
    pieces = np.ones((500, COLS))
    pieces[:, [X0, Y0]] = rng.integers(-30, 300, (500, 2))
    pieces[:, [X1, Y1]] = pieces[:, [X0, Y0]] + rng.integers(0, 80, (500, 2))
    before = pieces.copy()
    for origin in ((0, 0), (13, 27), (250, 190)):
        want = clipped_by_column(pieces, origin, (200, 260))
        assert np.array_equal(mask_boxes(pieces, origin, (200, 260)), want)
    assert np.array_equal(pieces, before)  # (the pieces are not written to)


def dashes_and_digits(n_dashes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 (120, 160) mask of ``n_dashes`` short lying or standing dashes and three round blobs,
    float (N, 7) its pieces (:func:`~edge.segment.digit_pieces.measure_components`))."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((120, 160), np.uint8)
    for k in range(n_dashes):
        x, y = 8 + 14 * (k % 10), 8 + 24 * (k // 10)
        if k % 3 == 2:  # (standing)
            cv2.line(mask, (x, y), (x + int(rng.integers(0, 2)), y + 9), 255, 1)
        else:
            cv2.line(mask, (x, y), (x + 9, y + int(rng.integers(0, 2))), 255, 1)
    for k in range(3):
        cv2.circle(mask, (30 + 45 * k, 100), 6, 255, -1)
    return mask, measure_components(mask, 2, 100)[0]


@pytest.mark.parametrize("n_dashes", [0, 1, 7, 8, 9, 20])
@pytest.mark.parametrize("least", [0, 1, 8, 9])
def test_dash_segments_with_a_least_are_all_or_none(n_dashes: int, least: int) -> None:
    mask, pieces = dashes_and_digits(n_dashes, n_dashes)
    every = dash_segments(pieces, mask, (0, 0))
    assert len(every) == n_dashes  # (each dash one segment, no blob)
    got = dash_segments(pieces, mask, (0, 0), least=least)
    if n_dashes >= least:
        assert np.array_equal(got, every) and got.dtype == every.dtype
    else:
        assert got.shape == (0, 4) and got.dtype == np.float64
    empty = dash_segments(pieces[:0], mask, (0, 0), least=least)
    assert empty.shape == (0, 4)
