"""Videos of one "personal" handwriting style, to rehearse capture -> retrain -> compare.

The retraining loop (``edge-capture`` from a video, ``edge-train lenet --extra``,
``edge-eval --model A --model B --report``) is meant for your own handwriting filmed
with your own camera. When you have no such video (or in tests), this writes one
video per digit in a consistent style that differs from MNIST's: a slashed zero, a
one with a flag and a base, a two with a loop, a closed four, a crossed seven, a
nine with a straight stem, and OpenCV's Hershey script font for the other digits,
in ballpoint-thin to marker-thick strokes of dark ink on lit paper, held by a
slightly moving hand in front of a noisy camera.

Each video is ``<out>/digit-<d>.mp4`` (640x480 BGR, 30 fps, mp4v), holding a new
instance of the digit every ``hold`` frames::

    python -m train.personal_video --out runs/personal-videos --frames 90 --hold 3

Then, per digit ``d``: ``edge-capture --model digits --source runs/personal-videos/digit-d.mp4
--label d --every 3 --count 20 --out runs/personal-samples``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from edge.sources.render import camera_photo, composite_ink, light_field, plain_paper

#: Frame size (width, height) and rate of the videos.
FRAME_SIZE = (640, 480)
FPS = 30.0


def draw_glyph(digit: int, rng: np.random.Generator, size: int = 112) -> np.ndarray:
    """One instance of ``digit`` in the personal style: uint8 (size, size) ink mask, 0..255.

    Raises:
        ValueError: ``digit`` not in 0..9.
    """
    if not 0 <= digit <= 9:
        raise ValueError(f"digit must be 0..9, got {digit}")
    c = np.zeros((112, 112), np.uint8)
    th = int(rng.integers(4, 10))
    aa = cv2.LINE_AA
    j = rng.normal(0.0, 2.0, 8).round().astype(int)  # hand-to-hand variation of the shapes
    if digit == 0:  # slashed zero
        cv2.ellipse(c, (56, 56), (22 + j[0], 36 + j[1]), 0, 0, 360, 255, th, aa)
        cv2.line(c, (30 + j[2], 92), (82 + j[3], 20), 255, th, aa)
    elif digit == 1:  # flag and base
        cv2.line(c, (56, 18), (56 + j[0], 94), 255, th, aa)
        cv2.line(c, (56, 18), (30 + j[1], 44 + j[2]), 255, th, aa)
        cv2.line(c, (38 + j[3], 94), (74 + j[4], 94), 255, th, aa)
    elif digit == 2:  # loop at the bottom
        cv2.ellipse(c, (56, 38), (20 + j[0], 18), 0, 180, 390, 255, th, aa)
        cv2.line(c, (72, 50), (34, 88), 255, th, aa)
        cv2.circle(c, (40, 84), 7 + abs(j[1]) // 2, 255, th, aa)
        cv2.line(c, (44, 90), (84 + j[2], 90), 255, th, aa)
    elif digit == 4:  # closed four
        pts = np.array([[66 + j[0], 18], [30, 70 + j[1]], [84 + j[2], 70]])
        cv2.polylines(c, [pts], True, 255, th, aa)
        cv2.line(c, (66 + j[0], 18), (66 + j[3], 96), 255, th, aa)
    elif digit == 7:  # crossed seven
        cv2.putText(c, "7", (30, 92), cv2.FONT_HERSHEY_SIMPLEX, 2.8, 255, th, aa)
        cv2.line(c, (38 + j[0], 58 + j[1]), (78 + j[2], 58 + j[3]), 255, th, aa)
    elif digit == 9:  # straight stem
        cv2.circle(c, (56, 40), 20 + j[0], 255, th, aa)
        cv2.line(c, (76 + j[0], 40), (74 + j[1], 96), 255, th, aa)
    else:
        cv2.putText(c, str(digit), (28 + j[0], 92), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 2.8, 255, th, aa)
    m = cv2.getRotationMatrix2D((56, 56), float(rng.uniform(-12, 12)), float(rng.uniform(0.9, 1.1)))
    m[0, 1] += float(rng.uniform(-0.15, 0.15))  # slant
    c = cv2.warpAffine(c, m, (112, 112))
    return c if size == 112 else cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA)


def render_frame(
    glyph: np.ndarray,
    rng: np.random.Generator,
    centre: tuple[float, float],
    height_px: int,
    ink_bgr: tuple[int, int, int],
    paper: np.ndarray,
) -> np.ndarray:
    """The glyph written on ``paper`` (float32 (H, W, 3) BGR, from :func:`make_paper`) at
    ``centre`` (px), ``height_px`` tall, through a camera (blur, sensor noise), with
    :mod:`edge.sources.render`. Returns uint8 (H, W, 3) BGR."""
    img = paper.astype(np.float32)  # a copy: the sheet is reused for the next frames
    g = cv2.resize(glyph, (height_px, height_px), interpolation=cv2.INTER_LINEAR)
    x0 = int(round(centre[0] - height_px / 2))
    y0 = int(round(centre[1] - height_px / 2))
    composite_ink(img, g.astype(np.float32) / 255.0, x0, y0, ink_bgr)
    return camera_photo(img, rng, blur_px=float(rng.uniform(0.6, 1.4)), noise_sd=4.0)


def make_paper(rng: np.random.Generator, size: tuple[int, int] = FRAME_SIZE) -> np.ndarray:
    """Lit paper filling the frame (``size`` = (W, H) px): float32 (H, W, 3) BGR 0..255, a warm or
    cool white with a faint texture (:func:`edge.sources.render.plain_paper`) under a light
    gradient (a desk lamp, :func:`edge.sources.render.light_field`)."""
    w, h = size
    base = np.array([rng.uniform(200, 235), rng.uniform(205, 240), rng.uniform(210, 245)], np.float32)
    paper = plain_paper(rng, (h, w), base, grain=((1.5, 3),))
    return paper * light_field(rng, (h, w), gradient=(0.0, 0.3))[..., None]


def write_video(path: Path, digit: int, frames: int, hold: int, seed: int) -> int:
    """Write ``frames`` frames of ``digit``, a new instance every ``hold`` frames.

    Returns:
        The number of distinct instances written.

    Raises:
        RuntimeError: OpenCV cannot open a writer for ``path``.
    """
    rng = np.random.default_rng([seed, digit])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, FRAME_SIZE)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path} (mp4v); check the folder and codec")
    instances = 0
    try:
        paper = make_paper(rng)
        for i in range(frames):
            if i % hold == 0:
                glyph = draw_glyph(digit, rng)
                ink = (int(rng.uniform(20, 90)), int(rng.uniform(10, 40)), int(rng.uniform(0, 30)))
                centre = (float(rng.uniform(220, 420)), float(rng.uniform(170, 310)))
                size = int(rng.uniform(110, 200))
                instances += 1
                if i % (hold * 8) == 0:
                    paper = make_paper(rng)  # another sheet now and then
            drift = (centre[0] + rng.normal(0, 1.5), centre[1] + rng.normal(0, 1.5))
            writer.write(render_frame(glyph, rng, drift, size, ink, paper))
    finally:
        writer.release()
    return instances


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m train.personal_video",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", required=True, help="folder for digit-0.mp4 .. digit-9.mp4")
    p.add_argument("--frames", type=int, default=90, help="frames per video (30 fps)")
    p.add_argument("--hold", type=int, default=3, help="frames each instance is shown")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--digits", default="0123456789", help="which digits to write")
    a = p.parse_args(argv)
    if a.frames < 1 or a.hold < 1:
        print("error: --frames and --hold must be >= 1", file=sys.stderr)
        return 2
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for ch in a.digits:
        n = write_video(out / f"digit-{ch}.mp4", int(ch), a.frames, a.hold, a.seed)
        print(f"wrote {out / f'digit-{ch}.mp4'}: {a.frames} frames, {n} instances")
    return 0


if __name__ == "__main__":
    sys.exit(main())
