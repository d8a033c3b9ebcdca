"""train.personal_video: stand-in videos of one handwriting style for the retraining loop."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from train.personal_video import FRAME_SIZE, draw_glyph, main, write_video


def test_draw_glyph_is_an_ink_mask() -> None:
    rng = np.random.default_rng(0)
    for d in range(10):
        g = draw_glyph(d, rng)
        assert g.shape == (112, 112) and g.dtype == np.uint8
        assert 0.02 < (g > 128).mean() < 0.5  # ink, but not a filled square
    a, b = draw_glyph(0, np.random.default_rng(1)), draw_glyph(0, np.random.default_rng(2))
    assert not np.array_equal(a, b)  # each instance differs
    with pytest.raises(ValueError, match="0..9"):
        draw_glyph(10, rng)


def test_write_video_frames_and_instances(tmp_path: Path) -> None:
    path = tmp_path / "digit-7.mp4"
    assert write_video(path, 7, frames=12, hold=4, seed=0) == 3
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    assert len(frames) == 12 and frames[0].shape == (FRAME_SIZE[1], FRAME_SIZE[0], 3)
    grey = cv2.cvtColor(frames[0], cv2.COLOR_BGR2GRAY)
    assert np.median(grey) > 150 and grey.min() < 100  # light paper, dark ink


def test_main_writes_one_video_per_digit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--frames", "3", "--hold", "1", "--digits", "05"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digit-0.mp4", "digit-5.mp4"]
    assert "3 instances" in capsys.readouterr().out
    assert main(["--out", str(tmp_path), "--frames", "0"]) == 2
