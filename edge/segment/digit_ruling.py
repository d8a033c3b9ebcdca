"""The ruling of a ruled or squared page, and the ink pieces that are only pieces of it
(:class:`edge.segment.digits.DigitSegmenter`).

The line eraser (:func:`edge.segment.digit_lines.erase_ruled_lines`) erases the lines it
finds in the line-sized components of one ink level. What it leaves are pieces of the same
lines: dashes where the threshold broke a faint line (shadow, dim light, a thin pen line),
the ends of a line the Hough walk left (a tilted line leaves the quantised direction after
a hundred pixels), crosses between the erased parts of a grid, and at a finer look, lines
that were too faint to be seen at the first. Each of them is digit-sized, is read as a "1"
at 84-98 %, and neighbouring ones merge into boxes of grid cells.

A ruling is straight, long, of one darkness and runs across the page in one or two directions.
Once a pass of the finder sees a possibly ruled page (lines erased, or more pieces than it
measures), that pass and the finer ones look for it (:class:`PageRuling`): straight segments of
at least ``line_length`` x the width in the thin ink of the lowest ink level, gaps bridged, that
are a ridge of the darkness along most of their length (a row of digits or a grid's diagonal is
not) and run along the page's one or two directions (within :data:`SPREAD_DEG`: perspective
fans them out), at least :data:`MIN_LINES` of them (one long line is a paper or table edge, a
margin or a stroke) (:func:`find_ruling`). The segments are extended by :data:`EXTEND` x their
length at each end (a straight line goes on). A piece is dropped as a piece of the ruling before
pieces are merged into digits (:meth:`PageRuling.off`) when its ink lies on the lines' band and
is about as dark as the ruling's own ink there (:func:`off_ruling`; a digit written along a line
is darker), or when it is a sliver along them whose ridge goes on past its ends at
the same darkness (:func:`runs_on`: a line that no segment was found for, in a shadow). A digit
written across or beside the lines keeps its pieces: most of their ink leaves the lines, and a
"1" or a "7", whose strokes are straight, ends where its stroke ends.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_pieces import X0, X1, Y0, Y1
from edge.segment.line_ridges import SAMPLES, medians, ridged, ridges

#: Least share of a ruled line's length that is a ridge (:func:`edge.segment.line_ridges.ridged`).
RIDGE_SHARE = 0.75
#: How far a ruled line goes on past the segment found of it, at each end (x its length).
EXTEND = 4.0
#: Lines found at a pass more than this many times coarser are not used at a finer one.
COARSER = 2.0
#: Fewest long straight lines that make a ruling (a ruled page has many; one is an edge).
MIN_LINES = 3
#: Share of a piece's box ink on the ruling from which it is a piece of the ruling ...
ON_RULING = 0.8
#: ... when its ink is also this many times less dense off the ruling than on it, and on
#: average less than this many times as dark as the ruling.
DENSER = 0.25
DARKER = 1.6


def find_ruling(mask: np.ndarray, dark: np.ndarray, min_length: int, thickness: int) -> np.ndarray | None:
    """The long straight thin lines of an ink mask: a page's ruling.

    The thin ink (what a ``(thickness + 1)`` square opening removes) is searched with the
    probabilistic Hough transform (``cv2.HoughLinesP``) for segments at least ``min_length``
    px long, gaps of up to ``min_length / 8`` px bridged (a faint line broken by the
    threshold); at half resolution when ``min_length`` >= 60 px. A segment is a ruled line when
    it is a ridge along :data:`RIDGE_SHARE` of its length or more (:mod:`edge.segment.line_ridges`):
    a line is darker than the paper on both sides all along, where a segment that the gap
    bridging found along a row of digits or through a grid's crossings crosses paper between
    them. Of those, the ones along the page's directions (:func:`along_ruling`).

    Args:
        mask: uint8 (h, w) ink mask (255 = ink), the lowest ink level (ruling included).
        dark: uint8 (h, w) the darkness under it (ink bright).
        min_length: shortest line (px), > 0.
        thickness: thickest line (px).

    Returns:
        float32 (L, 4) segments x0, y0, x1, y1 in ``mask`` px, or ``None`` when fewer than
        :data:`MIN_LINES` are found.

    Raises:
        ValueError: ``min_length`` < 1.
    """
    if min_length < 1:
        raise ValueError(f"min_length must be >= 1 px, got {min_length}")
    if max(mask.shape[:2]) < min_length:
        return None
    se = cv2.getStructuringElement(cv2.MORPH_RECT, (thickness + 1, thickness + 1))
    thin = cv2.subtract(mask, cv2.morphologyEx(mask, cv2.MORPH_OPEN, se))
    k = 2 if min_length >= 60 and min(mask.shape[:2]) >= 2 else 1
    votes = max(4, min_length // (2 * k))
    if cv2.countNonZero(thin) < MIN_LINES * votes:
        return None
    if k > 1:
        thin = cv2.resize(thin, (thin.shape[1] // k, thin.shape[0] // k), interpolation=cv2.INTER_AREA)
    gap = max(3, min_length // (8 * k))
    segs = cv2.HoughLinesP(
        thin, 1, np.pi / 180, threshold=votes, minLineLength=min_length // k, maxLineGap=gap
    )
    if segs is None or len(segs) < MIN_LINES:
        return None
    segs = segs.reshape(-1, 4).astype(np.float32) * k
    segs = segs[ridged(dark, segs, thickness + 1) >= RIDGE_SHARE]
    if len(segs) < MIN_LINES:
        return None
    segs = along_ruling(segs)
    return segs if len(segs) >= MIN_LINES else None


#: Largest angle (degrees) between a ruled line and its page's direction (perspective fans
#: the lines of one direction out by a few degrees).
SPREAD_DEG = 12.0


def along_ruling(segs: np.ndarray) -> np.ndarray:
    """The segments along the page's one or two ruling directions: within :data:`SPREAD_DEG`
    of the direction with the most line length, or of the one with the most line length at
    least 45 degrees from it (squared paper's other lines). Lines through a grid's crossings
    (its diagonals, found where the gaps are bridged) and the odd long stroke are dropped.

    Args:
        segs: float32 (L, 4) segments x0, y0, x1, y1 (px).

    Returns:
        float32 (K, 4), K <= L.
    """
    angle = angles(segs)
    near = np.zeros(len(segs), bool)
    for a in directions(segs):
        near |= np.abs((angle - a + 90.0) % 180.0 - 90.0) <= SPREAD_DEG
    return segs[near]


def angles(segs: np.ndarray) -> np.ndarray:
    """float (L,) the segments' directions, degrees in [0, 180) (y down)."""
    d = segs[:, 2:] - segs[:, :2]
    return np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 180.0


def directions(segs: np.ndarray) -> tuple[int, ...]:
    """The page's one or two ruling directions (degrees in [0, 180), whole): the one with the
    most line length within 5 degrees, and the one with the most at least 45 degrees from it
    (squared paper), if any."""
    d = segs[:, 2:] - segs[:, :2]
    length = np.hypot(d[:, 0], d[:, 1])
    hist = np.bincount(np.round(angles(segs)).astype(np.int64) % 180, weights=length, minlength=180)
    # length within 5 degrees of each direction (the histogram is circular)
    wide = np.convolve(np.concatenate([hist[-5:], hist, hist[:5]]), np.ones(11), "valid")
    first = int(np.argmax(wide))
    apart = np.abs((np.arange(180) - first + 90) % 180 - 90) >= 45
    second = int(np.argmax(np.where(apart, wide, -1.0)))
    return (first, second) if wide[second] > 0 else (first,)


def ruling_band(segs: np.ndarray, scale: float, shape: tuple[int, int], width: int) -> np.ndarray:
    """Where the ruling runs in an image: the segments scaled and extended by half their
    length at each end, drawn ``width`` px wide.

    Args:
        segs: float (L, 4) segments x0, y0, x1, y1 (:func:`find_ruling`), in the px of the
            image they were found in.
        scale: this image's size / that image's size.
        shape: (h, w) of this image (px).
        width: band width (px, this image), >= 1.

    Returns:
        uint8 (h, w), 255 on the band.
    """
    band = np.zeros(shape, np.uint8)
    s = segs * scale
    d = EXTEND * (s[:, 2:] - s[:, :2])
    ends = np.hstack([s[:, :2] - d, s[:, 2:] + d])
    lines = np.round(ends).astype(np.int32).reshape(-1, 2, 2)
    cv2.polylines(band, list(lines), False, 255, max(1, int(width)))
    return band


def off_ruling(
    pieces: np.ndarray,
    mask: np.ndarray,
    origin: tuple[int, int],
    band: np.ndarray,
    dark: np.ndarray | None = None,
    level: float = 0.0,
) -> np.ndarray:
    """The pieces that are not pieces of the ruling: less than :data:`ON_RULING` of the ink
    in their box lies on the ruling's band (and much more densely than off it), or their ink is
    :data:`DARKER` x darker than the ruling (a digit written along a line).

    Args:
        pieces: float (N, 7) ink pieces (:mod:`edge.segment.digit_pieces` columns), analysis px.
        mask: uint8 (mh, mw) the ink mask they were measured in (255 = ink), at ``origin``.
        origin: (x, y) of ``mask`` in the analysis image (px).
        band: uint8 (h, w) the ruling's band in the analysis image (:func:`ruling_band`).
        dark: uint8 (h, w) the analysis image's darkness, or ``None`` (no darkness test).
        level: the ruling's darkness (:meth:`PageRuling.look`).

    Returns:
        float (M, 7) the pieces kept (``pieces`` itself when all are kept).
    """
    if not len(pieces):
        return pieces
    ox, oy = origin
    mh, mw = mask.shape
    on = cv2.bitwise_and(mask, band[oy : oy + mh, ox : ox + mw])
    if not cv2.countNonZero(on):
        return pieces
    boxes = np.column_stack(
        [
            np.clip(pieces[:, X0].astype(np.int64) - ox, 0, mw),
            np.clip(pieces[:, Y0].astype(np.int64) - oy, 0, mh),
            np.clip(pieces[:, X1].astype(np.int64) - ox, 0, mw),
            np.clip(pieces[:, Y1].astype(np.int64) - oy, 0, mh),
        ]
    )
    ink, on_line = box_sums(mask, boxes) / 255, box_sums(on, boxes) / 255
    band_area = box_sums(band[oy : oy + mh, ox : ox + mw], boxes) / 255
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    # the ink lies on the band, and much more densely than off it (a digit in a dense grid,
    # whose box the band mostly covers, has as much ink between the lines as on them)
    on_density = on_line / np.maximum(band_area, 1)
    off_density = (ink - on_line) / np.maximum(area - band_area, 1)
    ruling = (on_line >= ON_RULING * np.maximum(ink, 1)) & (off_density < DENSER * on_density)
    if dark is not None and ruling.any():  # as dark as the ruling (not a digit along a line)
        inked = cv2.bitwise_and(dark[oy : oy + mh, ox : ox + mw], mask)
        ruling &= box_sums(inked, boxes) < DARKER * level * np.maximum(ink, 1)
    keep = ~ruling
    return pieces if keep.all() else pieces[keep]


def box_sums(img: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """float (N,) the sums of uint8 (h, w) ``img`` in int (N, 4) boxes x0, y0, x1, y1 (exclusive):
    an integral image for many boxes (a page has hundreds), crops for a frame's few."""
    if len(boxes) > FEW_BOXES:
        ii = cv2.integral(img)
        x0, y0, x1, y1 = boxes.T
        return (ii[y1, x1] - ii[y0, x1] - ii[y1, x0] + ii[y0, x0]).astype(np.float64)
    return np.array([cv2.sumElems(img[y0:y1, x0:x1])[0] for x0, y0, x1, y1 in boxes.tolist()], np.float64)


#: :func:`box_sums` takes an integral image for more boxes than this.
FEW_BOXES = 16


def runs_on(
    pieces: np.ndarray,
    mask: np.ndarray,
    origin: tuple[int, int],
    dark: np.ndarray,
    dirs: tuple[int, ...],
    offset: int,
) -> np.ndarray:
    """Which pieces are slivers of a ruled line that goes on past them: at least :data:`SLIVER`
    x as long as wide, their ink's axis (second moments) within :data:`SPREAD_DEG` of one of
    the page's ruling directions, and as dark a ridge along that axis up to :data:`GOES_ON` x
    their length past each end that lies in the image (the median ridge contrast there at least
    :data:`SAME_DARKNESS` x the piece's own): a ruling is of one darkness across the page,
    however a threshold breaks it. A "1" or a "7" written in a cell ends where its stroke ends.

    Args:
        pieces: float (N, 7) pieces, analysis px.
        mask: uint8 (mh, mw) the ink mask they were measured in (255 = ink), at ``origin`` (x, y).
        dark: uint8 (h, w) the analysis image's darkness (ink bright).
        dirs: the ruling's directions (degrees, :func:`directions`).
        offset: px across the line where the paper beside it is read (``line_ridges.ridges``).

    Returns:
        bool (N,).
    """
    out = np.zeros(len(pieces), bool)
    bw, bh = pieces[:, X1] - pieces[:, X0], pieces[:, Y1] - pieces[:, Y0]
    long, short = np.maximum(bw, bh), np.minimum(bw, bh)
    ox, oy = origin
    rows = []  # (index, centre x, y, direction x, y, half length)
    for i in np.flatnonzero((long >= SLIVER * short) & (long >= 4)).tolist():
        x0, y0, x1, y1 = (int(v) for v in pieces[i, :4])
        m = cv2.moments(mask[y0 - oy : y1 - oy, x0 - ox : x1 - ox], binaryImage=True)
        if m["m00"] == 0:
            continue
        theta = 0.5 * np.degrees(np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])) % 180.0
        if min(abs((theta - a + 90.0) % 180.0 - 90.0) for a in dirs) <= SPREAD_DEG:
            rad = np.radians(theta)
            cx, cy = x0 + m["m10"] / m["m00"], y0 + m["m01"] / m["m00"]
            rows.append((i, cx, cy, np.cos(rad), np.sin(rad), 0.5 * float(np.hypot(x1 - x0, y1 - y0))))
    if not rows:
        return out
    v = np.array(rows)
    c, u, half = v[:, 1:3], v[:, 3:5], v[:, 5:6]
    f = np.linspace(0.0, 1.0, SAMPLES)[None, :]
    own = medians(ridges(dark, c, u, (2 * f - 1) * (half - 1), offset), 0)
    past = half + 1 + f * GOES_ON * 2 * half
    same, seen = np.ones(len(v), bool), np.zeros(len(v), bool)
    for sign in (-1.0, 1.0):  # each end that lies in the image
        r = ridges(dark, c, u, sign * past, offset)
        inside = np.count_nonzero(~np.isnan(r), axis=1) >= 0.5 * SAMPLES
        same &= ~inside | (medians(r, 0) >= SAME_DARKNESS * own)
        seen |= inside
    out[v[:, 0].astype(np.int64)] = seen & same & (own > 0)
    return out


