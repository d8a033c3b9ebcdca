"""The still-image hand detector of :mod:`edge` as a :data:`train.landmark_data.Detector`.

:class:`edge.segment.hand_tracker.HandTracker` in still-image mode (palm detector on every
image, the landmark model's own fallback on centred squares when no palm reaches presence 0.5,
one refinement), returning its best candidate whatever its presence (``min_presence=0``), so
the cache keeps the landmarks of doubtful hands too and the classifiers decide ``none`` from
the shape and the presence together.
"""

from __future__ import annotations

import inspect

import numpy as np

from edge.pipeline import TRACKER_SETTINGS
from edge.segment.hand_tracker import HandTracker
from train.landmark_data import Detector, HandRecord


def edge_detector(
    variant: str = "full", num_threads: int = 1, settings: dict | None = None
) -> tuple[Detector, dict]:
    """``(detect, description)``: ``detect(uint8 (H, W, 3) BGR) -> HandRecord | None``.

    Args:
        variant: ``"full"`` or ``"lite"`` MediaPipe models (``edge-models fetch hands``).
        num_threads: interpreter threads.
        settings: ``HandTracker`` keyword arguments of :data:`edge.pipeline.TRACKER_SETTINGS`
            (default: the tracker's defaults); recorded in the description, which becomes the
            bundle's ``model.json`` ``detector`` section, so live use finds hands the same way.

    Raises:
        ValueError: the hand models are not fetched (the message says the command), or a
            setting that is not one of :data:`edge.pipeline.TRACKER_SETTINGS`.
    """
    defaults = inspect.signature(HandTracker).parameters
    given = dict(settings or {})
    unknown = sorted(set(given) - set(TRACKER_SETTINGS))
    if unknown:
        raise ValueError(f"unknown tracker settings {unknown}; use some of {TRACKER_SETTINGS}")
    chosen = {k: given.get(k, defaults[k].default) for k in TRACKER_SETTINGS}
    tracker = HandTracker(
        static=True,
        variant=variant,
        max_hands=1,
        min_presence=0.0,
        embedding=True,
        num_threads=num_threads,
        **chosen,
    )

    def detect(image: np.ndarray) -> HandRecord | None:
        hands = tracker.detect(image)
        if not hands:
            return None
        h = hands[0]
        return HandRecord(
            landmarks=np.asarray(h.landmarks, np.float32),
            handedness=float(h.handedness),
            presence=float(h.presence),
            palm_score=-1.0 if h.palm_score is None else float(h.palm_score),
            embedding=h.embedding,
            crop=h.crop,
        )

    args = "".join(f", {k}={v!r}" for k, v in chosen.items())
    info = {
        "name": f"edge.segment.hand_tracker.HandTracker(static=True, variant={variant!r}, "
        f"max_hands=1, min_presence=0.0, embedding=True{args})",
        "variant": variant,
        "palm_score_fallback": -1.0,
        **chosen,
    }
    return detect, info
