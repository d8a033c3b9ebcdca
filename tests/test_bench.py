"""Tests of ``benchmarks``: statistics, machine description, files, reference maths, and
the model and pipeline benchmarks on a tiny bundle with a few iterations.

Speed is measured by ``edge-bench``, never asserted here: no test checks a duration,
only counts, keys, shapes and exact statistics of known arrays.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import machine, reference, report
from benchmarks.cli import main, parse_config
from benchmarks.latency import bench_classify, bench_invoke, bench_model, make_inputs
from benchmarks.latency_stats import LatencyStats, summarize, time_calls
from benchmarks.pipeline_bench import METRICS, PipelineResult, parse_digit_range
from benchmarks.suite import BenchConfig
from edge.bundle import load_bundle

REPO = Path(__file__).resolve().parents[1]

MACHINE_KEYS = {
    "cpu",
    "machine",
    "cores",
    "cores_usable",
    "governor",
    "governor_warning",
    "board",
    "os",
    "python",
    "numpy",
    "opencv",
    "runtime",
    "runtime_version",
    "edge",
    "code",
    "model",
    "model_sha256",
    "threads",
    "loadavg_1m",
    "load_warning",
    "date",
}


# -- statistics -----------------------------------------------------------------
def test_summarize_known_array() -> None:
    s = summarize(np.arange(1, 101, dtype=float))  # 1..100 ms
    assert s.count == 100
    assert s.median_ms == pytest.approx(50.5)
    assert s.p90_ms == pytest.approx(90.1)  # linear interpolation: 1 + 0.90 * 99
    assert s.p99_ms == pytest.approx(99.01)  # 1 + 0.99 * 99
    assert s.mean_ms == pytest.approx(50.5)
    assert s.std_ms == pytest.approx(np.sqrt((100**2 - 1) / 12))
    assert (s.min_ms, s.max_ms, s.first_ms, s.last_ms) == (1.0, 100.0, 1.0, 100.0)
    assert s.p99_over_median == pytest.approx(99.01 / 50.5)


def test_summarize_odd_and_single() -> None:
    s = summarize([3.0, 1.0, 2.0])
    assert s.median_ms == 2.0 and s.first_ms == 3.0 and s.last_ms == 2.0
    one = summarize([0.25])
    assert one.count == 1 and one.median_ms == one.p99_ms == one.max_ms == 0.25
    assert one.std_ms == 0.0


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [-1.0]])
def test_summarize_rejects_bad_samples(bad: list[float]) -> None:
    with pytest.raises(ValueError):
        summarize(bad)


def test_benchmark_model_line_is_in_microseconds() -> None:
    s = LatencyStats(
        count=3,
        mean_ms=0.5,
        std_ms=0.01,
        median_ms=0.5,
        p90_ms=0.6,
        p99_ms=0.7,
        min_ms=0.4,
        max_ms=0.7,
        first_ms=0.6,
        last_ms=0.45,
    )
    assert s.benchmark_model_line() == "count=3 first=600 curr=450 min=400 max=700 avg=500 std=10"


def test_time_calls_counts_and_gc_restored() -> None:
    import gc

    calls = []
    warm, runs = time_calls(lambda: calls.append(1), runs=7, warmup=3, disable_gc=True)
    assert len(calls) == 10 and warm.shape == (3,) and runs.shape == (7,)
    assert np.all(runs >= 0) and gc.isenabled()
    with pytest.raises(ValueError):
        time_calls(lambda: None, runs=0)


def test_parse_digit_range() -> None:
    assert parse_digit_range(None) is None
    assert parse_digit_range("3") == (3, 3)
    assert parse_digit_range("1..5") == (1, 5)
    assert parse_digit_range("2-4") == (2, 4)
    for bad in ("x", "5..1", "-1"):
        with pytest.raises(ValueError):
            parse_digit_range(bad)


# -- machine description ------------------------------------------------------------
def test_describe_machine_keys() -> None:
    m = machine.describe_machine(runtime="litert", model_name="m", model_sha256="ab" * 32, threads=1)
    assert MACHINE_KEYS <= set(m)
    assert m["model_sha256"] == "ab" * 6 and m["cores"] >= 1 and m["numpy"] == np.__version__
    json.dumps(m)  # JSON-ready
    text = machine.format_machine(m)
    assert "cpu" in text and "governor" in text
    assert machine.device_id(m).endswith(f"-{m['cores_usable']}core")


def test_cpu_model_parsing() -> None:
    assert machine.cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"
    pi = "processor\t: 0\nBogoMIPS\t: 108.00\n\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4\n"
    assert machine.cpu_model(pi) == "Raspberry Pi 4"


def test_governor_warning_and_files(tmp_path: Path) -> None:
    assert machine.governor_warning("performance") is None
    assert "performance" in machine.governor_warning("powersave")
    assert "unreadable" in machine.governor_warning(None)
    g = tmp_path / "gov"
    g.write_text("ondemand\n")
    assert machine.cpu_governor(g) == "ondemand"
    assert machine.load_warning(0.5, 2) is None and machine.load_warning(None, 2) is None
    assert "busy" in machine.load_warning(3.0, 2)
    assert machine.cpu_governor(tmp_path / "absent") is None
    b = tmp_path / "model"
    b.write_bytes(b"Raspberry Pi 4 Model B Rev 1.4\x00")
    assert machine.board_model(b) == "Raspberry Pi 4 Model B Rev 1.4"
    m = {"board": "Raspberry Pi 4 Model B Rev 1.4", "machine": "aarch64", "cores_usable": 4}
    assert machine.device_id(m) == "rpi4b-4core"
    assert machine.device_id({"machine": "x86_64", "cores_usable": 2}) == "x86_64-2core"


# -- files and reference ------------------------------------------------------------
ROWS = [
    {
        "benchmark": "model",
        "metric": "invoke",
        "model": "m",
        "threads": 1,
        "batch": 1,
        "count": 10,
        "median_ms": 0.25,
        "p99_ms": 0.5,
        "init_ms": float("nan"),
    },
    {
        "benchmark": "pipeline",
        "metric": "total",
        "model": "m",
        "threads": None,
        "batch": None,
        "count": 5,
        "median_ms": 2.0,
        "p99_ms": 3.5,
        "fps": 500.0,
    },
]


def test_csv_round_trip(tmp_path: Path) -> None:
    p = report.write_csv(tmp_path / "sub" / "r.csv", ROWS)
    back = report.read_csv(p)
    assert len(back) == 2
    assert back[0]["median_ms"] == 0.25 and back[0]["count"] == 10 and back[0]["init_ms"] is None
    assert back[1]["threads"] is None and back[1]["fps"] == 500.0 and back[0]["fps"] is None
    assert back[0]["metric"] == "invoke"


def test_json_round_trip(tmp_path: Path) -> None:
    m = machine.describe_machine()
    p = report.write_json(tmp_path / "r.json", ROWS, m, {"runs": 10}, pipeline={"fps": 500.0})
    doc = report.read_json(p)
    assert doc["results"][0]["init_ms"] is None  # NaN -> null
    assert doc["results"][1]["median_ms"] == 2.0
    assert doc["config"] == {"runs": 10} and doc["pipeline"]["fps"] == 500.0
    assert MACHINE_KEYS <= set(doc["machine"])
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="results"):
        report.read_json(tmp_path / "bad.json")
    with pytest.raises(ValueError):
        report.read_json(tmp_path / "missing.json")


def test_compare_with_reference_maths() -> None:
    ref = [
        dict(ROWS[0], median_ms=0.2),
        dict(ROWS[1], median_ms=2.0),
        {
            "benchmark": "model",
            "metric": "classify",
            "model": "m",
            "threads": 1,
            "batch": 1,
            "median_ms": 1.0,
        },
    ]
    rows = [
        ROWS[0],
        dict(ROWS[1], median_ms=1.0),
        {
            "benchmark": "model",
            "metric": "invoke",
            "model": "other",
            "threads": 1,
            "batch": 1,
            "median_ms": 9.0,
        },
    ]  # no reference for another model
    cmp = reference.compare_with_reference(rows, ref)
    assert len(cmp) == 2
    assert cmp[0]["ratio"] == pytest.approx(1.25) and cmp[0]["status"] == "ok"
    assert cmp[1]["ratio"] == pytest.approx(0.5) and cmp[1]["status"] == "faster"
    slower = reference.compare_with_reference([dict(ROWS[0], median_ms=0.27)], ref)
    assert slower[0]["ratio"] == pytest.approx(1.35) and slower[0]["status"] == "slower"
    # threads read back from CSV as strings/ints still match
    assert reference.compare_with_reference([dict(ROWS[0], threads="1", batch="1")], ref)
    assert "ratio" in reference.format_comparison(cmp, "ref.json")


def test_resolve_reference(tmp_path: Path) -> None:
    f = tmp_path / "mine.json"
    f.write_text('{"results": []}')
    assert reference.resolve_reference(f) == f
    with pytest.raises(ValueError, match="reference"):
        reference.resolve_reference(tmp_path / "nope")
    for shipped in sorted(reference.REFERENCE_DIR.glob("*.json")):
        doc = report.read_json(reference.resolve_reference(shipped.stem))
        assert doc["results"] and MACHINE_KEYS <= set(doc["machine"])


def test_format_table_aligns() -> None:
    t = report.format_table(
        ROWS, [("metric", "metric", ""), ("median_ms", "median ms", ".3f"), ("fps", "fps", ".0f")]
    )
    lines = t.splitlines()
    assert len(lines) == 4 and "0.250" in lines[2] and "-" in lines[2].split()[-1]


# -- the model benchmark on a tiny bundle ----------------------------------------------
def test_make_inputs_fixed_seed(tiny_digits_bundle: Path) -> None:
    b = load_bundle(tiny_digits_bundle)
    x = make_inputs(b, 3)
    assert x.shape == (3, 28, 28, 1) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0
    np.testing.assert_array_equal(x, make_inputs(b, 3))


def test_bench_model_fields(tiny_digits_bundle: Path) -> None:
    res = bench_model(tiny_digits_bundle, threads=[1], batches=[1, 2], warmup=2, runs=5)
    assert [(r.metric, r.batch) for r in res] == [
        ("invoke", 1),
        ("classify", 1),
        ("invoke", 2),
        ("classify", 2),
    ]
    for r in res:
        row = r.as_row()
        assert row["count"] == 5 and row["threads"] == 1 and row["benchmark"] == "model"
        for k in ("mean_ms", "median_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "std_ms"):
            assert math.isfinite(row[k]) and row[k] >= 0
        assert row["min_ms"] <= row["median_ms"] <= row["p99_ms"] <= row["max_ms"]
        assert row["throughput_per_s"] > 0 and row["runtime"] in ("litert", "tflite-runtime", "tensorflow")
        assert r.benchmark_model_summary().startswith("Inference timings in us: Init:")
    with pytest.raises(ValueError):
        bench_model(tiny_digits_bundle, metrics=("bogus",))


def test_bench_invoke_and_classify_without_warmup(tiny_digits_bundle: Path) -> None:
    b = load_bundle(tiny_digits_bundle)
    inv = bench_invoke(b, warmup=0, runs=3)
    assert inv.stats.count == 3 and math.isnan(inv.warmup_avg_ms)
    cls = bench_classify(b, batch=3, warmup=1, runs=2)
    assert cls.stats.count == 2 and cls.batch == 3


def test_cli_model_writes_files(
    tiny_digits_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_p, json_p = tmp_path / "m.csv", tmp_path / "m.json"
    rc = main(
        [
            "model",
            "--model",
            str(tiny_digits_bundle),
            "--warmup",
            "1",
            "--runs",
            "3",
            "--csv",
            str(csv_p),
            "--json",
            str(json_p),
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "median ms" in out and "count=3" in out and "governor" in out
    assert len(report.read_csv(csv_p)) == 2
    doc = report.read_json(json_p)
    assert doc["config"]["runs"] == 3 and doc["machine"]["model"] == "tiny-digits-int8"
    # the written JSON is a valid reference for the same measurement
    rc = main(
        [
            "model",
            "--model",
            str(tiny_digits_bundle),
            "--warmup",
            "1",
            "--runs",
            "3",
            "--reference",
            str(json_p),
        ]
    )
    assert rc == 0 and "ratio" in capsys.readouterr().out


def test_cli_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "--model", str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert main(["pipeline", "--digits", "5..1"]) == 2
    assert "error: " in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["model", "--runs", "0"])
    assert e.value.code == 2


def test_parse_config_defaults() -> None:
    cfg, verbose = parse_config(["all"])
    assert isinstance(cfg, BenchConfig) and not verbose
    assert (cfg.warmup_runs, cfg.runs, cfg.warmup_frames, cfg.frames) == (50, 1000, 30, 500)
    assert cfg.target_ms == 3.3 and cfg.check is False and cfg.digits is None
    cfg, _ = parse_config(["pipeline", "--threads", "2", "--digits", "1..5", "--warmup", "3"])
    assert cfg.pipeline_threads == 2 and cfg.digits == (1, 5) and cfg.warmup_frames == 3
    assert cfg.keep_readings == 3  # edge-run's read cache (edge.read_cache)
    assert parse_config(["pipeline", "--keep-readings", "0"])[0].keep_readings == 0


# -- the pipeline benchmark ------------------------------------------------------------
def test_pipeline_result_maths() -> None:
    n = 4
    samples = {m: np.full(n, 0.5) for m in METRICS}
    samples["process"] = np.array([2.0, 2.0, 4.0, 4.0])
    res = PipelineResult(
        model="m",
        runtime="litert",
        threads=None,
        source="demo",
        samples_ms=samples,
        rois=np.array([1, 1, 5, 5]),
        truth_digits=np.array([1, 1, 5, 5]),
    )
    assert res.frames == 4 and res.fps == pytest.approx(1000 / 3.0)
    assert res.budget_fraction() == pytest.approx(3.0 / (1000 / 30))
    assert res.stats["process"].p99_ms == pytest.approx(4.0)
    assert res.meets_target(3.3) is True and res.meets_target(2.9) is False
    tail = dict(samples, process=np.array([1.0, 1.0, 1.0, 10.0]))  # p99 > 2 x median
    assert (
        PipelineResult(
            model="m",
            runtime="r",
            threads=1,
            source="s",
            samples_ms=tail,
            rois=np.zeros(4, int),
            truth_digits=np.full(4, -1),
        ).meets_target(3.3)
        is False
    )
    by = res.by_digits()
    assert [(b["digits"], b["frames"], b["median_ms"]) for b in by] == [(1, 2, 2.0), (5, 2, 4.0)]
    rows = {r["metric"]: r for r in res.as_rows()}
    assert list(rows) == list(METRICS)
    assert rows["process"]["share_of_process"] == pytest.approx(1.0)
    assert rows["process"]["fps"] == pytest.approx(1000 / 3.0)
    assert rows["segment"]["share_of_process"] == pytest.approx(0.5 / 3.0)


def test_pipeline_tail_names_what_the_slowest_frames_spend() -> None:
    n = 200
    rng = np.random.default_rng(0)
    samples = {m: rng.uniform(0.4, 0.6, n) for m in METRICS}
    samples["process"] = rng.uniform(2.0, 2.5, n)
    slow = np.array([17, 99])  # two frames (1% of 200): slow by preprocessing, with 6 ROIs
    samples["process"][slow] = 9.0
    samples["preprocess"][slow] = 6.0
    rois = np.full(n, 2)
    rois[slow] = 6
    res = PipelineResult(
        model="m", runtime="r", threads=1, source="s", samples_ms=samples, rois=rois, truth_digits=rois
    )
    tail = res.tail()
    assert tail["frames"] == 2 and tail["mean_rois"] == 6.0 and tail["all_mean_rois"] == pytest.approx(2.04)
    assert tail["median_ms"]["preprocess"] == 6.0 and tail["median_ms"]["process"] == 9.0
    assert tail["all_median_ms"]["preprocess"] < 0.6
    assert list(tail["median_ms"]) == ["segment", "preprocess", "classify", "smooth", "process"]


def test_bench_pipeline_on_demo(
    tiny_digits_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.pipeline_bench import bench_pipeline, preload_frames

    frames = preload_frames("demo", 4, seed=1, scene_frames=2)
    assert len(frames) == 4 and frames[0].image.shape == (480, 640, 3)
    assert all(f.truth is not None for f in frames)
    same = preload_frames("demo:1", 2, seed=99, scene_frames=2)  # the spec's seed wins
    np.testing.assert_array_equal(same[1].image, frames[1].image)
    five = preload_frames("demo", 2, digits=(5, 5), scene_frames=2)
    assert all(len(f.truth) == 5 for f in five)
    res = bench_pipeline(tiny_digits_bundle, frames, warmup=2, threads=1)
    assert res.frames == 4 and set(res.stats) == set(METRICS)
    assert res.kept is not None and res.kept.shape == (4,) and np.all(res.kept <= res.rois)
    from edge.pipeline import build_pipeline

    kept = {}
    for n in (3, 0):  # (the tiny test model is unsure of everything: keep any reading)
        pipe = build_pipeline(tiny_digits_bundle, num_threads=1)
        pipe.read_cache.min_score = 0.0
        kept[n] = bench_pipeline(tiny_digits_bundle, frames, warmup=2, pipeline=pipe, keep_readings=n).kept
        assert pipe.read_cache.max_age == n
    assert kept[3] is not None and kept[3].sum() > 0  # the demo's sheet holds still: readings kept
    assert kept[0] is not None and not kept[0].any()  # every ROI read afresh
    with pytest.raises(ValueError, match="must be >= 0, got -1"):
        bench_pipeline(tiny_digits_bundle, frames, warmup=2, threads=1, keep_readings=-1)
    assert all(s.count == 4 for s in res.stats.values())
    assert res.model == "tiny-digits-int8" and res.threads == 1
    assert res.rois.shape == (4,) and np.all(res.truth_digits >= 1)
    row = {r["metric"]: r for r in res.as_rows()}
    assert row["process"]["fps"] > 0 and 0 < row["process"]["budget_fraction_30fps"]

    j = tmp_path / "p.json"
    rc = main(
        [
            "pipeline",
            "--model",
            str(tiny_digits_bundle),
            "--frames",
            "3",
            "--warmup",
            "1",
            "--digits",
            "2..5",
            "--json",
            str(j),
        ]
    )
    assert rc == 0  # never fails on speed without --check
    out = capsys.readouterr().out
    assert "segment" in out and "target" in out and "fps" in out
    doc = report.read_json(j)
    assert {r["metric"] for r in doc["results"]} == set(METRICS) | {"draw", "write", "end_to_end"}
    assert doc["pipeline"]["target"]["median_ms"] == 3.3
    assert all(2 <= b["digits"] <= 5 for b in doc["pipeline"]["by_digits"])
    # --check turns a missed target into exit code 1 (a target no machine can meet)
    rc = main(
        [
            "pipeline",
            "--model",
            str(tiny_digits_bundle),
            "--frames",
            "2",
            "--warmup",
            "0",
            "--target-ms",
            "1e-9",
            "--check",
        ]
    )
    assert rc == 1 and "FAIL" in capsys.readouterr().out


def test_cli_pipeline_out_writes_four_files(
    tiny_digits_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "res"
    rc = main(
        [
            "pipeline",
            "--model",
            str(tiny_digits_bundle),
            "--source",
            "demo",
            "--frames",
            "20",
            "--warmup",
            "2",
            "--invoke-runs",
            "20",
            "--threads",
            "1",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "classify per ROI / bare invoke" in printed and "process / (bare invoke x" in printed
    names = ("pipeline.csv", "pipeline.json", "pipeline.md")
    assert all((out / n).is_file() for n in names)
    pytest.importorskip("matplotlib")
    assert (out / "pipeline.png").stat().st_size > 0
    rows = report.read_csv(out / "pipeline.csv")
    stages = [r["stage"] for r in rows]
    assert {"segment", "preprocess", "classify", "smooth", "process", "draw", "write", "end_to_end"} <= set(
        stages
    )
    assert {"median_ms", "p90_ms", "p99_ms", "mean_ms", "max_ms", "share"} <= set(rows[0])
    doc = report.read_json(out / "pipeline.json")
    assert {"cpu", "cores", "model"} <= set(doc["machine"])
    from benchmarks.report import portable

    # recorded as the user would type it (no machine paths in shared results)
    assert doc["config"]["out"] == portable(str(out)) and doc["config"]["frames"] == 20
    assert all(r["median_ms"] is not None and r["p99_ms"] is not None for r in doc["results"])
    o = doc["pipeline"]["overhead"]
    assert o["bare_invoke_median_ms"] > 0
    assert {"classify_per_roi_over_invoke", "process_over_invoke_x_rois"} <= set(o)
    assert o["process_over_invoke_x_rois"] is not None  # the demo always shows digits
    assert o["kept_share"] is not None and 0.0 <= o["kept_share"] <= 1.0
    md = (out / "pipeline.md").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("| stage | median ms") for line in md)
    assert any(line.startswith("| end_to_end |") for line in md)


def test_overhead_ratios_maths() -> None:
    from benchmarks.pipeline_bench import overhead_ratios

    res = PipelineResult(
        model="m",
        runtime="r",
        threads=1,
        source="s",
        samples_ms={"classify": np.array([2.0, 3.0, 0.1]), "process": np.array([8.0, 8.0, 8.0])},
        rois=np.array([2, 3, 0]),
        truth_digits=np.array([-1, -1, -1]),
    )
    o = overhead_ratios(res, 0.5)
    assert o["classify_per_roi_median_ms"] == pytest.approx(1.0)
    assert o["classify_per_roi_over_invoke"] == pytest.approx(2.0)
    assert o["process_over_invoke_x_rois"] == pytest.approx(8.0 / (0.5 * 5 / 3))
    assert overhead_ratios(res, 0.0)["classify_per_roi_over_invoke"] is None
    assert o["kept_share"] == 0.0  # (kept not counted: none)
    # ROIs that took a kept reading (edge.read_cache) cost no classification: per ROI read afresh
    res.kept = np.array([1, 2, 0])
    o = overhead_ratios(res, 0.5)
    assert o["classify_per_roi_median_ms"] == pytest.approx(2.5)  # median of 2.0 / 1, 3.0 / 1
    assert o["kept_share"] == pytest.approx(3 / 5) and o["mean_rois"] == pytest.approx(5 / 3)
    assert o["process_over_invoke_x_rois"] == pytest.approx(8.0 / (0.5 * 5 / 3))


# -- hands: the task's source, segmenter and budget ------------------------------------
@pytest.fixture
def fake_hand_segmenter(fake_hand_segmenter_in) -> list[str]:
    """The benchmark's build_pipeline with a FakeHandSegmenter (conftest) for a segmenter
    name; returns the names asked for."""
    import benchmarks.pipeline_bench as pb

    return fake_hand_segmenter_in(pb)


def test_budget_and_source_per_task() -> None:
    from benchmarks.pipeline_bench import TARGET_MS_BY_TASK, default_source, target_ms_for

    assert TARGET_MS_BY_TASK == {"digits": 3.3, "hands": 3.3, "classify": 3.3}
    assert target_ms_for("hands") == 3.3 and target_ms_for("digits") == 3.3
    assert default_source("digits") == "demo" and default_source("hands") == "demo-hands"
    assert default_source("classify") == "demo-hands"  # a user's own classifier: any frames
    for bad in (target_ms_for, default_source):
        with pytest.raises(ValueError, match="faces"):
            bad("faces")
    samples = {m: np.full(2, 0.5) for m in METRICS}
    samples["process"] = np.array([3.0, 3.0])
    res = PipelineResult(
        model="h",
        runtime="r",
        threads=None,
        source="demo-hands",
        samples_ms=samples,
        rois=np.array([0, 1]),
        truth_digits=np.array([0, 1]),
        task="hands",
    )
    assert res.meets_target() is True  # the hands budget, 3.3 ms
    assert res.meets_target(2.0) is False
    assert [(b["hands"], b["frames"]) for b in res.by_digits()] == [(0, 1), (1, 1)]


def test_parse_config_resolves_the_task_defaults(tiny_hands_bundle: Path, tiny_digits_bundle: Path) -> None:
    cfg, _ = parse_config(["pipeline", "--model", str(tiny_hands_bundle)])
    assert (cfg.source, cfg.segmenter, cfg.target_ms) == ("demo-hands", "skin", 3.3)
    cfg, _ = parse_config(
        [
            "pipeline",
            "--model",
            str(tiny_hands_bundle),
            "--segmenter",
            "chroma",
            "--source",
            "demo-hands:4",
            "--target-ms",
            "5",
        ]
    )
    assert (cfg.source, cfg.segmenter, cfg.target_ms) == ("demo-hands:4", "chroma", 5.0)
    cfg, _ = parse_config(["pipeline", "--model", str(tiny_digits_bundle)])
    assert (cfg.source, cfg.segmenter, cfg.target_ms) == ("demo", None, 3.3)
    cfg, _ = parse_config(["pipeline", "--model", "no/such/bundle"])  # run() reports that one
    assert cfg.source is None and cfg.target_ms is None


def test_segmenter_for_a_digits_model_exit_2(
    tiny_digits_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pipeline", "--model", str(tiny_digits_bundle), "--segmenter", "skin"]) == 2
    assert "error: --segmenter skin" in capsys.readouterr().err


def test_preload_demo_hands_frames() -> None:
    from benchmarks.pipeline_bench import open_bench_source, preload_frames

    src = open_bench_source("demo-hands:2", seed=9, scene_frames=10)
    assert src.name == "demo-hands:2" and src.segment_frames == 10
    frames = preload_frames("demo-hands", 30, seed=2, scene_frames=10)
    assert len(frames) == 30 and frames[0].image.shape == (480, 640, 3)
    assert all(f.truth is not None and len(f.truth) <= 1 for f in frames)
    np.testing.assert_array_equal(frames[5].image, src.render(5).image)  # same scene, same seed
    hands = preload_frames("demo-hands", 5, seed=2, digits=(1, 1), scene_frames=10)
    assert all(len(f.truth) == 1 for f in hands)
    empty = preload_frames("demo-hands", 3, seed=2, digits=(0, 0), scene_frames=10)
    assert all(f.truth == () for f in empty)


def test_bench_pipeline_hands_model(
    tiny_hands_bundle: Path,
    fake_hand_segmenter: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks.pipeline_bench import bench_pipeline

    res = bench_pipeline(tiny_hands_bundle, count=6, warmup=2, threads=1, scene_frames=10, segmenter="skin")
    assert res.task == "hands" and res.source == "demo-hands" and res.frames == 6
    assert res.model == "tiny-hands-int8" and set(res.stats) == set(METRICS)
    assert set(res.truth_digits.tolist()) <= {0, 1} and fake_hand_segmenter == ["skin"]

    j = tmp_path / "hands.json"
    rc = main(
        ["pipeline", "--model", str(tiny_hands_bundle), "--frames", "4", "--warmup", "1", "--json", str(j)]
    )
    assert rc == 0  # never fails on speed without --check
    out = capsys.readouterr().out
    assert "source demo-hands," in out and "target (hands): median <= 3.3 ms" in out
    assert "segment" in out and ("PASS" in out or "FAIL" in out)
    doc = report.read_json(j)
    assert doc["config"]["source"] == "demo-hands" and doc["config"]["segmenter"] == "skin"
    assert doc["pipeline"]["task"] == "hands" and doc["pipeline"]["target"]["median_ms"] == 3.3
    assert {r["metric"] for r in doc["results"]} == set(METRICS) | {"draw", "write", "end_to_end"}
    assert fake_hand_segmenter[-1] == "skin"
    rc = main(
        [
            "pipeline",
            "--model",
            str(tiny_hands_bundle),
            "--frames",
            "2",
            "--warmup",
            "0",
            "--target-ms",
            "1e-9",
            "--check",
            "--segmenter",
            "background",
        ]
    )
    assert rc == 1 and "FAIL" in capsys.readouterr().out and fake_hand_segmenter[-1] == "background"


def test_cli_model_benchmark_of_a_hands_bundle(
    tiny_hands_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            ["model", "--model", str(tiny_hands_bundle), "--warmup", "1", "--runs", "3", "--batch", "1", "2"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "tiny-hands-int8" in out and "count=3" in out
    x = make_inputs(load_bundle(tiny_hands_bundle), 2)
    assert x.shape == (2, 64, 64, 3) and x.dtype == np.float32


# -- edge-bench latency: bundles x runtimes x threads, ratios to float32 ------------------
@pytest.fixture(scope="module")
def tiny_float32_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A float32 digits bundle of the tiny fixture's architecture (random weights)."""
    tf = pytest.importorskip("tensorflow")
    from edge.bundle import InputSpec, write_bundle

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((28, 28, 1)),
            tf.keras.layers.Conv2D(4, 3, strides=2, activation="relu"),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(10, activation="softmax"),
        ]
    )
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    spec = InputSpec(shape=(1, 28, 28, 1), dtype="float32", colour_order="grey", value_range=(0.0, 1.0))
    out = tmp_path_factory.mktemp("bundles") / "tiny-digits-float32"
    meta = {
        "name": out.name,
        "task": "digits",
        "input": spec.to_json(),
        "preprocessing": "mnist-normalise",
        "output": {"activation": "softmax"},
        "quantization": {"mode": "float32"},
    }
    return write_bundle(out, tflite, [str(d) for d in range(10)], meta)


