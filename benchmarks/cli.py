"""``edge-bench``: latency and FPS benchmarks to run on the target hardware.

Examples::

    edge-bench model --model digits --threads 1 2 --batch 1 5
    edge-bench pipeline --model digits --source demo --frames 500 --out results/
    edge-bench pipeline --model hands                    # demo-hands scene, palm + landmarks
    edge-bench pipeline --model hands --source ../shared/data/rps --hand-frames both \
        --frames 48 --mediapipe-ref auto --out hands/    # vs MediaPipe's graph, same frames
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
import logging
import os
import sys
from dataclasses import asdict
from typing import Any

from benchmarks import report
from benchmarks.cli_latency import run_latency
from benchmarks.cli_output import (
    print_hands,
    print_live,
    print_model,
    print_overhead,
    print_pipeline,
    write_pipeline_folder,
)
from benchmarks.latency_compare import LatencyConfig, expand_models
from benchmarks.latency_runtimes import RUNTIME_CHOICES, normalise_runtime
from benchmarks.machine import describe_machine, device_id, format_machine, runtime_version
from benchmarks.pipeline_bench import (
    SCENE_FRAMES,
    TARGET_MS_BY_TASK,
    TARGET_P99_RATIO,
    overhead_ratios,
    parse_digit_range,
)
from benchmarks.reference import (
    REFERENCE_TOLERANCE,
    compare_with_reference,
    format_comparison,
    read_reference_rows,
    resolve_reference,
)
from benchmarks.suite import BenchConfig, measure, pipeline_summary, resolve_for_task
from edge.bundle import BundleError, load_bundle
from edge.cli.common import non_negative_int, positive_float, positive_int, unit_float
from edge.live.launch import HAND_SEGMENTERS
from edge.runtime import RUNTIMES

log = logging.getLogger(__name__)

COMMANDS = ("model", "pipeline", "all", "latency")


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = argparse.ArgumentParser(
        prog="edge-bench",
        formatter_class=fmt,
        description="Latency and FPS benchmarks of the edge recogniser, to run on the target "
        "hardware. Reports median and p99 after warm-up, with the machine described.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{model,pipeline,all,latency}")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--model", default="digits", help="bundle folder or shipped name (digits, digits-float32, hands ...)"
    )
    common.add_argument("--runtime", choices=RUNTIMES, default="auto", help="TFLite runtime")
    common.add_argument("--csv", metavar="PATH", help="write results as CSV")
    common.add_argument(
        "--json", metavar="PATH", help="write machine, config and results as JSON (usable as --reference)"
    )
    common.add_argument(
        "--reference",
        "--compare",
        dest="reference",
        metavar="FILE",
        help="compare medians with earlier results: a --json file, an --out "
        "folder's CSV, or a shipped name such as x86_64-2core",
    )
    common.add_argument(
        "--tolerance",
        type=unit_float,
        default=REFERENCE_TOLERANCE,
        help="--reference: flag results further than this fraction from it",
    )
    common.add_argument(
        "--check",
        "--fail-on-regression",
        dest="check",
        action="store_true",
        help="exit 1 if the pipeline misses --target-ms or a result is slower "
        "than the reference by more than --tolerance",
    )
    common.add_argument(
        "--no-gc",
        dest="disable_gc",
        action="store_true",
        help="pause Python's garbage collector during timed loops",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log progress")

    model_opts = argparse.ArgumentParser(add_help=False)
    model_opts.add_argument(
        "--threads", type=positive_int, nargs="+", default=[1], help="interpreter thread counts to time"
    )
    model_opts.add_argument(
        "--batch", type=positive_int, nargs="+", default=[1], help="batch sizes N (ROIs per call) to time"
    )
    model_opts.add_argument("--runs", type=positive_int, default=1000, help="timed invokes")

    pipe_opts = argparse.ArgumentParser(add_help=False)
    pipe_opts.add_argument(
        "--source",
        default=None,
        help="frame source (demo, demo-hands, video file, image folder ...); "
        "frames are read into memory before timing. None: the model "
        "task's demo scene (digits: demo, hands: demo-hands)",
    )
    pipe_opts.add_argument(
        "--segmenter",
        choices=HAND_SEGMENTERS,
        default=None,
        help="hands models: the hand segmenter, as edge-run --segmenter; None: skin",
    )
    pipe_opts.add_argument("--frames", type=positive_int, default=500, help="frames to time")
    pipe_opts.add_argument(
        "--digits",
        metavar="N|LO..HI",
        help="time only frames whose ground truth has this many objects "
        "(demo: 1..5 digits; demo-hands: 0 or 1 hands); None: every frame",
    )
    pipe_opts.add_argument("--seed", type=int, default=0, help="demo-scene seed")
    pipe_opts.add_argument(
        "--scene-frames",
        type=positive_int,
        default=SCENE_FRAMES,
        help="frames per demo sheet or room (edge-run's demos: 150, 180); "
        "short scenes time every count of 1..5 digits and many rooms",
    )
    pipe_opts.add_argument(
        "--smoothing",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="include the temporal smoother, as edge-run does",
    )
    budgets = ", ".join(f"{task} {ms:g}" for task, ms in TARGET_MS_BY_TASK.items())
    pipe_opts.add_argument(
        "--target-ms",
        type=positive_float,
        default=None,
        help=f"pipeline target: median ms per frame (p99 <= "
        f"{TARGET_P99_RATIO:g}x median); None: the task's budget "
        f"({budgets})",
    )

    pm = sub.add_parser(
        "model",
        parents=[common, model_opts],
        formatter_class=fmt,
        help="interpreter latency of a bundle (invoke and classify)",
    )
    pm.add_argument(
        "--warmup",
        dest="warmup_runs",
        type=non_negative_int,
        default=50,
        help="discarded invokes before timing",
    )

    pp = sub.add_parser(
        "pipeline",
        parents=[common, pipe_opts],
        formatter_class=fmt,
        help="per-frame latency of the edge-run pipeline, stage by stage",
    )
    pp.add_argument(
        "--threads",
        dest="pipeline_threads",
        type=positive_int,
        default=None,
        metavar="N",
        help="interpreter threads; None: the runtime's default, as edge-run",
    )
    pp.add_argument(
        "--warmup",
        dest="warmup_frames",
        type=non_negative_int,
        default=30,
        help="frames processed and discarded before timing",
    )
    pp.add_argument(
        "--outputs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time drawing the overlay and writing it to an .mp4 (temporary "
        "folder), as edge-run --output does: rows draw, write, end_to_end",
    )
    pp.add_argument(
        "--live",
        action="store_true",
        help="read each frame from the source while timing, as edge-run does: adds the "
        "capture wait, end-to-end FPS and dropped frames (always on for cameras "
        "and streams; the demos are then paced at --fps like a camera)",
    )
    pp.add_argument(
        "--fps",
        type=positive_float,
        default=30.0,
        help="--live demos: the camera rate they are paced at (frames/s)",
    )
    pp.add_argument(
        "--invoke-runs",
        type=positive_int,
        default=300,
        help="timed bare invokes (batch 1) first, for the overhead ratios",
    )
    pp.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="write pipeline.csv, pipeline.json, pipeline.md and pipeline.png here",
    )
    hands = pp.add_argument_group("hands (palm detector + landmarks)")
    hands.add_argument(
        "--hand-frames",
        choices=("still", "video", "both"),
        default=None,
        help="time 640x480 frames made from --source DIR of hand photos: still (one "
        "frame per photo, palm detector on each), video (one photo held in view, "
        "tracked) or both (and the video/still ratio)",
    )
    hands.add_argument("--video-frames", type=positive_int, default=150, help="frames of the held-hand video")
    hands.add_argument(
        "--max-hands",
        type=positive_int,
        default=1,
        help="hands looked for (ours and MediaPipe's graph alike)",
    )
    hands.add_argument(
        "--mediapipe-ref",
        nargs="?",
        const="auto",
        default=None,
        metavar="auto|PYTHON",
        help="also time MediaPipe's C++ Hands graph (mediapipe 0.10.21) on the same "
        "frames: auto = a cached virtualenv built with pip on first use, or the "
        "python of an environment that has it (needs --hand-frames)",
    )
    hands.add_argument(
        "--compare-threads",
        type=positive_int,
        nargs="+",
        default=[1, 2],
        metavar="T",
        help="our interpreter threads in the MediaPipe comparison",
    )

    pa = sub.add_parser(
        "all",
        parents=[common, model_opts, pipe_opts],
        formatter_class=fmt,
        help="the model and the pipeline benchmarks",
    )
    pa.add_argument(
        "--warmup",
        dest="warmup_runs",
        type=non_negative_int,
        default=50,
        help="discarded invokes before each model timing",
    )
    pa.add_argument(
        "--frame-warmup",
        dest="warmup_frames",
        type=non_negative_int,
        default=30,
        help="frames processed and discarded before the pipeline timing",
    )
    pa.add_argument(
        "--pipeline-threads",
        type=positive_int,
        default=None,
        metavar="N",
        help="interpreter threads for the pipeline; None: the runtime's default, as edge-run",
    )

    pl = sub.add_parser(
        "latency",
        formatter_class=fmt,
        help="invoke latency of bundles x runtimes x threads side by side, "
        "as ratios to the float32 bundle; CSV, JSON, markdown and PNG",
    )
    pl.add_argument(
        "--model",
        dest="models",
        action="append",
        default=None,
        metavar="M",
        help="bundle folder or shipped name; repeat for several (float32, float16, "
        "dynamic, int8 files of one model); hands-pretrained: the four fetched MediaPipe "
        "files (mediapipe-palm-detection-lite ...); None: digits",
    )
    pl.add_argument(
        "--runtime",
        dest="runtimes",
        nargs="+",
        default=["auto"],
        metavar="R",
        help=f"runtimes to time, those not installed are skipped: "
        f"{', '.join(RUNTIME_CHOICES)} (auto: the first installed; all: every "
        "installed one; tf: tensorflow)",
    )
    pl.add_argument(
        "--threads", type=positive_int, nargs="+", default=[1], help="interpreter thread counts to time"
    )
    pl.add_argument(
        "--batch", type=positive_int, nargs="+", default=[1], help="batch sizes N (inputs per invoke) to time"
    )
    pl.add_argument("--runs", type=positive_int, default=1000, help="timed invokes per row")
    pl.add_argument(
        "--seconds",
        type=positive_float,
        default=None,
        metavar="S",
        help="a time budget per row instead of --runs (runs from a short probe, 10..100000)",
    )
    pl.add_argument(
        "--warmup",
        dest="warmup_runs",
        type=non_negative_int,
        default=50,
        help="discarded invokes before timing",
    )
    pl.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="write latency.csv, latency.json, latency.md and latency.png here",
    )
    pl.add_argument(
        "--no-gc",
        dest="disable_gc",
        action="store_true",
        help="pause Python's garbage collector during timed loops",
    )
    pl.add_argument(
        "--tflite-runtime-python",
        metavar="PYTHON|auto",
        default=None,
        help="when tflite-runtime cannot be imported here (it needs numpy<2): time its "
        "rows in this Python's environment; auto: a cached virtualenv, built "
        "with pip on first use. None: $EDGE_TFLITE_RUNTIME_PYTHON, else that "
        "cache if already built",
    )
    pl.add_argument(
        "--no-accuracy", dest="accuracy", action="store_false", help="skip measuring each file's accuracy"
    )
    pl.add_argument(
        "--data-dir",
        metavar="DIR",
        default=None,
        help="MNIST for the accuracy of digits models (as edge-eval --data-dir); "
        "None: $EDGE_DATA_DIR or the Keras cache",
    )
    pl.add_argument(
        "--images",
        metavar="DIR",
        default=None,
        help="class folders of photos for the accuracy of other models (each photo "
        "one ROI, as edge-eval --crop)",
    )
    pl.add_argument(
        "--accuracy-limit",
        type=positive_int,
        default=None,
        metavar="N",
        help="measure accuracy on the first N images only",
    )
    pl.add_argument(
        "--op-profile",
        action="store_true",
        help="also list each model's ops with their MACs and time it with and without "
        "the runtime's default delegate (ops.md, ops.json in --out)",
    )
    pl.add_argument(
        "--compare",
        metavar="FILE",
        default=None,
        help="compare medians row by row with an earlier latency.csv/latency.json or a "
        "shipped reference name (e.g. x86_64-2core-latency)",
    )
    pl.add_argument(
        "--tolerance",
        type=unit_float,
        default=REFERENCE_TOLERANCE,
        help="--compare: flag rows whose median is further than this fraction from the reference",
    )
    pl.add_argument(
        "--check",
        "--fail-on-regression",
        dest="check",
        action="store_true",
        help="exit 1 when a row is slower than --compare by more than --tolerance",
    )
    pl.add_argument(
        "-q", "--quiet", dest="progress", action="store_false", help="no progress lines on stderr"
    )
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
        kw_l["models"] = expand_models(a.models or ["digits"])
        return LatencyConfig(**kw_l), bool(a.verbose)
    known = {f for f in BenchConfig.__dataclass_fields__}
    kw = {k: v for k, v in vars(a).items() if k in known}
    kw["digits"] = parse_digit_range(getattr(a, "digits", None))
    if kw.get("mediapipe_ref") is not None and kw.get("hand_frames") is None:
        kw["hand_frames"] = "both"  # the comparison needs the still frames and the video
    cfg = BenchConfig(**kw)
    try:
        b = load_bundle(cfg.model, verify_sha256=False)
        cfg = resolve_for_task(cfg, b.task, b.preprocessing)
    except (BundleError, ValueError):
        log.debug("task of %s unknown before loading it", cfg.model, exc_info=True)
    return cfg, bool(a.verbose)


def run(cfg: BenchConfig) -> int:
    """Run the benchmarks ``cfg`` asks for, print the report, write files.

    Returns:
        0, or 1 when ``cfg.check`` and the target or a reference check fails.

    Raises:
        BundleError, ValueError: bad bundle, source or settings.
    """
    bundle = load_bundle(cfg.model)
    cfg = resolve_for_task(cfg, bundle.task, bundle.preprocessing)
    ref_rows = read_reference_rows(resolve_reference(cfg.reference)) if cfg.reference else None
    threads: Any = list(cfg.threads) if cfg.command == "model" else cfg.pipeline_threads
    if cfg.command == "all":
        threads = {"model": list(cfg.threads), "pipeline": cfg.pipeline_threads}
    # described before timing, so the load average is the other programs' load, not ours
    machine = describe_machine(
        model_name=bundle.name, model_sha256=bundle.meta.get("tflite_sha256"), threads=threads
    )
    timed = measure(cfg, bundle)
    model_results, pipe_result = timed.model_results, timed.pipeline
    machine["runtime"] = (
        model_results[0].runtime if model_results else pipe_result.runtime if pipe_result else None
    )
    machine["runtime_version"] = runtime_version(machine["runtime"])
    print(f"edge-bench {cfg.command} on {device_id(machine)}")
    print(format_machine(machine))

    rows: list[dict[str, Any]] = []
    failed = False
    if model_results:
        mrows = [r.as_row() for r in model_results]
        print_model(cfg, model_results, mrows)
        rows += mrows
    if pipe_result is not None:
        prows = pipe_result.as_rows()
        ok = print_pipeline(cfg, pipe_result, prows)
        failed |= not ok
        rows += prows
    if pipe_result is not None and pipe_result.live is not None:
        print_live(pipe_result.live)
    if timed.hands is not None:
        print_hands(timed.hands)
    overhead = (
        overhead_ratios(pipe_result, timed.invoke_ms)
        if pipe_result is not None and timed.invoke_ms is not None
        else None
    )
    if overhead is not None:
        print_overhead(overhead)

    comparison: list[dict[str, Any]] = []
    if ref_rows is not None:
        comparison = compare_with_reference(rows, ref_rows, cfg.tolerance)
        print()
        print(format_comparison(comparison, str(cfg.reference), cfg.tolerance))
        failed |= any(c["status"] == "slower" for c in comparison)

    extra: dict[str, Any] = {}
    if pipe_result is not None:
        extra["pipeline"] = pipeline_summary(cfg, pipe_result, overhead)
    if timed.hands is not None:
        extra["hands_comparison"] = timed.hands
    if comparison:
        extra["reference"] = {"file": str(cfg.reference), "comparison": comparison}
    if cfg.csv:
        print(f"\nwrote {report.write_csv(cfg.csv, rows)}")
    if cfg.json:
        cfg_json = asdict(cfg)
        print(f"wrote {report.write_json(cfg.json, rows, machine, cfg_json, **extra)}")
    if cfg.out and pipe_result is not None:
        print()
        for line in write_pipeline_folder(cfg.out, cfg, pipe_result, machine, extra):
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
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return run_latency(cfg) if isinstance(cfg, LatencyConfig) else run(cfg)
    except (BundleError, ValueError, RuntimeError) as e:  # RuntimeError: no runtime, device
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
