"""Model → verified bundle: what ``edge-convert`` does, as one function.

:func:`convert_to_bundle` loads the source model, resolves its input spec and
labels, gathers representative and verification data, converts, writes the bundle
(:func:`edge.bundle.write_bundle`), verifies the bundle's exact file through the
device runtime (:mod:`convert.verify`) and records the result in ``model.json``
(:func:`edge.bundle.update_metrics`). Its settings are :class:`convert.config.ConvertConfig`.
"""

from __future__ import annotations

import datetime as dt
import logging
import platform
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from convert.agreement import check_agreement
from convert.config import ConvertConfig, ConvertReport
from convert.data import Samples, load_samples, mnist_samples, split
from convert.input_spec import InferredInput, device_preprocess, format_input_table, infer_input
from convert.keras_load import load_custom_objects
from convert.quant_debug import LAYER_ERRORS_FILE, QuantDebug, format_layer_errors, write_layer_errors
from convert.quantize import CALIBRATED_MODES, configure_converter, uses_flex_ops
from convert.source import SourceModel, load_source_model, read_training_provenance
from convert.verify import detect_activation, verify_bundle
from edge.bundle import (
    BundleError,
    InputSpec,
    QuantParams,
    load_bundle,
    read_labels,
    update_metrics,
    write_bundle,
)
from edge.bundle_check import check_task_input
from edge.runtime import make_interpreter

log = logging.getLogger(__name__)

#: Random inputs used for an agreement-only check when no data is given at all.
RANDOM_VERIFY_SAMPLES = 256


def resolve_input_spec(src: SourceModel, cfg: ConvertConfig) -> InputSpec:
    """The float input spec (before conversion): :func:`convert.input_spec.infer_input`'s.

    Raises:
        ValueError: see :func:`convert.input_spec.infer_input`.
    """
    return infer_input(src, cfg).spec


def _data(
    cfg: ConvertConfig, inferred: InferredInput, labels: tuple[str, ...] | None
) -> tuple[Samples | None, Samples | None, bool]:
    """(representative, verification, held_out) samples for ``cfg``; images go through the
    device's preprocessing (:func:`convert.input_spec.device_preprocess`)."""
    spec = inferred.spec
    hwc = (spec.height, spec.width, spec.channels)
    prepare = None if inferred.preprocessing == "hand-landmarks" else device_preprocess(inferred)
    rep: Samples | None = None
    rest: Samples | None = None
    if cfg.rep_data is not None:
        # Labelled only when the part left over from calibration verifies the model.
        labelled = cfg.verify_data is None and cfg.dataset is None
        pool = load_samples(
            cfg.rep_data, hwc, spec.colour_order, spec.value_range, labels, labelled=labelled, prepare=prepare
        )
        rep, rest = split(pool, cfg.rep_samples, cfg.seed)
    elif cfg.dataset == "mnist" and cfg.quant in CALIBRATED_MODES:  # only they calibrate
        rep = mnist_samples("train", hwc, spec.value_range, cfg.data_dir, cfg.rep_samples, cfg.seed)

    held_out = True
    if cfg.verify_data is not None:
        ver: Samples | None = load_samples(
            cfg.verify_data, hwc, spec.colour_order, spec.value_range, labels, prepare=prepare
        )
    elif cfg.dataset == "mnist":
        ver = mnist_samples("test", hwc, spec.value_range, cfg.data_dir)
    elif rest is not None and len(rest):
        ver = Samples(rest.x, rest.y, f"{rest.name}-held-out", rest.labels)
    elif rep is not None:
        log.warning(
            "no held-out data: verifying on the calibration samples themselves; pass "
            "--verify-data for an honest check"
        )
        ver, held_out = Samples(rep.x, rep.y, f"{rep.name}-calibration", rep.labels), False
    else:
        log.warning(
            "no data given: checking agreement on %d uniform random inputs only; pass "
            "--dataset or --verify-data for accuracy",
            RANDOM_VERIFY_SAMPLES,
        )
        rng = np.random.default_rng(cfg.seed)
        lo, hi = spec.value_range
        x = rng.uniform(lo, hi, (RANDOM_VERIFY_SAMPLES, *hwc)).astype(np.float32)
        ver, held_out = Samples(x, None, "random-inputs"), False
    if ver is not None and cfg.verify_samples is not None:
        ver, _ = split(ver, cfg.verify_samples, cfg.seed + 1)
    return rep, ver, held_out


def _resolve_labels(cfg: ConvertConfig) -> tuple[str, ...] | None:
    if cfg.labels is not None:
        return read_labels(cfg.labels)
    if cfg.dataset == "mnist":
        return tuple(str(d) for d in range(10))
    beside = Path(cfg.model).parent / "labels.txt"  # written by edge-train next to model.keras
    if Path(cfg.model).is_file() and beside.is_file():
        log.info("labels from %s", beside)
        return read_labels(beside)
    return None  # decided after the verification data (class folders) is read


