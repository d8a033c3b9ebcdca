"""The LeNet family for 28×28 grey digits (and other small grey or colour inputs).

- ``lenet5``: LeCun et al., "Gradient-based learning applied to document recognition",
  Proc. IEEE 1998: conv 6@5×5 → pool → conv 16@5×5 → pool → 120 → 84 → classes. ReLU
  and max-pooling replace the original scaled tanh and trainable sub-sampling, as in
  most modern re-implementations; the 28×28 input is padded ("same") in the first
  convolution as the 32×32 original was.
- ``modern``: the same two-stage conv/pool idea made wider and deeper with batch
  normalisation (Ioffe & Szegedy 2015) after every convolution, dropout (Srivastava
  et al. 2014) and global average pooling (Lin et al., "Network in Network", 2014)
  instead of large dense layers, which keeps it small enough to quantise to about
  150 KiB of int8 weights.
- ``strided``: ``modern`` without its 28×28 stage: a 3×3 convolution of stride 2 takes
  the 28×28 input to 14×14×w at once, then 2w twice at 14×14, pool, 4w valid at 7×7,
  global average pooling and the classifier. At width 16 about 3.2 M multiply-adds
  against ``modern``'s 5.1 M, and about half its int8 time per call on x86-64 with
  XNNPACK: the full-resolution layers (one input channel, a 28×28×w max-pool) cost
  far more time than their multiply-adds suggest.
- ``wide-strided``: ``strided`` with more capacity where it reads the 28×28 input: a
  5×5 convolution of stride 2 to 2w filters (28×28×1 → 14×14×2w), then 2w twice at
  14×14, pool (7×7×2w), 4w valid at 7×7 (5×5×4w), global average pooling and the
  classifier. At width 16: 4.23 M multiply-adds (first convolution 0.16 M, the two
  14×14 ones 1.81 M each, the 7×7 one 0.46 M, the classifier 640) and 39k parameters,
  against ``strided``'s 3.20 M and ``modern``'s 5.09 M.
- ``hands``: the ``modern`` recipe stretched to 64×64 colour hand crops: four
  conv/BN/ReLU + max-pool stages (64 → 32 → 16 → 8 → 4 px, ``width`` doubling per
  stage, the last two stages with two convolutions), then global average pooling,
  dropout and softmax. About 0.4 M parameters (≈ 0.5 MiB int8) and 60 M
  multiply-adds at 64 px, small enough for a few ms per frame on a Pi-class CPU.

All take float32 (N, H, W, C) inputs in [0, 1] and end in a softmax over classes.
"""

from __future__ import annotations

from typing import Any

LENET_VARIANTS = ("lenet5", "modern", "strided", "wide-strided", "hands")


def build_lenet(
    variant: str = "modern",
    input_shape: tuple[int, int, int] = (28, 28, 1),
    num_classes: int = 10,
    dropout: float = 0.3,
    width: int = 32,
    bn_momentum: float = 0.9,
) -> Any:
    """Build an uncompiled Keras LeNet.

    Args:
        variant: ``"lenet5"`` (classic), ``"modern"`` (batch norm, dropout, wider),
            ``"strided"`` (``modern`` with a stride-2 first convolution instead of its
            28×28 stage), ``"wide-strided"`` (``strided`` whose first convolution is
            5×5 with 2w filters) or ``"hands"`` (see the module docstring).
        input_shape: (H, W, C) of the float32 input in [0, 1].
        num_classes: softmax outputs.
        dropout: dropout rate before the classifier (``modern``; ``lenet5`` uses half).
        width: filters of the first ``modern`` stage (doubled per stage).
        bn_momentum: batch-norm moving-average momentum (Keras' default 0.99 is slow
            to settle in short runs; see FINDINGS).

    Returns:
        A ``keras.Model`` mapping float32 (N, H, W, C) to float32 (N, num_classes)
        probabilities.

    Raises:
        ValueError: unknown ``variant`` or an input smaller than 16 px.
    """
    import keras
    from keras import layers

    if variant not in LENET_VARIANTS:
        raise ValueError(f"unknown LeNet variant {variant!r}; choose one of {LENET_VARIANTS}")
    if min(input_shape[:2]) < 16:
        raise ValueError(f"input {input_shape} is too small for LeNet (need >= 16×16 px)")

    inputs = keras.Input(shape=input_shape, name="image")
    if variant == "hands":
        return _hands(inputs, num_classes, dropout, width, bn_momentum)
    if variant == "lenet5":
        x = layers.Conv2D(6, 5, padding="same", activation="relu")(inputs)  # (28, 28, 6)
        x = layers.MaxPooling2D()(x)  # (14, 14, 6)
        x = layers.Conv2D(16, 5, activation="relu")(x)  # (10, 10, 16)
        x = layers.MaxPooling2D()(x)  # (5, 5, 16)
        x = layers.Flatten()(x)  # (400,)
        x = layers.Dense(120, activation="relu")(x)
        x = layers.Dropout(dropout / 2)(x)
        x = layers.Dense(84, activation="relu")(x)
        outputs = layers.Dense(num_classes, activation="softmax", name="probs")(x)
        return keras.Model(inputs, outputs, name="lenet5")

    def conv_bn(x: Any, filters: int, padding: str = "same") -> Any:
        x = layers.Conv2D(filters, 3, padding=padding, use_bias=False)(x)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
        return layers.ReLU()(x)

    w = width
    if variant == "strided":
        x = layers.Conv2D(w, 3, strides=2, padding="same", use_bias=False)(inputs)  # (14, 14, w)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
        x = layers.ReLU()(x)
    elif variant == "wide-strided":
        x = layers.Conv2D(2 * w, 5, strides=2, padding="same", use_bias=False)(inputs)  # (14, 14, 2w)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
        x = layers.ReLU()(x)
    else:
        x = conv_bn(inputs, w)  # (28, 28, w)
        x = conv_bn(x, w)
        x = layers.MaxPooling2D()(x)  # (14, 14, w)
    x = layers.Dropout(dropout / 3)(x)
    x = conv_bn(x, 2 * w)
    x = conv_bn(x, 2 * w)
    x = layers.MaxPooling2D()(x)  # (7, 7, 2w)
    x = layers.Dropout(dropout / 3)(x)
    x = conv_bn(x, 4 * w, padding="valid")  # (5, 5, 4w)
    x = layers.GlobalAveragePooling2D()(x)  # (4w,)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name=f"lenet_{variant}")


def _hands(inputs: Any, num_classes: int, dropout: float, width: int, bn_momentum: float) -> Any:
    """The ``hands`` variant (see the module docstring); shapes for a 64×64 input."""
    import keras
    from keras import layers

    def conv_bn(x: Any, filters: int) -> Any:
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
        return layers.ReLU()(x)

    w = width
    x = conv_bn(inputs, w)  # (64, 64, w)
    x = layers.MaxPooling2D()(x)  # (32, 32, w)
    x = conv_bn(x, 2 * w)
    x = layers.MaxPooling2D()(x)  # (16, 16, 2w)
    x = conv_bn(x, 4 * w)
    x = conv_bn(x, 4 * w)
    x = layers.MaxPooling2D()(x)  # (8, 8, 4w)
    x = layers.Dropout(dropout / 3)(x)
    x = conv_bn(x, 8 * w)
    x = conv_bn(x, 8 * w)  # (8, 8, 8w)
    x = layers.GlobalAveragePooling2D()(x)  # (8w,)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="lenet_hands")
