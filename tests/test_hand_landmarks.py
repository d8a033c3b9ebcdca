"""Hand landmark geometry (rotated crop round trip, landmarks -> next ROI) and the real model."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from edge.bundle import BundleError
from edge.segment.hand_landmarks import (
    HandLandmarker,
    apply_affine,
    crop_affine,
    invert_affine,
    landmarks_to_roi,
    warp_roi,
)
from edge.segment.palm import PalmDetector, RotatedRect, outputs_by_shape, palm_to_hand_roi
from tests.hand_models import require_hand_models, require_rps_photos


@pytest.mark.parametrize("deg", [0.0, 37.0, 90.0, -120.0, 180.0])
def test_crop_affine_round_trip(deg: float) -> None:
    rect = RotatedRect(321.5, 207.25, 180.0, 180.0, math.radians(deg))
    a = crop_affine(rect)
    pts = np.random.default_rng(0).uniform(0, 224, (50, 2))
    back = apply_affine(invert_affine(a), apply_affine(a, pts))
    np.testing.assert_allclose(back, pts, atol=1e-3)
    # the crop's centre is the rect's centre; the crop's "up" is the rotated up direction
    np.testing.assert_allclose(apply_affine(a, np.array([[112.0, 112.0]])), [[rect.cx, rect.cy]], atol=1e-4)
    up = apply_affine(a, np.array([[112.0, 0.0]]))[0] - [rect.cx, rect.cy]
    np.testing.assert_allclose(
        up, 90.0 * np.array([math.sin(rect.rotation), -math.cos(rect.rotation)]), atol=1e-3
    )
    np.testing.assert_allclose(apply_affine(a, np.array([[0.0, 0.0]])), rect.corners()[:1], atol=1e-3)


@pytest.mark.parametrize("deg", [0.0, 30.0, 90.0, 250.0])
def test_warp_roi_puts_a_frame_point_where_the_inverse_affine_says(deg: float) -> None:
    img = np.zeros((300, 400, 3), np.uint8)
    p = np.array([230.0, 120.0])
    cv2.circle(img, (int(p[0]), int(p[1])), 3, (255, 255, 255), -1)
    rect = RotatedRect(200.0, 150.0, 200.0, 200.0, math.radians(deg))
    crop, a = warp_roi(img, rect)
    assert crop.shape == (224, 224, 3)
    want = apply_affine(invert_affine(a), (p + 0.5)[None])[0]  # pixel centre in continuous coordinates
    ys, xs = np.nonzero(crop[:, :, 0] > 128)
    got = np.array([xs.mean() + 0.5, ys.mean() + 0.5])
    np.testing.assert_allclose(got, want, atol=1.0)


def test_warp_roi_borders() -> None:
    img = np.full((50, 50, 3), 200, np.uint8)
    rect = RotatedRect(25.0, 25.0, 200.0, 200.0, 0.0)  # 4x the image: mostly outside
    assert warp_roi(img, rect, border="zero")[0][0, 0].tolist() == [0, 0, 0]
    assert warp_roi(img, rect, border="replicate")[0][0, 0].tolist() == [200, 200, 200]


def _upright_hand(cx: float = 200.0, cy: float = 300.0, s: float = 10.0) -> np.ndarray:
    """Synthetic (21, 3) landmarks of an upright open hand (wrist at the bottom), frame px."""
    lm = np.zeros((21, 3), np.float32)
    lm[0] = (0, 0, 0)
    for f, x in enumerate((-4, -2, 0, 2, 4)):  # thumb, index, middle, ring, pinky
        for j in range(4):
            lm[1 + 4 * f + j] = (x * (1 + 0.2 * j), -(4 + 3 * j) + (2 if f == 0 else 0), 0)
    lm[:, :2] = lm[:, :2] * s + [cx, cy]
    return lm


def _rotate(lm: np.ndarray, deg: float, centre: tuple[float, float]) -> np.ndarray:
    """Rotate landmarks clockwise on screen by ``deg`` about ``centre``."""
    t = math.radians(deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    out = lm.copy()
    out[:, :2] = (lm[:, :2] - centre) @ rot.T + centre
    return out


def test_landmarks_to_roi_upright_and_rotation_equivariant() -> None:
    lm = _upright_hand()
    r0 = landmarks_to_roi(lm)
    assert r0.rotation == pytest.approx(0.0, abs=1e-6)
    assert r0.w == pytest.approx(r0.h)
    # box of the ROI landmarks 0-3, 5, 6, 9, 10, 13, 14, 17, 18 around the wrist: x -56..+48,
    # y -80..0; square on the long side 104, x2.0; centre (-4, -40) shifted by -0.1 x 80 in y
    assert r0.w == pytest.approx(2.0 * 104.0, rel=1e-4)
    assert r0.cx == pytest.approx(196.0, abs=1e-3) and r0.cy == pytest.approx(300.0 - 40.0 - 8.0, abs=1e-3)
    for deg in (35.0, 90.0, -150.0):
        r = landmarks_to_roi(_rotate(lm, deg, (200.0, 300.0)))
        assert math.degrees(r.rotation) == pytest.approx(deg, abs=1e-4)
        c = _rotate(np.array([[r0.cx, r0.cy, 0.0]]), deg, (200.0, 300.0))[0]
        assert (r.cx, r.cy) == pytest.approx((c[0], c[1]), abs=1e-3)
        assert r.w == pytest.approx(r0.w, rel=1e-4)


def test_outputs_by_shape_names_the_missing_tensor() -> None:
    details = [
        {"name": "b", "shape": np.array([1, 1]), "index": 3},
        {"name": "a", "shape": np.array([1, 1]), "index": 7},
    ]
    assert outputs_by_shape(details, [(1, 1), (1, 1)], "m") == [7, 3]  # ties in name order
    with pytest.raises(BundleError, match=r"no output of shape \(1, 63\)"):
        outputs_by_shape(details, [(1, 63)], "m")


def test_landmark_model_on_a_photo_and_its_mirror(shared_data_dir) -> None:
    palm_dir, lm_dir = require_hand_models("full")
    photos = require_rps_photos(shared_data_dir, per_class=1)
    img = cv2.imread(str(photos[0][1]))
    mirror = img[:, ::-1].copy()
    w = img.shape[1]
    hl = HandLandmarker(lm_dir, embedding=True, num_threads=1)
    pd = PalmDetector(palm_dir, num_threads=1)
    r = hl.run(img, palm_to_hand_roi(pd.detect(img)[0]))
    m = hl.run(mirror, palm_to_hand_roi(pd.detect(mirror)[0]))
    assert r.landmarks.shape == (21, 3) and r.landmarks.dtype == np.float32
    assert r.embedding is not None and r.embedding.shape == (1152,) and np.isfinite(r.embedding).all()
    assert r.presence > 0.5 and m.presence > 0.5
    assert 0.0 <= r.handedness <= 1.0 and abs(r.handedness - 0.5) > 0.3
    assert (r.handedness > 0.5) != (m.handedness > 0.5)  # a mirror flips the hand
    # mirrored landmarks are the mirror of the landmarks, within a few pixels
    np.testing.assert_allclose(w - m.landmarks[:, 0], r.landmarks[:, 0], atol=0.06 * w)
    assert r.crop.shape == (224, 224, 3) and r.crop.dtype == np.uint8
