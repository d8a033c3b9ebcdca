"""The live loop holds last frame's cut decisions (edge.cut_memory): a touching pair that the finder
cuts in one frame and not in the next, or whose parts and whole read about as surely, is shown one
way, not flickering between the whole and its parts."""

from __future__ import annotations

import numpy as np
import pytest

from edge.pipeline import Pipeline
from edge.runtime_ops import top_predictions
from edge.track import TrackSmoother
from edge.types import ROI, Frame, Prediction

LABELS = [str(d) for d in range(10)]
IMAGE = np.zeros((240, 320, 3), np.uint8)
WHOLE = ROI(100, 50, 150, 90)  # a touching pair's piece of ink, frame px


def _parts(dx: int = 0) -> list[ROI]:
    """The finder's cut of the piece moved ``dx`` px: its left and right parts, marked with it."""
    whole = ROI(WHOLE.x + dx, WHOLE.y, WHOLE.w, WHOLE.h)
    return [ROI(100 + dx, 50, 70, 90, whole=whole), ROI(172 + dx, 52, 78, 88, whole=whole)]


class _Preprocessor:
    """One row per ROI: its box (every ROI dark ink)."""

    def __call__(self, image: np.ndarray, rois: list[ROI]) -> np.ndarray:
        self.last_light = [False] * len(rois)
        return np.array([r.as_list() for r in rois], np.float32).reshape(-1, 4)


class _Classifier:
    """Reads a box wider than 120 px (the whole) as ``whole``, one at most 45 px wide as ``narrow``,
    one left of x 150 as ``left``, else as ``right``: (digit, top probability), the scores of the
    frame set in :attr:`frame` (cycled)."""

    labels = LABELS

    def __init__(
        self,
        whole: list[tuple[int, float]],
        left: list[tuple[int, float]],
        right: list[tuple[int, float]],
        narrow: list[tuple[int, float]] | None = None,
    ) -> None:
        self.reads, self.frame = (whole, narrow or [], left, right), 0

    def classify(self, batch: np.ndarray) -> list[Prediction]:
        p = np.zeros((len(batch), 10), np.float32)
        for i, (x, _, w, _) in enumerate(batch.astype(int)):
            which = self.reads[0 if w > 120 else 1 if w <= 45 else 2 if x < 150 else 3]
            d, s = which[self.frame % len(which)]
            p[i, d], p[i, (d + 1) % 10] = s, 1.0 - s
        return top_predictions(p, LABELS)


class _Segmenter:
    """Finds ``frames[i]`` in the i-th frame."""

    last_grey = last_analysis = None

    def __init__(self, frames: list[list[ROI]]) -> None:
        self.frames, self.i = frames, 0

    def find(self, image: np.ndarray) -> list[ROI]:
        rois = self.frames[self.i % len(self.frames)]
        self.i += 1
        return rois


def _shown(frames: list[list[ROI]], clf: _Classifier, n: int = 12, smoothing: bool = True) -> list[str]:
    """The labels the live pipeline shows in each of ``n`` frames, left to right."""
    smoother = TrackSmoother(window=5, labels=LABELS) if smoothing else None
    pipe = Pipeline(_Segmenter(frames), _Preprocessor(), clf, smoother=smoother)  # type: ignore[arg-type]
    out = []
    for i in range(n):
        clf.frame = i
        dets = pipe.process(Frame(IMAGE, i / 30, i)).detections
        out.append("".join(d.prediction.label for d in sorted(dets, key=lambda d: d.roi.x)))
    return out


def test_a_pair_cut_every_other_frame_is_shown_cut_once_its_parts_were_read_surer() -> None:
    """A "35" whose piece the finder cuts only in odd frames (jitter): the parts (0.98, 0.97) are
    surer than the whole "5" (0.60), so from the first cut on the pair is shown "35", the uncut
    frames reading last frame's parts, moved 1 px with the piece, from their own pixels."""
    clf = _Classifier(whole=[(5, 0.60)], left=[(3, 0.98)], right=[(5, 0.97)])
    moved = ROI(WHOLE.x + 1, WHOLE.y, WHOLE.w, WHOLE.h)
    shown = _shown([[WHOLE], _parts(), [moved], _parts(1)], clf)
    assert shown == ["5"] + ["35"] * 11
    # unsmoothed (a still pipeline), every frame is judged alone, as before
    assert _shown([[WHOLE], _parts(), [moved], _parts(1)], clf, smoothing=False) == ["5", "35"] * 6


