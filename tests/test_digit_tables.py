"""The digit finder's piece tables: the plain-Python paths for a frame's few rows give
exactly what the numpy paths give, and the components are measured as ``cv2.moments``
measures them (:mod:`edge.segment.digit_pieces`, :mod:`edge.segment.digit_merge`)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import edge.segment.digit_merge as digit_merge
import edge.segment.digit_pieces as digit_pieces
from edge.segment.block_sums import BlockSums
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_merge import candidates
from edge.segment.digit_pieces import (
    COLS,
    RAMP,
    box_ink,
    frame_pieces,
    line_sized,
    measure_components,
    paper_around,
    select_digits,
)
from edge.segment.digit_scale import frame_rois
from edge.segment.ink_components import without_isolated


def random_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """uint8 (h, w) strokes, rings (with specks inside) and specks, 255 = ink."""
    m = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 12))):
        p, q = rng.integers(0, (w, h), 2), rng.integers(0, (w, h), 2)
        cv2.line(m, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), 255, int(rng.integers(1, 4)))
    for _ in range(int(rng.integers(0, 5))):
        c, r = rng.integers(0, (w, h), 2), int(rng.integers(3, 30))
        cv2.circle(m, (int(c[0]), int(c[1])), r, 255, 2)
        m[int(c[1]), int(c[0])] = 255
    m[rng.random((h, w)) < 0.003] = 255
    return m


def reference_components(
    mask: np.ndarray, min_area: int, origin: tuple[int, int], frame: tuple[int, int]
) -> np.ndarray:
    """The table computed the straightforward way: each outer outline's box, its
    moments and its ink on the frame's border (every component, none dropped for
    ``max_count``)."""
    h, w = mask.shape
    (ox, oy), (fw, fh) = origin, frame
    rows = []
    for c in cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]:
        x, y, bw, bh = cv2.boundingRect(c)
        if bw * bh < min_area:
            continue
        m = cv2.moments(mask[y : y + bh, x : x + bw], binaryImage=True)
        contact = 0
        if x == 0 and ox == 0:
            contact += int(np.count_nonzero(mask[y : y + bh, 0]))
        if x + bw == w and ox + w == fw:
            contact += int(np.count_nonzero(mask[y : y + bh, w - 1]))
        if y == 0 and oy == 0:
            contact += int(np.count_nonzero(mask[0, x : x + bw]))
        if y + bh == h and oy + h == fh:
            contact += int(np.count_nonzero(mask[h - 1, x : x + bw]))
        rows.append(
            (x + ox, y + oy, x + bw + ox, y + bh + oy, m["m00"], contact, m["m10"] + (x + ox) * m["m00"])
        )
    return np.array(rows, np.float64).reshape(-1, COLS)


def test_box_ink_is_what_the_moments_give() -> None:
    rng = np.random.default_rng(5)
    for size in ((60, 80), (240, 320), (2 * RAMP + 9, RAMP + 40)):
        mask = random_mask(rng, *size)
        for _ in range(40):
            x, y = int(rng.integers(0, size[1] - 1)), int(rng.integers(0, size[0] - 1))
            bw, bh = int(rng.integers(1, size[1] - x + 1)), int(rng.integers(1, size[0] - y + 1))
            m = cv2.moments(mask[y : y + bh, x : x + bw], binaryImage=True)
            assert box_ink(mask, (x, y, bw, bh)) == (m["m00"], m["m10"])


@pytest.mark.parametrize("max_count", [1000, 6])
def test_measure_components_is_the_straightforward_measure(max_count: int) -> None:
    rng = np.random.default_rng(max_count)
    for _ in range(30):
        h, w = int(rng.integers(20, 240)), int(rng.integers(20, 320))
        mask = random_mask(rng, h, w)
        origin = (int(rng.integers(0, 2)) * 7, int(rng.integers(0, 2)) * 5)
        frame = (origin[0] + w + int(rng.integers(0, 2)), origin[1] + h + int(rng.integers(0, 2)))
        table, outlines, count, measure = measure_components(mask, 5, max_count, origin, frame)
        ref = reference_components(mask, 5, origin, frame)
        assert count == len(ref) and table is not None and np.array_equal(measure(), table)
        assert len(outlines) == len(table)
        if count <= max_count:
            assert np.array_equal(table, ref)
        else:  # the max_count largest boxes, in outline order
            area = (ref[:, 2] - ref[:, 0]) * (ref[:, 3] - ref[:, 1])
            kept = [row.tolist() in table.tolist() for row in ref]
            assert sum(kept) == max_count
            assert area[kept].min() >= area[np.logical_not(kept)].max()
        later = measure_components(mask, 5, max_count, origin, frame, stop_at=1)
        assert later[0] is None or count == 0
        assert np.array_equal(later[3](), table)


def isolated_reference(mask: np.ndarray) -> np.ndarray:
    """``mask`` without its 8-connected components of one pixel (connected components)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    single = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] == 1)
    out = mask.copy()
    out[np.isin(labels, single[single > 0])] = 0
    return out


