"""Pose-normalised features of MediaPipe's 21 hand landmarks, for gesture classifiers.

A gesture is the hand's *shape*, not where the hand is, how big it is, how it is turned
in the image or whether it is a left or a right hand. :func:`normalise_landmarks` takes
those away, in the manner of the landmark classifiers of MediaPipe's gesture recogniser
(``mediapipe/tasks/python/vision/gesture_recognizer``: landmarks relative to the wrist,
scaled, handedness folded in) and of the keypoint classifiers of
kinivi/hand-gesture-recognition-mediapipe (wrist-relative, max-abs scaled):

1. translation: the wrist (landmark 0) goes to the origin;
2. scale: every coordinate (x, y and the relative depth z, which MediaPipe gives in the
   same pixel scale as x) is divided by the palm size, the mean 3-D distance from the
   wrist to the four finger bases (MCP joints 5, 9, 13, 17);
3. in-plane rotation: the image plane is turned so the wrist -> palm-centre (mean of the
   four MCPs) vector points up (+y, y pointing up, not down as in image rows);
4. mirroring: the result is flipped left-right so the index finger's base (5) lies on
   the +x side of the little finger's base (17). This is the geometric twin of "mirror
   left hands to right": it does not trust the landmark model's handedness, which is
   wrong on mirrored webcams and on backs of hands, and it makes the features exactly
   invariant to mirroring the image. Only when the hand is seen edge-on (5 and 17 within
   2% of the palm size in x) does the reported handedness decide (``Left`` is flipped).

:func:`landmark_features` then describes the normalised hand with ``NUM_FEATURES``
(= 94) float32 values, version :data:`FEATURES_VERSION`:

=========  ===========================================================================
columns    meaning
=========  ===========================================================================
0..59      x, y, z of landmarks 1..20 after normalisation (the wrist is always 0)
60..74     flexion of the 3 joints of each finger (thumb, index, middle, ring, little)
           as the angle between the two bones at the joint / pi, in [0, 1] (0 = straight)
75..79     fingertip -> wrist distance / palm size, per finger
80..84     fingertip -> wrist / finger-base -> wrist distance (extension ratio), per finger
85..88     distance between neighbouring fingertips / palm size (thumb-index, index-middle,
           middle-ring, ring-little)
89..92     angle between neighbouring fingers' base -> tip directions / pi, in [0, 1]
93         the landmark model's hand presence in [0, 1] (so a classifier decides ``none``
           from the shape and the presence together, not from presence alone)
=========  ===========================================================================

Pure numpy: usable on the device (:mod:`edge`), in training (:mod:`train`) and in tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Bumped whenever the meaning or order of the feature columns changes; bundles record it
#: (``model.json`` ``features.version``) and :func:`check_features_version` refuses others.
FEATURES_VERSION = 1
NUM_LANDMARKS = 21
#: Landmark indices of each finger from its base to its tip, preceded by the wrist (0),
#: MediaPipe's order (https://ai.google.dev/edge/mediapipe/solutions/vision/hand_landmarker).
FINGERS = (
    (0, 1, 2, 3, 4),  # thumb: CMC, MCP, IP, tip
    (0, 5, 6, 7, 8),  # index: MCP, PIP, DIP, tip
    (0, 9, 10, 11, 12),  # middle
    (0, 13, 14, 15, 16),  # ring
    (0, 17, 18, 19, 20),  # little
)
FINGER_NAMES = ("thumb", "index", "middle", "ring", "little")
PALM_BASES = (5, 9, 13, 17)
TIPS = (4, 8, 12, 16, 20)
#: The finger base used for the extension ratio (the thumb's MCP, the others' MCP).
BASES = (2, 5, 9, 13, 17)
NUM_FEATURES = 60 + 15 + 5 + 5 + 4 + 4 + 1
#: Edge-on hands: below this |x5 - x17| (in palm sizes) the reported handedness decides.
EDGE_ON = 0.02
_EPS = 1e-6


def feature_names() -> list[str]:
    """The ``NUM_FEATURES`` column names, in order (for model cards and debugging)."""
    names = [f"{a}{i}" for i in range(1, NUM_LANDMARKS) for a in "xyz"]
    names += [f"flex_{f}_{j}" for f in FINGER_NAMES for j in range(3)]
    names += [f"tip_wrist_{f}" for f in FINGER_NAMES]
    names += [f"extension_{f}" for f in FINGER_NAMES]
    names += [f"tip_gap_{a}_{b}" for a, b in zip(FINGER_NAMES, FINGER_NAMES[1:], strict=False)]
    names += [f"spread_{a}_{b}" for a, b in zip(FINGER_NAMES, FINGER_NAMES[1:], strict=False)]
    names.append("presence")
    assert len(names) == NUM_FEATURES
    return names


def _as_batch(landmarks: np.ndarray) -> np.ndarray:
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim == 2:
        lm = lm[None]
    if lm.ndim != 3 or lm.shape[1:] != (NUM_LANDMARKS, 3):
        raise ValueError(
            f"landmarks must be (21, 3) or (N, 21, 3) (MediaPipe's x, y, z), got shape {np.shape(landmarks)}"
        )
    if not np.all(np.isfinite(lm)):
        raise ValueError("landmarks hold NaN or inf: pass only hands the landmark model found")
    return lm


def _left_flags(handedness: Sequence[Any] | np.ndarray | str | None, n: int) -> np.ndarray:
    """bool (n,): True where the reported hand is the person's left hand."""
    if handedness is None:
        return np.zeros(n, bool)
    if isinstance(handedness, (str, float, int, np.floating)):
        handedness = [handedness] * n
    flags = []
    for h in handedness:
        if isinstance(h, str):
            if h not in ("Left", "Right", ""):
                raise ValueError(f"handedness {h!r} must be 'Left', 'Right' or '' (unknown)")
            flags.append(h == "Left")
        elif h is None:
            flags.append(False)
        else:  # a score that the hand is a right hand, MediaPipe's handedness output
            flags.append(float(h) < 0.5)
    if len(flags) != n:
        raise ValueError(f"{len(flags)} handedness values for {n} hands")
    return np.asarray(flags, bool)


