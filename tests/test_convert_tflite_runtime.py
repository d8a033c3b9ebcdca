"""``--tflite-runtime-compat``: files that tflite-runtime 2.14 (its last release) can load.

tflite-runtime 2.14 needs numpy<2, so it runs in a separate virtualenv, built once
with pip and cached (:func:`tflite_runtime_python`). In it, the bundle goes through
the device's own :class:`edge.runtime.Classifier` with ``runtime="tflite-runtime"``.
The dynamic-range file made without the option must fail there (TF 2.21 quantises
dense layers per channel: ``FULLY_CONNECTED`` version 12, unknown to 2.14), which
shows the test can fail; with the option it must load, run, and agree with
ai-edge-litert.

Build the cached environment ahead of time (e.g. in ``.ci/run``) with::

    python -m benchmarks.runtime_env

``EDGE_TFLITE_RUNTIME_VENV`` chooses its folder; where pip cannot reach a package
index the tests skip with pip's message, unless ``EDGE_REQUIRE_TFLITE_RUNTIME=1``
(CI), which turns that into a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


# Runs inside the tflite-runtime environment: the device's Classifier on each bundle.
_PROBE = r"""
import json, sys
import numpy as np
import tflite_runtime
from edge.bundle import BundleError
from edge.runtime import Classifier

x, results = np.load(sys.argv[1]), sys.argv[2]
out = {"tflite_runtime": tflite_runtime.__version__, "numpy": np.__version__}
for name, bundle in zip(sys.argv[3::2], sys.argv[4::2]):
    try:
        clf = Classifier(bundle, runtime="tflite-runtime")
        probs = clf.predict(x)
        np.save(f"{results}/{name}.npy", probs)
        out[name] = {"ok": True, "runtime": clf.runtime}
    except BundleError as e:
        out[name] = {"ok": False, "error": str(e)}
print(json.dumps(out))
"""


@pytest.fixture(scope="session")
def compat_bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny conv + dense CNN converted as dynamic (with and without the option) and int8."""
    pytest.importorskip("tensorflow")
    import keras

    from convert import ConvertConfig, convert_to_bundle

    work = tmp_path_factory.mktemp("tflite-runtime")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(4, 3, strides=2, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.save(work / "model.keras")
    rep = work / "rep.npy"
    np.save(rep, np.random.default_rng(0).integers(0, 256, (64, 28, 28), dtype=np.uint8))
    runs = {"dynamic-compat": ("dynamic", True), "dynamic": ("dynamic", False), "int8": ("int8", False)}
    out = {}
    for name, (quant, compat) in runs.items():
        cfg = ConvertConfig(
            model=work / "model.keras",
            quant=quant,
            tflite_runtime_compat=compat,
            out=work / name,
            rep_data=rep,
            rep_samples=32,
        )
        out[name] = convert_to_bundle(cfg).bundle_dir
    return out


@pytest.mark.tf
def test_tflite_runtime_214_loads_compat_dynamic_model(
    trt_python: Path, compat_bundles: dict[str, Path], tmp_path: Path
) -> None:
    from edge.bundle import load_bundle
    from edge.runtime import Classifier

    x = np.random.default_rng(1).random((16, 28, 28, 1), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    args = [a for name, b in compat_bundles.items() for a in (name, str(b))]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run(
        [str(trt_python), "-c", _PROBE, str(tmp_path / "x.npy"), str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["tflite_runtime"] == "2.14.0" and res["numpy"].startswith("1.")

    # Without the option TF 2.21's dynamic-range file does not load in 2.14 ...
    assert not res["dynamic"]["ok"]
    assert "FULLY_CONNECTED" in res["dynamic"]["error"]
    # ... with it, it loads, runs and matches ai-edge-litert on the same file.
    assert res["dynamic-compat"] == {"ok": True, "runtime": "tflite-runtime"}
    assert load_bundle(compat_bundles["dynamic-compat"]).meta["quantization"]["tflite_runtime_compat"] is True
    for name in ("dynamic-compat", "int8"):
        assert res[name]["ok"], res[name]
        b = compat_bundles[name]
        got = np.load(tmp_path / f"{name}.npy")
        want = Classifier(b, runtime="litert").predict(x)
        np.testing.assert_allclose(got, want, atol=0.02)
