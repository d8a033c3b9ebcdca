"""Progress inside a training epoch, on a terminal and off it.

Keras' own output is one of two: a live bar (``verbose=1``), right for a terminal but a
flood of carriage returns in a log file or CI, or one line per epoch (``verbose=2``),
which leaves a long epoch silent for minutes. :func:`fit_verbosity` chooses: the bar on a
terminal; elsewhere the per-epoch line plus :func:`progress_callback`, a Keras callback
that logs one line (``epoch 2/20: batch 140/422 (33%), loss 0.2412, accuracy 0.9301,
61 s``) at most every ``every_s`` seconds inside an epoch.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: Seconds between two progress lines inside an epoch when not on a terminal.
PROGRESS_EVERY_S = 10.0


def fit_verbosity(keras: Any, every_s: float = PROGRESS_EVERY_S) -> tuple[int, list[Any]]:
    """``Model.fit``'s ``verbose`` and the extra callbacks for progress within epochs.

    Args:
        keras: the ``keras`` module (imported by the caller, which needs the [train] extra).
        every_s: seconds between two in-epoch lines off a terminal.

    Returns:
        ``(1, [])`` when stdout is a terminal (Keras' progress bar); otherwise ``(2,
        [progress_callback(...)])``: Keras' line per epoch and a line every ``every_s``.
    """
    if sys.stdout.isatty():
        return 1, []
    return 2, [progress_callback(keras, every_s)]


def progress_callback(
    keras: Any, every_s: float = PROGRESS_EVERY_S, clock: Callable[[], float] = time.monotonic
) -> Any:
    """A Keras callback logging (INFO) training progress at most every ``every_s`` seconds.

    Args:
        keras: the ``keras`` module.
        every_s: seconds between two lines (by ``clock``); the first comes ``every_s``
            after the epoch starts, so epochs shorter than that print nothing extra.
        clock: seconds, monotonic (a test passes its own).

    Returns:
        A ``keras.callbacks.Callback``.
    """

    class ProgressLog(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self._epoch = 0
            self._start = self._last = 0.0

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self._epoch = epoch
            self._start = self._last = clock()

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            now = clock()
            if now - self._last < every_s:
                return
            self._last = now
            steps = self.params.get("steps")
            epochs = self.params.get("epochs")
            done = (
                f"batch {batch + 1}/{steps} ({100 * (batch + 1) / steps:.0f}%)"
                if steps
                else f"batch {batch + 1}"
            )
            values = ", ".join(f"{k} {float(v):.4f}" for k, v in (logs or {}).items() if _is_number(v))
            log.info(
                "epoch %d/%s: %s%s, %.0f s",
                self._epoch + 1,
                epochs,
                done,
                f", {values}" if values else "",
                now - self._start,
            )

    return ProgressLog()


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True
