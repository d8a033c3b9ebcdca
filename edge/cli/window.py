"""What a person sees and presses during ``edge-run``: the window's keys (q/Esc quit,
space/p pause, s snapshot) as the live loop's ``control``, and, in headless runs of live
sources, a status line on stderr every few seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from edge.live import Command, RunStats, shown_detections
from edge.sinks import LiveFrame

#: The keys, as ``edge-run`` prints them when a window opens.
KEYS_HELP = "keys: q/Esc quit, space/p pause, s snapshot"
QUIT_KEYS = frozenset({ord("q"), ord("Q"), 27})
PAUSE_KEYS = frozenset({ord(" "), ord("p"), ord("P")})
SNAPSHOT_KEYS = frozenset({ord("s"), ord("S")})
#: Seconds between status lines on stderr in headless runs of live sources.
STATUS_EVERY_S = 5.0


class StatusLines:
    """A sink printing ``frame N: FPS, read: ...`` to stderr every ``every_s`` seconds
    (headless runs of live sources, so a terminal shows the run is alive)."""

    def __init__(self, every_s: float = STATUS_EVERY_S) -> None:
        self.every_s = every_s
        self._next = time.perf_counter() + every_s
        self._frames = 0

    def write(self, frame: LiveFrame) -> None:
        self._frames += 1
        now = time.perf_counter()
        if now >= self._next:
            self._next = now + self.every_s
            read = " ".join(d.prediction.label for d in shown_detections(frame.result.detections)) or "-"
            print(f"frame {self._frames}: {frame.fps or 0.0:.1f} FPS, read: {read}", file=sys.stderr)

    def close(self) -> None:
        pass


class WindowKeys:
    """The window's keys as the live loop's ``control``: q/Esc quit, space/p pause and
    resume (the paused frame is shown with ``PAUSED``), s saves a PNG snapshot.

    Args:
        display: the window (a sink of the run: it shows each frame and notes the key).
        snapshot_dir: where snapshots go.
        stats: gets the snapshots' paths.
    """

    def __init__(self, display: Any, snapshot_dir: str, stats: RunStats) -> None:
        self.display, self.snapshot_dir, self.stats = display, snapshot_dir, stats

    def __call__(self, last: LiveFrame | None, paused: bool) -> Command | None:
        if last is None:
            return Command.QUIT
        if paused:
            still = LiveFrame(
                last.result, t=last.t, fps=last.fps, timings_ms=last.timings_ms, status="PAUSED"
            )
            key = self.display.show(still.overlay(), wait_ms=30)
        else:
            key = self.display.last_key
        if self.display.closed or key in QUIT_KEYS:
            return Command.QUIT
        if key in PAUSE_KEYS:
            return Command.RESUME if paused else Command.PAUSE
        if key in SNAPSHOT_KEYS:
            p = snapshot(last.overlay(), self.snapshot_dir, self.stats.frames)
            self.stats.snapshots.append(p)
            print(f"saved {p}", file=sys.stderr)
        return None


def snapshot(image: Any, folder: str, index: int) -> Path:
    """Save a uint8 (H, W, 3) BGR image as ``FOLDER/snapshot-<time>-<index>.png``.

    Raises:
        OSError: the file cannot be written.
    """
    import cv2

    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"snapshot-{time.strftime('%Y%m%d-%H%M%S')}-{index:06d}.png"
    if not cv2.imwrite(str(p), image):
        raise OSError(f"cannot write snapshot {p}")
    return p
