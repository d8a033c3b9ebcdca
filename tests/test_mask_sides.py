"""edge.segment.mask_sides: the edges a mask reaches, and the bound on its closing's without it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.ink import square
from edge.segment.mask_sides import closing_sides_bound, sides


def test_sides_counts_the_edges_within_the_width() -> None:
    mask = np.zeros((20, 30), np.uint8)
    assert sides(mask) == 0
    mask[0, 10] = 255  # top
    assert sides(mask) == 1
    mask[10, 27] = 255  # 3 px from the right edge
    assert sides(mask) == 1 and sides(mask, 2) == 1 and sides(mask, 3) == 2
    mask[19, 0] = 255  # bottom and left
    assert sides(mask) == 3 and sides(mask, 3) == 4


@pytest.mark.parametrize("k", [3, 5, 11, 21])
def test_the_bound_is_at_least_the_closings_sides(k: int) -> None:
    rng = np.random.default_rng(100 + k)
    tight = 0
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(8, 60, 2))
        mask = (rng.random((h, w)) < rng.uniform(0.0005, 0.05)).astype(np.uint8) * 255
        closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, square(k))
        bound, have = closing_sides_bound(mask, k), sides(closed)
        assert bound >= have, (h, w)
        tight += bound == have
    assert tight > 150  # a bound, but mostly the count itself on sparse masks


def test_a_pixel_just_beyond_the_reach_is_not_counted() -> None:
    # the dilation by an 11 px square (which holds the closing) reaches the edge from a pixel 5 px
    # in, not from one 6 px in
    for y, want in ((5, 1), (6, 0)):
        mask = np.zeros((40, 40), np.uint8)
        mask[y, 20] = 255
        mask[y, 21] = 255
        grown = cv2.dilate(mask, square(11))
        assert sides(grown) == want and closing_sides_bound(mask, 11) == want
