"""The blob stage shared by the classic hand finders: foreground masks to hand ROIs with masks.

The frame is analysed at a small size (``analysis_size`` = 160 px on the longer
side by default), each foreground mask a finder computes (one per colour model) is
cleaned by a 3x3 opening and closing, its 8-connected components are the
candidates, filtered by size and shape and ranked (see :mod:`edge.segment.hands`);
the ROI of a blob is cut at the wrist (:func:`edge.segment.blob_shape.hand_end_box`),
grown by a margin and made square. Each ROI carries its hand's mask
(:attr:`edge.types.ROI.mask`, uint8 0/255 over the box in frame px) for the
preprocessor.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import cv2
import numpy as np

from edge.segment.blob_shape import blob_shape, hand_end_box
from edge.types import ROI

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandSegmentation:
    """One hand candidate in a frame.

    Attributes:
        roi: the crop for the classifier in full-frame px: the hand (cut at the
            wrist, see the module) grown by the segmenter's margin and made square,
            clipped to the frame; its ``mask`` is :meth:`full_mask`.
        mask: uint8 (mh, mw) 0/255, 255 on the hand's blob (this component only,
            wrist and arm included), covering the ROI region at the segmenter's
            analysis resolution (``mh / roi.h`` is about the analysis scale, e.g.
            1/4 for a 640x480 frame). :meth:`full_mask` resizes it to the ROI.
        score: ranking score: ``area`` times the segmenter's penalties (e.g.
            :class:`edge.segment.skin.SkinSegmenter`'s ``face_penalty``).
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


def check_bgr_frame(image: np.ndarray) -> None:
    """Raise ``ValueError`` (with the fix) unless ``image`` is a non-empty uint8 (H, W, 3) array."""
    if not (
        isinstance(image, np.ndarray)
        and image.dtype == np.uint8
        and image.ndim == 3
        and image.shape[2] == 3
        and image.shape[0] > 0
        and image.shape[1] > 0
    ):
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise ValueError(
            f"hand segmentation needs a uint8 (H, W, 3) BGR frame, got {dtype} {shape}; "
            "convert grey frames with cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)"
        )


_K3 = np.ones((3, 3), np.uint8)


class BlobSegmenter:
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

    def __init__(
        self,
        *,
        analysis_size: int = 160,
        max_hands: int = 1,
        min_area: float = 0.015,
        max_area: float = 0.6,
        margin: float = 0.25,
        cut_arm: bool = True,
        wrist_ratio: float = 0.75,
        arm_keep: float = 0.5,
        max_hand_length: float = 2.5,
        sleeve_gap: float = 0.25,
        face_penalty: float = 0.25,
        max_rect_fill: float = 0.9,
    ) -> None:
        if not 64 <= analysis_size <= 1024:
            raise ValueError(f"analysis_size must be 64..1024 px, got {analysis_size}")
        if max_hands < 1:
            raise ValueError(f"max_hands must be >= 1, got {max_hands}")
        if not 0.0 < min_area < max_area <= 1.0:
            raise ValueError(
                f"need 0 < min_area < max_area <= 1 (fractions of the frame), got {min_area}, {max_area}"
            )
        if not 0.0 <= margin <= 1.0:
            raise ValueError(f"margin must be in [0, 1] (fraction of the hand's longer side), got {margin}")
        if not 0.0 < wrist_ratio < 1.0 or not 0.0 <= arm_keep <= max_hand_length or max_hand_length < 1.0:
            raise ValueError(
                "need 0 < wrist_ratio < 1, 0 <= arm_keep <= max_hand_length and "
                f"max_hand_length >= 1, got {wrist_ratio}, {arm_keep}, {max_hand_length}"
            )
        if not 0.0 <= sleeve_gap <= 0.5:
            raise ValueError(
                f"sleeve_gap must be in [0, 0.5] (fraction of the shorter side), got {sleeve_gap}"
            )
        if not 0.0 <= face_penalty <= 1.0 or not 0.5 <= max_rect_fill <= 1.0:
            raise ValueError(
                f"need 0 <= face_penalty <= 1 and 0.5 <= max_rect_fill <= 1, got "
                f"{face_penalty}, {max_rect_fill}"
            )
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
        #: Fraction of the analysis image in the latest foreground mask (diagnostics).
        self.last_foreground = 0.0

    # -- public -------------------------------------------------------------------
    def find(self, image: np.ndarray) -> list[ROI]:
        """Hand ROIs in a frame, best first (:class:`edge.pipeline.Segmenter`).

        Args:
            image: uint8 (H, W, 3) BGR frame, any size.

        Returns:
            Up to ``max_hands`` ROIs in full-frame px (see :class:`HandSegmentation`),
            each with its hand's ``mask`` (uint8 (h, w) 0/255 over the box); ``[]``
            when no hand-sized blob is found.

        Raises:
            ValueError: ``image`` is not a uint8 (H, W, 3) array.
        """
        return [s.roi for s in self.segment(image)]

    def segment(self, image: np.ndarray) -> list[HandSegmentation]:
        """Hand candidates with masks and scores, best first.

        Args:
            image: uint8 (H, W, 3) BGR frame, any size.

        Returns:
            Up to ``max_hands`` :class:`HandSegmentation`, highest score first.

        Raises:
            ValueError: ``image`` is not a uint8 (H, W, 3) array.
        """
        check_bgr_frame(image)
        masks = self._foregrounds(self._downscale(image))
        return self._blobs(masks, image.shape[:2])

    # -- shared stages ------------------------------------------------------------
    def _downscale(self, image: np.ndarray) -> np.ndarray:
        """uint8 (h, w, 3) BGR with a longer side of at most ``analysis_size`` px."""
        H, W = image.shape[:2]
        f = self.analysis_size / max(H, W)
        if f >= 1.0:
            return image
        return cv2.resize(image, (max(1, round(W * f)), max(1, round(H * f))), interpolation=cv2.INTER_LINEAR)

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
            box = (x, y, x + w, y + h)
            if self.cut_arm:
                box = hand_end_box(
                    comp,
                    (x, y, w, h),
                    shape,
                    sleeve_gap=self.sleeve_gap,
                    wrist_ratio=self.wrist_ratio,
                    arm_keep=self.arm_keep,
                    max_hand_length=self.max_hand_length,
                )
            roi, (ax0, ay0, ax1, ay1) = self._roi(box, shape, (H, W))
            if any(roi.iou(o.roi) > 0.5 for o in out):
                continue  # the same hand seen by two colour models
            mask = np.where(labels[ay0:ay1, ax0:ax1] == label, np.uint8(255), np.uint8(0))
            seg = HandSegmentation(roi=roi, mask=mask, score=score, area=area)
            # the ROI carries the hand's mask over its box, for the preprocessor
            out.append(dataclasses.replace(seg, roi=dataclasses.replace(roi, mask=seg.full_mask())))
        return out

    def _candidates(
        self, fg: np.ndarray
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
            comp = labels[y : y + h, x : x + w] == j + 1
            holes, rect_fill = blob_shape(comp, int(st[j, cv2.CC_STAT_AREA]))
            if rect_fill > self.max_rect_fill:
                continue
            score = float(area[j])
            if self._face_holes and holes >= 2:
                score *= self.face_penalty
            cands.append((score, float(area[j]), comp, (x, y, w, h), labels, int(j) + 1))
        return cands

    def _roi(
        self, box: tuple[int, int, int, int], shape: tuple[int, int], frame: tuple[int, int]
    ) -> tuple[ROI, tuple[int, int, int, int]]:
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
