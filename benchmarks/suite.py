"""The model and pipeline benchmarks of one ``edge-bench model|pipeline|all`` run: settings and timing.

:class:`BenchConfig` holds the resolved settings; :func:`resolve_for_task` fills the
model task's defaults (demo scene, budget, segmenter); :func:`measure` runs the
timings the command asks for and returns them as a :class:`BenchRun`. Printing and
files are the CLI's (:mod:`benchmarks.cli`, :mod:`benchmarks.cli_output`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from benchmarks.latency import ModelResult, bench_invoke, bench_model
from benchmarks.pipeline_bench import (
    SCENE_FRAMES,
    TARGET_P99_RATIO,
    PipelineResult,
    bench_pipeline,
    bench_pipeline_live,
    default_source,
    is_live_source,
    target_ms_for,
)
from benchmarks.reference import REFERENCE_TOLERANCE
from edge.bundle import ModelBundle
from edge.live.launch import segmenter_kwargs


@dataclass
class BenchConfig:
    """Resolved settings of one ``edge-bench`` run (saved in ``--json`` output).

    Attributes:
        command: ``model``, ``pipeline`` or ``all``.
        model: bundle folder or shipped name.
        runtime: TFLite runtime (``auto`` | ``litert`` | ``tflite-runtime`` | ``tensorflow``).
        threads: interpreter thread counts for the model benchmark.
        pipeline_threads: interpreter threads for the pipeline (``None``: as ``edge-run``).
        batch: batch sizes N for the model benchmark.
        warmup_runs: discarded invokes before each model timing loop.
        runs: timed invokes per model timing loop.
        source: frame source for the pipeline benchmark (``None``: the model task's
            demo scene, ``demo`` or ``demo-hands``).
        segmenter: hands models: the hand segmenter's name (``None``: ``edge-run``'s
            default, skin).
        frames: frames timed in the pipeline benchmark (read into memory first).
        warmup_frames: frames processed and discarded before the pipeline timing.
        digits: keep only demo frames with lo..hi ground-truth objects (digits, or
            0/1 hands) (``None``: all).
        seed: demo-scene seed.
        scene_frames: frames per demo sheet (1..5 digits each) or room (hands).
        smoothing: include the temporal smoother in the pipeline (as ``edge-run``).
        target_ms: pipeline target, median ms per frame (``None``: the task's budget).
        check: exit 1 when the target is missed or a result is slower than its reference.
        disable_gc: pause Python's garbage collector in timed loops.
        csv: write results as CSV here.
        json: write machine, config and results as JSON here.
        reference: compare with this per-device reference (file or shipped name).
        outputs: pipeline: also time drawing and video writing (draw, write, end_to_end).
        invoke_runs: pipeline: timed bare invokes (batch 1) for the overhead ratios.
        out: pipeline: write pipeline.csv, .json, .md and .png into this folder.
    """

    command: str
    model: str = "digits"
    runtime: str = "auto"
    threads: list[int] = field(default_factory=lambda: [1])
    pipeline_threads: int | None = None
    batch: list[int] = field(default_factory=lambda: [1])
    warmup_runs: int = 50
    runs: int = 1000
    source: str | None = None
    segmenter: str | None = None
    frames: int = 500
    warmup_frames: int = 30
    digits: tuple[int, int] | None = None
    seed: int = 0
    scene_frames: int = SCENE_FRAMES
    smoothing: bool = True
    target_ms: float | None = None
    check: bool = False
    disable_gc: bool = False
    csv: str | None = None
    json: str | None = None
    reference: str | None = None
    tolerance: float = REFERENCE_TOLERANCE
    outputs: bool = True
    invoke_runs: int = 300
    out: str | None = None
    live: bool = False
    fps: float = 30.0


def resolve_for_task(cfg: BenchConfig, task: str) -> BenchConfig:
    """``cfg`` with the defaults of a ``task`` model filled in where unset: the demo scene
    as ``source``, the budget as ``target_ms`` and, for hands, ``edge-run``'s segmenter.

    Raises:
        ValueError: a task without a demo scene or budget, or ``segmenter`` set for a
            digits model.
    """
    seg = segmenter_kwargs(task, cfg.segmenter, cfg.model).get("segmenter")
    return dataclasses.replace(
        cfg, source=cfg.source if cfg.source is not None else default_source(task),
        target_ms=cfg.target_ms if cfg.target_ms is not None else target_ms_for(task),
        segmenter=seg)


@dataclass
class BenchRun:
    """The timings of one run (what the command asked for; the rest empty).

    Attributes:
        model_results: the model benchmark, one per (metric, threads, batch).
        pipeline: the pipeline benchmark (``None``: not run).
        invoke_ms: ``pipeline``: median ms of the bare interpreter (batch 1), for the
            overhead ratios (``None``: not measured).
    """

    model_results: list[ModelResult] = field(default_factory=list)
    pipeline: PipelineResult | None = None
    invoke_ms: float | None = None


def measure(cfg: BenchConfig, bundle: ModelBundle) -> BenchRun:
    """Run the timings ``cfg.command`` asks for on ``bundle`` (``cfg`` resolved for its task).

    Raises:
        ValueError, RuntimeError: bad source or settings, no runtime, a device error.
    """
    out = BenchRun()
    if cfg.command in ("model", "all"):
        out.model_results = bench_model(bundle, threads=list(cfg.threads), batches=list(cfg.batch),
                                        runtime=cfg.runtime, warmup=cfg.warmup_runs, runs=cfg.runs,
                                        disable_gc=cfg.disable_gc)
    if cfg.command == "pipeline":  # the bare interpreter, for the overhead ratios
        inv = bench_invoke(bundle, threads=cfg.pipeline_threads, runtime=cfg.runtime, batch=1,
                           warmup=cfg.warmup_runs, runs=cfg.invoke_runs,
                           disable_gc=cfg.disable_gc)
        out.invoke_ms = inv.stats.median_ms
    live = cfg.command == "pipeline" and (cfg.live or is_live_source(str(cfg.source)))
    if live:
        out.pipeline = bench_pipeline_live(bundle, str(cfg.source), count=cfg.frames,
                                           warmup=cfg.warmup_frames, seed=cfg.seed, fps=cfg.fps,
                                           threads=cfg.pipeline_threads, runtime=cfg.runtime,
                                           smoothing=cfg.smoothing, disable_gc=cfg.disable_gc,
                                           segmenter=cfg.segmenter, outputs=cfg.outputs)
    elif cfg.command in ("pipeline", "all"):
        out.pipeline = bench_pipeline(bundle, source=cfg.source, count=cfg.frames,
                                      warmup=cfg.warmup_frames, seed=cfg.seed, digits=cfg.digits,
                                      scene_frames=cfg.scene_frames,
                                      threads=cfg.pipeline_threads, runtime=cfg.runtime,
                                      smoothing=cfg.smoothing, disable_gc=cfg.disable_gc,
                                      segmenter=cfg.segmenter,
                                      outputs=cfg.outputs and cfg.command == "pipeline")
    return out


def pipeline_summary(cfg: BenchConfig, res: PipelineResult, overhead: dict[str, Any] | None
                     ) -> dict[str, Any]:
    """The ``pipeline`` entry of the JSON results: task, FPS, budget, target check, overhead, live."""
    s = res.stats["process"]
    summary: dict[str, Any] = {
        "task": res.task, "segmenter": cfg.segmenter,
        "by_digits": res.by_digits(), "fps": res.fps,
        "budget_fraction_30fps": res.budget_fraction(),
        "target": {"median_ms": cfg.target_ms, "p99_over_median": TARGET_P99_RATIO,
                   "median_ms_measured": s.median_ms, "p99_ms_measured": s.p99_ms,
                   "pass": res.meets_target(cfg.target_ms)},
    }
    if overhead is not None:
        summary["overhead"] = overhead
    if res.live is not None:
        summary["live"] = res.live
    return summary


__all__ = ["BenchConfig", "BenchRun", "measure", "pipeline_summary", "resolve_for_task"]
