"""Ink polarity per crop and per ROI, the ready-model-input rule, ``--polarity`` and still images.

Digits are synthesised from MNIST test digits (or, without the shared data, drawn with
OpenCV's font): dark ink on grey paper or light ink on a dark ground, at 16x16 (USPS
zip-code scans), 20x20 (OpenCV's ``digits.png`` cells), 28x28 (MNIST's own size) and
larger, as loose crops with a margin of ground or filling the image as USPS does.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.cli import run as cli_run
from edge.cli.run_args import parse_args
from edge.preprocess import MnistPreprocessor, crop_input, looks_like_model_input, place_mnist
from edge.preprocess.mnist_format import crop_to_ink
from edge.preprocess.polarity import ink_is_light_in, stroke_pairs
from edge.runtime import Classifier
from edge.types import ROI
from tests.conftest import draw_digit

SIZES = (16, 20, 28, 64)


def on_ground(
    digit: np.ndarray, size: int, light: bool, rng: np.random.Generator, fill: bool = False
) -> np.ndarray:
    """A uint8 (size, size) grey photo of the white-on-black ``digit`` (uint8 (28, 28)).

    ``light``: light ink (200) on a dark ground (45); else dark ink (50) on grey paper (180).
    ``fill``: the digit's ink box fills the image (USPS), else MNIST's margins are kept.
    """
    d = digit.astype(np.float32) / 255.0
    if fill:
        d = crop_to_ink(d, level=0.1)
        h, w = d.shape
        s = size / max(h, w)
        box = cv2.resize(d, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        d = np.zeros((size, size), np.float32)
        y0, x0 = (size - box.shape[0]) // 2, (size - box.shape[1]) // 2
        d[y0 : y0 + box.shape[0], x0 : x0 + box.shape[1]] = box
    else:
        d = np.asarray(
            cv2.resize(d, (size, size), interpolation=cv2.INTER_AREA if size < 28 else cv2.INTER_LINEAR),
            np.float32,
        )
    ground, ink = (45.0, 200.0) if light else (180.0, 50.0)
    img = ground + (ink - ground) * d + rng.normal(0, 4, d.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def digits_sample(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    """100 MNIST test digits (uint8 (100, 28, 28), labels), or drawn ones without the data."""
    try:
        x, y = request.getfixturevalue("mnist")
        return x[:100], y[:100]
    except pytest.skip.Exception:
        ys = np.arange(100) % 10
        return np.stack([draw_digit(int(d), 28, 3) for d in ys]), ys


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("light", [False, True], ids=["dark-ink", "light-ink"])
@pytest.mark.parametrize("fill", [False, True], ids=["margin", "filled"])
def test_polarity_found_per_crop_at_every_size(digits_sample, size, light, fill) -> None:
    rng = np.random.default_rng(size)
    x, _ = digits_sample
    called = [ink_is_light_in(on_ground(d, size, light, rng, fill)) for d in x]
    assert np.mean(np.array(called) == light) >= 0.97


def lit_corner_crop(d: int, corner: int, rng: np.random.Generator, size: int = 96) -> np.ndarray:
    """uint8 (size, size): a faint dark ``d`` (25% darker than its ground) on paper in shadow
    (grey 115), with the lit paper (225) showing in one ``corner`` (0..3: a straight, slightly
    blurred shadow edge cutting off about half of it), as a loose crop of a photo shows it."""
    digit = draw_digit(d, size, thickness=max(2, size // 24)).astype(np.float32) / 255.0
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    if corner in (1, 2):
        xx = size - 1 - xx
    if corner in (2, 3):
        yy = size - 1 - yy
    ground = cv2.GaussianBlur(
        np.where(xx + 0.8 * yy < 0.55 * size, 225.0, 115.0).astype(np.float32), (0, 0), 1.0
    )
    img = ground * (1 - 0.25 * digit) + rng.normal(0, 3, digit.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_a_lit_corner_is_not_taken_for_light_ink() -> None:
    """A shadow over most of a loose crop leaves a bright corner that deviates from the ground
    more than faint ink does (the former rule, deviations from a median-filtered ground only,
    called 14 of these 40 crops light and none of their 40 inversions); the stroke pairs tell:
    the corner has one edge, a pen stroke two."""
    rng = np.random.default_rng(3)
    crops = [lit_corner_crop(d, corner, rng) for d in range(10) for corner in range(4)]
    assert not any(ink_is_light_in(c) for c in crops)
    assert all(ink_is_light_in(cv2.bitwise_not(c)) for c in crops)  # chalk on a board, a lit corner


def test_stroke_pairs_count_both_sides_of_a_stroke_not_an_edge() -> None:
    half = np.full((64, 64), 60, np.uint8)
    half[:, 32:] = 200  # one straight edge: no stroke of either polarity
    assert stroke_pairs(half) == (0.0, 0.0)
    bar = np.full((64, 64), 200, np.uint8)
    bar[:, 28:34] = 60  # a dark bar 6 px wide
    light, dark = stroke_pairs(bar)
    assert dark > 0 and light == 0
    assert stroke_pairs(cv2.bitwise_not(bar)) == pytest.approx((dark, 0.0))
    assert stroke_pairs(np.full((10, 10), 128, np.uint8)) == (0.0, 0.0)  # flat


def test_ready_input_rule() -> None:
    rng = np.random.default_rng(0)
    mnist_like = draw_digit(3, 28, 3)
    assert looks_like_model_input(mnist_like)  # white ink centred on black: as it is
    assert looks_like_model_input(cv2.resize(mnist_like, (56, 56)))  # any size
    assert not looks_like_model_input(255 - mnist_like)  # dark ink on light: a photo
    assert not looks_like_model_input(on_ground(mnist_like, 28, light=False, rng=rng))
    assert not looks_like_model_input(on_ground(mnist_like, 16, light=True, rng=rng, fill=True))  # USPS
    assert not looks_like_model_input(np.zeros((28, 28), np.uint8))  # no ink
    off_centre = np.zeros((28, 28), np.uint8)
    off_centre[2:12, 2:12] = mnist_like[9:19, 9:19]
    assert not looks_like_model_input(off_centre)


def test_crop_input_takes_a_ready_input_as_it_is_and_reframes_other_sizes(tiny_digits_bundle) -> None:
    bundle = load_bundle(tiny_digits_bundle)
    d = draw_digit(7, 28, 3)
    np.testing.assert_allclose(crop_input(d, bundle)[:, :, 0], d / 255.0, atol=1e-6)
    big = cv2.resize(d, (84, 84), interpolation=cv2.INTER_LINEAR)
    expect = place_mnist(crop_to_ink(big.astype(np.float32) / 255.0, level=0.1))
    np.testing.assert_allclose(crop_input(big, bundle)[:, :, 0], expect, atol=1e-6)
    # told the ink is dark, nothing is a ready input: a white 7 on black is read inverted
    dark = crop_input(d, bundle, polarity="dark")[:, :, 0]
    assert not np.allclose(dark, d / 255.0, atol=0.1)
    with pytest.raises(ValueError, match="polarity"):
        crop_input(d, bundle, polarity="sideways")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("light", [False, True], ids=["dark-ink", "light-ink"])
def test_shipped_model_reads_both_polarities_in_crop_mode(mnist, size, light) -> None:
    bundle = load_bundle("digits")
    clf = Classifier(bundle)
    x, y = mnist[0][:200], mnist[1][:200]
    rng = np.random.default_rng(size)
    fill = size == 16  # USPS scans: the digit fills 16x16
    batch = np.stack([crop_input(on_ground(d, size, light, rng, fill), bundle) for d in x])
    acc = np.mean(clf.predict(batch).argmax(1) == y)
    assert acc >= (0.9 if size == 16 else 0.95), f"{size}px light={light}: {acc:.3f}"


def test_preprocessor_polarity_per_roi_in_a_frame() -> None:
    """Chalk on a board on the left, pen on paper on the right, in one frame."""
    frame = np.full((120, 240), 190, np.uint8)
    frame[:, :120] = 40
    d = cv2.resize(draw_digit(4, 28, 3), (60, 60))
    frame[30:90, 30:90] = np.maximum(frame[30:90, 30:90], d)  # light 4 on the dark half
    frame[30:90, 150:210] = np.minimum(frame[30:90, 150:210], 255 - d)  # dark 4 on the paper
    rois = [ROI(30, 30, 60, 60), ROI(150, 30, 60, 60)]
    bgr = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    auto = MnistPreprocessor(polarity="auto")(bgr, rois)
    assert auto[0].max() > 0.9 and auto[1].max() > 0.9
    assert np.abs(auto[0] - auto[1]).mean() < 0.03  # the same 4 both times
    dark = MnistPreprocessor(polarity="dark")(bgr, rois)
    assert np.abs(dark[0] - auto[0]).mean() > 0.05  # the chalk 4 read the wrong way round


def test_polarity_flag_parsed_and_checked(capsys) -> None:
    assert parse_args(["--source", "demo"]).polarity is None
    assert parse_args(["--polarity", "light", "photo.jpg"]).polarity == "light"
    assert parse_args(["photo.jpg"]).source == "photo.jpg"
    with pytest.raises(SystemExit):
        parse_args(["--polarity", "sideways"])
    with pytest.raises(SystemExit):
        parse_args(["a.jpg", "--source", "b.jpg"])


def test_still_image_writes_png_and_shows_no_fps(tiny_digits_bundle, tmp_path, capsys) -> None:
    photo = tmp_path / "seven.png"
    img = np.full((120, 160, 3), 200, np.uint8)
    cv2.putText(img, "7", (55, 95), cv2.FONT_HERSHEY_SIMPLEX, 2.5, (20, 20, 20), 8)
    cv2.imwrite(str(photo), img)
    out = tmp_path / "out" / "annotated.png"
    code = cli_run.main([str(photo), "--model", str(tiny_digits_bundle), "--headless", "--output", str(out)])
    text = capsys.readouterr().out
    assert code == 0 and out.is_file()
    written = cv2.imread(str(out))
    assert written is not None
    assert written.shape == img.shape and not np.array_equal(written, img)  # annotated
    assert "FPS" not in text and "1 image in" in text and f"wrote 1 image: {out}" in text


def test_folder_of_stills_one_image_each_no_vote(tiny_digits_bundle, tmp_path, capsys) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a", "b"):
        cv2.imwrite(str(folder / f"{name}.png"), np.full((60, 80, 3), 200, np.uint8))
    out = tmp_path / "o.jpg"
    stats = cli_run.run_cli(
        parse_args([str(folder), "--model", str(tiny_digits_bundle), "--headless", "--output", str(out)])
    )
    assert stats.still and not stats.smoothing
    assert sorted(p.name for p in tmp_path.glob("o*.jpg")) == ["o-b.jpg", "o.jpg"]


def test_pipeline_gives_the_polarity_to_segmenter_and_preprocessor(tiny_digits_bundle) -> None:
    from edge.pipeline import build_pipeline

    default = build_pipeline(tiny_digits_bundle, smoothing=False)
    seg_default = default.segmenter.config.polarity  # type: ignore[attr-defined]
    assert default.preprocessor.polarity == seg_default  # type: ignore[attr-defined]
    light = build_pipeline(tiny_digits_bundle, smoothing=False, polarity="light")
    assert light.segmenter.config.polarity == "light"  # type: ignore[attr-defined]
    assert light.preprocessor.polarity == "light"  # type: ignore[attr-defined]
