"""Compare model bundles evaluated on the same samples: markdown, JSON and PNG charts.

``edge-eval --model A --model B ... --report DIR`` evaluates every bundle on the
identical sample list (the same MNIST images, or the same files of an image folder in
the same order) and writes into ``DIR``:

- ``comparison.md``: per bundle its accuracy, the difference to the first bundle (in
  percentage points), n and per-class accuracy; a second table of the per-class
  differences to the first bundle;
- ``comparison.json``: the same, each bundle's entry holding everything
  ``edge-eval --json`` prints for it alone plus ``delta_accuracy`` and
  ``delta_per_class`` (fractions, not percentage points);
- ``confusion.png``: one row-normalised confusion heatmap per bundle side by side on
  one colour scale (the share of each true class predicted as each class, 0..1), the
  counts written in the cells, plus a "no detection" column in ``--frame`` mode when
  some image had none;
- ``per_class.png``: per-class accuracy bars, one bar per bundle, and the overall
  accuracy.

The PNGs need matplotlib (in the ``[train]`` extra), imported only here and only
then; without it the markdown and JSON are still written and :func:`write_report`
says how to get the charts.

Bundles must have the same label *set*; a bundle whose labels come in another order
is re-ordered to the first bundle's order. Different label sets are an error: a
comparison of, say, a hands model with a ``none`` class and one without would score
different questions.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.evaluate.metrics import EvalReport

log = logging.getLogger(__name__)

#: File names written by :func:`write_report`.
MARKDOWN, JSON, CONFUSION_PNG, PER_CLASS_PNG = (
    "comparison.md",
    "comparison.json",
    "confusion.png",
    "per_class.png",
)
#: What to tell a user without matplotlib.
MATPLOTLIB_HINT = "pip install matplotlib (or the [train] extra) for the PNG charts"


def check_same_labels(label_lists: Sequence[Sequence[str]], names: Sequence[str]) -> tuple[str, ...]:
    """The labels every bundle shares, in the first bundle's order.

    Args:
        label_lists: each bundle's labels, in its output order.
        names: the bundles' names (for the message).

    Returns:
        The first bundle's labels.

    Raises:
        ValueError: no bundle, or bundles whose label sets differ (the message lists
            what each has that the first lacks and the other way round).
    """
    if not label_lists:
        raise ValueError("no bundle to compare")
    first = tuple(label_lists[0])
    for labels, name in zip(label_lists[1:], names[1:], strict=True):
        if set(labels) != set(first) or len(labels) != len(first):
            extra = [lab for lab in labels if lab not in first]
            missing = [lab for lab in first if lab not in labels]
            diff = f" (it has {extra} more and {missing} fewer)" if set(labels) & set(first) else ""
            raise ValueError(
                f"{name} has the labels {list(labels)} but {names[0]} has {list(first)}{diff}; a "
                "comparison needs bundles with the same classes (the same task and labels.txt)"
            )
    return first


def align_report(report: EvalReport, labels: Sequence[str]) -> EvalReport:
    """``report`` with its classes re-ordered to ``labels`` (the same set).

    Args:
        report: an evaluation of one bundle.
        labels: the order wanted (a permutation of ``report.labels``).

    Returns:
        A new report (the same ``info``); ``report`` itself when the order is already right.

    Raises:
        ValueError: ``labels`` is not a permutation of ``report.labels``.
    """
    labels = tuple(labels)
    if labels == report.labels:
        return report
    if sorted(labels) != sorted(report.labels):
        raise ValueError(f"cannot re-order labels {list(report.labels)} to {list(labels)}")
    idx = np.array([report.labels.index(lab) for lab in labels], np.int64)
    return EvalReport(
        labels,
        report.confusion[np.ix_(idx, idx)],
        report.n_per_class[idx],
        report.no_detection[idx],
        dict(report.info),
    )


def unique_names(names: Sequence[str]) -> list[str]:
    """``names`` with repeats made distinct: ``["m", "m"]`` -> ``["m", "m (2)"]``."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        name = n if seen[n] == 1 else f"{n} ({seen[n]})"
        while name in out:
            seen[n] += 1
            name = f"{n} ({seen[n]})"
        out.append(name)
    return out


def _num(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 6)


