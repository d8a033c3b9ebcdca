"""Digits the segmenter cut apart are kept cut only when the model reads every part surer than the
whole (edge.roi_reading.choose_cuts; the live pipeline and the still readings alike)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.roi_reading import Reading, choose_cuts
from edge.runtime_ops import top_predictions
from edge.types import ROI

LABELS = [str(d) for d in range(10)]


def _reading(rois: list[ROI], reads: list[tuple[int, float]], found: list[ROI] | None = None) -> Reading:
    """A reading of ``rois`` whose i-th is read as ``reads[i]`` = (digit, top probability)."""
    p = np.zeros((len(rois), 10), np.float32)
    for i, (d, s) in enumerate(reads):
        p[i] = (1.0 - s) / 9
        p[i, d] = s
    return Reading(
        list(rois) if found is None else found, list(rois), [False] * len(rois), p, top_predictions(p, LABELS)
    )


def _cut() -> tuple[ROI, ROI, ROI, ROI]:
    """A whole (frame px), its two parts (marked with it) and a ROI of no cut."""
    whole = ROI(100, 50, 120, 70)
    left, right = ROI(100, 50, 55, 70, whole=whole), ROI(165, 52, 55, 68, whole=whole)
    return whole, left, right, ROI(300, 50, 50, 70)


@pytest.mark.parametrize("whole_score", [0.8, 0.95])
def test_the_whole_replaces_a_part_read_less_surely(whole_score: float) -> None:
    whole, left, right, other = _cut()
    gap = ROI(0, 0, 5, 5)  # (a ROI without ink: in found, not read)
    reading = _reading([left, right, other], [(2, 0.6), (1, 0.9), (7, 0.99)], found=[left, gap, right, other])
    asked = []

    def read(boxes: list[ROI]) -> Reading:
        asked.append(boxes)
        return _reading(boxes, [(4, whole_score)])

    got = choose_cuts(reading, read)
    assert asked == [[whole]] and asked[0][0] is whole  # one more read, of the whole
    assert got.rois == [whole, other] and got.rois[0] is whole
    assert got.found == [whole, gap, other]  # in place of its first part
    assert [p.label for p in got.predictions] == ["4", "7"]
    assert got.probabilities.shape == (2, 10) and got.probabilities[0].max() == pytest.approx(whole_score)


def test_a_cut_whose_parts_are_both_surer_than_the_whole_stands() -> None:
    whole, left, right, other = _cut()
    reading = _reading([left, right, other], [(2, 0.97), (3, 0.96), (7, 0.99)])
    assert choose_cuts(reading, lambda boxes: _reading(boxes, [(8, 0.95)])) is reading
    tie = choose_cuts(reading, lambda boxes: _reading(boxes, [(8, 0.96)]))  # not surer: the whole
    assert tie.rois == [whole, other]
    # the whole without ink: the cut stands
    assert choose_cuts(reading, lambda boxes: _reading([], [])) is reading


def test_a_frame_without_a_cut_or_with_one_part_read_is_not_read_again() -> None:
    whole, left, right, other = _cut()

    def never(boxes: list[ROI]) -> Reading:
        raise AssertionError("read")

    for rois in ([other], [left, other], []):  # (a part without ink: its whole is not read)
        reading = _reading(rois, [(1, 0.5)] * len(rois))
        assert choose_cuts(reading, never) is reading


def test_a_bias_moves_the_choice_between_the_whole_and_its_parts() -> None:
    """The live loop's hysteresis (edge.cut_memory): a bias added to the whole's top probability."""
    whole, left, right, other = _cut()
    reading = _reading([left, right, other], [(4, 0.96), (1, 0.70), (7, 0.99)])

    def read(boxes: list[ROI]) -> Reading:
        return _reading(boxes, [(4, 0.65)])

    assert choose_cuts(reading, read) is reading  # the parts, each surer than the whole
    assert choose_cuts(reading, read, {whole: 0.1}).rois == [whole, other]  # last frame kept the whole
    assert choose_cuts(reading, read, {other: 0.1}) is reading  # a bias of another piece
