"""Every shipped bundle (each distinct folder named in ``edge.bundle.SHIPPED``) loads and classifies.

Parametrised over :data:`edge.bundle.SHIPPED`, so a bundle added there is tested without
touching this file: its ``model.tflite`` matches the sha256 in ``model.json``, its labels
are ``labels.txt``, and :class:`edge.runtime.Classifier` turns an all-zero input and a
real-looking one (a rendered handwritten digit, a hand from the ``demo-hands`` scene,
through the bundle's own preprocessing) into one probability per label.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from edge.bundle import SHIPPED, SHIPPED_DIR, ModelBundle, load_bundle, resolve_bundle_path
from edge.cpu_quant import fastest_quant
from edge.preprocess import make_preprocessor
from edge.runtime import Classifier
from edge.types import ROI

SHIPPED_FOLDERS = sorted(set(SHIPPED.values()))


@pytest.fixture(scope="module", params=SHIPPED_FOLDERS)
def shipped(request: pytest.FixtureRequest) -> tuple[ModelBundle, Classifier]:
    bundle = load_bundle(SHIPPED_DIR / request.param)
    return bundle, Classifier(bundle)


def check_scores(scores: np.ndarray, bundle: ModelBundle, n: int = 1) -> None:
    """float32 (n, num_classes) probabilities: finite, in [0, 1], each row summing to ~1."""
    assert scores.shape == (n, bundle.num_classes)
    assert scores.dtype == np.float32
    assert np.isfinite(scores).all()
    assert scores.min() >= 0.0 and scores.max() <= 1.0
    # an int8 output is quantised: each score may be off by half a step
    step = float(bundle.meta.get("output", {}).get("quant", {}).get("scale", 0.0) or 0.0)
    if (bundle.meta.get("quantization") or {}).get("mode") == "int8":
        step = max(step, 1.0 / 256)  # an int8 softmax inside, dequantised to float32 output
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-3 + bundle.num_classes * step)


def digit_frame(label: str, seed: int = 0) -> tuple[np.ndarray, ROI]:
    """A handwritten ``label`` in black marker on white paper: uint8 (240, 320, 3) BGR and its ink box."""
    from edge.sources.handwriting import render_digit
    from edge.sources.render import PAPERS, ink_paper, plain_paper

    rng = np.random.default_rng(seed)
    mask = render_digit(label, rng, 90, stroke_px=7.0)
    x0, y0 = 120, 60
    paper = plain_paper(rng, (240, 320), PAPERS["white"][0], grain=((2.5, 8),))
    frame = ink_paper(rng, paper, "black marker", [(mask, x0, y0)])
    ys, xs = np.nonzero(mask > 96)
    return frame, ROI(x0 + int(xs.min()), y0 + int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)


def hand_frame() -> tuple[np.ndarray, ROI, str]:
    """The first frame of the ``demo-hands`` scene (seed 0) with a hand: uint8 BGR, its box, its label."""
    from edge.sources.demo_hands import HandsDemoSource

    src = HandsDemoSource(seed=0)
    for i in range(0, 600, 5):
        if src.truth(i):
            fr = src.render(i)
            label, roi = fr.truth[0]
            return fr.image, roi, label
    raise AssertionError("the demo-hands scene shows no hand in its first 600 frames")


def test_shipped_names_a_bundle_folder() -> None:
    assert SHIPPED_FOLDERS, "edge.bundle.SHIPPED is empty"
    for folder in SHIPPED_FOLDERS:
        for name in ("model.tflite", "labels.txt", "model.json"):
            assert (SHIPPED_DIR / folder / name).is_file(), f"{folder}/{name} missing"


def test_digits_is_the_camera_model_and_digits_mnist_the_mnist_only_one() -> None:
    """The two digits defaults resolve to their folders, and each shipped bundle's name is its
    folder's (tests spell the default bundle's name as ``SHIPPED["digits"]``)."""
    quant = fastest_quant()  # this CPU's faster file (tests/test_cpu_quant.py checks the rule)
    assert resolve_bundle_path("digits") == SHIPPED_DIR / f"digits-lenet16camoe-{quant}"
    assert resolve_bundle_path("digits-oe") == SHIPPED_DIR / f"digits-lenet16camoe-{quant}"
    assert resolve_bundle_path("digits-int8") == SHIPPED_DIR / "digits-lenet16camoe-int8"
    assert resolve_bundle_path("digits-float32") == SHIPPED_DIR / "digits-lenet16camoe-float32"
    assert resolve_bundle_path("digits-cam") == SHIPPED_DIR / "digits-lenet16cam-int8"
    assert resolve_bundle_path("digits-mnist") == SHIPPED_DIR / "digits-lenet16-int8"
    for folder in SHIPPED_FOLDERS:
        if folder.startswith("digits"):
            assert json.loads((SHIPPED_DIR / folder / "model.json").read_text())["name"] == folder


def test_sha256_in_model_json_matches_the_file(shipped: tuple[ModelBundle, Classifier]) -> None:
    bundle, _ = shipped
    meta = json.loads((bundle.path / "model.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(bundle.model_path.read_bytes()).hexdigest()
    assert meta.get("tflite_sha256") == digest


def test_labels_are_labels_txt(shipped: tuple[ModelBundle, Classifier]) -> None:
    bundle, clf = shipped
    lines = [ln.strip() for ln in (bundle.path / "labels.txt").read_text(encoding="utf-8").splitlines()]
    labels = tuple(ln for ln in lines if ln)
    assert clf.labels == bundle.labels == labels
    assert len(set(labels)) == len(labels) == bundle.num_classes


def test_classifies_an_all_zero_input(shipped: tuple[ModelBundle, Classifier]) -> None:
    bundle, clf = shipped
    x = np.zeros((1, *bundle.input.shape[1:]), np.float32)
    check_scores(clf.predict(x), bundle)
    (pred,) = clf.classify(x)
    assert pred.label in bundle.labels


def test_classifies_a_real_looking_input(shipped: tuple[ModelBundle, Classifier]) -> None:
    bundle, clf = shipped
    pre = make_preprocessor(bundle)
    if bundle.task == "digits":
        frame, roi = digit_frame("3")
        want: str | None = "3"
    elif bundle.preprocessing == "hand-landmarks":
        from tests.test_landmark_features import template_hand

        frame = np.zeros((240, 320, 3), np.uint8)  # not read: the landmarks are the input
        roi = ROI(
            40, 60, 120, 160, landmarks=template_hand(0.0).astype(np.float32), handedness="Right", score=0.98
        )
        want = "paper"  # an open hand, fingers spread, palm to the camera
    elif bundle.task == "hands":
        frame, roi, want = hand_frame()
        want = None  # a LeNet on a synthetic hand: checked for sane scores, not for the pose
    else:
        pytest.fail(f"no real-looking input for task {bundle.task!r} of {bundle.name}: add one here")
    x = pre(frame, [roi])
    assert x.shape == (1, *bundle.input.shape[1:]) and x.dtype == np.float32
    if bundle.preprocessing != "hand-landmarks":  # features have no fixed range
        lo, hi = bundle.input.value_range
        assert lo - 1e-6 <= float(x.min()) and float(x.max()) <= hi + 1e-6
    scores = clf.predict(x)
    check_scores(scores, bundle)
    if want is not None:
        assert bundle.labels[int(scores[0].argmax())] == want


def test_default_digits_bundle_reads_mnist_test(mnist) -> None:
    """The shipped default digits bundle keeps >= 99.5% on the 10,000 MNIST test digits."""
    clf = Classifier(load_bundle("digits"))
    x, y = mnist
    batch = (x.astype(np.float32) / 255.0)[:, :, :, None]
    pred = np.concatenate([clf.predict(batch[i : i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    acc = float(np.mean(pred == y))
    assert acc >= 0.995, f"MNIST test accuracy {acc:.4f} of {clf.bundle.name}"
