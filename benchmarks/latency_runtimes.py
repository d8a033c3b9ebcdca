"""Which TFLite runtimes ``edge-bench latency`` times: names, what is installed, the worker Python.

``--runtime`` takes ``auto`` (the first installed, as ``edge-run``), ``all`` (every
installed one) or a package name. A runtime this interpreter cannot import
(tflite-runtime 2.14 needs numpy<2) can run in a worker process of another Python
(:mod:`benchmarks.runtime_env`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

#: Runtimes ``--runtime`` accepts: ``auto`` (the first installed, as ``edge-run``),
#: ``all`` (every installed one) or a package name; ``tf`` is short for ``tensorflow``.
RUNTIME_MODULES = {"litert": "ai_edge_litert", "tflite-runtime": "tflite_runtime", "tensorflow": "tensorflow"}


RUNTIME_ALIASES = {"tf": "tensorflow", "ai-edge-litert": "litert", "tflite_runtime": "tflite-runtime"}


RUNTIME_CHOICES = ("auto", "all", *RUNTIME_MODULES, *RUNTIME_ALIASES)


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


def resolve_runtimes(requested: Sequence[str], worker: Path | None = None) -> tuple[list[str], list[str]]:
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
                    hint = (
                        " (or pass --tflite-runtime-python auto|PYTHON to run it in another environment)"
                        if c == "tflite-runtime"
                        else ""
                    )
                    notes.append(
                        f"note: runtime {c} is not installed (no module {RUNTIME_MODULES[c]}){hint}; skipped"
                    )
                continue
            if c not in out:
                out.append(c)
    return out, notes


def runtime_worker(requested: Sequence[str], python: str | None) -> Path | None:
    """The worker Python for tflite-runtime rows, when they are asked for and it cannot be imported here.

    Args:
        requested: the ``--runtime`` values.
        python: ``--tflite-runtime-python`` (see :func:`benchmarks.runtime_env.worker_python`).

    Returns:
        The worker's ``python``, or ``None`` (tflite-runtime importable here, not
        requested, or no worker environment).

    Raises:
        ValueError: an unknown runtime or a bad ``python`` path.
        RuntimeError: ``"auto"`` and the environment cannot be built.
    """
    from benchmarks.runtime_env import worker_python

    if runtime_installed("tflite-runtime"):
        return None
    wants_trt = any(normalise_runtime(r) in ("all", "tflite-runtime") for r in requested)
    return worker_python(python) if wants_trt else None


__all__ = [
    "RUNTIME_ALIASES",
    "RUNTIME_CHOICES",
    "RUNTIME_MODULES",
    "normalise_runtime",
    "resolve_runtimes",
    "runtime_installed",
    "runtime_worker",
]
