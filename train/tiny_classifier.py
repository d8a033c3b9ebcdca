"""A tiny RGB image classifier of your own, to try the "bring your own model" path end to end.

``python -m train.tiny_classifier OUT`` draws a small labelled photo set (stripes across,
stripes down, and rings, in random colours; no download), trains a three-class CNN on it
for a few seconds and saves it in the three formats ``edge-convert`` reads:

- ``OUT/my_model.keras`` (Keras 3), ``OUT/my_model.h5`` (legacy HDF5),
  ``OUT/my_model_savedmodel/`` (``model.export()``);
- ``OUT/labels.txt``; ``OUT/images/train/<label>/*.png`` and ``OUT/images/test/<label>/*.png``
  (calibration and held-out verification photos, 96x72 px: not the model's 64x64, so the
  device's preprocessing is what makes them model inputs).

The model takes 64x64 RGB raw pixels [0, 255] and rescales them itself (a ``Rescaling``
layer), as a Keras model trained with ``keras.utils.image_dataset_from_directory`` does.
The README's "Bring your own model" walkthrough starts here; any classifier of yours takes
its place.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

LABELS = ("across", "down", "rings")
#: The model's input (H, W, C) and the photos' (H, W).
INPUT_HWC = (64, 64, 3)
PHOTO_HW = (72, 96)


def draw(label: int, rng: np.random.Generator, hw: tuple[int, int] = PHOTO_HW) -> np.ndarray:
    """One photo of class ``label``: uint8 (H, W, 3) BGR.

    Stripes across (0), stripes down (1) or concentric rings (2), period 8..16 px, in two
    random colours, with pixel noise.
    """
    h, w = hw
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = rng.uniform(8, 16)
    phase = rng.uniform(0, period)
    if label == 0:
        t = yy
    elif label == 1:
        t = xx
    else:
        t = np.hypot(yy - h / 2 + rng.uniform(-5, 5), xx - w / 2 + rng.uniform(-5, 5))
    on = (((t + phase) / period) % 1.0) < 0.5
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    while np.abs(a.astype(int) - b.astype(int)).sum() < 150:
        b = rng.integers(0, 256, 3)
    img = np.where(on[..., None], a, b).astype(np.float32)
    img += rng.normal(0, 12, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_photos(folder: Path, per_class: int, seed: int) -> None:
    """``folder/<label>/<i>.png`` photos (:func:`draw`), ``per_class`` per label."""
    import cv2

    rng = np.random.default_rng(seed)
    for k, name in enumerate(LABELS):
        d = folder / name
        d.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            cv2.imwrite(str(d / f"{i:03d}.png"), draw(k, rng))


def training_arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """float32 (N, 64, 64, 3) RGB raw pixels [0, 255] and int64 (N,) labels, photos resized."""
    import cv2

    rng = np.random.default_rng(seed)
    y = np.arange(n) % len(LABELS)
    x = np.stack(
        [
            cv2.cvtColor(
                cv2.resize(draw(int(k), rng), INPUT_HWC[1::-1], interpolation=cv2.INTER_AREA),
                cv2.COLOR_BGR2RGB,
            )
            for k in y
        ]
    ).astype(np.float32)
    return x, y.astype(np.int64)


def build_model(seed: int = 0) -> Any:
    """The tiny CNN: Rescaling(1/255) -> 2 strided convolutions -> pooling -> softmax (3)."""
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input(INPUT_HWC)
    x = keras.layers.Rescaling(1 / 255.0)(inp)
    x = keras.layers.Conv2D(8, 5, strides=2, activation="relu")(x)
    x = keras.layers.Conv2D(16, 3, strides=2, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(len(LABELS), activation="softmax")(x)
    model = keras.Model(inp, out, name="my_model")
    model.compile(
        optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def make_tiny_classifier(
    out: str | Path, *, epochs: int = 8, n_train: int = 240, seed: int = 0
) -> dict[str, Path]:
    """Train the tiny model and write it (three formats), its labels and photo folders.

    Args:
        out: the output folder (created).
        epochs: training epochs (a few seconds each on a CPU).
        n_train: training images.
        seed: seed of the drawings and the weights.

    Returns:
        Paths by name: ``keras``, ``h5``, ``saved_model``, ``labels``, ``train``, ``test``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    x, y = training_arrays(n_train, seed)
    model = build_model(seed)
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    paths = {
        "keras": out / "my_model.keras",
        "h5": out / "my_model.h5",
        "saved_model": out / "my_model_savedmodel",
        "labels": out / "labels.txt",
        "train": out / "images" / "train",
        "test": out / "images" / "test",
    }
    model.save(paths["keras"])
    model.save(paths["h5"])
    model.export(str(paths["saved_model"]), verbose=False)
    paths["labels"].write_text("".join(f"{lab}\n" for lab in LABELS), encoding="utf-8")
    write_photos(paths["train"], 20, seed + 1)
    write_photos(paths["test"], 20, seed + 2)
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m train.tiny_classifier OUT``: write the tiny model, labels and photos."""
    p = argparse.ArgumentParser(
        prog="python -m train.tiny_classifier",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("out", type=Path, help="output folder")
    p.add_argument("--epochs", type=int, default=8, help="training epochs")
    p.add_argument("--seed", type=int, default=0, help="seed of the drawings and weights")
    a = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    paths = make_tiny_classifier(a.out, epochs=a.epochs, seed=a.seed)
    for name, path in paths.items():
        print(f"{name:<12}{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
