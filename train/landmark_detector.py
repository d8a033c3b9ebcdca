"""The still-image hand detector of :mod:`edge` as a :data:`train.landmark_data.Detector`.

:class:`edge.segment.hand_tracker.HandTracker` in still-image mode (palm detector on every
image, the landmark model's own fallback on centred squares when no palm reaches presence 0.5,
one refinement), returning its best candidate whatever its presence (``min_presence=0``), so
the cache keeps the landmarks of doubtful hands too and the classifiers decide ``none`` from
the shape and the presence together.
"""

from __future__ import annotations

import numpy as np

from edge.segment.hand_tracker import HandTracker
from train.landmark_data import Detector, HandRecord


def edge_detector(variant: str = "full", num_threads: int = 1) -> tuple[Detector, dict]:
    """``(detect, description)``: ``detect(uint8 (H, W, 3) BGR) -> HandRecord | None``.

    Args:
        variant: ``"full"`` or ``"lite"`` MediaPipe models (``edge-models fetch hands``).
        num_threads: interpreter threads.

    Raises:
        ValueError: the hand models are not fetched (the message says the command).
    """
    tracker = HandTracker(static=True, variant=variant, max_hands=1, min_presence=0.0, embedding=True,
                          num_threads=num_threads)

    def detect(image: np.ndarray) -> HandRecord | None:
        hands = tracker.detect(image)
        if not hands:
            return None
        h = hands[0]
        return HandRecord(landmarks=np.asarray(h.landmarks, np.float32), handedness=float(h.handedness),
                          presence=float(h.presence),
                          palm_score=-1.0 if h.palm_score is None else float(h.palm_score),
                          embedding=h.embedding, crop=h.crop)

    info = {"name": f"edge.segment.hand_tracker.HandTracker(static=True, variant={variant!r}, "
                    "max_hands=1, min_presence=0.0, embedding=True)",
            "variant": variant, "palm_score_fallback": -1.0}
    return detect, info
