"""The live loop as a library (edge.live.run) and the one sink protocol (edge.sinks):
every frame reaches every sink, every sink is closed however the run ends, the overlay
is drawn once per frame for all sinks (the web view included), keys come in through
``control``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge import live
from edge.live import Command, run
from edge.pipeline import FrameResult
from edge.sinks import JsonlSink, LiveFrame, NullDisplay, Sink, VideoSink
from edge.sinks import base as sinks_base
from edge.sinks.web import LiveServer, ServeConfig
from edge.types import ROI, Detection, Frame, Prediction


class ListSource:
    """``n`` grey frames at 10 fps; ``interrupt_at`` raises KeyboardInterrupt on that read."""

    def __init__(self, n: int, interrupt_at: int | None = None) -> None:
        self.n, self.i, self.interrupt_at, self.closed = n, 0, interrupt_at, False
        self.name = "list"

    def read(self) -> Frame | None:
        if self.interrupt_at is not None and self.i == self.interrupt_at:
            raise KeyboardInterrupt
        if self.i >= self.n:
            return None
        f = Frame(np.full((60, 80, 3), 40, np.uint8), 5.0 + self.i / 10, self.i)
        self.i += 1
        return f

    def close(self) -> None:
        self.closed = True


class OneBoxPipeline:
    """A stand-in :class:`edge.pipeline.Pipeline`: one "7" (or "none") box per frame."""

    classifier = object()
    smoother = None

    def __init__(self, label: str = "7") -> None:
        self.label, self.resets = label, 0

    def process(self, frame: Frame) -> FrameResult:
        det = Detection(ROI(10, 10, 20, 30), Prediction(0, self.label, 0.9, np.array([0.9, 0.1], np.float32)))
        return FrameResult(frame, [det], [det], timings_ms={"segment": 1.0, "total": 2.0})

    def reset(self) -> None:
        self.resets += 1


class Recorder:
    """A sink noting what it was given."""

    def __init__(self, log: list[str] | None = None, name: str = "rec", fail_close: bool = False) -> None:
        self.frames: list[LiveFrame] = []
        self.closed = 0
        self.log, self.name, self.fail_close = log if log is not None else [], name, fail_close

    def write(self, frame: LiveFrame) -> None:
        self.frames.append(frame)
        self.log.append(f"{self.name}:{frame.result.frame.index}")

    def close(self) -> None:
        self.closed += 1
        if self.fail_close:
            raise OSError("disk full")


def test_every_frame_reaches_every_sink_in_order_and_all_are_closed():
    log: list[str] = []
    a, b, src = Recorder(log, "a"), Recorder(log, "b"), ListSource(3)
    stats = run(src, OneBoxPipeline(), [a, b])
    assert log == ["a:0", "b:0", "a:1", "b:1", "a:2", "b:2"]
    assert stats.frames == 3 and a.closed == b.closed == 1 and src.closed
    assert [f.t for f in a.frames] == pytest.approx([0.0, 0.1, 0.2])  # from the first frame
    assert a.frames[0] is b.frames[0]  # one LiveFrame per frame, shared


def test_ctrl_c_closes_every_sink_and_the_source_then_propagates():
    a, b, src = Recorder(), Recorder(), ListSource(10, interrupt_at=4)
    stats = live.RunStats()
    with pytest.raises(KeyboardInterrupt):
        run(src, OneBoxPipeline(), [b, a], stats=stats)
    assert stats.frames == 4 and len(a.frames) == 4
    assert a.closed == 1 and b.closed == 1 and src.closed


def test_a_failing_close_is_raised_after_the_others_closed():
    a, b = Recorder(fail_close=True), Recorder()
    with pytest.raises(OSError, match="disk full"):
        run(ListSource(2), OneBoxPipeline(), [a, b])
    assert b.closed == 1


def test_max_frames_and_control_quit_pause_resume():
    assert run(ListSource(10), OneBoxPipeline(), max_frames=4).frames == 4
    seen: list[tuple[int | None, bool]] = []
    script = [None, Command.PAUSE, None, Command.RESUME, Command.QUIT]

    def control(last: LiveFrame | None, paused: bool) -> Command | None:
        seen.append((None if last is None else last.result.frame.index, paused))
        return script.pop(0)

    pipe = OneBoxPipeline()
    stats = run(ListSource(10), pipe, control=control)
    # frame 0, frame 1 then pause: asked twice while paused (no frame read), resume, frame 2 quits
    assert seen == [(0, False), (1, False), (1, True), (1, True), (2, False)]
    assert stats.frames == 3 and pipe.resets == 1


def test_overlay_is_drawn_once_per_frame_for_every_sink(monkeypatch, tmp_path):
    calls = []
    real = sinks_base.draw_overlay

    def counting(*a, **kw):
        calls.append(kw.get("no_gesture_labels"))
        return real(*a, **kw)

    monkeypatch.setattr(sinks_base, "draw_overlay", counting)
    video = VideoSink(tmp_path / "v.mp4", fps=10)
    server = LiveServer(ServeConfig(port=0))  # not started: written to as a sink all the same
    rec = Recorder()
    run(ListSource(3), OneBoxPipeline("none"), [video, server, rec, NullDisplay()])
    assert len(calls) == 3 and calls[0] == ("none",)  # the video drew each frame; nobody drew again
    enc = server.encode_latest()  # the web view encodes the frame the video was given
    assert enc is not None and len(calls) == 3
    assert rec.frames[-1].drawn and enc.size == (80, 60)


def test_web_view_draws_a_frame_nobody_drew_exactly_once(monkeypatch):
    calls = []
    real = sinks_base.draw_overlay
    monkeypatch.setattr(sinks_base, "draw_overlay", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    server = LiveServer(ServeConfig(port=0))
    run(ListSource(2), OneBoxPipeline(), [server])
    assert calls == []  # nothing drawn while nobody watches
    server.encode_latest()
    server.encode_latest()
    assert len(calls) == 1


def test_jsonl_record_is_built_once_and_matches_as_json(tmp_path):
    p = tmp_path / "p.jsonl"
    rec = Recorder()
    run(ListSource(2), OneBoxPipeline(), [JsonlSink(p), rec])
    lines = [json.loads(s) for s in p.read_text().splitlines()]
    assert lines == [f.result.as_json(f.t) for f in rec.frames]
    assert rec.frames[0].record is rec.frames[0].record


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: VideoSink(tmp / "v.mp4"),
        lambda tmp: JsonlSink(tmp / "p.jsonl"),
        lambda tmp: NullDisplay(),
        lambda tmp: LiveServer(ServeConfig(port=0)),
        lambda tmp: Recorder(),
    ],
)
def test_every_output_implements_the_sink_protocol(make, tmp_path):
    s = make(tmp_path)
    assert isinstance(s, Sink)
    s.close()
    s.close()  # idempotent
