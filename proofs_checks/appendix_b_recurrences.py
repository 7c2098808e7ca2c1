"""Appendix B of [P1], (B.5)-(B.6): bounds for the linear recurrence inequality
a_{t+1} <= c a_t + b (a_t, b >= 0), used by Lemmas 3.5, 3.7 and the contraction arguments.

Statement. (B.5) for 0 <= c < 1: a_t <= c^t a_0 + b (1 - c^t)/(1 - c) <= max(a_0, b/(1 - c)).
(B.6) for c = 1: a_t <= a_0 + b t; for c > 1: a_t <= c^t a_0 + b (c^t - 1)/(c - 1).

Method. SymPy's rsolve solves the equality a_{t+1} = c a_t + b (symbolic c, and c = 1); the
solutions must equal the claimed closed forms (difference simplifies to 0), and the closed form
is rewritten as b/(1-c) + c^t (a_0 - b/(1-c)), a convex combination of a_0 and b/(1-c) for
0 <= c^t <= 1, which gives the max bound. Numerically, sequences obeying the inequality with
random slack never exceed the bound, and the equality attains it in the limit.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import sympy as sp

from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.symbolic import _bounds

ID = "appendix-b"
STATEMENT = "a_{t+1} <= c a_t + b implies the (B.5)/(B.6) bounds on a_t"

_t = sp.Symbol("t", integer=True, nonnegative=True)
_c, _b, _a0 = (sp.Symbol(n, nonnegative=True) for n in ("c", "b", "a_0"))
#: The closed forms stated in Appendix B (THEORY.md section 8).
CLAIMED = {
    "B.5": _c**_t * _a0 + _b * (1 - _c**_t) / (1 - _c),
    "B.6": _a0 + _b * _t,
}


def _numeric(rng, n_seq):
    worst = 0.0
    attained = 1.0
    for _ in range(n_seq):
        c, b, a0 = rng.uniform(0, 0.99), rng.uniform(0, 5), rng.uniform(0, 5)
        bound = max(a0, b / (1 - c))
        a = a0
        for _ in range(400):
            a = c * a + b - rng.uniform(0, b) * rng.integers(0, 2)  # slack or equality
            worst = max(worst, a / bound)
        a = 0.0
        for _ in range(4000):  # equality from 0: approaches b/(1-c)
            a = c * a + b
        if b > 0:
            attained = min(attained, a / (b / (1 - c)))
    return worst, attained


def check(quick: bool = True) -> CheckResult:
    t, closed = _bounds.solve_linear_recurrence()
    eq_b5 = sp.simplify(closed.subs(t, _t) - CLAIMED["B.5"]) == 0
    _, closed1 = _bounds.solve_linear_recurrence(c=1)
    eq_b6 = sp.simplify(closed1.subs(t, _t) - CLAIMED["B.6"]) == 0
    convex = _bounds.b5_bound_holds()["convex_combination_identity"]
    worst, attained = _numeric(np.random.default_rng(55), 50 if quick else 500)
    problems = []
    if not eq_b5:
        problems.append("rsolve's solution differs from the claimed (B.5) closed form")
    if not eq_b6:
        problems.append("rsolve's solution for c = 1 differs from the claimed (B.6) a_0 + b t")
    if not convex:
        problems.append("the closed form is not the convex combination a* + c^t (a_0 - a*)")
    if worst > 1.0 + 1e-12:  # float rounding of the recursion only
        problems.append(f"a sequence exceeded max(a_0, b/(1-c)) (ratio {worst:.6g})")
    if attained < 1.0 - 1e-9:  # c <= 0.99, 4000 steps: c^4000 < 1e-17
        problems.append(f"the equality does not approach b/(1-c) (ratio {attained:.6g})")
    return CheckResult(
        ID,
        STATEMENT,
        claimed="a_t = c^t a_0 + b(1-c^t)/(1-c) <= max(a_0, b/(1-c)); c = 1: a_0 + b t",
        measured=(
            f"rsolve = (B.5): {'yes' if eq_b5 else 'NO'}, = (B.6): {'yes' if eq_b6 else 'NO'}; "
            f"convex form: {'yes' if convex else 'NO'}; random sequences: max a_t/bound "
            f"{worst:.6f}, equality reaches {attained:.9f} of b/(1-c)"
        ),
        method="sympy.rsolve, simplify; iteration of random inequalities",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={"closed_form": str(closed), "max_ratio": worst, "attained": attained},
    )


def _solver(transform):
    """``rtrl_theory.symbolic._bounds.solve_linear_recurrence`` with its closed form transformed."""
    orig = _bounds.solve_linear_recurrence

    def wrong(c=None, b=None, a0=None):
        t, expr = orig(c, b, a0)
        return t, transform(t, c, expr)

    return mock.patch.object(_bounds, "solve_linear_recurrence", wrong)


def _wrong_denominator(t, c, expr):
    # The closed form's denominator (c - 1) replaced by (c + 1) (symbolic c only).
    if c is not None:
        return expr
    cs = sp.Symbol("c", nonnegative=True)
    return sp.simplify(expr * (cs - 1) / (cs + 1))


MUTANTS = (
    Mutant(
        "b5-wrong-denominator",
        "the library's solver returns (B.5)'s closed form with the denominator c - 1 replaced "
        "by c + 1 (a sign slip in the geometric sum)",
        lambda: _solver(_wrong_denominator),
    ),
    Mutant(
        "b6-off-by-one",
        "the library's solver returns a_0 + b (t + 1) for c = 1 (B.6): one step too many",
        lambda: _solver(lambda t, c, e: e + sp.Symbol("b", nonnegative=True) if c == 1 else e),
    ),
)
