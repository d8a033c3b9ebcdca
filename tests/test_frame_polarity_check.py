"""A still frame's polarity call is checked both ways (edge.still_polarity.PolarityCheckedSegmenter).

A bright sheet that is a minority of the frame (on a dark desk, a lit corner beside a shadow) or a
fat marker digit that covers most of it makes the frame's grey levels look like light ink on a dark
ground; the digits found in that ink are the paper's edges. Given the model, the reading of the frame
it is clearly surer of (its most confident digit, the frame's answer) is kept. The wrong call is
simulated here with a segmenter forced to light ink. The converse: light ink on a dark board framed
by a lighter wall on three sides is called dark ink; it is segmented as light ink too when it shows
light-ink evidence.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.pipeline import Pipeline, build_pipeline
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digits import DigitSegmenter
from edge.segment.ink_polarity import frame_ink_is_light, light_evidence
from edge.segment.numbers import NumberGrouper
from edge.still_closer import CloserCheckedSegmenter
from edge.still_polarity import Reading
from edge.still_views import POLARITY_CHECK, PolarityCheckedSegmenter, other_is_surer, use_still_views
from edge.types import ROI, Detection, Frame, Prediction
from tests.test_frame_polarity import sheet_on_a_desk


def _frame(text: str, ground: int, ink: int) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: one digit ``text`` of grey ``ink`` on a ground of grey ``ground``."""
    img = np.full((480, 640), ground, np.uint8)
    cv2.putText(img, text, (260, 320), cv2.FONT_HERSHEY_SIMPLEX, 5, ink, 14, cv2.LINE_AA)
    return cv2.cvtColor(cv2.GaussianBlur(img, (3, 3), 0), cv2.COLOR_GRAY2BGR)


@pytest.fixture(scope="module")
def still() -> Pipeline:
    """The still-image pipeline (``edge-eval --frame``) of the camera-trained bundle these frames were
    built for (``digits-cam``: the default before Outlier Exposure; the tests need its misreads)."""
    return use_still_views(build_pipeline(load_bundle("digits-cam"), smoothing=False))


def polarity_checked(pipe: Pipeline) -> PolarityCheckedSegmenter:
    """The polarity check of a still pipeline (inside its closer check, edge.still_closer)."""
    outer = pipe.segmenter
    assert isinstance(outer, CloserCheckedSegmenter) and isinstance(outer.segmenter, PolarityCheckedSegmenter)
    return outer.segmenter


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
    first = np.array([0.5, 0.3, 0.2])
    assert other_is_surer(first, np.array([[0.1, 0.9], [0.8, 0.2]]))  # a frame: its best digit counts
    assert not other_is_surer(np.array([[0.1, 0.9], [0.8, 0.2]]), first)  # which reading is first matters
    assert not other_is_surer(np.array([[0.9, 0.1], [0.45, 0.55]]), np.array([0.0, 0.85]))  # 0.85 < 1.5 x 0.9
    assert not other_is_surer(first, np.array([0.0, POLARITY_CHECK * 0.5]))  # "more than", not equal
    assert other_is_surer(np.zeros((0, 10)), np.array([0.2, 0.8]))  # nothing read first: any digit wins
    assert not other_is_surer(first, np.zeros((0, 10)))


@pytest.mark.parametrize("text", ["0", "3", "4", "8"])
def test_a_dark_digit_called_light_ink_is_read_dark(still: Pipeline, text: str) -> None:
    frame = _frame(text, ground=200, ink=40)
    wrong = _called_light(still)
    assert _answer(wrong, frame) != text  # the light reading is the paper around the digit
    seg = PolarityCheckedSegmenter(wrong.segmenter, still.preprocessor, still.classifier)
    checked = Pipeline(seg, still.preprocessor, still.classifier)
    assert _answer(checked, frame) == text
    assert seg.chosen is seg.dark and seg.last_analysis is seg.dark.last_analysis
    assert seg.last_analysis is not None and not seg.last_analysis.light


@pytest.mark.parametrize("text", ["2", "3", "5", "8"])
def test_light_ink_called_light_stays_light(still: Pipeline, text: str) -> None:
    frame = _frame(text, ground=45, ink=215)  # chalk on a board
    seg = PolarityCheckedSegmenter(_called_light(still).segmenter, still.preprocessor, still.classifier)
    assert _answer(Pipeline(seg, still.preprocessor, still.classifier), frame) == text
    assert seg.chosen is seg.segmenter


