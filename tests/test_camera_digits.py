"""Camera MNIST (train.camera_digits): the benchmark renderer plus the device's crop step, on drawn digits."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import draw_digit

from benchmarks.realistic_render import make_crop
from edge.preprocess import mnist_normalise
from train.camera_digits import (
    FORMAT,
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


def test_camera_crop_input_is_crop_input_of_a_digits_bundle() -> None:
    """The ``crop`` read-back of the training set is what ``edge-eval --crop`` gives the model."""
    from edge.bundle import load_bundle
    from edge.preprocess import crop_input

    bundle = load_bundle("digits")
    x, _ = _fake_mnist(4)
    for i, d in enumerate(x):
        photo = make_crop(d, np.random.default_rng([9, i]), {})
        np.testing.assert_array_equal(camera_crop_input(photo), crop_input(photo, bundle)[:, :, 0])


def test_render_camera_mnist_is_seeded_per_digit_and_worker_free(monkeypatch: pytest.MonkeyPatch) -> None:
    import train.camera_digits as cd

    x, y = _fake_mnist(12)
    a, ya = render_camera_mnist(x, y, seed=2)
    assert a.dtype == np.uint8 and a.shape[1:] == (28, 28) and ya.dtype == np.uint8 and len(a) >= 11
    # digit k uses rng [seed, start + k]: the second half alone gives the same images
    b, _ = render_camera_mnist(x[6:], y[6:], seed=2, start=6)
    np.testing.assert_array_equal(a[-len(b) :], b)
    c, _ = render_camera_mnist(x, y, seed=3)
    assert not np.array_equal(a[: min(len(a), len(c))], c[: min(len(a), len(c))])
    # in chunks of 5 (12 digits: 3 work items), one process or two: the same set
    monkeypatch.setattr(cd, "CHUNK", 5)
    jobs = cd.render_jobs(x, 2, 0)
    assert [(len(d), s, k) for d, s, k in jobs] == [(5, 2, 0), (5, 2, 5), (2, 2, 10)]
    one, y1 = render_camera_mnist(x, y, seed=2, workers=1)
    two, y2 = render_camera_mnist(x, y, seed=2, workers=2)
    np.testing.assert_array_equal(one, a)
    np.testing.assert_array_equal(two, a)
    np.testing.assert_array_equal(y2, ya)
    with pytest.raises(ValueError, match="uint8"):
        render_camera_mnist(x.astype(np.float32), y)
    with pytest.raises(ValueError, match="label"):
        render_camera_mnist(x, y[:3])


def test_pick_training_digits_stays_in_the_training_split() -> None:
    idx = pick_training_digits(50, 60, seed=1)
    assert idx.dtype == np.int64 and idx.shape == (50,)
    assert len(set(idx.tolist())) == 50 and idx.min() >= 0 and idx.max() < 60
    with pytest.raises(ValueError, match="training split"):
        pick_training_digits(61, 60, seed=1)


def test_only_mnist_training_digits_reach_the_renderer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """python -m train.camera_digits renders the train split of the MNIST loader, never the test split."""
    import train.camera_digits as cd

    x, y = _fake_mnist(30)
    train_x = x.copy()
    train_x[:, 0, 0] = 1  # a mark no test digit has
    test_x = x.copy()
    test_x[:, 0, 0] = 2
    monkeypatch.setattr(
        "edge.datasets.load_mnist", lambda *a, **k: {"train": (train_x, y), "test": (test_x, y)}
    )
    seen: list[np.ndarray] = []

    def spy(digit: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        seen.append(digit.copy())
        return np.full((28, 28), 0.5, np.float32), "crop"

    monkeypatch.setattr(cd, "render_one", spy)
    assert cd.main(["--out", str(tmp_path / "c.npz"), "--n", "20"]) == 0
    assert len(seen) == 20 + 2 and all(d[0, 0] == 1 for d in seen)
    with np.load(tmp_path / "c.npz") as z:
        for split in ("train", "test"):
            idx = z[f"{split}_index"]
            rendered = seen[:20] if split == "train" else seen[20:]
            np.testing.assert_array_equal(np.stack(rendered), train_x[idx])
    # a matching file is reused; another --n renders again
    assert cd.main(["--out", str(tmp_path / "c.npz"), "--n", "20", "--reuse"]) == 0
    assert len(seen) == 22 and "reusing" in capsys.readouterr().out
    assert cd.main(["--out", str(tmp_path / "c.npz"), "--n", "10", "--reuse"]) == 0
    assert len(seen) == 22 + 11 and "rendering again" in capsys.readouterr().out


def test_save_load_and_the_camera_dataset_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import train.digit_data as dd

    x, y = _fake_mnist(40)
    path = tmp_path / "cam.npz"
    sets = save_camera_set(path, (x, y), n_train=20, seed=0)
    back = load_camera_set(path, n=20, seed=0)
    for split in ("train", "test"):
        np.testing.assert_array_equal(sets[split][0], back[split][0])
        np.testing.assert_array_equal(sets[split][1], back[split][1])
    assert 18 <= len(back["train"][0]) <= 20 and 1 <= len(back["test"][0]) <= 2
    assert [p.name for p in tmp_path.iterdir()] == ["cam.npz"]  # no temporary file left
    with np.load(path) as z:  # train and test render different training digits; the kept ones are listed
        assert int(z["n"]) == 20 and int(z["seed"]) == 0 and int(z["format"]) == FORMAT
        tr, te = z["train_index"], z["test_index"]
        assert len(tr) == len(back["train"][0]) and len(te) == len(back["test"][0])
        assert len(set(tr.tolist()) & set(te.tolist())) == 0
        np.testing.assert_array_equal(y[tr], back["train"][1])

    assert parse_dataset_spec("mnist+camera") == ("mnist", "camera")
    monkeypatch.setattr(dd, "load_mnist", lambda *a, **k: {"train": (x, y), "test": (x[:10], y[:10])})
    got = load_digit_datasets("mnist+camera", camera_data=path)
    assert list(got) == ["mnist", "camera"]
    np.testing.assert_array_equal(got["camera"]["train"][0], back["train"][0])
    with pytest.raises(ValueError, match="--camera-data"):
        load_digit_datasets("mnist+camera")


def _bad_sets(tmp_path: Path, good: Path) -> dict[str, tuple[Path, str]]:
    raw = good.read_bytes()
    (tmp_path / "half.npz").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "text.npz").write_text("not a zip")
    np.savez(tmp_path / "other.npz", images=np.zeros((2, 28, 28), np.uint8))
    with np.load(good) as z:
        old = {k: z[k] for k in ("x_train", "y_train", "x_test", "y_test")}
        no_index = {k: z[k] for k in z.files if k != "train_index"}
    np.savez(tmp_path / "old.npz", **old)  # the first format: no n, seed, indices
    np.savez(tmp_path / "noindex.npz", **no_index)
    return {
        "missing": (tmp_path / "missing.npz", "no camera MNIST set"),
        "half": (tmp_path / "half.npz", "truncated or corrupt"),
        "empty": (tmp_path / "empty.npz", "truncated or corrupt"),
        "text": (tmp_path / "text.npz", "truncated or corrupt"),
        "other": (tmp_path / "other.npz", "not a camera MNIST set"),
        "old": (tmp_path / "old.npz", "format 1"),
        "noindex": (tmp_path / "noindex.npz", "truncated or corrupt"),
    }


def test_a_wrong_or_broken_camera_set_is_a_dataset_error(tmp_path: Path) -> None:
    from edge.datasets import DatasetError

    x, y = _fake_mnist(12)
    good = tmp_path / "good.npz"
    save_camera_set(good, (x, y), n_train=10, seed=3)
    for name, (path, words) in _bad_sets(tmp_path, good).items():
        with pytest.raises(DatasetError, match=words) as e:
            load_camera_set(path)
        assert "python -m train.camera_digits --out" in str(e.value), name
    with pytest.raises(DatasetError, match="n=10, not 24000"):
        load_camera_set(good, n=24000, seed=3)
    with pytest.raises(DatasetError, match="seed=3, not 0"):
        load_camera_set(good, n=10, seed=0)


def test_edge_train_reports_a_missing_or_broken_camera_set_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tensorflow", reason="needs the [train] extra")
    from train import cli

    x, y = _fake_mnist(12)
    good = tmp_path / "good.npz"
    save_camera_set(good, (x, y), n_train=10, seed=0)
    bad = _bad_sets(tmp_path, good)
    for name in ("missing", "half"):
        path, words = bad[name]
        argv = ["lenet", "--dataset", "camera", "--camera-data", str(path), "--out", str(tmp_path / "o")]
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and words in err and len(err.splitlines()) == 1, err
