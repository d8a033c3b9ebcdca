"""The ``"skin"`` / ``"skin-hsv"`` hand finder: skin colour adapted to each frame."""

from __future__ import annotations

import functools
import logging
from typing import Any

import cv2
import numpy as np

from edge.segment.blobs import BlobSegmenter, check_bgr_frame
from edge.segment.skin_colour import (
    HSV_SKIN,
    MAX_SD,
    MIN_SD,
    MODE_WINDOW,
    RG_BINS,
    RG_CENTRES,
    RG_RANGES,
    YCRCB_SKIN,
    SkinModel,
    chromaticity,
    squared_mahalanobis,
    weighted_gaussian,
)
from edge.types import ROI

log = logging.getLogger(__name__)

#: Segments the border band is cut into (4 per side) for the background test.
_SEGMENTS = 16


@functools.lru_cache(maxsize=8)
def _border(shape: tuple[int, int], width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The border band of an image of ``shape`` (h, w), ``width`` px wide.

    Returns:
        (uint8 (h, w) 255 on the band, int64 (N,) flat indices of its px, int64 (N,)
        their segment 0..15: 4 equal segments per side, top, right, bottom, left).
    """
    h, w = shape
    band = np.full(shape, 255, np.uint8)
    band[width : h - width, width : w - width] = 0
    yy, xx = np.mgrid[0:h, 0:w]
    # nearest side: 0 top, 1 right, 2 bottom, 3 left
    side = np.argmin(np.stack([yy, w - 1 - xx, h - 1 - yy, xx]), axis=0)
    along = np.where(side % 2 == 0, xx * 4 // w, yy * 4 // h)
    idx = np.flatnonzero(band.reshape(-1))
    seg = (side * 4 + along).reshape(-1)[idx]
    return band, idx, seg.astype(np.int64)


class SkinSegmenter(BlobSegmenter):
    """Hands by skin colour, with the skin model adapted to each frame.

    Per frame, at the analysis size (160 px; the model works on 2-D histograms of
    64x64 bins, so it costs almost nothing per pixel):

    1. ignore pixels darker than ``min_luma`` (their colour is mostly noise) and
       mark the **prior** skin pixels: the published box, in YCrCb (D. Chai and
       K. N. Ngan 1999: Cr 133..173, Cb 77..127) or HSV (K. Sobottka and I. Pitas
       1996: H 0..50 deg, S 0.23..0.68, hue extended to -10 deg);
    2. **background** colours are those found all along the frame's border: a band
       (``border`` = 6 % of the shorter side) cut into 16 segments, 4 per side;
       a colour (normalised rg chromaticity, :func:`chromaticity`, 64x64 bins of 4
       units) found (2 px or more) in at least ``background_segments`` (5) of them
       is a wall, a desk or the light on everything (a beige wall, a wooden desk),
       and never skin. An arm crosses the border in one or two
       segments (two arms in up to four), so the hand's colour is never
       background however much of the arm is in view;
    3. **core skin**: prior pixels off the border band whose colours are not
       background: what sets a hand apart from a skin-coloured room;
    4. fit Gaussians to the core's chromaticity, one per cluster (``max_modes``,
       mode seeking, see :meth:`_fit_modes`), or use the calibrated model (see
       :meth:`calibrate`), and take as skin every lit, non-background pixel within
       ``mahalanobis`` (3) standard deviations of one. This follows the user's skin
       and the light: shadowed skin outside the fixed box comes back, a beige wall
       inside it drops out. Chromaticity is used rather than YCrCb's Cr, Cb
       because those move with brightness, so a shaded forearm would leave a
       model fitted on the lit palm. Standard deviations are kept between one bin
       (4 units) and ``max_sd``;
    5. the blob stage (module docstring) picks the hand, rejects box-shaped blobs
       and demotes face-like ones (two or more holes).

    With fewer core pixels than ``min_area`` of the frame there is no hand and the
    segmenter stops before the blob stage: empty walls, desks and dark rooms cost
    the least.

    Cost: see the module docstring (about 0.9 ms median per 640x480 frame on a busy
    2-core machine; 0.16 ms when the frame has too few skin-coloured pixels).

    Limits: a hand in front of something of its own colour (light skin against a
    peach wall, dark skin against a brown wooden door) is partly lost or merged
    with it (use :meth:`calibrate`, the ``"background"`` segmenter with a still
    camera or ``"chroma"`` with a green screen there); a forearm whose skin ends
    (in a sleeve) farther than ``sleeve_gap`` from the border is not cut, so its
    ROI keeps the forearm; faces are only demoted (see the module docstring).

    Args:
        space: prior box: ``"ycrcb"`` (default) or ``"hsv"``.
        adapt: adapt to the frame (steps 2-4); ``False`` uses the prior box alone.
        min_luma: darker pixels (Y in YCrCb, V in HSV, 0..255) are never skin.
        border: width of the border band, fraction of the shorter side, in (0, 0.25).
        background_segments: step 2's number of border segments (of 16) a colour is
            found in to be background, 1..16.
        mahalanobis: step 4's distance in standard deviations (> 0).
        max_modes: at most this many skin clusters are modelled per frame (>= 1).
        max_sd: largest standard deviation of the model per chromaticity channel
            (red share, green share; 0..255 units).
        **blob: settings of the blob stage (:class:`BlobSegmenter`): ``analysis_size``,
            ``max_hands``, ``min_area``, ``max_area``, ``margin``, ``cut_arm``,
            ``wrist_ratio``, ``arm_keep``, ``max_hand_length``, ``sleeve_gap``,
            ``face_penalty``, ``max_rect_fill``.

    Raises:
        ValueError: unknown ``space`` or a setting out of range.
    """

    SPACES = ("ycrcb", "hsv")
    _face_holes = True

    def __init__(
        self,
        space: str = "ycrcb",
        *,
        adapt: bool = True,
        min_luma: int = 40,
        border: float = 0.06,
        background_segments: int = 5,
        mahalanobis: float = 3.0,
        max_modes: int = 3,
        max_sd: tuple[float, float] = (10.0, 6.0),
        **blob: Any,
    ) -> None:
        super().__init__(**blob)
        if space not in self.SPACES:
            raise ValueError(f"unknown skin colour space {space!r}; use one of {self.SPACES}")
        if not 0 <= min_luma < 255:
            raise ValueError(f"min_luma must be 0..254, got {min_luma}")
        if not 0.0 < border < 0.25:
            raise ValueError(f"border must be in (0, 0.25) (fraction of the shorter side), got {border}")
        if not 1 <= background_segments <= _SEGMENTS or mahalanobis <= 0.0:
            raise ValueError(
                f"need 1 <= background_segments <= {_SEGMENTS} and mahalanobis > 0, got "
                f"{background_segments}, {mahalanobis}"
            )
        if max_modes < 1:
            raise ValueError(f"max_modes must be >= 1, got {max_modes}")
        if min(max_sd) < MIN_SD or max(max_sd) > MAX_SD:
            raise ValueError(
                f"max_sd must be between one histogram bin ({MIN_SD}) and {MAX_SD} (the "
                f"fitting window) chromaticity units, got {max_sd}"
            )
        self.space = space
        self.adapt = bool(adapt)
        self.min_luma = int(min_luma)
        self.border = float(border)
        self.background_segments = int(background_segments)
        self.mahalanobis = float(mahalanobis)
        self.max_modes = int(max_modes)
        self.max_sd = (float(max_sd[0]), float(max_sd[1]))
        #: The calibrated skin model (:meth:`calibrate`), or None to adapt per frame.
        self.model: SkinModel | None = None
        #: The model used on the latest frame, None if none was fitted (diagnostics).
        self.last_model: SkinModel | None = None

    def reset(self) -> None:
        """Forget the calibration (adapt to each frame again)."""
        self.model = None

    def _prior(self, small: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """uint8 (h, w) 0/255 masks (lit, prior skin) of a uint8 (h, w, 3) BGR image."""
        v = self.min_luma
        if self.space == "ycrcb":
            conv = cv2.cvtColor(small, cv2.COLOR_BGR2YCrCb)
            lit = cv2.inRange(conv, (v, 0, 0), (255, 255, 255))
            (r0, r1), (b0, b1) = YCRCB_SKIN
            prior = cv2.inRange(conv, (v, r0, b0), (255, r1, b1))
        else:
            conv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
            lit = cv2.inRange(conv, (0, 0, v), (180, 255, 255))
            (h0, h1), (s0, s1) = HSV_SKIN
            prior = cv2.inRange(conv, (max(0.0, h0), s0, v), (h1, s1, 255))
            if h0 < 0:  # reddish hues wrap around 180
                prior = cv2.bitwise_or(prior, cv2.inRange(conv, (180 + h0, s0, v), (180, s1, 255)))
        return lit, prior

    def calibrate(self, image: np.ndarray, roi: ROI) -> SkinModel:
        """Learn the user's skin from a box they hold a hand in ("put your hand in the box").

        The lit prior-skin pixels of ``roi`` (step 1 of the class docstring) must be
        at least a quarter of the box; the Gaussian (in chromaticity) of their
        highest cluster holding at least a fifth of them (:meth:`_fit_modes`) is
        the model, so background in the box drops out. Later frames use it instead
        of the per-frame core (steps 3-4); background colours are still excluded.
        :meth:`reset` forgets it.

        Args:
            image: uint8 (H, W, 3) BGR frame.
            roi: the box in full-frame px; the hand should fill most of it.

        Returns:
            The model, also stored in :attr:`model`.

        Raises:
            ValueError: a bad image, a box outside the frame, or too few
                skin-coloured pixels in the box (the message says what to do).
        """
        check_bgr_frame(image)
        H, W = image.shape[:2]
        box = roi.intersect(ROI(0, 0, W, H))
        if box.area == 0:
            raise ValueError(f"calibration box {roi} is outside the {W}x{H} frame; give a box inside it")
        crop = np.ascontiguousarray(image[box.y : box.y + box.h, box.x : box.x + box.w])
        _, prior = self._prior(crop)
        n = cv2.countNonZero(prior)
        hist = cv2.calcHist([chromaticity(crop)], [0, 1], prior, [RG_BINS, RG_BINS], RG_RANGES)
        models = self._fit_modes(hist, max(30.0, 0.2 * n)) if n >= max(30, box.area // 4) else []
        if not models:
            raise ValueError(
                f"only {n} of the {box.area} px of the calibration box {roi} are skin-coloured "
                "(need a quarter, in one cluster); hold your hand so it fills the box, in good "
                "light, and calibrate again"
            )
        self.model = models[0]
        mean = self.model.mean
        log.info(
            "skin calibrated: chromaticity mean %s, sd %s",
            np.round(mean, 1),
            np.round(np.sqrt(np.diag(self.model.cov)), 1),
        )
        return self.model

    def _fit_modes(self, weights: np.ndarray, min_px: float) -> list[SkinModel]:
        """Gaussians for the clusters of core skin, largest first (mode seeking).

        From the highest bin of the (3x3-smoothed) histogram, a Gaussian is fitted
        three times to the weights within 2.5 standard deviations of the previous
        fit (starting from one bin); its pixels within 2 standard deviations are
        removed and the next mode is sought, up to ``max_modes`` modes of at least
        ``min_px`` pixels. So a skin-coloured object in the room (a door, a cardboard
        box) gets its own model instead of dragging the hand's model between the
        two, and its own mask: the blob stage takes blobs from each mask separately
        (an arm crossing a door of a distinct colour stays apart from it) and tells
        them apart by shape.
        """
        work = weights.astype(np.float64)
        smooth = cv2.blur(work.astype(np.float32), (3, 3))
        models: list[SkinModel] = []
        r = MODE_WINDOW
        for _ in range(2 * self.max_modes):  # tries, small modes included
            if len(models) == self.max_modes or float(work.sum()) < min_px:
                break
            i, j = np.unravel_index(int(np.argmax(smooth)), work.shape)
            # a cluster's 2.5 sd never reach beyond the window around its peak
            win = (slice(max(0, i - r), i + r + 1), slice(max(0, j - r), j + r + 1))
            sub = work[win]
            c1, c2 = RG_CENTRES[win[0]], RG_CENTRES[win[1]]
            mean = np.array([RG_CENTRES[i], RG_CENTRES[j]])
            cov = np.diag([MIN_SD**2, MIN_SD**2])
            w = sub
            for _ in range(3):
                w = np.where(squared_mahalanobis(mean, cov, c1, c2) <= 2.5**2, sub, 0.0)
                if float(w.sum()) <= 0:
                    break
                mean, cov = weighted_gaussian(w, self.max_sd, c1, c2)
            if float(w.sum()) >= min_px:
                models.append(SkinModel(mean, cov))
            explained = squared_mahalanobis(mean, cov, c1, c2) <= 2.0**2
            work[win] = np.where(explained, 0.0, sub)
            smooth[win] = np.where(explained, 0.0, smooth[win])
            smooth[i, j] = 0.0  # never the same peak twice
        return models

    def skin_mask(self, image: np.ndarray) -> np.ndarray:
        """uint8 (h, w) 0/255 skin mask of a uint8 (h, w, 3) BGR image (steps 1-4, all
        skin clusters), at the image's own size (give it an analysis-sized image: the
        cost grows with it).

        All zeros when fewer core skin pixels than ``min_area`` of the image are found.

        Raises:
            ValueError: ``image`` is not a uint8 (h, w, 3) array.
        """
        check_bgr_frame(image)
        out: np.ndarray = np.zeros(image.shape[:2], np.uint8)
        for m in self._foregrounds(image):
            out = cv2.bitwise_or(out, m)
        return out

    def _foregrounds(self, small: np.ndarray) -> list[np.ndarray]:
        lit, prior = self._prior(small)
        if not self.adapt:
            self.last_model = None
            return [prior]
        sh, sw = small.shape[:2]
        ring, ring_idx, ring_seg = _border((sh, sw), max(1, round(self.border * min(sh, sw))))
        inner = cv2.bitwise_not(ring)
        min_px = self.min_area * sh * sw
        if self.model is None and cv2.countNonZero(cv2.bitwise_and(prior, inner)) < min_px:
            self.last_model = None  # not enough skin-coloured pixels for a hand
            return []
        rg = chromaticity(small)
        # in how many border segments each colour (bin) is found (with >= 2 px)
        px = rg.reshape(-1, 2)[ring_idx]
        lit_ring = lit.reshape(-1)[ring_idx] > 0
        bins = (px[:, 0] >> 2).astype(np.int32) * RG_BINS + (px[:, 1] >> 2)
        counts = np.bincount(
            ring_seg[lit_ring] * (RG_BINS * RG_BINS) + bins[lit_ring], minlength=_SEGMENTS * RG_BINS * RG_BINS
        ).reshape(_SEGMENTS, -1)
        spread = (counts >= 2).sum(axis=0, dtype=np.int32).reshape(RG_BINS, RG_BINS)
        background = spread >= self.background_segments
        if self.model is None:
            h_core = cv2.calcHist([rg], [0, 1], cv2.bitwise_and(prior, inner), [RG_BINS, RG_BINS], RG_RANGES)
            models = self._fit_modes(np.where(background, 0.0, h_core), min_px)
        else:
            models = [self.model]
        self.last_model = models[0] if models else None
        masks = []
        for m in models:
            near = squared_mahalanobis(m.mean, m.cov) <= self.mahalanobis**2
            lut = (near & ~background).astype(np.float32) * 255.0
            masks.append(cv2.bitwise_and(cv2.calcBackProject([rg], [0, 1], lut, RG_RANGES, 1), lit))
        return masks
