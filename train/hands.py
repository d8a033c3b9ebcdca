"""Train a hand-gesture classifier: the ``edge-train hands`` job.

Parameters first (:class:`train.hands_config.HandsConfig`), then data (prepared by
:mod:`train.hands_prep`), model, training, outputs, as in :mod:`train.lenet`. The data
are folders of class folders (:mod:`train.hand_data`), split by person so that
validation measures new people, not new frames of the same people; augmentation
(:mod:`train.hand_augment`) pastes green-screen hands onto other backgrounds and adds
rotation, flips, scale, colour, blur, noise and JPEG artefacts, and adds
background-only ``none`` samples.

``--arch lenet`` trains :func:`models.lenet.build_lenet` (variant ``hands``) from
scratch, or fine-tunes an existing one (``init_from``, :mod:`train.finetune`);
``--arch vgg16`` hands the same arrays to :func:`train.vgg16.train_vgg16` (frozen
ImageNet base with cached features, then the last block fine-tuned). The user's own
samples (``extra``, :mod:`train.extra_data`) are mixed into every batch at
``extra_ratio`` and a held-out part of them, by session, is scored as ``extra_val``.

Outputs in ``out_dir``: ``model.keras``, ``labels.txt``, ``config.json`` (resolved
config and command line), ``split.json`` (every file and its split), ``counts.txt``
(per-source, per-class counts), ``history.csv``, ``curves.png``, ``confusion.png``
(validation, or the hold-out test split when there is one), ``metrics.json``
(accuracy per split and per source), ``calibration.npy`` (uint8 RGB augmented
training samples for int8 calibration with ``edge-convert --rep-data``) and
``val.npz`` (uint8 RGB ``x``, int ``y`` of the held-out people, for ``--verify-data``).
The scoring of the held-out splits is :mod:`train.hands_eval`.
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from train.extra_data import (
    ExtraSample,
    load_extra_hands,
    scan_extra,
    session_counts,
    split_extra,
    write_split,
)
from train.extra_mix import extra_per_batch
from train.hand_augment import BackgroundBank, HandAugmenter
from train.hand_data import HandSample
from train.hands_config import ARCHS, EMPTY_SCENE_SOURCES, HandsConfig
from train.hands_eval import Split, accuracy_scores, evaluate_splits, extra_val_metrics
from train.hands_prep import (
    background_photos,
    background_samples,
    mine_hard_negatives,
    prepare_data,
    resize_batch,
    training_batches,
)
from train.progress import fit_verbosity

log = logging.getLogger(__name__)


def train_hands(cfg: HandsConfig, argv: list[str] | None = None) -> dict[str, Any]:
    """Train, evaluate on validation (and hold-out) splits and write every output.

    Returns:
        The metrics written to ``metrics.json``.

    Raises:
        edge.datasets.DatasetError: data missing, empty or unreadable.
        ValueError: a bad configuration value.
    """
    # -- parameters ---------------------------------------------------------------
    cfg.check()
    import keras

    out = Path(cfg.out_dir)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)
    command = shlex.join(["edge-train", *(argv if argv is not None else sys.argv[1:])])

    # -- data: photos at the work size, split by person ----------------------------
    data = prepare_data(cfg)
    labels, splits, work = data["labels"], data["splits"], data["work_size"]
    (out / "counts.txt").write_text(data["report"] + "\n")
    ex_tr: list[ExtraSample] = []
    ex_val: list[ExtraSample] = []
    how = "none"
    if cfg.extra:
        ex_tr, ex_val, how = split_extra(scan_extra(cfg.extra, labels), cfg.extra_val_fraction, cfg.seed)
        write_split(out, ex_tr, ex_val, how)
    _write_run_files(cfg, out, splits, ex_tr, ex_val, labels, command)
    log.info("data:\n%s", data["report"])
    none_index = labels.index("none") if "none" in labels else None
    augmenter = None
    if cfg.augment is not None:
        bank = BackgroundBank(background_photos(splits["train"], cfg, work))
        augmenter = HandAugmenter(cfg.augment, bank, out_size=cfg.input_size)
    x_tr, y_tr = data["x"]["train"], data["y"]["train"]  # uint8 (N, work, work, 3) RGB, int64 (N,)
    if cfg.hard_negatives and none_index is not None:
        x_tr, y_tr = _add_hard_negatives(cfg, out, splits["train"], x_tr, y_tr, work, none_index)
    # held-out splits at the model input: uint8 (M, input, input, 3) RGB
    val: Split = (
        resize_batch(data["x"]["val"], cfg.input_size) if "val" in data["x"] else None,
        data["y"].get("val"),
    )
    test: Split = (
        resize_batch(data["x"]["test"], cfg.input_size) if "test" in data["x"] else None,
        data["y"].get("test"),
    )
    x_ex, y_ex = load_extra_hands(ex_tr, work, labels)
    extra_val: Split = load_extra_hands(ex_val, cfg.input_size, labels)
    if cfg.extra:
        log.info("extra samples: %d training, %d held out (split by %s)", len(x_ex), len(extra_val[0]), how)
    if cfg.extra_ratio > 0 and not len(x_ex):
        raise ValueError(
            "--extra-ratio > 0 but no extra sample is left for training; lower "
            "--extra-val-fraction or add samples"
        )
    if cfg.arch == "vgg16" and len(x_ex):  # VGG16 caches features of one fixed training set
        x_tr, y_tr = np.concatenate([x_tr, x_ex]), np.concatenate([y_tr, y_ex])
    _write_calibration(cfg, out, x_tr, augmenter, val)

    # -- model and training --------------------------------------------------------
    t0 = time.time()
    stages: dict[str, Any] = {}
    init_info: dict[str, Any] | None = None
    if cfg.arch == "vgg16":
        model, stages = _fit_vgg16(cfg, out, x_tr, y_tr, val, labels, augmenter, argv, command)
        scale = 255.0  # the VGG16 model takes [0, 255]
    else:
        model, init_info = _fit_lenet(
            cfg, out, x_tr, y_tr, (x_ex, y_ex), val, test, extra_val, labels, augmenter, none_index
        )
        scale = 1.0
    seconds = time.time() - t0

    # -- outputs ------------------------------------------------------------------
    metrics: dict[str, Any] = {
        "arch": cfg.arch,
        "labels": list(labels),
        "train_seconds": round(seconds, 1),
        "params": int(model.count_params()),
        "train_n": int(len(x_tr)),
    }
    metrics.update(evaluate_splits(cfg, out, model, scale, {"val": val, "test": test}, splits, labels))
    if cfg.arch == "vgg16":
        metrics["vgg16"] = stages
    if cfg.extra:
        metrics["extra"] = {
            "split": how,
            "train_n": int(len(x_ex)),
            "val_n": int(len(extra_val[0])),
            "per_batch": extra_per_batch(cfg.extra_ratio, cfg.batch_size) if len(x_ex) else 0,
            "train_sessions": session_counts(ex_tr),
            "val_sessions": session_counts(ex_val),
        }
        if len(extra_val[0]):
            metrics["extra_val"] = extra_val_metrics(model, scale, extra_val, labels)
    if init_info is not None:
        metrics["init_model"] = init_info
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def _config_json(cfg: HandsConfig, command: str, labels: tuple[str, ...]) -> str:
    """``config.json``: the resolved config, the command line, labels and library versions."""
    import keras
    import tensorflow as tf

    return (
        json.dumps(
            {
                **cfg.to_json(),
                "command": command,
                "labels": list(labels),
                "tensorflow": tf.__version__,
                "keras": keras.__version__,
            },
            indent=2,
        )
        + "\n"
    )


def _write_run_files(
    cfg: HandsConfig,
    out: Path,
    splits: dict[str, list[HandSample]],
    ex_tr: list[ExtraSample],
    ex_val: list[ExtraSample],
    labels: tuple[str, ...],
    command: str,
) -> None:
    """Write ``split.json`` (every file and its split), ``labels.txt`` and ``config.json``."""
    rows = {k: [[str(s.path), s.label, s.source, s.group] for s in v] for k, v in splits.items()}
    rows["extra_train"] = [[str(s.path), s.label, f"extra/{s.source}", s.session] for s in ex_tr]
    rows["extra_val"] = [[str(s.path), s.label, f"extra/{s.source}", s.session] for s in ex_val]
    (out / "split.json").write_text(json.dumps(rows) + "\n")
    (out / "labels.txt").write_text("".join(f"{c}\n" for c in labels))
    (out / "config.json").write_text(_config_json(cfg, command, labels))


def _add_hard_negatives(
    cfg: HandsConfig,
    out: Path,
    train: list[HandSample],
    x: np.ndarray,
    y: np.ndarray,
    work: int,
    none_index: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Append segmenter proposals in scenes without a hand as ``none`` samples (uint8 RGB, int64)."""
    # Scenes without a hand only: proposals in photos of other hand shapes are hands,
    # and teaching "a segmenter crop of a hand is none" costs real gestures.
    nones = [s for s in train if s.label == "none" and s.source in EMPTY_SCENE_SOURCES]
    nones += background_samples(cfg)
    hard = mine_hard_negatives(nones, work)  # uint8 (H, work, work, 3) RGB
    log.info(
        "hard negatives: %d segmenter proposals in %d photos of scenes without a hand", len(hard), len(nones)
    )
    (out / "hard-negatives.txt").write_text(f"{len(hard)} crops from {len(nones)} none photos\n")
    return np.concatenate([x, hard]), np.concatenate([y, np.full(len(hard), none_index, np.int64)])


