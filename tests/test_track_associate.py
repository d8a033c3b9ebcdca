"""TrackSmoother's association is the greedy IoU-then-centre rule of its docstring,
whatever shortcuts it takes (checked against a direct implementation on random boxes)."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest

from edge.track import Track, TrackSmoother
from edge.types import ROI, Detection, Prediction


def _reference(tracks: list[ROI], dets: list[ROI], iou_t: float, ratio: float) -> list[int | None]:
    """Every pair measured: IoU pairs best first, then the centre-distance fallback."""
    match: list[int | None] = [None] * len(dets)
    used: set[int] = set()
    pairs = [(t.iou(d), ti, di) for ti, t in enumerate(tracks) for di, d in enumerate(dets)]
    for iou, ti, di in sorted(pairs, reverse=True):
        if iou >= iou_t and iou > 0.0 and ti not in used and match[di] is None:
            match[di] = ti
            used.add(ti)
    near = []
    for di, d in enumerate(dets):
        for ti, t in enumerate(tracks):
            if match[di] is not None or ti in used:
                continue
            if min(d.w, t.w) < ratio * max(d.w, t.w) or min(d.h, t.h) < ratio * max(d.h, t.h):
                continue
            (cx, cy), (tx, ty) = d.center, t.center
            dist = math.hypot(cx - tx, cy - ty)
            inside = t.x <= cx <= t.x + t.w and t.y <= cy <= t.y + t.h
            if inside or dist <= 0.5 * max(t.w, t.h):
                near.append((dist, ti, di))
    for _, ti, di in sorted(near):
        if ti not in used and match[di] is None:
            match[di] = ti
            used.add(ti)
    return match


def _boxes(rng: np.random.Generator, n: int, span: int) -> list[ROI]:
    return [
        ROI(
            int(rng.integers(0, span)),
            int(rng.integers(0, span)),
            int(rng.integers(0, 40)),
            int(rng.integers(0, 40)),
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("span", [30, 80, 300])
def test_association_matches_the_direct_rule(span: int) -> None:
    rng = np.random.default_rng(span)
    sm = TrackSmoother()
    pred = Prediction(0, "0", 1.0, np.ones(1, np.float32))
    checked = 0
    for _ in range(400):
        tracks = _boxes(rng, int(rng.integers(0, 12)), span)
        dets = _boxes(rng, int(rng.integers(0, 8)), span)
        sm.tracks = [Track(i, r, deque([pred.scores])) for i, r in enumerate(tracks)]
        got = sm._associate([Detection(d, pred) for d in dets])
        assert got == _reference(tracks, dets, sm.iou_threshold, sm.min_size_ratio)
        checked += sum(m is not None for m in got)
    assert checked > 0  # some boxes did overlap and match


def test_a_jittered_small_box_keeps_its_track_by_its_centre() -> None:
    sm = TrackSmoother(window=2, labels=["a", "b"])
    a = Prediction(0, "a", 1.0, np.array([1.0, 0.0], np.float32))
    b = Prediction(1, "b", 1.0, np.array([0.0, 1.0], np.float32))
    sm.update([Detection(ROI(100, 100, 10, 10), a)])
    # IoU 0.22 with the track (below 0.5), centre 3 px away: the same digit
    out = sm.update([Detection(ROI(103, 103, 10, 10), b), Detection(ROI(200, 100, 10, 10), b)])
    assert [len(t.history) for t in sm.tracks] == [2, 1]
    assert out[0].prediction.score == pytest.approx(0.5)
