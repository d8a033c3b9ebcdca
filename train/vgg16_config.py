"""Every parameter of a VGG16 fine-tuning run (:mod:`train.vgg16`): :class:`Vgg16Config`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from models.vgg16 import check_input_size


@dataclass
class Vgg16Config:
    """Every parameter of a VGG16 fine-tuning run (saved as ``config.json``).

    Attributes:
        input_size: S, the side of the square RGB input in px, 32..224 (64..224 for
            real use; see :func:`models.vgg16.check_input_size`).
        weights: ``"imagenet"`` (Keras download), a local notop VGG16 weights file
            (``.h5``/``.weights.h5``), or ``None`` (random: tests and timing only).
        head_epochs: maximum epochs of stage 1 (head on cached features), >= 1.
        finetune_epochs: maximum epochs of stage 2 (block5 + head on images); 0 skips it.
        batch_size: images (stage 2, feature extraction) or feature vectors (stage 1)
            per step.
        head_lr: Adam learning rate of stage 1.
        finetune_lr: Adam learning rate of stage 2 (low, so block5 moves gently).
        augment_copies: augmented copies of the training set whose features are cached
            beside the un-augmented one (stage 1 sees (1 + copies) × N vectors);
            ignored (0) without an ``augment`` function.
        augment_tag: text that names the augmentation settings; it goes into the
            feature-cache key, so set it (e.g. to the augmentation config as JSON)
            whenever the strengths change but the function's name does not.
        patience: epochs without validation-loss gain before early stopping (both stages).
        dropout: dropout on the pooled features.
        head_units: hidden dense units of the head (0: none).
        seed: seeds NumPy, TensorFlow, Keras, the augmentation and the shuffles.
        out_dir: where the model, config, plots and checkpoints go.
        cache_dir: feature cache; ``None``: ``<out_dir>/feature-cache``.
    """

    input_size: int = 96
    weights: str | None = "imagenet"
    head_epochs: int = 40
    finetune_epochs: int = 10
    batch_size: int = 32
    head_lr: float = 1e-3
    finetune_lr: float = 1e-5
    augment_copies: int = 4
    augment_tag: str = ""
    patience: int = 5
    dropout: float = 0.3
    head_units: int = 128
    seed: int = 0
    out_dir: str = "runs/vgg16"
    cache_dir: str | None = None

    def validate(self) -> None:
        """Raise ``ValueError`` (with the fix) for a bad value."""
        check_input_size(self.input_size)
        if self.head_epochs < 1:
            raise ValueError(f"head_epochs must be >= 1 (the head starts random), got {self.head_epochs}")
        if self.finetune_epochs < 0:
            raise ValueError(
                f"finetune_epochs must be >= 0 (0 skips fine-tuning), got {self.finetune_epochs}"
            )
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not (self.head_lr > 0 and self.finetune_lr > 0):
            raise ValueError(
                f"learning rates must be > 0, got head_lr={self.head_lr}, finetune_lr={self.finetune_lr}"
            )
        if self.augment_copies < 0:
            raise ValueError(f"augment_copies must be >= 0, got {self.augment_copies}")
        if self.patience < 1:
            raise ValueError(f"patience must be >= 1, got {self.patience}")

    @property
    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else Path(self.out_dir) / "feature-cache"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Vgg16Config:
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(
                f"unknown VGG16 config keys {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}"
            )
        return cls(**d)
