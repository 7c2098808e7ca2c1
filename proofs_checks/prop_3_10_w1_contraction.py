"""Proposition 3.10 of [P1]: one step of the joint kernel P is a W1 contraction on the full state,
W1(mu P, nu P) <= rho_bar W1(mu, nu), rho_bar = max(lam, rho), for laws mu, nu of
Z = (X, eta, S, J, H) (max-norm ground cost).

Statement tested on NON-point laws: mu and nu are empirical laws of K = 400 particles whose
(eta, S, J, H) are drawn from the uniform law on the a-priori box (the same atoms for both) and
whose inputs are X = U + a (mu) and X = U - a (nu), U uniform on [-1/4, 1/4]^d, a = 1/2; the
statement holds for any laws, empirical ones included, so W1(mu, nu) is computed EXACTLY by POT
(no finite-sample floor at time 0).

W1(mu P, nu P) itself is bracketed without a floor (``estimators.one_step_w1_bracket``):
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
False-failure rate over seeds 0-19: 0/20 (measured).
"""

from __future__ import annotations

from dataclasses import replace
from unittest import mock

import numpy as np

import rtrl_theory.bounds as bounds
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.data import ExampleChain
from rtrl_theory.estimators import one_step_w1_bracket

from . import _montecarlo as mc
from ._lipschitz_search import scaled_constants_mutant

ID = "prop-3.10"
STATEMENT = "One step of the joint kernel: W1(mu P, nu P) <= rho_bar W1(mu, nu) on Z"
SHIFT = 0.5


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
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"W1(mu P, nu P) / W1(mu, nu) <= rho_bar = max({lam:g}, {rho:.3f}) = {rho_bar:.3f}",
        measured=(
            f"W1(mu, nu) = {br.w1_start:.4f} (POT, exact); W1(mu P, nu P) in [{br.lower:.4f}, "
            f"{br.upper:.4f} +- {br.upper_se:.1g}]: ratio in [{br.lower / br.w1_start:.3f}, "
            f"{br.upper / br.w1_start:.3f}] (tightness {br.upper / br.w1_start / rho_bar:.2f}; "
            f"K = {K}, dim Z = {jp.dim})"
        ),
        method="exact POT W1 at time 0; exact 1-D input-marginal lower bound and synchronous-"
        "coupling upper bound after one step",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
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
    stack.enter_context(scaled_constants_mutant(dict.fromkeys(("S", "W", "B", "WW", "WB", "BB"), 0.5))())
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
