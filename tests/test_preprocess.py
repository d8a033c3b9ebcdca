"""MNIST-style normalisation and the bundle preprocessors (edge.preprocess).

The contract (28x28 float32 in [0, 1], white on black, longer side of the ink box
20 px, centre of mass at (14, 14)) is checked on MNIST digits photographed the
hard way: inverted to dark ink, scaled up, pasted on unevenly lit paper with
margins, shadows and a desk in a corner. A normalised MNIST digit must come back
close to the original.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from test_digits import ink_alpha

from edge.bundle import InputSpec, ModelBundle, QuantParams
from edge.preprocess import (
    MNIST_BOX,
    MnistPreprocessor,
    ResizePreprocessor,
    crop_input,
    mnist_normalise,
)
from edge.segment.ink import to_grey
from edge.types import ROI


def photo(
    digit: np.ndarray,
    height: int,
    margin: float = 0.6,
    thicken: int = 0,
    light: str = "gradient",
    desk_corner: bool = False,
    seed: int = 0,
) -> tuple[np.ndarray, ROI]:
    """A uint8 grey "photo" of an MNIST digit as dark ink on paper, and its ink box.

    Args:
        digit: uint8 28x28 white-on-black.
        height: the ink's height in px.
        margin: paper around the ink on each side, fraction of ``height``.
        thicken: dilate the strokes by this many px (a marker).
        light: ``"flat"``, ``"gradient"`` or ``"shadow"`` (a hard-edged shadow).
        desk_corner: a dark desk shows in the top-left corner.
    """
    rng = np.random.default_rng(seed)
    a = ink_alpha(digit, height, thicken)
    m = int(margin * height)
    h, w = a.shape[0] + 2 * m, a.shape[1] + 2 * m
    img = np.full((h, w), 225.0, np.float32)
    img[m : m + a.shape[0], m : m + a.shape[1]] *= 1 - 0.8 * a
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if light == "gradient":
        img *= 0.55 + 0.45 * xx / w
    elif light == "shadow":
        img *= np.where(xx + 0.7 * yy < 0.8 * w, 0.55, 1.0)
    if desk_corner:
        img[xx + yy < 0.35 * m] = 45
    img = cv2.GaussianBlur(img, (0, 0), 0.8) + rng.normal(0, 2.5, img.shape)
    ys, xs = np.nonzero(a > 0.5)
    box = ROI(
        m + int(xs.min()), m + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
    )
    return np.clip(img, 0, 255).astype(np.uint8), box


def ink_box(x: np.ndarray, level: float = 0.0) -> tuple[int, int]:
    """(height, width) of the bounding box of pixels above ``level``."""
    ys, xs = np.nonzero(x > level)
    return int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    yy, xx = np.mgrid[0 : x.shape[0], 0 : x.shape[1]]
    return float((x * xx).sum() / x.sum()), float((x * yy).sum() / x.sum())


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def stroke_width(x: np.ndarray) -> float:
    """2 x ink area / perimeter of ``x > 0.5`` (px)."""
    m = (x > 0.5).astype(np.uint8)
    cs, _ = cv2.findContours(m, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    return 2.0 * m.sum() / max(sum(cv2.arcLength(c, True) for c in cs), 1.0)


# ---------------------------------------------------------------------------
# mnist_normalise
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("height", [16, 60, 400])
@pytest.mark.parametrize("with_roi", [True, False], ids=["roi", "crop"])
def test_output_contract(mnist, height: int, with_roi: bool) -> None:
    x, _ = mnist
    for k in range(5):
        grey, box = photo(x[k], height, seed=k)
        out = mnist_normalise(grey, box if with_roi else None)
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 1.0 and out.max() > 0.9
        assert max(ink_box(out)) == MNIST_BOX
        cx, cy = centre_of_mass(out)
        assert abs(cx - 14.0) <= 1.0 and abs(cy - 14.0) <= 1.0, (cx, cy)


def test_normalising_a_photographed_mnist_digit_gives_it_back(mnist) -> None:
    x, y = mnist
    cs = []
    for k in range(40):
        grey, box = photo(x[k], 90, seed=k)
        cs.append(corr(mnist_normalise(grey, box), x[k].astype(np.float32) / 255))
    assert np.mean(cs) > 0.9, np.round(cs, 2)
    assert min(cs) > 0.7, np.round(cs, 2)


@pytest.mark.parametrize("light", ["gradient", "shadow"])
def test_crop_mode_with_shadows_margins_and_a_desk_corner(mnist, light: str) -> None:
    x, _ = mnist
    cs = []
    for k in range(20):
        grey, _ = photo(x[k], 80, margin=0.4 + 0.05 * (k % 8), light=light, desk_corner=k % 2 == 0, seed=k)
        cs.append(corr(mnist_normalise(grey), x[k].astype(np.float32) / 255))
    assert np.mean(cs) > 0.85, np.round(cs, 2)
    assert min(cs) > 0.6, np.round(cs, 2)


SHAPES = {  # strokes of a few digits in a unit box (x, y)
    "2": [(0.1, 0.25), (0.3, 0.05), (0.7, 0.05), (0.85, 0.3), (0.1, 0.95), (0.95, 0.95)],
    "7": [(0.05, 0.05), (0.95, 0.05), (0.4, 0.95)],
    "3": [(0.1, 0.1), (0.8, 0.1), (0.4, 0.45), (0.85, 0.7), (0.5, 0.95), (0.1, 0.85)],
}


@pytest.mark.parametrize("pen_px", [2, 70], ids=["pencil", "marker"])
def test_stroke_width_is_brought_near_mnist(mnist, pen_px: int) -> None:
    """300-px digits in a 2-px pencil or a 70-px marker end up with MNIST-like strokes."""
    x, _ = mnist
    lo, hi = np.percentile([stroke_width(x[k].astype(np.float32) / 255) for k in range(300)], [2, 98])
    widths = []
    for name, pts in SHAPES.items():
        img = np.full((460, 460), 220, np.uint8)
        poly = (np.array(pts) * 300 + 80).astype(np.int32)
        cv2.polylines(img, [poly], False, 40, pen_px, cv2.LINE_AA)
        out = mnist_normalise(img)
        assert max(ink_box(out)) == MNIST_BOX, name
        widths.append(stroke_width(out))
    assert lo < min(widths) and max(widths) < hi, (widths, lo, hi)


def test_deskew_straightens_a_slanted_digit(mnist) -> None:
    x, y = mnist
    one = x[np.nonzero(y == 1)[0][0]]
    slanted = cv2.warpAffine(one, np.float32([[1, 0.5, -7], [0, 1, 0]]), (28, 28))
    grey, box = photo(slanted, 120)

    def skew(img: np.ndarray) -> float:
        m = cv2.moments(img)
        return abs(m["mu11"] / m["mu02"])

    plain, straight = mnist_normalise(grey, box), mnist_normalise(grey, box, deskew=True)
    assert skew(straight) < 0.5 * skew(plain)
    assert max(ink_box(straight)) == MNIST_BOX


def test_no_ink_gives_zeros() -> None:
    blank = np.full((60, 50), 200, np.uint8)
    assert not mnist_normalise(blank).any()
    assert not mnist_normalise(blank, ROI(10, 10, 20, 30)).any()
    assert not mnist_normalise(blank, ROI(100, 100, 5, 5)).any()  # outside the image


def test_rejects_colour_and_float() -> None:
    with pytest.raises(ValueError, match="grey"):
        mnist_normalise(np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(ValueError, match="grey"):
        mnist_normalise(np.zeros((20, 20), np.float32))
    with pytest.raises(ValueError, match="shape"):
        to_grey(np.zeros((2, 20, 20, 3), np.uint8))


# ---------------------------------------------------------------------------
# preprocessors
# ---------------------------------------------------------------------------
def bundle(
    preprocessing: str, shape=(1, 28, 28, 1), colour: str = "grey", value_range=(0.0, 1.0)
) -> ModelBundle:
    spec = InputSpec(
        shape=shape,
        dtype="int8",
        colour_order=colour,
        value_range=value_range,
        quant=QuantParams(1 / 255, -128),
    )
    return ModelBundle(
        path=Path("."),
        name="test",
        task="digits",
        labels=tuple("0123456789"),
        input=spec,
        preprocessing=preprocessing,
        meta={},
    )


def test_mnist_preprocessor_on_a_frame(mnist) -> None:
    x, _ = mnist
    grey, box = photo(x[0], 100)
    frame = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    pre = MnistPreprocessor()
    out = pre(frame, [box, box])
    assert out.shape == (2, 28, 28, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 0], mnist_normalise(grey, box))
    assert pre(frame, []).shape == (0, 28, 28, 1)
    # light ink on a dark board: inverted before normalising
    light = MnistPreprocessor(polarity="light")(cv2.bitwise_not(frame), [box])
    assert corr(light[0, :, :, 0], out[0, :, :, 0]) > 0.95
    auto = MnistPreprocessor(polarity="auto")(cv2.bitwise_not(frame), [box])
    assert corr(auto[0, :, :, 0], out[0, :, :, 0]) > 0.95
    with pytest.raises(ValueError, match="polarity"):
        MnistPreprocessor(polarity="upside-down")


def test_make_preprocessor_picks_by_bundle() -> None:
    from edge.preprocess import make_preprocessor

    assert isinstance(make_preprocessor(bundle("mnist-normalise")), MnistPreprocessor)
    assert isinstance(make_preprocessor(bundle("resize", (1, 32, 32, 3), "RGB")), ResizePreprocessor)
    hand = make_preprocessor(bundle("hand-crop", (1, 64, 64, 3), "RGB"))
    assert isinstance(hand, ResizePreprocessor) and hand.square
    with pytest.raises(ValueError, match="28, 28, 1"):
        make_preprocessor(bundle("mnist-normalise", (1, 32, 32, 1)))
    with pytest.raises(ValueError, match="unknown preprocessing"):
        make_preprocessor(bundle("sharpen"))


def test_resize_preprocessor_colour_order_and_range() -> None:
    from edge.preprocess import make_preprocessor

    frame = np.zeros((100, 200, 3), np.uint8)
    frame[:, :100] = (0, 0, 255)  # red in BGR on the left half, black on the right
    roi = ROI(0, 0, 100, 100)
    rgb = make_preprocessor(bundle("resize", (1, 16, 16, 3), "RGB", (-1.0, 1.0)))(frame, [roi])
    assert rgb.shape == (1, 16, 16, 3) and rgb.dtype == np.float32
    np.testing.assert_allclose(rgb[0, 8, 8], [1.0, -1.0, -1.0], atol=1e-6)
    bgr = make_preprocessor(bundle("resize", (1, 16, 16, 3), "BGR"))(frame, [roi])
    np.testing.assert_allclose(bgr[0, 8, 8], [0.0, 0.0, 1.0], atol=1e-6)
    grey = make_preprocessor(bundle("resize", (1, 16, 16, 1), "grey"))(frame, [roi])
    assert grey.shape == (1, 16, 16, 1) and abs(grey[0, 8, 8, 0] - 76 / 255) < 0.01


def test_hand_crop_is_square_and_padded() -> None:
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[:, 150:] = 255  # white on the right
    pre = ResizePreprocessor(bundle("hand-crop", (1, 20, 20, 3), "BGR"), square=True)
    crop = pre.crop(frame, ROI(150, 40, 50, 20))  # wide ROI at the right border
    assert crop.shape[:2] == (50, 50)
    assert pre(frame, [ROI(150, 40, 50, 20)]).shape == (1, 20, 20, 3)


def test_crop_input(mnist) -> None:
    x, _ = mnist
    grey, _ = photo(x[3], 70)
    img = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    out = crop_input(img, bundle("mnist-normalise"))
    assert out.shape == (28, 28, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, :, 0], mnist_normalise(grey))
    rgb = crop_input(img, bundle("resize", (1, 32, 24, 3), "RGB"))
    assert rgb.shape == (32, 24, 3)


# ---------------------------------------------------------------------------
# helpers shared with the segmenter
# ---------------------------------------------------------------------------
def test_shrink_is_anti_aliased_and_exact_in_size() -> None:
    from edge.segment.ink import shrink

    yy, xx = np.mgrid[0:300, 0:410]
    stripes = np.where((xx // 2) % 2 == 0, 200, 40).astype(np.uint8)  # 2-px stripes, mean 120
    out = shrink(stripes, (57, 43))
    assert out.shape == (43, 57) and out.dtype == np.uint8
    # plain sampling would alias the stripes into bands of 40 and 200
    assert abs(float(out.mean()) - 120) < 4 and float(out.std()) < 12
    colour = shrink(np.dstack([stripes] * 3), (57, 43))
    assert colour.shape == (43, 57, 3)
    assert shrink(stripes, (600, 500)).shape == (500, 600)  # enlarging: bilinear


def test_paper_noise_from_a_histogram() -> None:
    from edge.segment.ink import darkness_histogram, paper_noise

    rng = np.random.default_rng(0)
    paper = np.clip(rng.normal(20, 4, (200, 200)), 0, 255).astype(np.uint8)
    paper[50:60, 20:180] = 200  # 4 % ink does not move the median or the lower quartile
    mu, sigma = paper_noise(darkness_histogram(paper, None))
    assert abs(mu - 20) <= 1 and abs(sigma - 4) < 0.8
    assert paper_noise(darkness_histogram(np.zeros((10, 10), np.uint8), None)) == (0.0, 1.5)


def test_crop_input_takes_a_28x28_image_as_the_model_input() -> None:
    """edge-capture saves digits as 28x28 white-on-black model inputs: evaluated as they are."""
    from edge.bundle import load_bundle
    from edge.preprocess import crop_input

    bundle = load_bundle("digits")
    x = np.zeros((28, 28), np.uint8)
    cv2.line(x, (14, 4), (14, 23), 255, 3)
    got = crop_input(x, bundle)
    assert got.shape == (28, 28, 1) and got.dtype == np.float32
    np.testing.assert_allclose(got[:, :, 0], x / 255.0)
    # a photo (dark ink on paper, any other size) is still normalised: white ink on black
    photo = np.full((60, 50, 3), 230, np.uint8)
    cv2.line(photo, (25, 10), (25, 50), (20, 20, 20), 4)
    norm = crop_input(photo, bundle)
    assert norm.shape == (28, 28, 1) and norm[0, 0, 0] < 0.1 and norm.max() > 0.8
