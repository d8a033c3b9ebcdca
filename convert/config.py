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
from convert.quantize import DEFAULT_REP_SAMPLES, IO_DTYPES, QUANT_MODES
from edge.bundle_schema import COLOUR_ORDERS, PREPROCESSING, TASKS

DATASETS = ("mnist",)
__all__ = ["DATASETS", "DEFAULT_PREPROCESSING", "ConvertConfig", "ConvertReport"]


@dataclass
class ConvertConfig:
    """Every parameter of one ``edge-convert`` run (saved in ``model.json``).

    Attributes:
        model: ``.keras``/``.h5`` file or SavedModel folder to convert.
        quant: ``float32``, ``float16``, ``dynamic`` or ``int8``.
        io_dtype: input/output type of int8 models: ``int8``, ``uint8``, ``float32``;
            ``auto``: ``int8`` for int8 models, ``float32`` otherwise.
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
        min_agreement: minimum top-1 agreement with the source model (0..1).
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
    min_agreement: float = 0.0
    signature: str = "serving_default"
    runtime: str = "auto"
    seed: int = 0

    def validate(self) -> None:
        """Raise ``ValueError`` (with the fix) for inconsistent settings."""
        if self.quant not in QUANT_MODES:
            raise ValueError(f"--quant {self.quant!r} is not one of {QUANT_MODES}")
        if self.io_dtype not in ("auto", *IO_DTYPES):
            raise ValueError(f"--io-dtype {self.io_dtype!r} is not one of auto, {IO_DTYPES}")
        if self.quant != "int8" and self.io_dtype not in ("auto", "float32"):
            raise ValueError(
                f"--io-dtype {self.io_dtype} needs --quant int8; {self.quant} models "
                "always have float32 input and output"
            )
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
        if not 0.0 <= self.min_agreement <= 1.0:
            raise ValueError(f"--min-agreement {self.min_agreement} must be a fraction in [0, 1]")

    @property
    def resolved_io_dtype(self) -> str:
        if self.io_dtype != "auto":
            return self.io_dtype
        return "int8" if self.quant == "int8" else "float32"

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

    @property
    def agreement(self) -> float:
        return float(self.metrics["top1_agreement"])
