"""The stationary-bias meter against closed forms on a linear system (rtrl_theory.oracles).

Truth: for a LinearSDE student on linear data (AR(1) inputs, a linear teacher, uniform noise)
the joint process (data, state, sensitivity) is linear, so the stationary mean of every *linear*
sensitivity recursion is exact (augmented Lyapunov equation, rtrl_theory.oracles):

- exact RTRL: ``linear_stationary(...).grad`` = grad L (differentiated Lyapunov equations);
- SnAp-1, and e-prop (on (7.1) its leak 1 + dt A_ii is F_ii: the same recursion), immediate:
  ``stationary_update_mean(sensitivity=linear_sensitivity_map(kind))``;
- TBPTT(tau): ``tbptt_expected_gradient(...).mean_gradient`` (per-step mean over a block);
- UORO, KF-RTRL: unbiased, so E[G~_A] = grad L of the oracle.

Tolerances. The meter's per-coordinate standard errors come from K independent particles (module
docstring of rtrl_theory.online._bias); each coordinate must be within 5 standard errors of the
closed form (P = 8 coordinates per estimator: false-failure rate below 8 * 6e-7 per estimator,
normal approximation). The burn-in is chosen so that the initial-law error
rho(F)^burn_in is below 1e-8 of the gradient (F = I + dt A, the slowest contraction of the joint
linear system besides the input chain's 0.5). The unbiasedness of UORO and KF-RTRL is tested along
the cell part of the oracle's grad L with particles sized to detect 1% of |grad L| with 95% power.

Measured over seeds 20-39 (80 estimator runs at the fixture's size): 0 false failures; measuring
SnAp-1 against immediate's closed form (and immediate against SnAp-1's, TBPTT(4) against
immediate's) fails, so the comparison can tell the recursions apart.
"""

import math

import numpy as np
import pytest

from rtrl_theory import LinearSDE
from rtrl_theory.data import AR1Chain, DataProcess, linear_sde_teacher
from rtrl_theory.online import stationary_bias_table
from rtrl_theory.oracles import (
    linear_sensitivity_map,
    linear_stationary,
    stationary_update_mean,
    tbptt_expected_gradient,
)


def _system():
    teacher = linear_sde_teacher(2, 1, rng=0, dt=0.3, dof=20)
    process = DataProcess(AR1Chain(1, 0.5), teacher.target(noise=0.2))
    model = LinearSDE(2, 1, dt=0.3)
    params = model.init_params(1)
    A = model.cell.blocks[0].unflatten(model.split(model.flatten(params))[1])
    rho = max(0.5, float(np.max(np.abs(np.linalg.eigvals(np.eye(2) + 0.3 * A)))))
    assert rho < 1.0
    burn_in = math.ceil(math.log(1e-8) / math.log(rho))
    return model, params, process, burn_in


@pytest.fixture(scope="module")
def measured():
    model, params, process, burn_in = _system()
    names = ["exact", "snap-1", "eprop", "immediate", "tbptt-4"]
    res = stationary_bias_table(
        model, params, process, names, n_particles=400, n_steps=1200, burn_in=burn_in, rng=5
    )
    return model, params, process, dict(zip(names, res, strict=True))


def test_grad_L_matches_the_closed_form(measured):
    model, params, process, res = measured
    oracle = linear_stationary(model, params, process).grad
    e = res["exact"]
    z = (e.grad_L - oracle) / e.grad_L_stderr
    assert np.abs(z).max() < 5.0, z


@pytest.mark.parametrize(
    ("name", "kind"), [("snap-1", "snap-1"), ("eprop", "snap-1"), ("immediate", "immediate")]
)
def test_linear_estimators_bias_matches_the_closed_form(measured, name, kind):
    model, params, process, res = measured
    grad = linear_stationary(model, params, process).grad
    D = linear_sensitivity_map(model, params, kind)
    mean = stationary_update_mean(model, params, process, sensitivity=D)
    b_true = mean - grad
    est = res[name]
    _assert_matches(est, b_true)


