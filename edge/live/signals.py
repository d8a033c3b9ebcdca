"""SIGINT/SIGTERM as a clean stop: :class:`Interrupts` turns both into ``KeyboardInterrupt``,
held back while a frame's outputs are written.

Imports only the standard library.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)


class Interrupts:
    """SIGINT/SIGTERM as ``KeyboardInterrupt``, held back while a frame's outputs are written.

    Without this, Ctrl-C between the video write and the JSON line of one frame
    leaves the video one frame longer than the JSON Lines file.
    """

    def __init__(self) -> None:
        self._deferring = False
        self._pending = False
        self._previous: dict[int, Any] = {}

    def handler(self, signum: int, frame: Any) -> None:
        if self._deferring:
            self._pending = True
        else:
            raise KeyboardInterrupt

    def install(self) -> None:
        """Handle SIGINT and SIGTERM (``kill``, systemd, docker stop) like Ctrl-C."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                prev = signal.getsignal(sig)
                if prev is not signal.SIG_IGN:
                    signal.signal(sig, self.handler)
                    self._previous[sig] = prev
            except (ValueError, OSError):  # not the main thread, or no such signal here
                log.debug("cannot handle %s", sig, exc_info=True)

    def restore(self) -> None:
        """Put back the handlers :meth:`install` replaced."""
        for sig, prev in self._previous.items():
            signal.signal(sig, prev)
        self._previous.clear()
        self._pending = False

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Run the block whole; a signal that arrives in it interrupts right after it."""
        outer = self._deferring
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = outer
            if not outer and self._pending:
                self._pending = False
                raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self) -> Iterator[Interrupts]:
        """:meth:`install` for the block, :meth:`restore` after it."""
        self.install()
        try:
            yield self
        finally:
            self.restore()


#: The process's handler: the live loop and the CLIs defer to it.
INTERRUPTS = Interrupts()
