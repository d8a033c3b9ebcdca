"""Where the digits pipeline fails on the camera-like set: accuracy by each drawn condition.

``realistic_digits.py breakdown --out OUT --model digits`` classifies ``OUT/crops`` as
``edge-eval --images OUT/crops --crop`` does and ``OUT/frames`` as ``edge-eval --images
OUT/frames --frame`` does (:func:`edge.evaluate.evaluate_crops` /
:func:`edge.evaluate.evaluate_frames`, same preprocessing and pipeline, each image's prediction
taken from their ``on_image`` hook), joins the predictions with ``OUT/conditions.json``
(:mod:`benchmarks.realistic_set`) and prints the accuracy for each value of each condition
(numeric ones binned at :data:`FIELDS`' edges) with its count, and the worst values seen in at
least ``min_n`` images. The project reports the worst condition, not only the mean: real
cameras differ (close-ups, blur, stretched frames, dim light).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Condition -> bin edges for numeric ones (``None``: the value itself). A value ``v`` falls in
#: ``"a-b"`` when ``a <= v < b``; ``None`` (e.g. ``digit_per_rule`` on plain paper) is ``"n/a"``.
FIELDS: dict[str, tuple[float, ...] | None] = {
    "ink_px": (20, 32, 64, 128),
    "paper": None,
    "ruling": None,
    "digit_per_rule": (1, 2, 4),
    "pen": None,
    "stroke_rel": (0.08, 0.11, 0.14, 0.18),
    "ink_contrast": (80, 120, 160),
    "light": (0.5, 0.7, 0.9),
    "light_uneven": (0.1, 0.25, 0.4),
    "shadow": None,
    "rotation_deg": (5, 10),
    "stretch": (1.03, 1.06, 1.09),
    "blur_px": (0.5, 1.0, 1.5),
    "blur_rel": (0.005, 0.01, 0.02, 0.04),
    "noise_sd": (3, 5),
    "jpeg": (50, 70, 85),
    "n_distractors": None,
    "specks": None,
    "paper edge": None,
    "finger": None,
    "margin": (0.1, 0.2, 0.4),
    "cut": None,
    "source": None,
    "digit": None,
}
#: Conditions read from ``distractors`` (yes/no) rather than from their own number.
DISTRACTORS = ("specks", "paper edge", "finger")
#: Tabulated but never named worst: the class (``edge-eval`` prints per-class accuracy).
NOT_CONDITIONS = ("digit",)
KINDS = ("crops", "frames")


def bin_label(value: Any, edges: tuple[float, ...] | None) -> str:
    """The row a condition's value is counted in: ``"<20"``, ``"20-32"``, ``">=128"``,
    the value itself (no edges) or ``"n/a"`` (``None``)."""
    if value is None:
        return "n/a"
    if edges is None:
        return str(value).lower() if isinstance(value, bool) else str(value)
    if value < edges[0]:
        return f"<{edges[0]:g}"
    for lo, hi in zip(edges, edges[1:], strict=False):
        if value < hi:
            return f"{lo:g}-{hi:g}"
    return f">={edges[-1]:g}"


def condition_bin(cond: dict[str, Any], field: str) -> str:
    """The row of :func:`tabulate`'s ``field`` table that an image with conditions ``cond``
    (one entry of ``conditions.json``) is counted in.

    Raises:
        ValueError: ``field`` is not one of :data:`FIELDS`.
    """
    if field not in FIELDS:
        raise ValueError(f"unknown condition {field!r}: use one of {', '.join(FIELDS)}")
    return bin_label(_value(cond, field), FIELDS[field])


def _value(cond: dict[str, Any], field: str) -> Any:
    if field in DISTRACTORS:
        return "yes" if field in cond.get("distractors", ()) else "no"
    if field == "n_distractors":
        return len(cond.get("distractors", ()))
    return cond.get(field)


def tabulate(
    results: Sequence[tuple[dict[str, Any], bool]], min_n: int = 50, worst: int = 5
) -> dict[str, Any]:
    """Accuracy per condition value.

    Args:
        results: ``(conditions, correct)`` per image (conditions as in ``conditions.json``).
        min_n: fewest images a value needs to be named among the worst.
        worst: how many worst values to name.

    Returns:
        ``{"n", "correct", "accuracy", "fields": {field: [{"value", "n", "correct",
        "accuracy"}, ...]}, "worst": [{"field", "value", "n", "correct", "accuracy"}, ...]}``;
        each field's rows count every image once (their ``n`` add up to ``n``); fields no
        image has are left out; rows in bin order (categorical: by value).
    """
    fields: dict[str, list[dict[str, Any]]] = {}
    for field, edges in FIELDS.items():
        if field not in DISTRACTORS and field != "n_distractors" and all(field not in c for c, _ in results):
            continue
        tally: dict[str, list[int]] = {}
        for cond, ok in results:
            t = tally.setdefault(bin_label(_value(cond, field), edges), [0, 0])
            t[0] += 1
            t[1] += int(ok)
        order = _order(tally, edges)
        fields[field] = [
            {"value": v, "n": tally[v][0], "correct": tally[v][1], "accuracy": tally[v][1] / tally[v][0]}
            for v in order
        ]
    rows = [
        {"field": f, **r}
        for f, rs in fields.items()
        for r in rs
        if r["n"] >= min_n and len(rs) > 1 and f not in NOT_CONDITIONS
    ]
    rows.sort(key=lambda r: (r["accuracy"], -r["n"]))
    n = len(results)
    correct = sum(int(ok) for _, ok in results)
    return {
        "n": n,
        "correct": correct,
        "accuracy": correct / n if n else float("nan"),
        "fields": fields,
        "worst": rows[:worst],
        "min_n": min_n,
    }


def _all_rows(edges: tuple[float, ...]) -> list[str]:
    labels = [f"<{edges[0]:g}"] + [f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:], strict=False)]
    return labels + [f">={edges[-1]:g}", "n/a"]


def _order(tally: dict[str, list[int]], edges: tuple[float, ...] | None) -> list[str]:
    if edges is None:
        return sorted(tally, key=lambda v: (v == "n/a", v.zfill(8) if v.isdigit() else v))
    return [v for v in _all_rows(edges) if v in tally]


def predictions(
    folder: Path, kind: str, model: str, polarity: str | None = None, views: bool = True
) -> tuple[dict[str, tuple[int, int]], Any]:
    """Each image's predicted class index as ``edge-eval --images FOLDER --crop`` (``kind``
    ``"crops"``) or ``--frame`` (``"frames"``) makes it.

    Args:
        folder: a class-folder tree (``SET/crops`` or ``SET/frames``).
        kind: ``"crops"`` or ``"frames"`` (:data:`KINDS`).
        model: a bundle folder or shipped name.
        polarity: ``--polarity`` (``None``: edge-eval's default).
        views: edge-eval's still views (``--views on``, its default); ``False``: ``--views off``.

    Returns:
        (``{path relative to folder's parent, e.g. "crops/3/00012.png": (true index, predicted
        index or -1)}``, the :class:`edge.evaluate.EvalReport` edge-eval prints).

    Raises:
        BundleError, DatasetError: see :mod:`edge.evaluate`.
        ValueError: an unknown ``kind``.
    """
    from edge.cli.eval import evaluate
    from edge.cli.eval_args import parse_args

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    argv = ["--model", model, "--images", str(folder), "--crop" if kind == "crops" else "--frame"]
    pred: dict[str, tuple[int, int]] = {}

    def keep(it: Any, index: int) -> None:
        pred[it.path.relative_to(folder.parent).as_posix()] = (it.label_index, index)

    argv += (["--polarity", polarity] if polarity else []) + ([] if views else ["--views", "off"])
    report = evaluate(parse_args(argv), on_image=keep)
    return pred, report


def breakdown(
    outs: Sequence[Path],
    model: str,
    *,
    polarity: str | None = None,
    min_n: int = 50,
    kinds: Sequence[str] = KINDS,
    within: Sequence[tuple[str, str]] = (),
    views: bool = True,
) -> dict[str, Any]:
    """Accuracy by condition over one or more generated sets (pooled).

    Args:
        outs: set folders with ``crops/``, ``frames/`` and ``conditions.json``.
        model: bundle name or folder (``edge-eval --model``).
        polarity: ``edge-eval --polarity`` (default its default).
        min_n: see :func:`tabulate`.
        kinds: ``"crops"`` and/or ``"frames"``.
        within: ``(field, row)`` pairs: count only images in that row of each field's table
            (:func:`condition_bin`, e.g. ``("ink_px", "<20")``), to see what else matters there.
        views: see :func:`predictions`.

    Returns:
        ``{"model", "sets", kind: tabulate(...) + {"eval_accuracy"}}``; ``eval_accuracy`` is
        edge-eval's own figure, equal to the table's ``accuracy``.

    Raises:
        ValueError: a set has no ``conditions.json`` (made before it existed: generate it again;
            the images come out the same).
    """
    import json

    for field, row in within:
        condition_bin({}, field)  # fail fast on an unknown name
        edges = FIELDS[field]
        if edges is not None and row not in (rows := _all_rows(edges)):
            raise ValueError(f"{field} has no row {row!r}: use one of {', '.join(rows)}")
    res: dict[str, Any] = {
        "model": model,
        "sets": [str(o) for o in outs],
        "within": [list(w) for w in within],
    }
    for kind in kinds:
        results: list[tuple[dict[str, Any], bool]] = []
        correct = total = 0
        for out in outs:
            path = out / "conditions.json"
            if not path.is_file():
                raise ValueError(
                    f"{path} is missing: run `realistic_digits.py generate` again with the set's "
                    "seed and counts (the images come out the same, with conditions.json)"
                )
            conds = json.loads(path.read_text(encoding="utf-8"))
            pred, report = predictions(out / kind, kind, model, polarity, views)
            correct, total = correct + report.correct, total + report.n
            for name, (truth, p) in pred.items():
                if name not in conds:
                    raise ValueError(f"{out / name} has no entry in {path}: generate the set again")
                if all(condition_bin(conds[name], f) == v for f, v in within):
                    results.append((conds[name], p == truth))
        res[kind] = tabulate(results, min_n=min_n)
        res[kind]["eval_accuracy"] = correct / total if total else float("nan")
    return res


def format_text(res: dict[str, Any]) -> str:
    """The tables of :func:`breakdown` as text: per kind, each condition's rows
    (value, n, accuracy, errors) and the worst values."""
    out = [f"model {res['model']}; sets {', '.join(res['sets'])}"]
    if res.get("within"):
        out[0] += "; only images with " + ", ".join(f"{f} {v}" for f, v in res["within"])
    for kind in KINDS:
        if kind not in res:
            continue
        t = res[kind]
        if not t["n"]:
            out.append(f"\n== {kind}: no images")
            continue
        out.append(f"\n== {kind}: {100 * t['accuracy']:.2f}% ({t['correct']}/{t['n']})")
        for field, rows in t["fields"].items():
            cells = [
                f"{r['value']} {100 * r['accuracy']:.1f}% ({r['n'] - r['correct']}/{r['n']})"
                + ("" if r["n"] >= t["min_n"] else "*")
                for r in rows
            ]
            out.append(f"  {field:<14} " + " | ".join(cells))
        out.append(f"  (errors/n; * fewer than {t['min_n']} images)")
        for i, w in enumerate(t["worst"]):
            head = "worst" if i == 0 else "then "
            out.append(
                f"  {head} {w['field']} = {w['value']}: {100 * w['accuracy']:.1f}% of {w['n']} "
                f"({w['n'] - w['correct']} wrong)"
            )
    return "\n".join(out)


__all__ = [
    "NOT_CONDITIONS",
    "condition_bin",
    "DISTRACTORS",
    "FIELDS",
    "KINDS",
    "bin_label",
    "breakdown",
    "format_text",
    "predictions",
    "tabulate",
]
