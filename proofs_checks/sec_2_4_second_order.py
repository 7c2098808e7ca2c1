"""Section 2.4 and (3.56)-(3.57) of [P1]: second-order forward derivatives give the Hessian of L_T.

Statement. The second-order recursion H^k_{t+1} = sigma''(z^k) a^k a^k^T +
sigma'(z^k)(sum_l f(B^{kl}) H^l_t + R^k_t) (THEORY.md section 5), combined as in (3.56)-(3.57),
gives the Hessian of L_T, a symmetric matrix.

Method. Two parts; the check passes only if both pass.

1. Numeric: central finite differences (h = 1e-4) of the BPTT gradient, which shares no code
   with the second-order recursion. Tolerance 1e-6 relative: truncation ~h^2 |L''''| ~ 1e-8,
   rounding ~1e-16/h ~ 1e-12. Symmetry to 1e-12 relative (each H^k slice is symmetric in exact
   arithmetic).
2. Symbolic (``rtrl_theory.symbolic._recursions``): SymPy unrolls (2.17) with *generic* smooth
   sigma, f, g. Every H^k_T from the recursion of Section 2.4 (with R^k's diagonal g''(W) X,
   f''(B) S terms and cross terms f'(B^{kj}) dS^j/dtheta, written from the formula), the J_T of
   (2.20)-(2.21), and the gradient (2.22)-(2.23) and Hessian (3.56)-(3.57) of L_T built from
   them equal SymPy's derivatives: the difference of every entry (all P_c x P_c entries of every
   H^k_T and all P x P of the Hessian, no symmetry assumed) is the zero polynomial once every
   map application is an indeterminate (quick: N = 2, d = 2, T = 2; full: T = 3 also by
   ``sp.expand``, and T = 4). The induction step (S_t an undefined function of all parameters,
   one step) is proved the same way, so with J_0 = H_0 = 0 the identities hold for every T.
   Then SymPy's derivatives with the concrete maps (logistic sigma; c tanh and
   c (2 sigma - 1)) are lambdified and compared at random points with the engine
   (``loss_grad_hessian``; J, H from ``advance_second_order``; gradients of ``loss_and_grad``).
   Tolerance 1e-12 relative: both sides compute the same float64 quantities, rounding only
   (~1e-15 observed).
"""

from __future__ import annotations

import dataclasses
from unittest import mock

import numpy as np

from rtrl_theory import finite_difference_hessian, loss_grad_hessian
from rtrl_theory.cells import PreactivationCell, _maps
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.symbolic import _recursions, _recursions_numeric

from ._common import random_problem, rel_err, sizes

ID = "sec-2.4"
STATEMENT = "Second-order forward recursion (Section 2.4) gives the Hessian (3.56)-(3.57) of L_T"
TOL_FD = 1e-6
TOL_SYM = 1e-12
TOL_SYMBOLIC = 1e-12  # lambdified SymPy vs engine: the same float64 quantities, rounding only


def symbolic_part(quick: bool = True):
    """Symbolic proof of Section 2.4 and (3.56)-(3.57), and the lambdify cross-check."""
    rng = np.random.default_rng(20241)
    if quick:
        return _recursions_numeric.verify_recursions(
            [(2, 2, 2)], rng=rng, order=2, methods=("poly",), n_points=2, tol=TOL_SYMBOLIC
        )
    full = _recursions_numeric.verify_recursions(
        [(2, 2, 3), (2, 2, 4)], rng=rng, order=2, methods=("poly",), n_points=5, tol=TOL_SYMBOLIC
    )
    # The same proof by SymPy's own expand at N = 2, d = 2, T = 3 (slower, ~8 s + ~5 s).
    proofs = full.proofs + (
        _recursions.prove_recursions(2, 2, 3, order=2, method="expand"),
        _recursions.prove_recursions(2, 2, 1, order=2, initial_state="generic", method="expand"),
    )
    return _recursions_numeric.RecursionVerification(2, proofs, full.cross_checks, full.tol)


def check(quick: bool = True) -> CheckResult:
    rng = np.random.default_rng(20240)
    worst_fd = worst_sym = 0.0
    n = 0
    for bounded_map in ("tanh", "sigmoid"):
        for N, d, T in sizes(quick)[: 2 if quick else None]:
            model, params, X, Y = random_problem(rng, N, d, T, bounded_map)
            _, _, hess = loss_grad_hessian(model, params, X, Y)
            hess_fd = finite_difference_hessian(model, params, X, Y, h=1e-4, method="bptt")
            worst_fd = max(worst_fd, rel_err(hess, hess_fd))
            worst_sym = max(worst_sym, rel_err(hess, hess.T))
            n += 1
    ok_numeric = worst_fd <= TOL_FD and worst_sym <= TOL_SYM
    sym = symbolic_part(quick)
    ok = ok_numeric and sym.passed
    reasons = []
    if not ok_numeric:
        reasons.append("Hessian differs from finite differences or is not symmetric")
    reasons += sym.problems()
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"Hessian = FD of gradient (rel <= {TOL_FD:g}), symmetric (<= {TOL_SYM:g}); "
        f"recursion - SymPy derivative = 0; engine = lambdified SymPy (rel <= {sym.tol:g})",
        measured=f"max rel err vs FD {worst_fd:.1e}, asymmetry {worst_sym:.1e} ({n} models); "
        f"symbolic: {sym.describe()}",
        method="second-order forward recursion vs central differences of the BPTT gradient; "
        "SymPy: (recursion - derivative) expands to 0 for generic sigma, f, g; lambdify vs engine",
        status="pass" if ok else "fail",
        reason="; ".join(reasons),
        details={
            "max_rel_err_fd": worst_fd,
            "max_asymmetry": worst_sym,
            "n_models": n,
            "symbolic": sym.summary(),
        },
    )


def _tanh_second_derivative_off():
    """tanh'' 1% too large: only the second-order route (f'', g'' in R^k) uses it."""
    orig = _maps.Tanh.deriv

    def wrong(self, x, n=1):
        out = orig(self, x, n)
        return 1.01 * out if n == 2 else out

    return mock.patch.object(_maps.Tanh, "deriv", wrong)


def _pieces(**change):
    """PreactivationCell.second_order_pieces with some of its pieces replaced."""
    orig = PreactivationCell.second_order_pieces

    def wrong(self, prep, S, X):
        p = orig(self, prep, S, X)
        return dataclasses.replace(p, **{k: f(p) for k, f in change.items()})

    return mock.patch.object(PreactivationCell, "second_order_pieces", wrong)


MUTANTS = (
    Mutant(
        "tanh-second-derivative-off",
        "Tanh.deriv(x, 2) 1% too large: the f'' and g'' terms of R^k are wrong, the Hessian "
        "no longer equals finite differences of the (first-order) BPTT gradient",
        _tanh_second_derivative_off,
    ),
    Mutant(
        "diagonal-R-term-dropped",
        "the diagonal terms g''(W) X and f''(B) S of R^k dropped (G2 = 0 in the second-order "
        "pieces): the WW and BB diagonals of H lose a term",
        lambda: _pieces(G2=lambda p: np.zeros_like(p.G2)),
    ),
    Mutant(
        "sigma-second-derivative-dropped",
        "sigma''(z) a^k a^k^T dropped from the recursion (phi2 = 0)",
        lambda: _pieces(phi2=lambda p: np.zeros_like(p.phi2)),
    ),
)
