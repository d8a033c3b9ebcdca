"""Scene reuse of the digit finder: the slow-changing analysis of one video frame kept for the next.

In a live video consecutive frames show nearly the same scene. What
:class:`edge.segment.digits.DigitSegmenter` learns about the scene changes slowly:
the frame's ink polarity, the paper, texture and paper-ring blocks of
:func:`edge.segment.digit_scene.find_scene`, and the ink threshold as a function of
the background's grey level (:func:`edge.segment.digit_scene.ink_lut`: the paper's
noise and Otsu's level, clamped to a few noise deviations). The ink, the digits,
must be found in every frame. :class:`SceneMemory` keeps the scene of the last full
analysis and decides per frame, from a :data:`THUMB` grey thumbnail (area-averaged:
sensor noise and the ink of single digits mostly average out) compared with the
one at that analysis (not the previous frame's, so slow changes add up):

- :data:`SCENE`, the whole scene is reused, when the thumbnail differs by at most
  ``reuse_mean`` grey levels on average and ``reuse_max`` at any pixel: a still
  camera on a still sheet. Only flat-fielding with the frame's own background, the
  kept threshold per background level, contours and candidates (with the kept
  paper ring) run. What passes changes the scene below a thumbnail pixel's contrast:
  new ink written on the paper (it lies on the kept paper, where digits are looked
  for) or a sheet moved by a few pixels (the paper is read in 8-px blocks and the
  ring test needs half the ring to be paper). A hand or a sheet entering, the paper
  sliding or the camera panning by more than about a quarter of a thumbnail pixel at
  a contrasted edge moves some pixel by more than ``reuse_max``;
- :data:`LEVEL`, only the polarity and the threshold per background level are
  reused, when the thumbnail's mean is within ``reuse_mean`` (the light did not
  change) and its mean absolute difference at most ``reuse_level_mean`` (the same
  scene, moved: a drifting sheet, a shaking camera, a hand coming in). The paper,
  texture and ring are found anew in the frame, so a stale paper mask never hides
  new digits; a stale threshold is bounded by the paper's noise clamp;
- else :data:`FULL`: a full analysis, which is kept when it took one pass (no
  page-scale second pass, no 4x look: pages and large photos are never reused).

On a reused frame (either mode) the first level's second look, at a higher ink level where
pieces were dropped as the paper's edge or as too large (a digit that a shadow wedge or the
paper's edge joined: :class:`edge.segment.digits.DigitSegmenter`), runs only when that look
changed the full analysis's candidates (:meth:`SceneMemory.look_again`). On a steady scene it
finds what it found there: of ``edge-bench``'s 500 demo frames 353 looked (~0.18 ms each), 94
with this rule, and 14 looks changed anything, all in its hard frames 350-374; in the JSON Lines
of ``edge-run --source demo`` two frames of 500 lose an extra (a piece of a note's edge). A digit
joined to such a piece only after the full analysis (a hand's shadow coming over it) is missed
on that frame: fewer digits than the full analysis found, so the kept scene is dropped.

A full analysis also runs after :meth:`SceneMemory.reset` (:meth:`edge.pipeline.Pipeline.reset`
calls it through :meth:`edge.segment.digits.DigitSegmenter.reset`: the live loop before
every still image and after a source's gap, the evaluations per photo), on a change of
frame size or analysis scale, and at least every ``reuse_frames`` frames. A reused
frame's result must not jump: at least as many digits as the full analysis found, their
median height within a factor ``reuse_height`` of its, in one pass. If it does, the kept
scene is dropped; a :data:`SCENE` frame (a digit may hide under a stale paper mask) is
analysed again in full and that result returned (from the same grey and analysis images,
thumbnail and, when the polarity decided anew is the kept one, flat-field: only the
scene, the threshold and the digits are found again), a :data:`LEVEL` frame keeps its result.

``DigitSegmenterConfig.reuse_scene=False`` analyses every frame in full.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_scene import Scene, find_scene, ink_lut, level_image
from edge.segment.flat_field import flat_field
from edge.segment.ink_polarity import frame_ink_is_light
from edge.types import ROI

__all__ = ["FULL", "LEVEL", "SCENE", "THUMB", "SceneMemory"]

#: (width, height) of the thumbnail the scene-change test compares (px).
THUMB = (40, 30)


@dataclass
class _Kept:
    """The scene of the last full analysis (analysis px)."""

    thumb: np.ndarray  # uint8 THUMB grey at the full analysis
    shape: tuple[int, int]  # (h, w) of the analysis image
    scale: float  # analysis scale of the first pass
    light: bool  # the ink was light
    scene: Scene  # from find_scene, at the first pass
    lut: np.ndarray  # uint8 (256,) ink threshold per background grey level
    count: int  # digits found
    height: float  # their median height (frame px), 0 when none
    looked: bool  # its second look where pieces were dropped changed its candidates
    age: int = 0  # frames reused since


#: :func:`edge.segment.flat_field.flat_field`'s background, darkness, lit mask and lit paper level
_Flat = tuple[np.ndarray, np.ndarray, np.ndarray | None, int]

#: What a frame reuses: nothing (a full analysis), the ink level and polarity, or the whole scene.
FULL, LEVEL, SCENE = 0, 1, 2


class SceneMemory:
    """The scene of the last full analysis, and the decision to reuse it (module docstring).

    One per :class:`edge.segment.digits.DigitSegmenter`; per frame the segmenter calls
    :meth:`begin`, :meth:`light`, :meth:`scene_and_level` (once per analysis pass)
    and :meth:`end`.

    Args:
        config: the segmenter's settings (``reuse_*`` fields).
    """

    def __init__(self, config: DigitSegmenterConfig) -> None:
        self.config = config
        self._kept: _Kept | None = None
        self._mode = FULL
        self._thumb: np.ndarray | None = None
        self._shape: tuple[int, int] = (0, 0)
        self._scale, self._light = 1.0, False
        self._passes = 0
        self._pending: tuple[Scene, np.ndarray] | None = None
        self._again = False  # the next begin() is for the image the last end() rejected
        self._looked = False  # the first pass's second look where pieces were dropped changed its candidates
        # the polarity and flat-field of the frame's first pass; those of the rejected frame
        self._first_flat: tuple[bool, _Flat] | None = None
        self._again_flat: tuple[bool, _Flat] | None = None
        #: what the current analysis pass reused (:data:`FULL`, :data:`LEVEL`, :data:`SCENE`), or ``None``:
        #: not a frame's first pass with the paper rule (never kept nor reused); and the resets so far
        #: (a ruling is carried over from frame to frame between resets: :mod:`.ruling_carry`)
        self.reused: int | None = None
        self.resets = 0
        #: frames by what they reused (:data:`FULL`, :data:`LEVEL`, :data:`SCENE`) since
        #: construction; a reused frame analysed again in full counts in both
        self.frames = [0, 0, 0]

    @property
    def mode(self) -> int:
        """What the current frame reuses: :data:`FULL`, :data:`LEVEL` or :data:`SCENE`."""
        return self._mode

    def reset(self) -> None:
        """Forget the kept scene: the next frame is analysed in full."""
        self._kept = None
        self._mode = FULL
        self._again = False
        self.resets += 1

    def begin(self, small: np.ndarray, scale: float) -> None:
        """Decide what the frame reuses of the kept scene.

        Args:
            small: uint8 (h, w) grey analysis image of the frame's first pass (before any
                inversion for light ink); after :meth:`end` returned ``False``, the same
                image (its thumbnail is not computed again).
            scale: its analysis scale (analysis px per frame px).
        """
        cfg = self.config
        kept_thumb = self._thumb if self._again else None  # the same image, analysed again
        self._again_flat = self._first_flat if self._again else None
        self._passes, self._pending, self._mode, self._thumb, self._first_flat = 0, None, FULL, None, None
        self._looked = False
        self._shape, self._scale, self._light, self._again = small.shape[:2], scale, False, False
        if not cfg.reuse_scene:
            return
        thumb = cv2.resize(small, THUMB, interpolation=cv2.INTER_AREA) if kept_thumb is None else kept_thumb
        self._thumb = thumb
        k = self._kept
        if k is None or k.shape != self._shape or k.scale != scale or k.age + 1 >= cfg.reuse_frames:
            return
        # exact sums of whole grey levels (cv2 on uint8: no int16 copies), then one division each
        n = thumb.size
        shift = (cv2.sumElems(thumb)[0] - cv2.sumElems(k.thumb)[0]) / n  # the mean difference
        absdiff = cv2.absdiff(thumb, k.thumb)
        moved = cv2.sumElems(absdiff)[0] / n
        if abs(shift) > cfg.reuse_mean or moved > cfg.reuse_level_mean:
            return  # the light changed, or another scene
        self._mode = (
            SCENE if moved <= cfg.reuse_mean and cv2.minMaxLoc(absdiff)[1] <= cfg.reuse_max else LEVEL
        )

    def light(self, small: np.ndarray) -> bool:
        """The frame's ink is light on a dark ground (the kept decision when reusing).

        Args:
            small: uint8 (h, w) grey analysis image.
        """
        cfg = self.config
        if self._mode != FULL and self._kept is not None:
            self._light = self._kept.light
        else:
            self._light = cfg.polarity == "light" or (cfg.polarity == "auto" and frame_ink_is_light(small))
        return self._light

    def flat_field(self, small: np.ndarray) -> _Flat:
        """:func:`edge.segment.flat_field.flat_field` of an analysis pass's image.

        The first pass of a frame analysed again after :meth:`end` returned ``False``
        takes that of the rejected frame's first pass when the polarity is the same
        (the same image: the same result).

        Args:
            small: uint8 (h, w) grey analysis image (dark ink).
        """
        again, self._again_flat = self._again_flat, None
        if self._passes == 0 and again is not None and again[0] == self._light:
            flat = again[1]
        else:
            flat = flat_field(self.config, small)
        if self._passes == 0:
            self._first_flat = (self._light, flat)
        return flat

    def scene_and_level(
        self,
        small: np.ndarray,
        bg: np.ndarray,
        dark: np.ndarray,
        lit: np.ndarray | None,
        bright: int,
        colour: np.ndarray | None,
        paper: bool,
        first: bool,
    ) -> tuple[Scene, np.ndarray, int, np.ndarray | None]:
        """The scene and the per-pixel ink threshold of one analysis pass.

        Args:
            small: uint8 (h, w) grey analysis image (dark ink).
            bg: uint8 (h, w) its background estimate.
            dark: uint8 (h, w) darkness (0 paper .. 255 black).
            lit: uint8 (h, w) lit mask, or ``None``.
            bright: the lit paper's background grey level.
            colour: the uint8 (H, W, 3) BGR frame, or ``None``.
            paper: apply the paper rule.
            first: the frame's first pass (the only one that is kept or reused).

        Returns:
            (the scene; uint8 (h, w) threshold; its value on the lit paper; float (256,)
            histogram of ``dark`` on the paper, or ``None`` when the level is reused:
            :func:`edge.segment.ink.second_ink_threshold` then measures it).
        """
        cfg = self.config
        self._passes += 1
        k = self._kept
        reuse = self._mode if k is not None and first and paper else FULL
        self.reused = reuse if first and paper else None
        if reuse == SCENE and k is not None:
            return k.scene, level_image(bg, k.lut, k.scene), int(k.lut[bright]), None
        deficit = cv2.subtract(bg, small)
        scene = find_scene(cfg if paper else replace(cfg, paper_contrast=0), dark, deficit, lit, colour)
        if reuse == LEVEL and k is not None:
            return scene, level_image(bg, k.lut, scene), int(k.lut[bright]), None
        lut, hist = ink_lut(cfg, dark, deficit, scene)
        if first and paper:
            self._pending = (scene, lut)
        return scene, level_image(bg, lut, scene), int(lut[bright]), hist

    def look_again(self, first: bool) -> bool:
        """Whether an analysis pass looks again, at a higher ink level, where pieces were dropped as
        the paper's edge or as too large: always, but on a reused frame's first pass only when that
        look changed the kept full analysis's candidates (module docstring).

        Args:
            first: the frame's first pass.
        """
        k = self._kept
        return not first or self._mode == FULL or k is None or k.looked

    def looked(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """Note what the first pass's look where pieces were dropped did (:meth:`look_again`):
        float (M, >= 4) candidates ``before`` it and ``after`` it (returned)."""
        if self._passes == 1 and (len(after) != len(before) or not np.array_equal(after, before)):
            self._looked = True
        return after

    def end(self, rois: list[ROI]) -> bool:
        """Close the frame: keep a full single-pass analysis, or check a reused one.

        Args:
            rois: the frame's digit boxes (frame px).

        Returns:
            ``False`` when the frame reused the whole scene (:data:`SCENE`) and its result
            jumped (fewer digits than the full analysis, a median height off by more than
            ``reuse_height``, or a second pass wanted): the caller analyses the frame again
            in full; ``True`` otherwise. A jump drops the kept scene in both modes.
        """
        cfg = self.config
        heights = sorted(r.h for r in rois)
        height = float(heights[len(heights) // 2]) if heights else 0.0
        k, mode = self._kept, self._mode
        self.frames[mode] += 1
        if mode != FULL and k is not None:
            self._mode = FULL
            ratio = height / k.height if k.height > 0 else (1.0 if height == 0 else np.inf)
            if (
                self._passes != 1
                or len(rois) < k.count
                or not 1 / cfg.reuse_height <= ratio <= cfg.reuse_height
            ):
                self._kept = None  # the next frame is analysed in full
                self._again = mode == SCENE
                return mode == LEVEL  # the paper was found anew: the result stands
            k.age += 1
            return True
        if self._thumb is None or self._passes != 1 or self._pending is None:
            self._kept = None
            return True
        scene, lut = self._pending
        self._kept = _Kept(
            self._thumb, self._shape, self._scale, self._light, scene, lut, len(rois), height, self._looked
        )
        return True
