"""Theorem 6.1 of [P1]: online RTRL converges to a stationary point, grad L(theta_t) -> 0.

Statement. Under Assumptions 2.3, 2.10 and 2.14, the parameters of the online RTRL algorithm
(2.24)-(2.26) satisfy |grad L(theta_t)| -> 0 almost surely.

Set-up (``estimators.theorem_6_1_setup``, inside every hypothesis, checked by
``setup.assumptions()`` before any run): paper RNN N = 3, d = 2, N C_f = 1.08, rho = 0.945;
Example 2.4 inputs (lam = 0.5); a target with memory, Y_t = w . M_t + noise with the leaky trace
M_{t+1} = 0.25 M_t + 0.6 X_t, whose lifted chain (X_t, M_t) contracts in one step in the plain
max-norm, lam_xi = 0.85; SGD with eta_t = 0.5 / (1 + t / 1000) (Robbins-Monro). Burn-in of the
stationary estimates: burn_in_for(rho_bar = 0.945, 1e-6) = 247 steps. theta_0 is the end of a
2e5-step pretraining at the constant rate 0.5 (near a stationary point): the spread law below is
about SGD near a stationary point. (From init_params the limit loss still falls ~50x between 4e3
and 4e4 steps even at the constant rate 0.5, a deterministic transient: a first version started
there, passed at seed 0 with slope -0.55 and its constant-rate control decayed at slope -1.06,
so the agreement with -1/2 was a coincidence of the transient; the pretraining removes it.)

Method. RTRL trains on independent data streams, one per seed (8 seeds x 4e4 steps in quick mode,
16 x 2e5 in full). At t = 0 and at 5 geometric checkpoints in [t_fit, T], t_fit = 4 t0 = 4000,
|grad L(theta_t)| is estimated by particles of the joint process at the frozen parameter on fresh
data (200 x 150 steps quick, 400 x 300 full; debiased norm, Monte Carlo floor sqrt(sum se^2)).

Thresholds (set before running, from the schedule and the SGD spread argument):

* Expected slope. Near a stationary point theta*, SGD keeps theta_t - theta* at a spread of order
  sqrt(eta_t) (the stationary variance of a linearised step is ~ eta_t), so |grad L(theta_t)| ~
  |H (theta_t - theta*)| ~ eta_t^(1/2). The expected log-log slope s* is the OLS slope of
  0.5 log eta_t on the fit checkpoints (about -0.46 for eta_t = 0.5/(1 + t/1000) on
  [4e3, 4e4]; -1/2 as t / t0 -> infinity).
* (A) slope: E|grad L(theta_t)|^2 ~ eta_t is estimated by the root mean square over seeds of
  |grad L| (floored at the floor) at each checkpoint; its OLS log-log slope has a 95% percentile
  bootstrap interval [lo, hi] (seeds resampled whole). Pass: hi < 0 and
  lo - 0.15 <= s* <= hi + 0.15. The 0.15 (30% of s*) is a modelling allowance fixed in advance:
  the spread law is asymptotic (directions with eta0 t0 h < 1/2 decay more slowly) and flooring
  at the Monte Carlo floor flattens the last points. (A first version fitted per-seed slopes and
  a Student-t interval; on the first run its interval was [-1.08, 0.20]: a single seed's
  |grad L(theta_t)| is one draw of |H delta| with few effective directions, so per-seed slopes
  over one decade are too noisy. The RMS over seeds is the quantity the spread argument is
  about; the thresholds were not changed.)
* (B) fraction: per seed, the spread law predicts the end value from the seed's own first fit
  checkpoint, pred = |grad L(theta_t_fit)| (eta_T / eta_t_fit)^(1/2); a seed is within when its
  final |grad L| <= 4 pred (reported also as a multiple of the seed's floor, 4 pred / floor).
  Why 4: |grad L| ~ |H delta| with delta roughly Gaussian; the ratio of two such norms (nearly
  independent points) exceeds 4 with probability <= 1/17 when at least two directions
  contribute (F(2,2) tail 1/(1+16)). Pass: at least 6 of 8 seeds (13 of 16 in full); the
  binomial false-failure rate at p = 1/17 is <= 0.9% (quick) and <= 0.6% (full).
* (C) negative controls, which must fail (A): in quick mode RTRL with the constant rate
  eta = eta_0 = 0.5 (outside Assumption 2.14: once its transient, of order 1/(eta h) steps, is
  over, the spread stays of order sqrt(eta_0) and the slope is ~ 0; the largest rate makes that
  transient shortest. A first version used eta = eta_(t_fit) = 0.1: its transient lasted into
  the fit window and at check seed 1 it passed (A) (slope -0.30 [-0.65, -0.10]), so the check
  failed there; replaced by eta_0 for that reason, disclosed here;
  3 seeds); in full mode also TBPTT(1) (4 seeds x 2e5 steps), whose gradient is biased (the
  target needs memory) so that |grad L| settles on a plateau. TBPTT(1) is not in quick mode: at
  4e4 steps its bias was below RTRL's SGD spread (run from init_params: TBPTT(1) final
  |grad L| 2.2e-3, RTRL median 7.1e-3), so it could not fail there; its NumPy engine
  also costs ~14 s per 4e4 steps.

False-failure rate over seeds: (B) <= 0.9% from the binomial bound above. Measured on check
seeds 0, 1, 2 (one run each, loaded machine, ~50 s a run), all pass: RMS slope -0.39 [-0.62,
-0.18], -0.53 [-0.71, -0.16], -0.41 [-0.63, -0.20] against s* = -0.458; within 4x the prediction
7/8, 6/8 (at the limit), 7/8; constant-rate control -0.05 [-0.81, 0.25], -0.21 [-0.39, 0.23],
0.02 [-0.36, 0.39] (all fail (A), as they must). With a 4e4-step pretraining instead of 2e5,
seed 1 failed: the constant-rate control still decayed (slope -0.35 [-0.53, -0.03]), not yet at
its plateau; hence the 2e5 steps.
Measured over check seeds 0-9 (quick, benchmarks/false_failures.py; 10 seeds, not 20: ~13.5 s
a run on the loaded 2-core machine): 1 fail of 10, 10%, 95% Wilson interval [1.8%, 40.4%].
Seed 3 failed: RMS slope -0.22 [-0.38, 0.09] not below 0, 5/8 seeds within 4x (need 6), and
the constant-rate control passed (A). The stated (B) level (<= 0.9%) covers only (B); (A)'s
bootstrap interval with its allowance has no derived level, so the check's overall rate is
not known by construction: reported, not retuned.
(B)'s premise does not hold on this set-up: over check seeds 0-9 (quick, same runs), 11 of 80
seeds end above 4x their prediction, 13.8% (95% Wilson [7.9%, 23.0%]), against the assumed
<= 1/17 = 5.9%; it matches the one-direction case (|N| / |N'| > 4, two Gaussians: probability
(2/pi) arctan(1/4) = 15.6%), so the stated <= 0.9% level of (B) is not established. With the
one-direction bound, a level <= 1% needs "fail iff >= 5 of 8 outside" (0.34%); on the same runs
the spread-exponent-1 mutant (a seed within iff final <= 4 (eta_T/eta_fit)^(1/2) pred = 1.40 pred)
leaves 5, 3, 4, 3, 3, 4, 6, 5, 5, 4 seeds within, so that rule would catch it at 3 of 10 seeds
(the current rule, >= 6 within, at 9 of 10). Dropping (A) for (B) therefore gives no derived level
that keeps this mutant caught; not redesigned, reported (seed 3 also fails (B): 5/8 within).

The mutant "RTRL with J~ zeroed at every step" was tried (not caught at 4e4 steps from
init_params, ~200 s per run through the stepwise compiled chunk) and is left out of MUTANTS for
the cost of verify --power; the TBPTT(1) control of full mode plays its part there.

REDESIGN, PRE-REGISTERED (issue 12 follow-up, Dec 6 2026; committed before any run of the new rule
on check seeds, and before the design pilot's results were looked at). The rule above has no
derived overall level; it is replaced by two one-sided paired t-tests on means over independent
seeds of unbiased per-seed estimates, with levels known by construction up to the t-test's normal
approximation. Per seed s and checkpoint t, Q_s(t) = |g^|^2 - sum se^2 (NOT clamped at 0) is
unbiased for |grad L(theta_t)|^2 (particles independent, se^2 with ddof = 1 unbiased for the
variance of each coordinate's mean). A_s, B_s: means of Q_s over an early window W_a (from
t_fit = 4 t0) and a late window W_b (ending at T) with the same number of checkpoints;
r = mean_{W_b} eta^(2e) / mean_{W_a} eta^(2e), e = SGD_SPREAD_EXPONENT (1/2): the ratio
E B / E A that the spread law predicts.
* (A) rate, level alpha_A = 0.01: the claim's consequence E B <= c r E A, c = 2 fixed in advance
  (linearised SGD with eta_t = a / (t0 + t), a = eta_0 t0 = 500, started from the eta_0 = 0.5
  spread: a direction of curvature h has E delta^2 proportional to
  [1 - (t0/u)^(2ah-1) / (2ah)] / u, u = t0 + t, so its ratio over r is 1.1 at 2ah = 2, 1.5 at
  2ah = 1.2, 1.8 at 2ah = 1 (the log case) for [4e3, 4e4]: c = 2 covers every direction with
  2ah >= 1 and mixtures dominated by them; for T / t_fit = 10 it is the former slope allowance
  log(2) / (2 log 10) = 0.15). Fail iff the one-sided paired t-test of D_s = B_s - c r A_s
  rejects mean(D) <= 0 at alpha_A.
* (B) decrease demonstrated, alpha_B = 0.01: fail iff the one-sided paired t-test of
  A_s - B_s does NOT reject mean <= 0 at alpha_B. False-failure rate = 1 - power, derived from
  the spread law's effect size (E B = r E A) and a chi-square variance model; target >= 0.99.
* Negative control (RTRL at the constant rate eta_0 = 0.5, outside Assumption 2.14; stationary
  after the pretraining at that rate, so E B = E A): must fail the same rule; it passes only if
  (B) rejects, probability about alpha_B by construction. TBPTT(1) in full mode.
Design sizes (seeds, windows, particles) are chosen for power from a pilot on seeds 10**6 + i
(disjoint from every check seed); alpha_A, alpha_B and c are not taken from it.
"""

