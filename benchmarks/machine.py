"""The machine a benchmark ran on: CPU, cores, governor, board, library versions, load.

Every report starts with :func:`describe_machine`, because a latency means nothing
without the machine that produced it; :func:`device_id` names the per-device
reference file (:mod:`benchmarks.reference`).
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from edge.cpu_quant import cpu_flag_set

log = logging.getLogger(__name__)


GOVERNOR_PATH = Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")


CPUINFO_PATH = Path("/proc/cpuinfo")


BOARD_PATH = Path("/proc/device-tree/model")


#: Instruction-set extensions that change what XNNPACK and the TFLite kernels can use
#: (x86: AVX2/FMA, AVX-512, VNNI int8 dot products, AMX; ARM: NEON/ASIMD, dot product,
#: int8 matrix multiply, half precision, SVE). Two CPUs of one model name can differ here
#: (cloud VMs of one family expose different sets), and with them latency by 2-10x.
ISA_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx_vnni",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx512_bf16",
    "amx_int8",
    "neon",
    "asimd",
    "asimddp",
    "asimdhp",
    "i8mm",
    "bf16",
    "sve",
)


_RUNTIME_DISTS = {
    "litert": ("ai-edge-litert",),
    "tflite-runtime": ("tflite-runtime",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tf-nightly"),
}


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def cpu_model(cpuinfo: str | None = None) -> str:
    """The CPU's name: ``model name`` (x86), else ``Model``/``Hardware`` (ARM), else platform.

    Args:
        cpuinfo: the text of ``/proc/cpuinfo`` (read when ``None``).
    """
    text = _read_text(CPUINFO_PATH) if cpuinfo is None else cpuinfo
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and value.strip() and key not in found:
            found[key] = value.strip()
    for key in ("model name", "cpu model", "model", "hardware", "processor"):
        v = found.get(key)
        if v and not v.isdigit():  # ARM's "processor : 0" is an index, not a name
            return v
    return platform.processor() or platform.machine() or "unknown"


def cpu_flags(cpuinfo: str | None = None) -> list[str] | None:
    """The CPU's :data:`ISA_FLAGS`, in that order: ``flags`` (x86) or ``Features`` (ARM) of
    ``/proc/cpuinfo``; ``None`` when there is no such line (not Linux, unreadable).

    Args:
        cpuinfo: the text of ``/proc/cpuinfo`` (read when ``None``).
    """
    have = cpu_flag_set((_read_text(CPUINFO_PATH) or "") if cpuinfo is None else cpuinfo)
    return None if have is None else [f for f in ISA_FLAGS if f in have]


def cpu_governor(path: Path = GOVERNOR_PATH) -> str | None:
    """The cpufreq scaling governor of CPU 0, or ``None`` when unreadable (VMs, containers)."""
    text = _read_text(path)
    return text.strip() if text else None


def governor_warning(governor: str | None) -> str | None:
    """A warning for the report header when latencies may drift with CPU frequency.

    Returns:
        ``None`` when the governor is ``performance``; otherwise a sentence that says
        what is wrong and how to fix it.
    """
    if governor == "performance":
        return None
    if governor is None:
        return (
            f"CPU governor unreadable ({GOVERNOR_PATH} absent: VM, container or no "
            "cpufreq); frequency scaling cannot be checked, so repeat runs to see the spread"
        )
    return (
        f"CPU governor is {governor!r}, not 'performance': latencies vary with frequency "
        "scaling. For stable numbers: sudo cpupower frequency-set -g performance "
        "(or echo performance | sudo tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor)"
    )


def load_warning(loadavg_1m: float | None, cores: int | None) -> str | None:
    """A warning when other processes keep the CPUs busy (1-minute load >= half the cores).

    Competing work shows up as a long tail (p99, max) and a noisy median.
    """
    if loadavg_1m is None or not cores or loadavg_1m < 0.5 * cores:
        return None
    return (
        f"the machine is busy (1-minute load {loadavg_1m:.2f} on {cores} cores): other "
        "processes compete for the CPUs, so the tail (p99, max) and even the median are "
        "inflated; close them and re-run for clean numbers"
    )


def board_model(path: Path = BOARD_PATH) -> str | None:
    """The board name from the device tree (``Raspberry Pi 4 Model B Rev 1.4``), if any."""
    text = _read_text(path)
    return text.replace("\x00", "").strip() or None if text else None


def _dist_version(*names: str) -> str | None:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def runtime_version(runtime: str | None) -> str | None:
    """Installed version of the interpreter package (``litert`` → ai-edge-litert's)."""
    if runtime is None:
        return None
    return _dist_version(*_RUNTIME_DISTS.get(runtime, (runtime,)))


def code_version() -> str | None:
    """``<short commit>[-dirty]`` of the project checkout, or ``None`` (installed, no git).

    Pipeline timings change with the code (the segmenter above all), so a reference
    says which code produced it.
    """
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head or None


def describe_machine(
    *,
    runtime: str | None = None,
    model_name: str | None = None,
    model_sha256: str | None = None,
    threads: Any = None,
) -> dict[str, Any]:
    """Everything a reader needs to judge a latency: hardware, OS, library versions, model.

    Args:
        runtime: interpreter package used (``litert`` ...), for its version.
        model_name: bundle name.
        model_sha256: the bundle's ``tflite_sha256`` (a 12-character prefix is kept).
        threads: interpreter threads (an int, a list, or ``None``).

    Returns:
        A JSON-ready dict with keys ``cpu``, ``cpu_flags`` (:func:`cpu_flags`, space-separated,
        or ``None``), ``machine``, ``cores``, ``cores_usable``,
        ``governor``, ``governor_warning``, ``board``, ``os``, ``python``, ``numpy``,
        ``opencv``, ``runtime``, ``runtime_version``, ``edge`` (package version), ``code``
        (git commit of a checkout), ``model``, ``model_sha256``,
        ``threads``, ``loadavg_1m``, ``load_warning``, ``date`` (UTC, ISO 8601).
    """
    import numpy as np

    try:
        import cv2

        opencv = cv2.__version__
    except ImportError:
        opencv = None
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    try:
        load = round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        load = None
    gov = cpu_governor()
    flags = cpu_flags()
    return {
        "cpu": cpu_model(),
        "cpu_flags": None if flags is None else " ".join(flags) or "(none of note)",
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "governor": gov,
        "governor_warning": governor_warning(gov),
        "board": board_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "opencv": opencv,
        "runtime": runtime,
        "runtime_version": runtime_version(runtime),
        "edge": _dist_version("edge-recogniser"),
        "code": code_version(),
        "model": model_name,
        "model_sha256": model_sha256[:12] if model_sha256 else None,
        "threads": threads,
        "loadavg_1m": load,
        "load_warning": load_warning(load, usable),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),  # noqa: UP017 (3.10)
    }


