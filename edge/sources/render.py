"""The paper-and-ink renderer: paper, rulings, pens, ink on paper, light and a camera's last steps.

One renderer for every picture of handwriting in the project: the ``demo`` scene
(glyphs traced from skeletons, :mod:`edge.sources.handwriting`), the recoloured-MNIST
training data (``train.recoloured``), the realistic benchmark set
(``benchmarks.realistic_render``) and the personal-handwriting videos
(``train.personal_video``). Each brings its own glyphs as ink-coverage masks; this
module owns what they have in common:

- named pens and papers: :data:`PENS` / :data:`PEN_WEIGHTS`, :data:`PAPERS` (for
  :func:`edge.sources.procedural.pick`); free colours for training diversity:
  :func:`random_paper_colour`, :func:`contrasting_ink_colour`;
- paper: :func:`plain_paper` (any colour, grain), :func:`paper_sheet` (a named paper),
  :func:`rule_lines` / :func:`rule_paper` (ruled or squared lines);
- ink: :func:`pen_ink` (a pen's colour and opacity on one sheet), :func:`ink_texture`
  (pencil grain, ballpoint flow), :func:`composite_ink` (an alpha mask onto paper),
  :func:`ink_paper` (masks written with one pen);
- light and camera: :func:`light_field` (gradient, vignetting, a shadow edge) and
  :func:`camera_photo` (blur, sensor noise, JPEG).

Images are float32 BGR on the 0..255 scale until the one cast to uint8. Every function
draws only from the ``rng`` it is given, so results are a pure function of its state.
(The ``demo`` scene's own light and sensor model live in :mod:`edge.sources.procedural`.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import cv2
import numpy as np

from edge.sources.procedural import smooth_noise

#: Thinnest pen line at nominal scale, px.
MIN_STROKE_PX = 2.0

# name: (ink colour BGR, opacity range, stroke width as a fraction of digit height, max width px)
PENS: dict[str, tuple[tuple[int, int, int], tuple[float, float], tuple[float, float], float]] = {
    "blue ballpoint": ((120, 48, 28), (0.80, 0.95), (0.025, 0.05), 5.0),
    "black ballpoint": ((45, 38, 38), (0.85, 0.97), (0.025, 0.05), 5.0),
    "black marker": ((28, 26, 26), (0.94, 1.00), (0.07, 0.13), 10.0),
    "blue marker": ((110, 40, 20), (0.92, 1.00), (0.07, 0.12), 10.0),
    "pencil": ((95, 92, 90), (0.55, 0.78), (0.025, 0.045), 4.0),
    "red ballpoint": ((40, 40, 170), (0.85, 0.95), (0.025, 0.05), 5.0),
}
#: How often the ``demo`` scene picks each pen (red ink is for the benchmark set only).
PEN_WEIGHTS = {
    "blue ballpoint": 0.3,
    "black ballpoint": 0.25,
    "black marker": 0.2,
    "blue marker": 0.1,
    "pencil": 0.15,
}
# name: (colour BGR, probability)
PAPERS: dict[str, tuple[tuple[int, int, int], float]] = {
    "white": ((242, 244, 245), 0.45),
    "cream": ((214, 232, 240), 0.12),
    "recycled": ((212, 216, 216), 0.08),
    "yellow note": ((125, 228, 250), 0.17),
    "pink note": ((205, 185, 250), 0.05),
    "blue note": ((242, 218, 175), 0.05),
    "green note": ((170, 240, 200), 0.08),
}
#: Colours of printed rulings (BGR): light blue, grey; and a ruled sheet's red margin line.
RULE_COLOURS = ((225, 190, 160), (185, 185, 185))
MARGIN_COLOUR = (150, 150, 235)


# --------------------------------------------------------------------------------------
# Colours


def luma(bgr: Sequence[float] | np.ndarray) -> float:
    """Rec. 601 luma of one BGR colour (0..255)."""
    return float(0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2])


def random_paper_colour(rng: np.random.Generator) -> np.ndarray:
    """Any paper colour: white to grey, cream or recycled, or a light tint (sticky notes,
    coloured paper); float64 (3,) BGR with luma >= 120."""
    kind = rng.random()
    if kind < 0.4:  # white to grey paper
        c = np.full(3, rng.uniform(150, 250)) + rng.normal(0, 6, 3)
    elif kind < 0.7:  # cream / yellowish / recycled
        c = np.array([rng.uniform(120, 210), rng.uniform(170, 240), rng.uniform(190, 250)])
    else:  # coloured paper, sticky notes
        c = rng.uniform(110, 255, 3)
    c = np.clip(c, 0, 255)
    return c if luma(c) >= 120 else c * (120.0 / max(luma(c), 1.0))


def contrasting_ink_colour(
    rng: np.random.Generator, paper: np.ndarray, min_contrast: float = 45.0
) -> np.ndarray:
    """Any ink colour (black, blue, red, green, pencil grey) darker than ``paper`` (BGR) by
    at least ``min_contrast`` luma levels (a device threshold needs some); float64 (3,) BGR."""
    kind = rng.random()
    if kind < 0.35:
        c = np.full(3, rng.uniform(0, 60)) + rng.normal(0, 5, 3)  # black / dark pen
    elif kind < 0.6:
        c = np.array([rng.uniform(90, 200), rng.uniform(0, 70), rng.uniform(0, 50)])  # blue
    elif kind < 0.7:
        c = np.array([rng.uniform(0, 60), rng.uniform(0, 60), rng.uniform(120, 210)])  # red
    elif kind < 0.8:
        c = np.array([rng.uniform(0, 70), rng.uniform(70, 150), rng.uniform(0, 60)])  # green
    else:
        c = np.full(3, rng.uniform(60, 120)) + rng.normal(0, 4, 3)  # pencil grey
    c = np.clip(c, 0, 255)
    if luma(paper) - luma(c) < min_contrast:
        c = np.clip(c * max(0.0, (luma(paper) - min_contrast) / max(luma(c), 1.0)), 0, 255)
    return c


# --------------------------------------------------------------------------------------
# Paper


def plain_paper(
    rng: np.random.Generator,
    shape: tuple[int, int],
    colour: Sequence[float] | np.ndarray,
    grain: Iterable[tuple[float, int]] = (),
) -> np.ndarray:
    """A sheet of one colour with a paper grain.

    Args:
        rng: source of the grain.
        shape: ``(H, W)`` px.
        colour: BGR 0..255.
        grain: ``(amplitude, cell)`` pairs: smooth noise of about ``amplitude`` grey
            levels standard deviation and features of ``cell`` px (int >= 1), summed.

    Returns:
        float32 (H, W, 3) BGR in 0..255.
    """
    base = np.asarray(colour, np.float32)
    tex: np.ndarray = np.zeros(shape, np.float32)
    for amplitude, cell in grain:
        tex = tex + amplitude * smooth_noise(rng, shape, cell)
    return np.clip(base[None, None, :] + tex[..., None], 0, 255).astype(np.float32)


def paper_sheet(rng: np.random.Generator, name: str, shape: tuple[int, int], hf: float) -> np.ndarray:
    """float32 (Hp, Wp, 3) BGR sheet of the :data:`PAPERS` paper ``name`` (its colour, jittered)
    with a faint texture scaled to the digit height ``hf`` (px)."""
    base = np.array(PAPERS[name][0], np.float32) + rng.normal(0, 4, 3).astype(np.float32)
    return plain_paper(rng, shape, base, grain=((2.5, max(8, int(hf))), (1.2, 2)))


def rule_lines(
    paper: np.ndarray, colour: Sequence[float], rows: Iterable[float] = (), cols: Iterable[float] = ()
) -> None:
    """Draw 1 px antialiased lines across float32 (H, W, 3) BGR ``paper`` in place: horizontal
    at ``rows``, vertical at ``cols`` (px, sub-pixel positions kept to 1/16 px; a wider line
    is adjacent 1 px lines: OpenCV's antialiased thickness 2 is 3 px wide)."""
    h, w = paper.shape[:2]
    for y in rows:
        cv2.line(paper, (0, int(y * 16)), ((w - 1) * 16, int(y * 16)), colour, 1, cv2.LINE_AA, 4)
    for x in cols:
        cv2.line(paper, (int(x * 16), 0), (int(x * 16), (h - 1) * 16), colour, 1, cv2.LINE_AA, 4)


def rule_paper(rng: np.random.Generator, paper: np.ndarray, kind: str, hf: float, top: float) -> None:
    """Draw ruled (``kind="ruled"``, sometimes with a margin line) or squared lines onto
    float32 (Hp, Wp, 3) BGR ``paper`` in place; ``hf`` is the digit height (px), ``top``
    the paper's top margin (px), where the first rule is aligned from."""
    h, w = paper.shape[:2]
    colour = RULE_COLOURS[0] if rng.random() < 0.7 else RULE_COLOURS[1]
    if kind == "ruled":
        step = hf * rng.uniform(0.9, 1.4)
        y = top % step + step * rng.uniform(0, 1)
        rows = []
        while y < h:
            rows.append(y)
            y += step
        rule_lines(paper, colour, rows=rows)
        if rng.random() < 0.5:
            x = int(w * rng.uniform(0.05, 0.15) * 16)
            rule_lines(paper, MARGIN_COLOUR, cols=[x / 16])
    else:
        step = hf * rng.uniform(0.3, 0.55)
        rows = list(np.arange(rng.uniform(0, step), h, step))
        rule_lines(paper, colour, rows=rows, cols=np.arange(rng.uniform(0, step), w, step))


# --------------------------------------------------------------------------------------
# Ink


def pen_ink(rng: np.random.Generator, pen: str) -> tuple[np.ndarray, float]:
    """The ink of :data:`PENS` pen ``pen`` on one sheet: float32 (3,) BGR colour (the pen's,
    jittered) and an opacity in the pen's range."""
    ink_bgr, opacity_range, _, _ = PENS[pen]
    opacity = rng.uniform(*opacity_range)
    return np.array(ink_bgr, np.float32) + rng.normal(0, 6, 3).astype(np.float32), opacity


def ink_texture(rng: np.random.Generator, alpha: np.ndarray, pen: str) -> np.ndarray:
    """float32 (h, w) ink alpha with the pen's texture: a pencil's graphite grain, a
    ballpoint's uneven flow along the stroke; a marker's as it is."""
    if "pencil" in pen:
        return alpha * rng.uniform(0.55, 1.0, size=alpha.shape).astype(np.float32)
    if "ballpoint" in pen:
        return alpha * np.clip(0.9 + 0.08 * smooth_noise(rng, (alpha.shape[0], alpha.shape[1]), 6), 0.7, 1.0)
    return alpha


def composite_ink(
    paper: np.ndarray,
    alpha: np.ndarray,
    x: int,
    y: int,
    ink: Sequence[float] | np.ndarray,
    opacity: float = 1.0,
) -> None:
    """Lay ink onto a sheet, in place: ``paper * (1 - a) + ink * a`` with ``a = alpha * opacity``.

    Args:
        paper: float32 (H, W, 3) BGR 0..255, written in place.
        alpha: float32 (h, w) ink coverage in [0, 1].
        x: left edge of ``alpha`` on the paper, px (parts off the paper are cut off).
        y: top edge, px.
        ink: BGR 0..255.
        opacity: the pen's opacity in [0, 1].
    """
    h, w = alpha.shape
    H, W = paper.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x]
    if opacity != 1.0:
        a = a * np.float32(opacity)
    region = paper[y0:y1, x0:x1]
    region[:] = region * (1 - a[..., None]) + np.asarray(ink, np.float32) * a[..., None]


