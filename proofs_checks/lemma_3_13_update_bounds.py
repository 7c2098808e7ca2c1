"""Lemmas 3.13-3.14 and (3.62) of [P1]: the RTRL update direction G~ (3.63)-(3.64) and the
per-step Hessian H (3.65) are bounded on the a-priori box, by bounds polynomial in |alpha|.

Statement (as reconstructed, THEORY.md sections 6-7, note 9.3). On the box of Lemmas 3.5 and 3.7
the bounds of ``rtrl_theory.estimators._update_bounds.update_bounds`` hold, with A = |alpha|_1:
|G~| <= (A + C_y) max(1, K_max A) ((3.62), Lemma 3.13) and
|H| <= max(1, K_max (2A + C_y), max_ab K_a K_b A^2 + (A + C_y) A K_ab) (Lemma 3.14): degree 2 in
|alpha|, uniform in (W, B) (G~ and H depend on theta only through alpha once z is given).

Method. For alpha = k alpha_0 (alpha_0 the configuration's readout, entries of one sign, so the
bound is the exact sup and must be attained) with k in {0.01, 1, 10, 100}, and one mixed-sign
alpha, an adversarial search (random vertices + coordinate ascent; each objective is convex in
each coordinate, so the sup is at a vertex) evaluates the library's own update_direction and
hessian. Pass: every measured sup <= bound (1 + 1e-9) (a proven inequality; the margin is float
round-off), and states reachable from the point law (particles run 60 steps) below the bound
too. Tightness (sup/bound) is reported; for one-sign alpha it must be 1 up to round-off, which
is what lets the mutants below be caught. No Monte Carlo error: false-failure rate 0 of 20
seeds (the seed only moves the search's starting vertices; measured with seeds 0-19).

Mutants. ``alpha-degree-lowered``: the bounds with one power of |alpha| dropped (divided by
max(1, A)); the sup at k = 100 exceeds it. ``C_y-dropped``: the target bound left out of r*;
at k = 0.01 the sup (about C_y) exceeds it.
"""

from __future__ import annotations

import contextlib
from unittest import mock

import numpy as np

from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.estimators import _update_bounds as ub
from rtrl_theory.runners import JointProcess

from ._limits_common import model_and_process, target_constants, with_alpha

ID = "lemma-3.13"
STATEMENT = (
    "Lemmas 3.13-3.14, (3.62): |G~| and |H| are bounded on the a-priori box by polynomials of "
    "degree 2 in |alpha|, uniformly in (W, B)"
)
SCALES = (0.01, 1.0, 10.0, 100.0)
ROUNDOFF = 1e-9


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    model, params, proc = model_and_process()
    theta = model.flatten(params)
    N = model.n_hidden
    C_y, L_t = target_constants(proc)
    a0 = np.abs(theta[:N])
    alphas = [(f"{k:g} alpha0", k * a0) for k in SCALES]
    alphas.append(("10 alpha0, mixed signs", 10 * a0 * np.array([1.0, -1.0, 1.0])))
    rows, problems = [], []
    for i, (name, alpha) in enumerate(alphas):
        th = with_alpha(theta, alpha)
        jp2 = JointProcess(model, th, proc, order=2)
        b = ub.update_bounds(model, alpha, C_x=proc.chain.C_x, C_y=C_y, L_target=L_t)
        starts, sweeps = (8, 1) if quick else (64, 3)
        sg = ub.box_supremum(
            jp2, "G", C_y=C_y, n_starts=starts, sweeps=2, rng=1300 + 10 * i + seed
        )
        sh = ub.box_supremum(
            jp2, "H", C_y=C_y, n_starts=starts // 2, sweeps=sweeps, rng=1301 + 10 * i + seed
        )
        jp1 = JointProcess(model, th, proc, order=1)
        z = jp1.run(jp1.initial(200 if quick else 1000, rng=1302 + seed), 60, rng=1303 + seed)
        reach = float(np.abs(jp1.update_direction(z)).max())
        rows.append((name, b.alpha_l1, b.G, sg, reach, b.H, sh))
        for what, val, bound in (("G~", sg, b.G), ("G~ reachable", reach, b.G), ("H", sh, b.H)):
            if val > bound * (1 + ROUNDOFF):
                problems.append(f"{what} at {name}: sup {val:.4g} > bound {bound:.4g}")
    measured = "; ".join(
        f"{n} (A={A:.3g}): |G~| {sg:.4g}/{bG:.4g} (reach {re:.3g}), |H| {sh:.4g}/{bH:.4g}"
        for n, A, bG, sg, re, bH, sh in rows
    )
    return CheckResult(
        ID,
        STATEMENT,
        claimed="sup_box |G~| <= (A + C_y) max(1, K A), sup_box |H| <= degree-2 bound in A",
        measured=measured,
        method="adversarial vertex search (coordinate ascent) through update_direction/hessian",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
            "rows": [
                dict(zip(("alpha", "A", "G_bound", "G_sup", "G_reach", "H_bound", "H_sup"), r, strict=True))
                for r in rows
            ]
        },
    )


def _degree_lowered():
    orig = ub.update_bounds

    def lowered(model, alpha, **kw):
        b = orig(model, alpha, **kw)
        c = max(1.0, b.alpha_l1)
        return ub.UpdateBounds(b.alpha_l1, b.r_max, b.G / c, b.H / c, b.L_loss / c, b.L_G / c)

    return mock.patch.object(ub, "update_bounds", lowered)


def _cy_dropped():
    orig = ub.update_bounds

    def dropped(model, alpha, *, C_x, C_y, L_target=0.0):
        return orig(model, alpha, C_x=C_x, C_y=1e-12, L_target=L_target)

    return mock.patch.object(ub, "update_bounds", dropped)


MUTANTS = (
    Mutant(
        "alpha-degree-lowered",
        "update_bounds with one power of |alpha| dropped (degree 1 instead of 2)",
        _degree_lowered,
    ),
    Mutant(
        "C_y-dropped",
        "update_bounds without the target bound C_y in r* = A + C_y",
        _cy_dropped,
    ),
)
del contextlib
