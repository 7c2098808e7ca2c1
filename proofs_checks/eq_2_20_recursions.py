"""(2.20)-(2.23) of [P1]: the forward-sensitivity recursions give the exact gradient of L_T.

Statement. With J_{t+1} = D_t (f(B) J_t + M_t) (2.20)-(2.21) and
grad L_T = (1/T) sum_t (Yhat_t - Y_t)(S_{t+1}; J^W^T alpha; J^B^T alpha) (2.22)-(2.23), the
forward (RTRL) gradient equals the derivative of L_T.

Method. Three independent routes on random models (both bounded maps): the forward recursion
(the NumPy reference engine and, when numba is installed, the compiled kernel), a hand-written
reverse pass (BPTT) and central finite differences of a plain forward pass that uses no
derivative code. Tolerances: RTRL vs BPTT 1e-10 (same quantity in exact arithmetic, the
difference is float64 rounding accumulated over at most ~100 contracting steps, ~1e-15 each);
RTRL vs finite differences 1e-6 (h = 1e-5: truncation ~h^2 |L'''| ~ 1e-10, rounding ~1e-16/h).
"""

from __future__ import annotations

import numpy as np

from rtrl_theory import finite_difference_grad, loss_and_grad
from rtrl_theory.checks import CheckResult
from rtrl_theory.engine import numba_available

from ._common import random_problem, rel_err, sizes

ID = "eq-2.20"
STATEMENT = "RTRL recursions (2.20)-(2.21) give the exact gradient (2.22)-(2.23) of L_T"
TOL_BPTT = 1e-10
TOL_FD = 1e-6


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
                worst_bptt = max(worst_bptt, rel_err(g.flat(), g_bptt.flat()))
                worst_fd = max(worst_fd, rel_err(g.flat(), g_fd))
            n += 1
    ok = worst_bptt <= TOL_BPTT and worst_fd <= TOL_FD
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"RTRL = BPTT (rel <= {TOL_BPTT:g}) = finite differences (rel <= {TOL_FD:g})",
        measured=f"max rel err vs BPTT {worst_bptt:.1e}, vs FD {worst_fd:.1e} "
        f"({n} models; RTRL backends: {', '.join(backends)})",
        method="forward vs reverse accumulation vs central differences of a plain forward pass",
        status="pass" if ok else "fail",
        reason=""
        if ok
        else "RTRL gradient differs from BPTT or finite differences beyond tolerance",
        details={
            "max_rel_err_bptt": worst_bptt,
            "max_rel_err_fd": worst_fd,
            "n_models": n,
            "backends": list(backends),
        },
    )
