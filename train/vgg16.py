"""Fine-tune VGG16 on hand gestures: the training loop behind ``edge-train hands --model vgg16``.

The two-stage recipe of the Keras transfer-learning guide
(https://keras.io/guides/transfer_learning/) on the model of :mod:`models.vgg16`:

1. Head on a frozen base. The base is frozen, so its pooled features (N, 512) are
   computed once for the validation set and for the training set plus
   ``augment_copies`` augmented copies of it, cached as ``.npy`` in ``cache_dir``
   (keyed by a hash of the data, the weights and the settings that change the
   features, so a rerun reuses them), and only the small head is trained on them
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
``metrics.json``, ``checkpoints/best.keras`` (stage 2).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.vgg16 import FEATURE_DIM, check_input_size

log = logging.getLogger(__name__)

#: ``augment(batch, rng) -> batch``: uint8 (B, S, S, 3) RGB in, the same shape and dtype out.
Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]
#: Images handed to ``augment`` per call while building the feature cache.
AUGMENT_CHUNK = 256
#: Bump when the cache layout or the feature computation changes.
CACHE_VERSION = 1


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
            raise ValueError(f"head_epochs must be >= 1 (the head starts random), got "
                             f"{self.head_epochs}")
        if self.finetune_epochs < 0:
            raise ValueError(f"finetune_epochs must be >= 0 (0 skips fine-tuning), got "
                             f"{self.finetune_epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not (self.head_lr > 0 and self.finetune_lr > 0):
            raise ValueError(f"learning rates must be > 0, got head_lr={self.head_lr}, "
                             f"finetune_lr={self.finetune_lr}")
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
            raise ValueError(f"unknown VGG16 config keys {sorted(unknown)}; known: "
                             f"{sorted(cls.__dataclass_fields__)}")
        return cls(**d)


# -- checks ---------------------------------------------------------------------------
def _check_images(x: np.ndarray, size: int, what: str) -> None:
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (
            size, size, 3):
        got = f"{x.dtype} {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"{what} must be uint8 (N, {size}, {size}, 3) RGB images at "
                         f"input_size={size}, got {got}; resize them (cv2.INTER_AREA) or change "
                         "input_size")
    if len(x) == 0:
        raise ValueError(f"{what} holds no images")


def _check_labels(y: np.ndarray, n: int, k: int, what: str) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{what} must be ({n},) integer class indices, got {y.dtype} {y.shape}")
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"{what} spans {y.min()}..{y.max()} but there are {k} labels; pass "
                         "one label per class index")
    return y.astype(np.int64)


def _augmented(augment: Augment, xb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = augment(xb, rng)
    if not isinstance(out, np.ndarray) or out.dtype != np.uint8 or out.shape != xb.shape:
        got = f"{out.dtype} {out.shape}" if isinstance(out, np.ndarray) else type(out).__name__
        raise ValueError(f"augment must return a uint8 batch of the shape it gets {xb.shape}, "
                         f"got {got}")
    return out


# -- stage 1: the feature cache -------------------------------------------------------
def _weights_id(weights: str | None, seed: int) -> str:
    if weights is None:
        return f"random-seed-{seed}"
    if weights == "imagenet":
        return "imagenet"
    p = Path(weights).expanduser().resolve()
    st = p.stat()
    return f"{p}:{st.st_size}:{st.st_mtime_ns}"


def feature_cache_key(cfg: Vgg16Config, x_train: np.ndarray, x_val: np.ndarray,
                      augment: Augment | None) -> str:
    """Hex key of the cached features: data content, weights and feature settings.

    Covers the image bytes (sha256), ``input_size``, the weights (name, or path, size
    and modification time of a file; the seed for random weights), the number of
    augmented copies, the seed, the augmentation function's qualified name and
    ``augment_tag``. Head and fine-tuning settings are not part of it.
    """
    copies = cfg.augment_copies if augment is not None else 0
    aug_name = None
    if augment is not None:
        qualname = getattr(augment, "__qualname__", type(augment).__qualname__)
        aug_name = f"{getattr(augment, '__module__', '')}.{qualname}"
    h = hashlib.sha256(json.dumps({
        "version": CACHE_VERSION, "input_size": cfg.input_size,
        "weights": _weights_id(cfg.weights, cfg.seed), "copies": copies, "seed": cfg.seed,
        "augment": aug_name, "augment_tag": cfg.augment_tag if augment is not None else "",
        "train_shape": list(x_train.shape), "val_shape": list(x_val.shape),
    }, sort_keys=True).encode())
    for a in (x_train, x_val):
        h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()[:20]


def _extract(extractor: Any, x: np.ndarray, batch_size: int) -> tuple[np.ndarray, float]:
    """float32 (N, 512) pooled features of uint8 (N, S, S, 3) RGB images, and seconds spent.

    The uint8 array goes in as it is (Keras casts each batch to the float32 input), so
    no float copy of the whole set is made.
    """
    t0 = time.perf_counter()
    f = extractor.predict(x, batch_size=batch_size, verbose=0)
    return np.asarray(f, np.float32), time.perf_counter() - t0


def cached_features(
    cfg: Vgg16Config,
    extractor: Any,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    augment: Augment | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Pooled frozen-base features of the training set (+ augmented copies) and validation set.

    Loaded from ``cfg.resolved_cache_dir / <key>`` when present (see
    :func:`feature_cache_key`), else computed and saved there (``meta.json`` last,
    so an interrupted write is recomputed).

    Args:
        cfg: the run's settings.
        extractor: :func:`models.vgg16.feature_extractor` of the (frozen) model.
        x_train: uint8 (N, S, S, 3) RGB; y_train: int64 (N,).
        x_val: uint8 (M, S, S, 3) RGB.
        augment: see :data:`Augment`; ``None`` caches the un-augmented set only.

    Returns:
        ``(f_train float32 ((1 + copies) N, 512), y_train int64 ((1 + copies) N,),
        f_val float32 (M, 512), info)``; ``info`` holds ``hit``, ``key``, ``dir``,
        ``images`` (pushed through the base), ``ms_per_image`` (base forward pass only,
        measured when the cache was made) and ``seconds`` (this call).
    """
    t0 = time.perf_counter()
    copies = cfg.augment_copies if augment is not None else 0
    if augment is None and cfg.augment_copies:
        log.warning("no augment function given: caching the un-augmented training set only")
    key = feature_cache_key(cfg, x_train, x_val, augment)
    folder = cfg.resolved_cache_dir / key
    files = {n: folder / f"{n}.npy" for n in ("train_features", "train_labels", "val_features")}
    meta_path = folder / "meta.json"
    if meta_path.is_file() and all(p.is_file() for p in files.values()):
        meta = json.loads(meta_path.read_text())
        f_tr, y_tr, f_val = (np.load(files[n]) for n in ("train_features", "train_labels",
                                                           "val_features"))
        if f_tr.shape == ((1 + copies) * len(x_train), FEATURE_DIM) and f_val.shape == (
                len(x_val), FEATURE_DIM):
            log.info("feature cache hit: %s (%d train vectors, %d val)", folder, len(f_tr),
                     len(f_val))
            return f_tr, y_tr, f_val, {"hit": True, "key": key, "dir": str(folder),
                                       "images": meta["images"], "ms_per_image": meta["ms_per_image"],
                                       "seconds": round(time.perf_counter() - t0, 3)}
        log.warning("feature cache %s has unexpected shapes; recomputing", folder)

    log.info("computing frozen-base features: val %d, train %d x %d copies (1 plain + %d "
             "augmented)", len(x_val), len(x_train), 1 + copies, copies)
    f_val, base_s = _extract(extractor, x_val, cfg.batch_size)
    feats, labels = [], []
    rng = np.random.default_rng(cfg.seed)
    for c in range(1 + copies):
        xc = x_train if c == 0 else np.concatenate([
            _augmented(augment, x_train[i:i + AUGMENT_CHUNK], rng)  # type: ignore[arg-type]
            for i in range(0, len(x_train), AUGMENT_CHUNK)])
        f, s = _extract(extractor, xc, cfg.batch_size)
        feats.append(f)
        base_s += s
        labels.append(y_train)
        log.info("features: copy %d/%d done", c + 1, 1 + copies)
    f_tr, y_tr = np.concatenate(feats), np.concatenate(labels).astype(np.int64)
    images = len(f_tr) + len(f_val)
    ms = 1000.0 * base_s / images

    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in (("train_features", f_tr), ("train_labels", y_tr), ("val_features", f_val)):
        tmp = folder / f"{name}.tmp.npy"
        np.save(tmp, arr)
        tmp.replace(files[name])
    meta_path.write_text(json.dumps({"images": images, "ms_per_image": round(ms, 3),
                                     "copies": copies, "input_size": cfg.input_size,
                                     "weights": cfg.weights}, indent=2) + "\n")
    log.info("feature cache written: %s (%.1f ms/image through the frozen base)", folder, ms)
    return f_tr, y_tr, f_val, {"hit": False, "key": key, "dir": str(folder), "images": images,
                               "ms_per_image": round(ms, 3),
                               "seconds": round(time.perf_counter() - t0, 3)}


