"""Wires the stages together; the only module that knows all of them.

``Frame -> Segmenter.find -> list[ROI] -> Preprocessor -> Classifier.classify ->
Smoother.update -> FrameResult``. The benchmarks time this same object stage by
stage, so what ``edge-bench`` reports is what ``edge-run`` does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from edge.types import ROI, Detection, Frame, Prediction

STAGES = ("segment", "preprocess", "classify", "smooth")


class Segmenter(Protocol):
    def find(self, image: np.ndarray) -> list[ROI]:
        """ROIs in a uint8 (H, W, 3) BGR image, in reading order."""
        ...


class Preprocessor(Protocol):
    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        """float32 (N, H, W, C) model inputs, one per ROI, from a uint8 (H, W, 3) BGR image."""
        ...


class ClassifierLike(Protocol):
    def classify(self, batch: np.ndarray) -> list[Prediction]: ...


class Smoother(Protocol):
    def update(self, detections: list[Detection], timestamp: float) -> list[Detection]:
        """Temporally smoothed detections for this frame."""
        ...


@dataclass
class FrameResult:
    """What the pipeline made of one frame.

    Attributes:
        frame: the input frame.
        detections: smoothed detections, in reading order.
        raw: detections before smoothing.
        numbers: for digits, the numbers read: each a tuple of (string, ROI
            enclosing its digits), left to right, top to bottom.
        timings_ms: milliseconds per stage (keys of :data:`STAGES`) and ``"total"``.
    """

    frame: Frame
    detections: list[Detection]
    raw: list[Detection] = field(default_factory=list)
    numbers: list[tuple[str, ROI]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)


class Pipeline:
    """Segment, preprocess, classify and smooth one frame at a time.

    Args:
        segmenter: finds ROIs (:class:`Segmenter`).
        preprocessor: turns ROIs into model inputs (:class:`Preprocessor`).
        classifier: an :class:`edge.runtime.Classifier` or anything with ``classify``.
        smoother: optional temporal smoother (:class:`Smoother`).
        grouper: optional ``f(detections) -> list[(number, ROI)]`` that groups digit
            detections into numbers (see :func:`edge.digits.group_numbers`).
    """

    def __init__(self, segmenter: Segmenter, preprocessor: Preprocessor,
                 classifier: ClassifierLike, smoother: Smoother | None = None,
                 grouper=None) -> None:
        self.segmenter = segmenter
        self.preprocessor = preprocessor
        self.classifier = classifier
        self.smoother = smoother
        self.grouper = grouper

    def process(self, frame: Frame) -> FrameResult:
        """Run every stage on ``frame`` and time each (ms, ``time.perf_counter``)."""
        t = {}
        t0 = time.perf_counter()
        rois = self.segmenter.find(frame.image)
        t1 = time.perf_counter()
        batch = self.preprocessor(frame.image, rois) if rois else None
        t2 = time.perf_counter()
        preds = self.classifier.classify(batch) if batch is not None and len(batch) else []
        t3 = time.perf_counter()
        raw = [Detection(r, p) for r, p in zip(rois, preds, strict=True)]
        dets = self.smoother.update(raw, frame.timestamp) if self.smoother else raw
        numbers = self.grouper(dets) if self.grouper else []
        t4 = time.perf_counter()
        t["segment"], t["preprocess"] = (t1 - t0) * 1e3, (t2 - t1) * 1e3
        t["classify"], t["smooth"] = (t3 - t2) * 1e3, (t4 - t3) * 1e3
        t["total"] = (t4 - t0) * 1e3
        return FrameResult(frame=frame, detections=dets, raw=raw, numbers=numbers, timings_ms=t)
