"""A frame's ROIs made model inputs as :class:`edge.pipeline.Pipeline` reads them, shared with the
still-frame polarity check (:mod:`edge.still_polarity`), which reads a frame's ROIs the same way
before the pipeline does.

Imports only :mod:`edge.types` and NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge.segment.ink import to_grey
from edge.types import ROI

__all__ = ["frame_grey", "ink_inputs", "segmenter_grey"]


def segmenter_grey(segmenter: Any, image: np.ndarray) -> np.ndarray | None:
    """The segmenter's grey view of ``image`` (a digit segmenter's ``last_grey``: uint8 (H, W),
    0 black .. 255 white), or ``None`` when it kept none of ``image``'s (H, W)."""
    grey = getattr(segmenter, "last_grey", None)
    return grey if isinstance(grey, np.ndarray) and grey.shape == image.shape[:2] else None


def frame_grey(segmenter: Any, image: np.ndarray) -> np.ndarray:
    """uint8 (H, W) grey of the uint8 BGR ``image``: the segmenter's own (:func:`segmenter_grey`), or
    converted (:func:`edge.segment.ink.to_grey`) when it kept none.

    Raises:
        ValueError: ``image`` is not uint8 grey, BGR or BGRA (:func:`~edge.segment.ink.to_grey`).
    """
    grey = segmenter_grey(segmenter, image)
    return to_grey(image) if grey is None else grey


def ink_inputs(
    segmenter: Any, preprocessor: Any, image: np.ndarray, rois: list[ROI]
) -> tuple[list[ROI], np.ndarray | None, Any]:
    """``rois`` (frame px, found by ``segmenter`` in ``image``) preprocessed: from the segmenter's
    grey view when the preprocessor ``accepts_grey`` (:func:`segmenter_grey`), with its
    ``last_analysis`` when it ``accepts_analysis``; the ROIs in which the preprocessor found no ink
    (its ``last_light`` per ROI is ``None``) dropped.

    Args:
        segmenter: the segmenter whose ``find`` returned ``rois``.
        preprocessor: called as ``preprocessor(image_or_grey, rois[, analysis=...])``.
        image: uint8 (H, W, 3) BGR frame.
        rois: the ROIs to read.

    Returns:
        (the ROIs kept, their model inputs (the preprocessor's batch, one row a kept ROI; ``None``
        when ``rois`` is empty), each kept ROI's ink polarity (True: light ink; ``None`` when the
        preprocessor does not say; an empty list for no ROIs when it does)). Errors are the
        preprocessor's.
    """
    if not rois:  # (the preprocessor is not called: its last_light is an earlier frame's)
        return rois, None, [] if hasattr(preprocessor, "last_light") else None
    grey = segmenter_grey(segmenter, image)
    pre_in = grey if grey is not None and getattr(preprocessor, "accepts_grey", False) else image
    analysis = getattr(segmenter, "last_analysis", None)  # a digit segmenter's ink, if any
    kw = {"analysis": analysis} if getattr(preprocessor, "accepts_analysis", False) else {}
    batch = preprocessor(pre_in, rois, **kw)
    light = getattr(preprocessor, "last_light", None)  # per ROI; None: no ink found in it
    if batch is not None and isinstance(light, list) and len(light) == len(rois) and None in light:
        keep = [i for i, v in enumerate(light) if v is not None]
        rois, batch, light = [rois[i] for i in keep], batch[keep], [light[i] for i in keep]
    return rois, batch, light
