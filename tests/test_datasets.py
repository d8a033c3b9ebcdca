"""MNIST loading from IDX, npz and CSV, and the errors for missing or malformed data."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from edge import datasets
from edge.datasets import DatasetError, load_mnist, read_idx

SHARED = Path(os.environ.get("EDGE_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
SHARED_MNIST = SHARED / "mnist"


def _write_idx(path: Path, arr: np.ndarray, compress: bool = True) -> None:
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def _fake_mnist(folder: Path, n: int = 20, compress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    y = (np.arange(n) % 10).astype(np.uint8)
    suffix = ".gz" if compress else ""
    for split in ("train", "t10k"):
        _write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", x, compress)
        _write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", y, compress)
    return x, y


@pytest.mark.parametrize("compress", [True, False])
def test_idx_folder_round_trip(tmp_path: Path, compress: bool) -> None:
    x, y = _fake_mnist(tmp_path, compress=compress)
    data = load_mnist(tmp_path)
    np.testing.assert_array_equal(data["train"][0], x)
    np.testing.assert_array_equal(data["test"][1], y)


def test_env_var_chooses_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x, _ = _fake_mnist(tmp_path)
    monkeypatch.setenv("EDGE_DATA_DIR", str(tmp_path))
    np.testing.assert_array_equal(load_mnist()["train"][0], x)


def test_npz_and_keras_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.full((3, 28, 28), 7, np.uint8)
    y = np.array([1, 2, 3], np.uint8)
    npz = tmp_path / "mnist.npz"
    np.savez(npz, x_train=x, y_train=y, x_test=x[:1], y_test=y[:1])
    assert load_mnist(npz)["train"][0].shape == (3, 28, 28)
    assert load_mnist(tmp_path)["test"][1].tolist() == [1]
    monkeypatch.delenv("EDGE_DATA_DIR", raising=False)
    monkeypatch.setattr(datasets, "KERAS_CACHE", npz)
    assert load_mnist()["train"][1].tolist() == [1, 2, 3]


def test_kaggle_csv(tmp_path: Path) -> None:
    rows = np.zeros((4, 785), np.int64)
    rows[:, 0] = [3, 1, 4, 1]
    rows[:, 1] = 255
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    for name in ("mnist_train.csv", "mnist_test.csv"):
        np.savetxt(tmp_path / name, rows, fmt="%d", delimiter=",", header=header, comments="")
    data = load_mnist(tmp_path)
    assert data["train"][1].tolist() == [3, 1, 4, 1]
    assert data["train"][0][0, 0, 0] == 255 and data["train"][0][0, 0, 1] == 0


def test_missing_folder_names_the_ways(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="--data-dir") as e:
        load_mnist(tmp_path / "nope")
    assert "EDGE_DATA_DIR" in str(e.value) and "download" in str(e.value)


def test_nothing_anywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("EDGE_DATA_DIR", raising=False)
    monkeypatch.setattr(datasets, "KERAS_CACHE", tmp_path / "absent.npz")
    with pytest.raises(DatasetError, match="not found"):
        load_mnist()


def test_truncated_idx(tmp_path: Path) -> None:
    _fake_mnist(tmp_path, compress=False)
    p = tmp_path / "train-images-idx3-ubyte"
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(DatasetError, match="truncated"):
        load_mnist(tmp_path)


def test_truncated_gzip(tmp_path: Path) -> None:
    _fake_mnist(tmp_path)
    p = tmp_path / "t10k-labels-idx1-ubyte.gz"
    p.write_bytes(p.read_bytes()[:15])
    with pytest.raises(DatasetError, match="corrupt|truncated"):
        load_mnist(tmp_path)


def test_bad_magic(tmp_path: Path) -> None:
    p = tmp_path / "x-idx1-ubyte"
    p.write_bytes(b"\x00\x00\x09\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(DatasetError, match="magic"):
        read_idx(p)


def test_wrong_csv_columns(tmp_path: Path) -> None:
    for name in ("train.csv", "test.csv"):
        np.savetxt(tmp_path / name, np.zeros((2, 10)), fmt="%d", delimiter=",")
    with pytest.raises(DatasetError, match="785"):
        load_mnist(tmp_path)


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist not present")
def test_real_mnist_counts() -> None:
    data = load_mnist(SHARED_MNIST)
    assert data["train"][0].shape == (60000, 28, 28)
    assert np.bincount(data["test"][1]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
