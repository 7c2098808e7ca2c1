"""Proposition 3.1 / Theorem 3.11 of [P1]: the joint process contracts at rate
rho_bar = max(lam, rho) (3.45), lam from the data chain (2.6), rho the largest one-step
Lipschitz constant in y = (S, J, H) (Assumption 2.10, Lemmas 3.8-3.9).

Statement. At fixed theta, a step of Z = (X, eta, S, J, H) contracts y at the rates
rho_S, rho_W, rho_B, rho_WW, rho_WB, rho_BB (block by block, max-norm) when the data coincide, and
the data at rate lam; hence W1(mu_t, nu_t) <= C rho_bar^t.

Configuration: the shared one of ``_montecarlo`` (N = 3, d = 2, N C_f = 0.9, lam = 0.5), where
rho = 0.738 > lam, so rho_bar = rho: the rate of the theorem is set by the network part.

Method. Three measurements, each against the constant it names (read through
``rtrl_theory.bounds.contraction_constants`` and ``check_assumptions``).

(a) y-coupling: K = 400 pairs with the SAME inputs and noise, y from the point law against y
    from the uniform law on the a-priori box, synchronous for 30 steps. Pathwise, for every pair
    and step, ||Delta y'_b|| <= rho_b ||Delta y|| (Lemmas 3.8-3.9 hold on the box, which is
    invariant). The largest ratio per block is a deterministic lower bound on the block's
    Lipschitz constant; pairs with ||Delta y|| < 1e-6 are left out (below it float64 rounding,
    ~1e-15 absolute, would enter the ratio above 1e-9). Threshold: ratio <= rho_b (1 + 1e-6).
(b) x-coupling: K = 400 pairs with the SAME (S, J, H) at the start (box law) and inputs drawn
    independently in [-C_x, C_x]^d, same noise, 20 steps. Pathwise (Example 2.4, (2.9)):
    ||Delta X_{t+1}|| <= lam ||Delta X_t||; the network part follows
    ||Delta S_{t+1}|| <= rho_S ||Delta S_t|| + (d C_g / 4) ||Delta X_{t+1}|| (note-9.1's x-constant,
    ``rtrl_theory.bounds.input_lipschitz_constant``). Threshold: ratios <= 1 + 1e-6 (rounding).
(c) adversarial search (``rtrl_theory.bounds.adversarial_lipschitz``, seeded random search with
    restarts and local ascent over theta, x and the box) for the largest one-step Jacobian row
    sum of each block on this configuration: a lower bound on each Lipschitz constant, so
    measured / rho_b <= 1 + 1e-5 (central differences, h = 1e-6: each entry is accurate to
    ~1e-9, summed over < 800 entries of size < 10).

All three tests are deterministic inequalities (no statistical threshold); their only error is
float64 rounding and the difference error, covered by the tolerances above. Tightness
(measured / claimed) is reported per block: the coupling in (a) uses typical states and sits far
below rho (the network contracts at ~0.1 per step), which is why (c) searches for the worst case.
The reported rates are geometric means of the mean distance over the first 5 steps.

False-failure rate over seeds 0-19 (run_checks(["prop-3.1"], seed=s)): 0/20 (measured, quick);
full mode (quick=False), seeds 0-9: 0/10 (95% Wilson interval [0, 0.28]). Search tightness on this
configuration in full mode, worst over seeds 0-9: S 1.000, W 0.804, B 0.733, WW 0.603, WB 0.554,
BB 0.633 (measured / claimed); y-coupling pathwise 0.12-0.39 of each rho_b.
Mutants: every rho component halved, rho_S alone shrunk by 10% (the search reaches rho_S to
within 1e-3: the S-block is tight), rho_WW and rho_WB halved, the claimed lam halved, d C_g / 4
halved; and the old defect (rho = 0) fails.
"""

from __future__ import annotations

from dataclasses import replace
from unittest import mock

import numpy as np

