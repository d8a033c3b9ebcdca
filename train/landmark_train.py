"""Gesture classifiers on hand landmarks, evaluated leave-one-source-out.

Reads the landmark cache of :mod:`train.landmark_data` and trains, in the manner of
keras-io's small-classifier examples (parameters first, then data, model, fit):

- ``mlp``: a small MLP on :func:`edge.landmark_features.landmark_features` (94 values),
  with augmentation on the landmarks themselves (jitter, small 3-D rotations, mirroring,
  wrong handedness, and the hand presence redrawn for gestures so ``none`` is not decided
  on presence alone: real cameras give clear gestures a low presence far more often than
  the shared photos do, see ``shared/FINDINGS.md``);
- ``embedding``: logistic regression (one dense layer) on the landmark model's
  penultimate embedding, when the cache has it.

A photo in which no hand was found counts as ``none`` (that is what the live pipeline
shows). Hyper-parameters are chosen on an inner validation split of the training
sources (whole people/sessions), never on the held-out source or the stress set.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edge.landmark_features import landmark_features

log = logging.getLogger(__name__)

LABELS = ("rock", "paper", "scissors", "none")
NONE = LABELS.index("none")
GESTURES = (0, 1, 2)


@dataclass
class TrainConfig:
    """One classifier's hyper-parameters.

    Attributes:
        hidden: units of the first hidden layer (the second has half); 0 = logistic regression.
        dropout: dropout after each hidden layer.
        l2: L2 weight decay of every dense kernel.
        copies: augmented copies of the training hands per epoch (``mlp`` only; 0 = none).
        presence_redraw: share of gesture copies whose presence is redrawn uniformly in [0, 1].
        epochs, batch_size, learning_rate, patience: the fit (early stopping on the inner
            validation loss, best weights restored).
        seed: seed of weights, augmentation and shuffling.
    """

    hidden: int = 128
    dropout: float = 0.3
    l2: float = 1e-4
    copies: int = 8
    presence_redraw: float = 0.3
    epochs: int = 80
    batch_size: int = 256
    learning_rate: float = 1e-3
    patience: int = 8
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def labels_of(d: dict[str, np.ndarray]) -> np.ndarray:
    """int64 (N,) class indices of a cache's ``label`` strings."""
    return np.asarray([LABELS.index(str(s)) for s in d["label"]], np.int64)


