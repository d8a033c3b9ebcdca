"""Non-digit model inputs ("negatives") for Outlier Exposure of the digits model.

The digits model has ten classes and no "not a digit": clutter the segmenter finds (a paper
edge, a finger tip, a shadow's rim, a piece of the desk, a hand in a room) is read as a
confident digit. Outlier Exposure (Hendrycks, Mazeika & Dietterich, "Deep Anomaly Detection
with Outlier Exposure", ICLR 2019) trains on such inputs with the uniform distribution over
the classes as their target (``edge-train lenet --negatives FILE``, :mod:`train.lenet`), so
they get a low top probability and the bundle's contract (ten classes) is unchanged.

The negatives are the exact 28x28 inputs the device makes from non-digit regions
(:class:`NegativeReader`): a frame is read as the live loop reads it (the bundle's digit
segmenter and preprocessor, :func:`edge.pipeline.build_pipeline`, :func:`edge.roi_inputs.ink_inputs`)
and as a still photo is read (:func:`edge.still_views.use_still_views`: its segmenter's ROIs,
each in its three views), from

- camera-like frames (:func:`benchmarks.realistic_render.make_frame`: paper, pens, light,
  paper edges, fingers, shadows) of MNIST *training* digits, keeping only the ROIs that do not
  touch the digit's true box (:func:`touches`): a piece of the real digit is never taught as
  "not a digit" (:func:`frame_negatives`; frame ``k`` is drawn with ``default_rng([seed, k])``);
- digit-free photos (hands in rooms), scaled to 640x480 like a webcam frame, every ROI
  (:func:`photo_negatives`).

``python -m train.digit_negatives --out FILE.npz --frames N --seed S --photos DIR ...`` writes
``x`` (uint8 (M, 28, 28) white on black) and where each came from (``source``: 0 frames,
1 photos). Negatives from third-party photos are derived data: never commit them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edge.datasets import DatasetError
from edge.types import ROI
from train.pixels import to_uint8

log = logging.getLogger(__name__)

#: Frames and photos are scaled to this size (px, W x H) before they are read, like a webcam.
FRAME_SIZE = (640, 480)
#: A ROI closer than this to the digit's box (px) counts as touching it (blur spreads the ink).
TOUCH_MARGIN = 2
#: Image suffixes read from a photo folder.
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def touches(roi: ROI, box: Sequence[int], margin: int = TOUCH_MARGIN) -> bool:
    """True when ``roi`` overlaps the box ``(x, y, w, h)`` or comes within ``margin`` px of it.

    Args:
        roi: a segmenter's ROI, frame px.
        box: the digit's ink box, frame px.
        margin: px; 0 still counts boxes sharing an edge as touching.

    Returns:
        Whether any part of ``roi`` grown by ``margin`` meets the box.
    """
    bx, by, bw, bh = (int(v) for v in box)
    return not (
        roi.x + roi.w + margin < bx
        or bx + bw + margin < roi.x
        or roi.y + roi.h + margin < by
        or by + bh + margin < roi.y
    )


class NegativeReader:
    """The model inputs a digits bundle's pipelines make from the ROIs of one frame.

    Args:
        model: a digits bundle (name or folder, :func:`edge.bundle.load_bundle`).
        still: also read each frame as a still photo (:func:`edge.still_views.use_still_views`),
            adding its ROIs' three views.
    """

    def __init__(self, model: str = "digits", still: bool = True) -> None:
        from edge.bundle import load_bundle
        from edge.pipeline import build_pipeline
        from edge.still_views import use_still_views

        bundle = load_bundle(model)
        self.live = build_pipeline(bundle, smoothing=False, num_threads=1)
        self.still = None
        if still:
            self.still = use_still_views(build_pipeline(bundle, smoothing=False, num_threads=1))

    def read(self, image: np.ndarray) -> list[tuple[ROI, np.ndarray]]:
        """Every ROI found in ``image`` with its model inputs.

        Args:
            image: uint8 (H, W, 3) BGR frame.

        Returns:
            ``(roi, float32 (K, 28, 28) in [0, 1] white on black)`` per ROI with ink: K = 1 for the
            live reading's ROIs, 3 (the still views) for the still reading's.
        """
        from edge.roi_inputs import ink_inputs

        out: list[tuple[ROI, np.ndarray]] = []
        for pipe in (self.live, self.still):
            if pipe is None:
                continue
            if callable(reset := getattr(pipe, "reset", None)):
                reset()
            rois = pipe.segmenter.find(image)
            rois, batch, _ = ink_inputs(pipe.segmenter, pipe.preprocessor, image, rois)
            if batch is None or not len(rois):
                continue
            batch = np.asarray(batch, np.float32).reshape(len(rois), -1, 28, 28)
            out += list(zip(rois, batch, strict=True))
        return out


def _kept(found: Iterable[tuple[ROI, np.ndarray]], boxes: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """uint8 (28, 28) inputs of the ROIs touching none of ``boxes``, blanks and repeats dropped."""
    out: list[np.ndarray] = []
    seen: set[bytes] = set()
    for roi, views in found:
        if any(touches(roi, b) for b in boxes):
            continue
        for v in views:
            m = to_uint8(v * 255.0)
            if m.max() == 0 or (key := m.tobytes()) in seen:
                continue
            seen.add(key)
            out.append(m)
    return out


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    return np.stack(parts) if parts else np.zeros((0, 28, 28), np.uint8)


def frame_negatives(
    reader: Any, digits: np.ndarray, seed: int, start: int = 0
) -> tuple[np.ndarray, dict[str, int]]:
    """Negatives from camera-like frames, one per digit of ``digits``.

    Frame ``k`` draws ``digits[k]`` with :func:`benchmarks.realistic_render.make_frame` and
    ``default_rng([seed, start + k])``; a frame whose digit left no box (cut off) gives nothing.

    Args:
        reader: a :class:`NegativeReader` (anything with ``read(image)``).
        digits: uint8 (N, 28, 28) white on black (MNIST *training* digits: the benchmark's are test).
        seed: rendering seed (not a dev or report set's).
        start: index of ``digits[0]``.

    Returns:
        (uint8 (M, 28, 28) white on black, counts: ``frames``, ``rois`` found, ``touching``
        (dropped: they touch the digit)).
    """
    from benchmarks.realistic_render import make_frame

    parts: list[np.ndarray] = []
    counts = {"frames": 0, "rois": 0, "touching": 0}
    for k, d in enumerate(digits):
        img, boxes = make_frame([d], np.random.default_rng([seed, start + k]))
        if any(b[2] <= 0 or b[3] <= 0 for b in boxes):
            continue
        found = reader.read(img)
        counts["frames"] += 1
        counts["rois"] += len(found)
        counts["touching"] += sum(any(touches(r, b) for b in boxes) for r, _ in found)
        parts += _kept(found, boxes)
    return _stack(parts), counts


def list_photos(folders: Sequence[str | Path], every: int = 1, offset: int = 0) -> list[Path]:
    """Every ``every``-th photo (from ``offset``) of each folder, searched recursively, sorted.

    Args:
        folders: folders of photos (:data:`PHOTO_SUFFIXES`, any case).
        every: keep one photo in this many (>= 1), per folder.
        offset: index of the first photo kept in each folder.

    Returns:
        The kept photos' paths, folder by folder.

    Raises:
        DatasetError: a folder is missing or holds no photo.
    """
    out: list[Path] = []
    for f in folders:
        p = Path(f)
        files = sorted(q for q in p.rglob("*") if q.suffix.lower() in PHOTO_SUFFIXES) if p.is_dir() else []
        if not files:
            raise DatasetError(f"no photos ({', '.join(PHOTO_SUFFIXES)}) under {p}")
        out += files[offset::every]
    return out


def read_photo(path: str | Path) -> np.ndarray:
    """A photo scaled to :data:`FRAME_SIZE` (cubic), uint8 (480, 640, 3) BGR.

    Raises:
        DatasetError: the file cannot be decoded.
    """
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise DatasetError(f"cannot read the photo {path}")
    return np.asarray(cv2.resize(img, FRAME_SIZE, interpolation=cv2.INTER_CUBIC), np.uint8)


def photo_negatives(reader: Any, paths: Sequence[str | Path]) -> np.ndarray:
    """Negatives from digit-free photos: every ROI of each (:func:`read_photo`).

    Returns:
        uint8 (M, 28, 28) white on black.
    """
    parts: list[np.ndarray] = []
    for p in paths:
        parts += _kept(reader.read(read_photo(p)), [])
    return _stack(parts)


def save_negatives(path: str | Path, x: np.ndarray, source: np.ndarray, **meta: Any) -> None:
    """Write ``x``, ``source`` and ``meta`` to ``path`` (``.npz``; a temporary file renamed).

    Raises:
        ValueError: ``x`` is not uint8 (M, 28, 28) or ``source`` is not (M,).
    """
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28) or len(source) != len(x):
        raise ValueError(f"expected uint8 (M, 28, 28) negatives and M sources, got {x.dtype} {x.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, x=x, source=np.asarray(source, np.uint8), **meta)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_negatives(path: str | Path) -> np.ndarray:
    """The negatives of a file written by :func:`save_negatives`.

    Returns:
        uint8 (M, 28, 28) white ink on black.

    Raises:
        edge.datasets.DatasetError: missing, unreadable or not a negatives file (the message
            gives the command that writes one).
    """
    p = Path(path)
    hint = "write one with: python -m train.digit_negatives --out FILE.npz --frames N --photos DIR"
    try:
        with np.load(p) as z:
            x = z["x"]
    except (OSError, KeyError, ValueError, EOFError) as e:
        raise DatasetError(f"{p} is not a readable negatives file ({e}); {hint}") from e
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
        raise DatasetError(f"{p}: negatives are {x.dtype} {x.shape}, not uint8 (M, 28, 28); {hint}")
    return x


#: The label a negative carries in a training set's ``y`` (no class: :func:`outlier_targets`).
NEGATIVE = -1


def outlier_targets(y: Any, n_classes: int = 10, weight: float = 0.5) -> tuple[Any, Any]:
    """Training targets and sample weights of a batch holding digits and negatives (Outlier Exposure).

    A digit's target is its one-hot vector (weight 1); a negative's (label :data:`NEGATIVE`) is the
    uniform distribution over the ``n_classes`` (weight ``weight``: the paper's lambda, 0.5), so
    the cross-entropy pulls its prediction towards 1 / ``n_classes`` everywhere (Hendrycks,
    Mazeika & Dietterich, "Deep Anomaly Detection with Outlier Exposure", ICLR 2019). Label
    smoothing leaves a uniform target uniform.

    Args:
        y: int (B,) tensor or array of labels 0..``n_classes`` - 1 or :data:`NEGATIVE`.
        n_classes: classes of the model.
        weight: a negative's sample weight, > 0.

    Returns:
        (float32 (B, ``n_classes``) targets summing to 1, float32 (B,) sample weights): TensorFlow tensors.
    """
    import tensorflow as tf

    y = tf.convert_to_tensor(y)
    neg = y < 0
    uniform = tf.fill([tf.shape(y)[0], n_classes], 1.0 / n_classes)
    targets = tf.where(neg[:, None], uniform, tf.one_hot(tf.maximum(y, 0), n_classes))
    return targets, tf.where(neg, tf.constant(weight, tf.float32), tf.constant(1.0, tf.float32))


def main(argv: list[str] | None = None) -> int:
    """``python -m train.digit_negatives --out FILE.npz [--frames N --seed S] [--photos DIR ...] ...``."""
    from edge.datasets import load_mnist

    ap = argparse.ArgumentParser(prog="python -m train.digit_negatives", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="the .npz to write")
    ap.add_argument("--frames", type=int, default=0, help="camera-like frames to render (default 0)")
    ap.add_argument("--seed", type=int, default=5, help="frame rendering seed (default 5)")
    ap.add_argument("--photos", nargs="*", default=[], help="folders of digit-free photos")
    ap.add_argument("--every", type=int, default=1, help="read every N-th photo of each folder (default 1)")
    ap.add_argument("--model", default="digits", help="the digits bundle whose pipeline reads them")
    ap.add_argument(
        "--data-dir", default=None, help="MNIST folder (default: $EDGE_DATA_DIR or the Keras cache)"
    )
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if a.frames < 0 or a.every < 1 or (not a.frames and not a.photos):
        print("error: give --frames N > 0 and/or --photos DIR (--every >= 1)", file=sys.stderr)
        return 2
    try:
        reader = NegativeReader(a.model)
        parts, sources = [], []
        if a.frames:
            x_tr = load_mnist(a.data_dir)["train"][0]
            pick = np.random.default_rng(a.seed).permutation(len(x_tr))[: a.frames]
            xf, counts = frame_negatives(reader, x_tr[pick], a.seed)
            print(f"frames: {counts}, {len(xf)} negatives")
            parts.append(xf)
            sources.append(np.zeros(len(xf), np.uint8))
        if a.photos:
            paths = list_photos(a.photos, a.every)
            xp = photo_negatives(reader, paths)
            print(f"photos: {len(paths)} read, {len(xp)} negatives")
            parts.append(xp)
            sources.append(np.ones(len(xp), np.uint8))
        x = np.concatenate(parts)
        save_negatives(a.out, x, np.concatenate(sources), seed=a.seed, frames=a.frames)
    except (DatasetError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {len(x)} negatives to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "FRAME_SIZE",
    "NEGATIVE",
    "PHOTO_SUFFIXES",
    "TOUCH_MARGIN",
    "NegativeReader",
    "frame_negatives",
    "list_photos",
    "load_negatives",
    "main",
    "outlier_targets",
    "photo_negatives",
    "read_photo",
    "save_negatives",
    "touches",
]
