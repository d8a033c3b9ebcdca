"""What ``edge-bench model|pipeline|all`` prints, and its ``--out`` folder of the pipeline benchmark.

Text tables of the model and pipeline timings, the live and overhead lines, and
``pipeline.csv``/``.json``/``.md``/``.png`` (:func:`write_pipeline_folder`). Used by
:mod:`benchmarks.cli` only: printing belongs to the CLI.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from benchmarks import report
from benchmarks.machine import device_id
from benchmarks.pipeline_bench import BUDGET_FPS, TARGET_P99_RATIO, PipelineResult
from benchmarks.suite import BenchConfig

_MODEL_COLS = [
    ("metric", "metric", ""),
    ("threads", "thr", ""),
    ("batch", "batch", ""),
    ("count", "count", "d"),
    ("mean_ms", "mean ms", ".4f"),
    ("median_ms", "median ms", ".4f"),
    ("p90_ms", "p90 ms", ".4f"),
    ("p99_ms", "p99 ms", ".4f"),
    ("min_ms", "min ms", ".4f"),
    ("max_ms", "max ms", ".4f"),
    ("throughput_per_s", "inf/s", ".0f"),
]


_PIPE_COLS = [
    ("metric", "stage", ""),
    ("median_ms", "median ms", ".3f"),
    ("p90_ms", "p90 ms", ".3f"),
    ("p99_ms", "p99 ms", ".3f"),
    ("mean_ms", "mean ms", ".3f"),
    ("max_ms", "max ms", ".3f"),
    ("share_of_process", "share", ".0%"),
]


def print_model(cfg: BenchConfig, results: list[Any], rows: list[dict[str, Any]]) -> None:
    """The model benchmark as a table (ms per call) and in TFLite ``benchmark_model``'s format."""
    print(
        f"\nmodel benchmark: {results[0].model} ({results[0].runtime}), warm-up "
        f"{cfg.warmup_runs}, runs {cfg.runs}; latency per call in ms"
    )
    print(report.format_table(rows, _MODEL_COLS))
    print("\nin TFLite benchmark_model's format (µs):")
    for r in results:
        print(f"  [{r.metric} threads={r.threads} batch={r.batch}]")
        print(f"    {r.stats.benchmark_model_line()}")
        print(f"    {r.benchmark_model_summary()}")
    print(
        "compare with: benchmark_model --graph=<bundle>/model.tflite --num_threads=T "
        f"--warmup_runs={cfg.warmup_runs} --num_runs={cfg.runs} (its 'Inference (avg)' "
        "matches 'invoke' avg; 'classify' adds quantise/dequantise and labels)"
    )


def print_pipeline(cfg: BenchConfig, res: PipelineResult, rows: list[dict[str, Any]]) -> bool:
    """The pipeline benchmark stage by stage, by object count, FPS and the target check.

    Returns:
        Whether the pipeline meets ``cfg.target_ms``.
    """
    p = res.stats["process"]
    print(
        f"\npipeline benchmark: {res.model} ({res.runtime}, threads "
        f"{res.threads if res.threads is not None else 'runtime default'}), source "
        f"{cfg.source}, {res.frames} frames in memory (warm-up {res.warmup}), "
        f"{res.rois.mean():.2f} ROIs/frame; ms per frame"
    )
    print(report.format_table(rows, _PIPE_COLS))
    print(
        "  total: the pipeline's own timer, segment to smooth (incl. grouping); process: "
        "wall time of Pipeline.process;\n  process_cpu: CPU time used meanwhile (all threads; "
        "far below process = other programs had the CPUs)"
    )
    by = res.by_digits()
    if len(by) > 1:
        key = next(iter(by[0]))
        print(f"\nprocess ms by {key} per frame:")
        print(
            report.format_table(
                by,
                [
                    (key, key, "d"),
                    ("frames", "frames", "d"),
                    ("mean_rois", "ROIs", ".2f"),
                    ("median_ms", "median ms", ".3f"),
                    ("p99_ms", "p99 ms", ".3f"),
                ],
            )
        )
    tail = res.tail()
    if tail["frames"] and tail["median_ms"]:
        stages = ", ".join(
            f"{k} {tail['median_ms'][k]:.2f} ({tail['all_median_ms'][k]:.2f})" for k in tail["median_ms"]
        )
        print(
            f"\nthe slowest 1% ({tail['frames']} frames, process >= p99; {tail['mean_rois']:.2f} ROIs/frame, "
            f"all frames {tail['all_mean_rois']:.2f}), median ms (all frames'): {stages}"
        )
    if res.palm_share is not None:
        when = res.palm_ms_when_run()
        print(
            f"\npalm detector ran on {res.palm_share:.1%} of the frames"
            + (f" ({when:.2f} ms median when it ran)" if when is not None else "")
        )
    ok = res.meets_target(cfg.target_ms)
    print(
        f"\nfps {res.fps:.0f} (1000 / median process); {res.budget_fraction():.1%} of a "
        f"{BUDGET_FPS:.0f} fps frame budget ({1e3 / BUDGET_FPS:.1f} ms)"
    )
    print(
        f"target ({res.task}): median <= {cfg.target_ms:g} ms and p99 <= {TARGET_P99_RATIO:g}x median: "
        f"median {p.median_ms:.3f} ms, p99 {p.p99_ms:.3f} ms "
        f"({p.p99_over_median:.2f}x) -> {'PASS' if ok else 'FAIL'}"
    )
    return ok


