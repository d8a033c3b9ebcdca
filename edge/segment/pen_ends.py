"""A bar that runs on past its end onto the desk: a pen lying partly over the paper, cut at the paper's edge.

A pen lying partly over the sheet (or a note) is cut by the ink threshold where it crosses the paper's edge:
the paper's contrast is lost against the desk, so the piece over the paper is a candidate of its own, a
straight bar of a digit's size whose ground is paper (a "1" to the classifier), and the ground tests of
:mod:`edge.segment.desk_bars` keep it. A 1 written on the paper ends on paper, whether or not near its
edge; the pen's piece runs on: past one of its ends, along its axis and within a short gap, lie pixels of
its own ink colour with the desk on both sides. :func:`runs_onto_desk` looks there.

Imports NumPy and :mod:`edge.types` (the colour tests of :mod:`edge.segment.desk_bars` come as arguments).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from edge.types import ROI

__all__ = ["Bar", "INK_CONTRAST", "MIN_RUN", "SIDE_DESK", "runs_onto_desk"]

#: Least L1 distance (sum over B, G, R, 0..765) of a point on the axis from the desk beside it.
INK_CONTRAST = 60.0
#: Largest L1 distance (per channel on average, 0..255) of a side point from the desk's colour.
SIDE_DESK = 30.0
#: Least number of consecutive steps (2 px each) of ink on the axis with the desk on both sides.
MIN_RUN = 3


class Bar(NamedTuple):
    """A candidate's ink measured as a bar (full-frame px).

    Attributes:
        length: the long side of the ink's minimum-area rectangle (px).
        tilt: the long axis' angle from the vertical (degrees, 0..90).
        centre: the rectangle's centre (x, y) (px).
        axis: unit vector (dx, dy) along the long axis.
        width: the short side (px).
    """

    length: float
    tilt: float
    centre: tuple[float, float]
    axis: tuple[float, float]
    width: float


def runs_onto_desk(
    image: np.ndarray,
    bar: Bar,
    desk: Callable[[], np.ndarray | None],
    ground: np.ndarray,
    not_paper: Callable[[np.ndarray], np.ndarray],
    others: Sequence[ROI] = (),
) -> bool:
    """Whether something runs on past one of a bar's ends over the desk (the rest of a pen).

    Args:
        image: uint8 (H, W, 3) BGR frame.
        bar: the candidate's bar (:class:`Bar`, full-frame px).
        desk: gives the float32 (3,) BGR colour of the desk (``edge.segment.desk_bars.desk_colour``), or
            ``None``: no desk in sight (then False); called only when something lies past an end.
        ground: float32 (3,) BGR median colour of the ring around the bar (the paper or note it lies on).
        not_paper: bool (N,) of float32 (N, 3) BGR colours: which are unlike the paper the other candidates
            lie on (``edge.segment.desk_bars.not_paper``).
        others: the frame's other candidates (full-frame px): a point to the side inside one of them (a
            digit's stroke) is not the desk.

    Returns:
        True when past one of the bar's ends, from 2 px on along its axis (up to 3 widths + 40 px), every
        point 2 px apart differs from ``ground`` by :data:`INK_CONTRAST` or more (L1 over B, G, R) up to
        :data:`MIN_RUN` consecutive ones that are unlike the paper and differ as much from the desk beside
        them, while the points 1.5 widths + 4 px to either side are the desk (unlike the paper, within
        :data:`SIDE_DESK` a channel on average of the desk's colour, in none of ``others``). A 1 written
        near the paper's edge has the desk past its end, not something lying on it; a pen crossing the
        edge has its own rest there.
    """
    (cx, cy), (ux, uy), half = bar.centre, bar.axis, bar.length / 2.0
    nx, ny, side = -uy, ux, 1.5 * bar.width + 4.0
    H, W = image.shape[:2]
    d = np.arange(2, int(3 * bar.width + 40) + 1, 2, dtype=np.float64)
    for sign in (1.0, -1.0):
        if not _leaves_ground(image, bar, ground, sign, d[:MIN_RUN].tolist()):
            continue  # (the test below on the first MIN_RUN points alone: most 1s end on their paper)
        # (the axis' points, then those to either side: (3, K) x and y, the first outside the frame ends them)
        px, py = cx + sign * (half + d) * ux, cy + sign * (half + d) * uy
        xs = np.rint(np.stack([px + side * nx, px - side * nx, px]))
        ys = np.rint(np.stack([py + side * ny, py - side * ny, py]))
        valid = ((xs >= 0) & (xs < W) & (ys >= 0) & (ys < H)).all(axis=0)
        k = len(valid) if valid.all() else int(np.argmin(valid))
        if k < MIN_RUN:
            continue
        xs, ys = xs[:, :k], ys[:, :k]
        c = image[ys.astype(np.intp), xs.astype(np.intp)].astype(np.float32)  # (3, k, 3)
        s1, s2, a = c[0], c[1], c[2]
        # (the rest of a pen starts at the piece's end: no stretch of the bar's own ground in between)
        off = np.abs(a - ground).sum(axis=1) >= INK_CONTRAST
        k = len(off) if off.all() else int(np.argmin(off))
        if k < MIN_RUN:
            continue
        xs, ys, c, s1, s2, a = xs[:, :k], ys[:, :k], c[:, :k], s1[:k], s2[:k], a[:k]
        ok = (np.abs(s1 - a).sum(axis=1) >= INK_CONTRAST) & (np.abs(s2 - a).sum(axis=1) >= INK_CONTRAST)
        if ok.sum() < MIN_RUN:
            continue
        colour = desk()
        if colour is None:
            return False
        ok &= (np.abs(s1 - colour).sum(axis=1) <= 3 * SIDE_DESK) & (
            np.abs(s2 - colour).sum(axis=1) <= 3 * SIDE_DESK
        )
        ok &= not_paper(c.reshape(-1, 3)).reshape(3, k).all(axis=0)
        for r in others:  # (a side point inside another candidate is a digit's stroke, not the desk)
            ok &= ~((xs[:2] >= r.x) & (xs[:2] <= r.x + r.w) & (ys[:2] >= r.y) & (ys[:2] <= r.y + r.h)).any(
                axis=0
            )
        run = np.convolve(ok.astype(np.int32), np.ones(MIN_RUN, np.int32), "valid")
        if len(run) and int(run.max()) >= MIN_RUN:
            return True
    return False


def _leaves_ground(image: np.ndarray, bar: Bar, ground: np.ndarray, sign: float, d: list[float]) -> bool:
    """Whether the points ``d`` px past ``bar``'s end (``sign`` 1 or -1 along its axis) and those to either
    side of them are in the frame and those on the axis differ from ``ground`` by :data:`INK_CONTRAST` or
    more: :func:`runs_onto_desk`'s first test on its first :data:`MIN_RUN` points (``d`` their offsets: when
    they fail, it goes on to the other end). The same float operations in Python on the few points, point
    by point (rounded half to even, like NumPy's ``rint``); True (the whole test decides) for a frame that
    is not BGR, a ground of other than whole or half levels 0..255 (float32 and Python floats then round
    differently), or points that are not finite."""
    (cx, cy), (ux, uy), half = bar.centre, bar.axis, bar.length / 2.0
    nx, ny, side = -uy, ux, 1.5 * bar.width + 4.0
    g = ground.tolist()
    if image.shape[2:] != (3,) or len(g) != 3 or not all(0 <= v <= 255 and (2 * v).is_integer() for v in g):
        return True
    if not all(map(math.isfinite, (cx, cy, ux, uy, half, side))):
        return True
    H, W = image.shape[:2]
    for t in d:
        px, py = cx + sign * (half + t) * ux, cy + sign * (half + t) * uy
        for x, y in ((px + side * nx, py + side * ny), (px - side * nx, py - side * ny), (px, py)):
            if not (0 <= round(x) < W and 0 <= round(y) < H):
                return False
        # (whole and half levels: the differences and their sum are exact in float32 and in Python)
        a = image[round(py), round(px)].tolist()
        if sum(abs(c - v) for c, v in zip(a, g, strict=True)) < INK_CONTRAST:
            return False
    return len(d) >= MIN_RUN
