"""Note (THEORY.md section 9, item 2): W1(Q(z,.), Q(z',.)) <= max(lam, rho) |z - z'| is false for
a general W1-contractive data kernel: refuted.

Counterexample (two points). Data kernel X_1 = 2 lam x xi with xi ~ Bernoulli(1/2): it is
lam-contractive in W1 (W1(P(x,.), P(x',.)) = lam |x - x'|) but not almost surely. The y-part
contracts deterministically, F(y) = rho y. With lam = rho = 0.6, z = (0, 0), z' = (delta, delta):
Q(z,.) = point mass at (0, 0), Q(z',.) = 1/2 at (0, rho delta) + 1/2 at (2 lam delta, rho delta),
so W1 = (rho delta + 2 lam delta) / 2 = 0.9 delta > max(lam, rho) delta = 0.6 delta (max-norm
ground cost). lam + rho = 1.2 delta remains a valid bound; so is max(lam, rho) when the data
coupling contracts almost surely (Example 2.4).

Demonstration. Both W1 distances computed exactly by the library's optimal-transport solver
(``rtrl_theory.estimators.w1_empirical``, POT's network simplex, Chebyshev ground cost). Status
``refuted`` when the computed values are 0.9 delta and lam delta (to 1e-12: an exact LP on two
points, rounding only), ``fail`` otherwise.
"""

from __future__ import annotations

from unittest import mock

import numpy as np

from rtrl_theory import estimators
from rtrl_theory.checks import CheckResult, Mutant

ID = "note-9.2"
STATEMENT = "max(lam, rho) contraction fails for general W1-contractive data kernels"


def _w1(xs, a, ys, b):
    return float(
        estimators.w1_empirical(
            np.asarray(xs, float), np.asarray(ys, float), a=np.asarray(a, float), b=b
        )
    )


def check(quick: bool = True) -> CheckResult:
    lam = rho = 0.6
    delta = 1.0
    # joint kernel from z = (0, 0) and z' = (delta, delta)
    w_joint = _w1(
        [[0.0, 0.0]], [1.0], [[0.0, rho * delta], [2 * lam * delta, rho * delta]], [0.5, 0.5]
    )
    # data kernel alone, from x = 0 and x' = delta
    w_data = _w1([[0.0]], [1.0], [[0.0], [2 * lam * delta]], [0.5, 0.5])
    expected = (rho + 2 * lam) / 2 * delta
    ok = abs(w_joint - expected) <= 1e-12 and abs(w_data - lam * delta) <= 1e-12
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"[P1]: W1(Q(z,.),Q(z',.)) <= max(lam, rho) |z - z'| = {max(lam, rho) * delta:g}",
        measured=(
            f"exact W1 = {w_joint:.12g} (> {max(lam, rho) * delta:g}, <= lam + rho = "
            f"{(lam + rho) * delta:g}); data kernel W1 = {w_data:.12g} = lam |x - x'|"
        ),
        method="exact optimal transport (library w1_empirical, Chebyshev cost) on two points",
        status="refuted" if ok else "fail",
        reason=""
        if ok
        else "the counterexample did not reproduce "
        f"(W1 {w_joint:.6g}, expected {expected:.6g}; data W1 {w_data:.6g}, expected {lam:g})",
        details={"w1_joint": w_joint, "w1_data": w_data, "lam": lam, "rho": rho},
    )


def _means_distance(x, y, *, a=None, b=None, **kw):
    """|E mu - E nu|_inf: a lower bound of W1, attained only by a deterministic shift."""
    x, y = np.atleast_2d(np.asarray(x, float)), np.atleast_2d(np.asarray(y, float))
    x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
    a = np.full(len(x), 1 / len(x)) if a is None else np.asarray(a, float) / np.sum(a)
    b = np.full(len(y), 1 / len(y)) if b is None else np.asarray(b, float) / np.sum(b)
    return float(np.max(np.abs(a @ x - b @ y)))


MUTANTS = (
    Mutant(
        "w1-means-only",
        "the library's W1 replaced by the distance of the means (the W1 of a synchronous, a.s. "
        "coupling): the joint value becomes max(lam, rho) delta = 0.6 and the counterexample "
        "disappears",
        lambda: mock.patch.object(estimators, "w1_empirical", _means_distance),
    ),
    Mutant(
        "w1-euclidean-cost",
        "the library's W1 with the Euclidean ground cost instead of [P1]'s max-norm: the joint "
        "value is 0.3 + 0.5 sqrt(1.8) = 0.97, not the derived 0.9",
        lambda: mock.patch.object(
            estimators,
            "w1_empirical",
            lambda x, y, _f=estimators.w1_empirical, **k: _f(x, y, **{**k, "metric": "euclidean"}),
        ),
    ),
)
