"""Light ink on a dark board framed by a lighter wall, as the live loop decides it.

The live loop (a camera, a video) segments a frame once, with the polarity
:func:`edge.segment.ink_polarity.frame_ink_is_light` decides (kept while the scene is reused). A
chalkboard or a dark card that does not fill the frame, a lighter wall or desk on one or two sides,
is not light around the frame's mean (the wall is a light majority or a second mode): before the
board test (:func:`edge.segment.ink_polarity._board_light`) such frames were called dark ink and the
chalk digits missed. The frames here are made in code: a handwritten digit
(:func:`edge.sources.handwriting.render_digit`) in grained chalk on a grained board.

The board test must not take light things on a dark desk beside a sheet of dark ink for chalk: a
bright pencil lying on the desk (the demo's sheet scene), a fingertip, or the paper in the slit of a
bold dark loop filling a sheet.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.pipeline import Pipeline, build_pipeline
from edge.segment.digit_scale import scaled
from edge.segment.digits import DigitSegmenter
from edge.segment.ink_polarity import frame_ink_is_light, ink_is_light, light_evidence
from edge.sources.handwriting import render_digit
from edge.types import Frame


def chalkboard(label: str, seed: int, sides: str) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a handwritten chalk digit ``label`` (grained, 225 at full cover) on a
    dark green board (grey 50, grained), a lighter wall (190) on the ``sides`` of the frame ("l",
    "r", "t", "b": a fifth to a third of it each); blurred (1 px), noisy (3 levels)."""
    rng = np.random.default_rng(seed)
    h, w = 480, 640
    grain = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 3)
    img = 50 + 4 * grain / grain.std()
    on = np.ones((h, w), bool)
    for side in sides:
        f = rng.uniform(0.2, 0.33)
        n = int(f * (w if side in "lr" else h))
        cut = {"l": np.s_[:, :n], "r": np.s_[:, w - n :], "t": np.s_[:n, :], "b": np.s_[h - n :, :]}
        on[cut[side]] = False
    img[~on] = 190
    ys, xs = np.nonzero(on)
    a = render_digit(label, rng, int(rng.uniform(0.3, 0.6) * min(np.ptp(ys), np.ptp(xs))))
    a = a.astype(np.float32) / 255 * rng.uniform(0.6, 1.0, a.shape).astype(np.float32)  # chalk grain
    y = int(rng.integers(ys.min(), ys.max() - a.shape[0]))
    x = int(rng.integers(xs.min(), xs.max() - a.shape[1]))
    patch = img[y : y + a.shape[0], x : x + a.shape[1]]
    patch += a * (225 - patch)
    grey = np.clip(cv2.GaussianBlur(img, (0, 0), 1.0) + rng.normal(0, 3, (h, w)), 0, 255).astype(np.uint8)
    return cv2.merge([grey, cv2.convertScaleAbs(grey, alpha=1.1), grey])


#: (seed, walls) of frames whose whole-frame skewness is not light (called dark before the board test)
DARK_AROUND_THEIR_MEAN = [(0, "lt"), (1, "rb"), (2, "tb"), (3, "lr"), (5, "lt"), (7, "lt")]


@pytest.mark.parametrize("seed, sides", DARK_AROUND_THEIR_MEAN)
def test_chalk_on_a_board_beside_a_wall_is_light_ink_in_a_video(seed: int, sides: str) -> None:
    frame = chalkboard(str(seed), seed, sides)
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    assert not ink_is_light(grey)  # the whole frame's skewness (the wall): not light
    seg = DigitSegmenter()  # as the live loop segments it
    seg.find(frame)
    assert seg.last_analysis is not None and seg.last_analysis.light
    assert frame_ink_is_light(grey)


@pytest.fixture(scope="module")
def live() -> Pipeline:
    """The live pipeline of the default digits bundle: one segmentation and one read per digit."""
    return build_pipeline(load_bundle("digits"), smoothing=False)


def test_the_live_pipeline_reads_chalk_beside_a_wall(live: Pipeline) -> None:
    """Read as dark ink, the board's edges and the chalk's rims were the "digits" (before the board
    test none of these 6 frames was read right: 5 gave no digit, 1 an 8)."""
    for seed, sides in DARK_AROUND_THEIR_MEAN:
        live.reset()
        res = live.process(Frame(chalkboard(str(seed), seed, sides), 0.0, 0))
        best = max(res.detections, key=lambda d: d.prediction.score, default=None)
        assert best is not None and best.prediction.label == str(seed), (seed, sides)


