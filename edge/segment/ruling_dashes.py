"""Ruled lines that an ink threshold broke into dashes all along (:mod:`edge.segment.digit_ruling`).

A soft shadow or dim light across a ruled page leaves each faint line's pixels about as dark as the
threshold: the ink level keeps every other stretch of it, and no component is as long as a ruled line,
so the line eraser (:func:`edge.segment.digit_lines.erase_ruled_lines`) never searches and the search of
the thin ink (:func:`edge.segment.ink_components.thin_segments`) bridges gaps of a few px only. The
dashes then stay, and those that touch a digit's ink make its box up to 1.6x too wide or join it to
its neighbour (demo seed 3 from frame 2400, seed 4 from 2850). The dashes themselves are the evidence:
the lying ink pieces at least :data:`~edge.segment.ruling_grid.DASH` x as long as wide, on the paper, each
drawn along its own axis and through the next dashes along it, as long as a ruled line
(:func:`dashed_lines`); :func:`~edge.segment.ruling_lines.find_ruling` keeps those that are a ridge of
the darkness along most of their length (a row of "1"s or minus signs has paper between them) and run
along the page's directions. :meth:`~edge.segment.digit_ruling.PageRuling.dashed` raises the ink level
over them where the ink runs along them (:func:`along_lines`).
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digit_pieces import X0, X1, Y0, Y1
from edge.segment.line_ridges import SPREAD_DEG
from edge.segment.ruling_grid import DASH, MIN_DASH_PX, dash_segments
from edge.segment.ruling_lines import MIN_LINES, angle_between, angles, directions

__all__ = ["DASHES", "RUN", "along_lines", "dashed_lines"]

#: Fewest dashes among a pass's pieces that may be a dashed ruling (two per line of :data:`MIN_LINES`).
DASHES = 2 * MIN_LINES
#: Most dashes looked at (the longest; a page's finer pass may break a grid into hundreds).
MOST = 64
#: Each dash is joined to this many of the nearest dashes along its line.
NEAREST = 2
#: Ink in a run at least this long (px) along the ruling is a line's (:func:`along_lines`); a digit's
#: stroke crosses a line in a run about as long as the stroke is wide.
RUN = 9


def dashed_lines(
    pieces: np.ndarray,
    mask: np.ndarray,
    origin: tuple[int, int],
    lengths: tuple[int, int],
    paper: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The lying dashes on the paper among ink pieces, each drawn as long as a ruled line of its
    direction. The lines of a ruled page run across the writing: a standing dash is a "1" or a stroke
    (a column of them on a faint grid's line is a ridge all along); a desk's wood grain breaks into
    dashes too, off the paper.

    Args:
        pieces: float (N, 7) ink pieces (:mod:`edge.segment.digit_pieces` columns), analysis px.
        mask: uint8 (mh, mw) the ink mask they were measured in (255 = ink) ...
        origin: ... whose top-left corner is at (x, y) of the analysis image (px).
        lengths: (shortest horizontal, vertical ruled line) (px; 0: none in that direction;
            :func:`edge.segment.digit_lines.line_lengths`).
        paper: uint8 (h, w) the analysis image's paper (255; :class:`edge.segment.digit_scene.Scene`),
            or ``None`` (all of it).

    Returns:
        (float64 (3 S, 4) segments x0, y0, x1, y1 in ``mask`` px, S the segments drawn from the dashes
        (three placements each), each at least as long as a ruled line of its direction: along each
        dash's ink's axis (:func:`~edge.segment.ruling_grid.dash_segments`; at
        most the :data:`MOST` longest), and through its centre and those of the :data:`NEAREST` nearest
        dashes whose joins run along both (within :data:`~edge.segment.line_ridges.SPREAD_DEG`); each
        from its start on, from its end back, and about its centre; uint8 (mh, mw) the dashes' ink),
        or ``None``: fewer than :data:`DASHES` dashes.
    """
    if len(pieces) < DASHES:
        return None
    bw, bh = pieces[:, X1] - pieces[:, X0], pieces[:, Y1] - pieces[:, Y0]
    dash = (bw >= DASH * bh) & (bw >= MIN_DASH_PX)  # (lying: a column of "1"s on a faint grid's line is not)
    if np.count_nonzero(dash) < DASHES:
        return None  # (the count first: most frames have no dashes to measure)
    if paper is not None:  # (at the dash's centre)
        cx = ((pieces[:, X0] + pieces[:, X1]) // 2).astype(np.int64)
        cy = ((pieces[:, Y0] + pieces[:, Y1]) // 2).astype(np.int64)
        ph, pw = paper.shape[:2]  # (np.minimum and np.maximum: np.clip's checks cost more)
        dash &= paper[np.minimum(np.maximum(cy, 0), ph - 1), np.minimum(np.maximum(cx, 0), pw - 1)] > 0
    (ox, oy), (mh, mw), drawn = origin, mask.shape, np.zeros_like(mask)
    for x0, y0, x1, y1 in pieces[dash, :4].astype(np.int64).tolist():
        mx0, my0, mx1, my1 = max(x0 - ox, 0), max(y0 - oy, 0), min(x1 - ox, mw), min(y1 - oy, mh)
        drawn[my0:my1, mx0:mx1] = mask[my0:my1, mx0:mx1]
    segs = dash_segments(pieces[dash], mask, origin)
    if len(segs) < DASHES:
        return None
    segs = segs[np.argsort(-_lengths(segs))[:MOST]] - np.tile(np.asarray(origin, np.float64), 2)
    centre = 0.5 * (segs[:, :2] + segs[:, 2:])
    # each dash to its NEAREST nearest ones whose line runs along both (a short dash's own axis is a
    # few degrees off a slightly tilted line's: two dashes apart give its direction)
    n = len(segs)
    i, j = np.divmod(np.arange(n * n), n)  # (each pair, row by row)
    joins = np.concatenate([centre[i], centre[j]], axis=1)
    joined, own = angles(joins), angles(segs)  # (each dash's own direction: once, not once per pair)
    along = (
        (i != j)
        & (angle_between(joined, own[i]) <= SPREAD_DEG)
        & (angle_between(joined, own[j]) <= SPREAD_DEG)
    )
    gap = np.where(along, _lengths(joins), np.inf).reshape(n, n)
    k = min(NEAREST, n - 1)
    nearest = np.argpartition(gap, k - 1, axis=1)[:, :k] if k > 0 else np.zeros((n, 0), np.int64)
    rows = np.repeat(np.arange(n), nearest.shape[1])
    near = np.isfinite(gap[rows, nearest.ravel()])
    joins = np.concatenate([centre[rows[near]], centre[nearest.ravel()[near]]], axis=1)
    out = np.concatenate([segs, joins])
    d = out[:, 2:] - out[:, :2]
    unit = d / np.maximum(_lengths(out), 1e-6)[:, None]
    need = np.where(np.abs(d[:, 0]) >= np.abs(d[:, 1]), lengths[0], lengths[1])
    half = 0.5 * np.maximum(need + 2.0, _lengths(out))[:, None]
    start, end, mid = out[:, :2], out[:, 2:], 0.5 * (out[:, :2] + out[:, 2:])
    # (on from its start, back from its end, and about its centre: a line the paper's edge ends)
    ends = [
        (start, start + 2 * half * unit),
        (end - 2 * half * unit, end),
        (mid - half * unit, mid + half * unit),
    ]
    return np.concatenate([np.concatenate(e, axis=1) for e in ends]), drawn


def _lengths(segs: np.ndarray) -> np.ndarray:
    """float (L,) the lengths of float (L, 4) segments (px)."""
    return np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])


def along_lines(
    mask: np.ndarray, origin: tuple[int, int], segs: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """uint8 (h, w) 255 where the ink of ``mask`` (uint8 (mh, mw), 255 = ink, at ``origin`` (x, y) in an
    image of ``shape`` (h, w)) lies in a run of :data:`RUN` px or more along the main direction of
    float (L, 4) ``segs`` (a ruling's, :func:`~edge.segment.ruling_lines.directions`; lying lines): a
    morphological opening by a line that long of the ink grown by a pixel up and down. A faint digit
    written on a line keeps its strokes across it."""
    theta = np.radians(directions(segs)[0])
    kernel, c = np.zeros((RUN, RUN), np.uint8), RUN // 2
    dx, dy = c * np.cos(theta), c * np.sin(theta)
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1, 1)
    (ox, oy), (mh, mw) = origin, mask.shape
    out = np.zeros(shape, np.uint8)
    # (grown a pixel across first: a line's steps, where its tilt moves it to the next row, break no run)
    grown = cv2.dilate(mask, np.ones((3, 1), np.uint8))
    out[oy : oy + mh, ox : ox + mw] = cv2.bitwise_and(mask, cv2.morphologyEx(grown, cv2.MORPH_OPEN, kernel))
    return out
