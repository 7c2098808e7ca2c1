r"""Known-answer tests of the estimators (rtrl_theory.estimators) on chains with closed forms.

Sources of truth (STYLE.md section 5):

* W1: the exact 1-D quantile formula (scipy.stats.wasserstein_distance) as an independent
  implementation of POT's network simplex; invariants W1(x, x) = 0, symmetry, and
  W1(law, law + c) = ||c||_max (the translation coupling gives <= ||c||_max, the 1-Lipschitz
  test function z -> +-z_k with k the argmax of |c_k| gives >=), which also covers delta masses.
* Rates: the scalar AR(1) chain X_{t+1} = a X_t + s eps_{t+1}. Synchronous coupling from
  point masses: X_t - X'_t = a^t (x0 - y0) exactly. Independent coupling from point masses:
  mu_t and nu_t are translates of one law by a^t (x0 - y0), so W1(mu_t, nu_t) = a^t |x0 - y0|.
  Stationary law: mean 0, variance s^2/(1 - a^2), fourth cumulant kappa_4(eps) s^4/(1 - a^4);
  time-average variance s^2/((1 - a)^2 n); integrated autocorrelation time (1 + a)/(1 - a).
* A random-coefficient chain X_{t+1} = A_{t+1} X_t + eps_{t+1} (A uniform on [0.6, 1]):
  under the synchronous coupling E|X_t - X'_t| = (E A)^t |x0 - y0|, a known rate 0.8 with
  genuine particle-to-particle spread, to test the bootstrap interval.

Monte Carlo tolerances are about 5 standard deviations, each derived next to the test.
"""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
from scipy import signal, stats

from rtrl_theory.estimators import ensemble_summary, estimate_contraction_rate, w1_empirical
from rtrl_theory.estimators._rates import fit_geometric_rate, resampled_rate_ci
from rtrl_theory.estimators._stationary import batch_means, effective_sample_size, time_vs_ensemble
from rtrl_theory.estimators._wasserstein import (
    MIN_PARTICLES_FLOOR,
    cost_matrix,
    select_block,
    w1_1d,
    w1_bootstrap,
    w1_floor,
    w1_floor_pair,
)

A_AR = 0.8  # AR(1) coefficient: the known contraction rate
S_AR = 1.0  # noise scale
SQRT3 = math.sqrt(3.0)


def _noise(kind: str, rng, shape):
    """Mean 0, variance 1 noise: Gaussian, or uniform on [-sqrt 3, sqrt 3] (kappa_4 = -1.2)."""
    if kind == "gauss":
        return rng.standard_normal(shape)
    return rng.uniform(-SQRT3, SQRT3, shape)


KAPPA4 = {"gauss": 0.0, "uniform": -1.2}  # fourth cumulant of the unit-variance noise


def _ar1_step(kind: str):
    def step(x, rng):
        return A_AR * x + S_AR * _noise(kind, rng, x.shape)

    return step


def _slope_weights(t: np.ndarray) -> np.ndarray:
    """OLS slope = sum_t w_t log d_t with these weights."""
    tc = t - t.mean()
    return tc / (tc @ tc)


# ----------------------------------------------------------------------------------------------
# W1
# ----------------------------------------------------------------------------------------------


def test_w1_pot_equals_scipy_1d_formula(rng):
    x = rng.standard_normal(137)
    y = 0.3 + 1.7 * rng.standard_normal(211)
    a = rng.uniform(0.1, 1.0, 137)
    b = rng.uniform(0.1, 1.0, 211)
    # Both exact optima of the same linear programme; float64 sums of a few hundred terms only.
    assert w1_empirical(x, y) == pytest.approx(w1_1d(x, y), abs=1e-12, rel=0)
    assert w1_empirical(x, y, a=a, b=b) == pytest.approx(
        stats.wasserstein_distance(x, y, a, b), abs=1e-12, rel=0
    )
    # "auto" dispatches 1-D problems to the formula: same number
    assert w1_empirical(x, y, solver="auto") == pytest.approx(w1_1d(x, y), abs=1e-15, rel=0)


