"""Train a hand-gesture classifier: the ``edge-train hands`` job.

Parameters first (:class:`HandsConfig`), then data, model, training, outputs, as in
:mod:`train.lenet`. The data are folders of class folders (:mod:`train.hand_data`),
split by person so that validation measures new people, not new frames of the same
people; augmentation (:mod:`train.hand_augment`) pastes green-screen hands onto other
backgrounds and adds rotation, flips, scale, colour, blur, noise and JPEG artefacts,
and adds background-only ``none`` samples.

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
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from edge.datasets import DatasetError
from edge.preprocess import square_pad
from train.config import JsonConfig
from train.extra_data import (
    load_extra_hands,
    scan_extra,
    session_counts,
    split_extra,
    write_split,
)
from train.extra_mix import extra_per_batch, mix_indices
from train.hand_augment import BackgroundBank, HandAugmentConfig, HandAugmenter
from train.hand_data import (
    HAND_LABELS,
    HandSample,
    count_report,
    load_images,
    scan_collection,
    scan_source,
    split_by_group,
)

log = logging.getLogger(__name__)

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
            ``backgrounds``) as ``none`` samples (:func:`mine_hard_negatives`).
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
            raise ValueError("no gesture data: pass --data DIR (a folder of rock/ paper/ scissors/ "
                             "[none/] folders, or of such folders) or set EDGE_DATA_DIR")
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
            raise ValueError("--init-from fine-tunes a hands LeNet (--arch lenet); for VGG16 the head and "
                             "block 5 are fine-tuned from ImageNet weights already")


def _training_batches(x: np.ndarray, y: np.ndarray, augmenter: HandAugmenter | None, cfg: HandsConfig,
                      num_classes: int, none_index: int | None, x_extra: np.ndarray | None = None,
                      y_extra: np.ndarray | None = None) -> Any:
    """A Keras ``PyDataset`` of augmented training batches (Keras imported here, late).

    Args:
        x: uint8 (N, S, S, 3) RGB training photos at the work size.
        y: int64 (N,) class indices.
        augmenter: makes (B, input, input, 3) batches; ``None``: plain resize.
        cfg: batch size, seed, synthetic ``none`` share, input size, ``extra_ratio``.
        num_classes: one-hot width.
        none_index: class index of ``none`` for background-only samples (``None``: none added).
        x_extra, y_extra: the user's own samples (uint8 (M, S, S, 3) RGB, int64 (M,)),
            ``round(extra_ratio * batch_size)`` of them in every batch
            (:func:`train.extra_mix.mix_indices`); ``None``: none.

    Returns:
        A ``keras.utils.PyDataset`` of (float32 (B, input, input, 3) in [0, 1],
        float32 (B, num_classes) one-hot) reshuffled every epoch.
    """
    import keras

    xe = x[:0] if x_extra is None or y_extra is None else x_extra
    ye = y[:0] if x_extra is None or y_extra is None else y_extra
    k = extra_per_batch(cfg.extra_ratio, cfg.batch_size) if len(xe) else 0
    if k == 0 and len(xe):  # ratio 0: plain concatenation
        x, y = np.concatenate([x, xe]), np.concatenate([y, ye])
        xe, ye = x[:0], y[:0]

    class Batches(keras.utils.PyDataset):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.rng = np.random.default_rng(cfg.seed)
            n_extra = cfg.synthetic_none if (augmenter is not None and none_index is not None) else 0.0
            self.n_bg = int(round(cfg.batch_size * n_extra))
            self.n_img = cfg.batch_size - self.n_bg
            self.k = min(k, self.n_img - 1)
            self.epoch = 0
            self.batches = self._plan()

        def _plan(self) -> list[tuple[np.ndarray, np.ndarray]]:
            # k = 0: the base (with any concatenated extras) in one reshuffled pass
            return mix_indices(len(x), len(xe), self.n_img, self.k, self.rng)

        def __len__(self) -> int:
            return len(self.batches)

        def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
            bi, ei = self.batches[i]
            xs, ys = np.concatenate([x[bi], xe[ei]]), np.concatenate([y[bi], ye[ei]])
            rng = np.random.default_rng((cfg.seed, i, self.epoch))
            if augmenter is not None:
                xb = augmenter(xs, rng)
                yb = ys
                if self.n_bg:
                    xb = np.concatenate([xb, augmenter.background_only(self.n_bg, x.shape[1], rng)])
                    yb = np.concatenate([yb, np.full(self.n_bg, none_index, np.int64)])
            else:
                xb, yb = resize_batch(xs, cfg.input_size), ys
            return xb.astype(np.float32) / 255.0, np.eye(num_classes, dtype=np.float32)[yb]

        def on_epoch_end(self) -> None:
            self.epoch += 1
            self.batches = self._plan()

    return Batches()


def resize_batch(x: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, S, S, 3) → uint8 (N, size, size, 3) with area interpolation."""
    import cv2

    if x.shape[1] == size:
        return x
    out = np.empty((len(x), size, size, 3), np.uint8)
    for i, im in enumerate(x):
        out[i] = cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA)
    return out


