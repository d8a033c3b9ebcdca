"""Measuring a bundle: accuracy, confusion matrices, thresholds and side-by-side comparisons.

- :mod:`~edge.evaluate.metrics`: confusion matrix, per-class accuracy, :class:`EvalReport`
  (pure functions over label indices, tested without a model).
- :mod:`~edge.evaluate.images`: image-folder datasets (one sub-folder per class).
- :mod:`~edge.evaluate.accuracy`: :func:`evaluate_mnist`, :func:`evaluate_crops`,
  :func:`evaluate_frames`: a bundle's accuracy on MNIST or an image folder.
- :mod:`~edge.evaluate.thresholds`: :func:`threshold_sweep`, :func:`choose_threshold`
  (a hands model's ``min_score``).
- :mod:`~edge.evaluate.truth`: :class:`TruthTally`, digits or gestures read against a demo
  scene's ground truth (``edge-run``'s summary).
- :mod:`~edge.evaluate.pages`: :func:`~edge.evaluate.pages.evaluate_pages`, photos of pages
  of numbers read end to end (``edge-eval --pages``).
- :mod:`~edge.evaluate.compare`: several bundles side by side (aligned labels, markdown and
  JSON tables); :mod:`~edge.evaluate.compare_report` writes them with PNG charts.

MNIST itself is read by :mod:`edge.datasets`. The package may import :mod:`edge.types`,
:mod:`edge.datasets`, :mod:`edge.overlay` and the stages; never :mod:`edge.live`, a sink
or a CLI. ``edge-eval`` (:mod:`edge.cli.eval`) is its command line.
"""

from edge.evaluate.accuracy import evaluate_crops, evaluate_frames, evaluate_mnist
from edge.evaluate.images import IMAGE_SUFFIXES, LabelledImage, list_image_folder, load_images, read_image
from edge.evaluate.metrics import (
    NO_PREDICTION,
    EvalReport,
    confusion_matrix,
    make_report,
    mnist_inputs,
    mnist_label_indices,
    per_class_accuracy,
)
from edge.evaluate.thresholds import ThresholdPoint, choose_threshold, threshold_sweep
from edge.evaluate.truth import TruthTally, match_truth

__all__ = [
    "IMAGE_SUFFIXES",
    "NO_PREDICTION",
    "EvalReport",
    "LabelledImage",
    "ThresholdPoint",
    "TruthTally",
    "choose_threshold",
    "confusion_matrix",
    "evaluate_crops",
    "evaluate_frames",
    "evaluate_mnist",
    "list_image_folder",
    "load_images",
    "make_report",
    "match_truth",
    "mnist_inputs",
    "mnist_label_indices",
    "per_class_accuracy",
    "read_image",
    "threshold_sweep",
]
