"""Random frames through the pipelines: a frame is processed, or refused with one clear ``ValueError``.

A case draws a raw image as a source could hand it over (:func:`random_image`: sizes from 1x1 to
3840x2160, mostly small; blank, saturated, one thin line, noise, boxes, a gradient; dtypes uint8,
uint16, float32 and bool; (H, W) or 1, 2, 3 or 4 channels; sometimes a non-contiguous view) and

1. converts it as every source does (:func:`edge.sources.to_bgr`): an image no source can
   make (float, bool, 2 channels, empty) must be refused there with a ``ValueError``, and the
   pipeline fed the raw array must refuse it with a ``ValueError`` too;
2. runs a convertible one through the next pipeline of :data:`PIPELINES` (the same
   ``Pipeline`` objects ``edge-run`` builds; state carries from frame to frame, so a tracker
   sees a 4K frame after a 1x1 one), which must return a result.

Anything else is a failure (``FrameFuzzReport.failures``). ``tests/test_fuzz.py`` runs a CI-sized
sample; ``python -m benchmarks.fuzz frames --frames 100000`` the long run.
"""

from __future__ import annotations

import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from edge.types import Frame

#: Pipelines a frame may go through: name -> (``--model``, ``build_pipeline`` keywords).
PIPELINES: dict[str, tuple[str, dict[str, Any]]] = {
    "digits": ("digits", {}),
    "hands-lenet": ("hands-lenet", {}),
    "hands": ("hands", {"source_kind": "video"}),
    "hands-image": ("hands", {"source_kind": "image"}),
}
CONTENTS = ("blank", "saturated", "line", "noise", "boxes", "gradient")
DTYPES = ("uint8", "uint16", "float32", "bool")
#: Channel layouts: 0 is (H, W), else (H, W, C).
CHANNELS = (0, 1, 2, 3, 4)
#: Failures kept in full by :class:`FrameFuzzReport` (all are counted).
KEEP = 200
_MAX = {"uint8": 255, "uint16": 65535, "float32": 1.0, "bool": 1}


def random_size(rng: np.random.Generator, large: float = 0.01) -> tuple[int, int]:
    """(H, W): 80 % up to 64 px a side, the rest up to 640x480, ``large`` of them up to 3840x2160."""
    r = rng.random()
    if r < large:
        return int(rng.integers(1, 2161)), int(rng.integers(1, 3841))
    if r < 0.8:
        return int(rng.integers(1, 65)), int(rng.integers(1, 65))
    return int(rng.integers(1, 481)), int(rng.integers(1, 641))


def _content(rng: np.random.Generator, h: int, w: int, kind: str) -> np.ndarray:
    """float32 (H, W, 3) in [0, 1]."""
    if kind == "blank":
        return np.full((h, w, 3), rng.random(), np.float32)
    if kind == "saturated":
        return np.full((h, w, 3), float(rng.integers(2)), np.float32)
    if kind == "noise":
        return rng.random((h, w, 3), dtype=np.float32)
    if kind == "gradient":
        g = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
        return np.broadcast_to(g, (h, w, 3)).copy()
    img = np.full((h, w, 3), 1.0 if rng.random() < 0.7 else 0.0, np.float32)
    ink = 1.0 - float(img[0, 0, 0])
    if kind == "line":  # the only ink: one straight 1-2 px line (issue 16 item 1)
        t = int(rng.integers(1, 3))
        p0 = (int(rng.integers(w)), int(rng.integers(h)))
        p1 = [(w - 1, p0[1]), (p0[0], h - 1), (int(rng.integers(w)), int(rng.integers(h)))][
            int(rng.integers(3))
        ]
        cv2.line(img, p0, p1, (ink, ink, ink), t)
        return img
    for _ in range(int(rng.integers(1, 6))):  # boxes
        x, y = int(rng.integers(w)), int(rng.integers(h))
        img[y : y + int(rng.integers(1, h + 1)), x : x + int(rng.integers(1, w + 1))] = rng.random(3)
    return img


