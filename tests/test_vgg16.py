"""The VGG16 transfer path: model, freezing, two-stage training, feature cache, int8 bundle.

Everything runs with ``weights=None`` (no ImageNet download here; see DESIGN.md) on
a dozen random 32×32 RGB images, one epoch per stage: these tests check plumbing
and contracts, not accuracy. The ``"imagenet"`` path is checked by recording what
``keras.applications.VGG16`` is asked for.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from models.vgg16 import (  # noqa: E402
    HEAD_LAYERS,
    base_of,
    build_vgg16_transfer,
    feature_extractor,
    freeze_base,
    unfreeze_last_block,
)
from train.vgg16 import train_vgg16  # noqa: E402
from train.vgg16_config import Vgg16Config  # noqa: E402
from train.vgg16_data import feature_cache_key  # noqa: E402

pytestmark = pytest.mark.tf

S = 32
LABELS = ["rock", "paper", "scissors", "none"]


def _images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (n, 32, 32, 3) random RGB images and int64 (n,) labels cycling over 4 classes."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, S, S, 3), dtype=np.uint8), np.arange(n, dtype=np.int64) % 4


def _flip(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A stand-in augmentation: mirror each image left-right with probability 1/2."""
    out = batch.copy()
    m = rng.random(len(batch)) < 0.5
    out[m] = out[m, :, ::-1]
    return out


def _cfg(tmp: Path, **kw: object) -> Vgg16Config:
    base = dict(
        input_size=S,
        weights=None,
        head_epochs=1,
        finetune_epochs=1,
        batch_size=4,
        augment_copies=1,
        patience=1,
        out_dir=str(tmp / "run"),
        cache_dir=str(tmp / "cache"),
    )
    base.update(kw)
    return Vgg16Config(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    x_tr, y_tr = _images(12, 0)
    x_val, y_val = _images(8, 1)
    return {"x_train": x_tr, "y_train": y_tr, "x_val": x_val, "y_val": y_val}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, data: dict) -> dict:
    """One end-to-end run (head + fine-tuning); its config, metrics and folders."""
    tmp = tmp_path_factory.mktemp("vgg16")
    cfg = _cfg(tmp)
    metrics = train_vgg16(
        cfg,
        data["x_train"],
        data["y_train"],
        data["x_val"],
        data["y_val"],
        LABELS,
        augment=_flip,
        argv=["hands", "--model", "vgg16"],
    )
    return {"cfg": cfg, "metrics": metrics, "out": Path(cfg.out_dir), "tmp": tmp}


# -- model -----------------------------------------------------------------------------
def test_build_outputs_probabilities() -> None:
    model = build_vgg16_transfer(S, 4, weights=None)
    x = np.random.default_rng(0).uniform(0, 255, (2, S, S, 3)).astype(np.float32)
    p = model.predict(x, verbose=0)
    assert p.shape == (2, 4) and p.dtype == np.float32
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
    assert base_of(model).name == "vgg16"
    assert feature_extractor(model).output.shape[-1] == 512


def test_in_model_preprocessing_is_vgg16_preprocess_input() -> None:
    """RGB [0, 255] in → exactly what keras.applications.vgg16.preprocess_input gives (BGR, mean off)."""
    model = build_vgg16_transfer(S, 4, weights=None)
    pre = keras.Model(model.inputs, model.get_layer("rgb_to_bgr").output)
    x = np.random.default_rng(1).uniform(0, 255, (3, S, S, 3)).astype(np.float32)
    want = keras.applications.vgg16.preprocess_input(x.copy())
    np.testing.assert_allclose(pre.predict(x, verbose=0), want, atol=1e-4)


def test_freeze_base_leaves_only_the_head_trainable() -> None:
    model = freeze_base(build_vgg16_transfer(S, 4, weights=None))
    assert not base_of(model).trainable
    assert not base_of(model).trainable_weights
    layers = {w.path.split("/")[0] for w in model.trainable_weights}
    assert layers == set(HEAD_LAYERS)


def test_unfreeze_last_block_trains_exactly_block5() -> None:
    model = freeze_base(build_vgg16_transfer(S, 4, weights=None))
    unfreeze_last_block(model)
    base = base_of(model)
    trainable_convs = {layer.name for layer in base.layers if layer.trainable and layer.weights}
    assert trainable_convs == {"block5_conv1", "block5_conv2", "block5_conv3"}
    frozen = [layer.name for layer in base.layers if layer.weights and not layer.trainable]
    assert len(frozen) == 10  # blocks 1-4: 2 + 2 + 3 + 3 convolutions
    assert not model.get_layer("rgb_to_bgr").trainable
    assert {layer.name for layer in model.layers if layer.trainable_weights} == {"vgg16", *HEAD_LAYERS}
    with pytest.raises(ValueError, match="block6"):
        unfreeze_last_block(model, "block6")


