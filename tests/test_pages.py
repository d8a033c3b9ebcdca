"""Pages of numbers: digit finding at any scale and polarity, numbers as people write
them (gaps, decimal points, minus signs), the JSON Lines ``numbers`` field and
``edge-eval --pages``. Pages are synthesised with known numbers
(:mod:`benchmarks.synth_pages`, the project's renderer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from benchmarks.synth_pages import Page, synth_page, write_pages
from edge.evaluate.pages import evaluate_pages, list_pages, score_page
from edge.pipeline import Pipeline
from edge.segment.digits import DigitSegmenter, DigitSegmenterConfig
from edge.segment.ink_polarity import frame_ink_is_light, ink_is_light
from edge.segment.numbers import NumberGrouper, group_numbers, split_gaps
from edge.types import ROI, Detection, Frame, Prediction


def det(label: str, x: int, y: int = 100, w: int = 30, h: int = 50) -> Detection:
    scores = np.zeros(10, np.float32)
    scores[int(label)] = 0.9
    return Detection(ROI(x, y, w, h), Prediction(int(label), label, 0.9, scores))


def row(texts: list[str], gaps: list[float], y: int = 100, h: int = 50, w: int = 30) -> list[Detection]:
    """Digits of ``texts`` on one line: within a number 0.16 h apart, between numbers ``gaps`` x h."""
    out, x = [], 20
    for k, t in enumerate(texts):
        for c in t:
            out.append(det(c, x, y, w, h))
            x += w + int(0.16 * h)
        x += int(gaps[k % len(gaps)] * h) - int(0.16 * h)
    return out


# ---------------------------------------------------------------------------
# grouping from each line's own spacing
# ---------------------------------------------------------------------------
def test_split_gaps_finds_two_clusters_or_none() -> None:
    assert split_gaps([0.1, 0.15, 0.6, 0.12, 0.7, 0.55]) == pytest.approx(0.35)
    assert split_gaps([0.1, 0.15, 0.12]) is None  # one long number
    assert split_gaps([1.2, 1.5, 1.1]) is None  # single digits far apart
    assert split_gaps([0.9, 2.5]) is None  # the lower cluster is no within-number gap
    assert split_gaps([0.3]) is None


def test_a_table_row_is_not_one_long_number() -> None:
    """ "29 30 31 32" written 0.6 h apart: the fixed 0.8 h rule joined them ("2930...")."""
    dets = row(["29", "30", "31", "32"], [0.6])
    assert [t for t, _ in group_numbers(dets)] == ["29", "30", "31", "32"]
    # a line whose gaps do not fall apart takes the page's split
    dets += row(["5", "6"], [0.6], y=300)
    assert [t for t, _ in group_numbers(dets)][-2:] == ["5", "6"]


def test_uneven_sentence_spacing() -> None:
    dets = row(["1999", "42", "7", "365", "12"], [1.1, 2.0, 0.9, 1.5])
    assert [t for t, _ in group_numbers(dets)] == ["1999", "42", "7", "365", "12"]


def test_lines_in_reading_order() -> None:
    dets = row(["10", "20"], [1.0], y=300) + row(["1", "2"], [1.0], y=100)
    assert [t for t, _ in group_numbers(dets[::-1])] == ["1", "2", "10", "20"]


def page_rois(seg: DigitSegmenter, page: Page) -> tuple[list[ROI], list[Detection]]:
    """The segmenter's ROIs, each labelled with the true digit it covers (IoU >= 0.5)."""
    rois = seg.find(page.image)
    dets = []
    for r in rois:
        best = max(page.digits, key=lambda d: r.iou(d[1]))
        if r.iou(best[1]) >= 0.5:
            dets.append(det(best[0], r.x, r.y, r.w, r.h))
    return rois, dets


@pytest.mark.parametrize("layout", ["table", "sentences", "decimals"])
@pytest.mark.parametrize("polarity", ["dark", "light"])
def test_synthetic_pages_read_end_to_end(layout: str, polarity: str) -> None:
    """Every digit found once, and the numbers (signs and points included) read from
    the true labels of the found digits, on pages in either ink."""
    page = synth_page(np.random.default_rng((7, len(layout))), layout, (1280, 960), polarity)
    rois, dets = page_rois(DigitSegmenter(), page)
    assert len(dets) >= 0.97 * len(page.digits)
    assert len(rois) <= len(page.digits) + 2
    numbers = group_numbers(dets, page.image)
    score = score_page([t for t, _ in page.numbers], [t for t, _ in numbers])
    assert score.numbers_matched >= 0.9 * len(page.numbers), (score.truth, score.read)


def test_a_12_megapixel_page() -> None:
    """A 4000 x 3000 photo: the digits are analysed at their own scale, all of them."""
    page = synth_page(np.random.default_rng(12), "table", (4000, 3000), "dark", digit_frac=0.025)
    rois, dets = page_rois(DigitSegmenter(), page)
    assert len(dets) >= 0.97 * len(page.digits) > 100


def test_a_webcam_frame_of_a_page_and_no_digit_cap() -> None:
    page = synth_page(np.random.default_rng(5), "sentences", (640, 480), "dark", digit_frac=0.05)
    _, dets = page_rois(DigitSegmenter(), page)
    assert len(page.digits) > 12 and len(dets) >= 0.95 * len(page.digits)


