"""The generic ``classify`` task on the device side (issue 14), without TensorFlow.

Whole-frame / centre ROI "segmenter", the ``centre-crop`` preprocessing, top-k on
predictions, the pipeline, its JSON Lines records, the overlay and ``edge-run``'s options.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.bundle import InputSpec, ModelBundle
from edge.cli.run_args import parse_args
from edge.overlay import draw_overlay
from edge.pipeline import build_pipeline
from edge.preprocess import (
    CentreCropPreprocessor,
    ResizePreprocessor,
    centre_window,
    crop_input,
    make_preprocessor,
)
from edge.segment.whole_frame import CENTRE_FRACTION, WholeFrameSegmenter, parse_roi
from edge.types import ROI, Detection, Frame, Prediction

LABELS = ("red", "green", "blue")


def _bundle(preprocessing: str = "resize", hw: tuple[int, int] = (16, 16)) -> ModelBundle:
    spec = InputSpec(shape=(1, *hw, 3), dtype="float32", colour_order="RGB", value_range=(0.0, 255.0))
    return ModelBundle(Path("mem"), "mine", "classify", LABELS, spec, preprocessing, meta={})


class ColourClassifier:
    """Says which RGB channel is brightest on average (scores: the channel shares)."""

    def __init__(self, bundle: ModelBundle) -> None:
        self.bundle = bundle
        self.labels = bundle.labels

    def classify(self, batch: np.ndarray) -> list[Prediction]:
        out = []
        for x in batch:
            m = x.reshape(-1, 3).mean(axis=0) + 1e-3
            s = (m / m.sum()).astype(np.float32)
            i = int(s.argmax())
            out.append(Prediction(i, self.labels[i], float(s[i]), s))
        return out


def _frame(bgr: tuple[int, int, int], size: tuple[int, int] = (64, 48), i: int = 0) -> Frame:
    w, h = size
    return Frame(np.full((h, w, 3), bgr, np.uint8), timestamp=i / 30, index=i)


def test_parse_roi() -> None:
    assert parse_roi("full") is None and parse_roi(None) is None
    assert parse_roi("centre") == parse_roi("center") == CENTRE_FRACTION
    assert parse_roi("0.5") == 0.5 and parse_roi(1) == 1.0
    for bad in ("0", "1.5", "left", "-0.2"):
        with pytest.raises(ValueError, match="--roi"):
            parse_roi(bad)


def test_whole_frame_and_centre_regions() -> None:
    img = np.zeros((48, 64, 3), np.uint8)
    assert WholeFrameSegmenter().find(img) == [ROI(0, 0, 64, 48)]
    (r,) = WholeFrameSegmenter("centre").find(img)
    side = round(CENTRE_FRACTION * 48)
    assert (r.w, r.h) == (side, side) and r.center == pytest.approx((32, 24), abs=1)
    assert WholeFrameSegmenter(0.5).find(img) == [ROI(20, 12, 24, 24)]


def test_centre_window() -> None:
    assert centre_window(ROI(0, 0, 64, 48), 1.0) == ROI(8, 0, 48, 48)
    assert centre_window(ROI(0, 0, 48, 64), 1.0) == ROI(0, 8, 48, 48)
    assert centre_window(ROI(10, 10, 40, 20), 2.0) == ROI(10, 10, 40, 20)
    assert centre_window(ROI(0, 0, 30, 30), 0.5) == ROI(7, 0, 15, 30)


def test_centre_crop_keeps_the_centre_resize_squashes() -> None:
    # left and right quarters red, the middle green: the centre crop sees only green
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, :20] = img[:, 60:] = (0, 0, 255)
    img[:, 20:60] = (0, 255, 0)
    cc = make_preprocessor(_bundle("centre-crop"))
    rs = make_preprocessor(_bundle("resize"))
    assert isinstance(cc, CentreCropPreprocessor) and type(rs) is ResizePreprocessor
    x_cc = cc(img, [ROI(0, 0, 80, 40)])[0]
    x_rs = rs(img, [ROI(0, 0, 80, 40)])[0]
    assert x_cc.shape == x_rs.shape == (16, 16, 3)
    assert x_cc[..., 0].max() == 0 and x_cc[..., 1].min() == 255  # RGB, [0, 255]
    assert x_rs[..., 0].max() == 255
    np.testing.assert_array_equal(crop_input(img, _bundle("centre-crop")), x_cc)


def test_prediction_top() -> None:
    p = Prediction(1, "green", 0.5, np.array([0.2, 0.5, 0.3], np.float32))
    assert [lab for lab, _ in p.top(LABELS, 3)] == ["green", "blue", "red"]
    assert p.top(LABELS, 1) == [("green", pytest.approx(0.5))] and len(p.top(LABELS, 9)) == 3


def test_pipeline_classifies_the_whole_frame_with_top_k() -> None:
    clf = ColourClassifier(_bundle())
    pipe = build_pipeline(clf, smoothing=False)
    res = pipe.process(_frame((255, 40, 30)))  # BGR: blue
    (det,) = res.detections
    assert det.roi == ROI(0, 0, 64, 48) and det.prediction.label == "blue"
    rec = res.as_json()
    assert "number" not in rec and "numbers" not in rec
    top = rec["detections"][0]["top_k"]
    assert [t["label"] for t in top] == ["blue", "green", "red"]
    assert pipe.top_k == 3 and not res.timings_ms["segment"] < 0

    pipe = build_pipeline(clf, roi="centre", top_k=1, smoothing=True)
    for i in range(3):
        res = pipe.process(_frame((30, 200, 30), i=i))
    assert res.detections[0].prediction.label == "green" and len(res.as_json()["detections"][0]["top_k"]) == 1
    assert res.detections[0].roi.w == round(CENTRE_FRACTION * 48)


def test_roi_only_for_classify(tiny_digits_bundle: Path) -> None:
    with pytest.raises(ValueError, match="roi"):
        build_pipeline(tiny_digits_bundle, roi="centre")
    with pytest.raises(ValueError, match="classify"):
        build_pipeline(ColourClassifier(_bundle()), segmenter="skin")


def test_overlay_lists_top_k() -> None:
    img = np.zeros((120, 160, 3), np.uint8)
    s = np.array([0.7, 0.2, 0.1], np.float32)
    det = Detection(ROI(0, 0, 160, 120), Prediction(0, "red", 0.7, s))
    plain = draw_overlay(img, [det])
    listed = draw_overlay(img, [det], top=[det.prediction.top(LABELS, 3)])
    assert listed.shape == img.shape and not np.array_equal(plain, listed)
    assert listed[:, :80].sum() == 0  # the panel is on the right; no whole-frame box or tag on the left


def test_run_args_roi_and_top_k() -> None:
    cfg = parse_args(["--model", "x", "--roi", "centre", "--top-k", "5"])
    assert (cfg.roi, cfg.top_k) == ("centre", 5)
    assert parse_args([]).roi == "full"
    with pytest.raises(SystemExit):
        parse_args(["--roi", "left"])
