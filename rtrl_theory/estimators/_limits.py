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
gives one sample of the difference quotient, with small variance. They share the particles'
pathwise computation with E_pi[G~] (they agree particle by particle up to O(h^2)), so they are
NOT an independent route to grad L. The independent route is
:func:`directional_gradient_independent`: a five-point stencil on :func:`stationary_loss_forward`
(data and hidden state only, no sensitivity), every evaluation from its own seed.

Transients (Theorem 3.16 from any initial law, Lemmas 3.12 and 3.15):
:func:`expected_function_curve` (:math:`E f(Z_t)` from an initial law) and
:func:`coupled_bias_curve` (:math:`E[\frac1T\sum_{t<T} f(Z_t)] - E_\pi f` by the synchronous
coupling with a stationary ensemble, independent pairs); :func:`matched_w1` (exact empirical W1
by an optimal assignment); :data:`LIMIT_RATE_EXPONENT` (the 1/T rate the lemmas claim).
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
    "stationary_loss_forward",
    "FD_STENCIL",
    "directional_gradient_independent",
    "expected_function_curve",
    "coupled_bias_curve",
    "matched_w1",
    "LIMIT_RATE_EXPONENT",
]


@dataclass(frozen=True)
class StationaryEstimate:
    r"""A Monte Carlo estimate of :math:`E_\pi[f(Z)]` from per-particle time averages.

    ``value`` and ``stderr`` have the shape of f's value; ``samples`` are the K per-particle time
    averages (kept for joint error bars and tests).

    Attributes
    ----------
    value : ndarray, shape f_shape
        The mean of the K per-particle time averages.
    stderr : ndarray, shape f_shape
        Their standard deviation over :math:`\sqrt K` (independent particles).
    samples : ndarray, shape (K,) + f_shape
        The per-particle time averages.
    n_particles : int
        K.
    n_steps : int
        Steps averaged per particle.
    burn_in : int
        Steps discarded before averaging.
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
    r"""Return the steps after which :math:`\text{initial\_distance}\cdot\bar\rho^t \le \text{tol}`, (3.45).

    The W1 distance of the joint process to its stationary law decays like :math:`\bar\rho^t`
    (Proposition 3.1, (3.45) of [P1]); this is the smallest such t.

    Parameters
    ----------
    rho_bar : float
        The contraction rate :math:`\bar\rho = \max(\lambda, \rho)`, in (0, 1).
    tol : float, default 1e-6
        The distance to reach.
    initial_distance : float, default 1.0
        W1 distance of the initial law to the stationary law (a bound on it).

    Returns
    -------
    int
        :math:`\lceil \log(\text{tol}/\text{initial\_distance}) / \log\bar\rho \rceil`, at least 0.

    Raises
    ------
    ValueError
        If ``rho_bar`` is not in (0, 1), or ``tol`` or ``initial_distance`` is not positive.
    """
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

    K independent particles run ``burn_in`` steps, then ``n_steps`` more; each particle's time
    average of f is one sample (module docstring). The remaining bias is
    :math:`O(\bar\rho^{\text{burn\_in}})`.

    Parameters
    ----------
    jp : JointProcess
        The joint process :math:`Z_t` at fixed :math:`\theta` (Section 3 of [P1]).
    fn : callable
        ``fn(z) -> ndarray, shape (K,) + f_shape`` on a ParticleState of K particles.
    n_particles : int
        K, independent particles (at least 2, for the standard error).
    n_steps : int
        Steps averaged per particle after the burn-in.
    burn_in : int
        Steps discarded first (:func:`burn_in_for` gives one from :math:`\bar\rho`, (3.45)).
    rng : int, Generator or None, default None
        Drives the particles' initial law and their data.
    law : {"point", "box"} or ParticleState, default "point"
        The initial law of :meth:`JointProcess.initial <rtrl_theory.runners.JointProcess.initial>`.

    Returns
    -------
    estimate : StationaryEstimate
        Of :math:`E_\pi[f(Z)]`, shape f_shape.
    state : ParticleState
        The particles at the end (to continue from).

    See Also
    --------
    limit_loss, limit_gradient : the two averages of Theorem 3.16.
    """
    (samples,), z = _run_average(
        jp, [fn], n_particles=n_particles, n_steps=n_steps, burn_in=burn_in, rng=rng, law=law
    )
    return _estimate(samples, n_steps, burn_in), z


