"""Bright surfaces in a frame's ink-polarity decision (:mod:`edge.segment.ink_polarity`): a sheet of
paper or a lit wall is the ground of dark ink, not light ink.

- :func:`light_ground`: where the stroke test's light residues count (off the bright surfaces, and on
  them only where the grey stands out above the surface).
- :func:`sheet_ink`: whether a frame that looks light ink shows a sheet of paper on a dark ground
  that carries dark strokes. A light stick, cable or pen on a dark desk beside such a sheet is a
  light stroke, often a bolder one than the sheet's faint pencil (the demo's sheet scene, seed 0
  frames 317-388: a white stick read as a sure "1" and the sheet's "3 4 0" missed); but a sheet with
  dark ink on it says which way round the ink the user shows is, and a light thing off the sheet
  does not outvote it. A wall beside a chalkboard is no sheet, even with marks on it: it reaches
  three of the frame's edges, or its marks are no digits (lines running off it, rows of small print);
  nor is a printed note on a board; a shaded dark ground (an inverted photo) has no sheet: its grey
  levels are not two well-apart modes.
- :func:`digit_ink` (from :mod:`edge.segment.sheet_digits`): a sheet's dark ink in parts of a digit's size.
- :class:`StrokeView`: the stroke tests' view and its bright surfaces, computed once for the stroke
  test (:func:`edge.segment.ink_polarity._stroke_polarity`) and :func:`sheet_ink`.
"""

from __future__ import annotations

from functools import cached_property

import cv2
import numpy as np

from edge.segment.ink import above, odd, square
from edge.segment.mask_sides import sides
from edge.segment.separability import local_separability, separability
from edge.segment.sheet_digits import DIGIT_HEIGHT, INK_DENSITY, STROKE_WIDTH, UPRIGHT_SHARE, digit_ink

__all__ = [
    "BOARD_MARGIN",
    "DIGIT_HEIGHT",
    "FINE_SIDES",
    "INK_DENSITY",
    "STROKE_WIDTH",
    "UPRIGHT_SHARE",
    "SHEET_SEPARATION",
    "SHEET_SHARE",
    "SHEET_SIDES",
    "SHEET_WINDOW",
    "STROKE_SHARE",
    "SURFACE",
    "StrokeView",
    "digit_ink",
    "light_ground",
    "sheet_ink",
    "stroke_view",
    "wide",
    "wide_closed",
]

#: The residue of the square that decides the stroke test is at least this share of the largest
#: residue (see :func:`edge.segment.ink_polarity._decisive`). A tenth, not more: squared and lined
#: paper's thin 1-px lines carry little residue next to the paper between them, which the larger
#: squares take in as light "strokes" (a fifth called 11 of 500 dev frames of dark ink on squared or
#: lined paper under a shadow light, ``benchmarks/realistic_digits.py`` seed 21; a tenth, 3; seed 22:
#: 1 and 0; the light pages of ``benchmarks.synth_pages`` and ``digits.png`` stay light). Also
#: :func:`sheet_ink`'s share (:data:`SHEET_SHARE`).
STROKE_SHARE = 0.1

#: A bright surface is at least this share of the analysis view's shorter side wide (a sheet
#: of paper, a lit wall; wider than the strokes of a digit filling the frame): see
#: :func:`light_ground`. A quarter also took a bold "1" filling a crop for a surface.
SURFACE = 1 / 3

#: A board's or a sheet's rim this share of the view's shorter side wide is not looked at: its edge
#: against the wall or desk (blur, a lit frame) is not on it (see
#: :func:`edge.segment.ink_polarity._board_light`). 5 px of a 120-px view: the smallest rim (3 px)
#: called one more dark-ink dev frame light (``benchmarks/realistic_digits.py`` seed 2121: 5 instead
#: of 4 of 1,000), 9 or 11 px two fewer tuning chalkboards beside a wall (373 instead of 375 of 400).
BOARD_MARGIN = 1 / 24

