"""``edge-bench latency``: bundles x runtimes x threads, side by side (GitHub issue 5).

For every model bundle (float32, float16, dynamic-range, int8 files of one model ...),
every requested TFLite runtime that is installed and every thread count, it takes the
interpreter's load time (construction + ``allocate_tensors``), then times ``invoke``
after a warm-up with :func:`benchmarks.latency.bench_invoke` (the same loop as
``edge-bench model``), and reports median, p90, p99, mean and std in ms, the model
size and each row's ratio to the float32 bundle of the same model family.

A model family is (task, input shape): in one invocation, the bundles whose
``model.json`` says quantisation ``float32`` are the baseline of every other bundle
with the same task and input shape, for the same runtime, threads and batch.

Results go to ``latency.csv``, ``latency.json``, ``latency.md`` and ``latency.png``
(matplotlib, imported only then) in ``--out``.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.latency import bench_invoke
from edge.bundle import ModelBundle, load_bundle
from edge.runtime import make_interpreter

log = logging.getLogger(__name__)

#: Runtimes ``--runtime`` accepts: ``auto`` (the first installed, as ``edge-run``),
#: ``all`` (every installed one) or a package name; ``tf`` is short for ``tensorflow``.
RUNTIME_MODULES = {"litert": "ai_edge_litert", "tflite-runtime": "tflite_runtime",
                   "tensorflow": "tensorflow"}
RUNTIME_ALIASES = {"tf": "tensorflow", "ai-edge-litert": "litert", "tflite_runtime": "tflite-runtime"}
RUNTIME_CHOICES = ("auto", "all", *RUNTIME_MODULES, *RUNTIME_ALIASES)
#: The baseline quantisation of the ratios.
BASELINE_QUANT = "float32"

#: Columns of the text and markdown tables: (key, header, format).
COLUMNS: list[tuple[str, str, str]] = [
    ("model", "model", ""), ("quant", "quant", ""), ("runtime", "runtime", ""),
    ("threads", "thr", ""), ("batch", "batch", ""), ("size_kb", "size KB", ".1f"),
    ("load_ms", "load ms", ".2f"), ("median_ms", "median ms", ".4f"), ("p90_ms", "p90 ms", ".4f"),
    ("p99_ms", "p99 ms", ".4f"), ("mean_ms", "mean ms", ".4f"), ("std_ms", "std ms", ".4f"),
    ("ratio_vs_float32", "x float32", ".2f"), ("size_ratio_vs_float32", "size x f32", ".2f"),
]


@dataclass
class LatencyConfig:
    """Settings of one ``edge-bench latency`` run (saved in ``latency.json``)."""

    command: str = "latency"
    models: list[str] = field(default_factory=lambda: ["digits"])
    runtimes: list[str] = field(default_factory=lambda: ["auto"])
    threads: list[int] = field(default_factory=lambda: [1])
    batch: list[int] = field(default_factory=lambda: [1])
    warmup_runs: int = 50
    runs: int = 1000
    disable_gc: bool = False
    out: str | None = None


def normalise_runtime(name: str) -> str:
    """A ``--runtime`` value as a canonical name (``tf`` -> ``tensorflow``).

    Raises:
        ValueError: an unknown runtime name.
    """
    n = RUNTIME_ALIASES.get(name, name)
    if n not in ("auto", "all", *RUNTIME_MODULES):
        raise ValueError(f"unknown runtime {name!r}; choose from {', '.join(RUNTIME_CHOICES)}")
    return n


def runtime_installed(name: str) -> bool:
    """Whether the runtime's package can be found (not imported)."""
    try:
        return importlib.util.find_spec(RUNTIME_MODULES[name]) is not None
    except (ImportError, ValueError):
        return False


def resolve_runtimes(requested: Sequence[str]) -> tuple[list[str], list[str]]:
    """The runtimes to time, in request order without duplicates, and notes on skipped ones.

    ``auto`` is the first installed runtime (litert, tflite-runtime, tensorflow), as
    :func:`edge.runtime.make_interpreter` picks it; ``all`` is every installed one.

    Raises:
        ValueError: an unknown name.
    """
    out: list[str] = []
    notes: list[str] = []
    for name in requested:
        n = normalise_runtime(name)
        if n == "auto":  # the first installed, as make_interpreter picks it
            cands = [next((c for c in RUNTIME_MODULES if runtime_installed(c)), "auto")]
        else:
            cands = list(RUNTIME_MODULES) if n == "all" else [n]
        for c in cands:
            if c != "auto" and not runtime_installed(c):
                if n != "all":
                    notes.append(f"note: runtime {c} is not installed "
                                 f"(no module {RUNTIME_MODULES[c]}); skipped")
                continue
            if c not in out:
                out.append(c)
    return out, notes


