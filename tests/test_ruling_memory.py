"""A video's ruling kept from one frame to the next (edge.segment.ruling_memory, issue 13's p99 bar).

The search for the ruling of a cluttered first pass (Hough of its thin ink, then the grid model) was
the live loop's costliest step on squared paper seen from afar: every frame searched again for the
same lines. A frame of the same sheet reuses them while its ink stays on their band; a moved sheet,
another frame size, a reset or a still image searches.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import edge.segment.digit_ruling as digit_ruling
from edge.bundle import load_bundle
from edge.pipeline import build_pipeline
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_ruling import PageRuling
from edge.segment.digits import DigitSegmenter
from edge.segment.ruling_memory import ON_BAND, RulingMemory, band_share
from edge.still_views import use_still_views
from tests.test_digit_ruling import grid, squared_from_afar


@pytest.fixture
def searches(monkeypatch) -> list[int]:
    """Counts the ruling searches of cluttered passes (``digit_ruling.ruled_band`` calls)."""
    calls: list[int] = []
    search = digit_ruling.ruled_band
    monkeypatch.setattr(digit_ruling, "ruled_band", lambda *a: calls.append(1) or search(*a))
    return calls


def cluttered(dx: int = 0, dy: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A squared sheet's darkness (24-px squares, lines at 40) moved by (dx, dy) px, with a small 0 and a 1
    written on it; its ink level (20) and the mask above it."""
    dark = np.roll(grid(step=24, angle=0.0, level=40), (dy, dx), axis=(0, 1))
    cv2.circle(dark, (170, 130), 5, 120, 1)
    cv2.line(dark, (100, 60), (100, 76), 120, 1)
    level = np.full(dark.shape, 20, np.uint8)
    return dark, level, cv2.compare(dark, level, cv2.CMP_GT)


def test_the_next_frame_of_the_same_sheet_reuses_the_ruling_and_reads_the_same_level(searches) -> None:
    dark, level, mask = cluttered()
    cfg = DigitSegmenterConfig()
    ruling = PageRuling(frames=10)
    first = ruling.above((mask, (0, 0)), dark, level, cfg, first=True)
    assert first is not None and len(searches) == 1
    ruling.reset()  # the next frame
    again = ruling.above((mask, (0, 0)), dark, level, cfg, first=True)
    assert again is not None and len(searches) == 1 and ruling.memory.reused == 1
    np.testing.assert_array_equal(again, first)
    assert ruling.level == 40  # (the darkness measured on this frame's ink)


def test_a_moved_sheet_another_size_a_reset_or_a_later_pass_searches_again(searches) -> None:
    cfg = DigitSegmenterConfig()
    dark, level, mask = cluttered()
    ruling = PageRuling(frames=10)
    assert ruling.above((mask, (0, 0)), dark, level, cfg, first=True) is not None
    moved, mlevel, mmask = cluttered(dx=6, dy=6)  # the sheet slid by a quarter of a square
    ruling.reset()
    assert ruling.above((mmask, (0, 0)), moved, mlevel, cfg, first=True) is not None and len(searches) == 2
    ruling.reset()  # the moved sheet's ruling is kept now
    assert ruling.above((mmask, (0, 0)), moved, mlevel, cfg, first=True) is not None and len(searches) == 2
    big = cv2.resize(moved, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    ruling.reset()  # another analysis size
    ruling.above((cv2.compare(big, 20, cv2.CMP_GT), (0, 0)), big, np.full_like(big, 20), cfg, first=True)
    assert len(searches) == 3
    ruling.forget()  # a new video
    ruling.above((mask, (0, 0)), dark, level, cfg, first=True)
    ruling.reset()
    ruling.above((mask, (0, 0)), dark, level, cfg, first=False)  # not a frame's first pass
    assert len(searches) == 5


@pytest.mark.parametrize(("frames", "expected"), [(0, 5), (1, 3), (2, 2), (10, 1)])
def test_a_ruling_is_reused_on_at_most_ruling_frames_frames(searches, frames, expected) -> None:
    dark, level, mask = cluttered()
    ruling = PageRuling(frames=frames)
    for _ in range(5):
        ruling.reset()
        assert ruling.above((mask, (0, 0)), dark, level, DigitSegmenterConfig(), first=True) is not None
    assert len(searches) == expected


def test_band_share_drops_when_the_ink_leaves_the_band() -> None:
    dark, _, mask = cluttered()
    band = np.zeros_like(mask)
    band[:, :50] = 255
    assert band_share(mask, (0, 0), band) == pytest.approx(
        cv2.countNonZero(mask[:, :50]) / cv2.countNonZero(mask)
    )
    assert band_share(mask[:, 50:], (50, 0), band) == 0.0 and band_share(0 * mask, (0, 0), band) == 0.0
    memory = RulingMemory(5)
    memory.keep((np.zeros((1, 4), np.float32), band), mask, (0, 0))
    assert memory.recall(mask, (0, 0), mask.shape) is not None
    off = mask.copy()
    off[:, :50] = 0  # the ink left the band
    assert band_share(off, (0, 0), band) < ON_BAND * band_share(mask, (0, 0), band)
    assert memory.recall(off, (0, 0), mask.shape) is None and memory.recall(mask, (0, 0), mask.shape) is None


def test_a_video_of_squared_paper_from_afar_searches_its_ruling_once_until_the_sheet_moves(searches) -> None:
    photo, box = squared_from_afar("4", 2)
    seg = DigitSegmenter()
    first = seg.find(photo)
    assert len(searches) == 1 and any(r.iou(box) > 0.5 for r in first)
    second = seg.find(photo)  # the same scene again
    assert len(searches) == 1 and second == first
    moved = np.roll(photo, (7, 5), axis=(0, 1))  # the sheet slid: 3.5 px of the 320-px analysis
    seg.find(moved)
    assert len(searches) == 2
    seg.reset()
    seg.find(moved)
    assert len(searches) == 3


def test_stills_search_every_photo(searches) -> None:
    live = build_pipeline(load_bundle("digits"), smoothing=False)
    assert isinstance(live.segmenter, DigitSegmenter) and live.segmenter.config.ruling_frames > 0
    seg = use_still_views(live).segmenter
    while not isinstance(seg, DigitSegmenter):
        seg = seg.segmenter
    assert seg.config.ruling_frames == 0
    photo, _ = squared_from_afar("4", 2)
    seg.find(photo)
    seg.find(photo)
    assert len(searches) == 2
