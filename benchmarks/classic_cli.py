"""``edge-bench classic``: our digits pipeline vs OpenCV's classic recipe, side by side.

Examples::

    edge-bench classic --frames 500                       # mnist-grey, demo5 and demo sets
    edge-bench classic --sets mnist-grey --frames 200 --json classic.json
    edge-bench classic --digits-png ~/opencv/samples/data/digits.png

The recipe is :mod:`benchmarks.classic_digits` (its SVM trained once on OpenCV's
``digits.png`` and cached), the frame sets :mod:`benchmarks.classic_frames`, the
interleaved timing and scoring :mod:`benchmarks.classic_compare`. :mod:`benchmarks.cli`
dispatches here.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2

from benchmarks import report
from benchmarks.classic_compare import COLUMNS, side_by_side, stages_line, verdict
from benchmarks.classic_digits import ClassicDigitReader, load_or_train_svm
from benchmarks.classic_frames import FRAME_SETS, load_frame_set, shared_data_root
from benchmarks.machine import describe_machine, format_machine, runtime_version
from edge.cli.common import non_negative_int, positive_int
from edge.runtime import RUNTIMES


@dataclass
class ClassicBenchConfig:
    """Settings of one ``edge-bench classic`` run (saved in ``--json`` output).

    Attributes:
        model: our bundle (folder or shipped name).
        sets: frame sets of :data:`benchmarks.classic_frames.FRAME_SETS`.
        frames: timed frames per set.
        warmup: frames run through both sides and discarded first, per set.
        seed: seed of the frame sets.
        data_dir: folder holding ``opencv-digits/digits.png`` and ``mnist/`` (``None``:
            ``$EDGE_DATA_DIR`` or the checkout's ``../shared/data``).
        digits_png: OpenCV's ``digits.png`` (overrides ``data_dir``).
        smoothing: our pipeline with the temporal smoother and number grouping, as edge-run.
        threads: our interpreter threads (``None``: as edge-run).
        cv_threads: OpenCV's worker threads for the whole run (``cv2.setNumThreads``;
            ``None``: OpenCV's default, one per core). The classic recipe's resize,
            threshold and Sobel calls use them; our segmenter runs single-threaded
            anyway (``DigitSegmenterConfig.cv_threads``), so ``1`` compares one core
            against one core.
        runtime: our TFLite runtime.
        disable_gc: pause the garbage collector while timing.
        json: write machine, config and rows here.
        csv: write the rows here.
    """

    model: str = "digits"
    sets: list[str] = field(default_factory=lambda: list(FRAME_SETS))
    frames: int = 500
    warmup: int = 30
    seed: int = 0
    data_dir: str | None = None
    digits_png: str | None = None
    smoothing: bool = True
    threads: int | None = None
    cv_threads: int | None = None
    runtime: str = "auto"
    disable_gc: bool = False
    json: str | None = None
    csv: str | None = None


def add_parser(sub: Any, fmt: type[argparse.HelpFormatter]) -> argparse.ArgumentParser:
    """Add the ``classic`` sub-command to ``edge-bench``'s sub-parsers."""
    p = sub.add_parser(
        "classic",
        formatter_class=fmt,
        help="our digits pipeline vs OpenCV's classic recipe (adaptive threshold, contours, "
        "HOG, RBF SVM) on the same frames, interleaved: ms and accuracy",
        description="Time edge-run's digits pipeline and OpenCV's classic digit recipe "
        "(samples/python/digits.py + digits_video.py) frame by frame on the same frames, "
        "alternating which goes first, and score both against the ground truth.",
    )
    p.add_argument("--model", default="digits", help="our bundle folder or shipped name")
    p.add_argument(
        "--sets",
        nargs="+",
        choices=FRAME_SETS,
        default=list(FRAME_SETS),
        help="frame sets: mnist-grey (five MNIST test digits on grey paper, the issue's frame), "
        "demo5 (demo frames with five digits), demo (every demo frame)",
    )
    p.add_argument("--frames", type=positive_int, default=500, help="timed frames per set")
    p.add_argument("--warmup", type=non_negative_int, default=30, help="untimed frames first, per set")
    p.add_argument("--seed", type=int, default=0, help="seed of the frame sets")
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        default=None,
        help="folder holding opencv-digits/digits.png and mnist/; None: $EDGE_DATA_DIR or ../shared/data",
    )
    p.add_argument(
        "--digits-png",
        metavar="FILE",
        default=None,
        help="OpenCV's samples/data/digits.png to train the SVM on (overrides --data-dir)",
    )
    p.add_argument(
        "--smoothing",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="our pipeline with the temporal smoother and number grouping, as edge-run",
    )
    p.add_argument("--threads", type=positive_int, default=None, help="our interpreter threads")
    p.add_argument(
        "--cv-threads",
        type=positive_int,
        default=None,
        help="OpenCV worker threads for both sides (default: OpenCV's, one per core; 1: one core each)",
    )
    p.add_argument("--runtime", choices=RUNTIMES, default="auto", help="our TFLite runtime")
    p.add_argument("--no-gc", dest="disable_gc", action="store_true", help="pause the GC while timing")
    p.add_argument("--json", metavar="PATH", help="write machine, config and results as JSON")
    p.add_argument("--csv", metavar="PATH", help="write the results as CSV")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return p


