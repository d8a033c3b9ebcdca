"""MediaPipe's 21-point hand landmark model on a TFLite interpreter, with no ``mediapipe`` import.

The model (``hand_landmark_{lite,full}.tflite`` from the PyPI wheel ``mediapipe==0.10.21``,
Apache-2.0; model card "MediaPipe Hands (Lite/Full)", 2021) takes a float32 (1, 224, 224, 3) RGB
crop in [0, 1], rotated so the hand points up, and gives 21 landmarks (x, y in 224-px crop units,
z relative depth in the same units, wrist ~0), a hand presence logit, a handedness logit and 21
world landmarks (metres). Steps follow ``mediapipe/modules/hand_landmark/hand_landmark_cpu.pbtxt``:

- crop: ``ImageToTensorCalculator`` over the rotated ROI, 224×224, range [0, 1], border mode unset
  (the calculator's default, replicate; ``border="zero"`` is the alternative);
- presence: the graph's ``TensorsToFloatsCalculator`` applies a sigmoid, but the 0.10.21 files
  already end in one: their presence output lies in [0, 1] (0.002-0.014 on noise, grey and black
  crops, 0.97-1.0 on hands), so it is read as a probability, not passed through a second sigmoid;
- handedness: also a probability (``TensorsToClassificationCalculator``, binary, ``handedness.txt``
  = Left, Right). Checked on shared photos and their mirrors: it flips from ~0.99 to ~0.01 under a
  horizontal flip and is high for a right hand as seen in the image (a person's right hand in an
  un-mirrored camera frame). MediaPipe labels that hand "Left", because it assumes a mirrored
  selfie image;
- landmarks back to the frame: ``LandmarkProjectionCalculator`` (here the inverse of the crop's
  affine transform);
- next ROI: ``mediapipe/modules/hand_landmark/hand_landmark_landmarks_to_roi.pbtxt``
  (``HandLandmarksToRectCalculator``: rotation from the wrist 0 to the mean of the middle MCP 9
  and the midpoint of index MCP 5 and ring MCP 13, target 90°; box of landmarks 0-3, 5, 6, 9, 10,
  13, 14, 17, 18 in the rotated frame; ``RectTransformationCalculator`` scale 2.0, shift_y -0.1,
  square_long) (:func:`landmarks_to_roi`).

``embedding=True`` also reads the global-average-pooled features before the heads
(``global_average_pooling2d/Mean``: 1152-d in the full model, 672-d in the lite one), which needs
the interpreter built with ``experimental_preserve_all_tensors=True`` (slower: measure it).
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
from edge.segment.palm import RotatedRect, normalize_radians, outputs_by_shape, transform_rect

log = logging.getLogger(__name__)

LANDMARK_INPUT = 224
NUM_LANDMARKS = 21
#: Landmarks HandLandmarksToRectCalculator uses (the partial list split off in the .pbtxt).
ROI_LANDMARKS = (0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18)
#: MediaPipe's hand skeleton: pairs of landmark indices.
HAND_CONNECTIONS = (
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 4),
    (0, 5),
    (5, 6),
    (6, 7),
    (7, 8),
    (5, 9),
    (9, 10),
    (10, 11),
    (11, 12),
    (9, 13),
    (13, 14),
    (14, 15),
    (15, 16),
    (13, 17),
    (0, 17),
    (17, 18),
    (18, 19),
    (19, 20),
)


def crop_affine(rect: RotatedRect, size: int = LANDMARK_INPUT) -> np.ndarray:
    """float64 (2, 3) affine map from crop coordinates to frame coordinates (continuous, px).

    Crop point ``(u, v)`` in [0, size]² maps to ``centre + R(rotation) @ ((u, v)/size - 0.5) * (w, h)``,
    so the crop's "up" is the hand's wrist-to-fingers direction.
    """
    c, s = math.cos(rect.rotation), math.sin(rect.rotation)
    rot = np.array([[c, -s], [s, c]])
    lin = rot @ np.diag([rect.w / size, rect.h / size])
    t = np.array([rect.cx, rect.cy]) - lin @ np.array([size / 2, size / 2])
    return np.hstack([lin, t[:, None]])


def invert_affine(a: np.ndarray) -> np.ndarray:
    """Inverse of a (2, 3) affine map."""
    return cv2.invertAffineTransform(a.astype(np.float64))


def apply_affine(a: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Map (N, 2) points through a (2, 3) affine map; float32 (N, 2)."""
    return (pts @ a[:, :2].T + a[:, 2]).astype(np.float32)


