"""``edge-models``: fetch and list the pretrained models the device side uses.

Examples::

    edge-models fetch hands                      # pip download mediapipe==0.10.21 (~36 MB), extract, check
    edge-models fetch hands --from mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl
    edge-models list
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from edge import pretrained


@dataclass
class ModelsConfig:
    """Resolved ``edge-models`` arguments."""

    command: str = "list"
    what: str = "hands"
    source: Path | None = None
    dest: Path | None = None
    force: bool = False


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edge-models",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Fetch the pretrained hand models (MediaPipe palm detector and hand landmarks, "
        f"Apache-2.0) from the PyPI wheel mediapipe=={pretrained.MEDIAPIPE_VERSION}, check their "
        "pinned sha256 and write model bundles; or list what is there.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser(
        "fetch", help="fetch and check models", formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    f.add_argument("what", choices=["hands"], help="which models")
    f.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        help="an already downloaded mediapipe wheel (or a folder of the .tflite files) "
        "instead of pip download",
    )
    f.add_argument(
        "--dest",
        type=Path,
        default=None,
        help="models folder (default: $EDGE_MODEL_DIR or ~/.cache/edge-recogniser/models)",
    )
    f.add_argument("--force", action="store_true", help="rewrite bundles that are already there")
    s = sub.add_parser("list", help="list the pinned models and whether they are fetched")
    s.add_argument("--dest", type=Path, default=None, help="models folder")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``edge-models``; returns the exit code (0 ok, 1 failure)."""
    args = build_parser().parse_args(argv)
    cfg = ModelsConfig(
        command=args.command,
        what=getattr(args, "what", "hands"),
        source=getattr(args, "source", None),
        dest=args.dest,
        force=getattr(args, "force", False),
    )
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if cfg.command == "list":
        dest = cfg.dest or pretrained.models_dir()
        print(f"models folder: {dest}")
        missing = 0
        for name, ok, _path in pretrained.status(cfg.dest):
            print(f"  {'ok     ' if ok else 'missing'}  {name}")
            missing += not ok
        if missing:
            print(f"run `{pretrained.FETCH_COMMAND}` to fetch the missing models")
        return 0
    try:
        paths = pretrained.fetch_hands(cfg.source, cfg.dest, force=cfg.force)
    except pretrained.FetchError as e:
        print(f"edge-models: {e}", file=sys.stderr)
        return 1
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
