"""Digits drawn with strokes as wide as the paper estimate's kernel (a close-up of a marker digit).

The digit finder's paper estimate is a grey closing (:mod:`edge.segment.flat_field`) of
at most ``max_background`` analysis px (48 px at the 320-px analysis of a 640x480 frame).
A stroke about that wide, or a junction of strokes (the crossing of a 4 or a 7 drawn with
a fat marker close to the camera), is taken for paper there: the digit's ink breaks into
its arms, each a box of its own, and the most confident of those fragments is what the
user sees (``benchmarks.realistic_digits`` frames: a 4 read as 0, a 7 as 0 or 8, while a
crop of the same digit reads right). With a kernel twice as wide the strokes are ink
again and the arms one digit. :func:`wants_wider_look` says when that look is worth its
cost (two or more boxes, one of them with strokes at least 0.4 of the kernel wide:
only a close-up of a marker digit has strokes that wide); :func:`joined_fragments` puts
the wider look's digits in place of the fragments each holds, and leaves every other box
as the first look found it. The segmenter takes that look only on the boxes of its first
pass's own image (not those of a finer or a 4x look), with a scene memory and a page ruling
of its own (:func:`wider_paper`): a still close-up keeps and reuses its scene as any other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from edge.segment.digit_reuse import SceneMemory
from edge.segment.digit_ruling import PageRuling

#: Strokes at least this share of the paper kernel wide are fat (a pen's are a tenth of it
#: or less, a fat marker's on a digit filling the frame a third to two thirds). At 0.25 the
#: ``demo`` scene's large pen digits and a finger in shadow (0.25-0.36) took the look on 65 of
#: 500 frames at 8-10 ms each and it changed one; at 0.4 on one frame, and the dev frames of
#: ``benchmarks.realistic_digits`` (seeds 21/22/23) lose one of the three it had fixed there.
FAT = 0.4
#: Least share of a box's area inside a wider look's box for it to be one of its fragments.
INSIDE = 0.8


def wants_wider_look(boxes: np.ndarray, kernel: int) -> bool:
    """Whether a frame's digit boxes may be the fragments of a fat-stroked digit.

    Args:
        boxes: float (M, >= 5) boxes x0, y0, x1, y1, ink area, analysis px.
        kernel: the paper estimate's kernel side, analysis px.

    Returns:
        True for two or more boxes, one of them with strokes at least :data:`FAT` x
        ``kernel`` wide (ink area / (width + height), about a stroke's width for a digit).
    """
    if len(boxes) < 2:
        return False
    fat = FAT * kernel
    # (plain Python: a frame has a few boxes, and numpy's cost per call outweighs the arithmetic)
    return any(a >= fat * max(x1 - x0 + y1 - y0, 1.0) for x0, y0, x1, y1, a in boxes[:, :5].tolist())


@contextlib.contextmanager
def wider_paper(segmenter: Any) -> Iterator[None]:
    """Inside the block, the segmenter's ``config`` (a
    :class:`~edge.segment.digit_config.DigitSegmenterConfig`) has a paper kernel twice as
    wide (``background`` and ``max_background``), and its scene memory and page ruling are
    fresh ones: the wider look neither reuses nor keeps a scene (the frame's kept scene, its
    pass count and its ``end`` check are the first look's) and starts from no ruling. All
    three are restored after, and so are the last analysis's ink and image (``_ink``,
    ``_grey``: the preprocessing reads the first look's ink).

    Args:
        segmenter: a :class:`~edge.segment.digits.DigitSegmenter` (``config``, ``memory``,
            ``ruling``, ``_ink`` and ``_grey`` attributes).
    """
    before = segmenter.config, segmenter.memory, segmenter.ruling
    ink = segmenter._ink, segmenter._grey
    try:
        cfg = before[0]
        segmenter.config = replace(cfg, background=2 * cfg.background, max_background=2 * cfg.max_background)
        segmenter.memory, segmenter.ruling = SceneMemory(segmenter.config), PageRuling()
        yield
    finally:
        segmenter.config, segmenter.memory, segmenter.ruling = before
        segmenter._ink, segmenter._grey = ink


def joined_fragments(boxes: np.ndarray, wide: np.ndarray) -> np.ndarray:
    """``boxes`` with the fragments of one digit replaced by the wider look's box that holds them.

    A box of ``wide`` replaces the boxes it holds (each with at least :data:`INSIDE` of its
    area inside it) when it holds two or more of them; the other boxes stay.

    Args:
        boxes: float (M, C) the first look's boxes (x0, y0, x1, y1 first), analysis px.
        wide: float (K, C) the wider look's boxes in the same image.

    Returns:
        float (M', C) boxes (``boxes`` itself when nothing is replaced).
    """
    if not len(boxes) or not len(wide):
        return boxes
    w = np.maximum(boxes[:, 2] - boxes[:, 0], 1e-6)
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-6)
    keep = np.ones(len(boxes), bool)
    added = []
    for c in wide:
        iw = np.clip(np.minimum(boxes[:, 2], c[2]) - np.maximum(boxes[:, 0], c[0]), 0, None)
        ih = np.clip(np.minimum(boxes[:, 3], c[3]) - np.maximum(boxes[:, 1], c[1]), 0, None)
        held = keep & (iw * ih >= INSIDE * w * h)
        if held.sum() >= 2:
            keep &= ~held
            added.append(c)
    if not added:
        return boxes
    return np.vstack([boxes[keep], np.array(added)])