def warp_roi(
    image: np.ndarray, rect: RotatedRect, size: int = LANDMARK_INPUT, border: str = "replicate"
) -> tuple[np.ndarray, np.ndarray]:
    """Cut the rotated square ROI out of ``image`` as an upright ``size × size`` crop.

    Args:
        image: uint8 (H, W, 3), colour order kept.
        rect: ROI in frame pixels.
        border: ``"replicate"`` (MediaPipe's default for this crop) or ``"zero"``.

    Returns:
        ``(uint8 (size, size, 3) crop, (2, 3) crop->frame affine)`` (continuous coordinates).
    """
    a = crop_affine(rect, size)
    # OpenCV samples at pixel centres: continuous c = index + 0.5 on both sides.
    a_idx = a.copy()
    a_idx[:, 2] += a[:, :2] @ np.array([0.5, 0.5]) - 0.5
    mode = cv2.BORDER_REPLICATE if border == "replicate" else cv2.BORDER_CONSTANT
    crop = cv2.warpAffine(
        image,
        a_idx,
        (size, size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=mode,
        borderValue=(0, 0, 0),
    )
    return crop, a


def landmarks_to_roi(landmarks: np.ndarray, scale: float = 2.0, shift_y: float = -0.1) -> RotatedRect:
    """The next frame's hand ROI from this frame's landmarks (``HandLandmarksToRectCalculator``
    followed by ``RectTransformationCalculator`` scale 2.0, shift_y -0.1, square_long).

    Args:
        landmarks: float (21, 2+) landmarks in frame pixels.
    """
    p = np.asarray(landmarks, np.float64)[:, :2]
    x0, y0 = p[0]
    x1 = ((p[5, 0] + p[13, 0]) / 2 + p[9, 0]) / 2
    y1 = ((p[5, 1] + p[13, 1]) / 2 + p[9, 1]) / 2
    rot = normalize_radians(math.pi / 2 - math.atan2(-(y1 - y0), x1 - x0))
    sub = p[list(ROI_LANDMARKS)]
    lo, hi = sub.min(0), sub.max(0)
    centre = (lo + hi) / 2
    c, s = math.cos(-rot), math.sin(-rot)
    rel = sub - centre
    proj = np.stack([rel[:, 0] * c - rel[:, 1] * s, rel[:, 0] * s + rel[:, 1] * c], axis=1)
    plo, phi = proj.min(0), proj.max(0)
    pc = (plo + phi) / 2
    c2, s2 = math.cos(rot), math.sin(rot)
    cx = pc[0] * c2 - pc[1] * s2 + centre[0]
    cy = pc[0] * s2 + pc[1] * c2 + centre[1]
    w, h = phi - plo
    return transform_rect(float(cx), float(cy), float(w), float(h), rot, scale, 0.0, shift_y)


@dataclass(frozen=True)
class LandmarkResult:
    """The landmark model's answer for one ROI.

    Attributes:
        landmarks: float32 (21, 3) in frame pixels (x, y) and relative depth z (px scale,
            negative = nearer the camera than the wrist).
        world_landmarks: float32 (21, 3) metres, origin near the hand's centre.
        presence: hand presence probability in [0, 1].
        handedness: probability in [0, 1] that the image shows a right hand as it is (the
            person's right hand in an un-mirrored camera frame; MediaPipe, which assumes
            mirrored selfie frames, labels this hand "Left").
        rect: the ROI the crop was taken from (frame px).
        crop: uint8 (224, 224, 3) RGB upright crop fed to the model.
        embedding: float32 (D,) pooled features (1152 full, 672 lite) or None.
    """

    landmarks: np.ndarray
    world_landmarks: np.ndarray
    presence: float
    handedness: float
    rect: RotatedRect
    crop: np.ndarray
    embedding: np.ndarray | None = None

    def handedness_label(self, mirrored: bool = False) -> str:
        """``"Right"`` or ``"Left"``: the person's hand, for an un-mirrored frame (``mirrored=False``)
        or a mirrored selfie frame (``mirrored=True``, MediaPipe's convention)."""
        right = self.handedness > 0.5
        return "Right" if right != mirrored else "Left"


def _litert_preserving(path: Path, num_threads: int | None) -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        from tflite_runtime.interpreter import Interpreter  # type: ignore[no-redef]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "intended for debugging purposes only"
        return Interpreter(
            model_path=str(path), num_threads=num_threads, experimental_preserve_all_tensors=True
        )


class HandLandmarker:
    """Run MediaPipe's hand landmark model on rotated hand ROIs.

    Args:
        model_path: ``hand_landmark_{lite,full}.tflite`` or a bundle folder holding ``model.tflite``.
        embedding: also read the pooled feature vector (interpreter keeps all tensors: slower).
        border: crop border mode, ``"replicate"`` (MediaPipe's default) or ``"zero"``.
        num_threads: interpreter threads (None: runtime default).

    Raises:
        BundleError: the model cannot be loaded or its tensors are not the landmark model's.
        ValueError: unknown ``border``.
    """

    def __init__(
        self,
        model_path: str | Path,
        embedding: bool = False,
        border: str = "replicate",
        num_threads: int | None = None,
    ) -> None:
        if border not in ("replicate", "zero"):
            raise ValueError(f"border must be 'replicate' or 'zero', got {border!r}")
        p = Path(model_path)
        p = p / "model.tflite" if p.is_dir() else p
        if embedding:
            if not p.is_file():
                raise BundleError(f"model file {p} does not exist")
            self.interpreter = _litert_preserving(p, num_threads)
        else:
            self.interpreter, _ = make_interpreter(p, num_threads)
        self.interpreter.allocate_tensors()
        inp = self.interpreter.get_input_details()[0]
        if tuple(int(v) for v in inp["shape"]) != (1, LANDMARK_INPUT, LANDMARK_INPUT, 3):
            raise BundleError(f"{p}: input shape {tuple(inp['shape'])} is not (1, 224, 224, 3)")
        self._in = int(inp["index"])
        # Same shapes twice: the name order (Identity, _1, _2, _3) is the graph's order
        # landmarks, presence, handedness, world landmarks (hand_landmark_cpu.pbtxt).
        self._lm, self._presence, self._hand, self._world = outputs_by_shape(
            self.interpreter.get_output_details(), [(1, 63), (1, 1), (1, 1), (1, 63)], p
        )
        self._emb: int | None = None
        if embedding:
            cands = [
                d
                for d in self.interpreter.get_tensor_details()
                if "global_average_pooling" in d["name"] and len(d["shape"]) == 2
            ]
            if not cands:
                raise BundleError(f"{p}: no pooled feature tensor (global_average_pooling*) to read")
            self._emb = int(cands[0]["index"])
        self.border = border

    def run(self, image: np.ndarray, rect: RotatedRect, bgr: bool = True) -> LandmarkResult:
        """Landmarks of the hand inside ``rect``.

        Args:
            image: uint8 (H, W, 3) frame, BGR unless ``bgr=False`` (RGB).
            rect: rotated hand ROI in frame pixels (from the palm or the previous landmarks).

        Returns:
            The landmarks projected back to frame pixels, presence, handedness and the crop.
        """
        crop, a = warp_roi(image, rect, LANDMARK_INPUT, self.border)
        rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB) if bgr else crop
        self.interpreter.set_tensor(self._in, (rgb.astype(np.float32) / 255.0)[None])
        self.interpreter.invoke()
        get = self.interpreter.get_tensor
        raw = get(self._lm).reshape(NUM_LANDMARKS, 3).astype(np.float32)
        lm = np.empty_like(raw)
        lm[:, :2] = apply_affine(a, raw[:, :2])
        lm[:, 2] = raw[:, 2] * rect.w / LANDMARK_INPUT
        emb = get(self._emb).reshape(-1).astype(np.float32).copy() if self._emb is not None else None
        return LandmarkResult(
            landmarks=lm,
            world_landmarks=get(self._world).reshape(NUM_LANDMARKS, 3).astype(np.float32).copy(),
            presence=float(get(self._presence).reshape(-1)[0]),
            handedness=float(get(self._hand).reshape(-1)[0]),
            rect=rect,
            crop=rgb,
            embedding=emb,
        )
