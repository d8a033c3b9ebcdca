"""The runtime's failures as one-line :class:`edge.bundle.BundleError` s: a model the
runtime cannot prepare or run, and Flex (select TF ops) bundles on a light runtime.

Split from :mod:`edge.runtime` (which re-exports :func:`prepare` and :func:`one_line`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from edge.bundle import BundleError, ModelBundle

log = logging.getLogger("edge.runtime")

FLEX_HELP = (
    "{path} needs TensorFlow (Flex, select TF) ops (model.json requires_flex), which {runtime} "
    "cannot run: run it with --runtime tensorflow where TensorFlow has the Flex delegate, or "
    "re-convert without --select-tf-ops"
)


def flex_runtime(bundle: ModelBundle, runtime: str) -> str:
    """The runtime for a bundle: ``tensorflow`` for a Flex bundle under ``auto``; a light runtime
    asked for explicitly is refused with the fix (it cannot run Flex ops).

    Raises:
        BundleError: a Flex bundle and ``litert``/``tflite-runtime``.
    """
    if not bundle.meta.get("requires_flex"):
        return runtime
    if runtime == "auto":
        log.warning("%s needs Flex (select TF) ops: using the tensorflow runtime", bundle.path)
        return "tensorflow"
    if runtime != "tensorflow":
        raise BundleError(FLEX_HELP.format(path=bundle.path, runtime=runtime))
    return runtime


def one_line(e: BaseException, limit: int = 300) -> str:
    """An exception's message on one line (the runtimes' messages span several), at most ``limit`` chars."""
    s = " ".join(str(e).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def prepare(interp: Any, model_path: str | Path, what: str = "allocate_tensors") -> None:
    """``interp.allocate_tensors()``, with the runtime's failure as a one-line :class:`BundleError`.

    Raises:
        BundleError: the runtime cannot prepare the model (a corrupt file whose flatbuffer
            parses, e.g. a quantisation parameter no kernel accepts); names ``model_path``.
    """
    try:
        interp.allocate_tensors()
    except (RuntimeError, ValueError) as e:
        raise BundleError(
            f"{model_path}: the runtime cannot prepare the model ({what}: {one_line(e)}); the file is "
            "corrupt or uses ops or types this runtime lacks: rebuild it with edge-convert"
        ) from e