import rtrl_theory.bounds as bounds
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.estimators import coupled_block_distances

from . import _montecarlo as mc

ID = "prop-3.1"
STATEMENT = (
    "One step contracts y block by block at rho_S..rho_BB and the data at lam; "
    "rate <= rho_bar = max(lam, rho)"
)
RHO_BLOCKS = ("S", "W", "B", "WW", "WB", "BB")
RESOLUTION = 1e-6


def _claims():
    model, _, proc = mc.model_and_process()
    C_x = proc.chain.C_x
    cc = bounds.contraction_constants(model, C_x).to_dict()
    a = bounds.check_assumptions(mc.N, mc.D, mc.C_F, mc.C_G, "tanh", mc.LAM, C_x)
    lx = bounds.input_lipschitz_constant(model)
    return cc, a.lam, lx


def _ratio(measured: float, claimed: float) -> float:
    """measured / claimed, with a claimed constant of 0 giving inf for any positive measurement
    (a claim of rho = 0 is false as soon as anything is measured)."""
    if claimed > 0:
        return measured / claimed
    return float("inf") if measured > 0 else 0.0


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    cc, lam, lx = _claims()
    rho = max(cc[f"rho_{b}"] for b in RHO_BLOCKS)
    rho_bar = max(lam, rho)
    jp = mc.joint_process(order=2)
    K = 400 if quick else 2000
    s0 = 3100 + 10 * seed
    # (a) y-coupling: same X and noise, y from the box law against the point law
    zb = jp.initial(K, rng=s0, law="box")
    za = replace(jp.initial(K, rng=s0 + 1, law="point", x0=zb.X), eta=zb.eta, Y=zb.Y)
    Dy = coupled_block_distances(jp, za, zb, 30, rng=s0 + 2)
    prev = Dy["y"][:-1]
    ok = prev > RESOLUTION
    y_ratio = {b: float((Dy[b][1:][ok] / prev[ok]).max()) for b in RHO_BLOCKS}
    y_rate = float(np.exp(np.mean(np.diff(np.log(Dy["y"].mean(axis=1)[:6])))))
    # (b) x-coupling: same y, independent inputs, same noise
    zc = jp.initial(K, rng=s0 + 3, law="box")
    C_x = jp.process.chain.C_x
    zd = replace(zc, X=np.random.default_rng(s0 + 4).uniform(-C_x, C_x, zc.X.shape))
    Dx = coupled_block_distances(jp, zc, zd, 20, rng=s0 + 5)
    okx = Dx["X"][:-1] > RESOLUTION
    x_ratio = float((Dx["X"][1:][okx] / Dx["X"][:-1][okx]).max())
    s_bound = cc["rho_S"] * Dx["S"][:-1] + lx * Dx["X"][1:]
    oks = s_bound > RESOLUTION
    s_ratio = float((Dx["S"][1:][oks] / s_bound[oks]).max())
    x_rate = float(np.exp(np.mean(np.diff(np.log(Dx["X"].mean(axis=1)[:6])))))
    # (c) adversarial search on this configuration
    (cfg, adv, _), *_ = mc.adversarial_search(quick, seed)
    adv_ratio = {b: _ratio(adv.values[b], cc[f"rho_{b}"]) for b in RHO_BLOCKS}
    problems = []
    for b in RHO_BLOCKS:
        if y_ratio[b] > cc[f"rho_{b}"] * (1 + 1e-6):
            problems.append(f"y-coupling: block {b} one-step ratio {y_ratio[b]:.4g} > rho_{b}")
        if adv_ratio[b] > 1 + 1e-5:
            problems.append(
                f"adversarial search: block {b} Lipschitz {adv.values[b]:.4g} > rho_{b} "
                f"{cc[f'rho_{b}']:.4g}"
            )
    if x_ratio > lam * (1 + 1e-6):
        problems.append(f"x-coupling: |dX'|/|dX| reached {x_ratio:.4g} > lam = {lam:g}")
    if s_ratio > 1 + 1e-6:
        problems.append(
            f"x-coupling: |dS'| / (rho_S |dS| + d C_g/4 |dX'|) reached {s_ratio:.4g} > 1"
        )
    tight = ", ".join(
        f"{b} {_ratio(y_ratio[b], cc[f'rho_{b}']):.2f}/{adv_ratio[b]:.3f}" for b in RHO_BLOCKS
    )
    return CheckResult(
        ID,
        STATEMENT,
        claimed=(
            "rho_b = "
            + ", ".join(f"{b} {cc[f'rho_{b}']:.3f}" for b in RHO_BLOCKS)
            + f"; lam = {lam:g}; d C_g/4 = {lx:g}; rho_bar = max(lam, rho) = {rho_bar:.3f} "
            f"(rho > lam)"
        ),
        measured=(
            f"tightness per block, y-coupling / adversarial search: {tight}; x-coupling: "
            f"|dX'|/|dX| <= {x_ratio:.4f} ({x_ratio / lam:.3f} of lam), S response "
            f"{s_ratio:.3f} of its bound; mean-distance rates: y {y_rate:.3f}, X {x_rate:.3f} "
            f"(K = {K}; search {adv.n_evaluations} Jacobians)"
        ),
        method="synchronous couplings (same data / same network state), pathwise block ratios; "
        "adversarial search of one-step Jacobian row sums over theta, x and the box",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
            "rho": cc,
            "lam": lam,
            "rho_bar": rho_bar,
            "d_Cg_over_4": lx,
            "y_coupling_ratio": y_ratio,
            "adversarial_ratio": adv_ratio,
            "adversarial_values": adv.values,
            "random_phase_values": adv.random_values,
            "random_phase_ratio": {b: _ratio(adv.random_values[b], cc[f"rho_{b}"]) for b in RHO_BLOCKS},
            "x_ratio": x_ratio,
            "s_response_ratio": s_ratio,
            "y_rate": y_rate,
            "x_rate": x_rate,
        },
    )