def limit_loss(jp, *, n_particles, n_steps, burn_in, rng=None, law="point") -> StationaryEstimate:
    r"""Return the limit loss (2.27), :math:`L(\theta) = E_\pi[\tfrac12 (y - \alpha\cdot s)^2]`.

    Parameters
    ----------
    jp : JointProcess
        The joint process at fixed :math:`\theta` (any order).
    n_particles : int
        K, independent particles (at least 2, for the standard error).
    n_steps : int
        Steps averaged per particle after the burn-in.
    burn_in : int
        Steps discarded first (:func:`burn_in_for` gives one from :math:`\bar\rho`, (3.45)).
    rng : int, Generator or None, default None
        Drives the particles' initial law and their data.
    law : {"point", "box"} or ParticleState, default "point"
        The initial law of :meth:`JointProcess.initial <rtrl_theory.runners.JointProcess.initial>`.

    Returns
    -------
    StationaryEstimate
        Scalar ``value`` and ``stderr``; ``samples`` of shape (K,).

    See Also
    --------
    limit_gradient : :math:`\nabla L` by Theorem 3.16.
    rtrl_theory.oracles.linear_stationary : the exact value on a linear system.
    """
    return stationary_average(
        jp, jp.loss, n_particles=n_particles, n_steps=n_steps, burn_in=burn_in, rng=rng, law=law
    )[0]


def limit_gradient(
    jp, *, n_particles, n_steps, burn_in, rng=None, law="point"
) -> StationaryEstimate:
    r"""Theorem 3.16: :math:`\nabla L(\theta) = E_\pi[\tilde G(\theta, Z)]`, order (alpha, W, B).

    :math:`\tilde G` is the update direction (3.63)-(3.64) of [P1] (``jp.update_direction``),
    averaged under the stationary law of the joint process.

    Parameters
    ----------
    jp : JointProcess
        The joint process at fixed :math:`\theta`, of order 1 or 2.
    n_particles : int
        K, independent particles (at least 2, for the standard error).
    n_steps : int
        Steps averaged per particle after the burn-in.
    burn_in : int
        Steps discarded first (:func:`burn_in_for` gives one from :math:`\bar\rho`, (3.45)).
    rng : int, Generator or None, default None
        Drives the particles' initial law and their data.
    law : {"point", "box"} or ParticleState, default "point"
        The initial law of :meth:`JointProcess.initial <rtrl_theory.runners.JointProcess.initial>`.

    Returns
    -------
    StationaryEstimate
        ``value`` and ``stderr`` of shape (P,), in the model's flat order; ``samples`` (K, P).

    See Also
    --------
    finite_difference_limit_gradient : central differences of :func:`limit_loss` (same particles).
    rtrl_theory.oracles.linear_stationary : the exact gradient on a linear system.
    """
    return stationary_average(
        jp,
        jp.update_direction,
        n_particles=n_particles,
        n_steps=n_steps,
        burn_in=burn_in,
        rng=rng,
        law=law,
    )[0]


def limit_hessian_directions(
    jp, directions, *, n_particles, n_steps, burn_in, rng=None, law="point"
) -> StationaryEstimate:
    r""":math:`v^\top E_\pi[H(\theta, Z)]\, v` for each row v of ``directions`` ((3.65), (3.72)).

    Needs a JointProcess of order 2.

    Parameters
    ----------
    jp : JointProcess
        The joint process at fixed :math:`\theta`, of order 2 (second-order sensitivities).
    directions : ndarray, shape (m, P)
        The directions v, one per row, in the model's flat order.
    n_particles : int
        K, independent particles (at least 2, for the standard error).
    n_steps : int
        Steps averaged per particle after the burn-in.
    burn_in : int
        Steps discarded first (:func:`burn_in_for` gives one from :math:`\bar\rho`, (3.45)).
    rng : int, Generator or None, default None
        Drives the particles' initial law and their data.
    law : {"point", "box"} or ParticleState, default "point"
        The initial law of :meth:`JointProcess.initial <rtrl_theory.runners.JointProcess.initial>`.

    Returns
    -------
    StationaryEstimate
        ``value`` and ``stderr`` of shape (m,); ``samples`` (K, m).

    See Also
    --------
    finite_difference_limit_hessian_directions : second differences of :func:`limit_loss`.
    """
    V = as_array(directions, "directions", shape=(None, jp.model.n_params))

    def quad(z):
        H = jp.hessian(z)
        return np.einsum("mp,kpq,mq->km", V, H, V)

    return stationary_average(
        jp, quad, n_particles=n_particles, n_steps=n_steps, burn_in=burn_in, rng=rng, law=law
    )[0]


