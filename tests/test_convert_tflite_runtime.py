"""``--tflite-runtime-compat``: files that tflite-runtime 2.14 (its last release) can load.

tflite-runtime 2.14 needs numpy<2, so it runs in a separate virtualenv, built once
with pip and cached (:func:`tflite_runtime_python`). In it, the bundle goes through
the device's own :class:`edge.runtime.Classifier` with ``runtime="tflite-runtime"``.
The dynamic-range file made without the option must fail there (TF 2.21 quantises
dense layers per channel: ``FULLY_CONNECTED`` version 12, unknown to 2.14), which
shows the test can fail; with the option it must load, run, and agree with
ai-edge-litert.

Build the cached environment ahead of time (e.g. in ``.ci/run``) with::

    python tests/test_convert_tflite_runtime.py

``EDGE_TFLITE_RUNTIME_VENV`` chooses its folder; where pip cannot reach a package
index the tests skip with pip's message, unless ``EDGE_REQUIRE_TFLITE_RUNTIME=1``
(CI), which turns that into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
TFLITE_RUNTIME_REQUIREMENTS = ("tflite-runtime==2.14.0", "numpy<2")


def _venv_dir() -> Path:
    env = os.environ.get("EDGE_TFLITE_RUNTIME_VENV")
    if env:
        return Path(env).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    return cache / "edge-recogniser" / f"venv-tflite-runtime-2.14-{tag}"


def _bin(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def tflite_runtime_python(venv: Path | None = None) -> Path:
    """The Python of a cached virtualenv with tflite-runtime 2.14 and numpy<2, built on first use.

    The environment is built in a temporary sibling folder and renamed into place
    only once ``import tflite_runtime`` works, so an interrupted build is never reused.

    Args:
        venv: the folder; ``None``: ``EDGE_TFLITE_RUNTIME_VENV`` or
            ``~/.cache/edge-recogniser/venv-tflite-runtime-2.14-pyXY``.

    Returns:
        Path of the environment's ``python``.

    Raises:
        RuntimeError: the environment cannot be built (no wheel for this Python or
            platform, no package index reachable); the message holds pip's output.
    """
    venv = venv or _venv_dir()
    ok = venv / ".edge-ok"
    if ok.is_file() and _bin(venv).exists():
        return _bin(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    tmp = venv.with_name(f"{venv.name}.building-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        steps = [
            [sys.executable, "-m", "venv", str(tmp)],
            [str(_bin(tmp)), "-m", "pip", "install", "--disable-pip-version-check", "-q",
             *TFLITE_RUNTIME_REQUIREMENTS],
            [str(_bin(tmp)), "-c", "import tflite_runtime, numpy; "
             "print(tflite_runtime.__version__, numpy.__version__)"],
        ]
        for cmd in steps:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
            if r.returncode != 0:
                raise RuntimeError(f"building the tflite-runtime environment failed at "
                                   f"{' '.join(cmd[:4])} ...: {(r.stderr or r.stdout)[-1500:]}")
        (tmp / ".edge-ok").write_text(r.stdout)
        if not ok.is_file():
            shutil.rmtree(venv, ignore_errors=True)
            tmp.rename(venv)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _bin(venv)


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
def trt_python() -> Path:
    if sys.version_info >= (3, 12):
        pytest.skip("tflite-runtime 2.14 has wheels for Python <= 3.11 only")
    try:
        return tflite_runtime_python()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        if os.environ.get("EDGE_REQUIRE_TFLITE_RUNTIME") == "1":
            pytest.fail(f"EDGE_REQUIRE_TFLITE_RUNTIME=1 but: {e}")
        pytest.skip(f"cannot build the tflite-runtime 2.14 environment: {e}")


@pytest.fixture(scope="session")
def compat_bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny conv + dense CNN converted as dynamic (with and without the option) and int8."""
    pytest.importorskip("tensorflow")
    import keras

    from convert import ConvertConfig, convert_to_bundle

    work = tmp_path_factory.mktemp("tflite-runtime")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(4, 3, strides=2, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.save(work / "model.keras")
    rep = work / "rep.npy"
    np.save(rep, np.random.default_rng(0).integers(0, 256, (64, 28, 28), dtype=np.uint8))
    runs = {"dynamic-compat": ("dynamic", True), "dynamic": ("dynamic", False),
            "int8": ("int8", False)}
    out = {}
    for name, (quant, compat) in runs.items():
        cfg = ConvertConfig(model=work / "model.keras", quant=quant, tflite_runtime_compat=compat,
                            out=work / name, rep_data=rep, rep_samples=32)
        out[name] = convert_to_bundle(cfg).bundle_dir
    return out


@pytest.mark.tf
def test_tflite_runtime_214_loads_compat_dynamic_model(trt_python: Path,
                                                       compat_bundles: dict[str, Path],
                                                       tmp_path: Path) -> None:
    from edge.bundle import load_bundle
    from edge.runtime import Classifier

    x = np.random.default_rng(1).random((16, 28, 28, 1), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    args = [a for name, b in compat_bundles.items() for a in (name, str(b))]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run([str(trt_python), "-c", _PROBE, str(tmp_path / "x.npy"), str(tmp_path),
                        *args],
                       capture_output=True, text=True, timeout=300, env=env, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["tflite_runtime"] == "2.14.0" and res["numpy"].startswith("1.")

    # Without the option TF 2.21's dynamic-range file does not load in 2.14 ...
    assert not res["dynamic"]["ok"]
    assert "FULLY_CONNECTED" in res["dynamic"]["error"]
    # ... with it, it loads, runs and matches ai-edge-litert on the same file.
    assert res["dynamic-compat"] == {"ok": True, "runtime": "tflite-runtime"}
    assert load_bundle(compat_bundles["dynamic-compat"]).meta["quantization"][
        "tflite_runtime_compat"] is True
    for name in ("dynamic-compat", "int8"):
        assert res[name]["ok"], res[name]
        b = compat_bundles[name]
        got = np.load(tmp_path / f"{name}.npy")
        want = Classifier(b, runtime="litert").predict(x)
        np.testing.assert_allclose(got, want, atol=0.02)


if __name__ == "__main__":
    print(tflite_runtime_python())
