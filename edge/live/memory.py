"""The C heap over a long run: glibc's thresholds fixed once (:func:`tune_heap_once`), what the
heap holds (:func:`heap_stats`) and handing its free pages back (:func:`trim_heap`, :class:`HeapTrimmer`).

Why a live loop needs this. Every frame allocates and frees frame-sized buffers (a 640x480
BGR frame is 900 KiB, its grey copy 300 KiB; the demo scenes' renderer, scene cuts and
model loading allocate 1-8 MiB blocks now and then). glibc serves blocks over its mmap
threshold (128 KiB at start) with their own ``mmap`` and unmaps them at ``free``, but each
time such a block is freed it raises the threshold to that block's size (up to 32 MiB) and
the trim threshold to twice that. From then on every multi-MiB block comes from the heap,
lands wherever there is room, and the room it leaves stays resident: over the digits soak
RSS sat 20-35 MiB above the memory in use, swung by 10-25 MiB from one sample to the next
and crept (+150-250 KiB per 1,000 frames, +14 MiB over 100,000) while the memory in use
stayed flat. Not a leak, but a watchdog reading RSS cannot tell. Fixing the thresholds
(:func:`thresholds_for` the frame size: mmap at least :data:`MMAP_THRESHOLD` 1 MiB and above
one frame, trim twice that) ends the dynamic raise: blocks larger than a frame (a scene's
sheets, a model's buffers) are mmap-ed and returned at ``free``, frames and what is
frame-sized stay on the heap, and the heap's free room stays at 5-8 MiB. The digits
pipeline itself allocates nothing of 1 MiB or more per frame (640x480 and 1280x720,
counted with an interposed ``malloc``), so this costs it nothing; what allocates larger
blocks on every frame pays ~250 page faults per MiB (the demo scene did, for motion blur,
until it kept its buffer; a fixed 1 MiB threshold with 1280x720 frames cost +55% CPU, hence
"above one frame"), and a 256 KiB threshold, which maps every frame, cost ~50% CPU per
frame. :func:`edge.live.run` applies it at its first frame (again only for larger frames);
``EDGE_HEAP_TUNE=0`` (or thresholds of the user's own in ``MALLOC_*_`` /
``GLIBC_TUNABLES``) leaves glibc alone.

``malloc_trim(0)`` (:func:`trim_heap`) releases every free page inside the heaps; the live
loop can call it every N frames (:class:`HeapTrimmer`, ``EDGE_HEAP_TRIM_FRAMES``, off by
default): with the dynamic thresholds it did not help (every 1,000 frames: the RSS 500
frames after a trim was as high as without), because the retained room is reused within
a few frames; ``edge-bench soak --malloc-trim`` uses it to show what is in use.

Only glibc has ``mallopt``, ``mallinfo2`` (2.33+) and ``malloc_trim``; elsewhere (musl,
macOS, Windows) :func:`heap_stats` returns ``None`` and the rest does nothing.

Imports only the standard library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_TRIM_EVERY",
    "MMAP_THRESHOLD",
    "TRIM_ENV",
    "TRIM_THRESHOLD",
    "TUNE_ENV",
    "HeapStats",
    "HeapTrimmer",
    "heap_stats",
    "thresholds_for",
    "trim_heap",
    "tune_heap",
    "tune_heap_once",
]

#: The lowest mmap threshold the live loop fixes (bytes; :func:`thresholds_for` raises it above
#: one frame): blocks of 1 MiB and more get their own ``mmap`` and go back to the system at
#: ``free``; a 640x480 BGR frame (900 KiB) and its grey copy stay on the heap. Fixing it also
#: stops glibc's dynamic raise.
MMAP_THRESHOLD = 2**20
#: Free memory at the top of a heap above which ``free`` gives it back (bytes): twice the
#: mmap threshold, as glibc's dynamic rule sets it (at glibc's initial 128 KiB the heap's top
#: was given back and faulted in again on most frames: +0.5-0.9 ms of system time a frame).
TRIM_THRESHOLD = 2 * 2**20
#: ``EDGE_HEAP_TUNE=0`` keeps glibc's dynamic thresholds (:func:`tune_heap_once` does nothing).
TUNE_ENV = "EDGE_HEAP_TUNE"
#: Frames between two :func:`trim_heap` calls of the live loop (:class:`HeapTrimmer`); 0: never.
DEFAULT_TRIM_EVERY = 0
#: Environment variable that sets the live loop's trim interval in frames; ``0`` turns it off.
TRIM_ENV = "EDGE_HEAP_TRIM_FRAMES"
#: Environment variables with which a user sets glibc's thresholds: then they are left alone.
USER_MALLOC_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
_MIB = float(2**20)
_tuned: list[int] = []  # mmap thresholds set by tune_heap_once, in order


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


@lru_cache(maxsize=1)
def _libc() -> Any:
    """glibc's ``mallinfo2`` and ``malloc_trim``, or ``None`` where the C library lacks either."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
    except OSError:
        return None
    if not (hasattr(libc, "mallinfo2") and hasattr(libc, "malloc_trim")):
        return None
    libc.mallinfo2.restype = _MallInfo2
    libc.mallinfo2.argtypes = []
    libc.malloc_trim.restype = ctypes.c_int
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    libc.mallopt.restype = ctypes.c_int
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return libc


def tune_heap(mmap_threshold: int = MMAP_THRESHOLD, trim_threshold: int = TRIM_THRESHOLD) -> bool:
    """Fix glibc's mmap and trim thresholds (``mallopt``), ending its dynamic raise of both.

    Args:
        mmap_threshold: blocks of at least this many bytes get their own ``mmap``.
        trim_threshold: free bytes at the top of the heap above which ``free`` returns them.

    Returns:
        Whether both were set (``False`` where the C library is not glibc).

    Raises:
        ValueError: a threshold out of glibc's range (mmap: 0 .. 32 MiB; trim: >= 0).
    """
    if not 0 <= mmap_threshold <= 32 * 2**20 or trim_threshold < 0:
        raise ValueError(
            f"mmap_threshold must be in [0, 32 MiB] and trim_threshold >= 0 bytes, "
            f"got {mmap_threshold} and {trim_threshold}"
        )
    libc = _libc()
    if libc is None:
        return False
    ok = libc.mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
    return libc.mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1 and ok


def thresholds_for(frame_bytes: int) -> tuple[int, int]:
    """The (mmap, trim) thresholds for frames of ``frame_bytes`` bytes: mmap at least
    :data:`MMAP_THRESHOLD` and above one frame (rounded up to 64 KiB), so frames and what is
    frame-sized stay on the heap (a 1280x720 BGR frame, 2.6 MiB: 2.69 MiB), capped at
    glibc's 32 MiB; trim twice that (at least :data:`TRIM_THRESHOLD`)."""
    step = 64 * 1024
    mmap = min(32 * 2**20, max(MMAP_THRESHOLD, (max(0, int(frame_bytes)) // step + 1) * step))
    return mmap, max(TRIM_THRESHOLD, 2 * mmap)


def tune_heap_once(frame_bytes: int = 0) -> bool:
    """:func:`tune_heap` with :func:`thresholds_for` ``frame_bytes``, once per process and
    frame size: again only when frames are larger than before (:func:`edge.live.run` calls
    it with its first frame).

    Left alone when ``EDGE_HEAP_TUNE=0`` (:data:`TUNE_ENV`) or when the user chose glibc's
    thresholds in the environment (:data:`USER_MALLOC_ENV`, or ``GLIBC_TUNABLES`` naming
    ``glibc.malloc.mmap_threshold`` / ``trim_threshold`` / ``top_pad``).

    Returns:
        Whether the thresholds were set by this call.
    """
    mmap, trim = thresholds_for(frame_bytes)
    if _tuned and _tuned[-1] >= mmap:
        return False
    _tuned.append(mmap)
    if os.environ.get(TUNE_ENV, "").strip() == "0":
        log.debug("%s=0: glibc's dynamic malloc thresholds kept", TUNE_ENV)
        return False
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if any(os.environ.get(k) for k in USER_MALLOC_ENV) or any(
        f"glibc.malloc.{k}" in tunables for k in ("mmap_threshold", "trim_threshold", "top_pad")
    ):
        log.debug("malloc thresholds set in the environment: left as they are")
        return False
    done = tune_heap(mmap, trim)
    log.debug("malloc thresholds fixed: mmap %d B, trim %d B (%s)", mmap, trim, done)
    return done


@dataclass(frozen=True)
class HeapStats:
    """glibc's view of the C heap (``mallinfo2``, summed over every arena), in MiB.

    Python objects of up to 512 bytes live in Python's own arenas (``mmap``-ed directly), so
    they are not counted here; numpy's buffers and OpenCV's and the TFLite runtime's are.

    Attributes:
        in_use_mib: bytes in allocated blocks (heap and mmap-ed): what the program holds. A
            leak in native code or in numpy buffers grows this.
        free_mib: free bytes inside the heaps, kept by the allocator (resident where touched
            and not trimmed): what allocator retention and fragmentation grow.
        heap_mib: bytes of heap obtained from the system (``sbrk`` and arena heaps).
        mmapped_mib: bytes in blocks served by their own ``mmap``.
    """

    in_use_mib: float
    free_mib: float
    heap_mib: float
    mmapped_mib: float


def heap_stats() -> HeapStats | None:
    """The C heap's figures now (:class:`HeapStats`), or ``None`` where the C library is not glibc."""
    libc = _libc()
    if libc is None:
        return None
    m = libc.mallinfo2()
    return HeapStats(
        in_use_mib=(m.uordblks + m.hblkhd) / _MIB,
        free_mib=m.fordblks / _MIB,
        heap_mib=m.arena / _MIB,
        mmapped_mib=m.hblkhd / _MIB,
    )


def trim_heap() -> bool:
    """Give the free pages of every heap back to the system (glibc ``malloc_trim(0)``).

    Nothing moves and nothing in use is touched: only whole free pages are released, and
    the next allocation that reuses one faults a fresh zero page in.

    Returns:
        Whether the C library could trim (``False`` where it is not glibc).
    """
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def trim_interval(value: str | int | None = None) -> int:
    """Frames between the live loop's heap trims.

    Args:
        value: frames (``0``: never); ``None``: the :data:`TRIM_ENV` environment variable,
            else :data:`DEFAULT_TRIM_EVERY`.

    Raises:
        ValueError: not a whole number >= 0 (the message names :data:`TRIM_ENV` when it came from there).
    """
    where = "heap trim interval"
    if value is None:
        value = os.environ.get(TRIM_ENV)
        where = TRIM_ENV
        if value is None or not str(value).strip():
            return DEFAULT_TRIM_EVERY
    try:
        n = int(str(value).strip())
    except ValueError:
        n = -1
    if n < 0:
        raise ValueError(f"{where} must be a whole number of frames >= 0 (0: never trim), got {value!r}")
    return n


class HeapTrimmer:
    """Calls :func:`trim_heap` every ``every`` frames (:func:`edge.live.run` ticks it after each frame).

    Args:
        every: frames between trims; ``0`` never trims; ``None``: :func:`trim_interval`
            (the :data:`TRIM_ENV` environment variable, else :data:`DEFAULT_TRIM_EVERY`).

    Attributes:
        every: the interval in use (``0`` where the C library cannot trim).
        frames: frames counted.
        trims: trims done.
        seconds: time spent trimming (s), ``max_ms`` the longest trim (ms).

    Raises:
        ValueError: a bad interval (see :func:`trim_interval`).
    """

    def __init__(self, every: int | None = None) -> None:
        self.every = trim_interval(every)
        self.frames = 0
        self.trims = 0
        self.seconds = 0.0
        self.max_ms = 0.0
        if self.every and _libc() is None:
            log.debug("no glibc malloc_trim here: the heap is not trimmed")
            self.every = 0

    def tick(self) -> bool:
        """Count one frame; trim when the interval is reached. Returns whether it trimmed."""
        self.frames += 1
        if not self.every or self.frames % self.every:
            return False
        t0 = time.perf_counter()
        self.trims += trim_heap()
        dt = time.perf_counter() - t0
        self.seconds += dt
        self.max_ms = max(self.max_ms, dt * 1e3)
        return True
