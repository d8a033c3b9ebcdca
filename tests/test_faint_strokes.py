"""Faint strokes broken into dashes (edge.segment.faint_strokes): the hysteresis look of the digit finder."""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digits import DigitSegmenter
from edge.segment.faint_strokes import LOW, SURE, hysteresis, ink_mask, no_writing
from edge.sources.demo import DemoSource

LEVEL = 20


def _components(mask: np.ndarray) -> int:
    return cv2.connectedComponents(mask, connectivity=8)[0] - 1


def _dashed(dark: np.ndarray, y: int, x0: int, x1: int, ink: int, gap: int) -> None:
    """A 2-px horizontal stroke of darkness ``ink`` from ``x0`` to ``x1``, every 10 px a 3-px
    stretch at darkness ``gap``."""
    dark[y : y + 2, x0:x1] = ink
    for x in range(x0 + 7, x1 - 3, 10):
        dark[y : y + 2, x : x + 3] = gap


def test_a_dashed_faint_stroke_is_joined_and_paper_noise_stays_out() -> None:
    dark = np.zeros((60, 120), np.uint8)
    level = np.full_like(dark, LEVEL)
    faint = int(0.75 * LEVEL)  # under the level, over LOW x it
    assert LOW * LEVEL < faint < LEVEL
    _dashed(dark, 10, 10, 80, 2 * LEVEL, faint)
    dark[40:42, 40:43] = faint  # a faint speck of paper noise, away from the ink
    mask = cv2.compare(dark, level, cv2.CMP_GT)
    assert _components(mask) == 7  # the stroke in dashes
    grown = hysteresis(mask, dark, level)
    assert _components(grown) == 1  # one stroke again
    assert not grown[40:42, 40:43].any()
    assert (grown >= mask).all()


def test_no_weak_pixels_are_joined_to_dark_ink() -> None:
    """A dark pen's stroke (over SURE x the level) has no gaps to bridge: the faint pixels joined to
    it (its blur halo, reaching a neighbour) are not added."""
    dark = np.zeros((40, 80), np.uint8)
    level = np.full_like(dark, LEVEL)
    dark[10:30, 20:23] = int(SURE * LEVEL) + 10  # a dark "1"
    dark[10:30, 23:28] = int(0.75 * LEVEL)  # its halo ...
    dark[10:30, 28:31] = 2 * LEVEL  # ... reaching a faint neighbour
    mask = cv2.compare(dark, level, cv2.CMP_GT)
    assert (hysteresis(mask, dark, level) == mask).all()
    dark[10:30, 20:23] = 2 * LEVEL  # the same, in faint pencil: joined
    assert _components(hysteresis(mask, dark, level)) == 1


def test_the_ink_mask_is_cropped_to_its_box() -> None:
    dark = np.zeros((50, 60), np.uint8)
    level = np.full_like(dark, LEVEL)
    dark[20:30, 15:18] = 2 * LEVEL
    mask, origin = ink_mask(dark, level, (10, 5, 60, 50))
    assert mask is not None and origin == (15, 20) and mask.shape == (10, 3)
    assert ink_mask(dark, level, (10, 5, 60, 50), floor=2 * LEVEL)[0] is None  # (above the floor only)
    within = np.zeros_like(dark)
    assert ink_mask(dark, level, (0, 0, 60, 50), within=within)[0] is None


def test_no_writing() -> None:
    boxes = np.array([[0, 0, 5, 10, 0, 0, 0], [0, 0, 8, 23, 0, 0, 0]], np.float64)
    assert no_writing(boxes, 24.0)
    assert not no_writing(boxes, 23.0)
    assert no_writing(boxes[:0], 1.0)


def test_a_defocused_frame_of_faint_pencil_is_read() -> None:
    """The demo's frame 1010 (seed 1): "2212" in faint pencil on pink note paper, defocused. The
    first ink level breaks every stroke into dashes and nothing was found; the hysteresis look
    finds three of the four digits (the first "2" stays too faint), each on its own digit."""
    frame = DemoSource(seed=1).render(1010)
    rois = DigitSegmenter().find(frame.image)
    assert frame.truth is not None and len(rois) >= 3
    for roi in rois:
        overlaps = [
            min(roi.x + roi.w, t.x + t.w) - max(roi.x, t.x) > 0.5 * min(roi.w, t.w)
            and min(roi.y + roi.h, t.y + t.h) - max(roi.y, t.y) > 0.5 * min(roi.h, t.h)
            for _, t in frame.truth
        ]
        assert sum(overlaps) == 1  # on one digit, not two joined or a piece of the paper
