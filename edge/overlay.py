"""Draw what the pipeline read onto a copy of the frame.

Boxes, ``label score%`` tags (digits, or the hand and its gesture, with ``Left``/``Right``
for hands whose landmarks were found), MediaPipe's 21 hand landmarks and skeleton
(:func:`draw_hand`, coloured by finger as MediaPipe's default hand style), the grouped
number(s), FPS and per-stage milliseconds,
all with OpenCV drawing calls (no per-pixel Python), so the overlay costs well under
a millisecond on a 640x480 frame.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import cv2
import numpy as np

from edge.segment.hand_landmarks import HAND_CONNECTIONS
from edge.types import NO_GESTURE_LABELS, ROI, Detection

FONT = cv2.FONT_HERSHEY_SIMPLEX
#: BGR colours.
GREEN, YELLOW, RED = (60, 200, 60), (0, 210, 240), (40, 40, 230)
BLUE, WHITE, BLACK = (230, 140, 30), (255, 255, 255), (0, 0, 0)
GREY = (150, 150, 150)
#: Short stage names for the HUD.
SHORT = {
    "segment": "seg",
    "preprocess": "pre",
    "classify": "cls",
    "smooth": "smooth",
    "palm": "palm",
    "landmarks": "lm",
}
#: BGR colour of each hand landmark, by finger (after MediaPipe's
#: ``drawing_styles.get_default_hand_landmarks_style``): palm red, thumb peach, index purple,
#: middle yellow, ring green, little finger blue.
_PALM, _THUMB, _INDEX = (48, 48, 255), (180, 229, 255), (128, 64, 128)
_MIDDLE, _RING, _PINKY = (0, 204, 255), (48, 255, 48), (192, 101, 21)
LANDMARK_COLOURS: tuple[tuple[int, int, int], ...] = (
    _PALM,
    _PALM,
    _THUMB,
    _THUMB,
    _THUMB,
    _PALM,
    _INDEX,
    _INDEX,
    _INDEX,
    _PALM,
    _MIDDLE,
    _MIDDLE,
    _MIDDLE,
    _PALM,
    _RING,
    _RING,
    _RING,
    _PALM,
    _PINKY,
    _PINKY,
    _PINKY,
)
#: BGR colour of the skeleton's bones.
BONE = (224, 224, 224)


def score_colour(score: float) -> tuple[int, int, int]:
    """BGR colour for a confidence: green >= 0.8, yellow >= 0.5, red below."""
    return GREEN if score >= 0.8 else YELLOW if score >= 0.5 else RED


def _tag(
    img: np.ndarray,
    text: str,
    x: int,
    y: int,
    colour: tuple[int, int, int],
    scale: float,
    thick: int,
    above: bool = True,
) -> None:
    """Text on a filled box whose bottom-left (``above``) or top-left is (x, y), kept inside."""
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    h_img, w_img = img.shape[:2]
    pad = max(2, thick)
    bh = th + base + 2 * pad
    top = y - bh if above else y
    if top < 0:
        top = min(y, h_img - bh) if above else max(0, h_img - bh)
    top = max(0, min(top, h_img - bh))
    left = max(0, min(x, w_img - tw - 2 * pad))
    cv2.rectangle(img, (left, top), (left + tw + 2 * pad, top + bh), colour, -1)
    luma = 0.114 * colour[0] + 0.587 * colour[1] + 0.299 * colour[2]
    text_colour = BLACK if luma > 120 else WHITE
    cv2.putText(img, text, (left + pad, top + pad + th), FONT, scale, text_colour, thick, cv2.LINE_AA)


def draw_hand(img: np.ndarray, landmarks: np.ndarray, thick: int = 2, muted: bool = False) -> None:
    """Draw 21 hand landmarks and the skeleton (:data:`HAND_CONNECTIONS`) in place.

    One ``cv2.polylines`` call for the bones and one ``cv2.circle`` per landmark.

    Args:
        img: uint8 (H, W, 3) BGR image, drawn on.
        landmarks: float (21, 2+) landmarks, x and y in the image's pixels (z ignored).
        thick: bone thickness in px (landmark radius ``thick + 1``).
        muted: draw everything grey (a hand with no gesture).
    """
    pts = np.round(np.asarray(landmarks, np.float64)[:, :2] * 16).astype(np.int32)  # 4 fractional bits
    bones = [pts[[a, b]] for a, b in HAND_CONNECTIONS]
    cv2.polylines(img, bones, False, GREY if muted else BONE, thick, cv2.LINE_AA, shift=4)
    for i, (x, y) in enumerate(pts):
        cv2.circle(
            img,
            (int(x), int(y)),
            (thick + 1) * 16,
            GREY if muted else LANDMARK_COLOURS[i],
            -1,
            cv2.LINE_AA,
            shift=4,
        )


def draw_overlay(
    image: np.ndarray,
    detections: Sequence[Detection],
    numbers: Sequence[tuple[str, ROI]] = (),
    fps: float | None = None,
    timings_ms: Mapping[str, float] | None = None,
    status: str | None = None,
    no_gesture_labels: Collection[str] = NO_GESTURE_LABELS,
    hands: Sequence[ROI] = (),
    top: Sequence[Sequence[tuple[str, float]]] = (),
) -> np.ndarray:
    """Annotated copy of a frame.

    Args:
        image: uint8 (H, W, 3) BGR frame; not modified.
        detections: boxes with their predictions; drawn with ``label score%``, plus the
            handedness (``label score% Right``) and the landmarks and skeleton
            (:func:`draw_hand`) when the ROI carries them.
        numbers: grouped numbers as ``(string, ROI)``; each of two or more digits
            drawn as a thin box around its digits with the number under it.
        fps: frames per second to show in the top-left corner.
        timings_ms: per-stage milliseconds (e.g. ``FrameResult.timings_ms``) shown
            under the FPS; a ``"total"`` key is shown last.
        status: an extra word for the HUD, e.g. ``"PAUSED"``.
        no_gesture_labels: labels that mean "nothing recognised" (a hands model's ``none``,
            :data:`edge.types.NO_GESTURE_LABELS`): such detections get a thin grey box and
            tag instead of a score colour; ``()`` draws every label in its score colour.
        hands: more ROIs whose landmarks are drawn (grey, no box or tag): hands found but
            not shown as detections (classified ``none``), so the skeleton does not
            blink off when the gesture is unclear.
        top: per detection, its best (label, score) pairs (a ``classify`` model's top-k,
            :attr:`edge.pipeline.FrameResult.top`): listed in the top-right corner, one line
            each, best first; those detections get a box (unless it is the whole frame)
            and no tag of their own.

    Returns:
        uint8 (H, W, 3) BGR copy with the overlay.

    Raises:
        ValueError: ``image`` is not uint8 (H, W, 3).
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"overlay needs a uint8 (H, W, 3) BGR image, got {image.dtype} {image.shape}")
    out = image.copy()
    h, w = out.shape[:2]
    scale = max(0.35, min(1.2, min(w, h) / 800.0))
    thick = 1 if scale < 0.7 else 2

    for text, roi in numbers:
        if len(text) < 2:  # a lone digit: its own tag already says it
            continue
        p0, p1 = (roi.x - 3, roi.y - 3), (roi.x + roi.w + 3, roi.y + roi.h + 3)
        cv2.rectangle(out, p0, p1, BLUE, 1, cv2.LINE_AA)
        _tag(out, text, roi.x - 3, roi.y + roi.h + 4, BLUE, scale * 1.4, thick + 1, above=False)

    for roi in hands:
        if roi.landmarks is not None:
            draw_hand(out, roi.landmarks, thick, muted=True)
    listed = len(top)
    for i, (det, pairs) in enumerate(zip(detections, top, strict=False)):
        r = det.roi
        if (r.x, r.y, r.w, r.h) != (0, 0, w, h):
            cv2.rectangle(out, (r.x, r.y), (r.x + r.w, r.y + r.h), score_colour(det.prediction.score), thick)
        _top_panel(out, pairs, i, scale, thick)
    for det in detections[listed:]:
        r, p = det.roi, det.prediction
        quiet = p.label in no_gesture_labels
        colour = GREY if quiet else score_colour(p.score)
        if r.landmarks is not None:
            draw_hand(out, r.landmarks, thick, muted=quiet)
        cv2.rectangle(out, (r.x, r.y), (r.x + r.w, r.y + r.h), colour, 1 if quiet else thick + 1)
        side = f" {r.handedness}" if r.handedness else ""
        _tag(out, f"{p.label} {100.0 * p.score:.0f}%{side}", r.x, r.y, colour, scale, thick)

    lines = []
    head: list[str] = []
    if fps is not None:
        head.append(f"{fps:.1f} FPS")
    if status:
        head.append(status)
    if head:
        lines.append("  ".join(head))
    if timings_ms:
        stages = [k for k in timings_ms if k != "total"] + (["total"] if "total" in timings_ms else [])
        lines.append(" ".join(f"{SHORT.get(k, k)} {timings_ms[k]:.1f}" for k in stages) + " ms")
    y = 0
    for line in lines:
        (_, th), base = cv2.getTextSize(line, FONT, scale, thick)
        _tag(out, line, 0, y, BLACK, scale, thick, above=False)
        y += th + base + 2 * max(2, thick)
    return out


def _top_panel(img: np.ndarray, pairs: Sequence[tuple[str, float]], n: int, scale: float, thick: int) -> None:
    """Draw ``label score%`` lines, best first, right-aligned at the top (panel ``n`` below earlier ones)."""
    h_img, w_img = img.shape[:2]
    y = n * (len(pairs) + 1) * int(30 * scale + 8)
    for j, (label, score) in enumerate(pairs):
        s = scale * (1.3 if j == 0 else 1.0)
        text = f"{label} {100.0 * score:.0f}%"
        t = thick + (j == 0)
        (tw, th), base = cv2.getTextSize(text, FONT, s, t)
        _tag(img, text, w_img - tw - 2 * max(2, t), y, score_colour(score), s, t, above=False)
        y += th + base + 2 * max(2, thick) + 2
