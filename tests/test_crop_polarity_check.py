"""A photo crop called light ink is read as dark ink too (edge.still_views.crop_views' ``classifier``).

A lit strip of paper between a shadow and a table edge has two edges like a light stroke, and the
ground statistics (edge.preprocess.ink_is_light_in) call the crop's faint dark digit light ink: the
read was the strip. Given the model, the reading it is clearly surer of is kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.cli import eval as eval_cli
from edge.preprocess import ink_is_light_in
from edge.preprocess.mnist import mnist_crop_views
from edge.runtime import Classifier
from edge.still_views import CROP_INSETS, ViewsClassifier, crop_views


def _strip_crop(text: str, size: int = 90) -> np.ndarray:
    """uint8 (size, size) grey: a faint dark digit on mid-grey paper, a lit strip of paper across
    the bottom and a dark table below it (the paper's edge), slightly slanted, softly blurred."""
    img = np.full((size, size), 150, np.uint8)
    cv2.putText(
        img, text, (int(size * 0.28), int(size * 0.62)), cv2.FONT_HERSHEY_SIMPLEX, 1.7, 105, 4, cv2.LINE_AA
    )
    y0, y1 = int(0.72 * size), int(0.82 * size)
    cv2.fillPoly(img, [np.array([[0, y0 + 8], [size, y0 - 4], [size, y1 - 4], [0, y1 + 8]], np.int32)], 235)
    cv2.fillPoly(img, [np.array([[0, y1 + 8], [size, y1 - 4], [size, size], [0, size]], np.int32)], 60)
    return cv2.GaussianBlur(img, (3, 3), 0)


def _chalk_crop(text: str, size: int = 90) -> np.ndarray:
    """uint8 (size, size) grey: a light digit on a dark board."""
    img = np.full((size, size), 50, np.uint8)
    cv2.putText(
        img, text, (int(size * 0.28), int(size * 0.7)), cv2.FONT_HERSHEY_SIMPLEX, 1.7, 220, 5, cv2.LINE_AA
    )
    return cv2.GaussianBlur(img, (3, 3), 0)


class _Fixed:
    """Fixed top probabilities for the light and the dark reading (batch order: K light views,
    then K dark views); counts ``predict`` calls."""

    labels = tuple(str(i) for i in range(10))

    def __init__(self, light: float, dark: float) -> None:
        self.light, self.dark, self.calls = light, dark, 0

    def predict(self, batch: np.ndarray) -> np.ndarray:
        self.calls += 1
        k = len(CROP_INSETS)
        out = np.full((len(batch), 10), 0.01, np.float32)
        out[:k, 2], out[k:, 3] = self.light, self.dark
        return out


@pytest.fixture(scope="module")
def digits() -> tuple[object, Classifier]:
    bundle = load_bundle("digits")
    return bundle, Classifier(bundle)


@pytest.mark.parametrize("text", ["0", "3", "5", "8"])
def test_a_lit_strip_does_not_turn_a_dark_digit_into_light_ink(
    digits: tuple[object, Classifier], text: str
) -> None:
    bundle, clf = digits
    grey = _strip_crop(text)
    assert ink_is_light_in(grey)  # the ground statistics alone take the strip for a light stroke
    views = ViewsClassifier(clf)
    before = views.classify(crop_views(grey, bundle)[None])[0]
    after = views.classify(crop_views(grey, bundle, classifier=clf)[None])[0]
    assert before.label != text  # the strip was read
    assert after.label == text
    np.testing.assert_array_equal(
        crop_views(grey, bundle, classifier=clf)[..., 0], mnist_crop_views(grey, CROP_INSETS, polarity="dark")
    )


def test_light_ink_on_a_dark_board_keeps_its_light_reading(digits: tuple[object, Classifier]) -> None:
    bundle, clf = digits
    for text in "2479":
        grey = _chalk_crop(text)
        assert ink_is_light_in(grey)
        v = crop_views(grey, bundle, classifier=clf)
        np.testing.assert_array_equal(v, crop_views(grey, bundle))
        assert ViewsClassifier(clf).classify(v[None])[0].label == text


def test_the_dark_reading_must_be_clearly_surer(tiny_digits_bundle: Path) -> None:
    bundle = load_bundle(tiny_digits_bundle)
    grey = _strip_crop("3")
    light = mnist_crop_views(grey, CROP_INSETS, polarity="light")[..., None]
    dark = mnist_crop_views(grey, CROP_INSETS, polarity="dark")[..., None]
    assert not np.array_equal(light, dark)
    below = _Fixed(0.5, 0.6)  # surer, but not clearly: the light reading stays
    np.testing.assert_array_equal(crop_views(grey, bundle, classifier=below), light)
    above = _Fixed(0.4, 0.65)  # more than 1.5 x as sure
    np.testing.assert_array_equal(crop_views(grey, bundle, classifier=above), dark)
    assert below.calls == above.calls == 1  # both readings in one call


def test_crops_called_dark_scans_and_fixed_polarities_are_not_checked(tiny_digits_bundle: Path) -> None:
    bundle = load_bundle(tiny_digits_bundle)
    clf = _Fixed(0.1, 0.9)
    paper = np.full((90, 90), 200, np.uint8)
    cv2.putText(paper, "4", (25, 65), cv2.FONT_HERSHEY_SIMPLEX, 1.7, 40, 5)
    assert not ink_is_light_in(paper)
    np.testing.assert_array_equal(crop_views(paper, bundle, classifier=clf), crop_views(paper, bundle))
    scan = cv2.resize(_chalk_crop("7"), (20, 20), interpolation=cv2.INTER_AREA)  # a digits.png cell's size
    np.testing.assert_array_equal(crop_views(scan, bundle, classifier=clf), crop_views(scan, bundle))
    grey = _strip_crop("3")
    for polarity in ("light", "dark"):
        np.testing.assert_array_equal(
            crop_views(grey, bundle, polarity, classifier=clf), crop_views(grey, bundle, polarity)
        )
    assert clf.calls == 0


def test_edge_eval_crop_reads_the_strip_crops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for text in "358":
        (tmp_path / text).mkdir()
        cv2.imwrite(str(tmp_path / text / "a.png"), _strip_crop(text))
    assert eval_cli.main(["--model", "digits", "--images", str(tmp_path), "--crop", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == 1.0
