"""A still frame's digit that the segmenter found in pieces, read whole.

The digit segmenter finds a digit as the ink components its analysis joins; a stroke broken by a
skipping pen, a dotted or dashed line, a gap the threshold opened or a stem thinner than the rest
leaves a digit in two or more ROIs (a 7's bar above its stem, the two halves of a 5, a 4's stem
under its arms). Each piece is then read alone, and a straight piece is read as a "1", often a sure
one: the frame's answer (``edge-eval --frame``, its most confident digit) is a piece of the digit.

:func:`join_pieces` reads the box around pieces that lie close together as one more candidate,
the way recognition-based segmentation resolves an over-segmented string (R. G. Casey and E.
Lecolinet, "A survey of methods and strategies in character segmentation", IEEE PAMI 18(7), 1996:
over-segmentation, the image cut into more pieces than characters, and merges of adjacent pieces kept
when the classifier is surer of the merge than of its parts). Candidates (:func:`groups`):
every two ROIs whose boxes are at most :data:`REACH` of the larger box's longer side apart, and
each cluster of three or more so linked. A candidate's box, the union of its pieces' boxes, is read
like any ROI of the frame (:func:`edge.roi_reading.read_rois`: the still views, the frame's
ink); it replaces its pieces when the model's top probability for it is at least :data:`SURE`, the
model is less sure than that of at least one piece, and every piece it is that sure of is read as a
"1" shorter than :data:`ONE_SHARE` of the candidate's height (a broken digit's straight piece is read
as a sure "1"; a real "1" beside another digit of a number is as tall as that digit). Digits the
model reads surely are so never joined: not two digits of a number, even when the box around both
reads as one of them a little surer (the preprocessing keeps the larger digit's ink), nor two 1s
one above the other (OpenCV's ``digits.png``, 20-px cells: its columns of 1s read as one tall "1"
without the unsure piece's rule). Where the frame holds several digits read surely (:data:`MANY`), a
candidate much taller than they are (:data:`TALL`) spans two rows of them and is not read. The
candidates are taken surest first, each only while none of its pieces was taken and its box overlaps
no box taken before it; a candidate whose box overlaps a ROI that is not one of its pieces is not read
(both from a review: squared paper's cells joined in overlapping 2x2 blocks over other cells, read as
"8"s).

Measured on the frames of ``benchmarks/realistic_digits.py`` (640x480, ``edge-eval --frame``). Of
the 73 dev frames of seeds 21-24 misread before (3,000 frames), 29 answers were the whole digit read
wrong, 21 clutter away from the digit, 8 nothing, 1 the digit with clutter, and 14 a piece of the
digit (11 of them a "1"); in 7 of those 14 the segmenter had found all of the digit, in pieces (in
the others the rest was not found: one stroke or the hole of 5 giant digits, a faint 0's lower half,
a tiny 7). Built on those seeds: 489 / 491 / 973 / 979 -> 489 / 492 / 975 / 981 right (5 of the 7
now the whole digit, none lost; a dotted 6 and a 9 in two strokes read whole at only 0.46 and 0.48);
two seeds generated to check (2 x 1,500 frames) +3, none lost; the fresh seeds 31 / 32
(never tuned on) 978 / 978 -> 979 / 978. OpenCV's ``digits.png`` (one still, 5,000 digits): 5,005 ->
5,001 detections, four cells read in two unsure pieces each (a 3, a 4, two 5s) now read whole and
right (:data:`TALL` and the unsure piece's rule came from its columns: without them a 0 above a 1
read as a 9, two 1s as one). Synthetic pages: digit recall / precision / numbers read 99.04 / 99.07 /
96.91 -> 99.07 / 99.14 / 97.01 %, squared pages unchanged. The 238 digit-free hand photos of
:mod:`edge.still_closer`: 57 with a detection at 0.9 or more (unchanged), detections 470 -> 462. Cost
(dev seed 21 twice, one process, without and with the join alternating per frame, CPU, a loaded
2-core VM): the difference per frame has median +0.02 ms and mean +0.09 ms (frame medians 6.63 /
6.72 ms); a frame with fewer than two ROIs or no near pair pays for :func:`groups` only.

Only still images (``edge-eval --frame``, ``edge-run photo.jpg``, ``--pages``) read candidates:
:class:`edge.still_closer.CloserCheckedSegmenter` joins the pieces of the reading it keeps. The
live loop never reads a frame twice.

Imports :mod:`edge.roi_reading` (the reading of ROIs) and :mod:`edge.types`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge.roi_reading import Reading, read_rois, replaced
from edge.types import ROI

__all__ = ["MANY", "ONE_SHARE", "REACH", "SURE", "TALL", "gap", "groups", "join_pieces", "union"]

#: Two ROIs are pieces of one digit when their boxes are at most this fraction of the larger box's
#: longer side apart (px between the boxes along x or y, whichever is larger; 0 when they touch).
REACH = 0.5
#: A candidate replaces its pieces when the model's top probability for it is at least this, that of
#: at least one piece is under it, and that of each other piece too ...
SURE = 0.7
#: ... or the piece is read as "1" and is shorter than this share of the candidate's height.
ONE_SHARE = 0.6
#: In a frame with at least :data:`MANY` ROIs read surely (at least :data:`SURE`: a page, a sheet of
#: digits), a candidate taller than this times their median height is not read: it spans two rows
#: of digits, not one digit (OpenCV's ``digits.png``: a 0 above a 1 read as a 9 at 2.4 times the
#: digits' height; its broken 3, 4 and 5s joined at 0.8-1.1 times).
TALL = 1.5
#: See :data:`TALL`.
MANY = 3


def gap(a: ROI, b: ROI) -> int:
    """Px between the boxes ``a`` and ``b``: the larger of the gaps along x and along y (0 or less
    when they touch or overlap)."""
    gx = max(a.x, b.x) - min(a.x + a.w, b.x + b.w)
    gy = max(a.y, b.y) - min(a.y + a.h, b.y + b.h)
    return max(gx, gy)


def union(rois: list[ROI]) -> ROI:
    """The smallest box (frame px) holding every one of ``rois`` (at least one)."""
    x0, y0 = min(r.x for r in rois), min(r.y for r in rois)
    x1, y1 = max(r.x + r.w for r in rois), max(r.y + r.h for r in rois)
    return ROI(x0, y0, x1 - x0, y1 - y0)


def _corners(rois: list[ROI]) -> np.ndarray:
    """int64 (N, 4) ``x0, y0, x1, y1`` of ``rois`` (frame px)."""
    return np.array([(r.x, r.y, r.x + r.w, r.y + r.h) for r in rois], np.int64).reshape(-1, 4)


def _gaps(a: np.ndarray, o: np.ndarray) -> np.ndarray:
    """:func:`gap` of the box ``a`` (int (4,) corners) against each row of ``o`` (int (M, 4)): int (M,)."""
    gx = np.maximum(a[0], o[:, 0]) - np.minimum(a[2], o[:, 2])
    gy = np.maximum(a[1], o[:, 1]) - np.minimum(a[3], o[:, 3])
    return np.maximum(gx, gy)


def groups(rois: list[ROI], reach: float = REACH) -> list[tuple[int, ...]]:
    """The candidate groups of ``rois``' indices (module doc): each pair of boxes at most ``reach``
    of the larger box's longer side apart (:func:`gap`, each box against all later ones in one NumPy
    step: a sheet of thousands of digits takes about 0.1 s), and each cluster of three or more so
    linked (single linkage), in order of first index; ``[]`` for fewer than two ROIs."""
    n = len(rois)
    b = _corners(rois)
    side = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    pairs: list[tuple[int, int]] = []
    for i in range(n - 1):  # each box against the later ones at once (a sheet of digits: thousands)
        near = np.nonzero(_gaps(b[i], b[i + 1 :]) <= reach * np.maximum(side[i], side[i + 1 :]))[0]
        pairs += [(i, i + 1 + int(j)) for j in near]
    root = list(range(n))

    def find(i: int) -> int:
        while root[i] != i:
            i = root[i]
        return i

    for i, j in pairs:
        root[find(i)] = find(j)
    clusters: dict[int, list[int]] = {}
    for i in range(n):
        clusters.setdefault(find(i), []).append(i)
    bigger = [tuple(c) for c in clusters.values() if len(c) > 2]
    return sorted(set(pairs) | set(bigger))


def join_pieces(
    reading: Reading, segmenter: Any, preprocessor: Any, classifier: Any, image: np.ndarray
) -> Reading:
    """``reading`` with the groups of pieces (unsure ones, and short sure "1"s beside one) that the
    model reads surely as one digit replaced by that digit's box (module doc).

    Args:
        reading: a still frame's reading (:func:`edge.roi_reading.read_rois`).
        segmenter: the segmenter that found its ROIs (its grey frame and analysis read the candidates).
        preprocessor: the pipeline's :class:`~edge.still_views.StillViewsPreprocessor`.
        classifier: the pipeline's :class:`~edge.still_views.ViewsClassifier` (``predict``, ``labels``).
        image: the uint8 (H, W, 3) BGR frame.

    Returns:
        ``reading`` itself when nothing is joined; else a new reading whose ``found`` is a new list
        (the ROIs of ``reading.found`` not joined, each joined group's box in place of its first
        piece) and whose ink ROIs, polarities, probabilities and predictions follow it.
    """
    rois, p = reading.rois, reading.probabilities
    near = groups(rois)
    if not near:
        return reading
    top = p.max(axis=1)
    sure_h = [r.h for r, t in zip(rois, top, strict=True) if t >= SURE]
    tallest = TALL * float(np.median(sure_h)) if len(sure_h) >= MANY else float("inf")
    corners = _corners(rois)
    cands, boxes = [], []
    for c in near:  # only the groups whose pieces allow a join are read
        box = union([rois[i] for i in c])
        if box.h > tallest:
            continue  # two rows of digits
        unsure = [bool(top[i] < SURE) for i in c]
        short_ones = (reading.predictions[i].label == "1" and rois[i].h < ONE_SHARE * box.h for i in c)
        if not (any(unsure) and all(u or one for u, one in zip(unsure, short_ones, strict=True))):
            continue
        over = _gaps(np.array([box.x, box.y, box.x + box.w, box.y + box.h]), corners) < 0
        over[list(c)] = False
        if not over.any():  # (a box over another ROI: a digit's pieces, then not all of them)
            cands.append(c)
            boxes.append(box)
    if not cands:
        return reading
    again = read_rois(segmenter, preprocessor, classifier, image, boxes)
    row = {id(r): k for k, r in enumerate(again.rois)}  # the boxes with ink
    kept: list[tuple[float, int]] = []
    for n, box in enumerate(boxes):
        k = row.get(id(box))
        if k is not None and (s := float(again.probabilities[k].max())) >= SURE:
            kept.append((s, n))
    taken: dict[int, int] = {}  # piece index -> candidate index
    for _, n in sorted(kept, reverse=True):
        if not any(i in taken for i in cands[n]) and all(
            gap(boxes[n], boxes[m]) >= 0 for m in set(taken.values())
        ):
            taken.update({i: n for i in cands[n]})
    # (each joined box in place of its first piece: edge.roi_reading.replaced)
    return replaced(reading, again, {i: row[id(boxes[n])] for i, n in taken.items()}) if taken else reading
