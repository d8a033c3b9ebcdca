"""The frames the pipeline benchmark times and what it judges them against: the task's
demo scene and budget (:data:`TARGET_MS_BY_TASK`), sources opened and preloaded into
memory, and the dropped-frame count of live sources.

Imports :mod:`edge.sources` (inside the functions) and :mod:`edge.types`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from edge.sources.base import FrameSource
from edge.types import Frame

log = logging.getLogger(__name__)

#: Frame rate whose budget the pipeline is judged against (fps).
BUDGET_FPS = 30.0
#: The budget of each model task, the one place it is set: median ``process`` time per
#: 640x480 frame (ms) ...
TARGET_MS_BY_TASK: dict[str, float] = {"digits": 3.3, "hands": 3.3, "classify": 3.3}
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
        raise ValueError(
            f"no pipeline budget for task {task!r}; known: {', '.join(TARGET_MS_BY_TASK)}"
        ) from None


def default_source(task: str) -> str:
    """The benchmark's frame source for a model of ``task``: its built-in demo scene
    (``classify``, a user's own classifier, has none of its own and is timed on
    ``demo-hands``: its cost does not depend on what the frames show).

    Raises:
        ValueError: a task without a demo scene.
    """
    from edge.sources import DEMO_BY_TASK

    try:
        return DEMO_BY_TASK["hands" if task == "classify" else task]
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


def open_bench_source(source: str, *, seed: int = 0, scene_frames: int | None = SCENE_FRAMES) -> FrameSource:
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


def preload_frames(
    source: str,
    count: int,
    *,
    seed: int = 0,
    digits: tuple[int, int] | None = None,
    max_reads: int | None = None,
    scene_frames: int | None = SCENE_FRAMES,
) -> list[Frame]:
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
                    raise ValueError(
                        f"--digits needs ground truth, which source {source!r} has "
                        "not; use --source demo (or demo-hands) or drop --digits"
                    )
                if not digits[0] <= len(frame.truth) <= digits[1]:
                    if reads >= limit:
                        break
                    continue
            frames.append(frame)
            if len(frames) >= count or reads >= limit:
                break
    if not frames:
        raise ValueError(
            f"source {source!r} gave no frames" + (f" with {digits[0]}..{digits[1]} digits" if digits else "")
        )
    if len(frames) < count:
        log.warning("source %s gave %d of the %d frames asked for", source, len(frames), count)
    return frames


_LIVE = re.compile(r"^(\d+|webcam(:\d+)?|/dev/video\d+|picamera.*|(rtsp|rtmp|https?)://.*)$")


def is_live_source(spec: str) -> bool:
    """Whether ``spec`` names a camera or a stream, which can only be timed live."""
    return _LIVE.match(spec.strip().lower()) is not None


def dropped_frames(
    indices: Sequence[int], timestamps: Sequence[float], source_fps: float | None
) -> tuple[int, str]:
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


def is_demo_source(spec: str) -> bool:
    """Whether ``spec`` names a demo scene (``demo``, ``demo-hands``, optionally ``:SEED``)."""
    return _DEMO.match(spec.strip().lower()) is not None