def _background_samples(cfg: HandsConfig) -> list[HandSample]:
    """The ``--backgrounds`` photos (scenes without a hand) as ``none`` samples."""
    scenes = []
    for d in cfg.backgrounds:
        p = Path(d)
        files = [f for f in sorted(p.rglob("*")) if f.suffix.lower() in (".jpg", ".jpeg", ".png")]
        if not files:
            raise ValueError(f"--backgrounds {d}: no .jpg/.png photos found")
        scenes += [HandSample(f, "none", p.name, f.stem) for f in files]
    return scenes


def _background_photos(train: list[HandSample], cfg: HandsConfig, size: int) -> np.ndarray:
    scenes = [s for s in train if s.label == "none" and s.source in EMPTY_SCENE_SOURCES]
    scenes += _background_samples(cfg)
    if not scenes:
        return np.zeros((0, size, size, 3), np.uint8)
    x, _ = load_images(scenes, size)
    return x


def mine_hard_negatives(samples: list[HandSample], size: int, max_per_photo: int = 3) -> np.ndarray:
    """Crops the device's hand segmenter proposes in photos without a gesture.

    Run at training time over the ``none`` photos (empty rooms, people, other hand
    shapes), :func:`edge.hands.make_hand_segmenter` ``("skin")`` finds what the live
    pipeline would hand to the classifier in such scenes: faces, skin-coloured
    furniture, arms. Those crops, square-padded like the device's hand crops, become
    extra ``none`` training samples (hard-negative mining, as in Sung & Poggio 1998 /
    Felzenszwalb et al. 2010).

    Args:
        samples: photos labelled ``none``.
        size: side of the returned crops in px.
        max_per_photo: proposals kept per photo.

    Returns:
        uint8 (N, size, size, 3) RGB crops (N may be 0).

    Raises:
        edge.datasets.DatasetError: a photo cannot be read.
    """
    import cv2

    from edge.hands import make_hand_segmenter

    seg = make_hand_segmenter("skin", max_hands=max_per_photo)
    crops = []
    for s in samples:
        img = cv2.imread(str(s.path), cv2.IMREAD_COLOR)
        if img is None:
            raise DatasetError(f"cannot read image {s.path}: delete or replace the file")
        H, W = img.shape[:2]
        for roi in seg.find(img):
            crop = img[roi.y:min(H, roi.y + roi.h), roi.x:min(W, roi.x + roi.w)]
            if crop.size == 0:
                continue
            crop = square_pad(crop)
            interp = cv2.INTER_AREA if crop.shape[0] > size else cv2.INTER_LINEAR
            small = cv2.resize(crop, (size, size), interpolation=interp)
            crops.append(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
    return np.stack(crops) if crops else np.zeros((0, size, size, 3), np.uint8)


def _scores(model: Any, sets: dict[str, tuple[np.ndarray | None, np.ndarray | None]]) -> dict[str, float]:
    """``{"<name>_accuracy": accuracy}`` of a [0, 1]-input Keras model on uint8 RGB sets.

    Sets that are ``None`` or empty are skipped.
    """
    out = {}
    for name, (x, y) in sets.items():
        if x is not None and y is not None and len(x):
            pred = model.predict(x.astype(np.float32) / 255.0, batch_size=256, verbose=0).argmax(1)
            out[f"{name}_accuracy"] = float((pred == y).mean())
    return out


def _accuracy_by_source(samples: list[HandSample], y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for src in sorted({s.source for s in samples}):
        m = np.array([s.source == src for s in samples])
        out[src] = {"accuracy": float((pred[m] == y[m]).mean()), "n": int(m.sum())}
    return out


def run_labels(cfg: HandsConfig, samples: list[HandSample]) -> tuple[str, ...]:
    """The labels of a run, in output order.

    From scratch: the classes of :data:`HAND_LABELS` present in the data. Fine-tuning
    (``init_from``): the model's own ``labels.txt`` (every class in the data must be
    one of them), else the classes present.

    Raises:
        ValueError: the data holds a class the ``init_from`` model does not have.
    """
    present = tuple(c for c in HAND_LABELS if any(s.label == c for s in samples))
    if not cfg.init_from:
        return present
    from train.finetune import resolve_init_model, saved_labels

    have = saved_labels(resolve_init_model(cfg.init_from))
    if have is None:
        return present
    missing = [c for c in present if c not in have]
    if missing:
        raise ValueError(f"--init-from {cfg.init_from}: the data has class(es) {missing} the model does not "
                         f"know (its labels: {list(have)}); leave those folders out or train from scratch")
    return tuple(have)


def prepare_data(cfg: HandsConfig) -> dict[str, Any]:
    """Scan, split, report and load the photos of a run.

    Returns:
        ``{"splits": {name: [HandSample]}, "labels": tuple, "x": {name: uint8
        (N, work, work, 3) RGB}, "y": {name: int64 (N,)}, "report": str}``.

    Raises:
        edge.datasets.DatasetError: missing or empty folders, unreadable photos.
        ValueError: bad split parameters, or labels that do not fit ``init_from``.
    """
    samples = scan_collection(cfg.data, exclude=cfg.exclude_sources)
    labels = run_labels(cfg, samples)
    splits = split_by_group(samples, cfg.val_fraction, holdout_sources=cfg.holdout_sources, seed=cfg.seed)
    if cfg.limit:
        rng = np.random.default_rng(cfg.seed)
        keep = rng.permutation(len(splits["train"]))[: cfg.limit]
        splits["train"] = [splits["train"][i] for i in sorted(keep)]
    work = cfg.work_size or int(round(cfg.input_size * 1.5))
    x, y = {}, {}
    for name, ss in splits.items():
        if ss:
            x[name], y[name] = load_images(ss, work, labels)
    return {"splits": splits, "labels": labels, "x": x, "y": y, "report": count_report(splits, labels),
            "work_size": work}


def train_hands(cfg: HandsConfig, argv: list[str] | None = None) -> dict[str, Any]:
    """Train, evaluate on validation (and hold-out) splits and write every output.

    Returns:
        The metrics written to ``metrics.json``.

    Raises:
        edge.datasets.DatasetError: data missing, empty or unreadable.
        ValueError: a bad configuration value.
    """
    cfg.check()
    import keras
    import tensorflow as tf

    from train.plots import confusion_matrix, plot_confusion, plot_history

    out = Path(cfg.out_dir)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)
    command = shlex.join(["edge-train", *(argv if argv is not None else sys.argv[1:])])

    # -- data -------------------------------------------------------------------
    data = prepare_data(cfg)
    labels, splits, work = data["labels"], data["splits"], data["work_size"]
    (out / "counts.txt").write_text(data["report"] + "\n")
    ex_tr: list[Any] = []
    ex_val: list[Any] = []
    how = "none"
    if cfg.extra:
        ex_tr, ex_val, how = split_extra(scan_extra(cfg.extra, labels), cfg.extra_val_fraction, cfg.seed)
        write_split(out, ex_tr, ex_val, how)
    rows = {k: [[str(s.path), s.label, s.source, s.group] for s in v] for k, v in splits.items()}
    rows["extra_train"] = [[str(s.path), s.label, f"extra/{s.source}", s.session] for s in ex_tr]
    rows["extra_val"] = [[str(s.path), s.label, f"extra/{s.source}", s.session] for s in ex_val]
    (out / "split.json").write_text(json.dumps(rows) + "\n")
    (out / "labels.txt").write_text("".join(f"{c}\n" for c in labels))
    (out / "config.json").write_text(json.dumps(
        {**cfg.to_json(), "command": command, "labels": list(labels),
         "tensorflow": tf.__version__, "keras": keras.__version__}, indent=2) + "\n")
    log.info("data:\n%s", data["report"])
    none_index = labels.index("none") if "none" in labels else None
    augmenter = None
    if cfg.augment is not None:
        bank = BackgroundBank(_background_photos(splits["train"], cfg, work))
        augmenter = HandAugmenter(cfg.augment, bank, out_size=cfg.input_size)
    x_tr, y_tr = data["x"]["train"], data["y"]["train"]
    if cfg.hard_negatives and none_index is not None:
        # Scenes without a hand only: proposals in photos of other hand shapes are hands,
        # and teaching "a segmenter crop of a hand is none" costs real gestures.
        nones = [s for s in splits["train"] if s.label == "none" and s.source in EMPTY_SCENE_SOURCES]
        nones += _background_samples(cfg)
        hard = mine_hard_negatives(nones, work)
        log.info("hard negatives: %d segmenter proposals in %d photos of scenes without a hand",
                 len(hard), len(nones))
        x_tr = np.concatenate([x_tr, hard])
        y_tr = np.concatenate([y_tr, np.full(len(hard), none_index, np.int64)])
        (out / "hard-negatives.txt").write_text(f"{len(hard)} crops from {len(nones)} none photos\n")
    x_val = resize_batch(data["x"]["val"], cfg.input_size) if "val" in data["x"] else None
    y_val = data["y"].get("val")
    x_te = resize_batch(data["x"]["test"], cfg.input_size) if "test" in data["x"] else None
    y_te = data["y"].get("test")
    x_ex, y_ex = load_extra_hands(ex_tr, work, labels)
    x_exv, y_exv = load_extra_hands(ex_val, cfg.input_size, labels)
    if cfg.extra:
        log.info("extra samples: %d training, %d held out (split by %s)", len(x_ex), len(x_exv), how)
    if cfg.extra_ratio > 0 and not len(x_ex):
        raise ValueError("--extra-ratio > 0 but no extra sample is left for training; lower "
                         "--extra-val-fraction or add samples")
    if cfg.arch == "vgg16" and len(x_ex):  # VGG16 caches features of one fixed training set
        x_tr, y_tr = np.concatenate([x_tr, x_ex]), np.concatenate([y_tr, y_ex])

    # Calibration samples for int8 conversion: what the model sees in training.
    rng = np.random.default_rng(cfg.seed + 1)
    pick = rng.permutation(len(x_tr))[:400]
    calib = augmenter(x_tr[pick], rng) if augmenter is not None else resize_batch(x_tr[pick], cfg.input_size)
    # uint8 pixels: edge-convert scales them to whatever input range the model has.
    np.save(out / "calibration.npy", calib.astype(np.uint8))
    if x_val is not None:
        np.savez_compressed(out / "val.npz", x=x_val.astype(np.uint8), y=y_val)

    t0 = time.time()
    stages: dict[str, Any] = {}
    init_info: dict[str, Any] | None = None
    if cfg.arch == "vgg16":
        from train.vgg16 import Vgg16Config, train_vgg16

        vcfg = Vgg16Config(input_size=cfg.input_size, weights=cfg.weights, head_epochs=cfg.head_epochs,
                           finetune_epochs=cfg.finetune_epochs, batch_size=cfg.batch_size,
                           finetune_lr=cfg.finetune_lr, augment_copies=cfg.augment_copies,
                           augment_tag=json.dumps(asdict(cfg.augment)) if cfg.augment else "",
                           patience=cfg.patience, dropout=cfg.dropout, seed=cfg.seed, out_dir=str(out))
        # VGG16 caches features of whole images: augment at the input size.
        x_small = resize_batch(x_tr, cfg.input_size)
        vg_aug = None
        if cfg.augment is not None:
            vg_aug = HandAugmenter(cfg.augment, augmenter.backgrounds if augmenter else None,
                                   out_size=cfg.input_size)
        if x_val is None:
            raise ValueError("VGG16 training needs a validation split: set --val-fraction > 0")
        stages = train_vgg16(vcfg, x_small, y_tr, x_val, y_val, list(labels), augment=vg_aug, argv=argv)
        model = keras.models.load_model(out / "model.keras")
        scale = 255.0  # the VGG16 model takes [0, 255]
        # train_vgg16 wrote its own config.json: restore the full hands config beside it.
        (out / "vgg16-config.json").write_text((out / "config.json").read_text())
        (out / "config.json").write_text(json.dumps(
            {**cfg.to_json(), "command": command, "labels": list(labels),
             "tensorflow": tf.__version__, "keras": keras.__version__}, indent=2) + "\n")
    else:
        from models.lenet import build_lenet
        from train.finetune import load_init_model

        train_ds = _training_batches(x_tr, y_tr, augmenter, cfg, len(labels), none_index, x_ex, y_ex)
        val_ds = None
        if x_val is not None:
            val_ds = (x_val.astype(np.float32) / 255.0, np.eye(len(labels), dtype=np.float32)[y_val])
        steps = len(train_ds)
        if cfg.init_from:
            model, init_info = load_init_model(cfg.init_from, (cfg.input_size, cfg.input_size, 3), labels)
            init_info.update(_scores(model, {"val": (x_val, y_val), "test": (x_te, y_te),
                                             "extra_val": (x_exv, y_exv)}))
        else:
            model = build_lenet("hands", (cfg.input_size, cfg.input_size, 3), len(labels),
                                dropout=cfg.dropout, width=cfg.width)
        schedule = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, decay_steps=steps * cfg.epochs,
                                                          alpha=0.01)
        model.compile(optimizer=keras.optimizers.Adam(schedule),
                      loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
                      metrics=["accuracy"])
        callbacks: list[Any] = [
            keras.callbacks.BackupAndRestore(str(out / "backup")),
            keras.callbacks.ModelCheckpoint(str(out / "checkpoints" / "epoch-{epoch:03d}.keras"),
                                            save_freq=steps * max(1, cfg.checkpoint_every)),
            keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        ]
        if val_ds is not None and cfg.patience > 0:
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=cfg.patience, restore_best_weights=True, mode="max"))
        hist = model.fit(train_ds, epochs=cfg.epochs, validation_data=val_ds, callbacks=callbacks,
                         verbose=1 if sys.stdout.isatty() else 2)
        model.save(out / "model.keras")
        plot_history(hist.history, out / "curves.png", f"LeNet hands {cfg.input_size} px")
        scale = 1.0
    seconds = time.time() - t0

    # -- outputs ----------------------------------------------------------------
    metrics: dict[str, Any] = {"arch": cfg.arch, "labels": list(labels), "train_seconds": round(seconds, 1),
                               "params": int(model.count_params()), "train_n": int(len(x_tr))}
    shown = None
    for name, xs, ys in (("val", x_val, y_val), ("test", x_te, y_te)):
        if xs is None:
            continue
        pred = model.predict(xs.astype(np.float32) / 255.0 * scale, batch_size=256, verbose=0).argmax(1)
        cm = confusion_matrix(ys, pred, len(labels))
        metrics[name] = {
            "accuracy": float((pred == ys).mean()), "n": int(len(ys)),
            "per_class": {c: float(cm[i, i] / max(1, cm[i].sum())) for i, c in enumerate(labels)},
            "per_source": _accuracy_by_source(splits[name], ys, pred),
            "confusion": cm.tolist(),
        }
        shown = (name, cm)
    if cfg.arch == "vgg16":
        metrics["vgg16"] = stages
    if cfg.extra:
        metrics["extra"] = {"split": how, "train_n": int(len(x_ex)), "val_n": int(len(x_exv)),
                            "per_batch": extra_per_batch(cfg.extra_ratio, cfg.batch_size) if len(x_ex) else 0,
                            "train_sessions": session_counts(ex_tr), "val_sessions": session_counts(ex_val)}
        if len(x_exv):
            pred = model.predict(x_exv.astype(np.float32) / 255.0 * scale, batch_size=256,
                                 verbose=0).argmax(1)
            cm = confusion_matrix(y_exv, pred, len(labels))
            metrics["extra_val"] = {
                "accuracy": float((pred == y_exv).mean()), "n": int(len(y_exv)),
                "per_class": {c: (float(cm[i, i] / cm[i].sum()) if cm[i].sum() else None)
                              for i, c in enumerate(labels)}}
    if init_info is not None:
        metrics["init_model"] = init_info
    if shown is not None:
        plot_confusion(shown[1], list(labels), out / "confusion.png",
                       f"hands {cfg.arch}: {shown[0]} split (Keras float)")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


__all__ = ["ARCHS", "HandsConfig", "prepare_data", "scan_source", "train_hands"]