#: A sheet on a dark ground splits the frame's grey levels into two well-apart modes: Otsu's
#: separability (the between-class over the total variance) is at least this (see :func:`sheet_ink`).
#: The demo's sheet scene: 0.975 to 0.979; dev frames of dark ink inverted (light ink on a shaded
#: dark sheet, ``benchmarks/realistic_digits.py`` seeds 21 and 22) called light: below 0.83 but for
#: a few with a bright desk beside the sheet.
SHEET_SEPARATION = 0.9

#: The second look of :func:`sheet_ink`, at the analysis view's own resolution, takes a sheet that
#: reaches at most this many of the frame's edges: it lies in view, or runs off one edge. Finer, thin
#: marks on a wall filling a corner of a chalkboard's frame (two edges) look like digits: a light
#: switch plate's outline (2 px, 40 x 60 px of a 480-px frame) is a "0" there (4 of 12 synthetic
#: corners dark at two edges, none at one).
FINE_SIDES = 1

#: The second look's separability (:func:`edge.segment.separability.local_separability`) is measured
#: in windows this share of the view's shorter side wide (31 px of a 240-px view: a few strokes).
#: Demo seed 3's note under a lamp's lit wedge on a dark desk with a shadow (frames 1956, 2073): 0.83
#: and 0.80 over the whole view, 0.96 and 0.92 in these windows; the demo's sheet scene (seed 0):
#: 0.95-0.97.
SHEET_WINDOW = 1 / 8

#: A sheet held up or lying in view reaches at most this many of the frame's four edges
#: (:func:`edge.segment.mask_sides.sides` of its surface; see :func:`sheet_ink`): a lit wall beside a
#: chalkboard, or a page filling the view, reaches three or four.
SHEET_SIDES = 2

#: The share of the light strokes' residue a sheet's dark ink must reach in :func:`sheet_ink`: a tenth,
#: as in the stroke test (:data:`STROKE_SHARE`). 0.03 read the faint pencil of more synthetic sheets
#: beside 1-3 white sticks (pencil at 0.1-0.3 of the paper's grey, 70- or 45-px digits: 14 instead
#: of 7 of 24 configurations dark in all 4 seeds), but one line of small print on a white note lying on
#: a chalkboard then outvoted the chalk "72" beside it (all 12 frames dark instead of 3 of 12); demo
#: seeds 0-4, dev frames, pages, ``digits.png`` and the inverted dev frames: the same at both.
SHEET_SHARE = STROKE_SHARE


def _surface_width(mask: np.ndarray) -> int:
    """The width (px) of :func:`wide`'s square: :data:`SURFACE` x the shorter side, at least 3."""
    return max(3, round(SURFACE * min(mask.shape[:2])))


def wide(mask: np.ndarray) -> np.ndarray:
    """uint8 (h, w) ``mask`` (0 / 255) opened by a square :data:`SURFACE` x its shorter side wide
    (at least 3 px): its parts too wide for a stroke (a surface)."""
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, square(_surface_width(mask)))


def wide_closed(mask: np.ndarray, fill: int) -> np.ndarray:
    """:func:`wide` of uint8 (h, w) ``mask`` (0 / 255) closed by a ``fill`` px square (``fill`` >= 1):
    ``wide(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, square(fill)))``, in three passes instead of four.

    The closing ends with an erosion by its square, the opening begins with one by its own: two
    erosions by rectangles are one by a rectangle one px shorter than their sum, anchored at the sum
    of their anchors (exactly, also at the frame's edges: OpenCV's default border lets nothing
    outside the frame count, and what an outside pixel of the first erosion would reach, an inside
    one reaches too). About 10 us less on a 120 x 160 view.
    """
    s = _surface_width(mask)
    a = fill // 2 + s // 2  # (the anchors of the default, centred squares)
    eroded = cv2.erode(cv2.dilate(mask, square(fill)), square(fill + s - 1), anchor=(a, a))
    return cv2.dilate(eroded, square(s))


def stroke_view(small: np.ndarray, fine: bool = False) -> tuple[np.ndarray, tuple[int, ...]]:
    """The view and squares (px) of the stroke tests: uint8 (h, w) ``small`` with the squares 3, 5,
    9 and 17 px, or at half resolution (:func:`cv2.pyrDown`) with 3, 5 and 9 px (6 to 18 px of the
    original) when its shorter side is at least 128 px and not ``fine``."""
    if min(small.shape[:2]) >= 128 and not fine:
        return cv2.pyrDown(small), (3, 5, 9)
    return small, (3, 5, 9, 17)


