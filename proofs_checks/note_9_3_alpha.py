"""Note (THEORY.md section 9, item 3): alpha is unconstrained, yet bounds "uniform in theta" on
the update direction G~(theta, z) = (alpha . s - y)(s; J^W^T alpha; J^B^T alpha) grow with |alpha|:
refuted.

Only W and B pass through bounded maps; the readout alpha does not. On the a-priori box (|s| < 1,
|J| <= K) the sup of |G~| grows like |alpha|^2 (|alpha . s - y| ~ |alpha| times |J^T alpha| ~
|alpha|), so Corollary 3.17's bounds and the Poisson-equation constants (4.6) hold uniformly
only on bounded sets of alpha. Constraining alpha through a bounded map would restore uniformity.

Demonstration. sup |G~| over random box points for alpha = k * alpha_0, k in {1, 10, 100}: the
growth exponent log(sup_100 / sup_10) / log(10) must be about 2 (between 1.8 and 2.2: the sup
is a quadratic in k, a k^2 + b k + c, whose exponent over [10, 100] lies within 0.1 of 2 unless
the linear part dominates at k = 10). G~ is computed by the library's readout
(``SquaredErrorReadout.derivatives``: dl/dtheta_h = r s and dl/dS = r alpha, so
G~ = (r s; J^T r alpha)). Status ``refuted`` when reproduced (a bound uniform in theta cannot
hold when the sup over one box grows without limit in alpha), ``fail`` otherwise.
"""

from __future__ import annotations

from unittest import mock

import numpy as np

from rtrl_theory import PaperRNN
from rtrl_theory.bounds import apriori_bounds
from rtrl_theory.cells import SquaredErrorReadout
from rtrl_theory.checks import CheckResult, Mutant

ID = "note-9.3"
STATEMENT = "Bounds on the RTRL update are uniform in W, B but grow like |alpha|^2"


def _sup_update(alpha, s, J, y) -> float:
    """max |G~(theta, z)| over the sampled points z = (s, J, y), (3.63)-(3.64), through the
    library's readout derivatives."""
    hd = SquaredErrorReadout(len(alpha)).derivatives(alpha, s, y)
    G = np.concatenate([hd.dtheta, np.einsum("nkp,nk->np", J, hd.dS)], axis=1)
    return float(np.abs(G).max())


def check(quick: bool = True) -> CheckResult:
    rng = np.random.default_rng(93)
    N, d = 4, 2
    model = PaperRNN(N, d)
    b = apriori_bounds(model, 1.0)
    P = model.cell.n_params
    n = 2000 if quick else 20000
    s = rng.uniform(0, 1, (n, N))
    J = rng.uniform(-1, 1, (n, N, P)) * np.r_[np.full(N * d, b.K_W), np.full(P - N * d, b.K_B)]
    y = rng.uniform(-1, 1, n)
    alpha0 = rng.standard_normal(N)
    sups = {k: _sup_update(k * alpha0, s, J, y) for k in (1.0, 10.0, 100.0)}
    slope = float(np.log(sups[100.0] / sups[10.0]) / np.log(10.0))
    ok = 1.8 <= slope <= 2.2
    return CheckResult(
        ID,
        STATEMENT,
        claimed="[P1]: G~ and its Poisson solution are bounded uniformly in theta",
        measured=(
            f"sup |G~| on the box: {sups[1.0]:.3g}, {sups[10.0]:.3g}, {sups[100.0]:.3g} for "
            f"|alpha| x 1, 10, 100 (growth exponent {slope:.2f})"
        ),
        method="evaluation of G~ (3.63)-(3.64) over random points of the a-priori box",
        status="refuted" if ok else "fail",
        reason="" if ok else f"growth exponent {slope:.2f} is not about 2",
        details={"sups": {str(k): v for k, v in sups.items()}, "exponent": slope},
    )


def _readout(transform):
    """SquaredErrorReadout.derivatives evaluated at alpha = transform(alpha) (a bounded readout)."""
    orig = SquaredErrorReadout.derivatives

    def wrong(self, theta_h, S, y, *, order=1):
        return orig(self, transform(theta_h), S, y, order=order)

    return mock.patch.object(SquaredErrorReadout, "derivatives", wrong)


def _residual_clipped():
    """The readout's residual clipped to [-1, 1] (a Huber-type loss): |G~| grows like |alpha|."""
    orig = SquaredErrorReadout.derivatives

    def wrong(self, theta_h, S, y, *, order=1):
        hd = orig(self, theta_h, S, y, order=order)
        r = S @ theta_h - y
        c = np.clip(r, -1, 1) / np.where(r == 0, 1, r)
        return type(hd)(hd.loss, hd.yhat, c[:, None] * hd.dS, c[:, None] * hd.dtheta)

    return mock.patch.object(SquaredErrorReadout, "derivatives", wrong)


MUTANTS = (
    Mutant(
        "alpha-through-tanh",
        "the readout uses tanh(alpha) (alpha constrained through a bounded map, THEORY.md 9.3's "
        "remedy): sup |G~| saturates in |alpha| and [P1]'s uniform bound holds",
        lambda: _readout(np.tanh),
    ),
    Mutant(
        "residual-clipped",
        "the readout's residual clipped to [-1, 1]: sup |G~| grows like |alpha|, exponent 1",
        _residual_clipped,
    ),
)
