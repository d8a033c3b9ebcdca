"""``python -m edge``: the same as ``edge-run`` (see :mod:`edge.cli_run`)."""

import sys

from edge.cli_run import main

if __name__ == "__main__":
    sys.exit(main())
