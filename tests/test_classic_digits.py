"""OpenCV's classic digit recipe (benchmarks.classic_digits, classic_svm) and ``edge-bench classic``."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import classic_cli, classic_digits
from benchmarks.classic_compare import match_digits, side_by_side, verdict
from benchmarks.classic_digits import (
    CELL,
    ClassicDigitReader,
    deskew,
    hog_features,
    load_digits_png,
    load_or_train_svm,
    normalise_box,
    predict_cells,
    train_svm,
)
from benchmarks.classic_frames import grey_paper_frame, load_frame_set
from benchmarks.classic_svm import RbfSvm
from benchmarks.cli import main
from edge.types import ROI


@pytest.fixture(scope="session")
def digits_png(shared_data_dir: Path | None) -> Path:
    p = None if shared_data_dir is None else shared_data_dir / "opencv-digits" / "digits.png"
    if p is None or not p.is_file():
        pytest.skip(
            "OpenCV's digits.png not found (set EDGE_DATA_DIR or provide ../shared/data/opencv-digits)"
        )
    return p


@pytest.fixture(scope="session")
def sheet(digits_png: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells, labels and a fixed permutation (first 1500: training, last 500: held out)."""
    cells, labels = load_digits_png(digits_png)
    return cells, labels, np.random.default_rng(0).permutation(len(cells))


@pytest.fixture(scope="session")
def small_svm(sheet: tuple[np.ndarray, np.ndarray, np.ndarray]) -> RbfSvm:
    cells, labels, perm = sheet
    svm = train_svm(cells[perm[:1500]], labels[perm[:1500]])
    assert isinstance(svm, RbfSvm) or hasattr(svm, "predict")
    return svm  # type: ignore[return-value]


def _stroke(shear: float) -> np.ndarray:
    """A 20x20 cell with a thick vertical bar, sheared by ``shear`` px per px of height."""
    cell = np.zeros((CELL, CELL), np.uint8)
    for y in range(3, 17):
        x = int(round(10 + shear * (y - 10)))
        cell[y, x - 1 : x + 2] = 255
    return cell


def _skew(cell: np.ndarray) -> float:
    m = cv2.moments(cell)
    return m["mu11"] / m["mu02"]


# ---- HOG ----------------------------------------------------------------------------


def test_hog_is_64_unit_norm_float32_and_zero_on_a_blank_cell() -> None:
    cells = np.stack([_stroke(0.3), np.zeros((CELL, CELL), np.uint8)])
    f = hog_features(cells)
    assert f.shape == (2, 64) and f.dtype == np.float32
    assert np.linalg.norm(f[0]) == pytest.approx(1.0, abs=1e-5)
    assert not f[1].any()
    assert hog_features(cells[0]).shape == (1, 64)
    with pytest.raises(ValueError, match="20, 20"):
        hog_features(np.zeros((1, 28, 28), np.uint8))


def test_hog_of_a_cell_turned_180_degrees_is_the_opposite_quadrant_and_orientation() -> None:
    """Turning by 180 degrees negates every gradient (orientation + pi: bin + 8) and swaps
    the quadrants top-left <-> bottom-right and top-right <-> bottom-left."""
    yy, xx = np.mgrid[0:CELL, 0:CELL].astype(np.float32)
    blob = 255 * np.exp(-((xx - 6.3) ** 2 / 18 + (yy - 8.7) ** 2 / 8))  # off-centre, no symmetry
    cell = (blob + 120 * (xx > 13) * (yy > 12)).clip(0, 255).astype(np.uint8)
    h = hog_features(cell)[0].reshape(4, 16)  # quadrants TL, TR, BL, BR
    turned = hog_features(cv2.rotate(cell, cv2.ROTATE_180))[0].reshape(4, 16)
    expected = np.roll(h[::-1], 8, axis=1)  # quadrant q -> 3 - q, bin b -> b + 8
    assert float(np.dot(turned.ravel(), expected.ravel())) > 0.97
    assert float(np.dot(turned.ravel(), h.ravel())) < 0.8  # the turn did change the histogram


# ---- deskew and normalisation ---------------------------------------------------------


def test_deskew_straightens_a_sheared_stroke() -> None:
    sheared = _stroke(0.4)
    assert abs(_skew(sheared)) > 0.3
    straight = deskew(sheared)
    assert straight.shape == (CELL, CELL) and straight.dtype == np.uint8
    assert abs(_skew(straight)) < 0.05
    # the bar's columns now line up: its ink spans far fewer columns
    assert np.count_nonzero(straight.max(axis=0) > 127) < np.count_nonzero(sheared.max(axis=0) > 127) - 3
    blank = np.zeros((CELL, CELL), np.uint8)
    assert not deskew(blank).any()


def test_normalise_box_scales_the_box_height_to_two_thirds_of_the_cell_and_centres_the_ink() -> None:
    frame = np.zeros((100, 100), np.uint8)
    cv2.rectangle(frame, (40, 20), (47, 59), 255, -1)  # an upright bar, 40 px tall
    cell = normalise_box(frame, ROI(34, 20, 20, 40))
    ys, xs = np.nonzero(cell > 127)
    assert 11 <= ys.max() - ys.min() + 1 <= 15  # 40 px -> 20 / 1.5 = 13.3 px
    assert abs(xs.mean() - 9.5) < 1.0 and abs(ys.mean() - 9.5) < 1.0


# ---- the SVM on digits.png -------------------------------------------------------------


