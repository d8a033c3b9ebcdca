"""Synthetic photos of pages of handwritten numbers, with the numbers written on them.

Pages for :mod:`edge.evaluate.pages` (``edge-eval --pages``) and the tests: a
``table`` (a grid of numbers, e.g. 0..100 row by row, columns as close as people
write them), ``sentences`` (lines of numbers at uneven spacing) or ``decimals``
(numbers with decimal points and minus signs), in either ink polarity (``dark``
ink on paper, or ``light`` chalk/marker on a dark board), at any frame size, on plain,
``lined`` or ``squared`` paper (:data:`RULINGS`, a school notebook). Glyphs
come from :func:`edge.sources.handwriting.render_digit` (``procedural``) or from MNIST
digits (``mnist``, pass the images); ink, paper, light and camera come from
:mod:`edge.sources.render`, the project's one renderer.

``python -m benchmarks.synth_pages OUT --count 8 --seed 100`` writes ``page_000.png``
with ``page_000.txt`` (the numbers, one per line, in reading order) and so on;
``--ruling lined|squared`` writes the same pages (the same digits, ink and light) on ruled paper.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.sources import render
from edge.sources.handwriting import HandStyle, render_digit
from edge.types import ROI

LAYOUTS = ("table", "sentences", "decimals")
#: Paper rulings: none (plain), ``lined`` (a line under each line of writing, sometimes a red
#: margin line) or ``squared`` (a grid of squares; a digit spans 1-2 of them, 5 mm squares with
#: digits 5-10 mm tall as in a school notebook).
RULINGS = ("none", "lined", "squared")
#: Dark grounds for light ink (BGR): a green and a black chalkboard, a black card.
BOARDS = ((52, 62, 38), (34, 34, 36), (20, 20, 24))


@dataclass(frozen=True)
class Page:
    """A synthesised photo and what is written on it.

    Attributes:
        image: uint8 (H, W, 3) BGR photo.
        numbers: ``(text, ROI)`` per number in reading order (text as written, e.g.
            ``"-3.5"``; ROI in frame px around its digits and marks).
        digits: ``(label, ROI)`` per digit, in reading order.
    """

    image: np.ndarray
    numbers: tuple[tuple[str, ROI], ...]
    digits: tuple[tuple[str, ROI], ...]


def _texts(rng: np.random.Generator, layout: str, n: int) -> list[str]:
    if layout == "table":
        start = int(rng.integers(0, 60))
        return [str(start + i) for i in range(n)]
    if layout == "sentences":
        return [str(int(10 ** rng.uniform(0, 3.7))) for _ in range(n)]
    out = []
    for _ in range(n):
        sign = "-" if rng.random() < 0.35 else ""
        whole = str(int(10 ** rng.uniform(0, 2.3)))
        frac = (
            "." + str(int(rng.integers(0, 100))).zfill(int(rng.integers(1, 3))) if rng.random() < 0.7 else ""
        )
        out.append(sign + whole + frac)
    return out


def _glyph(
    label: str, rng: np.random.Generator, h: int, style: HandStyle, stroke: float, mnist: np.ndarray | None
) -> np.ndarray:
    """uint8 coverage mask of one digit ``h`` px tall (ink bounding box), no margin."""
    if mnist is None:
        m = render_digit(label, rng, h, stroke_px=stroke, style=style, pad_px=0)
    else:
        img = mnist[int(rng.integers(0, len(mnist)))]
        ys, xs = np.nonzero(img > 40)
        img = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        w = max(2, int(round(img.shape[1] * h / img.shape[0])))
        m = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(m > 60)
    return m[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] if len(ys) else m


def synth_page(
    rng: np.random.Generator,
    layout: str = "table",
    size: tuple[int, int] = (1600, 1200),
    polarity: str = "dark",
    digit_frac: float | None = None,
    mnist: dict[str, np.ndarray] | None = None,
    ruling: str = "none",
) -> Page:
    """One photo of a page of numbers.

    Args:
        rng: source of everything (the page is a pure function of its state).
        layout: one of :data:`LAYOUTS`.
        size: (width, height) of the photo, px.
        polarity: ``"dark"`` ink on paper or ``"light"`` ink on a dark board.
        digit_frac: digit height as a fraction of the frame height; default random
            0.03..0.07.
        mnist: optional label -> uint8 (N, 28, 28) MNIST images to draw digits from
            (default: procedural glyphs).
        ruling: one of :data:`RULINGS`. The lines take their random numbers from a child of
            ``rng`` (:meth:`numpy.random.Generator.spawn`), so the page is the same as the
            ``"none"`` page of the same ``rng`` but for its lines.

    Raises:
        ValueError: unknown ``layout``, ``polarity`` or ``ruling``.
    """
    if layout not in LAYOUTS or polarity not in ("dark", "light") or ruling not in RULINGS:
        raise ValueError(
            f"layout must be one of {LAYOUTS}, polarity dark or light and ruling one of {RULINGS}, "
            f"got {layout}, {polarity}, {ruling}"
        )
    W, H = size
    h = max(10, int(round(H * (digit_frac or rng.uniform(0.03, 0.07)))))
    style = HandStyle.random(rng)
    stroke = max(1.5, h * rng.uniform(0.06, 0.1))
    line_pitch = h * rng.uniform(1.7, 2.4)
    margin = int(0.06 * W)
    rows = max(1, int((H - 2 * margin) / line_pitch))
    texts = _texts(rng, layout, 400)
    # table: column pitch, px: the widest number (digits about 0.65 h wide) plus a space
    col_w = h * (0.65 * max(len(t) for t in texts[:120]) + rng.uniform(0.9, 1.6))
    cols = max(1, int((W - 2 * margin) / col_w))
    if layout == "table":
        texts = texts[: rows * cols]
    marks: list[tuple[np.ndarray, int, int]] = []
    numbers: list[tuple[str, ROI]] = []
    digits: list[tuple[str, ROI]] = []
    k = 0
    for r in range(rows):
        base = int(margin + (r + 1) * line_pitch)  # baseline of this line
        x = float(margin + rng.uniform(0, h))
        for c in range(cols if layout == "table" else 99):
            if k >= len(texts):
                break
            text = texts[k]
            if layout == "table":
                x = margin + c * col_w + rng.uniform(-0.1, 0.1) * h
            parts: list[tuple[np.ndarray, int, int, str | None]] = []
            cx = x
            for ch in text:
                if ch.isdigit():
                    g = _glyph(
                        ch,
                        rng,
                        int(h * rng.uniform(0.92, 1.05)),
                        style,
                        stroke,
                        None if mnist is None else mnist[ch],
                    )
                    parts.append((g, int(cx), base - g.shape[0] + int(rng.normal(0, 0.03 * h)), ch))
                    cx += g.shape[1] + h * rng.uniform(0.1, 0.3)
                elif ch == ".":
                    d = max(3, int(round(stroke * rng.uniform(1.3, 1.8))))
                    g = np.zeros((d, d), np.uint8)
                    cv2.circle(g, (d // 2, d // 2), d // 2, 255, -1, cv2.LINE_AA)
                    parts.append((g, int(cx), base - d, None))
                    cx += d + h * rng.uniform(0.12, 0.25)
                else:  # minus sign
                    L = int(h * rng.uniform(0.35, 0.5))
                    t = max(2, int(round(stroke)))
                    g = np.zeros((t + 2, L), np.uint8)
                    cv2.line(g, (1, t // 2 + 1), (L - 2, t // 2 + 1), 255, t, cv2.LINE_AA)
                    parts.append((g, int(cx), int(base - 0.55 * h), None))
                    cx += L + h * rng.uniform(0.15, 0.3)
            if cx > W - margin:
                break
            k += 1
            for g, gx, gy, lab in parts:
                marks.append((g, gx, gy))
                if lab is not None:
                    digits.append((lab, ROI(gx, gy, g.shape[1], g.shape[0])))
            xs = [p[1] for p in parts] + [p[1] + p[0].shape[1] for p in parts]
            ys = [p[2] for p in parts] + [p[2] + p[0].shape[0] for p in parts]
            numbers.append((text, ROI(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))))
            if layout != "table":
                x = cx + h * rng.uniform(0.9, 2.2)  # the space between numbers
    if polarity == "dark":
        name = str(rng.choice(["white", "cream", "recycled", "yellow note"]))
        sheet = render.paper_sheet(rng, name, (H, W), h)
        if ruling != "none":
            _rule(rng.spawn(1)[0], sheet, ruling, h, line_pitch, margin, None)
        pen = str(rng.choice(["blue ballpoint", "black ballpoint", "black marker", "pencil"]))
        img = render.ink_paper(rng, sheet, pen, marks).astype(np.float32)
    else:
        board = np.array(BOARDS[int(rng.integers(0, len(BOARDS)))], np.float32)
        img = render.plain_paper(rng, (H, W), board, grain=((3.0, max(8, h)), (1.5, 2)))
        if ruling != "none":  # a school board's painted lines
            _rule(rng.spawn(1)[0], img, ruling, h, line_pitch, margin, board)
        chalk = np.array([225, 230, 232], np.float32) + rng.normal(0, 8, 3).astype(np.float32)
        opacity = rng.uniform(0.75, 0.95)
        for g, gx, gy in marks:
            a = g.astype(np.float32) * (opacity / 255.0)
            a *= rng.uniform(0.7, 1.0, a.shape).astype(np.float32)  # chalk grain
            render.composite_ink(img, a, gx, gy, chalk)
    img *= render.light_field(rng, (H, W), level=(0.85, 1.05), gradient=(0.0, 0.3))[..., None]
    photo = render.camera_photo(
        img,
        rng,
        blur_px=rng.uniform(0.3, 1.0) * max(1.0, H / 1000),
        noise_sd=rng.uniform(1, 4),
        jpeg_quality=90,
    )
    return Page(photo, tuple(numbers), tuple(digits))


def _rule(
    rng: np.random.Generator,
    sheet: np.ndarray,
    ruling: str,
    h: int,
    line_pitch: float,
    margin: int,
    board: np.ndarray | None,
) -> None:
    """Draw ``ruling`` lines onto float32 (H, W, 3) BGR ``sheet`` in place.

    ``lined``: a rule 0..0.12 ``h`` below each baseline (the writing's lines are ``line_pitch``
    px apart from ``margin``), half the time a red margin line left of the writing; ``squared``:
    squares ``h`` / 1..2 px, at a random phase. Lines are 1 or 2 px wide, light blue or grey
    mixed 50-100% with the paper's colour (on a dark ``board``, BGR: light paint, 15-35% of the
    way to white).
    """
    H, W = sheet.shape[:2]
    paper = sheet.reshape(-1, 3).mean(axis=0)
    if board is None:
        colour = np.array(render.RULE_COLOURS[0] if rng.random() < 0.7 else render.RULE_COLOURS[1])
        strength = rng.uniform(0.5, 1.0)
    else:
        colour, strength = np.array([225.0, 232.0, 235.0]), rng.uniform(0.15, 0.35)
    colour = strength * colour + (1 - strength) * paper
    thick = int(rng.integers(1, 3))
    if ruling == "lined":
        step = line_pitch
        first = margin + line_pitch + rng.uniform(0, 0.12) * h
    else:
        step = h / rng.uniform(1.0, 2.0)
        first = rng.uniform(0, step)
    lines = np.arange(first % step, max(H, W), step)
    lines = np.concatenate([lines + k for k in range(thick)])  # a 2-px line: two adjacent 1-px lines
    cols = lines[lines < W] if ruling == "squared" else ()
    render.rule_lines(sheet, colour.tolist(), rows=lines[lines < H].tolist(), cols=cols)
    if ruling == "lined" and board is None and rng.random() < 0.5:
        red = strength * np.array(render.MARGIN_COLOUR) + (1 - strength) * paper
        x = margin * rng.uniform(0.4, 0.8)
        render.rule_lines(sheet, red.tolist(), cols=[x + k for k in range(thick)])


def write_pages(
    out: str | Path,
    count: int,
    seed: int,
    size: tuple[int, int] = (1600, 1200),
    mnist: dict[str, np.ndarray] | None = None,
    ruling: str = "none",
) -> list[Path]:
    """Write ``count`` pages (layouts and polarities in turn, on ``ruling`` paper: one of
    :data:`RULINGS`) as PNG + same-named .txt.

    Returns:
        The image paths written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        rng = np.random.default_rng((seed, i))
        page = synth_page(
            rng, LAYOUTS[i % len(LAYOUTS)], size, ("dark", "light")[(i // 3) % 2], mnist=mnist, ruling=ruling
        )
        p = out / f"page_{i:03d}.png"
        cv2.imwrite(str(p), page.image)
        p.with_suffix(".txt").write_text("".join(t + "\n" for t, _ in page.numbers), encoding="utf-8")
        paths.append(p)
    return paths


def mnist_by_label(images: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """label -> uint8 (N, 28, 28) images, from MNIST arrays."""
    return {str(d): images[labels == d] for d in range(10)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", help="folder to write page_NNN.png + page_NNN.txt into")
    p.add_argument("--count", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", default="1600x1200", help="WIDTHxHEIGHT px")
    p.add_argument("--mnist", metavar="DIR", help="draw MNIST test digits from this folder (IDX files)")
    p.add_argument(
        "--ruling", choices=RULINGS, default="none", help="paper: plain, lined or squared (a school notebook)"
    )
    a = p.parse_args(argv)
    w, h = (int(v) for v in a.size.lower().split("x"))
    mnist = None
    if a.mnist:
        from edge.datasets import load_mnist

        x, y = load_mnist(a.mnist)["test"]
        mnist = mnist_by_label(x, y)
    for path in write_pages(a.out, a.count, a.seed, (w, h), mnist, a.ruling):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["LAYOUTS", "RULINGS", "Page", "mnist_by_label", "synth_page", "write_pages"]
