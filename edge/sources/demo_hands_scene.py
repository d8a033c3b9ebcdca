"""One room of the ``demo-hands`` scene: the room, light, person, motion, camera, gesture timeline.

:func:`build_scene` draws everything fixed for one room from one generator;
:func:`draw_hand` draws the forearm and the shaded hand of one frame onto it (the hand
is drawn, not photographed: the parts of :func:`edge.sources.hand_shapes.hand_shape`
drawn antialiased with three skin shades (rim, body, highlight offset towards the
light), creases, nails or palm lines, blurred a little and alpha-blended).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from edge.sources.hand_shapes import GESTURES, HandPose
from edge.sources.procedural import (
    colour_tint,
    cv_colour,
    fixed_point,
    fixed_point_xy,
    gain_map,
    jitter_colour,
    light_gain,
    light_grid,
    pick,
    soft_blur,
)
from edge.sources.rooms import BGR, draw_room

# name: (BGR, probability). From very light to dark; jittered per scene.
_SKINS: dict[str, tuple[BGR, float]] = {
    "very light": ((178, 198, 238), 0.15),
    "light": ((150, 178, 226), 0.2),
    "medium": ((118, 152, 206), 0.2),
    "olive": ((96, 134, 176), 0.15),
    "brown": ((68, 100, 146), 0.15),
    "dark": ((44, 62, 98), 0.15),
}
_SLEEVES: list[BGR] = [
    (40, 40, 40),
    (150, 60, 30),
    (60, 60, 150),
    (200, 200, 200),
    (90, 120, 60),
    (120, 90, 60),
    (60, 140, 200),
    (120, 40, 120),
]

#: Cylinder shading of the forearm: (width fraction, shade, offset towards the light).
_ARM_BANDS = tuple((1.0 - 0.1 * i, 0.68 + 0.045 * i, 0.025 * i) for i in range(8))


@dataclass
class HandsScene:
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


def gesture_timeline(rng: np.random.Generator, frames: int, fps: float, empty_share: float) -> list[HandPose]:
    """The gesture timeline of one room: an optional empty opening, then gestures of
    1..2 s each (never the same twice running), sometimes an empty gap between.

    Args:
        rng: the room's generator.
        frames: frames in the room.
        fps: frame rate (frames/s).
        empty_share: see :class:`edge.sources.demo_hands.HandsDemoSource`.
    """
    n = frames
    poses: list[HandPose] = []
    t = 0
    if rng.random() < empty_share:
        lead = int(min(rng.uniform(0.4, 1.2) * fps, 0.35 * n))
        if lead > 0:
            poses.append(HandPose(0, None))
            t = lead
    prev: str | None = None
    while t < n or not poses:
        length = max(1, int(round(rng.uniform(1.0, 2.0) * fps)))
        if prev is not None and rng.random() < empty_share / 4:
            poses.append(HandPose(t, None))
            prev = None
            t += max(1, length // 2)
            continue
        label = str(rng.choice([g for g in GESTURES if g != prev]))
        fingers = tuple((float(rng.normal(0, 4)), float(rng.uniform(0.93, 1.07))) for _ in range(5))
        poses.append(
            HandPose(
                t,
                label,
                facing="palm" if rng.random() < 0.6 else "back",
                fx=float(rng.uniform(0.72, 1.05)),
                fy=float(rng.uniform(0.88, 1.05)),
                dtheta=float(np.radians(rng.normal(0, 8))),
                spread=float(rng.uniform(0.6, 1.35)),
                fingers=fingers,
                thumb=int(rng.random() < 0.3),
            )
        )
        prev = label
        t += length
    return poses


def build_scene(
    rng: np.random.Generator,
    *,
    width: int,
    height: int,
    fps: float,
    segment_frames: int,
    empty_share: float,
    sensor_noise: Callable[[float], np.ndarray],
) -> HandsScene:
    """Everything fixed for one room of the ``demo-hands`` scene, drawn from ``rng`` alone.

    Args:
        rng: the segment's generator.
        width, height: frame size, px.
        fps: frame rate (frames/s).
        segment_frames: frames per room.
        empty_share: see :class:`edge.sources.demo_hands.HandsDemoSource`.
        sensor_noise: ``sigma -> int16 (2H, W, 3)`` noise bank of the source.
    """
    W, H = width, height
    short = min(W, H)
    room, wall_name, desk_name = draw_room(rng, (W, H))
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
    skin = jitter_colour(rng, _SKINS[skin_name][0], 7)
    palm_px = float(rng.uniform(0.12, 0.26) * short)
    mirror = bool(rng.random() < 0.4)
    entry = str(rng.choice(["bottom", "left", "right"], p=[0.6, 0.2, 0.2]))
    theta0 = {
        "bottom": float(np.clip(rng.normal(0, 18), -40, 40)),
        "left": float(rng.uniform(45, 100)),
        "right": float(rng.uniform(-100, -45)),
    }[entry]
    motion = {
        "cx": W * rng.uniform(0.3, 0.7),
        "cy": H * rng.uniform(0.35, 0.6),
        "ax": W * rng.uniform(0.0, 0.2),
        "fx": rng.uniform(0.05, 0.3),
        "px": rng.uniform(0, 6.3),
        "ay": H * rng.uniform(0.0, 0.15),
        "fy": rng.uniform(0.05, 0.3),
        "py": rng.uniform(0, 6.3),
        "theta0": math.radians(theta0),
        "a_theta": math.radians(rng.uniform(0, 15)),
        "f_theta": rng.uniform(0.1, 0.4),
        "p_theta": rng.uniform(0, 6.3),
        "a_scale": rng.uniform(0.0, 0.12),
        "f_scale": rng.uniform(0.05, 0.25),
        "p_scale": rng.uniform(0, 6.3),
        "wrist": math.radians(rng.normal(0, 10)),
        "tremor": rng.uniform(0.3, 2.0),
        "ft1": rng.uniform(2.0, 5.0),
        "ft2": rng.uniform(2.5, 6.0),
    }
    sleeve = None
    if rng.random() < 0.5:
        colour = _SLEEVES[int(rng.integers(len(_SLEEVES)))]
        sleeve = (float(rng.uniform(1.2, 3.5)), jitter_colour(rng, colour, 10))
    exposure = {"a": rng.uniform(0.0, 0.08), "f": rng.uniform(0.05, 0.3), "p": rng.uniform(0, 6.3)}
    soft = float(rng.uniform(0.4, 1.2)) if rng.random() < 0.6 else 0.0
    room = soft_blur(room, soft)  # webcam softness, baked into the static room; the hand gets its own
    sigma = float(rng.uniform(1.5, 6.0))
    noise = sensor_noise(sigma)
    jpeg = int(rng.integers(40, 90)) if rng.random() < 0.35 else None
    poses = gesture_timeline(rng, segment_frames, fps, empty_share)
    gestures = "".join(p.label[0] if p.label else "-" for p in poses)
    desc = (
        f"{skin_name} {'left' if mirror else 'right'} hand, palm {palm_px:.0f} px, arm from the "
        f"{entry}{', sleeve' if sleeve else ''}; {wall_name} wall, {desk_name}; poses {gestures} "
        f"(r/p/s, - no hand); noise {sigma:.1f}{f', jpeg q{jpeg}' if jpeg else ''}"
    )
    return HandsScene(
        room,
        gain3,
        noise,
        poses,
        skin,
        palm_px,
        mirror,
        entry,
        motion,
        sleeve,
        light_dir,
        exposure,
        soft,
        jpeg,
        desc,
    )


def draw_hand(img: np.ndarray, scene: HandsScene, geo: dict) -> None:
    """Draw the forearm, then blend the shaded hand onto ``img`` (in place).

    Args:
        img: uint8 (H, W, 3) BGR frame.
        scene: the room (skin, light, sleeve, softness).
        geo: the hand in frame px, as :class:`edge.sources.demo_hands.HandsDemoSource` places it
            (parts, creases, box, wrist, axis, unit, speed).
    """
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
        return fixed_point(
            [
                ca - normal * (k * wa * unit / 2),
                cb - normal * (k * wb * unit / 2),
                cb + normal * (k * wb * unit / 2),
                ca + normal * (k * wa * unit / 2),
            ]
        )

    w0, w1 = 0.64, 0.64 + 0.05 * far
    for k, shade, off in _ARM_BANDS:  # from under the palm out of the frame
        cv2.fillConvexPoly(img, quad(-0.3, far, w0, w1, k, off), cv_colour(skin, shade), cv2.LINE_AA, 4)
    if scene.sleeve is not None:
        start, colour = scene.sleeve
        cs = colour * scene.gain[gy, gx]
        ws0, ws1 = 0.64 + 0.05 * start + 0.25, w1 + 0.3
        for k, shade, off in ((1.0, 0.7, 0.0), (0.7, 0.88, 0.06), (0.4, 1.0, 0.12)):
            cv2.fillConvexPoly(img, quad(start, far, ws0, ws1, k, off), cv_colour(cs, shade), cv2.LINE_AA, 4)

    # ---- hand: drawn on a small canvas, blurred (shading bands, webcam softness), alpha-blended
    sigma = math.hypot(min(2.0, max(0.7, 0.03 * unit)), scene.soft_sigma)
    pad = int(math.ceil(3 * sigma)) + 2
    x0, y0 = max(0, box.x - pad), max(0, box.y - pad)
    x1, y1 = min(W, box.x + box.w + pad), min(H, box.y + box.h + pad)
    origin = np.array([x0, y0], np.float32)
    canvas = np.empty((y1 - y0, x1 - x0, 3), np.uint8)
    canvas[:] = cv_colour(skin, 0.66)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    hl = light * 0.12 * unit  # highlight offset towards the light, px
    nail_colour = cv_colour(np.minimum(255, skin * 1.05 + np.array([18, 18, 28], np.float32)))
    for part, q in geo["parts"]:
        q = q - origin
        if part.kind == "poly":
            pts = fixed_point(q)
            cv2.fillPoly(mask, [pts], 255, cv2.LINE_AA, 4)
            cv2.fillPoly(canvas, [pts], cv_colour(skin, 0.66), cv2.LINE_AA, 4)
            ctr = q.mean(axis=0)
            for k, shade, off in ((0.86, 0.84, 0.3), (0.6, 0.95, 0.7), (0.32, 1.02, 1.0)):
                inner = fixed_point(ctr + (q - ctr) * k + hl * off)
                cv2.fillPoly(canvas, [inner], cv_colour(skin, shade), cv2.LINE_AA, 4)
            continue
        assert part.widths is not None
        for i in range(len(q) - 1):
            w = float(part.widths[i]) * unit
            a, b = fixed_point_xy(q[i]), fixed_point_xy(q[i + 1])
            cv2.line(mask, a, b, 255, max(1, round(w)), cv2.LINE_AA, 4)
            cv2.line(canvas, a, b, cv_colour(skin, 0.66), max(1, round(w)), cv2.LINE_AA, 4)
        for k, shade, off in ((0.74, 0.84, 0.2), (0.42, 0.98, 0.5)):
            for i in range(len(q) - 1):
                w = float(part.widths[i]) * unit
                o = hl * off * float(part.widths[i])
                cv2.line(
                    canvas,
                    fixed_point_xy(q[i] + o),
                    fixed_point_xy(q[i + 1] + o),
                    cv_colour(skin, shade),
                    max(1, round(k * w)),
                    cv2.LINE_AA,
                    4,
                )
        if part.nail:
            tip, before = q[-1], q[-2]
            d = tip - before
            d = d / max(1e-6, float(np.linalg.norm(d)))
            w = float(part.widths[-1]) * unit
            centre = tip - d * 0.28 * w
            ang = math.degrees(math.atan2(float(d[1]), float(d[0])))
            _nail(canvas, centre, w, ang, nail_colour)
    crease_px = max(1, round(0.025 * unit))
    for c in geo["creases"]:
        cv2.polylines(
            canvas, [fixed_point(c - origin)], False, cv_colour(skin, 0.55), crease_px, cv2.LINE_AA, 4
        )
    canvas = cv2.GaussianBlur(canvas, (0, 0), sigma)
    blur = math.hypot(0.5, scene.soft_sigma) + 0.2 * min(geo["speed"], 15.0)  # smeared when fast
    mask = cv2.GaussianBlur(mask, (0, 0), blur)
    alpha = mask.astype(np.float32) * (1.0 / 255.0)
    region = img[y0:y1, x0:x1]
    img[y0:y1, x0:x1] = cv2.blendLinear(canvas, region, alpha, 1.0 - alpha)


def _nail(
    canvas: np.ndarray, centre: np.ndarray, w: float, angle_deg: float, colour: tuple[float, float, float]
) -> None:
    axes = (max(1, int(round(0.3 * w * 16))), max(1, int(round(0.22 * w * 16))))
    cv2.ellipse(
        canvas,
        tuple(int(v) for v in fixed_point(centre)),
        axes,
        angle_deg,
        0,
        360,
        colour,
        -1,  # type: ignore[arg-type]
        cv2.LINE_AA,
        4,
    )
