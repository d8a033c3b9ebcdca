"""The first hour of a new user: clear one-line errors and quiet terminals.

- ``edge-train`` and ``edge-convert`` on the TensorFlow-free install stop with one line
  naming ``pip install -e ".[train]"`` (exit 2) before any folder is made; simulated here
  by blocking the ``tensorflow`` and ``keras`` imports in a subprocess.
- The TFLite runtime's ``INFO: Created TensorFlow Lite XNNPACK delegate`` line and
  OpenCV's camera-probing warnings stay off the terminal; real errors stay visible.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BLOCK_TF = "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"


def run_python(code: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with the project on the path."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    ("module", "argv"),
    [
        ("train.cli", ["lenet", "--epochs", "1", "--out", "OUT"]),
        ("train.cli", ["hands", "--out", "OUT"]),
        ("train.cli", ["landmarks", "--out", "OUT", "--bundle", ""]),
        ("train.cli", ["sweep", "--grid", "epochs=1,2", "--out", "OUT"]),
        ("convert.cli", ["model.keras", "--out", "OUT"]),
    ],
)
def test_without_tensorflow_one_line_and_nothing_made(tmp_path: Path, module: str, argv: list[str]) -> None:
    (tmp_path / "model.keras").write_bytes(b"not a model")
    code = BLOCK_TF + f"from {module} import main\nsys.exit(main({argv!r}))\n"
    r = run_python(code, tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert 'pip install -e ".[train]"' in lines[0] and "Traceback" not in r.stderr
    assert not (tmp_path / "OUT").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]


def test_help_works_without_tensorflow(tmp_path: Path) -> None:
    for module in ("train.cli", "convert.cli"):
        r = run_python(BLOCK_TF + f"from {module} import main\nmain(['--help'])\n", tmp_path)
        assert r.returncode == 0 and "usage:" in r.stdout, r.stderr


CONSOLE_SCRIPTS = (
    "edge.cli.run",
    "edge.cli.eval",
    "edge.cli.capture",
    "edge.cli.serve",
    "edge.cli.models",
    "train.cli",
    "convert.cli",
    "benchmarks.cli",
)


class _GotParser(Exception):
    pass


def every_parser(module: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, argparse.ArgumentParser]]:
    """The parser ``module.main`` builds, caught at its first parse, and all its sub-command parsers."""
    import importlib

    caught: list[argparse.ArgumentParser] = []

    def catch(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        caught.append(self)
        raise _GotParser

    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", catch)
    with pytest.raises(_GotParser):
        importlib.import_module(module).main(["--help"])
    out = []
    todo = [(module, caught[0])]
    while todo:
        name, p = todo.pop()
        out.append((name, p))
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                todo += [(f"{name} {n}", sp) for n, sp in a.choices.items()]
    return out


@pytest.mark.parametrize("module", CONSOLE_SCRIPTS)
def test_every_option_has_help_and_an_honest_default(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every option of every sub-command says what it does; an off switch never reads
    ``--no-x ... (default: True)`` (BooleanOptionalAction shows both forms and the default)."""
    parsers = every_parser(module, monkeypatch)
    assert parsers
    bad = []
    for name, p in parsers:
        formatter = p._get_formatter()
        for a in p._actions:
            if not a.option_strings or a.help == argparse.SUPPRESS:
                continue
            if not (a.help or "").strip():
                bad.append(f"{name} {'/'.join(a.option_strings)}: no help")
            shown = formatter._format_action(a)
            if isinstance(a, argparse._StoreFalseAction) and "default: True" in shown:
                bad.append(f"{name} {'/'.join(a.option_strings)}: an off switch shown as (default: True)")
    assert not bad, "\n".join(bad)


def test_quiet_native_info_keeps_errors(capfd: pytest.CaptureFixture[str]) -> None:
    from edge.runtime import quiet_native_info

    with quiet_native_info():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\nERROR: a real one\n")
    assert capfd.readouterr().err == "ERROR: a real one\n"


def test_no_runtime_info_line_on_a_run(tmp_path: Path) -> None:
    code = "import sys\nfrom edge.cli.run import main\nsys.exit(main(sys.argv[1:]))\n"
    argv = ["--source", "demo", "--headless", "--max-frames", "2"]
    r = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "XNNPACK" not in r.stderr and "INFO" not in r.stderr, r.stderr


@pytest.mark.skipif(bool(list(Path("/dev").glob("video*"))), reason="a camera is connected here")
def test_missing_camera_is_one_line(tmp_path: Path) -> None:
    """No camera: our own message alone, none of OpenCV's backend probing lines."""
    code = "import sys\nfrom edge.cli.run import main\nsys.exit(main(sys.argv[1:]))\n"
    r = subprocess.run(
        [sys.executable, "-c", code, "--headless", "--max-frames", "1"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: cannot open camera 0") and "--source demo" in lines[0]


def test_building_the_cached_environment_says_what_size_and_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from benchmarks import runtime_env

    calls: list[list[str]] = []

    def fail(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 1, "", "no index here")

    monkeypatch.setattr(runtime_env.subprocess, "run", fail)
    venv = tmp_path / "venv-trt"
    with caplog.at_level("WARNING", logger="benchmarks.runtime_env"), pytest.raises(RuntimeError):
        runtime_env.tflite_runtime_python(venv)
    said = [r.getMessage() for r in caplog.records if r.name == "benchmarks.runtime_env"]
    assert len(said) == 1 and calls, said
    assert str(venv) in said[0] and "111 MB" in said[0] and "tflite-runtime==2.14.0" in said[0]
