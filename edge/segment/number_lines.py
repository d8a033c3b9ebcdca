"""Text lines and table columns of digit boxes given as plain ``(x, y, w, h)`` tuples, for
the number grouping.

:func:`box_rows` is :func:`edge.segment.numbers.reading_rows`'s rule on tuples: the
grouping measures each box once and reuses the numbers (a frame holds a few boxes, so
attribute look-ups and :attr:`edge.types.ROI.center` tuples are much of its cost).
:func:`column_starts` finds the columns of a table (numbers starting at the same x line
after line) and the digits on other lines that start a number there.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

#: A table's column: numbers of at least this many lines start within :data:`COLUMN_TOL` ...
COLUMN_LINES = 4
#: ... digit heights of its x (the median of their starts) ...
COLUMN_TOL = 0.35
#: ... and they are at least this share of the lines that reach across it; the page is a
#: table when at least this share of the sure lines' numbers start at its columns.
COLUMN_SHARE = 0.6

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


def column_starts(
    boxes: Sequence[Box],
    rows: Sequence[Sequence[int]],
    starts: Sequence[Sequence[int]],
    sure: Sequence[bool],
) -> list[set[int]]:
    """Per line, the positions of digits that start a number because they stand at the
    start of a table's column.

    A column is an x where, on :data:`COLUMN_LINES` or more of the ``sure`` lines (lines
    whose own spacing split them into numbers), a number starts within :data:`COLUMN_TOL`
    digit heights (the median box height), and these lines are at least
    :data:`COLUMN_SHARE` of the sure lines that reach across that x; the page is a table
    when it has two columns or more and that share of the sure lines' numbers start at
    them (the first column alone is any page's left margin). A table's numbers may leave
    gaps too close to the gaps within numbers to tell apart on a line of its own: on
    every line, the digit whose left edge is nearest a column's x (within the tolerance,
    not the line's first) starts a number when the number it would end began at the
    column before (a sure line: its own number) or, on other lines, when the digit
    before it is past the column before.

    Args:
        boxes: digit boxes ``(x, y, w, h)``, px.
        rows: indices of ``boxes`` per line, each left to right (:func:`box_rows`).
        starts: per line, positions in its row of the digits that start its numbers
            (0 first).
        sure: per line, whether its ``starts`` come from its own spacing.

    Returns:
        Per line, the positions (>= 1, not in ``starts``) of digits that start a number
        at a column; all empty when the page is no table.
    """
    found: list[set[int]] = [set() for _ in rows]
    lines = [li for li, ok in enumerate(sure) if ok and len(starts[li]) > 1]
    if len(lines) < COLUMN_LINES:
        return found
    hs = sorted([b[3] for b in boxes])
    tol = COLUMN_TOL * max(1, hs[len(hs) // 2])
    pts = sorted((boxes[rows[li][k]][0], li) for li in lines for k in starts[li])
    spans = [(boxes[rows[li][0]][0] - tol, _right(boxes[rows[li][-1]]) + tol) for li in lines]
    cols: list[int] = []
    on_cols = 0
    i = 0
    while i < len(pts):  # runs of starts no more than a tolerance apart
        j = i + 1
        while j < len(pts) and pts[j][0] - pts[j - 1][0] <= tol:
            j += 1
        xs = [p[0] for p in pts[i:j]]
        x = xs[len(xs) // 2]
        on = {p[1] for p in pts[i:j] if abs(p[0] - x) <= tol}
        reach = sum(1 for a, b in spans if a <= x <= b)
        if len(on) >= COLUMN_LINES and len(on) >= COLUMN_SHARE * reach:
            cols.append(x)
            on_cols += sum(1 for p in pts[i:j] if abs(p[0] - x) <= tol)
        i = j
    if len(cols) < 2 or on_cols < COLUMN_SHARE * len(pts):
        return found  # no table (a left margin is a column of any page)
    for li, row in enumerate(rows):
        if len(row) < 2:
            continue
        lefts = [boxes[i][0] for i in row]  # ascending (a row runs left to right)
        for c in range(1, len(cols)):
            x = cols[c]
            k = bisect_left(lefts, x)  # the nearest left edge is lefts[k - 1] or lefts[k]
            if k == len(lefts) or (k > 0 and x - lefts[k - 1] <= lefts[k] - x):
                k -= 1
            if k == 0 or abs(lefts[k] - x) > tol or k in starts[li]:
                continue
            if sure[li]:  # the line's own number holding digit k starts at the column before
                first = max([m for m in starts[li] if m < k])
                if abs(lefts[first] - cols[c - 1]) <= tol:
                    found[li].add(k)
            elif lefts[k - 1] >= cols[c - 1] - tol:  # after a digit of the column before
                found[li].add(k)
    return found


def _right(b: Box) -> int:
    return b[0] + b[2]


__all__ = ["COLUMN_LINES", "COLUMN_SHARE", "COLUMN_TOL", "Box", "box_rows", "column_starts"]
