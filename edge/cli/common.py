"""What the command-line tools share: the ``--help`` formatter, argparse value types
(``--serve [HOST:]PORT``, positive numbers) and :func:`guarded_main`, which turns a run's
outcome into an exit status (0 done, 2 error, 3 source lost, 130 interrupted).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from edge.bundle import BundleError
from edge.datasets import DatasetError
from edge.live.signals import INTERRUPTS, Interrupts
from edge.segment.ink import POLARITIES
from edge.sinks.web.address import parse_hostport
from edge.sources.base import SourceLost

log = logging.getLogger(__name__)

#: Exit status when the body finished (a file or folder ended, ``--max-frames``, a quit key).
EXIT_OK = 0
#: Exit status of an error (bad option, missing model, a camera that cannot be opened ...).
EXIT_ERROR = 2
#: Exit status when a source that delivered frames was lost (:class:`edge.sources.SourceLost`):
#: camera unplugged, stream dropped or stalled, video file truncated. A service manager
#: restarts on it (systemd ``Restart=on-failure``; ``RestartPreventExitStatus=2`` keeps
#: configuration errors from looping).
EXIT_SOURCE_LOST = 3
#: Exit status after Ctrl-C or SIGTERM (128 + SIGINT).
EXIT_INTERRUPTED = 130


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: ...)`` only where a default means something.

    Flags (``--headless``, ``--json``, an off switch such as ``--quiet``) and options whose
    default is ``None`` ("not set", explained in their help) get no ``(default: None)`` /
    ``(default: False)`` / ``(default: True)``; an ``--x/--no-x`` pair
    (``argparse.BooleanOptionalAction``) keeps its default.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        switch = action.nargs == 0 and not isinstance(action, argparse.BooleanOptionalAction)
        if action.default is None or switch:
            return action.help
        return super()._get_help_string(action)


def positive_int(s: str) -> int:
    """argparse ``type``: an integer >= 1."""
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def non_negative_int(s: str) -> int:
    """argparse ``type``: an integer >= 0."""
    v = int(s)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def positive_float(s: str) -> float:
    """argparse ``type``: a number > 0."""
    v = float(s)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {v}")
    return v


def unit_float(s: str) -> float:
    """argparse ``type``: a number in [0, 1]."""
    v = float(s)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {v}")
    return v


def add_polarity_arg(p: argparse.ArgumentParser) -> None:
    """``--polarity auto|dark|light``: the ink's polarity of digits (``edge-run``, ``edge-eval``)."""
    p.add_argument(
        "--polarity",
        choices=POLARITIES,
        default=None,
        help="digits: the ink's polarity: dark (ink on paper), light (chalk, white marker, "
        "inverted scans, MNIST-style files) or auto (decided per digit; in --crop mode an image "
        "already in MNIST's white-on-black form is taken as a model input as it is). Default: "
        "auto in --crop mode; in frames the digit segmenter's own setting, which the "
        "normalisation of the digits it finds follows",
    )


def add_views_arg(p: argparse.ArgumentParser, stills: str) -> None:
    """``--views on|off``: test-time views of still digit images (``edge-run``, ``edge-eval``).

    Args:
        p: the CLI's parser.
        stills: what this CLI reads as still images, for the help text (e.g. ``"--crop,
            --frame and --pages"``).
    """
    p.add_argument(
        "--views",
        choices=("on", "off"),
        default="on",
        help=f"digits in still images ({stills}): read each digit a few ways and average "
        "the class probabilities (edge.still_views: slower per digit, a little more accurate); "
        "off: one read per digit, as the live video loop. Videos and cameras never take views",
    )


def hostport_arg(text: str) -> tuple[str, int]:
    """argparse ``type`` for ``--serve``: :func:`edge.sinks.web.parse_hostport` with its message kept."""
    try:
        return parse_hostport(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def setup_logging(verbose: bool) -> None:
    """Debug logging with ``-v``, else warnings only, as every tool logs."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def guarded_main(
    body: Callable[[], Any],
    *,
    name: str,
    frames: Callable[[], int],
    summary: Callable[[], None],
    interrupted: str | Callable[[], str],
    interrupts: Interrupts | None = None,
) -> int:
    """Run a command's ``body`` with SIGINT/SIGTERM held back during writes
    (:class:`edge.live.Interrupts`) and turn its outcome into an exit status, as
    ``edge-run`` and ``edge-capture`` report it.

    Args:
        body: the command's work.
        name: the command, for the debug log.
        frames: how many frames were processed so far (a summary is printed after an
            error only when this is > 0).
        summary: prints the end-of-run summary.
        interrupted: what the user is told after Ctrl-C, after ``"interrupted: "`` (or a
            callable that says it then; an empty text prints ``"interrupted"`` alone).
        interrupts: the signal handler the command's writes defer to (default:
            :data:`edge.live.INTERRUPTS`, the live loop's).

    Returns:
        0 when ``body`` returns, 130 on Ctrl-C/SIGTERM, 3 on
        :class:`edge.sources.SourceLost`, 2 on ``BundleError``, ``DatasetError``,
        ``ValueError``, ``RuntimeError`` or ``OSError`` (the message goes to stderr as
        ``error: ...``; a summary first when frames were processed).
    """
    sig = interrupts or INTERRUPTS
    sig.install()
    try:
        body()
    except KeyboardInterrupt:
        summary()
        said = interrupted() if callable(interrupted) else interrupted
        print(f"interrupted: {said}" if said else "interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SourceLost as e:
        log.debug("%s: source lost", name, exc_info=True)
        if frames():
            summary()
        print(f"error: source lost: {e}", file=sys.stderr)
        return EXIT_SOURCE_LOST
    except (BundleError, DatasetError, ValueError, RuntimeError, OSError) as e:
        log.debug("%s failed", name, exc_info=True)
        if frames():
            summary()
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        sig.restore()
    summary()
    return EXIT_OK
