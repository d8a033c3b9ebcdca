"""Digit segmenter rules for camera-like frames (edge.segment.digits, issue 13).

Each frame is drawn by ``benchmarks.realistic_render.make_frame`` (MNIST test digit ``k``
rendered as pen strokes on paper, seeded by ``k``); each case failed before its rule:

- a slanted paper edge that meets the frame's bottom leaves a sliver a fifth as wide as it
  is tall, beside the dark desk (:func:`edge.segment.edge_slivers.edge_slivers`);
- a cluttered frame whose second ink level holds nothing is measured at the first level
  with its ruled lines erased (unerased, the lines made page-sized "digits");
- when the finer look for small digits finds nothing, what the first pass found stands.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.realistic_render import make_frame
from edge.segment.digits import DigitSegmenter
from edge.segment.edge_slivers import edge_slivers
from edge.types import ROI


def _frame(mnist, k: int) -> tuple[np.ndarray, ROI]:
    x, _ = mnist
    img, boxes = make_frame([x[k]], np.random.default_rng(k))
    return img, ROI(*boxes[0])


def test_a_slanted_sliver_at_the_frame_bottom_beside_a_dark_desk_is_the_paper_edge() -> None:
    bg = np.full((240, 320), 200, np.uint8)
    bg[:, :100] = 40  # the desk
    cut = np.array([[100.0, 200, 104, 240]])  # 4 x 40 px, running into the bottom
    inside = np.array([[100.0, 150, 104, 190]])  # the same, inside the frame: may be a "1"
    assert edge_slivers(cut, bg).tolist() == [True]
    assert edge_slivers(inside, bg).tolist() == [False]


@pytest.mark.parametrize("k", [605, 656])
def test_a_tilted_paper_edge_is_not_a_second_roi(mnist, k) -> None:
    img, box = _frame(mnist, k)
    rois = DigitSegmenter().find(img)
    assert len(rois) == 1, f"found {rois}, expected only the digit at {box}"
    assert rois[0].iou(box) >= 0.5


@pytest.mark.parametrize("k", [402, 880])
def test_clutter_measured_without_its_ruled_lines(mnist, k) -> None:
    img, box = _frame(mnist, k)
    rois = DigitSegmenter().find(img)
    assert any(r.iou(box) >= 0.5 for r in rois), f"found {rois}, not the digit at {box}"
    assert all(r.h < 4 * box.h for r in rois), f"a page-sized box among {rois}"


@pytest.mark.parametrize("k", [323, 659])
def test_what_the_first_pass_found_stands_when_the_finer_look_finds_nothing(mnist, k) -> None:
    img, box = _frame(mnist, k)
    rois = DigitSegmenter().find(img)
    assert any(r.iou(box) >= 0.5 for r in rois), f"found {rois}, not the digit at {box}"
