"""A lone small, faint or blurred digit in a still camera frame that the first (320-px) pass
loses: the still's segmenter looks once closer (:func:`edge.segment.digit_scale.closer_look`);
a video frame never does, and a still frame read both ways by the polarity check is segmented
without it."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from edge.bundle import load_bundle
from edge.pipeline import Pipeline, build_pipeline
from edge.segment.digit_config import DigitSegmenterConfig
from edge.segment.digit_scale import closer_look
from edge.segment.digits import DigitSegmenter
from edge.still_closer import CloserCheckedSegmenter
from edge.still_polarity import PolarityCheckedSegmenter
from edge.still_views import use_still_views
from edge.types import ROI
from tests.test_digits import assert_matches, camera, digit_of, ink_alpha, paper, pencil, stamp
from tests.test_frame_polarity_check import _answer, _chalkboard, polarity_checked


def test_closer_look_scales() -> None:
    assert closer_look(1.0, True) is None  # the frame's own pixels were seen
    assert closer_look(0.5, True) == (1.0, True)  # a 640x480 still at 320 px: full resolution, paper rule
    assert closer_look(0.5, False) is None  # ... a video frame: no second look
    assert closer_look(0.4, True) == (0.8, True)
    assert closer_look(0.25, False) == (1.0, False)  # a large image: 4x, no paper rule, still or not
    assert closer_look(0.1, True) == (0.4, False)


def lone_pencil_digit(
    mnist: tuple[np.ndarray, np.ndarray], label: int, seed: int, height: int, strength: float, blur: float
) -> tuple[np.ndarray, ROI]:
    """A 640x480 frame with one faint grey pencil digit ``height`` px tall, blurred by ``blur`` px."""
    img = paper(seed=seed, colour=(200, 205, 210))
    a = pencil(ink_alpha(digit_of(mnist, label, seed), height), strength, seed=seed)
    ys, xs = np.nonzero(a > 0.25)
    x, y = 300 + 7 * seed, 200 + 5 * seed
    stamp(img, a, x, y, colour=(110, 110, 110))
    box = ROI(
        x + int(xs.min()), y + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
    )
    return camera(img, seed=seed, blur=blur, noise=3.0), box


LONE = [(7, 0, 18, 0.55, 1.2), (1, 2, 18, 0.55, 1.2), (2, 5, 18, 0.55, 1.2), (9, 1, 14, 0.8, 1.6)]


@pytest.mark.parametrize(("label", "seed", "height", "strength", "blur"), LONE)
def test_a_lone_faint_small_digit_is_found_in_a_still_only(
    mnist: tuple[np.ndarray, np.ndarray], label: int, seed: int, height: int, strength: float, blur: float
) -> None:
    """Lost at the 320-px first pass (faint and blurred, 7 to 9 px tall there), found at full
    resolution in a still; a video frame's segmenter (the default config) finds nothing."""
    frame, box = lone_pencil_digit(mnist, label, seed, height, strength, blur)
    live = DigitSegmenter()
    assert live.find(frame) == [] and not live.looked_closer
    seg = DigitSegmenter(DigitSegmenterConfig(closer_look=True))
    assert_matches(seg.find(frame), [box])
    assert seg.looked_closer


@pytest.fixture(scope="module")
def still() -> Pipeline:
    """The still-image pipeline (``edge-eval --frame``) of the camera-trained bundle these frames were
    built for (``digits-cam``: the default before Outlier Exposure; the tests need its misreads)."""
    return use_still_views(build_pipeline(load_bundle("digits-cam"), smoothing=False))


