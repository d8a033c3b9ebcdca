"""edge-capture: key handling with simulated keys, the no-overwrite rule, headless capture
from a video and an image folder, what a saved sample holds, errors and Ctrl-C."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

from edge.bundle import SHIPPED, InputSpec, load_bundle
from edge.capture import (
    DIGIT_MARGIN,
    DIGIT_MARGIN_PX,
    KeyAction,
    SampleWriter,
    decide,
    image_to_input,
    input_to_image,
    key_map,
    parse_keys,
    raw_crop,
    sample_name,
    write_exclusive,
)
from edge.capture import samples as capture_samples
from edge.capture import session as capture_session
from edge.cli import capture as cli_capture
from edge.types import ROI, Frame

DIGITS = tuple(str(d) for d in range(10))
HANDS = ("rock", "paper", "scissors", "none")
GREY = InputSpec(shape=(1, 28, 28, 1), dtype="float32", colour_order="grey")
RGB = InputSpec(shape=(1, 8, 8, 3), dtype="float32", colour_order="RGB", value_range=(-1.0, 1.0))


# -- keys (pure) ------------------------------------------------------------------------
def test_key_map_from_the_bundle_labels():
    digits = key_map(DIGITS)
    assert {chr(k): v for k, v in digits.items()} == {d: d for d in DIGITS}
    hands = key_map(HANDS)
    assert hands[ord("r")] == hands[ord("R")] == "rock"
    assert hands[ord("p")] == "paper" and hands[ord("s")] == "scissors" and hands[ord("n")] == "none"
    assert len(hands) == 8


def test_key_map_collisions_and_quit_key_are_clear_errors():
    with pytest.raises(ValueError, match=r"'paper' and 'pen'.*--keys"):
        key_map(["paper", "pen"])
    with pytest.raises(ValueError, match=r"'queen'.*quits"):
        key_map(["queen", "king"])
    fixed = key_map(["paper", "pen", "queen"], parse_keys("e=pen,u=queen"))
    assert fixed[ord("p")] == "paper" and fixed[ord("e")] == "pen" and fixed[ord("u")] == "queen"
    with pytest.raises(ValueError, match="not a label"):
        key_map(HANDS, {"x": "lizard"})
    with pytest.raises(ValueError, match="KEY=LABEL"):
        parse_keys("rock")
    with pytest.raises(ValueError, match="KEY=LABEL"):
        parse_keys("ro=rock")


@pytest.mark.parametrize(
    "key, has_det, want",
    [
        (-1, True, KeyAction("idle")),
        (ord("q"), True, KeyAction("quit", key=ord("q"))),
        (27, False, KeyAction("quit", key=27)),
        (ord("r"), True, KeyAction("save", "rock", ord("r"))),
        (ord("S"), True, KeyAction("save", "scissors", ord("S"))),
        (ord("p"), False, KeyAction("no_detection", "paper", ord("p"))),
        (ord("x"), True, KeyAction("unknown", key=ord("x"))),
        (ord("x"), False, KeyAction("unknown", key=ord("x"))),
    ],
)
def test_decide(key, has_det, want):
    assert decide(key, key_map(HANDS), has_det) == want


# -- names and files --------------------------------------------------------------------
def test_sample_names_match_the_training_loader():
    hand_data = pytest.importorskip("train.hand_data")
    assert sample_name("alice", 7) == hand_data.capture_name("alice", 7, ".png") == "alice__00007.png"
    stem = sample_name("alice-desk.2", 12).removesuffix(".png")
    assert hand_data.group_of("my-captures", stem) == "alice-desk.2"
    for bad in ("", "a__b", "a/b", ".hidden", "x y"):
        with pytest.raises(ValueError, match="session"):
            sample_name(bad, 1)


def test_write_exclusive_never_overwrites(tmp_path):
    p = tmp_path / "a.png"
    assert write_exclusive(p, b"first")
    assert not write_exclusive(p, b"second")
    assert p.read_bytes() == b"first"
    assert [f.name for f in tmp_path.iterdir()] == ["a.png"]  # no temporary file left


def _input(value: float) -> np.ndarray:
    return np.full((28, 28, 1), value, np.float32)


def test_writer_continues_numbering_and_leaves_existing_files_alone(tmp_path):
    out, raw = tmp_path / "caps", tmp_path / "caps-raw"
    (out / "3").mkdir(parents=True)
    old = {"s1__00001.png": b"old one", "s1__00003.png": b"old three", "other.png": b"x"}
    for name, data in old.items():
        (out / "3" / name).write_bytes(data)
    crop = np.zeros((10, 12, 3), np.uint8)
    w = SampleWriter(out, raw, DIGITS, GREY, "s1")
    assert w.before["3"] == 3
    a = w.save("3", _input(0.5), crop)
    b = w.save("3", _input(0.25), crop)
    assert (a.sample.name, b.sample.name) == ("s1__00004.png", "s1__00005.png")
    assert a.raw == raw / "3" / "s1__00004.png" and a.raw.is_file()
    for name, data in old.items():
        assert (out / "3" / name).read_bytes() == data
    assert w.count("3") == 5 and len(list((out / "3").glob("*.png"))) == 5
    # a second session starts at 1; a later run of the same session continues
    assert (
        SampleWriter(out, raw, DIGITS, GREY, "s2").save("3", _input(0.5), crop).sample.name == "s2__00001.png"
    )
    assert (
        SampleWriter(out, raw, DIGITS, GREY, "s1").save("3", _input(0.5), crop).sample.name == "s1__00006.png"
    )
    with pytest.raises(ValueError, match="not one of"):
        w.save("x", _input(0.5), crop)


def test_two_writers_racing_for_a_name_do_not_clash(tmp_path, monkeypatch):
    out, raw = tmp_path / "caps", tmp_path / "caps-raw"
    crop = np.zeros((4, 4, 3), np.uint8)
    first = SampleWriter(out, raw, DIGITS, GREY, "s")
    taken = [first.save("7", _input(1.0), crop).sample for _ in range(3)]
    before = [p.read_bytes() for p in taken]
    # the other process looked at the folder before these were written: it believes 1 is free
    monkeypatch.setattr(capture_samples, "highest_index", lambda folder, session: 0)
    second = SampleWriter(out, raw, DIGITS, GREY, "s")
    s = second.save("7", _input(0.0), crop)
    assert s.sample.name == "s__00004.png" and s.raw is not None and s.raw.name == "s__00004.png"
    assert [p.read_bytes() for p in taken] == before
    # a stray raw crop without its sample: its number is skipped, the stray file kept
    (raw / "7" / "s__00005.png").write_bytes(b"stray")
    assert second.save("7", _input(0.0), crop).sample.name == "s__00006.png"
    assert (raw / "7" / "s__00005.png").read_bytes() == b"stray"
    assert not (out / "7" / "s__00005.png").exists()


def test_interrupted_save_leaves_neither_file(tmp_path, monkeypatch):
    out, raw = tmp_path / "caps", tmp_path / "caps-raw"
    real = capture_samples.write_exclusive

    def interrupted_on_raw(path, data):
        if raw in path.parents:
            raise KeyboardInterrupt
        return real(path, data)

    monkeypatch.setattr(capture_samples, "write_exclusive", interrupted_on_raw)
    w = SampleWriter(out, raw, DIGITS, GREY, "s")
    with pytest.raises(KeyboardInterrupt):
        w.save("1", _input(0.5), np.zeros((4, 4, 3), np.uint8))
    assert list(out.rglob("*")) == [out / "1"] and list(raw.rglob("*")) == [raw / "1"]
    assert w.total_saved == 0


def test_raw_crops_may_not_go_inside_the_capture_folder(tmp_path):
    with pytest.raises(ValueError, match="raw crops"):
        SampleWriter(tmp_path / "caps", tmp_path / "caps" / "raw", DIGITS, GREY, "s")


def test_input_image_round_trip_grey_and_rgb():
    x = (np.arange(28 * 28, dtype=np.float32).reshape(28, 28, 1) % 256) / 255.0
    img = input_to_image(x, GREY)
    assert img.shape == (28, 28) and img.dtype == np.uint8
    np.testing.assert_allclose(image_to_input(img, GREY), x, atol=0.5 / 255 + 1e-6)
    red = np.zeros((8, 8, 3), np.float32) - 1.0
    red[:, :, 0] = 1.0  # RGB red in [-1, 1]
    bgr = input_to_image(red, RGB)
    assert bgr.shape == (8, 8, 3) and bgr[0, 0].tolist() == [0, 0, 255]  # stored as true red
    np.testing.assert_allclose(image_to_input(bgr, RGB), red, atol=1e-6)
    with pytest.raises(ValueError, match="expects"):
        input_to_image(np.zeros((27, 28, 1), np.float32), GREY)


def test_raw_crop_uses_the_preprocessors_margin():
    from edge.preprocess import HandPreprocessor, MnistPreprocessor

    frame = np.arange(120 * 160 * 3, dtype=np.uint32).reshape(120, 160, 3).astype(np.uint8)
    roi = ROI(50, 40, 20, 30)
    crop = raw_crop(frame, roi, MnistPreprocessor())
    pad = round(DIGIT_MARGIN * 30) + DIGIT_MARGIN_PX  # 8 px
    assert crop.shape == (30 + 2 * pad, 20 + 2 * pad, 3)
    np.testing.assert_array_equal(crop, frame[40 - pad : 70 + pad, 50 - pad : 70 + pad])
    edge_roi = ROI(0, 0, 10, 10)  # clipped at the frame's corner
    assert raw_crop(frame, edge_roi, MnistPreprocessor()).shape == (14, 14, 3)
    hands = HandPreprocessor(load_bundle("hands-lenet"))
    hand = raw_crop(frame, ROI(140, 10, 40, 20), hands)  # square, leaves the frame on the right
    assert hand.shape == (40, 40, 3)
    np.testing.assert_array_equal(hand, hands.crop(frame, ROI(140, 10, 40, 20)))


# -- the loop with simulated keys ------------------------------------------------------------
def digit_frame(d: str, size: tuple[int, int] = (320, 240)) -> np.ndarray:
    """A uint8 BGR frame with one printed digit that the digit segmenter finds."""
    img = np.full((size[1], size[0], 3), 235, np.uint8)
    cv2.putText(
        img,
        d,
        (size[0] // 2 - 40, size[1] // 2 + 50),
        cv2.FONT_HERSHEY_SIMPLEX,
        4,
        (40, 40, 40),
        9,
        cv2.LINE_AA,
    )
    return img


class ListSource:
    """Frames from a list of images; raises KeyboardInterrupt at ``interrupt_at``."""

    name, live, fps = "list", False, 10.0

    def __init__(self, images, interrupt_at=None):
        self.images, self.i, self.interrupt_at, self.closed = list(images), 0, interrupt_at, False

    def read(self):
        if self.i == self.interrupt_at:
            raise KeyboardInterrupt
        if self.i >= len(self.images):
            return None
        f = Frame(self.images[self.i], self.i / self.fps, self.i)
        self.i += 1
        return f

    def close(self):
        self.closed = True


class KeyReader:
    """Stands in for the window: records what is shown and replays keys, one per frame."""

    closed = False

    def __init__(self, keys):
        self.keys, self.shown = list(keys), []

    def show(self, image, wait_ms=1):
        self.shown.append(image)
        return self.keys.pop(0) if self.keys else -1


def test_simulated_keys_save_only_what_they_should(tmp_path):
    blank = np.full((240, 320, 3), 235, np.uint8)
    frames = [
        digit_frame("3"),
        digit_frame("3"),
        blank,
        digit_frame("5"),
        digit_frame("5"),
        digit_frame("5"),
        digit_frame("5"),
    ]
    keys = [-1, ord("3"), ord("4"), ord("x"), -1, ord("q"), ord("5")]  # the last is never read
    src, reader = ListSource(frames), KeyReader(keys)
    cfg = cli_capture.CaptureConfig(out=str(tmp_path / "caps"), session="k")
    stats = cli_capture.run_capture(cfg, source=src, display=reader)
    assert [a.kind for a in stats.key_presses] == ["save", "no_detection", "unknown", "quit"]
    assert stats.frames == 6 and stats.frames_with_detection == 5 and src.closed
    assert len(reader.shown) == 6 and reader.shown[0].shape == (240, 320, 3)
    assert not np.array_equal(reader.shown[0], frames[0])  # boxes and counters drawn
    saved = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png"))
    assert saved == ["caps-raw/3/k__00001.png", "caps/3/k__00001.png"]
    # the sample is the exact model input of the frame's ROI (28x28 grey, the bundle's input)
    spec = load_bundle("digits").input
    img = cv2.imread(str(tmp_path / "caps/3/k__00001.png"), cv2.IMREAD_UNCHANGED)
    assert img.dtype == np.uint8 and img.shape == (spec.height, spec.width) and spec.channels == 1
    from edge.preprocess import MnistPreprocessor
    from edge.segment.digits import DigitSegmenter

    rois = DigitSegmenter().find(frames[1])
    want = MnistPreprocessor()(frames[1], rois[:1])[0]
    np.testing.assert_allclose(image_to_input(img, spec), want, atol=0.5 / 255 + 1e-6)
    raw = cv2.imread(str(tmp_path / "caps-raw/3/k__00001.png"))
    assert raw.shape[0] > rois[0].h and raw.shape[1] > rois[0].w  # the ROI with its margin


def test_hands_sample_is_the_hands_model_input(tmp_path):
    spec = load_bundle("hands-lenet").input
    cfg = cli_capture.CaptureConfig(
        model="hands-lenet",
        source="demo-hands",
        out=str(tmp_path / "h"),
        session="h",
        label="paper",
        display=False,
        max_frames=6,
        every=3,
        no_raw=True,
    )
    stats = cli_capture.run_capture(cfg)
    files = sorted((tmp_path / "h" / "paper").glob("*.png"))
    assert stats.writer is not None and stats.writer.total_saved == len(files) >= 1
    assert len(files) <= 2  # frames 0 and 3 only
    assert not (tmp_path / "h-raw").exists()
    img = cv2.imread(str(files[0]), cv2.IMREAD_UNCHANGED)
    assert img.dtype == np.uint8 and img.shape == (spec.height, spec.width, spec.channels)


# -- headless from files -------------------------------------------------------------------
def write_video(path, frames, fps=10.0):
    h, w = frames[0].shape[:2]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    assert vw.isOpened(), "OpenCV cannot write mp4 here"
    for f in frames:
        vw.write(f)
    vw.release()


def test_headless_from_a_video_every_and_count(tmp_path, capsys):
    video = tmp_path / "sevens.mp4"
    write_video(video, [digit_frame("7") for _ in range(11)])
    out = tmp_path / "caps"
    argv = ["--source", str(video), "--headless", "--label", "7", "--out", str(out), "--session", "vid"]
    assert cli_capture.main([*argv, "--every", "5"]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    names = sorted(p.name for p in (out / "7").glob("*.png"))
    assert names == ["vid__00001.png", "vid__00002.png", "vid__00003.png"]  # frames 0, 5, 10
    assert sorted(p.name for p in (tmp_path / "caps-raw" / "7").glob("*.png")) == names
    assert "11 frames, 11 with a detection" in printed and "7: +3" in printed
    first = [(out / "7" / n).read_bytes() for n in names]
    # a second run continues the numbering, stops at --count, and keeps the first files
    assert cli_capture.main([*argv, "--count", "4"]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in (out / "7").glob("*.png")) == [f"vid__{i:05d}.png" for i in range(1, 8)]
    assert [(out / "7" / n).read_bytes() for n in names] == first
    assert "7: +4 (vid__00004.png .. vid__00007.png), 7 in" in printed and "4 frames" in printed


def test_headless_from_an_image_folder(tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(4):
        cv2.imwrite(str(photos / f"two_{i}.png"), digit_frame("2"))
    cv2.imwrite(str(photos / "empty.png"), np.full((240, 320, 3), 235, np.uint8))
    out = tmp_path / "mine"
    assert (
        cli_capture.main(
            [
                "--source",
                str(photos),
                "--headless",
                "--label",
                "2",
                "--out",
                str(out),
                "--raw-out",
                str(tmp_path / "crops"),
                "--session",
                "img",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert len(list((out / "2").glob("*.png"))) == 4
    assert len(list((tmp_path / "crops" / "2").glob("*.png"))) == 4
    assert "5 frames, 4 with a detection" in printed and "2: +4" in printed
    # the raw crops are a class-folder photo dataset edge-eval reads as it is
    from edge.cli import eval as cli_eval

    assert cli_eval.main(["--model", "digits", "--images", str(tmp_path / "crops"), "--json"]) == 0
    assert '"n": 4' in capsys.readouterr().out


# -- errors, Ctrl-C, the module entry point --------------------------------------------------
def test_bad_input_exits_2_with_what_to_do(tmp_path, capsys):
    base = ["--out", str(tmp_path / "c"), "--headless"]
    assert cli_capture.main([*base, "--source", "demo", "--label", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --label 'x' is not a label of {SHIPPED['digits']}") and "0, 1, 2" in err
    assert cli_capture.main([*base, "--source", "demo"]) == 2
    assert "--label LABEL" in capsys.readouterr().err
    assert cli_capture.main([*base, "--source", str(tmp_path / "missing.mp4"), "--label", "1"]) == 2
    assert "missing.mp4" in capsys.readouterr().err
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 500)
    assert cli_capture.main([*base, "--source", str(bad), "--label", "1"]) == 2
    err = capsys.readouterr().err
    assert "broken.mp4" in err and "Traceback" not in err
    assert cli_capture.main([*base, "--source", "demo", "--label", "1", "--session", "a__b"]) == 2
    assert "session" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_window_asked_for_where_none_exists(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(capture_session, "display_available", lambda: (False, "no display (test)"))
    assert cli_capture.main(["--source", "demo", "--display", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "no display (test)" in err and "--headless --label" in err
    assert cli_capture.main(["--source", "demo", "--out", str(tmp_path / "c")]) == 2  # auto: no keys
    assert "no display (test)" in capsys.readouterr().err and not (tmp_path / "c").exists()


def test_window_through_main_with_keys(tmp_path, monkeypatch, capsys):
    class Window(KeyReader):
        def __init__(self, title):
            super().__init__([ord("r"), ord("n"), ord("p"), 27])

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    monkeypatch.setattr(capture_session, "display_available", lambda: (True, ""))
    monkeypatch.setattr(capture_session, "DisplaySink", Window)
    code = cli_capture.main(
        ["--model", "hands-lenet", "--source", "demo-hands", "--out", str(tmp_path / "h"), "--session", "w"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "r rock, p paper, s scissors, n none; q/Esc quit" in err
    saved = {p.parent.name for p in (tmp_path / "h").rglob("*.png")}
    assert saved == {"rock", "none", "paper"} and "4 frames" in out


def test_no_detection_at_all_says_what_to_check(tmp_path, capsys):
    blank = np.full((240, 320, 3), 235, np.uint8)
    stats = cli_capture.run_capture(
        cli_capture.CaptureConfig(out=str(tmp_path / "c"), label="1"),
        source=ListSource([blank] * 3),
        display=KeyReader([]),
    )
    assert stats.frames == 3 and stats.frames_with_detection == 0
    assert any("--source demo" in line for line in stats.summary())


def test_colliding_keys_error_names_the_fix(tmp_path):
    cfg = cli_capture.CaptureConfig(out=str(tmp_path / "c"), keys="3=4")
    with pytest.raises(ValueError, match="both use the key '3'"):
        cli_capture.run_capture(cfg, source=ListSource([]), display=KeyReader([]))


def test_ctrl_c_keeps_whole_files_and_reports_them(tmp_path, monkeypatch, capsys):
    src = ListSource([digit_frame("8")] * 5, interrupt_at=3)
    monkeypatch.setattr(capture_session, "open_source", lambda spec, **kw: src)
    code = cli_capture.main(
        ["--source", "x", "--headless", "--label", "8", "--out", str(tmp_path / "c"), "--session", "ctl"]
    )
    out, err = capsys.readouterr()
    assert code == 130 and "interrupted" in err and src.closed
    assert "8: +3 (ctl__00001.png .. ctl__00003.png)" in out
    files = sorted(tmp_path.rglob("*.png"))
    assert len(files) == 6 and all(cv2.imread(str(f)) is not None for f in files)
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]  # no temporary file


def test_python_m_edge_cli_capture_help():
    r = subprocess.run(
        [sys.executable, "-m", "edge.cli.capture", "--help"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and "--label" in r.stdout and "--every" in r.stdout and "q/Esc" in r.stdout
