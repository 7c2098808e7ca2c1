"""Lemma 4.2 of [P1]: the Poisson equation v - P v = G - Gbar has the solution (4.3),
v = sum_n (P^n G - Gbar), bounded by (4.6) |v| <= L_G W1(delta_z, pi) / (1 - rho_bar).

Statement. With G(theta, z) = grad L . G~(theta, z) and Gbar = E_pi G (4.11), the series (4.3)
converges geometrically, solves (4.1), and obeys the bound (4.6).

Method. At M points drawn near the a-priori box, v(z) is the mean path sum of G - Gbar over
independent continuations, truncated where rho_bar^n / (1 - rho_bar) < 1e-3; Pv(z) is the mean of
v over successors Z_1 ~ P(z, .) computed with independent inner runs, so the identity is not a
telescoping artefact. z = (lhs - rhs) / joint standard error (including Gbar's) must stay below
the Bonferroni bound over the M points at family-wise level 1e-3. |v(z)| must stay below the bound
(4.6) evaluated with a computable L_G on the box and W1(delta_z, pi) <= E||z - Z|| over a
stationary ensemble.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory.checks import CheckResult
from rtrl_theory.estimators import (
    poisson_identity,
    projected_update_lipschitz,
    stationary_average,
    terms_for,
    w1_to_stationary,
)

from ._montecarlo import assumptions, bonferroni_z, gradients, joint_process, sizes

ID = "lemma-4.2"
STATEMENT = "The series (4.3) solves the Poisson equation v - Pv = G - Gbar and obeys (4.6)"


def check(quick: bool = True) -> CheckResult:
    jp = joint_process(order=1)
    s = sizes(quick)
    rho_bar = assumptions().rho_bar
    g, _ = gradients(quick)
    ghat = g.value

    def G(z):
        return jp.update_direction(z) @ ghat

    Gbar, zs = stationary_average(jp, G, rng=420, **s)
    M, n_outer, n_inner = (6, 20, 60) if quick else (16, 40, 200)
    n_terms = terms_for(rho_bar, 1e-3)
    pts = jp.run(jp.initial(M, rng=421, law="box"), 1, rng=422)
    chain = jp.process.chain
    target = jp.process.target
    L_G = projected_update_lipschitz(
        jp, ghat, C_y=target.scale + target.noise, L_target=target.lipschitz
    )
    w1 = w1_to_stationary(jp, pts, zs)
    res = poisson_identity(
        jp,
        pts,
        G,
        float(Gbar.value),
        Gbar_stderr=float(Gbar.stderr),
        n_inner=n_inner,
        n_outer=n_outer,
        n_terms=n_terms,
        rng=423,
        L_G=L_G,
        rho_bar=rho_bar,
        w1_to_pi=w1,
    )
    zc = bonferroni_z(M)
    problems = []
    if np.max(np.abs(res.z_scores)) > zc:
        problems.append(f"identity (4.1): max |z| = {np.max(np.abs(res.z_scores)):.2f} > {zc:.2f}")
    excess = np.abs(res.v) - 4 * res.v_stderr - res.bound
    if np.any(excess > 0):
        problems.append("|v| exceeds the bound (4.6) beyond 4 standard errors")
    del chain
    return CheckResult(
        ID,
        STATEMENT,
        claimed="v(z) - Pv(z) = G(z) - Gbar within error; |v(z)| <= L_G W1(delta_z, pi)/(1 - rho_bar)",
        measured=(
            f"max |z| {np.max(np.abs(res.z_scores)):.2f} (bound {zc:.2f}) at {M} points, "
            f"{n_terms} terms; max |v| {np.max(np.abs(res.v)):.3g} vs bound (4.6) "
            f"{np.min(res.bound):.3g}..{np.max(res.bound):.3g} (ratio <= "
            f"{np.max(np.abs(res.v) / res.bound):.2g}); Gbar {float(Gbar.value):.4g}"
        ),
        method="nested Monte Carlo of the series (4.3) with independent inner runs",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
            "z_scores": res.z_scores.tolist(),
            "v": res.v.tolist(),
            "v_stderr": res.v_stderr.tolist(),
            "bound": res.bound.tolist(),
            "L_G": L_G,
            "n_terms": n_terms,
        },
    )
