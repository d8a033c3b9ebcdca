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
        keep_readings: digits: frames a digit's sure reading is kept while its ink does not change
            (:class:`edge.read_cache.ReadCache` ``max_age``; 0: every ROI read afresh every frame).
        target_ms: pipeline target, median ms per frame (``None``: the task's budget).
        check: exit 1 when the target is missed or a result is slower than its reference.
        disable_gc: pause Python's garbage collector in timed loops.
        csv: write results as CSV here.
        json: write machine, config and results as JSON here.
        reference: compare with this per-device reference (file or shipped name).
        outputs: pipeline: also time drawing and video writing (draw, write, end_to_end).
        invoke_runs: pipeline: timed bare invokes (batch 1) for the overhead ratios.
        out: pipeline: write pipeline.csv, .json, .md and .png into this folder.
        hand_frames: pipeline, hands: time 640x480 frames made from ``source``, a folder of
            hand photos (:mod:`benchmarks.hands_bench`): ``still``, ``video`` or ``both``.
        video_frames: frames of the held-hand video.
        max_hands: hands the pipeline (and MediaPipe's graph) look for in ``hand_frames`` runs.
        mediapipe_ref: compare with MediaPipe's Hands graph: ``auto`` or a Python with
            mediapipe 0.10.21 (``None``: no comparison unless ``hand_frames`` is ``both``).
        compare_threads: our interpreter threads in the comparison.
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
    keep_readings: int = 3
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
    hand_frames: str | None = None
    video_frames: int = 150
    max_hands: int = 1
    mediapipe_ref: str | None = None
    compare_threads: list[int] = field(default_factory=lambda: [1, 2])


def resolve_for_task(cfg: BenchConfig, task: str, preprocessing: str | None = None) -> BenchConfig:
    """``cfg`` with the defaults of a ``task`` model filled in where unset: the demo scene
    as ``source``, the budget as ``target_ms`` and, for hands, ``edge-run``'s segmenter
    (none for a ``hand-landmarks`` bundle, whose pipeline finds hands with the landmarks).

    Raises:
        ValueError: a task without a demo scene or budget, ``segmenter`` set for a
            digits or ``hand-landmarks`` model, or ``hand_frames`` without a folder.
    """
    if cfg.hand_frames is not None and cfg.source is None:
        raise ValueError(
            "--hand-frames makes frames from hand photos: pass --source DIR (e.g. class "
            "folders rock/ paper/ scissors/)"
        )
    seg = segmenter_kwargs(task, cfg.segmenter, cfg.model, preprocessing).get("segmenter")
    return dataclasses.replace(
        cfg,
        source=cfg.source if cfg.source is not None else default_source(task),
        target_ms=cfg.target_ms if cfg.target_ms is not None else target_ms_for(task),
        segmenter=seg,
    )


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
    #: ``--hand-frames``/``--mediapipe-ref``: :func:`benchmarks.hands_bench.compare_hands`'s result.
    hands: dict[str, Any] | None = None


def measure(cfg: BenchConfig, bundle: ModelBundle) -> BenchRun:
    """Run the timings ``cfg.command`` asks for on ``bundle`` (``cfg`` resolved for its task).

    Raises:
        ValueError, RuntimeError: bad source or settings, no runtime, a device error.
    """
    out = BenchRun()
    if cfg.command in ("model", "all"):
        out.model_results = bench_model(
            bundle,
            threads=list(cfg.threads),
            batches=list(cfg.batch),
            runtime=cfg.runtime,
            warmup=cfg.warmup_runs,
            runs=cfg.runs,
            disable_gc=cfg.disable_gc,
        )
    if cfg.command == "pipeline":  # the bare interpreter, for the overhead ratios
        inv = bench_invoke(
            bundle,
            threads=cfg.pipeline_threads,
            runtime=cfg.runtime,
            batch=1,
            warmup=cfg.warmup_runs,
            runs=cfg.invoke_runs,
            disable_gc=cfg.disable_gc,
        )
        out.invoke_ms = inv.stats.median_ms
    live = cfg.command == "pipeline" and (cfg.live or is_live_source(str(cfg.source)))
    if cfg.command == "pipeline" and cfg.hand_frames is not None:
        out.pipeline, out.hands = measure_hands(cfg, bundle)
    elif live:
        out.pipeline = bench_pipeline_live(
            bundle,
            str(cfg.source),
            count=cfg.frames,
            warmup=cfg.warmup_frames,
            seed=cfg.seed,
            fps=cfg.fps,
            threads=cfg.pipeline_threads,
            runtime=cfg.runtime,
            smoothing=cfg.smoothing,
            disable_gc=cfg.disable_gc,
            segmenter=cfg.segmenter,
            outputs=cfg.outputs,
            keep_readings=cfg.keep_readings,
        )
    elif cfg.command in ("pipeline", "all"):
        pipe = None
        if bundle.preprocessing == "hand-landmarks":  # still images or tracking, as edge-run
            from benchmarks.hands_bench import hands_pipeline
            from edge.live.launch import source_kind

            kind = "image" if source_kind(str(cfg.source)) == "image" else "video"
            pipe = hands_pipeline(
                bundle,
                kind,
                threads=cfg.pipeline_threads,
                max_hands=cfg.max_hands,
                runtime=cfg.runtime,
                smoothing=cfg.smoothing,
            )
        out.pipeline = bench_pipeline(
            bundle,
            source=cfg.source,
            count=cfg.frames,
            pipeline=pipe,
            warmup=cfg.warmup_frames,
            seed=cfg.seed,
            digits=cfg.digits,
            scene_frames=cfg.scene_frames,
            threads=cfg.pipeline_threads,
            runtime=cfg.runtime,
            smoothing=cfg.smoothing,
            disable_gc=cfg.disable_gc,
            segmenter=cfg.segmenter,
            outputs=cfg.outputs and cfg.command == "pipeline",
            keep_readings=cfg.keep_readings,
        )
    return out


def measure_hands(cfg: BenchConfig, bundle: ModelBundle) -> tuple[PipelineResult, dict[str, Any] | None]:
    """``--hand-frames``: time the hands pipeline on frames made from ``cfg.source``'s photos
    (:mod:`benchmarks.hands_bench`); with ``--mediapipe-ref`` or ``both``, the comparison too.

    Returns:
        ``(result, comparison)``: the pipeline timed on the still frames (the video for
        ``video``), and :func:`benchmarks.hands_bench.compare_hands`'s result or ``None``.

    Raises:
        ValueError: no photos, a bundle that is not ``hand-landmarks``, a bad Python.
        RuntimeError: the MediaPipe environment cannot be built or its worker failed.
    """
    from benchmarks import hands_bench as hb
    from benchmarks.mediapipe_ref import mediapipe_python

    mode = str(cfg.hand_frames)
    frames = hb.load_hand_frames(str(cfg.source), mode, cfg.frames, cfg.seed)
    compare = cfg.mediapipe_ref is not None or mode == "both"
    common: dict[str, Any] = {"max_hands": cfg.max_hands, "runtime": cfg.runtime, "smoothing": cfg.smoothing}
    if mode != "still" or compare:
        still = hb.hands_pipeline(bundle, "image", threads=cfg.pipeline_threads, **common)
        hb.add_video(frames, still, cfg.video_frames, cfg.seed)
    kind, timed = ("video", frames.video) if mode == "video" else ("image", frames.still)
    main = hb.time_hands(
        bundle,
        timed,
        kind,
        threads=cfg.pipeline_threads,
        warmup=cfg.warmup_frames,
        disable_gc=cfg.disable_gc,
        outputs=cfg.outputs,
        source=f"{cfg.source} ({'video' if kind == 'video' else 'still'} frames)",
        **common,
    )
    if not compare:
        return main, None
    py = mediapipe_python(cfg.mediapipe_ref) if cfg.mediapipe_ref is not None else None
    hands = hb.compare_hands(
        bundle,
        frames,
        threads=tuple(cfg.compare_threads),
        warmup=cfg.warmup_frames,
        disable_gc=cfg.disable_gc,
        mediapipe=py,
        **common,
    )
    return main, hands


def pipeline_summary(
    cfg: BenchConfig, res: PipelineResult, overhead: dict[str, Any] | None
) -> dict[str, Any]:
    """The ``pipeline`` entry of the JSON results: task, FPS, budget, target check, overhead, live."""
    s = res.stats["process"]
    summary: dict[str, Any] = {
        "task": res.task,
        "segmenter": cfg.segmenter,
        "by_digits": res.by_digits(),
        "tail": res.tail(),
        "fps": res.fps,
        "budget_fraction_30fps": res.budget_fraction(),
        "target": {
            "median_ms": cfg.target_ms,
            "p99_over_median": TARGET_P99_RATIO,
            "median_ms_measured": s.median_ms,
            "p99_ms_measured": s.p99_ms,
            "pass": res.meets_target(cfg.target_ms),
        },
    }
    if overhead is not None:
        summary["overhead"] = overhead
    if res.live is not None:
        summary["live"] = res.live
    if res.palm_share is not None:
        summary["palm_share"] = res.palm_share
        summary["palm_ms_when_run"] = res.palm_ms_when_run()
    return summary


__all__ = ["BenchConfig", "BenchRun", "measure", "measure_hands", "pipeline_summary", "resolve_for_task"]
