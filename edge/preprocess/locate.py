"""Find the single digit in a loose crop (``edge-eval --crop``): its ROI.

The most prominent ink component, not running along the border as a paper edge or
shadow does, grown by its nearby pieces that do not touch the border.

The paper is estimated on the crop extended by edge replication: estimated on the crop
alone, light falling off towards the border (vignetting, a shadow) left a band of false
darkness along it that joined a desk corner or a shadow into one dark region, which took
Otsu's level above mid-grey pencil ink (no digit found, a blank model input read as "1")
or pulled the digit's box out to the border. On the 2 x 1,000 loose crops of
``benchmarks/realistic_digits.py generate --seed 21`` / ``--seed 22`` (``edge-eval --crop
--polarity dark``): no crop without a digit found (14 and 10 before), read 98.5% / 97.3%
(97.2% / 96.0% before).

A flat first piece (a 5's or a 7's bar) stands for a digit at least its width /
:data:`PIECE_ASPECT` tall when the pieces near it are grown in, and the grown digit may be
:data:`GROW_ASPECT` times as wide as tall; a component that touches the border and spans
most of the crop (a ruled line too thick to erase, with the digit it crosses) scores half.
With these and :func:`edge.preprocess.digit_ink.digit_ramp` following the paper up to the
crop's border the same way, the same crops read 98.6% / 98.0% (``--polarity dark``) and
98.4% / 97.7% with no flags (98.3% / 96.9% before).

A ruled or squared paper line that the thin-ink search cannot erase (in a small crop brought up
to :data:`LOCATE_SIZE` it is as wide as the pencil strokes) and that still joins the digit into
a component spanning the crop is erased by :func:`edge.preprocess.thick_lines.erase_thick_lines`
(straight runs across the crop): the same crops with no flags 98.6% / 97.8%.

A loose crop is cut around its one digit, so the digit is not much smaller than the crop: the
pieces near the first one are grown in as if the digit were at least :data:`MIN_DIGIT_SHARE` of
the crop's shorter side tall. Before, a small first piece (one dot of a pen that skipped along a
thin stroke, a 6's loop whose stem the threshold cut off, the half of a 3 outside a shadow) kept
its neighbours out and was read alone. Loose crops of ``realistic_digits.py generate`` misread
(with :mod:`edge.preprocess.loose_ink`), seeds 21 / 23 / 2191 to develop: 14 / 32 / 49 -> 14 / 32 /
46; seeds 22 / 2192 to check: 20 / 50 -> 20 / 47; none read right before misread now.

A part of the digit that a ruled line thinner than the pen's strokes joins to the crop's border (a
5's top on the line above it, a 4's first stroke on a line running out of the crop) was one
component with the line, taken for a paper edge's rim and left out; it is freed from the line by
an opening (:func:`freed_pieces`) and grown in. Loose crops of seeds 21 / 22 / 23 (4,000; with the
still views, as ``edge-eval --crop`` reads) misread 39 -> 36 (8 / 10 / 21 -> 7 / 10 / 19): the
located box changed on 4 of them, 2 now whole (a 4, a 5), 1 a little wider and read right by chance
(a 7 still half lost), 1 read right before and after; on none of the 4,000 crops of seeds 31 and 35
generated to check (27 and 22 misread, the same). The misread crops of seeds 21-23 before: 23 read wrong
from a faithful input (11 of their MNIST / OpenCV sources misread clean too), 16 preprocessing
errors, all pencil digits: 7 with part of the ink left out (6 by the box), 6 with a ruled line,
the grid or a shadow kept as ink, 3 tiny and noisy.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.preprocess.thick_lines import any_spanning, erase_thick_lines
from edge.segment.ink import above, darkness, ink_threshold, odd, second_ink_threshold, square
from edge.segment.ink_components import Components, ink_components
from edge.types import ROI

#: Longer side (px) a crop is brought to before the digit is looked for.
LOCATE_SIZE = 160
#: A piece's height as it is grown into the digit is taken as at least its width / this: a flat
#: piece (a 7's or a 5's bar, found first) is only the top of a digit about as tall as it is wide.
PIECE_ASPECT = 1.3
#: Widest box the grown digit may have, as width / height (perspective and a long bar make a 5
#: or a 7 up to about twice as wide as tall; the neighbours' strokes touch the border).
GROW_ASPECT = 2.0
#: A loose crop is cut around its digit: the digit's pieces are grown in as if it were at least
#: this share of the crop's shorter side tall (a dotted stroke, a detached stem or a part in a
#: shadow is not left out because the first piece found is small).
MIN_DIGIT_SHARE = 0.4
#: A part of the digit joined to the border by a ruled line is freed from the line by an opening
#: of this share of the digit's stroke width (:func:`freed_pieces`).
FREE_SHARE = 0.6
#: ... when at least this share of the ink the opening removes lies along one straight line.
STRAIGHT_SHARE = 0.8


def _locate_at(dark: np.ndarray, t: int, line_px: int) -> tuple[float, tuple[float, ...] | None]:
    """Best digit box (x0, y0, x1, y1) in ``dark`` at threshold ``t`` and its score."""
    sh, sw = dark.shape
    mask = above(dark, t)
    min_box = max(4.0, 5e-4 * sw * sh)
    mask, comps = ink_components(mask, int(0.8 * sw), int(0.8 * sh), line_px, min_box_area=min_box)
    cleaned = None
    # a line too thick for the thin-ink search, across the crop?
    if any_spanning(comps, (sh, sw), int(0.8 * sw), int(0.8 * sh)):
        cleaned = erase_thick_lines(mask, int(0.8 * sw), int(0.8 * sh), 2 * line_px)
        if cleaned is not mask:
            comps = Components(cleaned, min_box)
    if not len(comps):
        return -1.0, None
    return _best_digit(comps, mask if cleaned is None else cleaned, (sh, sw))


def _best_digit(
    comps: Components, mask: np.ndarray, shape: tuple[int, int]
) -> tuple[float, tuple[float, ...] | None]:
    """:func:`_locate_at`'s choice among the components ``comps`` of ``mask`` (uint8 (sh, sw))."""
    sh, sw = shape
    x0s, y0s, x1s, y1s = comps.box.T
    bw, bh, area, contact = comps.width, comps.height, comps.area, comps.contact
    # paper edges, table corners and shadows run along the border; a tightly
    # cropped digit only touches it with a stroke end
    keep = (contact <= 0.2 * max(sw, sh)) & (area >= max(4.0, 5e-4 * sw * sh))
    if not keep.any():
        return -1.0, None
    cx, cy = (x0s + x1s) / 2, (y0s + y1s) / 2
    dist = np.hypot((cx - sw / 2) / sw, (cy - sh / 2) / sh)  # 0 centre .. ~0.7 corner
    touches = contact > 0
    solid = _solid(area, bw, bh, max(sw, sh))
    # a ruled line too thick or blurred to be erased runs from the border across the crop,
    # taking the digit it crosses with it: the digit alone (at the higher threshold) wins
    spans = touches & ((bw >= 0.8 * sw) | (bh >= 0.8 * sh))
    score = (
        np.sqrt(area)
        * (1.2 - dist)
        * np.where(touches, 0.5, 1.0)
        * np.where(solid, 0.3, 1.0)
        * np.where(spans, 0.5, 1.0)
    )
    score[~keep] = -1
    best = int(np.argmax(score))
    joined = keep & touches
    joined[best] = False
    if joined.any():  # parts of the digit a ruled line joins to the border, freed from it
        min_box = max(4.0, 5e-4 * sw * sh)  # (as _locate_at's components)
        freed = freed_pieces(mask, comps, best, joined, min_box)
        x0s, y0s, x1s, y1s = (np.concatenate([v, freed[:, i]]) for i, v in enumerate((x0s, y0s, x1s, y1s)))
        area = np.concatenate([area, freed[:, 4]])
        fw, fh = freed[:, 2] - freed[:, 0], freed[:, 3] - freed[:, 1]
        keep = np.concatenate([keep, freed[:, 4] >= min_box])
        solid = np.concatenate([solid, _solid(freed[:, 4], fw, fh, max(sw, sh))])
        touches = np.concatenate([touches, np.zeros(len(freed), bool)])
    x0, y0, x1, y1 = comps.box[best]
    chosen = np.zeros(len(x0s), bool)
    chosen[best] = True
    total = area[best]
    # grow by nearby components of the same digit (there is only one in a crop); a
    # detached piece touching the border is not one: the rim of a paper edge or shadow
    # (ink noise where the ground is dark) or a neighbour's stroke
    for _ in range(4):
        # the digit is at least this tall: a flat piece (a 7's or a 5's bar) is only its top
        # and a loose crop is cut around its digit: it is not much smaller than the crop
        hgt = max(y1 - y0, (x1 - x0) / PIECE_ASPECT, 1.0, MIN_DIGIT_SHARE * min(sw, sh))
        gx = np.maximum(0, np.maximum(x0s - x1, x0 - x1s))
        gy = np.maximum(0, np.maximum(y0s - y1, y0 - y1s))
        nx0, ny0 = np.minimum(x0s, x0), np.minimum(y0s, y0)
        nx1, ny1 = np.maximum(x1s, x1), np.maximum(y1s, y1)
        near = (
            keep
            & ~chosen
            & (gx <= 0.2 * hgt)
            & (gy <= 0.35 * hgt)
            & (area >= 0.03 * total)
            & (ny1 - ny0 <= 2.2 * hgt)
            & ((nx1 - nx0) <= GROW_ASPECT * np.maximum(ny1 - ny0, 1.0))
            & ~solid
            & ~touches
        )
        if not near.any():
            break
        chosen |= near
        total = area[chosen].sum()
        x0, y0 = x0s[chosen].min(), y0s[chosen].min()
        x1, y1 = x1s[chosen].max(), y1s[chosen].max()
    return float(score[best]), (x0, y0, x1, y1)


