"""Fine-tune VGG16 on hand gestures: the training loop behind ``edge-train hands --model vgg16``.

The two-stage recipe of the Keras transfer-learning guide
(https://keras.io/guides/transfer_learning/) on the model of :mod:`models.vgg16`:

1. Head on a frozen base. The base is frozen, so its pooled features (N, 512) are
   computed once for the validation set and for the training set plus
   ``augment_copies`` augmented copies of it, cached as ``.npy`` in ``cache_dir``
   (keyed by a hash of the data, the weights and the settings that change the
   features, so a rerun reuses them; :mod:`train.vgg16_data`), and only the small head is trained on them
   (``EarlyStopping`` on validation loss, best weights restored). The head's weights
   are then copied into the full model.
2. Fine-tune. ``block5`` and the head are trained at a low learning rate on freshly
   augmented images (a ``keras.utils.PyDataset`` calling ``augment``) with
   ``EarlyStopping``, ``ModelCheckpoint``, ``CSVLogger`` and ``BackupAndRestore`` as
   in :mod:`train.lenet`. If no fine-tuned epoch beats the head's validation loss,
   the model goes back to the stage-1 weights. ``finetune_epochs=0`` skips this stage.

The caller (``train/cli.py``) loads, splits and resizes the images and supplies the
augmentation; this module works on NumPy arrays only.

Outputs in ``out_dir``: ``model.keras`` (the final full model), ``labels.txt``,
``config.json`` (the resolved config plus the command line), ``history-head.csv``,
``history-finetune.csv`` and their concatenation ``history.csv`` (with a ``stage``
column), ``curves.png``, ``confusion.png`` (validation set, Keras float model),
``metrics.json``, ``checkpoints/best.keras`` (stage 2). The parameters are
:class:`train.vgg16_config.Vgg16Config`; the scoring and plots :mod:`train.vgg16_report`.
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from train.progress import progress_callback
from train.vgg16_config import Vgg16Config
from train.vgg16_data import Augment, cached_features, check_images, check_labels, image_batches
from train.vgg16_report import evaluate_vgg16

log = logging.getLogger(__name__)


def _epoch_logger(stage: str) -> Any:
    import keras

    def on_epoch_end(epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        log.info(
            "%s epoch %d: %s",
            stage,
            epoch + 1,
            ", ".join(f"{k} {v:.4f}" for k, v in logs.items() if isinstance(v, float)),
        )

    return keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)


# -- the run --------------------------------------------------------------------------
def train_vgg16(
    cfg: Vgg16Config,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    labels: Sequence[str],
    augment: Augment | None = None,
    argv: list[str] | None = None,
) -> dict[str, Any]:
    """Train the head on cached features, fine-tune block5, write every output.

    Args:
        cfg: the run's settings.
        x_train: uint8 (N, S, S, 3) RGB training images, S = ``cfg.input_size``.
        y_train: (N,) integer class indices into ``labels``.
        x_val: uint8 (M, S, S, 3) RGB validation images (early stopping, checkpoint
            choice, the confusion matrix); they should come from other people than
            the training images.
        y_val: (M,) integer class indices.
        labels: class names in output order (e.g. rock, paper, scissors, none).
        augment: ``augment(batch, rng)``: uint8 (B, S, S, 3) RGB → the same shape and
            dtype, drawing its randomness from the ``np.random.Generator``; used for
            the cached copies (stage 1) and every stage-2 batch. ``None``: no augmentation.
        argv: the command line, recorded in ``config.json``; ``None``: ``sys.argv[1:]``.

    Returns:
        The metrics written to ``metrics.json``: per stage (``head``, ``finetune``)
        epochs run, best validation loss and accuracy, seconds; the feature cache
        (hit, ms per image through the frozen base); the final model's validation
        loss, accuracy and per-class recall, and which stage it comes from.

    Raises:
        ValueError: a bad configuration value, arrays of the wrong dtype or shape,
            labels out of range, a missing weights file, an ``augment`` that returns
            the wrong dtype or shape.
    """
    import keras
    import tensorflow as tf

    from models.vgg16 import build_vgg16_transfer, feature_extractor, freeze_base

    # -- parameters and data checks ------------------------------------------------------
    cfg.validate()
    labels = [str(lab) for lab in labels]
    k = len(labels)
    if k < 2:
        raise ValueError(f"need at least 2 labels, got {labels}")
    s = cfg.input_size
    check_images(x_train, s, "x_train")  # uint8 (N, S, S, 3) RGB
    check_images(x_val, s, "x_val")  # uint8 (M, S, S, 3) RGB
    y_train = check_labels(y_train, len(x_train), k, "y_train")  # int64 (N,)
    y_val = check_labels(y_val, len(x_val), k, "y_val")  # int64 (M,)
    out = Path(cfg.out_dir)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)
    log.info(
        "VGG16 %dpx, weights %s: train %d, validation %d, classes %s",
        s,
        cfg.weights,
        len(x_train),
        len(x_val),
        labels,
    )

    command = shlex.join(["edge-train", *(argv if argv is not None else sys.argv[1:])])
    (out / "config.json").write_text(
        json.dumps(
            {
                **cfg.to_json(),
                "model": "vgg16",
                "labels": labels,
                "train_n": len(x_train),
                "val_n": len(x_val),
                "command": command,
                "tensorflow": tf.__version__,
                "keras": keras.__version__,
            },
            indent=2,
        )
        + "\n"
    )
    (out / "labels.txt").write_text("".join(f"{lab}\n" for lab in labels))

    # -- stage 1: head on cached frozen-base features ----------------------------------
    model = build_vgg16_transfer(s, k, cfg.weights, cfg.dropout, cfg.head_units)
    freeze_base(model)
    # f_tr float32 ((1 + copies) N, 512), f_val float32 (M, 512)
    f_tr, yf_tr, f_val, cache = cached_features(
        cfg, feature_extractor(model), x_train, y_train, x_val, augment
    )
    stage = {"head": _train_head(cfg, model, f_tr, yf_tr, f_val, y_val, k, out)}
    head_loss = stage["head"]["val_loss"]

    # -- stage 2: fine-tune block5 on augmented images ---------------------------------
    final_stage = "head"
    stages = ["head"]
    if cfg.finetune_epochs:
        stages.append("finetune")
        head_weights = model.get_weights()
        stage["finetune"] = _finetune(cfg, model, x_train, y_train, x_val, y_val, augment, out)
        best = stage["finetune"]["val_loss"]
        if best is not None and best < head_loss:
            final_stage = "finetune"
        else:
            log.warning(
                "fine-tuning did not beat the head's validation loss (%.4f >= %.4f); "
                "keeping the stage-1 weights",
                float("inf") if best is None else best,
                head_loss,
            )
            model.set_weights(head_weights)
    elif (out / "history-finetune.csv").exists():
        (out / "history-finetune.csv").unlink()  # a previous run's; not this model's
    model.save(out / "model.keras")

    # -- outputs -------------------------------------------------------------------------
    title = f"VGG16 {s}px: head ({stage['head']['epochs_run']} epochs)" + (
        " then block5 fine-tuning" if cfg.finetune_epochs else ""
    )
    val = evaluate_vgg16(cfg, model, x_val, y_val, labels, out, stages, final_stage, title)
    metrics = {
        "val_accuracy": val["val_accuracy"],
        "val_loss": val["val_loss"],
        "val_n": int(len(y_val)),
        "train_n": int(len(y_train)),
        "final_stage": final_stage,
        "per_class": val["per_class"],
        **stage,
        "feature_cache": cache,
        "params": int(model.count_params()),
        "input_size": s,
        "weights": cfg.weights,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    log.info("VGG16 done: val accuracy %.4f (%s)", metrics["val_accuracy"], final_stage)
    return metrics


def _train_head(
    cfg: Vgg16Config,
    model: Any,
    f_tr: np.ndarray,
    y_tr: np.ndarray,
    f_val: np.ndarray,
    y_val: np.ndarray,
    k: int,
    out: Path,
) -> dict[str, Any]:
    """Stage 1: fit the head on float32 (N, 512) features, copy its weights into ``model``.

    Returns:
        ``epochs_run``, ``val_loss``, ``val_accuracy``, ``seconds`` of the head.
    """
    import keras

    from models.vgg16 import build_head, copy_head_weights

    head = build_head(k, cfg.dropout, cfg.head_units)
    head.compile(
        optimizer=keras.optimizers.Adam(cfg.head_lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    t0 = time.time()
    h1 = head.fit(
        f_tr,
        y_tr,
        batch_size=cfg.batch_size,
        epochs=cfg.head_epochs,
        validation_data=(f_val, y_val),
        shuffle=True,
        verbose=0,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=cfg.patience, restore_best_weights=True
            ),
            keras.callbacks.CSVLogger(str(out / "history-head.csv")),
            _epoch_logger("head"),
        ],
    )
    head_s = time.time() - t0
    head_loss, head_acc = head.evaluate(f_val, y_val, batch_size=256, verbose=0)
    copy_head_weights(head, model)
    info = {
        "epochs_run": len(h1.history["loss"]),
        "val_loss": float(head_loss),
        "val_accuracy": float(head_acc),
        "seconds": round(head_s, 1),
    }
    log.info(
        "head: val loss %.4f, accuracy %.4f (%d epochs, %.0f s)",
        head_loss,
        head_acc,
        info["epochs_run"],
        head_s,
    )
    return info


def _finetune(
    cfg: Vgg16Config,
    model: Any,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    augment: Augment | None,
    out: Path,
) -> dict[str, Any]:
    """Stage 2: train block5 and the head on uint8 (N, S, S, 3) RGB images, best epoch restored.

    Returns:
        ``epochs_run``, the best epoch's ``val_loss`` and ``val_accuracy`` (``None``
        without validation numbers), ``seconds``, ``trainable_params``.
    """
    import keras

    from models.vgg16 import unfreeze_last_block

    unfreeze_last_block(model, "block5")
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.finetune_lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    backup = out / "backup"
    resuming = backup.is_dir() and any(backup.iterdir())
    if resuming:
        log.info("resuming fine-tuning from %s", backup)
    early = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=cfg.patience, restore_best_weights=True
    )
    t0 = time.time()
    h2 = model.fit(
        image_batches(x_train, y_train, cfg.batch_size, augment, cfg.seed + 1),
        epochs=cfg.finetune_epochs,
        validation_data=(x_val, y_val),
        validation_batch_size=cfg.batch_size,
        verbose=0,
        callbacks=[
            keras.callbacks.BackupAndRestore(str(backup)),
            keras.callbacks.ModelCheckpoint(
                str(out / "checkpoints" / "best.keras"), monitor="val_loss", save_best_only=True
            ),
            keras.callbacks.CSVLogger(str(out / "history-finetune.csv"), append=resuming),
            early,
            _epoch_logger("finetune"),
            progress_callback(keras),
        ],
    )
    ft_s = time.time() - t0
    # The restored weights are those of the best epoch, whose validation numbers Keras logged.
    vl, va = h2.history.get("val_loss", []), h2.history.get("val_accuracy", [])
    i_best = int(np.argmin(vl)) if vl else -1
    return {
        "epochs_run": len(h2.history.get("loss", [])),
        "val_loss": float(vl[i_best]) if vl else None,
        "val_accuracy": float(va[i_best]) if va else None,
        "seconds": round(ft_s, 1),
        "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
    }
