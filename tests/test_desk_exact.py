"""The fast paths of the pen tests give the results of the plain ones, to the bit (edge.segment.ring_colour,
edge.segment.pen_ends, edge.segment.desk_bars)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment import desk_bars, pen_ends
from edge.segment.desk_bars import measure_bar, not_paper
from edge.segment.ink_analysis import InkAnalysis
from edge.segment.pen_ends import Bar, runs_onto_desk
from edge.segment.ring_colour import median_colour, pixel_medians, ring_median, ring_pixels
from edge.types import ROI


def _rois(rng: np.random.Generator, h: int, w: int, n: int) -> list[ROI]:
    """``n`` boxes of 1..60 px inside an (h, w) frame, a third of them touching its edges."""
    out = []
    for k in range(n):
        bw, bh = int(rng.integers(1, 61)), int(rng.integers(1, 61))
        x, y = int(rng.integers(0, w - bw + 1)), int(rng.integers(0, h - bh + 1))
        if k % 3 == 1:
            x, y = (0, y) if k % 2 else (x, h - bh)
        out.append(ROI(x, y, bw, bh))
    return out


@pytest.mark.parametrize("channels", [3, 0])
def test_ring_median_is_the_median_of_the_ring(channels: int) -> None:
    """ring_median (the ring read as bands) is NumPy's median of ring_pixels (a mask of the padded box)."""
    rng = np.random.default_rng(5)
    shape = (97, 131, channels) if channels else (97, 131)
    for _ in range(40):
        image = rng.integers(0, 256, shape, dtype=np.uint8)
        for roi in _rois(rng, 97, 131, 6):
            pixels = ring_pixels(image, roi)
            got = ring_median(image, roi)
            assert got is not None and len(pixels)
            want = np.median(pixels, axis=0)
            assert got.dtype == want.dtype == np.float32
            assert got.tobytes() == want.tobytes(), (roi, got, want)


