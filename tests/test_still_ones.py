"""A still frame's "1" that is a piece of a longer straight edge is dropped (edge.still_ones)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.runtime_ops import top_predictions
from edge.still_closer import CloserCheckedSegmenter
from edge.still_ones import MAX_PIECE, continues_edge, drop_edge_ones
from edge.still_polarity import Reading
from edge.types import ROI
from tests.test_still_closer import _Config


def _paper_on_desk() -> np.ndarray:
    """uint8 (480, 640) grey: a bright sheet left of a slanted border, a dark desk right of it, and a
    short dark stroke (a real "1", 24 px tall, 3 px wide) on the sheet."""
    grey = np.full((480, 640), 60, np.uint8)
    for y in range(480):
        grey[y, : 300 + y // 8] = 200  # the sheet's border leans a little, as a photographed one does
    grey[200:224, 150:153] = 40
    return grey


# the border at rows 100-124 runs from x = 312 to x = 315: a thin box on it, as the segmenter cuts one
ON_BORDER = (310, 100, 7, 24)
REAL_ONE = (149, 199, 5, 26)


def test_a_piece_of_a_paper_border_continues_an_edge() -> None:
    assert continues_edge(_paper_on_desk(), ON_BORDER)


def test_a_real_one_ends_where_its_stroke_ends() -> None:
    assert not continues_edge(_paper_on_desk(), REAL_ONE)


def test_a_piece_at_the_frames_edge_is_tested_on_its_one_side() -> None:
    grey = _paper_on_desk()
    assert continues_edge(grey, (300, 0, 6, 16))  # the border's top: nothing above it in the frame


def test_a_large_box_or_a_weak_edge_is_not_tested() -> None:
    grey = _paper_on_desk()
    x, y, w, _ = ON_BORDER
    assert not continues_edge(grey, (x, y, w, MAX_PIECE + 1))
    faint = np.where(grey > 100, 110, 100).astype(np.uint8)  # the same border, 10 grey levels deep
    assert not continues_edge(faint, ON_BORDER)


def _reading(labels: list[str], boxes: list[tuple[int, int, int, int]], scores: list[float]) -> Reading:
    rois = [ROI(*b) for b in boxes]
    p = np.zeros((len(rois), 10), np.float32)
    for i, (lab, s) in enumerate(zip(labels, scores, strict=True)):
        p[i, int(lab)] = s
    return Reading(list(rois), rois, [False] * len(rois), p, top_predictions(p, [str(d) for d in range(10)]))


def test_only_the_ones_on_an_edge_are_dropped() -> None:
    image = np.repeat(_paper_on_desk()[..., None], 3, axis=2)
    read = _reading(["1", "8", "1"], [ON_BORDER, (400, 300, 30, 30), REAL_ONE], [0.97, 0.9, 0.95])
    kept = drop_edge_ones(read, image)
    assert [p.label for p in kept.predictions] == ["8", "1"]
    assert [r.as_list() for r in kept.found] == [[400, 300, 30, 30], list(REAL_ONE)]
    assert kept.rois == kept.found and kept.light == [False, False]
    np.testing.assert_array_equal(kept.probabilities, read.probabilities[[1, 2]])
    assert drop_edge_ones(kept, image) is kept  # nothing more to drop: the same reading


class _Segmenter:
    """Finds a "1"-shaped piece of the paper's border and an 8 (the 320-px look), or the 8 only
    (any closer look)."""

    def __init__(self, config: _Config | None = None) -> None:
        self.config = config or _Config()
        self.looked_closer = False
        self.last_analysis = None

    def reset(self) -> None:
        pass

    def find(self, image: np.ndarray) -> list[ROI]:
        eight = ROI(400, 300, 30, 30)
        return [ROI(*ON_BORDER), eight] if self.config.analysis_width == 320 else [eight]


class _Preprocessor:
    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        self.last_light = [False] * len(rois)
        return np.array([[r.w] for r in rois], np.float32)


class _Classifier:
    """A 7 px wide input is a sure "1" (0.97), any other an 8 (0.92)."""

    labels = tuple(str(d) for d in range(10))

    def predict(self, batch: np.ndarray) -> np.ndarray:
        p = np.zeros((len(batch), 10), np.float32)
        for i, w in enumerate(batch[:, 0]):
            p[i, 1 if int(w) == 7 else 8] = 0.97 if int(w) == 7 else 0.92
        return p


def test_a_still_frames_answer_is_not_a_piece_of_the_papers_border() -> None:
    image = np.repeat(_paper_on_desk()[..., None], 3, axis=2)
    seg = CloserCheckedSegmenter(_Segmenter(), _Preprocessor(), _Classifier())
    rois = seg.find(image)
    assert seg.last_read is not None and seg.last_read.found is rois
    assert [p.label for p in seg.last_read.predictions] == ["8"]
    assert [r.as_list() for r in rois] == [[400, 300, 30, 30]]


def test_the_ones_of_opencvs_digits_png_are_not_edges(shared_data_dir: Path | None) -> None:
    """OpenCV's ``digits.png`` (20-px cells): 1s whose cell below or above holds another 1 in line
    (the boxes the digit segmenter finds there); followed only as far as each is long they were."""
    path = None if shared_data_dir is None else shared_data_dir / "opencv-digits" / "digits.png"
    if path is None or not path.is_file():
        pytest.skip("shared data not found (OpenCV's digits.png)")
    grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert grey is not None
    boxes = [(330, 123, 2, 14), (1288, 123, 4, 14), (1709, 126, 2, 11), (430, 143, 2, 14)]
    boxes += [(1089, 143, 2, 14), (689, 163, 2, 14), (870, 184, 2, 14)]
    assert not any(continues_edge(grey, b) for b in boxes)
