"""The web view (edge.sinks.web, edge-run --serve): routes, the token, the loopback default, clean shutdown.

Real loopback requests against a :class:`edge.sinks.web.LiveServer` fed by a thread that
publishes synthetic frames (no camera, no model). Nothing here is timed: speed is
measured by ``benchmarks/serve_load.py``; waits only bound how long a broken server
may hang a test.
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse
from typing import Any

import cv2
import numpy as np
import pytest

from edge.cli import run as cli_run
from edge.cli import serve
from edge.live import launch
from edge.pipeline import FrameResult, Pipeline
from edge.sinks import web as serve_web
from edge.sinks.web import TOKEN_ENV, LiveServer, ServeConfig, is_loopback, parse_hostport, reading_of
from edge.track import TrackSmoother
from edge.types import ROI, Detection, Frame, Prediction

LABELS = tuple(str(d) for d in range(10))
ROUTES = (
    "/",
    "/app.js",
    "/style.css",
    "/stream.mjpg",
    "/events",
    "/predictions",
    "/snapshot.jpg",
    "/healthz",
)
WAIT_S = 20.0  # upper bound for a broken server, not a speed check


# -- helpers -------------------------------------------------------------------------------
def make_result(i: int, w: int = 160, h: int = 120) -> FrameResult:
    """Frame ``i``: a grey image whose brightness encodes ``i``, reading the number ``i % 100``."""
    img = np.full((h, w, 3), 40 + (i * 7) % 200, np.uint8)
    digits = f"{i % 100:02d}"
    dets = []
    for k, ch in enumerate(digits):
        s = np.full(10, 0.01, np.float32)
        s[int(ch)] = 0.9
        dets.append(Detection(ROI(10 + 40 * k, 20, 30, 45), Prediction(int(ch), ch, 0.9 - 0.1 * k, s)))
    frame = Frame(img, i / 30.0, i)
    return FrameResult(
        frame,
        dets,
        raw=list(dets),
        numbers=[(digits, ROI(10, 20, 70, 45))],
        timings_ms={"segment": 1.0, "preprocess": 0.5, "classify": 0.25, "smooth": 0.1, "total": 1.85},
    )


class Pump:
    """Publishes synthetic frames to a server from a background thread, like the pipeline loop."""

    def __init__(self, server: LiveServer, period_s: float = 0.01) -> None:
        self.server, self.period_s, self.i = server, period_s, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            r = make_result(self.i)
            self.server.publish(r, fps=30.0, timings_ms=r.timings_ms)
            self.i += 1
            self._stop.wait(self.period_s)

    def __enter__(self) -> Pump:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def server():
    cfg = ServeConfig(port=0, stream_fps=30.0)
    with LiveServer(cfg, model="test-model", source="test-source").start() as s:
        yield s


@pytest.fixture
def token_server():
    with LiveServer(ServeConfig(port=0, token="s3cret-token")).start() as s:
        with Pump(s):
            yield s


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    """GET any route: (status, headers, body). Error statuses are returned, not raised; of a
    streaming route (no Content-Length) only the bytes that have arrived are read."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=WAIT_S)
    try:
        conn.request("GET", u.path + (f"?{u.query}" if u.query else ""), headers=headers or {})
        r = conn.getresponse()
        body = r.read() if r.getheader("Content-Length") is not None else r.read1(65536)
        return r.status, r.msg, body
    finally:
        conn.close()


