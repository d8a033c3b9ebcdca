"""The shared base of the camera-free synthetic scenes, ``demo`` and ``demo-hands``.

A procedural source renders frame ``index`` as a pure function of ``(seed, index)``.
The scene is cut into segments of ``segment_frames`` frames (a sheet of paper, a
room); everything fixed for one segment is built once from the segment's own random
stream by the subclass's :meth:`ProceduralSource._build_segment` and cached (the
last two segments). Per-frame randomness comes from a stream keyed by the frame
index (:meth:`ProceduralSource._frame_rng`), and the unit sensor-noise bank from a
third stream, so frames can be rendered in any order.

:class:`ProceduralSource` owns what every such scene does alike: the common
arguments and their checks, :meth:`~ProceduralSource.read` with its realtime
pacing, the segment cache, the noise bank and the camera's last steps (sensor
noise and a JPEG round trip, :meth:`~ProceduralSource._sensor`). The module-level
helpers are the image building blocks both scenes draw with. A subclass keeps only
its scene: what a segment holds, how a frame is drawn and what its truth is.
"""

from __future__ import annotations

import abc
import logging
import math
import time
from typing import ClassVar, Generic, Protocol, TypeVar

import cv2
import numpy as np
import numpy.typing as npt

from edge.sources.base import FrameSource
from edge.types import Frame

log = logging.getLogger(__name__)


class _Described(Protocol):
    description: str


SegmentT = TypeVar("SegmentT", bound=_Described)


