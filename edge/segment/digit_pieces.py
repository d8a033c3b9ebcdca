"""Tables of ink pieces and digit candidates of the digit finder, and the operations on them.

A table is float64 (N, :data:`COLS`), one row per piece or candidate, analysis px:
columns :data:`X0`, :data:`Y0`, :data:`X1`, :data:`Y1` (box, x1/y1 exclusive),
:data:`AREA` (ink px), :data:`CONTACT` (ink px on the frame border), :data:`MX` (sum
of the ink's x, for its centre of mass). Measuring components, the frame-border,
paper-ring tests and the final selection work on these tables; merging
the pieces of one digit is :mod:`edge.segment.digit_merge`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import cv2
import numpy as np

from edge.segment.block_sums import BlockSums
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.faint_marks import ink_peaks
from edge.segment.ink_components import without_isolated
from edge.segment.writing_height import judged_as_writing

#: Columns of a piece / candidate table (float (N, 7), analysis px).
X0, Y0, X1, Y1, AREA, CONTACT, MX = range(7)
#: Number of columns.
COLS = 7
#: Tables up to this many rows are worked on in plain Python: numpy's cost per call
#: (about a microsecond) outweighs the arithmetic on a frame's handful of rows; larger
#: ones (a page's hundreds) as numpy arrays. Both give the same results
#: (``tests/test_digit_tables.py``).
FEW = 12
#: The digit finder drops pieces wider than this share of the frame (the paper, the desk).
MAX_WIDTH = 0.9
#: :func:`measure_components` drops isolated pixels before its contour search when the ink's
#: box covers at least this share of the frame (where noisy frames' specks are: a clean sheet's
#: ink box is smaller, its few specks cost less to trace than the filter).
SPREAD = 0.6


def kept_rows(table: np.ndarray, keep: list[int]) -> np.ndarray:
    """``table[keep]`` for ascending row indices ``keep``: the table itself when every row
    is kept (the same values without numpy's fancy indexing, a few microseconds; tables
    are never changed in place)."""
    return table if len(keep) == len(table) else table[keep]


def select_digits(
    boxes: np.ndarray,
    cfg: DigitSegmenterConfig,
    sw: int,
    sh: int,
    ink: tuple[np.ndarray, np.ndarray] | None = None,
    floor: float = 0.0,
) -> np.ndarray:
    """The digits among the candidates (float (M, 7)) of a ``sw`` x ``sh`` analysis
    image: border and relative-size rules.

    A candidate under ``cfg.min_relative_height`` x the tallest one's height is dropped (a
    speck, a fragment beside the writing). With ``ink``, one that is writing (at least
    ``floor`` px tall, and as dark as the writing or as wide as a digit) is judged by the tallest
    writing instead (:func:`edge.segment.writing_height.judged_as_writing`): a shadow band, a
    cable or an edge on the desk, taller than the digits but fainter, no longer drops them.

    Args:
        boxes: float (M, 7) candidates, analysis px.
        cfg: the segmenter's settings (``reject_border``, ``min_relative_height``).
        sw, sh: the analysis image's width and height (px).
        ink: uint8 (sh, sw) darkness (0 paper .. 255 black) and ink threshold, for the
            candidates' ink peaks (:func:`edge.segment.faint_marks.ink_peaks`); ``None``: every
            candidate is judged by the tallest.
        floor: height (analysis px) from which a candidate may be writing.

    Returns:
        float (N, 7): the rows of ``boxes`` kept, in order.
    """
    # digits cut by the frame border are dropped (``reject_border``), unless they are
    # the only (or much the largest) candidates: a tightly cropped photo
    if not len(boxes):
        return boxes
    if len(boxes) <= FEW:  # plain Python
        rows = boxes[:, :4].tolist()
        bh = [y1 - y0 for _, y0, _, y1 in rows]
        keep: range | list[int] = range(len(rows))
        if cfg.reject_border:
            inner = [
                i for i, (x0, y0, x1, y1) in enumerate(rows) if x0 > 0 and y0 > 0 and x1 < sw and y1 < sh
            ]
            if inner and max(bh[i] for i in inner) >= 0.5 * max(bh):
                keep = inner
        low = cfg.min_relative_height * max(bh[i] for i in keep)
        if ink is None or all(bh[i] >= low or bh[i] < floor for i in keep):  # (the common case)
            return kept_rows(boxes, [i for i in keep if bh[i] >= low])
        keep = list(keep)
        boxes = kept_rows(boxes, keep)
        bh = [bh[i] for i in keep]
        widths = boxes[:, X1] - boxes[:, X0]
        peaks = ink_peaks(boxes, *ink)[:, 0]
        ok = judged_as_writing(np.array(bh), widths, peaks, floor, cfg.min_relative_height).tolist()
        return kept_rows(boxes, [i for i, h in enumerate(bh) if h >= low or ok[i]])
    bh = boxes[:, Y1] - boxes[:, Y0]
    if cfg.reject_border:
        touch = (boxes[:, X0] <= 0) | (boxes[:, Y0] <= 0) | (boxes[:, X1] >= sw) | (boxes[:, Y1] >= sh)
        if (~touch).any() and bh[~touch].max() >= 0.5 * bh.max():
            boxes, bh = boxes[~touch], bh[~touch]
    short = bh < cfg.min_relative_height * bh.max()
    if ink is not None and (short & (bh >= floor)).any():
        bw, peaks = boxes[:, X1] - boxes[:, X0], ink_peaks(boxes, *ink)[:, 0]
        short &= ~judged_as_writing(bh, bw, peaks, floor, cfg.min_relative_height)
    return boxes[~short]


def frame_pieces(
    pieces: np.ndarray,
    sw: int,
    sh: int,
    max_contact: float,
    max_height: float,
    max_width: float,
    min_dropped: float,
) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """The pieces that may be (part of) a digit rather than the paper's edge, the table
    or a finger: at most ``max_height`` x ``sh`` tall and ``max_width`` x ``sw`` wide,
    and touching the frame's border for at most ``max_contact`` x its shorter side and
    at most 1.2 x the piece's own longer side (more is a corner of the frame, a shadow).

    Args:
        pieces: float (N, 7) pieces of a ``sw`` x ``sh`` analysis image.
        min_dropped: the ink (px) from which a dropped piece counts for the region.

    Returns:
        (float (M, 7) the pieces kept; the box x0, y0, x1, y1 (analysis px) around the
        dropped pieces with at least ``min_dropped`` px of ink, or ``None``).
    """
    limit = max_contact * min(sw, sh)
    if len(pieces) <= FEW:  # the same tests in plain Python
        keep, dropped = [], []
        for i, (x0, y0, x1, y1, ink, c, _) in enumerate(pieces.tolist()):
            if (
                y1 - y0 <= max_height * sh
                and x1 - x0 <= max_width * sw
                and c <= limit
                and c <= 1.2 * max(x1 - x0, y1 - y0)
            ):
                keep.append(i)
            elif ink >= min_dropped:
                dropped.append((x0, y0, x1, y1))
        region = None
        if dropped:
            x0s, y0s, x1s, y1s = zip(*dropped, strict=True)
            region = (int(min(x0s)), int(min(y0s)), int(max(x1s)), int(max(y1s)))
        return kept_rows(pieces, keep), region
    w, h, contact = pieces[:, X1] - pieces[:, X0], pieces[:, Y1] - pieces[:, Y0], pieces[:, CONTACT]
    ok = (
        (h <= max_height * sh)
        & (w <= max_width * sw)
        & (contact <= limit)
        & (contact <= 1.2 * np.maximum(w, h))
    )
    out = pieces[~ok & (pieces[:, AREA] >= min_dropped)]
    if not len(out):
        return pieces[ok], None
    return pieces[ok], (
        int(out[:, X0].min()),
        int(out[:, Y0].min()),
        int(out[:, X1].max()),
        int(out[:, Y1].max()),
    )


def line_sized(pieces: np.ndarray, h_len: int, v_len: int) -> np.ndarray | None:
    """Which pieces are as long as a ruled line: at least ``h_len`` px wide or ``v_len``
    px tall (0: that direction is not looked at); bool (N,), or ``None`` for none.

    Args:
        pieces: float (N, 7) pieces.
    """
    if len(pieces) <= FEW:  # the same test in plain Python
        big = [
            (h_len > 0 and x1 - x0 >= h_len) or (v_len > 0 and y1 - y0 >= v_len)
            for x0, y0, x1, y1 in pieces[:, :4].tolist()
        ]
        return np.array(big, bool) if any(big) else None
    w, h = pieces[:, X1] - pieces[:, X0], pieces[:, Y1] - pieces[:, Y0]
    out = np.zeros(len(pieces), bool)
    if h_len > 0:
        out |= w >= h_len
    if v_len > 0:
        out |= h >= v_len
    return out if out.any() else None


#: Boxes up to this width and height (px) are measured with an x ramp (:func:`box_ink`).
RAMP = 256


@functools.lru_cache(maxsize=1)
def _x_ramp() -> np.ndarray:
    """float32 (:data:`RAMP`, :data:`RAMP`): each pixel's x (read only)."""
    ramp = np.empty((RAMP, RAMP), np.float32)
    ramp[:] = np.arange(RAMP, dtype=np.float32)
    ramp.flags.writeable = False
    return ramp


