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
  float32) input and output tensors. Keeping chosen layers in float (selective
  quantisation) is :mod:`convert.quant_debug`.
- ``int16x8``: 16-bit activations, 8-bit weights
  (``EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8``), calibrated like
  int8; closer to float than int8 at about the same size; int16 (zero point 0) or
  float32 input and output. ai-edge-litert runs it (reference kernels, slower than int8).

``select_tf_ops`` lets the converter fall back to TensorFlow kernels (``SELECT_TF_OPS``,
"Flex" ops) for ops TFLite builtins lack. It is tried only when builtins fail; a file
that needs them runs only where the Flex delegate is linked (full TensorFlow built with
it), never in ai-edge-litert or tflite-runtime: :func:`uses_flex_ops` tells, and the
bundle records it (``model.json`` ``requires_flex``).

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
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

QUANT_MODES = ("float32", "float16", "dynamic", "int8", "int16x8")
#: Modes calibrated on a representative dataset.
CALIBRATED_MODES = ("int8", "int16x8")
#: Storage types of the input and output tensors of a full-integer model.
IO_DTYPES = ("int8", "uint8", "int16", "float32")
#: The input/output types each calibrated mode allows (float32: quantised inside the model).
MODE_IO_DTYPES = {"int8": ("int8", "uint8", "float32"), "int16x8": ("int16", "float32")}
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


def configure_converter(
    conv: Any,
    quant: str,
    representative: np.ndarray | None,
    io_dtype: str,
    tflite_runtime_compat: bool,
    flex: bool = False,
) -> None:
    """Set a fresh ``TFLiteConverter`` up for ``quant`` (see the module doc); ``flex`` adds
    ``SELECT_TF_OPS``. Arguments as :func:`convert_keras`."""
    import tensorflow as tf

    extra = [tf.lite.OpsSet.SELECT_TF_OPS] if flex else []
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, *extra]
    if quant == "float32":
        return
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if quant == "float16":
        conv.target_spec.supported_types = [tf.float16]
    elif quant == "dynamic":
        # TF >= 2.16 quantises dense weights per channel (FULLY_CONNECTED v12), which
        # tflite-runtime 2.14 cannot load; per-tensor dense weights load everywhere.
        conv._experimental_disable_per_channel_quantization_for_dense_layers = tflite_runtime_compat
    elif quant in CALIBRATED_MODES:
        assert representative is not None  # checked by _check_args
        conv.representative_dataset = representative_dataset(representative)
        ops = (
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8
            if quant == "int8"
            else tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        )
        conv.target_spec.supported_ops = [ops, *extra]
        io_type = {"int8": tf.int8, "uint8": tf.uint8, "int16": tf.int16, "float32": tf.float32}[io_dtype]
        conv.inference_input_type = io_type
        conv.inference_output_type = io_type


def _check_args(quant: str, representative: np.ndarray | None, io_dtype: str) -> None:
    if quant not in QUANT_MODES:
        raise ValueError(f"unknown quantisation {quant!r}; choose one of {QUANT_MODES}")
    if io_dtype not in IO_DTYPES:
        raise ValueError(f"unknown io_dtype {io_dtype!r}; choose one of {IO_DTYPES}")
    if quant not in CALIBRATED_MODES and io_dtype != "float32":
        raise ValueError(
            f"{quant} models have float32 input and output; io_dtype {io_dtype!r} needs --quant int8"
        )
    if quant in CALIBRATED_MODES and io_dtype not in MODE_IO_DTYPES[quant]:
        raise ValueError(
            f"--quant {quant} takes --io-dtype {' or '.join(MODE_IO_DTYPES[quant])}, not {io_dtype}"
        )
    if quant in CALIBRATED_MODES and representative is None:
        raise ValueError(
            f"full-integer ({quant}) quantisation needs a representative dataset: "
            "pass --dataset mnist or --rep-data DIR_OR_NPY (about 300 training "
            "samples), or choose --quant dynamic"
        )


def _converter_error() -> type[Exception]:
    try:
        from tensorflow.lite.python.convert_phase import ConverterError
    except ImportError:  # pragma: no cover - TF moved it; fall back to any converter error
        return RuntimeError
    return ConverterError  # type: ignore[no-any-return]


