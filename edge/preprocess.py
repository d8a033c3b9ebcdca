"""Turn ROIs of a camera frame into model inputs.

The digits models are trained on MNIST, so a camera digit must be made to look
like an MNIST digit before it is classified. MNIST was made (Y. LeCun, C. Cortes,
C. Burges, http://yann.lecun.com/exdb/mnist/) by scaling each binary NIST digit's
bounding box to fit a 20x20 box, preserving the aspect ratio, with anti-aliasing
(which gives the grey levels), then placing it in a 28x28 field so that its
centre of mass is at the centre. :func:`mnist_normalise` repeats that on a photo:

1. crop the ROI with a margin of a fifth of its longer side (only the crop of a
   BGR frame is converted to grey) and bring it to a working size (digit 64 px;
   :func:`shrink` when reducing); without an ROI (a loose crop:
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

Cost: about 0.15 ms per ROI on one x86-64 core of the development machine (few,
small OpenCV calls per ROI: one closing, one Otsu, two contour searches).

:func:`make_preprocessor` picks the preprocessing a bundle asks for;
:func:`crop_input` treats a whole image as one ROI (``edge-eval --crop``).

The hands models take ``"hand-crop"`` (:class:`HandPreprocessor`): the hand's ROI
from :mod:`edge.hands`, square-padded by edge replication, resized with area
interpolation, optionally with its background flattened using the segmenter's
mask, converted to the model's colour order (RGB) and value range: the framing
the hands training gives its photos (``train.hand_data``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import cv2
import numpy as np

from edge.bundle import ModelBundle
from edge.types import ROI

log = logging.getLogger(__name__)

#: Side of an MNIST image (px).
MNIST_SIZE = 28
#: Longer side of the digit's bounding box inside the 28x28 image (px).
MNIST_BOX = 20
#: Where MNIST puts the centre of mass, (x, y) in pixel-index coordinates.
MNIST_CENTRE = (14.0, 14.0)
#: MNIST's median stroke width at 28x28 (px), measured as 2 * ink area / contour length.
MNIST_STROKE = 2.3
#: Stroke widths (px at 28x28) left as they are; thinner pencil is dilated and
#: fatter marker eroded into this range (MNIST's 5th..95th percentiles: 1.5..3.5).
MNIST_STROKE_RANGE = (1.7, 3.2)

#: Longer side of the digit at the working resolution (px); 3.2x the 20-px box, so
#: the final area resize anti-aliases like LeCun's.
WORK_SIZE = 64
#: Longer side (px) a whole crop is brought to when the digit must be found in it.
LOCATE_SIZE = 160
#: Darkness (1 - pixel / paper, 0..1) below which nothing counts as ink.
MIN_CONTRAST = 0.10

Polarity = str  # "dark" (dark ink on light paper), "light", "auto"
POLARITIES = ("dark", "light", "auto")


# ---------------------------------------------------------------------------
# low-level helpers, shared with edge.digits
# ---------------------------------------------------------------------------
def to_grey(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W) grey from uint8 (H, W, 3) BGR, (H, W, 4) BGRA or (H, W) grey.

    Raises:
        ValueError: not a 2-D or 3-D image with 1, 3 or 4 channels.
    """
    if image.ndim == 2:
        grey = image
    elif image.ndim == 3 and image.shape[2] == 3:
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 4:
        grey = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    elif image.ndim == 3 and image.shape[2] == 1:
        grey = image[:, :, 0]
    else:
        raise ValueError(f"expected a uint8 (H, W) grey or (H, W, 3) BGR image, got shape {image.shape}")
    if grey.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels 0..255, got {grey.dtype}; convert with "
                         "np.clip(x, 0, 255).astype(np.uint8)")
    return grey


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Downscale with anti-aliasing, fast: Gaussian pyramid halvings (``cv2.pyrDown``)
    while the image is at least twice the target, then bilinear to the exact size.

    OpenCV's area interpolation is exact but several times slower for scale factors
    that are not integers; the pyramid low-passes each halving, so the result is
    as free of aliasing. Upscaling (or a factor above 1/2) is plain bilinear.

    Args:
        image: uint8 (H, W) or (H, W, C).
        size: (width, height) of the result, px.

    Returns:
        The resized image, same dtype and channels.
    """
    w, h = size
    while image.shape[1] >= 2 * w and image.shape[0] >= 2 * h:
        image = cv2.pyrDown(image)
    if (image.shape[1], image.shape[0]) == (w, h):
        return image
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)


def ink_is_light(grey: np.ndarray) -> bool:
    """Guess whether ``grey`` shows light ink on a dark ground (chalk, white marker).

    Paper dominates a frame, so the median is the paper's level; ink sits in the tail
    on the far side. Light ink makes the bright tail longer than the dark one.

    Args:
        grey: uint8 (H, W).
    """
    small = grey[:: max(1, grey.shape[0] // 64), :: max(1, grey.shape[1] // 64)]
    p1, med, p99 = np.percentile(small, (1, 50, 99))
    return bool(p99 - med > 1.5 * (med - p1))


def odd(n: float) -> int:
    """The odd integer >= 3 nearest to ``n`` (morphology kernel sizes)."""
    k = max(3, int(round(n)))
    return k if k % 2 else k + 1


def darkness(grey: np.ndarray, kernel: int) -> np.ndarray:
    """Flat-fielded ink darkness: ``255 * (1 - grey / paper)``, the paper estimated locally.

    The paper (background) is a grey-level morphological closing with a
    ``kernel`` x ``kernel`` square: it removes every dark structure narrower than the
    kernel (pen strokes) and keeps light regions and dark regions larger than it
    (shadow edges and ramps are kept sharp, unlike with a blur). Dividing by it
    cancels uneven light and paper colour ("flat-field" correction).

    Args:
        grey: uint8 (H, W), dark ink on light paper.
        kernel: closing size (px), larger than the widest pen stroke.

    Returns:
        uint8 (H, W): 0 on paper, up to 255 for black ink.
    """
    paper = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, _square(kernel))
    return cv2.bitwise_not(cv2.divide(grey, paper, scale=255.0))


@functools.lru_cache(maxsize=32)
def _square(k: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))


def above(img: np.ndarray, t: float) -> np.ndarray:
    """uint8 mask (255 where ``img > t``) of a uint8 or float32 image."""
    return cv2.threshold(img, float(t), 255, cv2.THRESH_BINARY)[1].astype(np.uint8, copy=False)


def _hist(dark: np.ndarray, where: np.ndarray | tuple[slice, slice] | None) -> np.ndarray:
    """float64 (256,) histogram of ``dark`` where ``where`` (bool/uint8 mask or slices)."""
    if isinstance(where, tuple):
        dark, where = dark[where], None
    mask = None
    if where is not None:
        mask = where.view(np.uint8) if where.dtype == np.bool_ else where
    return cv2.calcHist([np.ascontiguousarray(dark)], [0], mask, [256], [0, 256]).ravel().astype(np.float64)


def otsu(hist: np.ndarray) -> int:
    """Otsu's threshold (N. Otsu, 1979) of a 256-bin histogram: values above it are
    the upper class (the level that maximises the between-class variance)."""
    total = hist.sum()
    if total <= 0:
        return 255
    p = hist / total
    omega = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu[-1] * omega - mu) ** 2 / (omega * (1.0 - omega))
    between[~np.isfinite(between)] = -1.0
    return int(np.argmax(between))


def paper_noise(hist: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of the paper's darkness, from a darkness histogram.

    Flat-fielded paper has a darkness near zero plus sensor noise; ink is a small
    upper tail. The median and the lower quartile are therefore the paper's (ink
    does not reach them): mean = median, sigma = (median - lower quartile) / 0.674,
    as for a normal distribution, at least 1.5 (the darkness is quantised and
    clipped at 0).

    Args:
        hist: float (256,) histogram of uint8 darkness (see :func:`darkness`).

    Returns:
        (mean, sigma) in darkness units (0..255).
    """
    cdf = np.cumsum(hist)
    p25, p50 = np.searchsorted(cdf, (0.25 * cdf[-1], 0.5 * cdf[-1]))
    return float(p50), max(1.5, (float(p50) - float(p25)) / 0.674)


