"""A page's ruling carried over from frame to frame of a live video (:mod:`edge.segment.digit_ruling`).

The searches for a ruling at a frame's first pass, in a first ink level too cluttered to measure
(:meth:`~edge.segment.digit_ruling.PageRuling.above`: a squared sheet seen from afar, 5-6.5 ms a frame on
``edge-bench pipeline --source demo:1`` and ``demo:2``) and in a level whose lines a shadow broke into dashes
(:meth:`~edge.segment.digit_ruling.PageRuling.dashed`: 1.5-2 ms on ``demo:3``), find the same lines frame
after frame while the camera and the sheet stay put. :class:`CarriedRuling` keeps the segments and the band
(:func:`~edge.segment.digit_ruling.ruled_band`) that a search found at a frame's first pass; a later frame
whose first pass reuses the scene of the same full analysis (:class:`~edge.segment.digit_reuse.SceneMemory`:
:data:`~edge.segment.digit_reuse.SCENE` or :data:`~edge.segment.digit_reuse.LEVEL`, the same scene at most
slightly moved) takes them instead of searching, as long as the level's ink lies on the band about as much
as at the search (:data:`KEEP`: a sheet that moved by more than a line's width leaves its lines off the
band; the search then runs again and its ruling is carried on). What depends on the frame's own pixels is
measured anew by the caller: the ruling's darkness under the ink on the band, and so the raised level; the
dashes of a dashed ruling. A full analysis (at least every ``reuse_frames`` frames, and on any change of
scene) searches anew. Not exact: a carried ruling may differ by a pixel from the one the frame's own search
finds, and a ruling its own search would not find (or find only in part) is kept; the guards (demo seeds
0-4) measure the difference. Stills, and a frame analysed in full, never take a carried ruling.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.segment.digit_reuse import SceneMemory

__all__ = ["KEEP", "CarriedRuling", "on_band"]

#: A carried ruling stands while this share or more of the share of the level's ink that lay on its band
#: at the search still does (:func:`follow`).
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
        (uint8 (h, w) the band moved (``band`` itself when not), dx, dy (px), the share 0..1 of the
        mask's ink on it (:func:`on_band`; 0 when no ink)).
    """
    (ox, oy), (mh, mw), (h, w) = origin, mask.shape, band.shape
    if not (ink := cv2.countNonZero(mask)):
        return band, 0, 0, 0.0
    pad = cv2.copyMakeBorder(band, STEP, STEP, STEP, STEP, cv2.BORDER_CONSTANT, value=0)
    best = (-1, 0, 0)
    for dy in (0, *range(-STEP, 0), *range(1, STEP + 1)):
        for dx in (
            0,
            *range(-STEP, 0),
            *range(1, STEP + 1),
        ):  # (the band moved by dx, dy: pad's px at -dx, -dy)
            y, x = oy + STEP - dy, ox + STEP - dx
            on = cv2.countNonZero(cv2.bitwise_and(mask, pad[y : y + mh, x : x + mw]))
            best = max(best, (on, dx, dy), key=lambda b: b[0])  # (the first of equals)
    on, dx, dy = best
    moved = band if dx == dy == 0 else pad[STEP - dy : STEP - dy + h, STEP - dx : STEP - dx + w].copy()
    return moved, dx, dy, on / ink


class CarriedRuling:
    """The rulings that the last searches found at a frame's first pass (module docstring), one per kind
    of search (``what``: ``"above"``, ``"dashed"``).

    Args:
        memory: the segmenter's scene memory (:attr:`SceneMemory.reused` tells a frame's first pass,
            :attr:`SceneMemory.resets` a new video or a still, :attr:`SceneMemory.frames` counts the
            frames), or ``None``: nothing is carried.
    """

    def __init__(self, memory: SceneMemory | None = None) -> None:
        self.memory = memory
        # what -> ((resets, frames ended, image width px) at the search, float32 (L, 4) segments,
        # uint8 (h, w) band, on_band share)
        self._kept: dict[str, tuple[tuple[int, int, int], np.ndarray, np.ndarray, float]] = {}
        self.taken = 0  # rulings carried (not searched) since construction

    def _clock(self, width: int) -> tuple[int, int, int] | None:
        """(resets, frames ended, ``width``) of a frame's first pass of a video, or ``None``."""
        m = self.memory
        if m is None or m.reused is None or not m.config.reuse_scene:
            return None
        return m.resets, sum(m.frames), width

    def band(
        self, what: str, mask: np.ndarray, origin: tuple[int, int], width: int
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The carried (float32 (L, 4) segments, uint8 (h, w) band) of a search of kind ``what`` for this
        pass, or ``None`` (search): not a video frame's first pass, none found since the last reset at
        this ``width`` (px of the analysis image), a search ``reuse_frames`` frames ago or more, or less than
        :data:`KEEP` x the share of the ink of uint8 (mh, mw) ``mask`` (at ``origin`` (x, y)) on its band
        that was on it at the search."""
        clock, kept = self._clock(width), self._kept.get(what)
        if clock is None or kept is None or self.memory is None:
            return None
        (resets, frame, at), segs, band, share = kept
        if (resets, at) != (clock[0], clock[2]) or clock[1] - frame >= self.memory.config.reuse_frames:
            return None
        band, dx, dy, now = follow(mask, origin, band)  # (a drifting sheet: its lines moved by a px)
        if now < KEEP * share:
            return None
        if dx or dy:  # (carried on from here: a new array, never changed in place)
            segs = segs + np.array([dx, dy, dx, dy], segs.dtype)
            self._kept[what] = (kept[0], segs, band, share)
        self.taken += 1
        return segs, band

    def keep(
        self,
        what: str,
        found: tuple[np.ndarray, np.ndarray, float] | None,
        mask: np.ndarray,
        origin: tuple[int, int],
    ) -> tuple[np.ndarray, np.ndarray, float] | None:
        """Carry ``found`` (:func:`~edge.segment.digit_ruling.ruled_band`'s float32 (L, 4) segments,
        uint8 (h, w) band and darkness, or ``None``: none) of a search of kind ``what`` in uint8 (mh, mw)
        ``mask`` (at ``origin`` (x, y)) at a frame's first pass on to the next frames; returns ``found``."""
        if (clock := self._clock(0 if found is None else found[1].shape[1])) is None:
            return found  # (a still, or a later pass: nothing carried, nothing forgotten)
        if found is None:
            self._kept.pop(what, None)
        else:
            self._kept[what] = (clock, found[0], found[1], on_band(mask, origin, found[1]))
        return found
