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

from collections.abc import Sequence

import cv2
import numpy as np

from edge.segment.ink_analysis import InkAnalysis
from edge.segment.skin_colour import HSV_SKIN
from edge.segment.skin_pieces import (
    MIN_CHROMA,
    MIN_HUE_APART,
    MORE_SATURATED,
    frame_under,
    hsv_of,
    ink_medians,
    paper_flat,
    pixel_medians,
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
    paper = paper_flat(ink)  # the ring's paper, flat (the window's px in raster order)
    if not paper.any():
        return False
    part = frame_under(colour, (x0, y0, x1, y1), (sh, sw))
    ring = part.reshape(-1, 3).compress(paper, axis=0)  # uint8 (n, 3) the paper's pixels
    grey = cv2.cvtColor(ring[None], cv2.COLOR_BGR2GRAY).reshape(-1, 1)  # (n, 1) their brightness
    lit = (grey >= pixel_medians(grey)[0]).reshape(-1)
    ground = pixel_medians(ring.compress(lit, axis=0))  # the paper: the ring's brighter half
    if own.max() - own.min() < MIN_CHROMA * max(ground.max(), 1.0):
        return False  # grey: black, blue or pencil ink, even in a tinted light
    paper_hue, paper_sat, _ = hsv_of(ground / max(ground.max(), 1e-6))
    apart = min(abs(hue - paper_hue), 180 - abs(hue - paper_hue))
    if apart < MIN_HUE_APART and sat < TINTED * paper_sat:
        return False  # the paper's own tint, darkened (pencil on an orange note, ink in a warm light)
    hsv = cv2.cvtColor(cv2.blur(part, (3, 3)), cv2.COLOR_BGR2HSV)
    d = cv2.absdiff(hsv[:, :, 0], np.full(hsv.shape[:2], hue, np.uint8))
    near = cv2.min(d, cv2.subtract(np.full_like(d, 180), d)) <= HUE_NEAR
    same = near & (hsv[:, :, 1] >= SAT_NEAR * sat)
    dp = np.abs(hsv[:, :, 0].astype(np.int16) - paper_hue)  # not the paper's colour (or tint)
    same &= ~((np.minimum(dp, 180 - dp) < MIN_HUE_APART) & (hsv[:, :, 1] < MORE_SATURATED * paper_sat))
    material = same.astype(np.uint8) | (ink > 0)  # the ink and what is of its colour
    n, labels = cv2.connectedComponents(material, connectivity=8)
    if n < 2:
        return False
    bx0, by0 = box[0] - x0, box[1] - y0  # (the box in the window: its own ink, not a neighbour's)
    inner = labels[by0 : by0 + box[3] - box[1], bx0 : bx0 + box[2] - box[0]]
    mine = np.zeros(n, bool)
    mine[inner[ink[by0 : by0 + inner.shape[0], bx0 : bx0 + inner.shape[1]] > 0]] = True
    mine[0] = False
    # the ring's own sides, not the frame's border (a close-up's stroke, blurred, runs into it)
    sides = [(labels[0], ink[0], y0 > 0), (labels[-1], ink[-1], y1 < sh)]
    sides += [(labels[:, 0], ink[:, 0], x0 > 0), (labels[:, -1], ink[:, -1], x1 < sw)]
    out = sum(int((mine[lab] & (side == 0)).sum()) for lab, side, inside in sides if inside)
    return out >= MIN_FRONT * size  # (beyond the ink: a stroke crossing the ring is ink)


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
