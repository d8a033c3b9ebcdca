"""A page's ruling carried over from frame to frame of a live video (:mod:`edge.segment.digit_ruling`).

A first ink level too cluttered to measure is searched for a ruling at a frame's first pass
(:meth:`~edge.segment.digit_ruling.PageRuling.above`: a squared sheet seen from afar, 5-6.5 ms of a 10-12 ms
frame on ``edge-bench pipeline --source demo:1`` and ``demo:2``), and the search finds the same lines frame
after frame while the sheet is in view. :class:`CarriedRuling` keeps the segments and the band
(:func:`~edge.segment.digit_ruling.ruled_band`) that the last search found at a video frame's first pass;
the next frames' first passes take them instead of searching, moved by a whole pixel or none across and
down to put the most of the level's ink on the band (:func:`follow`: a drifting sheet, a shaking camera),
as long as the share of the ink on it is at least :data:`KEEP` x the share at the search. A sheet that
moved further or left takes the ink off the band: the search runs again and its ruling is carried on (a
slow turn, 0.5 degrees a frame, or a hand passing over the sheet may not: the ink left stays on the band;
the review of session 28 saw 92 and 72 of 120 such frames carried, with the digits read as before). The
search also runs again ``reuse_frames`` frames after the last one (as the
scene of :class:`~edge.segment.digit_reuse.SceneMemory` is analysed in full), after a reset (a new video,
a still) and at another analysis scale. What depends on the frame's own pixels is measured anew by the
caller: the ruling's darkness under the ink on the band, and so the raised level.

Not exact: the carried band may lie a pixel off the one the frame's own search would find, and a ruling
its own search would not find (or would find in part) is kept; demo seeds 0-4 over 3,000 frames change on
a few dozen frames of their squared sheets, within a digit or two a seed. Stills, a segmenter with
``reuse_scene=False`` and a page's finer passes never carry a ruling. A lined page's ruling in dashes
(:meth:`~edge.segment.digit_ruling.PageRuling.dashed`, 1.5-2 ms) is not carried: its dashes move with the
shadow that breaks the lines, and carried, demo seeds 3 and 4 read 2-3 digits fewer on their shadowed
sheets (session 28).
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digit_reuse import SceneMemory

__all__ = ["KEEP", "STEP", "CarriedRuling", "follow", "on_band"]

#: A carried ruling stands while the share of the level's ink on its band is this many times the share at
#: the search or more (:func:`follow`).
KEEP = 0.9
#: A carried band follows the ink by up to this many px a frame across and down (a drifting sheet).
STEP = 1


def on_band(mask: np.ndarray, origin: tuple[int, int], band: np.ndarray) -> float:
    """The share (0..1; 0 when no ink) of the ink of uint8 (mh, mw) ``mask`` (255 = ink, at ``origin``
    (x, y) in the image) that lies on uint8 (h, w) ``band`` (255 on it)."""
    (ox, oy), (mh, mw) = origin, mask.shape
    ink = cv2.countNonZero(mask)
    on = cv2.countNonZero(cv2.bitwise_and(mask, band[oy : oy + mh, ox : ox + mw]))
    return on / ink if ink else 0.0


def follow(mask: np.ndarray, origin: tuple[int, int], band: np.ndarray) -> tuple[np.ndarray, int, int, float]:
    """A band moved by the whole px (dx, dy), each within +-:data:`STEP`, that puts the most of the ink
    of a mask on it (no move first among equals: a still sheet keeps its band).

    Args:
        mask: uint8 (mh, mw) ink mask (255 = ink) ...
        origin: ... whose top-left corner is at (x, y) of the image (px).
        band: uint8 (h, w) a ruling's band (255 on it) in the image.

    Returns:
        (uint8 (h, w) the band moved (``band`` itself when not; 0 where it came from outside the image),
        dx, dy (px), the share 0..1 of the mask's ink on it (:func:`on_band`; 0 when no ink)).
    """
    (ox, oy), (mh, mw), (h, w) = origin, mask.shape, band.shape
    if not (ink := cv2.countNonZero(mask)):
        return band, 0, 0, 0.0
    pad = cv2.copyMakeBorder(band, STEP, STEP, STEP, STEP, cv2.BORDER_CONSTANT, value=0)
    best = (-1, 0, 0)
    moves = (0, *range(-STEP, 0), *range(1, STEP + 1))  # (no move first: kept among equals)
    for dy in moves:
        for dx in moves:  # (the band moved by dx, dy: pad's px at -dx, -dy)
            y, x = oy + STEP - dy, ox + STEP - dx
            on = cv2.countNonZero(cv2.bitwise_and(mask, pad[y : y + mh, x : x + mw]))
            best = max(best, (on, dx, dy), key=lambda b: b[0])  # (the first of equals)
    on, dx, dy = best
    moved = band if dx == dy == 0 else pad[STEP - dy : STEP - dy + h, STEP - dx : STEP - dx + w].copy()
    return moved, dx, dy, on / ink


class CarriedRuling:
    """The ruling that the last search of a cluttered level found at a video frame's first pass (module
    docstring).

    Args:
        memory: the segmenter's scene memory (:attr:`SceneMemory.reused` tells a frame's first pass,
            :attr:`SceneMemory.resets` a new video or a still, :attr:`SceneMemory.frames` counts the
            frames), or ``None``: nothing is carried.
    """

    def __init__(self, memory: SceneMemory | None = None) -> None:
        self.memory = memory
        # ((resets, frames ended, analysis image (h, w) px) at the search, float32 (L, 4) segments,
        # uint8 (h, w) band, on_band share at the search), or None
        self._kept: tuple[tuple[int, int, tuple[int, int]], np.ndarray, np.ndarray, float] | None = None
        self.taken = 0  # rulings carried (not searched) since construction

    def _clock(self, shape: tuple[int, int]) -> tuple[int, int, tuple[int, int]] | None:
        """(resets, frames ended, ``shape``) of a frame's first pass of a video, or ``None``."""
        m = self.memory
        if m is None or m.reused is None or not m.config.reuse_scene:
            return None
        return m.resets, sum(m.frames), shape

    def band(
        self, mask: np.ndarray, origin: tuple[int, int], shape: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The carried (float32 (L, 4) segments, uint8 (h, w) band) for this pass, moved with the ink
        (:func:`follow`), or ``None`` (search): not a video frame's first pass, none found since the last
        reset at this ``shape`` ((h, w) px of the analysis image), the search ``reuse_frames`` frames ago
        or more, or less than :data:`KEEP` x the share of the ink of uint8 (mh, mw) ``mask`` (at ``origin``
        (x, y)) on the band that was on it at the search."""
        clock, kept, m = self._clock(shape), self._kept, self.memory
        if clock is None or kept is None or m is None:
            return None
        (resets, frame, at), segs, band, share = kept
        if (resets, at) != (clock[0], clock[2]) or clock[1] - frame >= m.config.reuse_frames:
            return None
        band, dx, dy, now = follow(mask, origin, band)  # (a drifting sheet: its lines moved by a px)
        if now < KEEP * share:
            return None
        if dx or dy:  # (carried on from here: a new array, never changed in place)
            segs = segs + np.array([dx, dy, dx, dy], segs.dtype)
            self._kept = (kept[0], segs, band, share)
        self.taken += 1
        return segs, band

    def keep(
        self, found: tuple[np.ndarray, np.ndarray, float] | None, mask: np.ndarray, origin: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray, float] | None:
        """Carry ``found`` (:func:`~edge.segment.digit_ruling.ruled_band`'s float32 (L, 4) segments,
        uint8 (h, w) band and darkness, or ``None``: none) of a search in uint8 (mh, mw) ``mask`` (at
        ``origin`` (x, y)) at a video frame's first pass on to the next frames; returns ``found``."""
        if (clock := self._clock((0, 0) if found is None else found[1].shape[:2])) is None:
            return found  # (a still, or a later pass: nothing carried, nothing forgotten)
        self._kept = None if found is None else (clock, found[0], found[1], on_band(mask, origin, found[1]))
        return found
