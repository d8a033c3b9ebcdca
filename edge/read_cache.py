"""The live loop's digit readings kept for the next frames while the digit under them does not change.

A digit held to a camera is read afresh in every frame: preprocessed (:func:`edge.roi_inputs.ink_inputs`)
and classified, about 0.3 ms per digit on ``edge-bench pipeline --source demo``, although the frame
before showed the same ink at nearly the same place. :class:`ReadCache` keeps, for each ROI read in
the last frame, its box, writing angle, an :data:`SIGNATURE` grey thumbnail of the box (area-averaged:
sensor noise mostly averages out) and what was read (prediction and ink polarity). A ROI of this frame
takes a kept reading instead of being read again when:

- its box is within ``box_px`` px of the kept one on each side and its angle within ``angle_deg``
  (the finder found the same ink at the same place: a shaking camera moves it by a pixel or two);
- its thumbnail differs from the one taken when that reading was made by at most ``sig_mean`` grey
  levels on average (the same ink: a stroke added, a digit rubbed out and rewritten, a finger or a
  shadow coming over it changes whole cells of the thumbnail);
- the reading was made fewer than ``max_age`` frames ago (every digit is read afresh at least every
  ``max_age`` frames: slow changes that stay under the thresholds, and the model's own frame-to-frame
  wobble, are seen);
- the model was sure of it: top probability ``min_score`` or more (an unsure reading, a "1" or "7" at
  0.45-0.52 or a speck at 0.2, is what a fresh frame changes: it is read afresh every frame).

A digit the finder cut out of a wider piece (:attr:`edge.types.ROI.whole`) is always read afresh (its
cut is decided per frame: :mod:`edge.cut_memory`). The thumbnail is compared with the one of the frame
that was read, not with the last frame's, so small changes add up. The temporal vote
(:class:`edge.track.TrackSmoother`) then sees the kept reading again, as it would see a fresh one that
did not change.

Not exact: a kept reading stands where a fresh one would have come out a little different. On the
benchmark's demo frames (seed 0, 500 frames) last frame's ROI matched within 2 px and 6 levels for 52%
of the ROIs, and a fresh reading of those gave another label in 2 of 697 (top probability a median
0.004 apart, p95 0.034). Kept for unsure readings too, demo seed 2 read 6 digits wrong more of 9,000
(a "1"/"7" at 0.45-0.52 held while the fresh readings flipped); with ``min_score`` 0.9 and the defaults
here, 49% of seed 0's ROIs take a kept reading, and demo seeds 0-4 over 3,000 frames show the same
labels and numbers on every frame as when every ROI is read afresh (scores a few thousandths apart).
CPU per frame (least of 6 runs alternated in one process): median 3.52 -> 3.19 ms (seed 0), 3.73 ->
3.45 ms (seed 1); ``edge-bench pipeline --keep-readings 0`` compares on another machine.

Stills and a pipeline without a smoother never keep readings (:meth:`edge.pipeline.Pipeline.process`);
:meth:`ReadCache.reset` forgets them (a new video, a source's gap).

Imports :mod:`edge.roi_inputs` and :mod:`edge.types`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from edge.roi_inputs import ink_inputs, segmenter_grey
from edge.types import ROI, Prediction

__all__ = ["SIGNATURE", "ReadCache"]

#: (width, height) of the grey thumbnail of a ROI's box that tells whether its ink changed (px).
SIGNATURE = (8, 8)


@dataclass
class _Kept:
    """A reading of one ROI and what it was read from."""

    box: list[int]  # x, y, w, h (frame px) of the ROI in the last frame (ROI.as_list)
    angle: float  # its writing angle (degrees)
    signature: np.ndarray  # int16 SIGNATURE grey thumbnail of the box when it was read
    light: bool  # its ink polarity as the preprocessor found it (True: light ink)
    prediction: Prediction
    age: int  # frames since it was read


def signature(grey: np.ndarray, roi: ROI) -> np.ndarray:
    """int16 (8, 8) area-averaged grey thumbnail (:data:`SIGNATURE`) of ``roi``'s box in uint8 (H, W)
    ``grey`` (the box clipped to the image; an empty box gives zeros)."""
    h, w = grey.shape
    box = roi.intersect(ROI(0, 0, w, h))
    if not box.area:
        return np.zeros(SIGNATURE[::-1], np.int16)
    crop = grey[box.y : box.y + box.h, box.x : box.x + box.w]
    return cv2.resize(crop, SIGNATURE, interpolation=cv2.INTER_AREA).astype(np.int16)


class ReadCache:
    """Last frames' readings of each ROI, taken again while its ink does not change (module docstring).

    Args:
        box_px: most px each side of a ROI's box may move from the kept one's (>= 0).
        angle_deg: most degrees its writing angle may turn (>= 0).
        sig_mean: most mean absolute difference of the grey thumbnails (0..255 levels, >= 0).
        max_age: a reading is kept for at most this many frames after the one it was made in
            (>= 0; 0: nothing is kept).
        min_score: only readings whose top probability is at least this are kept (in [0, 1]).

    Raises:
        ValueError: a negative setting, or ``min_score`` above 1 (also when ``max_age`` is set later).
    """

    def __init__(
        self,
        box_px: int = 4,
        angle_deg: float = 2.0,
        sig_mean: float = 6.0,
        max_age: int = 3,
        min_score: float = 0.9,
    ) -> None:
        if min(box_px, angle_deg, sig_mean, max_age, min_score) < 0 or min_score > 1:
            raise ValueError(
                f"box_px, angle_deg, sig_mean and max_age must be >= 0 and min_score in [0, 1], got "
                f"{box_px}, {angle_deg}, {sig_mean}, {max_age}, {min_score}"
            )
        self.box_px, self.angle_deg, self.sig_mean, self.max_age = box_px, angle_deg, sig_mean, max_age
        self.min_score = min_score
        self._kept: list[_Kept] = []
        # this frame's ROIs with ink, in order: each with its kept reading (or None), thumbnail, polarity
        self._pending: list[tuple[ROI, _Kept | None, np.ndarray, bool]] = []
        self.taken = self.read = 0  # since construction: readings taken again, ROIs read afresh (keeping)

    @property
    def max_age(self) -> int:
        """Frames a reading is kept after the one it was made in (>= 0; 0: nothing is kept)."""
        return self._max_age

    @max_age.setter
    def max_age(self, frames: int) -> None:
        if frames < 0:
            raise ValueError(f"max_age must be >= 0, got {frames}")
        self._max_age = frames

    def reset(self) -> None:
        """Forget every kept reading."""
        self._kept, self._pending = [], []

    def _match(self, roi: ROI, sig: np.ndarray, free: list[_Kept]) -> _Kept | None:
        """The kept reading ``roi`` (with thumbnail ``sig``) takes, removed from ``free``, or ``None``."""
        box = roi.as_list()
        for k in free:
            if (
                k.age < self.max_age
                and max(abs(a - b) for a, b in zip(box, k.box, strict=True)) <= self.box_px
                and abs(roi.angle - k.angle) <= self.angle_deg
                and float(np.abs(sig - k.signature).mean()) <= self.sig_mean
            ):
                free.remove(k)
                return k
        return None

    def inputs(
        self, segmenter: Any, preprocessor: Any, image: np.ndarray, rois: list[ROI]
    ) -> tuple[list[ROI], np.ndarray | None, Any]:
        """:func:`edge.roi_inputs.ink_inputs` of the ROIs that take no kept reading.

        Args:
            segmenter: the segmenter whose ``find`` returned ``rois`` (its grey frame gives the
                thumbnails; a segmenter without one keeps nothing).
            preprocessor: as :func:`~edge.roi_inputs.ink_inputs`' (one that does not give each
                ROI's polarity as a ``last_light`` list keeps nothing).
            image: uint8 (H, W, 3) BGR frame.
            rois: this frame's ROIs.

        Returns:
            (the ROIs kept, in order: those that took a kept reading and those read afresh with ink;
            the model inputs of the ones read afresh only, in their order (the preprocessor's batch,
            float32 (N, 28, 28, 1) in [0, 1] for ``mnist-normalise``), or ``None``; each kept ROI's ink
            polarity (True: light ink), a list when the preprocessor gives them), for :meth:`classify`.
            Errors are the preprocessor's.
        """
        grey = segmenter_grey(segmenter, image)
        if (
            grey is None
            or self.max_age == 0
            or not isinstance(getattr(preprocessor, "last_light", None), list)
        ):
            self._pending = []
            return ink_inputs(segmenter, preprocessor, image, rois)
        free, took = list(self._kept), []
        for roi in rois:
            sig = signature(grey, roi)
            took.append((roi, None if roi.whole is not None else self._match(roi, sig, free), sig))
        fresh = [roi for roi, k, _ in took if k is None]
        inked, batch, light = ink_inputs(segmenter, preprocessor, image, fresh)
        lit = dict(zip(map(id, inked), light, strict=True))  # (the ROIs read afresh that have ink)
        self._pending = [
            (roi, k, sig, k.light if k is not None else lit[id(roi)])
            for roi, k, sig in took
            if k is not None or id(roi) in lit
        ]
        return [roi for roi, _, _, _ in self._pending], batch, [v for _, _, _, v in self._pending]

    def classify(self, classifier: Any, batch: np.ndarray | None) -> list[Prediction]:
        """The predictions of the ROIs :meth:`inputs` returned, in order: the kept readings, and
        ``classifier.classify`` of ``batch`` (the ROIs read afresh); these readings are kept for the
        next frames.

        Args:
            classifier: anything with ``classify(batch) -> list[Prediction]`` (an
                :class:`edge.runtime.Classifier`).
            batch: the model inputs :meth:`inputs` returned (float32 (N, H, W, C), one row per ROI
                read afresh), or ``None``.

        Returns:
            One :class:`~edge.types.Prediction` per ROI :meth:`inputs` returned, in that order.

        Raises:
            Whatever ``classifier.classify`` raises (:class:`edge.bundle.BundleError` for a model
            that fails to run, ValueError for inputs of the wrong shape).
        """
        fresh = classifier.classify(batch) if batch is not None and len(batch) else []
        if not self._pending:  # (no ROI with ink, or nothing kept: a frame without the digits forgets them)
            self._kept = []
            return list(fresh)
        out, kept, it = [], [], iter(fresh)
        for roi, k, sig, light in self._pending:
            if k is not None:
                pred, k.age, k.box, k.angle = k.prediction, k.age + 1, roi.as_list(), roi.angle
                kept.append(k)
                self.taken += 1
            else:
                pred = next(it)
                if roi.whole is None and pred.score >= self.min_score:
                    kept.append(_Kept(roi.as_list(), roi.angle, sig, light, pred, 0))
                self.read += 1
            out.append(pred)
        self._kept, self._pending = kept, []
        return out
