"""Small immutable value types passed between pipeline stages.

Modelled on pycoral's ``Class`` and ``BBox``: plain frozen dataclasses that know
nothing about the stages that make or consume them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: Class labels that mean "nothing recognised" (the hands models' no-gesture class):
#: the pipeline hides them, the overlay draws them muted, evaluations count them as
#: no detection.
NO_GESTURE_LABELS: tuple[str, ...] = ("none",)


@dataclass(frozen=True)
class Frame:
    """One camera or file frame.

    Attributes:
        image: uint8 (H, W, 3) array in BGR order (OpenCV's order), values 0..255.
        timestamp: seconds, from ``time.monotonic()`` for live sources or the
            position in the file for videos.
        index: 0-based frame number within the source.
        truth: optional ground truth for synthetic sources: a tuple of
            ``(label, ROI)`` pairs, one per object in the frame.
    """

    image: np.ndarray
    timestamp: float
    index: int = 0
    truth: tuple[tuple[str, ROI], ...] | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        h, w = self.image.shape[:2]
        return w, h


@dataclass(frozen=True, order=True)
class ROI:
    """An axis-aligned region of interest in pixel coordinates.

    ``x``, ``y`` is the top-left corner; ``w``, ``h`` the width and height (px).
    The optional fields carry what a finder knows beyond the box, so later stages
    never read it from the finder on the side; they take no part in equality,
    ordering or hashing:

    Attributes:
        mask: uint8 (h, w) foreground mask over the box (255 = object), or None.
        angle: in-plane rotation of the object in degrees, counter-clockwise, 0 =
            upright (for hands: wrist below the middle finger's base; for digits: the page's
            writing, :func:`edge.segment.writing_angle.tilt_rois`).
        landmarks: float32 (K, 3) keypoints in frame pixels (x, y) and a relative
            depth z in the same pixel scale (for hands: MediaPipe's 21 hand
            landmarks), or None.
        handedness: ``"Left"`` or ``"Right"`` (the person's hand) or None.
        score: the finder's confidence in [0, 1] (for hands: the landmark model's
            hand presence), or None.
        whole: for a digit the finder cut out of a wider piece of ink (digits joined into
            one piece: :mod:`edge.segment.joined_digits`), that piece's box (frame px; the
            same object on each of its parts), which the pipeline reads too and keeps
            instead of the parts when the model is not surer of every part
            (:func:`edge.roi_reading.choose_cuts`); else None.
        side: for a part cut out of ``whole`` along a path rather than a column
            (:mod:`edge.segment.cut_path`), float32 (2, whole.h): per frame row of ``whole``
            (``whole.y + i``) the first frame column of the part's side of the path and the one
            after its last (-inf / inf where that side is open); its ink is read from there
            (:mod:`edge.preprocess.cut_ink`); else None.
    """

    x: int
    y: int
    w: int
    h: int
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)
    angle: float = field(default=0.0, compare=False)
    landmarks: np.ndarray | None = field(default=None, compare=False, repr=False)
    handedness: str | None = field(default=None, compare=False)
    score: float | None = field(default=None, compare=False)
    whole: ROI | None = field(default=None, compare=False, repr=False)
    side: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.w < 0 or self.h < 0:
            raise ValueError(f"ROI width and height must be >= 0, got w={self.w}, h={self.h}")

    @property
    def area(self) -> int:
        """Area in px²."""
        return self.w * self.h

    @property
    def center(self) -> tuple[float, float]:
        """(cx, cy) in pixels."""
        return self.x + self.w / 2.0, self.y + self.h / 2.0

    def as_list(self) -> list[int]:
        """``[x, y, w, h]`` as plain ints (for JSON)."""
        return [int(self.x), int(self.y), int(self.w), int(self.h)]

    def intersect(self, other: ROI) -> ROI:
        """The overlap of two ROIs (zero-sized where they do not overlap)."""
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1 = min(self.x + self.w, other.x + other.w)
        y1 = min(self.y + self.h, other.y + other.h)
        return ROI(x0, y0, max(0, x1 - x0), max(0, y1 - y0))

    def iou(self, other: ROI) -> float:
        """Intersection over union in [0, 1]."""
        inter = self.intersect(other).area
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def pad(self, frac: float, bounds: tuple[int, int] | None = None) -> ROI:
        """Grow by ``frac`` of the longer side on every edge, clipped to ``bounds``.

        Args:
            frac: margin as a fraction of ``max(w, h)``; may be negative to shrink.
            bounds: optional ``(width, height)`` of the image to clip to.
        """
        m = int(round(frac * max(self.w, self.h)))
        x0, y0, x1, y1 = self.x - m, self.y - m, self.x + self.w + m, self.y + self.h + m
        if bounds is not None:
            x0, y0 = max(0, x0), max(0, y0)
            x1, y1 = min(bounds[0], x1), min(bounds[1], y1)
        return ROI(x0, y0, max(0, x1 - x0), max(0, y1 - y0))

    def scale(self, sx: float, sy: float | None = None) -> ROI:
        """Scale coordinates (e.g. from a downscaled analysis image back to the frame)."""
        sy = sx if sy is None else sy
        return ROI(
            int(round(self.x * sx)),
            int(round(self.y * sy)),
            int(round(self.w * sx)),
            int(round(self.h * sy)),
        )


@dataclass(frozen=True)
class Prediction:
    """A classifier's answer for one ROI.

    Attributes:
        index: output index of the top class.
        label: its label from the bundle's ``labels.txt``.
        score: its probability in [0, 1].
        scores: float32 (num_classes,) probabilities, dequantised, in label order.
    """

    index: int
    label: str
    score: float
    scores: np.ndarray = field(repr=False, compare=False)

    def top(self, labels: Sequence[str], k: int) -> list[tuple[str, float]]:
        """The ``k`` best (label, score) pairs from :attr:`scores`, best first (ties: lower index).

        Args:
            labels: the class labels in output-index order (``len(labels)`` = classes).
            k: pairs wanted (fewer when there are fewer classes).
        """
        s = np.asarray(self.scores, np.float32).reshape(-1)
        return [(str(labels[i]), float(s[i])) for i in np.argsort(-s, kind="stable")[: max(0, k)]]


@dataclass(frozen=True)
class Detection:
    """A located and classified object: where it is and what it is."""

    roi: ROI
    prediction: Prediction

    def as_json(self) -> dict:
        """``{"box": [x, y, w, h], "label": str, "score": float}``, JSON-ready; for a hand
        found with its landmarks also ``"landmarks"``: 21 x ``[x, y, z]`` in frame pixels
        (z: depth relative to the wrist in the same pixel scale, < 0 nearer the camera),
        rounded to 0.1, and ``"handedness"``: ``"Left"`` or ``"Right"``."""
        rec: dict = {
            "box": self.roi.as_list(),
            "label": self.prediction.label,
            "score": round(float(self.prediction.score), 4),
        }
        if self.roi.landmarks is not None:
            rec["landmarks"] = [[round(float(v), 1) + 0.0 for v in p] for p in np.asarray(self.roi.landmarks)]
        if self.roi.handedness is not None:
            rec["handedness"] = self.roi.handedness
        return rec


def check_image(image: object) -> None:
    """Refuse a frame image the stages cannot take (they expect what the sources make).

    Raises:
        ValueError: not a uint8 (H, W, 3) BGR array with H, W >= 1; the message names the fix.
    """
    if isinstance(image, np.ndarray):
        if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 and min(image.shape[:2]) >= 1:
            return
        got = f"{image.dtype} {image.shape}"
    else:
        got = type(image).__name__
    raise ValueError(
        f"a frame image must be uint8 (H, W, 3) BGR with H, W >= 1, got {got}: convert it with "
        "edge.sources.to_bgr (grey, BGRA and 16-bit images) as every frame source does"
    )
