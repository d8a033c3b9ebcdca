"""Test-time views for still images: each digit read a few ways, the class probabilities averaged.

A photo has no frame budget, so ``edge-eval --crop``, ``edge-eval --frame`` and ``edge-run
photo.jpg`` read every digit ROI from several *views* and classify the average of their
class probabilities (test-time augmentation; the views' inputs go through the classifier
in one batch, N ROIs x K views). The live video loop (cameras, the demo scenes, videos,
``edge-bench``) never builds views: its preprocessor, classifier and output are unchanged.

The views are different reads of the ink, not distortions of the model input: the
default model is trained with shifts, rotations and stroke-width changes, and averaging
the 28x28 input shifted by +-1 px, rotated by +-5/8 degrees, zoomed by +-10 % or with its
strokes dilated/eroded changed dev accuracy by -0.6..+0.2 points, with no view better on
every dev seed. What a still gains from is a second chance at *finding the ink*:

- frames (:class:`StillViewsPreprocessor`, :data:`FRAME_VIEWS`): the ROI as the live
  loop reads it (from the segmenter's analysis where it can), the same ROI read the full
  way (:func:`edge.preprocess.mnist_normalise`'s own flat-field and threshold on the
  full-resolution crop), and the ROI grown by :data:`GROW` of its longer side on every side
  read the full way with its own polarity decision (strokes cut at the ROI's edge, a
  threshold chosen with more paper around the digit);
- crops (:func:`crop_views`, :data:`CROP_INSETS`): the digit found in the crop read as
  ``edge-eval --crop`` reads it, and from its box moved inwards by 2.5 % of its shorter
  side (:func:`edge.preprocess.mnist_crop_input` with ``insets=``). An image that already
  looks like a model input (MNIST, ``digits.png`` cells, ``edge-capture`` files) has one
  reading: one view (K = 1), so its answer does not change.

A photo crop whose ground statistics call its ink light (:func:`edge.preprocess.ink_is_light_in`)
is read the other way round too, given the classifier (``crop_views(..., classifier=)``, as
``edge-eval --crop`` does): a lit strip of paper between a shadow and a table edge has two
edges like a light stroke and outweighs faint dark ink, but the dark reading of such a crop is a
digit the model is sure of while its light reading (the strip, the shadow's rim) is not. The dark
reading wins when its top probability is more than :data:`POLARITY_CHECK` times the light one's;
a crop called dark, a scan (at most :data:`~edge.preprocess.polarity.SCAN_SIZE` px) and a ready
model input are read as before. Dev crops (``realistic_digits.py``, ``edge-eval --crop``): of the
4,000 of seeds 21/22/23, 8 were called light and 6 of those misread (the strip or the shadow's rim
read as a 1 or a 2); with the check all 8 are read dark: 99.0 / 98.7 / 98.9 -> 99.2 / 99.0 /
98.95 %, seed 2002 98.9 -> 99.0 %. The same crops inverted (light ink on a dark ground) 98.1 / 98.0 /
98.45 -> 97.9 / 97.9 / 98.45 %. The cells of ``digits.png`` (scans) 99.46 %, unchanged.

A still frame the digit segmenter calls light ink (its ``last_analysis.light``, with
``polarity="auto"``) is checked the same way (:class:`PolarityCheckedSegmenter`, installed by
:func:`use_still_views`): it is segmented as dark ink too, each reading's ROIs go through the
views, and the dark reading's ROIs are kept when the top probability of its most confident digit
(the frame's answer) is more than :data:`POLARITY_CHECK` times the light reading's. The frames so
called are a bright sheet that is a minority of the frame on a dark desk, a lit corner beside a
shadow, a fat marker digit covering most of the frame; the digits found in the light ink are the
paper's edges. Dev frames: 0 / 0 / 5 of seeds 21/22/23 are called light, all misread, 3 read
right with the check: 96.6 / 97.6 / 95.7 -> 96.6 / 97.6 / 96.0 %; seed 2011 (600 frames) 3 called
light, 96.17 -> 96.5 %. The frames of seeds 21 and 2011 inverted (light ink) 57.6 -> 57.4 % and
61.67 -> 61.5 % (1 frame each). A frame called dark ink with light-ink evidence
(:func:`edge.segment.ink_polarity.light_evidence`: a chalkboard framed by a lighter wall) is read
as light ink too, kept when the model is clearly surer of it (:mod:`edge.still_polarity`).

Cost (2-core VM, dev set s21, median of 5): a crop 2.28 -> 2.76 ms (read + classify); a
frame's digit ROI 0.47 -> 1.68 ms (preprocess + classify); the light-ink checks segment a frame a
second time when it is called light, or called dark with light-ink evidence (17-20 % of the dark-ink
dev frames: s21 4.5 -> 5.9 ms a frame in ``edge-eval``, a loaded machine), and read the digits of
each reading once (the pipeline takes the kept reading's, :class:`edge.roi_reading.Reading`,
instead of reading them a third time: 1.2-1.8 ms CPU less a checked dev frame, s21 13.1 -> 11.9 ms,
and ~100 ms less a checked synthetic page, 251 -> 156 ms; medians, same answers). Dev accuracy of the
views alone (``realistic_digits.py``, seeds 21/22/23): frames 95.8 / 97.2 / 95.1 -> 96.6 /
97.6 / 95.7 %, crops 98.9 / 98.6 / 98.7 -> 99.0 / 98.7 / 98.9 %.

A still frame's segmenter looks closer (``DigitSegmenterConfig.closer_look``,
:func:`edge.segment.digit_scale.closer_look`): a 640x480 photo whose 320-px first pass sees nothing
digit-like (a lone digit under about 20 px tall, faint or blurred) is analysed once more at full
resolution. Dev frames (seeds 21/22/23): 6 of 2,000 take it, 97.0 / 97.6 / 96.8 -> 97.0 / 98.0 /
96.9 % (s21 6.8 -> 16.4 ms CPU such a frame, median of all frames unchanged). Frames read both
ways by the polarity check are segmented without it (:mod:`edge.still_polarity`). A still frame
whose answer the model is unsure of (under :data:`~edge.still_closer.CLOSER_CHECK`) is segmented
and read again at twice the analysis width (:mod:`edge.still_closer`); the kept reading's pieces
of one digit that the model reads surely whole are joined (:mod:`edge.still_pieces`).

Only ``"mnist-normalise"`` bundles take views; any other preprocessing is read once.
The raw MNIST path (``edge-eval --model digits`` without ``--images``) feeds model
inputs directly and takes no views.

Imports :mod:`edge.preprocess`, :mod:`edge.runtime_ops` (the score -> label step),
:mod:`edge.segment.digits` (the segmenter the polarity check wraps), :mod:`edge.segment.ink`
(polarity names, grey conversion), :mod:`edge.segment.ink_analysis` (the segmenter's analysis
type), :mod:`edge.still_closer` (the unsure frame's 2x reading), :mod:`edge.still_polarity` (the
frame's polarity check) and :mod:`edge.types`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from edge.preprocess import (
    MnistPreprocessor,
    crop_input,
    ink_is_light_in,
    make_preprocessor,
    mnist_crop_input,
)
from edge.preprocess.cut_ink import cut_sides
from edge.preprocess.mnist import mnist_crop_views
from edge.preprocess.polarity import SCAN_SIZE
from edge.runtime_ops import top_predictions
from edge.segment.digits import DigitSegmenter
from edge.segment.ink import POLARITIES, Polarity, to_grey
from edge.segment.ink_analysis import InkAnalysis
from edge.still_closer import CloserCheckedSegmenter
from edge.still_polarity import POLARITY_CHECK, PolarityCheckedSegmenter, other_is_surer
from edge.types import ROI, Prediction

log = logging.getLogger(__name__)

__all__ = [
    "CROP_INSETS",
    "FRAME_VIEWS",
    "GROW",
    "PolarityCheckedSegmenter",
    "POLARITY_CHECK",
    "StillViewsPreprocessor",
    "ViewsClassifier",
    "crop_views",
    "other_is_surer",
    "grown",
    "use_still_views",
]

#: The views of a frame's ROI, in batch order (see the module docstring).
FRAME_VIEWS = ("live", "full", "grown")
#: Margin added on every side of a frame's ROI for the ``"grown"`` view, as a fraction of
#: its longer side (at least 1 px; clipped to the frame).
GROW = 0.08
#: The insets of a crop's views (:func:`edge.preprocess.mnist.mnist_crop_views`): the
#: located digit's box as it is, and moved inwards by 2.5 % of its shorter side.
CROP_INSETS = (0.0, 0.025)
#: A ROI taller than any frame: the ``"full"`` reads take neither fast path.
_NEVER_FAST = 1 << 30


def grown(roi: ROI, shape: tuple[int, ...], grow: float = GROW, within_cut: bool = False) -> ROI:
    """``roi`` with ``grow`` times its longer side (at least 1 px) added on every side,
    clipped to an image of ``shape`` ((H, W, ...) px); ``within_cut``: a part the segmenter cut
    out of a wider piece (:func:`edge.preprocess.cut_ink.cut_sides`) is not grown across its cuts
    and keeps its :attr:`~edge.types.ROI.whole` (it is read from the ink on its side of them)."""
    H, W = shape[:2]
    m = max(1, int(round(grow * max(roi.w, roi.h))))
    left, right = cut_sides(roi) if within_cut else (False, False)
    x0, y0 = (roi.x if left else max(0, roi.x - m)), max(0, roi.y - m)
    x1, y1 = (roi.x + roi.w if right else min(W, roi.x + roi.w + m)), min(H, roi.y + roi.h + m)
    cut = left or right
    whole, side = (roi.whole, roi.side) if cut else (None, None)
    return ROI(x0, y0, max(1, x1 - x0), max(1, y1 - y0), whole=whole, side=side, angle=roi.angle)


class StillViewsPreprocessor:
    """The ``"mnist-normalise"`` preprocessing of a still frame, :data:`FRAME_VIEWS` per ROI.

    Args:
        base: the live preprocessor (its polarity, deskew and fast paths give the
            ``"live"`` view and its :attr:`last_light`, which the pipeline uses to drop
            ROIs without ink and to give the number grouper each digit's ink).
        grow: see :data:`GROW`.

    Raises:
        ValueError: ``grow`` outside (0, 1].
    """

    accepts_grey = True
    accepts_analysis = True
    #: The views of each ROI, in the order of the batch's view axis.
    views = FRAME_VIEWS

    def __init__(self, base: MnistPreprocessor, grow: float = GROW) -> None:
        if not 0.0 < grow <= 1.0:
            raise ValueError(f"grow must be in (0, 1], got {grow}")
        self.base = base
        self.grow = float(grow)
        self._full = MnistPreprocessor(base.deskew, base.polarity, _NEVER_FAST, _NEVER_FAST)
        #: wall ms spent in calls so far (``time.perf_counter``): the pipeline reports a still's
        #: preprocessing, done inside its segmenter's checks, as ``preprocess``
        self.busy_ms = 0.0

    @property
    def last_light(self) -> list[bool | None]:
        """Per ROI of the last call: the ``"live"`` view's ink polarity (``None``: no ink)."""
        return self.base.last_light

    def __call__(self, image: np.ndarray, rois: list[ROI], analysis: InkAnalysis | None = None) -> np.ndarray:
        """The views of every ROI of one still frame.

        Args:
            image: uint8 (H, W, 3) BGR frame or uint8 (H, W) grey.
            rois: digit ROIs in frame px.
            analysis: the digit segmenter's ``last_analysis`` of this frame (see
                :class:`~edge.preprocess.MnistPreprocessor`).

        Returns:
            float32 (N, K, 28, 28, 1) in [0, 1], white ink on black, N = ``len(rois)``,
            K = ``len(FRAME_VIEWS)`` in that order; :class:`ViewsClassifier` averages over K.
        """
        with _busy(self):
            live = self.base(image, rois, analysis=analysis)
            full = self._full(image, rois, analysis=analysis)
            wide = self._full(image, [grown(r, image.shape, self.grow) for r in rois])
            # a cut part whose grown ROI holds no ink of its own (its neighbour's joined to it): grown on
            # its other sides only (its live and full views read it the same way, edge.preprocess.cut_ink)
            lost = [
                i for i, lit in enumerate(self._full.last_light) if lit is None and any(cut_sides(rois[i]))
            ]
            if lost:
                wide[lost] = self._full(
                    image, [grown(rois[i], image.shape, self.grow, within_cut=True) for i in lost]
                )
            return np.stack([live, full, wide], axis=1)


def crop_views(
    image: np.ndarray, bundle: Any, polarity: Polarity = "auto", classifier: Any = None
) -> np.ndarray:
    """The views of a whole image as one digit ROI (``edge-eval --crop``).

    Args:
        image: uint8 (H, W, 3) BGR or (H, W) grey.
        bundle: the model's :class:`~edge.bundle.ModelBundle`.
        polarity: ``"auto"``, ``"dark"`` or ``"light"`` (see :func:`edge.preprocess.crop_input`).
        classifier: the model (anything with ``predict`` of (N, 28, 28, 1) inputs, or a
            :class:`ViewsClassifier`); with ``"auto"``, a photo crop called light ink is read
            as dark ink too and the reading the model is clearly surer of is kept (see the
            module docstring, :data:`POLARITY_CHECK`). ``None``: the ground statistics decide.

    Returns:
        float32 (K, 28, 28, 1) in the input's value range for a ``"mnist-normalise"`` bundle
        (:func:`edge.preprocess.mnist_crop_input` with ``insets=CROP_INSETS``): K =
        ``len(CROP_INSETS)`` for a photo, K = 1 (:func:`~edge.preprocess.crop_input`'s input)
        for an image that already looks like a model input; for any other preprocessing
        :func:`~edge.preprocess.crop_input`'s float32 (H, W, C) input with a view axis of
        one, (1, H, W, C).

    Raises:
        ValueError: as :func:`edge.preprocess.crop_input`.
    """
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    if bundle.preprocessing != "mnist-normalise":
        return np.asarray(crop_input(image, bundle, polarity), np.float32)[None]
    grey = to_grey(image)
    deskew = bool(getattr(make_preprocessor(bundle), "deskew", False))  # as crop_input reads it
    lo, hi = bundle.input.value_range
    check = polarity == "auto" and classifier is not None and max(grey.shape) > SCAN_SIZE
    light = ink_is_light_in(grey) if check else None  # decided once, here
    views = mnist_crop_input(
        grey, polarity, deskew=deskew, value_range=(lo, hi), insets=CROP_INSETS, light=light
    )
    if light and len(views) > 1:  # a photo called light ink, not a ready model input
        views = _checked_light(grey, views, deskew, classifier)
    return views[..., None]


def _checked_light(grey: np.ndarray, light: np.ndarray, deskew: bool, classifier: Any) -> np.ndarray:
    """The light-ink views ``light`` (float32 (K, 28, 28)) of the photo crop ``grey``, or its
    dark-ink views when the model is more than :data:`POLARITY_CHECK` times as sure of them."""
    dark = mnist_crop_views(grey, CROP_INSETS, deskew=deskew, polarity="dark")
    views = classifier if isinstance(classifier, ViewsClassifier) else ViewsClassifier(classifier)
    p = views.predict(np.stack([light, dark])[..., None])
    if other_is_surer(p[0], p[1]):
        log.debug("crop called light ink read as dark: %.2f vs %.2f", p[1].max(), p[0].max())
        return dark
    return light


class ViewsClassifier:
    """A classifier that reads a batch of views: the mean of each input's views' probabilities.

    Wraps an :class:`edge.runtime.Classifier` (anything with ``predict`` and ``labels``);
    its other attributes (``bundle``, ``runtime`` ...) are the wrapped classifier's.

    Args:
        classifier: the classifier to run.
    """

    def __init__(self, classifier: Any) -> None:
        self.classifier = classifier
        #: wall ms spent in :meth:`predict` so far (``time.perf_counter``; :meth:`classify` calls it):
        #: the pipeline reports a still's classification, done inside its segmenter's checks, as ``classify``
        self.busy_ms = 0.0

    def __getattr__(self, name: str) -> Any:
        if name == "classifier":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.classifier, name)

    @property
    def labels(self) -> Sequence[str]:
        """The wrapped classifier's labels."""
        return self.classifier.labels  # type: ignore[no-any-return]

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities of each input, averaged over its views.

        Args:
            batch: float32 (N, K, H, W, C) model inputs, K views per input (all N x K run
                in one ``predict`` call); or (N, H, W, C) (one view each, as the wrapped
                classifier reads them).

        Returns:
            float32 (N, num_classes) probabilities in label order.
        """
        with _busy(self):
            batch = np.asarray(batch, np.float32)
            want = getattr(getattr(self.classifier, "bundle", None), "input", None)
            n_in = len(want.shape) if want is not None else 4
            if batch.ndim != n_in + 1:
                return np.asarray(self.classifier.predict(batch), np.float32)
            n, k = batch.shape[:2]
            p = np.asarray(self.classifier.predict(batch.reshape(n * k, *batch.shape[2:])), np.float32)
            return p.reshape(n, k, -1).mean(axis=1)

    def classify(self, batch: np.ndarray) -> list[Prediction]:
        """Top-1 :class:`~edge.types.Prediction` of each input's mean over its views (see
        :meth:`predict`)."""
        return top_predictions(self.predict(batch), self.labels)


@contextlib.contextmanager
def _busy(owner: Any) -> Iterator[None]:
    """Add the wall ms (``time.perf_counter``) the block takes to ``owner.busy_ms``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        owner.busy_ms += (time.perf_counter() - t0) * 1e3


