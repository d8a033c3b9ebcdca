"""Long runs: does the live loop's memory stay flat over tens of thousands of frames?

``edge-bench soak`` runs ``--frames`` frames of a source (default the model task's demo
scene: ``demo`` for digits, ``demo-hands`` for hands) through the loop ``edge-run`` uses
(:func:`edge.live.run` with :class:`edge.live.RunStats`, the pipeline of
:func:`edge.live.make_pipeline`), samples this process's resident memory (RSS) every
``--every`` frames, and reports the curve (frames, seconds, RSS MiB) and the growth after
``--warmup`` frames: the least-squares slope in KiB per 1,000 frames and the growth that
line gives over the frames after warm-up (one sample's noise, a few MiB while segments
are built and frames decoded, does not decide the verdict). The exit status is 1 when
that growth exceeds ``--max-growth-mib``.

Telling a leak from the allocator: on glibc every sample also holds the C heap's bytes
in use and free (``mallinfo2``, :func:`edge.live.memory.heap_stats`): a leak in numpy,
OpenCV or the runtime grows the first, the allocator's retention only RSS and the second.
``--tracemalloc`` also follows the memory Python allocates (numpy's buffers included)
and ``--trace A B`` lists the lines whose allocations grew most between frames A and B;
``--malloc-trim`` hands freed heap back to the system (glibc ``malloc_trim(0)``) before
each sample. The loop fixes glibc's malloc thresholds as ``edge-run`` does
(:func:`edge.live.memory.tune_heap_once`); ``EDGE_HEAP_TUNE=0`` in the environment runs
with glibc's dynamic ones, for comparison; ``--heap-trim N`` trims every N frames.

Usage::

    edge-bench soak --frames 100000 --json soak-digits.json
    edge-bench soak --model hands --source demo-hands --frames 20000
    edge-bench soak --frames 20000 --tracemalloc --trace 5000 20000

The measuring is :func:`run_soak` and :func:`fit_growth`; the command line
:mod:`benchmarks.soak_cli`.
"""

from __future__ import annotations

import gc
import logging
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.serve_load_phase import rss_mib, slope_per_min
from edge.live import RunStats, make_pipeline, open_source, run
from edge.live.memory import HeapTrimmer, heap_stats, trim_heap
from edge.sinks.base import LiveFrame, Sink

log = logging.getLogger(__name__)

#: Growth after warm-up (MiB, from the fitted line) above which the soak fails.
DEFAULT_MAX_GROWTH_MIB = 5.0
#: Frames before the growth is measured when ``--warmup`` is not given (at most a fifth of the run).
DEFAULT_WARMUP_FRAMES = 5000


@dataclass(frozen=True)
class Sample:
    """One point of the memory curve.

    Attributes:
        frames: frames processed so far.
        seconds: wall time since the first frame (s).
        rss_mib: resident set size of this process (MiB).
        traced_mib: memory Python's allocators hold (``tracemalloc``, MiB), or ``None``
            when not tracing.
        heap_in_use_mib: the C heap's bytes in allocated blocks (glibc ``mallinfo2``: numpy,
            OpenCV and the runtime, :class:`edge.live.memory.HeapStats`), or ``None`` off
            glibc. A leak grows this; the allocator's retention does not.
        heap_free_mib: free bytes the C heap keeps (retention, fragmentation), or ``None``.
    """

    frames: int
    seconds: float
    rss_mib: float
    traced_mib: float | None = None
    heap_in_use_mib: float | None = None
    heap_free_mib: float | None = None


