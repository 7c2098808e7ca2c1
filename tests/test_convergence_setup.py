"""The Theorem 6.1 set-up and its pieces: the delay-line teacher, checkpoints, the trace."""

from __future__ import annotations

import numpy as np
import pytest

from rtrl_theory.bounds import check_assumptions
from rtrl_theory.data import DataProcess, DelayLineCell, ExampleChain, delayed_input_teacher
from rtrl_theory.estimators import geometric_checkpoints, theorem_6_1_setup
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
    s = theorem_6_1_setup()
    m = s.model
    r = check_assumptions(
        m.n_hidden,
        m.n_input,
        m.c_f,
        m.c_g,
        m.bounded_map,
        s.process.chain.lam,
        s.process.chain.C_x,
        s.schedule,
    )
    assert r.hypotheses_hold and r.rho < 1
    assert robbins_monro_violations(s.schedule) == []


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
