"""The palm detector on overlapping tiles of a frame, for hands too small for the whole-frame pass.

The palm model sees a 640x480 frame letterboxed to 192x192 (0.3 of its pixels): a hand 100 px
high becomes 30 px, below the palm detector's reach. Run on square tiles whose side is a fraction
of the frame's shorter side (0.6: 288 px for 640x480, six tiles, 2.2x the resolution), a small
hand is seen larger; each tile's decoded detections are mapped back into frame pixels and merged
across tiles by the same weighted non-maximum suppression as one pass (a palm seen by two
overlapping tiles becomes one detection). Beyond MediaPipe (its graph runs the palm detector on
the whole frame only); used by :class:`edge.segment.hand_tracker.HandTracker` when the
whole-frame pass finds no hand.
"""

from __future__ import annotations

import math

import numpy as np

from edge.segment.palm import PalmDetection, PalmDetector, weighted_nms


def tile_windows(
    width: int, height: int, side_frac: float = 0.6, min_overlap: float = 0.25
) -> list[tuple[int, int, int]]:
    """Square tiles covering a frame, evenly spaced, neighbours overlapping.

    Args:
        width, height: frame size (px), > 0.
        side_frac: tile side as a fraction of the frame's shorter side, in (0, 1].
        min_overlap: least overlap of neighbouring tiles, as a fraction of the side, in [0, 1).

    Returns:
        ``[(x0, y0, side), ...]`` in frame pixels, row by row; every pixel is in a tile.

    Raises:
        ValueError: a size or fraction out of range.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"frame size must be positive, got {width}x{height}")
    if not 0 < side_frac <= 1 or not 0 <= min_overlap < 1:
        raise ValueError(
            f"side_frac must be in (0, 1] and min_overlap in [0, 1), got {side_frac}, {min_overlap}"
        )
    side = max(1, round(side_frac * min(width, height)))
    step = side * (1 - min_overlap)

    def starts(extent: int) -> list[int]:
        if extent <= side:
            return [0]
        n = math.ceil((extent - side) / step) + 1
        return [round(i * (extent - side) / (n - 1)) for i in range(n)]

    return [(x, y, side) for y in starts(height) for x in starts(width)]


def detect_tiled(
    detector: PalmDetector,
    image: np.ndarray,
    side_frac: float = 0.6,
    min_overlap: float = 0.25,
    max_palms: int | None = None,
    min_score: float | None = None,
    bgr: bool = True,
) -> list[PalmDetection]:
    """Palms found on the tiles of :func:`tile_windows`, in frame pixels, best first.

    Args:
        detector: the palm detector.
        image: uint8 (H, W, 3), BGR unless ``bgr=False``.
        side_frac, min_overlap: see :func:`tile_windows`.
        max_palms: keep at most this many (None: all after NMS).
        min_score: override the detector's ``min_score``.

    Returns:
        Palm detections (box and keypoints in the frame's pixels) merged across tiles by
        weighted NMS.

    Raises:
        ValueError: ``image`` is not uint8 (H, W, 3), or a fraction out of range.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
    h, w = image.shape[:2]
    sc, bx, kp = [], [], []
    for x0, y0, side in tile_windows(w, h, side_frac, min_overlap):
        s, b, k = detector.candidates(image[y0 : y0 + side, x0 : x0 + side], min_score, bgr)
        sc.append(s)
        bx.append(b + np.array([x0, y0, x0, y0], np.float32))
        kp.append(k + np.array([x0, y0], np.float32))
    scores, boxes, kps = np.concatenate(sc), np.concatenate(bx), np.concatenate(kp)
    return [
        PalmDetection(score, box, k)
        for score, box, k in weighted_nms(scores, boxes, kps, detector.nms_threshold, max_palms)
    ]
