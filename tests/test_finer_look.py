"""The finer look at small digits (:func:`edge.segment.digit_scale.finer_scale`) and, in a still,
the first-pass digits it cuts into fragments (:func:`edge.segment.digit_scale.kept_whole`,
``DigitSegmenterConfig.keep_whole``).

The frames are drawn by ``benchmarks.realistic_render.make_frame`` (MNIST test digit ``k``,
seeded by ``k``, as in ``tests/test_digits_realistic_rules.py``): a pencil or ballpoint digit some
14-22 px tall that the 320-px first pass finds whole and the full-resolution finer look breaks
into a fragment (the top of a 3, the foot of a 4).
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.realistic_render import make_frame
from edge.bundle import load_bundle
from edge.pipeline import build_pipeline
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_pieces import AREA, COLS, CONTACT, MX
from edge.segment.digit_scale import finer_scale, kept_whole
from edge.segment.digits import DigitSegmenter
from edge.still_views import use_still_views
from edge.types import ROI, Frame


def _frame(mnist, k: int) -> tuple[np.ndarray, ROI]:
    x, _ = mnist
    img, boxes = make_frame([x[k]], np.random.default_rng(k))
    return img, ROI(*boxes[0])


def _rows(*boxes: tuple[float, float, float, float]) -> np.ndarray:
    """float (N, COLS) boxes with an ink area of a fifth of the box, no border contact and the
    ink's x sum of a centred box."""
    t = np.zeros((len(boxes), COLS))
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        t[i, :4] = x0, y0, x1, y1
        t[i, AREA] = 0.2 * (x1 - x0) * (y1 - y0)
        t[i, MX] = t[i, AREA] * 0.5 * (x0 + x1)
    return t


def test_finer_scale() -> None:
    cfg = DigitSegmenterConfig()  # digit_px 28, min_digit_px 14
    assert finer_scale(0.5, 11.0, False, cfg) == 1.0  # a small digit in a 640x480 frame: full resolution
    assert finer_scale(0.5, 20.0, False, cfg) is None  # digits large enough
    assert finer_scale(1.0, 11.0, False, cfg) is None  # the frame's own pixels were seen
    assert finer_scale(0.1, 7.0, False, cfg) == pytest.approx(0.4)  # a 12 MP page: 28 / 7 x closer
    assert finer_scale(0.5, 13.0, False, cfg) == 1.0  # (28 / 13 > 2: at most full resolution)
    assert finer_scale(0.5, 20.0, True, cfg) == 0.5  # crowded: again as a page, at this scale


def test_a_fragment_gives_way_to_its_first_pass_digit() -> None:
    coarse = _rows((10, 20, 20, 31))  # a digit 11 px tall at the first pass
    coarse[0, CONTACT] = 1.0
    # the finer look (2x): an 8-px piece of it, and another digit
    fine = _rows((24, 40, 32, 48), (100, 100, 110, 120))
    out = kept_whole(fine, coarse, 2.0)
    assert out[:, :4].tolist() == [[100, 100, 110, 120], [20, 40, 40, 62]]
    assert out[1, AREA] == 4 * coarse[0, AREA] and out[1, CONTACT] == 2.0 and out[1, MX] == 8 * coarse[0, MX]


def test_whole_digits_and_dropped_ones_are_left_alone() -> None:
    coarse = _rows((10, 20, 30, 31), (60, 20, 70, 31))
    # the first box's finer look: two digits side by side, each its full height (a number the
    # first pass joined); the second's: nothing (dropped there: it stays dropped)
    fine = _rows((20, 40, 38, 62), (41, 41, 60, 61))
    assert kept_whole(fine, coarse, 2.0) is fine
    assert kept_whole(fine, coarse[:0], 2.0) is fine
    # a piece mostly outside the first-pass box is not one of its fragments
    assert kept_whole(_rows((30, 55, 50, 70)), coarse[:1], 2.0).tolist() == _rows((30, 55, 50, 70)).tolist()


@pytest.mark.parametrize("k", [1789, 1929])
def test_a_still_keeps_a_small_digit_that_the_finer_look_cuts_into_a_fragment(mnist, k: int) -> None:
    img, box = _frame(mnist, k)
    live = DigitSegmenter().find(img)  # the live loop's segmenter: the fragment, as before
    assert len(live) == 1 and live[0].iou(box) < 0.5 and live[0].h < 0.5 * box.h
    rois = DigitSegmenter(DigitSegmenterConfig(keep_whole=True)).find(img)
    assert len(rois) == 1 and rois[0].iou(box) >= 0.5, f"found {rois}, expected {box}"


def test_the_still_pipeline_reads_the_digit_it_used_to_miss(mnist) -> None:
    """MNIST test digit 1789, a 3 22 px tall: the still pipeline found nothing (the finer look's
    fragment was read unsure, its 2x reading dropped it); now it reads the 3."""
    img, box = _frame(mnist, 1789)
    pipe = use_still_views(build_pipeline(load_bundle("digits"), smoothing=False))
    assert pipe.segmenter.segmenter.config.keep_whole  # (use_still_views sets it)
    res = pipe.process(Frame(img, 0.0, 0))
    best = max(res.detections, key=lambda d: d.prediction.score)
    assert best.prediction.label == "3" and best.roi.iou(box) >= 0.5
