"""Test-time views of still images (edge.still_views): what the views are, how they are combined,
that only stills take them, and that ``--views off`` turns them off."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.cli import eval as eval_cli
from edge.cli.eval_args import parse_args as parse_eval_args
from edge.cli.run_args import parse_args as parse_run_args
from edge.live.launch import make_pipeline
from edge.preprocess import MnistPreprocessor, crop_input, mnist_crop_input, mnist_normalise
from edge.preprocess.mnist import mnist_crop_views
from edge.segment.digits import DigitSegmenter
from edge.still_views import (
    CROP_INSETS,
    FRAME_VIEWS,
    GROW,
    StillViewsPreprocessor,
    ViewsClassifier,
    crop_views,
    grown,
    use_still_views,
)
from edge.types import ROI
from tests.test_loose_ink import fat_marker_six, pencil_four_on_squared_paper


def _paper_with_digit(text: str = "4", size: tuple[int, int] = (120, 100), scale: float = 2.5) -> np.ndarray:
    """uint8 (H, W, 3) BGR: a dark handwritten-like digit on light paper."""
    h, w = size
    img = np.full((h, w, 3), 205, np.uint8)
    cv2.putText(img, text, (w // 4, int(h * 0.75)), cv2.FONT_HERSHEY_SIMPLEX, scale, (40, 40, 40), 5)
    return img


def _frame_with_digits() -> np.ndarray:
    """uint8 (480, 640, 3) BGR: three digits on grey paper."""
    img = np.full((480, 640, 3), 200, np.uint8)
    for i, d in enumerate("372"):
        cv2.putText(img, d, (120 + 160 * i, 300), cv2.FONT_HERSHEY_SIMPLEX, 4, (30, 30, 30), 9)
    return img


class _FakeClassifier:
    """Probabilities from each input's mean level; counts ``predict`` calls."""

    labels = tuple(str(i) for i in range(10))

    def __init__(self) -> None:
        self.calls: list[tuple[int, ...]] = []

    def predict(self, batch: np.ndarray) -> np.ndarray:
        self.calls.append(batch.shape)
        out = np.zeros((len(batch), 10), np.float32)
        for i, x in enumerate(batch):
            if float(x.mean()) > 0.5:  # the "live" read: a narrow win for 7
                out[i, 7], out[i, 1] = 0.55, 0.45
            else:  # the other reads: 1, clearly
                out[i, 1], out[i, 7] = 0.9, 0.1
        return out


def test_views_classifier_averages_the_views_into_another_read_in_one_call() -> None:
    clf = _FakeClassifier()
    batch = np.zeros((2, 3, 28, 28, 1), np.float32)
    batch[:, 0] = 1.0  # view 0 says 7 (0.55); views 1 and 2 say 1 (0.9): the mean says 1
    batch[1] = 1.0  # the second input: every view says 7
    views = ViewsClassifier(clf)
    preds = views.classify(batch)
    assert clf.calls == [(6, 28, 28, 1)]  # N x K inputs, one call
    assert [p.label for p in preds] == ["1", "7"]
    assert preds[0].score == pytest.approx((0.45 + 0.9 + 0.9) / 3)
    assert preds[0].scores.shape == (10,) and preds[0].scores.dtype == np.float32
    # one view per input: read as the wrapped classifier reads it
    assert [p.label for p in views.classify(batch[:, 0])] == ["7", "7"]
    assert views.labels == clf.labels


def test_frame_views_are_the_live_read_the_full_read_and_the_grown_roi() -> None:
    img = _frame_with_digits()
    seg = DigitSegmenter()
    rois = seg.find(img)
    assert len(rois) == 3
    grey, analysis = seg.last_grey, seg.last_analysis
    live_pre = MnistPreprocessor()  # independent of the views' own preprocessors
    live = live_pre(grey, rois, analysis=analysis)
    never = 1 << 30  # a ROI taller than any frame: neither fast path
    full = MnistPreprocessor(fast_min_px=never, grey_min_px=never)(grey, rois, analysis=analysis)
    wide = MnistPreprocessor(fast_min_px=never, grey_min_px=never)(grey, [grown(r, grey.shape) for r in rois])
    pre = StillViewsPreprocessor(MnistPreprocessor())
    x = pre(grey, rois, analysis=analysis)
    assert pre.views == FRAME_VIEWS == ("live", "full", "grown")
    assert x.shape == (3, 3, 28, 28, 1) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    np.testing.assert_array_equal(x[:, 0], live)  # the live loop's own inputs
    np.testing.assert_array_equal(x[:, 1], full)  # the full read, with the segmenter's polarity
    np.testing.assert_array_equal(x[:, 2], wide)  # the grown ROIs, each with its own polarity
    assert not np.array_equal(x[:, 1], x[:, 2])
    assert live_pre.last_fast == [True] * 3  # the live view took a fast path: it differs from "full"
    assert pre.last_light == live_pre.last_light and len(pre.last_light) == 3
    assert pre.base.last_fast == live_pre.last_fast  # last_light is the live view's, not overwritten
    assert all(x[i, k].max() > 0.5 for i in range(3) for k in range(3))  # every view found the ink


