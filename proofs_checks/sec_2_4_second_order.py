"""Section 2.4 and (3.56)-(3.57) of [P1]: second-order forward derivatives give the Hessian of L_T.

Statement. The second-order recursion H^k_{t+1} = sigma''(z^k) a^k a^k^T +
sigma'(z^k)(sum_l f(B^{kl}) H^l_t + R^k_t) (THEORY.md section 5), combined as in (3.56)-(3.57),
gives the Hessian of L_T, a symmetric matrix.

Method. Central finite differences (h = 1e-4) of the BPTT gradient, which shares no code with the
second-order recursion. Tolerance 1e-6 relative: truncation ~h^2 |L''''| ~ 1e-8, rounding
~1e-16/h ~ 1e-12. Symmetry to 1e-12 relative (each H^k slice is symmetric in exact arithmetic).
"""

from __future__ import annotations

import numpy as np

from rtrl_theory import finite_difference_hessian, loss_grad_hessian
from rtrl_theory.checks import CheckResult

from ._common import random_problem, rel_err, sizes

ID = "sec-2.4"
STATEMENT = "Second-order forward recursion (Section 2.4) gives the Hessian (3.56)-(3.57) of L_T"
TOL_FD = 1e-6
TOL_SYM = 1e-12


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
    ok = worst_fd <= TOL_FD and worst_sym <= TOL_SYM
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"Hessian = FD of gradient (rel <= {TOL_FD:g}), symmetric (<= {TOL_SYM:g})",
        measured=f"max rel err vs FD {worst_fd:.1e}, asymmetry {worst_sym:.1e} ({n} models)",
        method="second-order forward recursion vs central differences of the BPTT gradient",
        status="pass" if ok else "fail",
        reason="" if ok else "Hessian differs from finite differences or is not symmetric",
        details={"max_rel_err_fd": worst_fd, "max_asymmetry": worst_sym, "n_models": n},
    )