def config_from_args(a: argparse.Namespace) -> ClassicBenchConfig:
    """The :class:`ClassicBenchConfig` of parsed ``edge-bench classic`` flags."""
    known = set(ClassicBenchConfig.__dataclass_fields__)
    return ClassicBenchConfig(**{k: v for k, v in vars(a).items() if k in known})


def _paths(cfg: ClassicBenchConfig) -> tuple[Path, Path | None]:
    root = Path(cfg.data_dir).expanduser() if cfg.data_dir else shared_data_root()
    png = Path(cfg.digits_png).expanduser() if cfg.digits_png else root / "opencv-digits" / "digits.png"
    mnist = root / "mnist" if (root / "mnist").is_dir() else (root if cfg.data_dir else None)
    return png, mnist


def run_classic(cfg: ClassicBenchConfig) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Load both readers, time every set, and return the rows and the machine description.

    Raises:
        ValueError: ``digits.png`` or MNIST missing, an unknown set; BundleError: our bundle.
    """
    from edge.pipeline import build_pipeline

    png, mnist = _paths(cfg)
    if cfg.cv_threads is not None:
        cv2.setNumThreads(cfg.cv_threads)
    t0 = time.perf_counter()
    svm = load_or_train_svm(png)
    svm_s = time.perf_counter() - t0
    reader = ClassicDigitReader(svm)
    pipeline = build_pipeline(
        cfg.model, smoothing=cfg.smoothing, num_threads=cfg.threads, runtime=cfg.runtime
    )
    bundle = getattr(pipeline.classifier, "bundle", None)
    machine = describe_machine(
        model_name=getattr(bundle, "name", cfg.model),
        model_sha256=(getattr(bundle, "meta", None) or {}).get("tflite_sha256"),
        threads=cfg.threads,
    )
    machine["runtime"] = getattr(pipeline.classifier, "runtime", None)
    machine["runtime_version"] = runtime_version(machine["runtime"])
    machine["classic_svm"] = svm.backend
    machine["classic_svm_load_s"] = round(svm_s, 3)
    machine["opencv_threads"] = cv2.getNumThreads()
    rows: list[dict[str, Any]] = []
    for name in cfg.sets:
        frames = load_frame_set(name, cfg.frames, seed=cfg.seed, mnist_dir=mnist)
        res = side_by_side(pipeline, reader, frames, warmup=cfg.warmup, disable_gc=cfg.disable_gc)
        rows += [res[side].as_row(name, side) for side in ("ours", "classic")]
    machine["loadavg_1m_after"] = _loadavg()
    return rows, machine


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def run_cli(cfg: ClassicBenchConfig) -> int:
    """Run ``edge-bench classic``: print the machine, the table and one verdict per set.

    Returns:
        0 (speed is reported, not checked).
    """
    rows, machine = run_classic(cfg)
    print("edge-bench classic: our digits pipeline vs OpenCV's classic recipe, same frames, interleaved")
    print(format_machine(machine))
    print(f"  classic SVM     {machine['classic_svm']} (loaded/trained in {machine['classic_svm_load_s']} s)")
    print(f"  OpenCV threads  {machine['opencv_threads']}")
    print(f"  load after      {machine['loadavg_1m_after']}")
    print()
    print(report.format_table(rows, COLUMNS))
    print()
    names = list(dict.fromkeys(r["set"] for r in rows))
    for name in names:
        print(stages_line(rows, name))
    print()
    for name in names:
        print(verdict(rows, name))
    if cfg.csv:
        print(f"\nwrote {report.write_csv(cfg.csv, rows)}")
    if cfg.json:
        print(f"wrote {report.write_json(cfg.json, rows, machine, asdict(cfg))}")
    return 0
