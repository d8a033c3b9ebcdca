"""Users' own samples (``edge-train ... --extra DIR``): scan, split by session, load, export.

An extra folder holds one class folder per label, named exactly as the model's
labels (``0/`` .. ``9/`` for digits; ``rock/ paper/ scissors/ none/`` for hands), of
images named ``<session>__<n>.png`` as ``edge-capture`` writes them::

    my_digits/3/alice-desk__0001.png     # 28x28 grey model input (white ink on black)
    my_hands/paper/kitchen__0007.png     # the hands model's RGB input size

Other images are accepted too: a digit image that is not 28×28 is treated as a loose
photo crop and MNIST-normalised like ``edge-eval --crop`` does; hand photos of any
size are square-padded and resized like the gesture datasets.

**Held-out part** (``--extra-val-fraction F``): when the samples come from two or
more sessions (the prefix before ``__``), whole sessions, drawn in a seeded hash
order, go to validation until it holds about F of the samples (at least one session
is held out and at least one stays in training) — a new session is the honest test of "does it read *my*
handwriting". With one session (or names without ``__``) single samples are drawn
with a seeded permutation instead. The held-out samples are never trained on; their
accuracy is reported as ``extra_val`` in ``metrics.json``, the split is listed in the
run's ``extra_split.json``, and ``python -m train.extra_data export RUN --out DIR``
copies the held-out samples into class folders to compare bundles on them
(``edge-eval --model A --model B --images DIR --crop``).

**Mixing** (``--extra-ratio R``) into the training batches: :mod:`train.extra_mix`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.datasets import DatasetError
from train.pixels import to_uint8

log = logging.getLogger(__name__)

#: Labels of the digits models, in output order.
DIGIT_LABELS = tuple(str(d) for d in range(10))
#: Image suffixes read from extra class folders.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


@dataclass(frozen=True)
class ExtraSample:
    """One of the user's own labelled samples.

    Attributes:
        path: the image file.
        label: its class folder's name (one of the model's labels).
        source: the ``--extra`` folder's name.
        session: the file-name prefix before ``__`` (``""`` when there is none).
    """

    path: Path
    label: str
    source: str
    session: str


def session_of(stem: str) -> str:
    """The capture session of a file name without suffix: the part before ``__`` (or ``""``)."""
    return stem.split("__", 1)[0] if "__" in stem else ""


def scan_extra(dirs: Sequence[str | Path], labels: Sequence[str]) -> list[ExtraSample]:
    """The images of extra folders of class folders.

    Args:
        dirs: folders each holding class folders named by ``labels``.
        labels: the model's labels; every class folder must be one of them.

    Returns:
        Samples sorted by folder, class, file name.

    Raises:
        DatasetError: a folder is missing, has a class folder that is not a label
            (the message lists the expected names), or holds no images.
    """
    out: list[ExtraSample] = []
    for d in dirs:
        root = Path(d).expanduser()
        if not root.is_dir():
            raise DatasetError(
                f"--extra {d} does not exist; pass a folder of class folders "
                f"({', '.join(labels)}) of your samples, as edge-capture writes them"
            )
        subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        unknown = [p.name for p in subs if p.name not in labels]
        if unknown:
            raise DatasetError(
                f"--extra {d}: class folder(s) {unknown} are not labels of this model; "
                f"expected folders named {', '.join(labels)} (rename or move them)"
            )
        n0 = len(out)
        for sub in subs:
            for f in sorted(sub.iterdir()):
                if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES:
                    out.append(ExtraSample(f, sub.name, root.name, session_of(f.stem)))
        if len(out) == n0:
            raise DatasetError(
                f"--extra {d}: no images ({', '.join(IMAGE_SUFFIXES)}) in class folders; "
                f"expected e.g. {root / labels[0] / 'session__0001.png'}"
            )
    return out


def _rank(key: str, seed: int) -> str:
    return hashlib.sha1(f"{seed}:{key}".encode()).hexdigest()


def split_extra(
    samples: Sequence[ExtraSample],
    val_fraction: float,
    seed: int = 0,
) -> tuple[list[ExtraSample], list[ExtraSample], str]:
    """Hold out part of the extra samples, by session when there are several.

    Args:
        samples: from :func:`scan_extra`.
        val_fraction: target share held out, in [0, 0.9].
        seed: changes which sessions/samples are drawn (same seed, same split).

    Returns:
        (train, val, how) with ``how`` ``"session"``, ``"sample"`` or ``"none"``
        (``val_fraction`` 0 or fewer than 2 samples).

    Raises:
        ValueError: ``val_fraction`` out of range.
    """
    if not 0.0 <= val_fraction <= 0.9:
        raise ValueError(f"--extra-val-fraction must be in [0, 0.9], got {val_fraction}")
    samples = list(samples)
    if val_fraction == 0 or len(samples) < 2:
        return samples, [], "none"
    groups: dict[str, list[ExtraSample]] = {}
    for s in samples:
        groups.setdefault(f"{s.source}/{s.session}", []).append(s)
    target = val_fraction * len(samples)
    if len(groups) >= 2:
        order = sorted(groups, key=lambda g: _rank(g, seed))
        val: list[ExtraSample] = []
        for g in order[:-1]:  # the last session always stays in training
            if len(val) + len(groups[g]) / 2 < target:
                val.extend(groups[g])
        if not val:  # every session is bigger than the target: hold out the smallest
            val = list(groups[min(order, key=lambda g: len(groups[g]))])
        held = {id(s) for s in val}
        return [s for s in samples if id(s) not in held], val, "session"
    n_val = min(len(samples) - 1, max(1, int(round(target))))
    pick = set(np.random.default_rng(seed).permutation(len(samples))[:n_val].tolist())
    return (
        [s for i, s in enumerate(samples) if i not in pick],
        [s for i, s in enumerate(samples) if i in pick],
        "sample",
    )


def load_extra_digits(
    samples: Sequence[ExtraSample],
    labels: Sequence[str] = DIGIT_LABELS,
) -> tuple[np.ndarray, np.ndarray]:
    """Read digit samples as MNIST-like model inputs.

    A 28×28 image is taken as a model input (what ``edge-capture`` saves); if its
    border is brighter than its centre (dark ink on light paper) it is inverted. Any
    other size is a photo crop of one digit: it is MNIST-normalised by the device's
    :func:`edge.preprocess.mnist_normalise` (light-on-dark photos are inverted
    first); crops where no ink is found are skipped with a warning.

    Args:
        samples: digit samples.
        labels: class order of the returned indices.

    Returns:
        (uint8 (N, 28, 28) white ink on black 0..255, int64 (N,) label indices).

    Raises:
        DatasetError: an image cannot be read (names the file).
    """
    from edge.preprocess import mnist_normalise
    from train.pixels import light_on_dark

    index = {c: i for i, c in enumerate(labels)}
    xs: list[np.ndarray] = []
    ys: list[int] = []
    skipped: list[str] = []
    for s in samples:
        g = cv2.imread(str(s.path), cv2.IMREAD_GRAYSCALE)
        if g is None:
            raise DatasetError(f"cannot read image {s.path}: delete or replace the file")
        if g.shape == (28, 28):
            g = light_on_dark(g[None])[0]
        else:
            dark_ink = 255 - light_on_dark(g[None])[0]  # the device reads dark ink on light paper
            m = mnist_normalise(dark_ink)
            if m.max() <= 0:
                skipped.append(str(s.path))
                continue
            g = to_uint8(m * 255.0)
        xs.append(g)
        ys.append(index[s.label])
    if skipped:
        log.warning("no digit found in %d extra image(s), skipped: %s", len(skipped), ", ".join(skipped[:5]))
    if not xs:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    return np.stack(xs), np.asarray(ys, np.int64)


def load_extra_hands(
    samples: Sequence[ExtraSample],
    size: int,
    labels: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Read hand samples like the gesture datasets (square-padded, resized).

    Args:
        samples: hand samples.
        size: side of the returned squares, px.
        labels: class order of the returned indices.

    Returns:
        (uint8 (N, size, size, 3) **RGB**, int64 (N,) label indices).

    Raises:
        DatasetError: an image cannot be read.
    """
    from train.hand_data import HandSample
    from train.hand_images import load_images

    if not samples:
        return np.zeros((0, size, size, 3), np.uint8), np.zeros(0, np.int64)
    hs = [HandSample(s.path, s.label, f"extra/{s.source}", s.session) for s in samples]
    return load_images(hs, size, labels)