def print_live(lv: dict[str, Any]) -> None:
    """The live run's end-to-end FPS and dropped frames."""
    rate = f"{lv['source_fps']:.1f} fps" if lv.get("source_fps") else "an unknown rate"
    print(
        f"\nlive: {lv['frames']} frames in {lv['wall_s']:.2f} s -> {lv['fps_end_to_end']:.1f} fps "
        f"end to end (capture wait included; source at {rate}); dropped frames "
        f"{lv['dropped']} ({lv['dropped_fraction']:.1%}, by {lv['dropped_method']})"
    )


def hands_note(h: dict[str, Any]) -> str:
    """What the hands comparison timed, in one paragraph."""
    mp = (
        f"MediaPipe {h['mediapipe']}'s Hands graph (threads: {h['mediapipe_threads']})"
        if h.get("mediapipe")
        else "no MediaPipe reference (--mediapipe-ref auto|PYTHON)"
    )
    return (
        f"{h['stills']} still frames (palm detector on every frame) and a {h['video_frames']}-frame "
        f"held-hand video ({h.get('video_photo')}); ours: the {h['models']} MediaPipe models at "
        f"{', '.join(map(str, h['threads']))} interpreter thread(s); ours-bare: without the tracker's "
        f"refine and fallback steps; max hands {h['max_hands']}; {mp}. median/p99: wall ms per "
        "frame (ours: Pipeline.process; MediaPipe: BGR->RGB + Hands.process); cpu/wall: CPU time of "
        "the process (all threads) over wall time; hands found: frames with a hand of presence "
        ">= 0.5 (MediaPipe: any hand reported)."
    )


def print_hands(h: dict[str, Any]) -> None:
    """The hands comparison (:func:`benchmarks.hands_bench.compare_hands`) and its criteria."""
    from benchmarks.hands_compare import format_comparison

    print("\nhands: ours against MediaPipe's graph on the same frames")
    print(format_comparison(h["rows"], h["criteria"]))
    print(hands_note(h))