@pytest.mark.parametrize("size", [16, 31, 225, 96.5])
def test_bad_input_size_is_rejected(size: object) -> None:
    with pytest.raises(ValueError, match=r"\[32, 224\].*--input-size"):
        build_vgg16_transfer(size, 4, weights=None)  # type: ignore[arg-type]


def test_missing_or_wrong_weights_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist.*notop"):
        build_vgg16_transfer(S, 4, weights=str(tmp_path / "vgg16_notop.h5"))
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(ValueError, match=r"\.h5 or \.weights\.h5"):
        build_vgg16_transfer(S, 4, weights=str(tmp_path / "weights.bin"))
    bad = tmp_path / "other.weights.h5"
    small = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    small.save_weights(bad)
    with pytest.raises(ValueError, match="(?s)cannot load .* notop VGG16 base.*base_of"):
        build_vgg16_transfer(S, 4, weights=str(bad))
    whole = tmp_path / "whole-model.weights.h5"  # the full transfer model, not its base
    build_vgg16_transfer(S, 4, weights=None).save_weights(whole)
    with pytest.raises(ValueError, match="cannot load .* notop VGG16 base"):
        build_vgg16_transfer(S, 4, weights=str(whole))


@pytest.mark.parametrize("fmt", ["keras", "legacy-h5"])
def test_local_weights_file_round_trips(fmt: str, tmp_path: Path) -> None:
    """Keras 3 ``.weights.h5`` from base_of(...).save_weights, and the legacy layer-by-name
    HDF5 layout in which Keras publishes vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5
    (written here with Keras' own legacy writer; the file is at 32 px, loaded at 64 px)."""
    keras.utils.set_random_seed(0)
    src = build_vgg16_transfer(S, 4, weights=None)
    if fmt == "keras":
        path = tmp_path / "vgg16_notop.weights.h5"
        base_of(src).save_weights(path)
    else:
        h5py = pytest.importorskip("h5py")
        legacy = pytest.importorskip("keras.src.legacy.saving.legacy_h5_format")
        path = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
        with h5py.File(path, "w") as f:
            legacy.save_weights_to_hdf5_group(f, base_of(src))
    keras.utils.set_random_seed(1)  # a different random init, overwritten by the file
    loaded = build_vgg16_transfer(S if fmt == "keras" else 64, 4, weights=str(path))
    a, b = base_of(src).get_weights(), base_of(loaded).get_weights()
    assert len(a) == len(b) == 26
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_array_equal(wa, wb)
    keras.utils.set_random_seed(1)
    fresh = build_vgg16_transfer(S, 4, weights=None)
    assert not np.array_equal(base_of(fresh).get_weights()[0], a[0])


def test_imagenet_is_what_keras_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    real = keras.applications.VGG16
    calls: list[dict] = []

    def recording_vgg16(**kw: object) -> object:
        calls.append(kw)
        return real(**{**kw, "weights": None})  # no download here

    monkeypatch.setattr(keras.applications, "VGG16", recording_vgg16)
    build_vgg16_transfer(S, 4)  # default weights
    build_vgg16_transfer(S, 4, weights="imagenet")
    assert [c["weights"] for c in calls] == ["imagenet", "imagenet"]
    assert all(c["include_top"] is False and c["input_shape"] == (S, S, 3) for c in calls)


# -- training --------------------------------------------------------------------------
def test_train_writes_every_output(run: dict, data: dict) -> None:
    out, m = run["out"], run["metrics"]
    for name in (
        "model.keras",
        "config.json",
        "labels.txt",
        "history.csv",
        "history-head.csv",
        "history-finetune.csv",
        "curves.png",
        "confusion.png",
        "metrics.json",
        "checkpoints/best.keras",
    ):
        assert (out / name).is_file(), name
    assert json.loads((out / "metrics.json").read_text()) == json.loads(json.dumps(m))
    assert m["head"]["epochs_run"] == 1 and m["finetune"]["epochs_run"] == 1
    assert m["final_stage"] in ("head", "finetune")
    assert 0.0 <= m["val_accuracy"] <= 1.0 and m["val_n"] == 8
    assert m["feature_cache"]["hit"] is False
    assert m["feature_cache"]["images"] == 2 * 12 + 8  # plain + 1 augmented copy, and val
    assert m["feature_cache"]["ms_per_image"] > 0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["command"] == "edge-train hands --model vgg16" and cfg["labels"] == LABELS
    assert (out / "labels.txt").read_text().split() == LABELS
    stages = [line.split(",")[0] for line in (out / "history.csv").read_text().splitlines()[1:]]
    assert stages == ["head", "finetune"]

    model = keras.models.load_model(out / "model.keras")
    p = model.predict(data["x_val"].astype(np.float32), verbose=0)
    assert p.shape == (8, 4) and np.all(np.isfinite(p))
    perm = model.get_layer("rgb_to_bgr").get_weights()[0][0, 0]
    np.testing.assert_array_equal(perm, np.eye(3, dtype=np.float32)[::-1])  # still RGB→BGR


