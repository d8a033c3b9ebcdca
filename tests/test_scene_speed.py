"""The scene half of the digit finder's shortcuts give exactly what the computations they replace give.

:mod:`edge.segment.digit_scene` and :mod:`edge.segment.digit_reuse` skip work that cannot
change the result: the shadow, hole and texture steps for a sheet filling the view, a
second histogram pass, a per-pixel look-up of a constant, integer images in the reuse
test. Each test compares a shortcut with the straightforward computation.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

import edge.segment.digit_scene as digit_scene
from edge.segment.block_sums import BlockSums, nearest_upscale
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_reuse import FULL, LEVEL, SCENE, THUMB, SceneMemory
from edge.segment.digit_scene import Scene, find_scene, ink_lut, level_image
from edge.segment.ink import darkness_histogram, paper_noise
from edge.sources.demo import DemoSource


def scene_inputs(image: np.ndarray) -> tuple[np.ndarray, ...]:
    """(dark, deficit, lit, bg) of a BGR frame as the digit finder computes them (320 px analysis)."""
    return analysis_inputs(
        cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (320, 240), interpolation=cv2.INTER_AREA)
    )


def analysis_inputs(grey: np.ndarray) -> tuple[np.ndarray, ...]:
    """(dark, deficit, lit, bg) of a uint8 grey analysis image."""
    bg = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (49, 49)))
    lit = cv2.threshold(bg, 0.35 * float(np.percentile(bg, 95)), 255, cv2.THRESH_BINARY)[1]
    dark = cv2.subtract(lit, cv2.divide(grey, bg, scale=255.0))
    return dark, cv2.subtract(bg, grey), lit, bg


def sheet_frame(seed: int) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: grey paper filling the view, a light gradient, noise, dark strokes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:480, 0:640].astype(np.float32)
    grey = rng.uniform(120, 200) * (1 + 0.1 * (xx / 640 - 0.5) + 0.1 * (yy / 480 - 0.5))
    img = np.clip(grey + rng.normal(0, 2.0, grey.shape), 0, 255).astype(np.uint8)
    for _ in range(5):
        x, y = int(rng.integers(60, 560)), int(rng.integers(60, 400))
        cv2.ellipse(img, (x, y), (12, 22), 0, 0, 300, 30, 3)
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


def assert_same_scene(a: Scene, b: Scene) -> None:
    assert (a.paper is None) == (b.paper is None) and (a.around is None) == (b.around is None)
    if a.paper is not None and b.paper is not None:
        assert np.array_equal(a.paper, b.paper)
    assert np.array_equal(a.cleared, b.cleared)
    if a.around is not None and b.around is not None:
        x, y = np.meshgrid(np.arange(321), np.arange(241))
        assert np.array_equal(a.around.prefix(x.ravel(), y.ravel()), b.around.prefix(x.ravel(), y.ravel()))


@pytest.mark.parametrize("seed", range(4))
def test_a_sheet_filling_the_view_gives_the_scene_of_the_full_steps(seed: int, monkeypatch) -> None:
    cfg = DigitSegmenterConfig()
    dark, deficit, lit, _ = scene_inputs(sheet_frame(seed))
    short = find_scene(cfg, dark, deficit, lit, None)
    assert short.whole
    monkeypatch.setattr(digit_scene, "paper_all_round", lambda paper: False)
    monkeypatch.setattr(digit_scene, "every_block", lambda clean: False)
    full = find_scene(cfg, dark, deficit, lit, None)
    assert not full.whole
    assert_same_scene(short, full)
    assert np.array_equal(ink_lut(cfg, dark, deficit, short)[0], ink_lut(cfg, dark, deficit, full)[0])


@pytest.mark.parametrize("seed", [1, 2, 3])  # (seed 0's digits leave unclean blocks)
def test_a_sheet_of_clean_blocks_gives_the_component_searchs_scene(seed: int, monkeypatch) -> None:
    cfg = DigitSegmenterConfig()
    dark, deficit, lit, _ = scene_inputs(sheet_frame(seed))
    seen: list[bool] = []
    every = digit_scene.every_block

    def spy(clean: np.ndarray) -> bool:
        seen.append(every(clean))
        return seen[-1]

    monkeypatch.setattr(digit_scene, "every_block", spy)
    short = find_scene(cfg, dark, deficit, lit, None)
    assert seen == [True] and short.whole  # the shortcut was taken
    monkeypatch.setattr(digit_scene, "every_block", lambda clean: False)
    searched = find_scene(cfg, dark, deficit, lit, None)
    assert searched.whole
    assert_same_scene(short, searched)


def test_every_block_is_whether_no_block_is_unset() -> None:
    mask = np.full((30, 40), 255, np.uint8)
    assert digit_scene.every_block(mask)
    for y, x in [(0, 0), (29, 39), (15, 20)]:
        one_off = mask.copy()
        one_off[y, x] = 0
        assert not digit_scene.every_block(one_off)


def test_paper_all_round_is_whether_every_border_label_is_big() -> None:
    rng = np.random.default_rng(7)
    seen = set()
    for _ in range(400):
        bh, bw = int(rng.integers(1, 31)), int(rng.integers(1, 41))
        clean = (rng.random((bh, bw)) > rng.uniform(0.0, 0.5)).astype(np.uint8) * 255
        _, labels, stats, _ = cv2.connectedComponentsWithStats(clean, connectivity=4)
        big = stats[:, cv2.CC_STAT_AREA] >= rng.uniform(0, 0.3) * bw * bh
        big[0] = False
        paper = (big.astype(np.uint8) * 255)[labels]  # the paper mask find_scene builds
        border = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
        want = bool(big[border].all())
        assert digit_scene.paper_all_round(paper) == want
        seen.add(want)
    assert seen == {True, False}


def test_same_colour_equals_the_numpy_formula() -> None:
    rng = np.random.default_rng(8)
    joined = 0
    for trial in range(300):
        bh, bw = (1, 1) if trial == 0 else (int(rng.integers(1, 31)), int(rng.integers(1, 41)))
        c = rng.integers(0, int(rng.integers(1, 256)), (bh * bw, 3)).T.astype(np.float32)  # as find_scene
        chroma = c / np.maximum(c[0] + c[1] + c[2], 1.0)
        ref = chroma[:, int(rng.integers(0, bh * bw))] + rng.normal(0, 0.01, 3).astype(np.float32)
        diff = np.abs(chroma - ref[:, None])
        # a random tolerance, or exactly one block's difference (a tie: <= keeps it)
        tie = float(diff.ravel()[int(rng.integers(0, diff.size))])
        tol = float(rng.uniform(0, 0.05)) if trial % 2 else tie
        want = (diff <= tol).all(axis=0).reshape(bh, bw)
        got = digit_scene.same_colour(chroma, ref, tol, (bh, bw))
        assert got.dtype == np.uint8 and np.array_equal(got > 0, want) and set(np.unique(got)) <= {0, 255}
        joined += int(want.any() and not want.all())
    assert joined > 50


def test_filled_holes_equal_the_numpy_formula() -> None:
    rng = np.random.default_rng(6)
    filled = 0
    for _ in range(300):
        paper = (rng.random((30, 40)) > rng.uniform(0.1, 0.6)).astype(np.uint8) * 255
        _, holes, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_not(paper), connectivity=4)
        x, y, w, h = (stats[:, k] for k in range(4))
        inner = (x > 0) & (y > 0) & (x + w < 40) & (y + h < 30)
        inner[0] = False
        want = cv2.bitwise_or(paper, (inner.astype(np.uint8) * 255)[holes])
        assert np.array_equal(digit_scene.fill_holes(paper), want)
        filled += int(inner.any())
    assert filled > 100


def test_clean_blocks_equal_the_opening_percentile_and_threshold() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        blocks = rng.integers(0, int(rng.integers(1, 256)), (30, 40), dtype=np.uint8)
        lit = None if rng.random() < 0.3 else (rng.random((30, 40)) > rng.random()).astype(np.uint8) * 255
        minimum, factor, margin = rng.uniform(0, 60), rng.uniform(0.5, 3), rng.uniform(-5, 20)
        level = cv2.morphologyEx(blocks, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
        values = level.ravel() if lit is None else level[lit > 0]
        ref = int(np.sort(values)[math.ceil(0.05 * values.size) - 1]) if values.size else 0
        want = (level <= max(minimum, factor * ref + margin)).astype(np.uint8) * 255
        if lit is not None:
            want[lit == 0] = 0
        assert np.array_equal(digit_scene.clean_blocks(blocks, lit, minimum, factor, margin), want)


@pytest.mark.parametrize("index", [10, 200, 400])
def test_a_desk_around_the_paper_takes_the_full_steps(index: int) -> None:
    image = DemoSource(3).render(index).image
    dark, deficit, lit, _ = scene_inputs(image)
    scene = find_scene(DigitSegmenterConfig(), dark, deficit, lit, image)
    assert (
        not scene.whole and scene.paper is not None and 0 < cv2.countNonZero(scene.paper) < scene.paper.size
    )


@pytest.mark.parametrize("noise", [1.0, 6.0, 60.0])  # 60: the median above the clip
def test_one_joint_histogram_gives_the_two_histograms_noise(noise: float) -> None:
    rng = np.random.default_rng(int(noise))
    dark = rng.integers(0, 256, (240, 320), dtype=np.uint8)
    deficit = np.clip(np.abs(rng.normal(0, noise, (240, 320))), 0, 255).astype(np.uint8)
    for where in (None, (rng.random((240, 320)) > 0.3).astype(np.uint8) * 255):
        hist, noise_hist = digit_scene._histograms(dark, deficit, where)
        assert np.array_equal(hist, darkness_histogram(dark, where))
        assert paper_noise(noise_hist) == paper_noise(darkness_histogram(deficit, where))


def test_the_threshold_image_equals_the_lookup_and_maximum() -> None:
    rng = np.random.default_rng(0)
    bg = cv2.GaussianBlur(rng.integers(0, 256, (240, 320), dtype=np.uint8), (0, 0), 20)
    cleared = np.zeros((240, 320), np.uint8)
    cleared[:40, :60] = 255
    flat = np.full(256, 25, np.uint8)
    ramp = np.clip(6000 / np.maximum(np.arange(256), 1), 25, 255).astype(np.uint8)
    for lut in (flat, ramp):
        for scene in (Scene(None, None, cleared), digit_scene.whole_paper(320, 240, 40, 30)):
            assert np.array_equal(level_image(bg, lut, scene), cv2.max(cv2.LUT(bg, lut), scene.cleared))


@pytest.mark.parametrize("value", [0, 1, 3])
def test_uniform_block_sums_equal_the_integral(value: int) -> None:
    b = np.full((29, 37), value, np.uint8)
    ii = cv2.integral(cv2.resize(b, (301, 237), interpolation=cv2.INTER_NEAREST))
    sums = BlockSums(b, (301, 237))
    assert sums.uniform == value
    x, y = np.meshgrid(np.arange(302), np.arange(238))
    assert np.array_equal(sums.prefix(x.ravel(), y.ravel()), ii.ravel().astype(np.float64))


@pytest.mark.parametrize(
    "blocks, size", [((30, 40), (320, 240)), ((29, 37), (301, 237)), ((1, 3), (25, 7)), ((3, 1), (7, 25))]
)
def test_nearest_upscale_equals_opencvs_resize(blocks: tuple[int, int], size: tuple[int, int]) -> None:
    b = np.random.default_rng(size[0]).integers(0, 256, blocks, dtype=np.uint8)
    assert np.array_equal(nearest_upscale(b, size), cv2.resize(b, size, interpolation=cv2.INTER_NEAREST))


def reference_mode(cfg: DigitSegmenterConfig, thumb: np.ndarray, kept: np.ndarray) -> int:
    """The reuse decision computed on int16 thumbnails with numpy (the straightforward way)."""
    diff = thumb.astype(np.int16) - kept.astype(np.int16)
    moved = float(np.abs(diff).mean())
    if abs(float(diff.mean())) > cfg.reuse_mean or moved > cfg.reuse_level_mean:
        return FULL
    return SCENE if moved <= cfg.reuse_mean and int(np.abs(diff).max()) <= cfg.reuse_max else LEVEL


def test_the_reuse_decision_equals_the_int16_computation() -> None:
    cfg = DigitSegmenterConfig()
    rng = np.random.default_rng(1)
    first = rng.integers(60, 200, (240, 320), dtype=np.uint8)
    kept = cv2.resize(first, THUMB, interpolation=cv2.INTER_AREA)
    seen = set()
    for k in range(300):
        step = [0, 1, 2, 3, 4, 8, 20, 30][k % 8]
        new = cv2.add(first, np.full_like(first, step)) if k % 3 == 0 else first.copy()
        if k % 3 == 1:  # a patch changed: the maximum decides
            new[: 8 * (1 + k % 5), : 8 * (1 + k % 7)] = np.uint8(200 - step)
        if k % 3 == 2:  # noise around the kept frame
            new = np.clip(first + rng.normal(0, step, first.shape), 0, 255).astype(np.uint8)
        memory = SceneMemory(cfg)
        memory.begin(first, 0.5)
        dark, deficit, lit, bg = analysis_inputs(first)
        memory.scene_and_level(first, bg, dark, lit, int(np.percentile(bg, 95)), None, True, True)
        memory.end([])
        memory.begin(new, 0.5)
        want = reference_mode(cfg, cv2.resize(new, THUMB, interpolation=cv2.INTER_AREA), kept)
        assert memory.mode == want
        seen.add(want)
    assert seen == {FULL, LEVEL, SCENE}


@pytest.mark.parametrize("q", [0.05, 0.5, 0.95, 1.0])
def test_percentile_level_equals_the_histogram_search(q: float) -> None:
    rng = np.random.default_rng(int(q * 100))
    for n in (1, 7, 1200, 4800):
        values = rng.integers(0, 256, n, dtype=np.uint8) // rng.integers(1, 40)
        cdf = np.cumsum(np.bincount(values, minlength=256))
        assert digit_scene.percentile_level(values, q) == int(np.searchsorted(cdf, q * cdf[-1]))
    assert digit_scene.percentile_level(np.zeros(0, np.uint8), q) == 0


def test_a_whole_paper_scene_passes_every_ring_test() -> None:
    # DigitSegmenter._digits skips paper_around for a whole-paper scene: it must be 1.0 for
    # every box, at the border too (the ring is clipped to the frame)
    from edge.segment.digit_pieces import paper_around

    scene = digit_scene.whole_paper(320, 240, 40, 30)
    rng = np.random.default_rng(3)
    x0 = rng.integers(-5, 320, 200)
    y0 = rng.integers(-5, 240, 200)
    boxes = np.stack([x0, y0, x0 + rng.integers(1, 60, 200), y0 + rng.integers(1, 60, 200)], 1).astype(float)
    for chunk in (boxes[:5], boxes):  # the plain-Python and the numpy path
        assert np.all(paper_around(chunk, scene.around) == 1.0)
    assert DigitSegmenterConfig().min_paper_around <= 1.0
