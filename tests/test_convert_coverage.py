"""Issue 14, problems 4 and 5: agreement that protects, converter coverage, one-line errors.

Tiny models built here (no training: weights set by hand where a behaviour must be forced):

- an int8 model that int8 breaks: one channel of a dense layer carries a bias of 1000, so
  the per-tensor int8 scale of that layer's output is ~4 while the class logits differ by
  ~1: top-1 agreement falls to about chance. It must warn loudly, fail with ``--strict``,
  and be fixed by keeping the two dense layers in float (``--skip-quant``);
- custom layers defined in a ``.py`` file (``--custom-objects FILE.py:Name``), one of them
  using ``cumprod``, an op TFLite builtins lack (``--select-tf-ops``);
- a Lambda layer (``--unsafe-load``), a fixed batch size of 4, ``--quant int16x8``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from convert import ConvertConfig, convert_to_bundle  # noqa: E402
from convert.cli import main  # noqa: E402
from edge.bundle import BundleError, load_bundle  # noqa: E402
from edge.runtime import Classifier  # noqa: E402

pytestmark = pytest.mark.tf

HW = (8, 8, 3)
LAYERS_PY = '''
import keras
from keras import ops


class Scale(keras.layers.Layer):
    """Multiplies by a constant; unknown to Keras unless passed as a custom object."""

    def __init__(self, factor=2.0, **kw):
        super().__init__(**kw)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class CumProd(keras.layers.Layer):
    """cumprod along the rows: a TensorFlow op that TFLite builtins lack (Flex)."""

    def call(self, x):
        return ops.cumprod(x, axis=1)
'''


def _samples(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """float32 (n, 8, 8, 3) in [0, 1] whose class is the channel with the higher mean."""
    y = rng.integers(0, 3, n)
    x = rng.uniform(0.3, 0.7, (n, *HW)).astype(np.float32)
    for i, k in enumerate(y):
        x[i, ..., k] += 0.05
    return np.clip(x, 0.0, 1.0), y.astype(np.int64)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("coverage")
    rng = np.random.default_rng(0)
    x, _ = _samples(200, rng)
    np.save(d / "rep.npy", x)
    xv, yv = _samples(150, rng)
    np.savez(d / "verify.npz", x=xv, y=yv)
    (d / "labels.txt").write_text("red\ngreen\nblue\n")
    (d / "my_layers.py").write_text(LAYERS_PY)
    return {"dir": d, "rep": d / "rep.npy", "verify": d / "verify.npz", "labels": d / "labels.txt"}


def _head(x: object, name: str = "head") -> object:
    return keras.layers.Dense(3, activation="softmax", name=name)(keras.layers.GlobalAveragePooling2D()(x))


@pytest.fixture(scope="module")
def fragile(work: dict[str, Path]) -> Path:
    """A model int8 breaks (see the module doc); float it agrees with itself exactly."""
    inp = keras.Input(HW)
    g = keras.layers.GlobalAveragePooling2D()(inp)
    wide = keras.layers.Dense(4, name="wide")
    head = keras.layers.Dense(3, activation="softmax", name="head")
    model = keras.Model(inp, head(wide(g)))
    wide.set_weights([np.hstack([20 * np.eye(3), np.zeros((3, 1))]), np.array([0, 0, 0, 1000.0])])
    head.set_weights([np.vstack([np.eye(3), np.zeros((1, 3))]), np.zeros(3)])
    path = work["dir"] / "fragile.keras"
    model.save(path)
    return path


def _args(work: dict[str, Path], model: Path, out: str, *extra: str) -> list[str]:
    return [
        str(model),
        "--rep-data",
        str(work["rep"]),
        "--verify-data",
        str(work["verify"]),
        "--labels",
        str(work["labels"]),
        "--out",
        str(work["dir"] / out),
        *extra,
    ]


# -- 3. agreement that protects ------------------------------------------------------------
def test_bad_int8_agreement_warns_loudly_and_fails_with_strict(
    work: dict[str, Path], fragile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Problem 4: 'a 36% agreement after int8 passes silently (--min-agreement defaults to 0)'."""
    assert main(_args(work, fragile, "fragile-int8", "--quant", "int8")) == 0  # written, but flagged
    err = capsys.readouterr().err
    assert err.count("WARNING: the int8 file") == 1 and "below --min-agreement 0.98" in err
    assert "--debug-quant" in err and "--strict" in err
    meta = load_bundle(work["dir"] / "fragile-int8").meta
    m = meta["metrics"]["verify"]
    assert m["top1_agreement"] < 0.7 and m["source_accuracy"] > 0.9
    assert m["check"]["passed"] is False and m["check"]["min_agreement"] == 0.98

    assert main(_args(work, fragile, "fragile-strict", "--quant", "int8", "--strict")) == 1
    assert "This run FAILS (exit 1)" in capsys.readouterr().err

    # float32 passes the same check silently
    assert main(_args(work, fragile, "fragile-f32", "--quant", "float32", "--strict")) == 0
    assert "WARNING" not in capsys.readouterr().err


