"""The scale a frame's digits are analysed at (:class:`edge.segment.digits.DigitSegmenter`).

The first pass looks at the frame with its longer side ``analysis_width`` px: cheap,
and right for a webcam held at a digit. When the digits it sees are small (a page of
numbers, a 12 MP phone photo), their typical height tells the scale at which they are
``digit_px`` tall, and the frame is analysed again there (at most at full resolution).
When the first pass sees nothing digit-like at all, a large frame (four times ``analysis_width``
or more: a photo, or a camera or video of 1280 px or wider, every frame), or a still camera frame,
is looked at once more, closer (:func:`closer_look`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_pieces import AREA, CONTACT, MX, X0, X1, Y0, Y1
from edge.segment.ink import shrink
from edge.types import ROI


def scaled(grey: np.ndarray, f: float) -> np.ndarray:
    """``grey`` (uint8 (H, W)) scaled by ``f`` <= 1: area interpolation for whole-number
    factors (OpenCV's fast path), else Gaussian-pyramid halvings then bilinear
    (:func:`edge.segment.ink.shrink`); ``grey`` itself for ``f`` = 1."""
    if f >= 1.0:
        return grey
    H, W = grey.shape[:2]
    size = (max(1, int(round(W * f))), max(1, int(round(H * f))))
    inv = 1.0 / f
    if abs(inv - round(inv)) < 1e-6:
        return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    return shrink(grey, size)


def typical_height(boxes: np.ndarray, pieces: np.ndarray, sw: int, sh: int) -> tuple[float | None, int]:
    """The typical digit height of an analysis image (px), ``None`` when nothing
    digit-like is seen, and how many digits (or digit-like pieces) it is taken from.

    The median height of the digit boxes found; without any (digits shorter than the
    first pass's ``min_height``), the median height of the digit-like ink pieces: at
    least 3 px tall, 0.1 to 1.5 times as wide as tall, not on the frame's border, at
    least three of them.

    Returns:
        (the typical height or ``None``; the number of digit boxes, or of digit-like
        pieces when that is used).

    Args:
        boxes: float (M, >= 4) digit boxes x0, y0, x1, y1 (analysis px).
        pieces: float (N, 7) ink pieces (:mod:`edge.segment.digit_pieces` columns).
        sw: analysis image width (px).
        sh: analysis image height (px).
    """
    if len(boxes):
        return few_median((boxes[:, Y1] - boxes[:, Y0]).tolist()), len(boxes)
    if not len(pieces):
        return None, 0
    w, h = pieces[:, X1] - pieces[:, X0], pieces[:, Y1] - pieces[:, Y0]
    ok = (h >= 3) & (w >= 0.1 * h) & (w <= 1.5 * h) & (pieces[:, CONTACT] == 0) & (h < 0.5 * sh)
    if ok.sum() < 3:
        return None, 0
    return few_median(h[ok].tolist()), int(ok.sum())


def closer_look(f: float, still: bool) -> tuple[float, bool] | None:
    """The scale of a second first pass, for a frame whose first pass (at scale ``f`` of the
    frame, 0 < ``f`` <= 1) saw nothing digit-like (:func:`typical_height` gave ``None``), and
    whether that look applies the paper rule; ``None``: no second look.

    - ``f`` = 1: none (the frame's own pixels were seen);
    - a large image (``f`` <= 1/4, four times the analysis width or more: a 12 MP photo at the
      320-px analysis, but also a 1280x720 or 1920x1080 camera or video frame): 4x closer (at
      most full resolution), no paper rule (its digits may cover the page: no paper shows between
      them), whatever ``still`` says: such a camera analyses every frame that shows nothing
      digit-like, an empty desk's, twice (a blank 1280x720 frame about 0.9 -> 5 ms CPU);
    - a camera frame (1/4 < ``f`` < 1: a 640x480 frame at 320 px), ``still`` only (a photo:
      ``DigitSegmenterConfig.closer_look``): 2x closer (at most full resolution), with the
      paper rule. A lone digit under about 20 px tall is 10 px or less there, and blur or faint
      pencil (averaged with the paper by the downscale) lose it below the ink threshold or the
      first pass's ``min_height``; three digit-like pieces at least are needed to guess a
      typical height from pieces. At 2x its strokes keep their contrast (dev frames of
      ``realistic_digits.py``, seeds 21/22/23: +3 of 2,000, 97.0 / 97.6 / 96.8 -> 97.0 / 98.0 /
      96.9 %). A video frame of this size never takes it: every frame of an empty desk would be
      analysed twice (0.79 -> 3.4 ms CPU).

    Args:
        f: the first pass's scale (analysis px per frame px), in (0, 1].
        still: the frame is a still image (no frame budget).

    Returns:
        (the closer look's scale in (0, 1], whether it applies the paper rule), or ``None``.
    """
    if f >= 1.0:
        return None
    if f <= 0.25:
        return min(1.0, 4 * f), False
    return (min(1.0, 2 * f), True) if still else None


def finer_scale(f: float, typical: float, crowded: bool, cfg: DigitSegmenterConfig) -> float | None:
    """The scale of the finer look at a frame whose first pass (at scale ``f`` of the frame) found
    digits ``typical`` px tall (:func:`typical_height`), or ``None``: no finer look.

    Digits shorter than ``cfg.min_digit_px`` in an image seen at less than full resolution (a page of
    numbers, a 12 MP photo, a small digit in a 640x480 frame) are looked at again at the scale that
    makes them ``cfg.digit_px`` tall (at most 1, full resolution), when that is more than 1.25 x
    ``f``; a ``crowded`` first pass (more digits than it measures: a page) is looked at again as a
    page, at least at ``f``.

    Args:
        f: the first pass's scale (analysis px per frame px), in (0, 1].
        typical: the first pass's typical digit height (its analysis px).
        crowded: the first pass was crowded with digits.
        cfg: the segmenter's settings (``digit_px``, ``min_digit_px``).

    Returns:
        The finer look's scale in [``f``, 1], or ``None``.
    """
    small = typical < cfg.min_digit_px
    if not (crowded or (small and f < 1.0)):
        return None
    f2 = min(1.0, f * cfg.digit_px / typical) if small else f
    return max(f2, f) if f2 > 1.25 * f or crowded else None


def kept_whole(fine: np.ndarray, coarse: np.ndarray, r: float, share: float = 0.5) -> np.ndarray:
    """The finer look's digit boxes, with each first-pass digit that it cut into fragments restored.

    A small digit (a pencil or a blurred digit some 10-25 px tall in a 640x480 photo) that the
    first pass found whole can come apart in the finer look: at full resolution its strokes break
    where they are faintest, or where a ruled line crossing it is erased, and what is left are
    fragments that its rules keep (a loop, a bar) or drop (specks). The frame's answer is then a
    fragment read as another digit, or nothing. A first-pass box whose finer boxes (those with at
    least half their area inside it) together span less than ``share`` of its height is such a
    digit: those boxes are replaced by the first-pass box, scaled to the finer look's pixels. A
    first-pass box that holds none stays dropped (the finer look's reason to drop it, a dash of a
    grid's lines or a speck of texture that the coarse scale blurred into a digit-like blot, is
    often right: dev frames lose as many as they gain when it is restored too). Dev frames of
    ``benchmarks.realistic_digits`` (seeds 21-24, 3,000 frames): 5 such frames read right, none lost.

    Args:
        fine: float (M, 7) the finer look's boxes (:mod:`edge.segment.digit_pieces` columns), its px.
        coarse: float (N, 7) the first pass's boxes, its px.
        r: the finer look's px per first-pass px (> 1).
        share: see above, in (0, 1].

    Returns:
        float (M', 7) boxes in the finer look's px (``fine`` itself when no digit is restored).
    """
    keep, added = np.ones(len(fine), bool), []
    area = np.maximum((fine[:, X1] - fine[:, X0]) * (fine[:, Y1] - fine[:, Y0]), 1e-6)
    for row in coarse:
        x0, y0, x1, y1 = r * row[:4]
        iw = np.clip(np.minimum(fine[:, X1], x1) - np.maximum(fine[:, X0], x0), 0, None)
        ih = np.clip(np.minimum(fine[:, Y1], y1) - np.maximum(fine[:, Y0], y0), 0, None)
        held = keep & (iw * ih >= 0.5 * area)
        if held.any() and fine[held, Y1].max() - fine[held, Y0].min() < share * (y1 - y0):
            keep &= ~held
            whole = row.copy()
            whole[:4] *= r
            whole[AREA], whole[CONTACT], whole[MX] = r * r * row[AREA], r * row[CONTACT], r**3 * row[MX]
            added.append(whole)
    return np.vstack([fine[keep], np.array(added)]) if added else fine


def few_median(v: Sequence[float]) -> float:
    """Median of a short non-empty list of numbers (``np.median``'s value: the mean of the two middle
    ones for an even count; ``np.median``'s Python wrapper costs more than the sort)."""
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def frame_rois(boxes: np.ndarray, analysis: tuple[int, int], frame: tuple[int, int]) -> list[ROI]:
    """Boxes (float (M, >= 4) x0, y0, x1, y1 in the pixels of an analysis image of shape
    ``analysis`` (h, w)) as ROIs in the pixels of a frame of shape ``frame`` (H, W): grown
    outwards to whole pixels and clipped to the frame."""
    (sh, sw), (H, W) = analysis, frame
    sx, sy = W / sw, H / sh
    rois = []
    for x0, y0, x1, y1 in boxes[:, :4].tolist():  # plain Python: an ROI is made per box anyway
        left, top = math.floor(x0 * sx), math.floor(y0 * sy)
        rois.append(ROI(left, top, min(math.ceil(x1 * sx), W) - left, min(math.ceil(y1 * sy), H) - top))
    return rois


def ink_gate(
    clean: tuple[np.ndarray, tuple[int, int]] | None,
    around_boxes: bool,
    boxes: np.ndarray,
    shape: tuple[int, int],
    fine: tuple[int, int],
) -> np.ndarray | None:
    """Where a finer pass (:class:`edge.segment.digits.DigitSegmenter`'s look at small digits
    at a larger scale) may find ink: near the ink the first pass found its digits in.

    Ruling, squared paper and texture are fainter than the ink and thin: at the first pass's
    coarse scale they fade below its ink threshold or into clutter that its second, higher
    ink level drops (or the line eraser finds them), while at a finer scale the thin lines keep
    more of their contrast and break into hundreds of digit-sized dashes and crosses, which the
    finer pass (without a clutter rule: a page of numbers has hundreds of digits) would take
    for digits. What the first pass dropped stays dropped: the finer pass looks for ink only
    within one first-pass pixel of ``clean``, the ink the first pass found its digits in (the
    first level's, ruled lines erased, or the second level's above clutter), and with
    ``around_boxes`` only around the digits it found there (each box grown by 0.15 x its longer
    side + 1 px). The caller gives ``clean`` only when the first pass measured every component
    of it: clutter that its second level did not clear (a sheet densely covered with digits)
    may be ink, and the finer pass then looks everywhere.

    Args:
        clean: (uint8 (mh, mw) ink mask, its (x, y) origin) in first-pass px, or ``None``.
        around_boxes: keep only the ink around ``boxes`` (they were found in ``clean``).
        boxes: float (M, >= 4) x0, y0, x1, y1 of the first pass's digits (first-pass px).
        shape: (h, w) of the first pass's analysis image (px).
        fine: (h, w) of the finer pass's analysis image (px).

    Returns:
        uint8 ``fine`` mask, 255 where ink may be, or ``None``.
    """
    if clean is None:
        return None
    mask, (ox, oy) = clean
    h, w = shape
    placed = np.zeros((h, w), np.uint8)
    placed[oy : oy + mask.shape[0], ox : ox + mask.shape[1]] = mask
    full = cv2.dilate(placed, np.ones((3, 3), np.uint8))
    if around_boxes and len(boxes):
        near = np.zeros((h, w), np.uint8)
        for x0, y0, x1, y1 in boxes[:, :4].tolist():
            e = 0.15 * max(x1 - x0, y1 - y0) + 1
            near[max(0, int(y0 - e)) : int(y1 + e) + 1, max(0, int(x0 - e)) : int(x1 + e) + 1] = 255
        full = cv2.bitwise_and(full, near)
    return cv2.resize(full, (fine[1], fine[0]), interpolation=cv2.INTER_NEAREST)
