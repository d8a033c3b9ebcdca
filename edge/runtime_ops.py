"""The classify path's arithmetic, without an interpreter: batch chunks, quantisation, top-1.

Pure functions over numpy arrays, in the manner of pycoral's ``adapters.common``: the
input quantised and the output dequantised with the tensors' own scale and zero point
(:func:`quantize`, :func:`dequantize`, :class:`Dequantizer` for the hot path), the
score-to-label step (:func:`top_predictions`), and how :class:`edge.runtime.Classifier`
splits N inputs over its interpreters (:func:`batch_chunks`, :func:`batch_bucket`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from edge.bundle import QuantParams
from edge.types import Prediction

__all__ = [
    "MAX_BATCH",
    "Dequantizer",
    "batch_bucket",
    "batch_chunks",
    "dequantize",
    "quantize",
    "softmax",
    "top_predictions",
]

#: Most inputs per ``invoke`` of a resizable model (larger counts run in chunks of this size).
MAX_BATCH = 32


def batch_chunks(n: int) -> list[int]:
    """How a :class:`~edge.runtime.Classifier` runs ``n`` inputs through a resizable model:
    chunks of :data:`MAX_BATCH` (32), then the rest in one chunk (5 inputs: one invoke of 5;
    70: 32 + 32 + 6), each run by the interpreter of its :func:`batch_bucket` resized to the
    chunk's exact size, so no zero rows are run.

    A batched invoke costs what its rows cost one by one (the digits models on this machine:
    34 us a row at any batch size), so padding would run rows for nothing; one invoke instead
    of one per binary digit of ``n`` (5 = 4 + 1) saves an invoke's fixed cost and its Python
    work (the digits model, 5 inputs: 167 us against 176 us for 4 + 1). Resizing an
    interpreter and re-allocating its tensors costs about 5 us (XNNPACK reshapes in place),
    paid only when the count in a bucket changes.

    Raises:
        ValueError: ``n < 1``.
    """
    if n < 1:
        raise ValueError(f"batch size must be >= 1, got {n}")
    full, rest = divmod(n, MAX_BATCH)
    return [MAX_BATCH] * full + ([rest] if rest else [])


def batch_bucket(n: int) -> int:
    """The interpreter bucket of ``n`` inputs: the next power of two, at most :data:`MAX_BATCH` (32).

    A resizable model keeps one interpreter per bucket, resized to each chunk's exact size
    (:func:`batch_chunks`), so its memory is bounded by the six buckets' (1, 2, 4 ... 32)
    however many ROIs a frame has.

    Raises:
        ValueError: ``n < 1``.
    """
    if n < 1:
        raise ValueError(f"batch size must be >= 1, got {n}")
    return min(MAX_BATCH, 1 << (n - 1).bit_length())


def quantize(x: np.ndarray, q: QuantParams, dtype: np.dtype, work: np.ndarray | None = None) -> np.ndarray:
    """Real values to a tensor's storage type: ``round(x / scale) + zero_point``, clipped.

    Args:
        x: float32 array of real values.
        q: the tensor's quantisation; for float tensors (scale 0) ``x`` is cast only.
        dtype: the tensor's numpy dtype (int8, uint8, int16, float32 ...).
        work: optional scratch array of ``x``'s shape and dtype (float32) for the intermediate values
            (the classifier keeps one, so the hot path allocates only the result); its
            contents are overwritten.

    Returns:
        A new array of ``dtype`` and ``x``'s shape (``x`` itself for a float tensor of its dtype).
    """
    if not q.quantised:
        return x.astype(dtype, copy=False)
    lo, hi = _limits(dtype)
    # rounded, shifted and clipped in place in one float32 array; np.iinfo (cached here) and
    # np.clip's dispatch run Python code that costs 6-12 us each in a pipeline's cold caches,
    # the array's own clip (a dtype check, then numpy's clip ufunc: minimum(maximum(v, lo), hi),
    # NaN kept) costs about a third of the NaN-aware minimum and maximum it replaces (float32
    # (5, 28, 28, 1): 2 against 6 us)
    v = np.true_divide(x, q.scale, out=work)
    np.rint(v, out=v)
    v += q.zero_point
    v.clip(lo, hi, out=v)
    return v.astype(dtype)


@functools.cache
def _limits(dtype: np.dtype) -> tuple[int, int]:
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def dequantize(t: np.ndarray, q: QuantParams) -> np.ndarray:
    """A tensor's stored values to float32 reals: ``scale * (t - zero_point)``."""
    if not q.quantised:
        return t.astype(np.float32, copy=False)
    v = t.astype(np.float32)
    v -= q.zero_point
    v *= np.float32(q.scale)
    return v


