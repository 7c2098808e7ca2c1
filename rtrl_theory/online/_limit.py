r"""Where online training with an estimator ends up (issue 13, item 4).

Online SGD with an estimator A follows A's stationary mean
:math:`m_A(\theta) = E_{\pi_A}[\tilde G_A](\theta)` on average (the Poisson-equation argument
of Section 4 of [P1] with :math:`\tilde J` in place of J), so it settles near a point
:math:`\theta_A` with :math:`m_A(\theta_A) = 0`, not :math:`\nabla L = 0`. Since
:math:`m_A = \nabla L + b_A` (:mod:`._bias`), at any parameter

.. math:: \nabla L(\theta) = m_A(\theta) - b_A(\theta), \qquad
          \bigl|\,|\nabla L(\theta)| - |b_A(\theta)|\,\bigr| \le |m_A(\theta)| .

**Prediction.** :math:`|\nabla L(\theta_{end})| \approx |b_A(\theta_{end})|`, the estimator's
stationary bias at the end point; for the unbiased estimators (exact RTRL, Theorem 6.1 of
[P1]; UORO and KF-RTRL, whose one-step mean equals RTRL's) :math:`b_A = 0` and the prediction
is the floor alone. The content of the prediction is that the residual
:math:`|m_A(\theta_{end})|` is no larger than the SGD noise floor that the schedule leaves.

**The noise floor from the schedule.** Linearize around :math:`\theta_A`:
:math:`\delta_t = \theta_t - \theta_A`, :math:`H = \partial m_A/\partial\theta` at the end
point, and the update noise :math:`\xi_t = \tilde G_A - m_A` has long-run covariance
:math:`C = \sum_{k\in\mathbb Z}\mathrm{Cov}_{\pi_A}(\tilde G_{A,0}, \tilde G_{A,k})` (a Markov
noise averages, over the mixing time of the joint chain, to a white noise of this covariance
when :math:`\eta` times the mixing time is small). An update with step :math:`\eta_u` over a
block of :math:`\tau` steps (``tau = 1`` except TBPTT(tau), mini-batch size B) is
:math:`\delta \leftarrow (I - \eta_u\tau H)\delta - \eta_u\xi`, :math:`\mathrm{Cov}\,\xi =
\tau C/B`, so the covariance follows

.. math:: \Sigma_{u+1} = (I - \eta_u\tau H)\Sigma_u(I - \eta_u\tau H)^\top
          + \eta_u^2\,\tau C / B, \qquad \Sigma_0 = 0,

run through the actual schedule :math:`\eta_u` of the training. The floor is
:math:`f = \sqrt{\mathrm{tr}(H\Sigma H^\top)} = \sqrt{E|H\delta_{end}|^2}`, the root mean square
of :math:`m_A(\theta_{end}) \approx H\delta_{end}`. (:math:`\Sigma_0 = 0` leaves out the decay
of the initial displacement; a run too short to forget it shows as a residual above the floor,
i.e. a failed match, not a silent pass. Flat directions of H, e.g. the change of hidden basis
of the linear SDE, make :math:`\Sigma` grow there but are annihilated by H.)

**Confidence interval.** :math:`H\delta_{end}` is approximately Gaussian (a weighted sum of many
small noises), so :math:`|H\delta|^2/f^2` is a weighted sum of :math:`\chi^2_1` variables with
weights summing to 1. By Szekely & Bakirov (2003, "Extremal probabilities for Gaussian quadratic
forms"), for :math:`\alpha \le 0.215` its upper :math:`\alpha` quantile is at most that of a
single :math:`\chi^2_1`; hence :math:`P(|m_A(\theta_{end})| > z f) \le \alpha` with
:math:`z = \Phi^{-1}(1 - \alpha/2)`, whatever the spectrum. The interval for the measured norm is

.. math:: |\nabla L(\theta_{end})| \in \bigl[\max(0, |b_A(\theta_{end})| - z f),\;
          |b_A(\theta_{end})| + z f\bigr],

where the floor is computed with the Monte Carlo estimate of C multiplied by its one-sided 95%
upper confidence factor on :math:`\mathrm{tr}\,C` (:func:`long_run_covariance`), so that an
underestimated C does not shrink the interval; and the match is the measured norm inside it.
The comparison is informative only where :math:`|b_A| > 2 z f` (``above_floor``): below that a
zero-bias estimator would match too. The interval is conservative where the linearization
overstates the fluctuation (on the linear system of ``benchmarks/limit_points.py`` the biased
estimators' residuals came out about ten times below f, exact RTRL's about at f).

On linear systems (LinearSDE on a linear teacher) every term is a closed form at
:math:`\theta_{end}`: :math:`\nabla L` and :math:`\nabla^2 L` from
:func:`rtrl_theory.oracles.linear_stationary`, the stationary means of SnAp-1 / e-prop (the
same map on (7.1)) and the immediate estimator from
:func:`rtrl_theory.oracles.linear_sensitivity_map`, TBPTT(tau) from
:func:`rtrl_theory.oracles.tbptt_expected_gradient`; H is their central finite difference (the
Hessian for the unbiased estimators). Only C is Monte Carlo. Other models are not supported here
yet (the meter's H would need 2P coupled runs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from rtrl_theory._validate import as_rng, positive_int

from ._registry import make_estimator

__all__ = [
    "LIMIT_ESTIMATORS",
    "LimitPoint",
    "limit_floor",
    "limit_mean",
    "long_run_covariance",
    "train_to_limit",
]

#: Estimators whose stationary mean has a closed form on (7.1) (unbiased ones: = grad L).
LIMIT_ESTIMATORS = ("exact", "uoro", "kf-rtrl", "snap-1", "eprop", "immediate", "tbptt-<tau>")
_UNBIASED = ("exact", "rtrl", "uoro", "kf-rtrl")


def _tau(algo: str) -> int:
    if algo.startswith("tbptt-"):
        return positive_int(int(algo.split("-", 1)[1]), "algo (tbptt tau)")
    return 1


def limit_mean(model, params, process, algo: str) -> tuple[np.ndarray, np.ndarray]:
    r"""``(m_A(theta), grad L(theta))`` in closed form on a linear system (module docstring).

    Returns
    -------
    m, grad : ndarray, shape (P,)
        The stationary mean of the per-step update :math:`E_{\pi_A}[\tilde G_A]` and
        :math:`\nabla L`; ``m - grad`` is :math:`b_A(\theta)`.
    """
    from rtrl_theory import oracles

    grad = oracles.linear_stationary(model, params, process).grad
    if algo in _UNBIASED:
        return grad.copy(), grad
    if algo.startswith("tbptt-"):
        return oracles.tbptt_expected_gradient(
            model, params, process, _tau(algo)
        ).mean_gradient, grad
    kind = {"snap-1": "snap-1", "eprop": "snap-1", "immediate": "immediate"}.get(algo)
    if kind is None:
        raise ValueError(
            f"algo: no closed-form stationary mean for {algo!r}; expected one of "
            f"{', '.join(LIMIT_ESTIMATORS)}"
        )
    D = oracles.linear_sensitivity_map(model, params, kind)
    return oracles.stationary_update_mean(model, params, process, sensitivity=D), grad


def _jacobian(model, theta, process, algo, h):
    """Central finite difference of :func:`limit_mean`'s m (the Hessian for unbiased ones)."""
    from rtrl_theory import oracles

    if algo in _UNBIASED:
        return oracles.linear_stationary(model, theta, process).hessian
    P = theta.size
    H = np.empty((P, P))
    for p in range(P):
        e = np.zeros(P)
        e[p] = h
        H[:, p] = (
            limit_mean(model, theta + e, process, algo)[0]
            - limit_mean(model, theta - e, process, algo)[0]
        ) / (2 * h)
    return H


