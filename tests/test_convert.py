"""edge-convert: the four quantisation modes, verification, users' model formats, the CLI.

A tiny CNN (28x28x1 -> softmax 10) is trained once per session for 2 epochs on 3,000
MNIST images from ``../shared/data`` (or, where that is absent, on synthetic
"digits": one bright square per class at a class-specific place), and converted in
all four modes. Each file is loaded with ai-edge-litert through
:class:`edge.runtime.Classifier`; the int8 file is also checked against Keras with a
bare interpreter, independently of :mod:`convert.verify`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edge.bundle import load_bundle, sha256_file

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from convert import ConvertConfig, convert_keras, convert_to_bundle, representative_dataset  # noqa: E402
from convert.cli import main  # noqa: E402
from convert.data import load_samples, to_value_range  # noqa: E402
from convert.verify import detect_activation  # noqa: E402
from edge.runtime import Classifier  # noqa: E402

pytestmark = pytest.mark.tf

N_TRAIN, N_TEST = 3000, 500
MODES = ("float32", "float16", "dynamic", "int8")


# -- data and model --------------------------------------------------------------
def _synthetic_digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (n, 28, 28) images of one noisy 8x8 square per class, at a class-specific place."""
    y = rng.integers(0, 10, n)
    x = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, k in enumerate(y):
        r, c = 2 + 9 * (k // 4) + rng.integers(0, 2), 2 + 6 * (k % 4) + rng.integers(0, 2)
        x[i, r : r + 8, c : c + 8] = 220
    return x, y.astype(np.uint8)


@pytest.fixture(scope="session")
def digits(shared_data_dir: Path | None) -> dict[str, np.ndarray | bool]:
    """uint8 (N, 28, 28) train/test images and labels: MNIST if present, else synthetic."""
    from edge.datasets import DatasetError, load_mnist

    try:
        d = load_mnist(shared_data_dir) if shared_data_dir is not None else None
    except DatasetError:
        d = None
    if d is not None:
        (xtr, ytr), (xte, yte) = d["train"], d["test"]
        return {
            "x_train": xtr[:N_TRAIN],
            "y_train": ytr[:N_TRAIN],
            "x_test": xte[:N_TEST],
            "y_test": yte[:N_TEST],
            "real": True,
        }
    rng = np.random.default_rng(0)
    xtr, ytr = _synthetic_digits(N_TRAIN, rng)
    xte, yte = _synthetic_digits(N_TEST, rng)
    return {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte, "real": False}


def _f(x: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]."""
    return (x[..., None].astype(np.float32) / 255.0).astype(np.float32)


@pytest.fixture(scope="session")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("convert")


@pytest.fixture(scope="session")
def keras_model(digits: dict, work: Path) -> Path:
    """A tiny trained CNN saved as ``model.keras`` with a ``config.json`` beside it."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="tiny_cnn",
    )
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    model.fit(_f(digits["x_train"]), digits["y_train"], epochs=2, batch_size=32, verbose=0)
    folder = work / "trained"
    folder.mkdir()
    model.save(folder / "model.keras")
    (folder / "config.json").write_text(json.dumps({"epochs": 2, "command": "pytest fixture"}))
    return folder / "model.keras"


@pytest.fixture(scope="session")
def data_files(digits: dict, work: Path) -> dict[str, Path]:
    """rep.npy (uint8 train images) and verify.npz (float test images + labels)."""
    rep = work / "rep.npy"
    np.save(rep, digits["x_train"][:300])
    ver = work / "verify.npz"
    np.savez(ver, x=_f(digits["x_test"]), y=digits["y_test"].astype(np.int64))
    return {"rep": rep, "verify": ver}


@pytest.fixture(scope="session")
def bundles(keras_model: Path, data_files: dict[str, Path], work: Path) -> dict:
    """One converted and verified bundle per quantisation mode (via the Python API)."""
    out = {}
    for mode in MODES:
        cfg = ConvertConfig(
            model=keras_model,
            quant=mode,
            out=work / f"bundle-{mode}",
            rep_data=data_files["rep"],
            rep_samples=200,
            verify_data=data_files["verify"],
        )
        out[mode] = convert_to_bundle(cfg)
    return out


