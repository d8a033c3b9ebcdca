"""The rooms of the ``demo-hands`` scene: a wall with things on it, usually a desk in front.

A wall of one of several colours (beige and peach close to skin among them) with
shelves of books, pictures, a door, a window, a poster, a plant or a screen; usually
a desk (wood close to darker skin) with a mug, a laptop, papers or a keyboard.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from edge.sources.procedural import cv_colour, jitter_colour, pick, smooth_noise

BGR = tuple[int, int, int]

WALLS: dict[str, tuple[BGR, float]] = {
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
DESKS: dict[str, tuple[BGR, float]] = {
    "wood": ((70, 112, 160), 0.35),  # close to darker skin
    "dark wood": ((36, 58, 90), 0.15),
    "white": ((214, 218, 220), 0.2),
    "grey": ((110, 110, 112), 0.15),
    "black": ((32, 32, 36), 0.15),
}


def draw_room(rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, str, str]:
    """uint8 (H, W, 3) BGR room (unlit) of ``size`` (W, H) px, the wall's and the desk's names."""
    W, H = size
    short = min(W, H)
    wall_name = pick(rng, WALLS)
    wall = jitter_colour(rng, WALLS[wall_name][0], 6)
    tex = 5 * smooth_noise(rng, (H, W), 70) + 1.5 * smooth_noise(rng, (H, W), 3)
    room = np.clip(wall[None, None, :] * (1 + tex[..., None] / 120.0), 0, 255).astype(np.uint8)
    plain = rng.random() < 0.12
    desk_y = H
    desk_name = "no desk"
    if not plain and rng.random() < 0.75:
        desk_name = pick(rng, DESKS)
        desk_y = int(H * rng.uniform(0.6, 0.88))
        base = jitter_colour(rng, DESKS[desk_name][0], 6)
        dh = H - desk_y
        ramp = np.linspace(1.08, 0.9, dh, dtype=np.float32)[:, None]  # lighter at the back
        dtex = 4 * smooth_noise(rng, (dh, W), 40)
        if "wood" in desk_name:
            dtex += 5 * cv2.resize(
                rng.standard_normal((max(2, dh // 2), 5)).astype(np.float32),
                (W, dh),
                interpolation=cv2.INTER_CUBIC,
            )
        room[desk_y:] = np.clip(base[None, None, :] * (ramp * (1 + dtex / 120.0))[..., None], 0, 255).astype(
            np.uint8
        )
        cv2.line(room, (0, desk_y), (W - 1, desk_y), cv_colour(base, 0.7), max(1, short // 200), cv2.LINE_AA)
        desk_name += " desk"
    if not plain:
        for _ in range(int(rng.integers(1, 6))):
            _wall_object(rng, room, desk_y)
        if desk_y < H:
            for _ in range(int(rng.integers(0, 4))):
                _desk_object(rng, room, desk_y)
    return room, wall_name, desk_name


def _wall_object(rng: np.random.Generator, img: np.ndarray, floor: int) -> None:
    """Draw a shelf, picture, door, window, poster, plant or screen on the wall above ``floor``."""
    H, W = img.shape[:2]
    s = min(W, H) / 480.0
    kind = str(
        rng.choice(
            ["shelf", "frame", "door", "window", "poster", "plant", "screen"],
            p=[0.25, 0.2, 0.1, 0.12, 0.13, 0.1, 0.1],
        )
    )
    x = int(rng.uniform(-0.1, 0.9) * W)
    if kind == "shelf":
        w, y = int(rng.uniform(150, 380) * s), int(rng.uniform(0.08, 0.5) * floor)
        board = cv_colour(rng.choice([(70, 112, 160), (230, 230, 230), (40, 50, 60)]), rng.uniform(0.85, 1.1))
        bx = x + 4
        while bx < x + w - 8:  # books standing on the board
            bw, bh = int(rng.uniform(7, 22) * s), int(rng.uniform(30, 75) * s)
            hue = rng.uniform(0, 180)
            hsv = np.array([[[hue, rng.uniform(60, 220), rng.uniform(60, 220)]]]).astype(np.uint8)
            col = cv_colour(cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(float))
            cv2.rectangle(img, (bx, y - bh), (bx + bw, y), col, -1)
            cv2.line(img, (bx, y - bh), (bx, y), cv_colour(col, 0.6), 1)
            bx += bw + (int(rng.uniform(8, 40) * s) if rng.random() < 0.1 else 1)
        cv2.rectangle(img, (x, y), (x + w, y + int(rng.uniform(6, 14) * s)), board, -1)
    elif kind in ("frame", "poster"):
        w, h = int(rng.uniform(50, 160) * s), int(rng.uniform(50, 160) * s)
        y = int(rng.uniform(0.05, 0.6) * floor)
        inner = cv_colour(rng.uniform(30, 230, 3))
        cv2.rectangle(img, (x, y), (x + w, y + h), inner, -1)
        for _ in range(int(rng.integers(1, 4))):
            cx, cy = x + int(rng.uniform(0, w)), y + int(rng.uniform(0, h))
            r = int(rng.uniform(0.1, 0.35) * min(w, h))
            cv2.circle(img, (cx, cy), r, cv_colour(rng.uniform(30, 230, 3)), -1, cv2.LINE_AA)
        cv2.rectangle(img, (x, y), (x + w, y + h), inner, 0)
        if kind == "frame":
            cv2.rectangle(
                img,
                (x, y),
                (x + w, y + h),
                cv_colour(rng.choice([(30, 30, 30), (70, 112, 160), (240, 240, 240)])),
                max(2, int(rng.uniform(3, 10) * s)),
            )
    elif kind == "door":
        w = int(rng.uniform(0.18, 0.3) * W)
        col = cv_colour(rng.choice([(70, 112, 160), (225, 228, 230), (120, 120, 125), (60, 90, 130)]))
        cv2.rectangle(img, (x, int(0.05 * H)), (x + w, H), col, -1)
        cv2.rectangle(img, (x, int(0.05 * H)), (x + w, H), cv_colour(col, 0.7), max(2, int(4 * s)))
        cv2.circle(
            img, (x + int(0.85 * w), int(0.55 * H)), max(3, int(6 * s)), (160, 170, 180), -1, cv2.LINE_AA
        )
    elif kind == "window":
        w, h = int(rng.uniform(100, 220) * s), int(rng.uniform(90, 200) * s)
        y = int(rng.uniform(0.0, 0.4) * floor)
        sky = cv_colour(rng.choice([(250, 245, 240), (240, 215, 180), (235, 235, 235)]))
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
            cv2.ellipse(
                img, (int(ex), int(ey)), axes, math.degrees(ang), 0, 360, cv_colour(green), -1, cv2.LINE_AA
            )
        cv2.rectangle(
            img,
            (cx - pot_w // 2, base_y - pot_w),
            (cx + pot_w // 2, base_y),
            cv_colour(rng.choice([(60, 80, 170), (230, 230, 230), (50, 50, 50)])),
            -1,
        )
    else:  # a switched-off screen
        w = int(rng.uniform(120, 260) * s)
        h = int(w * rng.uniform(0.55, 0.65))
        y = int(rng.uniform(0.1, 0.6) * floor)
        cv2.rectangle(img, (x, y), (x + w, y + h), (30, 28, 26), -1)
        cv2.rectangle(img, (x + 4, y + 4), (x + w - 4, y + h - 4), (52, 44, 40), -1)


def _desk_object(rng: np.random.Generator, img: np.ndarray, desk_y: int) -> None:
    """Draw a mug, laptop, sheet of paper or keyboard on the desk below ``desk_y``."""
    H, W = img.shape[:2]
    s = min(W, H) / 480.0
    kind = str(rng.choice(["mug", "laptop", "paper", "keyboard"]))
    x, y = int(rng.uniform(0.0, 0.95) * W), int(rng.uniform(desk_y + 5, H))
    if kind == "mug":
        w, h = int(rng.uniform(22, 40) * s), int(rng.uniform(28, 45) * s)
        col = cv_colour(rng.uniform(40, 240, 3))
        cv2.rectangle(img, (x, y - h), (x + w, y), col, -1)
        cv2.ellipse(
            img,
            (x + w // 2, y - h),
            (w // 2, max(2, w // 6)),
            0,
            0,
            360,
            cv_colour(col, 0.6),
            -1,
            cv2.LINE_AA,
        )
        cv2.ellipse(
            img,
            (x + w, y - h // 2),
            (max(3, w // 4), max(4, h // 4)),
            0,
            -90,
            90,
            col,
            max(2, int(4 * s)),
            cv2.LINE_AA,
        )
    elif kind == "laptop":
        w = int(rng.uniform(140, 240) * s)
        pts = np.array(
            [[x, y], [x + w, y], [x + int(0.9 * w), y - int(0.3 * w)], [x + int(0.1 * w), y - int(0.3 * w)]],
            np.int32,
        )
        cv2.fillConvexPoly(
            img, pts, cv_colour(rng.choice([(60, 60, 60), (190, 190, 195), (30, 30, 30)])), cv2.LINE_AA
        )
    elif kind == "paper":
        w, h = rng.uniform(60, 130) * s, rng.uniform(80, 170) * s
        box = cv2.boxPoints(((x, y), (w, h * 0.5), rng.uniform(-40, 40))).astype(np.int32)
        cv2.fillConvexPoly(img, box, (238, 240, 242), cv2.LINE_AA)
    else:
        w, h = int(rng.uniform(180, 280) * s), int(rng.uniform(30, 50) * s)
        cv2.rectangle(img, (x, y - h), (x + w, y), (45, 45, 48), -1)
        for kx in range(x + 4, x + w - 8, max(6, int(14 * s))):
            cv2.line(img, (kx, y - h + 3), (kx, y - 3), (70, 70, 74), 1)
