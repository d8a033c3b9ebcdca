"""Pipeline wiring, smoothing, overlay and sinks, with fake stages (no model, no camera)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge import sinks
from edge.overlay import draw_overlay
from edge.pipeline import STAGES, Pipeline, build_pipeline
from edge.track import TrackSmoother
from edge.types import ROI, Detection, Frame, Prediction

LABELS = tuple(str(d) for d in range(10))


def pred(label: int, score: float = 0.9) -> Prediction:
    s = np.full(10, (1.0 - score) / 9, np.float32)
    s[label] = score
    return Prediction(label, str(label), score, s)


def det(label: int, roi: ROI, score: float = 0.9) -> Detection:
    return Detection(roi, pred(label, score))


class FakeSegmenter:
    def __init__(self, rois):
        self.rois = list(rois)

    def find(self, image):
        assert image.dtype == np.uint8 and image.ndim == 3
        return list(self.rois)


def fake_preprocessor(image, rois):
    return np.zeros((len(rois), 28, 28, 1), np.float32)


class FakeClassifier:
    """Answers from a script: one list of labels per call."""

    labels = LABELS

    def __init__(self, script, score=0.9):
        self.script = list(script)
        self.score = score
        self.calls = 0
        self.batches: list[np.ndarray] = []  # what each call received

    def classify(self, batch):
        labels = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        self.batches.append(np.array(batch))
        assert len(batch) == len(labels)
        return [pred(lab, self.score) for lab in labels]


def frame(i: int = 0, h: int = 120, w: int = 160) -> Frame:
    return Frame(np.full((h, w, 3), 255, np.uint8), i / 30.0, i)


# -- Pipeline ---------------------------------------------------------------------
def test_pipeline_process_with_fake_stages():
    rois = [ROI(10, 10, 20, 30), ROI(40, 10, 20, 30)]
    pipe = Pipeline(
        FakeSegmenter(rois),
        fake_preprocessor,
        FakeClassifier([[4, 2]]),
        grouper=lambda dets: [("".join(d.prediction.label for d in dets), ROI(10, 10, 50, 30))],
    )
    res = pipe.process(frame(3))
    assert [d.prediction.label for d in res.detections] == ["4", "2"]
    assert [d.roi for d in res.detections] == rois
    assert res.numbers == [("42", ROI(10, 10, 50, 30))]
    assert set(res.timings_ms) == {*STAGES, "total"}
    assert all(v >= 0 for v in res.timings_ms.values())
    rec = res.as_json(t=0.5)
    assert rec == {
        "frame": 3,
        "t": 0.5,
        "number": "42",
        "numbers": [{"text": "42", "box": [10, 10, 50, 30]}],
        "detections": [
            {"box": [10, 10, 20, 30], "label": "4", "score": 0.9},
            {"box": [40, 10, 20, 30], "label": "2", "score": 0.9},
        ],
    }
    json.dumps(rec)


def test_pipeline_no_rois_skips_classifier():
    clf = FakeClassifier([[1]])
    res = Pipeline(FakeSegmenter([]), fake_preprocessor, clf).process(frame())
    assert res.detections == [] and clf.calls == 0
    assert "number" not in res.as_json() and "numbers" not in res.as_json()


def test_rois_where_the_preprocessor_found_no_ink_are_not_classified():
    """A blank model input is no digit (a digits model reads it as "1" at ~0.84): dropped."""
    rois = [ROI(10, 10, 20, 30), ROI(40, 10, 20, 30), ROI(70, 10, 20, 30)]

    class Blank:
        last_light: list[bool | None] = []

        def __call__(self, image, rois):
            self.last_light = [False, None, True]
            out = np.zeros((len(rois), 28, 28, 1), np.float32)
            out[0, 10:20, 12:16] = out[2, 8:22, 10:18] = 1.0
            self.out = out.copy()
            return out

    clf, blank = FakeClassifier([[4, 7]]), Blank()
    res = Pipeline(FakeSegmenter(rois), blank, clf).process(frame())
    assert clf.calls == 1
    assert [(d.roi, d.prediction.label) for d in res.detections] == [(rois[0], "4"), (rois[2], "7")]
    np.testing.assert_array_equal(clf.batches[0], blank.out[[0, 2]])  # the inputs of ROIs 0 and 2


def test_as_json_several_numbers():
    pipe = Pipeline(
        FakeSegmenter([ROI(0, 0, 5, 5)]),
        fake_preprocessor,
        FakeClassifier([[1]]),
        grouper=lambda d: [("12", ROI(0, 0, 5, 5)), ("7", ROI(0, 9, 5, 5))],
    )
    rec = pipe.process(frame()).as_json()
    assert rec["numbers"] == [{"text": "12", "box": [0, 0, 5, 5]}, {"text": "7", "box": [0, 9, 5, 5]}]
    assert "number" not in rec


def test_min_score_hides_low_scores():
    pipe = Pipeline(
        FakeSegmenter([ROI(0, 0, 9, 9)]), fake_preprocessor, FakeClassifier([[3]], score=0.4), min_score=0.5
    )
    res = pipe.process(frame())
    assert res.detections == [] and len(res.raw) == 1
    with pytest.raises(ValueError):
        Pipeline(FakeSegmenter([]), fake_preprocessor, FakeClassifier([[1]]), min_score=1.5)


def test_build_pipeline_with_classifier_and_smoother():
    seg = FakeSegmenter([ROI(10, 10, 20, 20)])
    pipe = build_pipeline(FakeClassifier([[5]]), task="hands", segmenter=seg, preprocessor=fake_preprocessor)
    assert isinstance(pipe.smoother, TrackSmoother)
    assert pipe.process(frame()).detections[0].prediction.label == "5"
    pipe = build_pipeline(
        FakeClassifier([[5]]), task="hands", segmenter=seg, preprocessor=fake_preprocessor, smoothing=False
    )
    assert pipe.smoother is None


def test_build_pipeline_task_errors():
    with pytest.raises(ValueError, match="task"):
        build_pipeline(FakeClassifier([[1]]), preprocessor=fake_preprocessor)
    with pytest.raises(ValueError, match="task"):
        build_pipeline(FakeClassifier([[1]]), task="faces", preprocessor=fake_preprocessor)
    # hand segmenter names and background treatments are for hands models only
    clf = FakeClassifier([[1]])
    with pytest.raises(ValueError, match="digits model"):
        build_pipeline(clf, task="digits", segmenter="skin", preprocessor=fake_preprocessor)
    with pytest.raises(ValueError, match="digits model"):
        build_pipeline(clf, task="digits", background="grey", preprocessor=fake_preprocessor)
    with pytest.raises(ValueError, match="skin"):
        build_pipeline(clf, task="hands", segmenter="ir", preprocessor=fake_preprocessor)


def test_build_pipeline_hands_defaults_to_the_skin_segmenter():
    from edge.segment.hands import ChromaKeySegmenter, SkinSegmenter

    pipe = build_pipeline(FakeClassifier([[1]]), task="hands", preprocessor=fake_preprocessor)
    assert isinstance(pipe.segmenter, SkinSegmenter) and pipe.grouper is None
    assert isinstance(pipe.smoother, TrackSmoother)
    pipe = build_pipeline(
        FakeClassifier([[1]]), task="hands", segmenter="chroma", preprocessor=fake_preprocessor
    )
    assert isinstance(pipe.segmenter, ChromaKeySegmenter)
    # an empty white frame: no hand, so no classification and nothing shown
    res = pipe.process(frame())
    assert res.detections == [] and res.raw == [] and pipe.classifier.calls == 0


def test_none_label_is_hidden_but_kept_raw():
    labels = ("rock", "paper", "scissors", "none")

    class NoneClassifier:
        def classify(self, batch):
            s = np.array([0.05, 0.05, 0.1, 0.8], np.float32)
            return [Prediction(3, "none", 0.8, s) for _ in range(len(batch))]

    rois = [ROI(10, 10, 40, 40)]
    pipe = Pipeline(
        FakeSegmenter(rois),
        fake_preprocessor,
        NoneClassifier(),
        smoother=TrackSmoother(window=3, labels=labels),
    )
    for i in range(3):
        res = pipe.process(frame(i))
        assert res.detections == [] and [d.prediction.label for d in res.raw] == ["none"]
        assert res.as_json()["detections"] == []
    # no_gesture_labels chooses what is hidden; () hides nothing
    res = Pipeline(FakeSegmenter(rois), fake_preprocessor, NoneClassifier(), no_gesture_labels=()).process(
        frame()
    )
    assert [d.prediction.label for d in res.detections] == ["none"]
    res = Pipeline(
        FakeSegmenter(rois), fake_preprocessor, FakeClassifier([[7]]), no_gesture_labels=("7",)
    ).process(frame())
    assert res.detections == [] and len(res.raw) == 1
    with pytest.raises(ValueError, match="sequence"):
        Pipeline(FakeSegmenter(rois), fake_preprocessor, NoneClassifier(), no_gesture_labels="none")


def test_build_pipeline_digits_from_bundle(tiny_digits_bundle):
    pytest.importorskip("edge.segment.digits")
    pytest.importorskip("edge.preprocess")
    pipe = build_pipeline(tiny_digits_bundle)
    assert pipe.grouper is not None and pipe.smoother is not None
    img = np.full((240, 320, 3), 255, np.uint8)
    cv2.putText(img, "7", (140, 160), cv2.FONT_HERSHEY_SIMPLEX, 3, (0, 0, 0), 8)
    res = pipe.process(Frame(img, 0.0))
    assert len(res.detections) >= 1  # the model is untrained: only the plumbing is checked
    assert all(d.prediction.label in LABELS for d in res.detections)


# -- smoothing ----------------------------------------------------------------------
def test_flickering_label_becomes_stable():
    sm = TrackSmoother(window=5, labels=LABELS)
    roi = ROI(50, 50, 20, 30)
    raw = [7, 7, 1, 7, 7, 1, 7, 7, 7, 1, 7, 7]
    out = [sm.update([det(lab, roi)], i / 30)[0].prediction.label for i, lab in enumerate(raw)]
    assert out == ["7"] * len(raw)
    assert len(sm.tracks) == 1


def test_real_change_followed_within_window():
    k = 5
    sm = TrackSmoother(window=k, labels=LABELS)
    roi = ROI(50, 50, 20, 30)
    for i in range(10):
        sm.update([det(3, roi)], i)
    labels = [sm.update([det(8, roi)], 10 + i)[0].prediction.label for i in range(k)]
    assert labels[-1] == "8"
    first = labels.index("8")
    assert first >= 1  # one odd frame does not flip the label ...
    assert all(lab == "8" for lab in labels[first:])  # ... and once flipped it stays


def test_smoothed_detection_keeps_current_roi_and_tracks_jitter():
    sm = TrackSmoother(window=4, labels=LABELS)
    for i in range(8):
        roi = ROI(50 + (i % 3) * 4, 50 - (i % 2) * 3, 20, 30)
        out = sm.update([det(2, roi)], i)
        assert out[0].roi == roi
    assert len(sm.tracks) == 1 and sm.tracks[0].hits == 8


def test_two_objects_are_tracked_apart():
    sm = TrackSmoother(window=5, labels=LABELS)
    a, b = ROI(10, 10, 20, 30), ROI(100, 10, 20, 30)
    for i in range(6):
        out = sm.update([det(1, a), det(9 if i != 3 else 1, b)], i)
        assert [d.prediction.label for d in out] == ["1", "9"]
    assert len(sm.tracks) == 2


def test_new_digit_of_other_size_does_not_inherit_vote():
    """A scene cut: a smaller digit appears inside an old digit's box (IoU < 0.5)."""
    sm = TrackSmoother(window=5, labels=LABELS)
    for i in range(5):
        sm.update([det(1, ROI(220, 336, 44, 90))], i)
    out = sm.update([det(5, ROI(238, 364, 36, 60))], 5)
    assert out[0].prediction.label == "5"
    assert len(sm.tracks) == 2


