"""A separate Python for runtimes that cannot share this interpreter's packages.

tflite-runtime 2.14, its last release, needs ``numpy<2``; the training extra
(TensorFlow 2.21) needs numpy 2. To time both runtimes on the same file in one run,
``edge-bench latency`` runs the tflite-runtime rows in a worker process of another
Python (:func:`worker_python`), usually a small virtualenv holding only
tflite-runtime and numpy<2, built once with pip and cached
(:func:`tflite_runtime_python`; ``edge-bench latency --tflite-runtime-python auto``).
The project's code reaches that interpreter through ``PYTHONPATH``; it needs only
numpy there (no OpenCV, no TensorFlow).

On a device where tflite-runtime is installed beside the project (a 32-bit Raspberry
Pi OS with ``pip install ".[tflite-runtime]"``), none of this is used.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

#: What the cached environment holds.
TFLITE_RUNTIME_REQUIREMENTS = ("tflite-runtime==2.14.0", "numpy<2")
#: Its size on disk once built (MB, measured on x86-64 Linux with Python 3.11).
TFLITE_RUNTIME_VENV_MB = 111
#: Environment variable naming a Python that has tflite-runtime (``edge-bench latency``).
PYTHON_ENV = "EDGE_TFLITE_RUNTIME_PYTHON"
#: Environment variable naming the cached virtualenv's folder.
VENV_ENV = "EDGE_TFLITE_RUNTIME_VENV"
#: The project root, put on the worker's ``PYTHONPATH``.
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def venv_dir() -> Path:
    """The cached environment's folder: ``$EDGE_TFLITE_RUNTIME_VENV``, else
    ``~/.cache/edge-recogniser/venv-tflite-runtime-2.14-pyXY`` (``$XDG_CACHE_HOME``)."""
    env = os.environ.get(VENV_ENV)
    if env:
        return Path(env).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    return cache / "edge-recogniser" / f"venv-tflite-runtime-2.14-{tag}"


def venv_python(venv: Path) -> Path:
    """The ``python`` of a virtualenv folder."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def cached_tflite_runtime_python(venv: Path | None = None) -> Path | None:
    """The cached environment's ``python`` if it is complete, else ``None`` (never builds)."""
    venv = venv or venv_dir()
    py = venv_python(venv)
    return py if (venv / ".edge-ok").is_file() and py.exists() else None


def tflite_runtime_python(venv: Path | None = None, timeout_s: float = 900) -> Path:
    """The Python of a cached virtualenv with tflite-runtime 2.14 and numpy<2, built on first use
    (about 111 MB; :func:`build_venv` says so, and where, before it starts).

    The environment is built in a temporary sibling folder and renamed into place
    only once ``import tflite_runtime`` works, so an interrupted build is never reused.

    Args:
        venv: the folder; ``None``: :func:`venv_dir`.
        timeout_s: limit of each build step (s).

    Returns:
        Path of the environment's ``python``.

    Raises:
        RuntimeError: the environment cannot be built (no wheel for this Python or
            platform, no package index reachable); the message holds pip's output.
    """
    venv = venv or venv_dir()
    done = cached_tflite_runtime_python(venv)
    if done is not None:
        return done
    return build_venv(
        venv,
        TFLITE_RUNTIME_REQUIREMENTS,
        "import tflite_runtime, numpy; print(tflite_runtime.__version__, numpy.__version__)",
        what="tflite-runtime",
        timeout_s=timeout_s,
        size_mb=TFLITE_RUNTIME_VENV_MB,
    )


def build_message(venv: Path, requirements: tuple[str, ...], what: str, size_mb: int | None) -> str:
    """The one line said before a cached environment is built: what, how big, where."""
    size = f"about {size_mb} MB, " if size_mb else ""
    return (
        f"building the {what} environment once ({' '.join(requirements)}; {size}pip) in {venv}; "
        "later runs reuse it, delete the folder to reclaim the space"
    )


def build_venv(
    venv: Path,
    requirements: tuple[str, ...],
    check_code: str,
    *,
    what: str,
    timeout_s: float = 900,
    size_mb: int | None = None,
) -> Path:
    """Build a virtualenv holding ``requirements`` and mark it complete.

    Logs :func:`build_message` (a WARNING, so a command's terminal shows it) first.

    Built in a temporary sibling folder and renamed into place only once
    ``check_code`` runs in it, so an interrupted build is never reused.

    Args:
        venv: the folder to create.
        requirements: pip requirement strings.
        check_code: Python source that must exit 0 in the new environment; what it
            prints is kept in ``venv/.edge-ok``.
        what: a name for error messages.
        timeout_s: limit of each build step (s).
        size_mb: its expected size on disk, for the message.

    Returns:
        Path of the environment's ``python``.

    Raises:
        RuntimeError: a step failed (no wheel for this Python or platform, no package
            index reachable); the message holds pip's output.
    """
    log.warning("%s", build_message(venv, requirements, what, size_mb))
    venv.parent.mkdir(parents=True, exist_ok=True)
    tmp = venv.with_name(f"{venv.name}.building-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        steps = [
            [sys.executable, "-m", "venv", str(tmp)],
            [
                str(venv_python(tmp)),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "-q",
                *requirements,
            ],
            [str(venv_python(tmp)), "-c", check_code],
        ]
        r = None
        for cmd in steps:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
            if r.returncode != 0:
                raise RuntimeError(
                    f"building the {what} environment failed at "
                    f"{' '.join(cmd[:4])} ...: {(r.stderr or r.stdout)[-1500:]}"
                )
        assert r is not None
        (tmp / ".edge-ok").write_text(r.stdout)
        if not (venv / ".edge-ok").is_file():
            shutil.rmtree(venv, ignore_errors=True)
            tmp.rename(venv)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return venv_python(venv)


def worker_python(setting: str | None) -> Path | None:
    """The Python that runs tflite-runtime rows when this interpreter cannot import it.

    Args:
        setting: ``--tflite-runtime-python``: a path to a ``python``; ``"auto"``: the
            cached environment, built now if missing (:func:`tflite_runtime_python`);
            ``None``: ``$EDGE_TFLITE_RUNTIME_PYTHON``, else the cached environment
            only if it is already built, else ``None``.

    Raises:
        ValueError: a path that is not an executable file.
        RuntimeError: ``"auto"`` and the environment cannot be built.
    """
    if setting is None:
        setting = os.environ.get(PYTHON_ENV) or None
        if setting is None:
            return cached_tflite_runtime_python()
    if setting == "auto":
        return tflite_runtime_python()
    p = Path(setting).expanduser()
    if not (p.is_file() and os.access(p, os.X_OK)):
        raise ValueError(
            f"--tflite-runtime-python {setting!r} is not an executable Python; "
            "pass the python of an environment with tflite-runtime installed, or "
            "'auto' to build one with pip"
        )
    return p


def worker_env() -> dict[str, str]:
    """The environment of a worker process: this one, with the project on ``PYTHONPATH``."""
    old = os.environ.get("PYTHONPATH")
    path = str(PROJECT_ROOT) + (os.pathsep + old if old else "")
    return {**os.environ, "PYTHONPATH": path}


if __name__ == "__main__":  # build (or find) the cached environment, print its python
    print(tflite_runtime_python())
