"""(2.20)-(2.23) of [P1]: the forward-sensitivity recursions give the exact gradient of L_T.

Statement. With J_{t+1} = D_t (f(B) J_t + M_t) (2.20)-(2.21) and
grad L_T = (1/T) sum_t (Yhat_t - Y_t)(S_{t+1}; J^W^T alpha; J^B^T alpha) (2.22)-(2.23), the
forward (RTRL) gradient equals the derivative of L_T.

Method. Two parts; the check passes only if both pass.

1. Numeric: three independent routes on random models (both bounded maps): the forward
   recursion (the NumPy reference engine and, when numba is installed, the compiled kernel), a
   hand-written reverse pass (BPTT) and central finite differences of a plain forward pass that
   uses no derivative code. Tolerances: RTRL vs BPTT 1e-10 (same quantity in exact arithmetic,
   the difference is float64 rounding accumulated over at most ~100 contracting steps, ~1e-15
   each); RTRL vs finite differences 1e-6 (h = 1e-5: truncation ~h^2 |L'''| ~ 1e-10, rounding
   ~1e-16/h).
2. Symbolic (``rtrl_theory.symbolic._recursions``): SymPy unrolls (2.17) with *generic* smooth
   sigma, f, g (undefined functions). J_T from the recursion (2.20)-(2.21), written from the
   formula, and the gradient (2.22)-(2.23) built from the J_{t+1} equal SymPy's derivatives of
   S_T and L_T: the difference of every entry expands to zero. Quick: N = 2, d = 2, T = 3 by
   ``sp.expand``; full: also by the polynomial-ring normal form, and at N = 3, d = 3, T = 4. The
   induction step (S_t an undefined function of all parameters, one step) is proved the same
   way, so with J_0 = 0 the identity holds for every T. Then SymPy's derivatives with the
   concrete maps (logistic sigma; c tanh and c (2 sigma - 1)) are lambdified and compared at
   random points with the engine (``loss_and_grad``, NumPy and numba back ends; J from
   ``advance_first_order``). Tolerance 1e-12 relative: both sides compute the same float64
   quantities, the difference is rounding only (~1e-15 observed).
"""

from __future__ import annotations

import contextlib
from unittest import mock

import numpy as np

from rtrl_theory import finite_difference_grad, loss_and_grad
from rtrl_theory.cells import _maps
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.engine import _forward, numba_available
from rtrl_theory.symbolic import _recursions_numeric

from ._common import random_problem, rel_err, sizes

ID = "eq-2.20"
STATEMENT = "RTRL recursions (2.20)-(2.21) give the exact gradient (2.22)-(2.23) of L_T"
TOL_BPTT = 1e-10
TOL_FD = 1e-6
TOL_SYMBOLIC = 1e-12  # lambdified SymPy vs engine: the same float64 quantities, rounding only


def symbolic_part(quick: bool = True):
    """Symbolic proof of (2.20)-(2.23) and the lambdify cross-check (a RecursionVerification)."""
    rng = np.random.default_rng(20221)
    if quick:
        return _recursions_numeric.verify_recursions(
            [(2, 2, 3)], rng=rng, order=1, methods=("expand",), n_points=2, tol=TOL_SYMBOLIC
        )
    return _recursions_numeric.verify_recursions(
        [(2, 2, 3), (3, 3, 4)],
        rng=rng,
        order=1,
        methods=("expand", "poly"),
        n_points=5,
        tol=TOL_SYMBOLIC,
    )


def check(quick: bool = True) -> CheckResult:
    rng = np.random.default_rng(20220)
    backends = ("numpy", "numba") if numba_available() else ("numpy",)
    worst_bptt = worst_fd = 0.0
    n = 0
    for bounded_map in ("tanh", "sigmoid"):
        for N, d, T in sizes(quick):
            model, params, X, Y = random_problem(rng, N, d, T, bounded_map)
            _, g_bptt = loss_and_grad(model, params, X, Y, method="bptt")
            g_fd = finite_difference_grad(model, params, X, Y, h=1e-5)
            for backend in backends:
                _, g = loss_and_grad(model, params, X, Y, method="rtrl", backend=backend)
                worst_bptt = max(worst_bptt, rel_err(model.flatten(g), model.flatten(g_bptt)))
                worst_fd = max(worst_fd, rel_err(model.flatten(g), g_fd))
            n += 1
    ok_numeric = worst_bptt <= TOL_BPTT and worst_fd <= TOL_FD
    sym = symbolic_part(quick)
    ok = ok_numeric and sym.passed
    reasons = []
    if not ok_numeric:
        reasons.append("RTRL gradient differs from BPTT or finite differences beyond tolerance")
    reasons += sym.problems()
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"RTRL = BPTT (rel <= {TOL_BPTT:g}) = finite differences (rel <= {TOL_FD:g}); "
        f"recursion - SymPy derivative = 0; engine = lambdified SymPy (rel <= {sym.tol:g})",
        measured=f"max rel err vs BPTT {worst_bptt:.1e}, vs FD {worst_fd:.1e} "
        f"({n} models; RTRL backends: {', '.join(backends)}); symbolic: {sym.describe()}",
        method="forward vs reverse accumulation vs central differences of a plain forward pass; "
        "SymPy: (recursion - derivative) expands to 0 for generic sigma, f, g; lambdify vs engine",
        status="pass" if ok else "fail",
        reason="; ".join(reasons),
        details={
            "max_rel_err_bptt": worst_bptt,
            "max_rel_err_fd": worst_fd,
            "n_models": n,
            "backends": list(backends),
            "symbolic": sym.summary(),
        },
    )


def _scaled_first_derivative_off():
    """f' and g' of both bounded maps 0.1% too large: RTRL and BPTT use them alike, the plain
    forward pass of the finite differences does not."""
    stack = contextlib.ExitStack()
    for cls in (_maps.ScaledTanh, _maps.ScaledSigmoid):
        orig = cls.deriv

        def wrong(self, x, n=1, _orig=orig):
            out = _orig(self, x, n)
            return (1 + 1e-3) * out if n == 1 else out

        stack.enter_context(mock.patch.object(cls, "deriv", wrong))
    return stack


def _immediate_term_scaled():
    """The immediate term M_t of (2.20)-(2.21) written 0.1% too large (forward engine only)."""
    orig = _forward.add_row_local

    def wrong(Jt, term):
        orig(Jt, type(term)(term.offset, 1.001 * term.a, term.u, term.w))

    return mock.patch.object(_forward, "add_row_local", wrong)


def _memory_term_dropped():
    """J_{t+1} = D_t M_t: the memory term D_t f(B) J_t of (2.20) dropped (TBPTT(1)'s Jacobian)."""
    return mock.patch.object(_forward, "apply_state_jacobian", lambda sj, Jt: np.zeros_like(Jt))


MUTANTS = (
    Mutant(
        "map-derivative-off",
        "f', g' of ScaledTanh/ScaledSigmoid 0.1% too large: RTRL still equals BPTT, but no longer "
        "the derivative of L_T (finite differences of the plain forward pass)",
        _scaled_first_derivative_off,
    ),
    Mutant(
        "immediate-term-scaled",
        "the forward engine's immediate term M_t (add_row_local) 0.1% too large: the RTRL "
        "gradient differs from BPTT's and from finite differences",
        _immediate_term_scaled,
    ),
    Mutant(
        "memory-term-dropped",
        "the forward engine's memory term f(B) J_t (apply_state_jacobian) dropped from (2.20): "
        "J_t is the one-step Jacobian of TBPTT(1), not dS_t/dtheta",
        _memory_term_dropped,
    ),
)
