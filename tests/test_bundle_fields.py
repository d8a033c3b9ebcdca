"""Every malformed ``model.json`` field or ``labels.txt`` is one error line naming the file and the field.

The cases of issue 16 item 3 (each gave an AttributeError traceback, a message naming neither the
file nor the field, or ran silently), on copies of the shipped bundles; the task/preprocessing
table of :mod:`edge.bundle_check`; and ``edge-run`` printing such an error as one line.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edge.bundle import (
    PREPROCESSING,
    PRETRAINED_PREPROCESSING,
    PRETRAINED_TASKS,
    SHIPPED,
    SHIPPED_DIR,
    TASKS,
    BundleError,
    load_bundle,
)
from edge.bundle_check import FIELDS, OBJECT, TASK_INPUTS, read_labels

Edit = Callable[[dict[str, Any]], None]


def copy_shipped(name: str, tmp_path: Path) -> Path:
    """A private copy of a shipped bundle (``models/<SHIPPED[name]>``), free to damage."""
    return Path(shutil.copytree(SHIPPED_DIR / SHIPPED[name], tmp_path / name))


def edit_meta(bundle: Path, edit: Edit) -> None:
    p = bundle / "model.json"
    meta = json.loads(p.read_text(encoding="utf-8"))
    edit(meta)
    p.write_text(json.dumps(meta), encoding="utf-8")


def put(path: str, value: Any) -> Edit:
    """Set the field at a dotted path, e.g. ``put("output.num_classes", "ten")``."""

    def edit(meta: dict[str, Any]) -> None:
        *parents, key = path.split(".")
        node = meta
        for k in parents:
            node = node[k]
        node[key] = value

    return edit


def one_line_error(bundle: Path, file: str, field: str) -> str:
    """``load_bundle`` fails with one line naming ``bundle/file`` and ``field``; the message."""
    with pytest.raises(BundleError) as e:
        load_bundle(bundle)
    msg = str(e.value)
    assert "\n" not in msg
    assert str(bundle / file) in msg
    assert field in msg
    return msg


# -- the cases of the issue ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "edit", "field", "fix"),
    [
        ("digits", put("output", None), "output", "must be an object"),
        ("digits", put("input.shape", ["a", 28, 28, 1]), "input.shape", "whole numbers"),
        ("digits", put("input.value_range", "x"), "input.value_range", "two finite numbers"),
        ("digits", put("output.num_classes", "ten"), "output.num_classes", "whole number"),
        ("hands-lenet", put("min_score", "high"), "min_score", "edge-eval --calibrate-min-score"),
        ("hands-lenet", put("min_score", 1.5), "min_score", "[0, 1]"),
        ("hands", put("decision.min_presence", "high"), "decision.min_presence", "[0, 1]"),
        ("hands", put("decision", [0.5]), "decision", "object"),
        ("hands", put("detector", [1]), "detector", "object"),
        ("hands", put("detector.variant", "huge"), "detector.variant", "full/lite"),
        ("hands", put("detector.video_tile_every", 0), "detector.video_tile_every", ">= 1"),
        ("hands", put("detector.tiles", 2.0), "detector.tiles", "(0, 1]"),
        ("hands", put("features", "v1"), "features", "object"),
        ("digits", put("input.value_range", [float("nan"), 1.0]), "input.value_range", "finite"),
        ("digits", put("input.shape", [1, 28, 28, 10**12]), "input.shape", "32768"),
        ("digits", put("input.shape", [1, 0, 28, 1]), "input.shape", "from 1"),
        ("digits-int8", put("input.quant", None), "input.quant", "object"),
        ("digits-int8", put("input.quant.scale", -1), "input.quant.scale", ">= 0"),
        ("digits-int8", put("input.quant.zero_point", 300), "input.quant.zero_point", "[-128, 127]"),
        ("digits-int8", put("input.quant.scale", 0.0), "input.quant.scale", "> 0 for int8 inputs"),
        ("digits", put("tflite_sha256", 12345), "tflite_sha256", "sha256sum"),
        ("digits", put("format_version", 99), "format_version", "newer edge-recogniser"),
        ("digits", put("output.activation", "relu"), "output.activation", "softmax"),
        ("digits", put("metrics", [1]), "metrics", "object"),
        ("digits", put("preprocessing", None), "preprocessing", "one of"),
        ("digits", put("task", 7), "task", "one of"),
        ("digits", lambda m: m["input"].pop("colour_order"), "input.colour_order", "missing"),
        # found by the fuzz: a missing preprocessing was silently taken as "resize"
        ("digits", lambda m: m.pop("preprocessing"), "preprocessing", "missing"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_malformed_field_is_one_line_naming_file_and_field(
    tmp_path: Path, name: str, edit: Edit, field: str, fix: str
) -> None:
    b = copy_shipped(name, tmp_path)
    edit_meta(b, edit)
    msg = one_line_error(b, "model.json", field)
    assert fix in msg


@pytest.mark.parametrize(
    ("text", "needle"),
    [("not json", "not valid JSON"), ("[1, 2]", "JSON object"), ("[" * 100_000, "not valid JSON")],
    ids=["text", "a-list", "deep"],
)
def test_model_json_not_an_object(tmp_path: Path, text: str, needle: str) -> None:
    b = copy_shipped("digits", tmp_path)
    (b / "model.json").write_text(text)
    with pytest.raises(BundleError, match=needle) as e:
        load_bundle(b)
    assert str(b / "model.json") in str(e.value)


def test_model_json_not_utf8(tmp_path: Path) -> None:
    b = copy_shipped("digits", tmp_path)
    (b / "model.json").write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(BundleError, match="not UTF-8"):
        load_bundle(b)


def test_labels_not_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    b = copy_shipped("digits", tmp_path)
    (b / "labels.txt").write_bytes("0\n1\n2\n3\n4\n5\n6\n7\n8\n\xe9\n".encode("latin-1"))
    msg = one_line_error(b, "labels.txt", "line 10")
    assert "UTF-8" in msg


@pytest.mark.parametrize(
    "line", ["8\x00\x07", "x" * 100_000], ids=["control-chars", "100k-chars"]
)  # found by the fuzz: both loaded, and the overlay drew them
def test_labels_line_that_is_no_label(tmp_path: Path, line: str) -> None:
    b = copy_shipped("digits", tmp_path)
    (b / "labels.txt").write_text("".join(f"{d}\n" for d in range(9)) + line + "\n")
    assert "is not a label" in one_line_error(b, "labels.txt", "line 10")


def test_labels_repeated_and_bom(tmp_path: Path) -> None:
    b = copy_shipped("digits", tmp_path)
    (b / "labels.txt").write_text("0\n1\n2\n3\n4\n5\n6\n7\n8\n8\n")
    assert "appears twice" in one_line_error(b, "labels.txt", "'8'".replace("'", '"'))
    (b / "labels.txt").write_bytes(b"\xef\xbb\xbf" + "".join(f"{d}\n" for d in range(10)).encode())
    assert read_labels(b / "labels.txt")[0] == "0"  # a BOM (Windows Notepad) is not a label
    assert load_bundle(b).labels[0] == "0"


# -- task x preprocessing x input -------------------------------------------------------------
def test_hands_model_marked_digits_is_refused(tmp_path: Path) -> None:
    b = copy_shipped("hands-lenet", tmp_path)
    edit_meta(b, put("task", "digits"))
    msg = one_line_error(b, "model.json", "task 'digits'")
    assert "preprocessing 'hand-crop'" in msg and 'set "task": "hands"' in msg


def test_digits_model_marked_hands_is_refused(tmp_path: Path) -> None:
    b = copy_shipped("digits", tmp_path)
    edit_meta(b, put("task", "hands"))
    msg = one_line_error(b, "model.json", "task 'hands'")
    assert "preprocessing 'mnist-normalise'" in msg and 'set "task": "digits"' in msg


def test_landmark_model_marked_digits_is_refused(tmp_path: Path) -> None:
    b = copy_shipped("hands", tmp_path)
    edit_meta(b, put("task", "digits"))
    one_line_error(b, "model.json", "needs task 'hands'")


@pytest.mark.parametrize(
    ("name", "edit", "needle"),
    [
        (
            "digits",
            put("preprocessing", "hand-crop"),
            "task 'digits' does not go with preprocessing 'hand-crop'",
        ),
        ("digits", put("input.shape", [1, 32, 32, 1]), "grey input (1, 28, 28, 1)"),
        (
            "hands-lenet",
            lambda m: m["input"].update(shape=[1, 64, 64, 1], colour_order="grey"),
            "task 'hands' does not go with preprocessing 'hand-crop' and a grey input",
        ),
    ],
    ids=["digits-hand-crop", "mnist-not-28", "grey-hands"],
)
def test_input_the_task_cannot_feed(tmp_path: Path, name: str, edit: Edit, needle: str) -> None:
    b = copy_shipped(name, tmp_path)
    edit_meta(b, edit)
    assert needle in one_line_error(b, "model.json", "task")


def test_the_task_table_covers_every_task_and_preprocessing() -> None:
    assert set(TASKS + PRETRAINED_TASKS) <= set(TASK_INPUTS)  # each task says what it can feed
    used = {p for ways in TASK_INPUTS.values() for p in ways}
    assert set(PREPROCESSING + PRETRAINED_PREPROCESSING) <= used  # each preprocessing serves a task


def test_every_field_section_is_checked_as_an_object_first() -> None:
    paths = list(FIELDS)
    for i, path in enumerate(paths):
        parent = path.rpartition(".")[0]
        if parent:
            assert parent in paths[:i], f"{path}: its section {parent} must come first in FIELDS"
            assert FIELDS[parent][0] is OBJECT


@pytest.mark.parametrize("folder", sorted(set(SHIPPED.values())))
def test_every_shipped_bundle_passes(folder: str) -> None:
    assert load_bundle(SHIPPED_DIR / folder).name


def test_fetched_mediapipe_bundles_pass() -> None:
    from edge.model_dirs import models_dir

    found = sorted(p.parent for p in models_dir().glob("mediapipe-*/model.json"))
    if not found:
        pytest.skip("MediaPipe hand models not fetched (edge-models fetch hands)")
    for p in found:
        assert load_bundle(p).task in PRETRAINED_TASKS


# -- at the command line: one line, no traceback -----------------------------------------------
@pytest.mark.parametrize(
    ("edit", "field"),
    [(put("output", None), "output"), (put("input.shape", ["a", 28, 28, 1]), "input.shape")],
    ids=["output-null", "shape-a"],
)
def test_edge_run_prints_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Edit, field: str
) -> None:
    from edge.cli.run import main

    b = copy_shipped("digits", tmp_path)
    edit_meta(b, edit)
    rc = main(["--model", str(b), "--source", "demo", "--headless", "--max-frames", "1"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("error: ")
    assert str(b / "model.json") in err[0] and field in err[0]


def test_default_preprocessing_is_the_first_the_task_can_make() -> None:
    from edge.bundle import InputSpec
    from edge.bundle_check import default_preprocessing

    def spec(shape: tuple[int, ...], colour: str) -> InputSpec:
        return InputSpec(shape=shape, dtype="float32", colour_order=colour)

    assert default_preprocessing("digits", spec((1, 28, 28, 1), "grey")) == "mnist-normalise"
    assert (
        default_preprocessing("digits", spec((1, 20, 24, 1), "grey")) == "resize"
    )  # edge-convert --input-size
    assert default_preprocessing("digits", spec((1, 64, 64, 3), "RGB")) is None  # refused before writing
    assert default_preprocessing("hands", spec((1, 64, 64, 3), "BGR")) == "hand-crop"
