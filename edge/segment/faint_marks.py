"""Digit candidates much fainter than the frame's writing (:class:`edge.segment.digits.DigitSegmenter`).

What a frame's threshold lets in besides the writing is fainter than it: a printed ruling's dashes
(a shadow or dim light breaks a squared page's lines into digit-sized pieces that the line eraser
and :mod:`edge.segment.digit_ruling` do not take), the soft edge of a shadow or of the paper, paper
texture. Each is read as a "1", a "7" or a "4", often more confidently than the digit itself.
Written ink is the darkest mark on the page: its darkest part (the :data:`PEAK_QUANTILE` quantile of
a candidate's ink darkness, the paper divided out) is at least :data:`FAINT` x that of the frame's
darkest candidate, and a candidate whose ink is that much fainter is dropped, unless it is clearly
ink by itself, its peak :data:`CLEAR` x the ink threshold in its box or more (a pencil digit beside
a marker digit, or beside a pen lying on the desk, is not taken for ruling). The candidates are
measured only when one of them may be faint (:func:`all_clear`, the common case: ~6.5 us a box,
0.033 ms a frame on ``edge-bench classic``'s mnist-grey frames, 0.039 ms before its cv2 threshold and
early pass; :func:`ink_peaks` ~9 us a box).

On the camera-like dev sets (realistic_digits seeds 21 / 22 / 23, 1,939 candidates on the digit
and 418 elsewhere) this drops 71 of those elsewhere and none on a digit; whole-frame accuracy
(the most confident detection) 95.8 -> 96.0, 97.2 -> 97.4, 95.1 -> 95.3 % (seed 2001, 400
frames, at ``CLEAR`` 1.4: 95.25 -> 95.75 %). ``CLEAR`` 1.6 gains more there (96.2 / 97.4 /
95.6 %) but drops faint pencil digits (1.44 x the threshold) beside a red pen three times as
dark in ``edge-bench classic``'s demo frames: by darkness alone, one dark digit among faint ruling
and one dark pen among faint pencil digits are the same picture.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

#: A candidate whose ink peak is below this share of the frame's darkest candidate's is faint ...
FAINT = 0.5
#: ... unless its ink peak is this many times the lowest ink threshold in its box or more.
CLEAR = 1.4
#: The quantile of a candidate's ink darkness taken as its peak (its darkest pixels, not one noisy pixel).
PEAK_QUANTILE = 0.9


def ink_peaks(boxes: np.ndarray, dark: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Each box's ink peak and the ink threshold in it.

    Args:
        boxes: float (M, >= 4) boxes x0, y0, x1, y1 (x1/y1 exclusive) in ``dark``'s px.
        dark: uint8 (h, w) darkness (0 = paper .. 255 = black).
        level: uint8 (h, w) the ink threshold (``dark > level`` is ink).

    Returns:
        float (M, 2): the :data:`PEAK_QUANTILE` quantile of the darkness of the box's ink and the
        lowest threshold in the box (0, 0 where the box holds no ink).
    """
    h, w = dark.shape
    out = np.zeros((len(boxes), 2))
    for i, (x0, y0, x1, y1) in enumerate(boxes[:, :4].tolist()):  # (columns X0, Y0, X1, Y1)
        xa, ya = min(max(int(x0), 0), w), min(max(int(y0), 0), h)
        xb, yb = min(max(math.ceil(x1), xa), w), min(max(math.ceil(y1), ya), h)
        d, t = dark[ya:yb, xa:xb], level[ya:yb, xa:xb]
        inked = d[d > t]
        if n := inked.size:
            k = min(n - 1, int(PEAK_QUANTILE * n))
            out[i] = np.partition(inked, k)[k], t.min()
    return out


def not_faint(boxes: np.ndarray, dark: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Which candidates are not much fainter than the frame's writing (see the module docstring).

    Args:
        boxes: float (M, >= 4) candidate boxes x0, y0, x1, y1 in ``dark``'s px
            (:mod:`edge.segment.digit_pieces` columns).
        dark: uint8 (h, w) the analysis image's darkness (0 = paper .. 255 = black).
        level: uint8 (h, w) its ink threshold.

    Returns:
        bool (M,): the candidates kept (all when there are fewer than two).
    """
    if len(boxes) < 2 or all_clear(boxes, dark, level):
        return np.ones(len(boxes), bool)
    peak, under = ink_peaks(boxes, dark, level).T
    return ~((peak < FAINT * peak.max()) & (peak < CLEAR * under))


def all_clear(boxes: np.ndarray, dark: np.ndarray, level: np.ndarray) -> bool:
    """Whether every candidate is clearly ink (:data:`CLEAR`), told cheaply: enough of the ink in
    its box (``dark > level``) for its :data:`PEAK_QUANTILE` quantile is darker than :data:`CLEAR` x
    the threshold at the box's centre, at least the lowest in the box (``True`` is what
    :func:`ink_peaks` finds; ``False`` may be wrong: then it measures all)."""
    h, w = dark.shape
    # (columns X0, Y0, X1, Y1 are the first four: a view, not a fancy-indexed copy; the clipping
    # as ink_peaks's min/max, written out: a few boxes a frame)
    for x0, y0, x1, y1 in boxes[:, :4].tolist():
        xa, ya, xb, yb = int(x0), int(y0), math.ceil(x1), math.ceil(y1)
        xa = 0 if xa < 0 else (w if xa > w else xa)
        ya = 0 if ya < 0 else (h if ya > h else ya)
        xb = xa if xb < xa else (w if xb > w else xb)
        yb = ya if yb < ya else (h if yb > h else yb)
        if xa == xb or ya == yb:
            continue  # no ink: kept by the full measure too
        d, t = dark[ya:yb, xa:xb], level[ya:yb, xa:xb]
        # the clear ink: dark > CLEAR x the centre's threshold (cv2 compares uint8 with its floor: the
        # same for integer darkness; TOZERO leaves 0 elsewhere, never > the threshold) and > the threshold
        clear = CLEAR * int(level[(ya + yb) // 2, (xa + xb) // 2])
        m = np.count_nonzero(cv2.threshold(d, clear, 255, cv2.THRESH_TOZERO)[1] > t)
        if m >= _needed(d.size):
            continue  # enough whatever the box's ink (:func:`_needed` grows with it)
        n = int(np.count_nonzero(d > t))
        if n and m < _needed(n):  # (no ink: kept by the full measure too)
            return False
    return True


def _needed(n: int) -> int:
    """How many of ``n`` (>= 1) ink px must be clear for the :data:`PEAK_QUANTILE` quantile to be:
    non-decreasing in ``n`` (by 0 or 1 a px)."""
    return n - min(n - 1, int(PEAK_QUANTILE * n))
