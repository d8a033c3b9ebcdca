"""Benchmark results as files and text: CSV, JSON, text and markdown tables, bar charts.

Results are flat rows (dicts) so the same list goes to a text table, a CSV file and a
JSON file; every file carries the machine it was measured on
(:func:`benchmarks.machine.describe_machine`), and a JSON results file doubles as a
per-device reference (:mod:`benchmarks.reference`).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.machine import describe_machine, format_machine

log = logging.getLogger(__name__)


# -- files --------------------------------------------------------------------
def write_csv(path: str | Path, rows: Sequence[dict[str, Any]]) -> Path:
    """Write result rows as CSV (header = union of the rows' keys, in first-seen order).

    Returns:
        The path written.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fields: list[str] = []
    for r in rows:
        fields.extend(k for k in r if k not in fields)
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, restval="")
        w.writeheader()
        for r in rows:
            w.writerow({k: _csv_value(v) for k, v in r.items()})
    return p


def _csv_value(v: Any) -> Any:
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    if v is None:
        return ""
    return v


def read_csv(path: str | Path) -> list[dict[str, Any]]:
    """Read rows written by :func:`write_csv`, turning numbers back into int/float."""
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: _parse(v) for k, v in r.items()} for r in csv.DictReader(f)]


def _parse(v: str) -> Any:
    if v == "":
        return None
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            continue
    if v in ("True", "False"):
        return v == "True"
    return v


#: An absolute POSIX path inside a string (up to a space, comma, bracket or quote); the
#: system's own /sys, /proc and /dev paths are the same everywhere and stay.
_ABS_PATH = re.compile(r"(?<![\w.:/])/(?!sys/|proc/|dev/)[^\s'\"(),]+")


def portable(text: str) -> str:
    """``text`` with every absolute path rewritten relative to the working directory.

    Results files are shared (``benchmarks/reference/``) and compared across machines, so
    they record ``../shared/data/rps`` as the user would type it, never this machine's
    ``/home/...``. The machine's own tool paths (``machine.runtimes``) are left alone by
    callers that need them.

    Args:
        text: any string, e.g. ``"/data/rps (still frames)"``.

    Returns:
        The string with each absolute path under the working directory or its parent
        replaced by ``os.path.relpath(path)``, and any other by ``.../<file name>``.
    """

    def rel(m: re.Match[str]) -> str:
        r = os.path.relpath(m.group(0))
        # beside the project (../shared/data): relative; elsewhere (/tmp, a cache): the name only
        return r if not r.startswith(f"..{os.sep}..") else f".../{os.path.basename(m.group(0))}"

    return _ABS_PATH.sub(rel, text)


def jsonable(v: Any) -> Any:
    """``v`` as plain JSON values: NaN/inf -> None, numpy scalars -> Python, tuples -> lists,
    and absolute paths in strings made relative (:func:`portable`)."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, str):
        return portable(v)
    if isinstance(v, Path):
        return portable(str(v))
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if hasattr(v, "item"):  # numpy scalars
        return jsonable(v.item())
    return v


def write_json(
    path: str | Path,
    rows: Sequence[dict[str, Any]],
    machine: dict[str, Any],
    config: dict[str, Any] | None = None,
    **extra: Any,
) -> Path:
    """Write ``{"machine", "config", "results", ...}`` as JSON (NaN → null).

    The file can be passed back as ``--reference`` on the same device.

    Returns:
        The path written.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    doc = {"machine": machine, "config": config or {}, "results": list(rows), **extra}
    p.write_text(json.dumps(jsonable(doc), indent=2) + "\n", encoding="utf-8")
    return p


