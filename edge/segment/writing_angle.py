"""The rotation of a page's writing, from the direction of its lines of digits, and each digit's ink
turned upright by it.

A page held at an angle to the camera turns every digit on it by the same angle, and the digits
model (trained on upright MNIST) reads a turned digit worse the more it is turned: MNIST test digits
turned by 0/10/20/30/40/50 degrees are read right 99.4/99.3/97.7/94.1/85.3/68.8 % of the time. The
ink of one digit cannot tell how the page is turned (a "1" written slanted on an upright page is not
a turned page, and a "6" turned is a "9"), but the digits written side by side in a line can: the
line runs along the page's rows. :func:`writing_angle` measures that direction by the nearest-neighbour
method of document skew estimation (each component's nearest neighbour; the angles of the vectors
joining them, their median the skew: L. O'Gorman, "The document spectrum for page layout analysis",
IEEE PAMI 15(11), 1993; the family of methods surveyed by J. J. Hull, "Document image skew detection:
survey and annotated bibliography", in Document Analysis Systems II, World Scientific, 1998), with
the digit ROIs as the components. :func:`tilt_rois` puts the angle on each ROI
(:attr:`edge.types.ROI.angle`) and :func:`upright_ink` turns a ROI's ink back before the MNIST
format (:mod:`edge.preprocess.mnist`).

Boxes alone also make "lines" of digits that are not written in one: a column of single digits on a
turned page (its direction the page's minus 90 degrees) or two digits placed diagonally on an upright
page. So the line's direction stands only when the digits' own ink leans with it (:func:`ink_lean`,
:data:`LEAN_RIGHT`, :data:`LEAN_LEFT`). A frame with no such line (one digit alone, neighbours whose
directions disagree, pairs steeper than :data:`MAX_TILT`, which are left out rather than counted against the
others) or a line within :data:`MIN_TILT` of level is left as it was (angle 0): the
handwriting's own baseline wanders by a few degrees, and the model reads a digit turned that little as
well as an upright one.

Measured on pages of 8 MNIST test digits in two lines (62-70 px, 64 px apart), turned by 0 / 10 / 20 /
30 / 40 / 50 degrees (either way) in a 640x480 frame, 480 digits an angle: read right in the live loop
477 / 476 / 470 / 447 / 370 / 275 -> 477 / 478 / 477 / 475 / 465 / 428, as stills 478 / 478 / 470 /
447 / 376 / 274 -> 478 / 479 / 478 / 476 / 466 / 438 (live: the same with a page filling the frame, no
edge of it seen); digits slanted +-20 degrees on an upright page, their baseline wandering +-10 px: the
same reads; no "6" read "9" or back. The demo's 3,000 frames of seeds 0-4: right / misread / missed /
extra 44,872 / 210 / 218 / 1,411 -> 44,950 / 130 / 220 / 1,406 (seed 3's "1" with a flag and a foot
on a page turned 6-15 degrees, read "7" in 112 frames, is read right in the 82 where its line measures
10 degrees or more). Cost: about 0.05 ms of CPU a frame (median over those frames, shared 2-core VM
under load), 0.015 ms for each ROI of a turned page.

Imports OpenCV and NumPy.
"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from edge.segment.cut_path import uncut
from edge.segment.digit_scale import few_median
from edge.segment.ink_analysis import InkAnalysis
from edge.types import ROI

__all__ = [
    "ELONGATED",
    "LEAN_LEFT",
    "LEAN_RIGHT",
    "MAX_TILT",
    "MIN_TILT",
    "NEIGHBOUR_GAP",
    "SAME_SIZE",
    "SPREAD",
    "ink_lean",
    "tilt_rois",
    "upright_ink",
    "writing_angle",
]

#: A line turned less than this (degrees) is taken as level: the ROIs keep angle 0. The model reads
#: MNIST test digits turned 10 degrees as well as upright ones (1,985 vs 1,988 of 2,000), a handwritten
#: line's baseline wanders by a few degrees, and a "1" leaning on its page reads as a "7" once the page
#: is turned upright: with 5 (8) degrees, 88 (41) frames of a sticky note turned about 10 degrees (its
#: "15" measured at 7) in the demo (seed 2, frames 1862-1949) lost their "1", with 10 none.
MIN_TILT = 10.0
#: Neighbours joined at more than this (degrees) from level are digits above one another (two
#: lines) or a digit and a mark beside it, not a line turned that far (a "7" and a dark shape below it
#: joined at 59 degrees read the "7" as a "2": demo seed 2, frames 765-784); a page turned further is
#: not read upright.
MAX_TILT = 50.0
#: Two ROIs are neighbours in a line when their centres are at most this many times the mean of
#: their longer sides apart (digits written side by side: 1.0-1.3).
NEIGHBOUR_GAP = 1.5
#: ... and the shorter of their longer sides is at least this share of the longer: digits of one line,
#: not a digit and a speck, a dot or a dash beside it (a 4x14-px speck beside a 28x48-px "2" joined at 47
#: degrees, and the "2" turned read as a "9": a dev frame of ``benchmarks/realistic_digits.py``, seed 23).
SAME_SIZE = 0.5
#: ... and their boxes overlap by at most this share of the smaller one's area: two pieces of one digit
#: are no line (a small "7" found as a 7x4-px and an 11x10-px piece joined at 30 degrees, the "7" turned
#: read as a "1": a fresh dev frame of ``benchmarks/realistic_digits.py``, seed 31).
OVERLAP = 0.1
#: Every neighbour pair's direction must lie within this many degrees of their median.
SPREAD = 12.0
#: The line's direction stands only when the digits' own ink leans with it: the median lean of their
#: ink's long axes (:func:`ink_lean`) at most this many degrees clockwise of it (handwriting slanted
#: to the right: a demo seed 3 "1", "8" and "0" lean 27-30 degrees right of their line turned 11-15
#: degrees, and the "1" is read "7" unless turned back) ...
LEAN_RIGHT = 35.0
#: ... or this many counter-clockwise (backhand). Boxes alone took a column of single digits on a page
#: turned 40-50 degrees (its direction the page's minus 90) and one diagonal pair on an upright page for
#: a turned line, and turned every digit by it (review of session 27: a column on a page turned 45
#: degrees read 727 -> 286 of 960 digit-frames live; an upright "3" and "2" 42 degrees apart, 444 -> 351
#: of 480).
LEAN_LEFT = 20.0
#: (Both are of the measured lean, which overstates a shear: MNIST test digits' median lean is +0.2
#: degrees upright, -28 / -39 sheared 20 / 30 degrees right, +28 / +39 backhand, so about 25 degrees
#: of real right slant and under 20 of backhand pass. A wider window turns more upright digits on a
#: baseline rising 25-30 degrees, which give the same lean minus angle: review of session 27.)
#: A box's ink counts towards :func:`ink_lean` when its long axis is this clear of its short one:
#: (l1 - l2) / (l1 + l2) of its second moments' eigenvalues (0.2: long and short axes 1.22 : 1).
ELONGATED = 0.2
#: At most this many ROIs' distances are held at once (rows of the n x n table at a time): a
#: 12 MP page of 5,000 digits measured whole held 1.5 GB (review of session 27).
CHUNK = 256
#: Up to this many ROIs, their neighbours are found pair by pair in plain Python (NumPy's call overhead
#: on a table of a few ROIs costs more than the arithmetic).
FEW = 12


def writing_angle(rois: list[ROI]) -> float:
    """The rotation of the writing in a frame, from its lines of digits (module docstring).

    Args:
        rois: digit ROIs of one frame (frame px).

    Returns:
        Degrees in [-:data:`MAX_TILT`, :data:`MAX_TILT`], counter-clockwise as seen on the image
        (a line rising to the right is positive); 0.0 when no two ROIs are neighbours in a line,
        the pairs' directions spread more than :data:`SPREAD` from their median, or the median is
        within :data:`MIN_TILT` of level. Neighbours: each ROI's nearest of a like size
        (:data:`SAME_SIZE`) and not overlapping it (:data:`OVERLAP`), within :data:`NEIGHBOUR_GAP`.
    """
    if len(rois) < 2:
        return 0.0
    c = [(r.x + r.w / 2.0, r.y + r.h / 2.0) for r in rois]
    pairs = _neighbours_few(rois, c) if len(rois) <= FEW else _neighbours(rois)
    angles = []
    for i, j in pairs:
        a = math.degrees(math.atan2(c[i][1] - c[j][1], c[j][0] - c[i][0]))  # image y runs down
        a = a - 180.0 if a > 90.0 else (a + 180.0 if a <= -90.0 else a)
        if abs(a) <= MAX_TILT:
            angles.append(a)
    if not angles:
        return 0.0
    mid = few_median(angles)
    if max(abs(a - mid) for a in angles) > SPREAD or abs(mid) < MIN_TILT:
        return 0.0
    return mid


def _neighbours(rois: list[ROI]) -> set[tuple[int, int]]:
    """The neighbour pairs (i, j), i < j, of :func:`writing_angle`: each ROI and its nearest of a like
    size, not overlapping it, within :data:`NEIGHBOUR_GAP` (rows of the distance table :data:`CHUNK` at a
    time)."""
    c = np.array([(r.x + r.w / 2.0, r.y + r.h / 2.0) for r in rois], np.float64)
    side = np.array([max(r.w, r.h) for r in rois], np.float64)
    x0, y0 = np.array([r.x for r in rois], np.float64), np.array([r.y for r in rois], np.float64)
    x1, y1 = x0 + [r.w for r in rois], y0 + [r.h for r in rois]
    area = (x1 - x0) * (y1 - y0)
    pairs: set[tuple[int, int]] = set()
    for k in range(0, len(rois), CHUNK):  # rows of the distance table, CHUNK at a time
        r = slice(k, k + CHUNK)
        d = np.hypot(c[r, None, 0] - c[None, :, 0], c[r, None, 1] - c[None, :, 1])
        d[np.arange(d.shape[0]), np.arange(k, k + d.shape[0])] = np.inf  # (itself)
        small, large = np.minimum(side[r, None], side[None, :]), np.maximum(side[r, None], side[None, :])
        d[small < SAME_SIZE * large] = np.inf  # a speck beside a digit
        ox = np.clip(np.minimum(x1[r, None], x1[None, :]) - np.maximum(x0[r, None], x0[None, :]), 0, None)
        oy = np.clip(np.minimum(y1[r, None], y1[None, :]) - np.maximum(y0[r, None], y0[None, :]), 0, None)
        d[ox * oy > OVERLAP * np.minimum(area[r, None], area[None, :])] = np.inf  # two pieces of one digit
        for i, j in enumerate(np.argmin(d, axis=1), start=k):
            if d[i - k, j] <= NEIGHBOUR_GAP * (side[i] + side[j]) / 2.0:
                pairs.add((min(i, int(j)), max(i, int(j))))
    return pairs


def _neighbours_few(rois: list[ROI], c: list[tuple[float, float]]) -> set[tuple[int, int]]:
    """:func:`_neighbours` of a few ROIs (``c``: their centres), pair by pair in plain Python: the same
    float operations (the distances from one ``np.hypot`` call, each pair once: it is symmetric), the
    nearest the first of equals as ``np.argmin``'s."""
    n = len(rois)
    side = [float(r.w if r.w > r.h else r.h) for r in rois]
    box = [(float(r.x), float(r.y), float(r.x) + r.w, float(r.y) + r.h) for r in rois]
    area = [(x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in box]
    ij = [(i, j) for i in range(n) for j in range(i + 1, n)]
    far = np.hypot([c[i][0] - c[j][0] for i, j in ij], [c[i][1] - c[j][1] for i, j in ij]).tolist()
    d = [[math.inf] * n for _ in range(n)]  # (inf: itself, a speck beside a digit, two pieces of one)
    for (i, j), dist in zip(ij, far, strict=True):
        a, b = side[i], side[j]
        if (a if a < b else b) < SAME_SIZE * (b if a < b else a):
            continue
        (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = box[i], box[j]
        ox = (ax1 if ax1 < bx1 else bx1) - (ax0 if ax0 > bx0 else bx0)
        oy = (ay1 if ay1 < by1 else by1) - (ay0 if ay0 > by0 else by0)
        ox, oy = (ox if ox > 0.0 else 0.0), (oy if oy > 0.0 else 0.0)  # (np.clip's, at 0)
        if ox * oy > OVERLAP * (area[i] if area[i] < area[j] else area[j]):
            continue
        d[i][j] = d[j][i] = dist
    pairs: set[tuple[int, int]] = set()
    for i, row in enumerate(d):
        best, k = math.inf, 0
        for j, dj in enumerate(row):
            if dj < best:
                best, k = dj, j
        if best <= NEIGHBOUR_GAP * (side[i] + side[k]) / 2.0:
            pairs.add((i, k) if i < k else (k, i))
    return pairs


def ink_lean(rois: list[ROI], analysis: InkAnalysis) -> float | None:
    """The median lean of the ROIs' ink from upright, from each one's long axis.

    Args:
        rois: digit ROIs of one frame (frame px).
        analysis: the segmenter's :class:`~edge.segment.ink_analysis.InkAnalysis` of that frame: a
            ROI's ink is ``dark > level`` in its analysis box (either polarity).

    Returns:
        Degrees in (-90, 90], counter-clockwise as seen on the image (as :func:`writing_angle`): the
        median over the ROIs whose ink is elongated (:data:`ELONGATED`) of 90 minus the direction
        of its long axis, the direction from its second central moments (0.5 atan2(2 mu11, mu20 -
        mu02), the orientation of an image region: B. K. P. Horn, Robot Vision, MIT Press, 1986, ch.
        3); ``None`` when no ROI's ink is elongated.
    """
    leans = []
    for x0, y0, x1, y1 in analysis.boxes(rois):
        ink = (analysis.dark[y0:y1, x0:x1] > analysis.level[y0:y1, x0:x1]).astype(np.uint8)
        m = cv2.moments(ink, binaryImage=True)
        a, b, c = m["mu20"], m["mu11"], m["mu02"]
        if m["m00"] < 4 or math.hypot(a - c, 2.0 * b) < ELONGATED * (a + c):
            continue
        lean = 90.0 - 0.5 * math.degrees(math.atan2(2.0 * b, a - c))  # (image y runs down)
        leans.append(lean - 180.0 if lean > 90.0 else lean)
    return float(np.median(leans)) if leans else None


def tilt_rois(rois: list[ROI], analysis: InkAnalysis | None) -> list[ROI]:
    """The ROIs with the writing's rotation on them.

    Args:
        rois: one frame's digit ROIs (frame px), as the finder gives them.
        analysis: the finder's :class:`~edge.segment.ink_analysis.InkAnalysis` of that frame
            (``None``: nothing is turned).

    Returns:
        ``rois`` with :attr:`~edge.types.ROI.angle` set to :func:`writing_angle` of them, and so the
        :attr:`~edge.types.ROI.whole` of a cut part (one new whole object shared by its parts); the
        same list, the same ROI objects, when the angle is 0. The angle is measured over the digits
        the finder found (:func:`~edge.segment.cut_path.uncut`: the two overlapping parts of a path
        cut are a proposal, not two digits of the line), and stands only when their ink leans with it
        (:func:`ink_lean` from :data:`LEAN_RIGHT` clockwise to :data:`LEAN_LEFT` counter-clockwise of it).
    """
    found = uncut(rois)
    angle = writing_angle(found)
    if angle and (
        analysis is None
        or (lean := ink_lean(found, analysis)) is None
        or not -LEAN_RIGHT <= lean - angle <= LEAN_LEFT
    ):
        angle = 0.0
    if angle == 0.0:
        return rois
    wholes: dict[int, ROI] = {}
    for r in rois:
        if r.whole is not None and id(r.whole) not in wholes:
            wholes[id(r.whole)] = dataclasses.replace(r.whole, angle=angle)
    return [
        dataclasses.replace(r, angle=angle, whole=None if r.whole is None else wholes[id(r.whole)])
        for r in rois
    ]


def upright_ink(ink: np.ndarray, angle: float) -> np.ndarray:
    """``ink`` turned clockwise by ``angle`` degrees about its centre (a ROI's ink whose writing is
    turned counter-clockwise by ``angle``, :func:`writing_angle`, made upright), on a canvas that holds
    all of it, cropped to the box of its non-zero pixels.

    Args:
        ink: uint8 or float32 (h, w) ink levels, 0 = no ink.
        angle: degrees, counter-clockwise; 0 returns ``ink`` itself.

    Returns:
        The same dtype, (h', w'), bilinear; (0, 0) when nothing is left above 0.
    """
    if angle == 0.0 or ink.size == 0:
        return ink
    h, w = ink.shape
    a = math.radians(angle)
    cos, sin = abs(math.cos(a)), abs(math.sin(a))
    nw, nh = int(math.ceil(w * cos + h * sin)), int(math.ceil(w * sin + h * cos))
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), -angle, 1.0)
    m[0, 2] += (nw - w) / 2.0
    m[1, 2] += (nh - h) / 2.0
    out = cv2.warpAffine(
        ink, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    x, y, bw, bh = cv2.boundingRect((out > 0).astype(np.uint8))
    return out[y : y + bh, x : x + bw]
