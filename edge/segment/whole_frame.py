"""The "segmenter" of the generic ``classify`` task: the whole frame, or a centred square.

A user's own image classifier (task ``classify``) looks at one region per frame, as
TFLite's Raspberry Pi image-classification example does: the whole frame (``--roi full``),
or a centred square the user holds the object in (``--roi centre``: side
:data:`CENTRE_FRACTION` of the frame's shorter side; ``--roi 0.4``: another fraction).
"""

from __future__ import annotations

import numpy as np

from edge.types import ROI

#: ``--roi`` names: ``full`` (the whole frame) and ``centre`` (a centred square).
ROI_NAMES = ("full", "centre")
#: Side of the ``centre`` square as a fraction of the frame's shorter side.
CENTRE_FRACTION = 0.6


def parse_roi(spec: str | float | None) -> float | None:
    """``--roi`` as a number: ``None`` for the whole frame, else the centred square's fraction.

    Args:
        spec: ``"full"`` (or ``None``), ``"centre"``/``"center"``, or a fraction in (0, 1]
            of the frame's shorter side (number or string).

    Returns:
        ``None`` (whole frame) or the fraction in (0, 1].

    Raises:
        ValueError: anything else.
    """
    if spec is None or spec == "full":
        return None
    if spec in ("centre", "center"):
        return CENTRE_FRACTION
    try:
        f = float(spec)
    except (TypeError, ValueError):
        f = -1.0
    if not 0.0 < f <= 1.0:
        raise ValueError(
            f"--roi {spec!r} is not full, centre or a fraction in (0, 1] of the frame's shorter side; "
            "e.g. --roi centre or --roi 0.5"
        )
    return f


class WholeFrameSegmenter:
    """One ROI per frame: the whole frame, or a centred square.

    Args:
        roi: see :func:`parse_roi` (``"full"``, ``"centre"`` or a fraction).

    Raises:
        ValueError: a bad ``roi``.
    """

    def __init__(self, roi: str | float | None = "full") -> None:
        self.fraction = parse_roi(roi)

    def region(self, size: tuple[int, int]) -> ROI:
        """The ROI in a frame of (width, height) px."""
        w, h = size
        if self.fraction is None:
            return ROI(0, 0, w, h)
        side = max(1, round(self.fraction * min(w, h)))
        return ROI((w - side) // 2, (h - side) // 2, side, side)

    def find(self, image: np.ndarray) -> list[ROI]:
        """``[ROI]``: the region of a uint8 (H, W, 3) BGR image to classify."""
        h, w = image.shape[:2]
        return [self.region((w, h))]