def test_w1_of_shifted_copy_is_max_norm_of_shift(rng):
    x = rng.standard_normal((120, 3))
    c = np.array([0.3, -0.7, 0.2])
    # W1(mu, mu + c) = ||c||_max exactly (module docstring); rounding of x + c - x only.
    assert w1_empirical(x, x + c) == pytest.approx(0.7, abs=1e-12, rel=0)


def test_w1_of_ensemble_with_itself_is_zero(rng):
    x = rng.standard_normal((80, 4))
    assert w1_empirical(x, x) == 0.0  # the diagonal plan costs exactly 0


def test_w1_is_symmetric(rng):
    x = rng.standard_normal((90, 2))
    y = rng.standard_normal((70, 2)) + 0.4
    # same LP transposed; the optimum is unique up to float64 summation order
    assert w1_empirical(x, y) == pytest.approx(w1_empirical(y, x), abs=1e-12, rel=0)


def test_w1_between_delta_masses_is_max_norm_distance():
    p, q = np.array([0.5, -1.0]), np.array([2.0, 1.5])
    assert w1_empirical(p[None, :], q[None, :]) == 2.5  # max(|1.5|, |2.5|), exact arithmetic
    # K copies of each delta: the same law
    assert w1_empirical(np.tile(p, (7, 1)), np.tile(q, (5, 1))) == pytest.approx(2.5, abs=1e-14)
    # cityblock and euclidean ground costs as a check that the metric is honoured
    assert w1_empirical(p[None, :], q[None, :], metric="cityblock") == 4.0
    assert w1_empirical(p[None, :], q[None, :], metric="euclidean") == pytest.approx(
        math.hypot(1.5, 2.5), rel=1e-15
    )


def test_cost_matrix_tiles_and_threads_equal_one_ot_dist_call(rng):
    # 600 rows = 3 tiles per side; 600 * 600 * 60 > the threading threshold
    x, y = rng.standard_normal((600, 60)), rng.standard_normal((550, 60))
    M = cost_matrix(x, y, n_threads=2)
    assert np.array_equal(M, ot.dist(x, y, metric="chebyshev"))  # same entries, computed alike


def test_w1_too_few_simplex_iterations_fails_clearly(rng):
    x, y = rng.standard_normal((300, 2)), rng.standard_normal((300, 2))
    # POT's "numItermax reached" warning must become an error (pytest turns stray warnings
    # into failures, so this also checks that the warning does not leak).
    with pytest.raises(RuntimeError, match="num_iter_max"):
        w1_empirical(x, y, num_iter_max=10)


# ----------------------------------------------------------------------------------------------
# blocks
# ----------------------------------------------------------------------------------------------

BLOCKS = {"X": slice(0, 3), "eta": slice(3, 4), "S": slice(4, 14), "J": slice(14, 44)}


def test_select_block_picks_named_columns():
    Z = np.arange(2 * 44, dtype=float).reshape(2, 44)
    assert np.array_equal(select_block(Z, BLOCKS, "S"), Z[:, 4:14])
    assert np.array_equal(select_block(Z, BLOCKS, ["X", "S", "J"]), np.delete(Z, 3, axis=1))
    assert np.array_equal(select_block(Z, BLOCKS, "all"), Z)
    assert np.array_equal(select_block(Z, None, "all"), Z)


def test_select_block_unknown_name_lists_the_known_ones():
    Z = np.zeros((2, 44))
    with pytest.raises(ValueError, match=r"unknown block 'H'.*'X', 'eta', 'S', 'J'"):
        select_block(Z, BLOCKS, "H")
    with pytest.raises(ValueError, match="repeated"):
        select_block(Z, BLOCKS, ["X", "X"])
    with pytest.raises(ValueError, match="exceeds"):
        select_block(np.zeros((2, 10)), BLOCKS, "S")
    with pytest.raises(ValueError, match="reserved"):
        select_block(Z, {"all": slice(0, 1)}, "all")


# ----------------------------------------------------------------------------------------------
# floor
# ----------------------------------------------------------------------------------------------


