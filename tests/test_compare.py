"""edge-eval with several bundles: the comparison (pure), then the CLI on the shipped digits
int8 and float32 bundles over a tiny image folder: markdown, JSON, PNGs."""

from __future__ import annotations

import json
import os
import shutil
import sys

import cv2
import numpy as np
import pytest

from edge.bundle import SHIPPED
from edge.cli import eval as cli_eval
from edge.evaluate import NO_PREDICTION, make_report
from edge.evaluate.compare import align_report, check_same_labels, compare_reports, unique_names
from edge.evaluate.compare_report import MATPLOTLIB_HINT, row_normalised, write_report

ABC = ("a", "b", "c")
#: The bundles --model digits (this CPU's faster file, edge.cpu_quant), digits-int8 and
#: digits-float32 name (a bundle's folder name is its name).
DIGITS, DIGITS_I8, DIGITS_F32 = SHIPPED["digits"], SHIPPED["digits-int8"], SHIPPED["digits-float32"]


# -- pure ------------------------------------------------------------------------------------
def test_check_same_labels():
    assert check_same_labels([ABC, ("c", "a", "b")], ["m1", "m2"]) == ABC
    with pytest.raises(ValueError, match=r"m2 has the labels \['a', 'b', 'd'\].*same classes"):
        check_same_labels([ABC, ("a", "b", "d")], ["m1", "m2"])
    with pytest.raises(ValueError, match="same classes"):
        check_same_labels([ABC, ("a", "b")], ["m1", "m2"])


def test_align_report_permutes_every_per_class_array():
    rep = make_report([0, 0, 1, 2, 2], [0, 1, 1, 2, NO_PREDICTION], ABC, {"model": "m"})
    back = align_report(rep, ("c", "a", "b"))
    assert back.labels == ("c", "a", "b")
    assert back.confusion.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert back.n_per_class.tolist() == [2, 2, 1] and back.no_detection.tolist() == [1, 0, 0]
    assert back.as_json()["per_class"] == rep.as_json()["per_class"]  # the same value per label
    assert back.accuracy == rep.accuracy and back.info == rep.info
    with pytest.raises(ValueError, match="re-order"):
        align_report(rep, ("a", "b", "x"))


def test_unique_names():
    assert unique_names(["m", "x", "m", "m"]) == ["m", "x", "m (2)", "m (3)"]


def test_comparison_deltas_markdown_and_json():
    base = make_report([0, 0, 1, 1, 2], [0, 0, 1, 0, 2], ABC, {"model": "base"})
    other = make_report([1, 1, 0, 0, 2], [1, 1, 0, 0, 0], ("b", "a", "c"), {"model": "other"})
    cmp = compare_reports([base, other], info={"dataset": "toy", "mode": "crop"})
    assert cmp.names == ["base", "other"] and cmp.labels == ABC and cmp.n == 5
    assert cmp.delta_accuracy(1) == pytest.approx(0.8 - 0.8)
    np.testing.assert_allclose(cmp.delta_per_class(1), [0.0, 0.5, -1.0])
    md = cmp.markdown()
    assert "| base | 80.00% | – | 5 | 100.0% | 50.0% | 100.0% |" in md
    assert "| other | 80.00% | +0.00 | 5 | 100.0% | 100.0% | 0.0% |" in md
    assert "| other | +0.00 | +50.00 | -100.00 |" in md
    j = json.loads(json.dumps(cmp.as_json()))
    assert j["baseline"] == "base" and j["labels"] == list(ABC) and j["dataset"] == "toy"
    assert j["n_per_class"] == {"a": 2, "b": 2, "c": 1}
    assert [m["name"] for m in j["models"]] == ["base", "other"]
    assert j["models"][1]["per_class"] == {"a": 1.0, "b": 1.0, "c": 0.0}
    assert j["models"][1]["delta_per_class"] == {"a": 0.0, "b": 0.5, "c": -1.0}
    assert j["models"][0]["delta_accuracy"] == 0.0


def test_reports_on_other_samples_are_refused():
    a = make_report([0, 1, 2], [0, 1, 2], ABC)
    b = make_report([0, 1, 1], [0, 1, 1], ABC)
    with pytest.raises(ValueError, match="other samples"):
        compare_reports([a, b], ["a", "b"])


def test_row_normalised_counts_undetected_images():
    rep = make_report([0, 0, 0, 0, 1], [0, 0, 1, NO_PREDICTION, 1], ("x", "y"))
    shares, counts = row_normalised(rep, with_no_detection=True)
    assert counts.tolist() == [[2, 1, 1], [0, 1, 0]]
    np.testing.assert_allclose(shares, [[0.5, 0.25, 0.25], [0.0, 1.0, 0.0]])


