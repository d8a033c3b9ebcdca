"""Setting up a live run as the tools do: the source a spec names (with a hint when a camera
fails) and the pipeline a bundle's task asks for.

Imports :mod:`edge.bundle`, :mod:`edge.pipeline` and the hand
segmenters' names; :mod:`edge.sources` only inside the functions.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from edge.bundle import load_bundle
from edge.pipeline import Pipeline, build_pipeline
from edge.segment.hands import SEGMENTERS

log = logging.getLogger(__name__)

#: Source opened when ``--source`` is not given, for every task: the first webcam.
DEFAULT_SOURCE = "0"
#: Hand segmenters ``--segmenter`` may name (:func:`edge.segment.hands.make_hand_segmenter`).
HAND_SEGMENTERS = SEGMENTERS
#: The hand segmenter of a hands model when ``--segmenter`` is not given.
DEFAULT_HAND_SEGMENTER = "skin"


def open_source(spec: str, **kwargs: Any) -> Any:
    """:func:`edge.sources.open_source` (imported here, so the CLIs import fast)."""
    from edge.sources import open_source as _open

    return _open(spec, **kwargs)


def camera_hint(spec: str, err: Exception, task: str = "digits") -> str:
    """The message of a source that failed to open, plus, for a camera spec, how to run
    without one (the task's demo scene or a video file) unless it says so already."""
    from edge.sources import DEMO_BY_TASK

    msg = str(err)
    demo = DEMO_BY_TASK.get(task, "demo")
    looks_camera = spec.isdigit() or spec.startswith(("webcam", "picamera", "/dev/video"))
    if looks_camera and not re.search(rf"--source {re.escape(demo)}(?![\w-])", msg):
        msg += f"; to run without a camera use --source {demo} (built-in scene) or --source path/to/video.mp4"
    return msg


def source_kind(spec: str | int | Path) -> str:
    """What a ``--source`` spec opens, for the hand tracker's mode
    (:data:`edge.segment.hand_finder.SOURCE_KINDS`).

    Returns:
        ``"image"`` for an image file or a folder of images (still photos: palm detector on
        every image); ``"video"`` for a video file or a demo scene; ``"camera"`` for a webcam,
        Pi camera or stream (both tracked from frame to frame).
    """
    from edge.sources import IMAGE_EXTENSIONS, STREAM_SCHEMES

    text = str(spec).strip()
    low = text.lower()
    if (
        text.isdigit()
        or low.startswith(("webcam", "picamera", "/dev/video"))
        or low.split("://", 1)[0] in STREAM_SCHEMES
    ):
        return "camera"
    path = Path(text).expanduser()
    if path.is_dir() or path.suffix.lower() in IMAGE_EXTENSIONS:
        return "image"
    return "video"


def segmenter_kwargs(
    task: str, segmenter: str | None, model_name: str = "the model", preprocessing: str | None = None
) -> dict[str, Any]:
    """The :func:`edge.pipeline.build_pipeline` arguments that choose a task's segmenter.

    Args:
        task: the bundle's task, ``"digits"`` or ``"hands"``.
        segmenter: a name of :data:`HAND_SEGMENTERS`, or ``None`` for the default
            (:data:`DEFAULT_HAND_SEGMENTER` for hands, the digit segmenter for digits).
        model_name: for the error message.
        preprocessing: the bundle's preprocessing; ``"hand-landmarks"`` (``--model hands``)
            finds hands with the palm detector and landmark model, not a named segmenter.

    Returns:
        ``{"segmenter": name}`` for hands with an image input; ``{}`` for digits and
        ``hand-landmarks`` bundles (the pipeline's own).

    Raises:
        ValueError: a segmenter name for a digits or ``hand-landmarks`` model, or an unknown name.
    """
    if preprocessing == "hand-landmarks":
        if segmenter is not None:
            raise ValueError(
                f"--segmenter {segmenter} chooses how the small CNN models find hands, but "
                f"{model_name} finds them with the palm detector and hand landmarks; drop "
                "--segmenter, or use --model hands-lenet"
            )
        return {}
    if task == "hands":
        name = segmenter or DEFAULT_HAND_SEGMENTER
        if name not in HAND_SEGMENTERS:
            raise ValueError(f"unknown hand segmenter {name!r}; use one of {', '.join(HAND_SEGMENTERS)}")
        return {"segmenter": name}
    if segmenter is not None:
        raise ValueError(
            f"--segmenter {segmenter} chooses how hands are found, but {model_name} is a "
            f"{task} model; drop --segmenter or use a hands model (--model hands)"
        )
    return {}


def make_pipeline(
    model: str = "digits",
    *,
    segmenter: str | None = None,
    smoothing: bool = True,
    min_score: float | None = None,
    threads: int | None = None,
    runtime: str = "auto",
    source: str | int | Path | None = None,
    max_hands: int = 1,
    roi: str = "full",
    top_k: int | None = None,
    polarity: str | None = None,
    views: bool = True,
    still: bool | None = None,
) -> Pipeline:
    """Load ``model`` and build the pipeline of its task, as ``edge-run`` runs it.

    Args:
        model: bundle folder, its ``model.tflite``, or a shipped name (``digits``, ``hands``).
        segmenter: a hands model's segmenter (:data:`HAND_SEGMENTERS`); ``None``: the default.
        smoothing: smooth predictions over time (:mod:`edge.track`); never for still images
            (an image file or a folder of them, :func:`source_kind`): unrelated photos have
            no time to vote over.
        min_score: hide detections scored below this; ``None``: the bundle's calibrated value.
        threads: interpreter CPU threads (``None``: the runtime's default).
        runtime: TFLite runtime (:data:`edge.runtime.RUNTIMES`).
        source: the ``--source`` spec; for ``--model hands`` its kind (:func:`source_kind`)
            picks still-image or tracking mode. ``None``: a camera (tracking).
        max_hands: ``--model hands``: most hands per frame (see :func:`edge.pipeline.build_pipeline`).
        roi: a ``classify`` model: ``"full"``, ``"centre"`` or a fraction (see
            :func:`edge.segment.whole_frame.parse_roi`); other tasks find their own regions.
        top_k: a ``classify`` model: (label, score) pairs per frame; ``None``: 3.
        polarity: digits: the ink's polarity (``"auto"``, ``"dark"``, ``"light"``; see
            :func:`edge.pipeline.build_pipeline`); ``None``: the pipeline's defaults.
        views: digits, still images only (an image file or folder): read each ROI from the
            test-time views of :func:`edge.still_views.use_still_views`; videos and cameras
            never take them.
        still: whether the frames are still images, for a source opened elsewhere (an
            :class:`edge.sources.base.FrameSource` with ``still``): each stands alone (no
            smoothing, views for digits, the palm detector on every image for hands).
            ``None``: decided from ``source``'s kind (:func:`source_kind`).

    Raises:
        edge.bundle.BundleError: the bundle is missing, corrupt or inconsistent.
        ValueError: ``segmenter`` for a digits, ``classify`` or ``hand-landmarks`` model, ``roi``
            other than ``"full"`` for a model that is not ``classify``, or a task without a pipeline.
        edge.pretrained.HandModelsMissing: ``--model hands`` without the fetched MediaPipe models.
    """
    bundle = load_bundle(model)
    kw = segmenter_kwargs(bundle.task, segmenter, bundle.name, bundle.preprocessing)
    kind = source_kind(DEFAULT_SOURCE if source is None else source)
    if still is not None and still != (kind == "image"):
        kind = "image" if still else "video"
    smoothing = smoothing and kind != "image"
    if bundle.task == "classify":
        kw.update(roi=roi, top_k=top_k)
    elif roi != "full":
        raise ValueError(
            f"--roi {roi} chooses what a classify model looks at, but {bundle.name} is a "
            f"{bundle.task} model that finds its own regions; drop --roi"
        )
    if bundle.preprocessing == "hand-landmarks":
        kw.update(source_kind=kind, max_hands=max_hands)
    if bundle.task == "digits" and polarity is not None:
        kw["polarity"] = polarity
    pipe = build_pipeline(
        bundle, smoothing=smoothing, min_score=min_score, num_threads=threads, runtime=runtime, **kw
    )
    if views and kind == "image":  # a photo has no frame budget
        from edge.still_views import use_still_views

        use_still_views(pipe)
    return pipe
