"""The hands speed comparison: our pipeline against MediaPipe's C++ Hands graph, as a table.

Pure arithmetic and formatting on timings already taken (by :mod:`benchmarks.hands_bench`),
so it is tested on fabricated numbers. A *side* is one timed run, summarised by
:func:`side_row`: who ran (``ours``, ``ours-bare``: our tracker without its refine and
fallback steps, as MediaPipe's graph; ``mediapipe``), on which frames (``still``: every
frame needs palm detection; ``video``: one hand held in view, tracked), with how many
interpreter threads, and per frame the median and p99 ms, hands found and the palm
detector's share.

The issue's speed criteria (:func:`criteria`), per thread count of ours:

- ``still_vs_mediapipe``: our still-frame median / MediaPipe's static-graph median
  (model complexity 0) <= 1;
- ``video_over_still``: our video median / our still median <= :data:`VIDEO_OVER_STILL_MAX`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks import report

#: Most our tracking (video) median may be, as a multiple of our still-frame median.
VIDEO_OVER_STILL_MAX = 0.6
#: Most our still-frame median may be, as a multiple of MediaPipe's static graph's.
STILL_VS_MEDIAPIPE_MAX = 1.0
#: Who ran a side.
SIDES = ("ours", "ours-bare", "mediapipe")

COLUMNS: list[tuple[str, str, str]] = [
    ("side", "pipeline", ""),
    ("frames", "frames", ""),
    ("models", "models", ""),
    ("threads", "threads", ""),
    ("n", "n", "d"),
    ("median_ms", "median ms", ".2f"),
    ("p99_ms", "p99 ms", ".2f"),
    ("cpu_median_ms", "cpu median ms", ".2f"),
    ("cpu_over_wall", "cpu/wall", ".2f"),
    ("found", "hands found", ""),
    ("palm_share", "palm share", ".0%"),
    ("palm_ms", "palm ms (when run)", ".2f"),
    ("landmarks_ms", "landmarks ms", ".2f"),
]


def side_row(
    side: str,
    frames: str,
    threads: int | str | None,
    models: str,
    latency_ms: Sequence[float] | np.ndarray,
    found: Sequence[int] | np.ndarray,
    *,
    cpu_ms: Sequence[float] | np.ndarray | None = None,
    palm_share: float | None = None,
    palm_ms: float | None = None,
    landmarks_ms: float | None = None,
) -> dict[str, Any]:
    """One row of the comparison from a run's per-frame numbers.

    Args:
        side: one of :data:`SIDES`.
        frames: ``"still"`` or ``"video"``.
        threads: interpreter threads (a number, or text such as ``"1 (XNNPACK default)"``).
        models: which palm/landmark models ran (e.g. ``"lite"``, ``"full"``).
        latency_ms: float (N,) wall ms per frame, N >= 1.
        found: int (N,) hands found per frame (may be shorter than ``latency_ms`` when
            several passes were timed).
        cpu_ms: float (N,) CPU ms (all threads) per frame, or None.
        palm_share: share of frames the palm detector ran on, or None (unknown).
        palm_ms: median palm detector ms on the frames it ran on, or None.
        landmarks_ms: median landmark-model ms per frame, or None.

    Returns:
        ``{"side", "frames", "models", "threads", "n", "median_ms", "p99_ms", "cpu_median_ms"
        (CPU ms per frame, all threads: less hurt by other programs than wall time), "cpu_over_wall",
        "found" ("k/N" text), "found_frames", "found_share", "palm_share", "palm_ms",
        "landmarks_ms"}``.

    Raises:
        ValueError: an unknown side or frames kind, or no latency.
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    if frames not in ("still", "video"):
        raise ValueError(f"frames must be 'still' or 'video', got {frames!r}")
    lat = np.asarray(latency_ms, np.float64)
    if lat.size == 0:
        raise ValueError("no latency samples for the comparison")
    got = np.asarray(found, np.int64)
    k = int((got > 0).sum())
    cpu = cpu_med = None
    if cpu_ms is not None and len(cpu_ms) and lat.sum() > 0:
        cpu = float(np.sum(np.asarray(cpu_ms, np.float64)) / lat.sum())
        cpu_med = float(np.median(np.asarray(cpu_ms, np.float64)))
    return {
        "side": side,
        "frames": frames,
        "models": models,
        "threads": threads,
        "n": int(lat.size),
        "median_ms": float(np.median(lat)),
        "p99_ms": float(np.percentile(lat, 99)),
        "cpu_median_ms": cpu_med,
        "cpu_over_wall": cpu,
        "found": f"{k}/{got.size}",
        "found_frames": k,
        "found_share": k / got.size if got.size else None,
        "palm_share": palm_share,
        "palm_ms": palm_ms,
        "landmarks_ms": landmarks_ms,
    }


