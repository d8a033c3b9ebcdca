"""Digit candidates of the digit finder that are an edge, not ink: the paper's edge, a shadow's, a finger's.

The flat-field (:mod:`edge.segment.flat_field`) divides the frame by a grey closing wider
than any pen stroke. Where a darker region is narrower than that closing, or bounded by the
frame's border or by something brighter than itself (a finger, the paper on two sides of a
desk corner), the closing carries the paper's grey over it, and a band of the darker side
along the boundary reads as ink: a tall thin "1" at 84-98% beside the paper's edge on a
desk, along a shadow's edge or beside a finger, which, as the most confident or the
tallest box, hid the real digit (``benchmarks/realistic_digits.py`` frames).

A pen stroke is a RIDGE: the grey beyond the ink, on every side, is the paper's. The
boundary of a darker region is a STEP: the grey beyond the band on its far side stays as
dark as the band. :func:`step_sides` measures, for each candidate, the ring around its ink
(a few px away from it, other ink left out): the share of the ring whose grey is nearer the
ink's than the paper's (both taken locally, so a digit crossing a shadow compares its shaded
part with the shaded paper), plus the share of the ring beyond the frame's border (no paper
is seen there). :func:`without_edges` drops candidates where that share is large, and the thin
slivers beside a much darker background of :func:`edge_slivers`.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.ink import square

__all__ = ["edge_slivers", "step_sides", "without_edges"]

#: Candidates whose ring around the ink is this share or more ink-dark or beyond the frame are edges.
MAX_STEP = 0.35
#: A ring pixel is ink-dark when its grey is below the local ink's plus this fraction of the
#: local paper's minus the ink's (0: as dark as the ink, 1: as light as the paper).
INK_SIDE = 0.25
#: The ring lies between 2 px and this fraction of the box's longer side (at least 2 px) from the ink ...
RING = 0.15
#: ... and at most this many px (the darker side of a step is next to its band).
MAX_RING = 6
#: A strip beside the box is darker than the paper when its mean is below the box's darkest
#: grey plus this fraction of the paper's minus it (the cheap test most candidates pass).
SIDE = 0.6


def edge_slivers(
    boxes: np.ndarray,
    bg: np.ndarray,
    max_aspect: float = 0.1,
    min_ratio: float = 0.75,
    border_aspect: float = 0.25,
) -> np.ndarray:
    """Thin boxes ("1"-like) that are really the paper's edge: narrower than ``max_aspect``
    x their height (``border_aspect`` x when they run into the frame's top or bottom), and
    the background estimate beside the box on one side much darker (below ``min_ratio`` x)
    than on the other (bool (N,)).

    The paper's edge crosses the frame at a slant, so where it meets the frame's top or
    bottom its sliver is a stroke plus the slant wide (a fifth of its height at 10
    degrees): with a tenth there, a tilted sheet's edge on a dark desk was read as a "1" at
    85-98% and, as the tallest box, hid a small digit (``benchmarks/realistic_digits.py``
    frames). Away from the border a tenth stays: a slanted "1" beside a shadow's edge is
    not taken for the paper's edge.

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1 in analysis px.
        bg: uint8 (h, w) background estimate.
        max_aspect: widest sliver (fraction of its height) inside the frame ...
        min_ratio: ... the darker side's background below this fraction of the lighter's.
        border_aspect: widest sliver running into the frame's top or bottom.

    Returns:
        bool (N,): True for the slivers that are the paper's edge.
    """
    sh, sw = bg.shape
    out = np.zeros(len(boxes), bool)
    for i, (x0, y0, x1, y1) in enumerate(boxes[:, :4].astype(int).tolist()):
        cut = y0 <= 0 or y1 >= sh  # running into the frame's top or bottom
        if x1 - x0 >= (border_aspect if cut else max_aspect) * (y1 - y0):
            continue
        gap = max(2, int(0.2 * (y1 - y0)))
        xl, xr = x0 - gap, x1 + gap
        if xl < 0 or xr >= sw:
            continue
        left = float(bg[y0:y1, xl].mean())
        right = float(bg[y0:y1, xr].mean())
        out[i] = min(left, right) < min_ratio * max(left, right, 1.0)
    return out


def step_sides(
    boxes: np.ndarray,
    grey: np.ndarray,
    bg: np.ndarray,
    dark: np.ndarray,
    level: np.ndarray,
    border: bool = True,
    ink_side: float = INK_SIDE,
    ring: float = RING,
) -> np.ndarray:
    """The share of the ring around each candidate's ink that is not paper, float (N,) in [0, 1].

    The ring is the box's ink grown by ``r`` = ``ring`` x the box's longer side (2 to
    :data:`MAX_RING` px) minus the ink grown by 1 px and minus any other ink. A ring pixel is
    not paper when its grey is below ``g_ink + ink_side * (g_paper - g_ink)``, where
    ``g_ink`` is the mean grey of the box's ink and ``g_paper`` the mean background estimate
    under that ink, both within a square 2 ``r`` + 1 px wide around the pixel, and it lies
    in a patch of such pixels wider than a ruled line (beyond the frame is no such patch); with
    ``border``, ring pixels beyond the frame's border count as not paper too, without it they do
    not count at all. Boxes with a strip of paper-grey on every
    side (:func:`_dark_side`, a cheap test) are not measured: 0.

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1, analysis px.
        grey: uint8 (h, w) analysis image (dark ink on light paper).
        bg: uint8 (h, w) its background estimate (the flat-field's closing).
        dark: uint8 (h, w) darkness (0 paper .. 255 black) ...
        level: uint8 (h, w) ... and the ink threshold: ink is darker than it.
        border: count the ring beyond the frame's border as not paper.
        ink_side: see above, 0..1.
        ring: see above, a fraction of the box's longer side.

    Returns:
        float (N,): 0 for a stroke with paper all round, about a half for a band along a
        step (one side of it is the darker region), 1 where no paper is seen.
    """
    sh, sw = grey.shape
    out = np.zeros(len(boxes))
    for i, box in enumerate(boxes[:, :4].astype(int).tolist()):
        r = _ring_radius(box, ring)
        if _dark_side(grey, bg, box, r, border):  # (else paper all round the box: a ridge)
            out[i] = _step_share(grey, bg, dark, level, box, r, border, ink_side)
    return out


def _ring_radius(box: list[int], ring: float) -> int:
    """The ring's width (px) around the box ``x0, y0, x1, y1``: ``ring`` x its longer side, 2 to
    :data:`MAX_RING` px."""
    x0, y0, x1, y1 = box
    return min(max(2, round(ring * max(x1 - x0, y1 - y0))), MAX_RING)


def _dark_side(
    grey: np.ndarray, bg: np.ndarray, box: tuple[int, int, int, int], r: int, border: bool
) -> bool:
    """Whether a strip up to ``r`` px wide, 2 px off one side of the box (inside the frame), is
    darker than the paper (its mean below the box's darkest grey plus :data:`SIDE` x the
    paper's minus it), or, with ``border``, the box touches the frame's border: the cheap test
    before :func:`_step_share` (a digit beside a shadow's edge or another digit passes it too)."""
    sh, sw = grey.shape
    x0, y0, x1, y1 = box
    if border and (x0 <= 0 or y0 <= 0 or x1 >= sw or y1 >= sh):
        return True
    lo = cv2.minMaxLoc(grey[y0:y1, x0:x1])[0]
    limit = lo + SIDE * (cv2.mean(bg[y0:y1, x0:x1])[0] - lo)
    for sx0, sy0, sx1, sy1 in (
        (max(x0 - 2 - r, 0), y0, x0 - 2, y1),
        (x1 + 2, y0, min(x1 + 2 + r, sw), y1),
        (x0, max(y0 - 2 - r, 0), x1, y0 - 2),
        (x0, y1 + 2, x1, min(y1 + 2 + r, sh)),
    ):
        if sx1 > sx0 and sy1 > sy0 and cv2.mean(grey[sy0:sy1, sx0:sx1])[0] < limit:
            return True
    return False


def _step_share(
    grey: np.ndarray,
    bg: np.ndarray,
    dark: np.ndarray,
    level: np.ndarray,
    box: tuple[int, int, int, int],
    r: int,
    border: bool,
    ink_side: float,
) -> float:
    """:func:`step_sides` of one box ``x0, y0, x1, y1`` with a ring ``r`` px wide."""
    sh, sw = grey.shape
    x0, y0, x1, y1 = box
    g = r + 1
    # the window: the box grown by g, clipped to the frame (c*), padded back to its size
    cx0, cy0, cx1, cy1 = max(x0 - g, 0), max(y0 - g, 0), min(x1 + g, sw), min(y1 + g, sh)
    top, bottom, left, right = cy0 - (y0 - g), y1 + g - cy1, cx0 - (x0 - g), x1 + g - cx1

    padded = top or bottom or left or right

    def window(img: np.ndarray) -> np.ndarray:
        part = img[cy0:cy1, cx0:cx1]
        return (
            cv2.copyMakeBorder(part, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
            if padded
            else part
        )

    near = cv2.compare(window(dark), window(level), cv2.CMP_GT)  # all ink (none beyond the frame)
    own = cv2.copyMakeBorder(near[g:-g, g:-g], g, g, g, g, cv2.BORDER_CONSTANT, value=0)  # the box's ink
    # the ring: near the box's ink, not touching it, not other ink (masks of 0 and 255: a saturated
    # subtraction is "and not")
    rim = cv2.subtract(cv2.dilate(own, square(2 * r + 1)), cv2.bitwise_or(near, cv2.dilate(own, square(3))))
    h, w = near.shape
    seen = (slice(top, h - bottom), slice(left, w - right))  # the window inside the frame
    inside = cv2.countNonZero(rim[seen])
    beyond = cv2.countNonZero(rim) - inside if border and padded else 0  # (else it does not count)
    n = inside + beyond
    if n == 0:
        return 0.0
    # local sums over the box's ink within 2 r + 1 px: its count, grey and background
    size = (2 * r + 1, 2 * r + 1)
    grey_win = window(grey)
    count = cv2.boxFilter(own, cv2.CV_32F, size, normalize=False)  # 255 x the count
    g_ink = cv2.boxFilter(cv2.bitwise_and(grey_win, own), cv2.CV_32F, size, normalize=False)
    g_paper = cv2.boxFilter(cv2.bitwise_and(window(bg), own), cv2.CV_32F, size, normalize=False)
    # grey < g_ink + ink_side (g_paper - g_ink), both local means, times the count
    dim = cv2.compare(
        cv2.multiply(grey_win, count, scale=1 / 255, dtype=cv2.CV_32F),
        cv2.addWeighted(g_ink, 1.0 - ink_side, g_paper, ink_side, 0.0),
        cv2.CMP_LT,
    )
    dim = cv2.subtract(dim, near)  # (not ink)
    if padded:  # beyond the frame is nothing (else a thin line along the border is a wide patch)
        dim = cv2.copyMakeBorder(dim[seen], top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
    # ink-dark, not ink, and wider than a ruled line (a 3 x 3 opening drops lines up to 2 px; nothing
    # beyond the window either)
    dim = cv2.morphologyEx(dim, cv2.MORPH_OPEN, square(3), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    inky = cv2.countNonZero(cv2.bitwise_and(dim, rim)[seen])
    return (inky + beyond) / n


def without_edges(
    boxes: np.ndarray,
    grey: np.ndarray,
    bg: np.ndarray,
    dark: np.ndarray,
    level: np.ndarray,
    whole: bool = False,
    cropped: bool = False,
    cfg: DigitSegmenterConfig | None = None,
    max_step: float = MAX_STEP,
) -> np.ndarray:
    """The candidates that are ink: without the edges of :func:`step_sides` and :func:`edge_slivers`.

    The boxes are tested tallest first, and those the final selection
    (:func:`edge.segment.digit_pieces.select_digits`) drops whatever they are are not
    tested: boxes shorter than ``cfg.min_relative_height`` x the tallest kept one, and, with
    ``cfg.reject_border``, boxes touching the frame's border when a box inside it is at least
    half as tall as the tallest (a demo frame's sheet on a desk: most of the cost saved; testing
    every box costs 12-23% of the segment stage of ``benchmarks classic``). A skipped box can
    still reach the output where the next steps change the boxes (a second threshold's boxes
    replacing the tallest one: 1 box on 1,000 realistic dev frames), and the look for a digit cut
    by the frame (:func:`edge.segment.cut_digits.with_cut_digits`) tests every box (no ``cfg``).
    When the whole frame is paper (``whole``) no box is beside the paper's boundary: only
    :func:`edge_slivers` is applied.

    Args:
        boxes: float (N, >= 4) candidates, analysis px (rows are kept whole).
        grey: uint8 (h, w) analysis image (dark ink on light paper).
        bg: uint8 (h, w) its background estimate.
        dark: uint8 (h, w) darkness (0 paper .. 255 black) ...
        level: uint8 (h, w) ... and the ink threshold.
        whole: every block of the frame is clean paper (``Scene.whole`` of
            :func:`edge.segment.digit_scene.find_scene`).
        cropped: the frame may be a tight crop of one digit (which may run along its
            border): the ring beyond the border does not count.
        cfg: the segmenter's settings (``reject_border``, ``min_relative_height``: see above),
            or ``None``: every box is tested.
        max_step: candidates whose :func:`step_sides` share is at least this are dropped.

    Returns:
        float (M, >= 4): the rows of ``boxes`` kept, in order (``boxes`` itself when all are).
    """
    if not len(boxes):
        return boxes
    sh, sw = grey.shape
    edge = edge_slivers(boxes, bg).tolist()
    if whole:
        return boxes[[i for i, e in enumerate(edge) if not e]] if any(edge) else boxes
    rows = boxes[:, :4].astype(int).tolist()
    heights = [y1 - y0 for _, y0, _, y1 in rows]
    touch = [x0 <= 0 or y0 <= 0 or x1 >= sw or y1 >= sh for x0, y0, x1, y1 in rows]
    inner = [h for h, t in zip(heights, touch, strict=True) if not t]
    reject_border, min_relative = (cfg.reject_border, cfg.min_relative_height) if cfg else (False, 0.0)
    border_dropped = reject_border and bool(inner) and max(inner) >= 0.5 * max(heights)
    tallest = 0
    for i in sorted(range(len(rows)), key=lambda i: -heights[i]):
        if edge[i] or heights[i] < min_relative * tallest or (touch[i] and border_dropped):
            continue
        r = _ring_radius(rows[i], RING)
        border = not cropped
        if _dark_side(grey, bg, rows[i], r, border):
            edge[i] = _step_share(grey, bg, dark, level, rows[i], r, border, INK_SIDE) >= max_step
        tallest = max(tallest, 0 if edge[i] else heights[i])
    if not any(edge):
        return boxes
    return boxes[[i for i, e in enumerate(edge) if not e]]
