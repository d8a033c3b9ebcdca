"""``edge-bench soak``'s flags (:func:`add_parser`), its configuration and its report.

The measuring is :mod:`benchmarks.soak`; :mod:`benchmarks.cli` dispatches here.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from benchmarks import report
from benchmarks.machine import describe_machine, format_machine
from benchmarks.soak import DEFAULT_MAX_GROWTH_MIB, Sample, SoakConfig, SoakResult, run_soak
from edge.cli.common import non_negative_int, positive_float, positive_int
from edge.live import INTERRUPTS
from edge.runtime import RUNTIMES

#: Columns of the curve (:func:`benchmarks.report.format_table`).
CURVE_COLUMNS = (
    ("frames", "frames", "d"),
    ("seconds", "seconds", ".1f"),
    ("rss_mib", "RSS MiB", ".2f"),
    ("traced_mib", "traced MiB", ".2f"),
    ("heap_in_use_mib", "C heap in use MiB", ".2f"),
    ("heap_free_mib", "C heap free MiB", ".2f"),
)


def add_parser(sub: Any, fmt: type[argparse.HelpFormatter]) -> argparse.ArgumentParser:
    """Add the ``soak`` sub-command to ``edge-bench``'s sub-parsers."""
    p = sub.add_parser(
        "soak",
        formatter_class=fmt,
        help="long run: RSS over N frames of the live loop, growth after warm-up",
        description="Run N frames through the loop edge-run uses, sample this process's RSS "
        "every K frames, report the curve and the growth after warm-up (least-squares line); "
        "exit 1 when it grows more than --max-growth-mib.",
    )
    p.add_argument("--model", default="digits", help="bundle folder or shipped name (digits, hands ...)")
    p.add_argument(
        "--source",
        default=None,
        help="frame source; None: the model task's demo scene (digits: demo, hands: demo-hands)",
    )
    p.add_argument("--frames", type=positive_int, default=100_000, help="frames to run")
    p.add_argument("--every", type=positive_int, default=1000, help="frames between memory samples")
    p.add_argument(
        "--warmup",
        type=non_negative_int,
        default=None,
        help="frames before the growth is measured; None: 5000, at most a fifth of --frames",
    )
    p.add_argument(
        "--max-growth-mib",
        type=positive_float,
        default=DEFAULT_MAX_GROWTH_MIB,
        help="exit 1 when RSS grows more than this after warm-up (MiB, from the fitted line)",
    )
    p.add_argument("--seed", type=int, default=0, help="demo-scene seed")
    p.add_argument(
        "--smoothing",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="include the temporal smoother, as edge-run does",
    )
    p.add_argument("--threads", type=positive_int, default=None, help="interpreter threads; None: default")
    p.add_argument("--runtime", choices=RUNTIMES, default="auto", help="TFLite runtime")
    p.add_argument(
        "--overlay", action="store_true", help="draw each frame's overlay, as a window or video would"
    )
    p.add_argument("--jsonl", metavar="PATH", default=None, help="also write JSON Lines here, as edge-run")
    p.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also sample the memory Python allocates (slower; tells Python from native growth)",
    )
    p.add_argument(
        "--trace",
        nargs=2,
        type=positive_int,
        metavar=("A", "B"),
        default=None,
        help="tracemalloc snapshots at frames A and B: list the lines whose memory grew most",
    )
    p.add_argument(
        "--malloc-trim",
        action="store_true",
        help="return freed C heap to the system (glibc malloc_trim) before each sample: "
        "fragmentation then does not count as growth",
    )
    p.add_argument(
        "--heap-trim",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="frames between the live loop's heap trims (glibc malloc_trim), as edge-run does; "
        "0: never; None: EDGE_HEAP_TRIM_FRAMES, else 2000",
    )
    p.add_argument("--json", metavar="PATH", default=None, help="write machine, config, curve, growth")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return p


def config_from_args(a: argparse.Namespace) -> SoakConfig:
    """The :class:`SoakConfig` of parsed ``edge-bench soak`` flags."""
    known = set(SoakConfig.__dataclass_fields__)
    kw = {k: v for k, v in vars(a).items() if k in known}
    if kw.get("trace") is not None:
        kw["trace"] = tuple(kw["trace"])
    return SoakConfig(**kw)


