"""edge.segment.line_ridges.ridges and runs_on, rewritten for speed (np.minimum/np.maximum for
np.clip, runs_on's three ridge reads in one call), read the same values as the first form."""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.line_ridges import ridges, runs_on


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


def test_ridges_read_the_same_values_as_before_in_float32_and_at_each_offset() -> None:
    # (find_ruling's segments are float32: the five reads of each point are one now, in the same dtype)
    rng = np.random.default_rng(6)
    dark = rng.integers(0, 256, (120, 160)).astype(np.uint8)
    segs = rng.uniform(-10, 170, (30, 4)).astype(np.float32)
    d = segs[:, 2:] - segs[:, :2]
    n = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6)
    t = n[:, None] * np.linspace(0.0, 1.0, 32)[None, :]
    u = d / n[:, None]
    for offset in (1, 2, 3, 4):
        got = ridges(dark, segs[:, :2], u, t, offset)
        np.testing.assert_array_equal(got, clipped_ridges(dark, segs[:, :2], u, t, offset))
        assert got.dtype == clipped_ridges(dark, segs[:, :2], u, t, offset).dtype
