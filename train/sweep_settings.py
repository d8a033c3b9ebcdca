"""Settings of ``edge-train sweep``: ``--grid``/``--set`` items and settings files as typed config values.

Keys are :class:`train.lenet_config.LenetConfig` fields (or their aliases, :data:`ALIASES`);
values are parsed as the field's type (:func:`coerce`). A grid becomes its cartesian
product (:func:`grid_settings`); the keys that differ between settings name the runs
(:func:`swept_keys`, :func:`run_name`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

from train.augment import AugmentConfig
from train.lenet_config import LenetConfig

#: Short names accepted for config fields in ``--grid``/``--set``/settings files.
ALIASES = {
    "lr": "learning_rate",
    "bn": "batch_norm",
    "batchnorm": "batch_norm",
    "arch": "variant",
    "architecture": "variant",
    "subset": "limit",
}


#: Fields a sweep setting may not change (the sweep owns them).
NOT_SWEEPABLE = ("out_dir", "strategy")


_TRUE = ("1", "true", "on", "yes", "y")


_FALSE = ("0", "false", "off", "no", "n")


def canonical_key(key: str) -> str:
    """``"learning-rate"``/``"lr"`` → ``"learning_rate"``.

    Raises:
        ValueError: not a sweepable :class:`LenetConfig` field (the message lists them).
    """
    k = key.strip().lower().replace("-", "_")
    k = ALIASES.get(k, k)
    names = [f.name for f in fields(LenetConfig) if f.name not in NOT_SWEEPABLE]
    if k not in names:
        raise ValueError(
            f"unknown sweep key {key!r}; use one of {sorted(names)} "
            f"(aliases: {', '.join(f'{a}={b}' for a, b in ALIASES.items())})"
        )
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
        raise ValueError(
            f"{p}: expected a non-empty JSON list of objects such as "
            '[{"epochs": 2, "dropout": 0.1}, {"variant": "lenet5"}]'
        )
    return [{canonical_key(k): coerce(k, v) for k, v in d.items()} for d in data]


def format_value(v: Any, key: str = "") -> str:
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
    name = "_".join(f"{k}-{format_value(setting[k], k)}" for k in given)
    name = re.sub(r"[^A-Za-z0-9._=-]+", "-", name)
    if len(name) > 80:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[:70]}-{digest}"
    return name


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
    return [k for k in keys if len({format_value(s.get(k, getattr(base, k)), k) for s in settings}) > 1]


__all__ = [
    "ALIASES",
    "NOT_SWEEPABLE",
    "canonical_key",
    "coerce",
    "format_value",
    "grid_settings",
    "load_settings",
    "parse_assignments",
    "run_name",
    "swept_keys",
]
