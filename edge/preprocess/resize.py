"""The ``"resize"`` preprocessing: crop each ROI, convert colour order, resize, scale to range."""

from __future__ import annotations

import cv2
import numpy as np

from edge.bundle import ModelBundle
from edge.segment.ink import to_grey
from edge.types import ROI


def to_range(x: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """float32 ``x`` (0..255) mapped linearly onto ``value_range`` (lo, hi)."""
    lo, hi = value_range
    return (x.astype(np.float32) * ((hi - lo) / 255.0) + lo).astype(np.float32)


def to_colour_order(crop: np.ndarray, order: str) -> np.ndarray:
    """uint8 (h, w, C) ``crop`` (BGR, or grey (h, w) / (h, w, 1)) in the model's colour
    order: ``"grey"`` (C = 1), ``"RGB"`` or ``"BGR"`` (C = 3)."""
    if crop.ndim == 2:
        crop = crop[:, :, None]
    if order == "grey":
        return to_grey(crop)[:, :, None] if crop.shape[2] != 1 else crop
    if crop.shape[2] == 1:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB) if order == "RGB" else crop


class ResizePreprocessor:
    """Crop each ROI, convert to the model's colour order, resize, scale to its range.

    The ``"resize"`` preprocessing; with ``square=True`` the square crop of the
    ``"hand-crop"`` one (see :class:`HandPreprocessor`): the ROI is grown to a square
    about its centre (the part outside the frame padded by edge replication), so
    the object keeps its aspect ratio.

    Args:
        bundle: gives the input (H, W), colour order (``"grey"``, ``"RGB"`` or
            ``"BGR"``) and value range.
        square: square-pad the crop.
    """

    def __init__(self, bundle: ModelBundle, square: bool = False) -> None:
        self.spec = bundle.input
        self.square = square

    @staticmethod
    def window(roi: ROI, frame: tuple[int, int]) -> tuple[int, int, int, tuple[int, int, int, int]]:
        """The square crop window of ``roi``: (x0, y0, side, (top, bottom, left, right) pads).

        ``side = max(roi.w, roi.h, 1)`` px about the ROI's centre; the pads are the px
        of the window outside the ``frame`` (height, width).
        """
        H, W = frame
        cx, cy = roi.center
        side = max(roi.w, roi.h, 1)
        x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
        return x0, y0, side, (max(0, -y0), max(0, y0 + side - H), max(0, -x0), max(0, x0 + side - W))

    def crop(self, image: np.ndarray, roi: ROI) -> np.ndarray:
        """uint8 (h, w, C) crop of ``image`` for ``roi`` (square-padded if asked)."""
        H, W = image.shape[:2]
        if self.square:
            x0, y0, side, pads = self.window(roi, (H, W))
            crop = image[max(0, y0) : min(H, y0 + side), max(0, x0) : min(W, x0 + side)]
            if any(pads) and crop.size:
                crop = cv2.copyMakeBorder(crop, *pads, cv2.BORDER_REPLICATE)
        else:
            crop = image[roi.y : roi.y + roi.h, roi.x : roi.x + roi.w]
        if crop.size == 0:
            crop = image
        return crop

    def _resize(self, crop: np.ndarray) -> np.ndarray:
        """``crop`` at the model's (W, H): area interpolation when shrinking, else bilinear."""
        spec = self.spec
        h, w = crop.shape[:2]
        interp = cv2.INTER_AREA if h > spec.height or w > spec.width else cv2.INTER_LINEAR
        return cv2.resize(crop, (spec.width, spec.height), interpolation=interp)

    def one(self, crop: np.ndarray) -> np.ndarray:
        """float32 (H, W, C) model input from a uint8 BGR (or grey) crop."""
        return to_range(to_colour_order(self._resize(crop), self.spec.colour_order), self.spec.value_range)

    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        """float32 (N, H, W, C) in the bundle's value range, one per ROI, from uint8 BGR."""
        spec = self.spec
        out = np.zeros((len(rois), spec.height, spec.width, spec.channels), np.float32)
        for i, roi in enumerate(rois):
            out[i] = self.one(self.crop(image, roi))
        return out
