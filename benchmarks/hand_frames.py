"""640x480 frames with a hand in them, made from a folder of hand photos, for timing.

The hands benchmark needs the same frames for our pipeline and MediaPipe's graph:

- :func:`still_frames`: each photo placed on a smooth random "room" at a size a hand
  held up to a webcam has (its longer side 45-75 % of the frame height), one frame
  per photo: every frame needs palm detection;
- :func:`held_hand_video`: one photo held in view for ``n`` frames, drifting a few
  pixels and changing scale by a few percent with fresh sensor noise in every frame,
  as a hand held still in front of a camera: the case where tracking (landmarks from
  the previous frame's ROI, no palm detection) pays.

These are timing inputs, not an accuracy test: the photo's own background shows as a
rectangle in the room.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def hand_photos(folder: str | Path, limit: int | None = None, seed: int = 0) -> list[Path]:
    """Image files under ``folder`` (recursively), in a seeded random order.

    Raises:
        ValueError: no image file there (the message names the folder).
    """
    root = Path(folder)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ValueError(
            f"no images under {root}: pass a folder of hand photos (e.g. class folders "
            "rock/ paper/ scissors/)"
        )
    order = np.random.default_rng(seed).permutation(len(files))
    picked = [files[i] for i in order]
    return picked[:limit] if limit else picked


def room(rng: np.random.Generator, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """A smooth random background: uint8 (H, W, 3) BGR, low-frequency colour blobs."""
    w, h = size
    small = rng.integers(40, 220, size=(6, 8, 3)).astype(np.float32)
    small = 0.35 * small + 0.65 * small.mean(axis=2, keepdims=True)  # walls, not a paint box
    return cv2.resize(small.astype(np.uint8), (w, h), interpolation=cv2.INTER_CUBIC)


def _place(scene: np.ndarray, photo: np.ndarray, cx: float, cy: float, long_side: float) -> np.ndarray:
    h, w = photo.shape[:2]
    s = long_side / max(h, w)
    nw, nh = max(1, int(round(w * s))), max(1, int(round(h * s)))
    patch = cv2.resize(photo, (nw, nh), interpolation=cv2.INTER_LINEAR)
    out = scene.copy()
    H, W = out.shape[:2]
    x0, y0 = int(round(cx - nw / 2)), int(round(cy - nh / 2))
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + nw), min(H, y0 + nh)
    if xb > xa and yb > ya:
        out[ya:yb, xa:xb] = patch[ya - y0 : yb - y0, xa - x0 : xb - x0]
    return out


def _read(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"cannot read image {path}")
    return img


def still_frames(photos: list[Path], size: tuple[int, int] = (640, 480), seed: int = 0) -> list[np.ndarray]:
    """One uint8 (H, W, 3) BGR frame of ``size`` (width, height) per photo.

    Raises:
        ValueError: a photo cannot be read.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    frames = []
    for p in photos:
        long_side = h * rng.uniform(0.45, 0.75)
        cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.35, 0.65) * h
        frames.append(_place(room(rng, size), _read(p), cx, cy, long_side))
    return frames


def held_hand_video(
    photo: Path, n: int = 120, size: tuple[int, int] = (640, 480), seed: int = 0
) -> list[np.ndarray]:
    """``n`` uint8 (H, W, 3) BGR frames of one photo held in view (drift, scale, noise).

    Raises:
        ValueError: the photo cannot be read.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    img, scene = _read(photo), room(rng, size)
    frames = []
    for i in range(n):
        t = i / 30.0
        cx = w / 2 + 12 * np.sin(2 * np.pi * 0.3 * t)
        cy = h / 2 + 8 * np.sin(2 * np.pi * 0.2 * t + 1.0)
        long_side = h * 0.6 * (1 + 0.03 * np.sin(2 * np.pi * 0.25 * t))
        f = _place(scene, img, cx, cy, long_side).astype(np.int16)
        f += rng.normal(0, 3, f.shape).astype(np.int16)
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
    return frames
