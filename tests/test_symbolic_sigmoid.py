"""Lemma 2.9 / Appendix A of [P1], derived: rtrl_theory/symbolic/_sigmoid.py and its check.

Truths used here: the closed forms of Lemma 2.9 and THEORY.md sections 2-3 (sigmoid 1/4,
sqrt(3)/18, 1/8, sqrt((75 + 7 sqrt(105))/9000); tanh 1, 4 sqrt(3)/9, 2; c tanh: c, c, 4 sqrt(3) c/9)
and the polynomials printed in THEORY.md section 3; comparisons are exact SymPy identities unless
a line says otherwise. Each failure mode (wrong claim, wrong library constant, too-small supremum,
wrong representation) is shown to make the code fail.
"""

from __future__ import annotations

import dataclasses
import functools

import pytest
import sympy as sp

from proofs_checks import lemma_2_9_sigmoid_bounds as lemma_2_9
from rtrl_theory.cells import _maps
from rtrl_theory.symbolic import _sigmoid
from rtrl_theory.symbolic._sigmoid import (
    MAP_KINDS,
    SCALE,
    bounded_map_constants,
    derivative_polynomials,
    derive_activation_bounds,
    derive_sup,
    interval_confirm,
    sigmoid_derivative_polynomials,
    tanh_derivative_polynomials,
    verify_derivative_polynomials,
)

u = sp.Symbol("u", positive=True)  # the module's u = sigma(x) (same name and assumptions)
t = sp.Symbol("t", real=True)  # the module's t = tanh(x)
c = SCALE

SQRT3 = sp.sqrt(3)
SIGMOID_FOURTH = sp.sqrt((75 + 7 * sp.sqrt(105)) / sp.Integer(9000))  # THEORY.md section 3

# (kind, n, exact supremum): Lemma 2.9 of [P1] and THEORY.md section 3; tanh n = 4 from
# tanh(x) = 2 sigma(2x) - 1, i.e. 2^5 times the sigmoid's fourth-order value.
CLOSED_FORMS = [
    ("sigmoid", 1, sp.Rational(1, 4)),
    ("sigmoid", 2, SQRT3 / 18),
    ("sigmoid", 3, sp.Rational(1, 8)),
    ("sigmoid", 4, SIGMOID_FOURTH),
    ("tanh", 1, sp.Integer(1)),
    ("tanh", 2, 4 * SQRT3 / 9),
    ("tanh", 3, sp.Integer(2)),
    ("tanh", 4, 32 * SIGMOID_FOURTH),
]
RANGE = {"sigmoid": (0, 1), "tanh": (-1, 1)}  # images of the real line under sigma and tanh


def _same(a, b) -> bool:
    """Exact equality of real algebraic numbers (simplify, then the minimal polynomial)."""
    d = sp.sympify(a) - sp.sympify(b)
    return sp.simplify(d) == 0 or sp.minimal_polynomial(d, sp.Dummy("z")).is_Symbol


# --- (i) the polynomial-in-sigma representation ---------------------------------------------


@pytest.mark.parametrize("kind", MAP_KINDS)
def test_polynomials_equal_the_symbolic_x_derivatives(kind):
    # Exact rational-function identity in E = exp(x) (sympy.cancel), orders 0..4.
    assert verify_derivative_polynomials(kind, 4) == (True,) * 5


def test_polynomials_match_appendix_a():
    # p_2, p_3 as printed in THEORY.md section 3; q_2, q_3 as in the Tanh docstring of _maps.
    p = sigmoid_derivative_polynomials(3)
    q = tanh_derivative_polynomials(3)
    assert sp.expand(p[1].as_expr() - u * (1 - u)) == 0
    assert sp.expand(p[2].as_expr() - u * (1 - u) * (1 - 2 * u)) == 0
    assert sp.expand(p[3].as_expr() - u * (1 - u) * (1 - 6 * u + 6 * u**2)) == 0
    assert sp.expand(q[2].as_expr() + 2 * t * (1 - t**2)) == 0
    assert sp.expand(q[3].as_expr() - (1 - t**2) * (6 * t**2 - 2)) == 0


def test_representation_check_fails_on_a_wrong_polynomial(monkeypatch):
    # Break p_2 (add u^3): the identity must fail at order 2 only.
    real = _sigmoid.derivative_polynomials

    def wrong(kind="sigmoid", n_max=4):
        polys = list(real(kind, n_max))
        polys[2] = polys[2] + sp.Poly(polys[2].gen ** 3, polys[2].gen)
        return tuple(polys)

    monkeypatch.setattr(_sigmoid, "derivative_polynomials", wrong)
    assert verify_derivative_polynomials("sigmoid", 3) == (True, True, False, True)


