r"""Rigorous confirmation of polynomial suprema with interval arithmetic (Lemma 2.9 of [P1]).

Used by :mod:`rtrl_theory.symbolic._sigmoid`: a supremum derived exactly from critical points is
confirmed over a whole interval (u = sigma(x) covers (0, 1), t = tanh(x) covers (-1, 1)) by
mpmath interval evaluation on an adaptive subdivision, and shown to be attained at the argmax.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import sympy as sp
from mpmath import iv

from .._validate import positive_int


def _poly_validate(poly, var) -> sp.Poly:
    if not isinstance(var, sp.Symbol):
        raise TypeError(f"var: expected a sympy Symbol, got {var!r}")
    try:
        P = sp.Poly(poly, var)
    except sp.PolynomialError as exc:
        raise ValueError(f"poly: expected a polynomial in {var}, got {poly!r}") from exc
    if P.free_symbols - {var}:
        raise ValueError(
            f"poly: coefficients must be numbers, got symbols "
            f"{sorted(map(str, P.free_symbols - {var}))}"
        )
    return P


def _interval_validate(interval) -> tuple[sp.Expr, sp.Expr]:
    try:
        lo, hi = (sp.sympify(v) for v in interval)
    except (TypeError, ValueError, sp.SympifyError) as exc:
        raise ValueError(
            f"interval: expected a pair (lo, hi) of numbers, got {interval!r}"
        ) from exc
    if not (lo.is_real and hi.is_real and lo.is_finite and hi.is_finite):
        raise ValueError(f"interval: expected finite real endpoints, got {interval!r}")
    if not bool(lo < hi):
        raise ValueError(f"interval: expected lo < hi, got {interval!r}")
    return lo, hi


@dataclass(frozen=True)
class IntervalConfirmation:
    r"""Outcome of :func:`interval_confirm` (mpmath interval arithmetic).

    Attributes
    ----------
    confirmed : bool
        ``bounded and attained``: :math:`\sup - m \le \max |P| \le \sup + m` rigorously.
    bounded : bool
        Every box of the subdivision has :math:`|P(\text{box})| \subset [0, \sup + m]`.
    attained : bool
        At every witness (exact argmax or limit point) :math:`|P| \ge \sup - m` rigorously; True
        when no witness is given.
    n_boxes : int
        Number of boxes evaluated (initial pieces and all bisections).
    max_depth : int
        Deepest bisection level used.
    upper_bound : float
        Largest upper endpoint of :math:`|P|` over the accepted boxes (nearest float).
    margin : float
        The margin m (``rel_margin * sup``, or ``rel_margin`` when sup is 0).
    counterexample : float or None
        A point where :math:`|P| > \sup + m` was proved, if one was found.
    reason : str
        Why the confirmation failed (empty on success).
    """

    confirmed: bool
    bounded: bool
    attained: bool
    n_boxes: int
    max_depth: int
    upper_bound: float
    margin: float
    counterexample: float | None = None
    reason: str = ""


class _IvPrecision:
    """Set mpmath.iv's working precision for a block and restore it after (iv has no workdps)."""

    def __init__(self, dps: int):
        self.dps = dps

    def __enter__(self):
        self.saved = iv.prec
        iv.dps = self.dps

    def __exit__(self, *exc):
        iv.prec = self.saved
        return False


