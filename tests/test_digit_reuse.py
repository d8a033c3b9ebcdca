"""Scene reuse of the digit finder between video frames (edge.segment.digit_reuse)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.pipeline import Pipeline
from edge.segment.digit_reuse import FULL, LEVEL, SCENE
from edge.segment.digits import DigitSegmenter, DigitSegmenterConfig
from edge.segment.flat_field import flat_field
from edge.sources.demo import DemoSource


def demo_frame(index: int = 10, seed: int = 3) -> np.ndarray:
    """uint8 (480, 640, 3) BGR demo frame with digits on paper."""
    return DemoSource(seed).render(index).image


def steady(image: np.ndarray, n: int, seed: int = 0, sigma: float = 2.0) -> list[np.ndarray]:
    """``n`` copies of ``image`` with fresh sensor noise each (a camera on a still scene)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        noisy = image.astype(np.float32) + rng.normal(0.0, sigma, image.shape).astype(np.float32)
        out.append(np.clip(noisy, 0, 255).astype(np.uint8))
    return out


def modes(seg: DigitSegmenter, images: list[np.ndarray]) -> list[int]:
    """What each frame reused (FULL, LEVEL, SCENE; a reused frame analysed again counts as FULL)."""
    out = []
    for img in images:
        before = list(seg.memory.frames)
        seg.find(img)
        d = [a - b for a, b in zip(seg.memory.frames, before, strict=True)]
        out.append(FULL if d[FULL] else d.index(1))
    return out


def test_a_steady_sequence_reuses_the_scene_and_finds_the_same_rois() -> None:
    frames = steady(demo_frame(), 12)
    reuse, full = DigitSegmenter(), DigitSegmenter(DigitSegmenterConfig(reuse_scene=False))
    found = []
    for img in frames:
        before = list(reuse.memory.frames)
        found.append(reuse.find(img))
        assert found[-1] == full.find(img)
        assert len(found[-1]) >= 1
        if len(found) > 1:  # every frame after the first reuses the whole scene
            assert [a - b for a, b in zip(reuse.memory.frames, before, strict=True)] == [0, 0, 1]
    assert full.memory.frames == [len(frames), 0, 0]


def test_a_full_analysis_at_least_every_reuse_frames() -> None:
    seg = DigitSegmenter(DigitSegmenterConfig(reuse_frames=4))
    got = modes(seg, steady(demo_frame(), 9))
    assert got == [FULL, SCENE, SCENE, SCENE, FULL, SCENE, SCENE, SCENE, FULL]


@pytest.mark.parametrize(
    "change",
    [
        "dark board",  # the paper swapped for a dark board with light writing
        "light down",  # the light turned down
        "hand",  # a hand entering over the paper
        "other sheet",  # a cut to another scene
    ],
)
def test_a_scene_change_triggers_a_full_analysis(change: str) -> None:
    img = demo_frame()
    if change == "dark board":
        new = cv2.bitwise_not(img)
    elif change == "light down":
        new = (img * 0.6).astype(np.uint8)
    elif change == "hand":
        new = img.copy()
        cv2.ellipse(new, (560, 300), (90, 150), 20, 0, 360, (120, 150, 200), -1)
    else:
        new = demo_frame(index=400, seed=5)
    seg = DigitSegmenter()
    assert modes(seg, [*steady(img, 3), new]) == [FULL, SCENE, SCENE, FULL]
    # and what it finds there is what a fresh segmenter finds
    assert seg.find(new) == DigitSegmenter().find(new)


def test_a_moving_camera_does_not_reuse_the_paper() -> None:
    img = demo_frame()
    moved = np.roll(img, (12, 16), axis=(0, 1))  # the camera panned by 16 x 12 px
    seg = DigitSegmenter()
    got = modes(seg, [*steady(img, 3), moved])
    assert got[:3] == [FULL, SCENE, SCENE]
    assert got[3] in (FULL, LEVEL)  # the paper, texture and ring are found anew
    seg.reset()
    modes(seg, steady(img, 3))
    found = seg.find(moved)  # the ink level kept from the noisy frames: boxes within a pixel or two
    truth = DigitSegmenter(DigitSegmenterConfig(reuse_scene=False)).find(moved)
    assert len(found) == len(truth) >= 1
    assert all(a.iou(b) >= 0.8 for a, b in zip(found, truth, strict=True))