def _surface(small: np.ndarray, bright: np.ndarray) -> tuple[np.ndarray, int] | None:
    """The bright surfaces of uint8 (h, w) ``small``: its brighter class ``bright`` (uint8 0 / 255)
    opened by :func:`wide`, and their median grey; ``None`` when there is none."""
    surface = wide(bright)
    if not cv2.countNonZero(surface):
        return None
    cdf = cv2.calcHist([small], [0], surface, [256], [0, 256]).ravel().cumsum()
    return surface, int(cdf.searchsorted(0.5 * cdf[-1]))


class StrokeView:
    """The view of the stroke tests (:func:`stroke_view`) of an analysis view and its bright surfaces,
    each computed once, on first use: the stroke test of
    :func:`edge.segment.ink_polarity._stroke_polarity` and then :func:`sheet_ink` on the same frame
    share them (the same values as computing them twice).

    Args:
        small: uint8 (h, w) analysis view (0 black .. 255 white), at least 1 x 1 px.
        t: grey levels (0..255) a light stroke on a surface stands out above its median (see
            :func:`light_ground`), >= 0.
        fine: the view at the analysis view's own resolution (:func:`stroke_view`'s ``fine``).
    """

    def __init__(self, small: np.ndarray, t: float = 12.0, fine: bool = False) -> None:
        self.small = small
        self.t = t
        self.fine = fine

    @cached_property
    def _view(self) -> tuple[np.ndarray, tuple[int, ...]]:
        return stroke_view(self.small, self.fine)

    @property
    def view(self) -> np.ndarray:
        """uint8 (h', w'): the view of the stroke tests (:func:`stroke_view`)."""
        return self._view[0]

    @property
    def kernels(self) -> tuple[int, ...]:
        """The widths (px, ascending) of the stroke tests' squares (:func:`stroke_view`)."""
        return self._view[1]

    @cached_property
    def bright(self) -> np.ndarray:
        """uint8 (h', w') 0 / 255: the view's brighter Otsu class."""
        return cv2.threshold(self.view, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]

    @cached_property
    def surface(self) -> tuple[np.ndarray, int] | None:
        """The bright surfaces (uint8 0 / 255, :func:`wide` of :attr:`bright`) and their median grey;
        ``None`` when there is none."""
        return _surface(self.view, self.bright)

    @cached_property
    def closed(self) -> np.ndarray | None:
        """The surfaces closed over their strokes and lines (by a square twice the largest kernel
        plus one px wide), or ``None``."""
        found = self.surface
        return None if found is None else cv2.morphologyEx(found[0], cv2.MORPH_CLOSE, square(self.fill))

    @property
    def fill(self) -> int:
        """The width (px) of the square that closes the surfaces over their strokes."""
        return 2 * self.kernels[-1] + 1

    @cached_property
    def ground(self) -> np.ndarray | None:
        """:func:`light_ground` of the view with :attr:`fill` (uint8 (h', w') 0 / 255 or ``None``)."""
        found, on = self.surface, self.closed
        return None if found is None or on is None else _allowed(self.view, on, found[1], self.t)


def _allowed(small: np.ndarray, on: np.ndarray, median: int, t: float) -> np.ndarray:
    """:func:`light_ground` of a found surface closed over its strokes (``on``, uint8 0 / 255)."""
    return cv2.bitwise_or(cv2.bitwise_not(on), above(small, min(255.0, median + t)))