def test_unseen_tracks_are_dropped():
    sm = TrackSmoother(window=5, max_age=3, labels=LABELS)
    sm.update([det(4, ROI(10, 10, 20, 20))], 0)
    for i in range(2):
        sm.update([], i + 1)
    assert len(sm.tracks) == 1
    sm.update([], 3)
    assert sm.tracks == []
    # a new object where the old one was starts from scratch
    out = sm.update([det(6, ROI(10, 10, 20, 20))], 4)
    assert out[0].prediction.label == "6"


def test_smoother_learns_labels_without_list_and_validates():
    sm = TrackSmoother(window=3)
    out = sm.update([det(5, ROI(0, 0, 10, 10))])
    assert out[0].prediction.label == "5" and out[0].prediction.index == 5
    with pytest.raises(ValueError):
        TrackSmoother(window=0)
    with pytest.raises(ValueError):
        TrackSmoother(iou_threshold=2.0)


def test_pipeline_with_smoother_stops_flicker():
    rois = [ROI(30, 30, 20, 30)]
    script = [[7], [7], [1], [7], [1], [7], [7]]
    pipe = Pipeline(
        FakeSegmenter(rois),
        fake_preprocessor,
        FakeClassifier(script),
        smoother=TrackSmoother(window=5, labels=LABELS),
    )
    got = [pipe.process(frame(i)) for i in range(len(script))]
    assert [r.detections[0].prediction.label for r in got] == ["7"] * len(script)
    assert [r.raw[0].prediction.label for r in got] == [str(s[0]) for s in script]