# --- (ii) exact suprema ------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "n", "exact"), CLOSED_FORMS)
def test_derived_sup_is_the_closed_form(kind, n, exact):
    p = derivative_polynomials(kind, n)[n]
    r = derive_sup(p, p.gen, RANGE[kind])
    assert _same(r.sup, exact)
    assert r.attained
    assert r.sup_float == pytest.approx(float(exact), rel=1e-15)  # float conversion of exact


def test_argmax_points_are_those_of_appendix_a():
    # THEORY.md section 3: |sigma''| peaks at u = 1/2 -+ sqrt(3)/6; sigma''' at u = 1/2 (x = 0),
    # where it equals -1/8; its other extremum 1/24 at u = 1/2 -+ sqrt(6)/6 is smaller.
    p = sigmoid_derivative_polynomials(3)
    r2 = derive_sup(p[2], p[2].gen, (0, 1))
    assert set(r2.argmax) == {sp.Rational(1, 2) - SQRT3 / 6, sp.Rational(1, 2) + SQRT3 / 6}
    r3 = derive_sup(p[3], p[3].gen, (0, 1))
    assert r3.argmax == (sp.Rational(1, 2),)
    assert p[3].as_expr().subs(u, sp.Rational(1, 2)) == sp.Rational(-1, 8)
    assert set(r3.critical_points) == {
        sp.Rational(1, 2) - sp.sqrt(6) / 6,
        sp.Rational(1, 2),
        sp.Rational(1, 2) + sp.sqrt(6) / 6,
    }


def test_sup_of_the_map_itself_is_an_endpoint_limit():
    # sup sigma = 1 and sup |tanh| = 1 are approached as x -> +-inf, never attained.
    p0 = sigmoid_derivative_polynomials(1)[0]
    r = derive_sup(p0, p0.gen, (0, 1))
    assert r.sup == 1 and not r.attained and r.limit_points == (1,)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "scaled_tanh",
            (c, c, 4 * SQRT3 * c / 9, 2 * c),
        ),  # THEORY.md section 2 (+ 2c from tanh''')
        ("scaled_sigmoid", (c, c / 2, SQRT3 * c / 9, c / 4)),  # 2c times Lemma 2.9; C = c
    ],
)
def test_bounded_map_constants(kind, expected):
    derived = bounded_map_constants(kind, 3)
    assert all(sp.simplify(d - e) == 0 for d, e in zip(derived, expected, strict=True))


def test_bad_arguments_are_named():
    p1 = sigmoid_derivative_polynomials(1)[1]
    with pytest.raises(ValueError, match="n_max: expected a positive integer"):
        sigmoid_derivative_polynomials(0)
    with pytest.raises(TypeError, match="n_max"):
        tanh_derivative_polynomials(2.0)
    with pytest.raises(ValueError, match="kind: expected one of"):
        derivative_polynomials("relu")
    with pytest.raises(ValueError, match="interval: expected lo < hi"):
        derive_sup(p1, p1.gen, (1, 0))
    with pytest.raises(ValueError, match="poly: coefficients must be numbers"):
        derive_sup(c * p1.as_expr(), p1.gen, (0, 1))
    with pytest.raises(ValueError, match="sup_value"):
        interval_confirm(p1, p1.gen, 0, 1, -1)
    with pytest.raises(ValueError, match="witnesses: point 2"):
        interval_confirm(p1, p1.gen, 0, 1, sp.Rational(1, 4), witnesses=[2])


# --- (iii) the interval confirmation can fail --------------------------------------------------


@pytest.mark.parametrize(("kind", "n", "exact"), CLOSED_FORMS)
def test_interval_confirmation_accepts_the_true_sup(kind, n, exact):
    p = derivative_polynomials(kind, n)[n]
    r = derive_sup(p, p.gen, RANGE[kind])
    res = interval_confirm(p, p.gen, *RANGE[kind], exact, witnesses=r.witnesses)
    assert res.confirmed and res.bounded and res.attained, res.reason
    # Rounded-to-nearest float of a rigorous upper bound within the 1e-20 relative margin.
    assert res.upper_bound == pytest.approx(float(exact), rel=1e-15)


@pytest.mark.parametrize(("kind", "n", "exact"), CLOSED_FORMS)
def test_interval_confirmation_rejects_a_too_small_sup(kind, n, exact):
    p = derivative_polynomials(kind, n)[n]
    res = interval_confirm(p, p.gen, *RANGE[kind], sp.Rational(99, 100) * exact)
    assert not res.confirmed and not res.bounded
    assert res.counterexample is not None and "exceeds the claimed supremum" in res.reason
    # The certificate is genuine: |P| at the reported point is above 0.99 sup (float check).
    value = abs(float(p.as_expr().subs(p.gen, sp.Float(res.counterexample, 30))))
    assert value > 0.99 * float(exact)


