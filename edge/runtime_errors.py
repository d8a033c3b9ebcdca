"""The runtime's messages: its failures as one-line :class:`edge.bundle.BundleError` s (a
model the runtime cannot prepare or run, Flex (select TF ops) bundles on a light runtime)
and its native ``INFO:`` lines held back from the terminal (:func:`quiet_native_info`).

Split from :mod:`edge.runtime` (which re-exports :func:`prepare`, :func:`one_line` and
:func:`quiet_native_info`).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def quiet_native_info() -> Iterator[None]:
    """Hold back native ``INFO:`` lines written to stderr (file descriptor 2) in the block.

    What C/C++ code writes to fd 2 inside the block is caught in a temporary file; on
    exit, lines starting with ``INFO:`` go to this module's debug log and the others are
    written to stderr unchanged, so errors stay visible (after the block, not during it).
    Python's own ``sys.stderr`` writes in the block are caught and passed on the same way.
    Where fd 2 cannot be redirected (closed, or no ``fileno``), the block runs as is.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            kept = []
            for line in caught.read().splitlines(keepends=True):
                if line.startswith(b"INFO:"):
                    log.debug("runtime: %s", line.decode(errors="replace").rstrip())
                else:
                    kept.append(line)
            if kept:
                os.write(2, b"".join(kept))
