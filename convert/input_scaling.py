"""The input scaling a model applies to itself, read from its layers or its SavedModel graph.

:func:`keras_input_scaling` reads a ``Rescaling`` or ``Normalization`` layer at the start of
a ``.keras``/``.h5`` model; :func:`graph_input_scaling` the same layer's ops in a
SavedModel's graph (Keras keeps layer names as op scopes, ``model.export()`` included).
:meth:`InputScaling.value_range` turns either into the raw input range the model expects,
so a model gets the same value range whatever its file format (:mod:`convert.input_spec`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Keras layers that may come before the input scaling without changing the value range.
PASS_THROUGH = ("InputLayer", "Resizing", "CenterCrop", "RandomFlip", "RandomRotation", "RandomZoom")
PASS_THROUGH_PREFIX = ("Random",)


@dataclass(frozen=True)
class InputScaling:
    """The input scaling a model applies first (its ``Rescaling``/``Normalization`` layer).

    Attributes:
        kind: ``"Rescaling"`` (``x * scale + offset``) or ``"Normalization"``
            (``(x - mean) / sqrt(variance)``).
        where: how it was found, for the table (layer name or graph op).
        scale, offset: ``Rescaling`` only.
        mean: ``Normalization`` only: the per-channel means.
    """

    kind: str
    where: str
    scale: float = 1.0
    offset: float = 0.0
    mean: tuple[float, ...] = ()

    def value_range(self) -> tuple[tuple[float, float], str]:
        """(lo, hi) of the raw input this scaling expects, and why."""
        if self.kind == "Rescaling":
            lo, hi = self.offset, 255.0 * self.scale + self.offset
            return (0.0, 255.0), (
                f"{self.where}: x * {self.scale:.6g} + {self.offset:g} maps [0, 255] to [{lo:.3g}, {hi:.3g}]"
            )
        top = max(self.mean) if self.mean else 0.0
        rng = (0.0, 255.0) if top > 1.5 else (0.0, 1.0)
        return rng, f"{self.where}: mean up to {top:.3g}, so inputs in [{rng[0]:g}, {rng[1]:g}]"


def _layer_kind(layer: Any) -> str:
    return type(layer).__name__


def _first_layers(model: Any) -> list[Any]:
    """The model's layers in order, a nested model at the start (e.g. a backbone) opened."""
    out: list[Any] = []
    for layer in getattr(model, "layers", []):
        if hasattr(layer, "layers") and not out:  # a nested model first: look inside it
            out += _first_layers(layer)
        else:
            out.append(layer)
    return out


def keras_input_scaling(model: Any) -> InputScaling | None:
    """The ``Rescaling``/``Normalization`` layer a Keras model starts with, if any.

    Layers that keep the value range (input, resizing, random augmentation) may come first.
    """
    for layer in _first_layers(model):
        kind = _layer_kind(layer)
        if kind == "Rescaling":
            scale = float(np.mean(np.asarray(layer.scale, np.float64)))
            offset = float(np.mean(np.asarray(layer.offset, np.float64)))
            return InputScaling("Rescaling", f"Rescaling layer {layer.name!r}", scale, offset)
        if kind == "Normalization":
            mean = np.asarray(layer.mean, np.float64).reshape(-1)
            return InputScaling("Normalization", f"Normalization layer {layer.name!r}", mean=tuple(mean))
        if kind in PASS_THROUGH or kind.startswith(PASS_THROUGH_PREFIX):
            continue
        return None
    return None


def _const_value(nodes: dict[str, Any], ref: str) -> float | None:
    """The scalar value of a graph input reference (``name:output:0``), through Casts."""
    import tensorflow as tf

    for _ in range(4):
        node = nodes.get(ref.split(":")[0].lstrip("^"))
        if node is None:
            return None
        if node.op == "Const":
            v = tf.make_ndarray(node.attr["value"].tensor)
            return float(v) if v.size == 1 else None
        if node.op not in ("Cast", "Identity") or not node.input:
            return None
        ref = node.input[0]
    return None


def _scope_has(name: str, word: str) -> bool:
    return any(part.lower().startswith(word) for part in name.split("/")[:-1])


