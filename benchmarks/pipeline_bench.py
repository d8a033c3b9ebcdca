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
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.latency import LatencyStats, gc_paused, summarize
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
#: annotated copy), ``write`` (:meth:`edge.sinks.VideoSink.write_image`, mp4v ``.mp4`` in a
#: temporary folder, deleted afterwards) and ``end_to_end`` (process + draw + write).
OUTPUT_METRICS = ("draw", "write", "end_to_end")
#: Live runs (``--live``, cameras) also time ``capture``: the wait in ``source.read()``
#: for the next frame (a camera's frame interval minus the work done meanwhile).
CAPTURE_METRIC = "capture"
#: Frame rate of the benchmark's video (the demo's rate; edge-run uses the source's).
VIDEO_FPS = 30.0
#: Frame rate whose budget the pipeline is judged against (fps).
BUDGET_FPS = 30.0
#: The budget of each model task, the one place it is set: median ``process`` time per
#: 640x480 frame (ms) ...
TARGET_MS_BY_TASK: dict[str, float] = {"digits": 3.3, "hands": 3.3}
#: ... with p99 at most this multiple of the median.
TARGET_P99_RATIO = 2.0
#: Frames per demo sheet (digits) or room (hands) in the benchmark (``edge-run``'s
#: demos: 150 and 180).
SCENE_FRAMES = 25

_DEMO = re.compile(r"^(demo-hands|demo)(?::(-?\d+))?$")


def target_ms_for(task: str) -> float:
    """The median ms per frame a pipeline of ``task`` must meet (:data:`TARGET_MS_BY_TASK`).

    Raises:
        ValueError: a task without a budget.
    """
    try:
        return TARGET_MS_BY_TASK[task]
    except KeyError:
        raise ValueError(f"no pipeline budget for task {task!r}; known: "
                         f"{', '.join(TARGET_MS_BY_TASK)}") from None


def default_source(task: str) -> str:
    """The benchmark's frame source for a model of ``task``: its built-in demo scene.

    Raises:
        ValueError: a task without a demo scene.
    """
    from edge.sources import DEMO_BY_TASK

    try:
        return DEMO_BY_TASK[task]
    except KeyError:
        raise ValueError(f"no demo scene for task {task!r}; pass --source") from None


def parse_digit_range(spec: str | None) -> tuple[int, int] | None:
    """``"3"`` → (3, 3), ``"1..5"`` or ``"1-5"`` → (1, 5), ``None``/``""`` → ``None``.

    Raises:
        ValueError: not a count or range of counts >= 0.
    """
    if spec is None or str(spec).strip() == "":
        return None
    s = str(spec).strip()
    lo, sep, hi = s.partition("..") if ".." in s else s.partition("-")
    try:
        a = int(lo)
        b = int(hi) if sep else a
    except ValueError as e:
        raise ValueError(f"--digits {spec!r}: give a count (3) or a range (1..5)") from e
    if a < 0 or b < a:
        raise ValueError(f"--digits {spec!r}: need 0 <= low <= high, e.g. 1..5")
    return a, b


def open_bench_source(source: str, *, seed: int = 0,
                      scene_frames: int | None = SCENE_FRAMES) -> FrameSource:
    """Open ``source`` with :func:`edge.sources.open_source`; the demos with shorter scenes.

    The digits demo changes sheet (and so its number of digits) every 150 frames in
    ``edge-run``; 500 benchmark frames would then see only three or four sheets and
    maybe never five digits. Here a sheet lasts ``scene_frames`` frames, so every
    count from 1 to 5 digits is timed. Likewise the hands demo changes room (wall,
    desk, light, skin, hand size) every ``scene_frames`` frames instead of every 6 s,
    so the segmenter is timed on many rooms, with and without a hand. Each frame is
    rendered the same way.

    Args:
        source: a source spec (``demo``, ``demo:7``, ``demo-hands``, ``demo-hands:7``,
            a video, an image folder ...).
        seed: demo seed when the spec gives none.
        scene_frames: frames per demo sheet or room (``None``: the demo's own 5 or 6 s).
    """
    from edge.sources import open_source

    m = _DEMO.match(source.strip().lower())
    if m:
        seed = int(m.group(2)) if m.group(2) else seed
        if m.group(1) == "demo-hands":
            from edge.sources.demo_hands import HandsDemoSource

            return HandsDemoSource(seed, segment_frames=scene_frames)
        from edge.sources.demo import DemoSource

        return DemoSource(seed, segment_frames=scene_frames)
    return open_source(source, seed=seed)


