"""The MediaPipe reference worker and the hand frames it is timed on."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import hand_frames, mediapipe_ref


def _photo_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rock"
    d.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        img = rng.integers(0, 255, size=(120 + 10 * i, 90, 3), dtype=np.uint8)
        cv2.imwrite(str(d / f"{i}.png"), img)
    (d / "notes.txt").write_text("not an image")
    return tmp_path


def test_still_frames_have_the_size_and_hold_the_photo(tmp_path: Path) -> None:
    photos = hand_frames.hand_photos(_photo_dir(tmp_path))
    assert len(photos) == 3 and all(p.suffix == ".png" for p in photos)
    frames = hand_frames.still_frames(photos, size=(320, 240), seed=3)
    assert [f.shape for f in frames] == [(240, 320, 3)] * 3 and frames[0].dtype == np.uint8
    # the photo's noise is in the frame: the room alone is smooth
    room = hand_frames.room(np.random.default_rng(3), (320, 240))

    def edges(img: np.ndarray) -> float:
        return float(np.abs(cv2.Laplacian(img, cv2.CV_32F)).mean())

    assert edges(frames[0]) > 3 * edges(room)
    other = hand_frames.still_frames(photos, seed=4)[0]
    assert not np.array_equal(other, hand_frames.still_frames(photos)[0])


def test_held_hand_video_moves_a_little(tmp_path: Path) -> None:
    photo = hand_frames.hand_photos(_photo_dir(tmp_path))[0]
    v = hand_frames.held_hand_video(photo, n=10, size=(320, 240))
    assert len(v) == 10
    d = np.abs(v[0].astype(np.int16) - v[5].astype(np.int16)).mean()
    assert 0 < d < 60


def test_no_photos_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no images"):
        hand_frames.hand_photos(tmp_path)


def test_mediapipe_python_refuses_a_non_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="mediapipe==0.10.21"):
        mediapipe_ref.mediapipe_python(str(tmp_path / "nope"))
    monkeypatch.setenv(mediapipe_ref.VENV_ENV, str(tmp_path / "venv"))
    monkeypatch.delenv(mediapipe_ref.PYTHON_ENV, raising=False)
    assert mediapipe_ref.mediapipe_python(None) is None  # nothing cached, nothing built


def test_reference_worker_times_every_frame(tmp_path: Path) -> None:
    py = mediapipe_ref.mediapipe_python(None)
    if py is None:
        if os.environ.get("EDGE_REQUIRE_MEDIAPIPE_REF"):
            pytest.fail(
                "EDGE_REQUIRE_MEDIAPIPE_REF is set but no mediapipe environment is built: "
                "run python -m benchmarks.mediapipe_ref"
            )
        pytest.skip("no mediapipe 0.10.21 environment built (edge-bench ... --mediapipe-ref auto builds it)")
    frames = [np.full((240, 320, 3), 128, np.uint8)] * 3
    r = mediapipe_ref.run_reference(frames, py, static=True, warmup=1, repeat=2)
    assert r["mediapipe"] == "0.10.21" and len(r["latency_ms"]) == 6 and r["found"] == [0, 0, 0]
    assert all(t > 0 for t in r["latency_ms"])
