"""Scoring a fine-tuned VGG16 (:mod:`train.vgg16`) and its training record.

:func:`evaluate_vgg16` scores the final model on the validation set (accuracy, loss,
per-class recall), concatenates the two stages' CSV logs into ``history.csv``
(:func:`combined_history`) and draws ``curves.png`` and ``confusion.png``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from train.vgg16_config import Vgg16Config


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def combined_history(out: Path, stages: Sequence[str]) -> dict[str, list[float]]:
    """Concatenate ``history-<stage>.csv`` files into ``history.csv`` (adds ``stage``).

    Returns:
        metric name → per-epoch values over all stages, for :func:`train.plots.plot_history`.
    """
    rows: list[dict[str, Any]] = []
    for stage in stages:
        for r in _read_csv(out / f"history-{stage}.csv"):
            rows.append(
                {"stage": stage, "epoch": len(rows) + 1, **{k: v for k, v in r.items() if k != "epoch"}}
            )
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with (out / "history.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys or ["stage", "epoch"])
        w.writeheader()
        w.writerows(rows)
    return {
        k: [float(r[k]) for r in rows if r.get(k) not in (None, "")]
        for k in keys
        if k not in ("stage", "epoch")
    }


def cross_entropy(probs: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0)
    return float(-np.log(p).mean())


def evaluate_vgg16(
    cfg: Vgg16Config,
    model: Any,
    x_val: np.ndarray,
    y_val: np.ndarray,
    labels: list[str],
    out: Path,
    stages: list[str],
    final_stage: str,
    title: str,
) -> dict[str, Any]:
    """Score the final model on the validation set; write ``history.csv`` and the plots.

    Returns:
        ``val_accuracy``, ``val_loss`` and ``per_class`` recall.
    """
    from train.plots import confusion_matrix, plot_confusion, plot_history

    probs = model.predict(x_val, batch_size=cfg.batch_size, verbose=0)  # float32 (M, k)
    y_pred = probs.argmax(1)
    cm = confusion_matrix(y_val, y_pred, len(labels))
    history = combined_history(out, stages)
    plot_history(history, out / "curves.png", title)
    plot_confusion(cm, labels, out / "confusion.png", f"validation ({final_stage}, Keras float)")
    return {
        "val_accuracy": float((y_pred == y_val).mean()),
        "val_loss": cross_entropy(probs, y_val),
        "per_class": {lab: float(cm[i, i] / max(1, cm[i].sum())) for i, lab in enumerate(labels)},
    }
