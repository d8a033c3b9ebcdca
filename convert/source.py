"""Load the model to convert: a Keras ``.keras``/``.h5`` file or a SavedModel folder.

Users' own models are accepted, not only ours. Each format gives a
:class:`SourceModel` that knows its input shape, its number of outputs, how to run
itself on a batch (the reference for verification) and how to convert itself to
TFLite with :mod:`convert.quantize`.

- ``.keras`` (Keras 3) and ``.h5``/``.hdf5`` (legacy full-model HDF5):
  ``keras.models.load_model(path, compile=False)``; converted with
  ``TFLiteConverter.from_keras_model``.
- SavedModel folder (``saved_model.pb`` + ``variables/``, e.g. from
  ``model.export(dir)`` or TF 2 ``tf.saved_model.save``): run through its serving
  signature (what ``keras.layers.TFSMLayer`` does); converted with
  ``TFLiteConverter.from_saved_model``. No Python code of the model is needed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from convert.input_scaling import InputScaling, captured_constants, graph_input_scaling, keras_input_scaling
from convert.input_spec import ASSUMED_RANGE
from convert.keras_load import load_keras_file
from convert.quantize import (
    ConverterFactory,
    convert_with,
    keras_converter,
    saved_model_converter,
)
from edge.bundle import sha256_file

log = logging.getLogger(__name__)

KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
#: Files beside the model (or inside a SavedModel folder) read as training provenance.
TRAINING_CONFIG_NAMES = ("config.json", "train_config.json")
FORMATS_HELP = "a .keras file, a full-model .h5 file, or a SavedModel folder (holding saved_model.pb)"


@dataclass
class SourceModel:
    """A loaded model ready to convert and to serve as the verification reference.

    Attributes:
        path: the model file or SavedModel folder.
        format: ``"keras"``, ``"h5"`` or ``"saved_model"``.
        input_shape: (H, W, C) of the single NHWC float32 input; ``None`` for an
            unknown spatial dimension.
        num_outputs: K, the units of the single (N, K) output.
        keras_model: the ``keras.Model`` for ``.keras``/``.h5``; ``None`` for SavedModels.
        signature_key: the SavedModel serving signature used.
        input_scaling: the ``Rescaling``/``Normalization`` layer the model starts with
            (read from its layers or, for a SavedModel, its graph), or ``None``.
    """

    path: Path
    format: str
    input_shape: tuple[int | None, ...]
    num_outputs: int
    keras_model: Any = field(default=None, repr=False)
    signature_key: str = "serving_default"
    input_scaling: InputScaling | None = None
    _run: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    _batch: int | None = field(default=None, repr=False)

    @property
    def fixed_batch(self) -> int | None:
        """The batch size the model's input is fixed to, or ``None`` (any batch)."""
        return self._batch

    def predict(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Run the model on a batch.

        Args:
            x: float32 (N, H, W, C) in the model's input value range.
            batch_size: samples per call (a SavedModel with a fixed batch uses its own).

        Returns:
            float32 (N, K): the model's outputs (probabilities or logits).
        """
        x = np.asarray(x, dtype=np.float32)
        if len(x) == 0:
            return np.zeros((0, self.num_outputs), np.float32)
        if self.keras_model is not None and self._run is None:
            y = self.keras_model.predict(x, batch_size=batch_size, verbose=0)
            return np.asarray(y, np.float32).reshape(len(x), -1)
        assert self._run is not None
        step = self._batch or batch_size
        outs = []
        for i in range(0, len(x), step):
            chunk = x[i : i + step]
            if self._batch and len(chunk) < self._batch:  # pad a fixed-batch signature
                pad = np.zeros((self._batch - len(chunk), *chunk.shape[1:]), np.float32)
                outs.append(self._run(np.concatenate([chunk, pad]))[: len(chunk)])
            else:
                outs.append(self._run(chunk))
        return np.concatenate(outs).astype(np.float32).reshape(len(x), -1)

    def converter_factory(self, input_shape: tuple[int, int, int] | None = None) -> ConverterFactory:
        """Fresh ``TFLiteConverter`` objects for this model (see :func:`convert.quantize.keras_converter`).

        Args:
            input_shape: (H, W, C) fixing unknown spatial dims (Keras models only).

        Raises:
            ValueError: a SavedModel with unknown spatial dims.
        """
        if self.keras_model is not None:
            fix = input_shape if None in self.input_shape else None
            return keras_converter(self.keras_model, fix)
        if None in self.input_shape:
            raise ValueError(
                f"SavedModel {self.path} has input (H, W, C) = {self.input_shape} "
                "with unknown dims; export it with a fixed input shape"
            )
        return saved_model_converter(self.path, self.signature_key)

    def to_tflite(
        self,
        quant: str,
        representative: np.ndarray | None = None,
        io_dtype: str = "int8",
        tflite_runtime_compat: bool = False,
        input_shape: tuple[int, int, int] | None = None,
        select_tf_ops: bool = False,
    ) -> bytes:
        """Convert with :func:`convert.quantize.convert_with`.

        Args:
            quant, representative, io_dtype, tflite_runtime_compat, select_tf_ops: see
                :func:`convert.quantize.convert_keras`.
            input_shape: (H, W, C) fixing unknown spatial dims (Keras models only).

        Raises:
            ValueError: see :func:`convert.quantize.convert_keras`; a SavedModel with
                unknown spatial dims.
        """
        what = f"Keras model {self.path.name}" if self.keras_model is not None else f"SavedModel {self.path}"
        return convert_with(
            self.converter_factory(input_shape),
            what,
            quant,
            representative,
            io_dtype,
            tflite_runtime_compat,
            select_tf_ops,
        )

    def default_value_range(self) -> tuple[float, float]:
        """The raw input range :attr:`input_scaling` implies, else (0, 1), the same for every format.

        A model that rescales its own input (``Rescaling(1/255)``,
        ``Rescaling(1/127.5, offset=-1)``) expects raw pixel values, (0, 255).
        """
        return self.input_scaling.value_range()[0] if self.input_scaling else ASSUMED_RANGE

    def sha256(self) -> str:
        """sha256 of the model file; for a SavedModel folder, of its files' (path, sha256) list."""
        if self.path.is_file():
            return sha256_file(self.path)
        h = hashlib.sha256()
        for p in sorted(q for q in self.path.rglob("*") if q.is_file()):
            h.update(f"{p.relative_to(self.path).as_posix()}\0{sha256_file(p)}\n".encode())
        return h.hexdigest()


def _check_io(
    path: Path, in_shape: tuple[Any, ...], out_shape: tuple[Any, ...]
) -> tuple[tuple[int | None, ...], int]:
    """Validate an (N, H, W, C) input and an (N, K) output; return (H, W, C) and K."""
    dims = tuple(None if d is None else int(d) for d in in_shape)
    if len(dims) != 4:
        raise ValueError(
            f"{path}: the model input has shape {dims}; edge-convert needs an image input "
            "(N, H, W, C) (NHWC). Add an Input((H, W, C)) and a Reshape layer in front of a "
            "flat-input model, then save it again"
        )
    if dims[3] not in (1, 3):
        if dims[1] in (1, 3):
            raise ValueError(
                f"{path}: the model input {dims} looks channels-first (NCHW); "
                "TFLite models here are NHWC: rebuild it channels-last"
            )
        raise ValueError(
            f"{path}: the model input has {dims[3]} channels; edge-convert handles 1 (grey) or 3 (RGB/BGR)"
        )
    out = tuple(None if d is None else int(d) for d in out_shape)
    if len(out) < 2 or out[-1] is None or any(d != 1 for d in out[1:-1]):
        raise ValueError(
            f"{path}: the model output has shape {out}; a classifier output "
            "(N, K) with one score per class is needed"
        )
    return dims[1:], int(out[-1])


def _load_keras(path: Path, custom_objects: dict[str, Any] | None, unsafe_load: bool) -> SourceModel:
    model = load_keras_file(path, custom_objects, unsafe_load)
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            f"{path}: the model has {len(model.inputs)} inputs and "
            f"{len(model.outputs)} outputs; edge-convert needs exactly one of each"
        )
    hwc, k = _check_io(path, tuple(model.inputs[0].shape), tuple(model.outputs[0].shape))
    fmt = "keras" if path.suffix == ".keras" else "h5"
    batch = model.inputs[0].shape[0]
    run = None
    if batch is not None:  # a fixed batch size: run it in chunks of that size (converted at batch 1)
        log.info("%s: the model's input has a fixed batch size %d", path, batch)

        def run(x: np.ndarray) -> np.ndarray:
            return np.asarray(model(x, training=False))

    return SourceModel(
        path=path,
        format=fmt,
        input_shape=hwc,
        num_outputs=k,
        keras_model=model,
        input_scaling=keras_input_scaling(model),
        _run=run,
        _batch=None if batch is None else int(batch),
    )


