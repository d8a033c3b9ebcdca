"""The ink of a digit the segmenter cut out of a wider piece: only its side of the cut.

The digit finder cuts digits written touching (a 2's base running into the 3 after it) at a
column between them (:mod:`edge.segment.joined_digits`) and marks each part's ROI with the
whole piece's box (:attr:`edge.types.ROI.whole`). Every ink locator of the preprocessing
(:func:`edge.preprocess.analysis_ink.ink_in_core`, :func:`edge.preprocess.digit_ink.digit_ramp`)
thresholds a crop around the ROI and keeps the components lying mostly inside it; a part's
component is still joined to its neighbour beyond the cut, lies half outside the ROI and was
dropped, so neither part of a cut reached the classifier (a touching "23" read as nothing).
When a cut part's ROI yields no ink that way, :class:`edge.preprocess.MnistPreprocessor` reads it
again with :func:`beyond_cut_cleared`: the darkness beyond each cut side of the ROI set to paper
before the ink is located, so the part is read from the ink on its side of the cut. (Only then: a
part whose ink stands apart from its neighbour's at the locator's own threshold keeps its strokes
that reach across the cut column, a 7's bar over the 9 before it; clearing them always read such
a "97" as "91".)
"""

from __future__ import annotations

import math

import numpy as np

from edge.types import ROI

__all__ = ["beyond_cut_cleared", "cut_sides"]


def cut_sides(roi: ROI) -> tuple[bool, bool]:
    """Whether ``roi`` is a part cut out of a wider piece on its left and on its right.

    Args:
        roi: a digit ROI, frame px.

    Returns:
        (left, right): True where the piece :attr:`~edge.types.ROI.whole` reaches beyond the ROI
        on that side (the cut lies at the ROI's edge there); (False, False) for an ROI that is not
        a cut part.
    """
    w = roi.whole
    if w is None:
        return False, False
    return roi.x > w.x, roi.x + roi.w < w.x + w.w


def beyond_cut_cleared(
    dark: np.ndarray, core: tuple[float, float, float, float], sides: tuple[bool, bool]
) -> np.ndarray:
    """``dark`` with the columns beyond the cut sides of the ROI set to 0 (paper).

    Args:
        dark: uint8 (h, w) darkness (0 = paper .. 255 = black) around the ROI.
        core: the ROI in ``dark`` px (x0, y0, x1, y1; fractional at a working scale).
        sides: (left, right) of :func:`cut_sides`.

    Returns:
        ``dark`` itself when neither side is cut; else a copy with the columns left of
        ``floor(x0)`` (left cut) and from ``ceil(x1)`` on (right cut) cleared.
    """
    left, right = sides
    if not (left or right):
        return dark
    out = dark.copy()
    if left:
        out[:, : max(0, math.floor(core[0]))] = 0
    if right:
        out[:, math.ceil(core[2]) :] = 0
    return out
