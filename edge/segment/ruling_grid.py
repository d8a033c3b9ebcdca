"""A ruling's lines that no segment was found for: the period and phase of its line families
(:mod:`edge.segment.digit_ruling` draws them in its band).

The Hough search (:func:`edge.segment.ruling_lines.find_ruling`) finds some of a page's ruled
lines: a faint line, or one that an ink threshold breaks into dashes (a shadow, dim light), gives no
segment long enough, and the band of the ones found, extended along their direction, misses it. Its
dashes and crosses then stay, each a digit-sized "1", and merge with a digit written over them. A
ruling is periodic: the lines of each direction follow one another at one spacing, which perspective
changes smoothly across the page. :func:`grid_lines` models each direction's family from the segments
found: each segment's offset across the family's direction at the image's centre, its spacing (the
period whose phase the offsets share most, a periodogram of the offsets:
:mod:`edge.segment.ruling_period`), each line's index (counted along the sorted offsets, the local
spacing updated as it goes), and the offset and slope of line k as a quadratic and a line in k (least
squares on the segments' ends: perspective). Each line of the family in the image is then cut into
pieces, and the pieces along which the darkness is a ridge (:func:`~edge.segment.line_ridges.ridged`:
the paper's edge, the desk, have no line) are the ruling.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

from edge.segment.digit_pieces import X0, X1, Y0, Y1
from edge.segment.line_ridges import RIDGE_MIN, RIDGE_REL, SPREAD_DEG, median_counts, ridges
from edge.segment.ruling_lines import angle_between, angles, directions
from edge.segment.ruling_period import line_spacing

__all__ = ["FAMILY_LINES", "add_grid", "dash_segments", "grid_lines"]

#: Fewest distinct lines found in a direction from which its family is modelled.
FAMILY_LINES = 4
#: Share of a modelled line piece that must be a ridge of the darkness to be drawn.
PIECE_RIDGE = 0.6
#: ... and its median ridge contrast this many times that half a spacing beside it (or :data:`RIDGE_MIN`).
BETWEEN = 2.0
#: Lines found only every m-th of the page's: the m tried (:func:`grid_lines`).
SPLITS = (4, 3, 2)
#: ... when as many of their pieces, to this share, are on a ridge as of the lines found.
SPLIT_RIDGE = 0.5
#: ... on the pieces of this many lines in the middle of the image and those between them.
SPLIT_LINES = 6
#: Modelled lines are cut into pieces this share of the image's longer side long, at least
#: :data:`MIN_PIECE` px (each drawn only where it is a ridge: a page's edge ends its lines).
PIECE_SHARE = 0.08
MIN_PIECE = 16.0
#: Points read along each piece (about every 2 px at 320 x 240).
PIECE_SAMPLES = 12
#: Spacings looked for: up to this share of the image's longer side (:func:`~.ruling_period.line_spacing`).
MAX_SPACING = 0.2
#: Segments at least this long (px) give their own direction; shorter ones (dashes) only their place.
LONG_SEGMENT = 24.0
#: The lines modelled at each step of the fit (their index from the centre's, :func:`_family`).
GROW = (3, 6, 12, 24, 10**6)
#: Most lines a family is extended by past the ones found (an image is never more lines across).
MAX_LINES = 400
#: A segment end further than this share of the spacing from its modelled line is an outlier.
OUTLIER = 0.3
#: Dashes (:func:`dash_segments`) are at least this many times as long as wide, and this many px long.
DASH = 2.5
MIN_DASH_PX = 4


#: A family's modelled lines (:func:`_family`): its pieces' function, line indices, half spacing.
_Family = tuple[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]


def grid_lines(segs: np.ndarray, dark: np.ndarray, offset: int) -> np.ndarray | None:
    """The pieces of a ruling's modelled lines that lie on a ridge of the darkness.

    Args:
        segs: float (L, 4) segments x0, y0, x1, y1 of the ruling found (px of ``dark``).
        dark: uint8 (h, w) darkness (ink bright).
        offset: px beside a line where its paper is read (:func:`~edge.segment.line_ridges.ridged`).

    Returns:
        float32 (M, 4) line pieces x0, y0, x1, y1 (px), or ``None`` when no direction has
        :data:`FAMILY_LINES` distinct lines or no piece is a ridge.
    """
    if len(segs) < FAMILY_LINES:
        return None
    segs = np.asarray(segs, np.float64)
    angle = angles(segs)
    dirs = directions(segs)
    if len(dirs) < 2:  # (squared paper only: a lined page's lines are found whole; and no cost on them)
        return None
    d = segs[:, 2:] - segs[:, :2]
    length = np.hypot(d[:, 0], d[:, 1])
    models: list[_Family] = []
    for a in dirs:
        near = angle_between(angle, a) <= SPREAD_DEG
        if np.count_nonzero(near) < FAMILY_LINES:
            continue  # (fewer segments than lines to fit: _family finds no family, at no cost here)
        # the family's direction: its segments' mean (length-weighted, of the doubled angles: a line has
        # no sense), finer than the 1-degree histogram's peak (a dash's offset is read along it)
        twice = np.radians(2.0 * angle[near])
        mean = np.degrees(np.arctan2(length[near] @ np.sin(twice), length[near] @ np.cos(twice))) / 2.0
        if (model := _family(segs[near], float(mean % 180.0), dark.shape)) is not None:
            models.append(model)
    if not models:
        return None
    # one read of each family's lines and of those half and a third between its middle ones (_split's
    # first tests, which most grids fail), all families at once: one call's cost, not six (a piece's
    # verdict is its own)
    middles = [_middle(ks) for _, ks, _ in models]
    reads = _read(
        dark,
        [
            (pieces_of, lines, half)
            for (pieces_of, ks, across), (lo, hi) in zip(models, middles, strict=True)
            for lines, half in [(ks, across)] + [(ks[lo:hi][:-1] + 1 / m, across / m) for m in (2, 3)]
        ],
        offset,
    )
    out: list[np.ndarray] = []
    for f, ((pieces_of, ks, across), (lo, hi)) in enumerate(zip(models, middles, strict=True)):
        (pieces, ridged, count), *between = reads[3 * f : 3 * f + 3]
        least = SPLIT_RIDGE * np.mean(ridged[count[:lo].sum() : count[:hi].sum()])
        seen = {(1, m): bool(np.mean(r) >= least) for m, (_, r, _) in zip((2, 3), between, strict=True)}
        if (split := _split(dark, pieces_of, ks, ks[lo:hi], across, offset, least, seen)) is not None:
            ks, across = split
            pieces = pieces_of(ks)[0]
            ridged = _on_ridge(dark, pieces, across, offset)
        out.append(pieces[ridged])
    pieces = np.vstack(out) if out else np.zeros((0, 4))
    return pieces.astype(np.float32) if len(pieces) else None


def _middle(ks: np.ndarray) -> tuple[int, int]:
    """The index range [lo, hi) of the :data:`SPLIT_LINES` + 1 lines in the middle of float (K,) ``ks``
    (the lines between are tested on these only, for the cost: :func:`_split`)."""
    centre = len(ks) // 2
    return max(0, centre - SPLIT_LINES // 2), centre + SPLIT_LINES // 2 + 1


def _read(
    dark: np.ndarray,
    lines: list[_Family],
    offset: int,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each (``pieces_of`` of a family, line indices float (K,), half spacing float (2,) px) of
    ``lines``: the lines' pieces (float (M, 4), ``pieces_of``), which are on a ridge (bool (M,),
    :func:`_on_ridge`) and int (K,) how many pieces each line has; all read at once."""
    parts = [pieces_of(ks) for pieces_of, ks, _ in lines]
    ridged = _on_ridge(
        dark,
        np.vstack([p for p, _ in parts]),
        np.vstack([np.broadcast_to(a, (len(p), 2)) for (p, _), (*_, a) in zip(parts, lines, strict=True)]),
        offset,
    )
    cut = np.cumsum([len(p) for p, _ in parts])[:-1]
    return [(p, r, c) for (p, c), r in zip(parts, np.split(ridged, cut), strict=True)]


