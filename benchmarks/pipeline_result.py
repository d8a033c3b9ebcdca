"""What the pipeline benchmark reports: :class:`PipelineResult` (per-metric samples and
statistics, the budget verdict, the per-digit-count table) and :func:`overhead_ratios`
(the Python pipeline against the bare interpreter).

Imports :mod:`benchmarks.latency` and :mod:`benchmarks.bench_frames`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.bench_frames import BUDGET_FPS, TARGET_P99_RATIO, target_ms_for
from benchmarks.latency_stats import LatencyStats, summarize
from edge.result import STAGES


@dataclass
class PipelineResult:
    """Per-frame timings of one pipeline benchmark.

    Attributes:
        model: bundle name.
        runtime: interpreter package.
        threads: interpreter threads (``None``: runtime default, as ``edge-run``).
        source: the source spec the frames came from.
        samples_ms: per metric of :data:`METRICS`, float64 (frames,) latencies in ms.
        rois: int (frames,) ROIs the segmenter found per frame.
        truth_digits: int (frames,) objects in the ground truth per frame (digits, or
            0/1 hands; -1: unknown).
        warmup: frames processed before timing (discarded).
        task: the model's task, ``"digits"`` or ``"hands"``.
    """

    model: str
    runtime: str
    threads: int | None
    source: str
    samples_ms: dict[str, np.ndarray]
    rois: np.ndarray
    truth_digits: np.ndarray
    warmup: int = 0
    task: str = "digits"
    #: Live runs (:func:`bench_pipeline_live`): ``frames``, ``wall_s``, ``fps_end_to_end``
    #: (frames / wall time, capture included), ``source_fps``, ``dropped`` and
    #: ``dropped_method``; ``None`` for frames held in memory.
    live: dict[str, Any] | None = None
    #: float (frames,): 1 where the segmenter's palm detector ran on the frame, 0 where it did
    #: not (hand tracking); ``None`` for segmenters without one.
    palm_ran: np.ndarray | None = None
    #: int (frames,): ROIs whose finder score (a hand's landmark presence) is >= 0.5.
    confident: np.ndarray | None = None
    #: int (frames,): ROIs that took a reading kept from the last frames instead of being read
    #: afresh (:mod:`edge.read_cache`); ``None``: not counted.
    kept: np.ndarray | None = None
    stats: dict[str, LatencyStats] = field(init=False)

    def __post_init__(self) -> None:
        self.stats = {k: summarize(v) for k, v in self.samples_ms.items()}

    @property
    def frames(self) -> int:
        return int(len(self.rois))

    @property
    def fps(self) -> float:
        """Frames per second the pipeline sustains: 1000 / median ``process`` ms."""
        m = self.stats["process"].median_ms
        return 1e3 / m if m > 0 else float("inf")

    @property
    def palm_share(self) -> float | None:
        """Share of the frames on which the palm detector ran (``None``: no palm detector)."""
        return None if self.palm_ran is None or not len(self.palm_ran) else float(np.mean(self.palm_ran))

    def palm_ms_when_run(self) -> float | None:
        """Median ms of the palm detector over the frames where it ran (``None``: never ran)."""
        if self.palm_ran is None or "palm" not in self.samples_ms or not self.palm_ran.any():
            return None
        return float(np.median(self.samples_ms["palm"][self.palm_ran > 0]))

    def budget_fraction(self, fps: float = BUDGET_FPS) -> float:
        """Median ``process`` time as a fraction of one frame's time at ``fps``."""
        return self.stats["process"].median_ms / (1e3 / fps)

    def meets_target(self, target_ms: float | None = None, p99_ratio: float = TARGET_P99_RATIO) -> bool:
        """Median ``process`` <= ``target_ms`` (default: the task's budget) and
        p99 <= ``p99_ratio`` x median."""
        limit = target_ms_for(self.task) if target_ms is None else target_ms
        s = self.stats["process"]
        return s.median_ms <= limit and s.p99_ms <= p99_ratio * s.median_ms

    def as_rows(self) -> list[dict[str, Any]]:
        """One flat row per metric (ms), with fps / budget on ``total`` and ``process``."""
        total = self.stats["process"].median_ms
        rows = []
        for metric, st in self.stats.items():
            row: dict[str, Any] = {
                "benchmark": "pipeline",
                "metric": metric,
                "model": self.model,
                "runtime": self.runtime,
                "threads": self.threads,
                "batch": None,
            }
            row.update(st.as_dict())
            row["share_of_process"] = st.median_ms / total if total > 0 else None
            if metric in ("total", "process"):
                row["fps"] = 1e3 / st.median_ms if st.median_ms > 0 else None
                row["budget_fraction_30fps"] = st.median_ms / (1e3 / BUDGET_FPS)
            row["source"] = self.source
            row["frames"] = self.frames
            row["mean_rois"] = float(self.rois.mean())
            rows.append(row)
        return rows

    def by_digits(self) -> list[dict[str, Any]]:
        """Median/p99 ``process`` ms grouped by the number of objects in the frame's truth
        (key ``digits``, or ``hands`` for a hands model: 0 or 1).

        Frames without ground truth are grouped by the ROIs found instead (key ``rois``).
        """
        known = self.truth_digits >= 0
        noun = "hands" if self.task == "hands" else "digits"
        key, counts = (noun, self.truth_digits) if known.all() else ("rois", self.rois)
        out = []
        for n in sorted(set(counts.tolist())):
            sel = counts == n
            st = summarize(self.samples_ms["process"][sel])
            out.append(
                {
                    key: int(n),
                    "frames": int(sel.sum()),
                    "mean_rois": float(self.rois[sel].mean()),
                    "median_ms": st.median_ms,
                    "p99_ms": st.p99_ms,
                }
            )
        return out

    def tail(self, q: float = 99.0) -> dict[str, Any]:
        """What the slowest frames spend their time on: the frames whose ``process`` time is
        at least its ``q``-th percentile, against all frames.

        Returns:
            ``{"q", "frames", "mean_rois", "all_mean_rois", "median_ms": {metric: ms},
            "all_median_ms": {metric: ms}}`` over the stages (:data:`edge.result.STAGES`) that were
            measured and ``process`` (median ms per frame of each group).
        """
        proc = self.samples_ms["process"]
        slow = proc >= np.percentile(proc, q)
        keys = [
            k for k in (*STAGES, "process") if k in self.samples_ms and len(self.samples_ms[k]) == len(proc)
        ]
        return {
            "q": q,
            "frames": int(slow.sum()),
            "mean_rois": float(self.rois[slow].mean()),
            "all_mean_rois": float(self.rois.mean()),
            "median_ms": {k: float(np.median(self.samples_ms[k][slow])) for k in keys},
            "all_median_ms": {k: float(np.median(self.samples_ms[k])) for k in keys},
        }


