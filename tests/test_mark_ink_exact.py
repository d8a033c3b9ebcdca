"""The mark-ink test's medians (the shared :func:`~edge.segment.ring_colour.pixel_medians` and
:func:`~edge.segment.digit_scale.few_median`) and maxima (:mod:`edge.segment.mark_ink`) are
NumPy's, to the bit: ``is_own_mark`` decides as the plain formula (``np.median``, ``ndarray.max``) does."""

from __future__ import annotations

import numpy as np
import pytest

import edge.segment.mark_ink as mark_ink
from edge.segment.digit_scale import few_median
from edge.segment.ink_components import stands_alone
from edge.segment.ring_colour import pixel_medians

Box = tuple[int, int, int, int]


def _plain_is_own_mark(
    full: np.ndarray, dark: np.ndarray, rect: Box, start: tuple[int, int], digits: list[Box]
) -> bool:
    """is_own_mark as first written: np.median of the paper around and of the digits' cores."""
    if not stands_alone(full, rect, start):
        return False
    cores = [int(dark[r0:r1, c0:c1].max()) for r0, r1, c0, c1 in digits if r1 > r0 and c1 > c0]
    if not cores:
        return True
    x, y, w, h = rect
    m = max(w, h)
    around = dark[max(0, y - m) : y + h + m, max(0, x - m) : x + w + m]
    paper = float(np.median(around))
    return float(dark[y : y + h, x : x + w].max()) >= paper + mark_ink.MARK_INK * (
        float(np.median(cores)) - paper
    )


def _paper(a: np.ndarray) -> float:
    """The paper's median as is_own_mark takes it from uint8 (h, w) ``a``."""
    return float(pixel_medians(a.reshape(-1, 1))[0])


def test_medians_are_numpys_for_odd_and_even_counts() -> None:
    rng = np.random.default_rng(0)
    evens = 0
    for k in range(3000):
        a = rng.integers(0, 256, (int(rng.integers(1, 25)), int(rng.integers(1, 25))), dtype=np.uint8)
        if k % 2:
            a = a[:, ::2]  # a strided view, as the band's windows are
        if k % 5 == 0:
            a = (a // 85) * 85  # few levels: ties at the middle
        v = rng.integers(0, 256, int(rng.integers(1, 9))).tolist()
        evens += a.size % 2 == 0 and len(v) % 2 == 0
        assert _paper(a) == float(np.median(a))
        assert few_median(v) == float(np.median(v))
    assert evens > 100  # the mean of the two middle values was checked often
    # two middle values whose mean is a half: NumPy's float64 mean, not a rounded level
    assert _paper(np.array([[3, 4]], np.uint8)) == 3.5
    assert few_median([3, 4]) == 3.5


@pytest.mark.parametrize("seed", range(4))
def test_is_own_mark_decides_as_the_plain_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    decided = {True: 0, False: 0}
    for _ in range(300):
        hgt, wid = int(rng.integers(20, 50)), int(rng.integers(40, 120))
        dark = rng.integers(0, 60, (hgt, wid)).astype(np.uint8)
        full = np.zeros((hgt, wid), np.uint8)
        digits = []
        for _ in range(int(rng.integers(0, 4))):  # digit boxes with a stroke of some darkness
            c0 = int(rng.integers(0, wid - 8))
            r0, r1, c1 = 2, hgt - 2, c0 + 8
            dark[r0:r1, c0 + 3 : c0 + 5] = rng.integers(80, 256)
            full[r0:r1, c0 + 3 : c0 + 5] = 255
            digits.append((r0, r1, c0, c1))
        x, y = int(rng.integers(1, wid - 5)), int(rng.integers(1, hgt - 5))
        w, h = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        full[y : y + h, x : x + w] = 255
        dark[y : y + h, x : x + w] = rng.integers(30, 256)
        args = (full, dark, (x, y, w, h), (x, y), digits)
        want = _plain_is_own_mark(*args)
        assert mark_ink.is_own_mark(*args) is want
        decided[want] += 1
    assert decided[True] > 10 and decided[False] > 10
