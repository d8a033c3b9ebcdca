"""edge.segment.ink_surfaces.wide_closed: the closing then the opening of a mask, with the two
erosions between them as one, against the two morphology calls it replaces."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.ink import square
from edge.segment.ink_surfaces import wide, wide_closed


def two_calls(mask: np.ndarray, fill: int) -> np.ndarray:
    return wide(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, square(fill)))


def blobs(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A mask of random rectangles (some at the edges) with specks and holes: openings keep parts."""
    mask = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 6))):
        y, x = int(rng.integers(-h // 4, h)), int(rng.integers(-w // 4, w))
        mask[max(0, y) : y + int(rng.integers(1, h + 1)), max(0, x) : x + int(rng.integers(1, w + 1))] = 255
    noise = rng.random((h, w))
    mask[noise < 0.02] = 255
    mask[noise > 0.97] = 0
    return mask


@pytest.mark.parametrize("fill", [1, 3, 4, 5, 11, 19])
def test_it_equals_the_closing_then_the_opening(fill: int) -> None:
    rng = np.random.default_rng(fill)
    for _ in range(150):
        h, w = (int(v) for v in rng.integers(1, 140, 2))
        mask = blobs(rng, h, w)
        assert np.array_equal(wide_closed(mask, fill), two_calls(mask, fill)), (h, w, fill)


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1), (2, 3), (64, 64), (120, 160), (121, 161)])
@pytest.mark.parametrize("fill", [3, 4, 11])
def test_empty_full_and_one_pixel_masks(shape: tuple[int, int], fill: int) -> None:
    for mask in (np.zeros(shape, np.uint8), np.full(shape, 255, np.uint8)):
        assert np.array_equal(wide_closed(mask, fill), two_calls(mask, fill))
    one = np.zeros(shape, np.uint8)
    for y, x in ((0, 0), (shape[0] - 1, shape[1] - 1), (shape[0] // 2, shape[1] // 2)):
        one[:] = 0
        one[y, x] = 255
        assert np.array_equal(wide_closed(one, fill), two_calls(one, fill))


def test_a_board_at_the_edges_survives_and_a_stroke_does_not() -> None:
    mask = np.zeros((120, 160), np.uint8)
    mask[:, :70] = 255  # a board on the left, reaching three edges
    mask[50:53, 100:150] = 255  # a 3-px dark stroke on the bright side
    mask[20:24, 30:34] = 0  # a chalk speck on the board, closed over
    out = wide_closed(mask, 11)
    assert np.array_equal(out, two_calls(mask, 11))
    assert out[:, :70].all() and not out[:, 100:].any()