#: Ops that mark a layer as inside the network, not at its start.
_NETWORK_OPS = ("Conv2D", "DepthwiseConv2dNative", "MatMul", "BatchMatMulV2", "Conv2DBackpropInput")


def _at_start(nodes: dict[str, Any], node: Any) -> bool:
    """No convolution or matrix product between the function's inputs and ``node``."""
    seen: set[str] = set()
    todo = [node.name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        n = nodes.get(name)
        if n is None:  # a function argument
            continue
        if n.op in _NETWORK_OPS:
            return False
        todo += [i.split(":")[0].lstrip("^") for i in n.input]
    return True


def graph_input_scaling(graph_def: Any, variables: dict[str, np.ndarray]) -> InputScaling | None:
    """The ``Rescaling``/``Normalization`` layer's ops in a SavedModel's graph, if any.

    Keras (``model.export()``, ``tf.saved_model.save``) keeps the layer names as op
    scopes: a ``Mul`` by a constant under ``rescaling*/`` (plus an ``AddV2`` offset), or a
    ``Sub`` under ``normalization*/`` whose mean is a captured constant or the variable
    ``normalization*/mean``; as in :func:`keras_input_scaling`, only before the first
    convolution or matrix product.

    Args:
        graph_def: the serving signature's ``GraphDef`` (with its function library).
        variables: the SavedModel's variables by name (``"normalization/mean:0"`` ...) and
            the constants its functions capture, by the name of the function argument
            that receives them (:func:`captured_constants`).
    """
    bodies = [list(graph_def.node)] + [list(f.node_def) for f in graph_def.library.function]
    for body in bodies:
        nodes = {n.name: n for n in body}
        for n in body:
            if n.op == "Mul" and _scope_has(n.name, "rescaling") and _at_start(nodes, n):
                scale = next((v for v in (_const_value(nodes, i) for i in n.input) if v is not None), None)
                if scale is None:
                    continue
                offset = 0.0
                for m in body:
                    if m.op in ("AddV2", "Add") and any(i.split(":")[0] == n.name for i in m.input):
                        others = [_const_value(nodes, i) for i in m.input if i.split(":")[0] != n.name]
                        offset = next((v for v in others if v is not None), 0.0)
                scope = n.name.rsplit("/", 1)[0]
                return InputScaling("Rescaling", f"graph ops {scope}/ (a Rescaling layer)", scale, offset)
    for body in bodies:
        nodes = {n.name: n for n in body}
        for n in body:
            if n.op == "Sub" and _scope_has(n.name, "normalization") and len(n.input) == 2:
                if not _at_start(nodes, n):
                    continue
                mean_ref = n.input[1].split(":")[0]
                if mean_ref in variables:  # a constant captured by the function (mean= given)
                    mean = tuple(float(v) for v in np.asarray(variables[mean_ref], np.float64).reshape(-1))
                    scope = n.name.rsplit("/", 1)[0]
                    return InputScaling(
                        "Normalization", f"graph ops {scope}/ (a Normalization layer)", mean=mean
                    )
    for name, value in variables.items():
        if _scope_has(name, "normalization") and name.split("/")[-1].startswith("mean"):
            mean = tuple(float(v) for v in np.asarray(value, np.float64).reshape(-1))
            return InputScaling("Normalization", f"graph variable {name} (a Normalization layer)", mean=mean)
    return None


def captured_constants(fn: Any) -> dict[str, np.ndarray]:
    """Constants a concrete function captures, by the argument name its called function gives them.

    ``model.export()`` passes a layer's constants (e.g. a ``Normalization`` layer's
    ``mean=``) into the traced function as arguments; this maps those arguments' names to
    the values.
    """
    import tensorflow as tf

    gd = fn.graph.as_graph_def()
    outer = {internal.name.split(":")[0]: ext for ext, internal in fn.graph.captures}
    funcs = {f.signature.name: f for f in gd.library.function}
    out: dict[str, np.ndarray] = {}
    for call in gd.node:
        f = funcs.get(call.attr["f"].func.name) if "f" in call.attr else None
        if f is None:
            continue
        for arg, ref in zip(f.signature.input_arg, call.input, strict=False):
            value = outer.get(ref.split(":")[0])
            if value is not None and value.dtype != tf.resource:
                out[arg.name] = np.asarray(value)
    return out
