"""Note (THEORY.md section 9, item 1): the one-step map is NOT small-Lipschitz in the input x.

[P1]'s Remark 2.7 says only f (on B) needs to be small, g only bounded. But a joint max-norm
Lipschitz constant of (x, y) -> y' includes the x-part: S' = sigma(f(B) S + g(W) x) gives
|dS'/dx|_{inf->inf} = max_k sigma'(z_k) sum_j |g(W_kj)| <= d C_g / 4, which does not shrink with
f. So rho < 1 (in y) does not make the joint map contract in x; the data contraction lam must
carry it (the max(lam, rho) form of Proposition 3.1 needs the a.s. coupling, see note-9.2).

Demonstration. With f tiny (c_f = 1e-3, so rho ~ 1e-3) and g = tanh, the x-Jacobian row sums of
S' are measured at saturating weights and z near 0: the largest must reach at least 95% of
d C_g / 4 (and not exceed it). Status "note" when reproduced, "fail" if the measurement
contradicts the claim of this note.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory import PaperRNN
from rtrl_theory.bounds import contraction_constants
from rtrl_theory.checks import CheckResult

ID = "note-9.1"
STATEMENT = "The one-step map's Lipschitz constant in x is ~ d C_g / 4, not small with f"


def _x_lipschitz(model, params, S, X, h=1e-6):
    cell = model.cell
    prep = cell.prepare(model.split(params.flat())[1])
    d = model.n_input
    rows = np.zeros((S.shape[0], model.n_hidden))
    for j in range(d):
        e = np.zeros(d)
        e[j] = h
        rows += np.abs(cell.step(prep, S, X + e) - cell.step(prep, S, X - e)) / (2 * h)
    return float(rows.max())


def check(quick: bool = True) -> CheckResult:
    rng = np.random.default_rng(91)
    d, c_g = 3, 1.0
    model = PaperRNN(4, d, c_f=1e-3, c_g=c_g)
    rho = contraction_constants(model, 1.0).rho
    claim = d * c_g / 4
    best = 0.0
    for _ in range(20 if quick else 200):
        p = model.init_params(rng, scale=20.0)  # saturate g: |g(W)| ~ c_g
        S = rng.uniform(0, 1, (64, 4))
        X = rng.uniform(-1e-3, 1e-3, (64, d))  # z ~ 0, sigma' ~ 1/4
        best = max(best, _x_lipschitz(model, p, S, X))
    ok = 0.95 * claim <= best <= claim * (1 + 1e-6)
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"x-Lipschitz constant of S' ~ d C_g/4 = {claim:g} even when rho is tiny",
        measured=f"measured {best:.4f} (= {best / claim:.3f} of d C_g/4) with rho = {rho:.2e}",
        method="central differences in x at saturating W, z ~ 0 (demonstration of an ambiguity)",
        status="note" if ok else "fail",
        reason="" if ok else "the measurement does not reproduce the x-Lipschitz constant",
        details={"measured": best, "d_Cg_over_4": claim, "rho": rho},
    )
