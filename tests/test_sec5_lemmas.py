"""Lemmas 5.2-5.4 of [P1] (issue 12): the fluctuation split into its three parts on the
linear-Gaussian system, the closed-form theta-gradient of P v, and the three checks failing on
their mutants."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from rtrl_theory import oracles
from rtrl_theory.checks import discover
from rtrl_theory.oracles import _lyapunov
from rtrl_theory.runners import PowerSchedule, train_online

REGISTRY = discover()


@pytest.fixture(scope="module")
def linear_run():
    """A 40-step online RTRL run of the prop-5.1 system with its data (fixed seed)."""
    from proofs_checks import _decomposition as dec

    model, params, process = dec.system()
    sched = PowerSchedule(0.1, 20.0, 0.8)
    T = 40
    res = train_online(
        model, params, process, T, schedule=sched, rng=np.random.default_rng(7), record_every=1
    )
    X, Y = process.sample(T, np.random.default_rng(7))  # what the trainer's stream drew
    path = np.asarray(res.param_path)
    eta = sched(np.arange(T, dtype=float))
    return model, process, path, X, Y, eta


def test_replayed_states_give_the_trainers_directions(linear_run):
    # Truth: the trainer (compiled kernel) itself; the replay runs the NumPy engine and the
    # oracle's joint-system readout. Rounding of two double-precision recursions: 1e-10.
    model, process, path, X, Y, eta = linear_run
    st = oracles.linear_run_states(model, process, path, X, Y)
    np.testing.assert_allclose(st.direction, -np.diff(path, axis=0) / eta[:, None], atol=1e-10)
    assert st.u.shape == (path.shape[0], 17) and st.noise[0] == 0.0


def test_split_sums_to_the_trainers_fluctuation(linear_run):
    # Truth: phi_t = grad L . (G~_t - grad L) from the trainer's step and the Lyapunov route of
    # grad L (linear_stationary), a route that shares no computation with v and P v. Both are
    # O(1) double-precision numbers: 1e-10.
    model, process, path, X, Y, eta = linear_run
    st = oracles.linear_run_states(model, process, path, X, Y)
    pc = oracles.fluctuation_pieces_linear(model, process, path, st, eta)
    g = np.array([oracles.linear_stationary(model, th, process).grad for th in path[:-1]])
    G_tr = -np.diff(path, axis=0) / eta[:, None]
    phi_tr = np.einsum("tp,tp->t", g, G_tr - g)
    np.testing.assert_allclose(pc.phi, phi_tr, atol=1e-10)
    ps = pc.partial_sums()
    parts = ps["martingale"] + ps["theta_move"] + ps["step_change"]
    np.testing.assert_allclose(parts, np.cumsum(eta * phi_tr), atol=1e-10)  # every prefix
    assert pc.theta_move[0] == 0.0 and pc.step_change[0] == 0.0


def test_Pv_theta_gradient_matches_finite_differences(linear_run):
    # Truth: central differences of the closed-form P v (poisson_solution_linear) at theta +- h,
    # h = 1e-5: truncation ~h^2 |third derivative| ~ 1e-10, rounding ~1e-16 |Pv| / h ~ 1e-11;
    # tolerance 1e-7 (the gradients are O(0.1)).
    model, process, path, X, Y, eta = linear_run
    st = oracles.linear_run_states(model, process, path, X, Y)
    th, u = path[10], st.u[10:12]
    grad = oracles.Pv_theta_gradient(model, th, process, u)
    h = 1e-5
    fd = np.empty_like(grad)
    for p in range(th.size):
        e = np.zeros_like(th)
        e[p] = h
        plus = oracles.poisson_solution_linear(model, th + e, process, direction="grad")
        minus = oracles.poisson_solution_linear(model, th - e, process, direction="grad")
        fd[:, p] = (plus.Pv(u, np.zeros(2)) - minus.Pv(u, np.zeros(2))) / (2 * h)
    np.testing.assert_allclose(grad, fd, atol=1e-7)
    assert np.abs(grad).max() > 1e-2  # not trivially zero


def test_batched_stein_solves_match_scipy(rng):
    # Truth: scipy's solve_discrete_lyapunov (solve_stein) one right-hand side at a time.
    import scipy.linalg

    from rtrl_theory.oracles._fluctuation import _stein_many

    n = 5
    M = rng.standard_normal((n, n))
    M *= 0.9 / np.max(np.abs(np.linalg.eigvals(M)))
    R = rng.standard_normal((3, n, n))
    lu = scipy.linalg.lu_factor(np.eye(n * n) - np.kron(M, M))
    X = _stein_many(lu, R)
    Xa = _stein_many(lu, R, adjoint=True)
    for k in range(3):
        np.testing.assert_allclose(X[k], _lyapunov.solve_stein(M, R[k]), atol=1e-10)
        np.testing.assert_allclose(Xa[k], _lyapunov.solve_stein(M.T, R[k]), atol=1e-10)


def test_replay_refuses_short_data(linear_run):
    model, process, path, X, Y, eta = linear_run
    with pytest.raises(ValueError, match="X, Y"):
        oracles.linear_run_states(model, process, path, X[:5], Y[:5])


@pytest.mark.slow
@pytest.mark.parametrize("cid", ["lemma-5.2", "lemma-5.3", "lemma-5.4"])
def test_sec5_lemma_checks_pass_at_seed_0(cid):
    from proofs_checks import _decomposition as dec

    with mock.patch.object(dec, "_CACHE", {}):
        res = REGISTRY[cid].check(quick=True, seed=0)
    assert res.status == "pass", res.reason


@pytest.mark.slow
@pytest.mark.parametrize(
    "cid, mutant",
    [
        (cid, m.name)
        for cid in ("lemma-5.2", "lemma-5.3", "lemma-5.4")
        for m in REGISTRY[cid].MUTANTS
        if m.catchable
    ],
)
def test_sec5_lemma_checks_fail_on_each_mutant(cid, mutant):
    from proofs_checks import _decomposition as dec

    m = {x.name: x for x in REGISTRY[cid].MUTANTS}[mutant]
    with mock.patch.object(dec, "_CACHE", {}), m.patch():
        res = REGISTRY[cid].check(quick=True, seed=0)
    assert res.status == "fail"
