"""Train a LeNet on MNIST: the ``edge-train lenet`` job.

Reads top to bottom like keras-io's ``mnist_convnet.py``: parameters (a
:class:`LenetConfig`), data, model, training, outputs. Everything outside the
project's own choices is Keras: preprocessing layers for augmentation, callbacks for
early stopping (``EarlyStopping``), checkpoints (``ModelCheckpoint``), resume after
an interruption (``BackupAndRestore``), CSV logs (``CSVLogger``); ``tf.distribute``
strategies for several GPUs or machines.

Outputs in ``out_dir``: ``model.keras`` (best or last weights), ``config.json`` (the
resolved config plus the command line), ``history.csv``, ``curves.png``,
``confusion.png`` (on the MNIST test split), ``metrics.json``, ``checkpoints/``.
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from edge.datasets import load_mnist
from train.augment import AugmentConfig, make_augmenter
from train.config import JsonConfig

log = logging.getLogger(__name__)

STRATEGIES = ("default", "mirrored", "multi-worker")


@dataclass
class LenetConfig(JsonConfig):
    """Every parameter of a LeNet training run (saved as ``config.json``).

    Attributes:
        variant: ``"modern"`` or ``"lenet5"`` (see :mod:`models.lenet`).
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
        strategy: ``default``, ``mirrored`` (all local GPUs) or ``multi-worker``
            (machines described by ``TF_CONFIG``).
        seed: seeds NumPy, TensorFlow and Keras.
        limit: use only the first N training images (quick tries, tests).
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


def make_strategy(name: str) -> Any:
    """The ``tf.distribute`` strategy named ``name`` (see :data:`STRATEGIES`).

    Raises:
        ValueError: unknown name.
    """
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")


def _to_float(x: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) → float32 (N, 28, 28, 1) in [0, 1]."""
    return (x.astype(np.float32) / 255.0)[..., None]


def train_lenet(cfg: LenetConfig, argv: list[str] | None = None) -> dict[str, Any]:
    """Train, evaluate on the MNIST test split and write every output.

    Returns:
        The metrics written to ``metrics.json`` (test accuracy, epochs run, seconds).

    Raises:
        edge.datasets.DatasetError: MNIST not found or malformed.
        ValueError: a bad configuration value.
    """
    import keras
    import tensorflow as tf

    from models.lenet import build_lenet
    from train.plots import confusion_matrix, plot_confusion, plot_history

    if not 0.0 <= cfg.validation_split < 0.5:
        raise ValueError(f"validation_split must be in [0, 0.5), got {cfg.validation_split}")
    out = Path(cfg.out_dir)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)

    # -- data -------------------------------------------------------------------
    data = load_mnist(cfg.data_dir, download=cfg.download)
    x_train, y_train = data["train"]
    x_test, y_test = data["test"]
    if cfg.limit:
        x_train, y_train = x_train[: cfg.limit], y_train[: cfg.limit]
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(x_train))
    n_val = int(round(cfg.validation_split * len(x_train)))
    val_idx, tr_idx = order[:n_val], order[n_val:]
    x_tr, y_tr = _to_float(x_train[tr_idx]), y_train[tr_idx].astype(np.int64)
    x_val, y_val = _to_float(x_train[val_idx]), y_train[val_idx].astype(np.int64)
    x_te, y_te = _to_float(x_test), y_test.astype(np.int64)
    log.info("train %d, validation %d, test %d", len(x_tr), len(x_val), len(x_te))

    def one_hot(y: Any) -> Any:
        return tf.one_hot(y, 10)

    train_ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
                .shuffle(len(x_tr), seed=cfg.seed, reshuffle_each_iteration=True)
                .batch(cfg.batch_size, drop_remainder=False))
    if cfg.augment is not None:
        aug = make_augmenter(cfg.augment, seed=cfg.seed)
        train_ds = train_ds.map(lambda x, y: (aug(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    train_ds = train_ds.map(lambda x, y: (x, one_hot(y))).prefetch(tf.data.AUTOTUNE)
    val_ds = None
    if n_val:
        val_ds = (tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(512)
                  .map(lambda x, y: (x, one_hot(y))))

    # -- model ------------------------------------------------------------------
    strategy = make_strategy(cfg.strategy)
    steps = int(np.ceil(len(x_tr) / cfg.batch_size))
    with strategy.scope():
        model = build_lenet(cfg.variant, dropout=cfg.dropout)
        schedule = keras.optimizers.schedules.CosineDecay(
            cfg.learning_rate, decay_steps=steps * cfg.epochs, alpha=0.01,
            warmup_target=None)
        model.compile(
            optimizer=keras.optimizers.Adam(schedule),
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
            metrics=["accuracy"],
        )

    # -- training ---------------------------------------------------------------
    monitor = "val_accuracy" if n_val else "accuracy"
    callbacks: list[Any] = [
        keras.callbacks.BackupAndRestore(str(out / "backup")),
        keras.callbacks.ModelCheckpoint(
            str(out / "checkpoints" / "epoch-{epoch:03d}.keras"),
            save_freq=steps * max(1, cfg.checkpoint_every)),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
    ]
    if n_val:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=monitor, patience=cfg.patience, restore_best_weights=True, mode="max"))
    else:
        log.warning("validation_split is 0: no early stopping; training all %d epochs", cfg.epochs)
    command = shlex.join(["edge-train", *(argv if argv is not None else sys.argv[1:])])
    (out / "config.json").write_text(json.dumps(
        {**cfg.to_json(), "command": command,
         "tensorflow": tf.__version__, "keras": keras.__version__}, indent=2) + "\n")
    t0 = time.time()
    hist = model.fit(train_ds, epochs=cfg.epochs, validation_data=val_ds, callbacks=callbacks,
                     verbose=1 if sys.stdout.isatty() else 2)
    seconds = time.time() - t0
    model.save(out / "model.keras")

    # -- outputs ----------------------------------------------------------------
    probs = model.predict(x_te, batch_size=1024, verbose=0)
    y_pred = probs.argmax(1)
    cm = confusion_matrix(y_te, y_pred, 10)
    labels = [str(i) for i in range(10)]
    plot_history(hist.history, out / "curves.png", f"LeNet {cfg.variant} on MNIST")
    plot_confusion(cm, labels, out / "confusion.png", "MNIST test (Keras float)")
    (out / "labels.txt").write_text("".join(f"{lab}\n" for lab in labels))
    metrics = {
        "test_accuracy": float((y_pred == y_te).mean()),
        "test_n": int(len(y_te)),
        "per_class": {lab: float(cm[i, i] / max(1, cm[i].sum())) for i, lab in enumerate(labels)},
        "epochs_run": len(hist.history["loss"]),
        "train_seconds": round(seconds, 1),
        "params": int(model.count_params()),
    }
    if n_val:
        metrics["best_val_accuracy"] = float(max(hist.history["val_accuracy"]))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics
