"""A still frame's polarity call is checked both ways (edge.still_polarity.LightCheckedSegmenter).

A bright sheet that is a minority of the frame (on a dark desk, a lit corner beside a shadow) or a
fat marker digit that covers most of it makes the frame's grey levels look like light ink on a dark
ground; the digits found in that ink are the paper's edges. Given the model, the reading of the frame
it is clearly surer of (its most confident digit, the frame's answer) is kept. The wrong call is
simulated here with a segmenter forced to light ink. The converse: light ink on a dark board framed
by a lighter wall on three sides is called dark ink; it is segmented as light ink too when it shows
light-ink evidence.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.pipeline import Pipeline, build_pipeline
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digits import DigitSegmenter
from edge.segment.ink_polarity import frame_ink_is_light, light_evidence
from edge.still_views import POLARITY_CHECK, LightCheckedSegmenter, other_is_surer, use_still_views
from edge.types import Frame


def _frame(text: str, ground: int, ink: int) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: one digit ``text`` of grey ``ink`` on a ground of grey ``ground``."""
    img = np.full((480, 640), ground, np.uint8)
    cv2.putText(img, text, (260, 320), cv2.FONT_HERSHEY_SIMPLEX, 5, ink, 14, cv2.LINE_AA)
    return cv2.cvtColor(cv2.GaussianBlur(img, (3, 3), 0), cv2.COLOR_GRAY2BGR)


@pytest.fixture(scope="module")
def still() -> Pipeline:
    """The still-image pipeline of the default digits bundle (``edge-eval --frame``)."""
    return use_still_views(build_pipeline(load_bundle("digits"), smoothing=False))


def _answer(pipe: Pipeline, image: np.ndarray) -> str | None:
    pipe.reset()
    res = pipe.process(Frame(image, 0.0, 0))
    best = max(res.detections, key=lambda d: d.prediction.score, default=None)
    return None if best is None else best.prediction.label


def _called_light(pipe: Pipeline) -> Pipeline:
    """``pipe`` with a segmenter that calls every frame light ink (the wrong call)."""
    light = DigitSegmenter(DigitSegmenterConfig(polarity="light"))
    return Pipeline(light, pipe.preprocessor, pipe.classifier)


def test_other_is_surer_needs_the_margin() -> None:
    light = np.array([0.5, 0.3, 0.2])
    assert other_is_surer(light, np.array([[0.1, 0.9], [0.8, 0.2]]))  # a frame: its best digit counts
    assert not other_is_surer(light, np.array([0.0, POLARITY_CHECK * 0.5]))  # "more than", not equal
    assert other_is_surer(np.zeros((0, 10)), np.array([0.2, 0.8]))  # nothing read light: any digit wins
    assert not other_is_surer(light, np.zeros((0, 10)))


@pytest.mark.parametrize("text", ["0", "3", "4", "8"])
def test_a_dark_digit_called_light_ink_is_read_dark(still: Pipeline, text: str) -> None:
    frame = _frame(text, ground=200, ink=40)
    wrong = _called_light(still)
    assert _answer(wrong, frame) != text  # the light reading is the paper around the digit
    seg = LightCheckedSegmenter(wrong.segmenter, still.preprocessor, still.classifier)
    checked = Pipeline(seg, still.preprocessor, still.classifier)
    assert _answer(checked, frame) == text
    assert seg.chosen is seg.dark and seg.last_analysis is seg.dark.last_analysis
    assert seg.last_analysis is not None and not seg.last_analysis.light


@pytest.mark.parametrize("text", ["2", "3", "5", "8"])
def test_light_ink_called_light_stays_light(still: Pipeline, text: str) -> None:
    frame = _frame(text, ground=45, ink=215)  # chalk on a board
    seg = LightCheckedSegmenter(_called_light(still).segmenter, still.preprocessor, still.classifier)
    assert _answer(Pipeline(seg, still.preprocessor, still.classifier), frame) == text
    assert seg.chosen is seg.segmenter


def test_a_frame_called_dark_is_never_read_dark_again(
    still: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    seg = still.segmenter
    assert isinstance(seg, LightCheckedSegmenter)

    def no_dark_read(image: np.ndarray) -> list[object]:
        raise AssertionError("a frame called dark ink was segmented again")

    monkeypatch.setattr(seg.dark, "find", no_dark_read)
    assert _answer(still, _frame("4", ground=200, ink=40)) == "4"
    assert seg.chosen is seg.segmenter


def test_only_auto_polarity_still_pipelines_are_checked() -> None:
    bundle = load_bundle("digits")
    live = build_pipeline(bundle, smoothing=False)
    assert type(live.segmenter) is DigitSegmenter
    assert type(use_still_views(live).segmenter) is LightCheckedSegmenter
    forced = use_still_views(build_pipeline(bundle, smoothing=False, polarity="dark"))
    assert type(forced.segmenter) is DigitSegmenter


def _chalkboard(text: str) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a light digit ``text`` on a dark board, a light wall on the left, top
    and right.

    The wall is a light majority for the whole frame's skewness, and the board reaches only the
    frame's bottom edge (not a board framed by a wall on one or two sides), so the frame is called
    dark ink.
    """
    img = np.full((480, 640), 50, np.uint8)
    img[:, :200] = 200
    img[:100, :] = 200
    img[:, 540:] = 200
    cv2.putText(img, text, (330, 330), cv2.FONT_HERSHEY_SIMPLEX, 4, 215, 10, cv2.LINE_AA)
    return cv2.cvtColor(cv2.GaussianBlur(img, (3, 3), 0), cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("text", ["0", "2", "3", "6", "8"])
def test_light_ink_called_dark_is_read_light(still: Pipeline, text: str) -> None:
    frame = _chalkboard(text)
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    assert not frame_ink_is_light(grey) and light_evidence(grey)
    seg = still.segmenter
    assert isinstance(seg, LightCheckedSegmenter)
    unchecked = Pipeline(seg.segmenter, still.preprocessor, still.classifier)
    assert _answer(unchecked, frame) != text  # the dark reading: the board's edges, not the digit
    assert _answer(still, frame) == text
    assert seg.chosen is seg.light and seg.last_analysis is seg.light.last_analysis
    assert seg.last_analysis is not None and seg.last_analysis.light


@pytest.mark.parametrize("text", ["1", "4", "7"])
def test_dark_ink_is_never_switched_to_light(still: Pipeline, text: str) -> None:
    seg = still.segmenter
    assert isinstance(seg, LightCheckedSegmenter)
    for frame in (_frame(text, ground=200, ink=40), _sheet_on_desk(text)):
        assert _answer(still, frame) == text
        assert seg.chosen is seg.segmenter


def _sheet_on_desk(text: str) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a dark digit on a white sheet that covers most of a dark desk."""
    img = np.full((480, 640), 60, np.uint8)
    img[60:440, 120:560] = 210
    cv2.putText(img, text, (260, 320), cv2.FONT_HERSHEY_SIMPLEX, 5, 40, 14, cv2.LINE_AA)
    return cv2.cvtColor(cv2.GaussianBlur(img, (3, 3), 0), cv2.COLOR_GRAY2BGR)


def test_no_light_evidence_no_second_read(still: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    seg = still.segmenter
    assert isinstance(seg, LightCheckedSegmenter)
    frame = _frame("4", ground=200, ink=40)
    assert not light_evidence(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))

    def no_light_read(image: np.ndarray) -> list[object]:
        raise AssertionError("a frame without light-ink evidence was segmented as light ink")

    monkeypatch.setattr(seg.light, "find", no_light_read)
    assert _answer(still, frame) == "4"
