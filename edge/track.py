"""Temporal smoothing of detections so a held digit does not flicker.

Tracking follows the IOU tracker of E. Bochinski, V. Eiselein and T. Sikora,
"High-Speed Tracking-by-Detection Without Using Image Information", AVSS 2017:
no appearance model, detections of consecutive frames are associated greedily by
their box overlap (intersection over union). Because a held digit's box jitters and
small boxes overlap poorly, a detection that overlaps no track enough falls back to
the nearest track of about the same width and height whose box holds its centre (or
whose centre is within half the track's longer side). The size check and the IoU
threshold of 0.5 (the paper's σ_IOU) keep a new digit that appears where another was
(a new sheet, a scene cut) from inheriting the old digit's vote. Tracks unseen for
``max_age`` frames are dropped.

Per track, the label is a soft vote over the last ``window`` frames: the mean of the
probability vectors (:attr:`edge.types.Prediction.scores`). One odd frame among
``window`` cannot flip the label, and a real change wins as soon as it holds the
larger share of the window, at the latest after ``window`` frames.

The tracking stage, after the classifier. May import numpy and :mod:`edge.types` only.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from edge.types import ROI, Detection, Prediction

log = logging.getLogger(__name__)


@dataclass
class Track:
    """One object followed across frames.

    Attributes:
        id: unique, increasing track number.
        roi: the box of its latest detection (px).
        history: float32 (num_classes,) probability vectors of its last frames.
        age: frames since it was last matched (0 = matched in the latest frame).
        hits: frames it has been matched in, in total.
    """

    id: int
    roi: ROI
    history: deque[np.ndarray] = field(repr=False)
    age: int = 0
    hits: int = 1

    def vote(self) -> np.ndarray:
        """float32 (num_classes,) mean probability over the window."""
        # rows added in order, then divided: what np.mean(np.stack(...), axis=0) computes
        # for float32 rows, without stacking a copy (a few us a track)
        it = iter(self.history)
        total = np.array(next(it), np.float32)
        for h in it:
            total += h
        total /= np.float32(len(self.history))
        return total


def _close(track_roi: ROI, roi: ROI, min_size_ratio: float) -> float | None:
    """Centre distance (px) if ``roi`` is about ``track_roi``'s size and its centre is
    inside or near ``track_roi``, else None."""
    if min(roi.w, track_roi.w) < min_size_ratio * max(roi.w, track_roi.w) or min(
        roi.h, track_roi.h
    ) < min_size_ratio * max(roi.h, track_roi.h):
        return None
    cx, cy = roi.center
    tx, ty = track_roi.center
    d = math.hypot(cx - tx, cy - ty)
    inside = track_roi.x <= cx <= track_roi.x + track_roi.w and track_roi.y <= cy <= track_roi.y + track_roi.h
    return d if inside or d <= 0.5 * max(track_roi.w, track_roi.h) else None


class TrackSmoother:
    """IoU tracker with a per-track soft vote over the last ``window`` frames.

    Args:
        window: K, the frames a track's vote spans (>= 1; 1 disables smoothing
            while still tracking).
        max_age: M, drop a track unseen for this many frames (>= 1).
        iou_threshold: minimum IoU to associate a detection with a track.
        min_size_ratio: for the centre-distance fallback, the smallest ratio of the
            widths and of the heights of detection and track (0 disables the check).
        labels: class labels in output-index order; if omitted, labels are learnt
            from the predictions seen.

    Raises:
        ValueError: ``window`` or ``max_age`` below 1, or ``iou_threshold`` or
            ``min_size_ratio`` outside [0, 1].
    """

    def __init__(
        self,
        window: int = 5,
        max_age: int = 5,
        iou_threshold: float = 0.5,
        min_size_ratio: float = 0.75,
        labels: Sequence[str] | None = None,
    ) -> None:
        if window < 1 or max_age < 1:
            raise ValueError(f"window and max_age must be >= 1, got {window} and {max_age}")
        if not (0.0 <= iou_threshold <= 1.0 and 0.0 <= min_size_ratio <= 1.0):
            raise ValueError(
                f"iou_threshold and min_size_ratio must be in [0, 1], got "
                f"{iou_threshold} and {min_size_ratio}"
            )
        self.window = int(window)
        self.max_age = int(max_age)
        self.iou_threshold = float(iou_threshold)
        self.min_size_ratio = float(min_size_ratio)
        self._labels: dict[int, str] = dict(enumerate(labels)) if labels is not None else {}
        self.tracks: list[Track] = []
        self._next_id = 0

    def reset(self) -> None:
        """Forget every track (e.g. after a scene cut or a pause)."""
        self.tracks.clear()

    def _associate(self, detections: Sequence[Detection]) -> list[int | None]:
        """Index into ``self.tracks`` for each detection (None: a new object).

        Pairs are measured in plain Python (a frame holds a few boxes: numpy's per-call
        cost would be larger); boxes that do not overlap are passed over before any
        arithmetic, and the centre-distance fallback (:func:`_close`) is asked only
        about pairs whose centres are within half the track's longer side on both
        axes, which both of its rules need.
        """
        match: list[int | None] = [None] * len(detections)
        if not self.tracks or not detections:
            return match
        pairs = []
        boxes = [(d.roi.x, d.roi.y, d.roi.x + d.roi.w, d.roi.y + d.roi.h) for d in detections]
        for ti, tr in enumerate(self.tracks):
            r = tr.roi
            tx0, ty0, tx1, ty1 = r.x, r.y, r.x + r.w, r.y + r.h
            t_area = r.w * r.h
            for di, (x0, y0, x1, y1) in enumerate(boxes):
                if tx1 <= x0 or x1 <= tx0 or ty1 <= y0 or y1 <= ty0:
                    continue  # no overlap (iw or ih below would be <= 0)
                # ROI.iou without building the intersection's ROI (the same arithmetic)
                iw, ih = min(tx1, x1) - max(tx0, x0), min(ty1, y1) - max(ty0, y0)
                if iw <= 0 or ih <= 0:
                    continue
                inter = iw * ih
                union = t_area + (x1 - x0) * (y1 - y0) - inter
                iou = inter / union if union > 0 else 0.0
                if iou >= self.iou_threshold and iou > 0.0:
                    pairs.append((iou, ti, di))
        used_t: set[int] = set()
        for _, ti, di in sorted(pairs, reverse=True):
            if ti not in used_t and match[di] is None:
                match[di] = ti
                used_t.add(ti)
        free = [ti for ti in range(len(self.tracks)) if ti not in used_t]
        if not free or all(m is not None for m in match):
            return match
        # centre and half the longer side of each free track: _close needs the detection's
        # centre within that distance of the track's centre on both axes
        cents = [
            (ti, *self.tracks[ti].roi.center, 0.5 * max(self.tracks[ti].roi.w, self.tracks[ti].roi.h))
            for ti in free
        ]
        near = []
        for di, det in enumerate(detections):
            if match[di] is not None:
                continue
            cx, cy = det.roi.center
            for ti, tx, ty, half in cents:
                if abs(cx - tx) > half or abs(cy - ty) > half:
                    continue
                d = _close(self.tracks[ti].roi, det.roi, self.min_size_ratio)
                if d is not None:
                    near.append((d, ti, di))
        for _, ti, di in sorted(near):
            if ti not in used_t and match[di] is None:
                match[di] = ti
                used_t.add(ti)
        return match

    def update(self, detections: Sequence[Detection], timestamp: float = 0.0) -> list[Detection]:
        """Associate this frame's detections with tracks and vote their labels.

        Args:
            detections: this frame's raw detections; each prediction's ``scores``
                must be a (num_classes,) probability vector.
            timestamp: frame time in seconds (unused; kept for the
                :class:`edge.pipeline.Smoother` protocol).

        Returns:
            One detection per input, in the same order, with the current ROI and
            the smoothed prediction (``scores`` = the window's mean probabilities).
        """
        match = self._associate(detections)
        out: list[Detection] = []
        for ti, det in zip(match, detections, strict=True):
            p = det.prediction
            self._labels.setdefault(p.index, p.label)
            scores = np.asarray(p.scores, np.float32).reshape(-1)
            if ti is None:
                tr = Track(self._next_id, det.roi, deque([scores], maxlen=self.window), age=-1)
                self._next_id += 1
                self.tracks.append(tr)
            else:
                tr = self.tracks[ti]
                if tr.history and tr.history[-1].shape != scores.shape:
                    tr.history.clear()
                tr.history.append(scores)
                tr.roi, tr.hits, tr.age = det.roi, tr.hits + 1, -1
            out.append(Detection(det.roi, self._smoothed(tr.vote(), p)))
        for tr in self.tracks:
            tr.age += 1
        self.tracks = [t for t in self.tracks if t.age < self.max_age]
        return out

    def _smoothed(self, mean: np.ndarray, current: Prediction) -> Prediction:
        # The top class of the mean; if its label was never seen (no labels given),
        # the best class whose label is known. Ties: the higher index, as the reversed
        # (stable, for so few classes) argsort of the rule below gives.
        n = len(mean)
        idx = n - 1 - int(np.argmax(mean[::-1]))
        if idx not in self._labels:
            order = np.argsort(mean, kind="stable")[::-1]
            idx = next((int(i) for i in order if int(i) in self._labels), current.index)
        return Prediction(
            index=idx, label=self._labels.get(idx, current.label), score=float(mean[idx]), scores=mean
        )
