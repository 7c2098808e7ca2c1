"""Proposition 3.10 of [P1]: one step of the joint kernel P is a W1 contraction on the full state,
W1(mu P, nu P) <= rho_bar W1(mu, nu), rho_bar = max(lam, rho), for laws mu, nu of
Z = (X, eta, S, J, H) (max-norm ground cost).

Statement tested on NON-point laws: mu and nu are empirical laws of K = 400 particles whose
(eta, S, J, H) are drawn from the uniform law on the a-priori box (the same atoms for both) and
whose inputs are X = U + a (mu) and X = U - a (nu), U uniform on [-1/4, 1/4]^d, a = 1/2; the
statement holds for any laws, empirical ones included, so W1(mu, nu) is computed EXACTLY by POT
(no finite-sample floor at time 0).

W1(mu P, nu P) itself is bracketed without a floor (``estimators._couplings.one_step_w1_bracket``):
- lower bound, exact: the max-norm cost dominates each input coordinate and the input step of
  Example 2.4 does not depend on y, so W1(mu P, nu P) >= max_j W1 of coordinate j of
  phi(X) + U[-a, a], a mixture of uniform laws whose CDFs are piecewise linear; the 1-D W1 is
  their integrated difference (trapezoid rule on 20001 points: error < 1e-8);
- upper bound: the synchronous coupling (same noise) along the optimal plan of W1(mu, nu) gives
  E||Z'_1 - Z''_1|| >= W1(mu P, nu P); it is estimated by the mean over the K pairs, with its
  standard error.

Thresholds. Contradiction (fail): lower > rho_bar W1(mu, nu) (1 + 1e-6). Confirmation (needed to
pass): upper <= rho_bar W1(mu, nu) + 3 se (one-sided, level 1.3e-3 under a normal approximation
of the mean of K bounded costs). The configuration is the shared one (rho = 0.738 > lam = 0.5, so
rho_bar = rho), read through ``rtrl_theory.bounds.contraction_constants`` and
``check_assumptions``.

Power and its limit. The bracket is tight (lower / W1 = 0.455, upper / W1 = 0.459 at seed 0):
the ratio is set by the data part (lam times the slope of tanh), the network part responding to
the input at about d C_g / 4 of it. A rho_bar halved (0.369) is caught; rho alone halved leaves
rho_bar = max(lam, 0.369) = 0.5 above 0.459: not catchable here (declared). A data chain that
does not contract (phi doubled) is caught.
Counterexample (status "refuted"). The max-norm one-step form fails inside all hypotheses when the
network's response to the input, up to lam d C_g / 4 (note-9.1), exceeds rho_bar. Configuration B:
N = 3, d = 8, f = 0.01 tanh, g = 2 tanh, Example 2.4 with lam = 0.5 and noise U[-0.1, 0.1]^8
(C_x = 0.6), raw input weights W = 8 (g(W) = C_g to 1e-6), B and alpha from init_params(0):
N C_f = 0.03 < 4, rho = 0.023, lam = 0.5 < 1, so rho_bar = 0.5. mu, nu: atoms with the
same (eta, S, J, H) (box law; K = 500 quick, 2000 full) and inputs U + 0.05 / U - 0.05, U ~ U[-0.02, 0.02]^8, so
W1(mu, nu) = 0.1 (POT, exact). Lower bound on W1(mu P, nu P) by Kantorovich-Rubinstein duality
(``estimators._couplings.kr_lower_bound``: f(z) = S_k is 1-Lipschitz for the max-norm; one common-noise
step per atom pair, the bound max_k |mean diff_k| - z_c se_k holds with probability >= 1 - 1e-3,
z_c Bonferroni over the N coordinates). Refuted when that bound exceeds rho_bar W1(mu, nu).
Measured (seed 0): W1(mu P, nu P) >= 1.9 W1(mu, nu), against rho_bar = 0.5. The multi-step
form (3.45), W1(mu_t, pi) <= C rho_bar^t with some C > 1, is not contradicted; only C = 1.
Status: "fail" if configuration A contradicts the bound (or its upper bound does not confirm it);
else "refuted" if B gives the counterexample; else "pass".
False-failure rate over seeds 0-19: 0/20 (measured; no seed gave "fail", every seed "refuted").
Full mode (quick=False, K = 1500 first-order in A, 2000 in B), seeds 0-9: 0/10 fail, 10/10
refuted; A's ratio bracket [0.454-0.455, 0.458-0.459], B's KR bound 1.92 W1(mu, nu) at every seed.
"""

