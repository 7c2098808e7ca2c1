"""Lemma 3.5 of [P1]: the first derivatives of the hidden state stay in a box.

Statement. If N C_f < 4 and the derivatives start at zero, then for all t
|dS_t/dW| <= K_W = C_x C_g' / (4 - N C_f) and |dS_t/dB| <= K_B = C_f' / (4 - N C_f)
(max-norm, entrywise; THEORY.md section 6, from (B.5)).

Method. Simulation of the recursion (2.20)-(2.21) on stressed configurations (inputs +-C_x,
N C_f up to 3.5, both bounded maps, saturating and small weights); the check fails if any
observed entry exceeds its radius (ratio > 1). The ratio reported shows how conservative the
bound is.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory.checks import CheckResult

from ._common import box_ratios

ID = "lemma-3.5"
STATEMENT = "First derivatives dS/dW, dS/dB stay within K_W, K_B when N C_f < 4"


def check(quick: bool = True) -> CheckResult:
    ratios, n = box_ratios(np.random.default_rng(35), quick, order=1)
    worst = max(ratios.values())
    ok = worst <= 1.0
    return CheckResult(
        ID,
        STATEMENT,
        claimed="max |J| / radius <= 1 for all t (K_W = C_x C_g'/(4 - N C_f), K_B = C_f'/(4 - N C_f))",
        measured="largest observed/bound: "
        + ", ".join(f"{k} {v:.3f}" for k, v in ratios.items())
        + f" ({n} configurations)",
        method="simulation of the first-order recursion on stressed configurations",
        status="pass" if ok else "fail",
        reason=""
        if ok
        else f"an observed derivative exceeded its a-priori radius (ratio {worst:.3g})",
        details={"ratios": ratios, "n_configurations": n},
    )
