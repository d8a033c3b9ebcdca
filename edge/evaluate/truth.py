"""Digits or gestures read against a demo scene's ground truth, frame by frame
(:class:`TruthTally`, :func:`match_truth`), as ``edge-run`` reports it.

Imports nothing of ``edge``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class TruthTally:
    """Running count of digits read correctly against a scene's ground truth.

    A truth box is matched to the unmatched detection with the highest IoU >= 0.5,
    or failing that to one whose centre lies inside it; matched with the right
    label is *correct*, with another label *wrong*, unmatched *missed*; detections
    matching no truth box are *extra*.
    """

    iou_threshold: float = 0.5
    truths: int = 0
    correct: int = 0
    wrong: int = 0
    missed: int = 0
    extra: int = 0
    frames: int = 0

    def update(self, truth: Sequence[tuple[str, Any]], detections: Sequence[Any]) -> None:
        """Add one frame: ``truth`` as ``(label, ROI)`` pairs, ``detections`` as
        :class:`edge.types.Detection`."""
        c, w, m, e = match_truth(truth, detections, self.iou_threshold)
        self.frames += 1
        self.truths += len(truth)
        self.correct, self.wrong, self.missed, self.extra = (
            self.correct + c,
            self.wrong + w,
            self.missed + m,
            self.extra + e,
        )

    @property
    def accuracy(self) -> float:
        """Correct / truth digits (NaN before any)."""
        return self.correct / self.truths if self.truths else float("nan")

    def as_json(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "digits": self.truths,
            "correct": self.correct,
            "wrong": self.wrong,
            "missed": self.missed,
            "extra": self.extra,
            "accuracy": None if not self.truths else round(self.accuracy, 6),
        }


def match_truth(
    truth: Sequence[tuple[str, Any]], detections: Sequence[Any], iou_threshold: float = 0.5
) -> tuple[int, int, int, int]:
    """Match ground-truth boxes to detections of one frame (see :class:`TruthTally`).

    Args:
        truth: ``(label, ROI)`` pairs.
        detections: :class:`edge.types.Detection` list.
        iou_threshold: minimum IoU for a match before falling back to centre-inside.

    Returns:
        ``(correct, wrong, missed, extra)`` counts.
    """
    used: set[int] = set()
    pairs = sorted(
        ((roi.iou(d.roi), ti, di) for ti, (_, roi) in enumerate(truth) for di, d in enumerate(detections)),
        reverse=True,
    )
    match: dict[int, int] = {}
    for iou, ti, di in pairs:
        if iou < iou_threshold:
            break
        if ti not in match and di not in used:
            match[ti] = di
            used.add(di)
    for ti, (_, roi) in enumerate(truth):
        if ti in match:
            continue
        for di, d in enumerate(detections):
            cx, cy = d.roi.center
            if di not in used and roi.x <= cx <= roi.x + roi.w and roi.y <= cy <= roi.y + roi.h:
                match[ti] = di
                used.add(di)
                break
    correct = sum(1 for ti, di in match.items() if detections[di].prediction.label == truth[ti][0])
    wrong = len(match) - correct
    return correct, wrong, len(truth) - len(match), len(detections) - len(used)


# -- score threshold calibration (hands: "say nothing when no hand is there") -------
