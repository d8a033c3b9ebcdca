"""``edge-eval``: accuracy of a model bundle on MNIST or on a folder of real photos.

Examples::

    edge-eval --model digits --dataset mnist --data-dir ../shared/data/mnist
    edge-eval --model models/digits-lenet-int8 --images photos/ --crop --json
    edge-eval --model digits --images photos/ --frame --save-errors errors/
    edge-eval --model digits --model my-digits --images my_digits-raw/ --report cmp/
    edge-eval --model digits --pages my_pages/     # page.jpg + page.txt (one number per line)

Prints accuracy, per-class accuracy and the confusion matrix (or, with ``--json``,
one JSON object with at least ``accuracy``, ``n``, ``per_class`` and ``confusion``).

``--model`` may be repeated: every bundle is evaluated on the identical samples and
the comparison (:mod:`edge.evaluate.compare`) is printed as a markdown table (with ``--json``:
one JSON object with ``models``, one entry per bundle as a single ``--json`` run
prints it plus its difference to the first bundle). ``--report DIR`` also writes
``comparison.md``, ``comparison.json``, ``confusion.png`` and ``per_class.png`` there
(with one or more bundles). Bundles must have the same labels.

``--pages DIR`` reads photos of pages end to end (:mod:`edge.evaluate.pages`) and prints
digit recall and precision and the share of numbers read exactly.

A digits bundle reads every photo (``--crop``, ``--frame``, ``--pages``) with the still-image
test-time views of :mod:`edge.still_views` (each digit read a few ways, the class
probabilities averaged); ``--views off`` reads each digit once, as the live loop does.
MNIST (``--dataset mnist``) feeds model inputs and takes no views.

Exit status: 0 on success, 2 on a usage, data or bundle error (``error: ...``).

The options and their parser are :mod:`edge.cli.eval_args`; this module evaluates and prints.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from edge.bundle import BundleError
from edge.cli.eval_args import EvalConfig, parse_args
from edge.datasets import DatasetError, load_mnist
from edge.evaluate import (
    EvalReport,
    LabelledImage,
    evaluate_crops,
    evaluate_frames,
    evaluate_mnist,
    list_image_folder,
)
from edge.live.launch import segmenter_kwargs
from edge.preprocess import crop_input

log = logging.getLogger(__name__)


def evaluate(cfg: EvalConfig, on_image: Callable[[LabelledImage, int], None] | None = None) -> EvalReport:
    """Run the evaluation ``cfg`` describes, for its first ``--model``.

    ``on_image``: called with each image of ``--images`` and its predicted class index
    (:func:`edge.evaluate.evaluate_crops`' ``on_image``).

    Raises:
        BundleError, DatasetError, ValueError: see :mod:`edge.evaluate`.
    """
    return evaluate_models(replace(cfg, models=cfg.models[:1]), on_image)[0]


def evaluate_models(
    cfg: EvalConfig, on_image: Callable[[LabelledImage, int], None] | None = None
) -> list[EvalReport]:
    """Evaluate every bundle of ``cfg.models`` on the identical samples (``on_image``: see
    :func:`evaluate`).

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
        paths = [c.bundle.path.resolve() for c in clfs]
        for i, (m, p) in enumerate(zip(cfg.models, paths, strict=True)):
            if p in paths[:i]:  # e.g. digits and digits-float32 on a CPU where digits is the float32 file
                log.warning("--model %s: the same bundle as an earlier one (%s)", m, p.name)
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
        reports.append(_evaluate_one(cfg, clf, data, errors, on_image))
    return reports


def _evaluate_one(
    cfg: EvalConfig,
    clf: Any,
    data: dict[str, Any],
    save_errors: str | None,
    on_image: Callable[[LabelledImage, int], None] | None = None,
) -> EvalReport:
    """One bundle's report on ``data`` (from :func:`evaluate_models`)."""
    info: dict[str, Any] = {"model": clf.bundle.name, "bundle": str(clf.bundle.path), "runtime": clf.runtime}
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
                max_pixels=cfg.max_image_pixels,
                save_errors=save_errors,
                on_image=on_image,
            )
        elif cfg.mode == "crop":
            read, views = crop_input, cfg.views and clf.bundle.preprocessing == "mnist-normalise"
            if views:  # a photo has no frame budget: each digit read a few ways (edge.still_views)
                from edge.still_views import CROP_INSETS, ViewsClassifier, crop_views

                # a crop called light ink is read as dark ink too: the model's surer read is kept
                read = functools.partial(crop_views, classifier=clf)
                clf, info["views"] = ViewsClassifier(clf), len(CROP_INSETS)
            report = evaluate_crops(
                clf,
                items,
                crop_input=functools.partial(read, polarity=cfg.polarity or "auto"),
                batch_size=min(cfg.batch_size, 64),
                skip_unreadable=cfg.skip_unreadable,
                max_pixels=cfg.max_image_pixels,
                save_errors=save_errors,
                on_image=on_image,
            )
        else:
            pipe = _pipeline(cfg, clf)
            if views := getattr(pipe.preprocessor, "views", None):
                info["views"] = len(views)
            report = evaluate_frames(
                pipe,
                clf.labels,
                items,
                skip_unreadable=cfg.skip_unreadable,
                max_pixels=cfg.max_image_pixels,
                save_errors=save_errors,
                on_image=on_image,
            )
    info |= _data_info(cfg)
    report.info = {**info, **report.info, "elapsed_s": round(time.perf_counter() - t0, 3)}
    return report


