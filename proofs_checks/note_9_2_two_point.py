"""Note (THEORY.md section 9, item 2): W1(Q(z,.), Q(z',.)) <= max(lam, rho) |z - z'| is false for
a general W1-contractive data kernel.

Counterexample (two points). Data kernel X_1 = 2 lam x xi with xi ~ Bernoulli(1/2): it is
lam-contractive in W1 (W1(P(x,.), P(x',.)) = lam |x - x'|) but not almost surely. The y-part
contracts deterministically, F(y) = rho y. With lam = rho = 0.6, z = (0, 0), z' = (delta, delta):
Q(z,.) = point mass at (0, 0), Q(z',.) = 1/2 at (0, rho delta) + 1/2 at (2 lam delta, rho delta),
so W1 = (rho delta + 2 lam delta) / 2 = 0.9 delta > max(lam, rho) delta = 0.6 delta (max-norm
ground cost). lam + rho = 1.2 delta remains a valid bound; so is max(lam, rho) when the data
coupling contracts almost surely (Example 2.4).

Demonstration. Both W1 distances computed exactly with POT (ot.emd2, Chebyshev ground cost).
Status "note" when the computed values are 0.9 delta and lam delta (to 1e-12), "fail" otherwise.
"""

from __future__ import annotations

import numpy as np
import ot

from rtrl_theory.checks import CheckResult

ID = "note-9.2"
STATEMENT = "max(lam, rho) contraction fails for general W1-contractive data kernels"


def _w1(xs, a, ys, b):
    M = ot.dist(np.asarray(xs, float), np.asarray(ys, float), metric="chebyshev")
    return float(ot.emd2(np.asarray(a, float), np.asarray(b, float), M))


def check(quick: bool = True) -> CheckResult:
    lam = rho = 0.6
    delta = 1.0
    # joint kernel from z = (0, 0) and z' = (delta, delta)
    w_joint = _w1(
        [[0.0, 0.0]], [1.0], [[0.0, rho * delta], [2 * lam * delta, rho * delta]], [0.5, 0.5]
    )
    # data kernel alone, from x = 0 and x' = delta
    w_data = _w1([[0.0]], [1.0], [[0.0], [2 * lam * delta]], [0.5, 0.5])
    ok = abs(w_joint - 0.9 * delta) <= 1e-12 and abs(w_data - lam * delta) <= 1e-12
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"[P1]: W1(Q(z,.),Q(z',.)) <= max(lam, rho) |z - z'| = {max(lam, rho) * delta:g}",
        measured=(
            f"exact W1 = {w_joint:.12g} (> {max(lam, rho) * delta:g}, <= lam + rho = "
            f"{(lam + rho) * delta:g}); data kernel W1 = {w_data:.12g} = lam |x - x'|"
        ),
        method="exact optimal transport (POT emd2, Chebyshev cost) on a two-point example",
        status="note" if ok else "fail",
        reason="" if ok else "the counterexample did not reproduce",
        details={"w1_joint": w_joint, "w1_data": w_data, "lam": lam, "rho": rho},
    )
