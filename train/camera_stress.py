"""Camera stress transforms: the shared hand photos made to look the way other cameras differ.

The shared photos are small, sharp, evenly lit hand crops. Real photos from elsewhere
are not: close-ups where the hand fills the frame, motion and defocus blur, frames
stretched to another aspect ratio, dim rooms with sensor noise, coloured light, hands
turned sideways, and small hands in a whole 640x480 frame. Each function here maps a
uint8 (H, W, 3) BGR photo to such a photo, deterministically for a given ``rng``; the
stress set (:mod:`train.landmark_data`) is made of them and is used only to *measure*
(never to choose hyper-parameters).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

#: Long side (px) a stress photo is brought to before the transform (camera-like sizes).
WORK_SIDE = 320
#: Size (width, height) of the whole-frame condition's scene.
FRAME_SIZE = (640, 480)


def _work(img: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    """``img`` scaled (bilinear) so its longer side is ``side`` px."""
    h, w = img.shape[:2]
    s = side / max(h, w)
    return cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_LINEAR)


def closeup(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The centre 55-75% of the photo upscaled to 480 px: the hand fills the frame, fingers
    may touch or leave the border (real close-ups fail most often)."""
    h, w = img.shape[:2]
    f = rng.uniform(0.55, 0.75)
    ch, cw = max(8, int(h * f)), max(8, int(w * f))
    y0 = int(rng.uniform(0, h - ch + 1)) if h > ch else 0
    x0 = int(rng.uniform(0, w - cw + 1)) if w > cw else 0
    return _work(img[y0 : y0 + ch, x0 : x0 + cw], 480)


def motion_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A straight motion streak of 4-8% of the long side at a random angle."""
    out = _work(img)
    n = max(3, int(max(out.shape[:2]) * rng.uniform(0.04, 0.08)) | 1)
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1.0
    m = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
    k = cv2.warpAffine(k, m, (n, n))
    return cv2.filter2D(out, -1, k / max(k.sum(), 1e-6))


def defocus(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An out-of-focus disc blur of radius 1.5-3% of the long side."""
    out = _work(img)
    r = max(2, int(max(out.shape[:2]) * rng.uniform(0.015, 0.03)))
    k = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    cv2.circle(k, (r, r), r, 1.0, -1)
    return cv2.filter2D(out, -1, k / k.sum())


def stretch(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stretched by 1.35-1.7 along x or y (a 4:3 frame shown as 16:9, or the reverse)."""
    out = _work(img)
    f = rng.uniform(1.35, 1.7)
    h, w = out.shape[:2]
    size = (round(w * f), h) if rng.uniform() < 0.5 else (w, round(h * f))
    return cv2.resize(out, size, interpolation=cv2.INTER_LINEAR)


def dim_noise(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A dim room: 25-45% of the light, gamma 1.2-1.5, then sensor noise (sigma 4-8 levels)."""
    out = _work(img).astype(np.float32) / 255.0
    out = np.power(out * rng.uniform(0.25, 0.45), rng.uniform(1.2, 1.5)) * 255.0
    out += rng.normal(0, rng.uniform(4, 8), out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def coloured_light(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Warm (tungsten), cold (blue LED) or green-tinted (fluorescent) light on the scene."""
    gains = [(0.45, 0.75, 1.0), (1.0, 0.8, 0.55), (0.6, 1.0, 0.65)]  # B, G, R
    g = np.asarray(gains[int(rng.integers(len(gains)))], np.float32)
    out = _work(img).astype(np.float32) * g * rng.uniform(0.9, 1.15)
    return np.clip(out, 0, 255).astype(np.uint8)


def sideways(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The photo turned by 90 degrees either way (a hand entering from the side)."""
    rot = cv2.ROTATE_90_CLOCKWISE if rng.uniform() < 0.5 else cv2.ROTATE_90_COUNTERCLOCKWISE
    return cv2.rotate(_work(img), rot)


def in_frame(img: np.ndarray, rng: np.random.Generator, scene: np.ndarray | None = None) -> np.ndarray:
    """A whole 640x480 frame: the photo scaled to 120-220 px high, pasted at a random place
    into a scene (``scene``: a photo without a hand, scaled up to the frame; else a blurred,
    flipped copy of the photo itself)."""
    fw, fh = FRAME_SIZE
    base = scene if scene is not None else cv2.flip(img, -1)
    frame = cv2.resize(base, (fw, fh), interpolation=cv2.INTER_LINEAR)
    if scene is None:
        frame = cv2.GaussianBlur(frame, (0, 0), 12)
    h, w = img.shape[:2]
    s = rng.uniform(120, 220) / h
    hand = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_LINEAR)
    hh, ww = hand.shape[:2]
    hh, ww = min(hh, fh), min(ww, fw)
    y0, x0 = int(rng.integers(0, fh - hh + 1)), int(rng.integers(0, fw - ww + 1))
    frame[y0 : y0 + hh, x0 : x0 + ww] = hand[:hh, :ww]
    return frame


def shuffled_tiles(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A photo without a hand made from one with a hand: its 3x3 or 4x4 tiles shuffled and flipped
    (colours and textures of the scene and of skin kept, the hand's shape destroyed). Training
    negatives for ``none`` (not a stress condition)."""
    out = _work(img)
    k = int(rng.integers(3, 5))
    h, w = (out.shape[0] // k) * k, (out.shape[1] // k) * k
    th, tw = h // k, w // k
    tiles = [out[i * th : (i + 1) * th, j * tw : (j + 1) * tw] for i in range(k) for j in range(k)]
    order = rng.permutation(len(tiles))
    flips = rng.integers(-1, 3, len(tiles))  # -1, 0, 1: cv2 flip codes; 2: none
    rows = []
    for i in range(k):
        row = []
        for j in range(k):
            t = tiles[int(order[i * k + j])]
            f = int(flips[i * k + j])
            row.append(t if f == 2 else cv2.flip(t, f))
        rows.append(np.hstack(row))
    return np.vstack(rows)


#: The stress conditions, in report order; ``in_frame`` is the whole-frame test.
CONDITIONS: dict[str, Callable[..., np.ndarray]] = {
    "closeup": closeup,
    "motion_blur": motion_blur,
    "defocus": defocus,
    "stretch": stretch,
    "dim_noise": dim_noise,
    "coloured_light": coloured_light,
    "sideways": sideways,
    "in_frame": in_frame,
}
