"""The drawn hand of the ``demo-hands`` scene: rock, paper and scissors in palm widths.

A palm polygon and finger capsules (two segments each) in local units of one palm
width, wrist at the origin: :func:`hand_shape` gives the parts and creases of a right
hand showing a gesture in a :class:`HandPose`;
:func:`edge.sources.demo_hands_scene.draw_hand` places and shades them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: The gestures the scene shows, in the order of a hands bundle's labels.
GESTURES = ("rock", "paper", "scissors")


#: Capsule finger model in palm widths: (base x, base y, length, width) with the wrist
#: at (0, 0), fingers towards -y and the thumb on the +x side.
FINGERS = {
    "index": (0.30, -0.97, 0.78, 0.19),
    "middle": (0.10, -1.02, 0.88, 0.20),
    "ring": (-0.10, -0.99, 0.80, 0.185),
    "little": (-0.29, -0.90, 0.62, 0.16),
}
_SPREAD_DEG = {"index": 13.0, "middle": 3.0, "ring": -7.0, "little": -18.0}
_PALM = np.array(
    [
        (-0.36, 0.0),
        (-0.43, -0.25),
        (-0.46, -0.6),
        (-0.43, -0.86),
        (-0.32, -0.98),
        (-0.1, -1.05),
        (0.1, -1.07),
        (0.3, -1.03),
        (0.42, -0.92),
        (0.46, -0.7),
        (0.5, -0.46),
        (0.46, -0.2),
        (0.35, 0.0),
    ],
    np.float32,
)


@dataclass
class HandPart:
    """One piece of the drawn hand, in local units (see :func:`hand_shape`).

    Attributes:
        kind: ``"poly"`` (a filled polygon: the palm) or ``"capsule"`` (a polyline
            with round ends: a finger or the thumb).
        pts: float32 (N, 2) polygon corners or polyline points.
        widths: float32 (N - 1,) capsule width of each segment; ``None`` for polygons.
        nail: draw a nail at the tip (the back of the hand, an extended finger).
    """

    kind: str
    pts: np.ndarray
    widths: np.ndarray | None = None
    nail: bool = False


@dataclass
class HandShape:
    """A hand showing one gesture, in local units (see :func:`hand_shape`).

    Attributes:
        parts: in drawing order (later parts cover earlier ones).
        creases: float32 (K, 2) polylines drawn as thin dark lines (between curled
            fingers, palm lines).
    """

    parts: list[HandPart]
    creases: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class HandPose:
    """One gesture (or no hand) held from frame ``start`` of a room's timeline, with
    the small variations that make each showing of a gesture look different."""

    start: int
    label: str | None  # None: no hand in the frame
    facing: str = "palm"  # "palm" | "back": which side faces the camera
    fx: float = 1.0  # foreshortening across the hand
    fy: float = 1.0  # and along it
    dtheta: float = 0.0  # extra rotation for this pose, radians
    spread: float = 1.0  # how far fingers fan out
    fingers: tuple[tuple[float, float], ...] = ()  # per finger: (angle jitter deg, length factor)
    thumb: int = 0  # thumb variant


def _rot(deg: float) -> np.ndarray:
    a = math.radians(deg)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], np.float32)


def _finger(name: str, angle_deg: float, length_k: float, curl_deg: float) -> HandPart:
    """An extended finger: two capsule segments from its knuckle, tilted ``angle_deg``
    towards the thumb, the distal one bent ``curl_deg`` more."""
    x, y, length, width = FINGERS[name]
    length *= length_k
    d1 = _rot(angle_deg) @ np.array([0.0, -1.0], np.float32)
    d2 = _rot(angle_deg + curl_deg) @ np.array([0.0, -1.0], np.float32)
    p0 = np.array([x, y], np.float32)
    p1 = p0 + 0.55 * length * d1
    p2 = p1 + 0.45 * length * d2
    return HandPart("capsule", np.stack([p0, p1, p2]), np.array([width, 0.9 * width], np.float32))


def _folded(name: str, dx: float) -> HandPart:
    """A finger curled into the palm: its bent middle phalanx seen over the top of the palm."""
    x, y, _, width = FINGERS[name]
    pts = np.array([[x, y - 0.04], [x + dx, y + 0.24]], np.float32)
    return HandPart("capsule", pts, np.array([1.12 * width], np.float32))


def hand_shape(label: str, pose: HandPose) -> HandShape:
    """A right hand showing ``label``, before it is placed in the frame.

    Local units: the palm is 1 wide, the wrist centre is at (0, 0), the fingers point
    towards -y and the thumb is on the +x side (a left hand is its mirror image).

    Args:
        label: ``"rock"``, ``"paper"`` or ``"scissors"``.
        pose: finger spread, jitter, thumb variant and the side facing the camera.

    Returns:
        The parts and creases to draw.

    Raises:
        ValueError: ``label`` is not one of :data:`GESTURES`.
    """
    jit = dict(zip(("thumb", *FINGERS), pose.fingers or [(0.0, 1.0)] * 5, strict=True))
    parts: list[HandPart] = []
    creases: list[np.ndarray] = []
    palm = _PALM.copy()
    if label == "rock":
        palm[:, 1] *= 0.94
        palm[:, 0] *= 1.04
        parts.append(HandPart("poly", palm))
        names = ("index", "middle", "ring", "little")
        for n in names:
            parts.append(_folded(n, 0.02 * (jit[n][0])))
        for n1, n2 in zip(names[:-1], names[1:], strict=True):  # gaps between the curled fingers
            xm = (FINGERS[n1][0] + FINGERS[n2][0]) / 2
            ym = (FINGERS[n1][1] + FINGERS[n2][1]) / 2
            creases.append(np.array([[xm, ym - 0.02], [xm, ym + 0.22]], np.float32))
        creases.append(np.array([[-0.36, -0.8], [0.0, -0.84], [0.38, -0.8]], np.float32))
        if pose.thumb == 0:  # across the front of the fingers
            thumb = np.array([[0.38, -0.22], [0.22, -0.58], [-0.06, -0.72]], np.float32)
        else:  # along the side of the fist
            thumb = np.array([[0.40, -0.22], [0.52, -0.55], [0.40, -0.8]], np.float32)
        parts.append(HandPart("capsule", thumb, np.array([0.25, 0.22], np.float32)))
    elif label == "paper":
        t_ang, t_len = jit["thumb"]
        a = 48.0 * pose.spread + t_ang
        d1 = _rot(a) @ np.array([0.0, -1.0], np.float32)
        d2 = _rot(a - 12.0) @ np.array([0.0, -1.0], np.float32)
        p0 = np.array([0.36, -0.24], np.float32)
        p1 = p0 + 0.42 * t_len * d1
        p2 = p1 + 0.34 * t_len * d2
        parts.append(
            HandPart(
                "capsule",
                np.stack([p0, p1, p2]),
                np.array([0.26, 0.22], np.float32),
                nail=pose.facing == "back",
            )
        )
        for n in FINGERS:
            ang, k = jit[n]
            f = _finger(n, _SPREAD_DEG[n] * pose.spread + ang, k, curl_deg=ang * 0.5)
            f.nail = pose.facing == "back"
            parts.append(f)
        parts.append(HandPart("poly", palm))
        if pose.facing == "palm":
            creases.append(np.array([[-0.44, -0.74], [-0.1, -0.78], [0.26, -0.86]], np.float32))
            creases.append(np.array([[0.42, -0.66], [0.18, -0.5], [0.1, -0.22]], np.float32))
    elif label == "scissors":
        v = 10.0 + 8.0 * pose.spread
        for n, ang in (("index", v), ("middle", -v * 0.7)):
            a, k = jit[n]
            f = _finger(n, ang + a, k, curl_deg=a * 0.4)
            f.nail = pose.facing == "back"
            parts.append(f)
        parts.append(HandPart("poly", palm))
        for n in ("ring", "little"):
            parts.append(_folded(n, 0.0))
        creases.append(np.array([[-0.2, -0.99], [-0.2, -0.76]], np.float32))
        if pose.thumb == 0:
            thumb = np.array([[0.38, -0.22], [0.16, -0.56], [-0.14, -0.72]], np.float32)
        else:
            thumb = np.array([[0.40, -0.22], [0.56, -0.5], [0.50, -0.74]], np.float32)
        parts.append(HandPart("capsule", thumb, np.array([0.25, 0.22], np.float32)))
    else:
        raise ValueError(f"label must be one of {GESTURES}, got {label!r}")
    return HandShape(parts, creases)