def test_feature_cache_is_reused_and_head_is_copied(run: dict, data: dict, tmp_path: Path) -> None:
    folder = Path(run["metrics"]["feature_cache"]["dir"])
    files = sorted(folder.glob("*.npy"))
    assert [f.name for f in files] == ["train_features.npy", "train_labels.npy", "val_features.npy"]
    before = {f: f.stat().st_mtime_ns for f in files}
    cfg = _cfg(run["tmp"], finetune_epochs=0, out_dir=str(tmp_path / "again"))
    m = train_vgg16(
        cfg, data["x_train"], data["y_train"], data["x_val"], data["y_val"], LABELS, augment=_flip, argv=[]
    )
    assert m["feature_cache"]["hit"] is True
    assert m["feature_cache"]["key"] == run["metrics"]["feature_cache"]["key"]
    assert {f: f.stat().st_mtime_ns for f in files} == before
    assert "finetune" not in m and m["final_stage"] == "head"
    assert not (tmp_path / "again" / "history-finetune.csv").exists()
    # The full model's loss on the validation images equals the head's on their cached
    # features only if the head weights were copied into it.
    assert m["val_loss"] == pytest.approx(m["head"]["val_loss"], rel=1e-4)


def test_cache_key_follows_data_and_settings(data: dict, tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    key = feature_cache_key(cfg, data["x_train"], data["x_val"], _flip)
    assert key == feature_cache_key(cfg, data["x_train"].copy(), data["x_val"], _flip)
    x = data["x_train"].copy()
    x[0, 0, 0, 0] ^= 1
    assert feature_cache_key(cfg, x, data["x_val"], _flip) != key
    for change in ({"augment_copies": 2}, {"seed": 1}, {"augment_tag": "strong"}):
        assert feature_cache_key(_cfg(tmp_path, **change), data["x_train"], data["x_val"], _flip) != key
    # Head and fine-tuning settings do not change the features.
    assert (
        feature_cache_key(
            _cfg(tmp_path, head_lr=0.1, finetune_epochs=3), data["x_train"], data["x_val"], _flip
        )
        == key
    )


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"x_train": "float"}, r"uint8 \(N, 32, 32, 3\)"),
        ({"x_train": "size"}, r"input_size=32"),
        ({"y_val": "range"}, r"spans 0\.\.4 but there are 4 labels"),
    ],
)
def test_train_rejects_bad_arrays(bad: dict, match: str, data: dict, tmp_path: Path) -> None:
    d = dict(data)
    if bad.get("x_train") == "float":
        d["x_train"] = d["x_train"].astype(np.float32)
    if bad.get("x_train") == "size":
        d["x_train"] = np.zeros((4, 64, 64, 3), np.uint8)
    if bad.get("y_val") == "range":
        d["y_val"] = np.arange(8) % 5
    with pytest.raises(ValueError, match=match):
        train_vgg16(_cfg(tmp_path), d["x_train"], d["y_train"], d["x_val"], d["y_val"], LABELS)


def test_augment_must_keep_dtype_and_shape(data: dict, tmp_path: Path) -> None:
    def to_float(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return batch.astype(np.float32)

    with pytest.raises(ValueError, match="augment must return a uint8 batch"):
        train_vgg16(
            _cfg(tmp_path),
            data["x_train"],
            data["y_train"],
            data["x_val"],
            data["y_val"],
            LABELS,
            augment=to_float,
        )


# -- conversion ------------------------------------------------------------------------
def test_int8_bundle_from_the_trained_model(run: dict, data: dict, tmp_path: Path) -> None:
    from convert.build import convert_to_bundle
    from convert.config import ConvertConfig
    from edge.bundle import load_bundle
    from edge.runtime import Classifier

    rep = tmp_path / "hands-rep.npy"
    np.save(rep, np.concatenate([data["x_train"], data["x_val"]]))  # uint8 RGB 0..255
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(LABELS) + "\n")
    report = convert_to_bundle(
        ConvertConfig(
            model=run["out"] / "model.keras",
            quant="int8",
            task="hands",
            labels=labels,
            preprocessing="hand-crop",
            rep_data=rep,
            rep_samples=16,
            out=tmp_path / "bundle",
        )
    )
    assert report.metrics["samples"] == 4  # the 4 images not used for calibration

    bundle = load_bundle(report.bundle_dir)
    assert bundle.labels == tuple(LABELS)
    assert bundle.input.shape == (1, S, S, 3) and bundle.input.dtype == "int8"
    assert bundle.input.colour_order == "RGB"
    assert bundle.input.value_range == (0.0, 255.0)  # found from the leading Rescaling layer
    assert bundle.meta["preprocessing"] == "hand-crop" and bundle.meta["task"] == "hands"

    clf = Classifier(bundle, num_threads=1)
    x = data["x_val"][:3].astype(np.float32)
    p = clf.predict(x)
    assert p.shape == (3, 4) and np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(1), 1.0, atol=0.05)
    preds = clf.classify(x)
    assert len(preds) == 3 and all(pr.label in LABELS for pr in preds)
