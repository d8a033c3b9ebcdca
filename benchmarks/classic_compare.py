"""Our digits pipeline and OpenCV's classic recipe, timed side by side on the same frames.

Issue 13's speed bar: the digits pipeline must be no slower than OpenCV's classic frame
pipeline (:mod:`benchmarks.classic_digits`) on the same 640x480 frame. :func:`side_by_side`
runs both on every frame of a set, interleaved (even frames: ours first, odd frames: the
classic recipe first) after a warm-up, so both see the same machine load. Per frame and
side it keeps the wall time (``time.perf_counter_ns``) and the process CPU time
(``time.process_time_ns``) of the whole call: ``Pipeline.process`` (segment, preprocess,
classify, smooth incl. number grouping) for ours, :meth:`ClassicDigitReader.read` (grey
through SVM) for the classic side. Frames are in memory before timing.

Accuracy of both against the frames' ground truth (:func:`match_digits`): a truth digit is
*found* when a read box and the truth box each hold the other's centre (the classic boxes
are widened to squares, so IoU would be unfair to them), and *read* when that box's label
is right; ours is scored on its per-frame reading (``FrameResult.raw``, before the
temporal vote), as the classic recipe has no vote.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.classic_digits import ClassicDigitReader
from benchmarks.latency_stats import gc_paused, summarize
from benchmarks.pipeline_bench import reset_all
from edge.pipeline import Pipeline
from edge.types import ROI, Frame

log = logging.getLogger(__name__)

#: The two sides, in table order.
SIDES = ("ours", "classic")


def _centre_in(a: ROI, b: ROI) -> bool:
    cx, cy = a.x + a.w / 2, a.y + a.h / 2
    return b.x <= cx <= b.x + b.w and b.y <= cy <= b.y + b.h


def _iou(a: ROI, b: ROI) -> float:
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    inter = ix * iy
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union > 0 else 0.0


def match_digits(truth: Sequence[tuple[str, ROI]], read: Sequence[tuple[str, ROI]]) -> tuple[int, int, int]:
    """Match read digits to the ground truth, one to one.

    A pair matches when each box holds the other's centre; among several, the read box
    with the largest IoU wins (truth digits taken in order).

    Args:
        truth: ``(label, ROI)`` per digit written on the frame.
        read: ``(label, ROI)`` per digit a reader reported.

    Returns:
        ``(found, right, matched)``: truth digits matched, of those read with the right
        label, and read digits matched (``len(read) - matched`` are false alarms).
    """
    used: set[int] = set()
    found = right = 0
    for label, t in truth:
        best, best_iou = -1, -1.0
        for j, (_, r) in enumerate(read):
            if j in used or not (_centre_in(r, t) and _centre_in(t, r)):
                continue
            iou = _iou(r, t)
            if iou > best_iou:
                best, best_iou = j, iou
        if best >= 0:
            used.add(best)
            found += 1
            right += int(read[best][0] == label)
    return found, right, len(used)


@dataclass
class SideResult:
    """One side's timings and accuracy on a frame set.

    Attributes:
        wall_ms: float64 (N,) wall time per frame (ms).
        cpu_ms: float64 (N,) process CPU time per frame (ms, all threads).
        truth: digits written on the frames.
        found: of those, matched by a read box.
        right: of those, read with the right label.
        read: digits reported.
        matched: reported digits matched to a written one.
        stages_ms: ours only: per-frame ``FrameResult.timings_ms`` (segment, preprocess,
            classify, smooth, total), ms.
    """

    wall_ms: np.ndarray
    cpu_ms: np.ndarray
    truth: int = 0
    found: int = 0
    right: int = 0
    read: int = 0
    matched: int = 0
    stages_ms: dict[str, list[float]] = field(default_factory=dict)

    def as_row(self, frame_set: str, side: str) -> dict[str, Any]:
        """A flat result row (ms, %) for tables, CSV and JSON."""
        w, c = summarize(self.wall_ms), summarize(self.cpu_ms)
        pct = 100.0 / max(1, self.truth)
        return {
            "set": frame_set,
            "side": side,
            "frames": len(self.wall_ms),
            "median_ms": w.median_ms,
            "p99_ms": w.p99_ms,
            "cpu_median_ms": c.median_ms,
            "cpu_p99_ms": c.p99_ms,
            "digits": self.truth,
            "found_pct": self.found * pct,
            "read_pct": self.right * pct,
            "precision_pct": 100.0 * self.matched / self.read if self.read else float("nan"),
            "stages_median_ms": {k: float(np.median(v)) for k, v in self.stages_ms.items()},
        }


def _ours(pipeline: Pipeline, frame: Frame, stages: dict[str, list[float]]) -> list[tuple[str, ROI]]:
    res = pipeline.process(frame)
    for k, v in res.timings_ms.items():
        stages.setdefault(k, []).append(v)
    return [(d.prediction.label, d.roi) for d in res.raw]


def side_by_side(
    pipeline: Pipeline,
    reader: ClassicDigitReader,
    frames: Sequence[Frame],
    *,
    warmup: int = 30,
    disable_gc: bool = False,
) -> dict[str, SideResult]:
    """Time both readers on every frame, interleaved, and score them.

    Args:
        pipeline: our pipeline (:func:`edge.pipeline.build_pipeline`); reset after warm-up.
        reader: the classic recipe.
        frames: frames in memory with ground truth (``Frame.truth``), uint8 (H, W, 3) BGR.
        warmup: frames run through both first and discarded (cycled if fewer frames).
        disable_gc: pause the garbage collector during the timed loop.

    Returns:
        ``{"ours": SideResult, "classic": SideResult}``.

    Raises:
        ValueError: no frames.
    """
    if not frames:
        raise ValueError("no frames to time")
    n = len(frames)
    out = {s: SideResult(np.zeros(n), np.zeros(n)) for s in SIDES}
    warm: dict[str, list[float]] = {}
    for i in range(max(0, warmup)):
        _ours(pipeline, frames[i % n], warm)
        reader.read(frames[i % n].image)
    reset_all(pipeline)
    stages = out["ours"].stages_ms
    calls = {"ours": lambda f: _ours(pipeline, f, stages), "classic": lambda f: reader.read(f.image)}
    clock, cpu = time.perf_counter_ns, time.process_time_ns
    with gc_paused(disable_gc):
        for i, frame in enumerate(frames):
            for side in SIDES if i % 2 == 0 else SIDES[::-1]:
                c0, t0 = cpu(), clock()
                read = calls[side](frame)
                t1, c1 = clock(), cpu()
                r = out[side]
                r.wall_ms[i], r.cpu_ms[i] = (t1 - t0) / 1e6, (c1 - c0) / 1e6
                truth = frame.truth or ()
                found, right, matched = match_digits(truth, read)
                r.truth += len(truth)
                r.found += found
                r.right += right
                r.read += len(read)
                r.matched += matched
    return out


def verdict(rows: Sequence[dict[str, Any]], frame_set: str) -> str:
    """``"<set>: ours X ms vs classic Y ms: Z x (ours slower|faster; CPU ...)"`` from the two
    rows of a set: medians of wall time, Z = ours / classic (> 1: ours takes longer)."""
    by_side = {r["side"]: r for r in rows if r["set"] == frame_set}
    ours, classic = by_side["ours"]["median_ms"], by_side["classic"]["median_ms"]
    ratio = ours / classic if classic > 0 else float("nan")
    word = "ours slower" if ratio > 1 else "ours faster"
    cpu_o, cpu_c = by_side["ours"]["cpu_median_ms"], by_side["classic"]["cpu_median_ms"]
    cpu_ratio = cpu_o / cpu_c if cpu_c > 0 else float("nan")
    return (
        f"{frame_set}: ours {ours:.2f} ms vs classic {classic:.2f} ms: {ratio:.2f}x ({word}; "
        f"CPU {cpu_o:.2f} vs {cpu_c:.2f} ms: {cpu_ratio:.2f}x); digits read right "
        f"{by_side['ours']['read_pct']:.1f}% vs {by_side['classic']['read_pct']:.1f}%"
    )


def stages_line(rows: Sequence[dict[str, Any]], frame_set: str) -> str:
    """``"<set>: ours by stage (median ms): segment 1.40, preprocess ..."``."""
    row = next(r for r in rows if r["set"] == frame_set and r["side"] == "ours")
    parts = ", ".join(f"{k} {v:.2f}" for k, v in row.get("stages_median_ms", {}).items())
    return f"{frame_set}: ours by stage (median ms): {parts}"


#: Columns of the printed table (:func:`benchmarks.report.format_table`).
COLUMNS = (
    ("set", "set", ""),
    ("side", "side", ""),
    ("frames", "frames", "d"),
    ("median_ms", "median ms", ".3f"),
    ("p99_ms", "p99 ms", ".3f"),
    ("cpu_median_ms", "CPU med ms", ".3f"),
    ("cpu_p99_ms", "CPU p99 ms", ".3f"),
    ("digits", "digits", "d"),
    ("found_pct", "found %", ".1f"),
    ("read_pct", "read %", ".1f"),
    ("precision_pct", "precision %", ".1f"),
)
