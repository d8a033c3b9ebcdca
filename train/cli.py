"""``edge-train``: train the project's models.

Usage::

    edge-train lenet [--variant modern|lenet5] [--data-dir DIR] [--epochs N] ...
    edge-train lenet --config my.json --epochs 5      # file sets defaults, flags override

Outputs go to ``--out`` (see :mod:`train.lenet`); ``edge-convert OUT/model.keras``
then makes a TFLite bundle of the result.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import fields
from pathlib import Path

from edge.datasets import DatasetError
from train.augment import AugmentConfig
from train.lenet import STRATEGIES, LenetConfig, train_lenet

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="edge-train", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub = p.add_subparsers(dest="job", required=True)
    d = LenetConfig()
    le = sub.add_parser("lenet", help="LeNet on MNIST digits",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    le.add_argument("--config", type=Path, help="JSON file of LenetConfig fields (defaults)")
    le.add_argument("--variant", choices=("modern", "lenet5"), default=d.variant)
    le.add_argument("--out", dest="out_dir", default=d.out_dir, help="output folder")
    le.add_argument("--data-dir", default=d.data_dir,
                    help="MNIST folder (IDX .gz files, mnist.npz or Kaggle CSV); default: "
                         "$EDGE_DATA_DIR, then the Keras cache ~/.keras/datasets/mnist.npz")
    le.add_argument("--download", action="store_true", help="download mnist.npz if not found")
    le.add_argument("--epochs", type=int, default=d.epochs)
    le.add_argument("--batch-size", type=int, default=d.batch_size)
    le.add_argument("--learning-rate", type=float, default=d.learning_rate)
    le.add_argument("--validation-split", type=float, default=d.validation_split,
                    help="held-out fraction for early stopping; 0 = train on all 60,000")
    le.add_argument("--patience", type=int, default=d.patience)
    le.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, help="epochs")
    le.add_argument("--no-augment", action="store_true", help="switch augmentation off")
    le.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    le.add_argument("--dropout", type=float, default=d.dropout)
    le.add_argument("--strategy", choices=STRATEGIES, default=d.strategy,
                    help="tf.distribute strategy: mirrored = all local GPUs, multi-worker = TF_CONFIG")
    le.add_argument("--seed", type=int, default=d.seed)
    le.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    return p


def _resolve(args: argparse.Namespace, parser: argparse.ArgumentParser, argv: list[str]) -> LenetConfig:
    """Config file values as defaults, then every flag given on the command line on top."""
    base = LenetConfig()
    if args.config is not None:
        try:
            base = LenetConfig.from_json(json.loads(args.config.read_text()))
        except (OSError, json.JSONDecodeError, TypeError) as e:
            raise ValueError(f"cannot read config {args.config}: {e}") from e
    # Parse again with the file's values as defaults, so explicit flags win.
    sub = parser._subparsers._group_actions[0].choices["lenet"]  # type: ignore[union-attr]
    sub.set_defaults(**{f.name: getattr(base, f.name) for f in fields(LenetConfig)
                        if f.name != "augment"})
    args = parser.parse_args(argv)
    cfg = LenetConfig(**{f.name: getattr(args, f.name) for f in fields(LenetConfig)
                         if f.name != "augment"})
    cfg.augment = None if args.no_augment else (base.augment or AugmentConfig())
    return cfg


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``edge-train``; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.job == "lenet":
            cfg = _resolve(args, parser, argv)
            metrics = train_lenet(cfg, argv)
            print(json.dumps(metrics, indent=2))
            print(f"model written to {Path(cfg.out_dir) / 'model.keras'}; next: "
                  f"edge-convert {Path(cfg.out_dir) / 'model.keras'} --quant int8 --dataset mnist")
    except (DatasetError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume from the last epoch",
              file=sys.stderr)
        return 130
    return 0
