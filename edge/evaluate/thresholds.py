"""Choosing a hands model's ``min_score``: :func:`threshold_sweep` runs the pipeline over
labelled photos (``none`` photos among them) at every threshold, :func:`choose_threshold`
picks one (``edge-eval --calibrate``).

Imports :mod:`edge.evaluate.images` and :mod:`edge.types`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from edge.evaluate.images import LabelledImage, load_images
from edge.types import Frame

log = logging.getLogger(__name__)


@dataclass
class ThresholdPoint:
    """Rates at one score threshold over a folder of frames.

    Attributes:
        threshold: min_score in [0, 1].
        gesture_accuracy: share of photos of a real class answered correctly with a
            score >= threshold.
        quiet_rate: share of ``none`` photos (no hand / no gesture) where nothing is
            shown at this threshold.
    """

    threshold: float
    gesture_accuracy: float
    quiet_rate: float


def threshold_sweep(
    pipeline: Any,
    labels: Sequence[str],
    items: Sequence[LabelledImage],
    thresholds: Sequence[float] = tuple(np.round(np.arange(0.0, 0.96, 0.05), 2)),
) -> list[ThresholdPoint]:
    """Gesture accuracy and quiet rate on empty/``none`` photos at each threshold.

    Each photo runs once through ``pipeline`` (built with ``min_score=0`` and no
    smoothing); its answer is the most confident reported detection.

    Args:
        pipeline: an :class:`edge.pipeline.Pipeline`.
        labels: the bundle's labels (must include ``none``).
        items: from :func:`list_image_folder`, with ``none`` photos among them.
        thresholds: values to try, each in [0, 1].

    Returns:
        One :class:`ThresholdPoint` per threshold.

    Raises:
        ValueError: the labels have no ``none`` class or the photos no ``none`` photo.
    """
    if "none" not in labels:
        raise ValueError("calibrating min_score needs a model with a 'none' class")
    none = list(labels).index("none")
    if not any(it.label_index == none for it in items):
        raise ValueError("calibrating min_score needs photos without a gesture in a none/ folder")
    answers = []
    for i, (it, img) in enumerate(load_images(items, False)[0]):
        if callable(reset := getattr(pipeline, "reset", None)):
            reset()  # each photo stands alone (no scene kept from the last one)
        res = pipeline.process(Frame(img, 0.0, i))
        best = max(res.detections, key=lambda d: d.prediction.score, default=None)
        answers.append(
            (
                it.label_index,
                None if best is None else best.prediction.index,
                0.0 if best is None else best.prediction.score,
            )
        )
    out = []
    for t in thresholds:
        g = [p == y and s >= t for y, p, s in answers if y != none]
        q = [p is None or s < t for y, p, s in answers if y == none]
        out.append(ThresholdPoint(float(t), float(np.mean(g)) if g else float("nan"), float(np.mean(q))))
    return out


def choose_threshold(points: Sequence[ThresholdPoint], max_accuracy_loss: float = 0.02) -> ThresholdPoint:
    """The highest threshold whose gesture accuracy is within ``max_accuracy_loss`` of
    the accuracy at the lowest threshold (a calibrated operating point: the most
    silence on empty scenes for a bounded cost on real gestures).

    Raises:
        ValueError: ``points`` is empty or ``max_accuracy_loss`` is outside [0, 1].
    """
    if not points:
        raise ValueError("no threshold points")
    if not 0.0 <= max_accuracy_loss <= 1.0:
        raise ValueError(f"max_accuracy_loss must be in [0, 1], got {max_accuracy_loss}")
    pts = sorted(points, key=lambda p: p.threshold)
    floor = pts[0].gesture_accuracy - max_accuracy_loss
    ok = [p for p in pts if p.gesture_accuracy >= floor - 1e-12]
    return ok[-1]
