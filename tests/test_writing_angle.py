"""A page held turned to the camera: its lines of digits give the angle, each digit read upright
(:mod:`edge.segment.writing_angle`)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.pipeline import build_pipeline
from edge.preprocess import MnistPreprocessor
from edge.segment.cut_path import uncut
from edge.segment.digits import DigitSegmenter
from edge.segment.ink_analysis import InkAnalysis
from edge.segment.writing_angle import (
    CHUNK,
    LEAN_LEFT,
    LEAN_RIGHT,
    MIN_TILT,
    ink_lean,
    tilt_rois,
    upright_ink,
    writing_angle,
)
from edge.types import ROI, Frame
from tests.conftest import draw_digit


def _boxes(centres: list[tuple[float, float]], side: int = 50) -> list[ROI]:
    return [ROI(int(x - side / 2), int(y - side / 2), side, side) for x, y in centres]


def _line(angle: float, n: int = 4, gap: float = 64.0) -> list[tuple[float, float]]:
    a = np.radians(angle)
    return [(300 + k * gap * np.cos(a), 300 - k * gap * np.sin(a)) for k in range(n)]


@pytest.mark.parametrize("angle", [-40.0, -20.0, 15.0, 30.0, 45.0])
def test_a_turned_line_of_digits_gives_its_angle(angle: float) -> None:
    assert writing_angle(_boxes(_line(angle))) == pytest.approx(angle, abs=1.5)


def test_no_line_no_angle() -> None:
    assert writing_angle([]) == 0.0
    assert writing_angle(_boxes([(100, 100)])) == 0.0  # one digit alone: its slant is its own
    assert writing_angle(_boxes([(100, 100), (400, 300)])) == 0.0  # too far apart to be a line
    assert writing_angle(_boxes([(100, 100), (105, 170)])) == 0.0  # one above the other
    speck = ROI(120, 62, 4, 14)  # a speck up and right of a digit is no line
    assert writing_angle([ROI(80, 70, 28, 48), speck]) == 0.0
    assert writing_angle([ROI(106, 134, 7, 4), ROI(111, 135, 11, 10)]) == 0.0  # two pieces of one digit
    assert writing_angle(_boxes(_line(MIN_TILT / 2))) == 0.0  # a level line's wander
    # neighbours that disagree: no one direction of writing
    assert writing_angle(_boxes([(100, 100), (160, 80), (400, 300), (460, 330)])) == 0.0


def _leaning_ink(rois: list[ROI], lean: float, shape: tuple[int, int] = (480, 640)) -> InkAnalysis:
    """An analysis at the frame's scale whose ink in each ROI is a bar through its centre leaning
    ``lean`` degrees counter-clockwise from upright."""
    dark = np.zeros(shape, np.uint8)
    dx, dy = -np.sin(np.radians(lean)), -np.cos(np.radians(lean))  # up the bar (image y runs down)
    for r in rois:
        cx, cy, half = r.x + r.w / 2, r.y + r.h / 2, 0.45 * r.h
        p0, p1 = (
            (round(cx - dx * half), round(cy - dy * half)),
            (round(cx + dx * half), round(cy + dy * half)),
        )
        cv2.line(dark, p0, p1, 200, 5)
    return InkAnalysis(dark, np.full(shape, 100, np.uint8), shape, False, 15)


def test_tilt_rois_marks_the_parts_of_a_cut_and_their_whole_alike() -> None:
    whole = ROI(90, 60, 120, 60)
    rois = [ROI(90, 60, 60, 60, whole=whole), ROI(150, 40, 60, 60, whole=whole), ROI(214, 20, 60, 60)]
    got = tilt_rois(rois, _leaning_ink(rois, 18.0))
    assert [r.angle for r in got] == pytest.approx([got[0].angle] * 3) and got[0].angle > MIN_TILT
    assert got[0].whole is got[1].whole and got[0].whole is not None and got[0].whole.angle == got[0].angle
    level = _boxes(_line(0.0))
    assert tilt_rois(level, _leaning_ink(level, 0.0)) is level
    assert tilt_rois(rois, None) is rois  # no ink seen: nothing turned


@pytest.mark.parametrize(
    ("line", "lean"),
    [(30.0, 30.0), (30.0, 15.0), (-45.0, 40.0), (42.0, 0.0), (-13.0, -40.0), (15.0, -10.0), (-15.0, 10.0)],
)
def test_the_line_stands_only_when_the_ink_leans_with_it(line: float, lean: float) -> None:
    """Boxes alone took a column of single digits on a page turned 40 degrees (its direction -50)
    and one diagonal pair on an upright page for a turned line (review of session 27); the digits'
    ink must lean with the line, from LEAN_RIGHT clockwise (writing slanted right) to LEAN_LEFT."""
    rois = _boxes(_line(line, n=3))
    assert writing_angle(rois) == pytest.approx(line, abs=1.5)
    analysis = _leaning_ink(rois, lean)
    assert ink_lean(rois, analysis) == pytest.approx(lean, abs=3.0)
    got = tilt_rois(rois, analysis)
    assert [r.angle for r in got] == pytest.approx(
        [line if -LEAN_RIGHT <= lean - line <= LEAN_LEFT else 0.0] * 3, abs=1.5
    )


def test_many_rois_are_measured_a_chunk_at_a_time() -> None:
    """A page of thousands of digits is measured CHUNK rows of the distance table at a time, with
    the same pairs as all at once."""
    centres = [(20.0 + 40 * i, 400.0 + 80 * j - 12 * i) for i in range(30) for j in range(20)]  # lines rising
    rois = _boxes(centres, side=30)
    assert len(rois) > 2 * CHUNK
    whole = writing_angle(rois)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("edge.segment.writing_angle.CHUNK", len(rois))
        assert writing_angle(rois) == whole
    assert whole == pytest.approx(np.degrees(np.arctan(12 / 40)), abs=1.0)


def test_upright_ink_turns_a_bar_back() -> None:
    bar = np.zeros((80, 80), np.uint8)
    cv2.line(bar, (40, 10), (40, 70), 255, 5)
    m = cv2.getRotationMatrix2D((40, 40), 35, 1.0)  # turned counter-clockwise
    turned = cv2.warpAffine(bar, m, (80, 80))
    x, y, w, h = cv2.boundingRect(turned)
    back = upright_ink(turned[y : y + h, x : x + w], 35.0)
    assert back.shape[0] > 4 * back.shape[1]  # tall and thin again
    assert upright_ink(turned, 0.0) is turned


def _turned_page(
    angle: float, labels: tuple[int, ...] = (3, 5, 2, 4), at: list[tuple[int, int]] | None = None
) -> np.ndarray:
    """A 640x480 frame: a grey desk, a sheet turned by ``angle`` (counter-clockwise) holding a line
    of Hershey digits about 30 px tall, 44 px apart (or with their top-left corners ``at`` on the
    340x240-px sheet)."""
    page = np.full((240, 340), 215, np.uint8)
    for k, d in enumerate(labels):
        glyph = cv2.resize(draw_digit(d, 56, 4), (56, 56))
        x0, y0 = (70 + 44 * k, 92) if at is None else at[k]
        page[y0 : y0 + 56, x0 : x0 + 56] = np.minimum(
            page[y0 : y0 + 56, x0 : x0 + 56], 215 - (glyph // 255 * 160)
        )
    m = cv2.getRotationMatrix2D((170, 120), angle, 1.0)
    m[:, 2] += (150, 120)
    frame = cv2.warpAffine(page, m, (640, 480), borderValue=70)
    rng = np.random.default_rng(0)
    frame = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.GaussianBlur(frame, (3, 3), 0.8), cv2.COLOR_GRAY2BGR)


def _inputs(angle: float) -> tuple[list[ROI], np.ndarray]:
    seg, pre = DigitSegmenter(), MnistPreprocessor()
    img = _turned_page(angle)
    rois = uncut(seg.find(img))  # the digits found, without the live finder's path-cut proposals
    batch = pre(img, rois, analysis=seg.last_analysis)[..., 0]
    order = np.argsort([r.x for r in rois])  # along the line (a turned line's reading order differs)
    return [rois[i] for i in order], batch[order]


@pytest.mark.parametrize("angle", [35.0, -35.0])
def test_a_turned_page_is_read_as_the_upright_one(angle: float) -> None:
    rois, upright = _inputs(0.0)
    assert len(rois) == 4 and all(r.angle == 0.0 for r in rois)
    rois, turned = _inputs(angle)
    assert len(rois) == 4 and [r.angle for r in rois] == pytest.approx([angle] * 4, abs=4.0)
    # each digit's model input is close to its upright one: mean difference 0.05-0.08 a digit,
    # 0.16-0.21 when the ink is not turned back
    diff = np.abs(turned - upright).mean(axis=(1, 2))
    assert diff.max() < 0.1, diff


def test_a_turned_page_of_mnist_digits_is_read_right(mnist: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = mnist
    pipe = build_pipeline("digits", smoothing=False)
    right = 0
    for k in range(6):
        ids = [int(i) for i in np.flatnonzero(y != 1)[k * 4 : k * 4 + 4]]  # (a "1" has no turned look)
        page = np.full((240, 340), 215, np.uint8)
        for j, i in enumerate(ids):
            glyph = cv2.resize(x[i], (62, 62)).astype(np.int32)
            page[90:152, 46 + 64 * j : 108 + 64 * j] = 215 - glyph * 160 // 255
        m = cv2.getRotationMatrix2D((170, 120), 40.0 if k % 2 else -40.0, 1.0)
        m[:, 2] += (150, 120)
        img = cv2.cvtColor(cv2.warpAffine(page, m, (640, 480), borderValue=70), cv2.COLOR_GRAY2BGR)
        got = pipe.process(Frame(image=img, timestamp=0.0, index=k)).detections
        for det in got:
            k_near, dist = _nearest(det.roi, m)
            right += dist < 30 and det.prediction.label == str(int(y[ids[k_near]]))
    assert right >= 22  # of 24 (read without the writing's angle: 19)


def _nearest(roi: ROI, m: np.ndarray) -> tuple[int, float]:
    """The digit of the line (``m``: its page's turn) nearest ``roi``'s centre, and how far (px)."""
    c = [m @ np.array([77.0 + 64 * j, 121.0, 1.0]) for j in range(4)]
    dist = [float(np.hypot(roi.x + roi.w / 2 - x, roi.y + roi.h / 2 - y)) for x, y in c]
    return int(np.argmin(dist)), min(dist)


@pytest.mark.parametrize(
    ("angle", "at"),
    [
        (40.0, [(140, 40), (140, 90), (140, 140)]),  # a column of single digits on a turned page
        (45.0, [(140, 40), (140, 90), (140, 140)]),
        (0.0, [(110, 110), (146, 76)]),  # two digits 43 degrees apart on an upright page
    ],
)
def test_digits_not_in_a_line_are_not_turned(angle: float, at: list[tuple[int, int]]) -> None:
    """Their boxes alone make a line (the column's direction is the page's minus 90 degrees), but
    their ink does not lean with it (review of session 27: such digits were turned by 45-50 degrees
    and misread)."""
    seg = DigitSegmenter()
    rois = uncut(seg.find(_turned_page(angle, (3, 5, 2)[: len(at)], at)))
    assert len(rois) == len(at) and abs(writing_angle(rois)) >= MIN_TILT  # the boxes alone: a line
    assert seg.last_analysis is not None and abs((ink_lean(rois, seg.last_analysis) or 0.0) - angle) < 15.0
    assert all(r.angle == 0.0 for r in rois)


def test_a_few_rois_find_the_neighbours_of_the_table() -> None:
    """The plain-Python neighbours of a few ROIs are the NumPy table's, on random frames with ties
    (a grid of equal boxes), specks, overlapping boxes and boxes far apart; the median of the angles
    (:func:`edge.segment.digit_scale.few_median`) is NumPy's."""
    from edge.segment.digit_scale import few_median
    from edge.segment.writing_angle import FEW, _neighbours, _neighbours_few

    rng = np.random.default_rng(7)
    for trial in range(3000):
        n = int(rng.integers(2, FEW + 1))
        if trial % 3 == 0:  # a grid: equal distances, the first of equals
            rois = [ROI(int(40 * rng.integers(0, 4)), int(40 * rng.integers(0, 4)), 30, 30) for _ in range(n)]
        else:
            rois = [
                ROI(
                    int(rng.integers(0, 300)),
                    int(rng.integers(0, 200)),
                    int(rng.integers(0, 60)),
                    int(rng.integers(0, 60)),
                )
                for _ in range(n)
            ]
        c = [(r.x + r.w / 2.0, r.y + r.h / 2.0) for r in rois]
        assert _neighbours_few(rois, c) == _neighbours(rois)
    for values in (
        [1.5],
        [3.0, -2.0],
        [0.1, 0.1, 0.2],
        [-7.25, 30.0, 12.5, 12.5],
        list(rng.normal(0, 20, 9)),
    ):
        assert few_median(values) == float(np.median(values))