def test_without_matplotlib_markdown_and_json_are_still_written(tmp_path, monkeypatch):
    for mod in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg", "matplotlib.colors"):
        monkeypatch.setitem(sys.modules, mod, None)  # import raises ImportError
    cmp = compare_reports([make_report([0, 1], [0, 1], ("x", "y"), {"model": "m"})])
    lines = write_report(cmp, tmp_path / "r")
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["comparison.json", "comparison.md"]
    assert any(MATPLOTLIB_HINT in line for line in lines)
    assert "![" not in (tmp_path / "r" / "comparison.md").read_text()
    assert json.loads((tmp_path / "r" / "comparison.json").read_text())["files"] == {
        "markdown": "comparison.md"
    }


# -- the CLI ---------------------------------------------------------------------------------
def digit_photos(root, digits="1479", per_class=2):
    """A class-folder set of printed digits (dark on light paper), a few px apart."""
    for d in digits:
        (root / d).mkdir(parents=True)
        for i in range(per_class):
            img = np.full((96, 80, 3), 230, np.uint8)
            cv2.putText(
                img, d, (14 + 3 * i, 76), cv2.FONT_HERSHEY_SIMPLEX, 2.4, (30, 30, 30), 6 + i, cv2.LINE_AA
            )
            cv2.imwrite(str(root / d / f"{d}_{i}.png"), img)
    return root


def run(capsys, argv):
    code = cli_eval.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def photos(tmp_path):
    return digit_photos(tmp_path / "photos")


SAME = (
    "accuracy",
    "n",
    "correct",
    "labels",
    "per_class",
    "per_class_n",
    "confusion",
    "no_detection",
    "model",
    "bundle",
    "dataset",
    "mode",
)


def test_two_bundles_match_their_single_runs(photos, tmp_path, capsys):
    singles = []
    for m in ("digits-int8", "digits-float32"):
        code, out, err = run(capsys, ["--model", m, "--images", str(photos), "--json"])
        assert code == 0, err
        singles.append(json.loads(out))
    report = tmp_path / "report"
    code, out, err = run(
        capsys,
        [
            "--model",
            "digits-int8",
            "--model",
            "digits-float32",
            "--images",
            str(photos),
            "--json",
            "--report",
            str(report),
        ],
    )
    assert code == 0, err
    j = json.loads(out)  # standard output holds only the JSON; "wrote ..." goes to stderr
    assert "wrote" in err and str(report / "comparison.md") in err
    written = json.loads((report / "comparison.json").read_text())
    assert written.pop("files") == {
        "markdown": "comparison.md",
        "confusion": "confusion.png",
        "per_class_accuracy": "per_class.png",
    }
    assert written == j
    assert j["n"] == 8 and j["baseline"] == DIGITS_I8 and j["mode"] == "crop"
    assert [m["name"] for m in j["models"]] == [DIGITS_I8, DIGITS_F32]
    for got, single in zip(j["models"], singles, strict=True):
        assert {k: got[k] for k in SAME} == {k: single[k] for k in SAME}
    d = singles[1]["accuracy"] - singles[0]["accuracy"]
    assert j["models"][1]["delta_accuracy"] == pytest.approx(d, abs=1e-6)

    md = (report / "comparison.md").read_text()
    for single in singles:
        row = f"| {single['model']} | {100 * single['accuracy']:.2f}% |"
        assert row in md
    assert (
        md.count("| " + os.path.commonprefix([DIGITS_I8, DIGITS_F32])) >= 5
    )  # two rows, one delta row, two bundle rows
    assert "![confusion](confusion.png)" in md and "![per-class accuracy](per_class.png)" in md
    for png in ("confusion.png", "per_class.png"):
        img = cv2.imread(str(report / png))
        assert img is not None and img.shape[0] > 100 and img.shape[1] > 100
    # one panel per bundle: the two-panel heatmap is wider than a one-panel one
    one = tmp_path / "one"
    assert run(capsys, ["--model", "digits", "--images", str(photos), "--report", str(one)])[0] == 0
    assert (
        cv2.imread(str(report / "confusion.png")).shape[1]
        > 1.5 * cv2.imread(str(one / "confusion.png")).shape[1]
    )


def test_single_model_output_is_unchanged_by_the_report(photos, tmp_path, capsys):
    code, plain, _ = run(capsys, ["--model", "digits", "--images", str(photos)])
    assert code == 0 and plain.startswith(f"model {DIGITS}") and "confusion" in plain
    code, out, err = run(
        capsys, ["--model", "digits", "--images", str(photos), "--json", "--report", str(tmp_path / "r")]
    )
    assert code == 0, err
    j = json.loads(out)
    assert "models" not in j and j["n"] == 8 and j["model"] == DIGITS
    assert (
        json.loads((tmp_path / "r" / "comparison.json").read_text())["models"][0]["accuracy"] == j["accuracy"]
    )


