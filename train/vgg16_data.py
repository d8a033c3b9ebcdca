"""Data side of VGG16 fine-tuning: the frozen-base feature cache and augmented image batches.

Stage 1 of :func:`train.vgg16.train_vgg16` trains the head on pooled features (N, 512)
of the frozen base, computed once for the validation set and for the training set plus
``augment_copies`` augmented copies of it and cached as ``.npy`` (keyed by a hash of
the data, the weights and the settings that change the features, so a rerun reuses
them). Stage 2 feeds freshly augmented images through a ``keras.utils.PyDataset``.
Everything here works on NumPy arrays; Keras is imported late, inside the functions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.vgg16 import FEATURE_DIM

if TYPE_CHECKING:
    from train.vgg16_config import Vgg16Config

log = logging.getLogger(__name__)


#: ``augment(batch, rng) -> batch``: uint8 (B, S, S, 3) RGB in, the same shape and dtype out.
Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


#: Images handed to ``augment`` per call while building the feature cache.
AUGMENT_CHUNK = 256


#: Bump when the cache layout or the feature computation changes.
CACHE_VERSION = 1


# -- checks ---------------------------------------------------------------------------
def check_images(x: np.ndarray, size: int, what: str) -> None:
    """Raise ``ValueError`` unless ``x`` is a non-empty uint8 (N, size, size, 3) RGB batch."""
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (size, size, 3):
        got = f"{x.dtype} {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(
            f"{what} must be uint8 (N, {size}, {size}, 3) RGB images at "
            f"input_size={size}, got {got}; resize them (cv2.INTER_AREA) or change "
            "input_size"
        )
    if len(x) == 0:
        raise ValueError(f"{what} holds no images")


def check_labels(y: np.ndarray, n: int, k: int, what: str) -> np.ndarray:
    """``y`` as int64 (n,) class indices in [0, k); ``ValueError`` otherwise."""
    y = np.asarray(y)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{what} must be ({n},) integer class indices, got {y.dtype} {y.shape}")
    if y.min() < 0 or y.max() >= k:
        raise ValueError(
            f"{what} spans {y.min()}..{y.max()} but there are {k} labels; pass one label per class index"
        )
    return y.astype(np.int64)


def _augmented(augment: Augment, xb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = augment(xb, rng)
    if not isinstance(out, np.ndarray) or out.dtype != np.uint8 or out.shape != xb.shape:
        got = f"{out.dtype} {out.shape}" if isinstance(out, np.ndarray) else type(out).__name__
        raise ValueError(f"augment must return a uint8 batch of the shape it gets {xb.shape}, got {got}")
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


def feature_cache_key(
    cfg: Vgg16Config, x_train: np.ndarray, x_val: np.ndarray, augment: Augment | None
) -> str:
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
    h = hashlib.sha256(
        json.dumps(
            {
                "version": CACHE_VERSION,
                "input_size": cfg.input_size,
                "weights": _weights_id(cfg.weights, cfg.seed),
                "copies": copies,
                "seed": cfg.seed,
                "augment": aug_name,
                "augment_tag": cfg.augment_tag if augment is not None else "",
                "train_shape": list(x_train.shape),
                "val_shape": list(x_val.shape),
            },
            sort_keys=True,
        ).encode()
    )
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
        f_tr, y_tr, f_val = (np.load(files[n]) for n in ("train_features", "train_labels", "val_features"))
        if f_tr.shape == ((1 + copies) * len(x_train), FEATURE_DIM) and f_val.shape == (
            len(x_val),
            FEATURE_DIM,
        ):
            log.info("feature cache hit: %s (%d train vectors, %d val)", folder, len(f_tr), len(f_val))
            return (
                f_tr,
                y_tr,
                f_val,
                {
                    "hit": True,
                    "key": key,
                    "dir": str(folder),
                    "images": meta["images"],
                    "ms_per_image": meta["ms_per_image"],
                    "seconds": round(time.perf_counter() - t0, 3),
                },
            )
        log.warning("feature cache %s has unexpected shapes; recomputing", folder)

    log.info(
        "computing frozen-base features: val %d, train %d x %d copies (1 plain + %d augmented)",
        len(x_val),
        len(x_train),
        1 + copies,
        copies,
    )
    f_val, base_s = _extract(extractor, x_val, cfg.batch_size)
    feats, labels = [], []
    rng = np.random.default_rng(cfg.seed)
    for c in range(1 + copies):
        xc = (
            x_train
            if c == 0
            else np.concatenate(
                [
                    _augmented(augment, x_train[i : i + AUGMENT_CHUNK], rng)  # type: ignore[arg-type]
                    for i in range(0, len(x_train), AUGMENT_CHUNK)
                ]
            )
        )
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
    meta_path.write_text(
        json.dumps(
            {
                "images": images,
                "ms_per_image": round(ms, 3),
                "copies": copies,
                "input_size": cfg.input_size,
                "weights": cfg.weights,
            },
            indent=2,
        )
        + "\n"
    )
    log.info("feature cache written: %s (%.1f ms/image through the frozen base)", folder, ms)
    return (
        f_tr,
        y_tr,
        f_val,
        {
            "hit": False,
            "key": key,
            "dir": str(folder),
            "images": images,
            "ms_per_image": round(ms, 3),
            "seconds": round(time.perf_counter() - t0, 3),
        },
    )


# -- stage 2: augmented images --------------------------------------------------------
def image_batches(x: np.ndarray, y: np.ndarray, batch_size: int, augment: Augment | None, seed: int) -> Any:
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
            idx = self.order[i * batch_size : (i + 1) * batch_size]
            xb = x[idx]
            if augment is not None:
                xb = _augmented(augment, xb, self.rng)
            return xb.astype(np.float32), y[idx]

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(x))

    return ImageBatches()
