"""``edge-models fetch hands``: pinned sha256, atomic bundles, clear errors, nothing half-written.

The MediaPipe wheel is replaced by small fake wheels whose members' sha256 are pinned for the
test (the real files are checked by the end-to-end tests once fetched).
"""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from edge import pretrained
from edge.bundle import load_bundle
from edge.cli import models as models_cli
from edge.pretrained import HAND_MODELS, FetchError, HandModelsMissing, fetch_hands, hand_model_paths


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Pin fake bytes for the four models; returns {bundle name: bytes}."""
    blobs = {}
    for name, m in list(HAND_MODELS.items()):
        blob = f"fake tflite {name}".encode() * 10
        blobs[name] = blob
        monkeypatch.setitem(
            HAND_MODELS, name, dataclasses.replace(m, sha256=hashlib.sha256(blob).hexdigest())
        )
    return blobs


def make_wheel(
    path: Path, blobs: dict[str, bytes], skip: str | None = None, corrupt: str | None = None
) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mediapipe/__init__.py", "")
        for name, blob in blobs.items():
            if name != skip:
                z.writestr(HAND_MODELS[name].member, blob + (b"x" if name == corrupt else b""))
    return path


def _entries(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def test_fetch_from_wheel_writes_four_valid_bundles(tmp_path: Path, fake_models: dict[str, bytes]) -> None:
    wheel = make_wheel(tmp_path / "mediapipe-0.10.18-cp311-cp311-manylinux_2_17_aarch64.whl", fake_models)
    dest = tmp_path / "models"
    paths = fetch_hands(wheel, dest)
    assert [p.name for p in paths] == list(HAND_MODELS)
    assert _entries(dest) == sorted(HAND_MODELS)  # no temporary folders left
    for p in paths:
        b = load_bundle(p)  # sha256 verified against model.json
        assert b.task in ("palm-detection", "hand-landmarks")
        assert b.input.colour_order == "RGB" and b.input.value_range == (0.0, 1.0)
        assert b.meta["licence"] == "Apache-2.0" and b.meta["version"] == "0.10.18"
        assert (
            "mediapipe==0.10.18 wheel" in b.meta["source"] and HAND_MODELS[p.name].member in b.meta["source"]
        )
        assert (p / "model.tflite").read_bytes() == fake_models[p.name]
    assert hand_model_paths("lite", root=dest) == (
        dest / "mediapipe-palm-detection-lite",
        dest / "mediapipe-hand-landmark-lite",
    )


def test_fetch_is_idempotent_and_force_rewrites(
    tmp_path: Path, fake_models: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = make_wheel(tmp_path / "mediapipe-0.10.21-x.whl", fake_models)
    dest = tmp_path / "models"
    fetch_hands(wheel, dest)
    before = (dest / "mediapipe-hand-landmark-full" / "model.json").stat().st_mtime_ns

    def no_download(*a: object, **k: object) -> Path:
        raise AssertionError("downloaded although the bundles are there")

    monkeypatch.setattr(pretrained, "download_wheel", no_download)
    fetch_hands(None, dest)
    assert (dest / "mediapipe-hand-landmark-full" / "model.json").stat().st_mtime_ns == before
    fetch_hands(wheel, dest, force=True)
    assert _entries(dest) == sorted(HAND_MODELS)


def test_fetch_from_a_folder_of_tflite_files(tmp_path: Path, fake_models: dict[str, bytes]) -> None:
    src = tmp_path / "files"
    src.mkdir()
    for name, blob in fake_models.items():
        (src / HAND_MODELS[name].filename).write_bytes(blob)
    fetch_hands(src, tmp_path / "models")
    assert _entries(tmp_path / "models") == sorted(HAND_MODELS)


def test_wrong_sha256_writes_nothing(tmp_path: Path, fake_models: dict[str, bytes]) -> None:
    wheel = make_wheel(
        tmp_path / "mediapipe-0.10.21-x.whl", fake_models, corrupt="mediapipe-hand-landmark-full"
    )
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match="hand_landmark_full.tflite .*sha256.*mediapipe==0.10.21"):
        fetch_hands(wheel, dest)
    assert _entries(dest) == []


def test_missing_member_writes_nothing(tmp_path: Path, fake_models: dict[str, bytes]) -> None:
    wheel = make_wheel(
        tmp_path / "mediapipe-0.10.21-x.whl", fake_models, skip="mediapipe-palm-detection-lite"
    )
    dest = tmp_path / "models"
    with pytest.raises(
        FetchError, match="no member mediapipe/modules/palm_detection/palm_detection_lite.tflite"
    ):
        fetch_hands(wheel, dest)
    assert _entries(dest) == []
    with pytest.raises(FetchError, match="does not exist"):
        fetch_hands(tmp_path / "nope.whl", dest)
    (tmp_path / "bad.whl").write_bytes(b"not a zip")
    with pytest.raises(FetchError, match="not a wheel"):
        fetch_hands(tmp_path / "bad.whl", dest)
    assert _entries(dest) == []


def test_no_registry_gives_the_commands_to_run(
    tmp_path: Path, fake_models: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def failing_run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess:
        calls.append(cmd)
        return subprocess.CompletedProcess(
            cmd, 1, "", "ERROR: Could not find a version that satisfies the requirement mediapipe==0.10.21\n"
        )

    monkeypatch.setattr(pretrained.subprocess, "run", failing_run)
    dest = tmp_path / "models"
    with pytest.raises(FetchError) as ei:
        fetch_hands(None, dest)
    msg = str(ei.value)
    assert "\n" not in msg and "--from WHEEL" in msg
    assert "pip download mediapipe==0.10.21 --no-deps --only-binary=:all:" in msg
    assert calls and calls[0][1:4] == ["-m", "pip", "download"]
    assert _entries(dest) == []


def test_pip_download_is_used_when_it_works(
    tmp_path: Path, fake_models: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess:
        out = Path(cmd[cmd.index("-d") + 1])
        make_wheel(out / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl", fake_models)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(pretrained.subprocess, "run", fake_run)
    assert len(fetch_hands(None, tmp_path / "models")) == 4


def test_missing_models_say_the_command_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_MODEL_DIR", str(tmp_path / "empty"))
    with pytest.raises(HandModelsMissing) as ei:
        hand_model_paths()
    assert "\n" not in str(ei.value) and "edge-models fetch hands" in str(ei.value)
    with pytest.raises(ValueError, match="variant"):
        hand_model_paths("huge")


def test_models_dir_honours_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDGE_MODEL_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert pretrained.models_dir() == tmp_path / "xdg" / "edge-recogniser" / "models"
    monkeypatch.setenv("EDGE_MODEL_DIR", str(tmp_path / "m"))
    assert pretrained.models_dir() == tmp_path / "m"


def test_cli_fetch_list_and_failure(
    tmp_path: Path, fake_models: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "models"
    assert models_cli.main(["list", "--dest", str(dest)]) == 0
    assert "missing" in capsys.readouterr().out
    wheel = make_wheel(
        tmp_path / "mediapipe-0.10.21-x.whl", fake_models, corrupt="mediapipe-palm-detection-full"
    )
    assert models_cli.main(["fetch", "hands", "--from", str(wheel), "--dest", str(dest)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("edge-models: ") and "sha256" in err and len(err.splitlines()) == 1
    wheel = make_wheel(tmp_path / "mediapipe-0.10.21-y.whl", fake_models)
    assert models_cli.main(["fetch", "hands", "--from", str(wheel), "--dest", str(dest)]) == 0
    assert models_cli.main(["list", "--dest", str(dest)]) == 0
    assert "missing" not in capsys.readouterr().out