@dataclass
class SoakConfig:
    """What ``edge-bench soak`` runs (see the module docstring)."""

    model: str = "digits"
    source: str | None = None
    frames: int = 100_000
    every: int = 1000
    warmup: int | None = None
    max_growth_mib: float = DEFAULT_MAX_GROWTH_MIB
    seed: int = 0
    smoothing: bool = True
    threads: int | None = None
    runtime: str = "auto"
    overlay: bool = False
    jsonl: str | None = None
    tracemalloc: bool = False
    trace: tuple[int, int] | None = None
    malloc_trim: bool = False
    heap_trim: int | None = None
    json: str | None = None
    command: str = "soak"

    def warmup_frames(self) -> int:
        """``warmup``, or :data:`DEFAULT_WARMUP_FRAMES` capped at a fifth of ``frames``."""
        return self.warmup if self.warmup is not None else min(DEFAULT_WARMUP_FRAMES, self.frames // 5)


@dataclass
class SoakResult:
    """A soak's curve, the fitted growth and, with ``--trace``, the top allocation diffs."""

    model: str
    source: str
    frames: int
    warmup_frames: int
    samples: list[Sample] = field(default_factory=list)
    trace_top: list[str] = field(default_factory=list)
    stats: RunStats | None = None
    interrupted: bool = False
    heap_trim: HeapTrimmer | None = None

    def growth(self, max_growth_mib: float = DEFAULT_MAX_GROWTH_MIB) -> dict[str, Any]:
        """:func:`fit_growth` of the RSS curve (and of the traced curve, when sampled)."""
        g = fit_growth(self.samples, self.warmup_frames, "rss_mib")
        g["max_growth_mib"] = max_growth_mib
        g["ok"] = g["growth_mib"] is not None and g["growth_mib"] <= max_growth_mib
        for attr, prefix in (("traced_mib", "traced_"), ("heap_in_use_mib", "heap_in_use_")):
            if any(getattr(s, attr) is not None for s in self.samples):
                t = fit_growth(self.samples, self.warmup_frames, attr)
                g.update({f"{prefix}{k}": v for k, v in t.items()})
        h = self.heap_trim
        g["heap_trims"], g["heap_trim_every"] = (h.trims, h.every) if h is not None else (0, 0)
        g["heap_trim_ms_mean"] = 1e3 * h.seconds / h.trims if h is not None and h.trims else None
        g["heap_trim_ms_max"] = h.max_ms if h is not None and h.trims else None
        return g


def fit_growth(samples: Sequence[Sample], warmup_frames: int, attr: str = "rss_mib") -> dict[str, Any]:
    """The growth of one curve after warm-up.

    Args:
        samples: the curve, in frame order.
        warmup_frames: samples before this frame count are ignored (the first sample at or
            after it is the baseline).
        attr: the :class:`Sample` field to fit (``rss_mib``, ``traced_mib``, ``heap_in_use_mib``).

    Returns:
        ``start_mib`` (first sample), ``warmup_mib`` (the baseline), ``end_mib``,
        ``peak_mib``, ``raw_growth_mib`` (last minus baseline),
        ``slope_kib_per_1000`` (least squares over the samples after warm-up, KiB per
        1,000 frames) and ``growth_mib`` (that slope times the frames after warm-up);
        the last two are ``None`` with fewer than three samples after warm-up.
        ``peak_growth_mib``: the highest sample of the second half after warm-up minus
        the highest of the first half (an allocator's swings move the line, not the peaks).
    """
    pts = [(s.frames, getattr(s, attr)) for s in samples if getattr(s, attr) is not None]
    after = [(f, y) for f, y in pts if f >= warmup_frames]
    out: dict[str, Any] = dict.fromkeys(
        (
            "start_mib",
            "warmup_mib",
            "end_mib",
            "peak_mib",
            "raw_growth_mib",
            "slope_kib_per_1000",
            "growth_mib",
            "peak_growth_mib",
        )
    )
    if not pts:
        return out
    out.update(start_mib=pts[0][1], end_mib=pts[-1][1], peak_mib=max(y for _, y in pts))
    if not after:
        return out
    out.update(warmup_mib=after[0][1], raw_growth_mib=after[-1][1] - after[0][1])
    if len(after) >= 2:
        half = len(after) // 2
        out["peak_growth_mib"] = max(y for _, y in after[half:]) - max(y for _, y in after[:half])
    # slope_per_min fits y over x and scales by 60: undo that for a slope per frame
    per_frame = slope_per_min([float(f) for f, _ in after], [y for _, y in after])
    if per_frame is not None:
        per_frame /= 60.0
        out.update(
            slope_kib_per_1000=per_frame * 1024.0 * 1000.0,
            growth_mib=per_frame * (after[-1][0] - after[0][0]),
        )
    return out


def current_rss_mib() -> float:
    """This process's RSS in MiB: ``/proc/self/statm`` where there is one, else psutil.

    Raises:
        RuntimeError: neither ``/proc`` nor psutil is available (``pip install psutil``).
    """
    try:
        return rss_mib()
    except OSError:
        pass
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError as e:
        raise RuntimeError("no /proc/self/statm here: pip install psutil to sample memory") from e
    return float(psutil.Process().memory_info().rss) / 2**20


def malloc_trimmer() -> Callable[[], None]:
    """A function that returns the C heap's free memory to the system (glibc ``malloc_trim(0)``,
    :func:`edge.live.memory.trim_heap`).

    Raises:
        ValueError: the C library has no ``malloc_trim`` (not glibc): drop ``--malloc-trim``.
    """
    if heap_stats() is None:
        raise ValueError("this C library has no malloc_trim (not glibc); run without --malloc-trim")

    def trim() -> None:
        trim_heap()

    return trim


class MemorySampler:
    """A :class:`edge.sinks.base.Sink` that samples memory every ``every`` frames.

    Args:
        every: frames between samples (a sample is also taken before the first frame and,
            by :meth:`close`, after the last).
        trace: frame counts ``(a, b)`` at which to take ``tracemalloc`` snapshots and
            list the top allocation diffs (tracing must be on).
        trim: called before each sample (:func:`malloc_trimmer`), or ``None``.
        on_sample: called with each new :class:`Sample` (progress lines).
    """

    def __init__(
        self,
        every: int,
        *,
        trace: tuple[int, int] | None = None,
        trim: Callable[[], None] | None = None,
        on_sample: Callable[[Sample], None] | None = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"--every must be >= 1 frame, got {every}")
        if trace is not None and not 0 < trace[0] < trace[1]:
            raise ValueError(f"--trace A B needs 0 < A < B frames, got {trace}")
        self.every, self.trace, self.trim, self.on_sample = every, trace, trim, on_sample
        self.frames = 0
        self.samples: list[Sample] = []
        self.trace_top: list[str] = []
        self._snapshot: tracemalloc.Snapshot | None = None
        self._t0 = time.perf_counter()
        self.sample()

    def sample(self) -> Sample:
        if self.trim is not None:
            self.trim()
        traced = tracemalloc.get_traced_memory()[0] / 2**20 if tracemalloc.is_tracing() else None
        heap = heap_stats()
        s = Sample(
            self.frames,
            time.perf_counter() - self._t0,
            current_rss_mib(),
            traced,
            heap.in_use_mib if heap is not None else None,
            heap.free_mib if heap is not None else None,
        )
        self.samples.append(s)
        if self.on_sample is not None:
            self.on_sample(s)
        return s

    def write(self, frame: LiveFrame) -> None:
        self.frames += 1
        if self.trace is not None and self.frames in self.trace and tracemalloc.is_tracing():
            gc.collect()
            snap = tracemalloc.take_snapshot()
            if self.frames == self.trace[0]:
                self._snapshot = snap
            elif self._snapshot is not None:
                diffs = snap.compare_to(self._snapshot, "lineno")
                self.trace_top = [str(d) for d in diffs[:15]]
                self._snapshot = None
        if self.frames % self.every == 0:
            self.sample()

    def close(self) -> None:
        if not self.samples or self.samples[-1].frames != self.frames:
            self.sample()


class DrawOverlay:
    """A sink that draws each frame's overlay, as a window, video or web view would."""

    def write(self, frame: LiveFrame) -> None:
        frame.overlay()

    def close(self) -> None:
        return None


def run_soak(
    cfg: SoakConfig,
    *,
    extra_sinks: Sequence[Sink] = (),
    pipeline: Any = None,
    source: Any = None,
    on_sample: Callable[[Sample], None] | None = None,
) -> SoakResult:
    """Run ``cfg.frames`` frames through :func:`edge.live.run` and sample memory.

    Args:
        cfg: what to run.
        extra_sinks: more sinks after the sampler (tests inject a leaky one here).
        pipeline: a ready :class:`edge.pipeline.Pipeline`; ``None``: :func:`make_pipeline`
            of ``cfg.model``.
        source: an open frame source (closed at the end); ``None``: open ``cfg.source`` or
            the task's demo scene.
        on_sample: called with each sample as it is taken.

    Returns:
        The curve; :meth:`SoakResult.growth` gives the verdict. A ``KeyboardInterrupt``
        (Ctrl-C, or SIGTERM while :data:`edge.live.INTERRUPTS` is installed) ends the run
        early: the result then holds the frames run so far (``interrupted``).

    Raises:
        ValueError: bad settings, an unknown source.
        edge.bundle.BundleError: the model bundle cannot be loaded.
        RuntimeError: a source or the runtime failed.
    """
    from edge.sinks import JsonlSink
    from edge.sources import DEMO_BY_TASK

    if cfg.frames < 1:
        raise ValueError(f"--frames must be >= 1, got {cfg.frames}")
    warmup = cfg.warmup_frames()
    if not 0 <= warmup < cfg.frames:
        raise ValueError(f"--warmup must be in [0, --frames), got {warmup} of {cfg.frames}")
    trimmer = HeapTrimmer(cfg.heap_trim)  # what edge-run does (EDGE_HEAP_TRIM_FRAMES, or 2000 frames)
    if pipeline is None:
        pipeline = make_pipeline(
            cfg.model,
            smoothing=cfg.smoothing,
            threads=cfg.threads,
            runtime=cfg.runtime,
            source=cfg.source or "demo",
            views=False,  # the live loop's one read per ROI, whatever the source
        )
    bundle = getattr(pipeline.classifier, "bundle", None)
    spec = cfg.source or DEMO_BY_TASK.get(str(getattr(bundle, "task", "digits")), "demo")
    trim = malloc_trimmer() if cfg.malloc_trim else None
    if (cfg.tracemalloc or cfg.trace) and not tracemalloc.is_tracing():
        tracemalloc.start(1)
    if source is None:
        source = open_source(spec, seed=cfg.seed)
    sinks: list[Any] = []
    try:
        sampler = MemorySampler(cfg.every, trace=cfg.trace, trim=trim, on_sample=on_sample)
        sinks = [sampler, *extra_sinks]
        if cfg.overlay:
            sinks.append(DrawOverlay())
        if cfg.jsonl:
            sinks.append(JsonlSink(cfg.jsonl))
    except BaseException:
        source.close()
        raise
    stats = RunStats()
    interrupted = False
    try:
        run(source, pipeline, sinks, max_frames=cfg.frames, stats=stats, heap_trim=trimmer)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (with INTERRUPTS installed): the curve so far
        interrupted = True
        log.info("soak interrupted after %d frames", stats.frames)
        if len(sampler.samples) > 1 and sampler.samples[-1].frames % cfg.every:
            sampler.samples.pop()  # taken while unwinding (the traceback holds the last frame)
    return SoakResult(
        model=str(getattr(bundle, "name", cfg.model)),
        source=str(getattr(source, "name", spec)),
        frames=stats.frames,
        warmup_frames=warmup,
        samples=sampler.samples,
        trace_top=sampler.trace_top,
        stats=stats,
        interrupted=interrupted,
        heap_trim=trimmer,
    )
