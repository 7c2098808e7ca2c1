"""Lemma 4.3 of [P1]: the Poisson solution is Lipschitz, |v(z) - v(z')| <= L_G ||z - z'|| /
(1 - rho_bar).

Method. Differences v(z) - v(z') of the truncated series (4.3) from the library's
``_poisson.poisson_path_sums`` with COMMON random numbers (the continuations from z and z' are
driven by the same noise, one point per call with the same generator state), so each pair of
continuations gives one sample of the difference and the standard error is that of the paired
differences.
* Finite chains A and B of lemma-4.2 (discrete metric: ||i - j|| = 1, W1 = TV, rho_bar the
  Dobrushin coefficient, L_G = max G - min G); the exact difference comes from the linear solve
  ``finite_chain_poisson``. On chain A the bound is an EQUALITY (|v_0 - v_1| = |G_0 - G_1| /
  (a + b) = L_G / (1 - rho_bar)), so a bound lowered by any factor is caught.
  Tests over the 11 pairs: two-sided z of (MC - exact) <= Bonferroni 3.81 (family-wise 1e-3);
  one-sided z of (|dv_MC| - bound) <= the one-sided Bonferroni bound (3.71); exact |dv| <= bound.
* Paper RNN (the configuration of _montecarlo): 3 pairs (z, z') with z on the box law and z' =
  z moved by 0.05 in S and 0.1 K_p in J (clipped to the box), G = g . G~ with g = (1,...,1)/P,
  L_G from ``projected_update_lipschitz``, rho_bar from the assumptions report; n_terms with
  rho_bar^n / (1 - rho_bar) <= 1e-3 (truncation error of the difference below 1e-3 L_G ||z -
  z'||). One-sided test of |dv| <= bound + truncation; the bound is loose here (ratio reported),
  so no mutant is built on it.
A true statement fails with probability <= 3e-3 (three Bonferroni families at 1e-3); measured:
0 of 20 (seeds 0-19, quick mode).

Mutants: ``rho-halved`` (dobrushin_coefficient / 2: the bound on chain A falls from 10 to 1.74
while |dv| = 10), ``L_G-halved`` (finite_chain_lipschitz / 2).
"""

from __future__ import annotations

from unittest import mock

import numpy as np

from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.estimators import _finite_chain as fc
from rtrl_theory.estimators import _poisson

from ._limits_common import (
    CACHE,
    LEVEL,
    assumptions,
    bonferroni_z,
    target_constants,
    zdiv,
)
from .lemma_4_2_poisson import chains

ID = "lemma-4.3"
STATEMENT = "The Poisson solution is Lipschitz: |v(z) - v(z')| <= L_G ||z - z'|| / (1 - rho_bar)"


def _crn_difference(proc, za, zb, G, n_inner, n_terms, seed):
    """Paired path sums from za and zb with the same generator state: (mean, se) of v(za)-v(zb)."""
    pa = _poisson.poisson_path_sums(
        proc, za, G, 0.0, n_inner=n_inner, n_terms=n_terms, rng=np.random.default_rng(seed)
    )
    pb = _poisson.poisson_path_sums(
        proc, zb, G, 0.0, n_inner=n_inner, n_terms=n_terms, rng=np.random.default_rng(seed)
    )
    d = (pa - pb)[0]
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))


def _paper_pairs(quick, seed):
    from ._montecarlo import joint_process

    jp = joint_process(order=1)
    rho_bar = assumptions().rho_bar
    C_y, L_t = target_constants(jp.process)
    P = jp.model.n_params
    g = np.ones(P) / P
    L_G = _poisson.projected_update_lipschitz(jp, g, C_y=C_y, L_target=L_t)
    n_terms = _poisson.terms_for(rho_bar, 1e-3)
    from rtrl_theory.bounds import apriori_bounds

    b = apriori_bounds(jp.model, jp.process.chain.C_x)
    N, d = jp.n_hidden, jp.n_input
    rJ = np.concatenate([np.full(N * d, b.K_W), np.full(jp.n_cell_params - N * d, b.K_B)])
    z = jp.initial(3, rng=np.random.default_rng([430, seed]), law="box")
    from dataclasses import replace

    S2 = np.clip(z.S + 0.05, 0.0, 1.0)
    J2 = np.clip(z.Jt + 0.1 * rJ[None, :, None], -rJ[None, :, None], rJ[None, :, None])
    z2 = replace(z, S=S2, Jt=J2)
    dist = np.abs(jp.flatten(z) - jp.flatten(z2)).max(axis=1)

    def G(zz):
        return jp.update_direction(zz) @ g

    n_inner = 100 if quick else 1000
    out = []
    for m in range(3):
        dv, se = _crn_difference(
            jp, z.subset([m]), z2.subset([m]), G, n_inner, n_terms, [431, m, seed]
        )
        bound = L_G * dist[m] / (1 - rho_bar)
        out.append((dv, se, bound, bound * 1e-3))
    return out