def ink_threshold(dark: np.ndarray, where: np.ndarray | tuple[slice, slice] | None = None,
                  noise_where: np.ndarray | None = None, max_over_noise: float = 0.0) -> int:
    """Darkness level separating ink from paper: Otsu's, bounded below by a noise floor.

    Otsu's method (N. Otsu, 1979) runs on the pixels selected by ``where``
    (``cv2.threshold`` with ``THRESH_OTSU`` for a rectangle, :func:`otsu` of the
    histogram for a mask). The floor is :data:`MIN_CONTRAST` or, on noisy (dim) images, about four standard
    deviations of the paper's noise above the paper, both estimated from the lower
    30 % of the ``dark`` histogram (paper, which ink does not reach).

    Args:
        dark: uint8 (H, W) darkness from :func:`darkness`.
        where: optional bool or uint8 (H, W) mask, or ``(rows, cols)`` slices: Otsu
            considers only these pixels.
        noise_where: optional bool or uint8 (H, W) mask: the noise floor is
            estimated from these pixels (default: all of ``dark``).
        max_over_noise: if > 0, Otsu's threshold is capped at this multiple of the
            noise floor (the frame-wide search, where a dark desk or shadow would
            otherwise pull Otsu above faint pencil).

    Returns:
        Threshold 0..255; pixels with darkness above it are ink.
    """
    if where is None or isinstance(where, tuple):  # a rectangle: OpenCV's Otsu, much faster
        region = dark if where is None else dark[where]
        if region.size == 0:
            return 255
        t = int(cv2.threshold(region, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0])
        hist = None
    else:
        hist = _hist(dark, where)
        if hist.sum() <= 0:
            return 255
        t = otsu(hist)
    pool = hist if noise_where is where and hist is not None else _hist(dark, noise_where)
    if pool.sum() <= 0:
        pool = _hist(dark, None)
    cdf = np.cumsum(pool)
    p5, p30 = np.searchsorted(cdf, (0.05 * cdf[-1], 0.3 * cdf[-1]))
    noise = p30 + 3.5 * (p30 - p5)
    floor = max(MIN_CONTRAST * 255.0, noise)
    if max_over_noise > 0:
        t = min(t, max(floor, max_over_noise * noise))
    return int(max(t, floor))


