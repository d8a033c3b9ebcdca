"""The ``demo-hands`` source: a synthetic camera scene of rock/paper/scissors hands.

Needs no camera, no download and no data file. A room (a wall of one of several
colours, beige close to skin among them, with shelves of books, pictures, a door, a
window, a poster or a plant; usually a desk in front with a mug, a laptop or papers)
under light that falls off from one side, seen by a webcam with sensor noise, some
softness and sometimes JPEG artefacts. A hand, with its forearm entering from the
bottom, left or right edge of the frame and sometimes a sleeve, moves about (drift,
rotation, nearer and farther) and shows a gesture that changes every 1 to 2 s: rock
(a fist, thumb across or beside it), paper (an open palm, five spread fingers) or
scissors (index and middle finger in a V, the others folded). Each room lasts a few
seconds and most open with an empty stretch (the room with no hand), and now and
then the hand leaves in between, so "no gesture" can be tested. Skin tones range
from very light to dark; the hand is the left or right one, seen from the palm or the
back, with some foreshortening.

The hand is drawn, not photographed: a palm polygon and finger capsules (two
segments each) in world units of one palm width, drawn antialiased with three skin
shades (rim, body, highlight offset towards the light), creases between folded
fingers, nails or palm lines, then blurred a little and alpha-blended onto the room.
The forearm is a shaded tapered quad. This is for the camera-free main job, tests
and the benchmark's segmentation workload, not training data.

Each frame carries its ground truth: ``(("rock" | "paper" | "scissors", ROI),)`` with
the ROI the tight box of the hand (palm, fingers and thumb, down to the wrist, not
the forearm) in frame pixels, or ``()`` when no hand is in the frame.

Rendering is cheap because the room, its light and the noise bank are made once per
scene; a frame is a copy of the room, the forearm and one small hand canvas, an
exposure gain, noise from the bank and occasionally a blur or a JPEG round trip.
Every frame depends only on ``(seed, index)`` (:meth:`HandsDemoSource.render`).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from edge.sources.procedural import (
    ProceduralSource,
    colour_tint,
    gain_map,
    light_gain,
    light_grid,
    pick,
    smooth_noise,
    soft_blur,
)
from edge.types import ROI, Frame

#: The gestures the scene shows, in the order of a hands bundle's labels.
GESTURES = ("rock", "paper", "scissors")

BGR = tuple[int, int, int]

# name: (BGR, probability). From very light to dark; jittered per scene.
_SKINS: dict[str, tuple[BGR, float]] = {
    "very light": ((178, 198, 238), 0.15),
    "light": ((150, 178, 226), 0.2),
    "medium": ((118, 152, 206), 0.2),
    "olive": ((96, 134, 176), 0.15),
    "brown": ((68, 100, 146), 0.15),
    "dark": ((44, 62, 98), 0.15),
}
_WALLS: dict[str, tuple[BGR, float]] = {
    "white": ((232, 234, 236), 0.18),
    "off-white": ((206, 220, 228), 0.12),
    "beige": ((160, 190, 214), 0.14),  # close to skin on purpose
    "peach": ((150, 178, 222), 0.06),  # closer still
    "grey": ((150, 152, 155), 0.12),
    "light blue": ((214, 196, 168), 0.1),
    "sage": ((150, 176, 152), 0.08),
    "yellow": ((140, 206, 226), 0.08),
    "dark grey": ((72, 74, 78), 0.06),
    "navy": ((88, 52, 40), 0.06),
}
_DESKS: dict[str, tuple[BGR, float]] = {
    "wood": ((70, 112, 160), 0.35),  # close to darker skin
    "dark wood": ((36, 58, 90), 0.15),
    "white": ((214, 218, 220), 0.2),
    "grey": ((110, 110, 112), 0.15),
    "black": ((32, 32, 36), 0.15),
}
_SLEEVES: list[BGR] = [(40, 40, 40), (150, 60, 30), (60, 60, 150), (200, 200, 200), (90, 120, 60),
                       (120, 90, 60), (60, 140, 200), (120, 40, 120)]

#: Capsule finger model in palm widths: (base x, base y, length, width) with the wrist
#: at (0, 0), fingers towards -y and the thumb on the +x side.
_FINGERS = {
    "index": (0.30, -0.97, 0.78, 0.19),
    "middle": (0.10, -1.02, 0.88, 0.20),
    "ring": (-0.10, -0.99, 0.80, 0.185),
    "little": (-0.29, -0.90, 0.62, 0.16),
}
_SPREAD_DEG = {"index": 13.0, "middle": 3.0, "ring": -7.0, "little": -18.0}
_PALM = np.array([(-0.36, 0.0), (-0.43, -0.25), (-0.46, -0.6), (-0.43, -0.86), (-0.32, -0.98),
                  (-0.1, -1.05), (0.1, -1.07), (0.3, -1.03), (0.42, -0.92), (0.46, -0.7),
                  (0.5, -0.46), (0.46, -0.2), (0.35, 0.0)], np.float32)
_ANCHOR = np.array([0.0, -0.55], np.float32)  # palm centre: the point the motion moves
#: Cylinder shading of the forearm: (width fraction, shade, offset towards the light).
_ARM_BANDS = tuple((1.0 - 0.1 * i, 0.68 + 0.045 * i, 0.025 * i) for i in range(8))


def _jitter(rng: np.random.Generator, colour: BGR, sd: float) -> np.ndarray:
    return np.clip(np.array(colour, np.float32) + rng.normal(0, sd, 3).astype(np.float32), 0, 255)


def _c(colour: np.ndarray | tuple[float, ...], k: float = 1.0) -> tuple[float, float, float]:
    """A BGR colour scaled by ``k`` as the float tuple OpenCV's drawing calls take."""
    return tuple(float(min(255.0, max(0.0, v * k))) for v in colour)  # type: ignore[return-value]


