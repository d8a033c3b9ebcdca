"""Open a camera or stream again when it is lost: :class:`ReconnectingSource` (``edge-run
--reconnect N``).

A webcam unplugged and plugged back, a Wi-Fi camera that drops for a few seconds, an RTSP
server restarted: the source raises :class:`~edge.sources.base.SourceLost`, the wrapper
closes it and opens the same spec again, waiting 1, 2, 4 ... s (at most 30 s) between
attempts. After ``attempts`` failures in a row it gives up with ``SourceLost`` (``edge-run``
exits 3 and a service manager can restart it). Frames keep counting from where they were.

Imports :mod:`edge.sources.base` and :mod:`edge.types`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from edge.sources.base import FrameSource, SourceLost
from edge.types import Frame

log = logging.getLogger(__name__)

#: Seconds before the first attempt; doubled after each failed one, up to :data:`MAX_BACKOFF_S`.
FIRST_BACKOFF_S = 1.0
#: Longest wait between two attempts, in seconds.
MAX_BACKOFF_S = 30.0


class ReconnectingSource(FrameSource):
    """A live source that is opened again (up to ``attempts`` times in a row) when it is lost.

    Args:
        opener: opens the source (the same spec each time); raises ``RuntimeError`` (or
            ``SourceLost``) when the device or server is not there.
        attempts: failed attempts in a row after which the loss is final (>= 1). A frame
            read after a reconnect starts the count again.
        first: the source already opened by the caller (``None``: ``opener()`` now; a
            failure of that first open is raised as it is, not retried).

    Attributes:
        reconnects: times the source was opened again and delivered a frame.

    Raises:
        ValueError: ``attempts`` < 1.
    """

    def __init__(self, opener: Callable[[], FrameSource], attempts: int, *, first: FrameSource | None = None):
        if attempts < 1:
            raise ValueError(f"reconnect attempts must be >= 1, got {attempts}")
        self._opener = opener
        self.attempts = attempts
        self._source: FrameSource | None = first if first is not None else opener()
        self.name = self._source.name
        self.live = self._source.live
        self.fps = self._source.fps
        self.reconnects = 0
        self._failures = 0  # failed attempts since the last frame
        self._index = 0
        self._closed = False

    def read(self) -> Frame | None:
        """The next frame, reconnecting as often as allowed when the source is lost.

        Returns:
            A :class:`~edge.types.Frame` (its ``index`` counts on across reconnects), or
            ``None`` when the source ends normally.

        Raises:
            SourceLost: lost, and ``attempts`` reconnects in a row failed.
            RuntimeError: another failure of the source (not retried), or closed.
        """
        while True:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            try:
                if self._source is None:
                    self._source = self._opener()
                frame = self._source.read()
            except RuntimeError as e:  # SourceLost, or a reopened source failing before its first frame
                if not isinstance(e, SourceLost) and self._failures == 0:
                    raise
                self._lost(e)
                continue
            if frame is None:
                return None
            if self._failures:
                self.reconnects += 1
                self._failures = 0
                log.warning("%s: reconnected", self.name)
            if frame.index != self._index:
                frame = dataclasses.replace(frame, index=self._index)
            self._index += 1
            return frame

    def _lost(self, error: RuntimeError) -> None:
        """Close the lost source and wait before the next attempt, or give up."""
        if self._source is not None:
            self._source.close()
            self._source = None
        if self._failures >= self.attempts:
            raise SourceLost(
                f"{error} (gave up after {self.attempts} reconnect attempt{'s' if self.attempts > 1 else ''})"
            ) from error
        wait = min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2**self._failures)
        self._failures += 1
        log.warning("%s; reconnecting in %g s (attempt %d of %d)", error, wait, self._failures, self.attempts)
        time.sleep(wait)

    def close(self) -> None:
        """Close the current source. Idempotent."""
        self._closed = True
        if self._source is not None:
            self._source.close()
            self._source = None
