"""The digit finder's shortcuts give exactly what the straightforward computations give.

Each speed-up of :mod:`edge.segment.digits` and its helpers replaces a computation by a
cheaper one with the same result: box sums of a block mask without resizing it, the
ruled-line search in a part of the mask, all pairs (or plain Python) instead of a sweep
for few pieces, and OpenCV's thread count set only while a frame is segmented. These tests compare
each against the computation it replaces.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import edge.segment.digit_merge as digit_merge
from edge.segment.block_sums import BlockSums
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_merge import merge_boxes
from edge.segment.digit_pieces import COLS, paper_around
from edge.segment.digits import FEW_THREADS_PIXELS, DigitSegmenter
from edge.segment.ink_components import remove_lines


@pytest.mark.parametrize(
    "blocks, size",
    [
        ((30, 40), (320, 240)),
        ((29, 37), (301, 237)),
        ((5, 7), (61, 40)),
        ((1, 3), (25, 7)),
        ((62, 83), (664, 498)),
    ],
)
def test_block_sums_equal_the_integral_of_the_resized_mask(
    blocks: tuple[int, int], size: tuple[int, int]
) -> None:
    rng = np.random.default_rng(sum(size))
    b = (rng.random(blocks) > 0.4).astype(np.uint8)
    ii = cv2.integral(cv2.resize(b, size, interpolation=cv2.INTER_NEAREST))
    sums = BlockSums(b, size)
    x, y = np.meshgrid(np.arange(size[0] + 1), np.arange(size[1] + 1))
    assert np.array_equal(sums.prefix(x.ravel(), y.ravel()), ii.ravel().astype(np.float64))


def test_paper_around_counts_the_ring_of_paper() -> None:
    paper = np.zeros((30, 40), np.uint8)
    paper[:, :20] = 1  # the left half is paper
    sums = BlockSums(paper, (320, 240))
    boxes = np.zeros((3, COLS))
    boxes[:, :4] = [[40, 40, 80, 120], [240, 40, 280, 120], [150, 100, 170, 140]]
    frac = paper_around(boxes, sums)
    assert frac[0] == 1.0 and frac[1] == 0.0
    assert 0.4 < frac[2] < 0.6  # straddles the edge of the paper


def random_line_mask(rng: np.random.Generator) -> np.ndarray:
    h, w = int(rng.integers(40, 240)), int(rng.integers(40, 320))
    m = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 6))):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        a = rng.uniform(-0.4, 0.4) + (np.pi / 2 if rng.random() < 0.4 else 0.0)
        n = int(rng.integers(20, 300))
        cv2.line(m, (x, y), (int(x + n * np.cos(a)), int(y + n * np.sin(a))), 255, int(rng.integers(1, 3)))
    for _ in range(int(rng.integers(0, 5))):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.circle(m, centre, int(rng.integers(3, 15)), 255, int(rng.integers(1, 4)))
    return m


def test_line_search_in_a_part_of_the_mask_finds_the_same_lines() -> None:
    rng = np.random.default_rng(0)
    erased = 0
    for _ in range(120):
        m = random_line_mask(rng)
        x, y, w, h = cv2.boundingRect(m)
        if w == 0:
            continue
        x0, y0 = max(0, x - 2), max(0, y - 2)
        x1, y1 = min(m.shape[1], x + w + 2), min(m.shape[0], y + h + 2)
        h_len, v_len = int(rng.integers(20, 100)), int(rng.integers(20, 150))
        whole = remove_lines(m, h_len, v_len, 2, search=m.copy())
        part = remove_lines(m, h_len, v_len, 2, search=m[y0:y1, x0:x1].copy(), offset=(x0, y0))
        assert np.array_equal(whole, part)
        erased += whole is not m
    assert erased > 10  # the comparison covers masks that lose lines


def test_merging_in_python_and_from_all_pairs_equals_the_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    cfg = DigitSegmenterConfig()
    merged = 0
    for n in (2, 5, 12, 30, 48):
        for _ in range(10):
            x0, y0 = rng.integers(0, 300, n), rng.integers(0, 200, n)
            w, h = rng.integers(2, 30, n), rng.integers(2, 40, n)
            area = rng.integers(1, 400, n)
            boxes = np.column_stack(
                [x0, y0, x0 + w, y0 + h, area, np.zeros(n), np.round(area * (x0 + w * rng.random(n)))]
            )
            boxes = boxes.astype(np.float64)
            fast = merge_boxes(boxes, cfg)
            monkeypatch.setattr(digit_merge, "FEW", 0)  # numpy, all pairs
            all_pairs = merge_boxes(boxes, cfg)
            monkeypatch.setattr(digit_merge, "ALL_PAIRS", 0)  # numpy, the sweep's pairs
            sweep = merge_boxes(boxes, cfg)
            monkeypatch.undo()
            assert np.array_equal(fast, sweep) and np.array_equal(all_pairs, sweep)
            merged += len(sweep) < n
    assert merged > 10  # the comparison covers tables that merge


def test_find_sets_opencv_threads_only_while_it_runs() -> None:
    frame = np.full((240, 320, 3), 220, np.uint8)
    cv2.putText(frame, "7", (120, 170), cv2.FONT_HERSHEY_SIMPLEX, 4, (30, 30, 30), 8)
    process = cv2.getNumThreads()
    cv2.setNumThreads(3)
    try:
        seen: list[int] = []
        seg = DigitSegmenter(DigitSegmenterConfig(cv_threads=1))
        original = seg._find

        def spy(image: np.ndarray) -> list:
            seen.append(cv2.getNumThreads())
            return original(image)

        seg._find = spy  # type: ignore[method-assign]
        assert len(seg.find(frame)) == 1
        assert seen == [1] and cv2.getNumThreads() == 3
        seen.clear()
        big = np.full((1080 + 2, 1920, 3), 220, np.uint8)  # larger than FEW_THREADS_PIXELS
        assert big.shape[0] * big.shape[1] > FEW_THREADS_PIXELS
        seg.find(big)
        assert seen == [3]
        seen.clear()
        keep = DigitSegmenter(DigitSegmenterConfig(cv_threads=0))

        def record(image: np.ndarray) -> list:
            seen.append(cv2.getNumThreads())
            return []

        keep._find = record  # type: ignore[method-assign]
        keep.find(frame)
        assert seen == [3]
    finally:
        cv2.setNumThreads(process)
    with pytest.raises(ValueError, match="cv_threads"):
        DigitSegmenterConfig(cv_threads=-1)
