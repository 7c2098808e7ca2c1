"""Online RTRL (2.24)-(2.26) and TBPTT trainers: hand computations, divergence, records."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rtrl_theory import PaperParams, PaperRNN
from rtrl_theory.data import DataProcess, ExampleChain, TeacherTarget
from rtrl_theory.runners import PowerSchedule, train_online


def _sig(u):
    return 1.0 / (1.0 + math.exp(-u))


def _scalar_model():
    # N = d = 1, f = 0.8 tanh, g = 1.5 tanh: every quantity below is a scalar.
    return PaperRNN(1, 1, c_f=0.8, c_g=1.5)


def _hand_rtrl(a, w, b, X, Y, etas, cf=0.8, cg=1.5):
    """(2.24)-(2.26) for N = d = 1 written out by hand with math.* (no numpy, no engine)."""
    f = lambda v: cf * math.tanh(v)  # noqa: E731
    fp = lambda v: cf * (1 - math.tanh(v) ** 2)  # noqa: E731
    g = lambda v: cg * math.tanh(v)  # noqa: E731
    gp = lambda v: cg * (1 - math.tanh(v) ** 2)  # noqa: E731
    S, JW, JB = 0.0, 0.0, 0.0
    out = []
    for t in range(len(X)):
        Sn = _sig(f(b) * S + g(w) * X[t])
        D = Sn * (1 - Sn)
        JW, JB = D * (f(b) * JW + gp(w) * X[t]), D * (f(b) * JB + fp(b) * S)
        r = a * Sn - Y[t]
        ga, gw, gb = r * Sn, r * a * JW, r * a * JB
        out.append((0.5 * r * r, math.sqrt(ga * ga + gw * gw + gb * gb)))
        a, w, b = a - etas[t] * ga, w - etas[t] * gw, b - etas[t] * gb
        S = Sn
    return (a, w, b), out


@pytest.mark.parametrize("backend", ["numpy", "auto"])
def test_first_rtrl_steps_match_a_hand_computation(backend):
    model = _scalar_model()
    p0 = PaperParams(np.array([0.7]), np.array([[0.4]]), np.array([[-0.9]]))
    X = np.array([[0.5], [-1.0], [0.8], [0.3]])
    Y = np.array([0.2, -0.1, 0.4, 0.0])
    sched = PowerSchedule(0.3, t0=2.0, gamma=0.75)
    etas = [sched(t) for t in range(4)]
    (a, w, b), steps = _hand_rtrl(0.7, 0.4, -0.9, X[:, 0], Y, etas)
    res = train_online(model, p0, (X, Y), 4, schedule=sched, backend=backend, record_every=2)
    # Same arithmetic up to summation order: float64 rounding only.
    np.testing.assert_allclose(res.losses, [s[0] for s in steps], rtol=1e-13)
    np.testing.assert_allclose(res.grad_norms, [s[1] for s in steps], rtol=1e-13)
    np.testing.assert_allclose(model.flatten(res.params), [a, w, b], rtol=1e-13)
    assert res.status == "completed" and res.n_steps_run == 4
    np.testing.assert_array_equal(res.path_steps, [0, 2, 4])
    np.testing.assert_allclose(res.param_path[0], model.flatten(p0))


def test_first_tbptt_block_matches_a_hand_computation():
    # tau = 2, N = d = 1: the block gradient by the chain rule, written out by hand.
    cf, cg = 0.8, 1.5
    a, w, b = 0.7, 0.4, -0.9
    X, Y = np.array([[0.5], [-1.0]]), np.array([0.2, -0.1])
    x0, x1 = X[:, 0]
    S1 = _sig(cg * math.tanh(w) * x0)
    S2 = _sig(cf * math.tanh(b) * S1 + cg * math.tanh(w) * x1)
    D1, D2 = S1 * (1 - S1), S2 * (1 - S2)
    gp, fp = cg * (1 - math.tanh(w) ** 2), cf * (1 - math.tanh(b) ** 2)
    dS1_dw, dS1_db = D1 * gp * x0, 0.0
    dS2_dw = D2 * (cf * math.tanh(b) * dS1_dw + gp * x1)
    dS2_db = D2 * (cf * math.tanh(b) * dS1_db + fp * S1)
    r1, r2 = a * S1 - Y[0], a * S2 - Y[1]
    g_sum = np.array(
        [r1 * S1 + r2 * S2, a * (r1 * dS1_dw + r2 * dS2_dw), a * (r1 * dS1_db + r2 * dS2_db)]
    )
    sched = PowerSchedule(0.3, t0=2.0, gamma=0.75)
    p0 = PaperParams(np.array([a]), np.array([[w]]), np.array([[b]]))
    res = train_online(_scalar_model(), p0, (X, Y), 2, schedule=sched, algo="tbptt", tau=2)
    # CONVENTION: block update = eta_{block start} * sum of the block's gradients.
    model = _scalar_model()
    np.testing.assert_allclose(
        model.flatten(res.params), model.flatten(p0) - 0.3 * g_sum, rtol=1e-13
    )
    np.testing.assert_allclose(res.losses, [0.5 * r1**2, 0.5 * r2**2], rtol=1e-13)
    np.testing.assert_array_equal(res.update_steps, [0])
    mean = train_online(
        _scalar_model(), p0, (X, Y), 2, schedule=sched, algo="tbptt", tau=2, block_reduction="mean"
    )
    np.testing.assert_allclose(
        model.flatten(mean.params), model.flatten(p0) - 0.15 * g_sum, rtol=1e-13
    )


def _process(rng):
    model = PaperRNN(3, 2)
    proc = DataProcess(
        ExampleChain(2, 0.5), TeacherTarget(model, model.init_params(rng, scale=2.0))
    )
    return model, proc


def test_rtrl_learns_a_teacher_below_the_initial_loss(rng):
    model, proc = _process(rng)
    res = train_online(
        model,
        model.init_params(rng),
        proc,
        6000,
        rng=1,
        schedule=PowerSchedule(0.5, 500, 0.75),
        backend="numpy",
    )
    _, means = res.loss_windows(1000)
    # Teacher noise is U[-0.1, 0.1]: the floor is 0.5 * 0.1^2 / 3 = 1.7e-3.
    assert means[-1] < 0.5 * means[0] and means[-1] < 5e-3


@pytest.mark.parametrize("algo, tau", [("rtrl", None), ("tbptt", 3)])
def test_divergence_is_recorded_not_raised(rng, algo, tau):
    model, proc = _process(rng)
    res = train_online(
        model,
        model.init_params(rng),
        proc,
        5000,
        rng=2,
        algo=algo,
        tau=tau,
        schedule=PowerSchedule(1e6, 1000, 0.75),
        backend="numpy",
        # the growth rules off: this test is about overflow (test_faults.py tests growth)
        divergence={"loss_factor": None, "theta_bound": None},
    )
    assert res.status == "diverged"
    assert res.stopped_at is not None and res.stopped_at < 5000
    assert "non-finite" in res.message and str(res.stopped_at) in res.message
    assert np.all(np.isfinite(res.losses)) and res.n_steps_run <= res.stopped_at + 1
    assert np.all(np.isfinite(res.param_path)) and np.all(np.isfinite(model.flatten(res.params)))
    d = res.to_dict()
    assert d["status"] == "diverged" and d["stopped_at"] == res.stopped_at


def test_interrupt_keeps_finished_work(rng):
    model, proc = _process(rng)
    seen = []

    def on_record(partial):
        seen.append(partial.n_steps_run)
        if len(seen) == 3:
            raise KeyboardInterrupt

    res = train_online(
        model,
        model.init_params(rng),
        proc,
        1000,
        rng=3,
        record_every=100,
        schedule=PowerSchedule(0.1),
        on_record=on_record,
        catch_interrupt=True,
        backend="numpy",
    )
    assert seen == [100, 200, 300]
    assert res.status == "interrupted" and res.n_steps_run == 300
    seen.clear()
    with pytest.raises(KeyboardInterrupt):
        train_online(
            model,
            model.init_params(rng),
            proc,
            1000,
            rng=3,
            record_every=100,
            schedule=PowerSchedule(0.1),
            on_record=on_record,
            backend="numpy",
        )


def test_same_seed_same_run(rng):
    model, proc = _process(rng)
    p0 = model.init_params(rng)
    runs = [
        train_online(model, p0, proc, 500, rng=9, schedule=PowerSchedule(0.2), backend="numpy")
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].losses, runs[1].losses)


def test_trainer_rejects_bad_input(rng):
    model, proc = _process(rng)
    p0 = model.init_params(rng)
    s = PowerSchedule(0.1)
    with pytest.raises(ValueError, match="tau: TBPTT needs"):
        train_online(model, p0, proc, 10, schedule=s, algo="tbptt")
    with pytest.raises(ValueError, match="algo: expected one of"):
        train_online(model, p0, proc, 10, schedule=s, algo="sgd")
    with pytest.raises(ValueError, match="schedule: violates Assumption 2.14"):
        train_online(model, p0, proc, 10, schedule=PowerSchedule(0.1, gamma=0.2))
    with pytest.raises(ValueError, match="data: X has 5 steps, fewer than n_steps = 10"):
        train_online(model, p0, (np.zeros((5, 2)), np.zeros(5)), 10, schedule=s)
    with pytest.raises(ValueError, match="X: contains"):
        train_online(model, p0, (np.full((10, 2), np.nan), np.zeros(10)), 10, schedule=s)
    with pytest.raises(ValueError, match="schedule: eta_0 must be a positive finite number"):
        train_online(
            model, p0, proc, 10, schedule=lambda t: -0.1 + 0 * t, allow_non_robbins_monro=True
        )
    with pytest.raises(ValueError, match="schedule: learning rates must be positive.*eta_1 = 0.0"):
        train_online(
            model, p0, proc, 10, schedule=lambda t: 0.1 - 0.1 * t, allow_non_robbins_monro=True
        )
    with pytest.raises(ValueError, match="n_steps: expected a positive integer"):
        train_online(model, p0, proc, 0, schedule=s)
    with pytest.raises(ValueError, match="backend: expected one of"):
        train_online(model, p0, proc, 10, schedule=s, backend="gpu")
    with pytest.raises(TypeError, match="data: expected a DataProcess"):
        train_online(model, p0, [1, 2], 10, schedule=s)


def test_numba_and_numpy_trainers_agree_over_a_long_run(rng):
    pytest.importorskip("numba")
    model, proc = _process(rng)
    p0 = model.init_params(rng)
    kw = dict(rng=4, schedule=PowerSchedule(0.5, 500, 0.75), record_every=700)
    a = train_online(model, p0, proc, 3000, backend="numpy", **kw)
    b = train_online(model, p0, proc, 3000, backend="numba", **kw)
    assert b.backend == "numba" and a.backend == "numpy"
    # Same recursion, different summation order: rounding only (observed ~1e-16 over 3000 steps;
    # the parameter dynamics are contracting here, so rounding does not grow).
    np.testing.assert_allclose(b.losses, a.losses, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(b.param_path, a.param_path, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(b.path_steps, a.path_steps)


def test_numba_trainer_records_divergence_like_numpy(rng):
    pytest.importorskip("numba")
    model, proc = _process(rng)
    p0 = model.init_params(rng)
    kw = dict(rng=2, schedule=PowerSchedule(1e6, 1000, 0.75))
    a = train_online(model, p0, proc, 5000, backend="numpy", **kw)
    b = train_online(model, p0, proc, 5000, backend="numba", **kw)
    assert a.status == b.status == "diverged"
    assert a.stopped_at == b.stopped_at and a.n_steps_run == b.n_steps_run
