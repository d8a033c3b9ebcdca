"""Touching digits that no column separates are proposed cut along a path (edge.segment.cut_path).

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
from edge.segment.cut_path import path_cut, path_parts, uncut
from edge.segment.ink_analysis import InkAnalysis
from edge.types import ROI


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


def _analysis(mask: np.ndarray) -> tuple[InkAnalysis, ROI]:
    """The segmenter's analysis of a frame twice the size of ``mask`` (its ink: 255), and the frame
    ROI of all the ink."""
    h, w = mask.shape
    analysis = InkAnalysis(mask, np.zeros_like(mask), (2 * h, 2 * w), False, 15)
    ys, xs = np.nonzero(mask)
    return analysis, ROI(
        2 * int(xs.min()), 2 * int(ys.min()), 2 * int(np.ptp(xs) + 1), 2 * int(np.ptp(ys) + 1)
    )


def test_a_slanted_pair_is_cut_along_the_gap_between_them() -> None:
    mask, strokes = _slanted()
    analysis, roi = _analysis(mask)
    other = ROI(0, 0, 10, 10)
    parts = path_parts([other, roi], analysis)
    assert len(parts) == 3 and parts[0] is other
    assert all(p.whole is roi and p.side is not None and p.side.shape == (2, roi.h) for p in parts[1:])
    for p, s in zip(parts[1:], strokes, strict=True):
        ys, xs = np.nonzero(s)
        assert abs(p.x - 2 * xs.min()) <= 2 and abs(p.x + p.w - 2 * (xs.max() + 1)) <= 2, p
        assert p.h >= 2 * 40
    assert parts[2].x < parts[1].x + parts[1].w - 10  # the parts' boxes overlap
    back = uncut(parts)
    assert len(back) == 2 and back[0] is other and back[1] is roi  # the finder's digits, without proposals
    # the path runs between the strokes, not across one: each side holds its stroke whole
    for p, s in zip(parts[1:], strokes, strict=True):
        ys, xs = np.nonzero(s)
        side = p.side
        assert side is not None
        lo, hi = side[0, 2 * ys - roi.y], side[1, 2 * ys - roi.y]
        assert np.count_nonzero((2 * xs < lo) | (2 * xs + 1 >= hi)) <= 3, (
            p
        )  # (<= 3: the path's px on the bridge)


def test_a_path_crossing_two_strokes_or_thick_ink_is_no_cut() -> None:
    ring = np.zeros((60, 70), np.uint8)
    cv2.ellipse(ring, (35, 30), (25, 22), 0, 0, 360, 255, 3)  # a 0: every path crosses it twice
    assert path_cut(ring > 0, 0.15) is None
    mask, _ = _slanted(bridge=False)
    mask[25:45, 10:40] = 255  # a blot joining them: too much ink on any path
    assert path_cut(mask > 0, 0.15) is None
    for m in (ring, mask):
        analysis, roi = _analysis(m)
        rois = [roi]
        assert path_parts(rois, analysis) is rois
    pair, _ = _slanted()
    analysis, roi = _analysis(pair)
    assert (
        path_parts([ROI(roi.x, roi.y, roi.w, roi.h, whole=roi)], analysis)[0].side is None
    )  # already a part
    assert len(path_parts([roi], None)) == 1


def test_each_part_is_read_from_its_side_of_the_path() -> None:
    mask, strokes = _slanted()
    analysis, roi = _analysis(mask)
    rois = path_parts([roi], analysis)
    big = cv2.resize(mask, (140, 120), interpolation=cv2.INTER_NEAREST)
    big_strokes = [cv2.resize(s, (140, 120), interpolation=cv2.INTER_NEAREST) > 0 for s in strokes]
    for k, part in enumerate(rois):
        core = (float(part.x), float(part.y), float(part.x + part.w), float(part.y + part.h))
        kept = beyond_cut_cleared(big, core, part) > 0
        own, other = big_strokes[k], big_strokes[1 - k]
        assert np.count_nonzero(kept & other & ~own) == 0  # none of the other stroke
        assert np.count_nonzero(own & ~kept) <= 4 * 3  # its stroke kept, but for the path px on it (<= 3)
    first = rois[0]
    plain = ROI(first.x, first.y, first.w, first.h, whole=roi)  # a column cut: cleared beyond its box
    core = (float(plain.x), float(plain.y), float(plain.x + plain.w), float(plain.y + plain.h))
    kept = beyond_cut_cleared(big, core, plain)
    assert np.count_nonzero(kept[:, : plain.x + plain.w]) == np.count_nonzero(big[:, : plain.x + plain.w])
    assert not kept[:, plain.x + plain.w :].any()


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
