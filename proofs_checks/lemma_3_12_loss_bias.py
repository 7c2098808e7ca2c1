"""Lemma 3.12 of [P1]: |E L_T(theta) - L(theta)| <= C / (T (1 - rho_bar)), uniformly in theta.

Statement. The expected finite-horizon loss converges to the limit loss (2.27) at rate 1/T.

Method. The bias E L_T - L is estimated by the synchronous coupling of particles started from a
point mass with particles of a stationary ensemble (estimators.loss_bias_curve): the estimator is
unbiased and its variance small, so the curve can be followed over three decades of T. The
log-log slope over T >= 16 must be -1 (band +-0.05: T (E L_T - L) converges to its limit up to a
tail of order rho_bar^T < 1e-2 at T = 16); the constant C (1 - rho_bar) = T |E L_T - L| (1 -
rho_bar) is reported.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory.checks import CheckResult
from rtrl_theory.estimators import loss_bias_curve

from ._montecarlo import assumptions, joint_process, sizes

ID = "lemma-3.12"
STATEMENT = "|E L_T - L| <= C / (T (1 - rho_bar)): the finite-horizon loss converges at rate 1/T"
CLAIMED_EXPONENT = -1.0
BAND = 0.05


def check(quick: bool = True) -> CheckResult:
    jp = joint_process(order=1)
    s = sizes(quick)
    T_grid = 2 ** np.arange(0, 10 if quick else 12)
    T, bias, se = loss_bias_curve(
        jp, T_grid, n_particles=4 * s["n_particles"], burn_in=s["burn_in"], rng=312
    )
    use = (T >= 16) & (np.abs(bias) > 5 * se)
    problems = []
    if use.sum() < 3:
        problems.append(f"only {int(use.sum())} points of the curve are above 5 standard errors")
        slope = float("nan")
    else:
        slope = float(np.polyfit(np.log(T[use]), np.log(np.abs(bias[use])), 1)[0])
        if abs(slope - CLAIMED_EXPONENT) > BAND:
            problems.append(f"log-log slope {slope:.3f}, not {CLAIMED_EXPONENT} +- {BAND}")
    rho_bar = assumptions().rho_bar
    C = float(T[-1] * abs(bias[-1]) * (1 - rho_bar))
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"E L_T - L ~ C / T: log-log slope {CLAIMED_EXPONENT} (+-{BAND})",
        measured=(
            f"slope {slope:.4f} over T = {int(T[use][0]) if use.any() else 0}..{int(T[-1])}; "
            f"T |E L_T - L| -> {T[-1] * abs(bias[-1]):.4g} (+- {T[-1] * se[-1]:.2g}), i.e. "
            f"C = {C:.3g} with rho_bar = {rho_bar:.3f}"
        ),
        method="coupling with a stationary ensemble (unbiased for E L_T - L), log-log fit",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={"T": T.tolist(), "bias": bias.tolist(), "stderr": se.tolist(), "slope": slope},
    )
