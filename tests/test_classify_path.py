"""The classify path's arithmetic: chunks without padding rows, one invoke a frame, exact quantisation."""

from __future__ import annotations

import numpy as np
import pytest

from edge.bundle import BundleError, QuantParams, load_bundle
from edge.runtime import Classifier, batch_chunks, dequantize, quantize
from edge.runtime_ops import Dequantizer, top_predictions


def test_batch_chunks_are_full_chunks_then_the_rest_in_one() -> None:
    assert batch_chunks(1) == [1]
    assert batch_chunks(3) == [3]
    assert batch_chunks(5) == [5]
    assert batch_chunks(32) == [32]
    assert batch_chunks(33) == [32, 1]
    assert batch_chunks(70) == [32, 32, 6]
    for n in range(1, 100):
        chunks = batch_chunks(n)
        assert sum(chunks) == n and all(1 <= c <= 32 for c in chunks) and chunks == sorted(chunks)[::-1]
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
    edges = [-1.0, 0.0, 0.5, 1.0, 2.0, 300.0, -0.0, 1e30, -1e30, np.inf, -np.inf]
    x = np.concatenate([rng.random(5000, dtype=np.float32), np.float32(edges)])
    info = np.iinfo(dtype)
    want = np.clip(np.rint(x / q.scale) + q.zero_point, info.min, info.max).astype(dtype)
    assert np.array_equal(quantize(x, q, np.dtype(dtype)), want)
    t = rng.integers(info.min, info.max + 1, 500).astype(dtype)
    back = dequantize(t, q)
    assert back.dtype == np.float32
    assert np.array_equal(back, (q.scale * (t.astype(np.float32) - q.zero_point)).astype(np.float32))


def test_counts_changing_within_a_bucket_resize_its_interpreter_and_keep_the_scores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = Classifier(load_bundle("digits"))
    x = np.random.default_rng(2).random((40, 28, 28, 1), dtype=np.float32)
    singles = np.concatenate([c.predict(x[i : i + 1]) for i in range(40)])
    calls: list[int] = []
    invoke = c._invoke

    def counted(b: np.ndarray) -> np.ndarray:
        calls.append(len(b))
        return invoke(b)

    monkeypatch.setattr(c, "_invoke", counted)
    for n in (5, 6, 5, 8, 7, 3, 5, 40, 5):
        assert np.array_equal(c.predict(x[:n]), singles[:n]), n
    assert calls == [5, 6, 5, 8, 7, 3, 5, 32, 8, 5]  # one invoke per frame up to 32 inputs
    assert sorted(c._interpreters) == [1, 4, 8, 32]


@pytest.mark.parametrize(
    ("q", "dtype"),
    [
        (QuantParams(0.00390625, -128), np.int8),
        (QuantParams(0.02, 3), np.uint8),
        (QuantParams(0.0, 0), np.int8),
    ],
)
def test_dequantizer_table_gives_what_dequantize_gives(q: QuantParams, dtype: type) -> None:
    t = np.arange(256, dtype=np.uint8).view(dtype).reshape(16, 16)[::-1]
    d = Dequantizer(q, np.dtype(dtype))
    assert np.array_equal(d(t), dequantize(t, q)) and d(t).dtype == np.float32
    t16 = np.arange(-300, 300, 7, dtype=np.int16)  # another dtype than the table's: computed
    assert np.array_equal(d(t16), dequantize(t16, q))


def test_quantize_into_scratch_gives_the_same_values() -> None:
    q = QuantParams(0.003921568859368563, -128)
    x = np.random.default_rng(3).uniform(-0.5, 1.5, (5, 28, 28, 1)).astype(np.float32)
    work = np.full_like(x, np.nan)
    assert np.array_equal(quantize(x, q, np.dtype(np.int8), work), quantize(x, q, np.dtype(np.int8)))


def test_top_predictions_name_each_rows_best_class() -> None:
    """Each row's argmax (the first of equal maxima), its label and value, and the row itself."""
    labels = ("zero", "one", "two", "three")
    scores = np.array([[0.1, 0.6, 0.2, 0.1], [0.3, 0.0, 0.3, 0.4], [0.5, 0.0, 0.5, 0.0]], np.float32)
    preds = top_predictions(scores, labels)
    assert [(p.index, p.label) for p in preds] == [(1, "one"), (3, "three"), (0, "zero")]
    assert [p.score for p in preds] == [float(np.float32(v)) for v in (0.6, 0.4, 0.5)]
    assert all(type(p.index) is int and type(p.score) is float for p in preds)
    assert all(np.array_equal(p.scores, row) for p, row in zip(preds, scores, strict=True))
    with pytest.raises(ValueError, match="does not match 3 labels"):
        top_predictions(scores, labels[:3])


