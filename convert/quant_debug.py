"""Per-layer int8 quantisation error, and int8 with chosen layers kept in float.

Both use TensorFlow's ``tf.lite.experimental.QuantizationDebugger`` (TF >= 2.7; see
https://www.tensorflow.org/lite/performance/quantization_debugger): the model is
calibrated once on the representative data, then a debug model with ``NumericVerify`` ops
compares every quantised layer's output with its float output on the same data. A layer's
error is reported as the tutorial's ``rmse/scale``: the root-mean-square difference in
units of the layer's quantisation step (about 0.29 for pure rounding, far above 1 for a
layer that int8 does not fit). Selective quantisation (``--skip-quant``, ``--float-worst``)
re-quantises the same calibrated model with those layers' output tensors in
``QuantizationDebugOptions(denylisted_nodes=...)``: they run in float, the rest in int8;
such a file has float32 input and output. The debugger only handles int8 activations.

Layer names: the debugger names a layer by its output tensor, e.g.
``model/conv2d_1/Relu;model/conv2d_1/BiasAdd;...``; ``--skip-quant conv2d_1`` matches every
tensor whose name has ``conv2d_1`` as a path part (the Keras layer name).
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: File written into the bundle by ``--debug-quant``.
LAYER_ERRORS_FILE = "quant_layers.csv"
#: rmse/scale above which a layer is flagged as badly quantised (the TF tutorial's cut-off).
SUSPECT_RMSE_PER_SCALE = 0.7


@dataclass(frozen=True)
class LayerError:
    """Quantisation error of one layer (one output tensor) on the representative data.

    Attributes:
        op_name: TFLite op, e.g. ``CONV_2D``.
        tensor_name: the output tensor's name (what ``--skip-quant`` and the debugger's
            ``denylisted_nodes`` take).
        rmse_per_scale: sqrt(mean squared error) / scale: error in quantisation steps.
        mean_error: mean of (quantised - float) output, in real units.
        max_abs_error: largest |quantised - float| output, in real units.
        scale: the tensor's quantisation scale.
    """

    op_name: str
    tensor_name: str
    rmse_per_scale: float
    mean_error: float
    max_abs_error: float
    scale: float

    @property
    def short_name(self) -> str:
        """The first name of the tensor (before ``;``), for tables."""
        return self.tensor_name.split(";")[0]

    @property
    def layer_name(self) -> str:
        """The layer part of :attr:`short_name` (``model/conv2d_1/Relu`` -> ``conv2d_1``)."""
        parts = self.short_name.split("/")
        return parts[-2] if len(parts) > 1 else parts[0]


def _parts(tensor_name: str) -> set[str]:
    return {p for name in tensor_name.split(";") for p in name.split("/")}


class QuantDebug:
    """A calibrated int8 model, its per-layer errors, and int8 files with layers kept in float.

    Args:
        converter: a ``tf.lite.TFLiteConverter`` configured for int8 with a representative
            dataset (:func:`convert.quantize.configure_converter`); it is consumed.
        what: the model, for messages.

    Raises:
        ValueError: the debugger cannot calibrate or instrument the model.
    """

    def __init__(self, converter: Any, what: str) -> None:
        import tensorflow as tf

        self.what = what
        out = io.StringIO()
        try:
            # Keras prints its temporary export; the debugger uses TF's deprecated interpreter.
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                self._debugger = tf.lite.experimental.QuantizationDebugger(
                    converter=converter, debug_dataset=converter.representative_dataset
                )
                self._debugger.run()
        except (ValueError, RuntimeError) as e:
            raise ValueError(
                f"TensorFlow's QuantizationDebugger cannot instrument {what} "
                f"({type(e).__name__}: {str(e).splitlines()[0][:200]}); convert without "
                "--debug-quant/--skip-quant/--float-worst"
            ) from e
        buf = io.StringIO()
        self._debugger.layer_statistics_dump(buf)
        self.errors = _parse(buf.getvalue())

    @property
    def tensor_names(self) -> list[str]:
        return [e.tensor_name for e in self.errors]

    def resolve(self, layers: Sequence[str]) -> list[str]:
        """Tensor names for ``--skip-quant`` entries: a whole tensor name or a Keras layer name.

        Raises:
            ValueError: an entry matches no quantised layer (the message lists some).
        """
        found: list[str] = []
        for layer in layers:
            hits = [t for t in self.tensor_names if t == layer or layer in _parts(t)]
            if not hits:  # Keras numbers a layer's calls: conv2d_1 becomes conv2d_1_1 in the graph
                called = re.compile(rf"{re.escape(layer)}_\d+")
                hits = [t for t in self.tensor_names if any(called.fullmatch(p) for p in _parts(t))]
            if not hits:
                names = sorted({e.layer_name for e in self.errors})
                raise ValueError(
                    f"--skip-quant {layer}: no quantised layer of that name; layers: "
                    f"{', '.join(names[:12])}{' ...' if len(names) > 12 else ''}"
                )
            found += [t for t in hits if t not in found]
        return found

    def worst(self, n: int) -> list[str]:
        """Tensor names of the ``n`` layers with the largest rmse/scale."""
        return [e.tensor_name for e in self.errors[: max(0, n)]]

    def model_without(self, nodes: Sequence[str]) -> bytes:
        """The int8 flatbuffer with ``nodes`` (tensor names) kept in float; float32 I/O."""
        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            self._debugger.options = tf.lite.experimental.QuantizationDebugOptions(
                denylisted_nodes=list(nodes)
            )
        log.info("%s: %d layer(s) kept in float: %s", self.what, len(nodes), ", ".join(nodes))
        return bytes(self._debugger.get_nondebug_quantized_model())


def _parse(text: str) -> list[LayerError]:
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        scale = float(r.get("scale") or 0.0)
        mse = float(r.get("mean_squared_error") or 0.0)
        rows.append(
            LayerError(
                op_name=r.get("op_name", ""),
                tensor_name=r.get("tensor_name", ""),
                rmse_per_scale=math.sqrt(mse) / scale if scale > 0 else float("nan"),
                mean_error=float(r.get("mean_error") or 0.0),
                max_abs_error=float(r.get("max_abs_error") or 0.0),
                scale=scale,
            )
        )
    return sorted(rows, key=lambda e: -e.rmse_per_scale if math.isfinite(e.rmse_per_scale) else 0.0)


def write_layer_errors(
    errors: Sequence[LayerError], path: str | Path, kept_float: Sequence[str] = ()
) -> Path:
    """Write the per-layer errors as CSV, worst first; ``kept_float`` marks layers run in float."""
    p = Path(path)
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "rank",
                "op_name",
                "rmse_per_scale",
                "mean_error",
                "max_abs_error",
                "scale",
                "kept_float",
                "tensor_name",
            ]
        )
        for i, e in enumerate(errors, 1):
            w.writerow(
                [
                    i,
                    e.op_name,
                    f"{e.rmse_per_scale:.4f}",
                    f"{e.mean_error:.6g}",
                    f"{e.max_abs_error:.6g}",
                    f"{e.scale:.6g}",
                    int(e.tensor_name in kept_float),
                    e.tensor_name,
                ]
            )
    return p


def format_layer_errors(errors: Sequence[LayerError], n: int = 5, kept_float: Sequence[str] = ()) -> str:
    """A short table of the ``n`` worst layers (what ``edge-convert --debug-quant`` prints)."""
    lines = [
        f"{'rmse/scale':>10}  {'op':<16} layer (worst {min(n, len(errors))} of {len(errors)} int8 layers)"
    ]
    for e in errors[:n]:
        flag = "  (kept float)" if e.tensor_name in kept_float else ""
        warn = "  !" if e.rmse_per_scale > SUSPECT_RMSE_PER_SCALE else ""
        lines.append(f"{e.rmse_per_scale:>10.3f}  {e.op_name:<16} {e.short_name}{warn}{flag}")
    return "\n".join(lines)
