"""``edge-train``: train the project's models.

Usage::

    edge-train lenet [--variant modern|strided|lenet5] [--data-dir DIR] [--epochs N] ...
    edge-train lenet --variant strided --width 16 --teacher models/digits-lenet16-float32  # distil
    edge-train lenet --config my.json --epochs 5      # file sets defaults, flags override
    edge-train lenet --dataset mnist+svhn --svhn-dir ~/svhn
    edge-train lenet --init-from runs/digits-lenet --extra my_digits/ --extra-ratio 0.25 \
        --learning-rate 3e-4 --epochs 3 --out runs/digits-mine
    edge-train hands --arch lenet|vgg16 [--data DIR ...] [--input-size 64] [--extra DIR] ...
    edge-train landmarks [--extract] [--cache runs/landmark-cache] [--quant int8] [--no-loso]
    edge-train sweep --grid epochs=2,3 dropout=0.1,0.3 bn=on,off --subset 5000 --out runs/sweep

Outputs go to ``--out`` (see :mod:`train.lenet`, :mod:`train.hands`,
:mod:`train.sweep`); ``edge-convert OUT/model.keras`` then makes a TFLite bundle of
the result. The sub-commands and flags are :mod:`train.cli_args`.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from convert.requires import train_extra_error
from edge.datasets import DatasetError
from train.augment import AugmentConfig
from train.cli_args import build_parser
from train.hand_augment import HandAugmentConfig
from train.hands import HandsConfig, train_hands
from train.lenet import train_lenet
from train.lenet_config import LenetConfig

log = logging.getLogger(__name__)


def _resolve(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    argv: list[str],
    cls: type[Any],
    aug_cls: type[Any],
) -> Any:
    """Config file values as defaults, then every flag given on the command line on top."""
    base = cls()
    if args.config is not None:
        try:
            base = cls.from_json(json.loads(args.config.read_text()))
        except (OSError, json.JSONDecodeError, TypeError) as e:
            raise ValueError(f"cannot read config {args.config}: {e}") from e
    # Parse again with the file's values as defaults, so explicit flags win.
    sub = parser._subparsers._group_actions[0].choices[args.job]  # type: ignore[union-attr]
    names = [f.name for f in fields(cls) if f.name != "augment"]
    # List options use action="append": give them None, else argparse appends to the default.
    lists = {n for n in names if isinstance(getattr(base, n), list)}
    sub.set_defaults(**{n: None if n in lists else getattr(base, n) for n in names})
    args = parser.parse_args(argv)
    cfg = cls(
        **{
            n: getattr(base, n) if n in lists and getattr(args, n) is None else getattr(args, n)
            for n in names
        }
    )
    cfg.augment = None if args.no_augment else (base.augment or aug_cls())
    return cfg


def _sweep(args: argparse.Namespace, argv: list[str]) -> int:
    from dataclasses import replace

    from train.sweep import run_sweep
    from train.sweep_settings import grid_settings, load_settings, parse_assignments

    base = LenetConfig()
    if args.config is not None:
        try:
            base = LenetConfig.from_json(json.loads(args.config.read_text()))
        except (OSError, json.JSONDecodeError, TypeError) as e:
            raise ValueError(f"cannot read config {args.config}: {e}") from e
    fixed = parse_assignments(args.fixed)
    many = [k for k, v in fixed.items() if len(v) != 1]
    if many:
        raise ValueError(f"--set takes one value per key; sweep {many} with --grid")
    base = replace(base, **{k: v[0] for k, v in fixed.items()})
    if args.data_dir is not None:
        base.data_dir = args.data_dir
    if args.subset is not None:
        base.limit = args.subset
    grid = grid_settings(parse_assignments(args.grid))
    listed = load_settings(args.settings) if args.settings is not None else [{}]
    settings = [{**s, **g} for s in listed for g in grid]
    if settings == [{}]:
        raise ValueError("nothing to sweep: pass --grid KEY=V1,V2 ... and/or --settings FILE.json")
    rows = run_sweep(
        base, settings, args.out_dir, test_limit=args.test_limit, rep_samples=args.rep_samples, argv=argv
    )
    out = Path(args.out_dir)
    print((out / "results.md").read_text(), end="")
    print(
        f"{len(rows)} runs ({sum(r.status == 'skipped' for r in rows)} finished earlier, skipped); "
        f"table: {out / 'results.md'}, {out / 'results.csv'}; plots: {out}/*.png"
    )
    return 0


def convert_hint(cfg: LenetConfig | HandsConfig) -> str:
    """The ``edge-convert`` command that makes an int8 bundle of a finished run, runnable as printed.

    Args:
        cfg: the run's resolved config (its ``out_dir``, and for digits its MNIST ``data_dir``).

    Returns:
        A shell command line (paths quoted where needed).
    """
    out = Path(cfg.out_dir)
    cmd = ["edge-convert", str(out / "model.keras"), "--quant", "int8"]
    if isinstance(cfg, HandsConfig):
        cmd += ["--task", "hands", "--rep-data", str(out / "calibration.npy")]
        cmd += ["--verify-data", str(out / "val.npz")]
    else:
        cmd += ["--dataset", "mnist"]
        if cfg.data_dir:
            cmd += ["--data-dir", str(cfg.data_dir)]
    return shlex.join(cmd)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``edge-train``; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    missing = train_extra_error("edge-train")
    if missing is not None:  # before any folder is made
        print(f"error: {missing}", file=sys.stderr)
        return 2
    try:
        if args.job == "lenet":
            cfg = _resolve(args, parser, argv, LenetConfig, AugmentConfig)
            metrics = train_lenet(cfg, argv)
            print(json.dumps(metrics, indent=2))
            print(f"model written to {Path(cfg.out_dir) / 'model.keras'}; next: {convert_hint(cfg)}")
        elif args.job == "sweep":
            return _sweep(args, argv)
        elif args.job == "landmarks":
            from train.landmark_job import LandmarksConfig, train_landmarks

            lcfg = LandmarksConfig(**{k: v for k, v in vars(args).items() if k != "job"})
            lcfg.bundle = lcfg.bundle or None
            print(json.dumps(train_landmarks(lcfg, argv), indent=1))
        elif args.job == "hands":
            hcfg = _resolve(args, parser, argv, HandsConfig, HandAugmentConfig)
            if isinstance(hcfg.weights, str) and hcfg.weights.lower() == "none":
                hcfg.weights = None
            metrics = train_hands(hcfg, argv)
            print(json.dumps(metrics, indent=2))
            print(f"model written to {Path(hcfg.out_dir) / 'model.keras'}; next: {convert_hint(hcfg)}")
    except (DatasetError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume from the last epoch", file=sys.stderr)
        return 130
    return 0
