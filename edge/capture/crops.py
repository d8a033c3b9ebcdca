"""What ``edge-capture`` saves of a detection: which ROIs (:func:`choose_rois`), the exact
model input (:class:`RecordingPreprocessor`, :func:`input_to_image`) and the raw crop
of the frame around it (:func:`raw_crop`); for a ``hand-landmarks`` bundle (``--model hands``,
whose input is a feature vector, not an image) the hand photo (:func:`hand_photo`) instead.

Imports :mod:`edge.bundle` (``InputSpec``) and :mod:`edge.types`; the digit preprocessor
only inside :func:`raw_crop`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import cv2
import numpy as np

from edge.bundle import InputSpec
from edge.types import ROI

log = logging.getLogger(__name__)


#: Which detections of a frame are saved: the largest ROI, or every ROI.
TAKE_MODES = ("largest", "all")
#: Margin of a digit's raw crop: this fraction of the ROI's longer side, plus
#: :data:`DIGIT_MARGIN_PX`, on every side (clipped to the frame): the window
#: ``edge.preprocess.mnist_normalise`` reads around a digit ROI.
DIGIT_MARGIN = 0.2
DIGIT_MARGIN_PX = 2
#: Margin of a ``hand-landmarks`` sample (:func:`hand_photo`): this fraction of the hand ROI's
#: longer side on every side, so the palm detector finds the hand again in the saved photo.
HAND_PHOTO_MARGIN = 0.3


def hand_photo(image: np.ndarray, roi: ROI, margin: float = HAND_PHOTO_MARGIN) -> np.ndarray:
    """The sample ``edge-capture`` saves for a ``hand-landmarks`` bundle: the hand and some
    room around it, as a photo (``edge-train landmarks`` and ``edge-eval --crop`` find the
    hand in it again with the hand tracker).

    Args:
        image: uint8 (H, W, 3) BGR frame.
        roi: the hand's ROI (landmark box) in frame px.
        margin: added on every side, as a fraction of the ROI's longer side.

    Returns:
        uint8 (h, w, 3) BGR crop (a copy), clipped to the frame.
    """
    H, W = image.shape[:2]
    r = roi.pad(margin, (W, H))
    return image[r.y : r.y + r.h, r.x : r.x + r.w].copy()


def choose_rois(rois: Sequence[ROI], take: str = "largest") -> list[ROI]:
    """The ROIs of a frame to save.

    Args:
        rois: every ROI the segmenter found, in reading order.
        take: ``"largest"`` (the one of largest area; the first of equals) or ``"all"``.

    Returns:
        ``[]`` for no ROI; one ROI for ``"largest"``; ``rois`` for ``"all"``.

    Raises:
        ValueError: unknown ``take``.
    """
    if take not in TAKE_MODES:
        raise ValueError(f"take must be one of {TAKE_MODES}, got {take!r}")
    if not rois:
        return []
    if take == "all":
        return list(rois)
    return [max(rois, key=lambda r: r.area)]


def input_to_image(x: np.ndarray, spec: InputSpec) -> np.ndarray:
    """A model input as the uint8 image saved in a PNG.

    The value range maps linearly to 0..255 (``(x - lo) / (hi - lo) * 255``, rounded);
    an RGB input is converted to BGR so that ``cv2.imwrite`` stores its true colours
    (``cv2.imread`` gives it back in BGR, like any photo).

    Args:
        x: float32 (H, W, C) model input in ``spec.value_range``, colour order
            ``spec.colour_order`` (C = 1 for grey).
        spec: the bundle's input spec.

    Returns:
        uint8 (H, W) for grey, uint8 (H, W, 3) BGR for colour inputs.

    Raises:
        ValueError: ``x``'s shape is not the spec's (H, W, C).
    """
    x = np.asarray(x, np.float32)
    want = (spec.height, spec.width, spec.channels)
    if x.shape != want:
        raise ValueError(f"model input has shape {x.shape}, but the bundle expects {want}")
    lo, hi = spec.value_range
    img = np.clip((x - lo) * (255.0 / max(hi - lo, 1e-12)) + 0.5, 0, 255).astype(np.uint8)
    if spec.channels == 1:
        return np.ascontiguousarray(img[:, :, 0])
    return cv2.cvtColor(img, cv2.COLOR_RGB2BGR) if spec.colour_order == "RGB" else img


def image_to_input(img: np.ndarray, spec: InputSpec) -> np.ndarray:
    """The inverse of :func:`input_to_image`: a saved sample back to a model input.

    Args:
        img: uint8 (H, W) grey or (H, W, 3) BGR, as ``cv2.imread(path, cv2.IMREAD_UNCHANGED)``
            returns a saved sample.
        spec: the bundle's input spec.

    Returns:
        float32 (H, W, C) in ``spec.value_range`` and ``spec.colour_order`` (equal to the
        input that was saved within half a grey level: ``0.5 / 255 * (hi - lo)``).

    Raises:
        ValueError: the image's size or channels do not match the spec.
    """
    if img.dtype != np.uint8 or img.shape[:2] != (spec.height, spec.width):
        raise ValueError(
            f"sample is {img.dtype} {img.shape}, but the bundle's input is uint8 "
            f"({spec.height}, {spec.width}) with {spec.channels} channel(s)"
        )
    if img.ndim == 2:
        img = img[:, :, None]
    if img.shape[2] != spec.channels:
        raise ValueError(f"sample has {img.shape[2]} channel(s), the bundle's input {spec.channels}")
    if spec.colour_order == "RGB":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    lo, hi = spec.value_range
    x = img.astype(np.float32) * np.float32((hi - lo) / 255.0) + np.float32(lo)
    return x.reshape(spec.height, spec.width, spec.channels)


def raw_crop(image: np.ndarray, roi: ROI, preprocessor: object) -> np.ndarray:
    """The ROI of the original frame with the margin the preprocessor reads around it.

    - ``mnist-normalise`` (:class:`edge.preprocess.MnistPreprocessor`): the ROI grown by
      :data:`DIGIT_MARGIN` of its longer side plus :data:`DIGIT_MARGIN_PX` px on every
      side, clipped to the frame;
    - ``hand-crop`` and ``resize`` (anything with ``crop(image, roi)``): that crop,
      i.e. the square window about the hand ROI, edge-replicated where it leaves the
      frame (after the preprocessor's own ``margin``, if any);
    - ``hand-landmarks`` (:class:`edge.preprocess.LandmarkPreprocessor`): the whole frame
      (the sample itself is already the hand photo, :func:`hand_photo`);
    - anything else: the ROI itself.

    Args:
        image: uint8 (H, W, 3) BGR frame.
        roi: the detection's ROI in frame px.
        preprocessor: the pipeline's preprocessor.

    Returns:
        uint8 (h, w, 3) BGR crop (a copy).
    """
    from edge.preprocess import LandmarkPreprocessor, MnistPreprocessor

    H, W = image.shape[:2]
    if isinstance(preprocessor, LandmarkPreprocessor):
        return image.copy()
    if isinstance(preprocessor, MnistPreprocessor):
        pad = int(round(DIGIT_MARGIN * max(roi.w, roi.h, 1))) + DIGIT_MARGIN_PX
        x0, y0 = max(0, roi.x - pad), max(0, roi.y - pad)
        x1, y1 = min(W, roi.x + roi.w + pad), min(H, roi.y + roi.h + pad)
        return image[y0:y1, x0:x1].copy()
    crop = getattr(preprocessor, "crop", None)
    if callable(crop):
        margin = float(getattr(preprocessor, "margin", 0.0) or 0.0)
        return np.array(crop(image, roi.pad(margin) if margin else roi))
    r = roi.intersect(ROI(0, 0, W, H))
    return image[r.y : r.y + r.h, r.x : r.x + r.w].copy()


class RecordingPreprocessor:
    """Wraps a pipeline's preprocessor and keeps its last batch, so the exact model
    inputs of a frame's ROIs can be saved.

    Args:
        inner: the preprocessor (``f(uint8 (H, W, 3) BGR frame, list[ROI]) -> float32
            (N, H, W, C)``).

    Attributes:
        last_image: the frame of the last call (compared by identity).
        last_rois: its ROIs.
        last_batch: float32 (N, H, W, C): the inputs made for them.
    """

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.last_image: np.ndarray | None = None
        self.last_rois: list[ROI] = []
        self.last_batch: np.ndarray | None = None

    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        batch = self.inner(image, rois)  # type: ignore[operator]
        self.last_image, self.last_rois, self.last_batch = image, list(rois), batch
        return batch

    def input_for(self, image: np.ndarray, roi: ROI) -> np.ndarray:
        """float32 (H, W, C): the model input made for ``roi`` of ``image``; recomputed by
        the wrapped preprocessor when the last call was for another frame or ROI."""
        if self.last_image is image and self.last_batch is not None and roi in self.last_rois:
            return np.asarray(self.last_batch[self.last_rois.index(roi)])
        return np.asarray(self.inner(image, [roi])[0])  # type: ignore[operator]
