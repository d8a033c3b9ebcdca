"""``edge-bench latency --op-profile``: where a model's work is, op by op.

The Python TFLite runtimes (ai-edge-litert, tflite-runtime, ``tf.lite``) expose no
per-op timer: TFLite's ``benchmark_model --enable_op_profiling=true`` is the tool for
measured per-op times. What Python can show, and this module reports:

- the model's ops as the interpreter's kernels run them (``_get_ops_details`` of an
  interpreter built without default delegates): op type, count, operand dtypes;
- multiply-accumulates (MACs) of each op from its tensor shapes, as an estimate of its
  share of the work (``CONV_2D``: out H x W x C_out x k_h x k_w x C_in;
  ``DEPTHWISE_CONV_2D``: out H x W x C_out x k_h x k_w; ``FULLY_CONNECTED``: rows x
  out x in; other ops: 0 MACs, their output element count is given instead);
- measured ``invoke`` medians with the runtime's default delegate (XNNPACK in
  ai-edge-litert) and with the builtin kernels alone, so the delegate's effect on this
  CPU is a number, not a guess.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks import report
from benchmarks.latency import bench_invoke
from edge.bundle import BundleError, ModelBundle

#: The module holding each runtime's ``Interpreter`` and ``OpResolverType``.
INTERPRETER_MODULES = {
    "litert": "ai_edge_litert.interpreter",
    "tflite-runtime": "tflite_runtime.interpreter",
    "tensorflow": "tensorflow.lite.python.interpreter",
}

COLUMNS: list[tuple[str, str, str]] = [
    ("op", "op", ""),
    ("count", "count", "d"),
    ("dtypes", "dtypes", ""),
    ("macs", "MACs", ",d"),
    ("mac_share", "share of MACs", ".1%"),
    ("output_elements", "output elements", ",d"),
]


def builtin_interpreter(bundle: ModelBundle, runtime: str, threads: int | None) -> Any:
    """An interpreter of ``bundle`` without the runtime's default delegates, tensors allocated.

    Raises:
        ValueError: ``runtime`` is not one of :data:`INTERPRETER_MODULES`.
        ImportError: the runtime is not installed.
        BundleError: the runtime cannot load the file.
    """
    if runtime not in INTERPRETER_MODULES:
        raise ValueError(
            f"op profile: unknown runtime {runtime!r}; use one of {', '.join(INTERPRETER_MODULES)}"
        )
    mod = importlib.import_module(INTERPRETER_MODULES[runtime])
    try:
        interp = mod.Interpreter(
            model_path=str(bundle.model_path),
            num_threads=threads,
            experimental_op_resolver_type=mod.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
        interp.allocate_tensors()
    except (ValueError, RuntimeError) as e:
        raise BundleError(f"{runtime} cannot load {bundle.model_path}: {e}") from e
    return interp


def op_macs(op: str, inputs: Sequence[tuple[int, ...]], output: tuple[int, ...]) -> int:
    """Multiply-accumulates of one op from its shapes (0 for ops without a weight tensor).

    Args:
        op: TFLite builtin op name (``CONV_2D`` ...).
        inputs: shapes of the op's inputs (activation, weights, [bias]).
        output: shape of its first output, NHWC for convolutions.
    """
    if len(inputs) < 2 or not output:
        return 0
    w = inputs[1]
    if op == "CONV_2D" and len(w) == 4 and len(output) == 4:
        n, h, wd, c_out = output
        return int(n * h * wd * c_out * w[1] * w[2] * w[3])
    if op == "DEPTHWISE_CONV_2D" and len(w) == 4 and len(output) == 4:
        n, h, wd, c_out = output
        return int(n * h * wd * c_out * w[1] * w[2])
    if op == "FULLY_CONNECTED" and len(w) == 2:
        rows = int(np.prod(output[:-1])) if len(output) > 1 else 1
        return int(rows * w[0] * w[1])
    return 0


def profile_ops(interp: Any) -> list[dict[str, Any]]:
    """One row per op type, heaviest first: ``op``, ``count``, ``dtypes`` (of the first
    input), ``macs``, ``mac_share`` and ``output_elements``."""
    shapes = {t["index"]: tuple(int(v) for v in t["shape"]) for t in interp.get_tensor_details()}
    by_op: dict[str, dict[str, Any]] = {}
    for op in interp._get_ops_details():  # noqa: SLF001 - the runtimes' only op listing
        name = op["op_name"]
        ins = [shapes.get(int(i), ()) for i in op["inputs"] if int(i) >= 0]
        out = shapes.get(int(op["outputs"][0]), ()) if len(op["outputs"]) else ()
        types = op.get("operand_types") or []
        row = by_op.setdefault(
            name, {"op": name, "count": 0, "dtypes": set(), "macs": 0, "output_elements": 0}
        )
        row["count"] += 1
        if types:
            row["dtypes"].add(np.dtype(types[0]).name)
        row["macs"] += op_macs(name, ins, out)
        row["output_elements"] += int(np.prod(out)) if out else 0
    total = sum(r["macs"] for r in by_op.values())
    rows = []
    for r in by_op.values():
        rows.append(
            {**r, "dtypes": ",".join(sorted(r["dtypes"])), "mac_share": r["macs"] / total if total else None}
        )
    return sorted(rows, key=lambda r: (-r["macs"], -r["output_elements"], r["op"]))


def op_profile(
    bundle: ModelBundle, runtime: str, threads: int | None = 1, *, runs: int = 200, warmup: int = 20
) -> dict[str, Any]:
    """The op table of ``bundle`` and its invoke median with and without the default delegate.

    Returns:
        ``{"model", "runtime", "threads", "ops": [rows of profile_ops], "total_macs",
        "invoke_median_ms_default", "invoke_median_ms_builtin", "delegate_speedup"}``
        (speedup = builtin / default median; ``None`` when a timing failed).

    Raises:
        ImportError, BundleError, ValueError: as :func:`builtin_interpreter`.
    """
    interp = builtin_interpreter(bundle, runtime, threads)
    ops = profile_ops(interp)
    default = bench_invoke(bundle, threads=threads, runtime=runtime, warmup=warmup, runs=runs)
    builtin = _time_builtin(interp, bundle, runs, warmup)
    d_ms = default.stats.median_ms
    return {
        "model": bundle.name,
        "runtime": runtime,
        "threads": threads,
        "ops": ops,
        "total_macs": sum(r["macs"] for r in ops),
        "invoke_median_ms_default": d_ms,
        "invoke_median_ms_builtin": builtin,
        "delegate_speedup": builtin / d_ms if d_ms > 0 else None,
    }


def _time_builtin(interp: Any, bundle: ModelBundle, runs: int, warmup: int) -> float:
    from benchmarks.latency import make_inputs
    from benchmarks.latency_stats import summarize, time_calls
    from edge.bundle import QuantParams
    from edge.runtime import quantize

    ind, outd = interp.get_input_details()[0], interp.get_output_details()[0]
    scale, zp = ind.get("quantization", (0.0, 0))
    x = quantize(make_inputs(bundle, 1, 0), QuantParams(float(scale), int(zp)), np.dtype(ind["dtype"]))

    def call() -> None:
        interp.set_tensor(ind["index"], x)
        interp.invoke()
        interp.get_tensor(outd["index"])

    _, timed = time_calls(call, runs, warmup, False)
    return summarize(timed).median_ms


def format_profile(p: dict[str, Any], markdown: bool = False) -> str:
    """One model's profile as a text (or markdown) table with its delegate line."""
    head = (
        f"{p['model']} ({p['runtime']}, {p['threads']} thread(s)): {p['total_macs']:,} MACs; "
        f"invoke median {p['invoke_median_ms_default']:.4f} ms with the default delegate, "
        f"{p['invoke_median_ms_builtin']:.4f} ms with builtin kernels only "
        f"(x{p['delegate_speedup']:.2f})"
    )
    table = report.format_markdown(p["ops"], COLUMNS) if markdown else report.format_table(p["ops"], COLUMNS)
    return f"{head}\n\n{table}" if markdown else f"{head}\n{table}"


PER_OP_TIMES_NOTE = (
    "Per-op times: the Python runtimes expose no op timer; run TFLite's "
    "benchmark_model --graph=<bundle>/model.tflite --enable_op_profiling=true "
    "for measured per-op times. MACs estimate each op's share of the work."
)
