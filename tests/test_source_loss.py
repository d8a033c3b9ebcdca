"""Sources that end badly (issue 16, item 4): a truncated video, a lost or stalled camera or
stream (in stream words for a stream), reconnecting, edge-run's exit status 3 for a lost
source, and an image folder with unreadable images (skipped, counted, exit 0)."""

from __future__ import annotations

import json
import time

import cv2
import numpy as np
import pytest

from edge.cli import run as cli_run
from edge.live import launch
from edge.sources import CameraSource, ReconnectingSource, SourceLost, VideoFileSource, reconnect
from edge.types import Frame
from tests.test_run import fake_pipeline


# -- a truncated video --------------------------------------------------------------------
@pytest.mark.parametrize(("name", "fourcc"), [("clip.avi", "MJPG"), ("clip.mkv", "mp4v")])
def test_a_truncated_video_is_a_lost_source_and_a_whole_one_ends_normally(tmp_path, name, fourcc):
    path = tmp_path / name
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), 30.0, (96, 64))
    assert writer.isOpened()
    for i in range(90):
        writer.write(np.random.default_rng(i).integers(0, 256, (64, 96, 3), np.uint8))
    writer.release()
    with VideoFileSource(path) as src:
        assert len(list(src)) == 90  # a whole file ends with None
    cut = tmp_path / f"cut-{name}"
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with VideoFileSource(cut) as src:
        frames = []
        with pytest.raises(SourceLost, match=r"ended after \d+ of the 90 frames.*truncated"):
            while True:
                frames.append(src.read())
        assert 0 < len(frames) < 80


# -- cameras and streams -------------------------------------------------------------------
class ScriptedCapture:
    """Stands in for cv2.VideoCapture: ``frames`` frames, then ``then``: ``"fail"`` (read
    returns False: unplugged / connection closed) or ``"stall"`` (read blocks)."""

    frames = 5
    then = "fail"
    frame_count = 0.0

    def __init__(self, device, api=None, params=None):
        self.n = 0

    def isOpened(self):  # noqa: N802  (OpenCV's name)
        return True

    def set(self, prop, value):
        return True

    def get(self, prop):
        return {cv2.CAP_PROP_FPS: 100.0, cv2.CAP_PROP_FRAME_COUNT: self.frame_count}.get(prop, 0.0)

    def read(self):
        time.sleep(0.005)
        if self.n >= self.frames:
            if self.then == "stall":
                time.sleep(0.5)
            return False, None
        self.n += 1
        return True, np.zeros((8, 8, 3), np.uint8)

    def release(self):
        pass

    def getBackendName(self):  # noqa: N802
        return "SCRIPTED"


@pytest.fixture
def scripted(monkeypatch):
    monkeypatch.setattr(cv2, "VideoCapture", ScriptedCapture)
    monkeypatch.setattr(ScriptedCapture, "then", "fail")
    monkeypatch.setattr(ScriptedCapture, "frame_count", 0.0)
    return ScriptedCapture


def read_until_lost(src) -> tuple[int, SourceLost]:
    n = 0
    with pytest.raises(SourceLost) as e:
        while True:
            assert src.read() is not None
            n += 1
    return n, e.value


def test_a_stream_that_drops_is_lost_in_stream_words(scripted):
    with CameraSource("rtsp://user:pw@cam/live", timeout_s=2.0) as src:
        n, err = read_until_lost(src)
    assert n >= 1 and "the stream ended after" in str(err) and "pw" not in str(err)


def test_a_stalled_stream_is_reported_as_a_stream_not_a_webcam(scripted):
    scripted.then = "stall"
    with CameraSource("http://cam/video.mjpg", timeout_s=0.2) as src:
        n, err = read_until_lost(src)
    msg = str(err)
    assert "stream stalled" in msg and "camera" not in msg and "resolution" not in msg


def test_an_unplugged_camera_is_lost(scripted):
    with CameraSource(0, timeout_s=2.0) as src:
        n, err = read_until_lost(src)
    assert n >= 1 and "unplugged" in str(err)


def test_a_stream_of_known_length_ends_normally(scripted):
    scripted.frame_count = 5.0  # e.g. a file served over HTTP
    with CameraSource("http://host/clip.mp4", timeout_s=2.0) as src:
        frames = list(src)
    assert 1 <= len(frames) <= 5


