"""The one paper-and-ink renderer (edge.sources.render) and the realistic benchmark set drawn with it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.sources.render import (
    PAPERS,
    PENS,
    camera_photo,
    composite_ink,
    contrasting_ink_colour,
    ink_paper,
    ink_texture,
    light_field,
    luma,
    pen_ink,
    plain_paper,
    random_paper_colour,
    rule_lines,
)


def test_plain_paper_is_the_colour_with_grain() -> None:
    rng = np.random.default_rng(0)
    flat = plain_paper(rng, (30, 40), (200, 210, 220))
    assert flat.dtype == np.float32 and flat.shape == (30, 40, 3)
    np.testing.assert_array_equal(flat[5, 7], [200, 210, 220])
    grainy = plain_paper(rng, (60, 80), (200, 210, 220), grain=((5.0, 8),))
    assert 2.0 < grainy[..., 0].std() < 10.0 and abs(grainy[..., 0].mean() - 200) < 5
    assert plain_paper(rng, (10, 10), (254, 254, 254), grain=((50.0, 2),)).max() <= 255


def test_composite_ink_blends_in_place_and_clips_at_the_edges() -> None:
    paper = np.full((20, 30, 3), 200.0, np.float32)
    alpha = np.ones((10, 10), np.float32)
    composite_ink(paper, alpha, 25, -5, (0, 0, 100), opacity=0.5)  # half off the sheet
    np.testing.assert_allclose(paper[0, 29], [100, 100, 150])
    assert (paper[5:, :] == 200).all() and (paper[:, :25] == 200).all()
    composite_ink(paper, alpha, 100, 100, (0, 0, 0))  # entirely off: nothing happens
    assert paper.min() == 100


def test_rule_lines_draw_one_px_rows_and_columns() -> None:
    paper = np.full((20, 30, 3), 255.0, np.float32)
    rule_lines(paper, (0, 0, 0), rows=[5], cols=[12])
    assert (paper[5, :, 0] < 128).all() and (paper[:, 12, 0] < 128).all()
    assert (paper[4, :12, 0] == 255).all() and (paper[6, 13:, 0] == 255).all()


def test_pens_ink_and_texture() -> None:
    rng = np.random.default_rng(1)
    for pen in PENS:
        ink, opacity = pen_ink(rng, pen)
        assert ink.shape == (3,) and PENS[pen][1][0] <= opacity <= PENS[pen][1][1]
        alpha = np.ones((16, 16), np.float32)
        t = ink_texture(rng, alpha, pen)
        assert t.shape == alpha.shape and 0.0 <= t.min() and t.max() <= 1.0
        assert ("marker" in pen) == bool((t == 1.0).all())  # only a marker has no texture


def test_ink_paper_writes_dark_ink_on_named_paper() -> None:
    rng = np.random.default_rng(2)
    mask = np.zeros((20, 20), np.uint8)
    mask[5:15, 8:12] = 255
    paper = plain_paper(rng, (40, 40), PAPERS["white"][0])
    out = ink_paper(rng, paper, "black marker", [(mask, 10, 10)])
    assert out.dtype == np.uint8 and out.shape == (40, 40, 3)
    assert out[20, 20].max() < 60 and out[2, 2].min() > 230


def test_free_colours_keep_contrast() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        paper = random_paper_colour(rng)
        ink = contrasting_ink_colour(rng, paper)
        assert luma(paper) >= 119.9 and luma(paper) - luma(ink) >= 44.9


def test_light_field_and_camera() -> None:
    rng = np.random.default_rng(4)
    light = light_field(rng, (48, 64), level=(0.9, 0.9), gradient=(0.0, 0.0), vignette=(0.4, 0.4))
    assert light.dtype == np.float32 and light.shape == (48, 64)
    assert light[24, 32] == pytest.approx(0.9, abs=1e-3) and light[0, 0] < light[24, 32]
    img = np.full((48, 64, 3), 128.0, np.float32)
    out = camera_photo(img, rng, blur_px=1.0, noise_sd=3.0, jpeg_quality=80)
    assert out.dtype == np.uint8 and out.shape == (48, 64, 3) and abs(float(out.mean()) - 128) < 2
    np.testing.assert_array_equal(camera_photo(img, rng), np.full((48, 64, 3), 128, np.uint8))


def _white_on_black_digit() -> np.ndarray:
    d = np.zeros((28, 28), np.uint8)
    cv2.putText(d, "4", (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 3, cv2.LINE_AA)
    return d


def test_realistic_crop_and_frame_are_photos_of_dark_ink() -> None:
    from benchmarks.realistic_render import FRAME_H, FRAME_W, make_crop, make_frame

    rng = np.random.default_rng(5)
    src = _white_on_black_digit()
    for _ in range(4):
        crop = make_crop(src, rng)
        assert crop.dtype == np.uint8 and crop.ndim == 3 and crop.shape[2] == 3
        frame, boxes = make_frame([src, src], rng)
        assert frame.shape == (FRAME_H, FRAME_W, 3) and frame.dtype == np.uint8 and len(boxes) == 2
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(float)
        for x, y, w, h in boxes:
            assert w > 0 and h > 0 and 0 <= x and x + w <= FRAME_W and 0 <= y and y + h <= FRAME_H
            assert grey[y : y + h, x : x + w].min() < np.median(grey)  # ink darker than the paper