def test_reset_drops_the_scene_and_pipeline_reset_calls_it() -> None:
    frames = steady(demo_frame(), 4)
    seg = DigitSegmenter()
    assert modes(seg, frames[:2]) == [FULL, SCENE]
    seg.reset()
    assert modes(seg, frames[2:3]) == [FULL]
    pipe = Pipeline(seg, preprocessor=None, classifier=None)  # type: ignore[arg-type]
    pipe.reset()
    assert modes(seg, frames[3:4]) == [FULL]


def test_stills_of_another_size_or_scale_are_analysed_in_full() -> None:
    img = demo_frame()
    seg = DigitSegmenter()
    small = cv2.resize(img, (320, 240), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    assert modes(seg, [img, small, img, grey]) == [FULL, FULL, FULL, SCENE]
    # a page (small digits: a second pass at their scale) is never kept
    page = np.full((3000, 4000, 3), 200, np.uint8)
    page[1260:1740, 1680:2320] = img
    assert modes(seg, [page, page]) == [FULL, FULL]


def test_reuse_off_and_bad_settings() -> None:
    seg = DigitSegmenter(DigitSegmenterConfig(reuse_scene=False))
    assert modes(seg, steady(demo_frame(), 3)) == [FULL, FULL, FULL]
    for bad in ({"reuse_frames": 0}, {"reuse_mean": -1.0}, {"reuse_max": -1}, {"reuse_height": 0.9}):
        with pytest.raises(ValueError, match="reuse_"):
            DigitSegmenterConfig(**bad)  # type: ignore[arg-type]


def test_a_reused_frame_that_jumps_is_analysed_again_as_a_fresh_segmenter_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import edge.segment.digit_reuse as reuse

    calls: list[int] = []

    def counted(cfg: DigitSegmenterConfig, small: np.ndarray) -> tuple:
        calls.append(1)
        return flat_field(cfg, small)

    monkeypatch.setattr(reuse, "flat_field", counted)
    src = DemoSource(0, segment_frames=25)
    first, jump = src.render(167).image, src.render(168).image  # a digit leaves the view at 168
    seg = DigitSegmenter()
    seg.find(first)
    calls.clear()
    found = seg.find(jump)
    assert seg.memory.frames == [2, 0, 1]  # reused the scene, jumped, analysed again in full
    assert len(calls) == 1  # the flat-field of the rejected pass was reused
    fresh = DigitSegmenter()
    assert found == fresh.find(jump) and len(found) >= 1
    a, b = seg.last_analysis, fresh.last_analysis
    assert a is not None and b is not None
    assert np.array_equal(a.dark, b.dark) and np.array_equal(a.level, b.level)
    assert seg.last_grey is not None and fresh.last_grey is not None
    assert np.array_equal(seg.last_grey, fresh.last_grey)


def looks_where_dropped(seg: DigitSegmenter, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count, per frame (appended to the returned list by the caller), the second looks of
    ``seg`` at a higher ink level where pieces were dropped (``_pieces`` with a ``region``)."""
    looks: list[int] = []
    pieces = seg._pieces

    def counted(*args: object, **kw: object) -> tuple:
        if kw.get("region") is not None:
            looks.append(1)
        return pieces(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(seg, "_pieces", counted)
    return looks


def looks_per_frame(seg: DigitSegmenter, images: list[np.ndarray], looks: list[int]) -> list[int]:
    out = []
    for img in images:
        n = len(looks)
        seg.find(img)
        out.append(len(looks) - n)
    return out


def test_a_reused_frame_skips_the_look_where_pieces_were_dropped_that_changed_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frames = steady(demo_frame(), 5)
    seg = DigitSegmenter()
    looks = looks_where_dropped(seg, monkeypatch)
    assert looks_per_frame(seg, frames, looks) == [1, 0, 0, 0, 0]  # (the paper's edge is dropped)
    assert seg.memory.frames == [1, 0, 4]
    full = DigitSegmenter(DigitSegmenterConfig(reuse_scene=False))
    assert looks_per_frame(full, frames, looks_where_dropped(full, monkeypatch)) == [1] * 5


def test_a_reused_frame_looks_where_pieces_were_dropped_when_that_changed_the_full_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import edge.segment.digits as digits

    def adds_one(boxes: np.ndarray, extra: np.ndarray, sw: int, sh: int) -> np.ndarray:
        return np.concatenate([boxes, extra[:1]])  # (every look finds a new candidate)

    monkeypatch.setattr(digits, "add_new_boxes", adds_one)
    seg = DigitSegmenter()
    looks = looks_where_dropped(seg, monkeypatch)
    assert looks_per_frame(seg, steady(demo_frame(), 4), looks) == [1, 1, 1, 1]
    assert seg.memory.frames == [1, 0, 3]
