"""Find handwritten digits in a camera frame and group them into numbers.

The stages are those of OpenCV's ``samples/python/digits_video.py`` (threshold ->
contours -> shape filters), made robust for live camera frames:

- the frame is analysed at a fixed small size (``analysis_width``, default 320 px
  on the longer side), so the cost does not grow with the camera's resolution;
  ROIs are scaled back to full-frame pixels for :mod:`edge.preprocess`, which crops
  from the full-resolution image;
- instead of a fixed-block adaptive threshold (which hollows thick marker strokes
  and misses large digits), the paper is estimated by a grey morphological closing
  wider than any pen stroke and divided out ("flat-field"), then Otsu's threshold
  is applied (:func:`edge.preprocess.darkness`, :func:`edge.preprocess.ink_threshold`);
- thin straight ruled lines are removed before the components are labelled;
- connected components (not contours, so the holes of 0, 6, 8, 9 are never
  separate regions) are filtered against specks, the paper's edge and whatever
  touches the frame border, blobs, and things much smaller than the digits;
- pieces of one digit (a 5 with a detached bar, a broken stroke, a speck inside a
  loop) are merged when they overlap horizontally and are close vertically;
- ROIs come out in reading order; :func:`group_numbers` joins classified digits on
  the same line into numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from edge.preprocess import POLARITIES, darkness, ink_components, ink_is_light, ink_threshold, odd, to_grey
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
        merge_gap: pieces of one digit may be this far apart vertically
            (fraction of the taller piece's height).
        merge_max_growth: a merge may not make the box taller than this many times
            the taller piece (keeps digits in stacked rows apart).
        background: closing kernel for the paper estimate, fraction of the
            analysis image's longer side; must exceed the widest pen stroke there.
        line_length: horizontal runs at least this long (fraction of the analysis
            width) and thin are ruled lines and removed; 0 disables.
        line_thickness: largest thickness (analysis px) of a removable line.
        vertical_line_length: the same for vertical lines, fraction of the
            analysis height (longer, so a tall thin "1" survives); 0 disables.
        reject_border: drop digits touching the frame border (cut off by it), unless
            nothing else as large is found, so a tightly cropped photo still gives
            its digit.
        max_contact: components whose ink runs along the frame border for more than
            this fraction of the shorter side are the paper's edge, the table or a
            finger, and are dropped before merging.
        polarity: ``"dark"`` ink on light paper, ``"light"`` ink on a dark ground,
            or ``"auto"`` (guessed per frame).
    """

    analysis_width: int = 320
    min_height: float = 0.028
    max_height: float = 0.95
    min_aspect: float = 0.05
    max_aspect: float = 1.6
    min_fill: float = 0.02
    max_fill: float = 0.75
    blob_aspect: float = 0.5
    min_area: int = 5
    min_relative_height: float = 0.4
    max_digits: int = 12
    merge_gap: float = 0.3
    merge_max_growth: float = 1.5
    background: float = 0.2
    line_length: float = 0.25
    line_thickness: int = 2
    vertical_line_length: float = 0.5
    reject_border: bool = True
    max_contact: float = 0.12
    polarity: str = "dark"

    def __post_init__(self) -> None:
        if self.polarity not in POLARITIES:
            raise ValueError(f"polarity must be one of {POLARITIES}, got {self.polarity!r}")
        if self.analysis_width < 32:
            raise ValueError(f"analysis_width must be >= 32 px, got {self.analysis_width}")
        if not 0 < self.min_height < self.max_height <= 1.0:
            raise ValueError("need 0 < min_height < max_height <= 1 (fractions of the frame "
                             f"height), got {self.min_height}, {self.max_height}")


