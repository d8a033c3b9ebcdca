"""Write a comparison of bundles into a folder: markdown, JSON and PNG charts.

:func:`write_report` writes, for a :class:`edge.evaluate.compare.Comparison`:

- ``comparison.md`` and ``comparison.json`` (see :mod:`edge.evaluate.compare`);
- ``confusion.png``: one row-normalised confusion heatmap per bundle side by side on
  one colour scale (the share of each true class predicted as each class, 0..1), the
  counts written in the cells, plus a "no detection" column in ``--frame`` mode when
  some image had none;
- ``per_class.png``: per-class accuracy bars, one bar per bundle, and the overall
  accuracy.

The PNGs need matplotlib (in the ``[train]`` extra), imported only here and only
then; without it the markdown and JSON are still written and :func:`write_report`
says how to get the charts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from edge.evaluate.compare import Comparison
from edge.evaluate.metrics import EvalReport

#: File names written by :func:`write_report`.
MARKDOWN, JSON, CONFUSION_PNG, PER_CLASS_PNG = (
    "comparison.md",
    "comparison.json",
    "confusion.png",
    "per_class.png",
)
#: What to tell a user without matplotlib.
MATPLOTLIB_HINT = "pip install matplotlib (or the [train] extra) for the PNG charts"


def _figure(width: float, height: float, layout: Any = None) -> Any | None:
    """A matplotlib ``Figure`` drawn with the Agg canvas (no pyplot, no global backend);
    ``None`` when matplotlib is not installed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _sqrt_norm() -> Any:
    """Colour norm of the heatmaps: 0..1 on a square-root scale, so a 1 % confusion is
    visible (a tenth of the colour range) beside a full diagonal."""
    from matplotlib.colors import PowerNorm

    return PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0)