def test_w1_floor_decays_like_inverse_square_root_of_K():
    """Two independent K-samples of N(0, 1): E W1 = c K^(-1/2) (1 + O(1/K)) in dimension 1."""
    g = np.random.default_rng(20250108)
    Ks = 100 * 2 ** np.arange(6)  # 100 .. 3200
    R = 40  # replicates per K
    means, ses = [], []
    for K, gk in zip(Ks, g.spawn(len(Ks)), strict=True):
        v = np.array(
            [
                w1_floor_pair(gk.standard_normal(K), gk.standard_normal(K), solver="auto").value
                for _ in range(R)
            ]
        )
        means.append(v.mean())
        ses.append(v.std(ddof=1) / math.sqrt(R))
    logK, logm = np.log(Ks), np.log(means)
    w = _slope_weights(logK)
    slope = float(w @ logm)
    # SE of the slope: independent points, var(log mean) ~ (se / mean)^2 (delta method).
    slope_se = math.sqrt(float(np.sum((w * np.array(ses) / np.array(means)) ** 2)))
    # 5 sigma, plus 0.01 for the O(1/K) correction at K = 100 (it tilts the slope by < 1/K_min)
    assert abs(slope + 0.5) <= 5 * slope_se + 0.01, (slope, slope_se)


def test_w1_floor_of_halves_is_sqrt2_times_the_pair_floor_in_1d():
    """Halves have K/2 points: in 1-D the floor scales like K^(-1/2), a ratio sqrt(2) (W1Floor)."""
    g = np.random.default_rng(7)
    K, R = 1600, 40
    halves = np.array(
        [w1_floor(g.standard_normal(K), n_splits=1, solver="auto", rng=g).value for _ in range(R)]
    )
    pairs = np.array(
        [
            w1_floor_pair(g.standard_normal(K), g.standard_normal(K), solver="auto").value
            for _ in range(R)
        ]
    )
    ratio = halves.mean() / pairs.mean()
    # delta-method SE of a ratio of two independent means
    se = ratio * math.hypot(
        halves.std(ddof=1) / halves.mean() / math.sqrt(R),
        pairs.std(ddof=1) / pairs.mean() / math.sqrt(R),
    )
    assert abs(ratio - math.sqrt(2.0)) <= 5 * se, (ratio, se)
    f = w1_floor(g.standard_normal(K), rng=g)
    assert f.sample_size == K // 2 and f.std is not None
    assert f.pair_range == (f.value / math.sqrt(2.0), f.value)


# ----------------------------------------------------------------------------------------------
# bootstrap
# ----------------------------------------------------------------------------------------------


def test_w1_bootstrap_interval_covers_the_true_shift():
    g = np.random.default_rng(314)
    K = 500
    x = g.standard_normal(K)
    y = 0.5 + g.standard_normal(K)  # W1 = 0.5 exactly (translate)
    bs = w1_bootstrap(x, y, n_boot=400, solver="auto", rng=g)
    assert bs.ci[0] <= 0.5 <= bs.ci[1], bs.ci
    # W1 ~ |mean difference| here: sd sqrt(2/K) = 0.063; the bootstrap SE must be of that size
    # (its own error at K = 500 and 400 replicates is ~ 5%, a factor 1.5 is > 5 sigma).
    assert math.sqrt(2 / K) / 1.5 <= bs.std <= 1.5 * math.sqrt(2 / K), bs.std
    assert bs.samples.shape == (400,) and bs.level == 0.95


def test_w1_bootstrap_pot_and_1d_paths_agree(rng):
    x, y = rng.standard_normal(150), 0.2 + rng.standard_normal(150)
    pot = w1_bootstrap(x, y, n_boot=20, solver="emd", rng=5)
    one = w1_bootstrap(x, y, n_boot=20, solver="auto", rng=5)  # same resampling weights
    np.testing.assert_allclose(pot.samples, one.samples, rtol=0, atol=1e-12)  # exact LP optima


