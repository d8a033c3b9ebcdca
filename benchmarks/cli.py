"""``edge-bench``: latency and FPS benchmarks to run on the target hardware.

Examples::

    edge-bench model --model digits --threads 1 2 --batch 1 5
    edge-bench pipeline --model digits --source demo --frames 500 --out results/
    edge-bench pipeline --model hands                    # demo-hands scene, palm + landmarks
    edge-bench pipeline --model hands --source ../shared/data/rps --hand-frames both \
        --frames 48 --mediapipe-ref auto --out hands/    # vs MediaPipe's graph, same frames
    edge-bench all --model digits --csv bench.csv --json bench.json
    edge-bench pipeline --model digits --reference x86_64-2core --check
    edge-bench latency --model digits-int8 --model digits-float32 --runtime all --threads 1 2 --out lat/
    edge-bench soak --frames 100000 --json soak.json     # RSS over a long run (benchmarks.soak)
    edge-bench classic --frames 500                      # vs OpenCV's HOG+SVM recipe (benchmarks.classic_cli)

The model's task (digits or hands) sets what ``--source``, ``--segmenter`` and
``--target-ms`` default to: its demo scene, its segmenter as ``edge-run`` uses it, and
its budget (:data:`benchmarks.pipeline_bench.TARGET_MS_BY_TASK`).

Speed is reported, never asserted by tests: the exit code is 0 unless ``--check``
is given and the pipeline misses its target or a result is slower than its reference.
Errors (missing bundle, bad flag values) print ``error: ...`` and exit 2.

The sub-commands and flags are :mod:`benchmarks.cli_args`; the printing
:mod:`benchmarks.cli_output` and :mod:`benchmarks.cli_latency`.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import asdict
from typing import Any

from benchmarks import report
from benchmarks.classic_cli import ClassicBenchConfig
from benchmarks.classic_cli import config_from_args as classic_config
from benchmarks.classic_cli import run_cli as run_classic_cli
from benchmarks.cli_args import build_parser
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
from benchmarks.latency_runtimes import normalise_runtime
from benchmarks.machine import describe_machine, device_id, format_machine, runtime_version
from benchmarks.pipeline_bench import overhead_ratios, parse_digit_range
from benchmarks.reference import (
    compare_with_reference,
    cpu_difference,
    format_comparison,
    read_reference_machine,
    read_reference_rows,
    resolve_reference,
)
from benchmarks.soak import SoakConfig
from benchmarks.soak_cli import config_from_args
from benchmarks.soak_cli import run_cli as run_soak_cli
from benchmarks.suite import BenchConfig, measure, pipeline_summary, resolve_for_task
from edge.bundle import BundleError, load_bundle

log = logging.getLogger(__name__)


def parse_config(
    argv: list[str] | None = None,
) -> tuple[BenchConfig | LatencyConfig | SoakConfig | ClassicBenchConfig, bool]:
    """Parse the command line into a :class:`BenchConfig` (and the verbose flag).

    Task-dependent defaults (``source``, ``target_ms``) are filled in from the model's
    ``model.json`` when it can be read; otherwise :func:`run` fills them (or reports
    the bundle error).

    ``edge-bench latency`` gives a :class:`~benchmarks.latency_compare.LatencyConfig`,
    ``edge-bench soak`` a :class:`~benchmarks.soak.SoakConfig`, ``edge-bench classic`` a
    :class:`~benchmarks.classic_cli.ClassicBenchConfig`.

    Raises:
        ValueError: a bad ``--digits`` range, or an unknown ``latency --runtime``.
    """
    a = build_parser().parse_args(argv)
    if a.command == "soak":
        return config_from_args(a), bool(a.verbose)
    if a.command == "classic":
        return classic_config(a), bool(a.verbose)
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
    other_cpu: str | None = None
    if ref_rows is not None:
        assert cfg.reference is not None
        ref_path = resolve_reference(cfg.reference)
        other_cpu = cpu_difference(machine, read_reference_machine(ref_path))
        comparison = compare_with_reference(rows, ref_rows, cfg.tolerance, other_cpu=other_cpu)
        print()
        print(format_comparison(comparison, str(cfg.reference), cfg.tolerance, other_cpu=other_cpu))
        failed |= any(c["status"] == "slower" for c in comparison)

    extra: dict[str, Any] = {}
    if pipe_result is not None:
        extra["pipeline"] = pipeline_summary(cfg, pipe_result, overhead)
    if timed.hands is not None:
        extra["hands_comparison"] = timed.hands
    if comparison:
        extra["reference"] = {"file": str(cfg.reference), "other_cpu": other_cpu, "comparison": comparison}
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
        0 on success, 1 when ``--check`` fails (``soak``: the memory grew too much), 2 on errors.
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
        if isinstance(cfg, SoakConfig):
            return run_soak_cli(cfg)
        if isinstance(cfg, ClassicBenchConfig):
            return run_classic_cli(cfg)
        return run_latency(cfg) if isinstance(cfg, LatencyConfig) else run(cfg)
    except (BundleError, ValueError, RuntimeError) as e:  # RuntimeError: no runtime, device
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
