"""Digit segmentation (edge.segment.digits) on synthetic camera frames with known boxes.

Real handwriting (MNIST test digits, inverted to dark ink and scaled) is drawn on
paper with uneven light, noise and blur, next to the things the segmenter must
ignore: ruled lines, specks, the paper's edge and a desk. Each test knows the ink
box of every digit and checks the found ROIs by IoU >= 0.5, with no extras.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.segment.cut_path import uncut
from edge.segment.digits import DigitSegmenter, DigitSegmenterConfig
from edge.segment.numbers import group_numbers, reading_order
from edge.types import ROI, Detection, Prediction

INK = (40.0, 30.0, 25.0)  # BGR, a dark blue-black pen


# ---------------------------------------------------------------------------
# scenes
# ---------------------------------------------------------------------------
def digit_of(mnist: tuple[np.ndarray, np.ndarray], label: int, k: int = 0) -> np.ndarray:
    """The k-th MNIST test image of ``label`` (uint8 28x28, white on black)."""
    x, y = mnist
    return x[np.nonzero(y == label)[0][k]]


def ink_alpha(src: np.ndarray, height: int, thicken: int = 0) -> np.ndarray:
    """Pen-stroke alpha (float32, tight to the ink) of a white-on-black digit, ``height`` px tall."""
    ys, xs = np.nonzero(src > 40)
    d = src[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255
    s = height / d.shape[0]
    a = cv2.resize(d, (max(1, round(d.shape[1] * s)), height), interpolation=cv2.INTER_CUBIC)
    a = np.clip((a - 0.45) * 4 + 0.5, 0, 1)
    if thicken:
        a = cv2.dilate(a, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * thicken + 1,) * 2))
    return a


def paper(
    h: int = 480, w: int = 640, colour=(235, 240, 245), gradient: float = 0.35, seed: int = 0
) -> np.ndarray:
    """float32 (h, w, 3) BGR paper lit unevenly (a left-to-right and top-down falloff)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, 2 * np.pi)
    light = 1.0 - gradient * (0.5 + 0.5 * np.cos(ang) * (xx / w - 0.5) * 2) * (0.6 + 0.4 * yy / h)
    img = np.empty((h, w, 3), np.float32)
    img[:] = colour
    return img * light[:, :, None]


def stamp(img: np.ndarray, alpha: np.ndarray, x: int, y: int, colour=INK) -> ROI:
    """Draw ink with ``alpha`` at (x, y) into float32 BGR ``img``; return its ink box."""
    h, w = alpha.shape
    a = alpha[:, :, None]
    img[y : y + h, x : x + w] = img[y : y + h, x : x + w] * (1 - a) + np.array(colour, np.float32) * a
    ys, xs = np.nonzero(alpha > 0.5)
    return ROI(
        x + int(xs.min()), y + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
    )


