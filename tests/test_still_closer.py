"""A still frame whose answer the model is unsure of is read again 2x closer (edge.still_closer)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.pipeline import Pipeline, build_pipeline
from edge.still_closer import CLOSER_CHECK, CLOSER_HEIGHT, CloserCheckedSegmenter
from edge.still_polarity import PolarityCheckedSegmenter
from edge.still_views import use_still_views
from edge.types import ROI, Frame
from tests.test_frame_polarity_check import _frame


@dataclasses.dataclass(frozen=True)
class _Config:
    analysis_width: int = 320
    polarity: str = "auto"
    closer_look: bool = True


class _Segmenter:
    """A digit segmenter stand-in: one ROI whose width is the analysis width / 10 (so a reading
    tells which look found it); every instance's finds are logged by analysis width."""

    log: list[int] = []

    def __init__(self, config: _Config = _Config()) -> None:
        self.config = config
        self.looked_closer = False
        self.last_analysis = None
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    heights: dict[int, int] = {}  # analysis width -> the ROI's height (default 30)

    def find(self, image: np.ndarray) -> list[ROI]:
        _Segmenter.log.append(self.config.analysis_width)
        w = self.config.analysis_width
        return [ROI(5, 5, w // 10, _Segmenter.heights.get(w, 30))]


class _Preprocessor:
    """A batch of one row per ROI: its width (every ROI dark ink)."""

    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        self.last_light = [False] * len(rois)
        return np.array([[r.w] for r in rois], np.float32)


class _Classifier:
    """Two classes; the top probability of an input of width w is ``sure[w]`` (at least 0.5)."""

    labels = ("a", "b")

    def __init__(self, sure: dict[int, float]) -> None:
        self.sure = sure

    def predict(self, batch: np.ndarray) -> np.ndarray:
        p = np.array([self.sure[int(w)] for w in batch[:, 0]], np.float32)
        return np.stack([p, 1.0 - p], axis=1)


def _checked(first: float, closer: float, config: _Config = _Config()) -> CloserCheckedSegmenter:
    _Segmenter.log, _Segmenter.heights = [], {}
    sure = {config.analysis_width // 10: first, 2 * config.analysis_width // 10: closer}
    return CloserCheckedSegmenter(_Segmenter(config), _Preprocessor(), _Classifier(sure))


IMAGE = np.zeros((480, 640, 3), np.uint8)


def test_an_unsure_frame_takes_a_surer_closer_reading() -> None:
    seg = _checked(0.6, 0.95)
    rois = seg.find(IMAGE)
    assert _Segmenter.log == [320, 640] and rois == [ROI(5, 5, 64, 30)]
    closer = seg.chosen
    assert closer is not seg.segmenter and closer.config == _Config(640, "auto", closer_look=False)
    assert seg.last_read is not None and seg.last_read.found is rois
    assert seg.last_read.predictions[0].score == pytest.approx(0.95)
    assert seg.config is closer.config  # other attributes are the chosen segmenter's


@pytest.mark.parametrize(
    ("first", "closer"),
    [(0.6, CLOSER_CHECK - 0.01), (0.7, 0.65), (0.89, 0.88)],
)
def test_the_first_reading_stands_unless_the_closer_one_is_sure_and_surer(
    first: float, closer: float
) -> None:
    seg = _checked(first, closer)
    rois = seg.find(IMAGE)
    assert _Segmenter.log == [320, 640] and rois == [ROI(5, 5, 32, 30)] and seg.chosen is seg.segmenter
    assert seg.last_read is not None and seg.last_read.found is rois
    assert seg.last_read.predictions[0].score == pytest.approx(first)


@pytest.mark.parametrize(("height", "kept"), [(15, True), (14, False), (60, True)])
def test_a_closer_answer_much_smaller_than_the_first_is_not_kept(height: int, kept: bool) -> None:
    """A fragment or speck split off at 2x: under CLOSER_HEIGHT of the first answer's 30 px."""
    assert CLOSER_HEIGHT == 0.5
    seg = _checked(0.6, 0.95)
    _Segmenter.heights = {640: height}
    rois = seg.find(IMAGE)
    assert _Segmenter.log == [320, 640] and (seg.chosen is not seg.segmenter) == kept
    assert rois[0].h == (height if kept else 30)


def test_a_frame_under_twice_the_analysis_width_is_read_again_at_full_resolution() -> None:
    seg = _checked(0.6, 0.95)
    seg.find(np.zeros((300, 400, 3), np.uint8))
    assert _Segmenter.log == [320, 640] and seg.chosen.config.analysis_width == 640  # f = 1 at 640


def test_a_sure_frame_is_read_once() -> None:
    seg = _checked(CLOSER_CHECK + 0.02, 0.99)
    assert seg.find(IMAGE) == [ROI(5, 5, 32, 30)] and _Segmenter.log == [320]
    assert seg.chosen is seg.segmenter and not seg._closer


def test_no_closer_reading_where_nothing_closer_can_be_seen() -> None:
    seg = _checked(0.3, 0.99)
    seg.find(np.zeros((240, 320, 3), np.uint8))  # the frame's own pixels were analysed
    seg.segmenter.looked_closer = True  # the segmenter's own 2x look was taken
    seg.segmenter.find = lambda image: [ROI(5, 5, 32, 30)]  # (still unsure)
    seg.find(IMAGE)
    assert _Segmenter.log == [320] and seg.chosen is seg.segmenter


def test_the_closer_reading_keeps_the_first_readings_polarity() -> None:
    seg = _checked(0.3, 0.99)
    seg.segmenter.last_analysis = type("A", (), {"light": True})()
    seg.find(IMAGE)
    assert seg.chosen.config == _Config(640, "light", closer_look=False)
    assert seg.chosen.resets == 1  # each photo stands alone


def test_a_still_pipeline_reads_each_frame_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sure frame: the pipeline takes the check's reading (one predict call, not two) and it is
    what the pipeline would have read itself."""
    still = use_still_views(build_pipeline(load_bundle("digits"), smoothing=False))
    seg = still.segmenter
    assert isinstance(seg, CloserCheckedSegmenter) and isinstance(seg.segmenter, PolarityCheckedSegmenter)
    plain = Pipeline(seg.segmenter, still.preprocessor, still.classifier)
    calls: list[int] = []
    predict = still.classifier.predict

    def counted(batch: np.ndarray) -> Any:
        calls.append(len(batch))
        return predict(batch)

    monkeypatch.setattr(still.classifier, "predict", counted)
    frame = _frame("4", ground=200, ink=40)
    mine = still.process(Frame(frame, 0.0, 0))
    assert len(calls) == 1 and mine.detections[0].prediction.label == "4"
    assert mine.detections[0].prediction.score >= CLOSER_CHECK and seg.chosen is seg.segmenter
    theirs = plain.process(Frame(frame, 0.0, 0))
    assert len(calls) == 2
    assert [(d.roi, d.prediction) for d in mine.detections] == [
        (d.roi, d.prediction) for d in theirs.detections
    ]


def test_a_small_digit_read_from_too_few_pixels_is_read_closer(
    shared_data_dir: Path | None, tmp_path: Path
) -> None:
    """A camera-like frame (``benchmarks/realistic_digits.py``'s renderer, seed 104, 30 frames,
    its fourth: a small pencil 2): the 320-px reading answers "1" unsure; 2x closer it reads the 2."""
    if shared_data_dir is None or not (shared_data_dir / "opencv-digits" / "digits.png").is_file():
        pytest.skip("shared data not found (MNIST and OpenCV's digits.png)")
    from benchmarks.realistic_render import load_sources
    from benchmarks.realistic_set import generate

    generate(tmp_path, 0, 30, seed=104, sources=load_sources(shared_data_dir), conditions=False)
    frame = cv2.imread(str(tmp_path / "frames" / "2" / "00003.png"))
    assert frame is not None
    # min_score 0: the unsure first reading is kept to be compared (the default bundle's is 0.20)
    still = use_still_views(build_pipeline(load_bundle("digits"), smoothing=False, min_score=0.0))
    once = Pipeline(still.segmenter.segmenter, still.preprocessor, still.classifier)
    first = _best(once, frame)
    assert first is not None and first.prediction.label != "2" and first.prediction.score < CLOSER_CHECK
    calls: list[int] = []
    predict = still.classifier.predict

    def counted(batch: np.ndarray) -> Any:
        calls.append(len(batch))
        return predict(batch)

    still.classifier.predict = counted  # type: ignore[method-assign]
    seg = still.segmenter
    res = still.process(Frame(frame, 0.0, 0))
    closer = max(res.detections, key=lambda d: d.prediction.score)
    assert closer.prediction.label == "2" and closer.prediction.score >= CLOSER_CHECK
    assert seg.chosen is not seg.segmenter and seg.last_read is not None
    assert len(calls) == 2  # the first reading and the closer one; the pipeline reads neither again
    assert [(d.roi, d.prediction) for d in res.detections] == list(
        zip(seg.last_read.rois, seg.last_read.predictions, strict=True)
    )
    assert len(seg._closer) == 1
    closer_seg = next(iter(seg._closer.values()))
    closer_seg.reset = lambda: calls.append(-1)  # type: ignore[method-assign]
    still.reset()  # the pipeline's reset reaches the closer segmenter (keeps_scene is the chosen's)
    assert calls[-1] == -1


def _best(pipe: Pipeline, image: np.ndarray) -> Any:
    pipe.reset()
    res = pipe.process(Frame(image, 0.0, 0))
    return max(res.detections, key=lambda d: d.prediction.score, default=None)
