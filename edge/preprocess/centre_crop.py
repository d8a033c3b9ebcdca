"""The ``"centre-crop"`` preprocessing: the centre of each ROI at the model's aspect ratio, resized.

What image classifiers are usually evaluated with (a central crop rather than a squashed
frame): of each ROI the largest centred window with the model input's aspect ratio
(W / H; the central square for a square input) is cut out, converted to the model's
colour order, resized and scaled to its value range, as :class:`ResizePreprocessor` does.
"""

from __future__ import annotations

import numpy as np

from edge.preprocess.resize import ResizePreprocessor
from edge.types import ROI


def centre_window(roi: ROI, aspect: float) -> ROI:
    """The largest window centred in ``roi`` whose width / height is ``aspect``.

    Args:
        roi: the region, px.
        aspect: width / height of the window (the model input's W / H), > 0.

    Returns:
        The window, px, inside ``roi`` (at least 1 x 1).
    """
    w, h = roi.w, roi.h
    if w / max(h, 1) > aspect:  # too wide: keep the height
        cw, ch = max(1, round(h * aspect)), h
    else:
        cw, ch = w, max(1, round(w / aspect))
    return ROI(roi.x + (w - cw) // 2, roi.y + (h - ch) // 2, cw, ch)


class CentreCropPreprocessor(ResizePreprocessor):
    """Cut the centre of each ROI at the model's aspect ratio, then resize like ``"resize"``.

    Args:
        bundle: gives the input (H, W), colour order (``"grey"``, ``"RGB"`` or ``"BGR"``)
            and value range.
    """

    def crop(self, image: np.ndarray, roi: ROI) -> np.ndarray:
        """uint8 (h, w, C) centre crop of ``image`` inside ``roi`` (with the model's W / H)."""
        return super().crop(image, centre_window(roi, self.spec.width / self.spec.height))
