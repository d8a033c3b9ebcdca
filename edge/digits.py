"""Find handwritten digits in a camera frame and group them into numbers.

The stages are those of OpenCV's ``samples/python/digits_video.py`` (threshold ->
contours -> shape filters), made robust for live camera frames:

- the frame is analysed at a fixed small size (``analysis_width``, default 320 px
  on the longer side), so the cost does not grow with the camera's resolution;
  ROIs are scaled back to full-frame pixels for :mod:`edge.preprocess`, which crops
  from the full-resolution image;
- instead of a fixed-block adaptive threshold (which hollows thick marker strokes
  and misses large digits), the paper is estimated by a grey morphological closing
  wider than any pen stroke and divided out ("flat-field"), then Otsu's threshold,
  bounded below by the paper's noise, is applied to the darkness
  (:func:`edge.preprocess.ink_threshold`);
- the paper is told from the desk or the room by its smoothness (8x8-px blocks of
  low flat-fielded darkness, with the digits as holes in it): textured background
  is cleared, nearly black background ignored, and digits must sit on paper;
- thin straight lines (ruled and squared paper) are erased with a probabilistic
  Hough transform where a component is line-sized; a second, higher Otsu level
  then drops what is left of them, and splits digits from a shadow wedge or the
  paper's edge that the first level joined to them;
- outer contours (``RETR_EXTERNAL``: the loops of 0, 6, 8, 9 and specks inside them
  are never separate regions) are filtered against specks, the paper's edge and
  fingers (long contact with the frame border), blobs, odd aspect ratios, "1"-like
  slivers along a background edge, and things much smaller than the digits;
- pieces of one digit (a 5 with a detached bar, a broken stroke) are merged when
  they overlap horizontally and are close vertically;
- ROIs come out in reading order; :func:`group_numbers` joins classified digits on
  the same line into numbers.

Cost: about 1 ms per 640x480 frame on one x86-64 core (``benchmarks/realistic_digits.py time``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from edge.preprocess import (
    POLARITIES,
    Components,
    above,
    ink_components,
    ink_is_light,
    ink_threshold,
    odd,
    second_ink_threshold,
    to_grey,
)
from edge.types import ROI, Detection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigitSegmenterConfig:
    """Settings of :class:`DigitSegmenter`; sizes relative to the frame unless noted.

    Attributes:
        analysis_width: longer side (px) of the grey image that is analysed; frames
            larger than this are downscaled (area interpolation) first.
        min_height: smallest digit height, fraction of the frame height
            (0.03 = 15 px in a 480-px frame).
        max_height: largest digit height, fraction of the frame height.
        min_aspect: smallest width / height of a digit (a "1" is narrow).
        max_aspect: largest width / height of a digit; wider things are lines,
            scribbles or several touching digits.
        min_fill: smallest ink area / box area.
        max_fill: largest ink area / box area for boxes wider than
            ``blob_aspect`` x height (solid blobs: fingers, stickers, holes).
        blob_aspect: see ``max_fill``; narrower boxes (a straight "1") may be full.
        min_area: smallest ink area of a component (analysis px²); less is a speck.
        min_relative_height: digits shorter than this fraction of the tallest
            digit found are dropped (specks, dots, far-away scribbles).
        max_digits: at most this many ROIs (the tallest) are returned.
        max_pieces: at most this many ink components (those with the longest
            outlines) are considered, which bounds the time spent on clutter.
        merge_gap: pieces of one digit may be this far apart vertically
            (fraction of the taller piece's height).
        merge_max_growth: a merge may not make the box taller than this many times
            the taller piece (keeps digits in stacked rows apart) ...
        merge_touch_gap: ... unless the pieces are at most this far apart
            (fraction of the taller one's height): two halves of a broken digit.
        background: closing kernel for the paper estimate, fraction of the
            analysis image's longer side; must exceed the widest pen stroke there.
        line_length: straight thin lines (Hough) within 25 degrees of horizontal and
            at least this long (fraction of the analysis width) are ruled lines
            and erased; 0 disables.
        line_thickness: largest thickness (analysis px) of a removable line.
        vertical_line_length: the same for vertical lines, fraction of the
            analysis height (longer, so a tall thin "1" survives); 0 disables.
        reject_border: drop digits touching the frame border (cut off by it), unless
            nothing else as large is found, so a tightly cropped photo still gives
            its digit.
        max_contact: components whose ink runs along the frame border for more than
            this fraction of the shorter side are the paper's edge, the table or a
            finger, and are dropped before merging.
        min_light: no ink is looked for where the estimated background is darker
            than this fraction of its bright level (95th percentile): a dark desk
            or room, where flat-fielding only amplifies noise. 0 disables.
        paper_contrast: 8x8-px blocks of the analysis image whose mean flat-fielded
            darkness (0..255) exceeds this (or three times that of the cleanest
            blocks, if more) and that are not enclosed by paper are not paper (a
            desk, wood grain, the room): ink statistics ignore them and no digit is
            looked for there. 0 disables.
        texture_contrast: non-paper blocks with a mean darkness below this are
            texture (not a large digit) and are cleared before thresholding.
        min_paper: the paper rule applies only when at least this fraction of the
            frame is paper.
        max_over_noise: if > 0, the frame's Otsu threshold is capped at this multiple
            of its noise floor (finds fainter pencil, at the cost of more clutter);
            0 keeps Otsu's.
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
    max_pieces: int = 128
    merge_gap: float = 0.3
    merge_max_growth: float = 1.5
    merge_touch_gap: float = 0.12
    background: float = 0.2
    line_length: float = 0.25
    line_thickness: int = 2
    vertical_line_length: float = 0.5
    reject_border: bool = True
    max_contact: float = 0.12
    min_light: float = 0.25
    paper_contrast: int = 12
    texture_contrast: int = 48
    min_paper: float = 0.05
    max_over_noise: float = 0.0
    polarity: str = "dark"

    def __post_init__(self) -> None:
        if self.polarity not in POLARITIES:
            raise ValueError(f"polarity must be one of {POLARITIES}, got {self.polarity!r}")
        if self.analysis_width < 32:
            raise ValueError(f"analysis_width must be >= 32 px, got {self.analysis_width}")
        if not 0 < self.min_height < self.max_height <= 1.0:
            raise ValueError("need 0 < min_height < max_height <= 1 (fractions of the frame "
                             f"height), got {self.min_height}, {self.max_height}")


def _root(parent: list[int], a: int) -> int:
    """Union-find root of ``a`` (with path halving)."""
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def _merge_boxes(boxes: np.ndarray, cfg: DigitSegmenterConfig) -> np.ndarray:
    """Union the pieces of one digit.

    Two boxes merge when they overlap horizontally by at least half the narrower
    one, are at most ``merge_gap`` x the taller one's height apart vertically, and
    the union is at most ``merge_max_growth`` x as tall as the taller one (so
    digits in stacked rows stay apart), or 2.2 x when they nearly touch
    (``merge_touch_gap``: the two halves of a digit broken in the middle).
    Repeated until nothing changes.

    Args:
        boxes: float (N, 6) x0, y0, x1, y1, ink area, border contact.

    Returns:
        float (M, 6), M <= N, the same columns (areas and contacts summed).
    """
    for _ in range(4):
        n = len(boxes)
        if n < 2:
            break
        x0, y0, x1, y1 = (boxes[:, k] for k in range(4))
        w, h = x1 - x0, y1 - y0
        ox = np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None])
        gap = np.maximum(y0[:, None], y0[None]) - np.minimum(y1[:, None], y1[None])
        hmax = np.maximum(h[:, None], h[None])
        merged_h = np.maximum(y1[:, None], y1[None]) - np.minimum(y0[:, None], y0[None])
        near = gap <= cfg.merge_touch_gap * hmax  # nearly touching: a digit broken in two
        m = ((ox >= 0.5 * np.minimum(w[:, None], w[None])) & (gap <= cfg.merge_gap * hmax)
             & (merged_h <= np.where(near, 2.2, cfg.merge_max_growth) * hmax))
        ii, jj = np.nonzero(np.triu(m, 1))
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
            np.minimum.reduceat(rows[:, 0], starts), np.minimum.reduceat(rows[:, 1], starts),
            np.maximum.reduceat(rows[:, 2], starts), np.maximum.reduceat(rows[:, 3], starts),
            np.add.reduceat(rows[:, 4], starts), np.add.reduceat(rows[:, 5], starts)])
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
        se = cv2.getStructuringElement(cv2.MORPH_RECT, (odd(cfg.background * max(sh, sw)),) * 2)
        paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, se)
        dark = cv2.bitwise_not(cv2.divide(small, paper, scale=255.0))
        if cfg.min_light > 0:
            # where the background itself is nearly black (a dark desk, the room) the
            # ratio is mostly amplified sensor noise: no ink is looked for there
            sub = paper[::4, ::4].ravel()
            cdf = np.cumsum(np.bincount(sub, minlength=256))
            p95 = int(np.searchsorted(cdf, 0.95 * cdf[-1]))
            _, lit = cv2.threshold(paper, cfg.min_light * p95, 255, cv2.THRESH_BINARY)
            dark = cv2.bitwise_and(dark, lit)
        on_paper, texture = self._paper_mask(dark)
        if texture is not None:  # a desk, wood grain, cloth: no ink is looked for there
            dark = cv2.bitwise_and(dark, cv2.bitwise_not(texture))
        t = ink_threshold(dark, on_paper, on_paper, cfg.max_over_noise)
        pieces, lines_erased = self._pieces(dark, t)
        boxes, trouble = self._digits(pieces, on_paper, paper)
        if lines_erased or trouble:
            # A higher threshold separates dark ink from what the first one let in:
            # printed ruling left behind by the line eraser (then it replaces the
            # first pass), or a shadow wedge or the paper's edge that swallowed a
            # digit (then its new digits are added).
            t2 = second_ink_threshold(dark, t, on_paper)
            if t2 is not None:
                pieces2, _ = self._pieces(dark, t2, lines=lines_erased)
                boxes2, _ = self._digits(pieces2, on_paper, paper)
                boxes = boxes2 if lines_erased else _add_new(boxes, boxes2, sw, sh)
        if not len(boxes) and cfg.reject_border:
            # nothing found: perhaps a tightly cropped photo whose digit runs along
            # the border (the bar of a 7); accept border contact after all
            boxes, _ = self._digits(pieces, on_paper, paper, max_contact=1.0)
        boxes = self._select(boxes, sw, sh)
        sx, sy = W / sw, H / sh
        rois = []
        for x0, y0, x1, y1 in boxes[:, :4]:
            rx0, ry0 = int(np.floor(x0 * sx)), int(np.floor(y0 * sy))
            rx1, ry1 = min(W, int(np.ceil(x1 * sx))), min(H, int(np.ceil(y1 * sy)))
            rois.append(ROI(rx0, ry0, rx1 - rx0, ry1 - ry0))
        return [rois[i] for i in reading_order(rois)]

    def _paper_mask(self, dark: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Which analysis pixels lie on the paper, and which are textured background.

        Paper is smooth once flat-fielded; a desk, wood grain, cloth or a room is not.
        The mean darkness of 8x8-px blocks tells them apart: blocks darker than a few
        times the cleanest ones are not paper, except where such blocks are enclosed
        by paper (the digits themselves). Of the rest, blocks of only moderate
        darkness are texture (a large marker digit running off the frame is darker).

        Returns:
            (uint8 (h, w) paper mask, uint8 (h, w) texture mask; 255 = yes), or
            ``(None, None)`` when less than ``min_paper`` of the frame is paper (then
            all of it counts).
        """
        cfg = self.config
        if cfg.paper_contrast <= 0:
            return None, None
        sh, sw = dark.shape
        bs = 8
        bw, bh = max(1, sw // bs), max(1, sh // bs)
        blocks = cv2.resize(dark, (bw, bh), interpolation=cv2.INTER_AREA)
        cdf = np.cumsum(np.bincount(blocks.ravel(), minlength=256))
        ref = int(np.searchsorted(cdf, 0.2 * cdf[-1]))
        paper = cv2.bitwise_not(above(blocks, max(cfg.paper_contrast, 3 * ref + 6)))
        if np.count_nonzero(paper) < cfg.min_paper * paper.size:
            return None, None
        # non-paper regions not touching the border are holes in the paper: digits
        holes, _ = cv2.findContours(cv2.bitwise_not(paper), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        inner = []
        for c in holes:
            x, y, w, h = cv2.boundingRect(c)
            if x > 0 and y > 0 and x + w < bw and y + h < bh:
                inner.append(c)
        if inner:
            cv2.drawContours(paper, inner, -1, 255, -1)
        paper = cv2.dilate(paper, np.ones((3, 3), np.uint8))  # digits at the paper's edge keep their block
        texture = cv2.bitwise_and(cv2.bitwise_not(paper),
                                  cv2.bitwise_not(above(blocks, cfg.texture_contrast - 1)))
        size = (sw, sh)
        return (cv2.resize(paper, size, interpolation=cv2.INTER_NEAREST),
                cv2.resize(texture, size, interpolation=cv2.INTER_NEAREST))

    def _pieces(self, dark: np.ndarray, t: int, lines: bool = True) -> tuple[np.ndarray, bool]:
        """Ink components at threshold ``t``, ruled lines erased (if ``lines``).

        Returns:
            (float (N, 6) boxes x0, y0, x1, y1, ink area, border contact in analysis
            px; whether ruled lines were erased).
        """
        cfg = self.config
        sh, sw = dark.shape
        mask = above(dark, t)
        comps = Components(mask, cfg.min_area, max_count=cfg.max_pieces)
        clean = mask
        if lines:
            sizes = (int(cfg.line_length * sw), int(cfg.vertical_line_length * sh), cfg.line_thickness)
            clean, comps = ink_components(mask, *sizes, min_box_area=cfg.min_area, comps=comps)
        boxes = np.column_stack([comps.box, comps.area, comps.contact]).reshape(-1, 6)
        return boxes[boxes[:, 4] >= cfg.min_area], clean is not mask

    def _digits(self, pieces: np.ndarray, on_paper: np.ndarray | None, paper: np.ndarray,
                max_contact: float | None = None) -> tuple[np.ndarray, bool]:
        """Digit candidates from ink pieces (see :meth:`_pieces`).

        Returns:
            (float (M, 6) candidate boxes, the same columns; whether a piece was
            dropped as the paper's edge or as too large, which a higher threshold
            may split).
        """
        cfg = self.config
        sh, sw = paper.shape
        w, h, contact = pieces[:, 2] - pieces[:, 0], pieces[:, 3] - pieces[:, 1], pieces[:, 5]
        # the paper's edge, the table, fingers: long contact with the frame border
        max_contact = cfg.max_contact if max_contact is None else max_contact
        keep = (h <= cfg.max_height * sh) & (w <= 0.9 * sw) & (contact <= max_contact * min(sw, sh))
        trouble = bool((~keep & (pieces[:, 4] >= 4 * cfg.min_area)).any())
        boxes = self._candidates(pieces[keep], sw, sh)
        if on_paper is not None and len(boxes):
            boxes = boxes[_paper_around(boxes, on_paper) >= 0.5]
        if len(boxes):
            boxes = boxes[~_edge_slivers(boxes, paper)]
        return boxes, trouble

    def _candidates(self, boxes: np.ndarray, sw: int, sh: int) -> np.ndarray:
        """Merged pieces filtered by size, aspect and ink fill (float (M, 6))."""
        cfg = self.config
        if not len(boxes):
            return boxes
        if len(boxes) > 40:  # keep the merge cheap: the largest pieces
            boxes = boxes[np.argsort(-boxes[:, 4])[:40]]
        boxes = _merge_boxes(boxes, cfg)
        bw, bh, ink = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1], boxes[:, 4]
        fill = ink / np.maximum(bw * bh, 1.0)
        aspect = bw / np.maximum(bh, 1.0)
        ok = ((bh >= cfg.min_height * sh) & (bh <= cfg.max_height * sh)
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
        bh = boxes[:, 3] - boxes[:, 1]
        if cfg.reject_border:
            # digits cut by the frame border are dropped, unless they are the only
            # (or much the largest) candidates: a tightly cropped photo
            touch = ((boxes[:, 0] <= 0) | (boxes[:, 1] <= 0) | (boxes[:, 2] >= sw)
                     | (boxes[:, 3] >= sh))
            if (~touch).any() and bh[~touch].max() >= 0.5 * bh.max():
                boxes, bh = boxes[~touch], bh[~touch]
        boxes = boxes[bh >= cfg.min_relative_height * bh.max()]
        if len(boxes) > cfg.max_digits:
            boxes = boxes[np.argsort(-(boxes[:, 3] - boxes[:, 1]))[:cfg.max_digits]]
        return boxes


def _paper_around(boxes: np.ndarray, on_paper: np.ndarray) -> np.ndarray:
    """Fraction of paper in the ring around each box (the box grown by a quarter of
    its longer side, minus the box), float (N,)."""
    sh, sw = on_paper.shape
    ii = cv2.integral((on_paper > 0).view(np.uint8))

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


def _edge_slivers(boxes: np.ndarray, paper: np.ndarray, max_aspect: float = 0.1,
                  min_ratio: float = 0.75) -> np.ndarray:
    """Hair-thin boxes ("1"-like) that are really the paper's edge: the background
    estimate on one side is much darker than on the other (bool (N,))."""
    sh, sw = paper.shape
    out = np.zeros(len(boxes), bool)
    x0, y0, x1, y1 = (boxes[:, k].astype(int) for k in range(4))
    for i in np.nonzero((x1 - x0) < max_aspect * (y1 - y0))[0]:
        gap = max(2, int(0.2 * (y1[i] - y0[i])))
        xl, xr = x0[i] - gap, x1[i] + gap
        if xl < 0 or xr >= sw:
            continue
        left = float(paper[y0[i]:y1[i], xl].mean())
        right = float(paper[y0[i]:y1[i], xr].mean())
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