def test_grown_roi_adds_a_margin_clipped_to_the_image() -> None:
    assert grown(ROI(100, 100, 50, 25), (480, 640), 0.08) == ROI(96, 96, 58, 33)
    assert grown(ROI(0, 0, 10, 10), (12, 640, 3), 0.5) == ROI(0, 0, 15, 12)
    assert grown(ROI(100, 100, 50, 25, angle=30.0), (480, 640)).angle == 30.0  # a turned page's digit


def test_crop_views_of_a_photo_start_with_the_plain_read(tiny_digits_bundle: Path) -> None:
    bundle = load_bundle(tiny_digits_bundle)
    img = _paper_with_digit("5")
    v = crop_views(img, bundle)
    assert v.shape == (len(CROP_INSETS), 28, 28, 1) and v.dtype == np.float32
    np.testing.assert_array_equal(v[0], crop_input(img, bundle))
    assert v[1].max() > 0.5 and not np.array_equal(v[0], v[1])  # the inset box reads the ink anew


def test_a_ready_model_input_is_one_view_read_once(tiny_digits_bundle: Path) -> None:
    bundle = load_bundle(tiny_digits_bundle)
    x = np.zeros((28, 28), np.uint8)
    cv2.putText(x, "3", (7, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 255, 2)
    v = crop_views(x, bundle, classifier=_FakeClassifier())
    assert v.shape == (1, 28, 28, 1)
    np.testing.assert_array_equal(v[0], crop_input(x, bundle))
    assert mnist_crop_input(x, insets=CROP_INSETS).shape == (1, 28, 28)
    # a photo's views: one per inset, the first mnist_crop_input's plain read
    grey = cv2.cvtColor(_paper_with_digit("2"), cv2.COLOR_BGR2GRAY)
    views = mnist_crop_input(grey, insets=CROP_INSETS)
    assert views.shape == (len(CROP_INSETS), 28, 28)
    np.testing.assert_array_equal(views[0], mnist_crop_input(grey))
    for light, pol in ((True, "light"), (False, "dark")):  # a polarity decided by the caller
        np.testing.assert_array_equal(
            mnist_crop_input(grey, insets=CROP_INSETS, light=light),
            mnist_crop_input(grey, pol, insets=CROP_INSETS),
        )
    assert not np.array_equal(mnist_crop_input(grey, light=True), mnist_crop_input(grey, light=False))
    # ready inputs (K = 1) and photos (K = 2) in one evaluation: each classified from its own views
    clf = _FakeClassifier()
    views_clf = ViewsClassifier(clf)
    batch_of_one = crop_views(x, bundle)[None]
    assert views_clf.predict(batch_of_one).shape == (1, 10) and clf.calls[-1] == (1, 28, 28, 1)


#: ``mnist_normalise(grey, None, deskew=...)`` of the crops below at b2db323, before
#: :func:`mnist_crop_views` existed (the loose-crop read, ``loose=True``, found after the polarity
#: decision), summarised so that it holds on any CPU (OpenCV's resampling rounds a little
#: differently with AVX2 and with AVX-512, which changes float bits, never the digit): the box
#: (x0, y0, x1, y1) of pixels above 0.25 and their count, the ink sum and its centre (x, y).
#: The view of inset 0 must be that read bit for bit on the machine it runs on.
B2DB323_READS = {
    ("six", False): ((9, 2, 19, 21), 123, 107.30, (13.627, 14.353)),
    ("six", True): ((9, 2, 20, 21), 133, 113.51, (14.107, 14.353)),
    ("four", False): ((8, 4, 20, 23), 119, 100.34, (14.081, 13.702)),
    ("four", True): ((8, 4, 20, 23), 117, 98.12, (14.078, 13.702)),
}


def _read_summary(v: np.ndarray) -> tuple[tuple[int, int, int, int], int, float, tuple[float, float]]:
    """:data:`B2DB323_READS`' summary of a float32 (28, 28) model input in [0, 1]."""
    ys, xs = np.nonzero(v > 0.25)
    mass = float(v.sum())
    centre = float(v.sum(0) @ np.arange(28)) / mass, float(v.sum(1) @ np.arange(28)) / mass
    return (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())), len(xs), mass, centre


