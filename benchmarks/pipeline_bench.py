"""The pipeline benchmark: segmentation to prediction per frame, stage by stage.

Times the very :class:`edge.pipeline.Pipeline` that ``edge-run`` builds
(:func:`edge.pipeline.build_pipeline`, with the same segmenter), so the numbers are
what a user's device does. By default a digits model is timed on the ``demo`` scene
and a hands model on ``demo-hands`` (:data:`edge.sources.DEMO_BY_TASK`), each against
its task's budget in :data:`TARGET_MS_BY_TASK`.
Frames are read from the source into memory *before* timing, so camera waits, file
decoding and demo-scene rendering are excluded ("no camera wait"): what remains is
segment, preprocess, classify and smooth (incl. grouping digits into numbers).

Per frame it keeps the pipeline's own per-stage timings (``FrameResult.timings_ms``)
and, around the whole ``Pipeline.process`` call, a ``time.perf_counter_ns`` wall time
(``process``: the stages plus building the result; the target is checked on that) and
the process's CPU time (``process_cpu``, ``time.process_time_ns``), which tells a
busy machine from a slow pipeline.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from benchmarks.bench_frames import (  # noqa: F401  (part of this module's API)
    BUDGET_FPS,
    SCENE_FRAMES,
    TARGET_MS_BY_TASK,
    TARGET_P99_RATIO,
    default_source,
    dropped_frames,
    is_demo_source,
    is_live_source,
    open_bench_source,
    parse_digit_range,
    preload_frames,
    target_ms_for,
)
from benchmarks.latency_stats import gc_paused
from benchmarks.pipeline_result import PipelineResult, overhead_ratios  # noqa: F401  (API)
from edge.pipeline import STAGES, Pipeline, Segmenter, build_pipeline
from edge.sources.base import FrameSource
from edge.types import Frame

log = logging.getLogger(__name__)

#: Timings reported per frame (ms): the pipeline's stages, its own total, the wall time
#: of the whole ``process`` call, and the CPU time the process (all its threads) used
#: during that call. ``process_cpu`` well below ``process`` means other programs were
#: taking the CPUs: the pipeline waited, it was not slow.
METRICS = (*STAGES, "total", "process", "process_cpu")
#: With ``outputs=True`` (``edge-bench pipeline``), also timed after ``process``, as
#: ``edge-run --output`` does: ``draw`` (:meth:`edge.sinks.LiveFrame.overlay`, an
#: annotated copy), ``write`` (:meth:`edge.sinks.VideoSink.write_image`, an ``.mp4`` in a
#: temporary folder, deleted afterwards: fragmented H.264 with PyAV, else OpenCV's mp4v)
#: and ``end_to_end`` (process + draw + write).
OUTPUT_METRICS = ("draw", "write", "end_to_end")
#: Live runs (``--live``, cameras) also time ``capture``: the wait in ``source.read()``
#: for the next frame (a camera's frame interval minus the work done meanwhile).
CAPTURE_METRIC = "capture"
#: Frame rate of the benchmark's video (the demo's rate; edge-run uses the source's).
VIDEO_FPS = 30.0
#: Parts of ``segment`` a hand tracker reports in ``FrameResult.timings_ms`` (ms): palm
#: detection and the landmark model (0 on frames where they did not run); rows only when
#: the segmenter reports them.
HAND_PARTS = ("palm", "landmarks")


def time_pipeline(
    pipeline: Pipeline,
    frames: list[Frame],
    *,
    warmup: int = 30,
    disable_gc: bool = False,
    outputs: bool = False,
) -> dict[str, Any]:
    """Process ``frames`` in order and collect per-frame timings.

    The first ``warmup`` frames of the list are processed first and discarded (then the
    pipeline's temporal state is reset and every frame is timed), so the smoother sees
    the same scene continuity that ``edge-run`` would.

    Args:
        pipeline: the pipeline to time.
        frames: frames already in memory, uint8 (H, W, 3) BGR.
        warmup: frames processed untimed first (cycled if fewer frames exist).
        disable_gc: pause the garbage collector during the timed loop.
        outputs: also time drawing and video writing (:data:`OUTPUT_METRICS`).

    Returns:
        ``{"samples_ms": {metric: float64 (N,)}, "rois": int (N,), "truth_digits": int (N,)}``.
    """
    with _maybe_video(outputs) as video:
        return _time_loop(pipeline, frames, warmup, disable_gc, video)


class _Timer:
    """Times one frame through ``pipeline.process`` (and drawing/writing with ``video``)
    into preallocated per-metric arrays, as ``edge-run``'s loop runs it."""

    def __init__(self, pipeline: Pipeline, n: int, video: Any, extra: tuple[str, ...] = ()) -> None:
        from edge.sinks import LiveFrame

        self.pipeline, self.video = pipeline, video
        self.frame_of = LiveFrame
        metrics = METRICS + HAND_PARTS + (OUTPUT_METRICS if video is not None else ()) + extra
        self.samples = {m: np.full(n, np.nan, np.float64) for m in metrics}
        self.rois = np.zeros(n, np.int64)
        self.truth = np.full(n, -1, np.int64)
        #: 1.0 / 0.0: the palm detector ran on the frame (``FrameResult.palm_detector_ran``), NaN: unknown
        self.palm_ran = np.full(n, np.nan, np.float64)
        #: ROIs whose finder score (a hand's landmark presence) is >= 0.5
        self.confident = np.zeros(n, np.int64)
        #: ROIs that took a reading kept from the last frames (edge.read_cache), not read afresh
        self.kept = np.zeros(n, np.int64)

    def warm(self, frame: Frame) -> None:
        res = self.pipeline.process(frame)
        if self.video is not None:
            self.video.write_image(self.frame_of(res, fps=30.0, timings_ms=res.timings_ms).overlay())

    def time(self, i: int, frame: Frame) -> None:
        clock, samples = time.perf_counter_ns, self.samples
        cache = getattr(self.pipeline, "read_cache", None)
        taken = getattr(cache, "taken", 0)
        c0 = time.process_time_ns()
        t0 = clock()
        res = self.pipeline.process(frame)
        t1 = clock()
        c1 = time.process_time_ns()
        samples["process"][i] = (t1 - t0) / 1e6
        samples["process_cpu"][i] = (c1 - c0) / 1e6
        for m in (*STAGES, "total", *HAND_PARTS):
            samples[m][i] = res.timings_ms.get(m, np.nan)
        ran = getattr(res, "palm_detector_ran", None)
        if ran is not None:
            self.palm_ran[i] = float(ran)
        if self.video is not None:  # as edge.live.run: the overlay drawn once, then the recorder
            t2 = clock()
            annotated = self.frame_of(res, fps=30.0, timings_ms=res.timings_ms).overlay()
            t3 = clock()
            self.video.write_image(annotated, frame.timestamp)
            t4 = clock()
            samples["draw"][i] = (t3 - t2) / 1e6
            samples["write"][i] = (t4 - t3) / 1e6
            samples["end_to_end"][i] = samples["process"][i] + (t4 - t2) / 1e6
        self.rois[i] = len(res.raw)
        self.kept[i] = getattr(cache, "taken", 0) - taken
        self.confident[i] = sum(1 for d in res.raw if d.roi.score is not None and d.roi.score >= 0.5)
        if frame.truth is not None:
            self.truth[i] = len(frame.truth)

    def result(self, n: int | None = None) -> dict[str, Any]:
        k = len(self.rois) if n is None else n
        parts_missing = {m for m in HAND_PARTS if np.isnan(self.samples[m][:k]).any()}
        return {
            "samples_ms": {m: v[:k] for m, v in self.samples.items() if m not in parts_missing},
            "rois": self.rois[:k],
            "truth_digits": self.truth[:k],
            "palm_ran": None if np.isnan(self.palm_ran[:k]).all() else self.palm_ran[:k],
            "confident": self.confident[:k],
            "kept": self.kept[:k],
        }


def _time_loop(
    pipeline: Pipeline, frames: list[Frame], warmup: int, disable_gc: bool, video: Any
) -> dict[str, Any]:
    if not frames:
        raise ValueError("no frames to time")
    timer = _Timer(pipeline, len(frames), video)
    for i in range(max(0, warmup)):
        timer.warm(frames[i % len(frames)])
    reset_all(pipeline)
    with gc_paused(disable_gc):
        for i, frame in enumerate(frames):
            timer.time(i, frame)
    return timer.result()


def bench_pipeline_live(
    model: Any,
    source: FrameSource | str,
    *,
    count: int = 500,
    warmup: int = 30,
    seed: int = 0,
    fps: float = 30.0,
    threads: int | None = None,
    runtime: str = "auto",
    smoothing: bool = True,
    disable_gc: bool = False,
    segmenter: str | Segmenter | None = None,
    outputs: bool = False,
    keep_readings: int | None = None,
) -> PipelineResult:
    """Benchmark ``edge-run``'s loop on a live source: read, process (draw, write), repeat.

    Unlike :func:`bench_pipeline`, frames are not held in memory: each ``read()`` is
    timed as :data:`CAPTURE_METRIC`, the end-to-end FPS is frames / wall time, and the
    frames the source produced but the loop missed are counted (:func:`dropped_frames`).
    The demos (``demo``, ``demo-hands``) are paced like a camera at ``fps``.

    Args:
        model: as :func:`bench_pipeline`.
        source: an open source or a spec (a camera index, ``picamera``, a stream, a
            video, ``demo``/``demo-hands`` ...).
        count: frames to time (fewer if the source ends).
        warmup: frames read and processed first, untimed.
        seed: demo seed.
        fps: the demos' camera rate (frames/s); cameras are asked for nothing.
        threads, runtime, smoothing, disable_gc, segmenter, outputs, keep_readings: as
            :func:`bench_pipeline`.

    Raises:
        BundleError: the bundle cannot be loaded.
        ValueError, RuntimeError: the source cannot be opened or gives no frame.
    """
    from edge.sources import open_source

    kw: dict[str, Any] = {} if segmenter is None else {"segmenter": segmenter}
    pipe = build_pipeline(model, smoothing=smoothing, num_threads=threads, runtime=runtime, **kw)
    keep_readings_for(pipe, keep_readings)
    clf = pipe.classifier
    bundle = getattr(clf, "bundle", None)
    task = str(getattr(bundle, "task", None) or "digits")
    is_demo = isinstance(source, str) and is_demo_source(source)
    if isinstance(source, str):
        src = (
            open_source(source, seed=seed, realtime=True, fps=fps)
            if is_demo
            else open_source(source, seed=seed)
        )
    else:
        src = source
    name = source if isinstance(source, str) else type(source).__name__
    with src, _maybe_video(outputs) as video:
        timer = _Timer(pipe, count, video, extra=(CAPTURE_METRIC,))
        for _ in range(max(0, warmup)):
            f = src.read()
            if f is None:
                break
            timer.warm(f)
        reset_all(pipe)
        indices: list[int] = []
        stamps: list[float] = []
        clock = time.perf_counter_ns
        start = clock()
        with gc_paused(disable_gc):
            for i in range(count):
                t0 = clock()
                frame = src.read()
                if frame is None:
                    break
                timer.samples[CAPTURE_METRIC][i] = (clock() - t0) / 1e6
                timer.time(i, frame)
                indices.append(frame.index)
                stamps.append(frame.timestamp)
        wall_s = (clock() - start) / 1e9
        src_fps = getattr(src, "fps", None)
    n = len(indices)
    if n == 0:
        raise ValueError(f"source {name} gave no frame to time")
    dropped, method = dropped_frames(indices, stamps, src_fps)
    live = {
        "frames": n,
        "wall_s": wall_s,
        "fps_end_to_end": n / wall_s if wall_s > 0 else None,
        "source_fps": float(src_fps) if src_fps else None,
        "dropped": dropped,
        "dropped_method": method,
        "dropped_fraction": dropped / (n + dropped),
    }
    return PipelineResult(
        model=bundle.name if bundle is not None else str(model),
        runtime=str(getattr(clf, "runtime", "unknown")),
        threads=getattr(clf, "num_threads", threads),
        source=str(name),
        warmup=warmup,
        task=task,
        live=live,
        **timer.result(n),
    )


def keep_readings_for(pipeline: Pipeline, frames: int | None) -> None:
    """Set how many frames ``pipeline`` keeps a ROI's sure reading (its :class:`edge.read_cache.ReadCache`
    ``max_age``, which raises ValueError for ``frames`` < 0; ``None``: as built)."""
    if frames is not None:
        pipeline.read_cache.max_age = frames


def reset_all(pipeline: Pipeline) -> None:
    """Forget the smoother's tracks and the segmenter's (a hand tracker's tracked hands), so
    timing starts as a fresh ``edge-run`` does: its first video frame runs the palm detector."""
    pipeline.reset()
    seg_reset = getattr(pipeline.segmenter, "reset", None)
    if callable(seg_reset):
        seg_reset()


@contextlib.contextmanager
def _maybe_video(outputs: bool) -> Iterator[Any]:
    if not outputs:
        yield None
        return
    import tempfile

    from edge.sinks import VideoSink

    with (
        tempfile.TemporaryDirectory(prefix="edge-bench-") as tmp,
        VideoSink(f"{tmp}/pipeline.mp4", fps=VIDEO_FPS) as video,
    ):
        yield video


def bench_pipeline(
    model: Any,
    frames: Iterable[Frame] | None = None,
    *,
    source: str | None = None,
    count: int = 500,
    warmup: int = 30,
    seed: int = 0,
    digits: tuple[int, int] | None = None,
    scene_frames: int | None = SCENE_FRAMES,
    threads: int | None = None,
    runtime: str = "auto",
    smoothing: bool = True,
    disable_gc: bool = False,
    pipeline: Pipeline | None = None,
    segmenter: str | Segmenter | None = None,
    outputs: bool = False,
    keep_readings: int | None = None,
) -> PipelineResult:
    """Benchmark ``build_pipeline(model)`` on frames held in memory.

    Args:
        model: bundle, bundle folder, shipped name or classifier for
            :func:`edge.pipeline.build_pipeline`.
        frames: frames to time; default: ``count`` frames read first from ``source``.
        source: source spec used when ``frames`` is not given; default: the model
            task's demo scene (:func:`default_source`).
        count: timed frames to read from ``source``.
        warmup: frames processed and discarded before timing.
        seed: demo scene seed.
        digits: keep only source frames with this many ground-truth objects (lo, hi).
        scene_frames: frames per demo sheet or room (see :func:`open_bench_source`).
        threads: interpreter threads (``None``: runtime default, as ``edge-run``).
        runtime: TFLite runtime.
        smoothing: include the temporal smoother, as ``edge-run`` does by default.
        disable_gc: pause the garbage collector during the timed loop.
        pipeline: time this pipeline instead of building one (``model`` then only
            names it).
        segmenter: the segmenter for :func:`edge.pipeline.build_pipeline` (a hand
            segmenter's name such as ``"skin"``, or an instance); ``None``: the
            pipeline's default for the task.
        outputs: also time drawing and video writing (:data:`OUTPUT_METRICS`).
        keep_readings: frames a ROI's sure reading is kept while its ink does not change
            (the pipeline's :class:`edge.read_cache.ReadCache` ``max_age``; 0: none kept, every
            ROI read afresh); ``None``: the pipeline's own (3 with a smoother, as ``edge-run``).

    Returns:
        A :class:`PipelineResult`.

    Raises:
        BundleError: the bundle cannot be loaded.
        ValueError: bad frame counts, digits range or source, a negative ``keep_readings``.
    """
    kw: dict[str, Any] = {} if segmenter is None else {"segmenter": segmenter}
    pipe = pipeline or build_pipeline(model, smoothing=smoothing, num_threads=threads, runtime=runtime, **kw)
    keep_readings_for(pipe, keep_readings)
    clf = pipe.classifier
    bundle = getattr(clf, "bundle", None)
    task = str(getattr(bundle, "task", None) or "digits")
    if frames is None and source is None:
        source = default_source(task)
    frame_list = (
        list(frames)
        if frames is not None
        else preload_frames(str(source), count, seed=seed, digits=digits, scene_frames=scene_frames)
    )
    timed = time_pipeline(pipe, frame_list, warmup=warmup, disable_gc=disable_gc, outputs=outputs)
    return PipelineResult(
        model=bundle.name if bundle is not None else str(model),
        runtime=str(getattr(clf, "runtime", "unknown")),
        threads=getattr(clf, "num_threads", threads),
        source=str(source) if frames is None else "frames",
        warmup=warmup,
        task=task,
        **timed,
    )
