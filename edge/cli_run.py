"""``edge-run``: read digits or rock/paper/scissors hands live from a camera, a file or a demo scene.

Examples::

    edge-run                                   # first webcam, window, shipped digits model
    edge-run --source demo --headless --max-frames 300
    edge-run --model hands --source demo-hands --headless --max-frames 300
    edge-run --model hands --segmenter background        # webcam, background subtraction
    edge-run --source clip.mp4 --headless --output annotated.mp4 --jsonl preds.jsonl
    edge-run --source demo --headless --serve 8080     # watch at http://127.0.0.1:8080/

The model's task (``model.json``) picks the pipeline: digits are found by the digit
segmenter, hands by the hand segmenter ``--segmenter`` names. Without ``--source`` the
first webcam is opened for either task (the demo scenes are never a silent fallback).

The window shows boxes, ``label score%``, the number(s) read, FPS and per-stage
milliseconds. Keys: ``q``/Esc quit, space/``p`` pause, ``s`` save a PNG snapshot of
the annotated frame. Without a display (no ``DISPLAY``/``WAYLAND_DISPLAY`` on Linux,
or an OpenCV without GUI) the run is headless. Ctrl-C or the end of a file stops the
run and finalises the outputs: the JSON Lines file is flushed line by line and the
video writer is released, so both are complete and playable. At the end it prints
FPS, median per-stage milliseconds and, for the demo scenes, the share of digits or
gestures read correctly against the ground truth and, where the scene shows nothing
(no hand), the share of those frames on which nothing was shown.

``--serve [HOST:]PORT`` (and ``edge-serve``, the same run with ``--serve
127.0.0.1:8080`` and no window by default) also serves a live web page of the
annotated stream, the reading, FPS and stage times (:mod:`edge.serve`): on
127.0.0.1 unless a host is given; on any other address every request needs a token
(``--token``, ``EDGE_TOKEN``, or one made up and printed). The demo scenes are then
paced like a 30 fps camera (``--no-realtime`` runs them flat out).

Exit status: 0 done, 2 error (``error: ...`` with what to do), 130 interrupted (Ctrl-C,
or SIGTERM, which finalises the outputs the same way).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import secrets
import signal
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge.bundle import BundleError, load_bundle
from edge.cli_help import HelpFormatter, positive_float, positive_int, unit_float
from edge.datasets import DatasetError
from edge.evaluation import TruthTally
from edge.hands import SEGMENTERS
from edge.overlay import draw_overlay
from edge.pipeline import STAGES, FrameResult, Pipeline, build_pipeline
from edge.runtime import RUNTIMES
from edge.sinks import DisplaySink, JsonlSink, NullDisplay, VideoSink, display_available

if TYPE_CHECKING:
    from edge.serve import LiveServer

log = logging.getLogger(__name__)

KEYS_HELP = "keys: q/Esc quit, space/p pause, s snapshot"
_QUIT, _PAUSE, _SNAP = {ord("q"), ord("Q"), 27}, {ord(" "), ord("p"), ord("P")}, {ord("s"), ord("S")}
#: Seconds between status lines on stderr in headless runs of live sources.
STATUS_EVERY_S = 5.0
#: Source opened when ``--source`` is not given, for every task: the first webcam.
DEFAULT_SOURCE = "0"
#: Hand segmenters ``--segmenter`` may name (:func:`edge.hands.make_hand_segmenter`).
HAND_SEGMENTERS = SEGMENTERS
#: The hand segmenter of a hands model when ``--segmenter`` is not given.
DEFAULT_HAND_SEGMENTER = "skin"
#: Labels that mean "no gesture": not counted as a gesture shown, drawn muted.
NO_GESTURE_LABELS = frozenset({"none"})
#: Environment variable holding the web view's token when ``--token`` is not given.
TOKEN_ENV = "EDGE_TOKEN"
#: Default upper bound of the web view's stream rate (frames/s).
DEFAULT_STREAM_FPS = 15.0
#: Default number of streaming connections the web view serves at once.
DEFAULT_MAX_VIEWERS = 32


@dataclass(frozen=True)
class RunConfig:
    """Resolved ``edge-run`` options (see ``edge-run --help``).

    ``display`` is ``True`` (a window, error if impossible), ``False`` (headless) or
    ``None`` (a window when a display is available). ``source`` ``None`` is
    :data:`DEFAULT_SOURCE`; ``segmenter`` ``None`` is :data:`DEFAULT_HAND_SEGMENTER`
    for a hands model (and must stay ``None`` for a digits model). ``serve`` is the
    web view's ``(host, port)`` or ``None`` (no web view); ``token`` ``None`` means
    ``$EDGE_TOKEN``, or, on a non-loopback host, a random one. ``realtime`` ``None``
    paces the demo scenes only when serving. ``encode_in_thread`` ``False`` JPEG-encodes
    the web stream on the loop's own thread (no flag: kept for ``benchmarks/serve_load.py``
    to measure what the encoder thread saves).
    """

    model: str = "digits"
    source: str | None = None
    segmenter: str | None = None
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
    realtime: bool | None = None
    encode_in_thread: bool = True


def build_parser(prog: str = "edge-run", serve_default: str | None = None) -> argparse.ArgumentParser:
    """The ``edge-run`` parser; ``edge-serve`` passes its name and a default ``--serve`` address
    (and then runs headless unless ``--display`` is given)."""
    from edge.serve import hostport_arg

    p = argparse.ArgumentParser(
        prog=prog,
        description="Recognise handwritten digits or rock/paper/scissors hands live: boxes, "
                    "what was read, confidence and FPS.",
        epilog=KEYS_HELP + ". Ctrl-C stops and finalises the outputs.",
        formatter_class=HelpFormatter)
    p.add_argument("--model", default="digits",
                   help="bundle folder, its model.tflite, or a shipped name (digits, hands); its "
                   "task (digits or hands) picks the pipeline")
    p.add_argument("--source", default=None,
                   help="0 / webcam:N (camera), picamera, a video or image file, an image folder, "
                   "rtsp:// or http:// stream, or a built-in scene needing no camera: demo (digits), "
                   f"demo-hands (rock/paper/scissors); default: {DEFAULT_SOURCE} (the first webcam)")
    p.add_argument("--segmenter", choices=HAND_SEGMENTERS, default=None,
                   help="hands models: how the hand is found: skin (skin colour model), skin-hsv, "
                   "background (subtraction; keep the hand out of the first frames), chroma "
                   f"(green screen); default: {DEFAULT_HAND_SEGMENTER}")
    p.add_argument("--threads", type=positive_int, help="interpreter CPU threads")
    p.add_argument("--runtime", choices=RUNTIMES, default="auto", help="TFLite runtime")
    p.add_argument("--no-smoothing", dest="smoothing", action="store_false",
                   help="show each frame's raw predictions (no temporal vote)")
    p.add_argument("--min-score", type=unit_float, default=None,
                   help="hide detections with a (smoothed) score below this; default: the "
                   "bundle's calibrated min_score (model.json), else 0")
    p.add_argument("--snapshot-dir", default="snapshots", help="where the s key saves PNGs")
    p.add_argument("--width", type=positive_int, help="requested capture width (px)")
    p.add_argument("--height", type=positive_int, help="requested capture height (px)")
    p.add_argument("--fps", type=positive_float, help="requested capture rate (frames/s)")
    disp = p.add_mutually_exclusive_group()
    disp.add_argument("--display", dest="display", action="store_const", const=True,
                      help="show a window (error if there is no display); default: a window "
                      "when a display is available")
    disp.add_argument("--headless", dest="display", action="store_const", const=False,
                      help="no window")
    p.add_argument("--output", metavar="VIDEO", help="write the annotated frames to this .mp4")
    p.add_argument("--jsonl", metavar="FILE",
                   help="write one JSON line per frame (frame, t, detections, number); - = stdout")
    p.add_argument("--max-frames", type=positive_int, help="stop after N frames")
    p.add_argument("--loop", action="store_true", help="restart video files and folders at the end")
    p.add_argument("--realtime", action=argparse.BooleanOptionalAction, default=None,
                   help="demo scenes: pace frames to --fps (default 30) like a camera instead of "
                   "running flat out; default: on with --serve, off otherwise")
    web = p.add_argument_group("web view (see edge.serve)")
    web.add_argument("--serve", metavar="[HOST:]PORT", type=hostport_arg,
                     default=hostport_arg(serve_default) if serve_default else None,
                     help="also serve a live web page (stream, reading, FPS, stage times) on "
                     "HOST:PORT; PORT alone binds 127.0.0.1 (this machine only: use an SSH tunnel); "
                     "0.0.0.0:PORT serves every interface and needs a token"
                     + (f" (default: {serve_default})" if serve_default else ""))
    web.add_argument("--token", default=None,
                     help=f"token every web request must carry (?token=, 'Authorization: Bearer' or "
                     f"X-Edge-Token); default: ${TOKEN_ENV}, or on a non-loopback host a random one, printed")
    web.add_argument("--stream-fps", type=positive_float, default=DEFAULT_STREAM_FPS,
                     help="upper bound of the web stream's frame rate (frames/s)")
    web.add_argument("--max-viewers", type=positive_int, default=DEFAULT_MAX_VIEWERS,
                     help="streaming connections served at once (a page uses two)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    if serve_default:
        p.set_defaults(display=False)
    return p


def parse_args(argv: list[str] | None = None, *, prog: str = "edge-run",
               serve_default: str | None = None) -> RunConfig:
    """Parse ``edge-run`` (or, with ``serve_default``, ``edge-serve``) arguments."""
    a = build_parser(prog, serve_default).parse_args(argv)
    return RunConfig(model=a.model, source=a.source, segmenter=a.segmenter, threads=a.threads,
                     runtime=a.runtime,
                     smoothing=a.smoothing, min_score=a.min_score, snapshot_dir=a.snapshot_dir,
                     width=a.width, height=a.height, fps=a.fps, display=a.display, output=a.output,
                     jsonl=a.jsonl, max_frames=a.max_frames, loop=a.loop, verbose=a.verbose,
                     serve=a.serve, token=a.token, stream_fps=a.stream_fps, max_viewers=a.max_viewers,
                     realtime=a.realtime)


# -- statistics -----------------------------------------------------------------------
class FpsMeter:
    """Frames per second over the last ``window`` ticks (``time.perf_counter``)."""

    def __init__(self, window: int = 30) -> None:
        self._t: deque[float] = deque(maxlen=max(2, window))

    def tick(self, now: float | None = None) -> float:
        """Record a frame; returns the current rate (0 before two frames)."""
        self._t.append(time.perf_counter() if now is None else now)
        return self.fps

    @property
    def fps(self) -> float:
        if len(self._t) < 2 or self._t[-1] <= self._t[0]:
            return 0.0
        return (len(self._t) - 1) / (self._t[-1] - self._t[0])


@dataclass
class RunStats:
    """What a run measured; filled while it runs, so an interrupted run still reports.

    Attributes:
        frames: frames processed.
        wall_s: seconds from the first frame read to the last processed.
        timings_ms: per stage (``segment``, ``preprocess``, ``classify``, ``smooth``,
            ``total``), the milliseconds of each frame (the last 100,000).
        truth: digits or gestures read correctly after smoothing (sources with ground
            truth); detections labelled as in :data:`NO_GESTURE_LABELS` do not count.
        truth_raw: the same before smoothing.
        empty_frames: frames whose ground truth is empty (the hands demo with no hand).
        empty_silent: of those, frames on which no digit or gesture was shown (smoothed).
        empty_silent_raw: the same before smoothing.
        task: the model's task, ``"digits"`` or ``"hands"`` (for the wording).
    """

    frames: int = 0
    wall_s: float = 0.0
    timings_ms: dict[str, deque[float]] = field(
        default_factory=lambda: {k: deque(maxlen=100_000) for k in (*STAGES, "total")})
    truth: TruthTally = field(default_factory=TruthTally)
    truth_raw: TruthTally = field(default_factory=TruthTally)
    empty_frames: int = 0
    empty_silent: int = 0
    empty_silent_raw: int = 0
    task: str = "digits"
    video_frames: int = 0
    jsonl_lines: int = 0
    snapshots: list[Path] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    source_name: str = ""
    model_name: str = ""
    smoothing: bool = True

    def add(self, result: FrameResult) -> None:
        self.frames += 1
        for k, v in result.timings_ms.items():
            self.timings_ms.setdefault(k, deque(maxlen=100_000)).append(v)
        truth = result.frame.truth
        if truth is not None:
            shown, raw = _shown(result.detections), _shown(result.raw)
            self.truth.update(truth, shown)
            self.truth_raw.update(truth, raw)
            if not truth:
                self.empty_frames += 1
                self.empty_silent += not shown
                self.empty_silent_raw += not raw

    def median_ms(self) -> dict[str, float]:
        return {k: statistics.median(v) for k, v in self.timings_ms.items() if v}

    def summary(self) -> list[str]:
        """Lines for the end of a run."""
        out = [f"model {self.model_name}, source {self.source_name}"] if self.model_name else []
        fps = self.frames / self.wall_s if self.wall_s > 0 else 0.0
        med = self.median_ms()
        head = (f"{self.frames} frame{'' if self.frames == 1 else 's'} in {self.wall_s:.2f} s: "
                f"{fps:.1f} FPS")
        if med.get("total"):
            head += f" (pipeline alone {1000.0 / med['total']:.1f} FPS)"
        out.append(head)
        if med:
            out.append("median ms per frame: " + ", ".join(f"{k} {v:.2f}" for k, v in med.items()))
        hands = self.task == "hands"
        tallies = ((("smoothed", self.truth, self.empty_silent),
                    ("raw", self.truth_raw, self.empty_silent_raw))
                   if self.smoothing else (("no smoothing", self.truth, self.empty_silent),))
        for name, t, _ in tallies:
            if t.truths:
                out.append(f"{'gestures' if hands else 'digits'} vs ground truth ({name}): "
                           f"{t.correct}/{t.truths} read correctly ({100 * t.accuracy:.2f}%); "
                           f"wrong {t.wrong}, missed {t.missed}, extra {t.extra}")
        for name, _, silent in tallies if self.empty_frames else ():
            out.append(f"{'no-hand frames' if hands else 'frames with nothing to read'} ({name}): "
                       f"{silent}/{self.empty_frames} with no {'gesture' if hands else 'detection'} "
                       f"shown ({100 * silent / self.empty_frames:.2f}%)")
        if "video" in self.outputs:
            out.append(f"wrote {self.video_frames} frames to {self.outputs['video']}")
        if "jsonl" in self.outputs:
            out.append(f"wrote {self.jsonl_lines} lines to {self.outputs['jsonl']}")
        for p in self.snapshots:
            out.append(f"snapshot {p}")
        return out


def _shown(detections: list[Any]) -> list[Any]:
    """The detections that say something: not labelled "no gesture"."""
    return [d for d in detections if d.prediction.label not in NO_GESTURE_LABELS]


# -- wiring (module-level so tests can replace them) ----------------------------------
def open_source(spec: str, **kwargs: Any):
    """:func:`edge.sources.open_source` (imported here, so the CLI imports fast)."""
    from edge.sources import open_source as _open

    return _open(spec, **kwargs)


def segmenter_kwargs(task: str, segmenter: str | None, model_name: str = "the model") -> dict[str, Any]:
    """The :func:`edge.pipeline.build_pipeline` arguments that choose a task's segmenter.

    Args:
        task: the bundle's task, ``"digits"`` or ``"hands"``.
        segmenter: a name of :data:`HAND_SEGMENTERS`, or ``None`` for the default
            (:data:`DEFAULT_HAND_SEGMENTER` for hands, the digit segmenter for digits).
        model_name: for the error message.

    Returns:
        ``{"segmenter": name}`` for hands; ``{}`` for digits (the pipeline's own).

    Raises:
        ValueError: a segmenter name for a digits model, or an unknown name.
    """
    if task == "hands":
        name = segmenter or DEFAULT_HAND_SEGMENTER
        if name not in HAND_SEGMENTERS:
            raise ValueError(f"unknown hand segmenter {name!r}; use one of {', '.join(HAND_SEGMENTERS)}")
        return {"segmenter": name}
    if segmenter is not None:
        raise ValueError(f"--segmenter {segmenter} chooses how hands are found, but {model_name} is a "
                         f"{task} model; drop --segmenter or use a hands model (--model hands)")
    return {}


def make_pipeline(cfg: RunConfig) -> Pipeline:
    """Load ``cfg.model`` and build the pipeline of its task, as ``edge-run`` runs it.

    Raises:
        edge.bundle.BundleError: the bundle is missing, corrupt or inconsistent.
        ValueError: ``--segmenter`` for a digits model, or a task without a pipeline.
    """
    bundle = load_bundle(cfg.model)
    return build_pipeline(bundle, smoothing=cfg.smoothing, min_score=cfg.min_score,
                          num_threads=cfg.threads, runtime=cfg.runtime,
                          **segmenter_kwargs(bundle.task, cfg.segmenter, bundle.name))


def resolve_display(requested: bool | None) -> bool:
    """Whether to open a window.

    Raises:
        ValueError: a window was asked for (``True``) but none can be opened.
    """
    if requested is False:
        return False
    ok, why = display_available()
    if requested and not ok:
        raise ValueError(f"--display asked for a window but {why}; run with --headless "
                         "(add --output out.mp4 to record the annotated video)")
    if not ok:
        log.info("headless: %s", why)
    return ok


def camera_hint(spec: str, err: Exception, task: str = "digits") -> str:
    """The message of a source that failed to open, plus, for a camera spec, how to run
    without one (the task's demo scene or a video file) unless it says so already."""
    from edge.sources import DEMO_BY_TASK

    msg = str(err)
    demo = DEMO_BY_TASK.get(task, "demo")
    looks_camera = spec.isdigit() or spec.startswith(("webcam", "picamera", "/dev/video"))
    if looks_camera and not re.search(rf"--source {re.escape(demo)}(?![\w-])", msg):
        msg += (f"; to run without a camera use --source {demo} (built-in scene) or --source "
                "path/to/video.mp4")
    return msg


def _snapshot(image, folder: str, index: int) -> Path:
    import cv2

    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"snapshot-{time.strftime('%Y%m%d-%H%M%S')}-{index:06d}.png"
    if not cv2.imwrite(str(p), image):
        raise OSError(f"cannot write snapshot {p}")
    return p


class Interrupts:
    """SIGINT/SIGTERM as ``KeyboardInterrupt``, held back while a frame's outputs are written.

    Without this, Ctrl-C between the video write and the JSON line of one frame
    leaves the video one frame longer than the JSON Lines file.
    """

    def __init__(self) -> None:
        self._deferring = False
        self._pending = False
        self._previous: dict[int, Any] = {}

    def handler(self, signum: int, frame: Any) -> None:
        if self._deferring:
            self._pending = True
        else:
            raise KeyboardInterrupt

    def install(self) -> None:
        """Handle SIGINT and SIGTERM (``kill``, systemd, docker stop) like Ctrl-C."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                prev = signal.getsignal(sig)
                if prev is not signal.SIG_IGN:
                    signal.signal(sig, self.handler)
                    self._previous[sig] = prev
            except (ValueError, OSError):  # not the main thread, or no such signal here
                log.debug("cannot handle %s", sig, exc_info=True)

    def restore(self) -> None:
        """Put back the handlers :meth:`install` replaced."""
        for sig, prev in self._previous.items():
            signal.signal(sig, prev)
        self._previous.clear()
        self._pending = False

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Run the block whole; a signal that arrives in it interrupts right after it."""
        outer = self._deferring
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = outer
            if not outer and self._pending:
                self._pending = False
                raise KeyboardInterrupt


_INTERRUPTS = Interrupts()


def start_server(cfg: RunConfig, stats: RunStats, source_name: str = "") -> LiveServer:
    """Start the web view ``cfg.serve`` asks for and tell the user where it is (stderr).

    The token is ``cfg.token``, else ``$EDGE_TOKEN``, else, on a non-loopback host, a
    random one (printed in the page's address). ``stats.outputs["serve"]`` gets the
    page's address (without the token).

    Returns:
        The started :class:`edge.serve.LiveServer` (close it when done).

    Raises:
        ValueError: ``cfg.serve`` is not set, or a bad option.
        OSError: the address cannot be bound (port in use ...; the message says what to do).
        RuntimeError: aiohttp is not installed.
    """
    from edge.serve import LiveServer, ServeConfig, is_loopback

    if cfg.serve is None:
        raise ValueError("start_server needs cfg.serve = (host, port)")
    host, port = cfg.serve
    token = cfg.token or os.environ.get(TOKEN_ENV) or None
    public = not is_loopback(host)
    made_up = public and token is None
    if made_up:
        token = secrets.token_urlsafe(18)
    config = ServeConfig(host=host, port=port, token=token, stream_fps=cfg.stream_fps,
                         max_clients=cfg.max_viewers, quiet_labels=tuple(sorted(NO_GESTURE_LABELS)),
                         encode_in_thread=cfg.encode_in_thread)
    server = LiveServer(config, model=stats.model_name, source=source_name).start()
    stats.outputs["serve"] = server.url
    if public:
        print(f"warning: the web view listens on {host}:{server.port}, reachable by every machine that can "
              f"reach this one; every request needs the token"
              + (" (made up for this run; set --token or $EDGE_TOKEN to choose one)" if made_up else "")
              + ". For this machine only, use --serve PORT and an SSH tunnel.", file=sys.stderr)
        print(f"web view: {server.viewer_url}", file=sys.stderr)
    else:
        print(f"web view: {server.viewer_url} (this machine only; from another computer: "
              f"ssh -L {server.port}:127.0.0.1:{server.port} USER@THIS-HOST, then open that address there)",
              file=sys.stderr)
    return server


def run(cfg: RunConfig, stats: RunStats | None = None, *, pipeline: Pipeline | None = None,
        source: Any = None) -> RunStats:
    """Run the loop until the source ends, ``max_frames``, a quit key or Ctrl-C.

    Outputs are finalised in ``finally``: on ``KeyboardInterrupt`` they are closed
    (a playable video, complete JSON lines) before the exception propagates. With
    ``cfg.serve`` the web view (:func:`start_server`) is started before the source
    opens, gets every frame (:meth:`edge.serve.LiveServer.publish`, which never
    waits for a viewer) and is closed at the end, its viewers disconnected.

    Args:
        cfg: the options.
        stats: filled as the run goes (pass one to keep partial figures when the run
            is interrupted); a new one by default.
        pipeline: use this pipeline instead of building one from ``cfg.model``.
        source: use this :class:`edge.sources.FrameSource` instead of opening
            ``cfg.source`` (it is closed at the end either way).

    Returns:
        ``stats``.

    Raises:
        ValueError: a window was asked for where none exists, or bad options.
        edge.bundle.BundleError: the model bundle is missing, corrupt or inconsistent.
        RuntimeError: the camera or a writer failed, or aiohttp is missing for
            ``--serve`` (the message says what to do).
        OSError: the web view's address cannot be bound (port in use ...).
        KeyboardInterrupt: after finalising the outputs.
    """
    stats = stats if stats is not None else RunStats()
    show = resolve_display(cfg.display)
    if pipeline is None:
        pipeline = make_pipeline(cfg)
    bundle = getattr(pipeline.classifier, "bundle", None)
    stats.model_name = getattr(bundle, "name", type(pipeline.classifier).__name__)
    stats.task = str(getattr(bundle, "task", None) or "digits")
    stats.smoothing = pipeline.smoother is not None
    spec = cfg.source if cfg.source is not None else DEFAULT_SOURCE
    with contextlib.ExitStack() as stack:
        # The web view binds first, so a port in use fails before the camera opens.
        server = (stack.enter_context(start_server(cfg, stats, getattr(source, "name", spec)))
                  if cfg.serve is not None else None)
        if source is None:
            realtime = cfg.realtime if cfg.realtime is not None else cfg.serve is not None
            try:
                source = open_source(spec, width=cfg.width, height=cfg.height, fps=cfg.fps,
                                     loop=cfg.loop, **({"realtime": True} if realtime else {}))
            except RuntimeError as e:
                raise RuntimeError(camera_hint(spec, e, stats.task)) from e
        stats.source_name = getattr(source, "name", spec)
        if server is not None:
            server.describe(source=stats.source_name)
        stack.callback(source.close)
        video = jsonl = None
        if cfg.output:
            src_fps = getattr(source, "fps", None)
            video = stack.enter_context(VideoSink(
                cfg.output, fps=src_fps if src_fps and not getattr(source, "live", False) else None))
            stats.outputs["video"] = cfg.output
        if cfg.jsonl:
            jsonl = stack.enter_context(JsonlSink(cfg.jsonl))
            stats.outputs["jsonl"] = cfg.jsonl
        display = stack.enter_context(DisplaySink(f"edge-run: {stats.source_name}") if show
                                      else NullDisplay())
        if show:
            print(KEYS_HELP, file=sys.stderr)
        try:
            _loop(cfg, stats, pipeline, source, display, video, jsonl, show, server)
        finally:
            with _INTERRUPTS.deferred():  # a second Ctrl-C must not cut the video's finalisation
                if video is not None:
                    video.close()
                    stats.video_frames = video.frames_written
                if jsonl is not None:
                    stats.jsonl_lines = jsonl.lines_written
    return stats


def _loop(cfg: RunConfig, stats: RunStats, pipeline: Pipeline, source: Any, display: Any,
          video: VideoSink | None, jsonl: JsonlSink | None, show: bool,
          server: LiveServer | None = None) -> None:
    meter = FpsMeter()
    ema: dict[str, float] = {}
    paused = False
    annotated = None
    t0_frame: float | None = None
    t_start = time.perf_counter()
    next_status = t_start + STATUS_EVERY_S
    live = bool(getattr(source, "live", False))
    while cfg.max_frames is None or stats.frames < cfg.max_frames:
        if not paused:
            frame = source.read()
            if frame is None:
                break
            result = pipeline.process(frame)
            now = time.perf_counter()
            fps = meter.tick(now)
            for k, v in result.timings_ms.items():
                ema[k] = v if k not in ema else 0.9 * ema[k] + 0.1 * v
            if t0_frame is None:
                t0_frame = frame.timestamp
            t = frame.timestamp - t0_frame
            if show or video is not None:
                annotated = draw_overlay(frame.image, result.detections, result.numbers, fps=fps,
                                         timings_ms=ema, quiet_labels=NO_GESTURE_LABELS)
            record = result.as_json(t) if jsonl is not None or server is not None else None
            # A frame counts and goes to every output, or to none (Ctrl-C waits for it).
            with _INTERRUPTS.deferred():
                stats.add(result)
                stats.wall_s = now - t_start
                if video is not None and annotated is not None:
                    video.write(annotated, t)
                if jsonl is not None and record is not None:
                    jsonl.write(record)
            if server is not None:  # returns at once: the web side encodes and sends on its own threads
                server.publish(result, record=record, fps=fps, timings_ms=ema,
                               annotated=annotated if show or video is not None else None)
            if not show and live and now >= next_status:
                next_status = now + STATUS_EVERY_S
                read = " ".join(d.prediction.label for d in _shown(result.detections)) or "-"
                print(f"frame {stats.frames}: {fps:.1f} FPS, read: {read}", file=sys.stderr)
        if not show:
            continue
        if annotated is None:
            break
        shown = annotated
        if paused:
            shown = draw_overlay(result.frame.image, result.detections, result.numbers,
                                 fps=fps, timings_ms=ema, status="PAUSED",
                                 quiet_labels=NO_GESTURE_LABELS)
        key = display.show(shown, wait_ms=30 if paused else 1)
        if display.closed or key in _QUIT:
            break
        if key in _PAUSE:
            paused = not paused
            if not paused:
                pipeline.reset()
                meter = FpsMeter()
        elif key in _SNAP:
            p = _snapshot(annotated, cfg.snapshot_dir, stats.frames)
            stats.snapshots.append(p)
            print(f"saved {p}", file=sys.stderr)


def main(argv: list[str] | None = None, *, prog: str = "edge-run", serve_default: str | None = None) -> int:
    """Entry point of ``edge-run`` (and of ``edge-serve``, which passes ``prog`` and
    ``serve_default``); returns the exit status (0, 2 on error, 130 on Ctrl-C)."""
    cfg = parse_args(argv, prog=prog, serve_default=serve_default)
    logging.basicConfig(level=logging.DEBUG if cfg.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    stats = RunStats()
    return guarded_main(lambda: run(cfg, stats), name="edge-run", frames=lambda: stats.frames,
                        summary=lambda: _print_summary(stats), interrupted="outputs finalised")


def guarded_main(body: Callable[[], Any], *, name: str, frames: Callable[[], int],
                 summary: Callable[[], None], interrupted: str,
                 interrupts: Interrupts | None = None) -> int:
    """Run a command's ``body`` with SIGINT/SIGTERM held back during writes
    (:class:`Interrupts`) and turn its outcome into an exit status, as ``edge-run`` and
    ``edge-capture`` report it.

    Args:
        body: the command's work.
        name: the command, for the debug log.
        frames: how many frames were processed so far (a summary is printed after an
            error only when this is > 0).
        summary: prints the end-of-run summary.
        interrupted: what the user is told after Ctrl-C, after ``"interrupted: "``.
        interrupts: the signal handler the command's writes defer to (default:
            ``edge-run``'s).

    Returns:
        0 when ``body`` returns, 130 on Ctrl-C/SIGTERM, 2 on ``BundleError``,
        ``DatasetError``, ``ValueError``, ``RuntimeError`` or ``OSError`` (the message
        goes to stderr as ``error: ...``).
    """
    sig = interrupts or _INTERRUPTS
    sig.install()
    try:
        body()
    except KeyboardInterrupt:
        summary()
        print(f"interrupted: {interrupted}", file=sys.stderr)
        return 130
    except (BundleError, DatasetError, ValueError, RuntimeError, OSError) as e:
        log.debug("%s failed", name, exc_info=True)
        if frames():
            summary()
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        sig.restore()
    summary()
    return 0


def _print_summary(stats: RunStats) -> None:
    # With --jsonl - the predictions own standard output; the summary goes to stderr.
    stream = sys.stderr if stats.outputs.get("jsonl") == "-" else sys.stdout
    if stats.frames or stats.outputs:
        for line in stats.summary():
            print(line, file=stream)
        stream.flush()


if __name__ == "__main__":
    sys.exit(main())