def bundle_quant(bundle: ModelBundle) -> str:
    """The bundle's quantisation: ``model.json`` ``quantization.mode``, else the input dtype
    (``int8``/``uint8`` -> ``int8``, float -> ``float32``)."""
    q = bundle.meta.get("quantization")
    mode = q.get("mode") if isinstance(q, dict) else q if isinstance(q, str) else None
    if mode:
        return str(mode)
    return "int8" if bundle.input.dtype in ("int8", "uint8") else "float32"


def model_family(bundle: ModelBundle) -> tuple[str, tuple[int, ...]]:
    """Bundles of one family (task and input shape) are compared with each other."""
    return bundle.task, tuple(int(v) for v in bundle.input.shape[1:])


def add_ratios(rows: list[dict[str, Any]], baseline: str = BASELINE_QUANT) -> list[dict[str, Any]]:
    """Set ``ratio_vs_float32`` (median / baseline median) and ``size_ratio_vs_float32`` on
    each row, in place.

    The baseline of a row is the first row with ``quant == baseline`` and the same
    ``family``, ``runtime``, ``threads`` and ``batch``; rows without one get ``None``.
    Rows need ``family``, ``quant``, ``runtime``, ``threads``, ``batch``, ``median_ms``
    and ``size_bytes``.

    Returns:
        ``rows``.
    """
    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r.get("family"), r.get("runtime"), r.get("threads"), r.get("batch"))

    base: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        if r.get("quant") == baseline:
            base.setdefault(key(r), r)
    for r in rows:
        b = base.get(key(r))
        ok = b is not None and b["median_ms"] > 0
        r["ratio_vs_float32"] = r["median_ms"] / b["median_ms"] if ok else None
        r["size_ratio_vs_float32"] = (r["size_bytes"] / b["size_bytes"]
                                      if b is not None and b["size_bytes"] else None)
    return rows


def warm_runtime(bundle: ModelBundle, runtime: str) -> float:
    """Import ``runtime`` (and its first interpreter's one-off set-up) before any timing.

    Returns:
        ms to import the runtime and build a first interpreter, not counted in ``load_ms``.
    """
    t0 = time.perf_counter_ns()
    make_interpreter(bundle.model_path, 1, runtime)
    ms = (time.perf_counter_ns() - t0) / 1e6
    log.info("runtime %s: import and first interpreter %.1f ms", runtime, ms)
    return ms


def bench_latency(cfg: LatencyConfig, runtimes: Sequence[str]) -> list[dict[str, Any]]:
    """Time every (model, runtime, threads, batch) of ``cfg`` with :func:`bench_invoke`.

    Returns:
        Flat rows with ``model``, ``quant``, ``family``, ``runtime``, ``threads``,
        ``batch``, ``size_bytes``, ``load_ms``, ``warmup_avg_ms``, ``count``,
        ``median_ms``, ``p90_ms``, ``p99_ms``, ``mean_ms``, ``std_ms``, ``min_ms``,
        ``max_ms``, ``ratio_vs_float32`` and ``size_ratio_vs_float32``.

    Raises:
        BundleError: a model cannot be loaded.
        RuntimeError: ``auto`` and no runtime installed.
    """
    bundles = [load_bundle(m) for m in cfg.models]
    rows: list[dict[str, Any]] = []
    if bundles:  # import each runtime first, so no row's load_ms includes the import
        for rt in runtimes:
            warm_runtime(bundles[0], rt)
    for b in bundles:
        size = b.model_path.stat().st_size
        quant, fam = bundle_quant(b), model_family(b)
        for rt in runtimes:
            for t in cfg.threads:
                for n in cfg.batch:
                    r = bench_invoke(b, threads=t, runtime=rt, batch=n, warmup=cfg.warmup_runs,
                                     runs=cfg.runs, disable_gc=cfg.disable_gc)
                    s = r.stats
                    rows.append({
                        "model": b.name, "quant": quant,
                        "family": f"{fam[0]}:{'x'.join(map(str, fam[1]))}",
                        "runtime": r.runtime, "threads": t, "batch": n,
                        "size_bytes": size, "size_kb": size / 1024, "load_ms": r.init_ms,
                        "warmup_avg_ms": r.warmup_avg_ms, "count": s.count,
                        "median_ms": s.median_ms, "p90_ms": s.p90_ms, "p99_ms": s.p99_ms,
                        "mean_ms": s.mean_ms, "std_ms": s.std_ms, "min_ms": s.min_ms,
                        "max_ms": s.max_ms,
                    })
                    log.info("latency %s %s threads=%d batch=%d done", b.name, r.runtime, t, n)
    return add_ratios(rows)