class ProceduralSource(FrameSource, Generic[SegmentT]):
    """A synthetic scene whose frames are a pure function of ``(seed, index)``.

    Subclasses set :attr:`spec`, :attr:`segment_seconds` and :attr:`streams`, and
    implement :meth:`render` and :meth:`_build_segment`. This base takes and checks
    the arguments every scene has, as the subclasses document them: ``seed``,
    ``width`` and ``height`` (at least 160x120), ``fps`` (> 0), ``num_frames``
    (>= 0 or ``None``), ``segment_frames`` (default ``round(segment_seconds * fps)``,
    at least 1) and ``realtime``; a subclass checks its own arguments after these
    and raises ``ValueError`` for any out of range.
    """

    fps: float  # always known for a procedural scene
    #: the spec word of the source (``"demo"``); its name is ``"<spec>:<seed>"``.
    spec: ClassVar[str]
    #: default segment length in seconds.
    segment_seconds: ClassVar[int]
    #: random-stream tags: (segment, frame, noise bank); each scene has its own.
    streams: ClassVar[tuple[int, int, int]]

    def __init__(
        self,
        seed: int,
        *,
        width: int,
        height: int,
        fps: float,
        num_frames: int | None,
        segment_frames: int | None,
        realtime: bool,
    ) -> None:
        if width < 160 or height < 120:
            raise ValueError(f"demo frames must be at least 160x120, got {width}x{height}")
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        if num_frames is not None and num_frames < 0:
            raise ValueError(f"num_frames must be >= 0 or None, got {num_frames}")
        self.seed = int(seed)
        self.width, self.height = int(width), int(height)
        self.fps = float(fps)
        self.num_frames = num_frames
        self.segment_frames = int(segment_frames or max(1, round(self.segment_seconds * fps)))
        self.realtime = realtime
        self.live = realtime
        self.name = f"{self.spec}:{self.seed}"
        self._next = 0
        self._t0: float | None = None
        self._cache: dict[int, SegmentT] = {}
        self._unit_noise: np.ndarray | None = None
        self._closed = False

    # ---- public --------------------------------------------------------------------

    def read(self) -> Frame | None:
        """The next frame of the scene (see the class docstring), or ``None`` after
        ``num_frames`` frames.

        Raises:
            RuntimeError: the source is closed.
        """
        if self._closed:
            raise RuntimeError(f"{self.name} is closed")
        index = self._next
        if self.realtime:
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now
            due = int((now - self._t0) * self.fps)  # the frame a camera would show now
            if due < index:
                time.sleep(max(0.0, self._t0 + index / self.fps - now))
            else:
                index = due
        if self.num_frames is not None and index >= self.num_frames:
            return None
        self._next = index + 1
        return self.render(index)

    @abc.abstractmethod
    def render(self, index: int) -> Frame:
        """Render scene frame ``index`` (any order; the same index gives the same frame)."""

    def describe(self, index: int) -> str:
        """A one-line description of the segment (the sheet, the room) shown in frame
        ``index`` (for logs)."""
        return self._position(index)[0].description

    def close(self) -> None:
        """Drop cached images; further reads raise. Idempotent."""
        self._closed = True
        self._cache.clear()

    # ---- segments, random streams, the camera -----------------------------------------

    @property
    def _seed_word(self) -> int:
        return self.seed & 0xFFFFFFFFFFFFFFFF

    def _frame_rng(self, index: int) -> np.random.Generator:
        """The random stream of frame ``index`` (noise offset and other per-frame draws)."""
        return np.random.default_rng([self._seed_word, self.streams[1], index])

    def _position(self, index: int) -> tuple[SegmentT, int]:
        """The segment that frame ``index`` belongs to and the frame's place in it.

        Raises:
            ValueError: ``index < 0``.
        """
        if index < 0:
            raise ValueError(f"frame index must be >= 0, got {index}")
        seg_i, tau = divmod(index, self.segment_frames)
        return self._segment(seg_i), tau

    def _segment(self, seg_i: int) -> SegmentT:
        seg = self._cache.get(seg_i)
        if seg is None:
            t = time.perf_counter()
            seg = self._build_segment(np.random.default_rng([self._seed_word, self.streams[0], seg_i]))
            log.debug(
                "%s: segment %d built in %.1f ms: %s",
                self.name,
                seg_i,
                (time.perf_counter() - t) * 1e3,
                seg.description,
            )
            if len(self._cache) >= 2:
                self._cache.pop(min(self._cache))
            self._cache[seg_i] = seg
        return seg

    @abc.abstractmethod
    def _build_segment(self, rng: np.random.Generator) -> SegmentT:
        """Everything fixed for one segment, drawn from ``rng`` alone."""

    def _noise_bank(self) -> np.ndarray:
        """float32 (2H, W, 3) unit Gaussian noise, the same for every segment."""
        if self._unit_noise is None:
            rng = np.random.default_rng([self._seed_word, self.streams[2]])
            self._unit_noise = rng.standard_normal((2 * self.height, self.width, 3), dtype=np.float32)
        return self._unit_noise

    def _sensor_noise(self, sigma: float) -> np.ndarray:
        """int16 (2H, W, 3) sensor-noise bank of standard deviation ``sigma`` grey levels."""
        return np.clip(self._noise_bank() * sigma, -127, 127).astype(np.int16)

    def _sensor(
        self, img: np.ndarray, noise: np.ndarray, jpeg_quality: int | None, rng: np.random.Generator
    ) -> np.ndarray:
        """The camera's last steps: add H rows of ``noise`` (from :meth:`_sensor_noise`)
        at a random offset, then a JPEG round trip at ``jpeg_quality`` (``None``: none).

        Returns:
            uint8 (H, W, 3) C-contiguous BGR.
        """
        dy = int(rng.integers(0, self.height))
        img = cv2.add(img, noise[dy : dy + self.height], dtype=cv2.CV_8U)
        if jpeg_quality is not None:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
            if decoded is not None:
                img = decoded
        return np.ascontiguousarray(img)


# --------------------------------------------------------------------------------------
# Image building blocks
# --------------------------------------------------------------------------------------


