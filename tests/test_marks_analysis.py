"""The mark search skips lines where the digit segmenter's ink analysis shows no ink where a
wanted mark could be: on pages of decimals and signs it reads the numbers the full search
reads, and it does skip lines."""

from __future__ import annotations

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
