"""Ridges along lines of a darkness image: how much darker than the paper on both sides a
line is, point by point (:mod:`edge.segment.digit_ruling`'s test of a page's ruled lines and of
the slivers of them, :func:`runs_on`). A ruled line is a ridge all along, however an ink threshold
breaks it into dashes; a segment that merely joins ink across paper (a row of digits, a grid's crossings)
is not.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digit_pieces import X0, X1, Y0, Y1

#: A point of a line is on its ridge (:func:`ridged`) when at least this much darker than the
#: paper beside it (darkness levels) ...
RIDGE_MIN = 3.0
#: ... and than this share of the line's median ridge contrast.
RIDGE_REL = 0.3
#: Points sampled along a line or a sliver.
SAMPLES = 32
#: Largest angle (degrees) between a ruled line and its page's direction (perspective fans
#: the lines of one direction out by a few degrees).
SPREAD_DEG = 12.0
#: A piece on average this many times as dark as the ruling, or darker, is not a piece of it
#: (a digit written along or beside a line).
DARKER = 1.6


def ridged(dark: np.ndarray, segs: np.ndarray, offset: int) -> np.ndarray:
    """float (L,) the share of each segment's points (:data:`SAMPLES` along it) where it is a
    ridge of ``dark`` (uint8 (h, w)): a ridge contrast (:func:`ridges`, ``offset`` px) of at
    least :data:`RIDGE_MIN` and :data:`RIDGE_REL` x the segment's median."""
    d = segs[:, 2:] - segs[:, :2]
    n = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6)
    t = n[:, None] * np.linspace(0.0, 1.0, SAMPLES)[None, :]
    r = ridges(dark, segs[:, :2], d / n[:, None], t, offset)
    least = np.maximum(RIDGE_MIN, RIDGE_REL * medians(r, 0.0))
    return np.count_nonzero(r >= least[:, None], axis=1) / SAMPLES  # (NaN, off the image: never >=)


def medians(r: np.ndarray, empty: float) -> np.ndarray:
    """float (N,) the median of each row of float (N, K) ``r`` without its NaNs (``empty`` for
    a row of NaNs)."""
    return median_counts(r, empty)[0]


