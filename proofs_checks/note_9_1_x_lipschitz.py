"""Note (THEORY.md section 9, item 1): the one-step map is NOT small-Lipschitz in the input x, so
the constant C = 1 in (4.4)-(4.6) of [P1] is false: refuted.

[P1]'s Remark 2.7 says only f (on B) needs to be small, g only bounded. But a joint max-norm
Lipschitz constant of (x, y) -> y' includes the x-part: S' = sigma(f(B) S + g(W) x) gives
|dS'/dx|_{inf->inf} = max_k sigma'(z_k) sum_j |g(W_kj)| <= d C_g / 4, which does not shrink with
f. So rho < 1 (in y) does not make the joint map contract in x.

What (4.4)-(4.6) claim. Lemma 4.2 bounds the Poisson solution by summing
|P^n G(z) - P^n G(z')| <= L_G C rho_bar^n |z - z'| (4.4)-(4.5) into |v| <= L_G C / (1 - rho_bar)
(4.6), with rho_bar = max(lam, rho) and a constant C that [P1] treats as 1 when the joint kernel
is a one-step rho_bar-contraction (Proposition 3.1). At n = 1 and C = 1 this reads
|P G(z) - P G(z')| <= L_G rho_bar |z - z'|.

Counterexample. G(z) = s_k (L_G = 1 in the max-norm). S' is a deterministic function of z, so
P G(z) = S'_k(z). Take z, z' with the same (s, J, H) and inputs differing by delta = 1e-3 in the
max-norm, along the sign pattern of row k of dS'/dx. With f tiny (c_f = 1e-3, rho ~ 1e-3),
g = tanh, d = 3, saturating W and the data chain of the project's configurations (lam = 0.5,
Example 2.4): |P G(z) - P G(z')| / delta ~ d C_g / 4 = 0.75 > rho_bar = 0.5. So C >= 1.5 here,
and in general C >= d C_g / (4 rho_bar), which grows with d and C_g and is not 1.

Checks. (a) The largest x-Jacobian row sum reaches at least 95% of d C_g / 4 and not more
(1 + 1e-6, central differences h = 1e-6 are accurate to ~1e-10); (b) the finite pair (delta =
1e-3) gives a ratio above rho_bar by more than 10% (its second-order error is ~delta * sup|S''|
< 1e-3). Status ``refuted`` when both hold, ``fail`` otherwise (the demonstration did not
reproduce).
"""

from __future__ import annotations

from unittest import mock

import numpy as np

from rtrl_theory import PaperRNN, bounds
from rtrl_theory.cells import ScaledTanh
from rtrl_theory.checks import CheckResult, Mutant

ID = "note-9.1"
STATEMENT = (
    "The one-step map's Lipschitz constant in x is ~ d C_g / 4, not small with f: C = 1 in "
    "(4.4)-(4.6) fails"
)
LAM = 0.5  # the data chain's contraction (Example 2.4 in the project's configurations)
DELTA = 1e-3


def _x_jacobian_rows(model, params, S, X, h=1e-6):
    """|dS'/dx| row sums and the sign pattern of the rows, (K, N) each, by central differences."""
    cell = model.cell
    prep = cell.prepare(model.split(model.flatten(params))[1])
    d = model.n_input
    K, N = S.shape
    jac = np.zeros((K, N, d))
    for j in range(d):
        e = np.zeros(d)
        e[j] = h
        jac[:, :, j] = (cell.step(prep, S, X + e) - cell.step(prep, S, X - e)) / (2 * h)
    return np.abs(jac).sum(axis=2), np.sign(jac), prep


