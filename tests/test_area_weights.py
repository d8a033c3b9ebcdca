"""place_mnist's area weights (edge.preprocess.mnist_format._area_weights), worked out for all
pairs at once, are the pair-by-pair weights to the bit, for every size pair the cache can hold."""

from __future__ import annotations

import math

import numpy as np

from edge.preprocess import mnist_format


def _pair_by_pair(n_src: int, n_dst: int) -> np.ndarray:
    """The weights one source pixel at a time (the first implementation, the reference)."""
    s = n_src / n_dst
    w = np.zeros((n_dst, n_src), np.float64)
    for i in range(n_dst):
        a, b = i * s, (i + 1) * s
        for j in range(int(a), min(n_src, math.ceil(b))):
            w[i, j] = (min(b, j + 1) - max(a, j)) / s
    return w.astype(np.float32)


def test_area_weights_are_the_pair_by_pair_weights() -> None:
    checked = 0
    for n_src in range(1, 129):
        for n_dst in range(1, min(n_src, 40) + 1):
            got = mnist_format._area_weights(n_src, n_dst)
            want = _pair_by_pair(n_src, n_dst)
            assert got.dtype == np.float32 and got.shape == want.shape
            assert got.tobytes() == want.tobytes(), (n_src, n_dst)  # (+0.0 where no overlap, not -0.0)
            assert mnist_format._WEIGHTS[(n_src, n_dst)] is got
            checked += 1
    assert checked > 3000
