"""Handwritten-looking digits traced from skeletons: the glyph source of the ``demo`` scene.

:func:`render_digit` draws one digit as a uint8 ink-coverage mask. Digits are drawn
procedurally, not from a font: each digit has several skeleton variants
(:mod:`edge.sources.glyphs`); control points go through a writer's slant, width and
rotation (:class:`HandStyle`), a smooth random warp and per-point jitter, and are
joined by centripetal Catmull-Rom splines drawn antialiased at 4x resolution with a
slowly varying pen pressure, then reduced with area averaging. The mask is written onto
paper with a pen by :mod:`edge.sources.render` (the paper-and-ink renderer).

Every function draws only from the ``rng`` it is given, so results are a pure
function of its state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from edge.sources.glyphs import GLYPHS, check_label


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
        for label, glyphs in GLYPHS.items():
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


def _skeleton(
    label: str, rng: np.random.Generator, style: HandStyle, variant: int | None
) -> list[np.ndarray]:
    """Jittered control points of one digit instance, as (N, 2) arrays in glyph units."""
    glyphs = GLYPHS[label]
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


def render_digit(
    label: str | int,
    rng: np.random.Generator,
    size_px: int,
    *,
    stroke_px: float | None = None,
    style: HandStyle | None = None,
    variant: int | None = None,
    pad_px: int | None = None,
) -> np.ndarray:
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
    label = check_label(label)
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
            seg = curve[i : min(i + run + 1, n)]
            if len(seg) < 2:
                continue
            p = 1.0 + pressure_amp * math.sin(pressure_phase + arc[i] / (ss * size_px) * 5.0)
            th = max(1, int(round(stroke_px * ss * p)))
            cv2.polylines(canvas, [np.round(seg * 16).astype(np.int32)], False, 255, th, cv2.LINE_AA, shift=4)
    return cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)


__all__ = ["HandStyle", "render_digit"]
