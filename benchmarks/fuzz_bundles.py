"""Random corruptions of a shipped bundle: each gives one clean error line, or the bundle still runs.

A case copies a shipped bundle (:data:`BASES`), damages one of its three files with a seeded
random corruption (:func:`corrupt`) and then loads it, builds its pipeline and runs one frame,
as ``edge-run`` does. The outcome (:func:`run_case`) is

- ``"error"``: a :class:`~edge.bundle.BundleError` / ``ValueError`` / ``RuntimeError`` (what a
  CLI prints as one ``error:`` line) that is one line, names the damaged file (its path inside
  the bundle) and, for a ``model.json`` field, the field or its section;
- ``"loads"``: the damage was harmless: the bundle loaded and ran a frame;
- ``"unclear"``: a clean exception type whose message is several lines or names neither;
- ``"traceback"``: any other exception, which a CLI would print as a traceback.

``unclear`` and ``traceback`` must stay 0 (tests/test_fuzz.py runs a CI-sized sample;
``python -m benchmarks.fuzz bundles --cases 1000`` the long run).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.bundle import SHIPPED, SHIPPED_DIR, BundleError, load_bundle
from edge.types import Frame

#: Shipped bundles corrupted, with their pipeline's source kind and frame source.
BASES = {"digits": "demo", "digits-float32": "demo", "hands-lenet": "demo-hands", "hands": "demo-hands"}
FILES = ("model.json", "labels.txt", "model.tflite")
#: Top-level ``model.json`` keys edge reads: 85 % of field corruptions hit one of these.
CORE_FIELDS = (
    "task", "input", "output", "preprocessing", "min_score", "decision", "detector", "features",
    "tflite_sha256", "format_version", "metrics", "name", "quantization",
)  # fmt: skip
#: Values a corrupted field may get: wrong types, nulls, huge, negative, zero, not finite.
ODD_VALUES: tuple[Any, ...] = (
    None, "x", "", "ten", True, False, 0, -1, 1, 2, 3, 0.5, -0.5, 1.5, 1e308, -1e308, 10**30, 2**63,
    float("nan"), float("inf"), float("-inf"), [], [1], ["a", 1], {}, {"a": 1}, "digits", "hands",
    "grey", "RGB", "features", "hand-crop", "resize", "mnist-normalise", "hand-landmarks", "int8", "float32",
)  # fmt: skip


@dataclass
class CaseResult:
    """One corrupted bundle: what was done to it and what came out."""

    base: str
    file: str
    what: str
    field: str | None
    outcome: str
    message: str = ""


@dataclass
class BundleFuzzReport:
    """Counts of :func:`fuzz_bundles`: ``outcomes`` by outcome, ``by_file`` by (file, outcome),
    and the ``bad`` cases (``unclear`` or ``traceback``) in full."""

    cases: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    by_file: Counter[tuple[str, str]] = field(default_factory=Counter)
    bad: list[CaseResult] = field(default_factory=list)

    def add(self, r: CaseResult) -> None:
        self.cases += 1
        self.outcomes[r.outcome] += 1
        self.by_file[(r.file, r.outcome)] += 1
        if r.outcome in ("unclear", "traceback"):
            self.bad.append(r)

    def summary(self) -> str:
        o = self.outcomes
        files = ", ".join(f"{f}: {sum(v for (ff, _), v in self.by_file.items() if ff == f)}" for f in FILES)
        return (
            f"{self.cases} corrupted bundles ({files}): {o['error']} clean errors, {o['loads']} loaded "
            f"and ran a frame, {o['unclear']} unclear messages, {o['traceback']} tracebacks"
        )


# -- corruptions -------------------------------------------------------------------------------
def _paths(node: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every key (sections and leaves) of a parsed JSON object."""
    out: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{prefix}{k}"
            out.append(p)
            out.extend(_paths(v, p + "."))
    return out


