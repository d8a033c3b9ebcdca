"""Knowledge distillation (``train.distil``, ``edge-train lenet --teacher``) and the ``strided`` LeNet."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="needs the [train] extra")
pytestmark = pytest.mark.tf

from models.lenet import build_lenet  # noqa: E402
from train import cli  # noqa: E402
from train.distil import TeacherTargets, distillation_loss, label_accuracy, soften  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TEACHER = REPO / "models" / "digits-lenet16-float32"
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"
needs_mnist = pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist not present")


def _entropy(p: np.ndarray) -> np.ndarray:
    return -(p * np.log(p)).sum(1)


def test_soften_keeps_order_and_spreads_mass() -> None:
    p = np.array([[0.9, 0.09, 0.01], [0.2, 0.5, 0.3]], np.float32)
    np.testing.assert_allclose(soften(p, 1.0), p, atol=1e-6)
    s = soften(p, 4.0)
    np.testing.assert_allclose(s.sum(1), 1.0, rtol=1e-6)
    assert (s.argmax(1) == p.argmax(1)).all()
    assert (_entropy(s) > _entropy(p)).all()
    with pytest.raises(ValueError, match="temperature"):
        soften(p, 0.0)


def test_distillation_loss_terms() -> None:
    rng = np.random.default_rng(0)
    student = rng.dirichlet(np.ones(10), 8).astype(np.float32)
    hard = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 8)]
    teacher = rng.dirichlet(np.ones(10), 8).astype(np.float32)
    targets = np.concatenate([hard, soften(teacher, 3.0)], 1)
    ce = tf.keras.losses.categorical_crossentropy(hard, student).numpy()
    # alpha 0: the labels only
    np.testing.assert_allclose(distillation_loss(0.0, 3.0)(targets, student).numpy(), ce, rtol=1e-5)
    # a student that matches the softened teacher has no soft-target loss left
    same = np.concatenate([hard, soften(student, 3.0)], 1)
    np.testing.assert_allclose(distillation_loss(0.5, 3.0)(same, student).numpy(), 0.5 * ce, rtol=1e-4)
    # another teacher adds a positive KL term, scaled by T**2
    assert (distillation_loss(0.5, 3.0)(targets, student).numpy() > 0.5 * ce + 1e-4).all()
    with pytest.raises(ValueError, match="alpha"):
        distillation_loss(1.5, 3.0)


def test_label_accuracy_reads_the_one_hot_half() -> None:
    m = label_accuracy()
    y_true = np.concatenate([np.eye(3, dtype=np.float32), np.full((3, 3), 1 / 3, np.float32)], 1)
    y_pred = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1]], np.float32)
    m.update_state(y_true, y_pred)
    assert m.name == "accuracy" and float(m.result()) == pytest.approx(2 / 3)


def test_teacher_targets_in_a_dataset() -> None:
    teacher = TeacherTargets(TEACHER, temperature=2.0)
    x = np.zeros((70, 28, 28, 1), np.float32)
    x[:, 8:20, 13:15] = 1.0  # a vertical stroke: a "1" to the teacher
    y = tf.one_hot(np.full(70, 1), 10)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(64).map(teacher.map_fn())
    batches = [(a.numpy(), b.numpy()) for a, b in ds]
    assert [b.shape for _, b in batches] == [(64, 20), (6, 20)]
    t = np.concatenate([b for _, b in batches])
    np.testing.assert_array_equal(t[:, :10], np.eye(10)[np.full(70, 1)])
    np.testing.assert_allclose(t[:, 10:].sum(1), 1.0, rtol=1e-5)
    assert (t[:, 10:].argmax(1) == 1).all()
    with pytest.raises(ValueError, match="temperature"):
        TeacherTargets(TEACHER, temperature=-1.0)


def _macs(model: tf.keras.Model) -> int:
    """Multiply-adds of the model's convolutions and dense layers (out pixels × kernel)."""
    macs = 0
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.Conv2D):
            _, h, w, _ = layer.output.shape
            macs += h * w * int(np.prod(layer.kernel.shape))
        elif isinstance(layer, tf.keras.layers.Dense):
            macs += int(np.prod(layer.kernel.shape))
    return macs


@pytest.mark.parametrize(
    ("variant", "first_kernel", "first_filters", "macs", "params"),
    [("strided", 3, 16, 3_199_168, 33_626), ("wide-strided", 5, 32, 4_230_912, 38_954)],
)
def test_strided_variants_start_at_14_px(
    variant: str, first_kernel: int, first_filters: int, macs: int, params: int
) -> None:
    """Both strided variants read the 28×28 input with one stride-2 convolution (``strided``:
    3×3 to w filters, ``wide-strided``: 5×5 to 2w), then the same 14×14 and 7×7 stages; the
    multiply-adds are the module docstring's (``modern`` at width 16: 5.09 M)."""
    model = build_lenet(variant, width=16)
    convs = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.Conv2D)]
    assert [tuple(c.output.shape[1:]) for c in convs] == [
        (14, 14, first_filters),
        (14, 14, 32),
        (14, 14, 32),
        (5, 5, 64),
    ]
    assert tuple(convs[0].kernel.shape) == (first_kernel, first_kernel, 1, first_filters)
    assert tuple(convs[0].strides) == (2, 2)
    assert [tuple(c.kernel.shape[:2]) for c in convs[1:]] == [(3, 3)] * 3
    assert _macs(model) == macs < _macs(build_lenet("modern", width=16)) == 5_090_176
    assert model.count_params() == params  # modern at width 16: 35,994


def test_bad_distillation_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["lenet", "--teacher", str(TEACHER), "--distil-alpha", "2", "--out", str(tmp_path / "o")]
    assert cli.main(argv) == 2
    assert "distil_alpha" in capsys.readouterr().err


@needs_mnist
def test_tiny_distilled_run(tmp_path: Path) -> None:
    import keras

    out = tmp_path / "run"
    argv = [
        "lenet",
        "--variant",
        "strided",
        "--width",
        "8",
        "--epochs",
        "2",
        "--limit",
        "1500",
        "--batch-size",
        "32",
    ]
    argv += ["--data-dir", str(SHARED_MNIST), "--out", str(out), "--teacher", str(TEACHER)]
    argv += ["--distil-temperature", "3", "--validation-split", "0.2"]
    assert cli.main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["distillation"] == {"teacher": str(TEACHER), "alpha": 0.7, "temperature": 3.0}
    assert metrics["test_accuracy"] > 0.3  # two epochs on 1,200 images: above chance
    # the saved model loads (and compiles) without train.distil's loss
    model = keras.models.load_model(out / "model.keras")
    assert model.loss.__class__.__name__ == "CategoricalCrossentropy"
