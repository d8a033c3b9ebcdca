"""``edge-bench latency``, the measurement: bundles x runtimes x threads, side by side (GitHub issue 5).

For every model bundle (float32, float16, dynamic-range, int8 files of one model ...),
every requested TFLite runtime that is installed and every thread count, it takes the
interpreter's load time (construction + ``allocate_tensors``), then times ``invoke``
after a warm-up with :func:`benchmarks.latency.bench_invoke` (the same loop as
``edge-bench model``), and reports median, p90, p99, mean and std in ms, the model
size and each row's ratio to the float32 bundle of the same model family.

A model family is (task, input shape): in one invocation, the bundles whose
``model.json`` says quantisation ``float32`` are the baseline of every other bundle
with the same task and input shape, for the same runtime, threads and batch.

Each row also carries the accuracy of its file where the data is present, else the
accuracy ``model.json`` recorded when the file was converted (:mod:`benchmarks.file_accuracy`).

Runtimes this interpreter cannot import (:mod:`benchmarks.latency_runtimes`) are run
in a worker process of another Python (:mod:`benchmarks.runtime_env`): tflite-runtime
2.14 needs numpy<2, TensorFlow 2.21 numpy 2, so on a laptop with both the
tflite-runtime rows come from a small cached virtualenv, timed by the same
:func:`~benchmarks.latency.bench_invoke` on the same file.

The command (:mod:`benchmarks.cli_latency`) writes ``latency.csv``, ``latency.json``,
``latency.md`` and ``latency.png`` (matplotlib, imported only then) in ``--out``;
``--op-profile`` adds ``ops.md`` and ``ops.json``; ``--compare FILE`` compares medians
with an earlier ``latency.csv`` or ``latency.json`` (or a shipped reference) row by row.
"""

from __future__ import annotations

import contextlib
import json
import logging
import platform
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.file_accuracy import file_accuracy
from benchmarks.latency import bench_invoke
from benchmarks.latency_runtimes import runtime_installed
from benchmarks.machine import runtime_version
from benchmarks.reference import REFERENCE_TOLERANCE
from edge.bundle import ModelBundle, load_bundle
from edge.runtime import make_interpreter

log = logging.getLogger(__name__)

#: The baseline quantisation of the ratios.
BASELINE_QUANT = "float32"
#: Identity of a latency row, for ``--compare``.
ROW_KEY = ("model", "quant", "runtime", "threads", "batch")
#: ``--model`` names that stand for several bundles: ``hands-pretrained``, the four MediaPipe
#: files ``edge-models fetch hands`` writes (palm detection and hand landmarks, lite and full).
MODEL_GROUPS: dict[str, tuple[str, ...]] = {
    "hands-pretrained": (
        "mediapipe-palm-detection-lite",
        "mediapipe-palm-detection-full",
        "mediapipe-hand-landmark-lite",
        "mediapipe-hand-landmark-full",
    ),
}


def expand_models(models: Sequence[str]) -> list[str]:
    """``models`` with the names of :data:`MODEL_GROUPS` replaced by their bundles, in order,
    each bundle once."""
    out: list[str] = []
    for m in models:
        out += MODEL_GROUPS.get(m, (m,))
    return list(dict.fromkeys(out))


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
    tolerance: float = REFERENCE_TOLERANCE
    check: bool = False
    progress: bool = True


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
        r["ratio_vs_float32"] = (
            r["median_ms"] / b["median_ms"] if b is not None and b["median_ms"] > 0 else None
        )
        r["size_ratio_vs_float32"] = (
            r["size_bytes"] / b["size_bytes"] if b is not None and b["size_bytes"] else None
        )
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


