"""The Theorem 6.1 set-up and its pieces: the delay-line teacher, checkpoints, the trace."""

from __future__ import annotations

import numpy as np
import pytest

from rtrl_theory.bounds import check_assumptions
from rtrl_theory.bounds._lifted import lifted_chain_report
from rtrl_theory.data import (
    DataProcess,
    DelayLineCell,
    ExampleChain,
    delayed_input_teacher,
    lifted_chain_step,
    trace_process,
)
from rtrl_theory.estimators import delay_line_setup, estimate_contraction_rate, theorem_6_1_setup
from rtrl_theory.estimators._convergence import geometric_checkpoints
from rtrl_theory.runners import robbins_monro_violations


def test_delay_line_teacher_outputs_the_delayed_input(rng):
    teacher = delayed_input_teacher(2, 2, rng=rng)
    X, Y = DataProcess(ExampleChain(2, 0.5), teacher.target(0.0)).sample(50, rng)
    w = teacher.params[-2:]
    np.testing.assert_allclose(Y[2:], X[:-2] @ w, rtol=1e-14)  # exact: a shift and a dot
    np.testing.assert_allclose(Y[:2], 0.0)  # the delay line starts empty (S_0 = 0)
    assert np.abs(w).sum() == pytest.approx(1.0)


def test_delay_line_cell_jacobian_is_the_shift():
    cell = DelayLineCell(3, 2)
    S, X = np.arange(9.0)[None], np.array([[10.0, 11.0, 12.0]])
    lin = cell.linearize(None, S, X)
    np.testing.assert_array_equal(lin.S_next, [[10, 11, 12, 0, 1, 2, 3, 4, 5]])
    dense = lin.state_jac.dense()[0]
    e = np.eye(9)
    for k in range(9):  # a linear map: the Jacobian applied to e_k is step(e_k) - step(0)
        np.testing.assert_array_equal(dense @ e[k], cell.step(None, e[k][None], 0 * X)[0])
    assert cell.n_params == 0 and lin.param_terms == ()


def test_theorem_6_1_setup_lies_inside_the_hypotheses():
    s = theorem_6_1_setup(pretrain_steps=0)
    r = s.assumptions()
    assert r.hypotheses_hold and r.rho < 1
    lifted = r.config["lifted_chain"]
    assert lifted["kind"] == "leaky trace" and lifted["lam_lifted"] == pytest.approx(0.85)
    assert "lifted lam_xi < 1 (Assumption 2.3)" in r.hypotheses
    assert r.rho_bar == pytest.approx(max(0.85, r.rho))
    assert robbins_monro_violations(s.schedule) == []


def test_old_delay_line_setup_is_flagged():
    r = delay_line_setup().assumptions()
    h = r.hypotheses["lifted lam_xi < 1 (Assumption 2.3)"]
    assert h["holds"] is False and not r.hypotheses_hold
    assert r.config["lifted_chain"]["lam_lifted"] == 1.0


def _one_step_ratio(process, seed):
    """Synchronous coupling of the lifted chain from the worst-case pair: X - X' = M - M' = 1.

    Truth: with the same noise, M' - M'~ = beta (M - M~) + c (X - X~) exactly (a linear map), so
    the one-step distance ratio is beta + c when that exceeds lam (|phi(x) - phi(x~)| <= lam
    |x - x~| < beta + c). The estimator's d_1 / d_0 must equal it up to rounding.
    """
    K = 64
    x0, y0 = np.full((K, 4), 0.5), np.full((K, 4), -0.5)
    est = estimate_contraction_rate(lifted_chain_step(process), x0, y0, 12, rng=seed)
    return est


def test_lifted_chain_contracts_in_one_step_under_the_synchronous_coupling():
    s = theorem_6_1_setup(pretrain_steps=0)
    est = _one_step_ratio(s.process, 5)
    assert est.distances[1] / est.distances[0] == pytest.approx(0.85, rel=1e-12)
    # every later step contracts too, and the fitted rate is below lam_xi (its CI's upper end)
    assert np.all(np.diff(est.distances) < 0)
    assert est.rate_ci[1] < 0.85


def test_delay_line_lifted_chain_does_not_contract_in_one_step():
    est = _one_step_ratio(delay_line_setup().process, 6)
    assert est.distances[1] / est.distances[0] == pytest.approx(1.0, rel=1e-12)


def test_lifted_chain_report_errors():
    with pytest.raises(TypeError, match="process"):
        lifted_chain_report(object())
    with pytest.raises(ValueError, match="lam"):
        s = theorem_6_1_setup(pretrain_steps=0)
        check_assumptions(3, 2, 0.36, 1.0, "tanh", 0.4, 1.0, process=s.process)


def test_leaky_trace_teacher_output_is_the_trace_of_past_inputs(rng):
    p = trace_process(2, 0.5, 0.5, 0.25, 0.6, 0.0, rng=rng)
    X, Y = p.sample(60, rng)
    w = p.target.params[2:]
    M = np.zeros(2)
    for t in range(60):  # independent recursion: M_t = 0.25 M_{t-1} + 0.6 X_{t-1}, M_0 = 0
        assert Y[t] == pytest.approx(w @ M, abs=1e-14)
        M = 0.25 * M + 0.6 * X[t]


def test_geometric_checkpoints():
    steps = np.arange(0, 10_001, 100)
    idx = geometric_checkpoints(steps, 6)
    assert idx[0] == 0 and steps[idx[-1]] == 10_000
    assert np.all(np.diff(steps[idx]) > 0) and len(idx) <= 6
    # geometric: the gaps grow
    gaps = np.diff(steps[idx][1:])
    assert np.all(np.diff(gaps) >= 0)
    with pytest.raises(ValueError, match="n: expected a positive integer"):
        geometric_checkpoints(steps, 0)
