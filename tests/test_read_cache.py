"""The live loop's readings kept while a digit's ink does not change (edge.read_cache)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.read_cache import SIGNATURE, ReadCache, signature
from edge.roi_inputs import ink_inputs
from edge.types import ROI, Prediction


class _Segmenter:
    """A segmenter that found ``rois`` in a frame whose grey is ``last_grey``."""

    def __init__(self, grey: np.ndarray) -> None:
        self.last_grey = grey


class _Preprocessor:
    """Model inputs from each ROI's mean grey; a ROI of bare paper (mean 215 or more) has no ink."""

    accepts_grey = True

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.last_light: list[bool | None] = []

    def __call__(self, grey: np.ndarray, rois: list[ROI]) -> np.ndarray:
        self.calls.append(len(rois))
        means = [float(grey[r.y : r.y + r.h, r.x : r.x + r.w].mean()) for r in rois]
        self.last_light = [None if m >= 215 else m < 100 for m in means]
        return np.array([np.full((28, 28, 1), m / 255, np.float32) for m in means], np.float32)


class _Classifier:
    """Label = the input's mean grey in tenths; score ``score``; counts the inputs it reads."""

    def __init__(self, score: float = 0.95) -> None:
        self.read = 0
        self.score = score

    def classify(self, batch: np.ndarray) -> list[Prediction]:
        self.read += len(batch)
        out = []
        for x in batch:
            i = min(9, int(float(x.mean()) * 10))
            p = np.zeros(10, np.float32)
            p[i] = self.score
            out.append(Prediction(i, str(i), self.score, p))
        return out


def _frame(ink: int = 60, shift: int = 0) -> np.ndarray:
    """uint8 (120, 200) grey paper with two digit-like blocks of grey ``ink``, moved ``shift`` px right."""
    grey = np.full((120, 200), 220, np.uint8)
    cv2.putText(grey, "3", (30 + shift, 80), cv2.FONT_HERSHEY_SIMPLEX, 2, ink, 6)
    cv2.putText(grey, "7", (120 + shift, 80), cv2.FONT_HERSHEY_SIMPLEX, 2, ink, 6)
    return grey


def _rois(shift: int = 0) -> list[ROI]:
    return [ROI(25 + shift, 30, 50, 60), ROI(115 + shift, 30, 50, 60)]


def _read(cache: ReadCache, grey: np.ndarray, rois: list[ROI], pre: _Preprocessor, clf: _Classifier):
    image = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    kept, batch, light = cache.inputs(_Segmenter(grey), pre, image, rois)
    return kept, light, cache.classify(clf, batch)


def test_a_still_digit_takes_its_reading_until_max_age() -> None:
    cache, pre, clf = ReadCache(max_age=2), _Preprocessor(), _Classifier()
    grey, rois = _frame(), _rois()
    first = _read(cache, grey, rois, pre, clf)
    assert clf.read == 2 and len(first[2]) == 2
    noisy = cv2.add(grey, np.random.default_rng(0).integers(0, 4, grey.shape, dtype=np.uint8))
    for _ in range(2):  # the same ink, sensor noise: both kept readings are taken, nothing is read
        again = _read(cache, noisy, _rois(), pre, clf)
        assert clf.read == 2
        assert [p.label for p in again[2]] == [p.label for p in first[2]] and again[1] == first[1]
        assert again[0] != [] and all(a is not b for a, b in zip(again[0], rois, strict=True))  # (new ROIs)
    _read(cache, noisy, _rois(), pre, clf)  # max_age frames later: read afresh
    assert clf.read == 4 and cache.taken == 4 and cache.read == 4


def test_changed_ink_a_moved_box_or_a_turned_digit_is_read_afresh() -> None:
    cache, pre, clf = ReadCache(box_px=4), _Preprocessor(), _Classifier()
    _read(cache, _frame(), _rois(), pre, clf)
    changed = _frame()
    cv2.line(changed, (30, 40), (70, 85), 60, 6)  # a stroke added to the first digit
    _read(cache, changed, _rois(), pre, clf)
    assert clf.read == 3  # the first digit read again, the second taken
    _read(cache, _frame(shift=5), _rois(shift=5), pre, clf)  # 5 px: more than box_px
    assert clf.read == 5
    _read(cache, _frame(shift=8), _rois(shift=8), pre, clf)  # 3 px from the last frame's boxes: taken
    assert clf.read == 5
    turned = [ROI(r.x, r.y, r.w, r.h, angle=10.0) for r in _rois(shift=8)]
    _read(cache, _frame(shift=8), turned, pre, clf)
    assert clf.read == 7


