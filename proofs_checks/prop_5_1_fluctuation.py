"""Proposition 5.1 and Lemmas 5.2-5.4 of [P1]: the fluctuation of the update averages out.

Statement. With the Poisson equation v - Pv = G~ - grad L (Section 4), the partial sums
S_T = sum_{s<T} eta_s (G~_s - grad L(theta_s)) of (2.28) are a martingale with increments of size
eta_s plus terms of total size O(sum eta_s^2) (Lemmas 5.2-5.4), so they converge when
sum eta_s^2 < inf (Assumption 2.14): their size grows like sqrt(sum eta_s^2), never like
sum eta_s.

Method (proofs_checks._decomposition): linear-Gaussian system, closed-form grad L from theta
alone, online directions from the recorded path; three Robbins-Monro schedules
eta_t = 0.1 (1 + t/20)^-gamma, gamma = 0.6, 0.8, 1; 3 seeds x 200 steps (quick), 12 x 2000
(full). At 6 geometric checkpoints T in [T_min, n] the RMS over seeds of |S_T| is regressed on
V_T = sum_{s<T} eta_s^2 in log-log: the growth exponent b_gamma. T_min is the first T with
V_T >= V_n / 8, so that log V spans at least ln 8 for every schedule.

Threshold (before running). A martingale gives b = 1/2. A fluctuation that does not average out
(a bias c of the update) adds c sum eta_s, whose exponent against sum eta_s^2 is >= 1 for every
decreasing schedule (sum eta_s^2 >= eta_T sum eta_s). Pass when b_gamma <= 0.85 for all three
schedules: 0.35 above 1/2 covers the noise of an RMS over 3 seeds x 8 coordinates (relative SE
~ 1/sqrt(48) = 0.14 in log per point, over a log V range >= ln 8: slope error ~ 0.15) and the
O(sum eta^2) Poisson terms. (A first version used T in [n/16, n], where for gamma = 1 log V
spans only ln 2 (sum eta^2 saturates early); it failed at check seed 1 with b = 0.95 for
gamma = 1 — noise, as the range argument shows; the grid was fixed by the range requirement,
the limit 0.85 kept.) Reported per schedule: b, the final RMS |S_T|, sum eta^2, sum eta,
and |sum F_t| / sum eta_t^2 for the scalar fluctuation F_t = -eta_t grad L . (G~_t - grad L) of
the loss decomposition. False-failure rate: seeds 0, 1, 2 pass with exponents (gamma 0.6, 0.8,
1) = (0.03, 0.76, 0.48), (0.63, 0.46, 0.41), (0.85, 0.17, 0.74): the estimate is noisy and
one sits at the limit, so the false-failure rate is probably of order 10%; more seeds in quick
mode would cost time (each seed adds ~4 s on a loaded machine).
"""

from __future__ import annotations

import numpy as np

from proofs_checks import _decomposition as dec
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.estimators import log_log_slope

ID = "prop-5.1"
STATEMENT = "The fluctuation partial sums are a martingale plus O(sum eta^2): they average out"
LIMIT = 0.85


def growth(ds):
    """(exponent b, checkpoints, RMS |S_T|, V_T, sum eta, |sum F| / sum eta^2) for one schedule."""
    n = ds[0].eta.size
    V_all = np.cumsum(ds[0].eta ** 2)
    t_min = int(np.argmax(V_all >= V_all[-1] / 8)) + 1  # a log V range of at least ln 8
    T = np.unique(np.round(np.geomspace(t_min, n, 6)).astype(int))
    S = np.array([np.cumsum(d.eta[:, None] * d.noise, axis=0)[T - 1] for d in ds])
    rms = np.sqrt(np.mean(np.sum(S**2, axis=2), axis=0))
    V = np.cumsum(ds[0].eta ** 2)[T - 1]
    b = log_log_slope(V, rms)
    fsum = float(np.mean([abs(d.fluctuation.sum()) for d in ds]))
    return b, T, rms, V, float(ds[0].eta.sum()), fsum / float(V[-1])


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    runs = dec.runs(quick, seed)
    rows = {g: growth(ds) for g, ds in runs.items()}
    bad = {g: r[0] for g, r in rows.items() if not r[0] <= LIMIT}
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"growth exponent of RMS|S_T| against sum eta^2 <= {LIMIT} (martingale: 1/2; "
        "a non-averaging term: >= 1) for gamma = 0.6, 0.8, 1",
        measured="; ".join(
            f"gamma {g:g}: b = {r[0]:.2f}, RMS|S_T| {r[2][-1]:.3f}, sum eta^2 {r[3][-1]:.3f}, "
            f"sum eta {r[4]:.2f}, |sum F|/sum eta^2 {r[5]:.2f}"
            for g, r in rows.items()
        ),
        method="closed-form grad L (oracle) along RTRL runs; online directions from the path; "
        "log-log regression over 6 checkpoints of the RMS over seeds",
        status="fail" if bad else "pass",
        reason="; ".join(f"gamma {g:g}: exponent {b:.2f} > {LIMIT}" for g, b in bad.items()),
        details={
            str(g): {
                "exponent": r[0],
                "T": r[1].tolist(),
                "rms_S": r[2].tolist(),
                "sum_eta2": r[3].tolist(),
                "sum_eta": r[4],
                "fluct_sum_over_sum_eta2": r[5],
            }
            for g, r in rows.items()
        },
    )


MUTANTS = (
    Mutant(
        "biased-gradient",
        "the oracle's grad L is shifted by 0.1 in every coordinate: the update's mean differs "
        "from grad L, so the 'fluctuation' carries a drift growing like sum eta",
        lambda: dec.oracle_mutant(grad_offset=0.1),
    ),
    Mutant(
        "gradient-halved",
        "the oracle's grad L is halved: the 'fluctuation' then holds grad L / 2, a drift that "
        "sums to about (theta_0 - theta_T) / 2",
        lambda: dec.oracle_mutant(grad_scale=0.5),
    ),
    Mutant(
        "sensitivities-zeroed",
        "the trainer's RTRL step runs with J~ reset to 0 (a biased update, TBPTT(1)-like): "
        "E_pi[G~] != grad L, the fluctuation does not average out",
        dec.zero_sensitivities,
        catchable=False,
        why_not="marginal: on this linear system the truncation bias over 200 steps is small "
        "against the martingale part; at seed 0 it was caught only just (exponent 0.88 for "
        "gamma 0.8, limit 0.85) and with the earlier checkpoint grid not at all",
    ),
)