def concat(sets: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate cache dicts key by key (``meta`` dropped)."""
    keys = [k for k in sets[0] if k != "meta"]
    return {k: np.concatenate([s[k] for s in sets]) for k in keys}


def subset(d: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in d.items() if k != "meta"}


def _hash01(s: str) -> float:
    return int.from_bytes(hashlib.sha256(s.encode()).digest()[:8], "little") / 2.0**64


def inner_split(d: dict[str, np.ndarray], fraction: float = 0.15) -> np.ndarray:
    """bool (N,) validation mask: whole people/sessions where a source has several (about
    ``fraction`` of them, by a hash of the name), else single photos by a hash of the file."""
    val = np.zeros(len(d["label"]), bool)
    for src in np.unique(d["source"]):
        m = d["source"] == src
        groups = np.unique(d["person"][m])
        keys = d["person"] if len(groups) >= 4 else np.char.add(d["source"], d["files"])
        for i in np.flatnonzero(m):
            val[i] = _hash01(str(keys[i])) < fraction
    return val


def augment_landmarks(
    lm: np.ndarray,
    hand: np.ndarray,
    pres: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    presence_redraw: float,
) -> tuple[np.ndarray, ...]:
    """One augmented copy of hands: jitter, 3-D rotation, mirror, handedness and presence.

    Args:
        lm: float32 (N, 21, 3) landmarks in pixels.
        hand, pres: float32 (N,) handedness and presence scores.
        y: int64 (N,) labels (presence is redrawn for gestures only).
        rng: the generator.
        presence_redraw: share of gestures whose presence becomes uniform in [0, 1].

    Returns:
        ``(lm, hand, pres)`` augmented, same shapes.
    """
    n = len(lm)
    p = lm - lm[:, :1]
    palm = np.linalg.norm(p[:, [5, 9, 13, 17]], axis=2).mean(axis=1)[:, None, None]
    p = p + rng.normal(0, 0.04, p.shape) * palm  # landmark noise of 4% of the palm size
    ax, ay = rng.uniform(-0.45, 0.45, (2, n))  # tilt towards/away from the camera, ±26°
    az = rng.uniform(-np.pi, np.pi, n)
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    x, yy, z = p[..., 0], p[..., 1], p[..., 2]
    yy, z = cx[:, None] * yy - sx[:, None] * z, sx[:, None] * yy + cx[:, None] * z
    x, z = cy[:, None] * x + sy[:, None] * z, -sy[:, None] * x + cy[:, None] * z
    x, yy = cz[:, None] * x - sz[:, None] * yy, sz[:, None] * x + cz[:, None] * yy
    mirror = rng.uniform(size=n) < 0.5
    x = np.where(mirror[:, None], -x, x)
    out = np.stack([x, yy, z], axis=-1) * rng.uniform(0.5, 2.0, (n, 1, 1)) + lm[:, :1]
    h = np.where(mirror, 1.0 - hand, hand)
    h = np.where(rng.uniform(size=n) < 0.2, 1.0 - h, h)  # the landmark model's handedness is often wrong
    redraw = (rng.uniform(size=n) < presence_redraw) & (y != NONE)
    pr = np.where(redraw, rng.uniform(size=n), pres)
    return out.astype(np.float32), h.astype(np.float32), pr.astype(np.float32)


def features_of(d: dict[str, np.ndarray]) -> np.ndarray:
    """float32 (N, NUM_FEATURES) of found hands (``d`` must hold only found hands)."""
    return landmark_features(d["landmarks"], d["handedness"], np.clip(d["presence"], 0, 1))


def build_model(n_in: int, cfg: TrainConfig, mean: np.ndarray, var: np.ndarray) -> Any:
    """Keras classifier: standardisation -> [Dense(h) -> Dropout -> Dense(h/2) -> Dropout] ->
    Dense(4) softmax. ``hidden == 0``: logistic regression."""
    import keras

    reg = keras.regularizers.L2(cfg.l2) if cfg.l2 else None
    inp = keras.Input((n_in,), name="features")
    x = keras.layers.Normalization(mean=mean, variance=var, name="standardise")(inp)
    if cfg.hidden:
        for units in (cfg.hidden, cfg.hidden // 2):
            x = keras.layers.Dense(units, activation="relu", kernel_regularizer=reg)(x)
            x = keras.layers.Dropout(cfg.dropout)(x)
    out = keras.layers.Dense(len(LABELS), activation="softmax", kernel_regularizer=reg, name="gesture")(x)
    model = keras.Model(inp, out, name="hands_landmarks")
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _train_xy(
    d: dict[str, np.ndarray], kind: str, cfg: TrainConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    y = labels_of(d)
    if kind == "embedding":
        return d["embedding"].astype(np.float32), y
    xs, ys = [features_of(d)], [y]
    for _ in range(cfg.copies):
        lm, h, p = augment_landmarks(
            d["landmarks"], d["handedness"], d["presence"], y, rng, cfg.presence_redraw
        )
        xs.append(landmark_features(lm, h, p))
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def inputs_of(d: dict[str, np.ndarray], kind: str) -> np.ndarray:
    """Model inputs of found hands: features (``mlp``) or embeddings (``embedding``)."""
    return d["embedding"].astype(np.float32) if kind == "embedding" else features_of(d)


def fit(
    train: dict[str, np.ndarray], val: dict[str, np.ndarray], kind: str, cfg: TrainConfig
) -> tuple[Any, dict[str, float]]:
    """Train one classifier on found hands of ``train``, early-stopped on ``val``.

    Returns:
        ``(keras model, {"val_accuracy", "val_loss", "epochs"})``.
    """
    import keras

    keras.utils.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    tr, va = subset(train, train["found"]), subset(val, val["found"])
    x, y = _train_xy(tr, kind, cfg, rng)
    xv, yv = inputs_of(va, kind), labels_of(va)
    model = build_model(x.shape[1], cfg, x.mean(axis=0), x.var(axis=0) + 1e-6)
    stop = keras.callbacks.EarlyStopping(patience=cfg.patience, restore_best_weights=True)
    hist = model.fit(
        x,
        y,
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        validation_data=(xv, yv),
        callbacks=[stop],
        verbose=0,
        shuffle=True,
    )
    best = int(np.argmin(hist.history["val_loss"]))
    return model, {
        "val_accuracy": float(hist.history["val_accuracy"][best]),
        "val_loss": float(hist.history["val_loss"][best]),
        "epochs": best + 1,
    }


def predict_photos(
    d: dict[str, np.ndarray], probs_of: Callable[[np.ndarray], np.ndarray], kind: str
) -> np.ndarray:
    """float32 (N, 4) probabilities for every photo: one-hot ``none`` where no hand was found."""
    out = np.zeros((len(d["label"]), len(LABELS)), np.float32)
    out[:, NONE] = 1.0
    m = d["found"]
    if m.any():
        out[m] = probs_of(inputs_of(subset(d, m), kind))
    return out


def gate(probs: np.ndarray, presence: np.ndarray, min_presence: float) -> np.ndarray:
    """``probs`` with rows whose hand presence is below ``min_presence`` set to one-hot none
    (MediaPipe's own rule: a hand below presence 0.5 is no hand)."""
    out = probs.copy()
    low = presence < min_presence
    out[low] = 0.0
    out[low, NONE] = 1.0
    return out


def score(
    y: np.ndarray, probs: np.ndarray, found: np.ndarray, presence: np.ndarray | None = None
) -> dict[str, Any]:
    """Accuracy, per-class recall, clear gestures called none, no-hand shares (fractions).

    ``no_hand``: no candidate at all; ``low_presence``: no candidate or presence < 0.5 (what
    MediaPipe would report as no hand).
    """
    pred = probs.argmax(axis=1)
    g = np.isin(y, GESTURES)
    recall = {
        LABELS[c]: (float(np.mean(pred[y == c] == c)) if np.any(y == c) else None) for c in range(len(LABELS))
    }
    conf = np.zeros((len(LABELS), len(LABELS)), np.int64)
    np.add.at(conf, (y, pred), 1)
    return {
        "n": int(len(y)),
        "accuracy": float(np.mean(pred == y)) if len(y) else None,
        "gesture_accuracy": float(np.mean(pred[g] == y[g])) if g.any() else None,
        "recall": recall,
        "gesture_called_none": float(np.mean(pred[g] == NONE)) if g.any() else None,
        "no_hand": float(np.mean(~found)) if len(y) else None,
        "low_presence": (float(np.mean(~found | (presence < 0.5))) if len(y) else None)
        if presence is not None
        else None,
        "confusion": conf.tolist(),
    }
