"""The LeNet of an ``edge-train lenet`` run and the ``tf.distribute`` strategy it trains under.

:func:`build_model` builds :func:`models.lenet.build_lenet` as a :class:`train.lenet_config.LenetConfig`
asks (variant, width, dropout, batch norm on or off: :func:`without_batch_norm`);
:func:`make_strategy` names one of :data:`train.lenet_config.STRATEGIES`.
"""

from __future__ import annotations

from typing import Any

from train.lenet_config import STRATEGIES, LenetConfig


def make_strategy(name: str) -> Any:
    """The ``tf.distribute`` strategy named ``name`` (see :data:`STRATEGIES`).

    Raises:
        ValueError: unknown name.
    """
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")


def without_batch_norm(model: Any) -> Any:
    """A copy of a functional Keras model with every ``BatchNormalization`` removed.

    Each batch-norm layer becomes an ``Identity`` (same name) and convolutions built
    without a bias (``use_bias=False``, the usual choice before batch norm) get one.
    Weights are not copied: call it on a freshly built model. Models without batch
    norm are returned as they are.
    """
    import keras

    if not any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers):
        return model

    def clone(layer: Any) -> Any:
        if isinstance(layer, keras.layers.BatchNormalization):
            return keras.layers.Identity(name=layer.name)
        conf = layer.get_config()
        if isinstance(layer, keras.layers.Conv2D) and not conf.get("use_bias", True):
            conf["use_bias"] = True
        return layer.__class__.from_config(conf)

    def call(layer: Any, *args: Any, **kwargs: Any) -> Any:
        # batch norm was called with training/mask arguments Identity does not take
        return layer(args[0]) if isinstance(layer, keras.layers.Identity) else layer(*args, **kwargs)

    return keras.models.clone_model(model, clone_function=clone, call_function=call)


def build_model(cfg: LenetConfig) -> Any:
    """The uncompiled LeNet of ``cfg`` (variant, width, dropout, batch norm on/off).

    Returns:
        A ``keras.Model`` mapping float32 (N, 28, 28, 1) in [0, 1] to float32 (N, 10)
        probabilities.
    """
    from models.lenet import build_lenet

    model = build_lenet(cfg.variant, dropout=cfg.dropout, width=cfg.width)
    return model if cfg.batch_norm else without_batch_norm(model)
