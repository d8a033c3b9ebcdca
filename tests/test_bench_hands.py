"""``edge-bench`` for the hands pipeline (palm detector + landmarks): the comparison with
MediaPipe's graph on fabricated timings, the pipeline command on generated stills, and
``edge-bench latency`` on the MediaPipe files. No timed assertions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from benchmarks.cli import main, parse_config
from benchmarks.hands_compare import criteria, format_comparison, mediapipe_video_over_still, side_row
from benchmarks.latency_compare import MODEL_GROUPS, expand_models
from tests.hand_models import require_hand_models


# -- the comparison table's maths -----------------------------------------------------------
def test_side_row_summarises_one_run() -> None:
    lat = [10.0, 20.0, 30.0, 40.0, 1000.0]
    r = side_row(
        "ours",
        "still",
        1,
        "full",
        lat,
        [1, 1, 0, 2, 1],
        cpu_ms=[5.0] * 5,
        palm_share=1.0,
        palm_ms=7.5,
        landmarks_ms=3.0,
    )
    assert r["median_ms"] == 30.0 and r["n"] == 5
    assert r["p99_ms"] == pytest.approx(np.percentile(lat, 99)) and r["p99_ms"] > 900
    assert r["found"] == "4/5" and r["found_frames"] == 4 and r["found_share"] == pytest.approx(0.8)
    assert r["cpu_over_wall"] == pytest.approx(25.0 / 1100.0) and r["cpu_median_ms"] == 5.0
    assert (r["palm_share"], r["palm_ms"], r["landmarks_ms"]) == (1.0, 7.5, 3.0)
    # MediaPipe timed several passes: hands found are of the first pass only
    m = side_row("mediapipe", "still", "1", "lite", [1.0] * 6, [1, 0, 1])
    assert m["found"] == "2/3" and m["n"] == 6 and m["cpu_over_wall"] is None and m["cpu_median_ms"] is None


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("theirs", "still"), "side must be"),
        (("ours", "photo"), "frames must be"),
    ],
)
def test_side_row_refuses_bad_input(args: tuple[str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        side_row(args[0], args[1], 1, "lite", [1.0], [1])
    with pytest.raises(ValueError, match="no latency"):
        side_row("ours", "still", 1, "lite", [], [])


def _rows(
    ours_still: dict[int, float],
    ours_video: dict[int, float],
    mp_still: float | None,
    mp_video: float | None = None,
) -> list[dict[str, Any]]:
    rows = []
    for t, ms in ours_still.items():
        rows.append(side_row("ours", "still", t, "full", [ms], [1], palm_share=1.0))
        rows.append(side_row("ours-bare", "still", t, "full", [ms / 2], [1], palm_share=1.0))
    for t, ms in ours_video.items():
        rows.append(side_row("ours", "video", t, "full", [ms], [1], palm_share=0.01))
    if mp_still is not None:
        rows.append(side_row("mediapipe", "still", "1", "lite", [mp_still], [1]))
        rows.append(side_row("mediapipe", "still", "1", "full", [1.0], [1]))  # not the reference
    if mp_video is not None:
        rows.append(side_row("mediapipe", "video", "1", "lite", [mp_video], [1]))
    return rows


def test_criteria_per_thread_count() -> None:
    rows = _rows({1: 20.0, 2: 12.0}, {1: 10.0, 2: 6.0}, mp_still=15.0, mp_video=6.0)
    c = {x["threads"]: x for x in criteria(rows)}
    assert set(c) == {1, 2}
    # 1 thread: slower than MediaPipe's lite graph, tracking 0.5x still
    assert c[1]["still_vs_mediapipe"] == pytest.approx(20 / 15) and c[1]["still_pass"] is False
    assert c[1]["video_over_still"] == pytest.approx(0.5) and c[1]["video_pass"] is True
    assert c[1]["mediapipe_still_ms"] == 15.0 and c[1]["video_palm_share"] == 0.01
    # 2 threads: faster than MediaPipe; 0.5 <= 0.6
    assert c[2]["still_vs_mediapipe"] == pytest.approx(0.8) and c[2]["still_pass"] is True
    assert mediapipe_video_over_still(rows) == pytest.approx(0.4)
    # the boundaries pass: equal to MediaPipe, video exactly 0.6x still
    b = criteria(_rows({1: 15.0}, {1: 9.0}, mp_still=15.0))[0]
    assert b["still_pass"] is True and b["video_pass"] is True
    worse = criteria(_rows({1: 15.0}, {1: 9.3}, mp_still=14.9))[0]
    assert worse["still_pass"] is False and worse["video_pass"] is False


def test_criteria_without_a_side_are_unknown() -> None:
    c = criteria(_rows({1: 20.0}, {}, mp_still=None))[0]
    assert c["still_vs_mediapipe"] is None and c["still_pass"] is None
    assert c["still_vs_mediapipe_cpu"] is None and c["video_over_still_cpu"] is None  # no CPU times
    assert c["video_over_still"] is None and c["video_pass"] is None
    assert criteria(_rows({}, {1: 5.0}, mp_still=3.0)) == []  # no still row of ours: nothing to judge
    assert mediapipe_video_over_still(_rows({1: 1.0}, {}, mp_still=3.0)) is None


def test_criteria_on_cpu_time() -> None:
    rows = [
        side_row("ours", "still", 1, "full", [40.0], [1], cpu_ms=[30.0]),
        side_row("ours", "video", 1, "full", [30.0], [1], cpu_ms=[9.0]),
        side_row("mediapipe", "still", "1", "lite", [16.0], [1], cpu_ms=[15.0]),
    ]
    [c] = criteria(rows)
    assert c["still_vs_mediapipe_cpu"] == pytest.approx(2.0)
    assert c["video_over_still_cpu"] == pytest.approx(0.3)
    assert c["still_vs_mediapipe"] == pytest.approx(2.5) and c["video_over_still"] == pytest.approx(0.75)


def test_format_comparison_shows_rows_and_verdicts() -> None:
    rows = _rows({1: 20.0, 2: 12.0}, {1: 10.0, 2: 6.0}, mp_still=15.0, mp_video=6.0)
    text = format_comparison(rows, criteria(rows))
    assert "ours-bare" in text and "mediapipe" in text and "FAIL" in text and "PASS" in text
    assert "0.40" in text  # MediaPipe's own video / still
    md = format_comparison(rows, criteria(rows), markdown=True)
    assert md.count("| ours | ") == 4 and "|---" in md


def test_hands_pretrained_expands_to_the_four_files() -> None:
    four = expand_models(["hands-pretrained"])
    assert len(four) == 4 and four == list(MODEL_GROUPS["hands-pretrained"])
    assert {m.split("-")[1] for m in four} == {"palm", "hand"}
    assert expand_models(["digits", "hands-pretrained", "digits"])[0] == "digits"
    assert len(expand_models(["digits", "hands-pretrained", "digits"])) == 5
    cfg, _ = parse_config(["latency", "--model", "hands-pretrained"])
    assert cfg.models == four  # type: ignore[union-attr]


def test_mediapipe_ref_implies_both_kinds_of_frames(tmp_path: Path) -> None:
    cfg, _ = parse_config(["pipeline", "--model", "digits", "--source", str(tmp_path), "--mediapipe-ref"])
    assert cfg.mediapipe_ref == "auto" and cfg.hand_frames == "both"  # type: ignore[union-attr]


# -- edge-bench pipeline --model hands on generated stills ------------------------------------
def _stills(tmp_path: Path) -> Path:
    d = tmp_path / "photos" / "rock"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        img = np.full((240, 180, 3), (90, 140, 200), np.uint8)  # a skin-coloured patch with noise
        img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
        cv2.ellipse(img, (90, 140), (50, 70), 0, 0, 360, (60, 110, 180), -1)
        cv2.imwrite(str(d / f"{i}.png"), img)
    return d.parent


def test_pipeline_hands_on_generated_stills_writes_its_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    require_hand_models("full")
    calls: list[dict[str, Any]] = []

    def fake_reference(frames: list[np.ndarray], python: Path, **kw: Any) -> dict[str, Any]:
        calls.append({"n": len(frames), **kw})
        return {
            "latency_ms": [5.0] * len(frames),
            "cpu_ms": [5.0] * len(frames),
            "found": [1] * len(frames),
            "mediapipe": "0.10.21",
            "model_complexity": kw["model_complexity"],
        }

    import benchmarks.mediapipe_ref as mref

    monkeypatch.setattr(mref, "run_reference", fake_reference)
    monkeypatch.setattr(mref, "mediapipe_python", lambda setting=None: Path("/fake/python"))
    out, j = tmp_path / "out", tmp_path / "hands.json"
    rc = main(
        [
            "pipeline",
            "--model",
            "hands",
            "--source",
            str(_stills(tmp_path)),
            "--hand-frames",
            "both",
            "--frames",
            "3",
            "--video-frames",
            "4",
            "--warmup",
            "1",
            "--threads",
            "1",
            "--compare-threads",
            "1",
            "--mediapipe-ref",
            "/fake/python",
            "--invoke-runs",
            "5",
            "--no-outputs",
            "--out",
            str(out),
            "--json",
            str(j),
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0
    assert "palm detector ran on 100.0% of the frames" in text and "speed criteria" in text
    doc = json.loads(j.read_text())
    metrics = {r["metric"] for r in doc["results"]}
    assert {"palm", "landmarks", "preprocess", "classify", "process"} <= metrics
    assert doc["pipeline"]["palm_share"] == 1.0
    comp = doc["hands_comparison"]
    sides = {(r["side"], r["frames"], r["models"]) for r in comp["rows"]}
    assert {
        ("ours", "still", "full"),
        ("ours-bare", "still", "full"),
        ("ours", "video", "full"),
        ("mediapipe", "still", "lite"),
        ("mediapipe", "video", "lite"),
        ("mediapipe", "still", "full"),
    } <= sides
    assert comp["stills"] == 3 and comp["video_frames"] == 4 and comp["max_hands"] == 1
    assert {(c["static"], c["model_complexity"], c["n"]) for c in calls} == {
        (True, 0, 3),
        (False, 0, 4),
        (True, 1, 3),
        (False, 1, 4),
    }
    assert all(c["max_num_hands"] == 1 for c in calls)
    video = next(r for r in comp["rows"] if r["side"] == "ours" and r["frames"] == "video")
    assert 0.0 < video["palm_share"] <= 1.0 and video["n"] == 4
    [crit] = comp["criteria"]
    assert crit["threads"] == 1 and crit["mediapipe_still_ms"] == 5.0 and crit["still_pass"] in (True, False)
    md = (out / "pipeline.md").read_text()
    assert "Against MediaPipe's Hands graph" in md and "| palm |" in md


def test_hand_frames_needs_a_folder_of_photos(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_hand_models("full")
    assert main(["pipeline", "--model", "hands", "--hand-frames", "still"]) == 2
    assert "--source DIR" in capsys.readouterr().err
    assert main(["pipeline", "--model", "hands", "--source", str(tmp_path), "--hand-frames", "still"]) == 2
    assert "no images" in capsys.readouterr().err


# -- edge-bench latency on the MediaPipe files ---------------------------------------------------
def test_latency_on_a_mediapipe_file_skips_accuracy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_hand_models("lite")
    rc = main(
        [
            "latency",
            "--model",
            "mediapipe-hand-landmark-lite",
            "--runs",
            "3",
            "--warmup",
            "1",
            "--images",
            str(_stills(tmp_path)),
            "--op-profile",
            "--out",
            str(tmp_path / "lat"),
            "-q",
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0
    assert "n/a: a hand-landmarks model, not a classifier" in text
    assert "MACs" in text and (tmp_path / "lat" / "ops.md").is_file()
    doc = json.loads((tmp_path / "lat" / "latency.json").read_text())
    [row] = doc["results"]
    assert row["model"] == "mediapipe-hand-landmark-lite" and row["accuracy"] is None
