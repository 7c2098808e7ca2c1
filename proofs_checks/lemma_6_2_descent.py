"""Lemmas 6.2-6.4 of [P1]: sum eta_t |grad L(theta_t)|^2 converges and grad L(theta_t) -> 0.

Statement. Summing the decomposition (2.28), (5.1) over t, with the fluctuation sums converging
(Prop. 5.1) and sum |R_t| <= C sum eta_t^2 < inf (Lemma 5.5), gives
sum_t eta_t |grad L(theta_t)|^2 <= L(theta_0) - inf L + sup_T |sum_{t<T} F_t| + sum |R_t| < inf, and
L(theta_t) converges; with sum eta_t = inf this forces liminf |grad L| = 0, and the Lipschitz
continuity of grad L then limsup |grad L| = 0 (Lemmas 6.3-6.4).

Method (proofs_checks._decomposition): closed-form L and grad L along RTRL runs on the
linear-Gaussian system, three schedules (gamma 0.6, 0.8, 1), 3 seeds x 200 steps quick, 12 x
2000 full; every (gamma, seed) run has its own random stream, so the runs are independent.

Criterion (fixed before any run of it; replaces a 0.75 ratio limit and a block-max rule that had
no derived level and failed 5 of 20 check seeds). Per run, two adjacent blocks [a, m), [m, n) of
equal eta-mass M (a = n / 8, m solving sum_[a,m) eta = sum_[m,n) eta; equal_mass_blocks), and
Q_k = sum_block |grad L(theta_t)|^2 / M_k (= eta-weighted block mean of |grad L|^2 / eta_t).
Derivation of its null law: the lemma gives sum eta_t |grad L|^2 < inf with sum eta_t = inf, and
the spread law behind it (theta_t - theta* ~ sqrt(eta_t) Z with Z an Ornstein-Uhlenbeck process in
the intrinsic time tau = sum_{s<t} eta_s) gives |grad L(theta_t)|^2 / eta_t ~ |H Z_tau|^2 + a
decaying transient. Two blocks of equal eta-mass are equal intervals of tau, and the eta-weighted
sums over them are integrals of the same stationary process over equal tau-intervals: Q_first and
Q_last are (approximately) exchangeable, and the transient only makes Q_first larger, so under
the lemma P(Q_last > Q_first) <= 1/2 per run. With K = #{runs: Q_last > Q_first} over the N
independent runs (N = 9 quick, 36 full), P(K >= k) <= P(Binomial(N, 1/2) >= k). Fail when that
exact one-sided sign-test p-value is <= LEVEL = 0.02: quick, fail iff K >= 8 of 9, nominal
level 10/512 = 1.95%. A gradient that does not tend to 0 (|grad L|^2 -> c^2 > 0) gives
Q_k ~ c^2 x (block length) / M_k, which grows as eta falls (the later block of equal mass is
longer), so K -> N: the gradient-offset mutant (c^2 = 8 x 0.1^2 = 0.08) is caught. The block
sums of the series and the identity sum(D + F + R) = L(theta_T) - L(theta_0), which holds by
construction, are only reported (the loss change split into descent, fluctuation and remainder).

False-failure rate, measured after the criterion was fixed (quick, check seeds 0-19,
the same seeds as the old criterion's 5/20): 0 fails of 20, 95% Wilson interval [0%, 16.1%]
(nominal 1.95%); pooled, 80 of 180 runs had Q_last > Q_first (44%, consistent with <= 1/2).
Mutant gradient-offset: caught at check seeds 0-19 (20/20; K = 9 of 9 at 19 seeds, 8 of 9 at
seed 5). Mutant sensitivities-zeroed (catchable=False): not caught at seeds 0-4 (K = 4, 5, 5, 1,
3 of 9: its bias does not make |grad L|^2 / eta grow within 200 steps). Full mode (N = 36 runs,
fail iff K >= 25, level P(Bin(36, 1/2) >= 25) = 1.4%) was not run here when the rule was set.
Run later (2026-12-06, `verify --full --only lemma-6.2`, 2 min): it FAILS, K = 34 of 36. On this
linear-Gaussian set-up the runs are, after 2000 steps, where the stationary L is not convex
(Hessian eigenvalues -0.079, -0.040, 0, 0.013, 0.020 at 1000 steps) and the gradient norm levels
off near 0.037, so the start-up part decays more slowly than eta and the premise "the transient
only makes Q_first larger" is false there. Quick mode is not affected (0 of 20 seeds), but the
full-size check needs a set-up whose runs reach a neighbourhood of a minimum: open (issue 12).
"""

from __future__ import annotations

import math

import numpy as np

from proofs_checks import _decomposition as dec
from rtrl_theory.checks import CheckResult, Mutant

