"""The ``demo`` source: a synthetic camera scene of handwritten digits on paper.

Needs no camera, no download and no data file. A sheet of paper (white, cream,
a sticky note, sometimes ruled or squared, sometimes held by a thumb) lies on a
desk and carries 1 to 5 handwritten-looking digits, some grouped into multi-digit
numbers. The sheet drifts slowly across the frame (translation, a little rotation,
scale and perspective, a trace of hand tremor) under changing light (exposure
ramps, a colour cast, a gradient, vignetting, sometimes a soft shadow or glare),
with episodes of camera shake (motion blur) and defocus, webcam softness, Gaussian
sensor noise and sometimes JPEG artefacts. Every few seconds the scene cuts to a new
sheet, writer and pen. Each frame carries its ground truth: one ``(label, ROI)`` per
digit, the ROI being the tight box of that digit's ink in frame pixels.

Digits are drawn procedurally, not from a font: each digit has several skeleton
variants the way people (and MNIST's writers) form it: a 1 as a bare stroke or with
a flag, an open or closed 4, a 7 with or without a bar, a 9 with a straight or
curved tail, and so on. Control points go through a writer's slant, width and
rotation, a smooth random warp and per-point jitter, and are joined by
centripetal Catmull-Rom splines drawn antialiased at 4x resolution with a slowly
varying pen pressure, then reduced with area averaging.

Rendering is cheap because the expensive parts are done once per scene segment:
the sheet with its ink, the desk, the noise bank. A frame is one perspective warp
of the sheet onto the desk, a low-resolution light map scaled up and multiplied in,
noise added from the bank, and occasionally a blur or a JPEG round trip. Every
frame depends only on ``(seed, index)``, so runs are reproducible and frames can be
rendered in any order (:meth:`DemoSource.render`).

The same role as the ``synth:`` sources of OpenCV's ``samples/python/video.py``:
tests, benchmarks and first runs behave like a camera without one.
"""

from __future__ import annotations

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

DIGITS = "0123456789"

Stroke = list[tuple[float, float]]

# --------------------------------------------------------------------------------------
# Digit skeletons: for each label, variants of (weight, strokes). A stroke is a list of
# control points (x, y) in a box 1 high (y down), about 0.6 wide; a smooth curve goes
# through them. Sharp corners (the foot of a 2, the corner of a 7) are where one stroke
# ends and the next begins at the same point.
# --------------------------------------------------------------------------------------

_GLYPHS: dict[str, list[tuple[float, list[Stroke]]]] = {
    "0": [
        (3.0, [[(0.34, 0.02), (0.14, 0.14), (0.04, 0.45), (0.10, 0.82), (0.30, 0.98), (0.50, 0.88),
                (0.60, 0.55), (0.55, 0.18), (0.38, 0.02), (0.24, 0.06)]]),
        (1.0, [[(0.40, 0.04), (0.20, 0.08), (0.08, 0.40), (0.12, 0.80), (0.32, 0.98), (0.52, 0.84),
                (0.56, 0.45), (0.46, 0.10), (0.30, 0.03)]]),  # narrow, open at the top
    ],
    "1": [
        (3.0, [[(0.30, 0.00), (0.29, 0.50), (0.27, 1.00)]]),
        (2.0, [[(0.17, 0.15), (0.25, 0.08), (0.33, 0.00)], [(0.33, 0.00), (0.31, 0.50), (0.29, 1.00)]]),
        (0.6, [[(0.18, 0.16), (0.34, 0.00)], [(0.34, 0.00), (0.33, 1.00)], [(0.14, 1.00), (0.52, 0.99)]]),
    ],
    "2": [
        (3.0, [[(0.05, 0.24), (0.16, 0.06), (0.36, 0.00), (0.54, 0.12), (0.54, 0.34), (0.36, 0.60),
                (0.04, 0.98)], [(0.04, 0.98), (0.34, 0.96), (0.64, 0.98)]]),
        (1.5, [[(0.06, 0.22), (0.20, 0.04), (0.40, 0.02), (0.54, 0.18), (0.48, 0.42), (0.26, 0.70),
                (0.08, 0.94), (0.16, 0.80), (0.28, 0.86), (0.40, 0.96), (0.64, 0.94)]]),  # looped foot
    ],
    "3": [
        (3.0, [[(0.06, 0.14), (0.24, 0.01), (0.46, 0.04), (0.54, 0.22), (0.42, 0.40), (0.22, 0.46)],
               [(0.22, 0.46), (0.46, 0.52), (0.60, 0.72), (0.50, 0.92), (0.28, 0.99), (0.04, 0.88)]]),
        (1.0, [[(0.06, 0.03), (0.58, 0.02)], [(0.58, 0.02), (0.26, 0.40)],
               [(0.26, 0.40), (0.50, 0.48), (0.62, 0.70), (0.52, 0.92), (0.30, 0.99), (0.04, 0.86)]]),
    ],
    "4": [
        (2.0, [[(0.36, 0.00), (0.03, 0.64)], [(0.03, 0.64), (0.68, 0.62)],
               [(0.50, 0.16), (0.49, 1.00)]]),  # open top
        (1.5, [[(0.50, 0.00), (0.03, 0.66)], [(0.03, 0.66), (0.68, 0.64)],
               [(0.50, 0.00), (0.50, 1.00)]]),  # closed
        (2.0, [[(0.08, 0.00), (0.06, 0.42), (0.18, 0.56), (0.64, 0.52)],
               [(0.54, 0.00), (0.52, 0.50), (0.50, 1.00)]]),  # like a "u" with a stem
    ],
    "5": [
        (3.0, [[(0.10, 0.03), (0.08, 0.44)],
               [(0.08, 0.44), (0.30, 0.36), (0.52, 0.44), (0.60, 0.68), (0.50, 0.90), (0.28, 0.99),
                (0.04, 0.90)], [(0.12, 0.03), (0.60, 0.00)]]),
        (1.0, [[(0.60, 0.01), (0.14, 0.03)], [(0.14, 0.03), (0.10, 0.42)],
               [(0.10, 0.42), (0.34, 0.38), (0.56, 0.50), (0.58, 0.76), (0.40, 0.96), (0.06, 0.92)]]),
    ],
    "6": [
        (3.0, [[(0.54, 0.02), (0.30, 0.16), (0.12, 0.44), (0.06, 0.74), (0.20, 0.97), (0.42, 0.96),
                (0.56, 0.78), (0.46, 0.58), (0.26, 0.55), (0.10, 0.68)]]),
        (1.0, [[(0.46, 0.00), (0.22, 0.30), (0.10, 0.62), (0.14, 0.90), (0.34, 0.99), (0.54, 0.86),
                (0.52, 0.64), (0.32, 0.56), (0.12, 0.66)]]),
    ],
    "7": [
        (3.0, [[(0.04, 0.05), (0.32, 0.03), (0.62, 0.02)], [(0.62, 0.02), (0.42, 0.44), (0.28, 1.00)]]),
        (1.0, [[(0.04, 0.05), (0.62, 0.02)], [(0.62, 0.02), (0.42, 0.44), (0.28, 1.00)],
               [(0.20, 0.50), (0.58, 0.48)]]),  # European bar
        (1.0, [[(0.03, 0.18), (0.04, 0.04)], [(0.04, 0.04), (0.60, 0.03)],
               [(0.60, 0.03), (0.46, 0.40), (0.34, 1.00)]]),  # with a hook
    ],
    "8": [
        (3.0, [[(0.52, 0.12), (0.32, 0.01), (0.12, 0.10), (0.12, 0.30), (0.32, 0.47), (0.52, 0.64),
                (0.54, 0.88), (0.32, 0.99), (0.10, 0.88), (0.12, 0.64), (0.32, 0.47), (0.50, 0.30),
                (0.52, 0.12)]]),
        (1.0, [[(0.32, 0.45), (0.14, 0.34), (0.12, 0.12), (0.30, 0.01), (0.50, 0.10), (0.50, 0.32),
                (0.32, 0.45)],
               [(0.32, 0.45), (0.08, 0.62), (0.10, 0.90), (0.32, 0.99), (0.56, 0.88), (0.56, 0.62),
                (0.32, 0.45)]]),  # two loops
    ],
    "9": [
        (3.0, [[(0.52, 0.14), (0.34, 0.01), (0.12, 0.08), (0.08, 0.28), (0.24, 0.42), (0.46, 0.36),
                (0.54, 0.16)], [(0.54, 0.16), (0.52, 0.60), (0.48, 1.00)]]),  # straight tail
        (1.5, [[(0.52, 0.14), (0.34, 0.01), (0.12, 0.08), (0.08, 0.28), (0.24, 0.42), (0.46, 0.36),
                (0.54, 0.16)], [(0.54, 0.16), (0.56, 0.55), (0.46, 0.88), (0.28, 0.99), (0.10, 0.92)]]),
        (1.0, [[(0.50, 0.22), (0.40, 0.04), (0.18, 0.04), (0.08, 0.22), (0.20, 0.38), (0.42, 0.34),
                (0.52, 0.12), (0.52, 0.50), (0.44, 1.00)]]),  # one continuous stroke
    ],
}


