"""Augmentation for hand-gesture photos that breaks the green-screen studio shortcut.

A LeNet trained on the green-screen set alone learns the studio (its background, its
one pose) and calls almost every real hand "paper" (FINDINGS: 36% on real photos).
So every studio photo is cut out of its green screen (chroma key in HSV) and pasted
onto a different background at each epoch, and every photo, studio or real, goes
through the changes a real camera brings:

- geometry: rotation over the full circle, horizontal flip (left/right hands), scale
  and position (a loose or tight hand crop), in one affine warp;
- colour: white balance (per-channel gain), brightness, contrast, gamma, hue and
  saturation (skin tone and light colour), sometimes grey;
- optics and sensor: Gaussian or motion blur, Gaussian noise, JPEG artefacts.

Backgrounds are empty-room photos given by the caller (e.g. the ``none`` photos of the
training split) and procedural ones: flat walls of random colour including beige
close to skin, light gradients, shelves of rectangles, blurred noise textures. The
same backgrounds alone make extra ``none`` samples, so an empty scene is a class the
model has seen.

All image work is OpenCV on uint8 RGB arrays; the chroma-key ranges follow OpenCV's
HSV convention (H in [0, 180)). Pixel arithmetic is uint8-safe (:mod:`train.pixels`):
every step that changes values works in float32 and clips before the cast back
(:func:`train.pixels.to_uint8`) or uses OpenCV's saturating filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from train.pixels import to_uint8

#: OpenCV HSV range of a green screen: (H lo, S lo, V lo), (H hi, S hi, V hi).
GREEN_LO = (35, 60, 35)
GREEN_HI = (90, 255, 255)


@dataclass
class HandAugmentConfig:
    """Strengths of each augmentation (probabilities in [0, 1]).

    Attributes:
        composite: probability of pasting a green-screen hand onto a new background.
        green_min_fraction: a photo counts as green-screen when at least this share of
            its pixels is in the chroma-key range.
        rotate_full: probability of a rotation drawn over the full circle; otherwise
            within ±``rotate_small`` degrees.
        rotate_small: degrees.
        flip: probability of a horizontal flip.
        scale: (min, max) zoom; > 1 zooms in (tighter crop).
        shift: maximum shift as a fraction of the side.
        colour: apply colour jitter (gains, brightness, contrast, gamma, hue, saturation).
        grey: probability of a grey (3 equal channels) image.
        blur: probability of Gaussian or motion blur.
        noise: probability of Gaussian noise (sigma 2..10 grey levels).
        jpeg: probability of JPEG re-encoding at quality 25..90.
    """

    composite: float = 0.9
    green_min_fraction: float = 0.25
    rotate_full: float = 0.6
    rotate_small: float = 25.0
    flip: float = 0.5
    scale: tuple[float, float] = (0.8, 1.3)
    shift: float = 0.12
    colour: bool = True
    grey: float = 0.08
    blur: float = 0.3
    noise: float = 0.3
    jpeg: float = 0.4


def chroma_key_alpha(image_rgb: np.ndarray) -> np.ndarray:
    """Foreground alpha of a photo on a green screen.

    Args:
        image_rgb: uint8 (H, W, 3) RGB.

    Returns:
        float32 (H, W) in [0, 1]: 0 on the green screen, 1 on the hand, soft edges
        (opened and closed with a 3x3 ellipse, feathered by a Gaussian of sigma 1 px).
    """
    hsv = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2HSV)
    green = cv2.inRange(hsv, GREEN_LO, GREEN_HI)
    fg = cv2.bitwise_not(green)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, k)
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, k)
    return cv2.GaussianBlur(fg.astype(np.float32) / 255.0, (0, 0), 1.0)


def green_fraction(image_rgb: np.ndarray) -> float:
    """Share of pixels in the chroma-key range, in [0, 1] (uint8 (H, W, 3) RGB)."""
    hsv = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2HSV)
    return float(np.count_nonzero(cv2.inRange(hsv, GREEN_LO, GREEN_HI))) / (hsv.shape[0] * hsv.shape[1])


def despill(image_rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Remove the green cast a green screen leaves on skin: G <= max(R, B) where alpha > 0.

    Args:
        image_rgb: uint8 (H, W, 3) RGB.
        alpha: float32 (H, W) in [0, 1].

    Returns:
        uint8 (H, W, 3) RGB.
    """
    out = image_rgb.copy()
    cap = np.maximum(out[..., 0], out[..., 2])
    g = out[..., 1]
    fix = (alpha > 0.01) & (g > cap)
    g[fix] = cap[fix]
    return out


