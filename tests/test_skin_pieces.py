"""The digit finder's last resort (a tight crop whose digit runs along the border) and skin
(edge.segment.skin_pieces): a finger entering the frame is not a digit, a red digit on a yellow
note (orange, as skin) still is.

Frames drawn with OpenCV: paper with uneven light, a finger (an opaque skin-coloured ellipse cut
by the frame's border), pen strokes, blur and sensor noise.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digits import DigitSegmenter
from edge.segment.skin_pieces import (
    HIST_PIXELS,
    channel_medians,
    ink_medians,
    ink_window,
    paper_round,
    ring_window,
    skin_boxes,
    solid_boxes,
)
from tests.test_hands import SKINS

WHITE, YELLOW_NOTE = (242, 244, 245), (125, 228, 250)
#: Warm light (BGR gains: a 3000 K lamp) on white paper: tinted, as saturated as a pale note.
WARM = (0.7, 0.88, 1.0)
RED_PEN = np.array((40, 40, 170), np.float32)


def sheet(h: int, w: int, paper: tuple[int, int, int], seed: int) -> np.ndarray:
    """float32 (h, w, 3) BGR paper lit from the left (light falling to 80 % on the right)."""
    light = np.linspace(1.0, 0.8, w, dtype=np.float32)[None, :, None]
    return np.broadcast_to(np.array(paper, np.float32) * light, (h, w, 3)).copy()


def photo(img: np.ndarray, seed: int) -> np.ndarray:
    """uint8 BGR: blurred (1 px) with sensor noise (3 levels)."""
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(img, (0, 0), 1.0) + rng.normal(0, 3, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def finger(
    img: np.ndarray, centre: tuple[int, int], axes: tuple[int, int], tone: np.ndarray, shade: float
) -> None:
    """An opaque finger (a skin-coloured ellipse, ``shade`` x ``tone``, BGR) drawn into ``img``."""
    mask = np.zeros(img.shape[:2], np.float32)
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    img[:] = img * (1 - mask[:, :, None]) + tone * shade * mask[:, :, None]


@pytest.mark.parametrize("skin", sorted(SKINS))
@pytest.mark.parametrize("paper", [WHITE, YELLOW_NOTE])
@pytest.mark.parametrize("centre, axes, shade", [((670, 270), (70, 40), 0.9), ((320, 500), (45, 80), 0.75)])
def test_a_finger_entering_the_frame_is_no_digit(skin, paper, centre, axes, shade) -> None:
    """Nothing else in the frame, so the last resort looked for a tight crop and took the finger
    cut by the border for a digit (a "1" at 96 % in realistic frame 6/00042 of seed 21); dark
    skin in shade is about 0.4 as light as the paper, as a lightness gate's ink."""
    img = sheet(480, 640, paper, 0)
    finger(img, centre, axes, np.array(SKINS[skin], np.float32), shade)
    assert DigitSegmenter().find(photo(img, 1)) == []


@pytest.mark.parametrize(
    "skin", ["light", "medium"]
)  # (dark skin in this light: more saturated than skin's range)
@pytest.mark.parametrize("centre, axes, shade", [((670, 270), (70, 40), 0.9), ((320, 500), (45, 80), 0.75)])
def test_a_finger_on_white_paper_in_warm_light_is_no_digit(skin, centre, axes, shade) -> None:
    """Warm light tints the paper as saturated as a coloured note and the finger within 20 degrees
    of its hue: skin is told from the paper darkened (a pencil on a note) by being more saturated."""
    warm = np.array(WARM, np.float32)
    img = sheet(480, 640, WHITE, 0) * warm
    finger(img, centre, axes, np.array(SKINS[skin], np.float32) * warm, shade)
    assert DigitSegmenter().find(photo(img, 1)) == []


def test_a_red_digit_on_a_yellow_note_cropped_tight_is_still_found() -> None:
    """Red ink on a yellow note is orange, as skin, but its strokes are thin: a tight crop of
    a 7 whose bar runs along the top border (found only by the last resort) stays a digit."""
    img = sheet(126, 90, YELLOW_NOTE, 2)
    alpha = np.zeros(img.shape[:2], np.float32)
    cv2.polylines(alpha, [np.array([(12, 2), (78, 2), (40, 118)], np.int32)], False, 1.0, 9, cv2.LINE_AA)
    img = img * (1 - 0.9 * alpha[:, :, None]) + RED_PEN * 0.9 * alpha[:, :, None]
    rois = DigitSegmenter().find(photo(img, 3))
    assert len(rois) == 1 and rois[0].h >= 100


