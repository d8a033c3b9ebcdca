"""Palm detector maths against constructed tensors (SSD anchors, decoding, weighted NMS, palm ROI),
and the real model on a shared photo when the models are fetched."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from edge.segment.palm import (
    NUM_ANCHORS,
    PalmDetection,
    PalmDetector,
    decode_boxes,
    iou,
    letterbox,
    normalize_radians,
    palm_to_hand_roi,
    ssd_anchors,
    weighted_nms,
)
from tests.hand_models import require_hand_models, require_rps_photos


def test_anchor_count_centres_and_strides() -> None:
    a = ssd_anchors()
    assert a.shape == (NUM_ANCHORS, 2) == (2016, 2)
    # stride 8: 24x24 cells, 2 anchors per cell, row-major (y outer, x inner)
    np.testing.assert_allclose(a[0], [0.5 / 24, 0.5 / 24])
    np.testing.assert_allclose(a[1], a[0])
    np.testing.assert_allclose(a[2], [1.5 / 24, 0.5 / 24])
    np.testing.assert_allclose(a[2 * 24], [0.5 / 24, 1.5 / 24])
    np.testing.assert_allclose(a[1151], [23.5 / 24, 23.5 / 24])
    # three stride-16 layers share one 12x12 map: 6 anchors per cell
    np.testing.assert_allclose(a[1152:1158], np.tile([0.5 / 12, 0.5 / 12], (6, 1)))
    np.testing.assert_allclose(a[1158], [1.5 / 12, 0.5 / 12])
    np.testing.assert_allclose(a[-1], [11.5 / 12, 11.5 / 12])
    assert a.min() > 0 and a.max() < 1


def test_decode_known_logit_and_offsets() -> None:
    anchors = ssd_anchors()
    raw = np.zeros((NUM_ANCHORS, 18), np.float32)
    logits = np.full(NUM_ANCHORS, -10.0, np.float32)
    i = 1500
    logits[i] = 2.0
    raw[i, :4] = [19.2, -9.6, 38.4, 76.8]  # dx +0.1, dy -0.05, w 0.2, h 0.4 (units of 192 px)
    raw[i, 4:] = np.arange(14, dtype=np.float32) * 1.92  # keypoint j: (+0.02*2j, +0.02*(2j+1))
    scores, boxes, kps = decode_boxes(raw, logits, anchors, min_score=0.5)
    assert scores.shape == (1,)
    assert scores[0] == pytest.approx(1 / (1 + math.exp(-2.0)), rel=1e-6)
    cx, cy = anchors[i] + [0.1, -0.05]
    np.testing.assert_allclose(boxes[0], [cx - 0.1, cy - 0.2, cx + 0.1, cy + 0.2], atol=1e-6)
    want = anchors[i] + (np.arange(14).reshape(7, 2) * 0.01)
    np.testing.assert_allclose(kps[0], want, atol=1e-6)


def test_decode_threshold_and_clipping() -> None:
    anchors = ssd_anchors()
    raw = np.zeros((NUM_ANCHORS, 18), np.float32)
    logits = np.full((NUM_ANCHORS, 1), -1e6, np.float32)  # clipped to -100: no overflow warning
    logits[0, 0], logits[1, 0] = 1e6, -0.1
    with np.errstate(over="raise"):
        scores, _, _ = decode_boxes(raw, logits, anchors, min_score=0.5)
    assert scores.tolist() == [1.0]
    scores, _, _ = decode_boxes(raw, logits, anchors, min_score=0.4)
    assert len(scores) == 2


def test_weighted_nms_merges_overlaps_and_keeps_separate_boxes() -> None:
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 1.1, 1.0], [5.0, 5.0, 6.0, 6.0]], np.float32)
    scores = np.array([0.6, 0.9, 0.8], np.float32)
    kps = np.stack([np.full((7, 2), v, np.float32) for v in (1.0, 2.0, 9.0)])
    out = weighted_nms(scores, boxes, kps, threshold=0.3)
    assert [round(s, 3) for s, _, _ in out] == [0.9, 0.8]  # best score kept, best first
    w = np.array([0.9, 0.6])
    np.testing.assert_allclose(out[0][1], (boxes[[1, 0]] * w[:, None]).sum(0) / w.sum(), atol=1e-6)
    np.testing.assert_allclose(out[0][2], np.full((7, 2), (2.0 * 0.9 + 1.0 * 0.6) / 1.5), atol=1e-6)
    np.testing.assert_allclose(out[1][1], boxes[2])
    # below the threshold (IoU 1/3 > 0.3 merges; 0.2 overlap does not)
    far = np.array([[0.0, 0.0, 1.0, 1.0], [0.8, 0.0, 1.8, 1.0]], np.float32)
    assert iou(far[0], far[1:])[0] == pytest.approx(0.2 / 1.8)
    assert len(weighted_nms(np.array([0.9, 0.8], np.float32), far, kps[:2], 0.3)) == 2
    assert len(weighted_nms(scores, boxes, kps, 0.3, max_out=1)) == 1


def test_weighted_nms_survives_a_degenerate_box() -> None:
    boxes = np.array([[0.5, 0.5, 0.5, 0.5], [0.0, 0.0, 1.0, 1.0]], np.float32)
    out = weighted_nms(np.array([0.9, 0.8], np.float32), boxes, np.zeros((2, 7, 2), np.float32))
    assert len(out) == 2


def test_palm_to_hand_roi_rotation_shift_and_scale() -> None:
    kp = np.zeros((7, 2), np.float32)
    kp[0], kp[2] = (100, 200), (100, 100)  # wrist below the middle finger base: upright
    up = palm_to_hand_roi(PalmDetection(0.9, np.array([50, 100, 150, 200], np.float32), kp))
    assert up.rotation == pytest.approx(0.0)
    assert (up.cx, up.cy) == pytest.approx((100.0, 100.0))  # shifted half the height towards the fingers
    assert (up.w, up.h) == pytest.approx((260.0, 260.0))
    kp[0], kp[2] = (100, 150), (200, 150)  # fingers to the right: 90 degrees clockwise
    right = palm_to_hand_roi(PalmDetection(0.9, np.array([100, 100, 200, 160], np.float32), kp))
    assert right.rotation == pytest.approx(math.pi / 2)
    assert (right.cx, right.cy) == pytest.approx((150.0 + 30.0, 130.0))  # shift_y -0.5 of h=60 rotated
    assert right.w == pytest.approx(2.6 * 100)  # square on the long side


def test_normalize_radians_and_letterbox() -> None:
    assert normalize_radians(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    img = np.full((100, 200, 3), 255, np.uint8)
    out, (s, px, py) = letterbox(img, 192)
    assert out.shape == (192, 192, 3) and s == pytest.approx(0.96)
    assert (px, py) == (0.0, 48.0)
    assert out[:48].max() == 0 and out[48:144].min() == 255 and out[144:].max() == 0


def test_palm_detector_on_a_real_photo_wants_0_1_input(shared_data_dir) -> None:
    palm_dir, _ = require_hand_models("lite")
    (_, path), *_ = require_rps_photos(shared_data_dir, per_class=1)
    img = cv2.imread(str(path))
    det = PalmDetector(palm_dir, num_threads=1)
    palms = det.detect(img)
    assert palms and palms[0].score >= 0.5
    h, w = img.shape[:2]
    assert -0.1 * w <= palms[0].keypoints[:, 0].min() and palms[0].keypoints[:, 0].max() <= 1.1 * w
    assert -0.1 * h <= palms[0].keypoints[:, 1].min() and palms[0].keypoints[:, 1].max() <= 1.1 * h
    with pytest.raises(ValueError, match="uint8"):
        det.detect(img.astype(np.float32))
