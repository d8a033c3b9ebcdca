"""``edge-bench pipeline --model hands --hand-frames ...``: the hands pipeline on 640x480 hand
frames, stage by stage, and against MediaPipe's own Hands graph on the very same frames.

Frames (:mod:`benchmarks.hand_frames`, from ``--source DIR`` of hand photos):

- ``still``: one frame per photo; the pipeline is built for still images
  (``build_pipeline(source_kind="image")``: the hand tracker's static mode, palm detector
  on every frame, plus its refine and fallback steps);
- ``video``: one photo held in view for ``video_frames`` frames, the pipeline built for
  video (tracking: the palm detector runs only when the hand is lost). The photo is the
  first one (in the seeded order) in whose still frame the still pipeline finds a hand
  with presence >= 0.5, so the video really holds a hand.

The rows ``palm`` and ``landmarks`` (parts of ``segment``) and the palm detector's share
of frames come from the pipeline's own instrumentation (``FrameResult.timings_ms``,
``FrameResult.palm_detector_ran``).

The comparison (:func:`compare_hands`; with ``--mediapipe-ref`` or ``--hand-frames both``)
times, for each of ``compare_threads``: ours on the stills, ours on the stills without the
tracker's refine and fallback (``ours-bare``: what MediaPipe's graph does), ours on the
video; then MediaPipe's graph (:mod:`benchmarks.mediapipe_ref`, its default XNNPACK thread
count, 1 on desktop Linux) on the stills (static mode) and the video (tracking), with model
complexity 0 (lite, the issue's reference) and, when our bundle uses the full models, 1.
Both sides look for the same number of hands (``max_hands``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import hand_frames as hf
from benchmarks.hands_compare import criteria, side_row
from benchmarks.pipeline_bench import PipelineResult, bench_pipeline
from benchmarks.report import portable
from edge.bundle import ModelBundle
from edge.pipeline import Pipeline, build_pipeline
from edge.types import Frame

log = logging.getLogger(__name__)

#: ``--hand-frames`` choices.
HAND_FRAME_MODES = ("still", "video", "both")
#: Frames of the held-hand video.
VIDEO_FRAMES = 150
#: Our interpreter thread counts in the comparison.
COMPARE_THREADS = (1, 2)
#: MediaPipe's graph threads as it runs by default (XNNPACK delegate, desktop Linux).
MEDIAPIPE_THREADS = "1 (XNNPACK default)"


@dataclass
class HandFrames:
    """The frames of one hands benchmark.

    Attributes:
        photos: the photos used, in the seeded order (one still per photo).
        still: the still frames (uint8 (480, 640, 3) BGR), empty when not asked for.
        video: the held-hand video's frames, empty until :func:`add_video`.
        video_photo: the photo held in the video.
    """

    photos: list[Path]
    still: list[Frame] = field(default_factory=list)
    video: list[Frame] = field(default_factory=list)
    video_photo: Path | None = None


def as_frames(images: list[np.ndarray], fps: float = 30.0) -> list[Frame]:
    """Frames numbered from 0, timestamps ``i / fps`` s."""
    return [Frame(image=im, timestamp=i / fps, index=i) for i, im in enumerate(images)]


def landmark_variant(bundle: ModelBundle) -> str:
    """The MediaPipe models a ``hand-landmarks`` bundle's tracker runs (``"full"``/``"lite"``)."""
    det = bundle.meta.get("detector") or {}
    return str(det.get("variant", "full")) if isinstance(det, dict) else "full"


def hands_pipeline(
    bundle: ModelBundle,
    kind: str,
    *,
    threads: int | None,
    max_hands: int,
    runtime: str = "auto",
    smoothing: bool = True,
    bare: bool = False,
) -> Pipeline:
    """``build_pipeline`` for a hands bundle set up for ``kind`` (``"image"`` or ``"video"``).

    ``bare``: switch the tracker's refine, fallback and tiled palm steps off (MediaPipe does none).

    Raises:
        ValueError: ``bundle`` does not find hands with the landmark model (not a
            ``hand-landmarks`` bundle).
    """
    if bundle.preprocessing != "hand-landmarks":
        raise ValueError(
            f"--hand-frames times the palm detector + landmark pipeline, but {bundle.name} "
            f"has preprocessing {bundle.preprocessing!r}; use --model hands"
        )
    pipe = build_pipeline(
        bundle,
        source_kind=kind,
        max_hands=max_hands,
        num_threads=threads,
        runtime=runtime,
        smoothing=smoothing,
    )
    if bare:
        for attr in ("refine", "fallback", "video_fallback", "tiles"):
            if hasattr(pipe.segmenter, attr):
                setattr(pipe.segmenter, attr, None if attr in ("video_fallback", "tiles") else False)
    return pipe


def load_hand_frames(folder: str | Path, mode: str, count: int, seed: int = 0) -> HandFrames:
    """The still frames of up to ``count`` photos under ``folder`` (video added later).

    Raises:
        ValueError: an unknown mode, no photos, or an unreadable photo.
    """
    if mode not in HAND_FRAME_MODES:
        raise ValueError(f"--hand-frames must be one of {HAND_FRAME_MODES}, got {mode!r}")
    photos = hf.hand_photos(folder, limit=count, seed=seed)
    return HandFrames(photos=photos, still=as_frames(hf.still_frames(photos, seed=seed)))