def test_tbptt_bias_matches_the_closed_form(measured):
    model, params, process, res = measured
    tb = tbptt_expected_gradient(model, params, process, tau=4)
    _assert_matches(res["tbptt-4"], tb.bias)


def _assert_matches(est, b_true):
    """Within 5 standard errors per coordinate, and the test can tell b_true from 0.

    The union bound over the coordinates holds whatever their correlation (the d_k of a linear
    system are strongly correlated across coordinates, nearly rank-deficient, so no joint
    Hotelling test here).

    Coordinates with a rounding-level standard error (the head's, exact in every estimator) must match
    to rounding. Power: some coordinate of b_true is more than 10 standard errors from 0, so a
    meter that returned 0 (or an exact-RTRL recursion in place of the approximate one) fails.
    """
    se = est.bias_stderr
    pos = se > 1e-9 * se.max()  # the head's coordinates: rounding-level differences only
    z = (est.bias[pos] - b_true[pos]) / se[pos]
    assert np.abs(z).max() < 5.0, (est.estimator, z)
    np.testing.assert_allclose(est.bias[~pos], b_true[~pos], atol=1e-12)  # both ~1e-16
    assert np.abs(b_true[pos] / se[pos]).max() > 10.0


@pytest.mark.slow
def test_unbiased_estimators_have_the_oracles_gradient_as_mean():
    model, params, process, burn_in = _system()
    names = ["exact", "uoro", "kf-rtrl"]
    res = dict(zip(names, stationary_bias_table(
        model, params, process, names, n_particles=800, n_steps=4000, burn_in=burn_in, rng=6
    ), strict=True))  # fmt: skip
    grad = linear_stationary(model, params, process).grad
    Ph = model.n_head_params
    u = np.zeros_like(grad)
    u[Ph:] = grad[Ph:] / np.linalg.norm(grad[Ph:])
    ex = res["exact"]
    for name in ("uoro", "kf-rtrl"):
        est = res[name]
        proj = est.bias_samples @ u
        se = proj.std(ddof=1) / math.sqrt(proj.shape[0])
        assert se <= 0.01 * np.linalg.norm(grad) / (3.0 + 1.645), name  # powered for 1%
        assert abs(proj.mean()) / se < 3.0, name
        # E[G~_A] = grad L + b against the closed-form grad L, per cell coordinate; the two
        # standard errors are combined as if independent and the bound doubled (their
        # correlation is unknown, at most 1: |z| <= 2 max-sigma covers it).
        sd = np.sqrt(ex.grad_L_stderr**2 + est.bias_stderr**2)[Ph:]
        z = (ex.grad_L + est.bias - grad)[Ph:] / sd
        assert np.abs(z).max() < 10.0, (name, z)


@pytest.mark.slow
def test_bias_norm_interval_covers_the_closed_form_norm():
    # bias_norm_ci at 95% (split-sample lower bound, Welch-Satterthwaite upper bound) over 30
    # independent seeds: coverage of the closed-form |b| (0 for UORO). Pass when at least 23 of
    # 30 cover: for a true coverage of 95%, P(X <= 22) = 3e-4 per estimator (binomial).
    model, params, process, burn_in = _system()
    grad = linear_stationary(model, params, process).grad
    truth = {
        k: np.linalg.norm(
            stationary_update_mean(
                model, params, process, sensitivity=linear_sensitivity_map(model, params, k)
            )
            - grad
        )
        for k in ("snap-1", "immediate")
    }
    truth["tbptt-4"] = np.linalg.norm(tbptt_expected_gradient(model, params, process, 4).bias)
    truth["uoro"] = 0.0
    cover = dict.fromkeys(truth, 0)
    for seed in range(200, 230):
        res = stationary_bias_table(
            model, params, process, list(truth), n_particles=100, n_steps=300,
            burn_in=burn_in, rng=seed,
        )  # fmt: skip
        for r in res:
            lo, hi = r.bias_norm_ci
            cover[r.estimator] += lo <= truth[r.estimator] <= hi
    assert min(cover.values()) >= 23, cover