def test_interval_confirmation_rejects_a_too_large_sup():
    # 1 + 1e-12 times the true sup: bounded, but not attained at the exact argmax.
    p = sigmoid_derivative_polynomials(2)[2]
    r = derive_sup(p, p.gen, (0, 1))
    res = interval_confirm(p, p.gen, 0, 1, (1 + sp.Rational(1, 10**12)) * r.sup, witnesses=r.argmax)
    assert res.bounded and not res.attained and not res.confirmed


def test_interval_confirmation_is_inconclusive_when_out_of_boxes():
    p = sigmoid_derivative_polynomials(2)[2]
    res = interval_confirm(p, p.gen, 0, 1, SQRT3 / 18, max_boxes=50)
    assert not res.confirmed and "inconclusive" in res.reason and res.n_boxes <= 50


def test_interval_precision_is_restored():
    from mpmath import iv

    before = iv.prec
    p = sigmoid_derivative_polynomials(1)[1]
    interval_confirm(p, p.gen, 0, 1, sp.Rational(1, 4), dps=50)
    assert iv.prec == before


# --- (iv), (v) the check ------------------------------------------------------------------------


# One derivation shared by the failure tests (the derivation itself is tested above), so that
# each of them only re-runs the comparisons.
_cached_derivation = functools.lru_cache(maxsize=None)(derive_activation_bounds)


@pytest.fixture
def cached_derivation(monkeypatch):
    monkeypatch.setattr(lemma_2_9, "derive_activation_bounds", _cached_derivation)


def test_check_passes_in_quick_mode():
    res = lemma_2_9.check(quick=True)
    assert res.status == "pass", res.reason
    assert res.details["derived"]["sigmoid"][1:4] == ["1/4", "sqrt(3)/18", "1/8"]
    assert all(res.details["claims_equal"].values())
    assert res.details["interval_boxes_total"] > 0


@pytest.mark.parametrize(
    ("kind", "n", "wrong"),
    [
        ("sigmoid", 2, sp.Rational(1, 10)),  # the "~0.0962" of Lemma 2.9, rounded up
        ("sigmoid", 3, sp.Rational(1, 24)),  # the local maximum of p_3, not the sup
        ("sigmoid", 4, sp.sqrt((75 + 7 * sp.sqrt(105)) / sp.Integer(9001))),
        ("tanh", 2, SQRT3 / 2),
        ("scaled_tanh", 2, 4 * SQRT3 * c**2 / 9),  # wrong dependence on c
    ],
)
def test_check_fails_on_a_wrong_claim(monkeypatch, cached_derivation, kind, n, wrong):
    monkeypatch.setitem(lemma_2_9.CLAIMED[kind], n, wrong)
    res = lemma_2_9.check(quick=True)
    assert res.status == "fail" and f"order {n}" in res.reason
    assert res.details["claims_equal"][f"{kind}[{n}]"] is False


@pytest.mark.parametrize("name", ["SIGMOID_SUP", "TANH_SUP"])
def test_check_fails_on_a_wrong_library_constant(monkeypatch, cached_derivation, name):
    # A 1e-13 relative error in sup|h''|: 100x the check's 1e-15 tolerance.
    values = list(getattr(_maps, name))
    values[2] *= 1 + 1e-13
    monkeypatch.setattr(_maps, name, tuple(values))
    res = lemma_2_9.check(quick=True)
    assert res.status == "fail" and f"{name}[2]" in res.reason


def test_check_fails_when_the_interval_confirmation_fails(monkeypatch, cached_derivation):
    # Feed the interval step a budget too small to confirm anything near a maximum.
    def starved(*args, **kwargs):
        bounds = _cached_derivation(*args, **kwargs)
        entries = []
        for e in bounds.entries:
            res = interval_confirm(
                sp.expand(e.poly / (c if e.map.startswith("scaled") else 1)),
                e.var,
                *RANGE["tanh" if "tanh" in e.map else "sigmoid"],
                e.sup.subs(c, 1),
                max_boxes=20,
            )
            entries.append(dataclasses.replace(e, interval=res))
        return dataclasses.replace(bounds, entries=tuple(entries))

    monkeypatch.setattr(lemma_2_9, "derive_activation_bounds", starved)
    res = lemma_2_9.check(quick=True)
    assert res.status == "fail" and "interval confirmation" in res.reason
