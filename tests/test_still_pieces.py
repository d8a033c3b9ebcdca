"""A still frame's digit that the segmenter found in pieces is read whole (edge.still_pieces)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.pipeline import build_pipeline
from edge.runtime_ops import top_predictions
from edge.still_pieces import MANY, ONE_SHARE, REACH, SURE, TALL, gap, groups, join_pieces, union
from edge.still_polarity import Reading
from edge.still_views import use_still_views
from edge.types import ROI, Frame

LABELS = tuple(str(d) for d in range(10))


def test_gap_is_the_larger_of_the_gaps_along_x_and_y() -> None:
    a = ROI(10, 10, 20, 40)
    assert gap(a, ROI(40, 10, 5, 5)) == 10  # 10 px right of it
    assert gap(a, ROI(10, 56, 20, 10)) == 6  # 6 px below it
    assert gap(a, ROI(30, 50, 5, 5)) == 0  # corner to corner
    assert gap(a, ROI(15, 15, 5, 5)) < 0  # inside it


def test_groups_are_near_pairs_and_their_larger_clusters() -> None:
    assert REACH == 0.5
    stem, bar, tail = ROI(100, 100, 10, 40), ROI(100, 80, 30, 10), ROI(100, 150, 10, 10)
    far = ROI(100, 100 + 40 + 21, 10, 10)  # 21 px below the stem: more than half of its 40 px
    assert groups([stem, far]) == []
    assert groups([bar, stem]) == [(0, 1)]
    # bar-stem 10 px, stem-tail 10 px (20 px of the 40 px stem: linked), bar-tail 60 px (not)
    assert groups([bar, stem, tail]) == [(0, 1), (0, 1, 2), (1, 2)]
    assert groups([stem]) == [] and groups([]) == []


def test_union_holds_every_box() -> None:
    assert union([ROI(10, 20, 5, 5), ROI(30, 5, 10, 10)]) == ROI(10, 5, 30, 20)


class _Preprocessor:
    """One row per ROI: its box (every ROI dark ink)."""

    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        self.last_light = [False] * len(rois)
        return np.array([r.as_list() for r in rois], np.float32)


class _Classifier:
    """Reads a box as ``reads[box]`` = (digit, top probability)."""

    labels = LABELS

    def __init__(self, reads: dict[tuple[int, ...], tuple[int, float]]) -> None:
        self.reads = reads

    def predict(self, batch: np.ndarray) -> np.ndarray:
        p = np.zeros((len(batch), 10), np.float32)
        for i, b in enumerate(batch.astype(int)):
            d, s = self.reads[tuple(b)]
            p[i, d], p[i, (d + 1) % 10] = s, 1.0 - s
        return p


class _Segmenter:
    last_grey = last_analysis = None


def _reading(rois: list[ROI], cls: _Classifier) -> Reading:
    p = cls.predict(_Preprocessor()(np.zeros((1, 1), np.uint8), rois))
    return Reading(list(rois), list(rois), [False] * len(rois), p, top_predictions(p, LABELS))


IMAGE = np.zeros((480, 640, 3), np.uint8)
BAR, STEM, EIGHT = ROI(250, 250, 20, 20), ROI(252, 280, 16, 30), ROI(400, 100, 30, 40)
SEVEN = union([BAR, STEM])


def test_a_sure_short_one_and_an_unsure_piece_that_read_surely_whole_are_joined() -> None:
    """A 7's stem read as a sure "1" (shorter than ONE_SHARE of the 7) under its bar, read alone as
    an unsure 4: the box around both reads as a 7 at SURE or more and takes their place."""
    assert STEM.h < ONE_SHARE * SEVEN.h
    reads = {tuple(BAR.as_list()): (4, 0.6), tuple(STEM.as_list()): (1, 0.97)}
    cls = _Classifier(reads | {tuple(EIGHT.as_list()): (8, 0.9), tuple(SEVEN.as_list()): (7, SURE + 0.01)})
    read = _reading([EIGHT, BAR, STEM], cls)
    joined = join_pieces(read, _Segmenter(), _Preprocessor(), cls, IMAGE)
    assert joined.found == [EIGHT, SEVEN] and joined.rois == joined.found
    assert [p.label for p in joined.predictions] == ["8", "7"]
    assert joined.light == [False, False] and joined.probabilities.shape == (2, 10)
    assert joined.probabilities[1, 7] == pytest.approx(SURE + 0.01)


@pytest.mark.parametrize(
    ("bar", "stem", "whole"),
    [
        ((4, 0.6), (1, 0.97), (7, SURE - 0.01)),  # the whole is not read surely
        ((4, SURE), (1, 0.6), (7, 0.99)),  # a piece is a sure digit (not a "1")
        ((1, SURE), (2, 0.6), (7, 0.99)),  # a sure "1" piece, but not a short one
    ],
)
def test_pieces_stay_apart_unless_the_whole_is_sure_and_no_piece_is_a_sure_digit(
    bar: tuple[int, float], stem: tuple[int, float], whole: tuple[int, float]
) -> None:
    # a "1" piece stands beside the stem, as tall as it
    tall = ROI(STEM.x + STEM.w + 5, STEM.y, 6, STEM.h) if bar[0] == 1 else BAR
    box = union([tall, STEM])
    cls = _Classifier({tuple(tall.as_list()): bar, tuple(STEM.as_list()): stem, tuple(box.as_list()): whole})
    read = _reading([tall, STEM], cls)
    assert join_pieces(read, _Segmenter(), _Preprocessor(), cls, IMAGE) is read


def test_two_sure_short_ones_one_above_the_other_stay_two() -> None:
    """OpenCV's digits.png: a column of 1s in 20-px cells, 6 px apart. Each is shorter than
    ONE_SHARE of the box around both, which reads as a sure "1" too; no piece is unsure."""
    top, low = ROI(250, 250, 6, 14), ROI(250, 270, 6, 14)
    both = union([top, low])
    assert groups([top, low]) == [(0, 1)] and top.h < ONE_SHARE * both.h
    reads = {
        tuple(top.as_list()): (1, 0.97),
        tuple(low.as_list()): (1, 0.97),
        tuple(both.as_list()): (1, 0.99),
    }
    cls = _Classifier(reads)
    read = _reading([top, low], cls)
    assert join_pieces(read, _Segmenter(), _Preprocessor(), cls, IMAGE) is read
    cls.reads[tuple(low.as_list())] = (1, SURE - 0.01)  # an unsure piece: the two are one digit
    read = _reading([top, low], cls)
    assert join_pieces(read, _Segmenter(), _Preprocessor(), cls, IMAGE).found == [both]


class _Unsure(_Classifier):
    """Reads a box not in ``reads`` as an unsure 5."""

    def predict(self, batch: np.ndarray) -> np.ndarray:
        self.reads = {tuple(b): self.reads.get(tuple(b), (5, 0.4)) for b in batch.astype(int)} | self.reads
        return super().predict(batch)


def test_a_candidate_whose_box_covers_another_roi_is_not_taken() -> None:
    """Squared paper's cells (a review's case): two unsure cells joined into a sure "8" whose box
    covers a third cell, a sure digit that is none of its pieces: not taken."""
    p, q, r = ROI(100, 100, 40, 40), ROI(150, 150, 40, 40), ROI(150, 100, 40, 40)
    pq = union([p, q])
    assert gap(pq, r) < 0
    cls = _Unsure({tuple(r.as_list()): (3, 0.97), tuple(pq.as_list()): (8, 0.99)})
    read = _reading([p, q, r], cls)
    assert join_pieces(read, _Segmenter(), _Preprocessor(), cls, IMAGE) is read
    read = _reading([p, q], cls)  # without the covered cell: joined
    assert join_pieces(read, _Segmenter(), _Preprocessor(), cls, IMAGE).found == [pq]


def test_of_two_candidates_over_one_spot_only_the_surer_is_taken() -> None:
    """Two pairs of pieces in a cross (left and right bars, top and bottom bars): each pair's box
    covers none of the other's pieces, but the two boxes overlap at the centre: one digit."""
    left, right = ROI(0, 40, 44, 10), ROI(56, 40, 44, 10)
    top, low = ROI(45, 0, 10, 39), ROI(45, 51, 10, 39)
    across, down = union([left, right]), union([top, low])
    assert gap(across, down) < 0 and all(gap(across, b) >= 0 for b in (top, low))
    cls = _Unsure({tuple(across.as_list()): (7, 0.95), tuple(down.as_list()): (1, 0.9)})
    cls.reads |= {
        tuple(union(g).as_list()): (5, 0.4) for g in ([left, top], [left, low], [right, top], [right, low])
    }
    read = _reading([left, right, top, low], cls)
    joined = join_pieces(read, _Segmenter(), _Preprocessor(), cls, IMAGE)
    assert across in joined.found and down not in joined.found


