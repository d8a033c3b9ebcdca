"""The ``"hand-crop"`` preprocessing: a hand ROI made to look like a training crop."""

from __future__ import annotations

import cv2
import numpy as np

from edge.bundle import ModelBundle
from edge.preprocess.resize import ResizePreprocessor, to_colour_order, to_range
from edge.types import ROI

#: Background treatments of :class:`HandPreprocessor`.
HAND_BACKGROUNDS = ("keep", "grey", "blur")
#: The grey level (0..255, all channels) of ``background="grey"``.
BACKGROUND_GREY = 128


def square_pad(image: np.ndarray) -> np.ndarray:
    """Pad the shorter side by edge replication to a square, the image centred.

    The framing of ``edge-eval --crop`` photos (:func:`edge.preprocess.crop_input`) and of the hands
    training images (``train.hand_data.load_images`` calls this function).

    Args:
        image: uint8 (H, W) or (H, W, C).

    Returns:
        uint8 (S, S[, C]) with S = max(H, W); ``(S - H) // 2`` rows on top and
        ``(S - W) // 2`` columns on the left, the rest on the other side.
    """
    h, w = image.shape[:2]
    if h == w:
        return image
    s = max(h, w)
    top, left = (s - h) // 2, (s - w) // 2
    return cv2.copyMakeBorder(image, top, s - h - top, left, s - w - left, cv2.BORDER_REPLICATE)


class HandPreprocessor(ResizePreprocessor):
    """The ``"hand-crop"`` preprocessing: a hand ROI made to look like a training crop.

    Per ROI:

    1. grow it by ``margin`` of its longer side on every side (:meth:`ROI.pad`). The
       ROIs of the :mod:`edge.segment` hand finders include their margin (and are square),
       hence the default 0; give a margin for tight ROIs from elsewhere;
    2. crop a square about its centre, the part outside the frame padded by edge
       replication (:meth:`ResizePreprocessor.crop`), as training square-pads its
       photos (``train.hand_data.square_pad``);
    3. resize to the model's (H, W), area interpolation when shrinking (as
       training does);
    4. optionally normalise the background with the hand's mask: ``"keep"`` it
       (default; the models are trained on real rooms), ``"grey"`` (flat
       :data:`BACKGROUND_GREY`) or ``"blur"`` (Gaussian, sigma = 1/16 of the input
       side). The mask (dilated by one px and feathered, at the model's size) is the
       ROI's own :attr:`edge.types.ROI.mask`, which the hand segmenters of
       :mod:`edge.segment` set. An ROI without a mask is kept as it is;
    5. convert BGR to the model's colour order (``"RGB"`` for the hands models) and
       scale 0..255 to its value range.

    Args:
        bundle: gives the input (H, W), colour order and value range.
        margin: step 1's margin, fraction of the ROI's longer side, in [0, 1].
        background: ``"keep"``, ``"grey"`` or ``"blur"`` (step 4).

    Raises:
        ValueError: unknown ``background`` or ``margin`` out of range.
    """

    def __init__(self, bundle: ModelBundle, *, margin: float = 0.0, background: str = "keep") -> None:
        super().__init__(bundle, square=True)
        if background not in HAND_BACKGROUNDS:
            raise ValueError(f"background must be one of {HAND_BACKGROUNDS}, got {background!r}")
        if not 0.0 <= margin <= 1.0:
            raise ValueError(f"margin must be in [0, 1] (fraction of the ROI's longer side), got {margin}")
        self.margin = float(margin)
        self.background = background

    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        """Model inputs for the hand ROIs of one frame.

        Args:
            image: uint8 (H, W, 3) BGR frame.
            rois: hand ROIs in frame px; their ``mask`` (uint8 (h, w) over the box),
                where set, is used by the background treatment.

        Returns:
            float32 (N, H, W, C) in the bundle's colour order and value range,
            N = ``len(rois)``.
        """
        spec = self.spec
        out = np.zeros((len(rois), spec.height, spec.width, spec.channels), np.float32)
        for i, roi in enumerate(rois):
            r = roi.pad(self.margin) if self.margin else roi
            img = self._resize(self.crop(image, r))
            if self.background != "keep" and roi.mask is not None:
                img = self._normalise_background(img, self._window_mask(roi, r, image.shape[:2]))
            out[i] = to_range(to_colour_order(img, spec.colour_order), spec.value_range)
        return out

    def _window_mask(self, hand: ROI, roi: ROI, frame: tuple[int, int]) -> np.ndarray:
        """uint8 (H, W) 0/255 hand mask at the model's size for the square window of ``roi``.

        ``hand.mask`` (uint8 (hand.h, hand.w) over ``hand``'s box) is placed in the
        window in frame px and padded like the image (edge replication).
        """
        H, W = frame
        x0, y0, side, pads = self.window(roi, frame)
        fx0, fy0 = max(0, x0), max(0, y0)
        inside: np.ndarray = np.zeros((min(H, y0 + side) - fy0, min(W, x0 + side) - fx0), np.uint8)
        full = hand.mask
        assert full is not None
        # the hand's box within the in-frame part of the window
        ox0, oy0 = max(hand.x, fx0), max(hand.y, fy0)
        ox1, oy1 = min(hand.x + hand.w, fx0 + inside.shape[1]), min(hand.y + hand.h, fy0 + inside.shape[0])
        if ox1 > ox0 and oy1 > oy0:
            inside[oy0 - fy0 : oy1 - fy0, ox0 - fx0 : ox1 - fx0] = full[
                oy0 - hand.y : oy1 - hand.y, ox0 - hand.x : ox1 - hand.x
            ]
        if any(pads) and inside.size:
            inside = cv2.copyMakeBorder(inside, *pads, cv2.BORDER_REPLICATE)
        if inside.size == 0:
            return np.full((self.spec.height, self.spec.width), 255, np.uint8)
        return self._resize(inside)

    def _normalise_background(self, img: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """uint8 (H, W, 3) ``img`` with its background (``mask`` 0) grey or blurred."""
        mask = cv2.GaussianBlur(cv2.dilate(mask, np.ones((3, 3), np.uint8)), (3, 3), 0)
        if self.background == "grey":
            bg = np.full_like(img, BACKGROUND_GREY)
        else:
            bg = cv2.GaussianBlur(img, (0, 0), max(img.shape[:2]) / 16.0)
        alpha = mask.astype(np.float32)[:, :, None] * np.float32(1.0 / 255.0)
        mixed = img.astype(np.float32) * alpha + bg.astype(np.float32) * (1.0 - alpha)
        return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