def test_a_frame_called_dark_is_never_read_dark_again(
    still: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    seg = polarity_checked(still)
    assert isinstance(seg, PolarityCheckedSegmenter)

    def no_dark_read(image: np.ndarray) -> list[object]:
        raise AssertionError("a frame called dark ink was segmented again")

    monkeypatch.setattr(seg.dark, "find", no_dark_read)
    assert _answer(still, _frame("4", ground=200, ink=40)) == "4"
    assert seg.chosen is seg.segmenter


def test_only_auto_polarity_still_pipelines_are_checked() -> None:
    bundle = load_bundle("digits")
    live = build_pipeline(bundle, smoothing=False)
    assert type(live.segmenter) is DigitSegmenter
    assert type(polarity_checked(use_still_views(live))) is PolarityCheckedSegmenter
    forced = use_still_views(build_pipeline(bundle, smoothing=False, polarity="dark")).segmenter
    assert type(forced) is CloserCheckedSegmenter and type(forced.segmenter) is DigitSegmenter


#: Where the wall framing :func:`_chalkboard`'s board is: (wall columns, wall rows, the digit's
#: origin), each a wall on three sides, so that the board reaches one edge of the frame only.
_WALLS = {
    "open-bottom": ((slice(None, 200), slice(540, None)), (slice(None, 100),), (330, 330)),
    "open-top": ((slice(None, 200), slice(540, None)), (slice(380, None),), (300, 280)),
    "open-left": ((slice(540, None),), (slice(None, 100), slice(380, None)), (200, 300)),
    "open-right": ((slice(None, 200),), (slice(None, 100), slice(380, None)), (350, 300)),
}


def _chalkboard(text: str, wall: str = "open-bottom") -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a light digit ``text`` on a dark board, a light wall on three sides
    (:data:`_WALLS`); blurred 3x3 (a lens).

    The wall is a light majority for the whole frame's skewness, and the board reaches only one
    edge of the frame (not a board framed by a wall on one or two sides, which the live board test
    calls light), so the frame is called dark ink.
    """
    cols, rows, org = _WALLS[wall]
    img = np.full((480, 640), 50, np.uint8)
    for c in cols:
        img[:, c] = 200
    for r in rows:
        img[r, :] = 200
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 4, 215, 10, cv2.LINE_AA)
    return cv2.cvtColor(cv2.GaussianBlur(img, (3, 3), 0), cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("wall", list(_WALLS))
def test_a_board_framed_on_any_three_sides_shows_light_evidence(wall: str) -> None:
    """:func:`light_evidence` does not depend on which sides the wall is on, once the edges are as
    soft as a lens makes them. (Razor-sharp, a wall on the left and top gave none: the local box
    mean's even width, 18 px here, centres it half a pixel off, so each sharp step's dark side below
    or right of it carries one more of the largest deviations, and the local skewness drops under
    ``DARK_SKEW``.)"""
    for text in "0123456789":
        grey = cv2.cvtColor(_chalkboard(text, wall), cv2.COLOR_BGR2GRAY)
        assert not frame_ink_is_light(grey) and light_evidence(grey), text


@pytest.mark.parametrize("text", ["0", "2", "3", "6", "8"])
def test_light_ink_called_dark_is_read_light(still: Pipeline, text: str) -> None:
    frame = _chalkboard(text)
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    assert not frame_ink_is_light(grey) and light_evidence(grey)
    seg = polarity_checked(still)
    assert isinstance(seg, PolarityCheckedSegmenter)
    unchecked = Pipeline(seg.segmenter, still.preprocessor, still.classifier)
    assert _answer(unchecked, frame) != text  # the dark reading: the board's edges, not the digit
    assert _answer(still, frame) == text
    assert seg.chosen is seg.light and seg.last_analysis is seg.light.last_analysis
    assert seg.last_analysis is not None and seg.last_analysis.light


@pytest.mark.parametrize("text", ["1", "4", "7"])
def test_dark_ink_is_never_switched_to_light(still: Pipeline, text: str) -> None:
    seg = polarity_checked(still)
    assert isinstance(seg, PolarityCheckedSegmenter)
    for frame in (_frame(text, ground=200, ink=40), _sheet_on_desk(text)):
        assert _answer(still, frame) == text
        assert seg.chosen is seg.segmenter


@pytest.mark.parametrize("desk, seed", [(50, 0), (70, 1), (90, 2)])
def test_dark_ink_with_light_evidence_is_read_light_too_and_kept_dark(
    still: Pipeline, monkeypatch: pytest.MonkeyPatch, desk: float, seed: int
) -> None:
    """A small dark 7 on squared paper on a dark desk shows light-ink evidence (the frames above show
    none, so they are never read light): it is segmented as light ink too, and the dark reading kept."""
    seg = polarity_checked(still)
    assert isinstance(seg, PolarityCheckedSegmenter)
    grey = sheet_on_a_desk(desk, seed)
    assert not frame_ink_is_light(grey) and light_evidence(grey)
    reads: list[int] = []
    find = seg.light.find

    def counted(image: np.ndarray) -> list[ROI]:
        reads.append(1)
        return find(image)

    monkeypatch.setattr(seg.light, "find", counted)
    assert _answer(still, cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)) == "7"
    assert reads == [1] and seg.chosen is seg.segmenter


def _sheet_on_desk(text: str) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a dark digit on a white sheet that covers most of a dark desk."""
    img = np.full((480, 640), 60, np.uint8)
    img[60:440, 120:560] = 210
    cv2.putText(img, text, (260, 320), cv2.FONT_HERSHEY_SIMPLEX, 5, 40, 14, cv2.LINE_AA)
    return cv2.cvtColor(cv2.GaussianBlur(img, (3, 3), 0), cv2.COLOR_GRAY2BGR)


def test_no_light_evidence_no_second_read(still: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    seg = polarity_checked(still)
    assert isinstance(seg, PolarityCheckedSegmenter)
    frame = _frame("4", ground=200, ink=40)
    assert not light_evidence(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))

    def no_light_read(image: np.ndarray) -> list[object]:
        raise AssertionError("a frame without light-ink evidence was segmented as light ink")

    monkeypatch.setattr(seg.light, "find", no_light_read)
    assert _answer(still, frame) == "4"


class _Forgetful:
    """A segmenter as ``seg`` but without its :attr:`last_read`: the pipeline reads the ROIs itself."""

    def __init__(self, seg: PolarityCheckedSegmenter) -> None:
        self.seg = seg

    def find(self, image: np.ndarray) -> list[ROI]:
        rois = self.seg.find(image)
        self.seg.last_read = None
        return rois

    def __getattr__(self, name: str) -> Any:
        return getattr(self.seg, name)


#: Frames read both ways: (frame, called light ink, the other reading kept), built by name.
_CHECKED = {
    "chalk on a board framed by a wall: read light": (lambda: _chalkboard("2"), False, True),
    "dark ink on a sheet on a dark desk: kept dark": (
        lambda: cv2.cvtColor(sheet_on_a_desk(50, 0), cv2.COLOR_GRAY2BGR),
        False,
        False,
    ),
    "dark ink called light: read dark": (lambda: _frame("3", ground=200, ink=40), True, True),
    "chalk called light: kept light": (lambda: _frame("5", ground=45, ink=215), True, False),
}


@pytest.mark.parametrize("name", list(_CHECKED))
def test_a_checked_frame_is_preprocessed_and_classified_once_each_way(
    still: Pipeline, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The pipeline takes the kept reading's predictions (:class:`edge.still_polarity.Reading`)
    instead of reading its ROIs a third time, and they are what it would have read itself."""
    make, called_light, switched = _CHECKED[name]
    frame = make()
    seg = polarity_checked(still)
    if called_light:
        seg = PolarityCheckedSegmenter(_called_light(still).segmenter, still.preprocessor, still.classifier)
    assert isinstance(seg, PolarityCheckedSegmenter)
    grouper = NumberGrouper()
    checked = Pipeline(seg, still.preprocessor, still.classifier, grouper=grouper)
    again = Pipeline(_Forgetful(seg), still.preprocessor, still.classifier, grouper=grouper)
    calls: list[int] = []
    predict = seg.classifier.predict  # the pipeline's ViewsClassifier

    def counted(batch: np.ndarray) -> np.ndarray:
        calls.append(len(batch))
        return predict(batch)

    monkeypatch.setattr(still.classifier, "predict", counted)
    mine = checked.process(Frame(frame, 0.0, 0))
    assert (seg.chosen is not seg.segmenter) == switched
    reads = len(calls)  # each reading with ink once; the pipeline does not read the kept one again
    theirs = again.process(Frame(frame, 0.0, 0))
    assert reads >= 1 and len(calls) - reads == reads + 1  # `again` also reads the kept one itself
    assert mine.raw and [_seen(d) for d in mine.raw] == [_seen(d) for d in theirs.raw]
    assert mine.numbers == theirs.numbers


def _seen(d: Detection) -> tuple[Any, ...]:
    """What the pipeline reports of a detection: its ROI, label, score and class probabilities."""
    return d.roi, d.prediction.label, d.prediction.score, d.prediction.scores.tobytes()


@pytest.mark.parametrize("same", [True, False])
def test_a_reading_is_taken_only_for_the_rois_just_found(still: Pipeline, same: bool) -> None:
    """:meth:`Pipeline.process` takes a segmenter's ``last_read`` only when it is of the very list
    of ROIs ``find`` returned (an older reading of equal ROIs is read again)."""
    frame = _frame("4", ground=200, ink=40)
    rois = DigitSegmenter().find(frame)
    assert rois
    mark = Prediction(index=0, label="0", score=1.0, scores=np.eye(10, dtype=np.float32)[0])
    reading = Reading(
        rois, rois, [False] * len(rois), np.eye(10, dtype=np.float32)[[0] * len(rois)], [mark] * len(rois)
    )

    class Found:
        last_read = reading

        def find(self, image: np.ndarray) -> list[ROI]:
            return rois if same else list(rois)

    res = Pipeline(Found(), still.preprocessor, still.classifier).process(Frame(frame, 0.0, 0))
    taken = [d.prediction is mark for d in res.raw]
    assert taken == [same] * len(rois)