def read_json(path: str | Path) -> dict[str, Any]:
    """Read a results file written by :func:`write_json`.

    Raises:
        ValueError: the file is missing, not JSON, or has no ``results`` list.
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"cannot read results file {p}: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise ValueError(f"{p} is not valid JSON ({e}); pass a file written by edge-bench --json") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise ValueError(f"{p} has no 'results' list; pass a file written by edge-bench --json")
    return doc


# -- text ---------------------------------------------------------------------
def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, str]]) -> str:
    """A plain fixed-width text table.

    Args:
        rows: dicts holding the columns' keys.
        columns: ``(key, header, format)`` triples, e.g. ``("median_ms", "median ms", ".3f")``;
            an empty format means ``str``.
    """

    def cell(r: dict[str, Any], key: str, fmt: str) -> str:
        v = r.get(key)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "-"
        return format(v, fmt) if fmt else str(v)

    body = [[cell(r, k, f) for k, _, f in columns] for r in rows]
    heads = [h for _, h, _ in columns]
    widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(heads)]
    left = {i for i, (_, _, f) in enumerate(columns) if not f}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(heads), sep, *(line(b) for b in body)])


def format_markdown(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, str]]) -> str:
    """A GitHub markdown table of the rows (numbers right-aligned, ``-`` for none).

    Args:
        rows: dicts holding the columns' keys.
        columns: ``(key, header, format)`` triples as for :func:`format_table`.
    """

    def cell(r: dict[str, Any], k: str, f: str) -> str:
        v = r.get(k)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "-"
        return format(v, f) if f else str(v)

    head = "| " + " | ".join(h for _, h, _ in columns) + " |"
    align = "|" + "|".join("---" if not f else "---:" for _, _, f in columns) + "|"
    body = ["| " + " | ".join(cell(r, k, f) for k, _, f in columns) + " |" for r in rows]
    return "\n".join([head, align, *body]) + "\n"


# -- charts and result folders ---------------------------------------------------
def pyplot() -> Any | None:
    """``matplotlib.pyplot`` with the Agg backend, imported only now; ``None`` when
    matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def bar_chart(
    path: str | Path,
    labels: Sequence[str],
    median: Sequence[float],
    p99: Sequence[float],
    *,
    title: str,
    axis_label: str,
    colours: Sequence[str] | None = None,
    notes: Sequence[str | None] | None = None,
    legend: dict[str, str] | None = None,
    horizontal: bool = False,
    log_scale: bool | None = None,
) -> Path | None:
    """Bars of median ms with whiskers up to p99, saved as a PNG.

    Args:
        path: the PNG to write.
        labels, median, p99: one entry per bar (ms).
        title, axis_label: chart title and the value axis' label.
        colours: one matplotlib colour per bar (default: one colour).
        notes: text written at the end of each bar's whisker (``None``: none).
        legend: ``{label: colour}`` entries of a legend.
        horizontal: horizontal bars, the first label at the top.
        log_scale: a logarithmic value axis; ``None``: when the medians span more than
            50x, so 0.05 ms and 30 ms bars are both readable.

    Returns:
        The path written, or ``None`` when matplotlib is not installed.
    """
    plt = pyplot()
    if plt is None:
        return None
    n = len(labels)
    up = [max(0.0, float(b) - float(a)) for a, b in zip(median, p99, strict=True)]
    colour = list(colours) if colours is not None else ["tab:blue"] * n
    pos = list(range(n))
    if horizontal:
        fig, ax = plt.subplots(figsize=(7.5, max(3.0, 0.45 * n + 1.5)))
        ax.barh(pos, median, xerr=[[0.0] * n, up], capsize=4, color=colour)
        ax.set_yticks(pos, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(axis_label)
    else:
        fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * n + 2), 4.5))
        ax.bar(pos, median, yerr=[[0.0] * n, up], capsize=4, color=colour)
        ax.set_xticks(pos, labels, fontsize=7, rotation=30, ha="right")
        ax.set_ylabel(axis_label)
    for i, note in enumerate(notes or []):
        if note:
            xy, off = ((p99[i], i), (3, 0)) if horizontal else ((i, p99[i]), (0, 2))
            ax.annotate(
                note,
                xy,
                ha="left" if horizontal else "center",
                va="center" if horizontal else "bottom",
                fontsize=8,
                xytext=off,
                textcoords="offset points",
            )
    positive = [float(v) for v in median if float(v) > 0]
    if log_scale is None:
        log_scale = bool(positive) and max(positive) / min(positive) > 50
    if log_scale:
        (ax.set_xscale if horizontal else ax.set_yscale)("log")
    if legend:
        ax.legend([plt.Rectangle((0, 0), 1, 1, color=c) for c in legend.values()], list(legend), fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    p = Path(path)
    fig.savefig(p, dpi=120)
    plt.close(fig)
    return p


def write_results_folder(
    out: str | Path,
    stem: str,
    rows: Sequence[dict[str, Any]],
    machine: dict[str, Any],
    config: dict[str, Any],
    *,
    title: str,
    columns: Sequence[tuple[str, str, str]],
    footer: str = "",
    chart: Any = None,
    **extra: Any,
) -> list[str]:
    """Write ``STEM.csv``, ``STEM.json``, ``STEM.md`` and ``STEM.png`` into ``out``.

    Args:
        out: the results folder (created).
        stem: file name stem, e.g. ``"latency"`` or ``"pipeline"``.
        rows, machine, config, extra: as :func:`write_json` (the CSV holds the rows).
        title: the markdown heading.
        columns: the markdown table's columns (:func:`format_markdown`).
        footer: markdown text after the table.
        chart: ``chart(png_path) -> Path | None`` drawing the PNG (``None``: no chart;
            a ``None`` return means matplotlib is missing).

    Returns:
        Lines to print: what was written, or why the PNG was skipped.
    """
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    lines = [
        f"wrote {write_csv(d / f'{stem}.csv', rows)}",
        f"wrote {write_json(d / f'{stem}.json', rows, machine, config, **extra)}",
    ]
    md = d / f"{stem}.md"
    md.write_text(
        f"# {title}\n\n{format_markdown(rows, columns)}\n{footer}\n## Machine\n\n"
        f"```\n{format_machine(machine)}\n```\n",
        encoding="utf-8",
    )
    lines.append(f"wrote {md}")
    if chart is not None:
        png = chart(d / f"{stem}.png")
        lines.append(
            f"wrote {png}"
            if png
            else f"note: matplotlib is not installed; {stem}.png skipped (pip install matplotlib)"
        )
    return lines


# describe_machine and format_machine stay importable from here for benchmarks/serve_load.py.
__all__ = [
    "bar_chart",
    "describe_machine",
    "format_machine",
    "format_markdown",
    "format_table",
    "jsonable",
    "pyplot",
    "read_csv",
    "read_json",
    "write_csv",
    "write_json",
    "write_results_folder",
]
