"""Ink on paper: grey levels, flat-fielded darkness and ink thresholds.

The pixel operations both the digit finder (:mod:`edge.segment.digits`) and the
MNIST normalisation (:mod:`edge.preprocess.mnist`) are built from: grey
conversion, anti-aliased shrinking, the paper estimated by a grey closing and
divided out ("flat-field" darkness) and Otsu's threshold (N. Otsu, 1979) bounded by
the paper's noise. Ruled-line erasing and the components of an ink mask are
:mod:`edge.segment.ink_components`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import cv2
import numpy as np

#: Darkness (1 - pixel / paper, 0..1) below which nothing counts as ink.
MIN_CONTRAST = 0.10

Polarity = str  # "dark" (dark ink on light paper), "light", "auto"
#: Ink polarities: dark ink on light paper, light ink on a dark ground, or guessed per
#: frame (:func:`edge.segment.ink_polarity.frame_ink_is_light`).
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


@contextlib.contextmanager
def cv_threads(n: int) -> Iterator[None]:
    """OpenCV's worker threads set to ``n`` inside the ``with`` block (0: OpenCV's setting kept), and
    the process's setting restored after it."""
    threads = cv2.getNumThreads()
    if not n or n == threads:
        yield
        return
    cv2.setNumThreads(n)
    try:
        yield
    finally:
        cv2.setNumThreads(threads)


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
    paper = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, square(kernel))
    return cv2.bitwise_not(cv2.divide(grey, paper, scale=255.0))


@functools.lru_cache(maxsize=32)
def square(k: int) -> np.ndarray:
    """uint8 (k, k) all-ones structuring element (cached: shared, do not write into it)."""
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


def histogram_quantile(hist: np.ndarray, q: float) -> int | None:
    """The lowest level (0..255) of a 256-bin histogram at which a fraction ``q`` (0..1] of its
    count is reached (``searchsorted(cumsum(hist), q x count)``), or ``None`` for an empty one."""
    total = float(hist.sum())
    return int(np.searchsorted(np.cumsum(hist), q * total)) if total else None


#: Grey levels 0..255 (float64) for histogram moments.
LEVELS = np.arange(256, dtype=np.float64)


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
    mu = (p * LEVELS).cumsum()
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