def _parent(meta: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *parents, key = path.split(".")
    node = meta
    for k in parents:
        node = node[k]
    return node, key


def corrupt_meta(meta: dict[str, Any], rng: np.random.Generator) -> tuple[str, str]:
    """Damage one field of ``meta`` in place; returns ``(what, field)``."""
    paths = _paths(meta)
    # mostly the fields edge reads (the top sections and their fields), sometimes any key
    core = [p for p in paths if p.split(".")[0] in CORE_FIELDS]
    path = str(rng.choice(core if core and rng.random() < 0.85 else paths))
    node, key = _parent(meta, path)
    v = node[key]
    r = rng.random()
    if r < 0.15:
        del node[key]
        return "delete", path
    if isinstance(v, list) and v and r < 0.45:
        v = list(v)
        i = int(rng.integers(len(v)))
        op = rng.integers(4)
        if op == 0:
            v.pop(i)
        elif op == 1:
            v.append(v[i])
        elif op == 2:
            v[i] = -abs(v[i]) if isinstance(v[i], (int, float)) and not isinstance(v[i], bool) else None
        else:
            v[i] = ODD_VALUES[int(rng.integers(len(ODD_VALUES)))]
        node[key] = v
        return "list-element", path
    if isinstance(v, (int, float)) and not isinstance(v, bool) and r < 0.45:
        node[key] = [v * 10**9, -v, 0, v + 1, v - 1, int(v) if np.isfinite(v) else 0][int(rng.integers(6))]
        return "number", path
    node[key] = ODD_VALUES[int(rng.integers(len(ODD_VALUES)))]
    return "value", path


def _damage_bytes(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """Truncate, flip bytes, overwrite a run with random bytes, append garbage or empty."""
    op = int(rng.integers(6))
    n = len(data)
    if op == 0 or n == 0:
        return data[: int(rng.integers(n + 1))], "truncate"
    if op == 1:
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 16))):
            b[int(rng.integers(n))] = int(rng.integers(256))
        return bytes(b), "flip-bytes"
    if op == 2:
        i = int(rng.integers(n))
        k = int(rng.integers(1, 256))
        return data[:i] + rng.integers(0, 256, k, dtype=np.uint8).tobytes() + data[i + k :], "random-run"
    if op == 3:
        return data + rng.integers(0, 256, int(rng.integers(1, 512)), dtype=np.uint8).tobytes(), "append"
    if op == 4:
        return b"", "empty"
    return rng.integers(0, 256, int(rng.integers(1, 4096)), dtype=np.uint8).tobytes(), "random-bytes"


def _labels_edit(text: str, rng: np.random.Generator) -> tuple[bytes, str]:
    lines = text.splitlines()
    op = int(rng.integers(8))
    i = int(rng.integers(len(lines))) if lines else 0
    if op == 0 and lines:
        lines.pop(i)
        what = "drop-line"
    elif op == 1 and lines:
        lines.insert(i, lines[i])
        what = "repeat-line"
    elif op == 2:
        lines.append("extra")
        what = "add-line"
    elif op == 3:
        lines = [" ", "\t", ""]
        what = "blank"
    elif op == 4 and lines:
        lines[i] = "x" * 100_000
        what = "long-line"
    elif op == 5 and lines:
        lines[i] = lines[i] + "\x00\x07"
        what = "control-chars"
    elif op == 6:
        return text.encode("utf-8") + b"\xff\xfe\xe9\n", "not-utf8"
    else:
        return "\r\n".join(lines).encode("utf-8"), "crlf"
    return ("\n".join(lines) + "\n").encode("utf-8"), what


def corrupt(bundle: Path, rng: np.random.Generator) -> tuple[str, str, str | None]:
    """Damage one file of the bundle folder ``bundle`` in place.

    Returns:
        ``(file, what, field)``: the file's name, the corruption, and for a ``model.json``
        field its dotted path (``None`` for whole-file damage).
    """
    file = str(rng.choice(FILES, p=[0.6, 0.2, 0.2]))
    p = bundle / file
    if file == "model.json":
        meta = json.loads(p.read_text(encoding="utf-8"))
        if rng.random() < 0.8:
            what, fld = corrupt_meta(meta, rng)
            p.write_text(json.dumps(meta), encoding="utf-8")  # NaN/Infinity written as JSON does
            return file, what, fld
        op = int(rng.integers(5))
        if op == 0:
            p.write_text(["[]", "null", "42", '"model"', "[" * 50_000][int(rng.integers(5))])
            return file, "wrong-json", None
        data, what = _damage_bytes(p.read_bytes(), rng)
        p.write_bytes(data)
        return file, what, None
    if file == "labels.txt":
        if rng.random() < 0.3:
            data, what = _damage_bytes(p.read_bytes(), rng)
        else:
            data, what = _labels_edit(p.read_text(encoding="utf-8"), rng)
        p.write_bytes(data)
        return file, what, None
    data, what = _damage_bytes(p.read_bytes(), rng)
    p.write_bytes(data)
    if rng.random() < 0.5:  # as a broken converter would: the sha256 matches, only the runtime can tell
        mp = bundle / "model.json"
        meta = json.loads(mp.read_text(encoding="utf-8"))
        meta["tflite_sha256"] = hashlib.sha256(data).hexdigest()
        mp.write_text(json.dumps(meta), encoding="utf-8")
        what += "+sha256"
    return file, what, None


