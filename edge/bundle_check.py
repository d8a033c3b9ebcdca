"""Validation of a bundle's ``model.json`` and ``labels.txt``: every field ``edge`` reads.

:func:`check_meta` checks the types and ranges of the fields (a table, :data:`FIELDS`),
:func:`check_task_input` that the task's pipeline can feed the model's input (a table,
:data:`TASK_INPUTS`: a new task or preprocessing is one entry) and :func:`read_labels` the
labels file. Each problem is one :class:`~edge.bundle_schema.BundleError` line that names
the file, the field (a dotted path such as ``output.num_classes``), what was found and what
to do, so that a CLI prints it as ``error: ...`` without a traceback.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.bundle_schema import (
    COLOUR_ORDERS,
    FEATURES_ORDER,
    FORMAT_VERSION,
    HAND_VARIANTS,
    PREPROCESSING,
    PRETRAINED_PREPROCESSING,
    PRETRAINED_TASKS,
    TASKS,
    BundleError,
    InputSpec,
)

#: The fix for a malformed field, unless the field's rule names a better one.
REWRITE = "fix it in the file or rebuild the bundle with edge-convert"
#: Input tensor storage types the runtime can feed (:func:`edge.runtime.quantize`).
INPUT_DTYPES = ("float32", "int8", "uint8", "int16")
#: Largest input dimension accepted (px, channels or features): larger is a corrupt file.
MAX_DIM = 1 << 15
#: Longest label accepted (characters): longer is a corrupt labels file.
MAX_LABEL = 256
#: Output activations :class:`edge.runtime.Classifier` knows (``logits`` get a softmax).
ACTIVATIONS = ("softmax", "logits")
_INT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


# -- field rules -------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """What a field must hold: ``want`` (for the message) and the test ``ok``."""

    want: str
    ok: Callable[[Any], bool]
    fix: str = REWRITE


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_whole(v: Any) -> bool:
    return _is_number(v) and float(v).is_integer() and abs(v) < 2**63


def _number(lo: float = -math.inf, hi: float = math.inf, *, lo_open: bool = False) -> Callable[[Any], bool]:
    return lambda v: _is_number(v) and (lo < v if lo_open else lo <= v) and v <= hi


def _whole(lo: int, hi: float = math.inf) -> Callable[[Any], bool]:
    return lambda v: _is_whole(v) and lo <= v <= hi


def _one_of(names: tuple[str, ...]) -> Rule:
    return Rule(f"one of {list(names)}", lambda v: isinstance(v, str) and v in names)


def _variant(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    palm, sep, lm = v.partition("/")
    return palm in HAND_VARIANTS and (not sep or lm in HAND_VARIANTS)


TEXT = Rule("a string", lambda v: isinstance(v, str))
OBJECT = Rule("an object {...}", lambda v: isinstance(v, dict))
UNIT = Rule("a number in [0, 1]", _number(0.0, 1.0))

#: Every ``model.json`` field that ``edge`` (or ``edge-bench``) reads, by dotted path, and
#: whether it is required. Sections (objects) come before their fields; a field of an absent
#: optional section is not checked.
FIELDS: dict[str, tuple[Rule, bool]] = {
    "name": (TEXT, False),
    "task": (_one_of(TASKS + PRETRAINED_TASKS), True),
    "format_version": (
        Rule(
            f"a whole number from 1 to {FORMAT_VERSION}",
            _whole(1, FORMAT_VERSION),
            "a newer format needs a newer edge-recogniser; else rebuild the bundle with edge-convert",
        ),
        False,
    ),
    "preprocessing": (_one_of(PREPROCESSING + PRETRAINED_PREPROCESSING), True),
    "tflite_sha256": (
        Rule(
            "64 hex digits (the sha256 of model.tflite)",
            lambda v: isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v.lower()),
            "write the sha256 of model.tflite (sha256sum), or rebuild the bundle with edge-convert",
        ),
        False,
    ),
    "size_bytes": (Rule("a whole number >= 0", _whole(0)), False),
    "min_score": (
        Rule("a number in [0, 1]", _number(0.0, 1.0), "recalibrate it with edge-eval --calibrate-min-score"),
        False,
    ),
    "input": (OBJECT, True),
    "input.shape": (
        Rule(
            f"a list [1, H, W, C] (NHWC) or [1, F] of whole numbers from 1 to {MAX_DIM}",
            lambda v: (
                isinstance(v, list)
                and len(v) in (2, 4)
                and all(_is_whole(d) and 1 <= d <= MAX_DIM for d in v)
            ),
        ),
        True,
    ),
    "input.dtype": (_one_of(INPUT_DTYPES), True),
    "input.colour_order": (_one_of(COLOUR_ORDERS + (FEATURES_ORDER,)), True),
    "input.value_range": (
        Rule(
            "a list [lo, hi] of two finite numbers with lo < hi",
            lambda v: isinstance(v, list) and len(v) == 2 and all(map(_is_number, v)) and v[0] < v[1],
        ),
        True,
    ),
    "input.quant": (OBJECT, False),
    "input.quant.scale": (Rule("a finite number >= 0", _number(0.0)), False),
    "input.quant.zero_point": (Rule("a whole number", _whole(-(2**31), 2**31 - 1)), False),
    "output": (OBJECT, False),
    "output.num_classes": (Rule("a whole number >= 1", _whole(1)), False),
    "output.activation": (_one_of(ACTIVATIONS), False),
    "output.dtype": (TEXT, False),
    "output.quant": (OBJECT, False),
    "output.quant.scale": (Rule("a finite number >= 0", _number(0.0)), False),
    "output.quant.zero_point": (Rule("a whole number", _whole(-(2**31), 2**31 - 1)), False),
    "decision": (OBJECT, False),
    "decision.min_presence": (UNIT, False),
    "decision.rule": (TEXT, False),
    "detector": (OBJECT, False),
    "detector.variant": (
        Rule(f"one of {list(HAND_VARIANTS)} or 'PALM/LANDMARKS' such as 'full/lite'", _variant),
        False,
    ),
    "detector.min_presence": (UNIT, False),
    "detector.refine_below": (Rule("a number >= 0", _number(0.0)), False),
    "detector.tiles": (
        Rule("null or a number in (0, 1]", lambda v: v is None or _number(0, 1, lo_open=True)(v)),
        False,
    ),
    "detector.tiles_first": (Rule("true or false", lambda v: isinstance(v, bool)), False),
    "detector.video_tile_every": (
        Rule("null or a whole number >= 1", lambda v: v is None or _whole(1)(v)),
        False,
    ),
    "detector.palm_score_fallback": (Rule("a number", _is_number), False),
    "features": (OBJECT, False),
    "features.version": (Rule("a whole number", _whole(0)), False),
    "features.size": (Rule("a whole number >= 1", _whole(1)), False),
    "metrics": (OBJECT, False),
    "quantization": (Rule("an object {...} or a string", lambda v: isinstance(v, (dict, str))), False),
}

_MISSING = object()


def _show(v: Any, limit: int = 40) -> str:
    """A short JSON rendering of a found value for a message."""
    try:
        s = json.dumps(v, allow_nan=True)
    except (TypeError, ValueError):
        s = repr(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def field_error(file: Path, field: str, found: Any, want: str, fix: str = REWRITE) -> BundleError:
    """The one-line error for a bad field: ``FILE: FIELD must be WANT, got FOUND; FIX``."""
    got = "nothing (the field is missing)" if found is _MISSING else _show(found)
    return BundleError(f"{file}: {field} must be {want}, got {got}; {fix}")


def _lookup(meta: dict[str, Any], path: str) -> Any:
    """The value at a dotted path; ``_MISSING`` when a key is absent, ``None`` when a parent is."""
    node: Any = meta
    for key in path.split("."):
        if not isinstance(node, dict):
            return None  # an absent (optional) parent section: not checked
        node = node.get(key, _MISSING)
    return node


def check_meta(file: Path, meta: Any) -> None:
    """Check every field of :data:`FIELDS` in a parsed ``model.json``.

    Args:
        file: the ``model.json`` path, for the messages.
        meta: the parsed JSON.

    Raises:
        BundleError: the first field that is missing (when required) or malformed, in
            one line naming ``file``, the field and the fix.
    """
    if not isinstance(meta, dict):
        raise BundleError(f"{file} must hold a JSON object {{...}}, got {_show(meta)}; {REWRITE}")
    for path, (rule, required) in FIELDS.items():
        parent, _, _ = path.rpartition(".")
        if parent and not isinstance(_lookup(meta, parent), dict):
            continue  # an absent optional section (a present one was checked as OBJECT)
        v = _lookup(meta, path)
        if v is _MISSING:
            if required:
                raise field_error(file, path, v, rule.want, rule.fix)
            continue
        if not rule.ok(v):
            raise field_error(file, path, v, rule.want, rule.fix)
    _check_quant(file, meta["input"])


def _check_quant(file: Path, d: dict[str, Any]) -> None:
    quant = d.get("quant") or {}
    extra = sorted(set(quant) - {"scale", "zero_point"})
    if extra:
        raise BundleError(
            f"{file}: input.quant has unknown field(s) {extra}: it holds scale and zero_point only"
        )
    scale, zp, dtype = float(quant.get("scale", 0.0)), int(quant.get("zero_point", 0)), d["dtype"]
    if dtype == "float32" and scale != 0.0:
        raise field_error(file, "input.quant.scale", quant["scale"], "0 for a float32 input")
    if dtype in _INT_RANGE and scale == 0.0:
        raise field_error(
            file,
            "input.quant.scale",
            quant.get("scale", _MISSING),
            f"> 0 for {dtype} inputs",
            "copy the input tensor's scale and zero point, or rebuild the bundle with edge-convert",
        )
    lo, hi = _INT_RANGE.get(dtype, (0, 0))
    if dtype in _INT_RANGE and not lo <= zp <= hi:
        raise field_error(file, "input.quant.zero_point", quant["zero_point"], f"in [{lo}, {hi}] for {dtype}")


def input_spec(file: Path, meta: dict[str, Any]) -> InputSpec:
    """The checked ``input`` section of a :func:`check_meta`-checked ``model.json``.

    Raises:
        BundleError: the shape, colour order and channels disagree (names ``file``).
    """
    return InputSpec.from_json(meta["input"], where=str(file))


# -- task x preprocessing x input --------------------------------------------------------
@dataclass(frozen=True)
class TaskInput:
    """An input that a task's pipeline feeds with one preprocessing.

    Attributes:
        colour_orders: the input colour orders it can make.
        shape: the exact input shape (1, H, W, C) it makes, or ``None`` for any size.
    """

    colour_orders: tuple[str, ...]
    shape: tuple[int, ...] | None = None

    def fits(self, spec: InputSpec) -> bool:
        """Whether ``spec`` has one of these colour orders and, if a shape is set, that (1, H, W, C) shape."""
        return spec.colour_order in self.colour_orders and (self.shape is None or spec.shape == self.shape)

    def describe(self) -> str:
        """The input for a message, e.g. ``"a grey input (1, 28, 28, 1)"``."""
        colours = " or ".join(self.colour_orders)
        article = "an" if colours[0] in "AEFHILMNORSX" else "a"  # an RGB, an 'F' ...
        return f"{article} {colours} input" + (f" {self.shape}" if self.shape else "")


#: For each task, the preprocessings its pipeline can run and the model inputs each makes
#: (digits: grey 28x28 MNIST-style crops; hands: RGB/BGR hand crops or landmark features;
#: the MediaPipe models: RGB squares). A new task, or a preprocessing for a task, is one entry.
TASK_INPUTS: dict[str, dict[str, TaskInput]] = {
    "digits": {
        "mnist-normalise": TaskInput(("grey",), (1, 28, 28, 1)),
        "resize": TaskInput(("grey",)),
    },
    "hands": {
        "hand-crop": TaskInput(("RGB", "BGR")),
        "resize": TaskInput(("RGB", "BGR")),
        "hand-landmarks": TaskInput((FEATURES_ORDER,)),
    },
    # any image classifier on the whole frame or a centre ROI (issue 14; dormant until TASKS has it)
    "classify": {
        "resize": TaskInput(("grey", "RGB", "BGR")),
        "centre-crop": TaskInput(("grey", "RGB", "BGR")),
    },
    "palm-detection": {"letterbox": TaskInput(("RGB",))},
    "hand-landmarks": {"rotated-roi-crop": TaskInput(("RGB",))},
}


def default_preprocessing(task: str, spec: InputSpec) -> str | None:
    """The first preprocessing of ``task`` in :data:`TASK_INPUTS` that makes ``spec``, if any
    (digits: ``mnist-normalise`` for a grey 28x28 input, ``resize`` for another grey size)."""
    return next((p for p, w in TASK_INPUTS.get(task, {}).items() if w.fits(spec)), None)


def check_task_input(file: Path, task: str, preprocessing: str, spec: InputSpec) -> None:
    """Refuse a bundle whose task's pipeline cannot feed its input (e.g. a hands model marked
    ``digits``: its RGB hand crops would be read as MNIST digits and read nothing).

    Args:
        file: the ``model.json`` path, for the message.
        task, preprocessing: the bundle's.
        spec: its checked input.

    Raises:
        BundleError: ``preprocessing`` and ``spec`` are not among :data:`TASK_INPUTS` of
            ``task``; the message says which task they do fit, if any.
    """
    ways = TASK_INPUTS.get(task, {})
    if preprocessing in ways and ways[preprocessing].fits(spec):
        return
    takes = "; ".join(f"preprocessing {p!r} with {w.describe()}" for p, w in ways.items())
    fits = [
        t for t, w in TASK_INPUTS.items() if t != task and preprocessing in w and w[preprocessing].fits(spec)
    ]
    hint = (
        f'they are those of a {fits[0]!r} model: if it is one, set "task": "{fits[0]}"'
        if fits
        else "fix task, preprocessing or input (edge-convert --task/--preprocessing/--colour-order)"
    )
    raise BundleError(
        f"{file}: task {task!r} does not go with preprocessing {preprocessing!r} and "
        f"{TaskInput((spec.colour_order,), spec.shape).describe()}: task {task!r} takes {takes}; {hint}"
    )


# -- labels.txt --------------------------------------------------------------------------
def read_labels(path: Path) -> tuple[str, ...]:
    """Labels, one per non-empty line of a UTF-8 file (a BOM is allowed), in output-index order.

    Raises:
        BundleError: the file is missing or not UTF-8, holds no labels, repeats one, or has a
            line that is no label (control characters, over :data:`MAX_LABEL` characters).
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise BundleError(f"cannot read labels file {path}: {e.strerror}") from e
    except UnicodeDecodeError as e:
        line = e.object[: e.start].count(b"\n") + 1
        raise BundleError(
            f"{path}: line {line} is not UTF-8 text (byte 0x{e.object[e.start]:02x}): save the "
            "labels file as UTF-8, one label per line"
        ) from e
    lines = [(n, s.strip()) for n, s in enumerate(text.splitlines(), 1) if s.strip()]
    if not lines:
        raise BundleError(f"labels file {path} is empty: write one label per line")
    seen: set[str] = set()
    for n, lab in lines:
        if lab in seen:
            raise BundleError(
                f"{path}: label {_show(lab)} (line {n}) appears twice: write each class's label once"
            )
        if len(lab) > MAX_LABEL or any(unicodedata.category(c) == "Cc" for c in lab):
            raise BundleError(
                f"{path}: line {n} is not a label ({_show(lab)}: control characters or over {MAX_LABEL} "
                "characters): write one class name per line"
            )
        seen.add(lab)
    return tuple(lab for _, lab in lines)
