"""The mark search skips lines where the digit segmenter's ink analysis shows no ink where a
wanted mark could be: on pages of decimals and signs it reads the numbers the full search
reads, and it does skip lines."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

import edge.segment.number_marks as marks_module
from benchmarks.synth_pages import synth_page
from edge.pipeline import build_pipeline
from edge.types import Frame


def _record_skips(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Spy on number_marks._analysis_clear: the list fills with its answers (True: line skipped)."""
    skipped: list[bool] = []
    clear = marks_module._analysis_clear

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        skipped.append(clear(*args, **kwargs))
        return skipped[-1]

    monkeypatch.setattr(marks_module, "_analysis_clear", recording)
    return skipped


@pytest.mark.parametrize(
    ("seed", "layout", "polarity"),
    [(11, "decimals", "dark"), (12, "decimals", "light"), (13, "table", "dark"), (14, "sentences", "light")],
)
def test_marks_read_alike_with_the_segmenters_analysis(
    seed: int, layout: str, polarity: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = synth_page(np.random.default_rng(seed), layout, (960, 720), polarity)
    frame = Frame(page.image, 0.0, 0)
    plain = build_pipeline("digits", smoothing=False)
    plain.grouper.accepts_analysis = False  # type: ignore[union-attr]
    expected = plain.process(frame).numbers
    if layout == "decimals":
        assert any("." in t for t, _ in expected) and any("-" in t for t, _ in expected)

    skipped = _record_skips(monkeypatch)
    pipe = build_pipeline("digits", smoothing=False)
    got = pipe.process(frame).numbers
    assert got == expected
    # lines with marks are searched; lines of a table or of text with none are skipped
    assert False in skipped if layout == "decimals" else True in skipped


def test_too_small_digits_at_the_analysis_scale_are_always_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    page = synth_page(np.random.default_rng(11), "decimals", (960, 720), "dark")
    frame = Frame(page.image, 0.0, 0)
    pipe = build_pipeline("digits", smoothing=False)
    monkeypatch.setattr(marks_module, "MIN_ANALYSIS_PX", 1e6)
    skipped = _record_skips(monkeypatch)
    pipe.process(frame)
    assert skipped and not any(skipped)


def _plain_mark_blobs(ink: np.ndarray, f: float, h: float) -> list:
    """The mark blobs by the plain formula: every 8-connected component's box and first pixel."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    flat = labels.ravel()
    first = {}
    for i in np.flatnonzero(flat).tolist():
        first.setdefault(int(flat[i]), (i % ink.shape[1], i // ink.shape[1]))
    lo = max(1.0 / f, 0.04 * h) * f
    found = []
    for label in range(1, n):
        x, y, w, hh = (int(v) for v in stats[label, :4])
        small = max(w, hh) <= 0.3 * h * f and min(w, hh) >= lo
        dash = 0.2 * h * f <= w <= h * f and hh <= 0.5 * w and hh <= 0.25 * h * f
        if small or dash:
            found.append(((x, y, w, hh), first[label]))
    return sorted(found, key=lambda b: (b[1][1], b[1][0]))


@pytest.mark.parametrize("f", [0.2, 0.5, 1.0])
def test_mark_blobs_of_speckled_bands_are_the_plain_components(f: float) -> None:
    # lone pixels (skipped when a point must be wider than 1 px), dots, dashes, a ring with a
    # speck and a dot in its hole
    rng = np.random.default_rng(3)
    for seed in range(6):
        ink = np.where(rng.random((60, 90)) < 0.03 + 0.02 * seed, 255, 0).astype(np.uint8)
        cv2.rectangle(ink, (10, 40), (24, 43), 255, -1)
        cv2.circle(ink, (60, 30), 12, 255, 3)
        ink[30, 60] = 255
        cv2.rectangle(ink, (55, 25), (57, 27), 255, -1)
        cv2.rectangle(ink, (2, 2), (13, 13), 255, -1)  # a point at its largest (0.3 h f) at f = 1
        cv2.rectangle(ink, (80, 5), (85, 10), 255, -1)  # ... and at f = 0.5
        assert marks_module._mark_blobs(ink, f, 40.0) == _plain_mark_blobs(ink, f, 40.0)


def _plain_wanted_boxes(row, want, h, top, base, bx0, by0, f, shape):  # type: ignore[no-untyped-def]
    """_wanted_boxes by the plain formula: every box's rows and columns, then the empty dropped."""

    def box(x0, x1, y0, y1):  # type: ignore[no-untyped-def]
        c0 = max(0, math.floor((x0 - bx0) * f) - 1)
        c1 = min(shape[1], math.ceil((x1 - bx0 + 1.5) * f) + 2)
        r0 = max(0, math.floor((y0 - by0) * f) - 1)
        r1 = min(shape[0], math.ceil((y1 - by0 + 1.5) * f) + 2)
        return r0, r1, c0, c1

    out = []
    gaps, digits = want
    for k in gaps:
        p, r = row[k], row[k + 1]
        if p.x + p.w <= r.x:
            out.append(box(p.x + p.w - 1.5, r.x, top + 0.45 * h, base + 0.2 * h))
    for k in digits:
        r = row[k]
        end = r.x - 0.8 * h
        if k:
            end = max(end, row[k - 1].x + row[k - 1].w)
        out.append(box(end - 1.5, r.x, top + 0.125 * h, top + 0.925 * h))
    return [b for b in out if b[0] < b[1] and b[2] < b[3]]


def test_wanted_boxes_are_the_plain_formula() -> None:
    """_wanted_boxes (each kind's rows once, the bounds written out) gives the plain
    formula's boxes, in order, on lines of 1-8 digits with touching, overlapping and
    half-pixel boxes, at any scale and band origin, clipped to small and large masks."""
    from edge.types import ROI

    rng = np.random.default_rng(7)
    seen = 0
    for _ in range(3000):
        h = float(rng.integers(6, 120))
        x, row = float(rng.integers(-20, 200)), []
        for _ in range(int(rng.integers(1, 9))):
            w = int(rng.integers(1, int(h) + 1))
            row.append(ROI(x, float(rng.integers(0, 50)) + 0.5 * int(rng.integers(0, 2)), w, int(h)))
            x += w + float(rng.choice([-3.0, 0.0, 0.5, 2.0, 0.3 * h, 0.9 * h, 2.0 * h]))
        n = len(row)
        want = (
            [k for k in range(n - 1) if rng.random() < 0.7],
            [k for k in range(n) if rng.random() < 0.7],
        )
        top, base = float(row[0].y), float(row[0].y + h)
        bx0, by0 = float(rng.integers(-50, 100)), float(rng.integers(-20, 60))
        f = float(rng.choice([0.2, 0.5, 0.71, 1.0, 1.3]))
        shape = (int(rng.integers(1, 200)), int(rng.integers(1, 400)))
        got = marks_module._wanted_boxes(row, want, h, top, base, bx0, by0, f, shape)
        assert got == _plain_wanted_boxes(row, want, h, top, base, bx0, by0, f, shape)
        seen += len(got)
    assert seen > 3000


def _plain_analysis_clear(analysis, scale, row, boxes, want, h, top, base, bx0, by0, bx1, by1) -> bool:  # type: ignore[no-untyped-def]
    """_analysis_clear by the plain formula: the band's whole window compared, the digits
    cleared, then any ink in a wanted box grown by one px."""
    sx, sy = scale
    if h / sy < marks_module.MIN_ANALYSIS_PX:
        return False
    ah, aw = analysis.dark.shape
    ax0, ay0 = int(bx0 / sx), int(by0 / sy)
    ax1, ay1 = min(aw, int(np.ceil(bx1 / sx)) + 1), min(ah, int(np.ceil(by1 / sy)) + 1)
    if ax1 - ax0 < 2 or ay1 - ay0 < 2:
        return False
    ink = (analysis.dark[ay0:ay1, ax0:ax1] > analysis.level[ay0:ay1, ax0:ax1]).astype(np.uint8)
    for x0, y0, x1, y1 in boxes:
        ink[
            max(0, int(y0 / sy) - ay0) : max(0, int(np.ceil(y1 / sy)) - ay0),
            max(0, int(x0 / sx) - ax0) : max(0, int(np.ceil(x1 / sx)) - ax0),
        ] = 0
    f, ox, oy = 2.0 / (sx + sy), ax0 * sx, ay0 * sy
    wanted = _plain_wanted_boxes(row, want, h, top, base, ox, oy, f, ink.shape)
    return not any(ink[max(0, r0 - 1) : r1 + 1, max(0, c0 - 1) : c1 + 1].any() for r0, r1, c0, c1 in wanted)


@pytest.mark.parametrize("frame_w", [640, 600])
def test_analysis_clear_reads_the_wanted_boxes_as_the_plain_formula(
    frame_w: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_analysis_clear (its shortcuts: no ink in the window at all, the wanted boxes read
    only then) answers as the plain formula (any ink in a wanted box) on lines of 1-4
    digits anywhere in the frame, edges included, over sparse to dense ink, for subsets of
    the wanted marks."""
    from edge.segment.ink_analysis import InkAnalysis
    from edge.types import ROI

    rng = np.random.default_rng(frame_w)
    calls = []
    clear = marks_module._analysis_clear

    def spy(*args):  # type: ignore[no-untyped-def]
        got = clear(*args)
        calls.append(got)
        assert got == _plain_analysis_clear(*args), args[2:]
        return got

    monkeypatch.setattr(marks_module, "_analysis_clear", spy)
    H = 480
    image = np.zeros((H, frame_w), np.uint8)
    for _ in range(1500):
        aw = int(rng.choice([160, 256, 320]))
        ah = aw * 3 // 4
        dark = rng.integers(0, 256, (ah, aw), dtype=np.uint8)
        density = rng.choice([0.001, 0.003, 0.01, 0.05])
        level = np.where(rng.random((ah, aw)) < density, 0, 255).astype(np.uint8)
        analysis = InkAnalysis(dark, level, (H, frame_w), False, 15)
        rows, wanted = [], []
        for _ in range(int(rng.integers(1, 4))):
            h = int(rng.integers(20, 120))
            x, y = int(rng.integers(-h, frame_w)), int(rng.integers(-h // 2, H - h // 2))
            row = []
            for _ in range(int(rng.integers(1, 5))):
                w = int(rng.integers(h // 4, h))
                row.append(ROI(max(0, x), max(0, y + int(rng.integers(-3, 4))), w, h))
                x += w + int(rng.integers(-2, h))
            row.sort(key=lambda r: r.x)
            rows.append(row)
            gaps = [k for k in range(len(row) - 1) if rng.random() < 0.6]
            wanted.append((gaps, [k for k in range(len(row)) if rng.random() < 0.6]))
        marks_module.find_marks(image, rows, [False] * len(rows), wanted, analysis)
    assert len(calls) > 1500 and 0.2 < sum(calls) / len(calls) < 0.8
