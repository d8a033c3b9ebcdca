"""A pen lying on the desk beside the sheet is no digit; steep real 1s stay (edge.segment.desk_bars)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from edge.segment.desk_bars import MIN_TILT, bar_shape, off_desk
from edge.segment.digits import DigitSegmenter
from edge.types import ROI

PEN_CENTRE = (520, 300)


def _sheet_on_desk(pen_angle: float | None = 45.0, steep_ones: bool = False) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a white sheet on a wood-coloured desk, with "47" and "5" written on it (or
    four 1s leaning 42 degrees, steeper than 98% of MNIST's), and a red pen 220 x 9 px on the desk."""
    img = np.empty((480, 640, 3), np.uint8)
    img[:] = (70, 112, 160)
    noise = np.random.default_rng(1).normal(0, 3, img.shape)
    img = np.clip(img + noise, 0, 255).astype(np.uint8)
    cv2.rectangle(img, (60, 60), (380, 420), (225, 230, 232), -1)
    if steep_ones:
        a = math.radians(42)
        dx, dy = 40 * math.sin(a), 40 * math.cos(a)
        for x, y in [(160, 150), (260, 150), (160, 300), (260, 300)]:
            ends = (round(x - dx), round(y + dy)), (round(x + dx), round(y - dy))
            cv2.line(img, *ends, (40, 40, 40), 7, cv2.LINE_AA)
    else:
        cv2.putText(img, "47", (110, 200), cv2.FONT_HERSHEY_SIMPLEX, 3.0, (40, 40, 40), 7, cv2.LINE_AA)
        cv2.putText(img, "5", (130, 340), cv2.FONT_HERSHEY_SIMPLEX, 3.0, (40, 40, 40), 7, cv2.LINE_AA)
    if pen_angle is not None:
        body = cv2.boxPoints((PEN_CENTRE, (220, 9), pen_angle)).astype(np.int32)
        cv2.fillConvexPoly(img, body, (30, 30, 160), cv2.LINE_AA)
    return cv2.GaussianBlur(img, (3, 3), 0.8)


def _on_pen(rois: list[ROI]) -> list[ROI]:
    x, y = PEN_CENTRE
    return [r for r in rois if r.x <= x <= r.x + r.w and r.y <= y <= r.y + r.h]


@pytest.mark.parametrize("angle", [45.0, 80.0])
def test_a_pen_beside_the_sheet_is_no_digit(angle: float) -> None:
    rois = DigitSegmenter().find(_sheet_on_desk(angle))
    assert not _on_pen(rois)
    assert len(rois) == 3  # 4, 7 and 5 are all found


def test_steep_ones_on_the_sheet_stay_beside_a_pen() -> None:
    rois = DigitSegmenter().find(_sheet_on_desk(45.0, steep_ones=True))
    assert not _on_pen(rois)
    assert len(rois) == 4


def test_steep_ones_alone_stay() -> None:
    assert len(DigitSegmenter().find(_sheet_on_desk(None, steep_ones=True))) == 4


def test_bar_shape_measures_the_pen_not_a_digit() -> None:
    seg = DigitSegmenter()
    image = _sheet_on_desk(45.0)
    seg.find(image)
    assert seg.last_analysis is not None
    pen = bar_shape(seg.last_analysis, ROI(438, 218, 164, 164))
    assert pen is not None
    length, tilt = pen
    assert 200 <= length <= 240 and MIN_TILT < tilt <= 50
    assert bar_shape(seg.last_analysis, ROI(134, 278, 50, 64)) is None  # the 5


def test_a_lone_candidate_is_kept() -> None:
    seg = DigitSegmenter()
    image = _sheet_on_desk(45.0)
    seg.find(image)
    pen = [ROI(438, 218, 164, 164)]
    assert off_desk(pen, image, seg.last_analysis) is pen
    assert off_desk(pen, image, None) is pen


def test_steep_light_ones_on_a_dark_ground_stay() -> None:
    """Light ink on black (OpenCV's digits.png): a steep 1 beside upright ones is not on "another ground"."""
    img = np.zeros((240, 320), np.uint8)
    for k, x in enumerate(range(40, 300, 50)):
        a = math.radians(44 if k % 2 else 8)  # every other 1 leans 44 degrees, as digits.png's steepest
        dx, dy = 18 * math.sin(a), 18 * math.cos(a)
        cv2.line(img, (round(x - dx), round(120 + dy)), (round(x + dx), round(120 - dy)), 255, 4, cv2.LINE_AA)
    image = cv2.cvtColor(cv2.GaussianBlur(img, (3, 3), 0.8), cv2.COLOR_GRAY2BGR)
    assert len(DigitSegmenter().find(image)) == 6


def test_a_steep_one_beside_desk_clutter_stays() -> None:
    """A steep 1 on a yellow sheet whose only other candidate is a mark on the darker grey desk (as dev frame
    s21 1/00248, a piece of the paper's edge): the 1's ground is the brighter one, the paper, so it stays."""
    img = np.empty((480, 640, 3), np.uint8)
    img[:] = (70, 76, 76)
    cv2.rectangle(img, (0, 200), (640, 480), (100, 182, 200), -1)
    a = math.radians(45)
    dx, dy = 30 * math.sin(a), 30 * math.cos(a)
    cv2.line(img, (round(260 - dx), round(320 + dy)), (round(260 + dx), round(320 - dy)), (60, 110, 120), 7)
    cv2.rectangle(img, (400, 80), (410, 110), (20, 20, 20), -1)  # the clutter on the desk
    image = cv2.GaussianBlur(img, (3, 3), 0.8)
    seg = DigitSegmenter()
    seg.find(image)
    assert seg.last_analysis is not None
    one = ROI(234, 294, 52, 52)  # the 1's box as the segmenter finds it
    steep = bar_shape(seg.last_analysis, one)
    assert steep is not None and steep[1] >= MIN_TILT
    rois = [one, ROI(398, 78, 14, 34)]
    assert off_desk(rois, image, seg.last_analysis) == rois


@pytest.mark.parametrize("shade", [0.7, 0.5])
def test_a_one_in_a_hand_shadow_on_the_sheet_stays(shade: float) -> None:
    """A long upright 1 (1.5x the others) and a steep one written where a hand's shadow darkens the same white
    paper to ``shade`` of its light: the same colour, so the same paper, not a desk (0.75 dropped both)."""
    base = np.full((480, 640, 3), 225.0)
    base[:, 330:] *= shade
    img = base.astype(np.uint8)
    cv2.putText(img, "73", (70, 270), cv2.FONT_HERSHEY_SIMPLEX, 2.6, (40, 40, 40), 7, cv2.LINE_AA)
    ink = tuple(round(40 * shade) for _ in range(3))
    cv2.line(img, (420, 180), (428, 290), ink, 7, cv2.LINE_AA)  # upright, 110 px
    a = math.radians(41)
    cv2.line(
        img,
        (round(540 - 28 * math.sin(a)), round(300 + 28 * math.cos(a))),
        (round(540 + 28 * math.sin(a)), round(300 - 28 * math.cos(a))),
        ink,
        7,
        cv2.LINE_AA,
    )
    image = cv2.GaussianBlur(img, (3, 3), 0.8)
    rois = DigitSegmenter().find(image)
    assert sum(r.x >= 330 for r in rois) == 2, rois
