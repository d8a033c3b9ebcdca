"""The model (interpreter) benchmark.

What TFLite's ``benchmark_model`` measures, from Python and with the same objects the
device runs: the interpreter comes from :func:`edge.runtime.make_interpreter` (the
library's own factory, as pycoral's benchmarks do) and the ``classify`` timing from
:class:`edge.runtime.Classifier`. Two timings per (threads, batch):

- ``invoke``: ``set_tensor`` + ``invoke`` + ``get_tensor`` on an already quantised
  (N, H, W, C) tensor: the number to compare with ``benchmark_model``'s
  ``Inference (avg)``.
- ``classify``: :meth:`Classifier.classify` on float32 inputs: quantise, invoke,
  dequantise, softmax if needed, and the score-to-label step: what the pipeline pays.

Every timed loop (:func:`benchmarks.latency_stats.time_calls`) discards its warm-up runs,
reads :func:`time.perf_counter_ns` around each call and keeps every sample, so the median
and p99 are exact over the runs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.latency_stats import LatencyStats, summarize, time_calls
from edge.bundle import ModelBundle, QuantParams, load_bundle
from edge.runtime import Classifier, make_interpreter, quantize

log = logging.getLogger(__name__)

#: Seed of the benchmark inputs: the same tensors on every machine and every run.
INPUT_SEED = 0


@dataclass
class ModelResult:
    """One model-benchmark measurement.

    Attributes:
        metric: ``"invoke"`` (raw interpreter) or ``"classify"`` (Classifier, incl.
            quantise/dequantise).
        model: bundle name.
        runtime: interpreter package that ran it (``litert``, ``tflite-runtime``,
            ``tensorflow``).
        threads: interpreter threads (``None``: the runtime's default).
        batch: inputs per call (N of the (N, H, W, C) tensor).
        stats: per-call latencies (ms).
        init_ms: interpreter construction and ``allocate_tensors`` (ms).
        warmup_avg_ms: mean of the discarded warm-up calls (ms; ``nan`` without warm-up).
        first_call_ms: the very first call, before warm-up (ms; ``nan`` without warm-up).
    """

    metric: str
    model: str
    runtime: str
    threads: int | None
    batch: int
    stats: LatencyStats
    init_ms: float = float("nan")
    warmup_avg_ms: float = float("nan")
    first_call_ms: float = float("nan")
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def throughput_per_s(self) -> float:
        """Inferences (inputs, not calls) per second from the mean latency."""
        return self.batch * 1e3 / self.stats.mean_ms if self.stats.mean_ms > 0 else float("inf")

    def as_row(self) -> dict[str, Any]:
        """A flat dict for CSV/JSON (latencies in ms, throughput in inferences/s)."""
        row: dict[str, Any] = {
            "benchmark": "model",
            "metric": self.metric,
            "model": self.model,
            "runtime": self.runtime,
            "threads": self.threads,
            "batch": self.batch,
        }
        row.update(self.stats.as_dict())
        row["throughput_per_s"] = self.throughput_per_s
        row["init_ms"] = self.init_ms
        row["warmup_avg_ms"] = self.warmup_avg_ms
        row["first_call_ms"] = self.first_call_ms
        row.update(self.extra)
        return row

    def benchmark_model_summary(self) -> str:
        """``Inference timings in us: Init: …, First inference: …, Warmup (avg): …,
        Inference (avg): …`` as TFLite's ``benchmark_model`` prints it."""
        return (
            f"Inference timings in us: Init: {self.init_ms * 1e3:.0f}, "
            f"First inference: {self.first_call_ms * 1e3:.0f}, "
            f"Warmup (avg): {self.warmup_avg_ms * 1e3:.6g}, "
            f"Inference (avg): {self.stats.mean_ms * 1e3:.6g}"
        )


def make_inputs(bundle: ModelBundle, batch: int, seed: int = INPUT_SEED) -> np.ndarray:
    """Fixed-seed model inputs drawn uniformly from the bundle's value range.

    Args:
        bundle: gives the input shape (1, H, W, C) and ``value_range``.
        batch: N, >= 1.
        seed: numpy ``default_rng`` seed.

    Returns:
        float32 (N, H, W, C) real values in ``bundle.input.value_range``.
    """
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    lo, hi = bundle.input.value_range
    rng = np.random.default_rng(seed)
    shape = (batch, *bundle.input.shape[1:])
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def _raw_interpreter(
    bundle: ModelBundle, threads: int | None, runtime: str, batch: int
) -> tuple[Any, str, float]:
    """An allocated interpreter whose input is resized to ``batch``; init time in ms."""
    t0 = time.perf_counter_ns()
    interp, name = make_interpreter(bundle.model_path, threads, runtime)
    if batch != 1:
        idx = interp.get_input_details()[0]["index"]
        try:
            interp.resize_tensor_input(idx, [batch, *bundle.input.shape[1:]])
        except (ValueError, RuntimeError) as e:
            raise ValueError(
                f"{bundle.name}: the model's input cannot be resized to batch "
                f"{batch} ({e}); benchmark with --batch 1"
            ) from e
    try:
        interp.allocate_tensors()
    except RuntimeError as e:
        raise ValueError(
            f"{bundle.name}: cannot allocate tensors for batch {batch} ({e}); benchmark with --batch 1"
        ) from e
    return interp, name, (time.perf_counter_ns() - t0) / 1e6


def bench_invoke(
    bundle: ModelBundle,
    *,
    threads: int | None = None,
    runtime: str = "auto",
    batch: int = 1,
    warmup: int = 50,
    runs: int = 1000,
    disable_gc: bool = False,
    seed: int = INPUT_SEED,
) -> ModelResult:
    """Time ``set_tensor`` + ``invoke`` + ``get_tensor`` on a raw interpreter.

    The input is quantised once, outside the loop, with the tensor's own scale and
    zero point, so this is the interpreter's cost alone, as ``benchmark_model`` times it.

    Args:
        bundle: the model bundle.
        threads: interpreter threads (``None``: runtime default).
        runtime: see :func:`edge.runtime.make_interpreter`.
        batch: N of the (N, H, W, C) input; the interpreter is resized when N > 1.
        warmup: discarded calls before timing.
        runs: timed calls.
        disable_gc: pause the garbage collector during the loop.
        seed: input seed.

    Returns:
        A :class:`ModelResult` with ``metric="invoke"``.

    Raises:
        ValueError: the model cannot take ``batch`` inputs, or bad ``runs``/``warmup``.
        BundleError: the model cannot be loaded.
    """
    interp, rt_name, init_ms = _raw_interpreter(bundle, threads, runtime, batch)
    ind, outd = interp.get_input_details()[0], interp.get_output_details()[0]
    scale, zp = ind.get("quantization", (0.0, 0))
    x = quantize(make_inputs(bundle, batch, seed), QuantParams(float(scale), int(zp)), np.dtype(ind["dtype"]))
    in_idx, out_idx = ind["index"], outd["index"]

    def call() -> None:
        interp.set_tensor(in_idx, x)
        interp.invoke()
        interp.get_tensor(out_idx)

    w, r = time_calls(call, runs, warmup, disable_gc)
    return ModelResult(
        metric="invoke",
        model=bundle.name,
        runtime=rt_name,
        threads=threads,
        batch=batch,
        stats=summarize(r),
        init_ms=init_ms,
        warmup_avg_ms=float(w.mean()) if w.size else float("nan"),
        first_call_ms=float(w[0]) if w.size else float("nan"),
    )


def bench_classify(
    bundle: ModelBundle,
    *,
    threads: int | None = None,
    runtime: str = "auto",
    batch: int = 1,
    warmup: int = 50,
    runs: int = 1000,
    disable_gc: bool = False,
    seed: int = INPUT_SEED,
    classifier: Classifier | None = None,
) -> ModelResult:
    """Time :meth:`edge.runtime.Classifier.classify` on a float32 (N, H, W, C) batch.

    Includes quantising the input, one invoke per ``Classifier`` rule (one batched call
    where the model's batch dimension is dynamic, else N calls), dequantising and the
    score-to-label step: what the pipeline's classify stage pays for N ROIs.

    Args:
        bundle: the model bundle.
        threads, runtime, batch, warmup, runs, disable_gc, seed: as :func:`bench_invoke`.
        classifier: reuse this classifier instead of building one (its threads and
            runtime then win).

    Returns:
        A :class:`ModelResult` with ``metric="classify"``.
    """
    t0 = time.perf_counter_ns()
    clf = classifier or Classifier(bundle, num_threads=threads, runtime=runtime)
    init_ms = (time.perf_counter_ns() - t0) / 1e6 if classifier is None else float("nan")
    x = make_inputs(bundle, batch, seed)
    w, r = time_calls(lambda: clf.classify(x), runs, warmup, disable_gc)
    return ModelResult(
        metric="classify",
        model=bundle.name,
        runtime=clf.runtime,
        threads=clf.num_threads,
        batch=batch,
        stats=summarize(r),
        init_ms=init_ms,
        warmup_avg_ms=float(w.mean()) if w.size else float("nan"),
        first_call_ms=float(w[0]) if w.size else float("nan"),
    )


def bench_model(
    model: ModelBundle | str,
    *,
    threads: list[int | None] | None = None,
    batches: list[int] | None = None,
    runtime: str = "auto",
    warmup: int = 50,
    runs: int = 1000,
    disable_gc: bool = False,
    metrics: tuple[str, ...] = ("invoke", "classify"),
) -> list[ModelResult]:
    """Model benchmark over every (threads, batch) pair.

    Args:
        model: a loaded bundle, a bundle folder or a shipped name (``"digits"``).
        threads: interpreter thread counts (default ``[1]``).
        batches: batch sizes N (default ``[1]``).
        runtime: ``auto`` | ``litert`` | ``tflite-runtime`` | ``tensorflow``.
        warmup: discarded calls before each timed loop.
        runs: timed calls per loop.
        disable_gc: pause the garbage collector during timed loops.
        metrics: which timings to take: ``"invoke"`` and/or ``"classify"``.

    Returns:
        One :class:`ModelResult` per (threads, batch, metric), in that order.

    Raises:
        BundleError: the bundle is missing or invalid.
        ValueError: a bad metric, batch, runs or warmup.
    """
    bundle = model if isinstance(model, ModelBundle) else load_bundle(model)
    bad = set(metrics) - {"invoke", "classify"}
    if bad:
        raise ValueError(f"unknown model metric(s) {sorted(bad)}; use 'invoke' and/or 'classify'")
    results: list[ModelResult] = []
    for t in threads or [1]:
        for n in batches or [1]:
            if "invoke" in metrics:
                results.append(
                    bench_invoke(
                        bundle,
                        threads=t,
                        runtime=runtime,
                        batch=n,
                        warmup=warmup,
                        runs=runs,
                        disable_gc=disable_gc,
                    )
                )
            if "classify" in metrics:
                results.append(
                    bench_classify(
                        bundle,
                        threads=t,
                        runtime=runtime,
                        batch=n,
                        warmup=warmup,
                        runs=runs,
                        disable_gc=disable_gc,
                    )
                )
            log.info("model %s threads=%s batch=%d done", bundle.name, t, n)
    return results
