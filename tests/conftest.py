"""Shared fixtures: tiny int8 digits and hands bundles and the path of the shared data.

``tiny_digits_bundle`` (and ``tiny_hands_bundle``) builds a small untrained Keras CNN (28x28x1 -> softmax 10),
converts it to a full-int8 TFLite model and writes it as a bundle once per session;
it is for contract and plumbing tests, not accuracy (its weights are random).
``fake_hand_segmenter_in`` swaps a skin-blob stand-in (:class:`FakeHandSegmenter`) for
the hand segmenter a module's ``build_pipeline`` would build.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from edge.datasets import DatasetError, load_mnist


@pytest.fixture(scope="session")
def shared_data_dir() -> Path | None:
    """The shared data folder (``EDGE_DATA_DIR`` or ``../shared/data``), or None if absent."""
    env = os.environ.get("EDGE_DATA_DIR")
    p = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    return p if p.is_dir() else None


def draw_digit(d: int, size: int = 28, thickness: int = 2) -> np.ndarray:
    """uint8 (size, size) white-on-black drawing of digit ``d`` (OpenCV's Hershey simplex
    font, centred), a stand-in for an MNIST-style sample."""
    import cv2

    img = np.zeros((size, size), np.uint8)
    scale = size / 36
    (w, h), _ = cv2.getTextSize(str(d), cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    cv2.putText(
        img,
        str(d),
        ((size - w) // 2, (size + h) // 2),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        255,
        thickness,
        cv2.LINE_AA,
    )
    return img


def build_tiny_bundle(
    out: Path, *, task: str, input_hw: tuple[int, int], channels: int, labels: list[str], preprocessing: str
) -> Path:
    """Write a tiny untrained full-int8 bundle (a small random CNN) to ``out``.

    Args:
        out: bundle folder to create.
        task: ``"digits"`` or ``"hands"``.
        input_hw: (H, W) of the float32 input in [0, 1].
        channels: 1 (grey) or 3 (RGB).
        labels: class labels (one output per label).
        preprocessing: the bundle's preprocessing name.

    Returns:
        ``out``. Skips the test when TensorFlow is not installed.
    """
    tf = pytest.importorskip("tensorflow")
    from edge.bundle import InputSpec, QuantParams, write_bundle
    from edge.runtime import make_interpreter

    tf.keras.utils.set_random_seed(0)
    shape = (*input_hw, channels)
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape),
            tf.keras.layers.Conv2D(4, 3, strides=2, activation="relu"),
            tf.keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(len(labels), activation="softmax"),
        ]
    )
    rng = np.random.default_rng(0)

    def representative_dataset():
        for _ in range(16):
            yield [rng.random((1, *shape), dtype=np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative_dataset
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with warnings.catch_warnings():  # "Statistics for quantized inputs were expected"
        warnings.simplefilter("ignore", UserWarning)
        tflite = conv.convert()

    out.mkdir(parents=True, exist_ok=True)
    (out / "model.tflite").write_bytes(tflite)
    interp, _ = make_interpreter(out / "model.tflite")
    scale, zero_point = interp.get_input_details()[0]["quantization"]
    spec = InputSpec(
        shape=(1, *shape),
        dtype="int8",
        colour_order="grey" if channels == 1 else "RGB",
        value_range=(0.0, 1.0),
        quant=QuantParams(scale=float(scale), zero_point=int(zero_point)),
    )
    meta = {
        "name": out.name,
        "task": task,
        "input": spec.to_json(),
        "preprocessing": preprocessing,
        "output": {"activation": "softmax"},
        "dataset": "none (untrained test fixture)",
    }
    return write_bundle(out, tflite, labels, meta)


@pytest.fixture(scope="session")
def tiny_digits_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of a tiny full-int8 digits bundle (labels ``0``..``9``, ``mnist-normalise``).

    Skips the test when TensorFlow is not installed.
    """
    return build_tiny_bundle(
        tmp_path_factory.mktemp("bundles") / "tiny-digits-int8",
        task="digits",
        input_hw=(28, 28),
        channels=1,
        labels=[str(d) for d in range(10)],
        preprocessing="mnist-normalise",
    )


