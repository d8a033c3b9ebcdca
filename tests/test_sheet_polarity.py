"""A sheet of paper with dark ink beside a light thing on a dark desk is dark ink
(:func:`edge.segment.ink_surfaces.sheet_ink` in :func:`edge.segment.ink_polarity.frame_ink_is_light`).

The demo's sheet scene (seed 0, frames 317-388): a white sheet with faint pencil digits "3 4 0" lies
on a dark green desk beside a white stick. The sheet is a bright minority of the frame (the whole
frame is light around its mean) and the stick a bold light stroke on the desk, bolder than the faint
pencil: the frame was called light ink, the stick read as a sure "1" and the digits missed. The
sheet's dark ink now decides; light ink on a board beside a bare wall stays light.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digit_scale import scaled
from edge.segment.digits import DigitSegmenter
from edge.segment.ink_polarity import frame_ink_is_light, light_evidence
from edge.segment.ink_surfaces import sheet_ink
from edge.sources.demo import DemoSource
from edge.sources.handwriting import render_digit


def sheet_beside_a_stick(seed: int, ink: float = 0.3, stick: bool = True) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a dark desk (grey 70, mottled) with a sheet (205) over its lower right
    (360 x 260 px, 30 % of the frame), faint pencil digits "340" on it (ink darkening the paper by
    ``ink``, 3-px strokes, 70 px tall) and, with ``stick``, a white stick (215, 6 px wide, 250 px
    long) on the desk at the left; blurred (1 px), noisy (2 levels)."""
    rng = np.random.default_rng(seed)
    h, w = 480, 640
    img = np.full((h, w), 70, np.float32) + cv2.GaussianBlur(
        rng.normal(0, 6, (h, w)).astype(np.float32), (0, 0), 4
    )
    img[100:460, 380:] = 205
    for i, label in enumerate("340"):
        a = render_digit(label, rng, 70, stroke_px=3).astype(np.float32) / 255
        y, x = 150 + 140 * (i // 2), 420 + 100 * (i % 2)
        img[y : y + a.shape[0], x : x + a.shape[1]] *= 1 - ink * a
    if stick:
        cv2.line(img, (180, 110), (140, 360), 215, 6, cv2.LINE_AA)
    grey = np.clip(cv2.GaussianBlur(img, (0, 0), 1.0) + rng.normal(0, 2, (h, w)), 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_faint_ink_on_a_sheet_beside_a_white_stick_is_dark_ink(seed: int) -> None:
    """The frame looks light (the sheet is a bright minority, the stick a bold light stroke), but
    the sheet carries dark ink: dark, in the segmenter too; a still photo of it is read both ways
    (light-ink evidence remains)."""
    frame = sheet_beside_a_stick(seed)
    small = scaled(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), 0.5)  # the segmenter's first look
    assert sheet_ink(small) and light_evidence(small)
    assert not frame_ink_is_light(small)
    seg = DigitSegmenter()
    seg.find(frame)
    assert seg.last_analysis is not None and not seg.last_analysis.light


def test_a_bare_sheet_beside_a_white_stick_is_light_ink() -> None:
    """Without ink on the sheet there is no dark ink to outvote the stick: the decision is the
    local tests' (the stick, a light stroke), as before."""
    small = scaled(cv2.cvtColor(sheet_beside_a_stick(0, ink=0.0), cv2.COLOR_BGR2GRAY), 0.5)
    assert not sheet_ink(small)
    assert frame_ink_is_light(small)


def test_the_demo_sheet_beside_the_stick_is_dark_ink() -> None:
    """The demo's frame 350 (seed 0): the sheet with "3 4 0" in faint pencil beside the white stick."""
    grey = cv2.cvtColor(DemoSource(seed=0).render(350).image, cv2.COLOR_BGR2GRAY)
    small = scaled(grey, 0.5)
    assert sheet_ink(small)
    assert not frame_ink_is_light(small)


def chalk_beside_a_wall(seed: int, wall: float, marks: str = "") -> np.ndarray:
    """uint8 (480, 640) grey: a dark board (45, mottled) with chalk digits "72" (grey 220, 4-px strokes,
    90 px tall) and a bright wall (200) over the left ``wall`` share of the frame, a sharp step
    between them; blurred (1 px), noisy (2 levels). ``marks`` on the wall: "" bare, "door" a door
    frame's full-height 2-px line (grey 140), "grout" tiles' 2-px grout lines every 60 px (grey 150)."""
    rng = np.random.default_rng(seed)
    h, w = 480, 640
    img = np.full((h, w), 45, np.float32) + cv2.GaussianBlur(
        rng.normal(0, 4, (h, w)).astype(np.float32), (0, 0), 3
    )
    ww = int(wall * w)
    img[:, :ww] = 200
    if marks == "door":
        cv2.line(img, (ww // 3, 0), (ww // 3, h), 140, 2)
    if marks == "grout":
        for y in range(0, h, 60):
            cv2.line(img, (0, y), (ww, y), 150, 2)
        for x in range(0, ww, 60):
            cv2.line(img, (x, 0), (x, h), 150, 2)
    for i, label in enumerate("72"):
        a = render_digit(label, rng, 90, stroke_px=4).astype(np.float32) / 255
        y, x = 180, int(wall * w) + 80 + 130 * i
        patch = img[y : y + a.shape[0], x : x + a.shape[1]]
        patch += a * (220 - patch)
    return np.clip(cv2.GaussianBlur(img, (0, 0), 1.0) + rng.normal(0, 2, (h, w)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed, wall", [(0, 0.2), (1, 0.25), (2, 0.3)])
def test_chalk_beside_a_bare_wall_is_still_light_ink(seed: int, wall: float) -> None:
    """A board and a wall split the grey levels into two well-apart modes as a sheet on a desk does,
    and the wall is a surface too wide for a stroke; but it carries no dark ink: light."""
    small = scaled(chalk_beside_a_wall(seed, wall), 0.5)
    assert not sheet_ink(small)
    assert frame_ink_is_light(small)


@pytest.mark.parametrize("marks", ["door", "grout"])
@pytest.mark.parametrize("seed, wall", [(0, 0.25), (1, 0.3), (2, 0.35)])
def test_chalk_beside_a_wall_with_marks_is_still_light_ink(seed: int, wall: float, marks: str) -> None:
    """A wall with thin dark marks on it (a door frame's line, tiles' grout) carries "dark ink", but
    it reaches three of the frame's edges: a wall, not a sheet held up or lying in view. The chalk
    on the board decides: light (dark in all six when any bright surface counted as a sheet)."""
    small = scaled(chalk_beside_a_wall(seed, wall, marks), 0.5)
    assert not sheet_ink(small)
    assert frame_ink_is_light(small)
