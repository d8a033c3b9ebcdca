"""The preprocessing's faster fast paths give exactly the model inputs of the plain formulas.

:func:`edge.preprocess.digit_ink.select_ink_outline` takes the stroke width's contours from
its one ``RETR_TREE`` search, :func:`~edge.preprocess.digit_ink.ink_levels` makes the ink
levels by one table look-up (cropped to the ink when ``tight``),
:func:`edge.preprocess.grey_ink.grey_ramp` reads the darkness through a table and
:meth:`edge.segment.ink_analysis.InkAnalysis.box` is the analysis box in plain Python,
:func:`edge.preprocess.polarity.sorted_ring` gathers the border ring by kept flat indices and
:func:`edge.preprocess.place_mnist` keeps its sizes and weights per ink shape: each is checked
here against the straightforward computation it replaces.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from edge.preprocess import MnistPreprocessor, place_mnist
from edge.preprocess.analysis_ink import analysis_ramp, ink_in_core
from edge.preprocess.digit_ink import select_ink, select_ink_outline
from edge.preprocess.grey_ink import grey_ramp
from edge.preprocess.ink_levels import ink_levels, ink_ramp, stroke_width
from edge.preprocess.mnist_format import MNIST_BOX, MNIST_STROKE_RANGE
from edge.preprocess.polarity import border_ring, sorted_ring
from edge.segment.digits import DigitSegmenter
from edge.segment.ink_analysis import InkAnalysis
from edge.segment.writing_angle import upright_ink
from edge.sources.demo import DemoSource
from edge.types import ROI


def _reference_ramp(dark: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], t: int) -> np.ndarray:
    """The ink levels as first written: stroke width from a ``RETR_LIST`` search of the box's
    mask, ``clip(dark - (t + 1) // 2, 0, t)`` inside the mask, a zero border of ``max(r, 0) + 1``
    px, then dilated or eroded by ``|r|`` (cross and square steps)."""
    bx0, by0, bx1, by1 = box
    scale = MNIST_BOX / max(bx1 - bx0, by1 - by0, 1)
    box_mask = np.ascontiguousarray(mask[by0:by1, bx0:bx1])
    width = stroke_width(box_mask) * scale
    r = 0
    if width > 0:
        target = min(max(width, MNIST_STROKE_RANGE[0]), MNIST_STROKE_RANGE[1])
        rf = (target - width) / (2.0 * scale)
        if rf <= 0:
            rf = max(rf, -0.35 * width / scale)
        r = math.ceil(rf - 0.25) if rf > 0 else math.floor(rf + 0.25)
    t = max(int(t), 1)
    ramp = np.clip(dark[by0:by1, bx0:bx1].astype(np.int16) - (t + 1) // 2, 0, t).astype(np.uint8)
    ramp[box_mask == 0] = 0
    m = max(r, 0) + 1
    ramp = np.pad(ramp, m)
    shapes = (cv2.MORPH_CROSS, cv2.MORPH_RECT)
    for i in range(abs(r)):
        kernel = cv2.getStructuringElement(shapes[i % 2], (3, 3))
        ramp = (cv2.dilate if r > 0 else cv2.erode)(ramp, kernel)
    return ramp


def _tight(ramp: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(ramp)
    return ramp[y : y + h, x : x + w]


def _darkness_crops(seed: int, n: int) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """uint8 darkness crops (0 paper .. 255 ink) with a digit-like stroke in a core box: rings,
    bars and strokes of 1-7 px (some fat, some thin), with specks, neighbours' pieces at the
    border and holes, softened; and the core x0, y0, x1, y1."""
    rng = np.random.default_rng(seed)
    crops = []
    for _ in range(n):
        h, w = int(rng.integers(24, 80)), int(rng.integers(20, 70))
        dark = np.zeros((h, w), np.uint8)
        x0, y0 = int(rng.integers(2, w // 4)), int(rng.integers(2, h // 4))
        x1, y1 = int(rng.integers(3 * w // 4, w - 1)), int(rng.integers(3 * h // 4, h - 1))
        level, pen = int(rng.integers(60, 255)), int(rng.integers(1, 8))
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
        kind = rng.integers(0, 3)
        if kind == 0:
            axes = (max(1, (x1 - x0) // 2 - pen), max(1, (y1 - y0) // 2 - pen))
            cv2.ellipse(dark, (cx, cy), axes, 0, 0, 360, level, pen)
        elif kind == 1:
            cv2.line(dark, (cx, y0 + pen), (cx + int(rng.integers(-5, 6)), y1 - pen), level, pen)
        else:
            pts = np.stack([rng.integers(x0, x1, 5), rng.integers(y0, y1, 5)], 1).astype(np.int32)
            cv2.polylines(dark, [pts], False, level, pen)
        for _ in range(int(rng.integers(0, 4))):  # specks, and neighbours' pieces at the border
            px, py = int(rng.integers(0, w)), int(rng.integers(0, h))
            cv2.circle(dark, (px, py), int(rng.integers(0, 3)), int(rng.integers(40, 255)), -1)
        dark = cv2.GaussianBlur(dark, (3, 3), 0)
        dark = cv2.add(dark, rng.integers(0, 12, (h, w), dtype=np.uint8))
        crops.append((dark, (x0, y0, x1, y1)))
    return crops


def test_outline_and_levels_are_those_of_the_plain_formulas() -> None:
    seen = dict.fromkeys(("plain", "specks", "dilated", "eroded", "dropped in box", "dropped outside box"), 0)
    for dark, core in _darkness_crops(0, 400):
        x0, y0, x1, y1 = core
        for t in (int(cv2.threshold(dark[y0:y1, x0:x1], 0, 255, cv2.THRESH_OTSU)[0]), 30):
            iou, mask, box, outline, area, plain = select_ink_outline(dark, t, core, 2)
            assert select_ink(dark, t, core, 2)[0] == iou
            if mask is None:
                continue
            bx0, by0, bx1, by1 = box
            if outline is not None:
                # the contours of the kept ink's box, and its area
                box_mask = np.ascontiguousarray(mask[by0:by1, bx0:bx1])
                listed, _ = cv2.findContours(box_mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
                key = sorted((c + np.int32([bx0, by0])).tobytes() for c in listed)
                assert sorted(c.tobytes() for c in outline) == key
                assert area == cv2.countNonZero(mask) == cv2.countNonZero(box_mask)
            if plain:  # (lines erased: not plain, whatever the mask)
                assert outline is not None
                assert np.array_equal(mask, np.where(dark > t, 255, 0).astype(np.uint8))
            elif outline is not None:
                assert not np.array_equal(mask, np.where(dark > t, 255, 0).astype(np.uint8))
                # the threshold mask inside the kept outer outlines, filled
                thr = np.where(dark > t, 255, 0).astype(np.uint8)
                external, _ = cv2.findContours(thr, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
                listed_outline = {c.tobytes() for c in outline}
                kept = [c for c in external if c.tobytes() in listed_outline]
                drawn = cv2.drawContours(np.zeros_like(thr), kept, -1, 255, -1)
                assert np.array_equal(mask, cv2.bitwise_and(thr, drawn))
                others = [cv2.boundingRect(c) for c in external if c.tobytes() not in listed_outline]
                inside = any(x < bx1 and y < by1 and x + w > bx0 and y + h > by0 for x, y, w, h in others)
                seen["dropped in box" if inside else "dropped outside box"] += 1
            want = _reference_ramp(dark, mask, box, t)
            for tight in (False, True):
                got, t1 = ink_levels(dark, mask, box, t, outline, area, plain, tight)
                assert t1 == max(t, 1) and got.dtype == np.uint8
                assert np.array_equal(got, _tight(want) if tight else want)
            assert np.array_equal(ink_ramp(dark, mask, box, t)[0], want)
            seen["plain" if plain else "specks"] += 1
            grown = want.shape[0] - (by1 - by0)
            seen["dilated"] += grown > 2
            seen["eroded"] += grown == 2 and not np.array_equal(_tight(want), want[1:-1, 1:-1])
    assert min(seen.values()) >= 10, seen


def _reference_select(
    dark: np.ndarray, t: int, core: tuple[int, int, int, int]
) -> tuple[float, np.ndarray | None, tuple[int, int, int, int]] | None:
    """:func:`select_ink`'s rules written out on ``RETR_EXTERNAL`` components (``None``: a
    component spans the crop, the line-erasing path): (IoU, kept mask, box)."""
    ch, cw = dark.shape
    rx0, ry0, rx1, ry1 = core
    thr = np.where(dark > t, 255, 0).astype(np.uint8)
    external, _ = cv2.findContours(thr, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rects = [cv2.boundingRect(c) for c in external]
    if any(w >= 0.85 * cw or h >= 0.85 * ch for _, _, w, h in rects):
        return None
    chosen = []
    for c, (x, y, w, h) in zip(external, rects, strict=True):
        ix = min(x + w, rx1) - max(x, rx0)
        iy = min(y + h, ry1) - max(y, ry0)
        if ix <= 0 or iy <= 0 or ix * iy < 0.5 * w * h:
            continue
        sides = [thr[y : y + h, 0], thr[y : y + h, -1], thr[0, x : x + w], thr[-1, x : x + w]]
        touching = [x == 0, x + w == cw, y == 0, y + h == ch]
        contact = sum(np.count_nonzero(v) for v, on in zip(sides, touching, strict=True) if on)
        if contact > 0.2 * max(cw, ch):
            continue
        chosen.append((c, (x, y, w, h), np.count_nonzero(thr[y : y + h, x : x + w])))
    if not chosen or max(a for _, _, a in chosen) < 3:
        return 0.0, None, (0, 0, 0, 0)
    kept = [(c, r) for c, r, a in chosen if a >= 0.03 * max(a for _, _, a in chosen)]
    bx0, by0 = min(r[0] for _, r in kept), min(r[1] for _, r in kept)
    bx1, by1 = max(r[0] + r[2] for _, r in kept), max(r[1] + r[3] for _, r in kept)
    inter = max(0, min(bx1, rx1) - max(bx0, rx0)) * max(0, min(by1, ry1) - max(by0, ry0))
    union = (bx1 - bx0) * (by1 - by0) + (rx1 - rx0) * (ry1 - ry0) - inter
    drawn = cv2.drawContours(np.zeros_like(thr), [c for c, _ in kept], -1, 255, -1)
    return inter / union, cv2.bitwise_and(thr, drawn), (bx0, by0, bx1, by1)


def test_select_ink_outline_keeps_what_the_plain_rules_keep() -> None:
    seen = dict.fromkeys(("one", "one off the core", "one on the border", "several", "none"), 0)
    for dark, core in _darkness_crops(4, 500):
        x0, y0, x1, y1 = core
        for t in (int(cv2.threshold(dark[y0:y1, x0:x1], 0, 255, cv2.THRESH_OTSU)[0]), 30, 120):
            want = _reference_select(dark, t, core)
            if want is None:
                continue
            iou, mask, box, outline, area, plain = select_ink_outline(dark, t, core, 2)
            assert iou == want[0] and box == want[2] and (mask is None) == (want[1] is None)
            external, _ = cv2.findContours(
                (dark > t).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
            )
            if mask is None:
                assert outline is None and area == 0
                one = len(external) == 1
                seen["none"] += 1
                if one:
                    x, y, w, h = cv2.boundingRect(external[0])
                    touches = x == 0 or y == 0 or x + w == dark.shape[1] or y + h == dark.shape[0]
                    seen["one on the border" if touches else "one off the core"] += 1
                continue
            assert np.array_equal(mask, want[1]) and area == cv2.countNonZero(mask)
            assert plain == np.array_equal(mask, np.where(dark > t, 255, 0).astype(np.uint8))
            seen["one" if len(external) == 1 else "several"] += 1
    assert min(seen.values()) >= 5, seen


def test_analysis_box_is_the_analysis_own_box() -> None:
    rng = np.random.default_rng(1)
    for frame, small in [((480, 640), (240, 320)), ((1000, 2000), (500, 1000)), ((720, 1280), (270, 480))]:
        an = InkAnalysis(np.zeros(small, np.uint8), np.zeros(small, np.uint8), frame, False, 49)
        for _ in range(300):
            x, y = int(rng.integers(0, frame[1])), int(rng.integers(0, frame[0]))
            roi = ROI(x, y, int(rng.integers(1, frame[1] - x + 1)), int(rng.integers(1, frame[0] - y + 1)))
            sx, sy = an.scale  # the NumPy formula it replaces
            numpy_box = (
                max(0, int(roi.x / sx + 0.01)),
                max(0, int(roi.y / sy + 0.01)),
                min(small[1], int(np.ceil((roi.x + roi.w) / sx - 0.01))),
                min(small[0], int(np.ceil((roi.y + roi.h) / sy - 0.01))),
            )
            assert an.box(roi) == numpy_box and an.boxes([roi, roi]) == [numpy_box] * 2


def _reference_grey_ramp(grey: np.ndarray, an: InkAnalysis, roi: ROI) -> tuple[np.ndarray, int] | None:
    """:func:`grey_ramp` as first written (inverted crop, sorted ring, OpenCV's darkness)."""
    ax0, ay0, ax1, ay1 = an.box(roi)
    floor = int(an.level[(ay0 + ay1) // 2, (ax0 + ax1) // 2])
    pad = int(round(0.2 * max(roi.w, roi.h))) + 2
    x0, y0 = max(0, roi.x - pad), max(0, roi.y - pad)
    x1, y1 = min(grey.shape[1], roi.x + roi.w + pad), min(grey.shape[0], roi.y + roi.h + pad)
    crop = grey[y0:y1, x0:x1]
    if an.light:
        crop = cv2.bitwise_not(crop)
    ring = np.sort(border_ring(crop))
    n = len(ring) - 1
    p10, paper, p90 = float(ring[n // 10]), float(ring[n // 2]), float(ring[n - n // 10])
    if paper < 8 or p90 - p10 > 0.15 * paper:
        return None
    dark = cv2.bitwise_not(cv2.convertScaleAbs(crop, alpha=255.0 / paper))
    return ink_in_core(dark, (roi.x - x0, roi.y - y0, roi.x + roi.w - x0, roi.y + roi.h - y0), floor)


@pytest.mark.parametrize("light", [False, True], ids=["dark-ink", "light-ink"])
def test_grey_ramp_is_the_plain_formula(light: bool) -> None:
    rng = np.random.default_rng(2)
    read = 0
    for _ in range(30):
        paper = int(rng.integers(60, 250))
        grey = np.clip(rng.normal(paper, 2.5, (120, 160)), 0, 255).astype(np.uint8)
        ink = int(rng.integers(0, paper // 2))
        axes = (int(rng.integers(5, 12)), int(rng.integers(10, 16)))
        cv2.ellipse(grey, (80, 60), axes, 0, 0, 360, ink, int(rng.integers(1, 5)))
        grey = cv2.GaussianBlur(grey, (3, 3), 0)
        x, y, w, h = cv2.boundingRect((grey < (paper + ink) // 2).astype(np.uint8))
        roi = ROI(x, y, w, h)
        if light:
            grey = cv2.bitwise_not(grey)
        an = InkAnalysis(np.zeros((60, 80), np.uint8), np.full((60, 80), 20, np.uint8), (120, 160), light, 49)
        want = _reference_grey_ramp(grey, an, roi)
        got = grey_ramp(grey, an, roi, 1, 100)
        assert (got is None) == (want is None)
        if got is not None and want is not None:
            assert got[1] == want[1] and np.array_equal(got[0], want[0])
            tight = grey_ramp(grey, an, roi, 1, 100, tight=True)
            assert tight is not None and np.array_equal(tight[0], _tight(want[0]))
            read += 1
    assert read >= 20


def test_preprocessor_places_the_fast_paths_levels_as_the_bordered_ones() -> None:
    seg, pre = DigitSegmenter(), MnistPreprocessor()
    n = 0
    for seed in range(3):
        src = DemoSource(seed=seed)
        for i in range(0, 120, 20):
            rois = seg.find(src.render(i).image)
            an, grey = seg.last_analysis, seg.last_grey
            assert an is not None
            x = pre(grey, rois, analysis=an)
            for k, roi in enumerate(rois):
                got = analysis_ramp(an, roi) or grey_ramp(grey, an, roi)
                assert (got is not None) == pre.last_fast[k]  # (a turned page's ink turned upright first)
                if got is not None:
                    assert np.array_equal(x[k, :, :, 0], place_mnist(upright_ink(_tight(got[0]), roi.angle)))
                    n += 1
    assert n >= 30


def test_sorted_ring_is_the_sorted_border_ring() -> None:
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (200, 300), dtype=np.uint8)
    shapes = [(1, 1), (2, 5), (3, 3), (6, 40), (12, 13), (25, 25), (48, 46), (46, 48), (90, 70)]
    for rep in range(2):  # the second time from the kept masks
        for h, w in shapes + [(int(rng.integers(1, 120)), int(rng.integers(1, 120))) for _ in range(60)]:
            y, x = int(rng.integers(0, 200 - h + 1)), int(rng.integers(0, 300 - w + 1))
            crop = frame[y : y + h, x : x + w]  # a view, as grey_ramp's crop
            assert np.array_equal(sorted_ring(crop), np.sort(border_ring(crop))), (rep, h, w)


def _reference_place(ink: np.ndarray) -> np.ndarray:
    """:func:`place_mnist` written out: the 20-px box by area weights (each output px the overlap-
    weighted mean of its source px; ``cv2.resize`` when enlarging or above 128 px), scaled to its
    peak, shifted whole px so its centre of mass is at (14, 14) (clipped to the 28x28 field)."""

    def weights(n_src: int, n_dst: int) -> np.ndarray:
        s = n_src / n_dst
        w = np.zeros((n_dst, n_src), np.float64)
        for i in range(n_dst):
            for j in range(n_src):
                w[i, j] = max(0.0, min((i + 1) * s, j + 1) - max(i * s, j)) / s
        return w.astype(np.float32)

    out = np.zeros((28, 28), np.float32)
    h, w = ink.shape
    if h == 0 or w == 0:
        return out
    s = 20 / max(h, w)
    nw, nh = int(round(w * s)) or 1, int(round(h * s)) or 1
    f = ink.astype(np.float32)
    if s < 1 and h <= 128 and w <= 128:
        box = np.dot(np.dot(weights(h, nh), f), weights(w, nw).T)
    else:
        box = cv2.resize(f, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR).reshape(
            nh, nw
        )
    if box.max() <= 0:
        return out
    box *= np.float32(1.0 / box.max())
    m = cv2.moments(box.astype(np.float64) if nw == 2 else box)  # (n, 2) float32: points to OpenCV
    ox = min(max(int(round(14 - m["m10"] / m["m00"])), 0), 28 - nw)
    oy = min(max(int(round(14 - m["m01"] / m["m00"])), 0), 28 - nh)
    out[oy : oy + nh, ox : ox + nw] = box
    return out


def test_place_mnist_from_its_kept_plans_is_the_plain_formula() -> None:
    rng = np.random.default_rng(5)
    shapes = [
        (0, 5),
        (1, 1),
        (3, 40),
        (40, 3),
        (20, 20),
        (21, 7),
        (7, 21),
        (64, 90),
        (90, 64),
        (128, 128),
        (150, 300),
    ]
    shapes += [(int(rng.integers(1, 140)), int(rng.integers(1, 140))) for _ in range(60)]
    for _ in range(2):  # the second time from the kept plans
        for h, w in shapes:
            ink = rng.integers(0, 60, (h, w)).astype(np.uint8)
            ink[rng.random((h, w)) < 0.4] = 0
            want = _reference_place(ink)
            for x in (ink, ink.astype(np.float32) / np.float32(59.0)):
                out = np.full((28, 28), 7.0, np.float32)
                assert np.array_equal(place_mnist(x, out), want if x is ink else _reference_place(x)), (h, w)


def _speckled_crops(seed: int, n: int) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """:func:`_darkness_crops` with lone dark pixels sprinkled over them (noisy shadowed crops),
    some with a short stroke of fewer than 34 px (a lone pixel is then above 3 % of it)."""
    rng = np.random.default_rng(seed)
    crops = []
    for i, (dark, core) in enumerate(_darkness_crops(seed, n)):
        if i % 3 == 0:  # a small digit: a short bar in the core, nothing else
            x0, y0, x1, y1 = core
            dark = np.zeros_like(dark)
            cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
            cv2.line(dark, (cx, cy - 5), (cx + int(rng.integers(-2, 3)), cy + 5), 200, 2)
        ys, xs = rng.integers(0, dark.shape[0], 40), rng.integers(0, dark.shape[1], 40)
        dark[ys, xs] = 250
        crops.append((dark, core))
    return crops


def test_select_ink_outline_of_speckled_crops_is_the_plain_rules() -> None:
    # the lone-pixel shortcuts (a 1 x 1 box holds 1 px of ink; without holes the outline is the
    # kept outer contours) against the plain rules and the contours' order of the tree search
    seen = dict.fromkeys(("lone pixel kept", "lone pixel dropped", "no holes", "holes"), 0)
    for dark, core in _speckled_crops(5, 300):
        for t in (30, 120):
            want = _reference_select(dark, t, core)
            if want is None:
                continue
            iou, mask, box, outline, area, plain = select_ink_outline(dark, t, core, 2)
            assert iou == want[0] and box == want[2] and (mask is None) == (want[1] is None)
            if mask is None:
                continue
            assert np.array_equal(mask, want[1]) and area == cv2.countNonZero(mask)
            thr = np.where(dark > t, 255, 0).astype(np.uint8)
            cs, hier = cv2.findContours(thr, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
            parents = hier[0, :, 3].tolist()
            roots = []
            for j in range(len(cs)):
                while parents[j] >= 0:
                    j = parents[j]
                roots.append(j)
            kept = {j for j, c in enumerate(cs) if parents[j] < 0 and mask[c[0, 0, 1], c[0, 0, 0]]}
            assert outline is not None
            assert [c.tobytes() for c in outline] == [
                c.tobytes() for c, r in zip(cs, roots, strict=True) if r in kept
            ]
            if not plain:
                seen["no holes" if min(parents) < 0 and max(parents) < 0 else "holes"] += 1
            lone = [c for c in cs if len(c) == 1 and thr[c[0, 0, 1], c[0, 0, 0]]]
            x0, y0, x1, y1 = box
            inside = [c for c in lone if x0 <= c[0, 0, 0] < x1 and y0 <= c[0, 0, 1] < y1]
            seen["lone pixel kept"] += any(mask[c[0, 0, 1], c[0, 0, 0]] for c in inside)
            seen["lone pixel dropped"] += any(not mask[c[0, 0, 1], c[0, 0, 0]] for c in inside)
    assert min(seen.values()) >= 5, seen
