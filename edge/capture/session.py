"""A capture session: :func:`run_capture` runs the live loop (:func:`edge.live.run`) and
saves the detections a key press (or ``--label``) asks for, as ``edge-capture`` does.

Imports :mod:`edge.live`, :mod:`edge.sinks` and the other :mod:`edge.capture` modules.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge.capture.crops import RecordingPreprocessor, choose_rois, hand_photo, raw_crop
from edge.capture.hud import draw_capture_hud
from edge.capture.keys import KeyAction, decide, describe_keys, key_map, parse_keys
from edge.capture.samples import SampleWriter, check_session, default_session
from edge.live import (
    DEFAULT_SOURCE,
    INTERRUPTS,
    Command,
    camera_hint,
    make_pipeline,
    open_source,
    run,
)
from edge.sinks import DisplaySink, LiveFrame, NullDisplay, display_available
from edge.types import ROI, Frame

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
        out.append(
            f"{self.frames} frame{'' if self.frames == 1 else 's'}, "
            f"{self.frames_with_detection} with a detection"
        )
        if self.frames and not self.frames_with_detection:
            from edge.sources import DEMO_BY_TASK

            what = "hand" if self.task == "hands" else "digit"
            out.append(
                f"no {what} was found in any frame: check that the source shows one (without a "
                f"camera, try --source {DEMO_BY_TASK.get(self.task, 'demo')})"
            )
        if self.skipped_blank:
            out.append(
                f"{self.skipped_blank} detection(s) not saved: the preprocessor found nothing "
                "in them (blank model input)"
            )
        if self.writer is not None:
            out.extend(self.writer.summary())
        return out


def no_keys_message(why: str) -> str:
    """The error of an interactive capture without a window."""
    return (
        f"{why}, so no key can be pressed to save a sample: pass --label LABEL to save every "
        "detection as LABEL (e.g. --source clip.mp4 --label 3 --every 5 --count 200)"
    )


def run_capture(
    cfg: CaptureConfig,
    stats: CaptureStats | None = None,
    *,
    pipeline: Any = None,
    source: Any = None,
    display: Any = None,
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
            raise ValueError(
                f"--display asked for a window but {why}; capture without one: --headless --label LABEL"
            )
        show = ok
        if not show and cfg.label is None:
            raise ValueError(
                no_keys_message(why if cfg.display is False else f"no window can be opened ({why})")
            )
    else:
        show = True
    if pipeline is None:
        pipeline = make_pipeline(
            cfg.model,
            segmenter=cfg.segmenter,
            threads=cfg.threads,
            runtime=cfg.runtime,
            smoothing=cfg.smoothing,
            min_score=cfg.min_score,
            source=cfg.source,
            views=False,  # the samples saved are the model inputs of one read, as the live loop's
        )
    bundle = getattr(pipeline.classifier, "bundle", None)
    if bundle is None:
        raise ValueError("edge-capture needs a classifier with a model bundle (its labels and input spec)")
    labels = tuple(getattr(pipeline.classifier, "labels", None) or bundle.labels)
    if cfg.label is not None and cfg.label not in labels:
        raise ValueError(
            f"--label {cfg.label!r} is not a label of {bundle.name}: use one of "
            f"{', '.join(labels)} (or --model with a bundle that has it)"
        )
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
            display = stack.enter_context(
                DisplaySink(f"edge-capture: {stats.source_name}") if show else NullDisplay()
            )
        if show:
            print(f"keys: {describe_keys(keymap)}", file=sys.stderr)
        control = CaptureControl(cfg, stats, recorder, writer, keymap, display, show)
        run(source, pipeline, max_frames=cfg.max_frames, control=control)
    return stats


class CaptureControl:
    """The live loop's ``control`` during a capture: after each frame, count it, save what
    ``--label`` or a key asks for, show the frame with the capture HUD; quit on q/Esc,
    a closed window or ``--count`` samples saved."""

    def __init__(
        self,
        cfg: CaptureConfig,
        stats: CaptureStats,
        recorder: RecordingPreprocessor,
        writer: SampleWriter,
        keymap: dict[int, str],
        display: Any,
        show: bool,
    ) -> None:
        self.cfg, self.stats, self.recorder, self.writer = cfg, stats, recorder, writer
        self.keymap, self.display, self.show = keymap, display, show
        self.message, self.message_until = "", 0.0
        self.what = "hand" if stats.task == "hands" else "digit"

    def done(self) -> bool:
        return self.cfg.count is not None and self.writer.total_saved >= self.cfg.count

    def save(self, frame: Frame, rois: list[ROI], label: str) -> str:
        said = ""
        for roi in rois:
            if self.done():
                break
            if self.writer.spec.is_vector:  # hand-landmarks: save the hand photo, not the features
                x = hand_photo(frame.image, roi)
            else:
                x = self.recorder.input_for(frame.image, roi)
            if x.size == 0 or float(x.max()) == float(x.min()):
                self.stats.skipped_blank += 1
                said = f"nothing in the {self.what} box: not saved"
                continue
            crop = raw_crop(frame.image, roi, self.recorder.inner)
            with INTERRUPTS.deferred():  # a sample and its raw crop: both or neither
                s = self.writer.save(label, x, crop)
            said = f"saved {label}: {s.sample}"
            if self.show:
                print(said, file=sys.stderr)
        return said

    def _say(self, said: str) -> None:
        if said:
            self.message, self.message_until = said, time.monotonic() + MESSAGE_S

    def __call__(self, last: LiveFrame | None, paused: bool) -> Command | None:
        if last is None:
            return Command.QUIT
        cfg, stats, result = self.cfg, self.stats, last.result
        i = stats.frames
        stats.frames += 1
        targets = choose_rois([d.roi for d in result.raw], cfg.take)
        stats.frames_with_detection += bool(targets)
        if cfg.label is not None and targets and i % cfg.every == 0:
            self._say(self.save(result.frame, targets, cfg.label))
        if self.show:
            shown = draw_capture_hud(
                last.overlay().copy(),
                self.writer,
                self.keymap,
                targets,
                self.message if time.monotonic() < self.message_until else "",
                cfg.label,
            )
            key = self.display.show(shown, wait_ms=1)
            if getattr(self.display, "closed", False):
                return Command.QUIT
            act = decide(key, self.keymap, bool(targets))
            if act.kind != "idle":
                stats.key_presses.append(act)
            if act.kind == "quit":
                return Command.QUIT
            said = ""
            if act.kind == "save" and act.label is not None:
                said = self.save(result.frame, targets, act.label)
            elif act.kind == "no_detection":
                said = f"no {self.what} found: nothing saved as {act.label}"
            elif act.kind == "unknown":
                c = chr(act.key) if 32 < act.key < 127 else f"code {act.key}"
                said = f"key {c} does nothing; {describe_keys(self.keymap)}"
            self._say(said)
        return Command.QUIT if self.done() else None
