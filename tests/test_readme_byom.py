"""The README's "Bring your own model" walkthrough runs as written (issue 14).

The commands of the section's first ``bash`` block are run one by one in an empty folder,
as a user of a fresh clone would with the venv activated: console scripts are run as their
modules (``edge-convert`` is ``python -m convert`` ...) with this checkout first on the
path. Lines marked ``(needs a camera)`` are left out.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = {
    "edge-convert": ["-m", "convert"],
    "edge-run": ["-m", "edge.cli.run"],
    "edge-eval": ["-m", "edge.cli.eval"],
    "edge-bench": ["-m", "benchmarks"],
    "edge-models": ["-m", "edge.cli.models"],
    "python": [],
}
CAMERA = "(needs a camera)"


def walkthrough_commands(readme: str) -> list[list[str]]:
    """argv lists of the section's first ``bash`` block (continuations joined, camera lines out)."""
    section = readme.split("\n## Bring your own model\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the Bring your own model section has no ```bash block"
    text = block.group(1).replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or CAMERA in line:
            continue
        argv = shlex.split(line, comments=True)
        assert argv[0] in SCRIPTS, f"the walkthrough runs {argv[0]!r}; teach this test how"
        out.append([sys.executable, *SCRIPTS[argv[0]], *argv[1:]])
    return out


def test_walkthrough_parses() -> None:
    cmds = walkthrough_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert [c[1:3] for c in cmds][:2] == [["-m", "train.tiny_classifier"], ["-m", "convert"]]
    assert any("edge.cli.run" in c for c in cmds)


def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    for argv in walkthrough_commands((ROOT / "README.md").read_text(encoding="utf-8")):
        r = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"{' '.join(argv[1:])} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
    meta = json.loads((tmp_path / "models" / "my-model" / "model.json").read_text())
    assert (meta["task"], meta["preprocessing"], meta["input"]["value_range"]) == (
        "classify",
        "resize",
        [0.0, 255.0],
    )
    records = [json.loads(s) for s in (tmp_path / "byom" / "rings.jsonl").read_text().splitlines()]
    assert records and all(len(r["detections"]) == 1 and "top_k" in r["detections"][0] for r in records)
