"""Find the hand in a camera frame: pluggable hand segmentation for the hands task.

Every segmenter here satisfies :class:`edge.pipeline.Segmenter` (``find(image) ->
list[ROI]``) and also has ``segment(image) -> list[HandSegmentation]``, which adds
the hand's mask and a score. Pick one by name with :func:`make_hand_segmenter`:

- ``"skin"`` / ``"skin-hsv"``, :class:`SkinSegmenter`: skin colour, any still or
  moving camera, no set-up. Starts from a published skin box (YCrCb: D. Chai and
  K. N. Ngan, "Face segmentation using skin-color map in videophone applications",
  IEEE TCSVT 9(4), 1999: Cr 133..173, Cb 77..127; HSV: K. Sobottka and I. Pitas,
  1996: H 0..50 deg, S 0.23..0.68) and adapts it to each frame (see the class);
  ``calibrate(image, roi)`` learns one user's skin from a box they hold a hand in.
- ``"background"``, :class:`BackgroundSubtractionSegmenter`: a still camera; learns
  the empty scene over the first frames (running average, or OpenCV's MOG2) and
  takes what differs from it, optionally only where it is also skin-coloured.
- ``"chroma"``, :class:`ChromaKeySegmenter`: a green screen (as in the
  ``kaggle-drgfreeman-rps-cv`` studio set); the hand is what is not green.

All of them share the blob stage (:class:`_BlobSegmenter`): the frame is analysed
at a small size (``analysis_size`` = 160 px on the longer side by default, bilinear
downscaling, which averages 2x2 of every 4x4 block of a 640x480 frame: enough for a
colour mask), each foreground mask (one per colour model) is cleaned by a 3x3
opening and closing, and its 8-connected components are the candidates.
Components smaller than ``min_area`` of the frame (1.5 %: specks, a distant face),
larger than ``max_area`` (60 %), spanning 90 % of both sides of the frame (a beige
wall, a wooden desk, a lighting change) or box-shaped (filling more than
``max_rect_fill`` = 90 % of their minimum-area rectangle: a door, a cardboard box;
a hand with its fingers and wrist fills at most about 85 %) are rejected, so an
empty scene gives ``[]``. The ``max_hands`` best by score (the component's area as
a fraction of the frame, times the penalties below) are kept; a candidate whose
ROI overlaps a better one's by IoU > 0.5 is the same hand and is dropped.

The ROI of a blob is made to look like a training crop (a hand with some wrist and
background around it):

- **arm cut**: a blob that touches the frame border is an arm entering there; one
  that touches no border but is elongated with one end near the border (within
  ``sleeve_gap`` = 25 % of the shorter side: a forearm in a sleeve) enters there.
  Its widths are measured slice by slice along its major axis from the far end
  (the fingertips) towards the arm; the hand's width is the largest, the
  forearm's the median over the slices nearest the arm's end.
  When the forearm is clearly narrower (below ``wrist_ratio`` = 0.75 of the hand),
  the wrist is the first slice past the widest where the width comes within a
  quarter of the way from the forearm's width to the hand's, and the ROI keeps the
  far end down to ``arm_keep`` (half a hand width) past it; in any case it keeps
  at most ``max_hand_length`` (2.5) hand widths. A compact blob that touches no
  border (a hand alone) is kept whole;
- the box is grown by ``margin`` (25 %) of its longer side on each side and made
  square about its centre, then clipped to the frame (the preprocessor pads the
  clipped part by edge replication, as training does).

Faces are skin too. :class:`SkinSegmenter` marks a blob as face-like when it has at
least two holes of non-skin pixels inside (eyes, brows, mouth, nostrils; a hand has
at most one, in an OK sign) and multiplies its score by ``face_penalty`` (0.25), so
with ``max_hands=1`` a hand wins over a face up to four times its area; a face that
is the only candidate is still returned, and the classifier's ``none`` class is
what rejects it.

Masks reach the preprocessor through ``last_segmentations``: after each ``find``
or ``segment`` the segmenter keeps that frame's :class:`HandSegmentation` list, and
:class:`edge.preprocess.HandPreprocessor` (given the segmenter) looks each ROI up
there by equality. ROIs from anywhere else simply have no mask.

Cost per 640x480 frame, median (99th percentile) over 400 synthetic rooms (3/4
with a hand; ``tests/test_hands.py`` scenes) on the 2-core x86-64 development
machine while a training job kept both cores busy: ``"skin"`` 0.9 ms (1.8 ms),
0.16 ms for a frame without enough skin-coloured pixels; ``"chroma"`` 0.3 ms;
``"background"`` 0.7 ms. The frame is only read through its downscaled copy, so
the cost hardly grows with the camera's resolution.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from edge.types import ROI

log = logging.getLogger(__name__)

#: Names accepted by :func:`make_hand_segmenter`.
SEGMENTERS = ("skin", "skin-hsv", "background", "chroma")

#: Chai & Ngan (1999) skin box in YCrCb (OpenCV's 8-bit scaling): (Cr range, Cb range).
YCRCB_SKIN = ((133, 173), (77, 127))
#: Sobottka & Pitas (1996) skin in HSV: H 0..50 deg, S 0.23..0.68, in OpenCV's 8-bit
#: units (H = deg / 2, S x 255). Hue is extended down to -10 deg (OpenCV 175..180)
#: for reddish skin under warm light.
HSV_SKIN = ((-5, 25), (59, 173))


@dataclass(frozen=True)
class HandSegmentation:
    """One hand candidate in a frame.

    Attributes:
        roi: the crop for the classifier in full-frame px: the hand (cut at the
            wrist, see the module) grown by the segmenter's margin and made square,
            clipped to the frame.
        mask: uint8 (mh, mw) 0/255, 255 on the hand's blob (this component only,
            wrist and arm included), covering the ROI region at the segmenter's
            analysis resolution (``mh / roi.h`` is about the analysis scale, e.g.
            1/4 for a 640x480 frame). :meth:`full_mask` resizes it to the ROI.
        score: ranking score: ``area`` times the segmenter's penalties (e.g.
            :class:`SkinSegmenter`'s ``face_penalty``).
        area: the blob's area as a fraction of the frame, in (0, 1].
    """

    roi: ROI
    mask: np.ndarray = field(repr=False, compare=False)
    score: float
    area: float

    def full_mask(self) -> np.ndarray:
        """uint8 (roi.h, roi.w) 0/255 mask of the hand in the ROI's full-frame px.

        Bilinear upscaling of :attr:`mask`, thresholded at 128.
        """
        if self.roi.w == 0 or self.roi.h == 0 or self.mask.size == 0:
            return np.zeros((self.roi.h, self.roi.w), np.uint8)
        big = cv2.resize(self.mask, (self.roi.w, self.roi.h), interpolation=cv2.INTER_LINEAR)
        return cv2.threshold(big, 127, 255, cv2.THRESH_BINARY)[1]


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


def _check_image(image: np.ndarray) -> None:
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3
            and image.shape[2] == 3 and image.shape[0] > 0 and image.shape[1] > 0):
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise ValueError(f"hand segmentation needs a uint8 (H, W, 3) BGR frame, got {dtype} {shape}; "
                         "convert grey frames with cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)")


_K3 = np.ones((3, 3), np.uint8)


#: Segments the border band is cut into (4 per side) for the background test.
_SEGMENTS = 16


@functools.lru_cache(maxsize=8)
def _border(shape: tuple[int, int], width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The border band of an image of ``shape`` (h, w), ``width`` px wide.

    Returns:
        (uint8 (h, w) 255 on the band, int64 (N,) flat indices of its px, int64 (N,)
        their segment 0..15: 4 equal segments per side, top, right, bottom, left).
    """
    h, w = shape
    band = np.full(shape, 255, np.uint8)
    band[width:h - width, width:w - width] = 0
    yy, xx = np.mgrid[0:h, 0:w]
    # nearest side: 0 top, 1 right, 2 bottom, 3 left
    side = np.argmin(np.stack([yy, w - 1 - xx, h - 1 - yy, xx]), axis=0)
    along = np.where(side % 2 == 0, xx * 4 // w, yy * 4 // h)
    idx = np.flatnonzero(band.reshape(-1))
    seg = (side * 4 + along).reshape(-1)[idx]
    return band, idx, seg.astype(np.int64)


class _BlobSegmenter:
    """The blob stage shared by the hand segmenters (see the module docstring).

    Subclasses implement ``_foregrounds(small) -> list of uint8 (h, w) 0/255 masks``
    on the analysis image (one per colour model; usually one) and may set
    ``_face_holes`` to demote face-like blobs.

    Args:
        analysis_size: longer side (px) of the analysed image; larger frames are
            downscaled (bilinear) first. 64..1024.
        max_hands: at most this many hands are returned (>= 1).
        min_area: smallest blob, fraction of the frame (0.015 = 1.5 %).
        max_area: largest blob, fraction of the frame; larger ones (a wall, a desk,
            a lighting change) are not hands.
        margin: the ROI is the hand's box grown by this fraction of its longer
            side on every side, then made square.
        cut_arm: cut blobs entering from the border at the wrist (module docstring).
        wrist_ratio: an arm is cut at the wrist only when the forearm (the blob's
            median width near the border) is narrower than this fraction of the hand
            (its largest width).
        arm_keep: hand widths of forearm kept past the wrist (training crops show
            some forearm).
        max_hand_length: the kept hand is at most this many hand widths long.
        sleeve_gap: an elongated blob touching no border is an arm in a sleeve when
            one end is within this fraction of the image's shorter side of the border.
        face_penalty: score factor for face-like blobs (used by :class:`SkinSegmenter`).
        max_rect_fill: blobs filling more than this fraction of their minimum-area
            rectangle are box-shaped (a door, a cardboard box, a sheet) and rejected;
            a hand with its fingers and wrist fills at most about 0.85. 1 disables.

    Raises:
        ValueError: a setting out of range (the message names it).
    """

    _face_holes = False

    def __init__(self, *, analysis_size: int = 160, max_hands: int = 1, min_area: float = 0.015,
                 max_area: float = 0.6, margin: float = 0.25, cut_arm: bool = True,
                 wrist_ratio: float = 0.75, arm_keep: float = 0.5, max_hand_length: float = 2.5,
                 sleeve_gap: float = 0.25, face_penalty: float = 0.25, max_rect_fill: float = 0.9) -> None:
        if not 64 <= analysis_size <= 1024:
            raise ValueError(f"analysis_size must be 64..1024 px, got {analysis_size}")
        if max_hands < 1:
            raise ValueError(f"max_hands must be >= 1, got {max_hands}")
        if not 0.0 < min_area < max_area <= 1.0:
            raise ValueError("need 0 < min_area < max_area <= 1 (fractions of the frame), got "
                             f"{min_area}, {max_area}")
        if not 0.0 <= margin <= 1.0:
            raise ValueError(f"margin must be in [0, 1] (fraction of the hand's longer side), got {margin}")
        if not 0.0 < wrist_ratio < 1.0 or not 0.0 <= arm_keep <= max_hand_length or max_hand_length < 1.0:
            raise ValueError("need 0 < wrist_ratio < 1, 0 <= arm_keep <= max_hand_length and "
                             f"max_hand_length >= 1, got {wrist_ratio}, {arm_keep}, {max_hand_length}")
        if not 0.0 <= sleeve_gap <= 0.5:
            raise ValueError(f"sleeve_gap must be in [0, 0.5] (fraction of the shorter side), got "
                             f"{sleeve_gap}")
        if not 0.0 <= face_penalty <= 1.0 or not 0.5 <= max_rect_fill <= 1.0:
            raise ValueError(f"need 0 <= face_penalty <= 1 and 0.5 <= max_rect_fill <= 1, got "
                             f"{face_penalty}, {max_rect_fill}")
        self.analysis_size = int(analysis_size)
        self.max_hands = int(max_hands)
        self.min_area = float(min_area)
        self.max_area = float(max_area)
        self.margin = float(margin)
        self.cut_arm = bool(cut_arm)
        self.wrist_ratio = float(wrist_ratio)
        self.arm_keep = float(arm_keep)
        self.sleeve_gap = float(sleeve_gap)
        self.max_hand_length = float(max_hand_length)
        self.face_penalty = float(face_penalty)
        self.max_rect_fill = float(max_rect_fill)
        #: The :class:`HandSegmentation` list of the latest frame (for the preprocessor).
        self.last_segmentations: list[HandSegmentation] = []
        #: Fraction of the analysis image in the latest foreground mask (diagnostics).
        self.last_foreground = 0.0

    # -- public -------------------------------------------------------------------
    def find(self, image: np.ndarray) -> list[ROI]:
        """Hand ROIs in a frame, best first (:class:`edge.pipeline.Segmenter`).

        Args:
            image: uint8 (H, W, 3) BGR frame, any size.

        Returns:
            Up to ``max_hands`` ROIs in full-frame px (see :class:`HandSegmentation`);
            ``[]`` when no hand-sized blob is found.

        Raises:
            ValueError: ``image`` is not a uint8 (H, W, 3) array.
        """
        return [s.roi for s in self.segment(image)]

    def segment(self, image: np.ndarray) -> list[HandSegmentation]:
        """Hand candidates with masks and scores, best first; also kept in
        :attr:`last_segmentations`.

        Args:
            image: uint8 (H, W, 3) BGR frame, any size.

        Returns:
            Up to ``max_hands`` :class:`HandSegmentation`, highest score first.

        Raises:
            ValueError: ``image`` is not a uint8 (H, W, 3) array.
        """
        _check_image(image)
        masks = self._foregrounds(self._downscale(image))
        segs = self._blobs(masks, image.shape[:2])
        self.last_segmentations = segs
        return segs

    # -- shared stages ------------------------------------------------------------
    def _downscale(self, image: np.ndarray) -> np.ndarray:
        """uint8 (h, w, 3) BGR with a longer side of at most ``analysis_size`` px."""
        H, W = image.shape[:2]
        f = self.analysis_size / max(H, W)
        if f >= 1.0:
            return image
        return cv2.resize(image, (max(1, round(W * f)), max(1, round(H * f))),
                          interpolation=cv2.INTER_LINEAR)

    def _foregrounds(self, small: np.ndarray) -> list[np.ndarray]:  # pragma: no cover - abstract
        """uint8 (h, w) 0/255 foreground masks of the analysis image (one per colour
        model; blobs are taken from each separately)."""
        raise NotImplementedError

    def _blobs(self, masks: list[np.ndarray], frame_shape: tuple[int, int]) -> list[HandSegmentation]:
        """Clean each mask, pick the best hand blobs over all of them, make their ROIs."""
        self.last_foreground = 0.0
        cands: list[tuple[float, float, np.ndarray, tuple[int, int, int, int], np.ndarray, int]] = []
        for fg in masks:
            cands += self._candidates(fg)
        cands.sort(key=lambda c: -c[0])
        H, W = frame_shape
        out: list[HandSegmentation] = []
        for score, area, comp, (x, y, w, h), labels, label in cands:
            if len(out) == self.max_hands:
                break
            shape = labels.shape
            box = self._hand_box(comp, (x, y, w, h), shape) if self.cut_arm else (x, y, x + w, y + h)
            roi, (ax0, ay0, ax1, ay1) = self._roi(box, shape, (H, W))
            if any(roi.iou(o.roi) > 0.5 for o in out):
                continue  # the same hand seen by two colour models
            mask = np.where(labels[ay0:ay1, ax0:ax1] == label, np.uint8(255), np.uint8(0))
            out.append(HandSegmentation(roi=roi, mask=mask, score=score, area=area))
        return out

    def _candidates(self, fg: np.ndarray
                    ) -> list[tuple[float, float, np.ndarray, tuple[int, int, int, int], np.ndarray, int]]:
        """Hand-like blobs of one mask: (score, area fraction, bool blob crop, (x, y, w, h)
        analysis px, label image, label)."""
        sh, sw = fg.shape
        total = float(sh * sw)
        frac = float(cv2.countNonZero(fg)) / total
        self.last_foreground = max(self.last_foreground, frac)
        if frac < self.min_area:
            return []
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, _K3)
        fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, _K3)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
        if n <= 1:
            return []
        st = stats[1:]
        area = st[:, cv2.CC_STAT_AREA] / total
        spans = (st[:, cv2.CC_STAT_WIDTH] >= 0.9 * sw) & (st[:, cv2.CC_STAT_HEIGHT] >= 0.9 * sh)
        ok = np.flatnonzero((area >= self.min_area) & (area <= self.max_area) & ~spans)
        ok = ok[np.argsort(-area[ok], kind="stable")][: self.max_hands + 2]
        cands = []
        for j in ok:
            x, y, w, h = (int(v) for v in st[j, :4])
            comp = labels[y:y + h, x:x + w] == j + 1
            holes, rect_fill = _shape(comp, int(st[j, cv2.CC_STAT_AREA]))
            if rect_fill > self.max_rect_fill:
                continue
            score = float(area[j])
            if self._face_holes and holes >= 2:
                score *= self.face_penalty
            cands.append((score, float(area[j]), comp, (x, y, w, h), labels, int(j) + 1))
        return cands

    def _hand_box(self, comp: np.ndarray, bbox: tuple[int, int, int, int],
                  shape: tuple[int, int]) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) analysis px of the hand end of a blob (the arm cut).

        The blob is measured along its major axis (second moments), so arms at any
        angle are cut alike. The arm's end is the one where the blob touches the
        image border (the mean position of its border pixels); a blob touching no
        border but elongated (major/minor axis >= 3) with an end within
        ``sleeve_gap`` of the border (a forearm in a sleeve) has its arm end there.
        Widths are pixel counts per 1-px slice across the axis.

        Args:
            comp: bool (h, w) the blob within its bounding box.
            bbox: (x, y, w, h) of that box in the analysis image.
            shape: (height, width) of the analysis image.
        """
        x, y, w, h = bbox
        sh, sw = shape
        whole = (x, y, x + w, y + h)
        m = cv2.moments(comp.view(np.uint8), binaryImage=True)
        if m["m00"] < 10:
            return whole
        # the major axis from the second central moments (closed-form 2x2 eigenvectors)
        mu20, mu02, mu11 = m["mu20"], m["mu02"], m["mu11"]
        root = float(np.hypot(mu20 - mu02, 2.0 * mu11))
        major, minor = (mu20 + mu02 + root) / 2.0, max((mu20 + mu02 - root) / 2.0, 1e-9)
        theta = 0.5 * float(np.arctan2(2.0 * mu11, mu20 - mu02))
        c, sn = float(np.cos(theta)), float(np.sin(theta))
        ys, xs = np.nonzero(comp)
        fx, fy = xs.astype(np.float32) + x, ys.astype(np.float32) + y  # analysis px
        t = (fx - (x + m["m10"] / m["m00"])) * c + (fy - (y + m["m01"] / m["m00"])) * sn
        touches = x == 0 or y == 0 or x + w == sw or y + h == sh
        on_border = ((fx == 0) | (fy == 0) | (fx == sw - 1) | (fy == sh - 1)) if touches else None
        if on_border is not None and int(on_border.sum()) >= 2:
            arm_at_max = float(t[on_border].mean()) > 0.0
        elif major >= 3.0 ** 2 * minor:
            # no contact: a forearm in a sleeve ends near the border, the hand does not
            def border_distance(sel: np.ndarray) -> float:
                ex, ey = float(fx[sel].mean()), float(fy[sel].mean())
                return min(ex, ey, sw - 1 - ex, sh - 1 - ey)

            t_min, t_max = float(t.min()), float(t.max())
            span = t_max - t_min
            d_max = border_distance(t >= t_max - 0.05 * span)
            d_min = border_distance(t <= t_min + 0.05 * span)
            if min(d_max, d_min) > self.sleeve_gap * min(sh, sw):
                return whole
            arm_at_max = d_max < d_min
        else:
            return whole
        s = (t - t.min()) if arm_at_max else (t.max() - t)  # 0 at the hand's far end
        widths: np.ndarray = np.bincount(s.astype(np.int64)).astype(np.float32)
        if len(widths) >= 3:
            widths = np.convolve(widths, np.ones(3, np.float32) / 3, mode="same")
        length = len(widths)
        hand_w = float(widths.max())
        i_max = int(np.argmax(widths))
        cut = min(length, int(np.ceil(self.max_hand_length * hand_w)))
        # the forearm's width: the median over the slices nearest the arm's end
        near_end = widths[max(i_max + 1, length - max(3, int(hand_w))):]
        arm_w = float(np.median(near_end)) if len(near_end) else hand_w
        if arm_w < self.wrist_ratio * hand_w:
            # the wrist: the first slice past the widest where the width is within a
            # quarter of the way from the forearm's width to the hand's
            narrow = np.flatnonzero(widths[i_max:] <= arm_w + 0.25 * (hand_w - arm_w))
            if len(narrow):
                cut = min(cut, i_max + int(narrow[0]) + int(np.ceil(self.arm_keep * hand_w)))
        if cut >= length - 1:
            return whole
        keep = s < cut
        kx, ky = fx[keep], fy[keep]
        return int(kx.min()), int(ky.min()), int(kx.max()) + 1, int(ky.max()) + 1

    def _roi(self, box: tuple[int, int, int, int], shape: tuple[int, int],
             frame: tuple[int, int]) -> tuple[ROI, tuple[int, int, int, int]]:
        """The square, grown ROI in frame px and its region (x0, y0, x1, y1) in analysis px."""
        sh, sw = shape
        H, W = frame
        sx, sy = W / sw, H / sh
        x0, y0, x1, y1 = box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy
        side = max(x1 - x0, y1 - y0) * (1.0 + 2.0 * self.margin)
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        rx0, ry0 = max(0, int(round(cx - side / 2))), max(0, int(round(cy - side / 2)))
        rx1, ry1 = min(W, int(round(cx + side / 2))), min(H, int(round(cy + side / 2)))
        roi = ROI(rx0, ry0, max(1, rx1 - rx0), max(1, ry1 - ry0))
        a = (int(rx0 / sx), int(ry0 / sy), min(sw, int(np.ceil(rx1 / sx))), min(sh, int(np.ceil(ry1 / sy))))
        return roi, a


def _shape(comp: np.ndarray, area: int) -> tuple[int, float]:
    """(holes, rectangle fill) of a blob.

    Args:
        comp: bool (h, w) the blob in its bounding box.
        area: its area in px.

    Returns:
        The number of holes inside it of at least 0.3 % of its area (eyes, brows and
        mouth in a face), and its area over that of its minimum-area rectangle
        (1 for a box, about 0.79 for an ellipse, less for a spread hand).
    """
    contours, hierarchy = cv2.findContours(comp.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return 0, 0.0
    min_hole = max(2.0, 0.003 * area)
    holes, outer = 0, None
    for c, hier in zip(contours, hierarchy[0], strict=True):
        if hier[3] >= 0:
            holes += cv2.contourArea(c) >= min_hole
        elif outer is None or len(c) > len(outer):
            outer = c
    rect = cv2.minAreaRect(outer) if outer is not None else ((0, 0), (0, 0), 0)
    # the contour runs through pixel centres: the blob's rectangle is one px larger
    rect_area = (rect[1][0] + 1) * (rect[1][1] + 1)
    return int(holes), float(area / rect_area) if rect_area > 0 else 0.0


# ---------------------------------------------------------------------------
# skin colour
# ---------------------------------------------------------------------------
#: Bins per axis of the chromaticity histogram (4 units of 0..255 each).
RG_BINS = 64
_RG_RANGES = [0, 256, 0, 256]
_RG_CENTRES = (np.arange(RG_BINS) + 0.5) * (256.0 / RG_BINS)
#: The smallest standard deviation of a skin model: one bin (chromaticity units).
_MIN_SD = 256.0 / RG_BINS
#: Half-width (bins) of the histogram window a skin cluster is fitted in ...
_MODE_WINDOW = 10
#: ... which holds 2.5 of the largest standard deviation a model may have.
_MAX_SD = _MODE_WINDOW * _MIN_SD / 2.5


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


def _gaussian(weights: np.ndarray, max_sd: tuple[float, float], c1: np.ndarray = _RG_CENTRES,
              c2: np.ndarray = _RG_CENTRES) -> tuple[np.ndarray, np.ndarray]:
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
    sd = np.clip(sd, _MIN_SD, np.asarray(max_sd, np.float64))
    return np.array([[sd[0] ** 2, corr * sd[0] * sd[1]], [corr * sd[0] * sd[1], sd[1] ** 2]])


def _mahalanobis(mean: np.ndarray, cov: np.ndarray, c1: np.ndarray = _RG_CENTRES,
                 c2: np.ndarray = _RG_CENTRES) -> np.ndarray:
    """float64 (n1, n2) squared Mahalanobis distance of the bin centres ``c1`` x ``c2``
    (default: the whole chromaticity histogram)."""
    a, b, c = float(cov[0, 0]), float(cov[0, 1]), float(cov[1, 1])
    d1, d2 = (c1 - mean[0])[:, None], (c2 - mean[1])[None, :]
    return (c * d1 * d1 - 2.0 * b * d1 * d2 + a * d2 * d2) * (1.0 / (a * c - b * b))


class SkinSegmenter(_BlobSegmenter):
    """Hands by skin colour, with the skin model adapted to each frame.

    Per frame, at the analysis size (160 px; the model works on 2-D histograms of
    64x64 bins, so it costs almost nothing per pixel):

    1. ignore pixels darker than ``min_luma`` (their colour is mostly noise) and
       mark the **prior** skin pixels: the published box, in YCrCb (D. Chai and
       K. N. Ngan 1999: Cr 133..173, Cb 77..127) or HSV (K. Sobottka and I. Pitas
       1996: H 0..50 deg, S 0.23..0.68, hue extended to -10 deg);
    2. **background** colours are those found all along the frame's border: a band
       (``border`` = 6 % of the shorter side) cut into 16 segments, 4 per side;
       a colour (normalised rg chromaticity, :func:`chromaticity`, 64x64 bins of 4
       units) found (2 px or more) in at least ``background_segments`` (5) of them
       is a wall, a desk or the light on everything (a beige wall, a wooden desk),
       and never skin. An arm crosses the border in one or two
       segments (two arms in up to four), so the hand's colour is never
       background however much of the arm is in view;
    3. **core skin**: prior pixels off the border band whose colours are not
       background: what sets a hand apart from a skin-coloured room;
    4. fit Gaussians to the core's chromaticity, one per cluster (``max_modes``,
       mode seeking, see :meth:`_fit_modes`), or use the calibrated model (see
       :meth:`calibrate`), and take as skin every lit, non-background pixel within
       ``mahalanobis`` (3) standard deviations of one. This follows the user's skin
       and the light: shadowed skin outside the fixed box comes back, a beige wall
       inside it drops out. Chromaticity is used rather than YCrCb's Cr, Cb
       because those move with brightness, so a shaded forearm would leave a
       model fitted on the lit palm. Standard deviations are kept between one bin
       (4 units) and ``max_sd``;
    5. the blob stage (module docstring) picks the hand, rejects box-shaped blobs
       and demotes face-like ones (two or more holes).

    With fewer core pixels than ``min_area`` of the frame there is no hand and the
    segmenter stops before the blob stage: empty walls, desks and dark rooms cost
    the least.

    Cost: see the module docstring (about 0.9 ms median per 640x480 frame on a busy
    2-core machine; 0.16 ms when the frame has too few skin-coloured pixels).

    Limits: a hand in front of something of its own colour (light skin against a
    peach wall, dark skin against a brown wooden door) is partly lost or merged
    with it (use :meth:`calibrate`, the ``"background"`` segmenter with a still
    camera or ``"chroma"`` with a green screen there); a forearm whose skin ends
    (in a sleeve) farther than ``sleeve_gap`` from the border is not cut, so its
    ROI keeps the forearm; faces are only demoted (see the module docstring).

    Args:
        space: prior box: ``"ycrcb"`` (default) or ``"hsv"``.
        adapt: adapt to the frame (steps 2-4); ``False`` uses the prior box alone.
        min_luma: darker pixels (Y in YCrCb, V in HSV, 0..255) are never skin.
        border: width of the border band, fraction of the shorter side, in (0, 0.25).
        background_segments: step 2's number of border segments (of 16) a colour is
            found in to be background, 1..16.
        mahalanobis: step 4's distance in standard deviations (> 0).
        max_modes: at most this many skin clusters are modelled per frame (>= 1).
        max_sd: largest standard deviation of the model per chromaticity channel
            (red share, green share; 0..255 units).
        **blob: settings of the blob stage (:class:`_BlobSegmenter`): ``analysis_size``,
            ``max_hands``, ``min_area``, ``max_area``, ``margin``, ``cut_arm``,
            ``wrist_ratio``, ``arm_keep``, ``max_hand_length``, ``sleeve_gap``,
            ``face_penalty``, ``max_rect_fill``.

    Raises:
        ValueError: unknown ``space`` or a setting out of range.
    """

    SPACES = ("ycrcb", "hsv")
    _face_holes = True

    def __init__(self, space: str = "ycrcb", *, adapt: bool = True, min_luma: int = 40,
                 border: float = 0.06, background_segments: int = 5, mahalanobis: float = 3.0,
                 max_modes: int = 3,
                 max_sd: tuple[float, float] = (10.0, 6.0), **blob: Any) -> None:
        super().__init__(**blob)
        if space not in self.SPACES:
            raise ValueError(f"unknown skin colour space {space!r}; use one of {self.SPACES}")
        if not 0 <= min_luma < 255:
            raise ValueError(f"min_luma must be 0..254, got {min_luma}")
        if not 0.0 < border < 0.25:
            raise ValueError(f"border must be in (0, 0.25) (fraction of the shorter side), got {border}")
        if not 1 <= background_segments <= _SEGMENTS or mahalanobis <= 0.0:
            raise ValueError(f"need 1 <= background_segments <= {_SEGMENTS} and mahalanobis > 0, got "
                             f"{background_segments}, {mahalanobis}")
        if max_modes < 1:
            raise ValueError(f"max_modes must be >= 1, got {max_modes}")
        if min(max_sd) < _MIN_SD or max(max_sd) > _MAX_SD:
            raise ValueError(f"max_sd must be between one histogram bin ({_MIN_SD}) and {_MAX_SD} (the "
                             f"fitting window) chromaticity units, got {max_sd}")
        self.space = space
        self.adapt = bool(adapt)
        self.min_luma = int(min_luma)
        self.border = float(border)
        self.background_segments = int(background_segments)
        self.mahalanobis = float(mahalanobis)
        self.max_modes = int(max_modes)
        self.max_sd = (float(max_sd[0]), float(max_sd[1]))
        #: The calibrated skin model (:meth:`calibrate`), or None to adapt per frame.
        self.model: SkinModel | None = None
        #: The model used on the latest frame, None if none was fitted (diagnostics).
        self.last_model: SkinModel | None = None

    def reset(self) -> None:
        """Forget the calibration (adapt to each frame again)."""
        self.model = None

    def _prior(self, small: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """uint8 (h, w) 0/255 masks (lit, prior skin) of a uint8 (h, w, 3) BGR image."""
        v = self.min_luma
        if self.space == "ycrcb":
            conv = cv2.cvtColor(small, cv2.COLOR_BGR2YCrCb)
            lit = cv2.inRange(conv, (v, 0, 0), (255, 255, 255))
            (r0, r1), (b0, b1) = YCRCB_SKIN
            prior = cv2.inRange(conv, (v, r0, b0), (255, r1, b1))
        else:
            conv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
            lit = cv2.inRange(conv, (0, 0, v), (180, 255, 255))
            (h0, h1), (s0, s1) = HSV_SKIN
            prior = cv2.inRange(conv, (max(0.0, h0), s0, v), (h1, s1, 255))
            if h0 < 0:  # reddish hues wrap around 180
                prior = cv2.bitwise_or(prior, cv2.inRange(conv, (180 + h0, s0, v), (180, s1, 255)))
        return lit, prior

    def calibrate(self, image: np.ndarray, roi: ROI) -> SkinModel:
        """Learn the user's skin from a box they hold a hand in ("put your hand in the box").

        The lit prior-skin pixels of ``roi`` (step 1 of the class docstring) must be
        at least a quarter of the box; the Gaussian (in chromaticity) of their
        highest cluster holding at least a fifth of them (:meth:`_fit_modes`) is
        the model, so background in the box drops out. Later frames use it instead
        of the per-frame core (steps 3-4); background colours are still excluded.
        :meth:`reset` forgets it.

        Args:
            image: uint8 (H, W, 3) BGR frame.
            roi: the box in full-frame px; the hand should fill most of it.

        Returns:
            The model, also stored in :attr:`model`.

        Raises:
            ValueError: a bad image, a box outside the frame, or too few
                skin-coloured pixels in the box (the message says what to do).
        """
        _check_image(image)
        H, W = image.shape[:2]
        box = roi.intersect(ROI(0, 0, W, H))
        if box.area == 0:
            raise ValueError(f"calibration box {roi} is outside the {W}x{H} frame; give a box inside it")
        crop = np.ascontiguousarray(image[box.y:box.y + box.h, box.x:box.x + box.w])
        _, prior = self._prior(crop)
        n = cv2.countNonZero(prior)
        hist = cv2.calcHist([chromaticity(crop)], [0, 1], prior, [RG_BINS, RG_BINS], _RG_RANGES)
        models = self._fit_modes(hist, max(30.0, 0.2 * n)) if n >= max(30, box.area // 4) else []
        if not models:
            raise ValueError(f"only {n} of the {box.area} px of the calibration box {roi} are skin-coloured "
                             "(need a quarter, in one cluster); hold your hand so it fills the box, in good "
                             "light, and calibrate again")
        self.model = models[0]
        mean = self.model.mean
        log.info("skin calibrated: chromaticity mean %s, sd %s", np.round(mean, 1),
                 np.round(np.sqrt(np.diag(self.model.cov)), 1))
        return self.model

    def _fit_modes(self, weights: np.ndarray, min_px: float) -> list[SkinModel]:
        """Gaussians for the clusters of core skin, largest first (mode seeking).

        From the highest bin of the (3x3-smoothed) histogram, a Gaussian is fitted
        three times to the weights within 2.5 standard deviations of the previous
        fit (starting from one bin); its pixels within 2 standard deviations are
        removed and the next mode is sought, up to ``max_modes`` modes of at least
        ``min_px`` pixels. So a skin-coloured object in the room (a door, a cardboard
        box) gets its own model instead of dragging the hand's model between the
        two, and its own mask: the blob stage takes blobs from each mask separately
        (an arm crossing a door of a distinct colour stays apart from it) and tells
        them apart by shape.
        """
        work = weights.astype(np.float64)
        smooth = cv2.blur(work.astype(np.float32), (3, 3))
        models: list[SkinModel] = []
        r = _MODE_WINDOW
        for _ in range(2 * self.max_modes):  # tries, small modes included
            if len(models) == self.max_modes or float(work.sum()) < min_px:
                break
            i, j = np.unravel_index(int(np.argmax(smooth)), work.shape)
            # a cluster's 2.5 sd never reach beyond the window around its peak
            win = (slice(max(0, i - r), i + r + 1), slice(max(0, j - r), j + r + 1))
            sub = work[win]
            c1, c2 = _RG_CENTRES[win[0]], _RG_CENTRES[win[1]]
            mean = np.array([_RG_CENTRES[i], _RG_CENTRES[j]])
            cov = np.diag([_MIN_SD ** 2, _MIN_SD ** 2])
            w = sub
            for _ in range(3):
                w = np.where(_mahalanobis(mean, cov, c1, c2) <= 2.5 ** 2, sub, 0.0)
                if float(w.sum()) <= 0:
                    break
                mean, cov = _gaussian(w, self.max_sd, c1, c2)
            if float(w.sum()) >= min_px:
                models.append(SkinModel(mean, cov))
            explained = _mahalanobis(mean, cov, c1, c2) <= 2.0 ** 2
            work[win] = np.where(explained, 0.0, sub)
            smooth[win] = np.where(explained, 0.0, smooth[win])
            smooth[i, j] = 0.0  # never the same peak twice
        return models

    def skin_mask(self, image: np.ndarray) -> np.ndarray:
        """uint8 (h, w) 0/255 skin mask of a uint8 (h, w, 3) BGR image (steps 1-4, all
        skin clusters), at the image's own size (give it an analysis-sized image: the
        cost grows with it).

        All zeros when fewer core skin pixels than ``min_area`` of the image are found.

        Raises:
            ValueError: ``image`` is not a uint8 (h, w, 3) array.
        """
        _check_image(image)
        out: np.ndarray = np.zeros(image.shape[:2], np.uint8)
        for m in self._foregrounds(image):
            out = cv2.bitwise_or(out, m)
        return out

    def _foregrounds(self, small: np.ndarray) -> list[np.ndarray]:
        lit, prior = self._prior(small)
        if not self.adapt:
            self.last_model = None
            return [prior]
        sh, sw = small.shape[:2]
        ring, ring_idx, ring_seg = _border((sh, sw), max(1, round(self.border * min(sh, sw))))
        inner = cv2.bitwise_not(ring)
        min_px = self.min_area * sh * sw
        if self.model is None and cv2.countNonZero(cv2.bitwise_and(prior, inner)) < min_px:
            self.last_model = None  # not enough skin-coloured pixels for a hand
            return []
        rg = chromaticity(small)
        # in how many border segments each colour (bin) is found (with >= 2 px)
        px = rg.reshape(-1, 2)[ring_idx]
        lit_ring = lit.reshape(-1)[ring_idx] > 0
        bins = (px[:, 0] >> 2).astype(np.int32) * RG_BINS + (px[:, 1] >> 2)
        counts = np.bincount(ring_seg[lit_ring] * (RG_BINS * RG_BINS) + bins[lit_ring],
                             minlength=_SEGMENTS * RG_BINS * RG_BINS).reshape(_SEGMENTS, -1)
        spread = (counts >= 2).sum(axis=0, dtype=np.int32).reshape(RG_BINS, RG_BINS)
        background = spread >= self.background_segments
        if self.model is None:
            h_core = cv2.calcHist([rg], [0, 1], cv2.bitwise_and(prior, inner), [RG_BINS, RG_BINS],
                                  _RG_RANGES)
            models = self._fit_modes(np.where(background, 0.0, h_core), min_px)
        else:
            models = [self.model]
        self.last_model = models[0] if models else None
        masks = []
        for m in models:
            near = _mahalanobis(m.mean, m.cov) <= self.mahalanobis ** 2
            lut = (near & ~background).astype(np.float32) * 255.0
            masks.append(cv2.bitwise_and(cv2.calcBackProject([rg], [0, 1], lut, _RG_RANGES, 1), lit))
        return masks


# ---------------------------------------------------------------------------
# background subtraction
# ---------------------------------------------------------------------------
class BackgroundSubtractionSegmenter(_BlobSegmenter):
    """Hands as what differs from the learnt empty scene (a still camera).

    The first ``learn_frames`` frames (or those given to :meth:`learn`) should show
    the scene without a hand; until then :meth:`segment` returns ``[]``. Methods:

    - ``"average"`` (default): a running average of the scene; a pixel is
      foreground when any of its B, G, R channels differs from it by more than
      ``threshold`` (0..255). Afterwards the background keeps following slow light
      changes (``alpha`` per frame, background pixels only);
    - ``"mog2"``: OpenCV's Gaussian-mixture model (Z. Zivkovic, "Improved adaptive
      Gaussian mixture model for background subtraction", ICPR 2004), shadows off.

    When the foreground stays larger than ``max_area`` for ``relearn_after`` frames
    (the camera moved, the light changed) the model is learnt again.

    Args:
        method: ``"average"`` or ``"mog2"``.
        learn_frames: frames of empty scene to learn before segmenting (>= 1).
        threshold: ``"average"``: colour difference (0..255) that is foreground;
            ``"mog2"``: its ``varThreshold`` (squared Mahalanobis distance).
        alpha: background learning rate after learning, per frame, in [0, 1).
        skin: keep only foreground that is also skin-coloured (inside Chai & Ngan's
            YCrCb box: :class:`SkinSegmenter` with ``adapt=False``).
        relearn_after: see above; 0 never relearns.
        **blob: settings of the blob stage (see :class:`SkinSegmenter`).

    Raises:
        ValueError: unknown method or a setting out of range.
    """

    METHODS = ("average", "mog2")

    def __init__(self, method: str = "average", *, learn_frames: int = 30, threshold: float = 30.0,
                 alpha: float = 0.01, skin: bool = False, relearn_after: int = 30, **blob: Any) -> None:
        super().__init__(**blob)
        if method not in self.METHODS:
            raise ValueError(f"unknown background method {method!r}; use one of {self.METHODS}")
        if learn_frames < 1 or threshold <= 0 or not 0.0 <= alpha < 1.0 or relearn_after < 0:
            raise ValueError("need learn_frames >= 1, threshold > 0, 0 <= alpha < 1, relearn_after >= 0; "
                             f"got {learn_frames}, {threshold}, {alpha}, {relearn_after}")
        self.method = method
        self.learn_frames = int(learn_frames)
        self.threshold = float(threshold)
        self.alpha = float(alpha)
        self.relearn_after = int(relearn_after)
        self.skin = SkinSegmenter(analysis_size=self.analysis_size, adapt=False) if skin else None
        self._bg: np.ndarray | None = None
        self._mog: Any = None
        self._seen = 0
        self._too_big = 0

    @property
    def ready(self) -> bool:
        """True once ``learn_frames`` frames of the empty scene have been learnt."""
        return self._seen >= self.learn_frames

    def reset(self) -> None:
        """Forget the background; the next ``learn_frames`` frames are learnt again."""
        self._bg, self._mog, self._seen, self._too_big = None, None, 0, 0

    def learn(self, image: np.ndarray) -> None:
        """Add a frame of the empty scene to the background model.

        Args:
            image: uint8 (H, W, 3) BGR frame without a hand.

        Raises:
            ValueError: ``image`` is not a uint8 (H, W, 3) array.
        """
        _check_image(image)
        self._learn(self._downscale(image))

    def _learn(self, small: np.ndarray) -> None:
        if self._bg is not None and self._bg.shape[:2] != small.shape[:2]:
            self.reset()  # a new frame size: start again
        if self.method == "average":
            if self._bg is None:
                self._bg = small.astype(np.float32)
            else:
                cv2.accumulateWeighted(small, self._bg, 1.0 / (self._seen + 1))
        else:
            if self._mog is None:
                self._mog = cv2.createBackgroundSubtractorMOG2(
                    history=max(self.learn_frames, 50), varThreshold=self.threshold, detectShadows=False)
                self._bg = np.zeros(small.shape, np.float32)  # only its shape is used
            self._mog.apply(small, learningRate=1.0 / (self._seen + 1))
        self._seen += 1

    def _foregrounds(self, small: np.ndarray) -> list[np.ndarray]:
        if self._bg is not None and self._bg.shape[:2] != small.shape[:2]:
            self.reset()
        if not self.ready:
            self._learn(small)
            return []
        if self.method == "average":
            assert self._bg is not None
            diff = cv2.absdiff(small, cv2.convertScaleAbs(self._bg)).max(axis=2)
            fg = cv2.threshold(diff, self.threshold, 255, cv2.THRESH_BINARY)[1]
            if self.alpha > 0:
                cv2.accumulateWeighted(small, self._bg, self.alpha, mask=cv2.bitwise_not(fg))
        else:
            fg = self._mog.apply(small, learningRate=self.alpha)
        if self.relearn_after:
            big = cv2.countNonZero(fg) > self.max_area * fg.size
            self._too_big = self._too_big + 1 if big else 0
            if self._too_big >= self.relearn_after:
                log.info("background changed for %d frames: learning it again", self._too_big)
                self.reset()
                return []
        if self.skin is not None:
            fg = cv2.bitwise_and(fg, self.skin.skin_mask(small))
        return [fg]


# ---------------------------------------------------------------------------
# chroma key
# ---------------------------------------------------------------------------
class ChromaKeySegmenter(_BlobSegmenter):
    """Hands in front of a green screen: the hand is what is not green.

    Green is hue ``hue`` (OpenCV units, deg / 2; 35..85 = 70..170 deg) with
    saturation and value at least ``min_saturation`` and ``min_value`` (0..255), so
    shadows on the screen are still green and grey or skin pixels are not.

    Args:
        hue: (lo, hi) hue range of the screen, OpenCV units 0..180.
        min_saturation: least saturation of the screen, 0..255.
        min_value: least value (brightness) of the screen, 0..255.
        **blob: settings of the blob stage (see :class:`SkinSegmenter`).

    Raises:
        ValueError: a range out of bounds.
    """

    def __init__(self, hue: tuple[int, int] = (35, 85), *, min_saturation: int = 50,
                 min_value: int = 30, **blob: Any) -> None:
        super().__init__(**blob)
        if not 0 <= hue[0] < hue[1] <= 180:
            raise ValueError(f"hue must be (lo, hi) with 0 <= lo < hi <= 180 (OpenCV units), got {hue}")
        if not (0 <= min_saturation <= 255 and 0 <= min_value <= 255):
            raise ValueError(f"min_saturation and min_value must be 0..255, got {min_saturation}, "
                             f"{min_value}")
        self._lo = np.array([hue[0], min_saturation, min_value], np.uint8)
        self._hi = np.array([hue[1], 255, 255], np.uint8)

    def _foregrounds(self, small: np.ndarray) -> list[np.ndarray]:
        green = cv2.inRange(cv2.cvtColor(small, cv2.COLOR_BGR2HSV), self._lo, self._hi)
        return [cv2.bitwise_not(green)]


# ---------------------------------------------------------------------------
# factory
# ---------------------------------------------------------------------------
def make_hand_segmenter(name: str = "skin", **kw: Any) -> _BlobSegmenter:
    """A hand segmenter by name.

    Args:
        name: ``"skin"`` (:class:`SkinSegmenter`, YCrCb; the default),
            ``"skin-hsv"`` (the same in HSV), ``"background"``
            (:class:`BackgroundSubtractionSegmenter`) or ``"chroma"``
            (:class:`ChromaKeySegmenter`).
        **kw: keyword settings of that class (e.g. ``max_hands=2``, ``margin=0.2``).

    Returns:
        The segmenter; it has ``find``, ``segment`` and ``last_segmentations``.

    Raises:
        ValueError: unknown name or settings (a bad keyword is a ValueError, too).
    """
    classes: dict[str, tuple[type[_BlobSegmenter], dict[str, Any]]] = {
        "skin": (SkinSegmenter, {"space": "ycrcb"}),
        "skin-hsv": (SkinSegmenter, {"space": "hsv"}),
        "background": (BackgroundSubtractionSegmenter, {}),
        "chroma": (ChromaKeySegmenter, {}),
    }
    if name not in classes:
        raise ValueError(f"unknown hand segmenter {name!r}; use one of {', '.join(SEGMENTERS)}")
    cls, fixed = classes[name]
    try:
        return cls(**{**fixed, **kw})
    except TypeError as e:
        raise ValueError(f"bad settings for the {name!r} hand segmenter: {e}; see "
                         f"help(edge.hands.{cls.__name__})") from e
