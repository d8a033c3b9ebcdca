"""One sheet of the ``demo`` scene: digits laid out on paper, a desk, motion, light, camera.

:func:`build_sheet` draws everything that stays fixed for one scene segment (the inked
sheet, the desk, the thumb holding it, the motion and light parameters, blur episodes,
noise and compression) from one generator; :class:`edge.sources.demo.DemoSource`
renders frames from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from edge.sources.handwriting import HandStyle, render_digit
from edge.sources.procedural import colour_tint, pick, smooth_noise
from edge.sources.render import MIN_STROKE_PX, PAPERS, PEN_WEIGHTS, PENS, ink_paper, paper_sheet, rule_paper

DESKS: dict[str, tuple[tuple[int, int, int], float]] = {
    "wood": ((70, 112, 160), 0.3),
    "dark wood": ((35, 58, 90), 0.15),
    "grey": ((95, 96, 98), 0.15),
    "black": ((30, 30, 34), 0.15),
    "light": ((178, 182, 184), 0.1),
    "blue cloth": ((112, 72, 42), 0.08),
    "green mat": ((70, 105, 60), 0.07),
}
SKINS = [(150, 182, 228), (122, 158, 210), (96, 128, 178), (66, 92, 134), (46, 62, 94)]


@dataclass
class SheetDigit:
    """One digit on the sheet: its label, number group and ink hull."""

    label: str
    group: int
    hull: np.ndarray  # float32 (K, 1, 2) convex hull of the ink, paper px


@dataclass
class BlurEpisode:
    """A stretch of camera shake or defocus within a segment."""

    start: int  # frame within the segment
    length: int  # frames
    kind: str  # "shake" | "defocus"
    strength: float
    angle: float  # shake direction, radians


@dataclass
class Sheet:
    """Everything that stays fixed for one sheet: images and motion/light parameters."""

    paper: np.ndarray  # uint8 (Hp, Wp, 3) BGR, the sheet with its ink
    desk: np.ndarray  # uint8 (H, W, 3) BGR
    noise: np.ndarray  # int16 (2H, W, 3) sensor noise bank
    digits: list[SheetDigit]
    anchor: tuple[float, float]  # paper point the motion turns around (centre of the ink)
    motion: dict[str, float]
    light: dict[str, float]
    tint: np.ndarray  # float32 (3,) per-channel gain, BGR
    thumb: np.ndarray | None  # float32 (N, 1, 2) polygon in paper px, in front of the sheet
    nail: np.ndarray | None
    palm: np.ndarray | None  # behind the sheet
    skin: tuple[int, int, int]
    episodes: list[BlurEpisode]
    soft_sigma: float  # baseline webcam softness, px
    jpeg_quality: int | None
    description: str


def build_sheet(
    rng: np.random.Generator,
    *,
    width: int,
    height: int,
    fps: float,
    segment_frames: int,
    max_digits: int,
    sensor_noise: Callable[[float], np.ndarray],
) -> Sheet:
    """Everything fixed for one sheet of the ``demo`` scene, drawn from ``rng`` alone.

    Args:
        rng: the segment's generator.
        width, height: frame size, px.
        fps: frame rate (frames/s).
        segment_frames: frames per sheet.
        max_digits: at most this many digits on the sheet.
        sensor_noise: ``sigma -> int16 (2H, W, 3)`` noise bank of the source.
    """
    W, H = width, height
    short = min(W, H)
    n = int(rng.integers(1, max_digits + 1))
    # digit height at nominal scale, px: bigger when there are fewer digits
    lo, hi = {1: (0.17, 0.45), 2: (0.14, 0.32), 3: (0.12, 0.26)}.get(n, (0.10, 0.2))
    hf = float(rng.uniform(lo, hi) * short)
    pen = pick(rng, PEN_WEIGHTS)
    _, _, width_frac, max_width = PENS[pen]
    stroke = float(np.clip(hf * rng.uniform(*width_frac), MIN_STROKE_PX, max_width))
    style = HandStyle.random(rng)

    # ---- digits, grouped into numbers, laid out in rows (layout px = paper px)
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(min(n - sum(sizes), int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.2]))))
    rng.shuffle(sizes)
    labels = [str(int(v)) for v in rng.integers(0, 10, n)]
    placed: list[tuple[str, int, np.ndarray, int, int]] = []  # label, group, mask, x, y
    rows: list[list[int]] = []
    for g in range(len(sizes)):
        if rows and len(rows[-1]) == 1 and rng.random() < 0.35:
            rows[-1].append(g)
        else:
            rows.append([g])
    k = 0
    y_row = 0.0
    for row in rows:
        x = float(rng.uniform(0, 1.2) * hf)
        row_items = []
        for g in row:
            gsize = hf * rng.uniform(0.9, 1.1)
            gap = rng.uniform(0.1, 0.45)
            slope = rng.normal(0, 0.06)
            x0_group = x
            for _ in range(sizes[g]):
                size = max(8, int(round(gsize * rng.uniform(0.93, 1.07))))
                mask = render_digit(labels[k], rng, size, stroke_px=stroke * size / hf, style=style)
                ys, xs = np.nonzero(mask > 96)
                ink_x0, ink_x1 = xs.min(), xs.max()
                ink_y1 = ys.max()
                baseline = y_row + hf * 1.1 + slope * (x - x0_group) + rng.normal(0, 0.03) * hf
                mx = int(round(x - ink_x0))
                my = int(round(baseline - ink_y1))
                row_items.append((labels[k], g, mask, mx, my))
                x = mx + ink_x1 + hf * max(0.05, gap + rng.normal(0, 0.05))
                k += 1
            x += hf * rng.uniform(0.8, 1.8)  # space between numbers on a row
        placed.extend(row_items)
        y_row = max(my + m.shape[0] for _, _, m, _, my in row_items) + hf * rng.uniform(0.3, 0.8)

    # ---- ink extents and the sheet
    hulls = []
    for _, _, mask, mx, my in placed:
        pts = cv2.findNonZero((mask > 96).astype(np.uint8))
        hulls.append(cv2.convexHull(pts).astype(np.float32) + np.array([mx, my], np.float32))
    allpts = np.vstack(hulls).reshape(-1, 2)
    ux0, uy0 = allpts.min(axis=0)
    ux1, uy1 = allpts.max(axis=0)
    held = rng.random() < 0.5
    m_left, m_right, m_top = (hf * rng.uniform(0.4, 2.5) for _ in range(3))
    m_bottom = hf * (rng.uniform(1.4, 3.0) if held else rng.uniform(0.4, 2.5))
    paper_name = pick(rng, PAPERS)
    if "note" in paper_name:  # sticky notes are small and square-ish
        m_left = m_right = m_top = hf * rng.uniform(0.3, 0.8)
        m_bottom = max(m_bottom * 0.6, hf * 1.4) if held else hf * rng.uniform(0.3, 0.8)
    # real sheets are not strips: widen the narrow side to an aspect ratio of at most 1.45
    wp, hp = ux1 - ux0 + m_left + m_right, uy1 - uy0 + m_top + m_bottom
    ratio = (1.0 if "note" in paper_name else 1.45) * rng.uniform(0.85, 1.0)
    if wp * ratio < hp:
        extra = hp / ratio - wp
        split = rng.uniform(0.2, 0.8)
        m_left, m_right = m_left + extra * split, m_right + extra * (1 - split)
    elif hp * ratio < wp:
        extra = wp / ratio - hp
        split = rng.uniform(0.2, 0.6)
        m_top, m_bottom = m_top + extra * split, m_bottom + extra * (1 - split)
    off = np.array([m_left - ux0, m_top - uy0], np.float32)
    Wp = int(math.ceil(ux1 - ux0 + m_left + m_right))
    Hp = int(math.ceil(uy1 - uy0 + m_top + m_bottom))
    paper = paper_sheet(rng, paper_name, (Hp, Wp), hf)
    ruled = ""
    if "note" not in paper_name and rng.random() < 0.3:
        ruled = "ruled" if rng.random() < 0.65 else "squared"
        rule_paper(rng, paper, ruled, hf, top=m_top)
    paper_u8 = ink_paper(
        rng, paper, pen, [(mask, mx + int(off[0]), my + int(off[1])) for (_, _, mask, mx, my) in placed]
    )
    digits = [SheetDigit(lbl, g, hull + off) for (lbl, g, _, _, _), hull in zip(placed, hulls, strict=True)]
    # reading order: rows as laid out (top to bottom), left to right within a row
    anchor = ((ux0 + ux1) / 2 + float(off[0]), (uy0 + uy1) / 2 + float(off[1]))
    uw, uh = float(ux1 - ux0), float(uy1 - uy0)

    # ---- motion: keep every digit in the frame with a margin
    margin = 6.0
    th_max = math.radians(18)
    theta0 = float(np.clip(rng.normal(0, math.radians(6)), -math.radians(12), math.radians(12)))
    a_theta = rng.uniform(0, math.radians(6))
    a_scale = rng.uniform(0.0, 0.12)
    keystone = rng.uniform(0, 0.00035)
    wrot = uw * math.cos(th_max) + uh * math.sin(th_max)
    hrot = uh * math.cos(th_max) + uw * math.sin(th_max)
    grow = (1 + a_scale) * 1.12  # scale wobble and keystone
    s0 = min(rng.uniform(0.92, 1.08), (W - 2 * margin) / (grow * wrot), (H - 2 * margin) / (grow * hrot))
    room_x = max(0.0, (W - 2 * margin - s0 * grow * wrot) / 2)
    room_y = max(0.0, (H - 2 * margin - s0 * grow * hrot) / 2)
    ax_, ay_ = room_x * rng.uniform(0.3, 0.9), room_y * rng.uniform(0.3, 0.9)
    motion = {
        "s0": s0,
        "a_scale": a_scale,
        "f_scale": rng.uniform(0.04, 0.2),
        "p_scale": rng.uniform(0, 6.3),
        "theta0": theta0,
        "a_theta": a_theta,
        "f_theta": rng.uniform(0.04, 0.25),
        "p_theta": rng.uniform(0, 6.3),
        "cx": W / 2 + rng.uniform(-1, 1) * (room_x - ax_),
        "ax": ax_,
        "fx": rng.uniform(0.03, 0.18),
        "px": rng.uniform(0, 6.3),
        "cy": H / 2 + rng.uniform(-1, 1) * (room_y - ay_),
        "ay": ay_,
        "fy": rng.uniform(0.03, 0.18),
        "py": rng.uniform(0, 6.3),
        "tremor": rng.uniform(0.3, 1.5) if held else rng.uniform(0.0, 0.4),
        "ft1": rng.uniform(1.5, 4.0),
        "ft2": rng.uniform(2.0, 6.0),
        "pt": rng.uniform(0, 6.3),
        "kx": rng.uniform(-1, 1) * keystone,
        "ky": rng.uniform(-1, 1) * keystone,
        "fk": rng.uniform(0.03, 0.15),
        "margin": margin,
    }

    # ---- light
    shadow = rng.random() < 0.35
    light = {
        "g0": rng.uniform(0.72, 1.05),
        "ag": rng.uniform(0.04, 0.22),
        "fg": rng.uniform(0.05, 0.3),
        "pg": rng.uniform(0, 6.3),
        "ae_t": rng.uniform(0, segment_frames / fps),
        "ae_a": rng.choice([0.0, 1.0]) * rng.uniform(-0.3, 0.3),
        "grad": rng.uniform(0.0, 0.45),
        "grad_phi": rng.uniform(0, 6.3),
        "grad_w": rng.uniform(-0.3, 0.3),
        "vignette": rng.uniform(0.0, 0.35),
        "shadow": rng.uniform(0.25, 0.55) if shadow else 0.0,
        "sh_phi": rng.uniform(0, 6.3),
        "sh_off": rng.uniform(-0.6, 0.6),
        "sh_a": rng.uniform(0.1, 0.5),
        "sh_f": rng.uniform(0.05, 0.2),
        "sh_w": rng.uniform(0.08, 0.35),
        "glare": rng.uniform(0.15, 0.5) if rng.random() < 0.15 else 0.0,
        "gl_x": rng.uniform(-0.7, 0.7),
        "gl_y": rng.uniform(-0.7, 0.7),
        "gl_r": rng.uniform(0.15, 0.5),
    }
    tint = colour_tint(rng, 0.07)

    # ---- thumb holding the sheet at its bottom edge
    thumb: np.ndarray | None = None
    nail: np.ndarray | None = None
    palm: np.ndarray | None = None
    b, g, r = (int(np.clip(c + rng.normal(0, 8), 0, 255)) for c in SKINS[int(rng.integers(len(SKINS)))])
    skin = (b, g, r)
    if held:
        tw = hf * rng.uniform(0.8, 1.3)
        tx = Wp * rng.uniform(0.25, 0.75)
        ang = rng.normal(0, 15)
        # an ellipse 1 tw wide, 3.2 tw long whose tip reaches 0.9 tw onto the sheet
        axis = np.array([-math.sin(math.radians(ang)), math.cos(math.radians(ang))])  # towards the hand
        tip = np.array([tx, Hp - 0.9 * tw])
        centre, nail_centre = tip + 1.6 * tw * axis, tip + 0.45 * tw * axis
        poly = np.asarray(
            cv2.ellipse2Poly(
                (int(centre[0] * 4), int(centre[1] * 4)), (int(tw * 2), int(tw * 6.4)), int(ang), 0, 360, 8
            )
        )
        thumb = (poly.astype(np.float32) / 4).reshape(-1, 1, 2)
        npoly = np.asarray(
            cv2.ellipse2Poly(
                (int(nail_centre[0] * 4), int(nail_centre[1] * 4)),
                (int(tw * 1.25), int(tw * 1.5)),
                int(ang),
                0,
                360,
                10,
            )
        )
        nail = (npoly.astype(np.float32) / 4).reshape(-1, 1, 2)
        palm_centre = tip + 3.9 * tw * axis + np.array([rng.uniform(-0.8, 0.8) * tw, 0])
        ppoly = np.asarray(
            cv2.ellipse2Poly(
                (int(palm_centre[0] * 4), int(palm_centre[1] * 4)),
                (int(tw * 7), int(tw * 9)),
                int(ang),
                0,
                360,
                8,
            )
        )
        palm = (ppoly.astype(np.float32) / 4).reshape(-1, 1, 2)

    # ---- camera: blur episodes, softness, noise, compression
    episodes = []
    for _ in range(int(rng.choice([0, 1, 2], p=[0.35, 0.45, 0.2]))):
        length = int(np.clip(rng.uniform(0.3, 1.2) * fps, 2, max(2, segment_frames - 1)))
        start = int(rng.integers(0, max(1, segment_frames - length)))
        kind = "shake" if rng.random() < 0.55 else "defocus"
        episodes.append(
            BlurEpisode(start, length, kind, float(rng.uniform(0.3, 1.0)), float(rng.uniform(0, 2 * math.pi)))
        )
    soft = float(rng.uniform(0.4, 1.1)) if rng.random() < 0.6 else 0.0
    sigma = float(rng.uniform(1.5, 7.0))
    noise = sensor_noise(sigma)
    jpeg = int(rng.integers(35, 86)) if rng.random() < 0.35 else None
    desk_name = pick(rng, DESKS)
    desk = desk_image(rng, desk_name, hf, (W, H))
    desc = (
        f"{n} digit(s) {''.join(labels)} in groups {sizes}, {hf:.0f} px high, {pen} "
        f"{stroke:.1f} px on {paper_name}{' ' + ruled if ruled else ''} paper, {desk_name} desk"
        f"{', held' if held else ''}{', shadow' if shadow else ''}, noise {sigma:.1f}"
        f"{f', jpeg q{jpeg}' if jpeg else ''}, {len(episodes)} blur episode(s)"
    )
    return Sheet(
        paper_u8,
        desk,
        noise,
        digits,
        anchor,
        motion,
        light,
        tint,
        thumb,
        nail,
        palm,
        skin,
        episodes,
        soft,
        jpeg,
        desc,
    )


def desk_image(rng: np.random.Generator, name: str, hf: float, size: tuple[int, int]) -> np.ndarray:
    """uint8 (H, W, 3) BGR desk of ``size`` (W, H) px, with grain
    or cloth texture and sometimes a pen lying on it."""
    W, H = size
    base = np.array(DESKS[name][0], np.float32) + rng.normal(0, 6, 3).astype(np.float32)
    tex = 6 * smooth_noise(rng, (H, W), 90) + 3 * smooth_noise(rng, (H, W), 3)
    if "wood" in name:  # grain: fine along one axis, stretched along the other
        grain = cv2.resize(
            rng.standard_normal((H // 3, 6)).astype(np.float32), (W, H), interpolation=cv2.INTER_CUBIC
        )
        tex += 4 * grain
    desk = np.clip(base[None, None, :] * (1 + tex[..., None] / 120.0), 0, 255)
    if rng.random() < 0.3:  # a pen lying on the desk
        length, width = rng.uniform(2.0, 3.5) * hf, max(5.0, hf * rng.uniform(0.08, 0.12))
        cx, cy = rng.uniform(0, W), rng.uniform(0, H)
        ang = rng.uniform(0, 180)
        body = cv2.boxPoints(((cx, cy), (length, width), ang)).astype(np.int32)
        colour = tuple(
            float(c) for c in rng.choice([(40, 40, 40), (170, 60, 20), (30, 30, 160), (220, 220, 220)])
        )
        cv2.fillConvexPoly(desk, body, colour, cv2.LINE_AA)
    return desk.astype(np.uint8)
