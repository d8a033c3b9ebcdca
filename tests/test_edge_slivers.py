"""Edges that are not ink (edge.segment.edge_slivers): a pen stroke is a ridge, the paper's edge a step.

Frames are drawn with cv2: a sheet on a dark desk, a finger entering the frame beside the
sheet's edge (the desk corner between them read as a tall "1" before the rule), a slanted
"1" near the sheet's edge, a digit across a shadow's edge, light ink on a dark board; and
``benchmarks.realistic_render`` frames where the paper's edge or a finger came out as a digit.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.digits import DigitSegmenter
from edge.segment.edge_slivers import step_sides, without_edges
from edge.types import ROI

PAPER, DESK = 200, 60


def _flat(grey: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Darkness of ``grey`` against ``bg`` and a flat ink threshold (as the flat-field gives)."""
    dark = cv2.bitwise_not(cv2.divide(grey, bg, scale=255.0))
    return dark, np.full(grey.shape, 30, np.uint8)


def _desk_band() -> tuple[np.ndarray, np.ndarray]:
    """Paper right of x = 70, desk left of it; the background estimate carries the paper's
    grey 10 px over the desk (a closing next to a narrow strip of desk): the band x 60..70 reads as ink."""
    grey = np.full((120, 160), PAPER, np.uint8)
    grey[:, :70] = DESK
    bg = np.full_like(grey, PAPER)
    bg[:, :60] = DESK
    return grey, bg


def test_a_stroke_on_paper_is_a_ridge_and_a_band_of_desk_a_step() -> None:
    grey, bg = _desk_band()
    cv2.line(grey, (120, 30), (124, 90), 50, 3)  # a pen stroke on the paper
    boxes = np.array([[60.0, 20, 70, 100], [118, 28, 127, 93]])
    share = step_sides(boxes, grey, bg, *_flat(grey, bg))
    assert share[0] >= 0.35, f"the desk band's ring is half desk: {share[0]:.2f}"
    assert share[1] < 0.05, f"the stroke has paper all round: {share[1]:.2f}"


def test_ruling_across_the_ring_and_the_frame_border() -> None:
    grey = np.full((120, 160), PAPER, np.uint8)
    for y in range(10, 120, 12):  # faint ruling, below the ink threshold, crossing the ring
        grey[y] = 185
    cv2.line(grey, (80, 30), (84, 90), 50, 3)
    cv2.line(grey, (1, 30), (1, 90), 50, 3)  # a stroke along the frame's left border
    bg = np.full_like(grey, PAPER)
    boxes = np.array([[78.0, 28, 87, 93], [0, 28, 4, 93]])
    dark, level = _flat(grey, bg)
    assert step_sides(boxes[:1], grey, bg, dark, level)[0] < 0.05  # ruled lines are not a step
    # no paper is seen beyond the border; a tight crop may run along it (border=False)
    assert step_sides(boxes[1:], grey, bg, dark, level)[0] >= 0.35
    assert step_sides(boxes[1:], grey, bg, dark, level, border=False)[0] < 0.05


def test_without_the_border_rule_the_ring_beyond_the_frame_does_not_count() -> None:
    """Before, with ``border=False`` the ring beyond the frame was still counted in the share's
    denominator: the desk band running into the frame's top measured 0.44, inside it 0.5."""
    grey, bg = _desk_band()
    boxes = np.array([[60.0, 0, 70, 80], [60, 20, 70, 100]])  # running into the top; inside
    share = step_sides(boxes, grey, bg, *_flat(grey, bg), border=False)
    assert abs(share[0] - share[1]) < 0.02, share


def test_a_thin_line_along_the_frames_border_is_not_a_dark_side() -> None:
    """A stroke running into the frame's top with a dark region on its right (a step's far side,
    not ink at its local threshold) and a 2 px line along the top row: the line is not wider than
    a ruled line, it does not count. Before, the frame was padded with black, which made the line
    a wide dark patch (0.39 with the line, 0.35 without: the denominator too)."""
    shares = []
    for line in (False, True):
        grey = np.full((120, 160), PAPER, np.uint8)
        cv2.line(grey, (80, 0), (82, 60), 30, 3)
        grey[:, 86:] = 60
        if line:
            grey[:2] = 60
        bg = np.full_like(grey, PAPER)
        dark, level = _flat(grey, bg)
        level[grey == 60] = 255  # not ink there
        shares.append(step_sides(np.array([[78.0, 0, 85, 62]]), grey, bg, dark, level, border=False)[0])
    assert abs(shares[1] - shares[0]) < 0.01, shares