# -- the four modes -----------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_each_mode_loads_with_litert(bundles: dict, digits: dict, mode: str) -> None:
    report = bundles[mode]
    clf = Classifier(report.bundle_dir, runtime="litert")
    assert clf.runtime == "litert"
    want_dtype = "int8" if mode == "int8" else "float32"
    assert clf.bundle.input.dtype == want_dtype
    assert clf.bundle.input.quant.quantised == (mode == "int8")
    probs = clf.predict(_f(digits["x_test"][:8]))
    assert probs.shape == (8, 10) and probs.dtype == np.float32
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=0.02)

    meta = clf.bundle.meta
    assert meta["quantization"]["mode"] == mode
    assert meta["quantization"]["representative_samples"] == (200 if mode == "int8" else 0)
    assert meta["tflite_sha256"] == sha256_file(report.bundle_dir / "model.tflite")
    assert meta["output"]["activation"] == "softmax"
    assert meta["preprocessing"] == "mnist-normalise"
    assert meta["training"]["config"]["epochs"] == 2
    m = meta["metrics"]["verify"]
    assert m["samples"] == N_TEST and m["held_out"] is True
    floor = 0.99 if mode in ("float32", "float16") else 0.95
    assert m["top1_agreement"] >= floor, m
    assert abs(m["tflite_accuracy"] - m["source_accuracy"]) <= 0.03


def test_sizes_shrink_with_quantisation(bundles: dict) -> None:
    size = {m: r.size_bytes for m, r in bundles.items()}
    assert size["float16"] < size["float32"]
    assert size["dynamic"] < size["float16"]
    assert size["int8"] < size["float16"]


def test_float32_matches_keras_closely(bundles: dict) -> None:
    m = bundles["float32"].metrics
    assert m["top1_agreement"] == 1.0
    assert m["max_abs_prob_diff"] < 1e-4


def test_int8_file_against_keras(bundles: dict, keras_model: Path, digits: dict) -> None:
    """The int8 file run with a bare ai-edge-litert interpreter, compared with Keras."""
    from ai_edge_litert.interpreter import Interpreter

    x, y = _f(digits["x_test"]), digits["y_test"]
    ref = keras.models.load_model(keras_model).predict(x, verbose=0)
    it = Interpreter(model_path=str(bundles["int8"].bundle_dir / "model.tflite"))
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    assert inp["dtype"] == np.int8 and out["dtype"] == np.int8
    s_in, z_in = inp["quantization"]
    s_out, z_out = out["quantization"]
    probs = []
    for xi in x:
        q = np.clip(np.rint(xi / s_in) + z_in, -128, 127).astype(np.int8)
        it.set_tensor(inp["index"], q[None])
        it.invoke()
        probs.append(s_out * (it.get_tensor(out["index"])[0].astype(np.float32) - z_out))
    probs = np.asarray(probs)
    agreement = float(np.mean(probs.argmax(1) == ref.argmax(1)))
    acc_keras, acc_int8 = float(np.mean(ref.argmax(1) == y)), float(np.mean(probs.argmax(1) == y))
    assert agreement >= 0.95, agreement
    assert acc_int8 >= acc_keras - 0.03
    assert acc_keras >= (0.8 if digits["real"] else 0.9)
    # The bundle's recorded numbers are the same measurement through Classifier.
    assert bundles["int8"].metrics["top1_agreement"] == pytest.approx(agreement, abs=0.01)


def test_int8_with_float_io(keras_model: Path, digits: dict) -> None:
    from ai_edge_litert.interpreter import Interpreter

    model = keras.models.load_model(keras_model)
    rep = _f(digits["x_train"][:100])
    flat = convert_keras(model, "int8", rep, io_dtype="float32")
    it = Interpreter(model_content=flat)
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    assert inp["dtype"] == np.float32 and out["dtype"] == np.float32
    # quantised inside: the tensors after the input are int8
    assert any(d["dtype"] == np.int8 for d in it.get_tensor_details())
    x = _f(digits["x_test"][:100])
    got = []
    for xi in x:
        it.set_tensor(inp["index"], xi[None])
        it.invoke()
        got.append(it.get_tensor(out["index"])[0].argmax())
    assert np.mean(np.asarray(got) == model.predict(x, verbose=0).argmax(1)) >= 0.95


def test_int8_with_uint8_io_through_the_bundle(keras_model: Path, data_files: dict, work: Path) -> None:
    report = convert_to_bundle(
        ConvertConfig(
            model=keras_model,
            quant="int8",
            io_dtype="uint8",
            out=work / "bundle-int8-u8",
            rep_data=data_files["rep"],
            rep_samples=100,
            verify_data=data_files["verify"],
        )
    )
    b = load_bundle(report.bundle_dir)
    assert b.input.dtype == "uint8" and b.meta["output"]["dtype"] == "uint8"
    assert b.input.quant.quantised
    assert report.agreement >= 0.95


