"""Find the hand in a camera frame: the classic hand finders, picked by name.

Every segmenter here satisfies :class:`edge.pipeline.Segmenter` (``find(image) ->
list[ROI]``) and also has ``segment(image) -> list[HandSegmentation]``, which adds
the hand's mask and a score. Pick one by name with :func:`make_hand_segmenter`:

- ``"skin"`` / ``"skin-hsv"``, :class:`SkinSegmenter`: skin colour, any still or
  moving camera, no set-up. Starts from a published skin box (YCrCb: D. Chai and
  K. N. Ngan, "Face segmentation using skin-color map in videophone applications",
  IEEE TCSVT 9(4), 1999: Cr 133..173, Cb 77..127; HSV: K. Sobottka and I. Pitas,
  1996: H 0..50 deg, S 0.23..0.68) and adapts it to each frame (see the class);
  ``calibrate(image, roi)`` learns one user's skin from a box they hold a hand in.
- ``"background"``, :class:`BackgroundSubtractionSegmenter`: a still camera; learns
  the empty scene over the first frames (running average, or OpenCV's MOG2) and
  takes what differs from it, optionally only where it is also skin-coloured.
- ``"chroma"``, :class:`ChromaKeySegmenter`: a green screen (as in the
  ``kaggle-drgfreeman-rps-cv`` studio set); the hand is what is not green.

All of them share the blob stage (:class:`edge.segment.blobs.BlobSegmenter`): the frame is analysed
at a small size (``analysis_size`` = 160 px on the longer side by default, bilinear
downscaling, which averages 2x2 of every 4x4 block of a 640x480 frame: enough for a
colour mask), each foreground mask (one per colour model) is cleaned by a 3x3
opening and closing, and its 8-connected components are the candidates.
Components smaller than ``min_area`` of the frame (1.5 %: specks, a distant face),
larger than ``max_area`` (60 %), spanning 90 % of both sides of the frame (a beige
wall, a wooden desk, a lighting change) or box-shaped (filling more than
``max_rect_fill`` = 90 % of their minimum-area rectangle: a door, a cardboard box;
a hand with its fingers and wrist fills at most about 85 %) are rejected, so an
empty scene gives ``[]``. The ``max_hands`` best by score (the component's area as
a fraction of the frame, times the penalties below) are kept; a candidate whose
ROI overlaps a better one's by IoU > 0.5 is the same hand and is dropped.

The ROI of a blob is made to look like a training crop (a hand with some wrist and
background around it):

- **arm cut**: a blob that touches the frame border is an arm entering there; one
  that touches no border but is elongated with one end near the border (within
  ``sleeve_gap`` = 25 % of the shorter side: a forearm in a sleeve) enters there.
  Its widths are measured slice by slice along its major axis from the far end
  (the fingertips) towards the arm; the hand's width is the largest, the
  forearm's the median over the slices nearest the arm's end.
  When the forearm is clearly narrower (below ``wrist_ratio`` = 0.75 of the hand),
  the wrist is the first slice past the widest where the width comes within a
  quarter of the way from the forearm's width to the hand's, and the ROI keeps the
  far end down to ``arm_keep`` (half a hand width) past it; in any case it keeps
  at most ``max_hand_length`` (2.5) hand widths. A compact blob that touches no
  border (a hand alone) is kept whole;
- the box is grown by ``margin`` (25 %) of its longer side on each side and made
  square about its centre, then clipped to the frame (the preprocessor pads the
  clipped part by edge replication, as training does).

Faces are skin too. :class:`SkinSegmenter` marks a blob as face-like when it has at
least two holes of non-skin pixels inside (eyes, brows, mouth, nostrils; a hand has
at most one, in an OK sign) and multiplies its score by ``face_penalty`` (0.25), so
with ``max_hands=1`` a hand wins over a face up to four times its area; a face that
is the only candidate is still returned, and the classifier's ``none`` class is
what rejects it.

Masks reach the preprocessor on the ROI: every ROI a finder returns carries its
hand's mask (:attr:`edge.types.ROI.mask`, uint8 0/255 over the box, frame px), which
:class:`edge.preprocess.HandPreprocessor` reads. ROIs from anywhere else simply have
no mask.

Cost per 640x480 frame, median (99th percentile) over 400 synthetic rooms (3/4
with a hand; ``tests/test_hands.py`` scenes) on the 2-core x86-64 development
machine while a training job kept both cores busy: ``"skin"`` 0.9 ms (1.8 ms),
0.16 ms for a frame without enough skin-coloured pixels; ``"chroma"`` 0.3 ms;
``"background"`` 0.7 ms. The frame is only read through its downscaled copy, so
the cost hardly grows with the camera's resolution.
"""

from __future__ import annotations

from typing import Any

from edge.segment.background import BackgroundSubtractionSegmenter
from edge.segment.blobs import BlobSegmenter, HandSegmentation
from edge.segment.chroma import ChromaKeySegmenter
from edge.segment.skin import SkinSegmenter

__all__ = [
    "SEGMENTERS",
    "BackgroundSubtractionSegmenter",
    "BlobSegmenter",
    "ChromaKeySegmenter",
    "HandSegmentation",
    "SkinSegmenter",
    "make_hand_segmenter",
]

#: Names accepted by :func:`make_hand_segmenter`.
SEGMENTERS = ("skin", "skin-hsv", "background", "chroma")


def make_hand_segmenter(name: str = "skin", **kw: Any) -> BlobSegmenter:
    """A hand segmenter by name.

    Args:
        name: ``"skin"`` (:class:`SkinSegmenter`, YCrCb; the default),
            ``"skin-hsv"`` (the same in HSV), ``"background"``
            (:class:`BackgroundSubtractionSegmenter`) or ``"chroma"``
            (:class:`ChromaKeySegmenter`).
        **kw: keyword settings of that class (e.g. ``max_hands=2``, ``margin=0.2``).

    Returns:
        The segmenter; it has ``find``, ``segment`` and ``last_segmentations``.

    Raises:
        ValueError: unknown name or settings (a bad keyword is a ValueError, too).
    """
    classes: dict[str, tuple[type[BlobSegmenter], dict[str, Any]]] = {
        "skin": (SkinSegmenter, {"space": "ycrcb"}),
        "skin-hsv": (SkinSegmenter, {"space": "hsv"}),
        "background": (BackgroundSubtractionSegmenter, {}),
        "chroma": (ChromaKeySegmenter, {}),
    }
    if name not in classes:
        raise ValueError(f"unknown hand segmenter {name!r}; use one of {', '.join(SEGMENTERS)}")
    cls, fixed = classes[name]
    try:
        return cls(**{**fixed, **kw})
    except TypeError as e:
        raise ValueError(
            f"bad settings for the {name!r} hand segmenter: {e}; see help(edge.segment.{cls.__name__})"
        ) from e
