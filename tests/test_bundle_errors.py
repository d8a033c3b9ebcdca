"""Bad bundles fail loudly: :func:`edge.bundle.load_bundle` and :class:`edge.runtime.Classifier`.

Two kinds of case:

- ``model.json``/``labels.txt`` problems that :func:`load_bundle` finds without
  opening the model; they need no TensorFlow (bundles with placeholder bytes);
- a corrupt ``.tflite``, and a ``model.json`` that disagrees with the model's own
  tensors, which only the interpreter reveals; these use ``tiny_digits_bundle``
  from ``conftest.py`` (a real int8 model, needs TensorFlow to build) copied and
  then damaged, or random bytes for the corrupt file (ai-edge-litert only).

Every failure must be a :class:`edge.bundle.BundleError` (a ``ValueError``) whose
message names the problem, never a crash inside the interpreter or a silent guess.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.bundle import BundleError, InputSpec, load_bundle, resolve_bundle_path, write_bundle
from edge.runtime import Classifier, make_interpreter

GOOD_META: dict[str, Any] = {
    "name": "fake",
    "task": "digits",
    "input": InputSpec(shape=(1, 28, 28, 1), dtype="float32", colour_order="grey").to_json(),
    "preprocessing": "mnist-normalise",
    "output": {"activation": "softmax"},
}
DIGITS = [str(d) for d in range(10)]


def _fake_bundle(tmp_path: Path, model: bytes = b"placeholder, not a model") -> Path:
    return write_bundle(tmp_path / "b", model, DIGITS, GOOD_META)


def _edit_meta(bundle: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    p = bundle / "model.json"
    meta = json.loads(p.read_text())
    edit(meta)
    p.write_text(json.dumps(meta))


def _set_input(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(meta: dict[str, Any]) -> None:
        meta["input"][key] = value

    return edit


# -- model.json / labels.txt (no interpreter needed) ---------------------------------
def test_the_fake_bundle_itself_loads(tmp_path: Path) -> None:
    b = load_bundle(_fake_bundle(tmp_path))
    assert b.labels == tuple(DIGITS) and b.input.height == 28


@pytest.mark.parametrize("missing", ["model.tflite", "labels.txt", "model.json"])
def test_missing_file(tmp_path: Path, missing: str) -> None:
    b = _fake_bundle(tmp_path)
    (b / missing).unlink()
    with pytest.raises(BundleError, match=f"has no {missing}"):
        load_bundle(b)


def test_no_bundle_at_path(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no model bundle"):
        resolve_bundle_path(tmp_path / "nowhere")


def test_model_json_not_json(tmp_path: Path) -> None:
    b = _fake_bundle(tmp_path)
    (b / "model.json").write_text("{ not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        load_bundle(b)


def test_model_json_without_input(tmp_path: Path) -> None:
    b = _fake_bundle(tmp_path)
    _edit_meta(b, lambda m: m.pop("input"))
    with pytest.raises(BundleError, match=r"model.json: input must be an object .* missing"):
        load_bundle(b)


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (_set_input("shape", [28, 28, 1]), "NHWC"),
        (_set_input("colour_order", "RGB"), "1 channel"),
        (_set_input("colour_order", "YUV"), "colour_order"),
        (lambda m: m["input"].pop("dtype"), "input.dtype must be one of"),
        (lambda m: m.update(task="faces"), "task"),
        (lambda m: m.update(preprocessing="sharpen"), "preprocessing"),
        (lambda m: m["output"].update(num_classes=9), "says 9 classes but .*labels.txt has 10"),
    ],
    ids=["shape-3d", "rgb-on-grey", "unknown-colour", "no-dtype", "task", "preprocessing", "num-classes"],
)
def test_model_json_disagrees_with_itself(tmp_path: Path, edit: Callable, needle: str) -> None:
    b = _fake_bundle(tmp_path)
    _edit_meta(b, edit)
    with pytest.raises(BundleError, match=needle):
        load_bundle(b)


def test_empty_labels(tmp_path: Path) -> None:
    b = _fake_bundle(tmp_path)
    (b / "labels.txt").write_text("\n\n")
    with pytest.raises(BundleError, match="empty"):
        load_bundle(b)


def test_changed_model_file_fails_the_sha256(tmp_path: Path) -> None:
    b = _fake_bundle(tmp_path)
    (b / "model.tflite").write_bytes(b"placeholder, not a model, edited")
    with pytest.raises(BundleError, match="sha256"):
        load_bundle(b)
    assert load_bundle(b, verify_sha256=False).name == "fake"


# -- a corrupt .tflite whose sha256 is consistent: only the interpreter can tell ----------
@pytest.mark.parametrize(
    "content", [b"", b"TFL3" + bytes(60), bytes(range(256)) * 8], ids=["empty", "header-only", "garbage"]
)
def test_corrupt_tflite_is_a_bundle_error(tmp_path: Path, content: bytes) -> None:
    pytest.importorskip("ai_edge_litert")
    b = _fake_bundle(tmp_path, content)
    assert load_bundle(b).name == "fake"  # model.json is fine and the sha256 matches
    with pytest.raises(BundleError, match="cannot load"):
        Classifier(b, runtime="litert")


def test_make_interpreter_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown runtime"):
        make_interpreter(tmp_path / "m.tflite", runtime="onnx")
    with pytest.raises(BundleError, match="does not exist"):
        make_interpreter(tmp_path / "m.tflite")


# -- a real model whose model.json disagrees with its tensors ----------------------------
@pytest.fixture()
def real_bundle(tiny_digits_bundle: Path, tmp_path: Path) -> Path:
    """A private copy of conftest's tiny int8 digits bundle, free to damage."""
    return Path(shutil.copytree(tiny_digits_bundle, tmp_path / "real"))