def _write_calibration(
    cfg: HandsConfig, out: Path, x_tr: np.ndarray, augmenter: HandAugmenter | None, val: Split
) -> None:
    """``calibration.npy`` (what the model sees in training, for int8) and ``val.npz``."""
    rng = np.random.default_rng(cfg.seed + 1)
    pick = rng.permutation(len(x_tr))[:400]
    calib = augmenter(x_tr[pick], rng) if augmenter is not None else resize_batch(x_tr[pick], cfg.input_size)
    # uint8 pixels: edge-convert scales them to whatever input range the model has.
    np.save(out / "calibration.npy", calib.astype(np.uint8))
    x_val, y_val = val
    if x_val is not None:
        np.savez_compressed(out / "val.npz", x=x_val.astype(np.uint8), y=y_val)


def _fit_vgg16(
    cfg: HandsConfig,
    out: Path,
    x_tr: np.ndarray,
    y_tr: np.ndarray,
    val: Split,
    labels: tuple[str, ...],
    augmenter: HandAugmenter | None,
    argv: list[str] | None,
    command: str,
) -> tuple[Any, dict[str, Any]]:
    """Transfer learning (:func:`train.vgg16.train_vgg16`); returns the model and its stage metrics."""
    import keras

    from train.vgg16 import train_vgg16
    from train.vgg16_config import Vgg16Config

    vcfg = Vgg16Config(
        input_size=cfg.input_size,
        weights=cfg.weights,
        head_epochs=cfg.head_epochs,
        finetune_epochs=cfg.finetune_epochs,
        batch_size=cfg.batch_size,
        finetune_lr=cfg.finetune_lr,
        augment_copies=cfg.augment_copies,
        augment_tag=json.dumps(asdict(cfg.augment)) if cfg.augment else "",
        patience=cfg.patience,
        dropout=cfg.dropout,
        seed=cfg.seed,
        out_dir=str(out),
    )
    # VGG16 caches features of whole images: augment at the input size.
    x_small = resize_batch(x_tr, cfg.input_size)  # uint8 (N, input, input, 3) RGB
    vg_aug = None
    if cfg.augment is not None:
        vg_aug = HandAugmenter(
            cfg.augment, augmenter.backgrounds if augmenter else None, out_size=cfg.input_size
        )
    x_val, y_val = val
    if x_val is None:
        raise ValueError("VGG16 training needs a validation split: set --val-fraction > 0")
    stages = train_vgg16(vcfg, x_small, y_tr, x_val, y_val, list(labels), augment=vg_aug, argv=argv)
    model = keras.models.load_model(out / "model.keras")
    # train_vgg16 wrote its own config.json: restore the full hands config beside it.
    (out / "vgg16-config.json").write_text((out / "config.json").read_text())
    (out / "config.json").write_text(_config_json(cfg, command, labels))
    return model, stages


