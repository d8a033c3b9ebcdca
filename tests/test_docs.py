"""Honest documents: the README's figures for the shipped bundles are their model cards', and
shipped files hold no machine paths (both checked here so they cannot drift again)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def shipped_models_table() -> list[list[str]]:
    """The rows (cells) of the README's "Shipped models" table, header left out."""
    text = README.read_text()
    section = text.split("## Shipped models", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `models/")]
    assert rows, "no bundle rows in the README's Shipped models table"
    return [[c.strip() for c in row.strip("|").split("|")] for row in rows]


def metric_values(meta: dict) -> set[str]:
    """Every accuracy-like fraction in a model card's metrics, as the README writes it (99.70%)."""
    found: set[str] = set()

    def walk(v: object) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if isinstance(x, float) and 0.0 <= x <= 1.0 and ("accuracy" in k or "agreement" in k):
                    found.add(f"{100 * x:.2f}%")
                walk(x)

    walk(meta.get("metrics", {}))
    walk(meta.get("min_score_calibration", {}))
    return found


def test_shipped_models_table_agrees_with_the_model_cards() -> None:
    checked = 0
    for bundle_cell, what, accuracy, size in shipped_models_table():
        folder = ROOT / re.match(r"`(models/[\w.-]+)`", bundle_cell).group(1)  # type: ignore[union-attr]
        meta = json.loads((folder / "model.json").read_text())
        known = metric_values(meta)
        for pct in re.findall(r"\d+\.\d\d%", accuracy):
            assert pct in known, f"{folder.name}: README says {pct}, model.json has {sorted(known)}"
            checked += 1
        kib = meta["size_bytes"] / 1024
        m = re.fullmatch(r"(about )?([\d.]+) KiB", size)
        assert m, f"{folder.name}: size cell {size!r}"
        tolerance = 0.1 * kib if m.group(1) else 0.05
        assert abs(float(m.group(2)) - kib) <= tolerance, f"{folder.name}: README {size}, file {kib:.1f} KiB"
        score = re.search(r"`min_score` ([\d.]+)", what)
        if score:
            assert float(score.group(1)) == meta["min_score"], folder.name
    assert checked >= 3


def test_int8_agreement_sentence_agrees_with_the_model_card() -> None:
    meta = json.loads((ROOT / "models/digits-lenet-int8/model.json").read_text())
    agreement = f"{100 * meta['metrics']['mnist-test']['top1_agreement']:.2f}%"
    m = re.search(r"The digits int8 file agrees with the Keras float model on (\S+) ", README.read_text())
    assert m and m.group(1) == agreement


MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|home|tmp|Users|mnt)/")


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(ROOT).as_posix()
        for pattern in ("models/*/model.json", "models/*/*.md", "models/*/*.txt", "benchmarks/reference/*")
        for p in ROOT.glob(pattern)
    ),
)
def test_shipped_files_hold_no_machine_paths(path: str) -> None:
    text = (ROOT / path).read_text(errors="replace")
    hits = sorted({m.group(0) for m in MACHINE_PATH.finditer(text)})
    assert not hits, f"{path} holds machine paths starting {hits}; record paths relative to the repo"
