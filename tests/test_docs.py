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
    from edge.bundle import SHIPPED

    meta = json.loads((ROOT / "models" / SHIPPED["digits-int8"] / "model.json").read_text())
    agreement = f"{100 * meta['metrics']['mnist-test']['top1_agreement']:.2f}%"
    m = re.search(r"Its int8 file agrees with the Keras\s+float model on (\S+) ", README.read_text())
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


@pytest.mark.parametrize(
    ("flags", "dest", "name"),
    [
        ([], "runs", "digits-lenet16"),
        (["--ship"], "models", "digits-lenet16"),
        (["--large"], "runs", "digits-lenet"),
        (["--ship", "--large"], "models", "digits-lenet"),
        (["--student"], "runs", "digits-strided16"),
        (["--ship", "--student"], "models", "digits-strided16"),
        (["--camera"], "runs", "digits-lenet16cam"),
        (["--ship", "--camera"], "models", "digits-lenet16cam"),
        (["--camera", "--negatives", "a.npz", "--negatives", "b.npz"], "runs", "digits-lenet16camoe"),
        (["--ship", "--camera", "--negatives", "a.npz"], "models", "digits-lenet16camoe"),
        (["--student", "--camera"], "runs", "digits-strided16cam"),
        (["--ship", "--camera", "--student"], "models", "digits-strided16cam"),
        (["--wide"], "runs", "digits-widestrided16"),
        (["--wide", "--camera"], "runs", "digits-widestrided16cam"),
        (["--ship", "--camera", "--wide"], "models", "digits-widestrided16cam"),
        (["--student", "--camera", "--width", "24"], "runs", "digits-strided24cam"),
        (["--wide", "--width", "8"], "runs", "digits-widestrided8"),
    ],
)
def test_rebuild_digits_writes_to_runs_unless_shipping(
    tmp_path: Path, flags: list[str], dest: str, name: str
) -> None:
    """models/rebuild-digits.sh never overwrites the shipped bundles without --ship (the tools
    are stubs that log their arguments; the script runs in a copy of the repo layout)."""
    import os
    import shutil
    import stat
    import subprocess

    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    shutil.copy(ROOT / "models" / "rebuild-digits.sh", repo / "models")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.txt"
    for tool in ("edge-train", "edge-convert", "edge-eval", "edge-bench", "python-stub"):
        stub = bin_dir / tool
        stub.write_text(f'#!/usr/bin/env bash\necho "{tool} $*" >> "{log}"\n')
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHON": "python-stub"}
    env.pop("EDGE_DATA_DIR", None)
    r = subprocess.run(
        ["bash", str(repo / "models" / "rebuild-digits.sh"), *flags, "mnist-dir"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines()
    trains = [c for c in calls if c.startswith("edge-train lenet ")]
    assert f"--out runs/{name} " in trains[-1] + " "
    assert all("--data-dir mnist-dir" in c for c in trains)
    assert ("--variant strided " in trains[0]) == ("--student" in flags)
    assert ("--variant wide-strided " in trains[0]) == ("--wide" in flags)
    if "--width" in flags:  # the student's width, in both stages
        width = flags[flags.index("--width") + 1]
        assert all(f" --width {width} " in c for c in trains)
    outs = [c.split("--out ")[1].split()[0] for c in calls if c.startswith("edge-convert")]
    assert outs == [f"{dest}/{name}-int8", f"{dest}/{name}-float32"]
    evals = [c for c in calls if c.startswith("edge-eval")]
    assert evals == [c for c in evals if c.startswith(f"edge-eval --model {dest}/{name}-int8 ")] != []
    renders = [c for c in calls if c.startswith("python-stub -m train.camera_digits ")]
    if "--camera" in flags:  # the camera set is rendered once (into runs/) and both stages read it
        (render,) = renders
        cam = render.split("--out ")[1].split()[0]
        assert cam.startswith("runs/") and "--data-dir mnist-dir" in render and "--reuse" in render
        assert all(f"--dataset mnist+camera --camera-data {cam} " in c for c in trains)
    else:
        assert renders == [] and not any("camera" in c for c in trains)
    negs = [f"--negatives {flags[i + 1]}" for i, f in enumerate(flags) if f == "--negatives"]
    for c in trains:  # Outlier Exposure: every negatives file in both stages, none without the flag
        assert c.count("--negatives ") == len(negs) and all(f"{n} " in c + " " for n in negs)


def readme_block_after(heading_text: str) -> list[list[str]]:
    """The commands of the first ```bash block after ``heading_text`` in the README, as argv
    lists (continuation lines joined, comments dropped, shell ``for`` loops unrolled once
    with ``$d`` = 0)."""
    import shlex

    text = README.read_text()
    start = text.index(heading_text)
    block = text[text.index("```bash\n", start) + 8 :]
    block = block[: block.index("```")]
    block = block.replace("\\\n", " ")
    cmds = []
    for line in block.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("for ", "done")):
            continue
        cmds.append(shlex.split(line.replace("$d", "0")))
    return cmds


TOOL_MODULES = {
    "edge-train": "train.cli",
    "edge-convert": "convert.cli",
    "edge-eval": "edge.cli.eval",
    "edge-capture": "edge.cli.capture",
}


def parse_as_the_tool(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> object:
    """Parse a README command with the tool's own parser (nothing is run)."""
    import argparse
    import importlib

    if argv[0] == "python":
        module, args = argv[2], argv[3:]
    else:
        module, args = TOOL_MODULES[argv[0]], argv[1:]
    caught: list[argparse.ArgumentParser] = []
    real = argparse.ArgumentParser.parse_known_args

    class Caught(Exception):
        pass

    def catch(self: argparse.ArgumentParser, *a: object, **kw: object) -> None:
        caught.append(self)
        raise Caught

    with monkeypatch.context() as m:
        m.setattr(argparse.ArgumentParser, "parse_known_args", catch)
        with pytest.raises(Caught):
            importlib.import_module(module).main(args)
    ns, rest = real(caught[0], args)
    assert not rest, f"{argv}: unknown arguments {rest}"
    return ns


def test_personal_retrain_walkthrough_parses_and_its_paths_line_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's rehearsal of the whole loop: every command parses, each step reads what
    an earlier one wrote, and the session the text says is held out is the one the code holds out."""
    from train.extra_data import ExtraSample, split_extra

    cmds = readme_block_after("The whole loop, rehearsed")
    assert cmds[0][:2] == ["models/rebuild-digits.sh", "--large"]  # the base model is built by a step shown
    parsed = [(c, parse_as_the_tool(c, monkeypatch)) for c in cmds[1:]]
    train = next(ns for c, ns in parsed if c[:2] == ["edge-train", "lenet"])
    assert train.init_from == "runs/digits-lenet"  # what rebuild-digits.sh leaves
    assert "run=runs/digits-lenet\n" in (ROOT / "models" / "rebuild-digits.sh").read_text()
    captures = [ns for c, ns in parsed if c[0] == "edge-capture"]
    assert {ns.out for ns in captures} == set(train.extra)
    convert = next(ns for c, ns in parsed if c[0] == "edge-convert")
    assert str(convert.model) == f"{train.out_dir}/model.keras"
    export = next(c for c, ns in parsed if c[:3] == ["python", "-m", "train.extra_data"])
    evaluate = next(ns for c, ns in parsed if c[0] == "edge-eval")
    assert export[4] == train.out_dir and evaluate.images == export[export.index("--out") + 1]
    assert str(convert.out) in evaluate.model
    # the held-out session named in the text
    sessions = [ns.session for ns in captures]
    samples = [
        ExtraSample(Path(f"{s}__{i}.png"), str(i % 10), "mine", s) for s in sessions for i in range(200)
    ]
    _, held, how = split_extra(samples, train.extra_val_fraction, train.seed)
    (name,) = {s.session for s in held}
    text = README.read_text()
    assert how == "session" and f"the `{name}` session" in text
    assert f"the `{({*sessions} - {name}).pop()}` session" not in text


def test_retrain_section_commands_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    cmds = readme_block_after("## Retrain on your own samples")
    assert cmds[0][0] == "models/rebuild-digits.sh"
    for c in cmds:
        if c[0] in TOOL_MODULES:
            parse_as_the_tool(c, monkeypatch)
        else:
            assert (ROOT / c[0]).is_file(), c
