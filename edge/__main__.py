"""``python -m edge``: the same as ``edge-run`` (see :mod:`edge.cli.run`)."""

import sys

from edge.cli.run import main

if __name__ == "__main__":
    sys.exit(main())
