"""VGG16 transfer model for hand gestures (rock / paper / scissors / none).

The convolutional base is VGG16 (Simonyan & Zisserman, "Very deep convolutional
networks for large-scale image recognition", ICLR 2015) as Keras ships it
(``keras.applications.VGG16(include_top=False)``, https://keras.io/api/applications/vgg/),
optionally with its ImageNet weights. On top sits a small head: global average
pooling (Lin et al., "Network in Network", 2014), dropout, one ReLU dense layer and a
softmax. Training follows the usual two-stage recipe of the Keras transfer-learning
guide (https://keras.io/guides/transfer_learning/): train the head on a frozen base,
then fine-tune the last convolutional block at a low learning rate.

The model takes float32 (N, S, S, 3) RGB pixels in [0, 255] and does VGG16's own
preprocessing inside (``keras.applications.vgg16.preprocess_input``, Caffe style: RGB
→ BGR, subtract the ImageNet mean per channel, no scaling) with two builtin layers
that convert to TFLite int8 builtins (``TFLITE_BUILTINS_INT8``), unlike a ``Lambda``:

- ``imagenet_mean``: ``Rescaling(scale=1, offset=-mean_RGB)`` (an ADD). Being the
  first layer, it also tells ``edge-convert`` that the model takes [0, 255] (see
  :meth:`convert.source.SourceModel.default_value_range`).
- ``rgb_to_bgr``: a frozen 1×1 ``Conv2D`` whose kernel is the channel permutation.

Layer names: the base is the nested model ``vgg16`` (layers ``block1_conv1`` ...
``block5_pool``); then ``gap``, and the head layers :data:`HEAD_LAYERS`.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: ImageNet channel means in RGB order, as subtracted by ``preprocess_input`` (caffe mode).
IMAGENET_MEAN_RGB = (123.68, 116.779, 103.939)
#: Smallest and largest input side accepted (VGG16's five 2×2 poolings need >= 32 px).
MIN_INPUT_SIZE, MAX_INPUT_SIZE = 32, 224
#: Width of the base's output after global average pooling.
FEATURE_DIM = 512
#: Names of the head's layers with weights, in order (shared by the full model and
#: :func:`build_head`, so weights copy by name).
HEAD_LAYERS = ("head_fc", "probs")
BASE_NAME = "vgg16"
BLOCKS = ("block1", "block2", "block3", "block4", "block5")
WEIGHTS_SUFFIXES = (".h5", ".weights.h5")


def check_input_size(input_size: int) -> int:
    """Return ``input_size`` if VGG16 here accepts it.

    Raises:
        ValueError: not an int in [32, 224] px.
    """
    if (
        isinstance(input_size, bool)
        or not isinstance(input_size, (int, np.integer))
        or not (MIN_INPUT_SIZE <= input_size <= MAX_INPUT_SIZE)
    ):
        raise ValueError(
            f"VGG16 input size {input_size!r} must be a whole number of pixels in "
            f"[{MIN_INPUT_SIZE}, {MAX_INPUT_SIZE}] (five 2x2 poolings need >= 32 px; "
            "64-224 is sensible for hands, 96 the default): pass e.g. --input-size 96"
        )
    return int(input_size)


def _check_weights(weights: str | Path | None) -> str | Path | None:
    if weights is None or weights == "imagenet":
        return weights
    p = Path(weights).expanduser()
    if not p.name.endswith(WEIGHTS_SUFFIXES):
        raise ValueError(
            f"VGG16 weights {str(weights)!r} must be 'imagenet', None (random "
            "initialisation) or a Keras weights file of the notop VGG16 base ending "
            "in .h5 or .weights.h5 (e.g. vgg16_weights_tf_dim_ordering_tf_kernels_"
            "notop.h5 from the Keras applications release)"
        )
    if not p.is_file():
        raise ValueError(
            f"VGG16 weights file {p} does not exist; download the notop VGG16 "
            "weights (vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5) on a machine "
            "with internet and pass its path, or use weights='imagenet' to let Keras "
            "download them"
        )
    return p


def _load_base_weights(base: Any, path: Path) -> None:
    """Load a notop VGG16 weights file into ``base``; any layer left unloaded is an error.

    Keras 3 only warns ("Skipping nested container ... will retain their
    freshly-initialized weights") for some mismatches; those are raised here too.
    """
    fix = (
        "The file must hold the 13 conv layers of VGG16 without the top (include_top=False): "
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 as Keras publishes it, or a file "
        "written by base_of(model).save_weights('....weights.h5')"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            base.load_weights(str(path))
        except (ValueError, OSError, KeyError) as e:
            raise ValueError(
                f"cannot load {path} into the notop VGG16 base: {type(e).__name__}: {str(e)[:300]}. {fix}"
            ) from e
    skipped = [str(c.message) for c in caught if "retain" in str(c.message)]
    if skipped:
        raise ValueError(
            f"cannot load {path} into the notop VGG16 base: {len(skipped)} layer "
            f"group(s) were not found in it ({skipped[0][:200]}). {fix}"
        )
    for c in caught:
        log.debug("loading %s: %s", path, c.message)


def _head(x: Any, num_classes: int, dropout: float, head_units: int) -> Any:
    """GAP features (N, 512) → dropout → [dense ReLU] → softmax (N, num_classes)."""
    from keras import layers

    x = layers.Dropout(dropout, name="head_dropout")(x)
    if head_units:
        x = layers.Dense(head_units, activation="relu", name="head_fc")(x)
    return layers.Dense(num_classes, activation="softmax", name="probs")(x)


def _check_head_args(num_classes: int, dropout: float, head_units: int) -> None:
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if head_units < 0:
        raise ValueError(f"head_units must be >= 0 (0: no hidden dense layer), got {head_units}")


def build_vgg16_transfer(
    input_size: int = 96,
    num_classes: int = 4,
    weights: str | Path | None = "imagenet",
    dropout: float = 0.3,
    head_units: int = 128,
) -> Any:
    """Build an uncompiled VGG16 transfer classifier (base trainable, as Keras builds it).

    Args:
        input_size: S, the side of the square input in px, in [32, 224].
        num_classes: softmax outputs (4 for rock, paper, scissors, none).
        weights: base weights: ``"imagenet"`` (Keras downloads the notop ImageNet
            weights on first use and caches them in ``~/.keras/models``), the path of
            a local weights file of the notop base (``.h5`` as Keras publishes it, or
            ``.weights.h5`` saved from :func:`base_of`), or ``None`` (random
            initialisation: for tests and timing only).
        dropout: dropout rate on the pooled features.
        head_units: units of the hidden ReLU dense layer; 0 leaves it out.

    Returns:
        A ``keras.Model`` mapping float32 (N, S, S, 3) RGB in [0, 255] to float32
        (N, num_classes) probabilities.

    Raises:
        ValueError: ``input_size`` outside [32, 224]; a weights path that is missing,
            not ``.h5``/``.weights.h5`` or does not fit the notop VGG16 base; bad head
            arguments.
    """
    import keras
    from keras import layers

    size = check_input_size(input_size)
    _check_head_args(num_classes, dropout, head_units)
    w = _check_weights(weights)

    base = keras.applications.VGG16(
        include_top=False,
        weights=w if w is None or w == "imagenet" else None,
        input_shape=(size, size, 3),
        name=BASE_NAME,
    )
    if isinstance(w, Path):
        _load_base_weights(base, w)

    inputs = keras.Input(shape=(size, size, 3), name="image")  # RGB [0, 255]
    x = layers.Rescaling(1.0, offset=[-m for m in IMAGENET_MEAN_RGB], name="imagenet_mean")(inputs)
    to_bgr = layers.Conv2D(3, 1, use_bias=False, trainable=False, name="rgb_to_bgr")
    x = to_bgr(x)  # (S, S, 3) BGR, mean-subtracted: what VGG16 was trained on
    perm = np.zeros((1, 1, 3, 3), np.float32)
    perm[0, 0, [2, 1, 0], [0, 1, 2]] = 1.0  # output channel j reads input channel 2 - j
    to_bgr.set_weights([perm])
    x = base(x)  # (S/32, S/32, 512)
    x = layers.GlobalAveragePooling2D(name="gap")(x)  # (512,)
    outputs = _head(x, num_classes, dropout, head_units)
    return keras.Model(inputs, outputs, name=f"vgg16_transfer_{size}")


def build_head(
    num_classes: int = 4,
    dropout: float = 0.3,
    head_units: int = 128,
    feature_dim: int = FEATURE_DIM,
) -> Any:
    """The head of :func:`build_vgg16_transfer` alone, on pooled base features.

    Used to train the head on cached features; its weights copy into the full model
    with :func:`copy_head_weights` (same layer names, :data:`HEAD_LAYERS`).

    Returns:
        A ``keras.Model`` mapping float32 (N, feature_dim) to (N, num_classes) probabilities.

    Raises:
        ValueError: bad head arguments.
    """
    import keras

    _check_head_args(num_classes, dropout, head_units)
    inputs = keras.Input(shape=(feature_dim,), name="features")
    return keras.Model(inputs, _head(inputs, num_classes, dropout, head_units), name="vgg16_head")


def copy_head_weights(src: Any, dst: Any) -> None:
    """Copy the head layers' weights (:data:`HEAD_LAYERS`) from ``src`` to ``dst`` by name.

    Raises:
        ValueError: the two heads differ (one lacks a layer, or shapes differ).
    """
    for name in HEAD_LAYERS:
        have = [_layer(m, name) for m in (src, dst)]
        if have[0] is None and have[1] is None:
            continue  # head_units=0: no hidden layer in either
        if have[0] is None or have[1] is None:
            raise ValueError(
                f"head layer {name!r} is in only one of the two models; build both with the same head_units"
            )
        ws = have[0].get_weights()
        if [a.shape for a in ws] != [b.shape for b in have[1].get_weights()]:
            raise ValueError(
                f"head layer {name!r} shapes differ; build both with the same num_classes and head_units"
            )
        have[1].set_weights(ws)


def _layer(model: Any, name: str) -> Any:
    return next((layer for layer in model.layers if layer.name == name), None)


def base_of(model: Any) -> Any:
    """The nested VGG16 base (``keras.Model`` named ``vgg16``) of a transfer model.

    Raises:
        ValueError: ``model`` was not built by :func:`build_vgg16_transfer`.
    """
    base = _layer(model, BASE_NAME)
    if base is None:
        raise ValueError(
            f"model {model.name!r} has no nested {BASE_NAME!r} base; build it with "
            "models.vgg16.build_vgg16_transfer"
        )
    return base


def feature_extractor(model: Any) -> Any:
    """The transfer model cut after global average pooling (shares its layers).

    Returns:
        A ``keras.Model`` mapping float32 (N, S, S, 3) RGB in [0, 255] to float32
        (N, 512) pooled base features.
    """
    import keras

    base_of(model)
    return keras.Model(model.inputs, model.get_layer("gap").output, name="vgg16_features")


def freeze_base(model: Any) -> Any:
    """Freeze the whole base; the head stays trainable. Recompile afterwards.

    Returns:
        ``model`` (changed in place).
    """
    base_of(model).trainable = False
    for layer in model.layers:
        if layer.name in HEAD_LAYERS:
            layer.trainable = True
    return model


def unfreeze_last_block(model: Any, block: str = "block5") -> Any:
    """Make ``block`` of the base trainable and every other base layer frozen.

    Layers are matched by VGG16's names (``block5_conv1`` ...); VGG16 has no batch
    normalisation, so there are no statistics to keep frozen. The head stays
    trainable and the ``rgb_to_bgr`` permutation stays frozen. Recompile afterwards.

    Args:
        model: a model from :func:`build_vgg16_transfer`.
        block: ``"block1"`` ... ``"block5"``; the block to fine-tune.

    Returns:
        ``model`` (changed in place).

    Raises:
        ValueError: unknown ``block``.
    """
    if block not in BLOCKS:
        raise ValueError(
            f"unknown VGG16 block {block!r}; choose one of {BLOCKS} (block5 is the "
            "last, the usual one to fine-tune)"
        )
    base = base_of(model)
    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name.startswith(f"{block}_")
    for layer in model.layers:
        if layer.name in HEAD_LAYERS:
            layer.trainable = True
    return model
