"""Pages of numbers read end to end (``edge-eval --pages DIR``).

A page is a photo (any image file) with a same-named ``.txt`` holding the numbers
written on it, one per line, in reading order (``page.jpg`` + ``page.txt``). The
digits pipeline (segmenter, preprocessing, classifier, number grouping, no temporal
vote) reads each photo; the numbers it reads are aligned with the true ones by
:class:`difflib.SequenceMatcher` (longest matching blocks, so one missed or extra
number does not shift every later one):

- digit recall / precision: the digits of all numbers (signs and points left out),
  concatenated in reading order, aligned with the true digits the same way;
  matched digits / true digits and matched digits / digits read;
- number accuracy: numbers read exactly (text equal, sign and point included) and
  aligned with a true number / true numbers.

The scoring is a pure function of the two number lists (:func:`score_page`).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from edge.evaluate.images import IMAGE_SUFFIXES, read_image
from edge.types import ROI, Frame

log = logging.getLogger(__name__)


class NumberReader(Protocol):
    """What :func:`evaluate_pages` needs of a pipeline: ``process(frame).numbers``."""

    def process(self, frame: Frame) -> Any: ...


@dataclass(frozen=True)
class PageScore:
    """One page read against its truth.

    Attributes:
        name: the photo's file name.
        truth: the numbers written on it, in reading order.
        read: the numbers the pipeline read, in reading order.
        digits_true: digits in ``truth``.
        digits_read: digits in ``read``.
        digits_matched: digits aligned and equal.
        numbers_matched: numbers aligned and equal.
    """

    name: str
    truth: tuple[str, ...]
    read: tuple[str, ...]
    digits_true: int
    digits_read: int
    digits_matched: int
    numbers_matched: int


def _matched(a: Sequence[str], b: Sequence[str]) -> int:
    return sum(
        m.size for m in difflib.SequenceMatcher(None, list(a), list(b), autojunk=False).get_matching_blocks()
    )


def score_page(truth: Sequence[str], read: Sequence[str], name: str = "") -> PageScore:
    """Align the numbers read with the true numbers of one page (see the module doc).

    Args:
        truth: numbers as written (``"29"``, ``"-3.5"``), reading order.
        read: numbers read, reading order.
        name: the page's name, kept in the result.
    """
    dt = [c for t in truth for c in t if c.isdigit()]
    dr = [c for t in read for c in t if c.isdigit()]
    return PageScore(
        name, tuple(truth), tuple(read), len(dt), len(dr), _matched(dt, dr), _matched(list(truth), list(read))
    )


@dataclass
class PagesReport:
    """Scores of a folder of pages, with totals.

    Attributes:
        pages: one :class:`PageScore` per page, in file-name order.
        info: free-form context (model, folder).
    """

    pages: list[PageScore] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def _sum(self, attr: str) -> int:
        return sum(getattr(p, attr) for p in self.pages)

    @property
    def digit_recall(self) -> float:
        """Matched digits / true digits, 0..1 (0 without digits)."""
        return self._sum("digits_matched") / max(1, self._sum("digits_true"))

    @property
    def digit_precision(self) -> float:
        """Matched digits / digits read, 0..1 (0 when nothing was read)."""
        return self._sum("digits_matched") / max(1, self._sum("digits_read"))

    @property
    def number_accuracy(self) -> float:
        """Numbers read exactly / true numbers, 0..1."""
        return self._sum("numbers_matched") / max(1, sum(len(p.truth) for p in self.pages))

    def as_json(self) -> dict[str, Any]:
        """Totals and per-page counts, JSON-ready."""
        return {
            **self.info,
            "pages": len(self.pages),
            "digit_recall": round(self.digit_recall, 4),
            "digit_precision": round(self.digit_precision, 4),
            "number_accuracy": round(self.number_accuracy, 4),
            "digits_true": self._sum("digits_true"),
            "digits_read": self._sum("digits_read"),
            "numbers_true": sum(len(p.truth) for p in self.pages),
            "per_page": [
                {
                    "name": p.name,
                    "numbers_true": len(p.truth),
                    "numbers_matched": p.numbers_matched,
                    "digits_true": p.digits_true,
                    "digits_read": p.digits_read,
                    "digits_matched": p.digits_matched,
                }
                for p in self.pages
            ],
        }

    def format_text(self) -> str:
        """A short human-readable summary, one line per page then the totals."""
        lines = []
        for p in self.pages:
            lines.append(
                f"{p.name}: numbers {p.numbers_matched}/{len(p.truth)}, digits {p.digits_matched}/"
                f"{p.digits_true} read {p.digits_read}"
            )
        n_true = sum(len(p.truth) for p in self.pages)
        lines.append(
            f"{len(self.pages)} pages, {self._sum('digits_true')} digits, {n_true} numbers: "
            f"digit recall {self.digit_recall:.2%}, digit precision {self.digit_precision:.2%}, "
            f"numbers read exactly {self.number_accuracy:.2%} ({self._sum('numbers_matched')}/{n_true})"
        )
        return "\n".join(lines)


def list_pages(folder: str | Path) -> list[tuple[Path, Path]]:
    """``(photo, truth .txt)`` pairs of a folder, sorted by name.

    Raises:
        ValueError: ``folder`` is not a folder, or holds no photo with a same-named .txt.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(
            f"--pages {folder}: not a folder; pass a folder of photos with same-named .txt files"
        )
    pairs = []
    for p in sorted(root.iterdir()):
        if p.suffix.lower() in IMAGE_SUFFIXES and p.with_suffix(".txt").is_file():
            pairs.append((p, p.with_suffix(".txt")))
    if not pairs:
        raise ValueError(
            f"--pages {folder}: no photo with a same-named .txt "
            "(e.g. page.jpg + page.txt, one number per line)"
        )
    return pairs


def read_truth(path: str | Path) -> list[str]:
    """The numbers of a truth file: one per line, blank lines and surrounding spaces ignored."""
    return [s.strip() for s in Path(path).read_text(encoding="utf-8").splitlines() if s.strip()]


def numbers_text(numbers: Sequence[tuple[str, ROI]]) -> list[str]:
    """The texts of a pipeline's ``numbers`` (``(text, ROI)`` pairs)."""
    return [t for t, _ in numbers]


def evaluate_pages(pipeline: NumberReader, folder: str | Path, limit: int | None = None) -> PagesReport:
    """Read every page of ``folder`` with ``pipeline`` and score it (see the module doc).

    Args:
        pipeline: a digits :class:`edge.pipeline.Pipeline` (unsmoothed: each photo is
            a still image).
        folder: photos with same-named ``.txt`` truth files.
        limit: read at most this many pages.

    Raises:
        ValueError: no pages (:func:`list_pages`), or a photo cannot be decoded.
    """
    report = PagesReport(info={"pages_dir": str(folder)})
    for i, (img_path, txt_path) in enumerate(list_pages(folder)[:limit]):
        image = read_image(img_path)
        if callable(reset := getattr(pipeline, "reset", None)):
            reset()  # each page stands alone (no scene kept from the last one)
        result = pipeline.process(Frame(image, 0.0, i))
        score = score_page(read_truth(txt_path), numbers_text(result.numbers), img_path.name)
        log.debug("%s: read %s", img_path.name, " ".join(score.read))
        report.pages.append(score)
    return report


__all__ = [
    "PageScore",
    "PagesReport",
    "evaluate_pages",
    "list_pages",
    "numbers_text",
    "read_truth",
    "score_page",
]