def row_normalised(report: EvalReport, with_no_detection: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The confusion matrix as shares of each true class.

    Args:
        report: an evaluation.
        with_no_detection: add a last column: images of the class with no detection.

    Returns:
        ``(shares, counts)``: float64 (K, K[+1]) in [0, 1] (each row divided by the
        class's images, including those without a detection; a class without images
        is all 0) and the int64 counts they come from.
    """
    counts = report.confusion
    if with_no_detection:
        counts = np.concatenate([counts, report.no_detection[:, None]], axis=1)
    n = np.maximum(report.n_per_class, 1)[:, None].astype(np.float64)
    return counts / n, counts


def plot_confusions(cmp: Comparison, path: str | Path) -> Path | None:
    """Side-by-side row-normalised confusion heatmaps, one panel per bundle, one colour scale.

    Args:
        cmp: the comparison.
        path: the PNG to write.

    Returns:
        ``path``, or ``None`` when matplotlib is not installed (nothing written).
    """
    k = len(cmp.labels)
    nd = any(int(r.no_detection.sum()) for r in cmp.reports)
    cols = k + nd
    m = len(cmp.reports)
    side = max(2.6, 0.42 * cols + 1.2)
    fig = _figure(side * m + 1.2, side + 1.0, layout="constrained")
    if fig is None:
        return None
    axes = fig.subplots(1, m, squeeze=False)[0]
    im = None
    annotate = k <= 30
    for ax, name, rep in zip(axes, cmp.names, cmp.reports, strict=True):
        shares, counts = row_normalised(rep, nd)
        im = ax.imshow(shares, cmap="Blues", norm=_sqrt_norm(), aspect="equal")
        ax.set_xticks(
            range(cols),
            [*cmp.labels, *(["none\nfound"] if nd else [])],
            fontsize=7 if k > 8 else 8,
            rotation=90 if max(map(len, cmp.labels)) > 3 else 0,
        )
        ax.set_yticks(range(k), cmp.labels, fontsize=7 if k > 8 else 8)
        ax.set_xlabel("predicted", fontsize=8)
        ax.set_ylabel("true", fontsize=8)
        acc = "n/a" if math.isnan(rep.accuracy) else f"{100 * rep.accuracy:.2f}%"
        ax.set_title(f"{name}\naccuracy {acc} (n = {rep.n})", fontsize=8)
        if annotate:
            for i in range(k):
                for j in range(cols):
                    c = int(counts[i, j])
                    if c or i == j:
                        ax.text(
                            j,
                            i,
                            str(c),
                            ha="center",
                            va="center",
                            fontsize=6 if k > 12 else 7,
                            color="white" if shares[i, j] > 0.4 else "black",
                        )
    fig.colorbar(im, ax=list(axes), shrink=0.8, label="share of the true class (square-root scale)")
    fig.suptitle("confusion, rows normalised (counts in the cells)", fontsize=9)
    p = Path(path)
    fig.savefig(p, dpi=110)
    return p


def plot_per_class(cmp: Comparison, path: str | Path) -> Path | None:
    """Grouped bars: per class (and overall) the accuracy of each bundle, in %.

    The value axis ends at 100 % and starts at the tens below the lowest bar (0 when a
    bar is under 10 %), so differences of a point between good models show.

    Args:
        cmp: the comparison.
        path: the PNG to write.

    Returns:
        ``path``, or ``None`` when matplotlib is not installed (nothing written).
    """
    groups = [*cmp.labels, "all"]
    m = len(cmp.reports)
    fig = _figure(max(6.0, 0.55 * len(groups) * max(1.5, m * 0.7) + 1.5), 4.2)
    if fig is None:
        return None
    ax = fig.subplots()
    width = 0.8 / m
    x = np.arange(len(groups), dtype=np.float64)
    for i, (name, rep) in enumerate(zip(cmp.names, cmp.reports, strict=True)):
        vals = np.append(rep.per_class, rep.accuracy) * 100.0
        ax.bar(
            x - 0.4 + width * (i + 0.5),
            np.nan_to_num(vals, nan=0.0),
            width,
            label=f"{name} ({100 * rep.accuracy:.2f}%)" if not math.isnan(rep.accuracy) else name,
        )
    ax.set_xticks(x, groups, fontsize=8, rotation=30 if max(map(len, groups)) > 3 else 0)
    lowest = np.nanmin([np.append(r.per_class, r.accuracy) for r in cmp.reports], initial=100.0) * 100.0
    ax.set_ylim(max(0.0, 10.0 * math.floor((lowest - 1.0) / 10.0)), 100.5)
    ax.set_ylabel("accuracy (%)")
    ax.axvline(len(groups) - 1.5, color="grey", lw=0.8, ls=":")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(m, 3), frameon=False)
    ax.set_title(f"per-class accuracy on the same {cmp.n} samples", fontsize=9)
    fig.tight_layout()
    p = Path(path)
    fig.savefig(p, dpi=110)
    return p


def write_report(cmp: Comparison, out: str | Path) -> list[str]:
    """Write ``comparison.md``, ``comparison.json``, ``confusion.png`` and ``per_class.png``.

    Args:
        cmp: the comparison.
        out: the folder (created).

    Returns:
        Lines to print: each file written, and :data:`MATPLOTLIB_HINT` when the PNGs
        were skipped.

    Raises:
        OSError: the folder cannot be created or written.
    """
    d = Path(out).expanduser()
    d.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    pngs = [
        ("confusion", plot_confusions(cmp, d / CONFUSION_PNG)),
        ("per-class accuracy", plot_per_class(cmp, d / PER_CLASS_PNG)),
    ]
    images = [(alt, p.name) for alt, p in pngs if p is not None]
    j = cmp.as_json()
    j["files"] = {"markdown": MARKDOWN, **{alt.replace(" ", "_").replace("-", "_"): f for alt, f in images}}
    (d / JSON).write_text(json.dumps(j, indent=2) + "\n", encoding="utf-8")
    (d / MARKDOWN).write_text(cmp.markdown(images), encoding="utf-8")
    lines += [f"wrote {d / MARKDOWN}", f"wrote {d / JSON}"]
    lines += [f"wrote {p}" for _, p in pngs if p is not None]
    if any(p is None for _, p in pngs):
        lines.append(f"note: matplotlib is not installed, so no PNG charts; {MATPLOTLIB_HINT}")
    return lines
