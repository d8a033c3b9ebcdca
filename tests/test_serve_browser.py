"""The live page in a real headless Chromium: the stream image loads and the reading changes.

``edge-run --serve`` runs the shipped digits model on the ``demo`` scene (paced like
a 30 fps camera, a new sheet of digits every 20 frames so the reading changes
within a second) on 127.0.0.1 with a token; Debian's Chromium, driven by Playwright,
opens ``/?token=...`` as a user would. It needs ``/usr/bin/chromium`` (apt-get install
chromium; ``EDGE_CHROMIUM`` names another binary) and the ``playwright`` package
(the ``[dev]`` extra); its browser download (``playwright install``) is never used.
Without them the test skips, except when ``CI`` is set: there it fails, so the
browser check cannot silently vanish from CI.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.bundle import SHIPPED
from edge.cli import run as cli_run
from edge.sources.demo import DemoSource

CHROMIUM = os.environ.get("EDGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "browser-test-token"
WAIT_MS = 20_000  # upper bound for a broken page, not a speed check


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}; .ci/run installs Debian's chromium and the [dev] extra")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright_api():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[dev]')")
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set EDGE_CHROMIUM)")
    return sync_playwright


class StoppableSource:
    """A source that ends when ``stop`` is set (the demo itself is endless)."""

    def __init__(self, inner, stop: threading.Event) -> None:
        self.inner, self.stop = inner, stop
        self.name, self.live, self.fps = inner.name, inner.live, inner.fps

    def read(self):
        return None if self.stop.is_set() else self.inner.read()

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def live_run():
    """``edge-run --serve 127.0.0.1:0 --token ...`` on the demo scene in a thread; yields the page URL."""
    stop = threading.Event()
    stats = cli_run.RunStats()
    errors: list[BaseException] = []
    cfg = cli_run.RunConfig(model="digits", display=False, serve=("127.0.0.1", 0), token=TOKEN)
    source = StoppableSource(DemoSource(3, segment_frames=20, realtime=True), stop)

    def target() -> None:
        try:
            cli_run.run_cli(cfg, stats, source=source)
        except BaseException as e:  # re-raised in the test's thread below
            errors.append(e)

    t = threading.Thread(target=target, name="test-edge-run")
    t.start()
    deadline = time.monotonic() + WAIT_MS / 1000
    while "serve" not in stats.outputs and not errors and t.is_alive():
        assert time.monotonic() < deadline, "the web view did not start"
        time.sleep(0.05)
    if errors:
        raise errors[0]
    try:
        yield stats.outputs["serve"] + f"?token={TOKEN}"
    finally:
        stop.set()
        t.join(WAIT_MS / 1000)
    assert not t.is_alive(), "edge-run did not stop"
    if errors:
        raise errors[0]
    assert stats.frames > 0


def test_page_shows_the_live_stream_and_a_changing_reading(playwright_api, live_run, tmp_path):
    with playwright_api() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1100, "height": 640},
        )
        try:
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(live_run, timeout=WAIT_MS)
            # The MJPEG <img> decodes a frame of the 640x480 scene. (Polled with evaluate():
            # wait_for_function would need 'unsafe-eval', which the page's CSP refuses.)
            deadline = time.monotonic() + WAIT_MS / 1000
            while not page.evaluate("document.getElementById('stream').naturalWidth"):
                assert time.monotonic() < deadline, "the stream image did not load"
                page.wait_for_timeout(100)
            assert page.evaluate("document.getElementById('stream').naturalWidth") == 640
            page.wait_for_selector("#conn.ok", timeout=WAIT_MS)  # the event stream is connected
            # The reading changes as new sheets of digits come by.
            readings: list[str] = []
            deadline = time.monotonic() + WAIT_MS / 1000
            while len(set(readings) - {"\u2013", ""}) < 3:
                assert time.monotonic() < deadline, f"the reading did not change: {readings}"
                text = page.inner_text("#reading").strip()
                if not readings or text != readings[-1]:
                    readings.append(text)
                page.wait_for_timeout(100)
            assert all(ch.isdigit() or ch in " \u2013" for r in readings for ch in r), readings
            fps = page.inner_text("#fps")
            assert float(fps) > 0, fps
            stages = page.eval_on_selector_all("#timings th", "els => els.map(e => e.textContent)")
            assert stages == ["segment", "preprocess", "classify", "smooth", "total"]
            assert page.inner_text("#model") == SHIPPED["digits"]
            shot = tmp_path / "live-view.png"
            page.screenshot(path=str(shot))
            assert not errors, errors
        finally:
            ctx.close()
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (640, 1100)
    assert float(np.std(img)) > 10  # not a blank page
