"""Accuracy of a bundle on MNIST or on a folder of labelled photos, as ``edge-eval`` reports it.

The metrics are pure functions over label indices (:func:`confusion_matrix`,
:func:`per_class_accuracy`, :func:`make_report`), tested without a model. The
``evaluate_*`` functions run the same classifier, preprocessor and pipeline objects
that ``edge-run`` uses.

An image folder holds one sub-folder per class, named as in the bundle's
``labels.txt`` (``DIR/3/*.png``, ``DIR/rock/*.jpg``). In *crop* mode each image is one
ROI (the preprocessing finds the ink or hand inside it); in *frame* mode the whole
pipeline segments the image as a camera frame and the most confident detection is
scored; an image with no detection counts as wrong (``no_detection``).
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.datasets import DatasetError
from edge.types import Frame, Prediction

log = logging.getLogger(__name__)

#: File suffixes read as images in class folders (others are ignored).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm")
#: Predicted index meaning "nothing found" (frame mode).
NO_PREDICTION = -1


# -- metrics (pure) -----------------------------------------------------------------
def confusion_matrix(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray,
                     num_classes: int) -> np.ndarray:
    """Counts of (true, predicted) pairs.

    Args:
        y_true: int (N,) true class indices in [0, num_classes).
        y_pred: int (N,) predicted indices; :data:`NO_PREDICTION` (-1) entries are
            left out of the matrix.
        num_classes: K.

    Returns:
        int64 (K, K), rows = true class, columns = predicted class.

    Raises:
        ValueError: lengths differ or an index is out of range.
    """
    t = np.asarray(y_true, np.int64).reshape(-1)
    p = np.asarray(y_pred, np.int64).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length: {t.size} vs {p.size}")
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError(f"true labels must be in [0, {num_classes}), got {t.min()}..{t.max()}")
    keep = p != NO_PREDICTION
    if keep.any() and (p[keep].min() < 0 or p[keep].max() >= num_classes):
        raise ValueError(f"predicted labels must be in [0, {num_classes}) or -1")
    cm = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(cm, (t[keep], p[keep]), 1)
    return cm


def per_class_accuracy(cm: np.ndarray, n_per_class: np.ndarray | None = None) -> np.ndarray:
    """Recall of each class: correct / images of that class.

    Args:
        cm: int (K, K) confusion matrix (rows = true class).
        n_per_class: int (K,) images per class when some are outside the matrix
            (no prediction); default the row sums.

    Returns:
        float64 (K,); NaN for a class with no images.
    """
    n = cm.sum(axis=1) if n_per_class is None else np.asarray(n_per_class)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.diag(cm) / np.maximum(n, 1), np.nan)


@dataclass
class EvalReport:
    """What ``edge-eval`` prints.

    Attributes:
        labels: class labels, in the bundle's order.
        confusion: int64 (K, K), rows = true, columns = predicted.
        n_per_class: int64 (K,) images per true class (including no-detection ones).
        no_detection: int64 (K,) images per class where nothing was detected.
        info: extra fields for the JSON (model, dataset, mode, timing ...).
    """

    labels: tuple[str, ...]
    confusion: np.ndarray
    n_per_class: np.ndarray
    no_detection: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.n_per_class.sum())

    @property
    def correct(self) -> int:
        return int(np.trace(self.confusion))

    @property
    def accuracy(self) -> float:
        """Correct / all images (NaN when there are none)."""
        return self.correct / self.n if self.n else float("nan")

    @property
    def per_class(self) -> np.ndarray:
        """float64 (K,) accuracy per class (NaN where a class has no images)."""
        return per_class_accuracy(self.confusion, self.n_per_class)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready dict: accuracy, n, correct, per_class, per_class_n, confusion, labels,
        no_detection (+ ``info``). Missing values (no images) are ``null``."""

        def num(v: float) -> float | None:
            return None if np.isnan(v) else round(float(v), 6)

        return {
            **self.info,
            "accuracy": num(self.accuracy),
            "n": self.n,
            "correct": self.correct,
            "labels": list(self.labels),
            "per_class": {lab: num(a) for lab, a in zip(self.labels, self.per_class, strict=True)},
            "per_class_n": {lab: int(c) for lab, c in zip(self.labels, self.n_per_class, strict=True)},
            "confusion": self.confusion.astype(int).tolist(),
            "no_detection": int(self.no_detection.sum()),
        }

    def format_text(self) -> str:
        """Human-readable accuracy, per-class accuracy and confusion matrix."""
        out = []
        head = ", ".join(f"{k} {v}" for k, v in self.info.items() if not isinstance(v, dict | list))
        if head:
            out.append(head)
        acc = self.accuracy
        out.append(f"accuracy: {100 * acc:.2f}% ({self.correct}/{self.n})" if self.n else
                   "accuracy: n/a (no images)")
        if self.no_detection.sum():
            out.append(f"no detection: {int(self.no_detection.sum())} image(s), counted as wrong")
        out.append("per class:")
        width = max(len(lab) for lab in self.labels)
        for lab, a, c, nd in zip(self.labels, self.per_class, self.n_per_class, self.no_detection,
                                 strict=True):
            s = "   n/a" if np.isnan(a) else f"{100 * a:6.2f}%"
            extra = f", {int(nd)} not detected" if nd else ""
            out.append(f"  {lab:>{width}}: {s} of {int(c)}{extra}")
        out.append("confusion (rows = true, columns = predicted):")
        cw = max(width, len(str(int(self.confusion.max(initial=0)))), 1)
        out.append(" " * (width + 2) + " ".join(f"{lab:>{cw}}" for lab in self.labels))
        for lab, row in zip(self.labels, self.confusion, strict=True):
            out.append(f"  {lab:>{width}}" + "".join(f" {int(v):>{cw}}" for v in row))
        return "\n".join(out)


