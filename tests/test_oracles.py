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
* Monte Carlo (slow tests): particles of rtrl_theory.runners.JointProcess (module docstring of
  the z-tests below).
"""

from __future__ import annotations

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
from rtrl_theory.oracles import (
    LinearGaussianSystem,
    linear_joint_system,
    linear_stationary,
    stationary_update_mean,
)


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
    theta = model.as_flat(params)
    o = linear_stationary(model, params, process)
    assert o.grad.shape == (model.n_params,)
    assert max_rel(_fd_grad(model, theta, process), o.grad) < 1e-8  # budget in module docstring


@pytest.mark.parametrize("name", ALL_SYSTEMS)
def test_hessian_matches_finite_differences_of_the_oracle_gradient(name):
    model, params, process = ALL_SYSTEMS[name]()
    theta = model.as_flat(params)
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
    b = linear_stationary(model, model.as_flat(params), process)
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
    theta = model.as_flat(params).copy()
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
    est = _particle_estimate(model, params, process, 1, burn_in=B, **MC)
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
    for name, make in SYSTEMS.items():
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
