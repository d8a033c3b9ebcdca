"""The preprocessing helpers rewritten with fewer or cheaper calls give what they gave before:
:func:`edge.preprocess.digit_ink.noise_floor` (percentiles of one histogram),
:func:`edge.preprocess.cut_ink.beyond_cut_cleared` (an ROI that is not a cut part: the darkness
itself), :func:`edge.preprocess.mnist_format.place_mnist` (OpenCV's moments except for a 2-px wide
box) and :func:`edge.preprocess.polarity.sorted_ring` (the ring gathered by flat indices)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from edge.preprocess.cut_ink import beyond_cut_cleared
from edge.preprocess.digit_ink import noise_floor
from edge.preprocess.mnist_format import MNIST_CENTRE, MNIST_SIZE, _plan, image_moments, place_mnist
from edge.preprocess.polarity import border_ring, ring_index, sorted_ring
from edge.segment.ink import MIN_CONTRAST
from edge.types import ROI


def _noise_floor_reference(dark: np.ndarray) -> float:
    """The floor written out: the least level whose cumulative count reaches 5 % (30 %) of the px."""
    counts = np.bincount(dark.ravel(), minlength=256)
    n = dark.size

    def level(q: float) -> int:
        total = 0
        for v in range(256):
            total += int(counts[v])
            if total >= q * n:
                return v
        return 256

    p5, p30 = level(0.05), level(0.3)
    return max(MIN_CONTRAST * 255.0, p30 + 3.5 * (p30 - p5))


def test_noise_floor_is_the_percentile_formula() -> None:
    rng = np.random.default_rng(5)
    frame = rng.integers(0, 256, (120, 150), dtype=np.uint8)
    cases = [
        np.zeros((1, 1), np.uint8),  # one px
        np.full((1, 1), 200, np.uint8),
        np.full((7, 3), 255, np.uint8),  # all tied
        np.zeros((5, 5), np.uint8),
        np.array([[0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 90]], np.uint8),
        (rng.random((60, 60)) ** 4 * 255).astype(np.uint8),  # mostly paper, a tail of ink
        frame[10:50, 20:61],  # a view
    ]
    cases += [
        rng.integers(0, int(rng.integers(1, 256)), (int(rng.integers(1, 40)),) * 2, dtype=np.uint8)
        for _ in range(40)
    ]
    for dark in cases:
        got = noise_floor(dark)
        assert isinstance(got, float) and got == _noise_floor_reference(dark), dark.shape


def test_an_uncut_roi_keeps_its_darkness_itself() -> None:
    dark = np.random.default_rng(6).integers(0, 256, (30, 40), dtype=np.uint8)
    core = (5.0, 4.0, 30.0, 25.0)
    assert beyond_cut_cleared(dark, core, ROI(10, 10, 25, 21)) is dark
    side = np.array([[0.0] * 21, [math.inf] * 21], np.float32)  # a side without a whole: not a cut part
    assert beyond_cut_cleared(dark, core, ROI(10, 10, 25, 21, side=side)) is dark
    whole = ROI(0, 10, 35, 21)  # a part cut on its left
    out = beyond_cut_cleared(dark, core, ROI(10, 10, 25, 21, whole=whole))
    assert out is not dark and not out[:, :5].any() and np.array_equal(out[:, 5:], dark[:, 5:])


@pytest.mark.parametrize("shape", [(40, 3), (41, 4), (20, 2), (60, 5), (30, 30), (9, 1)])
def test_place_mnist_places_by_the_same_moments(shape: tuple[int, int]) -> None:
    """Boxes 2 px wide (a thin "1") and others: the same input as the moments of image_moments give."""
    rng = np.random.default_rng(sum(shape))
    for _ in range(5):
        ink = rng.integers(0, 60, shape).astype(np.uint8)
        got = place_mnist(ink)
        # the reference: the same box, placed by image_moments
        nw, nh, rows, cols_t, interp = _plan(*shape)
        if rows is not None and cols_t is not None:
            box = np.dot(np.dot(rows, ink.astype(np.float32)), cols_t)
        else:
            box = cv2.resize(ink.astype(np.float32), (nw, nh), interpolation=interp).reshape(nh, nw)
        box *= np.float32(1.0 / cv2.minMaxLoc(box)[1])
        m = image_moments(box)
        ox = min(max(round(MNIST_CENTRE[0] - m["m10"] / m["m00"]), 0), MNIST_SIZE - nw)
        oy = min(max(round(MNIST_CENTRE[1] - m["m01"] / m["m00"]), 0), MNIST_SIZE - nh)
        want = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
        want[oy : oy + nh, ox : ox + nw] = box
        assert np.array_equal(got, want), shape


def test_ring_index_is_the_border_rings_flat_indices() -> None:
    for h, w in [(1, 1), (1, 7), (7, 1), (2, 2), (3, 5), (13, 12), (48, 46), (100, 31)]:
        idx = ring_index(h, w)
        grid = np.arange(h * w).reshape(h, w)
        assert np.array_equal(idx, np.sort(border_ring(grid))) and not idx.flags.writeable
        crop = np.random.default_rng(h * w).integers(0, 256, (h + 4, w + 3), dtype=np.uint8)[
            2 : 2 + h, 1 : 1 + w
        ]
        assert np.array_equal(sorted_ring(crop), np.sort(border_ring(crop)))
