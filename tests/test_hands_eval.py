"""Hands evaluation: the calibrated score threshold, frame answers with a none class,
and the shipped hands bundle on held-out people of the shared data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.bundle import BundleError, load_bundle, set_min_score
from edge.cli import eval as cli_eval
from edge.evaluate import (
    LabelledImage,
    ThresholdPoint,
    choose_threshold,
    evaluate_frames,
    threshold_sweep,
)
from edge.pipeline import FrameResult
from edge.types import ROI, Detection, Prediction

LABELS = ("rock", "paper", "scissors", "none")


class ScriptedPipeline:
    """Answers photo i with the (label, score) scripted for it, or nothing."""

    def __init__(self, answers: list[tuple[str, float] | None]) -> None:
        self.answers = answers

    def process(self, frame):  # noqa: ANN001, ANN201 - test double
        a = self.answers[frame.index]
        dets = []
        if a is not None:
            scores = np.zeros(len(LABELS), np.float32)
            scores[LABELS.index(a[0])] = a[1]
            dets = [Detection(ROI(0, 0, 8, 8), Prediction(LABELS.index(a[0]), a[0], a[1], scores))]
        return FrameResult(frame=frame, detections=dets, raw=dets)


def _items(tmp_path: Path, labels: list[str]) -> list[LabelledImage]:
    out = []
    for i, lab in enumerate(labels):
        p = tmp_path / f"{i}.png"
        cv2.imwrite(str(p), np.full((16, 16, 3), 128, np.uint8))
        out.append(LabelledImage(p, LABELS.index(lab)))
    return out


def test_threshold_sweep_and_choice(tmp_path: Path) -> None:
    items = _items(tmp_path, ["rock", "paper", "scissors", "rock", "none", "none"])
    pipe = ScriptedPipeline(
        [("rock", 0.9), ("paper", 0.55), ("rock", 0.8), ("rock", 0.95), ("paper", 0.6), None]
    )
    pts = threshold_sweep(pipe, LABELS, items, thresholds=[0.0, 0.5, 0.7, 0.9])
    assert [p.gesture_accuracy for p in pts] == [0.75, 0.75, 0.5, 0.5]
    assert [p.quiet_rate for p in pts] == [0.5, 0.5, 1.0, 1.0]
    assert choose_threshold(pts, 0.0).threshold == 0.5
    assert choose_threshold(pts, 0.25).threshold == 0.9
    with pytest.raises(ValueError, match="none"):
        threshold_sweep(pipe, LABELS[:3], items)
    with pytest.raises(ValueError, match="none/ folder"):
        threshold_sweep(pipe, LABELS, items[:4])
    with pytest.raises(ValueError):
        choose_threshold([], 0.1)
    with pytest.raises(ValueError):
        choose_threshold([ThresholdPoint(0.0, 1.0, 0.0)], 2.0)


def test_frame_answer_none_when_nothing_is_shown(tmp_path: Path) -> None:
    items = _items(tmp_path, ["none", "rock", "none"])
    report = evaluate_frames(ScriptedPipeline([None, None, ("paper", 0.7)]), LABELS, items)
    assert report.correct == 1 and report.n == 3  # empty scene answered none: right


def test_min_score_in_bundle_is_the_pipeline_default(tiny_hands_bundle: Path, tmp_path: Path) -> None:
    from edge.pipeline import build_pipeline

    b = tmp_path / "b"
    shutil.copytree(tiny_hands_bundle, b)
    assert load_bundle(b).min_score == 0.0
    set_min_score(b, 0.6, {"n": 3})
    meta = json.loads((b / "model.json").read_text())
    assert meta["min_score"] == 0.6 and meta["min_score_calibration"] == {"n": 3}
    assert load_bundle(b).min_score == 0.6
    assert build_pipeline(b).min_score == 0.6
    assert build_pipeline(b, min_score=0.0).min_score == 0.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        set_min_score(b, 1.5)
    with pytest.raises(BundleError, match="not found"):
        set_min_score(tmp_path, 0.5)


def test_cli_calibrate_min_score(
    tiny_hands_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b = tmp_path / "b"
    shutil.copytree(tiny_hands_bundle, b)
    photos = tmp_path / "photos"
    rng = np.random.default_rng(0)
    for lab in LABELS:
        (photos / lab).mkdir(parents=True)
        for i in range(2):
            img = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
            cv2.circle(img, (80, 60), 30, (120, 160, 215), -1)
            cv2.imwrite(str(photos / lab / f"{i}.png"), img)
    assert (
        cli_eval.main(["--model", str(b), "--images", str(photos), "--crop", "--calibrate-min-score", "0.02"])
        == 2
    )
    assert "--frame" in capsys.readouterr().err
    rc = cli_eval.main(
        ["--model", str(b), "--images", str(photos), "--frame", "--calibrate-min-score", "0.02", "--json"]
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["sweep"]) > 5 and 0.0 <= out["min_score"] <= 1.0
    assert load_bundle(b).min_score == out["min_score"]


def _shared_rps(shared_data_dir: Path | None) -> Path:
    if shared_data_dir is None or not (shared_data_dir / "rps").is_dir():
        pytest.skip("shared rps data not found")
    return shared_data_dir / "rps"


def test_shipped_hands_bundle_on_the_green_screen_set(
    shared_data_dir: Path | None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every 8th studio photo with --crop: the held-out green-screen criterion (>= 98%) must
    hold on a sample that mixes training and held-out photos too."""
    rps = _shared_rps(shared_data_dir)
    meta = load_bundle("hands-lenet").meta
    assert meta["task"] == "hands" and meta["size_bytes"] <= 2 * 1024 * 1024
    rc = cli_eval.main(
        [
            "--model",
            "hands-lenet",
            "--images",
            str(rps / "kaggle-drgfreeman-rps-cv"),
            "--crop",
            "--limit",
            "270",
            "--json",
        ]
    )
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] >= 0.98


def test_shipped_hands_bundle_on_real_webcam_photos(
    shared_data_dir: Path | None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Photos of ordinary rooms (mostly the training people: a sanity floor, not the
    held-out number, which the issue note reports)."""
    rps = _shared_rps(shared_data_dir)
    rc = cli_eval.main(
        [
            "--model",
            "hands-lenet",
            "--images",
            str(rps / "github-webcam-rps"),
            "--crop",
            "--limit",
            "300",
            "--json",
        ]
    )
    assert rc == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["accuracy"] >= 0.85 and rep["n"] == 300
