"""``edge-bench latency``: the command's printing and result files.

Prints the machine, progress lines, the table of :func:`benchmarks.latency_compare.bench_latency`
and the ``--compare`` check; writes ``latency.csv``, ``.json``, ``.md`` and ``.png``
(and ``ops.md``, ``ops.json`` with ``--op-profile``) into ``--out``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.latency_compare import ROW_KEY, LatencyConfig, Progress, bench_latency
from benchmarks.latency_runtimes import resolve_runtimes, runtime_worker
from benchmarks.machine import describe_machine, device_id, format_machine, runtime_version
from benchmarks.reference import (
    compare_with_reference,
    cpu_difference,
    format_comparison,
    read_reference_machine,
    read_reference_rows,
    resolve_reference,
)
from edge.bundle import SHIPPED, BundleError, load_bundle

#: Columns of the text and markdown tables: (key, header, format).
COLUMNS: list[tuple[str, str, str]] = [
    ("model", "model", ""),
    ("quant", "quant", ""),
    ("runtime", "runtime", ""),
    ("threads", "thr", ""),
    ("batch", "batch", ""),
    ("size_kb", "size KB", ".1f"),
    ("load_ms", "load ms", ".2f"),
    ("median_ms", "median ms", ".4f"),
    ("p90_ms", "p90 ms", ".4f"),
    ("p99_ms", "p99 ms", ".4f"),
    ("mean_ms", "mean ms", ".4f"),
    ("std_ms", "std ms", ".4f"),
    ("ratio_vs_float32", "x float32", ".2f"),
    ("size_ratio_vs_float32", "size x f32", ".2f"),
    ("accuracy", "accuracy", ".2%"),
    ("accuracy_n", "acc n", ""),
]


#: Accuracies within this much (fraction, 0.001 = 0.1 percentage point) count as equal for
#: the recommendation.
EQUAL_ACCURACY = 0.001


def recommend(rows: Sequence[dict[str, Any]], tolerance: float = EQUAL_ACCURACY) -> list[dict[str, Any]]:
    """The file to use per network and setting: the fastest at equal accuracy.

    Rows are grouped by network (``network``: the source model the files were converted
    from, e.g. int8 and float32 twins; else the family, task and input shape), runtime,
    threads and batch; in each group with more than one file, the candidates are the rows whose
    ``accuracy`` is within ``tolerance`` of the group's best (all rows when none was
    measured), and the one with the lowest ``median_ms`` is recommended.

    Args:
        rows: latency rows (``model``, ``quant``, ``runtime``, ``threads``, ``batch``,
            ``median_ms``, optional ``accuracy``, ``network`` and ``family``).
        tolerance: accuracy difference (fraction) still counted as equal.

    Returns:
        One dict per group: ``model``, ``quant``, ``median_ms``, ``accuracy`` (or
        ``None``), ``runtime``, ``threads``, ``batch``, ``others`` (the other rows'
        ``(model, median_ms, accuracy)``) and ``accuracy_measured``.
    """
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        key = (str(r.get("network") or r.get("family")), r["runtime"], r["threads"], r["batch"])
        groups.setdefault(key, []).append(r)
    out = []
    for members in groups.values():
        if len({m["model"] for m in members}) < 2:
            continue
        accs = [m["accuracy"] for m in members if m.get("accuracy") is not None]
        best_acc = max(accs) if accs else None
        pool = [
            m
            for m in members
            if best_acc is None or (m.get("accuracy") is not None and m["accuracy"] >= best_acc - tolerance)
        ]
        pick = min(pool, key=lambda m: m["median_ms"])
        out.append(
            {
                "model": pick["model"],
                "quant": pick["quant"],
                "median_ms": pick["median_ms"],
                "accuracy": pick.get("accuracy"),
                "runtime": pick["runtime"],
                "threads": pick["threads"],
                "batch": pick["batch"],
                "accuracy_measured": best_acc is not None,
                "others": [(m["model"], m["median_ms"], m.get("accuracy")) for m in members if m is not pick],
            }
        )
    return out


def source_network(bundle_dir: str | None) -> str | None:
    """The source model a bundle was converted from (``model.json`` ``source_model.sha256``,
    first 12 hex digits), or ``None`` when it does not say or cannot be read."""
    if not bundle_dir:
        return None
    try:
        src = load_bundle(bundle_dir).meta.get("source_model")
    except (BundleError, OSError, ValueError):
        return None
    sha = src.get("sha256") if isinstance(src, dict) else None
    return str(sha)[:12] if sha else None


def format_recommendation(rec: dict[str, Any]) -> str:
    """``recommended: <model> (<quant>, fastest at equal accuracy ...)`` for one group."""
    what = "fastest at equal accuracy" if rec["accuracy_measured"] else "fastest; accuracy not measured"
    acc = f", accuracy {rec['accuracy']:.2%}" if rec["accuracy"] is not None else ""
    others = "; ".join(
        f"{m} {ms:.4f} ms" + (f" {a:.2%}" if a is not None else "") for m, ms, a in rec["others"]
    )
    return (
        f"recommended: {rec['model']} ({rec['quant']}, {what}: median {rec['median_ms']:.4f} ms{acc}; "
        f"{rec['runtime']} t{rec['threads']} b{rec['batch']}; others: {others})"
    )


def default_note(rec: dict[str, Any]) -> str | None:
    """Whether ``--model digits`` (:data:`edge.bundle.SHIPPED`, by :func:`edge.cpu_quant.fastest_quant`)
    takes the recommended file on this CPU, for a group holding the default's file (the note names the
    group: runtime, threads, batch); else ``None``."""
    default = SHIPPED["digits"]
    if default not in {rec["model"], *(m for m, _, _ in rec["others"])}:
        return None
    group = f"{rec['runtime']} t{rec['threads']} b{rec['batch']}"
    if rec["model"] == default:
        return f"{group}: --model digits takes {default} on this CPU, the recommended file"
    return (
        f"{group}: --model digits takes {default} on this CPU (edge.cpu_quant's rule), but this run "
        f"found {rec['model']} faster: pass --model {rec['model']}"
    )


def format_markdown(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, str]] = COLUMNS) -> str:
    """A GitHub markdown table of the rows (:func:`benchmarks.report.format_markdown`)."""
    return report.format_markdown(rows, columns)


def row_label(r: dict[str, Any]) -> str:
    """A chart label: model, then runtime, threads and (if not 1) batch."""
    return f"{r['model']}\n{r['runtime']} t{r['threads']}" + (f" b{r['batch']}" if r["batch"] != 1 else "")


QUANT_COLOURS = {"float32": "tab:blue", "float16": "tab:orange", "dynamic": "tab:green", "int8": "tab:red"}


def write_png(path: Path, rows: Sequence[dict[str, Any]], title: str) -> Path | None:
    """A bar chart of median ms per row, whiskers up to p99; ``None`` without matplotlib."""
    ratios = [r.get("ratio_vs_float32") for r in rows]
    return report.bar_chart(
        path,
        [row_label(r) for r in rows],
        [r["median_ms"] for r in rows],
        [r["p99_ms"] for r in rows],
        title=title,
        axis_label="invoke latency, ms (bar: median, whisker: p99)",
        colours=[QUANT_COLOURS.get(r["quant"], "tab:gray") for r in rows],
        notes=[f"{x:.2f}x" if x is not None else None for x in ratios],
        legend={q: c for q, c in QUANT_COLOURS.items() if any(r["quant"] == q for r in rows)},
    )


def write_results(
    out: str | Path, rows: list[dict[str, Any]], machine: dict[str, Any], cfg: LatencyConfig, **extra: Any
) -> list[str]:
    """Write ``latency.csv``, ``.json``, ``.md`` and ``.png`` into ``out``.

    Returns:
        Lines to print (what was written, or why the PNG was skipped).
    """
    runs = f"{cfg.seconds:g} s per row" if cfg.seconds else f"runs {cfg.runs}"
    title = (
        f"edge-bench latency on {device_id(machine)} ({machine.get('cpu')}): invoke, "
        f"warm-up {cfg.warmup_runs}, {runs}"
    )
    footer = (
        "ratio: median / the float32 bundle's median of the same task and input shape, "
        "runtime, threads and batch. accuracy: of each file, on "
        + "; ".join(sorted({f"{r['model']}: {r['accuracy_data']}" for r in rows if r.get("accuracy_data")}))
        + ".\n"
    )
    cmp = extra.get("reference", {}).get("comparison")
    if cmp:
        footer += (
            "\n## Compared with "
            + str(extra["reference"]["file"])
            + "\n\n"
            + report.format_markdown(
                cmp,
                [
                    *((k, k, "") for k in ROW_KEY),
                    ("ms", "median ms", ".4f"),
                    ("reference_ms", "ref ms", ".4f"),
                    ("ratio", "ratio", ".2f"),
                    ("status", "status", ""),
                ],
            )
        )
    return report.write_results_folder(
        out,
        "latency",
        rows,
        machine,
        asdict(cfg),
        title=title,
        columns=COLUMNS,
        footer=footer,
        chart=lambda p: write_png(p, rows, title),
        **extra,
    )


def _progress_printer(total: int) -> Progress:
    """A :data:`benchmarks.latency_compare.Progress` printing ``[i/total]`` lines on stderr."""
    done = [0]

    def show(r: dict[str, Any]) -> None:
        done[0] += 1
        print(
            f"[{done[0]}/{total}] {r['model']} {r['runtime']} threads={r['threads']} "
            f"batch={r['batch']}: median {r['median_ms']:.4f} ms, p99 {r['p99_ms']:.4f} ms",
            file=sys.stderr,
            flush=True,
        )

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
    ref_path = resolve_reference(cfg.compare) if cfg.compare else None
    ref_rows = read_reference_rows(ref_path) if ref_path is not None else None
    worker = runtime_worker(cfg.runtimes, cfg.tflite_runtime_python)
    runtimes, notes = resolve_runtimes(cfg.runtimes, worker)
    for n in notes:
        print(n)
    if not runtimes:
        raise ValueError(
            f"none of the requested runtimes {cfg.runtimes} is installed; pip install ai-edge-litert"
        )
    # described before timing, so the load average is the other programs' load, not ours
    machine = describe_machine(
        runtime=runtimes[0] if runtimes[0] != "auto" else None,
        model_name=", ".join(cfg.models),
        threads=list(cfg.threads),
    )
    total = len(cfg.models) * len(runtimes) * len(cfg.threads) * len(cfg.batch)
    rows, workers = bench_latency(cfg, runtimes, worker, _progress_printer(total) if cfg.progress else None)
    machine["runtimes"] = {}
    for rt in dict.fromkeys(r["runtime"] for r in rows):
        w = workers.get(rt)
        machine["runtimes"][rt] = (
            runtime_version(rt)
            if w is None
            else f"{w['runtime_version']} (worker: Python {w['python']}, "
            f"numpy {w['numpy']}, {w['executable']})"
        )
    print(f"edge-bench latency on {device_id(machine)}")
    print(format_machine(machine))
    print(
        f"\ninvoke latency (set_tensor + invoke + get_tensor), warm-up {cfg.warmup_runs}, "
        f"runs {cfg.runs}; load = interpreter + allocate_tensors"
    )
    print(report.format_table(rows, COLUMNS))
    if not any(r["ratio_vs_float32"] is not None for r in rows):
        print(
            "(no float32 bundle of the same task and input shape: ratios are '-'; add e.g. "
            "--model digits-float32)"
        )
    for line in sorted(
        {f"accuracy of {r['model']}: {r['accuracy_data']}" for r in rows if r.get("accuracy_data")}
    ):
        print(line)
    extra: dict[str, Any] = {}
    for r in rows:
        r.setdefault("network", source_network(r.get("bundle")))
    recs = recommend(rows)
    if recs:
        print()
        for rec in recs:
            print(format_recommendation(rec))
        for note in dict.fromkeys(n for n in map(default_note, recs) if n):
            print(note)
        extra["recommended"] = recs
    failed = False
    if ref_rows is not None:
        assert ref_path is not None
        other_cpu = cpu_difference(machine, read_reference_machine(ref_path))
        cmp = compare_with_reference(rows, ref_rows, cfg.tolerance, key=ROW_KEY, other_cpu=other_cpu)
        print()
        print(format_comparison(cmp, str(cfg.compare), cfg.tolerance, key=ROW_KEY, other_cpu=other_cpu))
        extra["reference"] = {
            "file": str(cfg.compare),
            "tolerance": cfg.tolerance,
            "other_cpu": other_cpu,
            "comparison": cmp,
        }
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


def _op_profiles(
    cfg: LatencyConfig, runtimes: Sequence[str], workers: dict[str, Any]
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
    """``ops.md`` and ``ops.json`` of the op profiles in ``out``; returns the ``ops.md`` path."""
    from benchmarks import op_profile as op

    md = out / "ops.md"
    md.write_text(
        "# Op profile\n\n"
        + "\n\n".join(op.format_profile(p, markdown=True) for p in profiles)
        + f"\n\n{op.PER_OP_TIMES_NOTE}\n",
        encoding="utf-8",
    )
    (out / "ops.json").write_text(json.dumps(report.jsonable(profiles), indent=2) + "\n", encoding="utf-8")
    return md


__all__ = [
    "COLUMNS",
    "EQUAL_ACCURACY",
    "format_recommendation",
    "recommend",
    "source_network",
    "QUANT_COLOURS",
    "format_markdown",
    "row_label",
    "run_latency",
    "write_png",
    "write_results",
]