def _to_interval(expr: sp.Expr):
    """Return a rigorous mpmath interval enclosing the real number ``expr`` (a SymPy expression).

    Integers, rationals, sums, products, integer powers and square roots are evaluated in interval
    arithmetic; ``CRootOf`` through its rigorous rational isolation; anything else through SymPy's
    error-tracked ``evalf`` widened by 1e10 units of the working precision.
    """
    expr = sp.sympify(expr)
    if expr.is_Integer:
        return iv.mpf(int(expr))
    if expr.is_Rational:
        return iv.mpf(int(expr.p)) / int(expr.q)
    if expr.is_Add:
        acc = iv.mpf(0)
        for a in expr.args:
            acc = acc + _to_interval(a)
        return acc
    if expr.is_Mul:
        acc = iv.mpf(1)
        for a in expr.args:
            acc = acc * _to_interval(a)
        return acc
    if expr.is_Pow and expr.exp.is_Integer:
        return _to_interval(expr.base) ** int(expr.exp)
    if expr.is_Pow and expr.exp == sp.Rational(1, 2):
        return iv.sqrt(_to_interval(expr.base))
    if expr.is_Pow and expr.exp == sp.Rational(-1, 2):
        return 1 / iv.sqrt(_to_interval(expr.base))
    if isinstance(expr, sp.Abs):
        return abs(_to_interval(expr.args[0]))
    if isinstance(expr, sp.CRootOf):  # pragma: no cover - no radical form (degree >= 5)
        width = sp.Rational(1, 2) ** (iv.prec + 8)
        q = expr.eval_rational(dx=width, dy=width)
        return _to_interval(q - width) | _to_interval(q + width)
    digits = int(iv.dps) + 20  # pragma: no cover - other closed forms
    value = sp.N(expr, digits)  # pragma: no cover
    w = abs(value) * sp.Float(10, digits) ** (-(digits - 10)) + sp.Float(10) ** (-(digits - 10))
    return iv.mpf([str(value - w), str(value + w)])  # pragma: no cover


def _horner(coeffs, X):
    acc = coeffs[0]
    for a in coeffs[1:]:
        acc = acc * X + a
    return acc


def _abs_upper(Y):
    return max(abs(Y.a), abs(Y.b))


def _abs_lower(Y):
    if Y.a <= 0 <= Y.b:  # thin endpoints compare exactly
        return iv.mpf(0)
    return min(abs(Y.a), abs(Y.b))


