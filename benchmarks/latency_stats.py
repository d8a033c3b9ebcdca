"""Latency statistics and the timed loop every benchmark uses.

:func:`time_calls` runs a function after warm-up, reading :func:`time.perf_counter_ns`
around each call and keeping every sample (optionally with the garbage collector paused,
:func:`gc_paused`); :func:`summarize` turns the samples into :class:`LatencyStats`
(median, p90, p99 ... in milliseconds, exact over the runs).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LatencyStats:
    """Summary of per-call latencies, all in milliseconds.

    Attributes:
        count: number of timed calls (warm-up excluded).
        mean_ms, std_ms: arithmetic mean and population standard deviation.
        median_ms, p90_ms, p99_ms: percentiles (numpy's default linear interpolation).
        min_ms, max_ms: extremes.
        first_ms: the first timed call (after warm-up), as ``benchmark_model``'s ``first``.
        last_ms: the last timed call, as ``benchmark_model``'s ``curr``.
    """

    count: int
    mean_ms: float
    std_ms: float
    median_ms: float
    p90_ms: float
    p99_ms: float
    min_ms: float
    max_ms: float
    first_ms: float
    last_ms: float

    @property
    def p99_over_median(self) -> float:
        """Tail ratio p99 / median (dimensionless; ``nan`` when the median is 0)."""
        return self.p99_ms / self.median_ms if self.median_ms > 0 else float("nan")

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)

    def benchmark_model_line(self) -> str:
        """The stats in TFLite ``benchmark_model``'s format (integers are µs).

        ``count=1000 first=812 curr=790 min=771 max=1450 avg=801.2 std=35``, so the two
        tools' outputs can be compared line by line.
        """
        us = 1e3
        return (
            f"count={self.count} first={self.first_ms * us:.0f} curr={self.last_ms * us:.0f} "
            f"min={self.min_ms * us:.0f} max={self.max_ms * us:.0f} "
            f"avg={self.mean_ms * us:.6g} std={self.std_ms * us:.0f}"
        )


def summarize(samples_ms: np.ndarray | list[float]) -> LatencyStats:
    """Summarise latency samples.

    Args:
        samples_ms: float (N,) latencies in ms, in the order they were measured, N >= 1.

    Returns:
        The :class:`LatencyStats` of the samples.

    Raises:
        ValueError: no samples, or a sample is NaN or negative.
    """
    a = np.asarray(samples_ms, dtype=np.float64).ravel()
    if a.size == 0:
        raise ValueError("no latency samples to summarise: run at least one timed iteration")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError("latency samples must be finite and >= 0 ms")
    p50, p90, p99 = np.percentile(a, [50, 90, 99])
    return LatencyStats(
        count=int(a.size),
        mean_ms=float(a.mean()),
        std_ms=float(a.std()),
        median_ms=float(p50),
        p90_ms=float(p90),
        p99_ms=float(p99),
        min_ms=float(a.min()),
        max_ms=float(a.max()),
        first_ms=float(a[0]),
        last_ms=float(a[-1]),
    )


@contextmanager
def gc_paused(enabled: bool = True) -> Iterator[None]:
    """Disable Python's garbage collector inside the block (when ``enabled``).

    A collection landing inside a timed call shows up in the p99; pausing it measures
    the model, leaving it on measures what a long-running ``edge-run`` sees.
    """
    was = gc.isenabled()
    if enabled:
        gc.collect()
        gc.disable()
    try:
        yield
    finally:
        if enabled and was:
            gc.enable()


def time_calls(
    fn: Callable[[], Any], runs: int, warmup: int = 0, disable_gc: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Call ``fn()`` ``warmup`` times, then ``runs`` times, timing each call.

    Args:
        fn: the call to time (no arguments; its result is discarded).
        runs: timed calls, >= 1.
        warmup: untimed-for-the-statistics calls first (their times are returned
            separately, as ``benchmark_model`` reports ``Warmup (avg)``).
        disable_gc: pause the garbage collector during the loops.

    Returns:
        ``(warmup_ms, runs_ms)``: float64 (warmup,) and (runs,) latencies in ms.

    Raises:
        ValueError: ``runs < 1`` or ``warmup < 0``.
    """
    if runs < 1 or warmup < 0:
        raise ValueError(f"need runs >= 1 and warmup >= 0, got runs={runs}, warmup={warmup}")
    clock = time.perf_counter_ns
    out = np.empty(warmup + runs, dtype=np.int64)
    with gc_paused(disable_gc):
        for i in range(warmup + runs):
            t0 = clock()
            fn()
            out[i] = clock() - t0
    ms = out.astype(np.float64) / 1e6
    return ms[:warmup], ms[warmup:]
