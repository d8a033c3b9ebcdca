"""Which ink pieces are pieces of a page's ruling, by the ink they have on its band
(:meth:`edge.segment.digit_ruling.PageRuling.off`).
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digit_pieces import X0, X1, Y0, Y1
from edge.segment.line_ridges import DARKER

__all__ = ["MAX_OFF_DENSITY", "ON_RULING", "box_sums", "off_ruling"]

#: Share of a piece's box ink on the ruling from which it is a piece of the ruling ...
ON_RULING = 0.8
#: ... when its ink is also this many times less dense off the ruling than on it, and on
#: average less than :data:`~edge.segment.line_ridges.DARKER` x as dark as the ruling.
MAX_OFF_DENSITY = 0.25


def off_ruling(
    pieces: np.ndarray,
    mask: np.ndarray,
    origin: tuple[int, int],
    band: np.ndarray,
    dark: np.ndarray | None = None,
    level: float = 0.0,
) -> np.ndarray:
    """The pieces that are not pieces of the ruling: less than :data:`ON_RULING` of the ink
    in their box lies on the ruling's band (and much more densely than off it), or their ink is
    :data:`DARKER` x darker than the ruling (a digit written along a line).

    Args:
        pieces: float (N, 7) ink pieces (:mod:`edge.segment.digit_pieces` columns), analysis px.
        mask: uint8 (mh, mw) the ink mask they were measured in (255 = ink), at ``origin``.
        origin: (x, y) of ``mask`` in the analysis image (px).
        band: uint8 (h, w) the ruling's band in the analysis image
            (:func:`~edge.segment.digit_ruling.ruling_band`).
        dark: uint8 (h, w) the analysis image's darkness, or ``None`` (no darkness test).
        level: the ruling's darkness, in ``dark``'s levels
            (0..255; :meth:`~edge.segment.digit_ruling.PageRuling.look`).

    Returns:
        float (M, 7) the pieces kept (``pieces`` itself when all are kept).
    """
    if not len(pieces):
        return pieces
    ox, oy = origin
    mh, mw = mask.shape
    on = cv2.bitwise_and(mask, band[oy : oy + mh, ox : ox + mw])
    if not cv2.countNonZero(on):
        return pieces
    boxes = np.column_stack(
        [
            np.clip(pieces[:, X0].astype(np.int64) - ox, 0, mw),
            np.clip(pieces[:, Y0].astype(np.int64) - oy, 0, mh),
            np.clip(pieces[:, X1].astype(np.int64) - ox, 0, mw),
            np.clip(pieces[:, Y1].astype(np.int64) - oy, 0, mh),
        ]
    )
    ink, on_line = box_sums(mask, boxes) / 255, box_sums(on, boxes) / 255
    band_area = box_sums(band[oy : oy + mh, ox : ox + mw], boxes) / 255
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    # the ink lies on the band, and much more densely than off it (a digit in a dense grid,
    # whose box the band mostly covers, has as much ink between the lines as on them)
    on_density = on_line / np.maximum(band_area, 1)
    off_density = (ink - on_line) / np.maximum(area - band_area, 1)
    ruling = (on_line >= ON_RULING * np.maximum(ink, 1)) & (off_density < MAX_OFF_DENSITY * on_density)
    if dark is not None and ruling.any():  # as dark as the ruling (not a digit along a line)
        inked = cv2.bitwise_and(dark[oy : oy + mh, ox : ox + mw], mask)
        ruling &= box_sums(inked, boxes) < DARKER * level * np.maximum(ink, 1)
    keep = ~ruling
    return pieces if keep.all() else pieces[keep]


def box_sums(img: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """float (N,) the sums of uint8 (h, w) ``img`` in int (N, 4) boxes x0, y0, x1, y1 (exclusive):
    an integral image for many boxes (a page has hundreds), crops for a frame's few."""
    if len(boxes) > FEW_BOXES:
        ii = cv2.integral(img)
        x0, y0, x1, y1 = boxes.T
        return (ii[y1, x1] - ii[y0, x1] - ii[y1, x0] + ii[y0, x0]).astype(np.float64)
    return np.array([cv2.sumElems(img[y0:y1, x0:x1])[0] for x0, y0, x1, y1 in boxes.tolist()], np.float64)


#: :func:`box_sums` takes an integral image for more boxes than this.
FEW_BOXES = 16
