"""Not a digit: the fingertip or thumb that holds the paper, skin that runs on out of its box.

A user holds the sheet with a thumb or finger in view. Over the paper the finger is darker than
the sheet, so the digit finder (:class:`edge.segment.digits.DigitSegmenter`) takes it for ink: a
dark finger as a filled blob, a pale one (darker than the paper only round a lighter nail) as a
thick ring, both cut off where the finger leaves the paper (past its edge the finger is no darker
than the desk or hand around it, so no ink). The piece has paper round three of its sides, is
digit-sized and not on the frame's border, and the model reads a rounded tip as "0", "6" or "9"
(0.29-0.6; the demo's long videos showed a finger on some 400 frames of seeds 0-4).

What tells the finger from ink is that it goes on. A pen's stroke ends where its ink ends: the
pixels of the ink's colour around a digit are its own strokes, all inside its box. A finger's
skin runs on past the ink, across the paper's edge to the hand: pixels of the same material
(the ink's hue and saturation, at any brightness, so shading along the finger, a lit or a
shadowed hand, and a nail or none do not matter) reach out of the box, and as a band as wide as
a finger, not a stroke. :func:`finger_boxes` calls a candidate a finger when the median colour of
its ink is skin's (a hue of :data:`edge.segment.skin_colour.HSV_SKIN` or up to
:data:`MAX_HUE`, down to red: a dark skin in a cold light is reddish; skin of every tone,
lit or in shade, has that hue and some saturation, Sobottka & Pitas 1996), coloured and not the
paper's own colour (the tests of :mod:`edge.segment.skin_pieces`: black or blue ink in a warm
light stays grey, pencil on an orange note is the note's colour darkened), and the pixels of its
material that touch its ink, beyond the ink, cross the border of the box grown by a quarter of its
longer side (not the frame's border) along at least :data:`MIN_FRONT` of that side. Red, brown or
orange ink is of skin's hue too, but its strokes end inside the box or run into the frame's border
(a close-up's); digits on a pink or orange note are dark ink on it, and the note, the paper's
colour, is not the ink's material.

Without colour (a grey or IR camera) nothing is dropped here.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import cv2
import numpy as np

from edge.segment.ink_analysis import InkAnalysis
from edge.segment.skin_colour import HSV_SKIN
from edge.segment.skin_pieces import (
    MIN_CHROMA,
    MIN_HUE_APART,
    MORE_SATURATED,
    channel_medians,
    frame_under,
    hsv_of,
    ink_medians,
    paper_round,
)
from edge.types import ROI

__all__ = ["HUE_NEAR", "MAX_HUE", "MIN_FRONT", "SAT_NEAR", "TINTED", "finger_boxes", "not_fingers"]

#: The ink's material: pixels within this hue of the ink's median (OpenCV units, degrees / 2:
#: 16 degrees) ...
HUE_NEAR = 8
#: ... and at least this share of its saturation (shading keeps a surface's hue and most of its
#: saturation; a stroke's blurred rim, mixed with white paper, keeps the hue but pales).
SAT_NEAR = 0.5
#: Skin of the paper's hue is at least this many times as saturated as the paper (the ring's brighter
#: half): black ink in a warm light takes the light's tint, up to 1.3 x the saturation of the lit
#: paper beside a shadow (the demo's seed 3, frames 78-106), where skin is more saturated than
#: any tinted white (Sobottka & Pitas: S >= 0.23).
TINTED = 1.5
#: Highest hue of skin (OpenCV units): :data:`~edge.segment.skin_colour.HSV_SKIN`'s top.
MAX_HUE = HSV_SKIN[0][1]
#: A finger runs out of its box (grown by a quarter of its longer side) along at least this
#: share of that side: a finger is as wide as a quarter to the whole of its tip's box; a pen's
#: stroke ends inside the box (a stroke crossing the frame's border: a fifth of it at most).
MIN_FRONT = 0.25


def not_fingers(rois: list[ROI], image: np.ndarray, analysis: InkAnalysis | None) -> list[ROI]:
    """``rois`` without the fingertips (:func:`finger_boxes`).

    Args:
        rois: the segmenter's candidates, full-frame px.
        image: the uint8 (H, W, 3) BGR frame they were found in (any other shape, e.g. grey (H, W):
            ``rois`` as they are).
        analysis: the segmenter's ink of that frame, or ``None`` (then ``rois`` as they are).

    Returns:
        ``rois`` (the same list when none is dropped), the rest in the same order.
    """
    if analysis is None or not rois or image.shape[2:] != (3,) or analysis.light:
        return rois
    finger = finger_boxes(analysis.boxes(rois), image, analysis.dark, analysis.level)
    return rois if not finger.any() else [r for r, f in zip(rois, finger.tolist(), strict=True) if not f]


def finger_boxes(
    boxes: np.ndarray | Sequence[tuple[int, int, int, int]],
    colour: np.ndarray,
    dark: np.ndarray,
    level: np.ndarray,
) -> np.ndarray:
    """Which candidates are a finger: skin-coloured ink whose material runs out of its box, bool (N,).

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1 in analysis px, or N such boxes of whole numbers
            (:meth:`edge.segment.ink_analysis.InkAnalysis.boxes`: taken as they are, with no
            array round trip).
        colour: the uint8 (H, W, 3) BGR frame the analysis image was scaled from.
        dark: uint8 (h, w) darkness of the analysis image (0 paper .. 255 black) ...
        level: uint8 (h, w) ... and the ink threshold: ink is darker than it.

    Returns:
        bool (N,): see the module docstring.
    """
    rows = boxes[:, :4].astype(int).tolist() if isinstance(boxes, np.ndarray) else [list(b) for b in boxes]
    return np.array([_finger(box, colour, dark, level) for box in rows], bool).reshape(len(rows))


def _finger(box: list[int], colour: np.ndarray, dark: np.ndarray, level: np.ndarray) -> bool:
    """:func:`finger_boxes` for one box (x0, y0, x1, y1, analysis px)."""
    sh, sw = dark.shape
    size = max(box[2] - box[0], box[3] - box[1])
    if size < 2 or (inked := ink_medians(box, colour, dark, level)) is None:
        return False
    (x0, y0, x1, y1), ink, own = inked  # the box with the ring round it, the colour of its ink
    if not _may_be_skin(own):
        return False  # not skin's colour (first: most ink leaves here, before the paper is read)
    hue, sat, _ = hsv_of(own / max(own.max(), 1e-6))
    (h0, _), (s0, s1) = HSV_SKIN
    if not (hue <= MAX_HUE or hue >= 180 + h0) or not s0 <= sat <= s1:
        return False
    if (paper := paper_round(ink)) is None:  # the ring's paper
        return False
    part = frame_under(colour, (x0, y0, x1, y1), (sh, sw))
    ground = _lit_median(part, paper)  # the paper: the ring's brighter half
    if own.max() - own.min() < MIN_CHROMA * max(ground.max(), 1.0):
        return False  # grey: black, blue or pencil ink, even in a tinted light
    paper_hue, paper_sat, _ = hsv_of(ground / max(ground.max(), 1e-6))
    apart = min(abs(hue - paper_hue), 180 - abs(hue - paper_hue))
    if apart < MIN_HUE_APART and sat < TINTED * paper_sat:
        return False  # the paper's own tint, darkened (pencil on an orange note, ink in a warm light)
    h, s, _ = cv2.split(cv2.cvtColor(cv2.blur(part, (3, 3)), cv2.COLOR_BGR2HSV))
    # of the ink's colour (1 in both codes) and not the paper's (or its tint: 2 in both)
    both = cv2.bitwise_and(cv2.LUT(h, _hue_codes(hue, paper_hue)), cv2.LUT(s, _sat_codes(sat, paper_sat)))
    material = cv2.bitwise_or(cv2.inRange(both, 1, 1), ink)  # the ink and what is of its colour
    n, labels = cv2.connectedComponents(material, connectivity=8)
    if n < 2:
        return False
    inner = slice(box[1] - y0, box[3] - y0), slice(box[0] - x0, box[2] - x0)  # (the box in the window:
    mine = np.zeros(n, bool)  # its own ink, not a neighbour's)
    mine[labels[inner][ink[inner] > 0]] = True
    mine[0] = False
    # the ring's own sides, not the frame's border (a close-up's stroke, blurred, runs into it), their
    # pixels beyond the ink (a stroke crossing the ring is ink), corners twice
    rim = [side for side, inside in zip(_SIDES, (y0 > 0, y1 < sh, x0 > 0, x1 < sw), strict=True) if inside]
    if not rim:
        return False
    on_rim = np.concatenate([labels[side] for side in rim])[np.concatenate([ink[side] for side in rim]) == 0]
    return bool(np.count_nonzero(mine[on_rim]) >= MIN_FRONT * size)


def _lit_median(part: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """float64 (3,) the median B, G, R of the brighter half of the uint8 (h, w, 3) BGR ``part``'s
    pixels where the uint8 (h, w) mask ``paper`` is non-zero (at least one): those whose brightness
    (OpenCV's grey) is at least the median of theirs. From masks of the window (no copy of its
    pixels: :func:`~edge.segment.skin_pieces.channel_medians`); OpenCV's grey is per pixel (integer
    weights), and a whole level is at least a median (whole or half) when at least its ceiling."""
    grey = cv2.cvtColor(part, cv2.COLOR_BGR2GRAY)
    middle = math.ceil(channel_medians(grey, paper)[0])
    return channel_medians(part, cv2.bitwise_and(paper, cv2.inRange(grey, middle, 255)))


#: A window's top and bottom rows, left and right columns.
_SIDES: tuple[tuple[int | slice, int | slice], ...] = (
    (0, slice(None)),
    (-1, slice(None)),
    (slice(None), 0),
    (slice(None), -1),
)
#: Every 8-bit level, for :func:`_hue_codes` and :func:`_sat_codes`.
_LEVELS = np.arange(256, dtype=np.uint8)


@functools.lru_cache(maxsize=256)
def _hue_codes(hue: int, paper_hue: int) -> np.ndarray:
    """uint8 (256,) by OpenCV hue (0..179): 1 within :data:`HUE_NEAR` of the ink's ``hue`` (round the
    circle) plus 2 under :data:`~edge.segment.skin_pieces.MIN_HUE_APART` from the paper's ``paper_hue``
    (kept: read only). :func:`_finger`'s tests of a pixel's hue, as they were written per pixel (a
    level over 179, which OpenCV's hue never is, gets what those formulas give it)."""
    d = np.abs(_LEVELS.astype(np.int16) - hue)
    near = np.minimum(d, np.maximum(180 - d, 0)) <= HUE_NEAR  # (the uint8 form saturated at 0)
    dp = np.abs(_LEVELS.astype(np.int16) - paper_hue)
    codes = near.view(np.uint8) | ((np.minimum(dp, 180 - dp) < MIN_HUE_APART).view(np.uint8) << 1)
    codes.flags.writeable = False
    return codes


@functools.lru_cache(maxsize=256)
def _sat_codes(sat: int, paper_sat: int) -> np.ndarray:
    """uint8 (256,) by saturation: 1 at least :data:`SAT_NEAR` x the ink's ``sat`` plus 2 under
    :data:`~edge.segment.skin_pieces.MORE_SATURATED` x the paper's ``paper_sat`` (kept: read only)."""
    codes = (_LEVELS >= SAT_NEAR * sat).view(np.uint8) | (
        (_LEVELS < MORE_SATURATED * paper_sat).view(np.uint8) << 1
    )
    codes.flags.writeable = False
    return codes


def _may_be_skin(own: np.ndarray) -> bool:
    """Whether the colour ``hsv_of(own / own.max())`` of float (3,) BGR ``own`` (0..255) can be skin's
    (:func:`_finger`'s first test), in plain Python (a box's few scalars: NumPy's and OpenCV's call
    overhead cost more than the arithmetic). False only where that test fails: :func:`hsv_of` rounds
    the colour to the uint8 pixel ``round(c / max * 255)`` (half to even, as ``np.round``), whose
    brightest channel is 255, so its saturation S = 255 (V - min) / V (OpenCV's definition) is
    255 - its darkest channel; and its hue is red to orange (at most :data:`MAX_HUE` or from
    180 + the bottom of :data:`~edge.segment.skin_colour.HSV_SKIN`) only when red is 255: OpenCV's
    hue is 30..90 where green is the brightest channel (not red) and 90..150 where blue is.
    """
    b, g, r = own.tolist()
    top = max(b, g, r, 1e-6)
    blue, green, red = (round(c / top * 255.0) for c in (b, g, r))
    s0, s1 = HSV_SKIN[1]
    return red == 255 and s0 <= 255 - min(blue, green) <= s1
