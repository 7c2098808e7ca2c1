"""Proposition 5.1 and Lemmas 5.2-5.4 of [P1]: the fluctuation of the update averages out.

Statement. With the Poisson equation v - Pv = G~ - grad L (Section 4), the partial sums
S_T = sum_{s<T} eta_s (G~_s - grad L(theta_s)) of (2.28) are a martingale with increments of size
eta_s plus terms of total size O(sum eta_s^2) (Lemmas 5.2-5.4), so they converge when
sum eta_s^2 < inf (Assumption 2.14): their size grows like sqrt(sum eta_s^2), never like
sum eta_s.

Method (proofs_checks._decomposition): linear-Gaussian system, closed-form grad L from theta
alone, online directions from the recorded path; three Robbins-Monro schedules
eta_t = 0.1 (1 + t/20)^-gamma, gamma = 0.6, 0.8, 1; 3 seeds x 200 steps (quick), 12 x 2000
(full). The run's fluctuation increments x_s = eta_s (G~_s - grad L(theta_s)) (p = 8
coordinates) are summed over batches of 20 steps, B_k; for each schedule and coordinate the
batches of all seeds are pooled (K = 30 quick, 1200 full) into the self-normalized sum
W = sum_k B_k / sqrt(sum_k B_k^2).

Threshold (before running; level known by construction). Under the claim, S = sum_k B_k is a
martingale (plus the O(sum eta^2) Poisson terms), so the batches are approximately independent
and symmetric. For independent symmetric B_k, conditionally on the |B_k| the signs are i.i.d.
Rademacher, and Hoeffding's inequality gives P(|W| >= x) <= 2 exp(-x^2 / 2) whatever the
(unequal, eta-dependent) batch variances -- no variance estimate, no seen value. With
m = 3 schedules x 8 coordinates = 24 tests and overall level alpha = 0.01 (Bonferroni), pass
when every |W| <= x = sqrt(2 ln(2 m / alpha)) = 4.12. (Hoeffding is conservative: for Gaussian
batches P(|W| > 4.12) ~ 4e-5 per test.) A drift c per step that does not average out adds
c sum eta to S but only ~c sum eta / sqrt(K) to each batch, so |W| grows like sqrt(K).
What the construction does not cover (and the measured rate below does): batches 20 steps
apart are only approximately independent (the AR(1) input forgets as 0.5^20 ~ 1e-6, the
student's state and J~ contract geometrically), batch sums only approximately symmetric, and
the O(sum eta^2) Poisson remainder and start-up transient (J~_0 = 0, chain not stationary)
are a small bias. Reported, not tested: the growth exponent b of RMS|S_T| against
V_T = sum_{s<T} eta_s^2 (martingale: 1/2) at 6 checkpoints with log V spanning >= ln 8, and
|sum F_t| / sum eta_t^2 for the scalar fluctuation F_t = -eta_t grad L . (G~_t - grad L).
(History: an earlier version passed when b <= 0.85, a limit not derived from a null
distribution; its seeds 0-2 gave b up to 0.85 -- replaced by the construction above.)

False-failure rate (quick, seeds 0-19, measured after the threshold was fixed): 0 fails of 20,
95% Wilson interval [0%, 16.1%]; the largest |W| over the 20 x 24 tests was 2.67
(threshold 4.12). 20 seeds cannot confirm the nominal 1%; the construction bounds
it, up to the approximations listed. ~2.8 s a run (load average ~3 on 2 cores). Mutants
caught: biased-gradient (seed 0: max|W|
5.04, 4.74, 4.47 for gamma 0.6, 0.8, 1), sensitivities-zeroed (caught
at each of seeds 0-9: largest |W| per seed between 4.7 and 5.2).
Not caught: gradient-halved (see MUTANTS). Power limit: |W| <= sqrt(K) = 5.48 in quick mode.
"""

from __future__ import annotations

import numpy as np

from proofs_checks import _decomposition as dec
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.estimators._convergence import log_log_slope

