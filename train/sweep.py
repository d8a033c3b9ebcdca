"""``edge-train sweep``: train a grid or list of LeNet settings and compare their int8 files.

Each setting is a set of :class:`train.lenet_config.LenetConfig` fields on top of a base
config (``--config``, ``--set``, ``--subset``): epochs, dropout, batch norm on/off,
learning rate, variant, width, augmentation, dataset ... For every setting, in its
own folder ``OUT/<run>/`` (``<run>`` spells the swept values, e.g.
``batch_norm-off_dropout-0.1``):

1. train with :func:`train.lenet.train_lenet` (``config.json``, ``curves.png``,
   ``history.csv``, ``metrics.json`` of the Keras model, ``model.keras``);
2. convert ``model.keras`` to a full-int8 bundle in ``OUT/<run>/int8/`` with
   :func:`convert.build.convert_to_bundle` exactly as ``edge-convert --quant int8
   --dataset mnist`` (and ``models/rebuild-digits.sh``) does: int8 input/output,
   calibrated on MNIST training images, verified against the Keras model;
3. score the ``.tflite`` file on the MNIST test split through
   :class:`edge.runtime.Classifier`, the device's own inference code, and write
   ``int8-metrics.json``.

Then ``OUT/results.csv`` and ``OUT/results.md`` (one row per run: swept values,
float and int8 test accuracy, int8 agreement with the float model, file size,
parameters, epochs, seconds) and plots: ``accuracy-vs-<key>.png`` per swept key and
``size-vs-accuracy.png``.

Resuming: ``int8-metrics.json`` marks a finished run, which a re-run skips (its
row is read back). A run whose training finished (``metrics.json``) but whose
conversion did not is converted without training again; a run interrupted during
training resumes from its last finished epoch (Keras ``BackupAndRestore`` in
``OUT/<run>/backup``). ``sweep-config.json`` in each run folder records the run's
full config; re-using a folder with different settings is an error rather than a
silent mix.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from train.augment import AugmentConfig
from train.lenet_config import LenetConfig
from train.sweep_results import SweepRow, plot_results, write_results
from train.sweep_settings import format_value, run_name, swept_keys

log = logging.getLogger(__name__)

#: The file that marks a finished run.
RESULT_FILE = "int8-metrics.json"


#: Config fields a variant ignores (shown as ``-`` in the table).
IGNORED_BY_VARIANT = {"lenet5": ("batch_norm", "width")}


def _config_json(cfg: LenetConfig) -> dict[str, Any]:
    return json.loads(json.dumps(cfg.to_json()))


def lenet_argv(cfg: LenetConfig) -> list[str]:
    """The ``edge-train lenet`` arguments that reproduce ``cfg`` (fields left at their defaults omitted).

    Used as the recorded command of each sweep run, so ``config.json`` and the
    bundle's ``model.json`` say how to train that model again on its own.
    """
    d = LenetConfig()
    argv = ["lenet"]
    for f in fields(LenetConfig):
        v, dv = getattr(cfg, f.name), getattr(d, f.name)
        if f.name == "augment":
            if v is None:
                argv.append("--no-augment")
            elif v != AugmentConfig():
                log.warning("custom augmentation strengths are kept in config.json only")
            continue
        if v == dv:
            continue
        flag = "--out" if f.name == "out_dir" else "--" + f.name.replace("_", "-")
        if isinstance(v, bool):
            argv.append({"batch_norm": "--no-batch-norm", "download": "--download"}[f.name])
        elif isinstance(v, list):
            for item in v:
                argv += [flag, str(item)]
        elif v is None:
            continue
        else:
            argv += [flag, str(v)]
    return argv


def _check_folder(run_dir: Path, cfg: LenetConfig) -> None:
    saved = run_dir / "sweep-config.json"
    if not saved.is_file():
        return
    old = json.loads(saved.read_text())
    new = _config_json(cfg)
    old.pop("out_dir", None)  # the folder itself (it may have been moved)
    new.pop("out_dir", None)
    diff = {k: (old.get(k), new.get(k)) for k in set(old) | set(new) if old.get(k) != new.get(k)}
    if diff:
        shown = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in sorted(diff.items()))
        raise ValueError(
            f"{run_dir} holds a run made with other settings ({shown}); use another --out "
            "or delete that folder"
        )


def _evaluate_int8(bundle_dir: Path, data_dir: str | None, test_limit: int | None) -> dict[str, Any]:
    """MNIST test accuracy of a bundle's ``.tflite`` through :class:`edge.runtime.Classifier`."""
    from edge.datasets import load_mnist
    from edge.runtime import Classifier
    from train.plots import confusion_matrix

    x, y = load_mnist(data_dir)["test"]
    if test_limit:
        x, y = x[:test_limit], y[:test_limit]
    clf = Classifier(bundle_dir)
    pred = clf.predict(x.astype(np.float32)[..., None] / 255.0).argmax(1)
    cm = confusion_matrix(y, pred, 10)
    size = clf.bundle.model_path.stat().st_size
    return {
        "accuracy": float((pred == y).mean()),
        "n": int(len(y)),
        "per_class": {str(i): (float(cm[i, i] / cm[i].sum()) if cm[i].sum() else None) for i in range(10)},
        "size_bytes": int(size),
        "size_kib": round(size / 1024, 1),
        "runtime": clf.runtime,
        "file": str(clf.bundle.model_path),
    }


