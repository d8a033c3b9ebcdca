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

Each row also carries the accuracy of its file where the data is present (MNIST test
for 28x28 digits models, ``--images DIR`` of class folders for the others), else the
accuracy ``model.json`` recorded when the file was converted, marked as such.

Runtimes this interpreter cannot import are run in a worker process of another Python
(:mod:`benchmarks.runtime_env`): tflite-runtime 2.14 needs numpy<2, TensorFlow 2.21
numpy 2, so on a laptop with both the tflite-runtime rows come from a small cached
virtualenv, timed by the same :func:`~benchmarks.latency.bench_invoke` on the same file.

Results go to ``latency.csv``, ``latency.json``, ``latency.md`` and ``latency.png``
(matplotlib, imported only then) in ``--out``; ``--op-profile`` adds ``ops.md`` and
``ops.json``; ``--compare FILE`` compares medians with an earlier ``latency.csv`` or
``latency.json`` (or a shipped reference) row by row.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import platform
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.latency import bench_invoke
from edge.bundle import BundleError, ModelBundle, load_bundle
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
#: Identity of a latency row, for ``--compare``.
ROW_KEY = ("model", "quant", "runtime", "threads", "batch")

#: Columns of the text and markdown tables: (key, header, format).
COLUMNS: list[tuple[str, str, str]] = [
    ("model", "model", ""), ("quant", "quant", ""), ("runtime", "runtime", ""),
    ("threads", "thr", ""), ("batch", "batch", ""), ("size_kb", "size KB", ".1f"),
    ("load_ms", "load ms", ".2f"), ("median_ms", "median ms", ".4f"), ("p90_ms", "p90 ms", ".4f"),
    ("p99_ms", "p99 ms", ".4f"), ("mean_ms", "mean ms", ".4f"), ("std_ms", "std ms", ".4f"),
    ("ratio_vs_float32", "x float32", ".2f"), ("size_ratio_vs_float32", "size x f32", ".2f"),
    ("accuracy", "accuracy", ".2%"), ("accuracy_n", "acc n", ""),
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
    #: A time budget per row (s) instead of ``runs``.
    seconds: float | None = None
    disable_gc: bool = False
    out: str | None = None
    #: Python that runs runtimes not importable here (path, "auto", None: env/cache).
    tflite_runtime_python: str | None = None
    accuracy: bool = True
    data_dir: str | None = None
    images: str | None = None
    accuracy_limit: int | None = None
    op_profile: bool = False
    compare: str | None = None
    tolerance: float = report.REFERENCE_TOLERANCE
    check: bool = False
    progress: bool = True


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


def resolve_runtimes(requested: Sequence[str], worker: Path | None = None
                     ) -> tuple[list[str], list[str]]:
    """The runtimes to time, in request order without duplicates, and notes on skipped ones.

    ``auto`` is the first installed runtime (litert, tflite-runtime, tensorflow), as
    :func:`edge.runtime.make_interpreter` picks it; ``all`` is every installed one.
    With a ``worker`` Python, tflite-runtime counts as installed when this interpreter
    cannot import it (its rows run there: :func:`time_rows_in_worker`).

    Raises:
        ValueError: an unknown name.
    """
    out: list[str] = []
    notes: list[str] = []

    def available(c: str) -> bool:
        return runtime_installed(c) or (c == "tflite-runtime" and worker is not None)

    for name in requested:
        n = normalise_runtime(name)
        if n == "auto":  # the first installed, as make_interpreter picks it
            cands = [next((c for c in RUNTIME_MODULES if runtime_installed(c)), "auto")]
        else:
            cands = list(RUNTIME_MODULES) if n == "all" else [n]
        for c in cands:
            if c != "auto" and not available(c):
                if n != "all":
                    hint = (" (or pass --tflite-runtime-python auto|PYTHON to run it in "
                            "another environment)" if c == "tflite-runtime" else "")
                    notes.append(f"note: runtime {c} is not installed "
                                 f"(no module {RUNTIME_MODULES[c]}){hint}; skipped")
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


Progress = Callable[[dict[str, Any]], None]


#: Bounds of the runs a ``--seconds`` time budget gives a row.
BUDGET_RUNS = (10, 100_000)


def budget_runs(seconds: float, call_ms: float, bounds: tuple[int, int] = BUDGET_RUNS) -> int:
    """Timed calls that fill ``seconds`` at ``call_ms`` per call, within ``bounds``."""
    if call_ms <= 0:
        return bounds[1]
    return int(min(bounds[1], max(bounds[0], seconds * 1e3 / call_ms)))


def time_rows(bundles: Sequence[ModelBundle], runtime: str, threads: Sequence[int],
              batch: Sequence[int], *, warmup: int, runs: int, disable_gc: bool = False,
              seconds: float | None = None, progress: Progress | None = None
              ) -> list[dict[str, Any]]:
    """Time every (bundle, threads, batch) on one runtime in this process.

    ``runs`` timed calls per row, or with ``seconds`` as many as fill that time budget
    (:func:`budget_runs` from a 5-call probe).

    Returns:
        Rows with ``model``, ``bundle`` (its folder), ``quant``, ``family``, ``runtime``,
        ``threads``, ``batch``, ``warmup``, ``runs``, ``size_bytes``, ``size_kb``, ``load_ms``,
        ``warmup_avg_ms``, ``count``, ``median_ms``, ``p90_ms``, ``p99_ms``, ``mean_ms``,
        ``std_ms``, ``min_ms`` and ``max_ms``; ``progress(row)`` is called after each.

    Raises:
        BundleError: the runtime cannot load a file.
    """
    if bundles:  # import the runtime first, so no row's load_ms includes the import
        warm_runtime(bundles[0], runtime)
    rows: list[dict[str, Any]] = []
    for b in bundles:
        size = b.model_path.stat().st_size
        quant, fam = bundle_quant(b), model_family(b)
        for t in threads:
            for n in batch:
                n_runs = runs
                if seconds:  # a time budget per row: runs from a short probe's median
                    probe = bench_invoke(b, threads=t, runtime=runtime, batch=n, warmup=1, runs=5)
                    n_runs = budget_runs(seconds, probe.stats.median_ms)
                r = bench_invoke(b, threads=t, runtime=runtime, batch=n, warmup=warmup,
                                 runs=n_runs, disable_gc=disable_gc)
                s = r.stats
                rows.append({
                    "model": b.name, "bundle": str(b.path), "quant": quant,
                    "family": f"{fam[0]}:{'x'.join(map(str, fam[1]))}",
                    "runtime": r.runtime, "threads": t, "batch": n, "warmup": warmup,
                    "runs": n_runs, "size_bytes": size, "size_kb": size / 1024, "load_ms": r.init_ms,
                    "warmup_avg_ms": r.warmup_avg_ms, "count": s.count,
                    "median_ms": s.median_ms, "p90_ms": s.p90_ms, "p99_ms": s.p99_ms,
                    "mean_ms": s.mean_ms, "std_ms": s.std_ms, "min_ms": s.min_ms,
                    "max_ms": s.max_ms,
                })
                if progress is not None:
                    progress(rows[-1])
    return rows


def time_rows_in_worker(python: str | Path, bundles: Sequence[ModelBundle], runtime: str,
                        cfg: LatencyConfig, progress: Progress | None = None
                        ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """:func:`time_rows` in a worker process of another Python (``python -m
    benchmarks.latency_compare --worker``), for a runtime this interpreter cannot import.

    Returns:
        ``(rows, info)``: the rows as :func:`time_rows`, and the worker's ``python``,
        ``executable``, ``numpy`` and ``runtime_version``.

    Raises:
        RuntimeError: the worker failed (its last messages are in the text).
    """
    from benchmarks.runtime_env import worker_env

    with tempfile.TemporaryDirectory(prefix="edge-bench-worker-") as tmp:
        result = Path(tmp) / "result.json"
        payload = {"models": [str(b.path) for b in bundles], "runtime": runtime,
                   "threads": list(cfg.threads), "batch": list(cfg.batch),
                   "warmup": cfg.warmup_runs, "runs": cfg.runs, "seconds": cfg.seconds,
                   "disable_gc": cfg.disable_gc, "result": str(result)}
        cmd = [str(python), "-m", "benchmarks.latency_compare", "--worker"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, env=worker_env())
        assert proc.stdin is not None and proc.stderr is not None
        with contextlib.suppress(BrokenPipeError):  # died before reading: stderr says why
            proc.stdin.write(json.dumps(payload))
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        tail: deque[str] = deque(maxlen=25)
        for line in proc.stderr:
            if line.startswith(_PROGRESS_TAG):
                if progress is not None:
                    progress(json.loads(line[len(_PROGRESS_TAG):]))
            else:
                tail.append(line.rstrip())
        code = proc.wait()
        if code != 0 or not result.is_file():
            raise RuntimeError(f"the {runtime} worker ({python}) failed with exit code {code}:\n"
                               + "\n".join(tail))
        doc = json.loads(result.read_text(encoding="utf-8"))
    return doc["rows"], doc["info"]


_PROGRESS_TAG = "edge-bench-progress "


def worker_main() -> int:
    """``python -m benchmarks.latency_compare --worker``: read the job (JSON) on stdin, time
    it with :func:`time_rows`, write ``{"rows", "info"}`` to the job's ``result`` path and
    progress lines to stderr."""
    import numpy as np

    job = json.loads(sys.stdin.read())

    def progress(row: dict[str, Any]) -> None:
        print(_PROGRESS_TAG + json.dumps(row), file=sys.stderr, flush=True)

    bundles = [load_bundle(m) for m in job["models"]]
    rows = time_rows(bundles, job["runtime"], job["threads"], job["batch"], warmup=job["warmup"],
                     runs=job["runs"], disable_gc=job["disable_gc"], seconds=job.get("seconds"),
                     progress=progress)
    info = {"python": platform.python_version(), "executable": sys.executable,
            "numpy": np.__version__, "runtime_version": report.runtime_version(job["runtime"])}
    Path(job["result"]).write_text(json.dumps({"rows": rows, "info": info}), encoding="utf-8")
    return 0


def file_accuracy(bundle: ModelBundle, cfg: LatencyConfig, runtime: str) -> dict[str, Any]:
    """The accuracy of ``bundle``'s file: measured where its data is present, else recorded.

    Measured (with ``runtime``, batches of 64): a 28x28x1 model with digit labels on the
    MNIST test set (``cfg.data_dir``, ``$EDGE_DATA_DIR`` or the Keras cache; the first
    ``cfg.accuracy_limit`` images); any other model on ``cfg.images`` (class folders,
    each photo one ROI as ``edge-eval --crop``). Otherwise the ``tflite_accuracy`` of
    ``model.json`` ``metrics`` (measured by edge-convert on the same file).

    Returns:
        ``{"accuracy", "accuracy_n", "accuracy_data"}`` (``None`` values when nothing is
        known); ``accuracy_data`` says where the number comes from.
    """
    from edge.datasets import DatasetError

    measured: tuple[float, int, str] | None = None
    why = ""
    try:
        measured = _measure_accuracy(bundle, cfg, runtime)
    except DatasetError as e:  # its message lists every way to provide the data
        why = " (data not found: --data-dir DIR for MNIST, --images DIR for photos)"
        log.info("accuracy of %s not measured: %s", bundle.name, e)
    except ValueError as e:  # e.g. folders that are not the model's labels
        why = f" ({e})"
        log.info("accuracy of %s not measured: %s", bundle.name, e)
    if measured is not None:
        acc, n, data = measured
        return {"accuracy": acc, "accuracy_n": n, "accuracy_data": data}
    metrics = bundle.meta.get("metrics") or {}
    for name, m in metrics.items():
        if isinstance(m, dict) and m.get("tflite_accuracy") is not None:
            return {"accuracy": float(m["tflite_accuracy"]), "accuracy_n": m.get("samples"),
                    "accuracy_data": f"model.json {name} (recorded at conversion){why}"}
    return {"accuracy": None, "accuracy_n": None, "accuracy_data": f"no data{why}"}


def _measure_accuracy(bundle: ModelBundle, cfg: LatencyConfig, runtime: str
                      ) -> tuple[float, int, str] | None:
    from edge.evaluate import evaluate_crops, evaluate_mnist, list_image_folder
    from edge.runtime import Classifier

    digits = (tuple(bundle.input.shape[1:]) == (28, 28, 1)
              and sorted(bundle.labels) == [str(d) for d in range(10)])
    if digits and cfg.images is None:
        from edge.datasets import load_mnist

        x, y = load_mnist(cfg.data_dir)["test"]
        if cfg.accuracy_limit:
            x, y = x[:cfg.accuracy_limit], y[:cfg.accuracy_limit]
        rep = evaluate_mnist(Classifier(bundle, runtime=runtime), x, y, batch_size=64)
        return rep.accuracy, rep.n, "mnist-test" + (f"[:{len(x)}]" if cfg.accuracy_limit else "")
    if cfg.images is not None:
        items = list_image_folder(cfg.images, bundle.labels, limit=cfg.accuracy_limit)
        rep = evaluate_crops(Classifier(bundle, runtime=runtime), items, skip_unreadable=True)
        return rep.accuracy, rep.n, f"{cfg.images} (crops)"
    return None


def bench_latency(cfg: LatencyConfig, runtimes: Sequence[str], worker: Path | None = None,
                  progress: Progress | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Time every (model, runtime, threads, batch) of ``cfg`` with :func:`bench_invoke`.

    Runtimes this interpreter cannot import run in ``worker`` (:func:`time_rows_in_worker`).

    Returns:
        ``(rows, workers)``: rows as :func:`time_rows` plus ``ratio_vs_float32``,
        ``size_ratio_vs_float32`` and (``cfg.accuracy``) :func:`file_accuracy`'s keys,
        ordered by model, runtime, threads, batch; ``workers`` maps a runtime run in a
        worker to the worker's info.

    Raises:
        BundleError: a model cannot be loaded.
        RuntimeError: ``auto`` and no runtime installed, or a worker failed.
    """
    bundles = [load_bundle(m) for m in cfg.models]
    by_rt: dict[str, list[dict[str, Any]]] = {}
    workers: dict[str, Any] = {}
    for rt in runtimes:
        if rt != "auto" and not runtime_installed(rt) and worker is not None:
            by_rt[rt], workers[rt] = time_rows_in_worker(worker, bundles, rt, cfg, progress)
        else:
            by_rt[rt] = time_rows(bundles, rt, cfg.threads, cfg.batch, warmup=cfg.warmup_runs,
                                  runs=cfg.runs, disable_gc=cfg.disable_gc, seconds=cfg.seconds,
                                  progress=progress)
    local = next((rt for rt in runtimes if rt not in workers), "auto")
    rows: list[dict[str, Any]] = []
    for b in bundles:
        acc = file_accuracy(b, cfg, local) if cfg.accuracy else {}
        for rt in runtimes:
            for r in by_rt[rt]:
                if r["bundle"] == str(b.path):
                    rows.append({**r, **acc})
    return add_ratios(rows), workers


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
                  cfg: LatencyConfig, **extra: Any) -> list[str]:
    """Write ``latency.csv``, ``.json``, ``.md`` and ``.png`` into ``out``.

    Returns:
        Lines to print (what was written, or why the PNG was skipped).
    """
    runs = f"{cfg.seconds:g} s per row" if cfg.seconds else f"runs {cfg.runs}"
    title = (f"edge-bench latency on {report.device_id(machine)} ({machine.get('cpu')}): invoke, "
             f"warm-up {cfg.warmup_runs}, {runs}")
    footer = ("ratio: median / the float32 bundle's median of the same task and input shape, "
              "runtime, threads and batch. accuracy: of each file, on "
              + "; ".join(sorted({f"{r['model']}: {r['accuracy_data']}" for r in rows
                                  if r.get("accuracy_data")})) + ".\n")
    cmp = extra.get("reference", {}).get("comparison")
    if cmp:
        footer += ("\n## Compared with " + str(extra["reference"]["file"]) + "\n\n"
                   + report.format_markdown(cmp, [*((k, k, "") for k in ROW_KEY),
                                                  ("ms", "median ms", ".4f"),
                                                  ("reference_ms", "ref ms", ".4f"),
                                                  ("ratio", "ratio", ".2f"),
                                                  ("status", "status", "")]))
    return report.write_results_folder(
        out, "latency", rows, machine, asdict(cfg), title=title, columns=COLUMNS,
        footer=footer, chart=lambda p: write_png(p, rows, title), **extra)


def _progress_printer(total: int) -> Progress:
    done = [0]

    def show(r: dict[str, Any]) -> None:
        done[0] += 1
        print(f"[{done[0]}/{total}] {r['model']} {r['runtime']} threads={r['threads']} "
              f"batch={r['batch']}: median {r['median_ms']:.4f} ms, p99 {r['p99_ms']:.4f} ms",
              file=sys.stderr, flush=True)
    return show


def run_latency(cfg: LatencyConfig) -> int:
    """Run ``edge-bench latency``: print the machine and the table, write ``--out``.

    Returns:
        0, or 1 when ``cfg.check`` and a row is slower than ``cfg.compare`` by more than
        ``cfg.tolerance``.

    Raises:
        ValueError: an unknown runtime, no requested runtime installed, a bad
            ``--tflite-runtime-python`` or ``--compare`` file.
        BundleError, RuntimeError: as :func:`bench_latency`.
    """
    from benchmarks.runtime_env import worker_python

    ref_rows = (report.read_reference_rows(report.resolve_reference(cfg.compare))
                if cfg.compare else None)
    worker = None
    if not runtime_installed("tflite-runtime"):
        wants_trt = any(normalise_runtime(r) in ("all", "tflite-runtime") for r in cfg.runtimes)
        worker = worker_python(cfg.tflite_runtime_python) if wants_trt else None
    runtimes, notes = resolve_runtimes(cfg.runtimes, worker)
    for n in notes:
        print(n)
    if not runtimes:
        raise ValueError(f"none of the requested runtimes {cfg.runtimes} is installed; "
                         "pip install ai-edge-litert")
    # described before timing, so the load average is the other programs' load, not ours
    machine = report.describe_machine(runtime=runtimes[0] if runtimes[0] != "auto" else None,
                                      model_name=", ".join(cfg.models), threads=list(cfg.threads))
    total = len(cfg.models) * len(runtimes) * len(cfg.threads) * len(cfg.batch)
    rows, workers = bench_latency(cfg, runtimes, worker,
                                  _progress_printer(total) if cfg.progress else None)
    machine["runtimes"] = {}
    for rt in dict.fromkeys(r["runtime"] for r in rows):
        w = workers.get(rt)
        machine["runtimes"][rt] = (report.runtime_version(rt) if w is None else
                                   f"{w['runtime_version']} (worker: Python {w['python']}, "
                                   f"numpy {w['numpy']}, {w['executable']})")
    print(f"edge-bench latency on {report.device_id(machine)}")
    print(report.format_machine(machine))
    print(f"\ninvoke latency (set_tensor + invoke + get_tensor), warm-up {cfg.warmup_runs}, "
          f"runs {cfg.runs}; load = interpreter + allocate_tensors")
    print(report.format_table(rows, COLUMNS))
    if not any(r["ratio_vs_float32"] is not None for r in rows):
        print("(no float32 bundle of the same task and input shape: ratios are '-'; add e.g. "
              "--model digits-float32)")
    for line in sorted({f"accuracy of {r['model']}: {r['accuracy_data']}" for r in rows
                        if r.get("accuracy_data")}):
        print(line)
    extra: dict[str, Any] = {}
    failed = False
    if ref_rows is not None:
        cmp = report.compare_with_reference(rows, ref_rows, cfg.tolerance, key=ROW_KEY)
        print()
        print(report.format_comparison(cmp, str(cfg.compare), cfg.tolerance, key=ROW_KEY))
        extra["reference"] = {"file": str(cfg.compare), "tolerance": cfg.tolerance,
                              "comparison": cmp}
        failed = any(c["status"] == "slower" for c in cmp)
    if cfg.op_profile:
        extra["op_profile"] = _op_profiles(cfg, runtimes, workers)
    if cfg.out:
        print()
        for line in write_results(cfg.out, rows, machine, cfg, **extra):
            print(line)
        if cfg.op_profile:
            print(f"wrote {_write_op_profiles(Path(cfg.out), extra['op_profile'])}")
    return 1 if cfg.check and failed else 0


def _op_profiles(cfg: LatencyConfig, runtimes: Sequence[str], workers: dict[str, Any]
                 ) -> list[dict[str, Any]]:
    """:func:`benchmarks.op_profile.op_profile` of each model, on the first runtime run here."""
    from benchmarks import op_profile as op

    rt = next((r for r in runtimes if r not in workers and r != "auto"), None)
    if rt is None:
        print("note: --op-profile needs a runtime in this environment; skipped")
        return []
    out = []
    for m in dict.fromkeys(cfg.models):
        try:
            p = op.op_profile(load_bundle(m), rt, cfg.threads[0])
        except (ImportError, BundleError, ValueError) as e:
            print(f"note: op profile of {m} skipped: {e}")
            continue
        print()
        print(op.format_profile(p))
        out.append(p)
    if out:
        print(op.PER_OP_TIMES_NOTE)
    return out


def _write_op_profiles(out: Path, profiles: list[dict[str, Any]]) -> Path:
    from benchmarks import op_profile as op

    md = out / "ops.md"
    md.write_text("# Op profile\n\n" + "\n\n".join(op.format_profile(p, markdown=True)
                                                   for p in profiles)
                  + f"\n\n{op.PER_OP_TIMES_NOTE}\n", encoding="utf-8")
    (out / "ops.json").write_text(json.dumps(report.jsonable(profiles), indent=2) + "\n",
                                  encoding="utf-8")
    return md


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        sys.exit(worker_main())
    sys.exit("usage: python -m benchmarks.latency_compare --worker  (edge-bench latency runs it)")
