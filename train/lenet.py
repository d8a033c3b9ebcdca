"""Train a LeNet on MNIST (and more digit data): the ``edge-train lenet`` job.

Reads top to bottom like keras-io's ``mnist_convnet.py``: parameters (a
:class:`LenetConfig`), data, model, training, outputs. Everything outside the
project's own choices is Keras: preprocessing layers for augmentation, callbacks for
early stopping (``EarlyStopping``), checkpoints (``ModelCheckpoint``), resume after
an interruption (``BackupAndRestore``), CSV logs (``CSVLogger``); ``tf.distribute``
strategies for several GPUs or machines.

Data: ``dataset`` names MNIST and/or the sets of :mod:`train.digit_data` (SVHN,
recoloured MNIST) joined with ``+``; ``extra`` adds the user's own samples
(:mod:`train.extra_data`: mixed into each batch at ``extra_ratio``, part held out by
session and scored as ``extra_val``); ``init_from`` fine-tunes an existing model
(:mod:`train.finetune`) instead of building a new one; ``teacher`` distils a trained
bundle into the model (:mod:`train.distil`).

Outputs in ``out_dir``: ``model.keras`` (best or last weights), ``config.json`` (the
resolved config plus the command line), ``history.csv``, ``curves.png``,
``confusion.png`` (on the main test split: MNIST's when MNIST is in the data),
``metrics.json``, ``labels.txt``, ``checkpoints/``.

The parameters are :mod:`train.lenet_config`, the model and the distribution strategy
:mod:`train.lenet_model`.
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from train.augment import make_augmenter
from train.digit_data import load_digit_datasets
from train.digit_negatives import NEGATIVE, load_negatives, outlier_targets
from train.distil import TeacherTargets, distillation_loss, label_accuracy
from train.extra_data import (
    DIGIT_LABELS,
    load_extra_digits,
    scan_extra,
    session_counts,
    split_extra,
    write_split,
)
from train.extra_mix import mixed_dataset
from train.lenet_config import LenetConfig
from train.lenet_model import build_model, make_strategy
from train.progress import fit_verbosity

log = logging.getLogger(__name__)


def _to_float(x: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) → float32 (N, 28, 28, 1) in [0, 1]."""
    return (x.astype(np.float32) / 255.0)[..., None]


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """(accuracy, predicted classes) of a Keras model on uint8 (N, 28, 28) digits."""
    if len(x) == 0:
        return float("nan"), np.zeros(0, np.int64)
    pred = model.predict(_to_float(x), batch_size=1024, verbose=0).argmax(1)
    return float((pred == y).mean()), pred


def _per_class(y: np.ndarray, pred: np.ndarray, labels: list[str]) -> dict[str, float | None]:
    from train.plots import confusion_matrix

    cm = confusion_matrix(y, pred, len(labels))
    return {lab: (float(cm[i, i] / cm[i].sum()) if cm[i].sum() else None) for i, lab in enumerate(labels)}