def preload_frames(source: str, count: int, *, seed: int = 0,
                   digits: tuple[int, int] | None = None, max_reads: int | None = None,
                   scene_frames: int | None = SCENE_FRAMES) -> list[Frame]:
    """Read ``count`` frames from a source into memory (before any timing).

    Args:
        source: a source spec for :func:`edge.sources.open_source` (``demo``,
            ``demo-hands``, a video, an image folder ...).
        count: frames to keep, >= 1.
        seed: seed of the demo scenes (ignored by other sources).
        scene_frames: frames per demo sheet or room (see :func:`open_bench_source`).
        digits: keep only frames whose ground truth holds between ``lo`` and ``hi``
            objects (inclusive): digits for ``demo``, 0 or 1 hands for ``demo-hands``;
            needs a source with ground truth.
        max_reads: stop after reading this many frames (default ``50 * count``)
            so a filter that matches nothing cannot loop forever.

    Returns:
        ``count`` frames (fewer if a finite source ends first), each with a uint8
        (H, W, 3) BGR image.

    Raises:
        ValueError: ``count < 1``, no frame could be read, or ``digits`` was given for
            a source without ground truth.
    """
    if count < 1:
        raise ValueError(f"need at least 1 frame, got {count}")
    limit = max_reads or 50 * count
    frames: list[Frame] = []
    reads = 0
    with open_bench_source(source, seed=seed, scene_frames=scene_frames) as src:
        for frame in src:
            reads += 1
            if digits is not None:
                if frame.truth is None:
                    raise ValueError(f"--digits needs ground truth, which source {source!r} has "
                                     "not; use --source demo (or demo-hands) or drop --digits")
                if not digits[0] <= len(frame.truth) <= digits[1]:
                    if reads >= limit:
                        break
                    continue
            frames.append(frame)
            if len(frames) >= count or reads >= limit:
                break
    if not frames:
        raise ValueError(f"source {source!r} gave no frames"
                         + (f" with {digits[0]}..{digits[1]} digits" if digits else ""))
    if len(frames) < count:
        log.warning("source %s gave %d of the %d frames asked for", source, len(frames), count)
    return frames


