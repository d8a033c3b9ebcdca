"""A LeNet-style CNN on the landmark-aligned upright hand crops, leave-one-source-out (experiment).

The crops are the landmark model's own 224x224 input (rotated so the fingers point up), cached
at 64x64 by :mod:`train.landmark_data`. ``python -m train.landmark_crops [--cache DIR]`` writes
``OUT/loso.json`` in the format of :mod:`train.landmark_loso` (kind ``lenet-crops``, also with the
presence gate). Hyper-parameters are fixed (no search); early stopping on the inner split.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from train.landmark_loso import load_all
from train.landmark_train import LABELS, concat, gate, inner_split, labels_of, score, subset

log = logging.getLogger(__name__)


def build_lenet(side: int = 64) -> Any:
    """Conv(16)-pool-Conv(32)-pool-Conv(64)-pool-Dense(64)-softmax(4) on float32 (N, side, side, 3) in [0, 1],
    with flips, small rotations and brightness/contrast jitter as training-only layers."""
    import keras

    inp = keras.Input((side, side, 3))
    x = keras.layers.RandomFlip("horizontal")(inp)
    x = keras.layers.RandomRotation(0.05)(x)
    x = keras.layers.RandomBrightness(0.3, value_range=(0.0, 1.0))(x)
    x = keras.layers.RandomContrast(0.3)(x)
    for f in (16, 32, 64):
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.4)(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    out = keras.layers.Dense(len(LABELS), activation="softmax")(x)
    m = keras.Model(inp, out, name="lenet_crops")
    m.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return m


def _x(d: dict[str, np.ndarray]) -> np.ndarray:
    return d["crop"].astype(np.float32) / 255.0


def _probs(model: Any, d: dict[str, np.ndarray]) -> np.ndarray:
    out = np.zeros((len(d["label"]), len(LABELS)), np.float32)
    out[:, LABELS.index("none")] = 1.0
    m = d["found"]
    if m.any():
        out[m] = model.predict(_x(subset(d, m)), batch_size=256, verbose=0)
    return out


def run(cache: Path, epochs: int = 12, seed: int = 0) -> dict[str, Any]:
    """Leave-one-source-out of the crop CNN; returns ``{"per_source", "summary"}`` like
    :func:`train.landmark_loso.run_loso` (kinds ``lenet-crops`` and ``lenet-crops+gate50``)."""
    import keras

    data, stress = load_all(cache)
    per: dict[str, Any] = {}
    pooled: dict[str, dict[str, list]] = {}
    for held in sorted(data):
        keras.utils.set_random_seed(seed)
        train = concat([d for s, d in data.items() if s != held])
        val = inner_split(train)
        tr, va = subset(train, ~val & train["found"]), subset(train, val & train["found"])
        model = build_lenet()
        stop = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)
        model.fit(
            _x(tr),
            labels_of(tr),
            validation_data=(_x(va), labels_of(va)),
            epochs=epochs,
            batch_size=64,
            callbacks=[stop],
            verbose=0,
        )
        sets = {"photos": data[held], **{c: subset(d, d["source"] == held) for c, d in stress.items()}}
        res: dict[str, Any] = {}
        for kind, g in (("lenet-crops", 0.0), ("lenet-crops+gate50", 0.5)):
            sc = {}
            for k, d in sets.items():
                p = gate(_probs(model, d), d["presence"], g)
                sc[k] = score(labels_of(d), p, d["found"], d["presence"])
                part = (labels_of(d), p, d["found"], d["presence"])
                pooled.setdefault(kind, {}).setdefault(k, []).append(part)
            res[kind] = {"photos": sc.pop("photos"), "stress": sc}
        per[held] = res
        log.info(
            "%s: %.4f (gate %.4f)",
            held,
            res["lenet-crops"]["photos"]["accuracy"],
            res["lenet-crops+gate50"]["photos"]["accuracy"],
        )
    summary = {}
    for kind, parts in pooled.items():
        acc = {s: per[s][kind]["photos"]["accuracy"] for s in per}
        worst = min(acc, key=lambda s: acc[s])
        cat = {k: tuple(np.concatenate([p[i] for p in v]) for i in range(4)) for k, v in parts.items()}
        st = {k: score(*v) for k, v in cat.items() if k != "photos"}
        summary[kind] = {
            "per_source_accuracy": acc,
            "worst_source": worst,
            "worst_accuracy": acc[worst],
            "mean_source_accuracy": float(np.mean(list(acc.values()))),
            "photos_pooled": score(*cat["photos"]),
            "stress_pooled": st,
            "stress_mean_accuracy": float(np.mean([v["accuracy"] for v in st.values()])),
        }
    return {"per_source": per, "summary": summary}


def main(argv: list[str] | None = None) -> int:
    """``python -m train.landmark_crops [--cache DIR] [--out DIR] [--epochs N]``."""
    p = argparse.ArgumentParser(prog="python -m train.landmark_crops", description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, default=Path("runs/landmark-cache"))
    p.add_argument("--out", type=Path, default=Path("runs/hands-crops-lenet"))
    p.add_argument("--epochs", type=int, default=12)
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    r = run(a.cache, a.epochs)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "loso.json").write_text(json.dumps(r, indent=1) + "\n")
    for kind, s in r["summary"].items():
        print(
            kind,
            json.dumps(s["per_source_accuracy"]),
            "worst",
            s["worst_source"],
            "stress",
            round(s["stress_mean_accuracy"], 4),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