def glyph_variants(label: str) -> int:
    """How many skeleton variants :func:`render_digit` knows for ``label``."""
    return len(_GLYPHS[_check_label(label)])


def _check_label(label: str | int) -> str:
    s = str(label)
    if s not in _GLYPHS:
        raise ValueError(f"label must be one of '0'..'9', got {label!r}")
    return s


def _catmull_rom(points: np.ndarray, samples_per_unit: float) -> np.ndarray:
    """A centripetal Catmull-Rom spline through ``points`` (N, 2); returns (M, 2) float64.

    Centripetal parametrisation (alpha = 0.5) avoids cusps and self-loops between
    control points (Yuksel, Schaefer and Keyser, 2011).
    """
    if len(points) < 3:  # a straight segment (or a dot)
        n = max(2, int(np.linalg.norm(points[-1] - points[0]) * samples_per_unit) + 2)
        s = np.linspace(0.0, 1.0, n)[:, None]
        return points[0] * (1 - s) + points[-1] * s
    p = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        t0 = 0.0
        t1 = t0 + max(float(np.linalg.norm(p1 - p0)), 1e-6) ** 0.5
        t2 = t1 + max(float(np.linalg.norm(p2 - p1)), 1e-6) ** 0.5
        t3 = t2 + max(float(np.linalg.norm(p3 - p2)), 1e-6) ** 0.5
        n = max(2, int(np.linalg.norm(p2 - p1) * samples_per_unit) + 2)
        t = np.linspace(t1, t2, n, endpoint=(i == len(p) - 3))[:, None]
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        out.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    return np.vstack(out)


@dataclass(frozen=True)
class HandStyle:
    """How one writer forms digits; shared by the digits of one sheet.

    Attributes:
        slant: horizontal shear, x += slant * (0.5 - y) in glyph units (> 0 leans right).
        aspect: width multiplier (1.0 = the skeletons' own width).
        rotation_deg: rotation of the whole digit in degrees (counter-clockwise).
        jitter: standard deviation of control-point noise, in glyph heights.
        warp: amplitude of the smooth random warp, in glyph heights.
        variants: preferred skeleton variant per label (a writer is consistent).
    """

    slant: float = 0.1
    aspect: float = 1.0
    rotation_deg: float = 0.0
    jitter: float = 0.02
    warp: float = 0.03
    variants: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def random(rng: np.random.Generator) -> HandStyle:
        """A random writer: slant, width, rotation, sloppiness and preferred variants."""
        variants = {}
        for label, glyphs in _GLYPHS.items():
            w = np.array([g[0] for g in glyphs])
            variants[label] = int(rng.choice(len(glyphs), p=w / w.sum()))
        return HandStyle(
            slant=float(np.clip(rng.normal(0.1, 0.12), -0.2, 0.35)),
            aspect=float(rng.uniform(0.78, 1.2)),
            rotation_deg=float(np.clip(rng.normal(0.0, 3.0), -8, 8)),
            jitter=float(rng.uniform(0.008, 0.03)),
            warp=float(rng.uniform(0.01, 0.05)),
            variants=variants,
        )