def composite(fg_rgb: np.ndarray, alpha: np.ndarray, bg_rgb: np.ndarray) -> np.ndarray:
    """``alpha * fg + (1 - alpha) * bg``; all (H, W, 3) uint8 RGB, alpha float32 (H, W) in [0, 1]."""
    a = np.clip(alpha, 0.0, 1.0)[..., None]
    return to_uint8(fg_rgb.astype(np.float32) * a + bg_rgb.astype(np.float32) * (1.0 - a))


class BackgroundBank:
    """Random backgrounds: crops of given room photos and procedural scenes.

    Args:
        photos: uint8 (N, S, S, 3) RGB photos of scenes without a hand (may be empty).
        photo_share: share of draws taken from ``photos`` when there are any.
    """

    def __init__(self, photos: np.ndarray | None = None, photo_share: float = 0.5) -> None:
        self.photos = photos if photos is not None and len(photos) else None
        self.photo_share = photo_share

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """A uint8 (size, size, 3) RGB background."""
        if self.photos is not None and rng.random() < self.photo_share:
            return self._photo(size, rng)
        return procedural_background(size, rng)

    def _photo(self, size: int, rng: np.random.Generator) -> np.ndarray:
        img = self.photos[rng.integers(len(self.photos))]  # type: ignore[index]
        s = img.shape[0]
        c = int(s * rng.uniform(0.5, 1.0))
        y, x = rng.integers(0, s - c + 1, size=2)
        crop = img[y : y + c, x : x + c]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        return cv2.resize(np.ascontiguousarray(crop), (size, size), interpolation=cv2.INTER_LINEAR)


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    kind = rng.random()
    if kind < 0.3:  # beige / skin-like walls and wood: the hard case for skin colour
        base = np.array([rng.uniform(150, 240), rng.uniform(110, 200), rng.uniform(80, 170)])
    elif kind < 0.6:  # greys and whites
        base = np.full(3, rng.uniform(40, 245)) + rng.normal(0, 8, 3)
    else:
        base = rng.uniform(0, 255, 3)
    return np.clip(base, 0, 255)


def procedural_background(size: int, rng: np.random.Generator) -> np.ndarray:
    """A random wall/desk/shelf-like scene.

    Args:
        size: side in px.
        rng: random generator.

    Returns:
        uint8 (size, size, 3) RGB: a wall colour under a light gradient, with
        rectangles (furniture, frames, screens), lines, and a blurred noise texture.
    """
    img = np.empty((size, size, 3), np.float32)
    img[:] = _random_colour(rng)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    ang = rng.uniform(0, 2 * np.pi)
    grad = (np.cos(ang) * (xx - 0.5) + np.sin(ang) * (yy - 0.5)) * rng.uniform(0, 120)
    img += grad[..., None]
    for _ in range(int(rng.integers(0, 5))):
        x0, y0 = rng.integers(-size // 4, size, size=2)
        w, h = rng.integers(size // 8, size, size=2)
        cv2.rectangle(
            img,
            (int(x0), int(y0)),
            (int(x0 + w), int(y0 + h)),
            _random_colour(rng).tolist(),
            -1 if rng.random() < 0.7 else int(rng.integers(1, 4)),
        )
    for _ in range(int(rng.integers(0, 4))):
        p = rng.integers(0, size, size=4)
        cv2.line(
            img,
            (int(p[0]), int(p[1])),
            (int(p[2]), int(p[3])),
            _random_colour(rng).tolist(),
            int(rng.integers(1, 4)),
        )
    if rng.random() < 0.6:
        scale = int(rng.integers(2, 12))
        noise = rng.normal(0, 1, (size // scale + 1, size // scale + 1, 1)).astype(np.float32)
        noise = cv2.resize(noise, (size, size), interpolation=cv2.INTER_CUBIC)[..., None]
        img += noise * rng.uniform(3, 25)
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 3))
    return to_uint8(img)


def _affine(size_in: int, size_out: int, cfg: HandAugmentConfig, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < cfg.rotate_full:
        angle = rng.uniform(-180, 180)
    else:
        angle = rng.uniform(-cfg.rotate_small, cfg.rotate_small)
    zoom = rng.uniform(*cfg.scale) * size_out / size_in
    m = cv2.getRotationMatrix2D((size_in / 2, size_in / 2), angle, zoom)
    m[:, 2] += (size_out - size_in) / 2 + rng.uniform(-cfg.shift, cfg.shift, 2) * size_out
    if rng.random() < cfg.flip:
        m[0] = -m[0]
        m[0, 2] += size_out
    return m


def _colour(img: np.ndarray, cfg: HandAugmentConfig, rng: np.random.Generator) -> np.ndarray:
    x = img.astype(np.float32)
    if cfg.colour:
        if rng.random() < 0.7:
            hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
            hsv[..., 0] = (hsv[..., 0] + rng.uniform(-8, 8)) % 180
            hsv[..., 1] *= rng.uniform(0.5, 1.5)
            x = cv2.cvtColor(to_uint8(hsv), cv2.COLOR_HSV2RGB).astype(np.float32)
        x *= rng.uniform(0.8, 1.2, 3).astype(np.float32)  # white balance
        mean = x.mean()
        x = (x - mean) * rng.uniform(0.6, 1.4) + mean + rng.uniform(-50, 50)
        x = np.clip(x, 0, 255)
        if rng.random() < 0.5:
            x = 255.0 * (x / 255.0) ** rng.uniform(0.7, 1.5)
    if rng.random() < cfg.grey:
        x[:] = x.mean(axis=2, keepdims=True)
    return to_uint8(x)


def _optics(img: np.ndarray, cfg: HandAugmentConfig, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < cfg.blur:
        if rng.random() < 0.5:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.5))
        else:
            k = int(rng.integers(3, 8))
            kern = np.zeros((k, k), np.float32)
            kern[k // 2] = 1.0 / k
            rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1.0)
            kern = cv2.warpAffine(kern, rot, (k, k))
            img = cv2.filter2D(img, -1, kern / max(kern.sum(), 1e-6))
    if rng.random() < cfg.noise:
        n = rng.normal(0, rng.uniform(2, 10), img.shape).astype(np.float32)
        img = to_uint8(img.astype(np.float32) + n)
    if rng.random() < cfg.jpeg:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 91))])
        if ok:
            img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return img