def _pipeline(cfg: EvalConfig, clf: Any, min_score: float | None = None, views: bool = True) -> Any:
    """The unsmoothed pipeline of ``--frame`` (and of ``--crop`` for ``--model hands``).

    A digits bundle reads each ROI from the still-image views
    (:func:`edge.still_views.use_still_views`) unless ``--views off`` or ``views`` is false.

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
    if b.task == "digits" and cfg.polarity is not None:
        kw["polarity"] = cfg.polarity
    pipe = build_pipeline(clf, smoothing=False, min_score=min_score, **kw)
    if views and cfg.views:  # photos: each digit ROI read a few ways (edge.still_views)
        from edge.still_views import use_still_views

        use_still_views(pipe)
    return pipe


def evaluate_pages_cli(cfg: EvalConfig) -> Any:
    """``--pages DIR``: the first ``--model`` (a digits bundle) reads every page.

    Raises:
        BundleError, ValueError: see :func:`edge.evaluate.pages.evaluate_pages`; a model
            that does not read digits.
    """
    from edge.evaluate.pages import evaluate_pages
    from edge.runtime import Classifier

    assert cfg.pages is not None
    clf = Classifier(cfg.model, num_threads=cfg.threads, runtime=cfg.runtime)
    if clf.bundle.task != "digits":
        raise ValueError(
            f"--pages reads numbers: pass a digits model, not {clf.bundle.name} ({clf.bundle.task})"
        )
    report = evaluate_pages(_pipeline(cfg, clf), cfg.pages, limit=cfg.limit)
    report.info = {"model": clf.bundle.name, "pages_dir": str(Path(cfg.pages)), **report.info}
    return report


def _data_info(cfg: EvalConfig) -> dict[str, Any]:
    if cfg.dataset == "mnist":
        return {"dataset": "mnist", "split": "test"}
    return {"dataset": str(Path(cfg.images or "")), "mode": cfg.mode}


def calibrate(cfg: EvalConfig) -> int:
    """``--calibrate-min-score``: sweep thresholds on ``--images`` (frames) and store one.

    The sweep reads each ROI once (no still views), as the live loop does: the threshold
    stored serves the live loop; on still images it then applies to the views' averaged
    scores, which it was not calibrated on.

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
    pipe = _pipeline(cfg, clf, min_score=0.0, views=False)  # the threshold serves the live loop
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
        if cfg.pages is not None:
            pages = evaluate_pages_cli(cfg)
            print(json.dumps(pages.as_json()) if cfg.json else pages.format_text())
            return 0
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