def _shifted(jp, theta):
    from rtrl_theory.runners import JointProcess

    return JointProcess(jp.model, theta, jp.process, order=1, backend=jp.backend)


def finite_difference_limit_gradient(
    jp, *, h=1e-4, coordinates=None, n_particles, n_steps, burn_in, rng=None, law="point"
) -> StationaryEstimate:
    r"""Estimate :math:`\nabla L(\theta)` by central differences with common random numbers.

    Central differences :math:`(L(\theta + h e_i) - L(\theta - h e_i)) / 2h` with common
    random numbers (the same seed for both sides and every coordinate).

    Returns an estimate over ``coordinates`` (default: all P parameters, in order). Bias
    :math:`O(h^2)`; the variance is that of the per-particle difference quotients.

    Parameters
    ----------
    jp : JointProcess
        The joint process at :math:`\theta`; each side runs a copy of order 1 at the shifted
        :math:`\theta`.
    h : float, default 1e-4
        The difference step.
    coordinates : sequence of int, optional
        Parameter indices to differentiate (default: all P).
    n_particles : int
        K, independent particles (at least 2, for the standard error).
    n_steps : int
        Steps averaged per particle after the burn-in.
    burn_in : int
        Steps discarded first (:func:`burn_in_for` gives one from :math:`\bar\rho`, (3.45)).
    rng : int, Generator or None, default None
        Drives the particles' initial law and their data.
    law : {"point", "box"} or ParticleState, default "point"
        The initial law of :meth:`JointProcess.initial <rtrl_theory.runners.JointProcess.initial>`.

    Returns
    -------
    StationaryEstimate
        ``value`` and ``stderr`` of shape (len(coordinates),); ``samples`` (K, len(coordinates)).

    See Also
    --------
    limit_gradient : the same quantity by Theorem 3.16 (same particles, not an independent route).
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
    r"""Estimate :math:`v^\top\nabla^2 L\, v` by central second differences of L along each v.

    :math:`v^\top\nabla^2 L\, v` by central second differences of L along each direction v,
    :math:`(L(\theta + h v) - 2L(\theta) + L(\theta - h v)) / h^2`, with common random numbers.

    Parameters
    ----------
    jp : JointProcess
        The joint process at :math:`\theta`.
    directions : ndarray, shape (m, P)
        The directions v, one per row, in the model's flat order.
    h : float, default 1e-3
        The difference step along each v.
    n_particles : int
        K, independent particles (at least 2, for the standard error).
    n_steps : int
        Steps averaged per particle after the burn-in.
    burn_in : int
        Steps discarded first (:func:`burn_in_for` gives one from :math:`\bar\rho`, (3.45)).
    rng : int, Generator or None, default None
        Drives the particles' initial law and their data.
    law : {"point", "box"} or ParticleState, default "point"
        The initial law of :meth:`JointProcess.initial <rtrl_theory.runners.JointProcess.initial>`.

    Returns
    -------
    StationaryEstimate
        ``value`` and ``stderr`` of shape (m,); bias :math:`O(h^2)`.

    See Also
    --------
    limit_hessian_directions : the same quadratic forms by (3.65).
    """
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
    """Return per-particle running means at every T of the grid, with mean and standard error.

    Per-particle running means (1/T) sum_{t<T} v_t at every T of the grid, then their mean
    and standard error over the particles; ``advance()`` returns the next (K,) values.
    """
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


# -- routes that share no pathwise derivative with the particles (Theorem 3.16) ----------------


def stationary_loss_forward(
    model, params, process, *, n_particles, n_steps, burn_in, rng=None
) -> StationaryEstimate:
    r"""Return the limit loss (2.27) :math:`L(\theta)` from a forward-only simulation (no sensitivity).

    K independent chains of the data and the hidden state only, :math:`X_{t+1}\sim P(X_t,\cdot)`,
    :math:`S_{t+1} = \sigma(f(B) S_t + g(W) X_t)` (2.17) through ``model.cell.step``, start at
    :math:`X_0 = 0, S_0 = 0`, run ``burn_in`` steps, then average
    :math:`\tfrac12(Y_t - \alpha\cdot S_{t+1})^2` over ``n_steps`` steps; the K time averages are
    i.i.d. samples (the estimator of the module docstring). No derivative of any order is
    computed, so this route shares no pathwise derivative with E_pi[G~].

    Parameters
    ----------
    model : RNNModel
    params : parameters of ``model`` (parameter object or flat (P,) vector)
    process : DataProcess with a target
    n_particles, n_steps, burn_in : int
    rng : Generator, int or None

    Returns
    -------
    StationaryEstimate
        Scalar value: :math:`L(\theta)` of (2.27), with its standard error.
    """
    theta = model.flatten(params)
    if process.target is None:
        raise TypeError("process: expected a DataProcess with a target")
    K = positive_int(n_particles, "n_particles")
    n_steps = positive_int(n_steps, "n_steps")
    if int(burn_in) < 0:
        raise ValueError(f"burn_in: expected a non-negative integer, got {burn_in!r}")
    rng = as_rng(rng)
    th, tc = model.split(theta)
    cell, head, chain, target = model.cell, model.head, process.chain, process.target
    prep = cell.prepare(tc)
    X = np.zeros((K, process.n_input))
    S = cell.initial_state(K)
    teacher = target.initial_state(K)
    total = np.zeros(K)
    for t in range(int(burn_in) + n_steps):
        if t > 0:
            X = chain.step(X, chain.draw_noise(rng, (K,)))
        eta = rng.uniform(-target.noise, target.noise, size=K)
        Y, teacher = target.evaluate(X[:, None, :], eta[:, None], teacher)
        S = cell.step(prep, S, X)
        if t >= burn_in:
            r = head.predict(th, S) - Y[:, 0]
            total += 0.5 * r * r
    return _estimate((total / n_steps)[:, None], n_steps, burn_in)


#: Five-point central stencil (offsets in units of h, weights over h): bias h^4 L^(5) / 30.
FD_STENCIL = ((-2.0, 1.0 / 12.0), (-1.0, -8.0 / 12.0), (1.0, 8.0 / 12.0), (2.0, -1.0 / 12.0))


def directional_gradient_independent(
    model, params, process, directions, *, h, n_particles, n_steps, burn_in, rng=None
) -> StationaryEstimate:
    r"""Estimate :math:`v\cdot\nabla L(\theta)` by a five-point stencil with independent seeds.

    :math:`v\cdot\nabla L(\theta)` for each row v of ``directions`` by the five-point stencil
    of :data:`FD_STENCIL` on :func:`stationary_loss_forward`, every evaluation point
    :math:`\theta + k h v` from its OWN independent seed (no common random numbers, no pathwise
    derivative).

    The runs are independent, so the standard error is
    :math:`\sqrt{\sum_k w_k^2\,se(L(\theta + k h v))^2}/h` and the truncation bias is at most
    :math:`h^4 \sup|\partial_v^5 L| / 30`. ``samples`` of the result holds, per direction, the
    per-evaluation estimates (4 columns), not i.i.d. samples.

    Parameters
    ----------
    model : RNNModel
    params : parameters of ``model`` (parameter object or flat (P,) vector)
    process : DataProcess with a target
    directions : array_like, shape (n_dir, P)
        Directions v in parameter space, order (alpha, W, B).
    h : float
        Step of the stencil.
    n_particles, n_steps, burn_in : int
        Sizes of each :func:`stationary_loss_forward` run.
    rng : Generator, int or None
        Spawns one independent generator per evaluation point.

    Returns
    -------
    StationaryEstimate
        ``value`` and ``stderr`` (n_dir,): :math:`v\cdot\nabla L`, to compare with
        :math:`v\cdot E_\pi[\tilde G]` of Theorem 3.16 ((3.63)-(3.64)).
    """
    h = positive(h, "h")
    theta = model.flatten(params)
    V = as_array(directions, "directions", shape=(None, theta.shape[0]))
    rngs = as_rng(rng).spawn(V.shape[0] * len(FD_STENCIL))
    vals, ses, per = [], [], []
    i = 0
    for v in V:
        val, var, row = 0.0, 0.0, []
        for k, w in FD_STENCIL:
            est = stationary_loss_forward(
                model,
                theta + k * h * v,
                process,
                n_particles=n_particles,
                n_steps=n_steps,
                burn_in=burn_in,
                rng=rngs[i],
            )
            i += 1
            val += w * float(est.value[0]) / h
            var += (w * float(est.stderr[0]) / h) ** 2
            row.append(float(est.value[0]))
        vals.append(val)
        ses.append(math.sqrt(var))
        per.append(row)
    return StationaryEstimate(
        np.array(vals), np.array(ses), np.array(per), int(n_particles), int(n_steps), int(burn_in)
    )


def expected_function_curve(jp, fn, n_steps, *, n_particles, rng=None, law="point"):
    r""":math:`E[f(Z_t)]` for t = 0..n_steps from the initial law ``law`` (no burn-in).

    Uses the public :meth:`JointProcess.step` at every step. With f = G~ ((3.63)-(3.64)) and a
    law other than the stationary one, the curve shows Theorem 3.16's forgetting of the initial
    law at the rate :math:`\bar\rho^t` of (3.45).

    Parameters
    ----------
    jp : JointProcess
    fn : callable
        ``fn(z) -> (K, m)`` (or (K,)).
    n_steps : int
    n_particles : int
    rng : Generator, int or None
    law : str
        Initial law, passed to :meth:`JointProcess.initial`.

    Returns
    -------
    mean : ndarray, shape (n_steps + 1, m)
        :math:`E f(Z_t)` for t = 0..n_steps.
    stderr : ndarray, shape (n_steps + 1, m)
    tail : ndarray, shape (K, m)
        Per-particle time average of f over t >= n_steps // 2: the stationary estimate after a
        burn-in of half the run (the curve itself shows whether that burn-in suffices).
    """
    K = positive_int(n_particles, "n_particles")
    n_steps = positive_int(n_steps, "n_steps")
    rng = as_rng(rng)
    z = jp.initial(K, rng, law=law)
    first = np.asarray(fn(z), dtype=float)
    m = first.reshape(K, -1).shape[1]
    mean = np.empty((n_steps + 1, m))
    se = np.empty((n_steps + 1, m))
    tail = np.zeros((K, m))
    half = n_steps // 2

    def record(t, v):
        v = v.reshape(K, -1)
        mean[t] = v.mean(axis=0)
        se[t] = v.std(axis=0, ddof=1) / math.sqrt(K)
        if t >= half:
            tail[:] += v

    record(0, first)
    for t in range(1, n_steps + 1):
        z = jp.step(z, rng)
        record(t, np.asarray(fn(z), dtype=float))
    return mean, se, tail / (n_steps + 1 - half)


def coupled_bias_curve(jp, fn, T_grid, *, n_particles, burn_in, rng=None, law="point"):
    r"""Estimate the bias :math:`E[\frac1T\sum_{t<T} f(Z_t)] - E_\pi f` for each T in ``T_grid``.

    :math:`E[\frac1T\sum_{t<T} f(Z_t)] - E_\pi f` for T in ``T_grid``, by the synchronous
    coupling with a stationary ensemble (the estimator of :func:`loss_bias_curve`, for any
    ``fn(z) -> (K, m)``: the update direction G~ for Lemma 3.15, Hessian quadratic forms, ...).

    Particle i of each ensemble form pair i (independent draws, so the K pair differences are
    i.i.d. and the standard error is valid; an optimal assignment of the pairs would make them
    dependent and the naive standard error too small). ``w1_initial`` is the exact W1 of the two
    initial samples (optimal assignment, max-norm cost, :func:`matched_w1`), the empirical
    :math:`W_1(\mu_0, \pi)` that the bounds of Lemmas 3.12 and 3.15 use (E L_T - L does not
    depend on the coupling; the bound's proof takes the optimal one). Returns ``(T_grid, bias
    (len, m), stderr (len, m), w1_initial, final_distance, initial_distance)``: the mean
    max-norm distance of the pairs after ``max(T_grid) - 1`` steps (what the tail beyond the grid
    is bounded by) and at t = 0.

    Parameters
    ----------
    jp : JointProcess
    fn : callable
        ``fn(z) -> (K, m)``: the step loss for Lemma 3.12, G~ (3.63)-(3.64) for Lemma 3.15.
    T_grid : array_like of int
        Increasing horizons T >= 1.
    n_particles, burn_in : int
        Ensemble size, and the burn-in of the stationary ensemble (error :math:`\bar\rho^t`,
        (3.45)).
    rng : Generator, int or None
    law : str
        Initial law of the non-stationary ensemble.

    Returns
    -------
    T_grid : ndarray of int, shape (n_T,)
    bias, stderr : ndarray, shape (n_T, m)
        :math:`E[\frac1T\sum_{t<T} f(Z_t)] - E_\pi f` and its standard error; Lemmas 3.12 and
        3.15 bound it by :math:`C\,W_1(\mu_0,\pi)/(T(1-\bar\rho))`.
    w1_initial, final_distance, initial_distance : float
    """
    T_grid, K = _curve_validate(T_grid, n_particles)
    rng = as_rng(rng)
    r_stat, r_init, r_run = rng.spawn(3)
    zs = jp.run(jp.initial(K, r_stat, law="point"), int(burn_in), r_stat)
    z = jp.initial(K, r_init, law=law)
    A, B = jp.flatten(z), jp.flatten(zs)
    _, _, w1 = matched_w1(A, B)
    d0 = float(np.abs(A - B).max(axis=1).mean())

    def diff():
        return (np.asarray(fn(z), float) - np.asarray(fn(zs), float)).reshape(K, -1)

    total = diff()
    res = np.empty((K, total.shape[1], T_grid.size))
    j = 0
    for t in range(1, int(T_grid[-1]) + 1):
        if t == T_grid[j]:
            res[:, :, j] = total / t
            j += 1
            if j == T_grid.size:
                break
        seed = r_run.integers(2**63)
        z = jp.step(z, np.random.default_rng(seed))
        zs = jp.step(zs, np.random.default_rng(seed))
        total = total + diff()
    bias = res.mean(axis=0).T
    se = (res.std(axis=0, ddof=1) / math.sqrt(K)).T
    final = float(np.abs(jp.flatten(z) - jp.flatten(zs)).max(axis=1).mean())
    return T_grid, bias, se, w1, final, d0


#: The rate of Lemmas 3.12 and 3.15: |E L_T - L| <= C / T^LIMIT_RATE_EXPONENT.
LIMIT_RATE_EXPONENT = 1.0


def matched_w1(A, B):
    r"""Return the exact W1 between the empirical laws of the rows of A and B.

    Exact W1 between the empirical laws of the rows of A and B (K, dim) (equal sizes), with
    the max-norm ground cost: an optimal assignment (``linear_sum_assignment``).

    The empirical :math:`W_1(\mu_0, \pi)` that the bounds of Lemmas 3.12 and 3.15 and (4.6) of
    [P1] take (metric (2.30) with the max-norm).

    Parameters
    ----------
    A, B : array_like, shape (K, dim)
        Samples of the two laws, one per row (equal sizes).

    Returns
    -------
    rows, cols : ndarray of int, shape (K,)
        A[rows[i]] is paired with B[cols[i]].
    w1 : float
    """
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    A = as_array(A, "A", ndim=2)
    B = as_array(B, "B", shape=A.shape)
    cost = cdist(A, B, "chebyshev")
    rows, cols = linear_sum_assignment(cost)
    return rows, cols, float(cost[rows, cols].mean())
