"""The periodogram of a ruling's line offsets (edge.segment.ruling_period, issue 13's grid step): screened
in float32 and summed by numpy, it gives the spacing and phase of the whole float64 periodogram (the first
form, computed here), and makes no matrix product (OpenBLAS's worker threads, woken for a product of
more than ~9,000 terms, cost milliseconds of CPU per call on a busy machine)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import edge.segment.ruling_period as rp
from edge.segment.ruling_period import MIN_SPACING, NEAR_BEST, PERIOD_STEP, SHARED, line_spacing


def whole_periodogram(at: np.ndarray, weight: np.ndarray, longest: float) -> tuple[float, float] | None:
    """The first form: every period's complex float64 sum at once (a matrix product)."""
    top = min(longest, 0.5 * float(at.max() - at.min()))
    if top <= MIN_SPACING:
        return None
    periods = MIN_SPACING * np.exp(np.arange(0.0, np.log(top / MIN_SPACING), PERIOD_STEP))
    z = np.exp(2j * np.pi * at[None, :] / periods[:, None]) @ weight
    r = np.abs(z) / max(float(weight.sum()), 1e-9)
    if r.max() < SHARED:
        return None
    best = np.flatnonzero(r >= NEAR_BEST * r.max())[-1]
    return float(periods[best]), float(np.angle(z[best]) / (2 * np.pi) * periods[best])


def offsets(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """float (L,) offsets of a ruling's segments and dashes (px) and their lengths: a lattice of a
    random spacing and phase, some lines missing, jitter, and random strokes (digits, crosses); every
    fourth seed random offsets only (no lattice)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 700))
    if seed % 4 == 0:
        return rng.uniform(-200, 200, n), rng.uniform(4, 60, n)
    spacing, phase = rng.uniform(7, 40), rng.uniform(-20, 20)
    k = rng.integers(-12, 13, n)
    at = phase + spacing * k + rng.normal(0, rng.uniform(0.2, 2.5), n)
    stray = rng.random(n) < rng.uniform(0, 0.6)
    at[stray] = rng.uniform(-250, 250, int(stray.sum()))
    return at, rng.uniform(4, 80, n)


SEEDS = [s for s in range(1, 160) if s not in (13, 77)]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_spacing_and_phase_are_the_whole_float64_periodograms(seed: int) -> None:
    at, weight = offsets(seed)
    want, got = whole_periodogram(at, weight, 128.0), line_spacing(at, weight, 128.0)
    assert (got is None) == (want is None)
    if want is not None and got is not None:
        assert got[0] == want[0]  # (the same period of the list)
        assert got[1] == pytest.approx(want[1], abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS[:60])
def test_any_screen_within_its_slack_changes_nothing(seed: int, monkeypatch: Any) -> None:
    """The float32 shares only screen: whatever they are within their error bound (here a bound of 0.05,
    far wider than float32's, the shares anywhere in it), the float64 ones decide."""
    at, weight = offsets(seed)
    want = whole_periodogram(at, weight, 128.0)
    rng = np.random.default_rng(seed + 1000)

    def anywhere_within(at: np.ndarray, weight: np.ndarray, periods: np.ndarray, total: float) -> np.ndarray:
        exact = np.abs(np.exp(2j * np.pi * at[None, :] / periods[:, None]) @ weight) / total
        return exact + 0.05 * rng.uniform(-1.0, 1.0, len(periods))

    monkeypatch.setattr(rp, "_rough", anywhere_within)
    monkeypatch.setattr(rp, "_slack", lambda n: 0.05)
    got = line_spacing(at, weight, 128.0)
    assert (got is None) == (want is None)
    if want is not None and got is not None:
        assert got[0] == want[0]
        assert got[1] == pytest.approx(want[1], abs=1e-9)


def test_the_float32_shares_are_within_the_slack() -> None:
    for seed in SEEDS[:40]:
        at, weight = offsets(seed)
        periods = MIN_SPACING * np.exp(np.arange(0.0, np.log(100.0 / MIN_SPACING), PERIOD_STEP))
        exact = np.abs(np.exp(2j * np.pi * at[None, :] / periods[:, None]) @ weight) / weight.sum()
        rough = rp._rough(at, weight, periods, float(weight.sum()))
        assert np.abs(rough - exact).max() <= rp._slack(len(at))


#: numpy's products that may call BLAS (matmul is a ufunc: ``@`` and ``np.matmul``).
PRODUCTS = ("dot", "inner", "vdot", "tensordot", "einsum", "matmul")


def _product(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a matrix product")


def _plain(x: Any) -> Any:
    return x.view(np.ndarray) if isinstance(x, NoProduct) else x


class NoProduct(np.ndarray):
    """An array whose matrix products fail (a BLAS call, which may wake OpenBLAS's threads): ``@``
    and ``np.matmul`` (a ufunc), :data:`PRODUCTS` (numpy functions) and the ``dot`` method; every
    other ufunc and function works as on an ndarray (a NoProduct result)."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if ufunc is np.matmul:
            _product()
        if "out" in kwargs:
            kwargs["out"] = tuple(map(_plain, kwargs["out"]))
        result = getattr(ufunc, method)(*map(_plain, inputs), **kwargs)
        return result.view(NoProduct) if type(result) is np.ndarray else result

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func.__name__ in PRODUCTS:
            _product()
        return super().__array_function__(func, types, args, kwargs)

    def dot(self, *args: Any, **kwargs: Any) -> Any:
        _product()


@pytest.mark.parametrize("name", PRODUCTS)
def test_no_product_fails_on_products(name: str) -> None:
    a = np.ones((2, 2)).view(NoProduct)
    with pytest.raises(AssertionError, match="a matrix product"):
        getattr(np, name)("ij,jk", a, a) if name == "einsum" else getattr(np, name)(a, a)
    with pytest.raises(AssertionError, match="a matrix product"):
        a @ np.ones(2)
    with pytest.raises(AssertionError, match="a matrix product"):
        a.dot(a)
    assert type(np.exp(a).sum(1)) is NoProduct and np.exp(a).sum() == pytest.approx(4 * np.e)


def test_the_periodogram_makes_no_matrix_product(monkeypatch: pytest.MonkeyPatch) -> None:
    """No matrix product of the offsets' arrays (:class:`NoProduct`), nor any numpy product
    function at all (of arrays made plain: ``np.asarray``)."""
    at, weight = offsets(2)  # (a lattice: the float64 periods are computed too)
    want = whole_periodogram(at, weight, 128.0)
    assert want is not None
    for name in PRODUCTS[:-1]:  # (np.matmul is a ufunc: a plain array's @ calls no attribute)
        monkeypatch.setattr(np, name, _product)
    got = line_spacing(at.view(NoProduct), weight.view(NoProduct), 128.0)
    assert got is not None and got[0] == want[0]


def test_line_spacing_errors_and_no_spacing() -> None:
    """An empty ``at`` or a NaN / infinite offset raises ValueError (as documented); ``longest``
    up to :data:`MIN_SPACING` finds no spacing, even among any offsets."""
    with pytest.raises(ValueError):
        line_spacing(np.zeros(0), np.zeros(0), 128.0)
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError), np.errstate(invalid="ignore"):
            line_spacing(np.array([0.0, 10.0, bad, 30.0]), np.ones(4), 128.0)
    at = 10.0 * np.arange(20)
    assert line_spacing(at, np.ones(20), MIN_SPACING) is None
    assert line_spacing(at, np.ones(20), 128.0) is not None
