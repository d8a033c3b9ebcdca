"""Ruled lines too thick for :func:`edge.segment.ink_components.remove_lines`, erased from a loose crop.

:func:`~edge.segment.ink_components.remove_lines` searches only the thin ink (what a square of
the line's thickness does not fit in). A loose crop of a small digit (30-50 px) is brought up to
:data:`edge.preprocess.locate.LOCATE_SIZE` (160 px): a ruled or squared paper line 2 px wide in
the photo is 8-12 px wide there at the threshold (blur and the low threshold of faint pencil
fatten it), as wide as the pencil strokes, and where the digit sits on the line the thin ink
breaks off around it. The line and the digit stay one component that spans the crop: the digit
is not found, or found with the line (a 4 read as a 7 with the line through it, a 6 cut to the
grid's cross).

A ruled line is straight and runs across the whole crop; a digit's stroke does neither. Only a
component and segments that touch one border and reach the opposite one (to within a third of
the line length: a ruled line may end at the paper's edge) are taken for lines: a straight "1"
filling 80-90% of a tight crop lost its stem before (no digit found, or a speck of it). The
mask is opened with a long horizontal and a long vertical bar (a third of the line length):
what is left are the straight runs, through the digit's ink where it covers the line; the
probabilistic Hough transform finds the segments at least ``h_length`` (``v_length``) long in
them, and each is erased with its own thickness, measured across it in the opened mask (at most
``max_thickness``: a thicker band is not a ruled line). Where ink continues on both sides of the
band within the line's thickness (a stroke crossing the line) the band is given back; where
Hough's segments spread the band wider than that, the crossing stroke loses the band, and the
pieces are grown back into one digit by :func:`edge.preprocess.locate.locate_digit`.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.ink_components import Components

#: Largest tilt (degrees) of a line from the horizontal or vertical (a photographed page's
#: ruling in a loose crop; set on realistic_digits dev seeds 21/22: a wider tilt gained nothing).
MAX_ANGLE = 15.0


def bar_length(length: int) -> int:
    """Length (px) of the bar the mask is opened with to find lines at least ``length`` px long."""
    return max(3, length // 3)


def _across(lo: np.ndarray, hi: np.ndarray, end: int, length: int) -> np.ndarray:
    """Whether runs from ``lo`` to ``hi`` (px, float or int arrays, ``hi`` exclusive) go across an
    image ``end`` px long as a ruled line at least ``length`` px long does: one end at the border
    (within ``length`` / 32 px), the other within :func:`bar_length` of it (a ruled line may end
    at the paper's edge). A digit's stroke as long in a loose crop leaves paper at both ends."""
    gaps = np.stack([lo, end - hi])
    return (gaps.min(axis=0) <= length // 32) & (gaps.max(axis=0) <= bar_length(length))


def any_spanning(comps: Components, shape: tuple[int, int], h_length: int, v_length: int) -> bool:
    """Whether a component of ``comps`` runs across the image as a ruled line does.

    Args:
        comps: the ink components of a uint8 mask of ``shape``.
        shape: the mask's (H, W) (px).
        h_length: shortest horizontal line (px), > 0: a component at least this wide that touches
            the left or the right border and reaches the other one (within :func:`bar_length`).
        v_length: shortest vertical line (px), > 0: the same from the top to the bottom border.

    Returns:
        True when such a component is in ``comps`` (a digit alone, even a tightly cropped "1",
        leaves paper at both ends in a loose crop).
    """
    if not len(comps):
        return False
    h, w = shape
    x0, y0, x1, y1 = comps.box.T
    across = (comps.width >= h_length) & _across(x0, x1, w, h_length)
    down = (comps.height >= v_length) & _across(y0, y1, h, v_length)
    return bool((across | down).any())


def erase_thick_lines(mask: np.ndarray, h_length: int, v_length: int, max_thickness: int) -> np.ndarray:
    """``mask`` without straight lines at least ``h_length`` px long (near horizontal) or
    ``v_length`` px long (near vertical), at most ``max_thickness`` px thick, that run across the
    image: touching one border and ending within :func:`bar_length` of the opposite one (a digit's
    stroke as long, a "1" or a 4's or 7's stem in a tight crop, leaves paper at both ends).

    Args:
        mask: uint8 (H, W), ink 255, paper 0.
        h_length: shortest horizontal line (px), > 0.
        v_length: shortest vertical line (px), > 0.
        max_thickness: thickest line erased (px), >= 1.

    Returns:
        uint8 (H, W): ``mask`` itself when no line was found, else a copy with the lines' bands
        cleared.
    """
    h, w = mask.shape
    out = mask
    tan = np.tan(np.radians(MAX_ANGLE))
    for horizontal, length in ((True, h_length), (False, v_length)):
        if length <= 0 or length > (w if horizontal else h):
            continue
        bar = bar_length(length)
        end = w if horizontal else h
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (bar, 1) if horizontal else (1, bar))
        runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        if cv2.countNonZero(runs) < length:
            continue
        segs = cv2.HoughLinesP(
            runs,
            1,
            np.pi / 180,
            threshold=max(4, length // 2),
            minLineLength=length,
            maxLineGap=max(3, length // 8),
        )
        if segs is None:
            continue
        band = np.zeros_like(mask)
        widest = 0
        for seg in segs.reshape(-1, 4):
            x1, y1, x2, y2 = (int(v) for v in seg)
            dx, dy = abs(x2 - x1), abs(y2 - y1)
            if (dy > tan * dx or dx < length) if horizontal else (dx > tan * dy or dy < length):
                continue
            lo, hi = sorted((x1, x2) if horizontal else (y1, y2))
            if not _across(np.array([lo]), np.array([hi + 1]), end, length)[0]:  # a digit's stroke
                continue
            found = _band(runs, (x1, y1, x2, y2), horizontal, max_thickness)
            if found is None:
                continue
            thick, shift = found
            widest = max(widest, thick + 2)
            if horizontal:  # through the band's middle
                cv2.line(band, (x1, y1 + shift), (x2, y2 + shift), 255, thick + 2)
            else:
                cv2.line(band, (x1 + shift, y1), (x2 + shift, y2), 255, thick + 2)
        if not widest:
            continue
        erased = cv2.bitwise_and(out, cv2.bitwise_not(band))
        # strokes crossing the line: the band is given back where ink continues on both sides of it
        across = cv2.getStructuringElement(cv2.MORPH_RECT, (1, widest + 2) if horizontal else (widest + 2, 1))
        crossing = cv2.bitwise_and(
            cv2.morphologyEx(erased, cv2.MORPH_CLOSE, across), cv2.bitwise_and(band, out)
        )
        out = cv2.bitwise_or(erased, crossing)
    return out


def _band(
    runs: np.ndarray, seg: tuple[int, int, int, int], horizontal: bool, max_thickness: int
) -> tuple[int, int] | None:
    """The band of ``runs``' ink that the segment ``seg`` (x1, y1, x2, y2) lies in: its median
    thickness (px) and the median offset (px, down or right) of its middle from the segment,
    measured at nine points along it (columns of a horizontal line, rows of a vertical one);
    ``None`` when it is thicker than ``max_thickness`` or not measured at any point."""
    x1, y1, x2, y2 = seg
    limit = 2 * max_thickness
    found = []
    for f in np.linspace(0.1, 0.9, 9).tolist():
        x, y = int(round(x1 + f * (x2 - x1))), int(round(y1 + f * (y2 - y1)))
        line = runs[:, x] if horizontal else runs[y, :]
        at = y if horizontal else x
        if not line[at]:
            continue
        lo, hi = at, at
        while lo > 0 and line[lo - 1] and at - lo < limit:
            lo -= 1
        while hi < len(line) - 1 and line[hi + 1] and hi - at < limit:
            hi += 1
        found.append((hi - lo + 1, lo + hi - 2 * at))
    if not found:
        return None
    thick = int(np.median([t for t, _ in found]))
    shift = int(round(np.median([d for _, d in found]) / 2))
    return (thick, shift) if thick <= max_thickness else None
