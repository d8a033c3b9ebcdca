"""``edge-eval``: accuracy of a model bundle on MNIST or on a folder of real photos.

Examples::

    edge-eval --model digits --dataset mnist --data-dir ../shared/data/mnist
    edge-eval --model models/digits-lenet-int8 --images photos/ --crop --json
    edge-eval --model digits --images photos/ --frame --save-errors errors/
    edge-eval --model digits --model my-digits --images my_digits-raw/ --report cmp/

Prints accuracy, per-class accuracy and the confusion matrix (or, with ``--json``,
one JSON object with at least ``accuracy``, ``n``, ``per_class`` and ``confusion``).

``--model`` may be repeated: every bundle is evaluated on the identical samples and
the comparison (:mod:`edge.evaluate.compare`) is printed as a markdown table (with ``--json``:
one JSON object with ``models``, one entry per bundle as a single ``--json`` run
prints it plus its difference to the first bundle). ``--report DIR`` also writes
``comparison.md``, ``comparison.json``, ``confusion.png`` and ``per_class.png`` there
(with one or more bundles). Bundles must have the same labels.

Exit status: 0 on success, 2 on a usage, data or bundle error (``error: ...``).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from edge.bundle import BundleError
from edge.cli.common import HelpFormatter, positive_int, unit_float
from edge.datasets import DatasetError, load_mnist
from edge.evaluate import (
    EvalReport,
    LabelledImage,
    evaluate_crops,
    evaluate_frames,
    evaluate_mnist,
    list_image_folder,
)
from edge.live.launch import HAND_SEGMENTERS, segmenter_kwargs
from edge.runtime import RUNTIMES

log = logging.getLogger(__name__)


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
    mode: str = "crop"
    limit: int | None = None
    batch_size: int = 256
    threads: int | None = None
    runtime: str = "auto"
    json: bool = False
    save_errors: str | None = None
    skip_unreadable: bool = False
    segmenter: str | None = None
    calibrate_min_score: float | None = None
    report: str | None = None
    verbose: bool = False

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
        "as min_score in the bundle's model.json (needs none/ photos)",
    )
    p.add_argument(
        "--limit",
        type=positive_int,
        help="evaluate at most N images (MNIST: the first N "
        "of the test split; --images: spread round-robin over the classes)",
    )
    p.add_argument("--batch-size", type=positive_int, default=256, help="inputs per classify call")
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
        mode=a.mode,
        limit=a.limit,
        batch_size=a.batch_size,
        threads=a.threads,
        runtime=a.runtime,
        json=a.json,
        save_errors=a.save_errors,
        skip_unreadable=a.skip_unreadable,
        segmenter=a.segmenter,
        calibrate_min_score=a.calibrate_min_score,
        report=a.report,
        verbose=a.verbose,
    )


def evaluate(cfg: EvalConfig) -> EvalReport:
    """Run the evaluation ``cfg`` describes, for its first ``--model``.

    Raises:
        BundleError, DatasetError, ValueError: see :mod:`edge.evaluate`.
    """
    return evaluate_models(replace(cfg, models=cfg.models[:1]))[0]


def evaluate_models(cfg: EvalConfig) -> list[EvalReport]:
    """Evaluate every bundle of ``cfg.models`` on the identical samples.

    The data is read once: the same MNIST images, or the same image files in the same
    order (listed with the first bundle's labels; each other bundle's class indices
    are mapped by label name). Every bundle is loaded before anything is evaluated,
    so a missing bundle or one with other labels fails fast.

    Returns:
        One :class:`EvalReport` per bundle, in ``cfg.models`` order, each with the
        classes in its own bundle's label order.

    Raises:
        BundleError, DatasetError: see :mod:`edge.evaluate`.
        ValueError: bundles with different label sets (:func:`edge.evaluate.compare.check_same_labels`).
    """
    from edge.runtime import Classifier

    clfs = [Classifier(m, num_threads=cfg.threads, runtime=cfg.runtime) for m in cfg.models]
    if len(clfs) > 1:
        from edge.evaluate.compare import check_same_labels, unique_names

        names = unique_names([c.bundle.name for c in clfs])
        check_same_labels([tuple(c.labels) for c in clfs], names)
    else:
        names = [clfs[0].bundle.name]
    data: dict[str, Any] = {}
    if cfg.dataset == "mnist":
        x, y = load_mnist(cfg.data_dir, download=cfg.download)["test"]
        if cfg.limit is not None:
            x, y = x[: cfg.limit], y[: cfg.limit]
        data = {"x": x, "y": y}
    elif cfg.images is not None:
        data = {
            "items": list_image_folder(cfg.images, clfs[0].labels, limit=cfg.limit),
            "labels": tuple(clfs[0].labels),
        }
    else:  # pragma: no cover - argparse requires one of them
        raise ValueError("pass --dataset mnist or --images DIR")
    reports = []
    for i, (clf, name) in enumerate(zip(clfs, names, strict=True)):
        errors = cfg.save_errors
        if errors is not None and len(clfs) > 1:
            errors = str(Path(errors) / f"{i + 1}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name).strip('_')}")
        reports.append(_evaluate_one(cfg, clf, data, errors))
    return reports


def _evaluate_one(cfg: EvalConfig, clf: Any, data: dict[str, Any], save_errors: str | None) -> EvalReport:
    """One bundle's report on ``data`` (from :func:`evaluate_models`)."""
    info = {"model": clf.bundle.name, "bundle": str(clf.bundle.path), "runtime": clf.runtime}
    t0 = time.perf_counter()
    if "x" in data:
        report = evaluate_mnist(clf, data["x"], data["y"], batch_size=cfg.batch_size, save_errors=save_errors)
    else:
        items: list[LabelledImage] = data["items"]
        labels = tuple(clf.labels)
        if labels != data["labels"]:  # same classes, another order: same files, own indices
            items = [LabelledImage(it.path, labels.index(data["labels"][it.label_index])) for it in items]
        if clf.bundle.preprocessing == "hand-landmarks":
            report = evaluate_frames(
                _pipeline(cfg, clf),
                clf.labels,
                items,
                skip_unreadable=cfg.skip_unreadable,
                save_errors=save_errors,
            )
        elif cfg.mode == "crop":
            report = evaluate_crops(
                clf,
                items,
                batch_size=min(cfg.batch_size, 64),
                skip_unreadable=cfg.skip_unreadable,
                save_errors=save_errors,
            )
        else:
            report = evaluate_frames(
                _pipeline(cfg, clf),
                clf.labels,
                items,
                skip_unreadable=cfg.skip_unreadable,
                save_errors=save_errors,
            )
    info |= _data_info(cfg)
    report.info = {**info, **report.info, "elapsed_s": round(time.perf_counter() - t0, 3)}
    return report


