"""A Ctrl-C while a command-line tool is still starting prints one line, not a traceback.

Importing numpy, OpenCV and the TFLite runtime takes from half a second to several
seconds (on a Pi, or a busy machine); a ``KeyboardInterrupt`` raised then escapes every
``try`` of the tool, and Python prints its traceback. :func:`quiet_keyboard_interrupt`
replaces that traceback with ``interrupted`` (the process still ends as killed by SIGINT,
status 130 in a shell). It is called by :mod:`edge`'s ``__init__`` before anything heavy
is imported, and acts only when a tool is starting (``edge-*`` console scripts,
``python -m edge...``); a program that imports :mod:`edge` as a library keeps Python's
own behaviour.

Imports only the standard library.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType


def launched_as_a_tool(argv0: str | None = None) -> bool:
    """Whether this process is one of our command-line tools.

    ``argv0`` (default ``sys.argv[0]``) is ``-m`` while ``python -m edge...`` locates the
    module, an ``edge-*`` console script, or ``edge/__main__.py``.
    """
    if argv0 is None:
        argv0 = sys.argv[0] if sys.argv else ""
    path = Path(argv0)
    return argv0 == "-m" or path.name.startswith("edge-") or path.parts[-2:] == ("edge", "__main__.py")


def quiet_keyboard_interrupt() -> bool:
    """Print ``interrupted`` instead of a traceback for a ``KeyboardInterrupt`` nothing caught.

    Only in a tool (:func:`launched_as_a_tool`) and only if ``sys.excepthook`` is still
    Python's own. Other exceptions go to the previous hook unchanged.

    Returns:
        Whether the hook was installed.
    """
    if not launched_as_a_tool() or sys.excepthook is not sys.__excepthook__:
        return False
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            print("interrupted", file=sys.stderr)
            return
        previous(kind, value, tb)

    sys.excepthook = hook
    return True
