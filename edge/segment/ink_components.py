"""Ink masks: ruled-line erasing and the outer connected components of the ink.

Works on a binary ink mask (uint8, ink 255) as thresholded with :mod:`edge.segment.ink`:
thin straight lines (ruled and squared paper, margins) are found with the probabilistic
Hough transform and erased (:func:`remove_lines`); :class:`Components` are the outer
contours of what remains; :func:`ink_components` does both, erasing only when a
component is line-sized; :func:`without_isolated` drops single-pixel specks before a contour
search; :func:`component_area` and :func:`stands_alone` measure one component inside its box.
Shared by the digit finder, :mod:`edge.segment.number_marks` and :mod:`edge.preprocess`.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np


def remove_lines(
    mask: np.ndarray,
    h_length: int,
    v_length: int,
    thickness: int = 2,
    max_angle: float = 25.0,
    search: np.ndarray | None = None,
    offset: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """Erase thin straight lines (ruled and squared paper, margins) from an ink mask:
    :func:`erase_lines` without the segments.

    Returns:
        uint8 (H, W) mask without the lines (``mask`` itself when none was found).
    """
    return erase_lines(mask, h_length, v_length, thickness, max_angle, search, offset)[0]


def erase_lines(
    mask: np.ndarray,
    h_length: int,
    v_length: int,
    thickness: int = 2,
    max_angle: float = 25.0,
    search: np.ndarray | None = None,
    offset: tuple[int, int] = (0, 0),
) -> tuple[np.ndarray, np.ndarray]:
    """Erase thin straight lines (ruled and squared paper, margins) from an ink mask.

    Straight segments in the thin ink are found with :func:`thin_segments`; those within
    ``max_angle`` degrees of horizontal and at least ``h_length`` px long, or of vertical and at
    least ``v_length`` px long, are erased (drawn in black ``thickness + 2`` px wide). A digit
    stroke crossing a line loses only the line's own band; the pieces are merged again later.
    The search is skipped when the thin ink has fewer points than a line's votes, or when its
    columns (rows) do not reach a line's length with gaps the search would bridge
    (:func:`longest_span`).

    Args:
        mask: uint8 (H, W), ink 255, paper 0.
        h_length: shortest horizontal line (px); 0 disables.
        v_length: shortest vertical line (px); 0 disables.
        thickness: thickest line (px).
        max_angle: largest tilt of a line from the horizontal/vertical (degrees).
        search: optional uint8 mask to search for lines in (default ``mask``): (H, W),
            or a part of that at ``offset`` with at least a 1-px empty margin wherever
            it does not reach the border (the same lines are found); lines are erased
            from ``mask``.
        offset: (x, y) of ``search`` in ``mask`` (px).

    Returns:
        (uint8 (H, W) mask without the lines (``mask`` itself when none was found), float32 (L, 4)
        the erased segments x0, y0, x1, y1 in ``mask`` px (:func:`thin_segments`; L may be 0)).
    """
    none = np.zeros((0, 4), np.float32)
    lengths = [n for n in (h_length, v_length) if n > 0]
    if not lengths:
        return mask, none
    segs = thin_segments(mask, min(lengths), thickness, search, offset, (h_length, v_length))
    if segs is None:
        return mask, none
    d = np.abs(segs[:, 2:] - segs[:, :2])
    tan = np.tan(np.radians(max_angle))
    horizontal = (h_length > 0) & (d[:, 1] <= tan * d[:, 0]) & (d[:, 0] >= h_length)
    vertical = (v_length > 0) & (d[:, 0] <= tan * d[:, 1]) & (d[:, 1] >= v_length)
    segs = segs[horizontal | vertical]
    if not len(segs):
        return mask, none
    out = mask.copy()
    for x1, y1, x2, y2 in segs.tolist():
        cv2.line(out, (int(x1), int(y1)), (int(x2), int(y2)), 0, thickness + 2)
    return out, segs


def thin_segments(
    mask: np.ndarray,
    length: int,
    thickness: int = 2,
    search: np.ndarray | None = None,
    offset: tuple[int, int] = (0, 0),
    spans: tuple[int, int] | None = None,
    least: int = 1,
) -> np.ndarray | None:
    """Long straight segments of the thin ink of a mask (what a ``(thickness + 1)`` square does not
    fit in): the probabilistic Hough transform (``cv2.HoughLinesP``), segments at least ``length``
    px long, gaps of up to ``length / 8`` px bridged (a faint line broken by the threshold); at
    half resolution when ``length`` >= 60 px (4x fewer points).

    Args:
        mask: uint8 (H, W), ink 255, paper 0.
        length: shortest segment (px), >= 1.
        thickness: thickest line (px).
        search: optional uint8 part of ``mask`` to search in, at ``offset`` (see :func:`erase_lines`).
        offset: (x, y) of ``search`` in ``mask`` (px).
        spans: (shortest horizontal, vertical line) (px, 0: none): no search unless the thin ink's
            columns (rows) reach one with gaps the search would bridge (:func:`longest_span`).
        least: no search when the thin ink has fewer points than this many segments' votes.

    Returns:
        float32 (L, 4) segments x0, y0, x1, y1 in ``mask`` px (pixel centres), or ``None`` (none
        searched or found).
    """
    src = mask if search is None else search
    se = cv2.getStructuringElement(cv2.MORPH_RECT, (thickness + 1, thickness + 1))
    thin = cv2.subtract(src, cv2.morphologyEx(src, cv2.MORPH_OPEN, se))
    if max(mask.shape[:2]) < length:  # no line that long fits in this mask
        return None
    k = 2 if length >= 60 and min(mask.shape[:2]) >= 2 else 1
    votes = max(4, length // (2 * k))
    if cv2.countNonZero(thin) < least * votes:
        # fewer thin points than the lines need votes (halving keeps at most as many): no line
        return None
    if thin.shape != mask.shape:  # a part of the mask: back in place (Hough's bins follow the size)
        x, y = offset
        full = np.zeros_like(mask)
        full[y : y + thin.shape[0], x : x + thin.shape[1]] = thin
        thin = full
    if k > 1:
        thin = cv2.resize(thin, (thin.shape[1] // k, thin.shape[0] // k), interpolation=cv2.INTER_AREA)
    gap = max(3, length // (8 * k))
    # a line is at least h_length px wide (v_length px tall): its thin ink's columns (rows) must
    # reach that far with gaps of at most ``gap`` (HoughLinesP walks a flat line one column a step
    # and stops after more than ``gap`` empty ones); else no line to search for (column and row
    # sums: non-zero where any ink; OpenCV's REDUCE_MAX along rows is ~20x slower)
    if spans is not None and not (
        (spans[0] > 0 and k * longest_span(_sums(thin, 0), gap) >= spans[0])
        or (spans[1] > 0 and k * longest_span(_sums(thin, 1), gap) >= spans[1])
    ):
        return None
    segs = cv2.HoughLinesP(thin, 1, np.pi / 180, threshold=votes, minLineLength=length // k, maxLineGap=gap)
    # (a pixel i at half resolution covers pixels 2i and 2i + 1: its centre is 2i + 0.5)
    return None if segs is None else segs.reshape(-1, 4).astype(np.float32) * k + (k - 1) / 2


def _sums(mask: np.ndarray, dim: int) -> np.ndarray:
    """int32 (W,) column sums (``dim`` 0) or (H,) row sums (``dim`` 1) of a uint8 (H, W) mask."""
    return cv2.reduce(mask, dim, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()


def without_isolated(mask: np.ndarray) -> np.ndarray:
    """``mask`` without its isolated pixels (ink with no ink among its 8 neighbours).

    The ink that a dilation by the 3x3 ring (the 8 neighbours, not the pixel itself) reaches:
    two calls, pixels outside the mask count as paper. The other components keep all their
    pixels, so their contours (``cv2.findContours``, 8-connected) are unchanged. Noisy shadowed
    frames hold a hundred or more such specks, each a contour to trace and box.

    Args:
        mask: uint8 (h, w), 0 or 255.

    Returns:
        uint8 (h, w), 0 or 255 (a new array).
    """
    return cv2.bitwise_and(mask, cv2.dilate(mask, _RING))


#: The 8 neighbours of a pixel (3x3, the centre left out).
_RING = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], np.uint8)


def longest_span(occupied: np.ndarray, gap: int) -> int:
    """The widest span ``last - first`` of a run of non-zero entries whose steps skip at most
    ``gap`` zero entries.

    The entries as bytes are split at each ``gap + 1`` zero bytes (a longer gap holds at least
    one such piece, a shorter one none); a run is a piece without its leading and trailing zeros.
    A few microseconds for a mask's column maxima (numpy's ``flatnonzero``/``diff`` took ~10 us).

    Args:
        occupied: 1-D array (e.g. a mask's column maxima).
        gap: most zero entries between two non-zero ones of a run, >= 0.

    Returns:
        The span (index units), -1 without non-zero entries.
    """
    if occupied.dtype != np.uint8:
        occupied = (occupied != 0).view(np.uint8)
    runs = occupied.tobytes().split(bytes(gap + 1))
    return max(len(run.strip(b"\0")) for run in runs) - 1


class Components:
    """Outer connected components of a binary ink mask (``cv2.findContours``).

    Holes are not components, so the loops of 0, 6, 8, 9 and anything inside them
    belong to the digit around them.

    Args:
        mask: uint8 (H, W), ink 255.
        min_box_area: components with a smaller bounding box (px²) are dropped.
        max_count: at most this many components (those with the longest outlines)
            are kept.
        contours: the outer contours of ``mask`` if already found (``RETR_EXTERNAL``'s, in its
            order, e.g. the top level of a ``RETR_TREE`` search): no second search.
        rects: ``cv2.boundingRect`` of each of ``contours`` if already taken.

    Attributes:
        count: the number of components found, before any was dropped.
        contours: outer contours (``RETR_EXTERNAL``), one per component.
        box: float64 (N, 4) x0, y0, x1, y1 (px, x1/y1 exclusive).
        area: float64 (N,) ink pixels inside each box (px²), counted on first use (``mask``
            must not change before; :meth:`area_where` counts only some).
        contact: float64 (N,) ink pixels of each box on the image border (px).
    """

    def __init__(
        self,
        mask: np.ndarray,
        min_box_area: float = 0.0,
        max_count: int = 128,
        contours: Sequence[np.ndarray] | None = None,
        rects: Sequence[Sequence[int]] | None = None,
    ) -> None:
        h, w = mask.shape
        if contours is None:
            cs, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            rects = None
        else:
            cs = contours
        self.count = len(cs)  # before capping
        if len(cs) > max_count:  # noise or texture: keep the longest outlines only
            n_pts = np.fromiter((len(c) for c in cs), np.int64, len(cs))
            picked = np.sort(np.argpartition(-n_pts, max_count)[:max_count])
            cs = [cs[i] for i in picked]
            rects = None if rects is None else [rects[i] for i in picked]
        if rects is None:
            rects = [cv2.boundingRect(c) for c in cs]
        box = np.array(rects, np.int64).reshape(-1, 4)
        keep = box[:, 2] * box[:, 3] >= min_box_area
        self.contours = [c for c, k in zip(cs, keep, strict=True) if k]
        self._rects = [r for r, k in zip(rects, keep, strict=True) if k]  # python ints
        box = box[keep]
        x, y, bw, bh = box.T
        self.box = np.stack([x, y, x + bw, y + bh], axis=1).astype(np.float64)
        self._mask = mask
        self._area: np.ndarray | None = None
        contact = np.zeros(len(box))
        for i in np.nonzero((x == 0) | (y == 0) | (x + bw == w) | (y + bh == h))[0]:
            xx, yy, ww, hh = self._rects[i]
            c = 0
            if xx == 0:
                c += cv2.countNonZero(mask[yy : yy + hh, 0])
            if xx + ww == w:
                c += cv2.countNonZero(mask[yy : yy + hh, w - 1])
            if yy == 0:
                c += cv2.countNonZero(mask[0, xx : xx + ww])
            if yy + hh == h:
                c += cv2.countNonZero(mask[h - 1, xx : xx + ww])
            contact[i] = c
        self.contact = contact

    @property
    def area(self) -> np.ndarray:
        """float64 (N,) ink pixels inside each box (px²); counted on first use."""
        if self._area is None:
            self._area = self.area_where(np.ones(len(self._rects), bool))
        return self._area

    def area_where(self, which: np.ndarray) -> np.ndarray:
        """float64 (N,) :attr:`area` of the components where the bool (N,) ``which`` is true, 0
        elsewhere: counts only those (a noisy mask has many specks, about 2 us each)."""
        if self._area is not None:
            return np.where(which, self._area, 0.0)
        mask = self._mask
        out = np.zeros(len(self._rects))
        for i in np.flatnonzero(which):
            xx, yy, ww, hh = self._rects[i]
            out[i] = cv2.countNonZero(mask[yy : yy + hh, xx : xx + ww])
        return out

    def __len__(self) -> int:
        return len(self.contours)

    @property
    def width(self) -> np.ndarray:
        return self.box[:, 2] - self.box[:, 0]

    @property
    def height(self) -> np.ndarray:
        return self.box[:, 3] - self.box[:, 1]

    def draw(self, keep: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """uint8 mask with the components where ``keep`` is true filled (holes too)."""
        out = np.zeros(shape, np.uint8)
        cs = [c for c, k in zip(self.contours, keep, strict=True) if k]
        if cs:
            cv2.drawContours(out, cs, -1, 255, -1)
        return out


def component_area(mask: np.ndarray, rect: tuple[int, int, int, int], start: tuple[int, int]) -> int:
    """Pixels of the 8-connected component of ``mask`` whose box is ``rect`` and which holds ``start``.

    The component is labelled inside its own box (which holds all of it).

    Args:
        mask: uint8 (H, W), ink > 0.
        rect: the component's bounding box (x, y, w, h) in ``mask`` px.
        start: a pixel (x, y) of the component, inside ``rect``.

    Returns:
        The component's area (px).
    """
    x, y, w, h = rect
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask[y : y + h, x : x + w], connectivity=8)
    return int(stats[labels[start[1] - y, start[0] - x], cv2.CC_STAT_AREA])


def stands_alone(mask: np.ndarray, rect: tuple[int, int, int, int], start: tuple[int, int]) -> bool:
    """Whether the ink holding pixel ``start`` (x, y) of uint8 ``mask`` (ink > 0) lies within the
    box ``rect`` (x, y, w, h), a box it has in a copy of ``mask`` with parts cleared: no ink
    8-connected to it in the 1-px ring around the box, and the box off ``mask``'s border.

    ``False`` for a piece cut off larger ink (a ruled line running through the cleared parts, a
    stroke of a cleared digit, ink crossing the border).

    Args:
        mask: uint8 (H, W) ink mask (ink > 0), before parts were cleared.
        rect: the piece's bounding box (x, y, w, h) in ``mask`` px.
        start: a pixel (x, y) of the piece, inside ``rect``.

    Returns:
        ``True`` when the piece's ink in ``mask`` does not leave ``rect``.
    """
    x, y, w, h = rect
    H, W = mask.shape
    if x <= 0 or y <= 0 or x + w >= W or y + h >= H:
        return False
    _, labels = cv2.connectedComponents(mask[y - 1 : y + h + 1, x - 1 : x + w + 1], connectivity=8)
    own = labels[start[1] - y + 1, start[0] - x + 1]
    ring = (labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1])
    return not any((r == own).any() for r in ring)


def ink_components(
    mask: np.ndarray,
    h_length: int,
    v_length: int,
    line_px: int,
    min_box_area: float = 0.0,
    comps: Components | None = None,
) -> tuple[np.ndarray, Components]:
    """Components of ``mask`` after erasing ruled lines, if any component is line-sized.

    Args:
        mask: uint8 (H, W), ink 255.
        h_length, v_length, line_px: see :func:`remove_lines`.
        min_box_area: see :class:`Components`.
        comps: the components of ``mask`` if already computed.

    Returns:
        (the mask, possibly with lines erased; its :class:`Components`).
    """
    if comps is None:
        comps = Components(mask, min_box_area)
    if not len(comps):
        return mask, comps
    big = np.zeros(len(comps), bool)
    if h_length > 0:
        big |= comps.width >= h_length
    if v_length > 0:
        big |= comps.height >= v_length
    if big.any():
        # search only the line-sized components (cheap), erase from the whole mask
        search = cv2.bitwise_and(mask, comps.draw(big, mask.shape))
        cleaned = remove_lines(mask, h_length, v_length, line_px, search=search)
        if cleaned is not mask:
            return cleaned, Components(cleaned, min_box_area)
    return mask, comps