from __future__ import annotations

from dataclasses import replace
from unittest import mock

import numpy as np

import rtrl_theory.bounds as bounds
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.data import ExampleChain
from rtrl_theory.estimators._couplings import one_step_w1_bracket

from . import _montecarlo as mc
from ._lipschitz_search import scaled_constants_mutant

ID = "prop-3.10"
STATEMENT = "One step of the joint kernel: W1(mu P, nu P) <= rho_bar W1(mu, nu) on Z"
SHIFT = 0.5


def configuration_b(quick: bool, seed: int):
    """Configuration B (module docstring), the two laws mu and nu of the counterexample.

    Returns
    -------
    (jp, z_mu, z_nu, report, rho)
        The second-order JointProcess, the atoms of mu and nu (same (eta, S, J, H), inputs
        U + 0.05 and U - 0.05), the assumptions report and rho, both read through
        ``rtrl_theory.bounds``.
    """
    from rtrl_theory import PaperRNN
    from rtrl_theory.cells import PaperParams
    from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget
    from rtrl_theory.runners import JointProcess

    N, d, c_f, c_g, lam, noise = 3, 8, 0.01, 2.0, 0.5, 0.1
    model = PaperRNN(N, d, c_f=c_f, c_g=c_g)
    C_x = lam + noise
    rep = bounds.check_assumptions(N, d, c_f, c_g, "tanh", lam, C_x)
    rho_b = bounds.contraction_constants(model, C_x).rho
    p0 = model.init_params(0)
    params = PaperParams(p0.alpha, np.full((N, d), 8.0), p0.B)
    proc = DataProcess(ExampleChain(d, lam, noise), LipschitzTarget.random(d, noise=0.1, rng=0))
    jp = JointProcess(model, params, proc, order=2)
    K = 500 if quick else 2000
    z = jp.initial(K, rng=[3120, seed], law="box")
    U = np.random.default_rng([3121, seed]).uniform(-0.02, 0.02, z.X.shape)
    return jp, replace(z, X=U + 0.05), replace(z, X=U - 0.05), rep, rho_b


