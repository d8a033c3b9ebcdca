"""Whether a decimal point's or minus sign's candidate is the writer's own ink
(:func:`edge.segment.number_marks.find_marks`), not a piece of a ruled or squared paper's lines.

A line's band is thresholded at Otsu's level; on ruled or squared paper (a school notebook)
that level may fall below the printed lines, whose pieces between the digits and whose
crossings then have a point's or a dash's size and place. Two rules, both about ink a real
photo shows, tell them apart (:func:`is_own_mark`):

- a mark is ink of its own: a piece that the digits' boxes or the band's edge cut off larger
  ink (a line running through the digits, a stroke of a digit) is none
  (:func:`edge.segment.ink_components.stands_alone`);
- a mark is written with the pen of the digits, as dark at its core as their strokes: its
  darkest pixel is at least :data:`MARK_INK` of the way from the paper around it to the
  digits' typical stroke core (the median over the digits of each one's darkest pixel).
  Printed ruling is fainter than pen or pencil strokes, and a 1-2 px line loses more of its
  contrast to the camera's blur than a stroke or a dot at least a stroke wide.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edge.segment.digit_scale import few_median
from edge.segment.ink_components import stands_alone
from edge.segment.ring_colour import pixel_medians

#: A mark's core reaches at least this fraction of the digits' stroke darkness above the paper.
MARK_INK = 0.5

#: An array's maximum by the ufunc's reduce (``axis=None``: of all its values), as ``ndarray.max`` takes it.
_peak = np.maximum.reduce


def is_own_mark(
    full: np.ndarray,
    dark: np.ndarray,
    rect: tuple[int, int, int, int],
    start: tuple[int, int],
    digits: Sequence[tuple[int, int, int, int]],
) -> bool:
    """Whether the candidate mark is the writer's own ink (see the module doc).

    Args:
        full: uint8 (h, w) the band's ink mask (255 = ink) before the digits' boxes were cleared.
        dark: uint8 (h, w) the band's darkness (ink bright, whatever its polarity), same px.
        rect: the candidate's (x, y, w, h) box in the cleared mask, band px.
        start: (x, y) a pixel of the candidate, band px.
        digits: the line's digit boxes as ``(row0, row1, col0, col1)`` slices of the band.

    Returns:
        ``False`` for a piece cut off larger ink or a mark fainter than the digits' strokes.
    """
    if not stands_alone(full, rect, start):
        return False
    # the ufunc's reduce, not ndarray.max (whose Python wrapper costs a few us): the same maximum
    cores = [int(_peak(dark[r0:r1, c0:c1], axis=None)) for r0, r1, c0, c1 in digits if r1 > r0 and c1 > c0]
    if not cores:
        return True
    x, y, w, h = rect
    m = max(w, h)  # the paper around the candidate: its box grown by its size
    around = dark[max(0, y - m) : y + h + m, max(0, x - m) : x + w + m]
    paper = float(pixel_medians(around.reshape(-1, 1))[0])  # (np.median's value, from a radix sort)
    core = float(_peak(dark[y : y + h, x : x + w], axis=None))
    return core >= paper + MARK_INK * (few_median(cores) - paper)


__all__ = ["MARK_INK", "is_own_mark"]
