"""Find handwritten digits in a camera frame and group them into numbers.

The stages of OpenCV's ``samples/python/digits_video.py`` (threshold, contours, shape filters), made robust:

- the frame is analysed first at a small size (``analysis_width``, default 320 px on the longer side), so a
  webcam frame costs the same whatever the camera's resolution; when the digits seen there are small (a page
  of numbers, a 12 MP photo) or more than that pass measures, again at the scale that makes them about
  ``digit_px`` tall (:mod:`edge.segment.digit_scale`; seeing nothing digit-like, a large image or a still
  photo once closer), with no cap on their number; unless they were more than it measured, that look keeps to
  the ink the first pass found its digits in (:func:`~edge.segment.digit_scale.ink_gate`: squared paper's
  lines, which at the finer scale break into digit-sized dashes, stay dropped); when that look finds nothing,
  the first pass's digits stand, and in a still so does each one it cuts into fragments (``keep_whole``,
  :func:`~.digit_scale.kept_whole`); ROIs are scaled back to full-frame pixels for :mod:`edge.preprocess`,
  which reads large digits from this analysis (``last_analysis``), small ones from the full frame;
- the ink may be dark on paper or light on a dark ground (``polarity``, by default decided per frame by
  :func:`~edge.segment.ink_polarity.frame_ink_is_light`); light ink is inverted once, at the analysis size;
- the paper is estimated by a grey morphological closing wider than any pen stroke and divided out
  ("flat-field"): uneven light, shadows and paper colour cancel out, leaving each pixel's darkness;
- the scene is read in 8x8-px blocks (:mod:`edge.segment.digit_scene`): the paper, with its shadows, is found
  and textured ground outside it cleared; ink statistics come from the paper only;
- the ink threshold is Otsu's (N. Otsu, 1979) over the paper, clamped between ``min_sigma`` and ``max_sigma``
  standard deviations of the paper's noise above its mean: a thumb, a desk strip or a marker line can no
  longer pull it above faint pencil, and sensor noise stays below it. The noise is measured in grey levels and
  converted to darkness with each pixel's own background (the threshold rises where the light is dim);
- outer contours (``RETR_EXTERNAL``: loops of 0, 6, 8, 9 are never separate regions) are boxed first: specks
  are dropped before any other per-component work, and at most ``max_pieces`` components are measured;
- thin straight lines (ruled and squared paper) are erased with a probabilistic Hough transform, only when a
  component is line-sized and its thin ink (what a 3x3 opening removes) has as many points as a line needs
  votes; a second, higher Otsu level then drops what is left of them (on a page no higher than the erased
  lines' darkness, :func:`~.digit_lines.ruling_darkness`, over a ruling found 1.25x its darkness,
  :meth:`~.digit_ruling.PageRuling.ruled_ink`: faint pencil stays whole), and splits digits from a shadow
  wedge or the paper's edge that the first level joined to them (looked at again only where such a piece was
  dropped; in a video, only when that changed the last full analysis: :mod:`~.digit_reuse`); what is left of a
  page's ruling is dropped by :mod:`edge.segment.digit_ruling`; a ruling as clutter (squared paper from afar)
  or in dashes (a shadow: :meth:`~.digit_ruling.PageRuling.dashed`) is measured with ink on it only if darker;
- pieces of one digit are merged: a 5 with a detached bar or a stroke broken across its height (pieces above
  one another), and a 0 or 8 drawn as two arcs that face each other (pieces side by side), judged relative to
  the pieces' own height so neighbouring digits of a number stay apart; a close-up's arms, broken apart
  where its fat strokes were taken for paper, are joined by a look with a wider kernel (:mod:`~.fat_strokes`);
  a candidate that is digits written touching is cut apart, its parts' ROIs marked (:mod:`~.joined_digits`;
  digits no column separates: proposed cut along a path after every rule, :mod:`~.cut_path`);
- candidates are filtered against the paper's edge and fingers (contact with the frame border; but a digit
  held close, much the largest thing and crossing the border, stands: :mod:`~.cut_digits`), solid blobs (not a
  blurred digit, whose loops open at half its peak darkness: :mod:`~.ridge_ink`), odd aspect ratios, boxes not
  surrounded by paper, bands along a paper, shadow or finger edge (a step, where a stroke is a ridge:
  :mod:`~.edge_slivers`), tiny things, and marks much fainter than the frame's writing (:mod:`~.faint_marks`);
- ROIs come out in reading order (:func:`edge.segment.numbers.group_numbers` makes numbers).

Cost (one x86-64 core, OpenCV single-threaded: ``cv_threads``; idle 2-core VM): median 2.4 ms a 640x480 frame
of five MNIST digits on grey paper (``edge-bench classic``), 4.1-4.5 ms a demo frame (``edge-bench pipeline``;
the scene reused on about three frames of four: :mod:`~.digit_reuse`); a 12 MP page 10-40 ms (older figure).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

from edge.segment import digit_scale, joined_digits
from edge.segment.cut_digits import cut_digit_seen, with_cut_digits
from edge.segment.cut_path import path_parts
from edge.segment.desk_bars import off_desk
from edge.segment.digit_config import FEW_THREADS_PIXELS, DigitSegmenterConfig
from edge.segment.digit_lines import erase_ruled_lines, ruling_darkness
from edge.segment.digit_merge import candidates
from edge.segment.digit_pieces import (
    COLS,
    MAX_WIDTH,
    add_new_boxes,
    frame_pieces,
    measure_components,
    paper_around,
    select_digits,
)
from edge.segment.digit_reuse import SceneMemory
from edge.segment.digit_ruling import PageRuling
from edge.segment.digit_scale import closer_look, ink_gate, scaled, typical_height
from edge.segment.digit_scene import Scene
from edge.segment.edge_slivers import without_edges
from edge.segment.faint_marks import not_faint
from edge.segment.fat_strokes import joined_fragments, wants_wider_look, wider_paper
from edge.segment.finger_tips import not_fingers
from edge.segment.flat_field import paper_kernel
from edge.segment.ink import cv_threads, second_ink_threshold, to_grey
from edge.segment.ink_analysis import InkAnalysis
from edge.segment.ink_mask import ink_mask
from edge.segment.numbers import reading_order
from edge.segment.writing_angle import tilt_rois
from edge.types import ROI

__all__ = ["DigitSegmenter", "DigitSegmenterConfig"]


class DigitSegmenter:
    """Find single handwritten digits in a camera frame (``config``: ``None`` for the defaults)."""

    keeps_scene = True  # Pipeline.reset() calls reset()
    looked_closer = False  # the last find's first pass saw nothing and looked 2x closer (config.closer_look)
    may_look_closer: Callable[[np.ndarray, bool], bool] | None = None  # (grey, light): False, no 2x look
    #: the last analysed image's darkness and ink level, and the image (uint8 (h, w) each), set by _analyse
    _ink: tuple[np.ndarray, np.ndarray]
    _grey: np.ndarray

    def __init__(self, config: DigitSegmenterConfig | None = None) -> None:
        self.config = config or DigitSegmenterConfig()
        #: uint8 (H, W) grey of the last :meth:`find`'s image (``None`` before): later stages reuse it
        self.last_grey: np.ndarray | None = None
        #: What the last :meth:`find` measured, for the preprocessing (``None`` before the first).
        self.last_analysis: InkAnalysis | None = None
        #: the scene kept from the last full analysis (:mod:`edge.segment.digit_reuse`)
        self.memory = SceneMemory(self.config)
        self.ruling = PageRuling(self.memory)  # a ruled page's lines (edge.segment.digit_ruling)
        self.cuts = joined_digits.CutLog()  # the joined digits cut apart (edge.segment.joined_digits)

    def reset(self) -> None:
        """Forget the kept scene (a new video or a still image): the next frame is analysed in full."""
        self.memory.reset()
        self.cuts.clear()

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
        with cv_threads(
            self.config.cv_threads if image.shape[0] * image.shape[1] <= FEW_THREADS_PIXELS else 0
        ):
            return tilt_rois(self._find(image), self.last_analysis)  # a turned page (.writing_angle)

    def _find(self, image: np.ndarray, again: tuple[np.ndarray, np.ndarray] | None = None) -> list[ROI]:
        """:meth:`find` with OpenCV's threads set (``again``: the grey and first image of a rerun)."""
        cfg = self.config
        self.last_grey = self.last_analysis = None
        self.ruling.reset()
        self.cuts.clear()  # (none left by a frame that raised)
        grey = to_grey(image) if again is None else again[0]
        self.last_grey = grey
        H, W = grey.shape
        colour = image if image.ndim == 3 and image.shape[2] == 3 else None
        f = min(1.0, cfg.analysis_width / max(H, W))
        small = first = scaled(grey, f) if again is None else again[1]
        self.memory.begin(small, f)
        light = self.memory.light(small)
        if light:
            small = cv2.bitwise_not(small)
        boxes, (typical, seen), crowded = self._analyse(small, colour, None)
        first_shape, own = small.shape, True  # (own: the boxes are the first pass's image's own)
        may = self.may_look_closer  # (the polarity check's: a still read both ways takes no 2x look)
        still = typical is None and cfg.closer_look and (may is None or may(grey, light))
        closer = closer_look(f, still) if typical is None else None
        self.looked_closer = closer is not None and f > 0.25  # (a still's 2x look, not a large image's)
        if closer is not None:  # nothing digit-like: digits too small here? look once closer (.digit_scale)
            f, paper = closer
            small = cv2.bitwise_not(scaled(grey, f)) if light else scaled(grey, f)
            boxes, (typical, seen), crowded = self._analyse(small, colour, None, paper=paper)
            first_shape, own = small.shape, False
        if typical is not None and (f2 := digit_scale.finer_scale(f, typical, crowded, cfg)) is not None:
            # small digits (a page of numbers, a high-resolution photo): look again at the scale that
            # makes them about digit_px tall; many digits (more than the first pass measures): look
            # again as a page, at least at this scale
            before = (boxes, small, self._ink, own)  # the first pass's result
            if f2 != f:
                small = cv2.bitwise_not(scaled(grey, f2)) if light else scaled(grey, f2)
            # what the first pass dropped as faint clutter (ruling, texture) stays dropped
            gate = None if crowded else self._clean
            within = None if gate is None else ink_gate(*gate, boxes, first_shape, small.shape)
            boxes, own = self._analyse(small, colour, typical * f2 / f, within=within)[0], False
            if len(boxes) < 0.5 * seen:
                # digits packed too densely for paper to show between them (a sheet of digits): no paper rule
                boxes, _, _ = self._analyse(small, colour, typical * f2 / f, False, within)
            if not len(boxes) or self.ruling.finer_lost(before[0], before[1].shape[1], boxes):  # the finer
                # look lost what the first saw (faint pencil in specks, the gate, the paper rule, dashes back)
                boxes, small, self._ink, own = before
            elif cfg.keep_whole:  # a still: a first-pass digit it cut into fragments stands (.digit_scale)
                boxes = digit_scale.kept_whole(boxes, before[0], f2 / f)
        k = paper_kernel(small.shape, cfg)
        if own and not crowded and wants_wider_look(boxes, k):  # a close-up's fat strokes (.fat_strokes)
            with wider_paper(self):  # (no scene reused or kept, no ruling carried over, this look's ink kept)
                boxes = joined_fragments(boxes, self._analyse(small, colour, None)[0])
        rois = self.cuts.rois(boxes, small.shape, (H, W))  # (cut parts marked with their whole)
        if not self.memory.end(rois):  # a reused scene gave a different result
            return self._find(image, (grey, first))
        self.last_analysis = InkAnalysis(*self._ink, (H, W), light, k)
        written = not_faint(boxes, *self._ink)  # (after the scene's check: it compares every candidate)
        found = [rois[i] for i in reading_order(rois) if written[i]]
        a = self.last_analysis  # no pen beside the sheet (.desk_bars), no finger holding it (.finger_tips)
        found = not_fingers(off_desk(found, image, a), image, a)
        return found if cfg.keep_whole else path_parts(found, a)  # (live: .cut_path)

    def _analyse(
        self,
        small: np.ndarray,
        colour: np.ndarray | None,
        digit_px: float | None,
        paper: bool = True,
        within: np.ndarray | None = None,
    ) -> tuple[np.ndarray, tuple[float | None, int], bool]:
        """Digit boxes in one analysis image (dark ink on light paper).

        Args:
            small: uint8 (h, w) grey analysis image.
            colour: the uint8 (H, W, 3) BGR frame, or ``None``.
            digit_px: ``None`` at the first pass (the smallest digit is ``min_height``
                x h); else the typical digit height (px) expected at this scale (the
                smallest is ``min_relative_height`` x that).
            paper: apply the paper rule (:func:`edge.segment.digit_scene.find_scene`).
            within: uint8 (h, w) mask: ink is looked for only where it is non-zero (``None``:
                everywhere). Sets ``_clean`` (see :func:`edge.segment.digit_scale.ink_gate`).

        Returns:
            (float (M, 7) digit boxes, analysis px; the typical digit height (px): the
            median height of the boxes, or of the digit-like ink pieces when no box
            is found (digits too small for ``min_height``), or ``None``, and how many
            boxes or pieces it comes from (:func:`typical_height`); whether the
            frame is crowded with digits: more components than were measured, and most
            of those measured are digits).
        """
        cfg = self.config
        sh, sw = small.shape
        min_h = cfg.min_height * sh if digit_px is None else cfg.min_relative_height * digit_px
        cells = sw * sh / max(min_h, 2.0) ** 2  # the frame's area in the smallest digits
        max_pieces = max(8, math.ceil(cfg.piece_density * cells))
        if digit_px is not None:  # a page: many digits of about digit_px
            max_pieces = max(max_pieces, math.ceil(cfg.page_density * sw * sh / digit_px**2))
        clutter = math.ceil(cfg.clutter_density * cells) if digit_px is None else 0
        bg, dark, lit, bright = self.memory.flat_field(small)  # edge.segment.flat_field
        scene, level, t, paper_hist = self.memory.scene_and_level(
            small, bg, dark, lit, bright, colour, paper, digit_px is None
        )
        # a cluttered frame (squared paper, texture) is left to the second threshold below unmeasured
        first, lines_erased, count, _ = self._pieces(dark, level, max_pieces, stop_at=clutter, within=within)
        ruled = self.ruling.above(self._mask if first is None else None, dark, level, cfg)
        m = None if ruled is None else self._pieces(dark, ruled, max_pieces, stop_at=clutter, within=within)
        dashes = None if lines_erased or digit_px else first  # (a first pass's ink: a dashed ruling?)
        if raised := (ruled is not None and m is not None and m[0] is not None):  # a ruling's clutter
            (first, lines_erased, count, _), level = m, ruled  # (measured with ink darker than the ruling)
        elif (d := self.ruling.dashed(dashes, self._mask, dark, level, cfg, scene.paper)) is not None:
            if (m := self._pieces(dark, d, max_pieces, stop_at=clutter, within=within))[0] is not None:
                (first, lines_erased, count, _), level = m, d  # (a ruling broken into dashes: .ruling_dashes)
        self._ink, self._grey = (dark, level), small  # for last_analysis, and without_edges in _digits
        resort_level = level if ruled is None else ruled  # the last resort's: the ruled one if any
        seen_all = first is not None and count <= max_pieces  # every component measured (ink_gate)
        ink = self._mask  # (the mask the pieces are measured in, its origin: for PageRuling.off)
        self.ruling.look(ink, self._erased, dark, cfg, finer=digit_px is not None)  # (a grid's dashes?)
        self._clean: tuple[tuple[np.ndarray, tuple[int, int]] | None, bool] | None
        self._clean = (ink, True) if seen_all else None
        second = lines_erased or first is None or raised
        pieces = np.zeros((0, COLS)) if first is None else first
        boxes, dropped = (pieces[:0], None) if raised else self._digits(pieces, ink, scene, bg, min_h)
        dropped = dropped if dropped is None or self.memory.look_again(digit_px is None) else None
        if second or dropped is not None:
            # A higher threshold separates dark ink from what the first one let in:
            # printed ruling left behind by the line eraser, or clutter (then it
            # replaces the first pass), or a shadow wedge or the paper's edge that
            # swallowed a digit (then it looks again only where that piece was
            # dropped, and its new digits are added).
            t2 = second_ink_threshold(dark, t, scene.paper, paper_hist)
            erased = self._erased if lines_erased and digit_px is not None else None  # a page's pass
            ruling = ruling_darkness(*erased[:3]) if erased is not None else self.ruling.ruled_ink()
            # above the ruling, not into the ink (digit_lines.ruling_darkness; PageRuling.ruled_ink)
            if t2 is not None and ruling is not None:
                t2 = min(t2, max(ruling, t + 1))
            if t2 is not None:
                pieces2, _, count2, measure2 = self._pieces(
                    dark,
                    level,
                    max_pieces,
                    lines=second,
                    region=None if second else dropped,
                    floor=t2,
                    within=within,
                )
                if second:  # the boxes come from this level: the ink above the clutter (all
                    # measured), or after erasing lines all the first level's ink
                    if first is None:
                        self._clean = (self._mask, True) if count2 <= max_pieces else None
                        self.ruling.look(self._mask, self._erased, dark, cfg, clutter=ink)  # (lines there?)
                    elif self._clean is not None and not raised:
                        self._clean = (self._clean[0], False)
                pieces2 = measure2() if pieces2 is None else pieces2
                pieces, ink = (pieces2, self._mask) if first is None else (pieces, ink)  # (the clutter's)
                boxes2, _ = self._digits(pieces2, self._mask, scene, bg, min_h)
                boxes = boxes2 if second else self.memory.looked(boxes, add_new_boxes(boxes, boxes2, sw, sh))
            if raised and not len(boxes):  # (the ruled level's own boxes: wanted only if the second has none)
                boxes = self._digits(pieces, ink, scene, bg, min_h)[0]
        if first is None and not len(boxes):  # clutter, and nothing at the second level: measure it,
            # its ruled lines erased (unerased, a page of lines made one page-sized "digit")
            again, _, _, measured = self._pieces(dark, resort_level, max_pieces, within=within)
            pieces, ink, self._ink = measured() if again is None else again, self._mask, (dark, resort_level)
            boxes, _ = self._digits(pieces, ink, scene, bg, min_h)
        limits = (cfg.max_contact, cfg.max_height, MAX_WIDTH)  # the border rules of _digits
        if cfg.reject_border and (not len(boxes) or cut_digit_seen(pieces, boxes, sw, sh, limits)):
            more, _ = self._digits(pieces, ink, scene, bg, min_h, cropped=True)  # a tight crop? a close-up?
            boxes = with_cut_digits(boxes, more, self._ink, colour)  # not a finger (skin_pieces)
        boxes = select_digits(boxes, cfg, sw, sh, self._ink if digit_px is None else None, 2 * min_h)
        crowded = digit_px is None and count > max_pieces and len(boxes) >= 0.6 * max_pieces
        return boxes, typical_height(boxes, pieces, sw, sh), crowded

    def _pieces(
        self,
        dark: np.ndarray,
        level: np.ndarray,
        max_pieces: int,
        lines: bool = True,
        region: tuple[int, int, int, int] | None = None,
        stop_at: int = 0,
        floor: int = 0,
        within: np.ndarray | None = None,
    ) -> tuple[np.ndarray | None, bool, int, Callable[[], np.ndarray]]:
        """Ink components: pixels darker than ``level``; ruled lines erased (if
        ``lines``).

        Args:
            dark: uint8 (h, w) darkness.
            level: uint8 (h, w) threshold.
            max_pieces: most components measured (the largest boxes).
            lines: erase ruled lines when a component is line-sized.
            region: only look inside this box (x0, y0, x1, y1), analysis px.
            stop_at: see :func:`measure_components`.
            floor: the threshold is at least this (0..255; the second ink level).
            within: uint8 (h, w): ink only where non-zero (``None``: everywhere).

        Returns:
            (float (N, 7) pieces x0, y0, x1, y1, ink area, border contact, sum of ink
            x, in analysis px, or ``None`` (``stop_at``); whether ruled lines were
            erased; the number of components before keeping the ``max_pieces``
            largest; ``measure()``, which returns the pieces in any case).
        """
        cfg = self.config
        sh, sw = dark.shape
        mask, origin = ink_mask(dark, level, region or (0, 0, sw, sh), floor, within)  # (the box around it)
        self._mask = self._erased = None
        if mask is None:
            empty = np.zeros((0, COLS))
            return empty, False, 0, lambda: empty
        (bh, bw), frame = mask.shape, (sw, sh)
        self._mask = (mask, origin)
        pieces, outlines, count, measure = measure_components(
            mask, cfg.min_area, max_pieces, origin, frame, stop_at
        )
        if pieces is not None and lines and len(pieces):
            cleaned, segs = erase_ruled_lines(mask, pieces, outlines, origin, frame, cfg)
            if cleaned is not mask:
                self._mask = (cleaned, origin)
                ox, oy = origin  # what ruling_darkness reads, if a page's pass needs it
                self._erased = (dark[oy : oy + bh, ox : ox + bw], mask, cleaned, segs)
                pieces = measure_components(cleaned, cfg.min_area, max_pieces, origin, frame)[0]
                return pieces, True, count, measure
        return pieces, False, count, measure

    def _digits(
        self,
        pieces: np.ndarray,
        ink: tuple[np.ndarray, tuple[int, int]] | None,
        scene: Scene,
        bg: np.ndarray,
        min_h: float,
        cropped: bool = False,
    ) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
        """Digit candidates from ink pieces (see :meth:`_pieces`).

        Args:
            pieces: float (N, 7) from :meth:`_pieces`.
            ink: (uint8 (mh, mw) the ink mask they were measured in, its (x, y) origin) (``_mask``).
            scene: from :func:`edge.segment.digit_scene.find_scene`.
            bg: uint8 (h, w) background estimate.
            min_h: smallest digit height, analysis px.
            cropped: the frame may be a tight crop of one digit (pieces along the border, filling it).

        Returns:
            (float (M, 7) candidate boxes, the same columns; the box x0, y0, x1, y1 around the
            pieces dropped as the paper's edge or as too large (a higher level may split), or ``None``).
        """
        cfg = self.config
        sh, sw = bg.shape
        pieces = self.ruling.off(pieces, ink)  # not the pieces of a page's ruling
        # the paper's edge, the table, fingers: long contact with the frame border, or
        # more contact than the piece is long (a corner of the frame, a shadow)
        max_contact, max_height, max_width = (
            (1.0, 1.0, 1.0) if cropped else (cfg.max_contact, cfg.max_height, MAX_WIDTH)
        )
        kept, region = frame_pieces(pieces, sw, sh, max_contact, max_height, max_width, 4 * cfg.min_area)
        boxes = candidates(kept, cfg, sh, min_h, max_height, self._ink, mask=ink, cuts=self.cuts)
        if scene.around is not None and not scene.whole and len(boxes) and cfg.min_paper_around > 0:
            # (a whole-paper scene has paper all round every box: its ring test always passes)
            ring = paper_around(boxes, scene.around) >= cfg.min_paper_around
            boxes = boxes if ring.all() else boxes[ring]  # (no copy when all pass: tables are read only)
        cfg_ = None if cropped else cfg  # steps are not ink (edge_slivers); a crop's look: all (cut_digits)
        return without_edges(boxes, self._grey, bg, *self._ink, scene.whole, cropped, cfg_), region