#: Slivers (:func:`runs_on`) are at least this many times as long as wide ...
SLIVER = 2.5
#: ... a ruled line goes on for this many times their length past each end ...
GOES_ON = 1.0
#: ... at least this share of their ridge contrast.
SAME_DARKNESS = 0.5


class PageRuling:
    """A frame's ruling (:func:`find_ruling`), found at the passes of the digit finder whose ink
    may hold one (reset per frame with :meth:`reset`), and the pieces that are pieces of it
    (:meth:`off`)."""

    def __init__(self) -> None:
        self.segs: np.ndarray | None = None  # float32 (L, 4), px of an image ``width`` px wide
        self.width = self.base = 0  # px of self.segs; of the pass that first found a ruling
        self.band: np.ndarray | None = None  # this pass's band (ruling_band)
        self.dark: np.ndarray | None = None  # this pass's darkness
        self.offset = 3  # px beside a line where its paper is read, at this pass
        self.level = 0.0  # the ruling's darkness at this pass
        self.suspect = False  # a pass had lines erased or too many pieces: look at the next ones too
        self.searched = 0  # the width of the image last searched (px)

    def reset(self) -> None:
        """Forget the last frame's ruling."""
        self.segs, self.width, self.base, self.band, self.dark = None, 0, 0, None, None
        self.suspect, self.searched = False, 0

    def look(
        self,
        mask: tuple[np.ndarray, tuple[int, int]] | None,
        erased: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
        cluttered: bool,
        dark: np.ndarray,
        cfg: DigitSegmenterConfig,
    ) -> None:
        """Set this pass's band (:func:`ruling_band`; ``None``: no ruling), looking for the ruling
        in the pass's lowest ink level when it may hold one (lines erased there, or too many
        pieces to measure, or a ruling seen at a coarser pass) and it was not searched at this
        scale yet.

        Args:
            mask: (uint8 (mh, mw) the lowest level's ink mask, lines erased, its (x, y) origin),
                or ``None`` (no ink).
            erased: (darkness, mask before, mask after erasing lines) when lines were erased,
                else ``None``.
            cluttered: the level's pieces were too many to measure.
            dark: uint8 (h, w) the analysis image's darkness (ink bright).
            cfg: the segmenter's settings (``line_length``, ``min_line``, ``line_thickness``).
        """
        shape = h, w = dark.shape
        self.band = self.dark = None
        self.suspect |= erased is not None or cluttered
        if mask is None or not self.suspect:
            return
        if cfg.line_length > 0 and w != self.searched:
            self.searched = w
            ink, (ox, oy) = mask[0] if erased is None else erased[1], mask[1]
            patch = dark[oy : oy + ink.shape[0], ox : ox + ink.shape[1]]
            segs = find_ruling(ink, patch, int(max(cfg.line_length * w, cfg.min_line)), cfg.line_thickness)
            if segs is not None:
                segs = segs + np.array([ox, oy, ox, oy], np.float32)
                if self.segs is None or w > COARSER * self.width:  # (a page's lines found at a
                    # coarse first pass are too rough to place at its fine pass: this pass's only)
                    self.segs, self.width, self.base = segs, w, w
                else:  # a finer pass sees more of the lines: both, in this pass's px
                    self.segs, self.width = np.vstack([self.segs * (w / self.width), segs]), w
        if self.segs is None or w > COARSER * self.width:
            return
        # lines as wide as at the first pass that found them, at this pass's scale (their place
        # is known to about a pixel there)
        scale = max(1.0, w / self.base)
        self.band = ruling_band(self.segs, w / self.width, shape, round((cfg.line_thickness + 2) * scale))
        # the ruling's darkness: the median of the lowest level's ink on its band
        ink, (ox, oy) = mask[0] if erased is None else erased[1], mask[1]
        on = cv2.bitwise_and(ink, self.band[oy : oy + ink.shape[0], ox : ox + ink.shape[1]])
        hist = cv2.calcHist([dark[oy : oy + ink.shape[0], ox : ox + ink.shape[1]]], [0], on, [256], [0, 256])
        total = float(hist.sum())
        self.level = float(np.searchsorted(np.cumsum(hist.ravel()), 0.5 * total)) if total else 0.0
        self.dark, self.offset = dark, round(3 * scale)

    def off(self, pieces: np.ndarray, mask: tuple[np.ndarray, tuple[int, int]] | None) -> np.ndarray:
        """The pieces (float (N, 7), analysis px) that are not pieces of this pass's ruling: on
        its band (:func:`off_ruling`) or slivers of a line that goes on past them
        (:func:`runs_on`); ``pieces`` itself when there is no ruling.

        Args:
            mask: (uint8 (mh, mw) the ink mask the pieces were measured in, its (x, y) origin).
        """
        if self.band is None or mask is None or not len(pieces):
            return pieces
        pieces = off_ruling(pieces, *mask, self.band, self.dark, self.level)
        if self.dark is not None and self.segs is not None and len(pieces):
            on = runs_on(pieces, *mask, self.dark, directions(self.segs), self.offset)
            pieces = pieces[~on] if on.any() else pieces
        return pieces
