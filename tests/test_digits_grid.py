"""Small digits on squared and lined paper (edge.segment.digits, issue 13).

A 640 x 480 frame holds one MNIST test digit 16-24 px tall (8-12 px at the segmenter's
first, 320-px pass, so it looks again at twice the scale) on a sheet ruled with faint 1-px
lines, drawn with the project's renderer (:mod:`edge.sources.render`). At the finer scale the
lines keep more of their contrast than at 320 px and break into hundreds of digit-sized
dashes and crosses; the segmenter must still return the digit, and only the digit.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.cut_path import uncut
from edge.segment.digits import DigitSegmenter
from edge.sources import render
from edge.types import ROI
from tests.test_digits import digit_of, ink_alpha


def ruled_frame(
    digit: np.ndarray, height: int, step: float, kind: str, pen: str, seed: int
) -> tuple[np.ndarray, ROI]:
    """uint8 (480, 640, 3) BGR photo of ``digit`` on ``kind`` ("squared" or "lined") paper with
    lines ``step`` px apart (tilted by a small rotation, like a hand-held camera), and its ink box."""
    rng = np.random.default_rng(seed)
    h, w = 480, 640
    sheet = render.plain_paper(rng, (h, w), render.PAPERS["white"][0], grain=((3.0, 24), (1.2, 2)))
    strength = 0.8
    line = strength * np.array(render.RULE_COLOURS[0], np.float32) + (1 - strength) * sheet[0, 0]
    rows = list(np.arange(rng.uniform(0, step), h, step))
    cols = list(np.arange(rng.uniform(0, step), w, step)) if kind == "squared" else []
    render.rule_lines(sheet, line.tolist(), rows=rows, cols=cols)
    a = ink_alpha(digit, height)
    x, y = int(rng.uniform(100, 500)), int(rng.uniform(100, 350))
    colour, opacity = render.pen_ink(rng, pen)
    render.composite_ink(sheet, a, x, y, colour, opacity)
    alpha = np.zeros((h, w), np.float32)
    alpha[y : y + a.shape[0], x : x + a.shape[1]] = a
    m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-6, 6)), 1.0)
    sheet = cv2.warpAffine(sheet, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    alpha = cv2.warpAffine(alpha, m, (w, h))
    sheet *= render.light_field(rng, (h, w), level=(0.85, 1.0), gradient=(0.0, 0.3))[..., None]
    photo = render.camera_photo(sheet, rng, blur_px=0.6, noise_sd=2.0, jpeg_quality=85)
    ys, xs = np.nonzero(alpha > 0.5)
    box = ROI(int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    return photo, box


CASES = [  # (label, height px, line step px, kind, pen)
    (2, 18, 20.0, "squared", "blue ballpoint"),
    (4, 20, 24.0, "squared", "black ballpoint"),
    (5, 16, 19.0, "squared", "blue ballpoint"),
    (8, 22, 28.0, "squared", "black ballpoint"),
    (0, 24, 22.0, "squared", "blue ballpoint"),
    (9, 18, 26.0, "lined", "black ballpoint"),
    (3, 20, 21.0, "lined", "blue ballpoint"),
]


@pytest.mark.parametrize(("label", "height", "step", "kind", "pen"), CASES)
def test_a_small_digit_on_ruled_paper_is_the_only_roi(mnist, label, height, step, kind, pen) -> None:
    digit = digit_of(mnist, label, 3)
    frame, box = ruled_frame(digit, height, step, kind, pen, seed=label)
    rois = uncut(
        DigitSegmenter().find(frame)
    )  # (the digits, not a proposed cut of one: edge.segment.cut_path)
    assert len(rois) == 1, f"found {rois}, expected only the digit at {box}"
    assert rois[0].iou(box) >= 0.5, f"{rois[0]} vs the digit's ink box {box}"
