"""A still frame's "1" that is a piece of a longer straight edge: a paper border, a shadow's rim, a line.

A thin straight piece of clutter is read as a confident "1" (0.9-0.98): a stretch of a paper's
border, of a shadow's rim or of a grid line that the segmenter cut out as a digit-sized piece. A
real "1" ends where its stroke ends: beyond its two ends lies paper. A piece of an edge does not:
the edge goes on, in the same direction and as strong, past the piece's box.

:func:`continues_edge` tests one box: the axis of the strongest gradient pixels in the box (their
weighted principal direction), the gradient magnitude along that axis inside the box (its median:
the stroke's strength) and beyond each end for :data:`REACH` times as far as the stroke is long; the box is a
piece of an edge when on one side at least :data:`GOES_ON` of the samples are at least half the
stroke's strength. Only small boxes (at most :data:`MAX_PIECE` px tall in the frame) with a strong
stroke (median gradient at least :data:`MIN_STRENGTH`) are tested: a large soft "1" has a weak
gradient along its middle that the noise around it matches.

:func:`drop_edge_ones` removes such "1"s from a :class:`~edge.roi_reading.Reading` (the still
frame's answer is then another digit found, or the frame is read again 2x closer by
:mod:`edge.still_closer`).

Measured on the frames of ``benchmarks/realistic_digits.py`` (640x480, ``edge-eval --frame``): of
the 29 dev frames (seeds 21-24, 3,000) misread as a "1", about 14 are edge pieces (a paper's or
desk's border 7, a grid line or the frame's corner 5, a shadow's rim 2), 11 pieces of the real digit
(a stem, a dash of a dotted stroke), 3 a finger's or blob's tip, 1 nothing found; 9 are dropped by
this test. With the closer check before its height rule (edge.still_closer), dev frames: 5 gained
(the real digit was found too, or read 2x closer), 1 lost (a
grid-line piece that was a lucky "1" beside a faint 1 not found); fresh seeds 31 / 32 (2,000 frames,
never tuned on) 2 gained, none lost. OpenCV's ``digits.png`` 5,007 -> 5,005 detections (two "1"s that
were pieces of a 6 and a 9 dropped), the synthetic pages and the live loop unchanged. About 0.1 ms
CPU a frame (dev seed 21, 250 frames: 24 ms in all; a frame without a "1" pays nothing).

Imports OpenCV, NumPy, :mod:`edge.segment.ink` (grey conversion) and :mod:`edge.roi_reading` (the
reading type).
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.roi_reading import Reading
from edge.segment.ink import to_grey

__all__ = ["GOES_ON", "MAX_PIECE", "MIN_STRENGTH", "REACH", "continues_edge", "drop_edge_ones"]

#: Fraction of one side's samples (beyond the box, along its axis) that must be at least half the
#: stroke's gradient for the box to be a piece of a longer edge.
GOES_ON = 0.95
#: How far past each end the edge is followed, in stroke lengths: twice as far as the stroke is long
#: (once as far drops the 1s of OpenCV's ``digits.png`` whose cell below holds another 1 in line).
REACH = 2.0
#: Tallest box (frame px, its longer side) tested.
MAX_PIECE = 40
#: Weakest stroke tested: the median gradient magnitude (3x3 Sobel of the 3x3-blurred grey frame,
#: grey levels per px x 4) along the box's axis.
MIN_STRENGTH = 40.0


def _gradient(grey: np.ndarray, box: tuple[int, int, int, int], pad: int) -> tuple[np.ndarray, int, int]:
    """Gradient magnitude (float32) of ``grey`` around ``box`` grown by ``pad`` px, with its origin."""
    x, y, w, h = box
    x0, y0 = max(0, x - pad), max(0, y - pad)
    g = cv2.GaussianBlur(grey[y0 : y + h + pad, x0 : x + w + pad].astype(np.float32), (3, 3), 0)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    return np.hypot(gx, gy), x0, y0


def _along(mag: np.ndarray, points: np.ndarray, normal: np.ndarray, band: int = 2) -> np.ndarray:
    """Largest ``mag`` within ``band`` px across the axis at each (N, 2) x, y point (NaN outside)."""
    offs = np.arange(-band, band + 1, dtype=np.float64)
    q = np.rint(points[:, None, :] + offs[None, :, None] * normal[None, None, :]).astype(np.int64)
    h, w = mag.shape
    ok = (q[..., 0] >= 0) & (q[..., 0] < w) & (q[..., 1] >= 0) & (q[..., 1] < h)
    vals = np.where(ok, mag[np.clip(q[..., 1], 0, h - 1), np.clip(q[..., 0], 0, w - 1)], -1.0)
    best = vals.max(axis=1)
    return np.where(ok.any(axis=1), best, np.nan)


def continues_edge(grey: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether the stroke in ``box`` is a piece of a longer straight edge (module doc).

    Args:
        grey: uint8 (H, W) grey frame.
        box: ``(x, y, w, h)`` frame px.

    Returns:
        True when the box is small, its stroke strong and the edge goes on past one end.
    """
    x, y, w, h = (int(v) for v in box)
    if max(w, h) > MAX_PIECE or w < 1 or h < 1:
        return False
    pad = int(REACH * 1.5 * max(w, h)) + 8
    mag, x0, y0 = _gradient(grey, (x, y, w, h), pad)
    sub = mag[y - y0 : y - y0 + h, x - x0 : x - x0 + w]
    ys, xs = np.nonzero(sub >= np.percentile(sub, 80))
    wts = sub[ys, xs].astype(np.float64)
    if wts.sum() <= 0:
        return False
    pts = np.stack([xs + (x - x0), ys + (y - y0)], 1).astype(np.float64)
    c = (pts * wts[:, None]).sum(0) / wts.sum()
    d = pts - c
    axis = np.linalg.eigh((d * wts[:, None]).T @ d / wts.sum())[1][:, 1]
    normal = np.array([-axis[1], axis[0]])
    t = d @ axis
    t0, t1 = float(t.min()), float(t.max())
    inside = _along(mag, c + np.arange(t0, t1 + 1e-6)[:, None] * axis, normal)
    strength = float(np.nanmedian(inside)) if np.isfinite(inside).any() else 0.0
    if strength < MIN_STRENGTH:
        return False
    reach = np.arange(2.0, REACH * max(t1 - t0, 4.0) + 2.0)
    for sign, end in ((-1.0, t0), (1.0, t1)):
        out = _along(mag, c + (end + sign * reach)[:, None] * axis, normal)
        out = out[np.isfinite(out)]
        if len(out) >= 0.5 * len(reach) and np.mean(out >= 0.5 * strength) >= GOES_ON:
            return True
    return False


