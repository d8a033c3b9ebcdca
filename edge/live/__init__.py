"""The live loop as a library: ``edge.live.run(source, pipeline, sinks)``.

- :mod:`~edge.live.loop`: :func:`run`, frame by frame from a source through a pipeline to
  every sink (:mod:`edge.sinks`), with FPS, stage times, statistics, held-back signals
  and the finalisation of every sink.
- :mod:`~edge.live.stats`: :class:`FpsMeter`, :class:`RunStats` (what a run measured, the
  summary lines).
- :mod:`~edge.live.signals`: :class:`Interrupts` (SIGINT/SIGTERM as a clean stop).
- :mod:`~edge.live.launch`: the source a spec names, the pipeline a bundle asks for.
- :mod:`~edge.live.memory`: glibc's malloc thresholds fixed for long runs (RSS flat, not
  creeping with the allocator's retention), the C heap's figures, heap trims.

``edge-run``, ``edge-serve``, ``edge-capture`` (:mod:`edge.cli`) and the benchmarks call
this package. It may import the stages, :mod:`edge.pipeline`, :mod:`edge.sinks` and
:mod:`edge.evaluate`; never a CLI module (printing, keys and exit codes are theirs).
"""

from edge.live.launch import (
    DEFAULT_HAND_SEGMENTER,
    DEFAULT_SOURCE,
    HAND_SEGMENTERS,
    camera_hint,
    make_pipeline,
    open_source,
    segmenter_kwargs,
    source_kind,
)
from edge.live.loop import Command, Control, close_all, run
from edge.live.signals import INTERRUPTS, Interrupts
from edge.live.stats import FpsMeter, RunStats, shown_detections

__all__ = [
    "DEFAULT_HAND_SEGMENTER",
    "DEFAULT_SOURCE",
    "HAND_SEGMENTERS",
    "INTERRUPTS",
    "Command",
    "Control",
    "FpsMeter",
    "Interrupts",
    "RunStats",
    "camera_hint",
    "close_all",
    "make_pipeline",
    "open_source",
    "run",
    "segmenter_kwargs",
    "shown_detections",
    "source_kind",
]
