"""Reading images safely: sizes from headers, the pixel limit, one reader for edge-run and
edge-eval (alpha on white), a symbolic link loop named as such (issue 16, items 2 and 4)."""

from __future__ import annotations

import json
import struct
import zlib

import cv2
import numpy as np
import pytest

from edge.datasets import DatasetError
from edge.evaluate import read_image as eval_read_image
from edge.sources import open_source, read_image
from edge.sources.image_header import DEFAULT_MAX_PIXELS, MAX_PIXELS_ENV, image_size, max_image_pixels


def big_png(path, width: int, height: int) -> None:
    """A valid grey PNG of ``width`` x ``height`` zeros, compressed row by row (a few MB of
    memory whatever the size)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    z = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte 0 + one grey byte per pixel
    body = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b""))


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".webp", ".tiff", ".pgm", ".ppm", ".pbm"])
@pytest.mark.parametrize("channels", [1, 3])
def test_image_size_from_the_header_of_every_format(ext, channels):
    img = np.random.default_rng(0).integers(0, 256, (23, 37, channels), np.uint8)
    if ext == ".ppm":
        img = np.repeat(img[:, :, :1], 3, axis=2)
    if ext in (".pgm", ".pbm"):
        img = img[:, :, 0]
    ok, buf = cv2.imencode(ext, img)
    assert ok
    assert image_size(buf) == (37, 23)


def test_image_size_of_other_content_is_unknown():
    assert image_size(b"not an image at all") is None
    assert image_size(b"\x89PNG\r\n\x1a\n") is None  # truncated header
    assert image_size(b"") is None


def test_a_huge_png_is_refused_from_its_header(tmp_path):
    """60 MP of zeros in a 60 KB file: refused before decoding, with the size and the limit."""
    path = tmp_path / "huge.png"
    big_png(path, 10000, 6000)
    assert path.stat().st_size < 200_000
    with pytest.raises(ValueError, match=r"huge\.png.*10000x6000.*limit of 50 MP.*--max-image-pixels"):
        read_image(path)
    with pytest.raises(DatasetError, match="10000x6000"):
        eval_read_image(path)


def test_the_pixel_limit_can_be_raised_and_lowered(tmp_path, monkeypatch):
    path = tmp_path / "photo.png"
    big_png(path, 300, 200)
    assert read_image(path).shape == (200, 300, 3)
    with pytest.raises(ValueError, match="300x200"):
        read_image(path, max_pixels=59_999)
    monkeypatch.setenv(MAX_PIXELS_ENV, "50000")
    with pytest.raises(ValueError, match="limit of 0.05 MP"):
        open_source(str(path)).read()
    assert read_image(path, max_pixels=60_000).shape == (200, 300, 3)
    monkeypatch.setenv(MAX_PIXELS_ENV, "lots")
    with pytest.raises(ValueError, match=MAX_PIXELS_ENV):
        max_image_pixels()
    monkeypatch.delenv(MAX_PIXELS_ENV)
    assert max_image_pixels() == DEFAULT_MAX_PIXELS


def test_a_folder_skips_an_image_over_the_limit(tmp_path):
    big_png(tmp_path / "1.png", 300, 200)
    cv2.imwrite(str(tmp_path / "2.png"), np.full((10, 10, 3), 9, np.uint8))
    src = open_source(str(tmp_path), skip_unreadable=True, max_pixels=1000)
    frames = list(src)
    assert len(frames) == 1 and frames[0].image.shape == (10, 10, 3)
    assert [p.name for p in src.skipped] == ["1.png"]


def transparent_digit() -> np.ndarray:
    """uint8 (60, 40, 4) BGRA: a black 3 on fully transparent (0, 0, 0, 0) pixels, as many
    drawing programs save it."""
    img = np.zeros((60, 40, 4), np.uint8)
    cv2.putText(img, "3", (5, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (0, 0, 0, 255), 4)
    return img


def test_edge_eval_composites_alpha_on_white_like_edge_run(tmp_path):
    path = tmp_path / "three.png"
    cv2.imwrite(str(path), transparent_digit())
    run_img, eval_img = read_image(path), eval_read_image(path)
    assert eval_img.shape == (60, 40, 3)
    assert eval_img[0, 0].tolist() == [255, 255, 255]  # transparent background -> white
    assert eval_img.min() == 0  # the ink stays black
    np.testing.assert_array_equal(run_img, eval_img)


def test_a_symbolic_link_loop_is_named_as_such(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(ValueError, match="symbolic link loop") as e:
        open_source(str(a))
    assert "no such file" not in str(e.value)
    with pytest.raises(ValueError, match="a.png"):
        read_image(a)


def test_edge_eval_reads_a_transparent_digit_and_applies_the_pixel_limit(tmp_path, capsys):
    """The shipped digits model through edge-eval: a transparent PNG of a 3 is read as a 3
    (0/5 before: alpha dropped onto black); --max-image-pixels refuses, --skip-unreadable skips."""
    from edge.cli import eval as cli_eval

    folder = tmp_path / "photos" / "3"
    folder.mkdir(parents=True)
    for i in range(3):
        img = np.zeros((120, 90, 4), np.uint8)
        cv2.putText(
            img, "3", (10 + i, 100 - i), cv2.FONT_HERSHEY_SIMPLEX, 3.2, (0, 0, 0, 255), 9, cv2.LINE_AA
        )
        cv2.imwrite(str(folder / f"{i}.png"), img)
    args = ["--model", "digits", "--images", str(tmp_path / "photos"), "--json"]
    assert cli_eval.main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["correct"] == 3
    assert cli_eval.main([*args, "--max-image-pixels", "1000"]) == 2
    err = capsys.readouterr().err
    assert "0.png" in err and "90x120" in err and "--max-image-pixels" in err
    assert cli_eval.main([*args, "--max-image-pixels", "1000", "--skip-unreadable"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped_unreadable"] == 3
