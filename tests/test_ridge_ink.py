"""A blurred stroke is still a ridge (edge.segment.ridge_ink): blurred small digits whose loops fill in at
the frame's ink level are read at half their own peak darkness; solid blots stay dropped.

Frames are drawn with cv2: an 8 (two ellipses, 3-px stroke) 34-40 px tall on grey paper in a 640 x 480
frame, blurred (Gaussian sigma 1.6-2 px, 5 % of its height, a webcam out of focus), with sensor noise;
at the 320-px analysis its loops filled in and the solid-blob rule dropped it (nothing found). Blurred
solid ellipses of the same sizes are the blots that must stay dropped, and so are larger things with a
dark rim (a card lying on the page: wider than the paper kernel, only its rim reads dark).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_pieces import AREA, MX
from edge.segment.digits import DigitSegmenter
from edge.segment.ridge_ink import OPEN_FILL, half_peak_fill, reopened

PAPER, INK = 200, 60


def _noisy(img: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    noisy = img + np.random.default_rng(seed).normal(0, 2, img.shape)
    return cv2.cvtColor(np.clip(noisy, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def _eight(height: int, stroke: int, sigma: float, seed: int = 0) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a blurred 8 about ``height`` px tall centred at (300, 240)."""
    img = np.full((480, 640), PAPER, np.uint8)
    r = height // 4
    cv2.ellipse(img, (300, 240 - r), (r - 1, r), 0, 0, 360, INK, stroke, cv2.LINE_AA)
    cv2.ellipse(img, (300, 240 + r), (r, r), 0, 0, 360, INK, stroke, cv2.LINE_AA)
    return _noisy(img, sigma, seed)


def _blot(size: int, sigma: float) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a solid ellipse ``size`` x 4/3 ``size`` px, blurred."""
    img = np.full((480, 640), PAPER, np.uint8)
    cv2.ellipse(img, (300, 240), (size // 2, size * 2 // 3), 0, 0, 360, INK, -1, cv2.LINE_AA)
    return _noisy(img, sigma, 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_blurred_small_eight_is_found(seed: int) -> None:
    rois = DigitSegmenter().find(_eight(34, 3, 1.6, seed))
    assert len(rois) == 1  # (before: none, dropped as a solid blob)
    r = rois[0]
    assert abs(r.x + r.w / 2 - 300) <= 4 and abs(r.y + r.h / 2 - 240) <= 4
    assert 30 <= r.h <= 46


@pytest.mark.parametrize(("size", "sigma"), [(14, 1.6), (20, 1.6), (20, 0.8), (20, 2.5), (14, 2.5)])
def test_a_blurred_solid_blot_stays_dropped(size: int, sigma: float) -> None:
    assert DigitSegmenter().find(_blot(size, sigma)) == []


@pytest.mark.parametrize(("w", "h"), [(120, 90), (80, 60)])
def test_a_large_dark_rimmed_thing_is_not_read_as_a_blurred_digit(w: int, h: int) -> None:
    # a photo or card lying on the page: a dark rim, a lighter inside; wider than the paper kernel
    # the flat-field reads only its rim as dark, which opens up at half its peak like a digit
    img = np.full((480, 640), PAPER, np.uint8)
    x0, y0 = 320 - w // 2, 240 - h // 2
    cv2.rectangle(img, (x0, y0), (x0 + w, y0 + h), INK, -1)
    cv2.rectangle(img, (x0 + 10, y0 + 10), (x0 + w - 10, y0 + h - 10), 140, -1)
    assert DigitSegmenter().find(_noisy(img, 1.0, 0)) == []


def test_half_peak_fill_opens_a_blurred_eight_not_a_blot() -> None:
    def darkness(img: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        return cv2.bitwise_not(cv2.divide(grey, np.full_like(grey, PAPER), scale=255.0))

    box = np.array([[270.0, 200.0, 330.0, 280.0]])
    level = np.full((480, 640), 30, np.uint8)
    eight, blot = darkness(_eight(40, 3, 2.0)), darkness(_blot(20, 1.6))
    area, fill = half_peak_fill(box, eight, level)
    assert 0 < area[0] < cv2.countNonZero(cv2.compare(eight[200:280, 270:330], 30, cv2.CMP_GT))
    assert fill[0] <= OPEN_FILL
    assert half_peak_fill(box, blot, level)[1][0] > OPEN_FILL
    # an empty box, a box without ink, a box off the image
    empty = np.array([[5.0, 5.0, 5.0, 9.0], [0.0, 0.0, 40.0, 40.0], [700.0, 10.0, 720.0, 30.0]])
    a, f = half_peak_fill(empty, eight, level)
    assert a.tolist() == [0.0, 0.0, 0.0] and f.tolist() == [0.0, 0.0, 0.0]


def test_a_reopened_box_keeps_its_centre_of_mass() -> None:
    # the new (half-peak) ink area replaced the area column but not the x-sum: centre x = x-sum / area
    # moved by the ratio of the areas (for this 8: tens of px, out of its own box)
    grey = cv2.cvtColor(_eight(34, 3, 1.6), cv2.COLOR_BGR2GRAY)[::2, ::2]  # about the 320-px analysis
    dark = cv2.bitwise_not(cv2.divide(grey, np.full_like(grey, PAPER), scale=255.0))
    level = np.full(dark.shape, 30, np.uint8)
    mask = cv2.compare(dark, 30, cv2.CMP_GT)
    x, y, w, h = cv2.boundingRect(mask)
    ink = cv2.countNonZero(mask)
    box = np.array([[x, y, x + w, y + h, ink, 0.0, ink * 150.0]], float)
    out = reopened(box, [], [0], DigitSegmenterConfig(), (dark, level))
    assert len(out) == 1 and 0 < out[0, AREA] < ink
    assert out[0, MX] / out[0, AREA] == pytest.approx(150.0)
