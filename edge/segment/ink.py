"""Ink on paper: grey levels, flat-fielded darkness, thresholds and ink components.

The image operations both the digit finder (:mod:`edge.segment.digits`) and the
MNIST normalisation (:mod:`edge.preprocess.mnist`) are built from: grey
conversion, anti-aliased shrinking, the paper estimated by a grey closing and
divided out ("flat-field" darkness), Otsu's threshold (N. Otsu, 1979) bounded by
the paper's noise, ruled-line erasing (probabilistic Hough transform) and the outer
connected components of an ink mask.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

#: Darkness (1 - pixel / paper, 0..1) below which nothing counts as ink.
MIN_CONTRAST = 0.10

Polarity = str  # "dark" (dark ink on light paper), "light", "auto"
#: Ink polarities: dark ink on light paper, light ink on a dark ground, or guessed per
#: frame (:func:`ink_is_light`).
POLARITIES = ("dark", "light", "auto")


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
        raise ValueError(
            f"expected uint8 pixels 0..255, got {grey.dtype}; convert with "
            "np.clip(x, 0, 255).astype(np.uint8)"
        )
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


def darkness_histogram(dark: np.ndarray, where: np.ndarray | tuple[slice, slice] | None) -> np.ndarray:
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


def ink_threshold(
    dark: np.ndarray,
    where: np.ndarray | tuple[slice, slice] | None = None,
    noise_where: np.ndarray | None = None,
    max_over_noise: float = 0.0,
) -> int:
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
        hist = darkness_histogram(dark, where)
        if hist.sum() <= 0:
            return 255
        t = otsu(hist)
    pool = hist if noise_where is where and hist is not None else darkness_histogram(dark, noise_where)
    if pool.sum() <= 0:
        pool = darkness_histogram(dark, None)
    cdf = np.cumsum(pool)
    p5, p30 = np.searchsorted(cdf, (0.05 * cdf[-1], 0.3 * cdf[-1]))
    noise = p30 + 3.5 * (p30 - p5)
    floor = max(MIN_CONTRAST * 255.0, noise)
    if max_over_noise > 0:
        t = min(t, max(floor, max_over_noise * noise))
    return int(max(t, floor))


def second_ink_threshold(
    dark: np.ndarray, t1: int, where: np.ndarray | tuple[slice, slice] | None = None
) -> int | None:
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
    hist = darkness_histogram(dark, where)
    hist[: t1 + 1] = 0
    if hist.sum() < 16:
        return None
    t2 = otsu(hist)
    return t2 if t2 > t1 + 12 else None


def remove_lines(
    mask: np.ndarray,
    h_length: int,
    v_length: int,
    thickness: int = 2,
    max_angle: float = 25.0,
    search: np.ndarray | None = None,
) -> np.ndarray:
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
    if max(src.shape[:2]) < n:  # no line that long fits in this mask
        return mask
    # long lines: search at half resolution (4x fewer points), when both sides survive halving
    k = 2 if n >= 60 and min(src.shape[:2]) >= 2 else 1
    if k > 1:
        thin = cv2.resize(thin, (thin.shape[1] // k, thin.shape[0] // k), interpolation=cv2.INTER_AREA)
    segs = cv2.HoughLinesP(
        thin,
        1,
        np.pi / 180,
        threshold=max(4, n // (2 * k)),
        minLineLength=n // k,
        maxLineGap=max(3, n // (8 * k)),
    )
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
        self.area = np.array(
            [cv2.countNonZero(mask[yy : yy + hh, xx : xx + ww]) for xx, yy, ww, hh in rects], np.float64
        )
        contact = np.zeros(len(rects))
        for i in np.nonzero((x == 0) | (y == 0) | (x + bw == w) | (y + bh == h))[0]:
            xx, yy, ww, hh = rects[i]
            c = 0
            if xx == 0:
                c += cv2.countNonZero(mask[yy : yy + hh, 0])
            if xx + ww == w:
                c += cv2.countNonZero(mask[yy : yy + hh, w - 1])
            if yy == 0:
                c += cv2.countNonZero(mask[0, xx : xx + ww])
            if yy + hh == h:
                c += cv2.countNonZero(mask[h - 1, xx : xx + ww])
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


def ink_components(
    mask: np.ndarray,
    h_length: int,
    v_length: int,
    line_px: int,
    min_box_area: float = 0.0,
    comps: Components | None = None,
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