def _scaled_constants(factors: dict):
    real = bounds.contraction_constants

    def fake(model, C_x):
        c = real(model, C_x)
        return replace(c, **{f"rho_{b}": getattr(c, f"rho_{b}") * f for b, f in factors.items()})

    return lambda: mock.patch.object(bounds, "contraction_constants", fake)


def _scaled_lam(f):
    real = bounds.check_assumptions

    def fake(*a, **k):
        r = real(*a, **k)
        return replace(r, lam=r.lam * f, rho_bar=max(r.lam * f, r.rho))

    return lambda: mock.patch.object(bounds, "check_assumptions", fake)


def _scaled_lx(f):
    real = bounds.input_lipschitz_constant
    return lambda: mock.patch.object(
        bounds, "input_lipschitz_constant", lambda model: f * real(model)
    )


MUTANTS = (
    Mutant(
        "rho-halved",
        "every rho component x 1/2",
        _scaled_constants(dict.fromkeys(RHO_BLOCKS, 0.5)),
    ),
    Mutant(
        "rho-zero",
        "rho = 0 (the old check passed it)",
        _scaled_constants(dict.fromkeys(RHO_BLOCKS, 0.0)),
    ),
    Mutant("rho_S-0.9", "rho_S x 0.9 only (the S-block is tight)", _scaled_constants({"S": 0.9})),
    Mutant(
        "rho_WW_WB-halved",
        "rho_WW and rho_WB x 1/2 (issue: the old lemma-3.9 passed this)",
        _scaled_constants({"WW": 0.5, "WB": 0.5}),
    ),
    Mutant("lam-halved", "the claimed data contraction lam x 1/2", _scaled_lam(0.5)),
    Mutant("dCg4-halved", "note-9.1's x-constant d C_g / 4 x 1/2", _scaled_lx(0.5)),
)
