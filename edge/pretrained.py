"""Pretrained third-party models: fetched from a package registry, checked, written as bundles.

MediaPipe's palm detector and 21-point hand landmark model are Apache-2.0 TFLite files inside
the PyPI wheel ``mediapipe==0.10.21`` (``mediapipe/modules/palm_detection/`` and
``mediapipe/modules/hand_landmark/``; byte-identical in 0.10.18's aarch64 wheel). They are never
committed to this repository and ``mediapipe`` is never imported: :func:`fetch_hands` reads the
four members out of the wheel with :mod:`zipfile`, checks each against the sha256 pinned in
:data:`HAND_MODELS`, and writes one bundle folder per model (``model.tflite``, ``labels.txt``,
``model.json`` with source, version, licence and sha256) into :func:`models_dir`.

Model card: "MediaPipe Hands (Lite/Full)", Google, 2021
(https://storage.googleapis.com/mediapipe-assets/Model%20Card%20Hand%20Tracking%20(Lite_Full)%20with%20Fairness%20Oct%202021.pdf).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.bundle import FORMAT_VERSION, BundleError, sha256_file
from edge.bundle_schema import HAND_VARIANTS
from edge.model_dirs import models_dir

log = logging.getLogger(__name__)

MEDIAPIPE_VERSION = "0.10.21"
LICENCE = "Apache-2.0"
MODEL_CARD = (
    "https://storage.googleapis.com/mediapipe-assets/Model%20Card%20Hand%20Tracking%20"
    "(Lite_Full)%20with%20Fairness%20Oct%202021.pdf"
)
#: The pip command that downloads the wheel (``{dest}`` is the download folder).
PIP_DOWNLOAD = (
    "pip download mediapipe=={version} --no-deps --only-binary=:all: "
    "--platform manylinux_2_28_x86_64 --python-version 3.11 -d {dest}"
)
FETCH_COMMAND = "edge-models fetch hands"


@dataclass(frozen=True)
class PretrainedModel:
    """One pinned third-party model file and the bundle made from it.

    Attributes:
        name: bundle folder name, e.g. ``"mediapipe-palm-detection-lite"``.
        member: path of the file inside the wheel.
        sha256: pinned hex sha256 of the file's bytes.
        task: bundle task (:data:`edge.bundle.PRETRAINED_TASKS`).
        input_shape: (1, H, W, 3) of the float32 RGB input in [0, 1].
        preprocessing: bundle preprocessing name.
        labels: ``labels.txt`` lines.
        outputs: what each output tensor holds, keyed by its shape.
    """

    name: str
    member: str
    sha256: str
    task: str
    input_shape: tuple[int, int, int, int]
    preprocessing: str
    labels: tuple[str, ...]
    outputs: tuple[dict[str, Any], ...]

    @property
    def filename(self) -> str:
        return self.member.rsplit("/", 1)[-1]


_PALM_OUT = (
    {
        "shape": [1, 2016, 18],
        "meaning": "per SSD anchor: box centre offset x, y, width, height, then 7 "
        "keypoints (x, y), in 192-px input units relative to the anchor (decode with edge.segment.palm)",
    },
    {"shape": [1, 2016, 1], "meaning": "per SSD anchor: palm score logit (sigmoid gives the probability)"},
)
_LANDMARK_OUT = (
    {"shape": [1, 63], "meaning": "21 landmarks x, y, z in 224-px crop units (z relative to the wrist)"},
    {"shape": [1, 1], "name_order": 1, "meaning": "hand presence logit (sigmoid gives the probability)"},
    {
        "shape": [1, 1],
        "name_order": 2,
        "meaning": "handedness (sigmoid > 0.5: 'Right' in MediaPipe's "
        "convention, which assumes a mirrored selfie image)",
    },
    {
        "shape": [1, 63],
        "name_order": 3,
        "meaning": "21 world landmarks x, y, z in metres, origin at the hand's approximate geometric centre",
    },
)

HAND_MODELS: dict[str, PretrainedModel] = {
    m.name: m
    for m in (
        PretrainedModel(
            "mediapipe-palm-detection-lite",
            "mediapipe/modules/palm_detection/palm_detection_lite.tflite",
            "e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18",
            "palm-detection",
            (1, 192, 192, 3),
            "letterbox",
            ("palm",),
            _PALM_OUT,
        ),
        PretrainedModel(
            "mediapipe-palm-detection-full",
            "mediapipe/modules/palm_detection/palm_detection_full.tflite",
            "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
            "palm-detection",
            (1, 192, 192, 3),
            "letterbox",
            ("palm",),
            _PALM_OUT,
        ),
        PretrainedModel(
            "mediapipe-hand-landmark-lite",
            "mediapipe/modules/hand_landmark/hand_landmark_lite.tflite",
            "048edd3645c9bf7397d19a9f6e3a42957d6e414c9bea6598030a2e9b624156e6",
            "hand-landmarks",
            (1, 224, 224, 3),
            "rotated-roi-crop",
            ("Left", "Right"),
            _LANDMARK_OUT,
        ),
        PretrainedModel(
            "mediapipe-hand-landmark-full",
            "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
            "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
            "hand-landmarks",
            (1, 224, 224, 3),
            "rotated-roi-crop",
            ("Left", "Right"),
            _LANDMARK_OUT,
        ),
    )
}
VARIANTS = HAND_VARIANTS


class HandModelsMissing(BundleError):
    """The pretrained hand models have not been fetched (or are corrupt)."""


class FetchError(RuntimeError):
    """Fetching the pretrained models failed; the message says how to fix it."""


def _bundle_ok(path: Path, model: PretrainedModel) -> bool:
    """True when ``path`` is a complete bundle of ``model`` with the pinned sha256."""
    try:
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return (
        meta.get("tflite_sha256") == model.sha256
        and (path / "labels.txt").is_file()
        and (path / "model.tflite").is_file()
        and sha256_file(path / "model.tflite") == model.sha256
    )


def hand_model_paths(variant: str = "full", root: Path | None = None) -> tuple[Path, Path]:
    """The fetched palm detector and hand landmark bundle folders.

    Args:
        variant: ``"full"`` or ``"lite"`` (the same variant for both models).
        root: models folder; default :func:`models_dir`.

    Returns:
        ``(palm_bundle_dir, landmark_bundle_dir)``.

    Raises:
        ValueError: unknown ``variant``.
        HandModelsMissing: a bundle is absent or does not match its pinned sha256 (one line
            that names ``edge-models fetch hands``).
    """
    if variant not in VARIANTS:
        raise ValueError(f"hand model variant must be one of {VARIANTS}, got {variant!r}")
    root = models_dir() if root is None else Path(root)
    out = []
    for name in (f"mediapipe-palm-detection-{variant}", f"mediapipe-hand-landmark-{variant}"):
        p = root / name
        if not _bundle_ok(p, HAND_MODELS[name]):
            raise HandModelsMissing(
                f"the hand models are not in {root} (or fail their sha256): "
                f"run `{FETCH_COMMAND}` (or `{FETCH_COMMAND} --from WHEEL` offline)"
            )
        out.append(p)
    return out[0], out[1]


def _version_of(source: Path) -> str:
    m = re.match(r"mediapipe-(\d+\.\d+\.\d+)", source.name)
    return m.group(1) if m else MEDIAPIPE_VERSION


def read_members(source: Path) -> tuple[dict[str, bytes], str]:
    """The four hand model files' bytes from a wheel or a folder, sha256-checked.

    Args:
        source: a mediapipe wheel (``.whl``, a zip), or a folder holding the ``.tflite`` files
            (flat, or under ``mediapipe/modules/...``).

    Returns:
        ``({bundle_name: bytes}, source_description)``.

    Raises:
        FetchError: the source is missing, not a zip, lacks a member, or a member's sha256
            differs from the pinned value.
    """
    if not source.exists():
        raise FetchError(
            f"{source} does not exist: pass --from a mediapipe=={MEDIAPIPE_VERSION} wheel "
            "or a folder holding the four .tflite files"
        )
    data: dict[str, bytes] = {}
    if source.is_dir():
        for name, m in HAND_MODELS.items():
            cands = [source / m.member, source / m.filename]
            found = next((c for c in cands if c.is_file()), None)
            if found is None:
                raise FetchError(
                    f"{source} holds no {m.filename}: pass --from the "
                    f"mediapipe=={MEDIAPIPE_VERSION} wheel or a folder holding all four files"
                )
            data[name] = found.read_bytes()
        desc = f"folder {source.name}"
    else:
        try:
            with zipfile.ZipFile(source) as z:
                names = set(z.namelist())
                for name, m in HAND_MODELS.items():
                    if m.member not in names:
                        raise FetchError(
                            f"{source.name} has no member {m.member}: pass --from the "
                            f"mediapipe=={MEDIAPIPE_VERSION} wheel (any platform)"
                        )
                    data[name] = z.read(m.member)
        except zipfile.BadZipFile as e:
            raise FetchError(
                f"{source} is not a wheel (zip): {e}; download it again with "
                f"`{PIP_DOWNLOAD.format(version=MEDIAPIPE_VERSION, dest='DIR')}`"
            ) from e
        desc = f"PyPI mediapipe=={_version_of(source)} wheel"
    for name, blob in data.items():
        got = hashlib.sha256(blob).hexdigest()
        if got != HAND_MODELS[name].sha256:
            raise FetchError(
                f"{HAND_MODELS[name].filename} from {source.name} has sha256 {got[:12]}…, "
                f"pinned {HAND_MODELS[name].sha256[:12]}…: use the "
                f"mediapipe=={MEDIAPIPE_VERSION} wheel (x86-64) or 0.10.18 (aarch64); "
                "the file was changed or is another version"
            )
    return data, desc


def download_wheel(dest: Path, version: str = MEDIAPIPE_VERSION) -> Path:
    """``pip download`` the mediapipe wheel (no dependencies, ~36 MB) into ``dest``.

    Raises:
        FetchError: pip failed (no registry access): the message gives the command to run on
            another machine and ``--from``.
    """
    cmd = [sys.executable, "-m", *PIP_DOWNLOAD.format(version=version, dest=str(dest)).split()]
    log.info("running %s", " ".join(cmd))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as e:
        proc = None
        err = str(e)
    if proc is None or proc.returncode != 0:
        tail = err if proc is None else (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise FetchError(
            f"pip could not download mediapipe=={version} ({tail}): on a machine with registry access run "
            f"`{PIP_DOWNLOAD.format(version=version, dest='DIR')}`, copy the .whl here and run "
            f"`{FETCH_COMMAND} --from WHEEL`"
        )
    wheels = sorted(dest.glob("mediapipe-*.whl"))
    if not wheels:
        raise FetchError(
            f"pip ran but left no mediapipe wheel in {dest}: run "
            f"`{PIP_DOWNLOAD.format(version=version, dest='DIR')}` and "
            f"`{FETCH_COMMAND} --from WHEEL`"
        )
    return wheels[0]


def _meta(model: PretrainedModel, desc: str, version: str) -> dict[str, Any]:
    return {
        "name": model.name,
        "task": model.task,
        "format_version": FORMAT_VERSION,
        "input": {
            "shape": list(model.input_shape),
            "dtype": "float32",
            "colour_order": "RGB",
            "value_range": [0.0, 1.0],
            "quant": {"scale": 0.0, "zero_point": 0},
        },
        "preprocessing": model.preprocessing,
        "outputs": list(model.outputs),
        "source": f"{desc}, member {model.member}",
        "version": version,
        "licence": LICENCE,
        "model_card": MODEL_CARD,
        "tflite_sha256": model.sha256,
        "fetched_by": FETCH_COMMAND,
    }


def fetch_hands(source: Path | None = None, dest: Path | None = None, force: bool = False) -> list[Path]:
    """Fetch, check and write the four MediaPipe hand model bundles.

    Idempotent: bundles already present with the pinned sha256 are kept (and no download
    happens when all four are). Atomic per bundle: each is written into a temporary folder
    beside the target and renamed at the end; every file is checked before anything is written.

    Args:
        source: a downloaded wheel or a folder of ``.tflite`` files; None runs ``pip download``.
        dest: models folder; default :func:`models_dir`.
        force: rewrite bundles even when they are present and correct.

    Returns:
        The four bundle folders.

    Raises:
        FetchError: download failed, a member is missing or its sha256 differs (nothing is written).
    """
    dest = models_dir() if dest is None else Path(dest)
    targets = {name: dest / name for name in HAND_MODELS}
    todo = [n for n, p in targets.items() if force or not _bundle_ok(p, HAND_MODELS[n])]
    if not todo:
        log.info("hand models already in %s", dest)
        return list(targets.values())
    with tempfile.TemporaryDirectory(prefix="edge-models-") as tmp:
        src = Path(source) if source is not None else download_wheel(Path(tmp))
        data, desc = read_members(src)
        version = _version_of(src) if src.is_file() else MEDIAPIPE_VERSION
        dest.mkdir(parents=True, exist_ok=True)
        for name in todo:
            model, target = HAND_MODELS[name], targets[name]
            work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=dest))
            work.chmod(0o755)
            try:
                (work / "model.tflite").write_bytes(data[name])
                (work / "labels.txt").write_text("".join(f"{s}\n" for s in model.labels), encoding="utf-8")
                meta = _meta(model, desc, version)
                meta["size_bytes"] = len(data[name])
                (work / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
                if target.exists():
                    old = target.with_name(f".{name}-old")
                    shutil.rmtree(old, ignore_errors=True)
                    target.rename(old)
                    work.rename(target)
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    work.rename(target)
            finally:
                if work.exists():
                    shutil.rmtree(work, ignore_errors=True)
            log.info("wrote %s", target)
    return list(targets.values())


def status(dest: Path | None = None) -> list[tuple[str, bool, Path]]:
    """``(bundle name, present and sha256-correct, folder)`` for every pinned model."""
    dest = models_dir() if dest is None else Path(dest)
    return [(n, _bundle_ok(dest / n, m), dest / n) for n, m in HAND_MODELS.items()]