def _skeleton(label: str, rng: np.random.Generator, style: HandStyle,
              variant: int | None) -> list[np.ndarray]:
    """Jittered control points of one digit instance, as (N, 2) arrays in glyph units."""
    glyphs = _GLYPHS[label]
    if variant is None:
        variant = style.variants.get(label)
        if variant is None or rng.random() < 0.15:  # writers are consistent, not perfectly
            w = np.array([g[0] for g in glyphs])
            variant = int(rng.choice(len(glyphs), p=w / w.sum()))
    strokes = glyphs[variant % len(glyphs)][1]
    # smooth warp: the same displacement for the same point, so joined strokes stay joined
    k = rng.uniform(2.0, 6.0, size=(2, 2, 2))
    ph = rng.uniform(0, 2 * np.pi, size=(2, 2))
    noise: dict[tuple[float, float], np.ndarray] = {}
    slant = style.slant + rng.normal(0, 0.04)
    aspect = style.aspect * rng.uniform(0.92, 1.08)
    rot = math.radians(style.rotation_deg + rng.normal(0, 2.5))
    c, s = math.cos(rot), math.sin(rot)
    out = []
    for stroke in strokes:
        pts = []
        for x, y in stroke:
            if (x, y) not in noise:
                noise[(x, y)] = rng.normal(0, style.jitter, size=2)
            dx = sum(style.warp / 2 * math.sin(k[0, j, 0] * x + k[0, j, 1] * y + ph[0, j]) for j in range(2))
            dy = sum(style.warp / 2 * math.sin(k[1, j, 0] * x + k[1, j, 1] * y + ph[1, j]) for j in range(2))
            px, py = x + dx + noise[(x, y)][0], y + dy + noise[(x, y)][1]
            px = (px - 0.32) * aspect + slant * (0.5 - py)
            py = py - 0.5
            pts.append((c * px + s * py, -s * px + c * py))
        out.append(np.array(pts, dtype=np.float64))
    return out


def render_digit(label: str | int, rng: np.random.Generator, size_px: int, *,
                 stroke_px: float | None = None, style: HandStyle | None = None,
                 variant: int | None = None, pad_px: int | None = None) -> np.ndarray:
    """Draw one handwritten-looking digit as an ink-coverage mask.

    The skeleton of one of the label's variants (see the module docstring) is
    distorted by the writer's ``style`` and by per-instance noise, traced with
    centripetal Catmull-Rom splines and drawn antialiased at 4x resolution with
    a slowly varying pen width, then reduced with area averaging. No font or data
    file is used.

    Args:
        label: ``'0'`` .. ``'9'`` (or the int).
        rng: source of all randomness (the result is a pure function of its state).
        size_px: height of the ink in pixels (>= 8); the width follows the glyph
            and the style (about 0.3 to 0.8 of the height, a 1 much less).
        stroke_px: pen width in pixels; default random in about 5-11% of
            ``size_px``, at least 1.5.
        style: the writer (slant, width, rotation, sloppiness, preferred
            variants); default :meth:`HandStyle.random`.
        variant: force a skeleton variant (``0 .. glyph_variants(label) - 1``);
            default: the style's preference, sometimes another.
        pad_px: empty margin on every side in pixels; default ``ceil(stroke_px) + 1``.

    Returns:
        uint8 (H, W) ink coverage, 0 = paper, 255 = full ink; ``H`` is about
        ``size_px + 2 * pad_px``.

    Raises:
        ValueError: ``label`` is not a digit or ``size_px`` < 8.
    """
    label = _check_label(label)
    if size_px < 8:
        raise ValueError(f"size_px must be >= 8, got {size_px}")
    style = style if style is not None else HandStyle.random(rng)
    if stroke_px is None:
        stroke_px = max(1.5, size_px * rng.uniform(0.05, 0.11))
    pad = int(math.ceil(stroke_px)) + 1 if pad_px is None else int(pad_px)
    strokes = _skeleton(label, rng, style, variant)
    allpts = np.vstack(strokes)
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    scale = max(size_px - stroke_px, 2.0) / max(hi[1] - lo[1], 1e-3)
    ss = 4  # supersampling factor
    w = int(math.ceil((hi[0] - lo[0]) * scale + stroke_px)) + 2 * pad
    h = int(math.ceil((hi[1] - lo[1]) * scale + stroke_px)) + 2 * pad
    canvas = np.zeros((h * ss, w * ss), np.uint8)
    offset = np.array([pad + stroke_px / 2, pad + stroke_px / 2])
    pressure_phase = rng.uniform(0, 2 * np.pi)
    pressure_amp = rng.uniform(0.0, 0.22)
    for stroke in strokes:
        pts = (stroke - lo) * scale + offset
        curve = _catmull_rom(pts, samples_per_unit=0.5) * ss
        # pen pressure: draw short runs with a slowly changing width
        run = 6
        n = len(curve)
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))])
        for i in range(0, max(n - 1, 1), run):
            seg = curve[i:min(i + run + 1, n)]
            if len(seg) < 2:
                continue
            p = 1.0 + pressure_amp * math.sin(pressure_phase + arc[i] / (ss * size_px) * 5.0)
            th = max(1, int(round(stroke_px * ss * p)))
            cv2.polylines(canvas, [np.round(seg * 16).astype(np.int32)], False, 255, th, cv2.LINE_AA, shift=4)
    return cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)


