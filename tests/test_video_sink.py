"""The recording writers (issue 16, item 5): .mp4 as a fragmented mp4 with PyAV, OpenCV's
writer as the fallback, and what each leaves after a kill."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.sinks import VideoSink, video_writer

ROOT = Path(__file__).resolve().parents[1]

needs_pyav = pytest.mark.skipif(
    video_writer.import_pyav() is None, reason="the fragmented mp4 writer needs PyAV (pip install av)"
)


def read_frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while cap.isOpened():
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image)
    cap.release()
    return frames


def ramp(i: int, size: tuple[int, int] = (64, 48)) -> np.ndarray:
    """A frame whose mean grey level is 4 * i (so frames can be told apart after encoding)."""
    return np.full((size[1], size[0], 3), 4 * i, np.uint8)


def is_fragmented(path: Path) -> bool:
    data = path.read_bytes()
    return b"mvex" in data[:4096] and data.count(b"moof") >= 1


@needs_pyav
def test_an_mp4_is_a_fragmented_h264_that_reads_back_every_frame(tmp_path):
    path = tmp_path / "run.mp4"
    with VideoSink(path, fps=30.0) as sink:
        for i in range(45):
            sink.write_image(ramp(i))
    assert sink.codec in ("libx264", "h264", "mpeg4") and sink.frames_written == 45
    assert is_fragmented(path)
    frames = read_frames(path)
    assert len(frames) == 45
    assert [round(f.mean() / 4) for f in frames[::11]] == [0, 11, 22, 33, 44]
    assert cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FPS) == pytest.approx(30.0)


@needs_pyav
def test_odd_frame_sizes_are_padded_to_even_ones(tmp_path):
    path = tmp_path / "odd.mov"
    with VideoSink(path, fps=10.0) as sink:
        for _ in range(5):
            sink.write_image(np.full((47, 63, 3), 200, np.uint8))
    frames = read_frames(path)
    assert len(frames) == 5 and frames[0].shape == (48, 64, 3)
    assert abs(float(frames[0][:40, :55].mean()) - 200) < 8  # the picture, then a black border


@needs_pyav
def test_a_kill_loses_at_most_the_fragment_being_written(tmp_path):
    """A copy of the file taken between two writes is what a SIGKILL would leave."""
    path, copy = tmp_path / "run.mp4", tmp_path / "copy.mp4"
    sink = VideoSink(path, fps=10.0)  # a keyframe, so a fragment, every 10 frames
    left = {}
    for i in range(35):
        sink.write_image(ramp(i))
        if i + 1 in (5, 11, 25, 35):
            copy.write_bytes(path.read_bytes())
            left[i + 1] = len(read_frames(copy))
    sink.close()
    assert left == {5: 0, 11: 10, 25: 20, 35: 30}
    assert len(read_frames(path)) == 35


@needs_pyav
def test_writers_can_be_chosen_and_unknown_ones_are_refused(tmp_path):
    with VideoSink(tmp_path / "cv.mp4", fps=10.0, writer="opencv") as sink:
        sink.write_image(ramp(1))
    assert sink.codec == "mp4v" and not is_fragmented(tmp_path / "cv.mp4")
    with VideoSink(tmp_path / "frag.mkv", fps=10.0, writer="pyav") as sink:
        sink.write_image(ramp(1))
    assert is_fragmented(tmp_path / "frag.mkv") and len(read_frames(tmp_path / "frag.mkv")) == 1
    with VideoSink(tmp_path / "plain.mkv", fps=10.0) as sink:  # other suffixes: OpenCV, as before
        sink.write_image(ramp(1))
    assert sink.codec == "mp4v"
    with pytest.raises(ValueError, match="auto, pyav, opencv"):
        VideoSink(tmp_path / "x.mp4", writer="ffmpeg")


@needs_pyav
def test_mpeg4_is_used_where_there_is_no_h264_encoder(tmp_path, monkeypatch):
    monkeypatch.setattr(video_writer, "CODECS", ("no-such-encoder", "mpeg4"))
    with VideoSink(tmp_path / "m.mp4", fps=10.0) as sink:
        for i in range(12):
            sink.write_image(ramp(i))
    assert sink.codec == "mpeg4" and len(read_frames(tmp_path / "m.mp4")) == 12
    monkeypatch.setattr(video_writer, "CODECS", ("no-such-encoder",))
    sink = VideoSink(tmp_path / "none.mp4", fps=10.0)
    with pytest.raises(RuntimeError, match="no video encoder of no-such-encoder"):
        sink.write_image(ramp(1))


def test_without_pyav_an_mp4_falls_back_to_opencv_with_one_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` raises ImportError
    monkeypatch.setattr(video_writer, "_warned_no_pyav", False)
    caplog.set_level(logging.WARNING, logger="edge.sinks")
    for name in ("a.mp4", "b.mp4"):
        with VideoSink(tmp_path / name, fps=10.0) as sink:
            for i in range(8):
                sink.write_image(ramp(i))
        assert sink.codec == "mp4v" and len(read_frames(tmp_path / name)) == 8
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "will not play if the run is killed" in warnings[0] and "pip install av" in warnings[0]
    assert ".mkv" in warnings[0] and "--segment-seconds" in warnings[0]
    with pytest.raises(ValueError, match="pip install av"):
        VideoSink(tmp_path / "c.mp4", fps=10.0, writer="pyav").write_image(ramp(1))


@needs_pyav
def test_an_unwritable_output_is_one_error_line(tmp_path):
    (tmp_path / "taken.mp4").mkdir()  # a folder where the file should go
    with pytest.raises(RuntimeError, match=r"cannot create the video .*taken\.mp4: Is a directory"):
        VideoSink(tmp_path / "taken.mp4", fps=10.0).write_image(ramp(1))
    r = subprocess.run(
        [sys.executable, "-m", "edge.cli.run", "--source", "demo", "--headless", "--max-frames", "3"]
        + ["--output", str(tmp_path / "taken.mp4")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2
    assert r.stderr.splitlines() == [r.stderr.strip()] and r.stderr.startswith(
        "error: cannot create the video"
    )


def test_importing_the_runtime_does_not_import_pyav():
    code = "import sys, edge.cli.run, edge.sinks, edge.live; print('av' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.stdout.strip() == "False", r.stderr


@needs_pyav
def test_a_ctrl_c_finishes_the_mp4(tmp_path):
    """SIGINT to ``edge-run``: exit 130 and every frame written plays (the last fragment too)."""
    out, jl = tmp_path / "run.mp4", tmp_path / "run.jsonl"
    cmd = [sys.executable, "-m", "edge.cli.run", "--source", "demo", "--headless", "--output", str(out)]
    # SIG_DFL: a shell's background job (``pytest &``) starts with SIGINT ignored, and the
    # child would inherit that and never see the Ctrl-C (edge-run keeps an ignored SIGINT)
    p = subprocess.Popen(
        [*cmd, "--jsonl", str(jl)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wait_for_lines(p, jl, 45)
        p.send_signal(signal.SIGINT)
        stdout, _ = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130
    written = int(stdout.split("wrote ")[1].split(" frames")[0])
    assert written >= 45 and len(read_frames(out)) == written


def wait_for_lines(p: subprocess.Popen, jl: Path, lines: int, timeout_s: float = 180) -> None:
    """Wait until ``jl`` holds ``lines`` lines (a guard against hanging, not a speed check)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not jl.exists() or jl.read_text().count("\n") < lines:
        assert p.poll() is None, p.stderr.read() if p.stderr else ""
        assert time.monotonic() < deadline, f"edge-run wrote fewer than {lines} lines in {timeout_s} s"
        time.sleep(0.05)


@needs_pyav
def test_each_finished_fragment_is_synced_to_the_disk_off_the_loop(tmp_path, monkeypatch):
    """For a power cut: a background thread fsyncs the file when a keyframe closes a fragment."""
    import os
    import threading

    synced = threading.Event()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if threading.current_thread() is not threading.main_thread():
            synced.set()
        real_fsync(fd)

    monkeypatch.setattr(video_writer.os, "fsync", fsync)
    sink = VideoSink(tmp_path / "run.mp4", fps=10.0)  # a keyframe every 10 frames
    sink.write_image(ramp(0))
    assert synced.wait(timeout=60)  # the first keyframe: the header
    synced.clear()
    for i in range(1, 11):
        sink.write_image(ramp(i))  # the 11th, a keyframe, closes the first fragment
    assert synced.wait(timeout=60)
    sink.close()
    assert not [t for t in threading.enumerate() if t.name == "sync run.mp4"]
