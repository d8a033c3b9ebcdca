"""The ``hand-landmarks`` preprocessing: hands found with their 21 landmarks -> feature vectors.

The hand finder (:class:`edge.segment.hand_tracker.HandTracker`) puts MediaPipe's 21
landmarks, the handedness and the hand presence on each ROI
(:attr:`edge.types.ROI.landmarks`, ``handedness``, ``score``); this stage turns them into
the pose-normalised features of :mod:`edge.landmark_features` (version and size checked
against the bundle's ``model.json``). The frame's pixels are not read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edge.bundle import ModelBundle
from edge.landmark_features import NUM_FEATURES, check_features_version, features_batch
from edge.types import ROI


class LandmarkPreprocessor:
    """ROIs carrying landmarks -> float32 (N, 94) features, for a ``hand-landmarks`` bundle.

    Same call signature as the image preprocessors of :mod:`edge.preprocess`.

    Args:
        bundle: a loaded bundle whose ``preprocessing`` is ``"hand-landmarks"``.

    Raises:
        ValueError: the bundle asks for another preprocessing, or was trained on other
            features than :mod:`edge.landmark_features` makes (retrain it).
    """

    def __init__(self, bundle: ModelBundle) -> None:
        if bundle.preprocessing != "hand-landmarks":
            raise ValueError(
                f"bundle {bundle.name} asks for preprocessing {bundle.preprocessing!r}, "
                "not 'hand-landmarks'; use edge.preprocess.make_preprocessor(bundle)"
            )
        check_features_version(bundle.meta)
        self.num_features = NUM_FEATURES

    def __call__(self, image: np.ndarray, rois: Sequence[ROI]) -> np.ndarray:
        """Feature vectors of the hands on ``rois``.

        Args:
            image: uint8 (H, W, 3) BGR frame (not read: the landmarks are in its pixels).
            rois: N ROIs with ``landmarks`` float (21, 3) in frame pixels, ``handedness``
                ``"Left"``/``"Right"``/None and ``score`` the hand presence in [0, 1].

        Returns:
            float32 (N, 94) (:func:`edge.landmark_features.features_batch`).

        Raises:
            ValueError: a ROI carries no landmarks (it did not come from the hand tracker).
        """
        return features_batch(rois)
