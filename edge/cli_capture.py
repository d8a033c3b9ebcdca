"""``edge-capture``: save your own labelled digits or hand gestures from the live loop.

Examples::

    edge-capture --out my_digits                         # webcam, window: press 0-9 to save
    edge-capture --model hands --out my_hands --session alice   # r/p/s/n: rock/paper/scissors/none
    edge-capture --source three.mp4 --label 3 --every 5 --count 200 --out my_digits   # headless
    edge-capture --source photos_of_sevens/ --label 7 --out my_digits

The same sources and pipeline as ``edge-run`` (a webcam index, a video file, an image
folder, picamera, a stream, ``demo``/``demo-hands``). In a window, pressing a label's
key saves the current detection (the largest ROI the segmenter found, or every ROI
with ``--take all``) as that label; each label's key is its first character (``0``-``9``;
``r``/``p``/``s``/``n`` for rock, paper, scissors, none), ``--keys`` chooses others, and
``q``/Esc quits. A counter per class (samples in the folder, ``+`` saved now) is drawn
on the frame. With ``--label`` every frame with a detection (or every ``--every`` N-th
frame) is saved as that label automatically, with or without a window, up to
``--count`` samples.

Saved per detection (see :mod:`edge.capture`):

- ``DIR/<label>/<session>__00001.png``: the normalised sample, the exact model input
  the preprocessor made (28x28 grey, white ink on black, for digits; the hands model's
  64x64 colour crop), the folder ``edge-train`` reads;
- ``DIR-raw/<label>/<session>__00001.png`` (``--raw-out``): the raw crop of the original
  frame with the preprocessor's margin, a photo folder for ``edge-eval --images ... --crop``.

Existing files are never overwritten: numbering continues after the session's highest.
Ctrl-C (or SIGTERM) stops between two samples, so no file is half-written, and the
summary says what was saved.

Exit status: 0 done, 2 error (``error: ...`` with what to do), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge.capture import (
    TAKE_MODES,
    KeyAction,
    RecordingPreprocessor,
    SampleWriter,
    check_session,
    choose_rois,
    decide,
    default_session,
    describe_keys,
    draw_capture_hud,
    key_map,
    parse_keys,
    raw_crop,
)
from edge.cli_help import HelpFormatter, positive_float, positive_int, unit_float
from edge.cli_run import (
    DEFAULT_HAND_SEGMENTER,
    DEFAULT_SOURCE,
    HAND_SEGMENTERS,
    NO_GESTURE_LABELS,
    FpsMeter,
    Interrupts,
    RunConfig,
    camera_hint,
    guarded_main,
    make_pipeline,
    open_source,
)
from edge.overlay import draw_overlay
from edge.pipeline import Pipeline
from edge.runtime import RUNTIMES
from edge.sinks import DisplaySink, NullDisplay, display_available
from edge.types import ROI, Frame

log = logging.getLogger(__name__)

#: Seconds a status message stays on screen.
MESSAGE_S = 2.0


@dataclass(frozen=True)
class CaptureConfig:
    """Resolved ``edge-capture`` options (see ``edge-capture --help``).

    ``raw_out`` ``None`` means ``<out>-raw`` beside ``out``; ``no_raw`` saves no raw
    crops. ``label`` ``None`` means interactive (keys in a window); a label saves
    automatically. ``session`` ``None`` is :func:`edge.capture.default_session`.
    """

    model: str = "digits"
    source: str | None = None
    out: str = "captures"
    raw_out: str | None = None
    no_raw: bool = False
    session: str | None = None
    label: str | None = None
    every: int = 1
    count: int | None = None
    take: str = "largest"
    keys: str | None = None
    segmenter: str | None = None
    threads: int | None = None
    runtime: str = "auto"
    smoothing: bool = True
    min_score: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    display: bool | None = None
    max_frames: int | None = None
    loop: bool = False
    verbose: bool = False

    def raw_dir(self) -> Path | None:
        """Where raw crops go: ``raw_out``, else ``<out>-raw`` beside ``out``; ``None`` with ``no_raw``."""
        if self.no_raw:
            return None
        if self.raw_out is not None:
            return Path(self.raw_out).expanduser()
        out = Path(self.out).expanduser()
        if out.name in ("", ".", ".."):
            out = out.resolve()
        return out.with_name(out.name + "-raw")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edge-capture",
        description="Save your own labelled samples (the normalised model input and the raw crop) "
                    "from a camera, a video or images, for retraining.",
        epilog="keys: a label's first character saves the current detection as that label "
               "(0-9; r/p/s/n for rock/paper/scissors/none); q/Esc quit. Ctrl-C stops and prints "
               "what was saved.",
        formatter_class=HelpFormatter)
    p.add_argument("--model", default="digits",
                   help="bundle folder, its model.tflite, or a shipped name (digits, hands): its "
                   "labels, input size and preprocessing decide what is saved")
    p.add_argument("--source", default=None,
                   help="0 / webcam:N (camera), picamera, a video or image file, an image folder, "
                   "a stream URL, demo or demo-hands; default: "
                   f"{DEFAULT_SOURCE} (the first webcam)")
    p.add_argument("--out", default="captures", metavar="DIR",
                   help="capture folder: normalised samples go to DIR/<label>/<session>__<n>.png")
    p.add_argument("--raw-out", metavar="DIR",
                   help="folder for the raw crops (RAW/<label>/<session>__<n>.png); default: "
                   "<out>-raw beside --out")
    p.add_argument("--no-raw", action="store_true", help="save no raw crops")
    p.add_argument("--session", help="file-name prefix grouping this session's samples (letters, "
                   "digits, . _ -); default: s<date>-<time>")
    p.add_argument("--label", help="save every detection as this label automatically (headless "
                   "capture from a video or image folder); must be one of the model's labels")
    p.add_argument("--every", type=positive_int, default=1,
                   help="with --label: save from every N-th frame only (frames 0, N, 2N, ...; "
                   "frames without a detection are skipped)")
    p.add_argument("--count", type=positive_int, help="stop after saving N samples")
    p.add_argument("--take", choices=TAKE_MODES, default="largest",
                   help="which detections of a frame to save: the largest ROI, or all of them")
    p.add_argument("--keys", metavar="K=LABEL,...",
                   help="keys for labels whose first characters collide or are q, e.g. "
                   "--keys r=rock,p=paper,s=scissors,n=none")
    p.add_argument("--segmenter", choices=HAND_SEGMENTERS, default=None,
                   help=f"hands models: how the hand is found (default {DEFAULT_HAND_SEGMENTER})")
    p.add_argument("--threads", type=positive_int, help="interpreter CPU threads")
    p.add_argument("--runtime", choices=RUNTIMES, default="auto", help="TFLite runtime")
    p.add_argument("--no-smoothing", dest="smoothing", action="store_false",
                   help="show each frame's raw predictions (what is saved does not change)")
    p.add_argument("--min-score", type=unit_float, default=None,
                   help="hide predictions scoring below this on screen (detections are saved "
                   "whatever the model says); default: the bundle's min_score")
    p.add_argument("--width", type=positive_int, help="requested capture width (px)")
    p.add_argument("--height", type=positive_int, help="requested capture height (px)")
    p.add_argument("--fps", type=positive_float, help="requested capture rate (frames/s)")
    disp = p.add_mutually_exclusive_group()
    disp.add_argument("--display", dest="display", action="store_const", const=True,
                      help="show a window (error if there is no display); default: a window when "
                      "a display is available")
    disp.add_argument("--headless", dest="display", action="store_const", const=False,
                      help="no window (needs --label)")
    p.add_argument("--max-frames", type=positive_int, help="stop after N frames")
    p.add_argument("--loop", action="store_true", help="restart video files and folders at the end")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    return p


def parse_args(argv: list[str] | None = None) -> CaptureConfig:
    a = build_parser().parse_args(argv)
    return CaptureConfig(model=a.model, source=a.source, out=a.out, raw_out=a.raw_out, no_raw=a.no_raw,
                         session=a.session, label=a.label, every=a.every, count=a.count, take=a.take,
                         keys=a.keys, segmenter=a.segmenter, threads=a.threads, runtime=a.runtime,
                         smoothing=a.smoothing, min_score=a.min_score, width=a.width,
                         height=a.height, fps=a.fps, display=a.display, max_frames=a.max_frames,
                         loop=a.loop, verbose=a.verbose)


@dataclass
class CaptureStats:
    """What a capture run did; filled as it runs, so an interrupted run still reports.

    Attributes:
        frames: frames processed.
        frames_with_detection: of those, frames where the segmenter found an ROI.
        skipped_blank: detections not saved because their model input was blank (a digit
            ROI in which the preprocessor found no ink).
        key_presses: the :class:`edge.capture.KeyAction` of every key pressed (not idle).
        writer: the :class:`edge.capture.SampleWriter` (counts and files saved).
    """

    frames: int = 0
    frames_with_detection: int = 0
    skipped_blank: int = 0
    key_presses: list[KeyAction] = field(default_factory=list)
    writer: SampleWriter | None = None
    model_name: str = ""
    source_name: str = ""
    task: str = "digits"

    def summary(self) -> list[str]:
        """Lines for the end of a run."""
        out = []
        if self.model_name:
            out.append(f"model {self.model_name}, source {self.source_name}")
        out.append(f"{self.frames} frame{'' if self.frames == 1 else 's'}, "
                   f"{self.frames_with_detection} with a detection")
        if self.frames and not self.frames_with_detection:
            from edge.sources import DEMO_BY_TASK

            what = "hand" if self.task == "hands" else "digit"
            out.append(f"no {what} was found in any frame: check that the source shows one (without a "
                       f"camera, try --source {DEMO_BY_TASK.get(self.task, 'demo')})")
        if self.skipped_blank:
            out.append(f"{self.skipped_blank} detection(s) not saved: the preprocessor found nothing "
                       "in them (blank model input)")
        if self.writer is not None:
            out.extend(self.writer.summary())
        return out


_INTERRUPTS = Interrupts()


def _no_keys_message(why: str) -> str:
    return (f"{why}, so no key can be pressed to save a sample: pass --label LABEL to save every "
            "detection as LABEL (e.g. --source clip.mp4 --label 3 --every 5 --count 200)")


def run_capture(cfg: CaptureConfig, stats: CaptureStats | None = None, *,
                pipeline: Pipeline | None = None, source: Any = None, display: Any = None
                ) -> CaptureStats:
    """Run the capture loop until the source ends, ``count``/``max_frames``, q/Esc or Ctrl-C.

    Args:
        cfg: the options.
        stats: filled as the run goes (pass one to keep the figures when interrupted).
        pipeline: use this pipeline (its classifier must have a ``bundle``) instead of
            building one from ``cfg.model`` as ``edge-run`` does.
        source: use this frame source instead of opening ``cfg.source`` (closed at the end).
        display: anything with ``show(uint8 (H, W, 3) BGR image, wait_ms) -> key code``
            (-1: none) and ``closed``: a window, or a key reader in tests. Default: an
            OpenCV window when one can be opened (:func:`edge.sinks.display_available`),
            else none.

    Returns:
        ``stats``.

    Raises:
        ValueError: no window and no ``--label``, a label not in the bundle, colliding
            keys, a bad session name, a window asked for where none exists.
        edge.bundle.BundleError: the model bundle is missing, corrupt or inconsistent.
        RuntimeError: the camera or video failed (the message says what to try).
        OSError: the folders cannot be written.
        KeyboardInterrupt: Ctrl-C, after the current sample was written whole.
    """
    stats = stats if stats is not None else CaptureStats()
    if cfg.every > 1 and cfg.label is None:
        raise ValueError("--every N applies to automatic saving: add --label LABEL")
    session = check_session(cfg.session) if cfg.session is not None else default_session()
    if display is None:
        ok, why = display_available() if cfg.display is not False else (False, "--headless shows no window")
        if cfg.display and not ok:
            raise ValueError(f"--display asked for a window but {why}; capture without one: "
                             "--headless --label LABEL")
        show = ok
        if not show and cfg.label is None:
            raise ValueError(_no_keys_message(why if cfg.display is False else
                                              f"no window can be opened ({why})"))
    else:
        show = True
    if pipeline is None:
        pipeline = make_pipeline(RunConfig(model=cfg.model, segmenter=cfg.segmenter, threads=cfg.threads,
                                           runtime=cfg.runtime, smoothing=cfg.smoothing,
                                           min_score=cfg.min_score))
    bundle = getattr(pipeline.classifier, "bundle", None)
    if bundle is None:
        raise ValueError("edge-capture needs a classifier with a model bundle (its labels and input spec)")
    labels = tuple(getattr(pipeline.classifier, "labels", None) or bundle.labels)
    if cfg.label is not None and cfg.label not in labels:
        raise ValueError(f"--label {cfg.label!r} is not a label of {bundle.name}: use one of "
                         f"{', '.join(labels)} (or --model with a bundle that has it)")
    keymap = key_map(labels, parse_keys(cfg.keys) if cfg.keys else None) if show else {}
    recorder = RecordingPreprocessor(pipeline.preprocessor)
    pipeline.preprocessor = recorder
    writer = SampleWriter(Path(cfg.out), cfg.raw_dir(), labels, bundle.input, session)
    stats.writer = writer
    stats.model_name, stats.task = bundle.name, bundle.task
    spec = cfg.source if cfg.source is not None else DEFAULT_SOURCE
    if source is None:
        try:
            source = open_source(spec, width=cfg.width, height=cfg.height, fps=cfg.fps, loop=cfg.loop)
        except RuntimeError as e:
            raise RuntimeError(camera_hint(spec, e, bundle.task)) from e
    stats.source_name = getattr(source, "name", spec)
    with contextlib.ExitStack() as stack:
        stack.callback(source.close)
        if display is None:
            display = stack.enter_context(DisplaySink(f"edge-capture: {stats.source_name}") if show
                                          else NullDisplay())
        if show:
            print(f"keys: {describe_keys(keymap)}", file=sys.stderr)
        _loop(cfg, stats, pipeline, recorder, writer, keymap, source, display, show)
    return stats


def _loop(cfg: CaptureConfig, stats: CaptureStats, pipeline: Pipeline, recorder: RecordingPreprocessor,
          writer: SampleWriter, keymap: dict[int, str], source: Any, display: Any, show: bool) -> None:
    meter = FpsMeter()
    message, message_until = "", 0.0
    bundle = getattr(pipeline.classifier, "bundle", None)
    what = "hand" if getattr(bundle, "task", "") == "hands" else "digit"

    def done() -> bool:
        return cfg.count is not None and writer.total_saved >= cfg.count

    def save(frame: Frame, rois: list[ROI], label: str) -> str:
        said = ""
        for roi in rois:
            if done():
                break
            x = recorder.input_for(frame.image, roi)
            if float(x.max()) == float(x.min()):
                stats.skipped_blank += 1
                said = f"nothing in the {what} box: not saved"
                continue
            crop = raw_crop(frame.image, roi, recorder.inner)
            with _INTERRUPTS.deferred():  # a sample and its raw crop: both or neither
                s = writer.save(label, x, crop)
            said = f"saved {label}: {s.sample}"
            if show:
                print(said, file=sys.stderr)
        return said

    while cfg.max_frames is None or stats.frames < cfg.max_frames:
        frame = source.read()
        if frame is None:
            break
        result = pipeline.process(frame)
        fps = meter.tick()
        i = stats.frames
        stats.frames += 1
        targets = choose_rois([d.roi for d in result.raw], cfg.take)
        stats.frames_with_detection += bool(targets)
        if cfg.label is not None and targets and i % cfg.every == 0:
            said = save(frame, targets, cfg.label)
            if said:
                message, message_until = said, time.monotonic() + MESSAGE_S
        if show:
            shown = draw_overlay(frame.image, result.detections, result.numbers, fps=fps,
                                 quiet_labels=NO_GESTURE_LABELS)
            draw_capture_hud(shown, writer, keymap, targets,
                             message if time.monotonic() < message_until else "", cfg.label)
            key = display.show(shown, wait_ms=1)
            if getattr(display, "closed", False):
                break
            act = decide(key, keymap, bool(targets))
            if act.kind != "idle":
                stats.key_presses.append(act)
            if act.kind == "quit":
                break
            said = ""
            if act.kind == "save" and act.label is not None:
                said = save(frame, targets, act.label)
            elif act.kind == "no_detection":
                said = f"no {what} found: nothing saved as {act.label}"
            elif act.kind == "unknown":
                c = chr(act.key) if 32 < act.key < 127 else f"code {act.key}"
                said = f"key {c} does nothing; {describe_keys(keymap)}"
            if said:
                message, message_until = said, time.monotonic() + MESSAGE_S
        if done():
            break


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``edge-capture``; returns the exit status (0, 2 on error, 130 on Ctrl-C)."""
    cfg = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if cfg.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    stats = CaptureStats()
    return guarded_main(lambda: run_capture(cfg, stats), name="edge-capture",
                        frames=lambda: stats.frames, summary=lambda: _print_summary(stats),
                        interrupted="every sample listed above was written whole",
                        interrupts=_INTERRUPTS)


def _print_summary(stats: CaptureStats) -> None:
    for line in stats.summary():
        print(line)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
