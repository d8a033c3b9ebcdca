"""A 2-px-wide ink (a thin, straight "1") is placed by its image moments, not as a polygon
(edge.preprocess.mnist_format.image_moments): OpenCV reads a float32 (n, 2) array as n points."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.preprocess.mnist_format import MNIST_CENTRE, deskew_ink, image_moments, place_mnist


def _centre(a: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[: a.shape[0], : a.shape[1]]
    return float((a * xs).sum() / a.sum()), float((a * ys).sum() / a.sum())


@pytest.mark.parametrize("left", [0.0, 0.5, 1.0])
def test_a_thin_one_is_placed_at_mnists_centre(left: float) -> None:
    ink = np.zeros((40, 3), np.float32)  # 2 px wide in the 20-px box
    ink[:, 1] = 1.0
    ink[8:32, 0] = left
    out = place_mnist(ink)
    assert out is not None and out.sum() > 15  # not blank
    cx, cy = _centre(out)
    assert abs(cx - MNIST_CENTRE[0]) <= 0.501 and abs(cy - MNIST_CENTRE[1]) <= 0.501  # (whole-px shift)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8, np.float64])
def test_image_moments_of_a_two_px_wide_image_are_its_sums(dtype: type) -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, (17, 2)).astype(dtype)
    m = image_moments(a)
    ys, xs = np.mgrid[:17, :2]
    assert m["m00"] == pytest.approx(float(a.sum()))
    assert m["m10"] == pytest.approx(float((a * xs).sum()))
    assert m["m01"] == pytest.approx(float((a * ys).sum()))


def test_image_moments_of_wider_images_are_opencvs_own() -> None:
    a = np.random.default_rng(4).random((20, 7)).astype(np.float32)
    assert image_moments(a) == cv2.moments(a)


def test_a_thin_one_is_not_sheared_as_a_polygon() -> None:
    ink = np.zeros((30, 2), np.float32)
    ink[:, 0] = 1.0
    ink[5:25, 1] = 1.0
    assert np.array_equal(deskew_ink(ink), ink)  # upright: no shear (mu11 = 0 about its centre)
