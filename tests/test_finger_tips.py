"""The finger holding the paper is not a digit (edge.segment.finger_tips); ink of skin's hue is.

Frames drawn with OpenCV (helpers of ``tests/test_skin_pieces.py``): a sheet over a desk, a finger
(an opaque skin-coloured ellipse with a lighter nail) coming in from the frame's bottom across the
paper's edge, pen digits drawn as rings, blur and sensor noise.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digits import DigitSegmenter
from edge.segment.finger_tips import (
    HUE_NEAR,
    MAX_HUE,
    SAT_NEAR,
    _hue_codes,
    _lit_median,
    _may_be_skin,
    _sat_codes,
    finger_boxes,
)
from edge.segment.ring_colour import pixel_medians
from edge.segment.skin_colour import HSV_SKIN
from edge.segment.skin_pieces import MIN_HUE_APART, MORE_SATURATED, hsv_of
from tests.test_hands import SKINS
from tests.test_skin_pieces import WARM, WHITE, YELLOW_NOTE, photo, sheet

DESK = (70, 80, 90)
BLACK_PEN, BROWN_PEN = (40, 40, 40), (30, 60, 120)
ORANGE_NOTE = (120, 185, 250)


def _blend(img: np.ndarray, alpha: np.ndarray, colour: np.ndarray) -> np.ndarray:
    return img * (1 - alpha[:, :, None]) + colour * alpha[:, :, None]


def scene(
    skin: str | None,
    paper: tuple[int, int, int] = WHITE,
    pens: tuple[tuple[int, int, int], ...] = (BLACK_PEN, BROWN_PEN),
    warm: bool = False,
) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: paper down to row 330 over a desk, two "0"s at (180, 150) and
    (470, 150) in ``pens``, and (unless ``skin`` is ``None``) a finger of ``SKINS[skin]`` with
    a lighter nail, its tip 20 px over the paper's edge."""
    img = np.broadcast_to(np.array(DESK, np.float32), (480, 640, 3)).copy()
    img[:330] = sheet(330, 640, paper, 0)
    if skin is not None:
        tone = np.array(SKINS[skin], np.float32)
        body, nail = np.zeros((480, 640), np.float32), np.zeros((480, 640), np.float32)
        cv2.ellipse(body, (330, 430), (30, 110), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
        cv2.ellipse(nail, (330, 345), (18, 22), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
        img = _blend(_blend(img, body, tone), nail, np.minimum(tone * 1.25 + 30, 255))
    for cx, pen in zip((180, 470), pens, strict=True):
        ring = np.zeros((480, 640), np.float32)
        cv2.ellipse(ring, (cx, 150), (20, 34), 0, 0, 360, 1.0, 5, cv2.LINE_AA)
        img = _blend(img, ring, np.array(pen, np.float32))
    if warm:
        img = img * np.array(WARM, np.float32)
    return photo(img, 1)


def _centres(rois: list) -> list[tuple[float, float]]:
    return [(r.x + r.w / 2, r.y + r.h / 2) for r in rois]


def test_a_dark_fingertip_with_a_nail_over_the_paper_is_no_digit() -> None:
    """Over the paper the dark finger is darker than the sheet, its nail lighter: a digit-sized
    ring round the nail, cut off at the paper's edge (found before finger_tips as a box at
    (318, 318)); its skin runs on down to the hand, the pens' rings end in their boxes."""
    rois = DigitSegmenter().find(scene("dark"))
    assert sorted(_centres(rois)) == [(181.0, 151.0), (471.0, 151.0)]


@pytest.mark.parametrize("skin", sorted(SKINS))
@pytest.mark.parametrize("paper", [WHITE, YELLOW_NOTE, ORANGE_NOTE])
def test_digits_beside_a_finger_are_kept(skin, paper) -> None:
    """A black and a brown "0" (brown: skin's hue) beside the finger are both found."""
    rois = DigitSegmenter().find(scene(skin, paper))
    centres = _centres(rois)
    for cx in (181.0, 471.0):
        assert any(abs(x - cx) <= 3 and abs(y - 151.0) <= 3 for x, y in centres), (cx, centres)


def _ink(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The finder's boxes (analysis px) and ink (darkness, level) of ``img``."""
    seg = DigitSegmenter()
    rois = seg.find(img)
    a = seg.last_analysis
    assert a is not None
    return np.array(a.boxes(rois), np.float64), a.dark, a.level


@pytest.mark.parametrize(
    "paper, pens, warm",
    [
        (WHITE, (BROWN_PEN, BROWN_PEN), False),  # brown ink: skin's hue, but its strokes end in the box
        (ORANGE_NOTE, (BLACK_PEN, BROWN_PEN), False),  # dark ink on a note of skin's colour
        (YELLOW_NOTE, (BROWN_PEN, BLACK_PEN), False),
        (WHITE, (BLACK_PEN, BLACK_PEN), True),  # black ink in a warm light: the light's tint
    ],
)
def test_pen_digits_are_no_fingers(paper, pens, warm) -> None:
    img = scene(None, paper, pens, warm)
    boxes, dark, level = _ink(img)
    assert len(boxes) == 2
    assert not finger_boxes(boxes, img, dark, level).any()


def test_the_fingertip_box_is_a_finger() -> None:
    """finger_boxes itself: the dark fingertip's box (found by the digit finder's own rules)
    is a finger, the pens' boxes are not; without colour the finder keeps every box."""
    img = scene("dark")
    tip = np.array([[159.0, 159.0, 176.0, 170.0]])  # (analysis px: the box the finder found)
    boxes, dark, level = _ink(img)
    both = np.vstack([boxes, tip])
    assert finger_boxes(both, img, dark, level).tolist() == [False] * len(boxes) + [True]


def test_the_cheap_colour_test_passes_every_colour_of_skin() -> None:
    """_may_be_skin (plain Python) may reject only what hsv_of's test rejects: over every pixel
    hsv_of can make (the brightest channel 255, or black), OpenCV's saturation is 255 less the
    darkest channel and a hue of skin's has red at 255; and on medians (halves of 0..255) Python's
    rounding is NumPy's (half to even), so _may_be_skin sees hsv_of's pixel."""
    (h0, _), (s0, s1) = HSV_SKIN
    values = np.arange(256)
    pixels = [np.zeros((1, 3), np.int64)]
    for top in range(3):  # the channel at 255
        a, b = np.meshgrid(values, values, indexing="ij")
        px = np.full((a.size, 3), 255)
        px[:, [c for c in range(3) if c != top]] = np.stack([a.ravel(), b.ravel()], axis=1)
        pixels.append(px)
    px = np.concatenate(pixels)
    hsv = cv2.cvtColor(px.astype(np.uint8)[None], cv2.COLOR_BGR2HSV)[0].astype(np.int64)
    bright = px.max(axis=1) == 255
    assert np.array_equal(hsv[bright, 1], 255 - px[bright].min(axis=1))
    skin = ((hsv[:, 0] <= MAX_HUE) | (hsv[:, 0] >= 180 + h0)) & (hsv[:, 1] >= s0) & (hsv[:, 1] <= s1)
    assert skin.sum() > 1000 and (px[skin, 2] == 255).all()
    assert all(_may_be_skin(p.astype(np.float64)) for p in px[skin])
    assert not any(_may_be_skin(p.astype(np.float64)) for p in px[px[:, 2] < 255][::97])  # (it does reject)
    halves = np.arange(511) / 2.0
    c, top = np.meshgrid(halves, halves[1:], indexing="ij")
    ok = c <= top
    ratio = c[ok] / top[ok] * 255.0
    assert np.array_equal(np.array([round(v) for v in ratio.tolist()]), np.round(ratio))
    rng = np.random.default_rng(5)
    for own in rng.integers(0, 511, (3000, 3)) / 2.0:  # medians: hsv_of's test itself, end to end
        h, s, _ = hsv_of(own / max(own.max(), 1e-6))
        assert _may_be_skin(own) or not ((h <= MAX_HUE or h >= 180 + h0) and s0 <= s <= s1)


def test_the_cheap_colour_test_rounds_half_to_even_like_hsv_of() -> None:
    """A colour on a rounding tie: 65.5 / 85 x 255 = 196.5 rounds to 196 (half to even, as hsv_of's
    np.round), saturation 255 - 196 = 59, skin's least; rounded half up (197) it would be 58 and the
    finger's colour rejected."""
    own = np.array([65.5, 65.5, 85.0])
    hue, sat, _ = hsv_of(own / own.max())
    assert sat == HSV_SKIN[1][0] and (hue <= MAX_HUE or hue >= 180 + HSV_SKIN[0][0])
    assert _may_be_skin(own)


def _lit_median_as_written(part: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """_lit_median's form before session 31: the paper's pixels copied out, their grey, its median."""
    ring = part.reshape(-1, 3).compress((paper > 0).reshape(-1), axis=0)
    grey = cv2.cvtColor(ring[None], cv2.COLOR_BGR2GRAY).reshape(-1, 1)
    lit = (grey >= pixel_medians(grey)[0]).reshape(-1)
    return pixel_medians(ring.compress(lit, axis=0))


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (40, 30), (97, 144)])
def test_the_paper_s_lit_half_is_read_as_it_was(shape: tuple[int, int]) -> None:
    """_lit_median (masks and histograms of the window) gives the old copy-and-sort's float64 medians,
    bit for bit: one pixel, a few, ties (few levels: whole and half medians), every brightness
    equal, and rings large enough for histograms (a view of a larger frame too)."""
    rng = np.random.default_rng(shape[0])
    frame = rng.integers(0, 256, (shape[0] + 4, shape[1] + 6, 3), dtype=np.uint8)
    for trial in range(40):
        part = frame[2 : 2 + shape[0], 3 : 3 + shape[1]]  # (a view: the frame at the analysis size)
        if trial % 4 == 1:
            part = (part // 64 * 64).astype(np.uint8)  # (ties)
        elif trial % 4 == 2:
            part = np.ascontiguousarray(np.broadcast_to(part[:1, :1], part.shape))  # (one colour)
        paper = (rng.random(shape) < rng.choice([0.05, 0.5, 1.0])).astype(np.uint8) * 255
        paper.reshape(-1)[rng.integers(paper.size)] = 255  # (at least one pixel)
        got, want = _lit_median(part, paper), _lit_median_as_written(part, paper)
        assert got.dtype == want.dtype == np.float64 and got.tobytes() == want.tobytes()


def test_the_material_s_codes_are_the_per_pixel_tests() -> None:
    """The hue and saturation codes (1 and 1: the ink's colour; 2 and 2: the paper's, or its tint)
    select the pixels the per-pixel formulas selected, for every pair of 8-bit hue and saturation
    (OpenCV's hue is 0..179; the levels above it too) and inks and papers round the hue circle."""
    h, s = (a.astype(np.uint8) for a in np.meshgrid(np.arange(256), np.arange(256), indexing="ij"))
    mixed = 0
    for hue, sat, paper_hue, paper_sat in [
        (0, 40, 0, 0),
        (3, 59, 175, 30),
        (176, 173, 2, 200),
        (10, 120, 15, 92),
        (25, 255, 100, 255),
        (179, 1, 179, 197),
        (90, 0, 85, 1),
    ]:
        d = cv2.absdiff(h, np.full(h.shape, hue, np.uint8))
        near = cv2.min(d, cv2.subtract(np.full_like(d, 180), d)) <= HUE_NEAR
        want = near & (s >= SAT_NEAR * sat)
        dp = np.abs(h.astype(np.int16) - paper_hue)
        want &= ~((np.minimum(dp, 180 - dp) < MIN_HUE_APART) & (s < MORE_SATURATED * paper_sat))
        both = cv2.bitwise_and(cv2.LUT(h, _hue_codes(hue, paper_hue)), cv2.LUT(s, _sat_codes(sat, paper_sat)))
        assert np.array_equal(cv2.inRange(both, 1, 1) > 0, want), (hue, sat, paper_hue, paper_sat)
        mixed += 0 < want.sum() < want.size
    assert mixed >= 5
    assert not _hue_codes(3, 175).flags.writeable and not _sat_codes(59, 30).flags.writeable
