"""The ``--help`` formatter shared by the command-line tools."""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: ...)`` only where a default means something.

    Flags (``--headless``, ``--json``) and options whose default is ``None`` ("not
    set", explained in their help) get no ``(default: None)`` / ``(default: False)``.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.nargs == 0:
            return action.help
        return super()._get_help_string(action)
