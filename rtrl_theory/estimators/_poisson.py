r"""The Poisson equation of [P1] Section 4 by Monte Carlo: the series (4.3) and the identity (4.1).

For a function G of the joint state with stationary mean :math:`\bar G = E_\pi G`,

.. math:: v(\theta, z) - (P_\theta v)(z) = G(\theta, z) - \bar G(\theta)              \tag{4.1}

is solved by :math:`v = \sum_{n\ge0} (P^n_\theta G(z) - \bar G)` (4.3), a series that converges
geometrically because :math:`|P^n G(z) - \bar G| \le L_G\, W_1(\delta_z P^n, \pi)
\le L_G\,\bar\rho^n\, W_1(\delta_z, \pi)`, which gives (4.6):
:math:`|v(z)| \le L_G\, W_1(\delta_z, \pi) / (1 - \bar\rho)`. [P1] uses (4.11)
:math:`G = \nabla L(\theta)\cdot\tilde G(\theta, z)`, :math:`\bar G = |\nabla L(\theta)|^2`.

Estimators. :math:`P^n G(z)` is the mean of :math:`G(Z_n)` over ``n_inner`` independent
continuations from z, so :math:`v(z) \approx \frac{1}{n_{inner}}\sum_{r}\sum_{n<n_{terms}}
(G(Z^r_n) - \bar G)`: each continuation gives one independent sample of the truncated series (its
path sum), whose spread gives the standard error. The truncation error is at most
:math:`L_G W_1(\delta_z,\pi)\bar\rho^{n_{terms}}/(1-\bar\rho)`; :func:`terms_for` picks
``n_terms`` from :math:`\bar\rho` and a tolerance.

The identity (4.1) is checked with *independent* inner simulations for :math:`v(z)` and for
:math:`v(Z_1)`, :math:`Z_1 \sim P(z, \cdot)` (``n_outer`` successors), so that it is not a
telescoping identity of one estimator: :math:`v(z) - \widehat{Pv}(z)` must equal
:math:`G(z) - \bar G` within the joint Monte Carlo error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array, as_rng, positive, positive_int

__all__ = [
    "PoissonCheck",
    "terms_for",
    "poisson_path_sums",
    "poisson_solution",
    "poisson_identity",
    "projected_update_lipschitz",
    "w1_to_stationary",
]


def terms_for(rho_bar: float, tol: float = 1e-6) -> int:
    r"""Return the number of terms of the series (4.3) needed for a relative tolerance ``tol``.

    Return the number of series terms with :math:`\bar\rho^{n}/(1-\bar\rho) \le \text{tol}` (relative to
    :math:`L_G W_1(\delta_z, \pi)`): the tail of (4.3) after n terms is at most
    :math:`L_G W_1(\delta_z, \pi)\, \bar\rho^{n}/(1-\bar\rho)` (Lemma 4.2 of [P1]).

    Parameters
    ----------
    rho_bar : float
        The contraction rate :math:`\bar\rho`, in (0, 1).
    tol : float, default 1e-6
        The relative truncation error wanted.

    Returns
    -------
    int
        The smallest such n, at least 1.

    Raises
    ------
    ValueError
        If ``rho_bar`` is not in (0, 1) or ``tol`` is not positive.

    See Also
    --------
    burn_in_for : the same computation for the burn-in, (3.45).
    """
    rho_bar = float(rho_bar)
    if not 0.0 < rho_bar < 1.0:
        raise ValueError(f"rho_bar: expected a number in (0, 1), got {rho_bar!r}")
    tol = positive(tol, "tol")
    return max(1, math.ceil(math.log(tol * (1.0 - rho_bar)) / math.log(rho_bar)))


def _replicate(z, n):
    """Each particle of ``z`` repeated n times (particle-major)."""
    idx = np.repeat(np.arange(z.n_particles), n)
    return z.subset(idx)


def poisson_path_sums(jp, z, G, Gbar, *, n_inner: int, n_terms: int, rng=None) -> np.ndarray:
    r"""Per-continuation path sums :math:`\sum_{n<n_{terms}}(G(Z^r_n) - \bar G)`, (M, n_inner).

    Row m holds ``n_inner`` independent continuations from point m of ``z``; their mean is the
    truncated series (4.3) at that point. Two calls for ONE point each (M = 1), with generators
    in the same state and the same ``n_inner``, drive continuation r of both points with the
    same random numbers (common random numbers, for differences :math:`v(z) - v(z')`, Lemma 4.3).
    """
    n_inner = positive_int(n_inner, "n_inner")
    n_terms = positive_int(n_terms, "n_terms")
    rng = as_rng(rng)
    M = z.n_particles
    zz = _replicate(z, n_inner)
    path = G(zz) - Gbar
    for _ in range(n_terms - 1):
        zz = jp.step(zz, rng)
        path = path + (G(zz) - Gbar)
    return np.asarray(path, dtype=float).reshape(M, n_inner)


def poisson_solution(jp, z, G, Gbar, *, n_inner: int, n_terms: int, rng=None):
    r"""Evaluate the truncated series (4.3) at the starting points ``z`` (a ParticleState of M points).

    Parameters
    ----------
    jp : JointProcess (or any object with ``step(z, rng)``, such as a FiniteChainProcess)
    z : ParticleState
        The M points at which v is wanted.
    G : callable
        ``G(particles) -> (K,)``, the function of the state.
    Gbar : float
        Its stationary mean.
    n_inner : int
        Independent continuations per point.
    n_terms : int
        Series terms :math:`n = 0, \dots, n_{terms} - 1` (:func:`terms_for` gives one).
    rng : int, Generator or None, default None
        Drives the continuations.

    Returns
    -------
    v : ndarray, shape (M,)
        The truncated series :math:`v(z) = \sum_{n<n_{terms}} E_z[G(Z_n) - \bar G]` at each point.
    stderr : ndarray, shape (M,)
        Its standard error over the ``n_inner`` continuations.

    See Also
    --------
    poisson_identity : checks (4.1) with this v.
    rtrl_theory.oracles.poisson_solution_linear : the closed form on a linear system.
    """
    n_inner = positive_int(n_inner, "n_inner")
    if n_inner < 2:
        raise ValueError("n_inner: at least 2 continuations are needed for a standard error")
    path = poisson_path_sums(jp, z, G, Gbar, n_inner=n_inner, n_terms=n_terms, rng=rng)
    return path.mean(axis=1), path.std(axis=1, ddof=1) / math.sqrt(n_inner)


@dataclass(frozen=True)
class PoissonCheck:
    r"""Outcome of :func:`poisson_identity` at M sample points.

    Attributes
    ----------
    lhs : ndarray, shape (M,)
        :math:`v(z) - Pv(z)`, the left side of the Poisson equation (4.1).
    rhs : ndarray, shape (M,)
        :math:`G(z) - \bar G`, its right side.
    stderr : ndarray, shape (M,)
        The joint standard error of ``lhs - rhs``.
    z_scores : ndarray, shape (M,)
        ``(lhs - rhs) / stderr``.
    v, v_stderr : ndarray, shape (M,)
        The series (4.3) at the points and its standard error.
    bound : ndarray, shape (M,), or None
        The right side of (4.6), :math:`L_G W_1(\delta_z, \pi)/(1-\bar\rho)`, when the constants
        were given.
    n_terms, n_inner, n_outer : int
        Series terms, continuations per point, successors per point.
    """

    lhs: np.ndarray
    rhs: np.ndarray
    stderr: np.ndarray
    z_scores: np.ndarray
    v: np.ndarray
    v_stderr: np.ndarray
    bound: np.ndarray | None
    n_terms: int
    n_inner: int
    n_outer: int


def poisson_identity(
    jp,
    z,
    G,
    Gbar,
    *,
    n_inner,
    n_outer,
    n_terms,
    Gbar_stderr: float = 0.0,
    rng=None,
    L_G=None,
    rho_bar=None,
    w1_to_pi=None,
) -> PoissonCheck:
    r"""Check (4.1) at the points ``z``: :math:`v(z) - (Pv)(z) = G(z) - \bar G` (module docstring).

    In expectation :math:`v - Pv = G(z) - P^{n_{terms}}G(z)`, so the comparison also tests the
    value of :math:`\bar G`: its standard error ``Gbar_stderr`` (when Gbar is itself an estimate)
    enters the joint error. ``L_G``, ``rho_bar`` and ``w1_to_pi`` (an (M,) array of :math:`W_1(\delta_z, \pi)`, or an upper
    bound on it), when given, produce the bound (4.6) :math:`L_G\,W_1(\delta_z, \pi)/(1-\bar\rho)`.

    Parameters
    ----------
    jp : JointProcess (or any object with ``step(z, rng)``, such as a FiniteChainProcess)
        The chain whose kernel P enters (4.1).
    z : ParticleState
        The M points.
    G : callable
        ``G(particles) -> ndarray, shape (K,)``, the function of the state.
    Gbar : float
        Its stationary mean :math:`\bar G` (exact, or an estimate with ``Gbar_stderr``).
    n_inner : int
        Continuations per point for each evaluation of v (at least 2).
    n_outer : int
        Successors :math:`Z_1 \sim P(z, \cdot)` per point for :math:`Pv(z)` (at least 2).
    n_terms : int
        Series terms of (4.3).
    Gbar_stderr : float, default 0.0
        Standard error of ``Gbar`` when it is itself an estimate.
    rng : int, Generator or None, default None
        Drives the continuations and the successors (independent streams).
    L_G : float, optional
        Max-norm Lipschitz constant of G (e.g. :func:`projected_update_lipschitz`).
    rho_bar : float, optional
        The contraction rate :math:`\bar\rho < 1`.
    w1_to_pi : ndarray, shape (M,), optional
        :math:`W_1(\delta_z, \pi)` at each point, or an upper bound (:func:`w1_to_stationary`).

    Returns
    -------
    PoissonCheck
        The two sides, their z-scores, v and the bound (4.6) (None unless ``L_G``, ``rho_bar``
        and ``w1_to_pi`` are all given).
    """
    n_outer = positive_int(n_outer, "n_outer")
    if n_outer < 2:
        raise ValueError("n_outer: at least 2 successors are needed for a standard error")
    rng = as_rng(rng)
    r_v, r_succ, r_pv = rng.spawn(3)
    M = z.n_particles
    v, v_se = poisson_solution(jp, z, G, Gbar, n_inner=n_inner, n_terms=n_terms, rng=r_v)
    succ = jp.step(_replicate(z, n_outer), r_succ)  # Z_1 ~ P(z, .), n_outer per point
    v1, _ = poisson_solution(jp, succ, G, Gbar, n_inner=n_inner, n_terms=n_terms, rng=r_pv)
    v1 = v1.reshape(M, n_outer)
    # Pv(z) = mean over successors; its error combines the spread of v(Z_1) across successors
    # (which already contains the inner Monte Carlo noise of each v(Z_1)).
    pv = v1.mean(axis=1)
    pv_se = v1.std(axis=1, ddof=1) / math.sqrt(n_outer)
    lhs = v - pv
    rhs = G(z) - Gbar
    se = np.sqrt(v_se**2 + pv_se**2 + float(Gbar_stderr) ** 2)
    bound = None
    if L_G is not None and rho_bar is not None and w1_to_pi is not None:
        w = as_array(w1_to_pi, "w1_to_pi", shape=(M,))
        bound = positive(L_G, "L_G") * w / (1.0 - float(rho_bar))
    return PoissonCheck(lhs, rhs, se, (lhs - rhs) / se, v, v_se, bound, n_terms, n_inner, n_outer)


def projected_update_lipschitz(jp, g, *, C_y: float, L_target: float) -> float:
    r"""Return a max-norm Lipschitz constant :math:`L_G` of the projected update, for (4.6).

    Return a max-norm Lipschitz constant :math:`L_G` of :math:`G(z) = g\cdot\tilde G(\theta, z)` on the
    a-priori box, for the bound (4.6).

    With :math:`r = \alpha\cdot s - y` and :math:`u = g_\alpha\cdot s + g_\vartheta\cdot(J^\top
    \alpha)`, :math:`G = r u`, so the l1 norm of its gradient in z = (x, eta, s, J) is at most
    :math:`\sum_k(|\alpha_k| u^* + r^*|g_{\alpha,k}|) + r^*\sum_{k,p}|\alpha_k||g_{\vartheta,p}|
    + u^*(L_{f^*} + 1)` with :math:`u^* = |g_\alpha|_1 + \sum_p |g_{\vartheta,p}| K_p|\alpha|_1`,
    :math:`r^* = |\alpha|_1 + C_y`, :math:`K_p` the radius of :math:`J` in column p (Lemma 3.5) and
    :math:`|y| \le C_y`, :math:`L_{f^*}` the target's Lipschitz constant in x. (Paper RNN only.)

    Parameters
    ----------
    jp : JointProcess
        Of a :class:`~rtrl_theory.PaperRNN`; its :math:`\theta` gives :math:`\alpha` and its
        chain's C_x the radii of Lemma 3.5.
    g : ndarray, shape (P,)
        The projection direction, in the model's flat order (alpha, W, B).
    C_y : float
        Bound on the targets, :math:`|y| \le C_y`.
    L_target : float
        The target's Lipschitz constant in x, :math:`L_{f^*}`.

    Returns
    -------
    float
        :math:`L_G`, the bound above (not a tight constant).

    See Also
    --------
    poisson_identity : uses it in the bound (4.6).
    """
    from rtrl_theory.bounds import apriori_bounds

    model = jp.model
    N, d = model.n_hidden, model.n_input
    g = as_array(g, "g", shape=(model.n_params,))
    alpha = np.asarray(jp.theta[:N])
    b = apriori_bounds(model, jp.process.chain.C_x)
    radius = np.concatenate([np.full(N * d, b.K_W), np.full(N * N, b.K_B)])
    g_a, g_c = np.abs(g[:N]), np.abs(g[N:])
    a1 = float(np.abs(alpha).sum())
    u_max = float(g_a.sum() + (g_c * radius).sum() * a1)
    r_max = a1 + positive(C_y, "C_y")
    grad_s = float((np.abs(alpha) * u_max + r_max * g_a).sum())
    grad_J = r_max * a1 * float(g_c.sum())
    grad_x_eta = u_max * (float(L_target) + 1.0)
    return grad_s + grad_J + grad_x_eta


def w1_to_stationary(jp, z, reference, block="all") -> np.ndarray:
    r"""Return an upper bound on :math:`W_1(\delta_z, \pi)` for each point of z.

    Upper bound :math:`E\|z - Z\|_{\max}` on :math:`W_1(\delta_z, \pi)` for each point of z,
    with Z over the particles of a stationary ``reference`` ensemble (the coupling that pairs the
    point mass with every Z).

    Parameters
    ----------
    jp : JointProcess
        Flattens the particles (:meth:`~rtrl_theory.runners.JointProcess.flatten`).
    z : ParticleState
        The M points.
    reference : ParticleState
        K particles from (approximately) the stationary law :math:`\pi`.
    block : str or list of str, default "all"
        Blocks of the state to compare (``"all"``, or names such as ``"S"``, ``"J"``).

    Returns
    -------
    ndarray, shape (M,)
        :math:`E\|z_m - Z\|_{\max}` over the reference particles, for each point.
    """
    A = jp.flatten(z, block)
    B = jp.flatten(reference, block)
    return np.array([np.abs(B - a).max(axis=1).mean() for a in A])