# ----------------------------------------------------------------------------------------------
# contraction rate
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["gauss", "uniform"])
def test_synchronous_rate_of_ar1_is_a_to_rounding(kind):
    K, n_steps = 50, 30
    est = estimate_contraction_rate(
        _ar1_step(kind), np.ones((K, 1)), -np.ones((K, 1)), n_steps, rng=11
    )
    exact = 2.0 * A_AR ** np.arange(n_steps + 1)
    # d_t = 2 a^t up to accumulated rounding, at most ~ t eps |X| / d_t ~ 1e-11 relative at t = 30
    np.testing.assert_allclose(est.distances, exact, rtol=1e-10)
    assert est.n_used == n_steps + 1  # all points far above the float64 resolution floor
    assert abs(est.rate - A_AR) <= 1e-12  # exact geometric curve: rounding only
    assert est.rate_ci[0] <= A_AR <= est.rate_ci[1]
    assert est.rate_ci[1] - est.rate_ci[0] <= 1e-10  # an interval of rounding width
    assert est.consistent_with(A_AR) and not est.consistent_with(0.79)
    assert np.all(est.stderr <= 1e-10 * est.distances)  # all particles at the same distance
    # floor = sqrt(eps) * (largest |state| seen), at least sqrt(eps) * |x0| = 1.5e-8 here
    assert est.floor_method == "resolution"
    assert math.sqrt(np.finfo(float).eps) <= est.floor <= 20 * math.sqrt(np.finfo(float).eps)


def _random_coefficient_step(x, rng):
    A = rng.uniform(0.6, 1.0, x.shape)
    return A * x + rng.standard_normal(x.shape)


def test_synchronous_bootstrap_interval_covers_a_random_coefficient_rate():
    """E|X_t - X'_t| = (E A)^t |x0 - y0| = 0.8^t * 2 under the synchronous coupling."""
    K, n_steps = 400, 30
    est = estimate_contraction_rate(
        _random_coefficient_step, np.ones((K, 1)), -np.ones((K, 1)), n_steps, rng=2024
    )
    assert est.ci_method == "bootstrap" and est.n_used == n_steps + 1
    # Delta method: log dbar_t = log m_t + (dbar_t - m_t)/m_t, with
    # Cov(P_t, P_u) / (m_t m_u) = c^min(t,u) - 1, c = E[A^2]/E[A]^2, for P_t = prod A_s.
    t = np.arange(n_steps + 1)
    c = (0.8**2 + 0.4**2 / 12) / 0.8**2
    cov = (c ** np.minimum.outer(t, t) - 1.0) / K
    w = _slope_weights(t.astype(float))
    sd_rate = 0.8 * math.sqrt(w @ cov @ w)
    assert abs(est.rate - 0.8) <= 5 * sd_rate, (est.rate, sd_rate)  # 5 sigma
    assert est.rate_ci[0] <= 0.8 <= est.rate_ci[1], est.rate_ci
    # The bootstrap spread estimates the same SD; with K = 400 its own relative error is a
    # few percent, so a factor 1.5 is generous.
    boot_sd = est.resampled_rates.std(ddof=1)
    assert sd_rate / 1.5 <= boot_sd <= 1.5 * sd_rate, (boot_sd, sd_rate)


def _ar1_independent_rate_sd(K: int, d0: float, t: np.ndarray) -> float:
    """SD of the fitted rate for W1 between two independent AR(1) ensembles from point masses.

    With the ensembles far apart relative to their spread, W1(mu_t^K, nu_t^K) = |xbar_t - ybar_t|
    and xbar_t - ybar_t = a^t d0 + e_t, e_t = the difference of the two ensembles' mean noises:
    an AR(1) in t with Cov(e_t, e_u) = 2 a^|t-u| s^2 (1 - a^(2 min(t,u))) / (K (1 - a^2)).
    Linearised, log d_t = log(a^t d0) + e_t / (a^t d0), so the slope error is sum_t w_t e_t / w_t.
    """
    a, s = A_AR, S_AR
    tmin = np.minimum.outer(t, t)
    cov = 2 * a ** np.abs(np.subtract.outer(t, t)) * s**2 * (1 - a ** (2 * tmin)) / (K * (1 - a**2))
    w = _slope_weights(t) / (a**t * d0)
    return a * math.sqrt(w @ cov @ w)


