"""Numbers of a dense table: columns across lines say where numbers start when a line's own
gaps do not (boxes only, no image)."""

from __future__ import annotations

import numpy as np

from edge.segment.number_lines import column_starts
from edge.segment.numbers import group_numbers
from edge.types import ROI, Detection, Prediction


def _det(label: str, x: int, y: int, w: int, h: int) -> Detection:
    return Detection(
        ROI(x, y, w, h), Prediction(int(label), label, 0.9, np.eye(10, dtype=np.float32)[int(label)])
    )


def _table(texts: list[str], cols: int, pitch: int, rng: np.random.Generator, h: int = 40) -> list[Detection]:
    """Numbers written row by row, left-aligned at a column pitch of ``pitch`` px (+-3 px),
    digits 24..30 px wide, 5..11 px apart (0.12..0.28 h)."""
    dets = []
    for i, text in enumerate(texts):
        r, c = divmod(i, cols)
        x = 20 + c * pitch + int(rng.integers(-3, 4))
        y = 30 + r * 2 * h
        for ch in text:
            w = int(rng.integers(24, 31))
            dets.append(_det(ch, x, y + int(rng.integers(-2, 3)), w, h))
            x += w + int(rng.integers(5, 12))
    return dets


def test_a_dense_table_of_three_digit_numbers_reads_every_number() -> None:
    """Rows of 2-digit numbers split by their own gaps show the columns; the rows of 3-digit
    numbers below leave 0.05..0.8 h between numbers, often no more than between the digits of
    a number (0.12..0.28 h), and are split at the columns (the gap rule alone made 65 numbers
    of the 100, joining "102103104...")."""
    rng = np.random.default_rng(0)
    texts = [str(n) for n in range(40, 140)]
    dets = _table(texts, cols=10, pitch=3 * 30 + 2 * 11 + 8, rng=rng)
    got = [t for t, _ in group_numbers(dets)]
    assert got == texts


def test_a_table_with_rows_in_any_order_of_detections() -> None:
    rng = np.random.default_rng(1)
    texts = [str(n) for n in range(60, 120)]
    dets = _table(texts, cols=6, pitch=3 * 30 + 2 * 11 + 8, rng=rng)
    order = rng.permutation(len(dets))
    got = group_numbers([dets[i] for i in order])
    assert [t for t, _ in got] == texts
    first = got[-1][1]  # "119": its box spans its three digits
    assert first.w > 3 * 20 + 2 * 5


def test_lines_starting_at_one_margin_are_no_table() -> None:
    """Sentences: every line starts at the page's margin (a column of any page) and their
    numbers start anywhere after it; nothing is cut inside a number."""
    rng = np.random.default_rng(2)
    dets, texts = [], []
    for r in range(8):
        x = 20 + int(rng.integers(0, 30))
        for _ in range(5):
            t = str(int(rng.integers(10, 1000)))
            texts.append(t)
            for ch in t:
                w = int(rng.integers(20, 31))
                dets.append(_det(ch, x, 30 + 80 * r, w, 40))
                x += w + int(rng.integers(5, 12))
            x += int(rng.integers(40, 90))
    assert [t for t, _ in group_numbers(dets)] == texts


def test_short_pages_of_sentences_are_no_table() -> None:
    """400 pages of 3..6 lines of 2..7 numbers at uneven spacing: numbers that start near
    one x on a few lines by chance make no table, and every number reads as written (a
    column from three lines cut numbers on 2% of such pages)."""
    rng = np.random.default_rng(5)
    for _ in range(400):
        dets, texts = [], []
        h = int(rng.integers(20, 60))
        per = int(rng.integers(2, 8))
        for r in range(int(rng.integers(3, 7))):
            x = 20 + int(rng.integers(0, h))
            for _ in range(per):
                t = str(int(10 ** rng.uniform(0, 3.7)))
                texts.append(t)
                for ch in t:
                    w = int(h * rng.uniform(0.3, 0.9))
                    y = 30 + 2 * h * r + int(rng.integers(-2, 3))
                    dets.append(_det(ch, x, y, w, int(h * rng.uniform(0.92, 1.05))))
                    x += w + int(h * rng.uniform(0.1, 0.3))
                x += int(h * rng.uniform(0.9, 2.2))
        assert [t for t, _ in group_numbers(dets)] == texts


def test_column_starts_from_sure_lines() -> None:
    """Six lines of six digits 40 px apart: two numbers of three digits on each sure line
    make columns at digits 0 and 3; a line not split by its own gaps, and a sure line whose
    first number runs across the second column, start a number at digit 3."""
    boxes = [(10 + 40 * k, 80 * r, 30, 40) for r in range(6) for k in range(6)]
    rows = [list(range(6 * r, 6 * r + 6)) for r in range(6)]
    starts = [[0, 3]] * 4 + [[0], [0, 5]]
    sure = [True] * 4 + [False, True]
    assert column_starts(boxes, rows, starts, sure) == [set()] * 4 + [{3}, {3}]
    # three sure lines are too few to show a table
    assert column_starts(boxes, rows, starts, [True] * 3 + [False] * 3) == [set()] * 6
    assert column_starts(boxes[:6], rows[:1], starts[:1], sure[:1]) == [set()]