def add_video(frames: HandFrames, still_pipe: Pipeline, n: int, seed: int = 0) -> HandFrames:
    """Make the held-hand video of the first photo whose still frame ``still_pipe`` finds a
    confident hand in (presence >= 0.5; else the first photo)."""
    photo = frames.photos[0]
    for p, f in zip(frames.photos, frames.still, strict=True):
        if any(r.score is None or r.score >= 0.5 for r in still_pipe.segmenter.find(f.image)):
            photo = p
            break
    frames.video_photo = photo
    frames.video = as_frames(hf.held_hand_video(photo, n=n, seed=seed))
    return frames


def time_hands(
    bundle: ModelBundle,
    frames: list[Frame],
    kind: str,
    *,
    threads: int | None,
    max_hands: int,
    warmup: int,
    runtime: str = "auto",
    smoothing: bool = True,
    bare: bool = False,
    disable_gc: bool = False,
    outputs: bool = False,
    source: str = "frames",
) -> PipelineResult:
    """:func:`benchmarks.pipeline_bench.bench_pipeline` of the hands pipeline on ``frames``."""
    pipe = hands_pipeline(
        bundle, kind, threads=threads, max_hands=max_hands, runtime=runtime, smoothing=smoothing, bare=bare
    )
    res = bench_pipeline(bundle, frames, warmup=warmup, pipeline=pipe, disable_gc=disable_gc, outputs=outputs)
    res.threads, res.source = threads, source
    return res


def ours_row(res: PipelineResult, side: str, frames: str, threads: int | None, models: str) -> dict[str, Any]:
    """A :func:`benchmarks.hands_compare.side_row` of one of our runs (hands found: presence >= 0.5)."""
    lm = res.samples_ms.get("landmarks")
    found = res.confident if res.confident is not None else res.rois
    return side_row(
        side,
        frames,
        threads,
        models,
        res.samples_ms["process"],
        found,
        cpu_ms=res.samples_ms.get("process_cpu"),
        palm_share=res.palm_share,
        palm_ms=res.palm_ms_when_run(),
        landmarks_ms=None if lm is None else float(np.median(lm)),
    )


def mediapipe_row(ref: dict[str, Any], frames: str, n_frames: int) -> dict[str, Any]:
    """A side row of a :func:`benchmarks.mediapipe_ref.run_reference` result (palm share of
    its static mode is 1; unknown in tracking, which the graph does not report)."""
    models = "lite" if int(ref.get("model_complexity", 0)) == 0 else "full"
    return side_row(
        "mediapipe",
        frames,
        MEDIAPIPE_THREADS,
        models,
        ref["latency_ms"],
        ref["found"][:n_frames],
        cpu_ms=ref.get("cpu_ms"),
        palm_share=1.0 if frames == "still" else None,
    )


def compare_hands(
    bundle: ModelBundle,
    frames: HandFrames,
    *,
    threads: tuple[int, ...] = COMPARE_THREADS,
    max_hands: int = 1,
    warmup: int = 30,
    runtime: str = "auto",
    smoothing: bool = True,
    disable_gc: bool = False,
    mediapipe: Path | None = None,
) -> dict[str, Any]:
    """Time ours (and MediaPipe's graph with ``mediapipe``, a Python that has it) on the
    same still and video frames; see the module docstring.

    Returns:
        ``{"rows": [side_row ...], "criteria": [...], "models": ours, "max_hands",
        "video_photo", "stills", "video_frames", "mediapipe": version or None,
        "mediapipe_threads"}``.

    Raises:
        RuntimeError: the MediaPipe worker failed.
    """
    from benchmarks.mediapipe_ref import run_reference

    models = landmark_variant(bundle)
    rows: list[dict[str, Any]] = []
    kw: dict[str, Any] = {
        "max_hands": max_hands,
        "warmup": warmup,
        "runtime": runtime,
        "smoothing": smoothing,
        "disable_gc": disable_gc,
    }
    for t in threads:
        log.info("hands comparison: ours, %d thread(s)", t)
        rows.append(
            ours_row(time_hands(bundle, frames.still, "image", threads=t, **kw), "ours", "still", t, models)
        )
        rows.append(
            ours_row(
                time_hands(bundle, frames.still, "image", threads=t, bare=True, **kw),
                "ours-bare",
                "still",
                t,
                models,
            )
        )
        if frames.video:
            rows.append(
                ours_row(
                    time_hands(bundle, frames.video, "video", threads=t, **kw), "ours", "video", t, models
                )
            )
    version = None
    if mediapipe is not None:
        for complexity in (0, 1) if models == "full" else (0,):
            for kind, fr in (("still", frames.still), ("video", frames.video)):
                if not fr:
                    continue
                log.info("hands comparison: MediaPipe, complexity %d, %s", complexity, kind)
                ref = run_reference(
                    [f.image for f in fr],
                    mediapipe,
                    static=kind == "still",
                    model_complexity=complexity,
                    max_num_hands=max_hands,
                    warmup=min(warmup, len(fr)),
                )
                version = ref.get("mediapipe")
                rows.append(mediapipe_row(ref, kind, len(fr)))
    return {
        "rows": rows,
        "criteria": criteria(rows),
        "models": models,
        "max_hands": max_hands,
        "video_photo": None if frames.video_photo is None else portable(str(frames.video_photo)),
        "stills": len(frames.still),
        "video_frames": len(frames.video),
        "mediapipe": version,
        "mediapipe_threads": MEDIAPIPE_THREADS if mediapipe is not None else None,
        "threads": list(threads),
    }


__all__ = [
    "COMPARE_THREADS",
    "HAND_FRAME_MODES",
    "MEDIAPIPE_THREADS",
    "VIDEO_FRAMES",
    "HandFrames",
    "add_video",
    "as_frames",
    "compare_hands",
    "hands_pipeline",
    "landmark_variant",
    "load_hand_frames",
    "mediapipe_row",
    "ours_row",
    "time_hands",
]
