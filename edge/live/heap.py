"""Giving freed C heap back to the system during long runs (glibc ``malloc_trim``).

A live run allocates and frees frame-sized buffers (decoded frames, their float and
grey copies, the overlay) many times a second. glibc serves large blocks with ``mmap`` and
returns them at once, but after such a block is freed it raises its mmap threshold to that
size, and from then on frame-sized temporaries come from the heap, whose freed pages it
keeps. Over tens of thousands of frames the kept pages add up: in the digits demo soak RSS
rose ~150 KiB per 1,000 frames (7 MiB over 47,000 frames after warm-up) although the
memory in use did not (with ``malloc_trim`` before each sample the same run was flat,
-0.03 MiB over 21,000 frames). :func:`release_free_heap`, called every
:data:`TRIM_EVERY_FRAMES` frames by :func:`edge.live.run`, hands those pages back.

Elsewhere than glibc (musl, macOS, Windows) it does nothing.

Imports only the standard library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Frames between two :func:`release_free_heap` calls in the live loop (~30 s at 30 fps).
TRIM_EVERY_FRAMES = 1000


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
    except OSError:
        return None
    fn = getattr(libc, "malloc_trim", None)
    if fn is None:
        return None
    fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
    return fn


def trim_available() -> bool:
    """Whether this C library has ``malloc_trim`` (glibc)."""
    return _malloc_trim() is not None


def release_free_heap() -> bool:
    """Return the C heap's free pages to the system (glibc ``malloc_trim(0)``; about a
    millisecond). Returns whether memory was released (``False`` where there is no glibc)."""
    fn = _malloc_trim()
    return bool(fn(0)) if fn is not None else False