@dataclass
class PipelineResult:
    """Per-frame timings of one pipeline benchmark.

    Attributes:
        model: bundle name.
        runtime: interpreter package.
        threads: interpreter threads (``None``: runtime default, as ``edge-run``).
        source: the source spec the frames came from.
        samples_ms: per metric of :data:`METRICS`, float64 (frames,) latencies in ms.
        rois: int (frames,) ROIs the segmenter found per frame.
        truth_digits: int (frames,) objects in the ground truth per frame (digits, or
            0/1 hands; -1: unknown).
        warmup: frames processed before timing (discarded).
        task: the model's task, ``"digits"`` or ``"hands"``.
    """

    model: str
    runtime: str
    threads: int | None
    source: str
    samples_ms: dict[str, np.ndarray]
    rois: np.ndarray
    truth_digits: np.ndarray
    warmup: int = 0
    task: str = "digits"
    #: Live runs (:func:`bench_pipeline_live`): ``frames``, ``wall_s``, ``fps_end_to_end``
    #: (frames / wall time, capture included), ``source_fps``, ``dropped`` and
    #: ``dropped_method``; ``None`` for frames held in memory.
    live: dict[str, Any] | None = None
    stats: dict[str, LatencyStats] = field(init=False)

    def __post_init__(self) -> None:
        self.stats = {k: summarize(v) for k, v in self.samples_ms.items()}

    @property
    def frames(self) -> int:
        return int(len(self.rois))

    @property
    def fps(self) -> float:
        """Frames per second the pipeline sustains: 1000 / median ``process`` ms."""
        m = self.stats["process"].median_ms
        return 1e3 / m if m > 0 else float("inf")

    def budget_fraction(self, fps: float = BUDGET_FPS) -> float:
        """Median ``process`` time as a fraction of one frame's time at ``fps``."""
        return self.stats["process"].median_ms / (1e3 / fps)

    def meets_target(self, target_ms: float | None = None,
                     p99_ratio: float = TARGET_P99_RATIO) -> bool:
        """Median ``process`` <= ``target_ms`` (default: the task's budget) and
        p99 <= ``p99_ratio`` x median."""
        limit = target_ms_for(self.task) if target_ms is None else target_ms
        s = self.stats["process"]
        return s.median_ms <= limit and s.p99_ms <= p99_ratio * s.median_ms

    def as_rows(self) -> list[dict[str, Any]]:
        """One flat row per metric (ms), with fps / budget on ``total`` and ``process``."""
        total = self.stats["process"].median_ms
        rows = []
        for metric, st in self.stats.items():
            row: dict[str, Any] = {
                "benchmark": "pipeline", "metric": metric, "model": self.model,
                "runtime": self.runtime, "threads": self.threads, "batch": None,
            }
            row.update(st.as_dict())
            row["share_of_process"] = st.median_ms / total if total > 0 else None
            if metric in ("total", "process"):
                row["fps"] = 1e3 / st.median_ms if st.median_ms > 0 else None
                row["budget_fraction_30fps"] = st.median_ms / (1e3 / BUDGET_FPS)
            row["source"] = self.source
            row["frames"] = self.frames
            row["mean_rois"] = float(self.rois.mean())
            rows.append(row)
        return rows

    def by_digits(self) -> list[dict[str, Any]]:
        """Median/p99 ``process`` ms grouped by the number of objects in the frame's truth
        (key ``digits``, or ``hands`` for a hands model: 0 or 1).

        Frames without ground truth are grouped by the ROIs found instead (key ``rois``).
        """
        known = self.truth_digits >= 0
        noun = "hands" if self.task == "hands" else "digits"
        key, counts = (noun, self.truth_digits) if known.all() else ("rois", self.rois)
        out = []
        for n in sorted(set(counts.tolist())):
            sel = counts == n
            st = summarize(self.samples_ms["process"][sel])
            out.append({key: int(n), "frames": int(sel.sum()),
                        "mean_rois": float(self.rois[sel].mean()),
                        "median_ms": st.median_ms, "p99_ms": st.p99_ms})
        return out


def time_pipeline(pipeline: Pipeline, frames: list[Frame], *, warmup: int = 30,
                  disable_gc: bool = False, outputs: bool = False) -> dict[str, Any]:
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
        metrics = METRICS + (OUTPUT_METRICS if video is not None else ()) + extra
        self.samples = {m: np.full(n, np.nan, np.float64) for m in metrics}
        self.rois = np.zeros(n, np.int64)
        self.truth = np.full(n, -1, np.int64)

    def warm(self, frame: Frame) -> None:
        res = self.pipeline.process(frame)
        if self.video is not None:
            self.video.write_image(self.frame_of(res, fps=30.0, timings_ms=res.timings_ms).overlay())

    def time(self, i: int, frame: Frame) -> None:
        clock, samples = time.perf_counter_ns, self.samples
        c0 = time.process_time_ns()
        t0 = clock()
        res = self.pipeline.process(frame)
        t1 = clock()
        c1 = time.process_time_ns()
        samples["process"][i] = (t1 - t0) / 1e6
        samples["process_cpu"][i] = (c1 - c0) / 1e6
        for m in (*STAGES, "total"):
            samples[m][i] = res.timings_ms.get(m, np.nan)
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
        if frame.truth is not None:
            self.truth[i] = len(frame.truth)

    def result(self, n: int | None = None) -> dict[str, Any]:
        k = len(self.rois) if n is None else n
        return {"samples_ms": {m: v[:k] for m, v in self.samples.items()},
                "rois": self.rois[:k], "truth_digits": self.truth[:k]}


