"""The pretrained hand finder of a ``hand-landmarks`` bundle, set up from its ``model.json``.

:func:`make_hand_tracker` builds the :class:`edge.segment.hand_tracker.HandTracker` with the
MediaPipe variant and tracker settings the bundle's classifier was trained with, in still-image
or tracking mode for the kind of source (:data:`SOURCE_KINDS`). Used by
:func:`edge.pipeline.build_pipeline`.
"""

from __future__ import annotations

from edge.bundle import ModelBundle
from edge.segment.hand_tracker import HandTracker

#: Kinds of frame source: ``"image"`` (still photos: the palm detector on every image),
#: ``"video"`` and ``"camera"`` (tracking across frames).
SOURCE_KINDS = ("image", "video", "camera")

#: ``HandTracker`` keyword arguments a ``hand-landmarks`` bundle's ``model.json`` ``detector``
#: section may set (the settings its training landmarks were extracted with).
TRACKER_SETTINGS = ("refine_below", "tiles", "tiles_first", "video_tile_every")


def make_hand_tracker(
    bundle: ModelBundle,
    *,
    source_kind: str = "camera",
    max_hands: int = 1,
    min_presence: float | None = None,
    num_threads: int | None = None,
) -> HandTracker:
    """The hand finder of a ``hand-landmarks`` bundle, set up for its source.

    Args:
        bundle: the gesture classifier's bundle; its ``model.json`` ``detector`` section
            names the MediaPipe variant it was trained with (``"full"`` or ``"lite"``) and the
            tracker settings of :data:`TRACKER_SETTINGS` it records; its
            ``decision`` section's ``min_presence`` (the presence below which a hand is
            ``none``) is the tracker's, else ``detector.min_presence``.
        source_kind: ``"image"`` for still photos (static mode), ``"video"`` or
            ``"camera"`` for tracking (:data:`SOURCE_KINDS`).
        max_hands: most hands per frame, >= 1.
        min_presence: see :func:`build_pipeline`.
        num_threads: interpreter threads of both MediaPipe models.

    Returns:
        An :class:`edge.segment.hand_tracker.HandTracker` (``find`` gives ROIs with
        landmarks, handedness and presence).

    Raises:
        ValueError: unknown ``source_kind`` or variant, or ``max_hands`` < 1.
        edge.pretrained.HandModelsMissing: the MediaPipe models were not fetched.
    """
    if source_kind not in SOURCE_KINDS:
        raise ValueError(f"source_kind must be one of {SOURCE_KINDS}, got {source_kind!r}")
    det = bundle.meta.get("detector") or {}
    static = source_kind == "image"
    if min_presence is None:
        # the bundle's decision rule (a hand below this presence is ``none``), else MediaPipe's 0.5
        # for tracking and 0 (the classifier decides) for still images
        decision = bundle.meta.get("decision") or {}
        default = det.get("min_presence", 0.0 if static else 0.5)
        min_presence = float(decision.get("min_presence", default))
    # the hand finder's settings the classifier was trained with (absent: HandTracker's defaults)
    settings = {k: det[k] for k in TRACKER_SETTINGS if k in det}
    return HandTracker(
        variant=str(det.get("variant", "full")),
        static=static,
        max_hands=max_hands,
        min_presence=min_presence,
        num_threads=num_threads,
        **settings,
    )