@pytest.mark.parametrize("kind", ["gauss", "uniform"])
def test_independent_rate_of_ar1_recovers_a(kind):
    K, n_steps, x0, y0 = 400, 30, 3.0, -3.0
    est = estimate_contraction_rate(
        _ar1_step(kind),
        np.full((K, 1), x0),
        np.full((K, 1), y0),
        n_steps,
        coupling="independent",
        rng=99,
    )
    assert est.ci_method == "jackknife" and est.floor_method == "pair"
    assert est.distances[0] == 6.0  # W1 between the point masses
    t = np.arange(est.window[0], est.window[1] + 1, dtype=float)
    sd = _ar1_independent_rate_sd(K, x0 - y0, t)
    # 5 sigma of the linearised sampling error; the floor bias (W1 of samples >= true W1,
    # about +0.3 sigma on the rate in a 200-replicate check) is inside this band.
    assert abs(est.rate - A_AR) <= 5 * sd, (est.rate, sd)
    assert est.rate_ci[0] <= A_AR <= est.rate_ci[1], est.rate_ci
    assert est.rate_ci_bias_adjusted[0] <= est.rate_ci[0]  # only the lower end moves
    assert est.n_used >= 5 and est.floor > 0
    assert est.distances[est.window[1]] > 3 * est.floor


def test_independent_rate_in_2d_with_pot_and_chebyshev_cost():
    # Coordinates are independent AR(1)s; the laws are translates by a^t (6, 6), so
    # W1 = 6 a^t with the max-norm cost. POT solves every step (solver="emd").
    K = 150
    est = estimate_contraction_rate(
        _ar1_step("gauss"),
        np.full((K, 2), 3.0),
        np.full((K, 2), -3.0),
        20,
        coupling="independent",
        solver="emd",
        floor_method="halves",
        rng=5,
    )
    assert est.distances[0] == pytest.approx(6.0, abs=1e-12)  # sum of K costs 6 / K in float64
    assert est.floor_std is not None and est.floor_method == "halves"
    assert est.rate_ci[0] <= A_AR <= est.rate_ci[1], est.rate_ci
    # 5 jackknife standard errors (the interval above is t_9 * se wide on each side)
    se = (math.log(est.rate_ci[1]) - math.log(est.rate_ci[0])) / (2 * stats.t.ppf(0.975, 9))
    assert abs(math.log(est.rate / A_AR)) <= 5 * se


def test_floor_bias_in_3d_is_bracketed_by_the_debiased_rate():
    """In dimension >= 2 the W1 bias stays of the order of the floor however far apart the
    laws are, so the fitted rate is pulled above a (the sampling interval alone can miss a);
    the documented bracket [rate_debiased, rate] and the bias-adjusted interval cover it."""
    K = 100
    est = estimate_contraction_rate(
        _ar1_step("gauss"),
        np.full((K, 3), 20.0),
        np.full((K, 3), -20.0),
        25,
        coupling="independent",
        rng=41,
    )
    assert est.rate_debiased <= A_AR <= est.rate, (est.rate_debiased, est.rate)
    lo, hi = est.rate_ci_bias_adjusted
    assert lo <= A_AR <= hi and lo <= est.rate_ci[0] and hi == est.rate_ci[1]
    assert est.consistent_with(A_AR)


def test_independent_rate_on_a_block_uses_only_its_columns():
    # Column 1 never moves (identical point masses): only the block "X" carries the distance.
    def step(x, rng):
        out = x.copy()
        out[:, 0] = A_AR * x[:, 0] + rng.standard_normal(x.shape[0])
        return out

    K = 100
    x0 = np.column_stack([np.full(K, 3.0), np.zeros(K)])
    y0 = np.column_stack([np.full(K, -3.0), np.zeros(K)])
    blocks = {"X": slice(0, 1), "Y": slice(1, 2)}
    est = estimate_contraction_rate(
        step, x0, y0, 20, coupling="independent", blocks=blocks, block="X", rng=3
    )
    assert est.block == "X" and est.distances[0] == 6.0
    assert est.rate_ci[0] <= A_AR <= est.rate_ci[1]
    with pytest.raises(ValueError, match="usable"):  # block Y: distance 0 throughout
        estimate_contraction_rate(
            step, x0, y0, 20, coupling="independent", blocks=blocks, block="Y", rng=3
        )


