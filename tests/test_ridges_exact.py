"""edge.segment.line_ridges.ridges and runs_on, rewritten for speed (np.minimum/np.maximum for
np.clip, runs_on's three ridge reads in one call), read the same values as the first form."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digit_pieces import X0, X1, Y0, Y1, measure_components
from edge.segment.line_ridges import (
    DARKER,
    GOES_ON,
    MIN_SLIVER_PX,
    SAME_DARKNESS,
    SAMPLES,
    SEEN_SHARE,
    SLIVER,
    SPREAD_DEG,
    medians,
    ridges,
    runs_on,
)


def clipped_ridges(dark: np.ndarray, c: np.ndarray, u: np.ndarray, t: np.ndarray, offset: int) -> np.ndarray:
    """line_ridges.ridges as it was written first (np.clip), the reference for the faster one."""
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


def test_ridges_read_the_same_values_as_before() -> None:
    rng = np.random.default_rng(5)
    dark = rng.integers(0, 256, (60, 80)).astype(np.uint8)
    c = rng.uniform(-20, 100, (40, 2))
    a = rng.uniform(0, 2 * np.pi, 40)
    u = np.column_stack([np.cos(a), np.sin(a)])
    t = rng.uniform(-30, 120, (40, 32))
    np.testing.assert_array_equal(ridges(dark, c, u, t, 3), clipped_ridges(dark, c, u, t, 3))


def test_runs_on_reads_both_ends_of_many_slivers() -> None:
    # (the three ridge reads of each sliver are one call now): a dashed faint line's dashes go on,
    # a short stroke darker than the ruling does not
    dark = np.zeros((240, 320), np.uint8)
    cv2.line(dark, (0, 100), (319, 100), 35, 1)
    cv2.line(dark, (150, 60), (150, 80), 120, 2)
    mask = cv2.compare(dark, 20, cv2.CMP_GT)
    pieces = np.zeros((4, 7))
    pieces[:, :4] = [(40, 99, 60, 102), (120, 99, 140, 102), (200, 99, 230, 102), (149, 60, 152, 81)]
    assert runs_on(pieces, mask, (0, 0), dark, (0, 90), 3, 35.0).tolist() == [True, True, True, False]


def runs_on_piece_by_piece(
    pieces: np.ndarray,
    mask: np.ndarray,
    origin: tuple[int, int],
    dark: np.ndarray,
    dirs: tuple[int, ...],
    offset: int,
    level: float,
) -> np.ndarray:
    """line_ridges.runs_on as it was written before its axes were worked out on arrays (each
    piece's angle, centre and direction one at a time), the reference for the faster one."""
    out = np.zeros(len(pieces), bool)
    bw, bh = pieces[:, X1] - pieces[:, X0], pieces[:, Y1] - pieces[:, Y0]
    long, short = np.maximum(bw, bh), np.minimum(bw, bh)
    ox, oy = origin
    mh, mw = mask.shape
    rows = []
    for i in np.flatnonzero((long >= SLIVER * short) & (long >= MIN_SLIVER_PX)).tolist():
        x0, y0, x1, y1 = (int(v) for v in pieces[i, :4])
        mx0, my0 = min(max(x0 - ox, 0), mw), min(max(y0 - oy, 0), mh)
        m = cv2.moments(mask[my0 : max(my0, y1 - oy), mx0 : max(mx0, x1 - ox)], binaryImage=True)
        if m["m00"] == 0:
            continue
        theta = 0.5 * np.degrees(np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])) % 180.0
        if min(abs((theta - a + 90.0) % 180.0 - 90.0) for a in dirs) <= SPREAD_DEG:
            rad = np.radians(theta)
            cx, cy = ox + mx0 + m["m10"] / m["m00"], oy + my0 + m["m01"] / m["m00"]
            rows.append((i, cx, cy, np.cos(rad), np.sin(rad), 0.5 * float(np.hypot(x1 - x0, y1 - y0))))
    if not rows:
        return out
    v = np.array(rows)
    c, u, half = v[:, 1:3], v[:, 3:5], v[:, 5:6]
    f = np.linspace(0.0, 1.0, SAMPLES)[None, :]
    past, n = half + 1 + f * GOES_ON * 2 * half, len(v)
    r = ridges(
        dark,
        np.tile(c, (3, 1)),
        np.tile(u, (3, 1)),
        np.vstack([(2 * f - 1) * (half - 1), -past, past]),
        offset,
    )
    contrast = medians(r, 0)
    own = contrast[:n]
    same, seen = np.ones(n, bool), np.zeros(n, bool)
    for end in (1, 2):
        inside = np.count_nonzero(~np.isnan(r[end * n : (end + 1) * n]), axis=1) >= SEEN_SHARE * SAMPLES
        same &= ~inside | (contrast[end * n : (end + 1) * n] >= SAME_DARKNESS * own)
        seen |= inside
    out[v[:, 0].astype(np.int64)] = seen & same & (own > 0) & (own <= DARKER * level)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_runs_on_finds_the_same_slivers_as_piece_by_piece(seed: int) -> None:
    # dashed ruled lines at a slant (one or two directions), strokes darker than them, noise; the
    # pieces of a threshold of it, in a crop of the image (an origin) and with boxes reaching past it
    rng = np.random.default_rng(seed)
    dark = rng.integers(0, 12, (240, 320)).astype(np.uint8)
    angle = rng.uniform(-20, 20)
    for o in range(-300, 600, int(rng.integers(14, 30))):
        for a in (angle, angle + 90) if seed % 2 else (angle,):
            c, s = np.cos(np.radians(a)), np.sin(np.radians(a))
            p0 = (int(o * -s - 400 * c), int(o * c - 400 * s))
            p1 = (int(o * -s + 400 * c), int(o * c + 400 * s))
            cv2.line(dark, p0, p1, int(rng.integers(30, 45)), 1)
    for _ in range(12):
        x, y = int(rng.integers(10, 300)), int(rng.integers(10, 220))
        end = (x + int(rng.integers(-20, 20)), y + int(rng.integers(-20, 20)))
        cv2.line(dark, (x, y), end, int(rng.integers(50, 140)), int(rng.integers(1, 3)))
    cut = rng.integers(20, 40, dark.shape).astype(np.uint8)  # a threshold that breaks the lines
    mask = cv2.compare(dark, cut, cv2.CMP_GT)[5:230, 8:300]
    pieces = measure_components(mask, 5, 400, (8, 5), (320, 240))[0]
    assert pieces is not None and len(pieces) > 10
    pieces[::5, X1] += 7  # (boxes of another mask's pieces reach past this one)
    dirs = (round(angle) % 180, round(angle + 90) % 180) if seed % 2 else (round(angle) % 180,)
    for offset, level in ((3, 35.0), (2, 20.0), (4, 60.0)):
        got = runs_on(pieces, mask, (8, 5), dark, dirs, offset, level)
        assert (
            got.tolist() == runs_on_piece_by_piece(pieces, mask, (8, 5), dark, dirs, offset, level).tolist()
        )
