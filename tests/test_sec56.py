"""Sections 5-6 of [P1] along training (issue 12): the descent decomposition, the Remark 2.15 log
of the trainer, the Theorem 6.1 statistics, and the checks failing on wrong claims."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest

from rtrl_theory import PaperRNN, estimators
from rtrl_theory.checks import discover
from rtrl_theory.estimators import descent_decomposition
from rtrl_theory.estimators._convergence import expected_gradient_slope, log_log_slope
from rtrl_theory.runners import PowerSchedule, train_online

REGISTRY = discover()


def _quadratic_run(rng, T=30, P=3):
    """A synthetic SGD path on L(theta) = 1/2 theta'A theta - b'theta (known L, grad, Hessian)."""
    M = rng.standard_normal((P, P))
    A = M @ M.T + np.eye(P)
    b = rng.standard_normal(P)
    sched = PowerSchedule(0.1, 10.0, 1.0)
    eta = sched(np.arange(T, dtype=float))
    G = rng.standard_normal((T, P))
    path = np.vstack([np.zeros(P), -np.cumsum(eta[:, None] * G, axis=0)])
    res = SimpleNamespace(path_steps=np.arange(T + 1), param_path=path, config={})

    def oracle(th):
        return 0.5 * th @ A @ th - b @ th, A @ th - b, A

    return res, sched, oracle, A, b, G, eta


def test_decomposition_on_a_quadratic_matches_the_closed_form(rng):
    # Truth: for a quadratic L the Taylor remainder is exactly 1/2 d'A d, d = -eta_t G~_t.
    res, sched, oracle, A, b, G, eta = _quadratic_run(rng)
    d = descent_decomposition(res, sched, oracle)
    np.testing.assert_allclose(d.direction, G, rtol=1e-10)  # path differences / eta: rounding
    steps = -eta[:, None] * G
    np.testing.assert_allclose(
        d.remainder, 0.5 * np.einsum("tp,pq,tq->t", steps, A, steps), rtol=1e-7, atol=1e-14
    )  # the difference of two L values ~ 1 loses ~1e-16 / eta^2 relative: 1e-7 is ample
    g = d.grad[:-1]
    np.testing.assert_allclose(d.descent, -eta * np.sum(g**2, axis=1), rtol=1e-14)
    total = d.descent + d.fluctuation + d.remainder
    np.testing.assert_allclose(total, np.diff(d.loss), rtol=1e-12, atol=1e-15)  # (2.28) algebra
    assert np.all(d.hess_change == 0.0)


def test_decomposition_needs_every_step():
    res = SimpleNamespace(path_steps=np.array([0, 2, 4]), param_path=np.zeros((3, 2)), config={})
    with pytest.raises(ValueError, match="record_every=1"):
        descent_decomposition(res, PowerSchedule(0.1, 1.0, 1.0), lambda th: (0.0, th, np.eye(2)))


def test_log_log_slope_of_a_power_law_and_the_expected_slope():
    t = np.geomspace(10, 1e4, 7)
    assert log_log_slope(t, 3.0 * t**-0.7) == pytest.approx(-0.7, abs=1e-12)  # exact power law
    # floored: a curve below its floor is flat
    assert log_log_slope(t, 1e-9 * t**-1.0, floor=np.ones_like(t)) == 0.0
    # eta = eta0 / (1 + t/t0): sqrt(eta) has slope -> -1/2 for t >> t0 (closed form)
    s = expected_gradient_slope(PowerSchedule(0.5, 10.0, 1.0), np.geomspace(1e5, 1e7, 5))
    assert s == pytest.approx(-0.5, abs=1e-3)
    with pytest.raises(ValueError, match="positive"):
        log_log_slope([0, 1], [1, 1])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_train_online_sensitivity_log(rng, backend):
    pytest.importorskip("numba") if backend == "numba" else None
    from rtrl_theory.engine import advance_first_order, initial_sensitivities

    model = PaperRNN(2, 1, c_f=0.2)
    p0 = model.init_params(rng)
    X = rng.uniform(-1, 1, (40, 1))
    Y = rng.uniform(-1, 1, 40)
    sched = PowerSchedule(0.05, 10.0, 1.0)
    off = train_online(model, p0, (X, Y), 40, schedule=sched, record_every=1, backend=backend)
    assert off.sensitivity_log is None
    on = train_online(
        model, p0, (X, Y), 40, schedule=sched, record_every=1, backend=backend,
        log_sensitivities=True,
    )
    np.testing.assert_array_equal(on.param_path, off.param_path)  # logging changes nothing
    log = on.sensitivity_log
    assert log["steps"].tolist() == list(range(1, 41))
    # independent replay with the NumPy engine along the recorded path
    st = initial_sensitivities(model.cell, 1)
    for t in range(40):
        prep = model.cell.prepare(model.split(on.param_path[t])[1])
        st, _ = advance_first_order(model.cell, prep, st, X[None, t])
        np.testing.assert_allclose(log["max_abs_J"][t], np.abs(st.Jt[0]).max(axis=1), rtol=1e-10)


def test_thm_6_1_refuses_a_setup_outside_the_hypotheses():
    # The delay-line set-up's lifted chain has lam_xi = 1 (Assumption 2.3 fails): fail at once.
    mod = REGISTRY["thm-6.1"]
    with mock.patch.object(estimators, "theorem_6_1_setup", estimators.delay_line_setup):
        res = mod.check(quick=True)
    assert res.status == "fail" and "lifted lam_xi < 1" in res.reason


@pytest.mark.slow
@pytest.mark.parametrize(
    "cid, mutant",
    [
        ("lemma-5.5", "hessian-halved"),
        ("prop-5.1", "biased-gradient"),
        ("prop-5.1", "sensitivities-zeroed"),
        ("lemma-6.2", "gradient-offset"),
        ("remark-2.15", "first-order-radii-quartered"),
    ],
)
def test_decomposition_checks_fail_on_a_wrong_claim(cid, mutant):
    from proofs_checks import _decomposition as dec

    mod = REGISTRY[cid]
    m = {x.name: x for x in mod.MUTANTS}[mutant]
    with mock.patch.object(dec, "_CACHE", {}), m.patch():
        res = mod.check(quick=True)
    assert res.status == "fail"


def test_cli_assumptions_setup_reports_the_lifted_chain(capsys):
    from rtrl_theory.cli import main

    assert main(["assumptions", "--setup", "thm-6.1"]) == 0
    out = capsys.readouterr().out
    assert "leaky trace" in out and "max(0.5, 0.85) = 0.85" in out
    assert main(["assumptions", "--setup", "delay-line"]) == 1  # lam_xi = 1: flagged
    assert "lifted lam_xi < 1 (Assumption 2.3) FAILS" in capsys.readouterr().out


def test_prop_5_1_threshold_and_self_normalized_sum():
    # Truth: closed forms. threshold(m) solves 2 exp(-x^2/2) = alpha/m; for i.i.d. symmetric
    # batches W = sum B / sqrt(sum B^2) is, by Hoeffding, beyond x with probability <= alpha/m,
    # and a drift c per step makes W grow like sqrt(K).
    from types import SimpleNamespace

    mod = REGISTRY["prop-5.1"]
    x = mod.threshold(24, 0.01)
    assert 2 * np.exp(-x * x / 2) == pytest.approx(0.01 / 24, rel=1e-12)
    rng = np.random.default_rng(5)
    runs = [SimpleNamespace(eta=np.full(200, 0.1), noise=rng.standard_normal((200, 8)))
            for _ in range(3)]
    W = mod.self_normalized(runs)
    assert W.shape == (8,)
    B = np.concatenate([(0.1 * r.noise).reshape(10, 20, 8).sum(axis=1) for r in runs])
    np.testing.assert_allclose(W, B.sum(0) / np.sqrt((B**2).sum(0)), rtol=1e-12)
    drift = [SimpleNamespace(eta=r.eta, noise=r.noise + 3.0) for r in runs]
    assert np.all(np.abs(mod.self_normalized(drift)) > x)


def test_lemma_6_2_sign_test_and_equal_mass_blocks():
    # Truth: the Binomial(9, 1/2) tail by hand, 10/512 for K >= 8 (the quick-mode level), and
    # the eta-mass of the two blocks equal up to one step's eta (the split is at an integer).
    from proofs_checks import lemma_6_2_descent as m

    assert m.sign_test_pvalue(8, 9) == pytest.approx(10 / 512, rel=1e-12)
    assert m.sign_test_pvalue(7, 9) == pytest.approx(46 / 512, rel=1e-12)
    assert m.sign_test_pvalue(0, 9) == pytest.approx(1.0)
    assert m.sign_test_pvalue(8, 9) <= m.LEVEL < m.sign_test_pvalue(7, 9)
    eta = 0.1 / (1 + np.arange(200) / 20) ** 0.6
    a, mid, n = m.equal_mass_blocks(eta)
    assert (a, n) == (25, 200) and a < mid < n
    assert abs(eta[a:mid].sum() - eta[mid:n].sum()) <= eta[mid - 1]


def _old_full_system():
    """The former full-mode set-up of lemma-6.2: the shared N = 2, d = 1 system, theta* = the
    teacher's parameters (realizable), eta_t = 0.1 / (1 + t / 20)^gamma, no pretraining."""
    from proofs_checks import _decomposition as dec
    from rtrl_theory.data import linear_sde_teacher

    model, _, process = dec.system()
    teacher = linear_sde_teacher(2, 1, rng=0, dt=0.3, dof=20)  # the teacher of dec.system()
    return model, model.flatten(teacher.params), process