def light_ground(small: np.ndarray, t: float, fill: int) -> np.ndarray | None:
    """Where light residues count in the stroke test: off the bright surfaces, and on them only
    where the grey stands out above the surface's median by more than ``t``.

    A surface is the brighter Otsu class of ``small`` (uint8 (h, w)) opened by a square
    :data:`SURFACE` x the shorter side wide, closed by a ``fill`` px square (the dark strokes
    and lines on it are its own, not the ground around it). On a sheet of squared paper on a dark
    desk the paper between the lines is a light "stroke" to the larger top-hats (its residue
    is the paper's grey over the lines'), but it is the surface's own level; a light stroke on
    a lit part of a dark ground stands out above it.

    Args:
        small: uint8 (h, w) grey view (0 black .. 255 white), at least 1 x 1 px.
        t: grey levels (0..255) a light stroke on a surface stands out above the surface's
            median grey, >= 0.
        fill: width (px, >= 1) of the square that closes the surface over its dark strokes and
            lines.

    Returns:
        uint8 (h, w) mask (255: light residues count), or ``None`` when there is no surface.
    """
    _, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    found = _surface(small, bright)
    if found is None:
        return None
    surface, median = found
    return _allowed(small, cv2.morphologyEx(surface, cv2.MORPH_CLOSE, square(fill)), median, t)


def top_hats(both: np.ndarray, k: int, t: float) -> np.ndarray:
    """The grey top-hats of the stroke tests: uint8 (h, w, 2) ``both`` (the inverted view and the
    view: channels light ink, dark ink) closed by a ``k`` px square, minus ``both``, residues of
    ``t`` grey levels or less set to 0. Channel 0 is the white top-hat (light strokes), channel 1
    the black one (dark strokes); an opening is the inverse of the closing of the inverse, exactly
    on uint8."""
    return cv2.threshold(
        cv2.subtract(cv2.morphologyEx(both, cv2.MORPH_CLOSE, square(k)), both), t, 0, cv2.THRESH_TOZERO
    )[1]


def sheet_ink(small: np.ndarray, t: float = 12.0, views: StrokeView | None = None) -> bool:
    """Whether a frame shows a sheet of paper on a dark ground that carries dark strokes: evidence
    of dark ink that light strokes off the sheet (a white stick, cable or pen on a dark desk beside
    it) do not outvote (:func:`edge.segment.ink_polarity.frame_ink_is_light`).

    On the stroke view (:func:`stroke_view`: at half resolution when the shorter side is at least
    128 px):

    - the grey levels split into two well-apart modes (Otsu's separability at least
      :data:`SHEET_SEPARATION`: a sheet's step against the desk, not a shaded ground);
    - the brighter class has a surface too wide for a stroke (:func:`light_ground`'s: opened by the
      :data:`SURFACE` square), closed over its strokes, without its :data:`BOARD_MARGIN` rim: the sheet;
    - that surface reaches at most :data:`SHEET_SIDES` (two) of the frame's four edges
      (:func:`edge.segment.mask_sides.sides`): a sheet held up or lying in view has the ground
      around it on at least two sides, but a lit wall beside a chalkboard or a page filling the view
      reaches three or four (the mirror of the board test of
      :func:`edge.segment.ink_polarity._board_light`);
    - the dark residues (grey closing minus the view, above ``t``) with the second square (5 px: a pen
      stroke's) on the sheet where it is darker than the sheet's median by more than ``t`` (its ink,
      not the gaps between light strokes on it), counted only in parts of a digit's size
      (:func:`digit_ink`), are at least :data:`SHEET_SHARE` of the light residues with that square
      where the stroke test counts them (:func:`light_ground`). A wall filling a corner of a
      chalkboard's frame reaches two edges, as a sheet may; its marks (a door frame's line, tile
      grout, a calendar's rows of print) and a printed note lying on the board are no digits.

    When those find no such sheet on the half-resolution view but its surface reaches at most
    :data:`FINE_SIDES` (one) of the frame's edges, the same tests look again at the analysis view's own
    resolution (a pen's faint 1-px strokes leave too little residue at half resolution), the sheet
    reaching at most :data:`FINE_SIDES` edges, the two modes measured apart in windows
    (:func:`edge.segment.separability.local_separability` in :data:`SHEET_WINDOW` windows at least
    :data:`SHEET_SEPARATION`: a lamp's lit wedge across the note and a shadow over the desk spread the
    modes over the whole view, not within a window). Demo seed 3's note (frames 1950-2099: dark pen on a
    white note on a dark desk under a lamp) was light ink in 8 of every third frame's 50, none now; 60
    of its 83 missed digits were read (seed 3's 3,000 frames: missed 111 -> 51). Synthetic sheets of
    faint pencil beside 1-3 white sticks (``tests/test_sheet_polarity.py``'s scene, 3 seeds, 18 each):
    light 16 / 12 / 6 -> 12 / 7 / 3 at pencil darkening by 0.15 / 0.2 / 0.3; the chalkboards beside walls
    and notes below stay light; 10 of the 2,458 inverted dev frames called light
    (``benchmarks/realistic_digits.py`` seeds 21-24, 31, 32) look again, none is called dark.

    Synthetic chalkboards with chalk "72" (3 seeds; ``tests/test_sheet_polarity.py``,
    ``tests/test_sheet_marks.py``): beside a wall over 25-35% of the frame (three edges), the 30 stay
    light. With a wall filling a corner (two edges) carrying a door frame's line, tile grout or a
    calendar's print: 7 / 12 / 12 of 12 were dark with all the sheet's dark residues counted, none now;
    with a white note of 1-5 lines of print: 51 of 75 were dark, none now. The demo's sheet scene
    (seed 0 frames 300-417, every third) stays dark, and so do the 18 of seed 0's frames on which the
    live loop asks (seeds 0-4: 20 frames, the same answers); no inverted dev frame
    (``benchmarks/realistic_digits.py`` seeds 21-24, 31, 32) is called dark, as before; two dark-ink
    dev frames of seeds 31 and 32 (a 20-px "1" and a 30-px "8" at a sheet's edge, their sheets' ink
    tiny specks or too dense) lose the call, but read the same as stills and live.

    Args:
        small: uint8 (h, w) analysis view (0 black .. 255 white), shorter side >= 64 px.
        t: grey levels (0..255) a top-hat residue and the sheet's ink must exceed.
        views: ``small``'s :class:`StrokeView` with the same ``t`` when the stroke test made it (its
            view, Otsu class and surfaces are not computed again).

    Returns:
        True when a sheet carries dark ink.

    Raises:
        ValueError: ``views`` was made with another ``t``.
    """
    if views is None:
        views = StrokeView(small, t)
    elif views.t != t:
        raise ValueError(f"views were made with t={views.t}, not {t}")
    if _carries_ink(views, t):
        return True
    # faint pen strokes lost at half resolution: look again at the analysis view's own, when the
    # half-resolution look found a surface that may be a sheet lying in view (an exit for most frames)
    found = views.surface
    if views.fine or views.view.shape == small.shape[:2] or found is None or sides(found[0]) > FINE_SIDES:
        return False
    return _carries_ink(StrokeView(small, t, fine=True), t)


