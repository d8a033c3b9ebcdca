"""Hand landmarks of the shared gesture photos, extracted once and cached.

``python -m train.landmark_data`` (or ``edge-train landmarks``, which calls it when a cache
is missing) runs the still-image hand detector (MediaPipe's palm detector and hand
landmark model through :mod:`edge`, see :func:`make_detector`) over every photo of
``<data>/<source>/<class>/*.jpg`` and writes one ``<source>.npz`` per source into the
cache folder (default ``runs/landmark-cache``), plus one ``stress-<condition>.npz`` per
camera stress condition (:mod:`train.camera_stress`) made from a seeded, class-balanced
subset of the photos. A cache file is rebuilt only when missing (``--force`` redoes it);
the training extras (camera-degraded copies, negatives) are in :mod:`train.landmark_extra_data`.

Every ``.npz`` holds, for N photos (the best hand of each photo; ``found`` is False where
no hand was found, and the hand fields are NaN/zero there):

==============  ===========================  =============================================
key             dtype, shape                 meaning
==============  ===========================  =============================================
files           str (N,)                     ``<class>/<name>.jpg`` within the source
source          str (N,)                     source folder name
label           str (N,)                     class folder name
person          str (N,)                     person/session group (``rps/README.md``)
found           bool (N,)                    a hand was found
landmarks       float32 (N, 21, 3)           x, y, z in pixels of the (transformed) photo
handedness      float32 (N,)                 the landmark model's score of a right hand
presence        float32 (N,)                 the landmark model's hand presence in [0, 1]
palm_score      float32 (N,)                 the palm detector's score in [0, 1]; -1: fallback
embedding       float32 (N, E)               the landmark model's penultimate tensor (E may be 0)
crop            uint8 (N, 64, 64, 3)         the aligned hand crop, RGB (zeros if none)
size            int32 (N, 2)                 (width, height) of the photo fed (px)
meta            str ()                       JSON: detector, condition, seed, version
==============  ===========================  =============================================

The photos are third-party data: the cache stays under ``runs/`` (never committed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from train.camera_stress import CONDITIONS

log = logging.getLogger(__name__)

LABELS = ("rock", "paper", "scissors", "none")
CACHE_VERSION = 1
CROP_SIDE = 64
DEFAULT_CACHE = Path("runs/landmark-cache")
#: Person/session of a file name, per source (``rps/README.md``'s splitting advice); any
#: other source is one group.
GROUP_RULES = {"github-webcam-rps": r"^(.*?)__", "subhih-handsdataset": r"^(.*?)_pic"}
#: Stress photos per class and source (seeded choice).
STRESS_PER_CLASS = 30
#: Where the whole-frame condition takes its scenes: empty rooms of this source's none/.
SCENE_SOURCE = "github-webcam-rps"


@dataclass(frozen=True)
class HandRecord:
    """The best hand a still-image detector found in one photo.

    Attributes:
        landmarks: float32 (21, 3) x, y, z in pixels of the photo.
        handedness: score in [0, 1] that it is a right hand.
        presence: the landmark model's hand presence in [0, 1].
        palm_score: the palm detector's score in [0, 1] (1.0 if none was run).
        embedding: float32 (E,) penultimate features of the landmark model, or None.
        crop: uint8 (S, S, 3) RGB aligned hand crop (any S), or None.
    """

    landmarks: np.ndarray
    handedness: float
    presence: float
    palm_score: float
    embedding: np.ndarray | None = None
    crop: np.ndarray | None = None


#: A still-image detector: uint8 (H, W, 3) BGR photo -> its best hand, or None.
Detector = Callable[[np.ndarray], HandRecord | None]


def person_of(source: str, name: str) -> str:
    """The person/session group of a photo: ``<source>/<prefix>`` or ``<source>``."""
    rule = GROUP_RULES.get(source)
    m = re.match(rule, name) if rule else None
    return f"{source}/{m.group(1)}" if m else source


def list_photos(root: Path, source: str) -> list[tuple[Path, str]]:
    """``(path, label)`` of every ``.jpg``/``.png`` in ``root/source/<label>/``, sorted."""
    out = []
    for label in LABELS:
        d = root / source / label
        if d.is_dir():
            out += [(p, label) for p in sorted(d.iterdir()) if p.suffix.lower() in (".jpg", ".png")]
    return out


def list_sources(root: Path) -> list[str]:
    """Source folders of ``root`` (those holding at least one class folder), sorted."""
    if not root.is_dir():
        raise ValueError(
            f"no gesture data at {root}: pass --data DIR (a folder of <source>/<class>/ "
            "photos, e.g. ../shared/data/rps)"
        )
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any((p / c).is_dir() for c in LABELS))


def rng_for(*keys: str) -> np.random.Generator:
    h = hashlib.sha256("|".join(keys).encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "little"))


def extract(
    items: Sequence[tuple[np.ndarray, str, str, str]], detect: Detector, every: int = 500
) -> dict[str, np.ndarray]:
    """Run ``detect`` over images and gather the cache arrays (see the module doc).

    Args:
        items: ``(uint8 BGR image, source, "<label>/<name>", label)`` tuples.
        detect: the still-image detector.
        every: log progress every this many images.

    Returns:
        The arrays of the module doc (without ``meta``).
    """
    n = len(items)
    lm = np.full((n, 21, 3), np.nan, np.float32)
    hand, pres, palm = np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32)
    found = np.zeros(n, bool)
    crops = np.zeros((n, CROP_SIDE, CROP_SIDE, 3), np.uint8)
    size = np.zeros((n, 2), np.int32)
    emb: list[np.ndarray | None] = [None] * n
    t0 = time.monotonic()
    for i, (img, _src, _name, _label) in enumerate(items):
        size[i] = (img.shape[1], img.shape[0])
        r = detect(img)
        if r is not None:
            found[i] = True
            lm[i] = r.landmarks
            hand[i], pres[i], palm[i] = r.handedness, r.presence, r.palm_score
            emb[i] = None if r.embedding is None else np.asarray(r.embedding, np.float32).reshape(-1)
            if r.crop is not None and r.crop.size:
                crops[i] = cv2.resize(r.crop, (CROP_SIDE, CROP_SIDE), interpolation=cv2.INTER_AREA)
        if every and (i + 1) % every == 0:
            log.info("%d/%d images, %.1f ms each", i + 1, n, 1000 * (time.monotonic() - t0) / (i + 1))
    dims = {len(e) for e in emb if e is not None}
    e_dim = dims.pop() if len(dims) == 1 else 0
    embedding = np.zeros((n, e_dim), np.float32)
    for i, e in enumerate(emb):
        if e is not None and e_dim:
            embedding[i] = e
    return {
        "files": np.asarray([it[2] for it in items]),
        "source": np.asarray([it[1] for it in items]),
        "label": np.asarray([it[3] for it in items]),
        "person": np.asarray([person_of(it[1], it[2].split("/")[-1]) for it in items]),
        "found": found,
        "landmarks": lm,
        "handedness": hand,
        "presence": pres,
        "palm_score": palm,
        "embedding": embedding,
        "crop": crops,
        "size": size,
    }


def save_arrays(path: Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part.npz")
    np.savez_compressed(str(tmp), meta=np.asarray(json.dumps(meta)), **arrays)
    tmp.replace(path)  # never a half-written cache file


def read_photo(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"cannot read image {path}")
    return img


def stress_subset(
    root: Path, sources: Sequence[str], per_class: int, seed: int
) -> list[tuple[Path, str, str]]:
    """A seeded class-balanced choice of ``(path, source, label)``: ``per_class`` per class and source."""
    chosen = []
    for src in sources:
        photos = list_photos(root, src)
        for label in LABELS:
            paths = [p for p, lab in photos if lab == label]
            rng = rng_for(str(seed), src, label)
            for i in sorted(rng.permutation(len(paths))[:per_class]):
                chosen.append((paths[i], src, label))
    return chosen


def build_cache(
    root: Path,
    out: Path,
    detect: Detector,
    detector_info: dict,
    *,
    sources: Sequence[str] | None = None,
    stress: bool = True,
    originals: bool = True,
    per_class: int = STRESS_PER_CLASS,
    seed: int = 0,
    force: bool = False,
) -> list[Path]:
    """Extract and cache every source (and the stress set) that is not cached yet.

    Args:
        root: the gesture collection (``<source>/<class>/*.jpg``).
        out: the cache folder.
        detect: the still-image detector.
        detector_info: JSON-ready description of the detector (kept in ``meta``).
        sources: source names (default: all of ``root``).
        stress: build the stress set.
        originals: build the per-source caches.
        per_class: stress photos per class and source.
        seed: seed of the stress subset and transforms.
        force: rebuild existing cache files.

    Returns:
        The cache files written.
    """
    sources = list(sources) if sources else list_sources(root)
    written = []
    for src in sources if originals else []:
        path = out / f"{src}.npz"
        if path.is_file() and not force:
            continue
        photos = list_photos(root, src)
        log.info("extracting %s: %d photos", src, len(photos))
        items = [(read_photo(p), src, f"{lab}/{p.name}", lab) for p, lab in photos]
        meta = {"version": CACHE_VERSION, "detector": detector_info, "condition": "original"}
        save_arrays(path, extract(items, detect), meta)
        written.append(path)
    if not stress:
        return written
    subset = stress_subset(root, sources, per_class, seed)
    scenes = (
        [p for p, lab in list_photos(root, SCENE_SOURCE) if lab == "none"]
        if (root / SCENE_SOURCE).is_dir()
        else []
    )
    for cond, fn in CONDITIONS.items():
        path = out / f"stress-{cond}.npz"
        if path.is_file() and not force:
            continue
        items = []
        for p, src, lab in subset:
            rng = rng_for(str(seed), cond, src, p.name)
            img = read_photo(p)
            if cond == "in_frame":
                scene = read_photo(scenes[int(rng.integers(len(scenes)))]) if scenes else None
                img = fn(img, rng, scene)
            else:
                img = fn(img, rng)
            items.append((img, src, f"{lab}/{p.name}", lab))
        log.info("stress %s: %d photos", cond, len(items))
        meta = {
            "version": CACHE_VERSION,
            "detector": detector_info,
            "condition": cond,
            "seed": seed,
            "per_class": per_class,
        }
        save_arrays(path, extract(items, detect), meta)
        written.append(path)
    return written


#: Camera transforms used as *training* augmentation (``aug-<source>.npz``), with other seeds
#: than the stress set; sideways is left out (the features are rotation invariant).
def load_cache(path: Path) -> dict[str, np.ndarray]:
    """The arrays of one cache file (``meta`` parsed into a dict under ``"meta"``).

    Raises:
        ValueError: the file is missing or from another cache version.
    """
    if not Path(path).is_file():
        raise ValueError(f"no landmark cache at {path}: run python -m train.landmark_data first")
    with np.load(path, allow_pickle=False) as z:
        d = {k: z[k] for k in z.files}
    meta = json.loads(str(d.pop("meta")))
    if meta.get("version") != CACHE_VERSION:
        raise ValueError(
            f"{path} is cache version {meta.get('version')}, this code reads "
            f"{CACHE_VERSION}: rebuild it with --force"
        )
    d["meta"] = meta  # type: ignore[assignment]
    return d


def make_detector(variant: str = "full") -> tuple[Detector, dict]:
    """The still-image hand detector of :mod:`edge` (palm detector + landmark model) as a
    :data:`Detector`, and its description."""
    from train.landmark_detector import edge_detector

    return edge_detector(variant)


def main(argv: list[str] | None = None) -> int:
    from train.landmark_extra_data import build_augment_cache, build_negative_cache

    """``python -m train.landmark_data [--data DIR] [--out DIR] [--no-stress] [--force]``."""
    p = argparse.ArgumentParser(
        prog="python -m train.landmark_data",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--data", type=Path, default=Path("../shared/data/rps"), help="gesture collection")
    p.add_argument("--out", type=Path, default=DEFAULT_CACHE, help="cache folder")
    p.add_argument(
        "--variant",
        default="full",
        choices=("full", "lite", "full/lite"),
        help="MediaPipe model variant (full/lite: full palm detector, lite landmarks)",
    )
    p.add_argument("--source", action="append", default=None, help="only this source (repeatable)")
    p.add_argument("--no-stress", dest="stress", action="store_false", help="skip the stress set")
    p.add_argument("--stress-only", dest="originals", action="store_false", help="only the stress set")
    p.add_argument("--per-class", type=int, default=STRESS_PER_CLASS, help="stress photos per class/source")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="rebuild existing cache files")
    p.add_argument(
        "--negatives",
        type=int,
        default=0,
        metavar="N",
        help="also build neg-<source>.npz: N tile-shuffled photos per source, labelled none",
    )
    p.add_argument(
        "--augment",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="also build aug-<source>.npz from this share of the photos, camera-degraded",
    )
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        detect, info = make_detector(a.variant)
        files = build_cache(
            a.data,
            a.out,
            detect,
            info,
            sources=a.source,
            stress=a.stress,
            originals=a.originals,
            per_class=a.per_class,
            seed=a.seed,
            force=a.force,
        )
        if a.negatives > 0:
            files += build_negative_cache(
                a.data,
                a.out,
                detect,
                info,
                sources=a.source,
                per_source=a.negatives,
                seed=2000 + a.seed,
                force=a.force,
            )
        if a.augment > 0:
            files += build_augment_cache(
                a.data,
                a.out,
                detect,
                info,
                sources=a.source,
                fraction=a.augment,
                seed=1000 + a.seed,
                force=a.force,
            )
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{len(files)} cache files written to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
