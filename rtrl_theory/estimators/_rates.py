r"""Empirical geometric contraction rate of a Markov chain, to set beside rho_bar of [P1].

Proposition 3.1 / Theorem 3.11 of [P1] (THEORY.md section 6): the joint kernel contracts in W1
with the max-norm ground cost, :math:`W_1(Q(z, \cdot), Q(z', \cdot)) \le \bar\rho \|z - z'\|`,
hence for two initial laws :math:`W_1(\mu_t, \nu_t) \le \bar\rho^t W_1(\mu_0, \nu_0)` and
:math:`W_1(\mu_t, \pi) \le C \bar\rho^t` (2.16), (3.45). This module measures the rate
:math:`r` in :math:`d_t \approx c\, r^t` from two particle ensembles, with either coupling:

* ``"synchronous"``: both ensembles are driven by the same data and noise (particle i of one
  paired with particle i of the other), :math:`d_t = \frac1K \sum_i \|x^i_t - y^i_t\|_\infty`,
  an unbiased estimate of :math:`E \|Z_t - Z'_t\|`, which is an **upper bound** on
  :math:`W_1(\mu_t, \nu_t)`. When the coupling contracts almost surely (Example 2.4, (2.9)-(2.11))
  its rate is at most :math:`\bar\rho`.
* ``"independent"``: independent noise, :math:`d_t = W_1(\mu^K_t, \nu^K_t)` exactly by POT
  (on a block of coordinates: a **lower bound** on the joint W1); it levels off at the
  finite-sample floor, and only the part of the curve above the floor is fitted.

Nothing here knows about RNNs: ``step(state, rng) -> state`` may advance any Markov chain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rtrl_theory._validate import (
    as_array,
    in_open_interval,
    nonnegative,
    positive,
    positive_int,
)

__all__ = [
    "COUPLINGS",
    "GeometricFit",
    "ResampledRateCI",
    "fit_geometric_rate",
    "resampled_rate_ci",
]

COUPLINGS = ("synchronous", "independent")
_CI_METHODS = ("bootstrap", "jackknife", "ols")
_EPS = float(np.finfo(np.float64).eps)
_PHI_MAX = 0.95  # cap on the residual autocorrelation used to inflate the OLS interval
_MAX_INVALID_RESAMPLES = 0.05


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


# ----------------------------------------------------------------------------------------------
# the fit
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeometricFit:
    r"""Least-squares fit of :math:`\log d_t = c + t \log r` on the window above the floor.

    Attributes
    ----------
    rate : float
        :math:`r = e^{\hat\beta}`, with :math:`\hat\beta` the OLS slope.
    rate_ci : tuple of float
        OLS interval with the slope's standard error inflated for residual autocorrelation
        (see :func:`fit_geometric_rate`), widened by ``rounding_allowance``.
    slope, slope_se : float
        :math:`\hat\beta = \log r` and its inflated standard error.
    intercept : float
        :math:`\hat c`, at ``t = 0`` of ``steps``.
    n_used : int
        Points in the fit.
    window : tuple of int
        First and last index of ``distances`` in the fit (inclusive).
    steps : ndarray, shape (n_points,)
        The abscissae ``t``.
    used : ndarray of bool, shape (n_points,)
    threshold : float
        ``above * floor``: fitted points lie strictly above it.
    residual_autocorr : float
        Lag-1 autocorrelation of the residuals (before clipping).
    inflation : float
        Factor applied to the OLS standard error.
    rounding_allowance : float
        Bound on the slope error from float64 rounding, added to both ends of every interval.
    level : float
    """

    rate: float
    rate_ci: tuple[float, float]
    slope: float
    slope_se: float
    intercept: float
    n_used: int
    window: tuple[int, int]
    steps: np.ndarray
    used: np.ndarray
    threshold: float
    residual_autocorr: float
    inflation: float
    rounding_allowance: float
    level: float


def _fit_validate(distances, floor, steps, above, min_points, level, skip, resolution):
    d = as_array(distances, "distances", ndim=1)
    if np.any(d < 0):
        raise ValueError("distances: expected non-negative values (distances), got a negative one")
    n = d.shape[0]
    if steps is None:
        t = np.arange(n, dtype=np.float64)
    else:
        t = as_array(steps, "steps", shape=(n,))
        if n > 1 and np.any(np.diff(t) <= 0):
            raise ValueError("steps: expected strictly increasing values")
    floor = nonnegative(floor, "floor")
    above = positive(above, "above")
    min_points = positive_int(min_points, "min_points")
    if min_points < 3:
        raise ValueError(
            f"min_points: a slope with an error estimate needs at least 3 points, got {min_points}"
        )
    level = in_open_interval(level, "level", 0.0, 1.0)
    if isinstance(skip, bool) or not isinstance(skip, int | np.integer) or skip < 0:
        raise ValueError(f"skip: expected a non-negative integer, got {skip!r}")
    if np.ndim(resolution) == 0:
        res = np.full(n, nonnegative(resolution, "resolution"))
    else:
        res = as_array(resolution, "resolution", shape=(n,))
        if np.any(res < 0):
            raise ValueError("resolution: expected non-negative values")
    return d, t, floor, above, min_points, level, int(skip), res


def _window(d: np.ndarray, threshold: float, skip: int):
    """Return the leading run of points above the threshold, from the first one at or after ``skip``."""
    ok = d > threshold
    ok[:skip] = False
    if not ok.any():
        return None
    i0 = int(np.argmax(ok))
    run = ok[i0:]
    i1 = i0 + (int(np.argmin(run)) - 1 if not run.all() else run.size - 1)
    return i0, i1


def _ols_slopes(t: np.ndarray, logd: np.ndarray) -> np.ndarray:
    """OLS slopes of each row of ``logd`` (shape (..., n)) on ``t`` (shape (n,))."""
    tc = t - t.mean()
    return (logd - logd.mean(axis=-1, keepdims=True)) @ tc / (tc @ tc)


def fit_geometric_rate(
    distances,
    floor: float,
    *,
    steps=None,
    above: float = 3.0,
    min_points: int = 5,
    level: float = 0.95,
    skip: int = 0,
    resolution=0.0,
) -> GeometricFit:
    r"""Fit a geometric rate :math:`d_t \approx c\, r^t` to a distance curve above its floor.

    .. math::

        \log d_t = c + t \log r + e_t, \qquad t \in \{t_{i_0}, \dots, t_{i_1}\},

    by ordinary least squares, where :math:`[i_0, i_1]` is the leading run of points with
    :math:`d_t > \text{above} \times \text{floor}` (and :math:`d_t > 0`), starting at the first
    such point at or after index ``skip``. The run stops at the first point at or below the
    threshold; later points that bounce above it are floor noise and are not used.

    Parameters
    ----------
    distances : array_like, shape (n_points,)
        Non-negative, finite distances :math:`d_t` (e.g. ``t = 0..n_steps``).
    floor : float
        Level below which the curve is noise (the W1 floor, or a numerical resolution).
    steps : array_like, shape (n_points,), optional
        Strictly increasing abscissae (default ``0, 1, ...``).
    above : float
        Points must exceed ``above * floor``. At ``above = 3`` the bias of a W1 estimate,
        at most about twice the floor (see :func:`w1_floor`), is at most 2/3 of the value at
        the lowest fitted point, and far less at the others.
    min_points : int
        Fewest points to fit (at least 3).
    level : float
        Confidence level of ``rate_ci``.
    skip : int
        Leading points to leave out (an initial transient).
    resolution : float or array_like, shape (n_points,)
        Bound on the absolute float64 error of each :math:`d_t`; enters ``rounding_allowance``.

    Returns
    -------
    GeometricFit

    Raises
    ------
    ValueError
        Fewer than ``min_points`` usable points (the message says how many there were and what
        to change), or invalid input.

    Notes
    -----
    **The OLS interval.** Residuals along a distance curve are autocorrelated (the same
    particles, or the same noise, carry over from one step to the next), so the textbook OLS
    standard error is too small. ``rate_ci`` inflates it by
    :math:`\sqrt{(1 + \hat\phi)/(1 - \hat\phi)}`, the variance factor of an OLS trend slope
    under AR(1) errors with lag-1 autocorrelation :math:`\hat\phi` (clipped to [0, 0.95]),
    and uses Student's t with ``n_used - 2`` degrees of freedom. This is still optimistic
    when the errors are far from AR(1): for a W1 curve between two independent ensembles the
    relative error grows as :math:`d_t` falls towards the floor and behaves like a random walk
    (on an AR(1) chain with 300 to 1000 particles it covered only 45% to 62% at a nominal 95%). Prefer the particle
    resampling intervals of :func:`resampled_rate_ci`, which
    :func:`estimate_contraction_rate` uses by default; this one is reported beside them.

    **Rounding.** With per-point bounds :math:`u_t = \text{resolution}_t / d_t + 4\epsilon
    (1 + |\log d_t|)` on the error of :math:`\log d_t`, the slope, a linear combination
    :math:`\sum_t w_t \log d_t` with :math:`w_t = (t - \bar t)/S_{tt}`, is off by at most
    :math:`\delta = \sum_t |w_t| u_t`; every interval is widened by :math:`\delta` on the log
    scale, so that a noise-free curve gets an interval of rounding width instead of an empty one.

    References
    ----------
    [P1] (2.16), (3.45), Proposition 3.1 / Theorem 3.11.

    Examples
    --------
    >>> fit = fit_geometric_rate(2.0 * 0.5 ** np.arange(10), floor=0.0)
    >>> round(fit.rate, 12), fit.n_used
    (0.5, 10)
    """
    d, t, floor, above, min_points, level, skip, res = _fit_validate(
        distances, floor, steps, above, min_points, level, skip, resolution
    )
    threshold = above * floor
    win = _window(d, threshold, skip)
    n_used = 0 if win is None else win[1] - win[0] + 1
    if n_used < min_points:
        n_above = int(np.count_nonzero(d[skip:] > threshold))
        raise ValueError(
            f"distances: only {n_used} usable point(s) in the leading run above "
            f"above * floor = {above:g} * {floor:.3g} = {threshold:.3g} (and > 0) "
            f"after skip={skip} (of {d.size} points; {n_above} above the threshold in all); "
            f"need at least min_points={min_points}. Run more steps, start the two ensembles "
            f"farther apart (a larger initial distance), or use more particles (a lower floor)."
        )
    i0, i1 = win
    tt = t[i0 : i1 + 1]
    logd = np.log(d[i0 : i1 + 1])
    slope = float(_ols_slopes(tt, logd))
    intercept = float(logd.mean() - slope * tt.mean())
    resid = logd - intercept - slope * tt
    tc = tt - tt.mean()
    sxx = float(tc @ tc)
    rss = float(resid @ resid)
    se_ols = math.sqrt(rss / (n_used - 2) / sxx)
    phi = float(resid[1:] @ resid[:-1] / rss) if rss > 0 else 0.0
    phi_c = min(max(phi, 0.0), _PHI_MAX)
    inflation = math.sqrt((1.0 + phi_c) / (1.0 - phi_c))
    se = se_ols * inflation
    u = res[i0 : i1 + 1] / d[i0 : i1 + 1] + 4.0 * _EPS * (1.0 + np.abs(logd))
    delta = float(np.abs(tc / sxx) @ u)
    q = float(stats.t.ppf(0.5 + level / 2.0, n_used - 2))
    used = np.zeros(d.size, dtype=bool)
    used[i0 : i1 + 1] = True
    return GeometricFit(
        rate=math.exp(slope),
        rate_ci=(math.exp(slope - q * se - delta), math.exp(slope + q * se + delta)),
        slope=slope,
        slope_se=se,
        intercept=intercept,
        n_used=n_used,
        window=(i0, i1),
        steps=_frozen(t),
        used=_frozen(used),
        threshold=threshold,
        residual_autocorr=phi,
        inflation=inflation,
        rounding_allowance=delta,
        level=level,
    )


# ----------------------------------------------------------------------------------------------
# resampling intervals
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResampledRateCI:
    """Interval for the rate from curves recomputed on resampled particles.

    Attributes
    ----------
    ci : tuple of float
    rates : ndarray, shape (n_valid,)
        Rates refitted on the window of the original fit, one per valid resample.
    slope_se : float
        Standard error of the log-rate (bootstrap standard deviation or jackknife formula).
    method : {"bootstrap", "jackknife"}
    n_resamples : int
        Resamples given.
    n_invalid : int
        Resamples dropped because a distance in the window was zero.
    """

    ci: tuple[float, float]
    rates: np.ndarray
    slope_se: float
    method: str
    n_resamples: int
    n_invalid: int


def resampled_rate_ci(fit: GeometricFit, resampled_distances, *, method: str) -> ResampledRateCI:
    r"""Confidence interval for the rate from distance curves of resampled particles.

    Each row of ``resampled_distances`` is the distance curve recomputed with the particles
    (whole trajectories) resampled; the slope is refitted on the window of ``fit``.

    * ``"bootstrap"``: rows from resampling particles with replacement; percentile interval
      of the refitted rates.
    * ``"jackknife"``: row g from deleting group g of G particle groups;
      :math:`\widehat{se} = \sqrt{\tfrac{G-1}{G} \sum_g (\hat\beta_{(g)} - \bar\beta)^2}` and
      the interval :math:`\exp(\hat\beta \pm t_{G-1}\, \widehat{se})`.

    Both are widened by ``fit.rounding_allowance`` on the log scale.

    Parameters
    ----------
    fit : GeometricFit
        The fit of the original curve (window, level, rounding allowance).
    resampled_distances : array_like, shape (n_resamples, n_points)
    method : {"bootstrap", "jackknife"}

    Returns
    -------
    ResampledRateCI

    Notes
    -----
    Particles are i.i.d. trajectories, so resampling whole trajectories keeps the dependence
    along each curve, which the OLS interval of :func:`fit_geometric_rate` cannot see. On an
    AR(1) chain, between two independent 500-particle ensembles (200 replications), both
    covered the true rate 94% of the time at a nominal 95%, against 62% for the inflated OLS.
    """
    if method not in ("bootstrap", "jackknife"):
        raise ValueError(f"method: expected 'bootstrap' or 'jackknife', got {method!r}")
    R = as_array(resampled_distances, "resampled_distances", ndim=2)
    if R.shape[1] != fit.used.size:
        raise ValueError(
            f"resampled_distances: expected {fit.used.size} points per row (as in the fit), got {R.shape[1]}"
        )
    n_res = R.shape[0]
    i0, i1 = fit.window
    W = R[:, i0 : i1 + 1]
    valid = np.all(W > 0, axis=1)
    n_invalid = int(n_res - np.count_nonzero(valid))
    if n_invalid > _MAX_INVALID_RESAMPLES * n_res or n_res - n_invalid < 2:
        raise ValueError(
            f"resampled_distances: {n_invalid} of {n_res} resamples have a zero distance in the "
            f"fit window; the window reaches too close to zero (raise floor or above)"
        )
    slopes = _ols_slopes(fit.steps[i0 : i1 + 1], np.log(W[valid]))
    delta = fit.rounding_allowance
    if method == "bootstrap":
        alpha = 1.0 - fit.level
        lo, hi = np.quantile(slopes, [alpha / 2.0, 1.0 - alpha / 2.0])
        se = float(slopes.std(ddof=1))
    else:
        G = slopes.size
        se = math.sqrt((G - 1) / G * float(np.sum((slopes - slopes.mean()) ** 2)))
        q = float(stats.t.ppf(0.5 + fit.level / 2.0, G - 1))
        lo, hi = fit.slope - q * se, fit.slope + q * se
    return ResampledRateCI(
        ci=(math.exp(lo - delta), math.exp(hi + delta)),
        rates=_frozen(np.exp(slopes)),
        slope_se=se,
        method=method,
        n_resamples=n_res,
        n_invalid=n_invalid,
    )