def test_convert_keras_rejects_bad_arguments(keras_model: Path) -> None:
    model = keras.models.load_model(keras_model)
    with pytest.raises(ValueError, match="representative dataset"):
        convert_keras(model, "int8", None)
    with pytest.raises(ValueError, match="unknown quantisation"):
        convert_keras(model, "int4", None)
    with pytest.raises(ValueError, match="needs --quant int8"):
        convert_keras(model, "float16", None, io_dtype="int8")


def test_representative_dataset_yields_single_samples() -> None:
    x = np.random.default_rng(0).random((5, 28, 28, 1), dtype=np.float32)
    batches = list(representative_dataset(x)())
    assert len(batches) == 5
    assert all(len(b) == 1 and b[0].shape == (1, 28, 28, 1) and b[0].dtype == np.float32 for b in batches)
    np.testing.assert_array_equal(batches[3][0][0], x[3])
    with pytest.raises(ValueError, match="N, H, W, C"):
        representative_dataset(x[0])


# -- users' models and data ------------------------------------------------------------
def test_logits_model_with_rescaling_and_no_data(work: Path) -> None:
    """A model that rescales 0..255 itself and ends in logits; no data: random-input check."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Rescaling(1 / 127.5, offset=-1),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3),
        ]
    )
    path = work / "hands_logits.keras"
    model.save(path)
    labels = work / "rps.txt"
    labels.write_text("rock\npaper\nscissors\n")
    report = convert_to_bundle(
        ConvertConfig(model=path, quant="float32", task="hands", labels=labels, out=work / "hands-f32")
    )
    b = load_bundle(report.bundle_dir)
    assert b.labels == ("rock", "paper", "scissors")
    assert b.input.value_range == (0.0, 255.0) and b.input.colour_order == "RGB"
    assert b.preprocessing == "hand-crop" and b.task == "hands"
    assert b.meta["output"]["activation"] == "logits"
    assert report.metrics_key == "random-inputs" and report.held_out is False
    assert report.metrics["source_accuracy"] is None
    assert report.agreement == 1.0
    probs = Classifier(b).predict(np.full((2, 16, 16, 3), 128, np.float32))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)  # softmax of the logits


def test_unknown_input_size_needs_input_size(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = keras.Sequential(
        [
            keras.Input((None, None, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = work / "any_size.keras"
    model.save(path)
    out = work / "bundle-any-size"
    assert main([str(path), "--quant", "float32", "--out", str(out)]) == 2
    assert "--input-size H W" in capsys.readouterr().err
    # not MNIST-like (20x24): task classify, whose labels must be given (issue 14)
    labels = work / "any_size_labels.txt"
    labels.write_text("".join(f"c{i}\n" for i in range(10)))
    args = [str(path), "--quant", "float32", "--input-size", "20", "24", "--out", str(out)]
    assert main([*args, "--labels", str(labels)]) == 0
    b = load_bundle(out)
    assert b.input.shape == (1, 20, 24, 1) and (b.task, b.preprocessing) == ("classify", "resize")
    assert b.meta["metrics"]["random-inputs"]["top1_agreement"] == 1.0


def test_h5_model_via_cli(
    keras_model: Path, data_files: dict, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h5 = work / "h5" / "model.h5"
    h5.parent.mkdir()
    keras.models.load_model(keras_model).save(h5)
    out = work / "bundle-h5"
    rc = main(
        [
            str(h5),
            "--quant",
            "dynamic",
            "--verify-data",
            str(data_files["verify"]),
            "--out",
            str(out),
            "--min-agreement",
            "0.95",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    b = load_bundle(out)
    assert b.meta["source_model"]["format"] == "h5"
    assert b.meta["source_model"]["sha256"] == sha256_file(h5)
    assert b.meta["training"] is None
    assert b.meta["metrics"]["verify"]["top1_agreement"] >= 0.95


def _write_images(folder: Path, x: np.ndarray, y: np.ndarray | None) -> None:
    import cv2

    for i, img in enumerate(x):
        d = folder if y is None else folder / str(int(y[i]))
        d.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(d / f"{i:04d}.png"), img)


def test_saved_model_with_image_folders_via_cli(
    keras_model: Path, digits: dict, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sm = work / "saved_model"
    keras.models.load_model(keras_model).export(str(sm), verbose=False)
    rep_dir, ver_dir = work / "rep_images", work / "test_classes"
    _write_images(rep_dir, digits["x_train"][:120], None)
    _write_images(ver_dir, digits["x_test"][:200], digits["y_test"][:200])
    out = work / "bundle-sm"
    rc = main(
        [
            str(sm),
            "--quant",
            "int8",
            "--rep-data",
            str(rep_dir),
            "--verify-data",
            str(ver_dir),
            "--out",
            str(out),
            "--name",
            "sm-int8",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    report = json.loads(captured.out)
    assert report["metrics_key"] == "test_classes" and report["samples"] == 200
    assert report["top1_agreement"] >= 0.93
    b = load_bundle(out)
    assert b.name == "sm-int8" and b.meta["source_model"]["format"] == "saved_model"
    assert sorted(b.labels) == sorted({str(int(v)) for v in digits["y_test"][:200]})
    assert b.meta["quantization"]["representative_samples"] == 120
    assert b.input.dtype == "int8"


def test_cli_mnist_end_to_end(
    keras_model: Path, shared_data_dir: Path | None, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from edge.datasets import DatasetError, load_mnist

    if shared_data_dir is None:
        pytest.skip("../shared/data (MNIST) is absent; set EDGE_DATA_DIR to run this test")
    try:
        load_mnist(shared_data_dir)
    except DatasetError as e:
        pytest.skip(f"no MNIST in {shared_data_dir}: {e}")
    out = work / "bundle-mnist"
    rc = main(
        [
            str(keras_model),
            "--quant",
            "int8",
            "--dataset",
            "mnist",
            "--data-dir",
            str(shared_data_dir),
            "--rep-samples",
            "100",
            "--verify-samples",
            "1000",
            "--out",
            str(out),
            "--min-agreement",
            "0.9",
        ]
    )
    printed = capsys.readouterr().out
    assert rc == 0
    assert "agreement" in printed and "KiB" in printed and "mnist-test" in printed
    b = load_bundle(out)
    m = b.meta["metrics"]["mnist-test"]
    assert m["samples"] == 1000 and m["held_out"] is True
    assert m["top1_agreement"] >= 0.9 and m["tflite_accuracy"] >= 0.8
    assert b.meta["quantization"] == {
        "mode": "int8",
        "io_dtype": "int8",
        "tflite_runtime_compat": False,
        "representative_samples": 100,
        "representative_data": "mnist-train",
    }
    assert b.labels == tuple(str(d) for d in range(10))
    assert b.meta["source_model"]["sha256"] == sha256_file(keras_model)
    assert b.meta["training"]["command"] == "pytest fixture"


def test_cli_min_agreement_exit_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from convert import cli
    from convert.config import ConvertReport

    metrics = {
        "samples": 10,
        "source_accuracy": 0.9,
        "tflite_accuracy": 0.5,
        "top1_agreement": 0.5,
        "mean_abs_prob_diff": 0.2,
        "max_abs_prob_diff": 0.9,
        "size_bytes": 1000,
        "size_kib": 1.0,
        "runtime": "litert",
        "held_out": True,
    }
    fake = ConvertReport(
        bundle_dir=tmp_path,
        name="x",
        quant="int8",
        io_dtype="int8",
        size_bytes=1000,
        metrics_key="verify",
        metrics=metrics,
    )
    monkeypatch.setattr(cli, "convert_to_bundle", lambda cfg: fake)
    assert main(["m.keras", "--min-agreement", "0.99"]) == 1
    assert "below --min-agreement" in capsys.readouterr().err
    assert main(["m.keras", "--min-agreement", "0.5"]) == 0


# -- bad input: a clear message and exit code 2 ------------------------------------
@pytest.fixture(scope="session")
def flat_model(work: Path) -> Path:
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
    path = work / "flat.keras"
    model.save(path)
    return path


def _bad_cases(keras_model: Path, flat_model: Path, work: Path) -> dict[str, tuple[list[str], str]]:
    labels3 = work / "three.txt"
    labels3.write_text("a\nb\nc\n")
    wrong = work / "wrong_shape.npy"
    np.save(wrong, np.zeros((5, 32, 32, 1), np.uint8))
    hot = work / "out_of_range.npy"
    np.save(hot, np.full((5, 28, 28, 1), 255.0, np.float32))
    corrupt = work / "corrupt.keras"
    corrupt.write_bytes(b"not a zip file")
    tfl = work / "already.tflite"
    tfl.write_bytes(b"TFL3")
    m = str(keras_model)
    return {
        "missing model": ([str(work / "nope.keras")], "does not exist"),
        "corrupt model": ([str(corrupt)], "cannot load"),
        "not a SavedModel folder": ([str(work)], "saved_model.pb"),
        "tflite given": ([str(tfl)], "already a TFLite"),
        "flat input": ([str(flat_model)], "NHWC"),
        "labels mismatch": ([m, "--quant", "float32", "--labels", str(labels3)], "3 labels"),
        "rep data shape": ([m, "--rep-data", str(wrong)], "(N, 28, 28, 1)"),
        "rep data range": ([m, "--rep-data", str(hot)], "--value-range"),
        "int8 without data": ([m, "--quant", "int8"], "representative dataset"),
        "io dtype on float16": ([m, "--quant", "float16", "--io-dtype", "int8"], "--quant int8"),
        "grey model as RGB": ([m, "--quant", "float32", "--colour-order", "RGB"], "channel"),
        "missing labels file": (
            [m, "--quant", "float32", "--labels", str(work / "no.txt")],
            "cannot read labels",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing model",
        "corrupt model",
        "not a SavedModel folder",
        "tflite given",
        "flat input",
        "labels mismatch",
        "rep data shape",
        "rep data range",
        "int8 without data",
        "io dtype on float16",
        "grey model as RGB",
        "missing labels file",
    ],
)
def test_cli_bad_input_exits_2(
    case: str, keras_model: Path, flat_model: Path, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, needle = _bad_cases(keras_model, flat_model, work)[case]
    rc = main([*argv, "--out", str(work / "bad-out")])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("edge-convert: error: ") and needle in err, err
    assert "Traceback" not in err


# -- data helpers ------------------------------------------------------------------
def test_uint8_and_float_npy_give_the_same_samples(tmp_path: Path) -> None:
    x = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    np.save(tmp_path / "u8.npy", x)
    np.save(tmp_path / "f32.npy", _f(x))
    a = load_samples(tmp_path / "u8.npy", (28, 28, 1), "grey", (0.0, 1.0))
    b = load_samples(tmp_path / "f32.npy", (28, 28, 1), "grey", (0.0, 1.0))
    assert a.x.shape == (4, 28, 28, 1) and a.x.dtype == np.float32 and a.y is None
    np.testing.assert_allclose(a.x, b.x, atol=1e-6)
    c = to_value_range(x, (-1.0, 1.0), "test")
    assert c.min() >= -1.0 and c.max() <= 1.0


def test_image_folder_rgb_order_and_resize(tmp_path: Path) -> None:
    import cv2

    bgr = np.zeros((40, 20, 3), np.uint8)
    bgr[..., 0] = 255  # pure blue in OpenCV's BGR
    cv2.imwrite(str(tmp_path / "blue.png"), bgr)
    s = load_samples(tmp_path, (10, 5, 3), "RGB", (0.0, 1.0))
    assert s.x.shape == (1, 10, 5, 3)
    np.testing.assert_allclose(s.x[0, 0, 0], [0.0, 0.0, 1.0])  # RGB: blue last
    s = load_samples(tmp_path, (10, 5, 3), "BGR", (0.0, 1.0))
    np.testing.assert_allclose(s.x[0, 0, 0], [1.0, 0.0, 0.0])


def test_class_folders_must_match_labels(tmp_path: Path) -> None:
    import cv2

    for name in ("cat", "dog"):
        (tmp_path / name).mkdir()
        cv2.imwrite(str(tmp_path / name / "a.png"), np.zeros((28, 28), np.uint8))
    s = load_samples(tmp_path, (28, 28, 1), "grey", (0.0, 1.0))
    assert s.labels == ("cat", "dog") and list(s.y) == [0, 1]
    s = load_samples(tmp_path, (28, 28, 1), "grey", (0.0, 1.0), labels=("dog", "cat"))
    assert list(s.y) == [1, 0]
    with pytest.raises(ValueError, match="not among the model's labels"):
        load_samples(tmp_path, (28, 28, 1), "grey", (0.0, 1.0), labels=("0", "1"))
    s = load_samples(tmp_path, (28, 28, 1), "grey", (0.0, 1.0), labels=("0",), labelled=False)
    assert s.y is None and len(s) == 2


def test_detect_activation() -> None:
    p = np.array([[0.2, 0.8], [1.0, 0.0]], np.float32)
    assert detect_activation(p) == "softmax"
    assert detect_activation(np.array([[2.0, -1.0]], np.float32)) == "logits"
    assert detect_activation(np.array([[0.2, 0.2]], np.float32)) == "logits"
