"""The ruling of a ruled or squared page, and the ink pieces that are only pieces of it
(:class:`edge.segment.digits.DigitSegmenter`).

The line eraser (:func:`edge.segment.digit_lines.erase_ruled_lines`) erases the lines it
finds in the line-sized components of one ink level. What it leaves are pieces of the same
lines: dashes where the threshold broke a faint line (shadow, dim light, a thin pen line),
the ends of a line the Hough walk left (a tilted line leaves the quantised direction after
a hundred pixels), crosses between the erased parts of a grid, and at a finer look, lines
that were too faint to be seen at the first. Each of them is digit-sized, is read as a "1"
at 84-98 %, and neighbouring ones merge into boxes of grid cells.

A ruling is straight, long, of one darkness and runs across the page in one or two directions
(:func:`edge.segment.ruling_lines.find_ruling`). A pass of the finder that shows evidence of one
looks for it (:class:`PageRuling`): the eraser's own lines (no new search); a search of the lowest ink
level's thin ink only when that level was too cluttered to measure and the second level's erased lines
make a ruling, a coarser pass found one, or the pass is a finer look at small digits (a sheet on a desk
with a few digits, most video frames, runs no search). On squared paper the lines that no segment was
found for (faint, or broken into dashes in a shadow) are drawn from the period and phase of the ones
found and of the pieces' dashes (:mod:`edge.segment.ruling_grid`). A first ink level too cluttered to
measure whose thin ink holds a ruling is measured again with ink on the ruling's band only where darker
than it (:meth:`PageRuling.above`; its digits are read only when the second level finds none); so is a
first pass's level whose lined paper a shadow broke into dashes all along (:meth:`PageRuling.dashed`,
:mod:`edge.segment.ruling_dashes`), where its ink runs along the lines. The
segments are extended by :data:`EXTEND` x their length at each end (a straight line goes on). A piece
is dropped as a piece of the ruling before pieces are merged into digits (:meth:`PageRuling.off`) when
its ink lies on the lines' band and is about as dark as the ruling's own ink there (:func:`off_ruling`;
a digit written along a line is darker), or when it is a sliver along them whose ridge goes on past its
ends at the same darkness (:func:`~edge.segment.line_ridges.runs_on`: a line that no segment was found
for, in a shadow). A digit written across or beside the lines keeps its pieces: most of their ink
leaves the lines, and a "1" or a "7", whose strokes are straight, ends where its stroke ends.
"""

from __future__ import annotations

from collections.abc import Sized

import cv2
import numpy as np

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_lines import line_lengths
from edge.segment.digit_reuse import SceneMemory
from edge.segment.ink import darkness_histogram, histogram_quantile
from edge.segment.line_ridges import DARKER, runs_on
from edge.segment.ruling_carry import CarriedRuling
from edge.segment.ruling_dashes import along_lines, dashed_lines
from edge.segment.ruling_grid import FAMILY_LINES, add_grid, dash_segments
from edge.segment.ruling_lines import directions, find_ruling
from edge.segment.ruling_pieces import off_ruling

#: How far a ruled line goes on past the segment found of it, at each end (x its length).
EXTEND = 4.0
#: Lines found at a pass more than this many times coarser are not used at a finer one.
COARSER = 2.0
#: Ink on a cluttering ruling's band (:meth:`PageRuling.above`) is this many times as dark as it or more
#: (realistic_digits seeds 21/23; 1.15-1.4 as good on 22/1901; 1.6 cuts faint digits crossing lines).
RULED_INK = 1.25


def ruling_band(segs: np.ndarray, scale: float, shape: tuple[int, int], width: int) -> np.ndarray:
    """Where the ruling runs in an image: the segments scaled and extended by :data:`EXTEND` x
    their length at each end, drawn ``width`` px wide.

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


def median_on(dark: np.ndarray, mask: np.ndarray, origin: tuple[int, int], band: np.ndarray) -> float:
    """The median darkness (0..255, 0 when none) of uint8 (h, w) ``dark`` under the ink of uint8
    ``mask`` (at ``origin`` (x, y) in it) on uint8 (h, w) ``band``: a ruling's darkness."""
    (ox, oy), (mh, mw) = origin, mask.shape
    on = cv2.bitwise_and(mask, band[oy : oy + mh, ox : ox + mw])
    median = histogram_quantile(darkness_histogram(dark[oy : oy + mh, ox : ox + mw], on), 0.5)
    return 0.0 if median is None else float(median)


