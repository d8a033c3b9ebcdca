"""``edge-bench``'s command line: the sub-commands and their flags (:func:`build_parser`).

Turning the parsed flags into a configuration and running it is :mod:`benchmarks.cli`.
"""

from __future__ import annotations

import argparse

from benchmarks.classic_cli import add_parser as add_classic_parser
from benchmarks.latency_runtimes import RUNTIME_CHOICES
from benchmarks.pipeline_bench import SCENE_FRAMES, TARGET_MS_BY_TASK, TARGET_P99_RATIO
from benchmarks.reference import REFERENCE_TOLERANCE
from benchmarks.soak_cli import add_parser as add_soak_parser
from edge.cli.common import HelpFormatter, non_negative_int, positive_float, positive_int, unit_float
from edge.live.launch import HAND_SEGMENTERS
from edge.runtime import RUNTIMES

COMMANDS = ("model", "pipeline", "all", "latency", "soak", "classic")


def build_parser() -> argparse.ArgumentParser:
    fmt = HelpFormatter
    p = argparse.ArgumentParser(
        prog="edge-bench",
        formatter_class=fmt,
        description="Latency and FPS benchmarks of the edge recogniser, to run on the target "
        "hardware. Reports median and p99 after warm-up, with the machine described.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")

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
    pipe_opts.add_argument(
        "--keep-readings",
        type=non_negative_int,
        default=3,
        metavar="N",
        help="digits, live: frames a digit's sure reading is kept while its ink does not change "
        "(edge.read_cache; 0: every digit read afresh every frame, to compare in one session)",
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
        "--accuracy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure each file's accuracy (--no-accuracy skips it)",
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
    add_soak_parser(sub, fmt)
    add_classic_parser(sub, fmt)
    return p