def _find(
    rows: Sequence[dict[str, Any]], side: str, frames: str, threads: Any = None, models: str | None = None
) -> dict[str, Any] | None:
    for r in rows:
        if (
            r["side"] == side
            and r["frames"] == frames
            and (threads is None or r["threads"] == threads)
            and (models is None or r["models"] == models)
        ):
            return r
    return None


def criteria(rows: Sequence[dict[str, Any]], mediapipe_models: str = "lite") -> list[dict[str, Any]]:
    """The issue's two speed checks for each thread count our still frames were timed at.

    Args:
        rows: :func:`side_row` rows.
        mediapipe_models: the MediaPipe side the still frames are compared with (``"lite"``:
            model complexity 0, as the issue asks).

    Returns:
        Per thread count of ``ours`` still rows: ``{"threads", "ours_still_ms",
        "mediapipe_still_ms", "still_vs_mediapipe", "still_pass", "ours_video_ms",
        "video_over_still", "video_pass", "video_palm_share"}``; ratios and passes are
        ``None`` where a side is missing.
    """
    mp = _find(rows, "mediapipe", "still", models=mediapipe_models)
    out = []
    for r in rows:
        if r["side"] != "ours" or r["frames"] != "still":
            continue
        t = r["threads"]
        v = _find(rows, "ours", "video", t)
        still = r["median_ms"]
        vs_mp = still / mp["median_ms"] if mp is not None and mp["median_ms"] > 0 else None
        v_over = v["median_ms"] / still if v is not None and still > 0 else None
        cpu_vs_mp = _ratio(r, mp)
        cpu_v_over = _ratio(v, r)
        out.append(
            {
                "threads": t,
                "ours_still_ms": still,
                "mediapipe_still_ms": None if mp is None else mp["median_ms"],
                "still_vs_mediapipe": vs_mp,
                "still_pass": None if vs_mp is None else vs_mp <= STILL_VS_MEDIAPIPE_MAX,
                "ours_video_ms": None if v is None else v["median_ms"],
                "video_over_still": v_over,
                "video_pass": None if v_over is None else v_over <= VIDEO_OVER_STILL_MAX,
                "video_palm_share": None if v is None else v["palm_share"],
                "still_vs_mediapipe_cpu": cpu_vs_mp,
                "video_over_still_cpu": cpu_v_over,
            }
        )
    return out


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float | None:
    """CPU median of ``a`` / CPU median of ``b`` (None when either is unknown)."""
    if a is None or b is None or a.get("cpu_median_ms") is None or not b.get("cpu_median_ms"):
        return None
    return float(a["cpu_median_ms"] / b["cpu_median_ms"])


def mediapipe_video_over_still(rows: Sequence[dict[str, Any]], models: str = "lite") -> float | None:
    """MediaPipe's own tracking median / its static median (context for ours), or None."""
    s, v = _find(rows, "mediapipe", "still", models=models), _find(rows, "mediapipe", "video", models=models)
    if s is None or v is None or s["median_ms"] <= 0:
        return None
    return float(v["median_ms"] / s["median_ms"])


CRITERIA_COLUMNS: list[tuple[str, str, str]] = [
    ("threads", "our threads", ""),
    ("ours_still_ms", "ours still ms", ".2f"),
    ("mediapipe_still_ms", "MediaPipe still ms", ".2f"),
    ("still_vs_mediapipe", f"ours / MediaPipe (<= {STILL_VS_MEDIAPIPE_MAX:g})", ".2f"),
    ("still_verdict", "still", ""),
    ("ours_video_ms", "ours video ms", ".2f"),
    ("video_over_still", f"video / still (<= {VIDEO_OVER_STILL_MAX:g})", ".2f"),
    ("video_verdict", "video", ""),
    ("video_palm_share", "video palm share", ".1%"),
    ("still_vs_mediapipe_cpu", "ours / MediaPipe (cpu)", ".2f"),
    ("video_over_still_cpu", "video / still (cpu)", ".2f"),
]


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else "PASS" if ok else "FAIL"


def format_comparison(
    rows: Sequence[dict[str, Any]], checks: Sequence[dict[str, Any]], *, markdown: bool = False
) -> str:
    """The comparison table and the criteria table, as text (or GitHub markdown)."""
    fmt = report.format_markdown if markdown else report.format_table
    shown = [
        {**c, "still_verdict": _verdict(c["still_pass"]), "video_verdict": _verdict(c["video_pass"])}
        for c in checks
    ]
    parts = [fmt(list(rows), COLUMNS), "", "speed criteria (issue 15):", "", fmt(shown, CRITERIA_COLUMNS)]
    mp = mediapipe_video_over_still(rows)
    if mp is not None:
        parts += ["", f"MediaPipe's own video / still median (lite): {mp:.2f}"]
    return "\n".join(parts)


__all__ = [
    "COLUMNS",
    "CRITERIA_COLUMNS",
    "SIDES",
    "STILL_VS_MEDIAPIPE_MAX",
    "VIDEO_OVER_STILL_MAX",
    "criteria",
    "format_comparison",
    "mediapipe_video_over_still",
    "side_row",
]
