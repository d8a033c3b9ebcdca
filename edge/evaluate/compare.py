"""Compare model bundles evaluated on the same samples: align them and tabulate.

``edge-eval --model A --model B ... --report DIR`` evaluates every bundle on the
identical sample list (the same MNIST images, or the same files of an image folder in
the same order); :func:`compare_reports` checks the labels and samples agree and
returns a :class:`Comparison`, which renders

- the markdown: per bundle its accuracy, the difference to the first bundle (in
  percentage points), n and per-class accuracy; a second table of the per-class
  differences to the first bundle;
- the JSON: each bundle's entry holding everything ``edge-eval --json`` prints for it
  alone plus ``delta_accuracy`` and ``delta_per_class`` (fractions, not percentage
  points).

Writing these and the PNG charts into ``DIR`` is :mod:`edge.evaluate.compare_report`.

Bundles must have the same label *set*; a bundle whose labels come in another order
is re-ordered to the first bundle's order. Different label sets are an error: a
comparison of, say, a hands model with a ``none`` class and one without would score
different questions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edge.evaluate.metrics import EvalReport

log = logging.getLogger(__name__)


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
