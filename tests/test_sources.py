"""Frame sources: spec parsing, files, folders, the newest-frame camera thread,
picamera off a Pi, and the synthetic ``demo`` scene (the ``demo-hands`` scene has
test_demo_hands.py). No camera needed (except the test marked ``hardware``)."""

from __future__ import annotations

import glob
import sys
import threading
import time
import types

import cv2
import numpy as np
import pytest

from edge.sources import (
    CameraSource,
    FrameSource,
    ImageSource,
    LatestFrameReader,
    VideoFileSource,
    open_source,
    to_bgr,
)
from edge.sources.demo import DemoSource
from edge.sources.glyphs import DIGITS, glyph_variants
from edge.sources.handwriting import HandStyle, render_digit
from edge.sources.picamera import PiCameraSource
from edge.types import ROI, Frame

# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def assert_bgr_frame(frame: Frame, shape: tuple[int, int] | None = None) -> None:
    assert isinstance(frame, Frame)
    assert frame.image.dtype == np.uint8
    assert frame.image.ndim == 3 and frame.image.shape[2] == 3
    assert frame.image.flags["C_CONTIGUOUS"]
    if shape is not None:
        assert frame.image.shape[:2] == shape


class FakeCapture:
    """Stands in for cv2.VideoCapture: a 'camera' at about 500 fps whose frames carry
    their sequence number in the first two pixels."""

    instances: list[FakeCapture] = []
    frame_delay_s = 0.002
    fail = False
    opened = True

    def __init__(self, device, api=None, params=None) -> None:
        self.device, self.api, self.params = device, api, params
        self.produced = 0
        self.released = False
        self.props: dict[int, float] = {}
        FakeCapture.instances.append(self)

    def isOpened(self) -> bool:  # noqa: N802  (OpenCV's name)
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        defaults = {cv2.CAP_PROP_FRAME_WIDTH: 64.0, cv2.CAP_PROP_FRAME_HEIGHT: 48.0, cv2.CAP_PROP_FPS: 500.0}
        return self.props.get(prop, defaults.get(prop, 0.0))

    def read(self):
        time.sleep(self.frame_delay_s)
        if self.fail:
            return False, None
        self.produced += 1
        img = np.zeros((48, 64, 3), np.uint8)
        img[0, 0, 0], img[0, 0, 1] = self.produced % 256, self.produced // 256
        return True, img

    def release(self) -> None:
        self.released = True

    def getBackendName(self) -> str:  # noqa: N802
        return "FAKE"


def seq_of(frame: Frame) -> int:
    return int(frame.image[0, 0, 0]) + 256 * int(frame.image[0, 0, 1])


@pytest.fixture
def fake_cv2_capture(monkeypatch):
    FakeCapture.instances = []
    monkeypatch.setattr(FakeCapture, "fail", False)
    monkeypatch.setattr(FakeCapture, "opened", True)
    monkeypatch.setattr(FakeCapture, "frame_delay_s", 0.002)
    monkeypatch.setattr(cv2, "VideoCapture", FakeCapture)
    return FakeCapture


