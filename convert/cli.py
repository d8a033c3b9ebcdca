"""``edge-convert``: Keras model → verified TFLite model bundle.

Usage::

    edge-convert runs/lenet/model.keras --quant int8 --dataset mnist
    edge-convert model.keras --quant dynamic --tflite-runtime-compat --dataset mnist
    edge-convert my_saved_model/ --quant int8 --rep-data train_imgs/ \\
        --verify-data test_imgs/ --labels labels.txt --task hands --value-range 0 255

Writes ``model.tflite``, ``labels.txt`` and ``model.json`` into ``--out`` (default
``out/<name>``), verifies the file against the source model with the device runtime
(images go through the device's preprocessing) and prints the input spec it used and
where each entry came from (:mod:`convert.input_spec`; ``!`` marks an assumption), then
size, accuracy and top-1 agreement. A file whose top-1 agreement or mean |Δp| misses the
thresholds (:mod:`convert.agreement`) gets one WARNING block; ``--strict`` (or an explicit
``--min-agreement``/``--max-prob-diff``) makes that exit 1. Exit codes: 0 done, 1 the check
failed and was enforced, 2 bad input (the message says what to fix).

More: ``--debug-quant`` (per-layer int8 error, TensorFlow's QuantizationDebugger, into
``quant_layers.csv``), ``--skip-quant LAYER`` / ``--float-worst N`` (keep layers in float),
``--quant int16x8``, ``--custom-objects MODULE:NAME`` and ``--unsafe-load`` for Keras files
with custom or Lambda layers, ``--select-tf-ops`` (only full TensorFlow runs such a file).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from convert.agreement import check_agreement, warning_block
from convert.build import convert_to_bundle
from convert.config import (
    DATASETS,
    DEFAULT_MAX_PROB_DIFF,
    DEFAULT_MIN_AGREEMENT,
    ConvertConfig,
    ConvertReport,
)
from convert.quantize import IO_DTYPES, QUANT_MODES
from convert.requires import train_extra_error
from edge.bundle import COLOUR_ORDERS, PREPROCESSING, TASKS
from edge.runtime import RUNTIMES

log = logging.getLogger(__name__)


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows defaults, except unset (None) ones and off switches, whose help says it all."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def _parser() -> argparse.ArgumentParser:
    d = ConvertConfig(model=Path("."))
    p = argparse.ArgumentParser(
        prog="edge-convert",
        description=__doc__.split("\n\n")[0].replace("``", ""),
        epilog="Exit codes: 0 done, 1 the agreement check failed with --strict (or an explicit "
        "threshold), 2 bad input.",
        formatter_class=_Formatter,
    )
    p.add_argument("model", type=Path, help=".keras or .h5 file, or SavedModel folder")
    g = p.add_argument_group("conversion")
    g.add_argument(
        "--quant",
        choices=QUANT_MODES,
        default=d.quant,
        help="float32; float16 weights; dynamic-range int8 weights; full-integer int8; "
        "int16 activations with int8 weights (int16x8, calibrated like int8)",
    )
    g.add_argument(
        "--io-dtype",
        choices=("auto", *IO_DTYPES),
        default=d.io_dtype,
        help="input/output tensor type of calibrated models (auto: int8 for --quant int8, int16 for "
        "int16x8, float32 otherwise and when layers are kept in float)",
    )
    g.add_argument(
        "--select-tf-ops",
        action="store_true",
        help="let TensorFlow (Flex) ops stand in where TFLite builtins lack one; the bundle says "
        "requires_flex and ONLY full TensorFlow can run it (not ai-edge-litert, not tflite-runtime)",
    )
    g.add_argument(
        "--debug-quant",
        action="store_true",
        help="int8: measure each layer's quantisation error (TensorFlow's QuantizationDebugger), "
        "print the worst and write quant_layers.csv into the bundle",
    )
    g.add_argument(
        "--skip-quant",
        nargs="+",
        default=[],
        metavar="LAYER",
        help="int8: keep these layers (Keras layer names, or tensor names from quant_layers.csv) "
        "in float; the file then has float32 input and output",
    )
    g.add_argument(
        "--float-worst",
        type=int,
        default=0,
        metavar="N",
        help="int8: keep the N layers with the largest quantisation error in float",
    )
    k = p.add_argument_group("loading Keras files")
    k.add_argument(
        "--custom-objects",
        action="append",
        default=[],
        metavar="MODULE:NAME,...",
        help="custom layers/functions the file needs: an importable module or a .py file, and the "
        "class name (my_layers:MyLayer or path/layers.py:MyLayer,Other); repeatable",
    )
    k.add_argument(
        "--unsafe-load",
        action="store_true",
        help="load with Keras safe_mode=False so Lambda layers work; this RUNS the file's Python "
        "code: only for files you trust",
    )
    g.add_argument(
        "--tflite-runtime-compat",
        action="store_true",
        help="make the file loadable by tflite-runtime 2.14 (per-channel dense "
        "quantisation off for dynamic-range models)",
    )
    g.add_argument("--signature", default=d.signature, help="SavedModel serving signature")
    b = p.add_argument_group("bundle")
    b.add_argument("--out", type=Path, default=d.out, help="bundle folder (default out/NAME)")
    b.add_argument("--name", default=d.name, help="bundle name (default MODELSTEM-QUANT)")
    b.add_argument(
        "--task",
        choices=TASKS,
        default=d.task,
        help="what the model recognises (default: digits for an MNIST-like 28x28x1 model with "
        "10 outputs, else classify: your own classifier on the whole frame)",
    )
    b.add_argument(
        "--labels",
        type=Path,
        default=d.labels,
        help="labels file, one per line in output order (default: 0..9 for MNIST or a "
        "10-output digits model, or the class-folder names of --verify-data)",
    )
    b.add_argument(
        "--preprocessing",
        choices=PREPROCESSING,
        default=d.preprocessing,
        help="what the device does to camera crops, and what verification does to images "
        "(default: mnist-normalise for digits, hand-crop for hands, resize for classify; "
        "classify also takes centre-crop)",
    )
    b.add_argument(
        "--colour-order",
        choices=COLOUR_ORDERS,
        default=d.colour_order,
        help="input colour order (default: grey for 1 channel, RGB for 3)",
    )
    b.add_argument(
        "--value-range",
        type=float,
        nargs=2,
        metavar=("LO", "HI"),
        default=d.value_range,
        help="real input values the model was trained on (default: from a Rescaling or "
        "Normalization layer at the model's start, in any format, else 0 1)",
    )
    b.add_argument(
        "--input-size",
        type=int,
        nargs=2,
        metavar=("H", "W"),
        default=d.input_size,
        help="input size for a model whose size is not fixed",
    )
    a = p.add_argument_group("data (calibration and verification)")
    a.add_argument(
        "--dataset",
        choices=DATASETS,
        default=d.dataset,
        help="built-in data: train split for calibration, test split for verification",
    )
    a.add_argument(
        "--data-dir",
        type=Path,
        default=d.data_dir,
        help="MNIST folder or mnist.npz (default: $EDGE_DATA_DIR, then the Keras cache)",
    )
    a.add_argument(
        "--rep-data",
        type=Path,
        default=d.rep_data,
        help="training samples for int8 calibration: a folder of images or a .npy "
        "(N, H, W, C) array (uint8 pixels, or floats in the value range)",
    )
    a.add_argument(
        "--rep-samples", type=int, default=d.rep_samples, help="calibration samples drawn from the data"
    )
    a.add_argument(
        "--verify-data",
        type=Path,
        default=d.verify_data,
        help="held-out samples: image folder, class-folder tree (labelled), .npy, or "
        ".npz with x and y (default: the dataset's test split, else the part of "
        "--rep-data not used for calibration)",
    )
    a.add_argument(
        "--verify-samples", type=int, default=d.verify_samples, help="verification samples (default: all)"
    )
    a.add_argument(
        "--min-agreement",
        type=float,
        default=d.min_agreement,
        help="top-1 agreement with the source model below which the run fails (exit 1); "
        f"unset: {DEFAULT_MIN_AGREEMENT}, warning only (an error with --strict)",
    )
    a.add_argument(
        "--max-prob-diff",
        type=float,
        default=d.max_prob_diff,
        help="mean |p_tflite - p_source| above which the run fails (exit 1); unset: "
        f"{DEFAULT_MAX_PROB_DIFF}, warning only (an error with --strict)",
    )
    a.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when the file misses the agreement thresholds, default ones included",
    )
    a.add_argument(
        "--runtime", choices=RUNTIMES, default=d.runtime, help="TFLite interpreter used for verification"
    )
    a.add_argument("--seed", type=int, default=d.seed, help="seed of the sample draws")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return p


def _config(args: argparse.Namespace) -> ConvertConfig:
    return ConvertConfig(
        model=args.model,
        quant=args.quant,
        io_dtype=args.io_dtype,
        tflite_runtime_compat=args.tflite_runtime_compat,
        out=args.out,
        name=args.name,
        task=args.task,
        labels=args.labels,
        preprocessing=args.preprocessing,
        colour_order=args.colour_order,
        value_range=None if args.value_range is None else tuple(args.value_range),
        input_size=None if args.input_size is None else tuple(args.input_size),
        dataset=args.dataset,
        data_dir=args.data_dir,
        rep_data=args.rep_data,
        rep_samples=args.rep_samples,
        verify_data=args.verify_data,
        verify_samples=args.verify_samples,
        min_agreement=args.min_agreement,
        max_prob_diff=args.max_prob_diff,
        strict=args.strict,
        debug_quant=args.debug_quant,
        skip_quant=tuple(args.skip_quant),
        float_worst=args.float_worst,
        custom_objects=tuple(args.custom_objects),
        unsafe_load=args.unsafe_load,
        select_tf_ops=args.select_tf_ops,
        signature=args.signature,
        runtime=args.runtime,
        seed=args.seed,
    )


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f}%"


def format_report(r: ConvertReport) -> str:
    """The short table printed after a conversion."""
    m = r.metrics
    rows = [
        ("bundle", f"{r.bundle_dir}  ({r.name})"),
        ("quant", f"{r.quant}, {r.io_dtype} input/output"),
        ("size", f"{r.size_bytes / 1024:.1f} KiB ({r.size_bytes:,} bytes)"),
        (
            "verified on",
            f"{r.metrics_key}: {m['samples']:,} samples"
            f"{'' if r.held_out else ' (NOT held out)'}, runtime {m['runtime']}",
        ),
        ("accuracy", f"source {_pct(m['source_accuracy'])}   tflite {_pct(m['tflite_accuracy'])}"),
        (
            "agreement",
            f"{_pct(m['top1_agreement'])} top-1 (tflite vs source); mean |Δp| "
            + ("-" if m["mean_abs_prob_diff"] is None else f"{m['mean_abs_prob_diff']:.4f}"),
        ),
    ]
    if r.requires_flex:
        rows.append(("runtime", "requires_flex: ONLY full TensorFlow can run this file (Flex ops)"))
    return "\n".join(f"{k:<12}{v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``edge-convert``; returns the process exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    missing = train_extra_error("edge-convert")
    if missing is not None:  # before anything is read or written
        print(f"edge-convert: error: {missing}", file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is imported
    try:
        cfg = _config(args)
        report = convert_to_bundle(cfg)
    except (ValueError, RuntimeError, OSError) as e:
        print(f"edge-convert: error: {' '.join(str(e).split())}", file=sys.stderr)  # one line
        return 2
    check = check_agreement(report.metrics, cfg)
    if args.json:
        print(
            json.dumps(
                {
                    "bundle_dir": str(report.bundle_dir),
                    "name": report.name,
                    "quant": report.quant,
                    "io_dtype": report.io_dtype,
                    "metrics_key": report.metrics_key,
                    "input_spec": report.inferred,
                    "requires_flex": report.requires_flex,
                    **report.metrics,
                },
                indent=2,
            )
        )
    else:
        print(report.input_table)
        print(format_report(report))
        if report.layer_table:
            print(report.layer_table)
    if report.requires_flex:
        print(
            "edge-convert: WARNING: this bundle needs TensorFlow (Flex) ops; ai-edge-litert and "
            "tflite-runtime cannot run it, only full TensorFlow with the Flex delegate "
            "(model.json requires_flex)",
            file=sys.stderr,
        )
    block = warning_block(check, report.quant, str(report.bundle_dir), report.metrics.get("samples"))
    if block:
        print(block, file=sys.stderr)
    return 1 if check.fails_run else 0
