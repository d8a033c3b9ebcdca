"""``edge-capture``: save your own labelled digits or hand gestures from the live loop.

Examples::

    edge-capture --out my_digits                         # webcam, window: press 0-9 to save
    edge-capture --model hands --out my_hands --session alice   # r/p/s/n: rock/paper/scissors/none
    edge-capture --model hands-lenet --segmenter background --out my_crops   # small CNN's 64x64 inputs
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
  the preprocessor made (28x28 grey, white ink on black, for digits; ``hands-lenet``'s
  64x64 colour crop), the folder ``edge-train`` reads; for ``--model hands`` (landmarks,
  whose input is not an image) the hand photo: the frame around the hand's landmark box
  grown by 30% of its longer side per side, which ``edge-train landmarks`` and
  ``edge-eval --crop`` read (the hand tracker finds the hand in it again);
- ``DIR-raw/<label>/<session>__00001.png`` (``--raw-out``): the raw crop of the original
  frame with the preprocessor's margin, a photo folder for ``edge-eval --images ... --crop``
  (``--model hands``: the whole frame, for ``edge-eval --frame``).

Existing files are never overwritten: numbering continues after the session's highest.
Ctrl-C (or SIGTERM) stops between two samples, so no file is half-written, and the
summary says what was saved.

Exit status: 0 done, 2 error (``error: ...`` with what to do), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys

from edge.capture import TAKE_MODES, CaptureConfig, CaptureStats, run_capture
from edge.cli.common import (
    HelpFormatter,
    guarded_main,
    positive_float,
    positive_int,
    setup_logging,
    unit_float,
)
from edge.live import DEFAULT_HAND_SEGMENTER, DEFAULT_SOURCE, HAND_SEGMENTERS
from edge.runtime import RUNTIMES


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edge-capture",
        description="Save your own labelled samples (the normalised model input and the raw crop) "
        "from a camera, a video or images, for retraining.",
        epilog="keys: a label's first character saves the current detection as that label "
        "(0-9; r/p/s/n for rock/paper/scissors/none); q/Esc quit. Ctrl-C stops and prints "
        "what was saved.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "--model",
        default="digits",
        help="bundle folder, its model.tflite, or a shipped name (digits, hands): its "
        "labels, input size and preprocessing decide what is saved",
    )
    p.add_argument(
        "--source",
        default=None,
        help="0 / webcam:N (camera), picamera, a video or image file, an image folder, "
        "a stream URL, demo or demo-hands; default: "
        f"{DEFAULT_SOURCE} (the first webcam)",
    )
    p.add_argument(
        "--out",
        default="captures",
        metavar="DIR",
        help="capture folder: normalised samples go to DIR/<label>/<session>__<n>.png",
    )
    p.add_argument(
        "--raw-out",
        metavar="DIR",
        help="folder for the raw crops (RAW/<label>/<session>__<n>.png); default: <out>-raw beside --out",
    )
    p.add_argument("--no-raw", action="store_true", help="save no raw crops")
    p.add_argument(
        "--session",
        help="file-name prefix grouping this session's samples (letters, "
        "digits, . _ -); default: s<date>-<time>",
    )
    p.add_argument(
        "--label",
        help="save every detection as this label automatically (headless "
        "capture from a video or image folder); must be one of the model's labels",
    )
    p.add_argument(
        "--every",
        type=positive_int,
        default=1,
        help="with --label: save from every N-th frame only (frames 0, N, 2N, ...; "
        "frames without a detection are skipped)",
    )
    p.add_argument("--count", type=positive_int, help="stop after saving N samples")
    p.add_argument(
        "--take",
        choices=TAKE_MODES,
        default="largest",
        help="which detections of a frame to save: the largest ROI, or all of them",
    )
    p.add_argument(
        "--keys",
        metavar="K=LABEL,...",
        help="keys for labels whose first characters collide or are q, e.g. "
        "--keys r=rock,p=paper,s=scissors,n=none",
    )
    p.add_argument(
        "--segmenter",
        choices=HAND_SEGMENTERS,
        default=None,
        help=f"hands-lenet (small CNN): how the hand is found (default {DEFAULT_HAND_SEGMENTER}); "
        "--model hands finds hands by their landmarks",
    )
    p.add_argument("--threads", type=positive_int, help="interpreter CPU threads")
    p.add_argument("--runtime", choices=RUNTIMES, default="auto", help="TFLite runtime")
    p.add_argument(
        "--no-smoothing",
        dest="smoothing",
        action="store_false",
        help="show each frame's raw predictions (what is saved does not change)",
    )
    p.add_argument(
        "--min-score",
        type=unit_float,
        default=None,
        help="hide predictions scoring below this on screen (detections are saved "
        "whatever the model says); default: the bundle's min_score",
    )
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
    disp.add_argument(
        "--headless", dest="display", action="store_const", const=False, help="no window (needs --label)"
    )
    p.add_argument("--max-frames", type=positive_int, help="stop after N frames")
    p.add_argument("--loop", action="store_true", help="restart video files and folders at the end")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    return p


def parse_args(argv: list[str] | None = None) -> CaptureConfig:
    a = build_parser().parse_args(argv)
    return CaptureConfig(
        model=a.model,
        source=a.source,
        out=a.out,
        raw_out=a.raw_out,
        no_raw=a.no_raw,
        session=a.session,
        label=a.label,
        every=a.every,
        count=a.count,
        take=a.take,
        keys=a.keys,
        segmenter=a.segmenter,
        threads=a.threads,
        runtime=a.runtime,
        smoothing=a.smoothing,
        min_score=a.min_score,
        width=a.width,
        height=a.height,
        fps=a.fps,
        display=a.display,
        max_frames=a.max_frames,
        loop=a.loop,
        verbose=a.verbose,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``edge-capture``; returns the exit status (0, 2 on error, 130 on Ctrl-C)."""
    cfg = parse_args(argv)
    setup_logging(cfg.verbose)
    stats = CaptureStats()
    return guarded_main(
        lambda: run_capture(cfg, stats),
        name="edge-capture",
        frames=lambda: stats.frames,
        summary=lambda: print_summary(stats),
        interrupted="every sample listed above was written whole",
    )


def print_summary(stats: CaptureStats) -> None:
    """Print :meth:`edge.capture.CaptureStats.summary`."""
    for line in stats.summary():
        print(line)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
