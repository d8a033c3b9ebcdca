"""The machine a benchmark ran on, result files, reference comparison and text tables.

Every report starts with :func:`describe_machine` (CPU, cores, governor, board,
library versions, model and its sha256), because a latency means nothing without
the machine that produced it. Results are flat rows (dicts) so the same list goes to
a text table, a CSV file and a JSON file; a JSON results file doubles as a per-device
reference (pycoral's ``benchmarks/reference`` idea) for ``--reference``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import logging
import math
import os
import platform
import subprocess
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GOVERNOR_PATH = Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
CPUINFO_PATH = Path("/proc/cpuinfo")
BOARD_PATH = Path("/proc/device-tree/model")
#: Shipped per-device reference files (``<machine>-<cores>core.json``).
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
#: A measurement further than this fraction from its reference median is flagged
#: (pycoral's benchmarks allow 30 %).
REFERENCE_TOLERANCE = 0.30
#: Identity of a result row: rows with the same key are the same measurement.
ROW_KEY = ("benchmark", "metric", "model", "threads", "batch")

_RUNTIME_DISTS = {
    "litert": ("ai-edge-litert",),
    "tflite-runtime": ("tflite-runtime",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tf-nightly"),
}


# -- the machine --------------------------------------------------------------
def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def cpu_model(cpuinfo: str | None = None) -> str:
    """The CPU's name: ``model name`` (x86), else ``Model``/``Hardware`` (ARM), else platform.

    Args:
        cpuinfo: the text of ``/proc/cpuinfo`` (read when ``None``).
    """
    text = _read_text(CPUINFO_PATH) if cpuinfo is None else cpuinfo
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and value.strip() and key not in found:
            found[key] = value.strip()
    for key in ("model name", "cpu model", "model", "hardware", "processor"):
        v = found.get(key)
        if v and not v.isdigit():  # ARM's "processor : 0" is an index, not a name
            return v
    return platform.processor() or platform.machine() or "unknown"


def cpu_governor(path: Path = GOVERNOR_PATH) -> str | None:
    """The cpufreq scaling governor of CPU 0, or ``None`` when unreadable (VMs, containers)."""
    text = _read_text(path)
    return text.strip() if text else None


def governor_warning(governor: str | None) -> str | None:
    """A warning for the report header when latencies may drift with CPU frequency.

    Returns:
        ``None`` when the governor is ``performance``; otherwise a sentence that says
        what is wrong and how to fix it.
    """
    if governor == "performance":
        return None
    if governor is None:
        return (f"CPU governor unreadable ({GOVERNOR_PATH} absent: VM, container or no "
                "cpufreq); frequency scaling cannot be checked, so repeat runs to see the spread")
    return (f"CPU governor is {governor!r}, not 'performance': latencies vary with frequency "
            "scaling. For stable numbers: sudo cpupower frequency-set -g performance "
            "(or echo performance | sudo tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor)")


def load_warning(loadavg_1m: float | None, cores: int | None) -> str | None:
    """A warning when other processes keep the CPUs busy (1-minute load >= half the cores).

    Competing work shows up as a long tail (p99, max) and a noisy median.
    """
    if loadavg_1m is None or not cores or loadavg_1m < 0.5 * cores:
        return None
    return (f"the machine is busy (1-minute load {loadavg_1m:.2f} on {cores} cores): other "
            "processes compete for the CPUs, so the tail (p99, max) and even the median are "
            "inflated; close them and re-run for clean numbers")


def board_model(path: Path = BOARD_PATH) -> str | None:
    """The board name from the device tree (``Raspberry Pi 4 Model B Rev 1.4``), if any."""
    text = _read_text(path)
    return text.replace("\x00", "").strip() or None if text else None


def _dist_version(*names: str) -> str | None:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def runtime_version(runtime: str | None) -> str | None:
    """Installed version of the interpreter package (``litert`` → ai-edge-litert's)."""
    if runtime is None:
        return None
    return _dist_version(*_RUNTIME_DISTS.get(runtime, (runtime,)))


def code_version() -> str | None:
    """``<short commit>[-dirty]`` of the project checkout, or ``None`` (installed, no git).

    Pipeline timings change with the code (the segmenter above all), so a reference
    says which code produced it.
    """
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head or None


def describe_machine(*, runtime: str | None = None, model_name: str | None = None,
                     model_sha256: str | None = None, threads: Any = None) -> dict[str, Any]:
    """Everything a reader needs to judge a latency: hardware, OS, library versions, model.

    Args:
        runtime: interpreter package used (``litert`` ...), for its version.
        model_name: bundle name.
        model_sha256: the bundle's ``tflite_sha256`` (a 12-character prefix is kept).
        threads: interpreter threads (an int, a list, or ``None``).

    Returns:
        A JSON-ready dict with keys ``cpu``, ``machine``, ``cores``, ``cores_usable``,
        ``governor``, ``governor_warning``, ``board``, ``os``, ``python``, ``numpy``,
        ``opencv``, ``runtime``, ``runtime_version``, ``edge`` (package version), ``code``
        (git commit of a checkout), ``model``, ``model_sha256``,
        ``threads``, ``loadavg_1m``, ``load_warning``, ``date`` (UTC, ISO 8601).
    """
    import numpy as np

    try:
        import cv2

        opencv = cv2.__version__
    except ImportError:
        opencv = None
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    try:
        load = round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        load = None
    gov = cpu_governor()
    return {
        "cpu": cpu_model(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "governor": gov,
        "governor_warning": governor_warning(gov),
        "board": board_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "opencv": opencv,
        "runtime": runtime,
        "runtime_version": runtime_version(runtime),
        "edge": _dist_version("edge-recogniser"),
        "code": code_version(),
        "model": model_name,
        "model_sha256": model_sha256[:12] if model_sha256 else None,
        "threads": threads,
        "loadavg_1m": load,
        "load_warning": load_warning(load, usable),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),  # noqa: UP017 (3.10)
    }


def device_id(machine: dict[str, Any] | None = None) -> str:
    """Name of this device's reference file: ``x86_64-2core``, ``rpi4b-4core`` ...

    Raspberry Pis are named from the device-tree model (as pycoral's ``machine_info``),
    other machines by architecture and usable core count.
    """
    m = machine or describe_machine()
    board = (m.get("board") or "").lower()
    if "raspberry pi" in board:
        words = board.replace("raspberry pi", "").split()
        if "rev" in words:
            words = words[:words.index("rev")]
        name = "rpi" + "".join(w for w in words if w != "model")
    else:
        name = m.get("machine") or "unknown"
    return f"{name}-{m.get('cores_usable') or m.get('cores')}core"


def format_machine(m: dict[str, Any]) -> str:
    """The machine description as ``key: value`` lines for the report header."""
    keys = ("cpu", "board", "machine", "cores", "cores_usable", "governor", "os", "python",
            "numpy", "opencv", "runtime", "runtime_version", "runtimes", "edge", "code", "model",
            "model_sha256",
            "threads", "loadavg_1m", "date")
    lines = [f"  {k:<16}{'unreadable' if k == 'governor' and m.get(k) is None else m.get(k)}"
             for k in keys if k in m and (m.get(k) is not None or k == "governor")]
    lines += [f"warning: {m[k]}" for k in ("governor_warning", "load_warning") if m.get(k)]
    return "\n".join(lines)


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


def jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if hasattr(v, "item"):  # numpy scalars
        return jsonable(v.item())
    return v


def write_json(path: str | Path, rows: Sequence[dict[str, Any]], machine: dict[str, Any],
               config: dict[str, Any] | None = None, **extra: Any) -> Path:
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


# -- reference comparison -------------------------------------------------------
def resolve_reference(ref: str | Path) -> Path:
    """A reference file path, or a shipped reference name (``x86_64-2core``).

    Raises:
        ValueError: neither an existing file nor a shipped reference.
    """
    p = Path(ref).expanduser()
    if p.is_file():
        return p
    shipped = REFERENCE_DIR / (p.name if p.suffix == ".json" else f"{p.name}.json")
    if shipped.is_file():
        return shipped
    names = sorted(f.stem for f in REFERENCE_DIR.glob("*.json")) if REFERENCE_DIR.is_dir() else []
    raise ValueError(f"no reference file {str(ref)!r}: pass a JSON written by edge-bench --json "
                     f"or one of the shipped references {names}")


def row_key(row: dict[str, Any], key: Sequence[str] = ROW_KEY) -> tuple[Any, ...]:
    """The identity of a result row (the ``key`` columns), threads/batch as ints or None."""
    def norm(k: str) -> Any:
        v = row.get(k)
        if k in ("threads", "batch") and v not in (None, ""):
            return int(v)
        return None if v == "" else v
    return tuple(norm(k) for k in key)


def read_reference_rows(path: str | Path) -> list[dict[str, Any]]:
    """The result rows of a reference: a ``.csv`` written by :func:`write_csv` (an
    ``--out`` folder's ``latency.csv``/``pipeline.csv``) or a JSON by :func:`write_json`.

    Raises:
        ValueError: unreadable, or not a results file.
    """
    p = Path(path)
    if p.suffix.lower() == ".csv":
        try:
            rows = read_csv(p)
        except (OSError, csv.Error, UnicodeDecodeError) as e:
            raise ValueError(f"cannot read reference CSV {p}: {e}") from e
        if not rows or "median_ms" not in rows[0]:
            raise ValueError(f"{p} has no median_ms column; pass a CSV written by edge-bench "
                             "(--out DIR gives DIR/latency.csv or DIR/pipeline.csv)")
        return rows
    return list(read_json(p)["results"])


def compare_with_reference(rows: Iterable[dict[str, Any]], reference: Sequence[dict[str, Any]],
                           tolerance: float = REFERENCE_TOLERANCE,
                           field: str = "median_ms",
                           key: Sequence[str] = ROW_KEY) -> list[dict[str, Any]]:
    """Ratio of each result's median to the reference median for the same measurement.

    Args:
        rows: this run's result rows.
        reference: the reference file's result rows.
        tolerance: a ratio outside ``[1 - tolerance, 1 + tolerance]`` is flagged.
        field: the latency column to compare (ms).
        key: the columns that identify a measurement (:data:`ROW_KEY`; ``edge-bench
            latency``: :data:`benchmarks.latency_compare.ROW_KEY`).

    Returns:
        One dict per row that has a reference: the ``key`` fields, ``ms``,
        ``reference_ms``, ``ratio`` (this / reference: > 1 is slower) and ``status``
        (``"ok"``, ``"slower"`` or ``"faster"``).
    """
    ref = {row_key(r, key): r for r in reference}
    out: list[dict[str, Any]] = []
    for r in rows:
        k = row_key(r, key)
        base = ref.get(k)
        if base is None or base.get(field) in (None, "") or r.get(field) in (None, ""):
            continue
        ms, ref_ms = float(r[field]), float(base[field])
        ratio = ms / ref_ms if ref_ms > 0 else float("inf")
        status = "slower" if ratio > 1 + tolerance else "faster" if ratio < 1 - tolerance else "ok"
        out.append({**dict(zip(key, k, strict=True)), "ms": ms, "reference_ms": ref_ms,
                    "ratio": ratio, "status": status})
    return out


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
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()
    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(heads), sep, *(line(b) for b in body)])


