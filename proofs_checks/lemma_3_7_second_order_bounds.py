"""Lemma 3.7 of [P1]: the second derivatives of the hidden state stay in a box.

Statement. If N C_f < 4 and the derivatives start at zero, the Hessian blocks of S_t are bounded
for all t by K_WW, K_WB, K_BB (THEORY.md section 6: the (B.5) fixed points of
|d2S| <= (sqrt3/18)|dz/da||dz/db| + (1/4)(N C_f |d2S_prev| + Rbar)).

Method. Simulation of the second-order recursion (Section 2.4) on stressed configurations; the
check fails if any observed entry exceeds its radius.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory.checks import CheckResult

from ._common import box_ratios

ID = "lemma-3.7"
STATEMENT = "Second derivatives of S stay within K_WW, K_WB, K_BB when N C_f < 4"


def check(quick: bool = True) -> CheckResult:
    ratios, n = box_ratios(np.random.default_rng(37), quick, order=2)
    worst = max(ratios.values())
    ok = worst <= 1.0
    return CheckResult(
        ID,
        STATEMENT,
        claimed="max |H| / radius <= 1 for all t (radii K_WW, K_WB, K_BB of THEORY.md section 6)",
        measured="largest observed/bound: "
        + ", ".join(f"{k} {v:.3g}" for k, v in ratios.items())
        + f" ({n} configurations)",
        method="simulation of the second-order recursion on stressed configurations",
        status="pass" if ok else "fail",
        reason=""
        if ok
        else f"an observed derivative exceeded its a-priori radius (ratio {worst:.3g})",
        details={"ratios": ratios, "n_configurations": n},
    )