# -- reconnecting ----------------------------------------------------------------------------
class LosingSource:
    """A live source of ``n`` frames, then lost."""

    name, live, fps = "webcam:0", True, 30.0

    def __init__(self, n=3):
        self.n, self.i, self.closed = n, 0, False

    def read(self):
        if self.i >= self.n:
            raise SourceLost("webcam:0: the camera stopped delivering frames (unplugged?)")
        self.i += 1
        return Frame(np.full((120, 160, 3), 255, np.uint8), time.monotonic(), self.i - 1)

    def close(self):
        self.closed = True


@pytest.fixture
def no_wait(monkeypatch):
    monkeypatch.setattr(reconnect, "FIRST_BACKOFF_S", 0.0)


def test_reconnect_opens_again_keeps_counting_and_gives_up_after_n_failures(no_wait):
    plan = ["ok", "fail", "ok", "fail", "fail"]
    opened = []

    def opener():
        step = plan.pop(0)
        if step == "fail":
            raise RuntimeError("cannot open camera 0")
        opened.append(LosingSource())
        return opened[-1]

    src = ReconnectingSource(opener, 2)
    indices = []
    with pytest.raises(SourceLost, match="gave up after 2 reconnect attempts"):
        while True:
            indices.append(src.read().index)
    assert indices == list(range(6))  # 3 frames, lost, a failed attempt, 3 more, lost, 2 failed
    assert src.reconnects == 1 and all(s.closed for s in opened)
    with pytest.raises(ValueError):
        ReconnectingSource(opener, 0)


def test_reconnect_does_not_retry_other_errors(no_wait):
    class Broken(LosingSource):
        def read(self):
            raise RuntimeError("webcam:0 is closed")

    with pytest.raises(RuntimeError, match="closed"):
        ReconnectingSource(Broken, 3).read()


# -- edge-run: exit status 3, --reconnect, folders with unreadable images -------------------
@pytest.fixture
def losing_run(monkeypatch, no_wait):
    """edge-run with the fake pipeline and live sources that are lost after 3 frames."""
    opened = []

    def open_source(spec, **kw):
        opened.append(LosingSource())
        return opened[-1]

    monkeypatch.setattr(cli_run, "open_source", open_source)
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline(kw["smoothing"]))
    monkeypatch.setattr(cli_run, "display_available", lambda: (False, "no display (test)"))
    return opened


def test_a_lost_source_exits_3_after_finalising_the_outputs(losing_run, tmp_path, capsys):
    jl = tmp_path / "out.jsonl"
    assert cli_run.main(["--headless", "--jsonl", str(jl)]) == 3
    out, err = capsys.readouterr()
    assert "error: source lost: webcam:0" in err and "Traceback" not in err
    assert "3 frames" in out and len(jl.read_text().splitlines()) == 3


def test_reconnect_goes_on_after_a_loss(losing_run, tmp_path, capsys, caplog):
    jl = tmp_path / "out.jsonl"
    assert cli_run.main(["--headless", "--reconnect", "2", "--max-frames", "7", "--jsonl", str(jl)]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(s) for s in jl.read_text().splitlines()]
    assert [r["frame"] for r in lines] == list(range(7))
    assert "source reconnected 2 times" in out and "reconnecting in" in caplog.text
    assert len(losing_run) == 3


@pytest.fixture
def folder_run(monkeypatch, tmp_path):
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline(kw["smoothing"]))
    monkeypatch.setattr(cli_run, "display_available", lambda: (False, "no display (test)"))
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(1, 7):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((120, 160, 3), 255, np.uint8))
    (folder / "3.png").write_bytes(b"not a png")
    return folder


def test_a_folder_run_skips_unreadable_images_with_one_warning_each(folder_run, tmp_path, capsys, caplog):
    jl = tmp_path / "out.jsonl"
    assert cli_run.main(["--source", str(folder_run), "--headless", "--jsonl", str(jl)]) == 0
    out, err = capsys.readouterr()
    assert len(jl.read_text().splitlines()) == 5  # the 5 good images after the bad one too
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "3.png" in warnings[0] and "\n" not in warnings[0]
    assert "skipped 1 unreadable image" in out