def run_one(
    cfg: LenetConfig,
    name: str,
    setting: dict[str, Any],
    test_limit: int | None = None,
    rep_samples: int = 300,
) -> SweepRow:
    """Train (or resume), convert to int8 and score one setting; skip it when finished.

    Args:
        cfg: the run's full config (``out_dir`` is its folder).
        name: the run's name (its folder's name).
        setting: the swept values (for the table).
        test_limit: score on the first N MNIST test images only (quick runs).
        rep_samples: int8 calibration samples drawn from MNIST train.

    Returns:
        The run's :class:`SweepRow` (``status`` ``"done"`` or ``"skipped"``).

    Raises:
        ValueError: the folder holds a run with other settings, or training or
            conversion failed on bad input (datasets included).
    """
    from convert.build import convert_to_bundle
    from convert.config import ConvertConfig
    from train.lenet import train_lenet

    run_dir = Path(cfg.out_dir)
    _check_folder(run_dir, cfg)
    result = run_dir / RESULT_FILE
    status = "skipped"
    if not result.is_file():
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "sweep-config.json").write_text(json.dumps(_config_json(cfg), indent=2) + "\n")
        if (run_dir / "metrics.json").is_file() and (run_dir / "model.keras").is_file():
            log.info("%s: training finished earlier; converting", name)
        else:
            log.info("%s: training (%s)", name, " ".join(lenet_argv(cfg)[1:]))
            train_lenet(cfg, lenet_argv(cfg))
        report = convert_to_bundle(
            ConvertConfig(
                model=run_dir / "model.keras",
                quant="int8",
                dataset="mnist",
                data_dir=Path(cfg.data_dir) if cfg.data_dir else None,
                out=run_dir / "int8",
                name=f"sweep-{name}-int8"[:100],
                rep_samples=rep_samples,
                verify_samples=test_limit,
                seed=cfg.seed,
            )
        )
        int8 = _evaluate_int8(report.bundle_dir, cfg.data_dir, test_limit)
        int8["agreement"] = report.agreement
        float_metrics = json.loads((run_dir / "metrics.json").read_text())
        shown = {k: format_value(v, k) for k, v in setting.items()}
        result.write_text(
            json.dumps({"run": name, "setting": shown, "float": float_metrics, "int8": int8}, indent=2) + "\n"
        )
        status = "done"
    r = json.loads(result.read_text())
    fm, im = r["float"], r["int8"]
    return SweepRow(
        run=name,
        setting=setting,
        status=status,
        epochs_run=int(fm["epochs_run"]),
        params=int(fm["params"]),
        float_accuracy=float(fm["test_accuracy"]),
        int8_accuracy=float(im["accuracy"]),
        int8_agreement=float(im["agreement"]),
        int8_size_bytes=int(im["size_bytes"]),
        train_seconds=float(fm["train_seconds"]),
        best_val_accuracy=fm.get("best_val_accuracy"),
        extra_val_accuracy=(fm.get("extra_val") or {}).get("accuracy"),
        not_applicable=IGNORED_BY_VARIANT.get(cfg.variant, ()),
    )


def run_sweep(
    base: LenetConfig,
    settings: list[dict[str, Any]],
    out_dir: str | Path,
    test_limit: int | None = None,
    rep_samples: int = 300,
    argv: list[str] | None = None,
) -> list[SweepRow]:
    """Run every setting (skipping finished ones), then write the table and plots.

    Args:
        base: config every setting starts from (its ``out_dir`` is ignored).
        settings: dicts of :class:`LenetConfig` fields (values already typed; see
            :func:`train.sweep_settings.parse_assignments`, :func:`train.sweep_settings.load_settings`).
        out_dir: the sweep folder; each run goes to ``out_dir/<run name>``.
        test_limit: score on the first N MNIST test images only.
        rep_samples: int8 calibration samples.
        argv: the sweep's command line, recorded in ``sweep.json``.

    Returns:
        One :class:`SweepRow` per setting, in order.

    Raises:
        ValueError: no settings, two settings with the same run name, a setting
            that fails :meth:`LenetConfig.check`, or a run folder holding another run.
        edge.datasets.DatasetError: data missing.
    """
    if not settings:
        raise ValueError("no sweep settings: pass --grid key=v1,v2 ... or --settings FILE.json")
    out = Path(out_dir)
    keys = swept_keys(settings, base)
    plans = []
    for s in settings:
        name = run_name(s, keys)
        cfg = replace(base, **s, out_dir=str(out / name))
        cfg.check()  # every setting is checked before the first one trains
        # the table shows every swept key, with the base value where a setting leaves it
        plans.append((name, cfg, {k: getattr(cfg, k) for k in keys}))
    names = [p[0] for p in plans]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"settings repeat: {dup}; every setting must differ in some value")
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text(
        json.dumps(
            {
                "command": "edge-train " + " ".join(argv or []),
                "base": _config_json(base),
                "swept": keys,
                "runs": [
                    {"name": n, "setting": {k: format_value(v, k) for k, v in s.items()}} for n, _, s in plans
                ],
            },
            indent=2,
        )
        + "\n"
    )
    rows = []
    t0 = time.time()
    for i, (name, cfg, s) in enumerate(plans, 1):
        log.info("sweep run %d/%d: %s", i, len(plans), name)
        rows.append(run_one(cfg, name, s, test_limit, rep_samples))
        write_results(rows, keys, out)  # the table grows as runs finish
    write_results(rows, keys, out)
    plot_results(rows, keys, out)
    log.info(
        "sweep of %d runs done in %.0f s (%d skipped as finished)",
        len(rows),
        time.time() - t0,
        sum(r.status == "skipped" for r in rows),
    )
    return rows


__all__ = ["IGNORED_BY_VARIANT", "RESULT_FILE", "lenet_argv", "run_one", "run_sweep"]
