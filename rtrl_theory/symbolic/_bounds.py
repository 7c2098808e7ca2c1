r"""Symbolic derivation of Appendix B of [P1] with SymPy.

Symbolic derivation of Appendix B, the a-priori radii (Lemmas 3.5, 3.7) and the contraction
constants (Assumption 2.10, Lemmas 3.8-3.9) of [P1], with SymPy.

Appendix B, (B.5)-(B.6): the linear recurrence :math:`a_{t+1} = c\,a_t + b` is solved by
``sympy.rsolve``; its closed form :math:`a_t = c^t a_0 + b(1 - c^t)/(1 - c)` (``c != 1``),
:math:`a_0 + b t` (``c = 1``) gives :math:`a_t \le \max(a_0, b/(1-c))` for :math:`0 \le c < 1`.

Lemmas 3.5 and 3.7: each derivative obeys :math:`a_{t+1} \le c\, a_t + b` with
:math:`c = \sup\sigma' \cdot N C_f = N C_f / 4` and a forcing term b read off the recursions
(2.20)-(2.21) and Section 2.4 (THEORY.md section 6):

=========  ==========================================================================
radius     forcing term b (with zero initial derivatives, so a_0 = 0)
=========  ==========================================================================
K_W        :math:`\sup\sigma'\, C_g' C_x`      (immediate term :math:`g'(W)X`)
K_B        :math:`\sup\sigma'\, C_f'`          (:math:`f'(B)S`, :math:`0 < S < 1`)
K_ab       :math:`\sup|\sigma''|\,(4K_a)(4K_b) + \sup\sigma'\,\bar R_{ab}`, with
           :math:`|\partial z/\partial W| \le 4K_W`, :math:`|\partial z/\partial B| \le 4K_B`,
           :math:`\bar R_{WW} = C_g'' C_x`, :math:`\bar R_{WB} = C_f' K_W`,
           :math:`\bar R_{BB} = C_f'' + 2 C_f' K_B`
=========  ==========================================================================

so each radius is the fixed point :math:`b/(1-c)` of (B.5). The sigmoid constants
:math:`\sup\sigma' = 1/4`, :math:`\sup|\sigma''| = \sqrt3/18` are Lemma 2.9's.

The contraction constants are THEORY.md section 6's expressions (a valid form; [P1]'s exact
algebra is not recoverable), written here as SymPy expressions in the symbols below.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp
from scipy.optimize import brentq

__all__ = [
    "SYMBOLS",
    "SymbolicBounds",
    "solve_linear_recurrence",
    "b5_bound_holds",
    "symbolic_bounds",
    "rho_threshold_tanh",
]

#: The symbols of the constants: N (hidden units), d (inputs), sup-norms of f, g and their
#: derivatives (C_f1 = C_f', C_f2 = C_f''), the input bound C_x, and the two sigmoid constants.
SYMBOLS = {
    name: sp.Symbol(name, positive=True)
    for name in ("N", "d", "C_f", "C_f1", "C_f2", "C_g", "C_g1", "C_g2", "C_x")
}
SIGMA1 = sp.Rational(1, 4)  # sup sigma'   (Lemma 2.9)
SIGMA2 = sp.sqrt(3) / 18  # sup |sigma''| (Lemma 2.9)


def solve_linear_recurrence(c=None, b=None, a0=None):
    r"""Solve :math:`a_{t+1} = c\,a_t + b`, :math:`a_0` given, in closed form by ``sympy.rsolve``.

    Returns ``(t, expr)``; ``c``, ``b``, ``a0`` default to fresh symbols. With ``c = 1``
    rsolve gives :math:`a_0 + b t` (B.6).
    """
    t = sp.Symbol("t", integer=True, nonnegative=True)
    c = sp.Symbol("c", nonnegative=True) if c is None else sp.sympify(c)
    b = sp.Symbol("b", nonnegative=True) if b is None else sp.sympify(b)
    a0 = sp.Symbol("a_0", nonnegative=True) if a0 is None else sp.sympify(a0)
    a = sp.Function("a")
    sol = sp.rsolve(a(t + 1) - c * a(t) - b, a(t), {a(0): a0})
    if sol is None:  # pragma: no cover - rsolve handles first-order linear recurrences
        raise RuntimeError("rsolve could not solve a_{t+1} = c a_t + b")
    return t, sp.simplify(sol)


def b5_bound_holds() -> dict:
    r"""Prove (B.5): for :math:`0 \le c < 1`, :math:`a_t \le \max(a_0, b/(1-c))` for all t.

    With :math:`a^* = b/(1-c)`, the closed form is :math:`a_t = a^* + c^t (a_0 - a^*)`; as
    :math:`0 \le c^t \le 1`, :math:`a_t` lies between :math:`a_0` and :math:`a^*`. The function
    checks symbolically that ``closed - (a* + c^t (a0 - a*))`` simplifies to 0 and returns the
    pieces.
    """
    t, closed = solve_linear_recurrence()
    c, b, a0 = (
        sp.Symbol("c", nonnegative=True),
        sp.Symbol("b", nonnegative=True),
        sp.Symbol("a_0", nonnegative=True),
    )
    a_star = b / (1 - c)
    convex = a_star + c**t * (a0 - a_star)
    return {
        "closed_form": closed,
        "fixed_point": a_star,
        "convex_combination_identity": sp.simplify(closed - convex) == 0,
        "t": t,
    }


@dataclass(frozen=True)
class SymbolicBounds:
    r"""Radii and contraction constants as SymPy expressions in :data:`SYMBOLS`.

    Attributes
    ----------
    radii : dict of str to sympy.Expr
        K_W, K_B, K_WW, K_WB, K_BB of Lemmas 3.5 and 3.7 of [P1], the (B.5) fixed points
        :math:`b/(1-c)` of their recurrences.
    rho : dict of str to sympy.Expr
        rho_S, rho_W, rho_B, rho_WW, rho_WB, rho_BB, the constants of Assumption 2.10 (THEORY.md
        section 6).
    recurrences : dict of str to tuple
        Radius name -> ``(c, b)`` of its recurrence :math:`a_{t+1} \le c\, a_t + b` (Appendix B).
    x_lipschitz_S : sympy.Expr
        :math:`d\, C_g/4`, the Lipschitz constant of :math:`S'` in the input x (THEORY.md
        section 9 item 1).

    See Also
    --------
    symbolic_bounds : derives them.
    rtrl_theory.bounds.apriori_bounds : the same radii in floating point.
    """

    radii: dict  # K_W, K_B, K_WW, K_WB, K_BB
    rho: dict  # rho_S, rho_W, rho_B, rho_WW, rho_WB, rho_BB
    recurrences: dict  # name -> (c, b) of a_{t+1} <= c a_t + b
    x_lipschitz_S: sp.Expr  # d C_g / 4: Lipschitz constant of S' in x (THEORY.md section 9.1)

    def lambdified(self):
        """``{name: callable(N, d, C_f, C_f1, C_f2, C_g, C_g1, C_g2, C_x)}`` for every expression."""
        args = [SYMBOLS[k] for k in ("N", "d", "C_f", "C_f1", "C_f2", "C_g", "C_g1", "C_g2", "C_x")]
        out = {}
        for name, expr in {**self.radii, **self.rho}.items():
            out[name] = sp.lambdify(args, expr, "math")
        return out


@lru_cache(maxsize=1)
def symbolic_bounds() -> SymbolicBounds:
    r"""Derive the radii as (B.5) fixed points and build the contraction constants.

    Each radius is obtained from the closed form of its recurrence :math:`a_{t+1} = c a_t + b`
    (:func:`solve_linear_recurrence`, solved once with symbolic b and c, then the radius' b and c
    substituted) from :math:`a_0 = 0`, taking :math:`t\to\infty` (:math:`c^t \to 0` for
    :math:`0 < c < 1`).
    """
    s = SYMBOLS
    N, C_f, C_f1, C_f2 = s["N"], s["C_f"], s["C_f1"], s["C_f2"]
    C_g, C_g1, C_g2, C_x = s["C_g"], s["C_g1"], s["C_g2"], s["C_x"]
    c = SIGMA1 * N * C_f

    # Closed form from a_0 = 0 with c and b positive symbols, solved ONCE (rsolve and its
    # simplification dominate the cost; b and c do not depend on t, so the closed form holds for
    # every radius' b and c below, substituted afterwards), then t -> infinity: for 0 < c < 1
    # (that is N C_f < 4), c^t -> 0.
    cs = sp.Symbol("c_", positive=True)
    bs = sp.Symbol("b_", positive=True)
    t, closed = solve_linear_recurrence(c=cs, b=bs, a0=0)
    lim = closed.replace(lambda e: e.is_Pow and e.base == cs and e.exp.has(t), lambda e: 0)
    if lim.has(t):  # pragma: no cover - rsolve returns c**t
        raise RuntimeError(f"unexpected closed form {closed}")

    def fixed_point(b):
        # factor: keeps (N C_f - 4)^k whole, which evaluates stably near N C_f = 4.
        return sp.factor(sp.simplify(lim.subs({bs: b, cs: c}, simultaneous=True)))

    recurrences = {}
    b_W = SIGMA1 * C_g1 * C_x
    b_B = SIGMA1 * C_f1
    K_W = fixed_point(b_W)
    K_B = fixed_point(b_B)
    recurrences["K_W"] = (c, b_W)
    recurrences["K_B"] = (c, b_B)
    Rbar = {"K_WW": C_g2 * C_x, "K_WB": C_f1 * K_W, "K_BB": C_f2 + 2 * C_f1 * K_B}
    dz = {"W": 4 * K_W, "B": 4 * K_B}
    radii = {"K_W": K_W, "K_B": K_B}
    for name, (a, b_) in {"K_WW": ("W", "W"), "K_WB": ("W", "B"), "K_BB": ("B", "B")}.items():
        b = SIGMA2 * dz[a] * dz[b_] + SIGMA1 * Rbar[name]
        recurrences[name] = (c, b)
        radii[name] = fixed_point(b)

    NCf = N * C_f
    s3 = sp.sqrt(3)
    a = 2 * s3 / 9
    K_WW, K_WB, K_BB = radii["K_WW"], radii["K_WB"], radii["K_BB"]
    Q_WW = NCf * K_WW + C_g2 * C_x
    Q_WB = NCf * K_WB + C_f1 * K_W
    Q_BB = NCf * K_BB + C_f2 + 2 * C_f1 * K_B
    rho = {
        "rho_S": NCf / 4,
        "rho_W": a * NCf * K_W + NCf / 4,
        "rho_B": a * NCf * K_B + (NCf + C_f1) / 4,
        "rho_WW": 2 * NCf * K_W**2 + 2 * a * NCf * K_W + (s3 / 18) * NCf * Q_WW + NCf / 4,
        "rho_WB": 2 * NCf * K_W * K_B
        + a * (K_W * (NCf + C_f1) + K_B * NCf)
        + (s3 / 18) * NCf * Q_WB
        + (NCf + C_f1) / 4,
        "rho_BB": 2 * NCf * K_B**2
        + 2 * a * K_B * (NCf + C_f1)
        + (s3 / 18) * NCf * Q_BB
        + (NCf + C_f2 + 2 * C_f1) / 4,
    }
    return SymbolicBounds(radii, rho, recurrences, s["d"] * C_g / 4)


def rho_threshold_tanh(n_hidden, C_x=1, c_g=1):
    r"""Return the value of :math:`N\varepsilon` at which :math:`\rho = 1` for ``f = eps tanh``.

    With ``g = c_g tanh`` (THEORY.md section 6: about 1.12 for ``c_g = C_x = 1``).

    With c*tanh, :math:`C = C' = c` and :math:`C'' = c\,4\sqrt3/9`. Each component of
    :math:`\rho` (Assumption 2.10 of [P1]) is solved for 1 by Brent's method in
    :math:`N\varepsilon \in (0, 4)`; the smallest root is returned.

    Parameters
    ----------
    n_hidden : int
        N, the number of hidden units.
    C_x : float, default 1
        Bound on the inputs (Assumption 2.3(3)).
    c_g : float, default 1
        Scale of ``g = c_g tanh``.

    Returns
    -------
    threshold : float
        The value of :math:`N\varepsilon` at which :math:`\rho` reaches 1 (4.0 if no component
        reaches 1 below the end of the box's range).
    component : str
        The component of rho that reaches 1 first (e.g. ``"rho_BB"``).

    See Also
    --------
    symbolic_bounds : the expressions solved here.
    rtrl_theory.bounds.c_f_max : the same threshold for any bounded map, numerically.
    """
    sb = symbolic_bounds()
    s = SYMBOLS
    e = sp.Symbol("e", positive=True)  # e = N eps
    N = sp.Integer(n_hidden)
    k = 4 * sp.sqrt(3) / 9
    subs = {
        s["N"]: N,
        s["C_f"]: e / N,
        s["C_f1"]: e / N,
        s["C_f2"]: k * e / N,
        s["C_g"]: c_g,
        s["C_g1"]: c_g,
        s["C_g2"]: k * c_g,
        s["C_x"]: C_x,
    }
    best = None
    for name, expr in sb.rho.items():
        f = sp.lambdify(e, expr.subs(subs) - 1, "math")
        # Each rho component is increasing in e on (0, 4) and f(0+) < 0. Components carrying a
        # radius blow up as e -> 4 (factor 1/(4 - e)), so the root is bracketed; rho_S = e/4
        # stays below 1 on the whole interval (its "threshold" is the end point 4).
        hi = 4.0 - 1e-9  # (e / N) * N must stay below 4 in floating point
        root = brentq(f, 1e-12, hi, xtol=1e-14, rtol=1e-14) if f(hi) > 0 else 4.0
        if best is None or root < best[0]:
            best = (float(root), name)
    return best