def print_overhead(o: dict[str, Any]) -> None:
    """Overhead over the bare interpreter (:func:`benchmarks.pipeline_bench.overhead_ratios`)."""

    def f(v: float | None, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    print(
        f"\noverhead over the bare interpreter (invoke median {o['bare_invoke_median_ms']:.4f} ms, batch 1):"
    )
    print(
        f"  classify per ROI / bare invoke: {f(o['classify_per_roi_over_invoke'], '.2f')}x "
        f"(classify per ROI median {f(o['classify_per_roi_median_ms'], '.4f')} ms, ROIs read afresh)"
    )
    if o.get("kept_share"):
        share = o["kept_share"]
        print(f"  ROIs that took a reading kept from the last frames (edge.read_cache): {share:.0%}")
    print(
        f"  process / (bare invoke x {o['mean_rois']:.2f} ROIs/frame): "
        f"{f(o['process_over_invoke_x_rois'], '.2f')}x"
    )


#: Rows of ``pipeline.csv``, ``.json`` and ``.md``, in order (``process_cpu`` is printed and in
#: ``--json``/``--csv``, not in the folder).
_FOLDER_METRICS = (
    "capture",
    "segment",
    "palm",
    "landmarks",
    "preprocess",
    "classify",
    "smooth",
    "total",
    "process",
    "draw",
    "write",
    "end_to_end",
)


def write_pipeline_folder(
    out: str, cfg: BenchConfig, res: PipelineResult, machine: dict[str, Any], extra: dict[str, Any]
) -> list[str]:
    """``pipeline.csv`` (one row per stage: median, p90, p99, mean, max ms and share of
    ``process``), ``pipeline.json``, ``pipeline.md`` and ``pipeline.png`` in ``out``.

    Returns:
        Lines to print: what was written, or why the PNG was skipped.
    """
    keys = ("median_ms", "p90_ms", "p99_ms", "mean_ms", "max_ms")
    base = res.stats["process"].median_ms
    rows: list[dict[str, Any]] = []
    for m in _FOLDER_METRICS:
        if m not in res.stats:
            continue
        st = res.stats[m].as_dict()
        rows.append(
            {
                "stage": m,
                **{k: st[k] for k in keys},
                "share": st["median_ms"] / base if base > 0 else None,
                # the identity of the row for --reference pipeline.csv
                "benchmark": "pipeline",
                "metric": m,
                "model": res.model,
                "runtime": res.runtime,
                "threads": res.threads,
                "batch": None,
            }
        )
    title = (
        f"edge-bench pipeline on {device_id(machine)} ({machine.get('cpu')}): "
        f"{res.model}, {res.frames} frames of {cfg.source}, {res.rois.mean():.2f} ROIs/frame"
    )
    cols = [
        ("stage", "stage", ""),
        *((k, k.replace("_ms", " ms"), ".3f") for k in keys),
        ("share", "share of process", ".0%"),
    ]
    o = extra.get("pipeline", {}).get("overhead")
    footer = (
        "total: the pipeline's own timer (segment to smooth); process: wall time of "
        "Pipeline.process; draw: draw_overlay; write: VideoSink (.mp4: fragmented H.264 with PyAV, "
        "else OpenCV's mp4v); "
        "end_to_end: process + draw + write.\n"
    )
    lv = extra.get("pipeline", {}).get("live")
    if lv:
        footer += (
            f"\nlive ({res.source}): capture = the wait in source.read(); {lv['frames']} "
            f"frames in {lv['wall_s']:.2f} s = {lv['fps_end_to_end']:.1f} fps end to end; "
            f"source rate {lv['source_fps']}; dropped frames {lv['dropped']} "
            f"({lv['dropped_fraction']:.1%}, by {lv['dropped_method']})\n"
        )
    ps = extra.get("pipeline", {}).get("palm_share")
    if ps is not None:
        footer += (
            f"\npalm, landmarks: parts of segment (0 ms on frames where they did not run); the "
            f"palm detector ran on {ps:.1%} of the frames.\n"
        )
    h = extra.get("hands_comparison")
    if h:
        from benchmarks.hands_compare import format_comparison

        table = format_comparison(h["rows"], h["criteria"], markdown=True)
        footer += f"\n## Against MediaPipe's Hands graph\n\n{table}\n\n{hands_note(h)}\n"
    if o:
        footer += (
            f"\nbare invoke median {o['bare_invoke_median_ms']:.4f} ms; classify per ROI / "
            f"bare invoke: {o['classify_per_roi_over_invoke'] or float('nan'):.2f}x; process / "
            f"(bare invoke x mean ROIs): {o['process_over_invoke_x_rois'] or float('nan'):.2f}x\n"
        )
    stages = (
        "capture",
        "segment",
        "preprocess",
        "classify",
        "smooth",
        "process",
        "draw",
        "write",
        "end_to_end",
    )
    shown = [r for r in rows if r["stage"] in stages]
    colours = {"process": "tab:blue", "end_to_end": "tab:purple", "draw": "tab:orange", "write": "tab:red"}

    def chart(path: Any) -> Any:
        return report.bar_chart(
            path,
            [r["stage"] for r in shown],
            [r["median_ms"] for r in shown],
            [r["p99_ms"] for r in shown],
            title=title,
            horizontal=True,
            axis_label="ms per frame (bar: median, whisker: p99)",
            colours=[colours.get(r["stage"], "tab:gray") for r in shown],
            notes=[f"{r['median_ms']:.2f}" for r in shown],
        )

    return report.write_results_folder(
        out,
        "pipeline",
        rows,
        machine,
        asdict(cfg),
        title=title,
        columns=cols,
        footer=footer,
        chart=chart,
        **extra,
    )


__all__ = [
    "hands_note",
    "print_hands",
    "print_live",
    "print_model",
    "print_overhead",
    "print_pipeline",
    "write_pipeline_folder",
]