def _fx(pts: np.ndarray) -> np.ndarray:
    """float px (..., 2) -> int32 in 1/16 px for drawing with ``shift=4``."""
    return np.round(np.asarray(pts) * 16.0).astype(np.int32)


# --------------------------------------------------------------------------------------
# The hand, in palm widths
# --------------------------------------------------------------------------------------


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
    x, y, length, width = _FINGERS[name]
    length *= length_k
    d1 = _rot(angle_deg) @ np.array([0.0, -1.0], np.float32)
    d2 = _rot(angle_deg + curl_deg) @ np.array([0.0, -1.0], np.float32)
    p0 = np.array([x, y], np.float32)
    p1 = p0 + 0.55 * length * d1
    p2 = p1 + 0.45 * length * d2
    return HandPart("capsule", np.stack([p0, p1, p2]), np.array([width, 0.9 * width], np.float32))


def _folded(name: str, dx: float) -> HandPart:
    """A finger curled into the palm: its bent middle phalanx seen over the top of the palm."""
    x, y, _, width = _FINGERS[name]
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
    jit = dict(zip(("thumb", *_FINGERS), pose.fingers or [(0.0, 1.0)] * 5, strict=True))
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
        for a, b in zip(names[:-1], names[1:], strict=True):  # gaps between the curled fingers
            xm = (_FINGERS[a][0] + _FINGERS[b][0]) / 2
            ym = (_FINGERS[a][1] + _FINGERS[b][1]) / 2
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
        parts.append(HandPart("capsule", np.stack([p0, p1, p2]), np.array([0.26, 0.22], np.float32),
                           nail=pose.facing == "back"))
        for n in _FINGERS:
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


# --------------------------------------------------------------------------------------
# The scene
# --------------------------------------------------------------------------------------


@dataclass
class _Scene:
    """Everything fixed for one room: images, skin, motion, camera and the gesture timeline."""

    room: np.ndarray  # uint8 (H, W, 3) BGR, lit
    gain: np.ndarray  # float32 (gh, gw, 3) light gain (with colour cast) at low resolution
    noise: np.ndarray  # int16 (2H, W, 3) sensor noise bank
    poses: list[HandPose]
    skin: np.ndarray  # float32 (3,) BGR
    palm_px: float  # palm width at scale 1, px
    mirror: bool  # a left hand
    entry: str  # "bottom" | "left" | "right": where the forearm enters
    motion: dict[str, float]
    sleeve: tuple[float, np.ndarray] | None  # (start along the forearm in palm widths, BGR)
    light_dir: np.ndarray  # float32 (2,) unit vector towards the light, frame axes
    exposure: dict[str, float]
    soft_sigma: float  # webcam softness, px
    jpeg_quality: int | None
    description: str


