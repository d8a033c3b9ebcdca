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
a "97" as "91".) A part cut along a path (:mod:`edge.segment.cut_path`: its ROI's
:attr:`~edge.types.ROI.side`) is read the same way, the darkness beyond the path cleared row by
row: its box overlaps its neighbour's, whose ink a column would leave in it.
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


def beyond_cut_cleared(dark: np.ndarray, core: tuple[float, float, float, float], roi: ROI) -> np.ndarray:
    """``dark`` with what lies beyond the cut sides of ``roi`` set to 0 (paper).

    Args:
        dark: uint8 (h, w) darkness (0 = paper .. 255 = black) around the ROI.
        core: ``roi`` in ``dark`` px (x0, y0, x1, y1; fractional at a working scale).
        roi: the ROI, frame px (its cut sides: :func:`cut_sides`).

    Returns:
        For a part cut along a path (``roi.side``, whatever its box), a copy with the px whose
        centre lies outside its side of the path in their row cleared (frame rows beyond the
        whole's take its first or last row's side); else ``dark`` itself when neither side is
        cut, or a copy with the columns left of ``floor(x0)`` (left cut) and from ``ceil(x1)`` on
        (right cut) cleared.
    """
    if roi.whole is None:  # not a cut part (most ROIs)
        return dark
    if roi.side is not None:
        out = dark.copy()
        h, w = dark.shape
        sx, sy = (core[2] - core[0]) / max(roi.w, 1), (core[3] - core[1]) / max(roi.h, 1)
        fy = np.floor(roi.y + (np.arange(h) + 0.5 - core[1]) / sy).astype(np.int64)
        i = np.clip(fy - roi.whole.y, 0, roi.side.shape[1] - 1)
        lo = core[0] + (roi.side[0, i].astype(np.float64) - roi.x) * sx
        hi = core[0] + (roi.side[1, i].astype(np.float64) - roi.x) * sx
        x = np.arange(w) + 0.5
        out[(x[None, :] < lo[:, None]) | (x[None, :] >= hi[:, None])] = 0
        return out
    left, right = cut_sides(roi)
    if not (left or right):
        return dark
    out = dark.copy()
    if left:
        out[:, : max(0, math.floor(core[0]))] = 0
    if right:
        out[:, math.ceil(core[2]) :] = 0
    return out
