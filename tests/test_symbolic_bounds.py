"""SymPy derivations of Appendix B, the a-priori radii and the contraction constants.

Truth: rsolve against hand-solved recurrences, THEORY.md's closed forms, and the numeric library
functions (which the derivations must reproduce to rounding).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from rtrl_theory import PaperRNN
from rtrl_theory.bounds import apriori_bounds, c_f_max, contraction_constants
from rtrl_theory.symbolic import SYMBOLS, rho_threshold_tanh, symbolic_bounds
from rtrl_theory.symbolic._bounds import b5_bound_holds, solve_linear_recurrence


def test_rsolve_closed_form_matches_iteration():
    t, closed = solve_linear_recurrence(c=sp.Rational(1, 3), b=2, a0=5)
    a = 5.0
    for k in range(1, 8):
        a = a / 3 + 2
        assert float(closed.subs(t, k)) == pytest.approx(a, rel=1e-14)


def test_b5_convex_combination_identity():
    out = b5_bound_holds()
    assert out["convex_combination_identity"] is True
    c, b = sp.Symbol("c", nonnegative=True), sp.Symbol("b", nonnegative=True)
    assert sp.simplify(out["fixed_point"] - b / (1 - c)) == 0


def test_radii_are_the_theory_closed_forms():
    s = SYMBOLS
    r = symbolic_bounds().radii
    den = 4 - s["N"] * s["C_f"]
    assert sp.simplify(r["K_W"] - s["C_x"] * s["C_g1"] / den) == 0
    assert sp.simplify(r["K_B"] - s["C_f1"] / den) == 0


def test_symbolic_and_numeric_constants_agree_at_a_point():
    model = PaperRNN(3, 2, c_f=0.4, c_g=1.5, bounded_map="sigmoid")
    c = model.constants()
    args = (3, 2, c["C_f"], c["C_f1"], c["C_f2"], c["C_g"], c["C_g1"], c["C_g2"], 2.0)
    fns = symbolic_bounds().lambdified()
    num = {**apriori_bounds(model, 2.0).to_dict(), **contraction_constants(model, 2.0).to_dict()}
    for name, f in fns.items():
        assert f(*args) == pytest.approx(num[name], rel=1e-12)  # same formula, rounding only


def test_threshold_is_about_1_12_from_N_3_and_smaller_below():
    # THEORY.md section 6 example; N = 1, 2 bind on rho_BB (C_f' = eps does not scale with N).
    for N in (3, 5, 20):
        t, comp = rho_threshold_tanh(N)
        assert t == pytest.approx(1.1233, abs=1e-4) and comp == "rho_WW"
    assert rho_threshold_tanh(1)[0] == pytest.approx(0.6895, abs=1e-4)
    assert rho_threshold_tanh(2)[0] == pytest.approx(1.0524, abs=1e-4)
    # the numeric assumptions checker finds the same c_f_max
    assert c_f_max(4, 2, 1.0) * 4 == pytest.approx(rho_threshold_tanh(4)[0], rel=1e-10)


def test_x_lipschitz_expression():
    s = SYMBOLS
    assert symbolic_bounds().x_lipschitz_S == s["d"] * s["C_g"] / 4
    assert math.isclose(float(symbolic_bounds().x_lipschitz_S.subs({s["d"]: 3, s["C_g"]: 1})), 0.75)


def test_rho_at_threshold_is_one(rng):
    t, _ = rho_threshold_tanh(4)
    rho = contraction_constants(PaperRNN(4, 2, c_f=t / 4), 1.0).rho
    assert rho == pytest.approx(1.0, abs=1e-12)
    assert np.isfinite(rho)
