"""Latency and FPS benchmarks a user runs on the target hardware (``edge-bench``), and the test sets.

May import ``edge`` (the code being measured, never the other way round), not ``train``
or ``convert``. One concern per module:

- measurement: :mod:`benchmarks.latency_stats` (the timed loop and its statistics),
  :mod:`benchmarks.latency` (the model benchmark: raw interpreter ``invoke`` and
  :class:`edge.runtime.Classifier` ``classify``),
  :mod:`benchmarks.pipeline_bench` (per frame and stage, the same
  :class:`edge.pipeline.Pipeline` ``edge-run`` uses), :mod:`benchmarks.suite` (what one
  ``edge-bench model|pipeline|all`` run times), :mod:`benchmarks.latency_compare`
  (bundles x runtimes x threads), :mod:`benchmarks.latency_runtimes`,
  :mod:`benchmarks.runtime_env` (runtimes and the worker Python),
  :mod:`benchmarks.file_accuracy`, :mod:`benchmarks.op_profile`,
  :mod:`benchmarks.serve_load` (with :mod:`benchmarks.serve_load_phase`),
  :mod:`benchmarks.serve_idle` (a viewer among a thousand idle sockets),
  :mod:`benchmarks.classic_compare` (ours vs OpenCV's classic digit recipe,
  :mod:`benchmarks.classic_digits` with :mod:`benchmarks.classic_svm`, on the same frames);
- reporting: :mod:`benchmarks.machine` (the machine description),
  :mod:`benchmarks.report` (CSV/JSON files, text and markdown tables, charts),
  :mod:`benchmarks.reference` (per-device reference comparison);
- CLI (argument parsing and printing): :mod:`benchmarks.cli` (``edge-bench`` /
  ``python -m benchmarks``), :mod:`benchmarks.cli_args` (its flags),
  :mod:`benchmarks.cli_output`, :mod:`benchmarks.cli_latency`, :mod:`benchmarks.classic_cli`;
- test data: :mod:`benchmarks.realistic_render` and the script
  ``benchmarks/realistic_digits.py`` (camera-like digits from real handwriting; the
  renderer is also what ``train.camera_digits`` draws its training digits with, so the
  training data and the benchmark set have one renderer: ``train`` may import it, it
  never imports ``train``),
  :mod:`benchmarks.realistic_set` (the set on disk with each image's conditions),
  :mod:`benchmarks.realistic_breakdown` (accuracy by condition, the worst named),
  :mod:`benchmarks.classic_frames` (MNIST digits on grey paper).

Speed is measured here, never asserted by a timed test.
"""

from benchmarks.latency import bench_model
from benchmarks.latency_stats import LatencyStats, summarize, time_calls

__all__ = ["LatencyStats", "bench_model", "summarize", "time_calls"]
