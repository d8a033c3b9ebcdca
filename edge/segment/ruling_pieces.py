"""Which ink pieces are pieces of a page's ruling, by the ink they have on its band
(:meth:`edge.segment.digit_ruling.PageRuling.off`).
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.line_ridges import DARKER

__all__ = ["MAX_OFF_DENSITY", "ON_RULING", "box_sums", "mask_boxes", "off_ruling"]

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
    boxes = mask_boxes(pieces, origin, (mh, mw))
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


def mask_boxes(pieces: np.ndarray, origin: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """int64 (N, 4) the boxes x0, y0, x1, y1 of float (N, >= 4) ``pieces`` (px, whole numbers) in the
    px of a mask of ``shape`` (mh, mw) at ``origin`` (x, y), clipped to it: what
    ``np.clip(pieces[:, 0].astype(np.int64) - ox, 0, mw)`` gives column by column, in one pass
    (np.clip's checks cost more than the arithmetic on a frame's few dozen pieces)."""
    (ox, oy), (mh, mw) = origin, shape
    boxes = pieces[:, :4].astype(np.int64) - np.array([ox, oy, ox, oy])  # (x0, y0, x1, y1)
    return np.minimum(np.maximum(boxes, 0, out=boxes), np.array([mw, mh, mw, mh]), out=boxes)


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
