"""Where model bundles are looked up: the fetched pretrained models' folder.

Kept apart from :mod:`edge.pretrained` (which writes bundles and imports :mod:`edge.bundle`)
so that :func:`edge.bundle.resolve_bundle_path` can find fetched bundles by name without an
import cycle. Standard library only.
"""

from __future__ import annotations

import os
from pathlib import Path


def models_dir() -> Path:
    """Where fetched bundles live: ``$EDGE_MODEL_DIR``, else
    ``$XDG_CACHE_HOME/edge-recogniser/models`` (``~/.cache`` when XDG_CACHE_HOME is unset)."""
    env = os.environ.get("EDGE_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "edge-recogniser" / "models"
