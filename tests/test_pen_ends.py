"""Pens shaped like a 1 or lying partly over the paper are no digits; 1s near the paper's edge stay
(edge.segment.desk_bars, edge.segment.pen_ends)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from edge.segment.desk_bars import not_paper
from edge.segment.digits import DigitSegmenter
from edge.segment.pen_ends import Bar, runs_onto_desk
from edge.types import ROI
from tests.test_digits import camera, paper

WOOD, WHITE, YELLOW = (70, 112, 160), (232, 236, 240), (120, 225, 245)
INK, RED, BLUE = (40, 40, 40), (30, 30, 160), (150, 50, 20)


def _scene(desk: tuple[int, int, int], sheet: tuple[int, int, int], seed: int = 4) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a ``sheet`` over x 60..380, y 60..420 on a ``desk``, "47" written on it."""
    img = np.empty((480, 640, 3), np.uint8)
    img[:] = desk
    img = np.clip(img + np.random.default_rng(seed).normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    cv2.rectangle(img, (60, 60), (380, 420), sheet, -1)
    cv2.putText(img, "47", (110, 240), cv2.FONT_HERSHEY_SIMPLEX, 2.6, INK, 7, cv2.LINE_AA)
    return img


def _pen(
    img: np.ndarray, centre: tuple[float, float], length: float, angle: float, colour: tuple[int, int, int]
) -> None:
    """A pen 10 px thick, ``angle`` degrees from the x axis (OpenCV's box angle), into ``img``."""
    body = cv2.boxPoints((centre, (length, 10), angle)).astype(np.int32)
    cv2.fillConvexPoly(img, body, colour, cv2.LINE_AA)


def _find(img: np.ndarray) -> list[ROI]:
    return DigitSegmenter().find(cv2.GaussianBlur(img, (3, 3), 0.8))


def _at(rois: list[ROI], x: float, y: float) -> list[ROI]:
    return [r for r in rois if r.x <= x <= r.x + r.w and r.y <= y <= r.y + r.h]


@pytest.mark.parametrize(
    ("sheet", "colour", "tilt"), [(YELLOW, RED, 8.0), (WHITE, BLUE, 0.0), (YELLOW, INK, 15.0)]
)
def test_an_upright_pen_as_long_as_the_digits_is_no_digit(
    sheet: tuple[int, int, int], colour: tuple[int, int, int], tilt: float
) -> None:
    """A pen on the desk about as long as the digits and nearly upright (demo seed 2 sheet 1800): shaped like
    a 1, but its whole ring is the desk's colour."""
    img = _scene(WOOD, sheet)
    _pen(img, (480, 200), 70, 90 - tilt, colour)
    rois = _find(img)
    assert not _at(rois, 480, 200), rois
    assert len(rois) == 2, rois


@pytest.mark.parametrize(("sheet", "colour"), [(WHITE, RED), ((200, 180, 245), (50, 140, 40))])
def test_a_pen_partly_over_the_paper_is_no_digit(
    sheet: tuple[int, int, int], colour: tuple[int, int, int]
) -> None:
    """A capped pen lying across the sheet's right edge on a grey desk, its cap over the desk: the body's
    piece over the paper, cut where the cap begins, runs on onto the desk."""
    img = np.empty((480, 640, 3), np.float32)
    img[:] = (95, 96, 98)
    img[60:420, 60:380] = paper(360, 320, colour=sheet, gradient=0.15, seed=1)
    img = np.clip(img, 0, 255).astype(np.uint8)
    cv2.putText(img, "47", (110, 240), cv2.FONT_HERSHEY_SIMPLEX, 2.6, INK, 7, cv2.LINE_AA)
    _pen(img, (330, 130), 160, -25.0, colour)
    a, cap = math.radians(-25.0), tuple(min(255, round(v * 0.6 + 60)) for v in colour)
    cv2.fillConvexPoly(
        img,
        cv2.boxPoints(((330 + 62 * math.cos(a), 130 + 62 * math.sin(a)), (35, 12), -25.0)).astype(np.int32),
        cap,
        cv2.LINE_AA,
    )
    rois = DigitSegmenter().find(camera(img.astype(np.float32), seed=1))
    assert not _at(rois, 300, 144), rois
    assert len(rois) == 2, rois


@pytest.mark.parametrize("sheet", [WHITE, YELLOW])
@pytest.mark.parametrize(
    ("x", "y", "tilt"), [(70, 300, 0.0), (70, 330, 20.0), (366, 250, 0.0), (250, 66, 10.0)]
)
def test_a_one_near_the_papers_edge_stays(sheet: tuple[int, int, int], x: int, y: int, tilt: float) -> None:
    """A 1 written 2-10 px inside the sheet's edge (left, near the bottom-left corner, right, top) on a dark
    desk: its ring is half paper, and past its ends lies the paper or the bare desk."""
    img = _scene((40, 42, 45), sheet)
    a = math.radians(tilt)
    top = (round(x + 70 * math.sin(a)), y)
    cv2.line(img, (x, y + 70), top, INK, 7, cv2.LINE_AA)
    rois = _find(img)
    assert _at(rois, (x + top[0]) / 2, y + 35), rois


def test_runs_onto_desk_looks_past_the_bars_ends() -> None:
    img = np.empty((200, 300, 3), np.uint8)
    img[:] = WOOD
    img[:, :150] = WHITE
    paper, desk = np.array(WHITE, np.float32), np.array(WOOD, np.float32)
    bar = Bar(60.0, 90.0, (110.0, 100.0), (1.0, 0.0), 8.0)  # over the paper, x 80..140
    cv2.line(img, (80, 100), (140, 100), BLUE, 8)

    def runs() -> bool:
        return runs_onto_desk(img, bar, lambda: desk, paper, lambda px: not_paper(px, paper))

    assert not runs()  # (the bare desk past its end)
    cv2.line(img, (142, 100), (260, 100), BLUE, 8)  # the rest of the pen, on across the paper's edge
    assert runs()
    assert not runs_onto_desk(
        img, bar, lambda: desk, paper, lambda px: not_paper(px, paper), [ROI(150, 60, 60, 80)]
    )
