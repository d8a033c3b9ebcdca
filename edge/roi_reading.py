"""A frame's ROIs read by the model, and digits the segmenter cut apart kept cut only when the model agrees.

:class:`Reading` holds a frame's ROIs preprocessed and classified as :meth:`edge.pipeline.Pipeline.process`
reads them; :func:`read_rois` makes one with a still pipeline's preprocessor and classifier (the still
checks, :mod:`edge.still_polarity`, :mod:`edge.still_closer`, :mod:`edge.still_pieces`, compare readings).

The digit finder cuts a candidate wider than a digit at the column that crosses the least ink
(:mod:`edge.segment.joined_digits`: digits written touching, a 5's tail running into the next 0). The
ink's shape alone cannot tell those from one wide digit (a 4 or a 0 drawn wide, a page squashed by a
camera looking down at a desk: a 4 read as "21" or "61"), so the finder only proposes the cut:
the ROIs of its parts carry the whole piece's box (:attr:`edge.types.ROI.whole`). :func:`choose_cuts`
reads each such whole as one more ROI and keeps the parts only when the model's top probability for
every part exceeds its top probability for the whole; otherwise the whole stands in their place (the
recognition-based segmentation of touching characters: the cut hypotheses judged by the classifier,
H. Fujisawa, Y. Nakano and K. Kurino, "Segmentation methods for character recognition: from segmentation
to document structure analysis", Proc. IEEE 80(7), 1992; R. G. Casey and E. Lecolinet, "A survey of
methods and strategies in character segmentation", IEEE PAMI 18(7), 1996). A whole is read only when
two or more of its parts reached the classifier with ink; a frame without a cut pays for a scan of its
ROIs' ``whole`` (the live loop: :func:`read_cuts`; a still's every reading: :func:`read_rois`). A cut
whose parts the model reads each surer than the whole stands, right or not: a "+3" still reads "73"
(the plus as a 7 at 0.46, the whole at 0.24).

Measured with the live pipeline on camera-like frames of MNIST test digits 70 px tall (three a frame):
widened 1.2x, 34 of 10,000 were read as two or more digits, 16 after (the rest are broken strokes and
specks, not cuts), read right 9,861 -> 9,880; widened 1.5x, 98 -> 16, read right 9,574 -> 9,669 (the
still pipeline, 3,000 digits: 1 -> 0 and 7 -> 0, read right 2,973 -> 2,974 and 2,910 -> 2,921). Of
2,000 pairs of MNIST test digits written touching (1-6 px of overlap), the finder cut 249: 208 pairs
were read right before, 201 after (7 pairs whose whole reads as its surer digit, a "21" read as a
"2" at 0.91 when its "1" was at 0.54); replacing the parts only when the whole beats the surer one
would lose 1 pair but keep 4 of the 47 widened 1.5x cuts of 3,000 digits, comparing the whole with the
parts' geometric mean 4 pairs and none. (Those counts are before the preprocessor read a cut part from
the ink on its side of the cut, :mod:`edge.preprocess.cut_ink`: until then a part whose ink was still
one piece with its neighbour's got no ink, and a pair overlapping 4 px or more read as nothing; now of
the 2,000 pairs 912 instead of 789 are read right, 58 instead of 168 as nothing, the finder's cuts
judged by the model 249 -> 442.) The demo's
3,000-frame videos of seeds 0-4: right, wrong and missed digits unchanged, extra 1,411 -> 1,410.
Synthetic pages (the still pipeline): numbers read exactly 97.11 -> 97.15 % (plain and lined), 98.59
-> 98.58 % (squared: a touching "10" whose "1" read at 0.66 is read whole, "0" at 0.93); the dev frames
and crops of ``benchmarks/realistic_digits.py`` and OpenCV's ``digits.png`` unchanged.

Cost: one more preprocess and classify call in a frame with a cut (live, CPU: median 0.31 ms, on the
28 of 500 frames of widened 1.5x MNIST digits that had one; 29 of the demo's 3,000 frames of seed 3).

Imports :mod:`edge.roi_inputs` (the ROIs' model inputs), :mod:`edge.runtime_ops` (the probabilities ->
label step) and :mod:`edge.types`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from edge.roi_inputs import ink_inputs
from edge.runtime_ops import top_predictions
from edge.types import ROI, Prediction

__all__ = ["Reading", "choose_cuts", "read_boxes", "read_cuts", "read_rois", "replaced"]


class Reading(NamedTuple):
    """One reading of a frame's ROIs, preprocessed and classified as
    :meth:`edge.pipeline.Pipeline.process` reads them (which takes a still segmenter's kept reading
    instead of reading them again).

    Attributes:
        found: the list of ROIs the segmenter's ``find`` returned (the pipeline checks it is the
            same object).
        rois: those of them with ink (the preprocessor's ``last_light`` not ``None``), in order.
        light: each of ``rois``' ink polarity as the preprocessor found it (True: light ink).
        probabilities: float32 (len(rois), C) class probabilities in [0, 1], in label order
            (averaged over the views); (0, 0) when no ROI has ink.
        predictions: the top-1 :class:`~edge.types.Prediction` of each of ``rois``.
    """

    found: list[ROI]
    rois: list[ROI]
    light: list[bool]
    probabilities: np.ndarray
    predictions: list[Prediction]


def read_rois(
    segmenter: Any, preprocessor: Any, classifier: Any, image: np.ndarray, rois: list[ROI]
) -> Reading:
    """``rois`` (found by ``segmenter`` in the uint8 (H, W, 3) BGR ``image``) preprocessed and
    classified as :meth:`edge.pipeline.Pipeline.process` reads them (:func:`edge.roi_inputs.ink_inputs`:
    from the segmenter's grey frame and analysis, the ROIs without ink dropped), by the still
    ``preprocessor`` and ``classifier`` (``predict`` and ``labels``); the parts of a cut whose whole
    the model reads at least as surely as one of them replaced by the whole (:func:`choose_cuts`:
    then ``found`` is a new list)."""
    inked, batch, light = ink_inputs(segmenter, preprocessor, image, rois)
    if batch is None or not len(batch):
        return Reading(rois, [], [], np.zeros((0, 0), np.float32), [])
    p = np.asarray(classifier.predict(batch), np.float32)
    reading = Reading(rois, inked, list(light), p, top_predictions(p, classifier.labels))
    return choose_cuts(reading, lambda wholes: read_rois(segmenter, preprocessor, classifier, image, wholes))


def read_cuts(
    segmenter: Any,
    preprocessor: Any,
    classifier: Any,
    image: np.ndarray,
    rois: list[ROI],
    light: Any,
    predictions: list[Prediction],
    bias: dict[ROI, float] | None = None,
) -> tuple[list[ROI], Any, list[Prediction]]:
    """The live pipeline's :func:`choose_cuts`: ``rois`` (with ink), their polarities and predictions
    as :meth:`edge.pipeline.Pipeline.process` made them (:func:`edge.roi_inputs.ink_inputs`, then
    ``classifier.classify``), each whole read the same way (one more preprocess and classify call,
    only in a frame with a cut); ``bias`` as :func:`choose_cuts`'.

    Returns:
        (ROIs, polarities (``light`` itself when it is not a list), predictions), the parts of a cut
        the model does not read surer than its whole replaced by the whole.
    """

    read = functools.partial(read_boxes, segmenter, preprocessor, classifier, image)
    got = choose_cuts(_reading(rois, rois, light, predictions), read, bias)
    return got.rois, got.light if isinstance(light, list) else light, got.predictions


def read_boxes(
    segmenter: Any, preprocessor: Any, classifier: Any, image: np.ndarray, boxes: list[ROI]
) -> Reading:
    """``boxes`` of the uint8 (H, W, 3) BGR ``image`` read as :meth:`edge.pipeline.Pipeline.process`
    reads ROIs (:func:`edge.roi_inputs.ink_inputs`, then ``classifier.classify``): a :class:`Reading`
    whose ``found`` is ``boxes`` and ``rois`` those with ink (the same objects; polarities all False
    when the preprocessor gives no list of them)."""
    inked, batch, lit = ink_inputs(segmenter, preprocessor, image, boxes)
    preds = classifier.classify(batch) if batch is not None and len(batch) else []
    return _reading(boxes, inked, lit, preds)


def _reading(found: list[ROI], rois: list[ROI], light: Any, preds: list[Prediction]) -> Reading:
    """A :class:`Reading` of classified ROIs (each prediction's ``scores`` its probabilities)."""
    p = np.stack([q.scores for q in preds]).astype(np.float32) if preds else np.zeros((0, 0), np.float32)
    return Reading(found, rois, list(light) if isinstance(light, list) else [False] * len(rois), p, preds)


def choose_cuts(
    reading: Reading, read: Callable[[list[ROI]], Reading], bias: dict[ROI, float] | None = None
) -> Reading:
    """``reading`` with the parts of each cut (ROIs sharing one :attr:`~edge.types.ROI.whole`, two or
    more of them in ``reading.rois``) replaced by the whole when the model's top probability for the
    whole, plus the whole's ``bias`` (0 when none), is at least that of one of its parts (module doc).

    Args:
        reading: a frame's reading.
        read: reads a list of boxes of the same frame the same way (its ``rois`` are those of the
            boxes with ink, the same objects).
        bias: per whole, a number in [-1, 1] added to the whole's top probability before the
            comparison (the live loop's hysteresis, :mod:`edge.cut_memory`); None: no bias.

    Returns:
        ``reading`` itself when the frame has no cut or every cut is kept; else :func:`replaced`.
    """
    parts: dict[ROI, list[int]] = {}
    for i, r in enumerate(reading.rois):
        if r.whole is not None:
            parts.setdefault(r.whole, []).append(i)
    wholes = [w for w, idx in parts.items() if len(idx) >= 2]
    if not wholes:
        return reading
    again = read(wholes)
    row = {id(r): k for k, r in enumerate(again.rois)}
    top = reading.probabilities.max(axis=1)
    taken: dict[int, int] = {}
    for w in wholes:
        k = row.get(id(w))
        b = bias.get(w, 0.0) if bias else 0.0
        if k is not None and float(again.probabilities[k].max()) + b >= float(top[parts[w]].min()):
            taken.update(dict.fromkeys(parts[w], k))
    return replaced(reading, again, taken) if taken else reading


def replaced(reading: Reading, again: Reading, taken: dict[int, int]) -> Reading:
    """``reading`` with groups of its ROIs replaced by one ROI of ``again`` each.

    Args:
        reading: a frame's reading.
        again: the reading of the replacing boxes (same frame, same way).
        taken: index into ``reading.rois`` -> index into ``again.rois`` of the box that replaces it
            (several ROIs may map to one box).

    Returns:
        A new reading: ``found`` a new list (each box in place of its first ROI there, its other
        ROIs gone), and ink ROIs, polarities, probabilities and predictions following it.
    """
    first: dict[int, int] = {}  # box -> the index of its first ROI
    for i in sorted(taken):
        first.setdefault(taken[i], i)
    at = {id(reading.rois[i]): k for k, i in first.items()}
    gone = {id(reading.rois[i]) for i in taken}
    found = [
        again.rois[at[id(r)]] if id(r) in at else r for r in reading.found if id(r) in at or id(r) not in gone
    ]
    rows = [
        (again, taken[i]) if i in taken else (reading, i)
        for i in range(len(reading.rois))
        if i not in taken or first[taken[i]] == i
    ]
    return Reading(
        found,
        [r.rois[k] for r, k in rows],
        [r.light[k] for r, k in rows],
        np.stack([r.probabilities[k] for r, k in rows]).astype(np.float32),
        [r.predictions[k] for r, k in rows],
    )
