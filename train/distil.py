"""Knowledge distillation for ``edge-train lenet --teacher BUNDLE``.

Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network" (2015): a small
student learns from a trained teacher's class probabilities softened at a temperature
``T`` as well as from the labels. Here the teacher is a digits bundle (its TFLite
file, run by :class:`edge.runtime.Classifier`: the float32 twin is the better teacher,
an int8 file works too). It scores every training batch *after* augmentation, so the
soft targets follow the shifted, rotated, scaled digit the student sees; the cost is
one teacher call per batch (about as long as the student's own step for the shipped
5 M multiply-add model on a 2-core x86-64 CPU).

The targets of a batch are float32 (B, 2K) for K classes: the one-hot labels, then
the teacher's softened probabilities ``softmax(log(p_teacher) / T)``. The loss
(:func:`distillation_loss`) is::

    (1 - alpha) * CE_smoothed(labels, p_student)
        + alpha * T**2 * KL(soft_teacher || softmax(log(p_student) / T))

(``T**2`` keeps the soft term's gradients at the hard term's scale, as in the paper).
The student ends in a softmax like every LeNet here, so its logits are recovered as
``log(p_student)`` (equal to them up to a constant, which a softmax ignores).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Probabilities are clipped here before a logarithm.
_EPS = 1e-7


def soften(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities softened at ``temperature``: ``softmax(log(probs) / T)``.

    Args:
        probs: float (N, K) probabilities (rows sum to 1).
        temperature: T > 0; 1 returns ``probs`` (up to clipping), larger spreads them.

    Returns:
        float32 (N, K), rows summing to 1.

    Raises:
        ValueError: ``temperature`` <= 0.
    """
    if temperature <= 0:
        raise ValueError(f"distillation temperature must be > 0, got {temperature}")
    z = np.log(np.clip(np.asarray(probs, np.float64), _EPS, 1.0)) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


class TeacherTargets:
    """The soft targets of a teacher bundle for batches of student inputs.

    Args:
        bundle: a digits bundle folder or shipped name (see :func:`edge.bundle.load_bundle`)
            whose input is (28, 28, 1) in [0, 1] like the student's.
        temperature: see :func:`soften`.

    Raises:
        edge.bundle.BundleError: the bundle cannot be loaded.
        ValueError: ``temperature`` <= 0.
    """

    def __init__(self, bundle: str | Path, temperature: float) -> None:
        from edge.runtime import Classifier

        if temperature <= 0:
            raise ValueError(f"distillation temperature must be > 0, got {temperature}")
        self.classifier = Classifier(bundle, num_threads=1)
        self.temperature = float(temperature)
        self.num_classes = self.classifier.bundle.num_classes

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """float32 (B, 28, 28, 1) inputs in [0, 1] → float32 (B, K) softened teacher probabilities."""
        return soften(self.classifier.predict(np.asarray(x, np.float32)), self.temperature)

    def map_fn(self) -> Any:
        """A ``tf.data`` map ``(x, one_hot) -> (x, concat(one_hot, soft))``.

        The teacher runs in a stateful ``tf.numpy_function``: tf.data parallelises maps of
        stateless functions, and an interpreter refuses a second call while one runs.
        """
        import tensorflow as tf

        k = self.num_classes

        def add(x: Any, y: Any) -> tuple[Any, Any]:
            soft = tf.numpy_function(self, [x], tf.float32, stateful=True)
            soft.set_shape([None, k])
            return x, tf.concat([y, soft], axis=1)

        return add


def distillation_loss(alpha: float, temperature: float, label_smoothing: float = 0.0) -> Any:
    """The Keras loss of the module docstring for targets (B, 2K) and probabilities (B, K).

    Raises:
        ValueError: ``alpha`` outside [0, 1] or ``temperature`` <= 0.
    """
    import keras
    from keras import ops

    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation alpha must be in [0, 1], got {alpha}")
    if temperature <= 0:
        raise ValueError(f"distillation temperature must be > 0, got {temperature}")

    def distillation(y_true: Any, y_pred: Any) -> Any:
        k = ops.shape(y_pred)[-1]
        hard, soft = y_true[:, :k], y_true[:, k:]
        ce = keras.losses.categorical_crossentropy(hard, y_pred, label_smoothing=label_smoothing)
        log_q = ops.log_softmax(ops.log(ops.clip(y_pred, _EPS, 1.0)) / temperature, axis=-1)
        kl = ops.sum(soft * (ops.log(ops.clip(soft, _EPS, 1.0)) - log_q), axis=-1)
        return (1.0 - alpha) * ce + alpha * temperature**2 * kl

    return distillation


def label_accuracy() -> Any:
    """Keras metric ``accuracy`` against the one-hot half of the distillation targets."""
    import keras
    from keras import ops

    def accuracy(y_true: Any, y_pred: Any) -> Any:
        k = ops.shape(y_pred)[-1]
        return keras.metrics.categorical_accuracy(y_true[:, :k], y_pred)

    return keras.metrics.MeanMetricWrapper(accuracy, name="accuracy")
