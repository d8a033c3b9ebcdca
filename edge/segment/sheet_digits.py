"""A sheet's dark ink in parts of a digit's size (:func:`digit_ink`), the evidence
:func:`edge.segment.ink_surfaces.sheet_ink` weighs: not rows of print, blocks, or lines.

Imports OpenCV and NumPy.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.ink import square

__all__ = ["DIGIT_HEIGHT", "INK_DENSITY", "STROKE_WIDTH", "UPRIGHT_SHARE", "digit_ink"]

#: A sheet's dark ink counts in :func:`sheet_ink` in parts at least this share of the stroke view's
#: shorter side tall (:func:`digit_ink`): 7.5 px of a 120-px view, a 30-px digit of a 480-px frame. Rows
#: of small print (a calendar's, a note's: 3-7 px tall in the view) are no digits shown to the camera
#: (:data:`INK_DENSITY` removes them too at the live loop's resolution: the two tests guard each other).
#: The faint pencil digits of the demo's sheet scene break into parts 8 px tall or more (at 1/12, frame
#: 387 of seed 0 is light); synthetic sheets of faint pencil (darkening by 0.15) beside 1-3 white sticks:
#: 2 of 18 configurations dark (3 with all the ink counted, or without this test).
DIGIT_HEIGHT = 1 / 16

#: A part of a sheet's dark ink counts in :func:`digit_ink` when its residue pixels fill at most this
#: share of its bounding box: a pen's strokes, not a row of small print or a block of rows run together at
#: the view's resolution (measured 0.57-1.0), nor a straight line along a row or column (1.0). Pencil
#: digits: 0.14-0.28 in the demo's sheet scene, 0.31-0.49 in the tests' sheets beside a white stick.
INK_DENSITY = 1 / 2

#: A part narrower than this share of its height counts in :func:`digit_ink` whatever its fill: an
#: upright "1" fills nearly all of its bounding box (a pencil "1" beside a white stick was taken for a
#: straight line and the stick read as the digit; review of session 26). A line running off a wall is
#: still removed by the outline test.
STROKE_WIDTH = 0.4

#: ... but only when it is at most this share of its sheet's height: a digit on its sheet, not a margin
#: line, a fold's shadow or a ruled line down a note that spans much of it (a 100-px grey line on a 200-px
#: note on a chalkboard made the frame dark ink and lost the chalk digits; second review of session 26).
UPRIGHT_SHARE = 0.4


def digit_ink(dark: np.ndarray, sheet: np.ndarray) -> float:
    """The sum of the dark residues ``dark`` (uint8 (h, w) grey levels, 0 outside the sheet) that lie in
    parts of digit size on uint8 (h, w) ``sheet`` (0 / 255): the residues closed by a 3 px square (the
    breaks in a faint pencil stroke) split into 8-connected parts, of which count those

    - at least :data:`DIGIT_HEIGHT` x the shorter side tall (not a row of small print: a calendar's
      or a note's);
    - whose residue pixels fill at most :data:`INK_DENSITY` of their bounding box (strokes, not a
      block of print rows run together at the view's resolution, nor a straight line), or that are
      narrower than :data:`STROKE_WIDTH` x their height and at most :data:`UPRIGHT_SHARE` x their
      sheet's (an upright "1", not a margin line);
    - clear of the sheet's outline and the frame's edges (a door frame's line or tile grout runs off
      a wall; a digit lies on its sheet).

    The block classification of document analysis by height, eccentricity and the density of ink in
    the block's bounding box (K. Y. Wong, R. G. Casey and F. M. Wahl, "Document analysis system",
    IBM J. Res. Dev. 26(6), 647-656, 1982) and its separation of text from lines and graphics by the
    parts' size (L. A. Fletcher and R. Kasturi, "A robust algorithm for text string separation from
    mixed text/graphics images", IEEE PAMI 10(6), 1988), here keeping the parts a digit's size.

    Returns:
        The sum (grey levels, >= 0).
    """
    mask = cv2.morphologyEx(cv2.threshold(dark, 0, 255, cv2.THRESH_BINARY)[1], cv2.MORPH_CLOSE, square(3))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    upright = width < STROKE_WIDTH * height
    if upright[1:].any():  # each upright part against the height of the sheet it lies on
        _, sheets, sheet_stats, _ = cv2.connectedComponentsWithStats(sheet, connectivity=8)
        inked = dark > 0
        parts, under = labels[inked], sheets[inked]
        for i in np.flatnonzero(upright):
            on = under[parts == i]
            upright[i] = (
                on.size > 0 and height[i] <= UPRIGHT_SHARE * sheet_stats[on.max(), cv2.CC_STAT_HEIGHT]
            )
    keep = (height >= DIGIT_HEIGHT * min(dark.shape[:2])) & (
        (np.bincount(labels[dark > 0], minlength=n) <= INK_DENSITY * width * height) | upright
    )
    keep[0] = False
    outline = cv2.subtract(sheet, cv2.erode(sheet, square(3), borderType=cv2.BORDER_CONSTANT, borderValue=0))
    keep[labels[outline > 0]] = False
    return float(dark[keep[labels]].sum(dtype=np.int64))
