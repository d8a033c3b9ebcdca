"""Gesture data (scan, group, split, report, load), hand augmentation and edge-train hands."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.datasets import DatasetError
from edge.preprocess import square_pad
from train.hand_augment import (
    BackgroundBank,
    HandAugmentConfig,
    HandAugmenter,
    chroma_key_alpha,
    composite,
    despill,
    green_fraction,
    procedural_background,
)
from train.hand_data import (
    HandSample,
    capture_name,
    count_report,
    group_of,
    scan_collection,
    scan_source,
    split_by_group,
)
from train.hand_images import load_images

SKIN_BGR = (120, 160, 215)
GREEN_BGR = (40, 180, 40)


def _hand_photo(label: str, rng: np.random.Generator, bg=(200, 200, 200), size=(90, 120)) -> np.ndarray:
    """A crude synthetic hand: a fist, a palm with five fingers, or two fingers (BGR)."""
    h, w = size
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = bg
    cx, cy = w // 2 + int(rng.integers(-5, 6)), h // 2 + 10
    cv2.ellipse(img, (cx, cy), (22, 26), 0, 0, 360, SKIN_BGR, -1)
    fingers = {"rock": 0, "scissors": 2, "paper": 5, "none": 1}[label]
    for k in range(fingers):
        ang = np.deg2rad(-90 + (k - (fingers - 1) / 2) * 22)
        tip = (int(cx + 45 * np.cos(ang)), int(cy + 45 * np.sin(ang)))
        cv2.line(img, (cx, cy), tip, SKIN_BGR, 8)
    return img


def _make_tree(root: Path, sources: dict[str, dict[str, int]], bg=(200, 200, 200)) -> Path:
    """Write ``root/<source>/<class>/<person>__<n>.jpg`` photos."""
    rng = np.random.default_rng(0)
    for src, classes in sources.items():
        for label, n in classes.items():
            d = root / src / label
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                person = f"p{i % 4}"
                cv2.imwrite(str(d / f"{person}__{i:03d}.jpg"), _hand_photo(label, rng, bg))
    return root


# -- data ----------------------------------------------------------------------


def test_group_rules_follow_the_readme() -> None:
    assert group_of("github-webcam-rps", "yamini-03__64") == "yamini-03"
    assert group_of("subhih-handsdataset", "3_1528505750.77_pic00072_h0") == "3_1528505750.77"
    assert group_of("kaggle-drgfreeman-rps-cv", "04l5I8TqdzF9WDMJ") == "04l5I8TqdzF9WDMJ"
    assert group_of("my-captures", "alice__00012") == "alice"
    assert group_of("mediapipe-rps-data-sample", "mp_103") == ""  # whole source = one group
    assert capture_name("alice", 12) == "alice__00012.jpg"
    with pytest.raises(ValueError, match="must not contain"):
        capture_name("a__b", 1)


def test_scan_source_and_errors(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = _make_tree(tmp_path, {"s": {"rock": 3, "paper": 2}})
    (root / "s" / "thumbs").mkdir()
    samples = scan_source(root / "s")
    assert [s.label for s in samples] == ["paper"] * 2 + ["rock"] * 3
    assert {s.group for s in samples} <= {"p0", "p1", "p2", "p3"}
    assert "not a class folder" in caplog.text
    with pytest.raises(DatasetError, match="does not exist"):
        scan_source(tmp_path / "missing")
    (tmp_path / "empty" / "rock").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no photos"):
        scan_source(tmp_path / "empty")
    with pytest.raises(DatasetError, match="neither class folders"):
        scan_collection([tmp_path / "empty" / "rock"])


def test_split_keeps_groups_whole_and_holds_out_sources(tmp_path: Path) -> None:
    root = _make_tree(tmp_path, {"a": {"rock": 20, "paper": 20}, "b": {"rock": 8, "scissors": 8}})
    samples = scan_collection([root])
    splits = split_by_group(samples, 0.25, seed=3)
    groups = {k: {s.group_key for s in v} for k, v in splits.items()}
    assert not groups["train"] & groups["val"]
    assert len(splits["train"]) + len(splits["val"]) == len(samples)
    assert 0 < len(splits["val"]) < len(samples) / 2
    assert split_by_group(samples, 0.25, seed=3) == splits  # deterministic
    held = split_by_group(samples, 0.25, holdout_sources=["b"])
    assert {s.source for s in held["test"]} == {"b"} and len(held["test"]) == 16
    assert all(s.source == "a" for s in held["train"] + held["val"])
    with pytest.raises(ValueError, match="not in the data"):
        split_by_group(samples, 0.2, holdout_sources=["nope"])
    with pytest.raises(ValueError, match="val_fraction"):
        split_by_group(samples, 0.95)
    report = count_report(held)
    assert "train:" in report and "test: 16 photos" in report
    line = next(ln for ln in report.splitlines() if ln.strip().startswith("b "))
    assert line.split()[1:5] == ["8", "0", "8", "0"]


def test_single_group_source_stays_in_training(tmp_path: Path) -> None:
    samples = [HandSample(tmp_path / f"{i}.jpg", "rock", "small", "") for i in range(10)]
    splits = split_by_group(samples, 0.5)
    assert len(splits["train"]) == 10 and not splits["val"]


def test_square_pad_and_load_images_give_rgb(tmp_path: Path) -> None:
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, :, 2] = 255  # red in BGR
    sq = square_pad(img)
    assert sq.shape == (80, 80, 3) and (sq[:, :, 2] == 255).all()
    d = tmp_path / "s" / "rock"
    d.mkdir(parents=True)
    cv2.imwrite(str(d / "x.png"), img)
    (d / "broken.jpg").write_bytes(b"not a jpeg")
    samples = scan_source(tmp_path / "s")
    good = [s for s in samples if s.path.name == "x.png"]
    x, y = load_images(good, 32)
    assert x.shape == (1, 32, 32, 3) and x.dtype == np.uint8
    assert x[0, 16, 16].tolist() == [255, 0, 0]  # RGB order
    assert y.tolist() == [0]
    with pytest.raises(DatasetError, match="broken.jpg"):
        load_images(samples, 32)


def test_shared_rps_split_has_no_person_on_both_sides(shared_data_dir: Path | None) -> None:
    if shared_data_dir is None or not (shared_data_dir / "rps").is_dir():
        pytest.skip("shared rps data not found")
    samples = scan_collection([shared_data_dir / "rps"])
    assert len(samples) > 6000
    splits = split_by_group(samples, 0.15)
    tr = {s.group_key for s in splits["train"]}
    va = {s.group_key for s in splits["val"]}
    assert not tr & va
    webcam_val = {s.group for s in splits["val"] if s.source == "github-webcam-rps"}
    assert 1 <= len(webcam_val) < 17


# -- augmentation --------------------------------------------------------------


def _green_hand_rgb() -> np.ndarray:
    img = _hand_photo("paper", np.random.default_rng(1), bg=GREEN_BGR, size=(96, 96))
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def test_chroma_key_finds_the_hand_and_composites() -> None:
    rgb = _green_hand_rgb()
    assert green_fraction(rgb) > 0.5
    alpha = chroma_key_alpha(rgb)
    assert alpha.shape == (96, 96) and alpha.dtype == np.float32
    skin = np.all(rgb == SKIN_BGR[::-1], axis=2)
    assert alpha[skin].mean() > 0.9 and alpha[~skin].mean() < 0.15
    bg = np.full_like(rgb, 90)
    out = composite(despill(rgb, alpha), alpha, bg)
    assert green_fraction(out) < 0.05
    assert abs(int(out[2, 2, 1]) - 90) <= 2


def test_despill_caps_green_on_the_hand_only() -> None:
    img = np.array([[[100, 200, 90], [100, 200, 90]]], np.uint8)
    alpha = np.array([[1.0, 0.0]], np.float32)
    out = despill(img, alpha)
    assert out[0, 0].tolist() == [100, 100, 90] and out[0, 1].tolist() == [100, 200, 90]


def test_augmenter_shapes_determinism_and_background_change() -> None:
    rgb = np.stack([_green_hand_rgb()] * 4)
    aug = HandAugmenter(HandAugmentConfig(composite=1.0), BackgroundBank(), out_size=64)
    a = aug(rgb, np.random.default_rng(5))
    b = aug(rgb, np.random.default_rng(5))
    assert a.shape == (4, 64, 64, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a[0], a[1])
    assert np.mean([green_fraction(im) for im in a]) < 0.3  # the studio green is gone
    keep = HandAugmenter(
        HandAugmentConfig(
            composite=0.0,
            colour=False,
            grey=0,
            blur=0,
            noise=0,
            jpeg=0,
            rotate_full=0,
            rotate_small=0,
            flip=0,
            scale=(1, 1),
            shift=0,
        )
    )
    same = keep(rgb[:1], np.random.default_rng(0))
    assert np.abs(same.astype(int) - rgb[:1]).max() <= 1
    none = aug.background_only(3, 96, np.random.default_rng(0))
    assert none.shape == (3, 64, 64, 3)


def test_background_bank_uses_photos_and_procedural() -> None:
    photos = np.full((2, 50, 50, 3), 7, np.uint8)
    bank = BackgroundBank(photos, photo_share=1.0)
    assert (bank.sample(32, np.random.default_rng(0)) == 7).all()
    bg = procedural_background(48, np.random.default_rng(1))
    assert bg.shape == (48, 48, 3) and bg.dtype == np.uint8 and bg.std() > 0


# -- training ------------------------------------------------------------------


@pytest.mark.tf
def test_edge_train_hands_end_to_end(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    from train.cli import main

    data = _make_tree(
        tmp_path / "data",
        {
            "src": {"rock": 12, "paper": 12, "scissors": 12, "none": 8},
            "other": {"rock": 4, "paper": 4, "scissors": 4},
        },
    )
    out = tmp_path / "run"
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"epochs": 5, "width": 4, "batch_size": 16}))
    rc = main(
        [
            "hands",
            "--config",
            str(cfg),
            "--data",
            str(data),
            "--out",
            str(out),
            "--epochs",
            "2",
            "--input-size",
            "32",
            "--holdout-source",
            "other",
            "--val-fraction",
            "0.25",
        ]
    )
    assert rc == 0
    for f in (
        "model.keras",
        "labels.txt",
        "config.json",
        "split.json",
        "counts.txt",
        "history.csv",
        "curves.png",
        "confusion.png",
        "metrics.json",
        "calibration.npy",
        "val.npz",
    ):
        assert (out / f).is_file(), f
    resolved = json.loads((out / "config.json").read_text())
    assert resolved["epochs"] == 2 and resolved["width"] == 4 and resolved["input_size"] == 32
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["n"] == 12 and set(metrics["test"]["per_source"]) == {"other"}
    assert (out / "labels.txt").read_text().split() == ["rock", "paper", "scissors", "none"]
    calib = np.load(out / "calibration.npy")
    assert calib.shape[1:] == (32, 32, 3) and calib.dtype == np.uint8
    split = json.loads((out / "split.json").read_text())
    tr = {(r[2], r[3]) for r in split["train"]}
    assert not tr & {(r[2], r[3]) for r in split["val"]}


def test_edge_train_hands_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from train.cli import main

    assert main(["hands", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["hands", "--arch", "vgg16", "--input-size", "32", "--data", str(tmp_path)]) == 2
    assert "64..224" in capsys.readouterr().err


@pytest.mark.tf
def test_edge_train_hands_vgg16_weights_none(tmp_path: Path) -> None:
    """The VGG16 arch through the CLI: random base (no download), head then block5."""
    pytest.importorskip("tensorflow")
    from train.cli import main

    data = _make_tree(tmp_path / "data", {"src": {"rock": 6, "paper": 6, "scissors": 6, "none": 4}})
    out = tmp_path / "vgg"
    rc = main(
        [
            "hands",
            "--arch",
            "vgg16",
            "--weights",
            "none",
            "--data",
            str(data),
            "--out",
            str(out),
            "--input-size",
            "64",
            "--head-epochs",
            "1",
            "--finetune-epochs",
            "1",
            "--augment-copies",
            "1",
            "--val-fraction",
            "0.25",
            "--batch-size",
            "8",
        ]
    )
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["arch"] == "vgg16" and metrics["val"]["n"] > 0
    assert json.loads((out / "config.json").read_text())["weights"] is None
    assert (out / "model.keras").is_file() and (out / "calibration.npy").is_file()


def test_export_split_links_a_class_folder_tree(tmp_path: Path) -> None:
    from train.hand_data import export_split
    from train.hand_data import main as data_main

    root = _make_tree(tmp_path / "d", {"a": {"rock": 4, "paper": 4}, "b": {"scissors": 3}})
    splits = split_by_group(scan_collection([root]), 0.3, holdout_sources=["b"])
    sj = tmp_path / "split.json"
    sj.write_text(
        json.dumps({k: [[str(s.path), s.label, s.source, s.group] for s in v] for k, v in splits.items()})
    )
    n = export_split(sj, "test", tmp_path / "out")
    assert n == 3 and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["scissors"]
    files = sorted((tmp_path / "out" / "scissors").iterdir())
    assert files[0].name.startswith("b__") and cv2.imread(str(files[0])) is not None
    with pytest.raises(ValueError, match="no photos of sources"):
        export_split(sj, "test", tmp_path / "o2", sources=["a"])
    assert data_main(["export", str(sj), "--split", "test", "--out", str(tmp_path / "o3")]) == 0
    assert data_main(["counts", str(tmp_path / "nope")]) == 2


def test_mine_hard_negatives_returns_the_segmenters_proposals(tmp_path: Path) -> None:
    from train.hands_prep import mine_hard_negatives

    d = tmp_path / "s" / "none"
    d.mkdir(parents=True)
    wall = np.full((240, 320, 3), (235, 235, 230), np.uint8)
    cv2.imwrite(str(d / "empty.png"), wall)
    with_face = wall.copy()
    cv2.ellipse(with_face, (200, 120), (40, 55), 0, 0, 360, SKIN_BGR, -1)  # a skin blob (a face)
    cv2.imwrite(str(d / "face.png"), with_face)
    samples = scan_source(tmp_path / "s")
    crops = mine_hard_negatives(samples, 48)
    assert crops.shape == (1, 48, 48, 3) and crops.dtype == np.uint8
    centre = crops[0, 20:28, 20:28].reshape(-1, 3).mean(axis=0)
    assert np.abs(centre - np.array(SKIN_BGR[::-1])).max() < 25  # RGB skin in the middle
    empty = [s for s in samples if s.path.name == "empty.png"]
    assert mine_hard_negatives(empty, 48).shape == (0, 48, 48, 3)


def test_hands_config_json_round_trip() -> None:
    from train.hands import HandsConfig

    cfg = HandsConfig(data=["/d"], epochs=3)
    back = HandsConfig.from_json(json.loads(json.dumps(cfg.to_json())))
    assert back == cfg and back.augment is not None and back.augment.scale == (0.8, 1.3)
    assert HandsConfig.from_json({"augment": None}).augment is None
    with pytest.raises(ValueError, match=r"unknown hands config keys \['kind'\]"):
        HandsConfig.from_json({"kind": "x"})  # a ClassVar, not a setting