@pytest.mark.slow
def test_independent_jackknife_interval_is_calibrated():
    """Coverage over 100 independent replications: nominal 95%, accept >= 85% (4.6 sigma)."""
    K, n_steps = 300, 30
    root = np.random.default_rng(123)
    hits_jk = hits_ols = 0
    n_rep = 100
    for g in root.spawn(n_rep):
        est = estimate_contraction_rate(
            _ar1_step("gauss"),
            np.full((K, 1), 3.0),
            np.full((K, 1), -3.0),
            n_steps,
            coupling="independent",
            rng=g,
        )
        hits_jk += est.rate_ci[0] <= A_AR <= est.rate_ci[1]
        hits_ols += est.rate_ci_ols[0] <= A_AR <= est.rate_ci_ols[1]
    assert hits_jk >= 85, hits_jk
    assert hits_ols < hits_jk  # the inflated OLS interval is the optimistic one (documented)


def test_fit_geometric_rate_uses_the_leading_run_above_the_floor():
    d = np.r_[2.0 * 0.5 ** np.arange(8), 0.02, 0.01, 0.05, 0.02]
    fit = fit_geometric_rate(d, floor=0.01, above=3.0)  # threshold 0.03
    # 2 * 0.5^t > 0.03 for t <= 6; t = 7 (0.0156) stops the run; 0.05 at t = 10 is not used
    assert fit.window == (0, 6) and fit.n_used == 7
    assert fit.rate == pytest.approx(0.5, rel=1e-14)  # exact powers of two
    fit2 = fit_geometric_rate(d, floor=0.01, skip=2)
    assert fit2.window == (2, 6)


def test_resampled_rate_ci_jackknife_of_identical_curves_has_rounding_width():
    d = 3.0 * 0.7 ** np.arange(12)
    fit = fit_geometric_rate(d, floor=0.0)
    rci = resampled_rate_ci(fit, np.tile(d, (10, 1)), method="jackknife")
    assert rci.ci[0] <= 0.7 <= rci.ci[1] and rci.ci[1] - rci.ci[0] < 1e-12


# ----------------------------------------------------------------------------------------------
# stationary law
# ----------------------------------------------------------------------------------------------


def _stationary_ar1_chain(kind: str, n: int, rng) -> np.ndarray:
    """One AR(1) chain of length n after 200 burn-in steps (a^200 ~ 4e-20), by an exact filter."""
    eps = S_AR * _noise(kind, rng, n + 200)
    return signal.lfilter([1.0], [1.0, -A_AR], eps)[200:]


@pytest.mark.parametrize("kind", ["gauss", "uniform"])
def test_ensemble_of_ar1_chains_has_the_stationary_mean_and_variance(kind):
    K, T = 4000, 100
    g = np.random.default_rng(8)
    x = np.zeros(K)
    for _ in range(T):  # a^(2T) ~ 4e-20: the law at T is the stationary one to float64
        x = A_AR * x + S_AR * _noise(kind, g, K)
    summ = ensemble_summary(x)
    var_pi = S_AR**2 / (1 - A_AR**2)
    # SE of the sample variance: sqrt((mu4 - var^2 (K-3)/(K-1)) / K) with
    # mu4 = 3 var^2 + kappa4(eps) s^4 / (1 - a^4) (cumulants of sum_k a^k eps_k).
    mu4 = 3 * var_pi**2 + KAPPA4[kind] * S_AR**4 / (1 - A_AR**4)
    var_se = math.sqrt((mu4 - var_pi**2 * (K - 3) / (K - 1)) / K)
    mean_se = math.sqrt(var_pi / K)
    assert abs(summ.mean[0]) <= 5 * mean_se  # 5 sigma
    assert abs(summ.var[0] - var_pi) <= 5 * var_se  # 5 sigma
    # The reported SEs estimate these; m4's relative error at K = 4000 is ~5%, so 20% is > 5 sigma.
    assert summ.mean_se[0] == pytest.approx(mean_se, rel=0.2)
    assert summ.var_se[0] == pytest.approx(var_se, rel=0.2)
    # Median: 0 by symmetry. Its SE is sqrt(1/(4K)) / f(0); the order-statistic estimate spans
    # 2 sqrt(K/4) = 63 spacings, relative error ~ 1/sqrt(63) = 0.13, so a factor 2 is ~ 5 sigma.
    med = list(summ.probs).index(0.5)
    assert abs(summ.quantiles[med, 0]) <= 5 * summ.quantiles_se[med, 0]
    if kind == "gauss":
        se_med = math.sqrt(1 / (4 * K)) * math.sqrt(2 * math.pi * var_pi)
        assert se_med / 2 <= summ.quantiles_se[med, 0] <= 2 * se_med


