"""Temporary re-export of :mod:`edge.segment.hands` for modules not yet moved (edge/cli_run.py,
edge/cli_eval.py); the lead removes it after the layout branches are merged."""

from edge.segment.hands import SEGMENTERS, make_hand_segmenter

__all__ = ["SEGMENTERS", "make_hand_segmenter"]
