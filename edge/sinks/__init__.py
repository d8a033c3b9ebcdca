"""Where the live loop's frames go: one small protocol, one implementation per module.

- :mod:`edge.sinks.base`: :class:`Sink` (``write(frame)``, ``close()``) and
  :class:`LiveFrame`, the frame every sink gets (result, time, FPS, overlay drawn once).
- :mod:`edge.sinks.video`: :class:`VideoSink`, the annotated frames to a video file, through
  :mod:`edge.sinks.video_writer` (a fragmented mp4 with PyAV, or OpenCV's writer).
- :mod:`edge.sinks.image`: :class:`ImageSink`, the annotated frames as image files
  (``--output out.png``).
- :mod:`edge.sinks.jsonl`: :class:`JsonlSink`, one JSON line per frame.
- :mod:`edge.sinks.display`: :class:`DisplaySink`, an OpenCV window, and
  :class:`NullDisplay` for headless runs.
- :mod:`edge.sinks.web`: :class:`~edge.sinks.web.LiveServer`, the live web page
  (imported on demand: it needs aiohttp only when started).

Sinks may import :mod:`edge.types`, :mod:`edge.overlay` and :mod:`edge.pipeline`'s
types; never a stage, :mod:`edge.live` or a CLI.
"""

from edge.sinks.base import LiveFrame, Sink, SinkBase
from edge.sinks.display import DisplaySink, NullDisplay, display_available, gui_backend
from edge.sinks.image import IMAGE_OUTPUT_EXTENSIONS, ImageSink, is_image_path
from edge.sinks.jsonl import JsonlSink
from edge.sinks.video import DEFAULT_FPS, VideoSink

__all__ = [
    "DEFAULT_FPS",
    "IMAGE_OUTPUT_EXTENSIONS",
    "DisplaySink",
    "ImageSink",
    "JsonlSink",
    "LiveFrame",
    "NullDisplay",
    "Sink",
    "SinkBase",
    "VideoSink",
    "display_available",
    "gui_backend",
    "is_image_path",
]
