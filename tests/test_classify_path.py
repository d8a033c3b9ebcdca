"""The classify path's arithmetic: batch chunks without padding rows, and exact quantisation."""

from __future__ import annotations

import numpy as np
import pytest

from edge.bundle import QuantParams, load_bundle
from edge.runtime import Classifier, batch_chunks, dequantize, quantize


def test_batch_chunks_are_the_binary_digits_of_the_count() -> None:
    assert batch_chunks(1) == [1]
    assert batch_chunks(3) == [2, 1]
    assert batch_chunks(5) == [4, 1]
    assert batch_chunks(7) == [4, 2, 1]
    assert batch_chunks(32) == [32]
    assert batch_chunks(70) == [32, 32, 4, 2]
    for n in range(1, 100):
        chunks = batch_chunks(n)
        assert sum(chunks) == n and all(c & (c - 1) == 0 and c <= 32 for c in chunks)
    with pytest.raises(ValueError, match="batch size"):
        batch_chunks(0)


def test_a_batch_gives_what_its_rows_give_one_by_one() -> None:
    c = Classifier(load_bundle("digits"))
    x = np.random.default_rng(0).random((13, 28, 28, 1), dtype=np.float32)
    singles = np.concatenate([c.predict(x[i : i + 1]) for i in range(13)])
    for n in (2, 3, 5, 7, 13):
        assert np.array_equal(c.predict(x[:n]), singles[:n])
    preds = c.classify(x[:3])
    assert [p.index for p in preds] == singles[:3].argmax(axis=1).tolist()
    assert [p.score for p in preds] == [float(singles[i].max()) for i in range(3)]
    assert all(isinstance(p.index, int) and isinstance(p.score, float) for p in preds)


@pytest.mark.parametrize(
    ("q", "dtype"),
    [
        (QuantParams(0.003921568859368563, -128), np.int8),
        (QuantParams(1 / 255, 0), np.uint8),
        (QuantParams(0.02, 3), np.int8),
    ],
)
def test_quantisation_is_round_shift_clip(q: QuantParams, dtype: type) -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.random(5000, dtype=np.float32), np.float32([-1.0, 0.0, 0.5, 1.0, 2.0, 300.0])])
    info = np.iinfo(dtype)
    want = np.clip(np.rint(x / q.scale) + q.zero_point, info.min, info.max).astype(dtype)
    assert np.array_equal(quantize(x, q, np.dtype(dtype)), want)
    t = rng.integers(info.min, info.max + 1, 500).astype(dtype)
    back = dequantize(t, q)
    assert back.dtype == np.float32
    assert np.array_equal(back, (q.scale * (t.astype(np.float32) - q.zero_point)).astype(np.float32))
