"""OpenCV's own log (``[ WARN:0@0.3] global cap_v4l.cpp ...``) kept off the terminal while
a device is probed.

Opening a camera index that is not there makes OpenCV try each capture backend in turn
(V4L2, FFmpeg, Orbbec ...), and each writes its failure to stderr: about ten lines before
our own one-line error. :func:`quiet_opencv_log` silences OpenCV's log for the duration
of an open; with debug logging (``-v``) it changes nothing, so the backends' reasons stay
available. OpenCV's log level is process-wide; it is restored on exit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import cv2

log = logging.getLogger(__name__)


@contextmanager
def quiet_opencv_log() -> Iterator[None]:
    """OpenCV's log level set to silent in the block, unless this module logs at DEBUG (``-v``)."""
    if log.isEnabledFor(logging.DEBUG):
        yield
        return
    old = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(old)
