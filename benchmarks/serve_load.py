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
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.report import describe_machine, format_machine, format_markdown, write_json
from edge.cli.common import HelpFormatter, positive_float, positive_int
from edge.live import RunStats, make_pipeline, run
from edge.pipeline import Pipeline
from edge.sinks.web import DEFAULT_MAX_VIEWERS, DEFAULT_STREAM_FPS, LiveServer, ServeConfig

PHASES = ("no-server", "idle", "viewers")
PACINGS = ("camera", "unpaced")
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


class StoppableSource:
    """Wraps a source so that it ends when ``stop`` is set."""

    def __init__(self, inner: Any, stop: threading.Event) -> None:
        self.inner, self.stop = inner, stop
        self.name, self.live, self.fps = inner.name, inner.live, inner.fps

    def read(self) -> Any:
        return None if self.stop.is_set() else self.inner.read()

    def close(self) -> None:
        self.inner.close()


def rss_mib() -> float:
    """This process's resident set size in MiB (``/proc/self/statm``)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def slope_per_min(ts: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of ``ys`` over ``ts`` (seconds), per minute."""
    if len(ts) < 3:
        return None
    mt, my = statistics.fmean(ts), statistics.fmean(ys)
    den = sum((t - mt) ** 2 for t in ts)
    return 60.0 * sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / den if den else None


def _get_json(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:  # 503 still carries the JSON
        return json.loads(e.read())


def run_phase(args: argparse.Namespace, pipeline: Pipeline, pacing: str, phase: str) -> dict[str, Any]:
    """One measured run of the loop; returns a result row (see :data:`COLUMNS`)."""
    from edge.sources import open_source

    paced = pacing == "camera"
    serving = phase != "no-server"
    viewers = args.viewers if phase == "viewers" else 0
    stop = threading.Event()
    source = StoppableSource(open_source(args.source, fps=args.fps, realtime=paced), stop)
    server = None
    if serving:
        config = ServeConfig(
            host="127.0.0.1",
            port=0,
            stream_fps=args.stream_fps,
            max_viewers=max(DEFAULT_MAX_VIEWERS, 2 * args.viewers + 4),
            encode_in_thread=not args.encode_inline,
        )
        model = getattr(getattr(pipeline.classifier, "bundle", None), "name", "")
        server = LiveServer(config, model=model, source=getattr(source, "name", args.source)).start()
    stats = RunStats()
    errors: list[BaseException] = []
    pipeline.reset()

    def target() -> None:
        try:
            run(source, pipeline, [server] if server is not None else [], stats=stats)
        except BaseException as e:  # re-raised below
            errors.append(e)

    row: dict[str, Any] = {"pacing": pacing, "phase": phase, "viewers": viewers}
    thread = threading.Thread(target=target, name="edge-run")
    thread.start()
    child = None
    try:
        if errors:
            raise errors[0]
        url = server.url if server is not None else None
        if viewers:
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.serve_viewers",
                    str(url),
                    str(viewers),
                    str(min(args.slow_viewers, viewers)),
                    str(args.warmup + args.seconds + 1.0),
                    str(args.reconnect_s),
                    str(args.warmup),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
        time.sleep(args.warmup)
        f0, n0, t0, cpu0 = stats.frames, len(stats.timings_ms["total"]), time.monotonic(), os.times()
        h0 = _get_json(url + "healthz") if url else None
        ts, rss = [0.0], [rss_mib()]
        while time.monotonic() - t0 < args.seconds:
            time.sleep(min(1.0, max(0.0, args.seconds - (time.monotonic() - t0))))
            ts.append(time.monotonic() - t0)
            rss.append(rss_mib())
        f1, n1, t1, cpu1 = stats.frames, len(stats.timings_ms["total"]), time.monotonic(), os.times()
        h1 = _get_json(url + "healthz") if url else None
        if child is not None:
            assert url is not None
            out, _ = child.communicate(timeout=args.warmup + args.seconds + 60)
            child = None
            vres = json.loads(out.strip().splitlines()[-1])
            fast = [v for v in vres["viewers"] if not v["slow"]]
            slow = [v for v in vres["viewers"] if v["slow"]]
            row.update(
                stream_fps_median=statistics.median(v["stream_fps"] for v in fast) if fast else None,
                stream_fps_min=min(v["stream_fps"] for v in fast) if fast else None,
                slow_stream_fps=statistics.median(v["stream_fps"] for v in slow) if slow else None,
                events_per_s_median=statistics.median(v["events_per_s"] for v in vres["viewers"]),
                viewer_cpu_percent=100.0 * vres["cpu_s"] / vres["seconds"],
                viewer_connects=sum(v["connects"] for v in vres["viewers"]),
                viewer_errors=[e for v in vres["viewers"] for e in v["errors"]][:10],
            )
            # Every viewer has gone: the server must have let all of them go.
            deadline = time.monotonic() + 10
            while True:
                clients = sum(_get_json(url + "healthz")["clients"].values())
                if clients == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            row["clients_after"] = clients
    finally:
        stop.set()
        if child is not None:
            child.kill()
            child.wait()
        thread.join(60)
        if server is not None:
            server.close()  # the loop closed it already, unless it never ran
    if errors:
        raise errors[0]
    dt = t1 - t0
    window = list(stats.timings_ms["total"])[n0:n1]
    q = statistics.quantiles(window, n=10) if len(window) >= 10 else None
    row.update(
        fps=(f1 - f0) / dt,
        frames=f1 - f0,
        seconds=round(dt, 2),
        process_ms_median=statistics.median(window) if window else None,
        process_ms_p90=q[-1] if q else None,
        rss_start_mib=rss[0],
        rss_end_mib=rss[-1],
        rss_max_mib=max(rss),
        rss_slope_mib_per_min=slope_per_min(ts, rss),
        rss_second_half_mib=rss[-1] - rss[len(rss) // 2],
        rss_series_mib=[[round(t, 1), round(m, 1)] for t, m in list(zip(ts, rss, strict=True))[::5]],
        cpu_percent=100.0 * ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / dt,
    )
    if h0 and h1:
        c0, c1 = h0["counters"], h1["counters"]
        published = max(1, c1["published"] - c0["published"])
        row.update(
            publish_us_mean=1e3 * (c1["publish_ms_total"] - c0["publish_ms_total"]) / published,
            publish_ms_max=c1["publish_ms_max"],
            encoded_per_s=(c1["encoded"] - c0["encoded"]) / dt,
            sent_mib_per_s=(c1["bytes_sent"] - c0["bytes_sent"]) / dt / 2**20,
            dropped_slow=c1["dropped_slow"] - c0["dropped_slow"],
        )
    return row


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