def camera(img: np.ndarray, seed: int = 0, blur: float = 0.8, noise: float = 3.0) -> np.ndarray:
    """Blur and sensor noise; float32 BGR -> uint8 BGR."""
    rng = np.random.default_rng(seed)
    if blur:
        img = cv2.GaussianBlur(img, (0, 0), blur)
    img = img + rng.normal(0, noise, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def ruled_lines(img: np.ndarray, step: int = 38, colour=(215, 185, 150), thickness: int = 1) -> None:
    for y in range(step // 2, img.shape[0], step):
        cv2.line(img, (0, y), (img.shape[1] - 1, y + 6), colour, thickness, cv2.LINE_AA)


def specks(img: np.ndarray, points: list[tuple[int, int]]) -> None:
    for x, y in points:
        cv2.circle(img, (x, y), 1, INK, -1)


def desk_left(img: np.ndarray, width: int = 70, colour=(40, 55, 75)) -> None:
    """The paper ends ``width`` px from the left; a dark desk beyond it."""
    pts = np.array([[0, 0], [width, 0], [width - 25, img.shape[0]], [0, img.shape[0]]], np.int32)
    cv2.fillPoly(img, [pts], colour)


def assert_matches(found: list[ROI], truth: list[ROI], ordered: bool = True) -> None:
    """Every truth box matched by IoU >= 0.5, no extra ROIs, and (optionally) in order."""
    assert len(found) == len(truth), f"found {found}, expected {truth}"
    if ordered:
        for f, t in zip(found, truth, strict=True):
            assert f.iou(t) >= 0.5, f"{f} vs truth {t}: IoU {f.iou(t):.2f}"
    else:
        for t in truth:
            assert max(f.iou(t) for f in found) >= 0.5, f"{t} not found in {found}"


# ---------------------------------------------------------------------------
# segmentation
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("height", [18, 40, 120, 300])
def test_single_digit_at_many_scales(mnist, height: int) -> None:
    img = paper(seed=height)
    box = stamp(img, ink_alpha(digit_of(mnist, 3), height), 250, max(10, 240 - height // 2))
    frame = camera(img, seed=height, blur=0.6)
    assert_matches(DigitSegmenter().find(frame), [box])


def test_number_on_ruled_paper_with_specks_and_desk(mnist) -> None:
    img = paper(seed=1)
    ruled_lines(img)
    desk_left(img)
    truth, x = [], 120
    for k, label in enumerate([2, 0, 4, 7, 9]):
        a = ink_alpha(digit_of(mnist, label, k), 70)
        truth.append(stamp(img, a, x, 200))
        x += a.shape[1] + 22
    specks(img, [(500, 80), (560, 400), (150, 420), (600, 250)])
    frame = camera(img, seed=1)
    assert_matches(DigitSegmenter().find(frame), truth)


@pytest.mark.parametrize("label", [0, 6, 8, 9])
def test_loops_are_not_separate_rois(mnist, label: int) -> None:
    img = paper(seed=label)
    box = stamp(img, ink_alpha(digit_of(mnist, label, 2), 150, thicken=2), 240, 150)
    specks(img, [(box.x + box.w // 2, box.y + box.h // 3)])  # a speck inside a loop
    assert_matches(DigitSegmenter().find(camera(img, seed=label)), [box])


def test_broken_digit_is_one_roi() -> None:
    """A 5 whose bar is detached and an 8 whose loops do not touch."""
    img = paper(seed=3)
    cv2.line(img, (212, 140), (272, 140), INK, 7, cv2.LINE_AA)  # the 5's bar, 11 px above
    body = np.array(
        [(210, 158), (205, 195), (230, 188), (255, 200), (262, 225), (250, 250), (225, 258), (200, 248)],
        np.int32,
    )
    cv2.polylines(img, [body], False, INK, 7, cv2.LINE_AA)
    cv2.circle(img, (430, 160), 24, INK, 7, cv2.LINE_AA)  # the 8's loops, 7 px apart
    cv2.circle(img, (433, 228), 30, INK, 7, cv2.LINE_AA)
    frame = camera(img, seed=3)
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    truth = []
    for x0, x1 in ((180, 300), (380, 490)):
        ys, xs = np.nonzero(grey[:, x0:x1] < 150)
        truth.append(ROI(x0 + xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1))
    found = DigitSegmenter().find(frame)
    assert_matches(found, truth)
    assert all(f.iou(t) >= 0.8 for f, t in zip(found, truth, strict=True))


def test_nothing_but_distractors_gives_no_roi() -> None:
    img = paper(seed=4)
    ruled_lines(img)
    desk_left(img)
    specks(img, [(300, 100), (420, 330), (200, 400)])
    cv2.rectangle(img, (0, 0), (639, 479), (60, 60, 60), 3)  # the frame of a window or a board
    assert DigitSegmenter().find(camera(img, seed=4)) == []
    blank = camera(paper(seed=5), seed=5)
    assert DigitSegmenter().find(blank) == []


def test_thick_marker_digit_filling_the_frame(mnist) -> None:
    img = paper(seed=6)
    box = stamp(img, ink_alpha(digit_of(mnist, 2, 1), 380, thicken=14), 200, 40, colour=(20, 20, 20))
    assert_matches(DigitSegmenter().find(camera(img, seed=6, blur=1.5)), [box])


def test_shadow_across_the_page(mnist) -> None:
    img = paper(seed=7, gradient=0.1)
    truth = [
        stamp(img, ink_alpha(digit_of(mnist, d, 3), 80), x, 180) for d, x in ((1, 120), (5, 300), (8, 480))
    ]
    yy, xx = np.mgrid[0:480, 0:640]
    shade = np.where(xx + 0.5 * yy < 420, 0.5, 1.0).astype(np.float32)  # a hard-edged shadow
    img *= cv2.GaussianBlur(shade, (0, 0), 3)[:, :, None]
    assert_matches(DigitSegmenter().find(camera(img, seed=7)), truth)


def test_two_rows_in_reading_order(mnist) -> None:
    img = paper(seed=8)
    truth = []
    for row, y in enumerate((90, 280)):
        for col, x in enumerate((150, 300, 450)):
            truth.append(stamp(img, ink_alpha(digit_of(mnist, 3 * row + col + 1), 90), x, y + 10 * col))
    assert_matches(uncut(DigitSegmenter().find(camera(img, seed=8))), truth)


def test_tightly_cropped_photo_touching_the_border(mnist) -> None:
    a = ink_alpha(digit_of(mnist, 7), 110, thicken=2)
    img = paper(a.shape[0] + 6, a.shape[1] + 30, seed=9, gradient=0.2)
    box = stamp(img, a, 15, 0)  # the digit touches the top border
    assert_matches(DigitSegmenter().find(camera(img, seed=9)), [box])


def test_light_ink_on_a_dark_board(mnist) -> None:
    img = paper(colour=(50, 60, 50), seed=10, gradient=0.2)
    truth = [
        stamp(img, ink_alpha(digit_of(mnist, d), 100), x, 170, colour=(235, 235, 235))
        for d, x in ((4, 150), (6, 380))
    ]
    frame = camera(img, seed=10)
    assert_matches(uncut(DigitSegmenter(DigitSegmenterConfig(polarity="light")).find(frame)), truth)
    assert_matches(uncut(DigitSegmenter(DigitSegmenterConfig(polarity="auto")).find(frame)), truth)


def test_grey_input_and_large_frames(mnist) -> None:
    """A 1920x1080 frame is analysed downscaled; ROIs come back in full-frame px."""
    img = paper(1080, 1920, seed=11)
    box = stamp(img, ink_alpha(digit_of(mnist, 5), 300), 900, 400)
    frame = camera(img, seed=11)
    assert_matches(DigitSegmenter().find(frame), [box])
    assert_matches(DigitSegmenter().find(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)), [box])


def test_bad_input_and_config() -> None:
    with pytest.raises(ValueError, match="uint8"):
        DigitSegmenter().find(np.zeros((48, 64, 3), np.float32))
    with pytest.raises(ValueError, match="shape"):
        DigitSegmenter().find(np.zeros((4, 48, 64, 3), np.uint8))
    with pytest.raises(ValueError, match="polarity"):
        DigitSegmenterConfig(polarity="sideways")
    with pytest.raises(ValueError, match="min_height"):
        DigitSegmenterConfig(min_height=0.5, max_height=0.4)


# ---------------------------------------------------------------------------
# reading order and numbers
# ---------------------------------------------------------------------------
def det(label: str, x: int, y: int, w: int = 30, h: int = 50, score: float = 0.9) -> Detection:
    scores = np.zeros(10, np.float32)
    scores[int(label)] = score
    return Detection(ROI(x, y, w, h), Prediction(int(label), label, score, scores))


def test_reading_order_rows_then_columns() -> None:
    rois = [ROI(300, 210, 30, 50), ROI(100, 20, 30, 50), ROI(200, 30, 30, 50), ROI(100, 200, 30, 50)]
    assert reading_order(rois) == [1, 2, 3, 0]


def test_group_numbers() -> None:
    dets = [
        det("7", 250, 100),
        det("1", 100, 100),
        det("2", 140, 104),
        det("3", 178, 98),
        det("4", 100, 300),
        det("5", 140, 300),
        det("9", 400, 300, h=20),
    ]
    got = group_numbers(dets)
    assert [s for s, _ in got] == ["123", "7", "45", "9"]
    assert got[0][1] == ROI(100, 98, 108, 56)
    assert got[1][1] == ROI(250, 100, 30, 50)
    assert group_numbers([]) == []


def test_group_numbers_gap_threshold() -> None:
    dets = [det("1", 100, 100), det("2", 150, 100)]  # gap 20 px = 0.4 x height
    assert [s for s, _ in group_numbers(dets)] == ["12"]
    assert [s for s, _ in group_numbers(dets, max_gap=0.3)] == ["1", "2"]


# ---------------------------------------------------------------------------
# hard scenes: a sticky note on a desk, clutter, digits drawn in pieces
# ---------------------------------------------------------------------------
def wood_desk(
    h: int = 480, w: int = 640, seed: int = 0, colour=(70, 112, 160), gain: float = 1.0
) -> np.ndarray:
    """float32 (h, w, 3) BGR wood: grain stretched along x, fine texture, blotches."""
    rng = np.random.default_rng(seed)
    grain = cv2.resize(
        rng.standard_normal((h // 3, 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )
    fine = cv2.resize(
        rng.standard_normal((h // 3, w // 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )
    blotch = cv2.resize(rng.standard_normal((6, 8)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    tex = 1 + (4 * grain + 3 * fine + 6 * blotch) / 120.0
    return np.array(colour, np.float32)[None, None, :] * tex[:, :, None] * gain


def note(
    img: np.ndarray, x: int, y: int, size: int, colour=(125, 228, 250), angle: float = 0.0
) -> np.ndarray:
    """Lay a square sticky note (``size`` px, rotated by ``angle`` degrees) on ``img``;
    return the float32 (h, w) mask of where it is (1 = note)."""
    h, w = img.shape[:2]
    box = cv2.boxPoints(((x + size / 2, y + size / 2), (size, size), angle))
    mask = np.zeros((h, w), np.float32)
    cv2.fillConvexPoly(mask, np.round(box * 16).astype(np.int32), 1.0, cv2.LINE_AA, 4)
    img[:] = img * (1 - mask[:, :, None]) + np.array(colour, np.float32) * mask[:, :, None]
    return mask


def pencil(alpha: np.ndarray, strength: float, seed: int = 0) -> np.ndarray:
    """Faint, grainy graphite: ``alpha`` x ``strength`` x a random grain in [0.55, 1]."""
    rng = np.random.default_rng(seed)
    return alpha * strength * rng.uniform(0.55, 1.0, alpha.shape).astype(np.float32)


def test_faint_pencil_on_a_sticky_note_on_a_wood_desk(mnist) -> None:
    """Four 26-px digits in light grey pencil on a yellow note that covers a tenth of a
    dim frame otherwise filled by wood grain: the desk must not set the threshold."""
    img = wood_desk(seed=12, colour=(35, 58, 90))  # dark wood
    note(img, 240, 150, 170, angle=4)
    truth = []
    for k, (label, x, y) in enumerate([(7, 275, 185), (8, 330, 190), (4, 272, 250), (5, 328, 248)]):
        a = pencil(ink_alpha(digit_of(mnist, label, k), 26), 0.6, seed=k)
        ys, xs = np.nonzero(a > 0.25)
        stamp(img, a, x, y, colour=(95, 92, 90))
        truth.append(
            ROI(
                x + int(xs.min()),
                y + int(ys.min()),
                int(xs.max() - xs.min() + 1),
                int(ys.max() - ys.min() + 1),
            )
        )
    img *= 0.75  # dim room
    assert_matches(DigitSegmenter().find(camera(img, seed=12, blur=0.7, noise=5.0)), truth)


@pytest.mark.parametrize("seed", [3, 4, 5])
@pytest.mark.parametrize(
    "colour", [(70, 112, 160), (35, 58, 90), (112, 72, 42)], ids=["wood", "dark-wood", "blue-cloth"]
)
def test_a_textured_desk_gives_no_roi(seed: int, colour: tuple[int, int, int]) -> None:
    """A frame filled by wood grain or cloth (noisy, a little dim) holds no digit."""
    desk = wood_desk(seed=seed, colour=colour, gain=0.9)
    assert DigitSegmenter().find(camera(desk, seed=seed, noise=6.0)) == []


def test_a_zero_drawn_in_two_arcs_is_one_roi() -> None:
    """A 0 drawn as "(" and ")" with gaps at top and bottom is one digit; a "11" and an
    "(" ")" pair too far apart stay separate."""
    img = paper(seed=13)
    cv2.ellipse(img, (200, 240), (34, 60), 0, 100, 260, INK, 5, cv2.LINE_AA)  # left arc
    cv2.ellipse(img, (200, 240), (34, 60), 0, -80, 80, INK, 5, cv2.LINE_AA)  # right arc
    for x in (400, 440):  # "11", 40 px apart (0.33 of the height)
        cv2.line(img, (x, 180), (x - 4, 300), INK, 5, cv2.LINE_AA)
    frame = camera(img, seed=13)
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    truth = []
    for x0, x1 in ((150, 250), (380, 420), (420, 460)):
        ys, xs = np.nonzero(grey[:, x0:x1] < 150)
        truth.append(ROI(x0 + xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1))
    found = DigitSegmenter().find(frame)
    assert_matches(found, truth)
    assert found[0].iou(truth[0]) >= 0.8


@pytest.mark.parametrize("shape", [(1, 640), (640, 1), (1, 1), (2, 300), (3, 5)])
def test_remove_lines_on_slivers(shape: tuple[int, int]) -> None:
    """A 1-2 px high (or wide) crop of a ruled line used to be halved to 0 px (cv2.error)."""
    from edge.segment.ink_components import remove_lines

    mask = np.full(shape, 255, np.uint8)
    out = remove_lines(mask, h_length=120, v_length=120)
    assert out.shape == mask.shape and out.dtype == np.uint8


@pytest.mark.parametrize("closer", [False, True])
@pytest.mark.parametrize("shape", [(1, 1), (1, 2), (2, 1), (1, 1280), (480, 1), (2, 2)])
def test_a_frame_of_one_or_two_pixels_reads_nothing(shape: tuple[int, int], closer: bool) -> None:
    """A 1 x 1 frame crashed the scene's histogram (OpenCV read its scalar clip as a (4, 1) Scalar)."""
    rng = np.random.default_rng(0)
    for img in (
        np.full((*shape, 3), 220, np.uint8),
        np.zeros(shape, np.uint8),
        rng.integers(0, 256, shape, np.uint8),
    ):
        seg = DigitSegmenter(DigitSegmenterConfig(closer_look=closer))
        assert seg.find(img) == [] and seg.find(img) == []


def test_a_frame_holding_only_a_thin_line_reads_nothing(tmp_path) -> None:
    """Issue 16: one dark 1-px line through a grey frame crashed the hot path."""
    from edge.pipeline import build_pipeline
    from edge.types import Frame

    img = np.full((480, 640, 3), 200, np.uint8)
    cv2.line(img, (20, 240), (620, 240), (30, 30, 30), 1)
    pipe = build_pipeline("digits")
    res = pipe.process(Frame(img, 0.0))
    assert res.detections == []
    # a real digit beside the line is still read
    cv2.putText(img, "7", (280, 200), cv2.FONT_HERSHEY_SIMPLEX, 4, (20, 20, 20), 12)
    assert [d.prediction.label for d in pipe.process(Frame(img, 0.1)).raw] == ["7"]
