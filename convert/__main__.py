"""``python -m convert`` is ``edge-convert``."""

import sys

from convert.cli import main

sys.exit(main())
