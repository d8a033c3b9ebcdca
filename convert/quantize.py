"""Keras / SavedModel → TFLite flatbuffer in one of four quantisation modes.

The modes are TensorFlow's post-training quantisation recipes
(https://www.tensorflow.org/lite/performance/post_training_quantization):

- ``float32``: no quantisation; the reference for size and accuracy.
- ``float16``: weights stored as float16 and dequantised at load; float32 I/O.
- ``dynamic``: dynamic-range quantisation: int8 weights, activations quantised on
  the fly by the kernels; float32 I/O; no representative dataset.
- ``int8``: full-integer quantisation: int8 weights and activations calibrated on a
  representative dataset; only int8 builtin ops (``TFLITE_BUILTINS_INT8``), so the
  conversion fails rather than silently keeping float ops; int8 (or uint8, or
  float32) input and output tensors.

Conversion goes through ``tf.lite.TFLiteConverter`` (``from_keras_model`` or
``from_saved_model``) with builtin ops only. Keras' own ``model.export(format="litert")``
is not used: it silently allows Flex (select TF) ops, which neither ai-edge-litert
nor tflite-runtime can run on the device.

``tflite_runtime_compat`` makes dynamic-range files loadable by tflite-runtime 2.14
(its last release): TF >= 2.16 quantises dense layers per channel, which needs
``FULLY_CONNECTED`` op version 12 that 2.14 lacks, so per-channel quantisation of
dense layers is switched off. float32, float16 and int8 files from TF 2.21 load in
2.14 without it (measured for the conv/pool/dense/softmax ops of our models).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

QUANT_MODES = ("float32", "float16", "dynamic", "int8")
#: Storage types of the input and output tensors of a full-integer model.
IO_DTYPES = ("int8", "uint8", "float32")
#: Representative samples used for int8 calibration unless told otherwise.
DEFAULT_REP_SAMPLES = 300


def representative_dataset(x: np.ndarray) -> Callable[[], Iterator[list[np.ndarray]]]:
    """A ``representative_dataset`` callable for ``TFLiteConverter``.

    Args:
        x: float32 (N, H, W, C) samples in the model's input value range, N >= 1,
            drawn from the training data (what the model sees after preprocessing);
            or float32 (N, F) feature vectors for a feature-vector model.

    Returns:
        A function that yields ``[float32 (1, H, W, C)]`` (or ``[float32 (1, F)]``) once
        per sample, in order.

    Raises:
        ValueError: ``x`` is empty or neither 4- nor 2-dimensional.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim not in (2, 4) or len(x) == 0:
        raise ValueError(
            f"representative data must be float32 (N, H, W, C) or (N, F) with N >= 1, got shape {x.shape}"
        )

    def gen() -> Iterator[list[np.ndarray]]:
        for i in range(len(x)):
            yield [x[i : i + 1]]

    return gen


def _configure(
    conv: Any, quant: str, representative: np.ndarray | None, io_dtype: str, tflite_runtime_compat: bool
) -> None:
    import tensorflow as tf

    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quant == "float32":
        return
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if quant == "float16":
        conv.target_spec.supported_types = [tf.float16]
    elif quant == "dynamic":
        # TF >= 2.16 quantises dense weights per channel (FULLY_CONNECTED v12), which
        # tflite-runtime 2.14 cannot load; per-tensor dense weights load everywhere.
        conv._experimental_disable_per_channel_quantization_for_dense_layers = tflite_runtime_compat
    elif quant == "int8":
        assert representative is not None  # checked by _check_args
        conv.representative_dataset = representative_dataset(representative)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        io_type = {"int8": tf.int8, "uint8": tf.uint8, "float32": tf.float32}[io_dtype]
        conv.inference_input_type = io_type
        conv.inference_output_type = io_type


def _check_args(quant: str, representative: np.ndarray | None, io_dtype: str) -> None:
    if quant not in QUANT_MODES:
        raise ValueError(f"unknown quantisation {quant!r}; choose one of {QUANT_MODES}")
    if io_dtype not in IO_DTYPES:
        raise ValueError(f"unknown io_dtype {io_dtype!r}; choose one of {IO_DTYPES}")
    if quant != "int8" and io_dtype != "float32":
        raise ValueError(
            f"{quant} models have float32 input and output; io_dtype {io_dtype!r} needs --quant int8"
        )
    if quant == "int8" and representative is None:
        raise ValueError(
            "full-integer (int8) quantisation needs a representative dataset: "
            "pass --dataset mnist or --rep-data DIR_OR_NPY (about 300 training "
            "samples), or choose --quant dynamic"
        )


