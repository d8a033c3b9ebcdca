"""Accuracy metrics as pure functions over label indices, tested without a model:
:func:`confusion_matrix`, :func:`per_class_accuracy`, :class:`EvalReport` (what
``edge-eval`` prints and saves) and :func:`make_report`; MNIST's label order and inputs.

Imports only numpy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


#: Predicted index meaning "nothing found" (frame mode).
NO_PREDICTION = -1


# -- metrics (pure) -----------------------------------------------------------------
def confusion_matrix(
    y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray, num_classes: int
) -> np.ndarray:
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
        out.append(
            f"accuracy: {100 * acc:.2f}% ({self.correct}/{self.n})" if self.n else "accuracy: n/a (no images)"
        )
        if self.no_detection.sum():
            out.append(f"no detection: {int(self.no_detection.sum())} image(s), counted as wrong")
        out.append("per class:")
        width = max(len(lab) for lab in self.labels)
        for lab, a, c, nd in zip(
            self.labels, self.per_class, self.n_per_class, self.no_detection, strict=True
        ):
            s = "   n/a" if np.isnan(a) else f"{100 * a:6.2f}%"
            extra = f", {int(nd)} not detected" if nd else ""
            out.append(f"  {lab:>{width}}: {s} of {int(c)}{extra}")
        out.append("confusion (rows = true, columns = predicted):")
        cw = max(width, len(str(int(self.confusion.max(initial=0)))), 1)
        out.append(" " * (width + 2) + " ".join(f"{lab:>{cw}}" for lab in self.labels))
        for lab, row in zip(self.labels, self.confusion, strict=True):
            out.append(f"  {lab:>{width}}" + "".join(f" {int(v):>{cw}}" for v in row))
        return "\n".join(out)


def make_report(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    labels: Sequence[str],
    info: dict[str, Any] | None = None,
) -> EvalReport:
    """An :class:`EvalReport` from true and predicted indices (-1 = nothing detected)."""
    k = len(labels)
    t = np.asarray(y_true, np.int64).reshape(-1)
    p = np.asarray(y_pred, np.int64).reshape(-1)
    cm = confusion_matrix(t, p, k)
    n = np.bincount(t, minlength=k).astype(np.int64) if t.size else np.zeros(k, np.int64)
    nd = (
        np.bincount(t[p == NO_PREDICTION], minlength=k).astype(np.int64)
        if (p == NO_PREDICTION).any()
        else np.zeros(k, np.int64)
    )
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
        raise ValueError(
            f"MNIST needs a digits bundle with labels 0..9; this one has {list(labels)}"
        ) from None


def mnist_inputs(x: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """uint8 (N, 28, 28) MNIST images (white on black) to float32 (N, 28, 28, 1) model inputs
    ``lo + (x / 255) * (hi - lo)``."""
    lo, hi = value_range
    return (lo + (x.astype(np.float32) / 255.0) * (hi - lo))[..., None].astype(np.float32)
