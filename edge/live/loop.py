"""The live loop: read a frame, run the pipeline, hand the result to every sink; repeat.

:func:`run` owns what every tool that runs a pipeline live needs: frame timing (FPS
and a running average of the stage times), the run's statistics
(:class:`~edge.live.stats.RunStats`), SIGINT/SIGTERM held back while a frame is
written (:class:`~edge.live.signals.Interrupts`), and the finalisation of every sink
and of the source, however the run ends. Frame pacing is the source's: a camera
delivers at its own rate, the demo scenes with ``realtime=True`` at ``fps``.

What a person does (keys, a paused window) comes in through ``control``, a callable
the loop asks after every frame; ``edge-run`` and ``edge-capture`` pass one, the
benchmarks none.

Imports :mod:`edge.sinks.base`, :mod:`edge.live.stats`, :mod:`edge.live.signals`,
:mod:`edge.live.memory`.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from edge.live.memory import HeapTrimmer, tune_heap_once
from edge.live.signals import INTERRUPTS, Interrupts
from edge.live.stats import FpsMeter, RunStats
from edge.sinks.base import LiveFrame, Sink

log = logging.getLogger(__name__)


class Command(enum.Enum):
    """What a ``control`` callable tells the loop after a frame (``None``: go on)."""

    QUIT = "quit"
    PAUSE = "pause"
    RESUME = "resume"


#: ``control(last_frame, paused) -> Command | None``: asked after every frame, and again
#: and again while paused (it should then wait a little, e.g. for a key).
Control = Callable[[LiveFrame | None, bool], Command | None]


def run(
    source: Any,
    pipeline: Any,
    sinks: Sequence[Sink] = (),
    *,
    max_frames: int | None = None,
    stats: RunStats | None = None,
    control: Control | None = None,
    interrupts: Interrupts | None = None,
    heap_trim: HeapTrimmer | None = None,
) -> RunStats:
    """Run ``pipeline`` over ``source`` until it ends, ``max_frames``, ``control`` quits or Ctrl-C.

    A still source (:attr:`edge.sources.FrameSource.still`: an image file or a folder of
    photos) gets no FPS on its frames and no temporal vote: the pipeline is reset before
    each image.

    Every frame goes to every sink in order (:meth:`edge.sinks.base.Sink.write`), with
    SIGINT/SIGTERM held back, so a frame counts and reaches every output, or none.
    The sinks are closed (also under held-back signals: a second Ctrl-C cannot cut a
    video's finalisation) and then the source, in ``finally``: on ``KeyboardInterrupt``
    the outputs are complete before the exception propagates.

    Args:
        source: an :class:`edge.sources.FrameSource` (``read()`` returns a
            :class:`~edge.types.Frame` or ``None`` at the end; ``close()``).
        pipeline: an :class:`edge.pipeline.Pipeline` (``process(frame)``, ``reset()``).
        sinks: where each frame goes; each is closed at the end.
        max_frames: stop after this many frames (``None``: no limit).
        stats: filled as the run goes (pass one to keep partial figures when the run
            is interrupted); a new one by default.
        control: asked after every frame (see :data:`Control`); ``None``: never paused.
        interrupts: the handler whose ``deferred()`` guards each frame's writes
            (default :data:`edge.live.signals.INTERRUPTS`; installing it is the caller's
            choice, see :meth:`~edge.live.signals.Interrupts.installed`).
        heap_trim: hands the C heap's free pages back to the system every few thousand
            frames, so RSS follows the memory in use instead of creeping with the
            allocator's retention (:mod:`edge.live.memory`); ``None``: a
            :class:`~edge.live.memory.HeapTrimmer` with the default interval
            (:data:`~edge.live.memory.DEFAULT_TRIM_EVERY` frames, or the
            ``EDGE_HEAP_TRIM_FRAMES`` environment variable; ``0`` turns it off).

    Returns:
        ``stats``.

    Raises:
        RuntimeError, OSError, ValueError: a source or sink failed (after closing them);
            a bad ``EDGE_HEAP_TRIM_FRAMES``.
        KeyboardInterrupt: after finalising the outputs.
    """
    stats = stats if stats is not None else RunStats()
    trimmer = heap_trim if heap_trim is not None else HeapTrimmer()
    sig = interrupts or INTERRUPTS
    bundle = getattr(pipeline.classifier, "bundle", None)
    stats.model_name = stats.model_name or getattr(bundle, "name", type(pipeline.classifier).__name__)
    stats.task = str(getattr(bundle, "task", None) or "digits")
    stats.still = bool(getattr(source, "still", False))
    stats.smoothing = pipeline.smoother is not None and not stats.still
    stats.min_score = float(getattr(pipeline, "min_score", 0.0))
    stats.source_name = stats.source_name or str(getattr(source, "name", ""))
    try:
        try:
            _loop(source, pipeline, sinks, max_frames, stats, control, sig, trimmer)
        finally:
            with sig.deferred():
                close_all(sinks)
    finally:
        source.close()
    return stats


def close_all(sinks: Sequence[Sink]) -> None:
    """Close every sink, even when one fails; the first failure is raised after the rest closed."""
    first: BaseException | None = None
    for s in sinks:
        try:
            s.close()
        except Exception as e:  # noqa: BLE001 (close the others, then raise the first)
            log.debug("closing %r failed", s, exc_info=True)
            first = first or e
    if first is not None:
        raise first


def _loop(
    source: Any,
    pipeline: Any,
    sinks: Sequence[Sink],
    max_frames: int | None,
    stats: RunStats,
    control: Control | None,
    sig: Interrupts,
    trimmer: HeapTrimmer,
) -> None:
    meter = FpsMeter()
    ema: dict[str, float] = {}
    paused = False
    last: LiveFrame | None = None
    t0_frame: float | None = None
    t_start = time.perf_counter()
    still = stats.still
    reconnects = getattr(source, "reconnects", 0)
    while max_frames is None or stats.frames < max_frames:
        if not paused:
            frame = source.read()
            if frame is None:
                break
            if still:  # each photo stands alone: no vote carried over from the last one
                pipeline.reset()
            elif getattr(source, "reconnects", 0) != reconnects:  # a gap: forget tracks and votes
                reconnects = source.reconnects
                pipeline.reset()
            if t0_frame is None:  # glibc: thresholds fixed above the frame size, RSS flat (edge.live.memory)
                tune_heap_once(getattr(frame.image, "nbytes", 0))
            result = pipeline.process(frame)
            now = time.perf_counter()
            fps = None if still else meter.tick(now)
            for k, v in result.timings_ms.items():
                ema[k] = v if k not in ema else 0.9 * ema[k] + 0.1 * v
            if t0_frame is None:
                t0_frame = frame.timestamp
            last = LiveFrame(result, t=frame.timestamp - t0_frame, fps=fps, timings_ms=ema)
            # A frame counts and goes to every output, or to none (Ctrl-C waits for it).
            with sig.deferred():
                stats.add(result)
                stats.wall_s = now - t_start
                for s in sinks:
                    s.write(last)
            trimmer.tick()  # after the sinks: a soak's sample on a trim frame sees the heap before it
        if control is None:
            continue
        command = control(last, paused)
        if command is Command.QUIT:
            break
        if command is Command.PAUSE:
            paused = True
        elif command is Command.RESUME and paused:
            paused = False
            pipeline.reset()
            meter = FpsMeter()
