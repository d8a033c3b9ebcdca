"""Ruled and squared paper's lines among the ink pieces of the digit finder
(:class:`edge.segment.digits.DigitSegmenter`).

Lines are erased only when a component is as long as a ruled line: the Hough search
(:func:`edge.segment.ink_components.remove_lines`) then looks inside those components only.
The erased pixels tell how dark the ruling is (:func:`ruling_darkness`).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_pieces import X0, X1, Y0, Y1, line_sized
from edge.segment.ink import histogram_quantile
from edge.segment.ink_components import erase_lines


def erase_ruled_lines(
    mask: np.ndarray,
    pieces: np.ndarray,
    outlines: Sequence[np.ndarray],
    origin: tuple[int, int],
    frame: tuple[int, int],
    cfg: DigitSegmenterConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """``mask`` with its ruled lines erased, when some of its components are line-sized.

    Lines are at least ``cfg.line_length`` x the frame's width long (horizontal) or
    ``cfg.vertical_line_length`` x its height (vertical), and ``cfg.min_line`` px either way.

    Args:
        mask: uint8 (mh, mw) ink mask (255 = ink), a part of the analysis image at ``origin``.
        pieces: float (N, 7) its components (:func:`edge.segment.digit_pieces.measure_components`),
            in analysis px.
        outlines: the N components' outer contours, in ``mask`` px.
        origin: (x, y) of ``mask`` in the analysis image (px).
        frame: (width, height) of the analysis image (px).
        cfg: the segmenter's settings.

    Returns:
        (uint8 (mh, mw) mask without the lines, or ``mask`` itself when none was erased; float32
        (L, 4) the erased lines x0, y0, x1, y1 in ``mask`` px
        (:func:`edge.segment.ink_components.erase_lines`; :mod:`edge.segment.digit_ruling` reuses them)).
    """
    h_len, v_len = line_lengths(frame, cfg)
    big = line_sized(pieces, h_len, v_len)
    if big is None:
        return mask, np.zeros((0, 4), np.float32)
    # search only the line-sized components, inside their boxes (+ a 2-px margin) (cheap),
    # erase from the whole mask
    bh, bw = mask.shape
    bb = pieces[big]
    ox, oy = origin
    cx0, cy0 = max(0, int(bb[:, X0].min()) - ox - 2), max(0, int(bb[:, Y0].min()) - oy - 2)
    cx1, cy1 = min(bw, int(bb[:, X1].max()) - ox + 2), min(bh, int(bb[:, Y1].max()) - oy + 2)
    filled = np.zeros((cy1 - cy0, cx1 - cx0), np.uint8)
    big_outlines = [outlines[i] for i in np.flatnonzero(big).tolist()]
    cv2.drawContours(filled, big_outlines, -1, 255, -1, offset=(-cx0, -cy0))
    search = cv2.bitwise_and(filled, mask[cy0:cy1, cx0:cx1])
    return erase_lines(mask, h_len, v_len, cfg.line_thickness, search=search, offset=(cx0, cy0))


def line_lengths(frame: tuple[int, int], cfg: DigitSegmenterConfig) -> tuple[int, int]:
    """(shortest horizontal, vertical ruled line) (px; 0: none searched) in an analysis image of
    ``frame`` (width, height) px: ``cfg.line_length`` x the width, ``cfg.vertical_line_length`` x
    the height (a tall thin "1" survives), ``cfg.min_line`` px either way."""
    sw, sh = frame
    h_len = int(max(cfg.line_length * sw, cfg.min_line)) if cfg.line_length > 0 else 0
    v_len = int(max(cfg.vertical_line_length * sh, cfg.min_line)) if cfg.vertical_line_length > 0 else 0
    return h_len, v_len


#: :func:`ruling_darkness`'s quantile of the erased pixels' darkness.
RULING_QUANTILE = 0.9


def ruling_darkness(dark: np.ndarray, mask: np.ndarray, cleaned: np.ndarray) -> int | None:
    """How dark a page's ruling is: the darkness that :data:`RULING_QUANTILE` of the pixels
    :func:`erase_ruled_lines` erased (in ``mask``, not in ``cleaned``) do not exceed.

    What the eraser left of the lines (pieces beside and inside digits, too short for the Hough
    search) is as dark: an ink level at least this high drops it, and one no higher keeps the
    writer's ink that is darker than the ruling (faint pencil that a higher level, an Otsu split
    of its own grain, would break into pieces). The digit finder caps its second level at it on
    a page's finer pass only, where the erased lines are long and many; at a webcam frame's
    first pass the few erased pixels include more of the digits' own crossings (the demo scene
    then lost 2 of 1050 digits).

    Args:
        dark: uint8 (mh, mw) darkness (ink bright) under ``mask``.
        mask: uint8 (mh, mw) ink mask before erasing (255 = ink).
        cleaned: uint8 (mh, mw) the same with the lines erased.

    Returns:
        Darkness 0..255, or ``None`` when nothing was erased.
    """
    hist = cv2.calcHist([dark], [0], cv2.subtract(mask, cleaned), [256], [0, 256]).ravel()
    return histogram_quantile(hist, RULING_QUANTILE)
