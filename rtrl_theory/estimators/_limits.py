r"""Stationary (limit) quantities of [P1] Section 3.3 by Monte Carlo over particles of the joint process.

* Limit loss (2.27): :math:`L(\theta) = E_{\pi_\theta}[\tfrac12 (y - \alpha\cdot s)^2]`.
* Theorem 3.16: :math:`\nabla L(\theta) = E_{\pi_\theta}[\tilde G(\theta, Z)]` with
  :math:`\tilde G` of (3.63)-(3.64), and :math:`\nabla^2 L(\theta) = E_{\pi_\theta}[H(\theta, Z)]`
  (3.65), (3.72).
* Lemma 3.12: :math:`|E L_T(\theta) - L(\theta)| \le C / (T (1 - \bar\rho))`.

Estimator. K independent particles run ``burn_in`` steps (to forget the initial law: the error
decays like :math:`\bar\rho^t`, (3.45)) and then ``n_steps`` more; each particle's *time average*
of f(Z_t) is one sample, and the K samples are independent and identically distributed. The
estimate is their mean and its standard error their standard deviation over :math:`\sqrt K`;
no batch-means correction is needed because the averaging across particles is over independent
chains. The remaining bias is the burn-in error, :math:`O(\bar\rho^{\text{burn\_in}})`.

Finite differences of L use common random numbers: :math:`L(\theta \pm h e_i)` are estimated
from the same particles' data (the data process does not depend on theta), so each particle
gives one sample of the difference quotient, with small variance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array, as_rng, positive, positive_int

__all__ = [
    "StationaryEstimate",
    "burn_in_for",
    "stationary_average",
    "limit_loss",
    "limit_gradient",
    "limit_hessian_directions",
    "finite_difference_limit_gradient",
    "finite_difference_limit_hessian_directions",
    "expected_loss_curve",
    "loss_bias_curve",
]


@dataclass(frozen=True)
class StationaryEstimate:
    r"""A Monte Carlo estimate of :math:`E_\pi[f(Z)]` from per-particle time averages.

    ``value`` and ``stderr`` have the shape of f's value; ``samples`` are the K per-particle time
    averages (kept for joint error bars and tests).
    """

    value: np.ndarray
    stderr: np.ndarray
    samples: np.ndarray
    n_particles: int
    n_steps: int
    burn_in: int

    def z_scores(self, other) -> np.ndarray:
        """(self - other) / joint standard error, with ``other`` an estimate or exact values."""
        if isinstance(other, StationaryEstimate):
            se = np.sqrt(self.stderr**2 + other.stderr**2)
            diff = self.value - other.value
        else:
            se, diff = self.stderr, self.value - np.asarray(other)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                se > 0, diff / np.where(se > 0, se, 1.0), np.where(diff == 0, 0.0, np.inf)
            )


def burn_in_for(rho_bar: float, tol: float = 1e-6, initial_distance: float = 1.0) -> int:
    r"""Steps after which :math:`\text{initial\_distance}\cdot\bar\rho^t \le \text{tol}`, (3.45)."""
    rho_bar = float(rho_bar)
    if not 0.0 < rho_bar < 1.0:
        raise ValueError(f"rho_bar: expected a number in (0, 1), got {rho_bar!r}")
    tol, initial_distance = positive(tol, "tol"), positive(initial_distance, "initial_distance")
    return max(0, math.ceil(math.log(tol / initial_distance) / math.log(rho_bar)))


def _run_average(jp, fns, *, n_particles, n_steps, burn_in, rng, law, start=None):
    """Per-particle time averages of each f in ``fns`` over n_steps after burn_in."""
    rng = as_rng(rng)
    K = positive_int(n_particles, "n_particles")
    n_steps = positive_int(n_steps, "n_steps")
    if int(burn_in) < 0:
        raise ValueError(f"burn_in: expected a non-negative integer, got {burn_in!r}")
    z = jp.initial(K, rng, law=law) if start is None else start
    z = jp.run(z, int(burn_in), rng)
    sums = [None] * len(fns)

    def accumulate(zt):
        for i, f in enumerate(fns):
            v = f(zt)
            sums[i] = np.array(v, copy=True) if sums[i] is None else sums[i] + v

    z = jp.run(z, n_steps, rng, callback=accumulate)
    return [s / n_steps for s in sums], z


def _estimate(samples, n_steps, burn_in):
    K = samples.shape[0]
    if K < 2:
        raise ValueError("n_particles: at least 2 particles are needed for a standard error")
    value = samples.mean(axis=0)
    stderr = samples.std(axis=0, ddof=1) / math.sqrt(K)
    return StationaryEstimate(value, stderr, samples, K, int(n_steps), int(burn_in))


def stationary_average(jp, fn, *, n_particles, n_steps, burn_in, rng=None, law="point"):
    r""":math:`E_\pi[f(Z)]` for ``fn(z) -> (K, ...)`` on a :class:`~rtrl_theory.runners.JointProcess`.

    Returns ``(StationaryEstimate, final ParticleState)``.
    """
    (samples,), z = _run_average(
        jp, [fn], n_particles=n_particles, n_steps=n_steps, burn_in=burn_in, rng=rng, law=law
    )
    return _estimate(samples, n_steps, burn_in), z


def limit_loss(jp, **kw) -> StationaryEstimate:
    r"""The limit loss (2.27), :math:`L(\theta) = E_\pi[\tfrac12 (y - \alpha\cdot s)^2]`."""
    return stationary_average(jp, jp.loss, **kw)[0]


def limit_gradient(jp, **kw) -> StationaryEstimate:
    r"""Theorem 3.16: :math:`\nabla L(\theta) = E_\pi[\tilde G(\theta, Z)]`, order (alpha, W, B)."""
    return stationary_average(jp, jp.update_direction, **kw)[0]


def limit_hessian_directions(jp, directions, **kw) -> StationaryEstimate:
    r""":math:`v^\top E_\pi[H(\theta, Z)]\, v` for each row v of ``directions`` ((3.65), (3.72)).

    Needs a JointProcess of order 2.
    """
    V = as_array(directions, "directions", shape=(None, jp.model.n_params))

    def quad(z):
        H = jp.hessian(z)
        return np.einsum("mp,kpq,mq->km", V, H, V)

    return stationary_average(jp, quad, **kw)[0]


def _shifted(jp, theta):
    from rtrl_theory.runners import JointProcess

    return JointProcess(jp.model, theta, jp.process, order=1, backend=jp.backend)


def finite_difference_limit_gradient(
    jp, *, h=1e-4, coordinates=None, n_particles, n_steps, burn_in, rng=None, law="point"
) -> StationaryEstimate:
    r"""Central differences :math:`(L(\theta + h e_i) - L(\theta - h e_i)) / 2h` with common
    random numbers (the same seed for both sides and every coordinate).

    Returns an estimate over ``coordinates`` (default: all P parameters, in order). Bias
    :math:`O(h^2)`; the variance is that of the per-particle difference quotients.
    """
    h = positive(h, "h")
    theta = jp.theta
    coords = np.arange(theta.shape[0]) if coordinates is None else np.asarray(coordinates)
    seed = as_rng(rng).integers(2**63)
    samples = []
    for i in coords:
        tp, tm = theta.copy(), theta.copy()
        tp[i] += h
        tm[i] -= h
        kw = dict(n_particles=n_particles, n_steps=n_steps, burn_in=burn_in, law=law)
        jp_p, jp_m = _shifted(jp, tp), _shifted(jp, tm)
        (lp,), _ = _run_average(jp_p, [jp_p.loss], rng=seed, **kw)
        (lm,), _ = _run_average(jp_m, [jp_m.loss], rng=seed, **kw)
        samples.append((lp - lm) / (2.0 * h))
    return _estimate(np.stack(samples, axis=1), n_steps, burn_in)


def finite_difference_limit_hessian_directions(
    jp, directions, *, h=1e-3, n_particles, n_steps, burn_in, rng=None, law="point"
) -> StationaryEstimate:
    r""":math:`v^\top\nabla^2 L\, v` by central second differences of L along each direction v,
    :math:`(L(\theta + h v) - 2L(\theta) + L(\theta - h v)) / h^2`, with common random numbers."""
    h = positive(h, "h")
    V = as_array(directions, "directions", shape=(None, jp.model.n_params))
    seed = as_rng(rng).integers(2**63)
    kw = dict(n_particles=n_particles, n_steps=n_steps, burn_in=burn_in, law=law)
    jp0 = _shifted(jp, jp.theta)
    (l0,), _ = _run_average(jp0, [jp0.loss], rng=seed, **kw)
    samples = []
    for v in V:
        jp_p, jp_m = _shifted(jp, jp.theta + h * v), _shifted(jp, jp.theta - h * v)
        (lp,), _ = _run_average(jp_p, [jp_p.loss], rng=seed, **kw)
        (lm,), _ = _run_average(jp_m, [jp_m.loss], rng=seed, **kw)
        samples.append((lp - 2.0 * l0 + lm) / (h * h))
    return _estimate(np.stack(samples, axis=1), n_steps, burn_in)


def expected_loss_curve(jp, T_grid, *, n_particles, rng=None, law="point"):
    r""":math:`E L_T(\theta)` for T in ``T_grid`` (Lemma 3.12), from the initial law ``law``.

    Each particle runs :math:`\max T` steps from t = 0 (no burn-in) and contributes its running
    averages :math:`L_T = \frac1T\sum_{t<T}\ell_t` at every T of the grid. Returns
    ``(T_grid, mean (len,), stderr (len,))``.
    """
    T_grid, K = _curve_validate(T_grid, n_particles)
    rng = as_rng(rng)
    state = {"z": jp.initial(K, rng, law=law)}

    def advance():
        state["z"] = jp.step(state["z"], rng)
        return jp.loss(state["z"])

    return _running_means(T_grid, jp.loss(state["z"]), advance)


def loss_bias_curve(jp, T_grid, *, n_particles, burn_in, rng=None, law="point"):
    r""":math:`E L_T(\theta) - L(\theta)` for T in ``T_grid`` (Lemma 3.12), by coupling.

    Each particle started from ``law`` is paired with a particle of a stationary ensemble (run
    ``burn_in`` steps first) and both are driven by the same noise (the synchronous coupling).
    Since the stationary copy has :math:`E\ell'_t = L` at every t,

    .. math:: E L_T - L = E\Big[\frac1T\sum_{t<T} (\ell_t - \ell'_t)\Big]

    exactly (up to the burn-in error :math:`O(\bar\rho^{\text{burn\_in}})`), and the difference of
    the coupled losses shrinks geometrically, so the estimator has far less variance than
    :math:`E L_T` and L estimated apart. :math:`T (E L_T - L)` converges to
    :math:`\sum_t E[\ell_t - \ell'_t]`: the bias is :math:`C/T` for large T.

    Returns ``(T_grid, bias (len,), stderr (len,))``.
    """
    T_grid, K = _curve_validate(T_grid, n_particles)
    rng = as_rng(rng)
    r_stat, r_init, r_run = rng.spawn(3)
    state = {
        "zs": jp.run(jp.initial(K, r_stat, law="point"), int(burn_in), r_stat),
        "z": jp.initial(K, r_init, law=law),
    }

    def advance():
        seed = r_run.integers(2**63)
        state["z"] = jp.step(state["z"], np.random.default_rng(seed))
        state["zs"] = jp.step(state["zs"], np.random.default_rng(seed))
        return jp.loss(state["z"]) - jp.loss(state["zs"])

    return _running_means(T_grid, jp.loss(state["z"]) - jp.loss(state["zs"]), advance)


def _curve_validate(T_grid, n_particles):
    T_grid = np.asarray(sorted({int(t) for t in T_grid}))
    if T_grid.size == 0 or T_grid[0] < 1:
        raise ValueError("T_grid: expected positive integers")
    K = positive_int(n_particles, "n_particles")
    if K < 2:
        raise ValueError("n_particles: at least 2 particles are needed for a standard error")
    return T_grid, K


def _running_means(T_grid, first, advance):
    """Per-particle running means (1/T) sum_{t<T} v_t at every T of the grid, then their mean
    and standard error over the particles; ``advance()`` returns the next (K,) values."""
    total = np.array(first, dtype=float, copy=True)
    out = np.empty((total.shape[0], T_grid.size))
    j = 0
    for t in range(1, int(T_grid[-1]) + 1):
        if t == T_grid[j]:
            out[:, j] = total / t
            j += 1
            if j == T_grid.size:
                break
        total += advance()
    return T_grid, out.mean(axis=0), out.std(axis=0, ddof=1) / math.sqrt(out.shape[0])