def test_a_box_filling_the_frame_has_no_ring() -> None:
    image = np.zeros((40, 50, 3), np.uint8)
    assert ring_median(image, ROI(0, 0, 50, 40)) is None
    assert ring_median(image[:, :, 0], ROI(0, 0, 50, 40)) is None


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_median_colour_is_numpy_median(n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(200):
        halves = rng.integers(0, 511, (n, 3)).astype(np.float32) / 2
        floats = rng.random((n, 3), dtype=np.float32) * 255
        for colours in (halves, floats):
            got = median_colour(list(colours))
            want = np.median(colours, axis=0)
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_runs_onto_desk_without_its_first_test_gives_the_same() -> None:
    """Bars all over a frame of paper, desk and ink (near its edges too), on grounds of whole and half levels
    (ring medians) and of other floats: runs_onto_desk's answer with and without the test of the first
    points in Python."""
    rng = np.random.default_rng(7)
    image = np.empty((120, 160, 3), np.uint8)
    image[:] = (70, 112, 160)  # the desk
    image[20:100, 20:110] = (225, 230, 232)  # the paper
    cv2.line(image, (30, 60), (150, 40), (30, 30, 160), 5)  # a pen over the paper's edge
    image = np.clip(image + rng.normal(0, 20, image.shape), 0, 255).astype(np.uint8)
    desk, paper = np.array([70, 112, 160], np.float32), np.array([225, 230, 232], np.float32)
    grounds = [paper, np.array([100.5, 40, 7], np.float32), np.array([225.25, 230.1, 232.0], np.float32)]
    full = pen_ends._leaves_ground
    differ = 0
    for _ in range(400):
        a = rng.uniform(0, 2 * np.pi)
        bar = Bar(float(rng.uniform(4, 60)), 0.0, (float(rng.uniform(0, 160)), float(rng.uniform(0, 120))),
                  (float(np.cos(a)), float(np.sin(a))), float(rng.uniform(1, 8)))  # fmt: skip
        for ground in grounds:
            fast = runs_onto_desk(image, bar, lambda: desk, ground, lambda p: not_paper(p, paper))
            pen_ends._leaves_ground = lambda *_: True  # type: ignore[assignment]  # (no shortcut)
            try:
                plain = runs_onto_desk(image, bar, lambda: desk, ground, lambda p: not_paper(p, paper))
                assert plain == fast, (bar, ground)
            finally:
                pen_ends._leaves_ground = full
            differ += fast
    assert 0 < differ < 1200  # (both answers occur)


def _analysis(ink: np.ndarray) -> InkAnalysis:
    """The analysis of a frame twice its size whose ink is ``ink`` (bool (h, w))."""
    dark = np.where(ink, 200, 0).astype(np.uint8)
    h, w = ink.shape
    return InkAnalysis(dark, np.full_like(dark, 100), (2 * h, 2 * w), False, 15)


def test_a_bar_with_a_speck_is_the_bar() -> None:
    """A bar of one piece is measured like the same bar beside a speck of less than a tenth of its ink (the
    largest piece's own mask), and no bar beside a second piece as large."""
    ink = np.zeros((60, 60), np.uint8)
    cv2.line(ink, (12, 50), (30, 8), 1, 4)
    roi = ROI(0, 0, 120, 120)
    alone = measure_bar(_analysis(ink > 0), roi)
    assert alone is not None
    speck = ink.copy()
    speck[50:53, 45:48] = 1
    assert repr(measure_bar(_analysis(speck > 0), roi)) == repr(alone)
    twin = ink.copy()
    cv2.line(twin, (40, 50), (55, 15), 1, 4)
    assert measure_bar(_analysis(twin > 0), roi) is None


def test_a_ground_at_the_contrast_in_float32_only() -> None:
    """A ground whose L1 difference from a black line reaches INK_CONTRAST in float32 (as runs_onto_desk
    sums it) but not in Python's floats: the line past the bar's end on the desk is its rest."""
    image = np.empty((100, 200, 3), np.uint8)
    image[:] = (70, 112, 160)
    image[49:52, 51:150] = 0
    ground = np.array([np.nextafter(np.float32(60), np.float32(0)), 3e-6, 0], np.float32)
    bar = Bar(20.0, 90.0, (40.0, 50.0), (1.0, 0.0), 2.0)
    desk = np.array([70, 112, 160], np.float32)
    assert runs_onto_desk(image, bar, lambda: desk, ground, lambda p: np.ones(len(p), bool))


@pytest.mark.parametrize("n", [1, 2, 7, 64, 301, 1000])
def test_pixel_medians_as_float32_are_numpy_median(n: int) -> None:
    """pixel_medians (a radix sort of the uint8 values), as float32, is NumPy's median of them as float32."""
    rng = np.random.default_rng(n)
    for _ in range(20):
        v = rng.integers(0, 256, (n, 3), dtype=np.uint8)
        v[: n // 3] = v[0]  # (ties)
        got, want = pixel_medians(v).astype(np.float32), np.median(v.astype(np.float32), axis=0)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_the_points_past_a_bar_are_rounded_half_to_even() -> None:
    """A bar along x whose axis lies at y = 30.5: its points past the end are read at row 30 (rint, half to
    even: the pen's rest on the desk, rows 28-30), not row 31 (the paper's colour); at y = 31 they are."""
    image = np.full((60, 100, 3), (70, 112, 160), np.uint8)  # the desk
    image[:, :50] = (230, 232, 235)  # the paper
    image[28:31, 50:] = 20  # the pen's rest on the desk
    image[31, 50:] = (230, 232, 235)  # (a paper-coloured row under it)
    ground = np.array([230, 232, 235], np.float32)
    d = [2.0, 4.0, 6.0]
    assert pen_ends._leaves_ground(image, Bar(20.0, 90.0, (45.0, 30.5), (1.0, 0.0), 3.0), ground, 1.0, d)
    assert not pen_ends._leaves_ground(image, Bar(20.0, 90.0, (45.0, 31.0), (1.0, 0.0), 3.0), ground, 1.0, d)


@pytest.mark.parametrize("n", [1, 2, 3, 8, 151, 400])
@pytest.mark.parametrize("channels", [1, 3])
def test_pixel_medians_are_numpy_median_in_float64(n: int, channels: int) -> None:
    """pixel_medians (the mean of the middle two taken in plain Python) is NumPy's float64 median of each
    channel, bit for bit, with ties, a single value and both ends of 0..255."""
    rng = np.random.default_rng(100 * n + channels)
    for trial in range(30):
        v = rng.integers(0, 256, (n, channels), dtype=np.uint8)
        v[: n // 3] = v[0]  # (ties)
        if trial == 0:
            v[:] = 255
        if trial == 1:
            v[n // 2 :] = 0
        got, want = pixel_medians(v), np.median(v, axis=0)
        assert got.dtype == want.dtype == np.float64 and got.shape == (channels,)
        assert got.tobytes() == want.tobytes()


def test_pieces_counted_off_the_labels_are_the_stats_areas() -> None:
    """measure_bar counts the pieces' pixels off connectedComponents' labels (no second labelling):
    those labels are connectedComponentsWithStats's, and their counts its areas (one pixel, specks,
    a full box, thin diagonal strokes: 8-connected)."""
    rng = np.random.default_rng(31)
    inks = [np.ones((1, 1), np.uint8), np.full((7, 5), 255, np.uint8), np.eye(9, dtype=np.uint8)]
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(1, 70, 2))
        ink = (rng.random((h, w)) < rng.random()).astype(np.uint8) * 255
        inks.append(cv2.dilate(ink, np.ones((2, 2), np.uint8)) if rng.random() < 0.5 else ink)
    for ink in inks:
        n, labels = cv2.connectedComponents(ink, connectivity=8)
        m, labels2, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        assert n == m and np.array_equal(labels, labels2)
        assert np.array_equal(np.bincount(labels.reshape(-1), minlength=n), stats[:, cv2.CC_STAT_AREA])


def _unlike_as_written(pixels: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """desk_bars._unlike's form before session 31 (NumPy's reductions over each pixel's channels)."""
    s, big = pixels.sum(axis=1, keepdims=True), float(colour.sum())
    return (np.abs(pixels * big - colour * s) >= desk_bars.MIN_CHROMA * big * s).any(axis=1)


@pytest.mark.parametrize("n", [0, 1, 2, 9, 560])
def test_unlike_and_not_paper_channel_by_channel_are_as_written(n: int) -> None:
    """_unlike and not_paper, channel by channel, select the pixels of their NumPy reductions, for pixels
    of whole levels (frames' pixels: every caller's) and of any float32 (the order of the sum kept), for
    colours of whole and half levels (medians) and of any float32, black and white among them."""
    rng = np.random.default_rng(n)
    for trial in range(60):
        whole = trial % 2 == 0
        pixels = rng.integers(0, 256, (n, 3)).astype(np.float32)
        if not whole:
            pixels = (rng.random((n, 3)) * rng.choice([1.0, 255.0, 1e6])).astype(np.float32)
        pixels[: n // 4] = rng.choice([0.0, 255.0])  # (black or white)
        assert (pixels[:, 0] + pixels[:, 1] + pixels[:, 2]).tobytes() == pixels.sum(axis=1).tobytes()
        colour = (rng.integers(0, 511, 3) / 2.0).astype(np.float32)
        if trial % 3 == 0:
            colour = (rng.random(3) * 255).astype(np.float32)
        base = rng.choice(pixels) if n else colour
        near = (base * (1 + rng.normal(0, 0.03, 3))).astype(np.float32)  # (near the threshold)
        for c in (colour, near):
            got, want = desk_bars._unlike(pixels, c), _unlike_as_written(pixels, c)
            assert got.dtype == want.dtype == bool and np.array_equal(got, want)
            dim = pixels.sum(axis=1) <= desk_bars.MAX_BRIGHTNESS * float(c.sum())
            assert np.array_equal(not_paper(pixels, c), dim | want)