def _split(
    dark: np.ndarray,
    pieces_of: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    ks: np.ndarray,
    middle: np.ndarray,
    across: np.ndarray,
    offset: int,
    least: float,
    seen: dict[tuple[int, int], bool],
) -> tuple[np.ndarray, np.ndarray] | None:
    """The line indices ``ks`` (float (K,)) and half spacing ``across`` (float (2,) px) of a family whose
    lines were found only every m-th of the page's (a faint grid; m of :data:`SPLITS`): the lines at j / m
    between the ``middle`` ones (those of the image's middle) are on a ridge, :data:`SPLIT_RIDGE` x as
    often as the found ones or more (``least``: that share of pieces), for every j; ``None`` when no m is.
    ``seen``: (j, m) in lowest terms: whether the lines at j / m are (known already; added to).
    ``None`` too when none of the middle lines' pieces is on a ridge (``least`` 0: every test would
    pass, and a family modelled off the page would be split four ways)."""
    if not least > 0:
        return None

    def between(j: int, m: int) -> bool:
        g = math.gcd(j, m)
        if (key := (j // g, m // g)) not in seen:  # (the middle first: it rules out 2 and 4 at once)
            mid = middle[:-1] + key[0] / key[1]
            ridged = _on_ridge(dark, pieces_of(mid)[0], across / key[1], offset)
            seen[key] = bool(np.mean(ridged) >= least)
        return seen[key]

    for m in SPLITS:
        if len(middle) > 1 and all(between(j, m) for j in sorted(range(1, m), key=lambda j: abs(2 * j - m))):
            return np.sort(np.concatenate([ks, *(ks[:-1] + j / m for j in range(1, m))])), across / m
    return None


def _on_ridge(dark: np.ndarray, pieces: np.ndarray, across: np.ndarray, offset: int) -> np.ndarray:
    """bool (M,) which line pieces (float (M, 4)) lie on a ridge of ``dark``: along :data:`PIECE_RIDGE`
    of their points in the image, and a :data:`BETWEEN` x stronger one than ``across`` (float (2,) or
    each piece's (M, 2) px: half a spacing) beside them (between lines: noise alone makes a weak ridge,
    a misplaced line has none of its own)."""
    if not len(pieces):
        return np.zeros(0, bool)
    on, share = _contrast(dark, pieces, offset)
    ok = (share >= PIECE_RIDGE) & (on >= BETWEEN * RIDGE_MIN)  # (the ridge beside: read for these only)
    shift = np.concatenate([across, across], axis=-1)
    beside = _contrast(dark, pieces[ok] + (shift[ok] if shift.ndim == 2 else shift[None, :]), offset)[0]
    ok[ok] = on[ok] >= BETWEEN * np.maximum(beside, RIDGE_MIN)
    return ok


def _contrast(dark: np.ndarray, segs: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """float (L,) the median ridge contrast along each segment (:func:`~edge.segment.line_ridges.ridges`
    at :data:`PIECE_SAMPLES` points, ``offset`` px), and float (L,) the share of its
    points in the image that are on its ridge (as :func:`~edge.segment.line_ridges.ridged`; 0 when fewer
    than a quarter of them are: a piece across the image's border is judged by its part inside)."""
    d = segs[:, 2:] - segs[:, :2]
    n = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6)
    t = n[:, None] * _ALONG
    r = ridges(dark, segs[:, :2], d / n[:, None], t, offset)
    med, inside = median_counts(r, 0.0)
    least = np.maximum(RIDGE_MIN, RIDGE_REL * med)
    on = np.count_nonzero(r >= least[:, None], axis=1)  # (NaN, off the image: never >=)
    return med, np.where(inside >= PIECE_SAMPLES // 4, on / np.maximum(inside, 1), 0.0)


#: The points' places along a piece (share of its length).
_ALONG = np.linspace(0.0, 1.0, PIECE_SAMPLES)[None, :]


def _family(segs: np.ndarray, a: float, shape: tuple[int, ...]) -> _Family | None:
    """The modelled lines of one direction (``a`` degrees) in an image of ``shape`` (h, w), from float
    (L, 4) segments along it: a function from float (K,) line indices to float (M, 4) pieces of those
    lines inside the image, the indices of the lines in the image (float (K,)), and float (2,) half a
    spacing across them (x, y px); ``None`` when the family cannot be modelled."""
    h, w = shape[:2]
    rad = np.radians(a)
    u, n = np.array([np.cos(rad), np.sin(rad)]), np.array([-np.sin(rad), np.cos(rad)])
    centre = np.array([0.5 * w, 0.5 * h])
    p0, p1 = segs[:, :2] - centre, segs[:, 2:] - centre
    t0, t1, r0, r1 = p0 @ u, p1 @ u, p0 @ n, p1 @ n
    length = np.hypot(t1 - t0, r1 - r0)
    # each segment's offset at the centre's position along the direction: along its own slope when
    # it is long enough to give one, else (a dash: its box's axis) along the family's
    slope = np.where(length >= LONG_SEGMENT, (r1 - r0) / np.where(np.abs(t1 - t0) < 1e-6, 1e-6, t1 - t0), 0.0)
    tm, rm = 0.5 * (t0 + t1), 0.5 * (r0 + r1)
    at = rm - slope * tm
    found = line_spacing(at, length, MAX_SPACING * max(h, w))
    if found is None:
        return None
    spacing, phase = found
    k = np.rint((at - phase) / spacing)  # each segment's line: the lattice's nearest (at the centre)
    long = length >= LONG_SEGMENT  # (the fit reads a long segment's ends, a dash's middle)
    kk, tt, rr = (
        np.concatenate([k, k[long]]),
        np.concatenate([np.where(long, t0, tm), t1[long]]),
        np.concatenate([np.where(long, r0, rm), r1[long]]),
    )
    keep = np.abs(np.concatenate([at, at[long]]) - phase - kk * spacing) <= OUTLIER * spacing
    coef, fitted = None, (np.zeros(0, bool), b"")
    for reach in GROW:  # fit near the centre, give each segment its nearest modelled line, fit wider
        near = keep & (np.abs(kk) <= reach)
        if np.array_equal(near, fitted[0]) and kk.tobytes() == fitted[1]:
            continue  # (the last fit's ends and lines, which it left as they were: the same fit again)
        if _distinct(kk[near]) < FAMILY_LINES:
            continue
        # offset r at position t of line k: (c0 + c1 k + c2 k^2) + (d0 + d1 k) t, least squares on the ends
        coef, fitted = (
            np.linalg.lstsq(_terms(kk[near], tt[near]), rr[near], rcond=None)[0],
            (near, kk.tobytes()),
        )
        step = np.maximum(coef[1] + 2 * coef[2] * kk + coef[4] * tt, 0.5 * spacing)
        kk = np.rint(kk + (rr - _terms(kk, tt) @ coef) / step)
        keep = np.abs(_terms(kk, tt) @ coef - rr) <= OUTLIER * spacing
    if coef is None or _distinct(kk[keep]) < FAMILY_LINES:
        return None
    k = kk[keep]
    c0, c1, c2, d0, d1 = coef.tolist()  # (Python floats: the same doubles, cheaper in the loops below)
    half = 0.5 * np.hypot(w, h)
    lo, hi = int(k.min()), int(k.max())
    if not all(0.5 * spacing <= c1 + c2 * (2 * j + 1) <= 2.0 * spacing for j in range(lo, hi)):
        return None  # (the spacing drifts too far: not a ruling's lines)
    more: list[int] = []
    for direction, start in ((-1, lo - 1), (1, hi + 1)):  # extend the family to the image's edges
        j = start
        while abs(c0 + c1 * j + c2 * j * j) <= half and len(more) < MAX_LINES:
            step = c1 + c2 * (2 * j + direction)  # spacing there (must stay about the period's)
            if not 0.5 * spacing <= step <= 2.0 * spacing:
                break
            more.append(j)
            j += direction
    ks = np.array(sorted(more + list(range(lo, hi + 1))), np.float64)
    piece = max(MIN_PIECE, PIECE_SHARE * max(h, w))
    cuts = np.arange(-half, half, piece)

    ta, tb = cuts, cuts + piece  # the pieces' ends along the lines (px from the centre), and their (x, y)
    # at offset 0: the same for every line (worked out once, not for each line of each call)
    xa, ya = centre[0] + ta * u[0], centre[1] + ta * u[1]
    xb, yb = centre[0] + tb * u[0], centre[1] + tb * u[1]

    def pieces_of(ks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kc = ks[:, None]
        at, slope = c0 + c1 * kc + c2 * kc**2, d0 + d1 * kc  # each line's offset at the centre, its slope
        ra, rb = at + slope * ta, at + slope * tb
        ends = np.stack([xa + ra * n[0], ya + ra * n[1], xb + rb * n[0], yb + rb * n[1]], axis=-1)
        ends = ends.reshape(-1, 4)  # (row by row: as the pieces of each line, line after line)
        inside = (
            (np.maximum(ends[:, 0], ends[:, 2]) >= 0)
            & (np.minimum(ends[:, 0], ends[:, 2]) <= w - 1)
            & (np.maximum(ends[:, 1], ends[:, 3]) >= 0)
            & (np.minimum(ends[:, 1], ends[:, 3]) <= h - 1)
        )
        return ends[inside], np.count_nonzero(inside.reshape(len(ks), -1), axis=1)

    return pieces_of, ks, 0.5 * spacing * n


def _distinct(k: np.ndarray) -> int:
    """How many distinct values float (N,) ``k`` holds (finite: line indices), as ``len(np.unique(k))``
    (-0.0 is 0.0) at a third of its cost on a few dozen."""
    return len(set(k.tolist()))


def _terms(k: np.ndarray, t: np.ndarray) -> np.ndarray:
    """float (N, 5) the terms 1, k, k^2, t, k t of the offset of line ``k`` at position ``t``."""
    terms = np.empty((len(k), 5))
    terms[:, 0], terms[:, 1], terms[:, 2], terms[:, 3], terms[:, 4] = 1.0, k, k * k, t, k * t
    return terms


def add_grid(band: np.ndarray, segs: np.ndarray, dark: np.ndarray, width: int, offset: int) -> np.ndarray:
    """``band`` with the pieces of the ruling's modelled lines (:func:`grid_lines`) drawn on it.

    Args:
        band: uint8 (h, w) a ruling's band (255 on it; :func:`edge.segment.digit_ruling.ruling_band`).
        segs: float (L, 4) the ruling's segments x0, y0, x1, y1, px of ``band``.
        dark: uint8 (h, w) darkness (ink bright).
        width: band width (px), >= 1.
        offset: px beside a line where its paper is read.

    Returns:
        uint8 (h, w): a new array when lines were added, else ``band`` itself.
    """
    lines = grid_lines(segs, dark, offset)
    if lines is None:
        return band
    band = band.copy()
    ends = np.round(lines).astype(np.int32).reshape(-1, 2, 2)
    cv2.polylines(band, list(ends), False, 255, max(1, int(width)))
    return band


def dash_segments(
    pieces: np.ndarray, mask: np.ndarray, origin: tuple[int, int], least: int = 0
) -> np.ndarray:
    """float (D, 4) segments x0, y0, x1, y1 along the dashes among ink pieces: those at least
    :data:`DASH` x as long as wide and :data:`MIN_DASH_PX` long, through their ink's centre along its
    axis (second moments), as long as their box's diagonal (a ruled line that a threshold broke into
    dashes: the dashes of one line share its offset, :func:`grid_lines`).

    Args:
        pieces: float (N, 7) ink pieces (:mod:`edge.segment.digit_pieces` columns), px.
        mask: uint8 (mh, mw) the ink mask they were measured in (255 = ink).
        origin: (x, y) px of ``mask``'s top-left pixel in the pieces' coordinates.
        least: fewer dashes than this among the pieces: none is measured (D = 0; a caller that
            wants at least this many segments would get fewer in any case).

    Returns:
        float64 (D, 4) px, D <= N (pieces with no ink in ``mask`` give none).
    """
    bw, bh = pieces[:, X1] - pieces[:, X0], pieces[:, Y1] - pieces[:, Y0]
    long, short = np.maximum(bw, bh), np.minimum(bw, bh)
    (ox, oy), (mh, mw) = origin, mask.shape
    dashes = pieces[(long >= DASH * short) & (long >= MIN_DASH_PX), :4]
    if len(dashes) < least:
        return np.zeros((0, 4), np.float64)
    boxes, moments = [], []
    for x0, y0, x1, y1 in dashes.astype(np.int64).tolist():
        mx0, my0 = min(max(x0 - ox, 0), mw), min(max(y0 - oy, 0), mh)
        m = cv2.moments(mask[my0 : max(my0, y1 - oy), mx0 : max(mx0, x1 - ox)], binaryImage=True)
        if m["m00"] != 0:
            boxes.append((ox + mx0, oy + my0, x1 - x0, y1 - y0))
            moments.append((m["m00"], m["m10"], m["m01"], 2 * m["mu11"], m["mu20"] - m["mu02"]))
    if not boxes:
        return np.zeros((0, 4), np.float64)
    (bx, by, bw, bh), (m00, m10, m01, mu11, mu) = np.array(boxes).T, np.array(moments, np.float64).T
    theta = 0.5 * np.arctan2(mu11, mu)  # (the ink's axis, its centre; half the box's diagonal along it)
    cx, cy, half = bx + m10 / m00, by + m01 / m00, 0.5 * np.hypot(bw, bh)
    dx, dy = half * np.cos(theta), half * np.sin(theta)
    return np.column_stack([cx - dx, cy - dy, cx + dx, cy + dy])