# --------------------------------------------------------------------------------------
# The scene
# --------------------------------------------------------------------------------------

# name: (ink colour BGR, opacity range, stroke width as a fraction of digit height, max width px)
_PENS: dict[str, tuple[tuple[int, int, int], tuple[float, float], tuple[float, float], float]] = {
    "blue ballpoint": ((120, 48, 28), (0.80, 0.95), (0.025, 0.05), 5.0),
    "black ballpoint": ((45, 38, 38), (0.85, 0.97), (0.025, 0.05), 5.0),
    "black marker": ((28, 26, 26), (0.94, 1.00), (0.07, 0.13), 10.0),
    "blue marker": ((110, 40, 20), (0.92, 1.00), (0.07, 0.12), 10.0),
    "pencil": ((95, 92, 90), (0.55, 0.78), (0.025, 0.045), 4.0),
}
_PEN_P = {"blue ballpoint": 0.3, "black ballpoint": 0.25, "black marker": 0.2, "blue marker": 0.1,
          "pencil": 0.15}
# name: (colour BGR, probability)
_PAPERS: dict[str, tuple[tuple[int, int, int], float]] = {
    "white": ((242, 244, 245), 0.45),
    "cream": ((214, 232, 240), 0.12),
    "recycled": ((212, 216, 216), 0.08),
    "yellow note": ((125, 228, 250), 0.17),
    "pink note": ((205, 185, 250), 0.05),
    "blue note": ((242, 218, 175), 0.05),
    "green note": ((170, 240, 200), 0.08),
}
_DESKS: dict[str, tuple[tuple[int, int, int], float]] = {
    "wood": ((70, 112, 160), 0.3),
    "dark wood": ((35, 58, 90), 0.15),
    "grey": ((95, 96, 98), 0.15),
    "black": ((30, 30, 34), 0.15),
    "light": ((178, 182, 184), 0.1),
    "blue cloth": ((112, 72, 42), 0.08),
    "green mat": ((70, 105, 60), 0.07),
}
_SKINS = [(150, 182, 228), (122, 158, 210), (96, 128, 178), (66, 92, 134), (46, 62, 94)]
_MIN_STROKE_PX = 2.0  # thinnest pen line at nominal scale, px


def _matrix_affine(cx: float, cy: float, s: float, theta: float, ax: float, ay: float) -> np.ndarray:
    """3x3 matrix mapping paper (u, v) to frame: q = c + s R(theta) (p - a)."""
    c, si = math.cos(theta) * s, math.sin(theta) * s
    return np.array([[c, -si, cx - c * ax + si * ay],
                     [si, c, cy - si * ax - c * ay],
                     [0.0, 0.0, 1.0]])


@dataclass
class _Digit:
    label: str
    group: int
    hull: np.ndarray  # float32 (K, 1, 2) convex hull of the ink, paper px


@dataclass
class _Episode:
    start: int  # frame within the segment
    length: int  # frames
    kind: str  # "shake" | "defocus"
    strength: float
    angle: float  # shake direction, radians


@dataclass
class _Segment:
    """Everything that stays fixed for one sheet: images and motion/light parameters."""

    paper: np.ndarray  # uint8 (Hp, Wp, 3) BGR, the sheet with its ink
    desk: np.ndarray  # uint8 (H, W, 3) BGR
    noise: np.ndarray  # int16 (2H, W, 3) sensor noise bank
    digits: list[_Digit]
    anchor: tuple[float, float]  # paper point the motion turns around (centre of the ink)
    motion: dict[str, float]
    light: dict[str, float]
    tint: np.ndarray  # float32 (3,) per-channel gain, BGR
    thumb: np.ndarray | None  # float32 (N, 1, 2) polygon in paper px, in front of the sheet
    nail: np.ndarray | None
    palm: np.ndarray | None  # behind the sheet
    skin: tuple[int, int, int]
    episodes: list[_Episode]
    soft_sigma: float  # baseline webcam softness, px
    jpeg_quality: int | None
    description: str