def use_still_views(pipeline: Any) -> Any:
    """Give a still-image pipeline :data:`FRAME_VIEWS`: its preprocessor and classifier wrapped.

    Only a pipeline whose preprocessor is an :class:`~edge.preprocess.MnistPreprocessor`
    (a digits bundle) and whose classifier has ``predict`` (class probabilities, which the
    views average) changes; any other is returned as it is (logged when it lacks ``predict``).
    Its :class:`~edge.segment.digits.DigitSegmenter` is replaced by one that looks closer at a
    frame whose first pass sees nothing digit-like (``DigitSegmenterConfig.closer_look``) and keeps
    a small digit whose finer look cuts it into fragments (``DigitSegmenterConfig.keep_whole``), and
    with ``polarity="auto"`` wrapped in the polarity check
    (:class:`~edge.still_polarity.PolarityCheckedSegmenter`, whose readings compared both ways
    take no closer look); either is then wrapped in the check that reads a frame whose answer
    the model is unsure of again 2x closer (:class:`~edge.still_closer.CloserCheckedSegmenter`,
    which also joins the pieces of a broken digit, :func:`edge.still_pieces.join_pieces`).
    Call it only for still images (each photo read once, smoothing off): the live loop keeps
    one read per ROI.

    Args:
        pipeline: an :class:`edge.pipeline.Pipeline`.

    Returns:
        ``pipeline``, changed in place.
    """
    pre = pipeline.preprocessor
    if isinstance(pre, MnistPreprocessor) and not callable(getattr(pipeline.classifier, "predict", None)):
        log.info(
            "still views need a classifier with predict(); %s has none: one read per ROI",
            type(pipeline.classifier).__name__,
        )
        return pipeline
    if isinstance(pre, MnistPreprocessor) and not isinstance(pipeline.classifier, ViewsClassifier):
        pipeline.preprocessor = StillViewsPreprocessor(pre)
        pipeline.classifier = ViewsClassifier(pipeline.classifier)
        seg = pipeline.segmenter
        if isinstance(seg, DigitSegmenter) and not (seg.config.closer_look and seg.config.keep_whole):
            # a photo: a closer look, and no small digit cut into fragments by the finer look
            seg = pipeline.segmenter = type(seg)(
                dataclasses.replace(seg.config, closer_look=True, keep_whole=True)
            )
        if isinstance(seg, DigitSegmenter) and seg.config.polarity == "auto":
            seg = PolarityCheckedSegmenter(seg, pipeline.preprocessor, pipeline.classifier)
        if isinstance(seg, DigitSegmenter | PolarityCheckedSegmenter):  # an unsure frame: 2x closer
            pipeline.segmenter = CloserCheckedSegmenter(seg, pipeline.preprocessor, pipeline.classifier)
        log.debug("still views: %s per ROI", ", ".join(FRAME_VIEWS))
    return pipeline
