r"""Exact transient expectations of linear systems: TBPTT(tau), E[G~_t] from a J_0 law, E L_T - L.

All three follow from the exact second-moment recursion :math:`R_{t+1} = M R_t M^\top + GQG^\top`
of the joint system :math:`u_t = (X_t, S^*_{t+1}, S_{t+1}, \operatorname{vec}J_{t+1})`
(``_linear_sde``) started from the right initial second-moment matrix, and the readouts
:math:`E\ell_t = \tfrac12(h^\top R_t h + \operatorname{Var}\eta)`,
:math:`E\tilde G_t = \Lambda R_t h`. No Monte Carlo, no truncation: exact up to rounding.

* :func:`tbptt_expected_gradient`: TBPTT(tau) at stationarity. The state S carries over, the
  sensitivities restart from 0 at each block start (``rtrl_theory.runners`` and
  ``rtrl_theory.estimators.tbptt_bias``).
* :func:`expected_gradient_path`: :math:`E[\tilde G_t]` for t = 0..T-1 when (data, S) start
  stationary and :math:`J` from an independent law; tends to :math:`\nabla L` geometrically
  (Theorem 3.16 and Lemma 3.15 of [P1]).
* :func:`expected_loss_bias`: :math:`E L_T - L` for :math:`L_T = \frac1T\sum_{t<T}\ell_t` from a
  given initial law (Lemma 3.12), and its limit :math:`\lim_T T(E L_T - L)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array, positive_int

from ._linear_sde import linear_joint_system

__all__ = [
    "LOSS_INITS",
    "SensitivityLaw",
    "GradientPath",
    "TBPTTExpectation",
    "LossBias",
    "tbptt_expected_gradient",
    "expected_gradient_path",
    "expected_loss_bias",
]


#: Named initial laws of :func:`expected_loss_bias`.
LOSS_INITS = ("zero", "point", "stationary_data", "stationary")


@dataclass(frozen=True, eq=False)
class SensitivityLaw:
    r"""A law of the sensitivities J at t = 0, by its mean, covariance and cross-covariance.

    Layout: the engine's ``Jt`` (P_c, N), entry (p, k) = :math:`\partial S^k/\partial\theta_c^p`,
    flattened to position p N + k (as ``JointProcess.flatten(z, "J")``).

    Attributes
    ----------
    mean : ndarray, shape (P_c, N)
    cov : ndarray, shape (P_c N, P_c N)
    cross : ndarray, shape (P_c N, d + N* + N), or None
        :math:`\operatorname{Cov}(\operatorname{vec}J_0, z_0)` with the stationary
        :math:`z_0 = (X_0, S^*_1, S_1)`; None (default) means J independent of them.

    Notes
    -----
    On these linear systems every input, state and residual has mean 0, and the residual r does
    not depend on J. So a J_0 *independent* of (data, S), whatever its mean and covariance,
    gives :math:`E[r_t F^t J_0] = E[r_t]\,F^t m = 0`: the path :math:`E[\tilde G_t]` is the
    same as from :math:`J_0 = 0`. Only a J_0 correlated with the state changes it (``cross``,
    e.g. :meth:`scaled_stationary`).
    """

    mean: np.ndarray
    cov: np.ndarray
    cross: np.ndarray | None = None

    def __post_init__(self) -> None:
        mean = as_array(self.mean, "mean", ndim=2, copy=True)
        n = mean.size
        cov = as_array(self.cov, "cov", shape=(n, n), copy=True)
        if not np.allclose(cov, cov.T, rtol=1e-12, atol=0.0):
            raise ValueError("cov: expected a symmetric matrix")
        tol = -1e-12 * max(1.0, float(np.abs(cov).max(initial=0.0)))
        if n and np.linalg.eigvalsh(0.5 * (cov + cov.T)).min() < tol:
            raise ValueError("cov: expected a positive semidefinite matrix")
        cross = self.cross
        if cross is not None:
            cross = as_array(cross, "cross", shape=(n, None), copy=True)
        for a in (mean, cov, cross):
            if a is not None:
                a.setflags(write=False)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "cov", cov)
        object.__setattr__(self, "cross", cross)

    @classmethod
    def zero(cls, model) -> SensitivityLaw:
        """Return the point mass J = 0."""
        Pc, N = model.cell.n_params, model.n_hidden
        return cls(np.zeros((Pc, N)), np.zeros((Pc * N, Pc * N)))

    @classmethod
    def box(cls, model, radius, mean=0.0) -> SensitivityLaw:
        r"""Independent entries uniform on :math:`[m - r, m + r]`: variance :math:`r^2/3`.

        ``radius`` and ``mean``: floats, or arrays broadcastable to (P_c, N).
        """
        Pc, N = model.cell.n_params, model.n_hidden
        r = np.broadcast_to(as_array(radius, "radius"), (Pc, N))
        m = np.broadcast_to(as_array(mean, "mean"), (Pc, N))
        if np.any(r < 0):
            raise ValueError("radius: expected non-negative values")
        return cls(np.array(m), np.diag((r * r / 3.0).reshape(-1)))

    @classmethod
    def gaussian(cls, mean, cov, cross=None) -> SensitivityLaw:
        """Any law with these moments (only the first two moments matter)."""
        return cls(mean, cov, cross)

    @classmethod
    def scaled_stationary(
        cls, model, params, process, scale: float, *, mean=0.0, noise_var: float = 0.0
    ) -> SensitivityLaw:
        r""":math:`J_0 = m + c\,J + \xi` with (z, J) stationary, :math:`\xi` independent noise.

        c = 1, m = 0, no noise is the stationary law itself (:math:`E\tilde G_t = \nabla L`
        for all t); c = 0 forgets the state. Particles: ``Jt = m + c * Jt + noise`` on a
        stationary ensemble.
        """
        joint = linear_joint_system(model, params, process)
        Sigma = joint.system.stationary_covariance()
        sJ = joint.system.blocks["J"]
        nz = sJ.start
        Pc, N = joint.setup.n_cell_params, joint.setup.n_hidden
        c = float(scale)
        cov = c * c * Sigma[sJ, sJ] + float(noise_var) * np.eye(Pc * N)
        m = np.broadcast_to(as_array(mean, "mean"), (Pc, N))
        return cls(np.array(m), 0.5 * (cov + cov.T), c * Sigma[sJ, :nz])


@dataclass(frozen=True)
class GradientPath:
    r""":math:`E[\tilde G_t]` for t = 0..T-1 against :math:`\nabla L`.

    Attributes
    ----------
    mean : (T, P)
    grad : (P,)
        :math:`\nabla L(\theta)` (stationary mean of :math:`\tilde G`, augmented system).
    error : (T,)
        :math:`\|E\tilde G_t - \nabla L\|_\infty`.
    spectral_radius : float
        Of the joint transition matrix (:math:`\rho(I + \Delta A)` when the sensitivities are
        the slowest block): the error is :math:`O(t^k\rho^t)` for a k of the Jordan structure.
    """

    mean: np.ndarray
    grad: np.ndarray
    error: np.ndarray
    spectral_radius: float


@dataclass(frozen=True)
class TBPTTExpectation:
    r"""The exact stationary expectation of TBPTT(tau)'s block gradient.

    Attributes
    ----------
    tau : int
    block_gradient : (P,)
        :math:`E[\sum_{j=1}^\tau\tilde G^{(j)}]`: the expected update direction of one block in
        the trainer's default ``block_reduction="sum"``.
    mean_gradient : (P,)
        ``block_gradient / tau`` (``block_reduction="mean"``; the per-step TBPTT gradient).
    grad : (P,)
        :math:`\nabla L(\theta)`.
    bias : (P,)
        ``mean_gradient - grad``: what ``rtrl_theory.estimators.tbptt_bias`` estimates.
    lag_mean : (tau, P)
        :math:`E[\tilde G^{(j)}]`, j = 1..tau: the update with J truncated j steps back.
    lag_bias : (tau, P)
        ``lag_mean - grad``.
    """

    tau: int
    block_gradient: np.ndarray
    mean_gradient: np.ndarray
    grad: np.ndarray
    bias: np.ndarray
    lag_mean: np.ndarray
    lag_bias: np.ndarray


@dataclass(frozen=True)
class LossBias:
    r""":math:`E L_T - L` on a grid of T (Lemma 3.12).

    Attributes
    ----------
    T : (n,) int
    expected_loss : (n,)
        :math:`E L_T = \frac1T\sum_{t<T} E\ell_t`.
    loss : float
        :math:`L(\theta)`.
    bias : (n,)
        :math:`E L_T - L`.
    limit : float
        :math:`\lim_{T\to\infty} T(E L_T - L) = \sum_{t\ge0}(E\ell_t - L)`, in closed form.
    step_loss : (max T,)
        :math:`E\ell_t` for t = 0..max T - 1.
    """

    T: np.ndarray
    expected_loss: np.ndarray
    loss: float
    bias: np.ndarray
    limit: float
    step_loss: np.ndarray


def _stationary_full(joint):
    return joint.system.stationary_covariance()


def tbptt_expected_gradient(model, params, process, tau: int) -> TBPTTExpectation:
    r"""Return the exact expected TBPTT(tau) gradient at stationarity, and its bias from :math:`\nabla L`.

    TBPTT convention of the project (``rtrl_theory.runners._trainer``, ``estimators.tbptt_bias``):
    block k covers steps :math:`[k\tau, (k+1)\tau)`; it starts from the carried state S
    (stationary, as S does not depend on J) with zero sensitivity, so step j = 1..tau of the
    block uses :math:`J^{(j)} = \sum_{i<j} F^{i}\,\mathcal I_{t-i}` (truncated j steps back) and
    :math:`\tilde G^{(j)} = r\,(S;\ J^{(j)\top}C)`. The block's update direction is the sum over
    its steps (``block_reduction="sum"``, default) or the mean.

    .. math::

        E[\tilde G^{(j)}] = \Lambda R_j h, \qquad R_0 = \Sigma \text{ with the J rows and columns
        set to 0}, \quad R_{j} = M R_{j-1} M^\top + GQG^\top.

    Parameters
    ----------
    model, params, process
        As :func:`~rtrl_theory.oracles.linear_stationary`.
    tau : int
        Truncation length.

    Returns
    -------
    TBPTTExpectation
    """
    tau = positive_int(tau, "tau")
    joint = linear_joint_system(model, params, process)
    Sigma = _stationary_full(joint)
    grad = joint.update_mean(Sigma)
    sJ = joint.system.blocks["J"]
    R = Sigma.copy()
    R[sJ, :] = 0.0
    R[:, sJ] = 0.0
    m = np.zeros(joint.system.dim)
    lag = np.empty((tau, grad.shape[0]))
    for j, (_, Rj) in enumerate(joint.system.moment_path(m, R, tau)):
        lag[j] = joint.update_mean(Rj)
    block = lag.sum(axis=0)
    return TBPTTExpectation(tau, block, block / tau, grad, block / tau - grad, lag, lag - grad)


def expected_gradient_path(model, params, process, T: int, J0_law="zero") -> GradientPath:
    r""":math:`E[\tilde G_t]`, t = 0..T-1, from stationary (data, S) and :math:`J_0` ~ ``J0_law``.

    At t = 0 the joint state :math:`u_0 = (X_0, S^*_1, S_1, J)` has :math:`(X_0, S^*_1, S_1)`
    stationary and J (the sensitivity that :math:`\tilde G_0` uses, the ``Jt`` of a
    ``JointProcess`` particle at t = 0) drawn from ``J0_law``, independently. Then

    .. math:: E[\tilde G_t] = \Lambda R_t h, \qquad R_0 = \begin{pmatrix}\Sigma_z & C_{Jz}^\top
              \\ C_{Jz} & C_J + m_J m_J^\top\end{pmatrix}, \quad
              R_{t+1} = M R_t M^\top + GQG^\top,

    which tends to :math:`\nabla L(\theta)` geometrically (Theorem 3.16, Lemma 3.15 of [P1]):
    the sensitivities forget :math:`J_0` at the rate of :math:`I + \Delta A`.

    Parameters
    ----------
    model, params, process
        As :func:`~rtrl_theory.oracles.linear_stationary`.
    T : int
        Number of steps.
    J0_law : "zero" or SensitivityLaw
        ``"zero"``: :math:`J_0 = 0`. A J_0 independent of the state gives the same path as
        :math:`J_0 = 0` on these zero-mean systems (see :class:`SensitivityLaw`, Notes); use
        ``cross`` or :meth:`SensitivityLaw.scaled_stationary` for laws that differ. Note:
        "J = 0 *before* the first step" (``JointProcess``'s point law, a TBPTT block start) is
        the path of :func:`tbptt_expected_gradient`'s ``lag_mean`` instead.

    Returns
    -------
    GradientPath
    """
    T = positive_int(T, "T")
    joint = linear_joint_system(model, params, process)
    Pc, N = joint.setup.n_cell_params, joint.setup.n_hidden
    if isinstance(J0_law, str) and J0_law == "zero":
        law = SensitivityLaw.zero(model)
    elif isinstance(J0_law, SensitivityLaw):
        law = J0_law
    else:
        raise TypeError(f"J0_law: expected 'zero' or a SensitivityLaw, got {J0_law!r}")
    if law.mean.shape != (Pc, N):
        raise ValueError(
            f"J0_law: expected a law of J with shape ({Pc}, {N}) (P_c, N), got {law.mean.shape}"
        )
    nz = joint.system.blocks["J"].start
    if law.cross is not None and law.cross.shape != (Pc * N, nz):
        raise ValueError(
            f"J0_law: cross must be ({Pc * N}, {nz}) (vec J by (X, S*, S)), got {law.cross.shape}"
        )
    Sigma = _stationary_full(joint)
    grad = joint.update_mean(Sigma)
    sJ = joint.system.blocks["J"]
    mJ = law.mean.reshape(-1)
    R = Sigma.copy()
    R[sJ, :] = 0.0
    R[:, sJ] = 0.0
    R[sJ, sJ] = law.cov + np.outer(mJ, mJ)
    if law.cross is not None:  # E[J z^T] = Cov(J, z) as E z = 0
        R[sJ, :nz] = law.cross
        R[:nz, sJ] = law.cross.T
    m = np.zeros(joint.system.dim)
    m[sJ] = mJ
    mean = np.empty((T, grad.shape[0]))
    mean[0] = joint.update_mean(R)
    for t, (_, Rt) in enumerate(joint.system.moment_path(m, R, T - 1), start=1):
        mean[t] = joint.update_mean(Rt)
    err = np.max(np.abs(mean - grad), axis=1)
    return GradientPath(mean, grad, err, joint.system.spectral_radius)


def _initial_second_moment(joint, init):
    """R_0 = E[u_0 u_0^T] of the state at t = 0 (after step 0) for each ``init``."""
    sys = joint.system
    n = sys.dim
    Sigma = sys.stationary_covariance()
    sS = sys.blocks["S"]
    if isinstance(init, str):
        if init == "point":
            return np.zeros((n, n))  # u_0 itself is 0: no pre-step
        if init == "zero":
            pre = np.zeros((n, n))
        elif init == "stationary_data":
            pre = Sigma.copy()
            pre[sS, :] = 0.0
            pre[:, sS] = 0.0
        elif init == "stationary":
            return Sigma.copy()
        else:
            raise ValueError(
                f"init: expected one of {LOSS_INITS} or (mean, cov), got {init!r}"
            )
    elif isinstance(init, tuple) and len(init) == 2:
        mean = as_array(init[0], "init[0] (mean)", shape=(n,))
        cov = as_array(init[1], "init[1] (cov)", shape=(n, n))
        pre = cov + np.outer(mean, mean)
    else:
        raise TypeError(
            f"init: expected one of {LOSS_INITS} or a (mean, cov) pair, got {type(init).__name__}"
        )
    return sys.step_moments(np.zeros(n), pre)[1]


def expected_loss_bias(model, params, process, T, init="zero") -> LossBias:
    r""":math:`E L_T - L(\theta)` exactly, :math:`L_T = \frac1T\sum_{t<T}\ell_t` (Lemma 3.12, [P1]).

    The initial law (array convention of THEORY.md section 2: step t consumes
    :math:`X_t = \Phi X_{t-1} + \varepsilon_t` and :math:`\ell_t` compares
    :math:`C\cdot S_{t+1}` with :math:`Y_t`) is given for the pre-step state
    :math:`(X_{-1}, S^*_0, S_0)`, except for ``"point"``:

    * ``"zero"``: :math:`(X_{-1}, S^*_0, S_0) = 0`. This is exactly what ``process.sample(T)``
      followed by ``rtrl_theory.sequence_loss(model, params, X, Y)`` computes (the stream
      starts its inputs at 0 and its teacher at :math:`S^*_0 = 0`, the model at
      :math:`S_0 = 0`).
    * ``"point"``: ``JointProcess``'s point law with its defaults, the state at t = 0 is
      :math:`(X_0, S^*_1, S_1) = 0` (``X_0 = x0 = 0`` is not drawn): what
      ``estimators._limits.expected_loss_curve`` and ``estimators._limits.loss_bias_curve`` start from.
    * ``"stationary_data"``: :math:`(X_{-1}, S^*_0)` stationary, :math:`S_0 = 0`.
    * ``"stationary"``: all stationary (the bias is 0).
    * ``(mean, cov)``: any law with these moments, vectors/matrices over
      :math:`(X_{-1}, S^*_0, S_0)` (d + N* + N).

    With :math:`\Delta = R_0 - \Sigma` (:math:`R_0` the second-moment matrix at t = 0),
    :math:`E\ell_t - L = \tfrac12 h^\top M^{t}\Delta (M^\top)^{t} h`, so
    :math:`\lim_T T(E L_T - L) = \tfrac12 h^\top X h`, :math:`X = MXM^\top + \Delta`.

    Parameters
    ----------
    model, params, process
        As :func:`~rtrl_theory.oracles.linear_stationary`.
    T : int or sequence of int
        Horizon(s).
    init : str or (mean, cov)

    Returns
    -------
    LossBias
    """
    grid = np.atleast_1d(np.asarray(T))
    if grid.dtype.kind not in "iu" or grid.size == 0 or np.any(grid < 1):
        raise ValueError(f"T: expected a positive integer or a sequence of them, got {T!r}")
    grid = np.unique(grid.astype(int))
    joint = linear_joint_system(model, params, process, sensitivity=None)
    sys = joint.system
    Sigma = sys.stationary_covariance()
    R0 = _initial_second_moment(joint, init)
    L = joint.loss(Sigma)
    Tmax = int(grid[-1])
    step_loss = np.empty(Tmax)
    step_loss[0] = joint.loss(R0)
    for t, (_, Rt) in enumerate(sys.moment_path(np.zeros(sys.dim), R0, Tmax - 1), start=1):
        step_loss[t] = joint.loss(Rt)
    csum = np.cumsum(step_loss)
    EL = csum[grid - 1] / grid
    X = sys.forward_sum(R0 - Sigma)
    limit = 0.5 * float(joint.h @ X @ joint.h)
    return LossBias(grid, EL, L, EL - L, limit, step_loss)