def curve_rows(result: SoakResult, growth: dict[str, Any]) -> list[dict[str, Any]]:
    """The samples to print: start, the warm-up baseline, every 10,000 frames, about 20 evenly
    spaced, the end (all, when there are at most 25)."""
    samples = result.samples
    if len(samples) > 25:
        stride = len(samples) // 20
        keep = {0, len(samples) - 1, *range(0, len(samples), stride)}
        keep |= {i for i, s in enumerate(samples) if s.frames % 10_000 == 0}
        keep |= {next((i for i, s in enumerate(samples) if s.frames >= result.warmup_frames), 0)}
        samples = [samples[i] for i in sorted(keep)]
    return [asdict(s) for s in samples]


def verdict(result: SoakResult, growth: dict[str, Any]) -> str:
    """One line: PASS/FAIL, the growth after warm-up, the slope and the raw change."""
    g = growth
    if g["growth_mib"] is None:
        return f"no verdict: fewer than 3 samples after warm-up (frame {result.warmup_frames})"
    line = (
        f"{'PASS' if g['ok'] else 'FAIL'}: RSS {g['growth_mib']:+.2f} MiB after warm-up "
        f"(fitted over frames {result.warmup_frames}..{result.frames}; allowed "
        f"{g['max_growth_mib']:g}), slope {g['slope_kib_per_1000']:+.1f} KiB per 1,000 frames; "
        f"RSS {g['start_mib']:.1f} at start, {g['warmup_mib']:.1f} after warm-up, "
        f"{g['end_mib']:.1f} at the end (peak {g['peak_mib']:.1f}; peak of the second half "
        f"{g['peak_growth_mib']:+.1f} against the first)"
    )
    if g.get("heap_in_use_growth_mib") is not None:
        line += (
            f"; C heap in use {g['heap_in_use_growth_mib']:+.2f} MiB "
            f"({g['heap_in_use_warmup_mib']:.1f} after warm-up, {g['heap_in_use_end_mib']:.1f} at the end)"
        )
    if g.get("heap_trims"):
        line += (
            f"; heap trimmed {g['heap_trims']} times (every {g['heap_trim_every']} frames, "
            f"{g['heap_trim_ms_mean']:.1f} ms each, at most {g['heap_trim_ms_max']:.1f})"
        )
    if g.get("traced_growth_mib") is not None:
        line += (
            f"; Python-traced {g['traced_growth_mib']:+.2f} MiB "
            f"({g['traced_slope_kib_per_1000']:+.1f} KiB per 1,000 frames)"
        )
    return line


def run_cli(cfg: SoakConfig) -> int:
    """Run the soak, print progress (stderr), the curve and the verdict; write ``--json``.

    Ctrl-C or SIGTERM stops the run early and reports the curve so far.

    Returns:
        0 when the growth after warm-up is within ``--max-growth-mib``, else 1.

    Raises:
        ValueError, RuntimeError, edge.bundle.BundleError: see :func:`benchmarks.soak.run_soak`.
    """

    def progress(s: Sample) -> None:
        traced = f", traced {s.traced_mib:.2f} MiB" if s.traced_mib is not None else ""
        if s.heap_in_use_mib is not None and s.heap_free_mib is not None:
            traced += f", C heap {s.heap_in_use_mib:.2f} in use + {s.heap_free_mib:.2f} free MiB"
        print(f"soak: {s.frames} frames, {s.seconds:.0f} s, RSS {s.rss_mib:.2f} MiB{traced}", file=sys.stderr)

    machine = describe_machine(model_name=cfg.model)
    with INTERRUPTS.installed():  # SIGTERM too ends the run with the report of the curve so far
        result = run_soak(cfg, on_sample=progress)
    growth = result.growth(cfg.max_growth_mib)
    stopped = f" (interrupted; {cfg.frames} asked)" if result.interrupted else ""
    print(f"edge-bench soak: {result.model} on {result.source}, {result.frames} frames{stopped}")
    print(format_machine(machine))
    print()
    print(report.format_table(curve_rows(result, growth), CURVE_COLUMNS))
    if result.trace_top:
        a, b = cfg.trace or (0, 0)
        print(f"\nPython allocations grown most between frames {a} and {b} (tracemalloc):")
        for line in result.trace_top:
            print(f"  {line}")
    print()
    print(verdict(result, growth))
    if cfg.json:
        path = report.write_json(
            cfg.json,
            [asdict(s) for s in result.samples],
            machine,
            asdict(cfg),
            growth=growth,
            frames_run=result.frames,
            interrupted=result.interrupted,
            trace_top=result.trace_top,
            summary=result.stats.summary() if result.stats is not None else [],
        )
        print(f"wrote {path}")
    return 0 if growth["ok"] else 1
