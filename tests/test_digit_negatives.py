"""Outlier Exposure negatives (train.digit_negatives): ROIs off the digit, uniform targets, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import draw_digit

import benchmarks.realistic_render as realistic_render
from edge.datasets import DatasetError
from edge.types import ROI
from train.digit_negatives import (
    NEGATIVE,
    NegativeReader,
    frame_negatives,
    list_photos,
    load_negatives,
    main,
    photo_negatives,
    save_negatives,
    touches,
)


def test_touches_counts_overlap_shared_edges_and_the_margin() -> None:
    box = (100, 50, 40, 60)  # x 100..139, y 50..109
    assert touches(ROI(110, 60, 10, 10), box)  # inside
    assert touches(ROI(80, 40, 100, 100), box)  # around it
    assert touches(ROI(60, 60, 40, 10), box, margin=0)  # ends where the box starts
    assert touches(ROI(141, 60, 10, 10), box, margin=2)  # 1 px right of it: within the margin
    assert not touches(ROI(141, 60, 10, 10), box, margin=0)
    assert not touches(ROI(10, 10, 20, 20), box)
    assert not touches(ROI(110, 120, 10, 10), box)  # below it


class _StubReader:
    """Returns, for each frame, a ROI inside the digit's box, one touching its right edge and one
    far from it, with inputs of 1 s, 2 s and 3 s (in 1/255) so the kept ones can be told apart."""

    def __init__(self) -> None:
        self.box: tuple[int, int, int, int] = (0, 0, 0, 0)

    def read(self, image: np.ndarray) -> list[tuple[ROI, np.ndarray]]:
        x, y, w, h = self.box
        H, W = image.shape[:2]
        far = ROI(0, 0, 5, 5) if x > 20 or y > 20 else ROI(W - 6, H - 6, 5, 5)
        rois = [ROI(x + 1, y + 1, max(1, w - 2), max(1, h - 2)), ROI(x + w, y, 5, 5), far]
        return [(r, np.full((1, 28, 28), (k + 1) / 255.0, np.float32)) for k, r in enumerate(rois)]


def test_frame_negatives_keep_only_rois_off_the_digit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real renderer frames (benchmarks.realistic_render.make_frame) of drawn digits: of a ROI in
    the digit, one touching it and one away from it, only the last is a negative."""
    reader = _StubReader()
    real = realistic_render.make_frame

    def spy(*args, **kw):  # the renderer's frame; its true box handed to the stub reader
        img, boxes = real(*args, **kw)
        reader.box = boxes[0]
        return img, boxes

    monkeypatch.setattr(realistic_render, "make_frame", spy)
    digits = np.stack([draw_digit(d, 28, 2) for d in (3, 7, 0)])
    x, counts = frame_negatives(reader, digits, seed=101)
    assert counts["frames"] == 3 and counts["rois"] == 9 and counts["touching"] == 6
    assert x.dtype == np.uint8 and x.shape == (3, 28, 28)  # the far ROI of each frame
    assert set(np.unique(x)) == {3}


def test_negative_reader_reads_live_and_still_and_drops_the_digit(tiny_digits_bundle: Path) -> None:
    """A white page with a drawn 4 and a dark ring: the reader finds both live and as a still
    (one input per live ROI, three views per still ROI); with the 4's box excluded only the ring's
    inputs are left."""
    page = np.full((480, 640, 3), 225, np.uint8)
    ink = cv2.resize(draw_digit(4, 28, 3), (90, 90))
    page[100:190, 100:190] = np.minimum(page[100:190, 100:190], (255 - ink)[..., None])
    cv2.circle(page, (500, 320), 30, (30, 30, 30), 4)  # a ring away from the 4
    found = NegativeReader(str(tiny_digits_bundle)).read(page)
    assert sorted({v.shape[0] for _, v in found}) == [1, 3]
    assert all(v.shape[1:] == (28, 28) and v.dtype == np.float32 for _, v in found)
    digit_box = (100, 100, 90, 90)
    near = [r for r, _ in found if touches(r, digit_box)]
    off = [r for r, _ in found if not touches(r, digit_box)]
    assert near and off and all(r.x >= 400 and r.y >= 280 for r in off)


