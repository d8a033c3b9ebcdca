"""Two repairs of a loose crop's ink (``edge-eval --crop``), used by
:func:`edge.preprocess.digit_ink.digit_ramp` with ``loose=True``.

- :func:`fill_fat_strokes`: the paper under a digit is estimated by a closing wider than a pen
  stroke (:func:`edge.segment.ink.darkness`); where a fat marker stroke or a loop it filled is
  wider than that closing, the closing takes its middle for paper and the digit comes out hollow
  (an outline around an empty middle: a filled 6 read as 1, a 9 as 7). A fat stroke is as dark as
  the thin parts of the same stroke and lies inside the digit, surrounded by its ink; a shadow is
  lighter than the ink and runs past it. The darkness against a closing twice as wide fills back
  the regions that are as dark as the kept ink (median), inside its box and mostly bordered by it.
  The wider closing runs only where the ink's box holds pixels as dark in the photo as the ink
  that the threshold left out (about 1 crop in 10; ``edge-eval --crop`` costs about 0.1 ms more
  a crop, about 1.5 ms in all here).
- :func:`without_thin_lines`: a ruled or squared paper line that the threshold joined to the pencil
  strokes of a digit makes one component spanning the window; the straight-line search
  (:func:`edge.segment.ink_components.remove_lines`) misses lines tilted by perspective or cut
  into pieces by the strokes they cross. At the working size (the digit 64 px tall) such a line is
  1-3 px wide and a pencil stroke 5-12 px: an opening by a :data:`THIN_LINE_PX` square removes
  the lines and keeps the strokes; one 3x3 dilation inside the mask gives the strokes' edges back.
  The caller keeps the opened ink only when it matches the digit's ROI better than the plain
  mask does (a thin-stroke digit broken by the opening matches it worse).

Measured on the loose crops of ``benchmarks/realistic_digits.py generate`` (``edge-eval --crop``,
no flags; seeds 21, 23 (2,000 crops) and 2191 (3,000) to develop, 22 and 2192 (3,000) to check),
misread crops before -> after: 14 -> 14, 33 -> 32, 53 -> 49; 22 -> 20, 50 -> 50 (172 -> 165 of
10,000; the fat strokes alone 172 -> 168, the thin lines alone 172 -> 168). Half of the misread
crops are pencil digits (a quarter of the crops); a third of them are digits the model misreads
or barely reads in their MNIST / OpenCV original too. Frames never take these repairs (the dev
frames of seeds 21/22/23 read the same).
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.ink import darkness, odd, square

#: Closing width of the second paper estimate, as a fraction of the working size (the digit's
#: longer side); the first is 0.4 (:func:`edge.preprocess.digit_ink.digit_ramp`).
FAT_KERNEL = 0.8
#: A region the wide closing finds is ink when darker than this share of the kept ink's median
#: darkness (against the same wide closing) at its pixels ...
FAT_LEVEL = 0.7
#: ... and as dark as this share of it in its median (a shadow is lighter than the ink) ...
FAT_MEDIAN = 0.9
#: ... and at least this share of the pixels around it are kept ink (a hole in the stroke, not a
#: shadow reaching in from the paper).
FAT_ENCLOSED = 0.5
#: Side (px at the working size) of the square the ink is opened with to drop thin ruled lines.
THIN_LINE_PX = 4


def fill_fat_strokes(
    work: np.ndarray,
    dark: np.ndarray,
    mask: np.ndarray,
    box: tuple[int, int, int, int],
    t: int,
    size: int,
    sides: tuple[bool, bool, bool, bool],
) -> np.ndarray | None:
    """``dark`` with the hollow middles of fat strokes filled from a wider paper estimate.

    Args:
        work: uint8 (h, w) grey window at the working size, dark ink on light paper.
        dark: uint8 (h, w) its darkness against the first paper estimate (a closing of 0.4 ``size``;
            0 paper .. 255 black).
        mask: uint8 (h, w), 255 on the kept ink (at ``dark > t``).
        box: the kept ink's box x0, y0, x1, y1 (px of ``work``).
        t: the ink threshold, 0..255.
        size: the working size (px, the digit's longer side) the wider closing is
            :data:`FAT_KERNEL` of.
        sides: (left, top, right, bottom) sides where ``work`` ends at the image's own border
            (as :func:`edge.segment.ink.darkness`).

    Returns:
        uint8 (h, w): a copy of ``dark`` with the filled regions taken from the wider estimate, or
        ``None`` when there is nothing to fill (most digits: no region passes).
    """
    bx0, by0, bx1, by1 = box
    kept = mask > 0
    # a hollow middle is as dark in the photo as the ink around it: none such in the ink's box
    # (most digits: paper between the strokes) -> nothing to fill, no second closing
    in_box, kept_box = work[by0:by1, bx0:bx1], kept[by0:by1, bx0:bx1]
    if not kept_box.any() or np.count_nonzero(in_box[~kept_box] <= np.median(in_box[kept_box])) < 4:
        return None
    big = darkness(work, odd(FAT_KERNEL * size), sides)
    level = float(np.median(big[kept])) if kept.any() else 0.0
    cand = ((big > max(float(t), FAT_LEVEL * level)) & (dark <= t)).astype(np.uint8)
    if level <= 0 or not cand.any():
        return None
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    out = None
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area < 4 or x < bx0 - 1 or y < by0 - 1 or x + w > bx1 + 1 or y + h > by1 + 1:
            continue
        region = (labels == i).astype(np.uint8)
        if float(np.median(big[region > 0])) < FAT_MEDIAN * level:
            continue
        ring = cv2.subtract(cv2.dilate(region, square(3)), region)
        n_ring = cv2.countNonZero(ring)
        if n_ring == 0 or np.count_nonzero(kept[ring > 0]) < FAT_ENCLOSED * n_ring:
            continue
        if out is None:
            out = dark.copy()
        np.copyto(out, big, where=region > 0)
    return out


def without_thin_lines(mask: np.ndarray) -> np.ndarray:
    """``mask`` without ink thinner than :data:`THIN_LINE_PX` (ruled lines at the working size).

    Args:
        mask: uint8 (h, w), ink 255, paper 0, at the working size (digit 64 px).

    Returns:
        uint8 (h, w): the ink a :data:`THIN_LINE_PX` square fits in, grown by 1 px inside ``mask``.
    """
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, square(THIN_LINE_PX))
    return cv2.bitwise_and(mask, cv2.dilate(opened, square(3)))
