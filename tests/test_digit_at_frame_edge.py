"""A big digit cut by the frame's edge is read the full way (edge.preprocess.digit_ink).

Its ink runs along the image's own border; a component running along the border of the
digit's window was dropped as a paper edge or a shadow entering it, which left no ink (a blank
input, read as 1; as a pencil 8 filling the realistic frame 8/00346 of seed 22). Where the ROI
itself reaches the image's border, ink along it is the digit's.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.preprocess import MnistPreprocessor
from edge.types import ROI


def eight_cut_by_the_bottom(beyond: int) -> tuple[np.ndarray, ROI]:
    """uint8 (300, 320) grey frame: a pencil 8 (two rings 22 px wide, ink half as bright as
    the paper 215) whose lower ring runs ``beyond`` px past the bottom edge; and its ROI as a
    segmenter finds it, ending 2 px above that edge."""
    h, w = 300, 320
    img = np.full((h, w), 215.0, np.float32)
    ink = np.zeros((h, w), np.uint8)
    cv2.ellipse(ink, (160, 130), (45, 45), 0, 0, 360, 255, 22, cv2.LINE_AA)
    cv2.ellipse(ink, (160, 235 + beyond), (60, 62), 0, 0, 360, 255, 22, cv2.LINE_AA)
    img *= 1.0 - 0.5 * ink / 255.0
    noisy = cv2.GaussianBlur(img, (0, 0), 1.2) + np.random.default_rng(0).normal(0, 2, img.shape)
    ys, xs = np.nonzero(ink > 127)
    roi = ROI(int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(h - 3 - ys.min() + 1))
    return np.clip(noisy, 0, 255).astype(np.uint8), roi


@pytest.mark.parametrize("beyond", [0, 4])
def test_a_digit_running_off_the_frame_is_not_dropped_as_a_paper_edge(beyond: int) -> None:
    grey, roi = eight_cut_by_the_bottom(beyond)
    x = MnistPreprocessor(polarity="dark")(grey, [roi])[0, :, :, 0]
    assert x.max() > 0.9
    rows = np.nonzero(x.max(axis=1) > 0.5)[0]
    assert rows.max() - rows.min() >= 17  # both loops, the 8's whole height (20 px box)