def session_counts(samples: Sequence[ExtraSample]) -> dict[str, int]:
    """``{"source/session": count}`` of samples (for ``metrics.json``)."""
    out: dict[str, int] = {}
    for s in samples:
        key = f"{s.source}/{s.session or '-'}"
        out[key] = out.get(key, 0) + 1
    return out


#: Written into the run folder: which extra samples were trained on and which held out.
SPLIT_FILE = "extra_split.json"


def write_split(out: str | Path, train: Sequence[ExtraSample], val: Sequence[ExtraSample], how: str) -> Path:
    """Record the extra samples' split as ``out/extra_split.json``: ``{"how", "train": [...],
    "val": [...]}``, each entry ``{"path", "label", "session"}`` (absolute paths)."""

    def rows(ss: Sequence[ExtraSample]) -> list[dict[str, str]]:
        return [{"path": str(Path(x.path).resolve()), "label": x.label, "session": x.session} for x in ss]

    p = Path(out) / SPLIT_FILE
    p.write_text(json.dumps({"how": how, "train": rows(train), "val": rows(val)}, indent=1) + "\n")
    return p


def export_split(run: str | Path, out: str | Path, split: str = "val") -> dict[str, int]:
    """Copy one part of a run's extra samples into ``out/<label>/`` (an ``edge-eval --images``
    folder), so bundles can be compared on exactly the samples the run held out.

    Existing files in ``out`` are never overwritten (a clash raises).

    Returns:
        ``{label: files copied}``.

    Raises:
        DatasetError: no ``extra_split.json`` in ``run`` (not an ``--extra`` run), a
            listed sample is gone, or a file of the same name already exists in ``out``.
        ValueError: ``split`` is not ``train`` or ``val``.
    """
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    f = Path(run) / SPLIT_FILE
    if not f.is_file():
        raise DatasetError(f"{f} not found: export works on runs trained with --extra")
    doc = json.loads(f.read_text())
    counts: dict[str, int] = {}
    for row in doc[split]:
        src = Path(row["path"])
        if not src.is_file():
            raise DatasetError(f"{src} (listed in {f}) no longer exists")
        dst = Path(out) / row["label"] / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(src, "rb") as a, open(dst, "xb") as b:
                shutil.copyfileobj(a, b)
        except FileExistsError as e:
            raise DatasetError(f"{dst} exists already; export into an empty folder") from e
        counts[row["label"]] = counts.get(row["label"], 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    """``python -m train.extra_data export RUN --out DIR [--split val|train]``."""
    import argparse

    p = argparse.ArgumentParser(
        prog="python -m train.extra_data",
        description="Copy the extra samples a run held out (or trained "
        "on) into class folders for edge-eval --images.",
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="copy a run's held-out extra samples into DIR/<label>/")
    e.add_argument("run", help="an edge-train run folder trained with --extra")
    e.add_argument("--out", required=True, help="folder to create (class folders inside)")
    e.add_argument("--split", choices=("val", "train"), default="val")
    a = p.parse_args(argv)
    try:
        counts = export_split(a.run, a.out, a.split)
    except (DatasetError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    total = sum(counts.values())
    print(
        f"copied {total} {a.split} samples into {a.out}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    return 0


__all__ = [
    "DIGIT_LABELS",
    "SPLIT_FILE",
    "ExtraSample",
    "export_split",
    "load_extra_digits",
    "load_extra_hands",
    "scan_extra",
    "session_counts",
    "session_of",
    "split_extra",
    "write_split",
]


if __name__ == "__main__":
    sys.exit(main())
