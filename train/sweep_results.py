"""Results of ``edge-train sweep``: one :class:`SweepRow` per run, the table and the plots.

``results.csv`` (fractions, bytes), ``results.md`` (percentages, KiB),
``accuracy-vs-<key>.png`` per swept key and ``size-vs-accuracy.png``.
"""

from __future__ import annotations

import csv
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from train.sweep_settings import format_value


@dataclass
class SweepRow:
    """One run's line of the results table (fractions in [0, 1], size in bytes)."""

    run: str
    setting: dict[str, Any]
    status: str
    epochs_run: int
    params: int
    float_accuracy: float
    int8_accuracy: float
    int8_agreement: float
    int8_size_bytes: int
    train_seconds: float
    best_val_accuracy: float | None = None
    extra_val_accuracy: float | None = None
    not_applicable: tuple[str, ...] = ()

    def value(self, key: str) -> str:
        """The run's value of a swept key as table text (``-`` where it does not apply)."""
        return "-" if key in self.not_applicable else format_value(self.setting.get(key), key)


def write_results(rows: list[SweepRow], keys: list[str], out: Path) -> tuple[Path, Path]:
    """``results.csv`` (fractions, bytes) and ``results.md`` (percentages, KiB) of a sweep.

    Returns:
        (csv path, markdown path).
    """
    cols = [
        "run",
        *keys,
        "epochs_run",
        "params",
        "float_accuracy",
        "int8_accuracy",
        "int8_agreement",
        "int8_size_bytes",
        "train_seconds",
        "best_val_accuracy",
    ]
    if any(r.extra_val_accuracy is not None for r in rows):
        cols.append("extra_val_accuracy")
    csv_path = out / "results.csv"
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            vals = {**{k: r.value(k) for k in keys}, **r.__dict__}
            w.writerow(["" if vals.get(c) is None else vals[c] for c in cols])

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.2f}%"

    head = [
        "run",
        *keys,
        "epochs",
        "params",
        "float acc",
        "int8 acc",
        "int8 agreement",
        "int8 KiB",
        "train s",
        "best val",
    ]
    extra = "extra_val_accuracy" in cols
    if extra:
        head.append("extra val")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            r.run,
            *(r.value(k) for k in keys),
            str(r.epochs_run),
            f"{r.params:,}",
            pct(r.float_accuracy),
            pct(r.int8_accuracy),
            pct(r.int8_agreement),
            f"{r.int8_size_bytes / 1024:.1f}",
            f"{r.train_seconds:.0f}",
            pct(r.best_val_accuracy),
        ]
        if extra:
            cells.append(pct(r.extra_val_accuracy))
        lines.append("| " + " | ".join(cells) + " |")
    md_path = out / "results.md"
    md_path.write_text("\n".join(lines) + "\n")
    return csv_path, md_path


def plot_results(rows: list[SweepRow], keys: list[str], out: Path) -> list[Path]:
    """``accuracy-vs-<key>.png`` per swept key and ``size-vs-accuracy.png`` (matplotlib).

    Numeric keys are plotted on a numeric axis, the others (variant, on/off) as
    categories; each point is one run (int8 and float test accuracy, %).
    """
    from train.plots import pyplot

    plt = pyplot()
    paths = []
    all_rows = rows
    for k in keys:
        rows = [r for r in all_rows if k not in r.not_applicable]  # lenet5 has no width
        if not rows:
            continue
        vals = [r.setting.get(k) for r in rows]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)
        if numeric:
            xs = [float(typing.cast(float, v)) for v in vals]
            ticks = None
        else:
            cats = sorted({format_value(v, k) for v in vals})
            xs = [cats.index(format_value(v, k)) for v in vals]
            ticks = cats
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.scatter(xs, [100 * r.int8_accuracy for r in rows], label="int8 .tflite", marker="o")
        ax.scatter(xs, [100 * r.float_accuracy for r in rows], label="Keras float", marker="x")
        for x, r in zip(xs, rows, strict=True):
            ax.annotate(
                r.run, (x, 100 * r.int8_accuracy), fontsize=6, xytext=(3, 3), textcoords="offset points"
            )
        if ticks is not None:
            ax.set_xticks(range(len(ticks)), ticks)
        elif len(set(xs)) > 2 and min(xs) > 0 and max(xs) / min(xs) >= 10:
            ax.set_xscale("log")
        ax.set_xlabel(k)
        ax.set_ylabel("MNIST test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        p = out / f"accuracy-vs-{k}.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        paths.append(p)
    rows = all_rows
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter([r.int8_size_bytes / 1024 for r in rows], [100 * r.int8_accuracy for r in rows])
    for r in rows:
        ax.annotate(
            r.run,
            (r.int8_size_bytes / 1024, 100 * r.int8_accuracy),
            fontsize=6,
            xytext=(3, 3),
            textcoords="offset points",
        )
    ax.set_xlabel("int8 .tflite size (KiB)")
    ax.set_ylabel("int8 MNIST test accuracy (%)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    p = out / "size-vs-accuracy.png"
    fig.savefig(p, dpi=100)
    plt.close(fig)
    paths.append(p)
    return paths


__all__ = ["SweepRow", "plot_results", "write_results"]
