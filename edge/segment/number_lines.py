"""Text lines of digit boxes given as plain ``(x, y, w, h)`` tuples, for the number grouping.

:func:`box_rows` is :func:`edge.segment.numbers.reading_rows`'s rule on tuples: the
grouping measures each box once and reuses the numbers (a frame holds a few boxes, so
attribute look-ups and :attr:`edge.types.ROI.center` tuples are much of its cost).
"""

from __future__ import annotations

from collections.abc import Sequence

#: A box as ``(x, y, w, h)``, px.
Box = tuple[int, int, int, int]


def box_rows(boxes: Sequence[Box]) -> list[list[int]]:
    """Indices of ``boxes`` in lines, top to bottom, each left to right.

    The rule of :func:`edge.segment.numbers.reading_rows` (which calls it): boxes
    are taken by their vertical centre (``y + h / 2``, compared as ``2 y + h``, which
    orders and ties alike for integer boxes); a box joins a line when it overlaps the
    line's first box vertically by at least half the shorter of the two.

    Args:
        boxes: ``(x, y, w, h)`` px, integers.
    """
    centre2 = [2 * b[1] + b[3] for b in boxes]
    rows: list[list[int]] = []
    firsts: list[Box] = []
    # Lines before ``live`` can take no more boxes: their first box ends above the top of
    # every box still to come (a box's top is at least its centre less half the tallest
    # height, and the centres come in order), so no overlap is >= 0. Skipping them keeps a
    # page of many lines from scanning every line for every box (the same first match).
    live, tallest = 0, max([b[3] for b in boxes], default=0)
    for i in sorted(range(len(boxes)), key=centre2.__getitem__):
        _, y, _, h = boxes[i]
        y1 = y + h
        if live < len(rows):
            reach = centre2[i] - tallest  # twice the lowest top a box from here on can have
            while live < len(rows) and 2 * (firsts[live][1] + firsts[live][3]) < reach:
                live += 1
        for k in range(live, len(rows)):
            _, fy, _, fh = firsts[k]
            # vertical overlap with the line's first box (min/max written out: a hot loop)
            overlap = (y1 if y1 < fy + fh else fy + fh) - (y if y > fy else fy)
            if overlap >= 0.5 * (h if h < fh else fh):
                rows[k].append(i)
                break
        else:
            rows.append([i])
            firsts.append(boxes[i])
    if len(rows) == len(boxes):  # a box a line
        return rows
    xs = [b[0] for b in boxes]
    return [sorted(row, key=xs.__getitem__) if len(row) > 1 else row for row in rows]


__all__ = ["Box", "box_rows"]