def long_run_covariance(
    model, params, process, algo: str, *, n_particles: int, n_steps: int, burn_in: int, rng=None
):
    r"""Long-run covariance C of :math:`\tilde G_A` at fixed :math:`\theta` (module docstring).

    K independent particles run A for ``burn_in + n_steps`` steps; particle k's time average
    :math:`a_k` over the last n steps has covariance :math:`C/n + O(n^{-2})`, so
    :math:`\hat C = n\,\widehat{\mathrm{Cov}}_k(a_k)`. Its trace has relative standard error
    about :math:`\sqrt{2/\nu}` with :math:`\nu = (K-1)(\mathrm{tr}\hat\Sigma)^2/
    \mathrm{tr}\hat\Sigma^2` the Welch-Satterthwaite degrees of freedom; the
    returned ``inflation`` = :math:`\nu/\chi^2_{\nu, 0.05}` is the one-sided 95% upper factor
    on :math:`\mathrm{tr}\,C` by which the floor's C is multiplied.

    Returns
    -------
    C : ndarray (P, P)
    inflation : float >= 1
    """
    theta = model.flatten(params)
    K = positive_int(n_particles, "n_particles")
    n = positive_int(n_steps, "n_steps")
    rng = as_rng(rng)
    r_data, r_est = rng.spawn(2)
    est = make_estimator(algo, model, rng=r_est)
    tau = est.update_every
    n = tau * math.ceil(n / tau)
    burn = tau * math.ceil(int(burn_in) / tau)
    cell, head = model.cell, model.head
    th, tc = model.split(theta)
    prep = cell.prepare(tc)
    chain, target = process.chain, process.target
    st = est.initial(K)
    X = np.zeros((K, model.n_input))
    S = cell.initial_state(K)
    teacher = target.initial_state(K)
    acc = np.zeros((K, theta.size))
    for t in range(burn + n):
        X = chain.step(X, chain.draw_noise(r_data, (K,)))
        eta = r_data.uniform(-target.noise, target.noise, size=K)
        Yt, teacher = target.evaluate(X[:, None, :], eta[:, None], teacher)
        Y = Yt[:, 0]
        lin = cell.linearize(prep, S, X)
        S = lin.S_next
        hd = head.derivatives(th, S, Y)
        st = est.advance(st, lin, r_est, inplace=True)
        if t >= burn:
            acc += est.gradient(st, hd, Y)
    a = acc / n
    D = a - a.mean(axis=0)
    C = n * (D.T @ D) / (K - 1)
    G = D @ D.T / (K - 1)
    tr1, tr2 = float(np.trace(G)), float(np.sum(G * G))
    # tr C^ ~ sum_i lambda_i chi2_{K-1} / (K-1): Welch-Satterthwaite dof (K-1) (tr)^2 / tr(^2)
    nu = (K - 1) * (tr1 * tr1 / tr2 if tr2 > 0 else 1.0)
    return C, float(nu / stats.chi2.ppf(0.05, nu))