LATENCY_KEYS = [
    "model",
    "runtime",
    "threads",
    "batch",
    "quant",
    "size_bytes",
    "load_ms",
    "median_ms",
    "p90_ms",
    "p99_ms",
    "mean_ms",
    "std_ms",
    "ratio_vs_float32",
]


def test_add_ratios_per_family_runtime_and_threads() -> None:
    from benchmarks.latency_compare import add_ratios

    def row(quant: str, family: str, rt: str, thr: int, ms: float, size: int) -> dict:
        return {
            "quant": quant,
            "family": family,
            "runtime": rt,
            "threads": thr,
            "batch": 1,
            "median_ms": ms,
            "size_bytes": size,
        }

    rows = add_ratios(
        [
            row("int8", "digits:28x28x1", "litert", 1, 0.5, 100),
            row("float32", "digits:28x28x1", "litert", 1, 2.0, 400),
            row("float16", "digits:28x28x1", "litert", 1, 1.0, 200),
            row("int8", "digits:28x28x1", "litert", 2, 0.5, 100),  # no f32 at 2 threads
            row("int8", "hands:64x64x3", "litert", 1, 0.5, 100),
        ]
    )  # other family
    assert [r["ratio_vs_float32"] for r in rows] == [0.25, 1.0, 0.5, None, None]
    assert [r["size_ratio_vs_float32"] for r in rows] == [0.25, 1.0, 0.5, None, None]


