"""The ``"chroma"`` hand finder: hands in front of a green screen."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from edge.segment.blobs import BlobSegmenter


class ChromaKeySegmenter(BlobSegmenter):
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

    def __init__(
        self, hue: tuple[int, int] = (35, 85), *, min_saturation: int = 50, min_value: int = 30, **blob: Any
    ) -> None:
        super().__init__(**blob)
        if not 0 <= hue[0] < hue[1] <= 180:
            raise ValueError(f"hue must be (lo, hi) with 0 <= lo < hi <= 180 (OpenCV units), got {hue}")
        if not (0 <= min_saturation <= 255 and 0 <= min_value <= 255):
            raise ValueError(
                f"min_saturation and min_value must be 0..255, got {min_saturation}, {min_value}"
            )
        self._lo = np.array([hue[0], min_saturation, min_value], np.uint8)
        self._hi = np.array([hue[1], 255, 255], np.uint8)

    def _foregrounds(self, small: np.ndarray) -> list[np.ndarray]:
        green = cv2.inRange(cv2.cvtColor(small, cv2.COLOR_BGR2HSV), self._lo, self._hi)
        return [cv2.bitwise_not(green)]


# ---------------------------------------------------------------------------
