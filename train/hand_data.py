"""Gesture datasets: folders of class folders, grouped by person, split without leaks.

A *source* is a folder of class folders (``rock/``, ``paper/``, ``scissors/`` and
optionally ``none/``) of photos; a *collection* is a folder of sources, like
``../shared/data/rps``. Photos of one person or session are near-duplicates, so
splits are made over *groups* (people, sessions, videos), never over single images:

- ``github-webcam-rps``: the file-name prefix before ``__`` (one repo = one person);
- ``subhih-handsdataset``: the session prefix before ``_pic``;
- ``kaggle-drgfreeman-rps-cv`` (the green-screen studio set, one person): every photo
  is its own group, so the held-out green-screen split is an image-level split of
  that one setup (what "a held-out split of the green-screen set" means);
- any other source: the prefix before ``__`` if the names have one (the form
  ``edge-run``'s snapshots and :func:`capture_name` use, ``<session>__<n>.jpg``),
  else the whole source is one group (the advice of ``rps/README.md`` for the small
  sources whose people cannot be told apart).

TFDS ``rock_paper_scissors`` (for users who have it) is read through
``tensorflow_datasets`` when installed (:func:`train.hand_images.load_tfds`), or as a folder: its
archives ``rps.zip`` and ``rps-test-set.zip`` unpack to folders of class folders.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from edge.datasets import DatasetError

log = logging.getLogger(__name__)

#: Class labels in output-index order of the hands models.
HAND_LABELS = ("rock", "paper", "scissors", "none")
#: Photo suffixes read from class folders.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
#: The green-screen studio source (its photos are composited onto new backgrounds).
GREEN_SCREEN_SOURCES = ("kaggle-drgfreeman-rps-cv",)
#: Per-source rules for the group (person/session) of a file name: regex with one group.
GROUP_RULES = {
    "github-webcam-rps": r"^(.*?)__",
    "subhih-handsdataset": r"^(.*?)_pic",
}
_PER_IMAGE_SOURCES = GREEN_SCREEN_SOURCES


@dataclass(frozen=True)
class HandSample:
    """One labelled photo.

    Attributes:
        path: the image file.
        label: class name (one of :data:`HAND_LABELS`).
        source: name of the source folder it came from.
        group: person/session id within the source (see the module docstring).
    """

    path: Path
    label: str
    source: str
    group: str

    @property
    def group_key(self) -> str:
        """``source/group``: unique over a collection."""
        return f"{self.source}/{self.group}"


def group_of(source: str, stem: str) -> str:
    """The person/session group of a photo (see the module docstring).

    Args:
        source: source folder name.
        stem: file name without suffix.

    Returns:
        A group id; photos with the same id are kept on one side of every split.
    """
    rule = GROUP_RULES.get(source)
    if rule is not None:
        m = re.match(rule, stem)
        return m.group(1) if m else ""
    if source in _PER_IMAGE_SOURCES:
        return stem
    if "__" in stem:
        return stem.split("__", 1)[0]
    return ""


def capture_name(session: str, index: int, suffix: str = ".jpg") -> str:
    """File name for a user-captured sample, ``<session>__<index>.jpg``, so its
    session stays one group in splits."""
    if "__" in session or "/" in session:
        raise ValueError(f"session name {session!r} must not contain '__' or '/'")
    return f"{session}__{index:05d}{suffix}"


def _is_source(folder: Path) -> bool:
    return any((folder / c).is_dir() for c in HAND_LABELS)


def scan_source(
    folder: str | Path, name: str | None = None, labels: Sequence[str] = HAND_LABELS
) -> list[HandSample]:
    """The labelled photos of one folder of class folders.

    Args:
        folder: holds ``rock/``, ``paper/``, ``scissors/`` and optionally ``none/``
            (other sub-folders are ignored with a warning).
        name: source name used for grouping; default: the folder's name.
        labels: accepted class folder names.

    Returns:
        Samples sorted by class then file name.

    Raises:
        DatasetError: the folder is missing or holds no class folder with photos.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(
            f"gesture folder {folder} does not exist: pass a folder with rock/, "
            "paper/, scissors/ (and optionally none/) sub-folders of photos"
        )
    name = name or folder.name
    out: list[HandSample] = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        if sub.name not in labels:
            log.warning("ignoring %s: not a class folder (%s)", sub, ", ".join(labels))
            continue
        for f in sorted(sub.iterdir()):
            if f.suffix.lower() in IMAGE_SUFFIXES:
                out.append(HandSample(f, sub.name, name, group_of(name, f.stem)))
    if not out:
        raise DatasetError(
            f"no photos in class folders {', '.join(labels)} under {folder}; "
            "expected e.g. rock/*.jpg, paper/*.jpg, scissors/*.jpg"
        )
    return out


