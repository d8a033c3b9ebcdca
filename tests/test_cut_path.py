"""Touching digits that no column separates are cut along a path (edge.segment.cut_path).

Two slanted strokes side by side, joined by a bridge: every column between them crosses both, so
the vertical cut finds no thin column (and the piece is less than 1.25 x as wide as tall, which the
column cut never looks at); the path through the least ink runs down the slanted gap. Each part's
ink is the ink on its side of the path, read that way by the preprocessing (edge.preprocess.cut_ink).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.preprocess.cut_ink import beyond_cut_cleared
from edge.segment.cut_path import path_cut
from edge.segment.digit_pieces import AREA, COLS, X0, X1, Y0, Y1
from edge.segment.joined_digits import CutLog, split_joined
from edge.types import ROI
from tests.test_joined_digits import _row


def _slanted(bridge: bool = True) -> tuple[np.ndarray, list[np.ndarray]]:
    """uint8 (60, 70) mask: two strokes 5 px wide slanting 20 px over 40 rows, 14 px apart, joined by
    a 3-px bridge at mid-height (``bridge``); and each stroke's own mask."""
    strokes = []
    for dx in (0, 14):
        m = np.zeros((60, 70), np.uint8)
        pts = np.array([(5 + dx, 55), (10 + dx, 55), (30 + dx, 15), (25 + dx, 15)], np.int32)
        cv2.fillPoly(m, [pts], 255)
        strokes.append(m)
    mask = strokes[0] | strokes[1]
    if bridge:
        mask[33:36, 10:40] = 255
    return mask, strokes


def test_no_column_separates_the_slanted_pair() -> None:
    mask, (a, b) = _slanted()
    assert cv2.connectedComponents(mask)[0] == 2  # one piece
    counts = np.count_nonzero(mask, axis=0)
    xs = np.flatnonzero(counts)
    assert xs[-1] + 1 - xs[0] < 1.25 * 41  # not wide enough for the column cut
    ax = np.flatnonzero(a.any(axis=0))
    bx = np.flatnonzero(b.any(axis=0))
    assert bx[0] < ax[-1] - 10  # the strokes' columns overlap


def test_a_slanted_pair_is_cut_along_the_gap_between_them() -> None:
    mask, strokes = _slanted()
    row = _row(mask)
    log = CutLog()
    out = split_joined(row, (mask, (0, 0)), min_h=20, log=log)
    assert out.shape == (2, COLS)
    assert len(log.cuts) == 1 and log.cuts[0][2] is not None and len(log.cuts[0][2]) == 41
    for r, s in zip(out, strokes, strict=True):
        ys, xs = np.nonzero(s)
        assert abs(r[X0] - xs.min()) <= 1 and abs(r[X1] - xs.max() - 1) <= 1, r[:4]
        assert r[Y1] - r[Y0] >= 40
        assert r[AREA] <= np.count_nonzero(s) + 3 * 30  # its stroke and at most the bridge's px
    path = log.cuts[0][2]
    for k, (y, x) in enumerate(zip(range(15, 56), path.tolist(), strict=True)):
        assert not strokes[0][y, x] or not strokes[1][y, x], k  # between the strokes, not across one
    assert out[1, X0] < out[0, X1] - 5  # the parts' boxes overlap


def test_a_path_crossing_two_strokes_or_thick_ink_is_no_cut() -> None:
    ring = np.zeros((60, 70), np.uint8)
    cv2.ellipse(ring, (35, 30), (25, 22), 0, 0, 360, 255, 3)  # a 0: every path crosses it twice
    assert path_cut(ring > 0, 0.15) is None
    mask, _ = _slanted(bridge=False)
    mask[25:45, 10:40] = 255  # a blot joining them: too much ink on any path
    assert path_cut(mask > 0, 0.15) is None
    pieces = _row(ring)
    assert split_joined(pieces, (ring, (0, 0)), min_h=20) is pieces


def test_each_part_carries_its_side_of_the_path_and_is_read_from_there() -> None:
    mask, strokes = _slanted()
    log = CutLog()
    parts = split_joined(_row(mask), (mask, (0, 0)), min_h=20, log=log)
    rois = log.rois(parts, (60, 70), (120, 140))  # frame px: twice the analysis px
    assert all(r.whole is rois[0].whole and r.side is not None for r in rois)
    whole = rois[0].whole
    assert whole is not None and all(r.side.shape == (2, whole.h) for r in rois if r.side is not None)
    big = cv2.resize(mask, (140, 120), interpolation=cv2.INTER_NEAREST)
    big_strokes = [cv2.resize(s, (140, 120), interpolation=cv2.INTER_NEAREST) for s in strokes]
    for k, roi in enumerate(rois):
        core = (float(roi.x), float(roi.y), float(roi.x + roi.w), float(roi.y + roi.h))
        kept = beyond_cut_cleared(big, core, roi)
        own, other = big_strokes[k], big_strokes[1 - k]
        assert np.count_nonzero(kept & other & ~own) == 0  # none of the other stroke
        assert np.count_nonzero(own & ~kept) <= 4 * 3  # its stroke kept, but for the path px on it (<= 3)
    plain = ROI(rois[0].x, rois[0].y, rois[0].w, rois[0].h, whole=whole)  # a column cut: its box's edge
    core = (float(plain.x), float(plain.y), float(plain.x + plain.w), float(plain.y + plain.h))
    assert np.count_nonzero(beyond_cut_cleared(big, core, plain)[:, : plain.x + plain.w]) == np.count_nonzero(
        big[:, : plain.x + plain.w]
    )


@pytest.mark.parametrize("scale", [0.5, 1.0, 1.5])
def test_the_side_is_found_at_any_working_scale(scale: float) -> None:
    """The preprocessing reads a crop at its own scale: the side (frame px) maps onto it."""
    side = np.stack([np.full(10, -np.inf), np.arange(10, 20, dtype=np.float64)]).astype(np.float32)
    whole = ROI(0, 0, 30, 10)
    roi = ROI(0, 0, 20, 10, whole=whole, side=side)
    n = round(30 * scale)
    dark = np.full((round(10 * scale), n), 200, np.uint8)
    out = beyond_cut_cleared(dark, (0.0, 0.0, 20 * scale, 10 * scale), roi)
    for y in range(dark.shape[0]):
        ink = np.flatnonzero(out[y])
        edge = (10 + int(y / scale)) * scale
        assert abs((ink[-1] + 1 if len(ink) else 0) - edge) <= 1.0, (y, ink, edge)
