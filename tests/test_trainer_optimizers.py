"""Online trainer with RMSprop, mini-batches of sequences and generic cells (issue 5, item 2).

Truth: (2.24)-(2.26) of [P1] and the RMSprop rule written out by hand with math.* for N = d = 1;
the forward engine ``rtrl_sequences`` (a code path independent of the trainer's online loop and of
BPTT) for the mini-batch gradients of larger models; single-sequence runs for batches of identical
sequences.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rtrl_theory import PaperParams, PaperRNN, RNNModel
from rtrl_theory.cells import (
    Cell,
    Linearization,
    ParamBlock,
    RowLocalTerm,
    SquaredErrorReadout,
    StateJacobian,
)
from rtrl_theory.cli import main
from rtrl_theory.data import DataProcess, ExampleChain, TeacherTarget
from rtrl_theory.engine import initial_sensitivities, numba_available, rtrl_sequences
from rtrl_theory.runners import SGD, PowerSchedule, RMSprop, RMSpropState, train_online

SCHED = PowerSchedule(0.3, t0=2.0, gamma=0.75)


def _sig(u):
    return 1.0 / (1.0 + math.exp(-u))


def _sgd_hand(theta, g, eta, state):
    return [p - eta * gi for p, gi in zip(theta, g, strict=True)], state


def _rmsprop_hand(beta, eps):
    """v <- beta v + (1 - beta) g^2; theta <- theta - eta g / (sqrt(v) + eps), coordinatewise."""

    def update(theta, g, eta, v):
        v = [beta * vi + (1 - beta) * gi * gi for vi, gi in zip(v, g, strict=True)]
        new = [p - eta * gi / (math.sqrt(vi) + eps) for p, gi, vi in zip(theta, g, v, strict=True)]
        return new, v

    return update


def _hand_rtrl_batch(theta, Xs, Ys, etas, update, state, cf=0.8, cg=1.5):
    """(2.24)-(2.26) for N = d = 1 by hand, B chains sharing (a, w, b), mean of the chain gradients.

    ``Xs``, ``Ys``: one list per chain. Returns the final parameters and, per step, the chain mean
    of the losses and the norm of the mean gradient.
    """
    f = lambda v: cf * math.tanh(v)  # noqa: E731
    fp = lambda v: cf * (1 - math.tanh(v) ** 2)  # noqa: E731
    g = lambda v: cg * math.tanh(v)  # noqa: E731
    gp = lambda v: cg * (1 - math.tanh(v) ** 2)  # noqa: E731
    B = len(Xs)
    chains = [(0.0, 0.0, 0.0)] * B  # (S, J^W, J^B) of each chain
    out = []
    for t in range(len(Xs[0])):
        a, w, b = theta
        loss, grad, new_chains = 0.0, [0.0, 0.0, 0.0], []
        for (S, JW, JB), X, Y in zip(chains, Xs, Ys, strict=True):
            Sn = _sig(f(b) * S + g(w) * X[t])
            D = Sn * (1 - Sn)
            JW, JB = D * (f(b) * JW + gp(w) * X[t]), D * (f(b) * JB + fp(b) * S)
            r = a * Sn - Y[t]
            loss += 0.5 * r * r / B
            for i, gi in enumerate((r * Sn, r * a * JW, r * a * JB)):
                grad[i] += gi / B
            new_chains.append((Sn, JW, JB))
        out.append((loss, math.sqrt(sum(gi * gi for gi in grad))))
        theta, state = update(theta, grad, etas[t], state)
        chains = new_chains
    return theta, out


def _scalar_problem():
    model = PaperRNN(1, 1, c_f=0.8, c_g=1.5)
    p0 = PaperParams(np.array([0.7]), np.array([[0.4]]), np.array([[-0.9]]))
    X = np.array([[[0.5], [-1.0], [0.8], [0.3]], [[-0.2], [0.9], [0.1], [-0.7]]])
    Y = np.array([[0.2, -0.1, 0.4, 0.0], [0.5, 0.3, -0.2, 0.1]])
    return model, p0, X, Y


@pytest.mark.parametrize(
    "optimizer, beta, eps", [("rmsprop", 0.9, 1e-8), (RMSprop(beta=0.5, eps=1e-3), 0.5, 1e-3)]
)
def test_first_rmsprop_steps_match_a_hand_computation(optimizer, beta, eps):
    model, p0, X, Y = _scalar_problem()
    etas = [SCHED(t) for t in range(4)]
    theta, steps = _hand_rtrl_batch(
        [0.7, 0.4, -0.9], [X[0, :, 0]], [Y[0]], etas, _rmsprop_hand(beta, eps), [0.0] * 3
    )
    res = train_online(
        model, p0, (X[0], Y[0]), 4, schedule=SCHED, optimizer=optimizer, record_every=2
    )
    # "auto" runs RMSprop compiled too (select_backend); the arithmetic is the same.
    assert res.backend == ("numba" if numba_available() else "numpy")
    # Same arithmetic up to summation order: float64 rounding only.
    np.testing.assert_allclose(res.losses, [s[0] for s in steps], rtol=1e-13)
    np.testing.assert_allclose(res.grad_norms, [s[1] for s in steps], rtol=1e-13)
    np.testing.assert_allclose(model.flatten(res.params), theta, rtol=1e-13)
    assert res.config["optimizer"] == {"name": "rmsprop", "beta": beta, "eps": eps}


@pytest.mark.parametrize("opt", ["sgd", "rmsprop"])
def test_batch_of_different_sequences_matches_a_hand_computation(opt):
    model, p0, X, Y = _scalar_problem()
    etas = [SCHED(t) for t in range(4)]
    update, state0 = (_sgd_hand, None) if opt == "sgd" else (_rmsprop_hand(0.9, 1e-8), [0.0] * 3)
    theta, steps = _hand_rtrl_batch(
        [0.7, 0.4, -0.9], [X[0, :, 0], X[1, :, 0]], list(Y), etas, update, state0
    )
    res = train_online(model, p0, (X, Y), 4, schedule=SCHED, optimizer=opt, batch_size=2)
    # Rounding only (as above); the recorded loss is the chain mean.
    np.testing.assert_allclose(res.losses, [s[0] for s in steps], rtol=1e-13)
    np.testing.assert_allclose(res.grad_norms, [s[1] for s in steps], rtol=1e-13)
    np.testing.assert_allclose(model.flatten(res.params), theta, rtol=1e-13)
    assert res.config["batch_size"] == 2 and res.backend == "numpy"


def _paper_problem(rng, B=4, T=40):
    model = PaperRNN(3, 2)
    p0 = model.init_params(rng)
    X, Y = rng.uniform(-1, 1, (B, T, 2)), rng.uniform(-1, 1, (B, T))
    return model, p0, X, Y


def test_first_batch_update_is_the_mean_of_the_single_sequence_gradients(rng):
    model, p0, X, Y = _paper_problem(rng)
    theta0 = model.flatten(p0)
    # rtrl_sequences on one step: the per-chain first-step gradients (forward engine).
    g = rtrl_sequences(model, theta0, X[:, :1], Y[:, :1]).grad
    res = train_online(model, p0, (X, Y), 1, schedule=SCHED, batch_size=4)
    # Same recursion, chains stacked in one GEMM instead of one each: rounding only.
    np.testing.assert_allclose(
        model.flatten(res.params), theta0 - SCHED(0) * g.mean(axis=0), rtol=1e-13
    )
    np.testing.assert_allclose(res.grad_norms[0], np.linalg.norm(g.mean(axis=0)), rtol=1e-13)
    singles = [
        train_online(model, p0, (X[c], Y[c]), 1, schedule=SCHED, backend="numpy") for c in range(4)
    ]
    # SGD is linear in the gradient: the batch step is the mean of the single-sequence steps.
    mean_single = np.mean([model.flatten(s.params) for s in singles], axis=0)
    np.testing.assert_allclose(model.flatten(res.params), mean_single, rtol=1e-13)
    np.testing.assert_allclose(res.losses[0], np.mean([s.losses[0] for s in singles]), rtol=1e-13)


@pytest.mark.parametrize("opt", ["sgd", "rmsprop"])
def test_tbptt_with_a_batch_matches_forward_engine_block_gradients(rng, opt):
    model, p0, X, Y = _paper_problem(rng, B=3, T=8)
    tau, theta0 = 4, model.flatten(p0)
    beta, eps = 0.9, 1e-8

    def update(theta, g, eta, v):
        if opt == "sgd":
            return theta - eta * g, v
        v = beta * v + (1 - beta) * g * g
        return theta - eta * g / (np.sqrt(v) + eps), v

    # Block 1 from S_0 = 0; block 2 from each chain's carried state with zero sensitivity.
    # CONVENTION: eta_{block start} times the sum over the block = tau * (mean over the block).
    r1 = rtrl_sequences(model, theta0, X[:, :tau], Y[:, :tau])
    theta1, v = update(theta0, tau * r1.grad.mean(axis=0), SCHED(0), np.zeros_like(theta0))
    st = initial_sensitivities(model.cell, 3, S0=r1.state.S)
    r2 = rtrl_sequences(model, theta1, X[:, tau:], Y[:, tau:], state=st)
    theta2, _ = update(theta1, tau * r2.grad.mean(axis=0), SCHED(tau), v)
    res = train_online(
        model, p0, (X, Y), 8, schedule=SCHED, algo="tbptt", tau=tau, optimizer=opt, batch_size=3
    )
    # BPTT vs forward accumulation: rounding only (RMSprop's g / sqrt(v) is scale-free, so the
    # relative rounding of g carries over unamplified).
    np.testing.assert_allclose(res.param_path[-1], theta2, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(res.update_steps, [0, tau])
    # Recorded losses: mean over the chains at each step; the block losses are their time means.
    np.testing.assert_allclose(res.losses[:tau].mean(), r1.loss.mean(), rtol=1e-13)
    np.testing.assert_allclose(res.losses[tau:].mean(), r2.loss.mean(), rtol=1e-13)


@pytest.mark.parametrize("opt", ["sgd", "rmsprop"])
@pytest.mark.parametrize("algo, tau", [("rtrl", None), ("tbptt", 4)])
def test_batch_of_identical_sequences_is_the_single_sequence_run(rng, opt, algo, tau):
    model, p0, X, Y = _paper_problem(rng, B=1, T=200)
    kw = dict(schedule=PowerSchedule(0.1, 100, 0.75), optimizer=opt, algo=algo, tau=tau)
    one = train_online(model, p0, (X[0], Y[0]), 200, backend="numpy", **kw)
    three = train_online(
        model, p0, (np.repeat(X, 3, 0), np.repeat(Y, 3, 0)), 200, batch_size=3, **kw
    )
    # One chain advances by a GEMM with the coefficients folded in first, three chains by one
    # stacked GEMM (engine._forward.apply_state_jacobian): the same sums rounded differently, and
    # the mean of three equal numbers is that number to one ulp. Observed over 200 steps: 6e-15 on
    # the parameters, 2e-13 relative on losses and gradient norms (the dynamics contract, rounding
    # does not grow), so 1e-11 is rounding with margin.
    np.testing.assert_allclose(three.param_path, one.param_path, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(three.losses, one.losses, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(three.grad_norms, one.grad_norms, rtol=1e-11, atol=1e-14)
    np.testing.assert_array_equal(three.update_steps, one.update_steps)


def _teacher_process(rng):
    model = PaperRNN(3, 2)
    proc = DataProcess(
        ExampleChain(2, 0.5), TeacherTarget(model, model.init_params(rng, scale=2.0))
    )
    return model, proc


@pytest.mark.parametrize("B", [1, 3])
@pytest.mark.parametrize("algo, tau", [("rtrl", None), ("tbptt", 3)])
def test_rmsprop_divergence_is_recorded_not_raised(rng, B, algo, tau):
    # RMSprop moves each coordinate by about eta_0 / sqrt(1 - beta) = 3e200 at the first update,
    # so alpha . S ~ 1e200 and the next loss 1/2 r^2 overflows.
    model, proc = _teacher_process(rng)
    res = train_online(
        model,
        model.init_params(rng),
        proc,
        200,
        rng=2,
        algo=algo,
        tau=tau,
        optimizer="rmsprop",
        batch_size=B,
        schedule=PowerSchedule(1e200, 1000, 0.75),
        # the growth rules off: this test is about overflow (test_faults.py tests growth)
        divergence={"loss_factor": None, "theta_bound": None},
    )
    assert res.status == "diverged" and res.stopped_at == (1 if algo == "rtrl" else tau)
    assert "loss became non-finite" in res.message and str(res.stopped_at) in res.message
    assert np.all(np.isfinite(res.losses)) and res.n_steps_run == res.stopped_at
    assert np.all(np.isfinite(res.param_path)) and np.all(np.isfinite(model.flatten(res.params)))


@pytest.mark.parametrize("algo, tau", [("rtrl", None), ("tbptt", 3)])
def test_sgd_batch_divergence_is_recorded_not_raised(rng, algo, tau):
    model, proc = _teacher_process(rng)
    res = train_online(
        model,
        model.init_params(rng),
        proc,
        3000,
        rng=2,
        algo=algo,
        tau=tau,
        batch_size=4,
        schedule=PowerSchedule(1e6, 1000, 0.75),
        divergence={"loss_factor": None, "theta_bound": None},  # overflow only, as above
    )
    assert res.status == "diverged" and res.stopped_at < 3000
    assert "non-finite" in res.message and str(res.stopped_at) in res.message
    assert np.all(np.isfinite(res.losses)) and np.all(np.isfinite(res.param_path))
    assert res.to_dict()["config"]["batch_size"] == 4


class _OverflowingState:
    """SGD whose (artificial) state overflows at the second update: tests the state check."""

    name = "overflowing"

    def init(self, theta):
        return np.ones(1)

    def update(self, theta, grad, eta, state):
        return theta - eta * grad, state * 1e200

    def state_is_finite(self, state):
        return bool(np.all(np.isfinite(state)))


@pytest.mark.parametrize("algo, tau", [("rtrl", None), ("tbptt", 3)])
def test_non_finite_optimizer_state_is_divergence(rng, algo, tau):
    model, proc = _teacher_process(rng)
    p0 = model.init_params(rng)
    kw = dict(rng=2, algo=algo, tau=tau, schedule=PowerSchedule(0.1), record_every=30)
    res = train_online(model, p0, proc, 60, optimizer=_OverflowingState(), **kw)
    first = 1 if algo == "rtrl" else tau  # the update that makes 1e400
    where = "step" if algo == "rtrl" else "the block starting at step"
    assert res.status == "diverged" and res.stopped_at == first
    assert f"optimizer state became non-finite in the update of {where} {first}" in res.message
    # The failing update is discarded: theta is the one after the first (SGD) update.
    ref = train_online(model, p0, proc, first, optimizer="sgd", backend="numpy", **kw)
    np.testing.assert_array_equal(model.flatten(res.params), model.flatten(ref.params))
    assert res.config["optimizer"]["name"] == "_OverflowingState"  # no to_dict: name and repr


class GatedToyCell(Cell):
    r"""S' = z * S + (1 - z) * n, z = sigma(V S + c), n = tanh(W S + U X).

    Copied from tests/test_cell_interface.py: a diagonal state-Jacobian term and two shared
    matrices (the shape of a GRU's Jacobian), nothing of the paper's RNN.
    """

    def __init__(self, N, d):
        self.n_state, self.n_input = N, d
        off, blocks = 0, []
        for name, m in [("W", N), ("U", d), ("V", N), ("c", 1)]:
            blocks.append(ParamBlock(name, N, m, off))
            off += N * m
        self.blocks = tuple(blocks)
        self.n_params = off

    def prepare(self, theta):
        return {b.name: b.unflatten(theta) for b in self.blocks}

    def _parts(self, p, S, X):
        z = 1 / (1 + np.exp(-(S @ p["V"].T + p["c"][:, 0])))
        n = np.tanh(S @ p["W"].T + X @ p["U"].T)
        return z, n

    def step(self, p, S, X):
        z, n = self._parts(p, S, X)
        return z * S + (1 - z) * n

    def linearize(self, p, S, X):
        z, n = self._parts(p, S, X)
        a_n, a_z = (1 - z) * (1 - n * n), (S - n) * z * (1 - z)
        off = {b.name: b.offset for b in self.blocks}
        return Linearization(
            S_next=z * S + (1 - z) * n,
            state_jac=StateJacobian(diag=z, coefs=(a_z, a_n), mats=(p["V"], p["W"])),
            param_terms=(
                RowLocalTerm(off["W"], a_n, S),
                RowLocalTerm(off["U"], a_n, X),
                RowLocalTerm(off["V"], a_z, S),
                RowLocalTerm(off["c"], a_z, np.ones((S.shape[0], 1))),
            ),
        )


@pytest.mark.parametrize(
    "algo, tau, opt, B, eta0",
    [
        ("rtrl", None, "sgd", 1, 0.2),
        ("rtrl", None, "rmsprop", 2, 0.01),
        ("tbptt", 5, "sgd", 2, 0.05),
        ("tbptt", 5, "rmsprop", 1, 0.01),
    ],
)
def test_generic_cell_learns_a_teacher(algo, tau, opt, B, eta0):
    # A teacher of the same gated class with readout entries +-2 (so the targets vary), a small
    # random student. Smoke test of learning, not a rate: with seed 0 the last/first window ratio
    # is 0.04 to 0.22 over the four cases; over seeds 0-9 it is below 0.5 in 35 of 40 runs.
    rng = np.random.default_rng(0)
    model = RNNModel(GatedToyCell(2, 1), SquaredErrorReadout(2))
    theta_star = rng.standard_normal(model.n_params)
    theta_star[:2] = 2.0 * np.sign(theta_star[:2])
    proc = DataProcess(
        ExampleChain(1, 0.5, noise=1.0), TeacherTarget(model, theta_star, noise=0.01)
    )
    res = train_online(
        model,
        0.1 * rng.standard_normal(model.n_params),
        proc,
        3000,
        rng=5,
        algo=algo,
        tau=tau,
        optimizer=opt,
        batch_size=B,
        schedule=PowerSchedule(eta0, 500, 0.75),
    )
    assert res.status == "completed" and res.backend == "numpy"
    assert isinstance(res.params, np.ndarray) and res.params.shape == (model.n_params,)
    _, means = res.loss_windows(500)
    assert means[-1] < 0.5 * means[0], means


def test_numba_backend_refuses_what_it_does_not_cover(rng):
    pytest.importorskip("numba")
    model, p0, X, Y = _paper_problem(rng, B=2, T=5)
    s = PowerSchedule(0.1)
    with pytest.raises(ValueError, match=r"backend: 'numba' .*batch_size = 2, not 1"):
        train_online(model, p0, (X, Y), 5, schedule=s, batch_size=2, backend="numba")
    with pytest.raises(ValueError, match=r"backend: 'numba' .*TBPTT runs on the NumPy engine"):
        train_online(model, p0, (X[0], Y[0]), 5, schedule=s, algo="tbptt", tau=2, backend="numba")
    gated = RNNModel(GatedToyCell(2, 2), SquaredErrorReadout(2))
    with pytest.raises(
        ValueError, match="backend: 'numba' .*the cell GatedToyCell has no compiled description"
    ):
        train_online(gated, np.zeros(gated.n_params), (X[0], Y[0]), 5, schedule=s, backend="numba")
    # auto: compiled for a covered cell with SGD or RMSprop and batch_size 1 (select_backend).
    res = train_online(model, p0, (X[0], Y[0]), 5, schedule=s)
    assert res.backend == "numba" and "covers PaperCell" in res.backend_reason
    assert train_online(model, p0, (X[0], Y[0]), 5, schedule=s, optimizer=SGD()).backend == "numba"
    assert train_online(model, p0, (X[0], Y[0]), 5, schedule=s, optimizer="rmsprop").backend == (
        "numba"
    )
    res = train_online(model, p0, (X, Y), 5, schedule=s, batch_size=2)
    assert res.backend == "numpy" and "batch_size = 2" in res.to_dict()["backend_reason"]


def test_trainer_rejects_bad_optimizer_and_batch_input(rng):
    model, p0, X, Y = _paper_problem(rng, B=2, T=5)
    s = PowerSchedule(0.1)
    with pytest.raises(ValueError, match="optimizer: expected one of"):
        train_online(model, p0, (X, Y), 5, schedule=s, optimizer="adam", batch_size=2)
    with pytest.raises(TypeError, match="optimizer: expected 'sgd', 'rmsprop' or an object"):
        train_online(model, p0, (X, Y), 5, schedule=s, optimizer=42, batch_size=2)
    with pytest.raises(ValueError, match="batch_size: expected a positive integer"):
        train_online(model, p0, (X, Y), 5, schedule=s, batch_size=0)
    with pytest.raises(ValueError, match=r"X: batch_size = 2 needs X of shape \(2, T, 2\)"):
        train_online(model, p0, (X[0], Y[0]), 5, schedule=s, batch_size=2)
    with pytest.raises(ValueError, match=r"X: expected shape \(3, \*, 2\)"):
        train_online(model, p0, (X, Y), 5, schedule=s, batch_size=3)
    with pytest.raises(ValueError, match=r"Y: expected shape \(2, 5\)"):
        train_online(model, p0, (X, Y[0]), 5, schedule=s, batch_size=2)
    _, proc = _teacher_process(rng)
    with pytest.raises(ValueError, match="data: the stream has n_chains = 3 but batch_size = 2"):
        train_online(model, p0, proc.stream(1, n_chains=3), 5, schedule=s, batch_size=2)
    with pytest.raises(ValueError, match="data: expected a stream with n_chains = batch_size"):
        train_online(model, p0, proc.stream(1), 5, schedule=s, batch_size=2)
    # Assumption 2.14 is checked whatever the optimizer.
    with pytest.raises(ValueError, match="schedule: violates Assumption 2.14"):
        train_online(
            model,
            p0,
            (X, Y),
            5,
            schedule=PowerSchedule(0.1, gamma=0.2),
            optimizer="rmsprop",
            batch_size=2,
        )
    with pytest.raises(ValueError, match=r"beta: expected a number in \[0, 1\)"):
        RMSprop(beta=1.0)
    with pytest.raises(ValueError, match="eps: expected a positive number"):
        RMSprop(eps=0.0)


def test_rmsprop_update_does_not_touch_its_inputs():
    opt = RMSprop()
    theta, g = np.array([1.0, -2.0]), np.array([0.3, 0.0])
    state = opt.init(theta)
    new, new_state = opt.update(theta, g, 0.1, state)
    assert theta.tolist() == [1.0, -2.0] and state.v.tolist() == [0.0, 0.0]
    assert isinstance(new_state, RMSpropState) and new_state.n_updates == 1
    assert new[1] == -2.0  # zero gradient, zero step (eps keeps 0/0 away)
    with pytest.raises(AttributeError):
        opt.beta = 0.5  # frozen configuration


def test_batch_stream_from_a_process_is_reproducible(rng):
    model, proc = _teacher_process(rng)
    p0 = model.init_params(rng)
    kw = dict(rng=7, schedule=PowerSchedule(0.2), optimizer="rmsprop", batch_size=3)
    a = train_online(model, p0, proc, 300, **kw)
    b = train_online(model, p0, proc, 300, record_every=7, **kw)
    # The stream's draws do not depend on how the run is cut into records.
    np.testing.assert_array_equal(a.losses, b.losses)
    X, Y = proc.sample(300, np.random.default_rng(7), n_chains=3)
    c = train_online(
        model, p0, (X, Y), 300, schedule=kw["schedule"], optimizer="rmsprop", batch_size=3
    )
    np.testing.assert_array_equal(a.losses, c.losses)


@pytest.mark.parametrize("algo", ["rtrl", "tbptt"])
def test_cli_train_optimizer_and_batch_size(tmp_path, capsys, algo):
    out = tmp_path / "run.json"
    extra = ["--tau", "4"] if algo == "tbptt" else []
    args = ["train", "--algo", algo, *extra, "--steps", "200", "--seed", "3", "--out", str(out)]
    args += ["--no-progress", "--n-hidden", "3", "--optimizer", "rmsprop", "--batch-size", "3"]
    args += ["--eta0", "0.05"]
    assert main(args) == 0
    rec = json.loads(out.read_text())
    assert rec["status"] == "completed" and rec["n_steps_run"] == 200 and rec["backend"] == "numpy"
    assert rec["config"]["optimizer"] == "rmsprop" and rec["config"]["batch_size"] == 3
    trainer = rec["config"]["trainer"]
    assert trainer["optimizer"] == {"name": "rmsprop", "beta": 0.9, "eps": 1e-8}
    assert trainer["batch_size"] == 3


def test_cli_train_defaults_and_bad_flags(tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(["train", "--steps", "20", "--out", str(out), "--no-progress"]) == 0
    rec = json.loads(out.read_text())
    assert rec["config"]["optimizer"] == "sgd" and rec["config"]["batch_size"] == 1
    assert rec["config"]["trainer"]["optimizer"] == {"name": "sgd"}
    capsys.readouterr()
    assert main(["train", "--batch-size", "0", "--out", str(out), "--no-progress",
                 "--overwrite"]) == 2  # fmt: skip
    assert "batch_size: expected a positive integer" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["train", "--optimizer", "adam", "--out", str(out)])
    assert exc.value.code == 2
