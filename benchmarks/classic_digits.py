"""OpenCV's classic digit recipe, the baseline ``edge-bench classic`` times ours against.

The recipe of OpenCV's ``samples/python/digits.py`` (training: deskew, HOG, RBF SVM on
``digits.png``) and ``samples/python/digits_video.py`` (frames: adaptive threshold,
contours, size filter, moment normalisation), written here from that description, with
the stages as functions instead of one camera loop:

1. grey -> :func:`cv2.adaptiveThreshold` (mean of 31x31, C = 10, inverted: dark ink ->
   255) -> 3x3 median (the sample's clean-up);
2. :func:`cv2.findContours` (external) -> bounding boxes with ``16 <= h <= 64`` px and
   ``w <= 1.2 h``, widened to a square, kept when 10..40% of the box is ink (the sample's
   ink filter);
3. :func:`normalise_box`: scale so the box's height is 1/1.5 of a 20x20 cell, centred on
   the ink's centre of mass (image moments), then :func:`deskew`;
4. :func:`hog_features`: the 64-d HOG (16 orientation bins x 4 cells of 10x10, magnitude
   weighted, Hellinger-normalised; Dalal & Triggs, "Histograms of Oriented Gradients for
   Human Detection", CVPR 2005, reduced to four cells as in the sample);
5. an RBF C-SVC, ``C = 2.67``, ``gamma = 5.383`` (the sample's values): ``cv2.ml.SVM``, or
   where this OpenCV lacks ``cv2.ml`` (OpenCV 5) the same model in numpy
   (:mod:`benchmarks.classic_svm`), trained on OpenCV's ``digits.png``
   (:func:`load_digits_png`) and cached under ``~/.cache/edge-recogniser/classic-svm/``
   keyed by the sheet's SHA-256 (:func:`load_or_train_svm`).

:class:`ClassicDigitReader` reads one BGR frame into ``(label, ROI)`` pairs.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.classic_svm import DigitSvm, load_svm, make_svm, svm_suffix
from edge.types import ROI

log = logging.getLogger(__name__)

#: Side of the normalised digit cell (px), as ``digits.png``'s cells.
CELL = 20
#: Orientation bins of the HOG; 4 cells x 16 bins = 64 features.
HOG_BINS = 16
#: The sample's SVM parameters (RBF kernel).
SVM_C = 2.67
SVM_GAMMA = 5.383
#: ``digits.png``: 50 rows x 100 columns of 20x20 cells, 5 rows (500 cells) per class 0..9.
SHEET_ROWS, SHEET_COLS = 50, 100


def default_digits_png() -> Path:
    """``$EDGE_DATA_DIR/opencv-digits/digits.png``, else the checkout's ``../shared/data`` copy.

    The path may not exist; :func:`load_digits_png` says so.
    """
    env = os.environ.get("EDGE_DATA_DIR")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    return root / "opencv-digits" / "digits.png"


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/edge-recogniser/classic-svm`` (``~/.cache`` when unset), as
    :func:`edge.model_dirs` places the fetched models."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "edge-recogniser" / "classic-svm"


def load_digits_png(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 cells of OpenCV's ``digits.png`` (white ink on black).

    Args:
        path: the 2000x1000 greyscale sheet.

    Returns:
        ``(cells, labels)``: uint8 (5000, 20, 20) in 0..255, row-major over the sheet, and
        int32 (5000,) in 0..9 (class ``k`` fills sheet rows ``5k .. 5k+4``).

    Raises:
        ValueError: the file is missing, unreadable or not 2000x1000 (with where to get it).
    """
    p = Path(path).expanduser()
    img = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) if p.is_file() else None
    if img is None:
        raise ValueError(
            f"OpenCV's digits.png not found at {p}: pass --digits-png FILE or --data-dir DIR "
            "(holding opencv-digits/digits.png; it is samples/data/digits.png of opencv/opencv)"
        )
    if img.shape != (SHEET_ROWS * CELL, SHEET_COLS * CELL):
        raise ValueError(f"{p} is {img.shape[1]}x{img.shape[0]}, not OpenCV's 2000x1000 digits.png")
    cells = img.reshape(SHEET_ROWS, CELL, SHEET_COLS, CELL).swapaxes(1, 2).reshape(-1, CELL, CELL)
    labels = np.repeat(np.arange(10, dtype=np.int32), len(cells) // 10)
    return np.ascontiguousarray(cells), labels


def deskew(cell: np.ndarray) -> np.ndarray:
    """Undo the slant of a digit from its second-order image moments.

    A shear ``x' = x + (mu11 / mu02) (y - CELL/2)`` is inverted so the ink's principal
    axis becomes vertical (``digits.py``'s ``deskew``).

    Args:
        cell: uint8 or float32 (20, 20), ink bright on black.

    Returns:
        The straightened cell, same dtype and shape; a copy of ``cell`` when it has no
        vertical spread (``|mu02| < 0.01``).
    """
    m = cv2.moments(cell)
    if abs(m["mu02"]) < 1e-2:
        return cell.copy()
    skew = m["mu11"] / m["mu02"]
    shear = np.array([[1, skew, -0.5 * CELL * skew], [0, 1, 0]], np.float32)
    return cv2.warpAffine(cell, shear, (CELL, CELL), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)


def hog_features(cells: np.ndarray) -> np.ndarray:
    """The sample's 64-d HOG of 20x20 digit cells.

    Per cell: Sobel ``gx``, ``gy`` -> :func:`cv2.cartToPolar` -> orientation quantised to
    16 bins over 0..2 pi, histograms weighted by gradient magnitude in the four 10x10
    quadrants (top-left, top-right, bottom-left, bottom-right), concatenated, then
    Hellinger-normalised (L1, square root, L2). After Dalal & Triggs (CVPR 2005).

    Args:
        cells: uint8 or float32 (N, 20, 20) or (20, 20), ink bright on black.

    Returns:
        float32 (N, 64), each row of unit L2 norm (all zeros for a blank cell).

    Raises:
        ValueError: cells that are not 20x20.
    """
    stack = np.asarray(cells)
    if stack.ndim == 2:
        stack = stack[None]
    if stack.shape[1:] != (CELL, CELL):
        raise ValueError(f"HOG needs (N, {CELL}, {CELL}) cells, got {stack.shape}; resize with normalise_box")
    out = np.zeros((len(stack), 4 * HOG_BINS), np.float32)
    h = CELL // 2
    for i, cell in enumerate(stack):
        gx = cv2.Sobel(cell, cv2.CV_32F, 1, 0)
        gy = cv2.Sobel(cell, cv2.CV_32F, 0, 1)
        mag, ang = cv2.cartToPolar(gx, gy)
        bins = np.minimum((HOG_BINS * ang / (2 * np.pi)).astype(np.int32), HOG_BINS - 1)
        hist = [
            np.bincount(bins[r : r + h, c : c + h].ravel(), mag[r : r + h, c : c + h].ravel(), HOG_BINS)
            for r in (0, h)
            for c in (0, h)
        ]
        v = np.concatenate(hist)
        v = np.sqrt(v / (v.sum() + 1e-7))
        out[i] = v / (np.linalg.norm(v) + 1e-7)
    return out


def normalise_box(binary: np.ndarray, box: ROI) -> np.ndarray:
    """Crop a digit from a binary frame into a deskewed 20x20 cell (``digits_video.py``).

    The box's height becomes ``CELL / 1.5`` px (aspect ratio kept), the ink's centre of
    mass (moments ``m10 / m00``, ``m01 / m00``) the cell's centre.

    Args:
        binary: uint8 (H, W) frame mask, ink 255 on 0.
        box: the digit's box in frame px (inside the frame).

    Returns:
        uint8 (20, 20), ink bright on black, deskewed.
    """
    roi = binary[box.y : box.y + box.h, box.x : box.x + box.w]
    m = cv2.moments(roi, binaryImage=True)
    if m["m00"] == 0:
        return np.zeros((CELL, CELL), np.uint8)
    s = 1.5 * box.h / CELL
    centre = np.array([m["m10"] / m["m00"], m["m01"] / m["m00"]], np.float32)
    affine = np.zeros((2, 3), np.float32)
    affine[:, :2] = np.eye(2) * s
    affine[:, 2] = centre - s * CELL / 2
    cell = cv2.warpAffine(roi, affine, (CELL, CELL), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)
    return deskew(cell)


def train_svm(cells: np.ndarray, labels: np.ndarray) -> DigitSvm:
    """Train the sample's RBF SVM on deskewed HOG features.

    Args:
        cells: uint8 (N, 20, 20), ink bright on black (e.g. from :func:`load_digits_png`).
        labels: int (N,) in 0..9.

    Returns:
        A trained C-SVC (RBF, ``C = 2.67``, ``gamma = 5.383``): ``cv2.ml.SVM`` when this
        OpenCV has it, else :class:`benchmarks.classic_svm.RbfSvm` (:func:`make_svm`).
    """
    feats = hog_features(np.stack([deskew(c) for c in cells]))
    return make_svm(feats, np.asarray(labels, np.int32), c=SVM_C, gamma=SVM_GAMMA)


def predict_cells(svm: DigitSvm, cells: np.ndarray) -> np.ndarray:
    """Labels of 20x20 cells (already deskewed) read by a trained SVM.

    Returns:
        int32 (N,) in 0..9; empty for no cells.
    """
    if len(cells) == 0:
        return np.zeros(0, np.int32)
    return svm.predict(hog_features(cells))


def load_or_train_svm(digits_png: str | Path | None = None, cache: Path | None = None) -> DigitSvm:
    """The SVM trained on all 5,000 cells of ``digits_png``, from the cache when there.

    Training takes seconds; the model is saved as ``<cache>/svm-<first 16 hex of the
    sheet's SHA-256><.yml|.npz>`` (``cv2.ml`` or numpy backend) and reused while the
    sheet is the same.

    Args:
        digits_png: the sheet; ``None``: :func:`default_digits_png`.
        cache: the cache folder; ``None``: :func:`cache_dir`.

    Raises:
        ValueError: the sheet is missing or malformed.
    """
    path = Path(digits_png) if digits_png is not None else default_digits_png()
    cells, labels = load_digits_png(path)
    key = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    file = (cache or cache_dir()) / f"svm-{key}{svm_suffix()}"
    if file.is_file():
        try:
            return load_svm(file)
        except (cv2.error, OSError, ValueError, KeyError):
            log.warning("cached SVM %s unreadable; training again", file, exc_info=True)
    log.info("training the classic SVM on %s (5000 cells)", path)
    svm = train_svm(cells, labels)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        svm.save(file)
    except (OSError, cv2.error):
        log.warning("could not cache the SVM at %s", file, exc_info=True)
    return svm


@dataclass(frozen=True)
class ClassicConfig:
    """The recipe's frame settings (``digits_video.py``'s values).

    Attributes:
        block: adaptive-threshold window (px, odd).
        offset: adaptive-threshold constant subtracted from the local mean (grey levels).
        min_h, max_h: digit box height range (px).
        max_aspect: widest box as a multiple of its height.
        ink_range: kept boxes' ink fraction (after widening to a square), open interval.
    """

    block: int = 31
    offset: float = 10.0
    min_h: int = 16
    max_h: int = 64
    max_aspect: float = 1.2
    ink_range: tuple[float, float] = (0.1, 0.4)


class ClassicDigitReader:
    """Reads digits in a frame the classic way (module docstring, steps 1-5).

    Args:
        svm: a trained SVM (:func:`load_or_train_svm`).
        config: the frame settings.
    """

    def __init__(self, svm: DigitSvm, config: ClassicConfig | None = None) -> None:
        self.svm = svm
        self.config = config or ClassicConfig()

    def boxes(self, binary: np.ndarray) -> list[ROI]:
        """Digit candidates of a binary frame: external contours whose box passes the
        size, aspect and ink filters, widened to a square (clipped to the frame)."""
        c = self.config
        contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        fh, fw = binary.shape
        out: list[ROI] = []
        for cnt in contours:
            x, y, w, h = cv2.boundingRect(cnt)
            if not (c.min_h <= h <= c.max_h and w <= c.max_aspect * h):
                continue
            pad = max(h - w, 0)
            x0, x1 = max(0, x - pad // 2), min(fw, x - pad // 2 + w + pad)
            ink = np.count_nonzero(binary[y : y + h, x0:x1]) / float(max(1, (x1 - x0) * h))
            if c.ink_range[0] < ink < c.ink_range[1]:
                out.append(ROI(x0, y, x1 - x0, h))
        return out

    def read(self, image: np.ndarray) -> list[tuple[str, ROI]]:
        """Read the digits of a frame.

        Args:
            image: uint8 (H, W, 3) BGR or (H, W) grey frame.

        Returns:
            ``(label, ROI)`` per digit found, label ``'0'..'9'``, ROI in frame px (the
            square box the recipe classifies), in contour order.
        """
        c = self.config
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        binary = cv2.adaptiveThreshold(
            grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, c.block, c.offset
        )
        binary = cv2.medianBlur(binary, 3)
        boxes = self.boxes(binary)
        if not boxes:
            return []
        labels = predict_cells(self.svm, np.stack([normalise_box(binary, b) for b in boxes]))
        return [(str(int(k)), b) for k, b in zip(labels, boxes, strict=True)]