def write_video(path, n: int = 12, size: tuple[int, int] = (64, 48), fps: float = 10.0) -> None:
    fourcc = "MJPG" if path.suffix == ".avi" else "mp4v"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened()
    for i in range(n):
        img = np.zeros((size[1], size[0], 3), np.uint8)
        img[:, :, 2] = 255  # red in BGR
        img[:, : (i + 1) * size[0] // n, 1] = 200
        writer.write(img)
    writer.release()


@pytest.fixture
def fake_picamera2(monkeypatch):
    """A stand-in ``picamera2`` module whose RGB888 arrays are [B, G, R] = (10, 20, 30)."""
    module = types.ModuleType("picamera2")

    class Picamera2:
        last = None

        def __init__(self, camera_num=0):
            self.camera_num, self.config, self.started, self.closed = camera_num, None, False, False
            Picamera2.last = self

        def create_preview_configuration(self, main=None, controls=None):
            return {"main": dict(main), "controls": dict(controls or {})}

        def configure(self, config):
            self.config = config

        def start(self):
            self.started = True

        def capture_array(self, name="main", wait=None):
            w, h = self.config["main"]["size"]
            arr = np.empty((h, w, 3), np.uint8)
            arr[:] = (10, 20, 30)
            return arr

        def stop(self):
            self.started = False

        def close(self):
            self.closed = True

    module.Picamera2 = Picamera2
    monkeypatch.setitem(sys.modules, "picamera2", module)
    return Picamera2


# ---------------------------------------------------------------------------------------
# colour conversion
# ---------------------------------------------------------------------------------------


def test_to_bgr_converts_grey_bgra_and_16_bit():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = to_bgr(grey)
    assert out.shape == (3, 4, 3) and out.dtype == np.uint8
    assert np.array_equal(out[:, :, 0], grey) and np.array_equal(out[:, :, 2], grey)
    bgra = np.zeros((2, 2, 4), np.uint8)
    bgra[0, 0] = (0, 0, 0, 255)  # opaque black stays black; transparent becomes white
    out = to_bgr(bgra)
    assert out[0, 0].tolist() == [0, 0, 0] and out[1, 1].tolist() == [255, 255, 255]
    assert to_bgr(np.full((2, 2), 65535, np.uint16)).max() == 255
    with pytest.raises(ValueError):
        to_bgr(np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ValueError):
        to_bgr(np.zeros((2, 2, 3), np.float32))


# ---------------------------------------------------------------------------------------
# video files
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["clip.avi", "clip.mp4"])
def test_video_file_read_back(tmp_path, name):
    path = tmp_path / name
    write_video(path, n=12)
    with open_source(str(path)) as src:
        assert isinstance(src, VideoFileSource) and not src.live
        assert src.fps == pytest.approx(10.0)
        frames = list(src)
    assert len(frames) == 12
    for i, f in enumerate(frames):
        assert_bgr_frame(f, (48, 64))
        assert f.index == i
        assert f.truth is None
    assert frames[0].image[..., 2].mean() > 200 and frames[0].image[..., 0].mean() < 50  # red stays red
    ts = [f.timestamp for f in frames]
    assert ts[0] == pytest.approx(0.0, abs=1e-6)
    assert all(b > a for a, b in zip(ts, ts[1:], strict=False))
    assert ts[-1] == pytest.approx(1.1, abs=0.02)


def test_video_file_loop_keeps_time_increasing(tmp_path):
    path = tmp_path / "clip.avi"
    write_video(path, n=5)
    src = open_source(path, loop=True)
    frames = [src.read() for _ in range(12)]
    src.close()
    assert [f.index for f in frames] == list(range(12))
    ts = [f.timestamp for f in frames]
    assert all(b > a for a, b in zip(ts, ts[1:], strict=False))
    with pytest.raises(RuntimeError, match="closed"):
        src.read()


def test_video_file_errors(tmp_path):
    with pytest.raises(ValueError, match="demo"):
        open_source(str(tmp_path / "missing.mp4"))
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(RuntimeError, match="corrupt"):
        src = open_source(str(bad))
        src.read()  # some backends open anything and fail on the first frame


# ---------------------------------------------------------------------------------------
# images and folders
# ---------------------------------------------------------------------------------------


@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    colour = np.zeros((20, 30, 3), np.uint8)
    colour[:, :, 2] = 255
    cv2.imwrite(str(folder / "img2.png"), colour)
    cv2.imwrite(str(folder / "img10.png"), np.full((25, 35), 77, np.uint8))  # grey
    bgra = np.zeros((10, 10, 4), np.uint8)  # fully transparent
    cv2.imwrite(str(folder / "img11.png"), bgra)
    cv2.imwrite(str(folder / "img12.png"), np.full((8, 8), 65535, np.uint16))  # 16-bit grey
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_image_folder_natural_order_and_conversion(image_folder):
    with open_source(str(image_folder)) as src:
        assert isinstance(src, ImageSource) and not src.live
        assert [p.name for p in src.files] == ["img2.png", "img10.png", "img11.png", "img12.png"]
        frames = list(src)
    assert len(frames) == 4
    for i, f in enumerate(frames):
        assert_bgr_frame(f)
        assert f.index == i and f.timestamp == pytest.approx(float(i))
    assert frames[0].image[0, 0].tolist() == [0, 0, 255]
    assert frames[1].image.shape == (25, 35, 3) and np.all(frames[1].image == 77)
    assert np.all(frames[2].image == 255)  # transparent -> white
    assert np.all(frames[3].image == 255)  # 16-bit -> 8-bit


def test_image_folder_unreadable_file(image_folder):
    (image_folder / "img3.png").write_bytes(b"definitely not a png")
    src = ImageSource(image_folder)
    src.read()
    with pytest.raises(ValueError, match="img3.png"):
        src.read()
    frames = list(ImageSource(image_folder, skip_unreadable=True))
    assert len(frames) == 4


