"""What the digit segmenter measured on a frame, handed to the preprocessing.

:class:`edge.segment.digits.DigitSegmenter` flat-fields the frame at its analysis
scale, decides the ink's polarity and chooses a per-pixel ink threshold before it
finds any digit. :class:`InkAnalysis` keeps those results (``last_analysis``), so
:class:`edge.preprocess.MnistPreprocessor` can build a digit's model input from
them instead of flat-fielding and thresholding the digit's crop again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.types import ROI


@dataclass(frozen=True)
class InkAnalysis:
    """The ink of one frame at the segmenter's analysis scale.

    Attributes:
        dark: uint8 (h, w) darkness of the analysis image: 0 = paper .. 255 = black,
            the paper divided out (grey morphological closing); light ink was inverted
            first, so ink always has high values; 0 where unlit.
        level: uint8 (h, w) the segmenter's first per-pixel ink threshold of the same
            image (``dark > level`` is ink; 255 where textured background was cleared;
            where the segmenter found ruled lines or clutter it raised it for its own
            search, not here; but where a ruling's clutter was measured with ink darker
            than the ruling, :meth:`~edge.segment.digit_ruling.PageRuling.above`'s level).
        frame_shape: (H, W) of the full frame the segmenter was given (px).
        light: the frame's ink was taken as light on a dark ground.
        background_px: side of the square closing that estimated the paper (analysis px):
            ink wider than about half of it (a fat marker's filled loop) may have been
            taken for paper.
    """

    dark: np.ndarray
    level: np.ndarray
    frame_shape: tuple[int, int]
    light: bool
    background_px: int

    @property
    def scale(self) -> tuple[float, float]:
        """(sx, sy): full-frame px per analysis px."""
        (H, W), (h, w) = self.frame_shape, self.dark.shape
        return W / w, H / h

    def box(self, roi: ROI) -> tuple[int, int, int, int]:
        """``roi`` (full-frame px) as a box x0, y0, x1, y1 in analysis px (ints), clipped to the
        image: for the segmenter's own ROIs (its analysis boxes rounded outwards to full-frame
        px) that box, give or take a pixel."""
        return self.boxes([roi])[0]

    def boxes(self, rois: Sequence[ROI]) -> list[tuple[int, int, int, int]]:
        """:meth:`box` of each of ``rois``, the frame's scale worked out once (plain Python:
        a frame's few boxes cost less than NumPy's per-call overhead on scalars)."""
        sx, sy = self.scale
        h, w = self.dark.shape
        return [
            (
                max(0, int(r.x / sx + 0.01)),
                max(0, int(r.y / sy + 0.01)),
                min(w, math.ceil((r.x + r.w) / sx - 0.01)),
                min(h, math.ceil((r.y + r.h) / sy - 0.01)),
            )
            for r in rois
        ]
