"""edge-eval: metric functions without a model, then the CLI on the tiny bundle."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from edge.cli import eval as cli_eval
from edge.datasets import DatasetError
from edge.evaluate import (
    NO_PREDICTION,
    TruthTally,
    confusion_matrix,
    list_image_folder,
    make_report,
    match_truth,
    per_class_accuracy,
    read_image,
)
from edge.types import ROI, Detection, Prediction

LABELS = tuple(str(d) for d in range(10))


# -- pure metrics ----------------------------------------------------------------------
def test_confusion_matrix_counts_rows_true_columns_predicted():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, NO_PREDICTION], 3)
    assert cm.dtype == np.int64
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError):
        confusion_matrix([0, 1], [0], 2)
    with pytest.raises(ValueError):
        confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError):
        confusion_matrix([0, 1], [0, 5], 3)


def test_per_class_accuracy_and_nan_for_empty_class():
    cm = np.array([[3, 1, 0], [0, 2, 0], [0, 0, 0]])
    acc = per_class_accuracy(cm)
    assert acc[:2].tolist() == [0.75, 1.0] and np.isnan(acc[2])
    acc = per_class_accuracy(cm, n_per_class=np.array([5, 2, 0]))  # 1 undetected in class 0
    assert acc[0] == pytest.approx(0.6)


def test_report_counts_no_detection_as_wrong():
    rep = make_report([0, 0, 1, 1], [0, NO_PREDICTION, 1, 0], ["a", "b", "c"], {"model": "m"})
    assert rep.n == 4 and rep.correct == 2 and rep.accuracy == 0.5
    assert rep.no_detection.tolist() == [1, 0, 0]
    j = rep.as_json()
    json.dumps(j)
    assert j["accuracy"] == 0.5 and j["n"] == 4 and j["model"] == "m"
    assert j["per_class"] == {"a": 0.5, "b": 0.5, "c": None}
    assert j["confusion"] == [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    assert j["no_detection"] == 1
    text = rep.format_text()
    assert "accuracy: 50.00% (2/4)" in text and "no detection: 1" in text and "confusion" in text


def _det(label: str, roi: ROI) -> Detection:
    return Detection(roi, Prediction(int(label), label, 0.9, np.zeros(10, np.float32)))


def test_match_truth_iou_centre_missed_and_extra():
    truth = [
        ("1", ROI(0, 0, 20, 30)),
        ("2", ROI(50, 0, 20, 30)),
        ("3", ROI(100, 0, 20, 30)),
        ("4", ROI(150, 0, 40, 60)),
    ]
    dets = [
        _det("1", ROI(1, 1, 20, 30)),  # IoU match, right
        _det("7", ROI(50, 0, 20, 30)),  # IoU match, wrong label
        _det("4", ROI(160, 20, 8, 10)),  # small box, centre inside truth 4
        _det("9", ROI(300, 0, 20, 20)),
    ]  # extra
    assert match_truth(truth, dets) == (2, 1, 1, 1)
    tally = TruthTally()
    tally.update(truth, dets)
    tally.update(truth[:1], dets[:1])
    assert (tally.truths, tally.correct, tally.missed) == (5, 3, 1)
    assert tally.accuracy == pytest.approx(0.6)
    assert tally.as_json()["digits"] == 5


# -- image folders --------------------------------------------------------------------
def make_digit_folder(root, per_class=2, digits=(1, 3, 7), size=(96, 96)):
    for d in digits:
        (root / str(d)).mkdir(parents=True)
        for i in range(per_class):
            img = np.full((*size[::-1], 3), 255, np.uint8)
            cv2.putText(
                img,
                str(d),
                (size[0] // 4 + i * 3, 3 * size[1] // 4),
                cv2.FONT_HERSHEY_SIMPLEX,
                2.0,
                (0, 0, 0),
                6,
            )
            cv2.imwrite(str(root / str(d) / f"{d}_{i}.png"), img)
    return root


def test_list_image_folder_checks_labels_and_limits(tmp_path):
    root = make_digit_folder(tmp_path / "imgs", per_class=3)
    (root / "1" / "notes.txt").write_text("ignored")
    items = list_image_folder(root, LABELS)
    assert len(items) == 9 and {it.label_index for it in items} == {1, 3, 7}
    few = list_image_folder(root, LABELS, limit=4)
    assert len(few) == 4 and {it.label_index for it in few} == {1, 3, 7}  # round-robin
    (root / "x").mkdir()
    with pytest.raises(DatasetError, match=r"\['x'\]"):
        list_image_folder(root, LABELS)
    with pytest.raises(DatasetError, match="no class folders"):
        list_image_folder(tmp_path / "imgs" / "1", LABELS)
    with pytest.raises(DatasetError, match="does not exist"):
        list_image_folder(tmp_path / "nope", LABELS)


def test_read_image_names_the_bad_file(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(DatasetError, match="bad.png"):
        read_image(bad)
    good = tmp_path / "g.png"
    cv2.imwrite(str(good), np.zeros((5, 6), np.uint8))
    assert read_image(good).shape == (5, 6, 3)


# -- the CLI on the tiny bundle ---------------------------------------------------------
@pytest.fixture
def fake_mnist(tmp_path):
    rng = np.random.default_rng(0)
    p = tmp_path / "mnist.npz"
    x = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    y = np.arange(40, dtype=np.uint8) % 10
    np.savez(p, x_train=x, y_train=y, x_test=x, y_test=y)
    return p


def run_cli(capsys, argv):
    code = cli_eval.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_mnist_json_schema(tiny_digits_bundle, fake_mnist, capsys, tmp_path):
    errs = tmp_path / "errors"
    code, out, err = run_cli(
        capsys,
        [
            "--model",
            str(tiny_digits_bundle),
            "--dataset",
            "mnist",
            "--data-dir",
            str(fake_mnist),
            "--limit",
            "30",
            "--json",
            "--save-errors",
            str(errs),
        ],
    )
    assert code == 0, err
    j = json.loads(out)
    assert {"accuracy", "n", "per_class", "confusion", "labels", "correct"} <= set(j)
    assert j["n"] == 30 and 0.0 <= j["accuracy"] <= 1.0
    assert list(j["per_class"]) == list(LABELS)
    cm = np.array(j["confusion"])
    assert cm.shape == (10, 10) and cm.sum() == 30 and np.trace(cm) == j["correct"]
    assert j["errors_saved"] == 30 - j["correct"] == len(list(errs.glob("*.png")))


def test_eval_mnist_text(tiny_digits_bundle, fake_mnist, capsys):
    code, out, _ = run_cli(
        capsys,
        [
            "--model",
            str(tiny_digits_bundle),
            "--dataset",
            "mnist",
            "--data-dir",
            str(fake_mnist),
            "--limit",
            "10",
        ],
    )
    assert code == 0
    assert "accuracy:" in out and "per class:" in out and "confusion" in out


def test_eval_mnist_real_data(tiny_digits_bundle, shared_data_dir, capsys):
    if shared_data_dir is None or not (shared_data_dir / "mnist").is_dir():
        pytest.skip("../shared/data/mnist not present")
    code, out, err = run_cli(
        capsys,
        [
            "--model",
            str(tiny_digits_bundle),
            "--dataset",
            "mnist",
            "--data-dir",
            str(shared_data_dir / "mnist"),
            "--limit",
            "200",
            "--json",
        ],
    )
    assert code == 0, err
    assert json.loads(out)["n"] == 200


def test_eval_images_crop_and_frame(tiny_digits_bundle, tmp_path, capsys):
    pytest.importorskip("edge.preprocess")
    root = make_digit_folder(tmp_path / "imgs")
    code, out, err = run_cli(
        capsys, ["--model", str(tiny_digits_bundle), "--images", str(root), "--crop", "--json"]
    )
    assert code == 0, err
    j = json.loads(out)
    assert j["n"] == 6 and j["mode"] == "crop" and np.array(j["confusion"]).sum() == 6
    pytest.importorskip("edge.segment.digits")
    code, out, err = run_cli(
        capsys,
        [
            "--model",
            str(tiny_digits_bundle),
            "--images",
            str(root),
            "--frame",
            "--json",
            "--save-errors",
            str(tmp_path / "e"),
        ],
    )
    assert code == 0, err
    j = json.loads(out)
    assert j["n"] == 6 and j["mode"] == "frame"
    assert np.array(j["confusion"]).sum() + j["no_detection"] == 6
    assert j["errors_saved"] == 6 - j["correct"]


def test_eval_frame_blank_image_is_no_detection(tiny_digits_bundle, tmp_path, capsys):
    pytest.importorskip("edge.segment.digits")
    pytest.importorskip("edge.preprocess")
    (tmp_path / "imgs" / "5").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "imgs" / "5" / "blank.png"), np.full((64, 64, 3), 255, np.uint8))
    code, out, err = run_cli(
        capsys, ["--model", str(tiny_digits_bundle), "--images", str(tmp_path / "imgs"), "--frame", "--json"]
    )
    assert code == 0, err
    j = json.loads(out)
    assert j["no_detection"] == 1 and j["accuracy"] == 0.0


def test_eval_unreadable_image(tiny_digits_bundle, tmp_path, capsys):
    pytest.importorskip("edge.preprocess")
    root = make_digit_folder(tmp_path / "imgs", per_class=1)
    (root / "3" / "broken.jpg").write_bytes(b"\xff\xd8garbage")
    code, _, err = run_cli(capsys, ["--model", str(tiny_digits_bundle), "--images", str(root)])
    assert code == 2 and err.startswith("error: ") and "broken.jpg" in err
    assert "Traceback" not in err
    code, out, err = run_cli(
        capsys, ["--model", str(tiny_digits_bundle), "--images", str(root), "--skip-unreadable", "--json"]
    )
    assert code == 0, err
    j = json.loads(out)
    assert j["n"] == 3 and j["skipped_unreadable"] == 1


def test_eval_errors_exit_2(tiny_digits_bundle, tmp_path, capsys):
    # class folder that is not a label
    (tmp_path / "imgs" / "cat").mkdir(parents=True)
    code, _, err = run_cli(capsys, ["--model", str(tiny_digits_bundle), "--images", str(tmp_path / "imgs")])
    assert code == 2 and "cat" in err and "labels" in err
    # missing MNIST
    code, _, err = run_cli(
        capsys,
        ["--model", str(tiny_digits_bundle), "--dataset", "mnist", "--data-dir", str(tmp_path / "nothing")],
    )
    assert code == 2 and err.startswith("error: ") and "MNIST" in err
    # no bundle at all
    code, _, err = run_cli(capsys, ["--model", str(tmp_path / "no-bundle"), "--dataset", "mnist"])
    assert code == 2 and "no model bundle" in err


def test_eval_corrupt_bundle(tiny_digits_bundle, tmp_path, capsys, fake_mnist):
    import shutil

    bad = tmp_path / "bad-bundle"
    shutil.copytree(tiny_digits_bundle, bad)
    data = bytearray((bad / "model.tflite").read_bytes())
    data[100:200] = bytes(100)
    (bad / "model.tflite").write_bytes(bytes(data))
    code, _, err = run_cli(capsys, ["--model", str(bad), "--dataset", "mnist", "--data-dir", str(fake_mnist)])
    assert code == 2 and "sha256" in err and "Traceback" not in err


def test_python_m_edge_eval_help():
    r = subprocess.run(
        [sys.executable, "-m", "edge.cli.eval", "--help"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and "--dataset" in r.stdout and "--frame" in r.stdout
