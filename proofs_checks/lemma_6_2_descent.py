"""Lemmas 6.2-6.4 of [P1]: sum eta_t |grad L(theta_t)|^2 converges and grad L(theta_t) -> 0.

Statement. Summing the decomposition (2.28), (5.1) over t, with the fluctuation sums converging
(Prop. 5.1) and sum |R_t| <= C sum eta_t^2 < inf (Lemma 5.5), gives
sum_t eta_t |grad L(theta_t)|^2 <= L(theta_0) - inf L + sup_T |sum_{t<T} F_t| + sum |R_t| < inf, and
L(theta_t) converges; with sum eta_t = inf this forces liminf |grad L| = 0, and the Lipschitz
continuity of grad L then limsup |grad L| = 0 (Lemmas 6.3-6.4).

Method (proofs_checks._decomposition): closed-form L and grad L along RTRL runs on the
linear-Gaussian system, three schedules (gamma 0.6, 0.8, 1), 3 seeds x 200 steps quick, 12 x
2000 full. Dyadic blocks [n/8, n/4), [n/4, n/2), [n/2, n) of each run; per block, averaged over
seeds: B_k = sum eta_t |grad L|^2 (the increment of the series), the block max (limsup proxy) and
min (liminf proxy) of |grad L|.

Threshold. Per block, the eta-weighted mean of |grad L|^2, A_k = B_k / sum_block eta_t, is the
block's average squared gradient: under the theorem (|grad L|^2 ~ transient + eta_t) it
decreases; a gradient that does not tend to 0 (|grad L| >= c) keeps A_k >= c^2. Pass when, for
every schedule, the last block's A is below 0.75 times the first block's and its max |grad L|
below the first block's, over a factor-4 span of t. 0.75: the spread law predicts a ratio
A_last / A_first of at most 4^(-gamma) <= 0.44 (gamma = 0.6, the slowest; the transient only
lowers it); 0.75 leaves room for the noise of 3 seeds. (A first version required only A to
fall; the mutant with a constant offset 0.1 of grad L, for which A tends to |offset|^2 = 0.08,
still fell by ~10% from the first block and was not caught; the ratio bound derived here
replaced it.) The block sums B_k themselves are reported: the series
converges, but over dyadic blocks the spread law gives B_k ~ sum_block eta_t^2 ~ 2^(k (1 - 2
gamma)), a factor 0.76 over two blocks for gamma = 0.6, too close to 1 for 3 seeds. (A first
version required B_k itself to fall and failed on its first run for gamma = 0.6: 7.1e-3 ->
7.5e-3; the argument above, which should have been made before, replaced it by A_k.) The
identity sum(D + F + R) = L(theta_T) - L(theta_0) holds by construction and is only reported
(the loss change split into descent, fluctuation and remainder). False-failure rate: seeds 0, 1,
2 pass, with A_last / A_first between 0.19 and 0.50 (limit 0.75). Measured over check seeds
0-19 (quick, benchmarks/false_failures.py, after the limit was fixed): 5 fails of 20, 25%,
95% Wilson interval [11.2%, 46.9%] -- far above any acceptable level: the 0.75 limit is
not a derived bound on the 3-seed noise (seeds 8, 13, 15, 19 fail for gamma = 0.6, where the
block max |grad L| does not fall over 200 steps, and seed 12 for gamma = 0.8). DEFECT, not
retuned: the criterion needs a statistic with a stated null distribution (as prop-5.1 now
has) or longer runs.
"""

from __future__ import annotations

import numpy as np

from proofs_checks import _decomposition as dec
from rtrl_theory.checks import CheckResult, Mutant

ID = "lemma-6.2"
RATIO = 0.75
STATEMENT = "sum eta_t |grad L(theta_t)|^2 converges, L(theta_t) converges, |grad L(theta_t)| -> 0"


def blocks(ds):
    n = ds[0].eta.size
    edges = [n // 8, n // 4, n // 2, n]
    A, B, hi, lo = [], [], [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        g2 = [np.sum(d.grad[a:b] ** 2, axis=1) for d in ds]
        B.append(float(np.mean([np.sum(d.eta[a:b] * x) for d, x in zip(ds, g2, strict=True)])))
        A.append(B[-1] / float(np.mean([np.sum(d.eta[a:b]) for d in ds])))
        hi.append(float(np.mean([np.sqrt(x.max()) for x in g2])))
        lo.append(float(np.mean([np.sqrt(x.min()) for x in g2])))
    return A, B, hi, lo


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    runs = dec.runs(quick, seed)
    rows, problems = {}, []
    for g, ds in runs.items():
        A, B, hi, lo = blocks(ds)
        parts = [
            float(np.mean([x.sum() for x in (d.descent for d in ds)])),
            float(np.mean([d.fluctuation.sum() for d in ds])),
            float(np.mean([d.remainder.sum() for d in ds])),
        ]
        L0 = float(np.mean([d.loss[0] for d in ds]))
        LT = float(np.mean([d.loss[-1] for d in ds]))
        Lh = float(np.mean([d.loss[d.loss.size // 2] for d in ds]))
        rows[g] = {"A": A, "B": B, "limsup": hi, "liminf": lo, "D_F_R": parts, "L": [L0, Lh, LT]}
        if not A[-1] < RATIO * A[0]:
            problems.append(f"gamma {g:g}: eta-weighted mean |grad L|^2 did not fall ({A})")
        if not hi[-1] < hi[0]:
            problems.append(f"gamma {g:g}: block max |grad L| did not fall ({hi})")
    return CheckResult(
        ID,
        STATEMENT,
        claimed="over dyadic blocks, the eta-weighted mean of |grad L|^2 and max |grad L| "
        "decrease (|grad L| -> 0); the series sum eta|grad L|^2 is reported per block",
        measured="; ".join(
            f"gamma {g:g}: mean |grad L|^2 {r['A'][0]:.2e} -> {r['A'][-1]:.2e}, block sums "
            f"{r['B'][0]:.2e} -> {r['B'][-1]:.2e}, max|grad L| "
            f"{r['limsup'][0]:.3f} -> {r['limsup'][-1]:.3f}, min {r['liminf'][0]:.3f} -> "
            f"{r['liminf'][-1]:.3f}; L {r['L'][0]:.4f} -> {r['L'][2]:.4f} = descent "
            f"{r['D_F_R'][0]:.4f} + fluctuation {r['D_F_R'][1]:.4f} + remainder "
            f"{r['D_F_R'][2]:.1e}"
            for g, r in rows.items()
        ),
        method="closed-form L, grad L (oracle) along RTRL runs; dyadic block statistics",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
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
        "no-op; at seed 0 it is still not caught)",
    ),
)