def faint_small_digit(text: str) -> np.ndarray:
    """uint8 (480, 640, 3) BGR: one digit ``text`` about 13 px tall, a 1-px stroke of grey 150 on
    paper of 205, blurred (sigma 1 px), sensor noise (sd 3)."""
    img = np.full((480, 640), 205, np.uint8)
    cv2.putText(img, text, (300, 250), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 150, 1, cv2.LINE_AA)
    noise = np.random.default_rng(0).normal(0, 3, img.shape)
    img = np.clip(cv2.GaussianBlur(img, (0, 0), 1.0) + noise, 0, 255).astype(np.uint8)
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("text", ["2", "5", "7", "9"])
def test_only_the_still_pipeline_looks_closer(still: Pipeline, text: str) -> None:
    """The still pipeline reads a faint small digit (a frame read once: dark ink, no light-ink
    evidence); the same bundle's video pipeline sees no digit, and its segmenter never looks closer."""
    frame = faint_small_digit(text)
    live = build_pipeline(load_bundle("digits-cam"), smoothing=False)
    assert isinstance(live.segmenter, DigitSegmenter) and not live.segmenter.config.closer_look
    assert _answer(live, frame) is None and not live.segmenter.looked_closer
    seg = polarity_checked(still)
    assert isinstance(seg, PolarityCheckedSegmenter) and seg.segmenter.config.closer_look
    assert _answer(still, frame) == text
    assert seg.chosen is seg.segmenter and seg.segmenter.looked_closer and seg.last_read is None


@pytest.mark.parametrize("text", ["0", "8"])
def test_a_frame_read_both_ways_takes_no_closer_look(still: Pipeline, text: str) -> None:
    """A light digit on a board called dark ink (light-ink evidence: read both ways): the first pass
    sees nothing digit-like in the dark reading, and at 2x that reading finds the 0's or 8's holes,
    which the model reads surely enough to keep the dark reading. Both readings are segmented
    without the closer look, which is not even taken (decided after the first pass, before it): the
    answer and ROIs are those of a still pipeline whose segmenter never looks closer."""
    frame = _chalkboard(text)
    seg = polarity_checked(still)
    assert isinstance(seg, PolarityCheckedSegmenter)
    for s in (seg.dark, seg.light):
        assert not s.config.closer_look
    dark = DigitSegmenter(seg.segmenter.config)  # the dark reading, closer (no polarity check asked)
    closer = Pipeline(dark, still.preprocessor, still.classifier)
    assert _answer(closer, frame) != text and dark.looked_closer
    assert _answer(still, frame) == text
    assert seg.chosen is seg.light and not seg.segmenter.looked_closer  # no 2x look paid for
    plain_seg = DigitSegmenter(dataclasses.replace(seg.segmenter.config, closer_look=False))
    plain = PolarityCheckedSegmenter(plain_seg, still.preprocessor, still.classifier)
    plain.reset()
    seg.reset()
    assert seg.find(frame) == plain.find(frame)


@pytest.mark.parametrize(
    ("source", "views", "closer"),
    [
        ("photo.jpg", True, True),
        ("photo.jpg", False, False),
        ("clip.mp4", True, False),
        ("demo", True, False),
    ],
)
def test_edge_run_looks_closer_at_photos_only(source: str, views: bool, closer: bool) -> None:
    """``edge-run``'s pipeline: a photo's segmenter looks closer (with the still views); a video's,
    the demo scene's or a photo read with ``--views off`` never does."""
    from edge.live.launch import make_pipeline

    seg = make_pipeline("digits", source=source, smoothing=False, views=views).segmenter
    while isinstance(seg, CloserCheckedSegmenter | PolarityCheckedSegmenter):  # the still's checks
        seg = seg.segmenter
    assert isinstance(seg, DigitSegmenter) and seg.config.closer_look is closer


@pytest.mark.parametrize("polarity", ["dark", "light"])
def test_a_photo_read_with_a_forced_polarity_looks_closer(polarity: str) -> None:
    """``edge-run photo.jpg --polarity dark|light``: no polarity check (the user chose the
    polarity: the frame is read once), so the photo's segmenter looks closer, unasked; with dark
    ink it reads the faint small digit the video pipeline misses."""
    from edge.live.launch import make_pipeline

    pipe = make_pipeline("digits", source="photo.jpg", smoothing=False, polarity=polarity)
    seg = pipe.segmenter.segmenter  # (inside the still's closer check, edge.still_closer)
    assert isinstance(seg, DigitSegmenter) and seg.config.polarity == polarity
    assert seg.config.closer_look and seg.may_look_closer is None
    if polarity == "dark":
        assert _answer(pipe, faint_small_digit("7")) == "7" and seg.looked_closer
