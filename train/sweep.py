"""``edge-train sweep``: train a grid or list of LeNet settings and compare their int8 files.

Each setting is a set of :class:`train.lenet.LenetConfig` fields on top of a base
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

import csv
import hashlib
import itertools
import json
import logging
import re
import time
import typing
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from train.augment import AugmentConfig
from train.lenet import LenetConfig

log = logging.getLogger(__name__)

#: The file that marks a finished run.
RESULT_FILE = "int8-metrics.json"
#: Short names accepted for config fields in ``--grid``/``--set``/settings files.
ALIASES = {"lr": "learning_rate", "bn": "batch_norm", "batchnorm": "batch_norm", "arch": "variant",
           "architecture": "variant", "subset": "limit"}
#: Fields a sweep setting may not change (the sweep owns them).
NOT_SWEEPABLE = ("out_dir", "strategy")
_TRUE = ("1", "true", "on", "yes", "y")
_FALSE = ("0", "false", "off", "no", "n")


@dataclass
class SweepRow:
    """One run's line of the results table (fractions in [0, 1], size in bytes)."""

    run: str
    setting: dict[str, Any]
    status: str
    epochs_run: int
    params: int
    float_accuracy: float
    int8_accuracy: float
    int8_agreement: float
    int8_size_bytes: int
    train_seconds: float
    best_val_accuracy: float | None = None
    extra_val_accuracy: float | None = None
    not_applicable: tuple[str, ...] = ()

    def value(self, key: str) -> str:
        """The run's value of a swept key as table text (``-`` where it does not apply)."""
        return "-" if key in self.not_applicable else _fmt(self.setting.get(key), key)


#: Config fields a variant ignores (shown as ``-`` in the table).
IGNORED_BY_VARIANT = {"lenet5": ("batch_norm", "width")}


def canonical_key(key: str) -> str:
    """``"learning-rate"``/``"lr"`` → ``"learning_rate"``.

    Raises:
        ValueError: not a sweepable :class:`LenetConfig` field (the message lists them).
    """
    k = key.strip().lower().replace("-", "_")
    k = ALIASES.get(k, k)
    names = [f.name for f in fields(LenetConfig) if f.name not in NOT_SWEEPABLE]
    if k not in names:
        raise ValueError(f"unknown sweep key {key!r}; use one of {sorted(names)} "
                         f"(aliases: {', '.join(f'{a}={b}' for a, b in ALIASES.items())})")
    return k


def coerce(key: str, value: Any) -> Any:
    """A ``--grid``/``--set``/JSON value as the type of config field ``key``.

    ``batch_norm``/``download``: on/off, true/false, yes/no, 1/0. ``augment``: on
    (default strengths), off, or a JSON object of :class:`AugmentConfig` fields.
    Optional fields take ``none``. Lists (``extra``) take ``a;b``.

    Raises:
        ValueError: a value that does not parse as the field's type.
    """
    key = canonical_key(key)
    if key == "augment":
        if isinstance(value, dict):
            return AugmentConfig(**value)
        if value is None or str(value).lower() in _FALSE + ("none",):
            return None
        if isinstance(value, AugmentConfig):
            return value
        if str(value).lower() in _TRUE:
            return AugmentConfig()
        raise ValueError(f"augment={value!r}: use on or off")
    hint = typing.get_type_hints(LenetConfig)[key]
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    optional = type(None) in typing.get_args(hint)
    base = args[0]
    text = value if not isinstance(value, str) else value.strip()
    if optional and (value is None or (isinstance(text, str) and text.lower() == "none")):
        return None
    try:
        if base is bool:
            if isinstance(value, bool):
                return value
            t = str(text).lower()
            if t in _TRUE:
                return True
            if t in _FALSE:
                return False
            raise ValueError("not a switch: use on or off")
        if base is int:
            f = float(text)
            if f != int(f):
                raise ValueError("not a whole number")
            return int(f)
        if base is float:
            return float(text)
        if typing.get_origin(base) is list:
            return [p for p in (value if isinstance(value, list) else str(text).split(";")) if p]
        return str(text)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{key}={value!r}: {e}") from e


def parse_assignments(items: list[str]) -> dict[str, list[Any]]:
    """``["epochs=1,2", "bn=on,off"]`` → ``{"epochs": [1, 2], "batch_norm": [True, False]}``.

    Raises:
        ValueError: an item without ``=``, an empty value list, an unknown key, a
            key given twice, or a value of the wrong type.
    """
    out: dict[str, list[Any]] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--grid/--set item {item!r} must look like key=v1,v2 (e.g. epochs=2,3)")
        k, _, vals = item.partition("=")
        key = canonical_key(k)
        if key in out:
            raise ValueError(f"sweep key {key} given twice")
        values = [v for v in vals.split(",") if v.strip()]
        if not values:
            raise ValueError(f"--grid/--set item {item!r} has no values")
        out[key] = [coerce(key, v) for v in values]
    return out


