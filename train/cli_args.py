"""``edge-train``: train the project's models.

This module is the command line (its first paragraph is the ``--help`` description): the
sub-commands (lenet, hands, landmarks, sweep) and their flags, with each config
dataclass's defaults. :mod:`train.cli` resolves a ``--config`` file under the flags
and runs the job.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from edge.cli.common import HelpFormatter
from train.hands import ARCHS, HandsConfig
from train.lenet_config import STRATEGIES, LenetConfig
from train.svhn import SVHN_FRAMINGS, SVHN_URL


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edge-train",
        description=__doc__.split("\n\n")[0],
        formatter_class=HelpFormatter,
    )
    sub = p.add_subparsers(dest="job", required=True)
    d = LenetConfig()
    le = sub.add_parser("lenet", help="LeNet on MNIST digits", formatter_class=HelpFormatter)
    le.add_argument("--config", type=Path, help="JSON file of LenetConfig fields (defaults)")
    le.add_argument(
        "--variant",
        choices=("modern", "strided", "wide-strided", "lenet5"),
        default=d.variant,
        help="modern: batch norm, dropout, 141k parameters at width 32; strided: modern with a stride-2 "
        "first convolution instead of its 28x28 stage (about 0.6x the multiply-adds, half the int8 time); "
        "wide-strided: strided with a 5x5 stride-2 first convolution of 2*width filters; "
        "lenet5: the classic LeNet-5",
    )
    le.add_argument("--out", dest="out_dir", default=d.out_dir, help="output folder")
    le.add_argument(
        "--data-dir",
        default=d.data_dir,
        help="MNIST folder (IDX .gz files, mnist.npz or Kaggle CSV); default: "
        "$EDGE_DATA_DIR, then the Keras cache ~/.keras/datasets/mnist.npz",
    )
    le.add_argument("--download", action="store_true", help="download mnist.npz if not found")
    le.add_argument("--epochs", type=int, default=d.epochs, help="training epochs (at most)")
    le.add_argument("--batch-size", type=int, default=d.batch_size, help="images per training step")
    le.add_argument("--learning-rate", type=float, default=d.learning_rate, help="Adam learning rate")
    le.add_argument(
        "--validation-split",
        type=float,
        default=d.validation_split,
        help="held-out fraction for early stopping; 0 = train on all 60,000",
    )
    le.add_argument(
        "--patience",
        type=int,
        default=d.patience,
        help="epochs without a validation-accuracy gain before early stopping",
    )
    le.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, help="epochs")
    le.add_argument("--no-augment", action="store_true", help="switch augmentation off")
    le.add_argument(
        "--label-smoothing", type=float, default=d.label_smoothing, help="cross-entropy label smoothing"
    )
    le.add_argument("--dropout", type=float, default=d.dropout, help="dropout rate before the classifier")
    le.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default=d.strategy,
        help="tf.distribute strategy: mirrored = all local GPUs, multi-worker = TF_CONFIG",
    )
    le.add_argument("--seed", type=int, default=d.seed, help="seeds NumPy, TensorFlow and Keras")
    le.add_argument(
        "--limit", type=int, default=None, help="use only the first N training images (of each dataset)"
    )
    le.add_argument("--width", type=int, default=d.width, help="filters of the first modern stage")
    le.add_argument(
        "--batch-norm",
        action=argparse.BooleanOptionalAction,
        default=d.batch_norm,
        help="batch normalisation in the modern variant (--no-batch-norm removes it)",
    )
    g = le.add_argument_group("distillation (Hinton et al. 2015, see train.distil)")
    g.add_argument(
        "--teacher",
        default=d.teacher,
        help="digits bundle (folder or shipped name) whose soft targets the model also learns, "
        "e.g. models/digits-lenet16-float32",
    )
    g.add_argument(
        "--distil-alpha", type=float, default=d.distil_alpha, help="weight of the teacher's targets, 0-1"
    )
    g.add_argument(
        "--distil-temperature", type=float, default=d.distil_temperature, help="softening temperature T"
    )
    g = le.add_argument_group("more digit data")
    g.add_argument(
        "--dataset",
        default=d.dataset,
        help="digit datasets joined with '+': mnist, svhn, recoloured, camera (e.g. mnist+svhn)",
    )
    g.add_argument(
        "--svhn-dir",
        default=d.svhn_dir,
        help=f"folder with SVHN train_32x32.mat/test_32x32.mat (from {SVHN_URL}); "
        "default $EDGE_DATA_DIR/svhn",
    )
    g.add_argument(
        "--svhn-framing",
        choices=SVHN_FRAMINGS,
        default=d.svhn_framing,
        help="box: the crop resized into MNIST's 20x20 box; normalise: the device's "
        "MNIST normalisation finds the digit",
    )
    g.add_argument(
        "--recoloured-n",
        type=int,
        default=d.recoloured_n,
        help="recoloured MNIST training digits rendered (dataset 'recoloured')",
    )
    g.add_argument(
        "--camera-data",
        default=d.camera_data,
        help="the .npz of dataset 'camera' (render it with python -m train.camera_digits --out FILE)",
    )
    g.add_argument(
        "--negatives",
        action="append",
        metavar="NPZ",
        help="non-digit model inputs trained towards the uniform distribution (Outlier Exposure; "
        "write them with python -m train.digit_negatives); repeat for several files",
    )
    g.add_argument(
        "--negatives-weight",
        type=float,
        default=d.negatives_weight,
        help="weight of a negative's loss relative to a digit's (Outlier Exposure's lambda)",
    )
    own_sample_flags(le, d)

    h = HandsConfig(data=[])
    ha = sub.add_parser(
        "hands",
        help="rock/paper/scissors(/none) hand gestures: LeNet or VGG16",
        formatter_class=HelpFormatter,
    )
    ha.add_argument("--config", type=Path, help="JSON file of HandsConfig fields (defaults)")
    ha.add_argument(
        "--arch", choices=ARCHS, default=h.arch, help="lenet: from scratch; vgg16: transfer learning"
    )
    ha.add_argument(
        "--data",
        action="append",
        default=None,
        metavar="DIR",
        help="folder of class folders (rock/ paper/ scissors/ [none/]) or a folder of "
        "such folders; repeatable; default: $EDGE_DATA_DIR/rps or ../shared/data/rps",
    )
    ha.add_argument("--out", dest="out_dir", default=h.out_dir, help="output folder")
    ha.add_argument("--input-size", type=int, default=h.input_size, help="model input side in px")
    ha.add_argument(
        "--work-size",
        type=int,
        default=h.work_size,
        help="side photos are kept at before augmentation (default 1.5 x input)",
    )
    ha.add_argument(
        "--exclude-source",
        dest="exclude_sources",
        action="append",
        default=None,
        metavar="NAME",
        help="leave a source folder out (repeatable)",
    )
    ha.add_argument(
        "--holdout-source",
        dest="holdout_sources",
        action="append",
        default=None,
        metavar="NAME",
        help="hold a whole source out as the test split (repeatable)",
    )
    ha.add_argument(
        "--backgrounds",
        action="append",
        default=None,
        metavar="DIR",
        help="folder of photos of empty scenes to paste green-screen hands onto",
    )
    ha.add_argument(
        "--val-fraction",
        type=float,
        default=h.val_fraction,
        help="share of each source's photos, whole people/sessions, for validation",
    )
    ha.add_argument(
        "--synthetic-none",
        type=float,
        default=h.synthetic_none,
        help="share of each batch that is a background without a hand (class none)",
    )
    ha.add_argument(
        "--hard-negatives",
        action=argparse.BooleanOptionalAction,
        default=h.hard_negatives,
        help="add the hand segmenter's proposals in none photos as none samples",
    )
    ha.add_argument("--width", type=int, default=h.width, help="LeNet filters of the first stage")
    ha.add_argument("--epochs", type=int, default=h.epochs, help="training epochs (at most)")
    ha.add_argument("--batch-size", type=int, default=h.batch_size, help="images per training step")
    ha.add_argument("--learning-rate", type=float, default=h.learning_rate, help="Adam learning rate")
    ha.add_argument("--patience", type=int, default=h.patience, help="early stopping; 0 = off")
    ha.add_argument("--checkpoint-every", type=int, default=h.checkpoint_every, help="epochs")
    ha.add_argument(
        "--label-smoothing", type=float, default=h.label_smoothing, help="cross-entropy label smoothing"
    )
    ha.add_argument("--dropout", type=float, default=h.dropout, help="dropout rate before the classifier")
    ha.add_argument("--no-augment", action="store_true", help="switch augmentation off")
    ha.add_argument(
        "--weights",
        default=h.weights,
        help="VGG16 base: 'imagenet' (Keras download), a local .h5/.weights.h5 file, or 'none'",
    )
    ha.add_argument("--head-epochs", type=int, default=h.head_epochs, help="VGG16 head on cached features")
    ha.add_argument(
        "--finetune-epochs",
        type=int,
        default=h.finetune_epochs,
        help="VGG16 block5 fine-tuning epochs (0 = head only)",
    )
    ha.add_argument(
        "--finetune-lr", type=float, default=h.finetune_lr, help="VGG16 block5 fine-tuning learning rate"
    )
    ha.add_argument(
        "--augment-copies",
        type=int,
        default=h.augment_copies,
        help="VGG16: augmented copies of the training set in the feature cache",
    )
    ha.add_argument("--seed", type=int, default=h.seed, help="seeds NumPy, TensorFlow, Keras and the split")
    ha.add_argument("--limit", type=int, default=None, help="use only N training photos")
    own_sample_flags(ha, h)

    landmarks_parser(sub)

    sw = sub.add_parser(
        "sweep",
        help="train a grid or list of LeNet settings, convert each to int8, "
        "compare them in a table and plots",
        formatter_class=HelpFormatter,
        description="Each run: OUT/<run>/ with config.json, curves.png, metrics.json, "
        "int8/ (bundle) and int8-metrics.json; then OUT/results.md, "
        "results.csv and plots. A re-run skips finished runs.",
    )
    sw.add_argument(
        "--grid",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=V1,V2",
        help="LeNet config fields and their values; every combination is run "
        "(e.g. epochs=2,3 dropout=0.1,0.3 bn=on,off lr=1e-3,2e-3 variant=modern,lenet5)",
    )
    sw.add_argument(
        "--settings",
        type=Path,
        default=None,
        metavar="FILE.json",
        help='list of settings, e.g. [{"variant": "lenet5"}, {"dropout": 0.1}] '
        "(combined with --grid when both are given)",
    )
    sw.add_argument("--config", type=Path, help="JSON file of LenetConfig fields: the base of every run")
    sw.add_argument(
        "--set",
        dest="fixed",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="base values for every run (e.g. validation_split=0 batch_size=256)",
    )
    sw.add_argument("--out", dest="out_dir", default="runs/sweep", help="sweep folder")
    sw.add_argument("--data-dir", default=None, help="MNIST folder (as for edge-train lenet)")
    sw.add_argument(
        "--subset",
        "--limit",
        dest="subset",
        type=int,
        default=None,
        help="train on the first N training images only (quick runs)",
    )
    sw.add_argument(
        "--test-limit",
        type=int,
        default=None,
        help="score the int8 files on the first N MNIST test images only (quick runs)",
    )
    sw.add_argument("--rep-samples", type=int, default=300, help="int8 calibration samples (MNIST train)")
    return p


def landmarks_parser(sub: Any) -> None:
    from train.landmark_job import LandmarksConfig

    d = LandmarksConfig()
    lm = sub.add_parser(
        "landmarks",
        help="rock/paper/scissors/none from MediaPipe hand landmarks: "
        "cached extraction, leave-one-source-out, int8 bundle",
        formatter_class=HelpFormatter,
    )
    lm.add_argument("--cache", default=d.cache, help="landmark cache folder (train.landmark_data)")
    lm.add_argument("--data", default=d.data, help="gesture collection <source>/<class>/*.jpg")
    lm.add_argument("--extract", action="store_true", help="build the missing cache files first")
    lm.add_argument(
        "--variant",
        choices=("full", "lite"),
        default=d.variant,
        help="MediaPipe palm/landmark model variant for --extract",
    )
    lm.add_argument("--out", dest="out_dir", default=d.out_dir, help="output folder")
    lm.add_argument("--bundle", default=d.bundle, help="where the chosen bundle is copied ('' = nowhere)")
    lm.add_argument(
        "--loso",
        action=argparse.BooleanOptionalAction,
        default=d.loso,
        help="evaluate leave-one-source-out (--no-loso reuses OUT/loso.json if present)",
    )
    lm.add_argument(
        "--kinds",
        nargs="+",
        default=d.kinds,
        choices=("mlp", "embedding"),
        help="classifiers evaluated leave-one-source-out",
    )
    lm.add_argument("--quant", choices=("int8", "float32"), default=d.quant, help="bundle copied to --bundle")
    lm.add_argument("--epochs", type=int, default=d.epochs, help="maximum epochs (early stopping)")
    lm.add_argument(
        "--presence-redraw",
        type=float,
        default=d.presence_redraw,
        help="share of augmented gestures whose hand presence is redrawn in [0, 1]",
    )
    lm.add_argument(
        "--augment",
        action="store_true",
        help="also train on camera-degraded copies of the photos (aug-<source>.npz; built by --extract)",
    )
    lm.add_argument(
        "--negatives",
        action="store_true",
        help="also train on tile-shuffled photos labelled none (neg-<source>.npz; built by --extract)",
    )
    lm.add_argument(
        "--min-presence",
        type=float,
        default=d.min_presence,
        help="hands below this landmark presence count as none in the exact file's metrics "
        "(the live rule; recorded in model.json)",
    )
    lm.add_argument("--seed", type=int, default=d.seed, help="seeds NumPy, TensorFlow and Keras")


def own_sample_flags(p: argparse.ArgumentParser, d: Any) -> None:
    g = p.add_argument_group("your own samples and fine-tuning")
    g.add_argument(
        "--extra",
        action="append",
        default=None,
        metavar="DIR",
        help="folder of your samples in class folders named by label (edge-capture "
        "writes DIR/<label>/<session>__0001.png); repeatable",
    )
    g.add_argument(
        "--extra-ratio",
        type=float,
        default=d.extra_ratio,
        help="share of each training batch drawn from the --extra samples (oversampled); "
        "0 = plain concatenation",
    )
    g.add_argument(
        "--extra-val-fraction",
        type=float,
        default=d.extra_val_fraction,
        help="share of the --extra samples held out (whole sessions when there are "
        "several) and scored as extra_val in metrics.json",
    )
    g.add_argument(
        "--init-from",
        default=d.init_from,
        metavar="PATH",
        help="fine-tune this model (.keras file or edge-train run folder) instead of "
        "training a new one; use a lower --learning-rate and fewer --epochs",
    )
