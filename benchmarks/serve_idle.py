"""Idle-socket test of the web view: can a viewer with the token still watch while a client
holds a thousand idle or half-sent connections open?

Starts ``edge-serve`` (``python -m edge.cli.serve --source demo``, a token from
``$EDGE_TOKEN``) in a child process whose open-file limit is lowered to ``--nofile``
(1024, the common default soft limit), waits for its first frame, then opens ``--idle``
TCP connections that send nothing and ``--half-sent`` that send a request line and one
header but never the blank line that ends the head. Then one viewer with the token asks
for the page and reads the MJPEG stream for ``--seconds``. Reported: the page's status
and how long it took, the stream frames the viewer got, the open files of the server
(``/proc/PID/fd``, Linux), how many of the idle connections the server had closed by the
end, and what the server wrote to stderr (bytes, lines, tracebacks).

Usage::

    python -m benchmarks.serve_idle --idle 1000 --half-sent 100 --nofile 1024

Measured on a 2-core x86-64 VM (Python 3.11, aiohttp 3.14), ``--idle 1000 --half-sent 100
--nofile 1024 --wait-closed 8``: before the connection guard, the server's open files
reached the limit (1,024), the viewer's connection was reset (no page, no stream),
asyncio wrote 370 tracebacks (156 KB of stderr) in about 20 s and the run then died
when the pipeline could not open its model file. With it: 267 open files (the cap of
256 plus the process's own), the page in 6 ms, 36 stream frames in 3 s (the 15 fps
cap on a busy machine), all 1,100 idle connections closed within the 5 s request
timeout, nothing on stderr but the run's own lines.

Prints one JSON object (and writes it to ``--out`` when given). Imports only the
standard library, so it can measure any version of ``edge`` (the child imports the one
on its ``sys.path``: the working directory first).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TOKEN = "idle-bench-token-4d1e"  # noqa: S105 (a throwaway token for a loopback child)
_URL = re.compile(rb"web view: http://127\.0\.0\.1:(\d+)/")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.serve_idle",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--idle", type=int, default=1000, help="connections that send nothing")
    p.add_argument("--half-sent", type=int, default=100, help="connections that send half a request head")
    p.add_argument("--nofile", type=int, default=1024, help="the server's open-file limit (0: inherit)")
    p.add_argument("--seconds", type=float, default=3.0, help="seconds the viewer reads the stream")
    p.add_argument("--timeout", type=float, default=20.0, help="the viewer's socket timeout (s)")
    p.add_argument(
        "--wait-closed",
        type=float,
        default=8.0,
        help="then wait up to this many seconds for the server to close every idle connection",
    )
    p.add_argument("--model", default="digits", help="bundle or shipped name the server runs")
    p.add_argument("--out", help="write the JSON result here")
    return p


def _limit(nofile: int) -> Any:
    def set_limit() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))

    return set_limit if nofile > 0 else None


def _raise_own_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _get(port: int, path: str, timeout: float) -> tuple[int | None, float, str]:
    """GET ``path``: (status or None, seconds, error text)."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        return r.status, time.monotonic() - t0, ""
    except OSError as e:
        return None, time.monotonic() - t0, f"{type(e).__name__}: {e}"
    finally:
        conn.close()


def _stream_frames(port: int, seconds: float, timeout: float) -> tuple[int, str]:
    """Frames of ``/stream.mjpg`` read in ``seconds``: (count, error text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    frames, tail = 0, b""
    try:
        conn.request("GET", f"/stream.mjpg?token={TOKEN}")
        r = conn.getresponse()
        if r.status != 200:
            return 0, f"status {r.status}"
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            chunk = r.read1(65536)
            if not chunk:
                break
            data = tail + chunk
            frames += data.count(b"--frame\r\n")
            tail = data[-8:]
        return frames, ""
    except OSError as e:
        return frames, f"{type(e).__name__}: {e}"
    finally:
        conn.close()


def _poll_closed(socks: list[socket.socket], gone: set[int]) -> int:
    """Add to ``gone`` the indices of ``socks`` the server has closed (EOF or reset); returns its size."""
    for i, s in enumerate(socks):
        if i in gone:
            continue
        s.setblocking(False)
        try:
            while s.recv(1 << 16):
                pass
            gone.add(i)
        except BlockingIOError:
            pass
        except OSError:
            gone.add(i)
    return len(gone)


def _open_fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def run(args: argparse.Namespace) -> dict[str, Any]:
    _raise_own_limit(args.idle + args.half_sent + 64)
    env = {**os.environ, "EDGE_TOKEN": TOKEN}
    cmd = [sys.executable, "-m", "edge.cli.serve", "--source", "demo", "--serve", "127.0.0.1:0"]
    cmd += ["--model", args.model]
    result: dict[str, Any] = {"command": " ".join(["python", "-m", "benchmarks.serve_idle", *sys.argv[1:]])}
    result.update(idle=args.idle, half_sent=args.half_sent, nofile=args.nofile)
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=_limit(args.nofile)
        )
        socks: list[socket.socket] = []
        try:
            port = None
            deadline = time.monotonic() + 120.0
            while port is None:
                if time.monotonic() > deadline or child.poll() is not None:
                    err.seek(0)
                    raise RuntimeError(f"edge-serve did not start: {err.read()[-2000:]!r}")
                err.seek(0)
                m = _URL.search(err.read())
                port = int(m.group(1)) if m else None
                time.sleep(0.1)
            while _get(port, f"/healthz?token={TOKEN}", args.timeout)[0] != 200:
                time.sleep(0.2)
            result["fds_before"] = _open_fds(child.pid)
            t0 = time.monotonic()
            for i in range(args.idle + args.half_sent):
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=args.timeout)
                except OSError as e:
                    result["connect_error"] = f"{type(e).__name__}: {e} (after {i})"
                    break
                if i >= args.idle:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                socks.append(s)
            result["opened"] = len(socks)
            result["open_s"] = round(time.monotonic() - t0, 3)
            time.sleep(0.5)  # let the server accept them
            result["fds_with_idle"] = _open_fds(child.pid)
            status, secs, error = _get(port, f"/?token={TOKEN}", args.timeout)
            result.update(page_status=status, page_s=round(secs, 3), page_error=error)
            frames, error = _stream_frames(port, args.seconds, args.timeout)
            result.update(stream_frames=frames, stream_error=error)
            gone: set[int] = set()
            result["idle_closed_by_server"] = _poll_closed(socks, gone)
            t0 = time.monotonic()
            while _poll_closed(socks, gone) < len(socks) and time.monotonic() - t0 < args.wait_closed:
                time.sleep(0.25)
            result["idle_closed_after_wait"] = len(gone)
            result["wait_closed_s"] = round(time.monotonic() - t0, 2)
            result["fds_after_wait"] = _open_fds(child.pid)
        finally:
            for s in socks:
                s.close()
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        err.seek(0)
        text = err.read()
    result["server_exit"] = child.returncode
    result["stderr_bytes"] = len(text)
    result["stderr_lines"] = text.count(b"\n")
    result["stderr_tracebacks"] = text.count(b"Traceback")
    result["stderr_has_token"] = TOKEN.encode() in text.replace(f"?token={TOKEN}".encode(), b"", 1)
    result["stderr_tail"] = text[-600:].decode("utf-8", "replace")
    return result


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns 0 when the viewer got the page and stream frames, else 1."""
    args = build_parser().parse_args(argv)
    result = run(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0 if result.get("page_status") == 200 and result.get("stream_frames", 0) > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
