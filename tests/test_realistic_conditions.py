"""The camera-like digits set's per-image conditions (benchmarks.realistic_set) and the accuracy
breakdown by condition (benchmarks.realistic_breakdown); drawn digits, no shared data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.realistic_breakdown import FIELDS, bin_label, breakdown, format_text, tabulate
from benchmarks.realistic_digits import main
from benchmarks.realistic_render import make_crop, make_frame, paper
from benchmarks.realistic_set import generate
from edge.sources.render import PAPERS, PENS
from tests.conftest import draw_digit


def _sources() -> tuple[list[np.ndarray], np.ndarray]:
    labels = np.array([d % 10 for d in range(20)])
    return [draw_digit(int(d), 28, 2 + d % 2) for d in labels], labels


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "conditions.json"
    }


def test_recording_conditions_leaves_the_images_and_the_random_stream_unchanged(tmp_path: Path) -> None:
    src = _sources()[0][3]
    for make in (
        lambda rng, info: make_crop(src, rng, info),
        lambda rng, info: make_frame([src], rng, None, info)[0],
    ):
        a, b = np.random.default_rng(11), np.random.default_rng(11)
        info: dict = {}
        np.testing.assert_array_equal(make(a, None), make(b, info))
        assert info and a.bit_generator.state == b.bit_generator.state
    generate(tmp_path / "without", 8, 6, seed=4, sources=_sources(), conditions=False)
    generate(tmp_path / "with", 8, 6, seed=4, sources=_sources())
    without, with_ = _files(tmp_path / "without"), _files(tmp_path / "with")
    assert len(without) == 8 + 6 + 1 and without == with_
    assert not (tmp_path / "without" / "conditions.json").exists()


def test_every_image_has_its_conditions(tmp_path: Path) -> None:
    generate(tmp_path, 10, 6, seed=9, sources=_sources())
    conds = json.loads((tmp_path / "conditions.json").read_text())
    truth = json.loads((tmp_path / "truth.json").read_text())
    images = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png"))
    assert sorted(conds) == images and len(images) == 16
    for name, c in conds.items():
        assert c["digit"] == int(name.split("/")[1])
        assert c["paper"] in PAPERS and c["ruling"] in ("plain", "lined", "squared") and c["pen"] in PENS
        assert (c["rule_step_px"] is None) == (c["ruling"] == "plain")
        assert c["shadow"] in ("none", "beside digit", "across digit", "over digit")
        assert ("shadow" in c["distractors"]) == (c["shadow"] != "none")
        assert 35 <= c["jpeg"] <= 95 and c["blur_px"] >= 0 and 1 <= c["noise_sd"] <= 7
        assert 0 < c["light"] < 1.3 and c["stretch"] >= 1 and 0 <= c["rotation_deg"] < 25
        assert 0 < c["stroke_rel"] < 0.5 and c["ink_px"] == c["box"][3] > 0
        if name.startswith("frames/"):
            assert c["box"] == truth[name] and c["image_px"] == [640, 480]
        else:
            assert "specks" not in c["distractors"] and c["margin"] >= 0


def test_recorded_paper_is_the_sheet_drawn() -> None:
    """The paper's name and ruling match the sheet: rule lines show as dark rows (and, squared,
    columns) on the sheet, none on plain paper; the line spacing is the recorded one."""
    seen = set()
    for seed in range(30):
        info: dict = {}
        sheet, name = paper(240, 240, np.random.default_rng(seed), info)
        assert name == f"{info['paper']}-{info['ruling']}"
        grey = sheet @ np.array([0.114, 0.587, 0.299], np.float32)
        rows, cols = grey.mean(axis=1), grey.mean(axis=0)
        dip_rows = np.median(rows) - rows.min() > 8
        dip_cols = np.median(cols) - cols.min() > 8
        assert dip_rows == (info["ruling"] != "plain")
        assert dip_cols == (info["ruling"] == "squared")
        if info["ruling"] != "plain":
            dark = np.flatnonzero(np.median(rows) - rows > 8)
            starts = dark[np.r_[True, np.diff(dark) > 1]]
            assert np.all(np.abs(np.diff(starts) - info["rule_step_px"]) <= 1)
        seen.add(info["ruling"])
    assert seen == {"plain", "lined", "squared"}


def test_bins_and_tables_count_every_image_once() -> None:
    edges = FIELDS["ink_px"]
    assert [bin_label(v, edges) for v in (15, 20, 31.9, 64, 500, None)] == [
        "<20",
        "20-32",
        "20-32",
        "64-128",
        ">=128",
        "n/a",
    ]
    rng = np.random.default_rng(0)
    results = []
    for k in range(300):
        c = {
            "ink_px": float(rng.uniform(10, 300)),
            "ruling": ["plain", "lined", "squared"][k % 3],
            "digit_per_rule": None if k % 3 == 0 else float(rng.uniform(0, 6)),
            "distractors": ["specks"] if k % 4 == 0 else [],
            "digit": k % 10,
        }
        results.append((c, bool(c["ink_px"] >= 20)))
    t = tabulate(results, min_n=5)
    assert t["n"] == 300 and t["correct"] == sum(ok for _, ok in results)
    for field, rows in t["fields"].items():
        assert sum(r["n"] for r in rows) == 300, field
        assert sum(r["correct"] for r in rows) == t["correct"], field
    assert [r["value"] for r in t["fields"]["ink_px"]] == ["<20", "20-32", "32-64", "64-128", ">=128"]
    assert "margin" not in t["fields"] and [r["value"] for r in t["fields"]["specks"]] == ["no", "yes"]
    worst = t["worst"][0]
    assert (worst["field"], worst["value"], worst["accuracy"]) == ("ink_px", "<20", 0.0)
    assert worst["n"] == sum(c["ink_px"] < 20 for c, _ in results) >= 5
    assert all(w["n"] >= 5 and w["accuracy"] > 0 for w in t["worst"][1:])
    accs = [w["accuracy"] for w in t["worst"]]
    assert accs == sorted(accs)


def test_breakdown_is_edge_evals_accuracy_by_condition(tmp_path: Path) -> None:
    from edge.cli.eval import evaluate
    from edge.cli.eval_args import parse_args

    generate(tmp_path, 12, 6, seed=2, sources=_sources())
    res = breakdown([tmp_path], "digits", min_n=3)
    for kind, mode in (("crops", "--crop"), ("frames", "--frame")):
        report = evaluate(parse_args(["--model", "digits", "--images", str(tmp_path / kind), mode]))
        t = res[kind]
        assert t["n"] == report.n and t["correct"] == report.correct
        assert t["accuracy"] == t["eval_accuracy"] == report.accuracy
        assert sum(r["n"] for r in t["fields"]["paper"]) == report.n
    text = format_text(res)
    assert "== crops" in text and "== frames" in text and "ink_px" in text
    conds = json.loads((tmp_path / "conditions.json").read_text())
    plain = sum(c["ruling"] == "plain" for k, c in conds.items() if k.startswith("crops/"))
    assert 0 < plain < 12
    main(
        [
            "breakdown",
            "--out",
            str(tmp_path),
            "--kind",
            "crops",
            "--within",
            "ruling=plain",
            "--json",
            str(tmp_path / "t.json"),
        ]
    )
    only = json.loads((tmp_path / "t.json").read_text())
    assert only["crops"]["n"] == plain and "frames" not in only
    assert [r["value"] for r in only["crops"]["fields"]["ruling"]] == ["plain"]
    with pytest.raises(ValueError, match="unknown condition"):
        breakdown([tmp_path], "digits", within=[("colour", "red")])
    with pytest.raises(ValueError, match="64-128"):
        breakdown([tmp_path], "digits", within=[("ink_px", ">=64")])
    (tmp_path / "conditions.json").unlink()
    with pytest.raises(ValueError, match="generate"):
        breakdown([tmp_path], "digits", kinds=("crops",))
