"""Hands from a frame: MediaPipe's palm detector, the 21-point landmark model and tracking.

Follows MediaPipe's hand tracking graph (``mediapipe/modules/hand_landmark/
hand_landmark_tracking_cpu.pbtxt``), re-implemented over a TFLite interpreter:

- video (``static=False``): each tracked hand's next ROI comes from its landmarks in the previous
  frame (:func:`~edge.segment.hand_landmarks.landmarks_to_roi`); the palm detector runs only when
  fewer than ``max_hands`` hands are tracked (a hand is lost when its presence falls below
  ``min_presence``), and new palms overlapping a tracked hand (IoU > 0.5, as the graph's
  ``AssociationNormRectCalculator``) are dropped. As in MediaPipe, with ``max_hands`` above the
  number of hands in view the palm detector runs on every frame;
- still images (``static=True``): the palm detector runs on every image. Beyond MediaPipe, when it
  finds no hand with presence >= ``min_presence`` the landmark model is also tried directly on
  centred squares of the image at a few scales and rotations (``fallback``), keeping the most
  confident landmarks: close-up hands that fill the frame are where the palm detector fails.
  Each palm-detector hand whose first presence is below ``refine_below`` (0.9), and every hand
  from the centred squares, has its landmarks refined once from their own ROI (``refine``), kept
  when that raises the presence. On the shared photos (300
  per source) the fallback raised the share of hand photos with presence >= 0.5 from 83-100% to
  99-100% per source, and on close-ups (photos cropped to the hand) from 18-98% to 98-100%,
  without more hands found in empty frames. Refining palm-detector hands only below presence
  0.9 instead of always left the hands found and the shipped classifier's accuracy unchanged on
  320 shared photos, their close-ups and whole-frame versions (answers 95-99% identical) at 1.8
  instead of 2.8 landmark runs per photo; not refining the centred squares' hands cost 3 points
  on close-ups.
- still images, small hands: when no hand reaches presence 0.5 the palm detector also runs on
  overlapping square tiles of the frame (``tiles``: side 0.75 of the shorter side, six tiles on
  640x480, :mod:`edge.segment.palm_tiles`), after the centred squares (``tiles_first``; before
  them, tiles cost 3 points on close-ups by finding part of a hand). On the 320 photos pasted
  120-220 px high into 640x480 frames, no hand was found in 26.6% without tiles and 4.7-7.2%
  with them (shipped classifier 78% -> 93-95%).
- video: one centred square (``video_fallback``) is tried when nothing is tracked and the palm
  detector finds nothing, so a hand that fills the frame can still be picked up and tracked; the
  tiled palm pass runs at most every ``video_tile_every`` (15) frames while nothing is tracked,
  so a small hand far from the camera is picked up too (20 photos pasted 120-220 px high into a
  640x480 room: 13 -> 20 picked up within 30 frames; on an empty room +0.4 palm-detector calls
  per frame, mean 29.3 -> 31.9 ms, median unchanged).
- the palm detector's letterbox is bilinear (``edge.segment.palm.letterbox``), as MediaPipe's.

Models: ``edge-models fetch hands`` (:func:`edge.pretrained.hand_model_paths`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge.pretrained import hand_model_paths
from edge.segment.hand_landmarks import HandLandmarker, LandmarkResult, landmarks_to_roi
from edge.segment.palm import PalmDetection, PalmDetector, RotatedRect, palm_to_hand_roi
from edge.segment.palm_tiles import detect_tiled
from edge.types import ROI

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandResult:
    """One hand.

    Attributes:
        landmarks: float32 (21, 3) frame pixels x, y and relative depth z (px scale).
        world_landmarks: float32 (21, 3) metres.
        presence: the landmark model's hand presence in [0, 1].
        handedness: probability in [0, 1] that the image shows a right hand as it is.
        label: ``"Right"``/``"Left"``, the person's hand (see ``HandTracker(mirrored=...)``).
        palm_score: the palm detector's score in [0, 1], or None when the hand came from
            tracking or the fallback.
        rect: the rotated square ROI the landmarks were read from (frame px; ``rotation`` in
            radians, clockwise on screen, 0 = fingers up).
        crop: uint8 (224, 224, 3) RGB upright hand crop fed to the landmark model.
        embedding: float32 (D,) pooled landmark-network features (1152 full, 672 lite) or None.
        origin: ``"palm"``, ``"tiles"`` (the tiled palm pass), ``"track"`` or ``"fallback"``.
    """

    landmarks: np.ndarray
    world_landmarks: np.ndarray
    presence: float
    handedness: float
    label: str
    palm_score: float | None
    rect: RotatedRect
    crop: np.ndarray = field(repr=False)
    embedding: np.ndarray | None = field(default=None, repr=False)
    origin: str = "palm"

    def box(self, pad: float = 0.1, bounds: tuple[int, int] | None = None) -> ROI:
        """Axis-aligned box of the landmarks grown by ``pad`` of its longer side on every edge,
        clipped to ``bounds`` = (width, height) when given."""
        lo, hi = self.landmarks[:, :2].min(0), self.landmarks[:, :2].max(0)
        x0, y0 = int(math.floor(lo[0])), int(math.floor(lo[1]))
        r = ROI(x0, y0, int(math.ceil(hi[0])) - x0, int(math.ceil(hi[1])) - y0)
        return r.pad(pad, bounds)

    def to_roi(self, bounds: tuple[int, int] | None = None, pad: float = 0.1) -> ROI:
        """The pipeline's :class:`~edge.types.ROI`: landmark box, angle (degrees counter-clockwise),
        landmarks, handedness label and presence as score."""
        b = self.box(pad, bounds)
        return ROI(
            b.x,
            b.y,
            b.w,
            b.h,
            angle=-math.degrees(self.rect.rotation),
            landmarks=self.landmarks.copy(),
            handedness=self.label,
            score=self.presence,
        )


def _aabb(r: RotatedRect) -> np.ndarray:
    h = np.abs(r.corners() - [r.cx, r.cy]).max(0)
    return np.array([r.cx - h[0], r.cy - h[1], r.cx + h[0], r.cy + h[1]])


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _lm_box(lm: np.ndarray) -> np.ndarray:
    return np.concatenate([lm[:, :2].min(0), lm[:, :2].max(0)])


class HandTracker:
    """Find hands and their 21 landmarks in frames or still images.

    Args:
        variant: ``"full"`` or ``"lite"`` for both models, or ``"PALM/LANDMARKS"`` (e.g.
            ``"full/lite"``: full palm detector, lite landmark model); ignored for a model given
            by path.
        static: still images (palm detector on every image, fallback) instead of video tracking.
        max_hands: most hands reported.
        min_palm_score: palm detector threshold (MediaPipe 0.5).
        min_presence: hands below this presence are dropped and tracks lost (MediaPipe 0.5).
            0 keeps the best candidate whatever its presence (for offline extraction).
        embedding: also return the landmark network's pooled features (slower interpreter).
        fallback: static mode: try centred squares when the palm detector finds no hand.
        fallback_scales: sides of the centred squares as multiples of the image's longer side.
        fallback_rotations: rotations tried for each square, degrees clockwise on screen.
        refine: static mode: re-run the landmarks from their own ROI, keep it if presence rises.
        refine_below: static mode: refine only palm-detector hands whose first presence is below
            this (above 1: always). Hands from the centred squares are always refined (their
            square is a crude ROI).
        tiles: tile side as a fraction of the frame's shorter side for the tiled palm pass
            (:func:`edge.segment.palm_tiles.detect_tiled`) run when the whole-frame pass finds no
            hand with presence >= 0.5 (static) or nothing is tracked (video, see
            ``video_tile_every``); None: never.
        tiles_first: static mode: try the tiled palm pass before the centred squares (else after).
        video_tile_every: video mode: run the tiled palm pass at most once every this many frames
            while nothing is tracked and the whole-frame palm pass finds nothing; None: never.
        video_fallback: video mode: ``(scale, rotation_deg)`` of the one centred square tried (with
            one refinement) when no hand is tracked and the palm detector finds none; None: never.
            Costs two landmark runs on frames without a hand.
        mirrored: frames are mirrored (selfie view): swaps the reported Left/Right.
        palm_model, landmark_model: explicit model files or bundle folders (default: the
            fetched bundles of ``variant``).
        border: landmark crop border, ``"replicate"`` (MediaPipe) or ``"zero"``.
        num_threads: interpreter threads.

    Attributes:
        frames: images processed. palm_runs: whole-frame palm detector passes.
        tile_runs: tiled palm passes (each runs the palm detector once per tile).
        landmark_runs: landmark model invocations.
        last_timings_ms: ``{"palm": ms, "landmarks": ms, "total": ms}`` of the last image.

    Raises:
        HandModelsMissing: the models were not fetched (the message says ``edge-models fetch hands``).
    """

    def __init__(
        self,
        variant: str = "full",
        static: bool = False,
        max_hands: int = 2,
        min_palm_score: float = 0.5,
        min_presence: float = 0.5,
        embedding: bool = False,
        fallback: bool = True,
        fallback_scales: Sequence[float] = (1.0, 1.4),
        fallback_rotations: Sequence[float] = (0.0, 90.0, 270.0),
        refine: bool = True,
        refine_below: float = 0.9,
        tiles: float | None = 0.75,
        tiles_first: bool = False,
        video_tile_every: int | None = 15,
        video_fallback: tuple[float, float] | None = (1.2, 0.0),
        mirrored: bool = False,
        palm_model: str | Path | None = None,
        landmark_model: str | Path | None = None,
        border: str = "replicate",
        num_threads: int | None = None,
    ) -> None:
        if max_hands < 1:
            raise ValueError(f"max_hands must be >= 1, got {max_hands}")
        if palm_model is None or landmark_model is None:
            palm_v, _, lm_v = variant.partition("/")
            pdir = hand_model_paths(palm_v)[0]
            ldir = hand_model_paths(lm_v or palm_v)[1]
            palm_model = palm_model or pdir
            landmark_model = landmark_model or ldir
        self.palm = PalmDetector(palm_model, min_score=min_palm_score, num_threads=num_threads)
        self.landmarker = HandLandmarker(
            landmark_model, embedding=embedding, border=border, num_threads=num_threads
        )
        self.static, self.max_hands, self.min_presence = static, max_hands, min_presence
        self.fallback, self.refine, self.mirrored = fallback, refine, mirrored
        self.fallback_scales = tuple(fallback_scales)
        self.fallback_rotations = tuple(fallback_rotations)
        self.video_fallback = video_fallback
        self.refine_below, self.tiles, self.tiles_first = refine_below, tiles, tiles_first
        if video_tile_every is not None and video_tile_every < 1:
            raise ValueError(f"video_tile_every must be >= 1 or None, got {video_tile_every}")
        self.video_tile_every = video_tile_every
        self._last_tiled = -(10**9)
        self.tile_runs = 0
        self._tracks: list[RotatedRect] = []
        self.frames = self.palm_runs = self.landmark_runs = 0
        self.last_timings_ms: dict[str, float] = {}
        self._t_palm = self._t_lm = 0.0

    # -- building blocks ------------------------------------------------------
    def _landmarks(self, image: np.ndarray, rect: RotatedRect) -> LandmarkResult:
        t = time.perf_counter()
        r = self.landmarker.run(image, rect)
        self._t_lm += time.perf_counter() - t
        self.landmark_runs += 1
        return r

    def _result(self, r: LandmarkResult, palm_score: float | None, origin: str) -> HandResult:
        right = r.handedness > 0.5
        return HandResult(
            r.landmarks,
            r.world_landmarks,
            r.presence,
            r.handedness,
            "Right" if right != self.mirrored else "Left",
            palm_score,
            r.rect,
            r.crop,
            r.embedding,
            origin,
        )

    def _refined(self, image: np.ndarray, r: LandmarkResult, below: float = 1.0) -> LandmarkResult:
        if r.presence >= below:
            return r
        r2 = self._landmarks(image, landmarks_to_roi(r.landmarks))
        return r2 if r2.presence > r.presence else r

    def _from_palms(
        self, image: np.ndarray, n: int, avoid: list[np.ndarray], tiled: bool = False
    ) -> list[HandResult]:
        t = time.perf_counter()
        palms: list[PalmDetection]
        if tiled:  # always after the whole-frame pass on the same frame: counted in tile_runs only
            palms = detect_tiled(self.palm, image, self.tiles or 0.75)
            self.tile_runs += 1
            self._last_tiled = self.frames
        else:
            palms = self.palm.detect(image, max_palms=None)
            self.palm_runs += 1
        self._t_palm += time.perf_counter() - t
        out: list[HandResult] = []
        for det in palms:
            if len(out) >= n:
                break
            rect = palm_to_hand_roi(det)
            if any(_box_iou(_aabb(rect), b) > 0.5 for b in avoid):
                continue
            r = self._landmarks(image, rect)
            if self.static and self.refine:
                r = self._refined(image, r, self.refine_below)
            if r.presence >= self.min_presence:
                out.append(self._result(r, det.score, "tiles" if tiled else "palm"))
                avoid = [*avoid, _aabb(rect)]
        return out

    def _fallback(self, image: np.ndarray, candidates: Sequence[tuple[float, float]]) -> HandResult | None:
        h, w = image.shape[:2]
        best: LandmarkResult | None = None
        for s, deg in candidates:
            side = s * max(h, w)
            r = self._landmarks(image, RotatedRect(w / 2, h / 2, side, side, math.radians(deg)))
            if best is None or r.presence > best.presence:
                best = r
        if best is None:
            return None
        if self.refine or not self.static:
            best = self._refined(image, best)
        return self._result(best, None, "fallback")

    def _better(self, hands: list[HandResult], found: Sequence[HandResult | None]) -> list[HandResult]:
        """``found`` instead of ``hands`` when its best hand passes ``min_presence`` and beats them all."""
        new = sorted((x for x in found if x is not None), key=lambda x: -x.presence)
        if new and new[0].presence >= self.min_presence and all(new[0].presence > x.presence for x in hands):
            return new
        return hands

    def _static_fallbacks(self, image: np.ndarray, hands: list[HandResult]) -> list[HandResult]:
        """Still images: while no hand reaches presence 0.5, the tiled palm pass and the centred
        squares, in the order of ``tiles_first``."""
        steps = ["squares"] if self.fallback else []
        if self.tiles is not None:
            steps.insert(0 if self.tiles_first else len(steps), "tiles")
        for step in steps:
            if any(x.presence >= max(self.min_presence, 0.5) for x in hands):
                break
            if step == "tiles":
                hands = self._better(hands, self._from_palms(image, self.max_hands, [], tiled=True))
            else:
                grid = [(s, d) for s in self.fallback_scales for d in self.fallback_rotations]
                hands = self._better(hands, [self._fallback(image, grid)])
        return hands

    # -- public API -----------------------------------------------------------
    def reset(self) -> None:
        """Forget tracked hands (the next frame runs the palm detector)."""
        self._tracks = []

    def detect(self, image: np.ndarray) -> list[HandResult]:
        """Hands in one image (static mode) or the next video frame (tracking), best first.

        Args:
            image: uint8 (H, W, 3) BGR frame.

        Returns:
            Up to ``max_hands`` hands with presence >= ``min_presence`` (with ``min_presence``
            0 in static mode, always the most confident candidate).

        Raises:
            ValueError: ``image`` is not uint8 (H, W, 3).
        """
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected a uint8 (H, W, 3) BGR image, got {image.dtype} {image.shape}")
        t0 = time.perf_counter()
        self._t_palm = self._t_lm = 0.0
        self.frames += 1
        hands: list[HandResult] = []
        if not self.static:
            for rect in self._tracks:
                r = self._landmarks(image, rect)
                if r.presence >= self.min_presence and not any(
                    _box_iou(_lm_box(r.landmarks), _lm_box(o.landmarks)) > 0.5 for o in hands
                ):
                    hands.append(self._result(r, None, "track"))
        if len(hands) < self.max_hands:
            hands += self._from_palms(image, self.max_hands - len(hands), [_aabb(x.rect) for x in hands])
        if self.static:
            hands = self._static_fallbacks(image, hands)
        elif not hands:
            if (
                self.tiles is not None
                and self.video_tile_every is not None
                and self.frames - self._last_tiled >= self.video_tile_every
            ):
                hands = self._from_palms(image, self.max_hands, [], tiled=True)
            if not hands and self.video_fallback is not None:
                hands = self._better(hands, [self._fallback(image, [self.video_fallback])])
        hands.sort(key=lambda x: -x.presence)
        hands = hands[: self.max_hands]
        if not self.static:
            self._tracks = [landmarks_to_roi(x.landmarks) for x in hands]
        self.last_timings_ms = {
            "palm": 1e3 * self._t_palm,
            "landmarks": 1e3 * self._t_lm,
            "total": 1e3 * (time.perf_counter() - t0),
        }
        return hands

    def find(self, image: np.ndarray) -> list[ROI]:
        """The segmenter protocol: one :class:`~edge.types.ROI` per hand (landmark box grown by
        10%, clipped to the image; ``landmarks``, ``handedness``, ``score`` = presence, ``angle``).

        Args:
            image: uint8 (H, W, 3) BGR frame.
        """
        h, w = image.shape[:2]
        return [x.to_roi((w, h)) for x in self.detect(image)]
