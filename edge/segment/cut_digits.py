"""Close-ups: a digit held so near the camera that the frame cuts it or it fills the frame.

The digit finder (:class:`edge.segment.digits.DigitSegmenter`) drops ink pieces that touch the
frame's border for long (:func:`edge.segment.digit_pieces.frame_pieces`: the paper's edge, the
table, a finger) or are nearly as tall as the frame, and takes such pieces back only when it
finds nothing else (a tightly cropped photo). A bold marker digit held close to a webcam, 250 to
470 px tall in a 640x480 frame, touches or crosses the border with strokes 20-60 px wide: its
contact was over the limit, or its height over ``max_height``, and a speck, a grid cell or a
sliver beside it was found instead, or nothing (``benchmarks/realistic_digits.py`` frames 3/00032
of seed 21 and 4/00231 of seed 22).

A digit cut by the frame crosses the border with its strokes; a paper edge, a desk or a shadow
runs ALONG it. :func:`cut_digit_seen` looks for a dropped piece that crosses the border (its
ink on the border at most :data:`MAX_CONTACT` of its longer side), is tall (at least
:data:`MIN_HEIGHT` of the frame) and the largest thing in view (at least :data:`DOMINANT` times
as tall as every candidate found); then the finder looks again as for a cropped photo, and
:func:`with_cut_digits` keeps the cut digits that look found, whose other tests (size, fill,
paper in the ring around it, a ridge not a step: :mod:`edge.segment.edge_slivers`, with the ring
beyond the frame not counted) they passed there, unless their colour is skin's (a finger entering
the frame is as large, crosses the border as a stroke does and has paper around it: skin is not ink).
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digit_pieces import CONTACT, FEW, X0, X1, Y0, Y1
from edge.segment.skin_colour import YCRCB_SKIN

__all__ = [
    "DOMINANT",
    "MAX_CONTACT",
    "MIN_HEIGHT",
    "SKIN_CR",
    "SKIN_LIGHT",
    "SKIN_RG",
    "cut_digit_seen",
    "skin_coloured",
    "with_cut_digits",
]

#: A cut digit's ink on the frame's border is at most this fraction of its box's longer side
#: (a stroke crossing the border; a band along it has about its whole length there) ...
MAX_CONTACT = 0.65
#: ... its height at least this fraction of the frame's ...
MIN_HEIGHT = 0.3
#: ... and it is at least this many times as tall as every other candidate.
DOMINANT = 2.0
#: Skin is redder than the paper (Cr, 8-bit YCrCb units) by at least this ...
SKIN_CR = 4
#: ... but its red-to-green ratio at most this many times the paper's (red ink: 2 or more) ...
SKIN_RG = 1.6
#: ... and it is at least this fraction of the paper's brightness (Y).
SKIN_LIGHT = 0.4


def _crossing(rows: np.ndarray, sw: int, sh: int, min_height: float) -> np.ndarray:
    """bool (N,): rows touching the border, crossing it (:data:`MAX_CONTACT`) and tall."""
    w, h = rows[:, X1] - rows[:, X0], rows[:, Y1] - rows[:, Y0]
    touch = (rows[:, X0] <= 0) | (rows[:, Y0] <= 0) | (rows[:, X1] >= sw) | (rows[:, Y1] >= sh)
    return touch & (rows[:, CONTACT] <= MAX_CONTACT * np.maximum(w, h)) & (h >= min_height)


def cut_digit_seen(pieces: np.ndarray, boxes: np.ndarray, sw: int, sh: int, max_contact: float) -> bool:
    """Whether a piece that the border rules dropped may be a digit cut by the frame.

    Args:
        pieces: float (N, 7) ink pieces of a ``sw`` x ``sh`` analysis image
            (:mod:`edge.segment.digit_pieces` columns).
        boxes: float (M, 7) the candidates found without it.
        max_contact: the finder's border-contact limit, fraction of the frame's shorter side
            (``DigitSegmenterConfig.max_contact``): pieces within it were not dropped for it.

    Returns:
        True when a piece touches the border for more than ``max_contact`` x the shorter side
        or is nearly the frame's height (over 0.9 of it), crosses the border rather than runs
        along it, is at least :data:`MIN_HEIGHT` x ``sh`` tall and :data:`DOMINANT` x as tall
        as every box.
    """
    if not len(pieces):
        return False
    tallest = float((boxes[:, Y1] - boxes[:, Y0]).max()) if len(boxes) else 0.0
    least = max(MIN_HEIGHT * sh, DOMINANT * tallest)
    limit = max_contact * min(sw, sh)
    if len(pieces) <= FEW:  # the same test in plain Python (a frame's few pieces)
        for x0, y0, x1, y1, _, contact, _ in pieces.tolist():
            h = y1 - y0
            if (
                h >= least
                and (contact > limit or h > 0.9 * sh)
                and (x0 <= 0 or y0 <= 0 or x1 >= sw or y1 >= sh)
                and contact <= MAX_CONTACT * max(x1 - x0, h)
            ):
                return True
        return False
    h = pieces[:, Y1] - pieces[:, Y0]
    dropped = (pieces[:, CONTACT] > limit) | (h > 0.9 * sh)
    big = _crossing(pieces, sw, sh, least)
    return bool((dropped & big).any())


def with_cut_digits(
    boxes: np.ndarray,
    cropped: np.ndarray,
    ink: tuple[np.ndarray, np.ndarray],
    colour: np.ndarray | None = None,
) -> np.ndarray:
    """The candidates with the cut digits of a look as for a cropped photo.

    Args:
        boxes: float (M, 7) the candidates found with the border rules, analysis px.
        cropped: float (K, 7) those found without them (the same pieces).
        ink: uint8 (h, w) darkness (0 paper .. 255 black) and ink threshold of the analysis
            image (``h`` x ``w``: its size).
        colour: the uint8 (H, W, 3) BGR frame, or ``None`` (grey: no skin test).

    Returns:
        float (L, 7): when ``cropped`` holds a cut digit (touching the border, crossing it,
        at least :data:`MIN_HEIGHT` x ``h`` and :data:`DOMINANT` x as tall as every box, not
        :func:`skin_coloured`), the cut digits only (the others are specks, grid cells or
        slivers beside it); else ``boxes``.
    """
    if not len(cropped):
        return boxes
    sh, sw = ink[0].shape
    tallest = float((boxes[:, Y1] - boxes[:, Y0]).max()) if len(boxes) else 0.0
    cut = cropped[_crossing(cropped, sw, sh, max(MIN_HEIGHT * sh, DOMINANT * tallest))]
    if len(cut) and colour is not None:
        cut = cut[[not skin_coloured(box, colour, *ink) for box in cut[:, :4].astype(int).tolist()]]
    return cut if len(cut) else boxes


def skin_coloured(box: list[int], colour: np.ndarray, dark: np.ndarray, level: np.ndarray) -> bool:
    """Whether a candidate's ink is a finger's skin, not ink: its mean colour inside the skin
    box of Chai & Ngan (1999; :data:`edge.segment.skin_colour.YCRCB_SKIN`), redder than the
    paper around it in the box (Cr at least :data:`SKIN_CR` above: a pencil on a yellow sheet
    has the paper's hue, only paler) but not by as much as red ink (its red-to-green ratio at
    most :data:`SKIN_RG` x the paper's), and at least :data:`SKIN_LIGHT` of the paper's
    brightness (a black marker under warm light is brownish, but dark).

    Args:
        box: x0, y0, x1, y1, analysis px.
        colour: uint8 (H, W, 3) BGR frame.
        dark: uint8 (h, w) darkness and ...
        level: ... ink threshold of the analysis image.
    """
    sh, sw = dark.shape
    H, W = colour.shape[:2]
    x0, y0, x1, y1 = box
    X0, Y0 = x0 * W // sw, y0 * H // sh
    X1, Y1 = max(X0 + 1, x1 * W // sw), max(Y0 + 1, y1 * H // sh)
    patch = cv2.resize(colour[Y0:Y1, X0:X1], (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    ink = cv2.compare(dark[y0:y1, x0:x1], level[y0:y1, x0:x1], cv2.CMP_GT)
    n = cv2.countNonZero(ink)
    if n == 0 or n == ink.size:
        return False
    means = [cv2.mean(patch, mask=m)[:3] for m in (ink, cv2.bitwise_not(ink))]
    (y, cr, cb), (y_paper, cr_paper, _) = cv2.cvtColor(np.array([means], np.uint8), cv2.COLOR_BGR2YCrCb)[0]
    (_, g, r), (_, g_paper, r_paper) = means
    (cr_lo, cr_hi), (cb_lo, cb_hi) = YCRCB_SKIN
    return (
        cr_lo <= cr <= cr_hi
        and cb_lo <= cb <= cb_hi
        and int(cr) >= int(cr_paper) + SKIN_CR
        and r * g_paper <= SKIN_RG * r_paper * max(g, 1.0)
        and y >= SKIN_LIGHT * y_paper
    )
