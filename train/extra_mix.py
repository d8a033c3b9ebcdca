"""Mixing the user's own samples (:mod:`train.extra_data`) into every training batch.

``--extra-ratio R``: R is the fraction of every training batch taken
from the extra samples: each batch of B holds ``k = round(R * B)`` extra samples
(at least 1, at most B - 1) and B - k base samples; both streams are reshuffled
every pass and repeated independently, so a few hundred own samples are oversampled
against 60,000 MNIST digits. An epoch keeps the length of plain concatenation,
``ceil((N_base + N_extra) / B)`` steps. R = 0 is plain concatenation: the extra
samples join the base training set and are drawn as often as any base sample. For
digits the mix is a ``tf.data`` pipeline (:func:`mixed_dataset`: the two shuffled,
repeated streams batched to B - k and k and concatenated, an exact-count form of
``tf.data.Dataset.sample_from_datasets``); for hands the same counts come from an
index sampler (:func:`mix_indices`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def extra_per_batch(ratio: float, batch_size: int) -> int:
    """Extra samples in each batch of ``batch_size`` for ``--extra-ratio ratio``.

    Returns:
        0 for ratio 0 (plain concatenation), else ``round(ratio * batch_size)``
        clipped to 1..batch_size - 1.

    Raises:
        ValueError: ratio outside [0, 1) or a batch of fewer than 2.
    """
    if not 0.0 <= ratio < 1.0:
        raise ValueError(
            f"--extra-ratio must be in [0, 1) (the share of each batch from the extra samples), got {ratio}"
        )
    if ratio == 0:
        return 0
    if batch_size < 2:
        raise ValueError("mixing extra samples needs --batch-size >= 2")
    return min(batch_size - 1, max(1, int(round(ratio * batch_size))))


def mixed_dataset(
    x_base: np.ndarray,
    y_base: np.ndarray,
    x_extra: np.ndarray,
    y_extra: np.ndarray,
    ratio: float,
    batch_size: int,
    seed: int = 0,
) -> tuple[Any, int | None, int]:
    """A ``tf.data`` pipeline of training batches mixing base and extra samples.

    Args:
        x_base, y_base: base training samples (any array shape (N, ...)) and labels (N,).
        x_extra, y_extra: extra samples and labels, same per-sample shape and dtype.
        ratio: ``--extra-ratio`` (see the module docstring); 0 = concatenation.
        batch_size: B.
        seed: shuffle seed.

    Returns:
        (dataset of (x (B, ...), y (B,)) batches, steps per epoch or ``None`` for a
        finite dataset (ratio 0: one pass), extra samples per batch k). With k > 0
        the dataset is infinite: pass the steps to ``Model.fit(steps_per_epoch=...)``.

    Raises:
        ValueError: bad ratio, or ratio > 0 without extra samples.
    """
    import tensorflow as tf

    k = extra_per_batch(ratio, batch_size)
    if k == 0 or len(x_extra) == 0:
        if k:
            raise ValueError("--extra-ratio > 0 but no extra training samples (all held out?)")
        x = np.concatenate([x_base, x_extra]) if len(x_extra) else x_base
        y = np.concatenate([y_base, y_extra]) if len(y_extra) else y_base
        ds = (
            tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size, drop_remainder=False)
        )
        return ds, None, 0
    steps = math.ceil((len(x_base) + len(x_extra)) / batch_size)
    base = (
        tf.data.Dataset.from_tensor_slices((x_base, y_base))
        .shuffle(len(x_base), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(batch_size - k, drop_remainder=True)
    )
    extra = (
        tf.data.Dataset.from_tensor_slices((x_extra, y_extra))
        .shuffle(len(x_extra), seed=seed + 1, reshuffle_each_iteration=True)
        .repeat()
        .batch(k, drop_remainder=True)
    )
    ds = tf.data.Dataset.zip((base, extra)).map(
        lambda a, b: (tf.concat([a[0], b[0]], 0), tf.concat([a[1], b[1]], 0))
    )
    return ds, steps, k


def mix_indices(
    n_base: int,
    n_extra: int,
    batch_size: int,
    k: int,
    rng: np.random.Generator,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """One epoch of (base indices, extra indices) per batch: the index form of :func:`mixed_dataset`.

    Args:
        n_base, n_extra: sizes of the two sets.
        batch_size: samples per batch from both sets together.
        k: extra samples per batch (:func:`extra_per_batch`); 0: base only.
        rng: draws the reshuffled orders.

    Returns:
        ``ceil((n_base + n_extra) / batch_size)`` pairs (``ceil(n_base / batch_size)``
        for k = 0) of int64 arrays of batch_size - k and k indices; each set is walked
        through in reshuffled passes, so every sample is drawn before any repeats.
    """
    if k == 0:
        order = rng.permutation(n_base)
        return [(order[i : i + batch_size], np.zeros(0, np.int64)) for i in range(0, n_base, batch_size)]
    if n_extra == 0:
        raise ValueError("--extra-ratio > 0 but no extra training samples (all held out?)")
    steps = math.ceil((n_base + n_extra) / batch_size)

    def stream(n: int, total: int) -> np.ndarray:
        passes = math.ceil(total / n)
        return np.concatenate([rng.permutation(n) for _ in range(passes)])[:total]

    nb = batch_size - k
    base, extra = stream(n_base, steps * nb), stream(n_extra, steps * k)
    return [(base[i * nb : (i + 1) * nb], extra[i * k : (i + 1) * k]) for i in range(steps)]


__all__ = ["extra_per_batch", "mix_indices", "mixed_dataset"]
