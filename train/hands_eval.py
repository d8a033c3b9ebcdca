"""Scoring a trained hand-gesture model (``edge-train hands``) on its held-out splits.

Accuracy, per-class recall, per-source accuracy and the confusion matrix of each split
(:func:`evaluate_splits`, which also draws ``confusion.png``), of the user's held-out own
samples (:func:`extra_val_metrics`), and quick accuracies of a model before fine-tuning
(:func:`accuracy_scores`). Images are uint8 (N, S, S, 3) RGB throughout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from train.hand_data import HandSample
from train.hands_config import HandsConfig

#: One split of images: uint8 (N, S, S, 3) RGB and int64 (N,) labels, or ``None`` when absent.
Split = tuple[np.ndarray | None, np.ndarray | None]


def predict_classes(model: Any, x: np.ndarray, scale: float) -> np.ndarray:
    """int64 (N,) class indices of uint8 (N, S, S, 3) RGB images (model input in [0, scale])."""
    return model.predict(x.astype(np.float32) / 255.0 * scale, batch_size=256, verbose=0).argmax(1)


def evaluate_splits(
    cfg: HandsConfig,
    out: Path,
    model: Any,
    scale: float,
    sets: dict[str, Split],
    splits: dict[str, list[HandSample]],
    labels: tuple[str, ...],
) -> dict[str, Any]:
    """Accuracy, per-class recall, per-source accuracy and confusion of each held-out split.

    Writes ``confusion.png`` of the last split scored (the hold-out test split when there is one).
    """
    from train.plots import confusion_matrix, plot_confusion

    metrics: dict[str, Any] = {}
    shown = None
    for name, (xs, ys) in sets.items():
        if xs is None or ys is None:
            continue
        pred = predict_classes(model, xs, scale)
        cm = confusion_matrix(ys, pred, len(labels))
        metrics[name] = {
            "accuracy": float((pred == ys).mean()),
            "n": int(len(ys)),
            "per_class": {c: float(cm[i, i] / max(1, cm[i].sum())) for i, c in enumerate(labels)},
            "per_source": accuracy_by_source(splits[name], ys, pred),
            "confusion": cm.tolist(),
        }
        shown = (name, cm)
    if shown is not None:
        plot_confusion(
            shown[1], list(labels), out / "confusion.png", f"hands {cfg.arch}: {shown[0]} split (Keras float)"
        )
    return metrics


def extra_val_metrics(model: Any, scale: float, extra_val: Split, labels: tuple[str, ...]) -> dict[str, Any]:
    """Accuracy and per-class recall (``None`` for a class without samples) on the held-out own samples."""
    from train.plots import confusion_matrix

    x, y = extra_val
    assert x is not None and y is not None
    pred = predict_classes(model, x, scale)
    cm = confusion_matrix(y, pred, len(labels))
    return {
        "accuracy": float((pred == y).mean()),
        "n": int(len(y)),
        "per_class": {
            c: (float(cm[i, i] / cm[i].sum()) if cm[i].sum() else None) for i, c in enumerate(labels)
        },
    }


def accuracy_scores(model: Any, sets: dict[str, Split]) -> dict[str, float]:
    """``{"<name>_accuracy": accuracy}`` of a [0, 1]-input Keras model on uint8 RGB sets.

    Sets that are ``None`` or empty are skipped.
    """
    out = {}
    for name, (x, y) in sets.items():
        if x is not None and y is not None and len(x):
            pred = model.predict(x.astype(np.float32) / 255.0, batch_size=256, verbose=0).argmax(1)
            out[f"{name}_accuracy"] = float((pred == y).mean())
    return out


def accuracy_by_source(samples: list[HandSample], y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for src in sorted({s.source for s in samples}):
        m = np.array([s.source == src for s in samples])
        out[src] = {"accuracy": float((pred[m] == y[m]).mean()), "n": int(m.sum())}
    return out
