"""Which way round a still frame's ink is, checked by the model: the frame read both ways.

The digit segmenter's polarity decision (:func:`edge.segment.ink_polarity.frame_ink_is_light`) can
be wrong either way on a photo. A frame called light ink (a bright sheet that is a minority of the
frame on a dark desk, a lit corner beside a shadow) is segmented as dark ink too; a frame called dark
ink that still shows light-ink evidence (:func:`edge.segment.ink_polarity.light_evidence`: a
chalkboard or a dark card with white marker framed by a lighter wall, whose whole-frame skewness is
not light, that the frame's board test misses: walled on three sides, a card within the frame) is
segmented as light ink too. Each reading's ROIs go through the still preprocessor and
classifier, and the other reading is kept only when the model is more than :data:`POLARITY_CHECK`
times as sure of its most confident digit (the frame's answer, ``edge-eval --frame``).

Both readings of a frame read both ways are segmented without the still-only closer look
(``DigitSegmenterConfig.closer_look``, :func:`edge.segment.digit_scale.closer_look`): at 2x, the
dark reading of light ink finds a 0's or an 8's holes, read confidently enough to keep the wrong
polarity. A frame read once keeps it. Whether a frame is read both ways is known after the
segmenter's first pass (its polarity call, the light-ink evidence), before the closer look: the
segmenter asks (``DigitSegmenter.may_look_closer``), so such a frame never pays for that look.
(The still pipeline's check of unsure answers, :mod:`edge.still_closer`, may still read the kept
reading again at 2x, in its polarity.)

The kept reading's ink ROIs and predictions are handed to the pipeline (:class:`Reading`,
:attr:`PolarityCheckedSegmenter.last_read`), which takes them instead of preprocessing and
classifying the kept ROIs a third time.

Only still images (``edge-eval --frame``, ``edge-run photo.jpg``) with ``polarity="auto"``;
:func:`edge.still_views.use_still_views` installs it. The live loop never reads a frame twice.

Imports :mod:`edge.roi_inputs` (the frame's grey), :mod:`edge.roi_reading` (the reading of ROIs, here
re-exported), :mod:`edge.segment.ink_polarity` (the light-ink evidence) and :mod:`edge.types`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np

from edge.roi_inputs import frame_grey
from edge.roi_reading import Reading, read_rois
from edge.segment.ink_polarity import light_evidence
from edge.types import ROI

log = logging.getLogger(__name__)

__all__ = [
    "ChosenSegmenter",
    "POLARITY_CHECK",
    "PolarityCheckedSegmenter",
    "Reading",
    "other_is_surer",
    "read_rois",
    "top_probability",
]

#: A photo crop or frame is read the other way round instead when the model's top probability for
#: that reading exceeds this many times the first reading's (the ground statistics decided the
#: polarity: the other reading must be clearly more convincing to overrule them). At 1.5 it can
#: only win when the first reading's top probability is under 1 / 1.5 ~ 0.667.
POLARITY_CHECK = 1.5


def other_is_surer(first: np.ndarray, other: np.ndarray) -> bool:
    """Whether the model is clearly surer of the other-polarity reading than of the first one
    (the polarity the ground statistics decided: light read as dark, or dark read as light).

    Args:
        first, other: float class probabilities in [0, 1] of each reading, (C,) for a crop or
            (N, C) for the N digit ROIs of a frame (its most confident one counts; N = 0: 0).

    Returns:
        The other reading's top probability exceeds :data:`POLARITY_CHECK` times the first one's.
    """
    return top_probability(other) > POLARITY_CHECK * top_probability(first)


def top_probability(p: np.ndarray) -> float:
    """The top class probability of a reading's float (C,) or (N, C) probabilities (its most
    confident ROI's: the frame's answer), in [0, 1]; 0.0 when there is none (N = 0)."""
    return float(np.max(p)) if np.size(p) else 0.0


class ChosenSegmenter:
    """Base of the still checks' segmenter wrappers: every attribute the wrapper does not have is
    that of :attr:`chosen`, the segmenter whose ROIs ``find`` returned last (``last_grey``,
    ``last_analysis``, ``keeps_scene``, ``config`` ...)."""

    chosen: Any

    def __getattr__(self, name: str) -> Any:
        if name == "chosen":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.chosen, name)


class PolarityCheckedSegmenter(ChosenSegmenter):
    """A still frame's digit segmenter whose polarity call is checked by the model, both ways.

    A frame the segmenter calls light ink (its ``last_analysis.light``: a bright sheet that is a
    minority of the frame on a dark desk, a lit corner beside a shadow ...) is segmented as dark ink
    too; a frame called dark ink with :func:`~edge.segment.ink_polarity.light_evidence` (a chalkboard
    framed by a lighter wall) is segmented as light ink too. Each reading's ROIs go through the still
    preprocessor and classifier, and the other reading's ROIs and analysis are kept when the model
    is more than :data:`POLARITY_CHECK` times as sure of its most confident digit (the frame's
    answer, ``edge-eval --frame``; :func:`other_is_surer`). A frame called dark without light
    evidence is read once.

    Args:
        segmenter: a :class:`~edge.segment.digits.DigitSegmenter` deciding the polarity
            (``config.polarity == "auto"``); two more of its type, forced to dark and to light ink,
            are made from its config, without its ``closer_look``; when it has that, its
            ``may_look_closer`` is set so that it looks closer only at a frame read once (asked after
            its first pass, which makes the polarity call: a frame read both ways pays for no 2x look).
        preprocessor: the pipeline's :class:`~edge.still_views.StillViewsPreprocessor` (called as
            the pipeline calls it; its ``last_light`` drops the ROIs without ink).
        classifier: the pipeline's :class:`~edge.still_views.ViewsClassifier` (``predict`` and
            ``labels``; the pipeline takes the kept reading's predictions instead of calling its
            ``classify``, so that must be :func:`~edge.runtime_ops.top_predictions` of ``predict``).

    Raises:
        TypeError: ``segmenter.config`` is not a dataclass.

    :attr:`last_read` is the kept :class:`Reading` of the last frame read both ways (``None`` after
    a frame read once). Its other attributes (``last_grey``, ``last_analysis``, ``keeps_scene`` ...)
    are those of the segmenter whose ROIs :meth:`find` returned last (:attr:`chosen`:
    ``segmenter``, :attr:`dark` or :attr:`light`).
    """

    def __init__(self, segmenter: Any, preprocessor: Any, classifier: Any) -> None:
        self.segmenter = segmenter
        cfg = segmenter.config
        if getattr(cfg, "closer_look", False):  # readings compared: no closer look (module doc);
            cfg = dataclasses.replace(cfg, closer_look=False)  # the first: a frame read once only
            segmenter.may_look_closer = self._reads_once
        self.dark = type(segmenter)(dataclasses.replace(cfg, polarity="dark"))
        self.light = type(segmenter)(dataclasses.replace(cfg, polarity="light"))
        self.preprocessor, self.classifier = preprocessor, classifier
        self.chosen = segmenter
        self.last_read: Reading | None = None
        self._evidence: tuple[np.ndarray, bool] | None = None  # (grey frame, its light-ink evidence)

    def reset(self) -> None:
        """Forget the segmenters' scenes."""
        self.segmenter.reset()
        self.dark.reset()
        self.light.reset()

    def find(self, image: np.ndarray) -> list[ROI]:
        """The digit ROIs of ``image``: the first reading's, or the other reading's when the model is
        clearly surer of it (:func:`other_is_surer`).

        Args:
            image: uint8 (H, W, 3) BGR frame.

        Returns:
            The kept reading's ROIs in frame px, in reading order (a reading's ``found``: the parts of a
            cut that the model does not read surer than the whole replaced by it,
            :func:`edge.roi_reading.choose_cuts`). When the frame was read both ways,
            :attr:`last_read` holds that reading's ink ROIs, polarities and predictions (the pipeline
            takes them instead of preprocessing and classifying the ROIs again); else it is ``None``.
        """
        self.chosen, self.last_read, self._evidence = self.segmenter, None, None
        rois: list[ROI] = self.segmenter.find(image)
        analysis = self.segmenter.last_analysis
        if analysis is None:
            return rois
        other = self.dark if analysis.light else self.light
        if other is self.light and not self._light_evidence(self._grey(image)):
            return rois
        other.reset()  # the photo stands alone
        other_rois: list[ROI] = other.find(image)
        first, second = self._read(self.chosen, image, rois), self._read(other, image, other_rois)
        if other_is_surer(first.probabilities, second.probabilities):  # either way round
            log.debug("frame called %s ink read the other way", "light" if analysis.light else "dark")
            self.chosen, self.last_read = other, second
            return second.found
        self.last_read = first
        return first.found

    def _reads_once(self, grey: np.ndarray, light: bool) -> bool:
        """Whether :meth:`find` will read a frame once: called dark ink (``light`` false) and no
        light-ink evidence in its uint8 (H, W) ``grey`` (the segmenter asks before its closer look)."""
        return not light and not self._light_evidence(grey)

    def _light_evidence(self, grey: np.ndarray) -> bool:
        """:func:`~edge.segment.ink_polarity.light_evidence` of ``grey``, measured once a :meth:`find`."""
        if self._evidence is None or self._evidence[0] is not grey:
            self._evidence = (grey, light_evidence(grey))
        return self._evidence[1]

    def _grey(self, image: np.ndarray) -> np.ndarray:
        """uint8 (H, W): the segmenter's grey view of ``image`` (converted when it kept none)."""
        return frame_grey(self.segmenter, image)

    def _read(self, segmenter: Any, image: np.ndarray, rois: list[ROI]) -> Reading:
        """``rois`` (found by ``segmenter`` in the BGR ``image``) read as the pipeline reads them
        (:func:`read_rois`)."""
        return read_rois(segmenter, self.preprocessor, self.classifier, image, rois)