def ink_paper(
    rng: np.random.Generator, paper: np.ndarray, pen: str, marks: list[tuple[np.ndarray, int, int]]
) -> np.ndarray:
    """Write ink coverage masks onto a sheet with one pen.

    Args:
        rng: source of the ink's colour, opacity and texture.
        paper: float32 (Hp, Wp, 3) BGR sheet (from :func:`paper_sheet`), written in place.
        pen: a key of :data:`PENS`: its colour and opacity (:func:`pen_ink`) and texture
            (:func:`ink_texture`).
        marks: ``(mask, x, y)``: uint8 (h, w) coverage (from
            :func:`edge.sources.handwriting.render_digit`) and its top-left corner on the sheet, px.

    Returns:
        uint8 (Hp, Wp, 3) BGR, the inked sheet.
    """
    ink, opacity = pen_ink(rng, pen)
    for mask, x0, y0 in marks:
        a = ink_texture(rng, mask.astype(np.float32) * (opacity / 255.0), pen)
        composite_ink(paper, a, x0, y0, ink)
    return np.clip(paper + 0.5, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------
# Light and camera


def light_field(
    rng: np.random.Generator,
    shape: tuple[int, int],
    *,
    level: tuple[float, float] = (1.0, 1.0),
    gradient: tuple[float, float] = (0.0, 0.5),
    vignette: tuple[float, float] = (0.0, 0.0),
    shadow: float = 0.0,
    shadow_depth: tuple[float, float] = (0.2, 0.55),
    shadow_softness: tuple[float, float] = (0.005, 0.08),
    info: dict[str, Any] | None = None,
) -> np.ndarray:
    """The light falling on a sheet, as a gain to multiply a float BGR image by.

    Each range ``(lo, hi)`` is drawn uniformly: an exposure ``level``; a linear fall-off
    of ``gradient`` per frame size in a random direction; radial ``vignette`` (the
    corners get ``1 - vignette / 2``); with probability ``shadow`` a straight shadow edge
    (a hand, the phone) darkening one side by ``shadow_depth``, blurred over
    ``shadow_softness`` of the frame size. ``info``, if given, is filled with what was
    drawn (no extra random numbers): ``"shadow"``, float32 (H, W) gain of the shadow alone
    (1 = unshaded), or ``None`` when there is none.

    Returns:
        float32 (H, W) gain (about 1 = as lit).
    """
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx, yy = xx / w - 0.5, yy / h - 0.5
    ang = rng.uniform(0, 2 * np.pi)
    light = rng.uniform(*level) + rng.uniform(*gradient) * (np.cos(ang) * xx + np.sin(ang) * yy)
    if vignette[1] > 0:
        light *= 1 - rng.uniform(*vignette) * (xx**2 + yy**2)
    shade = None
    if rng.random() < shadow:
        a2 = rng.uniform(0, 2 * np.pi)
        side = np.cos(a2) * xx + np.sin(a2) * yy - rng.uniform(-0.4, 0.4)
        edge = 1 / (1 + np.exp(-side / rng.uniform(*shadow_softness)))
        shade = 1 - rng.uniform(*shadow_depth) * edge
        light *= shade
    if info is not None:
        info["shadow"] = None if shade is None else np.asarray(shade, np.float32)
    return np.asarray(light, np.float32)


def camera_photo(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    blur_px: float = 0.0,
    noise_sd: float = 0.0,
    jpeg_quality: int | None = None,
) -> np.ndarray:
    """A camera's last steps: Gaussian blur of ``blur_px`` (skipped below 0.3), sensor noise
    of ``noise_sd`` grey levels, one rounding cast, and a JPEG round trip at ``jpeg_quality``
    (none with ``None``).

    Args:
        img: float32 (H, W, 3) BGR 0..255 (not modified).
        rng: source of the noise.

    Returns:
        uint8 (H, W, 3) BGR.
    """
    if blur_px >= 0.3:
        img = cv2.GaussianBlur(img, (0, 0), blur_px)
    if noise_sd > 0:
        img = img + rng.normal(0, noise_sd, img.shape).astype(np.float32)
    out = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    if jpeg_quality is not None:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            out = np.asarray(decoded, np.uint8)
    return out


__all__ = [
    "MARGIN_COLOUR",
    "MIN_STROKE_PX",
    "PAPERS",
    "PENS",
    "PEN_WEIGHTS",
    "RULE_COLOURS",
    "camera_photo",
    "composite_ink",
    "contrasting_ink_colour",
    "ink_paper",
    "ink_texture",
    "light_field",
    "luma",
    "paper_sheet",
    "pen_ink",
    "plain_paper",
    "random_paper_colour",
    "rule_lines",
    "rule_paper",
]