class DemoSource(ProceduralSource[_Segment]):
    """The built-in synthetic scene: handwritten digits on a moving sheet of paper.

    Frames are a pure function of ``(seed, index)``: the same seed gives the same
    video on every machine and frames can be rendered in any order. The scene
    changes to a new sheet (paper, writer, pen, digits, desk, light) every
    ``segment_frames`` frames.

    Args:
        seed: the scene's random seed (any int).
        width: frame width in px.
        height: frame height in px.
        fps: nominal frame rate; ``timestamp = index / fps`` seconds (not wall time).
        num_frames: frames before :meth:`read` returns ``None``; ``None`` = endless.
        max_digits: at most this many digits per sheet (1..8); each sheet holds
            1..``max_digits``, alone or as numbers of up to 3 digits.
        segment_frames: frames per sheet; default 5 s worth (``round(5 * fps)``).
        realtime: pace :meth:`read` to ``fps`` like a camera: wait when the
            consumer is early, skip frames when it is late (``live`` is then
            ``True`` and ``Frame.index`` jumps over the skipped frames).

    Frames:
        ``image`` uint8 (height, width, 3) BGR; ``timestamp = index / fps``;
        ``index`` the scene frame number; ``truth`` a tuple of ``(label, ROI)``,
        one per digit in reading order (rows top to bottom, left to right), ``label``
        in ``'0'..'9'`` and ``ROI`` the tight box of that digit's ink in frame px,
        always entirely inside the frame.

    Raises:
        ValueError: a size, rate or count out of range.
    """

    spec = "demo"
    segment_seconds = 5
    streams = (1, 2, 3)

    def __init__(self, seed: int = 0, *, width: int = 640, height: int = 480, fps: float = 30.0,
                 num_frames: int | None = None, max_digits: int = 5, segment_frames: int | None = None,
                 realtime: bool = False) -> None:
        super().__init__(seed, width=width, height=height, fps=fps, num_frames=num_frames,
                         segment_frames=segment_frames, realtime=realtime)
        if not 1 <= max_digits <= 8:
            raise ValueError(f"max_digits must be in 1..8, got {max_digits}")
        self.max_digits = max_digits

    # ---- public --------------------------------------------------------------------

    def render(self, index: int) -> Frame:
        """Render scene frame ``index`` (any order; the same index gives the same frame).

        Returns:
            A :class:`~edge.types.Frame`: uint8 (height, width, 3) BGR image,
            ``timestamp = index / fps``, ``truth`` as in the class docstring.
        """
        seg, tau = self._position(index)
        rng = self._frame_rng(index)
        mats, pts = self._geometry(seg, tau)
        image = self._compose(seg, mats, tau, rng)
        truth = tuple((d.label, roi) for d, roi in zip(seg.digits, self._boxes(seg, pts), strict=True))
        return Frame(image=image, timestamp=index / self.fps, index=index, truth=truth)

    def numbers(self, index: int) -> tuple[tuple[str, ROI], ...]:
        """The numbers written on the sheet in frame ``index``, without rendering it.

        Returns:
            One ``(number, ROI)`` per group of digits written together, in reading
            order; ``ROI`` encloses the ink of all its digits, in frame px.
        """
        seg, tau = self._position(index)
        _, pts = self._geometry(seg, tau)
        boxes = self._boxes(seg, pts)
        out: dict[int, tuple[str, ROI]] = {}
        for d, b in zip(seg.digits, boxes, strict=True):
            if d.group not in out:
                out[d.group] = (d.label, b)
            else:
                s, r = out[d.group]
                x0, y0 = min(r.x, b.x), min(r.y, b.y)
                x1, y1 = max(r.x + r.w, b.x + b.w), max(r.y + r.h, b.y + b.h)
                out[d.group] = (s + d.label, ROI(x0, y0, x1 - x0, y1 - y0))
        return tuple(out.values())

    # ---- building a segment ---------------------------------------------------------

    def _build_segment(self, rng: np.random.Generator) -> _Segment:
        W, H = self.width, self.height
        short = min(W, H)
        n = int(rng.integers(1, self.max_digits + 1))
        # digit height at nominal scale, px: bigger when there are fewer digits
        lo, hi = {1: (0.17, 0.45), 2: (0.14, 0.32), 3: (0.12, 0.26)}.get(n, (0.10, 0.2))
        hf = float(rng.uniform(lo, hi) * short)
        pen = pick(rng, _PEN_P)
        ink_bgr, opacity_range, width_frac, max_width = _PENS[pen]
        stroke = float(np.clip(hf * rng.uniform(*width_frac), _MIN_STROKE_PX, max_width))
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
        paper_name = pick(rng, _PAPERS)
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
        paper = self._paper(rng, paper_name, (Hp, Wp), hf)
        ruled = ""
        if "note" not in paper_name and rng.random() < 0.3:
            ruled = "ruled" if rng.random() < 0.65 else "squared"
            self._rule(rng, paper, ruled, hf, top=m_top)
        # ink
        opacity = rng.uniform(*opacity_range)
        ink = np.array(ink_bgr, np.float32) + rng.normal(0, 6, 3).astype(np.float32)
        for (_, _, mask, mx, my) in placed:
            x0, y0 = mx + int(off[0]), my + int(off[1])
            h, w = mask.shape
            a = mask.astype(np.float32) * (opacity / 255.0)
            if pen == "pencil":  # graphite grain
                a *= rng.uniform(0.55, 1.0, size=a.shape).astype(np.float32)
            elif "ballpoint" in pen:  # uneven flow along the stroke
                a *= np.clip(0.9 + 0.08 * smooth_noise(rng, (h, w), 6), 0.7, 1.0)
            region = paper[y0:y0 + h, x0:x0 + w]
            region[:] = region * (1 - a[..., None]) + ink * a[..., None]
        paper_u8 = np.clip(paper + 0.5, 0, 255).astype(np.uint8)
        digits = [_Digit(lbl, g, hull + off) for (lbl, g, _, _, _), hull in zip(placed, hulls, strict=True)]
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
            "s0": s0, "a_scale": a_scale, "f_scale": rng.uniform(0.04, 0.2), "p_scale": rng.uniform(0, 6.3),
            "theta0": theta0, "a_theta": a_theta, "f_theta": rng.uniform(0.04, 0.25),
            "p_theta": rng.uniform(0, 6.3),
            "cx": W / 2 + rng.uniform(-1, 1) * (room_x - ax_), "ax": ax_, "fx": rng.uniform(0.03, 0.18),
            "px": rng.uniform(0, 6.3),
            "cy": H / 2 + rng.uniform(-1, 1) * (room_y - ay_), "ay": ay_, "fy": rng.uniform(0.03, 0.18),
            "py": rng.uniform(0, 6.3),
            "tremor": rng.uniform(0.3, 1.5) if held else rng.uniform(0.0, 0.4),
            "ft1": rng.uniform(1.5, 4.0), "ft2": rng.uniform(2.0, 6.0), "pt": rng.uniform(0, 6.3),
            "kx": rng.uniform(-1, 1) * keystone, "ky": rng.uniform(-1, 1) * keystone,
            "fk": rng.uniform(0.03, 0.15), "margin": margin,
        }

        # ---- light
        shadow = rng.random() < 0.35
        light = {
            "g0": rng.uniform(0.72, 1.05), "ag": rng.uniform(0.04, 0.22), "fg": rng.uniform(0.05, 0.3),
            "pg": rng.uniform(0, 6.3),
            "ae_t": rng.uniform(0, self.segment_frames / self.fps), "ae_a": rng.choice([0.0, 1.0]) *
            rng.uniform(-0.3, 0.3),
            "grad": rng.uniform(0.0, 0.45), "grad_phi": rng.uniform(0, 6.3), "grad_w": rng.uniform(-0.3, 0.3),
            "vignette": rng.uniform(0.0, 0.35),
            "shadow": rng.uniform(0.25, 0.55) if shadow else 0.0, "sh_phi": rng.uniform(0, 6.3),
            "sh_off": rng.uniform(-0.6, 0.6), "sh_a": rng.uniform(0.1, 0.5), "sh_f": rng.uniform(0.05, 0.2),
            "sh_w": rng.uniform(0.08, 0.35),
            "glare": rng.uniform(0.15, 0.5) if rng.random() < 0.15 else 0.0,
            "gl_x": rng.uniform(-0.7, 0.7), "gl_y": rng.uniform(-0.7, 0.7), "gl_r": rng.uniform(0.15, 0.5),
        }
        tint = colour_tint(rng, 0.07)

        # ---- thumb holding the sheet at its bottom edge
        thumb: np.ndarray | None = None
        nail: np.ndarray | None = None
        palm: np.ndarray | None = None
        b, g, r = (int(np.clip(c + rng.normal(0, 8), 0, 255)) for c in _SKINS[int(rng.integers(len(_SKINS)))])
        skin = (b, g, r)
        if held:
            tw = hf * rng.uniform(0.8, 1.3)
            tx = Wp * rng.uniform(0.25, 0.75)
            ang = rng.normal(0, 15)
            # an ellipse 1 tw wide, 3.2 tw long whose tip reaches 0.9 tw onto the sheet
            axis = np.array([-math.sin(math.radians(ang)), math.cos(math.radians(ang))])  # towards the hand
            tip = np.array([tx, Hp - 0.9 * tw])
            centre, nail_centre = tip + 1.6 * tw * axis, tip + 0.45 * tw * axis
            poly = np.asarray(cv2.ellipse2Poly((int(centre[0] * 4), int(centre[1] * 4)),
                                    (int(tw * 2), int(tw * 6.4)), int(ang), 0, 360, 8))
            thumb = (poly.astype(np.float32) / 4).reshape(-1, 1, 2)
            npoly = np.asarray(cv2.ellipse2Poly((int(nail_centre[0] * 4), int(nail_centre[1] * 4)),
                                     (int(tw * 1.25), int(tw * 1.5)), int(ang), 0, 360, 10))
            nail = (npoly.astype(np.float32) / 4).reshape(-1, 1, 2)
            palm_centre = tip + 3.9 * tw * axis + np.array([rng.uniform(-0.8, 0.8) * tw, 0])
            ppoly = np.asarray(cv2.ellipse2Poly((int(palm_centre[0] * 4), int(palm_centre[1] * 4)),
                                                (int(tw * 7), int(tw * 9)), int(ang), 0, 360, 8))
            palm = (ppoly.astype(np.float32) / 4).reshape(-1, 1, 2)

        # ---- camera: blur episodes, softness, noise, compression
        episodes = []
        for _ in range(int(rng.choice([0, 1, 2], p=[0.35, 0.45, 0.2]))):
            length = int(np.clip(rng.uniform(0.3, 1.2) * self.fps, 2, max(2, self.segment_frames - 1)))
            start = int(rng.integers(0, max(1, self.segment_frames - length)))
            kind = "shake" if rng.random() < 0.55 else "defocus"
            episodes.append(_Episode(start, length, kind, float(rng.uniform(0.3, 1.0)),
                                     float(rng.uniform(0, 2 * math.pi))))
        soft = float(rng.uniform(0.4, 1.1)) if rng.random() < 0.6 else 0.0
        sigma = float(rng.uniform(1.5, 7.0))
        noise = self._sensor_noise(sigma)
        jpeg = int(rng.integers(35, 86)) if rng.random() < 0.35 else None
        desk_name = pick(rng, _DESKS)
        desk = self._desk(rng, desk_name, hf)
        desc = (f"{n} digit(s) {''.join(labels)} in groups {sizes}, {hf:.0f} px high, {pen} "
                f"{stroke:.1f} px on {paper_name}{' ' + ruled if ruled else ''} paper, {desk_name} desk"
                f"{', held' if held else ''}{', shadow' if shadow else ''}, noise {sigma:.1f}"
                f"{f', jpeg q{jpeg}' if jpeg else ''}, {len(episodes)} blur episode(s)")
        return _Segment(paper_u8, desk, noise, digits, anchor, motion, light, tint, thumb, nail, palm, skin,
                        episodes, soft, jpeg, desc)

    def _paper(self, rng: np.random.Generator, name: str, shape: tuple[int, int], hf: float) -> np.ndarray:
        """float32 (Hp, Wp, 3) BGR sheet with a faint texture."""
        base = np.array(_PAPERS[name][0], np.float32) + rng.normal(0, 4, 3).astype(np.float32)
        h, w = shape
        tex = 2.5 * smooth_noise(rng, shape, max(8, int(hf))) + 1.2 * smooth_noise(rng, shape, 2)
        return np.clip(base[None, None, :] + tex[..., None], 0, 255).astype(np.float32)

    def _rule(self, rng: np.random.Generator, paper: np.ndarray, kind: str, hf: float, top: float) -> None:
        h, w = paper.shape[:2]
        colour = (225, 190, 160) if rng.random() < 0.7 else (185, 185, 185)
        if kind == "ruled":
            step = hf * rng.uniform(0.9, 1.4)
            y = top % step + step * rng.uniform(0, 1)
            while y < h:
                cv2.line(paper, (0, int(y * 16)), ((w - 1) * 16, int(y * 16)), colour, 1, cv2.LINE_AA, 4)
                y += step
            if rng.random() < 0.5:
                x = int(w * rng.uniform(0.05, 0.15) * 16)
                cv2.line(paper, (x, 0), (x, (h - 1) * 16), (150, 150, 235), 1, cv2.LINE_AA, 4)
        else:
            step = hf * rng.uniform(0.3, 0.55)
            for y in np.arange(rng.uniform(0, step), h, step):
                cv2.line(paper, (0, int(y * 16)), ((w - 1) * 16, int(y * 16)), colour, 1, cv2.LINE_AA, 4)
            for xf in np.arange(rng.uniform(0, step), w, step):
                cv2.line(paper, (int(xf * 16), 0), (int(xf * 16), (h - 1) * 16), colour, 1, cv2.LINE_AA, 4)

    def _desk(self, rng: np.random.Generator, name: str, hf: float) -> np.ndarray:
        """uint8 (H, W, 3) BGR desk, with grain or cloth texture and sometimes a pen lying on it."""
        H, W = self.height, self.width
        base = np.array(_DESKS[name][0], np.float32) + rng.normal(0, 6, 3).astype(np.float32)
        tex = 6 * smooth_noise(rng, (H, W), 90) + 3 * smooth_noise(rng, (H, W), 3)
        if "wood" in name:  # grain: fine along one axis, stretched along the other
            grain = cv2.resize(rng.standard_normal((H // 3, 6)).astype(np.float32), (W, H),
                               interpolation=cv2.INTER_CUBIC)
            tex += 4 * grain
        desk = np.clip(base[None, None, :] * (1 + tex[..., None] / 120.0), 0, 255)
        if rng.random() < 0.3:  # a pen lying on the desk
            length, width = rng.uniform(2.0, 3.5) * hf, max(5.0, hf * rng.uniform(0.08, 0.12))
            cx, cy = rng.uniform(0, W), rng.uniform(0, H)
            ang = rng.uniform(0, 180)
            body = cv2.boxPoints(((cx, cy), (length, width), ang)).astype(np.int32)
            colour = tuple(float(c) for c in rng.choice([(40, 40, 40), (170, 60, 20), (30, 30, 160),
                                                         (220, 220, 220)]))
            cv2.fillConvexPoly(desk, body, colour, cv2.LINE_AA)
        return desk.astype(np.uint8)

    # ---- per frame -----------------------------------------------------------------

    def _matrix(self, seg: _Segment, t: float) -> np.ndarray:
        """3x3 paper->frame homography at time ``t`` seconds into the segment."""
        m = seg.motion
        two_pi = 2 * math.pi
        s = m["s0"] * (1 + m["a_scale"] * math.sin(two_pi * m["f_scale"] * t + m["p_scale"]))
        theta = m["theta0"] + m["a_theta"] * math.sin(two_pi * m["f_theta"] * t + m["p_theta"])
        tr = m["tremor"]
        cx = m["cx"] + m["ax"] * math.sin(two_pi * m["fx"] * t + m["px"]) + \
            tr * math.sin(two_pi * m["ft1"] * t + m["pt"])
        cy = m["cy"] + m["ay"] * math.sin(two_pi * m["fy"] * t + m["py"]) + \
            tr * math.sin(two_pi * m["ft2"] * t + 1.7 * m["pt"])
        A = _matrix_affine(cx, cy, s, theta, *seg.anchor)
        wob = math.sin(two_pi * m["fk"] * t)
        kx, ky = m["kx"] * (0.5 + 0.5 * wob), m["ky"] * (0.5 - 0.5 * wob)
        # keystone about the centre of the ink: a small out-of-plane tilt
        T = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
        K = np.array([[1, 0, 0], [0, 1, 0], [kx, ky, 1.0]])
        Ti = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1.0]])
        return Ti @ K @ T @ A

    def _shake(self, seg: _Segment, tau: float) -> tuple[float, float]:
        dx = dy = 0.0
        for e in seg.episodes:
            if e.kind == "shake" and e.start <= tau <= e.start + e.length:
                u = (tau - e.start) / e.length
                amp = e.strength * 0.12 * min(self.width, self.height)
                d = amp * (1 - math.cos(2 * math.pi * u)) / 2
                dx, dy = dx + d * math.cos(e.angle), dy + d * math.sin(e.angle)
        return dx, dy

    def _geometry(self, seg: _Segment, tau: int) -> tuple[list[np.ndarray], np.ndarray]:
        """Homographies for the exposure sub-samples of frame ``tau`` and the digit hull
        points at the frame's time, (K, 1, 2) float32 in frame px, all kept in the frame."""
        allpts = np.vstack([d.hull for d in seg.digits])

        def at(tt: float) -> np.ndarray:
            M = self._matrix(seg, tt / self.fps)
            dx, dy = self._shake(seg, tt)
            return np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1.0]]) @ M

        M = at(tau)
        pts = cv2.perspectiveTransform(allpts, M)
        # keep every digit inside the frame: shift back if the motion carried it out
        mg = seg.motion["margin"]
        x0, y0 = pts[:, 0, 0].min(), pts[:, 0, 1].min()
        x1, y1 = pts[:, 0, 0].max(), pts[:, 0, 1].max()
        sx = max(0.0, mg - x0) - max(0.0, x1 - (self.width - 1 - mg))
        sy = max(0.0, mg - y0) - max(0.0, y1 - (self.height - 1 - mg))
        shift = np.array([[1, 0, sx], [0, 1, sy], [0, 0, 1.0]])
        pts = pts + np.array([sx, sy], np.float32)
        # motion blur: average sub-frame positions over the exposure while the sheet moves fast
        mats = [shift @ M]
        p_prev, p_next = cv2.perspectiveTransform(allpts[:1], at(tau - 0.5)), \
            cv2.perspectiveTransform(allpts[:1], at(tau + 0.5))
        speed = float(np.linalg.norm(p_next - p_prev))  # px per frame
        n_sub = int(np.clip(math.ceil(speed * 0.7 / 2.0), 1, 10))  # sub-exposures about 2 px apart
        if n_sub > 1:
            mats = [shift @ at(tau + 0.7 * (k / (n_sub - 1) - 0.5)) for k in range(n_sub)]
        return mats, pts

    def _boxes(self, seg: _Segment, pts: np.ndarray) -> list[ROI]:
        boxes = []
        i = 0
        for d in seg.digits:
            p = pts[i:i + len(d.hull), 0]
            i += len(d.hull)
            x0 = int(max(0, math.floor(p[:, 0].min())))
            y0 = int(max(0, math.floor(p[:, 1].min())))
            x1 = int(min(self.width, math.ceil(p[:, 0].max()) + 1))
            y1 = int(min(self.height, math.ceil(p[:, 1].max()) + 1))
            boxes.append(ROI(x0, y0, x1 - x0, y1 - y0))
        return boxes

    def _light_map(self, seg: _Segment, t: float) -> np.ndarray:
        """uint8 (H, W, 3) gain map, 128 = 1.0: exposure, colour cast, gradient,
        vignetting, shadow and glare at time ``t`` seconds."""
        L = seg.light
        xx, yy, aspect = light_grid(self.width, self.height)
        two_pi = 2 * math.pi
        g = L["g0"] + L["ag"] * math.sin(two_pi * L["fg"] * t + L["pg"])
        if t >= L["ae_t"]:  # auto-exposure step, then recovery
            g += L["ae_a"] * math.exp(-(t - L["ae_t"]) / 0.6)
        phi = L["grad_phi"] + L["grad_w"] * t
        gain = light_gain(xx, yy, aspect, g, L["grad"], (math.cos(phi), math.sin(phi)), L["vignette"])
        if L["shadow"] > 0:
            ph = L["sh_phi"]
            off = L["sh_off"] + L["sh_a"] * math.sin(two_pi * L["sh_f"] * t)
            d = (math.cos(ph) * xx + math.sin(ph) * yy - off) / L["sh_w"]
            gain *= 1 - L["shadow"] / (1 + np.exp(np.clip(-4 * d, -30, 30)))
        if L["glare"] > 0:
            r2 = ((xx - L["gl_x"]) ** 2 + (yy - L["gl_y"]) ** 2) / (L["gl_r"] ** 2)
            gain += L["glare"] * np.exp(-r2)
        return gain_map(gain[..., None] * seg.tint[None, None, :], self.width, self.height)

    def _compose(self, seg: _Segment, mats: list[np.ndarray], tau: int,
                 rng: np.random.Generator) -> np.ndarray:
        W, H = self.width, self.height
        if len(mats) == 1:
            img = seg.desk.copy()
            self._warp(seg, mats[0], img)
        else:  # motion blur: mean of sub-exposure warps
            acc = np.zeros((H, W, 3), np.float32)
            for M in mats:
                sub = seg.desk.copy()
                self._warp(seg, M, sub)
                cv2.accumulate(sub, acc)
            img = cv2.convertScaleAbs(acc, alpha=1.0 / len(mats))
        img = cv2.multiply(img, self._light_map(seg, tau / self.fps), scale=1 / 128.0)
        sigma = seg.soft_sigma
        for e in seg.episodes:
            if e.kind == "defocus" and e.start <= tau <= e.start + e.length:
                sigma = max(sigma, e.strength * 3.5 * math.sin(math.pi * (tau - e.start) / e.length))
        img = soft_blur(img, sigma)
        return self._sensor(img, seg.noise, seg.jpeg_quality, rng)

    def _warp(self, seg: _Segment, M: np.ndarray, dst: np.ndarray) -> None:
        """Draw the hand behind the sheet, warp the sheet onto ``dst`` (the desk) in place,
        then draw the thumb in front of it."""
        edge = tuple(int(c * 0.8) for c in seg.skin)
        if seg.palm is not None:
            palm = np.round(cv2.perspectiveTransform(seg.palm, M) * 16).astype(np.int32)
            cv2.fillPoly(dst, [palm], tuple(int(c * 0.85) for c in seg.skin), cv2.LINE_AA, 4)
        # warp only into the box the sheet covers: much less work when it is small in the frame
        hp, wp = seg.paper.shape[:2]
        box = np.array([[[0, 0]], [[wp, 0]], [[wp, hp]], [[0, hp]]], np.float32)
        corners = cv2.perspectiveTransform(box, M)
        x0 = int(np.clip(math.floor(corners[:, 0, 0].min()) - 1, 0, self.width))
        y0 = int(np.clip(math.floor(corners[:, 0, 1].min()) - 1, 0, self.height))
        x1 = int(np.clip(math.ceil(corners[:, 0, 0].max()) + 2, 0, self.width))
        y1 = int(np.clip(math.ceil(corners[:, 0, 1].max()) + 2, 0, self.height))
        if x1 > x0 and y1 > y0:
            sub = np.ascontiguousarray(dst[y0:y1, x0:x1])
            Ms = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]]) @ M
            cv2.warpPerspective(seg.paper, Ms, (x1 - x0, y1 - y0), dst=sub, flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_TRANSPARENT)
            dst[y0:y1, x0:x1] = sub
        if seg.thumb is not None and seg.nail is not None:
            poly = np.round(cv2.perspectiveTransform(seg.thumb, M) * 16).astype(np.int32)
            cv2.fillPoly(dst, [poly], seg.skin, cv2.LINE_AA, 4)
            cv2.polylines(dst, [poly], True, edge, 1, cv2.LINE_AA, 4)
            npoly = np.round(cv2.perspectiveTransform(seg.nail, M) * 16).astype(np.int32)
            nail_colour = (min(255, int(seg.skin[0] * 1.08 + 14)), min(255, int(seg.skin[1] * 1.06 + 12)),
                           min(255, int(seg.skin[2] * 1.04 + 16)))
            cv2.fillPoly(dst, [npoly], nail_colour, cv2.LINE_AA, 4)
            cv2.polylines(dst, [npoly], True, edge, 1, cv2.LINE_AA, 4)
