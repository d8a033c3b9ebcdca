"""Digit candidates that are skin, not ink: a finger at the frame's border.

The digit finder's last resort (:class:`edge.segment.digits.DigitSegmenter`: nothing found, so
perhaps a tightly cropped photo whose digit runs along the border) accepts pieces that touch
the border and fill the frame. A user's frame often holds the finger that holds the paper and
no digit yet: a solid piece of skin at the border read as a "1" at 96 % and shown live
(``benchmarks/realistic_digits.py`` frames).

The same test keeps a finger entering the frame from replacing the digits of a close-up
(:func:`edge.segment.cut_digits.with_cut_digits`).

Ink is black, grey, blue or red and a pen's strokes are thin; skin is an orange hue of moderate
saturation (Sobottka & Pitas, 1996: H 0 to 50 degrees, S 0.23 to 0.68) and a finger is a solid
piece. A candidate is skin when the median colour of its ink has such a hue (from 12 degrees:
red ink's is about 0, or up to 10 on blue paper in a warm light) and saturation, is coloured
(its brightest and darkest channels apart by at least 0.12 of the paper's brightness: black and
blue ink take an orange hue in a warm light, but stay grey; skin of any tone, lit or in shade,
does not), on coloured paper (or white paper in a warm light) has a hue of its own or is more
saturated than the paper (pencil on a yellow note is the note's orange, darkened: as saturated),
and its pixels of skin's tone at its ink (a pale finger is darker than the paper only in part)
make a piece at least 0.4 x its box thick (red ink on a yellow note is orange too, but thin).
Without colour (a grey or IR camera), :func:`solid_boxes` tells a blob from a pen's strokes by
the same thickness.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from edge.segment.ring_colour import pixel_medians
from edge.segment.skin_colour import HSV_SKIN

__all__ = [
    "HIST_PIXELS",
    "MIN_CHROMA",
    "MIN_HUE",
    "MIN_HUE_APART",
    "MIN_THICK",
    "MORE_SATURATED",
    "channel_medians",
    "frame_under",
    "hsv_of",
    "ink_medians",
    "ink_window",
    "paper_round",
    "pixel_medians",
    "ring_window",
    "skin_boxes",
    "solid_boxes",
]

#: Least hue of skin (OpenCV units, degrees / 2): 12 degrees, above red ink's (about 0, up to 10 on
#: blue paper in a warm light).
MIN_HUE = 6
#: Skin is coloured: its brightest channel less its darkest at least this share of the paper's
#: brightest (dark skin in shade: about 0.2; black or blue ink in a warm light: under 0.06).
MIN_CHROMA = 0.12
#: Skin is a solid piece: at least this share of its box's longer side thick (a fingertip about
#: as wide as long; a pen stroke at most about a quarter of the digit's height, a marker's 20-60 px
#: strokes up to 0.31 of a 250-470 px close-up, so a red digit on a yellow note, orange as skin, is
#: not taken for it).
MIN_THICK = 0.4
#: On coloured paper, skin's hue is at least this far from the paper's (OpenCV units, degrees / 2:
#: 20 degrees): pencil on a yellow note is the note's orange, darkened ...
MIN_HUE_APART = 10
#: ... or skin is at least this many times as saturated as the paper (white paper in a warm light
#: is tinted like skin, but paler; a pencil on a note as saturated as the note).
MORE_SATURATED = 1.3
#: :func:`channel_medians` reads the medians of this many pixels a channel or more off histograms
#: (speed only: the same values; a sort of fewer is quicker).
HIST_PIXELS = 1024


def solid_boxes(boxes: np.ndarray, dark: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Which candidates are a solid blob (a finger, a thumb), not a pen's strokes, bool (N,).

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1 in analysis px.
        dark: uint8 (h, w) darkness of the analysis image (0 paper .. 255 black) ...
        level: uint8 (h, w) ... and the ink threshold: ink is darker than it.

    Returns:
        bool (N,): True where the largest ink piece in the box is at least :data:`MIN_THICK` x the
        box's longer side thick (twice its distance transform's largest value).
    """
    out = np.zeros(len(boxes), bool)
    for i, (x0, y0, x1, y1) in enumerate(boxes[:, :4].astype(int).tolist()):
        ink = cv2.compare(dark[y0:y1, x0:x1], level[y0:y1, x0:x1], cv2.CMP_GT)
        out[i] = _thickness(ink) >= MIN_THICK * max(x1 - x0, y1 - y0)
    return out


