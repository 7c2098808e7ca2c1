r"""Known-answer tests of rtrl_theory.oracles (closed-form stationary quantities of linear systems).

Sources of truth (STYLE.md section 5):

* Finite differences of the oracle's own loss (and of its own gradient, for the Hessian): the
  derivative routes (differentiated Lyapunov equations) share nothing with a plain evaluation of
  L at shifted parameters except the set-up. Central differences with step h have truncation
  error ~ h^2 |L'''| / 6 and rounding ~ eps |L| / h; with h = 1e-5 and |L|, |L'''| of order 1
  both are below 1e-9, so the gradient must agree to 1e-8 relative (max-norm), the Hessian
  (differences of the gradient, same budget, one more derivative) to 1e-6.
* A second exact route: E_pi[G~] from the stationary covariance of the augmented system with the
  sensitivity recursion (2.20)-(2.21) of (7.1) (route B), against the differentiated Lyapunov
  equation (route A). Both exact: agreement to 1e-9 relative (Lyapunov solves of conditioned
  systems, a few hundred ulps of amplification).
* The Lyapunov solver against the truncated series sum_n M^n Q M^n^T (an independent
  computation; the tail after n terms is below rho^(2n)).
* A closed form: at the teacher's parameters (student = teacher) the residual is the target
  noise, so L = c^2/6 and grad L = 0.
* Monte Carlo, through code that shares nothing with the oracle but the model's definition:
  particles of rtrl_theory.runners.JointProcess and the estimators built on them
  (stationary_average / limit_gradient, tbptt_bias, loss_bias_curve, poisson_solution), the
  data stream process.sample with the engine's BPTT (bptt_sequences). Each is a z-test whose
  threshold is fixed in advance (Bonferroni at family level 1e-3 over the coordinates, from the
  per-particle i.i.d. standard error; design above the z-tests), with a power assertion (a
  nearby wrong answer must be rejected by the same estimate). RTRL_ORACLE_SEED_SHIFT=S shifts
  every seed; all Monte Carlo tests passed at S = 0 and 10 shifts (1000, ..., 10000), and the
  slow seed sweep measures the stationary-gradient z-test over 20 seeds x 3 systems.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from scipy import stats

from rtrl_theory import ElmanRNN, LinearSDE, PaperRNN
from rtrl_theory.data import (
    AR1Chain,
    DataProcess,
    ExampleChain,
    GaussianInputs,
    LipschitzTarget,
    TeacherTarget,
    delayed_input_teacher,
    elman_teacher,
    linear_sde_teacher,
)
from rtrl_theory.oracles import linear_stationary, stationary_update_mean
from rtrl_theory.oracles._linear_sde import linear_joint_system
from rtrl_theory.oracles._lyapunov import LinearGaussianSystem


def max_rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ------------------------------------------------------------------------------------------------
# Three linear systems (different N, N*, d, dt, spectral radii, input laws and noise levels)
# ------------------------------------------------------------------------------------------------
def system_gauss():
    """Section 7.1: Gaussian inputs, Wishart teacher (dof 10N), N = N* = 3, d = 2, dt = 0.5."""
    teacher = linear_sde_teacher(3, 2, rng=0, dt=0.5, dof=30)
    process = teacher.process(input_std=1.0, noise=0.3)
    model = LinearSDE(3, 2, dt=0.5)
    return model, model.init_params(1, a_scale=0.3), process


def system_ar1():
    """AR(1) inputs (Phi = 0.6), student N = 2 against a teacher N* = 3, d = 1, dt = 0.3."""
    teacher = linear_sde_teacher(3, 1, rng=2, dt=0.3, dof=30)
    process = DataProcess(AR1Chain(1, 0.6, std=0.7), teacher.target(noise=0.5))
    model = LinearSDE(2, 1, dt=0.3)
    return model, model.init_params(3, a_scale=0.5), process


def system_delay():
    """Non-symmetric AR(1) inputs in d = 2 and the delay-line teacher Y = w.X_{t-2} + eta; N = 4."""
    Phi = np.array([[0.5, 0.3], [-0.2, 0.4]])
    target = delayed_input_teacher(2, 2, rng=4).target(0.05)
    process = DataProcess(AR1Chain(2, Phi, std=1.2), target)
    model = LinearSDE(4, 2, dt=0.25)
    return model, model.init_params(5, a_scale=0.4), process


SYSTEMS = {"gauss": system_gauss, "ar1": system_ar1, "delay": system_delay}
# For the heavier Monte Carlo tests: the largest system (delay, P = 28) only in the slow run.
MC_SYSTEMS = ["gauss", "ar1", pytest.param("delay", marks=pytest.mark.slow)]


def section7_default():
    """The Section 7.1 defaults (dt = 0.1, dof = 2N: slow mixing, spectral radius ~0.99)."""
    teacher = linear_sde_teacher(3, 2, rng=0)
    model = LinearSDE(3, 2, dt=0.1)
    return model, model.init_params(1), teacher.process(input_std=1.0, noise=0.3)


ALL_SYSTEMS = {**SYSTEMS, "section7-default": section7_default}


def _fd_grad(model, theta, process, h=1e-5):
    def L(th):
        return linear_stationary(model, th, process).loss

    return np.array([(L(theta + h * e) - L(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])


# ------------------------------------------------------------------------------------------------
# Exact routes
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL_SYSTEMS)
def test_gradient_matches_finite_differences_of_the_oracle_loss(name):
    model, params, process = ALL_SYSTEMS[name]()
    theta = model.flatten(params)
    o = linear_stationary(model, params, process)
    assert o.grad.shape == (model.n_params,)
    assert max_rel(_fd_grad(model, theta, process), o.grad) < 1e-8  # budget in module docstring


@pytest.mark.parametrize("name", ALL_SYSTEMS)
def test_hessian_matches_finite_differences_of_the_oracle_gradient(name):
    model, params, process = ALL_SYSTEMS[name]()
    theta = model.flatten(params)
    o = linear_stationary(model, params, process)
    h = 1e-5
    fd = np.array(
        [
            (linear_stationary(model, theta + h * e, process).grad
             - linear_stationary(model, theta - h * e, process).grad) / (2 * h)
            for e in np.eye(theta.size)
        ]
    )
    assert o.hessian.shape == (model.n_params, model.n_params)
    np.testing.assert_array_equal(o.hessian, o.hessian.T)  # symmetrised by construction
    assert max_rel(fd, o.hessian) < 1e-6  # budget in module docstring


@pytest.mark.parametrize("name", ALL_SYSTEMS)
def test_gradient_equals_stationary_mean_of_the_rtrl_update(name):
    """Route A (Lyapunov derivative) = route B (E_pi[G~] of the augmented system), Thm 3.16."""
    model, params, process = ALL_SYSTEMS[name]()
    o = linear_stationary(model, params, process)
    g_b = stationary_update_mean(model, params, process)
    assert max_rel(g_b, o.grad) < 1e-9  # two exact routes; rounding only


def test_lyapunov_solution_matches_the_series():
    model, params, process = system_ar1()
    sysz = linear_joint_system(model, params, process).system
    Sigma = sysz.stationary_covariance()
    rho = sysz.spectral_radius
    n_terms = int(np.ceil(np.log(1e-15) / np.log(rho**2))) + 50  # tail below rho^(2n) ~ 1e-15
    S, term = np.zeros_like(Sigma), sysz.noise_covariance.copy()
    for _ in range(n_terms):
        S += term
        term = sysz.M @ term @ sysz.M.T
    assert max_rel(S, Sigma) < 1e-9  # series truncated below 1e-15; solver rounding


def test_scalar_ar1_covariance_is_the_textbook_value():
    sys = LinearGaussianSystem(np.array([[0.8]]), np.array([[2.0]]), np.array([[0.25]]))
    assert sys.stationary_covariance()[0, 0] == pytest.approx(1.0 / (1 - 0.64), rel=1e-13)


@pytest.mark.parametrize("name", ["gauss", "ar1"])
def test_at_the_teacher_loss_is_half_the_noise_variance_and_grad_is_zero(name):
    """Student = teacher (same N, d, dt): the residual is -eta, L = c^2/6, grad L = 0, exactly."""
    model, _, process = SYSTEMS[name]()
    teacher = process.target
    tmodel = teacher.model
    o = linear_stationary(tmodel, teacher.params, process)
    assert o.loss == pytest.approx(teacher.noise**2 / 6, rel=1e-10)  # closed form
    assert np.max(np.abs(o.grad)) < 1e-10  # the covariance of r and anything vanishes
    # The Hessian there is the Gauss-Newton matrix E[grad yhat grad yhat^T]: positive semidefinite.
    assert np.linalg.eigvalsh(o.hessian).min() > -1e-10


def test_flat_vector_and_parameter_object_give_the_same_oracle():
    model, params, process = system_gauss()
    a = linear_stationary(model, params, process)
    b = linear_stationary(model, model.flatten(params), process)
    assert a.loss == b.loss
    np.testing.assert_array_equal(a.grad, b.grad)
    with pytest.raises(AttributeError):
        a.loss = 0.0  # frozen


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------
def test_models_outside_the_class_are_refused():
    _, params, process = system_gauss()
    with pytest.raises(TypeError, match="model: .*LinearSDE"):
        linear_stationary(PaperRNN(3, 2), PaperRNN(3, 2).init_params(0), process)
    with pytest.raises(TypeError, match="model: "):
        linear_stationary(ElmanRNN(3, 2), ElmanRNN(3, 2).init_params(0), process)


def test_processes_outside_the_class_are_refused():
    model, params, process = system_gauss()
    teacher = process.target
    with pytest.raises(TypeError, match="process: the input chain ExampleChain is not linear"):
        linear_stationary(model, params, DataProcess(ExampleChain(2, 0.5), teacher))
    with pytest.raises(TypeError, match="process: the target must be a TeacherTarget"):
        linear_stationary(
            model, params, DataProcess(GaussianInputs(2), LipschitzTarget.random(2, rng=0))
        )
    et = elman_teacher(3, 2, rng=0)
    with pytest.raises(TypeError, match="process: the teacher's cell ElmanCell is not linear"):
        linear_stationary(model, params, et.process())
    with pytest.raises(TypeError, match="process: expected a DataProcess"):
        linear_stationary(model, params, "gauss")
    with pytest.raises(ValueError, match="process: inputs have d = 1"):
        linear_stationary(model, params, DataProcess(GaussianInputs(1), None))


def test_unstable_systems_are_refused():
    model, params, process = system_gauss()
    theta = model.flatten(params).copy()
    theta[3] = 2.0 / model.dt  # A_00 large: I + dt A has an eigenvalue beyond 1
    with pytest.raises(ValueError, match="params: spectral radius of the student's I \\+ dt A"):
        linear_stationary(model, theta, process)
    with pytest.raises(ValueError, match="Phi: expected spectral radius below 1"):
        AR1Chain(2, 1.0)
    unstable = np.r_[np.ones(2), 25 * np.eye(2).ravel(), np.ones(4)]  # I + 0.1 A* = 3.5 I
    tt = TeacherTarget(LinearSDE(2, 2, dt=0.1), unstable)
    student = LinearSDE(2, 2)
    with pytest.raises(ValueError, match="process: spectral radius of the teacher's state matrix"):
        linear_stationary(student, student.init_params(0), DataProcess(GaussianInputs(2), tt))


# ------------------------------------------------------------------------------------------------
# Against the particles (Monte Carlo): E_pi[G~] and L from rtrl_theory.estimators
# ------------------------------------------------------------------------------------------------
# Test design, fixed before running. K independent particles of JointProcess start from its
# point law (u_0 = 0 exactly), run `burn_in` steps, then average (loss, G~) over n_steps; the K
# per-particle averages are i.i.d., so (estimate - oracle) / stderr is t-distributed with K - 1
# degrees of freedom up to the burn-in bias. The burn-in bias is computed EXACTLY from the
# oracle's moment recursion started at u_0 = 0 and required to be below 1e-6 relative (the
# standard errors are ~1e-2 relative), so it cannot move a z-score. Threshold: Bonferroni over
# the P + 1 coordinates at family level ALPHA = 1e-3, z_crit = t_{K-1}^{-1}(1 - ALPHA / (2(P+1))):
# the false-failure rate per (system, seed) is at most 1e-3 (the coordinates are correlated,
# so Bonferroni is conservative). Measured over 20 seeds x 3 systems in the slow test below.
ALPHA = 1e-3
MC = dict(n_particles=200, n_steps=1000)
# Every Monte Carlo seed below is shifted by this (default 0), to measure false-failure rates:
# RTRL_ORACLE_SEED_SHIFT=S pytest tests/test_oracles.py -m "slow or not slow"
SEED_SHIFT = int(os.environ.get("RTRL_ORACLE_SEED_SHIFT", "0"))


def _z_crit(n_coords, K, alpha=ALPHA):
    return float(stats.t.ppf(1 - alpha / (2 * n_coords), K - 1))


def _burn_in(rho, rel=1e-8):
    return int(np.ceil(np.log(rel) / np.log(rho)))


def _exact_estimator_mean(model, params, process, burn_in, n_steps):
    """Exact E[estimate] of the particle estimator from u_0 = 0: mean of (E l_t, E G~_t)."""
    joint = linear_joint_system(model, params, process)
    n = joint.system.dim
    acc = np.zeros(model.n_params + 1)
    path = joint.system.moment_path(np.zeros(n), np.zeros((n, n)), burn_in + n_steps)
    for t, (_, R) in enumerate(path, start=1):
        if t > burn_in:
            acc += np.r_[joint.loss(R), joint.update_mean(R)]
    return acc / n_steps


def _particle_estimate(model, params, process, seed, *, n_particles, n_steps, burn_in):
    from rtrl_theory.estimators import stationary_average
    from rtrl_theory.runners import JointProcess

    jp = JointProcess(model, params, process, order=1)

    def f(z):
        return np.concatenate([jp.loss(z)[:, None], jp.update_direction(z)], axis=1)

    est, _ = stationary_average(
        jp, f, n_particles=n_particles, n_steps=n_steps, burn_in=burn_in, rng=seed
    )
    return est


@pytest.mark.parametrize("name", SYSTEMS)
def test_oracle_agrees_with_the_particle_estimate_of_E_pi_G(name):
    model, params, process = SYSTEMS[name]()
    o = linear_stationary(model, params, process)
    truth = np.r_[o.loss, o.grad]
    B = _burn_in(o.spectral_radius)
    exact_mean = _exact_estimator_mean(model, params, process, B, MC["n_steps"])
    assert max_rel(exact_mean, truth) < 1e-6  # burn-in bias negligible (computed, not assumed)
    est = _particle_estimate(model, params, process, 1 + SEED_SHIFT, burn_in=B, **MC)
    z = est.z_scores(truth)
    zc = _z_crit(truth.size, MC["n_particles"])
    assert np.max(np.abs(z)) < zc, (name, np.round(z, 2), zc)
    # Power: the same estimate rejects nearby wrong answers. The stationary mean of the RTRL
    # update with the recurrent part of J dropped (the "immediate" estimator, = TBPTT(1)) and a
    # gradient 10% too large.
    P_c, N = model.cell.n_params, model.n_hidden
    g_imm = stationary_update_mean(model, params, process, sensitivity=np.zeros((P_c * N,) * 2))
    for wrong in (np.r_[o.loss, g_imm], np.r_[o.loss, 1.1 * o.grad]):
        assert np.max(np.abs(est.z_scores(wrong))) > zc


@pytest.mark.slow
def test_particle_z_test_false_failure_rate_over_seeds():
    """20 seeds x 3 systems at family level 1e-3: expected failures <= 0.06; allow at most 1
    (P(>= 2 failures) <= C(60, 2) 1e-6 < 2e-3)."""
    failures, worst = 0, []
    for make in SYSTEMS.values():
        model, params, process = make()
        o = linear_stationary(model, params, process)
        truth = np.r_[o.loss, o.grad]
        zc = _z_crit(truth.size, MC["n_particles"])
        for seed in range(100, 120):
            est = _particle_estimate(
                model, params, process, seed, burn_in=_burn_in(o.spectral_radius), **MC
            )
            m = float(np.max(np.abs(est.z_scores(truth))))
            worst.append(m)
            failures += m >= zc
    assert failures <= 1, (failures, np.round(sorted(worst)[-5:], 2))


# ------------------------------------------------------------------------------------------------
# Transient known answers: TBPTT(tau), E[G~_t] from a J_0 law, E L_T - L
# ------------------------------------------------------------------------------------------------
def test_transient_answers_reduce_to_the_stationary_ones():
    """Exact identities: TBPTT's lag-j mean -> grad L as j grows (the truncation forgets
    nothing once j exceeds the memory); E[G~_t] from J_0 = 0 -> grad L; the loss bias from the
    stationary law is 0; T (E L_T - L) -> its closed-form limit."""
    from rtrl_theory.oracles import (
        expected_gradient_path,
        expected_loss_bias,
        tbptt_expected_gradient,
    )

    model, params, process = system_ar1()
    o = linear_stationary(model, params, process)
    tb = tbptt_expected_gradient(model, params, process, 300)
    assert max_rel(tb.lag_mean[-1], o.grad) < 1e-9  # rho^300 ~ 1e-33: rounding only
    assert max_rel(tb.block_gradient, 300 * tb.mean_gradient) < 1e-14
    # tb.grad is route B (augmented system), o.grad route A: equal up to rounding
    np.testing.assert_allclose(tb.bias, tb.mean_gradient - o.grad, rtol=0, atol=1e-12)
    gp = expected_gradient_path(model, params, process, 300)
    assert max_rel(gp.mean[-1], o.grad) < 1e-9
    assert gp.error[0] > 0.1 * np.abs(o.grad).max()  # J_0 = 0 is far from the stationary J
    lb0 = expected_loss_bias(model, params, process, [1, 50], init="stationary")
    np.testing.assert_allclose(lb0.bias, 0.0, atol=1e-13)
    lb = expected_loss_bias(model, params, process, [10_000], init="zero")
    assert lb.loss == pytest.approx(o.loss, rel=1e-12)
    assert 10_000 * lb.bias[0] == pytest.approx(lb.limit, rel=1e-3)  # next term O(1/T) relative


def test_tbptt_lag_one_is_the_immediate_estimator():
    """TBPTT(1) keeps only the immediate term: its mean equals the stationary mean of the
    'immediate' linear sensitivity recursion (D_J = 0), computed by another route."""
    from rtrl_theory.oracles import tbptt_expected_gradient

    model, params, process = system_gauss()
    P_c, N = model.cell.n_params, model.n_hidden
    tb = tbptt_expected_gradient(model, params, process, 1)
    g_imm = stationary_update_mean(model, params, process, sensitivity=np.zeros((P_c * N,) * 2))
    assert max_rel(tb.mean_gradient, g_imm) < 1e-10


@pytest.mark.parametrize("name", MC_SYSTEMS)
def test_tbptt_bias_agrees_with_the_particle_estimator(name):
    """Oracle TBPTT(tau) bias against rtrl_theory.estimators.tbptt_bias (coupled particles).

    Its per-particle block averages are i.i.d. over K particles; z-test with Bonferroni over
    P x len(taus) coordinates at family level 1e-3. Burn-in as above (rho^B <= 1e-8)."""
    from rtrl_theory.estimators import tbptt_bias
    from rtrl_theory.oracles import tbptt_expected_gradient
    from rtrl_theory.runners import JointProcess

    model, params, process = SYSTEMS[name]()
    o = linear_stationary(model, params, process)
    taus = (1, 3, 8)
    K = 200
    jp = JointProcess(model, params, process, order=1)
    mc = tbptt_bias(
        jp,
        taus,
        n_particles=K,
        n_steps=480,
        burn_in=_burn_in(o.spectral_radius),
        rng=7 + SEED_SHIFT,
    )
    zc = _z_crit(len(taus) * model.n_params, K)
    N = model.n_hidden
    for tau in taus:
        exact = tbptt_expected_gradient(model, params, process, tau)
        # the head coordinates C use S only, which TBPTT does not truncate: bias exactly 0 in
        # both (the coupled particle differences vanish identically, standard error 0)
        np.testing.assert_array_equal(mc.bias[tau][:N], 0.0)
        np.testing.assert_allclose(exact.bias[:N], 0.0, atol=1e-12 * np.abs(o.grad).max())
        z = (mc.bias[tau][N:] - exact.bias[N:]) / mc.stderr[tau][N:]
        assert np.max(np.abs(z)) < zc, (tau, np.round(z, 2))
        # power: the bias is resolved from zero for every tau tested here
        assert np.max(np.abs(mc.bias[tau][N:] / mc.stderr[tau][N:])) > zc
    # power against a wrong block convention: the bias at lag tau instead of the block mean
    wrong = tbptt_expected_gradient(model, params, process, 3).lag_bias[-1]
    assert np.max(np.abs((mc.bias[3] - wrong)[N:] / mc.stderr[3][N:])) > zc


@pytest.mark.slow
@pytest.mark.parametrize("name", SYSTEMS)
def test_tbptt_block_gradient_agrees_with_bptt_on_blocks(name):
    """The trainer's route: bptt_sequences on consecutive blocks of tau steps from the carried
    state (S0 a constant), on K data streams from process.sample. The K per-chain averages of
    the block-sum gradient are i.i.d.; z-test, Bonferroni over P at family level 1e-3. The data
    stream starts at X = 0, S* = 0, S = 0: the first B steps (rho^B <= 1e-8) are discarded."""
    from rtrl_theory.engine import bptt_sequences
    from rtrl_theory.oracles import tbptt_expected_gradient

    model, params, process = SYSTEMS[name]()
    theta = model.flatten(params)
    o = linear_stationary(model, params, process)
    tau, n_blocks, K = 4, 200, 200
    B = _burn_in(o.spectral_radius)
    X, Y = process.sample(B + tau * n_blocks, np.random.default_rng(11 + SEED_SHIFT), n_chains=K)
    S = bptt_sequences(model, theta, X[:, :B], Y[:, :B]).S_T
    acc = np.zeros((K, model.n_params))
    for k in range(n_blocks):
        sl = slice(B + k * tau, B + (k + 1) * tau)
        res = bptt_sequences(model, theta, X[:, sl], Y[:, sl], S0=S)
        acc += tau * res.grad  # block_reduction="sum"
        S = res.S_T
    samples = acc / n_blocks
    exact = tbptt_expected_gradient(model, params, process, tau)
    z = (samples.mean(0) - exact.block_gradient) / (samples.std(0, ddof=1) / np.sqrt(K))
    zc = _z_crit(model.n_params, K)
    assert np.max(np.abs(z)) < zc, np.round(z, 2)
    z_rtrl = (samples.mean(0) - tau * o.grad) / (samples.std(0, ddof=1) / np.sqrt(K))
    assert np.max(np.abs(z_rtrl)) > zc  # power: TBPTT(4)'s block is resolved from tau grad L


@pytest.mark.parametrize("name", SYSTEMS)
def test_gradient_path_from_a_J0_law_agrees_with_particles(name):
    """E[G~_t], t < 25, from stationary (data, S) and J_0 = 0.5 - 0.5 J + U[-1, 1] entrywise
    (J the stationary sensitivity of the same particle: a law correlated with the state, see
    SensitivityLaw's Notes): particles of JointProcess brought to stationarity (burn-in as
    above), J replaced, then run. Each particle gives one sample per t, independent across
    particles; z-test with Bonferroni over 25 x P at family level 1e-3."""
    from dataclasses import replace

    from rtrl_theory.oracles import SensitivityLaw, expected_gradient_path
    from rtrl_theory.runners import JointProcess

    model, params, process = SYSTEMS[name]()
    o = linear_stationary(model, params, process)
    T, K = 25, 2000
    law = SensitivityLaw.scaled_stationary(
        model, params, process, -0.5, mean=0.5, noise_var=1.0 / 3.0
    )
    exact = expected_gradient_path(model, params, process, T, law)
    jp = JointProcess(model, params, process, order=1)
    rng = np.random.default_rng(21 + SEED_SHIFT)
    z = jp.run(jp.initial(K, rng), _burn_in(o.spectral_radius), rng)
    z = replace(z, Jt=0.5 - 0.5 * z.Jt + rng.uniform(-1.0, 1.0, z.Jt.shape))
    G = np.empty((T, K, model.n_params))
    G[0] = jp.update_direction(z)
    for t in range(1, T):
        z = jp.step(z, rng)
        G[t] = jp.update_direction(z)
    se = G.std(axis=1, ddof=1) / np.sqrt(K)
    zs = (G.mean(axis=1) - exact.mean) / se
    zc = _z_crit(T * model.n_params, K)
    assert np.max(np.abs(zs)) < zc, np.round(np.abs(zs).max(axis=1), 2)
    # power: at t = 0 the mean is resolved from grad L and from the J_0 = 0 path
    zero_path = expected_gradient_path(model, params, process, T).mean
    assert np.max(np.abs((G[0].mean(0) - o.grad) / se[0])) > zc
    assert np.max(np.abs((G[0].mean(0) - zero_path[0]) / se[0])) > zc


def test_an_independent_J0_law_gives_the_zero_path_and_the_stationary_law_gives_grad_L():
    """SensitivityLaw's Notes: a J_0 independent of the zero-mean state does not move E[G~_t]
    (E[r_t F^t J_0] = E[r_t] F^t m = 0); J_0 = the stationary J gives grad L at every t."""
    from rtrl_theory.oracles import SensitivityLaw, expected_gradient_path

    model, params, process = system_delay()
    o = linear_stationary(model, params, process)
    zero = expected_gradient_path(model, params, process, 40)
    box = expected_gradient_path(model, params, process, 40, SensitivityLaw.box(model, 3.0, 1.0))
    np.testing.assert_allclose(box.mean, zero.mean, rtol=0, atol=1e-12)
    stat = SensitivityLaw.scaled_stationary(model, params, process, 1.0)
    path = expected_gradient_path(model, params, process, 40, stat)
    assert np.max(np.abs(path.mean - o.grad)) < 1e-10 * np.abs(o.grad).max()


@pytest.mark.parametrize("name", SYSTEMS)
def test_loss_bias_agrees_with_sequence_losses_from_the_data_stream(name):
    """E L_T from init="zero" is what process.sample + the engine's forward pass compute:
    K independent streams, L_T per chain from bptt_sequences' step losses, T in (1, 5, 20);
    z-test with Bonferroni over the 3 horizons at family level 1e-3."""
    from rtrl_theory.engine import bptt_sequences
    from rtrl_theory.oracles import expected_loss_bias

    model, params, process = SYSTEMS[name]()
    grid, K = np.array([1, 5, 20]), 4000
    exact = expected_loss_bias(model, params, process, grid, init="zero")
    X, Y = process.sample(int(grid[-1]), np.random.default_rng(5 + SEED_SHIFT), n_chains=K)
    sl = bptt_sequences(model, model.flatten(params), X, Y).step_losses  # (K, T)
    LT = np.cumsum(sl, axis=1)[:, grid - 1] / grid
    se = LT.std(axis=0, ddof=1) / np.sqrt(K)
    z = (LT.mean(axis=0) - exact.expected_loss) / se
    zc = _z_crit(grid.size, K)
    assert np.max(np.abs(z)) < zc, np.round(z, 2)
    assert np.max(np.abs((LT.mean(axis=0) - exact.loss) / se)) > zc  # power: bias resolved


# ------------------------------------------------------------------------------------------------
# The Poisson solution (Lemma 4.2) in closed form
# ------------------------------------------------------------------------------------------------
def _stationary_particles(model, params, process, K, seed):
    from rtrl_theory.runners import JointProcess

    o = linear_stationary(model, params, process)
    jp = JointProcess(model, params, process, order=1)
    rng = np.random.default_rng(seed)
    return jp, jp.run(jp.initial(K, rng), _burn_in(o.spectral_radius), rng), o


@pytest.mark.parametrize("name", MC_SYSTEMS)
def test_poisson_solution_solves_the_equation_under_the_particle_kernel(name):
    """(4.1) v(z) - (Pv)(z) = G~(z) - grad L at 6 stationary points z, with Pv(z) the mean of
    the closed-form v over 3000 successors drawn by JointProcess.step (the particle code's
    kernel) and G~(z) from JointProcess.update_direction. The successors are i.i.d. given z:
    z-test, Bonferroni over 6 x P at family level 1e-3. Also: the closed-form Pv agrees with
    the same successor mean (same test), and E_pi v = 0 over 2000 stationary particles."""
    from rtrl_theory.oracles import poisson_solution_linear

    model, params, process = SYSTEMS[name]()
    jp, z, o = _stationary_particles(model, params, process, 2000, 3 + SEED_SHIFT)
    v = poisson_solution_linear(model, params, process)
    G = jp.update_direction(z)
    np.testing.assert_allclose(v.update(z), G, rtol=0, atol=1e-12 * np.abs(G).max())  # layout
    Mpts, n_succ = 6, 3000
    pts = z.subset(np.arange(Mpts))
    rng = np.random.default_rng(4 + SEED_SHIFT)
    succ = jp.step(pts.subset(np.repeat(np.arange(Mpts), n_succ)), rng)
    vs = v(succ).reshape(Mpts, n_succ, -1)
    pv_hat, se = vs.mean(axis=1), vs.std(axis=1, ddof=1) / np.sqrt(n_succ)
    zc = _z_crit(Mpts * model.n_params, n_succ)
    lhs = v(pts) - pv_hat
    rhs = jp.update_direction(pts) - o.grad
    assert np.max(np.abs((lhs - rhs) / se)) < zc
    assert np.max(np.abs((v.Pv(pts) - pv_hat) / se)) < zc
    # power: Gbar doubled (the mutant of issue 11 that the truncated-series check misses)
    assert np.max(np.abs((lhs - (rhs - o.grad)) / se)) > zc
    # centred: E_pi v = 0 (2000 i.i.d. stationary particles), and |v| is resolved from 0
    vz = v(z)
    se_mean = vz.std(axis=0, ddof=1) / np.sqrt(vz.shape[0])
    assert np.max(np.abs(vz.mean(axis=0) / se_mean)) < _z_crit(model.n_params, vz.shape[0])
    assert np.max(np.abs(v(pts) / se)) > zc


@pytest.mark.slow
@pytest.mark.parametrize("name", SYSTEMS)
def test_poisson_solution_agrees_with_the_truncated_series_by_particles(name):
    """[P1]'s (4.11) scalar solution (G = grad L . G~) against estimators.poisson_solution, the
    Monte Carlo truncated series (4.3), at 4 stationary points. Truncation after n terms
    with rho^n <= 1e-7; the 3000 continuations per point are i.i.d.: z-test, Bonferroni over
    the 4 points at family level 1e-3."""
    from rtrl_theory.estimators import poisson_solution
    from rtrl_theory.oracles import poisson_solution_linear

    model, params, process = SYSTEMS[name]()
    jp, z, o = _stationary_particles(model, params, process, 4, 6 + SEED_SHIFT)
    v = poisson_solution_linear(model, params, process, direction="grad")
    assert float(v.Gbar) == pytest.approx(float(o.grad @ o.grad), rel=1e-10)
    n_terms = _burn_in(o.spectral_radius, 1e-7)
    n_inner = 3000
    est, se = poisson_solution(
        jp,
        z,
        lambda zz: jp.update_direction(zz) @ o.grad,
        float(o.grad @ o.grad),
        n_inner=n_inner,
        n_terms=n_terms,
        rng=7 + SEED_SHIFT,
    )
    assert np.max(np.abs((est - v(z)) / se)) < _z_crit(4, n_inner)


# ------------------------------------------------------------------------------------------------
# The hook for approximate sensitivities (issue 13)
# ------------------------------------------------------------------------------------------------
def test_snap1_is_exact_for_a_diagonal_recurrence_and_biased_otherwise():
    """SnAp-1 drops J[k, (i, j)] for k != i. With A diagonal, F = I + dt A never moves
    sensitivity off its own row, so SnAp-1 = RTRL and its stationary mean is grad L exactly;
    with the coupled A of system_gauss it is not (a bias of order |off-diagonal of F|)."""
    from rtrl_theory.cells import LinearSDEParams
    from rtrl_theory.oracles import linear_sensitivity_map

    model, params, process = system_gauss()
    diag = LinearSDEParams(params.C, np.diag(np.diag(params.A)), params.B)
    snap = linear_sensitivity_map(model, diag, "snap-1")
    g = stationary_update_mean(model, diag, process, sensitivity=snap)
    assert max_rel(g, linear_stationary(model, diag, process).grad) < 1e-9  # exact, rounding
    snap = linear_sensitivity_map(model, params, "snap-1")
    g = stationary_update_mean(model, params, process, sensitivity=snap)
    assert max_rel(g, linear_stationary(model, params, process).grad) > 1e-3
    sys = linear_joint_system(model, params, process).system
    sJ = sys.blocks["J"]
    np.testing.assert_array_equal(linear_sensitivity_map(model, params, "exact"), sys.M[sJ, sJ])
    with pytest.raises(ValueError, match="kind: expected one of"):
        linear_sensitivity_map(model, params, "uoro")


def test_transient_functions_refuse_bad_arguments_and_accept_explicit_laws():
    from rtrl_theory.oracles import (
        SensitivityLaw,
        expected_gradient_path,
        expected_loss_bias,
        poisson_solution_linear,
        tbptt_expected_gradient,
    )

    model, params, process = system_ar1()
    with pytest.raises(ValueError, match="tau: expected a positive integer"):
        tbptt_expected_gradient(model, params, process, 0)
    with pytest.raises(ValueError, match="T: expected a positive integer"):
        expected_loss_bias(model, params, process, [0, 5])
    with pytest.raises(ValueError, match="init: expected"):
        expected_loss_bias(model, params, process, 5, init="box")
    with pytest.raises(TypeError, match="J0_law: expected 'zero' or a SensitivityLaw"):
        expected_gradient_path(model, params, process, 5, J0_law="box")
    with pytest.raises(ValueError, match="J0_law: expected a law of J with shape"):
        expected_gradient_path(model, params, process, 5, SensitivityLaw.zero(LinearSDE(3, 1)))
    with pytest.raises(ValueError, match="cov: expected a positive semidefinite"):
        SensitivityLaw(np.zeros((2, 1)), -np.eye(2))
    with pytest.raises(ValueError, match="direction: expected"):
        poisson_solution_linear(model, params, process, direction="hessian")
    # (mean, cov) over (X_{-1}, S*_0, S_0): zero moments reproduce init="zero" exactly
    n = 1 + 3 + 2
    a = expected_loss_bias(model, params, process, [3, 7], init=(np.zeros(n), np.zeros((n, n))))
    b = expected_loss_bias(model, params, process, [3, 7], init="zero")
    np.testing.assert_array_equal(a.expected_loss, b.expected_loss)


@pytest.mark.parametrize("name", MC_SYSTEMS)
def test_loss_bias_from_the_point_law_agrees_with_the_coupled_particle_estimator(name):
    """Lemma 3.12's estimator, rtrl_theory.estimators._limits.loss_bias_curve (particles from the point
    law, each coupled to a stationary particle by common noise), against init="point". The K
    per-particle running means are i.i.d.; z-test, Bonferroni over the 4 horizons at family
    level 1e-3; its stationary ensemble has burn-in with rho^B <= 1e-8 (negligible, as above)."""
    from rtrl_theory.estimators._limits import loss_bias_curve
    from rtrl_theory.oracles import expected_loss_bias
    from rtrl_theory.runners import JointProcess

    model, params, process = SYSTEMS[name]()
    o = linear_stationary(model, params, process)
    # K = 4000: the two init conventions differ by ~0.1 at T = 4 on system_ar1 (exact, from
    # the oracle) against a per-particle spread of ~1, so ~6 standard errors at this K
    grid, K = [1, 4, 16, 64], 4000
    exact = expected_loss_bias(model, params, process, grid, init="point")
    jp = JointProcess(model, params, process, order=1)
    _, bias, se = loss_bias_curve(
        jp,
        grid,
        n_particles=K,
        burn_in=_burn_in(o.spectral_radius),
        rng=9 + SEED_SHIFT,
        law="point",
    )
    zc = _z_crit(len(grid), K)
    assert np.max(np.abs((bias - exact.bias) / se)) < zc, np.round((bias - exact.bias) / se, 2)
    assert np.max(np.abs(bias / se)) > zc  # power: the bias is resolved from 0
    wrong = expected_loss_bias(model, params, process, grid, init="zero").bias
    assert np.max(np.abs((bias - wrong) / se)) > zc  # and the init convention matters


_SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "name", ["ar1", pytest.param("gauss", marks=_SLOW), pytest.param("delay", marks=_SLOW)]
)
def test_hessian_agrees_with_the_particle_estimate_of_E_pi_H(name):
    """(3.65): v^T hess L v = E_pi[v^T H v] along 4 random directions and 3 coordinate ones,
    from second-order particles (JointProcess(order=2), estimators.limit_hessian_directions).
    Per-particle time averages i.i.d.; z-test, Bonferroni over the 7 directions at family level
    1e-3; burn-in as for the gradient. Power: a Hessian 10% too large is rejected."""
    from rtrl_theory.estimators import limit_hessian_directions
    from rtrl_theory.runners import JointProcess

    model, params, process = SYSTEMS[name]()
    o = linear_stationary(model, params, process)
    jp = JointProcess(model, params, process, order=2)
    V = np.random.default_rng(0).standard_normal((4, model.n_params))
    V = np.vstack([V, np.eye(model.n_params)[[0, model.n_hidden, -1]]])
    K = 200
    est = limit_hessian_directions(
        jp,
        V,
        n_particles=K,
        n_steps=1000,
        burn_in=_burn_in(o.spectral_radius),
        rng=3 + SEED_SHIFT,
    )
    exact = np.einsum("mp,pq,mq->m", V, o.hessian, V)
    zc = _z_crit(len(V), K)
    assert np.max(np.abs(est.z_scores(exact))) < zc, np.round(est.z_scores(exact), 2)
    assert np.max(np.abs(est.z_scores(1.1 * exact))) > zc
