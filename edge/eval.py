"""``python -m edge.eval``: the same as ``edge-eval`` (see :mod:`edge.cli_eval`)."""

import sys

from edge.cli_eval import main

if __name__ == "__main__":
    sys.exit(main())
