"""The mark search skips lines where the digit segmenter's ink analysis shows no ink where a
wanted mark could be: on pages of decimals and signs it reads the numbers the full search
reads, and it does skip lines."""

from __future__ import annotations

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