def grid_settings(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of a grid, in key order: ``{"a": [1, 2], "b": [3]}`` → 2 settings."""
    if not grid:
        return [{}]
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))]


def load_settings(path: str | Path) -> list[dict[str, Any]]:
    """Settings from a JSON file: a list of objects of config fields (or ``{"runs": [...]}``).

    Example: ``[{"variant": "lenet5"}, {"variant": "modern", "dropout": 0.1}]``.

    Raises:
        ValueError: unreadable or malformed file, unknown keys, bad values.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read sweep settings {p}: {e}") from e
    if isinstance(data, dict) and "runs" in data:
        data = data["runs"]
    if not isinstance(data, list) or not data or not all(isinstance(d, dict) for d in data):
        raise ValueError(f"{p}: expected a non-empty JSON list of objects such as "
                         '[{"epochs": 2, "dropout": 0.1}, {"variant": "lenet5"}]')
    return [{canonical_key(k): coerce(k, v) for k, v in d.items()} for d in data]


def _fmt(v: Any, key: str = "") -> str:
    """A setting's value as text for names and tables (on/off for switches and augment)."""
    if isinstance(v, bool):
        return "on" if v else "off"
    if key == "augment" or isinstance(v, AugmentConfig):
        return "off" if v is None else "on"
    if v is None:
        return "none"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return ";".join(Path(p).name for p in v)
    return str(v)


def run_name(setting: dict[str, Any], keys: list[str]) -> str:
    """Folder name of a run: the swept ``keys`` its setting gives, e.g. ``dropout-0.1_epochs-2``.

    Keys a setting leaves at the base value (settings files list only what changes)
    are not spelled; a setting with none of them is ``base``. Names longer than 80
    characters are cut and end in a short hash of the whole name.
    """
    given = [k for k in keys if k in setting]
    if not given:
        return "base"
    name = "_".join(f"{k}-{_fmt(setting[k], k)}" for k in given)
    name = re.sub(r"[^A-Za-z0-9._=-]+", "-", name)
    if len(name) > 80:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[:70]}-{digest}"
    return name


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
        raise ValueError(f"{run_dir} holds a run made with other settings ({shown}); use another --out "
                         "or delete that folder")


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
    return {"accuracy": float((pred == y).mean()), "n": int(len(y)),
            "per_class": {str(i): (float(cm[i, i] / cm[i].sum()) if cm[i].sum() else None)
                          for i in range(10)},
            "size_bytes": int(size), "size_kib": round(size / 1024, 1), "runtime": clf.runtime,
            "file": str(clf.bundle.model_path)}


def run_one(cfg: LenetConfig, name: str, setting: dict[str, Any], test_limit: int | None = None,
            rep_samples: int = 300) -> SweepRow:
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
    from convert.build import ConvertConfig, convert_to_bundle
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
        report = convert_to_bundle(ConvertConfig(
            model=run_dir / "model.keras", quant="int8", dataset="mnist",
            data_dir=Path(cfg.data_dir) if cfg.data_dir else None, out=run_dir / "int8",
            name=f"sweep-{name}-int8"[:100], rep_samples=rep_samples, verify_samples=test_limit,
            seed=cfg.seed))
        int8 = _evaluate_int8(report.bundle_dir, cfg.data_dir, test_limit)
        int8["agreement"] = report.agreement
        float_metrics = json.loads((run_dir / "metrics.json").read_text())
        result.write_text(json.dumps({"run": name, "setting": {k: _fmt(v, k) for k, v in setting.items()},
                                      "float": float_metrics, "int8": int8}, indent=2) + "\n")
        status = "done"
    r = json.loads(result.read_text())
    fm, im = r["float"], r["int8"]
    return SweepRow(run=name, setting=setting, status=status, epochs_run=int(fm["epochs_run"]),
                    params=int(fm["params"]), float_accuracy=float(fm["test_accuracy"]),
                    int8_accuracy=float(im["accuracy"]), int8_agreement=float(im["agreement"]),
                    int8_size_bytes=int(im["size_bytes"]), train_seconds=float(fm["train_seconds"]),
                    best_val_accuracy=fm.get("best_val_accuracy"),
                    extra_val_accuracy=(fm.get("extra_val") or {}).get("accuracy"),
                    not_applicable=IGNORED_BY_VARIANT.get(cfg.variant, ()))


def swept_keys(settings: list[dict[str, Any]], base: LenetConfig | None = None) -> list[str]:
    """Keys whose value differs between settings, in first-seen order.

    They are the table's columns and make the run names. A key a setting leaves out
    has the ``base`` config's value there (default: :class:`LenetConfig`'s).
    """
    base = base or LenetConfig()
    keys: list[str] = []
    for s in settings:
        for k in s:
            if k not in keys:
                keys.append(k)
    return [k for k in keys if len({_fmt(s.get(k, getattr(base, k)), k) for s in settings}) > 1]


