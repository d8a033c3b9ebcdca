"""HandTracker end to end on shared photos with the fetched models: still images, tracking, fallback."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.hand_tracker import HandTracker
from edge.types import ROI
from tests.hand_models import require_hand_models, require_rps_photos


@pytest.fixture(scope="module")
def still_tracker() -> HandTracker:
    require_hand_models("full")
    return HandTracker(static=True, max_hands=1, num_threads=1)


def test_still_photos_give_a_hand_with_21_landmarks_inside(
    still_tracker: HandTracker, shared_data_dir
) -> None:
    for label, path in require_rps_photos(shared_data_dir, per_class=3):
        img = cv2.imread(str(path))
        h, w = img.shape[:2]
        hands = still_tracker.detect(img)
        assert len(hands) == 1, f"no hand in {label}/{path.name}"
        hand = hands[0]
        assert hand.presence >= 0.5
        assert hand.landmarks.shape == (21, 3) and hand.landmarks.dtype == np.float32
        xy = hand.landmarks[:, :2]
        assert (
            (xy >= -0.05 * max(w, h)).all() and (xy[:, 0] <= 1.05 * w).all() and (xy[:, 1] <= 1.05 * h).all()
        )
        assert hand.crop.shape == (224, 224, 3) and hand.label in ("Left", "Right")
        rois = still_tracker.find(img)
        assert len(rois) == 1 and isinstance(rois[0], ROI)
        r = rois[0]
        assert 0 <= r.x and 0 <= r.y and r.x + r.w <= w and r.y + r.h <= h and r.w > 10 and r.h > 10
        assert (
            r.landmarks is not None
            and r.landmarks.shape == (21, 3)
            and r.score == pytest.approx(hand.presence)
        )
    assert set(still_tracker.last_timings_ms) == {"palm", "landmarks", "total"}
    assert still_tracker.palm_runs == still_tracker.frames  # static: the palm detector on every image


def test_video_mode_tracks_without_the_palm_detector(shared_data_dir) -> None:
    require_hand_models("lite")
    (_, path), *_ = require_rps_photos(shared_data_dir, per_class=1)
    img = cv2.imread(str(path))
    tr = HandTracker(variant="lite", static=False, max_hands=1, num_threads=1)
    origins = [tr.detect(img)[0].origin for _ in range(5)]
    assert origins == ["palm"] + ["track"] * 4
    assert tr.palm_runs == 1 and tr.frames == 5
    assert tr.detect(np.full_like(img, 127)) == []  # the hand is lost: its presence falls
    assert tr.palm_runs == 2  # ... so the palm detector ran again
    tr.detect(img)
    assert tr.palm_runs == 3
    tr.reset()
    assert tr.detect(img)[0].origin == "palm"


def test_static_fallback_and_the_presence_threshold() -> None:
    require_hand_models("lite")
    grey = np.full((240, 320, 3), 127, np.uint8)
    assert HandTracker("lite", static=True, num_threads=1).detect(grey) == []
    keep = HandTracker(
        "lite",
        static=True,
        min_presence=0.0,
        fallback_scales=(1.0,),
        fallback_rotations=(0.0,),
        num_threads=1,
    )
    hands = keep.detect(grey)
    assert len(hands) == 1 and hands[0].origin == "fallback" and hands[0].presence < 0.5
    assert hands[0].palm_score is None
    with pytest.raises(ValueError, match="uint8"):
        keep.detect(grey.astype(np.float32))
    with pytest.raises(ValueError, match="max_hands"):
        HandTracker("lite", max_hands=0)


def test_video_fallback_picks_up_a_hand_that_fills_the_frame(shared_data_dir) -> None:
    require_hand_models("full")
    photos = require_rps_photos(shared_data_dir, per_class=3)
    still = HandTracker(static=True, max_hands=1, num_threads=1)
    picked = 0
    for _, path in photos:
        img = cv2.imread(str(path))
        box = still.detect(img)[0].box(pad=0.0, bounds=(img.shape[1], img.shape[0]))
        closeup = cv2.resize(img[box.y : box.y + box.h, box.x : box.x + box.w], (320, 320))
        with_fb = HandTracker(static=False, max_hands=1, num_threads=1, video_tile_every=None)
        without = HandTracker(
            static=False, max_hands=1, num_threads=1, video_fallback=None, video_tile_every=None
        )
        a, b = with_fb.detect(closeup), without.detect(closeup)
        assert len(a) >= len(b)  # the fallback never loses a hand
        assert without.landmark_runs == len(b)  # no fallback: one landmark run per palm at most
        if a and not b:
            assert a[0].origin == "fallback" and with_fb.detect(closeup)[0].origin == "track"
            picked += 1
    assert picked >= 1  # on these close-ups the palm detector misses some hands the fallback finds


def test_mixed_variant_full_palm_lite_landmarks(shared_data_dir) -> None:
    require_hand_models("full")
    require_hand_models("lite")
    (_, path), *_ = require_rps_photos(shared_data_dir, per_class=1)
    tr = HandTracker("full/lite", static=True, max_hands=1, embedding=True, num_threads=1)
    hands = tr.detect(cv2.imread(str(path)))
    assert hands and hands[0].embedding is not None and hands[0].embedding.shape == (672,)  # lite net
    assert hands[0].palm_score is not None  # found by the (full) palm detector
    with pytest.raises(ValueError):
        HandTracker("full/huge", static=True)
