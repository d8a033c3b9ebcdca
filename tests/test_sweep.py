"""``edge-train sweep``: settings parsing, and a small sweep end to end (train, int8, table, resume)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from train.augment import AugmentConfig
from train.lenet_config import LenetConfig
from train.sweep import RESULT_FILE, lenet_argv
from train.sweep_settings import coerce, grid_settings, load_settings, parse_assignments, run_name, swept_keys


def test_grid_parsing_types_aliases_and_product() -> None:
    grid = parse_assignments(
        ["epochs=1,2", "bn=on,off", "lr=1e-3", "variant=modern,lenet5", "augment=off", "limit=none,500"]
    )
    assert grid == {
        "epochs": [1, 2],
        "batch_norm": [True, False],
        "learning_rate": [1e-3],
        "variant": ["modern", "lenet5"],
        "augment": [None],
        "limit": [None, 500],
    }
    settings = grid_settings(grid)
    assert len(settings) == 16 and settings[0]["epochs"] == 1 and settings[-1]["limit"] == 500
    assert swept_keys(settings) == ["epochs", "batch_norm", "variant", "limit"]
    assert run_name(settings[1], swept_keys(settings)) == "epochs-1_batch_norm-on_variant-modern_limit-500"
    assert coerce("augment", "on") == AugmentConfig()
    for bad, match in (
        (["epochs"], "key=v1,v2"),
        (["epoch=1"], "unknown sweep key"),
        (["epochs=two"], "epochs"),
        (["epochs=1.5"], "whole number"),
        (["bn=maybe"], "on or off"),
        (["epochs=1", "epochs=2"], "twice"),
        (["out_dir=x"], "unknown sweep key"),
    ):
        with pytest.raises(ValueError, match=match):
            parse_assignments(bad)


def test_settings_file(tmp_path: Path) -> None:
    f = tmp_path / "s.json"
    f.write_text(json.dumps([{"variant": "lenet5", "epochs": 2}, {"learning-rate": "3e-4", "bn": "off"}]))
    assert load_settings(f) == [
        {"variant": "lenet5", "epochs": 2},
        {"learning_rate": 3e-4, "batch_norm": False},
    ]
    f.write_text(json.dumps({"epochs": 2}))
    with pytest.raises(ValueError, match="list of objects"):
        load_settings(f)
    # a key a setting leaves out has the base value: augment on vs off is swept, variant is not
    f.write_text(json.dumps([{"variant": "modern"}, {"augment": "off"}]))
    listed = load_settings(f)
    keys = swept_keys(listed, LenetConfig())
    assert keys == ["augment"] and [run_name(x, keys) for x in listed] == ["base", "augment-off"]


def test_recorded_command_reproduces_the_config() -> None:
    from train import cli
    from train.cli_args import build_parser

    cfg = LenetConfig(
        variant="lenet5",
        epochs=3,
        dropout=0.1,
        batch_norm=False,
        limit=500,
        augment=None,
        learning_rate=3e-4,
        extra=["a", "b"],
        extra_ratio=0.25,
        out_dir="runs/x",
    )
    argv = lenet_argv(cfg)
    parser = build_parser()
    args = parser.parse_args(argv)
    assert cli._resolve(args, parser, argv, LenetConfig, AugmentConfig) == cfg


def _write_idx(path: Path, arr: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def _synthetic_mnist(folder: Path) -> Path:
    """Printed digits with jitter in MNIST's IDX format (used when the shared data is absent)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    y = (np.arange(700) % 10).astype(np.uint8)
    x = np.zeros((700, 28, 28), np.uint8)
    for i, d in enumerate(y):
        cv2.putText(
            x[i],
            str(d),
            (7 + int(rng.integers(-2, 3)), 22 + int(rng.integers(-2, 3))),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.8,
            255,
            2,
            cv2.LINE_AA,
        )
    _write_idx(folder / "train-images-idx3-ubyte.gz", x[:500])
    _write_idx(folder / "train-labels-idx1-ubyte.gz", y[:500])
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", x[500:])
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", y[500:])
    return folder


@pytest.mark.tf
def test_small_sweep_end_to_end_and_resume(
    tmp_path: Path,
    shared_data_dir: Path | None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("tensorflow")
    import train.lenet
    from train.cli import main

    real = shared_data_dir is not None and (shared_data_dir / "mnist").is_dir()
    data = shared_data_dir / "mnist" if real else _synthetic_mnist(tmp_path / "mnist")
    out = tmp_path / "sweep"
    argv = [
        "sweep",
        "--grid",
        "bn=on,off",
        "dropout=0.1,0.3",
        "--set",
        "epochs=1",
        "width=8",
        "batch_size=64",
        "validation_split=0.2",
        "--subset",
        "400",
        "--test-limit",
        "200",
        "--rep-samples",
        "32",
        "--data-dir",
        str(data),
        "--out",
        str(out),
    ]
    assert main(argv) == 0

    with (out / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4
    for col in (
        "run",
        "batch_norm",
        "dropout",
        "float_accuracy",
        "int8_accuracy",
        "int8_agreement",
        "int8_size_bytes",
        "params",
        "epochs_run",
        "best_val_accuracy",
    ):
        assert col in rows[0], col
    assert {(r["batch_norm"], r["dropout"]) for r in rows} == {
        ("on", "0.1"),
        ("on", "0.3"),
        ("off", "0.1"),
        ("off", "0.3"),
    }
    for r in rows:
        for col in ("float_accuracy", "int8_accuracy", "int8_agreement", "best_val_accuracy"):
            assert 0.0 <= float(r[col]) <= 1.0, (col, r[col])
        assert 2_000 < int(r["int8_size_bytes"]) < 200_000 and int(r["epochs_run"]) == 1
        run = out / r["run"]
        for name in (
            "config.json",
            "curves.png",
            "metrics.json",
            "model.keras",
            "int8/model.tflite",
            "int8/model.json",
            RESULT_FILE,
        ):
            assert (run / name).is_file(), (run, name)
        int8 = json.loads((run / RESULT_FILE).read_text())["int8"]
        assert int8["n"] == 200 and len(int8["per_class"]) == 10
        assert json.loads((run / "int8" / "model.json").read_text())["input"]["dtype"] == "int8"
    # batch norm off removes parameters (BN's four per channel, minus the conv biases added)
    by = {r["batch_norm"]: int(r["params"]) for r in rows}
    assert by["off"] < by["on"]
    md = (out / "results.md").read_text().splitlines()
    assert len(md) == 2 + 4 and "int8 acc" in md[0]
    for name in (
        "accuracy-vs-batch_norm.png",
        "accuracy-vs-dropout.png",
        "size-vs-accuracy.png",
        "sweep.json",
    ):
        assert (out / name).is_file(), name
    capsys.readouterr()

    # re-run: every finished run is skipped, nothing trains
    def no_training(*a, **k):  # noqa: ANN002, ANN003
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(train.lenet, "train_lenet", no_training)
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/model.keras")}
    assert main(argv) == 0
    assert "4 finished earlier, skipped" in capsys.readouterr().out
    assert before == {p: p.stat().st_mtime_ns for p in out.glob("*/model.keras")}

    # a run interrupted after training (no int8 result yet) is converted, not retrained
    victim = out / rows[0]["run"] / RESULT_FILE
    victim.unlink()
    assert main(argv) == 0
    assert victim.is_file() and "3 finished earlier" in capsys.readouterr().out

    # the same folder with other base settings is refused
    assert main([*argv[:-2], "--out", str(out), "--subset", "300"]) == 2
    assert "other settings" in capsys.readouterr().err