def open_stream(server: LiveServer, path: str, headers: dict[str, str] | None = None):
    """Start a GET on a streaming route; returns (connection, response) with the headers read."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT_S)
    conn.request("GET", path, headers=headers or {})
    return conn, conn.getresponse()


def read_until(resp, marker: bytes, count: int) -> bytes:
    """Read a streaming response until ``marker`` occurs ``count`` times."""
    buf = b""
    deadline = time.monotonic() + WAIT_S
    while buf.count(marker) < count:
        assert time.monotonic() < deadline, f"only {buf.count(marker)} of {count} {marker!r} in {WAIT_S} s"
        chunk = resp.read1(65536)
        assert chunk, "the stream ended early"
        buf += chunk
    return buf


def wait_for(cond, what: str):
    deadline = time.monotonic() + WAIT_S
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def jpeg_parts(buf: bytes) -> list[bytes]:
    """The JPEG files of an MJPEG byte stream (complete parts only)."""
    out = []
    for part in buf.split(b"--frame\r\n")[1:]:
        head, sep, body = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        lengths = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
        length = int(lengths[0].split(b":")[1])
        if len(body) >= length:
            out.append(body[:length])
    return out


# -- addresses and defaults ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("8080", ("127.0.0.1", 8080)),
        ("0", ("127.0.0.1", 0)),
        ("0.0.0.0:8080", ("0.0.0.0", 8080)),
        ("localhost:9000", ("localhost", 9000)),
        ("[::1]:8080", ("::1", 8080)),
        ("[::]:80", ("::", 80)),
        (" 192.168.1.5:8080 ", ("192.168.1.5", 8080)),
    ],
)
def test_parse_hostport(text, expected):
    assert parse_hostport(text) == expected


@pytest.mark.parametrize(
    "text, hint",
    [
        ("", "PORT"),
        (":8080", "127.0.0.1:8080"),
        ("pi.local", "no port"),
        ("pi:70000", "65535"),
        ("pi:http", "65535"),
        ("::1:8080", "brackets"),
        ("[::1]8080", "[::1]:8080"),
        ("-1", "no port"),
    ],
)
def test_parse_hostport_errors_say_what_to_write(text, hint):
    with pytest.raises(ValueError, match="bad|empty") as e:
        parse_hostport(text)
    assert hint in str(e.value)


def test_is_loopback():
    for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "app.localhost"):
        assert is_loopback(h), h
    for h in ("0.0.0.0", "::", "192.168.1.5", "pi.local", "example.com"):
        assert not is_loopback(h), h


def test_default_bind_is_loopback():
    assert ServeConfig().host == "127.0.0.1" and not ServeConfig().public
    assert cli_run.parse_args(["--serve", "8080"]).serve == ("127.0.0.1", 8080)
    assert cli_run.parse_args([]).serve is None  # edge-run serves only when asked
    cfg = cli_run.parse_args([], prog="edge-serve", serve_default="127.0.0.1:8080")
    assert cfg.serve == ("127.0.0.1", 8080) and cfg.display is False
    assert cli_run.parse_args(["--display"], prog="edge-serve", serve_default="127.0.0.1:8080").display
    with LiveServer(ServeConfig(port=0)).start() as s:
        assert s.bound and all(is_loopback(host) for host, _ in s.bound), s.bound


def test_serve_config_rejects_bad_values():
    for kw in (
        {"port": 70000},
        {"stream_fps": 0},
        {"jpeg_quality": 0},
        {"max_viewers": 0},
        {"token": ""},
        {"host": ""},
        {"write_timeout_s": 0},
    ):
        with pytest.raises(ValueError):
            ServeConfig(**kw)


def test_bad_serve_argument_exits_2_with_the_fix(capsys):
    with pytest.raises(SystemExit) as e:
        cli_run.parse_args(["--serve", ":8080"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "--serve" in err and "127.0.0.1:8080" in err and "0.0.0.0:8080" in err


def test_edge_serve_help(capsys):
    with pytest.raises(SystemExit) as e:
        serve.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: edge-serve") and "--serve" in out and "127.0.0.1:8080" in out


def test_reading_of():
    assert reading_of({"detections": []}) == ("", None)
    dets = [{"label": "4", "score": 0.9}, {"label": "2", "score": 0.7}]
    assert reading_of({"detections": dets, "number": "42"}) == ("42", 0.7)
    assert reading_of({"detections": dets, "numbers": ["4", "2"]}) == ("4 2", 0.7)
    assert reading_of({"detections": [{"label": "rock", "score": 0.95}]}) == ("rock", 0.95)


# -- routes ------------------------------------------------------------------------------------
def test_page_and_static_files(server):
    status, headers, body = get(server.url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'id="stream"' in body and b'id="reading"' in body and b"app.js" in body
    assert (
        headers["X-Content-Type-Options"] == "nosniff"
        and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    )
    status, headers, body = get(server.url + "app.js")
    assert status == 200 and b"EventSource" in body and b"stream.mjpg" in body
    assert get(server.url + "style.css")[0] == 200


def test_no_route_reads_client_chosen_files(server):
    for path in (
        "/../setup.cfg",
        "/web/index.html",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/app.js/../../setup.cfg",
        "/static/app.js",
        "/index.html",
    ):
        status, _, body = get(server.url.rstrip("/") + path)
        assert status == 404, (path, status)
        assert b"[metadata]" not in body and b"root:" not in body


def test_healthz_and_snapshot(server):
    status, _, body = get(server.url + "healthz")
    assert status == 503 and json.loads(body)["status"] == "waiting for the first frame"
    assert get(server.url + "snapshot.jpg")[0] == 503
    for i in range(3):
        server.publish(make_result(i), fps=30.0)
    status, _, body = get(server.url + "healthz")
    h = json.loads(body)
    assert status == 200 and h["status"] == "ok" and h["frames"] == 3 and h["model"] == "test-model"
    assert h["counters"]["encoded"] == 0  # nobody watched: nothing was encoded
    status, headers, body = get(server.url + "snapshot.jpg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    img = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape == (120, 160, 3)
    # The newest frame (i = 2: brightness 54) with the overlay drawn on it (boxes are not grey).
    assert abs(float(np.median(img)) - 54) < 8 and img.std() > 5
    get(server.url + "snapshot.jpg")
    assert server.counters.encoded == 1  # the same frame is encoded once


def test_mjpeg_stream_gives_the_newest_frames(server):
    with Pump(server):
        conn, resp = open_stream(server, "/stream.mjpg")
        try:
            assert resp.status == 200
            assert resp.getheader("Content-Type") == "multipart/x-mixed-replace; boundary=frame"
            parts = jpeg_parts(read_until(resp, b"--frame\r\n", 4))
        finally:
            conn.close()
    assert len(parts) >= 3
    for p in parts:
        img = cv2.imdecode(np.frombuffer(p, np.uint8), cv2.IMREAD_COLOR)
        assert img is not None and img.shape == (120, 160, 3)
    assert server.counters.encoded <= server.counters.published


def test_one_encoding_per_frame_for_many_viewers(server):
    conns = [open_stream(server, "/stream.mjpg") for _ in range(4)]
    try:
        wait_for(lambda: server.clients["stream"] == 4, "4 stream viewers")
        with Pump(server):
            bufs = [read_until(resp, b"--frame\r\n", 3) for _, resp in conns]
        assert all(len(jpeg_parts(b)) >= 2 for b in bufs)
        c = server.counters
        assert 0 < c.encoded <= c.published
        assert c.frames_sent >= 4 * 2 and c.frames_sent > c.encoded  # several viewers per encoding
    finally:
        for conn, _ in conns:
            conn.close()


def test_events_carry_the_reading_fps_and_timings(server):
    with Pump(server):
        conn, resp = open_stream(server, "/events")
        try:
            assert resp.getheader("Content-Type").startswith("text/event-stream")
            buf = read_until(resp, b"\n\ndata: ", 3)
        finally:
            conn.close()
    events = [json.loads(line[6:]) for line in buf.decode().splitlines() if line.startswith("data: ")]
    assert len(events) >= 2
    e = events[-1]
    assert e["reading"] == e["number"] == f"{e['frame'] % 100:02d}"
    assert e["confidence"] == pytest.approx(0.8) and e["fps"] == 30.0
    assert set(e["timings_ms"]) == {"segment", "preprocess", "classify", "smooth", "total"}
    assert e["model"] == "test-model" and e["source"] == "test-source"
    assert [x["frame"] for x in events] == sorted({x["frame"] for x in events})


def test_predictions_stream_every_record_in_order(server):
    conn, resp = open_stream(server, "/predictions")
    try:
        assert resp.getheader("Content-Type") == "application/x-ndjson"
        wait_for(lambda: server.clients["predictions"] == 1, "the predictions viewer")
        sent = [make_result(i) for i in range(40)]
        for r in sent:
            server.publish(r, fps=30.0)
        buf = read_until(resp, b"\n", 40)
    finally:
        conn.close()
    got = [json.loads(line) for line in buf.decode().splitlines()[:40]]
    assert got == [r.as_json() for r in sent]  # exactly the JSON Lines records, none skipped


def test_record_ring_is_bounded(server):
    for i in range(serve_web.RECORD_RING * 3):
        server.publish(make_result(i))
    assert len(server._ring) == serve_web.RECORD_RING


def test_stalled_viewer_does_not_hold_back_the_others(server):
    """A client that never reads: publish keeps returning and a live viewer gets the newest frames."""
    stalled = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    try:
        wait_for(lambda: server.clients["stream"] == 1, "the stalled viewer")
        big = [make_result(i, 640, 480) for i in range(4)]
        for i in range(300):
            server.publish(big[i % 4], fps=30.0)  # returns at once whatever the stalled client does
            time.sleep(0.002)
        assert server.counters.published == 300
        conn, resp = open_stream(server, "/stream.mjpg")
        try:
            with Pump(server):
                parts = jpeg_parts(read_until(resp, b"--frame\r\n", 3))
        finally:
            conn.close()
        assert parts and server.counters.encoded <= server.counters.published
    finally:
        stalled.close()
    wait_for(lambda: server.clients["stream"] == 0, "both viewers to be let go")


def test_viewers_that_leave_free_their_slots(server):
    with Pump(server):
        conns = [open_stream(server, p) for p in ("/stream.mjpg", "/events", "/predictions") * 3]
        wait_for(lambda: sum(server.clients.values()) == 9, "9 viewers")
        for conn, resp in conns:
            resp.read1(100)
            conn.close()
        wait_for(lambda: sum(server.clients.values()) == 0, "the viewers to be let go")


def test_max_viewers_refuses_with_503():
    with LiveServer(ServeConfig(port=0, max_viewers=1)).start() as s:
        conn, resp = open_stream(s, "/events")
        try:
            wait_for(lambda: s.clients["events"] == 1, "the first viewer")
            status, _, body = get(s.url + "stream.mjpg")
            assert status == 503 and b"too many viewers" in body
        finally:
            conn.close()


# -- safety --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ROUTES)
def test_token_is_required_on_every_route(token_server, path):
    url = token_server.url.rstrip("/") + path
    status, headers, _ = get(url)
    assert status == 401 and "Bearer" in headers.get("WWW-Authenticate", "")
    assert get(url + "?token=wrong")[0] == 403
    assert get(url, {"Authorization": "Bearer nope"})[0] == 403
    assert get(url, {"X-Edge-Token": "s3cret-token-but-longer"})[0] == 403


@pytest.mark.parametrize("how", ["query", "bearer", "header"])
def test_the_right_token_opens_every_route(token_server, how):
    tok = "s3cret-token"
    wait_for(lambda: get(token_server.url + f"healthz?token={tok}")[0] == 200, "the first frame")
    for path in ROUTES:
        url = token_server.url.rstrip("/") + path
        headers = {}
        if how == "query":
            url += f"?token={tok}"
        elif how == "bearer":
            headers["Authorization"] = f"Bearer {tok}"
        else:
            headers["X-Edge-Token"] = tok
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=WAIT_S)
        try:
            conn.request("GET", u.path + (f"?{u.query}" if u.query else ""), headers=headers)
            resp = conn.getresponse()
            assert resp.status == 200, (path, how, resp.status)
        finally:
            conn.close()


def test_token_is_not_logged(token_server, caplog):
    caplog.set_level("DEBUG", logger="edge.sinks.web")
    get(token_server.url + "healthz?token=s3cret-token")
    get(token_server.url + "healthz?token=guess")
    wait_for(lambda: len([r for r in caplog.records if "/healthz" in r.getMessage()]) >= 2, "the access log")
    assert "s3cret-token" not in caplog.text and "guess" not in caplog.text


def test_loopback_server_refuses_foreign_host_names(server):
    """Without a token, a page elsewhere cannot read the loopback server through DNS rebinding."""
    status, _, body = get(server.url + "healthz", {"Host": f"attacker.example:{server.port}"})
    assert status == 403 and b"127.0.0.1" in body
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "localhost:9999"):
        assert get(server.url + "app.js", {"Host": host})[0] == 200, host


def test_port_in_use_is_a_clear_error():
    with LiveServer(ServeConfig(port=0)).start() as first:
        with pytest.raises(OSError, match="in use") as e:
            LiveServer(ServeConfig(port=first.port)).start()
        assert f"127.0.0.1:{first.port + 1}" in str(e.value)


def test_public_bind_warns_and_makes_up_a_token(monkeypatch, capsys):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    cfg = cli_run.RunConfig(serve=("0.0.0.0", 0))
    s = cli_run.start_server(cfg, cli_run.RunStats())
    try:
        err = capsys.readouterr().err
        assert err.startswith("warning: ") and "token" in err
        assert s.config.token and len(s.config.token) >= 20 and f"?token={s.config.token}" in err
        local = f"http://127.0.0.1:{s.port}/healthz"
        assert get(local)[0] == 401
        assert get(local, {"X-Edge-Token": s.config.token})[0] in (200, 503)  # 503: no frame yet
    finally:
        s.close()


def test_token_from_environment(monkeypatch, capsys):
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    s = cli_run.start_server(cli_run.RunConfig(serve=("127.0.0.1", 0)), cli_run.RunStats())
    try:
        assert s.config.token == "from-env" and "warning" not in capsys.readouterr().err
        assert get(s.url + "healthz")[0] == 401
    finally:
        s.close()


# -- edge-run --serve -------------------------------------------------------------------------
class SlowFakeSource:
    """Endless 160x120 frames with two digits, paced at ~100 fps; Ctrl-C after ``interrupt_after``."""

    name, live, fps = "fake", False, 100.0

    def __init__(self, interrupt_after=None, stop=None):
        self.i, self.interrupt_after, self.stop, self.closed = 0, interrupt_after, stop, False

    def read(self):
        if self.interrupt_after is not None and self.i >= self.interrupt_after:
            raise KeyboardInterrupt
        if self.stop is not None and self.stop.is_set():
            return None
        time.sleep(0.01)
        img = np.full((120, 160, 3), 255, np.uint8)
        f = Frame(img, self.i / self.fps, self.i)
        self.i += 1
        return f

    def close(self):
        self.closed = True


class Seg:
    def find(self, image):
        return [ROI(20, 30, 30, 45), ROI(70, 30, 30, 45)]


class Clf:
    labels = LABELS

    def classify(self, batch):
        out = []
        for lab in (4, 2)[: len(batch)]:
            s = np.full(10, 0.01, np.float32)
            s[lab] = 0.91
            out.append(Prediction(lab, str(lab), 0.91, s))
        return out


def fake_pipeline():
    return Pipeline(
        Seg(),
        lambda img, rois: np.zeros((len(rois), 28, 28, 1), np.float32),
        Clf(),
        smoother=TrackSmoother(labels=LABELS),
        grouper=lambda dets: [("".join(d.prediction.label for d in dets), ROI(20, 30, 80, 45))],
    )


def test_edge_run_serve_streams_the_jsonl_records(tmp_path, capsys):
    stop = threading.Event()
    stats = cli_run.RunStats()
    jl = tmp_path / "p.jsonl"
    cfg = cli_run.RunConfig(serve=("127.0.0.1", 0), display=False, jsonl=str(jl))
    source = SlowFakeSource(stop=stop)
    errors: list[BaseException] = []

    def target():
        try:
            cli_run.run_cli(cfg, stats, pipeline=fake_pipeline(), source=source)
        except BaseException as e:  # reported by the assertion below
            errors.append(e)

    t = threading.Thread(target=target)
    t.start()
    try:
        wait_for(lambda: "serve" in stats.outputs or errors, "the web view")
        assert not errors, errors
        url = stats.outputs["serve"]
        port = int(url.rsplit(":", 1)[1].strip("/"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
        conn.request("GET", "/predictions")
        buf = read_until(conn.getresponse(), b"\n", 5)
        conn.close()
        status, _, body = get(url + "healthz")
        assert status == 200 and json.loads(body)["source"] == "fake"
    finally:
        stop.set()
        t.join(WAIT_S)
    assert not t.is_alive() and not errors, errors
    served = [json.loads(s) for s in buf.decode().splitlines()[:5]]
    written = {r["frame"]: r for r in map(json.loads, jl.read_text().splitlines())}
    assert served and all(r == written[r["frame"]] for r in served)  # the same JSON as --jsonl
    assert served[0]["number"] == "42"
    assert "web view: http://127.0.0.1:" in capsys.readouterr().err
    with pytest.raises(OSError):  # the server is gone
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_ctrl_c_with_serve_finalises_outputs_and_stops_the_server(monkeypatch, tmp_path, capsys):
    opened = []

    def open_source(spec, **kw):
        opened.append(kw)
        return SlowFakeSource(interrupt_after=12)

    monkeypatch.setattr(cli_run, "open_source", open_source)
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline())
    vid, jl = tmp_path / "a.mp4", tmp_path / "p.jsonl"
    threads_before = set(threading.enumerate())
    code = cli_run.main(
        ["--source", "demo", "--headless", "--serve", "0", "--output", str(vid), "--jsonl", str(jl)]
    )
    out, err = capsys.readouterr()
    assert code == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert opened == [{"width": None, "height": None, "fps": None, "loop": False, "realtime": True}]
    cap = cv2.VideoCapture(str(vid))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    assert n == 12
    assert len(jl.read_text().splitlines()) == 12
    left = [t for t in set(threading.enumerate()) - threads_before if t.name.startswith("edge-serve")]
    assert not left, left


def test_edge_run_without_serve_keeps_its_source_options(monkeypatch):
    seen = []
    monkeypatch.setattr(cli_run, "open_source", lambda spec, **kw: seen.append(kw) or SlowFakeSource(12))
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline())
    assert cli_run.main(["--source", "demo", "--headless", "--max-frames", "3"]) == 0
    assert seen == [{"width": None, "height": None, "fps": None, "loop": False}]  # not paced


def test_port_in_use_exits_2(monkeypatch, capsys):
    monkeypatch.setattr(cli_run, "open_source", lambda spec, **kw: SlowFakeSource())
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline())
    with LiveServer(ServeConfig(port=0)).start() as other:
        code = cli_run.main(["--source", "x", "--headless", "--serve", str(other.port)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: cannot serve on 127.0.0.1:") and "in use" in err
    assert "Traceback" not in err


def test_missing_aiohttp_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # import aiohttp now raises ImportError
    monkeypatch.setattr(cli_run, "open_source", lambda spec, **kw: SlowFakeSource())
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline())
    assert cli_run.main(["--source", "x", "--headless", "--serve", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the web view needs the aiohttp web server") and "pip install" in err
