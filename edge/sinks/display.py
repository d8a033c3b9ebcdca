"""A window showing the annotated frames (:class:`DisplaySink`), and its headless stand-in
(:class:`NullDisplay`, like picamera2's null preview).

A window needs an OpenCV build with a GUI and, on Linux, a display server:
:func:`display_available` says whether one can be opened, without touching the GUI.
"""

from __future__ import annotations

import logging
import os
import sys

import cv2
import numpy as np

from edge.sinks.base import LiveFrame, SinkBase

log = logging.getLogger(__name__)

#: Key code :meth:`DisplaySink.show` returns when no key was pressed.
NO_KEY = -1


def gui_backend() -> str:
    """OpenCV's HighGUI backend from ``cv2.getBuildInformation()``: e.g. ``"QT5"``, ``"GTK3"``,
    ``"WIN32UI"``, ``"COCOA"``, or ``"NONE"`` (opencv-python-headless)."""
    for line in cv2.getBuildInformation().splitlines():
        s = line.strip()
        if s.startswith("GUI:"):
            return s.split(":", 1)[1].strip() or "NONE"
    return "NONE"


def display_available() -> tuple[bool, str]:
    """Whether a window can be opened here, and why not.

    A window needs an OpenCV build with a GUI backend (opencv-python, not
    opencv-python-headless) and, on Linux, a display server: ``DISPLAY`` (X11), or
    ``WAYLAND_DISPLAY`` for GTK builds (OpenCV's Qt wheels use X11 unless
    ``QT_QPA_PLATFORM`` says otherwise). Checked without touching the GUI, since Qt
    aborts the whole process when it cannot connect to a display.

    Returns:
        ``(True, "")`` or ``(False, reason)``.
    """
    gui = gui_backend()
    if gui.upper() in ("NONE", "NO", ""):
        return False, (
            "this OpenCV has no GUI support (opencv-python-headless?); install opencv-python for a window"
        )
    if sys.platform.startswith("linux"):
        x11 = bool(os.environ.get("DISPLAY"))
        wayland = bool(os.environ.get("WAYLAND_DISPLAY"))
        if gui.upper().startswith("QT") and not x11 and not os.environ.get("QT_QPA_PLATFORM"):
            return False, (
                "no X11 display (DISPLAY is not set); OpenCV's Qt window needs one"
                + (" (under Wayland, enable XWayland)" if wayland else "")
            )
        if not (x11 or wayland):
            return False, "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    return True, ""


class NullDisplay(SinkBase):
    """Headless stand-in for :class:`DisplaySink`: shows nothing, no key is ever pressed."""

    closed = False
    last_key = NO_KEY

    def write(self, frame: LiveFrame) -> None:
        """Ignore ``frame``."""

    def show(self, image: np.ndarray, wait_ms: int = 1) -> int:
        """Ignore ``image``; return :data:`NO_KEY`."""
        return NO_KEY

    def close(self) -> None:
        pass


class DisplaySink(SinkBase):
    """An OpenCV window (``cv2.imshow``) that returns the key pressed.

    Args:
        title: window title.

    Raises:
        RuntimeError: no display is available (see :func:`display_available`).
    """

    def __init__(self, title: str = "edge") -> None:
        ok, why = display_available()
        if not ok:
            raise RuntimeError(f"cannot open a window: {why}; run with --headless")
        self.title = title
        self.closed = False
        #: The key pressed while the last frame was shown (:data:`NO_KEY`: none).
        self.last_key = NO_KEY
        self._created = False

    def write(self, frame: LiveFrame) -> None:
        """Show the frame's overlay and note the key pressed within 1 ms in :attr:`last_key`.

        Raises:
            RuntimeError: the window cannot be shown.
        """
        self.last_key = self.show(frame.overlay(), wait_ms=1)

    def show(self, image: np.ndarray, wait_ms: int = 1) -> int:
        """Show a uint8 (H, W, 3) BGR image and wait up to ``wait_ms`` ms for a key.

        Returns:
            The key code (``& 0xFF``), or -1 if none. Sets :attr:`closed` when the
            user closed the window.
        """
        try:
            if not self._created:
                cv2.namedWindow(self.title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)
                cv2.resizeWindow(self.title, int(image.shape[1]), int(image.shape[0]))
                self._created = True
            cv2.imshow(self.title, image)
            key = cv2.waitKey(max(1, int(wait_ms)))
            if cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
                self.closed = True
        except cv2.error as e:
            raise RuntimeError(f"cannot show the window: {e}; run with --headless") from e
        return NO_KEY if key < 0 else key & 0xFF

    def close(self) -> None:
        if self._created:
            try:
                cv2.destroyWindow(self.title)
                cv2.waitKey(1)
            except cv2.error:
                log.debug("destroyWindow failed", exc_info=True)
            self._created = False
