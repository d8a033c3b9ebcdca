"""Augmentation for handwriting seen by a camera, as Keras preprocessing layers.

After MNIST-style normalisation a camera crop differs from an MNIST digit mainly by
slight rotation and slant, off-centre framing, scale, stroke thickness (pencil vs.
marker), blur (focus, motion) and fainter ink. The pipeline here adds exactly those,
in a ``tf.data`` map (so the exported model holds no augmentation ops):

- geometry: ``keras.layers.RandomRotation``, ``RandomTranslation``, ``RandomZoom``;
- stroke thickness: grey-level dilation or erosion by a 2×2 / 3×3 window
  (``max_pool`` of the image or of its negative) on a random part of each batch;
- blur: a 3×3 Gaussian on a random part of each batch;
- ink contrast: intensity scaled by a random factor in [min_contrast, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AugmentConfig:
    """Strength of each augmentation; 0 switches one off.

    Attributes:
        rotation_deg: maximum rotation either way, degrees.
        shift: maximum translation as a fraction of height/width.
        zoom: maximum zoom in or out, as a fraction.
        thickness_p: probability of a stroke-thickness change (half thicker, half thinner).
        blur_p: probability of a 3×3 Gaussian blur.
        min_contrast: lowest factor the ink intensity is scaled by.
    """

    rotation_deg: float = 12.0
    shift: float = 0.08
    zoom: float = 0.12
    thickness_p: float = 0.3
    blur_p: float = 0.2
    min_contrast: float = 0.7


def make_augmenter(cfg: AugmentConfig, seed: int = 0) -> Any:
    """A function mapping a float32 (B, H, W, 1) batch in [0, 1] to an augmented one.

    For use inside ``tf.data.Dataset.map`` on batches; values stay in [0, 1].
    """
    import keras
    import tensorflow as tf

    geo = []
    if cfg.rotation_deg:
        geo.append(keras.layers.RandomRotation(cfg.rotation_deg / 360.0, fill_mode="constant", seed=seed))
    if cfg.shift:
        geo.append(keras.layers.RandomTranslation(cfg.shift, cfg.shift, fill_mode="constant", seed=seed + 1))
    if cfg.zoom:
        geo.append(keras.layers.RandomZoom((-cfg.zoom, cfg.zoom), fill_mode="constant", seed=seed + 2))
    g = tf.constant([0.25, 0.5, 0.25], tf.float32)
    gauss = tf.reshape(g[:, None] * g[None, :], (3, 3, 1, 1))

    def pick(p: float, shape: Any) -> Any:
        return tf.cast(tf.random.uniform(shape) < p, tf.float32)

    def augment(x: Any) -> Any:
        for layer in geo:
            x = layer(x, training=True)
        b = tf.shape(x)[0]
        per = (b, 1, 1, 1)
        if cfg.thickness_p:
            thick = tf.nn.max_pool2d(x, 3, 1, "SAME")
            thin = -tf.nn.max_pool2d(-x, 2, 1, "SAME")
            # Erosion must not wipe out thin strokes: keep it only where ink survives.
            thin = tf.where(tf.reduce_max(thin, axis=(1, 2, 3), keepdims=True) > 0.5, thin, x)
            u = tf.random.uniform(per)
            change = pick(cfg.thickness_p, per)
            x = x + change * (tf.where(u < 0.5, thick, thin) - x)
        if cfg.blur_p:
            blurred = tf.nn.depthwise_conv2d(x, gauss, (1, 1, 1, 1), "SAME")
            x = x + pick(cfg.blur_p, per) * (blurred - x)
        if cfg.min_contrast < 1.0:
            x = x * tf.random.uniform(per, cfg.min_contrast, 1.0)
        return tf.clip_by_value(x, 0.0, 1.0)

    return augment
