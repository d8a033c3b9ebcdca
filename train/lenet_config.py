"""Every parameter of the ``edge-train lenet`` job: :class:`LenetConfig` (``config.json``).

Also the names of the ``tf.distribute`` strategies it may run under (:data:`STRATEGIES`).
The training itself is :mod:`train.lenet`, the model and strategy :mod:`train.lenet_model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from train.augment import AugmentConfig
from train.config import JsonConfig
from train.digit_data import parse_dataset_spec
from train.extra_mix import extra_per_batch
from train.svhn import SVHN_FRAMINGS

STRATEGIES = ("default", "mirrored", "multi-worker")


@dataclass
class LenetConfig(JsonConfig):
    """Every parameter of a LeNet training run (saved as ``config.json``).

    Attributes:
        variant: ``"modern"``, ``"strided"``, ``"wide-strided"`` or ``"lenet5"`` (see
            :mod:`models.lenet`).
        out_dir: where the model, config, plots and checkpoints go.
        data_dir: MNIST location (see :func:`edge.datasets.load_mnist`); ``None``:
            ``EDGE_DATA_DIR`` or the Keras cache.
        download: download ``mnist.npz`` if nothing local is found.
        epochs: maximum epochs.
        batch_size: per-step batch (global, across replicas).
        learning_rate: peak Adam learning rate (cosine decay to 1% of it).
        validation_split: fraction of the training set held out for early stopping
            and checkpoint selection; 0 trains on all 60,000 images for ``epochs``.
        patience: epochs without val-accuracy gain before early stopping.
        checkpoint_every: save ``checkpoints/epoch-NNN.keras`` every N epochs.
        augment: augmentation strengths; ``None`` switches augmentation off.
        label_smoothing: cross-entropy label smoothing.
        dropout: dropout rate before the classifier.
        strategy: ``default``, ``mirrored`` (all local GPUs) or ``multi-worker``
            (machines described by ``TF_CONFIG``).
        seed: seeds NumPy, TensorFlow and Keras.
        limit: use only the first N training images of each dataset (quick tries, tests).
        width: filters of the first ``modern`` stage (doubled per stage; ``lenet5``
            ignores it).
        batch_norm: keep the ``modern`` variant's batch normalisation; ``False``
            removes it (its convolutions get biases instead; ``lenet5`` has none).
        dataset: digit datasets joined with ``+``: ``mnist``, ``svhn``, ``recoloured``,
            ``camera`` (see :mod:`train.digit_data`).
        svhn_dir: folder with SVHN's ``train_32x32.mat``/``test_32x32.mat``;
            ``None``: ``$EDGE_DATA_DIR/svhn``.
        svhn_framing: ``box`` or ``normalise`` (:func:`train.digit_data.svhn_to_mnist`).
        recoloured_n: recoloured MNIST training digits rendered (``recoloured`` dataset).
        camera_data: ``.npz`` of the ``camera`` dataset (:mod:`train.camera_digits`).
        negatives: ``.npz`` files of non-digit model inputs (:mod:`train.digit_negatives`), trained
            towards the uniform distribution over the ten classes (Outlier Exposure: Hendrycks,
            Mazeika & Dietterich, ICLR 2019); empty: none.
        negatives_weight: weight of a negative's loss relative to a digit's (the paper's
            lambda, 0.5), > 0.
        extra: folders of the user's own samples (class folders ``0/`` .. ``9/``).
        extra_ratio: share of each batch drawn from ``extra``, in [0, 1); 0 = plain
            concatenation (see :mod:`train.extra_data`).
        extra_val_fraction: share of ``extra`` held out (by session) and scored.
        init_from: ``.keras`` file or run folder to fine-tune instead of a new model.
        teacher: a digits bundle to distil from (see :mod:`train.distil`); ``None``:
            labels only.
        distil_alpha: weight of the teacher's soft targets in the loss, in [0, 1].
        distil_temperature: temperature T > 0 that softens teacher and student.
    """

    augment_class: ClassVar[type] = AugmentConfig
    kind: ClassVar[str] = "LeNet"

    variant: str = "modern"
    out_dir: str = "runs/lenet"
    data_dir: str | None = None
    download: bool = False
    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 2e-3
    validation_split: float = 0.1
    patience: int = 5
    checkpoint_every: int = 5
    augment: AugmentConfig | None = field(default_factory=AugmentConfig)
    label_smoothing: float = 0.05
    dropout: float = 0.3
    strategy: str = "default"
    seed: int = 0
    limit: int | None = None
    width: int = 32
    batch_norm: bool = True
    dataset: str = "mnist"
    svhn_dir: str | None = None
    svhn_framing: str = "box"
    recoloured_n: int = 20000
    camera_data: str | None = None
    negatives: list[str] = field(default_factory=list)
    negatives_weight: float = 0.5
    extra: list[str] = field(default_factory=list)
    extra_ratio: float = 0.0
    extra_val_fraction: float = 0.2
    init_from: str | None = None
    teacher: str | None = None
    distil_alpha: float = 0.7
    distil_temperature: float = 4.0

    def check(self) -> None:
        """Raise ValueError with the fix for an inconsistent configuration."""
        if not 0.0 <= self.validation_split < 0.5:
            raise ValueError(f"validation_split must be in [0, 0.5), got {self.validation_split}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if self.width < 1:
            raise ValueError(f"width must be >= 1, got {self.width}")
        parse_dataset_spec(self.dataset)
        if self.svhn_framing not in SVHN_FRAMINGS:
            raise ValueError(f"svhn_framing must be one of {SVHN_FRAMINGS}, got {self.svhn_framing!r}")
        extra_per_batch(self.extra_ratio, self.batch_size)
        if self.extra_ratio and not self.extra:
            raise ValueError("--extra-ratio needs --extra DIR (folders of your own samples)")
        if not 0.0 <= self.distil_alpha <= 1.0:
            raise ValueError(f"distil_alpha must be in [0, 1], got {self.distil_alpha}")
        if self.distil_temperature <= 0:
            raise ValueError(f"distil_temperature must be > 0, got {self.distil_temperature}")
        if self.negatives_weight <= 0:
            raise ValueError(f"negatives_weight must be > 0, got {self.negatives_weight}")
        if self.negatives and self.teacher:
            raise ValueError("--negatives and --teacher do not go together: distil without negatives")
        if not 0.0 <= self.extra_val_fraction <= 0.9:
            raise ValueError(f"extra_val_fraction must be in [0, 0.9], got {self.extra_val_fraction}")
