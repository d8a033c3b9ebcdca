"""Recordings that survive a SIGKILL (issue 16, item 5): .mp4 as a fragmented mp4 (PyAV),
.mkv as it is, .mp4 in segments; a Ctrl-C while a tool starts prints one line, not a traceback."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.video_write import count_frames
from edge.sinks import VideoSink
from edge.startup import launched_as_a_tool

ROOT = Path(__file__).resolve().parents[1]


def test_segments_are_numbered_and_each_is_complete(tmp_path):
    sink = VideoSink(tmp_path / "run.mp4", fps=10.0, segment_s=1.0)
    for i in range(25):
        sink.write_image(np.full((48, 64, 3), 10 * i, np.uint8))
    sink.close()
    assert [p.name for p in sink.paths] == ["run-0000.mp4", "run-0001.mp4", "run-0002.mp4"]
    assert [count_frames(p) for p in sink.paths] == [10, 10, 5]
    assert sink.frames_written == 25 and not (tmp_path / "run.mp4").exists()
    with pytest.raises(ValueError, match="segment"):
        VideoSink(tmp_path / "x.mp4", segment_s=0)


WRITER = """
import sys, numpy as np
from edge.sinks import VideoSink
sink = VideoSink(sys.argv[1], fps=30.0, segment_s=float(sys.argv[2]) if len(sys.argv) > 2 else None)
rng = np.random.default_rng(0)
i = 0
while True:
    sink.write_image(rng.integers(0, 256, (120, 160, 3), np.uint8))  # noise: ~10 KB a frame
    i += 1
    if i % 10 == 0:
        print(i, flush=True)
"""


def record_then_kill(args: list[str], frames: int) -> None:
    """Run the writer child until it reports ``frames`` frames, then SIGKILL it."""
    p = subprocess.Popen(
        [sys.executable, "-c", WRITER, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in p.stdout:  # type: ignore[union-attr]
            if int(line) >= frames:
                break
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == -signal.SIGKILL


def test_an_mkv_recording_plays_after_sigkill(tmp_path):
    path = tmp_path / "rec.mkv"
    record_then_kill([str(path)], 120)
    # all but the last frames, still in the muxer's 32 KB buffer and the open cluster (<= 1 GOP)
    assert count_frames(path) > 60


def test_an_mp4_in_segments_keeps_every_finished_segment_after_sigkill(tmp_path):
    path = tmp_path / "rec.mp4"
    record_then_kill([str(path), "1.0"], 100)  # 30 frames a segment: 3 finished ones
    finished = sorted(tmp_path.glob("rec-*.mp4"))[:-1]  # the last one was being written
    assert len(finished) >= 3
    assert [count_frames(p) for p in finished] == [30] * len(finished)


def test_an_mp4_recording_plays_after_sigkill(tmp_path):
    pytest.importorskip("av", reason="the fragmented mp4 writer needs PyAV")
    path = tmp_path / "rec.mp4"
    record_then_kill([str(path)], 120)
    assert count_frames(path) >= 120 - 45  # all but the fragment being written (<= 1 s at 30 FPS)


@pytest.mark.parametrize(
    ("output", "extra"),
    [("rec.mp4", []), ("rec.mkv", []), ("rec.mp4", ["--segment-seconds", "1"])],
    ids=["mp4", "mkv", "segments"],
)
def test_edge_run_recording_survives_sigkill(tmp_path, output, extra):
    """A real edge-run (shipped digits model, demo scene at 30 fps) killed with SIGKILL."""
    if output.endswith(".mp4") and not extra:
        pytest.importorskip("av", reason="the fragmented mp4 writer needs PyAV")
    out, jl = tmp_path / output, tmp_path / "rec.jsonl"
    cmd = [sys.executable, "-m", "edge.cli.run", "--source", "demo", "--headless", "--output", str(out)]
    p = subprocess.Popen(
        [*cmd, "--jsonl", str(jl), *extra],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180  # a guard against hanging, not a speed check
        while (not jl.exists() or jl.read_text().count("\n") < 100) and time.monotonic() < deadline:
            assert p.poll() is None, p.stderr.read()  # type: ignore[union-attr]
            time.sleep(0.1)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    lines = [json.loads(s) for s in jl.read_text().splitlines() if s.endswith("}")]
    assert len(lines) >= 100
    if extra:
        finished = sorted(tmp_path.glob("rec-*.mp4"))[:-1]
        assert len(finished) >= 3 and all(count_frames(f) == 30 for f in finished)
    elif output.endswith(".mp4"):  # every frame but those of the fragment being written
        fps = cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FPS)
        assert 1 <= fps <= 120 and count_frames(out) >= len(lines) - 1.5 * fps
    else:
        assert count_frames(out) > 30


def test_edge_run_mp4_holds_every_frame_after_a_clean_end(tmp_path):
    pytest.importorskip("av", reason="the fragmented mp4 writer needs PyAV")
    out = tmp_path / "rec.mp4"
    cmd = [sys.executable, "-m", "edge.cli.run", "--source", "demo", "--headless", "--output", str(out)]
    r = subprocess.run([*cmd, "--max-frames", "100"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert count_frames(out) == 100 and r.stderr == ""


def test_a_ctrl_c_while_a_tool_imports_prints_one_line():
    """``import edge`` as a tool does, then a KeyboardInterrupt that nothing catches."""
    code = "import sys; sys.argv[0] = {!r}; import edge; raise KeyboardInterrupt"
    r = subprocess.run(
        [sys.executable, "-c", code.format("/usr/bin/edge-run")], cwd=ROOT, capture_output=True, text=True
    )
    assert r.stderr == "interrupted\n" and r.returncode != 0
    r = subprocess.run(  # a program using edge as a library keeps Python's behaviour
        [sys.executable, "-c", code.format("myscript.py")], cwd=ROOT, capture_output=True, text=True
    )
    assert "Traceback" in r.stderr


def test_which_processes_are_tools():
    assert launched_as_a_tool("-m")
    assert launched_as_a_tool("/venv/bin/edge-run")
    assert launched_as_a_tool("/src/edge/__main__.py")
    assert not launched_as_a_tool("/venv/bin/pytest")
    assert not launched_as_a_tool("myscript.py")
