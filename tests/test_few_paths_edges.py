"""The plain-Python paths of a frame's few pieces, at their edges: boxes reaching past the frame,
empty and point boxes, fractional corners, equal heights and coordinates (ties of ``min``/``max``,
which those paths write out as comparisons). Each must give exactly what the numpy path gives
(:func:`edge.segment.digit_pieces.paper_around`, :func:`edge.segment.digit_merge.merge_pairs`);
paper_around also equals a brute-force sum over the resized paper mask.
The paper ring's block sums of whole blocks (one integral) equal the general tables
(:class:`edge.segment.block_sums.BlockSums`)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import edge.segment.block_sums as block_sums
import edge.segment.digit_pieces as digit_pieces
from edge.segment.block_sums import BlockSums, nearest_upscale
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_pieces import COLS, paper_around
from tests.test_digit_tables import merge_pairs_fast_and_numpy


def edge_boxes(rng: np.random.Generator, n: int, sw: int, sh: int) -> np.ndarray:
    """float (n, COLS) boxes: some past every side of a ``sw`` x ``sh`` frame, some empty or a
    point, some with fractional corners, some repeated."""
    x0 = rng.integers(-60, sw + 20, n).astype(np.float64)
    y0 = rng.integers(-60, sh + 20, n).astype(np.float64)
    w = rng.integers(0, 120, n) * (rng.random(n) > 0.1)  # some empty
    h = rng.integers(0, 120, n) * (rng.random(n) > 0.1)
    t = np.zeros((n, COLS))
    t[:, 0], t[:, 1], t[:, 2], t[:, 3] = x0, y0, x0 + w, y0 + h
    frac = rng.random(n) < 0.3
    t[frac, :4] += rng.random((int(frac.sum()), 4)) * 3
    if n > 1 and rng.random() < 0.5:
        t[-1] = t[0]  # a repeated box
    return t


def signed_sum(mask: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> int:
    """The sum of ``mask`` over [x0, x1) x [y0, y1), negated once per reversed side (what the
    prefix-sum corners give a box whose fractional corners, cut to whole px, cross)."""
    sign = (1 if x1 >= x0 else -1) * (1 if y1 >= y0 else -1)
    return sign * int(mask[min(y0, y1) : max(y0, y1), min(x0, x1) : max(x0, x1)].sum())


def paper_around_reference(boxes: np.ndarray, blocks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """:func:`paper_around` the straightforward way: the paper mask resized to ``size`` (W, H) px,
    the ring's paper summed from slices of it (the grown box's sum minus the box's, both clipped)."""
    mask = cv2.resize(blocks, size, interpolation=cv2.INTER_NEAREST).astype(np.int64)
    sw, sh = size
    out = []
    for x0, y0, x1, y1 in boxes[:, :4].astype(int).tolist():
        e = int(0.25 * max(x1 - x0, y1 - y0)) + 1
        g = [min(max(v, 0), side) for v, side in ((x0 - e, sw), (y0 - e, sh), (x1 + e, sw), (y1 + e, sh))]
        b = [min(max(v, 0), side) for v, side in ((x0, sw), (y0, sh), (x1, sw), (y1, sh))]
        paper = signed_sum(mask, *g) - signed_sum(mask, *b)
        ring = (g[2] - g[0]) * (g[3] - g[1]) - (b[2] - b[0]) * (b[3] - b[1])
        out.append(float(paper) / ring if ring > 0 else 1.0)
    return np.array(out, np.float64)


@pytest.mark.parametrize("seed", range(6))
def test_paper_around_few_boxes_past_the_frame_equal_numpy(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    sw, sh = 320, 240
    blocks = [(rng.random((sh // 8, sw // 8)) > p).astype(np.uint8) for p in (0.2, 0.5, 0.9)]
    blocks.append(np.ones((sh // 8, sw // 8), np.uint8))  # uniform
    sums = [BlockSums(b, (sw, sh)) for b in blocks]
    outside = 0
    for _ in range(150):
        t = edge_boxes(rng, int(rng.integers(1, digit_pieces.FEW + 1)), sw, sh)
        i = int(rng.integers(0, len(sums)))
        around = sums[i]
        fast = paper_around(t, around)
        assert np.array_equal(fast, paper_around_reference(t, blocks[i], (sw, sh)))
        monkeypatch.setattr(digit_pieces, "FEW", -1)
        slow = paper_around(t, around)
        monkeypatch.undo()
        assert fast.dtype == slow.dtype and fast.shape == slow.shape and np.array_equal(fast, slow)
        outside += int(((t[:, 0] < 0) | (t[:, 2] > sw) | (t[:, 1] < 0) | (t[:, 3] > sh)).sum())
    assert outside > 100  # boxes past the frame were tested


def tied_table(rng: np.random.Generator, n: int) -> np.ndarray:
    """float (n, 7) pieces on a coarse grid of coordinates and sizes, so that heights, edges and
    overlaps tie often (stacked, side by side, identical)."""
    x0 = rng.integers(0, 8, n) * 6.0
    y0 = rng.integers(0, 8, n) * 8.0
    w, h = rng.choice([1.0, 6.0, 12.0, 18.0], n), rng.choice([1.0, 8.0, 16.0, 24.0], n)
    area = np.round(w * h * rng.choice([0.05, 0.3, 0.5], n))
    lean = rng.choice([0.2, 0.5, 0.8], n)
    return np.column_stack([x0, y0, x0 + w, y0 + h, area, np.zeros(n), area * (x0 + lean * w)])


@pytest.mark.parametrize("seed", range(6))
def test_merge_pairs_of_tied_pieces_equal_numpy(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    cfg = DigitSegmenterConfig()
    pairs = 0
    for _ in range(200):
        t = tied_table(rng, int(rng.integers(2, digit_pieces.FEW + 1)))
        pairs += len(merge_pairs_fast_and_numpy(t, cfg, monkeypatch))
    assert pairs > 50  # pairs were merged


@pytest.mark.parametrize(
    "blocks, size",
    [((30, 40), (320, 240)), ((22, 40), (320, 176)), ((15, 20), (320, 90)), ((3, 1), (16, 12))],
)
def test_block_sums_of_whole_blocks_equal_the_general_tables(
    monkeypatch: pytest.MonkeyPatch, blocks: tuple[int, int], size: tuple[int, int]
) -> None:
    # a whole number of px per block (8 x 8, 8 x 8, 16 x 6, 16 x 4): the tables from one integral
    rng = np.random.default_rng(sum(size))
    assert block_sums._uniform(blocks[1], blocks[0], *size) != (0, 0)
    for values in ((0, 1), (0, 255), (0, 1, 2, 7)):
        b = rng.choice(values, blocks).astype(np.uint8)
        if b.min() == b.max():
            continue
        fast = BlockSums(b, size)
        monkeypatch.setattr(block_sums, "_uniform", lambda *_: (0, 0))
        general = BlockSums(b, size)
        monkeypatch.undo()
        for name in ("_full", "_col", "_row", "_a"):
            x, y = getattr(fast, name), getattr(general, name)
            assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)
        ii = cv2.integral(cv2.resize(b, size, interpolation=cv2.INTER_NEAREST))
        xs, ys = np.meshgrid(np.arange(size[0] + 1), np.arange(size[1] + 1))
        assert np.array_equal(fast.prefix(xs.ravel(), ys.ravel()), ii.ravel().astype(np.float64))
        assert np.array_equal(nearest_upscale(b, size), cv2.resize(b, size, interpolation=cv2.INTER_NEAREST))
