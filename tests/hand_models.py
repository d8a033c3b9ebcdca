"""Helpers for tests that need the fetched MediaPipe hand models or the shared hand photos.

They skip with a reason when the models (``edge-models fetch hands``) or the data are absent,
and fail instead when the environment variable ``CI`` is ``"true"`` (CI fetches the models
before pytest and has the shared data).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from edge.pretrained import HandModelsMissing, hand_model_paths


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: never skipped)")
    pytest.skip(reason)


def require_hand_models(variant: str = "full") -> tuple[Path, Path]:
    """``(palm_bundle_dir, landmark_bundle_dir)`` or skip (fail under CI=true)."""
    try:
        return hand_model_paths(variant)
    except HandModelsMissing as e:
        _missing(f"hand models not fetched: {e}")
        raise  # unreachable: skip/fail raise


def require_rps_photos(
    data_dir: Path | None, source: str = "github-webcam-rps", per_class: int = 3
) -> list[tuple[str, Path]]:
    """The first ``per_class`` photos (sorted) of rock, paper and scissors of one shared source,
    as ``(label, path)``; skip (fail under CI=true) when the data is absent."""
    root = None if data_dir is None else data_dir / "rps" / source
    if root is None or not root.is_dir():
        _missing(f"shared hand photos not found ({source}); set EDGE_DATA_DIR")
    out = []
    for label in ("rock", "paper", "scissors"):
        files = sorted((root / label).glob("*.jpg"))[:per_class]
        if len(files) < per_class:
            _missing(f"{root / label} holds fewer than {per_class} photos")
        out += [(label, f) for f in files]
    return out
