"""The ink of one digit in an ROI, at the working resolution, with MNIST's stroke width.

Steps 1-4 of :mod:`edge.preprocess.mnist`: crop with a margin, shrink to the working
size, flat-field, threshold (Otsu, a second level when a shadow joined the digit),
keep the components of the digit, and bring the stroke width into MNIST's range
(:mod:`edge.preprocess.ink_levels`).

Where the digit's window (its ROI with a margin) reaches the image's own border, as it
often does in a loose crop, the paper's closing runs on the window extended by edge
replication on that side (:func:`edge.segment.ink.darkness` with ``sides``): light falling
off towards the border is followed up to it instead of leaving a band of false darkness
there (realistic loose crops, seed 22: 97.2% -> 97.5% with no flags; seed 21 and the
frames of both seeds unchanged; about 25 us more per such window). Where the ROI itself reaches
the image's own border (within 5 % of its side), ink running along that border is the digit's,
cut by the frame, not a paper edge or a shadow entering the window: it is not dropped (a pencil
8 filling a realistic frame of seed 22 gave no ink, a blank input read as 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from edge.preprocess.cut_ink import beyond_cut_cleared
from edge.preprocess.ink_levels import ink_levels
from edge.preprocess.loose_ink import fill_fat_strokes, without_thin_lines
from edge.preprocess.polarity import ink_is_light_in
from edge.segment.ink import (
    MIN_CONTRAST,
    Polarity,
    darkness,
    odd,
    second_ink_threshold,
    shrink,
    to_grey,
)
from edge.segment.ink_components import Components, ink_components
from edge.types import ROI

#: Longer side of the digit at the working resolution (px); 3.2x the 20-px box, so
#: the final area resize anti-aliases like LeCun's.
WORK_SIZE = 64
#: Longer side (px) a whole crop is brought to when the digit must be found in it.


def noise_floor(dark: np.ndarray) -> float:
    """The least ink threshold of a darkness crop: :data:`edge.segment.ink.MIN_CONTRAST`, or
    the paper's 30th darkness percentile plus 3.5 times its distance from the 5th (about four
    standard deviations of the paper's noise above the paper on dim, noisy crops), as
    :func:`edge.segment.ink.ink_threshold` bounds Otsu's level, from one histogram.

    Args:
        dark: uint8 (H, W) darkness (0 = paper .. 255 = black), non-empty (a view is fine).

    Returns:
        The floor, 25.5..255 (darkness units).
    """
    cdf = np.cumsum(cv2.calcHist([dark], [0], None, [256], [0, 256]).ravel())  # exact counts
    n = dark.size
    p5, p30 = cdf.searchsorted((0.05 * n, 0.3 * n)).tolist()
    return max(MIN_CONTRAST * 255.0, p30 + 3.5 * (p30 - p5))


def _rect_threshold(dark: np.ndarray, where: tuple[slice, slice]) -> int:
    """:func:`edge.segment.ink.ink_threshold` of ``dark`` with ``where`` a rectangle, in fewer
    calls: Otsu's level over the rectangle, at least the :func:`noise_floor` of all of ``dark``.

    Args:
        dark: uint8 (H, W) darkness, C-contiguous.
        where: (rows, cols) slices of the rectangle.

    Returns:
        Threshold 0..255 (255 for an empty rectangle); darker pixels are ink.
    """
    region = dark[where]
    if region.size == 0:
        return 255
    t = cv2.threshold(region, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
    return int(max(int(t), noise_floor(dark)))


def select_ink(
    dark: np.ndarray, t: int, core: tuple[float, float, float, float], line_px: int
) -> tuple[float, np.ndarray | None, tuple[int, int, int, int]]:
    """Ink components of the digit in ``core`` at threshold ``t``.

    The outer components (``RETR_EXTERNAL``) whose boxes lie mostly inside ``core``
    and that do not run along the crop's border are the digit, except specks with
    less than 3 % of the largest one's ink. When a component spans the crop (a ruled
    line through the digit), lines are erased first (:func:`ink_components`).

    Returns:
        (IoU of the kept ink's box with ``core``, uint8 mask of the kept ink or
        ``None``, its box x0, y0, x1, y1).
    """
    return select_ink_outline(dark, t, core, line_px)[:3]  # type: ignore[return-value]


def select_ink_outline(
    dark: np.ndarray,
    t: int,
    core: tuple[float, float, float, float],
    line_px: int,
    open_sides: tuple[bool, bool, bool, bool] = (False, False, False, False),
    loose: bool = False,
) -> tuple[float, np.ndarray | None, tuple[int, int, int, int], list[np.ndarray] | None, int, bool]:
    """:func:`select_ink` with what it found of the stroke width on the way.

    One ``RETR_TREE`` contour search gives both the outer components (its top level is
    ``RETR_EXTERNAL``'s list, in the same order) and every contour of the kept ink (the
    kept outer contours with everything below them: the contours ``RETR_LIST`` finds on
    the kept ink's box) for :func:`~edge.preprocess.ink_levels.stroke_width`.

    Args:
        dark, t, core, line_px: as :func:`select_ink`.
        open_sides: (left, top, right, bottom) sides of the crop where ink running along the
            border is not held against a component (the image's own border, which the digit's
            ROI reaches: the digit is cut by the frame there).
        loose: a loose crop's digit: where a component spans the crop, the ink without lines
            thinner than pencil strokes (:func:`~edge.preprocess.loose_ink.without_thin_lines`)
            is kept instead when its ink box matches ``core`` better.

    Returns:
        (IoU, mask, box) as :func:`select_ink`; then the contours of the kept ink (outer
        and holes, ``None`` when lines were erased), its ink area (px), and whether the
        mask is the plain threshold mask ``dark > t`` (every outer component kept).
    """
    ch, cw = dark.shape
    rx0, ry0, rx1, ry1 = core
    mask = cv2.threshold(dark, t, 255, cv2.THRESH_BINARY)[1]
    cs, hier = cv2.findContours(mask, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if len(cs) < 2:
        parents = [-1] * len(cs)
        outer = list(range(len(cs)))
    else:
        parents = hier[0, :, 3].tolist()
        outer = [j for j, parent in enumerate(parents) if parent < 0]
    lw, lh = 0.85 * cw, 0.85 * ch
    max_contact = 0.2 * (cw if cw > ch else ch)
    none = 0.0, None, (0, 0, 0, 0), None, 0, False
    rects = [cv2.boundingRect(cs[j]) for j in outer]
    for _, _, w, h in rects:
        if w >= lw or h >= lh:
            comps = Components(mask, contours=[cs[j] for j in outer], rects=rects)
            first = _select_ink_lines(mask, core, line_px, comps, open_sides)
            if loose:  # ruled lines joined to the strokes: the ink without them, if it fits better
                other = _select_ink_lines(without_thin_lines(mask), core, line_px, None, open_sides)
                if other[1] is not None and other[0] > first[0]:
                    first = other
            return (*first, None, 0, False)
    chosen: list[tuple[int, int]] = []  # (index into outer, ink area)
    for i, (x, y, w, h) in enumerate(rects):
        ix = (x + w if x + w < rx1 else rx1) - (x if x > rx0 else rx0)
        iy = (y + h if y + h < ry1 else ry1) - (y if y > ry0 else ry0)
        if ix <= 0 or iy <= 0 or ix * iy < 0.5 * w * h:
            continue
        if x == 0 or y == 0 or x + w == cw or y + h == ch:  # runs along the border?
            if _contact(mask, rects[i], open_sides) > max_contact:
                continue
        # (a 1 x 1 box holds its lone pixel: speckled crops hold dozens)
        chosen.append((i, 1 if w == 1 and h == 1 else cv2.countNonZero(mask[y : y + h, x : x + w])))
    if not chosen:
        return none
    if len(chosen) == 1:
        i, amax = chosen[0]
        if amax < 3:
            return none
        keep = [i]
        x, y, w, h = rects[i]
        bx0, by0, bx1, by1 = x, y, x + w, y + h
    else:
        amax = max(a for _, a in chosen)
        if amax < 3:
            return none
        keep = [i for i, a in chosen if a >= 0.03 * amax]
        kept = [rects[i] for i in keep]
        bx0 = min(r[0] for r in kept)
        by0 = min(r[1] for r in kept)
        bx1 = max(r[0] + r[2] for r in kept)
        by1 = max(r[1] + r[3] for r in kept)
    box = (bx0, by0, bx1, by1)
    iou = _iou(box, core)
    if len(keep) == len(outer):  # every outer component (and what lies in their holes) is kept
        # (one component: its box holds all the ink, so its area is the mask's)
        return iou, mask, box, list(cs), (amax if len(outer) == 1 else cv2.countNonZero(mask)), True
    kept_set = set(keep)
    for i, (x, y, w, h) in enumerate(rects):
        if x < bx1 and y < by1 and x + w > bx0 and y + h > by0 and i not in kept_set:
            # a dropped component reaches into the kept ink's box: keep what the kept outlines hold
            drawn = np.zeros_like(mask)
            cv2.drawContours(drawn, [cs[outer[i]] for i in keep], -1, 255, -1)
            mask = cv2.bitwise_and(mask, drawn)
            break
    else:  # only kept ink (with what lies in its holes) in its box, none outside it
        mask = cv2.copyMakeBorder(mask[by0:by1, bx0:bx1], by0, ch - by1, bx0, cw - bx1, cv2.BORDER_CONSTANT)
    # the kept ink's contours: those whose outermost ancestor is kept
    if len(outer) == len(cs):  # no holes (speckled crops): the kept outer contours, in order
        return iou, mask, box, [cs[outer[i]] for i in keep], cv2.countNonZero(mask), False
    roots = {outer[i] for i in keep}
    outline = []
    for j, c in enumerate(cs):
        k = j
        while parents[k] >= 0:
            k = parents[k]
        if k in roots:
            outline.append(c)
    return iou, mask, box, outline, cv2.countNonZero(mask), False


def _contact(
    mask: np.ndarray, rect: Sequence[int], open_sides: tuple[bool, bool, bool, bool] = (False,) * 4
) -> int:
    """Ink px of ``mask`` on the crop's border rows and columns that the component box ``rect``
    (x, y, w, h) touches, except on the ``open_sides`` (left, top, right, bottom)."""
    x, y, w, h = rect
    ch, cw = mask.shape
    left, top, right, bottom = open_sides
    return (
        (cv2.countNonZero(mask[y : y + h, 0]) if x == 0 and not left else 0)
        + (cv2.countNonZero(mask[y : y + h, cw - 1]) if x + w == cw and not right else 0)
        + (cv2.countNonZero(mask[0, x : x + w]) if y == 0 and not top else 0)
        + (cv2.countNonZero(mask[ch - 1, x : x + w]) if y + h == ch and not bottom else 0)
    )


def _iou(box: tuple[int, int, int, int], core: tuple[float, float, float, float]) -> float:
    """Intersection over union of the boxes ``box`` and ``core`` (x0, y0, x1, y1)."""
    bx0, by0, bx1, by1 = box
    rx0, ry0, rx1, ry1 = core
    ox0, oy0 = (bx0 if bx0 > rx0 else rx0), (by0 if by0 > ry0 else ry0)
    ox1, oy1 = (bx1 if bx1 < rx1 else rx1), (by1 if by1 < ry1 else ry1)
    inter = (ox1 - ox0 if ox1 > ox0 else 0.0) * (oy1 - oy0 if oy1 > oy0 else 0.0)
    union = (bx1 - bx0) * (by1 - by0) + (rx1 - rx0) * (ry1 - ry0) - inter
    return inter / union if union > 0 else 0.0


def _select_ink_lines(
    mask: np.ndarray,
    core: tuple[float, float, float, float],
    line_px: int,
    comps: Components | None = None,
    open_sides: tuple[bool, bool, bool, bool] = (False, False, False, False),
) -> tuple[float, np.ndarray | None, tuple[int, int, int, int]]:
    """:func:`select_ink` for a crop crossed by a line, or filled by its ink: lines erased first
    (``comps``: the :class:`~edge.segment.ink_components.Components` of ``mask`` if already
    found); ink on the ``open_sides`` of the border (see :func:`select_ink_outline`) is not
    held against a component."""
    ch, cw = mask.shape
    rx0, ry0, rx1, ry1 = core
    mask, comps = ink_components(mask, int(0.85 * cw), int(0.85 * ch), line_px, comps=comps)
    none = 0.0, None, (0, 0, 0, 0)
    if not len(comps):
        return none
    x0s, y0s, x1s, y1s = comps.box.T
    ix = np.maximum(np.minimum(x1s, rx1) - np.maximum(x0s, rx0), 0)
    iy = np.maximum(np.minimum(y1s, ry1) - np.maximum(y0s, ry0), 0)
    contact = comps.contact
    if any(open_sides) and contact.any():  # a digit cut by the frame: its ink on that border is its own
        contact = np.array(
            [
                _contact(mask, (int(a), int(b), int(c - a), int(d - b)), open_sides) if n else 0
                for a, b, c, d, n in zip(x0s, y0s, x1s, y1s, contact, strict=True)
            ],
            np.float64,
        )
    inside = (ix * iy >= 0.5 * (x1s - x0s) * (y1s - y0s)) & (contact <= 0.2 * max(cw, ch))
    if not inside.any():
        return none
    area = comps.area_where(inside)  # only these: the others are specks and lines
    amax = area.max()
    if amax < 3:
        return none
    inside &= area >= 0.03 * amax
    bx0, by0 = int(x0s[inside].min()), int(y0s[inside].min())
    bx1, by1 = int(x1s[inside].max()), int(y1s[inside].max())
    inter = (max(0.0, min(bx1, rx1) - max(bx0, rx0))) * (max(0.0, min(by1, ry1) - max(by0, ry0)))
    union = (bx1 - bx0) * (by1 - by0) + (rx1 - rx0) * (ry1 - ry0) - inter
    iou = inter / union if union > 0 else 0.0
    return iou, cv2.bitwise_and(mask, comps.draw(inside, mask.shape)), (bx0, by0, bx1, by1)


def digit_ink(image: np.ndarray, roi: ROI, polarity: Polarity = "dark") -> np.ndarray | None:
    """The digit in ``roi`` as float32 white-on-black ink at the working resolution.

    Args:
        image: uint8 (H, W) grey, or uint8 (H, W, 3) BGR (only the crop around the
            ROI is converted to grey).
        roi: the digit's region in ``image`` px.
        polarity: ``"dark"`` ink on light paper, ``"light"`` ink on a dark ground (the
            crop is inverted), ``"auto"``: decided on the crop around this ROI
            (:func:`edge.preprocess.polarity.ink_is_light_in`, its fast ground estimate).

    Returns:
        float32 (h, w) in [0, 1] (zero outside the digit's ink), or ``None`` when
        the ROI holds no ink.
    """
    ramp, t, _ = digit_ramp(image, roi, polarity)
    if ramp is None:
        return None
    return ramp.astype(np.float32) * np.float32(1.0 / t)


def digit_ramp(
    image: np.ndarray, roi: ROI, polarity: Polarity = "dark", loose: bool = False
) -> tuple[np.ndarray | None, int, bool | None]:
    """:func:`digit_ink` in integers: the ink as uint8 grey levels 0..``t``.

    Everything :func:`digit_ink` does to the ink after its scaling by ``1 / t`` (dilating or
    eroding the stroke) commutes with that scaling, so it is done here on uint8, which is
    cheaper; ``ramp / t`` is :func:`digit_ink`'s result.

    ``loose``: the ROI was found in a loose crop (:func:`edge.preprocess.locate.locate_digit`):
    ruled lines thinner than the strokes are dropped where they join them (``select_ink_outline``'s
    ``loose``) and fat strokes the paper estimate hollowed are filled
    (:func:`~edge.preprocess.loose_ink.fill_fat_strokes`). Frames' ROIs take neither.

    Returns:
        (uint8 (h, w) ink 0..``t``, zero outside the digit's ink, or ``None`` when the ROI
        holds no ink; ``t``, the ink threshold, 1..255 (0 without ink); whether the ink
        was taken as light on a dark ground, ``None`` for an empty ROI).
    """
    H, W = image.shape[:2]
    side = max(roi.w, roi.h, 1)
    pad = int(round(0.2 * side)) + 2
    x0, y0 = max(0, roi.x - pad), max(0, roi.y - pad)
    x1, y1 = min(W, roi.x + roi.w + pad), min(H, roi.y + roi.h + pad)
    if x1 <= x0 or y1 <= y0:
        return None, 0, None
    crop = image[y0:y1, x0:x1]
    if crop.ndim == 3:
        crop = to_grey(crop)
    light = polarity == "light" or (polarity == "auto" and ink_is_light_in(crop, robust=False))
    if light:
        crop = cv2.bitwise_not(crop)
    f = WORK_SIZE / side
    cw, ch = max(1, int(round((x1 - x0) * f))), max(1, int(round((y1 - y0) * f)))
    # anti-aliased by pyramid halvings when reducing by 2 or more; bilinear otherwise
    # (area interpolation is exact but several times slower at non-integer factors)
    work = shrink(crop, (cw, ch))
    # the paper followed up to the image's own border (edge replication there, as a loose crop
    # ends), but not beyond a window's edge inside the image
    sides = (x0 == 0, y0 == 0, x1 == W, y1 == H)
    dark = darkness(work, odd(0.4 * WORK_SIZE), sides)
    # ROI core in work px: where the digit is expected
    rx0, ry0 = (roi.x - x0) * f, (roi.y - y0) * f
    core = (rx0, ry0, rx0 + roi.w * f, ry0 + roi.h * f)
    dark = beyond_cut_cleared(dark, core, roi)  # a cut part: the ink on its side
    where = (
        slice(int(core[1]), max(int(core[1]) + 1, math.ceil(core[3]))),
        slice(int(core[0]), max(int(core[0]) + 1, math.ceil(core[2]))),
    )
    line_px = max(2, int(round(2 * f)))
    t = _rect_threshold(dark, where)
    # where the ROI itself reaches the image's own border, ink running along it is the digit's
    # (cut by the frame), not a paper edge or a shadow entering the window
    reach = max(2, 0.05 * side)
    open_sides = (
        x0 == 0 and roi.x <= reach,
        y0 == 0 and roi.y <= reach,
        x1 == W and W - (roi.x + roi.w) <= reach,
        y1 == H and H - (roi.y + roi.h) <= reach,
    )
    best = select_ink_outline(dark, t, core, line_px, open_sides, loose)
    if best[0] < 0.8:  # a shadow or a dark corner joined the ink: try the higher level
        t2 = second_ink_threshold(dark, t, where)
        if t2 is not None:
            other = select_ink_outline(dark, t2, core, line_px, open_sides, loose)
            if other[0] > best[0] + 0.1:
                best, t = other, t2
    _, mask, box, outline, area, plain = best
    if mask is None:
        return None, 0, light
    if loose:  # a fat stroke's middle taken for paper: filled back, if the ink still fits the ROI
        filled = fill_fat_strokes(work, dark, mask, box, t, WORK_SIZE, sides)
        if filled is not None:
            fit, fmask, fbox, foutline, farea, fplain = select_ink_outline(
                filled, t, core, line_px, open_sides, loose
            )
            if fmask is not None and fit >= best[0] - 0.05:
                dark, mask, box, outline, area, plain = filled, fmask, fbox, foutline, farea, fplain
    ramp, t = ink_levels(dark, mask, box, t, outline, area, plain)
    return ramp, t, light
