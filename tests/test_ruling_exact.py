"""Cheaper steps of the ruling's piece tests that give what the older formulas gave (session 31, the
p99 tail of the bench's squared sheet): :func:`edge.segment.ruling_pieces.mask_boxes` clips the pieces'
boxes to their mask in one pass, as ``np.clip`` did column by column.
"""

from __future__ import annotations

import numpy as np
import pytest

from edge.segment.digit_pieces import COLS, X0, X1, Y0, Y1
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