@pytest.mark.parametrize("name, deskew", sorted(B2DB323_READS))
def test_mnist_crop_views_inset_zero_is_the_loose_crop_read_of_b2db323(name: str, deskew: bool) -> None:
    # a filled fat stroke and a digit on a grid: crops the loose-crop repairs change
    grey = (fat_marker_six if name == "six" else pencil_four_on_squared_paper)(0)[0]
    v = mnist_crop_views(grey, (0.0, 0.025, 0.1), deskew=deskew)
    assert v.shape == (3, 28, 28) and v.dtype == np.float32
    assert v[0].tobytes() == mnist_normalise(grey, None, deskew=deskew).tobytes()
    box, count, mass, (cx, cy) = _read_summary(v[0])
    want_box, want_count, want_mass, (want_cx, want_cy) = B2DB323_READS[name, deskew]
    assert np.abs(np.subtract(box, want_box)).max() <= 1 and abs(count - want_count) <= 3
    assert mass == pytest.approx(want_mass, rel=0.005)
    assert cx == pytest.approx(want_cx, abs=0.05) and cy == pytest.approx(want_cy, abs=0.05)


def test_mnist_crop_views_rejects_wide_insets() -> None:
    grey = cv2.cvtColor(_paper_with_digit("8"), cv2.COLOR_BGR2GRAY)
    with pytest.raises(ValueError, match="insets"):
        mnist_crop_views(grey, (0.3,))


def test_only_still_pipelines_take_views(tiny_digits_bundle: Path, tmp_path: Path) -> None:
    live = make_pipeline(str(tiny_digits_bundle), source="demo")
    assert type(live.preprocessor) is MnistPreprocessor
    assert not isinstance(live.classifier, ViewsClassifier)
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), _paper_with_digit())
    still = make_pipeline(str(tiny_digits_bundle), source=str(photo))
    assert isinstance(still.preprocessor, StillViewsPreprocessor)
    assert isinstance(still.classifier, ViewsClassifier) and still.smoother is None
    off = make_pipeline(str(tiny_digits_bundle), source=str(photo), views=False)
    assert type(off.preprocessor) is MnistPreprocessor
    # wrapping twice changes nothing; the still pipeline reads a frame
    assert use_still_views(still).classifier is still.classifier
    from edge.types import Frame

    res = still.process(Frame(_frame_with_digits(), 0.0, 0))
    assert len(res.raw) == 3 and res.raw[0].prediction.scores.shape == (10,)


def test_still_readers_count_the_time_spent_in_their_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter(range(0, 1000, 2))  # a clock 2 s a read: each timed call lasts 2 s
    monkeypatch.setattr("edge.still_views.time.perf_counter", lambda: float(next(ticks)))
    views = ViewsClassifier(_FakeClassifier())
    assert views.busy_ms == 0.0
    views.classify(np.zeros((1, 3, 28, 28, 1), np.float32))  # (classify calls predict: timed once)
    views.predict(np.zeros((2, 28, 28, 1), np.float32))
    assert views.busy_ms == 4000.0
    img = _frame_with_digits()
    seg = DigitSegmenter()
    rois = seg.find(img)
    pre = StillViewsPreprocessor(MnistPreprocessor())
    pre(seg.last_grey, rois, analysis=seg.last_analysis)
    assert pre.busy_ms == 2000.0


def test_a_still_reports_the_reading_its_checks_did_as_preprocess_and_classify(
    tiny_digits_bundle: Path, tmp_path: Path
) -> None:
    from edge.types import Frame

    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), _paper_with_digit())
    still = make_pipeline(str(tiny_digits_bundle), source=str(photo))
    before = still.preprocessor.busy_ms, still.classifier.busy_ms
    res = still.process(Frame(_frame_with_digits(), 0.0, 0))
    t = res.timings_ms
    read = still.preprocessor.busy_ms - before[0], still.classifier.busy_ms - before[1]
    assert read[0] > 0 and read[1] > 0  # the still checks read the ROIs inside find ...
    assert t["preprocess"] >= read[0] and t["classify"] >= read[1]  # ... and that is not segmenting
    assert t["segment"] > 0
    parts = t["segment"] + t["preprocess"] + t["classify"] + t["smooth"]
    assert parts == pytest.approx(t["total"], abs=1e-6)
    live = make_pipeline(str(tiny_digits_bundle), source="demo")  # no still readers: nothing moved
    lt = live.process(Frame(_frame_with_digits(), 0.0, 0)).timings_ms
    assert lt["segment"] + lt["preprocess"] + lt["classify"] + lt["smooth"] == pytest.approx(
        lt["total"], abs=1e-6
    )


