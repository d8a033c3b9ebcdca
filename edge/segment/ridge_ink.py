"""A blurred stroke is still a ridge: a candidate solid at the frame's ink level, read at half its own peak.

The digit finder (:mod:`edge.segment.digits`) thresholds a frame at one ink level per
background level, set from the paper's noise (:func:`edge.segment.ink.ink_threshold`): a few
standard deviations above the paper, far below a dark stroke. Where the camera blurs the ink
(out of focus, motion; a blur of 2-7 % of the digit's height) or the stroke is thick for a small
digit, each stroke's darkness profile is a wide hump, and at that low level the humps of
neighbouring strokes run together: the loops of an 8, a 0 or a 6 fill in, the digit becomes a
solid patch (ink fill above ``max_fill``) and the solid-blob rule of
:func:`edge.segment.digit_merge.candidates` drops it (a 35-px red 8 on a yellow note, a 21-px
blue 0, an 18-px blue 5 found nowhere in ``benchmarks/realistic_digits.py`` frames).

The strokes are still ridges: darkest along their middles, lighter between them. Read at half
its own peak darkness (the full width at half maximum, as a blurred line's width is measured),
a blurred digit opens up again, while a truly solid thing (a thumb, a dark blot, a patch of
shadow) is about equally dark all over and stays solid: its ink at that level fills its own box as
much as before. :func:`half_peak_fill` gives the ink of a box at that level; the candidates rule
takes it for boxes it would drop as solid, clear of the frame's border and at most half the paper
kernel tall and wide (larger dark things, a hand entering the frame, a photo lying on a page, are
flat-fielded to a dark rim round a light inside and would open up too). On the dev frames of
``benchmarks/realistic_digits.py`` (the dev sets of seeds 21, 22 and 23 and one of seed 1931, 600
frames made with ``python benchmarks/realistic_digits.py generate --out DIR --crops 0 --frames 600
--seed 1931``: 2,600 frames) it finds 3 more digits and loses none; ``edge-bench classic``'s MNIST
digits on grey paper: read 98.9 -> 99.1 %.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_pieces import AREA, MX, X0, X1, Y0, Y1

__all__ = ["OPEN_FILL", "PEAK_PERCENTILE", "half_peak_fill", "reopened"]

#: A solid-looking candidate is a blurred digit when, at half its peak darkness, its ink fills at most
#: this share of its own box: below an ellipse's pi / 4 = 0.785, which a blot of any size or blur keeps
#: at that level give or take the quantisation of a small box (0.727-0.841 for ``tests/test_ridge_ink.py``'s
#: blurred ellipses 14-20 px wide in a 640x480 frame, 7-10 px at the 320-px analysis, blur sigma 0.8-2.5
#: px), where its blurred 8s (34 px tall, 3-px strokes, sigma 1.6 px) open to 0.632-0.636: a margin of
#: 0.014-0.018 on the digits' side, 0.077 on the blots'.
OPEN_FILL = 0.65
#: The box's peak darkness: this percentile of its ink's darkness (a percentile, so a few
#: dark pixels of noise or JPEG ringing do not set it).
PEAK_PERCENTILE = 90


def half_peak_fill(boxes: np.ndarray, dark: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ink of each box read at half its own peak darkness (never below the ink level):
    its area, and its fill of its own bounding box.

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1, analysis px (x1, y1 exclusive).
        dark: uint8 (h, w) darkness of the analysis image (0 = paper .. 255 = black).
        level: uint8 (h, w) the ink threshold: ink is darker than it.

    Returns:
        (float (N,) the number of pixels in each box darker than both its ink level and half
        the :data:`PEAK_PERCENTILE` th percentile of the darkness of its ink; float (N,) that
        number over the area of their bounding box, in [0, 1]; both 0 where a box holds no ink).
    """
    sh, sw = dark.shape
    area, fill = np.zeros(len(boxes)), np.zeros(len(boxes))
    for i, (x0, y0, x1, y1) in enumerate(boxes[:, :4].astype(int).tolist()):
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, sw), min(y1, sh)
        if x1 <= x0 or y1 <= y0:
            continue
        d, lv = dark[y0:y1, x0:x1], level[y0:y1, x0:x1]
        ink = d[d > lv]
        if not ink.size:
            continue
        half = np.uint8(min(255, int(np.percentile(ink, PEAK_PERCENTILE)) // 2))
        mask = cv2.compare(d, np.maximum(lv, half), cv2.CMP_GT)
        area[i] = cv2.countNonZero(mask)
        _, _, w, h = cv2.boundingRect(mask)
        fill[i] = area[i] / max(1, w * h)
    return area, fill


def reopened(
    boxes: np.ndarray,
    keep: list[int],
    solid: list[int],
    cfg: DigitSegmenterConfig,
    ink: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Rows ``keep`` of ``boxes`` plus those of ``solid`` whose fill at half their peak darkness
    passes (:func:`edge.segment.digit_merge.candidates`), with that ink area (and the sum of its x scaled
    by the new area over the old: the centre of mass is kept); in row order (a new table).

    Only boxes at most half the paper kernel (the flat-field's closing, ``cfg.background`` x the
    image's longer side, at most ``cfg.max_background``) on their longer side are read again: the
    darkness is the ink's own only inside things the closing bridges; a larger dark thing (a
    photo lying on the page, a hand) reads dark only along its rim and would open up like a digit.

    Args:
        boxes: float (M, 7) candidate boxes (:mod:`edge.segment.digit_pieces` columns), analysis px.
        keep: rows kept as they are.
        solid: rows dropped only as solid blobs (clear of the frame's border).
        cfg: the segmenter's settings (``background``, ``max_background``, ``min_fill``, ``max_fill``).
        ink: (uint8 (h, w) darkness of the analysis image, uint8 (h, w) its ink level).

    Returns:
        float (K, 7) the kept rows and the reopened ones, in row order.
    """
    dark = ink[0]
    k = min(cfg.background * max(dark.shape), cfg.max_background)
    rows = boxes[solid]
    fits = np.maximum(rows[:, X1] - rows[:, X0], rows[:, Y1] - rows[:, Y0]) <= 0.5 * k
    solid = [i for i, f in zip(solid, fits.tolist(), strict=True) if f]  # (larger ones: not read)
    if not solid:
        return boxes[sorted(keep)]
    area, fill = half_peak_fill(boxes[solid], *ink)  # (fill: of the box of that ink)
    opened = (fill >= cfg.min_fill) & (fill <= min(cfg.max_fill, OPEN_FILL))
    out = boxes.copy()
    out[solid, MX] *= area / np.maximum(out[solid, AREA], 1.0)
    out[solid, AREA] = area
    return out[sorted(keep + [i for i, o in zip(solid, opened.tolist(), strict=True) if o])]