def scan_collection(
    roots: Iterable[str | Path], labels: Sequence[str] = HAND_LABELS, exclude: Sequence[str] = ()
) -> list[HandSample]:
    """The photos of several sources.

    Args:
        roots: each a source (folder of class folders) or a collection (folder of
            sources, like ``../shared/data/rps``).
        labels: accepted class folder names.
        exclude: source names to leave out.

    Returns:
        All samples, source by source.

    Raises:
        DatasetError: a root is missing or holds no photos.
    """
    out: list[HandSample] = []
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            raise DatasetError(
                f"gesture data folder {root} does not exist; pass --data DIR with "
                "class folders (rock/ paper/ scissors/ [none/]) or a folder of such folders"
            )
        sources = (
            [root] if _is_source(root) else sorted(p for p in root.iterdir() if p.is_dir() and _is_source(p))
        )
        if not sources:
            raise DatasetError(
                f"{root} holds neither class folders ({', '.join(labels)}) nor source folders that do"
            )
        for s in sources:
            if s.name in exclude:
                continue
            out.extend(scan_source(s, labels=labels))
    if not out:
        raise DatasetError("no gesture photos found (all sources excluded?)")
    return out


def _rank(key: str, seed: int) -> str:
    return hashlib.sha1(f"{seed}:{key}".encode()).hexdigest()


def split_by_group(
    samples: Sequence[HandSample],
    val_fraction: float = 0.15,
    *,
    holdout_sources: Sequence[str] = (),
    seed: int = 0,
) -> dict[str, list[HandSample]]:
    """Split into train / val (/ test) so no group straddles two sides.

    Within each source the groups are ordered by a seeded hash and whole groups go
    to validation until it holds about ``val_fraction`` of the source's photos (a
    source with one group stays in training). Sources in ``holdout_sources`` go
    entirely to ``test``: the closest thing here to "other people, other cameras".

    Args:
        samples: from :func:`scan_collection`.
        val_fraction: target share of each source's photos in validation, in [0, 0.9].
        holdout_sources: source names held out whole as the test split.
        seed: changes which groups are drawn.

    Returns:
        ``{"train": [...], "val": [...], "test": [...]}`` (lists may be empty).

    Raises:
        ValueError: ``val_fraction`` out of range or an unknown hold-out source.
    """
    if not 0.0 <= val_fraction <= 0.9:
        raise ValueError(f"val_fraction must be in [0, 0.9], got {val_fraction}")
    known = {s.source for s in samples}
    unknown = set(holdout_sources) - known
    if unknown:
        raise ValueError(f"hold-out source(s) {sorted(unknown)} not in the data; sources: {sorted(known)}")
    out: dict[str, list[HandSample]] = {"train": [], "val": [], "test": []}
    by_source: dict[str, dict[str, list[HandSample]]] = defaultdict(lambda: defaultdict(list))
    for s in samples:
        by_source[s.source][s.group].append(s)
    for source, groups in by_source.items():
        if source in holdout_sources:
            out["test"].extend(x for g in groups.values() for x in g)
            continue
        total = sum(len(g) for g in groups.values())
        target = val_fraction * total
        n_val = 0
        order = sorted(groups, key=lambda g: _rank(f"{source}/{g}", seed))
        for i, g in enumerate(order):
            # Keep at least one group in training; stop once the target is reached.
            to_val = len(groups) > 1 and i < len(order) - 1 and n_val + len(groups[g]) / 2 < target
            out["val" if to_val else "train"].extend(groups[g])
            n_val += len(groups[g]) if to_val else 0
    return out


