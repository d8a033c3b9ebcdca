"""Camera-like handwritten digits from real handwriting: the renderer behind ``realistic_digits.py generate``.

MNIST *test* digits and the OpenCV ``digits.png`` sheet (:func:`load_sources`),
rendered as pen strokes (blue, black, red, pencil grey; thin pencil to fat marker) on
paper (white, cream, recycled, sticky-note colours, lined, squared) under uneven light and shadows,
tilted in perspective, rotated by up to +-15 degrees, scaled, blurred, noisy and
JPEG-compressed: loose crops (:func:`make_crop`) and 640x480 frames with distractors
(:func:`make_frame`), written by :func:`benchmarks.realistic_set.generate`. Paper, pens, ink,
light and the camera's last steps are the project's one paper-and-ink renderer, :mod:`edge.sources.render`
(also the ``demo`` scene's and the recoloured training data's); this module keeps the
glyph source (real handwriting, thickened or thinned per pen), the layout, perspective
and the distractors.

Generated images are derived from third-party data: never commit them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.sources.procedural import pick
from edge.sources.render import (
    PAPERS,
    PENS,
    camera_photo,
    composite_ink,
    ink_texture,
    light_field,
    pen_ink,
    plain_paper,
    rule_lines,
)

log = logging.getLogger(__name__)


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FRAME_W, FRAME_H = 640, 480


#: How often each pen of :data:`edge.sources.render.PENS` writes a digit of the set.
PEN_MIX = {
    "black ballpoint": 1.0,
    "blue ballpoint": 1.0,
    "blue marker": 1.0,
    "pencil": 2.0,
    "red ballpoint": 1.0,
    "black marker": 2.0,
}
# table surfaces beyond the paper's edge, BGR
TABLES = ((40, 60, 90), (30, 30, 30), (90, 110, 130), (150, 150, 150), (60, 80, 60))


# ---------------------------------------------------------------------------
# sources of handwriting
# ---------------------------------------------------------------------------
def load_sources(data_dir: Path = SHARED) -> tuple[list[np.ndarray], np.ndarray]:
    """Handwritten digits, white ink on black: MNIST test (28x28) and OpenCV (20x20).

    Returns:
        (images, labels): a list of uint8 (h, w) arrays and int (N,) labels.

    Raises:
        FileNotFoundError: neither source is present.
    """
    images: list[np.ndarray] = []
    labels: list[int] = []
    mnist_dir = Path(os.environ.get("EDGE_DATA_DIR", data_dir)) / "mnist"
    if not mnist_dir.is_dir():
        mnist_dir = data_dir / "mnist"
    if mnist_dir.is_dir():
        from edge.datasets import load_mnist

        x, y = load_mnist(mnist_dir)["test"]
        images += list(x)
        labels += [int(v) for v in y]
    sheet = data_dir / "opencv-digits" / "digits.png"
    if sheet.is_file():
        img = cv2.imread(str(sheet), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise FileNotFoundError(f"cannot read {sheet}")
        for r in range(50):
            for c in range(100):
                images.append(img[r * 20 : (r + 1) * 20, c * 20 : (c + 1) * 20])
                labels.append(r // 5)
    if not images:
        raise FileNotFoundError(f"no MNIST or OpenCV digits under {data_dir}")
    return images, np.asarray(labels)


# ---------------------------------------------------------------------------
# one crop, one frame
# ---------------------------------------------------------------------------
def render_ink(src: np.ndarray, height: float, rng: np.random.Generator, pen: str) -> np.ndarray:
    """A pen-stroke alpha mask of a small white-on-black digit at ``height`` px.

    Returns:
        float32 (h, w) alpha in [0, 1], tight around the ink.
    """
    ys, xs = np.nonzero(src > 40)
    d = src[max(0, ys.min() - 1) : ys.max() + 2, max(0, xs.min() - 1) : xs.max() + 2].astype(np.float32) / 255
    s = height / max(ys.max() - ys.min() + 1, 1)
    w, h = max(1, int(round(d.shape[1] * s))), max(1, int(round(d.shape[0] * s)))
    a = cv2.resize(d, (w, h), interpolation=cv2.INTER_CUBIC)
    # pen thickness: threshold level, then morphology relative to the digit's size
    thr = rng.uniform(0.35, 0.6)
    edge = max(0.6, 0.012 * height)  # soft edge in px
    gain = 1.0 / (edge / max(s, 1e-3) * 0.5 + 1e-3)
    gain = max(gain, 2.0)
    a = np.clip((a - thr) * gain * 0.5 + 0.5, 0, 1)
    if "marker" in pen:
        r = int(round(rng.uniform(0.01, 0.045) * height))
    elif "pencil" in pen:
        r = -int(round(rng.uniform(0.0, 0.025) * height))
    else:
        r = int(round(rng.uniform(-0.02, 0.03) * height))
    if r > 0:
        a = cv2.dilate(a, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    elif r < 0:
        eroded = cv2.erode(a, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (-2 * r + 1, -2 * r + 1)))
        if (eroded > 0.5).sum() > 0.6 * (a > 0.5).sum():
            a = eroded
    return np.pad(a, max(2, abs(r) + 2))


def paper(h: int, w: int, rng: np.random.Generator, info: dict | None = None) -> tuple[np.ndarray, str]:
    """A sheet of a random :data:`~edge.sources.render.PAPERS` paper (exposure varied), plain,
    lined or squared; float32 (h, w, 3) BGR 0..255 and its ``"<paper>-<ruling>"`` name
    (``info``: filled with ``paper``, ``ruling``, ``paper_bgr``, ``rule_step_px``, ``rule_px``)."""
    name = pick(rng, PAPERS)
    colour = np.array(PAPERS[name][0], np.float32) * rng.uniform(0.92, 1.04)
    img = plain_paper(rng, (h, w), colour, grain=((5.0, 40), (1.2, 2)))
    ruling = str(rng.choice(["plain", "plain", "lined", "squared"]))
    if info is not None:
        info.update(paper=name, ruling=ruling, paper_bgr=colour.tolist(), rule_step_px=None, rule_px=None)
    if ruling != "plain":
        line = np.array((215, 180, 140) if rng.random() < 0.7 else (180, 180, 180), np.float32)
        step = int(rng.uniform(18, 45))
        thick = int(rng.integers(1, 3))
        if info is not None:
            info.update(rule_step_px=step, rule_px=thick)
        # a line ``thick`` px wide is ``thick`` adjacent 1 px lines
        lines = [v + k for v in range(int(rng.integers(0, step)), max(h, w), step) for k in range(thick)]
        strength = rng.uniform(0.5, 1.0)
        line = strength * line + (1 - strength) * colour
        rule_lines(
            img,
            line.tolist(),
            rows=[y for y in lines if y < h],
            cols=[x for x in lines if x < w] if ruling == "squared" else (),
        )
    return img, f"{name}-{ruling}"


def write_ink(
    img: np.ndarray,
    alpha: np.ndarray,
    x: int,
    y: int,
    pen: str,
    ink: tuple[np.ndarray, float],
    rng: np.random.Generator,
) -> None:
    """Write ``alpha`` (float32 (h, w) in [0, 1]) with ``pen`` (its texture) and ``ink`` (colour,
    opacity from :func:`edge.sources.render.pen_ink`) into float32 BGR ``img`` at (x, y), in place."""
    composite_ink(img, ink_texture(rng, alpha, pen), x, y, ink[0], ink[1])


def illumination(h: int, w: int, rng: np.random.Generator, info: dict | None = None) -> np.ndarray:
    """float32 (h, w) light field: gradient, vignetting and sometimes a hard-ish shadow
    (``info``: see :func:`edge.sources.render.light_field`)."""
    light = light_field(rng, (h, w), level=(0.55, 1.05), vignette=(0.0, 0.5), shadow=0.5, info=info)
    return np.clip(light, 0.15, 1.2)


def camera(img: np.ndarray, rng: np.random.Generator, blur: float, info: dict | None = None) -> np.ndarray:
    """Blur of ``blur`` px, sensor noise and JPEG; float32 BGR -> uint8 BGR
    (``info``: filled with ``blur_px``, ``noise_sd``, ``jpeg``)."""
    noise = rng.uniform(1, 7)
    quality = int(rng.integers(35, 96))
    if info is not None:
        info.update(blur_px=blur, noise_sd=noise, jpeg=quality)
    return camera_photo(img, rng, blur_px=blur, noise_sd=noise, jpeg_quality=quality)


def random_homography(
    w: int, h: int, cx: float, cy: float, rng: np.random.Generator, rot_deg: float = 15, tilt: float = 0.06
) -> np.ndarray:
    """Rotation about (cx, cy) and a perspective tilt (corner jitter, fraction of size)."""
    rot = cv2.getRotationMatrix2D((cx, cy), rng.uniform(-rot_deg, rot_deg), 1.0)
    R = np.vstack([rot, [0, 0, 1]])
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = (src + rng.uniform(-tilt, tilt, (4, 2)) * np.array([w, h])).astype(np.float32)
    P = cv2.getPerspectiveTransform(src, dst)
    return P @ R


def _ink_box(alpha: np.ndarray) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(alpha > 0.5)
    if ys.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def _pick_pen(rng: np.random.Generator) -> str:
    return pick(rng, PEN_MIX)


def make_crop(src: np.ndarray, rng: np.random.Generator, info: dict | None = None) -> np.ndarray:
    """One loosely cropped digit photo, uint8 (h, w, 3) BGR; ``info``, if given, is filled
    with what was drawn (no extra random numbers; named by :func:`benchmarks.realistic_set.describe`)."""
    height = float(np.exp(rng.uniform(np.log(20), np.log(300))))
    pen = _pick_pen(rng)
    alpha = render_ink(src, height, rng, pen)
    ink = pen_ink(rng, pen)
    ah, aw = alpha.shape
    m = int(1.2 * max(ah, aw))
    H, W = ah + 2 * m, aw + 2 * m
    img, _ = paper(H, W, rng, info)
    write_ink(img, alpha, m, m, pen, ink, rng)
    full_alpha = np.zeros((H, W), np.float32)
    full_alpha[m : m + ah, m : m + aw] = alpha
    M = random_homography(W, H, W / 2, H / 2, rng)
    img = cv2.warpPerspective(img, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    full_alpha = cv2.warpPerspective(full_alpha, M, (W, H), flags=cv2.INTER_LINEAR)
    box = _ink_box(full_alpha)
    if box is None:
        box = (m, m, aw, ah)
    bx, by, bw, bh = box
    side = max(bw, bh)
    ml, mr, mt, mb = (rng.uniform(0.05, 0.7) * side for _ in range(4))
    x0, x1 = int(max(0, bx - ml)), int(min(W, bx + bw + mr))
    y0, y1 = int(max(0, by - mt)), int(min(H, by + bh + mb))
    crop = img[y0:y1, x0:x1].copy()
    ch, cw = crop.shape[:2]
    light = illumination(ch, cw, rng, info)
    crop *= light[:, :, None]
    table_share = 0.0
    if rng.random() < 0.25:  # a paper edge / table in one corner, away from the digit
        table = np.array(TABLES[int(rng.integers(len(TABLES)))], np.float32)
        corner = rng.integers(4)
        yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
        if corner in (1, 2):
            xx = cw - 1 - xx
        if corner in (2, 3):
            yy = ch - 1 - yy
        # the digit box in the flipped frame
        dx0 = (bx - x0) if corner in (0, 3) else (x1 - bx - bw)
        dy0 = (by - y0) if corner in (0, 1) else (y1 - by - bh)
        k = rng.uniform(0.3, 3.0)
        lim = rng.uniform(0.2, 0.8) * (dx0 + k * dy0)  # the digit's box stays on paper
        region = (xx + k * yy) < lim
        crop[region] = table * rng.uniform(0.5, 1.0)
        table_share = float(region.mean())
    if info is not None:
        info.update(pen=pen, ink=ink, alpha=alpha, M=M, centre=(m + aw / 2, m + ah / 2), light=light)
        info.update(box=(bx - x0, by - y0, bw, bh), table_share=table_share, specks=0, finger_share=0.0)
    return camera(crop, rng, rng.uniform(0, 0.6) + 0.004 * side, info)


@dataclass
class FrameSpec:
    """How a synthetic frame is made (for :func:`make_frame`)."""

    n_digits: int = 1
    min_height: float = 15
    max_height: float = 400
    distractors: bool = True


def make_frame(
    srcs: list[np.ndarray], rng: np.random.Generator, spec: FrameSpec | None = None, info: dict | None = None
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A 640x480 camera frame with ``spec.n_digits`` digits in a row; ``info`` as for :func:`make_crop`
    (of the first digit).

    Returns:
        (uint8 (480, 640, 3) BGR frame, list of ink boxes (x, y, w, h) px, left to right).
    """
    spec = spec or FrameSpec()
    H, W = FRAME_H, FRAME_W
    img, _ = paper(H, W, rng, info)
    n = len(srcs)
    lo, hi = np.log(spec.min_height), np.log(min(spec.max_height, 0.85 * H, 0.85 * W / (1.1 * n)))
    height = float(np.exp(rng.uniform(lo, max(lo, hi))))
    pen = _pick_pen(rng)
    ink = pen_ink(rng, pen)
    for _ in range(5):  # shrink until the row fits the frame
        alphas = [render_ink(s, height * rng.uniform(0.9, 1.1), rng, pen) for s in srcs]
        gap = [int(rng.uniform(0.15, 0.6) * height) for _ in alphas]
        total_w = sum(a.shape[1] for a in alphas) + sum(gap[:-1])
        if total_w <= 0.9 * W:
            break
        height *= 0.85 * W / total_w
    max_h = max(a.shape[0] for a in alphas)
    x = int(rng.uniform(0.05 * W, max(0.05 * W + 1, 0.95 * W - total_w)))
    y = int(rng.uniform(0.05 * H, max(0.05 * H + 1, 0.95 * H - max_h)))
    full_alpha = np.zeros((len(alphas), H, W), np.float32)
    for i, a in enumerate(alphas):
        ah, aw = a.shape
        yy = y + (max_h - ah) // 2 + int(rng.uniform(-0.05, 0.05) * height)
        write_ink(img, a, x, yy, pen, ink, rng)
        x0, y0 = max(0, x), max(0, yy)
        x1, y1 = min(W, x + aw), min(H, yy + ah)
        if x1 > x0 and y1 > y0:
            full_alpha[i, y0:y1, x0:x1] = a[y0 - yy : y1 - yy, x0 - x : x1 - x]
        x += aw + gap[i]
    specks = 0
    if spec.distractors and rng.random() < 0.5:  # specks: dust, pen dots
        for _ in range(specks := int(rng.integers(1, 8))):
            r = float(rng.uniform(0.5, 2.5))
            sx, sy = int(rng.integers(0, W)), int(rng.integers(0, H))
            cv2.circle(img, (sx, sy), int(round(r)), tuple(float(c) for c in PENS["black ballpoint"][0]), -1)
    bx = np.nonzero(full_alpha.max(0) > 0.5)
    cx, cy = (float(bx[1].mean()), float(bx[0].mean())) if bx[0].size else (W / 2.0, H / 2.0)
    M = random_homography(W, H, cx, cy, rng, rot_deg=12, tilt=0.04)
    paper_mask = np.ones((H, W), np.float32)
    if spec.distractors and rng.random() < 0.4:  # the paper's edge: table beyond it
        side = rng.integers(4)
        box_lo = [int(v) for v in (bx[1].min(), bx[0].min())] if bx[0].size else [W // 2, H // 2]
        box_hi = [int(v) for v in (bx[1].max(), bx[0].max())] if bx[0].size else [W // 2, H // 2]
        if side == 0 and box_lo[0] > 20:
            paper_mask[:, : int(rng.uniform(5, box_lo[0] - 10))] = 0
        elif side == 1 and box_hi[0] < W - 20:
            paper_mask[:, int(rng.uniform(box_hi[0] + 10, W - 5)) :] = 0
        elif side == 2 and box_lo[1] > 20:
            paper_mask[: int(rng.uniform(5, box_lo[1] - 10))] = 0
        elif side == 3 and box_hi[1] < H - 20:
            paper_mask[int(rng.uniform(box_hi[1] + 10, H - 5)) :] = 0
    img = cv2.warpPerspective(img, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    paper_mask = np.asarray(
        cv2.warpPerspective(paper_mask, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
        np.float32,
    )
    boxes = []
    for a in full_alpha:
        wa = cv2.warpPerspective(a, M, (W, H), flags=cv2.INTER_LINEAR)
        b = _ink_box(wa)
        boxes.append(b if b is not None else (0, 0, 0, 0))
    if paper_mask.min() < 0.5:
        table = np.array(TABLES[int(rng.integers(len(TABLES)))], np.float32) * rng.uniform(0.6, 1.1)
        tex = cv2.resize(rng.normal(0, 1, (H // 16, W // 16)).astype(np.float32), (W, H))
        bg = table[None, None, :] * (1 + 0.08 * tex)[:, :, None]
        pm = paper_mask[:, :, None]
        img = img * pm + bg * (1 - pm)
    finger_share = 0.0
    if spec.distractors and rng.random() < 0.25:  # a finger holding the paper
        skin = np.array((120, 150, 200), np.float32) * rng.uniform(0.6, 1.1)
        edge = rng.integers(4)
        fx = int(rng.uniform(0, W)) if edge < 2 else (0 if edge == 2 else W)
        fy = int(rng.uniform(0, H)) if edge >= 2 else (0 if edge == 0 else H)
        fm = np.zeros((H, W), np.float32)
        cv2.ellipse(
            fm,
            (fx, fy),
            (int(rng.uniform(25, 50)), int(rng.uniform(40, 90))),
            float(rng.uniform(0, 180)),
            0,
            360,
            1.0,
            -1,
        )
        for b in boxes:  # keep the finger off the digits
            fm[b[1] : b[1] + b[3], b[0] : b[0] + b[2]] = 0
        fm = np.asarray(cv2.GaussianBlur(fm, (0, 0), 2), np.float32)[:, :, None]
        img = img * (1 - fm) + skin * fm
        finger_share = float((fm > 0.5).mean())
    light = illumination(H, W, rng, info)
    img *= light[:, :, None]
    if info is not None:
        info.update(pen=pen, ink=ink, alpha=alphas[0], M=M, centre=(cx, cy), box=boxes[0], light=light)
        info.update(table_share=float((paper_mask < 0.5).mean()), specks=specks, finger_share=finger_share)
    return camera(img, rng, rng.uniform(0, 1.0) + 0.002 * height, info), boxes


__all__ = [
    "FRAME_H",
    "FRAME_W",
    "PEN_MIX",
    "SHARED",
    "FrameSpec",
    "camera",
    "illumination",
    "load_sources",
    "make_crop",
    "make_frame",
    "paper",
    "random_homography",
    "render_ink",
    "write_ink",
]