def test_photo_negatives_scale_photos_like_a_webcam(tmp_path: Path, tiny_digits_bundle: Path) -> None:
    """Photos of any size are read at 640x480; every 2nd photo of a folder with ``every=2``."""
    for k in range(3):
        img = np.full((200, 300, 3), 200, np.uint8)
        cv2.circle(img, (150, 100), 30 + 5 * k, (40, 40, 40), -1)
        (tmp_path / "a").mkdir(exist_ok=True)
        cv2.imwrite(str(tmp_path / "a" / f"{k}.jpg"), img)
    paths = list_photos([tmp_path / "a"], every=2)
    assert [p.name for p in paths] == ["0.jpg", "2.jpg"]
    x = photo_negatives(NegativeReader(str(tiny_digits_bundle), still=False), paths)
    assert x.dtype == np.uint8 and x.ndim == 3 and len(x) >= 1 and x.shape[1:] == (28, 28)
    with pytest.raises(DatasetError, match="no photos"):
        list_photos([tmp_path / "missing"])


def test_save_and_load_negatives(tmp_path: Path) -> None:
    x = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    save_negatives(tmp_path / "n.npz", x, np.array([0, 1]), seed=5)
    assert np.array_equal(load_negatives(tmp_path / "n.npz"), x)
    with pytest.raises(ValueError, match="uint8"):
        save_negatives(tmp_path / "bad.npz", x.astype(np.float32), np.array([0, 1]))
    with pytest.raises(DatasetError, match="python -m train.digit_negatives"):
        load_negatives(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", y=np.zeros(3))
    with pytest.raises(DatasetError, match="not a readable negatives file"):
        load_negatives(tmp_path / "other.npz")


def test_cli_needs_frames_or_photos(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path / "n.npz")]) == 2
    assert "--frames" in capsys.readouterr().err


def test_outlier_targets_and_the_loss_pull_negatives_towards_uniform() -> None:
    """A negative's target is uniform (weight 0.5), a digit's one-hot; under the training loss
    (CategoricalCrossentropy with label smoothing) a uniform prediction of a negative costs less
    than a confident one, while a digit's confident right prediction costs less than uniform."""
    pytest.importorskip("tensorflow")
    import keras

    from train.digit_negatives import outlier_targets

    t, w = outlier_targets(np.array([3, NEGATIVE]), 10, 0.5)
    t, w = np.asarray(t), np.asarray(w)
    assert np.allclose(t[0], np.eye(10)[3]) and np.allclose(t[1], 0.1) and np.allclose(w, [1.0, 0.5])
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=0.05)
    uniform = np.full((1, 10), 0.1, np.float32)
    peaked = np.full((1, 10), 0.01, np.float32)
    peaked[0, 3] = 0.91
    neg_t = t[1:2]
    assert float(loss(neg_t, uniform)) < float(loss(neg_t, peaked))
    assert float(loss(t[0:1], peaked)) < float(loss(t[0:1], uniform))


@pytest.mark.tf
def test_training_with_negatives_lowers_their_top_probability(
    tmp_path: Path, shared_data_dir: Path | None
) -> None:
    """A tiny ``edge-train lenet`` run with noise negatives: they are counted in metrics.json and
    the trained model's top probability on them is far below a digit's."""
    pytest.importorskip("tensorflow")
    from train import cli

    if shared_data_dir is None or not (shared_data_dir / "mnist").is_dir():
        pytest.skip("shared MNIST not found (set EDGE_DATA_DIR or provide ../shared/data)")
    neg = np.random.default_rng(0).integers(0, 256, (600, 28, 28), dtype=np.uint8)
    save_negatives(tmp_path / "n.npz", neg, np.zeros(len(neg)))
    argv = ["lenet", "--variant", "lenet5", "--epochs", "2", "--limit", "2000", "--validation-split", "0"]
    argv += ["--negatives", str(tmp_path / "n.npz"), "--out", str(tmp_path / "run")]
    argv += ["--data-dir", str(shared_data_dir / "mnist")]
    assert cli.main(argv) == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["negatives"]["n"] == 600 and m["negatives"]["weight"] == 0.5
    assert m["negatives"]["mean_top_probability"] < 0.5 < m["test_accuracy"]
