"""``--model digits`` takes the faster of its int8 and float32 files on this CPU (edge.cpu_quant)."""

from __future__ import annotations

import pytest

from benchmarks.cli_latency import default_note
from edge import cpu_quant
from edge.bundle import SHIPPED
from edge.cpu_quant import cpu_flag_set, fastest_quant

X86_AVX2 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse4_2 avx avx2 fma f16c\n"
X86_VNNI = "processor\t: 0\nflags\t\t: fpu avx avx2 fma avx512f avx512_vnni\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU part\t: 0xd08\n"


def test_flags_are_read_from_the_first_flags_or_features_line() -> None:
    assert cpu_flag_set(X86_AVX2) == {"fpu", "sse4_2", "avx", "avx2", "fma", "f16c"}
    assert "asimd" in (cpu_flag_set(ARM) or ())
    assert cpu_flag_set("processor\t: 0\n") is None


@pytest.mark.parametrize(
    ("cpuinfo", "machine", "quant"),
    [
        (X86_AVX2, "x86_64", "float32"),  # AVX2/FMA, no int8 dot product: float32 measured faster
        (X86_AVX2, "AMD64", "float32"),  # Windows spells it so
        (X86_VNNI, "x86_64", "int8"),  # AVX-512 VNNI: int8 measured 3x faster
        ("flags\t: avx2 fma avx_vnni\n", "x86_64", "int8"),
        ("flags\t: avx2 fma amx_int8\n", "x86_64", "int8"),
        (ARM, "aarch64", "int8"),  # a Pi: not measured here, int8 as TFLite's Pi examples
        ("", "x86_64", "int8"),  # flags unreadable: the int8 file
    ],
)
def test_the_rule(cpuinfo: str, machine: str, quant: str) -> None:
    assert fastest_quant(cpu_flag_set(cpuinfo), machine) == quant


def test_the_default_digits_bundle_follows_this_cpu(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    this = fastest_quant(cpu_flag_set(), None)  # read now, not cached
    assert fastest_quant() == this
    assert SHIPPED["digits"] == SHIPPED["digits-oe"] == f"digits-lenet16camoe-{this}"
    assert SHIPPED[f"digits-{this}"] == SHIPPED["digits"]
    # no /proc/cpuinfo (macOS, Windows): read as unknown, never an error
    monkeypatch.setattr(cpu_quant, "CPUINFO_PATH", tmp_path / "missing")
    assert cpu_flag_set() is None


def test_edge_bench_latency_says_whether_the_default_is_the_recommended_file() -> None:
    default = SHIPPED["digits"]
    other = "digits-lenet16camoe-" + ("int8" if default.endswith("float32") else "float32")
    group = {"runtime": "litert", "threads": 2, "batch": 4}
    rec = {"model": default, "others": [(other, 0.2, None)], **group}
    assert (default_note(rec) or "").startswith("litert t2 b4: ") and "the recommended file" in (
        default_note(rec) or ""
    )
    rec = {"model": other, "others": [(default, 0.2, None)], **group}
    note = default_note(rec) or ""
    assert f"found {other} faster" in note and f"--model {other}" in note
    assert default_note({"model": "a", "others": [("b", 0.1, None)], **group}) is None
