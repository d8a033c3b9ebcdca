"""edge.segment.square_close.close_square: the same pixels as OpenCV's closing by the square."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.ink import square
from edge.segment.square_close import MIN_SPLIT, _split, close_square

SHAPES = [(240, 320), (61, 97), (30, 47), (100, 13), (10, 100), (3, 5), (1, 9), (9, 1), (1, 1)]


def _images(rng: np.random.Generator, h: int, w: int) -> list[np.ndarray]:
    """Noise, a blurred (paper-like) version of it with dark strokes, and sparse dark dots on white."""
    noise = rng.integers(0, 256, (h, w), dtype=np.uint8)
    paper = cv2.GaussianBlur(noise, (0, 0), 5) // 2 + 120
    paper[rng.random((h, w)) < 0.05] = 10
    dots = np.full((h, w), 255, np.uint8)
    dots[rng.random((h, w)) < 0.01] = 0
    return [noise, paper, dots]


@pytest.mark.parametrize("k", range(MIN_SPLIT, 62, 2))
def test_close_square_equals_opencv(k: int) -> None:
    rng = np.random.default_rng(k)
    for h, w in SHAPES:
        for image in _images(rng, h, w):
            want = cv2.morphologyEx(image, cv2.MORPH_CLOSE, square(k))
            np.testing.assert_array_equal(close_square(image, k), want, err_msg=f"k={k}, shape={(h, w)}")


def test_the_large_squares_are_split() -> None:
    # the digit finder's paper estimate (49 px): a 7 px square and 7 points 7 px apart
    a, row, col = _split(49) or (0, None, None)
    assert a == 7 and row is not None and col is not None
    assert row.shape == (1, 43) and np.flatnonzero(row[0]).tolist() == list(range(0, 43, 7))
    assert np.array_equal(col, row.T)
    assert _split(45) is not None and _split(45)[0] in (3, 5, 9, 15)  # type: ignore[index]
    # primes and small squares: OpenCV's own closing
    assert _split(47) is None and _split(MIN_SPLIT - 2) is None
