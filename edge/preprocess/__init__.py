"""Preprocessing stage: turn the ROIs of a frame into model inputs.

Owns: one module per preprocessing a bundle can ask for in ``model.json``
(``preprocessing``), and :func:`make_preprocessor`, which picks it:

- ``"mnist-normalise"``: :mod:`edge.preprocess.mnist` (:class:`MnistPreprocessor`,
  :func:`mnist_normalise`), built from :mod:`~edge.preprocess.digit_ink` (the ink of a
  digit in its ROI), :mod:`~edge.preprocess.analysis_ink` (the same, read from the
  digit segmenter's own flat-fielded frame: the fast path for large digits),
  :mod:`~edge.preprocess.grey_ink` (small digits from the grey crop),
  :mod:`~edge.preprocess.ink_levels` (the kept ink as grey levels with MNIST's stroke
  width), :mod:`~edge.preprocess.locate` (the digit in a loose crop, with
  :mod:`~edge.preprocess.thick_lines`: ruled lines too thick for the line search),
  :mod:`~edge.preprocess.loose_ink` (a loose crop's ink: fat strokes filled, thin ruled
  lines dropped) and :mod:`~edge.preprocess.mnist_format` (MNIST's 28x28 geometry);
- ``"resize"``: :mod:`edge.preprocess.resize` (:class:`ResizePreprocessor`): each ROI
  squashed to the input size;
- ``"centre-crop"``: :mod:`edge.preprocess.centre_crop` (:class:`CentreCropPreprocessor`):
  the centre of each ROI at the input's aspect ratio, resized;
- ``"hand-crop"``: :mod:`edge.preprocess.hand_crop` (:class:`HandPreprocessor`): the
  hand's ROI square-padded by edge replication, resized with area interpolation,
  optionally with its background flattened using the ROI's mask
  (:attr:`edge.types.ROI.mask`, set by the hand finders), converted to the model's
  colour order (RGB) and value range: the framing the hands training gives its
  photos (``train.hand_data``);
- ``"hand-landmarks"``: :mod:`edge.preprocess.landmarks` (:class:`LandmarkPreprocessor`):
  the 21 hand landmarks on each ROI (put there by
  :class:`edge.segment.hand_tracker.HandTracker`) -> pose-normalised feature vectors.

:func:`crop_input` treats a whole image as one ROI (``edge-eval --crop``);
:func:`mnist_crop_input` is its ``"mnist-normalise"`` branch without a bundle (what
``train.camera_digits`` reads its renderings with).

May import: numpy, OpenCV, :mod:`edge.types`, :mod:`edge.bundle`, the shared ink
operations of :mod:`edge.segment.ink` and :mod:`edge.segment.ink_components`, and the
segmenter's results type :mod:`edge.segment.ink_analysis`. Never a later stage (runtime, tracking), a sink
or a CLI.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edge.bundle import ModelBundle
from edge.preprocess.centre_crop import CentreCropPreprocessor, centre_window
from edge.preprocess.hand_crop import BACKGROUND_GREY, HAND_BACKGROUNDS, HandPreprocessor, square_pad
from edge.preprocess.landmarks import LandmarkPreprocessor
from edge.preprocess.mnist import MnistPreprocessor, mnist_crop_views, mnist_normalise
from edge.preprocess.mnist_format import MNIST_BOX, MNIST_CENTRE, MNIST_SIZE, place_mnist
from edge.preprocess.polarity import ink_is_light_in, looks_like_model_input, ready_model_input
from edge.preprocess.resize import ResizePreprocessor
from edge.segment.ink import POLARITIES, Polarity, to_grey
from edge.types import ROI

__all__ = [
    "BACKGROUND_GREY",
    "CentreCropPreprocessor",
    "HAND_BACKGROUNDS",
    "MNIST_BOX",
    "MNIST_CENTRE",
    "MNIST_SIZE",
    "POLARITIES",
    "HandPreprocessor",
    "LandmarkPreprocessor",
    "MnistPreprocessor",
    "ResizePreprocessor",
    "centre_window",
    "crop_input",
    "ink_is_light_in",
    "looks_like_model_input",
    "make_preprocessor",
    "mnist_crop_input",
    "mnist_normalise",
    "place_mnist",
    "ready_model_input",
    "square_pad",
]


def make_preprocessor(
    bundle: ModelBundle, *, margin: float = 0.0, background: str = "keep", polarity: Polarity = "auto"
) -> Callable[[np.ndarray, list[ROI]], np.ndarray]:
    """The preprocessor a bundle asks for in ``model.json`` (``preprocessing``).

    Args:
        bundle: a loaded bundle.
        margin: ``"hand-crop"`` only: see :class:`HandPreprocessor`.
        background: ``"hand-crop"`` only: see :class:`HandPreprocessor`.
        polarity: ``"mnist-normalise"`` only (other preprocessings ignore it): the ink's
            polarity, ``"auto"`` (per ROI), ``"dark"`` or ``"light"`` (see
            :class:`MnistPreprocessor`).

    Returns:
        ``"mnist-normalise"``: :class:`MnistPreprocessor`; ``"resize"``:
        :class:`ResizePreprocessor`; ``"centre-crop"``: :class:`CentreCropPreprocessor`;
        ``"hand-crop"``: :class:`HandPreprocessor` (a
        :class:`ResizePreprocessor` with square crops). Each maps ``(uint8 (H, W, 3)
        BGR frame, list[ROI])`` to float32 (N, H, W, C) model inputs.
        ``"hand-landmarks"``: :class:`LandmarkPreprocessor`, float32 (N, 94) features
        from the landmarks on the ROIs.

    Raises:
        ValueError: unknown preprocessing or polarity, ``"mnist-normalise"`` for a model whose
            input is not (1, 28, 28, 1), a ``margin`` or ``background`` for a
            preprocessing other than ``"hand-crop"``, or bad hand settings.
    """
    name = bundle.preprocessing
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    if name != "hand-crop" and (margin or background != "keep"):
        raise ValueError(
            f"margin and background apply to the 'hand-crop' preprocessing, but bundle "
            f"{bundle.name} asks for {name!r}; leave them at their defaults"
        )
    if name == "mnist-normalise":
        shape = tuple(bundle.input.shape)
        if shape != (1, MNIST_SIZE, MNIST_SIZE, 1):
            raise ValueError(
                f"bundle {bundle.name} asks for mnist-normalise but its input is "
                f"{shape}, not (1, 28, 28, 1); fix 'preprocessing' in model.json"
            )
        return MnistPreprocessor(polarity=polarity)
    if name == "resize":
        return ResizePreprocessor(bundle)
    if name == "centre-crop":
        return CentreCropPreprocessor(bundle)
    if name == "hand-crop":
        return HandPreprocessor(bundle, margin=margin, background=background)
    if name == "hand-landmarks":
        return LandmarkPreprocessor(bundle)
    raise ValueError(
        f"unknown preprocessing {name!r} in bundle {bundle.name}; expected one of "
        "'mnist-normalise', 'resize', 'centre-crop', 'hand-crop', 'hand-landmarks'"
    )


def crop_input(image: np.ndarray, bundle: ModelBundle, polarity: Polarity = "auto") -> np.ndarray:
    """The model input for a whole image treated as one ROI (``edge-eval --crop``).

    For ``"mnist-normalise"``: an image that already looks like a model input (light
    ink centred on a black field with an empty border, as MNIST and ``edge-capture``
    store digits; :func:`~edge.preprocess.polarity.looks_like_model_input`), whatever
    its size, is put into MNIST's geometry directly (28x28 taken as it is, scaled to
    the input's value range); any other image is a photo: the ink's polarity is
    ``polarity`` (``"auto"``: decided from its deviations from its ground and its strokes,
    :func:`~edge.preprocess.polarity.ink_is_light_in`) and the digit is found
    inside it (margins, shadows and paper edges allowed, see :func:`mnist_normalise`
    with ``roi=None``). With ``polarity="dark"`` nothing is taken as a ready input.
    For ``"hand-crop"`` the image is the hand crop: it is square-padded by edge
    replication (:func:`square_pad`, as in training) and resized, without running
    a segmenter or normalising its background. For ``"resize"`` the whole image is
    resized, for ``"centre-crop"`` its centre at the model's aspect ratio: exactly what
    ``edge-run`` does to a frame of a ``classify`` model with ``--roi full``.

    Args:
        image: uint8 (H, W, 3) BGR or (H, W) grey.
        bundle: the model's bundle.
        polarity: ``"auto"``, ``"dark"`` or ``"light"`` (``"mnist-normalise"`` only).

    Returns:
        float32 (H, W, C) for the model's input (e.g. (28, 28, 1) in [0, 1]).

    Raises:
        ValueError: as :func:`make_preprocessor`, a malformed image, an unknown
            ``polarity``, or a ``hand-landmarks`` bundle (its input comes from the hand
            tracker, not from the pixels).
    """
    if bundle.preprocessing == "hand-landmarks":
        raise ValueError(
            f"bundle {bundle.name} reads hand landmarks: run the hand tracker on the image "
            "(edge.pipeline.build_pipeline(..., source_kind='image'), as edge-eval --crop does)"
        )
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    pre = make_preprocessor(bundle)
    if isinstance(pre, MnistPreprocessor):
        lo, hi = bundle.input.value_range
        return mnist_crop_input(image, polarity, deskew=pre.deskew, value_range=(lo, hi))[:, :, None]
    if isinstance(pre, HandPreprocessor):
        return pre.one(square_pad(image))
    h, w = image.shape[:2]
    return pre(image, [ROI(0, 0, w, h)])[0]


def mnist_crop_input(
    image: np.ndarray,
    polarity: Polarity = "auto",
    *,
    deskew: bool = False,
    value_range: tuple[float, float] = (0.0, 1.0),
    insets: tuple[float, ...] | None = None,
    light: bool | None = None,
) -> np.ndarray:
    """A whole image as one digit, read as :func:`crop_input` reads it for ``"mnist-normalise"``.

    A 28x28 image that looks like a model input (edge-capture's) is scaled to
    ``value_range`` as it is; a larger one is put into MNIST's geometry
    (:func:`ready_model_input`); any other image is a photo: the digit is found inside it
    (:func:`mnist_normalise` with ``roi=None``). With ``polarity="dark"`` nothing is taken as
    a ready input. With ``insets``, a photo is read once per inset
    (:func:`edge.preprocess.mnist.mnist_crop_views`, the still views of ``edge-eval --crop``);
    a ready input has one reading.

    Args:
        image: uint8 (H, W, 3) BGR or (H, W) grey.
        polarity: ``"auto"``, ``"dark"`` or ``"light"`` (see :func:`mnist_normalise`).
        deskew: see :func:`mnist_normalise`.
        value_range: (low, high) of the model input: applied to a 28x28 ready input only
            (the other branches give [0, 1], as every ``"mnist-normalise"`` bundle takes).
        insets: fractions of the located digit's shorter side by which each view's box moves
            inwards, each in [0, 0.25); ``None``: one read, no view axis.
        light: with ``polarity="auto"``, a photo's ink polarity already decided by the caller
            (:func:`ink_is_light_in` of the grey image: not decided twice); ``None``: decided here.

    Returns:
        float32 (28, 28), white ink on black (all zeros: no ink found); with ``insets``,
        float32 (K, 28, 28): K = ``len(insets)`` for a photo, 1 for a ready input.

    Raises:
        ValueError: a malformed image, an unknown ``polarity`` or an inset outside [0, 0.25).
    """
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    grey = to_grey(image)
    if polarity != "dark" and looks_like_model_input(grey):
        if grey.shape == (MNIST_SIZE, MNIST_SIZE):  # a model input as it is (edge-capture)
            lo, hi = value_range
            ready = grey.astype(np.float32) / 255.0 * (hi - lo) + lo
        else:
            ready = np.asarray(ready_model_input(grey), np.float32)
        return ready if insets is None else ready[None]
    if polarity == "auto" and light is not None:
        polarity = "light" if light else "dark"
    if insets is not None:
        return mnist_crop_views(grey, tuple(insets), deskew, polarity)
    return mnist_normalise(grey, None, deskew=deskew, polarity=polarity)
