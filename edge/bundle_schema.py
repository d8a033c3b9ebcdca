"""The model bundle's ``model.json`` schema: the names it may hold and its input spec.

The constants list the tasks, colour orders and preprocessing names a bundle may declare;
:class:`InputSpec` (with :class:`QuantParams`) is the ``input`` section and validates
itself when read with :meth:`InputSpec.from_json`; :func:`check_features` checks a
feature-vector (``hand-landmarks``) bundle against :mod:`edge.landmark_features`.
Reading and writing bundle folders is :mod:`edge.bundle`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from edge.landmark_features import check_features_version

FORMAT_VERSION = 1
#: ``classify``: any image classifier, on the whole frame or a centre ROI (edge.segment.whole_frame).
TASKS = ("digits", "hands", "classify")
#: Tasks of the pretrained MediaPipe hand models fetched by ``edge-models fetch hands``
#: (:mod:`edge.pretrained`); they are read by :mod:`edge.segment`, not by the classifier.
PRETRAINED_TASKS = ("palm-detection", "hand-landmarks")
COLOUR_ORDERS = ("grey", "RGB", "BGR")
#: Preprocessing names a bundle may ask for (see :mod:`edge.preprocess`).
PREPROCESSING = ("mnist-normalise", "hand-crop", "resize", "hand-landmarks", "centre-crop")
#: ``colour_order`` of a feature-vector input (shape (1, F), preprocessing ``hand-landmarks``).
FEATURES_ORDER = "features"
#: Preprocessing of the pretrained hand models: letterbox to a square (palm detector) and
#: a rotated square crop around the hand (landmark model).
PRETRAINED_PREPROCESSING = ("letterbox", "rotated-roi-crop")
#: Variants of the MediaPipe hand models (``edge-models fetch hands``), as a bundle's
#: ``detector.variant`` names them (or ``"PALM/LANDMARKS"``, e.g. ``"full/lite"``).
HAND_VARIANTS = ("full", "lite")


class BundleError(ValueError):
    """A bundle is missing, corrupt, or disagrees with itself."""


@dataclass(frozen=True)
class QuantParams:
    """Affine quantisation of a tensor: ``real = scale * (q - zero_point)``.

    ``scale == 0`` means the tensor is not quantised (float).
    """

    scale: float = 0.0
    zero_point: int = 0

    @property
    def quantised(self) -> bool:
        return self.scale != 0.0


@dataclass(frozen=True)
class InputSpec:
    """What the model's input tensor expects.

    Attributes:
        shape: (1, H, W, C), NHWC, batch 1 as stored in the model.
        dtype: ``"float32"``, ``"int8"``, ``"uint8"`` or ``"int16"`` (``--quant int16x8``): the
            tensor's storage type.
        colour_order: ``"grey"`` (C = 1), ``"RGB"`` or ``"BGR"``.
        value_range: (lo, hi) of the *real* values the model was trained on, e.g.
            (0.0, 1.0) for pixel / 255. For quantised inputs the runtime maps these
            real values to integers with ``quant``.
        quant: the input tensor's scale and zero point (scale 0 for float inputs).
    """

    shape: tuple[int, ...]
    dtype: str
    colour_order: str
    value_range: tuple[float, float] = (0.0, 1.0)
    quant: QuantParams = field(default_factory=QuantParams)

    @property
    def is_vector(self) -> bool:
        """True for a feature-vector input (1, F) (``colour_order`` ``"features"``)."""
        return len(self.shape) == 2

    @property
    def height(self) -> int:
        self._need_image("height")
        return int(self.shape[1])

    @property
    def width(self) -> int:
        self._need_image("width")
        return int(self.shape[2])

    @property
    def channels(self) -> int:
        self._need_image("channels")
        return int(self.shape[3])

    def _need_image(self, what: str) -> None:
        if self.is_vector:
            raise ValueError(
                f"input {what} asked of a feature-vector input {self.shape}: this bundle "
                "takes (N, F) features (preprocessing hand-landmarks), not images"
            )

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["shape"] = list(self.shape)
        d["value_range"] = list(self.value_range)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any], where: str = "model.json") -> InputSpec:
        """Read and check an ``input`` section.

        Args:
            d: the section as parsed from JSON.
            where: the file it came from, named in the messages.

        Raises:
            BundleError: a key is missing or malformed, or shape, colour order and channels
                disagree (:mod:`edge.bundle_check` checks each field's type first, with a
                message naming the field).
        """
        try:
            quant = d.get("quant") or {}
            spec = cls(
                shape=tuple(int(v) for v in d["shape"]),
                dtype=str(d["dtype"]),
                colour_order=str(d["colour_order"]),
                value_range=(float(d["value_range"][0]), float(d["value_range"][1])),
                quant=QuantParams(float(quant.get("scale", 0.0)), int(quant.get("zero_point", 0))),
            )
        except (KeyError, TypeError, IndexError, ValueError, AttributeError, OverflowError) as e:
            raise BundleError(
                f"{where}: input is malformed ({e!r}); expected keys "
                "shape, dtype, colour_order, value_range, quant"
            ) from e
        if len(spec.shape) == 2:  # a feature vector (1, F), e.g. hand landmark features
            if spec.colour_order != FEATURES_ORDER or spec.shape[1] < 1:
                raise BundleError(
                    f"{where}: input.shape {list(spec.shape)} is a feature vector: its "
                    f"colour_order must be {FEATURES_ORDER!r} and F >= 1, got "
                    f"{spec.colour_order!r}"
                )
            return spec
        if len(spec.shape) != 4:
            raise BundleError(
                f"{where}: input.shape must be NHWC [1, H, W, C] (4 dims) or a feature vector [1, F], "
                f"got {list(spec.shape)}"
            )
        if spec.colour_order not in COLOUR_ORDERS:
            raise BundleError(
                f"{where}: input.colour_order {spec.colour_order!r} is not one of {COLOUR_ORDERS} "
                "(an image input)"
            )
        want_c = 1 if spec.colour_order == "grey" else 3
        if spec.channels != want_c:
            raise BundleError(
                f"{where}: input.colour_order is {spec.colour_order!r} but input.shape "
                f"{list(spec.shape)} has {spec.channels} channel(s); fix one of them"
            )
        return spec


def check_features(path: Path, spec: InputSpec, task: str, preprocessing: str, meta: dict[str, Any]) -> None:
    """A ``hand-landmarks`` bundle: task hands, input (1, F) and this code's feature version.

    Raises:
        BundleError: the preprocessing and the input disagree, or the features differ from
            :mod:`edge.landmark_features` (version or size).
    """
    if (preprocessing == "hand-landmarks") != spec.is_vector:
        raise BundleError(
            f"{path / 'model.json'}: preprocessing {preprocessing!r} with input shape "
            f"{spec.shape}; a feature-vector input (1, F) goes with preprocessing "
            "'hand-landmarks' and an image input (1, H, W, C) with the others"
        )
    if preprocessing != "hand-landmarks":
        return
    if task != "hands":
        raise BundleError(
            f"{path / 'model.json'}: preprocessing 'hand-landmarks' needs task 'hands', got {task!r}"
        )
    try:
        check_features_version(meta)
    except ValueError as e:
        raise BundleError(f"{path / 'model.json'}: features: {e}") from e
    if int(meta["features"]["size"]) != spec.shape[1]:
        raise BundleError(
            f"{path / 'model.json'}: features.size {meta['features']['size']} but the input is {spec.shape}"
        )