def remove_lines(mask: np.ndarray, h_length: int, v_length: int, thickness: int = 2,
                 max_angle: float = 25.0, search: np.ndarray | None = None) -> np.ndarray:
    """Erase thin straight lines (ruled and squared paper, margins) from an ink mask.

    Only thin ink is searched: what a ``(thickness + 1)`` square does not fit in.
    Straight segments in it are found with the probabilistic Hough transform
    (``cv2.HoughLinesP``); those within ``max_angle`` degrees of horizontal and at
    least ``h_length`` px long, or of vertical and at least ``v_length`` px long,
    are erased (drawn in black ``thickness + 2`` px wide). A digit stroke crossing a
    line loses only the line's own band; the pieces are merged again later.

    Args:
        mask: uint8 (H, W), ink 255, paper 0.
        h_length: shortest horizontal line (px); 0 disables.
        v_length: shortest vertical line (px); 0 disables.
        thickness: thickest line (px).
        max_angle: largest tilt of a line from the horizontal/vertical (degrees).
        search: optional uint8 (H, W) mask to search for lines in (default ``mask``);
            lines are erased from ``mask``.

    Returns:
        uint8 (H, W) mask without the lines (``mask`` itself when none was found).
    """
    lengths = [n for n in (h_length, v_length) if n > 0]
    if not lengths:
        return mask
    src = mask if search is None else search
    se = cv2.getStructuringElement(cv2.MORPH_RECT, (thickness + 1, thickness + 1))
    thin = cv2.subtract(src, cv2.morphologyEx(src, cv2.MORPH_OPEN, se))
    n = min(lengths)
    k = 2 if n >= 60 else 1  # long lines: search at half resolution (4x fewer points)
    if k > 1:
        thin = cv2.resize(thin, (thin.shape[1] // k, thin.shape[0] // k), interpolation=cv2.INTER_AREA)
    segs = cv2.HoughLinesP(thin, 1, np.pi / 180, threshold=max(4, n // (2 * k)),
                           minLineLength=n // k, maxLineGap=max(3, n // (8 * k)))
    if segs is None:
        return mask
    segs = segs.reshape(-1, 4) * k
    out = mask
    tan = np.tan(np.radians(max_angle))
    for x1, y1, x2, y2 in segs:
        dx, dy = abs(int(x2) - int(x1)), abs(int(y2) - int(y1))
        horizontal = h_length > 0 and dy <= tan * dx and dx >= h_length
        vertical = v_length > 0 and dx <= tan * dy and dy >= v_length
        if horizontal or vertical:
            if out is mask:
                out = mask.copy()
            cv2.line(out, (int(x1), int(y1)), (int(x2), int(y2)), 0, thickness + 2)
    return out


class Components:
    """Outer connected components of a binary ink mask (``cv2.findContours``).

    Holes are not components, so the loops of 0, 6, 8, 9 and anything inside them
    belong to the digit around them.

    Args:
        mask: uint8 (H, W), ink 255.
        min_box_area: components with a smaller bounding box (px²) are dropped.
        max_count: at most this many components (those with the longest outlines)
            are kept.

    Attributes:
        count: the number of components found, before any was dropped.
        contours: outer contours (``RETR_EXTERNAL``), one per component.
        box: float64 (N, 4) x0, y0, x1, y1 (px, x1/y1 exclusive).
        area: float64 (N,) ink pixels inside each box (px²).
        contact: float64 (N,) ink pixels of each box on the image border (px).
    """

    def __init__(self, mask: np.ndarray, min_box_area: float = 0.0, max_count: int = 128) -> None:
        h, w = mask.shape
        cs, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        self.count = len(cs)  # before capping
        if len(cs) > max_count:  # noise or texture: keep the longest outlines only
            n_pts = np.fromiter((len(c) for c in cs), np.int64, len(cs))
            cs = [cs[i] for i in np.sort(np.argpartition(-n_pts, max_count)[:max_count])]
        rects = np.array([cv2.boundingRect(c) for c in cs], np.int64).reshape(-1, 4)
        keep = rects[:, 2] * rects[:, 3] >= min_box_area
        self.contours = [c for c, k in zip(cs, keep, strict=True) if k]
        rects = rects[keep]
        x, y, bw, bh = rects.T
        self.box = np.stack([x, y, x + bw, y + bh], axis=1).astype(np.float64)
        self.area = np.array([cv2.countNonZero(mask[yy:yy + hh, xx:xx + ww])
                              for xx, yy, ww, hh in rects], np.float64)
        contact = np.zeros(len(rects))
        for i in np.nonzero((x == 0) | (y == 0) | (x + bw == w) | (y + bh == h))[0]:
            xx, yy, ww, hh = rects[i]
            c = 0
            if xx == 0:
                c += cv2.countNonZero(mask[yy:yy + hh, 0])
            if xx + ww == w:
                c += cv2.countNonZero(mask[yy:yy + hh, w - 1])
            if yy == 0:
                c += cv2.countNonZero(mask[0, xx:xx + ww])
            if yy + hh == h:
                c += cv2.countNonZero(mask[h - 1, xx:xx + ww])
            contact[i] = c
        self.contact = contact

    def __len__(self) -> int:
        return len(self.contours)

    @property
    def width(self) -> np.ndarray:
        return self.box[:, 2] - self.box[:, 0]

    @property
    def height(self) -> np.ndarray:
        return self.box[:, 3] - self.box[:, 1]

    def draw(self, keep: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """uint8 mask with the components where ``keep`` is true filled (holes too)."""
        out = np.zeros(shape, np.uint8)
        cs = [c for c, k in zip(self.contours, keep, strict=True) if k]
        if cs:
            cv2.drawContours(out, cs, -1, 255, -1)
        return out


def ink_components(mask: np.ndarray, h_length: int, v_length: int, line_px: int,
                   min_box_area: float = 0.0, comps: Components | None = None
                   ) -> tuple[np.ndarray, Components]:
    """Components of ``mask`` after erasing ruled lines, if any component is line-sized.

    Args:
        mask: uint8 (H, W), ink 255.
        h_length, v_length, line_px: see :func:`remove_lines`.
        min_box_area: see :class:`Components`.
        comps: the components of ``mask`` if already computed.

    Returns:
        (the mask, possibly with lines erased; its :class:`Components`).
    """
    if comps is None:
        comps = Components(mask, min_box_area)
    if not len(comps):
        return mask, comps
    big = np.zeros(len(comps), bool)
    if h_length > 0:
        big |= comps.width >= h_length
    if v_length > 0:
        big |= comps.height >= v_length
    if big.any():
        # search only the line-sized components (cheap), erase from the whole mask
        search = cv2.bitwise_and(mask, comps.draw(big, mask.shape))
        cleaned = remove_lines(mask, h_length, v_length, line_px, search=search)
        if cleaned is not mask:
            return cleaned, Components(cleaned, min_box_area)
    return mask, comps


# ---------------------------------------------------------------------------
# MNIST-style normalisation
# ---------------------------------------------------------------------------
def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width (px) of a binary mask: 2 * ink area / contour length.

    For a stroke of width w and length L the area is w * L and the contours
    (outer and holes) run about 2 * L.
    """
    area = float(cv2.countNonZero(mask))
    if area == 0:
        return 0.0
    cs, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    perim = sum(cv2.arcLength(c, True) for c in cs)
    return 2.0 * area / max(perim, 1.0)


def _deskew(ink: np.ndarray) -> np.ndarray:
    """Shear ``ink`` so its principal axis is vertical (OpenCV samples/python/digits.py).

    ``skew = mu11 / mu02`` from the image moments; the shear is about the centre
    of mass and the canvas widens so nothing is cut off.
    """
    m = cv2.moments(ink)
    if abs(m["mu02"]) < 1e-2 or m["m00"] <= 0:
        return ink
    skew = float(np.clip(m["mu11"] / m["mu02"], -1.0, 1.0))
    h, w = ink.shape
    cy = m["m01"] / m["m00"]
    extra = int(np.ceil(abs(skew) * h))
    # dst(x, y) = src(x + skew * (y - cy) - extra / 2, y)
    mat = np.array([[1.0, skew, -skew * cy - extra / 2.0], [0.0, 1.0, 0.0]], np.float32)
    return cv2.warpAffine(ink, mat, (w + extra, h), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def place_mnist(ink: np.ndarray) -> np.ndarray:
    """LeCun's last two steps on a tight ink image: 20-px box, centre of mass at (14, 14).

    Args:
        ink: float32 (h, w) in [0, 1], white ink on black, cropped to the ink's
            bounding box (any size; area-resized when shrinking).

    Returns:
        float32 (28, 28) in [0, 1].
    """
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    h, w = ink.shape
    if h == 0 or w == 0:
        return out
    s = MNIST_BOX / max(h, w)
    nw, nh = max(1, int(round(w * s))), max(1, int(round(h * s)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    # area and linear interpolation of values in [0, 1] stay in [0, 1]
    box = np.asarray(cv2.resize(ink, (nw, nh), interpolation=interp), np.float32).reshape(nh, nw)
    peak = cv2.minMaxLoc(box)[1]
    if peak <= 0:
        return out
    # a thin stroke averaged below 1 by the area resize: restore its core
    box *= np.float32(1.0 / peak)
    m = cv2.moments(box)
    if m["m00"] <= 1e-6:
        return out
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    # integer shift (no resampling blur), clipped so the box stays inside 28x28
    ox = min(max(int(round(MNIST_CENTRE[0] - cx)), 0), MNIST_SIZE - nw)
    oy = min(max(int(round(MNIST_CENTRE[1] - cy)), 0), MNIST_SIZE - nh)
    out[oy:oy + nh, ox:ox + nw] = box
    return out


def second_ink_threshold(dark: np.ndarray, t1: int,
                         where: np.ndarray | tuple[slice, slice] | None = None) -> int | None:
    """A second, higher ink threshold: Otsu among the pixels darker than ``t1``.

    Separates dark ink from a shadow, a dark corner or printed ruling that the first
    threshold let in (a three-level Otsu, done as two two-level ones).

    Args:
        dark: uint8 (H, W) darkness from :func:`darkness`.
        t1: the first threshold (:func:`ink_threshold`).
        where: optional bool/uint8 (H, W) mask or slices: only these pixels count.

    Returns:
        The threshold 0..255, or ``None`` when it is not clearly above ``t1``.
    """
    hist = _hist(dark, where)
    hist[:t1 + 1] = 0
    if hist.sum() < 16:
        return None
    t2 = otsu(hist)
    return t2 if t2 > t1 + 12 else None


def _locate_at(dark: np.ndarray, t: int, line_px: int) -> tuple[float, tuple[float, ...] | None]:
    """Best digit box (x0, y0, x1, y1) in ``dark`` at threshold ``t`` and its score."""
    sh, sw = dark.shape
    mask = above(dark, t)
    _, comps = ink_components(mask, int(0.8 * sw), int(0.8 * sh), line_px,
                              min_box_area=max(4.0, 5e-4 * sw * sh))
    if not len(comps):
        return -1.0, None
    x0s, y0s, x1s, y1s = comps.box.T
    bw, bh, area, contact = comps.width, comps.height, comps.area, comps.contact
    # paper edges, table corners and shadows run along the border; a tightly
    # cropped digit only touches it with a stroke end
    keep = (contact <= 0.2 * max(sw, sh)) & (area >= max(4.0, 5e-4 * sw * sh))
    if not keep.any():
        return -1.0, None
    cx, cy = (x0s + x1s) / 2, (y0s + y1s) / 2
    dist = np.hypot((cx - sw / 2) / sw, (cy - sh / 2) / sh)  # 0 centre .. ~0.7 corner
    touches = contact > 0
    fill = area / np.maximum(bw * bh, 1)
    solid = (fill > 0.7) & (np.minimum(bw, bh) > 0.2 * max(sw, sh))
    score = np.sqrt(area) * (1.2 - dist) * np.where(touches, 0.5, 1.0) * np.where(solid, 0.3, 1.0)
    score[~keep] = -1
    best = int(np.argmax(score))
    x0, y0, x1, y1 = comps.box[best]
    chosen = np.zeros(len(comps), bool)
    chosen[best] = True
    total = area[best]
    # grow by nearby components of the same digit (there is only one in a crop)
    for _ in range(4):
        hgt = max(y1 - y0, 1.0)
        gx = np.maximum(0, np.maximum(x0s - x1, x0 - x1s))
        gy = np.maximum(0, np.maximum(y0s - y1, y0 - y1s))
        nx0, ny0 = np.minimum(x0s, x0), np.minimum(y0s, y0)
        nx1, ny1 = np.maximum(x1s, x1), np.maximum(y1s, y1)
        near = (keep & ~chosen & (gx <= 0.2 * hgt) & (gy <= 0.35 * hgt)
                & (area >= 0.03 * total) & (ny1 - ny0 <= 2.2 * hgt)
                & ((nx1 - nx0) <= 1.3 * np.maximum(ny1 - ny0, 1.0))
                & ~solid & ~(touches & (area < 0.2 * total)))
        if not near.any():
            break
        chosen |= near
        total = area[chosen].sum()
        x0, y0 = x0s[chosen].min(), y0s[chosen].min()
        x1, y1 = x1s[chosen].max(), y1s[chosen].max()
    return float(score[best]), (x0, y0, x1, y1)


def _locate_digit(grey: np.ndarray) -> ROI | None:
    """Find the single digit in a loose crop (``--crop`` mode): its ROI in ``grey`` px.

    Works on the crop brought to :data:`LOCATE_SIZE`: flat-field, Otsu, straight
    ruled lines erased, then the most prominent ink component (large, central, not
    running along the border as a paper edge or a shadow does) grown by the
    components close to it (a 5's detached bar, a stroke broken by a light pen or a
    ruled line). A second, higher threshold is tried too; the better digit wins.
    """
    h, w = grey.shape
    f = LOCATE_SIZE / max(h, w)
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    sw, sh = max(1, int(round(w * f))), max(1, int(round(h * f)))
    small = cv2.resize(grey, (sw, sh), interpolation=interp)
    dark = darkness(small, odd(0.3 * max(sw, sh)))
    t1 = ink_threshold(dark)
    t2 = second_ink_threshold(dark, t1)
    found = [_locate_at(dark, t, max(2, int(round(2 * f)))) for t in (t1, t2) if t is not None]
    score, box = max(found, key=lambda sb: sb[0])
    if box is None:
        return None
    x0, y0, x1, y1 = box
    sx, sy = w / sw, h / sh
    return ROI(int(np.floor(x0 * sx)), int(np.floor(y0 * sy)),
               int(np.ceil((x1 - x0) * sx)), int(np.ceil((y1 - y0) * sy)))


def _select_ink(dark: np.ndarray, t: int, core: tuple[float, float, float, float],
                line_px: int) -> tuple[float, np.ndarray | None, tuple[int, int, int, int]]:
    """Ink components of the digit in ``core`` at threshold ``t``.

    The outer components (``RETR_EXTERNAL``) whose boxes lie mostly inside ``core``
    and that do not run along the crop's border are the digit, except specks with
    less than 3 % of the largest one's ink. When a component spans the crop (a ruled
    line through the digit), lines are erased first (:func:`ink_components`).

    Returns:
        (IoU of the kept ink's box with ``core``, uint8 mask of the kept ink or
        ``None``, its box x0, y0, x1, y1).
    """
    ch, cw = dark.shape
    rx0, ry0, rx1, ry1 = core
    none = 0.0, None, (0, 0, 0, 0)
    mask = above(dark, t)
    cs, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rects = [cv2.boundingRect(c) for c in cs]
    if any(w >= 0.85 * cw or h >= 0.85 * ch for _, _, w, h in rects):
        return _select_ink_lines(mask, core, line_px)
    max_contact = 0.2 * max(cw, ch)
    chosen: list[tuple[int, int]] = []  # (contour index, ink area)
    for i, (x, y, w, h) in enumerate(rects):
        ix = min(x + w, rx1) - max(x, rx0)
        iy = min(y + h, ry1) - max(y, ry0)
        if ix <= 0 or iy <= 0 or ix * iy < 0.5 * w * h:
            continue
        if x == 0 or y == 0 or x + w == cw or y + h == ch:  # runs along the border?
            contact = ((cv2.countNonZero(mask[y:y + h, 0]) if x == 0 else 0)
                       + (cv2.countNonZero(mask[y:y + h, cw - 1]) if x + w == cw else 0)
                       + (cv2.countNonZero(mask[0, x:x + w]) if y == 0 else 0)
                       + (cv2.countNonZero(mask[ch - 1, x:x + w]) if y + h == ch else 0))
            if contact > max_contact:
                continue
        chosen.append((i, cv2.countNonZero(mask[y:y + h, x:x + w])))
    if not chosen:
        return none
    amax = max(a for _, a in chosen)
    if amax < 3:
        return none
    keep = [i for i, a in chosen if a >= 0.03 * amax]
    bx0 = min(rects[i][0] for i in keep)
    by0 = min(rects[i][1] for i in keep)
    bx1 = max(rects[i][0] + rects[i][2] for i in keep)
    by1 = max(rects[i][1] + rects[i][3] for i in keep)
    inter = max(0.0, min(bx1, rx1) - max(bx0, rx0)) * max(0.0, min(by1, ry1) - max(by0, ry0))
    union = (bx1 - bx0) * (by1 - by0) + (rx1 - rx0) * (ry1 - ry0) - inter
    iou = inter / union if union > 0 else 0.0
    drawn = np.zeros_like(mask)
    cv2.drawContours(drawn, [cs[i] for i in keep], -1, 255, -1)
    return iou, cv2.bitwise_and(mask, drawn), (bx0, by0, bx1, by1)


def _select_ink_lines(mask: np.ndarray, core: tuple[float, float, float, float], line_px: int
                      ) -> tuple[float, np.ndarray | None, tuple[int, int, int, int]]:
    """:func:`_select_ink` for a crop crossed by a line: lines erased first."""
    ch, cw = mask.shape
    rx0, ry0, rx1, ry1 = core
    mask, comps = ink_components(mask, int(0.85 * cw), int(0.85 * ch), line_px)
    none = 0.0, None, (0, 0, 0, 0)
    if not len(comps):
        return none
    x0s, y0s, x1s, y1s = comps.box.T
    ix = np.maximum(np.minimum(x1s, rx1) - np.maximum(x0s, rx0), 0)
    iy = np.maximum(np.minimum(y1s, ry1) - np.maximum(y0s, ry0), 0)
    inside = (ix * iy >= 0.5 * (x1s - x0s) * (y1s - y0s)) & (comps.contact <= 0.2 * max(cw, ch))
    if not inside.any():
        return none
    amax = comps.area[inside].max()
    if amax < 3:
        return none
    inside &= comps.area >= 0.03 * amax
    bx0, by0 = int(x0s[inside].min()), int(y0s[inside].min())
    bx1, by1 = int(x1s[inside].max()), int(y1s[inside].max())
    inter = (max(0.0, min(bx1, rx1) - max(bx0, rx0))) * (max(0.0, min(by1, ry1) - max(by0, ry0)))
    union = (bx1 - bx0) * (by1 - by0) + (rx1 - rx0) * (ry1 - ry0) - inter
    iou = inter / union if union > 0 else 0.0
    return iou, cv2.bitwise_and(mask, comps.draw(inside, mask.shape)), (bx0, by0, bx1, by1)


def _digit_ink(image: np.ndarray, roi: ROI) -> np.ndarray | None:
    """The digit in ``roi`` as float32 white-on-black ink at the working resolution.

    Args:
        image: uint8 (H, W) grey, or uint8 (H, W, 3) BGR (only the crop around the
            ROI is converted to grey).
        roi: the digit's region in ``image`` px.

    Returns:
        float32 (h, w) in [0, 1] (zero outside the digit's ink), or ``None`` when
        the ROI holds no ink.
    """
    H, W = image.shape[:2]
    side = max(roi.w, roi.h, 1)
    pad = int(round(0.2 * side)) + 2
    x0, y0 = max(0, roi.x - pad), max(0, roi.y - pad)
    x1, y1 = min(W, roi.x + roi.w + pad), min(H, roi.y + roi.h + pad)
    if x1 <= x0 or y1 <= y0:
        return None
    crop = image[y0:y1, x0:x1]
    if crop.ndim == 3:
        crop = to_grey(crop)
    f = WORK_SIZE / side
    cw, ch = max(1, int(round((x1 - x0) * f))), max(1, int(round((y1 - y0) * f)))
    # anti-aliased by pyramid halvings when reducing by 2 or more; bilinear otherwise
    # (area interpolation is exact but several times slower at non-integer factors)
    work = shrink(crop, (cw, ch))
    dark = darkness(work, odd(0.4 * WORK_SIZE))
    # ROI core in work px: where the digit is expected
    rx0, ry0 = (roi.x - x0) * f, (roi.y - y0) * f
    core = (rx0, ry0, rx0 + roi.w * f, ry0 + roi.h * f)
    where = (slice(int(core[1]), max(int(core[1]) + 1, int(np.ceil(core[3])))),
             slice(int(core[0]), max(int(core[0]) + 1, int(np.ceil(core[2])))))
    line_px = max(2, int(round(2 * f)))
    t = ink_threshold(dark, where)
    best = _select_ink(dark, t, core, line_px)
    if best[0] < 0.8:  # a shadow or a dark corner joined the ink: try the higher level
        t2 = second_ink_threshold(dark, t, where)
        if t2 is not None:
            other = _select_ink(dark, t2, core, line_px)
            if other[0] > best[0] + 0.1:
                best, t = other, t2
    _, mask, (bx0, by0, bx1, by1) = best
    if mask is None:
        return None
    # stroke width towards MNIST's
    scale = MNIST_BOX / max(bx1 - bx0, by1 - by0, 1)
    box_mask = mask[by0:by1, bx0:bx1]
    width = _stroke_width(box_mask) * scale
    r = 0
    if width > 0:
        target = min(max(width, MNIST_STROKE_RANGE[0]), MNIST_STROKE_RANGE[1])
        rf = (target - width) / (2.0 * scale)  # radius change in work px
        if rf <= 0:  # never erode a stroke away: keep at least 30 % of its width
            rf = max(rf, -0.35 * width / scale)
        r = int(np.ceil(rf - 0.25)) if rf > 0 else int(np.floor(rf + 0.25))  # into the band
    # grey levels from the photo itself: 0.5 at the threshold, 1 at 1.5x it (computed
    # in uint8: (darkness - t / 2) clipped to 0..t, inside the ink mask, then / t)
    m = max(r, 0) + 1
    t = max(int(t), 1)
    dark_box = dark[by0:by1, bx0:bx1]
    if dark_box.size > 16:
        ramp = cv2.subtract(dark_box, np.full_like(dark_box, (t + 1) // 2))
        ramp = cv2.bitwise_and(cv2.min(ramp, np.full_like(ramp, t)), box_mask)
    else:  # OpenCV's bindings would take an array of <= 4 values for a scalar
        ramp = np.clip(dark_box.astype(np.int16) - (t + 1) // 2, 0, t).astype(np.uint8)
        ramp[box_mask == 0] = 0
    ramp = cv2.copyMakeBorder(ramp, m, m, m, m, cv2.BORDER_CONSTANT, value=0)
    ink = ramp.astype(np.float32) * np.float32(1.0 / t)
    if r:
        ink = _grow(ink, r)
    return ink


_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
_SQUARE = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))


def _grow(img: np.ndarray, r: int) -> np.ndarray:
    """Dilate (``r > 0``) or erode (``r < 0``) by ``|r|`` px with a near-disc (octagon).

    Alternating 3x3 cross and square steps: as round as an ellipse kernel of radius
    ``|r|`` but linear, not quadratic, in ``r``.
    """
    op = cv2.dilate if r > 0 else cv2.erode
    for i in range(abs(r)):
        img = op(img, _CROSS if i % 2 == 0 else _SQUARE)
    return img


def _crop_to_ink(ink: np.ndarray, level: float = 0.05) -> np.ndarray:
    """``ink`` cropped to the bounding box of its pixels above ``level``."""
    x, y, w, h = cv2.boundingRect(above(ink, level).astype(np.uint8))
    return ink[y:y + h, x:x + w]


def mnist_normalise(grey: np.ndarray, roi: ROI | None = None, deskew: bool = False) -> np.ndarray:
    """Normalise one handwritten digit like MNIST (LeCun et al.).

    Args:
        grey: uint8 (H, W) grey image, dark ink on light paper (any lighting, paper
            colour, pen).
        roi: the digit's region in ``grey`` px (from :class:`edge.digits.DigitSegmenter`).
            ``None``: ``grey`` is a crop holding one digit with margins (shadows, paper
            edges in the corners are fine) and the digit is found inside it.
        deskew: shear the digit upright by its second moments (OpenCV
            ``samples/python/digits.py``). MNIST itself is not deskewed, so leave it
            off for models trained on plain MNIST.

    Returns:
        float32 (28, 28) in [0, 1], white ink on black; the ink's bounding box has a
        longer side of 20 px and its centre of mass is at (14, 14) (x, y; pixel-index
        coordinates). All zeros when no ink is found.

    Raises:
        ValueError: ``grey`` is not a uint8 2-D image.
    """
    if grey.ndim != 2 or grey.dtype != np.uint8:
        raise ValueError(f"mnist_normalise needs a uint8 (H, W) grey image, got {grey.dtype} "
                         f"{grey.shape}; convert BGR frames with edge.preprocess.to_grey")
    if roi is None:
        roi = _locate_digit(grey)
        if roi is None:
            return np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    return _normalise_roi(grey, roi, deskew)


def _normalise_roi(image: np.ndarray, roi: ROI, deskew: bool) -> np.ndarray:
    """:func:`mnist_normalise` of a known ROI of a grey or BGR image (dark ink)."""
    ink = _digit_ink(image, roi)
    if ink is None:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    if deskew:
        ink = _deskew(ink)
    return place_mnist(_crop_to_ink(ink))


# ---------------------------------------------------------------------------
# preprocessors
# ---------------------------------------------------------------------------
class MnistPreprocessor:
    """MNIST-normalise each ROI of a frame (the ``"mnist-normalise"`` preprocessing).

    Args:
        deskew: see :func:`mnist_normalise`.
        polarity: ``"dark"`` (dark ink on light paper), ``"light"`` (light ink on a
            dark ground; the grey image is inverted) or ``"auto"`` (guessed per frame
            with :func:`ink_is_light`).

    Raises:
        ValueError: unknown ``polarity``.
    """

    def __init__(self, deskew: bool = False, polarity: Polarity = "dark") -> None:
        if polarity not in POLARITIES:
            raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
        self.deskew = deskew
        self.polarity = polarity

    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        """Model inputs for the ROIs of one frame.

        Args:
            image: uint8 (H, W, 3) BGR frame (or uint8 (H, W) grey).
            rois: digit ROIs in frame px.

        Returns:
            float32 (N, 28, 28, 1) in [0, 1], white ink on black, N = ``len(rois)``.
        """
        out = np.zeros((len(rois), MNIST_SIZE, MNIST_SIZE, 1), np.float32)
        if not rois:
            return out
        if self.polarity == "dark" and image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8:
            # only the crops around the ROIs are converted to grey
            for i, roi in enumerate(rois):
                out[i, :, :, 0] = _normalise_roi(image, roi, self.deskew)
            return out
        grey = to_grey(image)  # once per frame
        if self.polarity == "light" or (self.polarity == "auto" and ink_is_light(grey)):
            grey = cv2.bitwise_not(grey)
        for i, roi in enumerate(rois):
            out[i, :, :, 0] = mnist_normalise(grey, roi, deskew=self.deskew)
        return out


def _to_range(x: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    lo, hi = value_range
    return (x.astype(np.float32) * ((hi - lo) / 255.0) + lo).astype(np.float32)


def _colour(crop: np.ndarray, order: str) -> np.ndarray:
    if crop.ndim == 2:
        crop = crop[:, :, None]
    if order == "grey":
        return to_grey(crop)[:, :, None] if crop.shape[2] != 1 else crop
    if crop.shape[2] == 1:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB) if order == "RGB" else crop


class ResizePreprocessor:
    """Crop each ROI, convert to the model's colour order, resize, scale to its range.

    The ``"resize"`` preprocessing; with ``square=True`` the square crop of the
    ``"hand-crop"`` one (see :class:`HandPreprocessor`): the ROI is grown to a square
    about its centre (the part outside the frame padded by edge replication), so
    the object keeps its aspect ratio.

    Args:
        bundle: gives the input (H, W), colour order (``"grey"``, ``"RGB"`` or
            ``"BGR"``) and value range.
        square: square-pad the crop.
    """

    def __init__(self, bundle: ModelBundle, square: bool = False) -> None:
        self.spec = bundle.input
        self.square = square

    @staticmethod
    def window(roi: ROI, frame: tuple[int, int]) -> tuple[int, int, int, tuple[int, int, int, int]]:
        """The square crop window of ``roi``: (x0, y0, side, (top, bottom, left, right) pads).

        ``side = max(roi.w, roi.h, 1)`` px about the ROI's centre; the pads are the px
        of the window outside the ``frame`` (height, width).
        """
        H, W = frame
        cx, cy = roi.center
        side = max(roi.w, roi.h, 1)
        x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
        return x0, y0, side, (max(0, -y0), max(0, y0 + side - H), max(0, -x0), max(0, x0 + side - W))

    def crop(self, image: np.ndarray, roi: ROI) -> np.ndarray:
        """uint8 (h, w, C) crop of ``image`` for ``roi`` (square-padded if asked)."""
        H, W = image.shape[:2]
        if self.square:
            x0, y0, side, pads = self.window(roi, (H, W))
            crop = image[max(0, y0):min(H, y0 + side), max(0, x0):min(W, x0 + side)]
            if any(pads) and crop.size:
                crop = cv2.copyMakeBorder(crop, *pads, cv2.BORDER_REPLICATE)
        else:
            crop = image[roi.y:roi.y + roi.h, roi.x:roi.x + roi.w]
        if crop.size == 0:
            crop = image
        return crop

    def _resize(self, crop: np.ndarray) -> np.ndarray:
        """``crop`` at the model's (W, H): area interpolation when shrinking, else bilinear."""
        spec = self.spec
        h, w = crop.shape[:2]
        interp = cv2.INTER_AREA if h > spec.height or w > spec.width else cv2.INTER_LINEAR
        return cv2.resize(crop, (spec.width, spec.height), interpolation=interp)

    def one(self, crop: np.ndarray) -> np.ndarray:
        """float32 (H, W, C) model input from a uint8 BGR (or grey) crop."""
        return _to_range(_colour(self._resize(crop), self.spec.colour_order), self.spec.value_range)

    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        """float32 (N, H, W, C) in the bundle's value range, one per ROI, from uint8 BGR."""
        spec = self.spec
        out = np.zeros((len(rois), spec.height, spec.width, spec.channels), np.float32)
        for i, roi in enumerate(rois):
            out[i] = self.one(self.crop(image, roi))
        return out


#: Background treatments of :class:`HandPreprocessor`.
HAND_BACKGROUNDS = ("keep", "grey", "blur")
#: The grey level (0..255, all channels) of ``background="grey"``.
BACKGROUND_GREY = 128


def square_pad(image: np.ndarray) -> np.ndarray:
    """Pad the shorter side by edge replication to a square, the image centred.

    The framing of ``edge-eval --crop`` photos (:func:`crop_input`) and of the hands
    training images (``train.hand_data.load_images`` calls this function).

    Args:
        image: uint8 (H, W) or (H, W, C).

    Returns:
        uint8 (S, S[, C]) with S = max(H, W); ``(S - H) // 2`` rows on top and
        ``(S - W) // 2`` columns on the left, the rest on the other side.
    """
    h, w = image.shape[:2]
    if h == w:
        return image
    s = max(h, w)
    top, left = (s - h) // 2, (s - w) // 2
    return cv2.copyMakeBorder(image, top, s - h - top, left, s - w - left, cv2.BORDER_REPLICATE)


class HandPreprocessor(ResizePreprocessor):
    """The ``"hand-crop"`` preprocessing: a hand ROI made to look like a training crop.

    Per ROI:

    1. grow it by ``margin`` of its longer side on every side (:meth:`ROI.pad`). The
       ROIs of :mod:`edge.hands` already include their margin (and are square),
       hence the default 0; give a margin for tight ROIs from elsewhere;
    2. crop a square about its centre, the part outside the frame padded by edge
       replication (:meth:`ResizePreprocessor.crop`), as training square-pads its
       photos (``train.hand_data.square_pad``);
    3. resize to the model's (H, W), area interpolation when shrinking (as
       training does);
    4. optionally normalise the background with the hand's mask: ``"keep"`` it
       (default; the models are trained on real rooms), ``"grey"`` (flat
       :data:`BACKGROUND_GREY`) or ``"blur"`` (Gaussian, sigma = 1/16 of the input
       side). The mask (dilated by one px and feathered, at the model's size) comes
       from the segmenter's ``last_segmentations``: the
       :class:`edge.hands.HandSegmentation` whose ``roi`` equals this ROI. An ROI
       without one (not from that segmenter, or from an earlier frame) is kept as
       it is;
    5. convert BGR to the model's colour order (``"RGB"`` for the hands models) and
       scale 0..255 to its value range.

    Args:
        bundle: gives the input (H, W), colour order and value range.
        margin: step 1's margin, fraction of the ROI's longer side, in [0, 1].
        background: ``"keep"``, ``"grey"`` or ``"blur"`` (step 4).
        segmenter: where the masks come from: anything with ``last_segmentations``
            (every :mod:`edge.hands` segmenter); only used when ``background`` is not
            ``"keep"``, and then required.

    Raises:
        ValueError: unknown ``background``, ``margin`` out of range, or a background
            treatment without a segmenter.
    """

    def __init__(self, bundle: ModelBundle, *, margin: float = 0.0, background: str = "keep",
                 segmenter: object | None = None) -> None:
        super().__init__(bundle, square=True)
        if background not in HAND_BACKGROUNDS:
            raise ValueError(f"background must be one of {HAND_BACKGROUNDS}, got {background!r}")
        if not 0.0 <= margin <= 1.0:
            raise ValueError(f"margin must be in [0, 1] (fraction of the ROI's longer side), got {margin}")
        if background != "keep" and not hasattr(segmenter, "last_segmentations"):
            raise ValueError(f"background={background!r} needs the hand masks: pass the hand segmenter "
                             "(segmenter=, e.g. edge.hands.make_hand_segmenter('skin')) or use "
                             "background='keep'")
        self.margin = float(margin)
        self.background = background
        self.segmenter = segmenter

    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        """Model inputs for the hand ROIs of one frame.

        Args:
            image: uint8 (H, W, 3) BGR frame.
            rois: hand ROIs in frame px (from the segmenter this was given, for masks).

        Returns:
            float32 (N, H, W, C) in the bundle's colour order and value range,
            N = ``len(rois)``.
        """
        spec = self.spec
        out = np.zeros((len(rois), spec.height, spec.width, spec.channels), np.float32)
        segs: dict[ROI, object] = {}
        if self.background != "keep":
            segs = {s.roi: s for s in getattr(self.segmenter, "last_segmentations", ())}
        for i, roi in enumerate(rois):
            r = roi.pad(self.margin) if self.margin else roi
            img = self._resize(self.crop(image, r))
            seg = segs.get(roi)
            if seg is not None:
                img = self._normalise_background(img, self._window_mask(seg, r, image.shape[:2]))
            out[i] = _to_range(_colour(img, spec.colour_order), spec.value_range)
        return out

    def _window_mask(self, seg: object, roi: ROI, frame: tuple[int, int]) -> np.ndarray:
        """uint8 (H, W) 0/255 hand mask at the model's size for the square window of ``roi``.

        ``seg`` is an :class:`edge.hands.HandSegmentation`; its mask is placed in the
        window in frame px and padded like the image (edge replication).
        """
        H, W = frame
        x0, y0, side, pads = self.window(roi, frame)
        fx0, fy0 = max(0, x0), max(0, y0)
        inside: np.ndarray = np.zeros((min(H, y0 + side) - fy0, min(W, x0 + side) - fx0), np.uint8)
        sroi = seg.roi  # type: ignore[attr-defined]
        full = seg.full_mask()  # type: ignore[attr-defined]
        # the segmentation's ROI within the in-frame part of the window
        ox0, oy0 = max(sroi.x, fx0), max(sroi.y, fy0)
        ox1, oy1 = min(sroi.x + sroi.w, fx0 + inside.shape[1]), min(sroi.y + sroi.h, fy0 + inside.shape[0])
        if ox1 > ox0 and oy1 > oy0:
            inside[oy0 - fy0:oy1 - fy0, ox0 - fx0:ox1 - fx0] = \
                full[oy0 - sroi.y:oy1 - sroi.y, ox0 - sroi.x:ox1 - sroi.x]
        if any(pads) and inside.size:
            inside = cv2.copyMakeBorder(inside, *pads, cv2.BORDER_REPLICATE)
        if inside.size == 0:
            return np.full((self.spec.height, self.spec.width), 255, np.uint8)
        return self._resize(inside)

    def _normalise_background(self, img: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """uint8 (H, W, 3) ``img`` with its background (``mask`` 0) grey or blurred."""
        mask = cv2.GaussianBlur(cv2.dilate(mask, np.ones((3, 3), np.uint8)), (3, 3), 0)
        if self.background == "grey":
            bg = np.full_like(img, BACKGROUND_GREY)
        else:
            bg = cv2.GaussianBlur(img, (0, 0), max(img.shape[:2]) / 16.0)
        alpha = mask.astype(np.float32)[:, :, None] * np.float32(1.0 / 255.0)
        mixed = img.astype(np.float32) * alpha + bg.astype(np.float32) * (1.0 - alpha)
        return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


def make_preprocessor(bundle: ModelBundle, *, margin: float = 0.0, background: str = "keep",
                      segmenter: object | None = None) -> Callable[[np.ndarray, list[ROI]], np.ndarray]:
    """The preprocessor a bundle asks for in ``model.json`` (``preprocessing``).

    Args:
        bundle: a loaded bundle.
        margin: ``"hand-crop"`` only: see :class:`HandPreprocessor`.
        background: ``"hand-crop"`` only: see :class:`HandPreprocessor`.
        segmenter: ``"hand-crop"`` only: where hand masks come from (ignored by the
            other preprocessings, which need none).

    Returns:
        ``"mnist-normalise"``: :class:`MnistPreprocessor`; ``"resize"``:
        :class:`ResizePreprocessor`; ``"hand-crop"``: :class:`HandPreprocessor` (a
        :class:`ResizePreprocessor` with square crops). Each maps ``(uint8 (H, W, 3)
        BGR frame, list[ROI])`` to float32 (N, H, W, C) model inputs.

    Raises:
        ValueError: unknown preprocessing, ``"mnist-normalise"`` for a model whose
            input is not (1, 28, 28, 1), a ``margin`` or ``background`` for a
            preprocessing other than ``"hand-crop"``, or bad hand settings.
    """
    name = bundle.preprocessing
    if name != "hand-crop" and (margin or background != "keep"):
        raise ValueError(f"margin and background apply to the 'hand-crop' preprocessing, but bundle "
                         f"{bundle.name} asks for {name!r}; leave them at their defaults")
    if name == "mnist-normalise":
        shape = tuple(bundle.input.shape)
        if shape != (1, MNIST_SIZE, MNIST_SIZE, 1):
            raise ValueError(f"bundle {bundle.name} asks for mnist-normalise but its input is "
                             f"{shape}, not (1, 28, 28, 1); fix 'preprocessing' in model.json")
        return MnistPreprocessor()
    if name == "resize":
        return ResizePreprocessor(bundle)
    if name == "hand-crop":
        return HandPreprocessor(bundle, margin=margin, background=background, segmenter=segmenter)
    raise ValueError(f"unknown preprocessing {name!r} in bundle {bundle.name}; expected one of "
                     "'mnist-normalise', 'resize', 'hand-crop'")


def crop_input(image: np.ndarray, bundle: ModelBundle) -> np.ndarray:
    """The model input for a whole image treated as one ROI (``edge-eval --crop``).

    For ``"mnist-normalise"`` the digit is found inside the image (margins, shadows
    and paper edges allowed, see :func:`mnist_normalise` with ``roi=None``), except
    that an image of exactly the model's input size (28x28) is taken as a model input
    already (white ink on black, as ``edge-capture`` and MNIST store them) and only
    scaled to the input's value range. For
    ``"hand-crop"`` the image is the hand crop: it is square-padded by edge
    replication (:func:`square_pad`, as in training) and resized, without running
    a segmenter or normalising its background. For ``"resize"`` the whole image is
    resized.

    Args:
        image: uint8 (H, W, 3) BGR or (H, W) grey.
        bundle: the model's bundle.

    Returns:
        float32 (H, W, C) for the model's input (e.g. (28, 28, 1) in [0, 1]).

    Raises:
        ValueError: as :func:`make_preprocessor`, or a malformed image.
    """
    pre = make_preprocessor(bundle)
    if isinstance(pre, MnistPreprocessor):
        grey = to_grey(image)
        if grey.shape == tuple(bundle.input.shape[1:3]):  # already a model input (edge-capture)
            lo, hi = bundle.input.value_range
            return (grey.astype(np.float32) / 255.0 * (hi - lo) + lo)[:, :, None]
        return mnist_normalise(grey, None, deskew=pre.deskew)[:, :, None]
    if isinstance(pre, HandPreprocessor):
        return pre.one(square_pad(image))
    h, w = image.shape[:2]
    return pre(image, [ROI(0, 0, w, h)])[0]