def results(quick: bool, seed: int):
    key = ("lemma-4.3", quick, seed)
    if key in CACHE:
        return CACHE[key]
    n_inner = 4000 if quick else 40000
    rows = []
    for i, (name, P, G) in enumerate(chains()):
        proc = fc.FiniteChainProcess(P)
        rho = fc.dobrushin_coefficient(P)
        L_G = fc.finite_chain_lipschitz(G)
        n_terms = _poisson.terms_for(rho, 1e-4)
        exact = fc.finite_chain_poisson(P, G)
        n = P.shape[0]
        for a in range(n):
            for c in range(a + 1, n):
                dv, se = _crn_difference(
                    proc,
                    proc.initial([a]),
                    proc.initial([c]),
                    proc.function(G),
                    n_inner,
                    n_terms,
                    [432, i, a, c, seed],
                )
                rows.append((name, a, c, dv, se, exact[a] - exact[c], L_G / (1 - rho)))
    out = (rows, _paper_pairs(quick, seed))
    CACHE[key] = out
    return out


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    rows, paper = results(quick, seed)
    zc = bonferroni_z(len(rows), LEVEL)
    zc1 = bonferroni_z(len(rows), 2 * LEVEL)
    zp = bonferroni_z(len(paper), 2 * LEVEL)
    problems = []
    dv = np.array([r[3] for r in rows])
    se = np.array([r[4] for r in rows])
    ex = np.array([r[5] for r in rows])
    bd = np.array([r[6] for r in rows])
    z = zdiv(dv - ex, se)
    zb = zdiv(np.abs(dv) - bd, se)
    if np.max(np.abs(z)) > zc:
        problems.append(f"CRN differences vs exact: max |z| {np.max(np.abs(z)):.2f} > {zc:.2f}")
    if np.max(zb) > zc1:
        k = int(np.argmax(zb))
        problems.append(
            f"chain {rows[k][0]} pair ({rows[k][1]},{rows[k][2]}): |dv| {abs(dv[k]):.3g} above "
            f"L_G/(1 - rho_bar) = {bd[k]:.3g} (z = {zb[k]:.1f})"
        )
    if np.any(np.abs(ex) > bd * (1 + 1e-9)):
        problems.append("exact |v(i) - v(j)| above L_G/(1 - rho_bar)")
    pz = [float(zdiv(abs(a) - b - t, s)) for a, s, b, t in paper]
    if max(pz) > zp:
        problems.append(f"paper RNN: |dv| above the bound (z = {max(pz):.2f})")
    tight = float(np.max(np.abs(ex) / bd))
    return CheckResult(
        ID,
        STATEMENT,
        claimed="|v(z) - v(z')| <= L_G ||z - z'|| / (1 - rho_bar)",
        measured=(
            f"finite chains, {len(rows)} pairs: max |z| vs exact {np.max(np.abs(z)):.2f} "
            f"(bound {zc:.2f}); max |dv|/bound {np.max(np.abs(dv) / bd):.3f} (exact "
            f"{tight:.3f}); CRN se {np.min(se):.2g}..{np.max(se):.2g}; paper RNN 3 pairs: "
            "|dv|/bound = "
            + ", ".join(f"{abs(a) / b:.2g} (|dv|/se {abs(a) / s:.0f})" for a, s, b, _ in paper)
        ),
        method="paired (common random numbers) series differences vs exact linear solve",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={"chains": [list(map(str, r)) for r in rows], "paper": paper},
    )


def _rho_halved():
    orig = fc.dobrushin_coefficient
    return mock.patch.object(fc, "dobrushin_coefficient", lambda P: 0.5 * orig(P))


def _lg_halved():
    orig = fc.finite_chain_lipschitz
    return mock.patch.object(fc, "finite_chain_lipschitz", lambda G: 0.5 * orig(G))


MUTANTS = (
    Mutant("rho-halved", "dobrushin_coefficient returns rho_bar / 2", _rho_halved),
    Mutant("L_G-halved", "finite_chain_lipschitz returns L_G / 2", _lg_halved),
)
