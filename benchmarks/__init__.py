"""Latency and FPS benchmarks that a user runs on the target hardware (``edge-bench``).

- :mod:`benchmarks.latency`: statistics (median, p99 ...) and the model benchmark
  (raw interpreter ``invoke`` and :class:`edge.runtime.Classifier` ``classify``).
- :mod:`benchmarks.pipeline_bench`: the per-frame, per-stage benchmark of the same
  :class:`edge.pipeline.Pipeline` that ``edge-run`` uses, on frames held in memory.
- :mod:`benchmarks.report`: the machine description, CSV/JSON files, per-device
  reference comparison and text tables.
- :mod:`benchmarks.cli`: ``edge-bench`` / ``python -m benchmarks``.

Speed is measured here, never asserted by a timed test.
"""

from benchmarks.latency import LatencyStats, bench_model, summarize, time_calls

__all__ = ["LatencyStats", "bench_model", "summarize", "time_calls"]