def _check_label_count(labels: tuple[str, ...], src: SourceModel) -> None:
    if len(labels) != src.num_outputs:
        raise ValueError(
            f"{len(labels)} labels for {src.num_outputs} outputs ({', '.join(labels[:5])}"
            f"{', ...' if len(labels) > 5 else ''}): fix the labels file (one label per line, "
            "in output order)"
        )


def _io_details(tflite: bytes, flex: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Input and output tensor details of a flatbuffer, read by the device runtime (a Flex
    file's tensors are not allocated: the light runtimes cannot prepare its ops)."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "model.tflite"
        p.write_bytes(tflite)
        interp, _ = make_interpreter(p, allocate=not flex)
        ins, outs = interp.get_input_details(), interp.get_output_details()
    if len(ins) != 1 or len(outs) != 1:
        raise ValueError(
            f"the converted model has {len(ins)} inputs and {len(outs)} outputs; expected one of each"
        )
    return ins[0], outs[0]


def _qjson(detail: dict[str, Any]) -> dict[str, Any]:
    scale, zp = detail.get("quantization", (0.0, 0))
    return {"scale": float(scale), "zero_point": int(zp)}


def _versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    from convert import __version__

    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "edge_convert": __version__,
        "python": platform.python_version(),
    }


def convert_to_bundle(cfg: ConvertConfig) -> ConvertReport:
    """Convert ``cfg.model``, write a bundle, verify it and record the metrics.

    Args:
        cfg: the run's settings (see :class:`ConvertConfig`).

    Returns:
        The report: bundle folder, size and verification metrics.

    Raises:
        ValueError: bad settings, a model that cannot be loaded or is not an NHWC
            classifier, labels that do not match the outputs, data of the wrong shape
            or range, int8 without representative data, a conversion TFLite refuses.
            (``edge.bundle.BundleError`` and ``edge.datasets.DatasetError`` are
            ``ValueError`` too.)
    """
    cfg.validate()
    custom = load_custom_objects(cfg.custom_objects) if cfg.custom_objects else None
    src = load_source_model(cfg.model, cfg.signature, custom, cfg.unsafe_load)
    inferred = infer_input(src, cfg)
    spec, task = inferred.spec, inferred.task
    log.info("input spec:\n%s", format_input_table(inferred))
    labels = _resolve_labels(cfg)
    if labels is not None:  # a labels file one short is reported as such, before any data is read
        _check_label_count(labels, src)
    rep, ver, held_out = _data(cfg, inferred, labels)
    if labels is None and ver is not None and ver.labels is not None:
        labels = ver.labels
    if labels is None:
        if src.num_outputs == 10 and task == "digits":
            labels = tuple(str(d) for d in range(10))
        else:
            raise ValueError(
                f"the model has {src.num_outputs} outputs and no labels are known: "
                "pass --labels FILE (one label per line, in output order)"
            )
    _check_label_count(labels, src)
    if (
        ver is not None
        and ver.y is not None
        and ver.y.size
        and (ver.y.min() < 0 or ver.y.max() >= len(labels))
    ):
        raise ValueError(
            f"verification labels span {ver.y.min()}..{ver.y.max()} but the model has {len(labels)} classes"
        )

    io_dtype = cfg.resolved_io_dtype
    name = cfg.name or f"{src.path.stem}-{cfg.quant}"
    out = Path(cfg.out) if cfg.out is not None else Path("out") / name
    hw = (spec.height, spec.width, spec.channels)

    assert ver is not None
    log.info("running the source model on %d verification samples", len(ver))
    reference = src.predict(ver.x)
    activation = detect_activation(reference)

    log.info("converting %s to %s (io %s)", src.path, cfg.quant, io_dtype)
    fix = hw if None in src.input_shape else None
    calib = None if rep is None or cfg.quant not in CALIBRATED_MODES else rep.x
    debug, kept_float = None, []
    if cfg.debug_quant or cfg.skip_quant or cfg.float_worst:
        conv = src.converter_factory(fix)()
        configure_converter(conv, "int8", calib, "float32", cfg.tflite_runtime_compat)
        debug = QuantDebug(conv, src.path.name)
        kept_float = debug.resolve(cfg.skip_quant)
        kept_float += [t for t in debug.worst(cfg.float_worst) if t not in kept_float]
    if debug is not None and kept_float:
        tflite = debug.model_without(kept_float)
    else:
        tflite = src.to_tflite(cfg.quant, calib, io_dtype, cfg.tflite_runtime_compat, fix, cfg.select_tf_ops)
    flex_ops = uses_flex_ops(tflite) if cfg.select_tf_ops else []
    in_d, out_d = _io_details(tflite, flex=bool(flex_ops))
    in_q = _qjson(in_d)
    spec = InputSpec(
        shape=spec.shape,
        dtype=np.dtype(in_d["dtype"]).name,
        colour_order=spec.colour_order,
        value_range=spec.value_range,
        quant=QuantParams(**in_q),
    )

    meta: dict[str, Any] = {
        "name": name,
        "task": task,
        "input": spec.to_json(),
        "output": {
            "num_classes": len(labels),
            "dtype": np.dtype(out_d["dtype"]).name,
            "quant": _qjson(out_d),
            "activation": activation,
        },
        "preprocessing": inferred.preprocessing,
        "quantization": {
            "mode": cfg.quant,
            "io_dtype": io_dtype,
            "tflite_runtime_compat": cfg.tflite_runtime_compat,
            "representative_samples": 0 if calib is None or rep is None else len(rep),
            "representative_data": None if calib is None or rep is None else rep.name,
            **({"float_layers": kept_float} if debug is not None else {}),
            **({"layer_errors": LAYER_ERRORS_FILE} if debug is not None else {}),
        },
        "requires_flex": bool(flex_ops),
        **({"flex_ops": flex_ops} if flex_ops else {}),
        "source_model": {
            "path": _display_path(src.path),
            "format": src.format,
            "sha256": src.sha256(),
            **_batch_note(src),
        },
        "training": read_training_provenance(src.path),
        "converter": {**_versions(), "config": cfg.to_json(), "input_spec": inferred.to_json()},
        "created_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),  # noqa: UP017 (Python 3.10)
    }
    # refused before anything is written: a task whose pipeline cannot make this input
    check_task_input(out / "model.json", task, meta["preprocessing"], spec)
    bundle_dir = write_bundle(out, tflite, list(labels), meta)
    layer_table = ""
    if debug is not None:
        write_layer_errors(debug.errors, bundle_dir / LAYER_ERRORS_FILE, kept_float)
        layer_table = format_layer_errors(debug.errors, 5, kept_float)

    try:
        runtime = "tensorflow" if flex_ops and cfg.runtime == "auto" else cfg.runtime
        metrics = verify_bundle(bundle_dir, ver.x, reference, ver.y, activation, runtime)
    except (BundleError, RuntimeError) as e:
        if not flex_ops:
            raise
        log.warning("the Flex file cannot be run here, so it is not verified: %s", str(e).splitlines()[0])
        metrics = _unverified(len(ver), len(tflite), f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    metrics["held_out"] = held_out
    check = check_agreement(metrics, cfg)
    metrics["check"] = check.to_json()
    update_metrics(bundle_dir, ver.name, metrics)
    load_bundle(bundle_dir)  # the sha256 in model.json still matches the file
    log.info("bundle %s written: %d bytes, agreement %s", bundle_dir, len(tflite), metrics["top1_agreement"])
    return ConvertReport(
        bundle_dir=bundle_dir,
        name=name,
        quant=cfg.quant,
        io_dtype=io_dtype,
        size_bytes=len(tflite),
        metrics_key=ver.name,
        metrics=metrics,
        held_out=held_out,
        input_table=format_input_table(inferred),
        inferred=inferred.to_json(),
        check=check.to_json(),
        layer_table=layer_table,
        requires_flex=bool(flex_ops),
    )


def _unverified(samples: int, size: int, reason: str) -> dict[str, Any]:
    """Metrics of a file that could not be run here (a Flex file without the Flex delegate)."""
    return {
        "samples": samples,
        "source_accuracy": None,
        "tflite_accuracy": None,
        "top1_agreement": None,
        "mean_abs_prob_diff": None,
        "max_abs_prob_diff": None,
        "size_bytes": size,
        "size_kib": round(size / 1024, 1),
        "runtime": None,
        "not_verified": reason,
    }


def _batch_note(src: SourceModel) -> dict[str, Any]:
    """``model.json`` ``source_model`` entries for a model whose input batch size is fixed."""
    if src.fixed_batch is None or src.fixed_batch == 1:
        return {}
    if src.keras_model is not None:
        return {"batch_size": src.fixed_batch, "converted_batch": "dynamic (one frame per call)"}
    return {
        "batch_size": src.fixed_batch,
        "converted_batch": f"{src.fixed_batch} (fixed by the SavedModel signature; the device pads)",
    }


def _display_path(p: Path) -> str:
    """``p`` relative to the working directory when it lies below it (no home paths in bundles)."""
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p.resolve())