def flex_ops_named(message: str) -> list[str]:
    """The TF ops a converter error says TFLite builtins lack (its ``TF Select ops:`` line)."""
    m = re.search(r"TF Select ops: ([^\n]+)", message)
    return [] if m is None else [o.strip() for o in m.group(1).split(",") if o.strip()]


def _run(conv: Any, what: str, quant: str, flex: bool = False) -> bytes:
    out = io.StringIO()
    try:
        # Keras prints its temporary SavedModel export ("Saved artifact at ...") to stdout.
        # The int8 path warns about input statistics, which calibration provides.
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
            flatbuffer = conv.convert()
    except _converter_error() as e:
        ops = flex_ops_named(str(e))
        if ops and not flex:
            hint = (
                f"TFLite builtins lack the TensorFlow op(s) {', '.join(ops)}: pass --select-tf-ops "
                "(the file then runs only in full TensorFlow) or replace them in the model"
            )
        elif quant in CALIBRATED_MODES:
            hint = f"some op has no {quant} kernel; try --quant dynamic or --skip-quant LAYER"
        else:
            hint = "the model uses ops that TFLite cannot convert; run with -v for the converter's log"
        log.info("converter error for %s: %s", what, e)
        raise ValueError(f"TFLite cannot convert {what} to {quant}: {hint}") from e
    finally:
        if out.getvalue():
            log.debug("converter output:\n%s", out.getvalue())
    return bytes(flatbuffer)


def uses_flex_ops(tflite: bytes) -> list[str]:
    """The Flex (select TF) ops in a flatbuffer, e.g. ``["FlexCumprod"]``; empty for builtins only."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
    names = set()
    for code in model.operatorCodes or ():
        c = getattr(code, "customCode", None)
        name = c.decode() if isinstance(c, bytes) else c
        if name and name.startswith("Flex"):
            names.add(name)
    return sorted(names)


#: A zero-argument function returning a fresh, unconfigured ``tf.lite.TFLiteConverter``.
ConverterFactory = Callable[[], Any]


def keras_converter(model: Any, input_shape: tuple[int, int, int] | None = None) -> ConverterFactory:
    """A converter factory for a Keras model, at batch 1 semantics (dynamic batch).

    Args:
        model: a ``keras.Model`` with one NHWC input.
        input_shape: (H, W, C) fixing unknown spatial dims; ``None`` keeps the model's.

    A model whose input has a fixed batch size (``Input(batch_size=4)``) or unknown dims is
    wrapped (weights shared) behind an ``Input`` of dynamic batch and the given shape, so
    the file takes one frame at a time like every other bundle.
    """
    import keras
    import tensorflow as tf

    shape = tuple(model.inputs[0].shape[1:])
    batch = model.inputs[0].shape[0]
    want = tuple(input_shape) if input_shape is not None else shape
    if want != shape or batch is not None:
        if batch is not None:
            log.info("the model's input has a fixed batch size %s: converting it with batch 1", batch)
        inp = keras.Input(want, dtype="float32")
        model = keras.Model(inp, model(inp), name=getattr(model, "name", "model"))
    return lambda: tf.lite.TFLiteConverter.from_keras_model(model)


def saved_model_converter(
    saved_model_dir: str | Path, signature_key: str = "serving_default"
) -> ConverterFactory:
    """A converter factory for a SavedModel folder's ``signature_key`` signature."""
    import tensorflow as tf

    return lambda: tf.lite.TFLiteConverter.from_saved_model(
        str(saved_model_dir), signature_keys=[signature_key]
    )