def _pipeline(cfg: EvalConfig, clf: Any, min_score: float | None = None) -> Any:
    """The unsmoothed pipeline of ``--frame`` (and of ``--crop`` for ``--model hands``).

    A ``hand-landmarks`` bundle finds the hand with the hand tracker in still-image mode
    (palm detector on every photo, then the centred-square fallback): with ``--crop`` each
    photo is one hand (at most one is reported, whatever its presence: the classifier
    decides ``none``), with ``--frame`` up to two hands are looked for.
    """
    from edge.pipeline import build_pipeline

    b = clf.bundle
    kw = segmenter_kwargs(b.task, cfg.segmenter, b.name, b.preprocessing)
    if b.preprocessing == "hand-landmarks":
        kw.update(source_kind="image", max_hands=1 if cfg.mode == "crop" else 2)
    return build_pipeline(clf, smoothing=False, min_score=min_score, **kw)


def _data_info(cfg: EvalConfig) -> dict[str, Any]:
    if cfg.dataset == "mnist":
        return {"dataset": "mnist", "split": "test"}
    return {"dataset": str(Path(cfg.images or "")), "mode": cfg.mode}


def calibrate(cfg: EvalConfig) -> int:
    """``--calibrate-min-score``: sweep thresholds on ``--images`` (frames) and store one.

    Raises:
        BundleError, DatasetError, ValueError: see :func:`edge.evaluate.threshold_sweep`.
    """
    from edge.bundle import set_min_score
    from edge.evaluate import choose_threshold, threshold_sweep
    from edge.runtime import Classifier

    if cfg.images is None or cfg.mode != "frame":
        raise ValueError("--calibrate-min-score needs --images DIR --frame")
    assert cfg.calibrate_min_score is not None
    clf = Classifier(cfg.model, num_threads=cfg.threads, runtime=cfg.runtime)
    items = list_image_folder(cfg.images, clf.labels, limit=cfg.limit)
    pipe = _pipeline(cfg, clf, min_score=0.0)
    points = threshold_sweep(pipe, clf.labels, items)
    best = choose_threshold(points, cfg.calibrate_min_score)
    rows = [
        {
            "threshold": p.threshold,
            "gesture_accuracy": round(p.gesture_accuracy, 4),
            "quiet_rate": round(p.quiet_rate, 4),
        }
        for p in points
    ]
    set_min_score(
        clf.bundle.path,
        best.threshold,
        {
            "images": str(cfg.images),
            "n": len(items),
            "max_accuracy_loss": cfg.calibrate_min_score,
            "gesture_accuracy": round(best.gesture_accuracy, 4),
            "quiet_rate": round(best.quiet_rate, 4),
            "at_zero": rows[0],
        },
    )
    if cfg.json:
        print(json.dumps({"min_score": best.threshold, "sweep": rows}))
    else:
        print("threshold  gesture accuracy  quiet on none")
        for r in rows:
            mark = "  <- chosen" if r["threshold"] == best.threshold else ""
            print(f"{r['threshold']:9.2f}  {r['gesture_accuracy']:16.2%}  {r['quiet_rate']:13.2%}{mark}")
        print(f"min_score {best.threshold:.2f} written to {clf.bundle.path / 'model.json'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``edge-eval``; returns the exit status."""
    cfg = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if cfg.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        if cfg.calibrate_min_score is not None:
            if len(cfg.models) > 1:
                raise ValueError("--calibrate-min-score sets one bundle's threshold: pass one --model")
            return calibrate(cfg)
        reports = evaluate_models(cfg)
        comparison = None
        if len(reports) > 1 or cfg.report is not None:
            from edge.evaluate.compare import compare_reports

            comparison = compare_reports(reports, info=_data_info(cfg))
        written = []
        if cfg.report is not None:
            from edge.evaluate.compare_report import write_report

            assert comparison is not None
            written = write_report(comparison, cfg.report)
    except (BundleError, DatasetError, ValueError, RuntimeError, OSError) as e:
        log.debug("edge-eval failed", exc_info=True)
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if len(reports) == 1:
        print(json.dumps(reports[0].as_json()) if cfg.json else reports[0].format_text())
    else:
        assert comparison is not None
        print(json.dumps(comparison.as_json()) if cfg.json else comparison.markdown())
    for line in written:  # stderr: standard output stays one JSON object with --json
        print(line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