def _solid(area: np.ndarray, bw: np.ndarray, bh: np.ndarray, side: float) -> np.ndarray:
    """bool: which boxes (float ink ``area`` px², width ``bw`` and height ``bh`` px) are solid
    blobs: more than 0.7 of the box inked, and both sides over 0.2 of the crop's longer ``side``."""
    return (area / np.maximum(bw * bh, 1) > 0.7) & (np.minimum(bw, bh) > 0.2 * side)


def freed_pieces(
    mask: np.ndarray, comps: Components, best: int, joined: np.ndarray, min_box: float
) -> np.ndarray:
    """The parts of the digit that ruled lines join to the border, freed from the lines.

    A part of the digit that a ruled line (thinner than the pen's strokes) joins to the crop's
    border is one component with the line: taken for a paper edge or a shadow's rim, it was not
    grown into the digit (a 5's top on the line above it, a 4's stem on the line below). Each of
    the ``joined`` components is opened by a square of :data:`FREE_SHARE` times the stroke width of
    the first piece found (twice its ink over its outline pixels): when what the opening removes
    lies along one straight line (:data:`STRAIGHT_SHARE` of it within the square's side of the
    line fitted to it) and the component meets each border with no more than two lines'
    thickness (a paper edge or a shadow's rim runs along the border, and its ragged band is not
    straight), the pieces left that do not touch the border and do not themselves lie along
    that line (a darker stretch of the line) are the digit's.

    Args:
        mask: uint8 (H, W) ink mask (255) that ``comps`` were found in.
        comps: its components.
        best: index of the digit's first piece in ``comps``.
        joined: bool (N,): the components to free pieces from (those touching the border).
        min_box: pieces with a smaller box (px²) are dropped.

    Returns:
        float64 (M, 5): each piece's x0, y0, x1, y1 (px, x1/y1 exclusive) and ink pixels (px²);
        M = 0 when nothing is freed (most crops, and strokes too thin to tell from a line).
    """
    digit, _ = _own_ink(mask, comps, best, 1)
    n = cv2.countNonZero(digit)
    rim = n - cv2.countNonZero(cv2.erode(digit, square(3)))
    k = int(round(FREE_SHARE * 2 * n / max(rim, 1)))
    out: list[tuple[float, ...]] = []
    h, w = mask.shape
    for i in np.nonzero(joined)[0] if k >= 3 else ():
        ink, (ox, oy) = _own_ink(mask, comps, int(i), k)
        x0, y0, x1, y1 = (int(v) for v in comps.box[i])
        edges = (
            [ink[:, 0]] * (x0 == 0) + [ink[0]] * (y0 == 0) + [ink[:, -1]] * (x1 == w) + [ink[-1]] * (y1 == h)
        )
        if max((cv2.countNonZero(v) for v in edges), default=0) > 2 * k:
            continue  # runs along the border: a paper edge or a shadow's rim, not a ruled line
        opened = cv2.morphologyEx(ink, cv2.MORPH_OPEN, square(k))
        thin = cv2.subtract(ink, opened)
        line = _line_fit(thin)
        if line is None or _near_share(np.nonzero(thin), line, k) < STRAIGHT_SHARE:
            continue
        count, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
        for j in range(1, count):
            x, y, bw, bh, area = (int(v) for v in stats[j])
            x, y = x + ox, y + oy
            if x == 0 or y == 0 or x + bw == w or y + bh == h or bw * bh < min_box:
                continue
            lx, ly = x - ox, y - oy  # (the piece's box in ``labels``)
            across = _offsets(np.nonzero(labels[ly : ly + bh, lx : lx + bw] == j), line, (lx, ly))
            if np.ptp(across) < 3 * k:
                continue  # a stretch of the line itself (darker, or thicker there)
            out.append((x, y, x + bw, y + bh, area))
    return np.array(out, np.float64).reshape(-1, 5)