ID = "lemma-6.2"
LEVEL = 0.02
STATEMENT = "sum eta_t |grad L(theta_t)|^2 converges, L(theta_t) converges, |grad L(theta_t)| -> 0"


def equal_mass_blocks(eta):
    """Two adjacent blocks [a, m), [m, n) of (nearly) equal eta-mass, a = n // 8.

    Parameters
    ----------
    eta : ndarray, shape (n,)
        The learning rates eta_t of the run.

    Returns
    -------
    (a, m, n) : tuple of int
        m minimises |sum_{[a, m)} eta - sum_{[m, n)} eta|.
    """
    n = eta.size
    a = n // 8
    c = np.concatenate([[0.0], np.cumsum(eta)])
    ms = np.arange(a + 1, n)
    m = int(ms[np.argmin(np.abs((c[ms] - c[a]) - (c[n] - c[ms])))])
    return a, m, n


def block_q(d):
    """Q_first, Q_last: sum |grad L|^2 over each block divided by the block's eta-mass."""
    a, m, n = equal_mass_blocks(d.eta)
    g2 = np.sum(d.grad[:n] ** 2, axis=1)
    return (
        float(g2[a:m].sum() / d.eta[a:m].sum()),
        float(g2[m:n].sum() / d.eta[m:n].sum()),
    )


def sign_test_pvalue(k: int, n: int) -> float:
    """P(Binomial(n, 1/2) >= k), exact."""
    return float(sum(math.comb(n, j) for j in range(k, n + 1)) / 2.0**n)


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    runs = dec.runs(quick, seed)
    rows, ups, total = {}, 0, 0
    for g, ds in runs.items():
        q = [block_q(d) for d in ds]
        up = sum(1 for q0, q1 in q if q1 > q0)
        ups, total = ups + up, total + len(q)
        parts = [
            float(np.mean([x.sum() for x in (d.descent for d in ds)])),
            float(np.mean([d.fluctuation.sum() for d in ds])),
            float(np.mean([d.remainder.sum() for d in ds])),
        ]
        L0 = float(np.mean([d.loss[0] for d in ds]))
        LT = float(np.mean([d.loss[-1] for d in ds]))
        Lh = float(np.mean([d.loss[d.loss.size // 2] for d in ds]))
        rows[g] = {"Q": q, "up": up, "blocks": equal_mass_blocks(ds[0].eta),
                   "D_F_R": parts, "L": [L0, Lh, LT]}
    p = sign_test_pvalue(ups, total)
    failed = p <= LEVEL
    return CheckResult(
        ID,
        STATEMENT,
        claimed="over two adjacent blocks of equal eta-mass, sum |grad L|^2 / eta-mass does not "
        f"grow (sign test over independent runs, level {LEVEL:g})",
        measured=f"{ups} of {total} runs with Q_last > Q_first (one-sided sign-test p = {p:.4f}); "
        + "; ".join(
            f"gamma {g:g}: Q first/last "
            + ", ".join(f"{q0:.3g}/{q1:.3g}" for q0, q1 in r["Q"])
            + f"; L {r['L'][0]:.4f} -> {r['L'][2]:.4f} = descent "
            f"{r['D_F_R'][0]:.4f} + fluctuation {r['D_F_R'][1]:.4f} + remainder "
            f"{r['D_F_R'][2]:.1e}"
            for g, r in rows.items()
        ),
        method="closed-form L, grad L (oracle) along RTRL runs; equal-eta-mass blocks; sign test",
        status="fail" if failed else "pass",
        reason=(f"{ups} of {total} runs have a larger |grad L|^2 per unit eta-mass in the later "
                f"block: sign-test p = {p:.4f} <= {LEVEL:g}") if failed else "",
        details={str(g): r for g, r in rows.items()},
    )


MUTANTS = (
    Mutant(
        "gradient-offset",
        "the oracle's grad L is shifted by 0.1 in every coordinate: |grad L| no longer tends to "
        "0 along the path",
        lambda: dec.oracle_mutant(grad_offset=0.1),
    ),
    Mutant(
        "sensitivities-zeroed",
        "the trainer's RTRL step runs with J~ reset to 0 (TBPTT(1)-like, biased): theta_t "
        "settles where E_pi[G~] = 0, not where grad L = 0",
        dec.zero_sensitivities,
        catchable=False,
        why_not="over 200-2000 steps the bias of the truncated update on this linear system may "
        "be below the decrease of |grad L| from its start; listed to measure it (the mutant "
        "now forces the NumPy step, which it patches; before, the compiled backend made it a "
        "no-op; under the sign-test criterion not caught at seeds 0-4)",
    ),
)
