"""Candidates much fainter than the frame's writing are dropped (edge.segment.faint_marks, issue 13).

Faint dashes (what a shadow leaves of a squared page's lines) beside a dark digit were reported as
"1"s, often more confident than the digit; a faint but clear pencil digit beside a marker digit stays.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from edge.segment.digits import DigitSegmenter
from edge.segment.faint_marks import CLEAR, FAINT, PEAK_QUANTILE, all_clear, ink_peaks, not_faint

PAPER = 205


def _paper() -> np.ndarray:
    return np.full((480, 640), PAPER, np.uint8)


def _bgr(grey: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("dash_grey", [178, 182])
def test_faint_dashes_beside_a_dark_digit_are_not_digits(dash_grey: int) -> None:
    img = _paper()
    cv2.putText(img, "4", (300, 260), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 40, 4, cv2.LINE_AA)
    for x, y in ((100, 100), (500, 380), (520, 120)):  # three faint 2 px dashes, 24 px long
        cv2.line(img, (x, y), (x, y + 24), dash_grey, 2, cv2.LINE_AA)
    rois = DigitSegmenter().find(_bgr(img))
    assert len(rois) == 1, f"found {[r.as_list() for r in rois]}, expected only the 4 at x 300..326"
    assert 295 <= rois[0].x <= 305 and 25 <= rois[0].w <= 30


@pytest.mark.parametrize("pencil_grey", [150, 170])
def test_a_clear_pencil_digit_beside_a_marker_digit_stays(pencil_grey: int) -> None:
    img = _paper()
    cv2.putText(img, "4", (200, 260), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 30, 4, cv2.LINE_AA)
    cv2.putText(img, "7", (400, 260), cv2.FONT_HERSHEY_SIMPLEX, 1.4, pencil_grey, 3, cv2.LINE_AA)
    rois = DigitSegmenter().find(_bgr(img))
    assert sorted(r.x // 100 for r in rois) == [2, 4], f"found {[r.as_list() for r in rois]}"


def _ink_image() -> tuple[np.ndarray, np.ndarray]:
    dark = np.zeros((60, 100), np.uint8)
    level = np.full((60, 100), 20, np.uint8)
    dark[10:40, 10:14] = 200  # a marker stroke
    dark[10:40, 40:42] = 26  # a faint dash: 1.3 x the threshold, 0.13 x the marker
    dark[10:40, 70:73] = 90  # pencil: 4.5 x the threshold, 0.45 x the marker
    return dark, level


def test_not_faint_drops_only_what_is_faint_both_ways() -> None:
    dark, level = _ink_image()
    boxes = np.array([[8.0, 8, 16, 42, 120], [38, 8, 44, 42, 60], [68, 8, 75, 42, 90]])  # (+ ink area)
    peaks = ink_peaks(boxes, dark, level)
    assert peaks[:, 0].tolist() == [200, 26, 90] and peaks[:, 1].tolist() == [20, 20, 20]
    assert 26 < FAINT * 200 and 26 < CLEAR * 20 and 90 >= CLEAR * 20  # (the cases hold as described)
    assert not_faint(boxes, dark, level).tolist() == [True, False, True]


def test_all_clear_is_the_cheap_common_case() -> None:
    dark, level = _ink_image()
    assert all_clear(np.array([[8.0, 8, 16, 42, 120], [68, 8, 75, 42, 90]]), dark, level)
    assert not all_clear(np.array([[8.0, 8, 16, 42, 120], [38, 8, 44, 42, 60]]), dark, level)


def test_not_faint_keeps_a_lone_candidate_and_inkless_boxes() -> None:
    dark, level = _ink_image()
    assert not_faint(np.array([[38.0, 8, 44, 42, 60]]), dark, level).tolist() == [True]
    assert not_faint(np.zeros((0, 7)), dark, level).tolist() == []
    boxes = np.array([[8.0, 8, 16, 42, 120], [80, 45, 95, 58, 0]])  # the second box holds no ink
    assert not_faint(boxes, dark, level).tolist() == [True, True]
    assert ink_peaks(boxes, dark, level)[1].tolist() == [0, 0]


def test_two_faint_pencil_marks_close_in_darkness_both_stay() -> None:
    dark = np.zeros((60, 100), np.uint8)
    level = np.full((60, 100), 20, np.uint8)
    dark[10:40, 10:13] = 27  # both under 1.4 x the threshold (28): neither is clearly ink,
    dark[10:40, 40:43] = 26  # but 26 is not under half of 27 (FAINT)
    boxes = np.array([[8.0, 8, 15, 42, 90], [38, 8, 45, 42, 90]])
    assert ink_peaks(boxes, dark, level)[:, 0].tolist() == [27, 26]
    assert not_faint(boxes, dark, level).tolist() == [True, True]


def test_the_lowest_threshold_in_a_box_is_its_own() -> None:
    dark, level = _ink_image()
    dark[10:40, 70:73] = 35  # pencil: 1.75 x the box's lowest threshold, not of its highest
    level[8:20, 68:75] = 30
    boxes = np.array([[8.0, 8, 16, 42, 120], [68, 8, 75, 42, 90]])
    assert ink_peaks(boxes, dark, level)[1].tolist() == [35, 20]
    assert not_faint(boxes, dark, level).tolist() == [True, True]


@pytest.mark.parametrize("clear_px", [5, 6])
def test_all_clear_counts_the_ink_in_the_box(clear_px: int) -> None:
    dark, level = _ink_image()
    dark[10:40, 40:42] = 26  # 60 px of faint ink, the 90 % quantile is the 55th darkest
    idx = np.arange(clear_px)
    dark[10 + idx // 2, 40 + idx % 2] = 40  # ... 40 (> 28: clear) when 6 px are
    boxes = np.array([[8.0, 8, 16, 42, 120], [38, 8, 44, 42, 60]])
    assert all_clear(boxes, dark, level) == (clear_px == 6)
    assert ink_peaks(boxes, dark, level)[1, 0] == (40 if clear_px == 6 else 26)
    assert not_faint(boxes, dark, level).tolist() == [True, clear_px == 6]


def test_all_clear_is_not_fooled_by_faint_ink_crossing_a_box() -> None:
    dark, level = _ink_image()
    dark[10:17, 40:42] = 40  # 14 px of the faint dash clear: over 10 % of its own 60 px ...
    dark[20:30, 36:48] = 24  # ... but not of the box's ink, which a faint line crossing it adds to
    boxes = np.array([[8.0, 8, 16, 42, 120], [36, 8, 48, 42, 60]])
    assert not all_clear(boxes, dark, level)
    assert not_faint(boxes, dark, level).tolist() == [True, False]


def test_all_clear_is_never_true_where_the_full_measure_drops_one() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        dark = rng.integers(0, 60, (40, 40), dtype=np.uint8)
        level = rng.integers(15, 30, (40, 40), dtype=np.uint8)
        dark[5:30, 2:5] = 200
        x0, y0 = rng.integers(0, 30, 2)
        boxes = np.array(
            [[1.0, 4, 6, 31, 75], [x0, y0, x0 + rng.integers(1, 12), y0 + rng.integers(1, 12), 0]]
        )
        peak, under = ink_peaks(boxes, dark, level).T
        full = ~((peak < FAINT * peak.max()) & (peak < CLEAR * under))
        assert full.all() or not all_clear(boxes, dark, level)


def _all_clear_before(boxes: np.ndarray, dark: np.ndarray, level: np.ndarray) -> bool:
    """``all_clear`` as it was before its cv2 threshold and early pass (the reference)."""
    h, w = dark.shape
    for x0, y0, x1, y1 in boxes[:, :4].tolist():
        xa, ya = min(max(int(x0), 0), w), min(max(int(y0), 0), h)
        xb, yb = min(max(math.ceil(x1), xa), w), min(max(math.ceil(y1), ya), h)
        d = dark[ya:yb, xa:xb]
        inked = d > level[ya:yb, xa:xb]
        if not (n := int(np.count_nonzero(inked))):
            continue
        clear = CLEAR * int(level[(ya + yb) // 2, (xa + xb) // 2])
        if np.count_nonzero(inked & (d > clear)) < n - min(n - 1, int(PEAK_QUANTILE * n)):
            return False
    return True


def test_all_clear_and_not_faint_are_what_they_were_on_random_boxes() -> None:
    rng = np.random.default_rng(11)
    outcomes = set()
    for i in range(600):
        dark = rng.integers(0, 256 if i % 3 else 60, (30, 40), dtype=np.uint8)
        level = rng.integers(10, 200 if i % 4 == 0 else 40, (30, 40), dtype=np.uint8)  # (x 1.4 over 255 too)
        if i % 5 == 1:  # ink at its threshold (ties), the threshold varying in the box
            dark = (level + rng.integers(0, 2, level.shape)).astype(np.uint8)
            level[rng.integers(0, 30) :] = rng.integers(10, 40)
        dark[rng.integers(0, 25) :][:5, rng.integers(0, 35) :][:, :4] = rng.integers(60, 256)
        boxes = np.zeros((rng.integers(2, 6), 7))
        x0, y0 = rng.uniform(-5, 42, len(boxes)), rng.uniform(-5, 32, len(boxes))
        boxes[:, :4] = np.c_[x0, y0, x0 + rng.uniform(0, 15, len(boxes)), y0 + rng.uniform(0, 15, len(boxes))]
        if i % 2:
            boxes[:, :4] = np.round(boxes[:, :4])  # (whole px, empty boxes among them)
        before = _all_clear_before(boxes, dark, level)
        assert all_clear(boxes, dark, level) == before, f"boxes {boxes[:, :4].tolist()}"
        kept = np.ones(len(boxes), bool)
        if not before:
            peak, under = ink_peaks(boxes, dark, level).T
            kept = ~((peak < FAINT * peak.max()) & (peak < CLEAR * under))
        assert not_faint(boxes, dark, level).tolist() == kept.tolist()
        outcomes.add((before, bool(kept.all())))
    assert outcomes == {(True, True), (False, True), (False, False)}  # (every case was met)
