"""``edge-run``: read digits or rock/paper/scissors hands live from a camera, a file or a demo scene.

Examples::

    edge-run                                   # first webcam, window, shipped digits model
    edge-run --source demo --headless --max-frames 300
    edge-run --model hands                     # webcam: palm detector, 21 landmarks, gesture
    edge-run --model hands --source photo.jpg --headless --jsonl -   # landmarks as JSON Lines
    edge-run --model hands-lenet --source demo-hands --headless --max-frames 300
    edge-run --model hands-lenet --segmenter background  # small CNN, background subtraction
    edge-run --source clip.mp4 --headless --output annotated.mp4 --jsonl preds.jsonl
    edge-run --source demo --headless --serve 8080     # watch at http://127.0.0.1:8080/
    edge-run --model models/my-model                   # your own classifier (task classify), whole frame
    edge-run --model models/my-model --roi centre --top-k 5   # a centred square, five best labels

The model's task (``model.json``) picks the pipeline: digits are found by the digit
segmenter; ``--model hands`` finds hands with MediaPipe's palm detector and landmark model
(fetched by ``edge-models fetch hands``; still images: palm detector on every image,
videos and cameras: tracked from the previous frame's landmarks) and classifies the
landmarks; the small CNN ``--model hands-lenet`` finds them with the segmenter
``--segmenter`` names. A ``classify`` bundle (your own image classifier, from
``edge-convert``) classifies the whole frame, or with ``--roi`` a centred square, and shows
its ``--top-k`` labels with their scores. Without ``--source`` the
first webcam is opened for either task (the demo scenes are never a silent fallback).
Digits in still images (an image file or a folder of them) are read from the test-time views
of :mod:`edge.still_views` (``--views off``: once, as videos and cameras always are).

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
annotated stream, the reading, FPS and stage times (:mod:`edge.sinks.web`): on
127.0.0.1 unless a host is given; on any other address every request needs a token
(``--token``, ``EDGE_TOKEN``, or one made up and printed). The demo scenes are then
paced like a 30 fps camera (``--no-realtime`` runs them flat out).

Exit status: 0 done (the file, folder or demo ended, ``--max-frames``, ``q``), 2 error
(``error: ...`` with what to do), 3 source lost (a camera unplugged, a stream dropped or
stalled, a video file truncated: a service manager should restart the run; ``--reconnect N``
first opens a camera or stream again up to N times), 130 interrupted (Ctrl-C, or SIGTERM,
which finalises the outputs the same way). An image folder skips images it cannot read,
one warning each, counted in the summary (``--no-skip-unreadable`` stops at the first;
the run fails with 2 only when no image can be read). Image files over 50 megapixels are
refused from their header before decoding (``--max-image-pixels``, ``$EDGE_MAX_IMAGE_PIXELS``).

The options and their parser are :mod:`edge.cli.run_args`; this module opens what they
name, runs :func:`edge.live.run` and prints the summary.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from pathlib import Path
from typing import Any

from edge.cli.common import guarded_main, setup_logging
from edge.cli.run_args import RunConfig, parse_args
from edge.cli.window import KEYS_HELP, StatusLines, WindowKeys
from edge.live import (
    DEFAULT_SOURCE,
    RunStats,
    camera_hint,
    make_pipeline,
    open_source,
    run,
    source_kind,
)
from edge.pipeline import Pipeline
from edge.sinks import (
    DisplaySink,
    ImageSink,
    JsonlSink,
    NullDisplay,
    Sink,
    VideoSink,
    display_available,
    is_image_path,
)
from edge.sinks.web import (
    LiveServer,
    ServeConfig,
    is_loopback,
    resolve_token,
)

log = logging.getLogger(__name__)


def resolve_display(requested: bool | None) -> bool:
    """Whether to open a window: ``False`` never, ``None`` when a display is available.

    Raises:
        ValueError: a window was asked for (``True``) but none can be opened.
    """
    if requested is False:
        return False
    ok, why = display_available()
    if requested and not ok:
        raise ValueError(
            f"--display asked for a window but {why}; run with --headless "
            "(add --output out.mp4 to record the annotated video)"
        )
    if not ok:
        log.info("headless: %s", why)
    return ok


def input_stem(source: Any) -> str | None:
    """The file stem of the image a folder source returned last (``ImageSink`` names), else ``None``."""
    path = getattr(source, "current_path", None)
    return Path(path).stem if path else None


def start_server(cfg: RunConfig, stats: RunStats, source_name: str = "") -> LiveServer:
    """Start the web view ``cfg.serve`` asks for and tell the user where it is (stderr).

    The token is ``cfg.token``, else ``$EDGE_TOKEN``, else, on a non-loopback host, a
    random one (printed in the page's address). ``stats.outputs["serve"]`` gets the
    page's address (without the token).

    Returns:
        The started :class:`edge.sinks.web.LiveServer` (a sink; close it when done).

    Raises:
        ValueError: ``cfg.serve`` is not set, or a bad option.
        OSError: the address cannot be bound (port in use ...; the message says what to do).
        RuntimeError: aiohttp is not installed.
    """
    if cfg.serve is None:
        raise ValueError("start_server needs cfg.serve = (host, port)")
    host, port = cfg.serve
    token, made_up = resolve_token(host, cfg.token)
    config = ServeConfig(
        host=host,
        port=port,
        token=token,
        stream_fps=cfg.stream_fps,
        max_viewers=cfg.max_viewers,
        max_connections=cfg.max_connections,
    )
    server = LiveServer(config, model=stats.model_name, source=source_name).start()
    stats.outputs["serve"] = server.url
    if not is_loopback(host):
        print(
            f"warning: the web view listens on {host}:{server.port}, reachable by every machine that can "
            f"reach this one; every request needs the token"
            + (" (made up for this run; set --token or $EDGE_TOKEN to choose one)" if made_up else "")
            + ". For this machine only, use --serve PORT and an SSH tunnel.",
            file=sys.stderr,
        )
        print(f"web view: {server.viewer_url}", file=sys.stderr)
    else:
        print(
            f"web view: {server.viewer_url} (this machine only; from another computer: "
            f"ssh -L {server.port}:127.0.0.1:{server.port} USER@THIS-HOST, then open that address there)",
            file=sys.stderr,
        )
    return server


def run_cli(
    cfg: RunConfig, stats: RunStats | None = None, *, pipeline: Pipeline | None = None, source: Any = None
) -> RunStats:
    """Open what ``cfg`` names and run :func:`edge.live.run` until the source ends,
    ``max_frames``, a quit key or Ctrl-C.

    Outputs are finalised by the loop: on ``KeyboardInterrupt`` they are closed (a
    playable video, complete JSON lines) before the exception propagates. With
    ``cfg.serve`` the web view (:func:`start_server`) is started before the source
    opens (so a port in use fails before the camera opens) and is one of the sinks.

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
    spec = cfg.source if cfg.source is not None else DEFAULT_SOURCE
    # a source opened by the caller says whether it gives stills; else make_pipeline reads cfg.source's kind
    still = bool(getattr(source, "still", False)) if source is not None else None
    if pipeline is None:
        pipeline = make_pipeline(
            cfg.model,
            segmenter=cfg.segmenter,
            smoothing=cfg.smoothing,  # photos stand alone: make_pipeline turns it off for them
            min_score=cfg.min_score,
            threads=cfg.threads,
            runtime=cfg.runtime,
            source=cfg.source,
            max_hands=cfg.max_hands,
            roi=cfg.roi,
            top_k=cfg.top_k,
            polarity=cfg.polarity,
            views=cfg.views,
            still=still,
        )
    bundle = getattr(pipeline.classifier, "bundle", None)
    stats.model_name = getattr(bundle, "name", type(pipeline.classifier).__name__)
    task = str(getattr(bundle, "task", None) or "digits")
    sinks: list[Sink] = []
    video: VideoSink | ImageSink | None = None
    jsonl: JsonlSink | None = None
    with contextlib.ExitStack() as stack:  # closes what is open when setting up fails
        server = (
            stack.enter_context(start_server(cfg, stats, getattr(source, "name", spec)))
            if cfg.serve is not None
            else None
        )
        if source is None:
            source = open_cli_source(cfg, spec, task)
        stack.callback(source.close)
        stats.source_name = getattr(source, "name", spec)
        if cfg.output and is_image_path(cfg.output):
            video = ImageSink(cfg.output, names=functools.partial(input_stem, source))
            stats.outputs["images"] = cfg.output
            sinks.append(video)
        elif cfg.output:
            src_fps = getattr(source, "fps", None)
            video = stack.enter_context(
                VideoSink(
                    cfg.output,
                    fps=src_fps if src_fps and not getattr(source, "live", False) else None,
                    segment_s=cfg.segment,
                )
            )
            stats.outputs["video"] = cfg.output
            sinks.append(video)
        if cfg.jsonl:
            jsonl = stack.enter_context(JsonlSink(cfg.jsonl))
            stats.outputs["jsonl"] = cfg.jsonl
            sinks.append(jsonl)
        if server is not None:
            server.describe(source=stats.source_name)
            sinks.append(server)
        if not show and getattr(source, "live", False):
            sinks.append(StatusLines())
        display = stack.enter_context(
            DisplaySink(f"edge-run: {stats.source_name}") if show else NullDisplay()
        )
        if show:
            sinks.append(display)
            print(KEYS_HELP, file=sys.stderr)
        stack.pop_all()  # from here on the loop closes the source and every sink
    try:
        run(
            source,
            pipeline,
            sinks,
            max_frames=cfg.max_frames,
            stats=stats,
            control=WindowKeys(display, cfg.snapshot_dir, stats) if show else None,
        )
    finally:
        stats.video_frames = video.frames_written if video is not None else 0
        if isinstance(video, VideoSink) and len(video.paths) > 1:
            stats.outputs["video"] = f"{video.paths[0]} .. {video.paths[-1]} ({len(video.paths)} files)"
        elif isinstance(video, VideoSink) and video.paths:
            stats.outputs["video"] = str(video.paths[0])
        stats.jsonl_lines = jsonl.lines_written if jsonl is not None else 0
        stats.images_skipped = len(getattr(source, "skipped", ()))
        stats.reconnects = int(getattr(source, "reconnects", 0))
    return stats


def open_cli_source(cfg: RunConfig, spec: str, task: str = "digits") -> Any:
    """Open the source ``spec`` names with ``cfg``'s options; a camera or stream is wrapped in
    :class:`edge.sources.ReconnectingSource` when ``cfg.reconnect`` > 0.

    Raises:
        ValueError: a bad spec or option.
        RuntimeError: the camera or stream cannot be opened (with how to run without one).
    """
    from edge.sources.reconnect import ReconnectingSource

    realtime = cfg.realtime if cfg.realtime is not None else cfg.serve is not None
    extra: dict[str, Any] = {"realtime": True} if realtime else {}
    if source_kind(spec) == "image":  # the options of image files and folders
        extra |= {"skip_unreadable": cfg.skip_unreadable, "max_pixels": cfg.max_image_pixels}

    def opener() -> Any:
        return open_source(spec, width=cfg.width, height=cfg.height, fps=cfg.fps, loop=cfg.loop, **extra)

    try:
        source = opener()
    except RuntimeError as e:
        raise RuntimeError(camera_hint(spec, e, task)) from e
    if cfg.reconnect and getattr(source, "live", False):
        source = ReconnectingSource(opener, cfg.reconnect, first=source)
    return source


def main(argv: list[str] | None = None, *, prog: str = "edge-run", serve_default: str | None = None) -> int:
    """Entry point of ``edge-run`` (and of ``edge-serve``, which passes ``prog`` and
    ``serve_default``); returns the exit status (0, 2 on error, 130 on Ctrl-C)."""
    cfg = parse_args(argv, prog=prog, serve_default=serve_default)
    setup_logging(cfg.verbose)
    stats = RunStats()
    return guarded_main(
        lambda: run_cli(cfg, stats),
        name=prog,
        frames=lambda: stats.frames,
        summary=lambda: print_summary(stats),
        interrupted=lambda: finalised_outputs(stats),
    )


def finalised_outputs(stats: RunStats) -> str:
    """What the user is told after Ctrl-C: the files that were finalised, or nothing."""
    files = [stats.outputs[k] for k in ("video", "jsonl") if k in stats.outputs and stats.outputs[k] != "-"]
    return f"outputs finalised ({', '.join(files)})" if files else ""


def print_summary(stats: RunStats) -> None:
    """Print :meth:`edge.live.RunStats.summary` (to stderr when ``--jsonl -`` owns stdout)."""
    stream = sys.stderr if stats.outputs.get("jsonl") == "-" else sys.stdout
    if stats.frames or stats.outputs:
        for line in stats.summary():
            print(line, file=stream)
        stream.flush()


if __name__ == "__main__":
    sys.exit(main())
