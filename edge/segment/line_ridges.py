"""Ridges along lines of a darkness image: how much darker than the paper on both sides a
line is, point by point (:mod:`edge.segment.digit_ruling`'s test of a page's ruled lines and of
the slivers of them). A ruled line is a ridge all along, however an ink threshold breaks it into
dashes; a segment that merely joins ink across paper (a row of digits, a grid's crossings) is not.
"""

from __future__ import annotations

import numpy as np

#: A point of a line is on its ridge (:func:`ridged`) when at least this much darker than the
#: paper beside it (darkness levels) ...
RIDGE_MIN = 3.0
#: ... and than this share of the line's median ridge contrast.
RIDGE_REL = 0.3
#: Points sampled along a line or a sliver.
SAMPLES = 32


def ridged(dark: np.ndarray, segs: np.ndarray, offset: int) -> np.ndarray:
    """float (L,) the share of each segment's points (:data:`SAMPLES` along it) where it is a
    ridge of ``dark`` (uint8 (h, w)): a ridge contrast (:func:`ridges`, ``offset`` px) of at
    least :data:`RIDGE_MIN` and :data:`RIDGE_REL` x the segment's median."""
    d = segs[:, 2:] - segs[:, :2]
    n = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6)
    t = n[:, None] * np.linspace(0.0, 1.0, SAMPLES)[None, :]
    r = ridges(dark, segs[:, :2], d / n[:, None], t, offset)
    ok = ~np.isnan(r)
    med = medians(r, 0.0)
    least = np.maximum(RIDGE_MIN, RIDGE_REL * med)
    return np.count_nonzero(ok & (np.nan_to_num(r, nan=-1e9) >= least[:, None]), axis=1) / SAMPLES


def medians(r: np.ndarray, empty: float) -> np.ndarray:
    """float (N,) the median of each row of float (N, K) ``r`` without its NaNs (``empty`` for
    a row of NaNs)."""
    s = np.sort(r, axis=1)  # NaNs last (np.nanmedian costs ten times more on small rows)
    n = np.count_nonzero(~np.isnan(r), axis=1)
    rows = np.arange(len(r))
    lo, hi = s[rows, np.maximum(n - 1, 0) // 2], s[rows, np.minimum(n // 2, r.shape[1] - 1)]
    return np.where(n > 0, 0.5 * (lo + hi), empty)


def ridges(dark: np.ndarray, c: np.ndarray, u: np.ndarray, t: np.ndarray, offset: int) -> np.ndarray:
    """float32 (N, K) the ridge contrast (the darkest of the point and its two neighbours across
    the direction, minus the mean darkness ``offset`` px to either side) of ``dark``
    (uint8 (h, w)) at the points ``c + t * u`` (px), NaN where they leave it (the points beside
    them are read at the nearest pixel of the image: one side of a line at the frame's border).

    Args:
        dark: uint8 (h, w).
        c: float (N, 2) x, y starting points (px).
        u: float (N, 2) unit directions.
        t: float (N, K) distances along them (px).
        offset: px across the direction (>= 1).
    """
    h, w = dark.shape
    xs, ys = c[:, :1] + t * u[:, :1], c[:, 1:] + t * u[:, 1:]
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    ux, uy = u[:, :1], u[:, 1:]

    def at(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        x = np.clip(np.rint(xs + dx).astype(np.int64), 0, w - 1)
        y = np.clip(np.rint(ys + dy).astype(np.int64), 0, h - 1)
        return dark[y, x].astype(np.float32)

    on = np.maximum(np.maximum(at(-uy, ux), at(0 * ux, 0 * uy)), at(uy, -ux))
    side = 0.5 * (at(-uy * offset, ux * offset) + at(uy * offset, -ux * offset))
    return np.where(inside, on - side, np.nan)
