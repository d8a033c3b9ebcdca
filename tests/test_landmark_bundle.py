"""Feature-vector bundles (preprocessing ``hand-landmarks``): validation, conversion and the classifier."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from edge.bundle import FEATURES_ORDER, BundleError, InputSpec, load_bundle, write_bundle
from edge.landmark_features import FEATURES_VERSION, NUM_FEATURES, features_batch
from edge.preprocess.landmarks import LandmarkPreprocessor
from edge.runtime import Classifier
from edge.types import ROI

LABELS = ["rock", "paper", "scissors", "none"]
SHIPPED = Path(__file__).resolve().parents[1] / "models" / "hands-landmarks"


def _meta(**over: object) -> dict:
    spec = InputSpec(
        shape=(1, NUM_FEATURES), dtype="float32", colour_order=FEATURES_ORDER, value_range=(-5.0, 5.0)
    )
    meta = {
        "name": "fake",
        "task": "hands",
        "input": spec.to_json(),
        "preprocessing": "hand-landmarks",
        "features": {"version": FEATURES_VERSION, "size": NUM_FEATURES},
    }
    meta.update(over)
    return meta


def test_feature_bundle_validates(tmp_path: Path) -> None:
    b = load_bundle(write_bundle(tmp_path / "b", b"not parsed by load_bundle", LABELS, _meta()))
    assert b.input.is_vector and b.input.shape == (1, NUM_FEATURES)
    assert b.preprocessing == "hand-landmarks"
    with pytest.raises(ValueError, match="feature-vector"):
        _ = b.input.height
    LandmarkPreprocessor(b)


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"preprocessing": "hand-crop"}, "feature-vector input"),
        ({"task": "digits"}, "needs task 'hands'"),
        ({"features": {"version": FEATURES_VERSION + 1, "size": NUM_FEATURES}}, "edge-train landmarks"),
        (
            {
                "features": {"version": FEATURES_VERSION, "size": NUM_FEATURES},
                "input": {
                    "shape": [1, 10],
                    "dtype": "float32",
                    "colour_order": "features",
                    "value_range": [0, 1],
                },
            },
            "features.size|edge-train landmarks",
        ),
        (
            {
                "input": {
                    "shape": [1, NUM_FEATURES],
                    "dtype": "float32",
                    "colour_order": "RGB",
                    "value_range": [0, 1],
                }
            },
            "colour_order must be 'features'",
        ),
        (
            {
                "input": {
                    "shape": [1, 64, 64, 3],
                    "dtype": "float32",
                    "colour_order": "RGB",
                    "value_range": [0, 1],
                }
            },
            "feature-vector input",
        ),
    ],
)
def test_feature_bundle_mismatch_is_refused(tmp_path: Path, over: dict, match: str) -> None:
    out = write_bundle(tmp_path / "b", b"x", LABELS, _meta(**over))
    with pytest.raises(BundleError, match=match):
        load_bundle(out)


def _hands(n: int, seed: int) -> list[ROI]:
    from tests.test_landmark_features import random_hand

    rng = np.random.default_rng(seed)
    return [
        ROI(0, 0, 100, 100, landmarks=random_hand(rng).astype(np.float32), handedness="Right", score=0.9)
        for _ in range(n)
    ]


@pytest.mark.tf
def test_converted_feature_model_runs_on_feature_batches(tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    from convert.quantize import convert_keras

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((NUM_FEATURES,)),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(4, activation="softmax"),
        ]
    )
    x = features_batch(_hands(40, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tflite = convert_keras(model, "int8", x, io_dtype="float32")
    clf = Classifier(write_bundle(tmp_path / "b", tflite, LABELS, _meta()))
    probs = clf.predict(x)
    assert probs.shape == (40, 4) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=0.02)
    ref = model.predict(x, verbose=0)
    assert np.mean(probs.argmax(1) == ref.argmax(1)) >= 0.9
    assert clf.predict(x[0]).shape == (1, 4)  # one vector without the batch axis
    assert clf.predict(x[:0]).shape == (0, 4)
    with pytest.raises(ValueError, match="does not match the model input"):
        clf.predict(np.zeros((2, NUM_FEATURES + 1), np.float32))


def test_shipped_bundle_classifies_feature_batches() -> None:
    if not (SHIPPED / "model.json").is_file():
        pytest.skip(f"no shipped bundle at {SHIPPED}: edge-train landmarks writes it")
    clf = Classifier(SHIPPED)
    assert clf.labels == tuple(LABELS) and clf.bundle.preprocessing == "hand-landmarks"
    rois = _hands(5, 2)
    probs = clf.predict(LandmarkPreprocessor(clf.bundle)(np.zeros((8, 8, 3), np.uint8), rois))
    assert probs.shape == (5, 4)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=0.02)
    meta = json.loads((SHIPPED / "model.json").read_text())
    assert meta["metrics"]["exact_file"]["stress"], "model.json lacks the stress metrics of the file"
