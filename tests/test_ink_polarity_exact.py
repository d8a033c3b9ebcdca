"""The frame and crop ink-polarity decisions (:func:`edge.segment.ink_polarity.frame_ink_is_light`,
:func:`edge.segment.ink_polarity.ink_is_light`) against their former float formulas, kept here:
the faster code must give the same decision on every image (and the same top-hat sums)."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import pytest

from edge.segment import ink_polarity as ink
from edge.segment.ink import square
from edge.segment.ink_surfaces import sheet_ink

LIGHT = 0.5  # the former LIGHT_SKEW


# ---- the former formulas (histograms and numpy float moments) ---------------------------


def old_hist_skew(counts: np.ndarray, values: np.ndarray, centre: bool) -> float:
    total = float(counts.sum())
    if total <= 0:
        return 0.0
    d = values - float(counts @ values) / total if centre else values
    d2 = d * d
    return float(counts @ (d2 * d)) / total / max(float(counts @ d2) / total, 1e-6) ** 1.5


def old_grey_skew(grey: np.ndarray) -> float:
    n = cv2.calcHist([np.ascontiguousarray(grey)], [0], None, [256], [0, 256]).ravel()
    return old_hist_skew(n.astype(np.float64), np.arange(256, dtype=np.float64), centre=True)


def old_residues(
    small: np.ndarray, k: int, t: float = 12.0, ground: np.ndarray | None = None
) -> tuple[float, float]:
    se = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    dark = cv2.subtract(cv2.morphologyEx(small, cv2.MORPH_CLOSE, se), small)
    light = cv2.subtract(small, cv2.morphologyEx(small, cv2.MORPH_OPEN, se))
    if ground is not None:  # light residues only where light ink may lie (ink.light_ground)
        light = np.where(ground > 0, light, 0).astype(np.uint8)
    li, da = (float(cv2.sumElems(cv2.threshold(r, t, 0, cv2.THRESH_TOZERO)[1])[0]) for r in (light, dark))
    return li, da


def old_stroke_polarity(small: np.ndarray) -> bool:
    kernels: tuple[int, ...] = (3, 5, 9, 17)
    if min(small.shape[:2]) >= 128:
        small, kernels = cv2.pyrDown(small), (3, 5, 9)
    ground = ink.light_ground(small, 12.0, 2 * kernels[-1] + 1)
    top = max(old_residues(small, kernels[-1], ground=ground))
    for k in kernels:
        li, da = old_residues(small, k, ground=ground)
        if max(li, da) >= ink.STROKE_SHARE * top and (li > 2 * da or da > 2 * li):
            return li > da
    return False


def old_frame_ink_is_light(grey: np.ndarray) -> tuple[bool, str]:
    """The former decision and the test that made it."""
    small = ink._analysis_view(grey)
    if old_grey_skew(small[::3, ::3]) <= LIGHT:
        return False, "global"
    if min(small.shape[:2]) < 64:
        return True, "small"
    k = max(3, min(small.shape[:2]) // 26)
    local = cv2.subtract(
        np.ascontiguousarray(small[::2, ::2]),
        np.ascontiguousarray(cv2.blur(small, (k, k))[::2, ::2]),
        dtype=cv2.CV_32F,
    )
    counts = cv2.calcHist([local], [0], None, [511], [-255.5, 255.5]).ravel().astype(np.float64)
    skew = old_hist_skew(counts, np.arange(-255, 256, dtype=np.float64), centre=False)
    if skew > LIGHT:
        return True, "local"
    if skew <= ink.DARK_SKEW:  # clearly dark around the local mean: the strokes are not asked
        return False, "dark"
    return old_stroke_polarity(small), "stroke"


# ---- varied images ------------------------------------------------------------------------


def _strokes(rng: np.random.Generator, img: np.ndarray, n: int, level: tuple[int, int], width: int) -> None:
    h, w = img.shape
    for _ in range(n):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        dx, dy = (int(v) for v in rng.integers(-w // 6 - 2, w // 6 + 3, 2))
        cv2.line(img, (x, y), (x + dx, y + dy), int(rng.integers(*level)), int(rng.integers(1, width + 1)))


def _image(rng: np.random.Generator, kind: int, h: int, w: int) -> np.ndarray:
    if kind == 0:  # uniform noise
        return rng.integers(0, 256, (h, w), dtype=np.uint8)
    if kind == 1:  # skewed noise, either way
        img = np.clip(rng.exponential(25, (h, w)), 0, 255).astype(np.uint8)
        return img if rng.random() < 0.5 else cv2.bitwise_not(img)
    if kind == 2:  # flat
        return np.full((h, w), int(rng.integers(0, 256)), np.uint8)
    if kind == 3:  # thin strokes on a ground, dark or light
        img = np.clip(rng.normal(rng.uniform(40, 220), 6, (h, w)), 0, 255).astype(np.uint8)
        light = bool(img.mean() < 128)
        _strokes(rng, img, int(rng.integers(3, 30)), (180, 256) if light else (0, 70), 4)
        return img
    if kind == 4:  # a bright note on a dark desk, with dark or light digits on it
        img = np.clip(rng.normal(50, 8, (h, w)), 0, 255).astype(np.uint8)
        x0, y0 = int(rng.integers(0, w // 2)), int(rng.integers(0, h // 2))
        x1, y1 = x0 + int(rng.integers(w // 6, w // 2 + 1)), y0 + int(rng.integers(h // 6, h // 2 + 1))
        cv2.rectangle(img, (x0, y0), (x1, y1), int(rng.integers(170, 240)), -1)
        _strokes(rng, img, int(rng.integers(0, 12)), (0, 60) if rng.random() < 0.5 else (230, 256), 3)
        return img
    if kind == 6:  # a sheet with dark loops of a digit's size on a dark desk, a white stick beside it
        img = np.clip(rng.normal(70, 6, (480, 640)), 0, 255).astype(np.uint8)
        img[100:460, 380:] = int(rng.integers(170, 240))
        for _ in range(int(rng.integers(1, 4))):
            c = (int(rng.integers(430, 590)), int(rng.integers(160, 400)))
            axes = (int(rng.integers(12, 25)), int(rng.integers(25, 40)))
            cv2.ellipse(img, c, axes, 0, 0, 360, int(rng.integers(60, 150)), int(rng.integers(2, 5)))
        cv2.line(img, (180, 110), (140, 360), int(rng.integers(180, 256)), int(rng.integers(3, 9)))
        return cv2.resize(cv2.GaussianBlur(img, (0, 0), 1.0), (w, h), interpolation=cv2.INTER_AREA)
    # large bold light strokes on a dark ground (the stroke test's case)
    img = np.clip(rng.normal(30, 5, (h, w)), 0, 255).astype(np.uint8)
    _strokes(rng, img, int(rng.integers(1, 4)), (150, 256), max(3, min(h, w) // 8))
    return img


SIZES = ((240, 320), (480, 640), (120, 160), (63, 90), (64, 64), (127, 300), (128, 129), (700, 500), (2, 3))


def _images(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [_image(rng, kind, h, w) for h, w in SIZES for kind in range(7) for _ in range(4)]


@pytest.mark.parametrize("seed", [0, 1])
def test_frame_decision_is_the_former_formulas(seed: int) -> None:
    reached: dict[str, list[bool]] = {}
    for img in _images(seed):
        for grey in (img, cv2.bitwise_not(img)):
            want, test = old_frame_ink_is_light(grey)
            small = ink._analysis_view(grey)
            if want and test in ("local", "stroke") and sheet_ink(small):
                want, test = False, "sheet"  # a sheet with dark ink (ink_surfaces, after the formulas)
            if test == "global" and min(small.shape[:2]) >= 64 and ink._board_light(small):
                want, test = True, "board"  # the sheet scene inverted: a board framed by a light desk
            reached.setdefault(test, []).append(want)
            assert ink.frame_ink_is_light(grey) == want, (grey.shape, test)
            assert ink.ink_is_light(grey) == (old_grey_skew(ink._analysis_view(grey)) > LIGHT), grey.shape
    # the images reach every test, and each of the later tests decides both ways
    assert set(reached) - {"dark", "board"} == {"global", "small", "local", "stroke", "sheet"}
    assert any(reached["local"]) and not all(reached["stroke"]) and any(reached["stroke"])


def test_top_hat_sums_are_the_former_ones() -> None:
    rng = np.random.default_rng(5)
    for kind in (0, 3, 4, 5):
        small = _image(rng, kind, 120, 160)
        for k in (3, 5, 9, 17):
            both = cv2.merge([cv2.bitwise_not(small), small])
            r = cv2.subtract(cv2.morphologyEx(both, cv2.MORPH_CLOSE, square(k)), both)
            sums = cv2.sumElems(cv2.threshold(r, 12.0, 0, cv2.THRESH_TOZERO)[1])
            assert (sums[0], sums[1]) == old_residues(small, k)
        assert ink._stroke_polarity(small) == old_stroke_polarity(small)


def test_skew_comparison_is_exact() -> None:
    """The integer comparison against the skewness in exact rational arithmetic."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        x = rng.integers(0, 256, int(rng.integers(1, 40)))
        n, s1, s2, s3 = len(x), int(x.sum()), int((x**2).sum()), int((x**3).sum())
        m2 = Fraction(n * s2 - s1 * s1, n * n)
        m3 = Fraction((n * s3 - 3 * s1 * s2) * n + 2 * s1**3, n**3)
        for limit in (0.5, 0.0, -0.25, 1.75):
            if m2 < Fraction(1, 10**6):
                want = m3 * 10**9 > Fraction(limit)
            else:  # skew > limit  <=>  m3 > limit * m2^1.5, squared with the signs handled
                lhs, rhs = m3, Fraction(limit)
                want = (lhs > 0 and (rhs < 0 or lhs * lhs > rhs * rhs * m2**3)) or (
                    lhs <= 0 and rhs < 0 and lhs * lhs < rhs * rhs * m2**3
                )
            assert ink._skew_above(n, float(s1), float(s2), float(s3), limit) == want, (x.tolist(), limit)
    assert not ink._skew_above(0, 0.0, 0.0, 0.0, 0.5)