def check(quick: bool = True) -> CheckResult:
    rng = np.random.default_rng(91)
    d, c_g = 3, 1.0
    model = PaperRNN(4, d, c_f=1e-3, c_g=c_g)
    rho = bounds.contraction_constants(model, 1.0).rho
    rho_bar = max(LAM, rho)
    claim = d * model.constants()["C_g"] / 4
    best, where = 0.0, None
    for _ in range(20 if quick else 200):
        p = model.init_params(rng, scale=20.0)  # saturate g: |g(W)| ~ c_g
        S = rng.uniform(0, 1, (64, 4))
        X = rng.uniform(-1e-3, 1e-3, (64, d))  # z ~ 0, sigma' ~ 1/4
        rows, signs, prep = _x_jacobian_rows(model, p, S, X)
        c, k = np.unravel_index(np.argmax(rows), rows.shape)
        if rows[c, k] > best:
            best, where = float(rows[c, k]), (prep, S[c : c + 1], X[c : c + 1], signs[c, k], k)
    prep, s, x, sign, k = where
    x2 = x + DELTA * sign[None, :]  # |x2 - x|_inf = delta, same (s, J, H)
    diff = abs(float(model.cell.step(prep, s, x2)[0, k] - model.cell.step(prep, s, x)[0, k]))
    ratio = diff / DELTA
    reproduced = 0.95 * claim <= best <= claim * (1 + 1e-6)
    refutes = ratio > 1.1 * rho_bar
    ok = reproduced and refutes
    problems = []
    if not reproduced:
        problems.append(f"x-Lipschitz constant {best:.4f} is not within [0.95, 1] x d C_g/4")
    if not refutes:
        problems.append(f"one-step ratio {ratio:.4f} does not exceed rho_bar = {rho_bar:.3g}")
    return CheckResult(
        ID,
        STATEMENT,
        claimed=(
            f"[P1] (4.4)-(4.6) with C = 1: |P G(z) - P G(z')| <= L_G rho_bar |z - z'|, "
            f"rho_bar = max(lam, rho) = {rho_bar:.3g}; Remark 2.7: g need only be bounded"
        ),
        measured=(
            f"G = s_k (L_G = 1), z, z' differing in x by {DELTA:g}: |P G(z) - P G(z')| / |z - z'| "
            f"= {ratio:.4f} > rho_bar = {rho_bar:.3g}, so C >= {ratio / rho_bar:.2f}; "
            f"x-Lipschitz constant {best:.4f} (= {best / claim:.3f} of d C_g/4 = {claim:g}) "
            f"with rho = {rho:.2e}"
        ),
        method="central differences in x at saturating W, z ~ 0, and one exact pair z, z'",
        status="refuted" if ok else "fail",
        reason="" if ok else "the counterexample did not reproduce: " + "; ".join(problems),
        details={
            "measured": best,
            "d_Cg_over_4": claim,
            "rho": rho,
            "lam": LAM,
            "rho_bar": rho_bar,
            "pair_ratio": ratio,
            "C_lower_bound": ratio / rho_bar,
        },
    )


def _g_quartered():
    """ScaledTanh.value (f and g of the paper RNN) divided by 4: the input enters 4x weaker."""
    orig = ScaledTanh.value
    return mock.patch.object(ScaledTanh, "value", lambda self, x: 0.25 * orig(self, x))


def _rho_inflated():
    """bounds.contraction_constants with rho_S = 0.9: then rho_bar = 0.9 > d C_g / 4 = 0.75."""
    orig = bounds.contraction_constants

    def wrong(model, C_x):
        c = orig(model, C_x).to_dict()
        c.pop("rho")
        c["rho_S"] = 0.9
        return bounds.ContractionConstants(**c)

    return mock.patch.object(bounds, "contraction_constants", wrong)


MUTANTS = (
    Mutant(
        "input-map-quartered",
        "the bounded maps' values divided by 4 (g(W) x enters 4x weaker, its constant C_g "
        "unchanged): the x-Lipschitz constant drops to ~d C_g/16 = 0.19 < rho_bar, C = 1 holds",
        _g_quartered,
    ),
    Mutant(
        "rho-inflated",
        "the library's rho_S = 0.9: rho_bar = 0.9 exceeds the one-step ratio 0.75, so the pair "
        "no longer contradicts C = 1",
        _rho_inflated,
    ),
)