def _load_saved_model(path: Path, signature_key: str) -> SourceModel:
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(str(path))
    except Exception as e:  # TF raises OSError, ValueError, and its own error types
        raise ValueError(f"cannot load SavedModel {path}: {type(e).__name__}: {e}") from e
    sigs = getattr(loaded, "signatures", {})
    if signature_key not in sigs:
        raise ValueError(
            f"SavedModel {path} has no signature {signature_key!r}; it has "
            f"{sorted(sigs)}: pass one with --signature"
        )
    fn = sigs[signature_key]
    _, kwargs = fn.structured_input_signature
    outs = fn.structured_outputs
    if len(kwargs) != 1 or len(outs) != 1:
        raise ValueError(
            f"SavedModel {path} signature {signature_key!r} has {len(kwargs)} "
            f"inputs and {len(outs)} outputs; edge-convert needs one of each"
        )
    (in_name, in_spec), (out_name, out_spec) = next(iter(kwargs.items())), next(iter(outs.items()))
    if in_spec.dtype != tf.float32:
        raise ValueError(
            f"SavedModel {path} takes {in_spec.dtype.name} input; edge-convert needs "
            "a float32 image input (put the cast inside the model)"
        )
    hwc, k = _check_io(path, tuple(in_spec.shape), tuple(out_spec.shape))
    batch = in_spec.shape[0]

    def run(x: np.ndarray) -> np.ndarray:
        return fn(**{in_name: tf.constant(x)})[out_name].numpy()

    return SourceModel(
        path=path,
        format="saved_model",
        input_shape=hwc,
        num_outputs=k,
        signature_key=signature_key,
        input_scaling=graph_input_scaling(
            fn.graph.as_graph_def(),
            {**{v.name: v.numpy() for v in getattr(loaded, "variables", ())}, **captured_constants(fn)},
        ),
        _run=run,
        _batch=None if batch is None else int(batch),
    )


