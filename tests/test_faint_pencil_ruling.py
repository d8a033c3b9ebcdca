"""Faint pencil digits on squared paper beside a pen (edge.segment.digits, issue 13).

A cream sheet with a printed grid about as dark as the writing, four pencil digits whose grain
spreads their darkness from the grid's up to about twice it, and a red pen lying on the sheet
(the demo's squared sheet at frame 1050 of seed 0, which lost nearly every digit of every frame).
The frame's second, higher ink level (an Otsu split of the ink darker than the first level) fell
inside the pencil's grain, lifted by the pen, and broke every digit into specks: whether the grid
was found as a cluttering level raised on its band (:meth:`PageRuling.above`, lighter lines) or by
the line eraser (darker lines). Over a known ruling that level now goes no higher than the ink
level over the ruling (:meth:`PageRuling.ruled_ink`).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_ruling import RULED_INK, PageRuling
from edge.segment.digits import DigitSegmenter
from edge.sources import render
from edge.types import ROI

H, W = 480, 640


def pencil_on_squared_paper(
    text: str, seed: int, line_grey: int, opacity: float
) -> tuple[np.ndarray, list[ROI]]:
    """uint8 (480, 640, 3) BGR photo of ``text`` in pencil (Hershey digits about 46 px tall, the
    pencil's grain, ``opacity``) on cream squared paper (grey 1-px lines of ``line_grey``, 22 px
    apart) with a red pen lying across its lower right, seen slightly in perspective and turned by
    4 degrees; and the digits' ink boxes, left to right."""
    rng = np.random.default_rng(seed)
    sheet = render.plain_paper(rng, (H, W), render.PAPERS["cream"][0], grain=((3.0, 24), (1.2, 2)))
    step = 22.0
    rows, cols = np.arange(rng.uniform(0, step), H, step), np.arange(rng.uniform(0, step), W, step)
    render.rule_lines(sheet, [float(line_grey)] * 3, rows=rows, cols=cols)
    ink = np.zeros((H, W), np.uint8)
    cv2.putText(ink, text, (200, 170), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 255, 3, cv2.LINE_AA)
    alpha = ink.astype(np.float32) / 255
    pencil = np.array(render.PENS["pencil"][0], np.float32)
    render.composite_ink(sheet, render.ink_texture(rng, alpha, "pencil"), 0, 0, pencil, opacity)
    cv2.line(sheet, (470, 380), (600, 300), (40, 40, 200), 9, cv2.LINE_AA)  # the pen
    src = np.float32([[0, 0], [W, 0], [W, H], [0, H]])
    dst = np.float32([[14, 6], [W - 14, 0], [W, H], [0, H - 4]])
    m = np.vstack(
        [cv2.getRotationMatrix2D((W / 2, H / 2), 4.0, 1.0), [0, 0, 1]]
    ) @ cv2.getPerspectiveTransform(src, dst)
    sheet = cv2.warpPerspective(sheet, m, (W, H), borderMode=cv2.BORDER_REFLECT)
    alpha = cv2.warpPerspective(alpha, m, (W, H))
    photo = render.camera_photo(sheet, rng, blur_px=0.7, noise_sd=3.0, jpeg_quality=85)
    _, _, stats, _ = cv2.connectedComponentsWithStats((alpha > 0.5).astype(np.uint8))
    boxes = sorted(
        (ROI(int(x), int(y), int(w), int(h)) for x, y, w, h, a in stats[1:] if a > 20), key=lambda b: b.x
    )
    return photo, boxes


def found(r: ROI, box: ROI) -> bool:
    """``r`` is centred on ``box`` (within half its size) and at least 70 % as tall: the whole digit,
    not a piece of it."""
    dx = abs(r.x + r.w / 2 - (box.x + box.w / 2))
    dy = abs(r.y + r.h / 2 - (box.y + box.h / 2))
    return dx < box.w / 2 and dy < box.h / 2 and r.h >= 0.7 * box.h


@pytest.mark.parametrize(
    ("line_grey", "opacity", "seed"),
    [
        (160, 0.4, 0),  # a faint grid broken into dashes: its clutter is raised on its band (above)
        (170, 0.5, 1),
        (150, 0.5, 0),  # a darker grid: the line eraser takes it at the first level (look)
        (140, 0.5, 1),
    ],
)
def test_faint_pencil_digits_on_squared_paper_beside_a_pen_are_found_whole(line_grey, opacity, seed) -> None:
    # before: no ROI on any digit (the pen, or pieces of the digits, a third of their height)
    photo, boxes = pencil_on_squared_paper("8200", seed, line_grey, opacity)
    assert len(boxes) == 4
    rois = DigitSegmenter().find(photo)
    missed = [b for b in boxes if not any(found(r, b) for r in rois)]
    assert not missed, f"digits {missed} not found whole in {rois}"


def test_ruled_ink_is_the_level_above_the_ruling_found_at_this_pass() -> None:
    dark = np.zeros((240, 320), np.uint8)
    for x in range(10, 320, 22):
        dark[:, x] = 40
    for y in range(8, 240, 22):
        dark[y, :] = 40
    cv2.circle(dark, (170, 130), 12, 120, 2)  # a digit in the grid
    mask = cv2.compare(dark, 20, cv2.CMP_GT)
    cfg = DigitSegmenterConfig()
    ruling = PageRuling()
    assert ruling.ruled_ink() is None  # (no ruling looked for)
    ruling.look((mask, (0, 0)), None, dark, cfg, finer=True)  # (a finer pass searches its ink)
    assert ruling.band is not None and ruling.level == 40
    assert ruling.ruled_ink() == round(RULED_INK * 40)
    ruling.look((np.zeros_like(mask), (0, 0)), None, np.zeros_like(dark), cfg)  # no ink on the band
    assert ruling.ruled_ink() is None
    ruling.reset()
    ruling.look(None, None, dark, cfg)
    assert ruling.ruled_ink() is None
