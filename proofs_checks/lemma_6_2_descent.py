"""Lemmas 6.2-6.4 of [P1]: sum eta_t |grad L(theta_t)|^2 converges and grad L(theta_t) -> 0.

Statement. Summing the decomposition (2.28), (5.1) over t, with the fluctuation sums converging
(Prop. 5.1) and sum |R_t| <= C sum eta_t^2 < inf (Lemma 5.5), gives
sum_t eta_t |grad L(theta_t)|^2 <= L(theta_0) - inf L + sup_T |sum_{t<T} F_t| + sum |R_t| < inf, and
L(theta_t) converges; with sum eta_t = inf this forces liminf |grad L| = 0, and the Lipschitz
continuity of grad L then limsup |grad L| = 0 (Lemmas 6.3-6.4).

Method (proofs_checks._decomposition): closed-form L and grad L along RTRL runs on
linear-Gaussian systems, three schedules (gamma 0.6, 0.8, 1); every (gamma, seed) run has its own
random stream, so the runs are independent. Quick: the shared runs (``_decomposition.runs``,
N = 2, d = 1 student from init_params(1), eta_t = 0.1 / (1 + t / 20)^gamma, 3 seeds x 200
steps). Full: lemma-6.2's own set-up (``_decomposition.l62_runs``, below), 12 seeds x 2000 steps.

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
construction, are only reported (the loss change split into descent, fluctuation and remainder),
as are the run-means of sup and inf of |grad L| over the first and the last block (finite-horizon
stand-ins of the limsup and liminf of Lemmas 6.3-6.4; ``block_sup_inf``).

False-failure rate of quick mode, measured after the criterion was fixed (check seeds 0-19,
the same seeds as the old criterion's 5/20): 0 fails of 20, 95% Wilson interval [0%, 16.1%]
(nominal 1.95%); pooled, 80 of 180 runs had Q_last > Q_first (44%, consistent with <= 1/2).
Mutant gradient-offset: caught at check seeds 0-19 (20/20; K = 9 of 9 at 19 seeds, 8 of 9 at
seed 5). Mutant sensitivities-zeroed (catchable=False): not caught at seeds 0-4 (K = 4, 5, 5, 1,
3 of 9: its bias does not make |grad L|^2 / eta grow within 200 steps). Quick mode is a smoke
test outside the premise below (its runs start far from a minimum, where the start-up transient
dominates and makes Q_first larger); the premise is enforced in full mode only.

Full mode (issue 12). The former full mode (the shared runs, 12 x 2000 steps from
init_params(1) on the N = 2, d = 1 system) FAILED, K = 34 of 36 (2026-12-06): at that system's
minimum the transverse Hessian spectrum is 0.0012, 0.145, 2.16, 16.1 (plus the 4 zeros of the
GL(2) symmetry), its relaxation margins (below) are -0.99, and the slow directions never reach
their sqrt(eta) spread, so |grad L|^2 decays more slowly than eta. Full mode now has its own
set-up, inside the premise, which the check computes at run time.

Premise, derived ((i)-(iii) before any run; (iv) added after the v1 crashes, see History). Near a minimum theta*, linearised SGD reads
theta_{t+1} - theta* = (I - eta_t H)(theta_t - theta*) - eta_t xi_t with noise of long-run
covariance Sigma. In H's eigenbasis the variance V of a direction of curvature h obeys
dV/dt = -2 h eta V + eta^2 Sigma_ii; with w = V / eta and eta_t = eta0 (1 + t/T0)^-gamma
(d log eta / dt = -gamma / u, u = T0 + t), dw/dt = -(2 h eta - gamma / u) w + eta Sigma_ii. Per
unit of intrinsic time tau = sum eta the relaxation rate is 2 h - gamma / (u eta(u)) >=
2 h - gamma / (eta0 T0) (u eta(u) = eta0 T0^gamma u^(1-gamma) does not decrease), so w tends to
w*(u) = Sigma_ii / (2 h - gamma / (u eta(u))), which does not increase with u, and a deviation
at the start decays at least like (u / T0)^-M_gamma, with the relaxation margin
M_gamma = 2 h eta0 T0 / gamma - 1 (exactly so for gamma = 1). |grad L|^2 / eta = sum_i h_i^2 w_i,
so the premise "theta_t - theta* ~ sqrt(eta_t) Z stationary in tau; the transient only makes
Q_first larger" needs, for the smallest transverse curvature h_min: (i) M_gamma >= 2; (ii) the
start-up transient's factor (1 + a / T0)^-M_gamma <= 0.01 at the first block's start a = n / 8;
(iii) a start whose spread is at least the target, so that the transient is a decrease: every
run is pretrained from theta* for n_pre steps at the constant rate eta_pre = 2 eta0, reaching
V_pre = eta_pre Sigma / (2 h) (1 - exp(-2 h eta_pre n_pre)) (the discrete recursion's stationary
eta Sigma / (h (2 - eta h)) is larger still), while the schedule's target at t = 0 is
eta0 Sigma (1 + M) / (2 h M); their ratio (eta_pre / eta0) (M / (1 + M)) (1 - exp(-2 h eta_pre
n_pre)) must be >= 1 (smallest at h_min). Starting at theta* itself (ratio 0) would make the
transient an increase, i.e. Q_last larger; (iv) no single step overshoots: a step is
theta -= eta (yhat_t - Y_t) J_t with per-sample curvature |J_t|^2 (J_t = d yhat_t / d theta), of
mean tr(H) at a realizable minimum, and eta |J_t|^2 > 2 amplifies; required eta_max tr(H) <=
0.35, a threshold set from divergence rates measured on pilot seeds (below), not derived.
Directions in the kernel of H (the GL(N) orbit S -> M S of the linear state-space model: a line
of minima, expected dimension N^2, checked) need no relaxation: grad L = 0 along the orbit and
the per-sample loss is invariant, so the update is orthogonal to it. Remaining corrections are
O(eta h_max) and not in the level: the discrete one and the O(eta) bias of the online estimator
make Q fall as eta falls; the time correlation of the data noise can make w rise by
O(eta h_max x its correlation time); at the first block eta <= 0.016, so eta h_max <= 0.07, and
the change between the blocks is smaller.

Full-mode set-up (``_decomposition.l62_system``; sizes ``l62_sizes``; constants L62_*): student
LinearSDE N = 1, d = 2, dt = 1; AR(1) inputs (0.5); teacher linear_sde_teacher(1, 2, rng=11,
dt=1, dof=20) (state map S -> 0.36 S + ...) plus U[-0.2, 0.2] noise; theta* = the balanced point
|C| = |B| of the teacher's orbit. It was chosen among teacher draws 0-19 and dt in (0.5, 0.7, 1)
from the closed-form spectrum at theta* alone: transverse 0.788, 1.522, 4.271 (kappa 5.4,
tr 6.58), kernel dimension 1 (|h| ~ 3e-16). Schedules eta_t = 0.025 / (1 + t / 200)^gamma,
gamma 0.6, 0.8, 1: margins M = 12.1, 8.9, 6.9; transient factors 5.3e-5, 7.6e-4, 3.8e-3;
pretraining 400 steps at 0.05: spread ratios 1.85, 1.80, 1.75; eta_max tr(H) = 0.33. 12 runs per
schedule, 2000 steps each: N = 36, fail iff K >= 25 (level P(Bin(36, 1/2) >= 25) = 1.4%). If the
premise fails (``premise()``) the check fails at once with "premise of the sign test fails: ...".

History of this set-up, kept honest. Pilots on seeds >= 10**6: a first choice (teacher rng=3,
state map S -> -0.53 S + ...; eta0 = 0.1, T0 = 50, pretraining at 0.2) diverged in a pretraining
at seed 10**6 and was replaced by v1: the system above with eta0 = 0.05, T0 = 100, pretraining
200 steps at 0.1 (then eta_max tr(H) = 0.66; no condition (iv) yet, only eta_pre h_max <= 1).
v1 gave K = 16 and 12 of 36 at pilot seeds 10**6, 10**6 + 1 (the gradient-offset mutant: 36 of
36), and was committed (43c0f26) before check seeds. On check seeds 0-3 it gave: pass (K = 16),
pass (K = 19), and two crashes (seeds 2, 3: a pretraining at 0.1 diverged: one step with large
|J_t|^2 overshot and threw the recurrence A past its stability boundary). Divergence rates of
the pretraining alone, measured then on pilot seeds (1000 or 300 runs of constant-rate online
RTRL from theta*): eta tr(H) = 0.66: 24 of 1000 runs of 200 steps (1.2e-4 per step); 0.46: 2 of
300 runs of 2400 steps (3e-6 per step); 0.33: 0 of 1000 runs of 2400 steps (< 1.3e-6 per step,
95%). Hence v2, the set-up above: condition (iv), all rates halved, T0 doubled (the margins
unchanged) and the pretraining doubled to 400 steps; the decision rule and its level unchanged.
v2 was committed before its runs on check seeds 0-9 (the same seeds: the change is to the step
size, not chosen to make any seed pass; v2's paths differ from v1's at every seed).

Full mode v2, measured after its commit (benchmarks/false_failures.py --full --only lemma-6.2,
one seed per command, 2026-12-06): check seeds 0-19, 0 fails of 20, 95% Wilson interval
[0%, 16.1%] (nominal 1.4%); K = 17, 20, 20, 15, 18, 20, 14, 17, 14, 18 (seeds 0-9), 20, 19, 14,
15, 11, 16, 16, 12, 8, 17 (seeds 10-19) of 36, pooled 321 of 720 runs with Q_last > Q_first
(44.6%; per schedule, from the printed 3-digit Q values, gamma 0.6: 98, 0.8: 99, 1: 121 of 240
-- gamma 1 at 50.4%, as expected where w* is constant in tau). Mutant gradient-offset (with
--mutants, seeds 0-9): caught at 10 of 10 seeds, 95% Wilson [72.2%, 100%]. Run time of one
full-mode check: 75-152 s (mean 89 s) on the shared 2-core machine under load from other jobs
(one thread); `verify --full --only lemma-6.2`: 2 min 34 s wall (87 s CPU).
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


def block_sup_inf(ds) -> dict:
    """Reported, not decided on: the run-mean of sup and inf of |grad L(theta_t)| over the first
    and the last equal-mass block (finite-horizon stand-ins of limsup and liminf, Lemmas 6.3-6.4).

    Parameters
    ----------
    ds : list of Decomposition
        The runs of one schedule.

    Returns
    -------
    dict
        ``{"first": (sup, inf), "last": (sup, inf)}``.
    """
    out = {"first": [], "last": []}
    for d in ds:
        a, m, n = equal_mass_blocks(d.eta)
        norm = np.linalg.norm(d.grad[:n], axis=1)
        out["first"].append((norm[a:m].max(), norm[a:m].min()))
        out["last"].append((norm[m:n].max(), norm[m:n].min()))
    return {k: tuple(float(x) for x in np.mean(v, axis=0)) for k, v in out.items()}


def sign_test_pvalue(k: int, n: int) -> float:
    """P(Binomial(n, 1/2) >= k), exact."""
    return float(sum(math.comb(n, j) for j in range(k, n + 1)) / 2.0**n)


def premise() -> dict:
    """The sign test's premise for the full-mode set-up (``_decomposition.l62_premise``)."""
    model, theta_star, process = dec.l62_system()
    return dec.l62_premise(model, theta_star, process)


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    prem = None
    if not quick:
        prem = premise()
        if not prem["ok"]:
            return CheckResult(
                ID,
                STATEMENT,
                claimed="the full-mode set-up is inside the sign test's premise (transverse "
                "Hessian spectrum, relaxation margins, start spread)",
                measured="; ".join(prem["failures"]),
                method="closed-form Hessian at theta*; relaxation margins of the schedules",
                status="fail",
                reason="premise of the sign test fails: " + "; ".join(prem["failures"]),
                details={"premise": prem},
            )
    runs = dec.l62_runs(quick, seed)
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
                   "D_F_R": parts, "L": [L0, Lh, LT], "sup_inf": block_sup_inf(ds)}
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
            + "; sup/inf |grad L| first -> last block {:.3g}/{:.2g} -> {:.3g}/{:.2g}".format(
                *r["sup_inf"]["first"], *r["sup_inf"]["last"])
            + f"; L {r['L'][0]:.4f} -> {r['L'][2]:.4f} = descent "
            f"{r['D_F_R'][0]:.4f} + fluctuation {r['D_F_R'][1]:.4f} + remainder "
            f"{r['D_F_R'][2]:.1e}"
            for g, r in rows.items()
        ),
        method="closed-form L, grad L (oracle) along RTRL runs; equal-eta-mass blocks; sign test"
        + ("" if quick else f"; premise: transverse Hessian spectrum at theta* "
           f"{prem['h_min']:.3g}..{prem['h_max']:.3g}, relaxation margins "
           + ", ".join(f"{m:.1f}" for m in prem["margins"].values())),
        status="fail" if failed else "pass",
        reason=(f"{ups} of {total} runs have a larger |grad L|^2 per unit eta-mass in the later "
                f"block: sign-test p = {p:.4f} <= {LEVEL:g}") if failed else "",
        details={**{str(g): r for g, r in rows.items()},
                 **({"premise": prem} if prem is not None else {})},
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
        "no-op; under the sign-test criterion not caught in quick mode at seeds 0-4, nor in "
        "full mode at seed 0: K = 19 of 36; on the full mode's N = 1 system, whose state "
        "forgets at rate 0.36 per step, the truncation bias is small)",
    ),
)
