"""``python -m train`` is ``edge-train``."""

import sys

from train.cli import main

sys.exit(main())
