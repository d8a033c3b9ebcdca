"""Sample files: names (``<session>__<n>.png``), exclusive creation, and
:class:`SampleWriter`, which saves a sample and its raw crop both or neither.

Imports :mod:`edge.bundle` (``InputSpec``) and :mod:`edge.capture.crops`.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from edge.bundle import InputSpec
from edge.capture.crops import input_to_image

log = logging.getLogger(__name__)


#: Digits of the sample number in file names (``train.hand_data.capture_name`` uses 5).
INDEX_DIGITS = 5
#: Suffix of every file written.
SUFFIX = ".png"
_SESSION_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_session(session: str) -> str:
    """Validate a session name (the group prefix of file names).

    Raises:
        ValueError: empty, containing ``__`` or a character other than letters, digits,
            ``.``, ``_``, ``-``, or not starting with a letter or digit.
    """
    if not _SESSION_OK.match(session or "") or "__" in session:
        raise ValueError(
            f"session name {session!r} must start with a letter or digit and hold only "
            "letters, digits, '.', '_', '-' and no '__' (e.g. --session alice-desk)"
        )
    return session


def default_session() -> str:
    """``s<YYYYmmdd-HHMMSS>`` of now (local time)."""
    return time.strftime("s%Y%m%d-%H%M%S")


def sample_name(session: str, index: int) -> str:
    """``<session>__<index:05d>.png``: ``train.hand_data.capture_name(session, index, ".png")``.

    Raises:
        ValueError: a bad session name (:func:`check_session`) or ``index < 0``.
    """
    if index < 0:
        raise ValueError(f"sample index must be >= 0, got {index}")
    return f"{check_session(session)}__{index:0{INDEX_DIGITS}d}{SUFFIX}"


def highest_index(folder: Path, session: str) -> int:
    """The highest sample number of ``session`` in ``folder`` (0 when there is none)."""
    if not folder.is_dir():
        return 0
    pat = re.compile(rf"^{re.escape(session)}__(\d+){re.escape(SUFFIX)}$")
    best = 0
    for p in folder.iterdir():
        m = pat.match(p.name)
        if m:
            best = max(best, int(m.group(1)))
    return best


def count_samples(folder: Path) -> int:
    """Number of ``*.png`` files directly in ``folder`` (0 when it does not exist)."""
    return sum(1 for _ in folder.glob(f"*{SUFFIX}")) if folder.is_dir() else 0


def write_exclusive(path: Path, data: bytes) -> bool:
    """Create ``path`` holding ``data``, only if it does not exist yet.

    The bytes go to a hidden temporary file in the same folder first, which is then
    hard-linked to ``path`` (``link`` fails when the name exists, atomically, so two
    processes cannot both take it, and ``path`` never appears half-written). Where
    hard links are not supported (some FAT or network file systems), ``path`` is
    created with ``O_CREAT | O_EXCL`` and removed again if writing fails.

    Args:
        path: the final file name.
        data: the whole file.

    Returns:
        ``True`` if written, ``False`` if ``path`` already existed (it is untouched).

    Raises:
        OSError: the folder is not writable, the disk is full, ...
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
        log.debug("no hard links in %s; exclusive create", path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return True
    finally:
        tmp.unlink(missing_ok=True)


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8 (H, W) or (H, W, 3) BGR image (``cv2.imencode``).

    Raises:
        ValueError: OpenCV cannot encode it.
    """
    ok, buf = cv2.imencode(SUFFIX, image)
    if not ok:
        raise ValueError(f"cannot encode a {image.dtype} {image.shape} image as PNG")
    return buf.tobytes()


@dataclass(frozen=True)
class SavedSample:
    """One sample written: its label, the normalised sample and the raw crop (or ``None``)."""

    label: str
    sample: Path
    raw: Path | None


@dataclass
class SampleWriter:
    """Writes normalised samples and raw crops into class folders, never overwriting.

    Args:
        out: the capture folder ``DIR``: ``DIR/<label>/<session>__<n>.png``.
        raw_out: the raw-crop folder (``RAW/<label>/...``), or ``None`` to save no raw crops.
        labels: the bundle's labels (only these may be saved).
        spec: the bundle's input spec (the saved samples' size, channels, range).
        session: the file-name prefix (:func:`check_session`).

    Raises:
        ValueError: a bad session name, a label that cannot be a folder name, or
            ``raw_out`` equal to or inside ``out``.
    """

    out: Path
    raw_out: Path | None
    labels: tuple[str, ...]
    spec: InputSpec
    session: str
    saved: dict[str, list[SavedSample]] = field(default_factory=dict)
    before: dict[str, int] = field(default_factory=dict)
    _next: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.out = Path(self.out).expanduser()
        check_session(self.session)
        if self.raw_out is not None:
            self.raw_out = Path(self.raw_out).expanduser()
            o, r = self.out.resolve(), self.raw_out.resolve()
            if r == o or o in r.parents:
                raise ValueError(
                    f"raw crops must not go inside the capture folder {self.out} (a class-"
                    "folder reader would mix them with the samples); use another --raw-out"
                )
        self.labels = tuple(self.labels)
        bad = [lab for lab in self.labels if not lab or lab.startswith(".") or any(c in lab for c in "/\\")]
        if bad:
            raise ValueError(f"labels {bad} cannot be folder names; fix the bundle's labels.txt")
        self.before = {lab: count_samples(self.out / lab) for lab in self.labels}

    def folder(self, label: str) -> Path:
        """``DIR/<label>``."""
        return self.out / label

    def count(self, label: str) -> int:
        """Samples of ``label`` in its folder now (those there before plus those saved)."""
        return self.before.get(label, 0) + len(self.saved.get(label, []))

    @property
    def total_saved(self) -> int:
        return sum(len(v) for v in self.saved.values())

    def save(self, label: str, model_input: np.ndarray, crop: np.ndarray | None) -> SavedSample:
        """Save one sample (and its raw crop) under the next free number.

        Args:
            label: one of the bundle's labels.
            model_input: float32 (H, W, C) model input (:func:`input_to_image` converts it);
                for a feature-vector bundle (``hand-landmarks``) the hand photo, uint8
                (h, w, 3) BGR (:func:`edge.capture.crops.hand_photo`), saved as it is.
            crop: uint8 (h, w, 3) BGR raw crop, or ``None`` (only without ``raw_out``).

        Returns:
            What was written.

        Raises:
            ValueError: ``label`` is not one of the bundle's labels, or a bad input.
            OSError: the folder cannot be created or written.
        """
        if label not in self.labels:
            raise ValueError(f"label {label!r} is not one of this model's labels {list(self.labels)}")
        if self.spec.is_vector:
            if model_input.dtype != np.uint8 or model_input.ndim != 3:
                raise ValueError(
                    f"a {self.spec.shape} feature-vector bundle saves hand photos: pass a uint8 "
                    f"(h, w, 3) BGR image, got {model_input.dtype} {model_input.shape}"
                )
            sample_bytes = encode_png(model_input)
        else:
            sample_bytes = encode_png(input_to_image(model_input, self.spec))
        raw_bytes = encode_png(crop) if self.raw_out is not None and crop is not None else None
        folder = self.folder(label)
        raw_folder = self.raw_out / label if self.raw_out is not None else None
        folder.mkdir(parents=True, exist_ok=True)
        if raw_folder is not None:
            raw_folder.mkdir(parents=True, exist_ok=True)
        i = self._next.get(label)
        if i is None:
            i = 1 + max(
                highest_index(folder, self.session),
                highest_index(raw_folder, self.session) if raw_folder else 0,
            )
        while True:
            name = sample_name(self.session, i)
            i += 1
            path = folder / name
            if not write_exclusive(path, sample_bytes):
                continue  # taken (another capture running, or a file left from before)
            raw_path = None
            if raw_folder is not None and raw_bytes is not None:
                raw_path = raw_folder / name
                try:
                    ok = write_exclusive(raw_path, raw_bytes)
                except BaseException:
                    path.unlink(missing_ok=True)  # both or neither
                    raise
                if not ok:  # a stray raw crop of that name: leave it, take the next number
                    path.unlink(missing_ok=True)
                    continue
            break
        self._next[label] = i
        s = SavedSample(label, path, raw_path)
        self.saved.setdefault(label, []).append(s)
        return s

    def summary(self) -> list[str]:
        """Lines for the end of a run: per class, samples saved now and in the folder."""
        lines = [
            f"saved {self.total_saved} sample{'' if self.total_saved == 1 else 's'} "
            f"(session {self.session}) in {self.out}"
            + (f", raw crops in {self.raw_out}" if self.raw_out is not None else "")
        ]
        width = max((len(lab) for lab in self.labels), default=1)
        for lab in self.labels:
            new = self.saved.get(lab, [])
            if not new and not self.before.get(lab):
                continue
            names = (
                (f" ({new[0].sample.name}" + (f" .. {new[-1].sample.name}" if len(new) > 1 else "") + ")")
                if new
                else ""
            )
            lines.append(f"  {lab:>{width}}: +{len(new)}{names}, {self.count(lab)} in {self.folder(lab)}")
        return lines
