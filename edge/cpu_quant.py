"""Which quantisation of the shipped digits model is the faster one on this CPU.

The shipped digits network comes as a full-int8 file and a float32 twin of equal accuracy
(MNIST test 99.59% and 99.60%). Which one runs faster depends on the CPU (3x one way, 1.4x the
other, below), so ``--model digits`` takes the file this module picks (:func:`fastest_quant`), and
``digits-int8`` / ``digits-float32`` name either file explicitly.

The rule, from ``edge-bench latency --model digits-int8 --model digits-float32`` (ai-edge-litert
2.3, XNNPACK, 1 thread, median per call of one digit):

- x86 with an int8 dot-product instruction (AVX-512 VNNI, AVX-VNNI or AMX; Intel Xeon here):
  int8 0.035 ms, float32 0.105 ms, so int8 (3.0x faster; measured on the same network's
  MNIST-only files, ``digits-mnist`` and ``digits-mnist-float32``);
- x86 without one (AVX2 and FMA only; AMD EPYC here, and the machine issue 13 names): int8
  0.214 ms, float32 0.156 ms, so float32 (1.37x faster; a batch of 5 digits through
  ``Classifier.classify``: 0.98 and 0.67 ms);
- any other CPU (ARM: a Raspberry Pi), or x86 whose flags cannot be read (no ``/proc/cpuinfo``):
  int8, the file TFLite's Raspberry Pi examples use. Not measured here (no ARM machine): run the
  same ``edge-bench latency`` command there, which prints the faster file, and pass it as
  ``--model``.
"""

from __future__ import annotations

import functools
import platform
from pathlib import Path

__all__ = ["CPUINFO_PATH", "INT8_DOT_FLAGS", "cpu_flag_set", "fastest_quant"]

CPUINFO_PATH = Path("/proc/cpuinfo")

#: x86 flags (``/proc/cpuinfo``) of an int8 dot-product instruction XNNPACK uses.
INT8_DOT_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})

_X86 = frozenset({"x86_64", "amd64", "x64", "i386", "i486", "i586", "i686", "x86"})


def cpu_flag_set(cpuinfo: str | None = None) -> frozenset[str] | None:
    """Every flag of the first ``flags`` (x86) or ``Features`` (ARM) line of ``/proc/cpuinfo``.

    Args:
        cpuinfo: the file's text (``None``: read it).

    Returns:
        The flags, or ``None`` when there is no such line or the file cannot be read (not
        Linux).
    """
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO_PATH.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in ("flags", "features"):
            return frozenset(value.split())
    return None


def fastest_quant(flags: frozenset[str] | None = None, machine: str | None = None) -> str:
    """``"float32"`` on x86 with no int8 dot-product instruction, else ``"int8"`` (the rule above).

    Args:
        flags: the CPU's flags (:func:`cpu_flag_set`); ``None`` with ``machine`` ``None``:
            this machine's, read once.
        machine: ``platform.machine()`` (e.g. ``"x86_64"``, ``"aarch64"``); ``None``: this
            machine's.
    """
    if flags is None and machine is None:
        return _this_machine()
    m = (platform.machine() if machine is None else machine).lower()
    if m not in _X86 or flags is None:
        return "int8"
    return "int8" if flags & INT8_DOT_FLAGS else "float32"


@functools.lru_cache(maxsize=1)
def _this_machine() -> str:
    return fastest_quant(cpu_flag_set(), platform.machine())