def test_skin_needs_colour_and_a_solid_piece() -> None:
    dark = np.zeros((60, 80), np.uint8)
    level = np.full((60, 80), 50, np.uint8)
    cv2.ellipse(dark, (60, 30), (15, 12), 0, 0, 360, 120, -1)  # a solid blob ...
    cv2.line(dark, (10, 10), (10, 50), 120, 2)  # ... and a thin stroke
    colour = np.full((120, 160, 3), (242, 244, 245), np.uint8)
    cv2.ellipse(colour, (120, 60), (30, 24), 0, 0, 360, (108, 135, 180), -1)  # skin under the blob
    cv2.line(colour, (20, 20), (20, 100), (108, 135, 180), 4)  # and under the stroke
    boxes = np.array([[45, 18, 76, 43], [8, 10, 13, 51]], np.float64)
    assert skin_boxes(boxes, colour, dark, level).tolist() == [True, False]
    assert skin_boxes(boxes, None, dark, level).tolist() == [False, False]  # a grey frame
    grey_blob = colour.copy()
    cv2.ellipse(grey_blob, (120, 60), (30, 24), 0, 0, 360, (140, 140, 140), -1)  # pencil-grey
    assert not skin_boxes(boxes, grey_blob, dark, level).any()


def test_dark_skin_is_skin_and_dark_ink_in_a_warm_light_is_not() -> None:
    dark = np.zeros((60, 80), np.uint8)
    level = np.full((60, 80), 50, np.uint8)
    cv2.ellipse(dark, (60, 30), (15, 12), 0, 0, 360, 120, -1)  # a solid blob ...
    cv2.line(dark, (10, 10), (10, 50), 120, 2)  # ... and a thin stroke
    boxes = np.array([[45, 18, 76, 43], [8, 10, 13, 51]], np.float64)
    assert solid_boxes(boxes, dark, level).tolist() == [True, False]  # colour-free
    for tone, skin in [(np.array(SKINS["dark"]) * 0.75, True), ((30, 38, 45), False)]:  # black marker, warm
        colour = np.full((120, 160, 3), (242, 244, 245), np.uint8)
        cv2.ellipse(colour, (120, 60), (30, 24), 0, 0, 360, tuple(float(c) for c in tone), -1)
        assert skin_boxes(boxes, colour, dark, level).tolist() == [skin, False], tone


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 399, 400])
@pytest.mark.parametrize("step", [1, 64])
def test_channel_medians_are_numpys_median_of_each_channel(n: int, step: int) -> None:
    rng = np.random.default_rng(n)
    image = (rng.integers(0, 256, (20, 20, 3), dtype=np.uint8) // step * step).astype(
        np.uint8
    )  # (step: ties)
    mask = np.zeros((20, 20), np.uint8)
    mask.reshape(-1)[rng.choice(400, n, replace=False)] = 255
    channels = cv2.split(image)
    expected = np.array([np.median(c[mask > 0]) for c in channels])  # (the form it replaces)
    got = channel_medians(image, mask)
    assert got.dtype == np.float64 and np.array_equal(got, expected)
    grey = channel_medians(channels[1], mask)  # one channel: (h, w)
    assert grey.shape == (1,) and grey[0] == expected[1]


@pytest.mark.parametrize("n", [HIST_PIXELS - 1, HIST_PIXELS, 3 * HIST_PIXELS - 1, 3 * HIST_PIXELS, 6000])
@pytest.mark.parametrize("step", [1, 64])
def test_channel_medians_of_many_pixels_are_numpys_median(n: int, step: int) -> None:
    """Both sides of the switch to histograms (HIST_PIXELS a channel: one and three channels), with
    ties, an image and a mask that are views of larger ones, and a mask of 1 (not 255) for its pixels."""
    rng = np.random.default_rng(n + step)
    frame = (rng.integers(0, 256, (84, 90, 3), dtype=np.uint8) // step * step).astype(np.uint8)
    image = frame[2:82, 5:85]  # (80 x 80, a view)
    flat = np.zeros(6400, np.uint8)
    flat[rng.choice(6400, n, replace=False)] = 1
    mask = np.zeros((83, 87), np.uint8)[1:81, 4:84]  # (a view too, as ink_medians' ink rectangle)
    mask[:] = flat.reshape(80, 80)
    channels = cv2.split(image)
    expected = np.array([np.median(c[mask > 0]) for c in channels])
    got = channel_medians(image, mask)
    assert got.dtype == np.float64 and got.tobytes() == expected.tobytes()
    grey = channel_medians(channels[2], mask)
    assert grey.shape == (1,) and grey[0] == expected[2]


def test_channel_medians_of_no_pixel_is_an_error() -> None:
    with pytest.raises(ValueError):
        channel_medians(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.uint8))