def test_unsure_readings_and_cut_parts_are_never_kept() -> None:
    pre = _Preprocessor()
    unsure = _Classifier(score=0.6)
    cache = ReadCache()
    for _ in range(3):
        _read(cache, _frame(), _rois(), pre, unsure)
    assert unsure.read == 6 and cache.taken == 0
    whole = ROI(25, 30, 140, 60)
    parts = [ROI(r.x, r.y, r.w, r.h, whole=whole) for r in _rois()]
    sure, cache = _Classifier(), ReadCache()
    for _ in range(3):
        _read(cache, _frame(), parts, pre, sure)
    assert sure.read == 6 and cache.taken == 0


def test_reset_forgets_and_max_age_zero_reads_as_ink_inputs() -> None:
    cache, pre, clf = ReadCache(), _Preprocessor(), _Classifier()
    _read(cache, _frame(), _rois(), pre, clf)
    cache.reset()
    _read(cache, _frame(), _rois(), pre, clf)
    assert clf.read == 4
    _read(cache, _frame(), [], pre, clf)  # a frame without the digits (a hand over them) forgets them
    _read(cache, _frame(), _rois(), pre, clf)
    assert clf.read == 6 and cache.taken == 0
    off, pre2, clf2 = ReadCache(max_age=0), _Preprocessor(), _Classifier()
    grey = _frame()
    rois = _rois() + [ROI(180, 0, 20, 20)]  # a blank corner: no ink, dropped
    image = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    want = ink_inputs(_Segmenter(grey), _Preprocessor(), image, rois)
    for _ in range(2):
        kept, batch, light = off.inputs(_Segmenter(grey), pre2, image, rois)
        assert kept == want[0] and light == want[2] and np.array_equal(batch, want[1])
        assert len(off.classify(clf2, batch)) == 2
    assert clf2.read == 4


def test_a_roi_without_ink_is_dropped_and_polarities_follow_the_rois() -> None:
    cache, pre, clf = ReadCache(), _Preprocessor(), _Classifier()
    rois = [ROI(180, 0, 20, 20), *_rois()]  # a blank corner first: no ink
    kept, light, preds = _read(cache, _frame(), rois, pre, clf)
    assert kept == rois[1:] and light == [False, False] and len(preds) == 2
    kept, light, preds = _read(cache, _frame(), [ROI(180, 0, 20, 20), *_rois()], pre, clf)
    assert kept[0] is not rois[1] and kept == rois[1:] and light == [False, False]
    assert len(preds) == 2 and cache.taken == 2


def test_signature_is_the_area_average_of_the_clipped_box() -> None:
    grey = np.arange(64 * 64, dtype=np.uint32).reshape(64, 64).astype(np.uint8)
    sig = signature(grey, ROI(8, 8, 32, 16))
    assert sig.shape == SIGNATURE[::-1] and sig.dtype == np.int16
    want = cv2.resize(grey[8:24, 8:40], SIGNATURE, interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(sig, want)
    np.testing.assert_array_equal(signature(grey, ROI(60, 60, 10, 10)), signature(grey, ROI(60, 60, 4, 4)))
    assert not signature(grey, ROI(70, 70, 5, 5)).any()  # outside the image


@pytest.mark.parametrize(
    "kw", [{"box_px": -1}, {"angle_deg": -1.0}, {"sig_mean": -0.5}, {"max_age": -1}, {"min_score": 1.5}]
)
def test_bad_settings_are_refused(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        ReadCache(**kw)  # type: ignore[arg-type]
    cache = ReadCache()
    with pytest.raises(ValueError, match="max_age must be >= 0"):
        cache.max_age = -1
    assert cache.max_age == 3


def test_the_live_pipeline_keeps_readings_and_shows_what_it_reads_afresh(tiny_digits_bundle: Path) -> None:
    from edge.pipeline import build_pipeline
    from edge.types import Frame

    img = np.full((480, 640, 3), 200, np.uint8)
    for i, d in enumerate("372"):
        cv2.putText(img, d, (120 + 160 * i, 300), cv2.FONT_HERSHEY_SIMPLEX, 4, (30, 30, 30), 9)
    rng = np.random.default_rng(1)
    frames = [Frame(cv2.add(img, rng.integers(0, 3, img.shape, dtype=np.uint8)), i / 30, i) for i in range(8)]
    on, off = build_pipeline(tiny_digits_bundle), build_pipeline(tiny_digits_bundle)
    on.read_cache.min_score = 0.0  # (the tiny test model is unsure of everything)
    off.read_cache.max_age = 0
    for f in frames:
        a, b = on.process(f), off.process(f)
        assert [d.roi for d in a.raw] == [d.roi for d in b.raw]
        assert [d.prediction.label for d in a.raw] == [d.prediction.label for d in b.raw]
    assert on.read_cache.taken > 0 and off.read_cache.taken == 0
    still = build_pipeline(tiny_digits_bundle, smoothing=False)  # no smoother: nothing kept
    for f in frames[:3]:
        still.process(f)
    assert still.read_cache.max_age == 0 and still.read_cache.taken == 0
