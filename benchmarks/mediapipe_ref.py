"""MediaPipe's own C++ Hands graph, timed on the same frames as our hands pipeline.

The reference that ``edge-bench pipeline --model hands --mediapipe-ref`` compares with:
``mediapipe.solutions.hands.Hands`` of mediapipe 0.10.21 (palm detection + hand
landmarks in MediaPipe's C++ graph, XNNPACK), ``model_complexity=0`` (the lite models),
``static_image_mode=True`` for still frames (palm detection on every frame) or
``False`` for a video (MediaPipe's tracking: the palm detector runs only when a hand
is lost).

mediapipe 0.10.21 needs ``numpy<2`` and ``protobuf<5`` and our training extra needs
numpy 2, so the graph runs in a worker process of another Python: a small cached
virtualenv holding only mediapipe (:func:`mediapipe_python`, built with pip on first
use like the tflite-runtime worker of :mod:`benchmarks.runtime_env`). Frames travel
as lossless PNG files in a temporary folder; the worker is this file run as a script
(``python mediapipe_ref.py --worker``), so it imports nothing of the project and only
the standard library at module level.

Timed per frame: ``cv2.cvtColor(BGR -> RGB)`` + ``Hands.process``, after ``warmup``
untimed frames, with ``time.perf_counter`` (ms), as our pipeline's stages are timed
from the BGR frame.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

#: What the cached environment holds.
MEDIAPIPE_REQUIREMENTS = ("mediapipe==0.10.21", "numpy<2")
#: Its size on disk once built (MB, x86-64 Linux, Python 3.11: mediapipe pulls in jax, matplotlib ...).
MEDIAPIPE_VENV_MB = 990
#: Environment variable naming a Python that has mediapipe 0.10.21.
PYTHON_ENV = "EDGE_MEDIAPIPE_PYTHON"
#: Environment variable naming the cached virtualenv's folder.
VENV_ENV = "EDGE_MEDIAPIPE_VENV"


def venv_dir() -> Path:
    """``$EDGE_MEDIAPIPE_VENV``, else ``~/.cache/edge-recogniser/venv-mediapipe-0.10.21-pyXY``
    (``$XDG_CACHE_HOME`` honoured)."""
    env = os.environ.get(VENV_ENV)
    if env:
        return Path(env).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    return cache / "edge-recogniser" / f"venv-mediapipe-0.10.21-{tag}"


def mediapipe_python(setting: str | None = None) -> Path | None:
    """The Python that runs MediaPipe's graph.

    Args:
        setting: a path to a ``python`` with mediapipe 0.10.21; ``"auto"``: the cached
            environment, built now with pip if missing (about 60 MB of wheels, about
            990 MB on disk);
            ``None``: ``$EDGE_MEDIAPIPE_PYTHON``, else the cached environment only if
            it is already built, else ``None``.

    Raises:
        ValueError: a path that is not an executable file.
        RuntimeError: ``"auto"`` and the environment cannot be built (no registry).
    """
    from benchmarks.runtime_env import build_venv, venv_python

    if setting is None:
        setting = os.environ.get(PYTHON_ENV) or None
        if setting is None:
            venv = venv_dir()
            py = venv_python(venv)
            ok = (venv / ".edge-ok").is_file() and py.exists()
            return py if ok else None
    if setting == "auto":
        venv = venv_dir()
        py = venv_python(venv)
        if (venv / ".edge-ok").is_file() and py.exists():
            return py
        return build_venv(
            venv,
            MEDIAPIPE_REQUIREMENTS,
            "import mediapipe, numpy; print(mediapipe.__version__, numpy.__version__)",
            what="mediapipe",
            timeout_s=1800,
            size_mb=MEDIAPIPE_VENV_MB,
        )
    p = Path(setting).expanduser()
    if not (p.is_file() and os.access(p, os.X_OK)):
        raise ValueError(
            f"--mediapipe-ref {setting!r} is not an executable Python; pass the python of an "
            "environment with mediapipe==0.10.21, or 'auto' to build one with pip"
        )
    return p


def run_reference(
    frames: list[Any],
    python: Path,
    *,
    static: bool = True,
    model_complexity: int = 0,
    max_num_hands: int = 1,
    warmup: int = 5,
    repeat: int = 1,
    timeout_s: float = 1800,
) -> dict[str, Any]:
    """Time MediaPipe's Hands graph on ``frames`` in a worker of ``python``.

    Args:
        frames: uint8 (H, W, 3) BGR images, in order (a video for ``static=False``).
        python: an interpreter with mediapipe 0.10.21 (:func:`mediapipe_python`).
        static: ``static_image_mode``: palm detection on every frame (True) or
            MediaPipe's tracking across consecutive frames (False).
        model_complexity: 0 (lite models) or 1 (full models).
        max_num_hands: hands the graph looks for.
        warmup: untimed calls first (on the first frames, graph reset afterwards).
        repeat: passes over ``frames`` (still frames only; a video is played once).

    Returns:
        ``{"latency_ms": [float, ...] per timed call, "cpu_ms": [float, ...] the
        worker's CPU time (all threads) during each call, "found": [int, ...] hands per
        frame of the first pass, "mediapipe": version, "numpy": version, "static":
        bool, "model_complexity": int, "max_num_hands": int}``. MediaPipe's XNNPACK
        delegate uses 1 thread on desktop Linux unless told otherwise
        (``GetXnnpackDefaultNumThreads`` in ``mediapipe/calculators/tensor/
        inference_calculator_utils.cc``); ``cpu_ms`` / ``latency_ms`` shows what it used.

    Raises:
        RuntimeError: the worker failed; the message holds its stderr.
    """
    import cv2

    with tempfile.TemporaryDirectory(prefix="edge-mpref-") as tmp:
        paths = []
        for i, f in enumerate(frames):
            p = Path(tmp) / f"{i:06d}.png"
            if not cv2.imwrite(str(p), f):
                raise RuntimeError(f"could not write a frame to {p}")
            paths.append(str(p))
        out = Path(tmp) / "result.json"
        job = {
            "frames": paths,
            "static": static,
            "model_complexity": model_complexity,
            "max_num_hands": max_num_hands,
            "warmup": warmup,
            "repeat": repeat,
            "out": str(out),
        }
        env = {**os.environ, "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}
        r = subprocess.run(
            [str(python), str(Path(__file__).resolve()), "--worker"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
            check=False,
        )
        if r.returncode != 0 or not out.is_file():
            raise RuntimeError(
                f"the MediaPipe worker ({python}) failed with exit code {r.returncode}: {r.stderr[-1500:]}"
            )
        result: dict[str, Any] = json.loads(out.read_text())
    return result


def _worker(job: dict[str, Any]) -> dict[str, Any]:
    """Runs inside the mediapipe environment: the timed loop."""
    import time

    import cv2
    import mediapipe as mp
    import numpy as np

    frames = []
    for p in job["frames"]:
        f = cv2.imread(p, cv2.IMREAD_COLOR)
        if f is None:
            raise SystemExit(f"unreadable frame in the job: {p}")
        frames.append(f)
    if not frames:
        raise SystemExit("no frames in the job")

    def make() -> Any:
        return mp.solutions.hands.Hands(
            static_image_mode=bool(job["static"]),
            model_complexity=int(job["model_complexity"]),
            max_num_hands=int(job["max_num_hands"]),
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )

    hands = make()
    for i in range(int(job["warmup"])):
        hands.process(cv2.cvtColor(frames[i % len(frames)], cv2.COLOR_BGR2RGB))
    hands.close()
    hands = make()
    passes = int(job["repeat"]) if job["static"] else 1
    latency, cpu, found = [], [], []
    for k in range(passes):
        for f in frames:
            c0 = time.process_time()
            t0 = time.perf_counter()
            res = hands.process(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
            latency.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
            if k == 0:
                found.append(len(res.multi_hand_landmarks or []))
    hands.close()
    return {
        "latency_ms": latency,
        "cpu_ms": cpu,
        "found": found,
        "mediapipe": mp.__version__,
        "numpy": np.__version__,
        "max_num_hands": int(job["max_num_hands"]),
        "static": bool(job["static"]),
        "model_complexity": int(job["model_complexity"]),
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        _job = json.load(sys.stdin)
        Path(_job["out"]).write_text(json.dumps(_worker(_job)))
    else:  # python -m benchmarks.mediapipe_ref: build (or find) the cached environment
        print(mediapipe_python("auto"))
