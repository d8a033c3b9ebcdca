"""The Raspberry Pi camera through picamera2 (libcamera).

``picamera2`` (and with it ``libcamera``) is imported only when this source is
opened, never at package import, so everything else works off a Pi.

Colour order: picamera2 names formats after libcamera/DRM fourccs, which describe
a little-endian *word*, so the bytes in memory come in the opposite order. The
Picamera2 manual (section "Image formats") says ``"RGB888"`` is "24 bits per pixel,
ordered [B, G, R]" and ``"BGR888"`` is ordered [R, G, B]; picamera2's own
``request.Helpers.make_image`` maps ``"RGB888"`` to PIL raw mode ``"BGR"``. So we
ask for ``"RGB888"`` and get arrays in OpenCV's BGR order with no conversion.
Some sensors have had kernel bugs that swap red and blue (e.g. the IMX296 global
shutter camera at times); ``swap_rb=True`` corrects that.

Latest frame: picamera2's event loop keeps at most one completed request and
recycles the others to the camera, and ``capture_array`` takes that one or waits for
the next, so a slow consumer never sees a growing backlog; no extra thread is needed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from edge.sources.base import DEMO_HINT, FrameSource, SourceLost, to_bgr
from edge.types import Frame

log = logging.getLogger(__name__)

PICAMERA_HINT = (
    "the `picamera` source needs picamera2, which runs on a Raspberry Pi only. On Raspberry Pi OS "
    "install it with `sudo apt install python3-picamera2` and create the virtualenv with "
    "`python3 -m venv --system-site-packages .venv` so it can see that package (or try "
    "`pip install .[pi]`, which needs libcamera's Python bindings from the system). "
    "For a USB webcam use `--source 0`; "
) + DEMO_HINT


class PiCameraSource(FrameSource):
    """A Raspberry Pi camera module (CSI) read with picamera2.

    Args:
        camera_num: which camera (0 for the first; a Pi 5 can have two).
        width: frame width in px (default 640).
        height: frame height in px (default 480).
        fps: requested frame rate in frames per second (``FrameRate`` control), or
            ``None`` for the sensor mode's default.
        swap_rb: swap red and blue, for sensors whose driver delivers them swapped.
        timeout_s: seconds :meth:`read` waits for a frame before raising.

    Raises:
        RuntimeError: picamera2/libcamera cannot be imported (not a Pi, or a venv
            without ``--system-site-packages``), no camera is detected, or it cannot
            be configured and started; the message says what to do.
    """

    live = True

    def __init__(
        self,
        camera_num: int = 0,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        swap_rb: bool = False,
        timeout_s: float = 5.0,
    ) -> None:
        self.camera_num = camera_num
        self.name = f"picamera:{camera_num}"
        self.size = (int(width or 640), int(height or 480))
        self.fps = fps
        self.swap_rb = swap_rb
        self.timeout_s = timeout_s
        self._index = 0
        self._closed = False
        self._cam: Any = None
        self._open()

    def _open(self) -> None:
        try:
            from picamera2 import Picamera2  # noqa: PLC0415  (only on a Pi, only here)
        except ImportError as e:
            raise RuntimeError(f"cannot import picamera2 ({e}); {PICAMERA_HINT}") from e
        try:
            cam = Picamera2(self.camera_num)
        except (IndexError, RuntimeError, OSError, ValueError) as e:
            raise RuntimeError(
                f"no Raspberry Pi camera {self.camera_num} found ({e}): check the ribbon cable and that "
                f"`rpicam-hello --list-cameras` lists it; {DEMO_HINT}"
            ) from e
        try:
            controls = {"FrameRate": float(self.fps)} if self.fps else {}
            config = cam.create_preview_configuration(
                main={"size": self.size, "format": "RGB888"}, controls=controls
            )
            cam.configure(config)
            cam.start()
        except Exception as e:  # any libcamera failure: close the camera, report the cause
            cam.close()
            raise RuntimeError(
                f"cannot configure and start Raspberry Pi camera {self.camera_num} "
                f"at {self.size[0]}x{self.size[1]}: {e}"
            ) from e
        self._cam = cam
        log.info("opened %s at %dx%d, format RGB888 (BGR in memory)", self.name, *self.size)

    def read(self) -> Frame | None:
        """The newest frame from the camera.

        Returns:
            A :class:`~edge.types.Frame` (uint8 (H, W, 3) BGR; ``timestamp`` is
            ``time.monotonic()`` seconds at capture; ``index`` counts returned frames).

        Raises:
            SourceLost: picamera2 failed or timed out after frames were delivered (a
                camera cable pulled, a hung driver).
            RuntimeError: the source is closed, or picamera2 failed before the first frame.
        """
        if self._closed:
            raise RuntimeError(f"{self.name} is closed")
        try:
            array = self._cam.capture_array("main", wait=self.timeout_s)
        except Exception as e:  # picamera2 raises TimeoutError, RuntimeError, ...
            cls = SourceLost if self._index else RuntimeError
            raise cls(f"{self.name}: capturing a frame failed: {e}") from e
        t = time.monotonic()
        image = to_bgr(np.asarray(array))  # RGB888 is [B, G, R] in memory; XRGB8888 drops X
        if self.swap_rb:
            image = np.ascontiguousarray(image[:, :, ::-1])
        frame = Frame(image=image, timestamp=t, index=self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        """Stop and close the camera. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._cam is not None:
            try:
                self._cam.stop()
            finally:
                self._cam.close()
