"""The recursions of [P1], symbolically: (2.20)-(2.23), Section 2.4 and (3.56)-(3.57).

Truth sources: (a) SymPy's own derivatives of the unrolled model (2.17) with generic sigma, f, g
(an identity is proved when the difference with the recursion is the zero polynomial);
(b) for the numeric cross-check, SymPy's derivatives with the concrete maps, lambdified, against
the engine: both sides compute the same float64 quantities, so 1e-12 relative (max-norm) leaves
three orders of magnitude above the observed rounding (~1e-15).
Each proof is also shown to FAIL on a deliberately wrong recursion, and the cross-check on a
deliberately broken engine (a check that cannot fail proves nothing).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import sympy as sp

from rtrl_theory import PaperParams, PaperRNN
from rtrl_theory.checks import discover
from rtrl_theory.symbolic import _recursions as R
from rtrl_theory.symbolic import _recursions_numeric as RN

REGISTRY = discover()
TOL = 1e-12  # lambdified SymPy vs engine: same float64 quantities, rounding only


# -- the symbolic identities hold ------------------------------------------------------------
def test_generic_maps_follow_the_chain_rule():
    x = sp.Symbol("x", real=True)
    sigma = R.generic_map("sigma")
    s1, s2 = R.generic_map("sigma", 1), R.generic_map("sigma", 2)
    assert R.generic_map("sigma", 1) is s1  # one class per (name, order)
    # d2/dx2 sigma(x^2) = 2 sigma'(x^2) + 4 x^2 sigma''(x^2), by hand.
    assert sp.expand(sp.diff(sigma(x**2), x, 2) - (2 * s1(x**2) + 4 * x**2 * s2(x**2))) == 0


def test_parameter_order_is_column_stacked_like_paper_params():
    # Notation 2.11: theta = (alpha, vec W, vec B), vec stacking columns; PaperRNN.flatten is
    # the engine's order, so name each entry by its value and compare.
    N, d = 2, 3
    m = R.build_symbolic_rnn(N, d, 1)
    alpha = np.arange(N, dtype=float)
    W = 100 + np.arange(N * d, dtype=float).reshape(N, d)
    B = 200 + np.arange(N * N, dtype=float).reshape(N, N)
    flat = PaperRNN(N, d).flatten(PaperParams(alpha, W, B))
    names = {f"alpha_{i}": alpha[i] for i in range(N)}
    names |= {f"W_{i}_{j}": W[i, j] for i in range(N) for j in range(d)}
    names |= {f"B_{i}_{j}": B[i, j] for i in range(N) for j in range(N)}
    assert [names[s.name] for s in m.params] == flat.tolist()
    for p in range(m.n_cell_params):
        assert m.index(*m.locate(p)) == p


def test_first_order_recursion_and_gradient_are_proved_by_expand():
    res = R.prove_recursions(2, 2, 3, order=1, method="expand")
    assert res.proved == {"J": True, "grad": True}
    assert res.n_entries == {"J": 2 * 8, "grad": 10}  # N x P_c and P = N + N d + N^2


def test_second_order_recursion_and_hessian_are_proved():
    res = R.prove_recursions(2, 2, 2, order=2, method="poly")
    assert res.all_proved
    # Every entry, no symmetry assumed: N P_c^2 and P^2.
    assert res.n_entries == {"J": 16, "H": 2 * 64, "grad": 10, "hess": 100}
    small = R.prove_recursions(2, 1, 2, order=2, method="expand")
    assert small.all_proved


def test_induction_step_is_proved_for_generic_state():
    # S_t an undefined function of all cell parameters: one step of each recursion maps the
    # derivatives of S_t to those of S_{t+1}, for any t.
    res = R.prove_recursions(2, 2, 1, order=2, initial_state="generic")
    assert res.all_proved and res.initial_state == "generic"


@pytest.mark.slow
def test_second_order_at_n2_d2_t3_by_both_zero_tests():
    for method in ("poly", "expand"):  # expand: ~8 s
        assert R.prove_recursions(2, 2, 3, order=2, method=method).all_proved


def test_poly_zero_test_is_a_normal_form():
    x, y = sp.symbols("x y", real=True)
    s, f = R.generic_map("sigma"), R.generic_map("f")
    same = s(x + f(y)) * f(y) - f(y) * s(f(y) + x)
    different = s(x) * (1 + f(y)) - s(x) - f(y) * s(y)
    assert R._nonzero_poly([same, different]) == [False, True]
    assert R._nonzero_expand([same, different]) == [False, True]


def test_lambdified_derivatives_match_the_engine(rng):
    res = RN.cross_check_engine(2, 2, 2, rng=rng, order=2, n_points=2)  # sec-2.4 quick sizes
    keys = {"loss", "J", "J2", "H", "grad_numpy", "grad_hess", "hess"}
    assert keys <= set(res.max_rel_err)
    assert res.max_error <= TOL, res.max_rel_err


# -- the proof machinery can fail ----------------------------------------------------------------
def _drop_cross_terms(monkeypatch):
    # R^k without the cross terms f'(B^{kj}) dS^j/dtheta (Section 2.4): a wrong recursion.
    monkeypatch.setattr(R, "remainder_term", functools.partial(R.remainder_term, cross_terms=False))


def _g_prime_for_f_prime(monkeypatch):
    # The immediate term of (2.21) with g'(B^{ij}) where f'(B^{ij}) belongs.
    orig = R.immediate_term
    f1, g1 = R.generic_map("f", 1), R.generic_map("g", 1)
    monkeypatch.setattr(R, "immediate_term", lambda model, t: orig(model, t).replace(f1, g1))


@pytest.mark.parametrize("method", ["poly", "expand"])
def test_proof_fails_without_the_cross_terms(monkeypatch, method):
    _drop_cross_terms(monkeypatch)
    res = R.prove_recursions(1, 1, 2, order=2, method=method)
    # J and the gradient do not use R^k; H and the Hessian do.
    assert res.proved == {"J": True, "H": False, "grad": True, "hess": False}
    assert res.n_nonzero["H"] > 0 and res.first_nonzero["H"] is not None
    # Undo: the correct recursion is proved again (the wrong result did not replace it).
    monkeypatch.undo()
    assert R.prove_recursions(1, 1, 2, order=2, method=method).all_proved


def test_proof_fails_with_g_prime_in_place_of_f_prime(monkeypatch):
    _g_prime_for_f_prime(monkeypatch)
    res = R.prove_recursions(2, 2, 2, order=1, method="expand")
    assert not res.proved["J"] and not res.proved["grad"]
    # Only the B columns (f' S^j) are wrong; the W columns (g' X^j) are not.
    assert res.first_nonzero["J"][1] >= 2 * 2


def test_sec_2_4_fails_on_a_wrong_second_order_recursion(monkeypatch):
    _drop_cross_terms(monkeypatch)
    res = REGISTRY["sec-2.4"].check(quick=True)
    assert res.status == "fail" and "symbolic" in res.reason
    sym = res.details["symbolic"]
    assert not sym["all_proved"] and sym["proofs"][0]["n_nonzero"]["H"] > 0
    # The numeric parts do not use the symbolic recursion and still pass.
    assert res.details["max_rel_err_fd"] <= 1e-6 and sym["max_error"] <= TOL


def test_eq_2_20_fails_on_a_wrong_first_order_recursion(monkeypatch):
    _g_prime_for_f_prime(monkeypatch)
    res = REGISTRY["eq-2.20"].check(quick=True)
    assert res.status == "fail" and "symbolic" in res.reason
    assert res.details["symbolic"]["proofs"][0]["n_nonzero"]["J"] > 0


# -- the cross-check catches a broken engine -----------------------------------------------
def test_cross_check_catches_a_wrong_second_derivative_of_the_bounded_map(monkeypatch):
    # ScaledTanh.deriv(x, 2) off by 1%: f'' and g'' enter H and the Hessian only.
    from rtrl_theory.cells import _maps

    orig = _maps.ScaledTanh.deriv

    def wrong(self, x, n=1):
        out = orig(self, x, n)
        return 1.01 * out if n == 2 else out

    monkeypatch.setattr(_maps.ScaledTanh, "deriv", wrong)
    res = REGISTRY["sec-2.4"].check(quick=True)
    assert res.status == "fail"
    err = res.details["symbolic"]["max_rel_err"]
    # The symbolic cross-check itself reports it (not only the finite differences) ...
    assert err["H"] > TOL and err["hess"] > TOL
    assert "lambdified SymPy differs from the engine" in res.reason
    # ... and localises it: first-order quantities are untouched.
    assert max(err["J"], err["grad_numpy"], err["grad_hess"]) <= TOL


def test_cross_check_catches_a_wrong_first_derivative(monkeypatch):
    # ScaledSigmoid.deriv(x, 1) off by 1e-3: enters J and every NumPy gradient route.
    from rtrl_theory.cells import _maps

    orig = _maps.ScaledSigmoid.deriv

    def wrong(self, x, n=1):
        out = orig(self, x, n)
        return (1 + 1e-3) * out if n == 1 else out

    monkeypatch.setattr(_maps.ScaledSigmoid, "deriv", wrong)
    res = RN.cross_check_engine(2, 2, 3, rng=np.random.default_rng(1), order=1, n_points=1)
    assert res.max_rel_err["J"] > TOL and res.max_rel_err["grad_numpy"] > TOL
    if "grad_numba" in res.max_rel_err:
        # The compiled engine computes the map derivatives in its own code: the patched Python
        # method does not reach it, and it still agrees with the SymPy truth.
        assert res.max_rel_err["grad_numba"] <= TOL


# -- arguments ----------------------------------------------------------------------------
def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="order: expected 1 or 2"):
        R.prove_recursions(1, 1, 1, order=3)
    with pytest.raises(ValueError, match="method: expected one of"):
        R.prove_recursions(1, 1, 1, method="simplify")
    with pytest.raises(ValueError, match="n_steps: expected a positive integer"):
        R.build_symbolic_rnn(1, 1, 0)
    with pytest.raises(ValueError, match="initial_state"):
        R.build_symbolic_rnn(1, 1, 1, "random")
    with pytest.raises(ValueError, match="bounded_map"):
        RN.cross_check_engine(1, 1, 1, rng=0, bounded_maps=("relu",))


def test_verification_summary_is_json_ready():
    import json

    v = RN.verify_recursions([(1, 1, 2)], rng=0, order=2, n_points=1)
    s = json.loads(json.dumps(v.summary()))
    assert s["passed"] and s["proofs"][1]["initial_state"] == "generic"
    assert "proved J,H,grad,hess at N=1,d=1,T=2 [poly]" in v.describe()
    assert PaperRNN(1, 1).n_params == len(R.build_symbolic_rnn(1, 1, 2).params)