def test_without_isolated_drops_exactly_the_single_pixel_components() -> None:
    rng = np.random.default_rng(11)
    for density in (0.003, 0.05, 0.3):
        for _ in range(20):
            h, w = int(rng.integers(1, 60)), int(rng.integers(1, 80))
            mask = np.where(rng.random((h, w)) < density, 255, 0).astype(np.uint8)
            if h > 4 and w > 4:
                mask |= random_mask(rng, h, w)
            assert np.array_equal(without_isolated(mask), isolated_reference(mask))


@pytest.mark.parametrize("min_area", [1, 5])
def test_measure_components_on_speckled_masks(min_area: int) -> None:
    # noisy shadowed frames: many single-pixel specks, dropped before the contour search
    rng = np.random.default_rng(min_area)
    for _ in range(20):
        h, w = int(rng.integers(20, 120)), int(rng.integers(20, 160))
        mask = random_mask(rng, h, w)
        mask[rng.random((h, w)) < 0.04] = 255
        frame = (w, h)
        table, outlines, count, _ = measure_components(mask, min_area, 1000, (0, 0), frame)
        ref = reference_components(mask, min_area, (0, 0), frame)
        assert count == len(ref) and np.array_equal(table, ref)
        plain = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
        kept = [c for c in plain if np.prod(cv2.boundingRect(c)[2:]) >= min_area]
        assert len(outlines) == len(kept)
        assert all(np.array_equal(a, b) for a, b in zip(outlines, kept, strict=True))


