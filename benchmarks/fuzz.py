"""``python -m benchmarks.fuzz``: the long fuzz runs of corrupted bundles and random frames.

Examples::

    python -m benchmarks.fuzz bundles --cases 1000 --seed 1
    python -m benchmarks.fuzz frames --frames 100000 --pipelines digits,hands-lenet,hands \\
        --weights 70,25,5 --seed 1

Each prints a progress line now and then, a summary line and every failure; the exit status
is 1 when a case failed (an unclear message, a traceback, a frame that raised), else 0.
The CI-sized runs of the same code are ``tests/test_fuzz.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.fuzz_bundles import BASES, fuzz_bundles
from benchmarks.fuzz_frames import PIPELINES, FrameFuzzReport, build, fuzz_frames


def _names(text: str, known: tuple[str, ...]) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(known)}, got {text!r}")
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.fuzz",
        description="Fuzz the bundle loader with corrupted bundles, or the pipelines with random frames.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sub = p.add_subparsers(dest="what", required=True)
    b = sub.add_parser(
        "bundles",
        help="corrupt copies of the shipped bundles",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    b.add_argument("--cases", type=int, default=1000, help="corrupted bundles to try")
    b.add_argument("--seed", type=int, default=1, help="RNG seed (the same seed, the same cases)")
    b.add_argument(
        "--bases",
        type=lambda s: _names(s, tuple(BASES)),
        default=tuple(BASES),
        help=f"shipped bundles to corrupt, comma-separated ({', '.join(BASES)})",
    )
    f = sub.add_parser(
        "frames",
        help="random frames through the pipelines",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    f.add_argument("--frames", type=int, default=100_000, help="random frames in all")
    f.add_argument("--seed", type=int, default=1, help="RNG seed (the same seed, the same frames)")
    f.add_argument(
        "--pipelines",
        type=lambda s: _names(s, tuple(PIPELINES)),
        default=("digits", "hands-lenet", "hands", "hands-image"),
        help=f"pipelines, comma-separated ({', '.join(PIPELINES)})",
    )
    f.add_argument(
        "--weights", default=None, help="share of the frames per pipeline, comma-separated (default: equal)"
    )
    f.add_argument("--large", type=float, default=0.01, help="share of frames up to 3840x2160")
    f.add_argument("--threads", type=int, default=1, help="interpreter threads")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one fuzz; 0 when every case ended cleanly, 1 when one failed, 2 on bad arguments."""
    args = parse_args(argv)
    t0 = time.monotonic()
    if args.what == "bundles":
        with tempfile.TemporaryDirectory(prefix="edge-fuzz-") as work:
            rep = fuzz_bundles(args.cases, args.seed, Path(work), args.bases)
        print(f"{rep.summary()} in {time.monotonic() - t0:.0f} s")
        for c in rep.bad:
            print(f"{c.outcome}: {c.base} {c.file} {c.what} {c.field}: {c.message}")
        return 1 if rep.bad else 0
    weights = None
    if args.weights:
        w = [float(v) for v in args.weights.split(",")]
        if len(w) != len(args.pipelines):
            print("error: --weights needs one share per pipeline", file=sys.stderr)
            return 2
        weights = dict(zip(args.pipelines, w, strict=True))

    def progress(i: int, r: FrameFuzzReport) -> None:
        print(f"{i} frames, {time.monotonic() - t0:.0f} s: {r.summary()}", flush=True)

    frep = fuzz_frames(
        args.frames,
        args.seed,
        build(args.pipelines, args.threads),
        weights,
        large=args.large,
        progress=progress,
    )
    print(f"{frep.summary()} in {time.monotonic() - t0:.0f} s")
    for line in frep.failures:
        print(f"failure: {line}")
    return 1 if frep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
