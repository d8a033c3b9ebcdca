"""Training curves and confusion-matrix heatmaps as PNG (matplotlib, Agg backend)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def pyplot():  # type: ignore[no-untyped-def]
    """``matplotlib.pyplot`` on the Agg backend (imported late: plotting is optional)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_history(history: dict[str, list[float]], path: str | Path, title: str = "") -> Path:
    """Loss and accuracy per epoch (train and, when present, validation) as one PNG.

    Args:
        history: Keras ``History.history``: metric name → list of per-epoch values.
        path: output PNG path.
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for key, style in ((metric, "-"), (f"val_{metric}", "--")):
            if key in history:
                ax.plot(range(1, len(history[key]) + 1), history[key], style, label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """int64 (K, K) counts: row = true class, column = predicted class."""
    cm = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(cm, (np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)), 1)
    return cm


def plot_confusion(cm: np.ndarray, labels: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Heatmap of a (K, K) confusion matrix with counts written in the cells, as PNG."""
    plt = pyplot()
    k = len(labels)
    fig, ax = plt.subplots(figsize=(1 + 0.6 * k, 0.8 + 0.6 * k))
    # Log colour scale so the few errors are visible beside the large diagonal.
    im = ax.imshow(np.log1p(cm), cmap="Blues")
    ax.set_xticks(range(k), labels)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    thresh = np.log1p(cm).max() / 2
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                str(cm[i, j]),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if np.log1p(cm[i, j]) > thresh else "black",
            )
    fig.colorbar(im, ax=ax, label="log(1 + count)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