class HandAugmenter:
    """Callable ``(uint8 (B, S, S, 3) RGB, rng) -> uint8 (B, out, out, 3) RGB``.

    Args:
        cfg: augmentation strengths.
        backgrounds: where composite backgrounds come from.
        out_size: output side in px (default: the input side). Training photos can be
            kept larger than the model input so zoom and rotation lose less detail.
    """

    def __init__(
        self,
        cfg: HandAugmentConfig | None = None,
        backgrounds: BackgroundBank | None = None,
        out_size: int | None = None,
    ) -> None:
        self.cfg = cfg or HandAugmentConfig()
        self.backgrounds = backgrounds or BackgroundBank()
        self.out_size = out_size

    def one(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Augment one uint8 (S, S, 3) RGB photo; returns uint8 (out, out, 3) RGB."""
        cfg = self.cfg
        size = img.shape[0]
        out = self.out_size or size
        if (
            cfg.composite > 0
            and rng.random() < cfg.composite
            and green_fraction(img) >= cfg.green_min_fraction
        ):
            alpha = chroma_key_alpha(img)
            img = composite(despill(img, alpha), alpha, self.backgrounds.sample(size, rng))
        m = _affine(size, out, cfg, rng)
        img = cv2.warpAffine(img, m, (out, out), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        img = _colour(img, cfg, rng)
        return _optics(img, cfg, rng)

    def __call__(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Augment a uint8 (B, S, S, 3) RGB batch; returns uint8 (B, out, out, 3) RGB."""
        out = self.out_size or batch.shape[1]
        res = np.empty((len(batch), out, out, 3), np.uint8)
        for i, img in enumerate(batch):
            res[i] = self.one(img, rng)
        return res

    def background_only(self, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` augmented backgrounds without a hand: uint8 (n, out, out, 3) RGB ``none`` samples."""
        bgs = (
            np.stack([self.backgrounds.sample(size, rng) for _ in range(n)])
            if n
            else np.zeros((0, size, size, 3), np.uint8)
        )
        return self(bgs, rng)


def preview_grid(images: Sequence[np.ndarray], cols: int = 8) -> np.ndarray:
    """Tile uint8 (S, S, 3) RGB images into one uint8 RGB sheet (for checking augmentation)."""
    ims = list(images)
    s = ims[0].shape[0]
    rows = (len(ims) + cols - 1) // cols
    sheet = np.zeros((rows * s, cols * s, 3), np.uint8)
    for i, im in enumerate(ims):
        r, c = divmod(i, cols)
        sheet[r * s : (r + 1) * s, c * s : (c + 1) * s] = im
    return sheet
