"""The ``"background"`` hand finder: what differs from the learnt empty scene (a still camera)."""

from __future__ import annotations

import logging
from typing import Any

import cv2
import numpy as np

from edge.segment.blobs import BlobSegmenter, check_bgr_frame
from edge.segment.skin import SkinSegmenter

log = logging.getLogger(__name__)


class BackgroundSubtractionSegmenter(BlobSegmenter):
    """Hands as what differs from the learnt empty scene (a still camera).

    The first ``learn_frames`` frames (or those given to :meth:`learn`) should show
    the scene without a hand; until then :meth:`segment` returns ``[]``. Methods:

    - ``"average"`` (default): a running average of the scene; a pixel is
      foreground when any of its B, G, R channels differs from it by more than
      ``threshold`` (0..255). Afterwards the background keeps following slow light
      changes (``alpha`` per frame, background pixels only);
    - ``"mog2"``: OpenCV's Gaussian-mixture model (Z. Zivkovic, "Improved adaptive
      Gaussian mixture model for background subtraction", ICPR 2004), shadows off.

    When the foreground stays larger than ``max_area`` for ``relearn_after`` frames
    (the camera moved, the light changed) the model is learnt again.

    Args:
        method: ``"average"`` or ``"mog2"``.
        learn_frames: frames of empty scene to learn before segmenting (>= 1).
        threshold: ``"average"``: colour difference (0..255) that is foreground;
            ``"mog2"``: its ``varThreshold`` (squared Mahalanobis distance).
        alpha: background learning rate after learning, per frame, in [0, 1).
        skin: keep only foreground that is also skin-coloured (inside Chai & Ngan's
            YCrCb box: :class:`SkinSegmenter` with ``adapt=False``).
        relearn_after: see above; 0 never relearns.
        **blob: settings of the blob stage (see :class:`SkinSegmenter`).

    Raises:
        ValueError: unknown method or a setting out of range.
    """

    METHODS = ("average", "mog2")

    def __init__(
        self,
        method: str = "average",
        *,
        learn_frames: int = 30,
        threshold: float = 30.0,
        alpha: float = 0.01,
        skin: bool = False,
        relearn_after: int = 30,
        **blob: Any,
    ) -> None:
        super().__init__(**blob)
        if method not in self.METHODS:
            raise ValueError(f"unknown background method {method!r}; use one of {self.METHODS}")
        if learn_frames < 1 or threshold <= 0 or not 0.0 <= alpha < 1.0 or relearn_after < 0:
            raise ValueError(
                "need learn_frames >= 1, threshold > 0, 0 <= alpha < 1, relearn_after >= 0; "
                f"got {learn_frames}, {threshold}, {alpha}, {relearn_after}"
            )
        self.method = method
        self.learn_frames = int(learn_frames)
        self.threshold = float(threshold)
        self.alpha = float(alpha)
        self.relearn_after = int(relearn_after)
        self.skin = SkinSegmenter(analysis_size=self.analysis_size, adapt=False) if skin else None
        self._bg: np.ndarray | None = None
        self._mog: Any = None
        self._seen = 0
        self._too_big = 0

    @property
    def ready(self) -> bool:
        """True once ``learn_frames`` frames of the empty scene have been learnt."""
        return self._seen >= self.learn_frames

    def reset(self) -> None:
        """Forget the background; the next ``learn_frames`` frames are learnt again."""
        self._bg, self._mog, self._seen, self._too_big = None, None, 0, 0

    def learn(self, image: np.ndarray) -> None:
        """Add a frame of the empty scene to the background model.

        Args:
            image: uint8 (H, W, 3) BGR frame without a hand.

        Raises:
            ValueError: ``image`` is not a uint8 (H, W, 3) array.
        """
        check_bgr_frame(image)
        self._learn(self._downscale(image))

    def _learn(self, small: np.ndarray) -> None:
        if self._bg is not None and self._bg.shape[:2] != small.shape[:2]:
            self.reset()  # a new frame size: start again
        if self.method == "average":
            if self._bg is None:
                self._bg = small.astype(np.float32)
            else:
                cv2.accumulateWeighted(small, self._bg, 1.0 / (self._seen + 1))
        else:
            if self._mog is None:
                self._mog = cv2.createBackgroundSubtractorMOG2(
                    history=max(self.learn_frames, 50), varThreshold=self.threshold, detectShadows=False
                )
                self._bg = np.zeros(small.shape, np.float32)  # only its shape is used
            self._mog.apply(small, learningRate=1.0 / (self._seen + 1))
        self._seen += 1

    def _foregrounds(self, small: np.ndarray) -> list[np.ndarray]:
        if self._bg is not None and self._bg.shape[:2] != small.shape[:2]:
            self.reset()
        if not self.ready:
            self._learn(small)
            return []
        if self.method == "average":
            assert self._bg is not None
            diff = cv2.absdiff(small, cv2.convertScaleAbs(self._bg)).max(axis=2)
            fg = cv2.threshold(diff, self.threshold, 255, cv2.THRESH_BINARY)[1]
            if self.alpha > 0:
                cv2.accumulateWeighted(small, self._bg, self.alpha, mask=cv2.bitwise_not(fg))
        else:
            fg = self._mog.apply(small, learningRate=self.alpha)
        if self.relearn_after:
            big = cv2.countNonZero(fg) > self.max_area * fg.size
            self._too_big = self._too_big + 1 if big else 0
            if self._too_big >= self.relearn_after:
                log.info("background changed for %d frames: learning it again", self._too_big)
                self.reset()
                return []
        if self.skin is not None:
            fg = cv2.bitwise_and(fg, self.skin.skin_mask(small))
        return [fg]
