"""Temporary re-export of :mod:`edge.segment.digits` for modules not yet moved
(benchmarks/realistic_digits.py); the lead removes it after the layout branches are merged."""

from edge.segment.digits import DigitSegmenter, DigitSegmenterConfig
from edge.segment.numbers import group_numbers, reading_order

__all__ = ["DigitSegmenter", "DigitSegmenterConfig", "group_numbers", "reading_order"]