from __future__ import annotations

from unittest import mock

import numpy as np

from rtrl_theory import estimators
from rtrl_theory.checks import CheckResult, Mutant, register_cache

ID = "thm-6.1"
STATEMENT = (
    "Online RTRL converges to a stationary point: |grad L(theta_t)| -> 0 (TBPTT(1): plateau)"
)
ALLOWANCE = 0.15
MULTIPLE = 4.0

_CACHE: dict = {}
register_cache(_CACHE)


def sizes(quick: bool) -> dict:
    if quick:
        return dict(
            n_seeds=8, n_train=40_000, n_const=3, n_tbptt=0, min_within=6, n_particles=200,
            n_steps=150,
        )
    return dict(
        n_seeds=16, n_train=200_000, n_const=4, n_tbptt=4, min_within=13, n_particles=400,
        n_steps=300,
    )


def run(quick: bool, seed: int = 0):
    from rtrl_theory.runners import PowerSchedule

    key = (quick, seed)
    if key not in _CACHE:
        z = sizes(quick)
        setup = estimators.theorem_6_1_setup()
        rep = setup.assumptions()
        mc = dict(n_particles=z["n_particles"], n_steps=z["n_steps"], setup=setup)
        base = 1000 * seed
        rt = estimators.theorem_6_1_seeds(range(base, base + z["n_seeds"]), z["n_train"], **mc)
        eta0 = float(setup.schedule(0.0))
        controls = {
            "RTRL, constant eta": estimators.theorem_6_1_seeds(
                range(base + 300, base + 300 + z["n_const"]),
                z["n_train"],
                schedule=PowerSchedule(eta0, 1.0, 0.0),
                **mc,
            )
        }
        if z["n_tbptt"]:
            controls["TBPTT(1)"] = estimators.theorem_6_1_seeds(
                range(base + 500, base + 500 + z["n_tbptt"]),
                z["n_train"],
                algo="tbptt",
                tau=1,
                **mc,
            )
        _CACHE[key] = (rep, rt, controls)
    return _CACHE[key]