def _carries_ink(views: StrokeView, t: float) -> bool:
    """:func:`sheet_ink`'s tests on one stroke view (the fine one's: :data:`FINE_SIDES`, the windowed
    separability)."""
    v, kernels = views.view, views.kernels
    if not views.fine and separability(v, views.bright) < SHEET_SEPARATION:
        return False
    found = views.surface
    if found is None:
        return False
    surface, median = found
    if sides(surface) > (FINE_SIDES if views.fine else SHEET_SIDES):  # a wall or a page filling the view
        return False
    k = odd(SHEET_WINDOW * min(v.shape[:2]))
    if views.fine and local_separability(v, views.bright, k) < SHEET_SEPARATION:
        return False
    on, ground = views.closed, views.ground  # (not None: there is a surface)
    assert on is not None and ground is not None
    sheet = cv2.erode(on, square(odd(BOARD_MARGIN * min(v.shape[:2]))))
    ink = cv2.bitwise_and(sheet, cv2.bitwise_not(above(v, max(0.0, median - t))))
    both = cv2.merge([cv2.bitwise_not(v), v])  # channels: light ink, dark ink
    light, dark = cv2.split(top_hats(both, kernels[1], t))
    dark = cv2.bitwise_and(dark, ink)
    need = SHEET_SHARE * cv2.sumElems(cv2.bitwise_and(light, ground))[0]
    if not 0 < cv2.sumElems(dark)[0] >= need:  # (exact early exit: digit_ink only keeps some of it)
        return False
    ink_sum = digit_ink(dark, sheet)
    return ink_sum > 0 and ink_sum >= need
