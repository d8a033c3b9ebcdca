"""``edge-eval``'s options: :class:`EvalConfig` and the argument parser that fills it.

The evaluation and the printing are :mod:`edge.cli.eval`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from edge.cli.common import HelpFormatter, add_polarity_arg, add_views_arg, positive_int, unit_float
from edge.live.launch import HAND_SEGMENTERS
from edge.runtime import RUNTIMES


@dataclass(frozen=True)
class EvalConfig:
    """Resolved ``edge-eval`` options (see ``edge-eval --help``).

    ``models`` holds every ``--model`` in order (one: a plain evaluation; more: a
    comparison on the same samples); ``report`` is the ``--report`` folder.
    """

    models: tuple[str, ...] = ("digits",)
    dataset: str | None = None
    data_dir: str | None = None
    download: bool = False
    images: str | None = None
    pages: str | None = None
    mode: str = "crop"
    limit: int | None = None
    batch_size: int = 256
    threads: int | None = None
    runtime: str = "auto"
    json: bool = False
    save_errors: str | None = None
    skip_unreadable: bool = False
    max_image_pixels: int | None = None
    segmenter: str | None = None
    calibrate_min_score: float | None = None
    report: str | None = None
    verbose: bool = False
    polarity: str | None = None
    views: bool = True

    @property
    def model(self) -> str:
        """The first (or only) ``--model``."""
        return self.models[0]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edge-eval",
        description="Accuracy of a model bundle on MNIST or a folder of labelled "
        "photos (one sub-folder per class, named as in the bundle's labels.txt).",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "--model",
        action="append",
        default=None,
        metavar="MODEL",
        help="bundle folder, its model.tflite, or a shipped name (digits, hands, "
        "hands-lenet); repeat to compare bundles on the same samples (the first is the "
        "baseline); default: digits",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--dataset", choices=["mnist"], help="a standard dataset (its test split)")
    src.add_argument("--images", metavar="DIR", help="folder of class folders of photos")
    src.add_argument(
        "--pages",
        metavar="DIR",
        help="digits: photos of pages, each with a same-named .txt of the numbers written on it "
        "(one per line, reading order); prints digit recall/precision and numbers read exactly",
    )
    p.add_argument(
        "--data-dir",
        help="where MNIST is (IDX files, mnist.npz or CSV); default EDGE_DATA_DIR, then the Keras cache",
    )
    p.add_argument("--download", action="store_true", help="download MNIST if it is not found")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--crop",
        dest="mode",
        action="store_const",
        const="crop",
        help="--images: each photo is one ROI, the ink/hand found inside it (the default; "
        "--model hands: the hand tracker finds the one hand in it)",
    )
    mode.add_argument(
        "--frame",
        dest="mode",
        action="store_const",
        const="frame",
        help="--images: segment each photo as a camera frame and score the most "
        "confident detection (none found: wrong, or 'none' for a model with a none class)",
    )
    p.set_defaults(mode="crop")
    p.add_argument(
        "--segmenter",
        choices=HAND_SEGMENTERS,
        default=None,
        help="--frame with a small-CNN hands model (hands-lenet): how the hand is found "
        "(default skin); --model hands finds hands by their landmarks",
    )
    p.add_argument(
        "--calibrate-min-score",
        type=unit_float,
        metavar="LOSS",
        help="--frame, models with a none class: choose the highest score threshold that "
        "costs at most LOSS (e.g. 0.02) of gesture accuracy, print the sweep and store it "
        "as min_score in the bundle's model.json (needs none/ photos). Calibrated on single "
        "reads (--views off), as the live loop reads; on still images the threshold then applies "
        "to the views' averaged scores",
    )
    p.add_argument(
        "--limit",
        type=positive_int,
        help="evaluate at most N images (MNIST: the first N "
        "of the test split; --images: spread round-robin over the classes)",
    )
    add_polarity_arg(p)
    add_views_arg(p, "--crop, --frame and --pages; not --dataset mnist")
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=256,
        help="inputs per classify call (MNIST, --crop); with --views on each crop is one input of "
        "2 model inputs (its views)",
    )
    p.add_argument("--threads", type=positive_int, help="interpreter CPU threads")
    p.add_argument("--runtime", choices=RUNTIMES, default="auto", help="TFLite runtime")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument(
        "--report",
        metavar="DIR",
        help="write comparison.md, comparison.json and (with matplotlib) confusion.png "
        "(row-normalised heatmaps side by side) and per_class.png here",
    )
    p.add_argument(
        "--save-errors",
        metavar="DIR",
        help="write misclassified images here, the predicted label in the file name "
        "(several --model: one sub-folder N-NAME per bundle)",
    )
    p.add_argument(
        "--skip-unreadable",
        action="store_true",
        help="skip photos that cannot be decoded instead of stopping",
    )
    p.add_argument(
        "--max-image-pixels",
        metavar="N",
        type=positive_int,
        default=None,
        help="refuse photos over N pixels (width x height) before decoding them; "
        "default: $EDGE_MAX_IMAGE_PIXELS, else 50000000",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    return p


def parse_args(argv: list[str] | None = None) -> EvalConfig:
    a = build_parser().parse_args(argv)
    return EvalConfig(
        models=tuple(a.model or ("digits",)),
        dataset=a.dataset,
        data_dir=a.data_dir,
        download=a.download,
        images=a.images,
        pages=a.pages,
        mode=a.mode,
        limit=a.limit,
        batch_size=a.batch_size,
        threads=a.threads,
        runtime=a.runtime,
        json=a.json,
        save_errors=a.save_errors,
        skip_unreadable=a.skip_unreadable,
        max_image_pixels=a.max_image_pixels,
        segmenter=a.segmenter,
        calibrate_min_score=a.calibrate_min_score,
        report=a.report,
        verbose=a.verbose,
        polarity=a.polarity,
        views=a.views == "on",
    )