def slope_criterion(stats, s_star: float, seed: int):
    """(ok, slope, lo, hi) of criterion (A)."""
    est, lo, hi = stats.rms_slope(0.95, rng=[seed, 7])
    ok = hi < 0 and lo - ALLOWANCE <= s_star <= hi + ALLOWANCE
    return ok, est, lo, hi


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    rep = estimators.theorem_6_1_setup().assumptions()
    if not rep.hypotheses_hold:  # the thresholds are derived under the hypotheses: stop here
        bad = [k for k, h in rep.hypotheses.items() if h["holds"] is False]
        return CheckResult(
            ID, STATEMENT, claimed="the set-up lies inside the hypotheses",
            measured="; ".join(f"{k}: {rep.hypotheses[k]['detail']}" for k in bad),
            method="rtrl_theory.bounds.check_assumptions (lifted data chain included)",
            status="fail", reason="the set-up is outside the hypotheses: " + ", ".join(bad),
        )
    rep, rt, controls = run(quick, seed)
    z = sizes(quick)
    s_star = rt.expected_slope
    slope_ok, m, lo, hi = slope_criterion(rt, s_star, seed)
    within = rt.final <= MULTIPLE * rt.predicted
    n_in = int(within.sum())
    problems = []
    if not rep.hypotheses_hold:
        problems.append("the set-up is outside the hypotheses: " + rep.format().splitlines()[-1])
    if not slope_ok:
        problems.append(
            f"RMS slope {m:.3f} [{lo:.3f}, {hi:.3f}] not below 0 or not within {ALLOWANCE} of "
            f"s* = {s_star:.3f}"
        )
    if n_in < z["min_within"]:
        problems.append(
            f"only {n_in}/{within.size} seeds end within {MULTIPLE:g}x the sqrt(eta) prediction "
            f"(need {z['min_within']})"
        )
    ctrl_txt = []
    for name, st in controls.items():
        c_ok, c_m, c_lo, c_hi = slope_criterion(st, s_star, seed)
        ctrl_txt.append(f"{name}: slope {c_m:.3f} [{c_lo:.3f}, {c_hi:.3f}]")
        if c_ok:
            problems.append(f"the negative control {name} passed (A)")
    mult_floor = MULTIPLE * rt.predicted / rt.floor
    return CheckResult(
        ID,
        STATEMENT,
        claimed=(
            f"inside the hypotheses (lam_xi = {rep.config['lifted_chain']['lam_lifted']:g}, "
            f"rho = {rep.rho:.3f}): E|grad L(theta_t)|^2 ~ eta_t, log-log slope s* = "
            f"{s_star:.3f} (+- {ALLOWANCE}); >= {z['min_within']}/{z['n_seeds']} seeds end "
            f"within {MULTIPLE:g}x the prediction; the negative controls fail"
        ),
        measured=(
            f"RTRL RMS slope {m:.3f} [95%: {lo:.3f}, {hi:.3f}] over {rt.slopes.size} seeds; "
            f"{n_in}/{within.size} within {MULTIPLE:g}x pred (= {np.median(mult_floor):.1f}x the "
            f"floor, median); final |grad L| median {np.median(rt.final):.2e}, floor "
            f"{np.median(rt.floor):.1e}; controls: " + "; ".join(ctrl_txt)
        ),
        method="online SGD runs over seeds; stationary Monte Carlo estimates of grad L at "
        "checkpoints; OLS log-log slope of the RMS over seeds, bootstrap over seeds",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
            "expected_slope": s_star,
            "slope": m,
            "slope_ci": [lo, hi],
            "n_within": n_in,
            "multiple_of_floor": mult_floor.tolist(),
            "rtrl": rt.to_dict(),
            "controls": {k: v.to_dict() for k, v in controls.items()},
            "assumptions": rep.to_dict(),
        },
    )


MUTANTS = (
    Mutant(
        "spread-exponent-1",
        "SGD_SPREAD_EXPONENT = 1: claims |grad L(theta_t)| ~ eta_t (the spread of theta_t of order "
        "eta_t, not sqrt(eta_t)); the expected slope doubles",
        lambda: mock.patch.object(estimators._convergence, "SGD_SPREAD_EXPONENT", 1.0),
    ),
    Mutant(
        "setup-outside-assumption-2.3",
        "theorem_6_1_setup returns the former delay-line set-up, whose lifted chain has one-step "
        "max-norm constant 1 (Assumption 2.3 fails); the check must refuse it",
        lambda: mock.patch.object(estimators, "theorem_6_1_setup", estimators.delay_line_setup),
    ),
)