def test_a_classifier_without_predict_is_left_as_it_is(caplog: pytest.LogCaptureFixture) -> None:
    class OnlyClassify:
        labels = tuple(str(i) for i in range(10))

        def classify(self, batch: np.ndarray) -> list[object]:
            return []

    class Pipe:
        segmenter = None
        preprocessor = MnistPreprocessor()
        classifier = OnlyClassify()

    pipe = Pipe()
    pre, clf = pipe.preprocessor, pipe.classifier
    with caplog.at_level("INFO", logger="edge.still_views"):
        assert use_still_views(pipe) is pipe
    assert pipe.preprocessor is pre and pipe.classifier is clf
    assert "predict" in caplog.text
    pipe.classifier = _FakeClassifier()  # with predict: wrapped
    use_still_views(pipe)
    assert isinstance(pipe.classifier, ViewsClassifier) and isinstance(
        pipe.preprocessor, StillViewsPreprocessor
    )


def test_a_still_source_opened_by_the_caller_gets_views(
    tiny_digits_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edge.cli import run as run_cli_module
    from edge.sources import ImageSource

    made = []

    def recording(*args: object, **kwargs: object) -> object:
        made.append(make_pipeline(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(run_cli_module, "make_pipeline", recording)
    cv2.imwrite(str(tmp_path / "a.png"), _frame_with_digits())
    cfg = run_cli_module.RunConfig(model=str(tiny_digits_bundle), display=False)  # cfg.source None
    with ImageSource(tmp_path) as source:
        run_cli_module.run_cli(cfg, run_cli_module.RunStats(), source=source)
    assert isinstance(made[0].preprocessor, StillViewsPreprocessor) and made[0].smoother is None
    # and make_pipeline's own still= overrides the source spec's kind both ways
    assert isinstance(make_pipeline(str(tiny_digits_bundle), still=True).classifier, ViewsClassifier)
    photo = str(tmp_path / "a.png")
    not_still = make_pipeline(str(tiny_digits_bundle), source=photo, still=False)
    assert type(not_still.preprocessor) is MnistPreprocessor and not_still.smoother is not None


def test_views_flag_parses_and_turns_them_off(
    tiny_digits_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mnist = ["--dataset", "mnist"]
    assert parse_eval_args(mnist).views and not parse_eval_args([*mnist, "--views", "off"]).views
    assert parse_run_args([]).views and not parse_run_args(["--views", "off"]).views
    for label, digit in (("4", "4"), ("7", "7")):
        (tmp_path / label).mkdir()
        cv2.imwrite(str(tmp_path / label / "a.png"), _paper_with_digit(digit))
    ready = np.zeros((28, 28), np.uint8)  # a ready model input: one view among photos' two
    cv2.putText(ready, "7", (7, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 255, 2)
    cv2.imwrite(str(tmp_path / "7" / "b.png"), ready)
    args = ["--model", str(tiny_digits_bundle), "--images", str(tmp_path), "--json"]
    infos = {}
    for mode in ("crop", "frame"):
        for v in ("on", "off"):
            assert eval_cli.main([*args, f"--{mode}", "--views", v]) == 0
            infos[mode, v] = json.loads(capsys.readouterr().out)
    assert infos["crop", "on"]["views"] == len(CROP_INSETS)
    assert infos["crop", "on"]["n"] == infos["crop", "off"]["n"] == 3
    assert infos["frame", "on"]["views"] == len(FRAME_VIEWS)
    assert "views" not in infos["crop", "off"] and "views" not in infos["frame", "off"]


def test_the_grown_view_of_a_cut_part_can_stay_within_its_cut() -> None:
    """A part the segmenter cut out of a wider piece (its ROI's ``whole``) is grown on its other
    sides only, keeping the whole, when its view grown on every side finds no ink of its own."""
    whole = ROI(100, 50, 150, 70)
    left, middle = ROI(100, 50, 50, 70, whole=whole), ROI(152, 52, 46, 66, whole=whole)
    right = ROI(200, 50, 50, 70, whole=whole)
    m = round(GROW * 70)
    assert grown(left, (480, 640), within_cut=True).as_list() == [100 - m, 50 - m, 50 + m, 70 + 2 * m]
    k = round(GROW * 66)
    assert grown(middle, (480, 640), within_cut=True).as_list() == [152, 52 - k, 46, 66 + 2 * k]
    assert grown(right, (480, 640), within_cut=True).as_list() == [200, 50 - m, 50 + m, 70 + 2 * m]
    assert all(grown(r, (480, 640), within_cut=True).whole is whole for r in (left, middle, right))
    assert grown(left, (480, 640)).as_list() == [100 - m, 50 - m, 50 + 2 * m, 70 + 2 * m]  # (as any ROI)
    alone = grown(ROI(100, 50, 50, 70), (480, 640), within_cut=True)
    assert alone.as_list() == [100 - m, 50 - m, 50 + 2 * m, 70 + 2 * m] and alone.whole is None
