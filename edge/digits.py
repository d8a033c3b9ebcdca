"""Find handwritten digits in a camera frame and group them into numbers.

The stages are those of OpenCV's ``samples/python/digits_video.py`` (threshold ->
contours -> shape filters), made robust for live camera frames:

- the frame is analysed at a fixed small size (``analysis_width``, default 320 px
  on the longer side), so the cost does not grow with the camera's resolution;
  ROIs are scaled back to full-frame pixels for :mod:`edge.preprocess`, which crops
  from the full-resolution image;
- the paper is estimated by a grey morphological closing wider than any pen stroke
  and divided out ("flat-field"): uneven light, shadows and paper colour cancel
  out, and what is left is each pixel's darkness relative to its paper;
- the scene is read in 8x8-px blocks: the mean darkness of each block after a
  3x3-block grey opening (which removes ink, covering only part of a neighbourhood)
  is its texture level. Large regions of clean blocks are the paper; blocks in a
  deep shadow join it when they are smooth in grey levels and of the paper's
  colour (a shadow darkens the sheet, a desk has its own colour); the holes in it
  are the digits. Textured blocks outside it (wood grain, cloth, a desk whose
  noise flat-fielding amplifies) are cleared. Ink statistics come from the paper
  only, so a desk filling most of the frame does not decide the threshold;
- the ink threshold is Otsu's (N. Otsu, 1979) over the paper, clamped between
  ``min_sigma`` and ``max_sigma`` standard deviations of the paper's noise above its
  mean: a thumb, a desk strip or a marker line can no longer pull it above faint
  pencil, and sensor noise stays below it. The noise is measured in grey levels and
  converted to darkness with each pixel's own background, so the threshold rises
  where the light is dim (a shadow, a dark desk) and the noise larger;
- outer contours (``RETR_EXTERNAL``: the loops of 0, 6, 8, 9 and specks inside them
  are never separate regions) are measured with one vectorised pass over all their
  points, so specks are dropped before any per-component work and at most
  ``max_pieces`` components are measured;
- thin straight lines (ruled and squared paper) are erased with a probabilistic
  Hough transform, only when a component is line-sized; a second, higher Otsu level
  then drops what is left of them (also when the frame is cluttered with pieces),
  and splits digits from a shadow wedge or the paper's edge that the first level
  joined to them (looked at again only where such a piece was dropped);
- pieces of one digit are merged: a 5 with a detached bar or a stroke broken across
  its height (pieces above one another), and a 0 or 8 drawn as two arcs that face
  each other (pieces side by side), judged relative to the pieces' own height so
  neighbouring digits of a number stay apart;
- candidates are filtered against the paper's edge and fingers (contact with the
  frame border), solid blobs, odd aspect ratios, "1"-like slivers along a
  background edge, boxes not surrounded by paper, and things much smaller than the
  digits;
- ROIs come out in reading order; :func:`group_numbers` joins classified digits on
  the same line into numbers.

Cost: about 1.3-1.6 ms per 640x480 frame (median) on one x86-64 core of the
development machine, about 2.5 ms at the 99th percentile (``edge-bench pipeline``,
stage ``segment``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from edge.preprocess import (
    MIN_CONTRAST,
    POLARITIES,
    _hist,
    above,
    ink_is_light,
    odd,
    otsu,
    paper_noise,
    remove_lines,
    second_ink_threshold,
    to_grey,
)
from edge.types import ROI, Detection

log = logging.getLogger(__name__)

#: Side (analysis px) of the blocks the scene is read in.
BLOCK = 8

# columns of a piece / candidate table (float (N, 7), analysis px)
_X0, _Y0, _X1, _Y1, _AREA, _CONTACT, _MX = range(7)
_COLS = 7


@dataclass(frozen=True)
class DigitSegmenterConfig:
    """Settings of :class:`DigitSegmenter`; sizes relative to the frame unless noted.

    Attributes:
        analysis_width: longer side (px) of the grey image that is analysed; frames
            larger than this are downscaled (area interpolation) first.
        min_height: smallest digit height, fraction of the frame height
            (0.028 = 13 px in a 480-px frame).
        max_height: largest digit height, fraction of the frame height.
        min_aspect: smallest width / height of a digit (a "1" is narrow).
        max_aspect: largest width / height of a digit; wider things are lines,
            scribbles or several touching digits.
        min_fill: smallest ink area / box area.
        max_fill: largest ink area / box area for boxes wider than
            ``blob_aspect`` x height (solid blobs: fingers, stickers, holes).
        blob_aspect: see ``max_fill``; narrower boxes (a straight "1") may be full.
        min_area: smallest box (analysis px²) of an ink component; less is a speck.
        min_relative_height: digits shorter than this fraction of the tallest
            digit found are dropped (specks, dots, far-away scribbles).
        max_digits: at most this many ROIs (the tallest) are returned.
        max_pieces: at most this many ink components (the largest boxes) are
            measured, which bounds the time spent on clutter.
        clutter: this many components (or more) make a frame cluttered (squared
            paper, texture): then the second, higher ink threshold decides, as after
            erasing ruled lines. 0 disables.
        merge_gap: pieces of one digit may be this far apart vertically
            (fraction of the taller piece's height).
        merge_max_growth: a merge may not make the box taller than this many times
            the taller piece (keeps digits in stacked rows apart) ...
        merge_touch_gap: ... unless the pieces are at most this far apart
            (fraction of the taller one's height): two halves of a broken digit.
        merge_min_ink: pieces with less ink than this fraction of the other piece's
            are specks, not part of it, and are not merged.
        merge_min_width: pieces one above the other without vertical overlap merge
            only when the narrower is at least this fraction of the wider one's width
            (a 5's bar is as wide as its body; a digit above a thumb is not).
        arc_gap: two arcs side by side facing each other (a 0 drawn in two strokes)
            are one digit when the gap between them is at most this fraction of
            their height and together they are no wider than ``arc_max_aspect`` x
            their height.
        arc_max_aspect: see ``arc_gap``.
        background: closing kernel for the paper estimate, fraction of the
            analysis image's longer side (a tight crop of one large digit) ...
        max_background: ... but at most this many analysis px (a frame: smaller
            kernels follow the light more closely and fill narrower strips of desk
            between the paper and the frame's border); must exceed the widest pen
            stroke.
        min_sigma: the ink threshold is at least the paper's mean darkness plus this
            many standard deviations of its noise ...
        max_sigma: ... and Otsu's threshold is lowered to at most this many, so
            faint pencil passes when darker things pull Otsu up ...
        otsu_without_paper: ... except when no paper was found (a small crop of
            one digit, which fills so much of it that Otsu is reliable).
        paper_contrast: blocks whose texture level (0..255 darkness) is at most this,
            or at most ``paper_factor`` x that of the cleanest blocks (5th
            percentile) + ``paper_margin`` if more, are clean; regions of clean
            blocks covering ``min_paper`` of the frame, with the holes in them, are
            the paper. 0 disables the paper rule.
        paper_margin: see ``paper_contrast``.
        paper_factor: see ``paper_contrast``.
        texture_contrast: non-paper blocks with a mean darkness below this are
            texture (not a large digit) and are cleared before thresholding.
        min_paper: the paper rule applies only when at least this fraction of the
            frame is paper; smaller regions of clean blocks are not paper.
        min_blocks: the paper rule needs at least this many blocks on the shorter
            side of the analysis image (a small crop of one digit has no desk).
        smooth_contrast: blocks smooth in grey levels (the same rule as
            ``paper_contrast`` on the background minus the image, with this minimum)
            count as paper for the ring test below, and join the paper when their
            colour is the paper's (``paper_chroma``): a shadow amplifies noise in
            darkness but not in grey levels. 0 disables both.
        paper_chroma: largest difference of chromaticity (B, G, R shares of the
            block's mean colour) from the paper's median for a smooth block to be
            shadowed paper rather than desk; colour frames only. 0 disables.
        min_paper_around: digits need at least this fraction of paper in the ring
            around their box (the box grown by a quarter of its longer side, the
            paper grown by a block); 0 disables.
        line_length: straight thin lines (Hough) within 25 degrees of horizontal and
            at least this long (fraction of the analysis width) are ruled lines
            and erased; 0 disables.
        line_thickness: largest thickness (analysis px) of a removable line.
        min_line: ruled lines are at least this long (analysis px) whatever the
            image size (in a small crop of one digit, a quarter of the width is a
            stroke).
        vertical_line_length: the same for vertical lines, fraction of the
            analysis height (longer, so a tall thin "1" survives); 0 disables.
        reject_border: drop digits touching the frame border (cut off by it), unless
            nothing else as large is found, so a tightly cropped photo still gives
            its digit.
        max_contact: components whose ink runs along the frame border for more than
            this fraction of the shorter side (or for longer than 1.2 x their own
            size) are the paper's edge, the table or a finger, and are dropped
            before merging.
        min_light: no ink is looked for where the estimated background is darker
            than this fraction of its bright level (95th percentile): a dark desk
            or room, where flat-fielding only amplifies noise. 0 disables.
        polarity: ``"dark"`` ink on light paper, ``"light"`` ink on a dark ground,
            or ``"auto"`` (guessed per frame).
    """

    analysis_width: int = 320
    min_height: float = 0.028
    max_height: float = 0.95
    min_aspect: float = 0.05
    max_aspect: float = 2.0
    min_fill: float = 0.02
    max_fill: float = 0.75
    blob_aspect: float = 0.5
    min_area: int = 5
    min_relative_height: float = 0.25
    max_digits: int = 12
    max_pieces: int = 24
    clutter: int = 40
    merge_gap: float = 0.3
    merge_max_growth: float = 1.5
    merge_touch_gap: float = 0.12
    merge_min_ink: float = 0.03
    merge_min_width: float = 0.3
    arc_gap: float = 0.2
    arc_max_aspect: float = 0.9
    background: float = 0.2
    max_background: int = 48
    min_sigma: float = 4.0
    max_sigma: float = 6.0
    otsu_without_paper: bool = True
    paper_contrast: int = 12
    paper_margin: float = 6.0
    paper_factor: float = 2.5
    texture_contrast: int = 48
    min_paper: float = 0.05
    min_blocks: int = 12
    smooth_contrast: int = 6
    paper_chroma: float = 0.012
    min_paper_around: float = 0.5
    line_length: float = 0.25
    line_thickness: int = 2
    min_line: int = 32
    vertical_line_length: float = 0.5
    reject_border: bool = True
    max_contact: float = 0.12
    min_light: float = 0.35
    polarity: str = "dark"

    def __post_init__(self) -> None:
        if self.polarity not in POLARITIES:
            raise ValueError(f"polarity must be one of {POLARITIES}, got {self.polarity!r}")
        if self.analysis_width < 32:
            raise ValueError(f"analysis_width must be >= 32 px, got {self.analysis_width}")
        if not 0 < self.min_height < self.max_height <= 1.0:
            raise ValueError("need 0 < min_height < max_height <= 1 (fractions of the frame "
                             f"height), got {self.min_height}, {self.max_height}")
        if not 0 <= self.min_sigma <= self.max_sigma:
            raise ValueError(f"need 0 <= min_sigma <= max_sigma, got {self.min_sigma}, {self.max_sigma}")


@functools.lru_cache(maxsize=16)
def _rect(k: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))


def _root(parent: list[int], a: int) -> int:
    """Union-find root of ``a`` (with path halving)."""
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def _merge_pairs(boxes: np.ndarray, cfg: DigitSegmenterConfig) -> tuple[np.ndarray, np.ndarray]:
    """Which pairs of pieces belong to one digit: (int (K,) i, int (K,) j), i < j.

    Stacked pieces (a 5's bar, a stroke broken across the digit): they overlap
    horizontally by at least half the narrower one, are at most ``merge_gap`` x the
    taller one's height apart vertically, and the union is at most
    ``merge_max_growth`` x as tall as the taller one (digits in stacked rows stay
    apart), or 2.2 x when they nearly touch (``merge_touch_gap``); pieces without
    vertical overlap must be of comparable width (``merge_min_width``).

    Side-by-side arcs (a 0 or an 8 drawn in two strokes): of similar height, mostly
    overlapping vertically, at most ``arc_gap`` x their height apart, the left one's
    ink leaning left and the right one's leaning right (they face each other, as
    ``(`` and ``)``), and together not wider than ``arc_max_aspect`` x their height.
    Neighbouring digits of a number fail at least one of these: a straight "1" does
    not lean, and two full digits are too wide together.

    Neither merges a speck with less than ``merge_min_ink`` of the other's ink.
    """
    x0, y0, x1, y1, area, mx = (boxes[:, k] for k in (_X0, _Y0, _X1, _Y1, _AREA, _MX))
    h = y1 - y0
    # candidate pairs first (a few N x N operations), then the rules on those pairs only
    ox = np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None])
    oy = np.minimum(y1[:, None], y1[None]) - np.maximum(y0[:, None], y0[None])
    hmax = np.maximum(h[:, None], h[None])
    near = (oy >= -cfg.merge_gap * hmax) & (ox >= -cfg.arc_gap * hmax)
    ii, jj = np.nonzero(np.triu(near, 1))
    if not len(ii):
        return ii, jj
    ox, oy, hmax = ox[ii, jj], oy[ii, jj], hmax[ii, jj]
    w = x1 - x0
    wi, wj, hi, hj = w[ii], w[jj], h[ii], h[jj]
    wmin, wmax, hmin = np.minimum(wi, wj), np.maximum(wi, wj), np.minimum(hi, hj)
    merged_h = np.maximum(y1[ii], y1[jj]) - np.minimum(y0[ii], y0[jj])
    touch = -oy <= cfg.merge_touch_gap * hmax  # nearly touching: a digit broken in two
    stacked = ((ox >= 0.5 * wmin) & (merged_h <= np.where(touch, 2.2, cfg.merge_max_growth) * hmax)
               & ((oy > 0) | (wmin >= cfg.merge_min_width * wmax)))
    # horizontal position of the ink's centre of mass in its box: 0 left .. 1 right
    lean = (mx / np.maximum(area, 1.0) - x0) / np.maximum(w, 1.0)
    li, lj = lean[ii], lean[jj]
    facing = np.where(x0[ii] < x0[jj], (li < 0.42) & (lj > 0.58), (lj < 0.42) & (li > 0.58))
    merged_w = np.maximum(x1[ii], x1[jj]) - np.minimum(x0[ii], x0[jj])
    arcs = (facing & (hmin >= 0.6 * hmax) & (oy >= 0.6 * hmin)
            & (merged_w <= cfg.arc_max_aspect * merged_h) & (wmin >= 0.15 * hmin))
    ai, aj = area[ii], area[jj]
    ok = (stacked | arcs) & (np.minimum(ai, aj) >= cfg.merge_min_ink * np.maximum(ai, aj))
    return ii[ok], jj[ok]


def _merge_boxes(boxes: np.ndarray, cfg: DigitSegmenterConfig) -> np.ndarray:
    """Union the pieces of one digit (see :func:`_merge_pairs`), repeated until
    nothing changes.

    Args:
        boxes: float (N, 7) x0, y0, x1, y1, ink area, border contact, sum of ink x.

    Returns:
        float (M, 7), M <= N, the same columns (areas, contacts and sums added).
    """
    for _ in range(4):
        n = len(boxes)
        if n < 2:
            break
        ii, jj = _merge_pairs(boxes, cfg)
        if not len(ii):
            break
        parent = list(range(n))  # union-find over the merge pairs
        for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
            ra, rb = _root(parent, i), _root(parent, j)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        group = np.array([_root(parent, a) for a in range(n)])
        order = np.argsort(group, kind="stable")
        grp, rows = group[order], boxes[order]
        starts = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]])
        boxes = np.column_stack([
            np.minimum.reduceat(rows[:, _X0], starts), np.minimum.reduceat(rows[:, _Y0], starts),
            np.maximum.reduceat(rows[:, _X1], starts), np.maximum.reduceat(rows[:, _Y1], starts),
            np.add.reduceat(rows[:, _AREA:], starts, axis=0)])
    return boxes


def reading_order(rois: Sequence[ROI]) -> list[int]:
    """Indices of ``rois`` in reading order: rows top to bottom, left to right in a row.

    Boxes are taken by their vertical centre; a box joins a row when it overlaps the
    row's first box vertically by at least half the shorter of the two.
    """
    order = sorted(range(len(rois)), key=lambda i: rois[i].center[1])
    rows: list[list[int]] = []
    for i in order:
        r = rois[i]
        for row in rows:
            f = rois[row[0]]
            overlap = min(r.y + r.h, f.y + f.h) - max(r.y, f.y)
            if overlap >= 0.5 * min(r.h, f.h):
                row.append(i)
                break
        else:
            rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda k: rois[k].x)]


@dataclass
class _Scene:
    """What :meth:`DigitSegmenter._scene` learns about a frame (analysis px).

    Attributes:
        paper: uint8 (h, w) paper mask with the digits in it (255 = paper), or
            ``None`` when too little of the frame is paper (then all of it counts).
        around: int32 (h + 1, w + 1) integral image of the paper grown by a block
            (1 = paper), for the ring test around candidates; ``None`` as ``paper``.
        cleared: uint8 (h, w), 255 where textured background is cleared (no ink is
            looked for), ramping to 0 over half a block.
    """

    paper: np.ndarray | None
    around: np.ndarray | None
    cleared: np.ndarray


class DigitSegmenter:
    """Find single handwritten digits in a camera frame.

    Args:
        config: settings; ``None`` uses :class:`DigitSegmenterConfig` defaults.
    """

    def __init__(self, config: DigitSegmenterConfig | None = None) -> None:
        self.config = config or DigitSegmenterConfig()

    def find(self, image: np.ndarray) -> list[ROI]:
        """ROIs of single digits, in reading order.

        Args:
            image: uint8 (H, W, 3) BGR frame (or uint8 (H, W) grey), any size.

        Returns:
            Tight boxes around each digit's ink, in full-frame pixels, rows top to
            bottom and left to right within a row; empty when there is no digit.

        Raises:
            ValueError: ``image`` is not a uint8 grey or BGR image.
        """
        cfg = self.config
        grey = to_grey(image)
        H, W = grey.shape
        f = min(1.0, cfg.analysis_width / max(H, W))
        if f < 1.0:
            small = cv2.resize(grey, (max(1, int(round(W * f))), max(1, int(round(H * f)))),
                               interpolation=cv2.INTER_AREA)
        else:
            small = grey
        if cfg.polarity == "light" or (cfg.polarity == "auto" and ink_is_light(small)):
            small = cv2.bitwise_not(small)
        sh, sw = small.shape
        bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE,
                              _rect(odd(min(cfg.background * max(sh, sw), cfg.max_background))))
        dark = cv2.bitwise_not(cv2.divide(small, bg, scale=255.0))
        cdf = np.cumsum(np.bincount(bg[::4, ::4].ravel(), minlength=256))
        bright = int(np.searchsorted(cdf, 0.95 * cdf[-1]))  # the lit paper's grey level
        lit = None
        if cfg.min_light > 0:
            # where the background itself is nearly black (a dark desk, the room) the
            # ratio is mostly amplified sensor noise: no ink is looked for there
            lit = above(bg, cfg.min_light * bright)
            dark = cv2.bitwise_and(dark, lit)
        deficit = cv2.subtract(bg, small)
        scene = self._scene(dark, deficit, lit, image if image.ndim == 3 and image.shape[2] == 3 else None)
        level, t = self._level(dark, deficit, bg, bright, scene)
        # a cluttered frame (squared paper, texture) is left to the second threshold
        # below without measuring its many pieces first
        first, lines_erased, _, measure = self._pieces(dark, level, stop_at=cfg.clutter)
        second = lines_erased or first is None
        pieces = np.zeros((0, _COLS)) if first is None else first
        boxes, dropped = self._digits(pieces, scene, bg)
        if second or dropped is not None:
            # A higher threshold separates dark ink from what the first one let in:
            # printed ruling left behind by the line eraser, or clutter (then it
            # replaces the first pass), or a shadow wedge or the paper's edge that
            # swallowed a digit (then it looks again only where that piece was
            # dropped, and its new digits are added).
            t2 = second_ink_threshold(dark, t, scene.paper)
            if t2 is not None:
                pieces2, _, _, measure2 = self._pieces(dark, np.maximum(level, np.uint8(t2)), lines=second,
                                                       region=None if second else dropped)
                boxes2, _ = self._digits(measure2() if pieces2 is None else pieces2, scene, bg)
                boxes = boxes2 if second else _add_new(boxes, boxes2, sw, sh)
        if first is None and not len(boxes):  # clutter, and nothing at the second level: measure it
            pieces = measure()
            boxes, _ = self._digits(pieces, scene, bg)
        if not len(boxes) and cfg.reject_border:
            # nothing found: perhaps a tightly cropped photo whose digit runs along
            # the border (the bar of a 7) or fills it; accept that after all
            boxes, _ = self._digits(pieces, scene, bg, cropped=True)
        boxes = self._select(boxes, sw, sh)
        sx, sy = W / sw, H / sh
        rois = []
        for x0, y0, x1, y1 in boxes[:, :4]:
            rx0, ry0 = int(np.floor(x0 * sx)), int(np.floor(y0 * sy))
            rx1, ry1 = min(W, int(np.ceil(x1 * sx))), min(H, int(np.ceil(y1 * sy)))
            rois.append(ROI(rx0, ry0, rx1 - rx0, ry1 - ry0))
        return [rois[i] for i in reading_order(rois)]

    def _scene(self, dark: np.ndarray, deficit: np.ndarray, lit: np.ndarray | None,
               colour: np.ndarray | None = None) -> _Scene:
        """The paper, and the textured background to clear, from 8x8-px blocks.

        The mean darkness of each block after a 3x3-block grey opening (which drops
        ink: it covers only part of a neighbourhood) is the block's texture level:
        on paper the noise left by flat-fielding, on a wood desk or cloth the
        grain, on a dark desk the amplified sensor noise. Blocks whose level is at
        most ``max(paper_contrast, paper_factor x ref + paper_margin)``, ref being
        the 5th percentile of the lit blocks' levels (the cleanest paper), are
        clean; 4-connected regions of clean blocks covering at least ``min_paper``
        of the frame are the paper.

        A shadow amplifies the noise in darkness (a ratio) but not in grey levels,
        so a deeply shadowed part of the sheet may fail that rule. Blocks smooth in
        grey levels (the same rule on ``deficit``, minimum ``smooth_contrast``)
        whose colour (chromaticity of the frame's block means, so independent of
        the light's strength) is the paper's within ``paper_chroma`` join the
        paper: a shadow darkens the sheet, a wood desk or cloth has its own colour.
        Then the holes in the paper (the digits) are filled. Unlit blocks are never
        paper. Non-paper blocks with a mean darkness below ``texture_contrast``
        (not a large marker stroke) are cleared.

        Args:
            dark: uint8 (h, w) darkness (0 paper .. 255 black).
            deficit: uint8 (h, w) background minus image (grey levels).
            lit: uint8 (h, w) mask of the lit part of the frame, or ``None``.
            colour: uint8 (H, W, 3) BGR frame (any size), or ``None`` (grey input).
        """
        cfg = self.config
        sh, sw = dark.shape
        bw, bh = max(1, sw // BLOCK), max(1, sh // BLOCK)
        none = _Scene(None, None, np.zeros_like(dark))
        if cfg.paper_contrast <= 0 or min(bw, bh) < cfg.min_blocks:  # too small to tell paper from desk
            return none
        lit_blocks = None
        if lit is not None:
            lit_blocks = above(cv2.resize(lit, (bw, bh), interpolation=cv2.INTER_AREA), 127)
        blocks = cv2.resize(dark, (bw, bh), interpolation=cv2.INTER_AREA)
        clean = _clean_blocks(blocks, lit_blocks, cfg.paper_contrast, cfg.paper_factor, cfg.paper_margin)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(clean, connectivity=4)
        big = stats[:, cv2.CC_STAT_AREA] >= cfg.min_paper * bw * bh
        big[0] = False
        if not big.any():
            return none
        paper = (big.astype(np.uint8) * 255)[labels]
        smooth = None
        if cfg.smooth_contrast > 0:
            smooth = _clean_blocks(cv2.resize(deficit, (bw, bh), interpolation=cv2.INTER_AREA), lit_blocks,
                                   cfg.smooth_contrast, cfg.paper_factor, cfg.paper_margin)
            shaded = cv2.bitwise_and(smooth, cv2.bitwise_not(clean))
            if colour is not None and cfg.paper_chroma > 0 and cv2.countNonZero(shaded):
                # shadowed paper: smooth in grey levels and of the paper's colour (block
                # means from a 4x4-px sample grid: cheap, and plenty for a colour)
                H, W = colour.shape[:2]
                grid = cv2.resize(colour, (max(bw, W // 4), max(bh, H // 4)), interpolation=cv2.INTER_NEAREST)
                c = cv2.resize(grid, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.float32)
                chroma = c / np.maximum(c.sum(axis=2, keepdims=True), 1.0)
                ref_chroma = np.median(chroma[paper > 0], axis=0)
                same = (np.abs(chroma - ref_chroma) <= cfg.paper_chroma).all(axis=2)
                paper = cv2.bitwise_or(paper, cv2.bitwise_and(shaded, (same * 255).astype(np.uint8)))
        # non-paper regions not touching the border are holes in the paper: digits
        _, holes, hstats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_not(paper), connectivity=4)
        x, y, w, h = (hstats[:, k] for k in range(4))
        inner = (x > 0) & (y > 0) & (x + w < bw) & (y + h < bh)
        inner[0] = False
        if inner.any():
            paper = cv2.bitwise_or(paper, (inner.astype(np.uint8) * 255)[holes])
        texture = cv2.bitwise_not(cv2.bitwise_or(paper, above(blocks, cfg.texture_contrast - 1)))
        around = paper if smooth is None else cv2.bitwise_or(paper, smooth)
        around = cv2.dilate((around > 0).view(np.uint8), _rect(3))  # digits at the paper's edge
        size = (sw, sh)
        return _Scene(cv2.resize(paper, size, interpolation=cv2.INTER_NEAREST),
                      cv2.integral(cv2.resize(around, size, interpolation=cv2.INTER_NEAREST)),
                      cv2.resize(texture, size, interpolation=cv2.INTER_LINEAR))

    def _level(self, dark: np.ndarray, deficit: np.ndarray, bg: np.ndarray, bright: int, scene: _Scene
               ) -> tuple[np.ndarray, int]:
        """Per-pixel ink threshold in darkness units.

        Sensor noise is about the same number of grey levels everywhere, so in
        darkness (a ratio to the background) it grows where the background is dim:
        a shadow, a dark desk. The paper's noise is therefore measured in grey
        levels, as its ``deficit`` below the background estimate (mean and standard
        deviation from :func:`edge.preprocess.paper_noise`), and converted to
        darkness per pixel with that pixel's background. The threshold is Otsu's
        (N. Otsu, 1979) over the paper's darkness, clamped between ``min_sigma`` and
        ``max_sigma`` standard deviations above the mean (only bounded below when no
        paper was found and ``otsu_without_paper``), and at least
        :data:`edge.preprocess.MIN_CONTRAST`; 255 where ``scene.cleared``.

        Args:
            dark: uint8 (h, w) darkness.
            deficit: uint8 (h, w) background minus grey (grey levels).
            bg: uint8 (h, w) background estimate (grey levels).
            bright: the lit paper's background grey level.
            scene: from :meth:`_scene`.

        Returns:
            (uint8 (h, w) threshold, its value on the lit paper: a scalar for
            :func:`edge.preprocess.second_ink_threshold`).
        """
        cfg = self.config
        hist = _hist(dark, scene.paper)
        if hist.sum() <= 0:
            return np.full_like(dark, 255), 255
        mu, sigma = paper_noise(_hist(deficit, scene.paper))
        per_grey = 255.0 / np.maximum(np.arange(256, dtype=np.float64), 1.0)  # darkness per grey level
        lo = np.maximum(MIN_CONTRAST * 255.0, (mu + cfg.min_sigma * sigma) * per_grey)
        hi = np.full(256, float(otsu(hist)))
        if scene.paper is not None or not cfg.otsu_without_paper:
            hi = np.minimum(hi, (mu + cfg.max_sigma * sigma) * per_grey)
        lut = np.clip(np.maximum(lo, hi), 0, 255).astype(np.uint8)
        return cv2.max(cv2.LUT(bg, lut), scene.cleared), int(lut[bright])

    def _pieces(self, dark: np.ndarray, level: np.ndarray, lines: bool = True,
                region: tuple[int, int, int, int] | None = None, stop_at: int = 0
                ) -> tuple[np.ndarray | None, bool, int, Callable[[], np.ndarray]]:
        """Ink components: pixels darker than ``level``; ruled lines erased (if
        ``lines``).

        Args:
            dark: uint8 (h, w) darkness.
            level: uint8 (h, w) threshold.
            lines: erase ruled lines when a component is line-sized.
            region: only look inside this box (x0, y0, x1, y1), analysis px.
            stop_at: see :func:`_components`.

        Returns:
            (float (N, 7) pieces x0, y0, x1, y1, ink area, border contact, sum of ink
            x, in analysis px, or ``None`` (``stop_at``); whether ruled lines were
            erased; the number of components before keeping the ``max_pieces``
            largest; ``measure()``, which returns the pieces in any case).
        """
        cfg = self.config
        sh, sw = dark.shape
        x0, y0, x1, y1 = (0, 0, sw, sh) if region is None else region
        mask = cv2.compare(dark[y0:y1, x0:x1], level[y0:y1, x0:x1], cv2.CMP_GT)
        bx, by, bw, bh = cv2.boundingRect(mask)  # contours are found in the box around the ink
        if bw == 0:
            empty = np.zeros((0, _COLS))
            return empty, False, 0, lambda: empty
        mask = mask[by:by + bh, bx:bx + bw]
        origin, frame = (x0 + bx, y0 + by), (sw, sh)
        pieces, outlines, count, measure = _components(mask, cfg.min_area, cfg.max_pieces, origin, frame,
                                                       stop_at)
        if pieces is not None and lines and len(pieces):
            h_len = int(max(cfg.line_length * sw, cfg.min_line)) if cfg.line_length > 0 else 0
            v_len = (int(max(cfg.vertical_line_length * sh, cfg.min_line))
                     if cfg.vertical_line_length > 0 else 0)
            w, h = pieces[:, _X1] - pieces[:, _X0], pieces[:, _Y1] - pieces[:, _Y0]
            big = np.zeros(len(pieces), bool)
            if h_len > 0:
                big |= w >= h_len
            if v_len > 0:
                big |= h >= v_len
            if big.any():
                # search only the line-sized components (cheap), erase from the whole mask
                search = np.zeros_like(mask)
                cv2.drawContours(search, [outlines[i] for i in np.flatnonzero(big)], -1, 255, -1)
                cleaned = remove_lines(mask, h_len, v_len, cfg.line_thickness,
                                       search=cv2.bitwise_and(search, mask))
                if cleaned is not mask:
                    return _components(cleaned, cfg.min_area, cfg.max_pieces, origin, frame)[0], True, \
                        count, measure
        return pieces, False, count, measure

    def _digits(self, pieces: np.ndarray, scene: _Scene, bg: np.ndarray, cropped: bool = False
                ) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
        """Digit candidates from ink pieces (see :meth:`_pieces`).

        Args:
            pieces: float (N, 7) from :meth:`_pieces`.
            scene: from :meth:`_scene`.
            bg: uint8 (h, w) background estimate.
            cropped: the frame may be a tight crop of one digit: pieces may run along
                the border and fill the frame.

        Returns:
            (float (M, 7) candidate boxes, the same columns; the box x0, y0, x1, y1
            around the pieces dropped as the paper's edge or as too large, which a
            higher threshold may split, or ``None``).
        """
        cfg = self.config
        sh, sw = bg.shape
        w, h = pieces[:, _X1] - pieces[:, _X0], pieces[:, _Y1] - pieces[:, _Y0]
        contact = pieces[:, _CONTACT]
        # the paper's edge, the table, fingers: long contact with the frame border, or
        # more contact than the piece is long (a corner of the frame, a shadow)
        max_contact, max_height, max_width = (1.0, 1.0, 1.0) if cropped else (cfg.max_contact,
                                                                              cfg.max_height, 0.9)
        keep = ((h <= max_height * sh) & (w <= max_width * sw) & (contact <= max_contact * min(sw, sh))
                & (contact <= 1.2 * np.maximum(w, h)))
        dropped = pieces[~keep & (pieces[:, _AREA] >= 4 * cfg.min_area)]
        region = None
        if len(dropped):
            region = (int(dropped[:, _X0].min()), int(dropped[:, _Y0].min()),
                      int(dropped[:, _X1].max()), int(dropped[:, _Y1].max()))
        boxes = self._candidates(pieces[keep], sw, sh, max_height)
        if scene.around is not None and len(boxes) and cfg.min_paper_around > 0:
            boxes = boxes[_paper_around(boxes, scene.around) >= cfg.min_paper_around]
        if len(boxes):
            boxes = boxes[~_edge_slivers(boxes, bg)]
        return boxes, region

    def _candidates(self, boxes: np.ndarray, sw: int, sh: int, max_height: float) -> np.ndarray:
        """Merged pieces filtered by size (``max_height``: fraction of the frame's),
        aspect and ink fill (float (M, 7))."""
        cfg = self.config
        if not len(boxes):
            return boxes
        boxes = _merge_boxes(boxes, cfg)
        bw, bh, ink = boxes[:, _X1] - boxes[:, _X0], boxes[:, _Y1] - boxes[:, _Y0], boxes[:, _AREA]
        fill = ink / np.maximum(bw * bh, 1.0)
        aspect = bw / np.maximum(bh, 1.0)
        ok = ((bh >= cfg.min_height * sh) & (bh <= max_height * sh)
              & (aspect >= cfg.min_aspect) & (aspect <= cfg.max_aspect)
              & (fill >= cfg.min_fill)
              & ~((fill > cfg.max_fill) & (aspect > cfg.blob_aspect)))
        return boxes[ok]

    def _select(self, boxes: np.ndarray, sw: int, sh: int) -> np.ndarray:
        """The digits among the candidates: border and relative-size rules, at most
        ``max_digits``."""
        cfg = self.config
        if not len(boxes):
            return boxes
        bh = boxes[:, _Y1] - boxes[:, _Y0]
        if cfg.reject_border:
            # digits cut by the frame border are dropped, unless they are the only
            # (or much the largest) candidates: a tightly cropped photo
            touch = ((boxes[:, _X0] <= 0) | (boxes[:, _Y0] <= 0) | (boxes[:, _X1] >= sw)
                     | (boxes[:, _Y1] >= sh))
            if (~touch).any() and bh[~touch].max() >= 0.5 * bh.max():
                boxes, bh = boxes[~touch], bh[~touch]
        boxes = boxes[bh >= cfg.min_relative_height * bh.max()]
        if len(boxes) > cfg.max_digits:
            boxes = boxes[np.argsort(-(boxes[:, _Y1] - boxes[:, _Y0]))[:cfg.max_digits]]
        return boxes


def _clean_blocks(blocks: np.ndarray, lit: np.ndarray | None, minimum: float, factor: float,
                  margin: float) -> np.ndarray:
    """uint8 mask (255 = clean) of the blocks whose texture level (3x3 grey opening of
    the block means ``blocks``) is at most ``max(minimum, factor x ref + margin)``, ref
    being the 5th percentile of the lit blocks' levels; unlit blocks are not clean."""
    level = cv2.morphologyEx(blocks, cv2.MORPH_OPEN, _rect(3))
    cdf = np.cumsum(_hist(level, lit))
    ref = int(np.searchsorted(cdf, 0.05 * cdf[-1])) if cdf[-1] > 0 else 0
    clean = cv2.bitwise_not(above(level, max(minimum, factor * ref + margin)))
    return clean if lit is None else cv2.bitwise_and(clean, lit)


def _components(mask: np.ndarray, min_area: int, max_count: int, origin: tuple[int, int] = (0, 0),
                frame: tuple[int, int] | None = None, stop_at: int = 0
                ) -> tuple[np.ndarray | None, list[np.ndarray], int, Callable[[], np.ndarray]]:
    """Outer connected components of an ink mask, measured.

    ``cv2.findContours`` (``RETR_EXTERNAL``: the loops of 0, 6, 8, 9 and specks
    inside them belong to the digit around them) gives the outlines; all their
    boxes come from one vectorised min/max over the concatenated outline points, so
    specks (box smaller than ``min_area``) are dropped before any per-component work.
    Of the rest, the ``max_count`` largest boxes are measured inside their box: ink
    area and centre of mass (``cv2.moments``; ink of other components reaching into
    the box counts too) and ink pixels on the frame's border.

    Args:
        mask: uint8 (h, w), 255 = ink.
        min_area: smallest box area (px²).
        max_count: most components measured.
        origin: (x, y) of the mask's top-left corner in the frame (a crop of it).
        frame: (width, height) of the frame; default the mask's own size. Border
            contact counts only on the frame's border.
        stop_at: if > 0 and at least this many components are not specks (clutter),
            they are not measured (``None`` is returned; ``measure`` does it later).

    Returns:
        (float (N, 7) x0, y0, x1, y1, ink area, border contact (px), sum of the ink's
        x, in frame px, or ``None`` (``stop_at``); the N outlines, int32 (K, 1, 2) in
        mask px; the number of components that were not specks, before keeping
        ``max_count``; ``measure()``, which returns the table in any case).
    """
    h, w = mask.shape
    ox, oy = origin
    fw, fh = frame if frame is not None else (w, h)
    cs, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    n = len(cs)
    ids = np.zeros(0, np.intp)
    lo = hi = np.zeros((0, 2), np.intp)

    def measure() -> np.ndarray:
        rows = []
        for i in ids.tolist():
            x0, y0, x1, y1 = int(lo[i, 0]), int(lo[i, 1]), int(hi[i, 0]), int(hi[i, 1])
            m = cv2.moments(mask[y0:y1, x0:x1], binaryImage=True)
            contact = 0
            if x0 == 0 and ox == 0:
                contact += cv2.countNonZero(mask[y0:y1, 0])
            if x1 == w and ox + w == fw:
                contact += cv2.countNonZero(mask[y0:y1, w - 1])
            if y0 == 0 and oy == 0:
                contact += cv2.countNonZero(mask[0, x0:x1])
            if y1 == h and oy + h == fh:
                contact += cv2.countNonZero(mask[h - 1, x0:x1])
            rows.append((x0 + ox, y0 + oy, x1 + ox, y1 + oy, m["m00"], contact,
                         m["m10"] + (x0 + ox) * m["m00"]))
        return np.array(rows, np.float64).reshape(-1, _COLS)

    if not n:
        return measure(), [], 0, measure
    starts = np.zeros(n, np.intp)
    np.cumsum(np.fromiter(map(len, cs), np.intp, n)[:-1], out=starts[1:])
    pts = np.concatenate(cs).reshape(-1, 2)
    lo = np.minimum.reduceat(pts, starts)
    hi = np.maximum.reduceat(pts, starts) + 1
    box_area = (hi[:, 0] - lo[:, 0]) * (hi[:, 1] - lo[:, 1])
    ids = np.flatnonzero(box_area >= min_area)
    count = len(ids)
    if count > max_count:  # clutter: the largest only
        ids = np.sort(ids[np.argpartition(-box_area[ids], max_count)[:max_count]])
    outlines = [cs[i] for i in ids.tolist()]
    if 0 < stop_at <= count:
        return None, outlines, count, measure
    return measure(), outlines, count, measure


def _paper_around(boxes: np.ndarray, ii: np.ndarray) -> np.ndarray:
    """Fraction of paper in the ring around each box (the box grown by a quarter of
    its longer side, minus the box), float (N,).

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1 (analysis px).
        ii: int32 (h + 1, w + 1) integral image (``cv2.integral``) of the paper mask
            (1 = paper).
    """
    sh, sw = ii.shape[0] - 1, ii.shape[1] - 1

    def total(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
        return ii[y1, x1] - ii[y0, x1] - ii[y1, x0] + ii[y0, x0]

    x0, y0, x1, y1 = (boxes[:, k].astype(int) for k in range(4))
    e = (0.25 * np.maximum(x1 - x0, y1 - y0)).astype(int) + 1
    gx0, gy0 = np.clip(x0 - e, 0, sw), np.clip(y0 - e, 0, sh)
    gx1, gy1 = np.clip(x1 + e, 0, sw), np.clip(y1 + e, 0, sh)
    x0, y0, x1, y1 = np.clip(x0, 0, sw), np.clip(y0, 0, sh), np.clip(x1, 0, sw), np.clip(y1, 0, sh)
    ring = (gx1 - gx0) * (gy1 - gy0) - (x1 - x0) * (y1 - y0)
    paper = total(gx0, gy0, gx1, gy1) - total(x0, y0, x1, y1)
    return np.where(ring > 0, paper / np.maximum(ring, 1), 1.0)


def _edge_slivers(boxes: np.ndarray, bg: np.ndarray, max_aspect: float = 0.1,
                  min_ratio: float = 0.75) -> np.ndarray:
    """Hair-thin boxes ("1"-like) that are really the paper's edge: the background
    estimate beside the box on one side is much darker (below ``min_ratio`` x) than
    on the other (bool (N,)).

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1 in analysis px.
        bg: uint8 (h, w) background estimate.
    """
    sh, sw = bg.shape
    out = np.zeros(len(boxes), bool)
    x0, y0, x1, y1 = (boxes[:, k].astype(int) for k in range(4))
    for i in np.nonzero((x1 - x0) < max_aspect * (y1 - y0))[0]:
        gap = max(2, int(0.2 * (y1[i] - y0[i])))
        xl, xr = x0[i] - gap, x1[i] + gap
        if xl < 0 or xr >= sw:
            continue
        left = float(bg[y0[i]:y1[i], xl].mean())
        right = float(bg[y0[i]:y1[i], xr].mean())
        out[i] = min(left, right) < min_ratio * max(left, right, 1.0)
    return out


def _add_new(boxes: np.ndarray, extra: np.ndarray, sw: int, sh: int) -> np.ndarray:
    """Combine the candidates of two thresholds.

    A box of ``extra`` (the higher threshold) is added when it overlaps no box of
    ``boxes``, or replaces the boxes it overlaps when those touch the frame border
    (a digit that the lower threshold joined to a shadow wedge or the paper's edge).
    """
    if not len(extra) or not len(boxes):
        return extra if not len(boxes) else boxes
    ix = np.minimum(extra[:, None, 2], boxes[None, :, 2]) - np.maximum(extra[:, None, 0], boxes[None, :, 0])
    iy = np.minimum(extra[:, None, 3], boxes[None, :, 3]) - np.maximum(extra[:, None, 1], boxes[None, :, 1])
    hit = (ix > 0) & (iy > 0)  # (n_extra, n_boxes)
    touch = ((boxes[:, 0] <= 0) | (boxes[:, 1] <= 0) | (boxes[:, 2] >= sw) | (boxes[:, 3] >= sh))
    replaced = (hit & touch[None, :]).any(axis=0)
    take = ~hit.any(axis=1) | (hit & touch[None, :]).any(axis=1)
    return np.concatenate([boxes[~replaced], extra[take]])


def group_numbers(
    detections: Sequence[Detection], max_gap: float = 0.8, min_height_ratio: float = 0.5,
) -> list[tuple[str, ROI]]:
    """Group classified digits on the same text line into numbers, left to right.

    Neighbours in a row belong to the same number when the horizontal gap between
    their boxes is at most ``max_gap`` x the taller one's height and their heights
    differ by less than a factor ``1 / min_height_ratio``. A lone digit is a
    one-character number.

    Args:
        detections: classified digit ROIs (any order), labels ``"0"``..``"9"``.
        max_gap: largest gap between digits of one number, fraction of their height.
        min_height_ratio: smallest height ratio of neighbouring digits of one number.

    Returns:
        ``(number string, ROI enclosing its digits)`` in reading order.
    """
    if not detections:
        return []
    rois = [d.roi for d in detections]
    order = reading_order(rois)
    numbers: list[tuple[str, ROI]] = []
    cur: list[int] = []

    def flush() -> None:
        if cur:
            rs = [rois[k] for k in cur]
            x0, y0 = min(r.x for r in rs), min(r.y for r in rs)
            x1, y1 = max(r.x + r.w for r in rs), max(r.y + r.h for r in rs)
            numbers.append(("".join(detections[k].prediction.label for k in cur),
                            ROI(x0, y0, x1 - x0, y1 - y0)))
            cur.clear()

    for i in order:
        r = rois[i]
        if cur:
            p = rois[cur[-1]]
            gap = r.x - (p.x + p.w)
            hmax, hmin = max(p.h, r.h), min(p.h, r.h)
            overlap = min(p.y + p.h, r.y + r.h) - max(p.y, r.y)
            same = (gap <= max_gap * hmax and hmin >= min_height_ratio * hmax
                    and overlap >= 0.5 * hmin and r.x >= p.x)
            if not same:
                flush()
        cur.append(i)
    flush()
    return numbers
