"""Close-ups: a bold digit held near the camera, cut by the frame or filling it (edge.segment.cut_digits).

Frames are drawn with cv2 at 640x480: a marker digit 300-450 px tall with strokes 40 px wide
that runs off the frame's border or spans nearly its height, beside a pen dot that the finder
took for the digit before (a digit crossing the border for longer than ``max_contact`` was
dropped as a paper edge, and the fallback that takes such pieces back ran only when nothing at
all was found). And what must stay rejected: a band of desk along the border, a finger.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.preprocess import MnistPreprocessor
from edge.segment.cut_digits import cut_digit_seen, with_cut_digits
from edge.segment.digits import DigitSegmenter
from edge.types import ROI
from tests.test_hands import SKINS

H, W, PAPER, INK = 480, 640, 215, 40
#: The finder's border rules: contact, height, width (cut_digit_seen).
LIMITS = (0.12, 0.95, 0.9)


def _camera(grey: np.ndarray, seed: int = 0) -> np.ndarray:
    """uint8 BGR of a float grey scene, slightly blurred, with sensor noise."""
    img = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 1.0)
    img += np.random.default_rng(seed).normal(0, 2.0, img.shape)
    return cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def _zero(cy: int, ry: int, dot: bool = True) -> np.ndarray:
    """uint8 BGR frame: a marker 0 (a ring 40 px wide, 2 ``ry`` px tall) centred at (320, ``cy``)
    on paper, and, with ``dot``, a pen dash 22 px tall near the top-left corner."""
    grey = np.full((H, W), PAPER, np.float32)
    cv2.ellipse(grey, (320, cy), (120, ry), 0, 0, 360, INK, 40, cv2.LINE_AA)
    if dot:
        cv2.line(grey, (60, 60), (62, 82), INK, 4, cv2.LINE_AA)
    return _camera(grey)


def _tallest(rois: list[ROI]) -> ROI:
    return max(rois, key=lambda r: r.h)


@pytest.mark.parametrize("cy, ry", [(300, 200), (140, 190), (240, 232)])
def test_a_marker_digit_cut_by_the_frame_or_filling_it_is_found(cy: int, ry: int) -> None:
    # (300, 200): 60 px below the bottom; (140, 190): 70 px above the top; (240, 232): 464 of 480 px
    rois = DigitSegmenter().find(_zero(cy, ry))
    assert rois, "nothing found"
    big = _tallest(rois)
    assert big.h >= 300, f"the 0 was not found: {rois}"
    assert len(rois) == 1, f"the pen dash beside the close-up stands too: {rois}"


def test_a_cut_digit_alone_is_found_as_before() -> None:
    rois = DigitSegmenter().find(_zero(300, 200, dot=False))
    assert len(rois) == 1 and rois[0].h >= 300


@pytest.mark.parametrize("cy, r, thick", [(60, 110, 50), (20, 100, 60)])
def test_a_close_up_filling_its_window_gives_its_ink_to_the_model(cy: int, r: int, thick: int) -> None:
    # a 9 whose loop runs off the top, 466-472 px tall: its window is the frame's height, its ink
    # fills 85 % of it (the full path's branch for crops crossed by a line), where the loop's
    # contact with the top was held against it: no ink, a blank input read as "1"
    grey = np.full((H, W), PAPER, np.float32)
    cv2.ellipse(grey, (300, cy), (r, r), 0, 0, 360, INK, thick, cv2.LINE_AA)
    cv2.line(grey, (300 + r, cy + 20), (380, 440), INK, thick, cv2.LINE_AA)
    frame = _camera(grey)
    roi = _tallest(DigitSegmenter().find(frame))
    assert roi.y == 0 and roi.h >= 460
    x = MnistPreprocessor(polarity="dark")(frame, [roi])[0, :, :, 0]
    assert x.max() > 0.9, "no ink: a blank input"
    rows, cols = np.nonzero(x.max(axis=1) > 0.5)[0], np.nonzero(x.max(axis=0) > 0.5)[0]
    assert rows.max() - rows.min() >= 17 and cols.max() - cols.min() >= 8
    assert x[: x.shape[0] // 3].sum() > 5, "the loop is missing"


def test_a_desk_band_along_the_border_is_not_a_cut_digit() -> None:
    grey = np.full((H, W), PAPER, np.float32)
    pts = np.array([[0, 0], [70, 0], [40, H], [0, H]], np.int32)  # desk left of a slanted edge
    cv2.fillPoly(grey, [pts], 70)
    cv2.line(grey, (330, 200), (336, 260), INK, 6, cv2.LINE_AA)  # a small 1 on the paper
    rois = DigitSegmenter().find(_camera(grey))
    assert len(rois) == 1 and rois[0].x > 300, rois


def _finger_frame(skin: str, shade: float) -> np.ndarray:
    """uint8 BGR: a finger (``shade`` x a skin tone of :data:`tests.test_hands.SKINS`) entering
    from the bottom, 170 px tall, crossing the border, on white paper with a small pen 1 at (400, 200)."""
    frame = np.full((H, W, 3), 245, np.float32)
    fm = np.zeros((H, W), np.float32)
    cv2.ellipse(fm, (150, H), (40, 170), 10, 0, 360, 1.0, -1)  # a finger from the bottom
    fm = cv2.GaussianBlur(fm, (0, 0), 2)[:, :, None]
    frame = frame * (1 - fm) + np.array(SKINS[skin], np.float32) * shade * fm
    cv2.line(frame, (400, 200), (405, 250), (INK, INK, INK), 6, cv2.LINE_AA)  # a small 1
    return np.clip(frame + np.random.default_rng(1).normal(0, 2, frame.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("shade", [1.0, 0.75])
@pytest.mark.parametrize("skin", sorted(SKINS))
def test_a_finger_entering_the_frame_is_not_a_cut_digit(skin: str, shade: float) -> None:
    # dark skin in shade is 0.3 as light as the paper: a lightness gate took it for ink
    rois = DigitSegmenter().find(_finger_frame(skin, shade))
    assert len(rois) == 1 and rois[0].x > 350, rois


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_a_finger_entering_a_grey_frame_does_not_replace_the_digit(skin: str) -> None:
    # a grey or IR camera: no colour to tell skin by. A slim finger may be a stroke: it is added to
    # the candidates, not put in their place; a solid one (wider than 0.4 of its length) is dropped
    grey = cv2.cvtColor(_finger_frame(skin, 1.0), cv2.COLOR_BGR2GRAY)
    rois = DigitSegmenter().find(grey)
    assert any(r.x > 350 for r in rois), f"the pen 1 was replaced: {rois}"
    if skin == "dark":  # (the darker, the more of the finger is ink: a blob)
        assert len(rois) == 1, f"the finger was taken for a digit: {rois}"


def test_red_ink_cut_by_the_frame_is_not_skin() -> None:
    # a red ballpoint as a camera sees it (paler than its core, anti-aliased): in the YCrCb skin
    # box and as light as a finger, but twice as red for its green as the paper
    frame = np.full((H, W, 3), PAPER, np.float32)
    cv2.ellipse(frame, (320, 300), (120, 200), 0, 0, 360, (70, 70, 150), 40, cv2.LINE_AA)
    cv2.line(frame, (60, 60), (62, 82), (70, 70, 150), 4, cv2.LINE_AA)
    img = np.clip(frame + np.random.default_rng(2).normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
    rois = DigitSegmenter().find(img)
    assert len(rois) == 1 and rois[0].h >= 300, rois


def test_the_rules_on_tables() -> None:
    # a piece crossing the bottom (contact 40 of 200 px), one running along the left (contact 190)
    crossing = np.array([[100.0, 40, 220, 240, 9000, 40, 0]])
    along = np.array([[0.0, 20, 30, 240, 3000, 190, 0]])
    speck = np.array([[20.0, 20, 24, 30, 30, 0, 0]])
    assert cut_digit_seen(crossing, speck, 320, 240, LIMITS)
    assert not cut_digit_seen(along, speck, 320, 240, LIMITS)
    assert not cut_digit_seen(crossing, np.array([[20.0, 20, 60, 140, 900, 0, 0]]), 320, 240, LIMITS)
    many = np.repeat(speck, 14, axis=0)  # the numpy branch (more than FEW pieces): the same answers
    assert cut_digit_seen(np.concatenate([many, crossing]), speck, 320, 240, LIMITS)
    assert not cut_digit_seen(np.concatenate([many, along]), speck, 320, 240, LIMITS)
    ink = (np.zeros((240, 320), np.uint8), np.full((240, 320), 30, np.uint8))
    both = with_cut_digits(speck, crossing, ink)  # added to the candidates, never in their place
    assert both.tolist() == [*speck.tolist(), *crossing.tolist()]
    colour = np.full((240, 320, 3), 200, np.uint8)
    assert with_cut_digits(speck, crossing, ink, colour).tolist() == both.tolist()
    assert with_cut_digits(speck, along, ink) is speck
