"""Train the landmark gesture classifier on every source and ship it as a TFLite bundle.

The bundle's input is one feature vector per hand, float32 (N, 94) from
:func:`edge.landmark_features.features_batch` (preprocessing ``hand-landmarks``,
``model.json`` ``features.version``); its output the probabilities of rock, paper,
scissors and none. The numbers recorded in ``model.json`` are measured on the exact file
through :class:`edge.runtime.Classifier` (what the device runs): the stress set per
condition (made from the training photos, so it flatters), the no-hand share, and the
latency of one call. The leave-one-source-out numbers of the same recipe
(:mod:`train.landmark_loso`) are copied in as ``metrics.loso_recipe``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from convert.quantize import convert_keras
from edge.bundle import FEATURES_ORDER, InputSpec, load_bundle, write_bundle
from edge.landmark_features import FEATURES_VERSION, NUM_FEATURES
from edge.runtime import Classifier
from train.landmark_train import LABELS, features_of, gate, labels_of, predict_photos, score, subset

log = logging.getLogger(__name__)

#: Calibration feature vectors for int8 (drawn from the training hands, seeded).
REP_SAMPLES = 500


def export_bundle(
    model: Any, out: Path, quant: str, train_x: np.ndarray, info: dict[str, Any], name: str | None = None
) -> Path:
    """Convert ``model`` (float32 (N, 94) -> softmax 4) and write a ``hand-landmarks`` bundle.

    Args:
        model: the Keras classifier.
        out: bundle folder.
        quant: ``"int8"`` (int8 weights and activations, float32 input and output) or ``"float32"``.
        train_x: float32 (N, 94) training features (int8 calibration and the value range).
        info: extra ``model.json`` entries (training provenance).
        name: bundle name (default ``hands-landmarks-<quant>``).

    Returns:
        The bundle folder.
    """
    rng = np.random.default_rng(0)
    rep = train_x[rng.permutation(len(train_x))[:REP_SAMPLES]] if quant == "int8" else None
    tflite = convert_keras(model, quant, rep, io_dtype="float32")
    spec = InputSpec(
        shape=(1, NUM_FEATURES),
        dtype="float32",
        colour_order=FEATURES_ORDER,
        value_range=(float(train_x.min()), float(train_x.max())),
    )
    meta = {
        "name": name or f"hands-landmarks-{quant}",
        "task": "hands",
        "input": spec.to_json(),
        "output": {"num_classes": len(LABELS), "dtype": "float32", "activation": "softmax"},
        "preprocessing": "hand-landmarks",
        "features": {"version": FEATURES_VERSION, "size": NUM_FEATURES, "module": "edge.landmark_features"},
        "quantization": {
            "mode": quant,
            "io_dtype": "float32",
            "representative_samples": 0 if rep is None else len(rep),
        },
        "converter": {"python": platform.python_version()},
        "created_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),  # noqa: UP017
        **info,
    }
    write_bundle(out, tflite, list(LABELS), meta)
    load_bundle(out)  # validates the hand-landmarks contract and the sha256
    return out


def latency_ms(bundle: Path, repeats: int = 500, num_threads: int = 1) -> dict[str, float]:
    """Median and p90 ms of one :meth:`Classifier.predict` call on (1, 94) and on (4, 94)."""
    clf = Classifier(bundle, num_threads=num_threads)
    x = np.random.default_rng(0).normal(0, 1, (4, NUM_FEATURES)).astype(np.float32)
    out = {}
    for n in (1, 4):
        clf.predict(x[:n])
        t = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            clf.predict(x[:n])
            t.append(1000 * (time.perf_counter() - t0))
        out[f"batch{n}_median_ms"] = round(float(np.median(t)), 4)
        out[f"batch{n}_p90_ms"] = round(float(np.percentile(t, 90)), 4)
    out["num_threads"] = num_threads
    return out


def measure_bundle(
    bundle: Path, sources: dict[str, dict], stress: dict[str, dict], min_presence: float = 0.5
) -> dict[str, Any]:
    """Scores of the exact file: every source's photos (seen in training) and each stress condition,
    with hands below ``min_presence`` taken as none (``stress``, the live rule) and with the
    classifier deciding on every candidate (``stress_any_presence``)."""
    clf = Classifier(bundle)
    fn = clf.predict
    res: dict[str, Any] = {
        "min_presence": min_presence,
        "training_photos": {},
        "stress": {},
        "stress_any_presence": {},
    }
    for name, d in sources.items():
        p = gate(predict_photos(d, fn, "mlp"), d["presence"], min_presence)
        res["training_photos"][name] = score(labels_of(d), p, d["found"], d["presence"])
    for cond, d in stress.items():
        p = predict_photos(d, fn, "mlp")
        res["stress_any_presence"][cond] = score(labels_of(d), p, d["found"], d["presence"])
        res["stress"][cond] = score(
            labels_of(d), gate(p, d["presence"], min_presence), d["found"], d["presence"]
        )
    for key in ("stress", "stress_any_presence"):
        st = [v["accuracy"] for v in res[key].values()]
        res[f"{key}_mean_accuracy"] = float(np.mean(st)) if st else None
    res["latency"] = latency_ms(bundle)
    return res


def agreement(bundle_a: Path, bundle_b: Path, data: dict[str, np.ndarray]) -> float:
    """Top-1 agreement of two bundles on the found hands of ``data``."""
    x = features_of(subset(data, data["found"]))
    a, b = Classifier(bundle_a).predict(x), Classifier(bundle_b).predict(x)
    return float(np.mean(a.argmax(1) == b.argmax(1)))


def write_card(bundle: Path, loso: dict[str, Any] | None, command: str) -> None:
    """``README.md`` model card of the bundle from its ``model.json``."""
    meta = json.loads((bundle / "model.json").read_text())
    m = meta.get("metrics", {})
    ex = m.get("exact_file", {})
    lines = [
        f"# {meta['name']}: rock/paper/scissors/none from hand landmarks",
        "",
        "A small MLP on 94 pose-normalised features of MediaPipe's 21 hand landmarks "
        f"(`edge.landmark_features`, version {FEATURES_VERSION}): wrist at the origin, scaled by the "
        "palm, rotated upright, mirrored to one chirality; joint flexion angles, fingertip distance "
        "ratios, finger spreads and the landmark model's hand presence.",
        "",
        f"- input: float32 (N, {NUM_FEATURES}) feature vectors (`preprocessing: hand-landmarks`); "
        "output: softmax over `labels.txt` (rock, paper, scissors, none)",
        f"- quantisation: {meta['quantization']['mode']} (float32 input and output); "
        f"size {meta['size_bytes']} bytes; sha256 `{meta['tflite_sha256'][:16]}...`",
        f"- training data: `shared/data/rps` (5 sources, third-party, not shipped), landmarks by "
        f"{meta.get('detector', {}).get('name', 'the edge hand detector')}",
        f"- command: `{command}`",
        "",
    ]
    if loso:
        lines += [
            "## Leave-one-source-out (same recipe, one model per held-out source)",
            "",
            "| held-out source | " + " | ".join(loso) + " |",
            "|---|" + "---|" * len(loso),
        ]
        srcs = list(next(iter(loso.values()))["per_source_accuracy"])
        for s in srcs:
            cells = [f"{loso[k]['per_source_accuracy'][s]:.3f}" for k in loso]
            lines.append(f"| {s} | " + " | ".join(cells) + " |")
        lines.append(
            "| **worst** | "
            + " | ".join(f"{loso[k]['worst_accuracy']:.3f} ({loso[k]['worst_source']})" for k in loso)
            + " |"
        )
        conds = list(next(iter(loso.values()))["stress_pooled"])
        if conds:
            lines += [
                "",
                "Stress photos of the held-out source (accuracy / share with no hand found, "
                "i.e. no candidate or presence below 0.5):",
                "",
                "| condition | " + " | ".join(loso) + " |",
                "|---|" + "---|" * len(loso),
            ]
            for c in conds:
                cells = [
                    f"{loso[k]['stress_pooled'][c]['accuracy']:.3f} / "
                    f"{loso[k]['stress_pooled'][c]['low_presence']:.3f}"
                    for k in loso
                ]
                lines.append(f"| {c} | " + " | ".join(cells) + " |")
        lines.append("")
    if ex:
        lines += [
            "## This exact file",
            "",
            f"Stress set (made from the training photos, so it flatters), hands below presence "
            f"{ex.get('min_presence')} taken as none (the live rule); no hand = no candidate or "
            "presence below 0.5; the last column lets the classifier decide on every candidate:",
            "",
            "| condition | accuracy | no hand | gesture -> none | accuracy, any presence |",
            "|---|---|---|---|---|",
        ]
        anyp = ex.get("stress_any_presence", {})
        for c, v in ex.get("stress", {}).items():
            any_acc = anyp.get(c, {}).get("accuracy", float("nan"))
            lines.append(
                f"| {c} | {v['accuracy']:.3f} | {v['low_presence']:.3f} | "
                f"{v['gesture_called_none']:.3f} | {any_acc:.3f} |"
            )
        lat = ex.get("latency", {})
        lines += [
            "",
            "Latency (edge.runtime.Classifier, 1 thread, this machine): "
            f"{lat.get('batch1_median_ms')} ms "
            f"median per hand, {lat.get('batch4_median_ms')} ms for 4 hands.",
            "",
        ]
    lines += [
        "## Limits",
        "",
        "Leave-one-source-out accuracy and the stress set still flatter real cameras: the hand "
        "finder (palm detector and the landmark model's presence) decides most failures on "
        "real photos (see `shared/FINDINGS.md`). `none` covers no hand and hands making no "
        "gesture; unusual poses are its weakest class.",
        "",
    ]
    (bundle / "README.md").write_text("\n".join(lines))
