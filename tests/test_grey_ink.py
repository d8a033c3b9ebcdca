"""The preprocessing's path for small digits: read from the full-resolution grey crop with
the segmenter's polarity and ink level (:mod:`edge.preprocess.grey_ink`)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.preprocess import MnistPreprocessor
from edge.preprocess.grey_ink import GREY_MIN_PX, grey_ramp
from edge.runtime import Classifier
from edge.segment.digits import DigitSegmenter
from edge.segment.ink_analysis import InkAnalysis
from edge.types import ROI

FULL = 10**6  # fast_min_px / grey_min_px that read nothing with the analysis


def _small_digits_frame(seed: int, light_ink: bool) -> np.ndarray:
    """640x480 BGR grey paper (a gentle light gradient, noise) with five handwriting-like
    digits 28-36 px tall (14-18 px at the segmenter's 320-px analysis)."""
    rng = np.random.default_rng(seed)
    xx = np.linspace(-1, 1, 640, dtype=np.float32)[None, :]
    paper = rng.uniform(130, 180) * (1 + 0.08 * xx) * np.ones((480, 1), np.float32)
    img = paper + rng.normal(0, 3, (480, 640)).astype(np.float32)
    ink = np.zeros((480, 640), np.uint8)
    for k in range(5):
        d, scale = str(int(rng.integers(0, 10))), float(rng.uniform(1.1, 1.4))
        x, y = 40 + 115 * k + int(rng.integers(0, 30)), int(rng.integers(80, 400))
        cv2.putText(ink, d, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 3, cv2.LINE_AA)
    a = cv2.GaussianBlur(ink, (3, 3), 0).astype(np.float32) / 255.0
    level = 235.0 if light_ink else 40.0
    img = img * (1 - a) + level * a
    grey = np.clip(img, 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("light_ink", [False, True], ids=["dark-ink", "light-ink"])
def test_small_digits_are_read_from_the_grey_crop_as_the_full_path_reads_them(light_ink: bool) -> None:
    seg = DigitSegmenter()
    pre, full = MnistPreprocessor(), MnistPreprocessor(fast_min_px=FULL, grey_min_px=FULL)
    clf = Classifier(load_bundle("digits"))
    used, agree, corr = 0, [], []
    for seed in range(6):
        frame = _small_digits_frame(seed, light_ink)
        rois = seg.find(frame)
        an = seg.last_analysis
        assert an is not None and an.light is light_ink
        x = pre(seg.last_grey, rois, analysis=an)
        y = full(seg.last_grey, rois, analysis=an)
        assert not any(full.last_fast)
        for i, roi in enumerate(rois):
            h = an.box(roi)[3] - an.box(roi)[1]
            if GREY_MIN_PX <= h < pre.fast_min_px and pre.last_fast[i]:
                used += 1
                assert pre.last_light[i] is light_ink
                a, b = clf.classify(x[i : i + 1])[0].label, clf.classify(y[i : i + 1])[0].label
                agree.append(a == b)
                corr.append(np.corrcoef(x[i].ravel(), y[i].ravel())[0, 1])
    assert used >= 15
    assert np.mean(agree) >= 0.9
    assert np.median(corr) > 0.8


def _analysis(level: int = 30, light: bool = False) -> InkAnalysis:
    """An analysis of a 120x160 frame at half size, level ``level`` everywhere."""
    return InkAnalysis(
        np.zeros((60, 80), np.uint8), np.full((60, 80), level, np.uint8), (120, 160), light, 49
    )


def _ring_frame(paper: int = 170, ink: int = 40) -> tuple[np.ndarray, ROI]:
    """uint8 (120, 160) grey paper with a "0" (a ring) 30 px tall, and its ROI."""
    grey = np.full((120, 160), paper, np.uint8)
    cv2.ellipse(grey, (80, 60), (9, 14), 0, 0, 360, ink, 3)
    grey = cv2.GaussianBlur(grey, (3, 3), 0)
    x, y, w, h = cv2.boundingRect((grey < (paper + ink) // 2).astype(np.uint8))
    return grey, ROI(x, y, w, h)


def test_grey_path_reads_a_digit_and_declines_where_one_paper_level_does_not_fit() -> None:
    grey, roi = _ring_frame()
    got = grey_ramp(grey, _analysis(), roi)
    assert got is not None
    ramp, t = got
    assert ramp.dtype == np.uint8 and 1 <= t <= 255 and ramp.max() <= t
    assert abs(cv2.boundingRect(ramp)[3] - roi.h) <= 2
    # light ink: the frame's polarity inverts the crop
    assert grey_ramp(cv2.bitwise_not(grey), _analysis(light=True), roi) is not None
    # outside the heights it reads (analysis px)
    _, y0, _, y1 = _analysis().box(roi)
    assert GREY_MIN_PX <= y1 - y0
    assert grey_ramp(grey, _analysis(), roi, min_px=y1 - y0 + 1) is None
    assert grey_ramp(grey, _analysis(), roi, max_px=y1 - y0) is None
    # a shadow edge across the crop: no single paper level
    shadow = grey.copy()
    shadow[:, :80] = (shadow[:, :80] * 0.6).astype(np.uint8)
    assert grey_ramp(shadow, _analysis(), roi) is None
    # faint ink: Otsu's level below the segmenter's threshold
    faint, _ = _ring_frame(ink=150)
    assert grey_ramp(faint, _analysis(level=60), roi) is None
    # cleared texture
    assert grey_ramp(grey, _analysis(level=255), roi) is None