# -- overlay --------------------------------------------------------------------------
def test_overlay_draws_inside_box_and_keeps_input():
    img = np.full((240, 320, 3), 128, np.uint8)
    before = img.copy()
    roi = ROI(100, 80, 60, 90)
    out = draw_overlay(
        img,
        [det(3, roi)],
        [("35", roi)],
        fps=29.7,
        timings_ms={"segment": 1.0, "classify": 0.5, "total": 2.0},
        status="PAUSED",
    )
    assert np.array_equal(img, before)
    assert out.shape == img.shape and out.dtype == np.uint8
    box = (out[roi.y : roi.y + roi.h + 1, roi.x : roi.x + roi.w + 1] != 128).any(axis=2)
    assert box[0, :].mean() > 0.9 and box[:, 0].mean() > 0.9  # the box outline
    assert (out[:20, :120] != 128).any()  # the HUD in the top-left corner
    below = out[roi.y + roi.h + 5 : roi.y + roi.h + 20, roi.x : roi.x + 20]
    assert (below != 128).any(axis=2).mean() > 0.5  # the number's tag under the box


def test_overlay_rejects_non_bgr():
    with pytest.raises(ValueError):
        draw_overlay(np.zeros((10, 10), np.uint8), [])


def test_overlay_boxes_at_edges_do_not_fail():
    img = np.zeros((60, 80, 3), np.uint8)
    out = draw_overlay(img, [det(1, ROI(0, 0, 80, 60)), det(2, ROI(70, 50, 10, 10))])
    assert (out != 0).any()