def convert_with(
    factory: ConverterFactory,
    what: str,
    quant: str,
    representative: np.ndarray | None = None,
    io_dtype: str = "int8",
    tflite_runtime_compat: bool = False,
    select_tf_ops: bool = False,
) -> bytes:
    """Convert with a fresh converter from ``factory`` (see :func:`convert_keras` for the arguments).

    Args:
        factory: see :func:`keras_converter`, :func:`saved_model_converter`.
        what: the model, for messages.
        select_tf_ops: after builtins fail, convert again with ``SELECT_TF_OPS`` (Flex).

    Raises:
        ValueError: bad arguments or an op TFLite cannot convert (the message says what to try).
    """
    _check_args(quant, representative, io_dtype)
    conv = factory()
    configure_converter(conv, quant, representative, io_dtype, tflite_runtime_compat)
    try:
        return _run(conv, what, quant)
    except ValueError as e:
        if not select_tf_ops or not flex_ops_named(str(e.__cause__)):
            raise
        log.warning(
            "%s needs TensorFlow ops that TFLite builtins lack (%s): converting with "
            "SELECT_TF_OPS; only full TensorFlow can run the file",
            what,
            ", ".join(flex_ops_named(str(e.__cause__))),
        )
    conv = factory()
    configure_converter(conv, quant, representative, io_dtype, tflite_runtime_compat, flex=True)
    return _run(conv, what, quant, flex=True)


def convert_keras(
    model: Any,
    quant: str,
    representative: np.ndarray | None = None,
    io_dtype: str = "int8",
    tflite_runtime_compat: bool = False,
    input_shape: tuple[int, int, int] | None = None,
    select_tf_ops: bool = False,
) -> bytes:
    """Convert a Keras model to a TFLite flatbuffer.

    Args:
        model: a ``keras.Model`` with one NHWC input and one output.
        quant: ``"float32"``, ``"float16"``, ``"dynamic"``, ``"int8"`` or ``"int16x8"``
            (see module doc).
        representative: float32 (N, H, W, C) calibration samples from the training
            data, in the model's input value range; required for ``int8``/``int16x8``,
            ignored otherwise. Every sample is used (pick ~300-500 beforehand).
        io_dtype: input/output tensor type of an ``int8`` model: ``"int8"``,
            ``"uint8"`` or ``"float32"`` (quantise/dequantise inside the model); of an
            ``int16x8`` model ``"int16"`` or ``"float32"``. Must be ``"float32"`` for the
            other modes.
        tflite_runtime_compat: make a ``dynamic`` model loadable by tflite-runtime 2.14
            (per-channel dense quantisation off); the other modes load there as they are.
        input_shape: (H, W, C) to fix when the model's input has unknown spatial
            dimensions; ``None`` keeps the model's own shape.
        select_tf_ops: see :func:`convert_with`.

    Returns:
        The ``.tflite`` flatbuffer. Its batch dimension is dynamic (shape signature
        ``[-1, H, W, C]``) when the Keras input's is, or when it was fixed (then converted
        at batch 1, see :func:`keras_converter`).

    Raises:
        ValueError: unknown ``quant``/``io_dtype``, ``int8`` without representative
            data, or an op TFLite cannot convert (the message says what to try).
    """
    _check_args(quant, representative, io_dtype)
    factory = keras_converter(model, input_shape)
    what = f"Keras model {getattr(model, 'name', '')!r}"
    return convert_with(factory, what, quant, representative, io_dtype, tflite_runtime_compat, select_tf_ops)


def convert_saved_model(
    saved_model_dir: str | Path,
    quant: str,
    representative: np.ndarray | None = None,
    io_dtype: str = "int8",
    tflite_runtime_compat: bool = False,
    signature_key: str = "serving_default",
    select_tf_ops: bool = False,
) -> bytes:
    """Convert a TensorFlow SavedModel folder to a TFLite flatbuffer.

    Args:
        saved_model_dir: folder holding ``saved_model.pb`` and ``variables/``.
        quant, representative, io_dtype, tflite_runtime_compat: as in :func:`convert_keras`.
        signature_key: the serving signature to convert.
        select_tf_ops: see :func:`convert_with`.

    Returns:
        The ``.tflite`` flatbuffer (a fixed batch size in the signature is kept).

    Raises:
        ValueError: as :func:`convert_keras`.
    """
    _check_args(quant, representative, io_dtype)
    factory = saved_model_converter(saved_model_dir, signature_key)
    return convert_with(
        factory,
        f"SavedModel {saved_model_dir}",
        quant,
        representative,
        io_dtype,
        tflite_runtime_compat,
        select_tf_ops,
    )
