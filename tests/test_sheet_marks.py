"""What a sheet's dark ink must look like to outvote light strokes
(:func:`edge.segment.ink_surfaces.sheet_ink`, :func:`edge.segment.ink_surfaces.digit_ink`), and the
stroke view shared by the stroke test and the sheet test (:class:`edge.segment.ink_surfaces.StrokeView`).

A wall filling only a corner of a chalkboard's frame reaches two of the frame's edges, as a sheet lying
in view may, and the marks on it (a door frame's line, tile grout, a calendar's rows of print) are dark
strokes on a bright surface; a white note with lines of print lying on the board is a bright surface
with dark strokes inside the frame. Neither is a sheet with digits: the chalk digits decide.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment import ink_polarity, ink_surfaces
from edge.segment.digit_scale import scaled
from edge.segment.ink_polarity import frame_ink_is_light
from edge.segment.ink_surfaces import sheet_ink
from edge.sources.handwriting import render_digit

H, W = 480, 640


def _board(rng: np.random.Generator) -> np.ndarray:
    """float32 (H, W): a dark board (grey 45, mottled)."""
    noise = rng.normal(0, 4, (H, W)).astype(np.float32)
    return np.full((H, W), 45, np.float32) + cv2.GaussianBlur(noise, (0, 0), 3)


def _print(img: np.ndarray, text: str, org: tuple[int, int], scale: float, grey: float) -> None:
    """Small print (OpenCV's simplex font, 1 px) of ``grey`` on float32 ``img``, anti-aliased."""
    m = np.zeros(img.shape, np.uint8)
    cv2.putText(m, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 1, cv2.LINE_AA)
    a = m.astype(np.float32) / 255
    img += a * (grey - img)


def _chalk(img: np.ndarray, rng: np.random.Generator, x0: int, y0: int) -> None:
    """Chalk digits "72" (grey 220, 4-px strokes, 90 px tall) from (``x0``, ``y0``)."""
    for i, label in enumerate("72"):
        a = render_digit(label, rng, 90, stroke_px=4).astype(np.float32) / 255
        patch = img[y0 : y0 + a.shape[0], x0 + 130 * i : x0 + 130 * i + a.shape[1]]
        patch += a * (220 - patch)


def _finish(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 (H, W): ``img`` blurred (1 px) with noise (2 levels), as the segmenter first looks at it
    (half size)."""
    grey = np.clip(cv2.GaussianBlur(img, (0, 0), 1.0) + rng.normal(0, 2, img.shape), 0, 255)
    return scaled(grey.astype(np.uint8), 0.5)


def chalk_beside_a_corner(seed: int, marks: str, size: tuple[float, float]) -> np.ndarray:
    """A board with chalk "72" and a bright wall (200) filling its top left corner (``size``: the wall's
    share of the frame's width and height; two edges), with ``marks`` on it: "door" a door frame's
    full-height 2-px line (grey 140), "grout" tiles' 2-px grout every 60 px (150), "calendar" six rows
    of small print (10 px tall, grey 60), "switch" a light switch plate's outline (40 x 60 px, 2 px,
    grey 150) at its middle."""
    rng = np.random.default_rng(seed)
    img = _board(rng)
    ww, hh = int(size[0] * W), int(size[1] * H)
    wall = np.full((hh, ww), 200, np.float32)
    if marks == "door":
        wall[:, ww // 3 : ww // 3 + 2] = 140
    if marks == "grout":  # rows and columns 0, 1, 60, 61, ...
        wall[np.arange(hh) % 60 < 2] = 150
        wall[:, np.arange(ww) % 60 < 2] = 150
    if marks == "calendar":
        for r in range(min(6, (hh - 40) // 30)):
            _print(wall, "MON TUE WED", (15, 40 + 30 * r), 0.5, 60)
    if marks == "switch":
        cv2.rectangle(wall, (ww // 2 - 20, hh // 2 - 30), (ww // 2 + 20, hh // 2 + 30), 150, 2)
    img[:hh, :ww] = wall
    _chalk(img, rng, min(ww + 40, W - 260), min(hh - 40, H - 110))
    return _finish(img, rng)


def chalk_beside_a_note(seed: int, lines: int, spacing: int) -> np.ndarray:
    """A board with chalk "72" on its left and a white note (215, 260 x 200 px) at its top right
    carrying ``lines`` lines of small print (about 10 px tall, grey 50) ``spacing`` px apart."""
    rng = np.random.default_rng(seed)
    img = _board(rng)
    note = np.full((200, 260), 215, np.float32)
    for r in range(lines):
        _print(note, "Buy milk 3pm" if r % 2 == 0 else "call Anna re", (24, 39 + spacing * r), 0.5, 50)
    img[40:240, 340:600] = note
    _chalk(img, rng, 40, 250)
    return _finish(img, rng)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "marks, size",
    [("door", (0.35, 0.6)), ("grout", (0.45, 0.5)), ("grout", (0.6, 0.4)), ("calendar", (0.45, 0.5))],
)
def test_chalk_beside_a_marked_wall_in_a_corner_is_light_ink(
    seed: int, marks: str, size: tuple[float, float]
) -> None:
    """The wall reaches two edges as a sheet may, and carries dark marks worth more than a tenth of the
    chalk's light residues; but the marks are no digits (a line or grout running off the wall, rows of
    print too short for a digit): light (all dark before the digit test)."""
    small = chalk_beside_a_corner(seed, marks, size)
    assert not sheet_ink(small)
    assert frame_ink_is_light(small)


@pytest.mark.parametrize("size", [(0.45, 0.5), (0.35, 0.6), (0.6, 0.4)])
def test_chalk_beside_a_switch_plate_in_a_corner_is_light_ink(size: tuple[float, float]) -> None:
    """At the analysis view's own resolution (the sheet test's second look, for faint pen) a switch
    plate's thin outline on a wall is a "0"; but that look takes only a sheet reaching at most one of
    the frame's edges, and a wall filling a corner reaches two: light (dark in all three when the
    second look took two edges)."""
    small = chalk_beside_a_corner(2, "switch", size)
    assert not sheet_ink(small)
    assert frame_ink_is_light(small)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("lines, spacing", [(3, 34), (5, 34), (3, 20), (5, 20)])
def test_chalk_beside_a_printed_note_is_light_ink(seed: int, lines: int, spacing: int) -> None:
    """A note with lines of small print lying on the board: its rows (or, 20 px apart, the block they
    run together into at the view's resolution) are no digits, and the chalk decides: light."""
    small = chalk_beside_a_note(seed, lines, spacing)
    assert not sheet_ink(small)
    assert frame_ink_is_light(small)


def test_digit_ink_keeps_digit_size_strokes_only() -> None:
    """On a 120 x 160 sheet (the whole view, so its outline is the frame's edge): a ring 20 px tall
    counts; a row of print 4 px tall, a filled block 20 px tall and a line running off the sheet
    do not."""
    sheet = np.full((120, 160), 255, np.uint8)
    dark = np.zeros((120, 160), np.uint8)
    cv2.ellipse(dark, (40, 40), (7, 10), 0, 0, 360, 50, 1)
    ring = int(dark.sum())
    row = np.zeros_like(dark)
    row[80:84, 20:60] = 50
    block = np.zeros_like(dark)
    block[60:80, 100:120] = 50
    line = np.zeros_like(dark)
    line[0:50, 140:142] = 50
    assert ink_surfaces.digit_ink(dark, sheet) == ring > 0
    assert ink_surfaces.digit_ink(dark | row | block | line, sheet) == ring


def test_the_stroke_test_and_the_sheet_test_share_the_surfaces(monkeypatch: pytest.MonkeyPatch) -> None:
    """A frame light around its mean whose strokes the stroke test calls light (a bold white stick, 12
    px wide, on a dark desk), then the sheet test dark (a sheet with a ring of pencil beside it): the
    bright surfaces (the opening of the Otsu class) are found once, and the decision is the one made
    without sharing."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 6, (240, 320)).astype(np.float32)
    img = np.full((240, 320), 70, np.float32) + cv2.GaussianBlur(noise, (0, 0), 2)
    img[50:230, 190:] = 205
    cv2.ellipse(img, (255, 130), (9, 17), 0, 0, 360, 150, 2)
    cv2.line(img, (90, 55), (70, 180), 215, 12, cv2.LINE_AA)
    small = np.clip(cv2.GaussianBlur(img, (0, 0), 0.5), 0, 255).astype(np.uint8)
    alone = sheet_ink(small)
    calls = []
    found = ink_surfaces._surface

    def counted(*args: np.ndarray) -> tuple[np.ndarray, int] | None:
        calls.append(1)
        return found(*args)

    monkeypatch.setattr(ink_surfaces, "_surface", counted)
    stroke: list[bool] = []
    polarity = ink_polarity._stroke_polarity

    def spied(*args: object, **kwargs: object) -> bool:
        stroke.append(polarity(*args, **kwargs))  # type: ignore[arg-type]
        return stroke[-1]

    monkeypatch.setattr(ink_polarity, "_stroke_polarity", spied)
    light = frame_ink_is_light(small)
    assert stroke == [True], "the stroke test must call the frame light"
    assert alone and not light  # the sheet's ink decides
    assert len(calls) == 1


def test_sheet_ink_refuses_views_made_with_another_threshold() -> None:
    from edge.segment.ink_surfaces import StrokeView

    small = np.zeros((64, 64), np.uint8)
    with pytest.raises(ValueError):
        sheet_ink(small, 12.0, views=StrokeView(small, 20.0))


@pytest.mark.parametrize("marks", [("1",), ("1", "1")])
def test_upright_pencil_ones_on_a_sheet_outvote_a_white_stick(marks: tuple[str, ...]) -> None:
    """A sheet carrying only upright pencil 1s (each fills nearly all of its box) beside a bold white
    stick on a dark desk: the 1s count as the sheet's digits (``STROKE_WIDTH``), so the frame is dark
    ink and the stick is not read as the digit (review of session 26: the density test dropped them)."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 6, (240, 320)).astype(np.float32)
    img = np.full((240, 320), 70, np.float32) + cv2.GaussianBlur(noise, (0, 0), 2)
    img[50:230, 190:] = 205
    for cx in (240, 275)[: len(marks)]:
        cv2.line(img, (cx, 113), (cx, 147), 150, 2)
    cv2.line(img, (90, 55), (70, 180), 215, 12, cv2.LINE_AA)
    small = np.clip(cv2.GaussianBlur(img, (0, 0), 0.5), 0, 255).astype(np.uint8)
    assert sheet_ink(small)
    assert not frame_ink_is_light(small)


def test_digit_ink_counts_an_upright_one_but_not_a_line_off_the_sheet() -> None:
    """A 2-px upright stroke 30 px tall inside the sheet counts though it fills its box; the same
    stroke running off the sheet's edge does not."""
    sheet = np.full((120, 160), 255, np.uint8)
    one = np.zeros((120, 160), np.uint8)
    one[40:70, 50:52] = 50
    off = np.zeros_like(one)
    off[0:30, 120:122] = 50
    assert ink_surfaces.digit_ink(one, sheet) == int(one.sum()) > 0
    assert ink_surfaces.digit_ink(one | off, sheet) == int(one.sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("length", "grey"), [(100, 60), (100, 120), (140, 120)])
def test_chalk_beside_a_note_with_a_margin_line_is_light_ink(seed: int, length: int, grey: int) -> None:
    """A board with chalk "72" and a white note (260 x 200 px) carrying one 2-px upright line that stays
    clear of its edges (a ruled margin, a fold's shadow): the line is no digit on the note (it spans
    half its height or more), so the chalk stays light ink (second review of session 26: the upright
    exemption had made these frames dark and the chalk digits were lost)."""
    rng = np.random.default_rng(seed)
    img = _board(rng)
    note = np.full((200, 260), 215, np.float32)
    cv2.line(note, (40, 100 - length // 2), (40, 100 + length // 2), grey, 2)
    img[40:240, 340:600] = note
    _chalk(img, rng, 40, 250)
    assert frame_ink_is_light(_finish(img, rng))