def _fit_lenet(
    cfg: HandsConfig,
    out: Path,
    x_tr: np.ndarray,
    y_tr: np.ndarray,
    extra: Split,
    val: Split,
    test: Split,
    extra_val: Split,
    labels: tuple[str, ...],
    augmenter: HandAugmenter | None,
    none_index: int | None,
) -> tuple[Any, dict[str, Any] | None]:
    """LeNet from scratch or fine-tuned (``init_from``); returns the model and the init model's scores."""
    import keras

    from models.lenet import build_lenet
    from train.finetune import load_init_model
    from train.plots import plot_history

    # batches: float32 (B, input, input, 3) in [0, 1], float32 (B, k) one-hot
    train_ds = training_batches(x_tr, y_tr, augmenter, cfg, len(labels), none_index, *extra)
    x_val, y_val = val
    val_ds = None
    if x_val is not None:
        val_ds = (x_val.astype(np.float32) / 255.0, np.eye(len(labels), dtype=np.float32)[y_val])
    steps = len(train_ds)
    init_info = None
    if cfg.init_from:
        model, init_info = load_init_model(cfg.init_from, (cfg.input_size, cfg.input_size, 3), labels)
        init_info.update(accuracy_scores(model, {"val": val, "test": test, "extra_val": extra_val}))
    else:
        model = build_lenet(
            "hands", (cfg.input_size, cfg.input_size, 3), len(labels), dropout=cfg.dropout, width=cfg.width
        )
    schedule = keras.optimizers.schedules.CosineDecay(
        cfg.learning_rate, decay_steps=steps * cfg.epochs, alpha=0.01
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
        metrics=["accuracy"],
    )
    callbacks: list[Any] = [
        keras.callbacks.BackupAndRestore(str(out / "backup")),
        keras.callbacks.ModelCheckpoint(
            str(out / "checkpoints" / "epoch-{epoch:03d}.keras"),
            save_freq=steps * max(1, cfg.checkpoint_every),
        ),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
    ]
    if val_ds is not None and cfg.patience > 0:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=cfg.patience, restore_best_weights=True, mode="max"
            )
        )
    verbose, progress = fit_verbosity(keras)
    hist = model.fit(
        train_ds,
        epochs=cfg.epochs,
        validation_data=val_ds,
        callbacks=callbacks + progress,
        verbose=verbose,
    )
    model.save(out / "model.keras")
    plot_history(hist.history, out / "curves.png", f"LeNet hands {cfg.input_size} px")
    return model, init_info


__all__ = ["ARCHS", "HandsConfig", "prepare_data", "train_hands"]
