"""The on-screen help of ``edge-capture``: per-class counts, the keys, the boxes a key
press would save, a status line.

Imports :mod:`edge.capture.samples` and :mod:`edge.types`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from edge.capture.samples import SampleWriter
from edge.types import ROI

log = logging.getLogger(__name__)


def draw_capture_hud(
    image: np.ndarray,
    writer: SampleWriter,
    keymap: Mapping[int, str],
    targets: Sequence[ROI],
    message: str = "",
    auto_label: str | None = None,
) -> np.ndarray:
    """Draw the capture state onto a (copy of a) frame, in place.

    Args:
        image: uint8 (H, W, 3) BGR frame, usually the overlay of :func:`edge.overlay.draw_overlay`.
        writer: gives the per-class counts (in the folder, ``+`` saved this run).
        keymap: from :func:`key_map` (empty when saving automatically).
        targets: the ROIs a key press would save (drawn as white double boxes).
        message: a status line (what was saved, why nothing was).
        auto_label: the ``--label`` of automatic saving, if any.

    Returns:
        ``image``.
    """
    h, w = image.shape[:2]
    scale = max(0.4, min(0.9, min(w, h) / 900.0))
    thick = 1
    for r in targets:
        cv2.rectangle(image, (r.x - 4, r.y - 4), (r.x + r.w + 4, r.y + r.h + 4), (255, 255, 255), 2)
        cv2.rectangle(image, (r.x - 6, r.y - 6), (r.x + r.w + 6, r.y + r.h + 6), (0, 0, 0), 1)
    key_of = {lab: chr(c) for c, lab in keymap.items() if chr(c) == chr(c).lower()}
    lines = [
        ("" if key_of.get(lab, lab) == lab else f"[{key_of[lab]}] ")
        + f"{lab}: {writer.count(lab)} (+{len(writer.saved.get(lab, []))})"
        for lab in writer.labels
    ]
    head = f"saving every detection as {auto_label}" if auto_label else "press a key to save"
    lines = [head, *lines, "q/Esc quit"]
    (_, th), base = cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    step = th + base + 4
    box_w = max(cv2.getTextSize(s, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0] for s in lines) + 12
    x0 = max(0, w - box_w - 4)
    y1 = min(h, 4 + step * len(lines) + 6)
    roi = image[4:y1, x0 : w - 4]
    roi[:] = (roi.astype(np.uint16) // 3).astype(np.uint8)  # darken behind the text
    for i, s in enumerate(lines):
        cv2.putText(
            image,
            s,
            (x0 + 6, 4 + step * (i + 1)),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (255, 255, 255),
            thick,
            cv2.LINE_AA,
        )
    if message:
        (tw, _), _ = cv2.getTextSize(message, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        y = h - 8
        cv2.rectangle(image, (0, y - th - base - 4), (min(w, tw + 12), h), (0, 0, 0), -1)
        cv2.putText(
            image, message, (6, y - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 255, 255), thick, cv2.LINE_AA
        )
    return image