def make_report(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray,
                labels: Sequence[str], info: dict[str, Any] | None = None) -> EvalReport:
    """An :class:`EvalReport` from true and predicted indices (-1 = nothing detected)."""
    k = len(labels)
    t = np.asarray(y_true, np.int64).reshape(-1)
    p = np.asarray(y_pred, np.int64).reshape(-1)
    cm = confusion_matrix(t, p, k)
    n = np.bincount(t, minlength=k).astype(np.int64) if t.size else np.zeros(k, np.int64)
    nd = (np.bincount(t[p == NO_PREDICTION], minlength=k).astype(np.int64)
          if (p == NO_PREDICTION).any() else np.zeros(k, np.int64))
    return EvalReport(tuple(labels), cm, n, nd, dict(info or {}))


# -- datasets -------------------------------------------------------------------------
def mnist_label_indices(labels: Sequence[str]) -> np.ndarray:
    """int64 (10,) position of ``"0"``..``"9"`` in a bundle's labels.

    Raises:
        ValueError: the labels are not the ten digits.
    """
    try:
        return np.array([list(labels).index(str(d)) for d in range(10)], np.int64)
    except ValueError:
        raise ValueError(f"MNIST needs a digits bundle with labels 0..9; this one has "
                         f"{list(labels)}") from None