def test_single_image_and_loop(tmp_path):
    path = tmp_path / "digit.jpg"
    cv2.imwrite(str(path), np.full((16, 16, 3), 128, np.uint8))
    assert len(list(open_source(str(path)))) == 1
    src = open_source(str(path), loop=True, fps=5.0)
    frames = [src.read() for _ in range(3)]
    assert [f.index for f in frames] == [0, 1, 2]
    assert frames[2].timestamp == pytest.approx(0.4)


def test_image_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no images"):
        open_source(str(empty))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"")
    with pytest.raises(ValueError, match="bad.png"):
        open_source(str(bad)).read()
    with pytest.raises(ValueError, match="bad.png"):  # a single file is never skipped silently
        ImageSource(bad, skip_unreadable=True).read()
    txt = tmp_path / "notes.txt"
    txt.write_text("x")
    with pytest.raises(ValueError, match="neither a video"):
        open_source(str(txt))


# ---------------------------------------------------------------------------------------
# spec parsing
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "device"),
    [
        (0, 0),
        ("0", 0),
        ("2", 2),
        ("webcam", 0),
        ("webcam:1", 1),
        ("WEBCAM:3", 3),
        ("/dev/video0", "/dev/video0"),
    ],
)
def test_spec_cameras(fake_cv2_capture, spec, device):
    with open_source(spec, width=320, height=240, fps=15) as src:
        assert isinstance(src, CameraSource) and src.live
        cap = fake_cv2_capture.instances[-1]
        assert cap.device == device
        assert cap.props[cv2.CAP_PROP_FRAME_WIDTH] == 320 and cap.props[cv2.CAP_PROP_FPS] == 15
        assert_bgr_frame(src.read(), (48, 64))
    assert cap.released


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://cam.local/stream",
        "http://user:secret@10.0.0.2:8080/video",
        "https://example.org/x.mjpg",
        "udp://0.0.0.0:5000",
    ],
)
def test_spec_streams(fake_cv2_capture, url):
    with open_source(url) as src:
        assert isinstance(src, CameraSource) and src.live and src.is_stream
        assert "secret" not in src.name
        assert fake_cv2_capture.instances[-1].device == url


def test_spec_demo_and_picamera(fake_picamera2):
    src = open_source("demo")
    assert isinstance(src, DemoSource) and src.seed == 0 and not src.live
    assert open_source("demo:7").seed == 7
    assert open_source("demo", seed=5).seed == 5
    assert open_source("demo:7", seed=5).seed == 7  # the spec wins
    small = open_source("demo", width=320, height=240, fps=10, num_frames=2)
    frames = list(small)
    assert len(frames) == 2 and frames[1].timestamp == pytest.approx(0.1)
    assert_bgr_frame(frames[0], (240, 320))
    pi = open_source("picamera:1", width=320, height=240)
    assert isinstance(pi, PiCameraSource) and pi.live and fake_picamera2.last.camera_num == 1
    pi.close()


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "   ",
        "webcam:x",
        "demo:abc",
        "picamera:",
        "webcam:-1",
        "ftp://host/file",
        "no/such/file.mp4",
        "nothing_here",
    ],
)
def test_spec_errors(spec):
    with pytest.raises(ValueError):
        open_source(spec)


@pytest.mark.parametrize("spec", [True, 3.5, None, -1])
def test_spec_bad_types(spec):
    with pytest.raises(ValueError):
        open_source(spec)


def test_missing_path_message_suggests_demo():
    with pytest.raises(ValueError, match="--source demo"):
        open_source("no_such_video.mp4")


def test_spec_demo_hands():
    from edge.sources import DEMO_BY_TASK
    from edge.sources.demo_hands import HandsDemoSource

    src = open_source("demo-hands:3")
    assert isinstance(src, HandsDemoSource) and src.seed == 3 and not src.live
    assert open_source("demo-hands", seed=4).seed == 4
    frames = list(open_source("demo-hands", width=320, height=240, fps=10, num_frames=2))
    assert len(frames) == 2 and frames[1].timestamp == pytest.approx(0.1)
    assert_bgr_frame(frames[0], (240, 320))
    assert DEMO_BY_TASK == {"digits": "demo", "hands": "demo-hands"}
    assert isinstance(open_source("demo:3"), DemoSource)  # the digits demo is still itself


@pytest.mark.parametrize("spec", ["demo-hands:x", "demo-hands:", "demo-hand", "demohands:3", "demo-hands-3"])
def test_bad_demo_hands_specs_list_the_accepted_forms(spec):
    with pytest.raises(ValueError, match="demo-hands") as info:
        open_source(spec)
    assert "demo-hands" in str(info.value)


