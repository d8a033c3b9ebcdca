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
beyond the frame not counted) they passed there, unless they are a solid blob or skin
(:mod:`edge.segment.skin_pieces`: a finger entering the frame is as large, crosses the border as a
stroke does and has paper around it). A slim finger in shadow can pass both tests (and without
colour, a grey or IR camera, only the shape one is asked), so the cut digits are added to the
candidates, never put in their place.
"""

from __future__ import annotations

import numpy as np

from edge.segment.digit_pieces import CONTACT, FEW, X0, X1, Y0, Y1
from edge.segment.skin_pieces import skin_boxes, solid_boxes

__all__ = ["DOMINANT", "MAX_CONTACT", "MIN_HEIGHT", "cut_digit_seen", "with_cut_digits"]

#: A cut digit's ink on the frame's border is at most this fraction of its box's longer side
#: (a stroke crossing the border; a band along it has about its whole length there) ...
MAX_CONTACT = 0.65
#: ... its height at least this fraction of the frame's ...
MIN_HEIGHT = 0.3
#: ... and it is at least this many times as tall as every other candidate. (The three were set on
#: dev close-ups only: 300 frames of realistic_digits' renderer with the digit 250-470 px tall,
#: seed 1801, checked on seed 1802, and seeds 21/22; a contact limit of 0.5 lost 2 close-ups.)
DOMINANT = 2.0


def _crossing(rows: np.ndarray, sw: int, sh: int) -> np.ndarray:
    """bool (N,): rows touching the border, crossing it (:data:`MAX_CONTACT`) and at least
    :data:`MIN_HEIGHT` x ``sh`` tall."""
    w, h = rows[:, X1] - rows[:, X0], rows[:, Y1] - rows[:, Y0]
    touch = (rows[:, X0] <= 0) | (rows[:, Y0] <= 0) | (rows[:, X1] >= sw) | (rows[:, Y1] >= sh)
    return touch & (rows[:, CONTACT] <= MAX_CONTACT * np.maximum(w, h)) & (h >= MIN_HEIGHT * sh)


def _inside(boxes: np.ndarray, row: list[float]) -> np.ndarray:
    """bool (M,): the boxes whose centre lies in ``row``'s box (x0, y0, x1, y1 first)."""
    cx, cy = (boxes[:, X0] + boxes[:, X1]) / 2, (boxes[:, Y0] + boxes[:, Y1]) / 2
    return (cx >= row[X0]) & (cx <= row[X1]) & (cy >= row[Y0]) & (cy <= row[Y1])


def _dominant(row: list[float], boxes: np.ndarray) -> bool:
    """Whether ``row`` is :data:`DOMINANT` x as tall as every box outside it (the boxes inside
    it are its parts: a finger's darker parts, found at a higher ink level)."""
    if not len(boxes):
        return True
    others = boxes[~_inside(boxes, row)]
    return not len(others) or row[Y1] - row[Y0] >= DOMINANT * float((others[:, Y1] - others[:, Y0]).max())


def cut_digit_seen(
    pieces: np.ndarray, boxes: np.ndarray, sw: int, sh: int, limits: tuple[float, float, float]
) -> bool:
    """Whether a piece that the border rules dropped may be a digit cut by the frame.

    Args:
        pieces: float (N, 7) ink pieces of a ``sw`` x ``sh`` analysis image
            (:mod:`edge.segment.digit_pieces` columns).
        boxes: float (M, 7) the candidates found without it.
        sw: the analysis image's width, px ...
        sh: ... and height.
        limits: the finder's border rules (:func:`edge.segment.digit_pieces.frame_pieces`):
            border contact (fraction of the frame's shorter side), height (of ``sh``) and width
            (of ``sw``) above which a piece was dropped (``DigitSegmenterConfig.max_contact``,
            ``max_height`` and :data:`edge.segment.digit_pieces.MAX_WIDTH`).

    Returns:
        True when a piece was dropped for those limits (contact, height or width), crosses the
        border rather than runs along it, is at least :data:`MIN_HEIGHT` x ``sh`` tall and
        :data:`DOMINANT` x as tall as every box outside it.
    """
    if not len(pieces):
        return False
    max_contact, max_height, max_width = limits
    limit, too_tall, too_wide, least = (
        max_contact * min(sw, sh),
        max_height * sh,
        max_width * sw,
        MIN_HEIGHT * sh,
    )
    if len(pieces) <= FEW:  # the same test in plain Python (a frame's few pieces)
        rows = [
            row
            for row in pieces.tolist()
            if row[Y1] - row[Y0] >= least
            and (row[CONTACT] > limit or row[Y1] - row[Y0] > too_tall or row[X1] - row[X0] > too_wide)
            and (row[X0] <= 0 or row[Y0] <= 0 or row[X1] >= sw or row[Y1] >= sh)
            and row[CONTACT] <= MAX_CONTACT * max(row[X1] - row[X0], row[Y1] - row[Y0])
        ]
    else:
        h, w = pieces[:, Y1] - pieces[:, Y0], pieces[:, X1] - pieces[:, X0]
        dropped = (pieces[:, CONTACT] > limit) | (h > too_tall) | (w > too_wide)
        rows = pieces[dropped & _crossing(pieces, sw, sh)].tolist()
    return any(_dominant(row, boxes) for row in rows)


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
        ink: uint8 (h, w) darkness (0 paper .. 255 black) and uint8 (h, w) ink threshold of the
            analysis image (``h`` x ``w``: its size).
        colour: the uint8 (H, W, 3) BGR frame, or ``None`` (a grey frame: no skin test).

    Returns:
        float (L, 7). No ``boxes`` (a tight crop, its digit along the border?): ``cropped``
        without skin (:func:`edge.segment.skin_pieces.skin_boxes`). Else, when ``cropped``
        holds cut digits (touching the border, crossing it, at least :data:`MIN_HEIGHT` x ``h``
        and :data:`DOMINANT` x as tall as every box outside it, not a solid blob
        (:func:`edge.segment.skin_pieces.solid_boxes`) nor skin): ``boxes`` and the cut digits
        (never the cut digits alone: a finger that passes both tests, pointing at a line of
        digits, must not wipe them out: the demo scene's frames 481-482 did); else ``boxes``
        (without those inside a blob or skin: a finger's parts).
    """
    if not len(boxes):
        return cropped[~skin_boxes(cropped, colour, *ink)] if len(cropped) else cropped
    if not len(cropped):
        return boxes
    sh, sw = ink[0].shape
    cut = cropped[_crossing(cropped, sw, sh)]
    cut = cut[[_dominant(row, boxes) for row in cut.tolist()]] if len(cut) else cut
    if not len(cut):
        return boxes
    finger = solid_boxes(cut, *ink) | skin_boxes(cut, colour, *ink)  # a blob, not strokes, or skin
    for row in cut[finger].tolist():  # and its darker parts, found at a higher ink level
        boxes = boxes[~_inside(boxes, row)]
    cut = cut[~finger]
    if not len(cut):
        return boxes
    return np.concatenate([boxes, cut])
