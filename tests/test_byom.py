"""Issue 14: a user's own Keras model, converted and running live (task ``classify``).

A tiny RGB classifier (:mod:`train.tiny_classifier`: 3 classes, 64x64, raw pixels through a
``Rescaling`` layer) is trained for a few seconds and saved as ``.keras``, ``.h5`` and an
exported SavedModel. Reproduces the issue's problems 1-3:

1. the value range came from the file format ([0, 255] from .keras/.h5, [0, 1] from the
   SavedModel, accuracy at chance): now one inferred spec for every format;
2. an unknown model was called ``digits`` and verified with another preprocessing than the
   device's: now ``classify`` with ``resize``, verified through :mod:`edge.preprocess`;
3. nothing ran it live: ``edge-run --model BUNDLE`` classifies the whole frame.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from convert import ConvertConfig, convert_to_bundle  # noqa: E402
from convert.quantize import QUANT_MODES  # noqa: E402
from convert.source import load_source_model  # noqa: E402
from edge.bundle import load_bundle  # noqa: E402
from edge.preprocess import crop_input  # noqa: E402
from edge.runtime import Classifier  # noqa: E402
from train.tiny_classifier import LABELS, PHOTO_HW, make_tiny_classifier  # noqa: E402

pytestmark = pytest.mark.tf
FORMATS = ("keras", "h5", "saved_model")
#: Every conversion mode convert.quantize offers (int16x8 joins when it is added there).
MODES = tuple(QUANT_MODES)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_tiny_classifier(tmp_path_factory.mktemp("byom"))


def infer_input(src, cfg):  # imported late: the module is new with issue 14
    from convert.input_spec import infer_input as infer

    return infer(src, cfg)


def _convert(tiny: dict[str, Path], fmt: str, quant: str, out: Path, **kw) -> dict:
    cfg = ConvertConfig(
        model=tiny[fmt],
        quant=quant,
        out=out,
        labels=tiny["labels"],
        rep_data=tiny["train"],
        verify_data=tiny["test"],
        rep_samples=30,
        **kw,
    )
    report = convert_to_bundle(cfg)
    meta = json.loads((report.bundle_dir / "model.json").read_text())
    return {"report": report, "meta": meta, "metrics": meta["metrics"][report.metrics_key]}


def test_problem1_value_range_from_the_model_not_the_format(tiny: dict[str, Path]) -> None:
    specs = {}
    for fmt in FORMATS:
        inferred = infer_input(load_source_model(tiny[fmt]), ConvertConfig(model=tiny[fmt]))
        specs[fmt] = inferred
        rows = {e.name: e for e in inferred.entries}
        assert "Rescaling" in rows["value range"].source and not rows["value range"].assumed
    assert {s.spec.value_range for s in specs.values()} == {(0.0, 255.0)}
    assert len({s.spec for s in specs.values()}) == 1


def test_no_rescaling_layer_same_assumption_everywhere(tmp_path: Path) -> None:
    inp = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(0.5)(keras.layers.Conv2D(2, 3)(inp))  # inside the network: not the input's
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inp, out)
    model.save(tmp_path / "m.keras")
    model.export(str(tmp_path / "sm"), verbose=False)
    for p in (tmp_path / "m.keras", tmp_path / "sm"):
        inferred = infer_input(load_source_model(p), ConvertConfig(model=p))
        vr = {e.name: e for e in inferred.entries}["value range"]
        assert inferred.spec.value_range == (0.0, 1.0) and vr.assumed and "ASSUMED" in vr.source


def test_normalization_layer_read_in_every_format(tmp_path: Path) -> None:
    norm = keras.layers.Normalization(mean=[120.0, 110.0, 100.0], variance=[3000.0, 3000.0, 3000.0])
    inp = keras.Input((16, 16, 3))
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(norm(inp)))
    model = keras.Model(inp, out)
    model.save(tmp_path / "m.keras")
    model.export(str(tmp_path / "sm"), verbose=False)
    for p in (tmp_path / "m.keras", tmp_path / "sm"):
        src = load_source_model(p)
        assert src.input_scaling is not None and src.input_scaling.kind == "Normalization"
        assert infer_input(src, ConvertConfig(model=p)).spec.value_range == (0.0, 255.0)


def test_problem2_task_classify_unless_mnist_like(tiny: dict[str, Path], tmp_path: Path) -> None:
    for fmt in FORMATS:
        inferred = infer_input(load_source_model(tiny[fmt]), ConvertConfig(model=tiny[fmt]))
        assert (inferred.task, inferred.preprocessing) == ("classify", "resize")
    inp = keras.Input((28, 28, 1))
    keras.Model(inp, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inp))).save(
        tmp_path / "mnist.keras"
    )
    p = tmp_path / "mnist.keras"
    inferred = infer_input(load_source_model(p), ConvertConfig(model=p))
    assert (inferred.task, inferred.preprocessing) == ("digits", "mnist-normalise")
    with pytest.raises(ValueError, match="centre-crop"):
        infer_input(
            load_source_model(tiny["keras"]), ConvertConfig(model=tiny["keras"], preprocessing="hand-crop")
        )


@pytest.mark.parametrize("quant", MODES)
def test_all_formats_convert_alike(tiny: dict[str, Path], tmp_path: Path, quant: str) -> None:
    """Done when: each format in each mode; same range, preprocessing and accuracy."""
    runs = {fmt: _convert(tiny, fmt, quant, tmp_path / fmt) for fmt in FORMATS}
    ranges = {fmt: r["meta"]["input"]["value_range"] for fmt, r in runs.items()}
    assert ranges == dict.fromkeys(FORMATS, [0.0, 255.0])  # problem 1: once [0, 1] for the SavedModel
    for fmt, r in runs.items():
        meta = r["meta"]
        assert meta["task"] == "classify" and meta["preprocessing"] == "resize", fmt
        assert meta["input"]["value_range"] == [0.0, 255.0], fmt
        assert meta["converter"]["input_spec"]["value range"]["value"] == "[0, 255]"
        assert r["metrics"]["source_accuracy"] > 0.6, fmt  # chance is 1/3
    for key in ("source_accuracy", "tflite_accuracy", "samples"):
        assert len({r["metrics"][key] for r in runs.values()}) == 1, (key, runs)


def test_problem2_verified_through_the_device_preprocessing(tiny: dict[str, Path], tmp_path: Path) -> None:
    """The accuracy edge-convert records is the accuracy edge-eval --images measures."""
    from edge.cli.eval import main as eval_main

    for task, pre in (("classify", "resize"), ("classify", "centre-crop"), ("hands", "hand-crop")):
        r = _convert(tiny, "keras", "float32", tmp_path / pre, task=task, preprocessing=pre)
        out = tmp_path / f"{pre}.json"
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert (
                eval_main(["--model", str(r["report"].bundle_dir), "--images", str(tiny["test"]), "--json"])
                == 0
            )
        out.write_text(buf.getvalue())
        assert json.loads(buf.getvalue())["accuracy"] == pytest.approx(r["metrics"]["tflite_accuracy"]), pre
        assert r["meta"]["preprocessing"] == pre


def test_problem3_edge_run_classifies_the_whole_frame(tiny: dict[str, Path], tmp_path: Path) -> None:
    from edge.cli.run import main as run_main

    bundle_dir = _convert(tiny, "saved_model", "int8", tmp_path / "b")["report"].bundle_dir
    photos = tiny["test"] / "rings"
    jsonl = tmp_path / "preds.jsonl"
    args = ["--model", str(bundle_dir), "--source", str(photos), "--headless", "--no-smoothing"]
    assert run_main([*args, "--jsonl", str(jsonl)]) == 0
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    files = sorted(photos.glob("*.png"))
    assert len(records) == len(files)
    clf, bundle = Classifier(bundle_dir), load_bundle(bundle_dir)
    h, w = PHOTO_HW
    for rec, f in zip(records, files, strict=True):
        assert "number" not in rec and "numbers" not in rec
        (det,) = rec["detections"]
        assert det["box"] == [0, 0, w, h]
        want = clf.classify(crop_input(cv2.imread(str(f)), bundle)[None])[0]
        assert det["label"] == want.label and det["label"] in LABELS
        assert [t["label"] for t in det["top_k"]][0] == want.label and len(det["top_k"]) == 3
        scores = [t["score"] for t in det["top_k"]]
        assert scores == sorted(scores, reverse=True)
    assert np.mean([r["detections"][0]["label"] == "rings" for r in records]) > 0.5

    assert run_main([*args, "--roi", "centre", "--top-k", "2", "--jsonl", str(jsonl)]) == 0
    det = json.loads(jsonl.read_text().splitlines()[0])["detections"][0]
    side = round(0.6 * h)
    assert det["box"] == [(w - side) // 2, (h - side) // 2, side, side] and len(det["top_k"]) == 2