def test_parts_and_whole_read_about_as_surely_are_shown_the_way_last_frame_chose() -> None:
    """A "41" cut every frame whose "1" reads 0.54 and 0.78 in turn and whole "4" 0.57 and 0.61:
    each frame alone flips between "4" and "41"; held, the parts replace the whole once they are
    surer by the margin (0.78 > 0.61 + 0.1) and stay while the whole is not surer by it."""
    clf = _Classifier(whole=[(4, 0.57), (4, 0.61)], left=[(4, 0.96)], right=[(1, 0.54), (1, 0.78)])
    assert _shown([_parts()], clf, smoothing=False) == ["4", "41"] * 6
    assert _shown([_parts()], clf) == ["4"] + ["41"] * 11


def test_of_two_cuts_of_a_piece_the_one_last_frame_kept_stands_unless_the_other_is_surer() -> None:
    """A "40" that the finder cuts as "4", "0" (each 0.88) and as "1", "1", "0" (the 4's strokes
    apart; least sure 0.59) in turn: once the surer cut was seen, it is kept, the other cut's
    frames reading its parts (moved with the piece) from their own pixels."""
    whole = ROI(WHOLE.x, WHOLE.y, WHOLE.w, WHOLE.h)
    thirds = [
        ROI(100, 50, 40, 90, whole=whole),
        ROI(142, 50, 40, 90, whole=whole),
        ROI(184, 50, 66, 90, whole=whole),
    ]
    clf = _Classifier(whole=[(6, 0.55)], left=[(4, 0.88)], right=[(0, 0.88)], narrow=[(1, 0.59)])
    assert _shown([thirds, _parts()], clf, smoothing=False) == ["110", "40"] * 6
    assert _shown([thirds, _parts()], clf) == ["110"] + ["40"] * 11


def test_a_whole_surer_by_the_margin_replaces_the_parts_last_frame_kept() -> None:
    clf = _Classifier(whole=[(5, 0.60), (5, 0.99)], left=[(3, 0.98), (3, 0.80)], right=[(5, 0.97), (5, 0.80)])
    # frame 0 cut and read surer in parts; frame 1 uncut, the whole (0.99) surer than the parts
    # (0.80) by more than the margin: shown whole
    shown = _shown([_parts(), [WHOLE]], clf, n=2, smoothing=True)
    assert shown == ["35", "5"]


def test_a_frame_without_a_cut_after_one_without_is_returned_as_it_came() -> None:
    from edge.cut_memory import CutMemory

    mem = CutMemory()
    rois, light, preds = [WHOLE], [False], top_predictions(np.eye(10, dtype=np.float32)[:1], LABELS)
    got = mem.read(_Segmenter([]), _Preprocessor(), _Classifier([], [], []), IMAGE, rois, light, preds)
    assert got[0] is rois and got[1] is light and got[2] is preds and mem.kept == []
    with pytest.raises(ValueError, match="margin"):
        CutMemory(margin=1.5)
    with pytest.raises(ValueError, match="min_iou"):
        CutMemory(min_iou=0.0)


def test_a_frame_without_rois_after_a_kept_cut_is_read_as_empty() -> None:
    """A frame where the finder finds nothing (a hand over the sheet) after frames whose cut the
    memory kept: no ROI is read (the preprocessor, not called, keeps an earlier frame's
    polarities, which must not be taken for this frame's), and the pair is read again after."""
    clf = _Classifier(whole=[(5, 0.60)], left=[(3, 0.98)], right=[(5, 0.97)])
    assert _shown([_parts(), [], _parts()], clf, n=6) == ["35", "", "35"] * 2  # (raised ValueError)
