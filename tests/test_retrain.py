"""Retraining on your own samples: extra folders, mixing ratio, held-out sessions,
uint8-safe augmentation and fine-tuning from an existing model (--init-from)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import draw_digit

from edge.datasets import DatasetError
from train.extra_data import (
    DIGIT_LABELS,
    load_extra_digits,
    scan_extra,
    session_of,
    split_extra,
)
from train.extra_mix import extra_per_batch, mix_indices
from train.hand_augment import HandAugmentConfig, HandAugmenter, composite
from train.pixels import adjust, to_uint8

HANDS = ("rock", "paper", "scissors", "none")


def _write_digit_folder(
    root: Path,
    per_class: dict[str, int],
    sessions: tuple[str, ...] = ("s1",),
) -> Path:
    """``root/<label>/<session>__NNNN.png`` 28x28 white-on-black samples (as edge-capture writes)."""
    for label, n in per_class.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            img = draw_digit(int(label))
            img = np.roll(img, (i % 3) - 1, axis=1)
            cv2.imwrite(str(root / label / f"{sessions[i % len(sessions)]}__{i:04d}.png"), img)
    return root


# -- uint8 safety ------------------------------------------------------------------


def test_pixel_helpers_saturate_instead_of_wrapping() -> None:
    assert (np.full(1, 250, np.uint8) + np.uint8(10))[0] == 4  # plain uint8 arithmetic wraps
    bright = np.full((4, 4), 250, np.uint8)
    assert adjust(bright, offset=10).min() == 255  # not 4
    assert adjust(np.full((4, 4), 5, np.uint8), offset=-10).max() == 0  # not 251
    assert adjust(bright, gain=1.5).min() == 255
    np.testing.assert_array_equal(to_uint8(np.array([-3.0, 300.0, 254.6, np.nan])), [0, 255, 255, 0])
    with pytest.raises(ValueError, match="uint8"):
        adjust(bright.astype(np.float32), offset=1)


def test_composite_clips_before_the_cast() -> None:
    fg = np.full((8, 8, 3), 250, np.uint8)
    bg = np.zeros((8, 8, 3), np.uint8)
    alpha = np.full((8, 8), 1.05, np.float32)  # feathering overshoot: 262.5 would wrap to 6
    assert composite(fg, alpha, bg).min() == 250


@pytest.mark.parametrize("level", [5, 250])
def test_hand_augmentation_never_wraps_around(level: int) -> None:
    """A uniform image keeps its brightness side through every colour/optics step.

    Brightness offsets of +-50, gains of 0.8..1.2, gamma and noise move a uniform
    250 image by at most about 140 grey levels, a uniform 5 image likewise; wrapping
    uint8 arithmetic would throw a bright image near 0 (250 + 50 -> 44) and a dark one
    near 255 (5 - 50 -> 211), in all its pixels at once.
    """
    cfg = HandAugmentConfig(composite=0.0, colour=True, grey=0.0, blur=1.0, noise=1.0, jpeg=1.0)
    aug = HandAugmenter(cfg)
    rng = np.random.default_rng(0)
    batch = np.full((48, 32, 32, 3), level, np.uint8)
    out = aug(batch, rng)
    assert out.dtype == np.uint8
    medians = np.median(out.reshape(len(out), -1), axis=1)
    if level > 128:
        assert medians.min() > 80, medians.min()
    else:
        assert medians.max() < 150, medians.max()


# -- extra folders -------------------------------------------------------------------


def test_unknown_class_folder_lists_the_expected_labels(tmp_path: Path) -> None:
    root = _write_digit_folder(tmp_path / "mine", {"3": 2})
    (root / "three").mkdir()
    with pytest.raises(DatasetError, match=r"\['three'\].*0, 1, 2, 3, 4, 5, 6, 7, 8, 9"):
        scan_extra([root], DIGIT_LABELS)
    with pytest.raises(DatasetError, match="rock, paper, scissors, none"):
        scan_extra([tmp_path / "mine"], HANDS)
    with pytest.raises(DatasetError, match="does not exist"):
        scan_extra([tmp_path / "nowhere"], DIGIT_LABELS)
    empty = tmp_path / "empty"
    (empty / "5").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no images"):
        scan_extra([empty], DIGIT_LABELS)


def test_extra_digits_load_with_their_labels_and_polarity(tmp_path: Path) -> None:
    root = _write_digit_folder(tmp_path / "mine", {"3": 2, "7": 2})
    # a dark-on-light 28x28 sample and a larger photo crop of a digit (dark ink on paper)
    cv2.imwrite(str(root / "7" / "s2__0001.png"), 255 - draw_digit(7))
    photo = np.full((120, 90), 215, np.uint8)
    photo[20:104, 5:89] = 255 - draw_digit(3, 84, 6)
    cv2.imwrite(str(root / "3" / "s2__0002.png"), photo)
    samples = scan_extra([root], DIGIT_LABELS)
    assert [s.label for s in samples] == ["3", "3", "3", "7", "7", "7"]
    assert {s.session for s in samples} == {"s1", "s2"}
    x, y = load_extra_digits(samples)
    assert x.shape == (6, 28, 28) and x.dtype == np.uint8
    assert y.tolist() == [3, 3, 3, 7, 7, 7]
    for img in x:  # all white ink on black now
        assert img[:2].mean() < 20 and img.max() > 200
    # the photo was MNIST-normalised: its ink box has a longer side of about 20 px
    ys, xs = np.nonzero(x[2] > 30)
    assert 17 <= max(np.ptp(ys), np.ptp(xs)) + 1 <= 22


def test_split_by_session_when_there_are_several(tmp_path: Path) -> None:
    root = _write_digit_folder(tmp_path / "m", {"1": 12, "2": 12}, sessions=("a", "b", "c", "d"))
    samples = scan_extra([root], DIGIT_LABELS)
    tr, val, how = split_extra(samples, 0.25, seed=0)
    assert how == "session" and val and tr
    assert not {s.session for s in tr} & {s.session for s in val}  # whole sessions only
    assert len(tr) + len(val) == len(samples)
    again = split_extra(samples, 0.25, seed=0)
    assert [s.path for s in again[1]] == [s.path for s in val]  # deterministic
    assert split_extra(samples, 0.0)[2] == "none"
    with pytest.raises(ValueError, match="extra-val-fraction"):
        split_extra(samples, 0.95)


def test_split_by_sample_with_one_session(tmp_path: Path) -> None:
    root = _write_digit_folder(tmp_path / "m", {"4": 20})
    samples = scan_extra([root], DIGIT_LABELS)
    tr, val, how = split_extra(samples, 0.2, seed=1)
    assert how == "sample" and len(val) == 4 and len(tr) == 16
    assert session_of("kitchen__0007") == "kitchen" and session_of("photo") == ""


def test_extra_per_batch() -> None:
    assert extra_per_batch(0.0, 64) == 0
    assert extra_per_batch(0.25, 64) == 16
    assert extra_per_batch(0.001, 64) == 1  # at least one
    assert extra_per_batch(0.999, 8) == 7  # at least one base sample
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        extra_per_batch(1.0, 64)


def test_mix_indices_honours_the_ratio_and_walks_every_sample() -> None:
    rng = np.random.default_rng(0)
    k = extra_per_batch(0.3, 20)
    batches = mix_indices(1000, 37, 20, k, rng)
    assert len(batches) == int(np.ceil(1037 / 20))
    n_extra = sum(len(e) for _, e in batches)
    n_all = sum(len(b) + len(e) for b, e in batches)
    assert abs(n_extra / n_all - 0.3) < 0.01
    first = np.concatenate([e for _, e in batches])[:37]
    assert sorted(first.tolist()) == list(range(37))  # every extra sample before any repeats
    base = np.concatenate([b for b, _ in batches])
    assert base.max() < 1000 and len(set(base[:1000].tolist())) == min(1000, len(base))
    plain = mix_indices(50, 0, 16, 0, rng)
    assert sorted(np.concatenate([b for b, _ in plain]).tolist()) == list(range(50))


@pytest.mark.tf
def test_mixed_dataset_ratio_and_labels() -> None:
    pytest.importorskip("tensorflow")
    from train.extra_mix import mixed_dataset

    xb = np.zeros((1000, 28, 28), np.uint8)
    yb = np.full(1000, 1, np.int64)
    xe = np.full((40, 28, 28), 255, np.uint8)  # extra samples are marked white...
    ye = (np.arange(40) % 10).astype(np.int64)  # ...and carry their own labels
    xe[:, 0, 0] = ye  # the label written into the image, to check the pairing
    ds, steps, k = mixed_dataset(xb, yb, xe, ye, 0.25, 32, seed=0)
    assert k == 8 and steps == int(np.ceil(1040 / 32))
    fractions = []
    for x, y in ds.take(60):
        x, y = x.numpy(), y.numpy()
        is_extra = x[:, 1, 1] == 255
        fractions.append(is_extra.mean())
        np.testing.assert_array_equal(x[is_extra, 0, 0], y[is_extra])
        assert (y[~is_extra] == 1).all()
    assert abs(np.mean(fractions) - 0.25) < 0.02

    plain, steps0, k0 = mixed_dataset(xb, yb, xe, ye, 0.0, 32, seed=0)
    assert steps0 is None and k0 == 0
    seen = np.concatenate([x.numpy()[:, 1, 1] for x, _ in plain])
    assert len(seen) == 1040 and (seen == 255).sum() == 40  # one pass, each sample once
    with pytest.raises(ValueError, match="no extra"):
        mixed_dataset(xb, yb, xe[:0], ye[:0], 0.25, 32)


# -- fine-tuning ------------------------------------------------------------------------


def _write_idx(path: Path, arr: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared MNIST folder, or a small synthetic one in IDX format when it is absent."""
    import os

    env = os.environ.get("EDGE_DATA_DIR")
    shared = (Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data") / "mnist"
    if shared.is_dir():
        return shared
    folder = tmp_path_factory.mktemp("mnist-synthetic")
    rng = np.random.default_rng(0)
    y = (np.arange(600) % 10).astype(np.uint8)
    x = np.stack([np.roll(draw_digit(int(d)), tuple(rng.integers(-2, 3, 2)), (0, 1)) for d in y])
    for split, n in (("train", 500), ("t10k", 100)):
        sl = slice(0, n) if split == "train" else slice(500, 600)
        _write_idx(folder / f"{split}-images-idx3-ubyte.gz", x[sl])
        _write_idx(folder / f"{split}-labels-idx1-ubyte.gz", y[sl])
    return folder


@pytest.fixture(scope="module")
def saved_lenet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder holding an (untrained) lenet5 model.keras and labels.txt."""
    pytest.importorskip("tensorflow")
    import keras

    from train.lenet_config import LenetConfig
    from train.lenet_model import build_model

    keras.utils.set_random_seed(7)
    run = tmp_path_factory.mktemp("init-run")
    build_model(LenetConfig(variant="lenet5")).save(run / "model.keras")
    (run / "labels.txt").write_text("".join(f"{d}\n" for d in range(10)))
    return run


@pytest.mark.tf
def test_init_from_checks_shape_labels_and_path(saved_lenet: Path, tmp_path: Path) -> None:
    from train.finetune import load_init_model, resolve_init_model

    assert resolve_init_model(saved_lenet) == saved_lenet / "model.keras"
    model, info = load_init_model(saved_lenet, (28, 28, 1), DIGIT_LABELS)
    assert info["labels"] == list(DIGIT_LABELS) and model.output_shape[-1] == 10
    with pytest.raises(ValueError, match=r"input \(H, W, C\) = \(28, 28, 1\).*\(64, 64, 3\)"):
        load_init_model(saved_lenet, (64, 64, 3), DIGIT_LABELS)
    with pytest.raises(ValueError, match="labels"):
        load_init_model(saved_lenet, (28, 28, 1), [str(d) for d in range(9, -1, -1)])
    with pytest.raises(ValueError, match="no model.keras"):
        resolve_init_model(tmp_path)
    (tmp_path / "model.tflite").write_bytes(b"x")
    with pytest.raises(ValueError, match="cannot be fine-tuned"):
        resolve_init_model(tmp_path / "model.tflite")
    with pytest.raises(ValueError, match="does not exist"):
        resolve_init_model(tmp_path / "missing.keras")


@pytest.mark.tf
def test_finetune_starts_from_the_given_weights_and_scores_extra_val(
    saved_lenet: Path, digits_dir: Path, tmp_path: Path
) -> None:
    import keras

    from train.cli import main

    extra = _write_digit_folder(tmp_path / "mine", {str(d): 6 for d in range(10)}, sessions=("a", "b", "c"))
    out = tmp_path / "ft"
    # learning rate ~0: after an epoch the weights must still be the ones we started from
    rc = main(
        [
            "lenet",
            "--init-from",
            str(saved_lenet),
            "--extra",
            str(extra),
            "--extra-ratio",
            "0.25",
            "--extra-val-fraction",
            "0.3",
            "--learning-rate",
            "1e-12",
            "--epochs",
            "1",
            "--limit",
            "300",
            "--batch-size",
            "32",
            "--validation-split",
            "0",
            "--no-augment",
            "--data-dir",
            str(digits_dir),
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    start = keras.models.load_model(saved_lenet / "model.keras")
    tuned = keras.models.load_model(out / "model.keras")
    for a, b in zip(start.trainable_weights, tuned.trainable_weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["extra"]["split"] == "session" and metrics["extra"]["per_batch"] == 8
    assert metrics["extra_val"]["n"] == metrics["extra"]["val_n"] > 0
    assert 0.0 <= metrics["extra_val"]["accuracy"] <= 1.0
    # the starting model's scores are recorded and, with no weight change, equal the result's
    init = metrics["init_model"]
    assert init["path"].endswith("model.keras")
    assert init["test_accuracy"] == pytest.approx(metrics["test_accuracy"], abs=1e-9)
    assert init["extra_val_accuracy"] == pytest.approx(metrics["extra_val"]["accuracy"], abs=1e-9)
    assert json.loads((out / "config.json").read_text())["init_from"] == str(saved_lenet)
    # the split is listed, and the held-out part exports to class folders for edge-eval
    from train.extra_data import export_split
    from train.extra_data import main as extra_main

    split = json.loads((out / "extra_split.json").read_text())
    assert split["how"] == "session" and len(split["val"]) == metrics["extra"]["val_n"]
    assert not {r["path"] for r in split["val"]} & {r["path"] for r in split["train"]}
    held_sessions = {r["session"] for r in split["val"]}
    assert held_sessions and not held_sessions & {r["session"] for r in split["train"]}
    assert extra_main(["export", str(out), "--out", str(tmp_path / "val")]) == 0
    copied = sorted(p.relative_to(tmp_path / "val") for p in (tmp_path / "val").rglob("*.png"))
    assert len(copied) == len(split["val"])
    assert {p.parts[0] for p in copied} <= {str(d) for d in range(10)}
    with pytest.raises(DatasetError, match="exists already"):  # never overwrites
        export_split(out, tmp_path / "val")


@pytest.mark.tf
def test_cli_errors_for_init_from_and_extra(
    saved_lenet: Path, digits_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from train.cli import main

    base = [
        "lenet",
        "--epochs",
        "1",
        "--limit",
        "64",
        "--data-dir",
        str(digits_dir),
        "--out",
        str(tmp_path / "o"),
    ]
    bad = _write_digit_folder(tmp_path / "bad", {"2": 2})
    (bad / "two").mkdir()
    assert main([*base, "--extra", str(bad)]) == 2
    assert "0, 1, 2, 3, 4, 5, 6, 7, 8, 9" in capsys.readouterr().err
    assert main([*base, "--extra-ratio", "0.2"]) == 2
    assert "--extra DIR" in capsys.readouterr().err
    assert main([*base, "--init-from", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def _hand_tree(
    root: Path, per_class: int, sessions: tuple[str, ...], labels: tuple[str, ...] = HANDS[:3]
) -> Path:
    rng = np.random.default_rng(0)
    for i, label in enumerate(labels):
        (root / label).mkdir(parents=True, exist_ok=True)
        for n in range(per_class):
            img = np.full((40, 40, 3), 200, np.uint8)
            cv2.circle(img, (20, 20), 8 + 4 * i, (120, 160, 215), -1)
            img = to_uint8(img.astype(np.float32) + rng.normal(0, 5, img.shape))
            cv2.imwrite(str(root / label / f"{sessions[n % len(sessions)]}__{n:04d}.png"), img)
    return root


@pytest.mark.tf
def test_hands_extra_and_init_from_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tensorflow")
    from train.cli import main

    _hand_tree(tmp_path / "data" / "src", 8, ("p1", "p2", "p3", "p4"))
    mine = _hand_tree(tmp_path / "mine", 4, ("kitchen", "desk"))
    common = [
        "--data",
        str(tmp_path / "data"),
        "--input-size",
        "32",
        "--width",
        "4",
        "--batch-size",
        "8",
        "--epochs",
        "1",
        "--val-fraction",
        "0.25",
        "--no-hard-negatives",
    ]
    first = tmp_path / "first"
    assert main(["hands", *common, "--extra", str(mine), "--extra-ratio", "0.25", "--out", str(first)]) == 0
    m = json.loads((first / "metrics.json").read_text())
    assert m["extra"]["split"] == "session" and m["extra"]["per_batch"] == 2
    assert m["extra_val"]["n"] == 6 and 0 <= m["extra_val"]["accuracy"] <= 1
    split = json.loads((first / "split.json").read_text())
    assert len(split["extra_val"]) == 6 and len(split["extra_train"]) == 6
    assert {r[3] for r in split["extra_val"]}.isdisjoint({r[3] for r in split["extra_train"]})

    second = tmp_path / "second"
    assert (
        main(["hands", *common, "--init-from", str(first), "--learning-rate", "1e-4", "--out", str(second)])
        == 0
    )
    m2 = json.loads((second / "metrics.json").read_text())
    assert m2["init_model"]["labels"] == m["labels"] and "val_accuracy" in m2["init_model"]
    # a different input size than the model's is a clear error
    assert (
        main(
            [
                "hands",
                *common[:2],
                "--input-size",
                "48",
                "--epochs",
                "1",
                "--init-from",
                str(first),
                "--out",
                str(tmp_path / "third"),
            ]
        )
        == 2
    )
    assert "--input-size 32" in capsys.readouterr().err
    bad = _hand_tree(tmp_path / "bad", 1, ("s",), labels=("rock", "thumbs-up"))
    assert main(["hands", *common, "--extra", str(bad), "--out", str(tmp_path / "fourth")]) == 2
    assert "rock, paper, scissors" in capsys.readouterr().err
