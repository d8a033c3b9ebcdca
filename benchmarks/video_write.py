"""What recording costs and what survives a kill: the fragmented mp4 (PyAV) against
OpenCV's writer.

Two measurements, both printed as one JSON object:

- ``encode``: the demo scene's 640x480 frames written with :class:`edge.sinks.VideoSink`,
  ``writer="pyav"`` (fragmented mp4, H.264) and ``writer="opencv"`` (``mp4v`` .mp4), the
  two alternated in ``--rounds`` rounds in one process so both see the same machine load:
  median and p90 ms per :meth:`~edge.sinks.VideoSink.write_image` call (encoding and
  muxing), the median CPU ms of the process meanwhile (all threads: x264's too), ms to
  close, bytes per frame, frames OpenCV reads back.
- ``kill`` (with ``--kill-after N``): ``edge-run --source demo --headless --output FILE
  --jsonl FILE.jsonl`` in a child process, SIGKILLed once the JSON Lines hold N frames;
  then the frames ``cv2.VideoCapture`` reads back from each of ``--kill-outputs``
  (``.mp4`` is the fragmented mp4 when PyAV is installed; ``opencv.mp4`` runs the child
  with PyAV hidden, i.e. OpenCV's writer, as before).

Usage::

    python -m benchmarks.video_write --frames 300 --rounds 3 --kill-after 300

Imports :mod:`edge` (the one on ``sys.path``: the working directory first).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

#: Run in the child instead of ``-m edge.cli.run`` to hide PyAV (the fallback writer).
_NO_PYAV = "import sys; sys.modules['av'] = None; from edge.cli.run import main; sys.exit(main())"


def count_frames(path: Path) -> int:
    """Frames ``cv2.VideoCapture`` reads from ``path`` before the first failure."""
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.isOpened() and cap.read()[0]:
        n += 1
    cap.release()
    return n


def demo_frames(count: int) -> list[np.ndarray]:
    """``count`` frames of the digits demo scene: uint8 (480, 640, 3) BGR."""
    from edge.sources import open_source

    with open_source("demo", num_frames=count) as src:
        return [f.image for f in iter(src.read, None)]


def time_writer(frames: list[np.ndarray], folder: Path, writer: str) -> dict[str, Any]:
    """Write ``frames`` at 30 FPS with ``VideoSink(writer=writer)``; per-call times in ms."""
    from edge.sinks import VideoSink

    path = folder / f"{writer}.mp4"
    sink = VideoSink(path, fps=30.0, writer=writer)
    ms, cpu_ms = [], []
    for image in frames:
        t, c = time.perf_counter(), time.process_time()
        sink.write_image(image)
        ms.append((time.perf_counter() - t) * 1000)
        cpu_ms.append((time.process_time() - c) * 1000)
    t = time.perf_counter()
    sink.close()
    close_ms = (time.perf_counter() - t) * 1000
    return {
        "ms": ms,
        "cpu_ms": cpu_ms,
        "close_ms": close_ms,
        "bytes": path.stat().st_size,
        "read_back": count_frames(path),
    }


def bench_encode(frames: list[np.ndarray], rounds: int) -> dict[str, Any]:
    """Both writers, alternated ``rounds`` times; medians over all rounds' frames."""
    runs: dict[str, list[dict[str, Any]]] = {"pyav": [], "opencv": []}
    with tempfile.TemporaryDirectory(prefix="edge-video-bench-") as tmp:
        for _ in range(rounds):
            for writer in runs:
                runs[writer].append(time_writer(frames, Path(tmp), writer))
    out = {}
    for writer, rs in runs.items():
        ms = sorted(m for r in rs for m in r["ms"])
        out[writer] = {
            "median_ms": round(statistics.median(ms), 3),
            "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 3),
            "cpu_median_ms": round(statistics.median(c for r in rs for c in r["cpu_ms"]), 3),
            "close_ms": round(statistics.median(r["close_ms"] for r in rs), 2),
            "bytes_per_frame": round(rs[-1]["bytes"] / len(frames)),
            "read_back": rs[-1]["read_back"],
        }
    return out


def record_then_kill(output: Path, frames: int, *, hide_pyav: bool, timeout_s: float = 300) -> dict[str, Any]:
    """``edge-run --source demo`` into ``output``, SIGKILL after ``frames`` JSON lines."""
    jl = output.with_suffix(output.suffix + ".jsonl")
    args = ["--source", "demo", "--headless", "--output", str(output), "--jsonl", str(jl)]
    head = ["-c", _NO_PYAV] if hide_pyav else ["-m", "edge.cli.run"]
    p = subprocess.Popen([sys.executable, *head, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout_s
        while not jl.exists() or jl.read_bytes().count(b"\n") < frames:
            if p.poll() is not None or time.monotonic() > deadline:
                err = p.stderr.read().decode(errors="replace") if p.stderr else ""
                raise RuntimeError(f"edge-run ended or stalled before {frames} frames: {err.strip()}")
            time.sleep(0.05)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    lines = jl.read_bytes().count(b"\n")
    return {"jsonl_lines": lines, "read_back": count_frames(output), "bytes": output.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.video_write",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--frames", type=int, default=300, help="demo frames each writer encodes per round")
    p.add_argument("--rounds", type=int, default=3, help="rounds, the writers alternated")
    p.add_argument("--kill-after", type=int, default=0, help="also SIGKILL edge-run after N frames (0: no)")
    p.add_argument(
        "--kill-outputs", nargs="+", default=["run.mp4", "opencv.mp4", "run.mkv"], help="files to kill-test"
    )
    p.add_argument("--out", help="also write the JSON here")
    args = p.parse_args(argv)
    from edge.sinks.video_writer import import_pyav

    av = import_pyav()
    result: dict[str, Any] = {"pyav": getattr(av, "__version__", None), "frames": args.frames}
    if av is None:
        print("PyAV is not installed: pip install av", file=sys.stderr)
        return 2
    result["encode"] = bench_encode(demo_frames(args.frames), args.rounds)
    if args.kill_after:
        result["kill"] = {}
        with tempfile.TemporaryDirectory(prefix="edge-video-kill-") as tmp:
            for name in args.kill_outputs:
                hide = name.startswith("opencv")
                out = Path(tmp) / name
                result["kill"][name] = record_then_kill(out, args.kill_after, hide_pyav=hide)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
