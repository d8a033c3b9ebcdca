"""Box sums of a block mask as if it were resized to full size, without resizing it.

The digit finder reads the scene in blocks (:mod:`edge.segment.digit_scene`) and asks
how much of the ring around each candidate is paper. Resizing the block mask to the
analysis size (nearest neighbour) and taking its integral image costs two passes over
every pixel for a few dozen box sums; :class:`BlockSums` gives the same sums from the
blocks alone.
"""

from __future__ import annotations

import cv2
import numpy as np


def _nearest_map(n_src: int, n_dst: int) -> np.ndarray:
    """int (n_dst,) source index of each destination index of ``cv2.resize``'s
    ``INTER_NEAREST`` (taken from OpenCV itself, so rounding is the same)."""
    src = np.arange(n_src, dtype=np.uint16)[None, :]
    return cv2.resize(src, (n_dst, 1), interpolation=cv2.INTER_NEAREST)[0].astype(np.intp)


class BlockSums:
    """Sums over boxes of ``cv2.resize(blocks, size, interpolation=cv2.INTER_NEAREST)``.

    Exactly what ``cv2.integral`` of the resized mask gives at any box, in O(blocks)
    set-up and O(1) per box: a pixel prefix (X, Y) covers whole blocks up to the
    block holding pixel X - 1 (Y - 1) and a part of that block, so its sum is a
    weighted 2-D prefix sum of the blocks plus the partial row, column and corner.

    Args:
        blocks: uint8 or bool (bh, bw) block values (typically 0/1).
        size: (width, height) of the resized image (px).
    """

    def __init__(self, blocks: np.ndarray, size: tuple[int, int]) -> None:
        bh, bw = blocks.shape
        sw, sh = size
        self.size = size
        a = blocks.astype(np.float64)
        cx, cy = _nearest_map(bw, sw), _nearest_map(bh, sh)
        w = np.bincount(cx, minlength=bw).astype(np.float64)  # px per block column
        h = np.bincount(cy, minlength=bh).astype(np.float64)
        start_x = np.concatenate([[0], np.cumsum(w)[:-1]])
        start_y = np.concatenate([[0], np.cumsum(h)[:-1]])
        # prefix X = 0 .. sw: block q holding pixel X - 1, and r of its pixels in the prefix
        self._qx = np.concatenate([[0], cx])
        self._rx = np.concatenate([[0.0], np.arange(1, sw + 1) - start_x[cx]])
        self._qy = np.concatenate([[0], cy])
        self._ry = np.concatenate([[0.0], np.arange(1, sh + 1) - start_y[cy]])
        self._a = a
        # full blocks above-left; full rows above in a block column; full columns left in a block row
        self._full = np.zeros((bh + 1, bw + 1))
        self._full[1:, 1:] = np.cumsum(np.cumsum(a * h[:, None] * w[None, :], axis=0), axis=1)
        self._col = np.zeros((bh + 1, bw))
        self._col[1:] = np.cumsum(a * h[:, None], axis=0)
        self._row = np.zeros((bh, bw + 1))
        self._row[:, 1:] = np.cumsum(a * w[None, :], axis=1)

    def prefix(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """float (N,) sums over [0, x) x [0, y) for int arrays ``x`` in 0..width, ``y``
        in 0..height (what ``cv2.integral(resized)[y, x]`` holds)."""
        qx, rx, qy, ry = self._qx[x], self._rx[x], self._qy[y], self._ry[y]
        return (
            self._full[qy, qx] + rx * self._col[qy, qx] + ry * self._row[qy, qx] + rx * ry * self._a[qy, qx]
        )

    def box(self, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
        """float (N,) sums over the boxes [x0, x1) x [y0, y1) (int arrays, clipped to the image)."""
        return self.prefix(x1, y1) - self.prefix(x1, y0) - self.prefix(x0, y1) + self.prefix(x0, y0)
