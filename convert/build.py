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

from convert.config import DEFAULT_PREPROCESSING, ConvertConfig, ConvertReport
from convert.data import Samples, load_samples, mnist_samples, split
from convert.source import SourceModel, load_source_model, read_training_provenance
from convert.verify import detect_activation, verify_bundle
from edge.bundle import InputSpec, QuantParams, load_bundle, read_labels, update_metrics, write_bundle
from edge.bundle_check import check_task_input, default_preprocessing
from edge.runtime import make_interpreter

log = logging.getLogger(__name__)

#: Random inputs used for an agreement-only check when no data is given at all.
RANDOM_VERIFY_SAMPLES = 256


def _input_hwc(src: SourceModel, cfg: ConvertConfig) -> tuple[int, int, int]:
    h, w, c = src.input_shape
    if cfg.input_size is not None:
        ih, iw = cfg.input_size
        if (h is not None and h != ih) or (w is not None and w != iw):
            raise ValueError(
                f"--input-size {ih} {iw} differs from the model's fixed input {h}x{w}; leave it out"
            )
        h, w = ih, iw
    if h is None or w is None or c is None:
        raise ValueError(
            f"the model's input (H, W, C) = {src.input_shape} has unknown dims; pass --input-size H W"
        )
    return int(h), int(w), int(c)


def resolve_input_spec(src: SourceModel, cfg: ConvertConfig) -> InputSpec:
    """The float input spec (before conversion) from the model and the overrides.

    Raises:
        ValueError: unknown spatial dims without ``input_size``, or a colour order
            that does not fit the channel count.
    """
    h, w, c = _input_hwc(src, cfg)
    colour = cfg.colour_order or ("grey" if c == 1 else "RGB")
    if (colour == "grey") != (c == 1):
        raise ValueError(
            f"--colour-order {colour} does not fit a model input with {c} channel(s); "
            f"use {'grey' if c == 1 else 'RGB or BGR'}"
        )
    value_range = cfg.value_range or src.default_value_range()
    return InputSpec(
        shape=(1, h, w, c),
        dtype="float32",
        colour_order=colour,
        value_range=(float(value_range[0]), float(value_range[1])),
    )


def _data(
    cfg: ConvertConfig, spec: InputSpec, labels: tuple[str, ...] | None
) -> tuple[Samples | None, Samples | None, bool]:
    """(representative, verification, held_out) samples for ``cfg``."""
    hwc = (spec.height, spec.width, spec.channels)
    rep: Samples | None = None
    rest: Samples | None = None
    if cfg.rep_data is not None:
        # Labelled only when the part left over from calibration verifies the model.
        labelled = cfg.verify_data is None and cfg.dataset is None
        pool = load_samples(cfg.rep_data, hwc, spec.colour_order, spec.value_range, labels, labelled=labelled)
        rep, rest = split(pool, cfg.rep_samples, cfg.seed)
    elif cfg.dataset == "mnist" and cfg.quant == "int8":  # only int8 calibrates
        rep = mnist_samples("train", hwc, spec.value_range, cfg.data_dir, cfg.rep_samples, cfg.seed)

    held_out = True
    if cfg.verify_data is not None:
        ver: Samples | None = load_samples(cfg.verify_data, hwc, spec.colour_order, spec.value_range, labels)
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


def _io_details(tflite: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Input and output tensor details of a flatbuffer, read by the device runtime."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "model.tflite"
        p.write_bytes(tflite)
        interp, _ = make_interpreter(p)
        interp.allocate_tensors()
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
    src = load_source_model(cfg.model, cfg.signature)
    spec = resolve_input_spec(src, cfg)
    labels = _resolve_labels(cfg)
    rep, ver, held_out = _data(cfg, spec, labels)
    if labels is None and ver is not None and ver.labels is not None:
        labels = ver.labels
    if labels is None:
        if src.num_outputs == 10 and cfg.task == "digits":
            labels = tuple(str(d) for d in range(10))
        else:
            raise ValueError(
                f"the model has {src.num_outputs} outputs and no labels are known: "
                "pass --labels FILE (one label per line, in output order)"
            )
    if len(labels) != src.num_outputs:
        raise ValueError(
            f"{len(labels)} labels ({', '.join(labels[:5])}"
            f"{', ...' if len(labels) > 5 else ''}) but the model has "
            f"{src.num_outputs} outputs; fix the labels file (one label per line, "
            "in output order)"
        )
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
    tflite = src.to_tflite(
        cfg.quant,
        None if rep is None or cfg.quant != "int8" else rep.x,
        io_dtype,
        cfg.tflite_runtime_compat,
        input_shape=hw if None in src.input_shape else None,
    )
    in_d, out_d = _io_details(tflite)
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
        "task": cfg.task,
        "input": spec.to_json(),
        "output": {
            "num_classes": len(labels),
            "dtype": np.dtype(out_d["dtype"]).name,
            "quant": _qjson(out_d),
            "activation": activation,
        },
        "preprocessing": cfg.preprocessing
        or default_preprocessing(cfg.task, spec)
        or DEFAULT_PREPROCESSING[cfg.task],
        "quantization": {
            "mode": cfg.quant,
            "io_dtype": io_dtype,
            "tflite_runtime_compat": cfg.tflite_runtime_compat,
            "representative_samples": 0 if cfg.quant != "int8" or rep is None else len(rep),
            "representative_data": None if cfg.quant != "int8" or rep is None else rep.name,
        },
        "source_model": {"path": _display_path(src.path), "format": src.format, "sha256": src.sha256()},
        "training": read_training_provenance(src.path),
        "converter": {**_versions(), "config": cfg.to_json()},
        "created_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),  # noqa: UP017 (Python 3.10)
    }
    # refused before anything is written: a task whose pipeline cannot make this input
    check_task_input(out / "model.json", cfg.task, meta["preprocessing"], spec)
    bundle_dir = write_bundle(out, tflite, list(labels), meta)

    metrics = verify_bundle(bundle_dir, ver.x, reference, ver.y, activation, cfg.runtime)
    metrics["held_out"] = held_out
    update_metrics(bundle_dir, ver.name, metrics)
    load_bundle(bundle_dir)  # the sha256 in model.json still matches the file
    log.info(
        "bundle %s written: %d bytes, agreement %.4f", bundle_dir, len(tflite), metrics["top1_agreement"]
    )
    return ConvertReport(
        bundle_dir=bundle_dir,
        name=name,
        quant=cfg.quant,
        io_dtype=io_dtype,
        size_bytes=len(tflite),
        metrics_key=ver.name,
        metrics=metrics,
        held_out=held_out,
    )


def _display_path(p: Path) -> str:
    """``p`` relative to the working directory when it lies below it (no home paths in bundles)."""
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p.resolve())
