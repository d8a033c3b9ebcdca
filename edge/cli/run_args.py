"""``edge-run``'s (and ``edge-serve``'s) options: :class:`RunConfig` and the argument parser.

Opening the source, the sinks and the web view and running the loop is :mod:`edge.cli.run`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from edge.cli.common import (
    HelpFormatter,
    add_polarity_arg,
    add_views_arg,
    hostport_arg,
    non_negative_int,
    positive_float,
    positive_int,
    unit_float,
)
from edge.cli.window import KEYS_HELP
from edge.live import DEFAULT_HAND_SEGMENTER, DEFAULT_SOURCE, HAND_SEGMENTERS
from edge.runtime import RUNTIMES
from edge.segment.whole_frame import parse_roi
from edge.sinks.web import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_VIEWERS, DEFAULT_STREAM_FPS, TOKEN_ENV


@dataclass(frozen=True)
class RunConfig:
    """Resolved ``edge-run`` options (see ``edge-run --help``).

    ``display`` is ``True`` (a window, error if impossible), ``False`` (headless) or
    ``None`` (a window when a display is available). ``source`` ``None`` is
    :data:`DEFAULT_SOURCE`; ``segmenter`` ``None`` is :data:`DEFAULT_HAND_SEGMENTER`
    for a hands model (and must stay ``None`` for a digits model). ``serve`` is the
    web view's ``(host, port)`` or ``None`` (no web view); ``token`` ``None`` means
    ``$EDGE_TOKEN``, or, on a non-loopback host, a random one. ``realtime`` ``None``
    paces the demo scenes only when serving.
    """

    model: str = "digits"
    source: str | None = None
    segmenter: str | None = None
    max_hands: int = 1
    roi: str = "full"
    top_k: int | None = None
    threads: int | None = None
    runtime: str = "auto"
    smoothing: bool = True
    min_score: float | None = None
    snapshot_dir: str = "snapshots"
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    display: bool | None = None
    output: str | None = None
    jsonl: str | None = None
    max_frames: int | None = None
    loop: bool = False
    verbose: bool = False
    serve: tuple[str, int] | None = None
    token: str | None = None
    stream_fps: float = DEFAULT_STREAM_FPS
    max_viewers: int = DEFAULT_MAX_VIEWERS
    max_connections: int | None = None
    realtime: bool | None = None
    polarity: str | None = None
    views: bool = True
    reconnect: int = 0
    skip_unreadable: bool = True
    max_image_pixels: int | None = None
    segment: float | None = None


def _roi_arg(text: str) -> str:
    """``--roi``: checked by :func:`edge.segment.whole_frame.parse_roi`, kept as typed."""
    try:
        parse_roi(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e
    return text


def build_parser(prog: str = "edge-run", serve_default: str | None = None) -> argparse.ArgumentParser:
    """The ``edge-run`` parser; ``edge-serve`` passes its name and a default ``--serve`` address
    (and then runs headless unless ``--display`` is given)."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Recognise handwritten digits or rock/paper/scissors hands live, or run your "
        "own image classifier (task classify) on the whole frame: boxes, what was read, "
        "confidence and FPS.",
        epilog=KEYS_HELP + ". Ctrl-C stops and finalises the outputs.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "--model",
        default="digits",
        help="bundle folder, its model.tflite, or a shipped name (digits, hands: landmarks, "
        "hands-lenet: small CNN on hand crops); its task and preprocessing pick the pipeline",
    )
    p.add_argument(
        "source_arg",
        nargs="?",
        default=None,
        metavar="SOURCE",
        help="the same as --source (e.g. edge-run photo.jpg --output out.png)",
    )
    p.add_argument(
        "--source",
        default=None,
        help="0 / webcam:N (camera), picamera, a video or image file, an image folder, "
        "rtsp:// or http:// stream, or a built-in scene needing no camera: demo (digits), "
        f"demo-hands (rock/paper/scissors); default: {DEFAULT_SOURCE} (the first webcam)",
    )
    p.add_argument(
        "--segmenter",
        choices=HAND_SEGMENTERS,
        default=None,
        help="hands-lenet (small CNN): how the hand is found: skin (skin colour model), "
        "skin-hsv, background (subtraction; keep the hand out of the first frames), chroma "
        f"(green screen); default: {DEFAULT_HAND_SEGMENTER}. Not for --model hands (landmarks)",
    )
    p.add_argument(
        "--max-hands",
        type=positive_int,
        default=1,
        help="--model hands: most hands per frame (while fewer are tracked, the palm "
        "detector runs on every frame)",
    )
    p.add_argument(
        "--roi",
        type=_roi_arg,
        default="full",
        help="classify models (your own classifier): what is classified: full (the whole frame), "
        "centre (a centred square, 0.6 of the shorter side) or a fraction F in (0, 1] (a centred "
        "square of that side)",
    )
    p.add_argument(
        "--top-k",
        type=positive_int,
        default=None,
        help="classify models: labels listed with their scores, best first (default 3)",
    )
    add_polarity_arg(p)
    add_views_arg(p, "an image file or a folder of photos")
    p.add_argument("--threads", type=positive_int, help="interpreter CPU threads")
    p.add_argument("--runtime", choices=RUNTIMES, default="auto", help="TFLite runtime")
    p.add_argument(
        "--no-smoothing",
        dest="smoothing",
        action="store_false",
        help="show each frame's raw predictions (no temporal vote)",
    )
    p.add_argument(
        "--min-score",
        type=unit_float,
        default=None,
        help="hide detections with a (smoothed) score below this; default: the "
        "bundle's calibrated min_score (model.json), else 0",
    )
    p.add_argument("--snapshot-dir", default="snapshots", help="where the s key saves PNGs")
    p.add_argument("--width", type=positive_int, help="requested capture width (px)")
    p.add_argument("--height", type=positive_int, help="requested capture height (px)")
    p.add_argument("--fps", type=positive_float, help="requested capture rate (frames/s)")
    disp = p.add_mutually_exclusive_group()
    disp.add_argument(
        "--display",
        dest="display",
        action="store_const",
        const=True,
        help="show a window (error if there is no display); default: a window when a display is available",
    )
    disp.add_argument("--headless", dest="display", action="store_const", const=False, help="no window")
    p.add_argument(
        "--output",
        metavar="FILE",
        help="write the annotated frames: a video, or images (.png, .jpg ...: the first frame to "
        "FILE, each further one beside it as NAME-<photo name or frame index>.png). A .mp4/.mov/.m4v "
        "is a fragmented mp4 (H.264, PyAV) that plays up to about its last second even after SIGKILL "
        "or a power cut (without PyAV: OpenCV's writer, playable only after a clean stop); .mkv and "
        ".avi use OpenCV's writer and play up to about their last second too",
    )
    p.add_argument(
        "--segment-seconds",
        metavar="SECONDS",
        type=positive_float,
        default=None,
        help="write a video --output in files of SECONDS each (run-0000.mp4, run-0001.mp4 ...), each "
        "complete when the next starts: a kill or power cut loses at most the last SECONDS",
    )
    p.add_argument(
        "--jsonl",
        metavar="FILE",
        help="write one JSON line per frame (frame, t, detections, number); - = stdout",
    )
    p.add_argument("--max-frames", type=positive_int, help="stop after N frames")
    p.add_argument("--loop", action="store_true", help="restart video files and folders at the end")
    p.add_argument(
        "--reconnect",
        metavar="N",
        type=non_negative_int,
        default=0,
        help="cameras and streams: when the source is lost (unplugged, network dropped or "
        "stalled), open it again up to N times in a row, waiting 1, 2, 4 ... s (at most 30 s); "
        "0: exit with status 3 at once",
    )
    p.add_argument(
        "--skip-unreadable",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="image folders: skip an image that cannot be read (one warning each, counted in "
        "the summary) instead of stopping; the run fails only when no image can be read (default: on)",
    )
    p.add_argument(
        "--max-image-pixels",
        metavar="N",
        type=positive_int,
        default=None,
        help="refuse image files over N pixels (width x height) before decoding them; "
        "default: $EDGE_MAX_IMAGE_PIXELS, else 50000000",
    )
    p.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="demo scenes: pace frames to --fps (default 30) like a camera instead of "
        "running flat out; default: on with --serve, off otherwise",
    )
    web = p.add_argument_group("web view (see edge.sinks.web)")
    web.add_argument(
        "--serve",
        metavar="[HOST:]PORT",
        type=hostport_arg,
        default=hostport_arg(serve_default) if serve_default else None,
        help="also serve a live web page (stream, reading, FPS, stage times) on "
        "HOST:PORT; PORT alone binds 127.0.0.1 (this machine only: use an SSH tunnel); "
        "0.0.0.0:PORT serves every interface and needs a token"
        + (f" (default: {serve_default})" if serve_default else ""),
    )
    web.add_argument(
        "--token",
        default=None,
        help=f"token every web request must carry (?token=, 'Authorization: Bearer' or "
        f"X-Edge-Token); default: ${TOKEN_ENV}, or on a non-loopback host a random one, printed",
    )
    web.add_argument(
        "--stream-fps",
        type=positive_float,
        default=DEFAULT_STREAM_FPS,
        help="upper bound of the web stream's frame rate (frames/s)",
    )
    web.add_argument(
        "--max-viewers",
        type=positive_int,
        default=DEFAULT_MAX_VIEWERS,
        help="streaming connections served at once (a page uses two)",
    )
    web.add_argument(
        "--max-connections",
        type=positive_int,
        default=None,
        help=f"TCP connections held at once, idle ones too (the one idle longest makes room for a new "
        f"one); default: {DEFAULT_MAX_CONNECTIONS} or 4 per viewer, whichever is more, within the "
        "open-file limit (ulimit -n)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    if serve_default:
        p.set_defaults(display=False)
    return p


def parse_args(
    argv: list[str] | None = None, *, prog: str = "edge-run", serve_default: str | None = None
) -> RunConfig:
    """Parse ``edge-run`` (or, with ``serve_default``, ``edge-serve``) arguments."""
    parser = build_parser(prog, serve_default)
    a = parser.parse_args(argv)
    if a.source_arg is not None and a.source is not None and a.source_arg != a.source:
        parser.error(f"two sources given: {a.source_arg!r} and --source {a.source!r}; give one")
    return RunConfig(
        model=a.model,
        source=a.source if a.source is not None else a.source_arg,
        segmenter=a.segmenter,
        max_hands=a.max_hands,
        roi=a.roi,
        top_k=a.top_k,
        threads=a.threads,
        runtime=a.runtime,
        smoothing=a.smoothing,
        min_score=a.min_score,
        snapshot_dir=a.snapshot_dir,
        width=a.width,
        height=a.height,
        fps=a.fps,
        display=a.display,
        output=a.output,
        jsonl=a.jsonl,
        max_frames=a.max_frames,
        loop=a.loop,
        verbose=a.verbose,
        serve=a.serve,
        token=a.token,
        stream_fps=a.stream_fps,
        max_viewers=a.max_viewers,
        max_connections=a.max_connections,
        realtime=a.realtime,
        polarity=a.polarity,
        views=a.views == "on",
        reconnect=a.reconnect,
        skip_unreadable=a.skip_unreadable,
        max_image_pixels=a.max_image_pixels,
        segment=a.segment_seconds,
    )
