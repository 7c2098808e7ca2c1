"""Proposition 3.1 / Theorem 3.11 of [P1]: the joint process contracts geometrically in W1,
W1(mu_t, nu_t) <= C rho_bar^t with rho_bar = max(lam, rho) (3.45).

Statement. Two copies of Z_t = (X_t, eta_t, S_t, J_t, H_t) at fixed theta started from different
laws approach each other in W1 (max-norm ground cost) at rate rho_bar.

Method (estimate_contraction_rate, known-answer validated on AR(1) chains in the tests).
(ii) Synchronous coupling (same data and noise) from the point law and the uniform law on the
a-priori box: E||Z_t - Z'_t||_max over all coordinates, an upper bound on W1, fitted on the part
of the curve above the float64 resolution, with a bootstrap-over-particles interval. The
fitted rate must not exceed rho_bar (from the assumptions checker). (i) Independent coupling:
W1 of the first input coordinate (exact 1-D W1, a lower bound on the joint W1) from x0 = +1 and
-1, fitted above 3 x the finite-sample floor with a jackknife interval (bias-adjusted for the
floor): the interval must not lie above rho_bar. Both rates are reported beside lam and rho.
"""

from __future__ import annotations

from rtrl_theory.checks import CheckResult

from ._montecarlo import assumptions, contraction_runs

ID = "prop-3.1"
STATEMENT = "The joint process (X, eta, S, J, H) contracts in W1 at rate <= rho_bar = max(lam, rho)"


def check(quick: bool = True) -> CheckResult:
    a = assumptions()
    rho_bar = a.rho_bar
    sync, indep = contraction_runs(quick)
    problems = []
    if sync.rate > rho_bar:
        problems.append(f"synchronous rate {sync.rate:.4f} > rho_bar {rho_bar:.4f}")
    if not indep.consistent_with(rho_bar):
        problems.append(
            f"independent-coupling interval {indep.rate_ci_bias_adjusted} lies above rho_bar"
        )
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"rate <= rho_bar = max(lam, rho) = max({a.lam:g}, {a.rho:.3f}) = {rho_bar:.3f}",
        measured=(
            f"synchronous E||Z-Z'||: rate {sync.rate:.4f} [{sync.rate_ci[0]:.4f}, "
            f"{sync.rate_ci[1]:.4f}] ({sync.n_used} points); independent W1(X_0): rate "
            f"{indep.rate:.3f} [{indep.rate_ci[0]:.3f}, {indep.rate_ci[1]:.3f}], floor "
            f"{indep.floor:.3g} ({indep.n_used} points); lam = {a.lam:g}, rho = {a.rho:.3f}"
        ),
        method="synchronous and independent couplings of particle ensembles; geometric fits "
        "with bootstrap / jackknife intervals",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
            "rho_bar": rho_bar,
            "lam": a.lam,
            "rho": a.rho,
            "synchronous": {
                "rate": sync.rate,
                "rate_ci": list(sync.rate_ci),
                "distances": sync.distances.tolist(),
            },
            "independent": {
                "rate": indep.rate,
                "rate_ci": list(indep.rate_ci),
                "rate_ci_bias_adjusted": list(indep.rate_ci_bias_adjusted),
                "floor": indep.floor,
                "distances": indep.distances.tolist(),
            },
        },
    )