@pytest.mark.parametrize("sheet", [MANY - 2, MANY - 1])
def test_a_candidate_spanning_two_rows_of_a_sheet_of_digits_is_not_read(sheet: int) -> None:
    """OpenCV's digits.png: an unsure 0 above a sure 1 (20-px cells) reads as a sure 9 when joined.
    Among MANY digits read surely (14 px tall) the 34-px box is over TALL times their height."""
    zero, one = ROI(83, 84, 14, 14), ROI(86, 104, 9, 14)
    both = union([zero, one])
    others = [ROI(200 + 40 * k, 84, 12, 14) for k in range(sheet)]
    reads = {tuple(r.as_list()): (8, 0.97) for r in others}
    reads |= {
        tuple(zero.as_list()): (0, 0.65),
        tuple(one.as_list()): (1, 0.97),
        tuple(both.as_list()): (9, 0.9),
    }
    cls = _Classifier(reads)
    read = _reading([zero, one, *others], cls)
    assert both.h > TALL * 14 and one.h < ONE_SHARE * both.h
    joined = join_pieces(read, _Segmenter(), _Preprocessor(), cls, IMAGE)
    # the sure 1 and the sheet: MANY sure digits or more make a sheet; fewer, a frame of one digit
    if sheet + 1 >= MANY:
        assert joined is read
    else:
        assert joined.found[0] == both


