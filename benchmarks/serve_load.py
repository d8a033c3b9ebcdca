"""Load test of the web view: does the pipeline keep its speed while many browsers watch?

Runs the same loop as ``edge-run --serve`` (:func:`edge.live.run` with the web view
:class:`edge.sinks.web.LiveServer` as a sink, the shipped
model on the ``demo`` scene) in this process, three times per pacing:

- ``no-server``: the loop alone;
- ``idle``: with the web server listening and nobody watching (the no-viewer run);
- ``viewers``: with ``--viewers`` browsers-alike clients, each holding the MJPEG
  stream and the server-sent events open as the page does (``--slow-viewers`` of
  them read only ~80 KB/s; every viewer reconnects every ``--reconnect-s`` seconds,
  so connections come and go).

The viewers run in a child process (``python -m benchmarks.serve_viewers
...``) so their Python work does not share this process's GIL;
they still share the machine's cores, as they would not on a real Pi. After
``--warmup`` seconds each phase measures for ``--seconds`` seconds: the pipeline's
frames per second, the median ``Pipeline.process`` milliseconds, this process's
resident memory (RSS, sampled every second: start, end, peak and the least-squares
slope in MiB per minute) and CPU use; and from the viewers the frames and events
each received per second. Pacing ``camera`` paces the demo like a ``--fps`` camera
(frames are skipped when the loop is late, as a real camera's would be);
``unpaced`` runs it flat out, where any CPU the web side takes shows directly.

Usage::

    python -m benchmarks.serve_load --viewers 20 --seconds 60 --out results/
    python -m benchmarks.serve_load --viewers 20 --seconds 60 --pacing camera --encode-inline

Writes ``serve_load.json`` and ``serve_load.md`` into ``--out`` (when given) and
prints the markdown table with the machine description and a verdict: the viewers
run within ``--tolerance`` (10 %) of the idle run's FPS, and RSS grew by less than
``--max-rss-growth-mib``.

This module is the command line, the report and the verdict; one measured phase is
:mod:`benchmarks.serve_load_phase`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.report import describe_machine, format_machine, format_markdown, write_json
from benchmarks.serve_load_phase import PACINGS, PHASES, run_phase
from edge.cli.common import HelpFormatter, positive_float, positive_int
from edge.live import make_pipeline
from edge.sinks.web import DEFAULT_STREAM_FPS

COLUMNS = (
    ("pacing", "pacing", ""),
    ("phase", "phase", ""),
    ("viewers", "viewers", "d"),
    ("fps", "pipeline FPS", ".1f"),
    ("fps_vs_idle", "vs idle", "+.1%"),
    ("process_ms_median", "process ms (median)", ".2f"),
    ("process_ms_p90", "p90", ".2f"),
    ("rss_start_mib", "RSS start MiB", ".1f"),
    ("rss_end_mib", "RSS end MiB", ".1f"),
    ("rss_max_mib", "RSS peak MiB", ".1f"),
    ("rss_slope_mib_per_min", "RSS MiB/min", "+.2f"),
    ("rss_second_half_mib", "RSS change, 2nd half", "+.1f"),
    ("cpu_percent", "CPU % (this process)", ".0f"),
    ("stream_fps_median", "stream fps/viewer (median)", ".1f"),
    ("stream_fps_min", "min", ".1f"),
    ("slow_stream_fps", "slow viewers' fps", ".1f"),
    ("events_per_s_median", "events/s/viewer", ".1f"),
    ("viewer_cpu_percent", "viewers' CPU %", ".0f"),
    ("encoded_per_s", "JPEG encodes/s", ".1f"),
    ("publish_us_mean", "publish() µs (mean)", ".0f"),
    ("publish_ms_max", "publish() ms (max)", ".2f"),
    ("sent_mib_per_s", "sent MiB/s", ".1f"),
    ("clients_after", "clients left after", "d"),
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.serve_load",
        description=__doc__.split("\n\n")[0],
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "--viewers", type=positive_int, default=20, help="concurrent viewers (stream + events each)"
    )
    p.add_argument(
        "--slow-viewers",
        type=int,
        default=2,
        help="of the viewers, how many read only ~80 KB/s (they must skip frames, not slow the others)",
    )
    p.add_argument("--seconds", type=positive_float, default=60.0, help="measured seconds per phase")
    p.add_argument("--warmup", type=positive_float, default=5.0, help="seconds before measuring, per phase")
    p.add_argument(
        "--reconnect-s",
        type=float,
        default=15.0,
        help="each viewer reconnects after this many seconds (0: never)",
    )
    p.add_argument(
        "--pacing",
        choices=(*PACINGS, "both"),
        default="both",
        help="camera: the demo paced to --fps like a camera; unpaced: flat out",
    )
    p.add_argument(
        "--phases", default=",".join(PHASES), help=f"comma-separated subset of {', '.join(PHASES)}"
    )
    p.add_argument("--fps", type=positive_float, default=30.0, help="camera pacing (frames/s)")
    p.add_argument(
        "--stream-fps",
        type=positive_float,
        default=DEFAULT_STREAM_FPS,
        help="the server's stream rate cap (frames/s)",
    )
    p.add_argument(
        "--encode-inline",
        action="store_true",
        help="JPEG-encode on the pipeline's thread instead of the encoder thread (to compare)",
    )
    p.add_argument("--model", default="digits", help="bundle or shipped name")
    p.add_argument("--source", default="demo", help="a demo scene: demo or demo-hands (paced by --pacing)")
    p.add_argument(
        "--tolerance",
        type=positive_float,
        default=0.10,
        help="largest allowed FPS drop with viewers, as a fraction of the idle run's",
    )
    p.add_argument(
        "--max-rss-growth-mib",
        type=positive_float,
        default=20.0,
        help="largest allowed RSS growth over a viewers phase (MiB)",
    )
    p.add_argument("--out", help="folder for serve_load.json and serve_load.md")
    return p


def verdict(rows: list[dict[str, Any]], tolerance: float, max_growth: float) -> list[str]:
    """One line per pacing: the viewers run against the idle run, and RSS growth."""
    out = []
    for pacing in PACINGS:
        by = {r["phase"]: r for r in rows if r["pacing"] == pacing}
        v, idle = by.get("viewers"), by.get("idle")
        if not v or not idle:
            continue
        ratio = v["fps"] / idle["fps"] - 1.0
        growth = v["rss_end_mib"] - v["rss_start_mib"]
        ok_fps = abs(ratio) <= tolerance if pacing == "camera" else ratio >= -tolerance
        ok = ok_fps and growth < max_growth and not v.get("clients_after")
        out.append(
            f"{pacing}: {'PASS' if ok else 'FAIL'}: {v['viewers']} viewers {v['fps']:.1f} FPS vs "
            f"idle {idle['fps']:.1f} FPS ({ratio:+.1%}, allowed ±{tolerance:.0%}); "
            f"RSS {growth:+.1f} MiB over "
            f"{v['seconds']:.0f} s (allowed < {max_growth:.0f}); clients left after: "
            f"{v.get('clients_after', '-')}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns 0 (the verdict is printed, not turned into an exit status)."""
    args = build_parser().parse_args(argv)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    bad = [p for p in phases if p not in PHASES]
    if bad:
        print(f"error: unknown phase(s) {', '.join(bad)}; use {', '.join(PHASES)}", file=sys.stderr)
        return 2
    if args.source.split(":")[0] not in ("demo", "demo-hands"):
        print(
            "error: --source must be a demo scene (demo, demo-hands): only they can be paced and repeated",
            file=sys.stderr,
        )
        return 2
    pipeline = make_pipeline(args.model)
    bundle = getattr(pipeline.classifier, "bundle", None)
    machine = describe_machine(model_name=getattr(bundle, "name", None))
    load_before = os.getloadavg()
    pacings = PACINGS if args.pacing == "both" else (args.pacing,)
    rows = []
    for pacing in pacings:
        for phase in phases:
            print(
                f"{pacing} / {phase}: {args.warmup:.0f} s warm-up + {args.seconds:.0f} s ...", file=sys.stderr
            )
            row = run_phase(args, pipeline, pacing, phase)
            rows.append(row)
            print(
                f"  {row['fps']:.1f} FPS, process {row['process_ms_median']:.2f} ms, RSS "
                f"{row['rss_start_mib']:.1f} -> {row['rss_end_mib']:.1f} MiB",
                file=sys.stderr,
            )
    for pacing in pacings:
        idle = next((r for r in rows if r["pacing"] == pacing and r["phase"] == "idle"), None)
        for r in rows:
            if r["pacing"] == pacing and idle:
                r["fps_vs_idle"] = r["fps"] / idle["fps"] - 1.0
    load_after = os.getloadavg()
    command = "python -m benchmarks.serve_load " + " ".join(sys.argv[1:] if argv is None else argv)
    lines = verdict(rows, args.tolerance, args.max_rss_growth_mib)
    md = "\n".join(
        [
            "# Web view load test",
            "",
            f"`{command}`",
            "",
            f"{args.viewers} viewers ({min(args.slow_viewers, args.viewers)} slow), each with the "
            f"MJPEG stream and the events open, reconnecting every {args.reconnect_s:g} s; stream cap "
            f"{args.stream_fps:g} fps; camera pacing {args.fps:g} fps; JPEG encoding on the "
            f"{'pipeline thread' if args.encode_inline else 'encoder thread'}; {args.seconds:g} s "
            f"measured after {args.warmup:g} s warm-up per phase.",
            "",
            f"Load average before: {' '.join(f'{x:.2f}' for x in load_before)}; after: "
            f"{' '.join(f'{x:.2f}' for x in load_after)} (1, 5, 15 min).",
            "",
            "```",
            format_machine(machine),
            "```",
            "",
            format_markdown(rows, COLUMNS),
            *(f"- {line}" for line in lines),
            "",
        ]
    )
    print(md)
    if args.out:
        out = Path(args.out)
        write_json(
            out / "serve_load.json",
            rows,
            machine,
            config=vars(args),
            command=command,
            loadavg_before=load_before,
            loadavg_after=load_after,
            verdict=lines,
        )
        (out / "serve_load.md").write_text(md, encoding="utf-8")
        print(f"wrote {out / 'serve_load.json'} and {out / 'serve_load.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