def count_report(splits: dict[str, Sequence[HandSample]], labels: Sequence[str] = HAND_LABELS) -> str:
    """A per-source and per-class count table of each split, with group counts.

    Args:
        splits: ``{"train": samples, ...}`` (as :func:`split_by_group` returns).
        labels: class columns, in order.

    Returns:
        Plain text, one table per split and a total line each.
    """
    lines: list[str] = []
    for name, samples in splits.items():
        if not samples:
            continue
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        groups: dict[str, set[str]] = defaultdict(set)
        for s in samples:
            counts[s.source][s.label] += 1
            groups[s.source].add(s.group)
        w = max(len(k) for k in counts) + 2
        lines.append(f"{name}: {len(samples)} photos")
        lines.append("  " + "source".ljust(w) + "".join(f"{c:>9}" for c in labels) + "   groups")
        for src in sorted(counts):
            lines.append(
                "  "
                + src.ljust(w)
                + "".join(f"{counts[src][c]:>9}" for c in labels)
                + f"{len(groups[src]):>9}"
            )
        tot = Counter(s.label for s in samples)
        lines.append(
            "  "
            + "total".ljust(w)
            + "".join(f"{tot[c]:>9}" for c in labels)
            + f"{sum(len(g) for g in groups.values()):>9}"
        )
    return "\n".join(lines)


def export_split(
    split_json: str | Path,
    split: str,
    out: str | Path,
    sources: Sequence[str] = (),
    labels: Sequence[str] = HAND_LABELS,
) -> int:
    """Link the photos of one split of a run into a folder of class folders.

    ``edge-train hands`` writes ``split.json``; this turns its ``val`` (or ``test``)
    part into ``out/<class>/<source>__<file>`` symbolic links (copies where links are
    not possible), the layout ``edge-eval --images`` reads, so the held-out people
    can be scored with the exact shipped bundle.

    Args:
        split_json: ``split.json`` of a training run.
        split: ``"train"``, ``"val"`` or ``"test"``.
        out: folder to create.
        sources: keep only these sources (default: all).
        labels: class folders to create.

    Returns:
        The number of photos linked.

    Raises:
        ValueError: the split is not in the file or is empty after filtering.
    """
    import json
    import shutil

    rows = json.loads(Path(split_json).read_text()).get(split)
    if not rows:
        raise ValueError(f"{split_json} has no photos in split {split!r}")
    rows = [r for r in rows if not sources or r[2] in sources]
    if not rows:
        raise ValueError(f"no photos of sources {list(sources)} in split {split!r}")
    out = Path(out)
    for c in labels:
        if any(r[1] == c for r in rows):
            (out / c).mkdir(parents=True, exist_ok=True)
    for path, label, source, _group in rows:
        dst = out / label / f"{source}__{Path(path).name}"
        if dst.exists() or dst.is_symlink():
            dst.unlink()
        try:
            dst.symlink_to(Path(path).resolve())
        except OSError:
            shutil.copy2(path, dst)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m train.hand_data``: count report of folders, or export a run's split."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m train.hand_data", description=main.__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("counts", help="per-source, per-class counts of a person-level split")
    c.add_argument("data", nargs="+", help="folders of class folders, or of such folders")
    c.add_argument("--val-fraction", type=float, default=0.15)
    c.add_argument("--holdout-source", action="append", default=[])
    e = sub.add_parser("export", help="link a run's split into a folder for edge-eval --images")
    e.add_argument("split_json")
    e.add_argument("--split", default="val", choices=("train", "val", "test"))
    e.add_argument("--out", required=True)
    e.add_argument("--source", action="append", default=[], help="keep only this source (repeatable)")
    a = p.parse_args(argv)
    try:
        if a.cmd == "counts":
            splits = split_by_group(scan_collection(a.data), a.val_fraction, holdout_sources=a.holdout_source)
            print(count_report(splits))
        else:
            n = export_split(a.split_json, a.split, a.out, a.source)
            print(f"{n} photos linked under {a.out}")
    except (DatasetError, ValueError) as err:
        print(f"error: {err}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