# ---------------------------------------------------------------------------------------
# cameras: opening failure and the newest-frame thread
# ---------------------------------------------------------------------------------------


def test_camera_that_does_not_exist_raises_with_hint():
    with pytest.raises(RuntimeError, match="--source demo"):
        open_source(99)


def test_camera_open_failure_with_fake(fake_cv2_capture):
    fake_cv2_capture.opened = False
    with pytest.raises(RuntimeError, match="cannot open camera"):
        CameraSource(0)
    assert fake_cv2_capture.instances[-1].released


def test_latest_frame_thread_drops_old_frames(fake_cv2_capture):
    with CameraSource(0) as src:
        cap = fake_cv2_capture.instances[-1]
        first = src.read()
        time.sleep(0.15)  # the fake camera makes ~50 frames meanwhile
        second = src.read()
        produced = cap.produced
        assert first.index == 0 and second.index == 1
        assert second.timestamp > first.timestamp
        assert seq_of(second) - seq_of(first) > 5  # the frames in between were skipped ...
        assert produced - seq_of(second) <= 3  # ... and the one returned is (nearly) the newest
        assert src.frames_dropped >= seq_of(second) - seq_of(first) - 1
        third = src.read()  # read() waits for a frame newer than the last one returned
        assert seq_of(third) > seq_of(second)


def test_camera_read_timeout_and_failure(fake_cv2_capture):
    fake_cv2_capture.frame_delay_s = 0.3
    with CameraSource(0, timeout_s=0.05) as src, pytest.raises(RuntimeError, match="no frame within"):
        src.read()
    fake_cv2_capture.frame_delay_s = 0.001
    fake_cv2_capture.fail = True
    with CameraSource(0, timeout_s=2.0) as src, pytest.raises(RuntimeError, match="stopped delivering"):
        src.read()
    with (
        CameraSource("rtsp://host/x", timeout_s=2.0) as src,
        pytest.raises(RuntimeError, match="stream ended"),
    ):
        src.read()  # a live stream has no normal end (see test_source_loss.py)


def test_latest_frame_reader_reports_backend_exception():
    def grab():
        raise OSError("driver exploded")

    reader = LatestFrameReader(grab, name="t").start()
    assert reader.latest(-1, timeout_s=2.0) is None
    assert isinstance(reader.error, OSError)
    assert reader.stop()


def test_latest_frame_reader_stop_is_prompt():
    n = {"i": 0}

    def grab():
        time.sleep(0.001)
        n["i"] += 1
        return True, np.zeros((2, 2, 3), np.uint8)

    reader = LatestFrameReader(grab).start()
    seq, _, _ = reader.latest(-1, timeout_s=2.0)
    assert seq >= 0
    assert reader.stop(timeout_s=2.0)
    assert reader.ended
    assert not any(t.name == "frame-reader" and t.is_alive() for t in threading.enumerate())


@pytest.mark.hardware
def test_real_webcam():
    if sys.platform.startswith("linux") and not glob.glob("/dev/video*"):
        pytest.skip("no camera device (/dev/video*) on this machine")
    with open_source(0) as src:
        frame = src.read()
        assert_bgr_frame(frame)


# ---------------------------------------------------------------------------------------
# picamera
# ---------------------------------------------------------------------------------------


def test_picamera_off_a_pi_raises_with_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # makes `import picamera2` fail
    with pytest.raises(RuntimeError, match="python3-picamera2") as info:
        open_source("picamera")
    assert "--system-site-packages" in str(info.value) and "--source demo" in str(info.value)
    assert isinstance(info.value.__cause__, ImportError)


def test_picamera_colour_order_and_config(fake_picamera2):
    with PiCameraSource(width=32, height=24, fps=20) as src:
        cam = fake_picamera2.last
        assert cam.config["main"] == {"size": (32, 24), "format": "RGB888"}
        assert cam.config["controls"] == {"FrameRate": 20.0}
        frame = src.read()
        assert_bgr_frame(frame, (24, 32))
        assert frame.image[0, 0].tolist() == [10, 20, 30]  # RGB888 is already [B, G, R]
    assert cam.closed
    with PiCameraSource(swap_rb=True) as src:
        assert src.read().image[0, 0].tolist() == [30, 20, 10]


# ---------------------------------------------------------------------------------------
# demo scene
# ---------------------------------------------------------------------------------------


