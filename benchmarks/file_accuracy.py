"""The accuracy of a model file for ``edge-bench latency``: measured where the data is, else recorded.

MNIST test for 28x28 digits models, ``--images DIR`` of class folders for the others
(each photo one ROI, as ``edge-eval --crop --views off``), else the accuracy ``model.json``
recorded when the file was converted, marked as such.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from edge.bundle import ModelBundle

if TYPE_CHECKING:
    from benchmarks.latency_compare import LatencyConfig

log = logging.getLogger(__name__)


def file_accuracy(bundle: ModelBundle, cfg: LatencyConfig, runtime: str) -> dict[str, Any]:
    """The accuracy of ``bundle``'s file: measured where its data is present, else recorded.

    Measured (with ``runtime``, batches of 64): a 28x28x1 model with digit labels on the
    MNIST test set (``cfg.data_dir``, ``$EDGE_DATA_DIR`` or the Keras cache; the first
    ``cfg.accuracy_limit`` images); any other model on ``cfg.images`` (class folders,
    each photo one ROI as ``edge-eval --crop --views off``: one read, no
    still views). Otherwise the ``tflite_accuracy`` of
    ``model.json`` ``metrics`` (measured by edge-convert on the same file).

    The pretrained hand models (tasks ``palm-detection`` and ``hand-landmarks``) are not
    classifiers: their accuracy is ``None`` with ``accuracy_data`` saying "n/a".

    Returns:
        ``{"accuracy", "accuracy_n", "accuracy_data"}`` (``None`` values when nothing is
        known); ``accuracy_data`` says where the number comes from.
    """
    from edge.bundle import PRETRAINED_TASKS
    from edge.datasets import DatasetError

    if bundle.task in PRETRAINED_TASKS:  # MediaPipe's palm detector and landmark model
        return {
            "accuracy": None,
            "accuracy_n": None,
            "accuracy_data": f"n/a: a {bundle.task} model, not a classifier (no labels to score)",
        }
    measured: tuple[float, int, str] | None = None
    why = ""
    try:
        measured = _measure_accuracy(bundle, cfg, runtime)
    except DatasetError as e:  # its message lists every way to provide the data
        why = " (data not found: --data-dir DIR for MNIST, --images DIR for photos)"
        log.info("accuracy of %s not measured: %s", bundle.name, e)
    except ValueError as e:  # e.g. folders that are not the model's labels
        why = f" ({e})"
        log.info("accuracy of %s not measured: %s", bundle.name, e)
    if measured is not None:
        acc, n, data = measured
        return {"accuracy": acc, "accuracy_n": n, "accuracy_data": data}
    metrics = bundle.meta.get("metrics") or {}
    for name, m in metrics.items():
        if isinstance(m, dict) and m.get("tflite_accuracy") is not None:
            return {
                "accuracy": float(m["tflite_accuracy"]),
                "accuracy_n": m.get("samples"),
                "accuracy_data": f"model.json {name} (recorded at conversion){why}",
            }
    return {"accuracy": None, "accuracy_n": None, "accuracy_data": f"no data{why}"}


def _measure_accuracy(bundle: ModelBundle, cfg: LatencyConfig, runtime: str) -> tuple[float, int, str] | None:
    from edge.evaluate import evaluate_crops, evaluate_mnist, list_image_folder
    from edge.runtime import Classifier

    digits = tuple(bundle.input.shape[1:]) == (28, 28, 1) and sorted(bundle.labels) == [
        str(d) for d in range(10)
    ]
    if digits and cfg.images is None:
        from edge.datasets import load_mnist

        x, y = load_mnist(cfg.data_dir)["test"]
        if cfg.accuracy_limit:
            x, y = x[: cfg.accuracy_limit], y[: cfg.accuracy_limit]
        rep = evaluate_mnist(Classifier(bundle, runtime=runtime), x, y, batch_size=64)
        return rep.accuracy, rep.n, "mnist-test" + (f"[:{len(x)}]" if cfg.accuracy_limit else "")
    if cfg.images is not None:
        items = list_image_folder(cfg.images, bundle.labels, limit=cfg.accuracy_limit)
        rep = evaluate_crops(Classifier(bundle, runtime=runtime), items, skip_unreadable=True)
        return rep.accuracy, rep.n, f"{cfg.images} (crops)"
    return None
