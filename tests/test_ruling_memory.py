"""A video's page ruling kept from frame to frame (edge.segment.digit_ruling.PageRuling.above with
edge.segment.digit_reuse.SceneMemory.keep_ruling / kept_ruling, issue 13's p99).

Squared or ruled paper seen from afar breaks into more dashes than the first ink level can measure;
the ruled-clutter look searches the clutter for the ruling (a Hough search, about 1 ms of the 3 ms the
look added to each such frame of the demo, whose frames 475-499 are a lined sheet seen from afar).
A page's ruling does not change from one frame of a video to the next: the ruling a search found is
kept and taken while its lines are still ruled lines of the frame (a search's own tests), the page
moved at most. A still image (the segmenter reset) is searched as before.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_reuse import SceneMemory
from edge.segment.digit_ruling import PageRuling
from edge.segment.digits import DigitSegmenter
from edge.segment.line_ridges import ridges, runs_on
from tests.test_digit_ruling import covers, grid, squared_from_afar


def frames_of_one_sheet(count: int) -> list[tuple[np.ndarray, object]]:
    """``count`` webcam frames of one squared sheet seen from afar with a small "9" (sensor noise
    differs), and the digit's box."""
    return [squared_from_afar("9", seed, 20) for seed in range(2, 2 + count)]


def test_a_video_of_one_sheet_searches_its_ruling_once() -> None:
    # before: one search per frame (the demo's lined sheet: +1 ms a frame, most of the p99 lost)
    frames = frames_of_one_sheet(4)
    seg = DigitSegmenter()
    for frame, _ in frames:
        seg.find(frame)
    assert seg.ruling.searches == 1
    first, box = frames[0]
    assert any(covers(r, box) for r in DigitSegmenter().find(first))  # (the look is taken there)
    # every frame analysed in full, nothing kept: every frame searched, as before
    every = DigitSegmenter(DigitSegmenterConfig(reuse_scene=False))
    for frame, _ in frames:
        every.find(frame)
    assert every.ruling.searches == len(frames)


def test_a_still_image_is_searched_anew_after_reset() -> None:
    frame, _ = frames_of_one_sheet(1)[0]
    seg = DigitSegmenter()
    first = seg.find(frame)
    seg.reset()  # (the live loop before a still image, the evaluations per photo)
    assert seg.find(frame) == first
    assert seg.ruling.searches == 2


def test_a_ruling_whose_lines_moved_off_its_segments_is_searched_again() -> None:
    # the sheet moved by half a square across its lines: the thumbnail hardly changes, but the kept
    # segments now run between the lines (not a ridge of the darkness): searched again
    frame, _ = frames_of_one_sheet(1)[0]
    seg = DigitSegmenter()
    seg.find(frame)
    seg.find(np.roll(frame, 10, axis=0))
    assert seg.ruling.searches == 2