def random_image(
    rng: np.random.Generator, *, legal: float = 0.85, large: float = 0.01
) -> tuple[np.ndarray, str]:
    """A raw image and its description.

    Args:
        rng: the generator.
        legal: share drawn as a source can produce them (uint8/uint16, (H, W) or 1, 3, 4 channels);
            the rest is any dtype and channel count of :data:`DTYPES` and :data:`CHANNELS`.
        large: share of sizes up to 3840x2160 (see :func:`random_size`).

    Returns:
        ``(image, "uint8 (H, W, C) kind")``.
    """
    h, w = random_size(rng, large)
    kind = str(rng.choice(CONTENTS))
    img = _content(rng, h, w, kind)
    if rng.random() < legal:
        dtype = "uint8" if rng.random() < 0.8 else "uint16"
        channels = int(rng.choice([3, 3, 3, 0, 1, 4]))
    else:
        dtype, channels = str(rng.choice(DTYPES)), int(rng.choice(CHANNELS))
    if channels in (0, 1, 2):
        img = img.mean(axis=2, keepdims=True).repeat(max(channels, 1), axis=2)
    elif channels == 4:
        alpha = np.full((h, w, 1), 1.0 if rng.random() < 0.5 else rng.random(), np.float32)
        img = np.concatenate([img, alpha], axis=2)
    if channels == 0:
        img = img[:, :, 0]
    out = img > 0.5 if dtype == "bool" else (img * _MAX[dtype]).round().astype(dtype)
    if rng.random() < 0.1 and out.ndim >= 2:  # a mirrored or strided view, as a sink may pass on
        out = out[:, ::-1] if rng.random() < 0.5 else out[::2, ::2]
    return out, f"{out.dtype} {out.shape} {kind}"


@dataclass
class FrameFuzzReport:
    """Counts of :func:`fuzz_frames`.

    Attributes:
        processed: frames each pipeline processed.
        refused: raw images refused (as they must be) by the source conversion.
        failed: how many frames failed.
        failures: the first :data:`KEEP` failures: pipeline, image, exception (a traceback's last lines).
    """

    processed: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, line: str) -> None:
        self.failed += 1
        if len(self.failures) < KEEP:
            self.failures.append(line)

    @property
    def frames(self) -> int:
        return sum(self.processed.values())

    def summary(self) -> str:
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.processed.items()))
        return (
            f"{self.frames} random frames processed ({by}); {self.refused} raw images refused as "
            f"no source makes them; {self.failed} failures"
        )


def build(names: tuple[str, ...], threads: int | None = 1) -> dict[str, Any]:
    """The pipelines of :data:`PIPELINES` named ``names``, as ``edge-run`` builds them."""
    from edge.pipeline import build_pipeline

    return {n: build_pipeline(PIPELINES[n][0], num_threads=threads, **PIPELINES[n][1]) for n in names}


def _refusal_ok(pipe: Any, raw: np.ndarray, index: int) -> str | None:
    """The pipeline fed a raw array no source makes: None when it refuses it clearly."""
    try:
        pipe.process(Frame(raw, index / 30.0, index))
    except ValueError as e:
        return None if "\n" not in str(e) and "to_bgr" in str(e) else f"unclear refusal: {e}"
    except Exception as e:  # noqa: BLE001 - what the fuzz looks for
        return "".join(traceback.format_exception(e)[-2:]).strip()
    return "processed an image no source makes, without a refusal"


def fuzz_frames(
    frames: int,
    seed: int,
    pipelines: dict[str, Any],
    weights: dict[str, float] | None = None,
    *,
    large: float = 0.01,
    progress: Any = None,
) -> FrameFuzzReport:
    """Run ``frames`` random images through ``pipelines`` (see the module docstring).

    Args:
        frames: how many images.
        seed: the RNG seed (the same seed gives the same images and pipeline order).
        pipelines: name -> a built pipeline (:func:`build`).
        weights: name -> share of the frames (default: equal).
        large: share of frames up to 3840x2160.
        progress: called as ``progress(i, report)`` every 1000 frames, if given.

    Returns:
        The counts and failures.
    """
    from edge.sources import to_bgr

    rng = np.random.default_rng(seed)
    names = list(pipelines)
    p = np.array([(weights or {}).get(n, 1.0) for n in names], np.float64)
    p /= p.sum()
    report = FrameFuzzReport()
    for i in range(frames):
        name = names[int(rng.choice(len(names), p=p))]
        raw, desc = random_image(rng, large=large)
        try:
            bgr = raw.dtype == np.uint8 and raw.ndim == 3 and raw.shape[2] == 3
            # a BGR view (mirrored, strided) as is, half the time: a library caller may pass one
            image = raw if bgr and rng.random() < 0.5 else to_bgr(raw) if raw.size else None
        except ValueError:
            image = None
        if image is None:
            report.refused += 1
            why = _refusal_ok(pipelines[name], raw, i)
            if why:
                report.fail(f"{name} {desc}: {why}")
            continue
        try:
            pipelines[name].process(Frame(image, i / 30.0, i))
            report.processed[name] += 1
        except Exception as e:  # noqa: BLE001 - what the fuzz looks for
            report.fail(f"{name} {desc}: " + "".join(traceback.format_exception(e)[-2:]).strip())
        if progress is not None and (i + 1) % 1000 == 0:
            progress(i + 1, report)
    return report