def test_skip_quant_keeps_layers_in_float_and_restores_agreement(
    work: dict[str, Path], fragile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _args(work, fragile, "fragile-skip", "--quant", "int8", "--skip-quant", "wide", "head", "--strict")
    assert main(argv) == 0, capsys.readouterr().err
    b = load_bundle(work["dir"] / "fragile-skip")
    assert b.meta["metrics"]["verify"]["top1_agreement"] >= 0.98
    q = b.meta["quantization"]
    assert len(q["float_layers"]) == 2 and all("wide" in n or "head" in n for n in q["float_layers"])
    assert b.input.dtype == "float32" and q["io_dtype"] == "float32"  # quantised inside
    assert (b.path / "quant_layers.csv").is_file()

    assert main(_args(work, fragile, "x", "--quant", "int8", "--skip-quant", "nope")) == 2
    err = capsys.readouterr().err
    assert "--skip-quant nope: no quantised layer" in err and "wide" in err and len(err.splitlines()) == 1


def test_debug_quant_writes_the_worst_layers_and_float_worst_uses_them(
    work: dict[str, Path], fragile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _args(work, fragile, "fragile-debug", "--quant", "int8", "--debug-quant", "--float-worst", "1")
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "rmse/scale" in printed and "(kept float)" in printed
    bundle = work["dir"] / "fragile-debug"
    rows = list(csv.DictReader((bundle / "quant_layers.csv").open()))
    assert len(rows) >= 3 and rows[0]["rank"] == "1"
    errs = [float(r["rmse_per_scale"]) for r in rows]
    assert errs == sorted(errs, reverse=True) and errs[0] > 0.0
    assert [r["kept_float"] for r in rows][:2] == ["1", "0"]
    meta = load_bundle(bundle).meta
    assert meta["quantization"]["float_layers"] == [rows[0]["tensor_name"]]
    assert meta["quantization"]["layer_errors"] == "quant_layers.csv"
    # only int8 has a debugger
    assert main(_args(work, fragile, "x", "--quant", "dynamic", "--debug-quant")) == 2
    assert "--quant int8" in capsys.readouterr().err


def test_default_thresholds_recorded_and_explicit_threshold_enforced(
    work: dict[str, Path], fragile: Path
) -> None:
    cfg = ConvertConfig(model=fragile, quant="float32", labels=work["labels"], verify_data=work["verify"])
    cfg.out = work["dir"] / "thr"
    report = convert_to_bundle(cfg)
    assert report.check == {
        "min_agreement": 0.98,
        "max_mean_abs_prob_diff": 0.02,
        "passed": True,
        "problems": [],
    }


# -- 4. converter coverage -------------------------------------------------------------------
def _layers_module(work: dict[str, Path]) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("my_layers_for_saving", work["dir"] / "my_layers.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def custom_model(work: dict[str, Path]) -> Path:
    mod = _layers_module(work)
    inp = keras.Input(HW)
    model = keras.Model(inp, _head(mod.Scale(0.5, name="scale")(inp)))
    path = work["dir"] / "custom.keras"
    model.save(path)
    return path


def test_custom_layer_one_line_error_then_custom_objects(
    work: dict[str, Path], custom_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Problem 4: 'a custom layer prints a ~3 KB model config'."""
    assert main(_args(work, custom_model, "custom", "--quant", "float32")) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and len(err) < 300, err
    assert "'Scale'" in err and "--custom-objects MODULE:Scale" in err and "config" not in err
    spec = f"{work['dir'] / 'my_layers.py'}:Scale"
    assert main(_args(work, custom_model, "custom", "--quant", "float32", "--custom-objects", spec)) == 0
    assert load_bundle(work["dir"] / "custom").meta["metrics"]["verify"]["top1_agreement"] == 1.0
    bad = f"{work['dir'] / 'my_layers.py'}:Nope"
    assert main(_args(work, custom_model, "x", "--custom-objects", bad)) == 2
    assert "has no 'Nope'" in capsys.readouterr().err


def test_lambda_layer_needs_unsafe_load(
    work: dict[str, Path], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Problem 4: 'a Lambda layer is told it is "not a whole model"'."""
    inp = keras.Input(HW)
    path = work["dir"] / "lambda.h5"
    keras.Model(inp, _head(keras.layers.Lambda(lambda t: t * 0.5)(inp))).save(path)
    assert main(_args(work, path, "lambda", "--quant", "float32")) == 2
    err = capsys.readouterr().err
    assert "Lambda layer" in err and "--unsafe-load" in err and "whole model" not in err
    assert len(err.splitlines()) == 1
    assert main(_args(work, path, "lambda", "--quant", "float32", "--unsafe-load")) == 0
    assert "safe_mode=False" in caplog.text


def test_select_tf_ops_marks_the_bundle_and_the_device_refuses_a_light_runtime(
    work: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    mod = _layers_module(work)
    inp = keras.Input(HW)
    path = work["dir"] / "flex.keras"
    keras.Model(inp, _head(mod.CumProd(name="cumprod")(inp))).save(path)
    objs = ["--custom-objects", f"{work['dir'] / 'my_layers.py'}:CumProd"]
    assert main(_args(work, path, "flex", "--quant", "float32", *objs)) == 2
    err = capsys.readouterr().err
    assert "Cumprod" in err and "--select-tf-ops" in err and len(err.splitlines()) == 1

    rc = main(_args(work, path, "flex", "--quant", "float32", *objs, "--select-tf-ops"))
    assert rc == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert "only full TensorFlow" in err
    b = load_bundle(work["dir"] / "flex")
    assert b.meta["requires_flex"] is True and b.meta["flex_ops"] == ["FlexCumprod"]
    with pytest.raises(BundleError, match="requires_flex.*--runtime tensorflow"):
        Classifier(b, runtime="litert")
    try:  # TensorFlow runs it only where its pip build links the Flex delegate
        Classifier(b, runtime="auto").predict(np.zeros((1, *HW), np.float32))
    except BundleError as e:
        assert "Flex" in str(e)


def test_int16x8_bundle_describes_an_int16_input(work: dict[str, Path], custom_model: Path) -> None:
    inp = keras.Input(HW)
    path = work["dir"] / "plain.keras"
    keras.utils.set_random_seed(0)
    keras.Model(inp, _head(keras.layers.Conv2D(4, 3, activation="relu")(inp))).save(path)
    cfg = ConvertConfig(
        model=path,
        quant="int16x8",
        labels=work["labels"],
        rep_data=work["rep"],
        verify_data=work["verify"],
        out=work["dir"] / "i16",
        strict=True,
    )
    report = convert_to_bundle(cfg)
    b = load_bundle(report.bundle_dir)
    assert b.input.dtype == "int16" and b.meta["output"]["dtype"] == "int16"
    assert b.input.quant.quantised and b.input.quant.zero_point == 0
    assert (
        b.meta["quantization"]["mode"] == "int16x8"
        and b.meta["quantization"]["representative_samples"] == 200
    )
    assert report.check["passed"] and report.metrics["mean_abs_prob_diff"] < 1e-3
    clf = Classifier(b, runtime="litert")
    x = np.load(work["rep"])[:5]
    ref = keras.models.load_model(path).predict(x, verbose=0)
    np.testing.assert_allclose(clf.predict(x), ref, atol=2e-3)
    with pytest.raises(ValueError, match="int16x8 takes --io-dtype int16 or float32"):
        ConvertConfig(model=path, quant="int16x8", io_dtype="int8").validate()


@pytest.mark.parametrize("fmt", ["keras", "saved_model"])
def test_fixed_batch_size_above_one(work: dict[str, Path], fmt: str) -> None:
    inp = keras.Input(HW, batch_size=4)
    keras.utils.set_random_seed(1)
    model = keras.Model(inp, _head(keras.layers.Conv2D(4, 3, activation="relu")(inp)))
    path = work["dir"] / ("batch4.keras" if fmt == "keras" else "batch4_sm")
    if fmt == "keras":
        model.save(path)
    else:  # model.export() relaxes the batch unless given the signature
        sig = [tf.TensorSpec((4, *HW), tf.float32, name="image")]
        model.export(str(path), verbose=False, input_signature=sig)
    report = convert_to_bundle(
        ConvertConfig(
            model=path,
            quant="float32",
            labels=work["labels"],
            verify_data=work["verify"],
            out=work["dir"] / f"b4-{fmt}",
        )
    )
    b = load_bundle(report.bundle_dir)
    assert report.agreement == 1.0 and b.meta["source_model"]["batch_size"] == 4
    clf = Classifier(b)
    x = np.load(work["rep"])[:5]
    want = model.predict(np.concatenate([x, x[:3]]), batch_size=4, verbose=0)[:5]
    for n in (1, 5):  # one frame (edge-run) and more than the fixed batch
        np.testing.assert_allclose(clf.predict(x[:n]), want[:n], atol=1e-5)


# -- 5. messages --------------------------------------------------------------------------------
def test_labels_one_short_reported_before_folder_checks(
    work: dict[str, Path], custom_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Problem 4: 'a labels file one short, with --verify-data, reports class folders "not
    among the model's labels" instead of "2 labels for 3 outputs"'."""
    folders = work["dir"] / "classes"
    x, y = _samples(9, np.random.default_rng(3))
    for i, (img, k) in enumerate(zip(x, y, strict=True)):
        d = folders / ("red", "green", "blue")[k]
        d.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(d / f"{i}.png"), (img * 255).astype(np.uint8))
    short = work["dir"] / "two.txt"
    short.write_text("red\ngreen\n")
    inp = keras.Input(HW)
    path = work["dir"] / "three.keras"
    keras.Model(inp, _head(inp)).save(path)
    argv = [str(path), "--quant", "float32", "--labels", str(short), "--verify-data", str(folders)]
    assert main([*argv, "--out", str(work["dir"] / "x")]) == 2
    err = capsys.readouterr().err
    assert "2 labels for 3 outputs" in err and "not among" not in err
    assert len(err.splitlines()) == 1


def test_conversion_errors_are_one_line(work: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    corrupt = work["dir"] / "corrupt.keras"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    assert main([str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "cannot load" in err and len(err) < 600
    meta = json.dumps({"x": 1})  # a model.json-like string never reaches the message
    assert meta not in err