def train_lenet(cfg: LenetConfig, argv: list[str] | None = None) -> dict[str, Any]:
    """Train, evaluate on the test split(s) (and the held-out extra samples), write every output.

    Returns:
        The metrics written to ``metrics.json``: ``test_accuracy`` (MNIST test when
        MNIST is in the data, else the first dataset's), ``test`` (accuracy per
        dataset), ``extra_val`` (held-out own samples, when ``extra`` is given),
        ``init_model`` (the same scores of the ``init_from`` model before training),
        epochs run, seconds, parameters.

    Raises:
        edge.datasets.DatasetError: a dataset or extra folder is missing or malformed.
        ValueError: a bad configuration value, or an ``init_from`` model that does not fit.
    """
    cfg.check()
    import keras
    import tensorflow as tf

    from train.finetune import load_init_model
    from train.plots import confusion_matrix, plot_confusion, plot_history

    out = Path(cfg.out_dir)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)
    labels = list(DIGIT_LABELS)

    # -- data -------------------------------------------------------------------
    sets = load_digit_datasets(
        cfg.dataset,
        cfg.data_dir,
        download=cfg.download,
        svhn_dir=cfg.svhn_dir,
        svhn_framing=cfg.svhn_framing,
        recoloured_n=cfg.recoloured_n,
        seed=cfg.seed,
        camera_data=cfg.camera_data,
    )
    xs, ys = [], []
    for name, d in sets.items():
        x, y = d["train"]
        if cfg.limit:
            x, y = x[: cfg.limit], y[: cfg.limit]
        xs.append(x)
        ys.append(y)
        log.info("%s: %d training, %d test images", name, len(x), len(d["test"][0]))
    x_train, y_train = np.concatenate(xs), np.concatenate(ys).astype(np.int64)
    main_test = "mnist" if "mnist" in sets else next(iter(sets))
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(x_train))
    n_val = int(round(cfg.validation_split * len(x_train)))
    val_idx, tr_idx = order[:n_val], order[n_val:]
    x_tr, y_tr = x_train[tr_idx], y_train[tr_idx]
    x_val, y_val = x_train[val_idx], y_train[val_idx]
    x_neg = np.zeros((0, 28, 28), np.uint8)
    if cfg.negatives:  # Outlier Exposure: non-digits with a uniform target (train.digit_negatives)
        x_neg = np.concatenate([load_negatives(p) for p in cfg.negatives])
        x_tr = np.concatenate([x_tr, x_neg])
        y_tr = np.concatenate([y_tr, np.full(len(x_neg), NEGATIVE, np.int64)])
        log.info("negatives: %d non-digit inputs, weight %g", len(x_neg), cfg.negatives_weight)

    extra_info: dict[str, Any] = {}
    x_ex = np.zeros((0, 28, 28), np.uint8)
    y_ex = np.zeros(0, np.int64)
    x_exv, y_exv = x_ex, y_ex
    if cfg.extra:
        samples = scan_extra(cfg.extra, labels)
        ex_tr, ex_val, how = split_extra(samples, cfg.extra_val_fraction, cfg.seed)
        write_split(out, ex_tr, ex_val, how)
        x_ex, y_ex = load_extra_digits(ex_tr, labels)
        x_exv, y_exv = load_extra_digits(ex_val, labels)
        extra_info = {
            "split": how,
            "train_n": int(len(x_ex)),
            "val_n": int(len(x_exv)),
            "train_sessions": session_counts(ex_tr),
            "val_sessions": session_counts(ex_val),
        }
        log.info("extra samples: %d training, %d held out (split by %s)", len(x_ex), len(x_exv), how)
    log.info("train %d (+%d extra), validation %d", len(x_tr), len(x_ex), len(x_val))

    def one_hot(y: Any) -> Any:
        return tf.one_hot(y, 10)

    def to_input(x: Any) -> Any:  # uint8 (B, 28, 28) -> float32 (B, 28, 28, 1) in [0, 1]
        return tf.cast(x, tf.float32)[..., None] / 255.0

    train_ds, steps_per_epoch, k = mixed_dataset(
        x_tr, y_tr, x_ex, y_ex, cfg.extra_ratio, cfg.batch_size, cfg.seed
    )
    if k:
        log.info(
            "each batch of %d holds %d extra samples (--extra-ratio %.2f)", cfg.batch_size, k, cfg.extra_ratio
        )
    train_ds = train_ds.map(lambda x, y: (to_input(x), y))
    if cfg.augment is not None:
        aug = make_augmenter(cfg.augment, seed=cfg.seed)
        train_ds = train_ds.map(lambda x, y: (aug(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    if len(x_neg):  # (x, targets, sample weights): a negative's target is uniform
        train_ds = train_ds.map(lambda x, y: (x, *outlier_targets(y, 10, cfg.negatives_weight)))
    else:
        train_ds = train_ds.map(lambda x, y: (x, one_hot(y)))
    teacher = TeacherTargets(cfg.teacher, cfg.distil_temperature) if cfg.teacher else None
    if teacher is not None:  # soft targets of the augmented batch (train.distil)
        log.info("distilling from %s (alpha %g, T %g)", cfg.teacher, cfg.distil_alpha, cfg.distil_temperature)
        train_ds = train_ds.map(teacher.map_fn())
    train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
    val_ds = None
    if n_val:
        val_ds = (
            tf.data.Dataset.from_tensor_slices((x_val, y_val))
            .batch(512)
            .map(lambda x, y: (to_input(x), one_hot(y)))
        )
        if teacher is not None:
            val_ds = val_ds.map(teacher.map_fn())

    # -- model ------------------------------------------------------------------
    strategy = make_strategy(cfg.strategy)
    steps = steps_per_epoch or int(np.ceil((len(x_tr) + len(x_ex)) / cfg.batch_size))
    init_info: dict[str, Any] | None = None
    with strategy.scope():
        if cfg.init_from:
            model, init_info = load_init_model(cfg.init_from, (28, 28, 1), labels)
            log.info(
                "--init-from: the model's own architecture is used (variant, width, dropout and "
                "batch_norm of this config do not apply)"
            )
        else:
            model = build_model(cfg)
        schedule = keras.optimizers.schedules.CosineDecay(
            cfg.learning_rate, decay_steps=steps * cfg.epochs, alpha=0.01, warmup_target=None
        )
        plain_loss = keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing)
        model.compile(
            optimizer=keras.optimizers.Adam(schedule),
            loss=plain_loss
            if teacher is None
            else distillation_loss(cfg.distil_alpha, cfg.distil_temperature, cfg.label_smoothing),
            metrics=["accuracy" if teacher is None else label_accuracy()],
        )
    if init_info is not None:  # the starting point's scores, for the comparison in metrics.json
        init_info["test"] = {n: _accuracy(model, *d["test"])[0] for n, d in sets.items()}
        init_info["test_accuracy"] = init_info["test"][main_test]
        if len(x_exv):
            init_info["extra_val_accuracy"] = _accuracy(model, x_exv, y_exv)[0]

    # -- training ---------------------------------------------------------------
    monitor = "val_accuracy" if n_val else "accuracy"
    callbacks: list[Any] = [
        keras.callbacks.BackupAndRestore(str(out / "backup")),
        keras.callbacks.ModelCheckpoint(
            str(out / "checkpoints" / "epoch-{epoch:03d}.keras"),
            save_freq=steps * max(1, cfg.checkpoint_every),
        ),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
    ]
    if n_val:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor, patience=cfg.patience, restore_best_weights=True, mode="max"
            )
        )
    else:
        log.warning("validation_split is 0: no early stopping; training all %d epochs", cfg.epochs)
    command = shlex.join(["edge-train", *(argv if argv is not None else sys.argv[1:])])
    (out / "config.json").write_text(
        json.dumps(
            {
                **cfg.to_json(),
                "command": command,
                "labels": labels,
                "tensorflow": tf.__version__,
                "keras": keras.__version__,
            },
            indent=2,
        )
        + "\n"
    )
    t0 = time.time()
    verbose, progress = fit_verbosity(keras)
    hist = model.fit(
        train_ds,
        epochs=cfg.epochs,
        steps_per_epoch=steps_per_epoch,
        validation_data=val_ds,
        callbacks=callbacks + progress,
        verbose=verbose,
    )
    seconds = time.time() - t0
    if teacher is not None:  # the saved model needs nothing of train.distil to load
        model.compile(optimizer=model.optimizer, loss=plain_loss, metrics=["accuracy"])
    model.save(out / "model.keras")

    # -- outputs ----------------------------------------------------------------
    x_te, y_te = sets[main_test]["test"]
    y_te = y_te.astype(np.int64)
    acc, y_pred = _accuracy(model, x_te, y_te)
    cm = confusion_matrix(y_te, y_pred, 10)
    plot_history(hist.history, out / "curves.png", f"LeNet {cfg.variant} on {cfg.dataset}")
    plot_confusion(cm, labels, out / "confusion.png", f"{main_test} test (Keras float)")
    (out / "labels.txt").write_text("".join(f"{lab}\n" for lab in labels))
    metrics: dict[str, Any] = {
        "test_accuracy": acc,
        "test_n": int(len(y_te)),
        "test_dataset": main_test,
        "per_class": _per_class(y_te, y_pred, labels),
        "test": {
            n: {
                "accuracy": _accuracy(model, d["test"][0], d["test"][1].astype(np.int64))[0]
                if n != main_test
                else acc,
                "n": int(len(d["test"][0])),
            }
            for n, d in sets.items()
        },
        "dataset": cfg.dataset,
        "train_n": int(len(x_tr)),
        "epochs_run": len(hist.history["loss"]),
        "train_seconds": round(seconds, 1),
        "params": int(model.count_params()),
    }
    if n_val:
        metrics["best_val_accuracy"] = float(max(hist.history["val_accuracy"]))
    if cfg.extra:
        metrics["extra"] = {**extra_info, "per_batch": k}
        if len(x_exv):
            ex_acc, ex_pred = _accuracy(model, x_exv, y_exv)
            metrics["extra_val"] = {
                "accuracy": ex_acc,
                "n": int(len(y_exv)),
                "per_class": _per_class(y_exv, ex_pred, labels),
            }
    if init_info is not None:
        metrics["init_model"] = init_info
    if len(x_neg):  # how far from uniform the trained model leaves its own negatives
        top = model.predict(_to_float(x_neg), batch_size=1024, verbose=0).max(1)
        metrics["negatives"] = {
            "n": int(len(x_neg)),
            "weight": cfg.negatives_weight,
            "mean_top_probability": float(top.mean()),
            "share_top_ge_0.9": float((top >= 0.9).mean()),
        }
    if teacher is not None:
        metrics["distillation"] = {
            "teacher": cfg.teacher,
            "alpha": cfg.distil_alpha,
            "temperature": cfg.distil_temperature,
        }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics
