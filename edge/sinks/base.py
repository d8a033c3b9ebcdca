"""The one protocol every output of the live loop implements, and the frame it receives.

:func:`edge.live.run` hands each processed frame to every sink as a :class:`LiveFrame`
(the pipeline's :class:`~edge.pipeline.FrameResult`, its time, the loop's FPS and stage
times) and closes every sink when the run ends, however it ends. The overlay is drawn
once per frame, by :meth:`LiveFrame.overlay`, for every sink that wants it; the JSON
Lines record is built once, by :attr:`LiveFrame.record`.

Imports :mod:`edge.overlay`, :mod:`edge.types` and (for type hints) :mod:`edge.pipeline`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from edge.overlay import draw_overlay
from edge.types import NO_GESTURE_LABELS

if TYPE_CHECKING:
    from edge.pipeline import FrameResult


class LiveFrame:
    """One processed frame, as the live loop hands it to every sink.

    Attributes:
        result: the pipeline's result (``result.frame.image`` is uint8 (H, W, 3) BGR).
        t: seconds since the run's first frame (the JSON Lines ``t``); ``None``: the
            frame's own timestamp.
        fps: the loop's current frames per second (0 before two frames).
        timings_ms: per-stage milliseconds shown with the frame (the loop's running
            average), a copy owned by this frame.
        status: an extra word for the overlay's HUD (e.g. ``"PAUSED"``), or ``None``.

    Sinks must not modify the arrays they are given: the overlay is shared.
    """

    __slots__ = ("_lock", "_overlay", "_record", "fps", "result", "status", "t", "timings_ms")

    def __init__(
        self,
        result: FrameResult,
        *,
        t: float | None = None,
        fps: float | None = None,
        timings_ms: Mapping[str, float] | None = None,
        status: str | None = None,
    ) -> None:
        self.result = result
        self.t = t
        self.fps = fps
        self.timings_ms = dict(timings_ms or {})
        self.status = status
        self._overlay: np.ndarray | None = None
        self._record: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def record(self) -> dict[str, Any]:
        """The frame's JSON Lines record (:meth:`edge.pipeline.FrameResult.as_json` at :attr:`t`),
        built once and shared by every sink (``--jsonl`` and the web view's ``/predictions``)."""
        if self._record is None:
            self._record = self.result.as_json(self.t)
        return self._record

    def overlay(self) -> np.ndarray:
        """The annotated frame: uint8 (H, W, 3) BGR with boxes, ``label score%``, hand
        landmarks (also, greyed, of hands classified ``none``), the numbers, FPS and stage
        times (:func:`edge.overlay.draw_overlay`, no-gesture labels muted). Drawn on the
        first call only, from whichever thread asks first (the loop, or the web view's
        encoder thread); later calls return the same array.
        """
        with self._lock:
            if self._overlay is None:
                r = self.result
                shown = {id(d.roi) for d in r.detections}
                hands = [d.roi for d in r.raw if d.roi.landmarks is not None and id(d.roi) not in shown]
                self._overlay = draw_overlay(
                    r.frame.image,
                    r.detections,
                    r.numbers,
                    fps=self.fps,
                    timings_ms=self.timings_ms or None,
                    status=self.status,
                    no_gesture_labels=NO_GESTURE_LABELS,
                    hands=hands,
                    top=r.top,
                )
            return self._overlay

    @property
    def drawn(self) -> bool:
        """Whether :meth:`overlay` has been drawn already."""
        return self._overlay is not None


@runtime_checkable
class Sink(Protocol):
    """An output of the live loop: a video file, JSON Lines, a window, the web view.

    ``write`` gets every processed frame in order, on the loop's thread, with
    SIGINT/SIGTERM held back (so a frame reaches every sink or none); it should return
    quickly (the web view only stores a reference). ``close`` finalises the output and
    must be idempotent: the loop calls it once at the end, the code that made the sink
    may call it again.
    """

    def write(self, frame: LiveFrame) -> None:
        """Take one processed frame."""

    def close(self) -> None:
        """Finalise the output (idempotent)."""


class SinkBase:
    """A sink that is also a context manager (``with VideoSink(...) as v:``)."""

    def write(self, frame: LiveFrame) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - overridden
        pass

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