def write_results(rows: list[SweepRow], keys: list[str], out: Path) -> tuple[Path, Path]:
    """``results.csv`` (fractions, bytes) and ``results.md`` (percentages, KiB) of a sweep.

    Returns:
        (csv path, markdown path).
    """
    cols = ["run", *keys, "epochs_run", "params", "float_accuracy", "int8_accuracy", "int8_agreement",
            "int8_size_bytes", "train_seconds", "best_val_accuracy"]
    if any(r.extra_val_accuracy is not None for r in rows):
        cols.append("extra_val_accuracy")
    csv_path = out / "results.csv"
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            vals = {**{k: r.value(k) for k in keys}, **r.__dict__}
            w.writerow(["" if vals.get(c) is None else vals[c] for c in cols])

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.2f}%"

    head = ["run", *keys, "epochs", "params", "float acc", "int8 acc", "int8 agreement", "int8 KiB",
            "train s", "best val"]
    extra = "extra_val_accuracy" in cols
    if extra:
        head.append("extra val")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.run, *(r.value(k) for k in keys), str(r.epochs_run), f"{r.params:,}",
                 pct(r.float_accuracy), pct(r.int8_accuracy), pct(r.int8_agreement),
                 f"{r.int8_size_bytes / 1024:.1f}", f"{r.train_seconds:.0f}", pct(r.best_val_accuracy)]
        if extra:
            cells.append(pct(r.extra_val_accuracy))
        lines.append("| " + " | ".join(cells) + " |")
    md_path = out / "results.md"
    md_path.write_text("\n".join(lines) + "\n")
    return csv_path, md_path


def plot_results(rows: list[SweepRow], keys: list[str], out: Path) -> list[Path]:
    """``accuracy-vs-<key>.png`` per swept key and ``size-vs-accuracy.png`` (matplotlib).

    Numeric keys are plotted on a numeric axis, the others (variant, on/off) as
    categories; each point is one run (int8 and float test accuracy, %).
    """
    from train.plots import _plt

    plt = _plt()
    paths = []
    all_rows = rows
    for k in keys:
        rows = [r for r in all_rows if k not in r.not_applicable]  # lenet5 has no width
        if not rows:
            continue
        vals = [r.setting.get(k) for r in rows]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)
        if numeric:
            xs = [float(typing.cast(float, v)) for v in vals]
            ticks = None
        else:
            cats = sorted({_fmt(v, k) for v in vals})
            xs = [cats.index(_fmt(v, k)) for v in vals]
            ticks = cats
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.scatter(xs, [100 * r.int8_accuracy for r in rows], label="int8 .tflite", marker="o")
        ax.scatter(xs, [100 * r.float_accuracy for r in rows], label="Keras float", marker="x")
        for x, r in zip(xs, rows, strict=True):
            ax.annotate(r.run, (x, 100 * r.int8_accuracy), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
        if ticks is not None:
            ax.set_xticks(range(len(ticks)), ticks)
        elif len(set(xs)) > 2 and min(xs) > 0 and max(xs) / min(xs) >= 10:
            ax.set_xscale("log")
        ax.set_xlabel(k)
        ax.set_ylabel("MNIST test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        p = out / f"accuracy-vs-{k}.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        paths.append(p)
    rows = all_rows
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter([r.int8_size_bytes / 1024 for r in rows], [100 * r.int8_accuracy for r in rows])
    for r in rows:
        ax.annotate(r.run, (r.int8_size_bytes / 1024, 100 * r.int8_accuracy), fontsize=6,
                    xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("int8 .tflite size (KiB)")
    ax.set_ylabel("int8 MNIST test accuracy (%)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    p = out / "size-vs-accuracy.png"
    fig.savefig(p, dpi=100)
    plt.close(fig)
    paths.append(p)
    return paths


def run_sweep(base: LenetConfig, settings: list[dict[str, Any]], out_dir: str | Path,
              test_limit: int | None = None, rep_samples: int = 300,
              argv: list[str] | None = None) -> list[SweepRow]:
    """Run every setting (skipping finished ones), then write the table and plots.

    Args:
        base: config every setting starts from (its ``out_dir`` is ignored).
        settings: dicts of :class:`LenetConfig` fields (values already typed; see
            :func:`parse_assignments`, :func:`load_settings`).
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
    (out / "sweep.json").write_text(json.dumps({
        "command": "edge-train " + " ".join(argv or []), "base": _config_json(base),
        "swept": keys, "runs": [{"name": n, "setting": {k: _fmt(v, k) for k, v in s.items()}}
                                for n, _, s in plans]}, indent=2) + "\n")
    rows = []
    t0 = time.time()
    for i, (name, cfg, s) in enumerate(plans, 1):
        log.info("sweep run %d/%d: %s", i, len(plans), name)
        rows.append(run_one(cfg, name, s, test_limit, rep_samples))
        write_results(rows, keys, out)  # the table grows as runs finish
    write_results(rows, keys, out)
    plot_results(rows, keys, out)
    log.info("sweep of %d runs done in %.0f s (%d skipped as finished)", len(rows), time.time() - t0,
             sum(r.status == "skipped" for r in rows))
    return rows


__all__ = ["RESULT_FILE", "SweepRow", "canonical_key", "coerce", "grid_settings", "lenet_argv",
           "load_settings", "parse_assignments", "run_name", "run_one", "run_sweep", "swept_keys",
           "write_results", "plot_results"]