def test_without_edges_keeps_rows_and_drops_the_band() -> None:
    grey, bg = _desk_band()
    cv2.line(grey, (120, 30), (124, 90), 50, 3)
    boxes = np.array([[60.0, 20, 70, 100, 500, 0, 0], [118, 28, 127, 93, 200, 0, 0]])
    kept = without_edges(boxes, grey, bg, *_flat(grey, bg))
    assert kept.tolist() == boxes[1:].tolist()
    assert without_edges(boxes[1:], grey, bg, *_flat(grey, bg)) is not None
    assert len(without_edges(boxes[:0], grey, bg, *_flat(grey, bg))) == 0


def _seven(img: np.ndarray, x: int, y: int, h: int, ink: tuple[int, int, int] = (40, 40, 40)) -> None:
    cv2.line(img, (x, y), (x + h // 2, y), ink, 3)
    cv2.line(img, (x + h // 2, y), (x + h // 5, y + h), ink, 3)


def _camera(img: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(img, (5, 5), 1.2)
    return np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)


def _sheet_on_desk(x_top: int = 190, x_bottom: int = 120) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: a dark desk, a sheet whose slanted left edge runs from
    (``x_top``, 0) to (``x_bottom``, 480)."""
    img = np.full((480, 640, 3), 30, np.uint8)
    pts = np.array([[x_top, 0], [640, 0], [640, 480], [x_bottom, 480]], np.int32)
    cv2.fillPoly(img, [pts], (PAPER, PAPER, PAPER))
    return img


def _found(rois: list[ROI], box: ROI) -> bool:
    return any(r.iou(box) >= 0.5 for r in rois)


def test_a_finger_beside_the_papers_edge_is_not_a_digit() -> None:
    img = _sheet_on_desk()
    cv2.ellipse(img, (120, 20), (70, 35), -35, 0, 360, (120, 150, 215), -1)  # a finger (skin, BGR)
    _seven(img, 330, 380, 36)
    rois = DigitSegmenter().find(_camera(img, 1))
    box = ROI(328, 376, 24, 44)
    assert _found(rois, box), f"the 7 at {box} not among {rois}"
    assert len(rois) == 1, f"the desk corner between the finger and the sheet came out: {rois}"


def test_a_slanted_one_near_the_papers_edge_is_kept() -> None:
    img = _sheet_on_desk()
    cv2.line(img, (212, 200), (204, 260), (40, 40, 40), 3)  # a "1" 30 px right of the sheet's edge
    rois = DigitSegmenter().find(_camera(img, 2))
    assert _found(rois, ROI(202, 198, 12, 64)), rois


@pytest.mark.parametrize("shade", [0.55, 0.75])
def test_a_digit_across_a_shadows_edge_is_kept(shade: float) -> None:
    img = np.full((480, 640, 3), PAPER, np.uint8)
    img[:, 340:] = (np.array(img[:, 340:], np.float32) * shade).astype(np.uint8)  # a shadow
    _seven(img, 320, 200, 40)
    rois = DigitSegmenter().find(_camera(img, 3))
    assert _found(rois, ROI(318, 198, 26, 46)), rois


def test_light_ink_on_a_dark_board_is_kept() -> None:
    img = np.full((480, 640, 3), 50, np.uint8)
    _seven(img, 300, 200, 40, ink=(210, 210, 210))
    _seven(img, 360, 200, 40, ink=(210, 210, 210))
    rois = DigitSegmenter().find(_camera(img, 4))
    assert _found(rois, ROI(298, 198, 26, 46)) and _found(rois, ROI(358, 198, 26, 46)), rois


@pytest.mark.parametrize(
    ("k", "what"), [(30, "paper edge"), (312, "paper edge"), (73, "finger"), (444, "finger")]
)
def test_camera_like_frames_without_an_edge_as_tall_as_the_digit(mnist, k, what) -> None:
    """``benchmarks.realistic_render.make_frame`` frames (MNIST test digit ``k``, seeded by ``k``)
    where a band along the paper's edge or a finger came out as tall as the digit or taller."""
    from benchmarks.realistic_render import make_frame

    x, _ = mnist
    img, boxes = make_frame([x[k]], np.random.default_rng(k))
    box = ROI(*boxes[0])
    rois = DigitSegmenter().find(img)
    assert _found(rois, box), f"the digit at {box} not among {rois}"
    false = [r for r in rois if r.iou(box) < 0.1 and r.h >= box.h]
    assert not false, f"the {what} came out as a digit: {false}"


def _step_share_masks(
    grey: np.ndarray,
    bg: np.ndarray,
    dark: np.ndarray,
    level: np.ndarray,
    box: tuple[int, int, int, int],
    r: int,
    border: bool,
    ink_side: float,
) -> float:
    """The ring measure of ``edge_slivers._step_share`` written with NumPy masks: the box's window
    padded with nothing beyond the frame, the ring, its ink-dark patches opened by a 3 x 3 square."""
    sh, sw = grey.shape
    x0, y0, x1, y1 = box
    g = r + 1
    cx0, cy0, cx1, cy1 = max(x0 - g, 0), max(y0 - g, 0), min(x1 + g, sw), min(y1 + g, sh)
    top, bottom, left, right = cy0 - (y0 - g), y1 + g - cy1, cx0 - (x0 - g), x1 + g - cx1
    h, w = y1 - y0 + 2 * g, x1 - x0 + 2 * g
    inside = np.zeros((h, w), bool)
    inside[top : h - bottom, left : w - right] = True

    def window(img: np.ndarray) -> np.ndarray:
        out = np.zeros((h, w), img.dtype)
        out[inside] = img[cy0:cy1, cx0:cx1].ravel()
        return out

    near = window(dark) > window(level)
    own = np.zeros_like(near)
    own[g:-g, g:-g] = near[g:-g, g:-g]
    grown = cv2.dilate(own.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0
    touching = cv2.dilate(own.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    rim = grown & ~near & ~touching
    n_in = int((rim & inside).sum())
    beyond = int((rim & ~inside).sum()) if border and not inside.all() else 0
    if n_in + beyond == 0:
        return 0.0
    size = (2 * r + 1, 2 * r + 1)
    o8 = own.astype(np.uint8) * 255
    count = cv2.boxFilter(o8, cv2.CV_32F, size, normalize=False)
    g_ink = cv2.boxFilter(np.where(own, window(grey), 0).astype(np.uint8), cv2.CV_32F, size, normalize=False)
    g_paper = cv2.boxFilter(np.where(own, window(bg), 0).astype(np.uint8), cv2.CV_32F, size, normalize=False)
    lhs = cv2.multiply(window(grey), count, scale=1 / 255, dtype=cv2.CV_32F)
    dim = (lhs < cv2.addWeighted(g_ink, 1.0 - ink_side, g_paper, ink_side, 0.0)) & ~near & inside
    opened = cv2.morphologyEx(
        dim.astype(np.uint8),
        cv2.MORPH_OPEN,
        np.ones((3, 3), np.uint8),
        borderType=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    inky = int(((opened > 0) & rim & inside).sum())
    return (inky + beyond) / (n_in + beyond)


def test_step_share_equals_the_ring_measure_written_with_masks() -> None:
    from edge.segment.edge_slivers import _step_share

    rng = np.random.default_rng(31)
    measured = 0
    for _ in range(60):
        grey, bg = _desk_band()
        grey = cv2.add(grey, rng.integers(0, 30, grey.shape, dtype=np.uint8))
        for _ in range(4):
            x, y = int(rng.integers(0, 160)), int(rng.integers(0, 120))
            cv2.line(grey, (x, y), (x + int(rng.integers(-20, 20)), y + int(rng.integers(5, 40))), 40, 2)
        dark, level = _flat(grey, bg)
        for _ in range(10):
            # boxes anywhere, the frame's border and corners included (padded windows)
            x0, y0 = int(rng.integers(0, 150)), int(rng.integers(0, 110))
            box = (x0, y0, min(160, x0 + int(rng.integers(1, 40))), min(120, y0 + int(rng.integers(1, 50))))
            r, border = int(rng.integers(2, 7)), bool(rng.integers(0, 2))
            want = _step_share_masks(grey, bg, dark, level, box, r, border, 0.25)
            assert _step_share(grey, bg, dark, level, box, r, border, 0.25) == want
            measured += want > 0
    assert measured > 50
