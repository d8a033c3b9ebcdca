"""Landmark classifier training helpers and camera stress transforms (numpy only, no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.landmark_features import landmark_features
from tests.test_landmark_features import random_hand
from train.camera_stress import CONDITIONS, FRAME_SIZE, shuffled_tiles
from train.landmark_data import person_of
from train.landmark_train import NONE, augment_landmarks, gate, inner_split, score


def test_score_counts_recall_none_and_missing_hands() -> None:
    y = np.array([0, 0, 1, 2, 3, 3])
    probs = np.eye(4, dtype=np.float32)[[0, 3, 1, 1, 3, 0]]
    found = np.array([True, False, True, True, True, True])
    pres = np.array([0.9, 0.0, 0.2, 0.9, 0.1, 0.9])
    s = score(y, probs, found, pres)
    assert s["accuracy"] == pytest.approx(3 / 6)
    assert s["recall"] == {"rock": 0.5, "paper": 1.0, "scissors": 0.0, "none": 0.5}
    assert s["gesture_called_none"] == pytest.approx(1 / 4)
    assert s["no_hand"] == pytest.approx(1 / 6)
    assert s["low_presence"] == pytest.approx(3 / 6)
    assert np.array(s["confusion"]).sum() == 6


def test_gate_makes_doubtful_hands_none() -> None:
    probs = np.full((3, 4), 0.25, np.float32)
    out = gate(probs, np.array([0.1, 0.5, 0.9]), 0.5)
    assert out[0].tolist() == [0, 0, 0, 1] and out[1].tolist() == [0.25] * 4
    assert probs[0, 0] == 0.25  # input untouched


def test_inner_split_keeps_people_whole() -> None:
    people = np.array([f"s/p{i % 10}" for i in range(400)])
    d = {
        "source": np.array(["s"] * 400),
        "person": people,
        "files": np.array([f"rock/{i}.jpg" for i in range(400)]),
        "label": np.array(["rock"] * 400),
    }
    val = inner_split(d)
    assert 0 < val.sum() < 400
    for p in np.unique(people):
        assert len(set(val[people == p])) == 1
    single = {**d, "person": np.array(["t"] * 400), "source": np.array(["t"] * 400)}
    v2 = inner_split(single)
    assert 0.05 < v2.mean() < 0.3  # photos split where the source is one group


def test_augmented_hands_keep_their_shape_and_gestures_keep_presence_mostly() -> None:
    rng = np.random.default_rng(0)
    lm = np.stack([random_hand(rng) for _ in range(300)]).astype(np.float32)
    hand = np.ones(300, np.float32)
    pres = np.full(300, 0.95, np.float32)
    y = np.array([0, 1, 2, NONE] * 75)
    a_lm, a_hand, a_pres = augment_landmarks(lm, hand, pres, y, rng, presence_redraw=0.3)
    assert a_lm.shape == lm.shape and a_lm.dtype == np.float32
    f0, f1 = landmark_features(lm, hand, pres), landmark_features(a_lm, a_hand, a_pres)
    flex = slice(60, 75)
    assert np.median(np.abs(f1[:, flex] - f0[:, flex])) < 0.08  # same fingers, a little noise
    assert np.all(a_pres[y == NONE] == pres[y == NONE])
    changed = np.mean(a_pres[y != NONE] != pres[y != NONE])
    assert 0.15 < changed < 0.45


@pytest.mark.parametrize("name", list(CONDITIONS))
def test_stress_transforms_are_deterministic_images(name: str) -> None:
    img = np.random.default_rng(1).integers(0, 255, (150, 100, 3), dtype=np.uint8)
    a = CONDITIONS[name](img, np.random.default_rng(7))
    b = CONDITIONS[name](img, np.random.default_rng(7))
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3
    np.testing.assert_array_equal(a, b)
    if name == "in_frame":
        assert a.shape[:2] == (FRAME_SIZE[1], FRAME_SIZE[0])
    if name == "sideways":
        assert a.shape[1] > a.shape[0]  # a portrait photo turned to landscape


def test_shuffled_tiles_keep_pixels() -> None:
    img = np.random.default_rng(2).integers(0, 255, (160, 160, 3), dtype=np.uint8)
    out = shuffled_tiles(img, np.random.default_rng(3))
    assert out.dtype == np.uint8 and out.shape[2] == 3
    assert not np.array_equal(out, img[: out.shape[0], : out.shape[1]])


def test_person_groups_follow_the_readme() -> None:
    assert person_of("github-webcam-rps", "AlThor__12.jpg") == "github-webcam-rps/AlThor"
    assert (
        person_of("subhih-handsdataset", "1528664299.56_pic00087_h0.jpg")
        == "subhih-handsdataset/1528664299.56"
    )
    assert person_of("mediapipe-rps-data-sample", "x.jpg") == "mediapipe-rps-data-sample"
