"""A-priori bounds (Lemmas 3.5, 3.7) and contraction constants (Assumption 2.10)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import make_problem

from rtrl_theory import PaperRNN
from rtrl_theory.bounds import apriori_bounds, contraction_constants
from rtrl_theory.engine import advance_second_order, initial_sensitivities


def test_radii_at_a_hand_computed_point():
    # N = 2, c_f = 1, c_g = 1, tanh, C_x = 1: C_f = C_f' = 1, C_f'' = C_g'' = 4 sqrt3/9,
    # 4 - N C_f = 2. By hand: K_W = 1/2, K_B = 1/2,
    # K_WW = ((32 sqrt3/9)/4 + 4 sqrt3/9)/2 = (8 sqrt3/9 + 4 sqrt3/9)/2 = 2 sqrt3/3.
    b = apriori_bounds(PaperRNN(2, 1, c_f=1.0, c_g=1.0), C_x=1.0)
    s3 = math.sqrt(3)
    assert (b.K_W, b.K_B) == (0.5, 0.5)
    assert b.K_WW == pytest.approx(2 * s3 / 3, rel=1e-15)
    assert b.K_WB == pytest.approx((8 * s3 / 9 + 0.5) / 2, rel=1e-15)
    assert b.K_BB == pytest.approx((8 * s3 / 9 + 4 * s3 / 9 + 1.0) / 2, rel=1e-15)


def test_rho_threshold_matches_theory_example():
    # THEORY.md section 6: f = eps tanh, g = tanh, C_x = 1: rho < 1 iff N eps < about 1.12.
    def rho(N_eps):
        return contraction_constants(PaperRNN(4, 2, c_f=N_eps / 4), 1.0).rho

    assert rho(1.11) < 1.0 < rho(1.13)
    # rho -> 0 as f is scaled down (Remark 2.7), monotonically.
    vals = [rho(e) for e in (0.8, 0.4, 0.2, 0.1, 0.05)]
    assert all(a > b for a, b in zip(vals, vals[1:], strict=False)) and vals[-1] < 0.05


def test_bounds_refuse_N_C_f_at_least_4():
    with pytest.raises(
        ValueError, match=r"c_f: the bounds of Lemmas 3.5 and 3.7 need N \* C_f < 4"
    ):
        apriori_bounds(PaperRNN(4, 1, c_f=1.0), C_x=1.0)
    with pytest.raises(ValueError, match="C_x: expected a positive"):
        apriori_bounds(PaperRNN(4, 1), C_x=-1.0)


@pytest.mark.parametrize("bounded_map", ["tanh", "sigmoid"])
def test_simulated_J_and_H_never_leave_the_box(rng, bounded_map):
    N, d, K, T, C_x = 3, 2, 8, 120, 2.0
    model, params, _, _ = make_problem(rng, N, d, T, bounded_map, c_f=3.5 / N, scale=2.0)
    b = apriori_bounds(model, C_x)
    cell = model.cell
    prep = cell.prepare(model.split(model.flatten(params))[1], second_order=True)
    st = initial_sensitivities(cell, K, order=2)
    X = C_x * rng.choice([-1.0, 1.0], size=(K, T, d))
    nW = N * d
    worst = np.zeros(5)
    for t in range(T):
        st, _ = advance_second_order(cell, prep, st, X[:, t])
        J, H = np.abs(st.Jt), np.abs(st.Ht)
        obs = [
            J[:, :nW].max(),
            J[:, nW:].max(),
            H[:, :nW, :nW].max(),
            H[:, :nW, nW:].max(),
            H[:, nW:, nW:].max(),
        ]
        worst = np.maximum(worst, np.array(obs) / [b.K_W, b.K_B, b.K_WW, b.K_WB, b.K_BB])
    assert np.all(worst <= 1.0), worst
    assert worst[0] > 0.1  # the run actually explores the box (not a vacuous pass)