def ruled_band(
    mask: np.ndarray,
    origin: tuple[int, int],
    dark: np.ndarray,
    cfg: DigitSegmenterConfig,
    segs: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The ruling of a cluttered ink level (:meth:`PageRuling.above`): the segments that are ruled
    lines of it (:func:`~edge.segment.ruling_lines.find_ruling` of the mask's thin ink, or of ``segs``
    found in the mask: a dashed ruling's, :meth:`PageRuling.dashed`), their band
    (:func:`ruling_band`, ``line_thickness`` + 2 px wide) and the median darkness of the level's ink
    on it (:func:`median_on`).

    Args:
        mask: uint8 (mh, mw) the ink mask (255 = ink) at ``origin`` (x, y) in the analysis image.
        dark: uint8 (h, w) the analysis image's darkness (ink bright).
        cfg: the segmenter's settings (``line_length``, ``min_line``, ``line_thickness``).
        segs: float (L, 4) segments x0, y0, x1, y1 in mask px, or ``None`` (a search of its thin ink).

    Returns:
        (float32 (K, 4) segments, analysis px; uint8 (h, w) band; darkness 1..255), or ``None``: fewer
        than :data:`~edge.segment.ruling_lines.MIN_LINES` ruled lines, or no ink on their band.
    """
    (ox, oy), (h, w) = origin, dark.shape
    at = np.array([ox, oy, ox, oy], np.float32)
    patch = dark[oy : oy + mask.shape[0], ox : ox + mask.shape[1]]
    if (found := find_ruling(mask, patch, line_lengths((w, h), cfg), cfg.line_thickness, segs)) is None:
        return None
    band = ruling_band(found + at, 1.0, (h, w), cfg.line_thickness + 2)
    band = add_grid(band, found + at, dark, cfg.line_thickness + 2, PAPER_OFFSET)  # (lines not found)
    if not (darkness := median_on(dark, mask, origin, band)):
        return None  # (no ink on the band: no ruling kept)
    return found + at, band, darkness


#: px beside a line where its paper is read at the first pass (``line_thickness`` + 1: past
#: the widest line the eraser takes); scaled with the pass.
PAPER_OFFSET = 3


class PageRuling:
    """A frame's ruling (:func:`~edge.segment.ruling_lines.find_ruling`), found at the passes of the
    digit finder that show evidence of one (reset per frame with :meth:`reset`), and the pieces that
    are pieces of it (:meth:`off`). ``memory``: the segmenter's scene memory (a video's frames take the
    ruling :meth:`above` found at an earlier frame: :mod:`edge.segment.ruling_carry`), or ``None``."""

    def __init__(self, memory: SceneMemory | None = None) -> None:
        self.carried = CarriedRuling(memory)  # the ruling above found at an earlier frame of a video
        self.segs: np.ndarray | None = None  # float32 (L, 4), px of an image ``width`` px wide
        self.width = self.base = 0  # px of self.segs; of the pass that first found a ruling
        self.band: np.ndarray | None = None  # this pass's band (ruling_band)
        self.dark: np.ndarray | None = None  # this pass's darkness
        self.offset = PAPER_OFFSET  # px beside a line where its paper is read, at this pass
        self.level = 0.0  # the ruling's darkness at this pass
        self.searched = self.raised = 0  # the width of the image last searched, last raised (px)
        self.dashed_at = 0  # the width of the image :meth:`dashed` last raised (px; 0: none this frame)
        self.drawn = 0  # this pass's band width until off has drawn the lines of its pieces' dashes
        self._dirs: tuple[np.ndarray | None, tuple[int, ...]] = (None, ())  # (segs, their directions)
        self._drawn: tuple[np.ndarray | None, tuple[float, tuple[int, int], int], np.ndarray | None] = (
            None,
            (0.0, (0, 0), 0),
            None,
        )  # (segs, (scale, shape, width), their band): above's, for look

    def reset(self) -> None:
        """Forget the last frame's ruling (not the ruling carried over from an earlier frame of a video:
        :class:`~edge.segment.ruling_carry.CarriedRuling` forgets it at the scene memory's reset)."""
        self.segs, self.width, self.base, self.band, self.dark = None, 0, 0, None, None
        self.searched = self.raised = self.dashed_at = 0

    def finer_lost(self, first: Sized, first_width: int, finer: Sized) -> bool:
        """Whether a page's finer look kept fewer than half the boxes of a first pass ``first_width``
        px wide that :meth:`dashed` raised: that look raises no dashed ruling, so the dashes came back
        and took the digits (review of session 27: a shadowed lined sheet's 19 boxes with 11 pencil
        0s on the lines -> 5, no 0; the first pass's then stand)."""
        return self.dashed_at == first_width and len(finer) < 0.5 * len(first)

    def look(
        self,
        mask: tuple[np.ndarray, tuple[int, int]] | None,
        erased: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
        dark: np.ndarray,
        cfg: DigitSegmenterConfig,
        clutter: tuple[np.ndarray, tuple[int, int]] | None = None,
        finer: bool = False,
    ) -> None:
        """Set this pass's band (:func:`ruling_band`; ``None``: no ruling) where the pass shows
        evidence of one: :data:`~.ruling_lines.MIN_LINES` ruled lines among those the eraser found in the ink
        level (no new search: :func:`find_ruling` of its segments). The lowest ink level's thin ink
        is searched anew (once per scale) only when it was too cluttered to measure and the second
        level's lines make a ruling (``clutter``), when a coarser pass found one (a finer pass
        sees more of the lines), or at a finer look (``finer``: squared paper whose faint lines the
        threshold broke into dashes, which the eraser never takes, breaks a small digit's look). A
        sheet on a desk with a few digits runs no search. On squared paper the lines no segment was
        found for are drawn in the band (:func:`~edge.segment.ruling_grid.add_grid`).

        Args:
            mask: (uint8 (mh, mw) the level's ink mask, lines erased, its (x, y) origin), or
                ``None`` (no ink).
            erased: (darkness, mask before, mask after erasing lines, float (L, 4) the erased
                segments in mask px) when lines were erased, else ``None``.
            dark: uint8 (h, w) the analysis image's darkness (ink bright).
            cfg: the segmenter's settings (``line_length``, ``min_line``, ``line_thickness``).
            clutter: (uint8 the lowest level's ink mask, its origin) when it was too cluttered
                to measure (``mask`` and ``erased`` are then the second level's), else ``None``.
            finer: the pass is a finer look (:mod:`edge.segment.digit_scale`).
        """
        shape = h, w = dark.shape
        self.band = self.dark = None
        self.drawn = 0  # the band's width, until off draws the lines of its pieces' dashes (then 0)
        if mask is None:
            return
        ink, (ox, oy) = mask[0] if erased is None else erased[1], mask[1]
        if cfg.line_length > 0 and w != self.searched:
            lengths = line_lengths((w, h), cfg)
            segs = None
            if erased is not None:  # the eraser's lines (the same search on the same mask)
                patch = dark[oy : oy + ink.shape[0], ox : ox + ink.shape[1]]
                segs = find_ruling(ink, patch, lengths, cfg.line_thickness, erased[3])
            if (clutter is not None and segs is not None) or (
                segs is None and (self.segs is not None or finer)
            ):
                self.searched = w
                (ink, (ox, oy)) = clutter or (ink, (ox, oy))
                patch = dark[oy : oy + ink.shape[0], ox : ox + ink.shape[1]]
                segs = find_ruling(ink, patch, lengths, cfg.line_thickness)
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
        self.drawn = width = round((cfg.line_thickness + 2) * scale)  # (off draws the dashes' lines)
        self.band = self._band(self.segs, w / self.width, shape, width)
        if self.band is not self._drawn[2]:  # (above's band has the grid's lines drawn already)
            self.band = add_grid(
                self.band, self.segs * (w / self.width), dark, width, round(PAPER_OFFSET * scale)
            )
        if self.raised != w:  # the ruling's darkness (at a raised pass: of the lowest level, by above)
            self.level = median_on(dark, ink, (ox, oy), self.band)
        self.dark, self.offset = dark, round(PAPER_OFFSET * scale)

    def ruled_ink(self) -> int | None:
        """The ink level over this pass's ruling: :data:`RULED_INK` x its darkness (0..255; the level
        :meth:`above` raises its band to), or ``None`` when :meth:`look` found no ruling at this pass
        (or no ink on it).

        The pass's second, higher ink level goes no higher (:class:`~edge.segment.digits.DigitSegmenter`):
        an Otsu split of the ink darker than the first level, where faint pencil spreads from the
        ruling's darkness up and a pen or a shadow on the desk is much darker, falls inside the pencil's
        own grain and breaks its digits (demo seed 0's squared sheet at frame 1050)."""
        return None if self.band is None or not self.level else min(255, round(RULED_INK * self.level))

    def above(
        self,
        clutter: tuple[np.ndarray, tuple[int, int]] | None,
        dark: np.ndarray,
        level: np.ndarray,
        cfg: DigitSegmenterConfig,
    ) -> np.ndarray | None:
        """The ink level of a pass whose lowest level is too cluttered to measure, when the clutter is
        a ruling (:func:`find_ruling` of its thin ink): on its band, :data:`RULED_INK` x the ruling's
        median darkness or more. Paper ruled or squared seen from afar breaks into dashes and crosses
        that the line eraser does not take and that merge with a small digit (no taller than a square,
        its strokes no thicker than the lines); written ink is darker than printed lines. The ruling
        and its darkness are kept for :meth:`look` and :meth:`off` (this scale is not searched again).

        Args:
            clutter: (uint8 (mh, mw) the lowest level's ink mask, its (x, y) origin), or ``None``.
            dark: uint8 (h, w) the analysis image's darkness (ink bright).
            level: uint8 (h, w) the ink level (threshold) of that mask.
            cfg: the segmenter's settings (``line_length``, ``min_line``, ``line_thickness``).

        Returns:
            uint8 (h, w) the level raised on the ruling's band, or ``None`` (no ruling).
        """
        h, w = dark.shape
        if clutter is None or cfg.line_length <= 0 or w == self.searched:
            return None
        self.searched, (mask, origin) = w, clutter
        if (kept := self.carried.band(mask, origin, (h, w))) is None:  # (a search, carried on)
            return self._raised(
                self.carried.keep(ruled_band(mask, origin, dark, cfg), mask, origin), level, cfg
            )
        darkness = median_on(dark, mask, origin, kept[1])  # (the carried ruling's darkness in this frame)
        return self._raised((*kept, darkness) if darkness else None, level, cfg)

    def dashed(
        self,
        pieces: np.ndarray | None,
        ink: tuple[np.ndarray, tuple[int, int]] | None,
        dark: np.ndarray,
        level: np.ndarray,
        cfg: DigitSegmenterConfig,
        paper: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """The ink level of a pass whose lines across the writing (a ruled page's) the threshold broke
        into dashes all along (no line was erased: :mod:`edge.segment.ruling_dashes`), raised on their
        band as :meth:`above` raises it, where the ink runs along them (:func:`~.ruling_dashes.along_lines`):
        the dashes, and those that touch a digit's ink or join two digits, are left out of the pieces; a
        faint digit written on a line keeps its strokes across it.

        Args:
            pieces: float (N, 7) the level's ink pieces (:mod:`edge.segment.digit_pieces` columns), or
                ``None``: none looked for (none measured, lines were erased, or a page's finer pass, whose
                ruling :meth:`look` and :meth:`off` find).
            ink: (uint8 (mh, mw) the ink mask they were measured in, its (x, y) origin), or ``None``.
            dark: uint8 (h, w) the analysis image's darkness (ink bright).
            level: uint8 (h, w) the ink level (threshold) of that mask.
            cfg: the segmenter's settings (``line_length``, ``min_line``, ``line_thickness``).
            paper: uint8 (h, w) the paper (255), or ``None`` (all of it): dashes off it are not looked at.

        Returns:
            uint8 (h, w) the level raised on the ruling's band, to :data:`RULED_INK` x the median
            darkness of the dashes' ink on it (not of the digits'), or ``None``: no dashed ruling, or
            its dashes are :data:`~edge.segment.line_ridges.DARKER` x the level there or more (not
            broken by the threshold: written ink, such as minus signs in a row along a faint line).
        """
        h, w = dark.shape
        if pieces is None or ink is None or cfg.line_length <= 0 or w == self.searched:
            return None
        (mask, origin), lengths = ink, line_lengths((w, h), cfg)
        if (dashes := dashed_lines(pieces, mask, origin, lengths, paper)) is None:
            return None
        self.searched = w
        if (found := ruled_band(mask, origin, dark, cfg, dashes[0])) is None:
            return None
        # (a threshold breaks a line about as dark as itself: written ink, a row of minus signs on a
        # faint grid's line, is much darker than the level it is seen at)
        darkness = median_on(dark, dashes[1], origin, found[1])
        if not 0 < darkness < DARKER * median_on(level, dashes[1], origin, found[1]):
            return None
        where = cv2.bitwise_and(found[1], along_lines(mask, origin, found[0], (h, w)))  # (not across)
        self.dashed_at = w
        return self._raised((found[0], found[1], darkness), level, cfg, where)

    def _raised(
        self,
        found: tuple[np.ndarray, np.ndarray, float] | None,
        level: np.ndarray,
        cfg: DigitSegmenterConfig,
        where: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """uint8 (h, w) ``level`` raised to :data:`RULED_INK` x the ruling's darkness on its band (or on
        uint8 (h, w) ``where``, 255 or 0, a part of it), the ruling kept for :meth:`look` and :meth:`off`
        (``found``: :func:`ruled_band`'s), or ``None``."""
        if found is None:
            return None
        (h, w), (segs, band, darkness) = level.shape, found
        self.segs, self.width, self.base, self.raised, self.level = segs, w, w, w, darkness
        self._drawn = (
            segs,
            (1.0, (h, w), cfg.line_thickness + 2),
            band,
        )  # (ruled_band's: look's at this pass)
        raised = band if where is None else where  # (255 or 0)
        return cv2.max(level, cv2.min(raised, min(255, round(RULED_INK * darkness))))

    def _band(self, segs: np.ndarray, scale: float, shape: tuple[int, int], width: int) -> np.ndarray:
        """:func:`ruling_band` of these segments, or the band :meth:`above` drew of the same ones at the
        same scale, shape and width (the pass it raised: no second drawing)."""
        kept, key, band = self._drawn
        if (
            kept is segs and key == (scale, shape, width) and band is not None
        ):  # (segs: never changed in place)
            return band
        return ruling_band(segs, scale, shape, width)

    def _directions(self, segs: np.ndarray) -> tuple[int, ...]:
        """The directions of float (L, 4) ``segs`` (:func:`~edge.segment.ruling_lines.directions`),
        worked out once for each array of segments (a pass calls :meth:`off` for each of its levels)."""
        if self._dirs[0] is not segs:  # (self.segs is replaced, never changed in place)
            self._dirs = (segs, directions(segs))
        return self._dirs[1]

    def off(self, pieces: np.ndarray, mask: tuple[np.ndarray, tuple[int, int]] | None) -> np.ndarray:
        """The pieces that are not pieces of this pass's ruling: on its band (:func:`off_ruling`)
        or slivers of a line that goes on past them (:func:`runs_on`).

        Args:
            pieces: float (N, 7) ink pieces (:mod:`edge.segment.digit_pieces` columns), analysis px.
            mask: (uint8 (mh, mw) the ink mask the pieces were measured in, its (x, y) origin in
                the analysis image), or ``None``.

        Returns:
            float (M, 7) the pieces kept; ``pieces`` itself when there is no ruling or all are kept.
        """
        if self.band is None or mask is None or not len(pieces):
            return pieces
        if self.drawn and self.segs is not None and self.dark is not None:  # once a pass: the lines
            # of the pieces' dashes (a faint grid broken by the threshold, which no segment was found for)
            dashes = dash_segments(pieces, *mask, least=2 * FAMILY_LINES)  # (fewer: no moments)
            if len(dashes) >= 2 * FAMILY_LINES:
                segs = np.vstack([self.segs * (self.dark.shape[1] / self.width), dashes])
                self.band = add_grid(self.band, segs, self.dark, self.drawn, self.offset)
            self.drawn = 0
        pieces = off_ruling(pieces, *mask, self.band, self.dark, self.level)
        if self.dark is not None and self.segs is not None and len(pieces):
            on = runs_on(pieces, *mask, self.dark, self._directions(self.segs), self.offset, self.level)
            pieces = pieces[~on] if on.any() else pieces
        return pieces
