"""Shared by lemma-3.8 and lemma-3.9: the adversarial Lipschitz search against the claimed constants."""

from __future__ import annotations


def lipschitz_check(
    cid: str, statement: str, blocks, quick: bool, seed: int = 0, tol: float = 1e-5
):
    """The result of lemma-3.8 / lemma-3.9: the adversarial search's largest one-step Lipschitz
    constant / claimed constant <= 1 + tol on every configuration of
    ``_montecarlo.SEARCH_CONFIGS`` (claimed constants read through
    ``rtrl_theory.bounds.contraction_constants``)."""
    from rtrl_theory.checks import CheckResult

    from ._montecarlo import adversarial_search

    runs = adversarial_search(quick, seed)
    ratios = dict.fromkeys(blocks, 0.0)
    random_ratios = dict.fromkeys(blocks, 0.0)
    for _cfg, res, rho in runs:
        for b in blocks:
            ratios[b] = max(ratios[b], res.values[b] / rho[f"rho_{b}"])
            random_ratios[b] = max(random_ratios[b], res.random_values[b] / rho[f"rho_{b}"])
    bad = {b: r for b, r in ratios.items() if r > 1.0 + tol}
    names = ", ".join(f"rho_{b}" for b in blocks)
    n = len(runs)
    return CheckResult(
        cid,
        statement,
        claimed=f"largest one-step Lipschitz constant / claimed constant <= 1 for {names}",
        measured="largest measured/claimed (adversarial search; random phase alone): "
        + ", ".join(f"rho_{b} {ratios[b]:.3f} ({random_ratios[b]:.3f})" for b in blocks)
        + f" ({n} configurations, {sum(r.n_evaluations for _, r, _ in runs)} Jacobians)",
        method="seeded random search with restarts and local ascent over theta, x and the box; "
        "compressed central-difference Jacobians, max row sums (max-norm)",
        status="fail" if bad else "pass",
        reason=(
            "measured one-step Lipschitz constant above the claimed one for "
            + ", ".join(f"rho_{b} (ratio {r:.4g})" for b, r in bad.items())
        )
        if bad
        else "",
        details={
            "ratios": ratios,
            "random_phase_ratios": random_ratios,
            "n_configurations": n,
            "configurations": [list(c) for c, _, _ in runs],
        },
    )


def scaled_constants_mutant(factors: dict):
    """``patch()`` for a mutant that multiplies rho components (``{"WW": 0.5}``) through
    ``rtrl_theory.bounds.contraction_constants``."""
    from dataclasses import replace
    from unittest import mock

    import rtrl_theory.bounds as bounds

    real = bounds.contraction_constants

    def fake(model, C_x):
        c = real(model, C_x)
        return replace(c, **{f"rho_{b}": getattr(c, f"rho_{b}") * f for b, f in factors.items()})

    return lambda: mock.patch.object(bounds, "contraction_constants", fake)
