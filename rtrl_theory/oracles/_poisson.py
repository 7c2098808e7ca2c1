r"""The Poisson solution of [P1] Section 4 in closed form on linear systems (Lemma 4.2, (4.3)).

On the joint linear system :math:`u_{t+1} = Mu_t + G\varepsilon_{t+1}` (``_linear_sde``), the
RTRL update is a quadratic form plus a term linear in the target noise:

.. math:: \tilde G_p(u, \eta) = (h\cdot u - \eta)(\Lambda u)_p = u^\top A_p u - \eta(\Lambda u)_p,
          \qquad A_p = \tfrac12(\Lambda_p h^\top + h\Lambda_p^\top).

For n >= 1, :math:`(P^n\tilde G_p)(u) = (M^n u)^\top A_p M^n u + \operatorname{tr}(A_p(\Sigma -
M^n\Sigma M^{n\top}))` (the noise :math:`\eta_n` has mean 0 and is independent of
:math:`u_n`), and :math:`\bar G_p = \operatorname{tr}(A_p\Sigma) = (\nabla L)_p`. The series
(4.3) sums in closed form:

.. math:: v_p(u, \eta) = \sum_{n\ge0}\big(P^n\tilde G_p(u,\eta) - \bar G_p\big)
          = u^\top V_p u - \operatorname{tr}(V_p\Sigma) - \eta(\Lambda u)_p,
          \qquad V_p = M^\top V_p M + A_p,

one adjoint Lyapunov equation per coordinate (or one for a projection :math:`G = w\cdot\tilde G`,
(4.11) of [P1] takes :math:`w = \nabla L`). It solves (4.1) exactly:
:math:`(Pv_p)(u) = (Mu)^\top V_p Mu + \operatorname{tr}(V_p GQG^\top) - \operatorname{tr}(V_p
\Sigma)`, so :math:`v_p - Pv_p = u^\top A_p u - \eta(\Lambda u)_p - \operatorname{tr}(A_p\Sigma)
= \tilde G_p - \bar G_p`, and :math:`E_\pi v_p = 0`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array

from ._linear_sde import LinearJointSystem, linear_joint_system

__all__ = ["LinearPoissonSolution", "poisson_solution_linear"]


@dataclass(frozen=True, eq=False)
class LinearPoissonSolution:
    r"""The closed-form Poisson solution :math:`v(u, \eta) = u^\top V u - c - \eta\,(\ell\cdot u)`.

    Vector-valued (one per coordinate of :math:`\tilde G`, shape (P,)) or, with a direction w,
    the scalar solution for :math:`G = w\cdot\tilde G` (4.11).

    Attributes
    ----------
    joint : LinearJointSystem
    V : (P, n, n) or (n, n)
    offset : (P,) or ()
        :math:`c = \operatorname{tr}(V\Sigma)`.
    linear : (P, n) or (n,)
        :math:`\ell`: the coefficient of :math:`-\eta`.
    A : (P, n, n) or (n, n)
        The quadratic form of G (:math:`G = u^\top A u - \eta\,\ell\cdot u`).
    Gbar : (P,) or float
        :math:`\bar G = E_\pi G` (:math:`\nabla L`, or :math:`w\cdot\nabla L`).
    direction : (P,) or None
    """

    joint: LinearJointSystem
    V: np.ndarray
    offset: np.ndarray
    linear: np.ndarray
    A: np.ndarray
    Gbar: np.ndarray
    direction: np.ndarray | None

    def _u_eta(self, z, eta=None):
        if eta is None:  # a ParticleState of rtrl_theory.runners.JointProcess
            return self.joint.flatten_particles(z), np.asarray(z.eta, dtype=float)
        u = as_array(z, "u", shape=(None, self.joint.system.dim))
        return u, as_array(eta, "eta", shape=(u.shape[0],))

    def _quad(self, Q, u):
        if Q.ndim == 2:
            return np.einsum("ki,ki->k", u @ Q, u)
        P, n = Q.shape[0], Q.shape[1]
        Qu = (u @ Q.transpose(1, 0, 2).reshape(n, P * n)).reshape(-1, P, n)  # one GEMM
        return np.einsum("kpj,kj->kp", Qu, u)

    def __call__(self, z, eta=None) -> np.ndarray:
        r"""Evaluate the Poisson solution :math:`v` at K points.

        :math:`v` at K points: a JointProcess ``ParticleState`` (X, teacher, S, Jt, eta are
        read), or ``(u, eta)`` arrays of shapes (K, n), (K,). Returns (K, P) or (K,).
        """
        u, e = self._u_eta(z, eta)
        lin = u @ self.linear.T
        e = e[:, None] if lin.ndim == 2 else e
        return self._quad(self.V, u) - self.offset - e * lin

    def update(self, z, eta=None) -> np.ndarray:
        r""":math:`G` itself at the points (:math:`\tilde G` or :math:`w\cdot\tilde G`)."""
        u, e = self._u_eta(z, eta)
        lin = u @ self.linear.T
        e = e[:, None] if lin.ndim == 2 else e
        return self._quad(self.A, u) - e * lin

    def Pv(self, z, eta=None) -> np.ndarray:
        r"""Return :math:`(Pv)(u) = E[v(u_1, \eta_1)\mid u_0 = u]` exactly.

        :math:`(Pv)(u) = E[v(u_1, \eta_1)\mid u_0 = u]` exactly (does not depend on
        :math:`\eta_0`).
        """
        u, _ = self._u_eta(z, eta)
        sys = self.joint.system
        Mu = u @ sys.M.T
        GQG = sys.noise_covariance
        tr = np.einsum("...ij,ji->...", self.V, GQG)
        return self._quad(self.V, Mu) + tr - self.offset


def poisson_solution_linear(model, params, process, direction=None) -> LinearPoissonSolution:
    r"""Return the solution (4.3) of the Poisson equation (4.1) for the RTRL update, in closed form.

    Parameters
    ----------
    model, params, process
        As :func:`~rtrl_theory.oracles.linear_stationary`.
    direction : None, "grad" or ndarray (P,)
        None: the vector solution for :math:`\tilde G` itself, (P,) per point. An array w: the
        scalar solution for :math:`G = w\cdot\tilde G`. ``"grad"``: :math:`w = \nabla L(\theta)`,
        [P1]'s (4.11), with :math:`\bar G = |\nabla L|^2`.

    Returns
    -------
    LinearPoissonSolution
        Callable on ``JointProcess`` particles: ``v(z)``.

    Notes
    -----
    Costs one adjoint Lyapunov solve of the augmented system (dimension d + N* + N + P_c N) per
    coordinate, or one with a direction.
    """
    joint = linear_joint_system(model, params, process)
    sys = joint.system
    Sigma = sys.stationary_covariance()
    Lam, h = joint.readout, joint.h
    P = Lam.shape[0]
    grad = joint.update_mean(Sigma)
    if direction is None:
        w = None
    elif isinstance(direction, str) and direction == "grad":
        w = grad.copy()
    elif isinstance(direction, str):
        raise ValueError(f"direction: expected None, 'grad' or a (P,) array, got {direction!r}")
    else:
        w = as_array(direction, "direction", shape=(P,)).copy()
    if w is None:
        A = 0.5 * (Lam[:, :, None] * h[None, None, :] + h[None, :, None] * Lam[:, None, :])
        V = np.stack([sys.adjoint_sum(A[p]) for p in range(P)])
        offset = np.einsum("pij,ji->p", V, Sigma)
        linear, Gbar = Lam.copy(), grad
    else:
        lw = w @ Lam
        A = 0.5 * (np.outer(lw, h) + np.outer(h, lw))
        V = sys.adjoint_sum(A)
        offset = np.asarray(np.trace(V @ Sigma))
        linear, Gbar = lw, np.asarray(float(w @ grad))
    return LinearPoissonSolution(joint, V, offset, linear, A, Gbar, w)