def normalise_landmarks(
    landmarks: np.ndarray, handedness: Sequence[Any] | np.ndarray | str | None = None
) -> np.ndarray:
    """Translate, scale, rotate and mirror hands into a canonical pose (see the module doc).

    Args:
        landmarks: float (21, 3) or (N, 21, 3) MediaPipe hand landmarks: x, y in image
            pixels (y down) and z, the depth relative to the wrist in the same pixel scale
            (or all three normalised to [0, 1] by the image size: any common scale works).
        handedness: per hand ``"Left"``/``"Right"`` (the person's hand), ``""``/None
            (unknown), or the landmark model's score that it is a right hand in [0, 1]; a
            single string applies to every hand. Used only for edge-on hands.

    Returns:
        float32 (N, 21, 3): wrist at 0, palm size 1, wrist -> palm centre along +y (y up),
        index base on the +x side; N = 1 for a single (21, 3) hand.

    Raises:
        ValueError: wrong shape, NaN/inf values, bad handedness values, or a degenerate
            hand (all finger bases on the wrist).
    """
    lm = _as_batch(landmarks)
    n = len(lm)
    left = _left_flags(handedness, n)
    p = lm - lm[:, :1, :]
    palm = np.linalg.norm(p[:, PALM_BASES, :], axis=2).mean(axis=1)
    if np.any(palm < _EPS):
        raise ValueError("degenerate hand: the finger bases coincide with the wrist; pass real landmarks")
    p = p / palm[:, None, None]
    # Image y points down; flip it so "up" is +y, then rotate the palm direction onto +y.
    p[:, :, 1] = -p[:, :, 1]
    d = p[:, PALM_BASES, :2].mean(axis=1)
    theta = np.arctan2(d[:, 0], d[:, 1])  # angle of d from +y, clockwise positive
    c, s = np.cos(theta), np.sin(theta)
    x, y = p[:, :, 0].copy(), p[:, :, 1].copy()
    p[:, :, 0] = c[:, None] * x - s[:, None] * y
    p[:, :, 1] = s[:, None] * x + c[:, None] * y
    spread = p[:, 5, 0] - p[:, 17, 0]
    flip = np.where(np.abs(spread) > EDGE_ON, spread < 0, left)
    p[flip, :, 0] = -p[flip, :, 0]
    return p.astype(np.float32)


