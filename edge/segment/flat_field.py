"""The digit finder's flat-field: the paper estimated and divided out of the analysis image.

The paper (background) is a grey morphological closing wider than any pen stroke
(``DigitSegmenterConfig.background`` of the image's longer side, at most
``max_background`` px); dividing the image by it cancels uneven light, shadows and the
paper's colour, leaving each pixel's darkness relative to its paper. Where the
background itself is nearly black (a dark desk, the room) the ratio is mostly
amplified sensor noise, and no ink is looked for there.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_scene import percentile_level
from edge.segment.ink import above, odd
from edge.segment.square_close import close_square

__all__ = ["flat_field"]


def paper_kernel(shape: tuple[int, ...], cfg: DigitSegmenterConfig) -> int:
    """Side (px, odd, >= 3) of the paper estimate's closing for an analysis image of ``shape``
    ((h, w, ...)): ``cfg.background`` x its longer side, at most ``cfg.max_background``."""
    return odd(min(cfg.background * max(shape[:2]), cfg.max_background))


def flat_field(
    cfg: DigitSegmenterConfig, small: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    """The background, the darkness and the lit part of an analysis image.

    Args:
        cfg: the segmenter's settings (``background``, ``max_background``, ``min_light``).
        small: uint8 (h, w) grey analysis image (dark ink on light paper).

    Returns:
        (uint8 (h, w) background estimate (grey levels); uint8 (h, w) darkness, 0 paper ..
        255 black, 0 where unlit; uint8 (h, w) mask of the lit part (255), pixels whose
        background is above ``min_light`` x the lit paper's level, or ``None`` when
        ``min_light`` is 0; the lit paper's background grey level: the 95th percentile of
        a 4 x 4-px sample of the background).
    """
    sh, sw = small.shape
    bg = close_square(small, paper_kernel(small.shape, cfg))  # (a grey closing, in fewer passes)
    ratio = cv2.divide(small, bg, scale=255.0)
    bright = percentile_level(bg[::4, ::4].ravel(), 0.95)  # the lit paper's grey level
    if cfg.min_light <= 0:
        return bg, cv2.bitwise_not(ratio), None, bright
    lit = above(bg, cfg.min_light * bright)
    return bg, cv2.subtract(lit, ratio), lit, bright  # 255 - ratio where lit (255), 0 where not