ID = "prop-5.1"
STATEMENT = "The fluctuation partial sums are a martingale plus O(sum eta^2): they average out"
ALPHA = 0.01  # nominal level of the whole check
BATCH = 20  # steps per batch


def growth(ds):
    """(exponent b, checkpoints, RMS |S_T|, V_T, sum eta, |sum F| / sum eta^2) for one schedule.

    Reported only (not the pass criterion): the log-log slope of the RMS over seeds of |S_T|
    against V_T = sum_{s<T} eta_s^2 at 6 geometric checkpoints with log V spanning >= ln 8."""
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


def self_normalized(ds, batch: int = BATCH):
    """Per coordinate, W = sum_k B_k / sqrt(sum_k B_k^2) over the batch sums
    B_k = sum_{s in batch k} eta_s (G~_s - grad L(theta_s)) of every seed's run, pooled.

    Returns
    -------
    W : ndarray, shape (p,)
        The self-normalized fluctuation sum of each parameter coordinate.
    """
    blocks = []
    for d in ds:
        x = d.eta[:, None] * d.noise  # (n, p)
        k = x.shape[0] // batch
        blocks.append(x[: k * batch].reshape(k, batch, -1).sum(axis=1))
    B = np.concatenate(blocks)  # (K, p)
    return B.sum(axis=0) / np.sqrt(np.sum(B**2, axis=0))


def threshold(m: int, alpha: float = ALPHA) -> float:
    """x with 2 exp(-x^2 / 2) = alpha / m (Hoeffding bound, Bonferroni over m tests)."""
    return float(np.sqrt(2.0 * np.log(2.0 * m / alpha)))


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    runs = dec.runs(quick, seed)
    rows = {g: growth(ds) for g, ds in runs.items()}
    W = {g: self_normalized(ds) for g, ds in runs.items()}
    m = sum(w.size for w in W.values())
    x = threshold(m)
    bad = {g: float(np.max(np.abs(w))) for g, w in W.items() if not np.max(np.abs(w)) <= x}
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"fluctuation sums are a martingale: every self-normalized batch sum "
        f"|W| <= {x:.2f} (level {ALPHA:g}, Bonferroni over {m} coordinate x schedule tests) "
        "for gamma = 0.6, 0.8, 1",
        measured="; ".join(
            f"gamma {g:g}: max|W| = {np.max(np.abs(W[g])):.2f}, growth exponent b = {r[0]:.2f} "
            f"(martingale 1/2), RMS|S_T| {r[2][-1]:.3f}, sum eta^2 {r[3][-1]:.3f}, "
            f"sum eta {r[4]:.2f}, |sum F|/sum eta^2 {r[5]:.2f}"
            for g, r in rows.items()
        ),
        method="closed-form grad L (oracle) along RTRL runs; online directions from the path; "
        f"batch sums of eta_s (G~_s - grad L) over {BATCH} steps, self-normalized (Hoeffding "
        "bound under symmetric independent batches); growth exponent reported",
        status="fail" if bad else "pass",
        reason="; ".join(f"gamma {g:g}: max|W| {v:.2f} > {x:.2f}" for g, v in bad.items()),
        details={
            str(g): {
                "W": W[g].tolist(),
                "threshold": x,
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
        catchable=False,
        why_not="not caught by the self-normalized test (seed 0: max|W| 2.3 against 4.12): "
        "the added drift grad L / 2 sums to a bounded (theta_0 - theta_T) / 2 and sits in the "
        "first batches, which the self-normalization absorbs; the earlier exponent criterion "
        "(limit not derived) caught it",
    ),
    Mutant(
        "sensitivities-zeroed",
        "the trainer's RTRL step runs with J~ reset to 0 (a biased update, TBPTT(1)-like): "
        "E_pi[G~] != grad L, the fluctuation does not average out",
        dec.zero_sensitivities,
        # caught at seeds 0-9 (largest |W| 4.7-5.2 against 4.12) once the mutant forces the
        # NumPy step: before, the compiled backend bypassed the patched step and the mutant was
        # a no-op (identical W). Close to the threshold: sqrt(K) = 5.48 bounds |W|.
    ),
)