def test_demo_frames_shape_time_and_truth():
    src = DemoSource(seed=1)
    assert isinstance(src, FrameSource) and not src.live and src.fps == 30.0
    for i in (0, 1, 75, 151, 302):
        f = src.render(i)
        assert_bgr_frame(f, (480, 640))
        assert f.index == i and f.timestamp == pytest.approx(i / 30.0)
        assert f.truth is not None and 1 <= len(f.truth) <= 5
        grey = cv2.cvtColor(f.image, cv2.COLOR_BGR2GRAY).astype(int)
        for label, roi in f.truth:
            assert label in DIGITS
            assert isinstance(roi, ROI) and roi.w >= 4 and roi.h >= 10
            assert roi.x >= 0 and roi.y >= 0 and roi.x + roi.w <= 640 and roi.y + roi.h <= 480
            # the box holds ink: its darkest pixels are clearly darker than the paper around it
            pad = roi.pad(0.3, (640, 480))
            ring = grey[pad.y : pad.y + pad.h, pad.x : pad.x + pad.w].copy()
            ring[roi.y - pad.y : roi.y - pad.y + roi.h, roi.x - pad.x : roi.x - pad.x + roi.w] = -1
            paper = np.median(ring[ring >= 0])
            box = grey[roi.y : roi.y + roi.h, roi.x : roi.x + roi.w]
            assert paper - np.percentile(box, 2) > 12, (i, label, roi)
        numbers = src.numbers(i)
        assert "".join(n for n, _ in numbers) == "".join(label for label, _ in f.truth)


def test_demo_is_deterministic_and_random_access():
    a, b = DemoSource(seed=3), DemoSource(seed=3)
    seq = [a.read() for _ in range(3)]
    assert np.array_equal(seq[2].image, b.render(2).image)
    assert seq[2].truth == b.render(2).truth
    assert np.array_equal(DemoSource(seed=3).render(200).image, b.render(200).image)
    other = DemoSource(seed=4).render(2)
    assert not np.array_equal(other.image, seq[2].image)


def test_demo_moves_over_time():
    src = DemoSource(seed=2)
    f0, f20 = src.render(0), src.render(20)
    assert np.abs(f0.image.astype(int) - f20.image.astype(int)).mean() > 1.0
    assert [label for label, _ in f0.truth] == [label for label, _ in f20.truth]  # same sheet
    assert f0.truth != f20.truth  # ... that has moved


def test_demo_digit_counts_and_limits():
    counts = set()
    src = DemoSource(seed=0, segment_frames=1)
    for i in range(24):
        counts.add(len(src.render(i).truth))
    assert counts <= {1, 2, 3, 4, 5} and len(counts) >= 3
    one = DemoSource(seed=0, segment_frames=1, max_digits=1)
    assert all(len(one.render(i).truth) == 1 for i in range(4))
    assert list(DemoSource(num_frames=3)) and len(list(DemoSource(num_frames=3))) == 3
    with pytest.raises(ValueError):
        DemoSource(max_digits=0)
    with pytest.raises(ValueError):
        DemoSource(width=10, height=10)


def test_demo_realtime_paces_and_drops():
    src = DemoSource(fps=200.0, realtime=True)
    assert src.live
    t = time.monotonic()
    f0, f1 = src.read(), src.read()
    assert f1.index > f0.index
    time.sleep(0.05)  # ~10 frame periods
    f2 = src.read()
    assert f2.index - f1.index >= 3  # a late consumer skips frames, like with a camera
    assert time.monotonic() - t < 2.0


@pytest.mark.parametrize("label", list(DIGITS))
def test_render_digit(label):
    rng = np.random.default_rng(0)
    masks = [render_digit(label, rng, 56, variant=v) for v in range(glyph_variants(label))]
    for m in masks:
        assert m.dtype == np.uint8 and m.ndim == 2
        assert m.max() == 255 and (m > 128).mean() > 0.02
        ys, xs = np.nonzero(m > 96)
        assert 48 <= ys.max() - ys.min() + 1 <= 60  # ink height ~ size_px
        assert m[0].max() == 0 and m[-1].max() == 0  # the margin stays blank
    again = render_digit(label, np.random.default_rng(0), 56, variant=0)
    assert np.array_equal(again, masks[0])
    style = HandStyle(slant=0.0, rotation_deg=0.0, jitter=0.0, warp=0.0)
    assert render_digit(label, np.random.default_rng(1), 40, style=style, stroke_px=3).shape[0] >= 40


def test_render_digit_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        render_digit("a", rng, 40)
    with pytest.raises(ValueError):
        render_digit("1", rng, 4)
