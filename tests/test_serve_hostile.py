"""The web view against hostile or broken clients: idle and half-sent connections, the
open-file limit, malformed requests, tokens in logs, tokens that are not text.

Each test here failed before the fix it guards (issue 16, item 6). No test asserts a
duration: ``WAIT_S`` only bounds how long a broken server is waited for.
"""

from __future__ import annotations

import asyncio
import errno
import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.pipeline import FrameResult
from edge.sinks.web import LiveServer, ServeConfig
from edge.sinks.web.config import ServeCounters
from edge.sinks.web.connections import BUSY_RESPONSE, ConnectionGuard, fd_budget
from edge.sinks.web.logs import Redactor, loop_exception_handler
from edge.types import Frame

TOKEN = "s3cret-token-7f2a"
WAIT_S = 20.0  # upper bound for a broken server, not a speed check
REPO = Path(__file__).resolve().parents[1]


# -- helpers -------------------------------------------------------------------------------
class Pump:
    """Publishes small frames from a background thread, like the pipeline loop."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            img = np.full((60, 80, 3), 40 + (i * 7) % 200, np.uint8)
            self.server.publish(FrameResult(Frame(img, i / 30.0, i), []), fps=30.0)
            i += 1
            self._stop.wait(0.01)

    def __enter__(self) -> Pump:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)


def raw_request(port: int, data: bytes) -> bytes:
    """Send ``data`` as is and return the status line of the answer (b"" when closed unanswered)."""
    with connect(port) as s:
        s.sendall(data)
        buf = b""
        while b"\r\n" not in buf:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
        return buf.split(b"\r\n")[0]


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read() if r.getheader("Content-Length") is not None else r.read1(65536)
    finally:
        conn.close()


def stream_frames(port: int, count: int, path: str = f"/stream.mjpg?token={TOKEN}") -> int:
    """Open the MJPEG stream and read until ``count`` parts came; returns how many came."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        assert r.status == 200, r.status
        buf = b""
        while buf.count(b"--frame\r\n") < count:
            chunk = r.read1(65536)
            assert chunk, "the stream ended early"
            buf += chunk
        return buf.count(b"--frame\r\n")
    finally:
        conn.close()


def closed_by_server(s: socket.socket) -> bool:
    """Wait (at most WAIT_S) for the server to close ``s``; ``True`` when it did."""
    s.settimeout(WAIT_S)
    try:
        while s.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def wait_for(cond: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


# -- idle and half-sent connections -----------------------------------------------------------
def test_idle_and_half_sent_connections_do_not_lock_out_a_viewer():
    cfg = ServeConfig(port=0, token=TOKEN, max_viewers=2, max_connections=8, request_timeout_s=60.0)
    with LiveServer(cfg).start() as s, Pump(s):
        socks = [connect(s.port) for _ in range(30)]
        for _ in range(10):
            h = connect(s.port)
            h.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never the blank line
            socks.append(h)
        try:
            status, body = get(s.port, f"/?token={TOKEN}")
            assert status == 200 and b"<html" in body.lower()
            assert stream_frames(s.port, 2) >= 2
            assert closed_by_server(socks[0])  # the oldest idle one made room
            health = json.loads(get(s.port, "/healthz", {"X-Edge-Token": TOKEN})[1])
            assert health["counters"]["evicted_idle"] >= 30
            assert health["max_connections"] == 8 and 1 <= health["connections"] <= 8
        finally:
            for h in socks:
                h.close()


def test_streams_are_never_let_go_for_new_connections():
    cfg = ServeConfig(port=0, max_viewers=2, max_connections=3, request_timeout_s=60.0)
    with LiveServer(cfg).start() as s, Pump(s):
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=WAIT_S)
        conn.request("GET", "/stream.mjpg")
        r = conn.getresponse()
        try:
            assert r.status == 200
            wait_for(lambda: s.clients["stream"] == 1, "the stream viewer")
            idle = [connect(s.port) for _ in range(10)]
            assert get(s.port, "/healthz")[0] == 200
            buf = b""
            while buf.count(b"--frame\r\n") < 3:  # the stream goes on
                chunk = r.read1(65536)
                assert chunk, "the stream was closed to make room"
                buf += chunk
            for h in idle:
                h.close()
        finally:
            conn.close()


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"GE"])
def test_a_connection_without_a_whole_request_head_is_timed_out(sent):
    with LiveServer(ServeConfig(port=0, request_timeout_s=0.2)).start() as s:
        with connect(s.port) as h:
            h.sendall(sent)
            assert closed_by_server(h)
        wait_for(lambda: s.counters.timed_out + s.counters.malformed >= 1, "the count")
        assert get(s.port, "/app.js")[0] == 200  # the server itself is fine


