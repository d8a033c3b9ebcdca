"""Digits joined into one ink piece, cut apart (:class:`edge.segment.digits.DigitSegmenter`).

Neighbouring digits of a number are often one connected piece of ink: written so
that they touch (a 5's tail running into the 0 after it, a 2's base into the next
digit), or bridged by a ruled line that crosses both and that the line eraser left
(in a shadow, or under a marker as thick as the line's stretch between them). The
digit finder took such a piece for one digit, and read it as neither.

:func:`split_joined` cuts a candidate wider than :data:`SPLIT_ASPECT` x its height
at the column that crosses the least ink (the vertical-projection cut of touching
characters, R. G. Casey and E. Lecolinet, "A survey of methods and strategies in
character segmentation", IEEE PAMI 18(7), 1996, section 3.1), when that column's
ink is at most :data:`JOIN_INK` of the piece's median inked column (a bridge, not
a digit's body) and both sides are full digits (at least :data:`PART_HEIGHT` of
its height); the bridge's stretch goes with neither side, and each side is cut
again while it is still too wide. The digit finder cuts only its candidates (boxes
that passed its size, aspect and fill rules: not clutter, not the desk), before
its paper-ring and edge rules, which then judge each digit.

The projection alone cannot tell two touching digits from one wide digit: of the
10,000 MNIST test digits (2x, thresholded) it cuts 7 as written, 46 widened 1.2x and
189 widened 1.5x (a camera looking down at a desk squashes the page; mostly 4s, 0s and
6s: a 4 read as "21"). So a cut is only proposed: the finder logs each cut it makes
(:class:`CutLog`, the whole piece's row and its parts' rows) and marks the ROIs of the
parts that reach its output with the whole's box (:attr:`edge.types.ROI.whole`); the
pipeline reads the whole too and keeps the cut only when the model is surer of every
part than of the whole (recognition-based segmentation: :mod:`edge.roi_reading`). Touching digits
that no column separates (overlapping, or not wider than :data:`SPLIT_ASPECT` x their height) are
proposed cut along a path through the least ink after the finder's rules (:mod:`edge.segment.cut_path`).

Cost: one comparison per candidate when none is wide; a wide one, a crop, a
connected-component pass and 1-D column sums (tens of microseconds).
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from edge.segment.digit_pieces import AREA, COLS, CONTACT, FEW, MX, X0, X1, Y0, Y1
from edge.segment.digit_scale import frame_rois
from edge.types import ROI

__all__ = ["JOIN_INK", "MAX_JOINED", "PART_HEIGHT", "PART_WIDTH", "SPLIT_ASPECT", "CutLog", "split_joined"]

#: A piece wider than this x its height is looked at as digits joined together.
SPLIT_ASPECT = 1.25
#: ... up to this (wider: a line or a ruling, not a number).
MAX_JOINED = 4.0
#: A cut is made where the column's ink is at most this share of the piece's median inked column.
JOIN_INK = 0.5
#: Each side of a cut is at least this share of the piece's height tall (a full digit), and at
#: least this share of it wide (a "1").
PART_HEIGHT = 0.5
PART_WIDTH = 0.15


class CutLog:
    """The cuts :func:`split_joined` made since :meth:`rois` last emptied the log (a digit finder's,
    one per :class:`~edge.segment.digits.DigitSegmenter`: each of its passes may cut)."""

    def __init__(self) -> None:
        #: each cut: (float (7,) the whole piece's row, float (K, 7) its K >= 2 parts' rows), analysis px
        self.cuts: list[tuple[np.ndarray, np.ndarray]] = []

    def clear(self) -> None:
        """Forget the logged cuts (a new video or still, or a frame that raised before :meth:`rois`)."""
        self.cuts.clear()

    def rois(self, boxes: np.ndarray, analysis: tuple[int, int], frame: tuple[int, int]) -> list[ROI]:
        """``boxes`` as frame ROIs (:func:`edge.segment.digit_scale.frame_rois`), those of a logged
        cut's parts marked with its whole's box (:attr:`edge.types.ROI.whole`); empties the log.

        A cut is marked only when every one of its parts is a row of ``boxes`` (the same x0, y0, x1,
        y1: a part that a later rule dropped or a later look replaced leaves the others unmarked, as
        does a cut made at another scale).

        Args:
            boxes: float (M, >= 4) the finder's digit boxes x0, y0, x1, y1 in analysis px.
            analysis: (h, w) of the analysis image ``boxes`` are in.
            frame: (H, W) of the frame.

        Returns:
            M ROIs, frame px, in the order of ``boxes``.
        """
        rois = frame_rois(boxes, analysis, frame)
        cuts, self.cuts = self.cuts, []
        if not cuts or not len(boxes):
            return rois
        at = {tuple(b): i for i, b in enumerate(boxes[:, :4].tolist())}
        for whole, parts in cuts:
            idx = [at.get(tuple(p), -1) for p in parts[:, :4].tolist()]
            if min(idx) >= 0:
                box = frame_rois(whole[None, :4], analysis, frame)[0]
                for i in idx:
                    rois[i] = dataclasses.replace(rois[i], whole=box)
        return rois


def split_joined(
    pieces: np.ndarray,
    ink: tuple[np.ndarray, tuple[int, int]] | None,
    min_h: float,
    log: CutLog | None = None,
) -> np.ndarray:
    """``pieces`` with each one that is digits joined together (see the module) replaced by its digits.

    Args:
        pieces: float (N, 7) ink pieces, analysis px (:mod:`edge.segment.digit_pieces`' columns).
        ink: (uint8 (mh, mw) the ink mask (255 = ink) the pieces were measured in, its (x, y)
            origin in analysis px), or ``None`` (nothing is cut).
        min_h: smallest digit height, analysis px: lower pieces are not looked at.
        log: where each cut is logged (the whole's row and its parts'), or ``None``.

    Returns:
        float (M, 7), M >= N: the same table (the same object when nothing is cut), a cut
        piece's row replaced by one row per digit (tight box, ink area and sum of x of its
        side; no border contact: pieces on the border are not cut).
    """
    if ink is None or not len(pieces):
        return pieces
    if len(pieces) <= FEW:  # (plain Python: numpy's cost per call outweighs a handful of rows)
        wide = [
            y1 - y0 >= min_h and SPLIT_ASPECT * (y1 - y0) < x1 - x0 <= MAX_JOINED * (y1 - y0) and not contact
            for x0, y0, x1, y1, _, contact, _ in pieces.tolist()
        ]
        if not any(wide):
            return pieces
    else:
        w, h = pieces[:, X1] - pieces[:, X0], pieces[:, Y1] - pieces[:, Y0]
        wide_ = (h >= min_h) & (w > SPLIT_ASPECT * h) & (w <= MAX_JOINED * h) & (pieces[:, CONTACT] == 0)
        if not wide_.any():
            return pieces
        wide = wide_.tolist()
    mask, (ox, oy) = ink
    rows: list[np.ndarray] = []
    for i in range(len(pieces)):
        parts = _split(pieces[i], mask, ox, oy) if wide[i] else None
        rows.extend([pieces[i]] if parts is None else parts)
        if parts is not None and log is not None:
            log.cuts.append((pieces[i].copy(), np.array(parts)))
    return pieces if len(rows) == len(pieces) else np.array(rows, dtype=pieces.dtype).reshape(-1, COLS)


def _split(row: np.ndarray, mask: np.ndarray, ox: int, oy: int) -> list[np.ndarray] | None:
    """The digits of one wide piece (float (7,) rows), or ``None`` when it is not cut."""
    x0, y0, x1, y1 = (int(v) for v in row[:4])
    crop = mask[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
    if crop.size == 0:
        return None
    # the piece's own ink: the largest component in its box (not a neighbour's corner)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    if n < 2:
        return None
    own = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    # per column: ink count, first and last inked row (an empty column: h and -1)
    counts = np.count_nonzero(own, axis=0)
    inked = counts > 0
    top = np.where(inked, own.argmax(axis=0), own.shape[0])
    bottom = np.where(inked, own.shape[0] - 1 - own[::-1].argmax(axis=0), -1)
    boxes = _cuts(counts, top, bottom, 0, own.shape[1])
    if len(boxes) < 2:
        return None
    out = []
    for a, b in boxes:
        cols = a + np.flatnonzero(counts[a:b])
        new = np.zeros(COLS, dtype=np.float64)
        new[[X0, Y0, X1, Y1]] = (
            x0 + cols[0],
            y0 + top[a:b].min(),
            x0 + cols[-1] + 1,
            y0 + bottom[a:b].max() + 1,
        )
        new[AREA], new[MX] = counts[a:b].sum(), float((x0 + cols) @ counts[cols])  # (no border contact)
        out.append(new)
    return out


def _height(top: np.ndarray, bottom: np.ndarray, a: int, b: int) -> int:
    """Rows from the first to the last inked one in columns [a, b) (0: no ink)."""
    return max(0, int(bottom[a:b].max()) - int(top[a:b].min()) + 1) if b > a else 0


def _cuts(counts: np.ndarray, top: np.ndarray, bottom: np.ndarray, a: int, b: int) -> list[tuple[int, int]]:
    """Column ranges [a, b) of one piece (its ink per column, first and last inked row per column),
    one per digit, cut recursively."""
    h = _height(top, bottom, a, b)
    if not h or b - a <= SPLIT_ASPECT * h:
        return [(a, b)]
    part = counts[a:b]
    margin = max(1, int(PART_WIDTH * h))
    if b - a - 2 * margin < 1:
        return [(a, b)]
    inner = part[margin : b - a - margin]
    # the thinnest column, the one nearest the middle among equals
    least = np.flatnonzero(inner == inner.min())
    c = int(least[np.argmin(np.abs(least - (len(inner) - 1) / 2))])
    inked = np.sort(part[part > 0])
    if inner[c] > JOIN_INK * (inked[(len(inked) - 1) // 2] + inked[len(inked) // 2]) / 2:  # (the median)
        return [(a, b)]
    # the bridge (a ruled line's stretch between two digits) goes with neither side
    bridge = max(1.5 * inner[c], inner[c] + 1)
    left, right = a + margin + c, a + margin + c + 1
    while left > a and counts[left - 1] <= bridge:
        left -= 1
    while right < b and counts[right] <= bridge:
        right += 1
    if min(_height(top, bottom, a, left), _height(top, bottom, right, b)) < PART_HEIGHT * h:
        return [(a, b)]
    return _cuts(counts, top, bottom, a, left) + _cuts(counts, top, bottom, right, b)