@dataclass
class Comparison:
    """Bundles evaluated on the same samples.

    Attributes:
        names: one display name per bundle (distinct), the first being the baseline.
        reports: one :class:`~edge.evaluate.metrics.EvalReport` per bundle, classes in
            ``labels`` order.
        labels: the classes, in the first bundle's order.
        info: about the data: ``dataset``, ``mode``/``split`` ...
    """

    names: list[str]
    reports: list[EvalReport]
    labels: tuple[str, ...]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Samples each bundle was scored on."""
        return self.reports[0].n

    def delta_accuracy(self, i: int) -> float:
        """Accuracy of bundle ``i`` minus the first bundle's (a fraction; 0 for the first)."""
        return self.reports[i].accuracy - self.reports[0].accuracy

    def delta_per_class(self, i: int) -> np.ndarray:
        """float64 (K,) per-class accuracy of bundle ``i`` minus the first's (NaN: no images)."""
        return self.reports[i].per_class - self.reports[0].per_class

    def as_json(self) -> dict[str, Any]:
        """JSON-ready: ``labels``, ``n``, ``n_per_class``, the data ``info``, ``baseline``
        (the first bundle's name) and ``models``: per bundle, ``name``, everything of
        :meth:`EvalReport.as_json`, ``delta_accuracy`` and ``delta_per_class``
        (fractions; ``null`` where a class has no images)."""
        models = []
        for i, (name, rep) in enumerate(zip(self.names, self.reports, strict=True)):
            models.append(
                {
                    "name": name,
                    **rep.as_json(),
                    "delta_accuracy": _num(self.delta_accuracy(i)),
                    "delta_per_class": {
                        lab: _num(d) for lab, d in zip(self.labels, self.delta_per_class(i), strict=True)
                    },
                }
            )
        return {
            **self.info,
            "labels": list(self.labels),
            "n": self.n,
            "n_per_class": {
                lab: int(c) for lab, c in zip(self.labels, self.reports[0].n_per_class, strict=True)
            },
            "baseline": self.names[0],
            "models": models,
        }

    def markdown(self, images: Sequence[tuple[str, str]] = ()) -> str:
        """The comparison as markdown: a heading, the data, the two tables, and
        ``![alt](file)`` for each ``(alt, file)`` of ``images``."""

        def pct(v: float, digits: int = 2) -> str:
            return "–" if math.isnan(v) else f"{100 * v:.{digits}f}%"

        def pp(v: float) -> str:
            return "–" if math.isnan(v) else f"{100 * v:+.2f}"

        base = self.names[0]
        nd = any(int(r.no_detection.sum()) for r in self.reports)
        data = ", ".join(f"{k} {v}" for k, v in self.info.items() if v is not None)
        out = [
            "# Model comparison",
            "",
            f"Data: {data or 'the same samples'}; n = {self.n}, the same samples for every model. "
            f"Differences are to **{base}**, in percentage points.",
            "",
        ]
        head = [
            "model",
            "accuracy",
            f"Δ vs {base} (pp)",
            "n",
            *(["no detection"] if nd else []),
            *self.labels,
        ]
        out.append("| " + " | ".join(head) + " |")
        out.append("|---|" + "|".join("---:" for _ in head[1:]) + "|")
        for i, (name, rep) in enumerate(zip(self.names, self.reports, strict=True)):
            row = [
                name,
                pct(rep.accuracy),
                "–" if i == 0 else pp(self.delta_accuracy(i)),
                str(rep.n),
                *([str(int(rep.no_detection.sum()))] if nd else []),
                *(pct(a, 1) for a in rep.per_class),
            ]
            out.append("| " + " | ".join(row) + " |")
        if len(self.reports) > 1:
            out += ["", f"Per-class accuracy minus {base}'s (percentage points):", ""]
            out.append("| " + " | ".join(["model", *self.labels]) + " |")
            out.append("|---|" + "|".join("---:" for _ in self.labels) + "|")
            for i, name in enumerate(self.names[1:], start=1):
                out.append("| " + " | ".join([name, *(pp(d) for d in self.delta_per_class(i))]) + " |")
        out += ["", "| model | bundle | runtime |", "|---|---|---|"]
        for name, rep in zip(self.names, self.reports, strict=True):
            out.append(f"| {name} | {rep.info.get('bundle', '')} | {rep.info.get('runtime', '')} |")
        for alt, f in images:
            out += ["", f"![{alt}]({f})"]
        return "\n".join(out) + "\n"


def compare_reports(
    reports: Sequence[EvalReport], names: Sequence[str] | None = None, info: dict[str, Any] | None = None
) -> Comparison:
    """A :class:`Comparison` of reports made on the same samples.

    Args:
        reports: one per bundle, the first being the baseline.
        names: display names (default: each report's ``info["model"]``); repeats are
            made distinct (:func:`unique_names`).
        info: about the data, for the markdown and JSON.

    Raises:
        ValueError: no report, different label sets (:func:`check_same_labels`), or
            reports over different samples (another number of images in some class).
    """
    if not reports:
        raise ValueError("no report to compare")
    raw = (
        list(names)
        if names is not None
        else [str(r.info.get("model", f"model {i + 1}")) for i, r in enumerate(reports)]
    )
    names = unique_names(raw)
    labels = check_same_labels([r.labels for r in reports], names)
    aligned = [align_report(r, labels) for r in reports]
    for name, r in zip(names[1:], aligned[1:], strict=True):
        if not np.array_equal(r.n_per_class, aligned[0].n_per_class):
            raise ValueError(
                f"{name} was scored on other samples than {names[0]} (images per class "
                f"{r.n_per_class.tolist()} vs {aligned[0].n_per_class.tolist()}); compare "
                "evaluations of the same data"
            )
    return Comparison(names, aligned, labels, dict(info or {}))


# -- charts -------------------------------------------------------------------------------
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
