"""Extra training caches for the landmark classifier: camera-degraded copies and tile-shuffled negatives.

Both run the same hand finder as :mod:`train.landmark_data` over the shared photos and write
``aug-<source>.npz`` / ``neg-<source>.npz`` beside the main cache (``python -m train.landmark_data
--augment F --negatives N``); ``edge-train landmarks --augment`` / ``--negatives`` train with them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from train.camera_stress import CONDITIONS
from train.landmark_data import (
    CACHE_VERSION,
    Detector,
    extract,
    list_photos,
    list_sources,
    read_photo,
    rng_for,
    save_arrays,
)

log = logging.getLogger(__name__)

AUGMENT_CONDITIONS = ("closeup", "motion_blur", "defocus", "stretch", "dim_noise", "coloured_light")


def build_augment_cache(
    root: Path,
    out: Path,
    detect: Detector,
    detector_info: dict,
    *,
    sources: Sequence[str] | None = None,
    fraction: float = 0.5,
    seed: int = 1000,
    force: bool = False,
) -> list[Path]:
    """``aug-<source>.npz``: a seeded ``fraction`` of each source's photos, each degraded by one
    random camera transform of :data:`AUGMENT_CONDITIONS`, then extracted (training augmentation:
    the classifier learns the landmarks and presences of blurred, dim and close-up hands).

    Returns:
        The cache files written.
    """
    written = []
    for src in list(sources) if sources else list_sources(root):
        path = out / f"aug-{src}.npz"
        if path.is_file() and not force:
            continue
        items = []
        for p, lab in list_photos(root, src):
            rng = rng_for(str(seed), "augment", src, p.name)
            if rng.uniform() >= fraction:
                continue
            cond = AUGMENT_CONDITIONS[int(rng.integers(len(AUGMENT_CONDITIONS)))]
            items.append((CONDITIONS[cond](read_photo(p), rng), src, f"{lab}/{p.name}", lab))
        log.info("augment %s: %d photos", src, len(items))
        meta = {
            "version": CACHE_VERSION,
            "detector": detector_info,
            "condition": "augment",
            "seed": seed,
            "fraction": fraction,
            "transforms": list(AUGMENT_CONDITIONS),
        }
        save_arrays(path, extract(items, detect), meta)
        written.append(path)
    return written


def build_negative_cache(
    root: Path,
    out: Path,
    detect: Detector,
    detector_info: dict,
    *,
    sources: Sequence[str] | None = None,
    per_source: int = 200,
    seed: int = 2000,
    force: bool = False,
) -> list[Path]:
    """``neg-<source>.npz``: ``per_source`` photos of each source with their tiles shuffled
    (:func:`train.camera_stress.shuffled_tiles`), labelled ``none``: the landmark model's answer
    on scenes without a hand, which the sources other than the webcam set lack.

    Returns:
        The cache files written.
    """
    from train.camera_stress import shuffled_tiles

    written = []
    for src in list(sources) if sources else list_sources(root):
        path = out / f"neg-{src}.npz"
        if path.is_file() and not force:
            continue
        photos = list_photos(root, src)
        rng0 = rng_for(str(seed), "negatives", src)
        items = []
        for i in sorted(rng0.permutation(len(photos))[:per_source]):
            p, _lab = photos[int(i)]
            rng = rng_for(str(seed), "negative", src, p.name)
            name = f"none/shuffled-{p.parent.name}-{p.name}"
            items.append((shuffled_tiles(read_photo(p), rng), src, name, "none"))
        log.info("negatives %s: %d photos", src, len(items))
        meta = {"version": CACHE_VERSION, "detector": detector_info, "condition": "negatives", "seed": seed}
        save_arrays(path, extract(items, detect), meta)
        written.append(path)
    return written
