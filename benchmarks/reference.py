"""Comparison with a per-device reference: a results file of an earlier run on the same device.

A JSON results file (:func:`benchmarks.report.write_json`) or an ``--out`` folder's
CSV doubles as a reference (pycoral's ``benchmarks/reference`` idea) for
``--reference``; shipped references live in ``benchmarks/reference/``.

A latency compared with one of another CPU says how the machines differ, not whether
the code got slower: an AVX2-only CPU reads 5-10x "slower" than an AVX-512 one on int8
models. :func:`cpu_difference` compares the two machine descriptions (architecture,
CPU name, instruction-set flags); when they differ, or the reference does not record
its flags, :func:`compare_with_reference` marks rows ``other CPU`` instead of
``slower``/``faster`` (so ``--check`` does not fail on them) and
:func:`format_comparison` says why.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.report import format_table, read_csv, read_json

#: Shipped per-device reference files (``<machine>-<cores>core.json``).
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


#: A measurement further than this fraction from its reference median is flagged
#: (pycoral's benchmarks allow 30 %).
REFERENCE_TOLERANCE = 0.30


#: Identity of a result row: rows with the same key are the same measurement.
ROW_KEY = ("benchmark", "metric", "model", "threads", "batch")


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
    raise ValueError(
        f"no reference file {str(ref)!r}: pass a JSON written by edge-bench --json "
        f"or one of the shipped references {names}"
    )


def read_reference_machine(path: str | Path) -> dict[str, Any] | None:
    """The machine description of a reference: a JSON's ``machine``, or for a CSV the one of
    the JSON beside it (``--out`` writes ``latency.csv`` and ``latency.json``); ``None`` if none."""
    p = Path(path)
    if p.suffix.lower() != ".json":
        p = p.with_suffix(".json")
        if not p.is_file():
            return None
    try:
        machine = read_json(p).get("machine")
    except ValueError:
        return None
    return machine if isinstance(machine, dict) else None


def cpu_difference(this: dict[str, Any], reference: dict[str, Any] | None) -> str | None:
    """How the reference's CPU differs from this one, or ``None`` when it is the same kind.

    Args:
        this: this run's :func:`benchmarks.machine.describe_machine`.
        reference: the reference's (``None``: it records no machine, e.g. a bare CSV of
            rows: taken at the user's word as measured on this machine).

    Returns:
        ``None`` when architecture, CPU name and instruction-set flags (``cpu_flags``) all
        match, or the reference describes no machine; otherwise one sentence naming the
        difference, or saying that the reference does not record its CPU's flags (then
        the CPUs cannot be told apart, which counts as different).
    """
    if not reference:
        return None
    if this.get("machine") != reference.get("machine"):
        return f"the reference ran on {reference.get('machine')}, this machine is {this.get('machine')}"
    if this.get("cpu") != reference.get("cpu"):
        return f"the reference ran on {reference.get('cpu')!r}, this CPU is {this.get('cpu')!r}"
    ref_flags, our_flags = reference.get("cpu_flags"), this.get("cpu_flags")
    if ref_flags is None:
        return (
            f"the reference does not record its CPU's instruction sets (cpu_flags), so its "
            f"{reference.get('cpu')!r} cannot be told from this one ({our_flags or 'flags unknown'})"
        )
    if ref_flags != our_flags:
        ref_set, our_set = set(ref_flags.split()), set((our_flags or "").split())
        parts = []
        if ref_set - our_set:
            parts.append(f"the reference's CPU had {' '.join(sorted(ref_set - our_set))}, this one has not")
        if our_set - ref_set:
            parts.append(f"this CPU has {' '.join(sorted(our_set - ref_set))}, the reference's had not")
        return "; ".join(parts) or f"CPU flags differ ({ref_flags!r} vs {our_flags!r})"
    return None


def row_key(row: dict[str, Any], key: Sequence[str] = ROW_KEY) -> tuple[Any, ...]:
    """The identity of a result row (the ``key`` columns), threads/batch as ints or None."""

    def norm(k: str) -> Any:
        v = row.get(k)
        if k in ("threads", "batch") and v not in (None, ""):
            return int(v)
        return None if v == "" else v

    return tuple(norm(k) for k in key)


def read_reference_rows(path: str | Path) -> list[dict[str, Any]]:
    """The result rows of a reference: a ``.csv`` written by :func:`benchmarks.report.write_csv` (an
    ``--out`` folder's ``latency.csv``/``pipeline.csv``) or a JSON by :func:`benchmarks.report.write_json`.

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
            raise ValueError(
                f"{p} has no median_ms column; pass a CSV written by edge-bench "
                "(--out DIR gives DIR/latency.csv or DIR/pipeline.csv)"
            )
        return rows
    return list(read_json(p)["results"])


def compare_with_reference(
    rows: Iterable[dict[str, Any]],
    reference: Sequence[dict[str, Any]],
    tolerance: float = REFERENCE_TOLERANCE,
    field: str = "median_ms",
    key: Sequence[str] = ROW_KEY,
    other_cpu: str | None = None,
) -> list[dict[str, Any]]:
    """Ratio of each result's median to the reference median for the same measurement.

    Args:
        rows: this run's result rows.
        reference: the reference file's result rows.
        tolerance: a ratio outside ``[1 - tolerance, 1 + tolerance]`` is flagged.
        field: the latency column to compare (ms).
        key: the columns that identify a measurement (:data:`ROW_KEY`; ``edge-bench
            latency``: :data:`benchmarks.latency_compare.ROW_KEY`).
        other_cpu: :func:`cpu_difference` of the two machines; when set, a ratio outside
            the tolerance is ``"other CPU"``, never ``"slower"`` or ``"faster"``.

    Returns:
        One dict per row that has a reference: the ``key`` fields, ``ms``,
        ``reference_ms``, ``ratio`` (this / reference: > 1 is slower) and ``status``
        (``"ok"``, ``"slower"``, ``"faster"`` or ``"other CPU"``). A ``pipeline`` row whose
        model the reference lacks is compared with the reference's only model for the same
        measurement (``reference_model`` names it).
    """
    ref = {row_key(r, key): r for r in reference}
    # the pipeline is compared across a change of the default model too (the reference's
    # only model for that measurement): "is today's default pipeline faster than main's?"
    others = [k for k in key if k != "model"]
    by_setting: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in reference:
        if r.get("benchmark") == "pipeline" and "model" in key:
            by_setting.setdefault(row_key(r, others), []).append(r)
    out: list[dict[str, Any]] = []
    for r in rows:
        k = row_key(r, key)
        base = ref.get(k)
        if base is None and r.get("benchmark") == "pipeline":
            same = by_setting.get(row_key(r, others), [])
            base = same[0] if len(same) == 1 else None
        if base is None or base.get(field) in (None, "") or r.get(field) in (None, ""):
            continue
        ms, ref_ms = float(r[field]), float(base[field])
        ratio = ms / ref_ms if ref_ms > 0 else float("inf")
        status = "slower" if ratio > 1 + tolerance else "faster" if ratio < 1 - tolerance else "ok"
        if other_cpu and status != "ok":
            status = "other CPU"
        out.append(
            {
                **dict(zip(key, k, strict=True)),
                "ms": ms,
                "reference_ms": ref_ms,
                "ratio": ratio,
                "status": status,
                **({"reference_model": base.get("model")} if base.get("model") != r.get("model") else {}),
            }
        )
    return out


def format_comparison(
    cmp: Sequence[dict[str, Any]],
    label: str,
    tolerance: float = REFERENCE_TOLERANCE,
    key: Sequence[str] = ROW_KEY,
    other_cpu: str | None = None,
) -> str:
    """The reference comparison as a table (ratio = this run / reference), after a note
    when the reference's CPU is another (``other_cpu``, :func:`cpu_difference`)."""
    note = (
        f"note: {other_cpu}. These ratios compare two machines, not two versions of the code, "
        "so no row is called a regression; record a reference on this machine (--json or "
        "--out) to check for regressions.\n"
        if other_cpu
        else ""
    )
    if not cmp:
        return f"{note}reference {label}: no matching measurements (same {', '.join(key)})"
    cols = [(k, {"benchmark": "bench", "threads": "thr"}.get(k, k), "") for k in key]
    cols += [
        ("ms", "median ms", ".3f"),
        ("reference_ms", "ref ms", ".3f"),
        ("ratio", "ratio", ".2f"),
        ("status", "status", ""),
    ]
    head = f"reference {label} (ratio > 1 is slower, tolerance ±{tolerance:.0%}):\n"
    refs = sorted({str(c["reference_model"]) for c in cmp if c.get("reference_model")})
    ref_note = f"\n(pipeline compared with the reference's model {', '.join(refs)})" if refs else ""
    return note + head + format_table(cmp, cols) + ref_note
