"""Accuracy of a bundle on MNIST or on an image folder, as ``edge-eval`` measures it.

The ``evaluate_*`` functions run the same classifier, preprocessor and pipeline objects
that ``edge-run`` uses and return an :class:`~edge.evaluate.metrics.EvalReport`. In
*crop* mode each image is one ROI (the preprocessing finds the ink or hand inside it);
in *frame* mode the whole pipeline segments the image as a camera frame and the most
confident detection is scored; an image with no detection counts as wrong
(``no_detection``).

Imports :mod:`edge.evaluate.metrics`, :mod:`edge.evaluate.images`, :mod:`edge.types`;
a stage module (:mod:`edge.preprocess`) only inside :func:`evaluate_crops`.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.evaluate.images import LabelledImage, load_images
from edge.evaluate.metrics import NO_PREDICTION, EvalReport, make_report, mnist_inputs, mnist_label_indices
from edge.types import Frame, Prediction

log = logging.getLogger(__name__)


class _ErrorSaver:
    """Writes misclassified examples into a folder, the predicted label in the name."""

    def __init__(self, folder: str | Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.count = 0
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _safe(s: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)

    def save(
        self,
        stem: str,
        true: str,
        pred: str | None,
        image: np.ndarray | None = None,
        source: Path | None = None,
        model_input: np.ndarray | None = None,
        value_range: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        if self.folder is None:
            return
        name = f"true-{self._safe(true)}_pred-{self._safe(pred or 'none')}_{self._safe(stem)}"
        if source is not None:
            shutil.copyfile(source, self.folder / (name + source.suffix.lower()))
        elif image is not None:
            cv2.imwrite(str(self.folder / (name + ".png")), image)
        if model_input is not None:
            lo, hi = value_range
            v = (np.asarray(model_input, np.float32) - lo) / max(hi - lo, 1e-12)
            if v.ndim == 4:  # (K, H, W, C) views of one crop: the first, the plain read
                v = v[0]
            cv2.imwrite(
                str(self.folder / (name + "_input.png")), np.clip(v * 255.0 + 0.5, 0, 255).astype(np.uint8)
            )
        self.count += 1


def _classify_batches(
    classify: Callable[[np.ndarray], list[Prediction]], x: np.ndarray, batch_size: int
) -> list[Prediction]:
    out: list[Prediction] = []
    for i in range(0, len(x), batch_size):
        out.extend(classify(x[i : i + batch_size]))
    return out


def _classify_ragged(
    classify: Callable[[np.ndarray], list[Prediction]], inputs: list[np.ndarray], batch_size: int
) -> list[Prediction]:
    """:func:`_classify_batches` of inputs that may differ in shape (still views: K views of a
    photo crop, one of a ready model input): each shape batched on its own, in input order."""
    if len({x.shape for x in inputs}) <= 1:
        return _classify_batches(classify, np.stack(inputs), batch_size) if inputs else []
    out: list[Prediction | None] = [None] * len(inputs)
    for shape in dict.fromkeys(x.shape for x in inputs):
        idx = [i for i, x in enumerate(inputs) if x.shape == shape]
        for i, p in zip(
            idx, _classify_batches(classify, np.stack([inputs[i] for i in idx]), batch_size), strict=True
        ):
            out[i] = p
    return [p for p in out if p is not None]


def evaluate_mnist(
    classifier: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int = 256,
    save_errors: str | Path | None = None,
) -> EvalReport:
    """Accuracy on MNIST images fed straight to the classifier (no segmentation).

    Args:
        classifier: :class:`edge.runtime.Classifier` (or anything with ``classify``,
            ``labels`` and ``bundle.input``) of a 28x28 grey digits model.
        x: uint8 (N, 28, 28) white ink on black.
        y: uint8 (N,) digits 0..9.
        batch_size: images per ``classify`` call.
        save_errors: folder to write misclassified digits to (PNG, 28x28).

    Raises:
        ValueError: the model's input is not (28, 28, 1) grey or its labels are not 0..9.
    """
    spec = classifier.bundle.input
    if tuple(spec.shape[1:]) != (28, 28, 1):
        raise ValueError(f"MNIST images are 28x28 grey but the model's input is {tuple(spec.shape)}")
    labels = tuple(classifier.labels)
    index_of = mnist_label_indices(labels)
    t0 = time.perf_counter()
    preds = _classify_batches(classifier.classify, mnist_inputs(x, spec.value_range), batch_size)
    ms = (time.perf_counter() - t0) * 1e3
    y_true = index_of[np.asarray(y, np.int64)]
    y_pred = np.array([p.index for p in preds], np.int64)
    saver = _ErrorSaver(save_errors)
    for i in np.flatnonzero(y_true != y_pred):
        saver.save(f"{i:05d}", labels[y_true[i]], preds[i].label, image=x[i])
    info = {"ms_per_image": round(ms / max(1, len(x)), 4)}
    if save_errors is not None:
        info["errors_saved"] = saver.count
    return make_report(y_true, y_pred, labels, info)


def evaluate_crops(
    classifier: Any,
    items: Sequence[LabelledImage],
    *,
    batch_size: int = 64,
    skip_unreadable: bool = False,
    max_pixels: int | None = None,
    save_errors: str | Path | None = None,
    crop_input: Callable[[np.ndarray, Any], np.ndarray] | None = None,
    on_image: Callable[[LabelledImage, int], None] | None = None,
) -> EvalReport:
    """Accuracy with each photo as one ROI (the preprocessing finds the ink/hand in it).

    Args:
        classifier: :class:`edge.runtime.Classifier` (with ``bundle`` and ``labels``).
        items: from :func:`list_image_folder`.
        batch_size: crops per ``classify`` call.
        skip_unreadable: skip (and count) undecodable files instead of failing.
        max_pixels: refuse images over this many pixels (``None``: the default limit,
            :func:`edge.sources.image_header.max_image_pixels`).
        save_errors: folder for misclassified photos and the model input they gave.
        crop_input: ``f(image_bgr, bundle) -> float32 (H, W, C)``; default
            :func:`edge.preprocess.crop_input`. Or float32 (K, H, W, C), K views of the
            crop (:func:`edge.still_views.crop_views`) for a classifier that reads
            (N, K, H, W, C) batches (:class:`edge.still_views.ViewsClassifier`); K may differ
            between crops (crops of each K are batched together).
        on_image: called with each image read and its predicted class index (for a
            per-image breakdown, e.g. ``benchmarks/realistic_digits.py breakdown``).

    Raises:
        DatasetError: an image cannot be read (unless ``skip_unreadable``).
    """
    if crop_input is None:
        from edge.preprocess import crop_input as _crop

        crop_input = _crop
    bundle = classifier.bundle
    labels = tuple(classifier.labels)
    loaded, skipped = load_images(items, skip_unreadable, max_pixels=max_pixels)
    t0 = time.perf_counter()
    inputs = [np.asarray(crop_input(img, bundle), np.float32) for _, img in loaded]
    preds = _classify_ragged(classifier.classify, inputs, batch_size)
    ms = (time.perf_counter() - t0) * 1e3
    y_true = [it.label_index for it, _ in loaded]
    y_pred = [p.index for p in preds]
    saver = _ErrorSaver(save_errors)
    for (it, _), p, xi in zip(loaded, preds, inputs, strict=True):
        if on_image is not None:
            on_image(it, p.index)
        if p.index != it.label_index:
            saver.save(
                it.path.stem,
                labels[it.label_index],
                p.label,
                source=it.path,
                model_input=xi,
                value_range=bundle.input.value_range,
            )
    info: dict[str, Any] = {
        "ms_per_image": round(ms / max(1, len(loaded)), 4),
        "skipped_unreadable": len(skipped),
    }
    if save_errors is not None:
        info["errors_saved"] = saver.count
    return make_report(y_true, y_pred, labels, info)


def evaluate_frames(
    pipeline: Any,
    labels: Sequence[str],
    items: Sequence[LabelledImage],
    *,
    skip_unreadable: bool = False,
    max_pixels: int | None = None,
    save_errors: str | Path | None = None,
    on_image: Callable[[LabelledImage, int], None] | None = None,
) -> EvalReport:
    """Accuracy with each photo run through the whole pipeline as a camera frame.

    The answer is what the user would see: the most confident detection the pipeline
    reports (unsmoothed; for hands, ``none`` detections are not reported). An image
    with no reported detection is answered ``none`` when the model has a ``none``
    class (the recogniser said "no gesture": right for a photo of an empty scene);
    otherwise it counts as wrong and in ``no_detection``.

    Args:
        pipeline: an :class:`edge.pipeline.Pipeline`
            (build it with ``smoothing=False`` so each photo stands alone).
        labels: the bundle's labels.
        items: from :func:`list_image_folder`.
        skip_unreadable: skip (and count) undecodable files instead of failing.
        max_pixels: refuse images over this many pixels (``None``: the default limit,
            :func:`edge.sources.image_header.max_image_pixels`).
        save_errors: folder for misclassified photos, the chosen box drawn on them.
        on_image: called with each image read and its predicted class index
            (:data:`~edge.evaluate.metrics.NO_PREDICTION` when nothing was reported).

    Raises:
        DatasetError: an image cannot be read (unless ``skip_unreadable``).
    """
    loaded, skipped = load_images(items, skip_unreadable, max_pixels=max_pixels)
    saver = _ErrorSaver(save_errors)
    y_true, y_pred = [], []
    none_index = list(labels).index("none") if "none" in labels else NO_PREDICTION
    t0 = time.perf_counter()
    for i, (it, img) in enumerate(loaded):
        if callable(reset := getattr(pipeline, "reset", None)):
            reset()  # each photo stands alone (no scene kept from the last one)
        res = pipeline.process(Frame(img, 0.0, i))
        best = max(res.detections, key=lambda d: d.prediction.score, default=None)
        y_true.append(it.label_index)
        y_pred.append(none_index if best is None else best.prediction.index)
        if on_image is not None:
            on_image(it, y_pred[-1])
        if y_pred[-1] != it.label_index:
            shown = img
            if best is not None and saver.folder is not None:
                from edge.overlay import draw_overlay

                shown = draw_overlay(img, [best])
            saver.save(
                it.path.stem,
                labels[it.label_index],
                None if best is None else best.prediction.label,
                image=shown,
            )
    ms = (time.perf_counter() - t0) * 1e3
    info: dict[str, Any] = {
        "ms_per_image": round(ms / max(1, len(loaded)), 4),
        "skipped_unreadable": len(skipped),
    }
    if save_errors is not None:
        info["errors_saved"] = saver.count
    return make_report(y_true, y_pred, labels, info)


# -- live ground truth (edge-run on the demo scene) ---------------------------------