def _angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between vectors along the last axis, in [0, pi] (0 for a zero vector)."""
    nu, nv = np.linalg.norm(u, axis=-1), np.linalg.norm(v, axis=-1)
    cos = np.sum(u * v, axis=-1) / np.maximum(nu * nv, _EPS)
    return np.arccos(np.clip(cos, -1.0, 1.0))


def landmark_features(
    landmarks: np.ndarray,
    handedness: Sequence[Any] | np.ndarray | str | None = None,
    presence: Sequence[float] | np.ndarray | float | None = None,
) -> np.ndarray:
    """The gesture feature vectors of hands (columns in the module doc).

    Args:
        landmarks: float (21, 3) or (N, 21, 3), see :func:`normalise_landmarks`.
        handedness: see :func:`normalise_landmarks`.
        presence: the landmark model's hand presence per hand in [0, 1] (a scalar applies
            to all); None = 1.0 (a hand that is certainly there).

    Returns:
        float32 (N, NUM_FEATURES), finite; N = 1 for a single hand. Invariant (to float
        rounding) to translating, scaling and rotating the landmarks in the image plane
        and to mirroring them (x -> -x with the handedness swapped, as a mirrored image
        gives; without the swap too, except for hands seen edge-on).

    Raises:
        ValueError: as :func:`normalise_landmarks`, or presence of the wrong length or
            outside [0, 1].
    """
    p = normalise_landmarks(landmarks, handedness).astype(np.float64)
    n = len(p)
    if presence is None:
        pres = np.ones(n)
    else:
        if np.size(presence) not in (1, n):
            raise ValueError(f"{np.size(presence)} presence values for {n} hands")
        pres = np.broadcast_to(np.asarray(presence, np.float64).reshape(-1), (n,))
        if np.any(~np.isfinite(pres)) or np.any(pres < 0) or np.any(pres > 1):
            raise ValueError("presence must be in [0, 1] (the landmark model's hand presence)")
    cols = [p[:, 1:, :].reshape(n, -1)]
    flex = []
    for f in FINGERS:
        bones = p[:, f[1:], :] - p[:, f[:-1], :]  # (n, 4, 3): wrist->base, ..., ->tip
        flex.append(_angle(bones[:, :-1], bones[:, 1:]) / np.pi)  # (n, 3)
    cols.append(np.concatenate(flex, axis=1))
    tip_wrist = np.linalg.norm(p[:, TIPS, :], axis=2)
    cols.append(tip_wrist)
    cols.append(tip_wrist / np.maximum(np.linalg.norm(p[:, BASES, :], axis=2), _EPS))
    tips = p[:, TIPS, :]
    cols.append(np.linalg.norm(tips[:, 1:] - tips[:, :-1], axis=2))
    dirs = p[:, TIPS, :] - p[:, BASES, :]
    cols.append(_angle(dirs[:, 1:], dirs[:, :-1]) / np.pi)
    cols.append(pres[:, None])
    out = np.concatenate(cols, axis=1).astype(np.float32)
    assert out.shape == (n, NUM_FEATURES)
    return out


def features_batch(rois: Sequence[Any]) -> np.ndarray:
    """Feature vectors of the hands the landmark model found, for a ``hand-landmarks`` bundle.

    Args:
        rois: :class:`edge.types.ROI` objects (or anything with ``landmarks``,
            ``handedness`` and ``score``) whose ``landmarks`` are float (21, 3) in frame
            pixels, ``handedness`` ``"Left"``/``"Right"``/None and ``score`` the hand
            presence in [0, 1] or None (taken as 1).

    Returns:
        float32 (N, NUM_FEATURES), one row per ROI, N = len(rois) (may be 0): the input
        batch of :meth:`edge.runtime.Classifier.predict` for such a bundle.

    Raises:
        ValueError: a ROI carries no landmarks (give those ROIs the label ``none``, or run
            the hand landmark model first), or as :func:`landmark_features`.
    """
    if len(rois) == 0:
        return np.zeros((0, NUM_FEATURES), np.float32)
    missing = [i for i, r in enumerate(rois) if getattr(r, "landmarks", None) is None]
    if missing:
        raise ValueError(
            f"ROIs {missing} carry no landmarks: the hand-landmarks classifier needs "
            "the hand landmark model's 21 points on every ROI"
        )
    lm = np.stack([np.asarray(r.landmarks, np.float64) for r in rois])
    hand = [r.handedness or "" for r in rois]
    pres = [1.0 if r.score is None else float(np.clip(r.score, 0.0, 1.0)) for r in rois]
    return landmark_features(lm, hand, pres)


def check_features_version(meta: dict[str, Any]) -> None:
    """Refuse a bundle whose features differ from this module's.

    Args:
        meta: a bundle's ``model.json`` as a dict (``features`` section).

    Raises:
        ValueError: ``features.version`` or ``features.size`` differs from this code's.
    """
    feats = meta.get("features", {}) if isinstance(meta, dict) else {}
    version, size = feats.get("version"), feats.get("size")
    if version != FEATURES_VERSION or size != NUM_FEATURES:
        raise ValueError(
            f"the bundle's landmark features are version {version} with {size} values, this code "
            f"makes version {FEATURES_VERSION} with {NUM_FEATURES}: retrain the bundle with "
            "edge-train landmarks, or use the code it was trained with"
        )
