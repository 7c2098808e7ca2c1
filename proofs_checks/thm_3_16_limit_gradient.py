"""Theorem 3.16 of [P1]: grad L(theta) = E_pi[G~(theta, Z)] and hess L(theta) = E_pi[H(theta, Z)].

Statement. The gradient of the limit loss (2.27) is the stationary mean of the RTRL update
direction G~ of (3.63)-(3.64), and its Hessian the stationary mean of (3.65), (3.72).

Method. Two independent Monte Carlo estimates of each side: E_pi[G~] from particles of the joint
process after a burn-in of rho_bar^n < 1e-6, and central differences of L (h = 1e-4) with common
random numbers (each particle gives one difference quotient); per-particle time averages are
independent samples, so each estimate has an exact standard error. The z-scores of the
differences must stay below the Bonferroni bound for all P coordinates at family-wise level
1e-3 (h^2 bias ~1e-8, negligible). The same on 3 random unit directions for the Hessian (second
differences with h = 1e-3).
"""

from __future__ import annotations

import numpy as np

from rtrl_theory.checks import CheckResult
from rtrl_theory.estimators import (
    finite_difference_limit_hessian_directions,
    limit_hessian_directions,
)

from ._montecarlo import bonferroni_z, gradients, joint_process, sizes

ID = "thm-3.16"
STATEMENT = "grad L = E_pi[G~] and hess L = E_pi[H] (the stationary RTRL direction is the gradient)"


def check(quick: bool = True) -> CheckResult:
    g, fd = gradients(quick)
    z_g = g.z_scores(fd)
    P = z_g.shape[0]
    s = sizes(quick)
    jp2 = joint_process(order=2)
    V = np.random.default_rng(3160).standard_normal((3, P))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    hs = {**s, "n_particles": max(200, s["n_particles"] // 2)}
    h_mc = limit_hessian_directions(jp2, V, rng=318, **hs)
    h_fd = finite_difference_limit_hessian_directions(jp2, V, h=1e-3, rng=319, **hs)
    z_h = h_mc.z_scores(h_fd)
    zc_g, zc_h = bonferroni_z(P), bonferroni_z(3)
    problems = []
    if np.max(np.abs(z_g)) > zc_g:
        problems.append(f"gradient: max |z| = {np.max(np.abs(z_g)):.2f} > {zc_g:.2f}")
    if np.max(np.abs(z_h)) > zc_h:
        problems.append(f"Hessian directions: max |z| = {np.max(np.abs(z_h)):.2f} > {zc_h:.2f}")
    rel = np.abs(g.value - fd.value).max() / np.abs(fd.value).max()
    return CheckResult(
        ID,
        STATEMENT,
        claimed="E_pi[G~] = FD of L and v.E_pi[H]v = second differences of L, within joint "
        "Monte Carlo error (Bonferroni, family-wise 1e-3)",
        measured=(
            f"gradient: max |z| {np.max(np.abs(z_g)):.2f} (bound {zc_g:.2f}) over {P} coords, "
            f"max rel diff {rel:.1e}; Hessian: v.H.v = "
            + ", ".join(f"{a:.4g}" for a in h_mc.value)
            + " vs FD "
            + ", ".join(f"{a:.4g}" for a in h_fd.value)
            + f", max |z| {np.max(np.abs(z_h)):.2f}"
        ),
        method="particles at stationarity vs central differences of L with common random numbers",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
            "grad": g.value.tolist(),
            "grad_se": g.stderr.tolist(),
            "fd": fd.value.tolist(),
            "fd_se": fd.stderr.tolist(),
            "hess_dirs": h_mc.value.tolist(),
            "hess_fd": h_fd.value.tolist(),
        },
    )