def counterexample_b(quick: bool, seed: int):
    """Configuration B (module docstring):
    (rho_bar, rho, W1(mu, nu), KR lower bound, hypotheses hold)."""
    from rtrl_theory.estimators import w1_empirical
    from rtrl_theory.estimators._couplings import kr_lower_bound

    jp, za, zb, rep, rho_b = configuration_b(quick, seed)
    rho_bar = max(rep.lam, rho_b)
    w1_0 = w1_empirical(jp.flatten(za), jp.flatten(zb))
    lb, _, _, _ = kr_lower_bound(jp, za, zb, rng=[3122, seed], block="S")
    return rho_bar, rho_b, w1_0, lb, rep.hypotheses_hold


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    model, _, proc = mc.model_and_process()
    C_x = proc.chain.C_x
    rho = bounds.contraction_constants(model, C_x).rho
    lam = bounds.check_assumptions(mc.N, mc.D, mc.C_F, mc.C_G, "tanh", mc.LAM, C_x).lam
    rho_bar = max(lam, rho)
    jp = mc.joint_process(order=2 if quick else 1)
    K = 400 if quick else 1500
    s0 = 3100 + 10 * seed
    za = jp.initial(K, rng=s0, law="box")
    U = np.random.default_rng(s0 + 1).uniform(-0.25, 0.25, za.X.shape)
    zb = replace(za, X=U - SHIFT)
    za = replace(za, X=U + SHIFT)
    br = one_step_w1_bracket(jp, za, zb, rng=s0 + 2)
    bound = rho_bar * br.w1_start
    problems = []
    if br.lower > bound * (1 + 1e-6):
        problems.append(
            f"W1(mu P, nu P) >= {br.lower:.4g} (exact lower bound) > rho_bar W1(mu, nu) = {bound:.4g}"
        )
    if br.upper > bound + 3 * br.upper_se:
        problems.append(
            f"coupling upper bound {br.upper:.4g} +- {br.upper_se:.1g} does not confirm "
            f"W1(mu P, nu P) <= {bound:.4g}"
        )
    rb_b, rho_b, w0_b, lb_b, hyp_b = counterexample_b(quick, seed)
    refuted = hyp_b and lb_b > rb_b * w0_b * (1 + 1e-6)
    status = "fail" if problems else ("refuted" if refuted else "pass")
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"W1(mu P, nu P) / W1(mu, nu) <= rho_bar = max({lam:g}, {rho:.3f}) = {rho_bar:.3f}"
        f" (A); <= rho_bar = {rb_b:.3f} (B: d = 8, g = 2 tanh, rho = {rho_b:.2g} < lam)",
        measured=(
            f"W1(mu, nu) = {br.w1_start:.4f} (POT, exact); W1(mu P, nu P) in [{br.lower:.4f}, "
            f"{br.upper:.4f} +- {br.upper_se:.1g}]: ratio in [{br.lower / br.w1_start:.3f}, "
            f"{br.upper / br.w1_start:.3f}] (tightness {br.upper / br.w1_start / rho_bar:.2f}; "
            f"K = {K}, dim Z = {jp.dim}). B (all hypotheses hold: {hyp_b}): W1(mu, nu) = "
            f"{w0_b:.4f}, W1(mu P, nu P) >= {lb_b:.4f} = {lb_b / w0_b:.2f} W1(mu, nu) (KR bound, "
            f"level 1e-3)" + (": COUNTEREXAMPLE to the one-step form" if refuted else "")
        ),
        method="exact POT W1 at time 0; exact 1-D input-marginal lower bound and synchronous-"
        "coupling upper bound after one step; B: Kantorovich-Rubinstein lower bound",
        status=status,
        reason="; ".join(problems)
        if problems
        else (
            f"configuration B: W1(mu P, nu P) >= {lb_b / w0_b:.2f} W1(mu, nu) > rho_bar = "
            f"{rb_b:.3f} (the input response lam d C_g / 4 = 2 exceeds rho_bar, note-9.1)"
            if refuted
            else ""
        ),
        details={
            "B": {"rho_bar": rb_b, "w1_start": w0_b, "kr_lower": lb_b, "hypotheses": hyp_b},
            "rho_bar": rho_bar,
            "w1_start": br.w1_start,
            "lower": br.lower,
            "upper": br.upper,
            "upper_se": br.upper_se,
        },
    )


def _rho_bar_halved():
    import contextlib

    real = bounds.check_assumptions

    def fake(*a, **k):
        r = real(*a, **k)
        return replace(r, lam=r.lam / 2)

    stack = contextlib.ExitStack()
    stack.enter_context(
        scaled_constants_mutant(dict.fromkeys(("S", "W", "B", "WW", "WB", "BB"), 0.5))()
    )
    stack.enter_context(mock.patch.object(bounds, "check_assumptions", fake))
    return stack


def _phi_doubled():
    real = ExampleChain.phi
    return mock.patch.object(ExampleChain, "phi", lambda self, x: 2.0 * real(self, x))


MUTANTS = (
    Mutant("rho_bar-halved", "lam and every rho component x 1/2 (rho_bar 0.369)", _rho_bar_halved),
    Mutant("chain-phi-doubled", "the data map phi x 2: the chain is 2 lam-Lipschitz", _phi_doubled),
    Mutant(
        "rho-halved",
        "every rho component x 1/2 (rho_bar = max(lam, 0.369) = 0.5)",
        scaled_constants_mutant(dict.fromkeys(("S", "W", "B", "WW", "WB", "BB"), 0.5)),
        catchable=False,
        why_not="the one-step W1 ratio is set by the data part (0.455-0.459 < lam = 0.5); the "
        "network part contracts far faster than rho, so rho_bar / 2 -> lam is still above it",
    ),
)
