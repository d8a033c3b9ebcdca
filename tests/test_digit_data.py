"""More digit data: SVHN .mat files (made here with scipy), recoloured MNIST, dataset specs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import draw_digit

from edge.datasets import DatasetError
from edge.preprocess import mnist_normalise
from train.digit_data import load_digit_datasets, parse_dataset_spec
from train.recoloured import recolour_mnist, render_photo
from train.svhn import load_svhn, read_svhn_mat, svhn_to_mnist

scipy_io = pytest.importorskip("scipy.io", reason="SVHN needs scipy (the [train] extra)")


def _svhn_crop(d: int, dark_on_light: bool, rng: np.random.Generator) -> np.ndarray:
    """uint8 (32, 32, 3) RGB house-number crop of digit ``d`` in either polarity."""
    ink = draw_digit(d, 32, 3).astype(np.float32) / 255.0
    paper, pen = (rng.uniform(170, 230, 3), rng.uniform(10, 60, 3))
    if not dark_on_light:
        paper, pen = pen, paper
    img = paper * (1 - ink[..., None]) + pen * ink[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def _write_svhn(folder: Path, digits: list[int], polarities: list[bool]) -> None:
    rng = np.random.default_rng(0)
    x = np.stack([_svhn_crop(d, p, rng) for d, p in zip(digits, polarities, strict=True)], axis=3)
    y = np.array([[10 if d == 0 else d] for d in digits], np.uint8)  # SVHN: label 10 is the digit 0
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("train_32x32.mat", "test_32x32.mat"):
        scipy_io.savemat(folder / name, {"X": x, "y": y})


def test_svhn_mat_labels_and_polarity(tmp_path: Path) -> None:
    digits = [0, 1, 7, 0, 3, 8]
    dark = [True, False, True, False, True, False]
    _write_svhn(tmp_path, digits, dark)
    x, y = read_svhn_mat(tmp_path / "train_32x32.mat")
    assert x.shape == (6, 32, 32, 3) and x.dtype == np.uint8
    assert y.tolist() == digits  # 10 -> 0

    data = load_svhn(tmp_path)
    xs, ys = data["train"]
    assert xs.shape == (6, 28, 28) and xs.dtype == np.uint8 and ys.dtype == np.uint8
    assert ys.tolist() == digits
    for img in xs:
        # MNIST polarity whatever the crop's: dark border, bright ink, full range
        assert img[:3].mean() < 20 and img[-3:].mean() < 20
        assert img.max() >= 200 and img[8:20, 8:20].mean() > img[:3].mean() + 30
    # both polarities of the same digit come out alike
    a, b = xs[0].astype(float), xs[3].astype(float)
    assert np.abs(a - b).mean() < 25


def test_svhn_normalise_framing_matches_the_device(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    crops = np.stack([_svhn_crop(d, d % 2 == 0, rng) for d in range(10)])
    out, keep = svhn_to_mnist(crops, "normalise")
    assert out.dtype == np.uint8 and out.shape[1:] == (28, 28) and len(keep) >= 9
    # MNIST placement: the ink's box has a longer side of about 20 px
    for img in out:
        ys, xs = np.nonzero(img > 30)
        assert 17 <= max(np.ptp(ys), np.ptp(xs)) + 1 <= 22


def test_svhn_missing_files_say_where_to_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="ufldl.stanford.edu/housenumbers"):
        load_svhn(tmp_path)
    with pytest.raises(DatasetError, match="ufldl.stanford.edu/housenumbers"):
        load_svhn(tmp_path / "nowhere")
    scipy_io.savemat(
        tmp_path / "train_32x32.mat", {"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[11], [1]])}
    )
    with pytest.raises(DatasetError, match="1..10"):
        read_svhn_mat(tmp_path / "train_32x32.mat")
    scipy_io.savemat(tmp_path / "test_32x32.mat", {"images": np.zeros((2, 2))})
    with pytest.raises(DatasetError, match="X and y"):
        read_svhn_mat(tmp_path / "test_32x32.mat")


def test_dataset_spec() -> None:
    assert parse_dataset_spec("mnist+svhn") == ("mnist", "svhn")
    assert parse_dataset_spec(" MNIST + recoloured ") == ("mnist", "recoloured")
    with pytest.raises(ValueError, match="unknown digit dataset"):
        parse_dataset_spec("mnist+emnist")
    with pytest.raises(ValueError, match="twice"):
        parse_dataset_spec("mnist+mnist")


def _fake_mnist(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    y = (np.arange(n) % 10).astype(np.uint8)
    x = np.stack([draw_digit(int(d), 28, 2) for d in y])
    return x, y


def test_render_photo_is_a_bgr_photo_of_dark_ink() -> None:
    x, _ = _fake_mnist(10)
    rng = np.random.default_rng(0)
    for digit in x:
        photo, (bx, by, bw, bh) = render_photo(digit, rng)
        assert photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[2] == 3
        assert 0 <= bx and 0 <= by and bx + bw <= photo.shape[1] and by + bh <= photo.shape[0]
        grey = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY).astype(float)
        inside = grey[by : by + bh, bx : bx + bw]
        assert inside.min() < np.median(grey) - 30  # the ink is darker than the paper


def test_recoloured_mnist_shapes_dtypes_ranges() -> None:
    x, y = _fake_mnist(30)
    out, keep = recolour_mnist(x, seed=3)
    assert out.dtype == np.uint8 and out.shape == (len(keep), 28, 28)
    assert len(keep) >= 27 and keep.dtype == np.int64
    assert out.max() == 255 and out.min() == 0
    # white ink on black like MNIST, and the digit the device reads from a clean print of it
    assert (out[:, :3].mean() < 10) and (out[:, -3:].mean() < 10)
    for img, src in zip(out, x[keep], strict=True):
        a = img.astype(float)
        b = mnist_normalise(255 - cv2.resize(src, (84, 84))).astype(float)
        corr = ((a - a.mean()) * (b - b.mean())).mean() / (a.std() * b.std() + 1e-6)
        assert corr > 0.6
    again, _ = recolour_mnist(x, seed=3)
    np.testing.assert_array_equal(out, again)  # seeded


def test_load_digit_datasets_recoloured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import train.digit_data as dd

    x, y = _fake_mnist(40)
    monkeypatch.setattr(dd, "load_mnist", lambda *a, **k: {"train": (x, y), "test": (x[:20], y[:20])})
    sets = load_digit_datasets("mnist+recoloured", recoloured_n=20)
    assert list(sets) == ["mnist", "recoloured"]
    rx, ry = sets["recoloured"]["train"]
    assert rx.dtype == np.uint8 and rx.shape[1:] == (28, 28) and 18 <= len(rx) <= 20
    assert set(ry.tolist()) <= set(range(10)) and ry.dtype == np.uint8
    assert len(sets["recoloured"]["test"][0]) == 2  # a tenth of the training count
    with pytest.raises(DatasetError, match="housenumbers"):
        load_digit_datasets("svhn", svhn_dir=tmp_path)