def test_lemma_6_2_full_setup_is_inside_the_premise():
    # Truth: the closed-form oracle (differentiated Lyapunov equations) for grad L = 0 at the
    # teacher's balanced point; a finite-difference Hessian of the closed-form loss (a route
    # that shares no derivative computation with the oracle's Hessian) for the spectrum; the
    # analytic GL(1) generator (-C, 0, B) for the kernel; the margins by hand from h_min.
    from proofs_checks import _decomposition as dec
    from rtrl_theory import oracles

    model, th, process = dec.l62_system()
    p = model.unflatten(th)
    assert np.linalg.norm(p.C) == pytest.approx(np.linalg.norm(p.B), rel=1e-12)  # balanced
    o = oracles.linear_stationary(model, th, process)
    assert np.linalg.norm(o.grad) < 1e-10  # a minimum: L is a rational function, exact to ~1e-15
    h, P = 1e-4, th.size
    E = np.eye(P) * h
    loss = lambda x: oracles.linear_stationary(model, x, process).loss  # noqa: E731
    Hfd = np.array([[(loss(th + E[i] + E[j]) - loss(th + E[i] - E[j]) - loss(th - E[i] + E[j])
                      + loss(th - E[i] - E[j])) / (4 * h * h) for j in range(P)] for i in range(P)])
    # central second differences: truncation O(h^2 L'''') ~ 1e-8, rounding 1e-16 / h^2 ~ 1e-8
    np.testing.assert_allclose(Hfd, o.hessian, atol=1e-6)
    gen = np.concatenate([-p.C, np.zeros(1), p.B.ravel()])  # d/dm (C / m, A, m B) at m = 1
    assert np.linalg.norm(o.hessian @ gen) < 1e-10 * np.linalg.norm(gen)
    ev = np.linalg.eigvalsh(Hfd)
    prem = dec.l62_premise(model, th, process)
    assert prem["ok"], prem["failures"]
    assert prem["kernel_dim"] == 1 == prem["kernel_expected"]
    assert prem["h_min"] == pytest.approx(ev[1], abs=1e-5) and prem["h_min"] > 0.5
    for g in dec.GAMMAS:
        M = 2 * ev[1] * dec.L62_ETA0 * dec.L62_T0 / g - 1
        assert prem["margins"][str(g)] == pytest.approx(M, abs=1e-3) and M >= dec.L62_MIN_MARGIN


