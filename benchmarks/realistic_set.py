"""The camera-like digits set on disk: images, ink boxes and the conditions each image was drawn under.

:func:`generate` writes what ``realistic_digits.py generate`` makes with
:mod:`benchmarks.realistic_render`:

- ``OUT/crops/<digit>/NNNNN.png`` and ``OUT/frames/<digit>/NNNNN.png`` (``NNNNN`` numbers
  the images of a kind, unique across digits);
- ``OUT/truth.json``: ``{"frames/3/00012.png": [x, y, w, h], ...}``, the digit's ink box px;
- ``OUT/conditions.json``: ``{"crops/3/00012.png": {...}, ...}``, what was drawn for each
  image, named by :func:`describe` (for ``realistic_digits.py breakdown``,
  :mod:`benchmarks.realistic_breakdown`).

Recording the conditions draws no random numbers: the images are the same bytes as without it.
Generated images are derived from third-party data: never commit them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.realistic_render import load_sources, make_crop, make_frame
from edge.sources.render import luma

log = logging.getLogger(__name__)

#: Darkening of the digit by a shadow (1 - gain) below which the shadow counts as beside it,
#: and the spread of that darkening over the digit's box above which its edge crosses the digit.
SHADOW_ON, SHADOW_EDGE = 0.05, 0.1
#: Handwriting source by glyph shape (:func:`load_sources`): MNIST test 28x28, OpenCV ``digits.png`` 20x20.
SOURCE_KINDS = {(28, 28): "mnist", (20, 20): "opencv-digits"}


def stroke_width(alpha: np.ndarray) -> float:
    """Mean stroke width (px) of an ink mask: ``2 * area / perimeter`` of ``alpha > 0.5``
    (a stroke of length L and width w has area L*w and perimeter about 2L).

    Args:
        alpha: float (h, w) ink coverage in [0, 1].

    Returns:
        Width px (0 for an empty mask).
    """
    mask = (alpha > 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return float(2 * mask.sum() / perimeter) if perimeter > 0 else 0.0


def _jacobian(M: np.ndarray, x: float, y: float) -> np.ndarray:
    """float64 (2, 2) derivative of the homography ``M`` at (x, y)."""
    pts = np.array([[[x, y], [x + 1, y], [x, y + 1]]], np.float64)
    q = cv2.perspectiveTransform(pts, np.asarray(M, np.float64))[0]
    return np.stack([q[1] - q[0], q[2] - q[0]], axis=1)


def describe(info: dict[str, Any], kind: str) -> dict[str, Any]:
    """Name the conditions of one image from what :func:`make_crop` / :func:`make_frame` recorded.

    Args:
        info: the ``info`` dict filled by the renderer.
        kind: ``"crops"`` or ``"frames"``.

    Returns:
        JSON-ready dict: ``paper`` (a :data:`edge.sources.render.PAPERS` name), ``ruling``
        (plain, lined, squared), ``rule_step_px`` / ``rule_px`` (line spacing and width; None on
        plain paper), ``digit_per_rule`` (ink height / line spacing), ``pen`` (a
        :data:`edge.sources.render.PENS` name), ``ink_opacity``, ``ink_contrast`` (paper minus ink
        luma times opacity, grey levels, before light), ``ink_px`` (the digit's ink box height in
        the image), ``box`` ([x, y, w, h] px), ``image_px`` ([w, h]), ``stroke_px`` (mean stroke
        width, :func:`stroke_width`) and ``stroke_rel`` (/ ink height), ``rotation_deg``
        (magnitude of the rotation at the digit, perspective included), ``stretch`` (ratio of the
        perspective's largest to smallest scale at the digit, 1 = none), ``light`` (mean light
        gain over the digit box, 1 = as lit) and ``light_uneven`` ((max - min) / max over it),
        ``shadow`` (none, beside digit, across digit, over digit), ``blur_px``, ``blur_rel``
        (/ ink height), ``noise_sd`` (grey levels), ``jpeg`` (quality), ``distractors`` (a list
        of specks, paper edge, finger, shadow), ``specks`` (count), ``paper_edge`` (share of
        the image beyond the paper), ``finger`` (share covered); crops: ``margin`` (smallest
        margin around the ink / its larger side); frames: ``cut`` (the ink box touches the
        frame's border).
    """
    x, y, w, h = (int(v) for v in info["box"])
    light = info["light"]
    H, W = light.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    on = light[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else light
    shade = info.get("shadow")
    if shade is None:
        shadow = "none"
    else:
        dark = 1.0 - (shade[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else shade)
        if dark.max() < SHADOW_ON:
            shadow = "beside digit"
        elif dark.max() - dark.min() > SHADOW_EDGE:
            shadow = "across digit"
        else:
            shadow = "over digit"
    J = _jacobian(info["M"], *info["centre"])
    sv = np.linalg.svd(J, compute_uv=False)
    rotation = float(np.degrees(np.arctan2(J[1, 0] - J[0, 1], J[0, 0] + J[1, 1])))
    alpha = info["alpha"]
    stroke = stroke_width(alpha)
    rows = np.flatnonzero((alpha > 0.5).any(axis=1))
    alpha_h = int(rows[-1] - rows[0] + 1) if rows.size else 1
    ink_bgr, opacity = info["ink"]
    step = info.get("rule_step_px")
    distractors = [
        name
        for name, present in (
            ("specks", info["specks"] > 0),
            ("paper edge", info["table_share"] > 0),
            ("finger", info["finger_share"] > 0),
            ("shadow", shade is not None),
        )
        if present
    ]
    out: dict[str, Any] = {
        "paper": info["paper"],
        "ruling": info["ruling"],
        "rule_step_px": step,
        "rule_px": info.get("rule_px"),
        "digit_per_rule": round(h / step, 3) if step else None,
        "pen": info["pen"],
        "ink_opacity": round(float(opacity), 3),
        "ink_contrast": round(float(opacity) * (luma(info["paper_bgr"]) - luma(ink_bgr)), 1),
        "ink_px": h,
        "box": [x, y, w, h],
        "image_px": [W, H],
        "stroke_px": round(stroke, 2),
        "stroke_rel": round(stroke / alpha_h, 4),
        "rotation_deg": round(abs(rotation), 2),
        "stretch": round(float(sv[0] / max(sv[1], 1e-9)), 4),
        "light": round(float(on.mean()), 3),
        "light_uneven": round(float((on.max() - on.min()) / max(on.max(), 1e-6)), 3),
        "shadow": shadow,
        "blur_px": round(float(info["blur_px"]), 3),
        "blur_rel": round(float(info["blur_px"]) / max(h, 1), 4),
        "noise_sd": round(float(info["noise_sd"]), 2),
        "jpeg": int(info["jpeg"]),
        "distractors": distractors,
        "specks": int(info["specks"]),
        "paper_edge": round(float(info["table_share"]), 4),
        "finger": round(float(info["finger_share"]), 4),
    }
    if kind == "crops":
        side = max(w, h, 1)
        out["margin"] = round(min(x, y, W - x - w, H - y - h) / side, 3)
    else:
        out["cut"] = bool(x <= 0 or y <= 0 or x + w >= W or y + h >= H)
    return out


def generate(
    out: Path,
    n_crops: int,
    n_frames: int,
    seed: int = 0,
    sources: tuple[list[np.ndarray], np.ndarray] | None = None,
    conditions: bool = True,
) -> None:
    """Write ``out/crops/<d>/*.png``, ``out/frames/<d>/*.png``, ``out/truth.json`` and
    ``out/conditions.json``.

    Args:
        out: the set's folder (created).
        n_crops: loose crops to write.
        n_frames: 640x480 frames to write.
        seed: of the one ``numpy.random.default_rng`` every image is drawn from.
        sources: ``(images, labels)`` as :func:`load_sources` returns them (default: it).
        conditions: also write ``conditions.json`` (the images are the same either way).

    Raises:
        FileNotFoundError: no handwriting sources (:func:`load_sources`).
        ValueError: more images asked for than there are sources.
    """
    rng = np.random.default_rng(seed)
    images, labels = sources if sources is not None else load_sources()
    n_src = len(images)
    if max(n_crops, n_frames) > n_src:
        raise ValueError(f"{max(n_crops, n_frames)} images asked for but only {n_src} sources: ask for fewer")
    truth: dict[str, list[int]] = {}
    conds: dict[str, dict[str, Any]] = {}
    for kind, n in (("crops", n_crops), ("frames", n_frames)):
        for d in range(10):
            (out / kind / str(d)).mkdir(parents=True, exist_ok=True)
        idx = rng.choice(len(images), size=n, replace=False)
        for j, i in enumerate(idx):
            lab = int(labels[i])
            name = f"{kind}/{lab}/{j:05d}.png"
            info: dict[str, Any] | None = {} if conditions else None
            if kind == "crops":
                img = make_crop(images[i], rng, info)
            else:
                img, boxes = make_frame([images[i]], rng, None, info)
                truth[name] = list(boxes[0])
            cv2.imwrite(str(out / name), img)
            if info is not None:
                src = SOURCE_KINDS.get(images[i].shape, "other")
                conds[name] = {"digit": lab, "source": src, "source_index": int(i), **describe(info, kind)}
    (out / "truth.json").write_text(json.dumps(truth) + "\n", encoding="utf-8")
    if conditions:
        (out / "conditions.json").write_text(json.dumps(conds, indent=0) + "\n", encoding="utf-8")


__all__ = ["SHADOW_EDGE", "SHADOW_ON", "SOURCE_KINDS", "describe", "generate", "stroke_width"]