def _time_loop(pipeline: Pipeline, frames: list[Frame], warmup: int, disable_gc: bool,
               video: Any) -> dict[str, Any]:
    if not frames:
        raise ValueError("no frames to time")
    timer = _Timer(pipeline, len(frames), video)
    for i in range(max(0, warmup)):
        timer.warm(frames[i % len(frames)])
    pipeline.reset()
    with gc_paused(disable_gc):
        for i, frame in enumerate(frames):
            timer.time(i, frame)
    return timer.result()


_LIVE = re.compile(r"^(\d+|webcam(:\d+)?|/dev/video\d+|picamera.*|(rtsp|rtmp|https?)://.*)$")


def is_live_source(spec: str) -> bool:
    """Whether ``spec`` names a camera or a stream, which can only be timed live."""
    return _LIVE.match(spec.strip().lower()) is not None


def dropped_frames(indices: Sequence[int], timestamps: Sequence[float],
                   source_fps: float | None) -> tuple[int, str]:
    """Frames a live source produced that the loop never saw.

    Sources that number the frames they produced (the paced demos) leave gaps in
    ``Frame.index``: the count is exact. Otherwise (OpenCV cameras and picamera2 number
    the frames they return) it is estimated from the timestamps: frames the source's
    rate would have produced between the first and the last frame, minus those read.

    Args:
        indices: ``Frame.index`` of the frames read, in order.
        timestamps: their ``Frame.timestamp`` (s).
        source_fps: the source's nominal rate (frames/s), ``None`` if unknown.

    Returns:
        ``(dropped, method)``, method ``"index gaps"``, ``"timestamps x fps"`` or
        ``"unknown"`` (then ``dropped`` is 0).
    """
    n = len(indices)
    if n < 2:
        return 0, "unknown"
    span = int(indices[-1]) - int(indices[0]) + 1
    if span > n:
        return span - n, "index gaps"
    if source_fps and source_fps > 0:
        expected = round((float(timestamps[-1]) - float(timestamps[0])) * source_fps) + 1
        return max(0, expected - n), "timestamps x fps"
    return 0, "unknown"


