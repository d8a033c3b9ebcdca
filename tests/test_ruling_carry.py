"""A page's ruling carried over from frame to frame of a live video (edge.segment.ruling_carry, issue 13).

A squared sheet seen from afar searches for its ruling on every frame (5-6.5 ms of a 10-12 ms frame on the
demo's seeds 1 and 2); the next frames of the same sheet take the ruling found, moved with the sheet by a
pixel, and search again after ``reuse_frames`` frames, a reset, or when the ink leaves the band.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import edge.segment.digit_ruling as digit_ruling
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digits import DigitSegmenter
from edge.segment.ruling_carry import KEEP, STEP, follow, on_band
from tests.test_digit_ruling import squared_from_afar


def lines(shape: tuple[int, int], step: int, width: int) -> np.ndarray:
    """uint8 (h, w): 255 on horizontal and vertical lines ``step`` px apart, ``width`` px wide."""
    out = np.zeros(shape, np.uint8)
    for y in range(step // 2, shape[0], step):
        cv2.line(out, (0, y), (shape[1] - 1, y), 255, width)
    for x in range(step // 2, shape[1], step):
        cv2.line(out, (x, 0), (x, shape[0] - 1), 255, width)
    return out


@pytest.mark.parametrize(("dx", "dy"), [(1, -1), (0, 1), (-1, 0)])
def test_follow_moves_the_band_onto_ink_a_pixel_away(dx: int, dy: int) -> None:
    band = lines((120, 160), 20, 1)
    ink = np.roll(band, (dy, dx), axis=(0, 1))  # (the sheet moved by dx, dy)
    assert on_band(ink, (0, 0), band) < 0.6  # (the lines across the move are off the band)
    moved, mx, my, share = follow(ink[10:110, 10:150], (10, 10), band)
    assert (mx, my) == (dx, dy) and share == 1.0
    inside = slice(STEP, -STEP)  # (the band came from outside the image at its edges)
    np.testing.assert_array_equal(moved[inside, inside], np.roll(band, (dy, dx), axis=(0, 1))[inside, inside])


def test_follow_keeps_a_still_band_itself() -> None:
    band = lines((120, 160), 20, 3)
    moved, dx, dy, share = follow(lines((120, 160), 20, 1), (0, 0), band)
    assert moved is band and (dx, dy, share) == (0, 0, 1.0)
    assert follow(np.zeros((10, 10), np.uint8), (5, 5), band)[1:] == (0, 0, 0.0)  # (no ink)


def searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one at each search of a cluttered level's ruling (ruled_band without segments)."""
    calls: list[int] = []
    ruled = digit_ruling.ruled_band
    monkeypatch.setattr(
        digit_ruling, "ruled_band", lambda *a: (calls.append(1) if len(a) == 4 else None) or ruled(*a)
    )
    return calls


def test_a_video_of_a_squared_sheet_takes_the_ruling_found_at_its_first_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame, _ = squared_from_afar("9", 2, 24)
    calls = searches(monkeypatch)
    segmenter = DigitSegmenter(DigitSegmenterConfig(reuse_frames=3))
    first = segmenter.find(frame)
    assert len(calls) == 1 and segmenter.ruling.carried.taken == 0
    assert segmenter.find(frame) == first and segmenter.find(frame) == first  # (the same result)
    assert len(calls) == 1 and segmenter.ruling.carried.taken == 2
    segmenter.find(frame)  # (reuse_frames frames after the search: searched anew)
    assert len(calls) == 2 and segmenter.ruling.carried.taken == 2
    segmenter.reset()  # (a new video, a still: searched anew)
    assert segmenter.find(frame) == first and len(calls) == 3


def test_a_sheet_moved_by_more_than_a_pixel_is_searched_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    frame, _ = squared_from_afar("9", 2, 24)
    calls = searches(monkeypatch)
    segmenter = DigitSegmenter()
    segmenter.find(frame)
    segmenter.find(np.roll(frame, (2, 2), axis=(0, 1)))  # (1 px at the analysis scale: followed)
    assert len(calls) == 1 and segmenter.ruling.carried.taken == 1
    far = np.roll(frame, (8, 8), axis=(0, 1))  # (4 px: off the band, KEEP)
    segmenter.find(far)
    assert len(calls) == 2 and segmenter.ruling.carried.taken == 1
    assert KEEP < 1.0


def test_a_sheet_drifting_a_pixel_a_frame_is_followed_frame_after_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The band moved with the sheet is the one carried on (and its segments with it): each frame 1 analysis
    px further, 3 px from the search by the last, yet never searched again, and the digit found where a
    fresh segmenter finds it (the sheet's specks of ruling left as at the search: not exact)."""
    frame, _ = squared_from_afar("9", 2, 24)
    calls = searches(monkeypatch)
    segmenter = DigitSegmenter()
    segmenter.find(frame)
    for k in (1, 2, 3):
        moved = np.roll(frame, (2 * k, 2 * k), axis=(0, 1))
        digit = max(DigitSegmenter().find(moved), key=lambda r: r.w * r.h)
        assert digit in segmenter.find(moved)
    assert segmenter.ruling.carried.taken == 3 and len(calls) == 1 + 3  # (and the fresh segmenters' searches)


@pytest.mark.parametrize("rows", [2, -2])
def test_a_frame_of_another_height_at_the_same_analysis_width_is_searched_anew(
    monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    """A camera whose frames change size without a reset (the analysis width the same): the carried band
    is of the old height, so the frame is searched anew and read as a fresh segmenter reads it (the
    carry was keyed on the width alone: every later frame raised in the level's raise, review of
    session 28)."""
    frame, _ = squared_from_afar("9", 2, 24)
    other = cv2.copyMakeBorder(frame, 0, rows, 0, 0, cv2.BORDER_REPLICATE) if rows > 0 else frame[:rows]
    calls = searches(monkeypatch)
    segmenter = DigitSegmenter()
    segmenter.find(frame)
    assert segmenter.find(other) == DigitSegmenter().find(other)
    assert len(calls) == 3 and segmenter.ruling.carried.taken == 0


def test_stills_and_a_segmenter_without_reuse_search_every_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    frame, _ = squared_from_afar("9", 2, 24)
    calls = searches(monkeypatch)
    segmenter = DigitSegmenter(DigitSegmenterConfig(reuse_scene=False))
    assert segmenter.find(frame) == segmenter.find(frame)
    assert len(calls) == 2 and segmenter.ruling.carried.taken == 0
