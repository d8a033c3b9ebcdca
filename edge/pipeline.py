"""Wires the stages together; the only module that knows all of them.

``Frame -> Segmenter.find -> list[ROI] -> Preprocessor -> Classifier.classify ->
Smoother.update -> FrameResult``. The benchmarks time this same object stage by
stage, so what ``edge-bench`` reports is what ``edge-run`` does.

The stages exchange only the value types of :mod:`edge.types`: for hands, the
finder (:mod:`edge.segment.hands`) puts each hand's mask on its ROI
(:attr:`edge.types.ROI.mask`) and :class:`edge.preprocess.HandPreprocessor` reads it
there; for a ``hand-landmarks`` bundle (the default ``hands`` model) the finder is
:class:`edge.segment.hand_tracker.HandTracker` (palm detector -> 21 landmarks), which
puts the landmarks, handedness and presence on each ROI, and
:class:`edge.preprocess.LandmarkPreprocessor` turns them into features. A detection
whose (smoothed) label is in :data:`edge.types.NO_GESTURE_LABELS` (the hands models'
``none`` class) is not shown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, cast

import numpy as np

from edge.bundle import ModelBundle
from edge.cut_memory import CutMemory
from edge.read_cache import ReadCache
from edge.result import SEGMENT_PARTS, STAGES, FrameResult
from edge.roi_inputs import segmenter_grey
from edge.roi_reading import read_cuts
from edge.segment.hand_finder import make_hand_tracker
from edge.types import NO_GESTURE_LABELS, ROI, Detection, Frame, Prediction, check_image

log = logging.getLogger(__name__)

__all__ = ["SEGMENT_PARTS", "STAGES", "FrameResult", "Pipeline", "build_pipeline"]


class Segmenter(Protocol):
    def find(self, image: np.ndarray) -> list[ROI]:
        """ROIs in a uint8 (H, W, 3) BGR image, in reading order."""
        ...


class Preprocessor(Protocol):
    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        """float32 (N, H, W, C) model inputs, one per ROI, from a uint8 (H, W, 3) BGR image."""
        ...


class ClassifierLike(Protocol):
    def classify(self, batch: np.ndarray) -> list[Prediction]: ...


class Smoother(Protocol):
    def update(self, detections: list[Detection], timestamp: float) -> list[Detection]:
        """Temporally smoothed detections for this frame."""
        ...


class Pipeline:
    """Segment, preprocess, classify and smooth one frame at a time.

    Args:
        segmenter: finds ROIs (:class:`Segmenter`).
        preprocessor: turns ROIs into model inputs (:class:`Preprocessor`).
        classifier: an :class:`edge.runtime.Classifier` or anything with ``classify``.
        smoother: optional temporal smoother (:class:`Smoother`).
        grouper: optional ``f(detections) -> list[(number, ROI)]`` that groups digit
            detections into numbers; one with a ``group(detections, image)`` method
            (:class:`edge.segment.numbers.NumberGrouper`) is given the frame's image too,
            for decimal points and minus signs, (if it ``accepts_light``) each digit's
            ink polarity as the preprocessor's ``last_light`` recorded it, and (if it
            ``accepts_analysis``) the segmenter's ``last_analysis``. ROIs whose ``last_light``
            is ``None`` (no ink: a blank input, "1" at ~0.84 to a digits model) are dropped.
        min_score: drop (smoothed) detections scoring below this, in [0, 1].
        no_gesture_labels: drop (smoothed) detections with these labels from
            :attr:`FrameResult.detections` (they stay in ``raw``): by default
            :data:`edge.types.NO_GESTURE_LABELS` (``"none"``, the hands models' "no
            gesture" class). The smoother still tracks them, so an empty room that the
            model calls ``none`` does not flicker between gestures.
        top_k: report this many best (label, score) pairs per detection
            (:attr:`FrameResult.top`; the classifier's ``labels`` name them); 0: none.
    """

    def __init__(
        self,
        segmenter: Segmenter,
        preprocessor: Preprocessor,
        classifier: ClassifierLike,
        smoother: Smoother | None = None,
        grouper: Callable[[list[Detection]], list[tuple[str, ROI]]] | None = None,
        min_score: float = 0.0,
        no_gesture_labels: Sequence[str] = NO_GESTURE_LABELS,
        top_k: int = 0,
    ) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f"min_score must be in [0, 1], got {min_score}")
        if isinstance(no_gesture_labels, str):
            raise ValueError(
                "no_gesture_labels must be a sequence of labels, got the string "
                f"{no_gesture_labels!r}; write ({no_gesture_labels!r},)"
            )
        self.segmenter, self.preprocessor, self.classifier = segmenter, preprocessor, classifier
        self.smoother, self.grouper = smoother, grouper
        self.cut_memory = CutMemory() if smoother is not None else None  # live: cuts held (see process)
        self.read_cache = ReadCache(max_age=3 if smoother is not None else 0)  # live: readings kept
        self.min_score, self.no_gesture_labels = float(min_score), frozenset(no_gesture_labels)
        if top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {top_k}")
        self.top_k = int(top_k)

    def reset(self) -> None:
        """Forget temporal state: the smoother's tracks, and the scene a segmenter with
        ``keeps_scene`` (the digit finder) carries between video frames (hand finders keep
        their calibration)."""
        for state in (self.smoother, self.cut_memory, self.read_cache):  # (None has no reset)
            if hasattr(state, "reset"):
                state.reset()  # type: ignore[union-attr]
        if getattr(self.segmenter, "keeps_scene", False):
            self.segmenter.reset()  # type: ignore[attr-defined]

    def process(self, frame: Frame) -> FrameResult:
        """Run every stage on ``frame`` and time each (ms, ``time.perf_counter``).

        A segmenter whose ``last_read`` (:class:`edge.roi_reading.Reading`) is of the ROIs its ``find``
        just returned has already read them (a still, whose readings the still checks compare:
        :mod:`edge.still_polarity`, :mod:`edge.still_closer`): they are taken as they are (the time the
        still preprocessor and classifier spent in ``find``, their ``busy_ms``, is timed as ``preprocess``
        and ``classify``). Else they are read; with a smoother (live), a ROI whose ink did not change
        takes its reading of the last frames (:class:`edge.read_cache.ReadCache`). The ROIs a digit
        segmenter cut out of one piece of ink (:attr:`edge.types.ROI.whole`) are kept only when the model
        reads each surer than the whole, which then replaces them (:func:`edge.roi_reading.read_cuts`,
        timed as ``classify``; live, last frame's decisions held: :class:`edge.cut_memory.CutMemory`).

        Raises:
            ValueError: ``frame.image`` is not uint8 (H, W, 3) BGR with H, W >= 1 (what every
                source makes, :func:`edge.sources.to_bgr`).
        """
        check_image(frame.image)
        t = {}
        palm_runs = getattr(self.segmenter, "palm_runs", None)
        readers = (self.preprocessor, self.classifier)  # (a still's: their busy_ms, see above)
        busy = [getattr(part, "busy_ms", 0.0) for part in readers]
        t0 = time.perf_counter()
        rois = self.segmenter.find(frame.image)
        t1 = time.perf_counter()
        busy = [getattr(part, "busy_ms", 0.0) - b for part, b in zip(readers, busy, strict=True)]
        parts = getattr(self.segmenter, "last_timings_ms", None)
        # the segmenter's grey frame (a digit segmenter's), for stages that read only grey
        grey = segmenter_grey(self.segmenter, frame.image)
        analysis = getattr(self.segmenter, "last_analysis", None)  # a digit segmenter's ink, if any
        read = getattr(self.segmenter, "last_read", None)  # a still frame, read by its checks: not again
        if read is not None and read.found is rois:  # (edge.roi_reading.Reading)
            rois, light, preds = read.rois, read.light, read.predictions
            t2 = t3 = time.perf_counter()
        else:
            rois, batch, light = self.read_cache.inputs(self.segmenter, self.preprocessor, frame.image, rois)
            t2 = time.perf_counter()
            preds = self.read_cache.classify(self.classifier, batch)
            seg, pre, clf = self.segmenter, self.preprocessor, self.classifier
            if self.cut_memory is not None:  # live: as below, with last frame's decisions held
                rois, light, preds = self.cut_memory.read(seg, pre, clf, frame.image, rois, light, preds)
            elif any(r.whole is not None for r in rois):  # digits cut apart: kept if read surer than whole
                rois, light, preds = read_cuts(seg, pre, clf, frame.image, rois, light, preds)
            t3 = time.perf_counter()
        raw = [Detection(r, p) for r, p in zip(rois, preds, strict=True)]
        dets = self.smoother.update(raw, frame.timestamp) if self.smoother else raw
        if self.min_score > 0.0:
            dets = [d for d in dets if d.prediction.score >= self.min_score]
        if self.no_gesture_labels:
            dets = [d for d in dets if d.prediction.label not in self.no_gesture_labels]
        numbers: list[tuple[str, ROI]] = []
        if self.grouper is not None:
            group = getattr(self.grouper, "group", None)  # a NumberGrouper also reads marks in the frame
            if group is None:
                numbers = self.grouper(dets)
            else:
                grey_ok = grey is not None and getattr(self.grouper, "accepts_grey", False)
                image = grey if grey_ok else frame.image
                gkw = {"analysis": analysis} if getattr(self.grouper, "accepts_analysis", False) else {}
                if getattr(self.grouper, "accepts_light", False) and isinstance(light, list) and light:
                    # each digit's ink as the preprocessor found it (its marks are in that ink)
                    by_roi = {id(r): v for r, v in zip(rois, light, strict=False)}
                    numbers = group(dets, image, light=[by_roi.get(id(d.roi)) for d in dets], **gkw)
                else:
                    numbers = group(dets, image, **gkw)
        t4 = time.perf_counter()
        t["segment"], t["preprocess"] = (t1 - t0) * 1e3 - sum(busy), (t2 - t1) * 1e3 + busy[0]
        t["classify"], t["smooth"] = (t3 - t2) * 1e3 + busy[1], (t4 - t3) * 1e3
        t["total"] = (t4 - t0) * 1e3
        if isinstance(parts, dict):
            t.update({k: float(parts[k]) for k in SEGMENT_PARTS if k in parts})
        ran = None if palm_runs is None else getattr(self.segmenter, "palm_runs", 0) > palm_runs
        labels = getattr(self.classifier, "labels", None)
        return FrameResult(
            frame=frame,
            detections=dets,
            raw=raw,
            numbers=numbers,
            timings_ms=t,
            palm_detector_ran=ran,
            top=[d.prediction.top(labels, self.top_k) for d in dets] if self.top_k and labels else [],
        )


def build_pipeline(
    model: ModelBundle | str | Path | ClassifierLike,
    *,
    smoothing: bool = True,
    min_score: float | None = None,
    num_threads: int | None = None,
    runtime: str = "auto",
    task: str | None = None,
    segmenter: Segmenter | str | None = None,
    preprocessor: Preprocessor | None = None,
    smoother: Smoother | None = None,
    window: int | None = None,
    max_age: int = 5,
    background: str = "keep",
    source_kind: str = "camera",
    max_hands: int = 1,
    min_presence: float | None = None,
    roi: str | float | None = None,
    top_k: int | None = None,
    polarity: str | None = None,
) -> Pipeline:
    """The pipeline for a model, with the segmenter its task needs.

    Args:
        model: a :class:`~edge.bundle.ModelBundle`, a bundle folder or shipped name
            (loaded into an :class:`edge.runtime.Classifier`), or a ready classifier
            (anything with ``classify``; its ``bundle`` attribute, if any, gives the
            task and preprocessing).
        smoothing: add a :class:`edge.track.TrackSmoother` (unless ``smoother``
            is given).
        min_score: hide detections whose (smoothed) score is below this; ``None``:
            the bundle's calibrated ``min_score`` (0 when it has none).
        num_threads: interpreter threads when ``model`` is not a classifier.
        runtime: TFLite runtime when ``model`` is not a classifier (see
            :func:`edge.runtime.make_interpreter`).
        task: ``"digits"``, ``"hands"`` or ``"classify"``; default: the bundle's task.
        segmenter: override the task's segmenter: an instance, or for a hands model
            with an image input (``hand-crop``, e.g. ``hands-lenet``) the name of one
            (:func:`edge.segment.hands.make_hand_segmenter`: ``"skin"``, ``"skin-hsv"``,
            ``"background"``, ``"chroma"``). A ``hand-landmarks`` bundle needs the
            landmarks, so a name is refused there.
        preprocessor: override the bundle's preprocessor.
        smoother: override the default smoother.
        window: frames in the smoother's vote (K); ``None``: :data:`edge.track.VOTE_WINDOW` of the task
            (digits 5, hands 3).
        max_age: frames after which the smoother drops an unseen track (M).
        background: hands only: the hand crop's background, ``"keep"``, ``"grey"``
            or ``"blur"`` (:class:`edge.preprocess.HandPreprocessor`; the masks come
            on the segmenter's ROIs).
        source_kind: ``hand-landmarks`` bundles only
            (:data:`edge.segment.hand_finder.SOURCE_KINDS`): ``"image"``
            (still photos: the hand tracker's static mode, palm detector on every image)
            or ``"video"``/``"camera"`` (tracking: the palm detector runs only when a hand
            is lost).
        max_hands: ``hand-landmarks`` only: most hands found per frame. With tracking the
            palm detector runs on every frame while fewer than ``max_hands`` hands are
            tracked (MediaPipe's rule), so the default 1 lets one tracked hand skip it.
        min_presence: ``hand-landmarks`` only: hands whose landmark-model presence is
            below this are not reported (they count as ``none``); ``None``: the bundle's
            ``decision.min_presence`` (the shipped hands bundle: 0.5, measured by
            leave-one-source-out), else ``detector.min_presence``, else 0 for still
            images (the classifier, which sees the presence, decides) and MediaPipe's
            0.5 for video (a track is lost below it).
        roi: ``classify`` only: what is classified
            (:func:`edge.segment.whole_frame.parse_roi`): ``"full"`` (default, the whole
            frame), ``"centre"`` or a fraction (a centred square).
        top_k: best (label, score) pairs reported per detection (:attr:`FrameResult.top`);
            ``None``: 3 for ``classify`` (capped at the number of labels), 0 otherwise.
        polarity: digits only: the ink's polarity, ``"auto"``, ``"dark"`` (ink on paper)
            or ``"light"`` (chalk, white marker, inverted scans), given to the digit
            segmenter's config and to the ``mnist-normalise`` preprocessor (``"auto"``:
            decided per ROI there); ``None``: the segmenter's default, and the
            preprocessor follows the segmenter's ``config.polarity`` (``"auto"`` when it
            has none), so the ROIs found for one ink are normalised for that ink.

    Returns:
        A :class:`Pipeline`. For ``digits``: :class:`edge.segment.digits.DigitSegmenter`,
        :func:`edge.preprocess.make_preprocessor` and
        :class:`edge.segment.numbers.NumberGrouper` as the grouper. For ``hands``:
        :class:`edge.segment.skin.SkinSegmenter` (``make_hand_segmenter("skin")``), the
        bundle's ``hand-crop`` preprocessing (:class:`edge.preprocess.HandPreprocessor`
        reading the masks on the ROIs) and no grouper; for a ``hand-landmarks`` bundle
        (``hands``): :class:`edge.segment.hand_tracker.HandTracker` (:func:`make_hand_tracker`)
        and :class:`edge.preprocess.LandmarkPreprocessor`. For ``classify``:
        :class:`edge.segment.whole_frame.WholeFrameSegmenter` (one ROI: the frame or its
        centre) and the bundle's ``resize`` or ``centre-crop`` preprocessing. All hide detections labelled
        ``none`` (:class:`Pipeline` ``no_gesture_labels``) and smooth with a
        :class:`edge.track.TrackSmoother`.

    Raises:
        edge.bundle.BundleError: the bundle cannot be loaded.
        ValueError: unknown task or segmenter name, no task known, a segmenter name or
            a background treatment for a digits, ``classify`` or ``hand-landmarks`` model,
            ``roi`` for another task than ``classify``, a bad ``roi``.
        edge.pretrained.HandModelsMissing: a ``hand-landmarks`` bundle but the MediaPipe
            models were not fetched (the message names ``edge-models fetch hands``).
    """
    if hasattr(model, "classify"):
        classifier, bundle = model, getattr(model, "bundle", None)
    else:
        from edge.runtime import Classifier

        classifier = Classifier(model, num_threads=num_threads, runtime=runtime)  # type: ignore[arg-type]
        bundle = classifier.bundle
    task = task or (bundle.task if bundle is not None else None)
    grouper = None
    if roi is not None and roi != "full" and task != "classify":
        raise ValueError(
            f"roi={roi!r} chooses what a 'classify' model looks at, but this is a {task} model "
            "(it finds its own regions); drop --roi"
        )
    if task == "classify":
        if isinstance(segmenter, str) or background != "keep":
            raise ValueError("a 'classify' model classifies the frame or --roi: drop segmenter=/background=")
        from edge.segment.whole_frame import WholeFrameSegmenter

        segmenter = segmenter or WholeFrameSegmenter(roi)
        if top_k is None:
            top_k = min(3, len(getattr(classifier, "labels", ()) or ()))
    elif task == "digits":
        if isinstance(segmenter, str) or background != "keep":
            raise ValueError(
                "segmenter names and background= choose how hands are found and cropped, "
                "but this is a digits model; drop them or use a hands model"
            )
        if segmenter is None:
            from edge.segment.digits import DigitSegmenter, DigitSegmenterConfig

            segmenter = DigitSegmenter(DigitSegmenterConfig(polarity=polarity) if polarity else None)
        from edge.segment.numbers import NumberGrouper

        grouper = NumberGrouper()
    elif task == "hands" and bundle is not None and bundle.preprocessing == "hand-landmarks":
        if isinstance(segmenter, str) or background != "keep":
            raise ValueError(
                f"--segmenter {segmenter} / background= choose how the small CNN models "
                f"find and crop hands, but {bundle.name} reads the hand landmarks of the "
                "palm detector + landmark model; drop them, or use --model hands-lenet"
            )
        if segmenter is None:
            segmenter = make_hand_tracker(
                bundle,
                source_kind=source_kind,
                max_hands=max_hands,
                min_presence=min_presence,
                num_threads=num_threads,
            )
    elif task == "hands":
        if segmenter is None or isinstance(segmenter, str):
            from edge.segment.hands import make_hand_segmenter

            segmenter = make_hand_segmenter(segmenter or "skin")
    else:
        raise ValueError(
            f"unknown task {task!r}: the bundle's model.json must say task "
            "'digits', 'hands' or 'classify' (or pass task=)"
        )
    if preprocessor is None:
        if bundle is None:
            raise ValueError("a classifier without a bundle needs preprocessor=")
        from edge.preprocess import make_preprocessor

        # (a digits model has background="keep" here; the ink the segmenter looks for is the one normalised)
        pol = "auto"
        if task == "digits":
            pol = polarity or str(getattr(getattr(segmenter, "config", None), "polarity", None) or "auto")
        preprocessor = cast(Preprocessor, make_preprocessor(bundle, background=background, polarity=pol))
    elif background != "keep":
        raise ValueError(
            "background= applies to the bundle's own preprocessor; with preprocessor= "
            "normalise the background there"
        )
    if smoother is None and smoothing:
        from edge.track import VOTE_WINDOW, TrackSmoother

        labels: Sequence[str] | None = getattr(classifier, "labels", None)
        k = window if window is not None else VOTE_WINDOW.get(task, 5)
        smoother = TrackSmoother(window=k, max_age=max_age, labels=labels)
    assert preprocessor is not None
    pipe = Pipeline(
        segmenter,
        preprocessor,
        classifier,
        smoother=smoother if smoothing else None,
        grouper=grouper,
        min_score=min_score if min_score is not None else (bundle.min_score if bundle else 0.0),
        top_k=top_k or 0,
    )
    names = (type(segmenter).__name__, type(pipe.smoother).__name__)
    log.debug("pipeline: task=%s segmenter=%s smoother=%s", task, *names)
    return pipe