@pytest.mark.parametrize("frame", [(480, 640), (300, 400), (240, 320)])  # x 2, x 1.6 and x 1 the analysis
def test_the_ink_s_colour_is_read_from_the_whole_window_resized(frame: tuple[int, int]) -> None:
    """ink_medians resizes only the ink's bounding rectangle where the frame is an integer
    multiple of the analysis image; its medians are those of ring_window's window (the frame's
    crop under it resized with area interpolation), read here the long way."""
    rng = np.random.default_rng(sum(frame))
    colour = cv2.GaussianBlur(rng.integers(0, 256, (*frame, 3), dtype=np.uint8), (5, 5), 0)
    dark, level = np.zeros((240, 320), np.uint8), np.full((240, 320), 128, np.uint8)
    for x, y in [(40, 50), (150, 90), (0, 200), (290, 5)]:  # (inside, and cut by the border)
        cv2.ellipse(dark, (x + 15, y + 20), (12, 18), 0, 0, 360, 255, 3)
    cv2.line(dark, (60, 110), (130, 110), 255, 2)  # (a neighbour's stroke in the ring)
    fy, fx = frame[0] / 240, frame[1] / 320
    for x, y in [(40, 50), (150, 90), (0, 200), (290, 5), (200, 170)]:
        box = [x, y, min(x + 30, 320), min(y + 40, 240)]
        got = ink_medians(box, colour, dark, level)
        window = ink_window(box, colour, dark, level)
        if (x, y) == (200, 170):  # no ink
            assert got is None and window is None and ring_window(box, colour, dark, level) is None
            continue
        assert got is not None and window is not None
        (x0, y0, x1, y1), part, ink = window
        crop = colour[int(y0 * fy) : int(y1 * fy), int(x0 * fx) : int(x1 * fx)]
        assert np.array_equal(part, cv2.resize(crop, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA))
        assert np.array_equal(ink, np.where(dark[y0:y1, x0:x1] > level[y0:y1, x0:x1], 255, 0))
        assert got[0] == (x0, y0, x1, y1) and np.array_equal(got[1], ink)
        paper = paper_round(ink)
        assert paper is not None and np.array_equal(
            paper, np.where(cv2.dilate(ink, np.ones((3, 3))) > 0, 0, 255)
        )
        expected = np.array([np.median(c[ink > 0]) for c in cv2.split(part)])
        assert got[2].dtype == np.float64 and np.array_equal(got[2], expected)


def test_hsv_of_is_opencvs_of_numpys_pixel() -> None:
    """hsv_of's plain-Python pixel (kept per colour) is NumPy's: x 255 rounded half to even (ties
    included), clipped to 0..255; float32, non-finite and other shapes take NumPy's path."""
    from edge.segment.skin_pieces import hsv_of

    def numpy_hsv(bgr: np.ndarray) -> tuple[int, int, int]:
        pixel = np.clip(np.round(bgr * 255.0), 0, 255).astype(np.uint8).reshape(1, 1, 3)
        h, s, v = (int(c) for c in cv2.cvtColor(pixel, cv2.COLOR_BGR2HSV)[0, 0])
        return h, s, v

    rng = np.random.default_rng(3)
    colours = list(rng.random((3000, 3)))
    colours += list(rng.integers(0, 256, (500, 3)) / 255.0)  # whole levels
    colours += list((rng.integers(0, 510, (500, 3)) + 1) / 510.0)  # near ties (k + 0.5 levels)
    colours += list(rng.integers(0, 511, (500, 3)) / 2.0 / 255.0)
    colours += [np.array([0.5, 1.5 / 255, 2.5 / 255]), np.array([-0.2, 1.3, 0.0]), np.zeros(3), np.ones(3)]
    for bgr in colours:
        assert hsv_of(bgr) == numpy_hsv(bgr)
        assert hsv_of(bgr) == numpy_hsv(bgr)  # (kept)
    assert hsv_of(np.array([0.2, 0.5, 0.9], np.float32)) == numpy_hsv(np.array([0.2, 0.5, 0.9], np.float32))
