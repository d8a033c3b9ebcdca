"""``python -m benchmarks`` is ``edge-bench``."""

import sys

from benchmarks.cli import main

sys.exit(main())
