"""Box sums of a block mask as if it were resized to full size, without resizing it.

The digit finder reads the scene in blocks (:mod:`edge.segment.digit_scene`) and asks
how much of the ring around each candidate is paper. Resizing the block mask to the
analysis size (nearest neighbour) and taking the integral image of that costs two
passes over every pixel and a large int32 image for a few dozen box sums;
:class:`BlockSums` gives exactly the same sums from the blocks alone.
:func:`nearest_upscale` is that resize, when the mask itself is wanted, at a
quarter of the cost.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np


@functools.lru_cache(maxsize=8)
def _maps(bw: int, bh: int, sw: int, sh: int) -> tuple[np.ndarray, ...]:
    """For pixel prefixes X = 0..sw and Y = 0..sh: the block holding pixel X - 1 and
    how many of its pixels the prefix covers (as ``cv2.resize``'s ``INTER_NEAREST``
    assigns pixels to blocks: taken from OpenCV itself, so rounding is the same); and
    the float (bh, bw) pixel count of each block (read only)."""
    out = []
    for nb, n in ((bw, sw), (bh, sh)):
        src = np.arange(nb, dtype=np.uint16)[None, :]
        cell = cv2.resize(src, (n, 1), interpolation=cv2.INTER_NEAREST)[0].astype(np.intp)
        size = np.bincount(cell, minlength=nb).astype(np.float64)
        start = np.concatenate([[0.0], np.cumsum(size)[:-1]])
        q = np.concatenate([[0], cell])
        r = np.concatenate([[0.0], np.arange(1, n + 1) - start[cell]])
        out += [q, r, size]
    qx, rx, w, qy, ry, h = out
    hw = h[:, None] * w[None, :]
    for a in (qx, rx, qy, ry, hw, w, h):
        a.flags.writeable = False
    return qx, rx, qy, ry, hw, w, h


@functools.lru_cache(maxsize=8)
def _uniform(bw: int, bh: int, sw: int, sh: int) -> tuple[int, int]:
    """(px per block across, down) when ``cv2.resize``'s ``INTER_NEAREST`` gives every block the
    same pixels (from :func:`_maps`: the analysis image is a whole number of blocks), else (0, 0)."""
    *_, w, h = _maps(bw, bh, sw, sh)
    if w.min() == w.max() and h.min() == h.max() and w[0] == int(w[0]) and h[0] == int(h[0]):
        return int(w[0]), int(h[0])
    return 0, 0


@functools.lru_cache(maxsize=8)
def _rows(bh: int, sh: int) -> np.ndarray:
    """intp (sh,) the block row ``cv2.resize``'s ``INTER_NEAREST`` takes each of ``sh`` rows from
    (read only)."""
    rows = cv2.resize(np.arange(bh, dtype=np.uint16)[:, None], (1, sh), interpolation=cv2.INTER_NEAREST)
    out = rows[:, 0].astype(np.intp)
    out.flags.writeable = False
    return out


def nearest_upscale(blocks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``cv2.resize(blocks, size, interpolation=cv2.INTER_NEAREST)``, the same pixels.

    Nearest neighbour is separable: the rows are resized once, at the blocks' height,
    and then repeated (about 8 instead of 30 us for 40 x 30 blocks to 320 x 240 px).

    Args:
        blocks: uint8 (bh, bw) block values.
        size: (width, height) of the result (px).
    """
    wide = cv2.resize(blocks, (size[0], blocks.shape[0]), interpolation=cv2.INTER_NEAREST)
    if wide.ndim == 1 or wide.shape[0] != blocks.shape[0]:  # OpenCV squeezed a single row
        wide = wide.reshape(blocks.shape[0], size[0])
    return wide.take(_rows(blocks.shape[0], size[1]), axis=0)  # (take: half the cost of wide[rows])


class BlockSums:
    """Sums over boxes of ``cv2.resize(blocks, size, interpolation=cv2.INTER_NEAREST)``.

    Exactly what ``cv2.integral`` of the resized mask gives at any box, in O(blocks)
    set-up and O(1) per box: a pixel prefix (X, Y) covers whole blocks up to the
    block holding pixel X - 1 (Y - 1) and a part of that block, so its sum is a
    weighted 2-D prefix sum of the blocks plus the partial row, column and corner.
    When every block covers the same whole number of pixels (an analysis image of whole
    8 x 8-px blocks), those tables are one integral of the blocks, scaled (about 10
    instead of 25 us for 40 x 30 blocks).

    Args:
        blocks: uint8 (bh, bw) block values (typically 0/1).
        size: (width, height) of the resized image (px).
    """

    def __init__(self, blocks: np.ndarray, size: tuple[int, int]) -> None:
        bh, bw = blocks.shape
        self.size = size
        lo, hi = cv2.minMaxLoc(blocks)[:2]
        #: the value of every block when they are all the same (sums are then value x area)
        self.uniform: float | None = lo if lo == hi else None
        if self.uniform is not None:
            return
        self._qx, self._rx, self._qy, self._ry, hw, w, h = _maps(bw, bh, size[0], size[1])
        a = blocks.astype(np.float64)
        self._a = a
        fx, fy = _uniform(bw, bh, size[0], size[1])
        if fx:
            # every block fx x fy px (a whole-number scale): the three tables from one integral
            # of the blocks, scaled (whole numbers below 2^53: the same values as below)
            ii = cv2.integral(a, sdepth=cv2.CV_64F)
            self._full = ii * float(fx * fy)
            self._col = ii[:, 1:] - ii[:, :-1]
            self._col *= fy
            self._row = ii[1:] - ii[:-1]
            self._row *= fx
            return
        # whole blocks above-left; whole rows above in a block column; whole columns left in a block row
        self._full = cv2.integral(a * hw, sdepth=cv2.CV_64F)
        # prefix sums down each block column and along each block row, a zero first (whole
        # numbers: the values of the integral images' differences, fewer calls)
        self._col = np.zeros((bh + 1, bw))
        (a * h[:, None]).cumsum(axis=0, out=self._col[1:])
        self._row = np.zeros((bh, bw + 1))
        (a * w[None, :]).cumsum(axis=1, out=self._row[:, 1:])

    def prefix(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """float (N,) sums over [0, x) x [0, y) for int arrays ``x`` in 0..width, ``y``
        in 0..height (what ``cv2.integral(resized)[y, x]`` holds)."""
        if self.uniform is not None:
            return self.uniform * (np.asarray(x, np.float64) * y)
        qx, rx, qy, ry = self._qx[x], self._rx[x], self._qy[y], self._ry[y]
        return self._full[qy, qx] + rx * self._col[qy, qx] + ry * (self._row[qy, qx] + rx * self._a[qy, qx])