def overhead_ratios(result: PipelineResult, invoke_median_ms: float) -> dict[str, Any]:
    """How much the Python pipeline costs over the bare interpreter (GitHub issue 5).

    Args:
        result: a pipeline benchmark.
        invoke_median_ms: median bare ``set_tensor + invoke + get_tensor`` ms, batch 1,
            same bundle, runtime and threads (:func:`benchmarks.latency.bench_invoke`).

    Returns:
        ``bare_invoke_median_ms``; ``classify_per_roi_median_ms`` (median over frames
        with ROIs read afresh of the classify stage / those ROIs: the ones that took a kept reading,
        :attr:`PipelineResult.kept`, cost no classification); ``classify_per_roi_over_invoke``
        (that / bare invoke); ``mean_rois``; ``kept_share`` (the share of all ROIs that took a kept
        reading, 0..1); ``process_over_invoke_x_rois`` (median ``process`` / (bare invoke x mean ROIs
        per frame)); ``None`` where undefined.
    """
    kept = result.kept if result.kept is not None else np.zeros_like(result.rois)
    rois = result.rois - kept
    sel = rois > 0
    per_roi = float(np.median(result.samples_ms["classify"][sel] / rois[sel])) if sel.any() else None
    mean_rois = float(result.rois.mean()) if result.rois.size else 0.0
    total = int(result.rois.sum())
    ok = invoke_median_ms > 0
    proc = result.stats["process"].median_ms
    return {
        "bare_invoke_median_ms": invoke_median_ms,
        "classify_per_roi_median_ms": per_roi,
        "classify_per_roi_over_invoke": per_roi / invoke_median_ms if ok and per_roi is not None else None,
        "mean_rois": mean_rois,
        "kept_share": int(kept.sum()) / total if total else None,
        "process_over_invoke_x_rois": proc / (invoke_median_ms * mean_rois) if ok and mean_rois > 0 else None,
    }
