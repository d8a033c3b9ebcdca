"""One input spec for a model, whatever its file format, and where each entry came from.

``edge-convert`` must feed the model what it was trained on. The spec (size, channels,
colour order, value range) and the bundle's task and preprocessing are inferred once by
:func:`infer_input`, from the model itself, never from its file format:

- size and channels: the model's input shape (Keras input, or the SavedModel signature);
  ``--input-size`` for a model whose size is not fixed;
- value range: the model's own input scaling (:mod:`convert.input_scaling`: a
  ``Rescaling`` or ``Normalization`` layer at the start of a ``.keras``/``.h5`` model, or
  the same layer's ops in a SavedModel's graph, e.g. from ``model.export()``). A
  ``Rescaling`` layer means the model takes raw pixels, [0, 255]; a ``Normalization``
  layer's mean says which (above 1.5: [0, 255], else [0, 1]). Where the
  model says nothing, the rule is [0, 1] (pixel / 255) for every format, and the table
  says ASSUMED;
- colour order: grey for 1 channel; for 3, RGB (what Keras and PIL image loaders give),
  ASSUMED;
- task: ``digits`` only for an MNIST-like model (28x28x1 input, 10 outputs); otherwise
  ``classify``; preprocessing by task (``classify``: ``resize``).

Every entry but the channels (fixed by the model) can be overridden by its flag
(``--input-size``, ``--colour-order``, ``--value-range``, ``--task``, ``--preprocessing``);
:func:`format_input_table` prints what was used and from where.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from edge.bundle import InputSpec

if TYPE_CHECKING:
    from convert.config import ConvertConfig
    from convert.source import SourceModel

log = logging.getLogger(__name__)

#: Preprocessing a task gets unless ``--preprocessing`` says otherwise.
DEFAULT_PREPROCESSING = {"digits": "mnist-normalise", "hands": "hand-crop", "classify": "resize"}
#: Preprocessings a ``classify`` model may ask for: the whole ROI squashed, or its centre.
CLASSIFY_PREPROCESSING = ("resize", "centre-crop")
#: Value range used when the model has no input scaling layer (the same for every format).
ASSUMED_RANGE = (0.0, 1.0)


@dataclass(frozen=True)
class SpecEntry:
    """One row of the input table: what was used and where it came from."""

    name: str
    value: str
    source: str
    assumed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "from": self.source, "assumed": self.assumed}


@dataclass(frozen=True)
class InferredInput:
    """What :func:`infer_input` decided.

    Attributes:
        spec: the float input spec (before conversion; dtype float32).
        task: ``digits``, ``hands`` or ``classify``.
        preprocessing: the preprocessing the device applies (and verification uses).
        entries: the table rows (size, channels, colour order, value range, task,
            preprocessing).
    """

    spec: InputSpec
    task: str
    preprocessing: str
    entries: tuple[SpecEntry, ...]

    def to_json(self) -> dict[str, Any]:
        return {e.name: e.to_json() for e in self.entries}


def _task(src: SourceModel, cfg: ConvertConfig) -> tuple[str, str]:
    if cfg.task is not None:
        return cfg.task, "--task"
    mnist_like = tuple(src.input_shape) == (28, 28, 1) and src.num_outputs == 10
    if mnist_like or cfg.dataset == "mnist":
        return "digits", "auto: 28x28x1 input, 10 outputs (MNIST-like)"
    return "classify", (
        f"auto: input {'x'.join(str(d) for d in src.input_shape)}, {src.num_outputs} outputs "
        "is not MNIST-like (whole-frame classifier; --task digits/hands otherwise)"
    )


def infer_input(src: SourceModel, cfg: ConvertConfig) -> InferredInput:
    """The input spec, task and preprocessing for ``src``, and where each came from.

    Args:
        src: the loaded model (its shape and :attr:`SourceModel.input_scaling`).
        cfg: the run's settings; its ``input_size``, ``colour_order``, ``value_range``,
            ``task`` and ``preprocessing`` override what is inferred.

    Raises:
        ValueError: unknown dims without ``--input-size``, an ``--input-size`` that
            differs from a fixed one, a colour order that does not fit the channels, a
            ``classify`` model with a preprocessing other than ``resize``/``centre-crop``.
    """
    h, w, c = src.input_shape
    size_from = "model input" if src.format != "saved_model" else f"signature {src.signature_key!r}"
    if cfg.input_size is not None:
        ih, iw = cfg.input_size
        if (h is not None and h != ih) or (w is not None and w != iw):
            raise ValueError(
                f"--input-size {ih} {iw} differs from the model's fixed input {h}x{w}; leave it out"
            )
        h, w, size_from = ih, iw, "--input-size"
    if h is None or w is None or c is None:
        raise ValueError(
            f"the model's input (H, W, C) = {src.input_shape} has unknown dims; pass --input-size H W"
        )
    channels_from = "model input" if size_from == "--input-size" else size_from
    rows = [SpecEntry("size", f"{h}x{w}", size_from), SpecEntry("channels", str(c), channels_from)]

    if cfg.colour_order is not None:
        colour, entry = cfg.colour_order, SpecEntry("colour order", cfg.colour_order, "--colour-order")
    elif c == 1:
        colour, entry = "grey", SpecEntry("colour order", "grey", "1 channel")
    else:
        colour = "RGB"
        why = "ASSUMED: Keras/PIL image loaders give RGB (--colour-order BGR if not)"
        entry = SpecEntry("colour order", "RGB", why, True)
    if (colour == "grey") != (c == 1):
        raise ValueError(
            f"--colour-order {colour} does not fit a model input with {c} channel(s); "
            f"use {'grey' if c == 1 else 'RGB or BGR'}"
        )
    rows.append(entry)

    scaling = src.input_scaling
    if cfg.value_range is not None:
        vr, why, assumed = tuple(cfg.value_range), "--value-range", False
    elif scaling is not None:
        (vr, why), assumed = scaling.value_range(), False
    else:
        vr, assumed = ASSUMED_RANGE, True
        why = (
            "ASSUMED: no Rescaling/Normalization layer at the model's start, so pixel / 255; "
            "pass --value-range 0 255 if it was trained on raw pixels"
        )
        log.warning("value range [0, 1] %s", why.lower())
    rows.append(SpecEntry("value range", f"[{vr[0]:g}, {vr[1]:g}]", why, assumed))

    task, task_from = _task(src, cfg)
    rows.append(SpecEntry("task", task, task_from))
    pre = cfg.preprocessing or DEFAULT_PREPROCESSING[task]
    if task == "classify" and pre not in CLASSIFY_PREPROCESSING:
        raise ValueError(
            f"--preprocessing {pre} does not fit task classify (the whole frame or a centre ROI); "
            f"use one of {', '.join(CLASSIFY_PREPROCESSING)}, or --task digits/hands"
        )
    rows.append(
        SpecEntry("preprocessing", pre, "--preprocessing" if cfg.preprocessing else f"default of task {task}")
    )
    spec = InputSpec(
        shape=(1, int(h), int(w), int(c)),
        dtype="float32",
        colour_order=colour,
        value_range=(float(vr[0]), float(vr[1])),
    )
    return InferredInput(spec, task, pre, tuple(rows))


def format_input_table(inferred: InferredInput) -> str:
    """The printed table: ``entry  value  from``, assumed entries marked with ``!``."""
    lines = [f"{'input':<17}{'value':<12}from"]
    for e in inferred.entries:
        lines.append(f"{('! ' if e.assumed else '  ') + e.name:<17}{e.value:<12}{e.source}")
    return "\n".join(lines)


def device_preprocess(inferred: InferredInput) -> Callable[[np.ndarray], np.ndarray]:
    """The device's own preprocessing of a whole image, for calibration and verification.

    :func:`edge.preprocess.crop_input` with the bundle this run will write, so the
    images ``edge-convert`` verifies on become model inputs exactly as ``edge-eval
    --images`` (and, for ``classify``, ``edge-run --roi full``) make them.

    Returns:
        ``f(uint8 (H, W, 3) BGR or (H, W) grey image) -> float32 (h, w, C)`` in the value range.

    Raises:
        ValueError: (when called) as :func:`edge.preprocess.crop_input`; a ``hand-landmarks``
            preprocessing takes feature arrays, not images.
    """
    from edge.bundle import ModelBundle
    from edge.preprocess import crop_input

    bundle = ModelBundle(
        path=Path("."),
        name="edge-convert",
        task=inferred.task,
        labels=(),
        input=inferred.spec,
        preprocessing=inferred.preprocessing,
        meta={},
    )
    return lambda image: crop_input(image, bundle)