_ONLY_BUNDLE = shutil.ignore_patterns("*.png", "*.md", "counts.txt")


# -- one case ------------------------------------------------------------------------------------
def _frame(source: str) -> Frame:
    from edge.sources import open_source

    with open_source(source, width=320, height=240, num_frames=1) as src:
        f = src.read()
    assert f is not None
    return f


def is_clear(message: str, bundle: Path, file: str, fld: str | None) -> bool:
    """One line that names the damaged file (in ``bundle``) and the field or its section."""
    if "\n" in message or str(bundle) not in message or file not in message:
        return False
    return fld is None or any(part in message for part in fld.split("."))


def run_case(
    bundle: Path, base: str, file: str, what: str, fld: str | None, frame: Frame, trackers: dict[str, Any]
) -> CaseResult:
    """Load the damaged ``bundle``, build its pipeline and run ``frame``, as ``edge-run`` does.

    ``trackers`` caches the hand trackers of ``hand-landmarks`` bundles by their ``detector`` and
    ``decision`` sections (making one loads two models): a bundle whose sections were damaged
    gets its own, built from them.
    """
    from edge.pipeline import build_pipeline
    from edge.segment.hand_finder import make_hand_tracker

    r = CaseResult(base, file, what, fld, "loads")
    try:
        b = load_bundle(bundle)
        kw: dict[str, Any] = {}
        if b.preprocessing == "hand-landmarks":
            key = json.dumps([b.meta.get("detector"), b.meta.get("decision")], sort_keys=True)
            if key not in trackers:
                trackers[key] = make_hand_tracker(b, source_kind="video", num_threads=1)
            kw["segmenter"] = trackers[key]
        pipe = build_pipeline(b, num_threads=1, **kw)
        pipe.process(frame)
    except (BundleError, ValueError, RuntimeError, OSError) as e:
        r.message = str(e)
        r.outcome = "error" if is_clear(r.message, bundle, file, fld) else "unclear"
    except Exception as e:  # noqa: BLE001 - what the fuzz looks for: anything a CLI would not catch
        r.outcome, r.message = "traceback", "".join(traceback.format_exception(e)[-3:])
    return r


def fuzz_bundles(
    cases: int, seed: int, work: Path, bases: tuple[str, ...] = tuple(BASES)
) -> BundleFuzzReport:
    """Corrupt ``cases`` copies of the shipped bundles ``bases`` and classify each outcome.

    Args:
        cases: how many corrupted bundles.
        seed: the RNG seed (the same seed gives the same cases).
        work: a scratch folder (each case's copy is removed after it ran).
        bases: :data:`edge.bundle.SHIPPED` names to corrupt (a ``hands`` case needs the fetched
            MediaPipe models, else it ends as a clean ``HandModelsMissing`` error).

    Returns:
        The counts; ``report.bad`` lists the unclear messages and tracebacks.
    """
    rng = np.random.default_rng(seed)
    frames = {b: _frame(BASES[b]) for b in bases}
    report = BundleFuzzReport()
    trackers: dict[str, Any] = {}
    for i in range(cases):
        base = bases[int(rng.integers(len(bases)))]
        d = Path(shutil.copytree(SHIPPED_DIR / SHIPPED[base], work / f"case-{i}", ignore=_ONLY_BUNDLE))
        file, what, fld = corrupt(d, rng)
        report.add(run_case(d, base, file, what, fld, frames[base], trackers))
        shutil.rmtree(d)
    return report
