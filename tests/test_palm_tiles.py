"""The tiled palm pass (edge.segment.palm_tiles) and the tracker's conditional refinement."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.hand_tracker import HandTracker
from edge.segment.palm import PalmDetector
from edge.segment.palm_tiles import detect_tiled, tile_windows
from tests.hand_models import require_hand_models, require_rps_photos


def test_tile_windows_cover_the_frame_with_overlap() -> None:
    tiles = tile_windows(640, 480, 0.6, 0.25)
    assert {t[2] for t in tiles} == {288}
    assert len(tiles) == 6  # 3 across, 2 down
    cover = np.zeros((480, 640), bool)
    for x, y, s in tiles:
        assert 0 <= x and 0 <= y and x + s <= 640 and y + s <= 480
        cover[y : y + s, x : x + s] = True
    assert cover.all()
    xs = sorted({t[0] for t in tiles})
    assert all(b - a <= 288 * 0.75 for a, b in zip(xs, xs[1:], strict=False))  # neighbours overlap >= 25%
    assert tile_windows(300, 300, 1.0) == [(0, 0, 300)]
    with pytest.raises(ValueError, match="side_frac"):
        tile_windows(640, 480, 0.0)
    with pytest.raises(ValueError, match="positive"):
        tile_windows(0, 480)


class _MarkerDetector:
    """A stand-in palm detector: 'sees' a white square lying wholly inside the image it is given."""

    nms_threshold = 0.3

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def candidates(self, image, min_score=None, bgr=True):  # same signature as PalmDetector.candidates
        self.calls.append(image.shape[:2])
        ys, xs = np.nonzero(image[:, :, 0] == 255)
        h, w = image.shape[:2]
        empty = (np.zeros(0, np.float32), np.zeros((0, 4), np.float32), np.zeros((0, 7, 2), np.float32))
        if xs.size == 0 or xs.min() == 0 or ys.min() == 0 or xs.max() == w - 1 or ys.max() == h - 1:
            return empty
        box = np.float32([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]])
        kp = np.tile(np.float32([xs.min(), ys.min()]), (1, 7, 1))
        return np.float32([0.9]), box, kp


def test_tile_boxes_map_back_into_frame_pixels() -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[220:260, 400:430] = 255  # a 30x40 'palm' where four tiles overlap
    det = _MarkerDetector()
    palms = detect_tiled(det, frame)  # type: ignore[arg-type]
    assert len(det.calls) == 6 and set(det.calls) == {(288, 288)}
    assert len(palms) == 1  # seen by four overlapping tiles, merged into one
    np.testing.assert_allclose(palms[0].box, [400, 220, 430, 260])
    np.testing.assert_allclose(palms[0].keypoints[0], [400, 220])
    assert palms[0].score == pytest.approx(0.9)


def _small_hand_frames(shared_data_dir, height: int = 90):
    """Shared photos scaled to ``height`` px and pasted into a grey 640x480 frame at (400, 60)."""
    out = []
    for _, path in require_rps_photos(shared_data_dir, per_class=3):
        img = cv2.imread(str(path))
        s = height / img.shape[0]
        small = cv2.resize(img, (round(img.shape[1] * s), height), interpolation=cv2.INTER_AREA)
        frame = np.full((480, 640, 3), 90, np.uint8)
        frame[60 : 60 + height, 400 : 400 + small.shape[1]] = small
        out.append((frame, (400, 60, 400 + small.shape[1], 60 + height)))
    return out


def test_tiles_find_a_small_hand_the_whole_frame_pass_misses(shared_data_dir) -> None:
    require_hand_models("full")
    frames = _small_hand_frames(shared_data_dir)
    palm = PalmDetector(require_hand_models("full")[0], num_threads=1)
    whole = tiled = 0
    for frame, (x0, y0, x1, y1) in frames:
        whole += bool(palm.detect(frame))
        found = detect_tiled(palm, frame)
        if found:
            tiled += 1
            b = found[0].box
            assert x0 - 10 <= b[0] < b[2] <= x1 + 10 and y0 - 10 <= b[1] < b[3] <= y1 + 10, b
            kp = found[0].keypoints
            assert ((kp >= [x0 - 20, y0 - 20]) & (kp <= [x1 + 20, y1 + 20])).all()
    assert tiled >= 7 and whole <= 4, (tiled, whole)
    with_tiles = HandTracker(static=True, max_hands=1, num_threads=1, tiles=0.6, fallback=False)
    without = HandTracker(static=True, max_hands=1, num_threads=1, fallback=False, tiles=None)
    a = [with_tiles.detect(f) for f, _ in frames]
    b = [without.detect(f) for f, _ in frames]
    assert sum(map(bool, a)) >= sum(map(bool, b)) + 3
    assert any(h and h[0].origin == "tiles" and h[0].presence >= 0.5 for h in a)


def test_video_mode_runs_the_tiles_at_most_every_n_frames(shared_data_dir) -> None:
    require_hand_models("full")
    frame, _ = _small_hand_frames(shared_data_dir)[1]
    empty = np.full_like(frame, 90)
    tr = HandTracker(
        static=False, max_hands=1, num_threads=1, tiles=0.6, video_tile_every=3, video_fallback=None
    )
    for _ in range(7):
        assert tr.detect(empty) == []
    assert tr.tile_runs == 3  # frames 1, 4 and 7
    off = HandTracker(
        static=False, max_hands=1, num_threads=1, tiles=0.6, video_tile_every=None, video_fallback=None
    )
    off.detect(empty)
    assert off.tile_runs == 0
    with pytest.raises(ValueError, match="video_tile_every"):
        HandTracker(static=False, video_tile_every=0)


def test_refinement_runs_only_below_refine_below(shared_data_dir) -> None:
    require_hand_models("full")
    (_, path), *_ = require_rps_photos(shared_data_dir, per_class=1)
    img = cv2.imread(str(path))
    always = HandTracker(static=True, max_hands=1, num_threads=1, refine_below=1.01)
    hands = always.detect(img)
    assert hands and hands[0].presence >= 0.5 and always.landmark_runs == 2  # palm pass + refinement
    never = HandTracker(static=True, max_hands=1, num_threads=1, refine_below=0.0)
    assert never.detect(img) and never.landmark_runs == 1
    gated = HandTracker(static=True, max_hands=1, num_threads=1, refine_below=0.5)
    h = gated.detect(img)
    assert gated.landmark_runs == 1 and h[0].presence == pytest.approx(never.detect(img)[0].presence)


def test_make_hand_tracker_honours_the_bundles_detector_settings() -> None:
    require_hand_models("full")
    from types import SimpleNamespace

    from edge.segment.hand_finder import make_hand_tracker

    meta = {
        "detector": {
            "variant": "full",
            "refine_below": 0.9,
            "tiles": None,
            "tiles_first": True,
            "video_tile_every": 4,
        },
        "decision": {"min_presence": 0.5},
    }
    tr = make_hand_tracker(SimpleNamespace(meta=meta), source_kind="image")  # type: ignore[arg-type]
    assert isinstance(tr, HandTracker)
    assert (tr.refine_below, tr.tiles, tr.tiles_first, tr.video_tile_every) == (0.9, None, True, 4)
    old = make_hand_tracker(
        SimpleNamespace(meta={"detector": {"variant": "full"}}),  # type: ignore[arg-type]
        source_kind="video",
    )
    assert isinstance(old, HandTracker) and old.tiles == 0.75 and old.refine_below == 0.9
