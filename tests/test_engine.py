"""The sensitivity engine: exact gradients and Hessians by independent routes, batching, layout.

Truth sources: (a) BPTT, a reverse-mode implementation sharing only the cell's one-step
Jacobians; (b) central finite differences of a plain forward pass (no derivative code);
(c) ``reference_rtrl.naive_rtrl``, an index-form transcription of THEORY.md sections 4-5.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_problem, max_rel
from reference_rtrl import naive_rtrl

from rtrl_theory import (
    PaperParams,
    PaperRNN,
    finite_difference_grad,
    finite_difference_hessian,
    loss_and_grad,
    loss_grad_hessian,
    sequence_loss,
)
from rtrl_theory.engine import (
    advance_first_order,
    initial_sensitivities,
    rtrl_sequences,
)

CASES = [(1, 1, 10), (2, 3, 25), (3, 2, 40), (5, 1, 30), (7, 3, 60)]


@pytest.mark.parametrize("bounded_map", ["tanh", "sigmoid"])
@pytest.mark.parametrize("N, d, T", CASES)
def test_rtrl_gradient_equals_bptt_and_finite_differences(rng, N, d, T, bounded_map):
    model, params, X, Y = make_problem(rng, N, d, T, bounded_map)
    l_f, g_f = loss_and_grad(model, params, X, Y, method="rtrl")
    l_b, g_b = loss_and_grad(model, params, X, Y, method="bptt")
    g_fd = finite_difference_grad(model, params, X, Y, h=1e-5)
    assert isinstance(g_f, PaperParams)
    # Same quantity in exact arithmetic: float64 rounding only.
    assert l_f == pytest.approx(l_b, rel=1e-13)
    assert l_f == pytest.approx(sequence_loss(model, params, X, Y), rel=1e-13)
    assert max_rel(model.flatten(g_f), model.flatten(g_b)) <= 1e-10
    # Central differences, h = 1e-5: O(h^2) truncation + O(eps/h) rounding, ~1e-9 here.
    assert max_rel(model.flatten(g_f), g_fd) <= 1e-6


@pytest.mark.parametrize("bounded_map", ["tanh", "sigmoid"])
@pytest.mark.parametrize("N, d, T", [(1, 1, 8), (2, 2, 15), (3, 2, 20)])
def test_hessian_is_symmetric_and_equals_finite_differences_of_gradient(rng, N, d, T, bounded_map):
    model, params, X, Y = make_problem(rng, N, d, T, bounded_map)
    loss, grad, hess = loss_grad_hessian(model, params, X, Y)
    assert hess.shape == (model.n_params, model.n_params)
    # Each H^k slice is symmetric in exact arithmetic; rounding only.
    assert max_rel(hess, hess.T) <= 1e-12
    hess_fd = finite_difference_hessian(model, params, X, Y, h=1e-4, method="bptt")
    # h = 1e-4 on the gradient: truncation ~1e-8 relative, rounding ~1e-12.
    assert max_rel(hess, hess_fd) <= 1e-6
    _, g = loss_and_grad(model, params, X, Y, method="bptt")
    assert max_rel(grad, model.flatten(g)) <= 1e-10


@pytest.mark.parametrize("bounded_map", ["tanh", "sigmoid"])
def test_engine_matches_naive_index_form_transcription(rng, bounded_map):
    model, params, X, Y = make_problem(rng, 2, 2, 6, bounded_map)
    l_ref, g_ref, h_ref, J_ref = naive_rtrl(model, params, X, Y, order=2)
    loss, grad, hess = loss_grad_hessian(model, params, X, Y)
    assert loss == pytest.approx(l_ref, rel=1e-13)
    assert max_rel(grad, g_ref) <= 1e-12  # same sums, different order: rounding only
    assert max_rel(hess, h_ref) <= 1e-12
    # The J_t themselves, in [P1]'s orientation (N, P_c).
    cell = model.cell
    prep = cell.prepare(model.split(model.flatten(params))[1])
    st = initial_sensitivities(cell, 1)
    for t in range(X.shape[0]):
        st, _ = advance_first_order(cell, prep, st, X[t][None])
        assert st.J.shape == (1, 2, cell.n_params)
        assert max_rel(st.J[0], J_ref[t]) <= 1e-13


def test_sensitivities_equal_finite_differences_of_the_state(rng):
    # J_t = dS_t/dtheta checked directly (not through a loss): central differences of S_T.
    model, params, X, _ = make_problem(rng, 3, 2, 12)
    cell = model.cell
    theta_c = model.split(model.flatten(params))[1]

    def final_state(tc):
        prep = cell.prepare(tc)
        S = cell.initial_state(1)
        for t in range(X.shape[0]):
            S = cell.step(prep, S, X[t][None])
        return S[0]

    prep = cell.prepare(theta_c)
    st = initial_sensitivities(cell, 1)
    for t in range(X.shape[0]):
        st, _ = advance_first_order(cell, prep, st, X[t][None])
    h = 1e-6
    J_fd = np.empty((3, theta_c.size))
    for p in range(theta_c.size):
        e = np.zeros_like(theta_c)
        e[p] = h
        J_fd[:, p] = (final_state(theta_c + e) - final_state(theta_c - e)) / (2 * h)
    assert max_rel(st.J[0], J_fd) <= 1e-7  # h = 1e-6 central differences of S in (0, 1)


@pytest.mark.parametrize("order", [1, 2])
def test_batched_chains_agree_with_one_chain_at_a_time(rng, order):
    N, d, T, K = 3, 2, 20, 5
    model, params, _, _ = make_problem(rng, N, d, T)
    X = rng.uniform(-1, 1, (K, T, d))
    Y = rng.uniform(-1, 1, (K, T))
    theta = model.flatten(params)
    batch = rtrl_sequences(model, theta, X, Y, order=order)
    for c in range(K):
        one = rtrl_sequences(model, theta, X[c : c + 1], Y[c : c + 1], order=order)
        # Different GEMM shapes sum in a different order: rounding only.
        assert max_rel(batch.grad[c], one.grad[0]) <= 1e-13
        assert max_rel(batch.state.Jt[c], one.state.Jt[0]) <= 1e-13
        if order == 2:
            assert max_rel(batch.hess[c], one.hess[0]) <= 1e-12


def test_state_carries_over_between_pieces(rng):
    # Running T1 then T2 steps from the carried state equals running T1 + T2 (for J and S).
    model, params, X, Y = make_problem(rng, 3, 2, 30)
    theta = model.flatten(params)
    whole = rtrl_sequences(model, theta, X[None], Y[None])
    first = rtrl_sequences(model, theta, X[None, :12], Y[None, :12])
    second = rtrl_sequences(model, theta, X[None, 12:], Y[None, 12:], state=first.state)
    assert max_rel(second.state.Jt, whole.state.Jt) <= 1e-14
    combined = (12 * first.grad + 18 * second.grad) / 30
    assert max_rel(combined, whole.grad) <= 1e-12


@pytest.mark.parametrize(
    "X, Y, match",
    [
        (np.zeros((5, 3)), np.zeros(5), r"X: expected shape \(\*, 2\)"),
        (np.zeros((5, 2)), np.zeros(4), r"Y: expected shape \(5,\)"),
        (np.zeros((5, 2)), np.zeros((5, 1)), r"Y: expected shape \(5,\)"),
        (np.full((5, 2), np.nan), np.zeros(5), "X: contains 10 non-finite"),
        (np.zeros((5, 2)), np.array([0, 0, np.inf, 0, 0]), "Y: contains 1 non-finite"),
        (np.zeros((0, 2)), np.zeros(0), "X: expected at least one time step"),
    ],
)
def test_bad_sequences_get_clear_errors(X, Y, match):
    model = PaperRNN(3, 2)
    params = model.init_params(0)
    with pytest.raises(ValueError, match=match):
        loss_and_grad(model, params, X, Y)


def test_bad_method_and_params_get_clear_errors():
    model = PaperRNN(3, 2)
    X, Y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(ValueError, match="method: expected one of"):
        loss_and_grad(model, model.init_params(0), X, Y, method="forward")
    bad = np.full(model.n_params, np.nan)
    with pytest.raises(ValueError, match="params: contains"):
        loss_and_grad(model, bad, X, Y)
    with pytest.raises(ValueError, match=r"params: expected shape \(18,\)"):
        loss_grad_hessian(model, np.zeros(5), X, Y)
    with pytest.raises(TypeError, match="X: expected a real"):
        loss_and_grad(model, model.init_params(0), np.array([["a", "b"]]), np.zeros(1))


def test_flat_vector_params_are_accepted(rng):
    model, params, X, Y = make_problem(rng, 2, 1, 10)
    l1, g1 = loss_and_grad(model, params, X, Y)
    l2, g2 = loss_and_grad(model, model.flatten(params), X, Y)
    assert l1 == l2 and g1 == g2
