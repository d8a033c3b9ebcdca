"""Pages of numbers on lined and squared paper (a school notebook; issue 13).

``benchmarks.synth_pages --ruling`` draws the same pages on ruled paper; the segmenter must
still find every digit (faint pencil is not split by the ruling's second ink level:
:func:`edge.segment.digit_lines.ruling_darkness`), and pieces of the lines between the
digits must not be read as decimal points or minus signs (:mod:`edge.segment.mark_ink`).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.synth_pages import RULINGS, Page, main, mnist_by_label, synth_page
from edge.evaluate.pages import score_page
from edge.segment.digit_lines import ruling_darkness
from edge.segment.digits import DigitSegmenter
from edge.segment.ink_components import stands_alone
from edge.segment.mark_ink import is_own_mark
from edge.segment.numbers import group_numbers
from edge.types import ROI, Detection, Prediction


def _grey(page: Page) -> np.ndarray:
    return cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY).astype(np.int16)


@pytest.mark.parametrize("ruling", ["lined", "squared"])
def test_a_ruled_page_is_the_plain_page_with_lines(ruling: str) -> None:
    plain = synth_page(np.random.default_rng((4, 0)), "table", (640, 480), "dark")
    ruled = synth_page(np.random.default_rng((4, 0)), "table", (640, 480), "dark", ruling=ruling)
    assert ruled.numbers == plain.numbers and ruled.digits == plain.digits
    darker = (_grey(plain) - _grey(ruled)) > 8  # where the lines are
    rows = int((darker.mean(axis=1) > 0.5).sum())  # lines across the page
    cols = int((darker.mean(axis=0) > 0.5).sum())
    assert rows >= 5, f"{rows} ruled rows"
    assert (cols >= 5) == (ruling == "squared"), f"{cols} ruled columns"  # (a margin is one line)
    assert darker.mean() < 0.25  # the rest of the page is the plain one


def test_no_ruling_is_the_plain_page_and_rulings_are_checked() -> None:
    a = synth_page(np.random.default_rng((4, 3)), "decimals", (480, 360), "light")
    b = synth_page(np.random.default_rng((4, 3)), "decimals", (480, 360), "light", ruling="none")
    assert np.array_equal(a.image, b.image) and RULINGS[0] == "none"
    with pytest.raises(ValueError, match="ruling"):
        synth_page(np.random.default_rng(0), "table", (480, 360), "dark", ruling="dotted")


def test_cli_writes_ruled_pages(tmp_path: Path) -> None:
    assert main([str(tmp_path), "--count", "1", "--size", "320x240", "--ruling", "squared"]) == 0
    assert (tmp_path / "page_000.png").is_file() and (tmp_path / "page_000.txt").read_text().strip()


def _det(label: str, r: ROI) -> Detection:
    scores = np.zeros(10, np.float32)
    scores[int(label)] = 0.9
    return Detection(r, Prediction(int(label), label, 0.9, scores))


def _read(page: Page) -> tuple[list[ROI], list[Detection], list[str]]:
    """The segmenter's ROIs, those on a true digit (IoU >= 0.5) with its true label, and the
    numbers grouped from them (marks looked for in the photo)."""
    rois = DigitSegmenter().find(page.image)
    dets = []
    for r in rois:
        best = max(page.digits, key=lambda d: r.iou(d[1]))
        if r.iou(best[1]) >= 0.5:
            dets.append(_det(best[0], r))
    return rois, dets, [t for t, _ in group_numbers(dets, page.image)]


@pytest.mark.parametrize(
    ("seed", "layout", "ruling"),
    [(6, "table", "lined"), (5, "table", "squared"), (1, "decimals", "squared")],
)
def test_a_ruled_page_read_end_to_end(mnist, seed: int, layout: str, ruling: str) -> None:
    page = synth_page(
        np.random.default_rng((seed, 1)),
        layout,
        (1280, 960),
        "dark",
        mnist=mnist_by_label(*mnist),
        ruling=ruling,
    )
    rois, dets, numbers = _read(page)
    assert len(dets) >= 0.97 * len(page.digits)
    assert len(rois) <= len(page.digits) + 2
    score = score_page([t for t, _ in page.numbers], numbers)
    assert score.numbers_matched >= 0.9 * len(page.numbers), (score.truth, score.read)


@pytest.mark.parametrize(
    ("seed", "ruling", "polarity"), [(3, "squared", "dark"), (5, "lined", "dark"), (8, "squared", "light")]
)
def test_ruling_between_digits_is_no_point_or_minus(mnist, seed: int, ruling: str, polarity: str) -> None:
    """A table of whole numbers on ruled paper: no number is read with a mark."""
    page = synth_page(
        np.random.default_rng((seed, 0)),
        "table",
        (960, 720),
        polarity,
        mnist=mnist_by_label(*mnist),
        ruling=ruling,
    )
    _, _, numbers = _read(page)
    assert not [t for t in numbers if "." in t or "-" in t]


def test_a_mark_is_ink_of_its_own_as_dark_as_the_digits() -> None:
    full = np.zeros((40, 100), np.uint8)
    dark = np.full((40, 100), 10, np.uint8)
    digits = [(5, 35, 10, 30), (5, 35, 60, 80)]  # two digits' boxes (row0, row1, col0, col1)
    for r0, r1, c0, _ in digits:
        dark[r0:r1, c0 + 3 : c0 + 7] = 200  # a stroke
        full[r0:r1, c0 + 3 : c0 + 7] = 255
    full[30:33, 43:46], dark[30:33, 43:46] = 255, 190  # a point
    assert is_own_mark(full, dark, (43, 30, 3, 3), (43, 30), digits)
    dark[30:33, 43:46] = 60  # as faint as printed ruling
    assert not is_own_mark(full, dark, (43, 30, 3, 3), (43, 30), digits)
    full[20, :], dark[20, :] = 255, 200  # a line through the digits: its piece between them
    assert not stands_alone(full, (30, 20, 30, 1), (30, 20))
    assert stands_alone(full, (43, 30, 3, 3), (43, 30))


def test_ruling_darkness_is_a_high_quantile_of_the_erased_pixels() -> None:
    mask = np.zeros((10, 100), np.uint8)
    mask[5, :] = 255
    dark = np.zeros((10, 100), np.uint8)
    dark[5, :] = np.arange(100, dtype=np.uint8)
    cleaned = mask.copy()
    assert ruling_darkness(dark, mask, cleaned) is None
    cleaned[5, :] = 0
    assert ruling_darkness(dark, mask, cleaned) in (89, 90)