def format_comparison(cmp: Sequence[dict[str, Any]], label: str,
                      tolerance: float = REFERENCE_TOLERANCE, key: Sequence[str] = ROW_KEY) -> str:
    """The reference comparison as a table (ratio = this run / reference)."""
    if not cmp:
        return (f"reference {label}: no matching measurements (same {', '.join(key)})")
    cols = [(k, {"benchmark": "bench", "threads": "thr"}.get(k, k), "") for k in key]
    cols += [("ms", "median ms", ".3f"), ("reference_ms", "ref ms", ".3f"),
             ("ratio", "ratio", ".2f"), ("status", "status", "")]
    return f"reference {label} (ratio > 1 is slower, tolerance ±{tolerance:.0%}):\n" \
        + format_table(cmp, cols)


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


def bar_chart(path: str | Path, labels: Sequence[str], median: Sequence[float],
              p99: Sequence[float], *, title: str, axis_label: str,
              colours: Sequence[str] | None = None, notes: Sequence[str | None] | None = None,
              legend: dict[str, str] | None = None, horizontal: bool = False,
              log_scale: bool | None = None) -> Path | None:
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
            ax.annotate(note, xy, ha="left" if horizontal else "center",
                        va="center" if horizontal else "bottom", fontsize=8, xytext=off,
                        textcoords="offset points")
    positive = [float(v) for v in median if float(v) > 0]
    if log_scale is None:
        log_scale = bool(positive) and max(positive) / min(positive) > 50
    if log_scale:
        (ax.set_xscale if horizontal else ax.set_yscale)("log")
    if legend:
        ax.legend([plt.Rectangle((0, 0), 1, 1, color=c) for c in legend.values()], list(legend),
                  fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    p = Path(path)
    fig.savefig(p, dpi=120)
    plt.close(fig)
    return p


def write_results_folder(out: str | Path, stem: str, rows: Sequence[dict[str, Any]],
                         machine: dict[str, Any], config: dict[str, Any], *, title: str,
                         columns: Sequence[tuple[str, str, str]], footer: str = "",
                         chart: Any = None, **extra: Any) -> list[str]:
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
    lines = [f"wrote {write_csv(d / f'{stem}.csv', rows)}",
             f"wrote {write_json(d / f'{stem}.json', rows, machine, config, **extra)}"]
    md = d / f"{stem}.md"
    md.write_text(f"# {title}\n\n{format_markdown(rows, columns)}\n{footer}\n## Machine\n\n"
                  f"```\n{format_machine(machine)}\n```\n", encoding="utf-8")
    lines.append(f"wrote {md}")
    if chart is not None:
        png = chart(d / f"{stem}.png")
        lines.append(f"wrote {png}" if png else f"note: matplotlib is not installed; {stem}.png "
                     "skipped (pip install matplotlib)")
    return lines