def limit_floor(H: np.ndarray, C: np.ndarray, etas, tau: int = 1, batch_size: int = 1) -> float:
    r"""Return the SGD noise floor :math:`f = \sqrt{\mathrm{tr}(H\Sigma H^\top)}` (module docstring).

    Parameters
    ----------
    H : (P, P)
        Jacobian of the stationary mean at the end point.
    C : (P, P)
        Long-run covariance of the per-step update.
    etas : (U,)
        The step of each update, in order (one per block of ``tau`` steps).
    """
    H = np.asarray(H, dtype=float)
    C = np.asarray(C, dtype=float)
    P = H.shape[0]
    if H.shape != (P, P) or C.shape != (P, P):
        raise ValueError(f"H, C: expected two (P, P) arrays, got {H.shape} and {C.shape}")
    etas = np.asarray(etas, dtype=float)
    Q = tau * C / positive_int(batch_size, "batch_size")
    S = np.zeros((P, P))
    eye = np.eye(P)
    # runs of equal eta are rare in a power schedule; group by value to save matmuls anyway
    for eta in etas:
        A = eye - eta * tau * H
        S = A @ S @ A.T + eta * eta * Q
    return float(math.sqrt(max(0.0, np.trace(H @ S @ H.T))))


@dataclass(frozen=True)
class LimitPoint:
    r"""Prediction against measurement of where training with one estimator ends up.

    Attributes
    ----------
    estimator : str
    grad_norm : float
        Measured :math:`|\nabla L(\theta_{end})|` (closed form).
    predicted : float
        :math:`|b_A(\theta_{end})|` (0 for unbiased estimators).
    residual : float
        :math:`|m_A(\theta_{end})|`, what the floor must cover.
    floor : float
        :math:`f`, the root mean square of :math:`|m_A(\theta_{end})|` under the schedule.
    z : float
        The quantile factor, :math:`\Phi^{-1}(1 - \alpha/2)`.
    ci : tuple (lo, hi)
        Interval for ``grad_norm`` around ``predicted``.
    match : bool
        ``grad_norm`` inside ``ci``.
    above_floor : bool
        ``predicted > 2 z f``: the bias is resolvable, so the match is informative.
    eta_end : float
    n_train : int
    grad_L_start : float
        :math:`|\nabla L(\theta_0)|`, for scale.
    theta_end : ndarray, shape (P,)
        The parameters at the end of training, in the model's flat order (left out of
        :meth:`row`).
    """

    estimator: str
    grad_norm: float
    predicted: float
    residual: float
    floor: float
    z: float
    ci: tuple
    match: bool
    above_floor: bool
    eta_end: float
    n_train: int
    grad_L_start: float
    theta_end: np.ndarray = field(default=None, repr=False)

    def row(self) -> dict:
        """JSON-ready row (no arrays)."""
        return {
            "estimator": self.estimator,
            "predicted": self.predicted,
            "grad_norm": self.grad_norm,
            "ci": [float(c) for c in self.ci],
            "floor": self.floor,
            "residual": self.residual,
            "match": bool(self.match),
            "above_floor": bool(self.above_floor),
            "eta_end": self.eta_end,
            "n_train": self.n_train,
            "grad_L_start": self.grad_L_start,
        }


