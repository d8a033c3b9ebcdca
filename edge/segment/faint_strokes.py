"""The digit finder's ink mask, and its hysteresis look at faint strokes broken into pieces.

Faint pencil (a soft lead, a 2 px stroke at 640 px, half that at the analysis size) and
defocus leave strokes whose darkness dips under the ink level along their length: the first
level's mask is then a trail of dashes, each too small to be a digit, and a frame can show
no candidate of writing height at all (the ``demo`` scene, seed 1, frames 999-1010: pencil
on pink note paper, defocused, nothing read).

Hysteresis thresholding (J. Canny, "A Computational Approach to Edge Detection", IEEE PAMI
8(6), 1986, section on thresholding with hysteresis) keeps, beside the sure pixels above the
level, the weaker ones above a lower level (:data:`LOW`, in Canny's 2:1 ratio of the high to
the low threshold) that are connected to them: a stroke's dashes join again through its
fainter stretches, while paper noise under the level, away from ink, stays out.
:func:`hysteresis` does that, except around ink darker than :data:`SURE` x the level
(ballpoint and marker: no gaps to bridge, only the blur halo that would join neighbouring
digits).

The digit finder (:class:`edge.segment.digits.DigitSegmenter`) takes this look only where
the first level found no candidate of writing height (:func:`no_writing`), and keeps its
boxes only when it finds one: across seeds 0-4 of the ``demo`` scene (15,000 frames) the
hysteresis mask on every frame joined ruled lines' dashes to digits and digits to a hand's
shadow (809 digits fewer read), and taken wherever it found more digits than the first
level, it added 140 false boxes.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["LOW", "SURE", "hysteresis", "ink_mask", "no_writing"]

#: The weak level is this share of the ink level (Canny's 2:1 high-to-low ratio).
LOW = 0.5
#: Pixels darker than this many times the ink level are ink of a dark pen: weak pixels joined
#: to them are not kept (the faint pencil this look is for peaks at 1.9-3.6 x the level on the
#: ``demo`` scene's frames; ballpoint and marker at 3.9-9).
SURE = 3.5


def hysteresis(mask: np.ndarray, dark: np.ndarray, level: np.ndarray) -> np.ndarray:
    """``mask`` plus the pixels above :data:`LOW` x ``level`` connected (8-connected) to it,
    except those connected to a pixel darker than :data:`SURE` x ``level``.

    Args:
        mask: uint8 (h, w) sure ink (0 or 255): ``dark`` above ``level``.
        dark: uint8 (h, w) darkness (0 paper .. 255 black).
        level: uint8 (h, w) ink level.

    Returns:
        uint8 (h, w) 0 or 255, a superset of ``mask``.
    """
    lf = level.astype(np.float32)
    weak = cv2.compare(dark, (lf * LOW).astype(np.uint8), cv2.CMP_GT)
    n, labels = cv2.connectedComponents(weak, connectivity=8)
    keep = np.zeros(n, np.uint8)
    keep[labels[mask > 0]] = 255
    sure = cv2.compare(dark, np.minimum(lf * SURE, 255).astype(np.uint8), cv2.CMP_GT)
    keep[labels[sure > 0]] = 0
    keep[0] = 0
    return cv2.bitwise_or(mask, keep[labels])


def ink_mask(
    dark: np.ndarray,
    level: np.ndarray,
    region: tuple[int, int, int, int],
    floor: int = 0,
    within: np.ndarray | None = None,
    grow: bool = False,
) -> tuple[np.ndarray | None, tuple[int, int]]:
    """The ink inside ``region``: ``dark`` above ``level`` (at least ``floor``), only where
    ``within`` is non-zero, the faint strokes joined to it when ``grow`` (:func:`hysteresis`),
    cropped to the box around it (where the digit finder looks for its contours).

    Args:
        dark: uint8 (h, w) darkness.
        level: uint8 (h, w) ink level.
        region: the box (x0, y0, x1, y1) looked at, px.
        floor: the level is at least this (0..255).
        within: uint8 (h, w) or ``None`` (everywhere).
        grow: add the weaker pixels connected to the ink (:func:`hysteresis`).

    Returns:
        (uint8 (mh, mw) 0 or 255, or ``None`` when there is no ink; its (x, y) origin, px).
    """
    x0, y0, x1, y1 = region
    lev = level[y0:y1, x0:x1]
    if floor:
        lev = np.maximum(lev, np.uint8(floor))
    mask = cv2.compare(dark[y0:y1, x0:x1], lev, cv2.CMP_GT)
    if grow:
        mask = hysteresis(mask, dark[y0:y1, x0:x1], lev)
    if within is not None:
        mask = cv2.bitwise_and(mask, within[y0:y1, x0:x1])
    bx, by, bw, bh = cv2.boundingRect(mask)
    if bw == 0:
        return None, (x0, y0)
    return mask[by : by + bh, bx : bx + bw], (x0 + bx, y0 + by)


def no_writing(boxes: np.ndarray, floor: float) -> bool:
    """Whether no box of ``boxes`` (float (N, >= 4) x0, y0, x1, y1, px) is ``floor`` px tall
    or more (the height from which a candidate may be writing:
    :func:`edge.segment.digit_pieces.judged_as_writing`)."""
    return not bool((boxes[:, 3] - boxes[:, 1] >= floor).any()) if len(boxes) else True
