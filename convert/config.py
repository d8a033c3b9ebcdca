"""What one ``edge-convert`` run is asked for and what it reports.

:class:`ConvertConfig` holds every parameter (validated by :meth:`ConvertConfig.validate`,
saved in ``model.json``); :class:`ConvertReport` is what :func:`convert.build.convert_to_bundle`
made and measured.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from convert.input_spec import DEFAULT_PREPROCESSING
from convert.quantize import CALIBRATED_MODES, DEFAULT_REP_SAMPLES, IO_DTYPES, MODE_IO_DTYPES, QUANT_MODES
from edge.bundle_schema import COLOUR_ORDERS, PREPROCESSING, TASKS

DATASETS = ("mnist",)
#: Top-1 agreement with the source model below which a conversion is flagged (fails with --strict).
DEFAULT_MIN_AGREEMENT = 0.98
#: Mean |p_tflite - p_source| over all classes and samples above which a conversion is flagged.
DEFAULT_MAX_PROB_DIFF = 0.02
__all__ = [
    "DATASETS",
    "DEFAULT_MAX_PROB_DIFF",
    "DEFAULT_MIN_AGREEMENT",
    "DEFAULT_PREPROCESSING",
    "ConvertConfig",
    "ConvertReport",
]


@dataclass
class ConvertConfig:
    """Every parameter of one ``edge-convert`` run (saved in ``model.json``).

    Attributes:
        model: ``.keras``/``.h5`` file or SavedModel folder to convert.
        quant: ``float32``, ``float16``, ``dynamic``, ``int8`` or ``int16x8``.
        io_dtype: input/output type of int8 models: ``int8``, ``uint8``, ``float32``; of
            int16x8 models ``int16`` or ``float32``; ``auto``: ``int8`` for int8 models
            (``float32`` when layers are kept in float), ``int16`` for int16x8, else ``float32``.
        tflite_runtime_compat: make the file loadable by tflite-runtime 2.14.
        out: bundle folder; ``None``: ``out/<name>``.
        name: bundle name; ``None``: ``<model stem>-<quant>``.
        task: ``digits``, ``hands`` or ``classify``; ``None``: ``digits`` for an MNIST-like
            model (28x28x1 input, 10 outputs, or ``--dataset mnist``), else ``classify``
            (see :mod:`convert.input_spec`).
        labels: labels file (one per line); ``None``: ``labels.txt`` beside the model
            file (as ``edge-train`` writes it), the dataset, class
            folders, or ``0``..``9`` for a 10-output digits model.
        preprocessing: what the device must do to camera crops; ``None``: by task
            (``mnist-normalise`` for digits, ``hand-crop`` for hands, ``resize`` for classify).
        colour_order: ``grey``, ``RGB`` or ``BGR``; ``None``: grey for 1 channel, RGB for 3.
        value_range: (lo, hi) of the model's real input values; ``None``: from the model's
            ``Rescaling``/``Normalization`` layer (in any format), else (0, 1).
        input_size: (H, W) for a model whose input size is unknown; ``None``: the model's.
        dataset: ``mnist`` or ``None``: built-in data for calibration (train split)
            and verification (test split).
        data_dir: where MNIST is (see :func:`edge.datasets.load_mnist`).
        rep_data: ``.npy`` array or image folder of training samples for int8 calibration.
        rep_samples: calibration samples drawn at random (seeded) from the data.
        verify_data: ``.npy``/``.npz`` array, image folder or class-folder tree of
            held-out samples; ``None``: the dataset's test split, else the part of
            ``rep_data`` not used for calibration.
        verify_samples: verification samples; ``None``: all of them.
        min_agreement: minimum top-1 agreement with the source model (0..1); ``None``:
            :data:`DEFAULT_MIN_AGREEMENT`, flagged with a warning but failing only with ``strict``;
            given: the run fails (exit 1) below it.
        max_prob_diff: maximum mean |Δp| with the source model; ``None``:
            :data:`DEFAULT_MAX_PROB_DIFF` (as ``min_agreement``).
        strict: fail (exit 1) when either check fails, default thresholds included.
        debug_quant: write per-layer int8 quantisation errors (``quant_layers.csv``) into
            the bundle (:mod:`convert.quant_debug`).
        skip_quant: int8 only: layers (Keras layer or tensor names) kept in float.
        float_worst: int8 only: keep the N layers with the largest quantisation error in float.
        custom_objects: ``MODULE:NAME`` entries for Keras files with custom layers.
        unsafe_load: load Keras files with ``safe_mode=False`` (Lambda layers' code runs).
        select_tf_ops: allow TensorFlow (Flex) ops where builtins lack one; such a bundle
            says ``requires_flex`` and only full TensorFlow can run it.
        signature: SavedModel serving signature.
        runtime: interpreter for verification (see :func:`edge.runtime.make_interpreter`).
        seed: seed of the random sample draws.
    """

    model: Path
    quant: str = "int8"
    io_dtype: str = "auto"
    tflite_runtime_compat: bool = False
    out: Path | None = None
    name: str | None = None
    task: str | None = None
    labels: Path | None = None
    preprocessing: str | None = None
    colour_order: str | None = None
    value_range: tuple[float, float] | None = None
    input_size: tuple[int, int] | None = None
    dataset: str | None = None
    data_dir: Path | None = None
    rep_data: Path | None = None
    rep_samples: int = DEFAULT_REP_SAMPLES
    verify_data: Path | None = None
    verify_samples: int | None = None
    min_agreement: float | None = None
    max_prob_diff: float | None = None
    strict: bool = False
    debug_quant: bool = False
    skip_quant: tuple[str, ...] = ()
    float_worst: int = 0
    custom_objects: tuple[str, ...] = ()
    unsafe_load: bool = False
    select_tf_ops: bool = False
    signature: str = "serving_default"
    runtime: str = "auto"
    seed: int = 0

    def validate(self) -> None:
        """Raise ``ValueError`` (with the fix) for inconsistent settings."""
        if self.quant not in QUANT_MODES:
            raise ValueError(f"--quant {self.quant!r} is not one of {QUANT_MODES}")
        if self.io_dtype not in ("auto", *IO_DTYPES):
            raise ValueError(f"--io-dtype {self.io_dtype!r} is not one of auto, {IO_DTYPES}")
        if self.quant not in CALIBRATED_MODES and self.io_dtype not in ("auto", "float32"):
            raise ValueError(
                f"--io-dtype {self.io_dtype} needs --quant int8; {self.quant} models "
                "always have float32 input and output"
            )
        if self.quant in CALIBRATED_MODES and self.io_dtype not in ("auto", *MODE_IO_DTYPES[self.quant]):
            raise ValueError(
                f"--quant {self.quant} takes --io-dtype {' or '.join(MODE_IO_DTYPES[self.quant])}, "
                f"not {self.io_dtype}"
            )
        selective = bool(self.skip_quant) or self.float_worst > 0
        if (selective or self.debug_quant) and self.quant != "int8":
            raise ValueError(
                "--debug-quant, --skip-quant and --float-worst work on int8 models (TensorFlow's "
                f"QuantizationDebugger): add --quant int8, not {self.quant}"
            )
        if selective and self.io_dtype not in ("auto", "float32"):
            raise ValueError(
                "a model with layers kept in float has float32 input and output: drop "
                f"--io-dtype {self.io_dtype} (or pass --io-dtype float32)"
            )
        if self.float_worst < 0:
            raise ValueError("--float-worst N needs N >= 0")
        if self.task is not None and self.task not in TASKS:
            raise ValueError(f"--task {self.task!r} is not one of {TASKS}")
        if self.preprocessing is not None and self.preprocessing not in PREPROCESSING:
            raise ValueError(f"--preprocessing {self.preprocessing!r} is not one of {PREPROCESSING}")
        if self.colour_order is not None and self.colour_order not in COLOUR_ORDERS:
            raise ValueError(f"--colour-order {self.colour_order!r} is not one of {COLOUR_ORDERS}")
        if self.value_range is not None and not self.value_range[0] < self.value_range[1]:
            raise ValueError(f"--value-range {self.value_range} must be LO HI with LO < HI")
        if self.dataset is not None and self.dataset not in DATASETS:
            raise ValueError(f"--dataset {self.dataset!r} is not one of {DATASETS}")
        if self.rep_samples < 1:
            raise ValueError("--rep-samples must be >= 1")
        if self.verify_samples is not None and self.verify_samples < 1:
            raise ValueError("--verify-samples must be >= 1 (leave it out to use all)")
        if self.min_agreement is not None and not 0.0 <= self.min_agreement <= 1.0:
            raise ValueError(f"--min-agreement {self.min_agreement} must be a fraction in [0, 1]")
        if self.max_prob_diff is not None and not 0.0 <= self.max_prob_diff <= 1.0:
            raise ValueError(f"--max-prob-diff {self.max_prob_diff} must be in [0, 1]")

    @property
    def resolved_io_dtype(self) -> str:
        if self.io_dtype != "auto":
            return self.io_dtype
        if self.quant == "int8":
            return "float32" if self.skip_quant or self.float_worst > 0 else "int8"
        return "int16" if self.quant == "int16x8" else "float32"

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        return {
            k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v)
            for k, v in d.items()
        }


@dataclass
class ConvertReport:
    """What :func:`convert_to_bundle` made and measured.

    Attributes:
        bundle_dir: the written bundle.
        name: bundle name.
        quant: quantisation mode; ``io_dtype`` the input/output tensor type.
        size_bytes: size of ``model.tflite``.
        metrics_key: where the metrics sit in ``model.json`` (``"mnist-test"`` ...).
        metrics: see :func:`convert.verify.verify_bundle`.
        held_out: whether the verification data was kept out of calibration.
        input_table: the printed table of the input spec, task and preprocessing used and
            where each came from (:func:`convert.input_spec.format_input_table`).
        inferred: the same as JSON (``model.json`` ``converter.input_spec``).
        check: the agreement check (``model.json`` ``metrics.<key>.check``; see
            :func:`convert.agreement.check_agreement`).
        layer_table: the worst layers' quantisation errors (``--debug-quant``, ``--skip-quant``,
            ``--float-worst``), or ``""``.
        requires_flex: the file needs Flex (select TF) ops: only full TensorFlow runs it.
    """

    bundle_dir: Path
    name: str
    quant: str
    io_dtype: str
    size_bytes: int
    metrics_key: str
    metrics: dict[str, Any] = field(default_factory=dict)
    held_out: bool = True
    input_table: str = ""
    inferred: dict[str, Any] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)
    layer_table: str = ""
    requires_flex: bool = False

    @property
    def agreement(self) -> float:
        """Top-1 agreement with the source model; NaN when the file could not be run here."""
        v = self.metrics.get("top1_agreement")
        return float("nan") if v is None else float(v)