@pytest.mark.parametrize("kind", ["gauss", "uniform"])
def test_batch_means_se_of_one_ar1_chain_matches_theory(kind):
    n, n_b = 200_000, 50
    x = _stationary_ar1_chain(kind, n, np.random.default_rng(17))
    bm = batch_means(x, n_batches=n_b)
    se_theory = S_AR / (1 - A_AR) / math.sqrt(n)  # sqrt(sigma^2 / (1-a)^2 / n), O(1/n) off
    assert abs(bm.mean[0]) <= 5 * se_theory  # 5 sigma
    # Batches of 4000 >> tau = 9 are nearly independent: (n_b - 1) se_hat^2 / se^2 ~ chi2(n_b - 1).
    # Accept the central 1 - 5.7e-7 of that law (the two-sided 5-sigma probability).
    lo, hi = stats.chi2.ppf([2.87e-7, 1 - 2.87e-7], n_b - 1) / (n_b - 1)
    assert math.sqrt(lo) <= bm.stderr[0] / se_theory <= math.sqrt(hi), bm.stderr[0] / se_theory
    assert bm.batch_size == n // n_b and bm.n_discarded == 0


def test_effective_sample_size_of_ar1_is_n_times_1_minus_a_over_1_plus_a():
    n = 200_000
    x = _stationary_ar1_chain("gauss", n, np.random.default_rng(23))
    ess = effective_sample_size(x)
    tau = (1 + A_AR) / (1 - A_AR)
    # Relative SE of tau_hat ~ sqrt(2 (2L + 1) / n), L = lags summed (Bartlett); 5 sigma.
    rel = 5 * math.sqrt(2 * (2 * ess.n_lags[0] + 1) / n)
    assert ess.tau[0] == pytest.approx(tau, rel=rel)
    assert ess.ess[0] == pytest.approx(n / tau, rel=rel)


def test_time_average_agrees_with_ensemble_average():
    g = np.random.default_rng(31)
    chain = _stationary_ar1_chain("gauss", 100_000, g)
    ensemble = g.standard_normal(2000) * S_AR / math.sqrt(1 - A_AR**2)  # exact stationary law
    cmp = time_vs_ensemble(chain, ensemble)
    assert cmp.consistent(5.0), cmp.z  # 5 sigma
    assert not time_vs_ensemble(chain, ensemble + 1.0).consistent(5.0)  # 1.0 is ~ 25 sigma


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------


def test_w1_bad_inputs_raise_clear_errors(rng):
    x = rng.standard_normal((30, 2))
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="x: contains 1 non-finite"):
        w1_empirical(bad, x)
    with pytest.raises(ValueError, match="same dimension"):
        w1_empirical(x, x[:, :1])
    with pytest.raises(ValueError, match="metric"):
        w1_empirical(x, x, metric="sqeuclidean")
    with pytest.raises(ValueError, match="solver"):
        w1_empirical(x, x, solver="sinkhorn")
    with pytest.raises(ValueError, match="a: weights must be non-negative"):
        w1_empirical(x, x, a=-np.ones(30))
    with pytest.raises(ValueError, match="one coordinate"):
        w1_1d(x, x)
    with pytest.raises(ValueError, match=f"at least {MIN_PARTICLES_FLOOR} particles"):
        w1_floor(x[:10], rng=0)
    with pytest.raises(ValueError, match=f"at least {MIN_PARTICLES_FLOOR} particles"):
        w1_floor_pair(x[:10], x[10:20])
    with pytest.raises(ValueError, match="n_boot"):
        w1_bootstrap(x, x, n_boot=5)
    with pytest.raises(ValueError, match="level"):
        w1_bootstrap(x, x, level=1.5)


