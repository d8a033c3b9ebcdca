"""LeNet builders, augmentation and a tiny ``edge-train lenet`` run end to end."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="needs the [train] extra")
pytestmark = pytest.mark.tf

from models.lenet import LENET_VARIANTS, build_lenet  # noqa: E402
from train import cli  # noqa: E402
from train.augment import AugmentConfig, make_augmenter  # noqa: E402
from train.lenet_config import LenetConfig  # noqa: E402
from train.lenet_model import make_strategy  # noqa: E402
from train.plots import confusion_matrix  # noqa: E402

SHARED = Path(os.environ.get("EDGE_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
SHARED_MNIST = SHARED / "mnist"
needs_mnist = pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist not present")


@pytest.mark.parametrize("variant", LENET_VARIANTS)
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_lenet_shapes(variant: str, shape: tuple[int, int, int]) -> None:
    model = build_lenet(variant, input_shape=shape, num_classes=7)
    x = np.random.default_rng(0).random((2, *shape), dtype=np.float32)
    y = model(x, training=False).numpy()
    assert y.shape == (2, 7) and y.dtype == np.float32
    assert not np.isnan(y).any()
    np.testing.assert_allclose(y.sum(1), 1.0, rtol=1e-5)


def test_modern_lenet_fits_int8_budget() -> None:
    # ≤ 256 KiB int8 file: one byte per weight leaves room for the graph.
    assert build_lenet("modern").count_params() < 200_000


def test_bad_variant() -> None:
    with pytest.raises(ValueError, match="lenet5"):
        build_lenet("alexnet")


def test_augmenter_keeps_range_and_changes_images() -> None:
    x = np.zeros((16, 28, 28, 1), np.float32)
    x[:, 8:20, 12:16] = 1.0
    y = make_augmenter(AugmentConfig(), seed=3)(tf.constant(x)).numpy()
    assert y.shape == x.shape and y.min() >= 0.0 and y.max() <= 1.0
    assert np.abs(y - x).mean() > 0.01
    off = AugmentConfig(rotation_deg=0, shift=0, zoom=0, thickness_p=0, blur_p=0, min_contrast=1.0)
    np.testing.assert_array_equal(make_augmenter(off)(tf.constant(x)).numpy(), x)


def test_thickness_changes_ink_area() -> None:
    x = np.zeros((64, 28, 28, 1), np.float32)
    x[:, 6:22, 13:15] = 1.0
    cfg = AugmentConfig(rotation_deg=0, shift=0, zoom=0, thickness_p=1.0, blur_p=0, min_contrast=1.0)
    y = make_augmenter(cfg, seed=0)(tf.constant(x)).numpy()
    area = (y > 0.5).sum(axis=(1, 2, 3))
    assert (area > 32).any() and (area < 32).any()


def test_confusion_matrix() -> None:
    cm = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_strategy() -> None:
    assert make_strategy("default") is not None
    with pytest.raises(ValueError, match="mirrored"):
        make_strategy("home-made")


def test_config_round_trip_and_unknown_key() -> None:
    cfg = LenetConfig(epochs=3, augment=None)
    assert LenetConfig.from_json(json.loads(json.dumps(cfg.to_json()))) == cfg
    with pytest.raises(ValueError, match="unknown"):
        LenetConfig.from_json({"epoch": 3})


def test_missing_data_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lenet", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path / "o")]) == 2
    assert "EDGE_DATA_DIR" in capsys.readouterr().err


@needs_mnist
def test_tiny_training_run_writes_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import edge.datasets

    # MNIST only where the flags say: the printed next step must carry --data-dir itself.
    monkeypatch.delenv("EDGE_DATA_DIR", raising=False)
    monkeypatch.setattr(edge.datasets, "KERAS_CACHE", tmp_path / "no-keras-cache" / "mnist.npz")
    conf = tmp_path / "c.json"
    conf.write_text(json.dumps({"epochs": 5, "batch_size": 64, "variant": "lenet5"}))
    out = tmp_path / "run"
    argv = [
        "lenet",
        "--config",
        str(conf),
        "--epochs",
        "2",
        "--data-dir",
        str(SHARED_MNIST),
        "--limit",
        "3000",
        "--out",
        str(out),
        "--checkpoint-every",
        "1",
        "--validation-split",
        "0.2",
    ]
    assert cli.main(argv) == 0
    for name in (
        "model.keras",
        "config.json",
        "curves.png",
        "confusion.png",
        "metrics.json",
        "history.csv",
        "labels.txt",
        "checkpoints/epoch-001.keras",
        "checkpoints/epoch-002.keras",
    ):
        assert (out / name).is_file(), name
    saved = json.loads((out / "config.json").read_text())
    # The file set variant and batch size, the flag overrode epochs.
    assert saved["variant"] == "lenet5" and saved["batch_size"] == 64 and saved["epochs"] == 2
    assert "--limit 3000" in saved["command"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and metrics["test_n"] == 10000
    assert metrics["test_accuracy"] > 0.5  # 2 epochs on 2,400 images: far above chance
    # The "next:" hint is an edge-convert command that works as printed.
    hint = capsys.readouterr().out.rsplit("next: ", 1)[1].strip()
    words = shlex.split(hint)
    assert words[0] == "edge-convert" and "--data-dir" in words, hint
    from convert import cli as convert_cli

    monkeypatch.chdir(tmp_path)  # its default --out is out/<name> here
    assert convert_cli.main(words[1:]) == 0
    assert len(list(tmp_path.glob("out/*/model.tflite"))) == 1


def test_progress_lines_within_an_epoch(caplog: pytest.LogCaptureFixture) -> None:
    """Off a terminal, a line every ``every_s`` seconds inside an epoch; none when batches are quick."""
    import keras

    from train.progress import progress_callback

    ticks = iter(range(0, 100_000, 4))  # every clock reading is 4 s after the last
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.zeros((40, 3), np.float32), np.zeros(40, np.int64)
    with caplog.at_level("INFO", logger="train.progress"):
        cb = progress_callback(keras, every_s=10.0, clock=lambda: float(next(ticks)))
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[cb])
    lines = [r.getMessage() for r in caplog.records if r.name == "train.progress"]
    # 10 batches per epoch, 4 s apart: a line at 12 s, 24 s, 36 s of each epoch.
    assert len(lines) == 6, lines
    assert lines[0].startswith("epoch 1/2: batch 3/10 (30%), ") and "loss 0." in lines[0]
    assert lines[0].endswith(", 12 s") and "accuracy" in lines[0]
    assert lines[-1].startswith("epoch 2/2: batch 9/10")
    caplog.clear()
    with caplog.at_level("INFO", logger="train.progress"):
        quick = progress_callback(keras, every_s=10.0, clock=lambda: 0.0)
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[quick])
    assert not [r for r in caplog.records if r.name == "train.progress"]
