"""The live loop's cut decisions held from frame to frame, so touching digits do not flicker.

The digit finder proposes cutting a piece of ink wider than a digit (:mod:`edge.segment.joined_digits`)
and :func:`edge.roi_reading.choose_cuts` keeps the parts only when the model reads each surer than
the whole. Both steps see one frame: under a pixel of jitter and fresh sensor noise a touching pair
is cut in one frame and not in the next ("35" then "5"), or the two readings score within a few
hundredths of each other (a "41": the "1" at 0.52-0.78, the whole "4" at 0.57-0.61), and the shown
number flips every frame. The :class:`edge.track.TrackSmoother` cannot hide it: it votes the label
of each box, and the whole and its parts are different boxes.

:class:`CutMemory` keeps, for each piece decided in the last frame, its box and what was kept (its
parts or the whole), and decides this frame's piece at the same place (box IoU >= ``min_iou``) with
hysteresis, the Schmitt trigger's rule for a noisy two-state decision: the other reading replaces
last frame's only when the model is surer of it by ``margin`` (top probability; the parts' surer
reading is their least sure part's, as in :func:`~edge.roi_reading.choose_cuts`). When last frame
kept the parts and the finder does not cut the piece this frame, the parts are proposed again at
their places relative to the piece (moved with its box) and read from this frame's pixels (never
last frame's readings), then judged the same way; when the finder cuts it otherwise (other part
boxes: a "40" cut as "4", "0" in one frame and as "1", "1", "0" in the next), last frame's parts
are read too and this frame's cut replaces them only when its least sure part is surer than
theirs by ``margin``. A piece seen for the first time is decided as
before, and a frame with no cut in it or the last one is returned as it came.

Measured on six touching pairs of MNIST test digits found flipping between one and two digits
(30 frames each of one held scene: a 0-1 px jitter and fresh sensor noise, sigma 3), the smoothed
shown reading changed 137 times before, 48 after: "07", "35", "41" and "40" 27 / 29 / 21 / 16 ->
1 each (the first frame's reading, then the surer one for good). The other two, 29 and 15 each, are not
cuts (left alone): a "92" the finder finds as two pieces in one frame and one uncut piece in the
next, and an "86" whose 8 is not found in half of the frames. ``margin``: with 0 the "41" still
flips 21 times (its "1" and its whole cross every frame), with 0.05 or 0.1 once, with 0.2 never,
but then the "41" and the "40" stay at their first, wrong reading ("4", "110"); 0.1 is taken,
the middle of the range that holds. A frame is
read exactly as before when neither it nor the last has a cut: the demo's 500 frames and its
3,000-frame videos of seeds 0-2 are unchanged byte for byte; seeds 3 and 4 read the same digits
right, wrong and missed, seed 3 with 2 extras more (a speck cut as "1" and "7" at 0.50 and 0.25
whose whole read "0" at 0.31: the parts held two frames), 18 and 1 frames changed in all.

Cost: only in a frame with a cut or after one (66 of seed 3's 3,000 frames, 7 of them reading
last frame's parts again): median 0.16 ms CPU there, with the whole's read that was paid before.

Imports :mod:`edge.roi_reading` and :mod:`edge.types`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from edge.roi_reading import Reading, read_boxes, read_cuts
from edge.types import ROI, Prediction

__all__ = ["CutMemory"]


class CutMemory:
    """Last frame's cut decisions, and this frame's decided with hysteresis (module doc).

    Args:
        margin: how much surer (top probability, in [0, 1]) the model must be of the reading
            last frame did not keep for it to replace that one.
        min_iou: the least box IoU, in (0, 1], at which a piece is the one of last frame.

    Raises:
        ValueError: ``margin`` outside [0, 1] or ``min_iou`` outside (0, 1].
    """

    def __init__(self, margin: float = 0.1, min_iou: float = 0.7) -> None:
        if not (0.0 <= margin <= 1.0 and 0.0 < min_iou <= 1.0):
            raise ValueError(f"margin must be in [0, 1] and min_iou in (0, 1], got {margin} and {min_iou}")
        self.margin = float(margin)
        self.min_iou = float(min_iou)
        #: last frame's pieces: (the piece's box, the parts kept, or None when the whole was kept)
        self.kept: list[tuple[ROI, list[ROI] | None]] = []

    def reset(self) -> None:
        """Forget last frame's decisions (a scene cut)."""
        self.kept = []

    def _last(self, box: ROI) -> tuple[ROI, list[ROI] | None] | None:
        """Last frame's piece at ``box`` (the most overlapping one, IoU >= ``min_iou``), or None."""
        best = max(self.kept, key=lambda e: e[0].iou(box), default=None)
        return best if best is not None and best[0].iou(box) >= self.min_iou else None

    def read(
        self,
        segmenter: Any,
        preprocessor: Any,
        classifier: Any,
        image: Any,
        rois: list[ROI],
        light: Any,
        predictions: list[Prediction],
    ) -> tuple[list[ROI], Any, list[Prediction]]:
        """:func:`edge.roi_reading.read_cuts` of a live frame with last frame's decisions held.

        Args:
            segmenter, preprocessor, classifier, image: as :func:`~edge.roi_reading.read_cuts`
                (``image`` uint8 (H, W, 3) BGR).
            rois: this frame's ROIs with ink; light: their polarities; predictions: their readings.

        Returns:
            (ROIs, polarities, predictions): the inputs themselves when neither this frame nor
            the last has a cut; else each cut's parts or whole, and an uncut piece whose parts
            last frame kept replaced by those parts when they are read surely enough.
        """
        if not self.kept and not any(r.whole is not None for r in rois):
            return rois, light, predictions
        read = functools.partial(read_boxes, segmenter, preprocessor, classifier, image)
        rois, light, predictions = self._proposed(read, rois, light, predictions)
        bias: dict[ROI, float] = {}
        for r in rois:
            if r.whole is not None and r.whole not in bias:
                last = self._last(r.whole)
                bias[r.whole] = 0.0 if last is None else (self.margin if last[1] is None else -self.margin)
        if bias:
            rois, light, predictions = read_cuts(
                segmenter, preprocessor, classifier, image, rois, light, predictions, bias=bias
            )
        self._remember(rois, set(bias))
        return rois, light, predictions

    def _proposed(
        self,
        read: Callable[[list[ROI]], Reading],
        rois: list[ROI],
        light: Any,
        predictions: list[Prediction],
    ) -> tuple[list[ROI], Any, list[Prediction]]:
        """Last frame's kept parts proposed again where this frame has the piece: moved with its
        box, read from this frame, :attr:`~edge.types.ROI.whole` this frame's piece (so that
        :func:`~edge.roi_reading.choose_cuts` judges them against it), when two or more have ink.
        They replace an uncut ROI at the piece, and a different cut of it (other part boxes)
        unless that cut's least sure part is surer than theirs by ``margin``. The inputs
        themselves when nothing is replaced (``read``: this frame's boxes read,
        :func:`~edge.roi_reading.read_boxes`)."""
        lit_in = light if isinstance(light, list) else [light] * len(rois)
        rows = list(zip(rois, lit_in, predictions, strict=True))
        groups: dict[int, list[int]] = {}  # id of the piece (the ROI, or its whole) -> its rows
        for i, r in enumerate(rois):
            groups.setdefault(id(r.whole if r.whole is not None else r), []).append(i)
        swap: dict[int, list[tuple[ROI, Any, Prediction]]] = {}  # first row of a group -> new rows
        for idx in groups.values():
            r = rois[idx[0]]
            piece = r.whole if r.whole is not None else r
            last = self._last(piece)
            if last is None or last[1] is None or (r.whole is not None and len(idx) < 2):
                continue
            dx, dy = piece.x - last[0].x, piece.y - last[0].y
            boxes = [ROI(q.x + dx, q.y + dy, q.w, q.h, whole=piece, side=_moved(q.side, dx)) for q in last[1]]
            if r.whole is not None and len(boxes) == len(idx):
                if all(b.iou(rois[i]) >= self.min_iou for b, i in zip(boxes, idx, strict=True)):
                    continue  # the same cut again
            again = read(boxes)  # (read as this frame's ROIs: edge.roi_reading.read_boxes)
            if len(again.rois) < 2:
                continue
            got = list(zip(again.rois, again.light, again.predictions, strict=True))
            if r.whole is not None:  # two cuts: this frame's only when surer by the margin
                mine = min(float(predictions[i].score) for i in idx)
                if mine > min(float(g[2].score) for g in got) + self.margin:
                    continue
            swap[idx[0]] = got
            for i in idx[1:]:
                swap[i] = []
        if not swap:
            return rois, light, predictions
        out = [row for i, r in enumerate(rows) for row in swap.get(i, [r])]
        return (
            [o[0] for o in out],
            [o[1] for o in out] if isinstance(light, list) else light,
            [o[2] for o in out],
        )

    def _remember(self, rois: list[ROI], wholes: set[ROI]) -> None:
        """Record this frame's pieces: each cut's parts kept, each whole read in their place, and
        each uncut ROI where last frame had a piece."""
        kept: dict[ROI, list[ROI] | None] = {}
        for r in rois:
            if r.whole is not None:
                parts = kept.setdefault(r.whole, [])
                if parts is not None:
                    parts.append(r)
        for r in rois:
            if r.whole is None and (r in wholes or self._last(r) is not None):
                kept[r] = None
        self.kept = [
            (w, [ROI(q.x, q.y, q.w, q.h, side=q.side) for q in ps] if ps else None) for w, ps in kept.items()
        ]


def _moved(side: Any, dx: int) -> Any:
    """A part's side of a cut path (:attr:`edge.types.ROI.side`, or None) moved ``dx`` frame px
    along x (its rows follow the whole's top, which moved with the part)."""
    return None if side is None else side + dx