# -- sinks ----------------------------------------------------------------------------
def count_frames(path) -> int:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened()
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def test_video_sink_writes_playable_mp4(tmp_path):
    p = tmp_path / "sub" / "out.mp4"
    with sinks.VideoSink(p, fps=15) as v:
        for i in range(12):
            v.write_image(np.full((48, 64, 3), i * 20, np.uint8))
        v.write_image(np.zeros((30, 40, 3), np.uint8))  # another size is resized
    assert v.frames_written == 13 and v.size == (64, 48)
    assert count_frames(p) == 13
    with pytest.raises(ValueError):
        v.write_image(np.zeros((48, 64, 3), np.uint8))


def test_video_sink_estimates_fps_from_timestamps(tmp_path):
    p = tmp_path / "est.mp4"
    v = sinks.VideoSink(p, probe_frames=5)
    for i in range(3):  # fewer than the probe: written on close
        v.write_image(np.zeros((32, 32, 3), np.uint8), timestamp=i * 0.1)
    assert v.frames_written == 0
    v.close()
    assert v.frames_written == 3 and v.fps == pytest.approx(10.0)
    assert count_frames(p) == 3
    cap = cv2.VideoCapture(str(p))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(10.0, rel=0.05)
    cap.release()


def test_video_sink_bad_input(tmp_path):
    with pytest.raises(ValueError):
        sinks.VideoSink(tmp_path / "a.mp4", fps=0)
    with sinks.VideoSink(tmp_path / "b.mp4", fps=10) as v, pytest.raises(ValueError):
        v.write_image(np.zeros((10, 10), np.uint8))


def test_jsonl_sink_flushes_each_line(tmp_path):
    p = tmp_path / "p.jsonl"
    with sinks.JsonlSink(p) as j:
        j.write_record({"frame": 0, "detections": []})
        assert p.read_text().count("\n") == 1  # visible before close
        j.write_record({"frame": 1, "detections": []})
    assert [json.loads(s)["frame"] for s in p.read_text().splitlines()] == [0, 1]


def test_display_detection(monkeypatch):
    monkeypatch.setattr(sinks.display, "gui_backend", lambda: "NONE")
    ok, why = sinks.display_available()
    assert not ok and "GUI" in why
    monkeypatch.setattr(sinks.display, "gui_backend", lambda: "QT5")
    monkeypatch.setattr(sinks.display.sys, "platform", "linux")
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    assert sinks.display_available()[0] is False
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert sinks.display_available()[0] is False  # Qt wheels need X11
    monkeypatch.setenv("DISPLAY", ":0")
    assert sinks.display_available() == (True, "")
    with pytest.raises(RuntimeError, match="headless"):
        monkeypatch.setattr(sinks.display, "display_available", lambda: (False, "no display"))
        sinks.DisplaySink()


def test_null_display():
    with sinks.NullDisplay() as d:
        assert d.show(np.zeros((4, 4, 3), np.uint8)) == -1 and not d.closed


def test_gui_backend_reads_build_information():
    assert isinstance(sinks.gui_backend(), str) and sinks.gui_backend()


def test_no_vote_on_still_images_and_a_shorter_vote_for_hands(tmp_path: Path) -> None:
    """A folder of photos has no time to vote over; hands vote over 3 frames, digits 5."""
    from edge.live.launch import make_pipeline

    photos = tmp_path / "photos"
    photos.mkdir()
    assert make_pipeline("digits", source=str(photos)).smoother is None
    assert make_pipeline("digits", source=str(tmp_path / "one.png")).smoother is None
    video = make_pipeline("digits", source="demo").smoother
    assert isinstance(video, TrackSmoother) and video.window == 5
    hands = make_pipeline("hands-lenet", source="demo-hands").smoother
    assert isinstance(hands, TrackSmoother) and hands.window == 3
