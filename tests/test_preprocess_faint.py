"""Faint ink on the preprocessing's fast paths, and the full path's exact shortcuts.

A fast path (:mod:`edge.preprocess.analysis_ink`, :mod:`edge.preprocess.grey_ink`) reads a
digit whose Otsu level over the ROI is below the segmenter's threshold there as long as it
stays above the crop's own noise floor (:func:`edge.preprocess.digit_ink.noise_floor`, the
floor the full path puts under its Otsu level); below both it declines. The full path's
noise floor and the scans' ground (:func:`edge.preprocess.polarity.median_level`) are
checked against the formulas they replace.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.preprocess import MnistPreprocessor
from edge.preprocess.analysis_ink import analysis_ramp
from edge.preprocess.digit_ink import noise_floor
from edge.preprocess.polarity import median_level
from edge.runtime import Classifier
from edge.segment.cut_path import uncut
from edge.segment.digits import DigitSegmenter
from edge.segment.ink import ink_threshold
from edge.segment.ink_analysis import InkAnalysis
from edge.types import ROI

FULL = 10**6  # fast_min_px / grey_min_px that read nothing with the analysis


def test_median_level_is_numpys_median() -> None:
    rng = np.random.default_rng(0)
    for n in [1, 2, 3, 4, 17, 96, 97, 400]:
        for _ in range(20):
            v = rng.integers(0, 256, n).astype(np.uint8)
            assert median_level(v) == int(np.median(v))
    assert median_level(np.array([3, 6], np.uint8)) == 4  # the mean of the middle two, rounded down


def test_noise_floor_is_the_floor_of_ink_threshold() -> None:
    rng = np.random.default_rng(1)
    for k in range(30):
        paper = rng.normal(rng.uniform(0, 30), rng.uniform(0.5, 8), (90, 70))
        paper[20:60, 25:45] += rng.uniform(0, 120) * (rng.random((40, 20)) < 0.3)
        dark = np.clip(paper, 0, 255).astype(np.uint8)
        where = (slice(20, 60), slice(25, 45))
        otsu = int(cv2.threshold(dark[where], 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0])
        assert ink_threshold(dark, where) == int(max(otsu, noise_floor(dark))), k
    view = np.zeros((40, 40), np.uint8)[5:30, 7:33]  # a view, not contiguous
    assert noise_floor(view) == pytest.approx(25.5)


def _analysis(dark: np.ndarray, level: int) -> InkAnalysis:
    """An analysis of a 2x larger frame (full px = 2 x analysis px)."""
    h, w = dark.shape
    return InkAnalysis(dark, np.full_like(dark, level), (2 * h, 2 * w), False, 49)


def test_faint_ink_above_the_noise_is_read_and_below_it_declined() -> None:
    dark = np.zeros((160, 240), np.uint8)
    cv2.ellipse(dark, (62, 60), (9, 17), 0, 0, 360, 90, 4)
    dark = cv2.GaussianBlur(dark, (3, 3), 0)
    bx, by, bw, bh = cv2.boundingRect(dark)
    roi = ROI(2 * bx, 2 * by, 2 * bw, 2 * bh)
    otsu = cv2.threshold(dark[by : by + bh, bx : bx + bw], 0, 255, cv2.THRESH_OTSU)[0]
    assert 26 < otsu < 80
    # the segmenter's threshold above the ROI's Otsu level, the ink well above the noise
    got = analysis_ramp(_analysis(dark, level=80), roi)
    assert got is not None and got[1] == int(otsu)
    # below both: declined
    assert analysis_ramp(_analysis(dark // 5, level=80), roi) is None


def test_opencv_digits_cells_are_read_on_the_grey_path_as_the_full_path_reads_them(
    shared_data_dir: Path | None,
) -> None:
    """OpenCV's digits.png (light on black, 20 x 20 px cells, a digit per 5 rows): its ink
    stands between the noise floor and the segmenter's threshold."""
    path = None if shared_data_dir is None else shared_data_dir / "opencv-digits" / "digits.png"
    if path is None or not path.is_file():
        pytest.skip("opencv-digits/digits.png not in the shared data")
    sheet = cv2.imread(str(path))
    assert sheet is not None
    part = sheet[:400, :800]  # 20 rows x 40 columns: digits 0-3
    seg = DigitSegmenter()
    rois = uncut(seg.find(part))  # (the cells, not a proposed cut of one: edge.segment.cut_path)
    assert len(rois) > 700
    fast, full = MnistPreprocessor(), MnistPreprocessor(fast_min_px=FULL, grey_min_px=FULL)
    x = fast(seg.last_grey, rois, analysis=seg.last_analysis)
    y = full(seg.last_grey, rois, analysis=seg.last_analysis)
    assert np.mean(fast.last_fast) > 0.95 and not any(full.last_fast)
    clf = Classifier(load_bundle("digits-cam"))  # the model the 0.5-point margin was measured with
    truth = [str(int((r.y + r.h / 2) // 20) // 5) for r in rois]
    right_fast = np.mean([p.label == t for p, t in zip(clf.classify(x), truth, strict=True)])
    right_full = np.mean([p.label == t for p, t in zip(clf.classify(y), truth, strict=True)])
    assert right_fast >= right_full - 0.005 and right_fast > 0.97, (right_fast, right_full)