def test_labels_in_another_order_are_aligned_on_the_same_files(photos, tmp_path, capsys):
    rev = tmp_path / "reversed"
    shutil.copytree(cli_eval_bundle("digits-float32"), rev)
    (rev / "labels.txt").write_text("\n".join(reversed([str(d) for d in range(10)])) + "\n")
    meta = json.loads((rev / "model.json").read_text())
    (rev / "model.json").write_text(json.dumps(meta | {"name": "reversed"}))
    code, out, err = run(capsys, ["--model", str(rev), "--images", str(photos), "--json"])
    assert code == 0, err
    single = json.loads(out)
    code, out, err = run(
        capsys, ["--model", "digits", "--model", str(rev), "--images", str(photos), "--json"]
    )
    assert code == 0, err
    got = json.loads(out)["models"][1]
    assert got["name"] == "reversed" and got["labels"] == [str(d) for d in range(10)]
    assert got["per_class"] == single["per_class"] and got["accuracy"] == single["accuracy"]
    cm = np.array(single["confusion"])[::-1, ::-1]  # its 9..0 order back to 0..9
    assert got["confusion"] == cm.tolist()


def cli_eval_bundle(name):
    from edge.bundle import resolve_bundle_path

    return resolve_bundle_path(name)


def test_frame_mode_reports_undetected_images(tmp_path, capsys):
    root = digit_photos(tmp_path / "photos", digits="25", per_class=1)
    cv2.imwrite(str(root / "5" / "blank.png"), np.full((64, 64, 3), 230, np.uint8))
    code, out, err = run(
        capsys,
        [
            "--model",
            "digits",
            "--model",
            "digits-float32",
            "--images",
            str(root),
            "--frame",
            "--report",
            str(tmp_path / "r"),
        ],
    )
    assert code == 0, err
    assert f"| model | accuracy | Δ vs {DIGITS} (pp) | n | no detection |" in out
    j = json.loads((tmp_path / "r" / "comparison.json").read_text())
    assert all(m["no_detection"] >= 1 for m in j["models"]) and j["n"] == 3
    assert cv2.imread(str(tmp_path / "r" / "confusion.png")) is not None


def test_comparison_errors_exit_2(photos, tmp_path, capsys):
    code, _, err = run(capsys, ["--model", "digits", "--model", "hands-lenet", "--images", str(photos)])
    assert code == 2 and err.startswith("error: hands-lenet-int8 has the labels") and "same classes" in err
    code, _, err = run(
        capsys, ["--model", "digits", "--model", str(tmp_path / "nothing"), "--images", str(photos)]
    )
    assert code == 2 and "no model bundle" in err
    code, _, err = run(
        capsys,
        [
            "--model",
            "digits",
            "--model",
            "digits-float32",
            "--images",
            str(photos),
            "--frame",
            "--calibrate-min-score",
            "0.02",
        ],
    )
    assert code == 2 and "one --model" in err


def test_save_errors_go_to_one_folder_per_bundle(photos, tmp_path, capsys):
    errs = tmp_path / "errors"
    code, out, err = run(
        capsys,
        [
            "--model",
            "digits",
            "--model",
            "digits",
            "--images",
            str(photos),
            "--json",
            "--save-errors",
            str(errs),
        ],
    )
    assert code == 0, err
    j = json.loads(out)
    assert [m["name"] for m in j["models"]] == [DIGITS, f"{DIGITS} (2)"]
    assert sorted(p.name for p in errs.iterdir()) == [f"1-{DIGITS}", f"2-{DIGITS}_2"]
    assert j["models"][0]["errors_saved"] == j["models"][1]["errors_saved"] == 8 - j["models"][0]["correct"]


def test_a_bundle_named_twice_is_warned_of(photos, capsys, caplog):
    """Two --model names of one bundle (digits and digits-float32 on a CPU where digits is the float32
    file) are compared, with a warning naming the second."""
    code, _, err = run(
        capsys, ["--model", "digits-float32", "--model", "digits-oe-float32", "--images", str(photos)]
    )
    assert code == 0, err
    hits = [r.getMessage() for r in caplog.records if "same bundle" in r.getMessage()]
    assert hits == [f"--model digits-oe-float32: the same bundle as an earlier one ({DIGITS_F32})"]
    caplog.clear()
    assert (
        run(capsys, ["--model", "digits-int8", "--model", "digits-float32", "--images", str(photos)])[0] == 0
    )
    assert not [r for r in caplog.records if "same bundle" in r.getMessage()]