def device_id(machine: dict[str, Any] | None = None) -> str:
    """Name of this device's reference file: ``x86_64-2core``, ``rpi4b-4core`` ...

    Raspberry Pis are named from the device-tree model (as pycoral's ``machine_info``),
    other machines by architecture and usable core count.
    """
    m = machine or describe_machine()
    board = (m.get("board") or "").lower()
    if "raspberry pi" in board:
        words = board.replace("raspberry pi", "").split()
        if "rev" in words:
            words = words[: words.index("rev")]
        name = "rpi" + "".join(w for w in words if w != "model")
    else:
        name = m.get("machine") or "unknown"
    return f"{name}-{m.get('cores_usable') or m.get('cores')}core"


def format_machine(m: dict[str, Any]) -> str:
    """The machine description as ``key: value`` lines for the report header."""
    keys = (
        "cpu",
        "cpu_flags",
        "board",
        "machine",
        "cores",
        "cores_usable",
        "governor",
        "os",
        "python",
        "numpy",
        "opencv",
        "runtime",
        "runtime_version",
        "runtimes",
        "edge",
        "code",
        "model",
        "model_sha256",
        "threads",
        "loadavg_1m",
        "date",
    )
    lines = [
        f"  {k:<16}{'unreadable' if k == 'governor' and m.get(k) is None else m.get(k)}"
        for k in keys
        if k in m and (m.get(k) is not None or k == "governor")
    ]
    lines += [f"warning: {m[k]}" for k in ("governor_warning", "load_warning") if m.get(k)]
    return "\n".join(lines)