def bench_pipeline_live(model: Any, source: FrameSource | str, *, count: int = 500,
                        warmup: int = 30, seed: int = 0, fps: float = 30.0,
                        threads: int | None = None, runtime: str = "auto",
                        smoothing: bool = True, disable_gc: bool = False,
                        segmenter: str | Segmenter | None = None,
                        outputs: bool = False) -> PipelineResult:
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
        threads, runtime, smoothing, disable_gc, segmenter, outputs: as :func:`bench_pipeline`.

    Raises:
        BundleError: the bundle cannot be loaded.
        ValueError, RuntimeError: the source cannot be opened or gives no frame.
    """
    from edge.sources import open_source

    kw: dict[str, Any] = {} if segmenter is None else {"segmenter": segmenter}
    pipe = build_pipeline(model, smoothing=smoothing, num_threads=threads, runtime=runtime, **kw)
    clf = pipe.classifier
    bundle = getattr(clf, "bundle", None)
    task = str(getattr(bundle, "task", None) or "digits")
    is_demo = isinstance(source, str) and _DEMO.match(source.strip().lower()) is not None
    if isinstance(source, str):
        src = (open_source(source, seed=seed, realtime=True, fps=fps) if is_demo
               else open_source(source, seed=seed))
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
        pipe.reset()
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
    live = {"frames": n, "wall_s": wall_s, "fps_end_to_end": n / wall_s if wall_s > 0 else None,
            "source_fps": float(src_fps) if src_fps else None, "dropped": dropped,
            "dropped_method": method, "dropped_fraction": dropped / (n + dropped)}
    return PipelineResult(
        model=bundle.name if bundle is not None else str(model),
        runtime=str(getattr(clf, "runtime", "unknown")),
        threads=getattr(clf, "num_threads", threads), source=str(name), warmup=warmup,
        task=task, live=live, **timer.result(n))


@contextlib.contextmanager
def _maybe_video(outputs: bool) -> Iterator[Any]:
    if not outputs:
        yield None
        return
    import tempfile

    from edge.sinks import VideoSink

    with tempfile.TemporaryDirectory(prefix="edge-bench-") as tmp, \
            VideoSink(f"{tmp}/pipeline.mp4", fps=VIDEO_FPS) as video:
        yield video


def bench_pipeline(model: Any, frames: Iterable[Frame] | None = None, *, source: str | None = None,
                   count: int = 500, warmup: int = 30, seed: int = 0,
                   digits: tuple[int, int] | None = None, scene_frames: int | None = SCENE_FRAMES,
                   threads: int | None = None, runtime: str = "auto", smoothing: bool = True,
                   disable_gc: bool = False, pipeline: Pipeline | None = None,
                   segmenter: str | Segmenter | None = None,
                   outputs: bool = False) -> PipelineResult:
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

    Returns:
        A :class:`PipelineResult`.

    Raises:
        BundleError: the bundle cannot be loaded.
        ValueError: bad frame counts, digits range or source.
    """
    kw: dict[str, Any] = {} if segmenter is None else {"segmenter": segmenter}
    pipe = pipeline or build_pipeline(model, smoothing=smoothing, num_threads=threads,
                                      runtime=runtime, **kw)
    clf = pipe.classifier
    bundle = getattr(clf, "bundle", None)
    task = str(getattr(bundle, "task", None) or "digits")
    if frames is None and source is None:
        source = default_source(task)
    frame_list = list(frames) if frames is not None else preload_frames(
        str(source), count, seed=seed, digits=digits, scene_frames=scene_frames)
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


def overhead_ratios(result: PipelineResult, invoke_median_ms: float) -> dict[str, Any]:
    """How much the Python pipeline costs over the bare interpreter (GitHub issue 5).

    Args:
        result: a pipeline benchmark.
        invoke_median_ms: median bare ``set_tensor + invoke + get_tensor`` ms, batch 1,
            same bundle, runtime and threads (:func:`benchmarks.latency.bench_invoke`).

    Returns:
        ``bare_invoke_median_ms``; ``classify_per_roi_median_ms`` (median over frames
        with ROIs of the classify stage / ROIs); ``classify_per_roi_over_invoke``
        (that / bare invoke); ``mean_rois``; ``process_over_invoke_x_rois`` (median
        ``process`` / (bare invoke x mean ROIs per frame)); ``None`` where undefined.
    """
    rois = result.rois
    sel = rois > 0
    per_roi = (float(np.median(result.samples_ms["classify"][sel] / rois[sel]))
               if sel.any() else None)
    mean_rois = float(rois.mean()) if rois.size else 0.0
    ok = invoke_median_ms > 0
    proc = result.stats["process"].median_ms
    return {
        "bare_invoke_median_ms": invoke_median_ms,
        "classify_per_roi_median_ms": per_roi,
        "classify_per_roi_over_invoke": per_roi / invoke_median_ms if ok and per_roi is not None else None,
        "mean_rois": mean_rois,
        "process_over_invoke_x_rois": proc / (invoke_median_ms * mean_rois) if ok and mean_rois > 0 else None,
    }
