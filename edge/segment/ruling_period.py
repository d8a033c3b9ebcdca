"""The spacing and phase of a family of ruled lines from their offsets: a periodogram
(:func:`line_spacing`, used by :func:`edge.segment.ruling_grid.grid_lines`).

Each offset x (px) of a line turns a unit vector by 2 pi x / p for a trial period p; the offsets share
a phase at p when the length-weighted mean of these vectors is long (its length, 0..1, is the share).
The periodogram tries up to ~200 periods on up to ~900 offsets (a page's dashes). Computed whole in
complex float64 (``np.exp`` of a (periods, offsets) matrix, then a matrix product) it was most of a
squared page's grid step: complex exponentials cost ~50 ns each, and a product of more than ~9,000
terms wakes OpenBLAS's worker threads, which on a busy machine cost milliseconds of CPU per call
(measured 8 ms for 205 x 365 terms, 0.03 ms on the calling thread alone). It is screened in float32
instead (numpy's float32 sine and cosine are vectorised: ~30 x cheaper than complex float64
exponentials), summed by numpy (no BLAS threads), whose shares are within :func:`_slack` of float64's;
only the periods that decide (the largest share, the largest period sharing at least
:data:`NEAR_BEST` x it) are computed in float64. The spacing and phase are those of the whole float64
periodogram but for its sums' last bits (a period whose share ties another's, or 0.8 x the best, to
1e-15 could be chosen differently): on every call of the demo, the dev frames and the squared pages
recorded, the same lines.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MIN_SPACING", "PERIOD_STEP", "SHARED", "line_spacing"]

#: Spacings looked for: from this many px up to the ``longest`` of :func:`line_spacing`.
MIN_SPACING = 6.0
#: ... in steps of this share of the spacing (its log).
PERIOD_STEP = 0.015
#: Least share of the offsets' phase (the periodogram's peak, 0..1) that makes a spacing.
SHARED = 0.3
#: A spacing whose share is at least this share of the best one's (its fractions share it as much)
#: can be the spacing; the largest such is.
NEAR_BEST = 0.8


def line_spacing(at: np.ndarray, weight: np.ndarray, longest: float) -> tuple[float, float] | None:
    """The spacing and phase (px) of lines at offsets ``at`` weighted by ``weight``.

    The largest period (:data:`MIN_SPACING` px .. ``longest``, :data:`PERIOD_STEP` steps of its log)
    whose phase the offsets share at least :data:`NEAR_BEST` x as much as the best period's (a
    periodogram), and the offset of a line of it nearest 0.

    Args:
        at: float64 (L,) offsets (px), L >= 1.
        weight: float64 (L,) their weights (>= 0; the segments' lengths, px).
        longest: the largest spacing looked for (px).

    Returns:
        (spacing px, phase px in (-spacing / 2, spacing / 2]), or ``None`` when ``longest`` <=
        :data:`MIN_SPACING`, the offsets span no more than 2 x :data:`MIN_SPACING` or no period is
        shared at least :data:`SHARED`.

    Raises:
        ValueError: ``at`` is empty; or (with ``longest`` > :data:`MIN_SPACING`) it holds a NaN or
            an infinite offset (every period's share is then NaN).
    """
    top = min(longest, 0.5 * float(at.max() - at.min()))
    if top <= MIN_SPACING:
        return None
    periods = MIN_SPACING * np.exp(np.arange(0.0, np.log(top / MIN_SPACING), PERIOD_STEP))
    total = max(float(weight.sum()), 1e-9)
    rough, slack = _rough(at, weight, periods, total), _slack(len(at))
    if rough.max() + slack < SHARED:
        return None
    exact = _Exact(at, weight, periods, total)
    # the best share: among the periods that float32 puts within twice its error of the best
    best = max(exact.shares(np.flatnonzero(rough >= rough.max() - 2.0 * slack)))
    if best < SHARED:
        return None
    least = NEAR_BEST * best
    # the largest period sharing at least `least`: down from the largest that may, until one surely does
    may = np.flatnonzero(rough >= least - slack)[::-1]
    surely = rough[may] - slack >= least
    shares = exact.shares(may[: int(np.argmax(surely)) + 1 if surely.any() else len(may)])
    j = int(may[int(np.argmax(shares >= least))])
    return float(periods[j]), float(np.angle(exact.z[j]) / (2 * np.pi) * periods[j])


def _rough(at: np.ndarray, weight: np.ndarray, periods: np.ndarray, total: float) -> np.ndarray:
    """float64 (P,) the shares (0..1) of float (P,) ``periods`` (px) computed in float32, within
    :func:`_slack` of float64's: of offsets ``at`` weighted by ``weight`` (float (L,)) whose sum is
    ``total``."""
    turns = np.multiply.outer(1.0 / periods, at)  # (the phases in turns, reduced to -1/2..1/2: float32's
    angle = (2.0 * np.pi * (turns - np.rint(turns))).astype(np.float32)  # error is then its eps x pi)
    w32 = weight.astype(np.float32)
    return np.hypot((np.cos(angle) * w32).sum(1), (np.sin(angle) * w32).sum(1)).astype(np.float64) / total


def _slack(n: int) -> float:
    """How far a float32 share of :func:`line_spacing` can be from float64's, for ``n`` offsets: each
    term's angle (within pi x 2^-24), cosine and sine (1.5 ulp), weight and product (half an ulp each:
    2^-24 relative), about 6.6 x 2^-24 of the weights' total in all (the formula's 5 undercounts it),
    and the sum's rounding (at most n x 2^-24 of it; numpy's pairwise sums stay far below), each
    component; x sqrt 2 for the length, plus the float32 hypot's rounding (half an ulp); the x 4
    covers all of it (the worst error measured on random and lattice offsets: 0.063 of the slack)."""
    return 4.0 * np.sqrt(2.0) * (5.0 + n) * 2.0**-24 + 1e-6


class _Exact:
    """The float64 periodogram's sums at the periods asked (complex, ``z``; nan where not asked)."""

    def __init__(self, at: np.ndarray, weight: np.ndarray, periods: np.ndarray, total: float) -> None:
        self.at, self.weight, self.periods, self.total = at, weight, periods, total
        self.z = np.full(len(periods), np.nan, np.complex128)

    def shares(self, rows: np.ndarray) -> np.ndarray:
        """float64 (len(rows),) the shares (0..1) of the periods ``rows`` (int indices)."""
        new = rows[np.isnan(self.z[rows])]
        if len(new):
            terms = np.exp(2j * np.pi * self.at[None, :] / self.periods[new, None])
            self.z[new] = (terms * self.weight).sum(1)
        return np.abs(self.z[rows]) / self.total
