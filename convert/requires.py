"""Whether the ``[train]`` extra (TensorFlow and Keras) is installed, checked before any work.

``edge-train`` and ``edge-convert`` import TensorFlow only inside the functions that need
it, so on the TensorFlow-free device install (``pip install .``) they would start, create
their output folders and then die with ``ModuleNotFoundError``. Their ``main`` calls
:func:`train_extra_error` first and stops with that one line instead (exit 2). The check
only looks the packages up (:func:`importlib.util.find_spec`): it imports nothing.
"""

from __future__ import annotations

import importlib.util

#: The packages the training extra brings that every training or conversion job needs.
TRAIN_PACKAGES = ("tensorflow", "keras")
#: The command that installs them, as the README gives it.
TRAIN_EXTRA_INSTALL = 'pip install -e ".[train]"'


def missing_train_packages() -> list[str]:
    """The names of :data:`TRAIN_PACKAGES` that cannot be imported here (none imported)."""
    missing = []
    for name in TRAIN_PACKAGES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # ValueError: sys.modules[name] is None (import blocked)
            found = False
        if not found:
            missing.append(name)
    return missing


def train_extra_error(tool: str) -> str | None:
    """One line telling the user to install the training extra, or ``None`` if it is there.

    Args:
        tool: the command's name, e.g. ``"edge-train"``.
    """
    missing = missing_train_packages()
    if not missing:
        return None
    return (
        f"{tool} needs TensorFlow and Keras (the [train] extra), and {' and '.join(missing)} "
        f"cannot be imported here: install them with {TRAIN_EXTRA_INSTALL} (the device side, "
        "edge-run and edge-eval, runs without them)"
    )
