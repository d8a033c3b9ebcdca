"""What the pipeline made of one frame: :class:`FrameResult` and its JSON Lines record.

Kept apart from :mod:`edge.pipeline` (the wiring) so sinks and statistics can read
results without importing every stage; :mod:`edge.pipeline` re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edge.types import ROI, Detection, Frame

STAGES = ("segment", "preprocess", "classify", "smooth")
#: Sub-stages of ``segment`` reported by a segmenter with ``last_timings_ms`` (the hand
#: tracker): palm detection and the landmark model, ms (instrumentation, part of ``segment``).
SEGMENT_PARTS = ("palm", "landmarks")


@dataclass
class FrameResult:
    """What the pipeline made of one frame.

    Attributes:
        frame: the input frame.
        detections: smoothed detections, in reading order.
        raw: detections before smoothing.
        numbers: for digits, the numbers read: each a tuple of (string, ROI
            enclosing its digits), left to right, top to bottom.
        timings_ms: milliseconds per stage (keys of :data:`STAGES`) and ``"total"``;
            with the hand tracker also ``"palm"`` and ``"landmarks"``
            (:data:`SEGMENT_PARTS`, parts of ``"segment"``).
        palm_detector_ran: instrumentation: whether the segmenter ran its palm detector
            on this frame (with tracking it runs only when a hand is lost); ``None`` for
            segmenters without one.
        top: for a pipeline with ``top_k`` (task ``classify``): per shown detection, its
            ``top_k`` (label, score) pairs, best first (smoothed scores when smoothing).
    """

    frame: Frame
    detections: list[Detection]
    raw: list[Detection] = field(default_factory=list)
    numbers: list[tuple[str, ROI]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    palm_detector_ran: bool | None = None
    top: list[list[tuple[str, float]]] = field(default_factory=list)

    def as_json(self, t: float | None = None) -> dict[str, Any]:
        """The JSON Lines record of this frame.

        Args:
            t: the time to record in seconds (default: the frame's timestamp).

        Returns:
            ``{"frame": int, "t": float, "detections": [{"box": [x, y, w, h],
            "label": str, "score": float}, ...]}`` plus, when digits were read,
            ``"numbers": [{"text": str, "box": [x, y, w, h]}, ...]`` (reading order;
            text as written, e.g. ``"-3.5"``; box in frame px around its digits and
            marks) and, when they form exactly one number, ``"number": str`` (its text).
            With :attr:`top` each detection also has ``"top_k": [{"label": str,
            "score": float}, ...]``.
        """
        rec: dict[str, Any] = {
            "frame": int(self.frame.index),
            "t": round(float(self.frame.timestamp if t is None else t), 4),
            "detections": [d.as_json() for d in self.detections],
        }
        if self.numbers:
            rec["numbers"] = [{"text": n, "box": roi.as_list()} for n, roi in self.numbers]
        for det, top in zip(rec["detections"], self.top, strict=False):
            det["top_k"] = [{"label": lab, "score": round(float(sc), 4)} for lab, sc in top]
        if len(self.numbers) == 1:
            rec["number"] = self.numbers[0][0]
        return rec