def test_lemma_6_2_premise_flags_the_old_full_setup():
    # The old set-up: transverse curvature 0.0012 at the minimum, eta0 T0 = 2, so the margin
    # 2 h_min eta0 T0 - 1 < 0; no pretraining (spread ratio 0). The check fails on the premise
    # at once, before any run.
    from proofs_checks import _decomposition as dec

    model, th, process = _old_full_system()
    prem = dec.l62_premise(model, th, process, eta0=0.1, t0=20.0, pre_steps=0)
    assert not prem["ok"] and prem["kernel_dim"] == 4
    assert prem["h_min"] < 0.01 and all(m < 0 for m in prem["margins"].values())
    assert any("relaxation margin" in f for f in prem["failures"])
    mod = REGISTRY["lemma-6.2"]
    with (mock.patch.object(dec, "l62_system", _old_full_system),
          mock.patch.multiple(dec, L62_ETA0=0.1, L62_T0=20.0, L62_PRE_STEPS=0),
          mock.patch.object(dec, "l62_runs", side_effect=AssertionError("ran")) as runs):
        res = mod.check(quick=False)
    assert res.status == "fail" and "premise of the sign test fails" in res.reason
    assert not runs.called


@pytest.mark.parametrize("h, expect_tracking", [(0.79, True), (0.0012, False)])
def test_lemma_6_2_relaxation_margin_of_the_variance_recursion(h, expect_tracking):
    # Truth: the exact second-moment recursion of linearised SGD in one direction,
    # V_{t+1} = (1 - eta_t h)^2 V_t + eta_t^2 Sigma, with eta_t = eta0 / (1 + t / T0) (gamma 1).
    # With margin M = 2 h eta0 T0 - 1 >= 2, V / eta settles (within O(eta h) discreteness) at
    # Sigma / (2 h - 1 / (eta0 T0)) and, started from the pretraining's spread (constant rate
    # 2 eta0), only decreases after the start; with M < 0 it grows like u^-M (u = T0 + t).
    eta0, T0, sigma, n = 0.05, 100.0, 1.0, 20000
    eta = eta0 / (1 + np.arange(n) / T0)
    V = 2 * eta0 * sigma / (h * (2 - 2 * eta0 * h))  # stationary at the constant rate 2 eta0
    w = np.empty(n)
    for t in range(n):
        w[t] = V / eta[t]
        V = (1 - eta[t] * h) ** 2 * V + eta[t] ** 2 * sigma
    M = 2 * h * eta0 * T0 - 1
    if expect_tracking:
        assert M >= 2
        assert w[-1] == pytest.approx(sigma / (2 * h - 1 / (eta0 * T0)), rel=0.01)
        assert np.all(np.diff(w[n // 8:]) <= 1e-12 * w[0])  # non-increasing in the blocks
    else:
        growth = ((T0 + n) / (T0 + n // 8)) ** -M  # 7.6 here; the noise input only adds to it
        assert M < 0 and w[-1] > 0.9 * growth * w[n // 8]


@pytest.mark.slow
def test_lemma_6_2_full_mode_fails_on_the_gradient_offset():
    # The full-mode path (premise, pretraining, own runs) on reduced sizes, 3 runs x 2000 steps per
    # schedule (N = 9, fail iff K >= 8): a gradient offset c makes Q_k ~ c^2 x (block length) /
    # (eta-mass), larger in the later (longer) block of every run, so K = 9.
    from proofs_checks import _decomposition as dec

    mod = REGISTRY["lemma-6.2"]
    m = {x.name: x for x in mod.MUTANTS}["gradient-offset"]
    small = {"n_seeds": 3, "n_train": 2000}
    with (mock.patch.object(dec, "_CACHE", {}), mock.patch.object(dec, "l62_sizes",
                                                                 lambda quick: small), m.patch()):
        res = mod.check(quick=False)
    assert res.details["premise"]["ok"]
    assert res.status == "fail" and res.measured.startswith("9 of 9 runs")