def time_rows(
    bundles: Sequence[ModelBundle],
    runtime: str,
    threads: Sequence[int],
    batch: Sequence[int],
    *,
    warmup: int,
    runs: int,
    disable_gc: bool = False,
    seconds: float | None = None,
    progress: Progress | None = None,
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
                r = bench_invoke(
                    b, threads=t, runtime=runtime, batch=n, warmup=warmup, runs=n_runs, disable_gc=disable_gc
                )
                s = r.stats
                rows.append(
                    {
                        "model": b.name,
                        "bundle": str(b.path),
                        "quant": quant,
                        "family": f"{fam[0]}:{'x'.join(map(str, fam[1]))}",
                        "runtime": r.runtime,
                        "threads": t,
                        "batch": n,
                        "warmup": warmup,
                        "runs": n_runs,
                        "size_bytes": size,
                        "size_kb": size / 1024,
                        "load_ms": r.init_ms,
                        "warmup_avg_ms": r.warmup_avg_ms,
                        "count": s.count,
                        "median_ms": s.median_ms,
                        "p90_ms": s.p90_ms,
                        "p99_ms": s.p99_ms,
                        "mean_ms": s.mean_ms,
                        "std_ms": s.std_ms,
                        "min_ms": s.min_ms,
                        "max_ms": s.max_ms,
                    }
                )
                if progress is not None:
                    progress(rows[-1])
    return rows


def time_rows_in_worker(
    python: str | Path,
    bundles: Sequence[ModelBundle],
    runtime: str,
    cfg: LatencyConfig,
    progress: Progress | None = None,
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
        payload = {
            "models": [str(b.path) for b in bundles],
            "runtime": runtime,
            "threads": list(cfg.threads),
            "batch": list(cfg.batch),
            "warmup": cfg.warmup_runs,
            "runs": cfg.runs,
            "seconds": cfg.seconds,
            "disable_gc": cfg.disable_gc,
            "result": str(result),
        }
        cmd = [str(python), "-m", "benchmarks.latency_compare", "--worker"]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=worker_env(),
        )
        assert proc.stdin is not None and proc.stderr is not None
        with contextlib.suppress(BrokenPipeError):  # died before reading: stderr says why
            proc.stdin.write(json.dumps(payload))
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        tail: deque[str] = deque(maxlen=25)
        for line in proc.stderr:
            if line.startswith(_PROGRESS_TAG):
                if progress is not None:
                    progress(json.loads(line[len(_PROGRESS_TAG) :]))
            else:
                tail.append(line.rstrip())
        code = proc.wait()
        if code != 0 or not result.is_file():
            raise RuntimeError(
                f"the {runtime} worker ({python}) failed with exit code {code}:\n" + "\n".join(tail)
            )
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
    rows = time_rows(
        bundles,
        job["runtime"],
        job["threads"],
        job["batch"],
        warmup=job["warmup"],
        runs=job["runs"],
        disable_gc=job["disable_gc"],
        seconds=job.get("seconds"),
        progress=progress,
    )
    info = {
        "python": platform.python_version(),
        "executable": sys.executable,
        "numpy": np.__version__,
        "runtime_version": runtime_version(job["runtime"]),
    }
    Path(job["result"]).write_text(json.dumps({"rows": rows, "info": info}), encoding="utf-8")
    return 0


def bench_latency(
    cfg: LatencyConfig, runtimes: Sequence[str], worker: Path | None = None, progress: Progress | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
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
            by_rt[rt] = time_rows(
                bundles,
                rt,
                cfg.threads,
                cfg.batch,
                warmup=cfg.warmup_runs,
                runs=cfg.runs,
                disable_gc=cfg.disable_gc,
                seconds=cfg.seconds,
                progress=progress,
            )
    local = next((rt for rt in runtimes if rt not in workers), "auto")
    rows: list[dict[str, Any]] = []
    for b in bundles:
        acc = file_accuracy(b, cfg, local) if cfg.accuracy else {}
        for rt in runtimes:
            for r in by_rt[rt]:
                if r["bundle"] == str(b.path):
                    rows.append({**r, **acc})
    return add_ratios(rows), workers


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        sys.exit(worker_main())
    sys.exit("usage: python -m benchmarks.latency_compare --worker  (edge-bench latency runs it)")