def _merge_boxes(boxes: np.ndarray, cfg: DigitSegmenterConfig) -> np.ndarray:
    """Union the pieces of one digit.

    Two boxes merge when they overlap horizontally by at least half the narrower
    one, are at most ``merge_gap`` x the taller one's height apart vertically, and
    the union is at most ``merge_max_growth`` x as tall as the taller one (so
    digits in stacked rows stay apart). Repeated until nothing changes.

    Args:
        boxes: float (N, 6) x0, y0, x1, y1, ink area, border contact.

    Returns:
        float (M, 6), M <= N, the same columns (areas and contacts summed).
    """
    for _ in range(8):
        n = len(boxes)
        if n < 2:
            break
        x0, y0, x1, y1 = (boxes[:, k] for k in range(4))
        w, h = x1 - x0, y1 - y0
        ox = np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None])
        gap = np.maximum(y0[:, None], y0[None]) - np.minimum(y1[:, None], y1[None])
        hmax = np.maximum(h[:, None], h[None])
        merged_h = np.maximum(y1[:, None], y1[None]) - np.minimum(y0[:, None], y0[None])
        m = ((ox >= 0.5 * np.minimum(w[:, None], w[None])) & (gap <= cfg.merge_gap * hmax)
             & (merged_h <= cfg.merge_max_growth * hmax))
        np.fill_diagonal(m, False)
        if not m.any():
            break
        # connected groups of the merge graph (n is small)
        group = np.arange(n)
        for _ in range(n):
            g = np.where(m, group[None, :], n).min(axis=1)
            new = np.minimum(group, g)
            new = new[new]
            if np.array_equal(new, group):
                break
            group = new
        out = []
        for g in np.unique(group):
            b = boxes[group == g]
            out.append([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max(),
                        b[:, 4].sum(), b[:, 5].sum()])
        boxes = np.asarray(out, np.float64)
    return boxes


def reading_order(rois: Sequence[ROI]) -> list[int]:
    """Indices of ``rois`` in reading order: rows top to bottom, left to right in a row.

    A box joins a row when its vertical centre lies within the row's vertical span.
    """
    order = sorted(range(len(rois)), key=lambda i: rois[i].center[1])
    rows: list[list[int]] = []
    spans: list[list[float]] = []
    for i in order:
        r = rois[i]
        cy = r.center[1]
        for row, span in zip(rows, spans, strict=True):
            if span[0] <= cy <= span[1]:
                row.append(i)
                break
        else:
            rows.append([i])
            spans.append([r.y, r.y + r.h])
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
        dark = darkness(small, odd(cfg.background * max(sh, sw)))
        mask = cv2.compare(dark, ink_threshold(dark), cv2.CMP_GT)
        _, comps = ink_components(mask, int(cfg.line_length * sw), int(cfg.vertical_line_length * sh),
                                  cfg.line_thickness, min_box_area=cfg.min_area)
        if not len(comps):
            return []
        boxes = np.column_stack([comps.box, comps.area, comps.contact])
        boxes = boxes[boxes[:, 4] >= cfg.min_area]
        boxes = self._candidates(boxes, sw, sh)
        sx, sy = W / sw, H / sh
        rois = []
        for x0, y0, x1, y1 in boxes[:, :4]:
            rx0, ry0 = int(np.floor(x0 * sx)), int(np.floor(y0 * sy))
            rx1, ry1 = min(W, int(np.ceil(x1 * sx))), min(H, int(np.ceil(y1 * sy)))
            rois.append(ROI(rx0, ry0, rx1 - rx0, ry1 - ry0))
        return [rois[i] for i in reading_order(rois)]

    def _candidates(self, boxes: np.ndarray, sw: int, sh: int) -> np.ndarray:
        """Filtered, merged digit boxes.

        Args:
            boxes: float (N, 6) x0, y0, x1, y1, ink area, border contact (analysis px).
            sw, sh: analysis image width and height.

        Returns:
            float (M, 6), the same columns.
        """
        cfg = self.config
        if not len(boxes):
            return boxes
        w, h, contact = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1], boxes[:, 5]
        # the paper's edge, the table, fingers: long contact with the frame border
        keep = (h <= cfg.max_height * sh) & (w <= 0.9 * sw) & (contact <= cfg.max_contact * min(sw, sh))
        boxes = boxes[keep]
        if len(boxes) > 64:  # keep the merge cheap: the largest pieces
            boxes = boxes[np.argsort(-boxes[:, 4])[:64]]
        boxes = _merge_boxes(boxes, cfg)
        bw, bh, ink = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1], boxes[:, 4]
        fill = ink / np.maximum(bw * bh, 1.0)
        aspect = bw / np.maximum(bh, 1.0)
        ok = ((bh >= cfg.min_height * sh) & (bh <= cfg.max_height * sh)
              & (aspect >= cfg.min_aspect) & (aspect <= cfg.max_aspect)
              & (fill >= cfg.min_fill)
              & ~((fill > cfg.max_fill) & (aspect > cfg.blob_aspect)))
        boxes = boxes[ok]
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