def _run(conv: Any, what: str, quant: str) -> bytes:
    try:
        from tensorflow.lite.python.convert_phase import ConverterError
    except ImportError:  # pragma: no cover - TF moved it; fall back to any converter error
        ConverterError = RuntimeError  # noqa: N806
    out = io.StringIO()
    try:
        # Keras prints its temporary SavedModel export ("Saved artifact at ...") to stdout.
        # The int8 path warns about input statistics, which calibration provides.
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
            flatbuffer = conv.convert()
    except ConverterError as e:
        hint = (
            "some op has no int8 kernel; try --quant dynamic"
            if quant == "int8"
            else "the model uses ops that TFLite builtins lack"
        )
        raise ValueError(
            f"TFLite cannot convert {what} to {quant}: {e}. {hint}. edge-convert does not "
            "enable Flex (select TF) ops because the device runtimes cannot run them"
        ) from e
    finally:
        if out.getvalue():
            log.debug("converter output:\n%s", out.getvalue())
    return bytes(flatbuffer)


def convert_keras(
    model: Any,
    quant: str,
    representative: np.ndarray | None = None,
    io_dtype: str = "int8",
    tflite_runtime_compat: bool = False,
    input_shape: tuple[int, int, int] | None = None,
) -> bytes:
    """Convert a Keras model to a TFLite flatbuffer.

    Args:
        model: a ``keras.Model`` with one NHWC input and one output.
        quant: ``"float32"``, ``"float16"``, ``"dynamic"`` or ``"int8"`` (see module doc).
        representative: float32 (N, H, W, C) calibration samples from the training
            data, in the model's input value range; required for ``int8``, ignored
            otherwise. Every sample is used (pick ~300-500 beforehand).
        io_dtype: input/output tensor type of an ``int8`` model: ``"int8"``,
            ``"uint8"`` or ``"float32"`` (quantise/dequantise inside the model).
            Must be ``"float32"`` for the other modes.
        tflite_runtime_compat: make a ``dynamic`` model loadable by tflite-runtime 2.14
            (per-channel dense quantisation off); the other modes load there as they are.
        input_shape: (H, W, C) to fix when the model's input has unknown spatial
            dimensions; ``None`` keeps the model's own shape.

    Returns:
        The ``.tflite`` flatbuffer. Its batch dimension is dynamic (shape signature
        ``[-1, H, W, C]``) when the Keras input's is.

    Raises:
        ValueError: unknown ``quant``/``io_dtype``, ``int8`` without representative
            data, or an op TFLite cannot convert (the message says what to try).
    """
    import tensorflow as tf

    _check_args(quant, representative, io_dtype)
    shape = tuple(model.inputs[0].shape[1:])
    if input_shape is not None and tuple(input_shape) != shape:
        import keras

        # Fix unknown dims: wrap the model (weights shared) behind an input of that shape.
        inp = keras.Input(tuple(input_shape), dtype="float32")
        model = keras.Model(inp, model(inp), name=getattr(model, "name", "model"))
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    _configure(conv, quant, representative, io_dtype, tflite_runtime_compat)
    return _run(conv, f"Keras model {getattr(model, 'name', '')!r}", quant)


def convert_saved_model(
    saved_model_dir: str | Path,
    quant: str,
    representative: np.ndarray | None = None,
    io_dtype: str = "int8",
    tflite_runtime_compat: bool = False,
    signature_key: str = "serving_default",
) -> bytes:
    """Convert a TensorFlow SavedModel folder to a TFLite flatbuffer.

    Args:
        saved_model_dir: folder holding ``saved_model.pb`` and ``variables/``.
        quant, representative, io_dtype, tflite_runtime_compat: as in :func:`convert_keras`.
        signature_key: the serving signature to convert.

    Returns:
        The ``.tflite`` flatbuffer.

    Raises:
        ValueError: as :func:`convert_keras`.
    """
    import tensorflow as tf

    _check_args(quant, representative, io_dtype)
    conv = tf.lite.TFLiteConverter.from_saved_model(str(saved_model_dir), signature_keys=[signature_key])
    _configure(conv, quant, representative, io_dtype, tflite_runtime_compat)
    return _run(conv, f"SavedModel {saved_model_dir}", quant)