def skin_boxes(
    boxes: np.ndarray, colour: np.ndarray | None, dark: np.ndarray, level: np.ndarray
) -> np.ndarray:
    """Which candidates are skin: a solid piece of skin colour, bool (N,).

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1 in analysis px.
        colour: the uint8 (H, W, 3) BGR frame the analysis image was scaled from, or ``None``
            (a grey frame: no box is skin).
        dark: uint8 (h, w) darkness of the analysis image (0 paper .. 255 black) ...
        level: uint8 (h, w) ... and the ink threshold: ink is darker than it.

    Returns:
        bool (N,): True where the median colour of the box's ink (the frame's pixels under it) is
        skin: a hue of :data:`MIN_HUE` to the top of :data:`edge.segment.skin_colour.HSV_SKIN`'s hue
        range, a saturation in its range, coloured (:data:`MIN_CHROMA`), on coloured paper a hue
        :data:`MIN_HUE_APART` from the paper's around it or :data:`MORE_SATURATED` x its saturation;
        and its pixels of that hue and saturation at its ink (within an eighth of the box's longer
        side) make a piece at least :data:`MIN_THICK` x that side thick.
    """
    out = np.zeros(len(boxes), bool)
    if colour is None or not len(boxes):
        return out
    for i, box in enumerate(boxes[:, :4].astype(int).tolist()):
        out[i] = _skin(box, colour, dark, level)
    return out


def ring_window(
    box: list[int], colour: np.ndarray, dark: np.ndarray, level: np.ndarray
) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray, np.ndarray] | None:
    """A candidate's box with the ring round it, in the analysis image and the frame.

    Args:
        box: x0, y0, x1, y1 of the candidate (analysis px).
        colour: the uint8 (H, W, 3) BGR frame the analysis image was scaled from.
        dark: uint8 (h, w) darkness of the analysis image (0 paper .. 255 black) ...
        level: uint8 (h, w) ... and the ink threshold: ink is darker than it.

    Returns:
        ((x0, y0, x1, y1): the box grown by a quarter of its longer side, at least 2 px, on every
        side and clipped to the image; the frame's uint8 (y1 - y0, x1 - x0, 3) BGR under it, resized
        to analysis px (area interpolation; a view of ``colour`` when the frame is the analysis
        image's size: do not write into it); uint8 masks of that size, 255 = its ink and 255 = its
        paper, px not within 1 px of ink), or ``None`` when it holds no ink or no paper
        (:func:`ink_window` and :func:`paper_round`).
    """
    if (window := ink_window(box, colour, dark, level)) is None or (paper := paper_round(window[2])) is None:
        return None
    return (*window, paper)


def ink_window(
    box: list[int], colour: np.ndarray, dark: np.ndarray, level: np.ndarray
) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray] | None:
    """:func:`ring_window` without its paper: the grown box, the frame under it and its ink mask
    (same args and values), or ``None`` when it holds no ink."""
    window, ink = _grown_ink(box, dark, level)
    if not cv2.countNonZero(ink):
        return None
    return window, frame_under(colour, window, dark.shape), ink


def ink_medians(
    box: list[int], colour: np.ndarray, dark: np.ndarray, level: np.ndarray
) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray] | None:
    """:func:`ink_window`'s grown box and ink mask (same args and values) and float (3,) the median
    B, G, R of the frame under its ink (0..255: ``channel_medians(part, ink)`` of that window), or
    ``None`` when it holds no ink; the frame is read only where needed (a test of the ink's colour
    leaves the ring's paper unread).

    When the frame is an integer multiple of the analysis image on both axes, area interpolation
    makes each resized pixel the mean of its own block of frame pixels, so only the ink's bounding
    rectangle is resized (the same values); otherwise the whole window.
    """
    sh, sw = dark.shape
    window, ink = _grown_ink(box, dark, level)
    x, y, w, h = cv2.boundingRect(ink)  # (0, 0, 0, 0): no ink
    if not w:
        return None
    fy, fx = colour.shape[0] / sh, colour.shape[1] / sw
    if fx != int(fx) or fy != int(fy):
        return window, ink, channel_medians(frame_under(colour, window, (sh, sw)), ink)
    rect = (window[0] + x, window[1] + y, window[0] + x + w, window[1] + y + h)
    return window, ink, channel_medians(frame_under(colour, rect, (sh, sw)), ink[y : y + h, x : x + w])


