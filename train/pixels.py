"""uint8-safe pixel arithmetic for augmentation and dataset conversion.

NumPy arithmetic on uint8 arrays wraps around: ``np.uint8(250) + 10 == 4``, and
``img + 10`` on a uint8 image turns the brightest pixels almost black. Every
augmentation step in ``train`` that changes pixel values therefore either

- works in float32 and comes back through :func:`to_uint8` (round, clip to 0..255,
  then cast), or
- uses OpenCV's saturating operations (``cv2.add``, ``cv2.subtract``,
  ``cv2.addWeighted``, ``cv2.convertScaleAbs``, filters with ``ddepth=-1``), which
  clamp to 0..255 (OpenCV's ``saturate_cast``).

:func:`adjust` (gain and offset) is the one brightness/contrast step the data code
shares; ``tests/test_retrain.py`` checks it and the augmenters near 0 and 255.
:func:`light_on_dark` and :func:`stretch` bring grey digit images of either polarity
to MNIST's (light ink on a dark ground, 0..255).
"""

from __future__ import annotations

import numpy as np


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Round float pixels and clip them to 0..255 before the cast (never wrap around).

    Args:
        x: float (any shape) pixel values on the 0..255 scale; values outside are
            clipped, NaN becomes 0.

    Returns:
        uint8 array of the same shape.
    """
    x = np.nan_to_num(np.asarray(x, np.float32), nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(np.rint(x), 0.0, 255.0).astype(np.uint8)


def adjust(img: np.ndarray, gain: float = 1.0, offset: float = 0.0) -> np.ndarray:
    """``gain * img + offset``, saturated to 0..255 (brightness and contrast).

    Args:
        img: uint8 pixels, any shape and colour order (the same gain for every channel).
        gain: contrast factor (>= 0).
        offset: brightness change in grey levels (may be negative).

    Returns:
        uint8 array of the same shape: 250 + 10 gives 255, 5 - 10 gives 0.

    Raises:
        ValueError: ``img`` is not uint8 or ``gain`` is negative.
    """
    if img.dtype != np.uint8:
        raise ValueError(
            f"adjust takes uint8 pixels, got {img.dtype}; convert float images with "
            "train.pixels.to_uint8 first"
        )
    if gain < 0:
        raise ValueError(f"gain must be >= 0, got {gain}")
    return to_uint8(img.astype(np.float32) * np.float32(gain) + np.float32(offset))


def light_on_dark(grey: np.ndarray, border: int = 2) -> np.ndarray:
    """Make each image's background dark: invert images whose border is brighter than their centre.

    Args:
        grey: uint8 (N, H, W) grey images, ink of either polarity.
        border: width of the frame taken as background, px.

    Returns:
        uint8 (N, H, W): light ink on a dark ground (the polarity of MNIST).
    """
    g = grey.astype(np.float32)
    h, w = grey.shape[1:]
    ring = np.ones((h, w), bool)
    ring[border : h - border, border : w - border] = False
    centre = np.zeros((h, w), bool)
    centre[h // 4 : h - h // 4, w // 4 : w - w // 4] = True
    flip = g[:, ring].mean(1) > g[:, centre].mean(1)
    out = grey.copy()
    out[flip] = 255 - grey[flip]  # uint8 255 - v never wraps
    return out


def stretch(grey: np.ndarray, border: int = 2) -> np.ndarray:
    """Per image: background (median of the border) to 0, 99th percentile to 255, clipped.

    Args:
        grey: uint8 (N, H, W), light ink on a dark ground.

    Returns:
        uint8 (N, H, W) in 0..255 (computed in float32, clipped before the cast).
    """
    g = grey.astype(np.float32)
    h, w = grey.shape[1:]
    ring = np.ones((h, w), bool)
    ring[border : h - border, border : w - border] = False
    lo = np.median(g[:, ring], axis=1)[:, None, None]
    hi = np.percentile(g.reshape(len(g), -1), 99, axis=1)[:, None, None]
    return to_uint8((g - lo) * 255.0 / np.maximum(hi - lo, 16.0))
