"""A still frame whose answer the model is unsure of, read once more at twice the resolution.

The digit segmenter analyses a frame at ``DigitSegmenterConfig.analysis_width`` px (320: a 640x480
photo at half its resolution). It looks closer by itself only when its first pass sees nothing
digit-like (:func:`edge.segment.digit_scale.closer_look`: fewer than three digit-like pieces). A
small digit (about 25 px tall or less in a 640x480 photo) beside a paper edge, a finger or a
shadow that the first pass takes for digit-like pieces is never looked at closer: the frame's
answer is then a piece of that clutter, or the digit read from too few pixels, and the model is
unsure of it.

:class:`CloserCheckedSegmenter` reads a still frame's ROIs as the pipeline does (the still views,
:mod:`edge.still_views`); when the model's top probability for the frame's most confident digit
(the frame's answer, ``edge-eval --frame``) is under :data:`CLOSER_CHECK`, or nothing was read, it
segments the frame again at twice the analysis width (at most full resolution), in the kept
reading's ink polarity, reads those ROIs, and keeps them when the model's answer there is at least
:data:`CLOSER_CHECK` and its box at least :data:`CLOSER_HEIGHT` of the first answer's height. A
frame of at most ``analysis_width`` px (its own pixels were seen) or that the segmenter's own 2x
look analysed is not read again. A frame whose first reading took the segmenter's finer look at
small digits is: that look starts from the first pass's findings (its typical digit height, its
gate on faint clutter), and a fresh one finds what those hid (on dev seed 21, 2 of the 3 frames
gained). A large image (four times the analysis width or more) whose segmenter took its 4x look
(no paper rule) is read again at 2x with the paper rule too: not measured on such images here.

Measured on the frames of ``benchmarks/realistic_digits.py`` (640x480, ``edge-eval --frame``;
dev seeds 21 / 22 / 23 / 24 hold 500 / 500 / 1,000 / 1,000 frames; the threshold was chosen on
21-23, where answers under 0.8, 0.9 or 0.95 gave +5..+8 of 2,000, and the height rule on 21-24 and
on digit-free photos): dev 97.0 / 98.0 / 96.9 / 97.1 -> 97.6 / 98.0 / 97.2 / 97.5 %; the report
seeds 13 / 77 (never tuned on) 96.90 / 96.60 -> 97.40 / 96.90 %. About one frame in ten is read
twice (dev seed 21, one process with and without the check, CPU, a loaded VM: median per frame
+6 %, 5.16 -> 5.48 ms, mean 7.2 -> 8.1 ms).

The cost on photos without a digit (the digits model has no "none" class; every still pipeline
already finds false digits there): most of them are unsure, so they are segmented twice (a blank
12 MP image 44 -> 85 ms CPU), and some of their false digits become sure ones. Of 238 hand photos
from ``shared/data/rps`` (every 25th from the 12th of three sources, scaled to 640x480; first read
after the height rule was chosen), those with a detection at 0.9 or more went from 42 to 58 and
detections from 448 to 480 (without the height rule, on the photos from the first: 46 -> 80).

Each reading (the first and the closer one) is taken without its "1"s that are pieces of a longer
straight edge (:func:`edge.still_ones.drop_edge_ones`) before its answer is judged.

Only still images (``edge-eval --frame``, ``edge-run photo.jpg``, ``--pages``):
:func:`edge.still_views.use_still_views` installs it. The live loop never reads a frame twice.

Imports :mod:`edge.roi_inputs` (the frame's grey), :mod:`edge.roi_reading` (the reading of a frame's
ROIs), :mod:`edge.still_ones`, :mod:`edge.still_pieces`, :mod:`edge.still_polarity` and :mod:`edge.types`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np

from edge.roi_inputs import frame_grey
from edge.roi_reading import Reading, read_rois
from edge.still_ones import drop_edge_ones
from edge.still_pieces import join_pieces
from edge.still_polarity import ChosenSegmenter, top_probability
from edge.types import ROI

log = logging.getLogger(__name__)

__all__ = ["CLOSER_CHECK", "CLOSER_HEIGHT", "CloserCheckedSegmenter"]

#: A still frame whose answer (the top probability of its most confident digit) is under this is
#: read again at twice the analysis width; that reading is kept when its answer is at least this
#: (and so surer than the first one's) ...
CLOSER_CHECK = 0.9
#: ... and its answer's box is at least this fraction of the first answer's height (a closer look
#: reads a small digit from more pixels; an answer much smaller than the first one's is a fragment
#: or a speck that the finer scale splits off: digit-free photos, module doc).
CLOSER_HEIGHT = 0.5


class CloserCheckedSegmenter(ChosenSegmenter):
    """A still frame's digit segmenter that reads an unsure frame again, 2x closer (module doc).

    Args:
        segmenter: a :class:`~edge.segment.digits.DigitSegmenter` or a
            :class:`~edge.still_polarity.PolarityCheckedSegmenter` around one (whose ``last_read``
            and ``chosen`` are used when it has them).
        preprocessor: the pipeline's :class:`~edge.still_views.StillViewsPreprocessor`.
        classifier: the pipeline's :class:`~edge.still_views.ViewsClassifier` (``predict`` and
            ``labels``).

    :attr:`last_read` is the kept :class:`~edge.roi_reading.Reading` of the last frame (the
    pipeline takes its ROIs and predictions instead of reading them again). Other attributes
    (``last_grey``, ``last_analysis`` ...) are those of the segmenter whose ROIs :meth:`find`
    returned last (:attr:`chosen`).

    Raises:
        TypeError: (from :meth:`find`, at the first unsure frame) the segmenter's ``config`` is not a
            dataclass (the closer segmenter is made from it by :func:`dataclasses.replace`).
    """

    def __init__(self, segmenter: Any, preprocessor: Any, classifier: Any) -> None:
        self.segmenter = segmenter
        self.preprocessor, self.classifier = preprocessor, classifier
        self.chosen = segmenter
        self.last_read: Reading | None = None
        self._closer: dict[str, Any] = {}  # polarity -> segmenter (at twice the analysis width)

    def reset(self) -> None:
        """Forget the segmenters' scenes."""
        self.segmenter.reset()
        for s in self._closer.values():
            s.reset()

    def find(self, image: np.ndarray) -> list[ROI]:
        """The digit ROIs of ``image``: the segmenter's, or a 2x closer reading's when the model is
        unsure of the first and sure of that one (module doc); either without its "1"s that are
        pieces of a longer straight edge (:func:`edge.still_ones.drop_edge_ones`); the kept one with
        the pieces of a digit that the model reads surer whole joined (:func:`edge.still_pieces.join_pieces`).

        Args:
            image: uint8 (H, W, 3) BGR frame.

        Returns:
            The kept reading's ROIs in frame px, in reading order; :attr:`last_read` holds that
            reading's ink ROIs, polarities and predictions.
        """
        self._read(image)
        assert self.last_read is not None
        self.last_read = join_pieces(self.last_read, self.chosen, self.preprocessor, self.classifier, image)
        return self.last_read.found

    def _read(self, image: np.ndarray) -> list[ROI]:
        """:meth:`find` before the pieces are joined (sets :attr:`chosen` and :attr:`last_read`)."""
        self.chosen, self.last_read = self.segmenter, None
        rois: list[ROI] = self.segmenter.find(image)
        base = getattr(self.segmenter, "chosen", self.segmenter)  # the digit segmenter that found them
        read = getattr(self.segmenter, "last_read", None)
        if read is None or read.found is not rois:
            read = read_rois(base, self.preprocessor, self.classifier, image, rois)
        grey = frame_grey(base, image)  # (the closer look's grey is the same frame's)
        read = drop_edge_ones(read, grey)
        rois, self.last_read = read.found, read
        first = top_probability(read.probabilities)
        width = 2 * base.config.analysis_width
        if (
            first >= CLOSER_CHECK
            or getattr(base, "looked_closer", False)
            or max(image.shape[:2]) <= width // 2
        ):
            return rois  # sure; or the segmenter's own 2x look, or the frame's own pixels, were seen
        analysis = getattr(base, "last_analysis", None)
        closer = self._closer_one(base, width, analysis)
        closer.reset()  # the photo stands alone
        closer_rois: list[ROI] = closer.find(image)
        again = read_rois(closer, self.preprocessor, self.classifier, image, closer_rois)
        again = drop_edge_ones(again, grey)
        closer_rois = again.found
        second = top_probability(again.probabilities)
        now, was = _answer(again), _answer(read)
        if now is not None and second >= CLOSER_CHECK and (was is None or now.h >= CLOSER_HEIGHT * was.h):
            log.debug("unsure still frame (%.3f) read 2x closer (%.3f)", first, second)
            self.chosen, self.last_read = closer, again
            return closer_rois
        return rois

    def _closer_one(self, base: Any, width: int, analysis: Any) -> Any:
        """A segmenter of ``base``'s type and config at ``width`` px, in the polarity of ``base``'s
        last analysis (its own setting when it has none), without the still's own 2x look."""
        polarity = base.config.polarity if analysis is None else ("light" if analysis.light else "dark")
        if polarity not in self._closer:  # (every base is made from one config: one width)
            cfg = dataclasses.replace(base.config, analysis_width=width, closer_look=False, polarity=polarity)
            self._closer[polarity] = type(base)(cfg)
        return self._closer[polarity]


def _answer(reading: Reading) -> ROI | None:
    """The ROI of ``reading``'s most confident digit (the frame's answer), or ``None``."""
    p = reading.probabilities
    return reading.rois[int(np.argmax(p.max(axis=1)))] if len(p) else None
