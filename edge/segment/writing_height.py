"""Which candidates are writing, whose tallest sets the height the others are judged by (issue 13).

The digit finder drops a candidate under ``min_relative_height`` x the tallest one's height as a speck
(:func:`edge.segment.digit_pieces.select_digits`). A band of desk in shadow, a cable or a paper edge
beside the sheet is often taller than the digits but fainter: being the tallest, it would drop them.
So at a frame's first pass a candidate that is writing is judged by the tallest writing instead.

Writing is a candidate at least ``floor`` tall (twice the smallest digit) that is as dark as the writing,
its ink peak at least :data:`WRITING` x the darkest such candidate's, or as wide as a digit, at least
:data:`DIGIT_WIDTH` x its height, and not far fainter than the writing (a peak at least :data:`FAINTEST`
x the darkest: a desk pad's L-shaped corner around a sheet is wide but at 0.13, and its height dropped
every digit; review of session 26). The bands, cables and edges met are narrow (the ``demo`` scene's
shadow band, seed 0 frames 2981-2999: 0.21-0.41 of its height, its peak 0.53-0.63 of the digits'); a
faint digit is wide (MNIST's training digits but the 1s: at most 2.4% of each digit under 0.5 of their
height, 0.1% of the 0s and 2s), and it judges the short dark strokes beside it as before (a big faint
pencil 3 beside dark marks a fifth of its height: the marks, not digits, were shown as 1s).

Measured: MNIST test digits 200 px tall in pencil greys 150 and 110 (two of each digit) beside four dark
strokes 36 px tall: the strokes shown in 40 -> 4 of 40 scenes (the 4 left: beside a 1, as narrow as a
band); the ``demo`` scene's frames 2981-2999 of seed 0 still read "3 901"; over 3,000 frames of seeds
0-4 one extra fewer on seeds 0 and 2 each (the band at frame 2989 of seed 0, a patch of desk by the
sheet at 2026 of seed 2), no digit changed; dev frames and crops, pages and ``digits.png`` unchanged.
Left: a faint tall 1 (or a band as wide as half its height) beside short dark strokes lets them show.

Imports NumPy.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DIGIT_WIDTH", "FAINTEST", "WRITING", "judged_as_writing"]

#: A candidate sets the height the others are judged by (``min_relative_height``) only when its
#: ink peak is at least this share of the writing's darkest, or when it is as wide as a digit.
WRITING = 0.7
#: A candidate at least this share of its height wide is writing however faint (a digit but a 1).
DIGIT_WIDTH = 0.5
#: ... but only when its ink peak is at least this share of the writing's darkest (the big faint pencil
#: 3 of the tests is at 0.4; a desk pad's corner around the sheet at 0.13).
FAINTEST = 0.3


def judged_as_writing(
    heights: np.ndarray, widths: np.ndarray, peaks: np.ndarray, floor: float, relative: float
) -> np.ndarray:
    """Which candidates are writing at least ``relative`` x the tallest writing's height.

    Writing is a candidate at least ``floor`` tall whose ink peak is at least :data:`WRITING` x the
    darkest among those, or which is at least :data:`DIGIT_WIDTH` x its height wide and its peak at
    least :data:`FAINTEST` x the darkest (module docstring;
    specks under ``floor`` may be darker than the writing and are left out).

    Args:
        heights: float (K,) candidate heights (px), at least one of them ``floor`` or more.
        widths: float (K,) their widths (px).
        peaks: float (K,) their ink peaks (darkness 0..255,
            :func:`edge.segment.faint_marks.ink_peaks`).
        floor: the height (px) from which a candidate may be writing.
        relative: the share of the tallest writing's height (``min_relative_height``).

    Returns:
        bool (K,): the candidates that are writing and at least ``relative`` x its tallest.
    """
    tall = heights >= floor
    top = peaks[tall].max()
    wide = (widths >= DIGIT_WIDTH * heights) & (peaks >= FAINTEST * top)
    writing = tall & ((peaks >= WRITING * top) | wide)
    return writing & (heights >= relative * heights[writing].max())
