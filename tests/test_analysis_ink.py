"""The preprocessing's fast path: digits read from the segmenter's analysis image.

:class:`edge.preprocess.MnistPreprocessor` given the digit segmenter's ``last_analysis``
reads large digits from its darkness image (:mod:`edge.preprocess.analysis_ink`) and
the others the full way. Both must give inputs the shipped model reads alike, and the
fast path must decline where it cannot be trusted.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.pipeline import build_pipeline
from edge.preprocess import MnistPreprocessor
from edge.preprocess.analysis_ink import FAST_MIN_PX, MAX_SIDE, analysis_ramp
from edge.runtime import Classifier
from edge.segment.digits import DigitSegmenter
from edge.segment.ink_analysis import InkAnalysis
from edge.sources.demo import DemoSource
from edge.types import ROI

FULL = 10**6  # fast_min_px that reads nothing from the analysis


@pytest.fixture(scope="module")
def demo_frames() -> list[np.ndarray]:
    """40 demo frames (synthetic handwriting on paper, 1-5 digits, 640x480 BGR)."""
    frames = []
    for seed in range(4):
        src = DemoSource(seed=seed)
        frames += [src.render(i).image for i in range(0, 200, 20)]
    return frames


def _inputs(frames: list[np.ndarray], invert: bool = False):
    """(fast inputs, full inputs, fast flags, light flags) over all ROIs of ``frames``
    (inverted: of the frames the segmenter takes for light ink on a dark ground)."""
    seg, fast, full = (
        DigitSegmenter(),
        MnistPreprocessor(),
        MnistPreprocessor(fast_min_px=FULL, grey_min_px=FULL),
    )
    xs, ys, used, light = [], [], [], []
    for f in frames:
        img = cv2.bitwise_not(f) if invert else f
        rois = seg.find(img)
        if not rois or (seg.last_analysis is not None and seg.last_analysis.light is not invert):
            continue
        xs.append(fast(seg.last_grey, rois, analysis=seg.last_analysis))
        used += fast.last_fast
        light += fast.last_light
        ys.append(full(seg.last_grey, rois, analysis=seg.last_analysis))
        assert not any(full.last_fast)
    return np.concatenate(xs), np.concatenate(ys), np.array(used), light


@pytest.mark.parametrize("invert", [False, True], ids=["dark-ink", "light-ink"])
def test_fast_and_full_path_are_read_alike(demo_frames, invert: bool) -> None:
    fast, full, used, light = _inputs(demo_frames, invert)
    assert len(used) >= (40 if invert else 80)
    assert used.mean() > 0.8  # demo digits are about 33 px tall at the 320-px analysis
    assert all(v is invert for v, u in zip(light, used, strict=True) if u)
    assert fast.dtype == np.float32 and fast.min() >= 0.0 and fast.max() <= 1.0
    clf = Classifier(load_bundle("digits"))
    a = [p.label for p in clf.classify(fast)]
    b = [p.label for p in clf.classify(full)]
    same = np.mean([x == y for x, y in zip(a, b, strict=True)])
    assert same >= 0.97, f"fast and full path agree on {same:.1%} of the ROIs"
    corr = [np.corrcoef(x.ravel(), y.ravel())[0, 1] for x, y in zip(fast[used], full[used], strict=True)]
    assert np.median(corr) > 0.8


def _analysis(dark: np.ndarray, level: int = 30, background_px: int = 49, light: bool = False) -> InkAnalysis:
    """An analysis of a 2x larger frame (full px = 2 x analysis px)."""
    h, w = dark.shape
    return InkAnalysis(dark, np.full_like(dark, level), (2 * h, 2 * w), light, background_px)


def _digit(
    h: int = 40, w: int = 24, x: int = 50, y: int = 40, size: tuple[int, int] = (160, 240)
) -> np.ndarray:
    """uint8 darkness with a "0" (an ellipse ring, darkness up to 200, soft edges) in box
    x, y, w, h."""
    dark = np.zeros(size, np.uint8)
    cv2.ellipse(dark, (x + w // 2, y + h // 2), (w // 2 - 3, h // 2 - 3), 0, 0, 360, 200, 4)
    return cv2.GaussianBlur(dark, (3, 3), 0)


def _roi(x0: int, y0: int, x1: int, y1: int) -> ROI:
    """A box in analysis px as a full-frame ROI (2x)."""
    return ROI(2 * x0, 2 * y0, 2 * (x1 - x0), 2 * (y1 - y0))


def test_fast_path_reads_a_digit_and_declines_where_it_cannot_be_trusted() -> None:
    dark = _digit()
    bx, by, bw, bh = cv2.boundingRect(dark)
    roi = _roi(bx, by, bx + bw, by + bh)
    got = analysis_ramp(_analysis(dark), roi)
    assert got is not None
    ramp, t = got
    assert ramp.dtype == np.uint8 and 1 <= t <= 255 and ramp.max() <= t
    assert abs(cv2.boundingRect(ramp)[3] - bh) <= 2
    # too short at the analysis scale
    assert analysis_ramp(_analysis(dark), roi, min_px=bh + 1) is None
    small = _digit(h=FAST_MIN_PX - 4, w=12)
    sx, sy, sw, sh = cv2.boundingRect(small)
    assert analysis_ramp(_analysis(small), _roi(sx, sy, sx + sw, sy + sh)) is None
    # larger than the paper kernel allows (a fat stroke may have been taken for paper)
    assert analysis_ramp(_analysis(dark, background_px=int(bh / MAX_SIDE) - 1), roi) is None
    # faint ink (its own Otsu level below the segmenter's threshold)
    assert analysis_ramp(_analysis(dark // 6, level=30), roi) is None
    # cleared texture
    assert analysis_ramp(_analysis(dark, level=255), roi) is None
    # the ROI is much larger than the ink: part of the digit is fainter than the threshold
    assert analysis_ramp(_analysis(dark), _roi(bx - 20, by - 5, bx + bw + 20, by + bh + 5)) is None
    # a shadow joined the ink and reaches far outside the ROI
    shadow = dark.copy()
    shadow[by + bh // 2 : by + bh + 20, bx + bw - 3 : bx + bw + 40] = 200
    assert analysis_ramp(_analysis(shadow), roi) is None


def test_preprocessor_takes_the_full_path_without_a_matching_analysis() -> None:
    dark = _digit()
    bx, by, bw, bh = cv2.boundingRect(dark)
    roi = _roi(bx, by, bx + bw, by + bh)
    grey = cv2.resize(cv2.bitwise_not(dark), None, fx=2, fy=2)  # the frame: dark ink on paper
    pre = MnistPreprocessor()
    fast = pre(grey, [roi], analysis=_analysis(dark))
    assert pre.last_fast == [True] and pre.last_light == [False]
    full = pre(grey, [roi])
    assert pre.last_fast == [False]
    assert np.corrcoef(fast.ravel(), full.ravel())[0, 1] > 0.6
    assert [p.label for p in Classifier(load_bundle("digits")).classify(np.concatenate([fast, full]))] == [
        "0",
        "0",
    ]
    # an analysis of another frame size is ignored
    pre(grey[:-2], [roi], analysis=_analysis(dark))
    assert pre.last_fast == [False]
    # a fixed polarity that is not the analysis's: the full path
    dark_only = MnistPreprocessor(polarity="dark")
    dark_only(grey, [roi], analysis=_analysis(dark, light=True))
    assert dark_only.last_fast == [False]
    # deskew works on the fast path's ink too
    skew = MnistPreprocessor(deskew=True)
    out = skew(grey, [roi], analysis=_analysis(dark))
    assert skew.last_fast == [True] and out.max() > 0.5


def test_pipeline_hands_the_segmenter_analysis_to_the_preprocessor(demo_frames) -> None:
    from edge.types import Frame

    pipe = build_pipeline("digits", smoothing=False)
    res = pipe.process(Frame(demo_frames[0], 0.0, 0))
    assert res.detections
    pre = pipe.preprocessor
    assert isinstance(pre, MnistPreprocessor) and any(pre.last_fast)
