"""Ink on paper: grey levels, flat-fielded darkness and ink thresholds.

The pixel operations both the digit finder (:mod:`edge.segment.digits`) and the
MNIST normalisation (:mod:`edge.preprocess.mnist`) are built from: grey
conversion, anti-aliased shrinking, the paper estimated by a grey closing and
divided out ("flat-field" darkness) and Otsu's threshold (N. Otsu, 1979) bounded by
the paper's noise. Ruled-line erasing and the components of an ink mask are
:mod:`edge.segment.ink_components`.
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


#: Skewness of the grey levels around their local mean above which the ink is light
#: (see :func:`ink_is_light`); dark ink on paper gives about -1 to -4, light ink +1 to +4.
LIGHT_SKEW = 0.5
#: Local skewness below which a frame is dark whatever its strokes say (ruled paper, lit corner: -1.6)
DARK_SKEW = -1.0


def _skew_above(n: int, s1: float, s2: float, s3: float, limit: float) -> bool:
    """Whether the skewness of ``n`` values with sums ``s1``, ``s2``, ``s3`` of their
    first three powers (whole numbers, given as exact floats) around their mean is above
    ``limit``: decided in exact integer arithmetic, no rounding (the third central moment
    over the 1.5th power of the second, that at least 1e-6)."""
    if n <= 0:
        return limit < 0
    s1, s2, s3 = int(s1), int(s2), int(s3)
    # n^2 times the second central moment, n^3 times the third (both exact)
    b = n * s2 - s1 * s1
    a = (n * s3 - 3 * s1 * s2) * n + 2 * s1 * s1 * s1
    p, q = limit.as_integer_ratio()  # limit = p / q, q > 0
    if b * 10**6 < n * n:  # the second moment below 1e-6: skewness = a / n^3 / 1e-9
        return a * 10**9 * q > p * n**3
    # skewness = a / b^1.5 against p / q, compared squared when both have the same sign
    if p >= 0:
        return a > 0 and a * a * q * q > p * p * b**3
    return a >= 0 or a * a * q * q < p * p * b**3


def _analysis_view(grey: np.ndarray) -> np.ndarray:
    """``grey`` (uint8) with its longer side at most 320 px."""
    h, w = grey.shape[:2]
    f = 320.0 / max(h, w)
    return shrink(grey, (max(1, round(w * f)), max(1, round(h * f)))) if f < 0.5 else grey


#: Grey levels 0..255 (float64) for histogram moments.
_LEVELS = np.arange(256, dtype=np.float64)
#: Their first three powers (float64 (3, 256), whole numbers): the sums of a histogram's
#: powers by one product, exact (every partial sum is a whole number below 2^53).
_POWERS = np.stack([_LEVELS, _LEVELS**2, _LEVELS**3])


def ink_is_light(grey: np.ndarray) -> bool:
    """Decide whether a crop or ROI shows light ink on a dark ground (chalk, white
    marker, an inverted scan, MNIST itself) rather than dark ink on paper.

    Ink is the minority of a crop's pixels and far from its ground's level, so the
    grey levels are skewed towards the ink's side: to the dark side for dark ink on
    paper, to the light side for light ink. Only a skewness above :data:`LIGHT_SKEW`
    means light ink (the common case, dark ink, wins ties). For whole frames, where a
    bright note on a dark desk is itself a light minority, use
    :func:`frame_ink_is_light`.

    Args:
        grey: uint8 (H, W), any size (looked at with the longer side at most 320 px).

    Returns:
        True for light ink on a dark ground.
    """
    # the moments from the 256-bin histogram: one pass over the pixels instead of several
    # over a float copy (18 instead of 58 us on a 60 x 300 crop; same answers on 3,348
    # crops of demo frames and pages)
    return _grey_is_light(_analysis_view(grey))


def _grey_is_light(grey: np.ndarray) -> bool:
    """Whether the skewness of the grey levels of uint8 ``grey`` around their mean is
    above :data:`LIGHT_SKEW`, from its histogram (the sums of the levels' powers by one
    exact product, the comparison in integers: 2 instead of 5 us over a float formula)."""
    n = cv2.calcHist([np.ascontiguousarray(grey)], [0], None, [256], [0, 256]).ravel().astype(np.float64)
    s1, s2, s3 = _POWERS @ n
    return _skew_above(grey.size, s1, s2, s3, LIGHT_SKEW)


#: The residue of the square that decides :func:`_stroke_polarity` is at least this share of
#: the largest residue. A tenth, not more: squared and lined paper's thin 1-px lines carry
#: little residue next to the paper between them, which the larger squares take in as light
#: "strokes" (a fifth called 11 of 500 dev frames of dark ink on squared or lined paper
#: under a shadow light, ``benchmarks/realistic_digits.py`` seed 21; a tenth, 3; seed 22: 1
#: and 0; the light pages of ``benchmarks.synth_pages`` and ``digits.png`` stay light).
STROKE_SHARE = 0.1


def _stroke_polarity(small: np.ndarray, t: float = 12.0) -> bool:
    """Whether the thinnest strokes that carry contrast are light: white and black
    top-hats (grey opening / closing residues) with 3, 5, 9 and 17 px squares (3, 5
    and 9 at half resolution when the shorter side is at least 128 px); the
    smallest square whose larger residue is at least :data:`STROKE_SHARE` of the largest
    residue of any square, and that is at least twice the other polarity's, decides (a pen
    stroke fits in it; larger squares also take in the gaps between strokes and the
    edges of large regions). False when none decides.

    A larger square's residues are at least the smaller one's at every pixel (an
    opening by a larger square is below the opening by a smaller one, a closing
    above), so the largest square's residue is the largest of all: it is measured
    first, then the squares from the smallest up, stopping at the first that decides.

    Both residues come from one closing of a two-channel image, the inverted view and
    the view: an opening is the inverse of the closing of the inverse (exactly, on
    uint8), so ``view - opening(view)`` is ``closing(inverse) - inverse`` (one call
    each for the closing, the residues, the threshold and the sums instead of two:
    about 19 instead of 30 us a square on a 160 x 120 view).
    """
    kernels: tuple[int, ...] = (3, 5, 9, 17)
    if min(small.shape[:2]) >= 128:  # half resolution: 4x cheaper, 6 to 18 px of the original
        small, kernels = cv2.pyrDown(small), (3, 5, 9)
    both = cv2.merge([cv2.bitwise_not(small), small])  # channels: light ink, dark ink

    def residues(k: int) -> tuple[float, float]:
        r = cv2.subtract(cv2.morphologyEx(both, cv2.MORPH_CLOSE, _square(k)), both)
        sums = cv2.sumElems(cv2.threshold(r, t, 0, cv2.THRESH_TOZERO)[1])
        return sums[0], sums[1]

    largest = residues(kernels[-1])
    top = max(largest)
    for k in kernels:
        li, da = largest if k == kernels[-1] else residues(k)
        if max(li, da) >= STROKE_SHARE * top and (li > 2 * da or da > 2 * li):
            return li > da
    return False


def frame_ink_is_light(grey: np.ndarray) -> bool:
    """Decide whether a camera frame or a page shows light ink on a dark ground.

    The frame must look light around its mean (:func:`ink_is_light`'s skewness: a
    chalkboard, but also a bright note on a dark desk, which is a light minority), and
    then either around a local box mean a few strokes wide (1/26 of the shorter side:
    9 px of 240; the note's large area and edges cancel there, a page of small chalk
    digits does not) or by its thinnest contrasted strokes (:func:`_stroke_polarity`: a
    large bold light digit, too wide for the box mean; not when below :data:`DARK_SKEW` there).

    Args:
        grey: uint8 (H, W), any size (looked at with the longer side at most 320 px;
            a shorter side below 64 px: the global view only).

    Returns:
        True for light ink on a dark ground.
    """
    small = _analysis_view(grey)
    # the global view needs no more than a sample
    if not _grey_is_light(small[::3, ::3]):
        return False
    if min(small.shape[:2]) < 64:
        return True
    k = max(3, min(small.shape[:2]) // 26)
    local = cv2.subtract(
        np.ascontiguousarray(small[::2, ::2]),
        np.ascontiguousarray(cv2.blur(small, (k, k))[::2, ::2]),
        dtype=cv2.CV_32F,
    )
    # the skewness around 0 of the whole deviations -255..255: their squares and cubes are exact in float32
    # (|d|^3 < 2^24), summed exactly in float64 (below 2^53): a 511-bin histogram's sums, 12 instead of 45 us
    d2 = cv2.multiply(local, local)
    s2, s3 = cv2.sumElems(d2)[0], cv2.sumElems(cv2.multiply(d2, local))[0]
    skew = s3 / local.size / max(s2 / local.size, 1e-6) ** 1.5
    return skew > LIGHT_SKEW or (skew > DARK_SKEW and _stroke_polarity(small))


def odd(n: float) -> int:
    """The odd integer >= 3 nearest to ``n`` (morphology kernel sizes)."""
    k = max(3, int(round(n)))
    return k if k % 2 else k + 1


def darkness(
    grey: np.ndarray, kernel: int, sides: tuple[bool, bool, bool, bool] = (False, False, False, False)
) -> np.ndarray:
    """Flat-fielded ink darkness: ``255 * (1 - grey / paper)``, the paper estimated locally.

    The paper (background) is a grey-level morphological closing with a
    ``kernel`` x ``kernel`` square: it removes every dark structure narrower than the
    kernel (pen strokes) and keeps light regions and dark regions larger than it
    (shadow edges and ramps are kept sharp, unlike with a blur). Dividing by it
    cancels uneven light and paper colour ("flat-field" correction); on the image extended by
    edge replication beyond ``sides``, so light falling off towards an image's own border
    (vignetting, a soft shadow) is followed up to it, not left as a band of false darkness.

    Args:
        grey: uint8 (H, W), dark ink on light paper.
        kernel: closing size (px), larger than the widest pen stroke.
        sides: (left, top, right, bottom): extend beyond that side, where the image itself ends.

    Returns:
        uint8 (H, W): 0 on paper, up to 255 for black ink.
    """
    left, top, right, bottom = (kernel // 2 if s else 0 for s in sides)
    if left or top or right or bottom:
        h, w = grey.shape
        padded = cv2.copyMakeBorder(grey, top, bottom, left, right, cv2.BORDER_REPLICATE)
        return darkness(padded, kernel)[top : top + h, left : left + w]
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
    # (array methods: the same sums as np.cumsum / np.argmax without their dispatch, a
    # few microseconds a call on a 256-bin histogram)
    p = hist / total
    omega = p.cumsum()
    mu = (p * _LEVELS).cumsum()
    num = mu[-1] * omega - mu
    den = omega * (1.0 - omega)
    # an empty class (den 0) scores -1, as does a zero-width one
    between = np.divide(num * num, den, out=np.full(256, -1.0), where=den != 0)
    return int(between.argmax())


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
    cdf = hist.cumsum()
    p25, p50 = int(cdf.searchsorted(0.25 * cdf[-1])), int(cdf.searchsorted(0.5 * cdf[-1]))
    return float(p50), max(1.5, (p50 - p25) / 0.674)


def ink_threshold(
    dark: np.ndarray,
    where: np.ndarray | tuple[slice, slice] | None = None,
    noise_where: np.ndarray | None = None,
    max_over_noise: float = 0.0,
) -> int:
    """Darkness level separating ink from paper: Otsu's, bounded below by a noise floor.

    Otsu's method (N. Otsu, 1979) runs on the pixels selected by ``where`` (``cv2.threshold`` with
    ``THRESH_OTSU`` for a rectangle, :func:`otsu` of the histogram for a mask). The floor is
    :data:`MIN_CONTRAST` or, on noisy (dim) images, about four standard deviations of the paper's
    noise above the paper, both from the lower 30 % of the ``dark`` histogram (which ink does not reach).

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
    dark: np.ndarray,
    t1: int,
    where: np.ndarray | tuple[slice, slice] | None = None,
    hist: np.ndarray | None = None,
) -> int | None:
    """A second, higher ink threshold: Otsu among the pixels darker than ``t1``.

    Separates dark ink from a shadow, a dark corner or printed ruling that the first
    threshold let in (a three-level Otsu, done as two two-level ones).

    Args:
        dark: uint8 (H, W) darkness from :func:`darkness`.
        t1: the first threshold (:func:`ink_threshold`).
        where: optional bool/uint8 (H, W) mask or slices: only these pixels count.
        hist: ``darkness_histogram(dark, where)`` if already computed (not changed).

    Returns:
        The threshold 0..255, or ``None`` when it is not clearly above ``t1``.
    """
    hist = darkness_histogram(dark, where) if hist is None else hist.copy()
    hist[: t1 + 1] = 0
    if hist.sum() < 16:
        return None
    t2 = otsu(hist)
    return t2 if t2 > t1 + 12 else None
