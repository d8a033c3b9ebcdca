"""MNIST normalisation of digit ROIs (the ``"mnist-normalise"`` preprocessing).

The digits models are trained on MNIST, so a camera digit must be made to look
like an MNIST digit before it is classified. MNIST was made (Y. LeCun, C. Cortes,
C. Burges, http://yann.lecun.com/exdb/mnist/) by scaling each binary NIST digit's
bounding box to fit a 20x20 box, preserving the aspect ratio, with anti-aliasing
(which gives the grey levels), then placing it in a 28x28 field so that its
centre of mass is at the centre. :func:`mnist_normalise` repeats that on a photo:

1. crop the ROI with a margin of a fifth of its longer side (only the crop of a
   BGR frame is converted to grey) and bring it to a working size (digit 64 px;
   :func:`edge.segment.ink.shrink` when reducing); without an ROI (a loose crop:
   ``edge-eval --crop``) first find the digit in it (the most prominent ink
   component, not running along the border as a paper edge or shadow does, grown
   by its nearby pieces);
2. flat-field it: estimate the paper by a grey-level morphological closing with a
   kernel wider than any pen stroke and divide, so uneven light, shadows and paper
   colour cancel out (this is what stops the "hollow marker stroke" failure of a
   fixed-block adaptive threshold);
3. threshold the darkness with Otsu's method (N. Otsu, 1979) over the ROI, bounded
   below by the paper's noise; if that lets a shadow join the digit, a second Otsu
   level above the first; erase ruled lines, drop specks and components that
   belong to neighbours or run along the crop's border;
4. keep the photo's grey levels at the stroke edges (0.5 at the threshold, 1 from
   1.5 x it) and bring the stroke width into MNIST's range (1.7..3.2 px at 28x28,
   measured as 2 x ink area / contour length) by dilating thin pencil or eroding
   fat marker strokes;
5. optionally deskew by image moments (OpenCV ``samples/python/digits.py``);
6. scale the ink's bounding box so its longer side is 20 px (area interpolation =
   anti-aliasing) and paste it into 28x28 with the centre of mass at (14, 14)
   (MNIST's own mean centre of mass, in pixel-index coordinates).

Steps 1-3 are what the digit segmenter has already done to the whole frame at its
analysis scale. Given its :class:`~edge.segment.ink_analysis.InkAnalysis`
(``MnistPreprocessor(...)(image, rois, analysis=segmenter.last_analysis)``, as
:class:`edge.pipeline.Pipeline` passes it), a digit at least ``fast_min_px`` (20) px
tall there is read from the segmenter's darkness image instead
(:mod:`edge.preprocess.analysis_ink`: Otsu over the ROI, steps 3-6 above, the
frame's polarity); a smaller one, from ``grey_min_px`` (10) px there, is read from the
full-resolution grey crop with the frame's polarity and one paper level (its border's
median) (:mod:`edge.preprocess.grey_ink`). Both take Otsu's level when it reaches the
segmenter's ink level there or the crop's own noise floor (the floor of step 3); loose
crops and ROIs those paths decline (fainter ink, shadows across the crop, a kept ink box
that does not match the ROI) take steps 1-6.

Cost (CPU per ROI, shared 2-core VM under load; ``edge-bench classic`` frames: the
``demo`` digits about 70 px, 33 px at the 320-px analysis; MNIST digits on grey paper
14-20 px there): about 0.2-0.3 ms the full way (the 27 px closing of the 64-px working
crop is the largest single step; per ROI one closing, one Otsu, one or two contour
searches, a resize), about 0.05 ms from the segmenter's analysis (90 % of the demo
ROIs) and 0.06 ms from the grey crop. The fast paths are mostly per-call overhead (about
15 OpenCV/NumPy calls a ROI: two thresholds, one ``RETR_TREE`` contour search that
serves both the component selection and the stroke width, one table look-up for the
ink levels, the 20-px products, the moments), so they are written to make few calls and
write straight into the batch.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from edge.preprocess.analysis_ink import FAST_MIN_PX, analysis_ramp
from edge.preprocess.cut_ink import cut_sides
from edge.preprocess.digit_ink import digit_ramp
from edge.preprocess.grey_ink import GREY_MIN_PX, grey_ramp
from edge.preprocess.locate import locate_digit
from edge.preprocess.mnist_format import MNIST_SIZE, crop_to_ink, deskew_ink, place_mnist
from edge.preprocess.polarity import SCAN_SIZE, ink_is_light_in, median_level
from edge.segment.ink import POLARITIES, Polarity, to_grey
from edge.segment.ink_analysis import InkAnalysis
from edge.segment.writing_angle import upright_ink
from edge.types import ROI


def mnist_normalise(
    grey: np.ndarray, roi: ROI | None = None, deskew: bool = False, polarity: Polarity = "dark"
) -> np.ndarray:
    """Normalise one handwritten digit like MNIST (LeCun et al.).

    Args:
        grey: uint8 (H, W) grey image of ink on paper (any lighting, paper colour, pen).
        roi: the digit's region in ``grey`` px (from :class:`edge.segment.digits.DigitSegmenter`).
            ``None``: ``grey`` is a crop holding one digit with margins (shadows, paper
            edges in the corners are fine) and the digit is found inside it
            (:func:`edge.preprocess.locate.locate_digit`), then read with the loose-crop
            repairs: ruled lines thinner than the strokes dropped and fat strokes the paper
            estimate hollowed filled back (:mod:`edge.preprocess.loose_ink`).
        deskew: shear the digit upright by its second moments (OpenCV
            ``samples/python/digits.py``). MNIST itself is not deskewed, so leave it
            off for models trained on plain MNIST.
        polarity: ``"dark"`` ink on light paper, ``"light"`` ink on a dark ground, or
            ``"auto"``: decided on the crop around the ROI (the whole ``grey`` when
            ``roi`` is ``None``) by :func:`edge.preprocess.polarity.ink_is_light_in`.
            Crops of at most :data:`~edge.preprocess.polarity.SCAN_SIZE` px (scans) are
            padded with their ground (median grey) by a quarter of their side, so a
            digit filling them is not taken for a paper edge.

    Returns:
        float32 (28, 28) in [0, 1], white ink on black; the ink's bounding box has a
        longer side of 20 px and its centre of mass is at (14, 14) (x, y; pixel-index
        coordinates). All zeros when no ink is found.

    Raises:
        ValueError: ``grey`` is not a uint8 2-D image, or an unknown ``polarity``.
    """
    if grey.ndim != 2 or grey.dtype != np.uint8:
        raise ValueError(
            f"mnist_normalise needs a uint8 (H, W) grey image, got {grey.dtype} "
            f"{grey.shape}; convert BGR frames with edge.segment.ink.to_grey"
        )
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    if roi is None:
        return mnist_crop_views(grey, (0.0,), deskew, polarity)[0]
    return _normalise_roi(grey, roi, deskew, polarity)


def mnist_crop_views(
    grey: np.ndarray, insets: tuple[float, ...], deskew: bool = False, polarity: Polarity = "dark"
) -> np.ndarray:
    """Several reads of the one digit in a loose crop (``roi=None`` of :func:`mnist_normalise`).

    The digit is found once (:func:`~edge.preprocess.locate.locate_digit`, after the same
    polarity decision and scan padding as :func:`mnist_normalise`); each view reads it with
    the loose-crop repairs from its ROI moved inwards on every side by ``inset`` times the
    ROI's shorter side (at least 1 px when ``inset > 0``): a tighter box drops more of the
    paper, ruling and shadow around the strokes from the ink's threshold and component
    selection. Inset 0 is :func:`mnist_normalise`'s own read.

    Args:
        grey: uint8 (H, W) grey crop holding one digit.
        insets: one fraction per view, each in [0, 0.25).
        deskew, polarity: see :func:`mnist_normalise`.

    Returns:
        float32 (K, 28, 28) in [0, 1], white ink on black, K = ``len(insets)``; all zeros
        when no ink is found.

    Raises:
        ValueError: ``grey`` is not a uint8 2-D image, an unknown ``polarity``, or an inset
            outside [0, 0.25).
    """
    if any(not 0.0 <= f < 0.25 for f in insets):
        raise ValueError(f"insets must be fractions in [0, 0.25), got {insets}")
    if grey.ndim != 2 or grey.dtype != np.uint8:
        raise ValueError(f"mnist_crop_views needs a uint8 (H, W) grey image, got {grey.dtype} {grey.shape}")
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    if polarity == "light" or (polarity == "auto" and ink_is_light_in(grey)):
        grey = cv2.bitwise_not(grey)
    if max(grey.shape) <= SCAN_SIZE:  # a scan (USPS 16x16): its digit may fill it
        pad = max(2, max(grey.shape) // 4)
        grey = cv2.copyMakeBorder(
            grey, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=median_level(grey.ravel())
        )
    out = np.zeros((len(insets), MNIST_SIZE, MNIST_SIZE), np.float32)
    roi = locate_digit(grey)
    if roi is None:
        return out
    for k, f in enumerate(insets):
        m = max(1, int(round(f * min(roi.w, roi.h)))) if f > 0 else 0
        box = ROI(roi.x + m, roi.y + m, max(1, roi.w - 2 * m), max(1, roi.h - 2 * m))
        _normalise_into(grey, box, deskew, "dark", out[k], loose=True)
    return out


def _normalise_roi(
    image: np.ndarray, roi: ROI, deskew: bool, polarity: Polarity = "dark", loose: bool = False
) -> np.ndarray:
    """:func:`mnist_normalise` of a known ROI of a grey or BGR image (``loose``: found in a loose
    crop, see :func:`~edge.preprocess.digit_ink.digit_ramp`)."""
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    _normalise_into(image, roi, deskew, polarity, out, loose=loose)
    return out


def _normalise_into(
    image: np.ndarray,
    roi: ROI,
    deskew: bool,
    polarity: Polarity,
    out: np.ndarray,
    fast: tuple[np.ndarray, int] | None = None,
    fast_light: bool = False,
    loose: bool = False,
) -> bool | None:
    """:func:`_normalise_roi` written into ``out`` (float32 (28, 28)); returns whether the
    ink was taken as light (``None``: no ink found). ``fast``: the ink levels and threshold
    already read from the segmenter's analysis (:func:`~edge.preprocess.analysis_ink.analysis_ramp`),
    in ink taken as light when ``fast_light``."""
    ramp: np.ndarray | None
    light: bool | None
    if fast is not None:
        (ramp, t), light = fast, fast_light
    else:
        ramp, t, light = digit_ramp(image, roi, polarity, loose)
    if ramp is None:
        out[...] = 0.0
        return None
    if roi.angle:  # the page's writing turned: its ink turned upright (edge.segment.writing_angle)
        ramp = upright_ink(ramp, roi.angle)
    if deskew:
        ink = ramp.astype(np.float32) * np.float32(1.0 / t)
        place_mnist(crop_to_ink(deskew_ink(ink)), out)
        return light
    # every ink level of the ramp is above 0.05 of its peak level (crop_to_ink's level), but where a
    # turned page's ink was turned upright (its edges interpolated): its box is that of its non-zero pixels
    x, y, w, h = cv2.boundingRect(ramp)
    place_mnist(ramp[y : y + h, x : x + w], out)
    return light


# ---------------------------------------------------------------------------
# preprocessors
# ---------------------------------------------------------------------------
class MnistPreprocessor:
    """MNIST-normalise each ROI of a frame (the ``"mnist-normalise"`` preprocessing).

    Only the crop around each ROI is converted to grey (once per ROI, never the whole
    frame).

    Args:
        deskew: see :func:`mnist_normalise`.
        polarity: ``"dark"`` (dark ink on light paper), ``"light"`` (light ink on a
            dark ground; each crop is inverted) or ``"auto"``: decided per ROI on the
            crop around it (:func:`edge.preprocess.polarity.ink_is_light_in` with its
            fast ground estimate, about 25 us a ROI): a frame may hold ink on paper and
            chalk on a board side by side. ROIs read from the segmenter's analysis take
            the polarity the segmenter decided for the frame (it found them in that ink).
        fast_min_px: given the segmenter's analysis (``analysis=`` of :meth:`__call__`), ROIs
            at least this tall there (analysis px) are read from it
            (:mod:`edge.preprocess.analysis_ink`); ``0`` reads every one it can, a large
            value none.
        grey_min_px: given the segmenter's analysis, ROIs from this tall up to (not
            including) ``fast_min_px`` analysis px are read from the full-resolution grey
            crop with the segmenter's polarity and ink level
            (:mod:`edge.preprocess.grey_ink`, about 0.06 instead of 0.2 ms a ROI); a large
            value none.

    Raises:
        ValueError: unknown ``polarity``.
    """

    #: A grey frame gives the same inputs as its BGR original (only grey is read): a
    #: pipeline may pass the grey frame its segmenter made.
    accepts_grey = True
    #: :meth:`__call__` takes the digit segmenter's ``last_analysis`` (``analysis=``).
    accepts_analysis = True

    def __init__(
        self,
        deskew: bool = False,
        polarity: Polarity = "auto",
        fast_min_px: int = FAST_MIN_PX,
        grey_min_px: int = GREY_MIN_PX,
    ) -> None:
        if polarity not in POLARITIES:
            raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
        self.deskew = deskew
        self.polarity = polarity
        self.fast_min_px = int(fast_min_px)
        self.grey_min_px = int(grey_min_px)
        #: Per ROI of the last call: whether it was read with the segmenter's analysis
        #: (from its darkness image or, for smaller ones, the grey crop at its level).
        self.last_fast: list[bool] = []
        #: Per ROI of the last call: whether its ink was taken as light on a dark ground
        #: (``None``: no ink found); the pipeline hands it to the number grouper.
        self.last_light: list[bool | None] = []

    def __call__(self, image: np.ndarray, rois: list[ROI], analysis: InkAnalysis | None = None) -> np.ndarray:
        """Model inputs for the ROIs of one frame.

        Args:
            image: uint8 (H, W, 3) BGR frame (or uint8 (H, W) grey).
            rois: digit ROIs in frame px.
            analysis: the digit segmenter's ``last_analysis`` of this frame (ignored when
                its frame shape is not ``image``'s, or its ink polarity is not this
                preprocessor's ``"dark"``/``"light"``): large ROIs are read from it, the
                others the full way, all with its polarity; without it every ROI the full
                way, with this preprocessor's polarity.

        Returns:
            float32 (N, 28, 28, 1) in [0, 1], white ink on black, N = ``len(rois)``.

        Raises:
            ValueError: ``image`` is not uint8 (H, W) or (H, W, 3).
        """
        out = np.zeros((len(rois), MNIST_SIZE, MNIST_SIZE, 1), np.float32)
        self.last_light, self.last_fast = [], []
        if not rois:
            return out
        if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
            image = to_grey(image)  # BGRA, (H, W, 1); raises for anything else
        if analysis is not None and (
            analysis.frame_shape != image.shape[:2]
            or (self.polarity != "auto" and (self.polarity == "light") != analysis.light)
        ):
            analysis = None
        light = analysis is not None and analysis.light
        # the segmenter found every ROI in its ink: the ROIs read the full way take that polarity
        # too (a fat faint stroke or a shadow edge in a crop turned it over, decided per crop)
        full_polarity: Polarity = self.polarity
        if analysis is not None:
            full_polarity = "light" if light else "dark"
        last_fast, last_light = self.last_fast, self.last_light
        boxes = analysis.boxes(rois) if analysis is not None else []
        for i, roi in enumerate(rois):
            box = boxes[i] if analysis is not None else None
            # a part the segmenter cut out of a wider piece along a column is read as any ROI first; only
            # if no ink is found so, from the ink on its side of the cut (edge.preprocess.cut_ink). A part
            # cut along a path (roi.side) is read from its side at once: its box holds its neighbour's ink
            # (review of session 27: a wide 6's stem read "1" beside the "6" in the other part's box)
            whole = roi.whole is not None and roi.side is None and any(cut_sides(roi))
            got = self._read(
                image,
                dataclasses.replace(roi, whole=None) if whole else roi,
                analysis,
                box,
                full_polarity,
                out[i, :, :, 0],
            )
            if got[1] is None and whole:
                got = self._read(image, roi, analysis, box, full_polarity, out[i, :, :, 0])
            last_fast.append(got[0])
            last_light.append(got[1])
        return out

    def _read(
        self,
        image: np.ndarray,
        roi: ROI,
        analysis: InkAnalysis | None,
        box: tuple[int, int, int, int] | None,
        full_polarity: Polarity,
        out: np.ndarray,
    ) -> tuple[bool, bool | None]:
        """One ROI's input written into ``out`` (float32 (28, 28)): (read from the analysis or the
        grey crop, its ink's polarity or ``None``: no ink)."""
        tight = not self.deskew  # the fast paths' levels cropped to the ink, placed as they are
        light = analysis is not None and analysis.light
        fast = None
        if analysis is not None:
            fast = analysis_ramp(analysis, roi, self.fast_min_px, box, tight)
            if fast is None:
                fast = grey_ramp(image, analysis, roi, self.grey_min_px, self.fast_min_px, box, tight)
        if fast is not None and tight:
            place_mnist(upright_ink(fast[0], roi.angle), out, cleared=True)
            return True, light
        return fast is not None, _normalise_into(image, roi, self.deskew, full_polarity, out, fast, light)