def pick(rng: np.random.Generator, table: dict) -> str:
    """A random key of ``table``, weighted by its value (or the value's last item when the
    value is a tuple such as ``(colour, probability)``)."""
    names = list(table)
    p = np.array([table[n][-1] if isinstance(table[n], tuple) else table[n] for n in names], float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """float32 (H, W) smooth noise, about unit standard deviation, features ~``cell`` px."""
    h, w = shape
    small = rng.standard_normal((max(2, h // cell + 2), max(2, w // cell + 2))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def soft_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``sigma`` px (webcam softness, defocus); ``img`` itself below 0.3 px."""
    if sigma < 0.3:
        return img
    k = 2 * math.ceil(2 * sigma) + 1  # +-2 sigma is enough here and faster than OpenCV's +-3
    return cv2.GaussianBlur(img, (k, k), sigma)


def colour_tint(rng: np.random.Generator, warmth_sd: float) -> np.ndarray:
    """float32 (3,) BGR gain of a colour cast: warmer or cooler, a trace of green."""
    warmth = rng.normal(0, warmth_sd)
    return np.array([1 - warmth, 1.0 + rng.normal(0, 0.02), 1 + warmth], np.float32)


def light_grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The coarse grid a light map is computed on (1/8 of the frame, at least 2x2).

    Returns:
        ``(xx, yy, aspect)``: float32 (gh, gw) coordinates, ``yy`` in [-1, 1] down the
        frame and ``xx`` in [-aspect, aspect] across it, ``aspect = width / height``.
    """
    gh, gw = max(2, height // 8), max(2, width // 8)
    aspect = width / height
    yy, xx = np.mgrid[-1 : 1 : complex(0, gh), -aspect : aspect : complex(0, gw)].astype(np.float32)
    return xx, yy, aspect


def light_gain(
    xx: np.ndarray,
    yy: np.ndarray,
    aspect: float,
    level: float,
    gradient: float,
    direction: tuple[float, float] | np.ndarray,
    vignette: float,
) -> np.ndarray:
    """Exposure ``level`` with a linear fall-off of strength ``gradient`` towards
    ``direction`` (a unit vector, frame axes) and radial ``vignette``, on the grid of
    :func:`light_grid`; float32 (gh, gw)."""
    gain = level * (1 + gradient * 0.5 * (direction[0] * xx + direction[1] * yy) / aspect)
    gain *= 1 - vignette * (xx * xx + yy * yy) / (1 + aspect * aspect)
    return gain


def gain_map(gain: np.ndarray, width: int, height: int) -> np.ndarray:
    """A coarse float (gh, gw, 3) BGR gain as a uint8 (height, width, 3) map with 128 = 1.0,
    for ``cv2.multiply(img, map, scale=1 / 128)``."""
    small = np.clip(gain * 128.0, 0, 255).astype(np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def jitter_colour(rng: np.random.Generator, colour: tuple[int, int, int], sd: float) -> np.ndarray:
    """float32 (3,) ``colour`` (BGR) plus Gaussian noise of ``sd`` per channel, clipped to 0..255."""
    return np.clip(np.array(colour, np.float32) + rng.normal(0, sd, 3).astype(np.float32), 0, 255)


def cv_colour(colour: np.ndarray | tuple[float, ...], k: float = 1.0) -> tuple[float, float, float]:
    """A BGR colour scaled by ``k`` as the float tuple OpenCV's drawing calls take."""
    return tuple(float(min(255.0, max(0.0, v * k))) for v in colour)  # type: ignore[return-value]


def fixed_point(pts: npt.ArrayLike) -> np.ndarray:
    """float px (..., 2) -> int32 in 1/16 px for drawing with ``shift=4``."""
    return np.round(np.asarray(pts) * 16.0).astype(np.int32)


def fixed_point_xy(p: npt.ArrayLike) -> tuple[int, int]:
    """One float px point (x, y) as the int (x, y) in 1/16 px that ``cv2.line`` takes with ``shift=4``."""
    x, y = fixed_point(p)
    return int(x), int(y)
