"""The TFLite classifier over a model bundle.

A small API over the interpreter in the manner of pycoral's ``adapters.classify``:
input quantised and output dequantised with the tensors' own scale and zero point,
the score-to-label step a pure function (:func:`top_predictions`), several ROIs
classified per ``invoke`` where the model's batch dimension can be resized (up to 32 in
one invoke, :func:`batch_chunks`: no padding rows). That arithmetic lives in
:mod:`edge.runtime_ops` and is re-exported here.

Interpreters, in order of preference: ai-edge-litert (``ai_edge_litert``), the
legacy ``tflite_runtime``, then TensorFlow's deprecated ``tf.lite.Interpreter``.
Each is imported *and constructed* inside its own ``try``, since some fail only at
construction (an op the runtime does not know, a numpy ABI mismatch).

The runtimes' C++ code writes ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.``
straight to file descriptor 2 the first time a process allocates tensors, and offers no
setting to turn it off (``TF_CPP_MIN_LOG_LEVEL`` does not reach it).
:func:`make_interpreter` therefore allocates once inside :func:`quiet_native_info`, which
catches what native code writes to stderr meanwhile: ``INFO:`` lines go to this module's
debug log (``-v`` shows them), every other line (a real error) back to stderr.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edge.bundle import BundleError, ModelBundle, QuantParams, load_bundle
from edge.runtime_errors import FLEX_HELP, flex_runtime, one_line, prepare, quiet_native_info
from edge.runtime_ops import (
    MAX_BATCH,
    Dequantizer,
    batch_bucket,
    batch_chunks,
    dequantize,
    quantize,
    softmax,
    top_predictions,
)
from edge.types import Prediction

log = logging.getLogger(__name__)

__all__ = [
    "RUNTIMES",
    "Classifier",
    "batch_bucket",
    "batch_chunks",
    "dequantize",
    "make_interpreter",
    "one_line",
    "prepare",
    "quantize",
    "quiet_native_info",
    "softmax",
    "top_predictions",
]

RUNTIMES = ("auto", "litert", "tflite-runtime", "tensorflow")


def _litert(path: str, num_threads: int | None) -> Any:
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=path, num_threads=num_threads)


def _tflite_runtime(path: str, num_threads: int | None) -> Any:
    from tflite_runtime.interpreter import Interpreter

    return Interpreter(model_path=path, num_threads=num_threads)


def _tensorflow(path: str, num_threads: int | None) -> Any:
    import tensorflow as tf  # noqa: PLC0415  (only as the last resort)

    return tf.lite.Interpreter(model_path=path, num_threads=num_threads)


_FACTORIES: dict[str, Callable[[str, int | None], Any]] = {
    "litert": _litert,
    "tflite-runtime": _tflite_runtime,
    "tensorflow": _tensorflow,
}


def make_interpreter(
    model_path: str | Path, num_threads: int | None = None, runtime: str = "auto", allocate: bool = True
) -> tuple[Any, str]:
    """Construct a TFLite interpreter, its tensors allocated once (the runtime's INFO line held back).

    Resize inputs and call ``allocate_tensors()`` again as usual; the first allocation is
    made here, inside :func:`quiet_native_info`, because that is when the runtime prints
    ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.``.

    Args:
        model_path: path to a ``.tflite`` file.
        num_threads: CPU threads for the interpreter; ``None`` lets it choose.
        runtime: ``"auto"`` (litert, then tflite-runtime, then tensorflow) or one of
            ``"litert"``, ``"tflite-runtime"``, ``"tensorflow"``.
        allocate: allocate the tensors here (default); ``False`` only reads the model (its
            tensor details), e.g. a Flex file that a light runtime cannot prepare.

    Returns:
        ``(interpreter, runtime_name)``.

    Raises:
        ValueError: unknown ``runtime``.
        BundleError: the file is missing or is not a model the runtime can load
            (corrupt, truncated, or using ops the runtime lacks).
        RuntimeError: no TFLite runtime is installed.
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; choose one of {RUNTIMES}")
    path = str(model_path)
    if not Path(path).is_file():
        raise BundleError(f"model file {path} does not exist")
    names = list(_FACTORIES) if runtime == "auto" else [runtime]
    missing: list[str] = []
    for name in names:
        try:
            with quiet_native_info():
                interp = _FACTORIES[name](path, num_threads)
                if allocate:
                    interp.allocate_tensors()
        except ImportError as e:
            missing.append(f"{name} ({e})")
            continue
        except (ValueError, RuntimeError) as e:
            raise BundleError(
                f"{name} cannot load {path}: {one_line(e)}. The file is corrupt or truncated, or it "
                "uses ops this runtime lacks; rebuild it with edge-convert "
                "(--tflite-runtime-compat for tflite-runtime 2.14)"
            ) from e
        log.debug("interpreter: %s for %s", name, path)
        return interp, name
    raise RuntimeError(
        "no TFLite runtime could be imported: "
        + "; ".join(missing)
        + ". Install one: pip install ai-edge-litert (or the [tflite-runtime] extra)"
    )


def _qparams(detail: dict[str, Any]) -> QuantParams:
    scale, zp = detail.get("quantization", (0.0, 0))
    return QuantParams(scale=float(scale), zero_point=int(zp))


class Classifier:
    """Classify preprocessed ROIs with a bundle's TFLite model.

    Args:
        bundle: a :class:`~edge.bundle.ModelBundle`, a bundle folder, or a shipped name.
        num_threads: interpreter CPU threads (``None``: the runtime's default).
        runtime: see :func:`make_interpreter`.

    Raises:
        BundleError: the model cannot be loaded or its tensors disagree with
            ``model.json`` (shape, dtype, quantisation, number of labels).
    """

    def __init__(
        self,
        bundle: ModelBundle | str | Path,
        num_threads: int | None = None,
        runtime: str = "auto",
    ) -> None:
        self.bundle = bundle if isinstance(bundle, ModelBundle) else load_bundle(bundle)
        self.num_threads = num_threads
        runtime = flex_runtime(self.bundle, runtime)
        self._runtime_choice = runtime
        interp, self.runtime = make_interpreter(self.bundle.model_path, num_threads, runtime)
        try:
            prepare(interp, self.bundle.model_path)
        except BundleError as e:
            if not self.bundle.meta.get("requires_flex"):
                raise
            raise BundleError(FLEX_HELP.format(path=self.bundle.path, runtime=self.runtime)) from e
        self._check(interp)
        # One interpreter per batch bucket (1, 2, 4 ... 32, see batch_bucket), made on first
        # use and resized to each chunk's exact count when that changes (about 5 us: tensors
        # re-allocated, XNNPACK reshaped in place), so a chunk runs in one invoke without
        # padding rows. One interpreter per exact count grew memory for as long as a run met
        # new counts (43 MiB for the 32 counts of the digits model, against 6 MiB for its 6
        # buckets); a bucket's interpreter never holds more rows than the bucket.
        self._interpreters: dict[int, Any] = {1: interp}
        self._rows: dict[int, int] = {1: 1}  # the batch size each bucket's interpreter has now
        self._want = tuple(int(v) for v in self.bundle.input.shape[1:])
        self._work: np.ndarray | None = None  # quantize's scratch (see _work_for)
        self._batching = (
            bool(self._in["shape_signature"][0] == -1) if len(self._in.get("shape_signature", [])) else False
        )
        # A model converted with a fixed batch size above 1 takes exactly that many inputs.
        self._fixed_batch = 1 if self._batching else max(1, int(self._in["shape"][0]))
        act = str(self.bundle.meta.get("output", {}).get("activation", "softmax"))
        self._logits = act == "logits"

    # -- checks ---------------------------------------------------------------
    def _check(self, interp: Any) -> None:
        ins, outs = interp.get_input_details(), interp.get_output_details()
        b, spec = self.bundle, self.bundle.input
        if len(ins) != 1 or len(outs) != 1:
            raise BundleError(
                f"{b.model_path}: expected 1 input and 1 output tensor, got {len(ins)} and {len(outs)}"
            )
        self._in, self._out = ins[0], outs[0]
        shape = tuple(int(v) for v in self._in["shape"])
        if shape[1:] != tuple(spec.shape[1:]):
            raise BundleError(
                f"{b.path}: model.json says input shape {spec.shape} but the "
                f"model's input is {shape}; fix model.json or re-run edge-convert"
            )
        dtype = np.dtype(self._in["dtype"]).name
        if dtype != spec.dtype:
            raise BundleError(
                f"{b.path}: model.json says input dtype {spec.dtype} but the model's input is {dtype}"
            )
        q = _qparams(self._in)
        if q.quantised and (
            abs(q.scale - spec.quant.scale) > 1e-6 * max(1.0, q.scale)
            or q.zero_point != spec.quant.zero_point
        ):
            raise BundleError(
                f"{b.path}: model.json input quantisation {spec.quant} differs from the model's {q}"
            )
        self._in_q, self._out_q = q, _qparams(self._out)
        self._in_dtype = np.dtype(self._in["dtype"])
        self._in_index, self._out_index = int(self._in["index"]), int(self._out["index"])
        self._dequantize = Dequantizer(self._out_q, np.dtype(self._out["dtype"]))
        n_out = int(self._out["shape"][-1])
        if n_out != b.num_classes:
            raise BundleError(
                f"{b.path}: the model has {n_out} outputs but labels.txt has {b.num_classes} labels"
            )

    # -- inference ------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        return self.bundle.labels

    def _interpreter_for(self, n: int) -> Any:
        """The interpreter that runs ``n`` inputs in one invoke: a fixed-batch model's own, else
        the one of ``n``'s bucket, made on first use and resized to ``n`` rows if it has others."""
        if self._fixed_batch > 1:
            return self._interpreters[1]
        b = batch_bucket(n)
        it = self._interpreters.get(b)
        if it is None:
            it, _ = make_interpreter(self.bundle.model_path, self.num_threads, self.runtime)
            self._interpreters[b] = it
        if self._rows.get(b, 1) != n:
            self._rows.pop(b, None)  # unknown until the re-allocation succeeds
            it.resize_tensor_input(self._in_index, [n, *self._want])
            prepare(it, self.bundle.model_path, f"a batch of {n}")
            self._rows[b] = n
        return it

    def _work_for(self, batch: np.ndarray) -> np.ndarray | None:
        """Float32 scratch of ``batch``'s shape for :func:`quantize` (kept, grown to the bucket of
        the largest count met, at most :data:`MAX_BATCH` rows), or ``None``."""
        n = len(batch)
        if not self._in_q.quantised or batch.dtype != np.float32 or not 0 < n <= MAX_BATCH:
            return None
        if self._work is None or len(self._work) < n:
            self._work = np.empty((batch_bucket(n), *self._want), np.float32)
        return self._work[:n]

    def _invoke(self, x: np.ndarray) -> np.ndarray:
        """Raw outputs for ``x`` (a batch the interpreter for ``len(x)`` takes as it is)."""
        it = self._interpreter_for(len(x))
        it.set_tensor(self._in_index, x)
        it.invoke()
        return it.get_tensor(self._out_index)

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities for a batch of preprocessed inputs.

        Args:
            batch: float32 (N, H, W, C) real values in the bundle's ``value_range``
                (already preprocessed, e.g. by :mod:`edge.preprocess`), N >= 0; or
                float32 (N, F) feature vectors for a feature-vector bundle
                (``hand-landmarks``: :func:`edge.landmark_features.features_batch`).
                A single input without the batch axis is taken as N = 1.

        Returns:
            float32 (N, num_classes) probabilities in label order.

        Raises:
            ValueError: ``batch`` does not have the model's (H, W, C) or (F,).
            BundleError: the model failed to run or gave NaN/inf scores (a corrupt file).
        """
        y = self._scores(batch)
        # dequantised integers are always finite: only a float output is checked
        if not self._out_q.quantised and not np.isfinite(y).all():
            raise self._non_finite()  # a sound model never gives NaN/inf for inputs in its range
        return softmax(y) if self._logits and len(y) else y

    def _scores(self, batch: np.ndarray) -> np.ndarray:
        """:meth:`predict` before the finiteness check and the softmax of a ``logits`` bundle:
        float32 (N, num_classes) outputs, dequantised."""
        batch = np.asarray(batch)
        want = self._want
        if batch.ndim == len(want):
            batch = batch[None]
        if batch.ndim != len(want) + 1 or batch.shape[1:] != want:
            raise ValueError(
                f"input batch shape {batch.shape} does not match the model input "
                f"(N, {', '.join(map(str, want))})"
            )
        x = quantize(batch, self._in_q, self._in_dtype, self._work_for(batch))
        n = len(x)
        if n == 0:
            return np.zeros((0, self.bundle.num_classes), np.float32)
        try:
            if self._batching and n <= MAX_BATCH:  # the usual frame: one invoke of exactly n rows
                outs = [self._invoke(x)]
            elif self._batching:  # chunks of batch_chunks' sizes: no padding rows
                outs, i = [], 0
                for size in batch_chunks(n):
                    outs.append(self._invoke(x[i : i + size]))
                    i += size
            elif self._fixed_batch > 1:  # pad each chunk to the model's batch, keep the real rows
                b = self._fixed_batch
                outs = []
                for i in range(0, n, b):
                    chunk = x[i : i + b]
                    pad = np.zeros((b - len(chunk), *chunk.shape[1:]), chunk.dtype)
                    outs.append(self._invoke(np.concatenate([chunk, pad]))[: len(chunk)])
            else:
                outs = [self._invoke(x[i : i + 1]) for i in range(n)]
        except RuntimeError as e:
            raise BundleError(
                f"{self.bundle.model_path}: the model failed to run ({one_line(e)}); the file is corrupt "
                "or uses ops this runtime lacks: rebuild it with edge-convert"
            ) from e
        return self._dequantize(outs[0] if len(outs) == 1 else np.concatenate(outs, axis=0)).reshape(n, -1)

    def _non_finite(self) -> BundleError:
        return BundleError(
            f"{self.bundle.model_path}: the model gave non-finite scores (NaN or inf): its weights "
            "are corrupt; rebuild it with edge-convert"
        )

    def classify(self, batch: np.ndarray) -> list[Prediction]:
        """Top-1 :class:`Prediction` for each input of ``batch`` (see :meth:`predict`)."""
        if self._logits:
            return top_predictions(self.predict(batch), self.labels)
        # predict's scores, checked in plain Python: the float32 scores as Python floats, whose
        # sum is finite exactly when each of them is (it cannot overflow a double); read by
        # top_predictions too (after a pipeline's other work, about 25 us less than numpy's
        # isfinite, argmax and max on a (5, 10) array)
        y = self._scores(batch)
        rows = y.tolist()
        if not self._out_q.quantised and not math.isfinite(sum(map(sum, rows))):
            raise self._non_finite()
        return top_predictions(y, self.labels, rows)
