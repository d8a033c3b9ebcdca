"""Save your own labelled samples from the live loop: what ``edge-capture`` does.

Layout of a capture folder ``DIR`` (``--out``) and its raw twin ``RAW`` (``--raw-out``,
default ``DIR-raw`` beside it)::

    DIR/<label>/<session>__00001.png   the normalised sample: the exact model input
                                       the preprocessor made (28x28 grey, white ink on
                                       black, for digits; the hands model's 64x64
                                       colour crop for hands), as a uint8 PNG
    RAW/<label>/<session>__00001.png   the raw crop of the same detection: the ROI of the
                                       original BGR frame with the margin the
                                       preprocessor adds around it

``DIR`` is a folder of class folders holding only normalised samples (nothing else
is written under it, so neither a ``DIR/<label>/*.png`` glob nor a recursive reader
picks up raw crops); ``RAW`` is a folder of class folders of photos, which
``edge-eval --images RAW --crop`` and ``edge-train hands --data`` read as they are.
A sample and its raw crop have the same file name.

File names are ``<session>__<n>.png`` (``n`` five digits from 00001), the form of
``train.hand_data.capture_name``: the part before ``__`` groups a session's samples
on one side of a train/validation split. Samples are never overwritten: numbering
continues after the session's highest number in the folder, and each file is created
exclusively (written to a temporary name, then hard-linked to its final name, which
fails if the name exists), so two captures running at once cannot take the same name.
A sample and its raw crop are saved both or neither.

The pure parts (the key map, :func:`decide` mapping a key and the current detection
to an action) are tested with simulated keys; the window and the loop live in
:mod:`edge.cli_capture`.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from edge.bundle import InputSpec
from edge.types import ROI

log = logging.getLogger(__name__)

#: Key codes that quit (``q``, ``Q``, Esc); no label may use them.
QUIT_KEYS = frozenset({ord("q"), ord("Q"), 27})
#: What a key reader returns when no key was pressed.
NO_KEY = -1
#: Which detections of a frame are saved: the largest ROI, or every ROI.
TAKE_MODES = ("largest", "all")
#: Digits of the sample number in file names (``train.hand_data.capture_name`` uses 5).
INDEX_DIGITS = 5
#: Suffix of every file written.
SUFFIX = ".png"
#: Margin of a digit's raw crop: this fraction of the ROI's longer side, plus
#: :data:`DIGIT_MARGIN_PX`, on every side (clipped to the frame): the window
#: ``edge.preprocess.mnist_normalise`` reads around a digit ROI.
DIGIT_MARGIN = 0.2
DIGIT_MARGIN_PX = 2
_SESSION_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# -- keys (pure) ------------------------------------------------------------------------
def parse_keys(spec: str) -> dict[str, str]:
    """Parse ``--keys``: ``"r=rock,p=paper"`` to ``{"r": "rock", "p": "paper"}``.

    Raises:
        ValueError: an entry is not ``KEY=LABEL`` with a one-character key.
    """
    out: dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key, sep, label = part.partition("=")
        if not sep or len(key) != 1 or not label:
            raise ValueError(f"bad --keys entry {part!r}: write KEY=LABEL with a one-character key, "
                             "e.g. --keys r=rock,p=paper,s=scissors,n=none")
        out[key] = label
    return out


def key_map(labels: Sequence[str], keys: Mapping[str, str] | None = None) -> dict[int, str]:
    """Key codes that save a sample of each label.

    By default each label's key is its first character, lower-cased (``0``..``9`` for
    digits; ``r``, ``p``, ``s``, ``n`` for rock, paper, scissors, none); the upper-case
    letter works too (Caps Lock). ``keys`` overrides the key of the labels it names.

    Args:
        labels: the bundle's labels, in output order.
        keys: optional ``{key character: label}`` (see :func:`parse_keys`).

    Returns:
        ``{key code: label}``, e.g. ``{ord("r"): "rock", ord("R"): "rock", ...}``.

    Raises:
        ValueError: two labels would share a key, a key is ``q``/Esc (quit) or not a
            printable ASCII character, or ``keys`` names a label the bundle does not
            have. The message says how to choose keys with ``--keys``.
    """
    labels = list(labels)
    chosen: dict[str, str] = {}
    if keys:
        for lab in keys.values():
            if lab not in labels:
                raise ValueError(f"--keys names {lab!r}, which is not a label of this model "
                                 f"{labels}")
        by_label = {lab: k for k, lab in keys.items()}
    else:
        by_label = {}
    for lab in labels:
        k = by_label.get(lab, lab[:1].lower())
        if len(k) != 1 or not (k.isascii() and k.isprintable()) or k == " ":
            raise ValueError(f"label {lab!r} has no usable key ({k!r}); give one with --keys KEY={lab}")
        if ord(k) in QUIT_KEYS or ord(k.lower()) in QUIT_KEYS:
            raise ValueError(f"label {lab!r} would take the key {k!r}, which quits; give it another "
                             f"with --keys X={lab}")
        if k.lower() in {c.lower() for c in chosen}:
            other = next(v for c, v in chosen.items() if c.lower() == k.lower())
            raise ValueError(f"labels {other!r} and {lab!r} would both use the key {k!r}; choose keys "
                             f"with --keys, e.g. --keys "
                             + ",".join(f"{c}={v}" for c, v in _suggest(labels).items()))
        chosen[k] = lab
    out: dict[int, str] = {}
    for k, lab in chosen.items():
        out[ord(k.lower())] = lab
        out[ord(k.upper())] = lab
    return out


def _suggest(labels: Sequence[str]) -> dict[str, str]:
    """A collision-free key per label (first unused character of the label, else a digit)."""
    used: set[str] = {"q"}
    out: dict[str, str] = {}
    spare = iter("1234567890abcdefghijklmnoprstuvwxyz")
    for lab in labels:
        k = next((c for c in lab.lower() if c.isascii() and c.isalnum() and c not in used), None)
        while k is None or k in used:
            k = next(spare)
        used.add(k)
        out[k] = lab
    return out


def describe_keys(keymap: Mapping[int, str]) -> str:
    """One-line help for a key map, e.g. ``"r rock, p paper, s scissors, n none; q/Esc quit"``,
    or ``"0 1 2 3 4 5 6 7 8 9 save that label; q/Esc quit"`` when each key is its label."""
    pairs = {chr(c): lab for c, lab in keymap.items() if chr(c) == chr(c).lower()}
    if pairs and all(k == lab for k, lab in pairs.items()):
        return " ".join(pairs) + " save that label; q/Esc quit"
    return ", ".join(f"{k} {lab}" for k, lab in pairs.items()) + ("; " if pairs else "") + "q/Esc quit"


@dataclass(frozen=True)
class KeyAction:
    """What a key press means in the capture loop.

    Attributes:
        kind: ``"idle"`` (no key), ``"quit"``, ``"save"`` (save the current detection as
            ``label``), ``"no_detection"`` (a label key, but nothing is detected: nothing
            is saved) or ``"unknown"`` (a key with no meaning here).
        label: the label of ``"save"`` and ``"no_detection"``, else ``None``.
        key: the key code pressed (-1 for none).
    """

    kind: str
    label: str | None = None
    key: int = NO_KEY


def decide(key: int, keymap: Mapping[int, str], has_detection: bool) -> KeyAction:
    """Map a key code and whether a detection is on screen to an action (pure).

    Args:
        key: the code a key reader returned (``cv2.waitKey(...) & 0xFF``), or -1 (none).
        keymap: from :func:`key_map`.
        has_detection: whether the current frame has an ROI to save.

    Returns:
        The :class:`KeyAction`. Quit keys win over label keys (:func:`key_map`
        never gives them to a label).
    """
    if key is None or key < 0:
        return KeyAction("idle")
    if key in QUIT_KEYS:
        return KeyAction("quit", key=key)
    label = keymap.get(key)
    if label is None:
        return KeyAction("unknown", key=key)
    return KeyAction("save" if has_detection else "no_detection", label, key)


# -- what is saved ----------------------------------------------------------------------
def choose_rois(rois: Sequence[ROI], take: str = "largest") -> list[ROI]:
    """The ROIs of a frame to save.

    Args:
        rois: every ROI the segmenter found, in reading order.
        take: ``"largest"`` (the one of largest area; the first of equals) or ``"all"``.

    Returns:
        ``[]`` for no ROI; one ROI for ``"largest"``; ``rois`` for ``"all"``.

    Raises:
        ValueError: unknown ``take``.
    """
    if take not in TAKE_MODES:
        raise ValueError(f"take must be one of {TAKE_MODES}, got {take!r}")
    if not rois:
        return []
    if take == "all":
        return list(rois)
    return [max(rois, key=lambda r: r.area)]


def input_to_image(x: np.ndarray, spec: InputSpec) -> np.ndarray:
    """A model input as the uint8 image saved in a PNG.

    The value range maps linearly to 0..255 (``(x - lo) / (hi - lo) * 255``, rounded);
    an RGB input is converted to BGR so that ``cv2.imwrite`` stores its true colours
    (``cv2.imread`` gives it back in BGR, like any photo).

    Args:
        x: float32 (H, W, C) model input in ``spec.value_range``, colour order
            ``spec.colour_order`` (C = 1 for grey).
        spec: the bundle's input spec.

    Returns:
        uint8 (H, W) for grey, uint8 (H, W, 3) BGR for colour inputs.

    Raises:
        ValueError: ``x``'s shape is not the spec's (H, W, C).
    """
    x = np.asarray(x, np.float32)
    want = (spec.height, spec.width, spec.channels)
    if x.shape != want:
        raise ValueError(f"model input has shape {x.shape}, but the bundle expects {want}")
    lo, hi = spec.value_range
    img = np.clip((x - lo) * (255.0 / max(hi - lo, 1e-12)) + 0.5, 0, 255).astype(np.uint8)
    if spec.channels == 1:
        return np.ascontiguousarray(img[:, :, 0])
    return cv2.cvtColor(img, cv2.COLOR_RGB2BGR) if spec.colour_order == "RGB" else img


def image_to_input(img: np.ndarray, spec: InputSpec) -> np.ndarray:
    """The inverse of :func:`input_to_image`: a saved sample back to a model input.

    Args:
        img: uint8 (H, W) grey or (H, W, 3) BGR, as ``cv2.imread(path, cv2.IMREAD_UNCHANGED)``
            returns a saved sample.
        spec: the bundle's input spec.

    Returns:
        float32 (H, W, C) in ``spec.value_range`` and ``spec.colour_order`` (equal to the
        input that was saved within half a grey level: ``0.5 / 255 * (hi - lo)``).

    Raises:
        ValueError: the image's size or channels do not match the spec.
    """
    if img.dtype != np.uint8 or img.shape[:2] != (spec.height, spec.width):
        raise ValueError(f"sample is {img.dtype} {img.shape}, but the bundle's input is uint8 "
                         f"({spec.height}, {spec.width}) with {spec.channels} channel(s)")
    if img.ndim == 2:
        img = img[:, :, None]
    if img.shape[2] != spec.channels:
        raise ValueError(f"sample has {img.shape[2]} channel(s), the bundle's input {spec.channels}")
    if spec.colour_order == "RGB":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    lo, hi = spec.value_range
    x = img.astype(np.float32) * np.float32((hi - lo) / 255.0) + np.float32(lo)
    return x.reshape(spec.height, spec.width, spec.channels)


def raw_crop(image: np.ndarray, roi: ROI, preprocessor: object) -> np.ndarray:
    """The ROI of the original frame with the margin the preprocessor reads around it.

    - ``mnist-normalise`` (:class:`edge.preprocess.MnistPreprocessor`): the ROI grown by
      :data:`DIGIT_MARGIN` of its longer side plus :data:`DIGIT_MARGIN_PX` px on every
      side, clipped to the frame;
    - ``hand-crop`` and ``resize`` (anything with ``crop(image, roi)``): that crop,
      i.e. the square window about the hand ROI, edge-replicated where it leaves the
      frame (after the preprocessor's own ``margin``, if any);
    - anything else: the ROI itself.

    Args:
        image: uint8 (H, W, 3) BGR frame.
        roi: the detection's ROI in frame px.
        preprocessor: the pipeline's preprocessor.

    Returns:
        uint8 (h, w, 3) BGR crop (a copy).
    """
    from edge.preprocess import MnistPreprocessor

    H, W = image.shape[:2]
    if isinstance(preprocessor, MnistPreprocessor):
        pad = int(round(DIGIT_MARGIN * max(roi.w, roi.h, 1))) + DIGIT_MARGIN_PX
        x0, y0 = max(0, roi.x - pad), max(0, roi.y - pad)
        x1, y1 = min(W, roi.x + roi.w + pad), min(H, roi.y + roi.h + pad)
        return image[y0:y1, x0:x1].copy()
    crop = getattr(preprocessor, "crop", None)
    if callable(crop):
        margin = float(getattr(preprocessor, "margin", 0.0) or 0.0)
        return np.array(crop(image, roi.pad(margin) if margin else roi))
    r = roi.intersect(ROI(0, 0, W, H))
    return image[r.y:r.y + r.h, r.x:r.x + r.w].copy()


class RecordingPreprocessor:
    """Wraps a pipeline's preprocessor and keeps its last batch, so the exact model
    inputs of a frame's ROIs can be saved.

    Args:
        inner: the preprocessor (``f(uint8 (H, W, 3) BGR frame, list[ROI]) -> float32
            (N, H, W, C)``).

    Attributes:
        last_image: the frame of the last call (compared by identity).
        last_rois: its ROIs.
        last_batch: float32 (N, H, W, C): the inputs made for them.
    """

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.last_image: np.ndarray | None = None
        self.last_rois: list[ROI] = []
        self.last_batch: np.ndarray | None = None

    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        batch = self.inner(image, rois)  # type: ignore[operator]
        self.last_image, self.last_rois, self.last_batch = image, list(rois), batch
        return batch

    def input_for(self, image: np.ndarray, roi: ROI) -> np.ndarray:
        """float32 (H, W, C): the model input made for ``roi`` of ``image``; recomputed by
        the wrapped preprocessor when the last call was for another frame or ROI."""
        if self.last_image is image and self.last_batch is not None and roi in self.last_rois:
            return np.asarray(self.last_batch[self.last_rois.index(roi)])
        return np.asarray(self.inner(image, [roi])[0])  # type: ignore[operator]


# -- files ----------------------------------------------------------------------------
def check_session(session: str) -> str:
    """Validate a session name (the group prefix of file names).

    Raises:
        ValueError: empty, containing ``__`` or a character other than letters, digits,
            ``.``, ``_``, ``-``, or not starting with a letter or digit.
    """
    if not _SESSION_OK.match(session or "") or "__" in session:
        raise ValueError(f"session name {session!r} must start with a letter or digit and hold only "
                         "letters, digits, '.', '_', '-' and no '__' (e.g. --session alice-desk)")
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
                raise ValueError(f"raw crops must not go inside the capture folder {self.out} (a class-"
                                 "folder reader would mix them with the samples); use another --raw-out")
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
            model_input: float32 (H, W, C) model input (:func:`input_to_image` converts it).
            crop: uint8 (h, w, 3) BGR raw crop, or ``None`` (only without ``raw_out``).

        Returns:
            What was written.

        Raises:
            ValueError: ``label`` is not one of the bundle's labels, or a bad input.
            OSError: the folder cannot be created or written.
        """
        if label not in self.labels:
            raise ValueError(f"label {label!r} is not one of this model's labels {list(self.labels)}")
        sample_bytes = encode_png(input_to_image(model_input, self.spec))
        raw_bytes = encode_png(crop) if self.raw_out is not None and crop is not None else None
        folder = self.folder(label)
        raw_folder = self.raw_out / label if self.raw_out is not None else None
        folder.mkdir(parents=True, exist_ok=True)
        if raw_folder is not None:
            raw_folder.mkdir(parents=True, exist_ok=True)
        i = self._next.get(label)
        if i is None:
            i = 1 + max(highest_index(folder, self.session),
                        highest_index(raw_folder, self.session) if raw_folder else 0)
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
        lines = [f"saved {self.total_saved} sample{'' if self.total_saved == 1 else 's'} "
                 f"(session {self.session}) in {self.out}"
                 + (f", raw crops in {self.raw_out}" if self.raw_out is not None else "")]
        width = max((len(lab) for lab in self.labels), default=1)
        for lab in self.labels:
            new = self.saved.get(lab, [])
            if not new and not self.before.get(lab):
                continue
            names = (f" ({new[0].sample.name}" + (f" .. {new[-1].sample.name}" if len(new) > 1 else "")
                     + ")") if new else ""
            lines.append(f"  {lab:>{width}}: +{len(new)}{names}, {self.count(lab)} in {self.folder(lab)}")
        return lines


# -- on-screen help -----------------------------------------------------------------------
def draw_capture_hud(image: np.ndarray, writer: SampleWriter, keymap: Mapping[int, str],
                     targets: Sequence[ROI], message: str = "", auto_label: str | None = None
                     ) -> np.ndarray:
    """Draw the capture state onto a (copy of a) frame, in place.

    Args:
        image: uint8 (H, W, 3) BGR frame, usually the overlay of :func:`edge.overlay.draw_overlay`.
        writer: gives the per-class counts (in the folder, ``+`` saved this run).
        keymap: from :func:`key_map` (empty when saving automatically).
        targets: the ROIs a key press would save (drawn as white double boxes).
        message: a status line (what was saved, why nothing was).
        auto_label: the ``--label`` of automatic saving, if any.

    Returns:
        ``image``.
    """
    h, w = image.shape[:2]
    scale = max(0.4, min(0.9, min(w, h) / 900.0))
    thick = 1
    for r in targets:
        cv2.rectangle(image, (r.x - 4, r.y - 4), (r.x + r.w + 4, r.y + r.h + 4), (255, 255, 255), 2)
        cv2.rectangle(image, (r.x - 6, r.y - 6), (r.x + r.w + 6, r.y + r.h + 6), (0, 0, 0), 1)
    key_of = {lab: chr(c) for c, lab in keymap.items() if chr(c) == chr(c).lower()}
    lines = [("" if key_of.get(lab, lab) == lab else f"[{key_of[lab]}] ")
             + f"{lab}: {writer.count(lab)} (+{len(writer.saved.get(lab, []))})" for lab in writer.labels]
    head = f"saving every detection as {auto_label}" if auto_label else "press a key to save"
    lines = [head, *lines, "q/Esc quit"]
    (_, th), base = cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    step = th + base + 4
    box_w = max(cv2.getTextSize(s, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0] for s in lines) + 12
    x0 = max(0, w - box_w - 4)
    y1 = min(h, 4 + step * len(lines) + 6)
    roi = image[4:y1, x0:w - 4]
    roi[:] = (roi.astype(np.uint16) // 3).astype(np.uint8)  # darken behind the text
    for i, s in enumerate(lines):
        cv2.putText(image, s, (x0 + 6, 4 + step * (i + 1)), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), thick, cv2.LINE_AA)
    if message:
        (tw, _), _ = cv2.getTextSize(message, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        y = h - 8
        cv2.rectangle(image, (0, y - th - base - 4), (min(w, tw + 12), h), (0, 0, 0), -1)
        cv2.putText(image, message, (6, y - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 255, 255),
                    thick, cv2.LINE_AA)
    return image
