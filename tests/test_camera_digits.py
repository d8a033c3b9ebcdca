"""Camera MNIST (train.camera_digits): the benchmark renderer plus the device's crop step, on drawn digits."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import draw_digit

from edge.preprocess import mnist_normalise
from train.camera_digits import (
    camera_crop_input,
    load_camera_set,
    pick_training_digits,
    render_camera_mnist,
    render_one,
    save_camera_set,
)
from train.digit_data import load_digit_datasets, parse_dataset_spec


def _fake_mnist(n: int) -> tuple[np.ndarray, np.ndarray]:
    y = (np.arange(n) % 10).astype(np.uint8)
    return np.stack([draw_digit(int(d), 28, 2) for d in y]), y


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(float), b.astype(float)
    return float(((a - a.mean()) * (b - b.mean())).mean() / (a.std() * b.std() + 1e-6))


def test_camera_crop_input_finds_a_dark_digit_with_margins_and_a_shadow() -> None:
    """A 3 drawn dark on light paper in a loose crop, one corner in shadow: the input is the
    MNIST-placed 3, white on black (the shadow is not ink)."""
    ink = cv2.resize(draw_digit(3, 28, 2), (90, 90))
    photo = np.full((200, 170), 210, np.uint8)
    photo[50:140, 40:130] = np.minimum(photo[50:140, 40:130], 255 - ink)
    photo[:40, :40] = 120  # a shadow in one corner
    m = camera_crop_input(cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR))
    assert m.shape == (28, 28) and m.dtype == np.float32
    assert 0.0 <= m.min() and m.max() <= 1.0 and m.max() > 0.9
    assert m[:3].max() < 0.1 and m[:, :3].max() < 0.1  # the shadowed corner is not read as ink
    assert _corr(m, mnist_normalise(255 - cv2.resize(draw_digit(3, 28, 2), (84, 84)))) > 0.7


def test_render_one_reads_both_ways_and_keeps_the_digit() -> None:
    """Rendered through pens, paper, perspective, light and JPEG, then read back: white on
    black with (mostly) an empty border, and (nearly always) closest to the clean digit it came from."""
    x, _ = _fake_mnist(20)
    clean = [mnist_normalise(255 - cv2.resize(d, (84, 84))) for d in x[:10]]
    ways, nearest_own, clean_border = set(), 0, 0
    for i, d in enumerate(x):
        m, how = render_one(d, np.random.default_rng([5, i]))
        ways.add(how)
        assert m.shape == (28, 28) and m.dtype == np.float32 and 0 <= m.min() and m.max() <= 1
        if m.max() > 0:
            clean_border += int(m[:2].max() < 0.2 and m[-2:].max() < 0.2)
            nearest_own += int(np.argmax([_corr(m, c) for c in clean]) == i % 10)
    assert ways == {"crop", "box"}
    assert nearest_own >= 17 and clean_border >= 16  # a ruling line or paper edge may be read along


def test_render_camera_mnist_is_seeded_per_digit_and_worker_free() -> None:
    x, y = _fake_mnist(12)
    a, ya = render_camera_mnist(x, y, seed=2)
    assert a.dtype == np.uint8 and a.shape[1:] == (28, 28) and ya.dtype == np.uint8 and len(a) >= 11
    # digit k uses rng [seed, start + k]: the second half alone gives the same images
    b, _ = render_camera_mnist(x[6:], y[6:], seed=2, start=6)
    full, _ = render_camera_mnist(x, y, seed=2)
    np.testing.assert_array_equal(full[-len(b) :], b)
    np.testing.assert_array_equal(a, full)
    c, _ = render_camera_mnist(x, y, seed=3)
    assert not np.array_equal(a[: min(len(a), len(c))], c[: min(len(a), len(c))])
    with pytest.raises(ValueError, match="uint8"):
        render_camera_mnist(x.astype(np.float32), y)
    with pytest.raises(ValueError, match="label"):
        render_camera_mnist(x, y[:3])


def test_pick_training_digits_stays_in_the_training_split() -> None:
    idx = pick_training_digits(50, 60, seed=1)
    assert len(set(idx.tolist())) == 50 and idx.min() >= 0 and idx.max() < 60
    with pytest.raises(ValueError, match="training split"):
        pick_training_digits(61, 60, seed=1)


def test_save_load_and_the_camera_dataset_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import train.digit_data as dd

    x, y = _fake_mnist(40)
    path = tmp_path / "cam.npz"
    sets = save_camera_set(path, (x, y), n_train=20, seed=0)
    back = load_camera_set(path)
    for split in ("train", "test"):
        np.testing.assert_array_equal(sets[split][0], back[split][0])
        np.testing.assert_array_equal(sets[split][1], back[split][1])
    assert 18 <= len(back["train"][0]) <= 20 and 1 <= len(back["test"][0]) <= 2
    with np.load(path) as z:  # train and test render different training digits
        idx = z["index"]
        assert len(set(idx[:20].tolist()) & set(idx[20:].tolist())) == 0

    assert parse_dataset_spec("mnist+camera") == ("mnist", "camera")
    monkeypatch.setattr(dd, "load_mnist", lambda *a, **k: {"train": (x, y), "test": (x[:10], y[:10])})
    got = load_digit_datasets("mnist+camera", camera_data=path)
    assert list(got) == ["mnist", "camera"]
    np.testing.assert_array_equal(got["camera"]["train"][0], back["train"][0])
    with pytest.raises(ValueError, match="--camera-data"):
        load_digit_datasets("mnist+camera")
    with pytest.raises(ValueError, match="train.camera_digits"):
        load_camera_set(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", images=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="not a camera MNIST set"):
        load_camera_set(tmp_path / "other.npz")
