"""Hand landmark features: canonical pose and invariance (property tests over seeded random hands)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.landmark_features import (
    FEATURES_VERSION,
    NUM_FEATURES,
    check_features_version,
    feature_names,
    features_batch,
    landmark_features,
    normalise_landmarks,
)
from edge.types import ROI

TRIALS = 200


def template_hand(curl: float = 0.0) -> np.ndarray:
    """float64 (21, 3) right hand, palm to the camera, fingers up (image y down), in px.

    ``curl`` in [0, 1] bends every finger joint by up to 90 degrees (1 = fist-like).
    """
    lm = np.zeros((21, 3))
    lm[0] = (100, 200, 0)
    bases = {1: (-30, -20), 5: (-22, -80), 9: (0, -85), 13: (20, -80), 17: (38, -70)}
    lengths = {1: (22, 20, 18), 5: (30, 22, 18), 9: (34, 25, 20), 13: (32, 23, 18), 17: (25, 18, 16)}
    for b, (dx, dy) in bases.items():
        p = lm[0] + (dx, dy, 0)
        lm[b] = p
        direction = np.array([dx, dy, 0.0]) / np.hypot(dx, dy)
        for k, seg in enumerate(lengths[b]):
            a = curl * np.pi / 2 * (k + 1) / 3
            d = np.array([direction[0] * np.cos(a), direction[1] * np.cos(a), -np.sin(a) * 1.0])
            p = p + seg * d
            lm[b + k + 1] = p
    return lm


def random_hand(rng: np.random.Generator) -> np.ndarray:
    """A template hand with random curl and 6 px of landmark noise."""
    return template_hand(rng.uniform(0, 1)) + rng.normal(0, 6, (21, 3))


def rotate(lm: np.ndarray, angle: float, centre: tuple[float, float]) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    out = lm.copy()
    x, y = lm[:, 0] - centre[0], lm[:, 1] - centre[1]
    out[:, 0] = centre[0] + c * x - s * y
    out[:, 1] = centre[1] + s * x + c * y
    return out


def test_shapes_dtypes_and_names() -> None:
    f = landmark_features(template_hand())
    assert f.shape == (1, NUM_FEATURES) and f.dtype == np.float32
    assert len(feature_names()) == NUM_FEATURES == 94
    batch = np.stack([template_hand(), template_hand(1.0)])
    fb = landmark_features(batch, ["Right", "Left"], [0.9, 0.2])
    assert fb.shape == (2, NUM_FEATURES) and np.all(np.isfinite(fb))
    assert fb[:, -1].tolist() == pytest.approx([0.9, 0.2])


def test_canonical_pose() -> None:
    rng = np.random.default_rng(1)
    for _ in range(TRIALS):
        lm = rotate(random_hand(rng), rng.uniform(-np.pi, np.pi), (0, 0))
        p = normalise_landmarks(lm)[0]
        assert np.allclose(p[0], 0, atol=1e-6)
        palm = np.linalg.norm(p[[5, 9, 13, 17]], axis=1).mean()
        assert palm == pytest.approx(1.0, abs=1e-5)
        centre = p[[5, 9, 13, 17], :2].mean(axis=0)
        assert abs(centre[0]) < 1e-5 and centre[1] > 0
        assert p[5, 0] > p[17, 0]


@pytest.mark.parametrize("transform", ["translate", "scale", "rotate", "mirror", "all"])
def test_invariance(transform: str) -> None:
    rng = np.random.default_rng({"translate": 2, "scale": 3, "rotate": 4, "mirror": 5, "all": 6}[transform])
    for _ in range(TRIALS):
        lm = random_hand(rng)
        hand, pres = str(rng.choice(["Left", "Right"])), float(rng.uniform())
        f0 = landmark_features(lm, hand, pres)
        t, h2 = lm.copy(), hand
        if transform in ("translate", "all"):
            t[:, :2] += rng.uniform(-500, 500, 2)
        if transform in ("scale", "all"):
            t *= rng.uniform(0.05, 20)
        if transform in ("rotate", "all"):
            t = rotate(t, rng.uniform(-np.pi, np.pi), tuple(rng.uniform(-300, 300, 2)))
        if transform in ("mirror", "all"):
            t[:, 0] = 640 - t[:, 0]
            h2 = {"Left": "Right", "Right": "Left"}[hand]
        f1 = landmark_features(t, h2, pres)
        np.testing.assert_allclose(f1, f0, atol=2e-4)


def test_mirror_invariance_survives_wrong_handedness() -> None:
    rng = np.random.default_rng(7)
    for _ in range(TRIALS):
        lm = random_hand(rng)
        m = lm.copy()
        m[:, 0] = -m[:, 0]
        np.testing.assert_allclose(landmark_features(m, "Right"), landmark_features(lm, "Right"), atol=2e-4)


def test_edge_on_hand_uses_handedness() -> None:
    lm = template_hand()
    lm[17, 0] = lm[5, 0]  # index and little finger bases on one vertical line
    p_right = normalise_landmarks(lm, "Right")[0]
    p_left = normalise_landmarks(lm, "Left")[0]
    np.testing.assert_allclose(p_left[:, 0], -p_right[:, 0], atol=1e-6)
    assert normalise_landmarks(lm, 0.1)[0, 1, 0] == pytest.approx(p_left[1, 0])  # score < 0.5: left


def test_features_tell_fist_from_open_hand() -> None:
    names = feature_names()
    open_, fist = landmark_features(np.stack([template_hand(0.0), template_hand(1.0)]))
    i = names.index("flex_index_1")
    assert open_[i] < 0.05 < 0.15 < fist[i]  # 30 degrees per joint at curl 1
    assert open_[names.index("extension_middle")] > fist[names.index("extension_middle")]


@pytest.mark.parametrize(
    ("lm", "kw", "match"),
    [
        (np.zeros((20, 3)), {}, "must be"),
        (np.full((21, 3), np.nan), {}, "NaN"),
        (np.zeros((21, 3)), {}, "degenerate"),
        (template_hand(), {"handedness": "left"}, "handedness"),
        (template_hand(), {"presence": 1.5}, "presence"),
        (template_hand(), {"presence": [0.5, 0.5]}, "presence values"),
    ],
)
def test_bad_input_raises(lm: np.ndarray, kw: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        landmark_features(lm, **kw)


def test_features_batch_from_rois() -> None:
    a, b = template_hand(), template_hand(0.8)
    rois = [
        ROI(0, 0, 10, 10, landmarks=a.astype(np.float32), handedness="Right", score=0.7),
        ROI(5, 5, 10, 10, landmarks=b.astype(np.float32), handedness=None, score=None),
    ]
    f = features_batch(rois)
    assert f.shape == (2, NUM_FEATURES) and f.dtype == np.float32
    np.testing.assert_allclose(f[0], landmark_features(a, "Right", 0.7)[0], atol=1e-5)
    assert f[1, -1] == 1.0
    assert features_batch([]).shape == (0, NUM_FEATURES)
    with pytest.raises(ValueError, match="carry no landmarks"):
        features_batch([ROI(0, 0, 1, 1)])
    np.testing.assert_array_equal(features_batch(rois), f)


def test_features_version_check() -> None:
    check_features_version({"features": {"version": FEATURES_VERSION, "size": NUM_FEATURES}})
    for bad in (
        {},
        {"features": {"version": FEATURES_VERSION + 1, "size": NUM_FEATURES}},
        {"features": {"version": FEATURES_VERSION, "size": 3}},
    ):
        with pytest.raises(ValueError, match="edge-train landmarks"):
            check_features_version(bad)
