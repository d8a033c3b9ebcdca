"""``--model hands`` live: the landmarks pipeline (palm detector -> landmarks -> gesture classifier),
its JSON Lines records, the overlay, still vs tracking by source kind, the missing-models
message and the shipped names.

The end-to-end tests use the fetched MediaPipe models and a few shared photos
(:mod:`tests.hand_models`: skipped with the reason when absent, failed under ``CI=true``).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.bundle import SHIPPED, SHIPPED_DIR, load_bundle, resolve_bundle_path
from edge.cli import run as cli_run
from edge.live import run
from edge.live.launch import make_pipeline, source_kind
from edge.overlay import draw_hand, draw_overlay
from edge.pipeline import SEGMENT_PARTS, build_pipeline
from edge.preprocess import LandmarkPreprocessor, make_preprocessor
from edge.segment.hand_tracker import HandTracker
from edge.sinks import JsonlSink
from edge.sources import open_source
from edge.types import ROI, Detection, Frame, Prediction
from tests.hand_models import require_hand_models, require_rps_photos


@pytest.fixture(scope="module")
def photos(shared_data_dir: Path | None) -> list[tuple[str, Path]]:
    require_hand_models("full")
    return require_rps_photos(shared_data_dir, source="mediapipe-rps-data-sample", per_class=1)


def _read(path: Path) -> np.ndarray:
    img = cv2.imread(str(path))
    assert img is not None, path
    return img


# -- names and the bundle ---------------------------------------------------------------------
def test_shipped_names_resolve() -> None:
    assert resolve_bundle_path("hands") == SHIPPED_DIR / "hands-landmarks"
    assert (
        resolve_bundle_path("hands-lenet")
        == resolve_bundle_path("hands-int8")
        == SHIPPED_DIR / "hands-lenet-int8"
    )
    b = load_bundle("hands")
    assert b.task == "hands" and b.preprocessing == "hand-landmarks" and b.input.shape[0] == 1
    assert "none" in b.labels and {"rock", "paper", "scissors"} <= set(b.labels)
    assert load_bundle("hands-lenet").preprocessing == "hand-crop"
    for name in SHIPPED:
        assert (resolve_bundle_path(name) / "model.json").is_file(), name


def test_fetched_bundles_resolve_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "mediapipe-hand-landmark-full"
    bundle.mkdir()
    (bundle / "model.json").write_text("{}")
    monkeypatch.setenv("EDGE_MODEL_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path / "..")
    assert resolve_bundle_path("mediapipe-hand-landmark-full") == bundle
    from edge.bundle import BundleError

    with pytest.raises(BundleError, match="no model bundle"):
        resolve_bundle_path("mediapipe-nothing-here")


def test_landmark_preprocessor_is_the_bundles_and_refuses_rois_without_landmarks() -> None:
    pre = make_preprocessor(load_bundle("hands"))
    assert isinstance(pre, LandmarkPreprocessor)
    with pytest.raises(ValueError, match="carry no landmarks"):
        pre(np.zeros((8, 8, 3), np.uint8), [ROI(0, 0, 4, 4)])
    with pytest.raises(ValueError, match="not 'hand-landmarks'"):
        LandmarkPreprocessor(load_bundle("hands-lenet"))


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("0", "camera"),
        ("webcam:1", "camera"),
        ("picamera", "camera"),
        ("rtsp://cam/stream", "camera"),
        ("clip.mp4", "video"),
        ("demo-hands", "video"),
        ("photo.JPG", "image"),
        (".", "image"),
    ],
)
def test_source_kind(spec: str, kind: str) -> None:
    assert source_kind(spec) == kind


def test_segmenter_names_are_refused_for_the_landmarks_bundle() -> None:
    with pytest.raises(ValueError, match="hands-lenet"):
        build_pipeline(load_bundle("hands"), segmenter="skin")
    with pytest.raises(ValueError, match="hands-lenet"):
        make_pipeline("hands", segmenter="background")


# -- missing models -----------------------------------------------------------------------------
def test_missing_models_is_one_line_naming_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDGE_MODEL_DIR", str(tmp_path / "empty"))
    img = tmp_path / "photo.png"
    cv2.imwrite(str(img), np.zeros((32, 32, 3), np.uint8))
    assert cli_run.main(["--model", "hands", "--source", str(img), "--headless"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    err = [line for line in err if not line.startswith("INFO:")]  # the TFLite runtime's own log
    assert len(err) == 1 and err[0].startswith("error: ") and "`edge-models fetch hands`" in err[0]
    assert "Traceback" not in "\n".join(err)


# -- JSON Lines and overlay without models ----------------------------------------------------------
def _hand_detection(label: str = "rock") -> Detection:
    lm = np.zeros((21, 3), np.float32)
    lm[:, 0] = np.linspace(100, 140, 21)
    lm[:, 1] = np.linspace(200, 120, 21)
    lm[:, 2] = np.linspace(0, -10, 21)
    roi = ROI(95, 115, 50, 90, landmarks=lm, handedness="Right", score=0.9)
    return Detection(roi, Prediction(0, label, 0.93, np.array([0.93, 0.03, 0.02, 0.02], np.float32)))


def test_detection_json_carries_landmarks_and_handedness_only_when_present() -> None:
    rec = _hand_detection().as_json()
    assert rec["handedness"] == "Right" and np.array(rec["landmarks"]).shape == (21, 3)
    assert rec["landmarks"][0] == [100.0, 200.0, 0.0] and rec["landmarks"][20] == [140.0, 120.0, -10.0]
    plain = Detection(ROI(1, 2, 3, 4), Prediction(1, "7", 0.5, np.zeros(10, np.float32))).as_json()
    assert plain == {"box": [1, 2, 3, 4], "label": "7", "score": 0.5}


def test_overlay_draws_the_landmarks_and_the_handedness() -> None:
    img = np.zeros((240, 320, 3), np.uint8)
    det = _hand_detection()
    boxed = draw_overlay(img, [Detection(ROI(95, 115, 50, 90), det.prediction)])
    with_hand = draw_overlay(img, [det])
    lm = det.roi.landmarks
    assert lm is not None
    for x, y, _ in lm[[0, 10, 20]]:  # the landmark dots (inside the box: the box alone leaves them black)
        assert with_hand[int(round(y)), int(round(x))].any() and not boxed[int(round(y)), int(round(x))].any()
    grey = draw_overlay(img, [], hands=[det.roi])  # a hand called none: grey skeleton, no tag
    x, y = int(round(lm[10, 0])), int(round(lm[10, 1]))
    assert grey[y, x].any() and len(set(grey[y, x].tolist())) == 1
    canvas = img.copy()
    draw_hand(canvas, lm, thick=1)
    assert canvas.any()


# -- end to end on real photos with the fetched models ------------------------------------------------
def test_photo_through_the_live_loop_to_jsonl(photos: list[tuple[str, Path]], tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, (label, path) in enumerate(photos):
        (folder / f"{i}-{label}{path.suffix}").write_bytes(path.read_bytes())
    pipe = make_pipeline("hands", source=str(folder), smoothing=False, threads=1)
    assert isinstance(pipe.segmenter, HandTracker) and pipe.segmenter.static
    out = tmp_path / "preds.jsonl"
    with open_source(str(folder)) as src:
        stats = run(src, pipe, [JsonlSink(out)])
    assert stats.frames == len(photos)
    assert stats.palm_frames == stats.palm_known == len(photos)  # still images: on every one
    assert any(line.startswith("palm detector ran on 3/3 frames") for line in stats.summary())
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    labels = [label for label, _ in photos]
    read = []
    for rec in recs:
        assert rec["detections"], rec
        d = rec["detections"][0]
        assert np.array(d["landmarks"]).shape == (21, 3) and d["handedness"] in ("Left", "Right")
        x, y, w, h = d["box"]
        xy = np.array(d["landmarks"])[:, :2]
        assert (xy >= [x - 1, y - 1]).all() and (xy <= [x + w + 1, y + h + 1]).all()
        read.append(d["label"])
    assert sum(a == b for a, b in zip(read, labels, strict=True)) >= len(labels) - 1, (read, labels)


def test_timings_and_palm_detector_instrumentation(photos: list[tuple[str, Path]]) -> None:
    img = _read(photos[0][1])
    still = make_pipeline("hands", source="photo.jpg", smoothing=False, threads=1)
    res = still.process(Frame(img, 0.0, 0))
    assert set(SEGMENT_PARTS) <= set(res.timings_ms)
    assert res.timings_ms["palm"] + res.timings_ms["landmarks"] <= res.timings_ms["segment"] + 1e-6
    assert res.palm_detector_ran is True
    video = make_pipeline("hands", source="clip.mp4", smoothing=False, threads=1)
    assert isinstance(video.segmenter, HandTracker) and not video.segmenter.static
    first = video.process(Frame(img, 0.0, 0))
    second = video.process(Frame(img, 1 / 30, 1))  # the same hand again: tracked, no palm detector
    assert first.palm_detector_ran is True and first.raw
    assert second.palm_detector_ran is False and second.raw
    assert second.timings_ms["palm"] == 0.0
    shown = draw_overlay(img, second.raw)
    assert (shown != img).any()


def test_eval_crop_and_capture_with_the_landmarks_bundle(
    photos: list[tuple[str, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from edge.cli import capture as cli_capture
    from edge.cli import eval as cli_eval

    root = tmp_path / "rps"
    for label, path in photos:
        (root / label).mkdir(parents=True, exist_ok=True)
        (root / label / path.name).write_bytes(path.read_bytes())
    (root / "none").mkdir()
    assert cli_eval.main(["--model", "hands", "--images", str(root), "--crop", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["n"] == len(photos) and rep["accuracy"] >= (len(photos) - 1) / len(photos)
    label, path = photos[0]
    cfg = cli_capture.CaptureConfig(
        model="hands",
        source=str(root / label),
        out=str(tmp_path / "cap"),
        session="t",
        label=label,
        display=False,
        max_frames=1,
    )
    stats = cli_capture.run_capture(cfg)
    assert stats.writer is not None and stats.writer.total_saved == 1
    sample = _read(next((tmp_path / "cap" / label).glob("*.png")))
    raw = _read(next((tmp_path / "cap-raw" / label).glob("*.png")))
    assert raw.shape == _read(path).shape  # the whole frame
    assert sample.shape[0] <= raw.shape[0] and sample.shape[1] <= raw.shape[1]