class HandsDemoSource(ProceduralSource[_Scene]):
    """The built-in synthetic scene of rock/paper/scissors hands in rooms.

    Frames are a pure function of ``(seed, index)``: the same seed gives the same
    video on every machine and frames can be rendered in any order. The room, skin
    tone, hand size, camera and motion change every ``segment_frames`` frames; the
    gesture every 1 to 2 s within a room.

    Args:
        seed: the scene's random seed (any int).
        width: frame width in px (>= 160).
        height: frame height in px (>= 120).
        fps: nominal frame rate; ``timestamp = index / fps`` seconds (not wall time).
        num_frames: frames before :meth:`read` returns ``None``; ``None`` = endless.
        segment_frames: frames per room; default 6 s worth (``round(6 * fps)``).
        empty_share: probability that a room opens with an empty stretch (0.4..1.2 s,
            at most 35 % of the room); another empty stretch follows a gesture with
            probability ``empty_share / 4``.
        realtime: pace :meth:`read` to ``fps`` like a camera: wait when the
            consumer is early, skip frames when it is late (``live`` is then
            ``True`` and ``Frame.index`` jumps over the skipped frames).

    Frames:
        ``image`` uint8 (height, width, 3) BGR; ``timestamp = index / fps``;
        ``index`` the scene frame number; ``truth`` ``((label, ROI),)`` with ``label``
        in :data:`GESTURES` and ``ROI`` the tight box of the hand (palm, fingers and
        thumb to the wrist, not the forearm) in frame px, always inside the frame; or
        ``()`` when the frame shows no hand.

    Raises:
        ValueError: a size, rate, count or share out of range.
    """

    spec = "demo-hands"
    segment_seconds = 6
    streams = (11, 12, 13)

    def __init__(self, seed: int = 0, *, width: int = 640, height: int = 480, fps: float = 30.0,
                 num_frames: int | None = None, segment_frames: int | None = None,
                 empty_share: float = 0.7, realtime: bool = False) -> None:
        super().__init__(seed, width=width, height=height, fps=fps, num_frames=num_frames,
                         segment_frames=segment_frames, realtime=realtime)
        if segment_frames is not None and segment_frames < 1:
            raise ValueError(f"segment_frames must be >= 1 or None, got {segment_frames}")
        if not 0.0 <= empty_share <= 1.0:
            raise ValueError(f"empty_share must be in [0, 1], got {empty_share}")
        self.empty_share = float(empty_share)

    # ---- public --------------------------------------------------------------------

    def render(self, index: int) -> Frame:
        """Render scene frame ``index`` (any order; the same index gives the same frame).

        Returns:
            A :class:`~edge.types.Frame`: uint8 (height, width, 3) BGR image,
            ``timestamp = index / fps``, ``truth`` as in the class docstring.

        Raises:
            ValueError: ``index < 0``.
        """
        scene, pose, tau = self._locate(index)
        rng = self._frame_rng(index)
        img = scene.room.copy()
        truth: tuple[tuple[str, ROI], ...] = ()
        if pose.label is not None:
            geo = self._geometry(scene, pose, tau)
            self._draw(img, scene, pose, geo)
            truth = ((pose.label, geo["box"]),)
        img = self._camera(img, scene, tau, rng)
        return Frame(image=img, timestamp=index / self.fps, index=index, truth=truth)

    def truth(self, index: int) -> tuple[tuple[str, ROI], ...]:
        """The ground truth of frame ``index`` without rendering it (as ``Frame.truth``)."""
        scene, pose, tau = self._locate(index)
        if pose.label is None:
            return ()
        return ((pose.label, self._geometry(scene, pose, tau)["box"]),)

    # ---- timeline ------------------------------------------------------------------

    def _locate(self, index: int) -> tuple[_Scene, HandPose, int]:
        scene, tau = self._position(index)
        starts = [p.start for p in scene.poses]
        pose = scene.poses[bisect.bisect_right(starts, tau) - 1]
        return scene, pose, tau

    def _poses(self, rng: np.random.Generator) -> list[HandPose]:
        """The gesture timeline of one room: an optional empty opening, then gestures of
        1..2 s each (never the same twice running), sometimes an empty gap between."""
        n = self.segment_frames
        poses: list[HandPose] = []
        t = 0
        if rng.random() < self.empty_share:
            lead = int(min(rng.uniform(0.4, 1.2) * self.fps, 0.35 * n))
            if lead > 0:
                poses.append(HandPose(0, None))
                t = lead
        prev: str | None = None
        while t < n or not poses:
            length = max(1, int(round(rng.uniform(1.0, 2.0) * self.fps)))
            if prev is not None and rng.random() < self.empty_share / 4:
                poses.append(HandPose(t, None))
                prev = None
                t += max(1, length // 2)
                continue
            label = str(rng.choice([g for g in GESTURES if g != prev]))
            fingers = tuple((float(rng.normal(0, 4)), float(rng.uniform(0.93, 1.07))) for _ in range(5))
            poses.append(HandPose(
                t, label, facing="palm" if rng.random() < 0.6 else "back",
                fx=float(rng.uniform(0.72, 1.05)), fy=float(rng.uniform(0.88, 1.05)),
                dtheta=float(np.radians(rng.normal(0, 8))), spread=float(rng.uniform(0.6, 1.35)),
                fingers=fingers, thumb=int(rng.random() < 0.3)))
            prev = label
            t += length
        return poses

    def _build_segment(self, rng: np.random.Generator) -> _Scene:
        W, H = self.width, self.height
        short = min(W, H)
        room, wall_name, desk_name = self._room(rng)
        # ---- light: a fall-off from one side, vignetting, a colour cast
        xx, yy, aspect = light_grid(W, H)
        phi = rng.uniform(0, 2 * math.pi)  # direction the light comes from
        light_dir = np.array([math.cos(phi), math.sin(phi)], np.float32)
        grad, vignette = rng.uniform(0.0, 0.5), rng.uniform(0.0, 0.35)
        g0 = rng.uniform(0.75, 1.08)
        gain = light_gain(xx, yy, aspect, g0, grad, light_dir, vignette)
        gain3 = (gain[..., None] * colour_tint(rng, 0.05)[None, None, :]).astype(np.float32)
        room = cv2.multiply(room, gain_map(gain3, W, H), scale=1 / 128.0)

        # ---- the person: skin, hand size, which hand, where the arm comes from
        skin_name = pick(rng, _SKINS)
        skin = _jitter(rng, _SKINS[skin_name][0], 7)
        palm_px = float(rng.uniform(0.12, 0.26) * short)
        mirror = bool(rng.random() < 0.4)
        entry = str(rng.choice(["bottom", "left", "right"], p=[0.6, 0.2, 0.2]))
        theta0 = {"bottom": float(np.clip(rng.normal(0, 18), -40, 40)),
                  "left": float(rng.uniform(45, 100)), "right": float(rng.uniform(-100, -45))}[entry]
        motion = {
            "cx": W * rng.uniform(0.3, 0.7), "cy": H * rng.uniform(0.35, 0.6),
            "ax": W * rng.uniform(0.0, 0.2), "fx": rng.uniform(0.05, 0.3), "px": rng.uniform(0, 6.3),
            "ay": H * rng.uniform(0.0, 0.15), "fy": rng.uniform(0.05, 0.3), "py": rng.uniform(0, 6.3),
            "theta0": math.radians(theta0), "a_theta": math.radians(rng.uniform(0, 15)),
            "f_theta": rng.uniform(0.1, 0.4), "p_theta": rng.uniform(0, 6.3),
            "a_scale": rng.uniform(0.0, 0.12), "f_scale": rng.uniform(0.05, 0.25),
            "p_scale": rng.uniform(0, 6.3), "wrist": math.radians(rng.normal(0, 10)),
            "tremor": rng.uniform(0.3, 2.0), "ft1": rng.uniform(2.0, 5.0), "ft2": rng.uniform(2.5, 6.0),
        }
        sleeve = None
        if rng.random() < 0.5:
            colour = _SLEEVES[int(rng.integers(len(_SLEEVES)))]
            sleeve = (float(rng.uniform(1.2, 3.5)), _jitter(rng, colour, 10))
        exposure = {"a": rng.uniform(0.0, 0.08), "f": rng.uniform(0.05, 0.3), "p": rng.uniform(0, 6.3)}
        soft = float(rng.uniform(0.4, 1.2)) if rng.random() < 0.6 else 0.0
        room = soft_blur(room, soft)  # webcam softness, baked into the static room; the hand gets its own
        sigma = float(rng.uniform(1.5, 6.0))
        noise = self._sensor_noise(sigma)
        jpeg = int(rng.integers(40, 90)) if rng.random() < 0.35 else None
        poses = self._poses(rng)
        gestures = "".join(p.label[0] if p.label else "-" for p in poses)
        desc = (f"{skin_name} {'left' if mirror else 'right'} hand, palm {palm_px:.0f} px, arm from the "
                f"{entry}{', sleeve' if sleeve else ''}; {wall_name} wall, {desk_name}; poses {gestures} "
                f"(r/p/s, - no hand); noise {sigma:.1f}{f', jpeg q{jpeg}' if jpeg else ''}")
        return _Scene(room, gain3, noise, poses, skin, palm_px, mirror, entry, motion, sleeve, light_dir,
                      exposure, soft, jpeg, desc)

    # ---- the room ------------------------------------------------------------------

    def _room(self, rng: np.random.Generator) -> tuple[np.ndarray, str, str]:
        """uint8 (H, W, 3) BGR room (unlit), the wall's and the desk's names."""
        W, H = self.width, self.height
        short = min(W, H)
        wall_name = pick(rng, _WALLS)
        wall = _jitter(rng, _WALLS[wall_name][0], 6)
        tex = 5 * smooth_noise(rng, (H, W), 70) + 1.5 * smooth_noise(rng, (H, W), 3)
        room = np.clip(wall[None, None, :] * (1 + tex[..., None] / 120.0), 0, 255).astype(np.uint8)
        plain = rng.random() < 0.12
        desk_y = H
        desk_name = "no desk"
        if not plain and rng.random() < 0.75:
            desk_name = pick(rng, _DESKS)
            desk_y = int(H * rng.uniform(0.6, 0.88))
            base = _jitter(rng, _DESKS[desk_name][0], 6)
            dh = H - desk_y
            ramp = np.linspace(1.08, 0.9, dh, dtype=np.float32)[:, None]  # lighter at the back
            dtex = 4 * smooth_noise(rng, (dh, W), 40)
            if "wood" in desk_name:
                dtex += 5 * cv2.resize(rng.standard_normal((max(2, dh // 2), 5)).astype(np.float32), (W, dh),
                                       interpolation=cv2.INTER_CUBIC)
            room[desk_y:] = np.clip(base[None, None, :] * (ramp * (1 + dtex / 120.0))[..., None], 0, 255
                                    ).astype(np.uint8)
            cv2.line(room, (0, desk_y), (W - 1, desk_y), _c(base, 0.7), max(1, short // 200), cv2.LINE_AA)
            desk_name += " desk"
        if not plain:
            for _ in range(int(rng.integers(1, 6))):
                self._wall_object(rng, room, desk_y)
            if desk_y < H:
                for _ in range(int(rng.integers(0, 4))):
                    self._desk_object(rng, room, desk_y)
        return room, wall_name, desk_name

    def _wall_object(self, rng: np.random.Generator, img: np.ndarray, floor: int) -> None:
        W, H = self.width, self.height
        s = min(W, H) / 480.0
        kind = str(rng.choice(["shelf", "frame", "door", "window", "poster", "plant", "screen"],
                              p=[0.25, 0.2, 0.1, 0.12, 0.13, 0.1, 0.1]))
        x = int(rng.uniform(-0.1, 0.9) * W)
        if kind == "shelf":
            w, y = int(rng.uniform(150, 380) * s), int(rng.uniform(0.08, 0.5) * floor)
            board = _c(rng.choice([(70, 112, 160), (230, 230, 230), (40, 50, 60)]), rng.uniform(0.85, 1.1))
            bx = x + 4
            while bx < x + w - 8:  # books standing on the board
                bw, bh = int(rng.uniform(7, 22) * s), int(rng.uniform(30, 75) * s)
                hue = rng.uniform(0, 180)
                hsv = np.uint8([[[hue, rng.uniform(60, 220), rng.uniform(60, 220)]]])
                col = _c(cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(float))
                cv2.rectangle(img, (bx, y - bh), (bx + bw, y), col, -1)
                cv2.line(img, (bx, y - bh), (bx, y), _c(col, 0.6), 1)
                bx += bw + (int(rng.uniform(8, 40) * s) if rng.random() < 0.1 else 1)
            cv2.rectangle(img, (x, y), (x + w, y + int(rng.uniform(6, 14) * s)), board, -1)
        elif kind in ("frame", "poster"):
            w, h = int(rng.uniform(50, 160) * s), int(rng.uniform(50, 160) * s)
            y = int(rng.uniform(0.05, 0.6) * floor)
            inner = _c(rng.uniform(30, 230, 3))
            cv2.rectangle(img, (x, y), (x + w, y + h), inner, -1)
            for _ in range(int(rng.integers(1, 4))):
                cx, cy = x + int(rng.uniform(0, w)), y + int(rng.uniform(0, h))
                r = int(rng.uniform(0.1, 0.35) * min(w, h))
                cv2.circle(img, (cx, cy), r, _c(rng.uniform(30, 230, 3)), -1, cv2.LINE_AA)
            cv2.rectangle(img, (x, y), (x + w, y + h), inner, 0)
            if kind == "frame":
                cv2.rectangle(img, (x, y), (x + w, y + h), _c(rng.choice([(30, 30, 30), (70, 112, 160),
                                                                          (240, 240, 240)])),
                              max(2, int(rng.uniform(3, 10) * s)))
        elif kind == "door":
            w = int(rng.uniform(0.18, 0.3) * W)
            col = _c(rng.choice([(70, 112, 160), (225, 228, 230), (120, 120, 125), (60, 90, 130)]))
            cv2.rectangle(img, (x, int(0.05 * H)), (x + w, H), col, -1)
            cv2.rectangle(img, (x, int(0.05 * H)), (x + w, H), _c(col, 0.7), max(2, int(4 * s)))
            cv2.circle(img, (x + int(0.85 * w), int(0.55 * H)), max(3, int(6 * s)), (160, 170, 180), -1,
                       cv2.LINE_AA)
        elif kind == "window":
            w, h = int(rng.uniform(100, 220) * s), int(rng.uniform(90, 200) * s)
            y = int(rng.uniform(0.0, 0.4) * floor)
            sky = _c(rng.choice([(250, 245, 240), (240, 215, 180), (235, 235, 235)]))
            cv2.rectangle(img, (x, y), (x + w, y + h), sky, -1)
            frame_col = (235, 235, 235) if rng.random() < 0.7 else (60, 60, 60)
            t = max(3, int(7 * s))
            cv2.rectangle(img, (x, y), (x + w, y + h), frame_col, t)
            cv2.line(img, (x + w // 2, y), (x + w // 2, y + h), frame_col, max(2, t // 2))
        elif kind == "plant":
            cx, base_y = x, int(rng.uniform(0.4, 1.0) * floor)
            pot_w = int(rng.uniform(30, 60) * s)
            for _ in range(int(rng.integers(6, 14))):
                ang = rng.uniform(-2.6, -0.5)
                r = rng.uniform(25, 70) * s
                ex, ey = cx + r * math.cos(ang), base_y - pot_w + r * math.sin(ang)
                axes = (max(3, int(rng.uniform(8, 18) * s)), max(2, int(rng.uniform(4, 8) * s)))
                green = (rng.uniform(30, 80), rng.uniform(90, 170), rng.uniform(30, 80))
                cv2.ellipse(img, (int(ex), int(ey)), axes, math.degrees(ang), 0, 360, _c(green), -1,
                            cv2.LINE_AA)
            cv2.rectangle(img, (cx - pot_w // 2, base_y - pot_w), (cx + pot_w // 2, base_y),
                          _c(rng.choice([(60, 80, 170), (230, 230, 230), (50, 50, 50)])), -1)
        else:  # a switched-off screen
            w = int(rng.uniform(120, 260) * s)
            h = int(w * rng.uniform(0.55, 0.65))
            y = int(rng.uniform(0.1, 0.6) * floor)
            cv2.rectangle(img, (x, y), (x + w, y + h), (30, 28, 26), -1)
            cv2.rectangle(img, (x + 4, y + 4), (x + w - 4, y + h - 4), (52, 44, 40), -1)

    def _desk_object(self, rng: np.random.Generator, img: np.ndarray, desk_y: int) -> None:
        W, H = self.width, self.height
        s = min(W, H) / 480.0
        kind = str(rng.choice(["mug", "laptop", "paper", "keyboard"]))
        x, y = int(rng.uniform(0.0, 0.95) * W), int(rng.uniform(desk_y + 5, H))
        if kind == "mug":
            w, h = int(rng.uniform(22, 40) * s), int(rng.uniform(28, 45) * s)
            col = _c(rng.uniform(40, 240, 3))
            cv2.rectangle(img, (x, y - h), (x + w, y), col, -1)
            cv2.ellipse(img, (x + w // 2, y - h), (w // 2, max(2, w // 6)), 0, 0, 360, _c(col, 0.6), -1,
                        cv2.LINE_AA)
            cv2.ellipse(img, (x + w, y - h // 2), (max(3, w // 4), max(4, h // 4)), 0, -90, 90, col,
                        max(2, int(4 * s)), cv2.LINE_AA)
        elif kind == "laptop":
            w = int(rng.uniform(140, 240) * s)
            pts = np.array([[x, y], [x + w, y], [x + int(0.9 * w), y - int(0.3 * w)],
                            [x + int(0.1 * w), y - int(0.3 * w)]], np.int32)
            cv2.fillConvexPoly(img, pts, _c(rng.choice([(60, 60, 60), (190, 190, 195), (30, 30, 30)])),
                               cv2.LINE_AA)
        elif kind == "paper":
            w, h = rng.uniform(60, 130) * s, rng.uniform(80, 170) * s
            box = cv2.boxPoints(((x, y), (w, h * 0.5), rng.uniform(-40, 40))).astype(np.int32)
            cv2.fillConvexPoly(img, box, (238, 240, 242), cv2.LINE_AA)
        else:
            w, h = int(rng.uniform(180, 280) * s), int(rng.uniform(30, 50) * s)
            cv2.rectangle(img, (x, y - h), (x + w, y), (45, 45, 48), -1)
            for kx in range(x + 4, x + w - 8, max(6, int(14 * s))):
                cv2.line(img, (kx, y - h + 3), (kx, y - 3), (70, 70, 74), 1)

    # ---- per frame -----------------------------------------------------------------

    def _pose_matrix(self, scene: _Scene, pose: HandPose, tt: float) -> tuple[np.ndarray, np.ndarray, float]:
        """The 2x2 linear map (local units -> px, rotation included) and the palm centre
        (px) at scene time ``tt`` frames, and the px size of one local unit."""
        m = scene.motion
        t = tt / self.fps
        two_pi = 2 * math.pi
        cx = m["cx"] + m["ax"] * math.sin(two_pi * m["fx"] * t + m["px"]) + \
            m["tremor"] * math.sin(two_pi * m["ft1"] * t)
        cy = m["cy"] + m["ay"] * math.sin(two_pi * m["fy"] * t + m["py"]) + \
            m["tremor"] * math.sin(two_pi * m["ft2"] * t + 1.0)
        theta = m["theta0"] + pose.dtheta + m["a_theta"] * math.sin(two_pi * m["f_theta"] * t + m["p_theta"])
        s = scene.palm_px * (1 + m["a_scale"] * math.sin(two_pi * m["f_scale"] * t + m["p_scale"]))
        c, si = math.cos(theta), math.sin(theta)
        R = np.array([[c, -si], [si, c]], np.float32)
        S = np.diag([s * pose.fx * (-1.0 if scene.mirror else 1.0), s * pose.fy]).astype(np.float32)
        return R @ S, np.array([cx, cy], np.float32), s * math.sqrt(pose.fx * pose.fy)

    def _geometry(self, scene: _Scene, pose: HandPose, tau: int) -> dict:
        """The hand and forearm in frame px at scene frame ``tau``: parts, creases, the
        truth box, the wrist and the forearm direction, and the hand speed (px/frame)."""
        assert pose.label is not None
        shape = hand_shape(pose.label, pose)
        A, centre, unit = self._pose_matrix(scene, pose, tau)

        def to_px(p: np.ndarray, A: np.ndarray = A, centre: np.ndarray = centre) -> np.ndarray:
            return (np.asarray(p, np.float32) - _ANCHOR) @ A.T + centre

        parts = [(part, to_px(part.pts)) for part in shape.parts]
        lo = np.full(2, np.inf, np.float32)
        hi = np.full(2, -np.inf, np.float32)
        for part, q in parts:
            r = 0.0 if part.widths is None else float(part.widths.max()) * unit / 2
            lo = np.minimum(lo, q.min(axis=0) - r)
            hi = np.maximum(hi, q.max(axis=0) + r)
        # keep the whole hand inside the frame (the forearm may leave it)
        margin = 3.0
        size = np.array([self.width, self.height], np.float32)
        shift = np.maximum(0.0, margin - lo) - np.maximum(0.0, hi - (size - 1 - margin))
        lo, hi = lo + shift, hi + shift
        x0, y0 = (int(max(0, math.floor(v))) for v in lo)
        x1, y1 = (int(min(lim, math.ceil(v) + 1)) for v, lim in zip(hi, (self.width, self.height),
                                                                    strict=True))
        prev = self._pose_matrix(scene, pose, tau - 1)[1]
        # the forearm leaves the wrist along the hand's axis, bent a little at the wrist
        axis = A @ np.array([0.0, 1.0], np.float32)
        axis = _rotate_vec(axis / max(1e-6, float(np.linalg.norm(axis))), scene.motion["wrist"])
        return {
            "parts": [(p, q + shift) for p, q in parts],
            "creases": [to_px(c) + shift for c in shape.creases],
            "box": ROI(x0, y0, max(1, x1 - x0), max(1, y1 - y0)),
            "wrist": to_px(np.zeros((1, 2), np.float32))[0] + shift,
            "axis": axis,
            "unit": unit,
            "speed": float(np.linalg.norm(centre - prev)),
        }

    def _draw(self, img: np.ndarray, scene: _Scene, pose: HandPose, geo: dict) -> None:
        """Draw the forearm, then blend the shaded hand onto ``img`` (in place)."""
        H, W = img.shape[:2]
        unit, box = geo["unit"], geo["box"]
        # skin under the room's light at the hand
        gh, gw = scene.gain.shape[:2]
        gx = int(np.clip((box.x + box.w / 2) / W * gw, 0, gw - 1))
        gy = int(np.clip((box.y + box.h / 2) / H * gh, 0, gh - 1))
        skin = scene.skin * scene.gain[gy, gx]
        light = scene.light_dir

        # ---- forearm (and sleeve): shaded tapered quads out of the frame
        wrist, axis = geo["wrist"], geo["axis"]
        normal = np.array([-axis[1], axis[0]], np.float32)
        far = 3.0 * max(W, H) / unit  # in palm widths: always beyond the frame edge
        if normal @ light < 0:
            normal = -normal  # +normal faces the light

        def quad(a: float, b: float, wa: float, wb: float, k: float = 1.0, off: float = 0.0) -> np.ndarray:
            pa, pb = wrist + axis * (a * unit), wrist + axis * (b * unit)
            ca, cb = pa + normal * (off * wa * unit), pb + normal * (off * wb * unit)
            return _fx([ca - normal * (k * wa * unit / 2), cb - normal * (k * wb * unit / 2),
                        cb + normal * (k * wb * unit / 2), ca + normal * (k * wa * unit / 2)])

        w0, w1 = 0.64, 0.64 + 0.05 * far
        for k, shade, off in _ARM_BANDS:  # from under the palm out of the frame
            cv2.fillConvexPoly(img, quad(-0.3, far, w0, w1, k, off), _c(skin, shade), cv2.LINE_AA, 4)
        if scene.sleeve is not None:
            start, colour = scene.sleeve
            cs = colour * scene.gain[gy, gx]
            ws0, ws1 = 0.64 + 0.05 * start + 0.25, w1 + 0.3
            for k, shade, off in ((1.0, 0.7, 0.0), (0.7, 0.88, 0.06), (0.4, 1.0, 0.12)):
                cv2.fillConvexPoly(img, quad(start, far, ws0, ws1, k, off), _c(cs, shade), cv2.LINE_AA, 4)

        # ---- hand: drawn on a small canvas, blurred (shading bands, webcam softness), alpha-blended
        sigma = math.hypot(min(2.0, max(0.7, 0.03 * unit)), scene.soft_sigma)
        pad = int(math.ceil(3 * sigma)) + 2
        x0, y0 = max(0, box.x - pad), max(0, box.y - pad)
        x1, y1 = min(W, box.x + box.w + pad), min(H, box.y + box.h + pad)
        origin = np.array([x0, y0], np.float32)
        canvas = np.empty((y1 - y0, x1 - x0, 3), np.uint8)
        canvas[:] = _c(skin, 0.66)
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        hl = light * 0.12 * unit  # highlight offset towards the light, px
        nail_colour = _c(np.minimum(255, skin * 1.05 + np.array([18, 18, 28], np.float32)))
        for part, q in geo["parts"]:
            q = q - origin
            if part.kind == "poly":
                pts = _fx(q)
                cv2.fillPoly(mask, [pts], 255, cv2.LINE_AA, 4)
                cv2.fillPoly(canvas, [pts], _c(skin, 0.66), cv2.LINE_AA, 4)
                ctr = q.mean(axis=0)
                for k, shade, off in ((0.86, 0.84, 0.3), (0.6, 0.95, 0.7), (0.32, 1.02, 1.0)):
                    inner = _fx(ctr + (q - ctr) * k + hl * off)
                    cv2.fillPoly(canvas, [inner], _c(skin, shade), cv2.LINE_AA, 4)
                continue
            assert part.widths is not None
            for i in range(len(q) - 1):
                w = float(part.widths[i]) * unit
                a, b = _fx(q[i]), _fx(q[i + 1])
                cv2.line(mask, a, b, 255, max(1, round(w)), cv2.LINE_AA, 4)
                cv2.line(canvas, a, b, _c(skin, 0.66), max(1, round(w)), cv2.LINE_AA, 4)
            for k, shade, off in ((0.74, 0.84, 0.2), (0.42, 0.98, 0.5)):
                for i in range(len(q) - 1):
                    w = float(part.widths[i]) * unit
                    o = hl * off * float(part.widths[i])
                    cv2.line(canvas, _fx(q[i] + o), _fx(q[i + 1] + o), _c(skin, shade),
                             max(1, round(k * w)), cv2.LINE_AA, 4)
            if part.nail:
                tip, before = q[-1], q[-2]
                d = tip - before
                d = d / max(1e-6, float(np.linalg.norm(d)))
                w = float(part.widths[-1]) * unit
                centre = tip - d * 0.28 * w
                ang = math.degrees(math.atan2(float(d[1]), float(d[0])))
                self._nail(canvas, centre, w, ang, nail_colour)
        crease_px = max(1, round(0.025 * unit))
        for c in geo["creases"]:
            cv2.polylines(canvas, [_fx(c - origin)], False, _c(skin, 0.55), crease_px, cv2.LINE_AA, 4)
        canvas = cv2.GaussianBlur(canvas, (0, 0), sigma)
        blur = math.hypot(0.5, scene.soft_sigma) + 0.2 * min(geo["speed"], 15.0)  # smeared when fast
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
        alpha = mask.astype(np.float32) * (1.0 / 255.0)
        region = img[y0:y1, x0:x1]
        img[y0:y1, x0:x1] = cv2.blendLinear(canvas, region, alpha, 1.0 - alpha)

    @staticmethod
    def _nail(canvas: np.ndarray, centre: np.ndarray, w: float, angle_deg: float,
              colour: tuple[float, float, float]) -> None:
        axes = (max(1, int(round(0.3 * w * 16))), max(1, int(round(0.22 * w * 16))))
        cv2.ellipse(canvas, tuple(int(v) for v in _fx(centre)), axes, angle_deg, 0, 360, colour, -1,  # type: ignore[arg-type]
                    cv2.LINE_AA, 4)

    def _camera(self, img: np.ndarray, scene: _Scene, tau: int, rng: np.random.Generator) -> np.ndarray:
        """Exposure drift, sensor noise and JPEG, as a webcam adds them (softness is in the
        room and the hand already)."""
        e = scene.exposure
        g = 1.0 + e["a"] * math.sin(2 * math.pi * e["f"] * tau / self.fps + e["p"])
        if abs(g - 1.0) > 0.01:
            img = cv2.convertScaleAbs(img, alpha=g)
        return self._sensor(img, scene.noise, scene.jpeg_quality, rng)


def _rotate_vec(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]], np.float32)