def frame_under(colour: np.ndarray, window: tuple[int, int, int, int], shape: tuple[int, ...]) -> np.ndarray:
    """uint8 (y1 - y0, x1 - x0, 3) BGR: the frame ``colour`` under ``window`` (x0, y0, x1, y1 in px of
    an analysis image of (h, w) ``shape``), resized to analysis px (area interpolation; OpenCV's
    resize to the same size is a copy, so of a frame of the analysis size this is a view, cropped)."""
    x0, y0, x1, y1 = window
    fy, fx = colour.shape[0] / shape[0], colour.shape[1] / shape[1]
    X0, Y0 = int(x0 * fx), int(y0 * fy)
    part = colour[Y0 : max(int(y1 * fy), Y0 + 1), X0 : max(int(x1 * fx), X0 + 1)]
    if part.shape[:2] != (y1 - y0, x1 - x0):
        part = cv2.resize(part, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    return part


def _grown_ink(
    box: list[int], dark: np.ndarray, level: np.ndarray
) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """(x0, y0, x1, y1): ``box`` grown by a quarter of its longer side, at least 2 px, on every side
    and clipped to the analysis image; uint8 (y1 - y0, x1 - x0) 255 = its ink."""
    sh, sw = dark.shape
    x0, y0, x1, y1 = box
    g = max(2, (max(x1 - x0, y1 - y0) + 3) // 4)
    x0, y0, x1, y1 = max(x0 - g, 0), max(y0 - g, 0), min(x1 + g, sw), min(y1 + g, sh)
    return (x0, y0, x1, y1), cv2.compare(dark[y0:y1, x0:x1], level[y0:y1, x0:x1], cv2.CMP_GT)


def paper_round(ink: np.ndarray) -> np.ndarray | None:
    """uint8 (h, w) 255 = the paper of a window whose uint8 (h, w) ``ink`` mask is given (px not
    within 1 px of ink), or ``None`` when there is none."""
    paper = cv2.bitwise_not(_near_ink(ink))
    return paper if cv2.countNonZero(paper) else None


def _near_ink(ink: np.ndarray) -> np.ndarray:
    """uint8 (h, w) 255 = within 1 px of the uint8 (h, w) ``ink`` mask's ink (a 3 x 3 dilation)."""
    return cv2.dilate(ink, np.ones((3, 3), np.uint8))


def _skin(box: list[int], colour: np.ndarray, dark: np.ndarray, level: np.ndarray) -> bool:
    """:func:`skin_boxes` for one box (x0, y0, x1, y1, analysis px)."""
    size = max(box[2] - box[0], box[3] - box[1])
    g = max(2, (size + 3) // 4)  # the paper around it (ring_window's)
    if (window := ring_window(box, colour, dark, level)) is None:
        return False
    (x0, y0, x1, y1), part, ink, paper = window
    own = channel_medians(part, ink) / 255.0
    if not _is_skin(own / max(own.max(), 1e-6)):
        return False  # not skin's colour (the paper's colour is read only for what is)
    ground = channel_medians(part, paper) / 255.0
    if own.max() - own.min() < MIN_CHROMA * ground.max():
        return False  # grey (black or blue ink in a tinted light)
    # not the paper's own colour darkened (pencil on a yellow note): a hue of its own or more saturated
    hue, sat, _ = hsv_of(own / own.max())
    paper_hue, paper_sat, _ = hsv_of(ground / max(ground.max(), 1e-6))
    apart = min(abs(hue - paper_hue), 180 - abs(hue - paper_hue))
    (_, h1), (s0, s1) = HSV_SKIN
    if paper_sat >= s0 and apart < MIN_HUE_APART and sat < MORE_SATURATED * paper_sat:
        return False
    # solid: a finger, not a pen's strokes (red ink on a yellow note is orange too): its pixels of
    # skin's tone at the ink (a pale finger is ink only in part), not the paper's colour
    hsv = cv2.cvtColor(part, cv2.COLOR_BGR2HSV)
    tone = cv2.inRange(hsv, (MIN_HUE, s0, 0), (h1, s1, 255))
    if paper_sat >= s0:
        d = np.abs(hsv[:, :, 0].astype(np.int16) - paper_hue)
        tone[(np.minimum(d, 180 - d) < MIN_HUE_APART) & (hsv[:, :, 1] < MORE_SATURATED * paper_sat)] = 0
    r = max(1, g // 2)
    near = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return _thickness(cv2.bitwise_and(tone, near)) >= MIN_THICK * size


def channel_medians(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """float (C,) the median of each channel of uint8 (h, w, C) ``image`` (or (h, w): C = 1) where
    uint8 (h, w) ``mask`` is non-zero: :func:`pixel_medians` of those pixels, or, from
    :data:`HIST_PIXELS` x C pixels on, the same values read off OpenCV's masked histograms (no copy
    of the pixels: under half the time of the copy and sort for a finger's ring of ~10,000).

    Raises:
        ValueError: ``mask`` selects no pixel.
    """
    h, w = mask.shape
    channels = image.shape[2] if image.ndim == 3 else 1
    least = HIST_PIXELS * channels
    if (n := cv2.countNonZero(mask) if h * w >= least else 0) < least:  # (a small window: not counted)
        return pixel_medians(image.reshape(h * w, -1).compress((mask > 0).reshape(-1), axis=0))
    ranks = ((n - 1) // 2, n // 2)  # (the middle two of n, from 0: the values whose counts pass them)
    middle = [
        cv2.calcHist([image], [c], mask, [256], (0, 256)).cumsum().searchsorted(ranks, "right")
        for c in range(channels)
    ]
    return np.array([(int(a) + int(b)) / 2.0 for a, b in middle])


def _thickness(mask: np.ndarray) -> float:
    """Twice the largest distance transform value of a uint8 (h, w) mask's largest piece, px
    (0.0 for an empty mask): the diameter of the largest disc inside it."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if n < 2:
        return 0.0
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    piece = np.pad((labels == largest).astype(np.uint8), 1)
    return 2.0 * float(cv2.distanceTransform(piece, cv2.DIST_L2, 3).max())


def hsv_of(bgr: np.ndarray) -> tuple[int, int, int]:
    """OpenCV's 8-bit HSV (H = degrees / 2) of a BGR colour (float (3,), 0..1)."""
    c = [v * 255.0 for v in bgr.tolist()] if bgr.dtype == np.float64 and bgr.shape == (3,) else []
    if c and all(map(math.isfinite, c)):
        # the pixel NumPy's path makes (x 255, rounded half to even, clipped), in plain Python
        b, g, r = (min(max(round(v), 0), 255) for v in c)
        return _pixel_hsv(b, g, r)
    pixel = np.clip(np.round(bgr * 255.0), 0, 255).astype(np.uint8).reshape(1, 1, 3)
    h, s, v = (int(c) for c in cv2.cvtColor(pixel, cv2.COLOR_BGR2HSV)[0, 0])
    return h, s, v


@functools.lru_cache(maxsize=4096)
def _pixel_hsv(b: int, g: int, r: int) -> tuple[int, int, int]:
    """OpenCV's 8-bit HSV of the BGR pixel (``b``, ``g``, ``r``), 0..255 each (kept: a video's ink and
    paper colours come back)."""
    h, s, v = cv2.cvtColor(np.array([[[b, g, r]]], np.uint8), cv2.COLOR_BGR2HSV)[0, 0].tolist()
    return h, s, v


def _is_skin(bgr: np.ndarray) -> bool:
    """Whether a BGR colour (float (3,), its largest channel 1) has a hue of :data:`MIN_HUE` to
    the top of :data:`edge.segment.skin_colour.HSV_SKIN`'s hue range and a saturation in its range."""
    (_, h1), (s0, s1) = HSV_SKIN
    h, s, _ = hsv_of(bgr)
    return MIN_HUE <= h <= h1 and s0 <= s <= s1
