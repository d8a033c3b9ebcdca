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

#: Frames in the smoother's vote by task (:class:`TrackSmoother` ``window``). A
#: hand changes gesture every second or two (demo-hands: every 1-2 s), and a gesture's
#: classification errors come in runs rather than single frames, so a long vote mostly
#: adds lag after each change. Tuned on demo-hands seeds 1-3 (600 frames each; seed 0, the
#: default scene, kept for reporting), gestures read for windows 1/2/3/4/5/7/9: ``hands``
#: 97.6/98.4/97.9/97.6/97.0/96.2/95.2%, ``hands-lenet`` 51.6/51.7/52.0/51.1/51.4/50.1/49.5%;
#: 3 is best or second best for both. Digits keep 5 (a held sheet; one odd frame in five
#: cannot flip a digit).
VOTE_WINDOW = {"digits": 5, "hands": 3}


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
    # what the association measures of ``roi``, kept until ``roi`` is replaced: (roi, square,
    # geometry), see ``geometry``
    _geometry: tuple[ROI | None, tuple[float, ...], tuple[float, ...]] = field(
        default=(None, (), ()), init=False, repr=False, compare=False
    )

    def vote(self) -> np.ndarray:
        """float32 (num_classes,) mean probability over the window: the rows added in
        order, then divided (what ``np.mean(np.stack(...), axis=0)`` computes for float32
        rows, without stacking a copy)."""
        return _mean(self.history)

    def geometry(self) -> tuple[float, ...]:
        """What the association measures of :attr:`roi`, once per box: ``(x0, y0, x1, y1,
        area, cx, cy, half, wx0, wx1, wy0, wy1)``, px: its corners, area and centre, half
        its longer side, and the square of that half-side around its centre (which holds
        the box)."""
        return self._measured()[2]

    def _measured(self) -> tuple[ROI | None, tuple[float, ...], tuple[float, ...]]:
        """``(roi, square, geometry)``: :meth:`geometry` and its last four numbers, measured
        when :attr:`roi` was replaced."""
        cached = self._geometry
        if cached[0] is not self.roi:
            r = self.roi
            cx, cy, half = r.x + r.w / 2.0, r.y + r.h / 2.0, 0.5 * max(r.w, r.h)
            square = (cx - half, cx + half, cy - half, cy + half)
            cached = self._geometry = (
                r,
                square,
                (r.x, r.y, r.x + r.w, r.y + r.h, r.w * r.h, cx, cy, half, *square),
            )
        return cached


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
        cost would be larger), each track's box once (:meth:`Track.geometry`). Only pairs
        where the detection's box meets the square of half the track's longer side around
        the track's centre are looked at: the track's box lies in that square, so boxes
        that overlap meet it, and the centre-distance fallback (:func:`_close`) needs the
        detection's centre in it (both of its rules do).
        """
        n_det = len(detections)
        match: list[int | None] = [None] * n_det
        tracks = self.tracks
        if not tracks or not n_det:
            return match
        # each track's (roi, square, geometry) (Track._measured without the call when the box is the same)
        cached = [tr._geometry if tr._geometry[0] is tr.roi else tr._measured() for tr in tracks]
        squares = [c[1] for c in cached]  # (wx0, wx1, wy0, wy1), unpacked in the scan below
        pairs = []
        near_tracks = []
        iou_threshold = self.iou_threshold
        for di, det in enumerate(detections):
            d = det.roi
            x0, y0 = d.x, d.y
            x1, y1 = x0 + d.w, y0 + d.h
            near = [
                ti
                for ti, (sx0, sx1, sy0, sy1) in enumerate(squares)
                if sx0 <= x1 and x0 <= sx1 and sy0 <= y1 and y0 <= sy1
            ]
            near_tracks.append(near)
            if not near:
                continue
            d_area = (x1 - x0) * (y1 - y0)
            for ti in near:
                tx0, ty0, tx1, ty1, t_area = cached[ti][2][:5]
                # ROI.iou without building the intersection's ROI (the same arithmetic)
                iw = (tx1 if tx1 < x1 else x1) - (tx0 if tx0 > x0 else x0)
                ih = (ty1 if ty1 < y1 else y1) - (ty0 if ty0 > y0 else y0)
                if iw <= 0 or ih <= 0:
                    continue
                inter = iw * ih
                union = t_area + d_area - inter
                iou = inter / union if union > 0 else 0.0
                if iou >= iou_threshold and iou > 0.0:
                    pairs.append((iou, ti, di))
        used_t: set[int] = set()
        if pairs:
            for _, ti, di in sorted(pairs, reverse=True):
                if ti not in used_t and match[di] is None:
                    match[di] = ti
                    used_t.add(ti)
        # every track or every detection matched (each match uses one of each)
        if len(used_t) == len(tracks) or len(used_t) == n_det:
            return match
        close = []
        for di, det in enumerate(detections):
            if match[di] is not None or not near_tracks[di]:
                continue
            cx, cy = det.roi.center
            for ti in near_tracks[di]:
                g = cached[ti][2]
                # _close's rules both need the centres within half the longer side on both axes
                if ti in used_t or abs(cx - g[5]) > g[7] or abs(cy - g[6]) > g[7]:
                    continue
                dist = _close(tracks[ti].roi, det.roi, self.min_size_ratio)
                if dist is not None:
                    close.append((dist, ti, di))
        for _, ti, di in sorted(close):
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
            the smoothed prediction (``scores`` = the window's mean probabilities). A
            detection that starts a track and whose own prediction is its vote's (the
            same top class, label and score, the scores a float32 vector) is returned
            as it came.
        """
        match = self._associate(detections)
        tracks, window, labels = self.tracks, self.window, self._labels
        out: list[Detection] = []
        # one pass: each detection's track takes its row, then its vote is read (a detection's
        # output reads only its own track, and the labels learnt up to it, as in two passes)
        for ti, det in zip(match, detections, strict=True):
            p = det.prediction
            scores = p.scores
            ok = type(scores) is np.ndarray and scores.dtype == _F32 and scores.ndim == 1
            if not ok:
                scores = np.asarray(scores, np.float32).reshape(-1)
            if p.index not in labels:
                labels[p.index] = p.label
            if ti is None:
                tr = Track(self._next_id, det.roi, deque([scores], maxlen=window), age=-1)
                self._next_id += 1
                tracks.append(tr)
            else:
                tr = tracks[ti]
                history = tr.history
                if history and history[-1].shape != scores.shape:
                    history.clear()
                history.append(scores)
                tr.roi, tr.hits, tr.age = det.roi, tr.hits + 1, -1
                ok = False
            if ok:  # a new track's lone row: its vote is the row (divided by 1), read as it came
                mean, probs = None, scores.tolist()
            else:
                mean = _mean(tr.history)
                probs = mean.tolist()
            total = sum(probs)
            if total == total:  # no NaN (else numpy's argmax rule, in _smoothed)
                # the top class, ties to the higher index (as _smoothed)
                idx = len(probs) - 1 - probs[::-1].index(max(probs))
                if idx in labels:
                    label, score = labels[idx], probs[idx]
                    if mean is None:
                        if (
                            idx == p.index
                            and label == p.label
                            and type(p.score) is float
                            and p.score == score
                        ):
                            out.append(det)  # its own prediction is its vote: the detection as it came
                            continue
                        mean = _mean(tr.history)
                    out.append(Detection(det.roi, Prediction(idx, label, score, mean)))
                    continue
            out.append(Detection(det.roi, self._smoothed(_mean(tr.history) if mean is None else mean, p)))
        max_age = self.max_age
        kept = []
        for tr in tracks:
            tr.age += 1
            if tr.age < max_age:
                kept.append(tr)
        self.tracks = kept
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


def _mean(history: deque[np.ndarray]) -> np.ndarray:
    """:meth:`Track.vote` of ``history`` (the same arithmetic) with the fewest numpy calls:
    float32 first and second rows added into a new array (what copying the first and
    adding the second gives), the rest added in order, then divided."""
    n = len(history)
    if n == 1:
        return np.asarray(history[0], np.float32) / _COUNTS[1]
    it = iter(history)
    first, second = next(it), next(it)
    if first.dtype == np.float32 and second.dtype == np.float32:
        total = first + second
    else:
        total = np.array(first, np.float32)
        total += second
    for h in it:
        total += h
    total /= _COUNTS[n] if n < len(_COUNTS) else np.array(n, np.float32)
    return total


#: float32 window lengths to divide by, as 0-d arrays (the same float32 division as by a numpy
#: scalar, with less of numpy's per-call scalar handling).
_COUNTS = tuple(np.array(k, np.float32) for k in range(17))
#: numpy's float32 dtype (``dtype == _F32`` is the test; ``is`` would miss equal dtypes).
_F32 = np.dtype(np.float32)
