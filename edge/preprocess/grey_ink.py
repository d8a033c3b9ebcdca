"""A small digit's ink from the full-resolution grey frame, with the segmenter's polarity
and ink level (a second fast path of :class:`edge.preprocess.MnistPreprocessor`).

Digits too short in the segmenter's analysis image for
:mod:`edge.preprocess.analysis_ink` (fewer than ``FAST_MIN_PX`` analysis px) are read
from the full-resolution grey crop around the ROI instead of the full way
(:func:`edge.preprocess.digit_ink.digit_ramp`: 64-px working size, a 27-px grey closing
for the paper, its own polarity decision). Such a crop is small and mostly paper, so
its paper is one level, the median of its border ring, and its darkness is
``255 * (1 - grey / paper)`` (the segmenter's flat-fielded units); the ink's polarity is
the frame's (the segmenter found the ROI in that ink). It declines (``None``) where one
paper level does not fit (the ring's grey levels spread over more than
:data:`MAX_RING_SPREAD` of the paper level: a shadow edge or a neighbour), for faint
ink (Otsu's level over the ROI below both the segmenter's threshold there and the crop's
noise floor; OpenCV's ``digits.png``, light on black, stands between the two), and when the
kept ink's box does not match the ROI (as :func:`~edge.preprocess.analysis_ink.analysis_ramp`).
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.preprocess.analysis_ink import FAST_MIN_PX, ink_in_core
from edge.preprocess.polarity import sorted_ring
from edge.segment.ink_analysis import InkAnalysis
from edge.types import ROI

#: Shortest digit (analysis px) read here; shorter ones go the full way.
GREY_MIN_PX = 10
#: Largest spread of the border ring's grey levels (10th to 90th percentile) as a
#: fraction of its median for one paper level to stand.
MAX_RING_SPREAD = 0.15


def grey_ramp(
    image: np.ndarray,
    analysis: InkAnalysis,
    roi: ROI,
    min_px: int = GREY_MIN_PX,
    max_px: int = FAST_MIN_PX,
    box: tuple[int, int, int, int] | None = None,
    tight: bool = False,
) -> tuple[np.ndarray, int] | None:
    """The digit in ``roi`` as uint8 ink levels, read from the full-resolution grey frame.

    Args:
        image: uint8 (H, W) grey or (H, W, 3) BGR frame the segmenter analysed.
        analysis: the segmenter's analysis of that frame.
        roi: the digit's region in ``image`` px.
        min_px, max_px: read ROIs from ``min_px`` up to (not including) ``max_px``
            analysis px tall here.
        box: ``analysis.box(roi)`` if already known
            (:meth:`edge.segment.ink_analysis.InkAnalysis.boxes`).
        tight: crop the levels to their non-zero box (no border).

    Returns:
        (uint8 (h, w) ink levels 0..``t`` at full resolution, zero outside the digit's
        ink, with a border of at least 1 px unless ``tight``; ``t``, the ink threshold
        1..255), as :func:`edge.preprocess.digit_ink.digit_ramp` gives them; or ``None``:
        read the digit the full way (see the module's docstring for when).
    """
    ax0, ay0, ax1, ay1 = analysis.box(roi) if box is None else box
    if not min_px <= ay1 - ay0 < max_px or ax1 <= ax0:
        return None
    floor = int(analysis.level[(ay0 + ay1) // 2, (ax0 + ax1) // 2])
    if floor >= 255:  # cleared texture
        return None
    H, W = image.shape[:2]
    pad = int(round(0.2 * max(roi.w, roi.h))) + 2
    x0, y0 = max(0, roi.x - pad), max(0, roi.y - pad)
    x1, y1 = min(W, roi.x + roi.w + pad), min(H, roi.y + roi.h + pad)
    crop = image[y0:y1, x0:x1]
    if crop.ndim == 3:
        crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    # light ink: the crop inverted, here by reading its ring's levels from the other end
    # and by one table for the inversion and the darkness below
    ring = sorted_ring(crop)
    n = len(ring) - 1
    if analysis.light:
        p10, paper, p90 = 255 - int(ring[n - n // 10]), 255 - int(ring[n - n // 2]), 255 - int(ring[n // 10])
    else:
        p10, paper, p90 = int(ring[n // 10]), int(ring[n // 2]), int(ring[n - n // 10])
    if paper < 8 or p90 - p10 > MAX_RING_SPREAD * paper:
        return None
    # 255 * (1 - grey / paper), 0 where lighter than the paper
    dark = cv2.LUT(crop, _darkness_table(paper, analysis.light))
    core = (roi.x - x0, roi.y - y0, roi.x + roi.w - x0, roi.y + roi.h - y0)
    return ink_in_core(dark, core, floor, tight, roi)


_TABLES: dict[tuple[int, bool], np.ndarray] = {}


def _darkness_table(paper: int, light: bool) -> np.ndarray:
    """uint8 (1, 256) table: grey level -> ``255 - saturate(round(grey * 255 / paper))``, made
    by the very OpenCV calls that :func:`grey_ramp` would apply to the crop (so the same
    levels); of the inverted grey level when ``light``. At most 512 tables of 256 bytes."""
    table = _TABLES.get((paper, light))
    if table is None:
        grey = np.arange(256, dtype=np.uint8)[None, :]
        table = cv2.bitwise_not(
            cv2.convertScaleAbs(cv2.bitwise_not(grey) if light else grey, alpha=255.0 / paper)
        )
        _TABLES[(paper, light)] = table
    return table