def test_a_folder_run_can_stop_at_the_first_unreadable_image(folder_run, capsys):
    assert cli_run.main(["--source", str(folder_run), "--headless", "--no-skip-unreadable"]) == 2
    assert "3.png" in capsys.readouterr().err


def test_a_folder_where_nothing_can_be_read_is_an_error(folder_run, capsys):
    for p in folder_run.iterdir():
        p.write_bytes(b"")
    assert cli_run.main(["--source", str(folder_run), "--headless"]) == 2
    assert "none of the 6 images" in capsys.readouterr().err


def test_ctrl_c_without_outputs_does_not_claim_to_finalise_any(monkeypatch, capsys):
    class Interrupting(LosingSource):
        def read(self):
            raise KeyboardInterrupt

    monkeypatch.setattr(cli_run, "open_source", lambda spec, **kw: Interrupting())
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline(kw["smoothing"]))
    monkeypatch.setattr(cli_run, "display_available", lambda: (False, "no display (test)"))
    assert cli_run.main(["--headless"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "interrupted"


@pytest.fixture
def mjpeg_server():
    """A local HTTP MJPEG stream (as many IP cameras serve) that sends 10 frames per connection
    and then closes it; yields its URL and the number of connections made."""
    import http.server
    import threading

    connections = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802  (http.server's name)
            connections.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            for i in range(10):
                _, buf = cv2.imencode(".jpg", np.full((120, 160, 3), 20 * i, np.uint8))
                head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(buf)
                self.wfile.write(head + buf.tobytes() + b"\r\n")
                time.sleep(0.03)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/video.mjpg", connections
    finally:
        server.shutdown()
        server.server_close()


def test_a_real_stream_that_drops_exits_3_and_reconnects(
    mjpeg_server, monkeypatch, no_wait, tmp_path, capsys
):
    url, connections = mjpeg_server
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline(kw["smoothing"]))
    monkeypatch.setattr(cli_run, "display_available", lambda: (False, "no display (test)"))
    assert cli_run.main(["--source", url, "--headless"]) == 3
    out, err = capsys.readouterr()
    assert "error: source lost: stream:" in err and "stream ended" in err and "camera" not in err
    assert len(connections) == 1
    jl = tmp_path / "out.jsonl"
    args = ["--source", url, "--headless", "--reconnect", "3", "--max-frames", "12", "--jsonl", str(jl)]
    assert cli_run.main(args) == 0
    out, err = capsys.readouterr()
    assert len(jl.read_text().splitlines()) == 12 and "source reconnected" in out
    assert len(connections) >= 3


def test_a_pi_camera_that_fails_after_frames_is_lost(monkeypatch):
    import sys
    import types

    from edge.sources.picamera import PiCameraSource

    class Picamera2:
        def __init__(self, camera_num=0):
            self.n = 0

        def create_preview_configuration(self, main=None, controls=None):
            return {"main": dict(main)}

        def configure(self, config):
            pass

        def start(self):
            pass

        def capture_array(self, name="main", wait=None):
            self.n += 1
            if self.n > 2:
                raise TimeoutError("camera frontend timeout")
            return np.zeros((24, 32, 3), np.uint8)

        def stop(self):
            pass

        def close(self):
            pass

    module = types.ModuleType("picamera2")
    module.Picamera2 = Picamera2
    monkeypatch.setitem(sys.modules, "picamera2", module)
    with PiCameraSource(width=32, height=24) as src:
        n, err = read_until_lost(src)
    assert n == 2 and "timeout" in str(err)


def test_the_pipeline_forgets_its_tracks_after_a_reconnect(no_wait):
    from edge.live import run

    class Pipe:
        def __init__(self):
            self.inner = fake_pipeline()
            self.classifier, self.smoother, self.resets = self.inner.classifier, self.inner.smoother, 0

        def process(self, frame):
            return self.inner.process(frame)

        def reset(self):
            self.resets += 1
            self.inner.reset()

    pipe = Pipe()
    stats = run(ReconnectingSource(LosingSource, 3), pipe, max_frames=8)
    assert stats.frames == 8 and pipe.resets == 2  # lost after frames 3 and 6
