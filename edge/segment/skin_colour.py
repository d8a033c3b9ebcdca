"""Skin colour models: published skin boxes, rg chromaticity, Gaussians on its histogram."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Chai & Ngan (1999) skin box in YCrCb (OpenCV's 8-bit scaling): (Cr range, Cb range).
YCRCB_SKIN = ((133, 173), (77, 127))
#: Sobottka & Pitas (1996) skin in HSV: H 0..50 deg, S 0.23..0.68, in OpenCV's 8-bit
#: units (H = deg / 2, S x 255). Hue is extended down to -10 deg (OpenCV 175..180)
#: for reddish skin under warm light.
HSV_SKIN = ((-5, 25), (59, 173))


@dataclass(frozen=True)
class SkinModel:
    """A Gaussian skin colour model in normalised rg chromaticity (:func:`chromaticity`).

    Attributes:
        mean: float64 (2,) mean (red share, green share), 0..255 units
            (255 R / (R + G + B), 255 G / (R + G + B)).
        cov: float64 (2, 2) covariance, in those units squared.
    """

    mean: np.ndarray
    cov: np.ndarray


#: Bins per axis of the chromaticity histogram (4 units of 0..255 each).
RG_BINS = 64
RG_RANGES = [0, 256, 0, 256]
RG_CENTRES = (np.arange(RG_BINS) + 0.5) * (256.0 / RG_BINS)
#: The smallest standard deviation of a skin model: one bin (chromaticity units).
MIN_SD = 256.0 / RG_BINS
#: Half-width (bins) of the histogram window a skin cluster is fitted in ...
MODE_WINDOW = 10
#: ... which holds 2.5 of the largest standard deviation a model may have.
MAX_SD = MODE_WINDOW * MIN_SD / 2.5


def chromaticity(image: np.ndarray) -> np.ndarray:
    """Normalised rg chromaticity, the brightness-free colour of each pixel.

    ``(255 R / (R + G + B), 255 G / (R + G + B))``; shading and the camera's
    exposure scale R, G and B alike and leave it unchanged, so the skin of one
    person forms a tight cluster in it (J. Yang and A. Waibel, "A real-time face
    tracker", WACV 1996).

    Args:
        image: uint8 (H, W, 3) BGR.

    Returns:
        uint8 (H, W, 2): channel 0 the red share, channel 1 the green share, 0..255
        (0 for black pixels).
    """
    mean = cv2.transform(image, np.full((1, 3), 1.0 / 3.0, np.float32))
    _, g, r = cv2.split(image)
    return cv2.merge([cv2.divide(r, mean, scale=85.0), cv2.divide(g, mean, scale=85.0)])


def weighted_gaussian(
    weights: np.ndarray, max_sd: tuple[float, float], c1: np.ndarray = RG_CENTRES, c2: np.ndarray = RG_CENTRES
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean (2,) and regularised covariance (2, 2) of histogram bin centres.

    Args:
        weights: (n1, n2) weights of the bins whose centres are ``c1`` x ``c2``.
        max_sd: see :func:`_regularise`.
        c1, c2: (n1,), (n2,) bin centres of the two axes.
    """
    tot = float(weights.sum())
    w1, w2 = weights.sum(axis=1), weights.sum(axis=0)
    m = np.array([w1 @ c1 / tot, w2 @ c2 / tot])
    d1, d2 = c1 - m[0], c2 - m[1]
    v12 = float(d1 @ weights @ d2)
    cov = np.array([[w1 @ (d1 * d1), v12], [v12, w2 @ (d2 * d2)]]) / tot
    return m, _regularise(cov, max_sd)


def _regularise(cov: np.ndarray, max_sd: tuple[float, float]) -> np.ndarray:
    """``cov`` with each standard deviation clipped to [one bin, ``max_sd``], correlation kept."""
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    corr = cov[0, 1] / (sd[0] * sd[1]) if sd[0] > 0 and sd[1] > 0 else 0.0
    corr = float(np.clip(corr, -0.9, 0.9))
    sd = np.clip(sd, MIN_SD, np.asarray(max_sd, np.float64))
    return np.array([[sd[0] ** 2, corr * sd[0] * sd[1]], [corr * sd[0] * sd[1], sd[1] ** 2]])


def squared_mahalanobis(
    mean: np.ndarray, cov: np.ndarray, c1: np.ndarray = RG_CENTRES, c2: np.ndarray = RG_CENTRES
) -> np.ndarray:
    """float64 (n1, n2) squared Mahalanobis distance of the bin centres ``c1`` x ``c2``
    (default: the whole chromaticity histogram)."""
    a, b, c = float(cov[0, 0]), float(cov[0, 1]), float(cov[1, 1])
    d1, d2 = (c1 - mean[0])[:, None], (c2 - mean[1])[None, :]
    return (c * d1 * d1 - 2.0 * b * d1 * d2 + a * d2 * d2) * (1.0 / (a * c - b * b))