def sheet_on_a_desk(seed: int, finger: bool = False) -> np.ndarray:
    """uint8 (480, 640) grey: a dark desk (60) with a sheet (200) over its right half, faint pencil
    digits on the sheet (ink at 70 % of the paper), and on the desk a bright pencil (a stroke of grey
    215, 4 px wide; as the demo's sheet scene) or, with ``finger``, a fingertip (a grey 125 blob at the
    frame's left edge) beside a blank sheet; blurred (1 px), noisy (2 levels)."""
    rng = np.random.default_rng(seed)
    h, w = 480, 640
    img = np.full((h, w), 60, np.float32) + cv2.GaussianBlur(
        rng.normal(0, 6, (h, w)).astype(np.float32), (0, 0), 4
    )
    img[40:440, 300:] = 200
    for i, label in enumerate("" if finger else "340"):
        a = render_digit(label, rng, 70, stroke_px=3).astype(np.float32) / 255
        y, x = 90 + 150 * (i // 2), 360 + 100 * (i % 2)
        img[y : y + a.shape[0], x : x + a.shape[1]] *= 1 - 0.3 * a
    if finger:
        cv2.ellipse(img, (0, 300), (90, 20), -10, 0, 360, 125, -1, cv2.LINE_AA)
    else:
        cv2.line(img, (120, 80), (90, 330), 215, 4, cv2.LINE_AA)
    return np.clip(cv2.GaussianBlur(img, (0, 0), 1.0) + rng.normal(0, 2, (h, w)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("finger", [False, True])
def test_a_light_thing_on_a_desk_beside_a_sheet_is_not_chalk(seed: int, finger: bool) -> None:
    """The desk is a dark board with a light stroke on it, but the pencil's sheet carries dark ink
    (a wall beside a chalkboard carries none), and a fingertip is not as bright as the sheet (chalk
    is). Both still show light-ink evidence: a still photo of them is read both ways."""
    small = scaled(sheet_on_a_desk(seed, finger), 0.5)  # the segmenter's first look
    assert light_evidence(small)
    assert not frame_ink_is_light(small)


@pytest.mark.parametrize("slit", [8, 16])
def test_a_bold_loop_within_the_frame_is_not_a_board(slit: int) -> None:
    """A fat dark marker loop on a sheet (a 0 or a 9 in close-up), its hole a slit: closed over the
    slit, the loop is a dark "board" with a light stroke on it, but it lies within the frame; a board
    framed by a wall on one or two sides reaches at least two of the frame's edges."""
    rng = np.random.default_rng(0)
    img = np.full((480, 640), 210, np.uint8)
    cv2.ellipse(img, (320, 240), (200, 150), 30, 0, 360, 40, -1, cv2.LINE_AA)
    cv2.ellipse(img, (320, 240), (133, slit // 2), 30, 0, 360, 210, -1, cv2.LINE_AA)
    grey = np.clip(cv2.GaussianBlur(img, (0, 0), 1.5) + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
    small = scaled(grey, 0.5)
    assert light_evidence(small)
    assert not frame_ink_is_light(small)


def print_beside_a_sheet(seed: int) -> np.ndarray:
    """uint8 (480, 640) grey: a dark keyboard or printed card (35, grained) over the left 40-55 % of
    the frame, carrying white capitals in a 48-px grid (grey 220, a key's letter), beside a sheet (200)
    with one handwritten digit ``seed % 10`` of dark ink (40), 100-160 px tall; blurred (1 px), noisy
    (2 levels)."""
    rng = np.random.default_rng(seed)
    h, w = 480, 640
    img = np.full((h, w), 35, np.float32) + cv2.GaussianBlur(
        rng.normal(0, 6, (h, w)).astype(np.float32), (0, 0), 4
    )
    x0 = int(rng.uniform(0.4, 0.55) * w)
    letters = np.zeros((h, w), np.uint8)
    for y in range(36, h, 48):
        for x in range(12, x0 - 30, 48):
            glyph = "QWERTYUIOPASDFGHJKLZXCVBNM"[int(rng.integers(26))]
            cv2.putText(letters, glyph, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
    img += letters.astype(np.float32) / 255 * (220 - img)
    img[:, x0:] = 200
    a = render_digit(str(seed % 10), rng, int(rng.uniform(100, 160))).astype(np.float32) / 255
    y = int(rng.integers(40, h - 40 - a.shape[0]))
    x = int(rng.integers(x0 + 30, w - 20 - a.shape[1]))
    img[y : y + a.shape[0], x : x + a.shape[1]] += a * (40 - 200)
    return np.clip(cv2.GaussianBlur(img, (0, 0), 1.0) + rng.normal(0, 2, (h, w)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed", [3, 5, 6, 7, 9])
def test_light_print_beside_a_sheet_with_one_digit_is_not_chalk(seed: int) -> None:
    """The keyboard is a dark board reaching three frame edges, densely covered with light strokes;
    the sheet beside it carries one digit of dark ink, much less ink than the keyboard's in all but
    per unit of area (its digit, as wide as the surface test's square, is cut out of the sheet that
    vetoes light print beside dark ink by their sums: these frames were called light ink, and the
    letters read as digits beside the sheet's)."""
    grey = print_beside_a_sheet(seed)
    seg = DigitSegmenter()  # as the live loop segments it
    seg.find(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))
    assert seg.last_analysis is not None and not seg.last_analysis.light
    assert not frame_ink_is_light(scaled(grey, 0.5))