def test_light_ground_on_a_tiny_scene() -> None:
    """An independent check of :func:`edge.segment.ink_polarity.light_ground` (the former
    formulas above call it): a dark ground (40) on the left half of a 33 x 60 view, a bright
    surface (200) on the right with a dark 1-px line (60) down its middle and a light stroke (230)
    across it. Light residues count off the surface, and on it only on the light stroke; the dark
    line belongs to the surface when the ``fill`` square closes over it."""
    small = np.full((33, 60), 40, np.uint8)  # (an odd opening square, 11 px: no shift)
    small[:, 30:] = 200
    small[:, 45] = 60
    small[10:13, 35:56] = 230
    want = np.zeros_like(small)
    want[:, :30] = 255  # off the surface
    want[10:13, 35:56] = 255  # above the surface's median (200) by more than t
    np.testing.assert_array_equal(ink.light_ground(small, 12.0, 5), want)
    want[:, 45] = 255  # not closed over (a 1 px square): the line is off the surface
    want[10:13, 45] = 255
    np.testing.assert_array_equal(ink.light_ground(small, 12.0, 1), want)
    lines = np.full((33, 60), 40, np.uint8)
    lines[:, ::6] = 200  # bright, but narrower than the opening square: no surface
    assert ink.light_ground(lines, 12.0, 5) is None