def mnist_inputs(x: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """uint8 (N, 28, 28) MNIST images (white on black) to float32 (N, 28, 28, 1) model inputs
    ``lo + (x / 255) * (hi - lo)``."""
    lo, hi = value_range
    return (lo + (x.astype(np.float32) / 255.0) * (hi - lo))[..., None].astype(np.float32)


@dataclass(frozen=True)
class LabelledImage:
    """One photo of an image folder: its path and class index."""

    path: Path
    label_index: int


def list_image_folder(root: str | Path, labels: Sequence[str], limit: int | None = None
                      ) -> list[LabelledImage]:
    """The images of a folder of class folders, checked against the bundle's labels.

    Args:
        root: folder with one sub-folder per class (names as in ``labels.txt``);
            files with suffixes in :data:`IMAGE_SUFFIXES` are taken, others ignored.
        labels: the bundle's labels.
        limit: at most this many images, taken round-robin over the classes
            (in sorted file order) so every class stays represented.

    Returns:
        Images sorted by class then file name (interleaved when ``limit`` cuts).

    Raises:
        DatasetError: ``root`` missing, no class folders or images, or a class
            folder whose name is not one of ``labels``.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetError(f"image folder {root} does not exist: pass a folder of class folders "
                           "(e.g. DIR/0/*.png ... DIR/9/*.png)")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DatasetError(f"{root} has no class folders: put the images of each class in a "
                           f"sub-folder named after it, one of {list(labels)}")
    unknown = [p.name for p in folders if p.name not in labels]
    if unknown:
        raise DatasetError(f"class folder(s) {unknown} in {root} are not labels of this model "
                           f"{list(labels)}: rename them or use the matching bundle")
    per_class: list[list[LabelledImage]] = []
    for p in folders:
        idx = list(labels).index(p.name)
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
                       and not f.name.startswith("."))
        per_class.append([LabelledImage(f, idx) for f in files])
    total = sum(len(c) for c in per_class)
    if total == 0:
        raise DatasetError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in the class folders of {root}")
    if limit is None or limit >= total:
        return [it for c in per_class for it in c]
    picked: list[LabelledImage] = []
    i = 0
    while len(picked) < limit:
        for c in per_class:
            if i < len(c) and len(picked) < limit:
                picked.append(c[i])
        i += 1
    return sorted(picked, key=lambda it: (it.label_index, it.path))


def read_image(path: str | Path) -> np.ndarray:
    """Read a photo as uint8 (H, W, 3) BGR.

    Raises:
        DatasetError: the file cannot be read or decoded (the message names it).
    """
    p = Path(path)
    try:
        data = np.fromfile(p, np.uint8)
    except OSError as e:
        raise DatasetError(f"cannot read image {p}: {e.strerror}") from e
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise DatasetError(f"cannot decode image {p}: not an image OpenCV can read (corrupt or "
                           "empty?); remove it or pass --skip-unreadable")
    return img


# -- evaluation runs ------------------------------------------------------------------
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

    def save(self, stem: str, true: str, pred: str | None, image: np.ndarray | None = None,
             source: Path | None = None, model_input: np.ndarray | None = None,
             value_range: tuple[float, float] = (0.0, 1.0)) -> None:
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
            cv2.imwrite(str(self.folder / (name + "_input.png")),
                        np.clip(v * 255.0 + 0.5, 0, 255).astype(np.uint8))
        self.count += 1


def _classify_batches(classify: Callable[[np.ndarray], list[Prediction]], x: np.ndarray,
                      batch_size: int) -> list[Prediction]:
    out: list[Prediction] = []
    for i in range(0, len(x), batch_size):
        out.extend(classify(x[i:i + batch_size]))
    return out


def evaluate_mnist(classifier: Any, x: np.ndarray, y: np.ndarray, *, batch_size: int = 256,
                   save_errors: str | Path | None = None) -> EvalReport:
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


def _load_all(items: Sequence[LabelledImage], skip_unreadable: bool
              ) -> tuple[list[tuple[LabelledImage, np.ndarray]], list[str]]:
    ok, skipped = [], []
    for it in items:
        try:
            ok.append((it, read_image(it.path)))
        except DatasetError as e:
            if not skip_unreadable:
                raise
            log.warning("skipping %s", e)
            skipped.append(str(it.path))
    return ok, skipped


def evaluate_crops(classifier: Any, items: Sequence[LabelledImage], *, batch_size: int = 64,
                   skip_unreadable: bool = False, save_errors: str | Path | None = None,
                   crop_input: Callable[[np.ndarray, Any], np.ndarray] | None = None) -> EvalReport:
    """Accuracy with each photo as one ROI (the preprocessing finds the ink/hand in it).

    Args:
        classifier: :class:`edge.runtime.Classifier` (with ``bundle`` and ``labels``).
        items: from :func:`list_image_folder`.
        batch_size: crops per ``classify`` call.
        skip_unreadable: skip (and count) undecodable files instead of failing.
        save_errors: folder for misclassified photos and the model input they gave.
        crop_input: ``f(image_bgr, bundle) -> float32 (H, W, C)``; default
            :func:`edge.preprocess.crop_input`.

    Raises:
        DatasetError: an image cannot be read (unless ``skip_unreadable``).
    """
    if crop_input is None:
        from edge.preprocess import crop_input as _crop

        crop_input = _crop
    bundle = classifier.bundle
    labels = tuple(classifier.labels)
    loaded, skipped = _load_all(items, skip_unreadable)
    t0 = time.perf_counter()
    inputs = [np.asarray(crop_input(img, bundle), np.float32) for _, img in loaded]
    x = np.stack(inputs) if inputs else np.zeros((0, *bundle.input.shape[1:]), np.float32)
    preds = _classify_batches(classifier.classify, x, batch_size) if len(x) else []
    ms = (time.perf_counter() - t0) * 1e3
    y_true = [it.label_index for it, _ in loaded]
    y_pred = [p.index for p in preds]
    saver = _ErrorSaver(save_errors)
    for (it, _), p, xi in zip(loaded, preds, x, strict=True):
        if p.index != it.label_index:
            saver.save(it.path.stem, labels[it.label_index], p.label, source=it.path,
                       model_input=xi, value_range=bundle.input.value_range)
    info: dict[str, Any] = {"ms_per_image": round(ms / max(1, len(loaded)), 4),
                            "skipped_unreadable": len(skipped)}
    if save_errors is not None:
        info["errors_saved"] = saver.count
    return make_report(y_true, y_pred, labels, info)


def evaluate_frames(pipeline: Any, labels: Sequence[str], items: Sequence[LabelledImage], *,
                    skip_unreadable: bool = False, save_errors: str | Path | None = None
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
        save_errors: folder for misclassified photos, the chosen box drawn on them.

    Raises:
        DatasetError: an image cannot be read (unless ``skip_unreadable``).
    """
    loaded, skipped = _load_all(items, skip_unreadable)
    saver = _ErrorSaver(save_errors)
    y_true, y_pred = [], []
    none_index = list(labels).index("none") if "none" in labels else NO_PREDICTION
    t0 = time.perf_counter()
    for i, (it, img) in enumerate(loaded):
        res = pipeline.process(Frame(img, 0.0, i))
        best = max(res.detections, key=lambda d: d.prediction.score, default=None)
        y_true.append(it.label_index)
        y_pred.append(none_index if best is None else best.prediction.index)
        if y_pred[-1] != it.label_index:
            shown = img
            if best is not None and saver.folder is not None:
                from edge.overlay import draw_overlay

                shown = draw_overlay(img, [best])
            saver.save(it.path.stem, labels[it.label_index],
                       None if best is None else best.prediction.label, image=shown)
    ms = (time.perf_counter() - t0) * 1e3
    info: dict[str, Any] = {"ms_per_image": round(ms / max(1, len(loaded)), 4),
                            "skipped_unreadable": len(skipped)}
    if save_errors is not None:
        info["errors_saved"] = saver.count
    return make_report(y_true, y_pred, labels, info)


# -- live ground truth (edge-run on the demo scene) ---------------------------------
@dataclass
class TruthTally:
    """Running count of digits read correctly against a scene's ground truth.

    A truth box is matched to the unmatched detection with the highest IoU >= 0.5,
    or failing that to one whose centre lies inside it; matched with the right
    label is *correct*, with another label *wrong*, unmatched *missed*; detections
    matching no truth box are *extra*.
    """

    iou_threshold: float = 0.5
    truths: int = 0
    correct: int = 0
    wrong: int = 0
    missed: int = 0
    extra: int = 0
    frames: int = 0

    def update(self, truth: Sequence[tuple[str, Any]], detections: Sequence[Any]) -> None:
        """Add one frame: ``truth`` as ``(label, ROI)`` pairs, ``detections`` as
        :class:`edge.types.Detection`."""
        c, w, m, e = match_truth(truth, detections, self.iou_threshold)
        self.frames += 1
        self.truths += len(truth)
        self.correct, self.wrong, self.missed, self.extra = (
            self.correct + c, self.wrong + w, self.missed + m, self.extra + e)

    @property
    def accuracy(self) -> float:
        """Correct / truth digits (NaN before any)."""
        return self.correct / self.truths if self.truths else float("nan")

    def as_json(self) -> dict[str, Any]:
        return {"frames": self.frames, "digits": self.truths, "correct": self.correct,
                "wrong": self.wrong, "missed": self.missed, "extra": self.extra,
                "accuracy": None if not self.truths else round(self.accuracy, 6)}


def match_truth(truth: Sequence[tuple[str, Any]], detections: Sequence[Any],
                iou_threshold: float = 0.5) -> tuple[int, int, int, int]:
    """Match ground-truth boxes to detections of one frame (see :class:`TruthTally`).

    Args:
        truth: ``(label, ROI)`` pairs.
        detections: :class:`edge.types.Detection` list.
        iou_threshold: minimum IoU for a match before falling back to centre-inside.

    Returns:
        ``(correct, wrong, missed, extra)`` counts.
    """
    used: set[int] = set()
    pairs = sorted(((roi.iou(d.roi), ti, di) for ti, (_, roi) in enumerate(truth)
                    for di, d in enumerate(detections)), reverse=True)
    match: dict[int, int] = {}
    for iou, ti, di in pairs:
        if iou < iou_threshold:
            break
        if ti not in match and di not in used:
            match[ti] = di
            used.add(di)
    for ti, (_, roi) in enumerate(truth):
        if ti in match:
            continue
        for di, d in enumerate(detections):
            cx, cy = d.roi.center
            if di not in used and roi.x <= cx <= roi.x + roi.w and roi.y <= cy <= roi.y + roi.h:
                match[ti] = di
                used.add(di)
                break
    correct = sum(1 for ti, di in match.items() if detections[di].prediction.label == truth[ti][0])
    wrong = len(match) - correct
    return correct, wrong, len(truth) - len(match), len(detections) - len(used)


# -- score threshold calibration (hands: "say nothing when no hand is there") -------
@dataclass
class ThresholdPoint:
    """Rates at one score threshold over a folder of frames.

    Attributes:
        threshold: min_score in [0, 1].
        gesture_accuracy: share of photos of a real class answered correctly with a
            score >= threshold.
        quiet_rate: share of ``none`` photos (no hand / no gesture) where nothing is
            shown at this threshold.
    """

    threshold: float
    gesture_accuracy: float
    quiet_rate: float


def threshold_sweep(pipeline: Any, labels: Sequence[str], items: Sequence[LabelledImage],
                    thresholds: Sequence[float] = tuple(np.round(np.arange(0.0, 0.96, 0.05), 2)),
                    ) -> list[ThresholdPoint]:
    """Gesture accuracy and quiet rate on empty/``none`` photos at each threshold.

    Each photo runs once through ``pipeline`` (built with ``min_score=0`` and no
    smoothing); its answer is the most confident reported detection.

    Args:
        pipeline: an :class:`edge.pipeline.Pipeline`.
        labels: the bundle's labels (must include ``none``).
        items: from :func:`list_image_folder`, with ``none`` photos among them.
        thresholds: values to try, each in [0, 1].

    Returns:
        One :class:`ThresholdPoint` per threshold.

    Raises:
        ValueError: the labels have no ``none`` class or the photos no ``none`` photo.
    """
    if "none" not in labels:
        raise ValueError("calibrating min_score needs a model with a 'none' class")
    none = list(labels).index("none")
    if not any(it.label_index == none for it in items):
        raise ValueError("calibrating min_score needs photos without a gesture in a none/ folder")
    answers = []
    for i, (it, img) in enumerate(_load_all(items, False)[0]):
        res = pipeline.process(Frame(img, 0.0, i))
        best = max(res.detections, key=lambda d: d.prediction.score, default=None)
        answers.append((it.label_index, None if best is None else best.prediction.index,
                        0.0 if best is None else best.prediction.score))
    out = []
    for t in thresholds:
        g = [p == y and s >= t for y, p, s in answers if y != none]
        q = [p is None or s < t for y, p, s in answers if y == none]
        out.append(ThresholdPoint(float(t), float(np.mean(g)) if g else float("nan"), float(np.mean(q))))
    return out


def choose_threshold(points: Sequence[ThresholdPoint], max_accuracy_loss: float = 0.02) -> ThresholdPoint:
    """The highest threshold whose gesture accuracy is within ``max_accuracy_loss`` of
    the accuracy at the lowest threshold (a calibrated operating point: the most
    silence on empty scenes for a bounded cost on real gestures).

    Raises:
        ValueError: ``points`` is empty or ``max_accuracy_loss`` is outside [0, 1].
    """
    if not points:
        raise ValueError("no threshold points")
    if not 0.0 <= max_accuracy_loss <= 1.0:
        raise ValueError(f"max_accuracy_loss must be in [0, 1], got {max_accuracy_loss}")
    pts = sorted(points, key=lambda p: p.threshold)
    floor = pts[0].gesture_accuracy - max_accuracy_loss
    ok = [p for p in pts if p.gesture_accuracy >= floor - 1e-12]
    return ok[-1]