@pytest.fixture(scope="session")
def tiny_hands_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of a tiny full-int8 hands bundle: (1, 64, 64, 3) RGB in [0, 1], labels
    ``rock, paper, scissors, none``, preprocessing ``hand-crop``; random weights.

    Skips the test when TensorFlow is not installed.
    """
    return build_tiny_bundle(
        tmp_path_factory.mktemp("bundles") / "tiny-hands-int8",
        task="hands",
        input_hw=(64, 64),
        channels=3,
        labels=["rock", "paper", "scissors", "none"],
        preprocessing="hand-crop",
    )


class FakeHandSegmenter:
    """Box of the largest skin-coloured blob (YCrCb box of Chai and Ngan, 1999).

    Stands in for :mod:`edge.segment.hands` so the hands paths of edge-run and the benchmark
    are tested whether or not ``build_pipeline`` has its hands branch yet; ``name`` is
    the segmenter (``--segmenter``) asked for.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def find(self, image: np.ndarray) -> list:
        import cv2

        from edge.types import ROI

        small = cv2.resize(image, (image.shape[1] // 4, image.shape[0] // 4), interpolation=cv2.INTER_AREA)
        mask = cv2.inRange(cv2.cvtColor(small, cv2.COLOR_BGR2YCrCb), (0, 133, 77), (255, 173, 127))
        n, _, st, _ = cv2.connectedComponentsWithStats(mask)
        if n < 2:
            return []
        i = 1 + int(np.argmax(st[1:, cv2.CC_STAT_AREA]))
        x, y, w, h, area = (int(v) for v in st[i])
        return [ROI(4 * x, 4 * y, 4 * w, 4 * h)] if area >= 30 else []


@pytest.fixture
def fake_hand_segmenter_in(monkeypatch: pytest.MonkeyPatch) -> Callable[[ModuleType], list[str]]:
    """A function that wraps ``module.build_pipeline`` (edge-run's, the benchmark's) for
    this test: a segmenter *name* becomes a :class:`FakeHandSegmenter`. It returns the
    list of the names asked for, filled in as the pipeline is built."""

    def wrap(module: ModuleType) -> list[str]:
        asked: list[str] = []
        real = module.build_pipeline

        def build(model, **kw):
            if isinstance(kw.get("segmenter"), str):
                asked.append(kw["segmenter"])
                kw["segmenter"] = FakeHandSegmenter(kw["segmenter"])
            return real(model, **kw)

        monkeypatch.setattr(module, "build_pipeline", build)
        return asked

    return wrap


@pytest.fixture(scope="session")
def mnist(shared_data_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST test images and labels (skips without the shared data)."""
    if shared_data_dir is None:
        pytest.skip("shared data not found (set EDGE_DATA_DIR or provide ../shared/data)")
    folder = shared_data_dir / "mnist" if (shared_data_dir / "mnist").is_dir() else shared_data_dir
    try:
        x, y = load_mnist(folder)["test"]
    except DatasetError as e:
        pytest.skip(f"MNIST not available: {e}")
    return x, y


def say(config: pytest.Config, line: str) -> None:
    """Write one line to the terminal past pytest's output capture (or to stderr without a reporter)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line, file=sys.stderr)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line, yellow=True)


@pytest.fixture(scope="session")
def trt_python(pytestconfig: pytest.Config) -> Path:
    """The Python of the cached tflite-runtime 2.14 environment (numpy<2), built on first use
    (:func:`benchmarks.runtime_env.tflite_runtime_python`; the terminal is told what, how big
    and where first); skips where it cannot be built, unless ``EDGE_REQUIRE_TFLITE_RUNTIME=1``
    (CI), which fails instead."""
    from benchmarks import runtime_env

    if sys.version_info >= (3, 12):
        pytest.skip("tflite-runtime 2.14 has wheels for Python <= 3.11 only")
    if runtime_env.cached_tflite_runtime_python() is None:
        say(
            pytestconfig,
            runtime_env.build_message(
                runtime_env.venv_dir(),
                runtime_env.TFLITE_RUNTIME_REQUIREMENTS,
                "tflite-runtime",
                runtime_env.TFLITE_RUNTIME_VENV_MB,
            ),
        )
    tflite_runtime_python = runtime_env.tflite_runtime_python
    try:
        return tflite_runtime_python()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        if os.environ.get("EDGE_REQUIRE_TFLITE_RUNTIME") == "1":
            pytest.fail(f"EDGE_REQUIRE_TFLITE_RUNTIME=1 but: {e}")
        pytest.skip(f"cannot build the tflite-runtime 2.14 environment: {e}")
