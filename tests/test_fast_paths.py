"""What the faster preprocess/classify/smooth paths hand on: the ink polarity each digit
was normalised in (to the mark search), and the smoother's top class."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from benchmarks.synth_pages import synth_page
from edge.pipeline import Pipeline
from edge.preprocess import MnistPreprocessor
from edge.segment.digits import DigitSegmenter
from edge.segment.number_marks import find_marks
from edge.segment.numbers import NumberGrouper, group_numbers, reading_rows
from edge.track import TrackSmoother
from edge.types import ROI, Detection, Frame, Prediction


def _det(roi: ROI, label: int = 3) -> Detection:
    s = np.zeros(10, np.float32)
    s[label] = 1.0
    return Detection(roi, Prediction(label, str(label), 1.0, s))


def _digit_sheet(light: bool) -> tuple[np.ndarray, list[ROI]]:
    """A grey sheet with two bars (digit "1"s) and an empty box; light: white on black."""
    img = np.full((120, 200), 200, np.uint8)
    img[30:90, 40:48] = 40
    img[30:90, 120:128] = 40
    rois = [ROI(36, 28, 16, 64), ROI(116, 28, 16, 64), ROI(170, 40, 20, 20)]
    return (255 - img if light else img), rois


@pytest.mark.parametrize("light", [False, True])
def test_preprocessor_records_the_ink_polarity_of_each_roi(light: bool) -> None:
    img, rois = _digit_sheet(light)
    pre = MnistPreprocessor(polarity="auto")
    x = pre(img, rois)
    assert x.shape == (3, 28, 28, 1) and x[:2].max() == pytest.approx(1.0)
    assert pre.last_light[:2] == [light, light]
    assert pre.last_light[2] is None and not x[2].any()  # nothing there
    assert MnistPreprocessor(polarity="dark")(img, []).shape == (0, 28, 28, 1)


@pytest.mark.parametrize("polarity", ["dark", "light"])
def test_marks_in_the_given_ink_are_those_decided_from_the_band(polarity: str) -> None:
    page = synth_page(np.random.default_rng(11), "decimals", (960, 720), polarity)
    rois = [r for _, r in page.digits]
    rows = [[rois[i] for i in row] for row in reading_rows(rois)]
    decided = find_marks(page.image, rows)
    assert decided.points or decided.minus
    given = find_marks(page.image, rows, [polarity == "light"] * len(rows))
    assert (given.points, given.minus) == (decided.points, decided.minus)
    # the given ink is used: the opposite ink finds other "marks" (the paper between strokes)
    wrong = find_marks(page.image, rows, [polarity != "light"] * len(rows))
    assert (wrong.points, wrong.minus) != (decided.points, decided.minus)
    dets = [_det(r, int(t)) for t, r in page.digits]
    light = [polarity == "light"] * len(dets)
    assert group_numbers(dets, page.image, light=light) == group_numbers(dets, page.image)


class _Recorder(NumberGrouper):
    def group(
        self, detections: Any, image: Any, light: Any = None, analysis: Any = None
    ) -> list[tuple[str, ROI]]:
        self.light, self.analysis = light, analysis
        return super().group(detections, image, light, analysis)


class _Fixed:
    labels = tuple(str(i) for i in range(10))

    def classify(self, batch: np.ndarray) -> list[Prediction]:
        return [_det(ROI(0, 0, 1, 1), 1).prediction for _ in batch]


def test_pipeline_hands_each_digits_ink_to_the_grouper() -> None:
    img, _ = _digit_sheet(light=True)
    grouper = _Recorder()
    segmenter = DigitSegmenter()
    pipe = Pipeline(segmenter, MnistPreprocessor(polarity="auto"), _Fixed(), grouper=grouper)
    res = pipe.process(Frame(np.dstack([img] * 3), 0.0, 0))
    assert len(res.detections) == 2 and grouper.light == [True, True]
    assert grouper.analysis is segmenter.last_analysis is not None  # the segmenter's ink


def test_smoother_reports_the_top_class_of_the_mean() -> None:
    sm = TrackSmoother(window=3, labels=[str(i) for i in range(10)])
    rng = np.random.default_rng(0)
    for _ in range(20):
        s = rng.random(10).astype(np.float32)
        s /= s.sum()
        out = sm.update([Detection(ROI(10, 10, 20, 30), Prediction(int(s.argmax()), "x", 1.0, s))])[0]
        mean = sm.tracks[0].vote()
        assert out.prediction.index == int(mean.argmax()) and out.prediction.score == float(mean.max())
    tie = np.zeros(10, np.float32)
    tie[[2, 7]] = 0.5
    out = TrackSmoother(window=1, labels=[str(i) for i in range(10)]).update(
        [Detection(ROI(0, 0, 5, 5), Prediction(2, "2", 0.5, tie))]
    )[0]
    assert out.prediction.index == 7  # a tie goes to the higher index (the reversed argsort's)
    # without labels, only classes seen so far are reported
    q = np.zeros(10, np.float32)
    q[[4, 9]] = (0.2, 0.8)
    out = TrackSmoother(window=1).update([Detection(ROI(0, 0, 5, 5), Prediction(4, "4", 0.2, q))])[0]
    assert (out.prediction.index, out.prediction.label) == (4, "4")
