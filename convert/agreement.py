"""Does the converted file still behave like the source model? The check every conversion gets.

A quantised file can lose the model (36% top-1 agreement after int8 is not rare for a model
whose activations int8 does not fit). Every conversion is checked against two thresholds on
the verification data: top-1 agreement with the source model (default
:data:`convert.config.DEFAULT_MIN_AGREEMENT`) and the mean |p_tflite - p_source| over all
samples and classes (default :data:`convert.config.DEFAULT_MAX_PROB_DIFF`). A failed check
prints one WARNING block with what to try; ``--strict`` turns it into exit code 1, and so
does missing a threshold given explicitly (``--min-agreement 0.99``). The result is recorded
in ``model.json`` (``metrics.<key>.check``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from convert.config import DEFAULT_MAX_PROB_DIFF, DEFAULT_MIN_AGREEMENT, ConvertConfig


@dataclass(frozen=True)
class AgreementCheck:
    """The outcome of :func:`check_agreement`.

    Attributes:
        agreement: top-1 agreement (0..1), NaN when the file could not be run here.
        prob_diff: mean |Δp| (0..1), NaN likewise.
        min_agreement, max_prob_diff: the thresholds applied.
        strict: every failure fails the run (``--strict``).
        agreement_given, prob_diff_given: that threshold was given explicitly, so missing it
            fails the run.
        verified: the file was run here at all (a Flex file may not be).
    """

    agreement: float
    prob_diff: float
    min_agreement: float
    max_prob_diff: float
    strict: bool = False
    agreement_given: bool = False
    prob_diff_given: bool = False
    verified: bool = True

    @property
    def problems(self) -> list[str]:
        """What failed, one short phrase each; empty when the check passed."""
        if not self.verified:
            return ["the converted file could not be run here, so it is NOT verified"]
        out = []
        if self.agreement_low:
            out.append(
                f"top-1 agreement with the source model is {100 * self.agreement:.1f}%, "
                f"below --min-agreement {self.min_agreement:g}"
            )
        if self.prob_diff_high:
            out.append(f"mean |Δp| is {self.prob_diff:.4f}, above --max-prob-diff {self.max_prob_diff:g}")
        return out

    @property
    def agreement_low(self) -> bool:
        return self.verified and not self.agreement >= self.min_agreement

    @property
    def prob_diff_high(self) -> bool:
        return self.verified and not self.prob_diff <= self.max_prob_diff

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def fails_run(self) -> bool:
        """The run must exit 1: a failure under ``--strict``, or an explicit threshold missed."""
        if self.strict:
            return not self.passed
        return (self.agreement_low and self.agreement_given) or (self.prob_diff_high and self.prob_diff_given)

    def to_json(self) -> dict[str, Any]:
        return {
            "min_agreement": self.min_agreement,
            "max_mean_abs_prob_diff": self.max_prob_diff,
            "passed": self.passed,
            "problems": self.problems,
        }


def check_agreement(metrics: dict[str, Any], cfg: ConvertConfig) -> AgreementCheck:
    """Compare :func:`convert.verify.verify_bundle`'s metrics with ``cfg``'s thresholds.

    Args:
        metrics: ``top1_agreement`` and ``mean_abs_prob_diff`` (``None`` when not verified).
        cfg: ``min_agreement``/``max_prob_diff`` (``None``: the defaults) and ``strict``.
    """
    agr, diff = metrics.get("top1_agreement"), metrics.get("mean_abs_prob_diff")
    return AgreementCheck(
        agreement=math.nan if agr is None else float(agr),
        prob_diff=math.nan if diff is None else float(diff),
        min_agreement=DEFAULT_MIN_AGREEMENT if cfg.min_agreement is None else cfg.min_agreement,
        max_prob_diff=DEFAULT_MAX_PROB_DIFF if cfg.max_prob_diff is None else cfg.max_prob_diff,
        strict=cfg.strict,
        agreement_given=cfg.min_agreement is not None,
        prob_diff_given=cfg.max_prob_diff is not None,
        verified=agr is not None,
    )


def warning_block(check: AgreementCheck, quant: str, bundle: str, samples: int | None = None) -> str:
    """The loud, multi-line WARNING printed when ``check`` failed ("" when it passed)."""
    if check.passed:
        return ""
    bar = "=" * 78
    on = f" on {samples} verification samples" if samples else ""
    lines = [bar, f"WARNING: the {quant} file in {bundle} does not behave like the source model{on}:"]
    lines += [f"  - {p}" for p in check.problems]
    if not check.verified:
        lines.append("  Run it where its runtime is available, or convert without --select-tf-ops.")
    elif quant in ("int8", "int16x8"):
        lines.append(
            "  Try: --debug-quant (per-layer errors), --float-worst 2 or --skip-quant LAYER, "
            "--quant int16x8 or --quant dynamic, or more varied --rep-data."
        )
    else:
        lines.append("  Check --value-range/--colour-order (the input table above) and the data given.")
    lines.append(
        "  This run FAILS (exit 1)."
        if check.fails_run
        else "  The bundle is written but should not ship; --strict makes this an error."
    )
    lines.append(bar)
    return "\n".join(lines)