@pytest.mark.tf
def test_the_real_bundle_itself_works(real_bundle: Path) -> None:
    clf = Classifier(real_bundle, runtime="litert")
    probs = clf.predict(np.zeros((3, 28, 28, 1), np.float32))
    assert probs.shape == (3, 10)
    with pytest.raises(ValueError, match="does not match the model input"):
        clf.predict(np.zeros((1, 32, 32, 1), np.float32))


@pytest.mark.tf
@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (
            lambda m: m.update(preprocessing="resize") or m["input"].update(shape=[1, 32, 32, 1]),
            "input shape",
        ),
        (lambda m: m["input"].update(dtype="float32", quant={"scale": 0.0, "zero_point": 0}), "input dtype"),
        (_set_input("quant", {"scale": 0.5, "zero_point": 0}), "quantisation"),
    ],
    ids=["shape", "dtype", "quant"],
)
def test_model_json_disagrees_with_the_model(real_bundle: Path, edit: Callable, needle: str) -> None:
    _edit_meta(real_bundle, edit)
    load_bundle(real_bundle)  # self-consistent: only the interpreter shows the mismatch
    with pytest.raises(BundleError, match=needle):
        Classifier(real_bundle, runtime="litert")


@pytest.mark.tf
def test_labels_disagree_with_model_outputs(real_bundle: Path) -> None:
    (real_bundle / "labels.txt").write_text("".join(f"{d}\n" for d in range(9)))
    _edit_meta(real_bundle, lambda m: m["output"].update(num_classes=9))
    with pytest.raises(BundleError, match="10 outputs but labels.txt has 9"):
        Classifier(real_bundle, runtime="litert")


@pytest.mark.tf
def test_truncated_tflite_with_matching_sha256(real_bundle: Path) -> None:
    p = real_bundle / "model.tflite"
    data = p.read_bytes()[: p.stat().st_size // 2]
    p.write_bytes(data)
    _edit_meta(real_bundle, lambda m: m.update(tflite_sha256=hashlib.sha256(data).hexdigest()))
    with pytest.raises(BundleError, match="cannot load"):
        Classifier(real_bundle, runtime="litert")


@pytest.mark.tf
def test_truncated_tflite_fails_the_sha256_first(real_bundle: Path) -> None:
    p = real_bundle / "model.tflite"
    p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(BundleError, match="changed or corrupted"):
        Classifier(real_bundle)
