"""Check a converted bundle against its source model on held-out data.

The bundle is run through :class:`edge.runtime.Classifier`, the same code the device
uses (input quantised with the tensor's own scale and zero point, output
dequantised, softmax applied to logits), so the numbers recorded in ``model.json``
describe exactly what ``edge-run`` will do with this file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from edge.runtime import Classifier, softmax

log = logging.getLogger(__name__)


def detect_activation(outputs: np.ndarray, atol: float = 1e-3) -> str:
    """``"softmax"`` if every row is a probability vector, else ``"logits"``.

    Args:
        outputs: float32 (N, K) model outputs, N >= 1.
        atol: tolerance on each row sum being 1.

    Returns:
        ``"softmax"`` (rows non-negative and summing to 1) or ``"logits"``.
    """
    y = np.asarray(outputs, np.float64)
    if y.size == 0:
        return "softmax"
    rows_ok = np.all(y >= -atol) and np.allclose(y.sum(axis=1), 1.0, atol=atol)
    return "softmax" if rows_ok else "logits"


def verify_bundle(
    bundle_dir: str | Path,
    x: np.ndarray,
    reference: np.ndarray,
    y: np.ndarray | None = None,
    activation: str = "softmax",
    runtime: str = "auto",
    num_threads: int | None = None,
) -> dict[str, Any]:
    """Run a bundle on ``x`` and compare it with the source model's outputs.

    Args:
        bundle_dir: the bundle folder (its ``model.json`` must already be written).
        x: float32 (N, H, W, C) in the bundle's input value range, N >= 1.
        reference: float32 (N, K) outputs of the source model on ``x``.
        y: int64 (N,) true class indices, or ``None`` (then no accuracies).
        activation: ``"softmax"`` or ``"logits"``: what ``reference`` holds.
        runtime: interpreter choice, see :func:`edge.runtime.make_interpreter`.
        num_threads: interpreter threads (``None``: the runtime's default).

    Returns:
        ``{"samples", "source_accuracy", "tflite_accuracy", "top1_agreement",
        "mean_abs_prob_diff", "max_abs_prob_diff", "size_bytes", "size_kib",
        "runtime"}``; accuracies are ``None`` without labels, fractions in [0, 1].

    Raises:
        edge.bundle.BundleError: the bundle cannot be loaded by the runtime.
        ValueError: ``x``, ``reference`` and ``y`` disagree in length.
    """
    x = np.asarray(x, np.float32)
    ref = np.asarray(reference, np.float32)
    if len(x) == 0 or len(ref) != len(x) or (y is not None and len(y) != len(x)):
        raise ValueError(
            f"verification needs N >= 1 samples with one reference row and label "
            f"each; got x {x.shape}, reference {ref.shape}, "
            f"y {None if y is None else y.shape}"
        )
    clf = Classifier(bundle_dir, num_threads=num_threads, runtime=runtime)
    probs = clf.predict(x)
    ref_probs = softmax(ref) if activation == "logits" else ref
    pred, ref_pred = probs.argmax(axis=1), ref_probs.argmax(axis=1)
    diff = np.abs(probs - ref_probs)
    size = clf.bundle.model_path.stat().st_size
    out: dict[str, Any] = {
        "samples": len(x),
        "source_accuracy": None if y is None else float(np.mean(ref_pred == y)),
        "tflite_accuracy": None if y is None else float(np.mean(pred == y)),
        "top1_agreement": float(np.mean(pred == ref_pred)),
        "mean_abs_prob_diff": float(diff.mean()),
        "max_abs_prob_diff": float(diff.max()),
        "size_bytes": int(size),
        "size_kib": round(size / 1024, 1),
        "runtime": clf.runtime,
    }
    log.info("verified %s on %d samples: agreement %.4f", bundle_dir, len(x), out["top1_agreement"])
    return out