def box_ink(mask: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int]:
    """Ink pixels in a box of a mask and the sum of their x (relative to the box), what
    ``cv2.moments(..., binaryImage=True)`` gives as m00 and m10.

    Up to :data:`RAMP` px: ``cv2.countNonZero`` and the masked mean of an x ramp (the
    mean times the count, rounded: the sum is a whole number well within float64's
    exact range), about twice as fast as ``cv2.moments`` (which computes all ten
    moments and a dict); larger boxes with ``cv2.moments``.

    Args:
        mask: uint8 (h, w), nonzero = ink.
        box: x, y, width, height (px) inside ``mask``.
    """
    x, y, bw, bh = box
    sub = mask[y : y + bh, x : x + bw]
    if bw > RAMP or bh > RAMP:
        m = cv2.moments(sub, binaryImage=True)
        return int(m["m00"]), int(m["m10"])
    ink = cv2.countNonZero(sub)
    return ink, round(cv2.mean(_x_ramp()[:bh, :bw], mask=sub)[0] * ink)


def measure_components(
    mask: np.ndarray,
    min_area: int,
    max_count: int,
    origin: tuple[int, int] = (0, 0),
    frame: tuple[int, int] | None = None,
    stop_at: int = 0,
) -> tuple[np.ndarray | None, list[np.ndarray], int, Callable[[], np.ndarray]]:
    """Outer connected components of an ink mask, measured.

    ``cv2.findContours`` (``RETR_EXTERNAL``: the loops of 0, 6, 8, 9 and specks
    inside them belong to the digit around them) gives the outlines and
    ``cv2.boundingRect`` their boxes, so specks (box smaller than ``min_area``) are
    dropped before any other per-component work; single-pixel specks even before the
    contour search when the ink's box covers :data:`SPREAD` of the frame or more
    (:func:`~edge.segment.ink_components.without_isolated`: the same outlines, in the same
    order). Of the rest, the ``max_count``
    largest boxes are measured inside their box: ink area and centre of mass
    (:func:`box_ink`; ink of other components reaching into the box counts too) and
    ink pixels on the frame's border.

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
    # single-pixel specks (a box of 1 px²), when they are specks here, are dropped before the
    # contour search where they may be many: ink spread over most of the frame (noise on a
    # shadowed desk); the other outlines are the same, in the same order
    spread = h * w >= SPREAD * fw * fh
    outer = without_isolated(mask) if min_area > 1 and spread else mask
    cs, _ = cv2.findContours(outer, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    # one boundingRect per outline beats a vectorised min / max over all the points
    # (concatenating them costs more), for a few outlines and for thousands
    rects = [cv2.boundingRect(c) for c in cs]
    ids = [i for i, r in enumerate(rects) if r[2] * r[3] >= min_area]
    count = len(ids)
    if count > max_count:  # clutter: the largest only
        box_area = np.array([rects[i][2] * rects[i][3] for i in ids])
        ids = np.sort(np.array(ids)[np.argpartition(-box_area, max_count)[:max_count]]).tolist()
    left, right, top, bottom = ox == 0, ox + w == fw, oy == 0, oy + h == fh

    def measure() -> np.ndarray:
        rows = []
        for i in ids:
            x0, y0, bw, bh = rects[i]
            x1, y1 = x0 + bw, y0 + bh
            ink, sx = box_ink(mask, (x0, y0, bw, bh))
            contact = 0
            if left and x0 == 0:
                contact += cv2.countNonZero(mask[y0:y1, 0])
            if right and x1 == w:
                contact += cv2.countNonZero(mask[y0:y1, w - 1])
            if top and y0 == 0:
                contact += cv2.countNonZero(mask[0, x0:x1])
            if bottom and y1 == h:
                contact += cv2.countNonZero(mask[h - 1, x0:x1])
            rows.append((x0 + ox, y0 + oy, x1 + ox, y1 + oy, ink, contact, sx + (x0 + ox) * ink))
        return np.array(rows, np.float64).reshape(-1, COLS)

    outlines = [cs[i] for i in ids]
    if 0 < stop_at <= count:
        return None, outlines, count, measure
    return measure(), outlines, count, measure


def paper_around(boxes: np.ndarray, around: BlockSums) -> np.ndarray:
    """Fraction of paper in the ring around each box (the box grown by a quarter of
    its longer side, minus the box), float (N,).

    Args:
        boxes: float (N, >= 4) x0, y0, x1, y1 (analysis px).
        around: box sums of the paper mask (1 = paper) at the analysis size
            (:class:`edge.segment.block_sums.BlockSums`).
    """
    sw, sh = around.size
    n = len(boxes)
    if n <= FEW:  # the same corners and sums in plain Python, one prefix call
        cx: list[int] = []
        cy: list[int] = []
        ring = []
        for x0, y0, x1, y1 in boxes[:, :4].astype(int).tolist():
            w, h = x1 - x0, y1 - y0
            e = int(0.25 * (h if h > w else w)) + 1
            # the grown box's and the box's corners, clipped to the image (whole numbers: min(max(v,
            # 0), side) written out, the same values, in a loop run for every candidate)
            gx0, gx1, gy0, gy1 = x0 - e, x1 + e, y0 - e, y1 + e
            gx0 = 0 if gx0 < 0 else (sw if gx0 > sw else gx0)
            gx1 = 0 if gx1 < 0 else (sw if gx1 > sw else gx1)
            gy0 = 0 if gy0 < 0 else (sh if gy0 > sh else gy0)
            gy1 = 0 if gy1 < 0 else (sh if gy1 > sh else gy1)
            bx0 = 0 if x0 < 0 else (sw if x0 > sw else x0)
            bx1 = 0 if x1 < 0 else (sw if x1 > sw else x1)
            by0 = 0 if y0 < 0 else (sh if y0 > sh else y0)
            by1 = 0 if y1 < 0 else (sh if y1 > sh else y1)
            cx += (gx1, gx1, gx0, gx0, bx1, bx1, bx0, bx0)
            cy += (gy1, gy0, gy1, gy0, by1, by0, by1, by0)
            ring.append((gx1 - gx0) * (gy1 - gy0) - (bx1 - bx0) * (by1 - by0))
        p = around.prefix(np.array(cx, np.intp), np.array(cy, np.intp)).tolist()
        out = []
        for k, r in enumerate(ring):
            a0, a1, a2, a3, a4, a5, a6, a7 = p[8 * k : 8 * k + 8]
            # (r > 0: r is its own max(r, 1))
            out.append(((a0 - a1 - a2 + a3) - (a4 - a5 - a6 + a7)) / r if r > 0 else 1.0)
        return np.array(out, np.float64)
    x0, y0, x1, y1 = boxes[:, :4].astype(int).T
    e = (0.25 * np.maximum(x1 - x0, y1 - y0)).astype(int) + 1
    # the grown box's and the box's corners, clipped to the image: (8, N) x and y
    xs = np.minimum(np.maximum(np.stack([x0 - e, x1 + e, x0, x1]), 0), sw)
    ys = np.minimum(np.maximum(np.stack([y0 - e, y1 + e, y0, y1]), 0), sh)
    cxs = np.concatenate([xs[1], xs[1], xs[0], xs[0], xs[3], xs[3], xs[2], xs[2]])
    cys = np.concatenate([ys[1], ys[0], ys[1], ys[0], ys[3], ys[2], ys[3], ys[2]])
    ps = around.prefix(cxs, cys).reshape(8, n)
    paper = (ps[0] - ps[1] - ps[2] + ps[3]) - (ps[4] - ps[5] - ps[6] + ps[7])
    rings = (xs[1] - xs[0]) * (ys[1] - ys[0]) - (xs[3] - xs[2]) * (ys[3] - ys[2])
    return np.where(rings > 0, paper / np.maximum(rings, 1), 1.0)


def add_new_boxes(boxes: np.ndarray, extra: np.ndarray, sw: int, sh: int) -> np.ndarray:
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
    touch = (boxes[:, 0] <= 0) | (boxes[:, 1] <= 0) | (boxes[:, 2] >= sw) | (boxes[:, 3] >= sh)
    replaced = (hit & touch[None, :]).any(axis=0)
    take = ~hit.any(axis=1) | (hit & touch[None, :]).any(axis=1)
    return np.concatenate([boxes[~replaced], extra[take]])