def train_to_limit(
    model,
    params,
    process,
    algo: str,
    *,
    n_train: int,
    schedule,
    batch_size: int = 1,
    rng=None,
    alpha: float = 0.01,
    cov_particles: int = 200,
    cov_steps: int = 400,
    cov_burn_in: int = 100,
    fd_step: float = 1e-5,
    allow_non_robbins_monro: bool = False,
) -> LimitPoint:
    r"""Train online with ``algo``, then compare the final gradient with the estimator's bias.

    Train online with ``algo``, then compare :math:`|\nabla L(\theta_{end})|` with
    :math:`|b_A(\theta_{end})|` within the schedule's noise floor (module docstring).

    Parameters
    ----------
    model : LinearSDE
        The student (7.1) (the closed forms of :mod:`rtrl_theory.oracles` need it).
    params : parameter object or ndarray, shape (P,)
        The start of training.
    process : DataProcess
        Gaussian or AR(1) inputs with a linear teacher plus uniform noise (as
        :func:`~rtrl_theory.oracles.linear_stationary` takes).
    algo : str
        One of :data:`LIMIT_ESTIMATORS`.
    n_train : int
        Online steps.
    schedule : callable
        ``schedule(t) -> eta_t`` (e.g. ``PowerSchedule``; Assumption 2.14 of [P1]).
    batch_size : int, default 1
        Particles averaged per update (the floor's covariance scales as 1 / batch_size).
    rng : seed or Generator
        Drives training (data and estimator) and the covariance particles.
    alpha : float in (0, 0.215], default 0.01
        Miss probability of the interval.
    cov_particles, cov_steps, cov_burn_in : int, default 200, 400, 100
        Sizes of the long-run update covariance at the end point.
    fd_step : float, default 1e-5
        Step of the central differences of the estimator's stationary mean (its Jacobian at the
        end point).
    allow_non_robbins_monro : bool, default False
        Train with a schedule outside Assumption 2.14 (otherwise refused).

    Returns
    -------
    LimitPoint
        The measured :math:`|\nabla L(\theta_{end})|` against the interval around
        :math:`|b_A(\theta_{end})|`.

    Raises
    ------
    TypeError
        If ``model`` is not a LinearSDE.
    ValueError
        For an ``algo`` outside :data:`LIMIT_ESTIMATORS`, ``alpha`` outside (0, 0.215] or a
        process without closed forms.

    See Also
    --------
    stationary_bias : :math:`b_A` at one point, by particles.
    """
    from rtrl_theory import oracles
    from rtrl_theory.cells import LinearSDE

    from ._train import train_online_estimator as train_online  # = runners.train_online(algo=NAME)

    if not isinstance(model, LinearSDE):
        raise TypeError(
            f"model: train_to_limit needs closed forms, so a LinearSDE; got {type(model).__name__}"
        )
    alpha = float(alpha)
    if not 0.0 < alpha <= 0.215:
        raise ValueError(f"alpha: expected a number in (0, 0.215] (Szekely-Bakirov), got {alpha!r}")
    if (
        algo not in _UNBIASED
        and algo not in ("snap-1", "eprop", "immediate")
        and not (algo.startswith("tbptt-"))
    ):
        raise ValueError(f"algo: expected one of {', '.join(LIMIT_ESTIMATORS)}, got {algo!r}")
    n_train = positive_int(n_train, "n_train")
    from rtrl_theory.oracles._linear_sde import linear_setup

    linear_setup(model, params, process)  # clear errors before any long work
    r_train, r_cov = as_rng(rng).spawn(2)
    theta0 = model.flatten(params)
    g0 = float(np.linalg.norm(oracles.linear_stationary(model, theta0, process).grad))
    run = train_online(
        model,
        params,
        process,
        n_train,
        schedule=schedule,
        algo=algo,
        batch_size=batch_size,
        rng=r_train,
        allow_non_robbins_monro=allow_non_robbins_monro,
    )
    if run.status != "completed":
        raise RuntimeError(f"training with {algo} did not complete: {run.message}")
    th = model.flatten(run.params)
    m, grad = limit_mean(model, th, process, algo)
    unbiased = algo in _UNBIASED
    b = np.zeros_like(grad) if unbiased else m - grad
    H = _jacobian(model, th, process, algo, fd_step)
    C, infl = long_run_covariance(
        model,
        th,
        process,
        algo if algo != "rtrl" else "exact",
        n_particles=cov_particles,
        n_steps=cov_steps,
        burn_in=cov_burn_in,
        rng=r_cov,
    )
    tau = _tau(algo)
    etas = np.asarray(schedule(np.arange(0, n_train, tau)), dtype=float)
    f = limit_floor(H, C * infl, etas, tau, batch_size)
    z = float(stats.norm.ppf(1 - alpha / 2))
    pred = float(np.linalg.norm(b))
    gn = float(np.linalg.norm(grad))
    ci = (max(0.0, pred - z * f), pred + z * f)
    return LimitPoint(
        estimator=algo,
        grad_norm=gn,
        predicted=pred,
        residual=float(np.linalg.norm(m)),
        floor=f,
        z=z,
        ci=ci,
        match=bool(ci[0] <= gn <= ci[1]),
        above_floor=bool(pred > 2 * z * f),
        eta_end=float(etas[-1]),
        n_train=n_train,
        grad_L_start=g0,
        theta_end=th,
    )
