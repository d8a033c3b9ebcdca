"""edge-run: the loop, its outputs, clean shutdown and every error, without a camera or a window."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from edge import live
from edge.cli import run as cli_run
from edge.live import launch
from edge.pipeline import Pipeline
from edge.track import TrackSmoother
from edge.types import ROI, Frame, Prediction

LABELS = tuple(str(d) for d in range(10))
ROIS = (ROI(20, 30, 30, 45), ROI(70, 30, 30, 45))


class FakeSource:
    """``n`` frames of 160x120 with two digits of known truth; optionally Ctrl-C after ``interrupt_after``."""

    name, live, fps = "fake", False, 20.0

    def __init__(self, n=10, interrupt_after=None, truth=("4", "2")):
        self.n, self.i, self.interrupt_after, self.truth = n, 0, interrupt_after, truth
        self.closed = False

    def read(self):
        if self.interrupt_after is not None and self.i >= self.interrupt_after:
            raise KeyboardInterrupt
        if self.i >= self.n:
            return None
        img = np.full((120, 160, 3), 255, np.uint8)
        for r in ROIS:
            cv2.rectangle(img, (r.x + 8, r.y + 8), (r.x + r.w - 8, r.y + r.h - 8), (0, 0, 0), 3)
        f = Frame(img, 100.0 + self.i / self.fps, self.i, truth=tuple(zip(self.truth, ROIS, strict=True)))
        self.i += 1
        return f

    def close(self):
        self.closed = True


class Seg:
    def find(self, image):
        return list(ROIS)


class Clf:
    """Reads 4 and 2, except that every third frame the 2 flickers to 7."""

    labels = LABELS

    def __init__(self):
        self.calls = 0

    def classify(self, batch):
        self.calls += 1
        out = []
        for lab in (4, 7 if self.calls % 3 == 0 else 2)[: len(batch)]:
            s = np.full(10, 0.01, np.float32)
            s[lab] = 0.91
            out.append(Prediction(lab, str(lab), 0.91, s))
        return out


def fake_pipeline(smoothing=True):
    return Pipeline(
        Seg(),
        lambda img, rois: np.zeros((len(rois), 28, 28, 1), np.float32),
        Clf(),
        smoother=TrackSmoother(labels=LABELS) if smoothing else None,
        grouper=lambda dets: [("".join(d.prediction.label for d in dets), ROI(20, 30, 80, 45))],
    )


@pytest.fixture
def fakes(monkeypatch):
    """Replace the source and the pipeline factory of edge-run; returns the sources opened."""
    opened = []
    state = {"n": 10, "interrupt_after": None}

    def open_source(spec, **kw):
        src = FakeSource(state["n"], state["interrupt_after"])
        opened.append(src)
        return src

    monkeypatch.setattr(cli_run, "open_source", open_source)
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline(kw["smoothing"]))
    monkeypatch.setattr(cli_run, "display_available", lambda: (False, "no display (test)"))
    return state, opened


def count_frames(path) -> int:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"{path} does not open"
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def test_headless_run_writes_video_and_jsonl(fakes, tmp_path, capsys):
    _, opened = fakes
    vid, jl = tmp_path / "out" / "a.mp4", tmp_path / "p.jsonl"
    code = cli_run.main(["--source", "x", "--output", str(vid), "--jsonl", str(jl)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert opened[0].closed
    assert count_frames(vid) == 10
    lines = [json.loads(s) for s in jl.read_text().splitlines()]
    assert [r["frame"] for r in lines] == list(range(10))
    assert lines[0]["t"] == 0.0 and lines[1]["t"] == pytest.approx(0.05)
    for r in lines:
        assert set(r) == {"frame", "t", "detections", "number", "numbers"}
        assert r["number"] == "42"  # smoothing hides the flicker to 7
        assert r["numbers"] == [{"text": "42", "box": [20, 30, 80, 45]}]
        for d in r["detections"]:
            assert set(d) == {"box", "label", "score"} and len(d["box"]) == 4
    assert lines[0]["detections"][0] == {"box": [20, 30, 30, 45], "label": "4", "score": 0.91}
    assert "FPS" in out and "median ms per frame" in out and "segment" in out
    assert "digits vs ground truth (smoothed): 20/20 read correctly (100.00%)" in out
    assert "wrote 10 frames" in out


def test_no_smoothing_shows_flicker_and_truth_counts_it(fakes, tmp_path, capsys):
    jl = tmp_path / "p.jsonl"
    assert cli_run.main(["--no-smoothing", "--jsonl", str(jl)]) == 0
    out = capsys.readouterr().out
    numbers = [json.loads(s)["number"] for s in jl.read_text().splitlines()]
    assert numbers.count("47") == 3  # frames 3, 6, 9
    assert (
        "digits vs ground truth (no smoothing): 17/20 read correctly (85.00%); wrong 3, missed 0, "
        "extra 0 (shown where the scene has no digit)"
    ) in out
    assert "(raw)" not in out


def test_max_frames(fakes, tmp_path, capsys):
    jl = tmp_path / "p.jsonl"
    assert cli_run.main(["--max-frames", "4", "--jsonl", str(jl)]) == 0
    assert len(jl.read_text().splitlines()) == 4
    assert capsys.readouterr().out.splitlines()[1].startswith("4 frames")


def test_ctrl_c_leaves_playable_video_and_complete_lines(fakes, tmp_path, capsys):
    state, opened = fakes
    state["n"], state["interrupt_after"] = 100, 7
    vid, jl = tmp_path / "a.mp4", tmp_path / "p.jsonl"
    code = cli_run.main(["--output", str(vid), "--jsonl", str(jl)])
    out, err = capsys.readouterr()
    assert code == 130
    assert "interrupted" in err and "Traceback" not in err
    assert opened[0].closed
    assert count_frames(vid) == 7
    text = jl.read_text()
    assert text.endswith("\n")
    assert [json.loads(s)["frame"] for s in text.splitlines()] == list(range(7))
    assert "7 frames" in out


def test_display_asked_where_none_exists(fakes, capsys):
    assert cli_run.main(["--display"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--headless" in err and "Traceback" not in err


def test_auto_display_falls_back_to_headless(fakes, capsys):
    assert cli_run.main([]) == 0
    assert "10 frames" in capsys.readouterr().out


def test_no_camera_error_suggests_demo(monkeypatch, capsys):
    def fail(spec, **kw):
        raise RuntimeError(f"cannot open camera {spec}")

    monkeypatch.setattr(cli_run, "open_source", fail)
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline())
    assert cli_run.main(["--source", "0", "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot open camera 0") and "--source demo" in err


class FakeWindow:
    """Stands in for DisplaySink: replays keys, records what was shown."""

    keys: list[int] = []

    def __init__(self, title):
        self.closed, self.shown, self.last_key = False, [], -1

    def write(self, frame):
        self.last_key = self.show(frame.overlay(), wait_ms=1)

    def show(self, image, wait_ms=1):
        self.shown.append(image)
        return self.keys.pop(0) if self.keys else -1

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_keys_snapshot_pause_quit(fakes, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli_run, "display_available", lambda: (True, ""))
    monkeypatch.setattr(cli_run, "DisplaySink", FakeWindow)
    FakeWindow.keys = [-1, ord("s"), ord(" "), -1, -1, ord(" "), ord("q")]
    jl = tmp_path / "p.jsonl"
    code = cli_run.main(["--display", "--snapshot-dir", str(tmp_path / "snaps"), "--jsonl", str(jl)])
    assert code == 0, capsys.readouterr().err
    snaps = list((tmp_path / "snaps").glob("*.png"))
    assert len(snaps) == 1 and cv2.imread(str(snaps[0])).shape == (120, 160, 3)
    # 7 keys read: frames 0, 1 (snapshot), 2 (pause), paused x2, 3 (resume), 4 (quit)
    assert len(jl.read_text().splitlines()) == 4


def test_corrupt_bundle_exit_2(tiny_digits_bundle, tmp_path, capsys):
    bad = tmp_path / "bad"
    shutil.copytree(tiny_digits_bundle, bad)
    (bad / "model.tflite").write_bytes(b"garbage" * 10)
    assert cli_run.main(["--model", str(bad), "--source", "demo", "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "sha256" in err and "Traceback" not in err
    (bad / "model.json").write_text("{not json")
    assert cli_run.main(["--model", str(bad), "--headless"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_missing_bundle_exit_2(tmp_path, capsys):
    assert cli_run.main(["--model", str(tmp_path / "nothing"), "--headless"]) == 2
    assert "no model bundle" in capsys.readouterr().err


# -- with the real sources (skipped until edge.sources exists) --------------------------
def _real_sources():
    mod = pytest.importorskip("edge.sources")
    if not hasattr(mod, "open_source"):
        pytest.skip("edge.sources.open_source not there yet")
    return mod


def test_unreadable_file_exit_2(monkeypatch, tmp_path, capsys):
    _real_sources()
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline())
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"\x00" * 1000)
    assert cli_run.main(["--source", str(bad), "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "clip.mp4" in err and "Traceback" not in err
    assert cli_run.main(["--source", str(tmp_path / "missing.mp4"), "--headless"]) == 2
    assert "missing.mp4" in capsys.readouterr().err


def test_absent_camera_exit_2(monkeypatch, capsys):
    _real_sources()
    monkeypatch.setattr(launch, "build_pipeline", lambda model, **kw: fake_pipeline())
    assert cli_run.main(["--source", "webcam:99", "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--source demo" in err


def test_demo_end_to_end(tiny_digits_bundle, tmp_path, capsys):
    _real_sources()
    pytest.importorskip("edge.segment.digits")
    vid, jl = tmp_path / "demo.mp4", tmp_path / "demo.jsonl"
    code = cli_run.main(
        [
            "--model",
            str(tiny_digits_bundle),
            "--source",
            "demo",
            "--headless",
            "--max-frames",
            "12",
            "--output",
            str(vid),
            "--jsonl",
            str(jl),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines()[1].startswith("12 frames") and "median ms per frame" in out
    assert "digits vs ground truth" in out  # the untrained model's accuracy is not asserted
    assert count_frames(vid) == 12
    assert len(jl.read_text().splitlines()) == 12


def test_python_m_edge_help():
    r = subprocess.run([sys.executable, "-m", "edge", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--headless" in r.stdout and "--max-frames" in r.stdout


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_signal_finalises_real_run(sig, tiny_digits_bundle, tmp_path):
    """A real edge-run process stopped by Ctrl-C (SIGINT) or SIGTERM mid-recording."""
    import signal
    import time

    _real_sources()
    pytest.importorskip("edge.segment.digits")
    vid, jl = tmp_path / "rec.mp4", tmp_path / "rec.jsonl"
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edge",
            "--model",
            str(tiny_digits_bundle),
            "--source",
            "demo",
            "--headless",
            "--output",
            str(vid),
            "--jsonl",
            str(jl),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120  # a guard against hanging, not a speed check
        while (not jl.exists() or jl.read_text().count("\n") < 20) and time.monotonic() < deadline:
            assert p.poll() is None, p.stderr.read()
            time.sleep(0.1)
        p.send_signal(getattr(signal, sig))
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    text = jl.read_text()
    assert text.endswith("\n")
    n = len([json.loads(s) for s in text.splitlines()])
    assert n >= 20
    assert count_frames(vid) == n
    assert f"\n{n} frames" in out


def test_interrupt_is_held_until_a_frame_is_written_everywhere():
    it = live.Interrupts()
    written = []
    with pytest.raises(KeyboardInterrupt):
        with it.deferred():
            written.append("video")
            it.handler(2, None)  # Ctrl-C arrives between the two writes
            written.append("jsonl")
    assert written == ["video", "jsonl"]
    with pytest.raises(KeyboardInterrupt):
        it.handler(2, None)  # outside a frame's writes it interrupts at once


def test_main_restores_signal_handlers(fakes):
    import signal

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    assert cli_run.main(["--max-frames", "2"]) == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


# -- hands: --segmenter, the hands demo, gestures and no-hand frames in the summary ----
HAND_LABELS = ("rock", "paper", "scissors", "none")


@pytest.fixture
def fake_hand_segmenter(fake_hand_segmenter_in):
    """edge-run's build_pipeline with a FakeHandSegmenter (conftest) for a segmenter
    *name*; returns the names asked for."""
    return fake_hand_segmenter_in(launch)


def hand_result(i, truth, label=None, raw_label=None):
    """A FrameResult with a hand-demo truth and (optionally) one detection."""
    from edge.pipeline import FrameResult
    from edge.types import Detection

    def det(lab):
        if lab is None:
            return []
        k = HAND_LABELS.index(lab)
        s = np.full(4, 0.05, np.float32)
        s[k] = 0.85
        return [Detection(ROI(100, 100, 80, 120), Prediction(k, lab, 0.85, s))]

    frame = Frame(np.zeros((8, 8, 3), np.uint8), i / 30, i, truth=truth)
    return FrameResult(
        frame,
        det(label),
        det(raw_label if raw_label is not None else label),
        timings_ms={"segment": 1.0, "total": 2.0},
    )


def test_raw_tally_uses_the_same_min_score_as_the_shown_one():
    """Smoothed and raw differ by the vote alone: a raw detection below min_score is not read."""
    stats = cli_run.RunStats(task="hands", model_name="h", source_name="demo-hands:1", min_score=0.9)
    hand = (("rock", ROI(90, 90, 100, 140)),)
    stats.add(hand_result(0, hand, None, raw_label="rock"))  # raw 0.85 < 0.9: hidden as it is shown
    assert stats.truth_raw.correct == 0 and stats.truth_raw.missed == 1


def test_hands_summary_counts_gestures_and_silent_empty_frames():
    stats = cli_run.RunStats(task="hands", model_name="h", source_name="demo-hands:1")
    hand = (("rock", ROI(90, 90, 100, 140)),)
    stats.add(hand_result(0, hand, "rock"))  # right
    stats.add(hand_result(1, hand, "paper"))  # wrong
    stats.add(hand_result(2, hand, "none"))  # "no gesture" on a hand: missed
    stats.add(hand_result(3, (), None))  # empty room, nothing shown
    stats.add(hand_result(4, (), "none"))  # empty room, "none" is no gesture either
    stats.add(hand_result(5, (), None, raw_label="scissors"))  # the smoother hid a raw flicker
    stats.add(hand_result(6, (), "scissors"))  # a gesture on an empty room: extra
    lines = stats.summary()
    assert (
        "gestures vs ground truth (smoothed): 1/3 read correctly (33.33%); wrong 1, missed 1, "
        "extra 1 (shown where the scene has no hand)"
    ) in lines
    assert "no-hand frames (smoothed): 3/4 with no gesture shown (75.00%)" in lines
    assert "no-hand frames (raw): 2/4 with no gesture shown (50.00%)" in lines
    assert not any(line.startswith("digits vs") for line in lines)
    stats.smoothing = False
    assert "no-hand frames (no smoothing): 3/4 with no gesture shown (75.00%)" in stats.summary()


def test_digits_summary_has_no_empty_frame_line():
    stats = cli_run.RunStats()
    stats.add(hand_result(0, (("4", ROI(90, 90, 100, 140)),), None))
    lines = stats.summary()
    assert any(line.startswith("digits vs ground truth (smoothed): 0/1") for line in lines)
    assert not any("no-hand" in line or "nothing to read" in line for line in lines)


def test_segmenter_kwargs():
    assert launch.segmenter_kwargs("hands", None) == {"segmenter": "skin"}
    assert launch.segmenter_kwargs("hands", "background") == {"segmenter": "background"}
    assert launch.segmenter_kwargs("digits", None) == {}
    with pytest.raises(ValueError, match="--segmenter skin chooses how hands are found"):
        launch.segmenter_kwargs("digits", "skin", "digits-lenet-int8")
    with pytest.raises(ValueError, match="skin-hsv"):
        launch.segmenter_kwargs("hands", "magic")


def test_hand_segmenter_names_match_edge_hands():
    hands = pytest.importorskip("edge.segment.hands")
    assert tuple(hands.SEGMENTERS) == launch.HAND_SEGMENTERS


def test_segmenter_flag_with_a_digits_model_exit_2(tiny_digits_bundle, capsys):
    code = cli_run.main(
        [
            "--model",
            str(tiny_digits_bundle),
            "--segmenter",
            "skin",
            "--source",
            "demo",
            "--headless",
            "--max-frames",
            "1",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --segmenter skin") and "hands model" in err
    with pytest.raises(SystemExit):
        cli_run.parse_args(["--segmenter", "magic"])


def test_default_source_is_the_webcam_and_hands_hint_names_demo_hands(monkeypatch, capsys):
    from types import SimpleNamespace

    opened = []

    def no_camera(spec, **kw):
        opened.append(spec)
        raise RuntimeError(f"cannot open camera {spec}")

    pipe = fake_pipeline()
    pipe.classifier.bundle = SimpleNamespace(name="tiny-hands", task="hands")
    monkeypatch.setattr(cli_run, "open_source", no_camera)
    monkeypatch.setattr(cli_run, "make_pipeline", lambda *a, **kw: pipe)
    assert cli_run.main(["--model", "hands", "--headless"]) == 2
    err = capsys.readouterr().err
    assert opened == [cli_run.DEFAULT_SOURCE] == ["0"]
    assert "--source demo-hands" in err
    pipe.classifier.bundle = SimpleNamespace(name="d", task="digits")
    assert cli_run.main(["--headless"]) == 2
    err = capsys.readouterr().err
    assert "--source demo " in err and "demo-hands" not in err


def test_hands_demo_end_to_end(tiny_hands_bundle, fake_hand_segmenter, tmp_path, capsys):
    _real_sources()
    vid, jl = tmp_path / "hands.mp4", tmp_path / "hands.jsonl"
    # demo-hands:1 opens on an empty room, then shows a hand
    code = cli_run.main(
        [
            "--model",
            str(tiny_hands_bundle),
            "--source",
            "demo-hands:1",
            "--headless",
            "--max-frames",
            "40",
            "--output",
            str(vid),
            "--jsonl",
            str(jl),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert fake_hand_segmenter == ["skin"]  # the default hand segmenter was asked for
    lines = out.splitlines()
    assert lines[0] == "model tiny-hands-int8, source demo-hands:1"
    assert lines[1].startswith("40 frames") and "median ms per frame" in out
    assert "gestures vs ground truth (smoothed): " in out  # the untrained model's accuracy is not asserted
    assert "no-hand frames (smoothed): " in out and "with no gesture shown" in out
    records = [json.loads(s) for s in jl.read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(40))
    for r in records:
        assert set(r) == {"frame", "t", "detections"}
        for d in r["detections"]:
            assert d["label"] in HAND_LABELS and len(d["box"]) == 4
    assert count_frames(vid) == 40
    code = cli_run.main(
        [
            "--model",
            str(tiny_hands_bundle),
            "--source",
            "demo-hands:1",
            "--headless",
            "--max-frames",
            "2",
            "--segmenter",
            "background",
        ]
    )
    assert code == 0 and fake_hand_segmenter == ["skin", "background"]


def test_hands_demo_with_the_real_hand_segmenter(tiny_hands_bundle, tmp_path, capsys):
    """The same run with edge.pipeline's own hands branch (skipped until it exists)."""
    _real_sources()
    from edge.bundle import load_bundle
    from edge.pipeline import build_pipeline

    try:
        pipe = build_pipeline(load_bundle(tiny_hands_bundle), segmenter="skin")
    except ValueError as e:
        pytest.skip(f"build_pipeline has no hands branch yet: {e}")
    if isinstance(pipe.segmenter, str):
        pytest.skip("build_pipeline does not turn a segmenter name into a segmenter yet")
    jl = tmp_path / "hands.jsonl"
    code = cli_run.main(
        [
            "--model",
            str(tiny_hands_bundle),
            "--source",
            "demo-hands:1",
            "--headless",
            "--max-frames",
            "40",
            "--jsonl",
            str(jl),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "gestures vs ground truth (smoothed): " in out and "no-hand frames (smoothed): " in out
    assert len(jl.read_text().splitlines()) == 40


def test_overlay_mutes_no_gesture_boxes():
    from edge.overlay import GREY, draw_overlay, score_colour
    from edge.types import Detection

    img = np.full((240, 320, 3), 255, np.uint8)
    s = np.array([0.05, 0.05, 0.05, 0.85], np.float32)
    none = Detection(ROI(20, 60, 100, 120), Prediction(3, "none", 0.85, s))
    rock = Detection(ROI(180, 60, 100, 120), Prediction(0, "rock", 0.85, s[::-1].copy()))
    out = draw_overlay(img, [none, rock])  # no-gesture labels muted by default
    assert tuple(out[150, 20]) == GREY and tuple(out[150, 180]) == score_colour(0.85)
    # a 1-px box for "none", a thicker one for a gesture
    assert tuple(out[150, 19]) == tuple(out[150, 21]) == (255, 255, 255)
    assert tuple(out[150, 179]) == tuple(out[150, 181]) == score_colour(0.85)
    loud = draw_overlay(img, [none], no_gesture_labels=())
    assert tuple(loud[150, 20]) == score_colour(0.85)  # no_gesture_labels=(): every label in its score colour
