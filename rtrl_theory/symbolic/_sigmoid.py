r"""Suprema of the derivatives of sigmoid, tanh and the bounded maps; Lemma 2.9, Appendix A of [P1].

Lemma 2.9 of [P1] bounds the derivatives of the logistic sigmoid :math:`\sigma(x) = 1/(1+e^{-x})`
of (2.19): :math:`\sup|\sigma'| = 1/4`, :math:`\sup|\sigma''| = \sqrt{3}/18` and
:math:`\sup|\sigma'''| = 1/8`. Appendix A proves it through the polynomial-in-sigma representation

.. math::

    \sigma^{(n)}(x) = p_n(\sigma(x)), \qquad p_1(u) = u(1-u), \qquad
    p_{n+1}(u) = p_n'(u)\, u (1-u),

so that, because :math:`u = \sigma(x)` maps :math:`\mathbb{R}` onto :math:`(0, 1)`,
:math:`\sup_x |\sigma^{(n)}(x)| = \sup_{u \in (0,1)} |p_n(u)|`. The same holds for tanh with
:math:`t = \tanh(x) \in (-1, 1)`, :math:`q_1(t) = 1 - t^2`, :math:`q_{n+1}(t) = q_n'(t)(1 - t^2)`,
and, by the chain rule, for the bounded maps f, g of Assumption 2.10 offered by the project
(THEORY.md section 2): :math:`(c \tanh)^{(n)} = c\, q_n(t)` and
:math:`(c(2\sigma - 1))^{(n)} = 2c\, p_n(u)` for :math:`n \ge 1`.

This module derives these suprema instead of stating them:

1. :func:`derivative_polynomials` builds :math:`p_n` / :math:`q_n` and
   :func:`verify_derivative_polynomials` checks the representation against SymPy's own
   x-derivatives of the exponential formulas (an exact rational-function identity in
   :math:`E = e^x`).
2. :func:`derive_sup` finds the critical points exactly (radicals, or exact ``CRootOf`` algebraic
   numbers), compares the candidate values and the endpoint limits and returns the supremum as an
   exact SymPy expression together with its argmax points.
3. :func:`interval_confirm` confirms with mpmath interval arithmetic, by adaptive subdivision of the
   closed variable range, that :math:`|p_n| \le \sup + \text{margin}` everywhere, and that the
   value at the exact argmax equals the supremum to within the margin, so the supremum is neither
   exceeded nor smaller than claimed.
4. :func:`derive_activation_bounds` runs all of it for the sigmoid, tanh and both bounded maps and
   bundles the results in an :class:`ActivationBounds`.

Glossary: ``u`` is :math:`\sigma(x)`, ``t`` is :math:`\tanh(x)`, ``c`` (:data:`SCALE`) the scale of
a bounded map, ``n`` the derivative order (``n = 0`` is the map itself).

References
----------
[P1] S. Lam, J. Sirignano, K. Spiliopoulos, arXiv:2501.08040, Lemma 2.9 and Appendix A.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sympy as sp

from .._validate import positive_int
from ._intervals import IntervalConfirmation, _interval_validate, _poly_validate, interval_confirm

__all__ = [
    "MAP_KINDS",
    "SCALE",
    "ExactSup",
    "IntervalConfirmation",
    "DerivedBound",
    "ActivationBounds",
    "derivative_polynomials",
    "sigmoid_derivative_polynomials",
    "tanh_derivative_polynomials",
    "verify_derivative_polynomials",
    "derive_sup",
    "interval_confirm",
    "bounded_map_polynomials",
    "bounded_map_constants",
    "derive_activation_bounds",
]

# --- symbols (assumptions declared: x real; u in (0, 1) positive; t real; c > 0) -----------------
_X = sp.Symbol("x", real=True)
_E = sp.Symbol("E", positive=True)  # E = exp(x) > 0, used to turn x-derivatives into rational maps
_U = sp.Symbol("u", positive=True)  # u = sigma(x) in (0, 1)
_T = sp.Symbol("t", real=True)  # t = tanh(x) in (-1, 1)

#: The scale of the bounded maps ``c tanh`` and ``c (2 sigma - 1)``: ``Symbol("c", positive=True)``.
SCALE = sp.Symbol("c", positive=True)

#: The maps handled here: the activations and the two bounded maps of THEORY.md section 2.
MAP_KINDS = ("sigmoid", "tanh", "scaled_tanh", "scaled_sigmoid")

# Base activation of each map, and its variable's range (the image of the real line).
_BASE = {"sigmoid": "sigmoid", "tanh": "tanh", "scaled_tanh": "tanh", "scaled_sigmoid": "sigmoid"}
_VAR = {"sigmoid": _U, "tanh": _T}
_RANGE = {"sigmoid": (sp.Integer(0), sp.Integer(1)), "tanh": (sp.Integer(-1), sp.Integer(1))}


def _kind_validate(kind, allowed=MAP_KINDS) -> str:
    if kind not in allowed:
        raise ValueError(f"kind: expected one of {', '.join(allowed)}, got {kind!r}")
    return kind


# --- 1. the polynomial-in-sigma representation -------------------------------------------------


def derivative_polynomials(kind: str = "sigmoid", n_max: int = 4) -> tuple[sp.Poly, ...]:
    r"""Polynomials :math:`p_n` (sigmoid) or :math:`q_n` (tanh), n = 0..n_max; Appendix A of [P1].

    .. math::

        p_0 = u,\quad p_{n+1}(u) = p_n'(u)\,u(1-u); \qquad
        q_0 = t,\quad q_{n+1}(t) = q_n'(t)\,(1-t^2),

    so :math:`\sigma^{(n)}(x) = p_n(\sigma(x))` and :math:`\tanh^{(n)}(x) = q_n(\tanh(x))`
    (the chain rule with :math:`\sigma' = \sigma(1-\sigma)`, :math:`\tanh' = 1 - \tanh^2`).

    Parameters
    ----------
    kind : {"sigmoid", "tanh"}
    n_max : int
        Highest derivative order, at least 1.

    Returns
    -------
    polys : tuple of sympy.Poly, length n_max + 1
        ``polys[n]`` is the n-th polynomial, in ``u`` (positive symbol, the range is (0, 1)) for the
        sigmoid or ``t`` (real symbol, range (-1, 1)) for tanh; ``polys[0]`` is the map itself.

    Examples
    --------
    >>> p = derivative_polynomials("sigmoid", 2)
    >>> [sp.factor(q.as_expr()) for q in p]
    [u, -u*(u - 1), u*(u - 1)*(2*u - 1)]
    """
    kind = _kind_validate(kind, ("sigmoid", "tanh"))
    n_max = positive_int(n_max, "n_max")
    var = _VAR[kind]
    speed = sp.Poly(var * (1 - var) if kind == "sigmoid" else 1 - var**2, var)
    polys = [sp.Poly(var, var)]
    for _ in range(n_max):
        polys.append(polys[-1].diff(var) * speed)
    return tuple(polys)


def sigmoid_derivative_polynomials(n_max: int = 4) -> tuple[sp.Poly, ...]:
    r"""Polynomials :math:`p_0 = u, p_1 = u(1-u), \dots` with :math:`\sigma^{(n)} = p_n(\sigma)`.

    Appendix A of [P1]; see :func:`derivative_polynomials`.
    """
    return derivative_polynomials("sigmoid", n_max)


def tanh_derivative_polynomials(n_max: int = 4) -> tuple[sp.Poly, ...]:
    r"""Return the polynomials :math:`q_0 = t, q_1 = 1 - t^2, \dots` with :math:`\tanh^{(n)} = q_n(\tanh)`.

    The tanh analogue of Appendix A of [P1]; see :func:`derivative_polynomials`.
    """
    return derivative_polynomials("tanh", n_max)


def bounded_map_polynomials(kind: str = "scaled_tanh", n_max: int = 3) -> tuple[sp.Expr, ...]:
    r"""Return the derivatives of a bounded map as polynomials in ``t = tanh(x)`` or ``u = sigma(x)``.

    The bounded maps f, g of (2.17) and Assumption 2.10 of [P1], in the project's two forms
    (THEORY.md section 2), by the chain rule:

    .. math::

        (c \tanh)^{(n)}(x) = c\, q_n(t), \qquad
        c(2\sigma - 1) = c(2u - 1), \quad (c(2\sigma - 1))^{(n)}(x) = 2c\, p_n(u)\ (n \ge 1).

    Parameters
    ----------
    kind : {"scaled_tanh", "scaled_sigmoid", "tanh", "sigmoid"}
        The plain activations are accepted too (scale 1).
    n_max : int
        Highest derivative order, at least 1.

    Returns
    -------
    polys : tuple of sympy.Expr, length n_max + 1
        ``polys[n]`` is h^(n) as an expression in the map's variable and :data:`SCALE` ``c``.
    """
    kind = _kind_validate(kind)
    base = derivative_polynomials(_BASE[kind], n_max)
    var = _VAR[_BASE[kind]]
    if kind in ("sigmoid", "tanh"):
        return tuple(p.as_expr() for p in base)
    if kind == "scaled_tanh":
        return tuple(SCALE * p.as_expr() for p in base)
    return (SCALE * (2 * var - 1),) + tuple(2 * SCALE * p.as_expr() for p in base[1:])


def _x_formula(kind: str) -> sp.Expr:
    # The map written with exponentials only, so SymPy's x-derivative does not use the rules
    # sigma' = sigma (1 - sigma), tanh' = 1 - tanh^2 that the representation is built from.
    sig = 1 / (1 + sp.exp(-_X))
    th = (sp.exp(2 * _X) - 1) / (sp.exp(2 * _X) + 1)
    return {
        "sigmoid": sig,
        "tanh": th,
        "scaled_tanh": SCALE * th,
        "scaled_sigmoid": SCALE * (2 * sig - 1),
    }[kind]


def verify_derivative_polynomials(kind: str = "sigmoid", n_max: int = 4) -> tuple[bool, ...]:
    r"""Check symbolically that the map's n-th x-derivative equals its polynomial, n = 0..n_max.

    For each n the difference :math:`h^{(n)}(x) - P_n(v(x))`, with :math:`v = \sigma` or
    :math:`\tanh` written through exponentials and differentiated by SymPy, becomes a rational
    function of :math:`E = e^x > 0` after the substitution :math:`e^{x} \to E`; ``sympy.cancel``
    reduces it to 0 exactly when the representation of Appendix A of [P1] holds.

    Parameters
    ----------
    kind : {"sigmoid", "tanh", "scaled_tanh", "scaled_sigmoid"}
    n_max : int
        Highest order, at least 1.

    Returns
    -------
    ok : tuple of bool, length n_max + 1
        ``ok[n]`` is True when the identity holds exactly for order n.

    Examples
    --------
    >>> verify_derivative_polynomials("sigmoid", 2)
    (True, True, True)
    """
    kind = _kind_validate(kind)
    polys = bounded_map_polynomials(kind, n_max)
    h = _x_formula(kind)
    base = _BASE[kind]
    v_of_x = _x_formula(base)
    out = []
    deriv = h
    for n, poly in enumerate(polys):
        if n > 0:
            deriv = sp.diff(deriv, _X)
        diff = (deriv - poly.subs(_VAR[base], v_of_x)).subs(sp.exp(_X), _E)
        if diff.has(_X):  # pragma: no cover - the substitution left an x behind
            diff = sp.simplify(diff.rewrite(sp.exp).subs(sp.exp(_X), _E))
        out.append(sp.cancel(sp.together(diff)) == 0)
    return tuple(out)


# --- 2. exact suprema ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactSup:
    r"""The exact supremum of :math:`|P|` over an open interval (:func:`derive_sup`).

    Attributes
    ----------
    poly : sympy.Expr
        The polynomial P.
    var : sympy.Symbol
        Its variable.
    interval : tuple of sympy.Expr
        The open interval ``(lo, hi)``.
    critical_points : tuple of sympy.Expr
        Exact zeros of P' in ``(lo, hi)``, increasing.
    sup : sympy.Expr
        :math:`\sup_{(lo, hi)} |P|`, exact.
    sup_float : float
        ``sup`` as a float.
    argmax : tuple of sympy.Expr
        Interior points where :math:`|P| = \sup` (empty when the supremum is only a limit).
    limit_points : tuple of sympy.Expr
        Endpoints at which :math:`|P|` tends to the supremum.
    """

    poly: sp.Expr
    var: sp.Symbol
    interval: tuple
    critical_points: tuple
    sup: sp.Expr
    sup_float: float
    argmax: tuple
    limit_points: tuple

    @property
    def attained(self) -> bool:
        """True when the supremum is a maximum (reached at an interior point)."""
        return bool(self.argmax)

    @property
    def witnesses(self) -> tuple:
        """Points of the closed interval where :math:`|P|` equals the supremum (argmax and limit points)."""
        return self.argmax + self.limit_points


_EVAL_DIGITS = 60  # digits for comparing exact candidates numerically (SymPy evalf, error-tracked)
_TIE = sp.Float(10, _EVAL_DIGITS) ** (-40)  # closer than this at 60 digits: decide exactly


def _exactly_equal(a: sp.Expr, b: sp.Expr) -> bool:
    """Exact equality of two real algebraic numbers: simplify, then the minimal polynomial."""
    d = a - b
    if sp.simplify(d) == 0:
        return True
    if d.is_algebraic_expr() and not d.free_symbols:
        z = sp.Dummy("z")
        try:
            return sp.minimal_polynomial(d, z) == z
        except (NotImplementedError, ValueError):  # pragma: no cover - exotic input
            pass
    return False


def _sign_of_difference(a: sp.Expr, b: sp.Expr) -> int:
    """Sign of ``a - b``: numerically at 60 digits, exactly when the difference is below 1e-40."""
    d = sp.N(a - b, _EVAL_DIGITS)
    if abs(d) > _TIE:
        return 1 if d > 0 else -1
    return 0 if _exactly_equal(a, b) else (1 if d > 0 else -1)


def _nicer(value: sp.Expr) -> sp.Expr:
    """Return the simplest of ``value`` and ``sqrt(value**2)`` (equal, as ``value >= 0``)."""
    value = sp.radsimp(sp.expand(value))
    squared = sp.sqrt(sp.radsimp(sp.expand(value**2)))
    return squared if sp.count_ops(squared) < sp.count_ops(value) else value


def _real_roots(D: sp.Poly) -> list[sp.Expr]:
    """Exact real roots of D: radicals when SymPy finds all roots so, else ``CRootOf``."""
    exact = sp.real_roots(D)  # rationals, quadratic surds or CRootOf, with multiplicity
    radical = sp.roots(D)
    real_radical = {r: k for r, k in radical.items() if r.is_real is True}
    if sum(real_radical.values()) == len(exact):
        return list(real_radical)
    return list(dict.fromkeys(exact))  # pragma: no cover - no real radical form found


def derive_sup(poly, var: sp.Symbol, interval) -> ExactSup:
    r"""Exact :math:`\sup_{v \in (lo, hi)} |P(v)|` of a polynomial, as in Appendix A of [P1].

    The supremum of the continuous :math:`|P|` over the open interval is the largest of
    :math:`|P|` at the interior zeros of :math:`P'` and the endpoint limits :math:`|P(lo)|`,
    :math:`|P(hi)|`. The zeros are exact (``sympy.roots``: radicals; ``CRootOf`` when no radical
    form is found); the candidates are ranked at 60 significant digits and ties decided exactly
    (``simplify``, then the minimal polynomial of the difference).

    Parameters
    ----------
    poly : sympy.Expr or sympy.Poly
        A polynomial in ``var`` with numeric coefficients.
    var : sympy.Symbol
    interval : tuple of two numbers
        The open interval ``(lo, hi)``, finite, ``lo < hi``; for :math:`p_n` of the sigmoid it is
        (0, 1), for tanh's :math:`q_n` it is (-1, 1), the images of the real line.

    Returns
    -------
    ExactSup

    Examples
    --------
    >>> p2 = sigmoid_derivative_polynomials(2)[2]
    >>> r = derive_sup(p2, p2.gen, (0, 1))
    >>> r.sup, r.argmax
    (sqrt(3)/18, (1/2 - sqrt(3)/6, sqrt(3)/6 + 1/2))
    """
    P = _poly_validate(poly, var)
    lo, hi = _interval_validate(interval)
    D = P.diff(var)
    if D.is_zero:  # constant polynomial: every point is an argmax
        value = sp.Abs(P.as_expr())
        return ExactSup(P.as_expr(), var, (lo, hi), (), value, float(value), ((lo + hi) / 2,), ())

    def inside(r):
        return _sign_of_difference(r, lo) > 0 and _sign_of_difference(hi, r) > 0

    crit = sorted((r for r in _real_roots(D) if inside(r)), key=lambda r: sp.N(r, _EVAL_DIGITS))
    candidates = []  # (point, exact |P(point)|, is_interior)
    for point, interior in [(r, True) for r in crit] + [(lo, False), (hi, False)]:
        value = sp.expand(P.as_expr().subs(var, point))
        sign = sp.sign(sp.N(value, _EVAL_DIGITS))
        candidates.append((point, _nicer(sign * value) if sign else sp.Integer(0), interior))
    numeric = [sp.N(v, _EVAL_DIGITS) for _, v, _ in candidates]
    best = max(range(len(candidates)), key=lambda i: numeric[i])
    sup = candidates[best][1]
    # Ties within 1e-40 are decided exactly (the symmetric argmaxes of p_2, p_4 and q_n are ties).
    tol = _TIE * max(1, abs(numeric[best]))
    ties = [
        c
        for c, num in zip(candidates, numeric, strict=True)
        if abs(num - numeric[best]) <= tol and _exactly_equal(c[1], sup)
    ]
    argmax = tuple(p for p, _, interior in ties if interior)
    limits = tuple(p for p, _, interior in ties if not interior)
    return ExactSup(P.as_expr(), var, (lo, hi), tuple(crit), sup, float(sup), argmax, limits)


# --- 3. rigorous interval confirmation -------------------------------------------------------


def bounded_map_constants(kind: str = "scaled_tanh", n_max: int = 3) -> tuple[sp.Expr, ...]:
    r"""Derive the constants :math:`C^{(n)} = \sup_x |h^{(n)}(x)|`, n = 0..n_max, of a bounded map.

    For :math:`h = c \tanh` and :math:`h = c(2\sigma - 1)` (f, g of Assumption 2.10 of [P1],
    THEORY.md section 2) the polynomials of :func:`bounded_map_polynomials` are :math:`c` times a
    numeric polynomial, whose supremum :func:`derive_sup` finds; ``(C, C', C'', C''')`` are the
    first four entries.

    Parameters
    ----------
    kind : {"scaled_tanh", "scaled_sigmoid", "tanh", "sigmoid"}
    n_max : int
        Highest order, at least 1.

    Returns
    -------
    constants : tuple of sympy.Expr, length n_max + 1
        Exact expressions in :data:`SCALE` ``c`` (plain numbers for the activations).

    Examples
    --------
    >>> bounded_map_constants("scaled_sigmoid", 3)
    (c, c/2, sqrt(3)*c/9, c/4)
    """
    kind = _kind_validate(kind)
    base = _BASE[kind]
    scale = SCALE if kind.startswith("scaled") else sp.Integer(1)
    var = _VAR[base]
    return tuple(
        scale * derive_sup(sp.expand(h / scale), var, _RANGE[base]).sup
        for h in bounded_map_polynomials(kind, n_max)
    )


@dataclass(frozen=True)
class DerivedBound:
    r"""One derived supremum :math:`\sup_x |h^{(n)}(x)|` with its rigorous confirmation.

    Attributes
    ----------
    map : str
        One of :data:`MAP_KINDS`.
    order : int
        Derivative order n (0 is the map itself).
    poly : sympy.Expr
        :math:`h^{(n)}` as a polynomial in ``var`` (times ``c`` for the bounded maps).
    var : sympy.Symbol
        ``u = sigma(x)`` or ``t = tanh(x)``.
    sup : sympy.Expr
        The exact supremum (an expression in :data:`SCALE` for the bounded maps).
    sup_float : float
        The supremum per unit scale (``sup`` at ``c = 1``).
    argmax : tuple of sympy.Expr
        Values of ``var`` where it is attained (empty when only approached at an endpoint).
    limit_points : tuple of sympy.Expr
        Endpoints of the range where the supremum is approached.
    interval : IntervalConfirmation
        The interval-arithmetic confirmation of the per-unit-scale polynomial.
    """

    map: str
    order: int
    poly: sp.Expr
    var: sp.Symbol
    sup: sp.Expr
    sup_float: float
    argmax: tuple
    limit_points: tuple
    interval: IntervalConfirmation

    @property
    def attained(self) -> bool:
        """True when the supremum is a maximum."""
        return bool(self.argmax)

    @property
    def interval_confirmed(self) -> bool:
        """The interval verdict: bounded everywhere by the supremum and attained (within margin)."""
        return self.interval.confirmed

    @property
    def n_boxes(self) -> int:
        """Boxes used by the interval confirmation."""
        return self.interval.n_boxes

    def value(self, c: float = 1.0) -> float:
        """Return the supremum as a float at scale ``c`` (ignored by the plain activations)."""
        return float(self.sup.subs(SCALE, c))


@dataclass(frozen=True)
class ActivationBounds:
    """All suprema of Lemma 2.9 / Appendix A of [P1] and of the bounded maps, derived and confirmed.

    Attributes
    ----------
    entries : tuple of DerivedBound
        One per (map, order).
    representation_ok : dict
        ``{map: tuple of bool}``: :func:`verify_derivative_polynomials` per order.
    dps : int
        Decimal digits of the interval arithmetic.
    rel_margin : float
        Relative margin of the interval confirmation.
    """

    entries: tuple
    representation_ok: dict = field(default_factory=dict)
    dps: int = 30
    rel_margin: float = 1e-20

    def get(self, map: str, order: int) -> DerivedBound:
        """Return the entry for ``map`` and ``order`` (KeyError naming both if absent)."""
        for e in self.entries:
            if e.map == map and e.order == order:
                return e
        raise KeyError(f"no derived bound for map={map!r}, order={order!r}")

    def sups(self, map: str) -> tuple:
        """Exact suprema of ``map`` for orders 0, 1, ..."""
        return tuple(e.sup for e in sorted(self.entries, key=lambda e: e.order) if e.map == map)

    @property
    def all_confirmed(self) -> bool:
        """Every representation identity holds and every interval confirmation passed."""
        reps = all(all(v) for v in self.representation_ok.values())
        return reps and all(e.interval_confirmed for e in self.entries)

    @property
    def n_boxes_total(self) -> int:
        """Total number of interval boxes."""
        return sum(e.n_boxes for e in self.entries)


def derive_activation_bounds(
    n_max: int = 4,
    *,
    bounded_n_max: int = 3,
    n_pieces: int = 16,
    dps: int = 30,
    rel_margin: float = 1e-20,
    maps: Iterable[str] = MAP_KINDS,
) -> ActivationBounds:
    r"""Derive and confirm :math:`\sup|h^{(n)}|` for the sigmoid, tanh and the bounded maps.

    Lemma 2.9 and Appendix A of [P1] (orders 1..3, here up to ``n_max``) and the constants
    :math:`C, C', C'', C'''` of the bounded maps f, g (Assumption 2.10; THEORY.md section 2) up to
    ``bounded_n_max``. For each map and order: the representation identity
    (:func:`verify_derivative_polynomials`), the exact supremum (:func:`derive_sup`) and its
    interval confirmation (:func:`interval_confirm`, on the per-unit-scale polynomial, with the
    exact argmax or endpoint limits as witnesses).

    Parameters
    ----------
    n_max : int
        Highest order for the sigmoid and tanh, at least 1.
    bounded_n_max : int
        Highest order for the bounded maps, at least 1.
    n_pieces, dps, rel_margin
        Passed to :func:`interval_confirm`.
    maps : iterable of str
        Subset of :data:`MAP_KINDS`.

    Returns
    -------
    ActivationBounds
    """
    n_max = positive_int(n_max, "n_max")
    bounded_n_max = positive_int(bounded_n_max, "bounded_n_max")
    maps = tuple(_kind_validate(k) for k in maps)
    entries, reps = [], {}
    for kind in maps:
        top = bounded_n_max if kind.startswith("scaled") else n_max
        reps[kind] = verify_derivative_polynomials(kind, top)
        base = _BASE[kind]
        scale = SCALE if kind.startswith("scaled") else sp.Integer(1)
        var, (lo, hi) = _VAR[base], _RANGE[base]
        for n, h in enumerate(bounded_map_polynomials(kind, top)):
            unit = sp.expand(h / scale)
            exact = derive_sup(unit, var, (lo, hi))
            confirmation = interval_confirm(
                unit,
                var,
                lo,
                hi,
                exact.sup,
                n_pieces,
                witnesses=exact.witnesses,
                dps=dps,
                rel_margin=rel_margin,
            )
            entries.append(
                DerivedBound(
                    kind,
                    n,
                    h,
                    var,
                    scale * exact.sup,
                    exact.sup_float,
                    exact.argmax,
                    exact.limit_points,
                    confirmation,
                )
            )
    return ActivationBounds(tuple(entries), reps, dps, rel_margin)
