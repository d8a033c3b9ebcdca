"""Camera-like handwritten digits for developing the digit segmenter and preprocessing.

Real camera photos are how the digits pipeline is judged, and none are stored here.
This script makes the closest stand-in it can from real handwriting: MNIST *test*
digits and the OpenCV ``digits.png`` sheet, rendered as pen strokes (blue, black, red,
pencil grey; thin pencil to fat marker) on paper (white, cream, recycled, sticky-note
colours; plain, lined, squared) under uneven light and shadows, tilted in perspective, rotated by up to
+-15 degrees, scaled, blurred, noisy and JPEG-compressed, then

- ``OUT/crops/<digit>/*.png``: one digit per image, loosely cropped with uneven
  margins (paper edges and shadows may show in the corners);
- ``OUT/frames/<digit>/*.png``: 640x480 frames with one digit (15..400 px tall)
  somewhere, and distractors: specks, ruled lines, the paper's edge, a finger,
  shadows;
- ``OUT/truth.json``: the digit's ink box in each frame (x, y, w, h px);
- ``OUT/conditions.json``: what each image was drawn under (paper, ruling, pen, ink height,
  light, shadow, blur, JPEG, tilt, distractors ...; :mod:`benchmarks.realistic_set`).

Both folders are laid out for ``edge-eval --images OUT/crops --crop`` and
``edge-eval --images OUT/frames --frame``. The renderer is :mod:`benchmarks.realistic_render`
(on the project's one paper-and-ink renderer, :mod:`edge.sources.render`);
the ``evaluate`` command does the same with :mod:`edge.segment.digits`, :mod:`edge.preprocess` and
:class:`edge.runtime.Classifier` directly, and ``time`` measures segmentation +
preprocessing per 640x480 frame. ``breakdown`` runs ``edge-eval``'s crop and frame evaluation
and prints its accuracy by each condition's value with counts and names the worst
(:mod:`benchmarks.realistic_breakdown`): report that worst condition with the mean.

Usage::

    python benchmarks/realistic_digits.py generate --out runs/realdigits --crops 2000 --frames 1000
    python benchmarks/realistic_digits.py evaluate --out runs/realdigits --model runs/digits-lenet
    python benchmarks/realistic_digits.py breakdown --out runs/realdigits --model digits [--json t.json]
    python benchmarks/realistic_digits.py time --repeats 400 --model runs/digits-lenet [--source demo]

Generated images are derived from third-party data: never commit them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import cv2
import numpy as np

if not __package__:  # run as a script (python benchmarks/realistic_digits.py): import this checkout's package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.realistic_render import FrameSpec, load_sources, make_frame  # noqa: E402
from benchmarks.realistic_set import generate  # noqa: E402
from benchmarks.report import jsonable  # noqa: E402

log = logging.getLogger(__name__)


def _iter_images(folder: Path):
    for d in sorted(p for p in folder.iterdir() if p.is_dir()):
        for f in sorted(d.glob("*.png")):
            yield f, d.name


def evaluate(out: Path, model: str, deskew: bool = False, limit: int | None = None) -> dict:
    """Accuracy in crop and frame mode, and segmentation recall/precision on frames."""
    from edge.bundle import load_bundle
    from edge.preprocess import MnistPreprocessor, crop_input
    from edge.runtime import Classifier
    from edge.segment.digits import DigitSegmenter
    from edge.types import ROI

    bundle = load_bundle(model)
    clf = Classifier(bundle)
    seg = DigitSegmenter()
    pre = MnistPreprocessor(deskew=deskew)
    truth = json.loads((out / "truth.json").read_text()) if (out / "truth.json").is_file() else {}
    res: dict[str, dict] = {}
    for kind in ("crops", "frames"):
        files = list(_iter_images(out / kind))[:limit]
        crop_ok = frame_ok = 0
        found = extra = iou_ok = 0
        conf = np.zeros((10, 10), int)
        wrong: list[str] = []
        for f, lab in files:
            img = cv2.imread(str(f), cv2.IMREAD_COLOR)
            if img is None:
                log.warning("cannot read %s", f)
                continue
            # crop mode
            x = crop_input(img, bundle)[None]
            p = clf.classify(x)[0]
            crop_ok += p.label == lab
            conf[int(lab), int(p.label)] += 1
            if p.label != lab:
                wrong.append(f"{f.relative_to(out)} -> {p.label}")
            # frame mode: the most confident detection (each photo stands alone)
            seg.reset()
            rois = seg.find(img)
            if rois:
                preds = clf.classify(pre(img, rois, analysis=seg.last_analysis))
                best = max(range(len(preds)), key=lambda k: preds[k].score)
                frame_ok += preds[best].label == lab
                key = str(f.relative_to(out))
                if key in truth:
                    t = ROI(*truth[key])
                    ious = [r.iou(t) for r in rois]
                    iou_ok += max(ious) >= 0.5
                    extra += sum(v < 0.5 for v in ious)
                found += 1
        n = max(len(files), 1)
        res[kind] = {
            "n": len(files),
            "crop_acc": crop_ok / n,
            "frame_acc": frame_ok / n,
            "found_any": found / n,
        }
        if kind == "frames" and truth:
            res[kind]["iou50_recall"] = iou_ok / n
            res[kind]["extra_rois_per_frame"] = extra / n
        res[kind]["confusion"] = conf.tolist()
        res[kind]["crop_wrong"] = wrong[:40]
    return res


def _demo_frames(n_digits: int, count: int) -> list[np.ndarray]:
    """Frames of the built-in demo scene (:mod:`edge.sources.demo`) with ``n_digits`` digits."""
    from edge.sources.demo import DemoSource

    frames: list[np.ndarray] = []
    for seed in range(200):
        src = DemoSource(seed=seed, max_digits=max(n_digits, 1))
        for i in range(0, 300, 15):
            fr = src.render(i)
            if fr.truth is not None and len(fr.truth) == n_digits:
                frames.append(fr.image)
        if len(frames) >= count:
            break
    return frames[:count]


def time_pipeline(
    repeats: int = 400, seed: int = 1, model: str | None = None, source: str = "synthetic"
) -> dict:
    """Median and p99 ms per 640x480 frame of segmentation + preprocessing (+ classification).

    Args:
        repeats: timed frames per digit count (after 10 warm-up frames).
        seed: for the synthetic frames.
        model: bundle folder; also time :meth:`edge.runtime.Classifier.classify`.
        source: ``"synthetic"`` (:func:`make_frame`) or ``"demo"`` (the demo scene).

    Returns:
        ``{"1_digits": {...}, "5_digits": {...}}`` with ``seg_pre_median_ms``,
        ``seg_pre_p99_ms``, ``mean_rois`` and, with a model, ``total_median_ms``,
        ``total_p99_ms`` (``time.perf_counter``).
    """
    from edge.preprocess import MnistPreprocessor
    from edge.segment.digits import DigitSegmenter

    rng = np.random.default_rng(seed)
    images: list[np.ndarray] = []
    if source == "synthetic":
        images, _ = load_sources()
    seg, pre = DigitSegmenter(), MnistPreprocessor()
    clf = None
    if model:
        from edge.runtime import Classifier

        clf = Classifier(model)
    out = {}
    for n in (1, 5):
        if source == "demo":
            frames = _demo_frames(n, 60)
        else:
            spec = FrameSpec(n_digits=n, min_height=30, max_height=150 if n == 5 else 300)
            frames = [
                make_frame([images[i] for i in rng.choice(len(images), n)], rng, spec)[0] for _ in range(60)
            ]
        for f in frames[:10]:  # warm-up
            r = seg.find(f)
            x = pre(f, r, analysis=seg.last_analysis)
            if clf is not None and len(x):
                clf.classify(x)
        ts, ts_all, n_found = [], [], []
        for k in range(repeats):
            f = frames[k % len(frames)]
            t0 = time.perf_counter()
            rois = seg.find(f)
            x = pre(f, rois, analysis=seg.last_analysis)
            t1 = time.perf_counter()
            if clf is not None and len(x):
                clf.classify(x)
            t2 = time.perf_counter()
            ts.append((t1 - t0) * 1e3)
            ts_all.append((t2 - t0) * 1e3)
            n_found.append(len(rois))
        out[f"{n}_digits"] = {
            "seg_pre_median_ms": float(np.median(ts)),
            "seg_pre_p99_ms": float(np.percentile(ts, 99)),
            "mean_rois": float(np.mean(n_found)),
        }
        if clf is not None:
            out[f"{n}_digits"].update(
                total_median_ms=float(np.median(ts_all)), total_p99_ms=float(np.percentile(ts_all, 99))
            )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write crops/, frames/ and truth.json")
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--crops", type=int, default=2000)
    g.add_argument("--frames", type=int, default=1000)
    g.add_argument("--seed", type=int, default=0)
    e = sub.add_parser("evaluate", help="crop- and frame-mode accuracy with a bundle")
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--model", required=True, help="bundle folder")
    e.add_argument("--deskew", action="store_true")
    e.add_argument("--limit", type=int, default=None)
    e.add_argument("--json", type=Path, default=None, help="write the full result here")
    b = sub.add_parser("breakdown", help="edge-eval's accuracy by each drawn condition, worst named")
    b.add_argument("--out", type=Path, nargs="+", required=True, help="set folder(s), pooled")
    b.add_argument("--model", default="digits", help="bundle name or folder")
    b.add_argument("--polarity", default=None, help="as edge-eval --polarity")
    b.add_argument("--kind", choices=("crops", "frames", "both"), default="both")
    b.add_argument("--views", choices=("on", "off"), default="on", help="as edge-eval --views")
    b.add_argument("--min-n", type=int, default=50, help="fewest images for a value to be named worst")
    b.add_argument(
        "--within",
        action="append",
        default=[],
        metavar="FIELD=ROW",
        help="only images in this row of a table, e.g. 'ink_px=<20' or 'ruling=squared' (repeatable)",
    )
    b.add_argument("--json", type=Path, default=None, help="write the tables here")
    t = sub.add_parser("time", help="segmentation + preprocessing ms per 640x480 frame")
    t.add_argument("--repeats", type=int, default=400)
    t.add_argument("--model", default=None, help="also time classification with this bundle")
    t.add_argument(
        "--source",
        choices=("synthetic", "demo"),
        default="synthetic",
        help="frames from this script's generator or from the demo scene",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if args.cmd == "generate":
        generate(args.out, args.crops, args.frames, args.seed)
        print(f"wrote {args.crops} crops and {args.frames} frames under {args.out}")
    elif args.cmd == "evaluate":
        res = evaluate(args.out, args.model, args.deskew, args.limit)
        if args.json:
            args.json.write_text(json.dumps(jsonable(res), indent=1) + "\n", encoding="utf-8")
        for kind, r in res.items():
            brief = {
                k: (round(v, 4) if isinstance(v, float) else v)
                for k, v in r.items()
                if k not in ("confusion", "crop_wrong")
            }
            print(kind, brief)
    elif args.cmd == "breakdown":
        from benchmarks.realistic_breakdown import KINDS, breakdown, format_text

        kinds = KINDS if args.kind == "both" else (args.kind,)
        within = [tuple(w.split("=", 1)) for w in args.within]
        if any(len(w) != 2 for w in within):
            ap.error("--within takes FIELD=ROW, e.g. --within 'ink_px=<20'")
        res = breakdown(
            args.out,
            args.model,
            polarity=args.polarity,
            min_n=args.min_n,
            kinds=kinds,
            within=within,
            views=args.views == "on",
        )
        if args.json:
            args.json.write_text(json.dumps(jsonable(res), indent=1) + "\n", encoding="utf-8")
        print(format_text(res))
    else:
        res = time_pipeline(args.repeats, model=args.model, source=args.source)
        for k, v in res.items():
            print(k, {kk: round(vv, 3) for kk, vv in v.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