def _paper() -> np.ndarray:
    return np.full((480, 640, 3), 215, np.uint8)


def _four(stem_gap: int, one_dx: int = 0) -> np.ndarray:
    """A drawn 4 (left stroke, bar, right stroke) whose stem below the bar starts ``stem_gap`` px
    under it (0: no stem); with ``one_dx``, a 1 as tall as the 4 that far right of its right stroke."""
    img, k = _paper(), (40, 40, 40)
    cv2.line(img, (305, 200), (300, 245), k, 5, cv2.LINE_AA)
    cv2.line(img, (300, 245), (340, 245), k, 5, cv2.LINE_AA)
    cv2.line(img, (338, 200), (338, 290 if one_dx else 250), k, 5, cv2.LINE_AA)
    if stem_gap:
        cv2.line(img, (338, 250 + stem_gap), (336, 290 + stem_gap), k, 5, cv2.LINE_AA)
    if one_dx:
        cv2.line(img, (338 + one_dx, 200), (334 + one_dx, 290), k, 5, cv2.LINE_AA)
    return img


@pytest.fixture(scope="module")
def still() -> object:
    return use_still_views(build_pipeline(load_bundle("digits"), smoothing=False))


def _detections(pipe: object, img: np.ndarray) -> list[tuple[str, float, ROI]]:
    pipe.reset()  # type: ignore[attr-defined]
    res = pipe.process(Frame(img, 0.0, 0))  # type: ignore[attr-defined]
    return [(d.prediction.label, d.prediction.score, d.roi) for d in res.detections]


def test_a_4_whose_stem_the_segmenter_cut_off_is_read_whole(still: object) -> None:
    """The segmenter finds the 4 above the gap (an unsure 4) and its stem below it (a sure "1", the
    frame's answer before): read whole, the frame's answer is a sure 4 holding both."""
    dets = _detections(still, _four(stem_gap=14))
    label, score, roi = max(dets, key=lambda d: d[1])
    assert label == "4" and score >= SURE
    assert roi.y <= 200 and roi.y + roi.h >= 300  # the bar's top to the stem's foot
    assert len(dets) == 1


def test_the_4_and_1_of_a_number_stay_two_digits(still: object) -> None:
    """Both read surely: never joined, though the box around both reads as a 4 too."""
    dets = _detections(still, _four(stem_gap=0, one_dx=40))
    assert sorted(d[0] for d in dets) == ["1", "4"]
    assert all(d[1] >= SURE for d in dets)
