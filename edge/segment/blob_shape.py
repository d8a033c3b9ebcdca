"""Shape measures of one hand blob: holes, rectangle fill, and where the hand ends (the arm cut).

Pure functions on a bool blob in its bounding box, used by the blob stage
(:mod:`edge.segment.blobs`); see :mod:`edge.segment.hands` for the method.
"""

from __future__ import annotations

import cv2
import numpy as np


def hand_end_box(
    comp: np.ndarray,
    bbox: tuple[int, int, int, int],
    shape: tuple[int, int],
    *,
    sleeve_gap: float,
    wrist_ratio: float,
    arm_keep: float,
    max_hand_length: float,
) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) analysis px of the hand end of a blob (the arm cut).

    The blob is measured along its major axis (second moments), so arms at any
    angle are cut alike. The arm's end is the one where the blob touches the
    image border (the mean position of its border pixels); a blob touching no
    border but elongated (major/minor axis >= 3) with an end within
    ``sleeve_gap`` of the border (a forearm in a sleeve) has its arm end there.
    Widths are pixel counts per 1-px slice across the axis.

    Args:
        comp: bool (h, w) the blob within its bounding box.
        bbox: (x, y, w, h) of that box in the analysis image.
        shape: (height, width) of the analysis image.
        sleeve_gap, wrist_ratio, arm_keep, max_hand_length: see
            :class:`edge.segment.blobs.BlobSegmenter`.
    """
    x, y, w, h = bbox
    sh, sw = shape
    whole = (x, y, x + w, y + h)
    m = cv2.moments(comp.view(np.uint8), binaryImage=True)
    if m["m00"] < 10:
        return whole
    # the major axis from the second central moments (closed-form 2x2 eigenvectors)
    mu20, mu02, mu11 = m["mu20"], m["mu02"], m["mu11"]
    root = float(np.hypot(mu20 - mu02, 2.0 * mu11))
    major, minor = (mu20 + mu02 + root) / 2.0, max((mu20 + mu02 - root) / 2.0, 1e-9)
    theta = 0.5 * float(np.arctan2(2.0 * mu11, mu20 - mu02))
    c, sn = float(np.cos(theta)), float(np.sin(theta))
    ys, xs = np.nonzero(comp)
    fx, fy = xs.astype(np.float32) + x, ys.astype(np.float32) + y  # analysis px
    t = (fx - (x + m["m10"] / m["m00"])) * c + (fy - (y + m["m01"] / m["m00"])) * sn
    touches = x == 0 or y == 0 or x + w == sw or y + h == sh
    on_border = ((fx == 0) | (fy == 0) | (fx == sw - 1) | (fy == sh - 1)) if touches else None
    if on_border is not None and int(on_border.sum()) >= 2:
        arm_at_max = float(t[on_border].mean()) > 0.0
    elif major >= 3.0**2 * minor:
        # no contact: a forearm in a sleeve ends near the border, the hand does not
        def border_distance(sel: np.ndarray) -> float:
            ex, ey = float(fx[sel].mean()), float(fy[sel].mean())
            return min(ex, ey, sw - 1 - ex, sh - 1 - ey)

        t_min, t_max = float(t.min()), float(t.max())
        span = t_max - t_min
        d_max = border_distance(t >= t_max - 0.05 * span)
        d_min = border_distance(t <= t_min + 0.05 * span)
        if min(d_max, d_min) > sleeve_gap * min(sh, sw):
            return whole
        arm_at_max = d_max < d_min
    else:
        return whole
    s = (t - t.min()) if arm_at_max else (t.max() - t)  # 0 at the hand's far end
    widths: np.ndarray = np.bincount(s.astype(np.int64)).astype(np.float32)
    if len(widths) >= 3:
        widths = np.convolve(widths, np.ones(3, np.float32) / 3, mode="same")
    length = len(widths)
    hand_w = float(widths.max())
    i_max = int(np.argmax(widths))
    cut = min(length, int(np.ceil(max_hand_length * hand_w)))
    # the forearm's width: the median over the slices nearest the arm's end
    near_end = widths[max(i_max + 1, length - max(3, int(hand_w))) :]
    arm_w = float(np.median(near_end)) if len(near_end) else hand_w
    if arm_w < wrist_ratio * hand_w:
        # the wrist: the first slice past the widest where the width is within a
        # quarter of the way from the forearm's width to the hand's
        narrow = np.flatnonzero(widths[i_max:] <= arm_w + 0.25 * (hand_w - arm_w))
        if len(narrow):
            cut = min(cut, i_max + int(narrow[0]) + int(np.ceil(arm_keep * hand_w)))
    if cut >= length - 1:
        return whole
    keep = s < cut
    kx, ky = fx[keep], fy[keep]
    return int(kx.min()), int(ky.min()), int(kx.max()) + 1, int(ky.max()) + 1


def blob_shape(comp: np.ndarray, area: int) -> tuple[int, float]:
    """(holes, rectangle fill) of a blob.

    Args:
        comp: bool (h, w) the blob in its bounding box.
        area: its area in px.

    Returns:
        The number of holes inside it of at least 0.3 % of its area (eyes, brows and
        mouth in a face), and its area over that of its minimum-area rectangle
        (1 for a box, about 0.79 for an ellipse, less for a spread hand).
    """
    contours, hierarchy = cv2.findContours(comp.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return 0, 0.0
    min_hole = max(2.0, 0.003 * area)
    holes, outer = 0, None
    for c, hier in zip(contours, hierarchy[0], strict=True):
        if hier[3] >= 0:
            holes += cv2.contourArea(c) >= min_hole
        elif outer is None or len(c) > len(outer):
            outer = c
    rect = cv2.minAreaRect(outer) if outer is not None else ((0, 0), (0, 0), 0)
    # the contour runs through pixel centres: the blob's rectangle is one px larger
    rect_area = (rect[1][0] + 1) * (rect[1][1] + 1)
    return int(holes), float(area / rect_area) if rect_area > 0 else 0.0
