"""A digit's ink from the segmenter's own analysis of the frame (the fast path of
:class:`edge.preprocess.MnistPreprocessor`).

:func:`edge.preprocess.digit_ink.digit_ramp` crops the digit from the full-resolution
grey frame, shrinks it to a 64-px working size, flat-fields it (a 27-px grey closing)
and chooses its own threshold: most of the 0.25 ms a digit costs. The digit segmenter
(:class:`edge.segment.digits.DigitSegmenter`) has already flat-fielded the whole frame at
its analysis scale, inverted light ink and chosen a per-pixel ink threshold
(:class:`edge.segment.ink_analysis.InkAnalysis`). When the digit is tall enough there
(``min_px``; a 640x480 frame is analysed at 320x240, so a digit of 40 px or more), its
ink is read from that darkness image directly: Otsu's level (N. Otsu, 1979) over the
ROI (it must reach the segmenter's threshold there); the same component selection and
stroke-width rule as the full path (:func:`~edge.preprocess.digit_ink.select_ink`,
:func:`~edge.preprocess.ink_levels.ink_ramp`). :mod:`edge.preprocess.mnist_format` then
scales the ink's box to 20 px (area interpolation: the anti-aliasing of LeCun's MNIST)
and centres it by its moments, as for the full path.

It declines (``None``: the caller takes the full path) for digits shorter than
``min_px`` or larger than :data:`MAX_SIDE` times the segmenter's paper kernel (a fat
stroke may have been taken for paper there), in cleared texture, for faint ink (the
ROI's Otsu level below both the segmenter's threshold there and the crop's own noise
floor, :func:`~edge.preprocess.digit_ink.noise_floor`: a faint ruled line or pencil
barely above the paper's noise), and when the kept ink's box does not match the ROI:
it reaches more than :data:`BOX_SLACK` of the ROI's side (at least 2 px) outside it (a
shadow or a neighbour joined the ink at this threshold), or covers less than
:data:`MIN_COVER` of its area (part of the digit is fainter than the threshold). (The
ROI comes from the segmenter's lower threshold, so the ink's box is usually a pixel or
two inside it.)
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.preprocess.cut_ink import beyond_cut_cleared
from edge.preprocess.digit_ink import noise_floor, select_ink_outline
from edge.preprocess.ink_levels import ink_levels
from edge.segment.ink import MIN_CONTRAST
from edge.segment.ink_analysis import InkAnalysis
from edge.types import ROI

#: Shortest digit (analysis px, the ROI's height) read from the analysis image. Chosen on
#: camera-like frames (``benchmarks.realistic_digits``), the demo scene and MNIST digits on
#: grey paper (``benchmarks classic``): at 20 px each set reads as many digits as the full
#: path (+-1 of 500-1500); at 14-16 px MNIST on grey paper loses 2-4 of 1,500.
FAST_MIN_PX = 20
#: Longest ROI side read here, in multiples of the segmenter's paper-estimate kernel
#: (:attr:`~edge.segment.ink_analysis.InkAnalysis.background_px`): the full path's
#: kernel is 0.4 of the digit's side, so strokes up to that width stay ink.
MAX_SIDE = 2.5
#: How far (fraction of the ROI's longer side, at least 2 px) the kept ink's box may
#: reach outside the ROI ...
BOX_SLACK = 0.1
#: ... and the least fraction of the ROI's area it covers, for the fast path's result to stand.
MIN_COVER = 0.5


def analysis_ramp(
    analysis: InkAnalysis,
    roi: ROI,
    min_px: int = FAST_MIN_PX,
    box: tuple[int, int, int, int] | None = None,
    tight: bool = False,
) -> tuple[np.ndarray, int] | None:
    """The digit in ``roi`` as uint8 ink levels, read from the segmenter's analysis image.

    Args:
        analysis: the segmenter's analysis of the frame ``roi`` was found in.
        roi: the digit's region in full-frame px.
        min_px: shortest ROI (analysis px) read here.
        box: ``analysis.box(roi)`` if already known (the frame's boxes at once:
            :meth:`edge.segment.ink_analysis.InkAnalysis.boxes`).
        tight: crop the levels to their non-zero box (no border).

    Returns:
        (uint8 (h, w) ink levels 0..``t`` at the analysis scale, zero outside the digit's
        ink, with a border of at least 1 px unless ``tight``; ``t``, the ink threshold
        1..255), as :func:`edge.preprocess.digit_ink.digit_ramp` gives them; or ``None``:
        read the digit the full way (see the module's docstring for when).
    """
    x0, y0, x1, y1 = analysis.box(roi) if box is None else box
    if y1 - y0 < min_px or x1 - x0 < 1 or max(x1 - x0, y1 - y0) > MAX_SIDE * analysis.background_px:
        return None
    floor = int(analysis.level[(y0 + y1) // 2, (x0 + x1) // 2])
    if floor >= 255:  # cleared texture
        return None
    h, w = analysis.dark.shape
    pad = int(round(0.2 * max(x1 - x0, y1 - y0))) + 2
    cx0, cy0, cx1, cy1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    dark = analysis.dark[cy0:cy1, cx0:cx1]
    return ink_in_core(dark, (x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0), floor, tight, roi)


def ink_in_core(
    dark: np.ndarray,
    core: tuple[int, int, int, int],
    floor: int,
    tight: bool = False,
    cut: ROI | None = None,
) -> tuple[np.ndarray, int] | None:
    """The digit's ink in a darkness crop, if it stands as one digit of the ROI.

    Shared by both fast paths (:func:`analysis_ramp`, :func:`edge.preprocess.grey_ink.grey_ramp`):
    Otsu's level (N. Otsu, 1979) over the ROI is the ink threshold; the ROI's component(s)
    are kept by :func:`edge.preprocess.digit_ink.select_ink` and turned into levels by
    :func:`edge.preprocess.ink_levels.ink_ramp`.

    Args:
        dark: uint8 (h, w) darkness (0 = paper, 255 = darkest ink) around the ROI.
        core: the ROI in ``dark`` px, (x0, y0, x1, y1), non-empty.
        floor: the segmenter's ink threshold there (0..254).
        tight: crop the levels to their non-zero box (no border).
        cut: the ROI (frame px) when the darkness beyond the sides where the segmenter cut it out
            of a wider piece is cleared first (:func:`edge.preprocess.cut_ink.beyond_cut_cleared`).

    Returns:
        (uint8 ink levels 0..``t``, ``t``) as :func:`~edge.preprocess.ink_levels.ink_ramp`
        gives them (cropped to the ink when ``tight``), or ``None`` (read the digit the
        full way) for faint ink (Otsu's level below ``floor`` and below the crop's
        :func:`~edge.preprocess.digit_ink.noise_floor`, the floor the full path puts under
        its own Otsu level; between the two, Otsu's level stands), no ink, or a kept ink box
        that reaches more than max(2 px, :data:`BOX_SLACK` of the ROI's side) outside the
        ROI or covers less than :data:`MIN_COVER` of it.
    """
    x0, y0, x1, y1 = core
    if cut is not None:
        dark = beyond_cut_cleared(dark, core, cut)
    otsu = cv2.threshold(dark[y0:y1, x0:x1], 0, 255, cv2.THRESH_OTSU)[0]
    # faint ink, barely above the paper's noise here (the noise floor is at least MIN_CONTRAST:
    # below that no histogram is needed)
    if otsu < floor and (otsu < MIN_CONTRAST * 255.0 or otsu < noise_floor(dark)):
        return None
    t = int(otsu)
    _, mask, box, outline, area, plain = select_ink_outline(dark, t, core, 2)
    if mask is None:
        return None
    bx0, by0, bx1, by1 = box
    outside = -min(bx0 - x0, by0 - y0, x1 - bx1, y1 - by1)  # px beyond the ROI
    if outside > 2 and outside > BOX_SLACK * max(x1 - x0, y1 - y0):
        return None
    if (bx1 - bx0) * (by1 - by0) / max(1, (x1 - x0) * (y1 - y0)) < MIN_COVER:  # covers too little
        return None
    return ink_levels(dark, mask, box, t, outline, area, plain, tight)