def _own_ink(mask: np.ndarray, comps: Components, i: int, pad: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Component ``i``'s own ink (uint8, 255) in its box, with ``pad`` px of paper added on the
    sides away from the image's border (so that morphology of up to ``pad`` px acts there as
    on the whole mask), and the box's top-left corner (x, y) in ``mask`` px."""
    h, w = mask.shape
    x0, y0, x1, y1 = (int(v) for v in comps.box[i])
    px0, py0 = (pad if x0 > 0 else 0), (pad if y0 > 0 else 0)
    px1, py1 = (pad if x1 < w else 0), (pad if y1 < h else 0)
    own = np.zeros((y1 - y0 + py0 + py1, x1 - x0 + px0 + px1), np.uint8)
    cv2.drawContours(own, [comps.contours[i]], -1, 255, -1, offset=(px0 - x0, py0 - y0))
    inner = own[py0 : py0 + y1 - y0, px0 : px0 + x1 - x0]
    cv2.bitwise_and(inner, mask[y0:y1, x0:x1], dst=inner)
    return own, (x0 - px0, y0 - py0)


def _line_fit(thin: np.ndarray) -> tuple[float, float, float, float] | None:
    """(vx, vy, x0, y0) of the straight line fitted to the ink of ``thin`` (uint8 mask), or
    ``None`` with fewer than 2 ink pixels."""
    ys, xs = np.nonzero(thin)
    if len(xs) < 2:
        return None
    pts = np.column_stack([xs, ys]).astype(np.float32)
    vx, vy, x0, y0 = (float(v) for v in cv2.fitLine(pts, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel())
    return vx, vy, x0, y0


def _offsets(
    yx: tuple[np.ndarray, ...], line: tuple[float, float, float, float], origin: tuple[int, int] = (0, 0)
) -> np.ndarray:
    """Signed distances (px) of the pixels (rows, cols; from ``origin`` x, y) from ``line``."""
    vx, vy, x0, y0 = line
    ys, xs = yx
    return np.asarray((xs + origin[0] - x0) * vy - (ys + origin[1] - y0) * vx, np.float64)


def _near_share(yx: tuple[np.ndarray, ...], line: tuple[float, float, float, float], k: int) -> float:
    """Share of the pixels (rows, cols) within ``k`` px of ``line`` (:func:`_line_fit`)."""
    d = _offsets(yx, line)
    return float(np.mean(np.abs(d) <= k)) if len(d) else 0.0


def locate_digit(grey: np.ndarray) -> ROI | None:
    """Find the single digit in a loose crop (``--crop`` mode): its ROI in ``grey`` px.

    Works on the crop brought to :data:`LOCATE_SIZE`: flat-field (the paper's closing
    on the crop extended by edge replication), Otsu, straight ruled lines erased, then
    the most prominent ink component (large, central, not running along the border as a
    paper edge or a shadow does) grown by the components close to it that do not touch
    the border (a 5's detached bar, a stroke broken by a light pen or a ruled line). A
    second, higher threshold is tried too; the better digit wins.

    Args:
        grey: uint8 (H, W), dark ink on lighter paper (invert light ink first).

    Returns:
        The digit's box (x, y, w, h px of ``grey``), or ``None`` when no ink component is
        left at either threshold (paper only, or only ink running along the border).
    """
    h, w = grey.shape
    f = LOCATE_SIZE / max(h, w)
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    sw, sh = max(1, int(round(w * f))), max(1, int(round(h * f)))
    small = cv2.resize(grey, (sw, sh), interpolation=interp)
    dark = darkness(small, odd(0.3 * max(sw, sh)), (True, True, True, True))
    t1 = ink_threshold(dark)
    t2 = second_ink_threshold(dark, t1)
    found = [_locate_at(dark, t, max(2, int(round(2 * f)))) for t in (t1, t2) if t is not None]
    score, box = max(found, key=lambda sb: sb[0])
    if box is None:
        return None
    x0, y0, x1, y1 = box
    sx, sy = w / sw, h / sh
    return ROI(
        int(np.floor(x0 * sx)),
        int(np.floor(y0 * sy)),
        int(np.ceil((x1 - x0) * sx)),
        int(np.ceil((y1 - y0) * sy)),
    )