def old_decisive(
    small: np.ndarray, kernels: tuple[int, ...], ground: np.ndarray | None
) -> tuple[int, bool] | None:
    top = max(old_residues(small, kernels[-1], ground=ground))
    for k in kernels:
        li, da = old_residues(small, k, ground=ground)
        if max(li, da) >= ink.STROKE_SHARE * top and (li > 2 * da or da > 2 * li):
            return k, li > da
    return None


def test_the_stroke_test_makes_its_ground_only_when_it_can_change_the_answer() -> None:
    """:func:`ink._decisive` on any ground (none, random masks, all, a band) decides as the former loop
    did (the square and which polarity), and skips the ground only where the dark strokes win at the
    smallest square whatever it is; both ways happen."""
    rng = np.random.default_rng(11)
    asked = skipped = 0
    for kind in range(9):
        for _ in range(6):
            if kind < 7:
                small = _image(rng, kind, 90, 120)
            elif kind == 7:  # pen on paper, lightly grained (dark ink, as most frames)
                small = np.clip(rng.normal(200, 2, (90, 120)), 0, 255).astype(np.uint8)
                _strokes(rng, small, int(rng.integers(2, 8)), (20, 90), 2)
            else:  # dark specks (the smallest square's) beside bold light bars (the larger squares')
                small = np.full((90, 120), 110, np.uint8)
                small[rng.integers(0, 90, 6), rng.integers(0, 120, 6)] = 40
                for y in rng.integers(0, 80, 2):
                    small[y : y + 7, 10:110] = 230
            for kernels in ((3, 5, 9), (3, 5, 9, 17), (5,)):
                band = np.zeros_like(small)
                band[:, 40:80] = 255
                masks = (None, np.full_like(small, 255), np.zeros_like(small), band)
                for mask in (*masks, (rng.random(small.shape) < 0.5).astype(np.uint8) * 255):
                    calls: list[int] = []

                    def ground(mask: np.ndarray | None = mask, calls: list[int] = calls) -> np.ndarray | None:
                        calls.append(1)
                        return mask

                    got = ink._decisive(small, kernels, ground, 12.0)
                    want = old_decisive(small, kernels, mask)
                    assert (got and (got[0], got[1] > got[2])) == want, (kind, kernels)
                    asked += bool(calls)
                    if (
                        not calls
                    ):  # the dark decided at the smallest square, light residues counted everywhere
                        skipped += 1
                        li, da = old_residues(small, kernels[0])
                        assert got == (kernels[0], li, da) and da > 2 * li
    assert asked > 100 and skipped > 50
