"""One JSON object per frame and line (``edge-run --jsonl``): :class:`JsonlSink`.

Every line is flushed as it is written, so the file is complete after Ctrl-C.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from edge.sinks.base import LiveFrame, SinkBase


class JsonlSink(SinkBase):
    """Write one JSON object per line, flushed after every line.

    Args:
        path: output file (its folder is created), or ``"-"`` for standard output.

    Raises:
        OSError: the file cannot be created.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.lines_written = 0
        if self.path == "-":
            self._f = sys.stdout
            self._own = False
        else:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self._f = open(self.path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
            except OSError as e:
                raise OSError(f"cannot write JSON Lines to {self.path}: {e.strerror}") from e
            self._own = True

    def write(self, frame: LiveFrame) -> None:
        """Append the frame's JSON Lines record (:attr:`LiveFrame.record`)."""
        self.write_record(frame.record)

    def write_record(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line of JSON and flush it."""
        self._f.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._f.flush()
        self.lines_written += 1

    def close(self) -> None:
        """Flush and close the file (standard output is only flushed)."""
        if self._own and not self._f.closed:
            self._f.close()
        elif not self._own:
            self._f.flush()
