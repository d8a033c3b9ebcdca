"""The parameters of an ``edge-train hands`` run: :class:`HandsConfig` (saved as ``config.json``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from train.config import JsonConfig
from train.extra_mix import extra_per_batch
from train.hand_augment import HandAugmentConfig

ARCHS = ("lenet", "vgg16")


#: Sources whose ``none`` photos are empty scenes (no hand): composite backgrounds.
EMPTY_SCENE_SOURCES = ("github-webcam-rps",)


def default_data_dirs() -> list[str]:
    """``$EDGE_DATA_DIR/rps`` (or ``$EDGE_DATA_DIR``) if set, else ``../shared/data/rps`` if present."""
    env = os.environ.get("EDGE_DATA_DIR")
    if env:
        p = Path(env)
        return [str(p / "rps" if (p / "rps").is_dir() else p)]
    here = Path.cwd().parent / "shared" / "data" / "rps"
    return [str(here)] if here.is_dir() else []


@dataclass
class HandsConfig(JsonConfig):
    """Every parameter of a hands training run (saved as ``config.json``).

    Attributes:
        arch: ``"lenet"`` (from scratch) or ``"vgg16"`` (transfer learning).
        data: folders of class folders, or folders of such sources.
        out_dir: outputs (see the module docstring).
        input_size: model input side in px (64 for LeNet; 64..224 for VGG16).
        work_size: side photos are kept at before augmentation (default 1.5 x input).
        exclude_sources: source folder names to leave out.
        holdout_sources: source folder names held out whole as a test split.
        backgrounds: extra folders of photos of empty scenes for compositing.
        val_fraction: share of each source's photos (whole groups) for validation.
        synthetic_none: background-only ``none`` samples added, as a share of a batch.
        hard_negatives: add the hand segmenter's proposals in training photos of
            scenes without a hand (:data:`EMPTY_SCENE_SOURCES` ``none`` photos and
            ``backgrounds``) as ``none`` samples (:func:`train.hands_prep.mine_hard_negatives`).
        width: LeNet width (filters of the first stage).
        epochs: maximum epochs (LeNet; VGG16 fine-tuning uses ``finetune_epochs``).
        batch_size: images per step.
        learning_rate: peak Adam learning rate (cosine decay).
        patience: epochs without val-accuracy gain before early stopping (0: off).
        checkpoint_every: save ``checkpoints/epoch-NNN.keras`` every N epochs.
        label_smoothing: cross-entropy label smoothing.
        dropout: dropout before the classifier.
        augment: augmentation strengths; ``None`` switches augmentation off.
        weights: VGG16 base weights: ``"imagenet"``, a local file, or ``None``.
        head_epochs: VGG16 head epochs on cached features.
        finetune_epochs: VGG16 fine-tuning epochs (0: head only).
        finetune_lr: VGG16 fine-tuning learning rate.
        augment_copies: VGG16 augmented copies of the training set in the feature cache.
        seed: seeds NumPy, TensorFlow, Keras and the split.
        limit: use only N training photos (quick tries, tests).
        extra: folders of the user's own samples (class folders named by label).
        extra_ratio: share of each batch drawn from ``extra``, in [0, 1); 0 = plain
            concatenation (see :mod:`train.extra_data`).
        extra_val_fraction: share of ``extra`` held out (by session) and scored.
        init_from: ``.keras`` file or run folder of a hands LeNet to fine-tune
            (``arch`` ``lenet`` only); its ``labels.txt`` sets the label order.
    """

    augment_class: ClassVar[type] = HandAugmentConfig
    kind: ClassVar[str] = "hands"

    arch: str = "lenet"
    data: list[str] = field(default_factory=default_data_dirs)
    out_dir: str = "runs/hands"
    input_size: int = 64
    work_size: int | None = None
    exclude_sources: list[str] = field(default_factory=list)
    holdout_sources: list[str] = field(default_factory=list)
    backgrounds: list[str] = field(default_factory=list)
    val_fraction: float = 0.15
    synthetic_none: float = 0.06
    hard_negatives: bool = True
    width: int = 24
    epochs: int = 40
    batch_size: int = 64
    learning_rate: float = 2e-3
    patience: int = 10
    checkpoint_every: int = 5
    label_smoothing: float = 0.1
    dropout: float = 0.3
    augment: HandAugmentConfig | None = field(default_factory=HandAugmentConfig)
    weights: str | None = "imagenet"
    head_epochs: int = 30
    finetune_epochs: int = 5
    finetune_lr: float = 1e-5
    augment_copies: int = 3
    seed: int = 0
    limit: int | None = None
    extra: list[str] = field(default_factory=list)
    extra_ratio: float = 0.0
    extra_val_fraction: float = 0.2
    init_from: str | None = None

    def check(self) -> None:
        """Raise ValueError with the fix for an inconsistent configuration."""
        if self.arch not in ARCHS:
            raise ValueError(f"unknown arch {self.arch!r}; choose one of {ARCHS}")
        if not self.data:
            raise ValueError(
                "no gesture data: pass --data DIR (a folder of rock/ paper/ scissors/ "
                "[none/] folders, or of such folders) or set EDGE_DATA_DIR"
            )
        lo = 64 if self.arch == "vgg16" else 16
        if not lo <= self.input_size <= 224:
            raise ValueError(f"input_size {self.input_size} out of range: use {lo}..224 px")
        if self.work_size is not None and self.work_size < self.input_size:
            raise ValueError("work_size must be >= input_size")
        extra_per_batch(self.extra_ratio, self.batch_size)
        if self.extra_ratio and not self.extra:
            raise ValueError("--extra-ratio needs --extra DIR (folders of your own samples)")
        if not 0.0 <= self.extra_val_fraction <= 0.9:
            raise ValueError(f"extra_val_fraction must be in [0, 0.9], got {self.extra_val_fraction}")
        if self.init_from and self.arch != "lenet":
            raise ValueError(
                "--init-from fine-tunes a hands LeNet (--arch lenet); for VGG16 the head and "
                "block 5 are fine-tuned from ImageNet weights already"
            )