def drop_edge_ones(reading: Reading, image: np.ndarray) -> Reading:
    """``reading`` without its "1"s that are pieces of a longer straight edge (:func:`continues_edge`).

    Args:
        reading: a still frame's reading (:func:`edge.roi_reading.read_rois`).
        image: the uint8 (H, W, 3) BGR frame it read, or its uint8 (H, W) grey (0 black .. 255
            white; the segmenter's, :func:`edge.roi_inputs.frame_grey`, is not converted again).

    Returns:
        ``reading`` itself when nothing is dropped; else a new reading whose ``found`` is a new list
        (the kept ROIs of ``reading.found``).
    """
    ones = [i for i, p in enumerate(reading.predictions) if p.label == "1"]
    if not ones:
        return reading
    grey = to_grey(image)
    boxes = [reading.rois[i].as_list() for i in ones]
    drop = {i for i, (x, y, w, h) in zip(ones, boxes, strict=True) if continues_edge(grey, (x, y, w, h))}
    if not drop:
        return reading
    keep = [i for i in range(len(reading.rois)) if i not in drop]
    gone = {id(reading.rois[i]) for i in drop}
    return Reading(
        [r for r in reading.found if id(r) not in gone],
        [reading.rois[i] for i in keep],
        [reading.light[i] for i in keep],
        reading.probabilities[keep],
        [reading.predictions[i] for i in keep],
    )
