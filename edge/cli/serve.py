"""``edge-serve``: ``edge-run`` with the web view on (``127.0.0.1:8080``) and no window.

``edge-serve`` takes every ``edge-run`` option; ``--serve`` defaults to
``127.0.0.1:8080`` and the run is headless unless ``--display`` is given. The web view
itself is :mod:`edge.sinks.web`.
"""

from __future__ import annotations

import sys

from edge.cli import run
from edge.sinks.web import DEFAULT_HOST, DEFAULT_PORT


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``edge-serve``; returns the exit status (0, 2 on error, 130 on Ctrl-C)."""
    return run.main(argv, prog="edge-serve", serve_default=f"{DEFAULT_HOST}:{DEFAULT_PORT}")


if __name__ == "__main__":
    sys.exit(main())
