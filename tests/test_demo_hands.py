"""The ``demo-hands`` source: frames, ground truth, determinism, no-hand stretches.

No timing is asserted (render cost is what ``edge-bench`` and the module docstring
talk about); these tests check what the frames and their truth are.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from edge.sources import open_source
from edge.sources.demo_hands import HandsDemoSource
from edge.sources.hand_shapes import GESTURES, HandPose, hand_shape
from edge.types import ROI


def skin_fraction(image: np.ndarray, box: ROI) -> float:
    """Share of the box's pixels inside the YCrCb skin box of Chai and Ngan (1999):
    Cr 133..173, Cb 77..127 (independent of the demo's own skin palette)."""
    crop = image[box.y : box.y + box.h, box.x : box.x + box.w]
    ycc = cv2.cvtColor(crop, cv2.COLOR_BGR2YCrCb)
    return float(cv2.inRange(ycc, (0, 133, 77), (255, 173, 127)).mean() / 255.0)


def test_frames_shape_dtype_time_and_truth():
    src = HandsDemoSource(3, num_frames=40)
    frames = list(src)
    assert len(frames) == 40 and src.read() is None
    for i, f in enumerate(frames):
        assert f.image.shape == (480, 640, 3) and f.image.dtype == np.uint8
        assert f.image.flags["C_CONTIGUOUS"]
        assert f.index == i and f.timestamp == pytest.approx(i / 30.0)
        assert isinstance(f.truth, tuple) and len(f.truth) <= 1
        for label, box in f.truth:
            assert label in GESTURES
            assert box.x >= 0 and box.y >= 0 and box.x + box.w <= 640 and box.y + box.h <= 480
            assert box.w >= 20 and box.h >= 20
    assert src.name == "demo-hands:3" and not src.live and src.fps == 30.0


def test_deterministic_per_seed_and_random_access():
    a, b = HandsDemoSource(5), HandsDemoSource(5)
    order = [200, 3, 199, 3, 450]
    for i in order:
        fa = a.render(i)
        np.testing.assert_array_equal(fa.image, b.render(i).image)
        assert fa.truth == b.render(i).truth
    fresh = HandsDemoSource(5)
    np.testing.assert_array_equal(fresh.render(450).image, a.render(450).image)  # order-independent
    other = HandsDemoSource(6)
    assert not np.array_equal(other.render(200).image, a.render(200).image)


def test_truth_without_rendering_equals_frame_truth():
    src = HandsDemoSource(2)
    for i in range(0, 400, 17):
        assert src.truth(i) == src.render(i).truth


@pytest.mark.parametrize("seed", [0, 3, 4])
def test_all_gestures_and_no_hand_stretches_over_a_few_hundred_frames(seed):
    src = HandsDemoSource(seed)
    truths = [src.truth(i) for i in range(300)]
    labels = {t[0][0] for t in truths if t}
    assert labels == set(GESTURES)
    empty = [not t for t in truths]
    assert sum(empty) >= 10, "a few hundred frames must include an empty room"
    runs, run = [], 0
    for e in [*empty, False]:
        if e:
            run += 1
        elif run:
            runs.append(run)
            run = 0
    assert max(runs) >= 10  # a stretch of at least a third of a second, not single frames
    # gestures change every 1..2 s: no label holds for more than 2 s (60 frames) in a row
    longest, prev, n = 0, None, 0
    for t in truths:
        cur = t[0][0] if t else None
        n = n + 1 if cur == prev else 1
        prev = cur
        if cur is not None:
            longest = max(longest, n)
    assert 15 <= longest <= 61


def test_truth_box_covers_skin_coloured_pixels():
    src = HandsDemoSource(3)
    fractions = []
    for i in range(0, 1800, 23):  # ten rooms: several skin tones, walls, lights
        f = src.render(i)
        if f.truth:
            fractions.append(skin_fraction(f.image, f.truth[0][1]))
    fractions_arr = np.array(fractions)
    assert len(fractions_arr) >= 40
    assert np.mean(fractions_arr >= 0.3) >= 0.95 and np.median(fractions_arr) >= 0.5


def test_empty_frames_show_no_hand_and_hand_frames_differ_from_the_room():
    src = HandsDemoSource(1)
    truths = [src.truth(i) for i in range(180)]
    empty = next(i for i, t in enumerate(truths) if not t)
    hand = next(i for i, t in enumerate(truths) if t and i > empty)
    room, with_hand = src.render(empty).image.astype(np.int16), src.render(hand).image.astype(np.int16)
    box = truths[hand][0][1]
    diff = np.abs(with_hand - room).max(axis=2)
    inside = diff[box.y : box.y + box.h, box.x : box.x + box.w]
    assert (inside > 40).mean() > 0.3  # the hand is drawn inside its box
    assert skin_fraction(src.render(empty).image, box) < skin_fraction(src.render(hand).image, box)


def test_hand_moves_over_time():
    src = HandsDemoSource(0)
    boxes = [src.truth(i)[0][1] for i in range(0, 60, 5) if src.truth(i)]
    assert len(boxes) >= 5
    assert len({(b.x, b.y, b.w, b.h) for b in boxes}) >= 4


def test_hand_shapes_differ_by_gesture():
    pose = HandPose(0, "paper")

    def extent(g: str) -> float:  # how far the hand reaches from the wrist, palm widths
        return float(-min(p.pts[:, 1].min() for p in hand_shape(g, pose).parts))

    assert extent("rock") < 1.2 < extent("scissors") and extent("paper") > 1.5
    with pytest.raises(ValueError, match="rock"):
        hand_shape("lizard", pose)


def test_size_rate_and_segment_options():
    small = HandsDemoSource(1, width=320, height=240, fps=10, num_frames=3, segment_frames=5)
    frames = list(small)
    assert frames[0].image.shape == (240, 320, 3) and frames[2].timestamp == pytest.approx(0.2)
    for f in frames:
        for _, b in f.truth:
            assert b.x + b.w <= 320 and b.y + b.h <= 240
    never_empty = HandsDemoSource(4, empty_share=0.0)
    assert all(never_empty.truth(i) for i in range(0, 600, 3))
    assert "hand" in never_empty.describe(0)


@pytest.mark.parametrize(
    "kwargs", [{"width": 100}, {"fps": 0}, {"num_frames": -1}, {"segment_frames": 0}, {"empty_share": 1.5}]
)
def test_bad_options(kwargs):
    with pytest.raises(ValueError):
        HandsDemoSource(0, **kwargs)


def test_negative_index_and_closed_source():
    src = HandsDemoSource(0)
    with pytest.raises(ValueError):
        src.render(-1)
    src.close()
    src.close()
    with pytest.raises(RuntimeError, match="closed"):
        src.read()


def test_realtime_paces_and_drops():
    src = HandsDemoSource(0, fps=200.0, realtime=True)
    assert src.live
    first = src.read()
    time.sleep(0.1)  # a slow consumer: about 20 frames are due meanwhile
    later = src.read()
    assert first is not None and later is not None
    assert later.index > first.index + 1  # frames were skipped, like a camera


def test_open_source_spec():
    src = open_source("demo-hands:3")
    assert isinstance(src, HandsDemoSource) and src.seed == 3
    assert open_source("demo-hands", seed=5).seed == 5
    assert open_source("DEMO-HANDS:7", seed=5).seed == 7  # the spec wins
    f = open_source("demo-hands:3", width=320, height=240, num_frames=1).read()
    assert f is not None and f.image.shape == (240, 320, 3)
    first = open_source("demo-hands:3").read()
    np.testing.assert_array_equal(first.image, HandsDemoSource(3).render(0).image)
