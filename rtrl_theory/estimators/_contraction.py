r"""The contraction-rate estimator for any Markov chain (Proposition 3.1 / Theorem 3.11 of [P1]).

:func:`estimate_contraction_rate` runs two ensembles from different initial laws, coupled
synchronously (same noise: the mean max-norm distance, an upper bound on W1) or independently
(W1 by POT, a lower bound on the joint W1 when restricted to a block), and fits the geometric rate
with :mod:`rtrl_theory.estimators._rates`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rtrl_theory._progress import tqdm_class
from rtrl_theory._validate import (
    as_array,
    as_rng,
    in_open_interval,
    nonnegative,
    positive,
    positive_int,
)

from ._rates import (
    _CI_METHODS,
    _EPS,
    COUPLINGS,
    GeometricFit,
    _frozen,
    _ols_slopes,
    fit_geometric_rate,
    resampled_rate_ci,
)
from ._wasserstein import (
    _SOLVERS,
    MIN_PARTICLES_FLOOR,
    _block_columns,
    _emd2,
    _metric,
    cost_matrix,
    w1_1d,
    w1_empirical,
    w1_floor,
)

tqdm = tqdm_class()  # rtrl_theory._progress: the text bar where a notebook bar cannot draw

__all__ = ["ContractionEstimate", "estimate_contraction_rate"]


# ----------------------------------------------------------------------------------------------
# the estimator
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractionEstimate:
    r"""Empirical contraction rate of a Markov chain from two coupled ensembles.

    Attributes
    ----------
    rate : float
        Fitted geometric rate :math:`r` in :math:`d_t \approx c\, r^t`.
    rate_ci : tuple of float
        Confidence interval at ``level`` by ``ci_method``.
    distances : ndarray, shape (n_steps + 1,)
        :math:`d_t` for ``t = 0..n_steps``: mean per-particle max-norm distance (synchronous)
        or exact W1 between the ensembles (independent).
    floor : float
        Level under which points are not fitted (see :func:`estimate_contraction_rate`).
    coupling : {"synchronous", "independent"}
    n_used : int
        Points in the fit.
    window : tuple of int
        First and last step fitted.
    level : float
    ci_method : {"bootstrap", "jackknife", "ols"}
    stderr : ndarray, shape (n_steps + 1,) or None
        Standard error of each :math:`d_t`: sample standard deviation of the per-particle
        distances over :math:`\sqrt K` (synchronous), or the resampling standard error
        (independent with resampling); ``None`` for independent with ``ci_method="ols"``.
    rate_ci_ols : tuple of float
        The autocorrelation-inflated OLS interval, for comparison (optimistic, see
        :func:`fit_geometric_rate`).
    rate_debiased : float or None
        Independent coupling: the rate fitted on :math:`d_t - 2 \times` ``floor`` over the same
        window, the other end of the floor-bias bracket (see Notes of
        :func:`estimate_contraction_rate`); ``None`` for synchronous, or when some fitted point
        is not above twice the floor (``above <= 2``).
    rate_ci_bias_adjusted : tuple of float
        ``rate_ci`` with its lower end moved down to cover the floor bias (independent); equal
        to ``rate_ci`` for synchronous. ``consistent_with`` uses it.
    resampled_rates : ndarray or None
        Rates refitted on each resample.
    floor_method : str
        ``"resolution"``, ``"pair"``, ``"halves"`` or ``"given"``.
    floor_std : float or None
        Spread of the floor estimate (``"halves"`` only).
    n_particles : int
    metric : str
    block : str or tuple of str
    fit : GeometricFit
        The full fit of ``distances``.
    """

    rate: float
    rate_ci: tuple[float, float]
    distances: np.ndarray
    floor: float
    coupling: str
    n_used: int
    window: tuple[int, int]
    level: float
    ci_method: str
    stderr: np.ndarray | None
    rate_ci_ols: tuple[float, float]
    rate_debiased: float | None
    rate_ci_bias_adjusted: tuple[float, float]
    resampled_rates: np.ndarray | None
    floor_method: str
    floor_std: float | None
    n_particles: int
    metric: str
    block: str | tuple
    fit: GeometricFit

    def consistent_with(self, bound: float) -> bool:
        r"""Return False when the whole interval lies above ``bound`` (e.g. :math:`\bar\rho`).

        An empirical rate significantly above the theoretical bound fails the check of
        Proposition 3.1 / Theorem 3.11 of [P1]. The interval is ``rate_ci_bias_adjusted``, so
        that the upward floor bias of an independent-coupling W1 curve cannot fail the check
        on its own.
        """
        return bool(self.rate_ci_bias_adjusted[0] <= bound)

    def summary(self, *, rho_bar: float | None = None, lam: float | None = None) -> str:
        """One line: the rate, its interval and, when given, the theoretical rho_bar and lam."""
        kind = "E||Z-Z'|| (upper bound on W1)" if self.coupling == "synchronous" else "W1 by POT"
        s = (
            f"{self.coupling} coupling, {kind}: rate {self.rate:.4f} "
            f"[{self.rate_ci[0]:.4f}, {self.rate_ci[1]:.4f}] ({self.level:.0%} {self.ci_method}), "
            f"{self.n_used} points, steps {self.window[0]}..{self.window[1]}, floor {self.floor:.3g}"
        )
        if self.rate_debiased is not None:
            lo = self.rate_ci_bias_adjusted[0]
            s += f"; floor-bias bracket [{self.rate_debiased:.4f}, {self.rate:.4f}], adjusted lower end {lo:.4f}"
        if rho_bar is not None:
            verdict = "consistent with" if self.consistent_with(rho_bar) else "ABOVE"
            s += f"; theory rho_bar = {rho_bar:.4f} ({verdict})"
        if lam is not None:
            s += f"; data lam = {lam:.4f}"
        return s


@dataclass(frozen=True)
class _Settings:
    """Validated, normalised arguments of :func:`estimate_contraction_rate`."""

    x0: np.ndarray
    y0: np.ndarray
    n_steps: int
    coupling: str
    metric: str
    cols: slice | np.ndarray
    floor: float | None
    floor_method: str
    above: float
    skip: int
    min_points: int
    level: float
    ci_method: str
    n_boot: int
    n_groups: int
    solver: str


def _contraction_validate(
    step, x0, y0, n_steps, *, coupling, metric, blocks, block, floor, floor_method, above,
    skip, min_points, level, ci_method, n_boot, n_groups, solver,
) -> _Settings:  # fmt: skip
    if not callable(step):
        raise TypeError(
            f"step: expected a callable step(state, rng) -> state, got {type(step).__name__}"
        )
    x0 = as_array(x0, "x0", ndim=2, copy=True)
    y0 = as_array(y0, "y0", ndim=2, copy=True)
    if x0.shape != y0.shape:
        raise ValueError(
            f"x0, y0: expected the same shape (n_particles, dim), got {x0.shape} and {y0.shape}"
        )
    K, dim = x0.shape
    if K < MIN_PARTICLES_FLOOR:
        raise ValueError(
            f"x0: need at least {MIN_PARTICLES_FLOOR} particles (a floor estimate compares two "
            f"samples of {MIN_PARTICLES_FLOOR // 2}, and the resampling interval needs as many), got {K}"
        )
    if coupling not in COUPLINGS:
        raise ValueError(f"coupling: expected one of {COUPLINGS}, got {coupling!r}")
    metric = _metric(metric)
    if solver not in _SOLVERS:
        raise ValueError(f"solver: expected one of {_SOLVERS}, got {solver!r}")
    cols = _block_columns(blocks, block, dim)
    n_steps = positive_int(n_steps, "n_steps")
    min_points = positive_int(min_points, "min_points")
    if isinstance(skip, bool) or not isinstance(skip, int | np.integer) or skip < 0:
        raise ValueError(f"skip: expected a non-negative integer, got {skip!r}")
    if n_steps + 1 < skip + min_points:
        raise ValueError(
            f"n_steps: fitting a rate needs at least min_points={min_points} points after "
            f"skip={skip}, i.e. n_steps >= {skip + min_points - 1}, got {n_steps}"
        )
    allowed = ("resolution",) if coupling == "synchronous" else ("pair", "halves")
    if floor is not None:
        floor = nonnegative(floor, "floor")
        floor_method = "given"
    elif floor_method is None:
        floor_method = allowed[0]
    elif floor_method not in allowed:
        raise ValueError(
            f"floor_method: expected one of {allowed} for the {coupling} coupling, got {floor_method!r}"
        )
    if ci_method is None:
        ci_method = "bootstrap" if coupling == "synchronous" else "jackknife"
    if ci_method not in _CI_METHODS:
        raise ValueError(f"ci_method: expected one of {_CI_METHODS}, got {ci_method!r}")
    if n_boot is None:
        n_boot = 1000 if coupling == "synchronous" else 100
    n_boot = positive_int(n_boot, "n_boot")
    if ci_method == "bootstrap" and n_boot < 20:
        raise ValueError(f"n_boot: expected at least 20 bootstrap replicates, got {n_boot}")
    n_groups = positive_int(n_groups, "n_groups")
    if ci_method == "jackknife" and not 5 <= n_groups <= K // 2:
        raise ValueError(
            f"n_groups: the jackknife needs between 5 and K // 2 = {K // 2} groups, got {n_groups}"
        )
    return _Settings(
        x0=x0,
        y0=y0,
        n_steps=n_steps,
        coupling=coupling,
        metric=metric,
        cols=cols,
        floor=floor,
        floor_method=floor_method,
        above=positive(above, "above"),
        skip=int(skip),
        min_points=min_points,
        level=in_open_interval(level, "level", 0.0, 1.0),
        ci_method=ci_method,
        n_boot=n_boot,
        n_groups=n_groups,
        solver=solver,
    )


def _advance(step, state: np.ndarray, rng, t: int, name: str) -> np.ndarray:
    new = np.asarray(step(state, rng))
    if new.shape != state.shape:
        raise ValueError(
            f"step: returned shape {new.shape} for ensemble {name} at t={t}, expected {state.shape}"
        )
    if not np.all(np.isfinite(new)):
        raise ValueError(f"step: returned non-finite values for ensemble {name} at t={t}")
    return new.astype(np.float64, copy=False)


def _generator(like: np.random.Generator, seed: np.random.SeedSequence) -> np.random.Generator:
    """Return a generator of the same bit-generator type as ``like``, seeded by ``seed``."""
    return np.random.Generator(type(like.bit_generator)(seed))


def _resample_weights(rng, K: int, method: str, n_boot: int, n_groups: int) -> np.ndarray:
    """Weights (n_resamples, K) on the particles, rows summing to 1."""
    if method == "bootstrap":
        return rng.multinomial(K, np.full(K, 1.0 / K), size=n_boot) / K
    labels = rng.permutation(K) % n_groups
    keep = (labels[None, :] != np.arange(n_groups)[:, None]).astype(np.float64)
    return keep / keep.sum(axis=1, keepdims=True)


def _resample_stderr(R: np.ndarray, method: str) -> np.ndarray:
    if method == "bootstrap":
        return R.std(axis=0, ddof=1)
    G = R.shape[0]
    return np.sqrt((G - 1) / G * np.sum((R - R.mean(axis=0)) ** 2, axis=0))


@dataclass(frozen=True)
class _Run:
    """What a simulation of the two ensembles produced."""

    distances: np.ndarray  # (n_steps + 1,)
    stderr: np.ndarray | None  # (n_steps + 1,)
    resampled: np.ndarray | None  # (n_resamples, n_steps + 1)
    floor: float
    floor_std: float | None
    scale: float  # largest |coordinate| of the block seen in the run


def _block_scale(*arrays: np.ndarray) -> float:
    return max(float(np.max(np.abs(a))) for a in arrays)


def _run_synchronous(step, cfg: _Settings, like, ss_noise, g_res, bar) -> _Run:
    """Both ensembles driven by generators built from one child seed per step."""
    x, y, cols = cfg.x0, cfg.y0, cfg.cols
    K = x.shape[0]
    D = np.empty((cfg.n_steps + 1, K))  # per-particle distances
    D[0] = np.max(np.abs(x[:, cols] - y[:, cols]), axis=1)
    scale = _block_scale(x[:, cols], y[:, cols])
    for t in range(1, cfg.n_steps + 1):
        seed = ss_noise.spawn(1)[0]
        x = _advance(step, x, _generator(like, seed), t, "x")
        y = _advance(step, y, _generator(like, seed), t, "y")
        xb, yb = x[:, cols], y[:, cols]
        D[t] = np.max(np.abs(xb - yb), axis=1)
        scale = max(scale, _block_scale(xb, yb))
        bar.update()
    R = None
    if cfg.ci_method != "ols":
        R = _resample_weights(g_res, K, cfg.ci_method, cfg.n_boot, cfg.n_groups) @ D.T
    floor = math.sqrt(_EPS) * scale if cfg.floor is None else cfg.floor
    return _Run(
        distances=D.mean(axis=1),
        stderr=D.std(axis=1, ddof=1) / math.sqrt(K),
        resampled=R,
        floor=floor,
        floor_std=None,
        scale=scale,
    )


def _run_independent(step, cfg: _Settings, like, ss_noise, g_res, bar) -> _Run:
    """Independent generators; exact W1 at every step, and on every resample of the particles."""
    x, y, cols = cfg.x0, cfg.y0, cfg.cols
    K = x.shape[0]
    gx, gy, gz, gf = (_generator(like, s) for s in ss_noise.spawn(4))
    z = x.copy() if cfg.floor_method == "pair" else None
    one_d = cfg.solver == "auto" and x[:, cols].shape[1] == 1
    Wx = Wy = R = None
    if cfg.ci_method != "ols":
        Wx = _resample_weights(g_res, K, cfg.ci_method, cfg.n_boot, cfg.n_groups)
        Wy = _resample_weights(g_res, K, cfg.ci_method, cfg.n_boot, cfg.n_groups)
        R = np.empty((Wx.shape[0], cfg.n_steps + 1))
    distances = np.empty(cfg.n_steps + 1)
    u = np.full(K, 1.0 / K)

    def measure(t: int, xb: np.ndarray, yb: np.ndarray) -> None:
        if one_d:
            distances[t] = w1_1d(xb, yb)
            for r in range(0 if R is None else R.shape[0]):
                R[r, t] = w1_1d(xb, yb, a=Wx[r], b=Wy[r])
        else:
            M = cost_matrix(xb, yb, metric=cfg.metric)  # one cost matrix for all resamples
            distances[t] = _emd2(u, u, M, None)
            for r in range(0 if R is None else R.shape[0]):
                R[r, t] = _emd2(Wx[r], Wy[r], M, None)

    measure(0, x[:, cols], y[:, cols])
    scale = _block_scale(x[:, cols], y[:, cols])
    for t in range(1, cfg.n_steps + 1):
        x = _advance(step, x, gx, t, "x")
        y = _advance(step, y, gy, t, "y")
        if z is not None:
            z = _advance(step, z, gz, t, "x (floor pair)")
        measure(t, x[:, cols], y[:, cols])
        scale = max(scale, _block_scale(x[:, cols], y[:, cols]))
        bar.update()
    floor, floor_std = cfg.floor, None
    if cfg.floor_method == "pair":
        floor = w1_empirical(x[:, cols], z[:, cols], metric=cfg.metric, solver=cfg.solver)
    elif cfg.floor_method == "halves":
        fl = w1_floor(x[:, cols], metric=cfg.metric, solver=cfg.solver, rng=gf)
        floor, floor_std = fl.value, fl.std
    return _Run(
        distances=distances,
        stderr=None if R is None else _resample_stderr(R, cfg.ci_method),
        resampled=R,
        floor=floor,
        floor_std=floor_std,
        scale=scale,
    )


def _floor_bias_bracket(fit: GeometricFit, distances, floor: float, ci) -> tuple:
    """Return the rate of d_t - 2 floor on the window, and ``ci`` with its lower end moved to cover it."""
    i0, i1 = fit.window
    d = distances[i0 : i1 + 1] - 2.0 * floor
    if np.any(d <= 0):
        return None, (0.0, ci[1])
    rate_db = math.exp(float(_ols_slopes(fit.steps[i0 : i1 + 1], np.log(d))))
    return rate_db, (min(ci[0], rate_db * ci[0] / fit.rate), ci[1])


def estimate_contraction_rate(
    step: Callable[[np.ndarray, np.random.Generator], np.ndarray],
    x0,
    y0,
    n_steps: int,
    *,
    coupling: str = "synchronous",
    rng=None,
    metric: str = "chebyshev",
    blocks: Mapping[str, slice] | None = None,
    block="all",
    floor: float | None = None,
    floor_method: str | None = None,
    above: float = 3.0,
    skip: int = 0,
    min_points: int = 5,
    level: float = 0.95,
    ci_method: str | None = None,
    n_boot: int | None = None,
    n_groups: int = 10,
    solver: str = "auto",
    progress: bool = False,
) -> ContractionEstimate:
    r"""Empirical geometric contraction rate of a Markov chain, to compare with :math:`\bar\rho`.

    Runs two ensembles of K particles from ``x0`` and ``y0`` for ``n_steps`` steps, records a
    distance :math:`d_t` between them at ``t = 0..n_steps`` and fits :math:`d_t \approx c\,r^t`
    (:func:`fit_geometric_rate`) above the floor. Proposition 3.1 / Theorem 3.11 of [P1]
    predict :math:`r \le \bar\rho` ((2.16), (3.45)).

    Parameters
    ----------
    step : callable
        ``step(state, rng) -> state`` advances a ``(K, dim)`` array of particles one step of
        the chain, drawing all its randomness from the Generator ``rng`` (i.i.d. across
        particles). It must not keep state between calls.
    x0, y0 : array_like, shape (K, dim)
        Initial ensembles (``K >= 20``); copied, never modified.
    n_steps : int
        Steps to run; at least ``skip + min_points - 1``.
    coupling : {"synchronous", "independent"}
        ``"synchronous"``: at each step ONE child seed is drawn and both ensembles are advanced
        by generators built from it (identical noise streams; particle i of x paired with
        particle i of y); :math:`d_t = \frac1K \sum_i \|x^i_t - y^i_t\|` on the block, an
        upper bound on :math:`W_1(\mu_t, \nu_t)` (of the block marginals).
        ``"independent"``: independent generators; :math:`d_t = W_1(\mu^K_t, \nu^K_t)` on the
        block, exact (POT; for one coordinate with ``solver="auto"`` the exact 1-D formula), a
        lower bound on the joint W1 when the block is not ``"all"``.
    rng : Generator, int or None
        All streams are spawned from it (``SeedSequence.spawn``).
    metric : str
        Ground cost (``"chebyshev"``: the max-norm of [P1]).
    blocks, block
        Named column ranges and the block to measure, as in :func:`select_block`.
    floor : float, optional
        Use this floor instead of estimating one.
    floor_method : str, optional
        Synchronous: ``"resolution"`` (the only one). Independent: ``"pair"`` (default) or
        ``"halves"``. See Notes.
    above : float
        Fit only the leading run of points with :math:`d_t >` ``above * floor``.
    skip : int
        Leading steps left out of the fit (an initial transient).
    min_points : int
        Fewest points in the fit.
    level : float
        Confidence level.
    ci_method : {"bootstrap", "jackknife", "ols"}, optional
        Default ``"bootstrap"`` for synchronous (cheap: the per-particle distances are kept)
        and ``"jackknife"`` for independent (``n_groups`` extra W1 solves per step).
    n_boot : int, optional
        Bootstrap replicates (default 1000 synchronous, 100 independent).
    n_groups : int
        Jackknife groups (5 to K // 2).
    solver : {"auto", "emd"}
        As in :func:`w1_empirical`.
    progress : bool
        Show a progress bar over the steps.

    Returns
    -------
    ContractionEstimate

    Raises
    ------
    ValueError
        Mismatched or non-finite ensembles, fewer than 20 particles, too few steps, unknown
        block or option, a step returning a wrong shape or non-finite values, or too few points
        above the floor (the message says what to change).

    Notes
    -----
    **What ``floor`` means.**

    * Synchronous: :math:`d_t` is an unbiased mean of K exact pathwise distances, so there is no
      sampling floor: it tends to 0, not to a positive level. What limits it is float64: each
      step rounds both paths at the level :math:`\epsilon S`, with S the largest absolute
      coordinate of the block seen in the run, and these errors accumulate. The floor is the
      numerical resolution :math:`\sqrt{\epsilon}\, S \approx 1.5 \times 10^{-8} S`; at
      ``above = 3`` times it, accumulated rounding (at most :math:`\epsilon S t`) is a relative
      error below :math:`10^{-6}` for up to :math:`10^{3}` steps.
    * Independent, ``"pair"``: a third ensemble runs from ``x0`` with its own noise and the
      floor is :math:`W_1(\mu^K_T, \mu'^K_T)` at the final step: the W1 between two
      independent K-samples of the same law, exactly the level the curve levels off at.
      ``"halves"``: :func:`w1_floor` of the final x-ensemble (halves of K/2, a conservative
      floor, larger by a factor up to :math:`\sqrt 2`; no extra simulation).
      The W1 between K-ensembles is off from the true W1 by at most about twice the floor in
      expectation (see :func:`w1_floor`), hence the default ``above = 3``.

    **The intervals.** ``rate_ci`` comes from resampling particles (whole trajectories, which
    are i.i.d.): percentile bootstrap (synchronous default: the per-particle distances are
    kept, so a replicate costs one weighted mean per step) or delete-a-group jackknife with a
    t interval (independent default: a replicate costs one W1 solve per step, with the cost
    matrix of the step reused through weights). Both keep the dependence along the curve. The
    autocorrelation-inflated OLS interval is reported as ``rate_ci_ols`` and used only with
    ``ci_method="ols"``; it is optimistic for W1 curves (see :func:`fit_geometric_rate`).
    All intervals are widened by a float64 rounding allowance (resolution
    :math:`4 (t+1) \epsilon S` on :math:`d_t`).

    **Floor bias (independent coupling).** The intervals above cover sampling error only.
    Between K-ensembles, :math:`E\, d_t \ge w_t = W_1(\mu_t, \nu_t)` (joint convexity:
    :math:`W_1(E\mu^K, E\nu^K) \le E\, W_1(\mu^K, \nu^K)`) and
    :math:`E\, d_t \le w_t + E W_1(\mu^K_t, \mu_t) + E W_1(\nu^K_t, \nu_t) \lesssim w_t + 2f`.
    In dimension 1 the bias is second order while the laws are well separated, but in dimension
    :math:`\ge 2` it stays of the order of the floor however far apart the laws are, so
    :math:`d_t` decays more slowly than :math:`w_t` and the fitted rate is pulled towards 1
    (an AR(1) check: true rate 0.7, 3 coordinates, K = 200: fitted 0.707, with a jackknife
    interval that missed 0.7 in 10 of 12 runs). ``rate_debiased`` fits :math:`d_t - 2f` on
    the same window; for a bias between 0 and 2f that is constant along the window, the true
    rate lies between it and ``rate``. ``rate_ci_bias_adjusted`` moves the lower end of
    ``rate_ci`` down to ``rate_debiased`` times the same relative margin, and
    ``consistent_with`` uses it. For a check against :math:`\bar\rho` on a high-dimensional
    block prefer the synchronous coupling: it has no floor bias and bounds W1 from above.

    References
    ----------
    [P1] Example 2.4 (2.9)-(2.11), (2.16), Proposition 3.1 / Theorem 3.11, (3.45).

    Examples
    --------
    >>> def ar1(x, rng):
    ...     return 0.5 * x + rng.standard_normal(x.shape)
    >>> est = estimate_contraction_rate(ar1, np.ones((20, 1)), -np.ones((20, 1)), 10, rng=0)
    >>> round(est.rate, 10), est.n_used
    (0.5, 11)
    """
    cfg = _contraction_validate(
        step, x0, y0, n_steps, coupling=coupling, metric=metric, blocks=blocks, block=block,
        floor=floor, floor_method=floor_method, above=above, skip=skip, min_points=min_points,
        level=level, ci_method=ci_method, n_boot=n_boot, n_groups=n_groups, solver=solver,
    )  # fmt: skip
    rng = as_rng(rng)
    ss_noise, ss_resample = rng.bit_generator.seed_seq.spawn(2)
    g_res = _generator(rng, ss_resample)
    bar = tqdm(total=cfg.n_steps, disable=not progress, desc=f"contraction ({coupling})")
    try:
        run = (_run_synchronous if coupling == "synchronous" else _run_independent)(
            step, cfg, rng, ss_noise, g_res, bar
        )
    finally:
        bar.close()
    # float64 resolution of d_t: rounding of both paths, accumulated over t + 1 steps
    resolution = 4.0 * _EPS * run.scale * np.arange(1, cfg.n_steps + 2)
    fit = fit_geometric_rate(
        run.distances, run.floor, above=cfg.above, min_points=cfg.min_points, level=cfg.level,
        skip=cfg.skip, resolution=resolution,
    )  # fmt: skip
    if run.resampled is None:
        rate_ci, resampled = fit.rate_ci, None
    else:
        rci = resampled_rate_ci(fit, run.resampled, method=cfg.ci_method)
        rate_ci, resampled = rci.ci, rci.rates
    if coupling == "independent":
        rate_debiased, ci_adjusted = _floor_bias_bracket(fit, run.distances, run.floor, rate_ci)
    else:
        rate_debiased, ci_adjusted = None, rate_ci
    block_name = block if isinstance(block, str) else tuple(block)
    return ContractionEstimate(
        rate=fit.rate,
        rate_ci=rate_ci,
        distances=_frozen(run.distances),
        floor=float(run.floor),
        coupling=coupling,
        n_used=fit.n_used,
        window=(int(fit.steps[fit.window[0]]), int(fit.steps[fit.window[1]])),
        level=cfg.level,
        ci_method=cfg.ci_method,
        stderr=None if run.stderr is None else _frozen(run.stderr),
        rate_ci_ols=fit.rate_ci,
        rate_debiased=rate_debiased,
        rate_ci_bias_adjusted=ci_adjusted,
        resampled_rates=resampled,
        floor_method=cfg.floor_method,
        floor_std=run.floor_std,
        n_particles=cfg.x0.shape[0],
        metric=cfg.metric,
        block=block_name,
        fit=fit,
    )