# -- stage 2: augmented images --------------------------------------------------------
def _image_batches(x: np.ndarray, y: np.ndarray, batch_size: int, augment: Augment | None,
                   seed: int) -> Any:
    """A ``keras.utils.PyDataset`` of shuffled (augmented) batches.

    Yields float32 (B, S, S, 3) RGB in [0, 255] and int64 (B,) labels; reshuffles
    every epoch.
    """
    import keras

    class ImageBatches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(x))

        def __len__(self) -> int:
            return int(np.ceil(len(x) / batch_size))

        def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
            idx = self.order[i * batch_size:(i + 1) * batch_size]
            xb = x[idx]
            if augment is not None:
                xb = _augmented(augment, xb, self.rng)
            return xb.astype(np.float32), y[idx]

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(x))

    return ImageBatches()


# -- history --------------------------------------------------------------------------
def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _combined_history(out: Path, stages: Sequence[str]) -> dict[str, list[float]]:
    """Concatenate ``history-<stage>.csv`` files into ``history.csv`` (adds ``stage``).

    Returns:
        metric name → per-epoch values over all stages, for :func:`train.plots.plot_history`.
    """
    rows: list[dict[str, Any]] = []
    for stage in stages:
        for r in _read_csv(out / f"history-{stage}.csv"):
            rows.append({"stage": stage, "epoch": len(rows) + 1,
                         **{k: v for k, v in r.items() if k != "epoch"}})
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with (out / "history.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys or ["stage", "epoch"])
        w.writeheader()
        w.writerows(rows)
    return {k: [float(r[k]) for r in rows if r.get(k) not in (None, "")]
            for k in keys if k not in ("stage", "epoch")}


def _epoch_logger(stage: str) -> Any:
    import keras

    def on_epoch_end(epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        log.info("%s epoch %d: %s", stage, epoch + 1,
                 ", ".join(f"{k} {v:.4f}" for k, v in logs.items() if isinstance(v, float)))

    return keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)


def _cross_entropy(probs: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0)
    return float(-np.log(p).mean())


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

    from models.vgg16 import (
        build_head,
        build_vgg16_transfer,
        copy_head_weights,
        feature_extractor,
        freeze_base,
        unfreeze_last_block,
    )
    from train.plots import confusion_matrix, plot_confusion, plot_history

    cfg.validate()
    labels = [str(lab) for lab in labels]
    k = len(labels)
    if k < 2:
        raise ValueError(f"need at least 2 labels, got {labels}")
    s = cfg.input_size
    _check_images(x_train, s, "x_train")
    _check_images(x_val, s, "x_val")
    y_train = _check_labels(y_train, len(x_train), k, "y_train")
    y_val = _check_labels(y_val, len(x_val), k, "y_val")
    out = Path(cfg.out_dir)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)
    log.info("VGG16 %dpx, weights %s: train %d, validation %d, classes %s", s, cfg.weights,
             len(x_train), len(x_val), labels)

    command = shlex.join(["edge-train", *(argv if argv is not None else sys.argv[1:])])
    (out / "config.json").write_text(json.dumps(
        {**cfg.to_json(), "model": "vgg16", "labels": labels, "train_n": len(x_train),
         "val_n": len(x_val), "command": command, "tensorflow": tf.__version__,
         "keras": keras.__version__}, indent=2) + "\n")
    (out / "labels.txt").write_text("".join(f"{lab}\n" for lab in labels))

    # -- stage 1: head on cached frozen-base features ----------------------------------
    model = build_vgg16_transfer(s, k, cfg.weights, cfg.dropout, cfg.head_units)
    freeze_base(model)
    f_tr, yf_tr, f_val, cache = cached_features(cfg, feature_extractor(model), x_train, y_train,
                                                x_val, augment)
    head = build_head(k, cfg.dropout, cfg.head_units)
    head.compile(optimizer=keras.optimizers.Adam(cfg.head_lr),
                 loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.time()
    h1 = head.fit(f_tr, yf_tr, batch_size=cfg.batch_size, epochs=cfg.head_epochs,
                  validation_data=(f_val, y_val), shuffle=True, verbose=0, callbacks=[
                      keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience,
                                                    restore_best_weights=True),
                      keras.callbacks.CSVLogger(str(out / "history-head.csv")),
                      _epoch_logger("head")])
    head_s = time.time() - t0
    head_loss, head_acc = head.evaluate(f_val, y_val, batch_size=256, verbose=0)
    copy_head_weights(head, model)
    stage: dict[str, Any] = {"head": {
        "epochs_run": len(h1.history["loss"]), "val_loss": float(head_loss),
        "val_accuracy": float(head_acc), "seconds": round(head_s, 1)}}
    log.info("head: val loss %.4f, accuracy %.4f (%d epochs, %.0f s)", head_loss, head_acc,
             stage["head"]["epochs_run"], head_s)

    # -- stage 2: fine-tune block5 on augmented images ---------------------------------
    final_stage = "head"
    stages = ["head"]
    if cfg.finetune_epochs:
        stages.append("finetune")
        head_weights = model.get_weights()
        unfreeze_last_block(model, "block5")
        model.compile(optimizer=keras.optimizers.Adam(cfg.finetune_lr),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        backup = out / "backup"
        resuming = backup.is_dir() and any(backup.iterdir())
        if resuming:
            log.info("resuming fine-tuning from %s", backup)
        early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience,
                                              restore_best_weights=True)
        t0 = time.time()
        h2 = model.fit(
            _image_batches(x_train, y_train, cfg.batch_size, augment, cfg.seed + 1),
            epochs=cfg.finetune_epochs, validation_data=(x_val, y_val),
            validation_batch_size=cfg.batch_size, verbose=0, callbacks=[
                keras.callbacks.BackupAndRestore(str(backup)),
                keras.callbacks.ModelCheckpoint(str(out / "checkpoints" / "best.keras"),
                                                monitor="val_loss", save_best_only=True),
                keras.callbacks.CSVLogger(str(out / "history-finetune.csv"), append=resuming),
                early, _epoch_logger("finetune")])
        ft_s = time.time() - t0
        # The restored weights are those of the best epoch, whose validation numbers Keras logged.
        vl, va = h2.history.get("val_loss", []), h2.history.get("val_accuracy", [])
        i_best = int(np.argmin(vl)) if vl else -1
        best = float(vl[i_best]) if vl else float("inf")
        stage["finetune"] = {"epochs_run": len(h2.history.get("loss", [])),
                             "val_loss": best if vl else None,
                             "val_accuracy": float(va[i_best]) if va else None,
                             "seconds": round(ft_s, 1),
                             "trainable_params": int(sum(np.prod(w.shape)
                                                         for w in model.trainable_weights))}
        if best < head_loss:
            final_stage = "finetune"
        else:
            log.warning("fine-tuning did not beat the head's validation loss (%.4f >= %.4f); "
                        "keeping the stage-1 weights", best, head_loss)
            model.set_weights(head_weights)
    elif (out / "history-finetune.csv").exists():
        (out / "history-finetune.csv").unlink()  # a previous run's; not this model's
    model.save(out / "model.keras")

    # -- outputs -------------------------------------------------------------------------
    probs = model.predict(x_val, batch_size=cfg.batch_size, verbose=0)
    y_pred = probs.argmax(1)
    val_loss, val_acc = _cross_entropy(probs, y_val), float((y_pred == y_val).mean())
    cm = confusion_matrix(y_val, y_pred, k)
    history = _combined_history(out, stages)
    plot_history(history, out / "curves.png",
                 f"VGG16 {s}px: head ({stage['head']['epochs_run']} epochs)"
                 + (" then block5 fine-tuning" if cfg.finetune_epochs else ""))
    plot_confusion(cm, labels, out / "confusion.png", f"validation ({final_stage}, Keras float)")
    metrics = {
        "val_accuracy": val_acc,
        "val_loss": val_loss,
        "val_n": int(len(y_val)),
        "train_n": int(len(y_train)),
        "final_stage": final_stage,
        "per_class": {lab: float(cm[i, i] / max(1, cm[i].sum())) for i, lab in enumerate(labels)},
        **stage,
        "feature_cache": cache,
        "params": int(model.count_params()),
        "input_size": s,
        "weights": cfg.weights,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    log.info("VGG16 done: val accuracy %.4f (%s)", val_acc, final_stage)
    return metrics
