"""CI-sized fuzz runs (seeded): corrupted bundles and random frames (issue 16, "Deliver").

The same code runs long with ``python -m benchmarks.fuzz bundles --cases 1000`` and
``python -m benchmarks.fuzz frames --frames 100000``; here a few hundred cases each, and the
regressions the long runs found, each as its own small test.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.fuzz_bundles import BASES, fuzz_bundles, is_clear
from benchmarks.fuzz_frames import build, fuzz_frames, random_image
from edge.bundle import SHIPPED, SHIPPED_DIR, BundleError, load_bundle
from edge.types import Frame


def _hand_models() -> bool:
    from edge.pretrained import HandModelsMissing, hand_model_paths

    try:
        hand_model_paths("full")
    except HandModelsMissing:
        return False
    return True


HANDS = pytest.mark.skipif(
    not _hand_models(), reason="MediaPipe hand models not fetched (edge-models fetch hands)"
)


# -- bundles ------------------------------------------------------------------------------------
def test_corrupted_bundles_give_one_clear_line_or_run(tmp_path: Path) -> None:
    bases = tuple(BASES) if _hand_models() else ("digits", "hands-lenet")
    report = fuzz_bundles(200, seed=0, work=tmp_path, bases=bases)
    assert not report.bad, "\n".join(
        f"{c.outcome} {c.file} {c.what} {c.field}: {c.message}" for c in report.bad
    )
    assert report.cases == 200
    assert report.outcomes["error"] > 50 and report.outcomes["loads"] > 20  # both kinds are exercised
    assert {f for f, _ in report.by_file} == {"model.json", "labels.txt", "model.tflite"}


def test_is_clear_wants_one_line_naming_file_and_field(tmp_path: Path) -> None:
    b = tmp_path / "b"
    assert is_clear(
        f"{b / 'model.json'}: output.num_classes must be ...", b, "model.json", "output.num_classes"
    )
    assert is_clear(f"{b / 'model.json'}: output must be an object", b, "model.json", "output.num_classes")
    assert not is_clear(
        "invalid literal for int() with base 10: 'ten'", b, "model.json", "output.num_classes"
    )
    assert not is_clear(f"{b / 'model.json'}: bad\nsecond line", b, "model.json", None)
    assert not is_clear(f"{b}: bad features", b, "model.json", "features")


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_DIR / SHIPPED[name], tmp_path / name))


def test_runtime_prepare_failure_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """Found by the fuzz: a flipped quantisation parameter parses but fails ``allocate_tensors``
    with a RuntimeError naming neither the file nor the bundle ("unsupported zero-point value
    (-1962344448) in channel 25 of INT8 tensor 7 in XNNPACK delegate...")."""
    from edge.runtime import prepare

    class Broken:
        def allocate_tensors(self) -> None:
            raise RuntimeError("unsupported zero-point value\nNode number 10 failed to prepare.\n")

    with pytest.raises(BundleError) as e:
        prepare(Broken(), tmp_path / "model.tflite")
    assert "\n" not in str(e.value) and str(tmp_path / "model.tflite") in str(e.value)
    assert "Node number 10 failed to prepare" in str(e.value)


def test_corrupt_tflite_with_matching_sha256_never_escapes(tmp_path: Path) -> None:
    """Byte flips in model.tflite with the sha256 rewritten (a broken converter): the Classifier
    runs or fails with one BundleError line naming the file, whichever step finds it."""
    from edge.runtime import Classifier

    src = (SHIPPED_DIR / SHIPPED["digits"] / "model.tflite").read_bytes()
    b = _copy("digits", tmp_path)
    meta = json.loads((b / "model.json").read_text())
    for seed in range(40):
        rng = np.random.default_rng(seed)
        data = bytearray(src)
        for _ in range(16):
            data[int(rng.integers(len(data)))] = int(rng.integers(256))
        (b / "model.tflite").write_bytes(bytes(data))
        meta["tflite_sha256"] = hashlib.sha256(bytes(data)).hexdigest()
        (b / "model.json").write_text(json.dumps(meta))
        try:
            Classifier(b, runtime="litert").predict(np.zeros((2, 28, 28, 1), np.float32))
        except BundleError as e:
            assert "\n" not in str(e) and str(b / "model.tflite") in str(e)


def test_non_finite_scores_are_a_bundle_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the fuzz: byte flips in a float32 model's weights gave NaN scores, which ran on
    silently (labels picked by argmax over NaN, "score": NaN in the JSON Lines)."""
    from edge.runtime import Classifier

    clf = Classifier("digits-float32")
    monkeypatch.setattr(clf, "_invoke", lambda x: np.full((len(x), 10), np.nan, np.float32))
    with pytest.raises(BundleError, match="non-finite scores.*corrupt") as e:
        clf.predict(np.zeros((1, 28, 28, 1), np.float32))
    assert str(clf.bundle.model_path) in str(e.value)


def test_features_version_error_names_model_json(tmp_path: Path) -> None:
    b = _copy("hands", tmp_path)
    meta = json.loads((b / "model.json").read_text())
    meta["features"]["version"] = 99
    (b / "model.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError) as e:
        load_bundle(b)
    assert is_clear(str(e.value), b, "model.json", "features.version")


# -- frames -------------------------------------------------------------------------------------
def test_random_image_covers_dtypes_channels_and_sizes() -> None:
    rng = np.random.default_rng(0)
    seen = [random_image(rng, legal=0.5, large=0.02)[0] for _ in range(400)]
    assert {a.dtype.name for a in seen} == {"uint8", "uint16", "float32", "bool"}
    assert {a.shape[2] if a.ndim == 3 else 0 for a in seen} == {0, 1, 2, 3, 4}
    assert min(min(a.shape[:2]) for a in seen) == 1 and max(a.shape[1] for a in seen) > 640


def test_random_frames_through_digits_and_hands_lenet() -> None:
    report = fuzz_frames(500, seed=0, pipelines=build(("digits", "hands-lenet")), large=0.01)
    assert report.failed == 0, "\n".join(report.failures)
    assert report.processed["digits"] > 150 and report.processed["hands-lenet"] > 150 and report.refused > 10


@HANDS
def test_random_frames_through_the_landmark_hands_pipeline() -> None:
    pipes = build(("hands", "hands-image"))
    report = fuzz_frames(10, seed=0, pipelines=pipes, weights={"hands": 4, "hands-image": 1}, large=0.0)
    assert report.failed == 0, "\n".join(report.failures)
    assert report.processed["hands"] > 4


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((4, 4, 3), np.float32),
        np.zeros((4, 4, 3), bool),
        np.zeros((4, 4), np.uint8),
        np.zeros((4, 4, 2), np.uint8),
        np.zeros((4, 4, 4), np.uint8),
        np.zeros((0, 4, 3), np.uint8),
    ],
    ids=["float32", "bool", "grey-2d", "2-channels", "bgra", "empty"],
)
def test_pipeline_refuses_an_image_no_source_makes(image: np.ndarray) -> None:
    """Before: the digits pipeline raised cv2.error (a traceback at the CLI) on a bool or empty
    image, read a grey or BGRA one while the hands pipelines refused them, and each stage refused
    the rest in its own words; now every pipeline gives one ValueError naming the fix."""
    pipe = build(("digits",))["digits"]
    with pytest.raises(ValueError, match="uint8 \\(H, W, 3\\) BGR.*to_bgr"):
        pipe.process(Frame(image, 0.0, 0))


def test_pipeline_takes_a_mirrored_view() -> None:
    pipe = build(("digits",))["digits"]
    img = np.full((48, 64, 3), 255, np.uint8)
    img[10:40, 30:34] = 0
    assert pipe.process(Frame(img[:, ::-1], 0.0, 0)).frame.image.shape == (48, 64, 3)