def test_resolve_runtimes_and_quant(tiny_digits_bundle: Path) -> None:
    from benchmarks.latency_compare import bundle_quant
    from benchmarks.latency_runtimes import normalise_runtime, resolve_runtimes

    assert normalise_runtime("tf") == "tensorflow" and normalise_runtime("litert") == "litert"
    with pytest.raises(ValueError, match="unknown runtime 'bogus'"):
        normalise_runtime("bogus")
    every, notes = resolve_runtimes(["all"])
    assert every and not notes and set(every) <= {"litert", "tflite-runtime", "tensorflow"}
    auto, _ = resolve_runtimes(["auto", every[0]])
    assert auto == [every[0]]  # auto is the first installed one, not timed twice
    assert bundle_quant(load_bundle(tiny_digits_bundle)) == "int8"  # from the input dtype


def test_cli_latency_writes_four_files(
    tiny_digits_bundle: Path, tiny_float32_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    pytest.importorskip("matplotlib")
    out = tmp_path / "lat"
    rc = main(
        [
            "latency",
            "--model",
            str(tiny_digits_bundle),
            "--model",
            str(tiny_float32_bundle),
            "--runs",
            "20",
            "--warmup",
            "2",
            "--threads",
            "1",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "median ms" in text and "tiny-digits-float32" in text
    for name in ("latency.csv", "latency.json", "latency.md", "latency.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    with open(out / "latency.csv", newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert set(LATENCY_KEYS) <= set(header)
    doc = report.read_json(out / "latency.json")
    assert MACHINE_KEYS <= set(doc["machine"]) and doc["config"]["runs"] == 20
    rows = doc["results"]
    assert len(rows) == 2 and all(r["count"] == 20 and r["threads"] == 1 for r in rows)
    for r in rows:
        assert {"median_ms", "p99_ms", "runtime", "threads"} <= set(r)
        assert r["min_ms"] <= r["median_ms"] <= r["p99_ms"] <= r["max_ms"]
    by = {r["quant"]: r for r in rows}
    assert by["float32"]["ratio_vs_float32"] == 1.0
    assert by["int8"]["ratio_vs_float32"] == pytest.approx(
        by["int8"]["median_ms"] / by["float32"]["median_ms"]
    )
    assert by["int8"]["size_bytes"] == (tiny_digits_bundle / "model.tflite").stat().st_size
    md = (out / "latency.md").read_text().splitlines()
    head = next(i for i, line in enumerate(md) if line.startswith("| model |"))
    assert "median ms" in md[head] and "p99 ms" in md[head] and md[head + 1].startswith("|---")


def test_cli_latency_skips_and_rejects_runtimes(
    tiny_digits_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import benchmarks.latency_runtimes as lc

    assert main(["latency", "--model", str(tiny_digits_bundle), "--runtime", "bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown runtime 'bogus'") and "litert" in err
    real = lc.runtime_installed
    monkeypatch.setattr(lc, "runtime_installed", lambda n: n != "tflite-runtime" and real(n))
    monkeypatch.delenv("EDGE_TFLITE_RUNTIME_PYTHON", raising=False)  # and no worker Python
    monkeypatch.setenv("EDGE_TFLITE_RUNTIME_VENV", str(tmp_path / "no-venv"))
    assert (
        main(
            [
                "latency",
                "--model",
                str(tiny_digits_bundle),
                "--runtime",
                "tflite-runtime",
                "auto",
                "--runs",
                "3",
                "--warmup",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "runtime tflite-runtime is not installed" in out and "tiny-digits-int8" in out
    assert "ratios are '-'" in out  # no float32 bundle in this run
    monkeypatch.setattr(lc, "runtime_installed", lambda n: False)
    assert main(["latency", "--model", str(tiny_digits_bundle), "--runtime", "litert"]) == 2
    assert "none of the requested runtimes" in capsys.readouterr().err


# -- edge-bench latency: worker runtimes, accuracy, op profile, --compare ----------------
def test_cli_latency_runs_tflite_runtime_in_a_worker(
    tiny_digits_bundle: Path, trt_python: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ai-edge-litert here, tflite-runtime 2.14 in its numpy<2 environment: one run, one file."""
    out = tmp_path / "lat"
    rc = main(
        [
            "latency",
            "--model",
            str(tiny_digits_bundle),
            "--runtime",
            "litert",
            "tflite-runtime",
            "--tflite-runtime-python",
            str(trt_python),
            "--threads",
            "1",
            "2",
            "--runs",
            "5",
            "--warmup",
            "1",
            "--no-accuracy",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    captured = capsys.readouterr()
    assert "[4/4]" in captured.err  # progress, one line per row, the worker's included
    doc = report.read_json(out / "latency.json")
    rows = doc["results"]
    assert [(r["runtime"], r["threads"]) for r in rows] == [
        ("litert", 1),
        ("litert", 2),
        ("tflite-runtime", 1),
        ("tflite-runtime", 2),
    ]
    assert len({r["bundle"] for r in rows}) == 1 and all(r["count"] == 5 for r in rows)
    assert "2.14" in doc["machine"]["runtimes"]["tflite-runtime"]
    assert "worker" in doc["machine"]["runtimes"]["tflite-runtime"]
    assert "worker" not in doc["machine"]["runtimes"]["litert"]


def test_latency_worker_failure_is_reported(tiny_digits_bundle: Path, tmp_path: Path) -> None:
    from benchmarks.latency_compare import LatencyConfig, time_rows_in_worker

    bad = tmp_path / "python"
    bad.write_text("#!/bin/sh\necho 'no such runtime here' >&2\nexit 3\n")
    bad.chmod(0o755)
    with pytest.raises(RuntimeError, match="exit code 3:\nno such runtime here"):
        time_rows_in_worker(
            bad, [load_bundle(tiny_digits_bundle)], "tflite-runtime", LatencyConfig(runs=2, warmup_runs=0)
        )


def test_worker_python_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import runtime_env

    with pytest.raises(ValueError, match="not an executable Python"):
        runtime_env.worker_python(str(tmp_path / "nope"))
    monkeypatch.setenv(runtime_env.VENV_ENV, str(tmp_path / "venv"))
    monkeypatch.delenv(runtime_env.PYTHON_ENV, raising=False)
    assert runtime_env.worker_python(None) is None  # nothing cached, nothing built
    py = tmp_path / "venv" / "bin" / "python"
    py.parent.mkdir(parents=True)
    py.write_text("#!/bin/sh\n")
    py.chmod(0o755)
    assert runtime_env.worker_python(None) is None  # not marked complete
    (tmp_path / "venv" / ".edge-ok").write_text("2.14.0 1.26.4\n")
    assert runtime_env.worker_python(None) == py
    monkeypatch.setenv(runtime_env.PYTHON_ENV, str(py))
    assert runtime_env.worker_python(None) == py


def test_latency_accuracy_measured_or_recorded(
    tiny_digits_bundle: Path,
    tiny_float32_bundle: Path,
    mnist: tuple[np.ndarray, np.ndarray],
    shared_data_dir: Path,
    tmp_path: Path,
) -> None:
    from benchmarks.file_accuracy import file_accuracy
    from benchmarks.latency_compare import LatencyConfig
    from edge.evaluate import evaluate_mnist
    from edge.runtime import Classifier

    b = load_bundle(tiny_digits_bundle)
    cfg = LatencyConfig(data_dir=str(shared_data_dir / "mnist"), accuracy_limit=200)
    acc = file_accuracy(b, cfg, "litert")
    x, y = mnist
    want = evaluate_mnist(Classifier(b, runtime="litert"), x[:200], y[:200]).accuracy
    assert acc == {"accuracy": want, "accuracy_n": 200, "accuracy_data": "mnist-test[:200]"}
    # no data: model.json's number, marked as recorded; none there either: None
    empty = tmp_path / "empty"
    empty.mkdir()
    rec = file_accuracy(
        load_bundle(REPO / "models" / "digits-lenet-int8"), LatencyConfig(data_dir=str(empty)), "litert"
    )
    assert rec["accuracy"] == pytest.approx(0.997) and rec["accuracy_n"] == 10000
    assert rec["accuracy_data"].startswith("model.json mnist-test (recorded at conversion)")
    none = file_accuracy(load_bundle(tiny_float32_bundle), LatencyConfig(data_dir=str(empty)), "litert")
    assert none["accuracy"] is None and none["accuracy_data"].startswith("no data")


def test_latency_accuracy_on_an_image_folder(tiny_hands_bundle: Path, tmp_path: Path) -> None:
    from benchmarks.file_accuracy import file_accuracy
    from benchmarks.latency_compare import LatencyConfig

    rng = np.random.default_rng(0)
    for label in ("rock", "paper"):
        (tmp_path / label).mkdir()
        for i in range(3):
            cv2.imwrite(str(tmp_path / label / f"{i}.png"), rng.integers(0, 256, (48, 40, 3), dtype=np.uint8))
    acc = file_accuracy(load_bundle(tiny_hands_bundle), LatencyConfig(images=str(tmp_path)), "litert")
    assert acc["accuracy_n"] == 6 and 0.0 <= acc["accuracy"] <= 1.0
    assert acc["accuracy_data"] == f"{tmp_path} (crops)"


def test_op_macs_formulas() -> None:
    from benchmarks.op_profile import op_macs

    # 3x3 conv, 8 -> 16 channels, 10x10 output: 10*10*16 * 3*3*8
    assert op_macs("CONV_2D", [(1, 12, 12, 8), (16, 3, 3, 8), (16,)], (1, 10, 10, 16)) == 115200
    assert op_macs("DEPTHWISE_CONV_2D", [(1, 12, 12, 8), (1, 3, 3, 8)], (1, 10, 10, 8)) == 7200
    assert op_macs("FULLY_CONNECTED", [(2, 64), (10, 64)], (2, 10)) == 1280
    assert op_macs("MAX_POOL_2D", [(1, 10, 10, 8)], (1, 5, 5, 8)) == 0


def test_cli_latency_op_profile(
    tiny_digits_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lat"
    assert (
        main(
            [
                "latency",
                "--model",
                str(tiny_digits_bundle),
                "--runs",
                "5",
                "--warmup",
                "1",
                "--no-accuracy",
                "--op-profile",
                "-q",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "builtin kernels only" in text and "enable_op_profiling" in text
    prof = json.loads((out / "ops.json").read_text())
    ops = {r["op"]: r for r in prof[0]["ops"]}
    # the tiny fixture: Conv2D(4, 3x3, stride 2): 28x28x1 -> 13x13x4, 13*13*4 * 3*3*1 MACs;
    # Conv2D(8, 3x3, stride 2): -> 6x6x8, 6*6*8 * 3*3*4; Dense: 288 -> 10
    assert ops["CONV_2D"]["count"] == 2
    assert ops["CONV_2D"]["macs"] == 13 * 13 * 4 * 9 + 6 * 6 * 8 * 9 * 4
    assert ops["FULLY_CONNECTED"]["macs"] == 288 * 10
    assert ops["CONV_2D"]["dtypes"] == "int8"
    assert sum(r["mac_share"] for r in prof[0]["ops"]) == pytest.approx(1.0)
    assert prof[0]["invoke_median_ms_builtin"] > 0 and prof[0]["delegate_speedup"] > 0
    assert "| CONV_2D |" in (out / "ops.md").read_text()


def test_cli_latency_compare_and_check(
    tiny_digits_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first"
    args = [
        "latency",
        "--model",
        str(tiny_digits_bundle),
        "--runs",
        "5",
        "--warmup",
        "1",
        "--no-accuracy",
        "-q",
    ]
    assert main([*args, "--out", str(first)]) == 0
    rows = report.read_csv(first / "latency.csv")
    # a reference 1000x faster than anything real: every row is a regression
    fast = [dict(r, median_ms=r["median_ms"] / 1000) for r in rows]
    ref = report.write_csv(tmp_path / "fast.csv", fast)
    capsys.readouterr()
    assert main([*args, "--compare", str(ref), "--out", str(tmp_path / "second")]) == 0
    text = capsys.readouterr().out
    assert "slower" in text and "tolerance ±30%" in text
    assert main([*args, "--compare", str(ref), "--check"]) == 1  # opt-in failure
    doc = report.read_json(tmp_path / "second" / "latency.json")
    cmp = doc["reference"]["comparison"]
    assert len(cmp) == 1 and cmp[0]["status"] == "slower" and cmp[0]["ratio"] > 100
    assert cmp[0]["runtime"] == rows[0]["runtime"] and doc["reference"]["tolerance"] == 0.3
    assert "## Compared with" in (tmp_path / "second" / "latency.md").read_text()
    # the JSON works as a reference too, and --check passes a run within its tolerance: the
    # reference's medians are 1000x slower than this machine's (a run compared with the first
    # one's own medians is timing: a 5-run median of a ~0.01 ms call can double on a busy machine)
    doc = report.read_json(first / "latency.json")
    slow = [dict(r, median_ms=r["median_ms"] * 1000) for r in doc["results"]]
    slow_ref = report.write_json(tmp_path / "slow.json", slow, doc["machine"], doc.get("config"))
    assert main([*args, "--compare", str(slow_ref), "--tolerance", "0.99", "--check"]) == 0


def test_compare_rejects_a_csv_without_medians(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="no median_ms column"):
        reference.read_reference_rows(bad)


# -- edge-bench pipeline --live --------------------------------------------------------
def test_dropped_frames_counting() -> None:
    from benchmarks.pipeline_bench import dropped_frames

    assert dropped_frames([0, 1, 2, 3], [0, 0.1, 0.2, 0.3], 10.0) == (0, "timestamps x fps")
    assert dropped_frames([5, 6, 9, 10], [0, 0, 0, 0], None) == (2, "index gaps")
    # consecutive indices (an OpenCV camera) but 1 s for 4 frames at 10 fps: 7 missed
    assert dropped_frames([0, 1, 2, 3], [0.0, 0.3, 0.7, 1.0], 10.0) == (7, "timestamps x fps")
    assert dropped_frames([0, 1, 2], [0, 1, 2], None) == (0, "unknown")
    assert dropped_frames([0], [0.0], 30.0) == (0, "unknown")


def test_is_live_source() -> None:
    from benchmarks.pipeline_bench import is_live_source

    for s in ("0", "webcam:1", "/dev/video2", "picamera", "rtsp://cam/stream", "http://x/y.mjpg"):
        assert is_live_source(s), s
    for s in ("demo", "demo-hands:3", "clip.mp4", "photos/"):
        assert not is_live_source(s), s


def test_cli_pipeline_live_demo(
    tiny_digits_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pl"
    rc = main(
        [
            "pipeline",
            "--model",
            str(tiny_digits_bundle),
            "--source",
            "demo",
            "--live",
            "--fps",
            "60",
            "--frames",
            "12",
            "--warmup",
            "2",
            "--invoke-runs",
            "5",
            "--no-outputs",
            "--out",
            str(out),
        ]
    )
    assert rc in (0, 1)  # 1: the budget was missed on a busy machine; not what is tested
    assert "dropped frames" in capsys.readouterr().out
    doc = report.read_json(out / "pipeline.json")
    live = doc["pipeline"]["live"]
    assert live["frames"] == 12 and live["source_fps"] == 60.0 and live["wall_s"] > 0
    assert live["dropped"] >= 0 and live["dropped_method"] in ("index gaps", "timestamps x fps")
    stages = [r["stage"] for r in doc["results"]]
    assert stages[0] == "capture" and "process" in stages
    cap = next(r for r in doc["results"] if r["stage"] == "capture")
    assert cap["median_ms"] >= 0 and cap["metric"] == "capture" and cap["benchmark"] == "pipeline"
    assert "capture = the wait in source.read()" in (out / "pipeline.md").read_text()


def test_latency_time_budget(tiny_digits_bundle: Path, tmp_path: Path) -> None:
    from benchmarks.latency_compare import budget_runs

    assert budget_runs(1.0, 0.5) == 2000 and budget_runs(0.001, 5.0) == 10
    assert budget_runs(1e6, 0.001) == 100_000 and budget_runs(1.0, 0.0) == 100_000
    assert (
        main(
            [
                "latency",
                "--model",
                str(tiny_digits_bundle),
                "--seconds",
                "0.05",
                "--warmup",
                "1",
                "--no-accuracy",
                "-q",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    row = report.read_json(tmp_path / "latency.json")["results"][0]
    assert row["count"] == row["runs"] >= 10
    assert "0.05 s per row" in (tmp_path / "latency.md").read_text()


def test_results_files_record_no_machine_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shared reference files hold paths as the user types them, never this machine's."""
    from benchmarks.report import portable, read_json, write_json

    work = tmp_path / "proj"
    (tmp_path / "shared" / "data").mkdir(parents=True)
    work.mkdir()
    monkeypatch.chdir(work)
    data = str(tmp_path / "shared" / "data" / "rps")
    assert portable(f"{data} (still frames)") == "../shared/data/rps (still frames)"
    assert portable(str(work / "models" / "a")) == "models/a"
    assert portable("/var/cache/x/python") == ".../python"
    assert portable("governor (/sys/devices/cpu0/g absent) http://127.0.0.1:8080/p") == (
        "governor (/sys/devices/cpu0/g absent) http://127.0.0.1:8080/p"
    )
    out = write_json(tmp_path / "r.json", [{"source": data, "bundle": work / "m"}], {"cpu": "x"})
    doc = read_json(out)
    assert doc["results"] == [{"source": "../shared/data/rps", "bundle": "m"}]
    assert str(tmp_path) not in out.read_text()


# -- the machine's instruction sets; references of another CPU ---------------------------
def test_cpu_flags_from_cpuinfo() -> None:
    from benchmarks.machine import cpu_flags

    x86 = "processor : 0\nmodel name : AMD EPYC\nflags : fpu sse4_2 avx avx2 fma f16c avx512f avx512_vnni\n"
    assert cpu_flags(x86) == ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni"]
    arm = "processor : 0\nFeatures : fp asimd evtstrm aes crc32 asimddp i8mm\nHardware : BCM2835\n"
    assert cpu_flags(arm) == ["asimd", "asimddp", "i8mm"]
    assert cpu_flags("") is None


def test_a_reference_of_another_cpu_is_never_a_regression() -> None:
    from benchmarks.machine import describe_machine, format_machine

    this = describe_machine()
    if this["cpu_flags"] is not None:
        assert "cpu_flags" in format_machine(this)
    avx2 = {"machine": "x86_64", "cpu": "AMD EPYC", "cpu_flags": "avx2 fma"}
    avx512 = {"machine": "x86_64", "cpu": "AMD EPYC", "cpu_flags": "avx2 fma avx512f avx512_vnni"}
    unknown = {"machine": "x86_64", "cpu": "AMD EPYC"}  # recorded before cpu_flags
    assert reference.cpu_difference(avx512, dict(avx512)) is None
    assert reference.cpu_difference(avx512, None) is None  # a bare CSV: the user's word
    diff = reference.cpu_difference(avx2, avx512)
    assert diff and "avx512_vnni avx512f" in diff and "has not" in diff
    assert "cpu_flags" in (reference.cpu_difference(avx2, unknown) or "")
    assert "aarch64" in (reference.cpu_difference(avx2, {**avx2, "machine": "aarch64"}) or "")
    ref = [
        {"benchmark": "model", "metric": "invoke", "model": "m", "threads": 1, "batch": 1, "median_ms": 0.05}
    ]
    row = [dict(ref[0], median_ms=0.4)]  # 8x the AVX-512 reference
    assert reference.compare_with_reference(row, ref)[0]["status"] == "slower"
    cmp = reference.compare_with_reference(row, ref, other_cpu=diff)
    assert cmp[0]["status"] == "other CPU" and cmp[0]["ratio"] == pytest.approx(8.0)
    text = reference.format_comparison(cmp, "x86_64-2core", other_cpu=diff)
    assert text.startswith("note: the reference's CPU had") and "no row is called a regression" in text
    assert text.splitlines()[-1].endswith("other CPU")


def test_the_shipped_latency_reference_is_not_read_as_regressions() -> None:
    """It predates cpu_flags, so this machine cannot be matched with it: said, not flagged."""
    from benchmarks.machine import describe_machine

    path = reference.resolve_reference("x86_64-2core-latency")
    diff = reference.cpu_difference(describe_machine(), reference.read_reference_machine(path))
    assert diff is not None


def test_latency_recommends_the_fastest_file_at_equal_accuracy() -> None:
    from benchmarks.cli_latency import format_recommendation, recommend

    def row(model: str, quant: str, ms: float, acc: float | None, threads: int = 1) -> dict:
        return {
            "model": model,
            "quant": quant,
            "runtime": "litert",
            "threads": threads,
            "batch": 1,
            "median_ms": ms,
            "accuracy": acc,
            "family": ("digits", (28, 28, 1)),
        }

    rows = [
        row("big-int8", "int8", 0.11, 0.9970),
        row("big-float32", "float32", 0.40, 0.9969),
        row("small-int8", "int8", 0.03, 0.9942),  # faster but not as accurate
        row("small-float32", "float32", 0.02, None),  # accuracy unknown: not a candidate
        row("big-int8", "int8", 0.08, 0.9970, threads=2),
        row("big-float32", "float32", 0.05, 0.9965, threads=2),
    ]
    recs = recommend(rows)
    assert [(r["model"], r["threads"]) for r in recs] == [("big-int8", 1), ("big-float32", 2)]
    line = format_recommendation(recs[0])
    assert line.startswith("recommended: big-int8 (int8, fastest at equal accuracy")
    assert recommend(rows, tolerance=0.003)[0]["model"] == "small-int8"
    unmeasured = recommend([row("a", "int8", 0.2, None), row("b", "float32", 0.1, None)])
    assert unmeasured[0]["model"] == "b" and "accuracy not measured" in format_recommendation(unmeasured[0])
    assert recommend([row("a", "int8", 0.2, 0.99)]) == []  # one file: nothing to choose


def test_latency_recommends_per_source_network() -> None:
    from benchmarks.cli_latency import recommend

    def row(model: str, net: str, ms: float, acc: float) -> dict:
        return {
            "model": model,
            "quant": model.split("-")[-1],
            "runtime": "litert",
            "threads": 1,
            "batch": 1,
            "median_ms": ms,
            "accuracy": acc,
            "network": net,
            "family": "digits:28x28x1",
        }

    rows = [
        row("big-int8", "a", 0.11, 0.9970),
        row("big-float32", "a", 0.39, 0.9969),
        row("small-int8", "b", 0.035, 0.9958),
        row("small-float32", "b", 0.105, 0.9960),
    ]
    assert [r["model"] for r in recommend(rows)] == ["big-int8", "small-int8"]


def test_pipeline_reference_compared_across_a_new_default_model() -> None:
    from benchmarks.reference import compare_with_reference, format_comparison

    def row(bench: str, model: str, ms: float) -> dict:
        return {
            "benchmark": bench,
            "metric": "total",
            "model": model,
            "threads": None,
            "batch": None,
            "median_ms": ms,
        }

    ref = [row("pipeline", "old-int8", 6.0), row("latency", "old-int8", 0.1)]
    cmp = compare_with_reference([row("pipeline", "new-int8", 1.8), row("latency", "new-int8", 0.03)], ref)
    assert len(cmp) == 1  # latency rows of another model are not compared
    assert cmp[0]["model"] == "new-int8" and cmp[0]["reference_model"] == "old-int8"
    assert cmp[0]["ratio"] == pytest.approx(0.3) and cmp[0]["status"] == "faster"
    assert "reference's model old-int8" in format_comparison(cmp, "main")
    two = [row("pipeline", "a", 6.0), row("pipeline", "b", 5.0)]  # ambiguous: no comparison
    assert compare_with_reference([row("pipeline", "c", 1.0)], two) == []
