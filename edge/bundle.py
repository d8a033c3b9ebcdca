"""The model bundle: the one contract between ``convert``/``train`` and ``edge``.

A bundle is a folder holding

- ``model.tflite``: the TFLite flatbuffer;
- ``labels.txt``: one label per line, in output-index order;
- ``model.json``: name, task, input spec (shape, dtype, colour order, value range,
  quantisation), the preprocessing it expects, provenance, the metrics measured on
  this exact file and the sha256 of ``model.tflite``.

``convert`` writes bundles with :func:`write_bundle`; ``edge`` reads them with
:func:`load_bundle` and cross-checks ``model.json`` against the interpreter's own
tensor details in :mod:`edge.runtime`. The ``model.json`` schema (task, colour order and
preprocessing names, :class:`InputSpec`, :class:`BundleError`) is :mod:`edge.bundle_schema`;
its names are re-exported here because most of the code base imports them from this module.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge.bundle_check import check_meta, check_task_input, input_spec, read_labels
from edge.bundle_schema import (
    COLOUR_ORDERS,
    FEATURES_ORDER,
    FORMAT_VERSION,
    PREPROCESSING,
    PRETRAINED_PREPROCESSING,
    PRETRAINED_TASKS,
    TASKS,
    BundleError,
    InputSpec,
    QuantParams,
    check_features,
)
from edge.cpu_quant import fastest_quant
from edge.model_dirs import models_dir

__all__ = [
    "COLOUR_ORDERS",
    "FEATURES_ORDER",
    "FORMAT_VERSION",
    "PREPROCESSING",
    "PRETRAINED_PREPROCESSING",
    "PRETRAINED_TASKS",
    "SHIPPED",
    "SHIPPED_DIR",
    "TASKS",
    "BundleError",
    "InputSpec",
    "ModelBundle",
    "QuantParams",
    "load_bundle",
    "read_labels",
    "read_meta",
    "resolve_bundle_path",
    "set_min_score",
    "sha256_file",
    "update_metrics",
    "write_bundle",
]

log = logging.getLogger(__name__)

#: Where shipped bundles live: ``models/<name>/`` in the installed package.
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "models"
#: Short names accepted by ``--model`` for the shipped bundles: ``digits`` (also ``digits-oe``) is
#: the width-16 modern LeNet, in the quantisation that is faster on this CPU
#: (:func:`edge.cpu_quant.fastest_quant`: float32 on x86 without an int8 dot-product instruction,
#: else int8; ``digits-int8`` and ``digits-float32`` name either file), trained on MNIST plus
#: camera-like renderings of MNIST training digits with Outlier Exposure (non-digit inputs trained
#: towards the uniform distribution, ``models/rebuild-digits.sh --camera --negatives NPZ``),
#: ``digits-cam`` the same without the negatives (``--camera``; the default before),
#: ``digits-mnist`` the same network trained on MNIST alone (the default before), ``digits-large``
#: the earlier width-32 one (about 4x the multiply-adds); ``hands`` is the gesture classifier on
#: MediaPipe hand landmarks; ``hands-lenet`` (alias ``hands-int8``) the small CNN on hand crops
#: found by the skin/background/chroma finders. Fetched pretrained bundles (``edge-models fetch
#: hands``) resolve by their folder name, e.g. ``mediapipe-palm-detection-lite``.
SHIPPED = {
    "digits": f"digits-lenet16camoe-{fastest_quant()}",
    "digits-int8": "digits-lenet16camoe-int8",
    "digits-float32": "digits-lenet16camoe-float32",
    "digits-cam": "digits-lenet16cam-int8",
    "digits-cam-float32": "digits-lenet16cam-float32",
    "digits-oe": f"digits-lenet16camoe-{fastest_quant()}",
    "digits-oe-float32": "digits-lenet16camoe-float32",
    "digits-mnist": "digits-lenet16-int8",
    "digits-mnist-float32": "digits-lenet16-float32",
    "digits-large": "digits-lenet-int8",
    "digits-large-float32": "digits-lenet-float32",
    "hands": "hands-landmarks",
    "hands-lenet": "hands-lenet-int8",
    "hands-int8": "hands-lenet-int8",
}


@dataclass(frozen=True)
class ModelBundle:
    """A loaded bundle's description (the interpreter is made by :mod:`edge.runtime`).

    Attributes:
        path: the bundle folder.
        name: bundle name, e.g. ``"digits-lenet-int8"``.
        task: ``"digits"``, ``"hands"`` or ``"classify"`` (any image classifier, run on the
            whole frame or a centre ROI).
        labels: class labels in output-index order.
        input: the input spec from ``model.json``.
        preprocessing: name of the preprocessing the model expects.
        meta: the whole ``model.json`` as a dict (provenance, metrics, ...).
    """

    path: Path
    name: str
    task: str
    labels: tuple[str, ...]
    input: InputSpec
    preprocessing: str
    meta: dict[str, Any] = field(repr=False, compare=False)

    @property
    def model_path(self) -> Path:
        return self.path / "model.tflite"

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    @property
    def min_score(self) -> float:
        """The score threshold calibrated for this model (``model.json`` ``min_score``),
        in [0, 1]; 0 when the bundle has none. Detections scoring below it are not shown."""
        v = self.meta.get("min_score", 0.0)
        return float(v) if isinstance(v, (int, float)) and 0.0 <= v <= 1.0 else 0.0


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve_bundle_path(model: str | Path) -> Path:
    """Turn ``--model`` (a shipped name such as ``digits``, a fetched bundle's name, or a path)
    into a folder.

    A path to a ``model.tflite`` inside a bundle resolves to its folder.

    Raises:
        BundleError: neither a shipped name nor an existing bundle folder.
    """
    s = str(model)
    if s in SHIPPED:
        return SHIPPED_DIR / SHIPPED[s]
    if (SHIPPED_DIR / s / "model.json").is_file():
        return SHIPPED_DIR / s
    if "/" not in s and (models_dir() / s / "model.json").is_file():
        return models_dir() / s
    p = Path(s).expanduser()
    if p.is_file() and p.suffix == ".tflite":
        p = p.parent
    if p.is_dir():
        return p
    raise BundleError(
        f"no model bundle at {s!r}: pass a folder holding model.tflite, labels.txt and "
        f"model.json, or one of the shipped names {sorted(SHIPPED)}"
    )


def load_bundle(model: str | Path, verify_sha256: bool = True) -> ModelBundle:
    """Read and validate a bundle's ``model.json`` and ``labels.txt``.

    Args:
        model: a bundle folder, a ``model.tflite`` inside one, or a shipped name.
        verify_sha256: check ``model.tflite`` against the sha256 in ``model.json``.

    Returns:
        The bundle description. The TFLite file is opened by :class:`edge.runtime.Classifier`.

    Raises:
        BundleError: a file is missing, ``model.json`` is malformed, the label count
            does not match, or the sha256 differs (the file was changed or corrupted).
    """
    path = resolve_bundle_path(model)
    for fname in ("model.tflite", "labels.txt", "model.json"):
        if not (path / fname).is_file():
            raise BundleError(
                f"bundle {path} has no {fname}; a bundle needs model.tflite, labels.txt and "
                "model.json (edge-convert writes all three)"
            )
    file = path / "model.json"
    meta = read_meta(file)
    check_meta(file, meta)
    labels = read_labels(path / "labels.txt")
    spec = input_spec(file, meta)
    task = meta["task"]
    n_out = (meta.get("output") or {}).get("num_classes")
    if n_out is not None and int(n_out) != len(labels):
        raise BundleError(
            f"{file}: output.num_classes says {int(n_out)} classes but {path / 'labels.txt'} has "
            f"{len(labels)} labels: write one label per model output, in output order"
        )
    want = meta.get("tflite_sha256")
    if verify_sha256 and want:
        got = sha256_file(path / "model.tflite")
        if got != want.lower():
            raise BundleError(
                f"{path / 'model.tflite'} does not match the sha256 in model.json "
                f"({got[:12]}… != {want[:12]}…): the file was changed or corrupted; "
                "re-run edge-convert to rebuild the bundle"
            )
    preprocessing = meta["preprocessing"]
    check_features(path, spec, task, preprocessing, meta)
    check_task_input(file, task, preprocessing, spec)
    return ModelBundle(
        path=path,
        name=str(meta.get("name", path.name)),
        task=task,
        labels=labels,
        input=spec,
        preprocessing=preprocessing,
        meta=meta,
    )


def read_meta(file: Path) -> Any:
    """A ``model.json`` parsed (not yet checked: see :func:`edge.bundle_check.check_meta`).

    Raises:
        BundleError: the file cannot be read, is not UTF-8 or is not JSON (one line naming it).
    """
    try:
        return json.loads(file.read_bytes().decode("utf-8-sig"))
    except OSError as e:
        raise BundleError(f"cannot read {file}: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise BundleError(f"{file} is not UTF-8 text (byte {e.start}): save it as UTF-8 JSON") from e
    except json.JSONDecodeError as e:
        raise BundleError(
            f"{file} is not valid JSON: {e}; fix it or rebuild the bundle with edge-convert"
        ) from e
    except (ValueError, RecursionError) as e:  # a number of over 4300 digits, nesting too deep
        raise BundleError(
            f"{file} is not valid JSON ({e}); fix it or rebuild the bundle with edge-convert"
        ) from e


def write_bundle(
    out_dir: str | Path,
    tflite_model: bytes,
    labels: list[str] | tuple[str, ...],
    meta: dict[str, Any],
) -> Path:
    """Write ``model.tflite``, ``labels.txt`` and ``model.json`` into ``out_dir``.

    ``meta`` must hold at least ``name``, ``task``, ``input`` (an :class:`InputSpec`
    as JSON) and ``preprocessing``; this function adds ``format_version``,
    ``output.num_classes`` and ``tflite_sha256``.

    Returns:
        The bundle folder.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.tflite").write_bytes(tflite_model)
    (out / "labels.txt").write_text("".join(f"{lab}\n" for lab in labels), encoding="utf-8")
    meta = dict(meta)
    meta["format_version"] = FORMAT_VERSION
    meta.setdefault("output", {})["num_classes"] = len(labels)
    meta["tflite_sha256"] = hashlib.sha256(tflite_model).hexdigest()
    meta["size_bytes"] = len(tflite_model)
    (out / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return out


def set_min_score(
    bundle_dir: str | Path, min_score: float, calibration: dict[str, Any] | None = None
) -> None:
    """Store the calibrated score threshold in ``model.json`` (``min_score``).

    Args:
        bundle_dir: the bundle folder.
        min_score: threshold in [0, 1] that ``edge-run``/``edge-eval``/``edge-bench`` apply
            when no ``--min-score`` is given.
        calibration: how it was chosen (data, rates), kept as ``min_score_calibration``.

    Raises:
        ValueError: ``min_score`` outside [0, 1].
        BundleError: no ``model.json`` in ``bundle_dir``.
    """
    if not 0.0 <= min_score <= 1.0:
        raise ValueError(f"min_score must be in [0, 1], got {min_score}")
    path = Path(bundle_dir) / "model.json"
    if not path.is_file():
        raise BundleError(f"{path} not found: pass a bundle folder")
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["min_score"] = float(min_score)
    if calibration is not None:
        meta["min_score_calibration"] = calibration
    path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def update_metrics(bundle_dir: str | Path, key: str, metrics: dict[str, Any]) -> None:
    """Record ``metrics`` measured on this bundle's exact file under ``meta["metrics"][key]``."""
    p = Path(bundle_dir) / "model.json"
    meta = json.loads(p.read_text(encoding="utf-8"))
    meta.setdefault("metrics", {})[key] = metrics
    p.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
