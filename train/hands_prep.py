"""Data preparation of the ``edge-train hands`` job: photos in, training arrays and batches out.

Scans and splits the photo folders (:mod:`train.hand_data`), loads them at the work
size (:mod:`train.hand_images`), mines hard negatives with the device's own hand
segmenter, and serves augmented, mixed batches to Keras (:func:`training_batches`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from edge.datasets import DatasetError
from edge.preprocess import square_pad
from train.extra_mix import extra_per_batch, mix_indices
from train.hand_augment import HandAugmenter
from train.hand_data import HAND_LABELS, HandSample, count_report, scan_collection, split_by_group
from train.hand_images import load_images
from train.hands_config import EMPTY_SCENE_SOURCES, HandsConfig

log = logging.getLogger(__name__)


def training_batches(
    x: np.ndarray,
    y: np.ndarray,
    augmenter: HandAugmenter | None,
    cfg: HandsConfig,
    num_classes: int,
    none_index: int | None,
    x_extra: np.ndarray | None = None,
    y_extra: np.ndarray | None = None,
) -> Any:
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


def background_samples(cfg: HandsConfig) -> list[HandSample]:
    """The ``--backgrounds`` photos (scenes without a hand) as ``none`` samples."""
    scenes = []
    for d in cfg.backgrounds:
        p = Path(d)
        files = [f for f in sorted(p.rglob("*")) if f.suffix.lower() in (".jpg", ".jpeg", ".png")]
        if not files:
            raise ValueError(f"--backgrounds {d}: no .jpg/.png photos found")
        scenes += [HandSample(f, "none", p.name, f.stem) for f in files]
    return scenes


def background_photos(train: list[HandSample], cfg: HandsConfig, size: int) -> np.ndarray:
    """uint8 (N, size, size, 3) RGB scenes without a hand (training ``none`` photos and ``--backgrounds``)."""
    scenes = [s for s in train if s.label == "none" and s.source in EMPTY_SCENE_SOURCES]
    scenes += background_samples(cfg)
    if not scenes:
        return np.zeros((0, size, size, 3), np.uint8)
    x, _ = load_images(scenes, size)
    return x


def mine_hard_negatives(samples: list[HandSample], size: int, max_per_photo: int = 3) -> np.ndarray:
    """Crops the device's hand segmenter proposes in photos without a gesture.

    Run at training time over the ``none`` photos (empty rooms, people, other hand
    shapes), :func:`edge.segment.hands.make_hand_segmenter` ``("skin")`` finds what the live
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

    from edge.segment.hands import make_hand_segmenter

    seg = make_hand_segmenter("skin", max_hands=max_per_photo)
    crops = []
    for s in samples:
        img = cv2.imread(str(s.path), cv2.IMREAD_COLOR)
        if img is None:
            raise DatasetError(f"cannot read image {s.path}: delete or replace the file")
        H, W = img.shape[:2]
        for roi in seg.find(img):
            crop = img[roi.y : min(H, roi.y + roi.h), roi.x : min(W, roi.x + roi.w)]
            if crop.size == 0:
                continue
            crop = square_pad(crop)
            interp = cv2.INTER_AREA if crop.shape[0] > size else cv2.INTER_LINEAR
            small = cv2.resize(crop, (size, size), interpolation=interp)
            crops.append(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
    return np.stack(crops) if crops else np.zeros((0, size, size, 3), np.uint8)


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
        raise ValueError(
            f"--init-from {cfg.init_from}: the data has class(es) {missing} the model does not "
            f"know (its labels: {list(have)}); leave those folders out or train from scratch"
        )
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
    return {
        "splits": splits,
        "labels": labels,
        "x": x,
        "y": y,
        "report": count_report(splits, labels),
        "work_size": work,
    }