def _top_old(scores: np.ndarray, labels: tuple[str, ...]) -> list[tuple[int, str, float, bytes]]:
    """The numpy rule top_predictions had: each row's argmax and the row's maximum."""
    idx = scores.argmax(axis=1).tolist()
    best = np.maximum.reduce(scores, axis=1).tolist()
    return [(i, labels[i], b, row.tobytes()) for i, b, row in zip(idx, best, scores, strict=True)]


def _seen(preds: list) -> list[tuple[int, str, float, bytes]]:
    return [(p.index, p.label, p.score, np.asarray(p.scores).tobytes()) for p in preds]


def test_top_predictions_give_what_argmax_and_max_give() -> None:
    """The plain-Python best of each row equals numpy's argmax (first of equal maxima) and
    maximum, scores bit for bit, on random, tied, signed-zero, infinite and NaN rows."""
    rng = np.random.default_rng(4)
    labels = tuple("0123456789")
    nan, inf = np.nan, np.inf
    special = [
        [0.0] * 10,
        [-0.0, 0.0] + [-1.0] * 8,
        [0.0, -0.0] + [-1.0] * 8,
        [0.5, 0.5, 0.1, 0.5] + [0.0] * 6,
        [inf, 1.0, inf] + [0.0] * 7,
        [-inf] * 10,
        [1.0, nan, 2.0] + [0.0] * 7,
        [nan] * 10,
        [inf, -inf] + [0.0] * 8,
        [3.4e38] * 10,
    ]
    for rows in (
        rng.random((5, 10), dtype=np.float32),
        np.round(rng.random((7, 10)), 1).astype(np.float32),  # many ties
        rng.integers(0, 3, (6, 10)).astype(np.float32),  # zero rows, ties
        np.float32(special),
        np.float32([special[1]]),
        rng.random((4, 10)).astype(np.float64),
        rng.integers(-3, 3, (4, 10)),
        np.zeros((0, 10), np.float32),
    ):
        with np.errstate(invalid="ignore"):
            want = _top_old(rows, labels)
        for r in (None, rows.tolist()):
            got = top_predictions(rows, labels, r)
            assert [g[:2] for g in _seen(got)] == [w[:2] for w in want]
            assert [repr(g[2]) for g in _seen(got)] == [repr(w[2]) for w in want]  # (-0.0, NaN)
            assert [g[3] for g in _seen(got)] == [w[3] for w in want]
            assert all(
                type(p.index) is int and type(p.score) is type(w[2]) for p, w in zip(got, want, strict=True)
            )
    with pytest.raises(ValueError, match="argmax of an empty sequence"):  # no labels: numpy's error
        top_predictions(np.zeros((2, 0), np.float32), ())


def test_classify_is_top_predictions_of_predict(monkeypatch: pytest.MonkeyPatch) -> None:
    """classify reads predict's scores in plain Python: the same predictions, and the same error
    for a NaN or an infinite score (an output that is not quantised)."""
    c = Classifier(load_bundle("digits-float32"))
    x = np.random.default_rng(5).random((6, 28, 28, 1), dtype=np.float32)
    for n in (0, 1, 5, 6):
        assert _seen(c.classify(x[:n])) == _seen(top_predictions(c.predict(x[:n]), c.labels))
    for bad in (np.nan, np.inf, -np.inf):
        out = np.full((2, 10), 0.1, np.float32)
        out[1, 3] = bad
        monkeypatch.setattr(c, "_invoke", lambda b, out=out: out.copy())
        for call in (c.predict, c.classify):
            with pytest.raises(BundleError, match="non-finite scores"):
                call(x[:2])
    big = np.full((2, 10), 3.4e38, np.float32)  # finite, however large their sum
    monkeypatch.setattr(c, "_invoke", lambda b: big.copy())
    assert _seen(c.classify(x[:2])) == _seen(top_predictions(big, c.labels))


def test_dequantizer_returns_a_float32_tensor_that_is_not_quantised_as_it_is() -> None:
    t = np.random.default_rng(6).random((3, 10)).astype(np.float32)
    d = Dequantizer(QuantParams(0.0, 0), np.dtype(np.float32))
    assert d(t) is t and dequantize(t, QuantParams(0.0, 0)) is t
    t16 = t.astype(np.float16)  # another dtype: converted as dequantize converts it
    assert np.array_equal(d(t16), dequantize(t16, QuantParams(0.0, 0))) and d(t16).dtype == np.float32