def format_markdown(rows: Sequence[dict[str, Any]],
                    columns: Sequence[tuple[str, str, str]] = COLUMNS) -> str:
    """A GitHub markdown table of the rows (:func:`benchmarks.report.format_markdown`)."""
    return report.format_markdown(rows, columns)


def row_label(r: dict[str, Any]) -> str:
    return f"{r['model']}\n{r['runtime']} t{r['threads']}" + (f" b{r['batch']}" if r["batch"] != 1 else "")


QUANT_COLOURS = {"float32": "tab:blue", "float16": "tab:orange", "dynamic": "tab:green",
                 "int8": "tab:red"}


def write_png(path: Path, rows: Sequence[dict[str, Any]], title: str) -> Path | None:
    """A bar chart of median ms per row, whiskers up to p99; ``None`` without matplotlib."""
    ratios = [r.get("ratio_vs_float32") for r in rows]
    return report.bar_chart(
        path, [row_label(r) for r in rows], [r["median_ms"] for r in rows],
        [r["p99_ms"] for r in rows], title=title,
        axis_label="invoke latency, ms (bar: median, whisker: p99)",
        colours=[QUANT_COLOURS.get(r["quant"], "tab:gray") for r in rows],
        notes=[f"{x:.2f}x" if x is not None else None for x in ratios],
        legend={q: c for q, c in QUANT_COLOURS.items() if any(r["quant"] == q for r in rows)})


def write_results(out: str | Path, rows: list[dict[str, Any]], machine: dict[str, Any],
                  cfg: LatencyConfig) -> list[str]:
    """Write ``latency.csv``, ``.json``, ``.md`` and ``.png`` into ``out``.

    Returns:
        Lines to print (what was written, or why the PNG was skipped).
    """
    title = (f"edge-bench latency on {report.device_id(machine)} ({machine.get('cpu')}): invoke, "
             f"warm-up {cfg.warmup_runs}, runs {cfg.runs}")
    return report.write_results_folder(
        out, "latency", rows, machine, asdict(cfg), title=title, columns=COLUMNS,
        footer="ratio: median / the float32 bundle's median of the same task and input shape, "
               "runtime, threads and batch.\n",
        chart=lambda p: write_png(p, rows, title))


def run_latency(cfg: LatencyConfig) -> int:
    """Run ``edge-bench latency``: print the machine and the table, write ``--out``.

    Raises:
        ValueError: an unknown runtime, or no requested runtime installed.
        BundleError, RuntimeError: as :func:`bench_latency`.
    """
    runtimes, notes = resolve_runtimes(cfg.runtimes)
    for n in notes:
        print(n)
    if not runtimes:
        raise ValueError(f"none of the requested runtimes {cfg.runtimes} is installed; "
                         "pip install ai-edge-litert")
    rows = bench_latency(cfg, runtimes)
    machine = report.describe_machine(runtime=rows[0]["runtime"] if rows else None,
                                      model_name=", ".join(dict.fromkeys(r["model"] for r in rows)),
                                      threads=list(cfg.threads))
    machine["runtimes"] = {rt: report.runtime_version(rt)
                           for rt in dict.fromkeys(r["runtime"] for r in rows)}
    print(f"edge-bench latency on {report.device_id(machine)}")
    print(report.format_machine(machine))
    print(f"\ninvoke latency (set_tensor + invoke + get_tensor), warm-up {cfg.warmup_runs}, "
          f"runs {cfg.runs}; load = interpreter + allocate_tensors")
    print(report.format_table(rows, COLUMNS))
    if not any(r["ratio_vs_float32"] is not None for r in rows):
        print("(no float32 bundle of the same task and input shape: ratios are '-'; add e.g. "
              "--model digits-float32)")
    if cfg.out:
        print()
        for line in write_results(cfg.out, rows, machine, cfg):
            print(line)
    return 0