def random_table(rng: np.random.Generator, n: int, sw: int, sh: int) -> np.ndarray:
    """float (n, 7) pieces of a ``sw`` x ``sh`` image, some on its border."""
    x0, y0 = rng.integers(-2, sw - 4, n).clip(0), rng.integers(-2, sh - 4, n).clip(0)
    x1 = np.minimum(x0 + rng.integers(1, sw // 3, n), sw)
    y1 = np.minimum(y0 + rng.integers(1, sh // 2, n), sh)
    area = np.ceil((x1 - x0) * (y1 - y0) * rng.random(n) * 0.6)
    contact = rng.integers(0, 60, n) * (rng.random(n) < 0.3)
    mx = np.round(area * (x0 + (x1 - x0) * rng.random(n)))  # a sum of pixel x: a whole number
    return np.column_stack([x0, y0, x1, y1, area, contact, mx]).astype(np.float64)


def test_few_rows_in_python_equal_the_numpy_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    cfg = DigitSegmenterConfig()
    sw, sh = 320, 240
    blocks = (rng.random((sh // 8, sw // 8)) > 0.3).astype(np.uint8)
    around = BlockSums(blocks, (sw, sh))
    dark = np.tile(np.linspace(0, 255, sw), (sh, 1)).astype(np.uint8)  # darker to the right
    ink = (dark, np.full((sh, sw), 20, np.uint8))  # (and the ink level)
    kept = regions = judged = 0
    for n in range(digit_pieces.FEW + 1):
        for _ in range(25):
            t = random_table(rng, n, sw, sh)
            fast = (
                candidates(t, cfg, sh, 6.0, 0.95),
                select_digits(t, cfg, sw, sh),
                select_digits(t, cfg, sw, sh, ink, 10.0),
                *frame_pieces(t, sw, sh, 0.12, 0.95, 0.9, 20.0),
                paper_around(t, around),
                line_sized(t, 80, 100 * (n % 2)),
            )
            monkeypatch.setattr(digit_pieces, "FEW", -1)
            monkeypatch.setattr(digit_merge, "FEW", -1)
            slow = (
                candidates(t, cfg, sh, 6.0, 0.95),
                select_digits(t, cfg, sw, sh),
                select_digits(t, cfg, sw, sh, ink, 10.0),
                *frame_pieces(t, sw, sh, 0.12, 0.95, 0.9, 20.0),
                paper_around(t, around),
                line_sized(t, 80, 100 * (n % 2)),
            )
            monkeypatch.undo()
            for a, b in zip(fast, slow, strict=True):
                if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
                    assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
                else:  # a region or None
                    assert a == b
            regions += fast[4] is not None
            kept += 0 < len(fast[0]) < n
            judged += len(fast[2]) > len(fast[1])  # (the writing's height kept some)
    assert kept > 20 and regions > 20  # some candidates kept, some dropped; some pieces dropped
    assert judged > 5


def merge_pairs_fast_and_numpy(
    t: np.ndarray, cfg: DigitSegmenterConfig, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[int, int]]:
    """The pairs :func:`edge.segment.digit_merge.merge_pairs` merges in ``t``, checked equal to the
    numpy rules' (``FEW`` and ``NEAR_FEW`` off)."""
    fast = digit_merge.merge_pairs(t, cfg)
    monkeypatch.setattr(digit_merge, "FEW", -1)
    monkeypatch.setattr(digit_merge, "NEAR_FEW", -1)  # the numpy rules
    assert digit_merge.merge_pairs(t, cfg) == fast
    monkeypatch.undo()
    return fast


def test_arcs_and_stacked_pieces_merge_alike_in_python_and_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    cfg = DigitSegmenterConfig()
    pairs = 0
    for _ in range(300):
        # a piece and a partner beside it (facing arcs or not) or below it, with jitter
        n = int(rng.integers(1, digit_pieces.FEW // 2 + 1))
        x0, y0 = rng.uniform(0, 280, n).round(), rng.uniform(0, 200, n).round()
        w, h = rng.uniform(3, 25, n).round(), rng.uniform(10, 40, n).round()
        beside = rng.random(n) < 0.5
        gap = (rng.uniform(-0.3, 0.35, n) * h).round()
        px = np.where(beside, x0 + w + gap, x0 + rng.uniform(-0.5, 0.5, n) * w).round()
        py = np.where(beside, y0 + rng.uniform(-0.3, 0.3, n) * h, y0 + h + gap).round()
        pw, ph = (w * rng.uniform(0.5, 1.5, n)).round() + 1, (h * rng.uniform(0.5, 1.3, n)).round() + 1
        area, parea = w * h * rng.uniform(0.05, 0.5, n), pw * ph * rng.uniform(0.01, 0.5, n)
        lean, plean = rng.uniform(0.2, 0.6, n), rng.uniform(0.4, 0.8, n)
        t = np.concatenate(
            [
                np.column_stack([x0, y0, x0 + w, y0 + h, area, np.zeros(n), area * (x0 + lean * w)]),
                np.column_stack([px, py, px + pw, py + ph, parea, np.zeros(n), parea * (px + plean * pw)]),
            ]
        )
        pairs += len(merge_pairs_fast_and_numpy(t, cfg, monkeypatch))
    assert pairs > 100


def _pieces_table(rng: np.random.Generator, n: int) -> np.ndarray:
    """float (n, 7) pieces in clusters (strokes of a few digits), so that merges chain over rounds."""
    centres = rng.uniform(0, 260, (max(1, n // 4), 2))
    c = centres[rng.integers(0, len(centres), n)]
    x0, y0 = (c[:, 0] + rng.uniform(-12, 12, n)).round(), (c[:, 1] + rng.uniform(-15, 15, n)).round()
    w, h = rng.uniform(2, 20, n).round() + 1, rng.uniform(4, 30, n).round() + 1
    area = w * h * rng.uniform(0.05, 0.6, n)
    return np.column_stack(
        [x0, y0, x0 + w, y0 + h, area, np.zeros(n), area * (x0 + rng.uniform(0.2, 0.8, n) * w)]
    )


def test_merge_rounds_test_only_the_merged_boxes_again(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    cfg = DigitSegmenterConfig()
    every = digit_merge.merge_pairs
    tables = [_pieces_table(rng, int(rng.integers(2, 90))) for _ in range(400)]
    fast = [digit_merge.merge_boxes(t, cfg) for t in tables]
    rounds = 0

    def all_pairs(boxes: np.ndarray, cfg: DigitSegmenterConfig, new: list[bool] | None = None) -> list:
        nonlocal rounds
        rounds += new is not None
        return every(boxes, cfg)  # every pair, every round

    monkeypatch.setattr(digit_merge, "merge_pairs", all_pairs)
    for t, f in zip(tables, fast, strict=True):
        assert np.array_equal(digit_merge.merge_boxes(t, cfg), f)
    assert rounds > 100  # second rounds happened
    monkeypatch.undo()
    # the plain-Python rules on the near pairs (13..ALL_PAIRS pieces) = the numpy rules
    near = 0
    for t in tables:
        if digit_pieces.FEW < len(t) <= digit_merge.ALL_PAIRS:
            fast_pairs = digit_merge.merge_pairs(t, cfg)
            near += len(fast_pairs)
            monkeypatch.setattr(digit_merge, "NEAR_FEW", -1)
            assert digit_merge.merge_pairs(t, cfg) == fast_pairs
            monkeypatch.undo()
    assert near > 50


def test_frame_rois_grow_the_boxes_to_whole_frame_pixels() -> None:
    rng = np.random.default_rng(4)
    for analysis, frame in (((240, 320), (480, 640)), ((237, 301), (1000, 1271)), ((60, 80), (60, 80))):
        (sh, sw), (H, W) = analysis, frame
        lo = rng.uniform(0, 1, (50, 2)) * (sw, sh)
        boxes = np.hstack([lo, np.minimum(lo + rng.uniform(0, 60, (50, 2)), (sw, sh))]).round(1)
        boxes[:5, :2] = boxes[:5, :2].round()  # whole pixels too
        scale = np.array([W / sw, H / sh])
        x0, y0 = np.floor(boxes[:, :2] * scale).astype(int).T
        x1, y1 = np.minimum(np.ceil(boxes[:, 2:4] * scale).astype(int), (W, H)).T
        rois = frame_rois(boxes, analysis, frame)
        assert [(r.x, r.y, r.w, r.h) for r in rois] == list(
            zip(x0.tolist(), y0.tolist(), (x1 - x0).tolist(), (y1 - y0).tolist(), strict=True)
        )


def test_kept_rows_equal_the_fancy_index() -> None:
    rng = np.random.default_rng(12)
    for n in range(8):
        table = rng.random((n, 7))
        for _ in range(20):
            keep = sorted(rng.choice(n, int(rng.integers(0, n + 1)), replace=False).tolist())
            got = digit_pieces.kept_rows(table, keep)
            want = table[keep]
            assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
