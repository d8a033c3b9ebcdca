"""MediaPipe's palm detector on a TFLite interpreter, with no ``mediapipe`` import.

The model (``palm_detection_{lite,full}.tflite`` from the PyPI wheel ``mediapipe==0.10.21``,
Apache-2.0; model card "MediaPipe Hands (Lite/Full)", 2021) takes a float32 (1, 192, 192, 3) RGB
image in [0, 1] (fed [-1, 1] it returns confident boxes off the image) and gives, per SSD anchor,
18 regression values (box centre x, y, width, height and 7 keypoints x, y, in 192-px units relative
to the anchor) and a score logit. The steps follow MediaPipe's palm detection graph
(``mediapipe/modules/palm_detection/palm_detection_cpu.pbtxt``):

- letterbox: ``ImageToTensorCalculator`` with ``keep_aspect_ratio: true`` and ``BORDER_ZERO``;
- anchors: ``mediapipe/calculators/tflite/ssd_anchors_calculator.cc`` (:func:`ssd_anchors`);
- decoding: ``mediapipe/calculators/tensor/tensors_to_detections_calculator.cc``
  (:func:`decode_boxes`);
- weighted non-maximum suppression: ``mediapipe/calculators/util/non_max_suppression_calculator.cc``
  (:func:`weighted_nms`);
- letterbox removal: ``detection_letterbox_removal_calculator.cc``;
- palm to hand ROI: ``mediapipe/modules/hand_landmark/palm_detection_detection_to_roi.pbtxt``
  (``DetectionsToRectsCalculator`` rotation from keypoint 0, the wrist, to keypoint 2, the middle
  finger's base, target 90°; ``RectTransformationCalculator`` scale 2.6, shift_y -0.5, square_long)
  (:func:`palm_to_hand_roi`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.bundle import BundleError
from edge.runtime import make_interpreter

log = logging.getLogger(__name__)

PALM_INPUT = 192
NUM_ANCHORS = 2016
NUM_KEYPOINTS = 7


@dataclass(frozen=True)
class RotatedRect:
    """A rotated rectangle in frame pixels (MediaPipe's ``NormalizedRect``, in pixels).

    Attributes:
        cx, cy: centre (px).
        w, h: size (px) before rotation.
        rotation: radians, clockwise as seen on screen (image y points down), 0 = upright
            (MediaPipe's convention: 0 when the hand's wrist-to-fingers vector points up,
            pi/2 when it points right).
    """

    cx: float
    cy: float
    w: float
    h: float
    rotation: float

    @property
    def angle_deg(self) -> float:
        return math.degrees(self.rotation)

    def corners(self) -> np.ndarray:
        """float32 (4, 2) corners (px): top-left, top-right, bottom-right, bottom-left of the
        upright crop, mapped into the frame."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        pts = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]], np.float32) * [self.w, self.h]
        rot = np.array([[c, -s], [s, c]], np.float32)
        return (pts @ rot.T + [self.cx, self.cy]).astype(np.float32)


@dataclass(frozen=True)
class PalmDetection:
    """One palm.

    Attributes:
        score: sigmoid of the model's logit, in [0, 1].
        box: float32 (4,) ``xmin, ymin, xmax, ymax`` in frame pixels.
        keypoints: float32 (7, 2) in frame pixels: 0 wrist, 1 index base, 2 middle base,
            3 ring base, 4 pinky base, 5 thumb base, 6 thumb tip-side (MediaPipe's order).
    """

    score: float
    box: np.ndarray
    keypoints: np.ndarray


def normalize_radians(a: float) -> float:
    """Angle wrapped into [-pi, pi)."""
    return a - 2 * math.pi * math.floor((a + math.pi) / (2 * math.pi))


def ssd_anchors(
    input_size: int = PALM_INPUT,
    strides: tuple[int, ...] = (8, 16, 16, 16),
    offset: float = 0.5,
    interpolated_scale_aspect_ratio: float = 1.0,
) -> np.ndarray:
    """SSD anchor centres as MediaPipe's ``SsdAnchorsCalculator`` makes them for the palm model.

    Options from ``palm_detection_cpu.pbtxt``: num_layers 4, min_scale 0.1484375, max_scale 0.75,
    192×192 input, anchor_offset 0.5, strides 8/16/16/16, aspect_ratios [1.0],
    interpolated_scale_aspect_ratio 1.0, fixed_anchor_size true. Layers of equal stride share
    one feature map; each cell gets 2 anchors per layer (the aspect ratio and the interpolated
    scale), so 24×24×2 + 12×12×6 = 2016 anchors. With a fixed anchor size only the centres
    matter (width = height = 1), so min_scale/max_scale, which set the anchor sizes, do not enter.

    Returns:
        float32 (N, 2) anchor centres ``(x, y)`` normalised to [0, 1], in the model's output order.
    """
    n = len(strides)
    out: list[np.ndarray] = []
    layer = 0
    while layer < n:
        per_cell = 0
        last = layer
        while last < n and strides[last] == strides[layer]:
            per_cell += 1 + (interpolated_scale_aspect_ratio > 0)
            last += 1
        fm = math.ceil(input_size / strides[layer])
        ys, xs = np.meshgrid((np.arange(fm) + offset) / fm, (np.arange(fm) + offset) / fm, indexing="ij")
        cells = np.stack([xs.ravel(), ys.ravel()], axis=1)
        out.append(np.repeat(cells, per_cell, axis=0))
        layer = last
    return np.concatenate(out).astype(np.float32)


def decode_boxes(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    min_score: float = 0.5,
    scale: float = PALM_INPUT,
    clip: float = 100.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode the palm model's outputs as ``TensorsToDetectionsCalculator`` does.

    Options (``palm_detection_cpu.pbtxt``): num_coords 18, box_coord_offset 0,
    keypoint_coord_offset 4, 7 keypoints of 2 values, reverse_output_order (x before y),
    x/y/w/h_scale 192, sigmoid_score with score_clipping_thresh 100, fixed-size anchors.

    Args:
        raw_boxes: float32 (N, 18) regression values.
        raw_scores: float32 (N,) or (N, 1) logits.
        anchors: float32 (N, 2) anchor centres in [0, 1] (:func:`ssd_anchors`).
        min_score: keep detections whose sigmoid score is at least this.
        scale: the x/y/w/h scale (the input size, 192).
        clip: logits are clipped to [-clip, clip] before the sigmoid.

    Returns:
        ``(scores (K,), boxes (K, 4) xmin, ymin, xmax, ymax, keypoints (K, 7, 2))``, float32,
        coordinates normalised to the (letterboxed) model input, [0, 1] inside it.
    """
    logits = np.clip(raw_scores.reshape(-1).astype(np.float64), -clip, clip)  # float64: exp(100) fits
    scores = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    keep = scores >= min_score
    b, a = raw_boxes[keep].astype(np.float32), anchors[keep]
    cx = b[:, 0] / scale + a[:, 0]
    cy = b[:, 1] / scale + a[:, 1]
    w, h = b[:, 2] / scale, b[:, 3] / scale
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kp = b[:, 4 : 4 + 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2) / scale + a[:, None, :]
    return scores[keep], boxes.astype(np.float32), kp.astype(np.float32)


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one ``xmin, ymin, xmax, ymax`` box (4,) with many (N, 4); float32 (N,)."""
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0).astype(np.float32)


def weighted_nms(
    scores: np.ndarray,
    boxes: np.ndarray,
    keypoints: np.ndarray,
    threshold: float = 0.3,
    max_out: int | None = None,
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Weighted non-maximum suppression as ``NonMaxSuppressionCalculator`` (algorithm WEIGHTED).

    Take the best remaining detection; every remaining detection whose IoU with it exceeds
    ``threshold`` (itself included) joins its cluster and leaves the pool; the output keeps the
    best detection's score and the score-weighted mean of the cluster's boxes and keypoints.

    Args:
        scores: float32 (N,). boxes: float32 (N, 4) xmin, ymin, xmax, ymax. keypoints: (N, K, 2).
        threshold: min_suppression_threshold (0.3 for palms).
        max_out: stop after this many detections (None: all).

    Returns:
        ``[(score, box (4,), keypoints (K, 2)), ...]`` best first.
    """
    order = np.argsort(-scores, kind="stable")
    out: list[tuple[float, np.ndarray, np.ndarray]] = []
    while order.size and (max_out is None or len(out) < max_out):
        top = order[0]
        sim = iou(boxes[top], boxes[order])
        cluster, order = order[sim > threshold], order[sim <= threshold]
        if cluster.size == 0:  # a degenerate (zero-area) box overlaps nothing, not even itself
            cluster, order = np.array([top]), order[order != top]
        w = scores[cluster][:, None]
        box = (boxes[cluster] * w).sum(0) / w.sum()
        kp = (keypoints[cluster] * w[:, :, None]).sum(0) / w.sum()
        out.append((float(scores[top]), box.astype(np.float32), kp.astype(np.float32)))
    return out


def letterbox(
    image: np.ndarray, size: int, interpolation: int = cv2.INTER_LINEAR
) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Resize keeping the aspect ratio and pad with zeros to ``size × size`` (centred).

    Bilinear by default, as MediaPipe's ``ImageToTensorCalculator`` (an affine warp with linear
    interpolation); ``cv2.INTER_AREA`` costs ~1 ms more per 640x480 frame and found the same
    palms (``edge.segment.hand_tracker`` module doc).

    Args:
        image: uint8 (H, W, 3), any colour order (kept).
        size: output side (px).
        interpolation: OpenCV interpolation flag of the resize.

    Returns:
        ``(uint8 (size, size, 3), (scale, pad_x, pad_y))``: input px = (output px - pad) / scale.
    """
    h, w = image.shape[:2]
    s = size / max(h, w)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    px, py = (size - nw) // 2, (size - nh) // 2
    out = np.zeros((size, size, 3), np.uint8)
    out[py : py + nh, px : px + nw] = cv2.resize(image, (nw, nh), interpolation=interpolation)
    return out, (s, float(px), float(py))


def transform_rect(
    cx: float,
    cy: float,
    w: float,
    h: float,
    rotation: float,
    scale: float,
    shift_x: float = 0.0,
    shift_y: float = 0.0,
    square_long: bool = True,
) -> RotatedRect:
    """``RectTransformationCalculator`` in pixels: shift along the rotated axes (fractions of
    the size), make square on the longer side, then scale."""
    c, s = math.cos(rotation), math.sin(rotation)
    cx += w * shift_x * c - h * shift_y * s
    cy += w * shift_x * s + h * shift_y * c
    if square_long:
        w = h = max(w, h)
    return RotatedRect(cx, cy, w * scale, h * scale, rotation)


def palm_to_hand_roi(det: PalmDetection, scale: float = 2.6, shift_y: float = -0.5) -> RotatedRect:
    """The rotated square hand ROI around a palm (``palm_detection_detection_to_roi.pbtxt``).

    Rotation: ``90° - atan2(-(y2 - y0), x2 - x0)`` from keypoint 0 (wrist) to keypoint 2 (middle
    finger base), normalised to [-pi, pi); the palm box centre shifted by ``shift_y`` of its height
    towards the fingers, squared on its long side and scaled by 2.6.
    """
    (x0, y0), (x1, y1) = det.keypoints[0], det.keypoints[2]
    rot = normalize_radians(math.pi / 2 - math.atan2(-(y1 - y0), x1 - x0))
    xmin, ymin, xmax, ymax = (float(v) for v in det.box)
    return transform_rect(
        (xmin + xmax) / 2, (ymin + ymax) / 2, xmax - xmin, ymax - ymin, rot, scale, 0.0, shift_y
    )


def outputs_by_shape(
    details: list[dict[str, Any]], shapes: list[tuple[int, ...]], path: Path | str
) -> list[int]:
    """Tensor indices of outputs matched by shape (ties by name order), in ``shapes`` order.

    Raises:
        BundleError: an expected shape is missing.
    """
    pool = sorted(details, key=lambda d: d["name"])
    out = []
    for shp in shapes:
        hit = next((d for d in pool if tuple(int(v) for v in d["shape"]) == shp), None)
        if hit is None:
            raise BundleError(
                f"{path}: no output of shape {shp} (outputs "
                f"{[tuple(d['shape']) for d in details]}); is this the MediaPipe model?"
            )
        pool.remove(hit)
        out.append(int(hit["index"]))
    return out


class PalmDetector:
    """Find palms in a frame with MediaPipe's palm detection model.

    Args:
        model_path: ``palm_detection_{lite,full}.tflite`` or a bundle folder holding ``model.tflite``.
        min_score: minimum palm probability (``min_score_thresh``, MediaPipe's default 0.5).
        nms_threshold: IoU above which detections merge (weighted NMS, 0.3).
        num_threads: interpreter threads (None: runtime default).
        interpolation: OpenCV flag of the letterbox resize (bilinear, as MediaPipe).

    Raises:
        BundleError: the model cannot be loaded or its tensors are not the palm model's.
    """

    def __init__(
        self,
        model_path: str | Path,
        min_score: float = 0.5,
        nms_threshold: float = 0.3,
        num_threads: int | None = None,
        interpolation: int = cv2.INTER_LINEAR,
    ) -> None:
        p = Path(model_path)
        p = p / "model.tflite" if p.is_dir() else p
        self.interpreter, self.runtime = make_interpreter(p, num_threads)
        self.interpreter.allocate_tensors()
        inp = self.interpreter.get_input_details()[0]
        if tuple(int(v) for v in inp["shape"]) != (1, PALM_INPUT, PALM_INPUT, 3):
            raise BundleError(f"{p}: input shape {tuple(inp['shape'])} is not (1, 192, 192, 3)")
        self._in = int(inp["index"])
        self._boxes, self._scores = outputs_by_shape(
            self.interpreter.get_output_details(), [(1, NUM_ANCHORS, 18), (1, NUM_ANCHORS, 1)], p
        )
        self.anchors = ssd_anchors()
        self.min_score = min_score
        self.nms_threshold = nms_threshold
        self.interpolation = interpolation

    def infer(self, tensor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run the model: float32 (1, 192, 192, 3) RGB in [0, 1] -> raw boxes (2016, 18), logits (2016,)."""
        self.interpreter.set_tensor(self._in, tensor)
        self.interpreter.invoke()
        return (
            self.interpreter.get_tensor(self._boxes)[0].copy(),
            self.interpreter.get_tensor(self._scores)[0, :, 0].copy(),
        )

    def candidates(
        self, image: np.ndarray, min_score: float | None = None, bgr: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decoded detections before non-maximum suppression, in the image's pixels.

        Args:
            image: uint8 (H, W, 3), BGR unless ``bgr=False`` (then RGB).
            min_score: override the detector's ``min_score``.

        Returns:
            ``(scores (K,), boxes (K, 4) xmin, ymin, xmax, ymax px, keypoints (K, 7, 2) px)``, float32.

        Raises:
            ValueError: ``image`` is not uint8 (H, W, 3).
        """
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected a uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
        boxed, (s, px, py) = letterbox(image, PALM_INPUT, self.interpolation)
        rgb = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB) if bgr else boxed
        tensor = (rgb.astype(np.float32) / 255.0)[None]
        raw_boxes, raw_scores = self.infer(tensor)
        thr = self.min_score if min_score is None else min_score
        scores, boxes, kps = decode_boxes(raw_boxes, raw_scores, self.anchors, thr)
        boxes = (boxes * PALM_INPUT - [px, py, px, py]) / s
        kps = (kps * PALM_INPUT - [px, py]) / s
        return scores, boxes.astype(np.float32), kps.astype(np.float32)

    def detect(
        self,
        image: np.ndarray,
        max_palms: int | None = None,
        min_score: float | None = None,
        bgr: bool = True,
    ) -> list[PalmDetection]:
        """Palms in an image, best first.

        Args:
            image: uint8 (H, W, 3), BGR (OpenCV's order) unless ``bgr=False`` (then RGB).
            max_palms: keep at most this many (None: all after NMS).
            min_score: override the detector's ``min_score``.

        Returns:
            Palm detections with box and keypoints in the image's pixels.

        Raises:
            ValueError: ``image`` is not uint8 (H, W, 3).
        """
        scores, boxes, kps = self.candidates(image, min_score, bgr)
        return [
            PalmDetection(score, box, kp)
            for score, box, kp in weighted_nms(scores, boxes, kps, self.nms_threshold, max_palms)
        ]