def median_counts(r: np.ndarray, empty: float) -> tuple[np.ndarray, np.ndarray]:
    """(float (N,) :func:`medians` of float (N, K) ``r``, int (N,) how many values of each row are not
    NaN: the points read in the image)."""
    s = np.sort(r, axis=1)  # NaNs last (np.nanmedian costs ten times more on small rows)
    n = np.count_nonzero(~np.isnan(r), axis=1)
    rows = np.arange(len(r))  # (n // 2 < K; a row of NaNs reads s[-1] and s[0], not used)
    lo, hi = s[rows, (n - 1) // 2], s[rows, n // 2]
    return np.where(n > 0, 0.5 * (lo + hi), empty), n


def ridges(dark: np.ndarray, c: np.ndarray, u: np.ndarray, t: np.ndarray, offset: int) -> np.ndarray:
    """float32 (N, K) the ridge contrast (the darkest of the point and its two neighbours across
    the direction, minus the mean darkness ``offset`` px to either side) of ``dark``
    (uint8 (h, w)) at the points ``c + t * u`` (px), NaN where they leave it (the points beside
    them are read at the nearest pixel of the image: one side of a line at the frame's border).

    Args:
        dark: uint8 (h, w).
        c: float (N, 2) x, y starting points (px).
        u: float (N, 2) unit directions.
        t: float (N, K) distances along them (px).
        offset: px across the direction (>= 1).
    """
    h, w = dark.shape
    xs, ys = c[:, :1] + t * u[:, :1], c[:, 1:] + t * u[:, 1:]
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    # the point, its two neighbours across the direction, the two beside it (offset px): one read of
    # the five, steps of m (-uy, ux) across, in u's dtype (x + 0.0 is x; -(a b) is (-a) b: the same
    # pixels as five reads)
    m = np.array([-1.0, 0.0, 1.0, -offset, offset], u.dtype)[:, None, None]
    x = np.rint(xs + m * u[:, 1:]).astype(np.intp)
    y = np.rint(ys - m * u[:, :1]).astype(np.intp)
    np.minimum(np.maximum(x, 0, out=x), w - 1, out=x)  # (in place: np.clip's checks cost more than
    np.minimum(np.maximum(y, 0, out=y), h - 1, out=y)  # the reads of a few hundred points)
    if dark.flags.c_contiguous:  # one read of the flat image at y w + x: a fifth cheaper than dark[y, x]
        y *= w
        y += x
        v = np.take(dark.ravel(), y).astype(np.float32)
    else:  # a view (a crop of a larger image): read in place, not copied whole
        v = dark[y, x].astype(np.float32)
    on = np.maximum(np.maximum(v[0], v[1]), v[2])
    side = 0.5 * (v[3] + v[4])
    return np.where(inside, on - side, np.nan)


def runs_on(
    pieces: np.ndarray,
    mask: np.ndarray,
    origin: tuple[int, int],
    dark: np.ndarray,
    dirs: tuple[int, ...],
    offset: int,
    level: float,
) -> np.ndarray:
    """Which pieces are slivers of a ruled line that goes on past them: at least :data:`SLIVER`
    x as long as wide, their ink's axis (second moments) within :data:`SPREAD_DEG` of one of
    the page's ruling directions, no more than :data:`DARKER` x as dark a ridge as the ruling
    (``level``; a digit written in a cell is darker), and as dark a ridge along that axis up to
    :data:`GOES_ON` x their length past each end that lies in the image (the median ridge
    contrast there at least :data:`SAME_DARKNESS` x the piece's own): a ruling is of one darkness
    across the page, however a threshold breaks it. A "1" or a "7" written in a cell ends where
    its stroke ends (and the next "1" of a column, past its end, is as dark as it: darker than
    the ruling).

    Args:
        pieces: float (N, 7) pieces, analysis px.
        mask: uint8 (mh, mw) the ink mask they were measured in (255 = ink), at ``origin`` (x, y).
        dark: uint8 (h, w) the analysis image's darkness (ink bright).
        dirs: the ruling's directions (degrees, :func:`edge.segment.ruling_lines.directions`).
        offset: px across the line where the paper beside it is read (``line_ridges.ridges``).
        level: the ruling's darkness, in ``dark``'s levels
            (:meth:`edge.segment.digit_ruling.PageRuling.look`).

    Returns:
        bool (N,).
    """
    out = np.zeros(len(pieces), bool)
    bw, bh = pieces[:, X1] - pieces[:, X0], pieces[:, Y1] - pieces[:, Y0]
    long, short = np.maximum(bw, bh), np.minimum(bw, bh)
    ox, oy = origin
    mh, mw = mask.shape
    rows = []  # (index, centre x, y, direction x, y, half length)
    for i in np.flatnonzero((long >= SLIVER * short) & (long >= MIN_SLIVER_PX)).tolist():
        x0, y0, x1, y1 = (int(v) for v in pieces[i, :4])
        # (clipped to the mask: a piece of another mask's box may reach past it)
        mx0, my0 = min(max(x0 - ox, 0), mw), min(max(y0 - oy, 0), mh)
        m = cv2.moments(mask[my0 : max(my0, y1 - oy), mx0 : max(mx0, x1 - ox)], binaryImage=True)
        if m["m00"] == 0:
            continue
        theta = 0.5 * np.degrees(np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])) % 180.0
        if min(abs((theta - a + 90.0) % 180.0 - 90.0) for a in dirs) <= SPREAD_DEG:
            rad = np.radians(theta)
            cx, cy = ox + mx0 + m["m10"] / m["m00"], oy + my0 + m["m01"] / m["m00"]
            rows.append((i, cx, cy, np.cos(rad), np.sin(rad), 0.5 * float(np.hypot(x1 - x0, y1 - y0))))
    if not rows:
        return out
    v = np.array(rows)
    c, u, half = v[:, 1:3], v[:, 3:5], v[:, 5:6]
    f = np.linspace(0.0, 1.0, SAMPLES)[None, :]
    past, n = half + 1 + f * GOES_ON * 2 * half, len(v)
    # along the piece, past one end, past the other (one call: row by row the same)
    r = ridges(
        dark,
        np.tile(c, (3, 1)),
        np.tile(u, (3, 1)),
        np.vstack([(2 * f - 1) * (half - 1), -past, past]),
        offset,
    )
    contrast, read = median_counts(r, 0)
    own = contrast[:n]
    same, seen = np.ones(n, bool), np.zeros(n, bool)
    for end in (1, 2):  # each end that lies in the image
        inside = read[end * n : (end + 1) * n] >= SEEN_SHARE * SAMPLES
        same &= ~inside | (contrast[end * n : (end + 1) * n] >= SAME_DARKNESS * own)
        seen |= inside
    out[v[:, 0].astype(np.int64)] = seen & same & (own > 0) & (own <= DARKER * level)
    return out


#: Slivers (:func:`runs_on`) are at least this many times as long as wide and this many px
#: long (a shorter piece's axis is not measured well) ...
SLIVER = 2.5
MIN_SLIVER_PX = 4
#: ... a ruled line goes on for this many times their length past each end (where at least
#: this share of the points read there lie in the image) ...
GOES_ON = 1.0
SEEN_SHARE = 0.5
#: ... at least this share of their ridge contrast (what is as dark as the ruling, :data:`DARKER`).
SAME_DARKNESS = 1.0 / DARKER
