"""Which way round the ink is: light on a dark ground (chalk, white marker, an inverted
scan, MNIST itself) or dark on paper, for a crop (:func:`ink_is_light`) or a whole camera
frame or page (:func:`frame_ink_is_light`).

Both read the skewness of the grey levels (ink is the minority, far from its ground's
level); a frame, where a bright sheet on a dark desk is itself a light minority, also
around a local mean and by its thinnest contrasted strokes (grey top-hats). In that stroke
test a bright surface too wide to be a stroke (a sheet of paper, a lit wall: the frame's
brighter Otsu class after an opening a third of the shorter side wide) is the ground of
any dark ink on it, not light ink: light residues count on it only where they stand out
above its own level (a light stroke on it), so the paper between squared paper's lines is
not taken for light strokes. A frame that is not light around its mean is still light ink when
a dark board (the mirror of that bright surface) carries bright light strokes and the bright
surfaces beside it no dark ones: a chalkboard framed by a lighter wall (:func:`_board_light`).
A frame light by those tests is still dark ink when a sheet of paper on a dark ground carries dark
strokes (:func:`edge.segment.ink_surfaces.sheet_ink`): a light stick or pen on the desk beside it
does not outvote the sheet's ink. The surfaces are :mod:`edge.segment.ink_surfaces`.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from edge.segment.ink import LEVELS, odd, shrink, square
from edge.segment.ink_surfaces import (
    BOARD_MARGIN,
    STROKE_SHARE,
    SURFACE,
    StrokeView,
    light_ground,
    sheet_ink,
    top_hats,
    wide_closed,
)
from edge.segment.ink_surfaces import wide as _wide
from edge.segment.mask_sides import closing_sides_bound, sides

__all__ = [
    "BOARD_FILL",
    "BOARD_MARGIN",
    "DARK_SKEW",
    "LIGHT_SKEW",
    "SHEET_INK",
    "STROKE_SHARE",
    "SURFACE",
    "frame_ink_is_light",
    "ink_is_light",
    "light_evidence",
    "light_ground",
]


#: Skewness of the grey levels around their local mean above which the ink is light
#: (see :func:`ink_is_light`); dark ink on paper gives about -1 to -4, light ink +1 to +4.
LIGHT_SKEW = 0.5
#: Local skewness below which a frame is dark whatever its strokes say (ruled paper, lit corner: -1.6)
DARK_SKEW = -1.0


def _skew_above(n: int, s1: float, s2: float, s3: float, limit: float) -> bool:
    """Whether the skewness of ``n`` values with sums ``s1``, ``s2``, ``s3`` of their
    first three powers (whole numbers, given as exact floats) around their mean is above
    ``limit``: decided in exact integer arithmetic, no rounding (the third central moment
    over the 1.5th power of the second, that at least 1e-6)."""
    if n <= 0:
        return limit < 0
    s1, s2, s3 = int(s1), int(s2), int(s3)
    # n^2 times the second central moment, n^3 times the third (both exact)
    b = n * s2 - s1 * s1
    a = (n * s3 - 3 * s1 * s2) * n + 2 * s1 * s1 * s1
    p, q = limit.as_integer_ratio()  # limit = p / q, q > 0
    if b * 10**6 < n * n:  # the second moment below 1e-6: skewness = a / n^3 / 1e-9
        return a * 10**9 * q > p * n**3
    # skewness = a / b^1.5 against p / q, compared squared when both have the same sign
    if p >= 0:
        return a > 0 and a * a * q * q > p * p * b**3
    return a >= 0 or a * a * q * q < p * p * b**3


def _analysis_view(grey: np.ndarray) -> np.ndarray:
    """``grey`` (uint8) as it is when its longer side is at most 640 px, else shrunk to a longer side
    of 320 px (the live loop passes its 320-px analysis view)."""
    h, w = grey.shape[:2]
    f = 320.0 / max(h, w)
    return shrink(grey, (max(1, round(w * f)), max(1, round(h * f)))) if f < 0.5 else grey


#: Their first three powers (float64 (3, 256), whole numbers): the sums of a histogram's
#: powers by one product, exact (every partial sum is a whole number below 2^53).
_POWERS = np.stack([LEVELS, LEVELS**2, LEVELS**3])


def ink_is_light(grey: np.ndarray) -> bool:
    """Decide whether a crop or ROI shows light ink on a dark ground (chalk, white
    marker, an inverted scan, MNIST itself) rather than dark ink on paper.

    Ink is the minority of a crop's pixels and far from its ground's level, so the
    grey levels are skewed towards the ink's side: to the dark side for dark ink on
    paper, to the light side for light ink. Only a skewness above :data:`LIGHT_SKEW`
    means light ink (the common case, dark ink, wins ties). For whole frames, where a
    bright note on a dark desk is itself a light minority, use
    :func:`frame_ink_is_light`.

    Args:
        grey: uint8 (H, W), any size (looked at with the longer side at most 320 px).

    Returns:
        True for light ink on a dark ground.
    """
    # the moments from the 256-bin histogram: one pass over the pixels instead of several
    # over a float copy (18 instead of 58 us on a 60 x 300 crop; same answers on 3,348
    # crops of demo frames and pages)
    return _grey_is_light(_analysis_view(grey))


def _grey_is_light(grey: np.ndarray) -> bool:
    """Whether the skewness of the grey levels of uint8 ``grey`` around their mean is
    above :data:`LIGHT_SKEW`, from its histogram (the sums of the levels' powers by one
    exact product, the comparison in integers: 2 instead of 5 us over a float formula)."""
    n = cv2.calcHist([np.ascontiguousarray(grey)], [0], None, [256], [0, 256]).ravel().astype(np.float64)
    s1, s2, s3 = _POWERS @ n
    return _skew_above(grey.size, s1, s2, s3, LIGHT_SKEW)


def _stroke_polarity(small: np.ndarray, t: float = 12.0, views: StrokeView | None = None) -> bool:
    """Whether the thinnest strokes that carry contrast are light: white and black
    top-hats (grey opening / closing residues) with 3, 5, 9 and 17 px squares (3, 5
    and 9 at half resolution when the shorter side is at least 128 px), light residues
    counted only where :func:`light_ground` allows (:func:`_decisive`). False when none decides.
    ``views``: ``small``'s :class:`edge.segment.ink_surfaces.StrokeView` with the same ``t`` (made
    here when ``None``), which keeps the view and surfaces for the sheet test after it (its
    surfaces made only when the test needs them).
    """
    if views is None:
        views = StrokeView(small, t)  # (its view: half resolution from 128 px, 4x cheaper)
    decided = _decisive(views.view, views.kernels, lambda: views.ground, t)
    return decided is not None and decided[1] > decided[2]


def _decisive(
    small: np.ndarray, kernels: tuple[int, ...], ground: Callable[[], np.ndarray | None], t: float
) -> tuple[int, float, float] | None:
    """The stroke test of :func:`_stroke_polarity` on uint8 (h, w) ``small``, light residues counted
    where the uint8 (h, w) mask ``ground()`` is 255 (everywhere when it gives ``None``), dark residues
    everywhere: the smallest square of ``kernels`` (ascending, px) whose larger residue (grey levels
    above ``t``, summed) is at least :data:`STROKE_SHARE` of the largest residue of any square, and
    that is at least twice the other polarity's, decides (a pen stroke fits in it; larger squares
    also take in the gaps between strokes and the edges of large regions). Returns that square's
    width and its light and dark sums, or ``None`` when none decides.

    A larger square's residues are at least the smaller one's at every pixel (an
    opening by a larger square is below the opening by a smaller one, a closing
    above), so the largest square's residue is the largest of all: it is measured
    first, then the squares from the smallest up, stopping at the first that decides.

    The ground is made only when it can change the answer: it only removes light residues, so it
    lowers the light sums and the largest residue, never the dark sums. When the dark residues of
    the smallest square decide with every light residue counted, they decide there on the ground
    too (dark ink: most frames of dark ink on paper), and the light sum returned is then the one
    counted everywhere (below half the dark sum, as the ground's is): about 100 us less on a 120 x 160 view.

    Both residues come from one closing of a two-channel image, the inverted view and
    the view: an opening is the inverse of the closing of the inverse (exactly, on
    uint8), so ``view - opening(view)`` is ``closing(inverse) - inverse`` (one call
    each for the closing, the residues, the threshold and the sums instead of two:
    about 19 instead of 30 us a square on a 160 x 120 view).
    """
    both = cv2.merge([cv2.bitwise_not(small), small])  # channels: light ink, dark ink
    hats = {k: top_hats(both, k, t) for k in (kernels[0], kernels[-1])}
    li, da = cv2.sumElems(hats[kernels[0]])[:2]
    if da >= STROKE_SHARE * max(cv2.sumElems(hats[kernels[-1]])[:2]) and da > 2 * li:
        return kernels[0], li, da  # (exact early exit: the dark decide whatever the ground)
    mask = ground()
    where = None if mask is None else cv2.merge([mask, np.full_like(mask, 255)])

    def residues(k: int) -> tuple[float, float]:
        r = hats[k] if k in hats else top_hats(both, k, t)
        sums = cv2.sumElems(r if where is None else cv2.bitwise_and(r, where))
        return sums[0], sums[1]

    largest = residues(kernels[-1])
    top = max(largest)
    for k in kernels:
        li, da = largest if k == kernels[-1] else residues(k)
        if max(li, da) >= STROKE_SHARE * top and (li > 2 * da or da > 2 * li):
            return k, li, da
    return None


def frame_ink_is_light(grey: np.ndarray) -> bool:
    """Decide whether a camera frame or a page shows light ink on a dark ground.

    The frame must look light around its mean (:func:`ink_is_light`'s skewness: a
    chalkboard, but also a bright note on a dark desk, which is a light minority), and
    then either around a local box mean a few strokes wide (1/26 of the shorter side:
    9 px of 240; the note's large area and edges cancel there, a page of small chalk
    digits does not) or by its thinnest contrasted strokes (:func:`_stroke_polarity`: a
    large bold light digit, too wide for the box mean; not when below :data:`DARK_SKEW` there).
    A frame that does not look light around its mean is still light ink when it shows a dark board
    with light strokes on it (:func:`_board_light`: a chalkboard or a dark card framed by a lighter
    wall or desk, which makes the whole frame dark around its mean). A frame those tests call light
    is dark ink when a sheet of paper on a dark ground carries dark strokes
    (:func:`edge.segment.ink_surfaces.sheet_ink`: light strokes off it, a white stick or pen on the
    desk, do not outvote the ink on the sheet).

    Args:
        grey: uint8 (H, W), any size (looked at with the longer side at most 320 px;
            a shorter side below 64 px: the global view only, no board, no sheet).

    Returns:
        True for light ink on a dark ground.
    """
    small = _analysis_view(grey)
    # the global view needs no more than a sample
    if not _grey_is_light(small[::3, ::3]):
        return min(small.shape[:2]) >= 64 and _board_light(small)
    if min(small.shape[:2]) < 64:
        return True
    views = StrokeView(small)  # the stroke view and its surfaces, shared by the stroke and sheet tests
    return _local_light(small, views) and not sheet_ink(small, views=views)


def light_evidence(grey: np.ndarray) -> bool:
    """Whether a frame that :func:`frame_ink_is_light` may call dark still shows signs of light ink.

    :func:`frame_ink_is_light`'s local tests without its first gate (the skewness of the whole
    frame): a chalkboard or a dark card with white marker that is framed by a lighter wall or desk
    is not light around its mean (the wall is a light majority or a second mode), but its ink is
    light around a local box mean or by its thinnest strokes (the board test of
    :func:`frame_ink_is_light` decides most of them; not a board walled on three sides or a card
    within the frame). True when the whole frame's sample is light
    (:func:`ink_is_light`'s skewness), or when the local-box or stroke test says light (a shorter
    side below 64 px: the whole analysis view's skewness). For a second, checked reading of a still
    frame called dark (:class:`edge.still_polarity.PolarityCheckedSegmenter`), not a decision.
    Razor-sharp synthetic edges bias the local test: the box mean's even width (18 px on a 480-px
    side) centres it half a pixel off, so a board with a sharp wall on its left and top shows no
    evidence; a 3x3 Gaussian blur (as a lens softens edges) removes the bias there.

    Args:
        grey: uint8 (H, W) grey frame (0 black .. 255 white), any size (a longer side over 640 px
            is looked at shrunk to 320 px).

    Returns:
        True when some light-ink evidence exists.
    """
    small = _analysis_view(grey)
    if _grey_is_light(small[::3, ::3]):
        return True
    if min(small.shape[:2]) < 64:
        return _grey_is_light(small)
    return _local_light(small)


def _local_light(small: np.ndarray, views: StrokeView | None = None) -> bool:
    """The local tests of :func:`frame_ink_is_light` on its analysis view ``small`` (uint8 (h, w),
    shorter side >= 64 px): the skewness around a local box mean, else the stroke test (on
    ``views``, ``small``'s :class:`edge.segment.ink_surfaces.StrokeView`, when given)."""
    k = max(3, min(small.shape[:2]) // 26)
    local = cv2.subtract(
        np.ascontiguousarray(small[::2, ::2]),
        np.ascontiguousarray(cv2.blur(small, (k, k))[::2, ::2]),
        dtype=cv2.CV_32F,
    )
    # the skewness around 0 of the whole deviations -255..255: their squares and cubes are exact in float32
    # (|d|^3 < 2^24), summed exactly in float64 (below 2^53): a 511-bin histogram's sums, 12 instead of 45 us
    d2 = cv2.multiply(local, local)
    s2, s3 = cv2.sumElems(d2)[0], cv2.sumElems(cv2.multiply(d2, local))[0]
    skew = s3 / local.size / max(s2 / local.size, 1e-6) ** 1.5
    return skew > LIGHT_SKEW or (skew > DARK_SKEW and _stroke_polarity(small, views=views))


#: A dark board is closed over its light strokes by a square this share of the (half-resolution)
#: view's shorter side wide (chalk strokes up to 10 px of a 120-px view; see :func:`_board_light`).
BOARD_FILL = 1 / 12
#: A bright surface beside a dark board that reaches the frame's edges and carries dark ink at this
#: share of the board's light ink per unit of area or more is a sheet, not a wall (see
#: :func:`_board_light`).
SHEET_INK = 1 / 20


def _board_light(small: np.ndarray, t: float = 12.0) -> bool:
    """Whether a frame that is not light around its mean shows light strokes on a dark board: a
    chalkboard or a dark card framed by a lighter wall or desk on one or two sides (the wall is a
    light majority or a second mode of the frame's grey levels, so the whole frame is not light
    around its mean).

    The mirror of :func:`light_ground`, on the view at half resolution (when its shorter side is
    at least 128 px): the board is the darker Otsu class closed by a :data:`BOARD_FILL` square
    (over the light strokes on it) and opened by a :data:`SURFACE` square (too wide for a dark
    stroke). It must reach at least two of the frame's edges (the wall frames it on the others; a
    bold dark loop on a sheet, closed over the paper in its hole, lies within the frame), and
    without its :data:`BOARD_MARGIN` rim:

    - its grey levels are light around their mean (skewness above :data:`LIGHT_SKEW`);
    - the stroke test of :func:`_stroke_polarity` (3, 5 and 9 px squares) decides for light
      strokes, light residues counted only on the board and in or next to the brighter Otsu class
      (chalk is as bright as the wall; a fingertip on a dark desk is not), dark residues everywhere;
    - the dark residues, with the deciding square, on the bright surfaces (the brighter class opened
      by the :data:`SURFACE` square, closed over its strokes, without its rim) are below
      :data:`STROKE_SHARE` of the board's light ones: a wall carries no ink, a sheet on a dark
      desk does (a bright pencil lying on the desk beside it, the demo's sheet scene);
    - per unit of area, the dark residues on the bright surfaces closed by the :data:`BOARD_FILL`
      square before the :data:`SURFACE` opening (a digit about as large as that square is cut out
      of the surfaces above; none when they do not reach the frame's edges: a bold chalk digit so
      closed on a board filling the frame), without their rim, are below :data:`SHEET_INK` of the
      board's light residues per unit of its area: a keyboard, a printed card or book cover carries
      far more light print than the sheet beside it carries dark ink in all, but a wall none.

    Dark-ink dev frames (``benchmarks/realistic_digits.py`` seeds 21, 22, 23, 2121, 2222: 3,600
    frames, 481 with :func:`light_evidence`): no frame is called light that was not before. Without
    the skewness test 7 were; without the sheet test 27 frames of the demo's sheet scene (frames
    389-415); the others guard the cases of ``tests/test_live_chalkboard.py``. Synthetic
    chalkboards with a lighter wall on one or two sides (MNIST digits in chalk; tuning seed): 194
    -> 375 of 400 called light; dev frames of seed 22 inverted 246 -> 308 of 500. Without the
    per-area sheet test a dark region of white letters (a keyboard's, a card's print) beside a sheet
    with 1-3 MNIST digits of dark ink was called light in 18 of 120 synthetic frames (tuning seeds;
    with 3-8 letters and one digit 5 of 120; all now dark); :data:`SHEET_INK` is below the lowest
    such share there (0.072; walls beside the tuning chalkboards: 0, none of them changes), as high
    as that allows: the inverted dev frames' bright desk carries texture, and 1/40 took 10, 1/20 4
    of the 308 of seed 22 called light.

    Args:
        small: uint8 (h, w) analysis view (0 black .. 255 white), shorter side >= 64 px.
        t: grey levels (0..255) a top-hat residue must exceed to count.

    Returns:
        True for light strokes on a dark board.
    """
    v = cv2.pyrDown(small) if min(small.shape[:2]) >= 128 else small
    m = min(v.shape[:2])
    _, dark = cv2.threshold(v, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    k_fill = odd(BOARD_FILL * m)
    if closing_sides_bound(dark, k_fill) < 2:  # (exact early exit before the closing, most frames)
        return False
    board = wide_closed(dark, k_fill)  # (within the closing: its sides alone decide the exit below)
    if sides(board) < 2:  # a board framed by the wall on at most two sides reaches the others
        return False
    rim = square(odd(BOARD_MARGIN * m))
    board = cv2.erode(board, rim)
    n = cv2.countNonZero(board)
    s1, s2, s3 = _POWERS @ cv2.calcHist([v], [0], board, [256], [0, 256]).ravel().astype(np.float64)
    if not _skew_above(n, s1, s2, s3, LIGHT_SKEW):
        return False
    bright = cv2.bitwise_not(dark)
    kernels = (3, 5, 9)
    decided = _decisive(v, kernels, lambda: cv2.bitwise_and(board, cv2.dilate(bright, square(3))), t)
    if decided is None or decided[1] <= decided[2]:
        return False
    k, light, _ = decided
    # the dark strokes on the bright surfaces (a sheet's ink, not a wall's), with the same square
    sheet = cv2.erode(cv2.morphologyEx(_wide(bright), cv2.MORPH_CLOSE, square(2 * kernels[-1] + 1)), rim)
    ink = cv2.threshold(
        cv2.subtract(cv2.morphologyEx(v, cv2.MORPH_CLOSE, square(k)), v), t, 0, cv2.THRESH_TOZERO
    )[1]
    if cv2.sumElems(cv2.bitwise_and(ink, sheet))[0] >= STROKE_SHARE * light:
        return False
    # per unit of area, on the sheets closed over their ink before the opening (a digit near the
    # SURFACE square's size is cut out of the sheet above): one digit beside dense light print
    paper = cv2.erode(wide_closed(bright, k_fill), rim)
    area = cv2.countNonZero(paper)
    if not area or not sides(paper):
        return True
    return cv2.sumElems(cv2.bitwise_and(ink, paper))[0] * n < SHEET_INK * light * area