def test_opencv_digits_sheet_is_found(shared_data_dir: Path | None) -> None:
    """OpenCV's digits.png: 5000 light digits on black, 20 x 20 px each."""
    path = None if shared_data_dir is None else shared_data_dir / "opencv-digits" / "digits.png"
    if path is None or not path.is_file():
        pytest.skip("opencv-digits/digits.png not in the shared data")
    sheet = cv2.imread(str(path))
    assert sheet is not None
    assert frame_ink_is_light(cv2.cvtColor(sheet, cv2.COLOR_BGR2GRAY))
    found = DigitSegmenter().find(sheet[:400, :800])  # 20 rows x 40 columns
    assert 760 <= len(found) <= 840
    assert DigitSegmenter(DigitSegmenterConfig(polarity="dark")).find(sheet[:400, :800]) != found


# ---------------------------------------------------------------------------
# polarity
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [16, 28, 64])
def test_crop_polarity_at_several_sizes(size: int) -> None:
    rng = np.random.default_rng(size)
    from edge.sources.handwriting import render_digit

    for d in "0123456789":
        m = render_digit(d, rng, max(8, int(size * 0.7)), pad_px=0)
        crop = np.zeros((size, size), np.uint8)
        h, w = min(size, m.shape[0]), min(size, m.shape[1])
        y, x = (size - h) // 2, (size - w) // 2
        crop[y : y + h, x : x + w] = m[:h, :w]
        assert ink_is_light(crop), d  # MNIST-style: light ink on black
        assert not ink_is_light(255 - crop), d  # dark ink on paper


@pytest.mark.parametrize("polarity", ["dark", "light"])
def test_frame_polarity_of_pages(polarity: str) -> None:
    page = synth_page(np.random.default_rng(3), "decimals", (960, 720), polarity)
    assert frame_ink_is_light(cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)) == (polarity == "light")


def test_polarity_config_is_checked() -> None:
    assert DigitSegmenterConfig().polarity == "auto"
    with pytest.raises(ValueError, match="min_digit_px"):
        DigitSegmenterConfig(min_digit_px=40, digit_px=28)


# ---------------------------------------------------------------------------
# JSON Lines and edge-eval --pages
# ---------------------------------------------------------------------------
class TruthClassifier:
    """Labels each ROI (given as its (x, y, w, h) by the preprocessor) with the true
    digit it covers, so the pipeline's grouping is tested without a model."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def classify(self, batch: np.ndarray) -> list[Prediction]:
        out = []
        for x, y, w, h in batch.tolist():
            r = ROI(x, y, w, h)
            label = max(self.page.digits, key=lambda d: r.iou(d[1]))[0]
            out.append(det(label, 0).prediction)
        return out


def test_jsonl_numbers_carry_text_and_box() -> None:
    page = synth_page(np.random.default_rng(11), "decimals", (960, 720), "dark")
    pipe = Pipeline(
        DigitSegmenter(),
        lambda image, rois: np.array([r.as_list() for r in rois]),
        TruthClassifier(page),
        grouper=NumberGrouper(),
    )
    rec = json.loads(json.dumps(pipe.process(Frame(page.image, 0.0, 0)).as_json()))
    assert [n["text"] for n in rec["numbers"]] == [t for t, _ in page.numbers]
    assert any("." in n["text"] or "-" in n["text"] for n in rec["numbers"])
    pipe.grouper = NumberGrouper(marks=False)
    plain = pipe.process(Frame(page.image, 0.0, 0)).numbers
    assert [t for t, _ in plain] != [t for t, _ in page.numbers]
    assert all(c.isdigit() for t, _ in plain for c in t)
    for n, (_, truth) in zip(rec["numbers"], page.numbers, strict=True):
        assert set(n) == {"text", "box"} and ROI(*n["box"]).iou(truth) > 0.7


def test_score_page_aligns_numbers() -> None:
    s = score_page(["29", "30", "31", "-2.5"], ["29", "30", "-2.5", "7"])
    assert (s.numbers_matched, s.digits_true, s.digits_read, s.digits_matched) == (3, 8, 7, 6)


def test_eval_pages_cli(tmp_path: Path, tiny_digits_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from edge.cli.eval import main

    write_pages(tmp_path, 2, seed=3, size=(640, 480))
    (tmp_path / "notes.txt").write_text("no photo of this name\n")
    assert [p.name for p, _ in list_pages(tmp_path)] == ["page_000.png", "page_001.png"]
    assert main(["--model", str(tiny_digits_bundle), "--pages", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pages"] == 2 and out["numbers_true"] > 10
    assert {"digit_recall", "digit_precision", "number_accuracy"} <= set(out)
    assert main(["--model", str(tiny_digits_bundle), "--pages", str(tmp_path / "nowhere")]) == 2


def test_evaluate_pages_with_true_labels(tmp_path: Path) -> None:
    layouts = ("table", "sentences", "decimals")
    write_pages(tmp_path, 3, seed=21, size=(960, 720))
    pages = [synth_page(np.random.default_rng((21, i)), layouts[i], (960, 720), "dark") for i in range(3)]

    class Reader:
        """The pipeline with the true labels of page ``frame.index`` (written in order)."""

        def process(self, frame: Frame) -> Any:
            pipe = Pipeline(
                DigitSegmenter(),
                lambda image, rois: np.array([r.as_list() for r in rois]),
                TruthClassifier(pages[frame.index]),
                grouper=NumberGrouper(),
            )
            return pipe.process(frame)

    report = evaluate_pages(Reader(), tmp_path)
    assert [p.truth for p in report.pages] == [tuple(t for t, _ in p.numbers) for p in pages]
    assert report.digit_recall >= 0.97 and report.digit_precision >= 0.97
    assert report.number_accuracy >= 0.9