def interval_confirm(
    poly,
    var: sp.Symbol,
    lo,
    hi,
    sup_value,
    n_pieces: int = 16,
    *,
    witnesses: Iterable = (),
    dps: int = 30,
    rel_margin: float = 1e-20,
    max_boxes: int = 200_000,
) -> IntervalConfirmation:
    r"""Confirm :math:`\max_{[lo, hi]} |P| = \sup` rigorously with mpmath interval arithmetic.

    Lemma 2.9 / Appendix A of [P1] take the supremum of :math:`|p_n(u)|` over :math:`u = \sigma(x)
    \in (0, 1)`, which covers the real line exactly; a bound over the closed range therefore bounds
    :math:`|\sigma^{(n)}|` on all of :math:`\mathbb{R}`. The range is cut into ``n_pieces`` equal
    boxes; on each box X the enclosure of P is the intersection of the natural (Horner) extension
    and the mean-value form

    .. math:: P(X) \subset P(m) + P'(X)\,(X - m), \qquad m = \operatorname{mid} X,

    whose overestimate is quadratic in the width near a critical point. A box is accepted when
    :math:`P(X) \subset [-\sup - m_\epsilon, \sup + m_\epsilon]`; otherwise it is bisected, unless
    :math:`|P(\operatorname{mid} X)| > \sup + m_\epsilon` is proved (a counterexample) or the box
    budget runs out (inconclusive). Rounding is outward throughout, so acceptance is a proof.

    Parameters
    ----------
    poly : sympy.Expr or sympy.Poly
        Polynomial in ``var`` with numeric coefficients.
    var : sympy.Symbol
    lo, hi : number or sympy.Expr
        The closed range, ``lo < hi`` (boxes cover an outward enclosure of it).
    sup_value : number or sympy.Expr
        The claimed supremum (exact SymPy expressions are enclosed rigorously).
    n_pieces : int
        Number of initial boxes.
    witnesses : iterable of sympy.Expr
        Points (exact argmax or endpoint limits) where :math:`|P|` should equal the supremum;
        each must lie in ``[lo, hi]`` and give :math:`|P| \ge \sup - m_\epsilon`.
    dps : int
        Decimal digits of the interval arithmetic.
    rel_margin : float
        The margin :math:`m_\epsilon` relative to ``sup_value`` (absolute when it is 0).
    max_boxes : int
        Budget of boxes; exhausting it makes the result inconclusive (``confirmed=False``).

    Returns
    -------
    IntervalConfirmation

    Examples
    --------
    >>> from rtrl_theory.symbolic._sigmoid import sigmoid_derivative_polynomials
    >>> p1 = sigmoid_derivative_polynomials(1)[1]
    >>> res = interval_confirm(p1, p1.gen, 0, 1, sp.Rational(1, 4), witnesses=[sp.Rational(1, 2)])
    >>> res.confirmed, res.n_boxes
    (True, 140)
    >>> interval_confirm(p1, p1.gen, 0, 1, sp.Rational(99, 400)).counterexample is not None
    True
    """
    P = _poly_validate(poly, var)
    lo, hi = _interval_validate((lo, hi))
    n_pieces = positive_int(n_pieces, "n_pieces")
    dps = positive_int(dps, "dps")
    max_boxes = positive_int(max_boxes, "max_boxes")
    if not (isinstance(rel_margin, (int, float)) and 0 < rel_margin < 1):
        raise ValueError(f"rel_margin: expected a number in (0, 1), got {rel_margin!r}")
    sup_value = sp.sympify(sup_value)
    if not (sup_value.is_real and sup_value.is_finite) or sup_value.is_negative:
        raise ValueError(f"sup_value: expected a finite non-negative number, got {sup_value!r}")
    witnesses = tuple(sp.sympify(w) for w in witnesses)

    with _IvPrecision(dps):
        coeffs = [_to_interval(a) for a in P.all_coeffs()]
        dcoeffs = [_to_interval(a) for a in P.diff(var).all_coeffs()]
        S = _to_interval(sup_value)
        margin = (S.b if S.b > 0 else iv.mpf(1)) * iv.mpf(rel_margin)
        bound = (S.b + margin).b  # thin upper endpoint: |P| <= bound is the claim
        floor = (S.a - margin).a  # thin lower endpoint: |P(witness)| >= floor shows attainment

        # 3a. upper bound over the closed range by adaptive bisection.
        L, H = _to_interval(lo).a, _to_interval(hi).b
        edges = [L] + [(L + (H - L) * i / n_pieces).mid for i in range(1, n_pieces)] + [H]
        stack = [(iv.mpf([a, b]), 0) for a, b in zip(edges[:-1], edges[1:], strict=True)]
        n_boxes, max_depth, upper, counterexample, reason = 0, 0, iv.mpf(0), None, ""
        while stack:
            X, depth = stack.pop()
            n_boxes += 1
            max_depth = max(max_depth, depth)
            m = X.mid
            Pm = _horner(coeffs, m)
            natural = _horner(coeffs, X)
            mean_value = Pm + _horner(dcoeffs, X) * (X - m)
            Y = iv.mpf([max(natural.a, mean_value.a), min(natural.b, mean_value.b)])
            if Y.b <= bound and Y.a >= -bound:
                upper = max(upper, _abs_upper(Y))
                continue
            if _abs_lower(Pm) > bound:
                counterexample = float(m)
                reason = (
                    f"|P({float(m)!r})| >= {float(_abs_lower(Pm))!r} exceeds the claimed "
                    f"supremum {float(S.mid)!r} (+ margin)"
                )
                break
            if n_boxes + len(stack) + 2 > max_boxes:
                reason = f"inconclusive: box budget max_boxes={max_boxes} exhausted"
                break
            stack.append((iv.mpf([X.a, m]), depth + 1))
            stack.append((iv.mpf([m, X.b]), depth + 1))
        bounded = not stack and counterexample is None and not reason

        # 3b. attainment at the exact witnesses.
        attained = True
        for w in witnesses:
            W = _to_interval(w)
            if not (W.a >= L and W.b <= H):
                raise ValueError(f"witnesses: point {w} lies outside [{lo}, {hi}]")
            if not _abs_lower(_horner(coeffs, W)) >= floor:
                attained = False
                reason = reason or (
                    f"|P| at the witness {w} is below the claimed supremum {float(S.mid)!r} "
                    "(- margin): the supremum is smaller than claimed"
                )
        return IntervalConfirmation(
            confirmed=bounded and attained,
            bounded=bounded,
            attained=attained,
            n_boxes=n_boxes,
            max_depth=max_depth,
            upper_bound=float(upper.b) if bounded else math.inf,
            margin=float(margin.b),
            counterexample=counterexample,
            reason=reason,
        )


# --- 4. the constants C, C', C'', C''' of the bounded maps and the whole derivation -----------
