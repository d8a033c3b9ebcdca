"""A tall candidate fainter than the writing does not set the height the digits are judged by (issue 13).

On the ``demo`` scene (seed 0, frames 2981-2999) a band of desk in shadow beside the sheet was one
candidate 124-177 px tall (analysis px), its ink peak 0.53-0.63 of the digits'; being the tallest, the
relative-height rule (``min_relative_height``: under 0.25 of the tallest is dropped) dropped the
digits, about 30 px tall, beside it. A cable, a paper edge or a table edge does the same.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_pieces import select_digits
from edge.segment.digits import DigitSegmenter
from edge.segment.writing_height import DIGIT_WIDTH, WRITING, judged_as_writing

DIGITS = ((330, "3"), (420, "9"), (455, "0"), (490, "1"))


def _frame(cable_grey: int) -> np.ndarray:
    """A 640 x 480 sheet (grey 205) with "3 901" in dark ink (grey 40, about 34 px tall) and a
    cable 5 px thick and 360 px tall beside it, grey ``cable_grey``."""
    img = np.full((480, 640), 205, np.uint8)
    for x, d in DIGITS:
        cv2.putText(img, d, (x, 270), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 40, 3, cv2.LINE_AA)
    ys = np.arange(60, 420)
    cable = np.stack([150 + 14 * np.sin(ys / 40.0), ys], 1).astype(np.int32)
    cv2.polylines(img, [cable], False, cable_grey, 5, cv2.LINE_AA)
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("cable_grey", [100, 140])
def test_small_digits_beside_a_tall_faint_cable_are_found(cable_grey: int) -> None:
    rois = DigitSegmenter().find(_frame(cable_grey))
    digits = sorted(r.x for r in rois if r.h < 100)
    assert len(digits) == 4, f"found {[r.as_list() for r in rois]}"
    assert all(abs(x - d[0]) <= 6 for x, d in zip(digits, DIGITS, strict=True))


def _table(rows: list[tuple[int, int]]) -> np.ndarray:
    """Candidates of a 320 x 240 analysis image, one per (height, x0): 10 px wide, from y 20."""
    return np.array([[x, 20, x + 10, 20 + h, 50, 0, 0] for h, x in rows], np.float64)


def _ink(band: int) -> tuple[np.ndarray, np.ndarray]:
    """Darkness and ink level of a 320 x 240 analysis image whose :func:`_table` candidates
    (a band, two digits, a speck) have the ink peaks ``band``, 140, 120 and 150 (the speck darkest)."""
    dark, level = np.zeros((240, 320), np.uint8), np.full((240, 320), 20, np.uint8)
    for x, peak in ((10, band), (100, 140), (120, 120), (140, 150)):
        dark[20:30, x : x + 4] = peak
    return dark, level


def test_a_faint_tall_candidate_judges_only_specks() -> None:
    cfg = DigitSegmenterConfig()
    boxes = _table([(170, 10), (30, 100), (28, 120), (9, 140)])  # a band, two digits, a speck
    kept = select_digits(boxes, cfg, 320, 240, _ink(80), 13.4)
    assert kept[:, 0].tolist() == [10, 100, 120]  # the digits stay; the speck is judged by the band
    assert select_digits(boxes, cfg, 320, 240)[:, 0].tolist() == [10]  # (without the ink: dropped)
    dark_band = _ink(round(0.8 * 140 / WRITING))  # darker than the digits: writing
    assert select_digits(boxes, cfg, 320, 240, dark_band, 13.4)[:, 0].tolist() == [10]
    many = _table([(170, 10), (30, 100), (28, 120), (9, 140)] + [(4, 200 + 8 * i) for i in range(12)])
    assert select_digits(many, cfg, 320, 240, _ink(80), 13.4)[:, 0].tolist() == [10, 100, 120]  # (numpy)


def test_writing_is_as_dark_as_the_darkest_writing_and_specks_are_left_out() -> None:
    heights, peaks = np.array([170.0, 30, 25, 20, 9]), np.array([80.0, 140, 0.9 * 140, 80, 250])
    widths = np.array([40.0, 20, 15, 8, 5])  # (the band is narrow: no digit but a 1)
    # the band and the faint 20 px mark (0.57 of the digit's peak) are not writing; the speck
    # is under the floor: the two digits are writing, judged by the taller's height
    assert judged_as_writing(heights, widths, peaks, 13.4, 0.25).tolist() == [False, True, True, False, False]
    assert judged_as_writing(heights, widths, peaks, 13.4, 0.9).tolist() == [False, True, False, False, False]
    # with the speck counted, it would be the only writing (the digits as narrow as 1s)
    narrow = np.array([40.0, 8, 8, 8, 5])
    assert judged_as_writing(heights, narrow, peaks, 5.0, 0.25).tolist() == [False, False, False, False, True]
    band_dark = np.array([0.8 * 140 / WRITING, 140, 126, 80, 250])  # the band is writing: it judges
    assert judged_as_writing(heights, widths, band_dark, 13.4, 0.25).tolist() == [
        True,
        False,
        False,
        False,
        False,
    ]


def test_a_faint_candidate_as_wide_as_a_digit_is_writing() -> None:
    """A big faint digit (its peak 0.4 of the marks') judges the short dark marks beside it; a band as
    faint but narrow does not (review 2 of issue 13)."""
    heights, peaks = np.array([100.0, 20, 20]), np.array([88.0, 220, 220])
    wide = np.array([100.0, 7, 7])  # a pencil 3 and two marks a fifth of its height
    assert judged_as_writing(heights, wide, peaks, 13.4, 0.25).tolist() == [True, False, False]
    narrow = np.array([DIGIT_WIDTH * 100 - 1, 7, 7])  # a band: the marks are judged by each other
    assert judged_as_writing(heights, narrow, peaks, 13.4, 0.25).tolist() == [False, True, True]


def test_a_wide_candidate_far_fainter_than_the_writing_is_no_writing() -> None:
    """A desk pad's L-shaped corner around the sheet (wide, its peak 0.13 of the digits') does not set
    the height the digits are judged by (review of session 26: it dropped every digit)."""
    heights, widths = np.array([418.0, 60, 60]), np.array([350.0, 40, 40])
    pad = np.array([0.13 * 211, 211, 211])  # (measured: the pad corner of the review)
    assert judged_as_writing(heights, widths, pad, 13.4, 0.25).tolist() == [False, True, True]
    faint_digit = np.array([0.4 * 211, 211, 211])  # a big faint pencil 3
    assert judged_as_writing(heights, widths, faint_digit, 13.4, 0.25).tolist() == [True, False, False]


@pytest.mark.parametrize("grey", [150, 110])
def test_dark_marks_beside_a_big_faint_digit_are_dropped(grey: int) -> None:
    """A pencil 3 about 200 px tall and four dark strokes 36 px tall (under 0.25 of it): the strokes are
    specks beside the writing, as before the shadow band's rule (which showed them as four 1s)."""
    img = np.full((480, 640), 235, np.uint8)
    cv2.putText(img, "3", (90, 360), cv2.FONT_HERSHEY_SIMPLEX, 10.0, grey, 12, cv2.LINE_AA)
    for j in range(4):
        x, y = 350 + 60 * j, 150 + 70 * (j % 2)
        cv2.line(img, (x, y), (x + 6, y + 36), 40, 3, cv2.LINE_AA)
    image = cv2.cvtColor(cv2.GaussianBlur(img, (3, 3), 0.8), cv2.COLOR_GRAY2BGR)
    rois = DigitSegmenter().find(image)
    assert len(rois) == 1 and rois[0].h > 150, rois
