r"""Stationary loss, gradient and Hessian of a linear system in closed form ([P1] (2.27), Thm 3.16).

Route A (:func:`linear_stationary`): differentiate the Lyapunov equation of the small system
:math:`z = (X, S^*, S)` (THEORY.md section 12), without any sensitivity. With
:math:`\Sigma = M\Sigma M^\top + GQG^\top` and :math:`L = \tfrac12(h^\top\Sigma h +
\operatorname{Var}\eta)`, M and G affine in the cell parameters :math:`\theta_c` and h linear in C:

.. math::

    \partial_{C} L &= \Sigma_{S\cdot}\,h, \qquad
    \partial_a L = \langle \partial_a M,\ W M\Sigma\rangle + \langle\partial_a G,\ W G Q\rangle,
    \qquad W = M^\top W M + h h^\top,

because :math:`\partial_a\Sigma` solves the Lyapunov equation with right-hand side
:math:`R_a = \partial_a M\,\Sigma M^\top + M\Sigma\,\partial_a M^\top + \partial_a G\,QG^\top
+ GQ\,\partial_a G^\top`, and :math:`h^\top X h = \operatorname{tr}(W R)` when
:math:`X = MXM^\top + R` (adjoint equation). Second order: with
:math:`\partial_b\Sigma = \sum_n M^n R_b (M^\top)^n` (one Lyapunov solve per cell parameter),

.. math::

    \partial_{C_k}\partial_{C_l} L &= \Sigma_{S_k S_l}, \qquad
    \partial_{C_k}\partial_b L = (\partial_b\Sigma\, h)_{S_k},\\
    \partial_a\partial_b L &= T_{ab} + T_{ba} + \langle W\partial_a M\,\Sigma,\ \partial_b M\rangle
    + \langle W\partial_a G\,Q,\ \partial_b G\rangle, \qquad
    T_{ab} = \langle\partial_a M,\ W M\,\partial_b\Sigma\rangle,

(:math:`\partial_a\partial_b M = 0`: M is affine in :math:`\theta_c`).

Route B (:func:`stationary_update_mean`): the stationary covariance of the augmented system
:math:`(X, S^*, S, J)`, and :math:`E_\pi[\tilde G] = \Lambda\Sigma h` (Theorem 3.16 read
literally: the mean of the RTRL update under the stationary law). Routes A and B share no
computation beyond the set-up's matrices; the tests compare them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._linear_sde import LinearSetup, linear_joint_system, linear_setup

__all__ = ["StationaryOracle", "linear_stationary", "stationary_update_mean"]


@dataclass(frozen=True, eq=False)
class StationaryOracle:
    r"""Exact stationary quantities of a linear system at fixed :math:`\theta`.

    Attributes
    ----------
    loss : float
        :math:`L(\theta) = E_\pi[\tfrac12(Y - C\cdot S)^2]`, (2.27) of [P1].
    grad : ndarray, shape (P,)
        :math:`\nabla L(\theta)` in the model's flat order ``(C, vec A, vec B)`` (Notation 2.11).
    hessian : ndarray, shape (P, P)
        :math:`\nabla^2 L(\theta)`.
    covariance : ndarray, shape (d + N* + N, d + N* + N)
        Stationary covariance of :math:`(X_t, S^*_{t+1}, S_{t+1})`.
    spectral_radius : float
        Of the joint transition matrix: :math:`\max(\rho(\Phi), \rho(F^*), \rho(I + \Delta A))`,
        the geometric rate at which every moment forgets its start.
    """

    loss: float
    grad: np.ndarray
    hessian: np.ndarray
    covariance: np.ndarray
    spectral_radius: float


def _derivatives(setup: LinearSetup, blocks, n: int):
    r""":math:`\partial_a M` (P_c, n, n) and :math:`\partial_a G` (P_c, n, d), small system."""
    N, d, dt = setup.n_hidden, setup.n_input, setup.dt
    Pc = setup.n_cell_params
    s0, x = blocks["S"].start, blocks["X"]
    dM = np.zeros((Pc, n, n))
    dG = np.zeros((Pc, n, d))
    for j in range(N):  # A_ij at cell position j N + i: dF = dt E_ij
        for i in range(N):
            dM[j * N + i, s0 + i, s0 + j] = dt
    for j in range(d):  # B_ij at N^2 + j N + i: d(dt B Phi) = dt E_ij Phi, d(dt B) = dt E_ij
        for i in range(N):
            a = N * N + j * N + i
            dM[a, s0 + i, x] = dt * setup.Phi[j]
            dG[a, s0 + i, j] = dt
    return dM, dG


def linear_stationary(model, params, process) -> StationaryOracle:
    r"""Exact :math:`L(\theta)`, :math:`\nabla L`, :math:`\nabla^2 L` of a linear system.

    The known answer for [P1]'s limit loss (2.27), Theorem 3.16 and (3.65) on the Section 7.1
    set-up: a LinearSDE student (7.1) driven by Gaussian or AR(1) inputs, with targets from a
    linear teacher (``linear_sde_teacher``, (7.2)) plus uniform noise. Derivatives are exact
    (differentiated Lyapunov equations, module docstring), not finite differences.

    Parameters
    ----------
    model : LinearSDE
    params : LinearSDEParams or ndarray, shape (P,)
        As :func:`rtrl_theory.loss_and_grad` takes them.
    process : DataProcess
        ``DataProcess(GaussianInputs(d, std) or AR1Chain(d, Phi, std), TeacherTarget(teacher,
        ..., noise))`` with a LinearSDE (or delay-line) teacher.

    Returns
    -------
    StationaryOracle

    Raises
    ------
    TypeError
        For a model, input chain or target outside this class (naming the argument).
    ValueError
        When the student, the teacher or the inputs are unstable (no stationary law).

    See Also
    --------
    stationary_update_mean : :math:`E_\pi[\tilde G]` from the augmented (state, sensitivity)
        system, a second exact route to the gradient.
    rtrl_theory.estimators.limit_gradient : the particle estimate of the same quantity.

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import LinearSDE
    >>> from rtrl_theory.data import linear_sde_teacher
    >>> teacher = linear_sde_teacher(2, 1, rng=0)
    >>> process = teacher.process(input_std=1.0, noise=0.1)
    >>> model = LinearSDE(2, 1, dt=0.1)
    >>> at_teacher = linear_stationary(model, teacher.params, process)
    >>> bool(abs(at_teacher.loss - 0.1**2 / 6) < 1e-12)  # residual = target noise
    True
    >>> float(np.abs(at_teacher.grad).max()) < 1e-12
    True
    """
    setup = linear_setup(model, params, process)
    joint = linear_joint_system(model, setup.theta, process, sensitivity=None)
    sysz, h = joint.system, joint.h
    M, G, Q = sysz.M, sysz.G, sysz.Q
    n, N = sysz.dim, setup.n_hidden
    sS = sysz.blocks["S"]
    Sigma = sysz.stationary_covariance()
    loss = joint.loss(Sigma)
    W = sysz.adjoint_sum(np.outer(h, h))
    dM, dG = _derivatives(setup, sysz.blocks, n)
    ZM, ZG = W @ M @ Sigma, W @ G @ Q
    grad_c = np.einsum("aij,ij->a", dM, ZM) + np.einsum("aij,ij->a", dG, ZG)
    grad = np.concatenate([Sigma[sS] @ h, grad_c])

    Pc = setup.n_cell_params
    dSigma = np.empty((Pc, n, n))
    for b in range(Pc):
        Rb = dM[b] @ Sigma @ M.T + dG[b] @ Q @ G.T
        dSigma[b] = sysz.forward_sum(Rb + Rb.T)
    WM = W @ M
    T = np.einsum("aij,bij->ab", dM, np.einsum("ij,bjk->bik", WM, dSigma))
    X3 = np.einsum("ij,ajk,kl->ail", W, dM, Sigma)
    X4 = np.einsum("ij,ajk,kl->ail", W, dG, Q)
    H_cc = T + T.T + np.einsum("aij,bij->ab", X3, dM) + np.einsum("aij,bij->ab", X4, dG)
    H_cc = 0.5 * (H_cc + H_cc.T)
    H_Cc = (dSigma @ h)[:, sS].T  # (N, Pc): d^2 L / dC_k d theta_b = (dSigma_b h)_{S_k}
    P = N + Pc
    hess = np.empty((P, P))
    hess[:N, :N] = Sigma[sS, sS]
    hess[:N, N:] = H_Cc
    hess[N:, :N] = H_Cc.T
    hess[N:, N:] = H_cc
    for a in (Sigma, grad, hess):
        a.setflags(write=False)
    return StationaryOracle(float(loss), grad, hess, Sigma, sysz.spectral_radius)


def stationary_update_mean(model, params, process, *, sensitivity="exact") -> np.ndarray:
    r""":math:`E_\pi[\tilde G]` from the stationary covariance of the augmented (X, S*, S, J).

    With ``sensitivity="exact"`` this is :math:`\nabla L(\theta)` by Theorem 3.16 of [P1]: a
    second exact route to the ``grad`` of :class:`StationaryOracle` through the sensitivity recursion
    (2.20)-(2.21) of (7.1), not through derivatives of the Lyapunov equation. With another
    linear sensitivity map (see ``rtrl_theory.oracles._linear_sde.linear_joint_system``) it is the
    stationary mean of that approximate estimator (issue 13).

    Parameters
    ----------
    model : LinearSDE
        The student (7.1).
    params : LinearSDEParams or ndarray, shape (P,)
        As :func:`rtrl_theory.loss_and_grad` takes them.
    process : DataProcess
        Gaussian or AR(1) inputs with a linear (LinearSDE or delay-line) teacher plus uniform
        noise, as for :func:`linear_stationary`.
    sensitivity : str or ndarray, default "exact"
        The sensitivity recursion: one of :data:`SENSITIVITY_KINDS` (``"exact"`` RTRL
        (2.20)-(2.21), ``"snap-1"``, ``"immediate"``) or a map :math:`D_J` of shape
        (P_c N, P_c N) as :func:`linear_sensitivity_map` returns.

    Returns
    -------
    ndarray, shape (P,)
        :math:`E_\pi[\tilde G]` ((3.63)-(3.64) averaged under the stationary law of the
        augmented system), in the model's flat order.

    See Also
    --------
    linear_stationary : :math:`\nabla L` from the differentiated Lyapunov equation.
    rtrl_theory.online.stationary_bias : the particle estimate of an estimator's stationary mean.

    Notes
    -----
    The augmented system has dimension d + N* + N + P_c N (P_c = N^2 + N d): about 60 for
    N = 3, d = 2 and 720 for N = 8, d = 3 (seconds).
    """
    joint = linear_joint_system(model, params, process, sensitivity=sensitivity)
    return joint.update_mean(joint.system.stationary_covariance())