@pytest.mark.parametrize("then", [b"", b"GET /app.js HTTP/1.1\r\nHo"])
def test_a_kept_alive_connection_is_closed_when_idle_or_half_sent(then):
    with LiveServer(ServeConfig(port=0, request_timeout_s=0.2)).start() as s:
        with connect(s.port) as h:
            h.sendall(b"GET /app.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            head = h.recv(4096)
            assert head.startswith(b"HTTP/1.1 200"), head[:40]
            h.sendall(then)
            assert closed_by_server(h)


def _fake_transport() -> Any:
    class Transport(asyncio.Transport):
        def __init__(self) -> None:
            super().__init__()
            self.written, self.closed, self.aborted = b"", False, False

        def write(self, data: Any) -> None:
            self.written += bytes(data)

        def close(self) -> None:
            self.closed = True

        def abort(self) -> None:
            self.aborted = True

        def is_closing(self) -> bool:
            return self.closed or self.aborted

    return Transport()


def test_connection_guard_lets_idle_ones_go_then_refuses_with_503():
    async def scenario() -> None:
        counters = ServeCounters()
        guard = ConnectionGuard(2, 60.0, counters)
        a, b, c, d = (_fake_transport() for _ in range(4))
        assert guard.admit(a) and guard.admit(b)
        guard.request_started(b)  # b is in a request: never let go
        assert guard.admit(c) and a.aborted and counters.evicted_idle == 1
        guard.closed(a)
        guard.request_started(c)
        assert not guard.admit(d)  # every slot in a request
        assert d.written == BUSY_RESPONSE and d.closed and counters.refused_full == 1
        assert b"503" in BUSY_RESPONSE.split(b"\r\n")[0]
        guard.request_done(c)
        guard.closed(d)
        assert guard.count == 2 and not b.aborted

    asyncio.run(scenario())


def test_fd_budget_keeps_the_cap_under_the_open_file_limit():
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    budget = fd_budget(10**9)
    if soft == resource.RLIM_INFINITY:
        assert budget.limit is None
    else:
        assert budget.limit == soft and 1 <= budget.cap + 4 * budget.backlog < soft
    assert fd_budget(3).cap <= 3 and 8 <= fd_budget(3).backlog <= 128


_CHILD = textwrap.dedent(
    """
    import resource, sys
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), hard))
    from edge.sinks.web import LiveServer, ServeConfig
    with LiveServer(ServeConfig(port=0, token=sys.argv[2])).start() as s:
        print(s.port, flush=True)
        sys.stdin.read()
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="lowers RLIMIT_NOFILE of a child (Linux)")
def test_idle_sockets_cannot_use_up_the_open_file_limit():
    """A server with ``ulimit -n 256`` and 400 idle sockets still serves a viewer, quietly.

    Before: accept() failed with EMFILE, asyncio logged a traceback each second and the
    viewer's connection was never accepted.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, "256", TOKEN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=env,
    )
    socks: list[socket.socket] = []
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        for i in range(400):
            socks.append(connect(port))
            if i % 16 == 15:
                time.sleep(0.005)  # pacing, so that the kernel's accept queue does not overflow
        status, body = get(port, f"/app.js?token={TOKEN}")
        assert status == 200 and body
    finally:
        for h in socks:
            h.close()
        _, err = child.communicate(b"", timeout=WAIT_S)
    assert b"Traceback" not in err and b"Too many open files" not in err, err[-2000:]


# -- malformed requests and logs ----------------------------------------------------------------
MALFORMED = {
    "garbage": b"GARBAGE\r\n\r\n",
    "binary": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n",
    "bad header": b"GET / HTTP/1.1\r\nHost: x\r\nNo Colon Here\r\n\r\n",
    "overlong url": b"GET /?token=" + TOKEN.encode() + b"&x=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "overlong header": b"GET / HTTP/1.1\r\nHost: x\r\nX-Edge-Token: "
    + TOKEN.encode()
    + b"a" * 9000
    + b"\r\n\r\n",
    "bad version": b"GET /?token=" + TOKEN.encode() + b" HTTP/9.9.9\r\n\r\n",
    "nul in header": b"GET / HTTP/1.1\r\nHost: x\r\nX-Edge-Token: " + TOKEN.encode() + b"\x00\r\n\r\n",
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_requests_get_400_and_one_quiet_line(name, caplog):
    caplog.set_level(logging.DEBUG)
    with LiveServer(ServeConfig(port=0, token=TOKEN)).start() as s:
        caplog.clear()
        status = raw_request(s.port, MALFORMED[name])  # the server logs before it answers
        assert status.startswith(b"HTTP/1.") and b" 400 " in status + b" ", status
        ours = [r for r in caplog.records if r.name.startswith(("edge.sinks.web", "aiohttp"))]
        assert all(r.levelno < logging.WARNING for r in ours), [r.getMessage() for r in ours]
        assert not any(r.exc_info for r in caplog.records), "a traceback was logged"
        assert TOKEN not in caplog.text
        assert len([r for r in ours if "malformed" in r.getMessage()]) == 1
        assert s.counters.malformed == 1


def test_no_log_line_holds_the_token(caplog):
    caplog.set_level(logging.DEBUG)
    with LiveServer(ServeConfig(port=0, token=TOKEN)).start() as s:
        for data in MALFORMED.values():
            raw_request(s.port, data)
        get(s.port, f"/%3Ftoken={TOKEN}")  # the path itself says ?token=...
        get(s.port, f"/healthz?token={TOKEN}")
        get(s.port, "/healthz", {"Authorization": f"Bearer {TOKEN}x"})
        get(s.port, f"/nowhere?token={TOKEN}")
    texts = [r.getMessage() for r in caplog.records]
    texts += [logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info]
    assert texts and not [t for t in texts if TOKEN[:8] in t]


def test_redactor():
    r = Redactor(["tok/en+1"])
    assert r("GET /?token=abc&x=1 200") == "GET /?<query> 200"
    assert "tok/en+1" not in r("seen tok/en+1 and tok%2Fen%2B1") and "tok%2Fen" not in r("tok%2Fen%2B1")
    assert r("b'X-Edge-Token: zz\\r\\nHost: a'") == "b'X-Edge-Token: <redacted>\\r\\nHost: a'"
    assert "zz" not in r("Authorization: Bearer zz") and r("token=zz") == "token=<redacted>"
    assert r("nothing secret here?") == "nothing secret here?"


def test_running_out_of_files_is_one_warning_line_not_a_traceback_a_second(caplog):
    caplog.set_level(logging.DEBUG, logger="edge.sinks.web")
    counted = []
    handle = loop_exception_handler(Redactor([TOKEN]), lambda: counted.append(1))
    loop = asyncio.new_event_loop()
    try:
        for _ in range(5):
            try:
                raise OSError(errno.EMFILE, "Too many open files")
            except OSError as e:
                handle(loop, {"message": "socket.accept() out of system resource", "exception": e})
        try:
            raise RuntimeError(f"a bug near /?token={TOKEN}")
        except RuntimeError as e:
            handle(loop, {"message": "Exception in callback", "exception": e})
    finally:
        loop.close()
    assert len(counted) == 5
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ulimit -n" in warnings[0].getMessage()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "RuntimeError" in errors[0].getMessage()
    assert not any(r.exc_info for r in caplog.records) and TOKEN not in caplog.text


# -- tokens that are not text ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    [
        b"X-Edge-Token: s3\xff\xfe",
        b"Authorization: Bearer s3\xff",
        b"X-Edge-Token: " + TOKEN.encode() + b"\x7f",
        b"X-Edge-Token: \xc3\x28",
    ],
)
def test_a_token_that_is_not_text_is_400_not_500(header, caplog):
    caplog.set_level(logging.DEBUG)
    with LiveServer(ServeConfig(port=0, token=TOKEN)).start() as s:
        for path in (b"/healthz", b"/", b"/stream.mjpg"):
            status = raw_request(
                s.port, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b"\r\n\r\n"
            )
            assert status.split(b" ")[1] in (b"400", b"401"), (path, status)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_random_requests_never_give_500_an_error_line_or_the_token(caplog):
    """Seeded fuzz: methods, paths and header values with random bytes, with and without a token."""
    import random

    rng = random.Random(16)
    paths = [b"/", b"/healthz", b"/snapshot.jpg", b"/%ff", b"/%c0%af", b"/..%2f..%2fetc/passwd", b"*"]
    paths += [b"/healthz?token=%ff%fe", b"/?token=%00", b"/\xff\xfe", b"/?x=\xff", b"http://evil/healthz"]
    names = [b"Host", b"Authorization", b"X-Edge-Token", b"Cookie", b"Accept", b"Content-Length", b"Upgrade"]
    caplog.set_level(logging.DEBUG)
    statuses = set()
    for token in (TOKEN, None):
        with LiveServer(ServeConfig(port=0, token=token)).start() as s:
            for _ in range(100):
                method = rng.choice([b"GET", b"HEAD", b"POST", b"OPTIONS", b"G\xffT"])
                lines = [method + b" " + rng.choice(paths) + b" HTTP/1.1", b"Host: 127.0.0.1"]
                for _ in range(rng.randint(0, 3)):
                    value = bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
                    value = value.replace(b"\r", b"").replace(b"\n", b"")
                    prefix = rng.choice([b"", b"Bearer ", TOKEN.encode()])
                    lines.append(rng.choice(names) + b": " + prefix + value)
                status = raw_request(s.port, b"\r\n".join(lines) + b"\r\n\r\n")
                statuses.add(status.split(b" ")[1] if status.count(b" ") >= 1 else status)
        if token is not None:
            assert TOKEN not in caplog.text
            caplog.clear()
    assert b"500" not in statuses and b"" not in statuses, statuses
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


# -- command line and benchmark ---------------------------------------------------------------------
def test_max_connections_flag_reaches_the_server():
    from edge.cli.run_args import parse_args

    cfg = parse_args(["--source", "demo", "--serve", "0", "--max-viewers", "4", "--max-connections", "9"])
    assert cfg.max_connections == 9 and cfg.max_viewers == 4
    assert parse_args(["--source", "demo"]).max_connections is None
    assert ServeConfig(max_viewers=100).connection_cap == 400 and ServeConfig().connection_cap == 256
    with pytest.raises(ValueError, match="--max-connections"):
        ServeConfig(max_viewers=10, max_connections=10)


def test_serve_idle_benchmark_runs(monkeypatch, capsys):
    """``python -m benchmarks.serve_idle`` (small): edge-serve among idle sockets serves a viewer."""
    from benchmarks import serve_idle

    monkeypatch.chdir(REPO)
    argv = ["--idle", "40", "--half-sent", "10", "--nofile", "256", "--seconds", "0.3", "--wait-closed", "0"]
    assert serve_idle.main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["page_status"] == 200 and result["stream_frames"] > 0
    assert result["stderr_tracebacks"] == 0 and not result["stderr_has_token"]
