"""What a live run measures: :class:`FpsMeter` (frames per second over the last ticks) and
:class:`RunStats` (frames, wall time, per-stage milliseconds, digits or gestures read
against a demo scene's ground truth) with the summary lines printed at the end.

Imports :mod:`edge.evaluate.truth`, :mod:`edge.pipeline` and :mod:`edge.types`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.evaluate.truth import TruthTally
from edge.pipeline import STAGES, FrameResult
from edge.types import NO_GESTURE_LABELS


# -- statistics -----------------------------------------------------------------------
class FpsMeter:
    """Frames per second over the last ``window`` ticks (``time.perf_counter``)."""

    def __init__(self, window: int = 30) -> None:
        self._t: deque[float] = deque(maxlen=max(2, window))

    def tick(self, now: float | None = None) -> float:
        """Record a frame; returns the current rate (0 before two frames)."""
        self._t.append(time.perf_counter() if now is None else now)
        return self.fps

    @property
    def fps(self) -> float:
        if len(self._t) < 2 or self._t[-1] <= self._t[0]:
            return 0.0
        return (len(self._t) - 1) / (self._t[-1] - self._t[0])


#: Frames whose stage times :class:`RunStats` keeps (per stage), for the medians it reports.
TIMINGS_KEPT = 100_000


class RecentValues:
    """The last ``capacity`` values of a series, in a ring of float32 allocated (and touched)
    up front, so that a run's memory does not grow with its length.

    A ``deque`` of Python floats costs about 32 bytes per value and stage (the float and
    its slot) and grows for its first ``maxlen`` appends: 16 MiB over 100,000 frames of
    the five digits stages. This ring costs 4 bytes per value, all of it at start.

    Iterating gives the kept values oldest first, as Python floats; ``len`` is their count.
    """

    def __init__(self, capacity: int = TIMINGS_KEPT) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self._buf = np.full(capacity, np.nan, dtype=np.float32)  # np.full writes every page now
        self._n = 0

    @property
    def capacity(self) -> int:
        return int(self._buf.size)

    def append(self, value: float) -> None:
        self._buf[self._n % self._buf.size] = value
        self._n += 1

    def __len__(self) -> int:
        return min(self._n, self._buf.size)

    def values(self) -> np.ndarray:
        """float32 (len(self),) the kept values, oldest first (a copy)."""
        if self._n <= self._buf.size:
            return self._buf[: self._n].copy()
        i = self._n % self._buf.size
        return np.concatenate((self._buf[i:], self._buf[:i]))

    def __iter__(self) -> Iterator[float]:
        return iter(self.values().tolist())

    def median(self) -> float:
        """Median of the kept values (NaN when empty)."""
        return float(np.median(self._buf[: len(self)])) if self._n else float("nan")


@dataclass
class RunStats:
    """What a run measured; filled while it runs, so an interrupted run still reports.

    Attributes:
        frames: frames processed.
        wall_s: seconds from the first frame read to the last processed.
        timings_ms: per stage (``segment``, ``preprocess``, ``classify``, ``smooth``,
            ``total``; ``palm``, ``landmarks`` with the hand tracker), the milliseconds of
            each frame (the last :data:`TIMINGS_KEPT`, in constant memory: :class:`RecentValues`).
        truth: digits or gestures read correctly after smoothing (sources with ground
            truth); detections labelled as in :data:`edge.types.NO_GESTURE_LABELS` do not count.
        truth_raw: the same before smoothing, with the same ``min_score`` (so the two differ
            by the vote alone).
        empty_frames: frames whose ground truth is empty (the hands demo with no hand).
        empty_silent: of those, frames on which no digit or gesture was shown (smoothed).
        empty_silent_raw: the same before smoothing.
        task: the model's task, ``"digits"``, ``"hands"`` (for the wording) or ``"classify"``
            (a demo scene's ground truth is not scored).
        still: the source was still images (the summary gives ms per image, no FPS).
        palm_frames: frames on which the hand tracker ran its palm detector
            (:attr:`edge.pipeline.FrameResult.palm_detector_ran`); palm_known: frames
            that said whether it ran (0 for segmenters without one).
        images_skipped: images of a folder skipped as unreadable.
        reconnects: times a lost camera or stream was opened again.
    """

    frames: int = 0
    wall_s: float = 0.0
    timings_ms: dict[str, RecentValues] = field(
        default_factory=lambda: {k: RecentValues() for k in (*STAGES, "total")}
    )
    truth: TruthTally = field(default_factory=TruthTally)
    truth_raw: TruthTally = field(default_factory=TruthTally)
    empty_frames: int = 0
    empty_silent: int = 0
    empty_silent_raw: int = 0
    task: str = "digits"
    video_frames: int = 0
    jsonl_lines: int = 0
    snapshots: list[Path] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    source_name: str = ""
    model_name: str = ""
    smoothing: bool = True
    min_score: float = 0.0
    palm_frames: int = 0
    palm_known: int = 0
    still: bool = False
    images_skipped: int = 0
    reconnects: int = 0

    def add(self, result: FrameResult) -> None:
        self.frames += 1
        ran = getattr(result, "palm_detector_ran", None)
        if ran is not None:
            self.palm_known += 1
            self.palm_frames += bool(ran)
        for k, v in result.timings_ms.items():
            series = self.timings_ms.get(k)
            if series is None:
                series = self.timings_ms[k] = RecentValues()
            series.append(v)
        truth = result.frame.truth
        if truth is not None and self.task != "classify":  # a demo scene's truth is digits or hands
            shown = shown_detections(result.detections)
            raw = [d for d in shown_detections(result.raw) if d.prediction.score >= self.min_score]
            self.truth.update(truth, shown)
            self.truth_raw.update(truth, raw)
            if not truth:
                self.empty_frames += 1
                self.empty_silent += not shown
                self.empty_silent_raw += not raw

    def median_ms(self) -> dict[str, float]:
        return {k: v.median() for k, v in self.timings_ms.items() if len(v)}

    def summary(self) -> list[str]:
        """Lines for the end of a run."""
        out = [f"model {self.model_name}, source {self.source_name}"] if self.model_name else []
        fps = self.frames / self.wall_s if self.wall_s > 0 else 0.0
        med = self.median_ms()
        if self.still:
            n = self.frames
            head = f"{n} image{'' if n == 1 else 's'} in {self.wall_s:.2f} s"
            if med.get("total"):
                head += f" (pipeline {med['total']:.1f} ms per image, median)"
        else:
            head = (
                f"{self.frames} frame{'' if self.frames == 1 else 's'} in {self.wall_s:.2f} s: {fps:.1f} FPS"
            )
            if med.get("total"):
                head += f" (pipeline alone {1000.0 / med['total']:.1f} FPS)"
        out.append(head)
        if med:
            out.append("median ms per frame: " + ", ".join(f"{k} {v:.2f}" for k, v in med.items()))
        if self.palm_known:
            out.append(
                f"palm detector ran on {self.palm_frames}/{self.palm_known} frames "
                f"({100 * self.palm_frames / self.palm_known:.1f}%; the others tracked the hand)"
            )
        hands = self.task == "hands"
        tallies = (
            (("smoothed", self.truth, self.empty_silent), ("raw", self.truth_raw, self.empty_silent_raw))
            if self.smoothing
            else (("no smoothing", self.truth, self.empty_silent),)
        )
        what = "hand" if hands else "digit"
        for name, t, _ in tallies:
            if t.truths:
                out.append(
                    f"{'gestures' if hands else 'digits'} vs ground truth ({name}): "
                    f"{t.correct}/{t.truths} read correctly ({100 * t.accuracy:.2f}%); "
                    f"wrong {t.wrong}, missed {t.missed}, extra {t.extra} (shown where the scene "
                    f"has no {what})"
                )
        for name, _, silent in tallies if self.empty_frames else ():
            out.append(
                f"{'no-hand frames' if hands else 'frames with nothing to read'} ({name}): "
                f"{silent}/{self.empty_frames} with no {'gesture' if hands else 'detection'} "
                f"shown ({100 * silent / self.empty_frames:.2f}%)"
            )
        if "video" in self.outputs:
            out.append(f"wrote {self.video_frames} frames to {self.outputs['video']}")
        if "images" in self.outputs:
            n = self.video_frames
            out.append(f"wrote {n} image{'' if n == 1 else 's'}: {self.outputs['images']}")
        if "jsonl" in self.outputs:
            out.append(f"wrote {self.jsonl_lines} lines to {self.outputs['jsonl']}")
        if self.images_skipped:
            n = self.images_skipped
            out.append(f"skipped {n} unreadable image{'' if n == 1 else 's'} (see the warnings)")
        if self.reconnects:
            out.append(f"source reconnected {self.reconnects} time{'' if self.reconnects == 1 else 's'}")
        for p in self.snapshots:
            out.append(f"snapshot {p}")
        return out


def shown_detections(detections: Sequence[Any]) -> list[Any]:
    """The detections that say something: not labelled as in :data:`edge.types.NO_GESTURE_LABELS`."""
    return [d for d in detections if d.prediction.label not in NO_GESTURE_LABELS]
