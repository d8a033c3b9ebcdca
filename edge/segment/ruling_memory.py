"""A video's ruling kept from one frame to the next (:meth:`edge.segment.digit_ruling.PageRuling.above`).

Finding the ruling of a first pass too cluttered to measure (:func:`~edge.segment.digit_ruling.ruled_band`:
the Hough search of its thin ink, then the grid model of :mod:`edge.segment.ruling_grid`) is the live
loop's costliest step: on ``edge-bench``'s demo, a hand over squared paper seen from afar (frames
475-486 and 495-499), 1-2 ms CPU a frame and up to 5 ms where the grid model reads its lines, which
made those frames the slowest 1% of the 500. In a video the paper mostly stays where it was, so
:class:`RulingMemory` keeps the segments and band found at one frame's first pass for the next frames'
first passes (the ruling's darkness is measured anew on each frame's ink) while:

- the analysis image has the same size (the same camera, the same analysis scale);
- the frame's cluttered ink still lies on the kept band at least :data:`ON_BAND` x as much as the ink of
  the frame the ruling was found at (a sheet moved by a line's width, or another sheet, takes its ink
  off the band: then the ruling is searched anew);
- it has been reused on fewer than ``DigitSegmenterConfig.ruling_frames`` frames since it was found.

A frame reusing it reads its digits above lines found on an earlier frame, so its output may differ
from a frame searched anew; still images (``ruling_frames=0`` in :func:`edge.still_views.use_still_views`,
and each photo after :meth:`edge.pipeline.Pipeline.reset`) always search.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: A kept ruling is reused while the share of the frame's cluttered ink on its band is at least this
#: fraction of the share at the frame it was found at.
ON_BAND = 0.9


def band_share(mask: np.ndarray, origin: tuple[int, int], band: np.ndarray) -> float:
    """The share (0..1) of the ink of uint8 (mh, mw) ``mask`` (255 = ink, its (x, y) ``origin`` in the
    analysis image) that lies on uint8 (h, w) ``band`` (255 on it); 0 when the mask holds no ink."""
    (ox, oy), (mh, mw) = origin, mask.shape
    ink = cv2.countNonZero(mask)
    if not ink:
        return 0.0
    return cv2.countNonZero(cv2.bitwise_and(mask, band[oy : oy + mh, ox : ox + mw])) / ink


@dataclass
class _Kept:
    segs: np.ndarray  # float32 (L, 4) segments, analysis px
    band: np.ndarray  # uint8 (h, w) their band, grid lines drawn
    share: float  # the share of the ink on the band at the frame it was found at
    uses: int = 0  # frames it was reused on


class RulingMemory:
    """The ruling found at a video frame's first pass, for the next frames' (module docstring).

    Args:
        frames: most frames one ruling is reused on (``DigitSegmenterConfig.ruling_frames``); 0: never
            kept (every frame searches).
    """

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self._kept: _Kept | None = None
        #: first passes whose ruling was searched for, and reused, since construction
        self.searched = self.reused = 0

    def forget(self) -> None:
        """Drop the kept ruling (a new video, a still image): the next first pass searches."""
        self._kept = None

    def recall(
        self, mask: np.ndarray, origin: tuple[int, int], shape: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The kept ruling's (float32 (L, 4) segments, uint8 (h, w) band), when this first pass may reuse
        it (module docstring), else ``None`` (the caller searches, then calls :meth:`keep`).

        Args:
            mask: uint8 (mh, mw) the pass's cluttered ink (255 = ink), at ``origin`` (x, y).
            shape: (h, w) of the analysis image (px).
        """
        k = self._kept
        if k is None or k.band.shape != shape or k.uses >= self.frames:
            self.searched += 1
            return None
        if band_share(mask, origin, k.band) < ON_BAND * k.share:  # the paper moved
            self._kept = None
            self.searched += 1
            return None
        k.uses += 1
        self.reused += 1
        return k.segs, k.band

    def keep(
        self,
        found: tuple[np.ndarray, np.ndarray] | None,
        mask: np.ndarray,
        origin: tuple[int, int],
    ) -> None:
        """Keep what a first pass's search found: (float32 (L, 4) segments, uint8 (h, w) band), or
        ``None`` (no ruling: nothing kept); ``mask`` and ``origin`` as in :meth:`recall`."""
        if found is None or self.frames <= 0:
            self._kept = None
            return
        self._kept = _Kept(found[0], found[1], band_share(mask, origin, found[1]))