def test_load_digits_png_says_where_to_get_the_sheet(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--digits-png"):
        load_digits_png(tmp_path / "missing.png")
    cv2.imwrite(str(tmp_path / "small.png"), np.zeros((20, 40), np.uint8))
    with pytest.raises(ValueError, match="2000x1000"):
        load_digits_png(tmp_path / "small.png")


def test_the_svm_reads_held_out_digits_png_cells(
    sheet: tuple[np.ndarray, np.ndarray, np.ndarray], small_svm: RbfSvm, tmp_path: Path
) -> None:
    cells, labels, perm = sheet
    assert np.bincount(labels).tolist() == [500] * 10
    held = perm[-500:]
    pred = predict_cells(small_svm, np.stack([deskew(c) for c in cells[held]]))
    assert pred.dtype == np.int32 and pred.shape == (500,)
    assert (pred == labels[held]).mean() >= 0.90
    small_svm.save(tmp_path / "m.npz")
    again = RbfSvm.load(tmp_path / "m.npz")
    feats = hog_features(np.stack([deskew(c) for c in cells[held[:50]]]))
    assert np.array_equal(again.predict(feats), small_svm.predict(feats))


def test_the_trained_svm_is_cached_by_the_sheets_hash(
    digits_png: Path, small_svm: RbfSvm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def fake_train(cells: np.ndarray, labels: np.ndarray) -> RbfSvm:
        calls.append(len(cells))
        return small_svm

    monkeypatch.setattr(classic_digits, "train_svm", fake_train)
    first = load_or_train_svm(digits_png, cache=tmp_path)
    second = load_or_train_svm(digits_png, cache=tmp_path)
    assert calls == [5000]
    assert len(list(tmp_path.glob("svm-*"))) == 1
    assert second.backend == first.backend


def test_rbf_svm_votes_one_vs_one() -> None:
    """Three well-separated clusters: every point gets its own cluster's label."""
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0], [3, 0], [0, 3]], np.float32)
    x = np.concatenate([c + 0.3 * rng.standard_normal((20, 2)).astype(np.float32) for c in centres])
    y = np.repeat([4, 7, 9], 20)
    svm = RbfSvm.train(x, y, c=2.0, gamma=0.5)
    assert svm.coef.shape[1] == 3 and svm.classes.tolist() == [4, 7, 9]
    assert svm.predict(centres).tolist() == [4, 7, 9]
    assert (svm.predict(x) == y).mean() == 1.0


# ---- side by side ----------------------------------------------------------------------


def test_match_digits_needs_each_box_to_hold_the_others_centre() -> None:
    truth = [("1", ROI(10, 10, 10, 30)), ("7", ROI(60, 10, 20, 30))]
    read = [("1", ROI(5, 10, 30, 30)), ("2", ROI(58, 12, 22, 28)), ("3", ROI(200, 10, 20, 20))]
    assert match_digits(truth, read) == (2, 1, 2)
    assert match_digits(truth, []) == (0, 0, 0)
    assert match_digits([], read) == (0, 0, 0)


def test_the_classic_reader_reads_a_grey_paper_frame(small_svm: RbfSvm, mnist) -> None:
    images, labels = mnist
    frame = grey_paper_frame(np.random.default_rng(3), images, labels, digits=5)
    assert frame.image.shape == (480, 640, 3) and frame.image.dtype == np.uint8
    assert len(frame.truth or ()) == 5
    read = ClassicDigitReader(small_svm).read(frame.image)
    assert all(lab in "0123456789" and len(lab) == 1 for lab, _ in read)
    found, right, _ = match_digits(frame.truth or (), read)
    assert found >= 3 and right >= 2


def test_side_by_side_times_and_scores_both_on_the_same_frames(small_svm: RbfSvm) -> None:
    from edge.pipeline import build_pipeline

    frames = load_frame_set("demo5", 5)
    res = side_by_side(build_pipeline("digits"), ClassicDigitReader(small_svm), frames, warmup=2)
    rows = [res[s].as_row("demo5", s) for s in ("ours", "classic")]
    for r in rows:
        assert r["frames"] == 5 and r["digits"] == 25
        assert r["median_ms"] > 0 and r["cpu_median_ms"] >= 0
        assert 0 <= r["read_pct"] <= r["found_pct"] <= 100
    assert rows[0]["found_pct"] >= 80  # ours reads the demo
    assert set(rows[0]["stages_median_ms"]) >= {"segment", "preprocess", "classify"}
    assert verdict(rows, "demo5").startswith("demo5: ours ")


def test_edge_bench_classic_prints_a_verdict_and_writes_json(
    small_svm: RbfSvm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(classic_cli, "load_or_train_svm", lambda png: small_svm)
    out = tmp_path / "classic.json"
    threads = cv2.getNumThreads()
    try:
        rc = main(
            [
                "classic",
                "--sets",
                "demo5",
                "--frames",
                "3",
                "--warmup",
                "1",
                "--cv-threads",
                "1",
                "--json",
                str(out),
            ]
        )
    finally:
        cv2.setNumThreads(threads)
    text = capsys.readouterr().out
    assert rc == 0
    assert "demo5: ours " in text and " vs classic " in text and "loadavg_1m" in text
    doc = json.loads(out.read_text())
    assert [r["side"] for r in doc["results"]] == ["ours", "classic"]
    assert doc["config"]["sets"] == ["demo5"] and doc["machine"]["classic_svm"]
    assert doc["config"]["cv_threads"] == 1 and doc["machine"]["opencv_threads"] == 1


def test_edge_bench_classic_says_when_digits_png_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["classic", "--digits-png", str(tmp_path / "nope.png"), "--frames", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and "digits.png not found" in err and len(err.strip().splitlines()) == 1
