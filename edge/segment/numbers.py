"""Reading order of ROIs, and classified digits grouped into numbers."""

from __future__ import annotations

from collections.abc import Sequence

from edge.types import ROI, Detection


def reading_order(rois: Sequence[ROI]) -> list[int]:
    """Indices of ``rois`` in reading order: rows top to bottom, left to right in a row.

    Boxes are taken by their vertical centre; a box joins a row when it overlaps the
    row's first box vertically by at least half the shorter of the two.
    """
    order = sorted(range(len(rois)), key=lambda i: rois[i].center[1])
    rows: list[list[int]] = []
    for i in order:
        r = rois[i]
        for row in rows:
            f = rois[row[0]]
            overlap = min(r.y + r.h, f.y + f.h) - max(r.y, f.y)
            if overlap >= 0.5 * min(r.h, f.h):
                row.append(i)
                break
        else:
            rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda k: rois[k].x)]


def group_numbers(
    detections: Sequence[Detection],
    max_gap: float = 0.8,
    min_height_ratio: float = 0.5,
) -> list[tuple[str, ROI]]:
    """Group classified digits on the same text line into numbers, left to right.

    Neighbours in a row belong to the same number when the horizontal gap between
    their boxes is at most ``max_gap`` x the taller one's height and their heights
    differ by less than a factor ``1 / min_height_ratio``. A lone digit is a
    one-character number.

    Args:
        detections: classified digit ROIs (any order), labels ``"0"``..``"9"``.
        max_gap: largest gap between digits of one number, fraction of their height.
        min_height_ratio: smallest height ratio of neighbouring digits of one number.

    Returns:
        ``(number string, ROI enclosing its digits)`` in reading order.
    """
    if not detections:
        return []
    rois = [d.roi for d in detections]
    order = reading_order(rois)
    numbers: list[tuple[str, ROI]] = []
    cur: list[int] = []

    def flush() -> None:
        if cur:
            rs = [rois[k] for k in cur]
            x0, y0 = min(r.x for r in rs), min(r.y for r in rs)
            x1, y1 = max(r.x + r.w for r in rs), max(r.y + r.h for r in rs)
            numbers.append(
                ("".join(detections[k].prediction.label for k in cur), ROI(x0, y0, x1 - x0, y1 - y0))
            )
            cur.clear()

    for i in order:
        r = rois[i]
        if cur:
            p = rois[cur[-1]]
            gap = r.x - (p.x + p.w)
            hmax, hmin = max(p.h, r.h), min(p.h, r.h)
            overlap = min(p.y + p.h, r.y + r.h) - max(p.y, r.y)
            same = (
                gap <= max_gap * hmax
                and hmin >= min_height_ratio * hmax
                and overlap >= 0.5 * hmin
                and r.x >= p.x
            )
            if not same:
                flush()
        cur.append(i)
    flush()
    return numbers
