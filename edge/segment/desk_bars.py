"""A pen or stick lying beside the sheet, taken for a digit (a "1"): dropped by its shape and ground.

A pen on the desk is a straight bar of even width, read as a confident "1". Its shape alone does not tell it
from a real 1, so a candidate whose ink is a bar (the largest 8-connected piece, at least :data:`MIN_SHARE`
of the box's ink, fills :data:`MIN_FILL` of its minimum-area rectangle, :data:`MIN_ELONGATION` times as
long as wide; :func:`measure_bar`) is dropped when (:func:`off_desk`):

- it does not lie on the paper the frame's other candidates lie on (the median colour of a ring around its
  box is at most :data:`MAX_BRIGHTNESS` as bright as the median of the others' rings, or no brighter and
  :data:`MIN_CHROMA` or more apart in chromaticity; a dark ground, light ink's, is not compared), and is
  unlike handwriting: steeper than :data:`MIN_TILT` degrees (MNIST's 1s: 98th percentile 40), at least
  :data:`LONGER` times as long as the longest other candidate, or running out of the frame; on a ground
  of another hue that is not the desk's (the colour of the frame's rim where it is not the paper,
  :func:`desk_colour`) it is a 1 on a note or card (:func:`on_own_paper`) and stays unless it runs out of
  the frame or is :data:`ON_NOTE` times as long as the others;
- or, shaped like a 1 (upright, a digit's length, inside the frame), its whole ring is the desk
  (:func:`on_the_desk`: the ring's median is the desk's colour and shade, and :data:`DESK_RING` of it is
  unlike the paper; a 1 written near the paper's edge has paper in its ring);
- or it lies on the paper and runs on past one of its ends over the desk (a pen across the paper's edge,
  cut there by the ink threshold: :func:`edge.segment.pen_ends.runs_onto_desk`).

Measured (issue 13, session 27; demo ``edge-run --source demo:SEED``, seeds 0-4, 3,000 frames each):
extra digits 1,411 -> 1,214 (seed 2 sheet 1800's upright red pen 130 -> 2), no digit lost; a synthetic
sweep of pens of 5 colours (black and dark blue too, half with a cap), 8-15 px thick, 0.8-3x the digits, on
6 desks (wood grain, grey, dark, light grey, white, green cloth) beside MNIST digits on white paper or
notes: shown 87 -> 64 of 360 (on the desk 35 -> 27, partly over the paper 49 -> 34), none of 1,080
digits lost, 1s 2-14 px inside the paper's edge 236 / 240 kept before and after; 1s on 8 note and card
colours, 4 desks, 0-45 degrees: 600 of 600 kept. Left: a pen on a desk as light as the paper (white
desk), a whole pen straddling the paper's edge (its ring half paper), a black pen on a black desk, a pen
cut into pieces that are no bar (a cap's bulge, a textured desk's specks). Cost: every candidate's ink
is measured (a box whose second moments are not elongated, :data:`MIN_MOMENT_RATIO`, is not cut into
pieces), the rings once a frame has a bar, the desk's colour only when a rule needs it.

Geometric consistency with the other characters is the classic filter of text-finding (L. A. Fletcher and
R. Kasturi, "A robust algorithm for text string separation from mixed text/graphics images", IEEE PAMI
10(6), 1988; B. Epshtein, E. Ofek and Y. Wexler, "Detecting text in natural scenes with stroke width
transform", CVPR 2010); here it is combined with the ground the candidate lies on.

Imports OpenCV, NumPy, :mod:`edge.segment.ink_analysis`, :mod:`edge.segment.pen_ends` and :mod:`edge.types`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import cv2
import numpy as np

from edge.segment.ink_analysis import InkAnalysis
from edge.segment.pen_ends import Bar, runs_onto_desk
from edge.segment.ring_colour import median_colour, pixel_medians
from edge.segment.ring_colour import ring_median as _ring
from edge.segment.ring_colour import ring_pixels as _ring_pixels
from edge.types import ROI

__all__ = [
    "LONGER",
    "MAX_BRIGHTNESS",
    "MIN_CHROMA",
    "MIN_ELONGATION",
    "MIN_FILL",
    "MIN_MOMENT_RATIO",
    "MIN_PAPER",
    "MIN_SHARE",
    "MIN_TILT",
    "ON_NOTE",
    "OWN_PAPER",
    "bar_shape",
    "desk_colour",
    "not_paper",
    "on_own_paper",
    "off_desk",
]

#: Least share of the box's ink in its largest piece for a bar.
MIN_SHARE = 0.9
#: Least fill of the piece's minimum-area rectangle for a bar.
MIN_FILL = 0.45
#: Least length / width of that rectangle for a bar.
MIN_ELONGATION = 3.0
#: Least ratio of the box's ink's principal second moments (the larger over the smaller) before its pieces
#: are measured: a bar of even width :data:`MIN_ELONGATION` times as long as wide has 9; the bars found on
#: the demo (seeds 0 and 4, 631) had 5.6 or more; most digits less (735 of the 900 boxes of ``edge-bench
#: classic``'s grey-paper frames that reach :func:`bar_shape`, which then costs ~5 instead of ~45 us).
MIN_MOMENT_RATIO = 4.0
#: Least largest difference of the ring's B, G, R shares from the other candidates' for another ground.
MIN_CHROMA = 0.03
#: Largest brightness of the ring (sum of B, G, R) as a share of the other candidates' for another grey
#: ground. Under 0.5: a hand's shadow over the sheet darkens the paper to 0.5-0.8 of its light without
#: changing its colour, and a 1 written there stays (0.75 dropped it; the demo's pens are caught by their
#: desk's hue: seeds 0-3 the same counts, seed 4 two more extras).
MAX_BRIGHTNESS = 0.45
#: Least mean grey level (0..255) of the other candidates' ground (and of the bar's, for a hue) compared.
MIN_PAPER = 50.0
#: Least tilt of a bar's long axis from the vertical (degrees) that handwriting's 1s hardly reach.
MIN_TILT = 40.0
#: A bar at least this many times as long as the longest other candidate's longer side is no digit.
LONGER = 1.5
#: A box within this many px of the frame's edge runs out of the frame.
BORDER = 2
#: A bar on a ground of another hue that is not the desk's (a sticky note, a coloured card: paper of its own)
#: is dropped only when it runs out of the frame or is at least this many times as long as the longest other
#: candidate's longer side.
ON_NOTE = 2.0
#: The frame's rim read for the desk's colour (px wide), and the least share of it unlike the paper for a
#: desk.
RIM = 4
MIN_DESK = 0.1
#: The rim's pixels read along the frame's sides: every this many.
RIM_STEP = 8
#: The desk's colour is the median of the rim's light pixels unlike the paper when they are at least
#: this share of its pixels unlike the paper (:func:`desk_colour`). Measured on the reviews' scenes: a
#: wood desk with a laptop's dark edge along three sides of the rim 0.24 (the wood is the desk); a
#: yellow note touching the bottom edge of a very dark desk about 0.09 (the dark is the desk).
LIT_DESK = 0.15
#: Least share of a bar's ring on paper of its own (neither the other candidates' paper nor the desk).
OWN_PAPER = 0.5
#: Least share of a bar's ring unlike the paper for a ring wholly on the desk (:func:`on_the_desk`).
DESK_RING = 0.7
#: Least ratio of the darker to the lighter of a ring's and the desk's brightness for a ring on the desk.
DESK_SHADE = 0.6
#: Kinds of ground other than the paper (:func:`_other_ground`): much darker; of another hue.
DARKER, HUED = "darker", "hued"


def bar_shape(analysis: InkAnalysis, roi: ROI) -> tuple[float, float] | None:
    """Whether ``roi``'s ink is a bar, and its length and tilt.

    Args:
        analysis: the segmenter's ink of the frame (:attr:`DigitSegmenter.last_analysis`).
        roi: a candidate's box in full-frame px.

    Returns:
        (length in full-frame px, tilt of the long axis from the vertical in degrees, 0..90) when the
        box's ink is a bar (see the module docstring), else ``None``.
    """
    bar = measure_bar(analysis, roi)
    return None if bar is None else (bar.length, bar.tilt)


def measure_bar(analysis: InkAnalysis, roi: ROI) -> Bar | None:
    """:func:`bar_shape` with the bar's centre, axis and width (a :class:`~edge.segment.pen_ends.Bar`).

    Args:
        analysis: the segmenter's ink of the frame (:attr:`DigitSegmenter.last_analysis`).
        roi: a candidate's box in full-frame px.

    Returns:
        the bar in full-frame px when the box's ink is a bar (see the module docstring), else ``None``.
    """
    return _measure(analysis, analysis.box(roi))


def _measure(analysis: InkAnalysis, box: tuple[int, int, int, int]) -> Bar | None:
    """:func:`measure_bar` of the analysis px box ``box`` (:meth:`InkAnalysis.box`; off_desk maps a
    frame's boxes with one :meth:`InkAnalysis.boxes` call)."""
    x0, y0, x1, y1 = box
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    ink = cv2.compare(analysis.dark[y0:y1, x0:x1], analysis.level[y0:y1, x0:x1], cv2.CMP_GT)
    if not _elongated(m := cv2.moments(ink, binaryImage=True)):
        return None  # (else there is ink: one piece or more)
    n, labels = cv2.connectedComponents(ink, connectivity=8)
    if n == 2:  # one piece (most bars): it is all the ink (its area the moments' count of ink pixels)
        area, piece = int(m["m00"]), ink
    else:  # (each piece's pixels counted off its labels: the stats' areas, without labelling again)
        areas = np.bincount(labels.reshape(-1), minlength=n)[1:]
        k = int(np.argmax(areas))
        if areas[k] < MIN_SHARE * areas.sum():
            return None
        area, piece = int(areas[k]), (labels == k + 1).view(np.uint8)
    if area < 5:
        return None
    # (the rectangle of the piece's outline: its hull, so the rectangle, is that of all its pixels)
    outline, _ = cv2.findContours(piece, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    (mx, my), (a, b), angle = cv2.minAreaRect(outline[0] if len(outline) == 1 else np.vstack(outline))
    length, width = max(a, b) + 1.0, min(a, b) + 1.0
    if length < MIN_ELONGATION * width or area < MIN_FILL * length * width:
        return None
    theta = math.radians(angle if a >= b else angle + 90.0)  # the long axis
    tilt = math.degrees(math.atan2(abs(math.cos(theta)), abs(math.sin(theta))))
    sx, sy = analysis.scale
    ux, uy = math.cos(theta) * sx, math.sin(theta) * sy
    norm = math.hypot(ux, uy)
    centre = ((x0 + mx + 0.5) * sx - 0.5, (y0 + my + 0.5) * sy - 0.5)
    return Bar(length * (sx + sy) / 2.0, tilt, centre, (ux / norm, uy / norm), width * (sx + sy) / 2.0)


def _elongated(m: dict[str, float]) -> bool:
    """Whether OpenCV moments ``m`` of a box's ink have principal second moments at least
    :data:`MIN_MOMENT_RATIO` apart (the eigenvalues of the central second-moment matrix)."""
    if m["m00"] <= 0:
        return False
    a, b, c = m["mu20"], m["mu02"], m["mu11"]
    d = math.hypot((a - b) / 2.0, c)
    return (a + b) / 2.0 + d >= MIN_MOMENT_RATIO * ((a + b) / 2.0 - d)


def _other_ground(mine: np.ndarray | None, paper: np.ndarray | None) -> str | None:
    """Whether the ring colour ``mine`` is not the paper ``paper`` (the other candidates' rings' median):
    :data:`DARKER` (a grey ground), :data:`HUED` (one of another hue) or ``None`` (module docstring)."""
    if mine is None or paper is None:
        return None
    s, t = float(mine.mean()), float(paper.mean())
    if t < MIN_PAPER:  # a dark ground (light ink: OpenCV's digits.png): its shades and hues are noise
        return None
    if s <= MAX_BRIGHTNESS * t:
        return DARKER
    if len(mine) < 3 or s < MIN_PAPER or s > t:
        # grey (brightness only), a ground too dark for a hue, or one brighter than the others': paper (the
        # others are then the desk's clutter: a real 1 beside a piece of the paper's edge)
        return None
    return HUED if _chroma(mine, paper) >= MIN_CHROMA else None


def _chroma(a: np.ndarray, b: np.ndarray) -> float:
    """The largest difference of two colours' B, G, R shares of their sums."""
    return float(np.abs(a / max(float(a.sum()), 1.0) - b / max(float(b.sum()), 1.0)).max())


def _unlike(pixels: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """bool (N,): which of the float32 (N, 3) BGR ``pixels`` are :data:`MIN_CHROMA` or more from ``colour``'s
    chromaticity (B, G, R shares of the sum; compared as |c S - C s| >= MIN_CHROMA s S, without dividing),
    channel by channel (NumPy's reductions over a pixel cost more than the sums; its sum: (B + G) + R)."""
    p = pixels.T  # (3, N)
    s, big = p[0] + p[1] + p[2], float(colour.sum())
    far = np.abs(p * big - colour[:, None] * s) >= MIN_CHROMA * big * s
    return far[0] | far[1] | far[2]


def not_paper(pixels: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """bool (N,): which of the float32 (N, 3) BGR ``pixels`` are unlike the float32 (3,) BGR ``paper``: at
    most :data:`MAX_BRIGHTNESS` as bright, or :data:`MIN_CHROMA` or more apart in chromaticity."""
    p = pixels.T  # (the sum over a pixel as in _unlike)
    return (p[0] + p[1] + p[2] <= MAX_BRIGHTNESS * float(paper.sum())) | _unlike(pixels, paper)


def desk_colour(image: np.ndarray, paper: np.ndarray) -> np.ndarray | None:
    """The desk's colour: the median of the frame's rim where it is not the paper.

    Args:
        image: uint8 (H, W, 3) BGR frame.
        paper: float32 (3,) BGR colour of the paper the digits lie on (0..255).

    Returns:
        float32 (3,) BGR median colour of the pixels of the frame's outer :data:`RIM` px (every other row
        in depth, every :data:`RIM_STEP`-th along) that are unlike ``paper`` (at most
        :data:`MAX_BRIGHTNESS` as bright, or :data:`MIN_CHROMA` or more apart in chromaticity), or ``None``
        when fewer than :data:`MIN_DESK` of the rim's are (the paper fills the frame: no desk in sight).
        The median is of those as light as :data:`MIN_PAPER` when they are at least :data:`LIT_DESK` of
        them (the pixels :func:`on_own_paper` judges): a dark laptop or keyboard edge along the rim is
        not the desk a pen lies on, but a few light samples of a note at the rim of a very dark desk are
        not the desk either (reviews of session 26).
    """
    b, k = RIM, RIM_STEP
    raw = np.concatenate(
        [image[:b:2, ::k].reshape(-1, 3), image[-b::2, ::k].reshape(-1, 3)]
        + [image[::k, :b:2].reshape(-1, 3), image[::k, -b::2].reshape(-1, 3)]
    )
    rim = raw.astype(np.float32)
    unlike = not_paper(rim, paper)
    if not len(rim) or unlike.mean() < MIN_DESK:
        return None
    lit = unlike & (rim.mean(axis=1) >= MIN_PAPER)
    return pixel_medians(raw[lit] if lit.sum() >= LIT_DESK * unlike.sum() else raw[unlike]).astype(np.float32)


def on_own_paper(pixels: np.ndarray, paper: np.ndarray, desk: np.ndarray | None) -> bool:
    """Whether a bar's ring lies on paper of its own (a sticky note, a coloured card), neither the other
    candidates' paper nor the desk.

    Args:
        pixels: float32 (N, 3) BGR colours of the ring around the bar (0..255).
        paper: float32 (3,) BGR colour of the other candidates' paper.
        desk: float32 (3,) BGR colour of the desk (:func:`desk_colour`), or ``None``: no desk in sight.

    Returns:
        True when no desk is in sight, or when at least :data:`OWN_PAPER` of the ring's pixels are as light
        as :data:`MIN_PAPER` and :data:`MIN_CHROMA` or more from both colours' chromaticity (a ring half on
        the desk, half on the paper, as along the paper's edge, is not).
    """
    if desk is None:
        return True
    light = pixels[pixels.mean(axis=1) >= MIN_PAPER]
    own = _unlike(light, paper) & _unlike(light, desk)  # (none when no pixel is light)
    return len(light) > 0 and float(own.sum()) >= OWN_PAPER * len(pixels)


def _longest(sides: list[tuple[int, int]], i: int) -> int:
    """The longest side of the candidates but the ``i``-th (``sides``: sorted (longer side, index))."""
    return sides[-1][0] if sides[-1][1] != i else sides[-2][0]


def _runs_out(r: ROI, W: int, H: int) -> bool:
    return r.x <= BORDER or r.y <= BORDER or r.x + r.w >= W - BORDER or r.y + r.h >= H - BORDER


def off_desk(rois: list[ROI], image: np.ndarray, analysis: InkAnalysis | None) -> list[ROI]:
    """``rois`` without the pens and sticks lying beside the sheet (see the module docstring).

    Args:
        rois: the segmenter's candidates, full-frame px, in reading order.
        image: the uint8 (H, W, 3) BGR or (H, W) grey frame they were found in.
        analysis: the segmenter's ink of that frame, or ``None`` (then ``rois`` as they are).

    Returns:
        ``rois`` (the same list when none is dropped), the rest in the same order.
    """
    if analysis is None or len(rois) < 2:
        return rois
    bars = {i: b for i, box in enumerate(analysis.boxes(rois)) if (b := _measure(analysis, box))}
    if not bars:
        return rois
    sides = sorted((max(r.w, r.h), i) for i, r in enumerate(rois))
    rings = [_ring(image, r) for r in rois]
    desks: list[np.ndarray | None] = []  # (the desk's colour, read once, against the first paper needing it)

    def desk_of(paper: np.ndarray) -> np.ndarray | None:
        if not desks:
            desks.append(desk_colour(image, paper) if image.ndim == 3 else None)
        return desks[0]

    drop = set()
    for i, bar in bars.items():
        theirs = [c for j, c in enumerate(rings) if j != i and c is not None]
        paper = median_colour(theirs) if theirs else None
        mine = rings[i]
        if paper is None or mine is None:
            continue
        if _is_pen(rois[i], bar, mine, paper, desk_of, image, _longest(sides, i)):
            drop.add(i)
        elif (
            image.ndim == 3
            and float(paper.mean()) >= MIN_PAPER
            and runs_onto_desk(
                # a pen's piece over the paper, cut at its edge, runs on onto the desk (.pen_ends)
                image,
                bar,
                partial(desk_of, paper),
                mine,
                partial(not_paper, paper=paper),
                rois[:i] + rois[i + 1 :],
            )
        ):
            drop.add(i)
    return [r for i, r in enumerate(rois) if i not in drop] if drop else rois


def _is_pen(
    r: ROI,
    bar: Bar,
    mine: np.ndarray,
    paper: np.ndarray,
    desk_of: Callable[[np.ndarray], np.ndarray | None],
    image: np.ndarray,
    longest: int,
) -> bool:
    """Whether bar ``r`` (ring colour ``mine``) is a pen beside candidates on ``paper`` (module docstring)."""
    H, W = image.shape[:2]
    out = _runs_out(r, W, H)
    shaped = bar.tilt >= MIN_TILT or bar.length >= LONGER * longest or out
    ground = _other_ground(mine, paper)
    if ground is None:
        return False
    desk = desk_of(paper) if not shaped or ground == HUED else None
    if not shaped:
        # a bar shaped like a 1: a pen only when its whole ring is the desk
        return on_the_desk(_ring_pixels(image, r), mine, paper, desk)
    if ground == HUED and not (out or bar.length >= ON_NOTE * longest):
        # a ground of another hue: the desk, or a note or card of its own colour (a 1 written on it)
        # (a ring whose median is the desk's colour is on the desk)
        return desk is not None and (
            _chroma(mine, desk) < MIN_CHROMA or not on_own_paper(_ring_pixels(image, r), paper, desk)
        )
    return True


def on_the_desk(pixels: np.ndarray, mine: np.ndarray, paper: np.ndarray, desk: np.ndarray | None) -> bool:
    """Whether a bar's ring lies wholly on the desk.

    Args:
        pixels: float32 (N, 3) BGR colours of the ring around the bar (0..255).
        mine: float32 (3,) BGR median of ``pixels``.
        paper: float32 (3,) BGR colour of the other candidates' paper.
        desk: float32 (3,) BGR colour of the desk (:func:`desk_colour`), or ``None``: no desk in sight.

    Returns:
        True when a desk is in sight, ``mine`` is within :data:`MIN_CHROMA` of its chromaticity and
        :data:`DESK_SHADE` of its brightness, and at least :data:`DESK_RING` of ``pixels`` are unlike the
        paper (at most :data:`MAX_BRIGHTNESS` as bright, or :data:`MIN_CHROMA` or more apart in
        chromaticity): a ring that reaches the paper (a 1 written near its edge) is not.
    """
    if desk is None or not len(pixels) or _chroma(mine, desk) >= MIN_CHROMA:
        return False
    s, t = float(mine.sum()), max(float(desk.sum()), 1.0)
    if not DESK_SHADE <= s / t <= 1.0 / DESK_SHADE:
        return False
    return float(not_paper(pixels, paper).mean()) >= DESK_RING
