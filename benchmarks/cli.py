"""``edge-bench``: latency and FPS benchmarks to run on the target hardware.

Examples::

    edge-bench model --model digits --threads 1 2 --batch 1 5
    edge-bench pipeline --model digits --source demo --frames 500 --out results/
    edge-bench pipeline --model hands                    # demo-hands scene, skin segmenter
    edge-bench all --model digits --csv bench.csv --json bench.json
    edge-bench pipeline --model digits --reference x86_64-2core --check
    edge-bench latency --model digits --model digits-float32 --runtime all --threads 1 2 --out lat/

The model's task (digits or hands) sets what ``--source``, ``--segmenter`` and
``--target-ms`` default to: its demo scene, its segmenter as ``edge-run`` uses it, and
its budget (:data:`benchmarks.pipeline_bench.TARGET_MS_BY_TASK`).

Speed is reported, never asserted by tests: the exit code is 0 unless ``--check``
is given and the pipeline misses its target or a result is slower than its reference.
Errors (missing bundle, bad flag values) print ``error: ...`` and exit 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks import report
from benchmarks.latency import bench_invoke, bench_model
from benchmarks.latency_compare import RUNTIME_CHOICES, LatencyConfig, normalise_runtime, run_latency
from benchmarks.pipeline_bench import (
    BUDGET_FPS,
    SCENE_FRAMES,
    TARGET_MS_BY_TASK,
    TARGET_P99_RATIO,
    PipelineResult,
    bench_pipeline,
    bench_pipeline_live,
    default_source,
    is_live_source,
    overhead_ratios,
    parse_digit_range,
    target_ms_for,
)
from edge.bundle import BundleError, load_bundle
from edge.cli.common import non_negative_int, positive_float, positive_int, unit_float
from edge.live.launch import HAND_SEGMENTERS, segmenter_kwargs
from edge.runtime import RUNTIMES

log = logging.getLogger(__name__)

COMMANDS = ("model", "pipeline", "all", "latency")


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
    tolerance: float = report.REFERENCE_TOLERANCE
    outputs: bool = True
    invoke_runs: int = 300
    out: str | None = None
    live: bool = False
    fps: float = 30.0


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = argparse.ArgumentParser(
        prog="edge-bench", formatter_class=fmt,
        description="Latency and FPS benchmarks of the edge recogniser, to run on the target "
                    "hardware. Reports median and p99 after warm-up, with the machine described.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{model,pipeline,all,latency}")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", default="digits",
                        help="bundle folder or shipped name (digits, digits-float32, hands ...)")
    common.add_argument("--runtime", choices=RUNTIMES, default="auto", help="TFLite runtime")
    common.add_argument("--csv", metavar="PATH", help="write results as CSV")
    common.add_argument("--json", metavar="PATH",
                        help="write machine, config and results as JSON (usable as --reference)")
    common.add_argument("--reference", "--compare", dest="reference", metavar="FILE",
                        help="compare medians with earlier results: a --json file, an --out "
                             "folder's CSV, or a shipped name such as x86_64-2core")
    common.add_argument("--tolerance", type=unit_float, default=report.REFERENCE_TOLERANCE,
                        help="--reference: flag results further than this fraction from it")
    common.add_argument("--check", "--fail-on-regression", dest="check", action="store_true",
                        help="exit 1 if the pipeline misses --target-ms or a result is slower "
                             "than the reference by more than --tolerance")
    common.add_argument("--no-gc", dest="disable_gc", action="store_true",
                        help="pause Python's garbage collector during timed loops")
    common.add_argument("-v", "--verbose", action="store_true", help="log progress")

    model_opts = argparse.ArgumentParser(add_help=False)
    model_opts.add_argument("--threads", type=positive_int, nargs="+", default=[1],
                            help="interpreter thread counts to time")
    model_opts.add_argument("--batch", type=positive_int, nargs="+", default=[1],
                            help="batch sizes N (ROIs per call) to time")
    model_opts.add_argument("--runs", type=positive_int, default=1000, help="timed invokes")

    pipe_opts = argparse.ArgumentParser(add_help=False)
    pipe_opts.add_argument("--source", default=None,
                           help="frame source (demo, demo-hands, video file, image folder ...); "
                                "frames are read into memory before timing. None: the model "
                                "task's demo scene (digits: demo, hands: demo-hands)")
    pipe_opts.add_argument("--segmenter", choices=HAND_SEGMENTERS, default=None,
                           help="hands models: the hand segmenter, as edge-run --segmenter; "
                                "None: skin")
    pipe_opts.add_argument("--frames", type=positive_int, default=500, help="frames to time")
    pipe_opts.add_argument("--digits", metavar="N|LO..HI",
                           help="time only frames whose ground truth has this many objects "
                                "(demo: 1..5 digits; demo-hands: 0 or 1 hands); None: every frame")
    pipe_opts.add_argument("--seed", type=int, default=0, help="demo-scene seed")
    pipe_opts.add_argument("--scene-frames", type=positive_int, default=SCENE_FRAMES,
                           help="frames per demo sheet or room (edge-run's demos: 150, 180); "
                                "short scenes time every count of 1..5 digits and many rooms")
    pipe_opts.add_argument("--smoothing", action=argparse.BooleanOptionalAction, default=True,
                           help="include the temporal smoother, as edge-run does")
    budgets = ", ".join(f"{task} {ms:g}" for task, ms in TARGET_MS_BY_TASK.items())
    pipe_opts.add_argument("--target-ms", type=positive_float, default=None,
                           help=f"pipeline target: median ms per frame (p99 <= "
                                f"{TARGET_P99_RATIO:g}x median); None: the task's budget "
                                f"({budgets})")

    pm = sub.add_parser("model", parents=[common, model_opts], formatter_class=fmt,
                        help="interpreter latency of a bundle (invoke and classify)")
    pm.add_argument("--warmup", dest="warmup_runs", type=non_negative_int, default=50,
                    help="discarded invokes before timing")

    pp = sub.add_parser("pipeline", parents=[common, pipe_opts], formatter_class=fmt,
                        help="per-frame latency of the edge-run pipeline, stage by stage")
    pp.add_argument("--threads", dest="pipeline_threads", type=positive_int, default=None, metavar="N",
                    help="interpreter threads; None: the runtime's default, as edge-run")
    pp.add_argument("--warmup", dest="warmup_frames", type=non_negative_int, default=30,
                    help="frames processed and discarded before timing")
    pp.add_argument("--outputs", action=argparse.BooleanOptionalAction, default=True,
                    help="also time drawing the overlay and writing it to an .mp4 (temporary "
                         "folder), as edge-run --output does: rows draw, write, end_to_end")
    pp.add_argument("--live", action="store_true",
                    help="read each frame from the source while timing, as edge-run does: adds the "
                         "capture wait, end-to-end FPS and dropped frames (always on for cameras "
                         "and streams; the demos are then paced at --fps like a camera)")
    pp.add_argument("--fps", type=positive_float, default=30.0,
                    help="--live demos: the camera rate they are paced at (frames/s)")
    pp.add_argument("--invoke-runs", type=positive_int, default=300,
                    help="timed bare invokes (batch 1) first, for the overhead ratios")
    pp.add_argument("--out", metavar="DIR", default=None,
                    help="write pipeline.csv, pipeline.json, pipeline.md and pipeline.png here")

    pa = sub.add_parser("all", parents=[common, model_opts, pipe_opts], formatter_class=fmt,
                        help="the model and the pipeline benchmarks")
    pa.add_argument("--warmup", dest="warmup_runs", type=non_negative_int, default=50,
                    help="discarded invokes before each model timing")
    pa.add_argument("--frame-warmup", dest="warmup_frames", type=non_negative_int, default=30,
                    help="frames processed and discarded before the pipeline timing")
    pa.add_argument("--pipeline-threads", type=positive_int, default=None, metavar="N",
                    help="interpreter threads for the pipeline; None: the runtime's default, "
                         "as edge-run")

    pl = sub.add_parser("latency", formatter_class=fmt,
                        help="invoke latency of bundles x runtimes x threads side by side, "
                             "as ratios to the float32 bundle; CSV, JSON, markdown and PNG")
    pl.add_argument("--model", dest="models", action="append", default=None, metavar="M",
                    help="bundle folder or shipped name; repeat for several (float32, float16, "
                         "dynamic, int8 files of one model); None: digits")
    pl.add_argument("--runtime", dest="runtimes", nargs="+", default=["auto"], metavar="R",
                    help=f"runtimes to time, those not installed are skipped: "
                         f"{', '.join(RUNTIME_CHOICES)} (auto: the first installed; all: every "
                         "installed one; tf: tensorflow)")
    pl.add_argument("--threads", type=positive_int, nargs="+", default=[1],
                    help="interpreter thread counts to time")
    pl.add_argument("--batch", type=positive_int, nargs="+", default=[1],
                    help="batch sizes N (inputs per invoke) to time")
    pl.add_argument("--runs", type=positive_int, default=1000, help="timed invokes per row")
    pl.add_argument("--seconds", type=positive_float, default=None, metavar="S",
                    help="a time budget per row instead of --runs (runs from a short probe, "
                         "10..100000)")
    pl.add_argument("--warmup", dest="warmup_runs", type=non_negative_int, default=50,
                    help="discarded invokes before timing")
    pl.add_argument("--out", metavar="DIR", default=None,
                    help="write latency.csv, latency.json, latency.md and latency.png here")
    pl.add_argument("--no-gc", dest="disable_gc", action="store_true",
                    help="pause Python's garbage collector during timed loops")
    pl.add_argument("--tflite-runtime-python", metavar="PYTHON|auto", default=None,
                    help="when tflite-runtime cannot be imported here (it needs numpy<2): time its "
                         "rows in this Python's environment; auto: a cached virtualenv, built "
                         "with pip on first use. None: $EDGE_TFLITE_RUNTIME_PYTHON, else that "
                         "cache if already built")
    pl.add_argument("--no-accuracy", dest="accuracy", action="store_false",
                    help="skip measuring each file's accuracy")
    pl.add_argument("--data-dir", metavar="DIR", default=None,
                    help="MNIST for the accuracy of digits models (as edge-eval --data-dir); "
                         "None: $EDGE_DATA_DIR or the Keras cache")
    pl.add_argument("--images", metavar="DIR", default=None,
                    help="class folders of photos for the accuracy of other models (each photo "
                         "one ROI, as edge-eval --crop)")
    pl.add_argument("--accuracy-limit", type=positive_int, default=None, metavar="N",
                    help="measure accuracy on the first N images only")
    pl.add_argument("--op-profile", action="store_true",
                    help="also list each model's ops with their MACs and time it with and without "
                         "the runtime's default delegate (ops.md, ops.json in --out)")
    pl.add_argument("--compare", metavar="FILE", default=None,
                    help="compare medians row by row with an earlier latency.csv/latency.json or a "
                         "shipped reference name (e.g. x86_64-2core-latency)")
    pl.add_argument("--tolerance", type=unit_float, default=report.REFERENCE_TOLERANCE,
                    help="--compare: flag rows whose median is further than this fraction from "
                         "the reference")
    pl.add_argument("--check", "--fail-on-regression", dest="check", action="store_true",
                    help="exit 1 when a row is slower than --compare by more than --tolerance")
    pl.add_argument("-q", "--quiet", dest="progress", action="store_false",
                    help="no progress lines on stderr")
    pl.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return p


def parse_config(argv: list[str] | None = None) -> tuple[BenchConfig | LatencyConfig, bool]:
    """Parse the command line into a :class:`BenchConfig` (and the verbose flag).

    Task-dependent defaults (``source``, ``target_ms``) are filled in from the model's
    ``model.json`` when it can be read; otherwise :func:`run` fills them (or reports
    the bundle error).

    ``edge-bench latency`` gives a :class:`~benchmarks.latency_compare.LatencyConfig`.

    Raises:
        ValueError: a bad ``--digits`` range, or an unknown ``latency --runtime``.
    """
    a = build_parser().parse_args(argv)
    if a.command == "latency":
        for r in a.runtimes:
            normalise_runtime(r)  # ValueError: unknown runtime name
        known_l = set(LatencyConfig.__dataclass_fields__)
        kw_l = {k: v for k, v in vars(a).items() if k in known_l}
        kw_l["models"] = a.models or ["digits"]
        return LatencyConfig(**kw_l), bool(a.verbose)
    known = {f for f in BenchConfig.__dataclass_fields__}
    kw = {k: v for k, v in vars(a).items() if k in known}
    kw["digits"] = parse_digit_range(getattr(a, "digits", None))
    cfg = BenchConfig(**kw)
    try:
        cfg = resolve_for_task(cfg, load_bundle(cfg.model, verify_sha256=False).task)
    except (BundleError, ValueError):
        log.debug("task of %s unknown before loading it", cfg.model, exc_info=True)
    return cfg, bool(a.verbose)


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


# -- output -------------------------------------------------------------------
_MODEL_COLS = [
    ("metric", "metric", ""), ("threads", "thr", ""), ("batch", "batch", ""),
    ("count", "count", "d"), ("mean_ms", "mean ms", ".4f"), ("median_ms", "median ms", ".4f"),
    ("p90_ms", "p90 ms", ".4f"), ("p99_ms", "p99 ms", ".4f"), ("min_ms", "min ms", ".4f"),
    ("max_ms", "max ms", ".4f"), ("throughput_per_s", "inf/s", ".0f"),
]
_PIPE_COLS = [
    ("metric", "stage", ""), ("median_ms", "median ms", ".3f"), ("p90_ms", "p90 ms", ".3f"),
    ("p99_ms", "p99 ms", ".3f"), ("mean_ms", "mean ms", ".3f"), ("max_ms", "max ms", ".3f"),
    ("share_of_process", "share", ".0%"),
]


def _print_model(cfg: BenchConfig, results: list[Any], rows: list[dict[str, Any]]) -> None:
    print(f"\nmodel benchmark: {results[0].model} ({results[0].runtime}), warm-up "
          f"{cfg.warmup_runs}, runs {cfg.runs}; latency per call in ms")
    print(report.format_table(rows, _MODEL_COLS))
    print("\nin TFLite benchmark_model's format (µs):")
    for r in results:
        print(f"  [{r.metric} threads={r.threads} batch={r.batch}]")
        print(f"    {r.stats.benchmark_model_line()}")
        print(f"    {r.benchmark_model_summary()}")
    print("compare with: benchmark_model --graph=<bundle>/model.tflite --num_threads=T "
          f"--warmup_runs={cfg.warmup_runs} --num_runs={cfg.runs} (its 'Inference (avg)' "
          "matches 'invoke' avg; 'classify' adds quantise/dequantise and labels)")


def _print_pipeline(cfg: BenchConfig, res: PipelineResult, rows: list[dict[str, Any]]) -> bool:
    p = res.stats["process"]
    print(f"\npipeline benchmark: {res.model} ({res.runtime}, threads "
          f"{res.threads if res.threads is not None else 'runtime default'}), source "
          f"{cfg.source}, {res.frames} frames in memory (warm-up {res.warmup}), "
          f"{res.rois.mean():.2f} ROIs/frame; ms per frame")
    print(report.format_table(rows, _PIPE_COLS))
    print("  total: the pipeline's own timer, segment to smooth (incl. grouping); process: "
          "wall time of Pipeline.process;\n  process_cpu: CPU time used meanwhile (all threads; "
          "far below process = other programs had the CPUs)")
    by = res.by_digits()
    if len(by) > 1:
        key = next(iter(by[0]))
        print(f"\nprocess ms by {key} per frame:")
        print(report.format_table(by, [(key, key, "d"), ("frames", "frames", "d"),
                                       ("mean_rois", "ROIs", ".2f"),
                                       ("median_ms", "median ms", ".3f"),
                                       ("p99_ms", "p99 ms", ".3f")]))
    ok = res.meets_target(cfg.target_ms)
    print(f"\nfps {res.fps:.0f} (1000 / median process); {res.budget_fraction():.1%} of a "
          f"{BUDGET_FPS:.0f} fps frame budget ({1e3 / BUDGET_FPS:.1f} ms)")
    print(f"target ({res.task}): median <= {cfg.target_ms:g} ms and p99 <= {TARGET_P99_RATIO:g}x median: "
          f"median {p.median_ms:.3f} ms, p99 {p.p99_ms:.3f} ms "
          f"({p.p99_over_median:.2f}x) -> {'PASS' if ok else 'FAIL'}")
    return ok


def _print_live(lv: dict[str, Any]) -> None:
    rate = f"{lv['source_fps']:.1f} fps" if lv.get("source_fps") else "an unknown rate"
    print(f"\nlive: {lv['frames']} frames in {lv['wall_s']:.2f} s -> {lv['fps_end_to_end']:.1f} fps "
          f"end to end (capture wait included; source at {rate}); dropped frames "
          f"{lv['dropped']} ({lv['dropped_fraction']:.1%}, by {lv['dropped_method']})")


def _print_overhead(o: dict[str, Any]) -> None:
    def f(v: float | None, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    print(f"\noverhead over the bare interpreter (invoke median {o['bare_invoke_median_ms']:.4f} ms, "
          f"batch 1):")
    print(f"  classify per ROI / bare invoke: {f(o['classify_per_roi_over_invoke'], '.2f')}x "
          f"(classify per ROI median {f(o['classify_per_roi_median_ms'], '.4f')} ms)")
    print(f"  process / (bare invoke x {o['mean_rois']:.2f} ROIs/frame): "
          f"{f(o['process_over_invoke_x_rois'], '.2f')}x")


#: Rows of ``pipeline.csv``, ``.json`` and ``.md``, in order (``process_cpu`` is printed and in
#: ``--json``/``--csv``, not in the folder).
_FOLDER_METRICS = ("capture", "segment", "preprocess", "classify", "smooth", "total", "process",
                   "draw", "write", "end_to_end")


def _write_pipeline_folder(cfg: BenchConfig, res: PipelineResult, machine: dict[str, Any],
                           extra: dict[str, Any]) -> list[str]:
    """``pipeline.csv`` (one row per stage: median, p90, p99, mean, max ms and share of
    ``process``), ``pipeline.json``, ``pipeline.md`` and ``pipeline.png`` in ``cfg.out``."""
    keys = ("median_ms", "p90_ms", "p99_ms", "mean_ms", "max_ms")
    base = res.stats["process"].median_ms
    rows = []
    for m in _FOLDER_METRICS:
        if m not in res.stats:
            continue
        st = res.stats[m].as_dict()
        rows.append({"stage": m, **{k: st[k] for k in keys},
                     "share": st["median_ms"] / base if base > 0 else None,
                     # the identity of the row for --reference pipeline.csv
                     "benchmark": "pipeline", "metric": m, "model": res.model,
                     "runtime": res.runtime, "threads": res.threads, "batch": None})
    title = (f"edge-bench pipeline on {report.device_id(machine)} ({machine.get('cpu')}): "
             f"{res.model}, {res.frames} frames of {cfg.source}, {res.rois.mean():.2f} ROIs/frame")
    cols = [("stage", "stage", ""), *((k, k.replace("_ms", " ms"), ".3f") for k in keys),
            ("share", "share of process", ".0%")]
    o = extra.get("pipeline", {}).get("overhead")
    footer = ("total: the pipeline's own timer (segment to smooth); process: wall time of "
              "Pipeline.process; draw: draw_overlay; write: VideoSink (mp4v .mp4); "
              "end_to_end: process + draw + write.\n")
    lv = extra.get("pipeline", {}).get("live")
    if lv:
        footer += (f"\nlive ({res.source}): capture = the wait in source.read(); {lv['frames']} "
                   f"frames in {lv['wall_s']:.2f} s = {lv['fps_end_to_end']:.1f} fps end to end; "
                   f"source rate {lv['source_fps']}; dropped frames {lv['dropped']} "
                   f"({lv['dropped_fraction']:.1%}, by {lv['dropped_method']})\n")
    if o:
        footer += (f"\nbare invoke median {o['bare_invoke_median_ms']:.4f} ms; classify per ROI / "
                   f"bare invoke: {o['classify_per_roi_over_invoke'] or float('nan'):.2f}x; process / "
                   f"(bare invoke x mean ROIs): {o['process_over_invoke_x_rois'] or float('nan'):.2f}x\n")
    stages = ("capture", "segment", "preprocess", "classify", "smooth", "process", "draw", "write",
              "end_to_end")
    shown = [r for r in rows if r["stage"] in stages]
    colours = {"process": "tab:blue", "end_to_end": "tab:purple", "draw": "tab:orange",
               "write": "tab:red"}

    def chart(path: Any) -> Any:
        return report.bar_chart(
            path, [r["stage"] for r in shown], [r["median_ms"] for r in shown],
            [r["p99_ms"] for r in shown], title=title, horizontal=True,
            axis_label="ms per frame (bar: median, whisker: p99)",
            colours=[colours.get(r["stage"], "tab:gray") for r in shown],
            notes=[f"{r['median_ms']:.2f}" for r in shown])

    return report.write_results_folder(cfg.out, "pipeline", rows, machine, asdict(cfg),
                                       title=title, columns=cols, footer=footer, chart=chart,
                                       **extra)


def run(cfg: BenchConfig) -> int:
    """Run the benchmarks ``cfg`` asks for, print the report, write files.

    Returns:
        0, or 1 when ``cfg.check`` and the target or a reference check fails.

    Raises:
        BundleError, ValueError: bad bundle, source or settings.
    """
    bundle = load_bundle(cfg.model)
    cfg = resolve_for_task(cfg, bundle.task)
    ref_rows = (report.read_reference_rows(report.resolve_reference(cfg.reference))
                if cfg.reference else None)
    threads: Any = list(cfg.threads) if cfg.command == "model" else cfg.pipeline_threads
    if cfg.command == "all":
        threads = {"model": list(cfg.threads), "pipeline": cfg.pipeline_threads}
    # described before timing, so the load average is the other programs' load, not ours
    machine = report.describe_machine(model_name=bundle.name,
                                      model_sha256=bundle.meta.get("tflite_sha256"),
                                      threads=threads)
    rows: list[dict[str, Any]] = []
    model_results: list[Any] = []
    pipe_result: PipelineResult | None = None
    if cfg.command in ("model", "all"):
        model_results = bench_model(bundle, threads=list(cfg.threads), batches=list(cfg.batch),
                                    runtime=cfg.runtime, warmup=cfg.warmup_runs, runs=cfg.runs,
                                    disable_gc=cfg.disable_gc)
    invoke_ms: float | None = None
    if cfg.command == "pipeline":  # the bare interpreter, for the overhead ratios
        inv = bench_invoke(bundle, threads=cfg.pipeline_threads, runtime=cfg.runtime, batch=1,
                           warmup=cfg.warmup_runs, runs=cfg.invoke_runs,
                           disable_gc=cfg.disable_gc)
        invoke_ms = inv.stats.median_ms
    live = cfg.command == "pipeline" and (cfg.live or is_live_source(str(cfg.source)))
    if live:
        pipe_result = bench_pipeline_live(bundle, str(cfg.source), count=cfg.frames,
                                          warmup=cfg.warmup_frames, seed=cfg.seed, fps=cfg.fps,
                                          threads=cfg.pipeline_threads, runtime=cfg.runtime,
                                          smoothing=cfg.smoothing, disable_gc=cfg.disable_gc,
                                          segmenter=cfg.segmenter, outputs=cfg.outputs)
    elif cfg.command in ("pipeline", "all"):
        pipe_result = bench_pipeline(bundle, source=cfg.source, count=cfg.frames,
                                     warmup=cfg.warmup_frames, seed=cfg.seed, digits=cfg.digits,
                                     scene_frames=cfg.scene_frames,
                                     threads=cfg.pipeline_threads, runtime=cfg.runtime,
                                     smoothing=cfg.smoothing, disable_gc=cfg.disable_gc,
                                     segmenter=cfg.segmenter,
                                     outputs=cfg.outputs and cfg.command == "pipeline")
    machine["runtime"] = (model_results[0].runtime if model_results else
                          pipe_result.runtime if pipe_result else None)
    machine["runtime_version"] = report.runtime_version(machine["runtime"])
    print(f"edge-bench {cfg.command} on {report.device_id(machine)}")
    print(report.format_machine(machine))

    failed = False
    if model_results:
        mrows = [r.as_row() for r in model_results]
        _print_model(cfg, model_results, mrows)
        rows += mrows
    if pipe_result is not None:
        prows = pipe_result.as_rows()
        ok = _print_pipeline(cfg, pipe_result, prows)
        failed |= not ok
        rows += prows
    if pipe_result is not None and pipe_result.live is not None:
        _print_live(pipe_result.live)
    overhead = (overhead_ratios(pipe_result, invoke_ms)
                if pipe_result is not None and invoke_ms is not None else None)
    if overhead is not None:
        _print_overhead(overhead)

    comparison: list[dict[str, Any]] = []
    if ref_rows is not None:
        comparison = report.compare_with_reference(rows, ref_rows, cfg.tolerance)
        print()
        print(report.format_comparison(comparison, str(cfg.reference), cfg.tolerance))
        failed |= any(c["status"] == "slower" for c in comparison)

    extra: dict[str, Any] = {}
    if pipe_result is not None:
        s = pipe_result.stats["process"]
        extra["pipeline"] = {
            "task": pipe_result.task, "segmenter": cfg.segmenter,
            "by_digits": pipe_result.by_digits(), "fps": pipe_result.fps,
            "budget_fraction_30fps": pipe_result.budget_fraction(),
            "target": {"median_ms": cfg.target_ms, "p99_over_median": TARGET_P99_RATIO,
                       "median_ms_measured": s.median_ms, "p99_ms_measured": s.p99_ms,
                       "pass": pipe_result.meets_target(cfg.target_ms)},
        }
        if overhead is not None:
            extra["pipeline"]["overhead"] = overhead
        if pipe_result.live is not None:
            extra["pipeline"]["live"] = pipe_result.live
    if comparison:
        extra["reference"] = {"file": str(cfg.reference), "comparison": comparison}
    if cfg.csv:
        print(f"\nwrote {report.write_csv(cfg.csv, rows)}")
    if cfg.json:
        cfg_json = asdict(cfg)
        print(f"wrote {report.write_json(cfg.json, rows, machine, cfg_json, **extra)}")
    if cfg.out and pipe_result is not None:
        print()
        for line in _write_pipeline_folder(cfg, pipe_result, machine, extra):
            print(line)
    return 1 if (cfg.check and failed) else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``edge-bench`` (and ``python -m benchmarks``).

    Returns:
        0 on success, 1 when ``--check`` fails, 2 on errors.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # tf.lite's start-up chatter, not errors
    try:
        cfg, verbose = parse_config(argv)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return run_latency(cfg) if isinstance(cfg, LatencyConfig) else run(cfg)
    except (BundleError, ValueError, RuntimeError) as e:  # RuntimeError: no runtime, device
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