def cluttered_grid(shift: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(uint8 (240, 320) darkness of a faint grid, ``shift`` px down; its ink mask at level 20;
    the level)."""
    dark = np.roll(grid(step=24, angle=0.0, level=40), shift, axis=0)
    level = np.full(dark.shape, 20, np.uint8)
    return dark, cv2.compare(dark, level, cv2.CMP_GT), level


def memory_at(thumb_grey: int, cfg: DigitSegmenterConfig) -> SceneMemory:
    """A scene memory whose current frame is a flat grey image (``begin`` called)."""
    memory = SceneMemory(cfg)
    memory.begin(np.full((240, 320), thumb_grey, np.uint8), 0.5)
    return memory


def test_above_takes_the_kept_ruling_while_its_lines_are_ruled_lines() -> None:
    cfg = DigitSegmenterConfig()
    dark, mask, level = cluttered_grid()
    memory = memory_at(200, cfg)
    ruling = PageRuling()
    searched = ruling.above((mask, (0, 0)), dark, level, cfg, memory)
    assert searched is not None and ruling.searches == 1
    kept = memory.kept_ruling(dark.shape)
    assert kept is not None and len(kept[0]) >= 3 and 0 < kept[1] <= 1
    memory.begin(np.full((240, 320), 200, np.uint8), 0.5)  # the next frame
    ruling.reset()
    again = ruling.above((mask, (0, 0)), dark, level, cfg, memory)
    assert ruling.searches == 1 and again is not None and np.array_equal(again, searched)
    # the grid moved by half a square down: its vertical lines are still ruled lines, but the kept
    # horizontal ones lie on paper (less of the clutter on the band): a search finds the new ones
    memory.begin(np.full((240, 320), 200, np.uint8), 0.5)
    ruling.reset()
    dark2, mask2, _ = cluttered_grid(12)
    moved = ruling.above((mask2, (0, 0)), dark2, level, cfg, memory)
    assert ruling.searches == 2 and moved is not None
    ink = cv2.compare(dark2, moved, cv2.CMP_GT)
    assert cv2.countNonZero(ink) == 0  # (all of the moved grid's ink is raised away)


@pytest.mark.parametrize(
    ("grey", "frames", "shape", "kept"),
    [
        (200, 1, (240, 320), True),  # the same page
        (150, 1, (240, 320), True),  # the light changed: the lines did not move
        (200, 15, (240, 320), False),  # reuse_frames frames later: searched again
        (200, 1, (120, 160), False),  # another image size
    ],
)
def test_scene_memory_keeps_a_ruling_for_the_same_page(grey, frames, shape, kept) -> None:
    cfg = DigitSegmenterConfig()
    memory = memory_at(200, cfg)
    segs = np.float32([[0, 10, 300, 10], [0, 30, 300, 30], [0, 50, 300, 50]])
    memory.keep_ruling((240, 320), (segs, 0.5))
    for _ in range(frames):
        memory.begin(np.full((240, 320), grey, np.uint8), 0.5)
    got = memory.kept_ruling(shape)
    assert (got is not None) == kept
    if kept:
        assert got is not None and got[0] is segs and got[1] == 0.5


def test_scene_memory_drops_the_ruling_of_another_page_and_on_reset() -> None:
    cfg = DigitSegmenterConfig()
    memory = memory_at(200, cfg)
    memory.keep_ruling((240, 320), (np.zeros((3, 4), np.float32), 0.5))
    other = np.full((240, 320), 200, np.uint8)
    other[:, 160:] = 20  # half the view is now a dark desk
    memory.begin(other, 0.5)
    assert memory.kept_ruling((240, 320)) is None
    memory.begin(np.full((240, 320), 200, np.uint8), 0.5)
    assert memory.kept_ruling((240, 320)) is not None
    memory.reset()
    assert memory.kept_ruling((240, 320)) is None
    memory.keep_ruling((240, 320), None)  # (a search that found none forgets the kept one)
    assert memory.kept_ruling((240, 320)) is None


def clipped_ridges(dark: np.ndarray, c: np.ndarray, u: np.ndarray, t: np.ndarray, offset: int) -> np.ndarray:
    """line_ridges.ridges as it was written first (np.clip), the reference for the faster one."""
    h, w = dark.shape
    xs, ys = c[:, :1] + t * u[:, :1], c[:, 1:] + t * u[:, 1:]
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    ux, uy = u[:, :1], u[:, 1:]

    def at(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        x = np.clip(np.rint(xs + dx).astype(np.int64), 0, w - 1)
        y = np.clip(np.rint(ys + dy).astype(np.int64), 0, h - 1)
        return dark[y, x].astype(np.float32)

    on = np.maximum(np.maximum(at(-uy, ux), at(0 * ux, 0 * uy)), at(uy, -ux))
    side = 0.5 * (at(-uy * offset, ux * offset) + at(uy * offset, -ux * offset))
    return np.where(inside, on - side, np.nan)


def test_ridges_read_the_same_values_as_before() -> None:
    rng = np.random.default_rng(5)
    dark = rng.integers(0, 256, (60, 80)).astype(np.uint8)
    c = rng.uniform(-20, 100, (40, 2))
    a = rng.uniform(0, 2 * np.pi, 40)
    u = np.column_stack([np.cos(a), np.sin(a)])
    t = rng.uniform(-30, 120, (40, 32))
    np.testing.assert_array_equal(ridges(dark, c, u, t, 3), clipped_ridges(dark, c, u, t, 3))


def test_runs_on_reads_both_ends_of_many_slivers() -> None:
    # (the three ridge reads of each sliver are one call now): a dashed faint line's dashes go on,
    # a short stroke darker than the ruling does not
    dark = np.zeros((240, 320), np.uint8)
    cv2.line(dark, (0, 100), (319, 100), 35, 1)
    cv2.line(dark, (150, 60), (150, 80), 120, 2)
    mask = cv2.compare(dark, 20, cv2.CMP_GT)
    pieces = np.zeros((4, 7))
    pieces[:, :4] = [(40, 99, 60, 102), (120, 99, 140, 102), (200, 99, 230, 102), (149, 60, 152, 81)]
    assert runs_on(pieces, mask, (0, 0), dark, (0, 90), 3, 35.0).tolist() == [True, True, True, False]