class Dequantizer:
    """:func:`dequantize` for one output tensor, as a table look-up for 8-bit tensors.

    An int8 or uint8 tensor has 256 values: their reals are computed once, by
    :func:`dequantize` itself (so the results are identical), and each call is one
    ``np.take``. A float32 tensor that is not quantised is returned as it is (what
    :func:`dequantize`'s ``astype(np.float32, copy=False)`` returns). Other dtypes (int16,
    float16) call :func:`dequantize`.

    Args:
        q: the tensor's quantisation.
        dtype: the tensor's numpy dtype.
    """

    def __init__(self, q: QuantParams, dtype: np.dtype) -> None:
        self.q, self.dtype = q, np.dtype(dtype)
        self._table: np.ndarray | None = None
        self._as_is = not q.quantised and self.dtype == np.float32
        if q.quantised and self.dtype in (np.dtype(np.int8), np.dtype(np.uint8)):
            # indexed by the stored byte: uint8 value u holds int8 value u - 256 for u >= 128
            codes = np.arange(256, dtype=np.uint8).view(self.dtype)
            self._table = dequantize(codes, q)

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """float32 reals of ``t`` (a new array of ``t``'s shape; ``t`` itself for a float32
        tensor that is not quantised)."""
        if self._table is None or t.dtype != self.dtype:
            return t if self._as_is and t.dtype == self.dtype else dequantize(t, self.q)
        return self._table.take(t.view(np.uint8))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of float32 (N, K) logits."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def top_predictions(
    scores: np.ndarray, labels: Sequence[str], rows: list[list[float]] | None = None
) -> list[Prediction]:
    """Pure score-to-label step: one :class:`Prediction` per row of ``scores``.

    Args:
        scores: float32 (N, K) probabilities in label order.
        labels: K labels.
        rows: ``scores.tolist()``, when the caller has it already.

    Raises:
        ValueError: K differs from ``len(labels)``.
    """
    if scores.ndim != 2 or scores.shape[1] != len(labels):
        raise ValueError(f"scores shape {scores.shape} does not match {len(labels)} labels")
    # Each row's best in plain Python (after a pipeline's other work, numpy's argmax and max
    # on a (5, 10) array cost about 13 us more): max keeps the first of equal maxima, as
    # argmax does, and index finds it. Scores with a NaN (max may skip it, argmax takes the
    # first; a NaN sum also comes of +inf and -inf), a best of zero (-0.0 and 0.0 tie, and
    # numpy's max may pick either) or no labels take numpy's path.
    rows = scores.tolist() if rows is None else rows
    best = [max(r) for r in rows] if scores.shape[1] else [0]
    total = sum(map(sum, rows))
    if total != total or not all(best):
        return _top_numpy(scores, labels)
    # positional fields: a frozen dataclass's __init__ takes keywords about 0.5 us slower each
    return [Prediction(i := r.index(b), labels[i], b, s) for r, b, s in zip(rows, best, scores, strict=True)]


def _top_numpy(scores: np.ndarray, labels: Sequence[str]) -> list[Prediction]:
    """:func:`top_predictions` in numpy: each row's argmax and its value."""
    idx = scores.argmax(axis=1).tolist()
    # the argmax's own value (a max picks no other number); the ufunc's reduce, not
    # ndarray.max, whose Python wrapper costs several us in a pipeline's cold caches
    best = np.maximum.reduce(scores, axis=1).tolist()
    return [Prediction(i, labels[i], b, s) for i, b, s in zip(idx, best, scores, strict=True)]
