"""``edge-train landmarks``: extract (cached), evaluate leave-one-source-out, train, ship.

Steps, each skipped when its output exists unless asked again:

1. the landmark cache (:mod:`train.landmark_data`), with ``--extract``;
2. leave-one-source-out of each classifier kind (:mod:`train.landmark_loso`) into
   ``OUT/loso.json``;
3. the ``mlp`` classifier trained on every source (settings chosen on the inner split),
   converted to int8 and float32 bundles in ``OUT/int8`` and ``OUT/float32``, both
   measured; the chosen one (``--quant``) copied to ``--bundle`` with its model card.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from edge.bundle import update_metrics
from train.landmark_loso import GRIDS, choose, load_all, load_augment, run_loso
from train.landmark_ship import agreement, export_bundle, measure_bundle, write_card
from train.landmark_train import TrainConfig, concat, features_of, subset

log = logging.getLogger(__name__)


@dataclass
class LandmarksConfig:
    """Settings of ``edge-train landmarks`` (saved to ``OUT/config.json``)."""

    cache: str = "runs/landmark-cache"
    data: str = "../shared/data/rps"
    out_dir: str = "runs/hands-landmarks"
    bundle: str | None = "models/hands-landmarks"
    extract: bool = False
    variant: str = "full"
    loso: bool = True
    kinds: list[str] = field(default_factory=lambda: ["mlp", "embedding"])
    quant: str = "int8"
    epochs: int = 80
    seed: int = 0
    presence_redraw: float = 0.3
    augment: bool = False
    negatives: bool = False
    min_presence: float = 0.5


def train_landmarks(cfg: LandmarksConfig, argv: list[str]) -> dict[str, Any]:
    """Run the job; returns the summary printed by the CLI.

    Raises:
        ValueError: no cache (and no ``--extract``), or a bad setting.
    """
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n")
    command = "edge-train " + " ".join(argv)
    cache = Path(cfg.cache)
    if cfg.extract:
        from train.landmark_data import build_cache, make_detector
        from train.landmark_extra_data import build_augment_cache, build_negative_cache

        detect, info = make_detector(cfg.variant)
        build_cache(Path(cfg.data), cache, detect, info, seed=cfg.seed)
        if cfg.augment:
            build_augment_cache(Path(cfg.data), cache, detect, info, seed=1000 + cfg.seed)
        if cfg.negatives:
            build_negative_cache(Path(cfg.data), cache, detect, info, seed=2000 + cfg.seed)
    base = TrainConfig(epochs=cfg.epochs, seed=cfg.seed, presence_redraw=cfg.presence_redraw)
    summary: dict[str, Any] = {}
    if cfg.loso:
        loso = run_loso(cache, tuple(cfg.kinds), base, augment=cfg.augment, negatives=cfg.negatives)
        (out / "loso.json").write_text(json.dumps(loso, indent=1) + "\n")
        summary["loso"] = loso["summary"]
    elif (out / "loso.json").is_file():
        summary["loso"] = json.loads((out / "loso.json").read_text())["summary"]

    sources, stress = load_all(cache)
    every = concat(list(sources.values()))
    prefixes = ("aug",) * cfg.augment + ("neg",) * cfg.negatives
    extra = load_augment(cache, sorted(sources), prefixes) if prefixes else []
    model, chosen, tried = choose(every, "mlp", base, extra=extra)
    found = subset(every, every["found"])
    x = features_of(found)
    meta = next(iter(sources.values()))["meta"]
    info = {
        "detector": meta.get("detector", {}),
        "decision": {
            "min_presence": cfg.min_presence,
            "rule": "a hand whose landmark presence is below min_presence is none; the "
            "classifier decides the others (none included)",
        },
        "training": {
            "command": command,
            "config": {k: v for k, v in asdict(chosen).items() if k != "extra"},
            "inner_validation": tried,
            "grid": GRIDS["mlp"],
            "hands": int(len(x)),
            "photos": int(len(every["label"])),
            "extra_training_photos": {
                "camera_augmented": cfg.augment,
                "negatives": cfg.negatives,
                "photos": int(sum(len(d["label"]) for d in extra)),
            },
            "sources": sorted(sources),
            "data": "shared/data/rps",
        },
    }
    bundles = {}
    for quant in ("int8", "float32"):
        b = export_bundle(model, out / quant, quant, x, info)
        m = measure_bundle(b, sources, stress, cfg.min_presence)
        update_metrics(b, "exact_file", m)
        if "loso" in summary:
            update_metrics(b, "loso_recipe", {k: _brief(v) for k, v in summary["loso"].items()})
        bundles[quant] = (b, m)
        log.info(
            "%s bundle: stress mean %.4f, latency %s", quant, m["stress_mean_accuracy"] or -1, m["latency"]
        )
    agree = agreement(bundles["int8"][0], bundles["float32"][0], every)
    update_metrics(bundles["int8"][0], "agreement_with_float32", {"top1": agree, "hands": int(len(x))})
    summary["bundles"] = {
        q: {
            "stress_mean_accuracy": m["stress_mean_accuracy"],
            "stress_any_presence_mean_accuracy": m["stress_any_presence_mean_accuracy"],
            "latency": m["latency"],
            "stress": {c: v["accuracy"] for c, v in m["stress"].items()},
            "no_hand": {c: v["low_presence"] for c, v in m["stress"].items()},
        }
        for q, (_b, m) in bundles.items()
    }
    summary["int8_float32_agreement"] = agree
    for b, _m in bundles.values():
        write_card(b, summary.get("loso"), command)
    if cfg.bundle:
        dst = Path(cfg.bundle)
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(bundles[cfg.quant][0], dst)
        summary["shipped"] = str(dst)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def _brief(s: dict[str, Any]) -> dict[str, Any]:
    """The LOSO summary of one kind without confusion matrices (for model.json)."""

    def strip(v: dict[str, Any]) -> dict[str, Any]:
        return {k: x for k, x in v.items() if k != "confusion"}

    return {
        "per_source_accuracy": s["per_source_accuracy"],
        "worst_source": s["worst_source"],
        "worst_accuracy": s["worst_accuracy"],
        "mean_source_accuracy": s["mean_source_accuracy"],
        "photos_pooled": strip(s["photos_pooled"]),
        "stress_pooled": {c: strip(v) for c, v in s["stress_pooled"].items()},
        "stress_mean_accuracy": s["stress_mean_accuracy"],
        "note": "one model per held-out source, trained on the other four; not this file",
    }