def load_source_model(
    path: str | Path,
    signature_key: str = "serving_default",
    custom_objects: dict[str, Any] | None = None,
    unsafe_load: bool = False,
) -> SourceModel:
    """Load a model to convert.

    Args:
        path: a ``.keras`` file, a full-model ``.h5``/``.hdf5`` file, a SavedModel
            folder, or the ``saved_model.pb`` inside one.
        signature_key: the SavedModel serving signature (SavedModels only).
        custom_objects, unsafe_load: Keras files only, see
            :func:`convert.keras_load.load_keras_file`.

    Returns:
        The loaded model with its (H, W, C) input shape and K outputs.

    Raises:
        ValueError: the path does not exist or is not a supported format, the model
            cannot be loaded, it does not have one NHWC float input (C = 1 or 3) and
            one (N, K) output.
    """
    p = Path(path).expanduser()
    if p.name == "saved_model.pb" and p.is_file():
        p = p.parent
    if not p.exists():
        raise ValueError(f"model {p} does not exist; pass {FORMATS_HELP}")
    if p.is_dir():
        if not (p / "saved_model.pb").is_file():
            raise ValueError(
                f"{p} is a folder without saved_model.pb, so not a SavedModel; pass {FORMATS_HELP}"
            )
        model = _load_saved_model(p, signature_key)
    elif p.suffix.lower() in KERAS_SUFFIXES:
        model = _load_keras(p, custom_objects, unsafe_load)
    elif p.suffix.lower() == ".tflite":
        raise ValueError(
            f"{p} is already a TFLite file; edge-convert needs the Keras model or "
            "SavedModel it came from, to quantise and verify against"
        )
    else:
        raise ValueError(f"{p} has an unknown model format {p.suffix!r}; pass {FORMATS_HELP}")
    log.info(
        "loaded %s model %s: input (H, W, C) = %s, %d outputs",
        model.format,
        p,
        model.input_shape,
        model.num_outputs,
    )
    return model


def read_training_provenance(model_path: str | Path) -> dict[str, Any] | None:
    """Training provenance saved beside the model, for ``model.json``'s ``training``.

    Looks for ``config.json`` or ``train_config.json`` (as ``edge-train`` writes)
    beside the model file, or inside and beside a SavedModel folder; ``metrics.json``
    in the same folder is added as ``metrics``.

    Returns:
        ``{"config_file": name, "config": {...}, "command": ..., "metrics": {...}}``
        (keys present where found), or ``None`` when there is no such file.
    """
    p = Path(model_path)
    folders = [p, p.parent] if p.is_dir() else [p.parent]
    for folder in folders:
        for name in TRAINING_CONFIG_NAMES:
            f = folder / name
            if not f.is_file():
                continue
            try:
                cfg = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as e:
                log.warning("ignoring training config %s: %s", f, e)
                continue
            out: dict[str, Any] = {"config_file": name, "config": cfg}
            if isinstance(cfg, dict) and "command" in cfg:
                out["command"] = cfg["command"]
            m = folder / "metrics.json"
            if m.is_file():
                try:
                    out["metrics"] = json.loads(m.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError) as e:
                    log.warning("ignoring %s: %s", m, e)
            return out
    return None
