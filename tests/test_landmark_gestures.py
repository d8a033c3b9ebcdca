"""The shipped hand-landmarks gesture bundle end to end on real shared photos.

HandTracker (still images, hands below the bundle's ``decision.min_presence`` dropped, the live
rule) -> ROI.landmarks/handedness/score -> features_batch -> edge.runtime.Classifier; no hand
is ``none``. Skips with a
reason without the fetched hand models, the shared photos or the shipped bundle; fails
instead under CI=true (CI fetches the models and has the data).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from edge.landmark_features import features_batch
from edge.runtime import Classifier
from edge.segment.hand_tracker import HandTracker
from tests.hand_models import require_hand_models, require_rps_photos

BUNDLE = Path(__file__).resolve().parents[1] / "models" / "hands-landmarks"


@pytest.fixture(scope="module")
def tracker_and_classifier() -> tuple[HandTracker, Classifier]:
    if not (BUNDLE / "model.json").is_file():
        pytest.fail(f"the shipped bundle {BUNDLE} is missing: edge-train landmarks writes it")
    require_hand_models("full")
    clf = Classifier(BUNDLE)
    min_presence = float(clf.bundle.meta["decision"]["min_presence"])
    return HandTracker(static=True, max_hands=1, min_presence=min_presence, num_threads=1), clf


def _classify(tc: tuple[HandTracker, Classifier], path: Path) -> str:
    tracker, clf = tc
    img = cv2.imread(str(path))
    hands = tracker.detect(img)
    if not hands:
        return "none"
    rois = [hands[0].to_roi((img.shape[1], img.shape[0]))]
    return clf.classify(features_batch(rois))[0].label


@pytest.mark.parametrize("source", ["github-webcam-rps", "subhih-handsdataset"])
def test_real_gestures_are_read(
    tracker_and_classifier: tuple[HandTracker, Classifier], shared_data_dir: Path | None, source: str
) -> None:
    photos = require_rps_photos(shared_data_dir, source=source, per_class=3)
    got = [(label, _classify(tracker_and_classifier, p)) for label, p in photos]
    right = sum(a == b for a, b in got)
    assert right >= len(got) - 2, f"{source}: {got}"


def test_empty_scenes_are_none(
    tracker_and_classifier: tuple[HandTracker, Classifier], shared_data_dir: Path | None
) -> None:
    require_rps_photos(shared_data_dir, source="github-webcam-rps", per_class=1)
    assert shared_data_dir is not None
    photos = sorted((shared_data_dir / "rps" / "github-webcam-rps" / "none").glob("*.jpg"))[:4]
    got = [_classify(tracker_and_classifier, p) for p in photos]
    assert got.count("none") >= 3, got
