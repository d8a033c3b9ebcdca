"""The long straight thin lines of an ink mask: a ruled or squared page's ruling
(:mod:`edge.segment.digit_ruling` drops the pieces of it and measures ink above it).

A ruling is straight, long, of one darkness and runs across the page in one or two directions.
Segments as long as a ruled line of their direction that are a ridge of the darkness along most
of their length (a row of digits or a grid's diagonal is not) and run along the page's one or two
directions (within :data:`~edge.segment.line_ridges.SPREAD_DEG`: perspective fans them out), at
least :data:`MIN_LINES` of them (one long line is a paper or table edge, a margin or a stroke)
(:func:`find_ruling`). The segments are those of a search (:func:`edge.segment.ink_components.thin_segments`,
a probabilistic Hough transform) or ones already found (the line eraser's).
"""

from __future__ import annotations

import numpy as np

from edge.segment.ink_components import thin_segments
from edge.segment.line_ridges import SPREAD_DEG, ridged

__all__ = ["MIN_LINES", "RIDGE_SHARE", "along_ruling", "angle_between", "angles", "directions", "find_ruling"]

#: Least share of a ruled line's length that is a ridge (:func:`edge.segment.line_ridges.ridged`).
RIDGE_SHARE = 0.75
#: Fewest long straight lines that make a ruling (a ruled page has many; one is an edge).
MIN_LINES = 3


def find_ruling(
    mask: np.ndarray,
    dark: np.ndarray,
    lengths: tuple[int, int],
    thickness: int,
    segs: np.ndarray | None = None,
) -> np.ndarray | None:
    """The long straight thin lines of an ink mask: a page's ruling.

    The segments are those the line eraser found (``segs``), or when ``None``, those of a search
    of the mask's thin ink (:func:`edge.segment.ink_components.thin_segments`). Each must be as
    long as a ruled line of its direction (``lengths``: a tall thin "1" is shorter than a vertical
    line, :func:`edge.segment.digit_lines.line_lengths`) and a ridge along :data:`RIDGE_SHARE` of
    its length or more (:mod:`edge.segment.line_ridges`): a line is darker than the paper on both
    sides all along, where a segment that the gap bridging found along a row of digits or through
    a grid's crossings crosses paper between them. Of those, the ones along the page's directions
    (:func:`along_ruling`).

    Args:
        mask: uint8 (h, w) ink mask (255 = ink), the lowest ink level (ruling included).
        dark: uint8 (h, w) the darkness under it (ink bright).
        lengths: (shortest horizontal, vertical line) (px; 0: none in that direction).
        thickness: thickest line (px).
        segs: float (L, 4) segments x0, y0, x1, y1 already found in ``mask`` (px), or ``None``.

    Returns:
        float32 (L, 4) segments x0, y0, x1, y1 in ``mask`` px, or ``None`` when fewer than
        :data:`MIN_LINES` are found.

    Raises:
        ValueError: no line length is >= 1.
    """
    if max(lengths) < 1:
        raise ValueError(f"a line length must be >= 1 px, got {lengths}")
    if segs is None:
        shortest = min(n for n in lengths if n > 0)
        segs = thin_segments(mask, shortest, thickness, spans=lengths, least=MIN_LINES)
    if segs is None or len(segs) < MIN_LINES:
        return None
    segs = np.asarray(segs, np.float32)
    d = np.abs(segs[:, 2:] - segs[:, :2])
    need = np.where(d[:, 0] >= d[:, 1], lengths[0], lengths[1])  # (nearer horizontal, vertical)
    segs = segs[(need > 0) & (np.hypot(d[:, 0], d[:, 1]) >= need)]
    if len(segs) < MIN_LINES:
        return None
    segs = segs[ridged(dark, segs, thickness + 1) >= RIDGE_SHARE]
    if len(segs) < MIN_LINES:
        return None
    segs = along_ruling(segs)
    return segs if len(segs) >= MIN_LINES else None


def along_ruling(segs: np.ndarray) -> np.ndarray:
    """The segments along the page's one or two ruling directions: within :data:`SPREAD_DEG`
    of the direction with the most line length, or of the one with the most line length at
    least 45 degrees from it (squared paper's other lines). Lines through a grid's crossings
    (its diagonals, found where the gaps are bridged) and the odd long stroke are dropped.

    Args:
        segs: float32 (L, 4) segments x0, y0, x1, y1 (px).

    Returns:
        float32 (K, 4), K <= L.
    """
    angle = angles(segs)
    near = np.zeros(len(segs), bool)
    for a in directions(segs):
        near |= angle_between(angle, a) <= SPREAD_DEG
    return segs[near]


def angles(segs: np.ndarray) -> np.ndarray:
    """float (L,) the segments' directions, degrees in [0, 180) (y down)."""
    return _degrees(segs[:, 2:] - segs[:, :2])


def _degrees(d: np.ndarray) -> np.ndarray:
    """float (L,) the directions of float (L, 2) vectors (dx, dy), degrees in [0, 180) (y down)."""
    return np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 180.0


def angle_between(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """float (L,) (or a scalar) the angles, degrees 0..90, between directions ``a`` and ``b`` (degrees,
    as :func:`angles` gives them; a line has no sense, so 170 and 10 are 20 apart)."""
    return np.abs((a - b + 90.0) % 180.0 - 90.0)


#: Half-width (degrees) of the window in which :func:`directions` adds up line length (the
#: Hough search's 1-degree steps; perspective turns a page's lines by a few degrees).
WINDOW_DEG = 5
#: Least angle (degrees) between a page's two ruling directions (squared paper's are 90 degrees
#: apart; a steep perspective makes that no less than about 60).
APART_DEG = 45


def directions(segs: np.ndarray) -> tuple[int, ...]:
    """The page's one or two ruling directions (degrees in [0, 180), whole): the one with the
    most line length within :data:`WINDOW_DEG`, and the one with the most at least
    :data:`APART_DEG` from it (squared paper) when :data:`MIN_LINES` segments or more run along
    it (within :data:`SPREAD_DEG`; one is a stroke, a tall "1", an edge)."""
    d = segs[:, 2:] - segs[:, :2]
    length = np.hypot(d[:, 0], d[:, 1])
    angle = _degrees(d)  # (angles(segs), from the same d)
    hist = np.bincount(np.round(angle).astype(np.int64) % 180, weights=length, minlength=180)
    n = WINDOW_DEG  # length within n degrees of each direction (the histogram is circular)
    wide = np.convolve(np.concatenate([hist[-n:], hist, hist[:n]]), _WINDOW, "valid")
    first = int(np.argmax(wide))
    second = int(np.argmax(np.where(_APART[first], wide, -1.0)))
    along = np.count_nonzero(angle_between(angle, second) <= SPREAD_DEG)
    return (first, second) if wide[second] > 0 and along >= MIN_LINES else (first,)


#: The window of :func:`directions` (ones, :data:`WINDOW_DEG` either side) ...
_WINDOW = np.ones(2 * WINDOW_DEG + 1)
#: ... and bool (180, 180) whether whole degrees j (column) and i (row) are at least :data:`APART_DEG` apart.
_APART = angle_between(np.arange(180)[None, :], np.arange(180)[:, None]) >= APART_DEG
