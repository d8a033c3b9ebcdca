"""Leave-one-source-out evaluation of the landmark gesture classifiers.

For each source S of the cache: the classifiers are trained on the other sources (each
hyper-parameter setting of :data:`GRIDS` on an inner split of those sources, the one with
the best inner validation accuracy kept), then scored on every photo of S and on the
stress photos made from S (:mod:`train.camera_stress`). A photo without a found hand
counts as ``none``. The worst source is the honest estimate (``shared/FINDINGS.md``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from train.landmark_data import load_cache
from train.landmark_train import (
    TrainConfig,
    concat,
    fit,
    gate,
    inner_split,
    labels_of,
    predict_photos,
    score,
    subset,
)

log = logging.getLogger(__name__)

#: Hyper-parameter settings tried per classifier kind (chosen on the inner split).
GRIDS: dict[str, list[dict[str, Any]]] = {
    "mlp": [{"hidden": 64, "dropout": 0.2}, {"hidden": 128, "dropout": 0.3}, {"hidden": 256, "dropout": 0.4}],
    "embedding": [{"hidden": 0, "l2": 1e-3, "copies": 0}, {"hidden": 0, "l2": 1e-2, "copies": 0}],
}


def load_all(cache: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """``({source: arrays}, {condition: arrays})`` from a cache folder.

    Raises:
        ValueError: the folder holds no source caches.
    """
    files = [f for f in sorted(Path(cache).glob("*.npz")) if not f.name.endswith(".part.npz")]
    sources = {f.stem: load_cache(f) for f in files if not f.stem.startswith(("stress-", "aug-", "neg-"))}
    stress = {f.stem[len("stress-") :]: load_cache(f) for f in files if f.stem.startswith("stress-")}
    if not sources:
        raise ValueError(
            f"no landmark cache files in {cache}: run python -m train.landmark_data "
            "(or edge-train landmarks --extract)"
        )
    return sources, stress


def load_augment(cache: Path, sources: list[str], prefixes: tuple[str, ...] = ("aug",)) -> list[dict]:
    """Extra training sets present in the cache: camera-degraded copies (``aug-<source>.npz``)
    and/or tile-shuffled negatives (``neg-<source>.npz``), one dict per file. Of the negatives only
    those the landmark model itself doubts (presence < 0.5) are kept: a tile may still hold most
    of a hand, which must not be taught as ``none``."""
    out = []
    for p in prefixes:
        for s in sources:
            path = Path(cache) / f"{p}-{s}.npz"
            if path.is_file():
                d = load_cache(path)
                out.append(subset(d, d["presence"] < 0.5) if p == "neg" else d)
    return out


def choose(
    train: dict[str, np.ndarray],
    kind: str,
    base: TrainConfig,
    grid: list[dict[str, Any]] | None = None,
    extra: list[dict] | None = None,
) -> tuple[Any, TrainConfig, list[dict]]:
    """Fit every grid setting on the inner split of ``train``; keep the best by inner validation
    accuracy. ``extra``: more training hands (augmented copies) whose people/photos are in the
    inner training part. Returns ``(model, its config, [{config, val metrics}, ...])``."""
    val = inner_split(train)
    tr, va = subset(train, ~val), subset(train, val)
    if extra:
        keys = set(np.char.add(np.char.add(va["source"], "/"), va["files"]).tolist())
        parts = [tr]
        for d in extra:
            ids = np.char.add(np.char.add(d["source"], "/"), d["files"])
            parts.append(subset(d, ~np.isin(ids, list(keys))))
        tr = concat(parts)
    best, tried = None, []
    for setting in grid if grid is not None else GRIDS[kind]:
        cfg = replace(base, **setting)
        t0 = time.monotonic()
        model, m = fit(tr, va, kind, cfg)
        m["seconds"] = round(time.monotonic() - t0, 1)
        tried.append({"config": setting, **m})
        log.info(
            "  %s %s: inner val acc %.4f (%d epochs, %.0f s)",
            kind,
            setting,
            m["val_accuracy"],
            m["epochs"],
            m["seconds"],
        )
        if best is None or m["val_accuracy"] > best[2]["val_accuracy"]:
            best = (model, cfg, m)
    assert best is not None
    return best[0], best[1], tried


def _probs_fn(model: Any):
    return lambda x: model.predict(x, batch_size=1024, verbose=0)


def run_loso(
    cache: Path,
    kinds: tuple[str, ...] = ("mlp", "embedding"),
    base: TrainConfig | None = None,
    sources: list[str] | None = None,
    augment: bool = False,
    negatives: bool = False,
) -> dict[str, Any]:
    """Leave-one-source-out scores of each classifier kind (and their mean ensemble).

    Args:
        cache: the landmark cache folder.
        kinds: ``"mlp"`` and/or ``"embedding"`` (skipped when the cache has no embedding).
        base: defaults of every setting.
        sources: held-out sources to run (default: all).
        augment: add the camera-degraded copies of the training sources (``aug-*.npz``) to the
            training hands (never those of the held-out source; the inner validation keeps
            only original photos).
        negatives: add the tile-shuffled negatives (``neg-*.npz``, label none) of the training sources.

    Returns:
        ``{"per_source": {S: {kind: {"photos": score, "stress": {cond: score}, "config",
        "inner"}}}, "summary": {kind: {...}}}``, fractions in [0, 1].
    """
    base = base or TrainConfig()
    data, stress = load_all(cache)
    prefixes = ("aug",) * augment + ("neg",) * negatives
    aug = load_augment(cache, sorted(data), prefixes) if prefixes else []
    if any(d["embedding"].shape[1] == 0 for d in data.values()):
        kinds = tuple(k for k in kinds if k != "embedding")
    results: dict[str, Any] = {}
    pooled: dict[str, dict[str, list]] = {}
    for held in sources or sorted(data):
        log.info("held-out source %s", held)
        train = concat([d for s, d in data.items() if s != held])
        extra = [subset(d, d["source"] != held) for d in aug]
        test = data[held]
        st = {c: subset(d, d["source"] == held) for c, d in stress.items()}
        res: dict[str, Any] = {}
        probs: dict[str, dict[str, np.ndarray]] = {}
        for kind in kinds:
            model, cfg, tried = choose(train, kind, base, extra=extra)
            fn = _probs_fn(model)
            probs[kind] = {
                "photos": predict_photos(test, fn, kind),
                **{c: predict_photos(d, fn, kind) for c, d in st.items() if len(d["label"])},
            }
            res[kind] = {"config": {k: v for k, v in asdict(cfg).items() if k != "extra"}, "inner": tried}
        if len(kinds) > 1:
            probs["ensemble"] = {
                k: np.mean([probs[kind][k] for kind in kinds], axis=0) for k in probs[kinds[0]]
            }
            res["ensemble"] = {"config": {"members": list(kinds)}}
        for kind in list(probs):  # the same classifiers behind MediaPipe's presence >= 0.5 rule
            pres = {k: (test if k == "photos" else st[k])["presence"] for k in probs[kind]}
            probs[f"{kind}+gate50"] = {k: gate(p, pres[k], 0.5) for k, p in probs[kind].items()}
            res[f"{kind}+gate50"] = {"config": {"classifier": kind, "min_presence": 0.5}}
        for kind, pk in probs.items():
            res[kind]["photos"] = score(labels_of(test), pk["photos"], test["found"], test["presence"])
            res[kind]["stress"] = {
                c: score(labels_of(st[c]), pk[c], st[c]["found"], st[c]["presence"])
                for c in pk
                if c != "photos"
            }
            for k, p in pk.items():
                d = test if k == "photos" else st[k]
                acc = pooled.setdefault(kind, {}).setdefault(k, [])
                acc.append((labels_of(d), p, d["found"], d["presence"]))
            log.info(
                "  %s on %s: %.4f; stress %s",
                kind,
                held,
                res[kind]["photos"]["accuracy"],
                {c: round(v["accuracy"], 3) for c, v in res[kind]["stress"].items()},
            )
        results[held] = res
    summary = {}
    for kind, parts in pooled.items():
        per = {s: results[s][kind]["photos"]["accuracy"] for s in results}
        worst = min(per, key=lambda s: per[s])
        cat = {k: tuple(np.concatenate([p[i] for p in v]) for i in range(4)) for k, v in parts.items()}
        summary[kind] = {
            "per_source_accuracy": per,
            "worst_source": worst,
            "worst_accuracy": per[worst],
            "mean_source_accuracy": float(np.mean(list(per.values()))),
            "photos_pooled": score(*cat["photos"]),
            "stress_pooled": {k: score(*v) for k, v in cat.items() if k != "photos"},
        }
        st_acc = [v["accuracy"] for v in summary[kind]["stress_pooled"].values()]
        summary[kind]["stress_mean_accuracy"] = float(np.mean(st_acc)) if st_acc else None
    return {"per_source": results, "summary": summary}
