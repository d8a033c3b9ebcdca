"""One measured phase of the web-view load test (:mod:`benchmarks.serve_load`).

:func:`run_phase` runs the loop (:func:`edge.live.run`, optionally with the web view
:class:`edge.sinks.web.LiveServer` as a sink) in a thread for ``--warmup`` +
``--seconds``, starts the viewers child process (:mod:`benchmarks.serve_viewers`) in
the ``viewers`` phase, and samples the pipeline's FPS and stage times, this process's
RSS and CPU and the server's counters into one result row.
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
from typing import Any

from edge.live import RunStats, run
from edge.pipeline import Pipeline
from edge.sinks.web import DEFAULT_MAX_VIEWERS, LiveServer, ServeConfig

PHASES = ("no-server", "idle", "viewers")
PACINGS = ("camera", "unpaced")


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
    """One measured run of the loop; returns a result row (see :data:`benchmarks.serve_load.COLUMNS`)."""
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
