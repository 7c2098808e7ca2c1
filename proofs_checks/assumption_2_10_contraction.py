"""Assumption 2.10 of [P1]: the contraction constant rho of the (S, J, H) update is below 1 when
the recurrent map f is small enough (Remark 2.7).

Statement. rho = max(rho_S, rho_W, rho_B, rho_WW, rho_WB, rho_BB) (THEORY.md section 6) is a
function of N C_f, C_f', C_f'', C_g', C_g'', C_x; every component tends to 0 as f is scaled down,
so rho < 1 for f small. For f = eps tanh, g = tanh, C_x = 1, THEORY.md says rho < 1 iff N eps is
below about 1.12.

Method. SymPy builds the six components from the (B.5)-derived radii; (1) the library's numeric
``contraction_constants`` must match them at random constants (relative 1e-12, rounding only);
(2) sympy.limit of every component as f = eps (c1 tanh-like constants) -> 0 must be 0; (3) the
threshold on N eps solving rho = 1 (brentq on the lambdified expression, rho increasing in eps) is
compared with the claim, for N = 1..6; (4) the assumptions checker must agree (c_f_max, and the
verdict on both sides of the threshold).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from rtrl_theory import PaperRNN
from rtrl_theory.bounds import check_assumptions, contraction_constants
from rtrl_theory.checks import CheckResult
from rtrl_theory.symbolic import SYMBOLS, rho_threshold_tanh, symbolic_bounds

ID = "assumption-2.10"
STATEMENT = "rho < 1 for small f; with f = eps tanh, g = tanh, C_x = 1: iff N eps < ~1.12"
#: THEORY.md section 6: "rho < 1 iff N eps is below about 1.12" (claimed to two decimals).
CLAIMED_THRESHOLD = 1.12
THRESHOLD_TOL = 0.01


def check(quick: bool = True) -> CheckResult:
    sb = symbolic_bounds()
    fns = sb.lambdified()
    rng = np.random.default_rng(210)
    num_err = 0.0
    for _ in range(10 if quick else 50):
        N = int(rng.integers(1, 12))
        model = PaperRNN(
            N,
            2,
            c_f=rng.uniform(0.01, 3.9) / N,
            c_g=rng.uniform(0.1, 3.0),
            bounded_map=str(rng.choice(["tanh", "sigmoid"])),
        )
        C_x = float(rng.uniform(0.1, 5.0))
        c = model.constants()
        args = (N, 2, c["C_f"], c["C_f1"], c["C_f2"], c["C_g"], c["C_g1"], c["C_g2"], C_x)
        num = contraction_constants(model, C_x).to_dict()
        for name in sb.rho:
            num_err = max(num_err, abs(fns[name](*args) - num[name]) / abs(num[name]))

    eps = sp.Symbol("eps", positive=True)
    s = SYMBOLS
    k = sp.Symbol("k", positive=True)  # C_f'' = k C_f for any scaled map
    small = {s["C_f"]: eps, s["C_f1"]: eps, s["C_f2"]: k * eps}
    limits = {n: sp.limit(e.subs(small), eps, 0) for n, e in sb.rho.items()}
    vanish = all(v == 0 for v in limits.values())

    thresholds = {N: rho_threshold_tanh(N) for N in range(1, 7 if quick else 11)}
    large_N = [t for N, (t, _) in thresholds.items() if N >= 3]
    t_large = max(large_N)
    threshold_ok = all(abs(t - CLAIMED_THRESHOLD) <= THRESHOLD_TOL for t in large_N)

    # The assumptions checker agrees with the derivation (N = 4).
    t4 = thresholds[4][0]
    below = check_assumptions(4, 2, c_f=0.99 * t4 / 4, c_g=1.0, lam=0.5)
    above = check_assumptions(4, 2, c_f=1.01 * t4 / 4, c_g=1.0, lam=0.5)
    checker_ok = (
        below.hypotheses_hold
        and not above.hypotheses_hold
        and abs(below.c_f_max * 4 - t4) <= 1e-9 * t4
    )
    problems = []
    if num_err > 1e-12:
        problems.append(f"numeric rho differs from the SymPy expressions ({num_err:.1e})")
    if not vanish:
        problems.append(f"some components do not vanish as f -> 0: {limits}")
    if not threshold_ok:
        problems.append(
            f"threshold on N eps for N >= 3 is {t_large:.4f}, not {CLAIMED_THRESHOLD} +- "
            f"{THRESHOLD_TOL}"
        )
    if not checker_ok:
        problems.append("the assumptions checker disagrees with the derived threshold")
    small_N = ", ".join(f"N={N}: {t:.3f} ({c})" for N, (t, c) in thresholds.items() if N < 3)
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"every rho component -> 0 as f -> 0; rho = 1 at N eps = {CLAIMED_THRESHOLD}",
        measured=(
            f"limits all 0: {'yes' if vanish else 'NO'}; threshold N eps = {t_large:.4f} for "
            f"N >= 3 (rho_WW binds); smaller for {small_N}, where C_f' = eps does not scale "
            f"with N; numeric vs SymPy {num_err:.1e}; assumptions checker agrees: "
            f"{'yes' if checker_ok else 'NO'}"
        ),
        method="SymPy expressions, sympy.limit, brentq on the lambdified rho, check_assumptions",
        status="pass" if not problems else "fail",
        reason="; ".join(problems),
        details={
            "thresholds": {str(N): {"N_eps": t, "binding": c} for N, (t, c) in thresholds.items()},
            "numeric_vs_symbolic": num_err,
            "limits": {n: str(v) for n, v in limits.items()},
            "c_f_max_N4": below.c_f_max,
        },
    )
