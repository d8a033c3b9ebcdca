"""A lone small, faint or blurred digit in a camera frame that the first (320-px) pass
loses: the segmenter looks once closer (:func:`edge.segment.digit_scale.closer_look`)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.segment.digit_scale import closer_look
from edge.segment.digits import DigitSegmenter
from edge.types import ROI
from tests.test_digits import assert_matches, camera, digit_of, ink_alpha, paper, pencil, stamp


def test_closer_look_scales() -> None:
    assert closer_look(1.0) is None  # the frame's own pixels were seen
    assert closer_look(0.5) == (1.0, True)  # a 640x480 frame at 320 px: full resolution, paper rule
    assert closer_look(0.4) == (0.8, True)
    assert closer_look(0.25) == (1.0, False)  # a large photo: 4x, no paper rule
    assert closer_look(0.1) == (0.4, False)


def lone_pencil_digit(
    mnist, label: int, seed: int, height: int, strength: float, blur: float
) -> tuple[np.ndarray, ROI]:
    """A 640x480 frame with one faint grey pencil digit ``height`` px tall, blurred by ``blur`` px."""
    img = paper(seed=seed, colour=(200, 205, 210))
    a = pencil(ink_alpha(digit_of(mnist, label, seed), height), strength, seed=seed)
    ys, xs = np.nonzero(a > 0.25)
    x, y = 300 + 7 * seed, 200 + 5 * seed
    stamp(img, a, x, y, colour=(110, 110, 110))
    box = ROI(
        x + int(xs.min()), y + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
    )
    return camera(img, seed=seed, blur=blur, noise=3.0), box


@pytest.mark.parametrize(
    ("label", "seed", "height", "strength", "blur"),
    [(7, 0, 18, 0.55, 1.2), (1, 2, 18, 0.55, 1.2), (2, 5, 18, 0.55, 1.2), (9, 1, 14, 0.8, 1.6)],
)
def test_a_lone_faint_small_digit_is_found(
    mnist, label: int, seed: int, height: int, strength: float, blur: float
) -> None:
    """Lost at the 320-px first pass (faint and blurred, 7 to 9 px tall there), found at
    full resolution."""
    frame, box = lone_pencil_digit(mnist, label, seed, height, strength, blur)
    assert_matches(DigitSegmenter().find(frame), [box])
