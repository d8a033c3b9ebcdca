"""Otsu's level and the paper's noise from a histogram equal the plain NumPy formulas.

:func:`edge.segment.ink.otsu` and :func:`edge.segment.ink.paper_noise` run on every
analysed frame; they use array methods instead of the module functions (no dispatch),
which must not change a single value.
"""

from __future__ import annotations

import numpy as np
import pytest

from edge.segment.ink import otsu, paper_noise


def reference_otsu(hist: np.ndarray) -> int:
    """Otsu's threshold written the straightforward way (module functions)."""
    total = np.sum(hist)
    if total <= 0:
        return 255
    p = hist / total
    omega = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256, dtype=np.float64))
    num = mu[-1] * omega - mu
    den = omega * (1.0 - omega)
    between = np.divide(num * num, den, out=np.full(256, -1.0), where=den != 0)
    return int(np.argmax(between))


def reference_noise(hist: np.ndarray) -> tuple[float, float]:
    """The paper's mean and sigma written the straightforward way."""
    cdf = np.cumsum(hist)
    p25, p50 = np.searchsorted(cdf, (0.25 * cdf[-1], 0.5 * cdf[-1]))
    return float(p50), max(1.5, (float(p50) - float(p25)) / 0.674)


def histograms(seed: int) -> list[np.ndarray]:
    """float64 (256,) histograms: paper noise with an ink tail, sparse, flat, one bin, empty."""
    rng = np.random.default_rng(seed)
    paper = np.clip(rng.normal(rng.uniform(0, 20), rng.uniform(0.5, 8), 60000), 0, 255)
    ink = np.clip(rng.normal(rng.uniform(40, 200), rng.uniform(2, 30), int(rng.integers(0, 5000))), 0, 255)
    out = [np.bincount(np.concatenate([paper, ink]).astype(int), minlength=256).astype(np.float64)]
    sparse = np.zeros(256)
    sparse[rng.choice(256, int(rng.integers(1, 6)), replace=False)] = rng.integers(1, 1000, 1)
    one = np.zeros(256)
    one[int(rng.integers(0, 256))] = float(rng.integers(1, 10**6))
    return [*out, sparse, one, rng.integers(0, 50, 256).astype(np.float64), np.zeros(256)]


@pytest.mark.parametrize("seed", range(40))
def test_otsu_equals_the_plain_formula(seed: int) -> None:
    for hist in histograms(seed):
        assert otsu(hist) == reference_otsu(hist)


@pytest.mark.parametrize("seed", range(40))
def test_paper_noise_equals_the_plain_formula(seed: int) -> None:
    for hist in histograms(seed):
        if hist.sum() > 0:
            assert paper_noise(hist) == reference_noise(hist)
        # the noise histograms the scene counts: 32 bins
        small = hist[:32]
        if small.sum() > 0:
            assert paper_noise(small) == reference_noise(small)
