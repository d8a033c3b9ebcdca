"""Start training from an existing model (``edge-train ... --init-from PATH``).

``PATH`` is a ``.keras`` (or full-model ``.h5``) file or an ``edge-train`` run folder
holding ``model.keras``; ``labels.txt`` beside the model (as ``edge-train`` writes
it) gives its labels. The model's input shape and labels must equal the run's; a
mismatch is an error that says what to change. TFLite bundles cannot be fine-tuned
(they hold no trainable float graph): use the run folder the bundle was converted
from (``model.json``'s ``source_model``).

Recommended for fine-tuning on your own samples (see the README): a learning rate
about a tenth of the from-scratch one (``--learning-rate 3e-4`` for LeNet), 2-5
epochs, ``--extra-ratio 0.2``-``0.3`` so every batch holds some of your samples
while MNIST (or the gesture sources) keeps the rest of the model's knowledge.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


def resolve_init_model(path: str | Path) -> Path:
    """The model file of ``--init-from``: the file itself, or ``model.keras`` in a run folder.

    Raises:
        ValueError: missing path, a folder without ``model.keras``, or a file that is
            not a Keras model (``.tflite`` included: the message says what to pass).
    """
    p = Path(path).expanduser()
    if p.is_dir():
        for name in ("model.keras", "model.h5"):
            if (p / name).is_file():
                return p / name
        raise ValueError(
            f"--init-from {p}: no model.keras in this folder; pass a .keras file or an "
            "edge-train run folder (it holds model.keras)"
        )
    if not p.is_file():
        raise ValueError(f"--init-from {p} does not exist; pass a .keras file or an edge-train run folder")
    if p.suffix.lower() not in MODEL_SUFFIXES:
        raise ValueError(
            f"--init-from {p}: a {p.suffix or 'suffix-less'} file cannot be fine-tuned; pass "
            "the .keras model (for a bundle: the run folder its model.json names as "
            "source_model)"
        )
    return p


def saved_labels(model_file: Path) -> tuple[str, ...] | None:
    """Labels from ``labels.txt`` beside ``model_file`` (one per line), or ``None``."""
    f = model_file.parent / "labels.txt"
    if not f.is_file():
        return None
    return tuple(line.strip() for line in f.read_text().splitlines() if line.strip())


def load_init_model(
    path: str | Path,
    input_shape: Sequence[int],
    labels: Sequence[str],
) -> tuple[Any, dict[str, Any]]:
    """Load the model to fine-tune and check it fits the run.

    Args:
        path: ``.keras``/``.h5`` file or run folder (:func:`resolve_init_model`).
        input_shape: the run's input (H, W, C), e.g. (28, 28, 1) or (64, 64, 3).
        labels: the run's labels in output order.

    Returns:
        (an uncompiled ``keras.Model`` with the saved weights, ``{"path", "labels",
        "input_shape"}`` for ``config.json``/``metrics.json``).

    Raises:
        ValueError: the model cannot be loaded, its input shape differs, or its labels
            (``labels.txt`` beside it, else its number of outputs) differ.
    """
    import keras

    p = resolve_init_model(path)
    try:
        model = keras.models.load_model(p, compile=False)
    except (ValueError, OSError, TypeError, KeyError) as e:
        raise ValueError(f"--init-from {p}: cannot load it as a Keras model ({e})") from e
    got = tuple(int(d) if d is not None else None for d in model.input_shape[1:])
    want = tuple(int(d) for d in input_shape)
    if got != want:
        raise ValueError(
            f"--init-from {p}: the model takes input (H, W, C) = {got} but this run feeds "
            f"{want}; fine-tune with the same input (e.g. --input-size {got[0]} for hands) "
            "or train from scratch"
        )
    n_out = int(model.output_shape[-1])
    have = saved_labels(p)
    if have is not None and tuple(have) != tuple(labels):
        raise ValueError(
            f"--init-from {p}: the model's labels are {list(have)} (labels.txt) but this run "
            f"trains {list(labels)}; the class folders must match the model's labels"
        )
    if n_out != len(labels):
        raise ValueError(
            f"--init-from {p}: the model has {n_out} outputs but this run has {len(labels)} "
            f"labels {list(labels)}"
        )
    log.info("fine-tuning from %s (%d parameters)", p, model.count_params())
    return model, {"path": str(p), "labels": list(have or labels), "input_shape": list(got)}


__all__ = ["load_init_model", "resolve_init_model", "saved_labels"]