def test_contraction_bad_inputs_raise_clear_errors():
    step = _ar1_step("gauss")
    x0, y0 = np.ones((40, 1)), -np.ones((40, 1))
    with pytest.raises(ValueError, match="same shape"):
        estimate_contraction_rate(step, x0, -np.ones((40, 2)), 10)
    with pytest.raises(ValueError, match=f"at least {MIN_PARTICLES_FLOOR} particles"):
        estimate_contraction_rate(step, x0[:5], y0[:5], 10)
    with pytest.raises(ValueError, match=r"n_steps >= 4"):
        estimate_contraction_rate(step, x0, y0, 3)
    with pytest.raises(ValueError, match="coupling"):
        estimate_contraction_rate(step, x0, y0, 10, coupling="reflection")
    with pytest.raises(ValueError, match="unknown block 'H'"):
        estimate_contraction_rate(step, x0, y0, 10, blocks={"X": slice(0, 1)}, block="H")
    nan0 = x0.copy()
    nan0[0, 0] = np.nan
    with pytest.raises(ValueError, match="x0: contains 1 non-finite"):
        estimate_contraction_rate(step, nan0, y0, 10)
    with pytest.raises(ValueError, match="non-finite values for ensemble x at t=1"):
        estimate_contraction_rate(lambda s, r: s * np.nan, x0, y0, 10)
    with pytest.raises(ValueError, match="returned shape"):
        estimate_contraction_rate(lambda s, r: s[:, :0], x0, y0, 10)
    with pytest.raises(TypeError, match="step"):
        estimate_contraction_rate("ar1", x0, y0, 10)
    with pytest.raises(ValueError, match="floor_method"):
        estimate_contraction_rate(step, x0, y0, 10, floor_method="pair")
    with pytest.raises(ValueError, match="ci_method"):
        estimate_contraction_rate(step, x0, y0, 10, ci_method="wild")
    with pytest.raises(ValueError, match="n_groups"):
        estimate_contraction_rate(step, x0, y0, 10, coupling="independent", n_groups=3)
    # a floor above the whole curve: no usable points, and the message says what to do
    with pytest.raises(ValueError, match=r"only 0 usable point.*more steps.*more particles"):
        estimate_contraction_rate(step, x0, y0, 10, floor=10.0)


def test_fit_bad_inputs_raise_clear_errors():
    d = 0.5 ** np.arange(10)
    with pytest.raises(ValueError, match=r"only 3 usable point\(s\).*min_points=5"):
        fit_geometric_rate(d, floor=0.05)  # 0.5^t > 0.15 for t <= 2
    with pytest.raises(ValueError, match="non-finite"):
        fit_geometric_rate(np.r_[d, np.nan], floor=0.0)
    with pytest.raises(ValueError, match="negative"):
        fit_geometric_rate(-d, floor=0.0)
    with pytest.raises(ValueError, match="min_points"):
        fit_geometric_rate(d, floor=0.0, min_points=2)
    with pytest.raises(ValueError, match="increasing"):
        fit_geometric_rate(d, floor=0.0, steps=np.arange(10)[::-1])
    with pytest.raises(ValueError, match="floor"):
        fit_geometric_rate(d, floor=-1.0)


def test_stationary_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="n_batches"):
        batch_means(np.arange(10.0), n_batches=8)
    with pytest.raises(ValueError, match="constant"):
        effective_sample_size(np.ones(50))
    with pytest.raises(ValueError, match="same number of coordinates"):
        time_vs_ensemble(np.zeros((100, 2)) + np.arange(100)[:, None], np.ones((10, 3)))
    with pytest.raises(ValueError, match="probs"):
        ensemble_summary(np.arange(10.0), probs=(0.0, 0.5))
    with pytest.raises(ValueError, match="non-finite"):
        ensemble_summary(np.array([1.0, np.inf, 2.0, 3.0]))
