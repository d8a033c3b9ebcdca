"""Loading a user's Keras file: custom objects, Lambda layers, one-line errors.

``keras.models.load_model`` needs the classes of custom layers (``--custom-objects
module:Name,...``: a module on the Python path or a ``.py`` file, and a class or function
in it) and refuses the Python code of ``Lambda`` layers unless told the file is trusted
(``--unsafe-load``: Keras ``safe_mode=False``; the file's code then runs). Keras' own
errors carry the whole model config (kilobytes); :func:`load_keras_file` turns the known
ones into one line with the fix.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_UNKNOWN_CLASS = re.compile(r"Could not locate (?:class|function) '([\w.]+)'")
_UNKNOWN_LAYER = re.compile(r"Unknown (?:layer|object|class)[^'\"`]*['\"`]([\w.]+)['\"`]")


def _import(module: str) -> Any:
    if module.endswith(".py"):
        path = Path(module).expanduser()
        if not path.is_file():
            raise ValueError(f"--custom-objects: {path} does not exist; give MODULE:NAME or FILE.py:NAME")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise ValueError(f"--custom-objects: cannot import {path}; give MODULE:NAME or FILE.py:NAME")
        mod = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(path.stem, mod)
        spec.loader.exec_module(mod)
        return mod
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ValueError(
            f"--custom-objects: cannot import module {module!r} ({e}); put it on PYTHONPATH or "
            "give the file: FILE.py:NAME"
        ) from e


def load_custom_objects(specs: Sequence[str]) -> dict[str, Any]:
    """``["module:Name", "file.py:Other,Third"]`` -> ``{"Name": obj, ...}`` for Keras.

    Each entry is ``MODULE:NAME[,NAME...]`` or several such entries joined by commas
    (``a:X,b:Y``); ``MODULE`` is an importable module or a ``.py`` file.

    Raises:
        ValueError: a malformed entry, a module that cannot be imported, a missing name.
    """
    out: dict[str, Any] = {}
    module = None
    for item in (s.strip() for spec in specs for s in spec.split(",")):
        if not item:
            continue
        if ":" in item:
            module, name = item.rsplit(":", 1)
        elif module is not None:  # "mod:A,B": B from the same module
            name = item
        else:
            raise ValueError(f"--custom-objects {item!r}: write MODULE:NAME (e.g. my_layers:MyLayer)")
        mod = _import(module)
        obj = getattr(mod, name, None)
        if obj is None:
            raise ValueError(f"--custom-objects: {module} has no {name!r}; check the class name")
        out[name] = obj
    return out


def load_keras_file(
    path: Path, custom_objects: dict[str, Any] | None = None, unsafe_load: bool = False
) -> Any:
    """``keras.models.load_model(path, compile=False)`` with one-line errors that say what to do.

    Args:
        path: a ``.keras`` or full-model ``.h5`` file.
        custom_objects: classes and functions the file's config names (``--custom-objects``).
        unsafe_load: Keras ``safe_mode=False``: run the Python code of ``Lambda`` layers.

    Raises:
        ValueError: the file cannot be loaded (the message names the fix).
    """
    import keras

    if unsafe_load:
        log.warning(
            "--unsafe-load: loading %s with Keras safe_mode=False runs the Python code inside it "
            "(Lambda layers); do this only for files you trust",
            path,
        )
    try:
        return keras.models.load_model(
            path, compile=False, custom_objects=custom_objects or None, safe_mode=not unsafe_load
        )
    except Exception as e:  # Keras raises many types (ValueError, TypeError, OSError, BadZipFile, ...)
        raise ValueError(explain_load_error(path, e, unsafe_load)) from e


def explain_load_error(path: Path, e: BaseException, unsafe_load: bool = False) -> str:
    """One line for a Keras load error: the cause Keras gives, without its model config, and the fix."""
    text = str(e)
    if "Lambda" in text and ("safe_mode" in text or "unsafe" in text) and not unsafe_load:
        return (
            f"{path} has a Lambda layer, whose Python code Keras runs only when told the file is "
            "trusted: if you trust it, pass --unsafe-load"
        )
    m = _UNKNOWN_CLASS.search(text) or _UNKNOWN_LAYER.search(text)
    if m:
        name = m.group(1).split(".")[-1]
        return (
            f"{path} uses the custom class {name!r}, which Keras cannot find: pass "
            f"--custom-objects MODULE:{name} (the module or .py file that defines it)"
        )
    first = text.strip().splitlines()[0] if text.strip() else ""
    first = re.sub(r"\s*(Full object config|config)\s*[:=]\s*\{.*", "", first)[:200]
    return (
        f"cannot load {path} as a Keras model ({type(e).__name__}: {first}); it must be a whole "
        "model saved with model.save() (not weights only); for custom layers pass --custom-objects "
        "MODULE:NAME, for Lambda layers --unsafe-load, or export a SavedModel (model.export(DIR))"
    )
